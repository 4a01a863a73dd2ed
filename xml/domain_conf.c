/* Domain XML: the definition as a whole — parse, defaults, validation,
 * format, copy, metadata, device add/remove. */
#define MV_FROM_THIS MV_FROM_DOMAIN
#include "xml/domain_private.h"

#include <string.h>
#include <libxml/parser.h>

#include "util/error.h"

#define MV_CPUMASK_LEN 16384

static const char *const mvDomainQemuSkipNs[] = { MV_DOMAIN_QEMU_NS, NULL };

/* ===================================================================== */
/* new / free                                                             */
/* ===================================================================== */

static xmlNode *
mvDomainHolder(const mvDomainDef *def)
{
    return xmlDocGetRootElement(def->doc);
}

static xmlNs *
mvDomainQemuNs(const mvDomainDef *def)
{
    return mvDomainHolder(def)->nsDef;
}

/* Element and attribute names of domain XML, shared read-only by every
 * parsed domain document's dictionary (built once, never modified after). */
static gpointer
mvDomainNamesInit(gpointer data G_GNUC_UNUSED)
{
    xmlDict *dict = xmlDictCreate();
#define ADD(s) do { if (s) xmlDictLookup(dict, BAD_CAST(s), -1); } while (0)
    if (!dict)
        return NULL;
    ADD("domain");
    ADD("devices");
    ADD("emulator");
    for (size_t i = 0; mvDomainTopOrder[i]; i++)
        ADD(mvDomainTopOrder[i]);
    for (size_t i = 0; mvDomainQemuOrder[i]; i++)
        ADD(mvDomainQemuOrder[i]);
    for (int k = 0; k < MV_DOMAIN_DEVICE_LAST; k++)
        ADD(mvDomainDeviceKindToString(k));
    for (const mvXMLOrderRule *r = mvDomainOrderRules; r->name; r++) {
        ADD(r->parent);
        ADD(r->name);
        for (size_t i = 0; r->attrs && r->attrs[i]; i++)
            ADD(r->attrs[i]);
        for (size_t i = 0; r->children && r->children[i]; i++)
            ADD(r->children[i]);
    }
#undef ADD
    return dict;
}

static xmlDict *
mvDomainNames(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, mvDomainNamesInit, NULL);
}

/* A definition whose nodes live in @doc (which it takes); @doc's root
 * element, if any, is detached (not freed) and replaced by the holder. */
static mvDomainDef *
mvDomainDefNewInDoc(xmlDoc *doc)
{
    mvDomainDef *def = g_new0(mvDomainDef, 1);
    xmlNode *holder, *c, *next;
    def->id = -1;
    def->doc = doc;
    holder = xmlNewDocNode(def->doc, NULL, BAD_CAST "domain", NULL);
    xmlDocSetRootElement(def->doc, holder);
    /* comments and PIs around the parsed root are of no use */
    for (c = doc->children; c; c = next) {
        next = c->next;
        if (c != holder) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    xmlNewNs(holder, BAD_CAST MV_DOMAIN_QEMU_NS, BAD_CAST "qemu");
    def->extra = g_ptr_array_new();
    return def;
}

mvDomainDef *
mvDomainDefNew(void)
{
    xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
    /* names of the nodes created or copied in are shared, as in parsed ones */
    doc->dict = xmlDictCreateSub(mvDomainNames());
    return mvDomainDefNewInDoc(doc);
}

static void
mvDomainFreeDetached(xmlNode *node)
{
    if (!node)
        return;
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

void
mvDomainDefFree(mvDomainDef *def)
{
    if (!def)
        return;
    for (int k = 0; k < MV_DOMAIN_DEVICE_LAST; k++) {
        size_t *count;
        mvDomainDeviceDef ***list = mvDomainDefDeviceList(def, k, &count);
        for (size_t i = 0; i < *count; i++)
            mvDomainDeviceDefFree((*list)[i]);
        g_free(*list);
    }
    for (size_t i = 0; i < def->extra->len; i++)
        mvDomainFreeDetached(g_ptr_array_index(def->extra, i));
    g_ptr_array_free(def->extra, TRUE);
    mvDomainFreeDetached(def->metadata);
    mvDomainFreeDetached(def->os);
    g_free(def->virtType);
    g_free(def->name);
    g_free(def->genid);
    g_free(def->title);
    g_free(def->description);
    g_free(def->memoryDumpCore);
    g_free(def->vcpuPlacement);
    g_free(def->vcpuCpuset);
    g_free(def->osType);
    g_free(def->osArch);
    g_free(def->osMachine);
    g_free(def->onPoweroff);
    g_free(def->onReboot);
    g_free(def->onCrash);
    g_free(def->emulator);
    xmlFreeDoc(def->doc);
    g_free(def);
}

xmlNode *
mvDomainCopyNode(const xmlNode *node, xmlDoc *doc)
{
    xmlNode *copy = xmlDocCopyNode((xmlNode *)node, doc, 1);
    if (copy) {
        mvXMLStripBlanks(copy);
        mvXMLCompact(copy);
    }
    return copy;
}

/* TRUE when @ns is declared on @node or an ancestor of it up to @top. */
static gboolean
mvXMLNsInScope(const xmlNode *node, const xmlNode *top, const xmlNs *ns)
{
    for (; node; node = node->parent) {
        for (const xmlNs *d = node->nsDef; d; d = d->next)
            if (d == ns)
                return TRUE;
        if (node == top)
            break;
    }
    for (const xmlNs *d = node && node->doc ? node->doc->oldNs : NULL; d; d = d->next)
        if (d == ns)
            return TRUE;
    return FALSE;
}

/* TRUE when every namespace used in @top's subtree is declared inside it
 * (so that it can be detached from its ancestors as it is). */
static gboolean
mvXMLNsSelfContained(const xmlNode *node, const xmlNode *top)
{
    for (; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE)
            goto next;
        if (node->ns && !mvXMLNsInScope(node, top, node->ns))
            return FALSE;
        for (const xmlAttr *a = node->properties; a; a = a->next)
            if (a->ns && !mvXMLNsInScope(node, top, a->ns))
                return FALSE;
        if (!mvXMLNsSelfContained(node->children, top))
            return FALSE;
     next:
        if (node == top)
            break;
    }
    return TRUE;
}

/* @node for keeping in @def: when @adopt and it is already in def->doc,
 * detached from the parsed tree and stripped of blanks in place (no copy);
 * otherwise a stripped copy. */
static xmlNode *
mvDomainTakeNode(mvDomainDef *def, xmlNode *node, gboolean adopt)
{
    if (!adopt || node->doc != def->doc || !mvXMLNsSelfContained(node, node))
        return mvDomainCopyNode(node, def->doc);
    xmlUnlinkNode(node);
    mvXMLStripBlanks(node);
    return node;
}

/* ===================================================================== */
/* small helpers                                                          */
/* ===================================================================== */

static gboolean
mvStrIn(const char *s, const char *const *list)
{
    if (!s)
        return FALSE;
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return TRUE;
    return FALSE;
}

#define STRL(...) (const char *const[]){ __VA_ARGS__, NULL }

static char *
mvNonEmpty(char *s)
{
    if (s && !*s) {
        g_free(s);
        return NULL;
    }
    return s;
}

gboolean
mvDomainNameIsValid(const char *name)
{
    if (!name || !*name)
        return FALSE;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return FALSE;
    if (strchr(name, '/'))
        return FALSE;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return FALSE;
    return TRUE;
}

int
mvDomainNameCheck(const char *name)
{
    if (!name || !*name) {
        mvReportError(MV_ERR_NO_NAME, NULL);
        return -1;
    }
    if (strchr(name, '/')) {
        mvReportError(MV_ERR_XML_ERROR, "name %s cannot contain '/'", name);
        return -1;
    }
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
        mvReportError(MV_ERR_XML_ERROR, "name '%s' is not allowed", name);
        return -1;
    }
    if (!mvDomainNameIsValid(name)) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "name cannot contain control characters");
        return -1;
    }
    return 0;
}

