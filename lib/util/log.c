/* Logging with libvirt's semantics.
 *
 * A message from source file F at priority P is kept when P >= the priority
 * of the first filter whose match string occurs in F's name (see
 * mvLogSourceName), or P >= the default priority when none matches.  A kept
 * message goes to every output whose own priority is <= P; with no outputs
 * defined it goes to stderr.
 *
 * Line format (stderr and files), as libvirt's:
 *   2026-11-22 10:00:00.123+0000: 4711: warning : func:42 : text */
#define SD_JOURNAL_SUPPRESS_LOCATION 1

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-journal.h>

#include "util/error.h"
#include "util/log.h"

#define MV_FROM_THIS MV_FROM_NONE

#ifndef MODVIRT_VERSION_STRING
# define MODVIRT_VERSION_STRING "9.0.0"
#endif

typedef enum {
    MV_LOG_TO_STDERR,
    MV_LOG_TO_SYSLOG,
    MV_LOG_TO_FILE,
    MV_LOG_TO_JOURNALD,
    MV_LOG_TO_LAST
} mvLogDest;

static const char *const mvLogDestNames[] = {
    "stderr", "syslog", "file", "journald",
};
G_STATIC_ASSERT(G_N_ELEMENTS(mvLogDestNames) == MV_LOG_TO_LAST);

typedef struct {
    int priority;
    char *match;      /* as given (without the '+') */
    char *pattern;    /* "*match*" for g_pattern_match_simple */
} mvLogFilter;

typedef struct {
    int priority;
    mvLogDest dest;
    char *name;       /* file path / syslog ident, else NULL */
    int fd;           /* stderr / file */
    gboolean initDone;
} mvLogOutput;

static GMutex mvLogLock;
static GPtrArray *mvLogFilters;   /* of mvLogFilter*, NULL = none */
static GPtrArray *mvLogOutputs;   /* of mvLogOutput*, NULL = default stderr */
static int mvLogDefaultPrio = MV_LOG_WARN;
static gboolean mvLogStderrInitDone;
static char *mvLogSyslogIdent;    /* owned; openlog() keeps the pointer */


static const char *
mvLogPriorityString(int prio)
{
    switch (prio) {
    case MV_LOG_DEBUG: return "debug";
    case MV_LOG_INFO: return "info";
    case MV_LOG_WARN: return "warning";
    case MV_LOG_ERROR: return "error";
    }
    return "unknown";
}

static int
mvLogPrioritySyslog(int prio)
{
    switch (prio) {
    case MV_LOG_DEBUG: return LOG_DEBUG;
    case MV_LOG_INFO: return LOG_INFO;
    case MV_LOG_WARN: return LOG_WARNING;
    case MV_LOG_ERROR: return LOG_ERR;
    }
    return LOG_ERR;
}


static void
mvLogFilterFree(gpointer data)
{
    mvLogFilter *f = data;
    g_free(f->match);
    g_free(f->pattern);
    g_free(f);
}

static void
mvLogOutputFree(gpointer data)
{
    mvLogOutput *o = data;

    if (o->dest == MV_LOG_TO_FILE && o->fd >= 0)
        close(o->fd);
    g_free(o->name);
    g_free(o);
}


/* "dir/file" of a source path without ".c", with '/' as '.':
 * "/x/lib/rpc/server.c" -> "rpc.server" (like libvirt's "rpc.netserver"). */
static char *
mvLogSourceName(const char *file)
{
    const char *start = file;
    const char *last = NULL, *prev = NULL, *p;
    char *name;
    size_t len;

    if (!file)
        return g_strdup("");
    for (p = file; *p; p++) {
        if (*p == '/') {
            prev = last;
            last = p;
        }
    }
    if (prev)
        start = prev + 1;
    else if (last)
        start = file;
    name = g_strdup(start);
    len = strlen(name);
    if (len > 2 && strcmp(name + len - 2, ".c") == 0)
        name[len - 2] = '\0';
    g_strdelimit(name, "/", '.');
    return name;
}

static gboolean
mvLogFilterMatches(const mvLogFilter *f, const char *file, const char *source)
{
    return g_pattern_match_simple(f->pattern, source) ||
           (file && g_pattern_match_simple(f->pattern, file));
}

/* Call with the lock held. */
static int
mvLogThreshold(const char *file, const char *source)
{
    guint i;

    if (mvLogFilters) {
        for (i = 0; i < mvLogFilters->len; i++) {
            mvLogFilter *f = g_ptr_array_index(mvLogFilters, i);
            if (mvLogFilterMatches(f, file, source))
                return f->priority;
        }
    }
    return mvLogDefaultPrio;
}


