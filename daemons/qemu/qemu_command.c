/* Domain XML -> QEMU command line.  See qemu_command.h.
 *
 * The layout of the generated command line (option order, JSON property
 * order, aliases, node names, PCI address assignment) follows what libvirt
 * 9.0 produces for QEMU 7.2, so logs, domxml-to-native output and guest
 * visible topology look the same as under libvirt. */
#define MV_FROM_THIS MV_FROM_QEMU

#include "qemu_command.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "util/error.h"
#include "util/uuid.h"
#include "xml/xmlutil.h"

#define QEMU_PATH_DEFAULT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
#define QEMU_GRAPHICS_PORT_MIN 5900
#define QEMU_GRAPHICS_PORT_MAX 65535
#define QEMU_SPICE_X509_DIR "/etc/pki/libvirt-spice"

/* ===================================================================== */
/* small helpers                                                          */
/* ===================================================================== */

static gboolean
qemuStrEq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static gboolean
qemuStrIn(const char *s, const char *const *list)
{
    if (!s)
        return FALSE;
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return TRUE;
    return FALSE;
}
#define QSTRL(...) ((const char *const[]){ __VA_ARGS__, NULL })

static char *
qemuProp(const xmlNode *n, const char *name)
{
    char *v = n ? mvXMLProp(n, name) : NULL;
    if (v && !*v) {
        g_free(v);
        return NULL;
    }
    return v;
}

static char *
qemuChildProp(const xmlNode *n, const char *child, const char *attr)
{
    char *v = n ? mvXMLChildProp(n, child, attr) : NULL;
    if (v && !*v) {
        g_free(v);
        return NULL;
    }
    return v;
}

/* A top-level element kept verbatim in def->extra (features, cpu, clock ...). */
static xmlNode *
qemuDefExtra(const mvDomainDef *def, const char *name)
{
    if (!def->extra)
        return NULL;
    for (guint i = 0; i < def->extra->len; i++) {
        xmlNode *n = g_ptr_array_index(def->extra, i);
        if (mvXMLNodeIs(n, name))
            return n;
    }
    return NULL;
}

static gboolean
qemuArchIsX86(const char *arch)
{
    return qemuStrEq(arch, "x86_64") || qemuStrEq(arch, "i686");
}

static const char *
qemuDefArch(const mvDomainDef *def, const mvQemuCaps *caps)
{
    if (def->osArch)
        return def->osArch;
    if (caps && caps->arch)
        return caps->arch;
    return "x86_64";
}

static gboolean
qemuMachineIsQ35(const char *machine)
{
    return machine && (g_str_has_prefix(machine, "pc-q35") || strcmp(machine, "q35") == 0);
}

static gboolean
qemuMachineIsI440FX(const char *machine)
{
    return machine && (strcmp(machine, "pc") == 0 || g_str_has_prefix(machine, "pc-i440fx") ||
                       g_str_has_prefix(machine, "pc-0.") || g_str_has_prefix(machine, "pc-1."));
}

static gboolean
qemuDefIsQ35(const mvDomainDef *def)
{
    return qemuMachineIsQ35(def->osMachine);
}

static gboolean
qemuDefIsI440FX(const mvDomainDef *def)
{
    return qemuMachineIsI440FX(def->osMachine);
}

/* Escape ',' as ',,' for QEMU's option syntax. */
static void
qemuBufEscapeComma(GString *buf, const char *s)
{
    for (; s && *s; s++) {
        if (*s == ',')
            g_string_append_c(buf, ',');
        g_string_append_c(buf, *s);
    }
}

/* ---- the argument vector ----------------------------------------------- */

typedef struct {
    GPtrArray *args;
} qemuCmd;

static void
qemuCmdAdd(qemuCmd *cmd, const char *arg)
{
    g_ptr_array_add(cmd->args, g_strdup(arg));
}

static void
qemuCmdAddPair(qemuCmd *cmd, const char *opt, const char *val)
{
    qemuCmdAdd(cmd, opt);
    qemuCmdAdd(cmd, val);
}