/* "0-3,^2,8" -> "0-1,3,8"; NULL + error on syntax error. */
static char *
mvCpusetNormalize(const char *str)
{
    g_autofree guint8 *bits = g_new0(guint8, MV_CPUMASK_LEN);
    g_auto(GStrv) items = NULL;
    g_autoptr(GString) out = g_string_new(NULL);
    gboolean any = FALSE;

    if (!str || mvXMLIsBlank(str))
        goto error;
    items = g_strsplit(str, ",", 0);
    for (size_t i = 0; items[i]; i++) {
        g_autofree char *item = g_strstrip(g_strdup(items[i]));
        gboolean neg = FALSE;
        const char *p = item;
        char *dash;
        unsigned int a, b;
        if (*p == '^') {
            neg = TRUE;
            p++;
        }
        if ((dash = strchr(p, '-')) && !neg) {
            g_autofree char *first = g_strndup(p, (size_t)(dash - p));
            if (mvStrToUInt(first, 10, &a) < 0 || mvStrToUInt(dash + 1, 10, &b) < 0 || a > b)
                goto error;
        } else {
            if (mvStrToUInt(p, 10, &a) < 0)
                goto error;
            b = a;
        }
        if (b >= MV_CPUMASK_LEN)
            goto error;
        for (unsigned int c = a; c <= b; c++)
            bits[c] = neg ? 0 : 1;
    }
    for (unsigned int c = 0; c < MV_CPUMASK_LEN; c++) {
        unsigned int e;
        if (!bits[c])
            continue;
        e = c;
        while (e + 1 < MV_CPUMASK_LEN && bits[e + 1])
            e++;
        if (any)
            g_string_append_c(out, ',');
        if (e > c)
            g_string_append_printf(out, "%u-%u", c, e);
        else
            g_string_append_printf(out, "%u", c);
        any = TRUE;
        c = e;
    }
    if (!any)
        goto error;
    return g_string_free(g_steal_pointer(&out), FALSE);

 error:
    mvReportError(MV_ERR_XML_ERROR, "Invalid value of 'cpuset': %s", str ? str : "");
    return NULL;
}

/* Normalize a memory element (text + unit) in place to KiB. */
static int
mvNormalizeMemoryElement(xmlNode *n, const char *what)
{
    unsigned long long kib;
    char buf[32];
    if (mvXMLParseMemoryKiB(n, what, &kib) < 0)
        return -1;
    g_snprintf(buf, sizeof(buf), "%llu", kib);
    mvXMLSetContent(n, buf);
    mvXMLSetProp(n, "unit", "KiB");
    return 0;
}

/* Normalize the memory attribute (+unit) of @n to KiB. */
static int
mvNormalizeMemoryAttr(xmlNode *n, const char *attr, const char *what)
{
    g_autofree char *val = mvXMLProp(n, attr);
    g_autofree char *unit = mvXMLProp(n, "unit");
    unsigned long long kib;
    char buf[32];
    if (!val)
        return 0;
    if (mvParseMemoryKiB(val, unit, what, &kib) < 0)
        return -1;
    g_snprintf(buf, sizeof(buf), "%llu", kib);
    mvXMLSetProp(n, attr, buf);
    mvXMLSetProp(n, "unit", "KiB");
    return 0;
}

static int
mvDomainNormalizeExtra(xmlNode *n)
{
    if (mvXMLNodeIs(n, "memtune")) {
        for (xmlNode *c = n->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE && mvNormalizeMemoryElement(c, (const char *)c->name) < 0)
                return -1;
    } else if (mvXMLNodeIs(n, "cpu")) {
        xmlNode *numa = mvXMLChild(n, "numa");
        for (xmlNode *c = numa ? numa->children : NULL; c; c = c->next)
            if (mvXMLNodeIs(c, "cell") && mvNormalizeMemoryAttr(c, "memory", "./cpu/numa/cell/@memory") < 0)
                return -1;
    } else if (mvXMLNodeIs(n, "memoryBacking")) {
        xmlNode *hp = mvXMLChild(n, "hugepages");
        for (xmlNode *c = hp ? hp->children : NULL; c; c = c->next)
            if (mvXMLNodeIs(c, "page") && mvNormalizeMemoryAttr(c, "size", "./memoryBacking/hugepages/page/@size") < 0)
                return -1;
    }
    return 0;
}

/* ===================================================================== */
/* parse                                                                  */
/* ===================================================================== */

