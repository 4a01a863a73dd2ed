/* Safe XML parsing and libvirt-style formatting helpers. */
#define MV_FROM_THIS MV_FROM_XML
#include "xml/xmlutil.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlsave.h>

#include "util/error.h"

/* ===================================================================== */
/* Parsing                                                                */
/* ===================================================================== */

typedef struct {
    const char *refused;   /* static reason when we stopped the parser */
    char *detail;          /* first fatal syntax error, libvirt layout */
} mvXMLParserData;

static void
mvXMLStop(xmlParserCtxt *ctxt, const char *why)
{
    mvXMLParserData *data = ctxt->_private;
    if (!data->refused)
        data->refused = why;
    xmlStopParser(ctxt);
}

static void
mvXMLInternalSubset(void *ctx, const xmlChar *name G_GNUC_UNUSED,
                    const xmlChar *externalID G_GNUC_UNUSED,
                    const xmlChar *systemID G_GNUC_UNUSED)
{
    mvXMLStop(ctx, "document type declarations are not allowed");
}

static void
mvXMLEntityDecl(void *ctx, const xmlChar *name G_GNUC_UNUSED, int type G_GNUC_UNUSED,
                const xmlChar *publicId G_GNUC_UNUSED, const xmlChar *systemId G_GNUC_UNUSED,
                xmlChar *content G_GNUC_UNUSED)
{
    mvXMLStop(ctx, "entity declarations are not allowed");
}

static xmlEntity *
mvXMLGetEntity(void *ctx G_GNUC_UNUSED, const xmlChar *name G_GNUC_UNUSED)
{
    /* Only the predefined entities (handled by the parser itself) exist. */
    return NULL;
}

static void
mvXMLStartElementNs(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                    const xmlChar *URI, int nb_namespaces, const xmlChar **namespaces,
                    int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
    xmlParserCtxt *ctxt = ctx;
    if (ctxt->nameNr > MV_XML_MAX_DEPTH) {
        mvXMLStop(ctxt, "document nesting is too deep");
        return;
    }
    xmlSAX2StartElementNs(ctx, localname, prefix, URI, nb_namespaces, namespaces,
                          nb_attributes, nb_defaulted, attributes);
}

/* Build libvirt's "FILE:LINE: message\n<source line>\n-----^" text. */
static void
mvXMLErrorCb(void *ctx, const char *msg G_GNUC_UNUSED, ...)
{
    xmlParserCtxt *ctxt = ctx;
    mvXMLParserData *data;
    const xmlChar *cur, *base, *start;
    size_t n, col;

    if (!ctxt || !(data = ctxt->_private) || data->detail || data->refused)
        return;
    if (ctxt->lastError.level != XML_ERR_FATAL || !ctxt->lastError.message)
        return;

    g_autoptr(GString) line = g_string_new(NULL);
    g_autoptr(GString) ptr = g_string_new(NULL);

    if (ctxt->input && ctxt->input->cur && ctxt->input->base) {
        cur = ctxt->input->cur;
        base = ctxt->input->base;
        /* step back over line ends, then to the start of the line (bounded) */
        while (cur > base && (*cur == '\n' || *cur == '\r'))
            cur--;
        n = 0;
        while (n++ < 80 && cur > base && *cur != '\n' && *cur != '\r')
            cur--;
        if (*cur == '\n' || *cur == '\r')
            cur++;
        start = cur;
        col = ctxt->input->cur > start ? (size_t)(ctxt->input->cur - start) : 0;
        n = 0;
        while (*cur && *cur != '\n' && *cur != '\r' && n < 80) {
            g_string_append_c(line, *cur);
            cur++;
            n++;
        }
        for (n = 0; n < col && n < line->len; n++)
            g_string_append_c(ptr, line->str[n] == '\t' ? '\t' : '-');
    }
    g_string_append_c(ptr, '^');

    const char *emsg = ctxt->lastError.message;
    if (ctxt->lastError.file)
        data->detail = g_strdup_printf("%s:%d: %s%s\n%s", ctxt->lastError.file,
                                       ctxt->lastError.line, emsg, line->str, ptr->str);
    else
        data->detail = g_strdup_printf("at line %d: %s%s\n%s", ctxt->lastError.line,
                                       emsg, line->str, ptr->str);
}

static void
mvXMLWarningCb(void *ctx G_GNUC_UNUSED, const char *msg G_GNUC_UNUSED, ...)
{
}

xmlDoc *
mvXMLParseString(const char *xml, const char *docname)
{
    return mvXMLParseStringDict(xml, docname, NULL);
}