static void qemuCmdAddPairf(qemuCmd *cmd, const char *opt, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void
qemuCmdAddPairf(qemuCmd *cmd, const char *opt, const char *fmt, ...)
{
    va_list ap;
    qemuCmdAdd(cmd, opt);
    va_start(ap, fmt);
    g_ptr_array_add(cmd->args, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static void
qemuCmdAddPairBuf(qemuCmd *cmd, const char *opt, GString *buf)
{
    qemuCmdAdd(cmd, opt);
    g_ptr_array_add(cmd->args, g_string_free(buf, FALSE));
}

/* ---- ordered JSON objects (property order matters for the goldens) ------ */

typedef struct {
    GString *s;
    gboolean first;
} qemuJSON;

static void
qemuJSONEscape(GString *s, const char *v)
{
    g_string_append_c(s, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        switch (*p) {
        case '"': g_string_append(s, "\\\""); break;
        case '\\': g_string_append(s, "\\\\"); break;
        case '\n': g_string_append(s, "\\n"); break;
        case '\r': g_string_append(s, "\\r"); break;
        case '\t': g_string_append(s, "\\t"); break;
        case '\b': g_string_append(s, "\\b"); break;
        case '\f': g_string_append(s, "\\f"); break;
        default:
            if (*p < 0x20)
                g_string_append_printf(s, "\\u%04x", *p);
            else
                g_string_append_c(s, (char)*p);
        }
    }
    g_string_append_c(s, '"');
}

static void
qemuJSONInit(qemuJSON *j)
{
    j->s = g_string_new("{");
    j->first = TRUE;
}

static void
qemuJSONKey(qemuJSON *j, const char *key)
{
    if (!j->first)
        g_string_append_c(j->s, ',');
    j->first = FALSE;
    qemuJSONEscape(j->s, key);
    g_string_append_c(j->s, ':');
}

static void
qemuJSONStr(qemuJSON *j, const char *key, const char *val)
{
    if (!val)
        return;
    qemuJSONKey(j, key);
    qemuJSONEscape(j->s, val);
}

static void
qemuJSONInt(qemuJSON *j, const char *key, long long val)
{
    qemuJSONKey(j, key);
    g_string_append_printf(j->s, "%lld", val);
}

static void
qemuJSONUInt(qemuJSON *j, const char *key, unsigned long long val)
{
    qemuJSONKey(j, key);
    g_string_append_printf(j->s, "%llu", val);
}

static void
qemuJSONBool(qemuJSON *j, const char *key, gboolean val)
{
    qemuJSONKey(j, key);
    g_string_append(j->s, val ? "true" : "false");
}

static void
qemuJSONRaw(qemuJSON *j, const char *key, const char *raw)
{
    qemuJSONKey(j, key);
    g_string_append(j->s, raw);
}

static char *
qemuJSONFinish(qemuJSON *j)
{
    g_string_append_c(j->s, '}');
    return g_string_free(g_steal_pointer(&j->s), FALSE);
}

static void
qemuCmdAddJSON(qemuCmd *cmd, const char *opt, qemuJSON *j)
{
    qemuCmdAdd(cmd, opt);
    g_ptr_array_add(cmd->args, qemuJSONFinish(j));
}

/* ===================================================================== */
/* device nodes: aliases, addresses, models                               */
/* ===================================================================== */

char *
qemuDeviceGetAlias(const mvDomainDeviceDef *dev)
{
    if (!dev)
        return NULL;
    if (dev->kind == MV_DOMAIN_DEVICE_NET && ((const mvDomainNetDef *)dev)->alias)
        return g_strdup(((const mvDomainNetDef *)dev)->alias);
    return qemuChildProp(dev->node, "alias", "name");
}

static void
qemuDeviceSetAlias(mvDomainDeviceDef *dev, const char *alias)
{
    if (dev->kind == MV_DOMAIN_DEVICE_NET) {
        mvDomainNetDef *net = (mvDomainNetDef *)dev;
        g_free(net->alias);
        net->alias = g_strdup(alias);
    }
    mvXMLSetChildProp(dev->node, "alias", "name", alias);
}

static gboolean
qemuDeviceHasUserAlias(const mvDomainDeviceDef *dev)
{
    g_autofree char *a = qemuDeviceGetAlias(dev);
    return a && g_str_has_prefix(a, "ua-");
}

static mvDomainDeviceDef *
qemuNewGeneric(mvDomainDef *def, mvDomainDeviceKind kind)
{
    mvDomainDeviceDef *dev = g_new0(mvDomainDeviceDef, 1);
    dev->kind = kind;
    dev->node = xmlNewDocNode(def->doc, NULL,
                              BAD_CAST mvDomainDeviceKindToString(kind), NULL);
    return dev;
}

static void
qemuDefInsertDev(mvDomainDef *def, mvDomainDeviceDef *dev, size_t at)
{
    mvDomainDeviceKind k = dev->kind;
    size_t n = def->ndevs[k];
    if (at > n)
        at = n;
    def->devs[k] = g_renew(mvDomainDeviceDef *, def->devs[k], n + 1);
    if (at < n)
        memmove(&def->devs[k][at + 1], &def->devs[k][at], (n - at) * sizeof(mvDomainDeviceDef *));
    def->devs[k][at] = dev;
    def->ndevs[k] = n + 1;
}

/* ---- controllers -------------------------------------------------------- */

static char *
qemuCtrlType(const mvDomainDeviceDef *c)
{
    return qemuProp(c->node, "type");
}

static char *
qemuCtrlModel(const mvDomainDeviceDef *c)
{
    return qemuProp(c->node, "model");
}

static int
qemuCtrlIndex(const mvDomainDeviceDef *c)
{
    unsigned int idx = 0;
    g_autofree char *s = mvXMLProp(c->node, "index");
    if (!s || mvStrToUInt(s, 10, &idx) < 0 || idx > 255)
        return 0;
    return (int)idx;
}

static mvDomainDeviceDef *
qemuFindController(const mvDomainDef *def, const char *type, int idx)
{
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        g_autofree char *t = qemuCtrlType(c);
        if (qemuStrEq(t, type) && qemuCtrlIndex(c) == idx)
            return c;
    }
    return NULL;
}

/* libvirt's virDomainControllerInsert: after the last controller of the same
 * type with a lower index, otherwise at the end. */
static mvDomainDeviceDef *
qemuAddController(mvDomainDef *def, const char *type, int idx, const char *model)
{
    mvDomainDeviceDef *c = qemuNewGeneric(def, MV_DOMAIN_DEVICE_CONTROLLER);
    char buf[16];
    long insertAt = -1;
    size_t n = def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER];

    mvXMLSetProp(c->node, "type", type);
    g_snprintf(buf, sizeof(buf), "%d", idx);
    mvXMLSetProp(c->node, "index", buf);
    if (model)
        mvXMLSetProp(c->node, "model", model);

    for (size_t i = 0; i < n; i++) {
        mvDomainDeviceDef *o = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        g_autofree char *t = qemuCtrlType(o);
        if (!qemuStrEq(t, type))
            continue;
        if (qemuCtrlIndex(o) < idx)
            insertAt = (long)i + 1;
        else if (insertAt < 0)
            insertAt = (long)i;
    }
    qemuDefInsertDev(def, c, insertAt < 0 ? n : (size_t)insertAt);
    return c;
}

/* ---- PCI addresses in the XML ------------------------------------------- */

typedef struct {
    int domain, bus, slot, function;
    gboolean multi;
} qemuPCIAddr;

/* 1 = PCI address present (*addr filled), 0 = none / other type, -1 = bad */
static int
qemuNodeGetPCIAddr(const xmlNode *n, qemuPCIAddr *addr)
{
    xmlNode *a = mvXMLChild(n, "address");
    g_autofree char *type = NULL;
    g_autofree char *multi = NULL;
    unsigned int v;

    memset(addr, 0, sizeof(*addr));
    if (!a)
        return 0;
    type = mvXMLProp(a, "type");
    if (!qemuStrEq(type, "pci"))
        return 0;
#define QEMU_ADDR_FIELD(name, field, max) \
    do { \
        g_autofree char *s = mvXMLProp(a, name); \
        if (s) { \
            if (mvStrToUInt(s, 0, &v) < 0 || v > (max)) { \
                mvReportError(MV_ERR_XML_ERROR, "Invalid PCI address %s '%s'", name, s); \
                return -1; \
            } \
            addr->field = (int)v; \
        } \
    } while (0)
    QEMU_ADDR_FIELD("domain", domain, 0xffff);
    QEMU_ADDR_FIELD("bus", bus, 0xff);
    QEMU_ADDR_FIELD("slot", slot, 0x1f);
    QEMU_ADDR_FIELD("function", function, 7);
#undef QEMU_ADDR_FIELD
    multi = mvXMLProp(a, "multifunction");
    addr->multi = qemuStrEq(multi, "on");
    return 1;
}

static gboolean
qemuNodeHasAddress(const xmlNode *n)
{
    return mvXMLChild(n, "address") != NULL;
}

static void
qemuNodeSetPCIAddr(xmlNode *n, const qemuPCIAddr *addr)
{
    xmlNode *a;
    char buf[16];
    mvXMLRemoveChildren(n, "address");
    a = xmlNewChild(n, NULL, BAD_CAST "address", NULL);
    mvXMLSetProp(a, "type", "pci");
    g_snprintf(buf, sizeof(buf), "0x%04x", addr->domain);
    mvXMLSetProp(a, "domain", buf);
    g_snprintf(buf, sizeof(buf), "0x%02x", addr->bus);
    mvXMLSetProp(a, "bus", buf);
    g_snprintf(buf, sizeof(buf), "0x%02x", addr->slot);
    mvXMLSetProp(a, "slot", buf);
    g_snprintf(buf, sizeof(buf), "0x%x", addr->function);
    mvXMLSetProp(a, "function", buf);
    if (addr->multi)
        mvXMLSetProp(a, "multifunction", "on");
}

static void
qemuNodeSetUSBAddr(xmlNode *n, int bus, const char *port)
{
    xmlNode *a;
    char buf[16];
    mvXMLRemoveChildren(n, "address");
    a = xmlNewChild(n, NULL, BAD_CAST "address", NULL);
    mvXMLSetProp(a, "type", "usb");
    g_snprintf(buf, sizeof(buf), "%d", bus);
    mvXMLSetProp(a, "bus", buf);
    mvXMLSetProp(a, "port", port);
}

/* ===================================================================== */
/* post-parse defaults                                                    */
/* ===================================================================== */

static gboolean
qemuCapsHas(const mvQemuCaps *caps, const char *type)
{
    /* without caps (pure XML handling) assume the device exists */
    return !caps || mvQemuCapsHasType(caps, type);
}

static const char *
qemuDefaultUSBModel(const mvDomainDef *def, const mvQemuCaps *caps)
{
    if (qemuDefIsQ35(def)) {
        if (qemuCapsHas(caps, "qemu-xhci"))
            return "qemu-xhci";
        if (qemuCapsHas(caps, "nec-usb-xhci"))
            return "nec-xhci";
        if (qemuCapsHas(caps, "ich9-usb-ehci1"))
            return "ich9-ehci1";
        return NULL;
    }
    if (qemuArchIsX86(def->osArch))
        return "piix3-uhci";
    if (qemuCapsHas(caps, "qemu-xhci"))
        return "qemu-xhci";
    return NULL;
}

static const char *
qemuDefaultVideoModel(const mvDomainDef *def, const mvQemuCaps *caps)
{
    const char *arch = def->osArch;
    if (arch && g_str_has_prefix(arch, "ppc64"))
        return "vga";
    if (qemuStrEq(arch, "aarch64") || qemuStrEq(arch, "armv7l") ||
        (arch && g_str_has_prefix(arch, "riscv")) || (arch && g_str_has_prefix(arch, "s390")))
        return "virtio";
    if (qemuCapsHas(caps, "cirrus-vga"))
        return "cirrus";
    if (qemuCapsHas(caps, "VGA"))
        return "vga";
    return "vga";
}

static void
qemuVideoDefaults(xmlNode *video)
{
    xmlNode *m = mvXMLChild(video, "model");
    g_autofree char *type = qemuProp(m, "type");
    if (!m || !type)
        return;
    if (qemuStrIn(type, QSTRL("vga", "cirrus", "vmvga", "bochs"))) {
        if (!xmlHasProp(m, BAD_CAST "vram"))
            mvXMLSetProp(m, "vram", "16384");
    } else if (qemuStrEq(type, "qxl")) {
        if (!xmlHasProp(m, BAD_CAST "ram"))
            mvXMLSetProp(m, "ram", "65536");
        if (!xmlHasProp(m, BAD_CAST "vram"))
            mvXMLSetProp(m, "vram", "65536");
        if (!xmlHasProp(m, BAD_CAST "vgamem"))
            mvXMLSetProp(m, "vgamem", "16384");
    }
    if (!qemuStrEq(type, "none") && !xmlHasProp(m, BAD_CAST "heads"))
        mvXMLSetProp(m, "heads", "1");
}

static gboolean
qemuDefHasInput(const mvDomainDef *def, const char *type, const char *bus)
{
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_INPUT]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_INPUT][i]->node;
        g_autofree char *t = qemuProp(n, "type");
        g_autofree char *b = qemuProp(n, "bus");
        if (qemuStrEq(t, type) && qemuStrEq(b, bus))
            return TRUE;
    }
    return FALSE;
}