gboolean
mvLogWouldLog(mvLogPriority prio, const char *file)
{
    g_autofree char *source = NULL;
    gboolean ret;

    g_mutex_lock(&mvLogLock);
    if (!mvLogFilters) {
        ret = (int)prio >= mvLogDefaultPrio;
        g_mutex_unlock(&mvLogLock);
        return ret;
    }
    g_mutex_unlock(&mvLogLock);

    source = mvLogSourceName(file);
    g_mutex_lock(&mvLogLock);
    ret = (int)prio >= mvLogThreshold(file, source);
    g_mutex_unlock(&mvLogLock);
    return ret;
}


static void
mvLogTimestamp(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    size_t n;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
    g_snprintf(buf + n, len - n, ".%03d+0000", (int)(ts.tv_nsec / 1000000));
}


static void
mvLogWriteAll(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= n;
    }
}


typedef struct {
    int prio;
    const char *file;
    int line;
    const char *func;
    const char *source;
    const char *const *fields;   /* "KEY=value", NULL-terminated, or NULL */
    const char *raw;             /* the message text */
    const char *formatted;       /* "tid: level : func:line : text\n" */
    const char *timestamp;
} mvLogRecord;


static void
mvLogToJournald(const mvLogRecord *rec)
{
    g_autoptr(GPtrArray) strs = g_ptr_array_new_with_free_func(g_free);
    g_autofree struct iovec *iov = NULL;
    guint i;

    g_ptr_array_add(strs, g_strdup_printf("MESSAGE=%s", rec->raw));
    g_ptr_array_add(strs, g_strdup_printf("PRIORITY=%d", mvLogPrioritySyslog(rec->prio)));
    g_ptr_array_add(strs, g_strdup_printf("SYSLOG_FACILITY=%d", LOG_DAEMON >> 3));
    g_ptr_array_add(strs, g_strdup_printf("MODVIRT_SOURCE=%s", rec->source));
    if (rec->file)
        g_ptr_array_add(strs, g_strdup_printf("CODE_FILE=%s", rec->file));
    g_ptr_array_add(strs, g_strdup_printf("CODE_LINE=%d", rec->line));
    if (rec->func)
        g_ptr_array_add(strs, g_strdup_printf("CODE_FUNC=%s", rec->func));
    for (i = 0; rec->fields && rec->fields[i]; i++) {
        if (strchr(rec->fields[i], '='))
            g_ptr_array_add(strs, g_strdup(rec->fields[i]));
    }
    iov = g_new0(struct iovec, strs->len);
    for (i = 0; i < strs->len; i++) {
        iov[i].iov_base = g_ptr_array_index(strs, i);
        iov[i].iov_len = strlen(g_ptr_array_index(strs, i));
    }
    sd_journal_sendv(iov, strs->len);
}


static void
mvLogEmitTo(mvLogOutput *o, const mvLogRecord *rec)
{
    g_autofree char *line = NULL;

    switch (o->dest) {
    case MV_LOG_TO_STDERR:
    case MV_LOG_TO_FILE:
        line = g_strdup_printf("%s: %s", rec->timestamp, rec->formatted);
        mvLogWriteAll(o->fd, line, strlen(line));
        break;
    case MV_LOG_TO_SYSLOG:
        syslog(mvLogPrioritySyslog(rec->prio), "%s", rec->formatted);
        break;
    case MV_LOG_TO_JOURNALD:
        mvLogToJournald(rec);
        break;
    case MV_LOG_TO_LAST:
        break;
    }
}


static char *
mvLogFormat(int prio, const char *func, int line, const char *text)
{
    if (func)
        return g_strdup_printf("%d: %s : %s:%d : %s\n", (int)gettid(),
                               mvLogPriorityString(prio), func, line, text);
    return g_strdup_printf("%d: %s : %s\n", (int)gettid(),
                           mvLogPriorityString(prio), text);
}