static int
mvDomainParseVcpu(mvDomainDef *def, xmlNode *n)
{
    g_autofree char *text = NULL;
    g_autofree char *cur = NULL;
    g_autofree char *cpuset = NULL;
    unsigned long long v;

    def->vcpusMax = 1;
    def->vcpusCurrent = 1;
    if (!n) {
        def->vcpuPlacement = g_strdup("static");
        return 0;
    }
    text = mvXMLContent(n);
    if (mvStrToULLong(text, 10, &v) < 0) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "maximum vcpus count must be an integer");
        return -1;
    }
    if (v == 0) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s", "maximum vcpus count must be greater than 0");
        return -1;
    }
    if (v > MV_DOMAIN_MAX_VCPUS) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                      "maximum vcpus count %llu exceeds the supported limit of %d",
                      v, MV_DOMAIN_MAX_VCPUS);
        return -1;
    }
    def->vcpusMax = (unsigned int)v;
    def->vcpusCurrent = def->vcpusMax;

    if ((cur = mvXMLProp(n, "current"))) {
        if (mvStrToULLong(cur, 10, &v) < 0) {
            mvReportError(MV_ERR_XML_ERROR, "%s", "current vcpus count must be an integer");
            return -1;
        }
        if (v > def->vcpusMax) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                          "maximum vCPU count must not be less than current vCPU count");
            return -1;
        }
        if (v != 0)
            def->vcpusCurrent = (unsigned int)v;
    }

    def->vcpuPlacement = mvNonEmpty(mvXMLProp(n, "placement"));
    if (def->vcpuPlacement && !mvStrIn(def->vcpuPlacement, STRL("static", "auto"))) {
        mvReportError(MV_ERR_XML_ERROR, "Unsupported CPU placement mode '%s'", def->vcpuPlacement);
        return -1;
    }
    if (!def->vcpuPlacement)
        def->vcpuPlacement = g_strdup("static");

    if ((cpuset = mvXMLProp(n, "cpuset")) && strcmp(def->vcpuPlacement, "static") == 0) {
        if (!(def->vcpuCpuset = mvCpusetNormalize(cpuset)))
            return -1;
    }
    return 0;
}

static int
mvDomainParseOs(mvDomainDef *def, xmlNode *src, gboolean adopt)
{
    xmlNode *type;
    g_autofree char *osType = NULL;
    int nboot = 0;

    if (!src || !(type = mvXMLChild(src, "type"))) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "an os <type> must be specified");
        return -1;
    }
    def->os = mvDomainTakeNode(def, src, adopt);
    type = mvXMLChild(def->os, "type");
    osType = mvNonEmpty(mvXMLContent(type));
    if (!osType) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "an os <type> must be specified");
        return -1;
    }
    g_strstrip(osType);
    if (strcmp(osType, "linux") == 0) {
        g_free(osType);
        osType = g_strdup("xen");
    }
    if (!mvStrIn(osType, STRL("hvm", "xen", "exe", "uml", "xenpvh"))) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "unknown OS type '%s'", osType);
        return -1;
    }
    def->osType = g_steal_pointer(&osType);
    def->osArch = mvNonEmpty(mvXMLProp(type, "arch"));
    def->osMachine = mvNonEmpty(mvXMLProp(type, "machine"));

    for (xmlNode *c = def->os->children; c; c = c->next) {
        g_autofree char *dev = NULL;
        if (!mvXMLNodeIs(c, "boot"))
            continue;
        dev = mvXMLProp(c, "dev");
        if (!dev) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "missing boot device");
            return -1;
        }
        if (!mvStrIn(dev, STRL("fd", "hd", "cdrom", "network"))) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "unknown boot device '%s'", dev);
            return -1;
        }
        nboot++;
    }
    (void)nboot;
    return 0;
}

static int
mvDomainParseLifecycle(xmlNode *n, const char *name, const char *defval,
                       gboolean crash, char **out)
{
    g_autofree char *v = n ? mvNonEmpty(g_strstrip(mvXMLContent(n))) : NULL;
    if (!v) {
        *out = g_strdup(defval);
        return 0;
    }
    if (!mvStrIn(v, STRL("destroy", "restart", "rename-restart", "preserve")) &&
        !(crash && mvStrIn(v, STRL("coredump-destroy", "coredump-restart")))) {
        mvReportError(MV_ERR_XML_ERROR, "Invalid %s value: '%s'", name, v);
        return -1;
    }
    *out = g_steal_pointer(&v);
    return 0;
}

/* Keep one element per namespace, drop namespace-less ones, like libvirt. */
static void
mvDomainSanitizeMetadata(xmlNode *md)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    xmlNode *c, *next;
    for (c = md->children; c; c = next) {
        next = c->next;
        if (c->type != XML_ELEMENT_NODE || !c->ns || !c->ns->href ||
            g_hash_table_contains(seen, c->ns->href)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
            continue;
        }
        g_hash_table_add(seen, (gpointer)c->ns->href);
    }
}

static void
mvXMLSetNsRecursive(xmlNode *n, const char *href, xmlNs *ns)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (n->ns && n->ns->href && strcmp((const char *)n->ns->href, href) == 0)
            n->ns = ns;
        for (xmlAttr *a = n->properties; a; a = a->next)
            if (a->ns && a->ns->href && strcmp((const char *)a->ns->href, href) == 0)
                a->ns = ns;
        mvXMLSetNsRecursive(n->children, href, ns);
    }
}

/* Remove nsDef entries for @href from @n's subtree (after re-pointing). */
static void
mvXMLDropNsDef(xmlNode *n, const char *href)
{
    for (; n; n = n->next) {
        xmlNs **pp;
        if (n->type != XML_ELEMENT_NODE)
            continue;
        pp = &n->nsDef;
        while (*pp) {
            if ((*pp)->href && strcmp((const char *)(*pp)->href, href) == 0) {
                xmlNs *dead = *pp;
                *pp = dead->next;
                dead->next = NULL;
                xmlFreeNs(dead);
            } else {
                pp = &(*pp)->next;
            }
        }
        mvXMLDropNsDef(n->children, href);
    }
}

static gboolean
mvDomainIsQemuElement(const xmlNode *n)
{
    return n->ns && n->ns->href && strcmp((const char *)n->ns->href, MV_DOMAIN_QEMU_NS) == 0 &&
           mvStrIn((const char *)n->name, mvDomainQemuOrder);
}

static int
mvDomainParseDevices(mvDomainDef *def, xmlNode *devices, unsigned int flags, gboolean adopt)
{
    xmlNode *next;
    if (!devices)
        return 0;
    for (xmlNode *c = devices->children; c; c = next) {
        int kind;
        xmlNode *copy;
        mvDomainDeviceDef *dev;
        next = c->next;
        if (c->type != XML_ELEMENT_NODE || c->ns)
            continue;
        if (mvXMLNodeIs(c, "emulator")) {
            if (!def->emulator)
                def->emulator = mvNonEmpty(mvXMLContent(c));
            continue;
        }
        if ((kind = mvDomainDeviceKindFromString((const char *)c->name)) < 0)
            continue;   /* libvirt ignores unknown device elements */
        copy = mvDomainTakeNode(def, c, adopt);
        if (!(dev = mvDomainDeviceParseNode(copy, kind, flags)))
            return -1;
        mvDomainDefAppendDevice(def, dev);
    }
    return 0;
}

