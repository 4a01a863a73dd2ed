/* Reader for libvirt's daemon configuration syntax.
 *
 * Grammar (as libvirt's virconf accepts it):
 *   file      := { statement separator }
 *   statement := comment | name blanks '=' blanks value blanks [comment]
 *   name      := ALPHA { ALNUM | '_' }
 *   value     := string | number | '[' [ value { ',' value } [','] ] ']'
 *   string    := '"' chars-without-quote-or-EOL '"'
 *              | "'" chars-without-quote-or-EOL "'"
 *              | '"""' any-chars '"""'
 *   number    := ['+' | '-'] DIGIT { DIGIT }
 *   separator := EOL { blank | EOL } | ';' { blank | EOL } | end of input
 * Blanks are ' ' and '\t'; inside lists, newlines are blanks too.  Line
 * numbers in messages follow the same counting as libvirt's parser.
 * Messages: "configuration file syntax error: FILE:LINE: what". */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "util/conf.h"
#include "util/error.h"
#include "util/fileutil.h"

#define MV_FROM_THIS MV_FROM_CONF

/* deepest [ [ ... ] ] nesting we accept (libvirt has no limit; we must not
 * recurse without bound on hostile input) */
#define MV_CONF_MAX_DEPTH 32

typedef enum {
    MV_CONF_VAL_STRING,
    MV_CONF_VAL_NEG,    /* a number written with '-' (libvirt: "long") */
    MV_CONF_VAL_POS,    /* a number without '-' (libvirt: "unsigned long") */
    MV_CONF_VAL_LIST,
} mvConfValType;

typedef struct mvConfValue mvConfValue;
struct mvConfValue {
    mvConfValType type;
    char *str;           /* STRING */
    guint64 mag;         /* NEG/POS: absolute value */
    char *digits;        /* NEG/POS: the digits as written (for octal perms) */
    GPtrArray *list;     /* LIST: of mvConfValue* */
};

typedef struct {
    char *name;
    int line;
    mvConfValue *value;
} mvConfEntry;

struct mvConf {
    char *filename;
    GPtrArray *entries;  /* of mvConfEntry*, in file order */
};

typedef struct {
    const char *filename;
    const char *cur;
    const char *end;
    int line;
    int depth;
} mvConfParser;


static void
mvConfValueFree(mvConfValue *val)
{
    if (!val)
        return;
    g_free(val->str);
    g_free(val->digits);
    if (val->list)
        g_ptr_array_unref(val->list);
    g_free(val);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvConfValue, mvConfValueFree)


static void
mvConfEntryFree(gpointer data)
{
    mvConfEntry *ent = data;

    g_free(ent->name);
    mvConfValueFree(ent->value);
    g_free(ent);
}


void
mvConfFree(mvConf *conf)
{
    if (!conf)
        return;
    g_free(conf->filename);
    if (conf->entries)
        g_ptr_array_unref(conf->entries);
    g_free(conf);
}


const char *
mvConfGetFilename(mvConf *conf)
{
    return conf ? conf->filename : NULL;
}


/* ---- parser ------------------------------------------------------------ */

#define AT_END(p) ((p)->cur >= (p)->end)
#define CUR(p) (AT_END(p) ? '\0' : *(p)->cur)
#define IS_EOL(c) ((c) == '\n' || (c) == '\r')
#define IS_BLANK(c) ((c) == ' ' || (c) == '\t')

static void
mvConfSyntaxError(mvConfParser *p, const char *what)
{
    mvReportError(MV_ERR_CONF_SYNTAX, "%s:%d: %s", p->filename, p->line, what);
}

static void
mvConfSkipBlanks(mvConfParser *p)
{
    while (!AT_END(p) && IS_BLANK(*p->cur))
        p->cur++;
}

static void
mvConfSkipBlanksAndEOL(mvConfParser *p)
{
    while (!AT_END(p) && (IS_BLANK(*p->cur) || IS_EOL(*p->cur))) {
        if (*p->cur == '\n')
            p->line++;
        p->cur++;
    }
}