/* libvirt starts every output with its version and the host name. */
static void
mvLogEmitInit(mvLogOutput *o, const char *timestamp)
{
    g_autofree char *host = g_strdup_printf("hostname: %s", g_get_host_name());
    const char *version = "modvirt version: " MODVIRT_VERSION_STRING;
    g_autofree char *f1 = mvLogFormat(MV_LOG_INFO, NULL, 0, version);
    g_autofree char *f2 = mvLogFormat(MV_LOG_INFO, NULL, 0, host);
    mvLogRecord r1 = { MV_LOG_INFO, __FILE__, __LINE__, __func__, "util.log", NULL,
                       version, f1, timestamp };
    mvLogRecord r2 = { MV_LOG_INFO, __FILE__, __LINE__, __func__, "util.log", NULL,
                       host, f2, timestamp };

    mvLogEmitTo(o, &r1);
    mvLogEmitTo(o, &r2);
}


static void
mvLogVMessage(mvLogPriority prio, const char *file, int line, const char *func,
              const char *const *fields, const char *fmt, va_list ap)
{
    int saved = errno;
    g_autofree char *source = NULL;
    g_autofree char *text = NULL;
    g_autofree char *formatted = NULL;
    char timestamp[64];
    mvLogRecord rec;
    guint i;

    if (!fmt)
        return;
    source = mvLogSourceName(file);

    g_mutex_lock(&mvLogLock);
    if ((int)prio < mvLogThreshold(file, source)) {
        g_mutex_unlock(&mvLogLock);
        errno = saved;
        return;
    }
    g_mutex_unlock(&mvLogLock);

    text = g_strdup_vprintf(fmt, ap);
    formatted = mvLogFormat(prio, func, line, text);
    mvLogTimestamp(timestamp, sizeof(timestamp));
    rec = (mvLogRecord) { prio, file, line, func, source, fields, text, formatted, timestamp };

    g_mutex_lock(&mvLogLock);
    if (mvLogOutputs) {
        for (i = 0; i < mvLogOutputs->len; i++) {
            mvLogOutput *o = g_ptr_array_index(mvLogOutputs, i);
            if ((int)prio < o->priority)
                continue;
            if (!o->initDone) {
                mvLogEmitInit(o, timestamp);
                o->initDone = TRUE;
            }
            mvLogEmitTo(o, &rec);
        }
    } else {
        mvLogOutput def = { MV_LOG_DEBUG, MV_LOG_TO_STDERR, NULL, STDERR_FILENO, TRUE };
        if (!mvLogStderrInitDone) {
            mvLogEmitInit(&def, timestamp);
            mvLogStderrInitDone = TRUE;
        }
        mvLogEmitTo(&def, &rec);
    }
    g_mutex_unlock(&mvLogLock);
    errno = saved;
}


void
mvLogMessage(mvLogPriority prio, const char *file, int line, const char *func,
             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mvLogVMessage(prio, file, line, func, NULL, fmt, ap);
    va_end(ap);
}


void
mvLogMessageFields(mvLogPriority prio, const char *file, int line, const char *func,
                   const char *const *fields, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mvLogVMessage(prio, file, line, func, fields, fmt, ap);
    va_end(ap);
}


void
mvLogSetDefaultPriority(mvLogPriority prio)
{
    if (prio < MV_LOG_DEBUG || prio > MV_LOG_ERROR)
        return;
    g_mutex_lock(&mvLogLock);
    mvLogDefaultPrio = prio;
    g_mutex_unlock(&mvLogLock);
}


mvLogPriority
mvLogGetDefaultPriority(void)
{
    int prio;
    g_mutex_lock(&mvLogLock);
    prio = mvLogDefaultPrio;
    g_mutex_unlock(&mvLogLock);
    return prio;
}


int
mvLogParsePriority(const char *str)
{
    if (!str)
        return -1;
    if (strcmp(str, "1") == 0 || g_ascii_strcasecmp(str, "debug") == 0)
        return MV_LOG_DEBUG;
    if (strcmp(str, "2") == 0 || g_ascii_strcasecmp(str, "info") == 0)
        return MV_LOG_INFO;
    if (strcmp(str, "3") == 0 || g_ascii_strcasecmp(str, "warning") == 0)
        return MV_LOG_WARN;
    if (strcmp(str, "4") == 0 || g_ascii_strcasecmp(str, "error") == 0)
        return MV_LOG_ERROR;
    return -1;
}


/* A whole unsigned decimal number 1..4, like virStrToLong_uip + range check. */
static int
mvLogParsePrioNumber(const char *str)
{
    char *end = NULL;
    unsigned long v;

    if (!str || !g_ascii_isdigit(*str))
        return -1;
    errno = 0;
    v = strtoul(str, &end, 10);
    if (errno || !end || *end || v < MV_LOG_DEBUG || v > MV_LOG_ERROR)
        return -1;
    return (int)v;
}


