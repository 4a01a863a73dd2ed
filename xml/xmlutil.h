/* Safe XML parsing and libvirt-style formatting helpers shared by every
 * xml/ object (domain, network, pool, ...).
 *
 * Parsing treats the input as hostile: bounded size and depth, no network,
 * no DTD, no entity declarations or substitution.  Formatting follows
 * libvirt's dumpxml conventions: 2-space indentation, single-quoted
 * attributes, empty elements self-closed. */
#pragma once
#include <glib.h>
#include <libxml/tree.h>

/* Largest document we accept (bytes). */
#define MV_XML_MAX_SIZE (10 * 1024 * 1024)
/* Deepest element nesting we accept. */
#define MV_XML_MAX_DEPTH 128

/* Parse @xml (NUL-terminated).  @docname names the document in error
 * messages, e.g. "(domain_definition)".  Returns a document with a root
 * element, or NULL with an error set (MV_ERR_XML_DETAIL for syntax errors in
 * libvirt's "NAME:LINE: message\ncontext\n-----^" layout, MV_ERR_XML_ERROR
 * for refused constructs). */
xmlDoc *mvXMLParseString(const char *xml, const char *docname);
/* Same, with the document's name dictionary layered over @names (a
 * dictionary that is no longer modified, shared between documents): element
 * and attribute names found there are not stored again per document.  NULL
 * @names is mvXMLParseString.  Short text is stored inside its node
 * (XML_PARSE_COMPACT). */
xmlDoc *mvXMLParseStringDict(const char *xml, const char *docname, xmlDict *names);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* ---- node access ---------------------------------------------------- */

/* First child element named @name (no namespace), or NULL. */
xmlNode *mvXMLChild(const xmlNode *node, const char *name);
/* Next sibling element after @node named @name, or NULL. */
xmlNode *mvXMLNextNamed(const xmlNode *node, const char *name);
/* Number of child elements (any name when @name is NULL). */
size_t mvXMLChildCount(const xmlNode *node, const char *name);
/* Attribute value (newly allocated) or NULL. */
char *mvXMLProp(const xmlNode *node, const char *name);
/* Text content (newly allocated, "" for an empty element) or NULL for NULL node. */
char *mvXMLContent(const xmlNode *node);
/* Attribute @attr of child @child (either may be missing), newly allocated. */
char *mvXMLChildProp(const xmlNode *node, const char *child, const char *attr);
/* TRUE when @node is an element called @name without namespace. */
gboolean mvXMLNodeIs(const xmlNode *node, const char *name);
/* TRUE when the string contains only XML whitespace (or is NULL). */
gboolean mvXMLIsBlank(const char *s);

/* ---- node editing ---------------------------------------------------- */

/* Set (value != NULL) or remove (value == NULL) attribute @name. */
void mvXMLSetProp(xmlNode *node, const char *name, const char *value);
/* Find or create child element @name (appended). */
xmlNode *mvXMLEnsureChild(xmlNode *node, const char *name);
/* Set attribute @attr on child @child, creating the child when value != NULL;
 * removing the attribute when value == NULL (and the child too when it is
 * left without attributes and children). */
void mvXMLSetChildProp(xmlNode *node, const char *child, const char *attr,
                       const char *value);
/* Remove and free every child element named @name. */
void mvXMLRemoveChildren(xmlNode *node, const char *name);
/* Replace the text content of @node. */
void mvXMLSetContent(xmlNode *node, const char *text);
/* Remove whitespace-only text nodes, comments and PIs, recursively. */
void mvXMLStripBlanks(xmlNode *node);
/* Store short text (attribute values and text nodes of @node, its siblings
 * and their subtrees) inside the text nodes instead of separate allocations.
 * Only the memory layout changes. */
void mvXMLCompact(xmlNode *node);

/* ---- number parsing (strict, range-checked) -------------------------- */

/* Decimal (or 0x-prefixed hex when @base is 0) unsigned, surrounding blanks
 * allowed, nothing else.  Negative numbers are refused. 0 / -1 (no error). */
int mvStrToULLong(const char *s, int base, unsigned long long *val);
int mvStrToUInt(const char *s, int base, unsigned int *val);
int mvStrToLLong(const char *s, int base, long long *val);
int mvStrToInt(const char *s, int base, int *val);

/* Attribute getters: 0 absent, 1 present and valid, -1 invalid (error
 * reported, MV_ERR_XML_ERROR, libvirt's wording). */
int mvXMLPropUInt(const xmlNode *node, const char *name, int base, unsigned int *val);
int mvXMLPropULLong(const xmlNode *node, const char *name, int base, unsigned long long *val);
int mvXMLPropInt(const xmlNode *node, const char *name, int base, int *val);
/* yes/no (also on/off when @onoff) -> 1/0 in *val. */
int mvXMLPropBool(const xmlNode *node, const char *name, gboolean onoff, gboolean *val);

/* libvirt's scaled integers: @value in units of @unit ("KiB", "M", "bytes",
 * ... case-insensitive; NULL/"" means @defscale bytes).  Result in bytes,
 * refusing > @limit.  -1 + error (MV_ERR_INVALID_ARG "unknown suffix",
 * MV_ERR_OVERFLOW "value too large"). */
int mvScaleInteger(unsigned long long *value, const char *unit,
                   unsigned long long defscale, unsigned long long limit);

/* Parse a memory size element @node (text + 'unit' attribute) into KiB.
 * @what names it in messages ("./memory[1]").  Returns 0 and *kib, or -1 +
 * error.  An absent node gives 0 and *kib = 0. */
int mvXMLParseMemoryKiB(const xmlNode *node, const char *what, unsigned long long *kib);
/* Same for a value+unit already extracted (unit may be NULL). */
int mvParseMemoryKiB(const char *value, const char *unit, const char *what,
                     unsigned long long *kib);

/* ---- formatting ------------------------------------------------------ */

/* Append @s with XML escaping (& < > ' " and control characters dropped),
 * as libvirt does for both attribute values and text. */
void mvXMLEscape(GString *buf, const char *s);
void mvXMLIndent(GString *buf, int level);

/* Canonical ordering rules for the generic formatter.  For an element named
 * @name (optionally only under a parent named @parent): attributes are
 * emitted in @attrs order first, then the rest in document order; children
 * are stably sorted by their position in @children, unknown ones last. */
typedef struct {
    const char *parent;            /* NULL = any parent */
    const char *name;
    const char *const *attrs;      /* NULL-terminated or NULL */
    const char *const *children;   /* NULL-terminated or NULL */
} mvXMLOrderRule;

/* Format @node and its subtree at @level with libvirt's layout, applying
 * @rules (may be NULL).  Text-only elements print inline, element-only
 * elements one child per line, empty ones self-closed.  Namespace
 * declarations whose href is in @skipNs (NULL-terminated, may be NULL) are
 * not repeated (they are declared on the root). */
void mvXMLFormatNode(GString *buf, const xmlNode *node, int level,
                     const mvXMLOrderRule *rules, const char *const *skipNs);

/* Same, leaving out @skip (a child element of @node, may be NULL) as if it
 * were not there. */
void mvXMLFormatNodeSkip(GString *buf, const xmlNode *node, int level,
                         const mvXMLOrderRule *rules, const char *const *skipNs,
                         const xmlNode *skip);

/* Reorder @node's children (recursively) per @rules, in place. */
void mvXMLCanonicalize(xmlNode *node, const mvXMLOrderRule *rules);

/* libxml2's own dump of @node (double-quoted attributes, as libvirt prints
 * metadata), indented for @level; newly allocated, no trailing newline. */
char *mvXMLDumpNode(const xmlNode *node, int level);