static void
qemuAddInput(mvDomainDef *def, const char *type, const char *bus)
{
    mvDomainDeviceDef *in;
    if (qemuDefHasInput(def, type, bus))
        return;
    in = qemuNewGeneric(def, MV_DOMAIN_DEVICE_INPUT);
    mvXMLSetProp(in->node, "type", type);
    mvXMLSetProp(in->node, "bus", bus);
    qemuDefInsertDev(def, in, def->ndevs[MV_DOMAIN_DEVICE_INPUT]);
}

int
qemuDomainDefPostParse(mvDomainDef *def, const mvQemuCaps *caps)
{
    const char *arch;
    gboolean x86, q35, i440fx;
    mvDomainDeviceDef *c;

    if (!def->osArch && caps && caps->arch)
        def->osArch = g_strdup(caps->arch);
    arch = qemuDefArch(def, caps);
    x86 = qemuArchIsX86(arch);

    if (caps) {
        const mvQemuMachine *m = def->osMachine ? mvQemuCapsFindMachine(caps, def->osMachine)
                                                : mvQemuCapsDefaultMachine(caps);
        if (!m && def->osMachine) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                          "Emulator '%s' does not support machine type '%s'",
                          caps->binary ? caps->binary : "qemu", def->osMachine);
            return -1;
        }
        if (m && !qemuStrEq(def->osMachine, m->name)) {
            g_free(def->osMachine);
            def->osMachine = g_strdup(m->name);
        }
    }
    q35 = qemuDefIsQ35(def);
    i440fx = qemuDefIsI440FX(def);

    /* PS/2 mouse and keyboard are part of every x86 machine */
    if (x86) {
        qemuAddInput(def, "mouse", "ps2");
        qemuAddInput(def, "keyboard", "ps2");
    }

    /* default USB controller, default USB model */
    if (x86 && !qemuStrEq(def->osMachine, "isapc")) {
        c = qemuFindController(def, "usb", 0);
        if (!c) {
            const char *model = qemuDefaultUSBModel(def, caps);
            if (model)
                qemuAddController(def, "usb", 0, model);
        }
    }
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        mvDomainDeviceDef *d = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        g_autofree char *type = qemuCtrlType(d);
        g_autofree char *model = qemuCtrlModel(d);
        if (qemuStrEq(type, "usb") && !model) {
            const char *dm = qemuDefaultUSBModel(def, caps);
            if (dm)
                mvXMLSetProp(d->node, "model", dm);
        } else if (qemuStrEq(type, "scsi") && !model) {
            mvXMLSetProp(d->node, "model", "lsilogic");
        }
    }

    if (q35 && !qemuFindController(def, "sata", 0))
        qemuAddController(def, "sata", 0, NULL);

    c = qemuFindController(def, "pci", 0);
    if (i440fx || q35) {
        const char *want = q35 ? "pcie-root" : "pci-root";
        if (c) {
            g_autofree char *model = qemuCtrlModel(c);
            if (!model) {
                mvXMLSetProp(c->node, "model", want);
            } else if (!qemuStrEq(model, want)) {
                mvReportError(MV_ERR_XML_ERROR,
                              "The PCI controller with index='0' must be model='%s' for this "
                              "machine type, but model='%s' was found instead", want, model);
                return -1;
            }
        } else {
            qemuAddController(def, "pci", 0, want);
        }
    }

    /* memballoon */
    if (def->ndevs[MV_DOMAIN_DEVICE_MEMBALLOON] == 0 &&
        !(qemuStrEq(arch, "aarch64") || qemuStrEq(arch, "armv7l") || qemuStrEq(arch, "armv6l") ||
          qemuStrEq(arch, "sparc"))) {
        mvDomainDeviceDef *b = qemuNewGeneric(def, MV_DOMAIN_DEVICE_MEMBALLOON);
        mvXMLSetProp(b->node, "model", "virtio");
        qemuDefInsertDev(def, b, 0);
    }

    /* a video device for graphics */
    if (def->ngraphics > 0 && def->ndevs[MV_DOMAIN_DEVICE_VIDEO] == 0) {
        mvDomainDeviceDef *v = qemuNewGeneric(def, MV_DOMAIN_DEVICE_VIDEO);
        xmlNode *m = xmlNewChild(v->node, NULL, BAD_CAST "model", NULL);
        mvXMLSetProp(m, "type", qemuDefaultVideoModel(def, caps));
        mvXMLSetProp(m, "primary", "yes");
        qemuDefInsertDev(def, v, 0);
    }
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_VIDEO]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_VIDEO][i]->node;
        xmlNode *m = mvXMLChild(n, "model");
        g_autofree char *type = qemuProp(m, "type");
        if (!m) {
            m = xmlNewChild(n, NULL, BAD_CAST "model", NULL);
            if (i == 0)
                mvXMLSetProp(m, "primary", "yes");
        }
        if (!type || qemuStrEq(type, "default"))
            mvXMLSetProp(m, "type", qemuDefaultVideoModel(def, caps));
        qemuVideoDefaults(n);
    }

    /* the audio backend QEMU sound devices and VNC use */
    if (def->ndevs[MV_DOMAIN_DEVICE_AUDIO] == 0) {
        const char *backend = NULL;
        if (def->ngraphics == 0)
            backend = "none";
        for (size_t i = 0; i < def->ngraphics; i++) {
            if (qemuStrEq(def->graphics[i]->type, "vnc"))
                backend = "none";
            else if (qemuStrEq(def->graphics[i]->type, "spice"))
                backend = "spice";
            else if (qemuStrEq(def->graphics[i]->type, "sdl"))
                backend = NULL;
        }
        if (backend) {
            mvDomainDeviceDef *a = qemuNewGeneric(def, MV_DOMAIN_DEVICE_AUDIO);
            mvXMLSetProp(a->node, "id", "1");
            mvXMLSetProp(a->node, "type", backend);
            qemuDefInsertDev(def, a, 0);
        }
    }

    /* default NIC model */
    for (size_t i = 0; i < def->nnets; i++) {
        mvDomainNetDef *net = def->nets[i];
        if (net->model || qemuStrEq(net->type, "hostdev"))
            continue;
        if (qemuStrEq(net->type, "vdpa"))
            net->model = g_strdup("virtio");
        else if (x86 && qemuCapsHas(caps, "rtl8139"))
            net->model = g_strdup("rtl8139");
        else if (x86)
            net->model = g_strdup("e1000");
        else
            net->model = g_strdup("virtio");
    }
    return 0;
}