static gboolean
mvConfAtTripleQuote(mvConfParser *p)
{
    return p->end - p->cur >= 3 && memcmp(p->cur, "\"\"\"", 3) == 0;
}

/* libvirt only treats """ as a long string when more than 6 bytes remain */
static gboolean
mvConfStartsLongString(mvConfParser *p)
{
    return p->end - p->cur > 6 && mvConfAtTripleQuote(p);
}

static char *
mvConfParseString(mvConfParser *p)
{
    const char *start;

    if (mvConfStartsLongString(p)) {
        p->cur += 3;
        start = p->cur;
        /* the scan stops 3 bytes before the end (no closing quotes fit
         * after that), so trailing newlines are not counted, as in libvirt */
        while (p->end - p->cur >= 3 && !mvConfAtTripleQuote(p)) {
            if (*p->cur == '\0')
                break;
            if (*p->cur == '\n')
                p->line++;
            p->cur++;
        }
        if (!mvConfAtTripleQuote(p)) {
            mvConfSyntaxError(p, "unterminated string");
            return NULL;
        }
        p->cur += 3;
        return g_strndup(start, p->cur - 3 - start);
    } else {
        char quote = *p->cur;
        p->cur++;
        start = p->cur;
        while (!AT_END(p) && *p->cur != quote && !IS_EOL(*p->cur) && *p->cur != '\0')
            p->cur++;
        if (CUR(p) != quote || AT_END(p)) {
            mvConfSyntaxError(p, "unterminated string");
            return NULL;
        }
        p->cur++;
        return g_strndup(start, p->cur - 1 - start);
    }
}

static mvConfValue *
mvConfParseNumber(mvConfParser *p)
{
    g_autoptr(mvConfValue) val = g_new0(mvConfValue, 1);
    const char *start;
    guint64 mag = 0;
    gboolean neg = FALSE;

    if (*p->cur == '-') {
        neg = TRUE;
        p->cur++;
    } else if (*p->cur == '+') {
        p->cur++;
    }
    if (AT_END(p) || !g_ascii_isdigit(*p->cur)) {
        mvConfSyntaxError(p, "unterminated number");
        return NULL;
    }
    start = p->cur;
    while (!AT_END(p) && g_ascii_isdigit(*p->cur)) {
        unsigned d = *p->cur - '0';
        if (mag > (G_MAXUINT64 - d) / 10) {
            mvConfSyntaxError(p, "integer overflow");
            return NULL;
        }
        mag = mag * 10 + d;
        p->cur++;
    }
    if (neg && mag > (guint64)G_MAXINT64 + 1) {
        mvConfSyntaxError(p, "integer overflow");
        return NULL;
    }
    val->type = neg ? MV_CONF_VAL_NEG : MV_CONF_VAL_POS;
    val->mag = mag;
    val->digits = g_strndup(start, p->cur - start);
    return g_steal_pointer(&val);
}

static mvConfValue *mvConfParseValue(mvConfParser *p);

static mvConfValue *
mvConfParseList(mvConfParser *p)
{
    g_autoptr(mvConfValue) val = g_new0(mvConfValue, 1);

    val->type = MV_CONF_VAL_LIST;
    val->list = g_ptr_array_new_with_free_func((GDestroyNotify)mvConfValueFree);

    if (++p->depth > MV_CONF_MAX_DEPTH) {
        mvConfSyntaxError(p, "lists nested too deeply");
        return NULL;
    }
    p->cur++;   /* '[' */
    mvConfSkipBlanksAndEOL(p);
    if (!AT_END(p) && *p->cur != ']') {
        mvConfValue *item = mvConfParseValue(p);
        if (!item)
            return NULL;
        g_ptr_array_add(val->list, item);
        mvConfSkipBlanksAndEOL(p);
    }
    while (!AT_END(p) && *p->cur != ']') {
        mvConfValue *item;

        if (*p->cur != ',') {
            mvConfSyntaxError(p, "expecting a separator in list");
            return NULL;
        }
        p->cur++;
        mvConfSkipBlanksAndEOL(p);
        if (CUR(p) == ']' && !AT_END(p))
            break;          /* trailing comma */
        if (!(item = mvConfParseValue(p)))
            return NULL;
        g_ptr_array_add(val->list, item);
        mvConfSkipBlanksAndEOL(p);
    }
    if (AT_END(p) || *p->cur != ']') {
        mvConfSyntaxError(p, "list is not closed with ]");
        return NULL;
    }
    p->cur++;
    p->depth--;
    return g_steal_pointer(&val);
}