static int
mvDomainDefPostParse(mvDomainDef *def, unsigned int flags)
{
    if (def->memoryKiB == 0) {
        mvReportError(MV_ERR_XML_ERROR, "%s",
                      "Memory size must be specified via <memory> or in the <numa> configuration");
        return -1;
    }
    if (def->currentMemoryKiB == 0 || def->currentMemoryKiB > def->memoryKiB)
        def->currentMemoryKiB = def->memoryKiB;

    if (mvDomainDefPostParseDevices(def, flags) < 0)
        return -1;

    /* default boot device */
    if (def->osType && strcmp(def->osType, "hvm") == 0 && def->os &&
        !mvXMLChild(def->os, "boot") && !mvXMLChild(def->os, "kernel") &&
        !mvDomainDefHasDeviceBoot(def))
        mvXMLSetChildProp(def->os, "boot", "dev", "hd");

    /* default clock */
    {
        gboolean hasClock = FALSE;
        for (size_t i = 0; i < def->extra->len; i++)
            if (mvXMLNodeIs(g_ptr_array_index(def->extra, i), "clock"))
                hasClock = TRUE;
        if (!hasClock) {
            xmlNode *clock = xmlNewDocNode(def->doc, NULL, BAD_CAST "clock", NULL);
            mvXMLSetProp(clock, "offset", "utc");
            g_ptr_array_add(def->extra, clock);
        }
    }
    return 0;
}

int
mvDomainDefValidate(const mvDomainDef *def)
{
    static const char *const virtTypes[] = {
        "none", "qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "test", "vmware",
        "hyperv", "vbox", "phyp", "parallels", "bhyve", "vz", "ch", NULL
    };
    if (!def->virtType) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "missing domain type attribute");
        return -1;
    }
    if (!mvStrIn(def->virtType, virtTypes)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "invalid domain type %s", def->virtType);
        return -1;
    }
    if (mvDomainNameCheck(def->name) < 0)
        return -1;
    if (def->title && strchr(def->title, '\n')) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "Domain title can't contain newlines");
        return -1;
    }
    if (def->memoryKiB == 0) {
        mvReportError(MV_ERR_XML_ERROR, "%s",
                      "Memory size must be specified via <memory> or in the <numa> configuration");
        return -1;
    }
    if (def->memoryKiB > (unsigned long long)G_MAXINT64 / 1024 + 1) {
        mvErrorReport(MV_FROM_NONE, MV_ERR_OVERFLOW, "value too large: %lluKiB", def->memoryKiB);
        return -1;
    }
    if (def->currentMemoryKiB > def->memoryKiB) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "current memory must not exceed the maximum memory");
        return -1;
    }
    if ((def->maxMemoryKiB == 0) != (def->maxMemorySlots == 0)) {
        mvReportError(MV_ERR_XML_ERROR, "%s",
                      "both maximum memory size and memory slot count must be specified");
        return -1;
    }
    if (def->maxMemoryKiB && def->maxMemoryKiB < def->memoryKiB) {
        mvReportError(MV_ERR_XML_ERROR, "%s",
                      "maximum memory size must be equal or greater than the actual memory size");
        return -1;
    }
    if (def->vcpusMax == 0 || def->vcpusMax > MV_DOMAIN_MAX_VCPUS) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "maximum vcpus count %u exceeds the supported limit of %d",
                      def->vcpusMax, MV_DOMAIN_MAX_VCPUS);
        return -1;
    }
    if (def->vcpusCurrent == 0 || def->vcpusCurrent > def->vcpusMax) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "maximum vCPU count must not be less than current vCPU count");
        return -1;
    }
    if (!def->osType) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "an os <type> must be specified");
        return -1;
    }
    if (def->os && mvXMLChild(def->os, "boot") && mvDomainDefHasDeviceBoot(def)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "per-device boot elements cannot be used together with os/boot elements");
        return -1;
    }
    return mvDomainDefValidateDevices(def);
}

static xmlNode *
mvDomainFirstChild(const xmlNode *root, const char *name)
{
    return mvXMLChild(root, name);
}

static int
mvDomainCheckRoot(const xmlNode *root)
{
    if (!root || root->type != XML_ELEMENT_NODE || !mvXMLNodeIs(root, "domain")) {
        mvErrorReport(MV_FROM_XML, MV_ERR_XML_ERROR, "expecting root element of 'domain', not '%s'",
                      root ? (const char *)root->name : "");
        return -1;
    }
    return 0;
}

/* Fill @def from <domain> @root.  With @adopt, @root is a detached tree of
 * def->doc and the subtrees kept are moved out of it rather than copied. */