xmlDoc *
mvXMLParseStringDict(const char *xml, const char *docname, xmlDict *names)
{
    mvXMLParserData data = { 0 };
    xmlParserCtxt *ctxt;
    xmlDoc *doc = NULL;
    size_t len;
    /* libvirt reports parse errors in the domain of the object being parsed */
    int from = !docname ? MV_FROM_XML :
               strstr(docname, "domain") ? MV_FROM_DOMAIN :
               strstr(docname, "network") ? MV_FROM_NETWORK :
               strstr(docname, "storage") || strstr(docname, "volume") ? MV_FROM_STORAGE :
               strstr(docname, "secret") ? MV_FROM_SECRET :
               strstr(docname, "node_device") ? MV_FROM_NODEDEV : MV_FROM_XML;

    if (!xml) {
        mvErrorReport(from, MV_ERR_INVALID_ARG, "%s", "missing XML document");
        return NULL;
    }
    len = strnlen(xml, (size_t)MV_XML_MAX_SIZE + 1);
    if (len > MV_XML_MAX_SIZE) {
        mvErrorReport(from, MV_ERR_XML_ERROR, "document is larger than %d bytes",
                      MV_XML_MAX_SIZE);
        return NULL;
    }

    if (!(ctxt = xmlNewParserCtxt()) || !ctxt->sax) {
        xmlFreeParserCtxt(ctxt);
        mvErrorReport(from, MV_ERR_NO_MEMORY, NULL);
        return NULL;
    }
    if (names) {
        /* names already in the shared read-only dictionary are not copied
         * into this document's own one */
        xmlDict *sub = xmlDictCreateSub(names);
        if (sub) {
            xmlDictFree(ctxt->dict);
            ctxt->dict = sub;
        }
    }
    ctxt->_private = &data;
    ctxt->sax->error = mvXMLErrorCb;
    ctxt->sax->fatalError = mvXMLErrorCb;
    ctxt->sax->warning = mvXMLWarningCb;
    ctxt->sax->internalSubset = mvXMLInternalSubset;
    ctxt->sax->externalSubset = mvXMLInternalSubset;
    ctxt->sax->entityDecl = mvXMLEntityDecl;
    ctxt->sax->getEntity = mvXMLGetEntity;
    ctxt->sax->getParameterEntity = mvXMLGetEntity;
    ctxt->sax->startElementNs = mvXMLStartElementNs;
    ctxt->vctxt.error = NULL;
    ctxt->vctxt.warning = NULL;

    doc = xmlCtxtReadMemory(ctxt, xml, (int)len, docname, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
                            XML_PARSE_NOXINCNODE | XML_PARSE_COMPACT);

    if (data.refused) {
        mvErrorReport(from, MV_ERR_XML_ERROR, "%s", data.refused);
        goto error;
    }
    if (!doc || !ctxt->wellFormed) {
        if (data.detail)
            mvErrorReport(from, MV_ERR_XML_DETAIL, "%s", data.detail);
        else
            mvErrorReport(from, MV_ERR_XML_ERROR, "%s", "failed to parse xml document");
        goto error;
    }
    if (doc->intSubset || doc->extSubset) {
        mvErrorReport(from, MV_ERR_XML_ERROR, "%s",
                      "document type declarations are not allowed");
        goto error;
    }
    if (!xmlDocGetRootElement(doc)) {
        mvErrorReport(from, MV_ERR_INTERNAL_ERROR, "%s", "missing root element");
        goto error;
    }
    g_free(data.detail);
    xmlFreeParserCtxt(ctxt);
    return doc;

 error:
    g_free(data.detail);
    if (doc)
        xmlFreeDoc(doc);
    xmlFreeParserCtxt(ctxt);
    return NULL;
}

/* ===================================================================== */
/* Node access                                                            */
/* ===================================================================== */

gboolean
mvXMLNodeIs(const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && !node->ns &&
           strcmp((const char *)node->name, name) == 0;
}

xmlNode *
mvXMLChild(const xmlNode *node, const char *name)
{
    if (!node)
        return NULL;
    for (xmlNode *c = node->children; c; c = c->next)
        if (mvXMLNodeIs(c, name))
            return c;
    return NULL;
}

xmlNode *
mvXMLNextNamed(const xmlNode *node, const char *name)
{
    for (xmlNode *c = node ? node->next : NULL; c; c = c->next)
        if (mvXMLNodeIs(c, name))
            return c;
    return NULL;
}

size_t
mvXMLChildCount(const xmlNode *node, const char *name)
{
    size_t n = 0;
    if (!node)
        return 0;
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (!name || mvXMLNodeIs(c, name))
            n++;
    }
    return n;
}