static mvConfValue *
mvConfParseValue(mvConfParser *p)
{
    char c;

    mvConfSkipBlanks(p);
    if (AT_END(p)) {
        mvConfSyntaxError(p, "expecting a value");
        return NULL;
    }
    c = *p->cur;
    if (c == '"' || c == '\'') {
        mvConfValue *val;
        char *str = mvConfParseString(p);
        if (!str)
            return NULL;
        val = g_new0(mvConfValue, 1);
        val->type = MV_CONF_VAL_STRING;
        val->str = str;
        return val;
    }
    if (c == '[')
        return mvConfParseList(p);
    if (g_ascii_isdigit(c) || c == '-' || c == '+')
        return mvConfParseNumber(p);
    mvConfSyntaxError(p, "expecting a value");
    return NULL;
}

static void
mvConfSkipComment(mvConfParser *p)
{
    while (!AT_END(p) && !IS_EOL(*p->cur))
        p->cur++;
}

/* 1 = statement added, 0 = nothing (comment / end), -1 = error */
static int
mvConfParseStatement(mvConfParser *p, mvConf *conf)
{
    g_autofree char *name = NULL;
    const char *start;
    mvConfEntry *ent;
    mvConfValue *val;
    int line;

    mvConfSkipBlanksAndEOL(p);
    if (AT_END(p))
        return 0;
    if (*p->cur == '#') {
        mvConfSkipComment(p);
        return 0;
    }
    mvConfSkipBlanks(p);
    if (!g_ascii_isalpha(CUR(p)) || AT_END(p)) {
        mvConfSyntaxError(p, "expecting a name");
        return -1;
    }
    start = p->cur;
    while (!AT_END(p) && (g_ascii_isalnum(*p->cur) || *p->cur == '_'))
        p->cur++;
    name = g_strndup(start, p->cur - start);
    line = p->line;

    mvConfSkipBlanks(p);
    if (AT_END(p) || *p->cur != '=') {
        mvConfSyntaxError(p, "expecting an assignment");
        return -1;
    }
    p->cur++;
    mvConfSkipBlanks(p);
    if (!(val = mvConfParseValue(p)))
        return -1;
    mvConfSkipBlanks(p);
    if (!AT_END(p) && *p->cur == '#')
        mvConfSkipComment(p);

    ent = g_new0(mvConfEntry, 1);
    ent->name = g_steal_pointer(&name);
    ent->line = line;
    ent->value = val;
    g_ptr_array_add(conf->entries, ent);
    return 1;
}

static int
mvConfParseSeparator(mvConfParser *p)
{
    mvConfSkipBlanks(p);
    if (AT_END(p))
        return 0;
    if (IS_EOL(*p->cur)) {
        mvConfSkipBlanksAndEOL(p);
    } else if (*p->cur == ';') {
        p->cur++;
        mvConfSkipBlanksAndEOL(p);
    } else {
        mvConfSyntaxError(p, "expecting a separator");
        return -1;
    }
    return 0;
}

static mvConf *
mvConfParse(const char *filename, const char *content, size_t len)
{
    g_autoptr(mvConf) conf = g_new0(mvConf, 1);
    mvConfParser p = {
        .filename = filename,
        .cur = content,
        .end = content + len,
        .line = 1,
        .depth = 0,
    };

    conf->filename = g_strdup(filename);
    conf->entries = g_ptr_array_new_with_free_func(mvConfEntryFree);

    while (!AT_END(&p)) {
        if (mvConfParseStatement(&p, conf) < 0)
            return NULL;
        if (mvConfParseSeparator(&p) < 0)
            return NULL;
    }
    return g_steal_pointer(&conf);
}