/* ===================================================================== */
/* PCI address assignment (libvirt's algorithm and order)                 */
/* ===================================================================== */

enum {
    QEMU_PCI_PCI = 1 << 0,          /* conventional PCI endpoint */
    QEMU_PCI_PCIE = 1 << 1,         /* PCIe endpoint */
    QEMU_PCI_ROOTPORT = 1 << 2,     /* pcie-root-port */
    QEMU_PCI_PCIEBRIDGE = 1 << 3,   /* pcie-to-pci-bridge */
    QEMU_PCI_PCIBRIDGE = 1 << 4,    /* pci-bridge */
    QEMU_PCI_DMI = 1 << 5,          /* dmi-to-pci-bridge */
    QEMU_PCI_HOTPLUG = 1 << 6,      /* needs a hotpluggable slot */
    QEMU_PCI_AGGREGATE = 1 << 7,    /* may share a slot (multifunction) */
};
#define QEMU_PCI_TYPES (QEMU_PCI_PCI | QEMU_PCI_PCIE | QEMU_PCI_ROOTPORT | \
                        QEMU_PCI_PCIEBRIDGE | QEMU_PCI_PCIBRIDGE | QEMU_PCI_DMI)

typedef struct {
    char *model;          /* controller model of this bus */
    unsigned int accept;
    gboolean hotplug;
    int minSlot, maxSlot;
    guint8 fn[32];
    gboolean agg[32];
} qemuPCIBus;

typedef struct {
    qemuPCIBus *buses;
    int nbuses;
    gboolean q35;
    gboolean dryRun;
} qemuPCISet;

static void
qemuPCISetFree(qemuPCISet *set)
{
    for (int i = 0; i < set->nbuses; i++)
        g_free(set->buses[i].model);
    g_free(set->buses);
    set->buses = NULL;
    set->nbuses = 0;
}

static void
qemuPCIBusInit(qemuPCIBus *bus, const char *model)
{
    memset(bus, 0, sizeof(*bus));
    bus->model = g_strdup(model ? model : "");
    bus->minSlot = 1;
    bus->maxSlot = 31;
    bus->hotplug = TRUE;
    if (qemuStrEq(model, "pci-root")) {
        bus->accept = QEMU_PCI_PCI | QEMU_PCI_PCIBRIDGE;
    } else if (qemuStrEq(model, "pcie-root")) {
        bus->accept = QEMU_PCI_PCIE | QEMU_PCI_ROOTPORT | QEMU_PCI_DMI;
        bus->hotplug = FALSE;
    } else if (qemuStrEq(model, "pcie-root-port") ||
               qemuStrEq(model, "pcie-switch-downstream-port")) {
        bus->accept = QEMU_PCI_PCIE | QEMU_PCI_PCIEBRIDGE;
        bus->minSlot = bus->maxSlot = 0;
    } else if (qemuStrEq(model, "pcie-to-pci-bridge") || qemuStrEq(model, "pci-bridge")) {
        bus->accept = QEMU_PCI_PCI | QEMU_PCI_PCIBRIDGE;
    } else if (qemuStrEq(model, "dmi-to-pci-bridge")) {
        bus->accept = QEMU_PCI_PCIBRIDGE;
        bus->hotplug = FALSE;
        bus->minSlot = 0;
    } else if (qemuStrEq(model, "pci-expander-bus")) {
        bus->accept = QEMU_PCI_PCI | QEMU_PCI_PCIBRIDGE;
        bus->hotplug = FALSE;
        bus->minSlot = 0;
    } else if (qemuStrEq(model, "pcie-expander-bus")) {
        bus->accept = QEMU_PCI_ROOTPORT;
        bus->hotplug = FALSE;
        bus->minSlot = 0;
    } else {
        bus->accept = 0;   /* upstream ports and unknown: explicit addresses only */
        bus->minSlot = 0;
    }
}