static mvLogFilter *
mvLogParseFilter(const char *src)
{
    g_auto(GStrv) tokens = g_strsplit(src, ":", 0);
    mvLogFilter *f;
    const char *match;
    int prio;

    if (!tokens[0] || !tokens[1]) {
        mvReportError(MV_ERR_INVALID_ARG, "Malformed format for filter '%s'", src);
        return NULL;
    }
    if ((prio = mvLogParsePrioNumber(tokens[0])) < 0) {
        mvReportError(MV_ERR_INVALID_ARG, "Invalid priority '%s' for filter '%s'",
                      tokens[0], src);
        return NULL;
    }
    match = tokens[1];
    if (match[0] == '+')        /* libvirt's old "print a stack trace" flag */
        match++;
    if (!*match) {
        mvReportError(MV_ERR_INVALID_ARG, "Invalid match string '%s'", tokens[1]);
        return NULL;
    }
    f = g_new0(mvLogFilter, 1);
    f->priority = prio;
    f->match = g_strdup(match);
    f->pattern = g_strdup_printf("*%s*", match);
    return f;
}


int
mvLogSetFilters(const char *filters)
{
    g_autoptr(GPtrArray) list = NULL;
    g_auto(GStrv) words = NULL;
    size_t i;

    if (filters) {
        list = g_ptr_array_new_with_free_func(mvLogFilterFree);
        words = g_strsplit(filters, " ", 0);
        for (i = 0; words[i]; i++) {
            mvLogFilter *f;
            if (!*words[i])
                continue;
            if (!(f = mvLogParseFilter(words[i])))
                return -1;
            g_ptr_array_add(list, f);
        }
        if (list->len == 0)
            g_clear_pointer(&list, g_ptr_array_unref);
    }

    g_mutex_lock(&mvLogLock);
    if (mvLogFilters)
        g_ptr_array_unref(mvLogFilters);
    mvLogFilters = g_steal_pointer(&list);
    g_mutex_unlock(&mvLogLock);
    return 0;
}


static int
mvLogFindOutput(GPtrArray *list, mvLogDest dest, const char *name)
{
    guint i;

    for (i = 0; i < list->len; i++) {
        mvLogOutput *o = g_ptr_array_index(list, i);
        if (o->dest == dest && g_strcmp0(o->name, name) == 0)
            return (int)i;
    }
    return -1;
}


static mvLogOutput *
mvLogParseOutput(const char *src)
{
    g_auto(GStrv) tokens = g_strsplit(src, ":", 0);
    guint count = g_strv_length(tokens);
    mvLogOutput *o;
    int prio;
    int dest = -1;
    int i;

    if (count < 2) {
        mvReportError(MV_ERR_INVALID_ARG, "Malformed format for log output '%s'", src);
        return NULL;
    }
    if ((prio = mvLogParsePrioNumber(tokens[0])) < 0) {
        mvReportError(MV_ERR_INVALID_ARG,
                      "Invalid log priority '%s' for log output '%s'", tokens[0], src);
        return NULL;
    }
    for (i = 0; i < MV_LOG_TO_LAST; i++) {
        if (strcmp(tokens[1], mvLogDestNames[i]) == 0)
            dest = i;
    }
    if (dest < 0) {
        mvReportError(MV_ERR_INVALID_ARG,
                      "Invalid log destination '%s' for log output '%s'", tokens[1], src);
        return NULL;
    }
    if (((dest == MV_LOG_TO_STDERR || dest == MV_LOG_TO_JOURNALD) && count != 2) ||
        ((dest == MV_LOG_TO_FILE || dest == MV_LOG_TO_SYSLOG) && count != 3)) {
        mvReportError(MV_ERR_INVALID_ARG,
                      "Log output '%s' does not meet the format requirements for destination type '%s'",
                      src, tokens[1]);
        return NULL;
    }
    if ((dest == MV_LOG_TO_FILE || dest == MV_LOG_TO_SYSLOG) && !*tokens[2]) {
        mvReportError(MV_ERR_INVALID_ARG, "%s",
                      "Missing auxiliary data in output definition");
        return NULL;
    }

    o = g_new0(mvLogOutput, 1);
    o->priority = prio;
    o->dest = dest;
    o->fd = -1;
    switch ((mvLogDest)dest) {
    case MV_LOG_TO_STDERR:
        o->fd = STDERR_FILENO;
        break;
    case MV_LOG_TO_FILE:
        o->name = g_canonicalize_filename(tokens[2], NULL);
        o->fd = open(o->name, O_CREAT | O_APPEND | O_WRONLY | O_CLOEXEC, 0600);
        if (o->fd < 0) {
            mvReportSystemError(errno, "failed to open %s", o->name);
            mvLogOutputFree(o);
            return NULL;
        }
        break;
    case MV_LOG_TO_SYSLOG:
        o->name = g_strdup(tokens[2]);
        break;
    case MV_LOG_TO_JOURNALD:
    case MV_LOG_TO_LAST:
        break;
    }
    return o;
}


