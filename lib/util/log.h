/* The one logging path: stderr, a file or journald, filtered like libvirt's
 * log_filters ("1:rpc 3:qemu 4:*"), routed like log_outputs ("3:stderr",
 * "1:file:/var/log/x.log", "2:journald").  Thread safe.
 * stderr/file line format (libvirt's):
 *   "2026-11-22 10:00:00.123+0000: <tid>: <level> : <func>:<line> : <message>"
 * Each output starts with two info lines, "modvirt version: ..." and
 * "hostname: ...", as libvirt's do.  Journald entries carry MESSAGE,
 * PRIORITY, SYSLOG_FACILITY, CODE_FILE, CODE_LINE, CODE_FUNC, MODVIRT_SOURCE. */
#pragma once
#include <glib.h>

typedef enum {
    MV_LOG_DEBUG = 1,
    MV_LOG_INFO = 2,
    MV_LOG_WARN = 3,
    MV_LOG_ERROR = 4,
} mvLogPriority;

void mvLogMessage(mvLogPriority prio, const char *file, int line, const char *func,
                  const char *fmt, ...) G_GNUC_PRINTF(5, 6);

#define MV_DEBUG(...) mvLogMessage(MV_LOG_DEBUG, __FILE__, __LINE__, __func__, __VA_ARGS__)
#define MV_INFO(...)  mvLogMessage(MV_LOG_INFO,  __FILE__, __LINE__, __func__, __VA_ARGS__)
#define MV_WARN(...)  mvLogMessage(MV_LOG_WARN,  __FILE__, __LINE__, __func__, __VA_ARGS__)
#define MV_ERROR(...) mvLogMessage(MV_LOG_ERROR, __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Like mvLogMessage, plus journald fields "KEY=value" (NULL-terminated
 * @fields, e.g. "VM_NAME=demo", "RPC_PROC=..."); other outputs ignore them. */
void mvLogMessageFields(mvLogPriority prio, const char *file, int line, const char *func,
                        const char *const *fields, const char *fmt, ...) G_GNUC_PRINTF(6, 7);

/* Default threshold for messages no filter matches (libvirt's log_level).
 * Out-of-range values are ignored. */
void mvLogSetDefaultPriority(mvLogPriority prio);
mvLogPriority mvLogGetDefaultPriority(void);
/* "1".."4" or "debug"/"info"/"warning"/"error" -> priority, else -1 (no error set). */
int mvLogParsePriority(const char *str);

/* Space-separated lists in libvirt's syntax.  Returns -1 with an
 * MV_ERR_INVALID_ARG error worded like libvirt's on bad syntax (e.g.
 * "invalid argument: Invalid log destination 'foo' for log output '1:foo'");
 * the previous setting stays.
 * Filters: "PRIO:MATCH" -- MATCH is a substring (shell wildcards '*' and '?'
 *   work too, as in libvirt) of the source file path as given by __FILE__ or
 *   of its module name "dir.file"
 *   ("lib/rpc/server.c" -> "rpc.server"); a leading '+' is accepted and
 *   ignored; the first matching filter decides.  NULL or "" clears them.
 * Outputs: "PRIO:stderr", "PRIO:journald", "PRIO:file:PATH", "PRIO:syslog:IDENT";
 *   a repeated destination replaces the earlier one; files are opened (append,
 *   created 0600) while parsing.  NULL or "" restores the default: stderr. */
int mvLogSetFilters(const char *filters);
int mvLogSetOutputs(const char *outputs);
/* Current settings in the same syntax (for the admin API); caller frees.
 * Outputs are "PRIO:stderr" with the default priority when none are set. */
char *mvLogGetFilters(void);
char *mvLogGetOutputs(void);
/* Apply LIBVIRT_DEBUG, LIBVIRT_LOG_FILTERS, LIBVIRT_LOG_OUTPUTS; -1 + error. */
int mvLogSetFromEnv(void);
/* True when a message of @prio from @file would be written (cheap pre-check). */
gboolean mvLogWouldLog(mvLogPriority prio, const char *file);