static int
qemuPCISetAddBus(qemuPCISet *set, const char *model)
{
    set->buses = g_renew(qemuPCIBus, set->buses, set->nbuses + 1);
    qemuPCIBusInit(&set->buses[set->nbuses], model);
    return set->nbuses++;
}

/* The connect flags of a PCI controller plugging into its parent. */
static unsigned int
qemuPCIControllerFlags(const char *model)
{
    if (qemuStrEq(model, "pcie-root-port"))
        return QEMU_PCI_ROOTPORT | QEMU_PCI_AGGREGATE;
    if (qemuStrEq(model, "pcie-to-pci-bridge"))
        return QEMU_PCI_PCIEBRIDGE;
    if (qemuStrEq(model, "pci-bridge"))
        return QEMU_PCI_PCIBRIDGE;
    if (qemuStrEq(model, "dmi-to-pci-bridge"))
        return QEMU_PCI_DMI;
    if (qemuStrEq(model, "pcie-switch-upstream-port"))
        return QEMU_PCI_PCIE;
    if (qemuStrEq(model, "pci-expander-bus"))
        return QEMU_PCI_PCI;
    if (qemuStrEq(model, "pcie-expander-bus"))
        return QEMU_PCI_PCIE;
    return 0;
}

static char *
qemuPCIAddrStr(const qemuPCIAddr *a)
{
    return g_strdup_printf("%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->function);
}

static gboolean
qemuPCIBusCompatible(const qemuPCIBus *bus, unsigned int flags)
{
    if (!(bus->accept & flags & QEMU_PCI_TYPES))
        return FALSE;
    if ((flags & QEMU_PCI_HOTPLUG) && !bus->hotplug)
        return FALSE;
    return TRUE;
}

static int
qemuPCIReserve(qemuPCISet *set, const qemuPCIAddr *a, unsigned int flags)
{
    qemuPCIBus *bus;
    if (a->domain != 0 || a->bus >= set->nbuses) {
        g_autofree char *s = qemuPCIAddrStr(a);
        mvReportError(MV_ERR_XML_ERROR,
                      "Invalid PCI address %s. Only PCI buses up to %d are available",
                      s, set->nbuses - 1);
        return -1;
    }
    bus = &set->buses[a->bus];
    if (bus->fn[a->slot] & (1u << a->function)) {
        g_autofree char *s = qemuPCIAddrStr(a);
        mvReportError(MV_ERR_XML_ERROR, "Attempted double use of PCI Address %s", s);
        return -1;
    }
    bus->fn[a->slot] |= (guint8)(1u << a->function);
    if (a->function == 0 && (flags & QEMU_PCI_AGGREGATE))
        bus->agg[a->slot] = TRUE;
    return 0;
}

static gboolean
qemuPCISlotInUse(const qemuPCISet *set, int busIdx, int slot)
{
    return busIdx < set->nbuses && set->buses[busIdx].fn[slot] != 0;
}

static gboolean
qemuPCIFindFree(qemuPCISet *set, unsigned int flags, qemuPCIAddr *out)
{
    for (int b = 0; b < set->nbuses; b++) {
        qemuPCIBus *bus = &set->buses[b];
        if (!qemuPCIBusCompatible(bus, flags))
            continue;
        for (int s = bus->minSlot; s <= bus->maxSlot; s++) {
            if (bus->fn[s] == 0) {
                *out = (qemuPCIAddr){ 0, b, s, 0, FALSE };
                return TRUE;
            }
            if ((flags & QEMU_PCI_AGGREGATE) && bus->agg[s]) {
                for (int f = 0; f < 8; f++) {
                    if (!(bus->fn[s] & (1u << f))) {
                        *out = (qemuPCIAddr){ 0, b, s, f, FALSE };
                        return TRUE;
                    }
                }
            }
        }
    }
    return FALSE;
}

static int
qemuPCIGrow(qemuPCISet *set, unsigned int flags)
{
    if (flags & QEMU_PCI_PCI) {
        gboolean haveBridgeBus = FALSE;
        for (int i = 0; i < set->nbuses; i++)
            if (set->buses[i].accept & QEMU_PCI_PCIBRIDGE)
                haveBridgeBus = TRUE;
        if (!haveBridgeBus && set->q35) {
            qemuPCISetAddBus(set, "pcie-root-port");
            qemuPCISetAddBus(set, "pcie-to-pci-bridge");
        } else {
            qemuPCISetAddBus(set, "pci-bridge");
        }
        return 0;
    }
    if (flags & QEMU_PCI_PCIE) {
        qemuPCISetAddBus(set, "pcie-root-port");
        return 0;
    }
    mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                  "a PCI slot is needed to connect a PCI controller, but none is available, "
                  "and it cannot be automatically added");
    return -1;
}

static int
qemuPCIReserveNext(qemuPCISet *set, unsigned int flags, qemuPCIAddr *out)
{
    for (int tries = 0; tries < 4; tries++) {
        if (qemuPCIFindFree(set, flags, out))
            return qemuPCIReserve(set, out, flags);
        if (!set->dryRun || set->nbuses >= 256)
            break;
        if (qemuPCIGrow(set, flags) < 0)
            return -1;
    }
    mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "No more available PCI slots");
    return -1;
}

/* ---- which devices want which kind of slot ------------------------------ */

typedef enum {
    QEMU_PCI_SPECIAL_NONE = 0,
    QEMU_PCI_SPECIAL_PIIX3_USB,    /* pc: 00:01.2 */
    QEMU_PCI_SPECIAL_PIIX3_IDE,    /* pc: 00:01.1 */
    QEMU_PCI_SPECIAL_Q35_SATA,     /* q35: 00:1f.2 */
    QEMU_PCI_SPECIAL_PRIMARY_VIDEO,
    QEMU_PCI_SPECIAL_ICH9_SOUND,   /* q35: 00:1b.0 if free */
    QEMU_PCI_SPECIAL_PCI_CONTROLLER,
} qemuPCISpecial;

typedef struct {
    xmlNode *node;
    unsigned int flags;
    qemuPCISpecial special;
    gboolean wanted;      /* needs an address */
    qemuPCIAddr addr;
    gboolean assigned;
} qemuPCIEntry;