char *
mvXMLProp(const xmlNode *node, const char *name)
{
    xmlChar *v;
    char *ret;
    if (!node || node->type != XML_ELEMENT_NODE)
        return NULL;
    if (!(v = xmlGetNoNsProp(node, BAD_CAST name)))
        return NULL;
    ret = g_strdup((const char *)v);
    xmlFree(v);
    return ret;
}

char *
mvXMLContent(const xmlNode *node)
{
    xmlChar *v;
    char *ret;
    if (!node)
        return NULL;
    v = xmlNodeGetContent(node);
    ret = g_strdup(v ? (const char *)v : "");
    xmlFree(v);
    return ret;
}

char *
mvXMLChildProp(const xmlNode *node, const char *child, const char *attr)
{
    return mvXMLProp(mvXMLChild(node, child), attr);
}

gboolean
mvXMLIsBlank(const char *s)
{
    if (!s)
        return TRUE;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return FALSE;
    return TRUE;
}

/* ===================================================================== */
/* Node editing                                                           */
/* ===================================================================== */

/* Text node of @doc holding @text; short strings are stored inside the node
 * itself (libxml2's XML_PARSE_COMPACT layout) instead of a separate
 * allocation. */
static xmlNode *
mvXMLNewText(xmlDoc *doc, const char *text)
{
    size_t len = strlen(text);
    xmlNode *t;
    if (len >= 2 * sizeof(void *))
        return xmlNewDocText(doc, BAD_CAST text);
    if (!(t = xmlNewDocText(doc, NULL)))
        return NULL;
    memcpy(&t->properties, text, len + 1);
    t->content = (xmlChar *)&t->properties;
    return t;
}

/* Replace the children of @parent (element or attribute) by one text node. */
static void
mvXMLReplaceText(xmlNode *parent, const char *text)
{
    xmlNode *t = mvXMLNewText(parent->doc, text);
    if (parent->children)
        xmlFreeNodeList(parent->children);
    parent->children = parent->last = t;
    if (t)
        t->parent = parent;
}

void
mvXMLCompact(xmlNode *node)
{
    for (; node; node = node->next) {
        if (node->type == XML_TEXT_NODE) {
            xmlChar *c = node->content;
            size_t len;
            if (!c || c == (xmlChar *)&node->properties || node->properties || node->nsDef)
                continue;
            if ((len = strlen((const char *)c)) >= 2 * sizeof(void *))
                continue;
            memcpy(&node->properties, c, len + 1);
            node->content = (xmlChar *)&node->properties;
            if (!node->doc || !node->doc->dict || !xmlDictOwns(node->doc->dict, c))
                xmlFree(c);
        } else if (node->type == XML_ELEMENT_NODE) {
            for (xmlAttr *a = node->properties; a; a = a->next)
                mvXMLCompact(a->children);
            mvXMLCompact(node->children);
        }
    }
}

void
mvXMLSetProp(xmlNode *node, const char *name, const char *value)
{
    xmlAttr *a;
    if (!node)
        return;
    if (!value) {
        if ((a = xmlHasProp(node, BAD_CAST name)))
            xmlRemoveProp(a);
        return;
    }
    if (node->type != XML_ELEMENT_NODE || strchr(name, ':')) {
        xmlSetProp(node, BAD_CAST name, BAD_CAST value);
        return;
    }
    for (a = node->properties; a; a = a->next)
        if (!a->ns && strcmp((const char *)a->name, name) == 0)
            break;
    if (a && a->atype == XML_ATTRIBUTE_ID) {
        xmlSetProp(node, BAD_CAST name, BAD_CAST value);
        return;
    }
    if (!a && !(a = xmlNewProp(node, BAD_CAST name, NULL)))
        return;
    mvXMLReplaceText((xmlNode *)a, value);
}

xmlNode *
mvXMLEnsureChild(xmlNode *node, const char *name)
{
    xmlNode *c = mvXMLChild(node, name);
    if (!c)
        c = xmlNewChild(node, NULL, BAD_CAST name, NULL);
    return c;
}