mvConf *
mvConfReadFile(const char *path)
{
    g_autofree char *content = NULL;
    size_t len = 0;

    if (!path) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", __func__);
        return NULL;
    }
    if (!(content = mvFileReadLimit(path, MV_CONF_MAX_SIZE, &len)))
        return NULL;
    return mvConfParse(path, content, len);
}


mvConf *
mvConfReadString(const char *content, const char *name)
{
    size_t len;

    if (!content) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", __func__);
        return NULL;
    }
    if (!name)
        name = "memory conf";
    len = strlen(content);
    if (len > MV_CONF_MAX_SIZE) {
        mvReportError(MV_ERR_CONF_SYNTAX, "%s: configuration larger than %d bytes",
                      name, MV_CONF_MAX_SIZE);
        return NULL;
    }
    return mvConfParse(name, content, len);
}


/* ---- getters ------------------------------------------------------------ */

int mvConfGetEntryLine(mvConf *conf, const char *key);

/* "FILE:LINE" of @key for error messages (libvirt names only the file; the
 * line number tells the admin where to look). */
static const char *
confWhere(mvConf *conf, const char *key)
{
    static __thread char buf[4200];
    int line = mvConfGetEntryLine(conf, key);

    if (line > 0)
        g_snprintf(buf, sizeof(buf), "%s:%d", conf->filename, line);
    else
        g_snprintf(buf, sizeof(buf), "%s", conf->filename);
    return buf;
}

/* The first entry wins, as in libvirt. */
static mvConfValue *
mvConfLookup(mvConf *conf, const char *key)
{
    guint i;

    if (!conf || !key)
        return NULL;
    for (i = 0; i < conf->entries->len; i++) {
        mvConfEntry *ent = g_ptr_array_index(conf->entries, i);
        if (strcmp(ent->name, key) == 0)
            return ent->value;
    }
    return NULL;
}


int
mvConfGetString(mvConf *conf, const char *key, char **value)
{
    mvConfValue *val = mvConfLookup(conf, key);

    if (!val)
        return 0;
    if (val->type != MV_CONF_VAL_STRING) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "%s: expected a string for '%s' parameter", confWhere(conf, key), key);
        return -1;
    }
    g_free(*value);
    *value = g_strdup(val->str);
    return 1;
}


int
mvConfGetInt(mvConf *conf, const char *key, int *value)
{
    mvConfValue *val = mvConfLookup(conf, key);

    if (!val)
        return 0;
    if (val->type != MV_CONF_VAL_NEG && val->type != MV_CONF_VAL_POS) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "%s: expected a signed integer for '%s' parameter",
                      confWhere(conf, key), key);
        return -1;
    }
    if ((val->type == MV_CONF_VAL_POS && val->mag > (guint64)INT_MAX) ||
        (val->type == MV_CONF_VAL_NEG && val->mag > (guint64)INT_MAX + 1)) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "%s: value for '%s' parameter must be in range %d:%d",
                      confWhere(conf, key), key, INT_MIN, INT_MAX);
        return -1;
    }
    if (val->type == MV_CONF_VAL_NEG)
        *value = (int)(-(gint64)val->mag);
    else
        *value = (int)val->mag;
    return 1;
}


int
mvConfGetUInt(mvConf *conf, const char *key, unsigned int *value)
{
    mvConfValue *val = mvConfLookup(conf, key);

    if (!val)
        return 0;
    if (val->type != MV_CONF_VAL_POS) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "%s: expected an unsigned integer for '%s' parameter",
                      confWhere(conf, key), key);
        return -1;
    }
    if (val->mag > UINT_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "%s: value for '%s' parameter must be in range 0:%u",
                      confWhere(conf, key), key, UINT_MAX);
        return -1;
    }
    *value = (unsigned int)val->mag;
    return 1;
}