static void
qemuPCIEntryAdd(GArray *list, xmlNode *node, unsigned int flags, qemuPCISpecial special)
{
    qemuPCIEntry e = { 0 };
    xmlNode *a = mvXMLChild(node, "address");
    e.node = node;
    e.flags = flags;
    e.special = special;
    if (!a) {
        e.wanted = TRUE;
    } else {
        g_autofree char *type = mvXMLProp(a, "type");
        if (qemuStrEq(type, "pci") && !xmlHasProp(a, BAD_CAST "slot"))
            e.wanted = TRUE;
        else if (!qemuStrEq(type, "pci"))
            return;   /* another address type (drive, usb, ccw ...) */
    }
    g_array_append_val(list, e);
}

static const char *
qemuVirtioModelKind(const char *model)
{
    /* "virtio-transitional" devices only work in conventional PCI slots */
    if (qemuStrEq(model, "virtio-transitional"))
        return "pci";
    return "virtio";
}

/* Collect every PCI device of @def in libvirt's assignment order. */
static GArray *
qemuPCICollect(const mvDomainDef *def, gboolean q35)
{
    GArray *list = g_array_new(FALSE, TRUE, sizeof(qemuPCIEntry));
    unsigned int pciF = QEMU_PCI_PCI | QEMU_PCI_HOTPLUG;
    unsigned int pcieF = q35 ? (QEMU_PCI_PCIE | QEMU_PCI_HOTPLUG) : pciF;
    unsigned int virtioF = pcieF;
    mvDomainDeviceDef **ctrls = def->devs[MV_DOMAIN_DEVICE_CONTROLLER];
    size_t nctrls = def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER];

    /* PCI controllers */
    for (size_t i = 0; i < nctrls; i++) {
        g_autofree char *type = qemuCtrlType(ctrls[i]);
        g_autofree char *model = qemuCtrlModel(ctrls[i]);
        if (!qemuStrEq(type, "pci") || qemuStrEq(model, "pci-root") || qemuStrEq(model, "pcie-root"))
            continue;
        qemuPCIEntryAdd(list, ctrls[i]->node, qemuPCIControllerFlags(model),
                        QEMU_PCI_SPECIAL_PCI_CONTROLLER);
    }
    /* filesystems */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_FS]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_FS][i]->node;
        g_autofree char *model = qemuProp(n, "model");
        qemuPCIEntryAdd(list, n, qemuStrEq(qemuVirtioModelKind(model), "pci") ? pciF : virtioF, 0);
    }
    /* interfaces */
    for (size_t i = 0; i < def->nnets; i++) {
        mvDomainNetDef *net = def->nets[i];
        unsigned int f;
        if (qemuStrEq(net->type, "hostdev") || qemuStrEq(net->model, "usb-net"))
            continue;
        if (qemuStrEq(net->model, "virtio") || qemuStrEq(net->model, "virtio-non-transitional"))
            f = virtioF;
        else if (qemuStrEq(net->model, "e1000e"))
            f = pcieF;
        else
            f = pciF;
        qemuPCIEntryAdd(list, net->dev.node, f, 0);
    }
    /* sound */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_SOUND]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_SOUND][i]->node;
        g_autofree char *model = qemuProp(n, "model");
        if (qemuStrIn(model, QSTRL("sb16", "pcspk", "usb", "ich7")))
            continue;
        qemuPCIEntryAdd(list, n, pciF,
                        q35 && qemuStrEq(model, "ich9") ? QEMU_PCI_SPECIAL_ICH9_SOUND : 0);
    }
    /* other controllers */
    for (size_t i = 0; i < nctrls; i++) {
        g_autofree char *type = qemuCtrlType(ctrls[i]);
        g_autofree char *model = qemuCtrlModel(ctrls[i]);
        int idx = qemuCtrlIndex(ctrls[i]);
        unsigned int f = pciF;
        qemuPCISpecial sp = 0;
        if (qemuStrIn(type, QSTRL("pci", "fdc", "ccid", "xenbus", "isa")))
            continue;
        if (qemuStrEq(type, "usb")) {
            if (qemuStrEq(model, "none"))
                continue;
            if (qemuStrIn(model, QSTRL("qemu-xhci", "nec-xhci")))
                f = pcieF;
            if (!q35 && idx == 0 && (!model || qemuStrEq(model, "piix3-uhci")))
                sp = QEMU_PCI_SPECIAL_PIIX3_USB;
        } else if (qemuStrEq(type, "ide")) {
            if (idx == 0) {
                if (!q35)
                    sp = QEMU_PCI_SPECIAL_PIIX3_IDE;
                else
                    continue;
            }
        } else if (qemuStrEq(type, "sata")) {
            if (q35 && idx == 0)
                sp = QEMU_PCI_SPECIAL_Q35_SATA;
        } else if (qemuStrEq(type, "scsi")) {
            if (!model || qemuStrEq(model, "ncr53c90"))
                continue;
            if (qemuStrIn(model, QSTRL("virtio-scsi", "virtio-non-transitional")))
                f = virtioF;
        } else if (qemuStrEq(type, "virtio-serial")) {
            f = qemuStrEq(model, "virtio-transitional") ? pciF : virtioF;
        }
        qemuPCIEntryAdd(list, ctrls[i]->node, f, sp);
    }
    /* virtio disks */
    for (size_t i = 0; i < def->ndisks; i++) {
        mvDomainDiskDef *d = def->disks[i];
        g_autofree char *model = NULL;
        if (!qemuStrEq(d->bus, "virtio"))
            continue;
        model = qemuProp(d->dev.node, "model");
        qemuPCIEntryAdd(list, d->dev.node,
                        qemuStrEq(qemuVirtioModelKind(model), "pci") ? pciF : virtioF, 0);
    }
    /* host PCI devices */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_HOSTDEV]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_HOSTDEV][i]->node;
        g_autofree char *mode = qemuProp(n, "mode");
        g_autofree char *type = qemuProp(n, "type");
        if (mode && !qemuStrEq(mode, "subsystem"))
            continue;
        if (!qemuStrIn(type, QSTRL("pci", "scsi_host", "mdev")))
            continue;
        qemuPCIEntryAdd(list, n, pcieF, 0);
    }
    /* memballoon */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_MEMBALLOON]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_MEMBALLOON][i]->node;
        g_autofree char *model = qemuProp(n, "model");
        if (!model || !g_str_has_prefix(model, "virtio"))
            continue;
        qemuPCIEntryAdd(list, n, qemuStrEq(qemuVirtioModelKind(model), "pci") ? pciF : virtioF, 0);
    }
    /* rng */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_RNG]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_RNG][i]->node;
        g_autofree char *model = qemuProp(n, "model");
        qemuPCIEntryAdd(list, n, qemuStrEq(qemuVirtioModelKind(model), "pci") ? pciF : virtioF, 0);
    }
    /* watchdog */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_WATCHDOG]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_WATCHDOG][i]->node;
        g_autofree char *model = qemuProp(n, "model");
        if (qemuStrEq(model, "i6300esb"))
            qemuPCIEntryAdd(list, n, pciF, 0);
    }
    /* video */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_VIDEO]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_VIDEO][i]->node;
        g_autofree char *type = qemuChildProp(n, "model", "type");
        unsigned int f;
        if (!type || qemuStrIn(type, QSTRL("none", "ramfb")))
            continue;
        if (qemuStrEq(type, "virtio"))
            f = virtioF;
        else if (qemuStrEq(type, "bochs"))
            f = pcieF;
        else
            f = pciF;
        qemuPCIEntryAdd(list, n, f, i == 0 ? QEMU_PCI_SPECIAL_PRIMARY_VIDEO : 0);
    }
    /* shmem */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_SHMEM]; i++)
        qemuPCIEntryAdd(list, def->devs[MV_DOMAIN_DEVICE_SHMEM][i]->node, pciF, 0);
    /* virtio input */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_INPUT]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_INPUT][i]->node;
        g_autofree char *bus = qemuProp(n, "bus");
        g_autofree char *model = qemuProp(n, "model");
        if (qemuStrEq(bus, "virtio"))
            qemuPCIEntryAdd(list, n, qemuStrEq(qemuVirtioModelKind(model), "pci") ? pciF : virtioF, 0);
    }
    /* pci-serial */
    for (size_t i = 0; i < def->nserials; i++) {
        if (qemuStrEq(def->serials[i]->targetType, "pci-serial"))
            qemuPCIEntryAdd(list, def->serials[i]->dev.node, pciF, 0);
    }
    /* iommu (virtio), vsock, virtio memory */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_IOMMU]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_IOMMU][i]->node;
        g_autofree char *model = qemuProp(n, "model");
        if (qemuStrEq(model, "virtio"))
            qemuPCIEntryAdd(list, n, virtioF, 0);
    }
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_VSOCK]; i++)
        qemuPCIEntryAdd(list, def->devs[MV_DOMAIN_DEVICE_VSOCK][i]->node, virtioF, 0);
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_MEMORY]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_MEMORY][i]->node;
        g_autofree char *model = qemuProp(n, "model");
        if (qemuStrIn(model, QSTRL("virtio-pmem", "virtio-mem")))
            qemuPCIEntryAdd(list, n, virtioF, 0);
    }
    return list;
}