static int
mvDomainDefParseBody(mvDomainDef *def, xmlNode *root, unsigned int flags, gboolean adopt)
{
    xmlNode *n, *next;
    g_autofree char *id = NULL;

    def->virtType = mvXMLProp(root, "type");
    if (!def->virtType) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "missing domain type attribute");
        return -1;
    }
    if (!(flags & MV_DOMAIN_DEF_PARSE_INACTIVE) && (id = mvXMLProp(root, "id"))) {
        int v;
        if (mvStrToInt(id, 10, &v) < 0 || v < -1) {
            mvReportError(MV_ERR_XML_ERROR, "invalid domain id '%s'", id);
            return -1;
        }
        def->id = v;
    }

    /* identity */
    def->name = mvNonEmpty(mvXMLContent(mvDomainFirstChild(root, "name")));
    if (mvDomainNameCheck(def->name) < 0)
        return -1;
    if ((n = mvDomainFirstChild(root, "uuid"))) {
        g_autofree char *s = g_strstrip(mvXMLContent(n));
        if (mvUUIDParse(s, def->uuid) < 0) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "malformed uuid element");
            return -1;
        }
    } else {
        mvUUIDGenerate(def->uuid);
    }
    if ((n = mvDomainFirstChild(root, "genid"))) {
        g_autofree char *s = mvNonEmpty(g_strstrip(mvXMLContent(n)));
        unsigned char g[MV_UUID_BUFLEN];
        char buf[MV_UUID_STRING_BUFLEN];
        if (s) {
            if (mvUUIDParse(s, g) < 0) {
                mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "malformed genid element");
                return -1;
            }
        } else {
            mvUUIDGenerate(g);
        }
        def->genid = g_strdup(mvUUIDFormat(g, buf));
    }
    def->title = mvNonEmpty(mvXMLContent(mvDomainFirstChild(root, "title")));
    if (def->title && strchr(def->title, '\n')) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "Domain title can't contain newlines");
        return -1;
    }
    def->description = mvNonEmpty(mvXMLContent(mvDomainFirstChild(root, "description")));
    if ((n = mvDomainFirstChild(root, "metadata"))) {
        def->metadata = mvDomainTakeNode(def, n, adopt);
        mvDomainSanitizeMetadata(def->metadata);
    }

    /* memory */
    if ((n = mvDomainFirstChild(root, "memory"))) {
        if (mvXMLParseMemoryKiB(n, "./memory[1]", &def->memoryKiB) < 0)
            return -1;
        def->memoryDumpCore = mvXMLProp(n, "dumpCore");
        if (def->memoryDumpCore && !mvStrIn(def->memoryDumpCore, STRL("on", "off"))) {
            mvReportError(MV_ERR_XML_ERROR, "Invalid memory core dump attribute value '%s'",
                          def->memoryDumpCore);
            return -1;
        }
    }
    if (mvXMLParseMemoryKiB(mvDomainFirstChild(root, "currentMemory"), "./currentMemory[1]",
                            &def->currentMemoryKiB) < 0)
        return -1;
    if ((n = mvDomainFirstChild(root, "maxMemory"))) {
        if (mvXMLParseMemoryKiB(n, "./maxMemory[1]", &def->maxMemoryKiB) < 0)
            return -1;
        if (mvXMLPropUInt(n, "slots", 10, &def->maxMemorySlots) < 0)
            return -1;
    }

    if (mvDomainParseVcpu(def, mvDomainFirstChild(root, "vcpu")) < 0)
        return -1;
    if (mvDomainParseOs(def, mvDomainFirstChild(root, "os"), adopt) < 0)
        return -1;
    if (mvDomainParseLifecycle(mvDomainFirstChild(root, "on_poweroff"), "on_poweroff",
                               "destroy", FALSE, &def->onPoweroff) < 0 ||
        mvDomainParseLifecycle(mvDomainFirstChild(root, "on_reboot"), "on_reboot",
                               "restart", FALSE, &def->onReboot) < 0 ||
        mvDomainParseLifecycle(mvDomainFirstChild(root, "on_crash"), "on_crash",
                               "destroy", TRUE, &def->onCrash) < 0)
        return -1;

    /* everything else at the top level */
    for (n = root->children; n; n = next) {
        static const char *const typed[] = {
            "name", "uuid", "genid", "title", "description", "metadata", "memory",
            "currentMemory", "maxMemory", "vcpu", "os", "on_poweroff", "on_reboot",
            "on_crash", "devices", NULL
        };
        next = n->next;
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (n->ns) {
            if (mvDomainIsQemuElement(n)) {
                xmlNode *copy = mvDomainCopyNode(n, def->doc);
                mvXMLSetNsRecursive(copy, MV_DOMAIN_QEMU_NS, mvDomainQemuNs(def));
                mvXMLDropNsDef(copy, MV_DOMAIN_QEMU_NS);
                xmlAddChild(mvDomainHolder(def), copy);
            }
            continue;
        }
        if (mvStrIn((const char *)n->name, typed) || !mvStrIn((const char *)n->name, mvDomainTopOrder))
            continue;
        {
            xmlNode *copy = mvDomainTakeNode(def, n, adopt);
            if (mvDomainNormalizeExtra(copy) < 0) {
                xmlFreeNode(copy);
                return -1;
            }
            g_ptr_array_add(def->extra, copy);
        }
    }

    if (mvDomainParseDevices(def, mvDomainFirstChild(root, "devices"), flags, adopt) < 0)
        return -1;

    if (mvDomainDefPostParse(def, flags) < 0)
        return -1;
    if (mvDomainDefValidate(def) < 0)
        return -1;
    return 0;
}

mvDomainDef *
mvDomainDefParseNode(xmlNode *root, unsigned int flags)
{
    g_autoptr(mvDomainDef) def = NULL;
    if (mvDomainCheckRoot(root) < 0)
        return NULL;
    def = mvDomainDefNew();
    if (mvDomainDefParseBody(def, root, flags, FALSE) < 0)
        return NULL;
    return g_steal_pointer(&def);
}

mvDomainDef *
mvDomainDefParseString(const char *xml, unsigned int flags)
{
    xmlDoc *doc = mvXMLParseStringDict(xml, "(domain_definition)", mvDomainNames());
    xmlNode *root;
    mvDomainDef *def;
    int rc;

    if (!doc)
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (mvDomainCheckRoot(root) < 0) {
        xmlFreeDoc(doc);
        return NULL;
    }
    /* the parsed document becomes the definition's: what is kept of it is
     * moved, not copied, and the rest freed */
    def = mvDomainDefNewInDoc(doc);
    rc = mvDomainDefParseBody(def, root, flags, TRUE);
    xmlFreeNode(root);
    if (rc < 0) {
        mvDomainDefFree(def);
        return NULL;
    }
    return def;
}

/* ===================================================================== */
/* format                                                                 */
/* ===================================================================== */

static void
mvFormatTextElement(GString *buf, int level, const char *name, const char *text)
{
    if (!text)
        return;
    mvXMLIndent(buf, level);
    g_string_append_printf(buf, "<%s>", name);
    mvXMLEscape(buf, text);
    g_string_append_printf(buf, "</%s>\n", name);
}

static void
mvDomainFormatOs(GString *buf, const mvDomainDef *def)
{
    xmlNode *os;
    xmlNode *type;
    if (!def->os)
        return;
    /* a scratch copy outside def->doc: formatting must not touch the
     * definition (nor its document's dictionary) */
    os = xmlDocCopyNode(def->os, NULL, 1);
    type = mvXMLEnsureChild(os, "type");
    mvXMLSetProp(type, "arch", def->osArch);
    mvXMLSetProp(type, "machine", def->osMachine);
    mvXMLSetContent(type, def->osType);
    mvXMLFormatNode(buf, os, 1, mvDomainOrderRules, NULL);
    xmlFreeNode(os);
}