int
mvLogSetOutputs(const char *outputs)
{
    g_autoptr(GPtrArray) list = NULL;
    g_auto(GStrv) words = NULL;
    const char *ident = NULL;
    GPtrArray *old;
    size_t i;

    if (outputs && *outputs) {
        list = g_ptr_array_new_with_free_func(mvLogOutputFree);
        words = g_strsplit(outputs, " ", 0);
        for (i = 0; words[i]; i++) {
            mvLogOutput *o;
            int at;

            if (!*words[i])
                continue;
            if (!(o = mvLogParseOutput(words[i])))
                return -1;
            /* a repeated destination replaces the earlier one */
            at = mvLogFindOutput(list, o->dest, o->name);
            g_ptr_array_add(list, o);
            if (at >= 0)
                g_ptr_array_remove_index(list, at);
        }
        if (list->len == 0)
            g_clear_pointer(&list, g_ptr_array_unref);
    }

    if (list) {
        for (i = 0; i < list->len; i++) {
            mvLogOutput *o = g_ptr_array_index(list, i);
            if (o->dest == MV_LOG_TO_SYSLOG)
                ident = o->name;
        }
    }

    g_mutex_lock(&mvLogLock);
    old = mvLogOutputs;
    mvLogOutputs = g_steal_pointer(&list);
    if (ident) {
        /* openlog() keeps our pointer: swap it only while holding the lock */
        char *prev = mvLogSyslogIdent;
        mvLogSyslogIdent = g_strdup(ident);
        openlog(mvLogSyslogIdent, 0, LOG_DAEMON);
        g_free(prev);
    }
    g_mutex_unlock(&mvLogLock);
    if (old)
        g_ptr_array_unref(old);
    return 0;
}


char *
mvLogGetFilters(void)
{
    GString *s = g_string_new(NULL);
    guint i;

    g_mutex_lock(&mvLogLock);
    for (i = 0; mvLogFilters && i < mvLogFilters->len; i++) {
        mvLogFilter *f = g_ptr_array_index(mvLogFilters, i);
        g_string_append_printf(s, "%s%d:%s", i ? " " : "", f->priority, f->match);
    }
    g_mutex_unlock(&mvLogLock);
    return g_string_free(s, FALSE);
}


char *
mvLogGetOutputs(void)
{
    GString *s = g_string_new(NULL);
    guint i;

    g_mutex_lock(&mvLogLock);
    if (!mvLogOutputs) {
        g_string_append_printf(s, "%d:stderr", mvLogDefaultPrio);
    } else {
        for (i = 0; i < mvLogOutputs->len; i++) {
            mvLogOutput *o = g_ptr_array_index(mvLogOutputs, i);
            if (i)
                g_string_append_c(s, ' ');
            if (o->name)
                g_string_append_printf(s, "%d:%s:%s", o->priority,
                                       mvLogDestNames[o->dest], o->name);
            else
                g_string_append_printf(s, "%d:%s", o->priority, mvLogDestNames[o->dest]);
        }
    }
    g_mutex_unlock(&mvLogLock);
    return g_string_free(s, FALSE);
}


int
mvLogSetFromEnv(void)
{
    const char *dbg = g_getenv("LIBVIRT_DEBUG");
    const char *filters = g_getenv("LIBVIRT_LOG_FILTERS");
    const char *outputs = g_getenv("LIBVIRT_LOG_OUTPUTS");

    if (dbg && *dbg) {
        int prio = mvLogParsePriority(dbg);
        if (prio < 0) {
            mvReportError(MV_ERR_INVALID_ARG,
                          "Failed to set logging priority, argument '%s' is invalid", dbg);
            return -1;
        }
        mvLogSetDefaultPriority(prio);
    }
    if (filters && *filters && mvLogSetFilters(filters) < 0)
        return -1;
    if (outputs && *outputs && mvLogSetOutputs(outputs) < 0)
        return -1;
    return 0;
}