/* One pass over @list (libvirt runs a dry run that grows the bus set,
 * then the real one). */
static int
qemuPCIAssignPass(qemuPCISet *set, GArray *list)
{
    /* explicit addresses */
    for (guint i = 0; i < list->len; i++) {
        qemuPCIEntry *e = &g_array_index(list, qemuPCIEntry, i);
        e->assigned = FALSE;
        if (e->wanted)
            continue;
        if (qemuNodeGetPCIAddr(e->node, &e->addr) < 0)
            return -1;
        if (qemuPCIReserve(set, &e->addr, e->flags) < 0)
            return -1;
        e->assigned = TRUE;
    }

    /* chipset-integrated devices */
    if (!set->q35) {
        qemuPCIAddr fixed = { 0, 0, 1, 0, FALSE };
        for (guint i = 0; i < list->len; i++) {
            qemuPCIEntry *e = &g_array_index(list, qemuPCIEntry, i);
            if (e->special == QEMU_PCI_SPECIAL_PIIX3_USB || e->special == QEMU_PCI_SPECIAL_PIIX3_IDE) {
                qemuPCIAddr want = { 0, 0, 1, e->special == QEMU_PCI_SPECIAL_PIIX3_USB ? 2 : 1, FALSE };
                if (e->assigned) {
                    if (e->addr.bus != 0 || e->addr.slot != 1 || e->addr.function != want.function) {
                        mvReportError(MV_ERR_INTERNAL_ERROR,
                                      e->special == QEMU_PCI_SPECIAL_PIIX3_USB
                                      ? "PIIX3 USB controller at index 0 must have PCI address 0:0:1.2"
                                      : "Primary IDE controller must have PCI address 0:0:1.1");
                        return -1;
                    }
                    continue;
                }
                if (qemuPCIReserve(set, &want, 0) < 0)
                    return -1;
                e->addr = want;
                e->assigned = TRUE;
            }
        }
        if (set->nbuses > 0 && qemuStrEq(set->buses[0].model, "pci-root")) {
            /* ISA bridge 00:01.0 and the PM/SMBus function 00:01.3 */
            if (!(set->buses[0].fn[1] & 1) && qemuPCIReserve(set, &fixed, 0) < 0)
                return -1;
            fixed.function = 3;
            if (!(set->buses[0].fn[1] & 8) && qemuPCIReserve(set, &fixed, 0) < 0)
                return -1;
        }
    } else {
        qemuPCIAddr fixed = { 0, 0, 0x1f, 0, TRUE };
        for (guint i = 0; i < list->len; i++) {
            qemuPCIEntry *e = &g_array_index(list, qemuPCIEntry, i);
            if (e->special != QEMU_PCI_SPECIAL_Q35_SATA)
                continue;
            if (e->assigned) {
                if (e->addr.bus != 0 || e->addr.slot != 0x1f || e->addr.function != 2) {
                    mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                                  "Primary SATA controller must have PCI address 0:0:1f.2");
                    return -1;
                }
                continue;
            }
            e->addr = (qemuPCIAddr){ 0, 0, 0x1f, 2, FALSE };
            if (qemuPCIReserve(set, &e->addr, 0) < 0)
                return -1;
            e->assigned = TRUE;
        }
        if (set->nbuses > 0) {
            if (!(set->buses[0].fn[0x1f] & 1) && qemuPCIReserve(set, &fixed, 0) < 0)
                return -1;
            fixed.function = 3;
            fixed.multi = FALSE;
            if (!(set->buses[0].fn[0x1f] & 8) && qemuPCIReserve(set, &fixed, 0) < 0)
                return -1;
        }
    }

    /* primary video: slot 2 on pc, slot 1 on q35, when free */
    for (guint i = 0; i < list->len; i++) {
        qemuPCIEntry *e = &g_array_index(list, qemuPCIEntry, i);
        int slot = set->q35 ? 1 : 2;
        if (e->special != QEMU_PCI_SPECIAL_PRIMARY_VIDEO || e->assigned || set->nbuses == 0)
            continue;
        if (!qemuPCISlotInUse(set, 0, slot)) {
            e->addr = (qemuPCIAddr){ 0, 0, slot, 0, FALSE };
            if (qemuPCIReserve(set, &e->addr, 0) < 0)
                return -1;
        } else if (qemuPCIReserveNext(set, e->flags, &e->addr) < 0) {
            return -1;
        }
        e->assigned = TRUE;
    }

    /* q35: the ICH9 HD audio lives at 00:1b.0 */
    if (set->q35 && set->nbuses > 0 && !qemuPCISlotInUse(set, 0, 0x1b)) {
        for (guint i = 0; i < list->len; i++) {
            qemuPCIEntry *e = &g_array_index(list, qemuPCIEntry, i);
            if (e->special != QEMU_PCI_SPECIAL_ICH9_SOUND || e->assigned)
                continue;
            e->addr = (qemuPCIAddr){ 0, 0, 0x1b, 0, FALSE };
            if (qemuPCIReserve(set, &e->addr, 0) < 0)
                return -1;
            e->assigned = TRUE;
            break;
        }
    }

    /* everything else, in order */
    for (guint i = 0; i < list->len; i++) {
        qemuPCIEntry *e = &g_array_index(list, qemuPCIEntry, i);
        if (e->assigned || !e->flags)
            continue;
        if (qemuPCIReserveNext(set, e->flags, &e->addr) < 0)
            return -1;
        e->assigned = TRUE;
    }
    return 0;
}