static void
mvDomainFormatDevices(GString *buf, const mvDomainDef *def, unsigned int flags)
{
    g_string_append(buf, "  <devices>\n");
    mvFormatTextElement(buf, 2, "emulator", def->emulator);
    for (int k = 0; k < MV_DOMAIN_DEVICE_LAST; k++) {
        size_t *count;
        mvDomainDeviceDef ***list = mvDomainDefDeviceList((mvDomainDef *)def, k, &count);
        for (size_t i = 0; i < *count; i++)
            mvDomainDeviceFormatBuf(buf, (*list)[i], 2, flags);
    }
    g_string_append(buf, "  </devices>\n");
}

typedef enum {
    MV_TOP_EXTRA = 0,   /* kept verbatim in def->extra */
    MV_TOP_NAME,
    MV_TOP_UUID,
    MV_TOP_GENID,
    MV_TOP_TITLE,
    MV_TOP_DESCRIPTION,
    MV_TOP_METADATA,
    MV_TOP_MAXMEMORY,
    MV_TOP_MEMORY,
    MV_TOP_CURRENTMEMORY,
    MV_TOP_VCPU,
    MV_TOP_OS,
    MV_TOP_ON_POWEROFF,
    MV_TOP_ON_REBOOT,
    MV_TOP_ON_CRASH,
    MV_TOP_DEVICES,
} mvDomainTopKind;

/* Position in mvDomainTopOrder of each top-level element, and which of them
 * mvDomainDefFormat writes from typed fields (mvDomainTopKind, in the order
 * of typedNames). */
typedef struct {
    GHashTable *pos;          /* name -> GINT_TO_POINTER(index + 1) */
    mvDomainTopKind typed[64];
} mvDomainTopTable;

static gpointer
mvDomainTopInit(gpointer data G_GNUC_UNUSED)
{
    static const char *const typedNames[] = { "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory", "currentMemory", "vcpu", "os", "on_poweroff", "on_reboot", "on_crash", "devices", NULL };
    mvDomainTopTable *top = g_new0(mvDomainTopTable, 1);
    top->pos = g_hash_table_new(g_str_hash, g_str_equal);
    for (int t = 0; mvDomainTopOrder[t]; t++) {
        g_assert(t < (int)G_N_ELEMENTS(top->typed));
        if (!g_hash_table_contains(top->pos, mvDomainTopOrder[t]))
            g_hash_table_insert(top->pos, (gpointer)mvDomainTopOrder[t], GINT_TO_POINTER(t + 1));
        for (int k = 0; typedNames[k]; k++)
            if (strcmp(typedNames[k], mvDomainTopOrder[t]) == 0)
                top->typed[t] = (mvDomainTopKind)(k + 1);
    }
    return top;
}

static const mvDomainTopTable *
mvDomainTop(void)
{
    static GOnce once = G_ONCE_INIT;
    return g_once(&once, mvDomainTopInit, NULL);
}

/* Index of @name in mvDomainTopOrder, -1 when absent. */
static int
mvDomainTopIndex(const char *name)
{
    return GPOINTER_TO_INT(g_hash_table_lookup(mvDomainTop()->pos, name)) - 1;
}

char *
mvDomainDefFormat(const mvDomainDef *def, unsigned int flags)
{
    GString *buf = g_string_sized_new(4096);
    xmlNode *holder = mvDomainHolder(def);
    gboolean hasQemu = holder->children != NULL;
    char uuid[MV_UUID_STRING_BUFLEN];
    const mvDomainTopTable *top = mvDomainTop();
    int extraTop[32];

    g_string_append(buf, "<domain type='");
    mvXMLEscape(buf, def->virtType);
    g_string_append_c(buf, '\'');
    if (def->id >= 0 && !(flags & MV_DOMAIN_XML_INACTIVE))
        g_string_append_printf(buf, " id='%d'", def->id);
    if (hasQemu)
        g_string_append(buf, " xmlns:qemu='" MV_DOMAIN_QEMU_NS "'");
    g_string_append(buf, ">\n");

    for (size_t i = 0; i < def->extra->len && i < G_N_ELEMENTS(extraTop); i++)
        extraTop[i] = mvDomainTopIndex((const char *)((xmlNode *)g_ptr_array_index(def->extra, i))->name);

    for (size_t t = 0; mvDomainTopOrder[t]; t++) {
        const char *el = mvDomainTopOrder[t];
        mvDomainTopKind typed = top->typed[t];
        if (typed == MV_TOP_NAME) {
            mvFormatTextElement(buf, 1, "name", def->name);
        } else if (typed == MV_TOP_UUID) {
            mvFormatTextElement(buf, 1, "uuid", mvUUIDFormat(def->uuid, uuid));
        } else if (typed == MV_TOP_GENID) {
            mvFormatTextElement(buf, 1, "genid", def->genid);
        } else if (typed == MV_TOP_TITLE) {
            mvFormatTextElement(buf, 1, "title", def->title);
        } else if (typed == MV_TOP_DESCRIPTION) {
            mvFormatTextElement(buf, 1, "description", def->description);
        } else if (typed == MV_TOP_METADATA) {
            if (def->metadata) {
                g_autofree char *md = mvXMLDumpNode(def->metadata, 1);
                mvXMLIndent(buf, 1);
                g_string_append(buf, md);
                g_string_append_c(buf, '\n');
            }
        } else if (typed == MV_TOP_MAXMEMORY) {
            if (def->maxMemoryKiB)
                g_string_append_printf(buf, "  <maxMemory slots='%u' unit='KiB'>%llu</maxMemory>\n",
                                       def->maxMemorySlots, def->maxMemoryKiB);
        } else if (typed == MV_TOP_MEMORY) {
            g_string_append(buf, "  <memory unit='KiB'");
            if (def->memoryDumpCore)
                g_string_append_printf(buf, " dumpCore='%s'", def->memoryDumpCore);
            g_string_append_printf(buf, ">%llu</memory>\n", def->memoryKiB);
        } else if (typed == MV_TOP_CURRENTMEMORY) {
            g_string_append_printf(buf, "  <currentMemory unit='KiB'>%llu</currentMemory>\n",
                                   def->currentMemoryKiB);
        } else if (typed == MV_TOP_VCPU) {
            g_string_append_printf(buf, "  <vcpu placement='%s'",
                                   def->vcpuPlacement ? def->vcpuPlacement : "static");
            if (def->vcpuCpuset)
                g_string_append_printf(buf, " cpuset='%s'", def->vcpuCpuset);
            if (def->vcpusCurrent != def->vcpusMax)
                g_string_append_printf(buf, " current='%u'", def->vcpusCurrent);
            g_string_append_printf(buf, ">%u</vcpu>\n", def->vcpusMax);
        } else if (typed == MV_TOP_OS) {
            mvDomainFormatOs(buf, def);
        } else if (typed == MV_TOP_ON_POWEROFF) {
            mvFormatTextElement(buf, 1, "on_poweroff", def->onPoweroff);
        } else if (typed == MV_TOP_ON_REBOOT) {
            mvFormatTextElement(buf, 1, "on_reboot", def->onReboot);
        } else if (typed == MV_TOP_ON_CRASH) {
            mvFormatTextElement(buf, 1, "on_crash", def->onCrash);
        } else if (typed == MV_TOP_DEVICES) {
            mvDomainFormatDevices(buf, def, flags);
        } else {
            for (size_t i = 0; i < def->extra->len; i++) {
                xmlNode *n = g_ptr_array_index(def->extra, i);
                if (i < G_N_ELEMENTS(extraTop) ? extraTop[i] == (int)t
                                               : strcmp((const char *)n->name, el) == 0)
                    mvXMLFormatNode(buf, n, 1, mvDomainOrderRules, NULL);
            }
        }
    }

    for (size_t q = 0; hasQemu && mvDomainQemuOrder[q]; q++) {
        for (xmlNode *n = holder->children; n; n = n->next)
            if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, mvDomainQemuOrder[q]) == 0)
                mvXMLFormatNode(buf, n, 1, NULL, mvDomainQemuSkipNs);
    }
    g_string_append(buf, "</domain>\n");
    return g_string_free(buf, FALSE);
}

