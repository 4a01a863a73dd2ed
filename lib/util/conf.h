/* Reader for libvirt's config syntax: "key = value" lines, '#' comments,
 * values are "strings" / 'strings', integers, or [ "lists", "of", "strings" ]
 * (lists may span lines).  Errors name the file and line. */
#pragma once
#include <glib.h>

typedef struct mvConf mvConf;

typedef enum {
    MV_CONF_STRING,
    MV_CONF_LLONG,
    MV_CONF_LIST,
} mvConfType;

/* Files larger than this are refused. */
#define MV_CONF_MAX_SIZE (1024 * 1024)

mvConf *mvConfReadFile(const char *path);                       /* NULL + error */
mvConf *mvConfReadString(const char *content, const char *name);  /* name used in messages */
void mvConfFree(mvConf *conf);                                   /* accepts NULL */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvConf, mvConfFree)

/* Syntax errors: NULL + MV_ERR_CONF_SYNTAX (domain MV_FROM_CONF), message
 * "configuration file syntax error: FILE:LINE: expecting a value" (libvirt's
 * wording; other details: "unterminated string", "unterminated number",
 * "expecting a name", "expecting an assignment", "expecting a separator",
 * "expecting a separator in list", "list is not closed with ]", plus ours:
 * "integer overflow", "lists nested too deeply").  ReadFile: a missing or too
 * large file is a system error "Failed to open/read file 'PATH': ...".
 * Numbers written with '-' are signed, others unsigned (libvirt's rule: a
 * negative value is "expected an unsigned integer" for GetUInt/GetBool).
 * Duplicate keys: the first one wins, as in libvirt.
 *
 * Getters: return 1 and set *value when the key is present, 0 when absent
 * (value untouched), -1 with an error when the value has the wrong type or is
 * out of range.  Wording is libvirt's, naming the file but not the line:
 * "internal error: FILE: expected a string for 'KEY' parameter",
 * "internal error: FILE: value for 'KEY' parameter must be in range 0:4294967295". */
int mvConfGetString(mvConf *conf, const char *key, char **value);
int mvConfGetInt(mvConf *conf, const char *key, int *value);
int mvConfGetUInt(mvConf *conf, const char *key, unsigned int *value);
int mvConfGetBool(mvConf *conf, const char *key, gboolean *value);  /* 0/1 integers */
int mvConfGetStringList(mvConf *conf, const char *key, char ***values); /* a "str" is a 1-list */
/* Perms in octal text or number ("0770" or 0770), at most 07777;
 * otherwise "internal error: Failed to parse mode 'TEXT'". */
int mvConfGetPerms(mvConf *conf, const char *key, unsigned int *mode);

/* Calls @cb(key, line) for each key not in @known (NULL-terminated). */
void mvConfForEachUnknown(mvConf *conf, const char *const *known,
                          void (*cb)(const char *key, int line, void *opaque), void *opaque);
const char *mvConfGetFilename(mvConf *conf);
/* Line of the (first) entry named @key, 0 if absent. */
int mvConfGetEntryLine(mvConf *conf, const char *key);