void
mvXMLSetChildProp(xmlNode *node, const char *child, const char *attr, const char *value)
{
    xmlNode *c;
    if (value) {
        mvXMLSetProp(mvXMLEnsureChild(node, child), attr, value);
        return;
    }
    if (!(c = mvXMLChild(node, child)))
        return;
    mvXMLSetProp(c, attr, NULL);
    if (!c->properties && mvXMLChildCount(c, NULL) == 0) {
        g_autofree char *t = mvXMLContent(c);
        if (mvXMLIsBlank(t)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
}

void
mvXMLRemoveChildren(xmlNode *node, const char *name)
{
    xmlNode *c, *next;
    if (!node)
        return;
    for (c = node->children; c; c = next) {
        next = c->next;
        if (mvXMLNodeIs(c, name)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
    }
}

void
mvXMLSetContent(xmlNode *node, const char *text)
{
    g_autofree xmlChar *enc = NULL;
    if (!node)
        return;
    if (node->type == XML_ELEMENT_NODE && text && *text) {
        mvXMLReplaceText(node, text);
        return;
    }
    enc = xmlEncodeSpecialChars(node->doc, BAD_CAST(text ? text : ""));
    xmlNodeSetContent(node, enc);
}

void
mvXMLStripBlanks(xmlNode *node)
{
    xmlNode *c, *next;
    gboolean hasElem = FALSE;
    if (!node)
        return;
    for (c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            hasElem = TRUE;
    for (c = node->children; c; c = next) {
        next = c->next;
        if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE ||
            (hasElem && c->type == XML_TEXT_NODE && mvXMLIsBlank((const char *)c->content))) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE) {
            mvXMLStripBlanks(c);
        }
    }
}

/* ===================================================================== */
/* Numbers                                                                */
/* ===================================================================== */

int
mvStrToULLong(const char *s, int base, unsigned long long *val)
{
    const char *p;
    char *end = NULL;
    unsigned long long v;

    if (!s)
        return -1;
    p = s;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (!g_ascii_isdigit(*p))
        return -1;    /* refuses '-', '+', empty */
    errno = 0;
    v = strtoull(p, &end, base);
    if (errno != 0 || end == p)
        return -1;
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    if (*end)
        return -1;
    *val = v;
    return 0;
}

int
mvStrToUInt(const char *s, int base, unsigned int *val)
{
    unsigned long long v;
    if (mvStrToULLong(s, base, &v) < 0 || v > UINT_MAX)
        return -1;
    *val = (unsigned int)v;
    return 0;
}

int
mvStrToLLong(const char *s, int base, long long *val)
{
    const char *p;
    char *end = NULL;
    long long v;

    if (!s)
        return -1;
    p = s;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    if (!g_ascii_isdigit(*p) && !(*p == '-' && g_ascii_isdigit(p[1])))
        return -1;
    errno = 0;
    v = strtoll(p, &end, base);
    if (errno != 0 || end == p)
        return -1;
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    if (*end)
        return -1;
    *val = v;
    return 0;
}

int
mvStrToInt(const char *s, int base, int *val)
{
    long long v;
    if (mvStrToLLong(s, base, &v) < 0 || v > INT_MAX || v < INT_MIN)
        return -1;
    *val = (int)v;
    return 0;
}

static int
mvXMLPropInvalid(const xmlNode *node, const char *name, const char *value, const char *expect)
{
    mvReportError(MV_ERR_XML_ERROR,
                  "Invalid value for attribute '%s' in element '%s': '%s'. Expected %s",
                  name, (const char *)node->name, value, expect);
    return -1;
}

int
mvXMLPropUInt(const xmlNode *node, const char *name, int base, unsigned int *val)
{
    g_autofree char *s = mvXMLProp(node, name);
    if (!s)
        return 0;
    if (mvStrToUInt(s, base, val) < 0)
        return mvXMLPropInvalid(node, name, s, "non-negative integer value");
    return 1;
}

int
mvXMLPropULLong(const xmlNode *node, const char *name, int base, unsigned long long *val)
{
    g_autofree char *s = mvXMLProp(node, name);
    if (!s)
        return 0;
    if (mvStrToULLong(s, base, val) < 0)
        return mvXMLPropInvalid(node, name, s, "non-negative integer value");
    return 1;
}

int
mvXMLPropInt(const xmlNode *node, const char *name, int base, int *val)
{
    g_autofree char *s = mvXMLProp(node, name);
    if (!s)
        return 0;
    if (mvStrToInt(s, base, val) < 0)
        return mvXMLPropInvalid(node, name, s, "integer value");
    return 1;
}

int
mvXMLPropBool(const xmlNode *node, const char *name, gboolean onoff, gboolean *val)
{
    g_autofree char *s = mvXMLProp(node, name);
    if (!s)
        return 0;
    if (strcmp(s, "yes") == 0 || (onoff && strcmp(s, "on") == 0)) {
        *val = TRUE;
    } else if (strcmp(s, "no") == 0 || (onoff && strcmp(s, "off") == 0)) {
        *val = FALSE;
    } else {
        mvReportError(MV_ERR_XML_ERROR,
                      "Invalid value for attribute '%s' in element '%s': '%s'. Expected %s",
                      name, (const char *)node->name, s,
                      onoff ? "'on' or 'off'" : "'yes' or 'no'");
        return -1;
    }
    return 1;
}

int
mvScaleInteger(unsigned long long *value, const char *unit,
               unsigned long long defscale, unsigned long long limit)
{
    unsigned long long scale = 1;
    const char *suffix = unit;

    if (!unit || !*unit) {
        scale = defscale ? defscale : 1;
        suffix = "";
    } else if (g_ascii_strcasecmp(unit, "b") == 0 ||
               g_ascii_strcasecmp(unit, "byte") == 0 ||
               g_ascii_strcasecmp(unit, "bytes") == 0) {
        scale = 1;
    } else {
        unsigned long long base;
        int power;
        if (!unit[1] || g_ascii_strcasecmp(unit + 1, "iB") == 0)
            base = 1024;
        else if ((unit[1] == 'b' || unit[1] == 'B') && !unit[2])
            base = 1000;
        else
            goto unknown;
        switch (g_ascii_tolower(unit[0])) {
        case 'k': power = 1; break;
        case 'm': power = 2; break;
        case 'g': power = 3; break;
        case 't': power = 4; break;
        case 'p': power = 5; break;
        case 'e': power = 6; break;
        default: goto unknown;
        }
        while (power--)
            scale *= base;
    }

    if (*value && *value > limit / scale) {
        mvErrorReport(MV_FROM_NONE, MV_ERR_OVERFLOW, "value too large: %llu%s",
                      *value, suffix);
        return -1;
    }
    *value *= scale;
    return 0;

 unknown:
    mvErrorReport(MV_FROM_NONE, MV_ERR_INVALID_ARG, "unknown suffix '%s'", unit);
    return -1;
}

int
mvParseMemoryKiB(const char *value, const char *unit, const char *what,
                 unsigned long long *kib)
{
    unsigned long long bytes;
    if (mvStrToULLong(value, 10, &bytes) < 0) {
        mvReportError(MV_ERR_XML_ERROR,
                      "Invalid value '%s' for element or attribute '%s'",
                      value ? value : "", what);
        return -1;
    }
    /* libvirt's limit on 64-bit hosts: LLONG_MAX bytes */
    if (mvScaleInteger(&bytes, unit, 1024, LLONG_MAX) < 0)
        return -1;
    *kib = bytes / 1024 + (bytes % 1024 ? 1 : 0);
    return 0;
}

int
mvXMLParseMemoryKiB(const xmlNode *node, const char *what, unsigned long long *kib)
{
    g_autofree char *val = NULL;
    g_autofree char *unit = NULL;
    *kib = 0;
    if (!node)
        return 0;
    val = mvXMLContent(node);
    unit = mvXMLProp(node, "unit");
    return mvParseMemoryKiB(val, unit, what, kib);
}

/* ===================================================================== */
/* Formatting                                                             */
/* ===================================================================== */

void
mvXMLIndent(GString *buf, int level)
{
    static const char spaces[] = "                                                                ";
    size_t n = level > 0 ? (size_t)level * 2 : 0;
    while (n > 0) {
        size_t k = MIN(n, sizeof(spaces) - 1);
        g_string_append_len(buf, spaces, (gssize)k);
        n -= k;
    }
}

void
mvXMLEscape(GString *buf, const char *s)
{
    const unsigned char *p, *run;
    if (!s)
        return;
    for (p = run = (const unsigned char *)s; *p; p++) {
        const char *rep;
        if (*p >= 0x20 && *p != '<' && *p != '>' && *p != '&' && *p != '"' && *p != '\'')
            continue;
        if (*p == '\t' || *p == '\n' || *p == '\r')
            continue;
        if (p > run)
            g_string_append_len(buf, (const char *)run, (gssize)(p - run));
        run = p + 1;
        switch (*p) {
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '&': rep = "&amp;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default: rep = NULL;   /* control character: not representable in XML 1.0 */
        }
        if (rep)
            g_string_append(buf, rep);
    }
    if (p > run)
        g_string_append_len(buf, (const char *)run, (gssize)(p - run));
}

/* ---- rule index ------------------------------------------------------
 * The rule tables are static and long (~150 rules for domains), and the
 * formatter looks one up for every element it prints: index each table
 * once, by element name, with the rank of every listed child and attribute
 * in hash tables.  Indexes are built on first use and never freed; the list
 * of them is read without a lock (entries are published atomically). */

typedef struct _mvXMLRuleEntry mvXMLRuleEntry;
struct _mvXMLRuleEntry {
    const mvXMLOrderRule *rule;
    GHashTable *childRank;        /* name -> GINT_TO_POINTER(rank + 1), or NULL */
    GHashTable *attrRank;         /* same for attributes */
    mvXMLRuleEntry *next;         /* next rule for the same element name */
};

typedef struct _mvXMLRuleIndex mvXMLRuleIndex;
struct _mvXMLRuleIndex {
    const mvXMLOrderRule *rules;
    GHashTable *byName;           /* name -> mvXMLRuleEntry chain, table order */
    mvXMLRuleIndex *next;
};

static mvXMLRuleIndex *mvXMLRuleIndexes;
static GMutex mvXMLRuleIndexLock;

static GHashTable *
mvXMLRankTable(const char *const *list)
{
    GHashTable *h;
    if (!list)
        return NULL;
    h = g_hash_table_new(g_str_hash, g_str_equal);
    for (int i = 0; list[i]; i++)
        if (!g_hash_table_contains(h, list[i]))   /* first position wins */
            g_hash_table_insert(h, (gpointer)list[i], GINT_TO_POINTER(i + 1));
    return h;
}

static const mvXMLRuleIndex *
mvXMLRulesIndex(const mvXMLOrderRule *rules)
{
    mvXMLRuleIndex *idx;
    if (!rules)
        return NULL;
    for (idx = g_atomic_pointer_get(&mvXMLRuleIndexes); idx; idx = idx->next)
        if (idx->rules == rules)
            return idx;

    g_mutex_lock(&mvXMLRuleIndexLock);
    for (idx = g_atomic_pointer_get(&mvXMLRuleIndexes); idx; idx = idx->next)
        if (idx->rules == rules)
            break;
    if (!idx) {
        idx = g_new0(mvXMLRuleIndex, 1);
        idx->rules = rules;
        idx->byName = g_hash_table_new(g_str_hash, g_str_equal);
        for (const mvXMLOrderRule *r = rules; r->name; r++) {
            mvXMLRuleEntry *e = g_new0(mvXMLRuleEntry, 1);
            mvXMLRuleEntry *head = g_hash_table_lookup(idx->byName, r->name);
            e->rule = r;
            e->childRank = mvXMLRankTable(r->children);
            e->attrRank = mvXMLRankTable(r->attrs);
            if (!head) {
                g_hash_table_insert(idx->byName, (gpointer)r->name, e);
            } else {
                while (head->next)
                    head = head->next;
                head->next = e;
            }
        }
        idx->next = mvXMLRuleIndexes;
        g_atomic_pointer_set(&mvXMLRuleIndexes, idx);
    }
    g_mutex_unlock(&mvXMLRuleIndexLock);
    return idx;
}

/* The rule for @node: the first one naming its parent, else the first one
 * for any parent. */
static const mvXMLRuleEntry *
mvXMLFindRule(const xmlNode *node, const mvXMLRuleIndex *idx)
{
    const mvXMLRuleEntry *any = NULL;
    const char *pname = NULL;
    if (!idx || node->ns)
        return NULL;
    if (node->parent && node->parent->type == XML_ELEMENT_NODE)
        pname = (const char *)node->parent->name;
    for (const mvXMLRuleEntry *e = g_hash_table_lookup(idx->byName, node->name); e; e = e->next) {
        if (e->rule->parent) {
            if (pname && strcmp(e->rule->parent, pname) == 0)
                return e;
        } else if (!any) {
            any = e;
        }
    }
    return any;
}

static int
mvXMLRank(GHashTable *ranks, const xmlChar *name, const xmlNs *ns)
{
    gpointer v;
    if (!ranks || ns || !(v = g_hash_table_lookup(ranks, name)))
        return INT_MAX;
    return GPOINTER_TO_INT(v) - 1;
}

typedef struct {
    const void *node;            /* xmlNode * or xmlAttr * */
    int rank;
    int pos;
} mvXMLSortItem;

static int
mvXMLSortCmp(const void *a, const void *b)
{
    const mvXMLSortItem *x = a, *y = b;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    return x->pos - y->pos;
}

#define MV_XML_SORT_STACK 32

/* Element children of @node except @skip, sorted per @rule, into @items
 * (MV_XML_SORT_STACK entries) or a new array returned in *heap. */
static mvXMLSortItem *
mvXMLSortedChildren(const xmlNode *node, const mvXMLRuleEntry *rule, const xmlNode *skip,
                    mvXMLSortItem *items, mvXMLSortItem **heap, size_t *n)
{
    size_t count = 0, i = 0;
    gboolean sorted = TRUE;
    *heap = NULL;
    for (const xmlNode *c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && c != skip)
            count++;
    if (count > MV_XML_SORT_STACK)
        items = *heap = g_new(mvXMLSortItem, count);
    for (const xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE || c == skip)
            continue;
        items[i].node = c;
        items[i].rank = rule ? mvXMLRank(rule->childRank, c->name, c->ns) : 0;
        items[i].pos = (int)i;
        if (i > 0 && items[i].rank < items[i - 1].rank)
            sorted = FALSE;
        i++;
    }
    if (rule && rule->rule->children && !sorted)
        qsort(items, count, sizeof(*items), mvXMLSortCmp);
    *n = count;
    return items;
}

static void
mvXMLFormatQName(GString *buf, const xmlNode *node)
{
    if (node->ns && node->ns->prefix) {
        g_string_append(buf, (const char *)node->ns->prefix);
        g_string_append_c(buf, ':');
    }
    g_string_append(buf, (const char *)node->name);
}

static void
mvXMLFormatAttr(GString *buf, const xmlAttr *a)
{
    const xmlNode *t = a->children;
    xmlChar *v = NULL;
    const char *val;
    if (!t)
        val = "";
    else if (t->type == XML_TEXT_NODE && !t->next)
        val = t->content ? (const char *)t->content : "";
    else
        val = (v = xmlNodeListGetString(a->doc, a->children, 1)) ? (const char *)v : "";
    g_string_append_c(buf, ' ');
    if (a->ns && a->ns->prefix) {
        g_string_append(buf, (const char *)a->ns->prefix);
        g_string_append_c(buf, ':');
    }
    g_string_append(buf, (const char *)a->name);
    g_string_append(buf, "='");
    mvXMLEscape(buf, val);
    g_string_append_c(buf, '\'');
    xmlFree(v);
}

static gboolean
mvXMLNsSkipped(const xmlNs *ns, const char *const *skipNs)
{
    if (!skipNs || !ns->href)
        return FALSE;
    for (size_t i = 0; skipNs[i]; i++)
        if (strcmp(skipNs[i], (const char *)ns->href) == 0)
            return TRUE;
    return FALSE;
}

/* libxml2's dump of @node without its child @skip (mixed content only). */
static char *
mvXMLDumpNodeWithout(const xmlNode *node, int level, const xmlNode *skip)
{
    xmlNode *copy, *c, *sc;
    char *ret;
    if (!skip)
        return mvXMLDumpNode(node, level);
    copy = xmlDocCopyNode((xmlNode *)node, node->doc, 1);
    for (c = copy ? copy->children : NULL, sc = node->children; c && sc; c = c->next, sc = sc->next) {
        if (sc == skip) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
            break;
        }
    }
    ret = mvXMLDumpNode(copy ? copy : node, level);
    xmlFreeNode(copy);
    return ret;
}