int
mvConfGetBool(mvConf *conf, const char *key, gboolean *value)
{
    mvConfValue *val = mvConfLookup(conf, key);

    if (!val)
        return 0;
    if (val->type != MV_CONF_VAL_POS) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "%s: expected a bool for '%s' parameter", confWhere(conf, key), key);
        return -1;
    }
    if (val->mag > 1) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "%s: value for '%s' parameter must be 0 or 1", confWhere(conf, key), key);
        return -1;
    }
    *value = val->mag == 1;
    return 1;
}


int
mvConfGetStringList(mvConf *conf, const char *key, char ***values)
{
    mvConfValue *val = mvConfLookup(conf, key);
    GStrvBuilder *b;
    guint i;

    if (!val)
        return 0;
    if (val->type == MV_CONF_VAL_STRING) {
        g_strfreev(*values);
        *values = g_new0(char *, 2);
        (*values)[0] = g_strdup(val->str);
        return 1;
    }
    if (val->type != MV_CONF_VAL_LIST) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "%s: expected a string or string list for '%s' parameter",
                      confWhere(conf, key), key);
        return -1;
    }
    for (i = 0; i < val->list->len; i++) {
        mvConfValue *item = g_ptr_array_index(val->list, i);
        if (item->type != MV_CONF_VAL_STRING) {
            mvReportError(MV_ERR_CONF_SYNTAX,
                          "%s: expected a string list for '%s' parameter",
                          confWhere(conf, key), key);
            return -1;
        }
    }
    b = g_strv_builder_new();
    for (i = 0; i < val->list->len; i++) {
        mvConfValue *item = g_ptr_array_index(val->list, i);
        g_strv_builder_add(b, item->str);
    }
    g_strfreev(*values);
    *values = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return 1;
}


static gboolean
mvConfParseOctal(const char *text, unsigned int *mode)
{
    guint64 m = 0;
    const char *c = text;

    if (!c || !*c)
        return FALSE;
    for (; *c; c++) {
        if (*c < '0' || *c > '7')
            return FALSE;
        m = m * 8 + (*c - '0');
        if (m > 07777)
            return FALSE;
    }
    *mode = (unsigned int)m;
    return TRUE;
}


int
mvConfGetPerms(mvConf *conf, const char *key, unsigned int *mode)
{
    mvConfValue *val = mvConfLookup(conf, key);
    const char *text;
    unsigned int m;

    if (!val)
        return 0;
    switch (val->type) {
    case MV_CONF_VAL_STRING:
        text = val->str;
        break;
    case MV_CONF_VAL_POS:
        /* 0770 was read as digits "0770"; take them as octal */
        text = val->digits;
        break;
    case MV_CONF_VAL_NEG:
    case MV_CONF_VAL_LIST:
    default:
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "%s: expected a string for '%s' parameter", confWhere(conf, key), key);
        return -1;
    }
    if (!mvConfParseOctal(text, &m)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Failed to parse mode '%s'", text);
        return -1;
    }
    *mode = m;
    return 1;
}


void
mvConfForEachUnknown(mvConf *conf, const char *const *known,
                     void (*cb)(const char *key, int line, void *opaque), void *opaque)
{
    guint i;

    if (!conf || !cb)
        return;
    for (i = 0; i < conf->entries->len; i++) {
        mvConfEntry *ent = g_ptr_array_index(conf->entries, i);
        if (known && g_strv_contains(known, ent->name))
            continue;
        cb(ent->name, ent->line, opaque);
    }
}


int
mvConfGetEntryLine(mvConf *conf, const char *key)
{
    guint i;

    if (!conf || !key)
        return 0;
    for (i = 0; i < conf->entries->len; i++) {
        mvConfEntry *ent = g_ptr_array_index(conf->entries, i);
        if (strcmp(ent->name, key) == 0)
            return ent->line;
    }
    return 0;
}