mvDomainDef *
mvDomainDefCopy(const mvDomainDef *def)
{
    g_autofree char *xml = mvDomainDefFormat(def, MV_DOMAIN_XML_SECURE);
    mvDomainDef *copy = mvDomainDefParseString(xml, MV_DOMAIN_DEF_PARSE_LIVE);
    if (copy)
        copy->id = def->id;
    return copy;
}

/* ===================================================================== */
/* metadata                                                               */
/* ===================================================================== */

static xmlNode *
mvDomainMetadataFind(const mvDomainDef *def, const char *uri)
{
    if (!def->metadata)
        return NULL;
    for (xmlNode *c = def->metadata->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href &&
            strcmp((const char *)c->ns->href, uri) == 0)
            return c;
    return NULL;
}

static void
mvXMLAddNsWhereMissing(xmlNode *n, xmlNs *ns)
{
    for (; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE)
            continue;
        if (!n->ns)
            n->ns = ns;
        mvXMLAddNsWhereMissing(n->children, ns);
    }
}

int
mvDomainDefSetMetadata(mvDomainDef *def, int type, const char *metadata,
                       const char *key, const char *uri)
{
    switch (type) {
    case MV_DOMAIN_METADATA_DESCRIPTION:
        g_clear_pointer(&def->description, g_free);
        if (metadata && *metadata)
            def->description = g_strdup(metadata);
        return 0;
    case MV_DOMAIN_METADATA_TITLE:
        if (metadata && strchr(metadata, '\n')) {
            mvReportError(MV_ERR_INVALID_ARG, "%s", "metadata title can't contain newlines");
            return -1;
        }
        g_clear_pointer(&def->title, g_free);
        if (metadata && *metadata)
            def->title = g_strdup(metadata);
        return 0;
    case MV_DOMAIN_METADATA_ELEMENT: {
        xmlNode *old, *copy = NULL;
        if (!uri) {
            mvReportError(MV_ERR_INVALID_ARG, "%s", "uri in virDomainSetMetadata must not be NULL");
            return -1;
        }
        if (metadata) {
            g_autoptr(xmlDoc) doc = NULL;
            xmlNs *ns;
            if (!key) {
                mvReportError(MV_ERR_INVALID_ARG, "%s", "key in virDomainSetMetadata must not be NULL");
                return -1;
            }
            if (!*key || xmlValidateNCName(BAD_CAST key, 0) != 0) {
                mvReportError(MV_ERR_INVALID_ARG, "invalid namespace prefix '%s'", key);
                return -1;
            }
            if (!(doc = mvXMLParseString(metadata, "(metadata_xml)")))
                return -1;
            copy = mvDomainCopyNode(xmlDocGetRootElement(doc), def->doc);
            ns = xmlNewNs(copy, BAD_CAST uri, BAD_CAST key);
            if (!ns) {
                xmlFreeNode(copy);
                mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "failed to create a new XML namespace");
                return -1;
            }
            mvXMLAddNsWhereMissing(copy, ns);
        }
        while ((old = mvDomainMetadataFind(def, uri)))
            mvDomainFreeDetached(old);
        if (copy) {
            if (!def->metadata)
                def->metadata = xmlNewDocNode(def->doc, NULL, BAD_CAST "metadata", NULL);
            xmlAddChild(def->metadata, copy);
        }
        return 0;
    }
    default:
        mvReportError(MV_ERR_INVALID_ARG, "unknown metadata type '%d'", type);
        return -1;
    }
}

char *
mvDomainDefGetMetadata(const mvDomainDef *def, int type, const char *uri)
{
    const char *val = NULL;
    switch (type) {
    case MV_DOMAIN_METADATA_DESCRIPTION:
        val = def->description;
        break;
    case MV_DOMAIN_METADATA_TITLE:
        val = def->title;
        break;
    case MV_DOMAIN_METADATA_ELEMENT: {
        xmlNode *n, *copy;
        char *ret;
        if (!uri) {
            mvReportError(MV_ERR_INVALID_ARG, "%s", "uri in virDomainGetMetadata must not be NULL");
            return NULL;
        }
        if (!(n = mvDomainMetadataFind(def, uri)))
            break;
        copy = xmlDocCopyNode(n, def->doc, 1);
        mvXMLSetNsRecursive(copy, uri, NULL);
        mvXMLDropNsDef(copy, uri);
        ret = mvXMLDumpNode(copy, 0);
        xmlFreeNode(copy);
        return ret;
    }
    default:
        mvReportError(MV_ERR_INVALID_ARG, "unknown metadata type '%d'", type);
        return NULL;
    }
    if (!val) {
        mvReportError(MV_ERR_NO_DOMAIN_METADATA, "%s", "Requested metadata element is not present");
        return NULL;
    }
    return g_strdup(val);
}