static void
mvXMLFormatNodeIdx(GString *buf, const xmlNode *node, int level,
                   const mvXMLRuleIndex *idx, const char *const *skipNs,
                   const xmlNode *skip)
{
    const mvXMLRuleEntry *rule;
    const xmlNode *text = NULL;
    gboolean hasElem = FALSE, hasText = FALSE, oneText = TRUE;

    if (node->type != XML_ELEMENT_NODE)
        return;
    rule = mvXMLFindRule(node, idx);

    for (xmlNode *c = node->children; c; c = c->next) {
        if (c == skip)
            continue;
        if (c->type == XML_ELEMENT_NODE) {
            hasElem = TRUE;
        } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE ||
                   c->type == XML_ENTITY_REF_NODE) {
            if (text || c->type != XML_TEXT_NODE)
                oneText = FALSE;
            text = c;
            if (!mvXMLIsBlank((const char *)c->content))
                hasText = TRUE;
        } else {
            oneText = FALSE;
        }
    }

    if (hasElem && hasText) {
        /* mixed content: keep libxml2's rendering so nothing is lost */
        g_autofree char *dump = mvXMLDumpNodeWithout(node, level, skip);
        mvXMLIndent(buf, level);
        g_string_append(buf, dump);
        g_string_append_c(buf, '\n');
        return;
    }

    mvXMLIndent(buf, level);
    g_string_append_c(buf, '<');
    mvXMLFormatQName(buf, node);

    for (const xmlNs *ns = node->nsDef; ns; ns = ns->next) {
        if (mvXMLNsSkipped(ns, skipNs))
            continue;
        g_string_append(buf, " xmlns");
        if (ns->prefix) {
            g_string_append_c(buf, ':');
            g_string_append(buf, (const char *)ns->prefix);
        }
        g_string_append(buf, "='");
        mvXMLEscape(buf, (const char *)ns->href);
        g_string_append_c(buf, '\'');
    }

    if (rule && rule->attrRank && node->properties) {
        /* listed attributes first, in the rule's order, then the others in
         * document order */
        mvXMLSortItem stack[MV_XML_SORT_STACK];
        g_autofree mvXMLSortItem *heap = NULL;
        mvXMLSortItem *items = stack;
        size_t n = 0;
        gboolean sorted = TRUE;
        for (const xmlAttr *a = node->properties; a; a = a->next)
            n++;
        if (n > MV_XML_SORT_STACK)
            items = heap = g_new(mvXMLSortItem, n);
        n = 0;
        for (const xmlAttr *a = node->properties; a; a = a->next, n++) {
            items[n].node = a;
            items[n].rank = mvXMLRank(rule->attrRank, a->name, a->ns);
            items[n].pos = (int)n;
            if (n > 0 && items[n].rank < items[n - 1].rank)
                sorted = FALSE;
        }
        if (!sorted)
            qsort(items, n, sizeof(*items), mvXMLSortCmp);
        for (size_t i = 0; i < n; i++)
            mvXMLFormatAttr(buf, items[i].node);
    } else {
        for (const xmlAttr *a = node->properties; a; a = a->next)
            mvXMLFormatAttr(buf, a);
    }

    if (hasElem) {
        mvXMLSortItem stack[MV_XML_SORT_STACK];
        g_autofree mvXMLSortItem *heap = NULL;
        size_t n;
        mvXMLSortItem *items = mvXMLSortedChildren(node, rule, skip, stack, &heap, &n);
        g_string_append(buf, ">\n");
        for (size_t i = 0; i < n; i++)
            mvXMLFormatNodeIdx(buf, items[i].node, level + 1, idx, skipNs, NULL);
        mvXMLIndent(buf, level);
        g_string_append(buf, "</");
        mvXMLFormatQName(buf, node);
        g_string_append(buf, ">\n");
    } else if (hasText) {
        g_string_append_c(buf, '>');
        if (oneText) {
            mvXMLEscape(buf, (const char *)text->content);
        } else if (!skip) {
            g_autofree char *content = mvXMLContent(node);
            mvXMLEscape(buf, content);
        } else {
            xmlNode *copy = xmlDocCopyNode((xmlNode *)node, node->doc, 1);
            g_autofree char *content = NULL;
            for (xmlNode *c = copy ? copy->children : NULL, *sc = node->children; c && sc;
                 c = c->next, sc = sc->next) {
                if (sc == skip) {
                    xmlUnlinkNode(c);
                    xmlFreeNode(c);
                    break;
                }
            }
            content = mvXMLContent(copy ? copy : node);
            mvXMLEscape(buf, content);
            xmlFreeNode(copy);
        }
        g_string_append(buf, "</");
        mvXMLFormatQName(buf, node);
        g_string_append(buf, ">\n");
    } else {
        g_string_append(buf, "/>\n");
    }
}