static int
qemuPCISetInit(qemuPCISet *set, const mvDomainDef *def, gboolean q35, gboolean dryRun)
{
    int maxIdx = -1;
    memset(set, 0, sizeof(*set));
    set->q35 = q35;
    set->dryRun = dryRun;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        g_autofree char *type = qemuCtrlType(c);
        if (qemuStrEq(type, "pci"))
            maxIdx = MAX(maxIdx, qemuCtrlIndex(c));
    }
    for (int b = 0; b <= maxIdx; b++) {
        mvDomainDeviceDef *c = qemuFindController(def, "pci", b);
        g_autofree char *model = c ? qemuCtrlModel(c) : NULL;
        qemuPCISetAddBus(set, model);
    }
    return maxIdx;
}

static void
qemuPCIFillControllerDetails(mvDomainDef *def)
{
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        g_autofree char *type = qemuCtrlType(c);
        g_autofree char *model = qemuCtrlModel(c);
        qemuPCIAddr a;
        int idx = qemuCtrlIndex(c);
        char buf[32];
        xmlNode *tgt;

        if (!qemuStrEq(type, "pci"))
            continue;
        if (qemuStrEq(model, "pcie-root-port")) {
            if (!mvXMLChild(c->node, "model"))
                mvXMLSetChildProp(c->node, "model", "name", "pcie-root-port");
            tgt = mvXMLEnsureChild(c->node, "target");
            if (!xmlHasProp(tgt, BAD_CAST "chassis")) {
                g_snprintf(buf, sizeof(buf), "%d", idx);
                mvXMLSetProp(tgt, "chassis", buf);
            }
            if (!xmlHasProp(tgt, BAD_CAST "port") && qemuNodeGetPCIAddr(c->node, &a) > 0) {
                g_snprintf(buf, sizeof(buf), "0x%x", (a.slot << 3) + a.function);
                mvXMLSetProp(tgt, "port", buf);
            }
        } else if (qemuStrEq(model, "pcie-to-pci-bridge")) {
            if (!mvXMLChild(c->node, "model"))
                mvXMLSetChildProp(c->node, "model", "name", "pcie-pci-bridge");
        } else if (qemuStrEq(model, "pci-bridge")) {
            if (!mvXMLChild(c->node, "model"))
                mvXMLSetChildProp(c->node, "model", "name", "pci-bridge");
            tgt = mvXMLEnsureChild(c->node, "target");
            if (!xmlHasProp(tgt, BAD_CAST "chassisNr")) {
                g_snprintf(buf, sizeof(buf), "%d", idx);
                mvXMLSetProp(tgt, "chassisNr", buf);
            }
        } else if (qemuStrEq(model, "dmi-to-pci-bridge")) {
            if (!mvXMLChild(c->node, "model"))
                mvXMLSetChildProp(c->node, "model", "name", "i82801b11-bridge");
        }
    }
}

static gboolean
qemuDefSupportsPCI(const mvDomainDef *def)
{
    return qemuFindController(def, "pci", 0) != NULL;
}

static int
qemuDomainAssignPCIAddresses(mvDomainDef *def)
{
    gboolean q35 = qemuDefIsQ35(def);
    qemuPCISet set = { 0 };
    g_autoptr(GArray) list = NULL;
    int maxIdx;

    if (!qemuDefSupportsPCI(def))
        return 0;

    /* dry run: find out which buses have to be added */
    maxIdx = qemuPCISetInit(&set, def, q35, TRUE);
    list = qemuPCICollect(def, q35);
    if (qemuPCIAssignPass(&set, list) < 0)
        goto error;
    if (q35 && maxIdx <= 0 && set.nbuses > maxIdx + 1) {
        /* one free hotpluggable pcie-root-port for later additions */
        qemuPCIAddr spare;
        if (qemuPCIReserveNext(&set, QEMU_PCI_PCIE | QEMU_PCI_HOTPLUG, &spare) < 0)
            goto error;
    }
    for (int b = 1; b < set.nbuses; b++) {
        mvDomainDeviceDef *c;
        qemuPCIAddr a;
        if (qemuFindController(def, "pci", b))
            continue;
        c = qemuAddController(def, "pci", b, set.buses[b].model);
        (void)c;
        if (qemuPCIReserveNext(&set, qemuPCIControllerFlags(set.buses[b].model), &a) < 0)
            goto error;
    }
    qemuPCISetFree(&set);
    g_clear_pointer(&list, g_array_unref);

    /* the real pass */
    qemuPCISetInit(&set, def, q35, FALSE);
    list = qemuPCICollect(def, q35);
    if (qemuPCIAssignPass(&set, list) < 0)
        goto error;
    for (guint i = 0; i < list->len; i++) {
        qemuPCIEntry *e = &g_array_index(list, qemuPCIEntry, i);
        if (e->wanted && e->assigned)
            qemuNodeSetPCIAddr(e->node, &e->addr);
    }
    /* function 0 of a slot with more functions in use is multifunction */
    for (guint i = 0; i < list->len; i++) {
        qemuPCIEntry *e = &g_array_index(list, qemuPCIEntry, i);
        xmlNode *a;
        if (!e->assigned || e->addr.function != 0 || e->addr.bus >= set.nbuses)
            continue;
        a = mvXMLChild(e->node, "address");
        if (a && !xmlHasProp(a, BAD_CAST "multifunction") &&
            (set.buses[e->addr.bus].fn[e->addr.slot] & ~1u))
            mvXMLSetProp(a, "multifunction", "on");
    }
    qemuPCISetFree(&set);
    qemuPCIFillControllerDetails(def);
    return 0;

 error:
    qemuPCISetFree(&set);
    return -1;
}