/* ===================================================================== */
/* lookups and hotplug helpers                                            */
/* ===================================================================== */

mvDomainDiskDef *
mvDomainDefFindDisk(const mvDomainDef *def, const char *dstOrSrc)
{
    for (size_t i = 0; i < def->ndisks; i++)
        if (g_strcmp0(def->disks[i]->dst, dstOrSrc) == 0)
            return def->disks[i];
    for (size_t i = 0; i < def->ndisks; i++)
        if (g_strcmp0(def->disks[i]->src, dstOrSrc) == 0)
            return def->disks[i];
    return NULL;
}

mvDomainNetDef *
mvDomainDefFindNet(const mvDomainDef *def, const char *macOrIfname)
{
    unsigned char mac[6];
    char norm[18] = "";
    if (mvMacAddrParse(macOrIfname, mac) == 0)
        mvMacAddrFormat(mac, norm);
    for (size_t i = 0; i < def->nnets; i++)
        if (strcmp(def->nets[i]->mac, norm) == 0 ||
            g_strcmp0(def->nets[i]->ifname, macOrIfname) == 0)
            return def->nets[i];
    return NULL;
}

mvDomainDeviceDef *
mvDomainDeviceDefParseString(const char *xml, const mvDomainDef *def G_GNUC_UNUSED,
                             unsigned int flags)
{
    xmlDoc *doc = mvXMLParseStringDict(xml, "(device_definition)", mvDomainNames());
    xmlNode *root, *c, *next;
    int kind;

    if (!doc)
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (root->ns || (kind = mvDomainDeviceKindFromString((const char *)root->name)) < 0) {
        mvReportError(MV_ERR_XML_ERROR, "unknown device type '%s'", (const char *)root->name);
        xmlFreeDoc(doc);
        return NULL;
    }
    /* the parsed document becomes the device's own (root = the device) */
    for (c = doc->children; c; c = next) {
        next = c->next;
        if (c != root) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
    mvXMLStripBlanks(root);
    return mvDomainDeviceParseNode(root, kind, flags);
}

char *
mvDomainDeviceDefFormat(const mvDomainDeviceDef *dev, unsigned int flags)
{
    GString *buf = g_string_new(NULL);
    mvDomainDeviceFormatBuf(buf, dev, 0, flags);
    return g_string_free(buf, FALSE);
}

/* Move @dev's element into @doc (as a detached node). */
static void
mvDomainDeviceRehome(mvDomainDeviceDef *dev, xmlDoc *doc, gboolean standalone)
{
    xmlNode *old = dev->node;
    xmlNode *copy;
    if (standalone) {
        xmlDoc *own = xmlNewDoc(BAD_CAST "1.0");
        copy = xmlDocCopyNode(old, own, 1);
        xmlDocSetRootElement(own, copy);
    } else {
        copy = xmlDocCopyNode(old, doc, 1);
    }
    if (old->doc && xmlDocGetRootElement(old->doc) == old) {
        xmlFreeDoc(old->doc);
    } else {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    dev->node = copy;
}

int
mvDomainDefAddDevice(mvDomainDef *def, mvDomainDeviceDef *dev)
{
    if (dev->kind == MV_DOMAIN_DEVICE_DISK) {
        mvDomainDiskDef *d = (mvDomainDiskDef *)dev;
        if (mvDomainDefFindDisk(def, d->dst) &&
            g_strcmp0(mvDomainDefFindDisk(def, d->dst)->dst, d->dst) == 0) {
            mvReportError(MV_ERR_OPERATION_INVALID, "target %s already exists", d->dst);
            return -1;
        }
    } else if (dev->kind == MV_DOMAIN_DEVICE_NET) {
        mvDomainNetDef *n = (mvDomainNetDef *)dev;
        for (size_t i = 0; i < def->nnets; i++) {
            if (strcmp(def->nets[i]->mac, n->mac) == 0) {
                mvReportError(MV_ERR_OPERATION_INVALID, "mac address %s already exists", n->mac);
                return -1;
            }
        }
    }
    mvDomainDeviceRehome(dev, def->doc, FALSE);
    mvDomainDefAppendDevice(def, dev);
    if (mvDomainDefPostParseDevices(def, 0) < 0 || mvDomainDefValidateDevices(def) < 0) {
        /* take it back out; the caller keeps ownership on failure */
        size_t *count;
        mvDomainDeviceDef ***list = mvDomainDefDeviceList(def, dev->kind, &count);
        for (size_t i = 0; i < *count; i++) {
            if ((*list)[i] == dev) {
                memmove(&(*list)[i], &(*list)[i + 1], (*count - i - 1) * sizeof(**list));
                (*count)--;
                break;
            }
        }
        mvDomainDeviceRehome(dev, NULL, TRUE);
        return -1;
    }
    return 0;
}

mvDomainDeviceDef *
mvDomainDefRemoveDevice(mvDomainDef *def, const mvDomainDeviceDef *match)
{
    size_t *count;
    mvDomainDeviceDef ***list = mvDomainDefDeviceList(def, match->kind, &count);
    g_autofree char *want = NULL;

    for (size_t i = 0; i < *count; i++) {
        mvDomainDeviceDef *dev = (*list)[i];
        gboolean hit = FALSE;
        if (match->kind == MV_DOMAIN_DEVICE_DISK) {
            hit = g_strcmp0(((mvDomainDiskDef *)dev)->dst, ((const mvDomainDiskDef *)match)->dst) == 0;
        } else if (match->kind == MV_DOMAIN_DEVICE_NET) {
            hit = strcmp(((mvDomainNetDef *)dev)->mac, ((const mvDomainNetDef *)match)->mac) == 0;
        } else {
            g_autofree char *have = mvDomainDeviceDefFormat(dev, MV_DOMAIN_XML_INACTIVE);
            if (!want)
                want = mvDomainDeviceDefFormat(match, MV_DOMAIN_XML_INACTIVE);
            hit = strcmp(have, want) == 0;
        }
        if (hit) {
            memmove(&(*list)[i], &(*list)[i + 1], (*count - i - 1) * sizeof(**list));
            (*count)--;
            mvDomainDeviceRehome(dev, NULL, TRUE);
            return dev;
        }
    }
    mvReportError(MV_ERR_DEVICE_MISSING, "device not found: %s",
                  mvDomainDeviceKindToString(match->kind));
    return NULL;
}