void
mvXMLFormatNode(GString *buf, const xmlNode *node, int level,
                const mvXMLOrderRule *rules, const char *const *skipNs)
{
    mvXMLFormatNodeIdx(buf, node, level, mvXMLRulesIndex(rules), skipNs, NULL);
}

void
mvXMLFormatNodeSkip(GString *buf, const xmlNode *node, int level,
                    const mvXMLOrderRule *rules, const char *const *skipNs,
                    const xmlNode *skip)
{
    mvXMLFormatNodeIdx(buf, node, level, mvXMLRulesIndex(rules), skipNs, skip);
}

static void
mvXMLCanonicalizeIdx(xmlNode *node, const mvXMLRuleIndex *idx)
{
    const mvXMLRuleEntry *rule;
    if (!node || node->type != XML_ELEMENT_NODE)
        return;
    rule = mvXMLFindRule(node, idx);
    if (rule && rule->rule->children) {
        mvXMLSortItem stack[MV_XML_SORT_STACK];
        g_autofree mvXMLSortItem *heap = NULL;
        size_t n;
        mvXMLSortItem *items = mvXMLSortedChildren(node, rule, NULL, stack, &heap, &n);
        for (size_t i = 0; i < n; i++) {
            xmlNode *c = (xmlNode *)items[i].node;
            xmlUnlinkNode(c);
            xmlAddChild(node, c);
        }
    }
    for (xmlNode *c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            mvXMLCanonicalizeIdx(c, idx);
}

void
mvXMLCanonicalize(xmlNode *node, const mvXMLOrderRule *rules)
{
    mvXMLCanonicalizeIdx(node, mvXMLRulesIndex(rules));
}

char *
mvXMLDumpNode(const xmlNode *node, int level)
{
    xmlBuffer *xb = xmlBufferCreate();
    char *ret;
    if (!xb)
        return g_strdup("");
    xmlNodeDump(xb, node->doc, (xmlNode *)node, level, 1);
    ret = g_strdup((const char *)xmlBufferContent(xb));
    xmlBufferFree(xb);
    return ret;
}
