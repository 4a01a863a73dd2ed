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
                            XML_PARSE_NOXINCNODE);

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

void
mvXMLSetProp(xmlNode *node, const char *name, const char *value)
{
    if (!node)
        return;
    if (value) {
        xmlSetProp(node, BAD_CAST name, BAD_CAST value);
    } else {
        xmlAttr *a = xmlHasProp(node, BAD_CAST name);
        if (a)
            xmlRemoveProp(a);
    }
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
    for (int i = 0; i < level; i++)
        g_string_append(buf, "  ");
}

void
mvXMLEscape(GString *buf, const char *s)
{
    if (!s)
        return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '<': g_string_append(buf, "&lt;"); break;
        case '>': g_string_append(buf, "&gt;"); break;
        case '&': g_string_append(buf, "&amp;"); break;
        case '"': g_string_append(buf, "&quot;"); break;
        case '\'': g_string_append(buf, "&apos;"); break;
        default:
            if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                break;   /* not representable in XML 1.0 */
            g_string_append_c(buf, (char)*p);
        }
    }
}

static const mvXMLOrderRule *
mvXMLFindRule(const xmlNode *node, const mvXMLOrderRule *rules)
{
    const mvXMLOrderRule *any = NULL;
    const char *pname = NULL;
    if (!rules || node->ns)
        return NULL;
    if (node->parent && node->parent->type == XML_ELEMENT_NODE)
        pname = (const char *)node->parent->name;
    for (const mvXMLOrderRule *r = rules; r->name; r++) {
        if (strcmp(r->name, (const char *)node->name) != 0)
            continue;
        if (r->parent) {
            if (pname && strcmp(r->parent, pname) == 0)
                return r;
        } else if (!any) {
            any = r;
        }
    }
    return any;
}

static int
mvXMLRank(const char *const *list, const xmlNode *n)
{
    int i;
    if (!list)
        return INT_MAX;
    if (n->ns)
        return INT_MAX;
    for (i = 0; list[i]; i++)
        if (strcmp(list[i], (const char *)n->name) == 0)
            return i;
    return INT_MAX;
}

typedef struct {
    xmlNode *node;
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

/* Element children of @node sorted per @rule; caller frees. */
static mvXMLSortItem *
mvXMLSortedChildren(const xmlNode *node, const mvXMLOrderRule *rule, size_t *n)
{
    size_t count = mvXMLChildCount(node, NULL), i = 0;
    mvXMLSortItem *items = g_new0(mvXMLSortItem, count ? count : 1);
    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        items[i].node = c;
        items[i].rank = rule ? mvXMLRank(rule->children, c) : 0;
        items[i].pos = (int)i;
        i++;
    }
    if (rule && rule->children)
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
    xmlChar *v = xmlNodeListGetString(a->doc, a->children, 1);
    g_string_append_c(buf, ' ');
    if (a->ns && a->ns->prefix) {
        g_string_append(buf, (const char *)a->ns->prefix);
        g_string_append_c(buf, ':');
    }
    g_string_append(buf, (const char *)a->name);
    g_string_append(buf, "='");
    mvXMLEscape(buf, v ? (const char *)v : "");
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

void
mvXMLFormatNode(GString *buf, const xmlNode *node, int level,
                const mvXMLOrderRule *rules, const char *const *skipNs)
{
    const mvXMLOrderRule *rule = mvXMLFindRule(node, rules);
    gboolean hasElem = FALSE, hasText = FALSE;

    if (node->type != XML_ELEMENT_NODE)
        return;

    for (xmlNode *c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            hasElem = TRUE;
        else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE ||
                  c->type == XML_ENTITY_REF_NODE) &&
                 !mvXMLIsBlank((const char *)c->content))
            hasText = TRUE;
    }

    if (hasElem && hasText) {
        /* mixed content: keep libxml2's rendering so nothing is lost */
        g_autofree char *dump = mvXMLDumpNode(node, level);
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

    if (rule && rule->attrs) {
        for (size_t i = 0; rule->attrs[i]; i++) {
            for (const xmlAttr *a = node->properties; a; a = a->next)
                if (!a->ns && strcmp((const char *)a->name, rule->attrs[i]) == 0)
                    mvXMLFormatAttr(buf, a);
        }
    }
    for (const xmlAttr *a = node->properties; a; a = a->next) {
        gboolean done = FALSE;
        if (rule && rule->attrs && !a->ns)
            for (size_t i = 0; rule->attrs[i] && !done; i++)
                done = strcmp((const char *)a->name, rule->attrs[i]) == 0;
        if (!done)
            mvXMLFormatAttr(buf, a);
    }

    if (hasElem) {
        size_t n;
        g_autofree mvXMLSortItem *items = mvXMLSortedChildren(node, rule, &n);
        g_string_append(buf, ">\n");
        for (size_t i = 0; i < n; i++)
            mvXMLFormatNode(buf, items[i].node, level + 1, rules, skipNs);
        mvXMLIndent(buf, level);
        g_string_append(buf, "</");
        mvXMLFormatQName(buf, node);
        g_string_append(buf, ">\n");
    } else if (hasText) {
        g_autofree char *text = mvXMLContent(node);
        g_string_append_c(buf, '>');
        mvXMLEscape(buf, text);
        g_string_append(buf, "</");
        mvXMLFormatQName(buf, node);
        g_string_append(buf, ">\n");
    } else {
        g_string_append(buf, "/>\n");
    }
}

void
mvXMLCanonicalize(xmlNode *node, const mvXMLOrderRule *rules)
{
    const mvXMLOrderRule *rule;
    if (!node || node->type != XML_ELEMENT_NODE)
        return;
    rule = mvXMLFindRule(node, rules);
    if (rule && rule->children) {
        size_t n;
        g_autofree mvXMLSortItem *items = mvXMLSortedChildren(node, rule, &n);
        for (size_t i = 0; i < n; i++) {
            xmlUnlinkNode(items[i].node);
            xmlAddChild(node, items[i].node);
        }
    }
    for (xmlNode *c = node->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            mvXMLCanonicalize(c, rules);
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
