/* The QMP monitor client.  See qemu_monitor.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "qemu_monitor.h"

#define MV_FROM_THIS MV_FROM_QEMU
#include "util/error.h"
#include "util/log.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

/* Tests may lower these (they include this file). */
static gsize qemuMonitorMaxLine = QEMU_MONITOR_MAX_LINE;
static int qemuMonitorJSONDepth = QEMU_MONITOR_JSON_DEPTH;

#define QEMU_MONITOR_READ_CHUNK (64 * 1024)
/* Bytes read per main loop dispatch before yielding to other sources. */
#define QEMU_MONITOR_READ_BUDGET (1024 * 1024)
#define QEMU_MONITOR_IO_EVENTS (G_IO_IN | G_IO_HUP | G_IO_ERR)

typedef struct {
    char *name;
    json_object *data;
} qemuMonitorEvent;

struct qemuMonitor {
    gint refs;
    GMutex lock;
    GCond cond;

    int fd;                     /* -1 once closed */
    GMainContext *ctx;
    GSource *watch;             /* NULL when not watching */
    gpointer watchTag;
    GIOCondition watchEvents;

    qemuMonitorCallbacks cb;
    void *opaque;

    json_object *greeting;      /* the "QMP" member */
    int commandTimeoutMs;
    unsigned long long serial;

    /* input: bytes [inpos, len) are unconsumed; '\n' was searched up to inscan */
    GString *inbuf;
    gsize inpos;
    gsize inscan;

    /* output of the command in flight (may outlive it after a timeout) */
    GString *outbuf;
    gsize outoff;
    int outfd;                  /* sent with the first byte, not owned */

    /* the command in flight */
    gboolean busy;
    char *msgId;
    json_object *msgReply;

    gboolean closed;            /* qemuMonitorClose() called */
    gboolean dead;              /* EOF, I/O or protocol error seen */
    mvError *deadError;         /* what commands report once dead */
    gboolean deadIsEOF;         /* plain EOF (no protocol error) */
    gboolean eofPending;        /* eof callback still to be called */

    char *balloonPath;
};

typedef struct {
    GSource base;
    qemuMonitor *mon;
} qemuMonitorSource;

static gboolean qemuMonitorIOHandle(qemuMonitor *mon, GIOCondition cond);


/* ------------------------------------------------------------ refcounting */

qemuMonitor *
qemuMonitorRef(qemuMonitor *mon)
{
    if (mon)
        g_atomic_int_inc(&mon->refs);
    return mon;
}

void
qemuMonitorUnref(qemuMonitor *mon)
{
    if (!mon || !g_atomic_int_dec_and_test(&mon->refs))
        return;
    /* the watch holds a reference, so it is gone by now */
    if (mon->fd >= 0)
        close(mon->fd);
    if (mon->ctx)
        g_main_context_unref(mon->ctx);
    if (mon->greeting)
        json_object_put(mon->greeting);
    if (mon->msgReply)
        json_object_put(mon->msgReply);
    g_free(mon->msgId);
    g_string_free(mon->inbuf, TRUE);
    g_string_free(mon->outbuf, TRUE);
    mvErrorFree(mon->deadError);
    g_free(mon->balloonPath);
    g_mutex_clear(&mon->lock);
    g_cond_clear(&mon->cond);
    g_free(mon);
}

static void
qemuMonitorUnrefCb(gpointer mon)
{
    qemuMonitorUnref(mon);
}


/* ------------------------------------------------------------ parsing */

/* A printable, bounded excerpt of hostile bytes for error messages. */
static char *
qemuMonitorExcerpt(const char *data, gsize len)
{
    g_autofree char *cut = g_strndup(data, MIN(len, 80));
    g_autofree char *esc = g_strescape(cut, NULL);

    return g_strdup_printf("%s%s", esc, len > 80 ? "..." : "");
}

/* Parse one line (without its line end).  NULL + error unless it is a
 * single well-formed JSON object. */
static json_object *
qemuMonitorParseLine(const char *line, gsize len)
{
    json_tokener *tok;
    json_object *obj;
    enum json_tokener_error jerr;
    gsize end;

    if (len > G_MAXINT) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "QEMU monitor message too long");
        return NULL;
    }
    if (memchr(line, '\0', len)) {
        g_autofree char *ex = qemuMonitorExcerpt(line, len);
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "cannot parse QEMU monitor message '%s': NUL byte", ex);
        return NULL;
    }
    if (!(tok = json_tokener_new_ex(qemuMonitorJSONDepth))) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "cannot allocate JSON parser");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    obj = json_tokener_parse_ex(tok, line, (int)len);
    jerr = json_tokener_get_error(tok);
    end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);

    if (!obj && jerr == json_tokener_success) {
        g_autofree char *ex = qemuMonitorExcerpt(line, len);
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "QEMU monitor message '%s' is not a JSON object", ex);
        return NULL;
    }
    if (!obj || jerr != json_tokener_success) {
        g_autofree char *ex = qemuMonitorExcerpt(line, len);
        if (obj)
            json_object_put(obj);
        mvReportError(MV_ERR_INTERNAL_ERROR, "cannot parse QEMU monitor message '%s': %s", ex,
                      jerr == json_tokener_continue ? "incomplete JSON"
                                                    : json_tokener_error_desc(jerr));
        return NULL;
    }
    for (; end < len; end++) {
        if (!g_ascii_isspace(line[end])) {
            g_autofree char *ex = qemuMonitorExcerpt(line, len);
            json_object_put(obj);
            mvReportError(MV_ERR_INTERNAL_ERROR,
                          "cannot parse QEMU monitor message '%s': trailing data", ex);
            return NULL;
        }
    }
    if (!json_object_is_type(obj, json_type_object)) {
        g_autofree char *ex = qemuMonitorExcerpt(line, len);
        json_object_put(obj);
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "QEMU monitor message '%s' is not a JSON object", ex);
        return NULL;
    }
    return obj;
}

/* Take the next complete line out of the input buffer.  1 with *obj set,
 * 0 when no complete line is buffered, -1 + error on a bad line. */
static int
qemuMonitorNextMessage(qemuMonitor *mon, json_object **obj)
{
    *obj = NULL;
    for (;;) {
        const char *base = mon->inbuf->str;
        const char *nl;
        gsize start = mon->inpos;
        gsize len;

        if (mon->inscan < start)
            mon->inscan = start;
        nl = memchr(base + mon->inscan, '\n', mon->inbuf->len - mon->inscan);
        if (!nl) {
            mon->inscan = mon->inbuf->len;
            return 0;
        }
        len = (gsize)(nl - base) - start;
        mon->inpos = mon->inscan = (gsize)(nl - base) + 1;
        if (len > 0 && base[start + len - 1] == '\r')
            len--;
        while (len > 0 && (base[start] == ' ' || base[start] == '\t' || base[start] == '\r'))
            start++, len--;
        if (len == 0)
            continue;          /* blank line */
        if (!(*obj = qemuMonitorParseLine(base + start, len)))
            return -1;
        return 1;
    }
}

/* Drop consumed input; -1 + error when the partial line left exceeds the limit. */
static int
qemuMonitorCompactInput(qemuMonitor *mon)
{
    if (mon->inpos > 0) {
        g_string_erase(mon->inbuf, 0, mon->inpos);
        mon->inscan -= MIN(mon->inscan, mon->inpos);
        mon->inpos = 0;
    }
    if (mon->inbuf->len > qemuMonitorMaxLine) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "QEMU monitor message exceeds the %zu byte limit",
                      (size_t)qemuMonitorMaxLine);
        return -1;
    }
    return 0;
}

/* Read what is available (up to @budget bytes).  1 = got data or would
 * block, 0 = EOF, -1 + error. */
static int
qemuMonitorRead(qemuMonitor *mon, gsize budget)
{
    gsize total = 0;

    while (total < budget) {
        gsize old = mon->inbuf->len;
        ssize_t got;

        g_string_set_size(mon->inbuf, old + QEMU_MONITOR_READ_CHUNK);
        got = read(mon->fd, mon->inbuf->str + old, QEMU_MONITOR_READ_CHUNK);
        g_string_truncate(mon->inbuf, old + MAX(got, 0));
        if (got < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 1;
            if (errno == ECONNRESET)
                return 0;
            mvReportSystemError(errno, "Unable to read from monitor");
            return -1;
        }
        if (got == 0)
            return 0;
        total += got;
        /* do not buffer far beyond the limit before checking it */
        if (mon->inbuf->len - mon->inpos > qemuMonitorMaxLine + QEMU_MONITOR_READ_CHUNK)
            return 1;
    }
    return 1;
}

/* Write pending output.  0 = all written or would block, -1 + error,
 * -2 = peer gone. */
static int
qemuMonitorWrite(qemuMonitor *mon)
{
    while (mon->outoff < mon->outbuf->len) {
        const char *data = mon->outbuf->str + mon->outoff;
        gsize len = mon->outbuf->len - mon->outoff;
        ssize_t done;

        if (mon->outfd >= 0) {
            struct msghdr msg = { 0 };
            struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
            union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
            } control;
            struct cmsghdr *cmsg;

            memset(&control, 0, sizeof(control));
            msg.msg_iov = &iov;
            msg.msg_iovlen = 1;
            msg.msg_control = control.buf;
            msg.msg_controllen = sizeof(control.buf);
            cmsg = CMSG_FIRSTHDR(&msg);
            cmsg->cmsg_len = CMSG_LEN(sizeof(int));
            cmsg->cmsg_level = SOL_SOCKET;
            cmsg->cmsg_type = SCM_RIGHTS;
            memcpy(CMSG_DATA(cmsg), &mon->outfd, sizeof(int));
            done = sendmsg(mon->fd, &msg, MSG_NOSIGNAL);
        } else {
            done = send(mon->fd, data, len, MSG_NOSIGNAL);
        }
        if (done < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EPIPE || errno == ECONNRESET)
                return -2;
            mvReportSystemError(errno, "Unable to write to monitor");
            return -1;
        }
        mon->outfd = -1;
        mon->outoff += done;
    }
    g_string_truncate(mon->outbuf, 0);
    mon->outoff = 0;
    return 0;
}


/* ------------------------------------------------------------ death */

/* Mark the monitor dead (lock held).  With @eof the error is the plain EOF
 * one; otherwise the thread's last error is taken as the cause. */
static void
qemuMonitorSetDead(qemuMonitor *mon, gboolean eof)
{
    if (mon->dead)
        return;
    if (eof) {
        mvError *saved = mvErrorSteal();
        mvReportError(MV_ERR_OPERATION_FAILED, "End of file from qemu monitor");
        mon->deadError = mvErrorSteal();
        mvErrorRestore(saved);
    } else {
        mon->deadError = mvErrorSteal();
        if (!mon->deadError) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "QEMU monitor failed");
            mon->deadError = mvErrorSteal();
        }
    }
    MV_DEBUG("mon=%p dead: %s", mon, mon->deadError ? mon->deadError->message : "?");
    mon->dead = TRUE;
    mon->deadIsEOF = eof;
    mon->eofPending = TRUE;
    if (mon->watch) {
        g_source_destroy(mon->watch);
        g_source_unref(mon->watch);
        mon->watch = NULL;
    }
    g_cond_broadcast(&mon->cond);
}


/* ------------------------------------------------------------ main loop side */

static gboolean
qemuMonitorSourceDispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    qemuMonitorSource *src = (qemuMonitorSource *)source;
    qemuMonitor *mon = src->mon;
    GIOCondition cond = 0;

    g_mutex_lock(&mon->lock);
    if (mon->watch == source && mon->watchTag)
        cond = g_source_query_unix_fd(source, mon->watchTag);
    g_mutex_unlock(&mon->lock);
    return qemuMonitorIOHandle(mon, cond);
}

static void
qemuMonitorSourceFinalize(GSource *source)
{
    qemuMonitorUnref(((qemuMonitorSource *)source)->mon);
}

static GSourceFuncs qemuMonitorSourceFuncs = {
    .dispatch = qemuMonitorSourceDispatch,
    .finalize = qemuMonitorSourceFinalize,
};

/* Main loop thread, lock held: poll for output only while some is pending. */
static void
qemuMonitorUpdateWatch(qemuMonitor *mon)
{
    GIOCondition want = QEMU_MONITOR_IO_EVENTS;

    if (!mon->watch)
        return;
    if (mon->outbuf->len > mon->outoff)
        want |= G_IO_OUT;
    if (want != mon->watchEvents) {
        g_source_modify_unix_fd(mon->watch, mon->watchTag, want);
        mon->watchEvents = want;
    }
}

/* Main loop thread, lock held: handle one parsed message.  -1 + error on a
 * protocol violation.  Events are appended to @events. */
static int
qemuMonitorDispatchMessage(qemuMonitor *mon, json_object *obj, GQueue *events)
{
    json_object *val;

    if (json_object_object_get_ex(obj, "event", &val)) {
        qemuMonitorEvent *ev;
        json_object *data = NULL;

        if (!json_object_is_type(val, json_type_string)) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "QEMU monitor event without a name");
            return -1;
        }
        ev = g_new0(qemuMonitorEvent, 1);
        ev->name = g_strdup(json_object_get_string(val));
        if (json_object_object_get_ex(obj, "data", &data) &&
            json_object_is_type(data, json_type_object))
            ev->data = json_object_get(data);
        g_queue_push_tail(events, ev);
        return 0;
    }

    if (json_object_object_get_ex(obj, "return", NULL) ||
        json_object_object_get_ex(obj, "error", NULL)) {
        json_object *id = NULL;
        const char *idstr = NULL;

        if (json_object_object_get_ex(obj, "id", &id) &&
            json_object_is_type(id, json_type_string))
            idstr = json_object_get_string(id);
        if (mon->msgId && !mon->msgReply && idstr && strcmp(idstr, mon->msgId) == 0) {
            mon->msgReply = json_object_get(obj);
            g_cond_broadcast(&mon->cond);
        } else {
            MV_DEBUG("mon=%p ignoring reply with id '%s' (waiting for '%s')",
                     mon, idstr ? idstr : "(none)", mon->msgId ? mon->msgId : "(none)");
        }
        return 0;
    }

    if (json_object_object_get_ex(obj, "QMP", NULL)) {
        MV_DEBUG("mon=%p ignoring a repeated greeting", mon);
        return 0;
    }

    {
        const char *text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
        g_autofree char *ex = qemuMonitorExcerpt(text, strlen(text));
        mvReportError(MV_ERR_INTERNAL_ERROR, "Unknown JSON reply '%s'", ex);
    }
    return -1;
}

static void
qemuMonitorEventFree(gpointer data)
{
    qemuMonitorEvent *ev = data;

    g_free(ev->name);
    if (ev->data)
        json_object_put(ev->data);
    g_free(ev);
}

/* Main loop thread: socket ready (@cond) or a kick (@cond == 0, just flush
 * output and process buffered input). */
static gboolean
qemuMonitorIOHandle(qemuMonitor *mon, GIOCondition cond)
{
    GQueue events = G_QUEUE_INIT;
    gboolean keep = G_SOURCE_CONTINUE;
    gboolean peerGone = FALSE;
    int rrc = 1;
    qemuMonitorEvent *ev;

    qemuMonitorRef(mon);
    g_mutex_lock(&mon->lock);

    if (mon->closed || mon->dead || mon->fd < 0) {
        g_mutex_unlock(&mon->lock);
        qemuMonitorUnref(mon);
        return G_SOURCE_REMOVE;
    }

    if (mon->outbuf->len > mon->outoff) {
        int rc = qemuMonitorWrite(mon);
        if (rc == -1) {
            qemuMonitorSetDead(mon, FALSE);
            goto done;
        }
        if (rc == -2) {
            /* QEMU is gone: drop the output, but read what it sent before */
            peerGone = TRUE;
            g_string_truncate(mon->outbuf, 0);
            mon->outoff = 0;
            mon->outfd = -1;
            cond |= G_IO_IN;
        }
        if (mon->outbuf->len == 0)
            g_cond_broadcast(&mon->cond);   /* a command may wait for the drain */
    }

    if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR | G_IO_NVAL))
        rrc = qemuMonitorRead(mon, QEMU_MONITOR_READ_BUDGET);

    /* first everything complete that came before EOF or an error */
    if (mon->inbuf->len > mon->inscan) {
        json_object *obj;
        int prc;

        while ((prc = qemuMonitorNextMessage(mon, &obj)) > 0) {
            int drc = qemuMonitorDispatchMessage(mon, obj, &events);
            json_object_put(obj);
            if (drc < 0) {
                prc = -1;
                break;
            }
        }
        if (prc < 0) {
            qemuMonitorSetDead(mon, FALSE);
            goto done;
        }
    }
    if (qemuMonitorCompactInput(mon) < 0 || rrc < 0) {
        qemuMonitorSetDead(mon, FALSE);
    } else if (rrc == 0) {
        if (mon->inbuf->len > 0) {
            g_autofree char *ex = qemuMonitorExcerpt(mon->inbuf->str, mon->inbuf->len);
            mvReportError(MV_ERR_INTERNAL_ERROR,
                          "End of file from qemu monitor after incomplete message '%s'", ex);
            qemuMonitorSetDead(mon, FALSE);
        } else {
            qemuMonitorSetDead(mon, TRUE);
        }
    } else if (peerGone) {
        MV_DEBUG("mon=%p peer stopped reading; waiting for EOF", mon);
    }

 done:
    if (mon->dead)
        keep = G_SOURCE_REMOVE;
    else
        qemuMonitorUpdateWatch(mon);
    g_mutex_unlock(&mon->lock);

    /* callbacks run unlocked; each one re-checks that nobody closed us */
    while ((ev = g_queue_pop_head(&events))) {
        gboolean deliver;

        g_mutex_lock(&mon->lock);
        deliver = !mon->closed;
        g_mutex_unlock(&mon->lock);
        if (deliver && mon->cb.event)
            mon->cb.event(mon, ev->name, ev->data, mon->opaque);
        qemuMonitorEventFree(ev);
    }

    g_mutex_lock(&mon->lock);
    if (mon->eofPending && !mon->closed) {
        g_autofree char *msg = NULL;

        mon->eofPending = FALSE;
        if (!mon->deadIsEOF && mon->deadError && mon->deadError->message)
            msg = g_strdup(mon->deadError->message);
        g_mutex_unlock(&mon->lock);
        if (mon->cb.eof)
            mon->cb.eof(mon, msg, mon->opaque);
    } else {
        g_mutex_unlock(&mon->lock);
    }

    qemuMonitorUnref(mon);
    return keep;
}

static gboolean
qemuMonitorKickCb(gpointer data)
{
    qemuMonitorIOHandle(data, 0);
    return G_SOURCE_REMOVE;
}

/* Any thread: have the main loop flush output / process buffered input. */
static void
qemuMonitorKick(qemuMonitor *mon)
{
    GSource *src = g_idle_source_new();

    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, qemuMonitorKickCb, qemuMonitorRef(mon), qemuMonitorUnrefCb);
    g_source_attach(src, mon->ctx);
    g_source_unref(src);
}


/* ------------------------------------------------------------ opening */

static gboolean
qemuMonitorProcessAlive(pid_t pid)
{
    g_autofree char *path = NULL;
    g_autofree char *stat = NULL;
    const char *p;

    if (kill(pid, 0) < 0 && errno == ESRCH)
        return FALSE;
    path = g_strdup_printf("/proc/%d/stat", (int)pid);
    if (!g_file_get_contents(path, &stat, NULL, NULL))
        return TRUE;
    /* "pid (comm) S ..." -- comm may contain ')' */
    if ((p = strrchr(stat, ')')) && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
        return FALSE;
    return TRUE;
}

static int
qemuMonitorConnectUnix(const char *path, pid_t pid, gint64 deadline)
{
    struct sockaddr_un addr = { .sun_family = AF_UNIX };
    int delayMs = 5;

    if (!path || strlen(path) >= sizeof(addr.sun_path)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Monitor path %s too big for destination",
                      path ? path : "(null)");
        return -1;
    }
    g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));

    for (;;) {
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int err;

        if (fd < 0) {
            mvReportSystemError(errno, "failed to create socket");
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
            return fd;
        err = errno;
        close(fd);

        if (err != ENOENT && err != ECONNREFUSED && err != EINTR && err != EAGAIN) {
            mvReportSystemError(err, "failed to connect to monitor socket");
            return -1;
        }
        if (pid > 0 && !qemuMonitorProcessAlive(pid)) {
            mvReportError(MV_ERR_OPERATION_FAILED,
                          "process exited while connecting to monitor");
            return -1;
        }
        if (g_get_monotonic_time() >= deadline) {
            mvReportSystemError(err, "monitor socket did not show up");
            return -1;
        }
        g_usleep(MIN((gint64)delayMs * 1000, MAX(deadline - g_get_monotonic_time(), 0)));
        delayMs = MIN(delayMs * 2, 100);
    }
}

/* Wait (synchronously, before the watch exists) for @events on the socket. */
static int
qemuMonitorPollSync(qemuMonitor *mon, short events, gint64 deadline, const char *what)
{
    for (;;) {
        struct pollfd pfd = { .fd = mon->fd, .events = events };
        gint64 left = deadline - g_get_monotonic_time();
        int rc;

        if (left <= 0) {
            mvReportError(MV_ERR_OPERATION_TIMEOUT,
                          "timed out waiting for QEMU monitor %s", what);
            return -1;
        }
        rc = poll(&pfd, 1, (int)MIN((left + 999) / 1000, G_MAXINT));
        if (rc < 0 && errno == EINTR)
            continue;
        if (rc < 0) {
            mvReportSystemError(errno, "cannot poll QEMU monitor");
            return -1;
        }
        if (rc > 0)
            return 0;
    }
}

/* The next message, synchronously.  NULL + error on EOF/timeout/garbage. */
static json_object *
qemuMonitorReadSync(qemuMonitor *mon, gint64 deadline, const char *what)
{
    for (;;) {
        json_object *obj = NULL;
        int rc = qemuMonitorNextMessage(mon, &obj);

        if (rc < 0)
            return NULL;
        if (rc > 0)
            return obj;
        if (qemuMonitorCompactInput(mon) < 0)
            return NULL;
        if (qemuMonitorPollSync(mon, POLLIN, deadline, what) < 0)
            return NULL;
        rc = qemuMonitorRead(mon, QEMU_MONITOR_READ_BUDGET);
        if (rc < 0)
            return NULL;
        if (rc == 0) {
            mvReportError(MV_ERR_OPERATION_FAILED,
                          "End of file from qemu monitor while waiting for %s", what);
            return NULL;
        }
    }
}

static int
qemuMonitorHandshake(qemuMonitor *mon, gint64 deadline)
{
    g_autoptr(json_object) greeting = NULL;
    json_object *qmp;
    json_object *cmd;
    const char *id = "modvirt-0";

    if (!(greeting = qemuMonitorReadSync(mon, deadline, "greeting")))
        return -1;
    if (!json_object_object_get_ex(greeting, "QMP", &qmp) ||
        !json_object_is_type(qmp, json_type_object)) {
        const char *text = json_object_to_json_string_ext(greeting, JSON_C_TO_STRING_PLAIN);
        g_autofree char *ex = qemuMonitorExcerpt(text, strlen(text));
        mvReportError(MV_ERR_INTERNAL_ERROR, "QEMU monitor sent no QMP greeting: '%s'", ex);
        return -1;
    }
    mon->greeting = json_object_get(qmp);

    cmd = json_object_new_object();
    json_object_object_add(cmd, "execute", json_object_new_string("qmp_capabilities"));
    json_object_object_add(cmd, "id", json_object_new_string(id));
    g_string_append(mon->outbuf, json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN));
    g_string_append(mon->outbuf, "\r\n");
    json_object_put(cmd);

    while (mon->outbuf->len > mon->outoff) {
        int rc;
        if (qemuMonitorPollSync(mon, POLLOUT, deadline, "qmp_capabilities") < 0)
            return -1;
        if ((rc = qemuMonitorWrite(mon)) == -2) {
            mvReportError(MV_ERR_OPERATION_FAILED, "End of file from qemu monitor");
            return -1;
        }
        if (rc < 0)
            return -1;
    }

    for (;;) {
        g_autoptr(json_object) reply = qemuMonitorReadSync(mon, deadline, "qmp_capabilities");
        json_object *val;
        json_object *desc;

        if (!reply)
            return -1;
        if (!json_object_object_get_ex(reply, "id", &val) ||
            !json_object_is_type(val, json_type_string) ||
            strcmp(json_object_get_string(val), id) != 0)
            continue;      /* events cannot come before capabilities; ignore strays */
        if (json_object_object_get_ex(reply, "error", &val)) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "unable to execute QEMU command '%s': %s",
                          "qmp_capabilities",
                          json_object_is_type(val, json_type_object) &&
                          json_object_object_get_ex(val, "desc", &desc) &&
                          json_object_is_type(desc, json_type_string)
                          ? json_object_get_string(desc) : "unknown error");
            return -1;
        }
        if (!json_object_object_get_ex(reply, "return", NULL)) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "Unknown JSON reply to qmp_capabilities");
            return -1;
        }
        return 0;
    }
}

qemuMonitor *
qemuMonitorOpenFD(int fd, int timeoutMs, GMainContext *ctx,
                  const qemuMonitorCallbacks *cb, void *opaque)
{
    qemuMonitor *mon;
    gint64 deadline;
    qemuMonitorSource *src;
    int flags;

    if (fd < 0) {
        mvReportError(MV_ERR_INVALID_ARG, "invalid QEMU monitor file descriptor");
        return NULL;
    }
    if (timeoutMs <= 0)
        timeoutMs = QEMU_MONITOR_COMMAND_TIMEOUT_MS;
    deadline = g_get_monotonic_time() + (gint64)timeoutMs * 1000;

    mon = g_new0(qemuMonitor, 1);
    mon->refs = 1;
    g_mutex_init(&mon->lock);
    g_cond_init(&mon->cond);
    mon->fd = fd;
    mon->outfd = -1;
    mon->ctx = g_main_context_ref(ctx ? ctx : g_main_context_default());
    if (cb)
        mon->cb = *cb;
    mon->opaque = opaque;
    mon->commandTimeoutMs = QEMU_MONITOR_COMMAND_TIMEOUT_MS;
    mon->serial = 1;
    mon->inbuf = g_string_sized_new(4096);
    mon->outbuf = g_string_new(NULL);

    if ((flags = fcntl(fd, F_GETFD)) < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0 ||
        (flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        mvReportSystemError(errno, "cannot set up QEMU monitor socket");
        qemuMonitorUnref(mon);
        return NULL;
    }

    if (qemuMonitorHandshake(mon, deadline) < 0) {
        qemuMonitorUnref(mon);
        return NULL;
    }
    MV_DEBUG("mon=%p fd=%d QMP ready", mon, fd);

    src = (qemuMonitorSource *)g_source_new(&qemuMonitorSourceFuncs, sizeof(*src));
    src->mon = qemuMonitorRef(mon);
    g_source_set_name((GSource *)src, "qemu-monitor");
    g_mutex_lock(&mon->lock);
    mon->watch = (GSource *)src;
    mon->watchEvents = QEMU_MONITOR_IO_EVENTS;
    mon->watchTag = g_source_add_unix_fd(mon->watch, fd, mon->watchEvents);
    g_source_attach(mon->watch, mon->ctx);
    g_mutex_unlock(&mon->lock);

    /* bytes that arrived right after the capabilities reply */
    if (mon->inbuf->len > 0)
        qemuMonitorKick(mon);
    return mon;
}

qemuMonitor *
qemuMonitorOpen(const char *path, pid_t pid, int timeoutMs, GMainContext *ctx,
                const qemuMonitorCallbacks *cb, void *opaque)
{
    gint64 start = g_get_monotonic_time();
    gint64 deadline;
    int fd;
    int left;

    if (timeoutMs <= 0)
        timeoutMs = QEMU_MONITOR_COMMAND_TIMEOUT_MS;
    deadline = start + (gint64)timeoutMs * 1000;
    MV_DEBUG("path=%s pid=%d timeout=%d", path ? path : "(null)", (int)pid, timeoutMs);

    if ((fd = qemuMonitorConnectUnix(path, pid, deadline)) < 0)
        return NULL;
    left = (int)MAX((deadline - g_get_monotonic_time()) / 1000, 1);
    return qemuMonitorOpenFD(fd, left, ctx, cb, opaque);
}

void
qemuMonitorClose(qemuMonitor *mon)
{
    if (!mon)
        return;
    MV_DEBUG("mon=%p", mon);
    g_mutex_lock(&mon->lock);
    mon->closed = TRUE;
    mon->eofPending = FALSE;
    if (mon->watch) {
        g_source_destroy(mon->watch);
        g_source_unref(mon->watch);
        mon->watch = NULL;
    }
    if (mon->fd >= 0) {
        close(mon->fd);
        mon->fd = -1;
    }
    mon->outfd = -1;
    g_cond_broadcast(&mon->cond);
    g_mutex_unlock(&mon->lock);
    qemuMonitorUnref(mon);
}

gboolean
qemuMonitorIsAlive(qemuMonitor *mon)
{
    gboolean alive;

    if (!mon)
        return FALSE;
    g_mutex_lock(&mon->lock);
    alive = !mon->closed && !mon->dead;
    g_mutex_unlock(&mon->lock);
    return alive;
}

json_object *
qemuMonitorGetGreeting(qemuMonitor *mon)
{
    return mon ? mon->greeting : NULL;
}

void
qemuMonitorSetCommandTimeout(qemuMonitor *mon, int timeoutMs)
{
    if (mon && timeoutMs > 0)
        g_atomic_int_set(&mon->commandTimeoutMs, timeoutMs);
}


/* ------------------------------------------------------------ commands */

/* Lock held: report why the monitor cannot be used, or 0 when it can. */
static int
qemuMonitorCheckUsable(qemuMonitor *mon)
{
    /* the cause of death is more useful than a close that followed it */
    if (mon->dead) {
        mvErrorRestore(mvErrorCopy(mon->deadError));
        return -1;
    }
    if (mon->closed) {
        mvReportError(MV_ERR_OPERATION_INVALID, "QEMU monitor was closed");
        return -1;
    }
    return 0;
}

/* Send @cmdobj (its "id" is set here) and wait for the reply object.
 * *@eof is set when the monitor reached a plain EOF. */
static int
qemuMonitorSend(qemuMonitor *mon, const char *cmdname, json_object *cmdobj, int fd,
                json_object **replyobj, int timeoutMs, gboolean *eof)
{
    g_autofree char *id = NULL;
    gint64 deadline;
    int ret = -1;

    *replyobj = NULL;
    if (eof)
        *eof = FALSE;
    if (!mon) {
        mvReportError(MV_ERR_INVALID_ARG, "monitor must not be NULL");
        return -1;
    }
    if (g_main_context_is_owner(mon->ctx)) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "QEMU monitor command '%s' issued from the main loop thread", cmdname);
        return -1;
    }
    if (timeoutMs <= 0)
        timeoutMs = g_atomic_int_get(&mon->commandTimeoutMs);
    deadline = g_get_monotonic_time() + (gint64)timeoutMs * 1000;

    qemuMonitorRef(mon);
    g_mutex_lock(&mon->lock);

    /* one command at a time, and never interleave with leftover output */
    while (!mon->closed && !mon->dead && (mon->busy || mon->outbuf->len > mon->outoff)) {
        if (!g_cond_wait_until(&mon->cond, &mon->lock, deadline) &&
            g_get_monotonic_time() >= deadline) {
            mvReportError(MV_ERR_OPERATION_TIMEOUT,
                          "cannot acquire QEMU monitor for '%s': another command is running",
                          cmdname);
            goto unlock;
        }
    }
    if (qemuMonitorCheckUsable(mon) < 0) {
        if (eof && mon->dead && mon->deadIsEOF)
            *eof = TRUE;
        goto unlock;
    }

    mon->busy = TRUE;
    id = g_strdup_printf("modvirt-%llu", mon->serial++);
    json_object_object_add(cmdobj, "id", json_object_new_string(id));
    g_free(mon->msgId);
    mon->msgId = g_strdup(id);
    if (mon->msgReply) {
        json_object_put(mon->msgReply);
        mon->msgReply = NULL;
    }
    g_string_truncate(mon->outbuf, 0);
    mon->outoff = 0;
    g_string_append(mon->outbuf,
                    json_object_to_json_string_ext(cmdobj, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
    g_string_append(mon->outbuf, "\r\n");
    mon->outfd = fd;
    MV_DEBUG("mon=%p send %s", mon, mon->outbuf->str);
    qemuMonitorKick(mon);

    while (!mon->msgReply && !mon->closed && !mon->dead) {
        if (!g_cond_wait_until(&mon->cond, &mon->lock, deadline) &&
            g_get_monotonic_time() >= deadline)
            break;
    }

    if (mon->msgReply) {
        *replyobj = mon->msgReply;
        mon->msgReply = NULL;
        ret = 0;
    } else if (qemuMonitorCheckUsable(mon) < 0) {
        if (eof && mon->dead && mon->deadIsEOF)
            *eof = TRUE;
    } else {
        mvReportError(MV_ERR_OPERATION_TIMEOUT,
                      "timed out waiting for reply to QEMU command '%s'", cmdname);
        /* a command not sent at all is dropped; a partly sent one finishes
         * (the stream must stay whole) and its late reply is ignored */
        if (mon->outoff == 0) {
            g_string_truncate(mon->outbuf, 0);
            mon->outfd = -1;
        }
    }
    g_clear_pointer(&mon->msgId, g_free);
    mon->busy = FALSE;
    g_cond_broadcast(&mon->cond);

 unlock:
    g_mutex_unlock(&mon->lock);
    qemuMonitorUnref(mon);
    return ret;
}

static int
qemuMonitorCommandFull(qemuMonitor *mon, const char *cmd, json_object *args, int fd,
                       json_object **reply, int timeoutMs, gboolean *eof)
{
    g_autoptr(json_object) cmdobj = NULL;
    g_autoptr(json_object) replyobj = NULL;
    json_object *val;

    if (reply)
        *reply = NULL;
    if (!cmd) {
        if (args)
            json_object_put(args);
        mvReportError(MV_ERR_INVALID_ARG, "QEMU command name must not be NULL");
        return -1;
    }
    cmdobj = json_object_new_object();
    json_object_object_add(cmdobj, "execute", json_object_new_string(cmd));
    if (args)
        json_object_object_add(cmdobj, "arguments", args);

    if (qemuMonitorSend(mon, cmd, cmdobj, fd, &replyobj, timeoutMs, eof) < 0)
        return -1;

    if (json_object_object_get_ex(replyobj, "error", &val)) {
        json_object *desc = NULL;
        json_object *klass = NULL;

        if (json_object_is_type(val, json_type_object)) {
            json_object_object_get_ex(val, "desc", &desc);
            json_object_object_get_ex(val, "class", &klass);
        }
        MV_DEBUG("QEMU command '%s' failed: class=%s", cmd,
                 klass && json_object_is_type(klass, json_type_string)
                 ? json_object_get_string(klass) : "?");
        mvReportError(MV_ERR_INTERNAL_ERROR, "unable to execute QEMU command '%s': %s", cmd,
                      desc && json_object_is_type(desc, json_type_string)
                      ? json_object_get_string(desc) : "unknown error");
        return -1;
    }
    if (!json_object_object_get_ex(replyobj, "return", &val)) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "unable to execute QEMU command '%s': missing return data", cmd);
        return -1;
    }
    if (reply)
        *reply = json_object_get(val);
    return 0;
}

int
qemuMonitorCommand(qemuMonitor *mon, const char *cmd, json_object *args,
                   json_object **reply, int timeoutMs)
{
    return qemuMonitorCommandFull(mon, cmd, args, -1, reply, timeoutMs, NULL);
}

int
qemuMonitorCommandWithFD(qemuMonitor *mon, const char *cmd, json_object *args, int fd,
                         json_object **reply, int timeoutMs)
{
    if (fd < 0) {
        if (args)
            json_object_put(args);
        mvReportError(MV_ERR_INVALID_ARG, "invalid file descriptor to pass to QEMU");
        return -1;
    }
    return qemuMonitorCommandFull(mon, cmd, args, fd, reply, timeoutMs, NULL);
}

char *
qemuMonitorCommandRaw(qemuMonitor *mon, const char *json, int timeoutMs)
{
    g_autoptr(json_object) cmdobj = NULL;
    g_autoptr(json_object) replyobj = NULL;
    g_autoptr(json_object) userId = NULL;
    json_object *val;
    const char *name = "(unknown)";

    if (!json) {
        mvReportError(MV_ERR_INVALID_ARG, "QEMU monitor command must not be NULL");
        return NULL;
    }
    if (!(cmdobj = json_tokener_parse(json)) ||
        !json_object_is_type(cmdobj, json_type_object)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "cannot parse json %s: %s", json,
                      cmdobj ? "not a JSON object" : "invalid JSON");
        return NULL;
    }
    if (json_object_object_get_ex(cmdobj, "execute", &val) &&
        json_object_is_type(val, json_type_string))
        name = json_object_get_string(val);
    if (json_object_object_get_ex(cmdobj, "id", &val)) {
        userId = json_object_get(val);
        json_object_object_del(cmdobj, "id");
    }
    {
        g_autofree char *cmdname = g_strdup(name);
        if (qemuMonitorSend(mon, cmdname, cmdobj, -1, &replyobj, timeoutMs, NULL) < 0)
            return NULL;
    }
    if (userId)
        json_object_object_add(replyobj, "id", json_object_get(userId));
    return g_strdup(json_object_to_json_string_ext(replyobj, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
}

char *
qemuMonitorCommandHMP(qemuMonitor *mon, const char *hmp, int timeoutMs)
{
    g_autoptr(json_object) reply = NULL;
    json_object *args;

    if (!hmp) {
        mvReportError(MV_ERR_INVALID_ARG, "HMP command must not be NULL");
        return NULL;
    }
    args = json_object_new_object();
    json_object_object_add(args, "command-line", json_object_new_string(hmp));
    if (qemuMonitorCommand(mon, "human-monitor-command", args, &reply, timeoutMs) < 0)
        return NULL;
    if (!json_object_is_type(reply, json_type_string)) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "human monitor command was not in expected format");
        return NULL;
    }
    return g_strdup(json_object_get_string(reply));
}


/* ------------------------------------------------------------ typed helpers */

static int
qemuMonitorReplyError(const char *cmd)
{
    mvReportError(MV_ERR_INTERNAL_ERROR, "%s reply was missing return data", cmd);
    return -1;
}

/* A command whose reply must be an (empty) object. */
static int
qemuMonitorSimple(qemuMonitor *mon, const char *cmd, json_object *args)
{
    g_autoptr(json_object) reply = NULL;

    if (qemuMonitorCommand(mon, cmd, args, &reply, 0) < 0)
        return -1;
    if (!json_object_is_type(reply, json_type_object))
        return qemuMonitorReplyError(cmd);
    return 0;
}

/* Member @key of @obj when it has @type, else NULL. */
static json_object *
qemuMonitorGet(json_object *obj, const char *key, json_type type)
{
    json_object *val;

    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, key, &val) || !json_object_is_type(val, type))
        return NULL;
    return val;
}

static const char *
qemuMonitorGetStr(json_object *obj, const char *key)
{
    json_object *val = qemuMonitorGet(obj, key, json_type_string);
    return val ? json_object_get_string(val) : NULL;
}

/* An integer member, range-checked into int64.  -1 when absent/bad. */
static int
qemuMonitorGetInt64(json_object *obj, const char *key, long long *out)
{
    json_object *val = qemuMonitorGet(obj, key, json_type_int);

    if (!val)
        return -1;
    *out = json_object_get_int64(val);
    return 0;
}

/* A non-negative integer member (up to 2^64-1). */
static int
qemuMonitorGetUint64(json_object *obj, const char *key, guint64 *out)
{
    json_object *val = qemuMonitorGet(obj, key, json_type_int);

    if (!val || json_object_get_int64(val) < 0)
        return -1;
    *out = json_object_get_uint64(val);
    return 0;
}

int
qemuMonitorCont(qemuMonitor *mon)
{
    return qemuMonitorSimple(mon, "cont", NULL);
}

int
qemuMonitorStop(qemuMonitor *mon)
{
    return qemuMonitorSimple(mon, "stop", NULL);
}

int
qemuMonitorSystemPowerdown(qemuMonitor *mon)
{
    return qemuMonitorSimple(mon, "system_powerdown", NULL);
}

int
qemuMonitorSystemReset(qemuMonitor *mon)
{
    return qemuMonitorSimple(mon, "system_reset", NULL);
}

int
qemuMonitorQuit(qemuMonitor *mon)
{
    g_autoptr(json_object) reply = NULL;
    gboolean eof = FALSE;

    if (qemuMonitorCommandFull(mon, "quit", NULL, -1, &reply, 0, &eof) < 0) {
        if (eof) {
            mvErrorReset();
            return 0;
        }
        return -1;
    }
    return 0;
}

int
qemuMonitorQueryStatus(qemuMonitor *mon, char **status, gboolean *running)
{
    g_autoptr(json_object) reply = NULL;
    json_object *run;
    const char *st;

    if (qemuMonitorCommand(mon, "query-status", NULL, &reply, 0) < 0)
        return -1;
    if (!(st = qemuMonitorGetStr(reply, "status")) ||
        !(run = qemuMonitorGet(reply, "running", json_type_boolean))) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "query-status reply was missing status details");
        return -1;
    }
    if (status)
        *status = g_strdup(st);
    if (running)
        *running = json_object_get_boolean(run);
    return 0;
}

#define QEMU_MONITOR_MAX_VCPUS 16384

int
qemuMonitorQueryCpusFast(qemuMonitor *mon, GArray **threadIds)
{
    g_autoptr(json_object) reply = NULL;
    g_autoptr(GArray) ids = NULL;
    size_t n, i;

    *threadIds = NULL;
    if (qemuMonitorCommand(mon, "query-cpus-fast", NULL, &reply, 0) < 0)
        return -1;
    if (!json_object_is_type(reply, json_type_array))
        return qemuMonitorReplyError("query-cpus-fast");
    n = json_object_array_length(reply);
    ids = g_array_new(FALSE, TRUE, sizeof(gint));
    for (i = 0; i < n; i++) {
        json_object *cpu = json_object_array_get_idx(reply, i);
        long long idx, tid;
        gint val;

        if (qemuMonitorGetInt64(cpu, "cpu-index", &idx) < 0 ||
            qemuMonitorGetInt64(cpu, "thread-id", &tid) < 0 ||
            idx < 0 || idx >= QEMU_MONITOR_MAX_VCPUS || tid < 0 || tid > G_MAXINT) {
            mvReportError(MV_ERR_INTERNAL_ERROR,
                          "query-cpus-fast reply data was not in expected format");
            return -1;
        }
        if ((long long)ids->len <= idx)
            g_array_set_size(ids, idx + 1);
        val = (gint)tid;
        g_array_index(ids, gint, idx) = val;
    }
    *threadIds = g_steal_pointer(&ids);
    return 0;
}

int
qemuMonitorQueryBalloon(qemuMonitor *mon, unsigned long long *actualKiB)
{
    g_autoptr(json_object) reply = NULL;
    guint64 actual;

    if (qemuMonitorCommand(mon, "query-balloon", NULL, &reply, 0) < 0)
        return -1;
    if (qemuMonitorGetUint64(reply, "actual", &actual) < 0) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "info balloon reply was missing balloon data");
        return -1;
    }
    *actualKiB = actual / 1024;
    return 0;
}

int
qemuMonitorSetBalloon(qemuMonitor *mon, unsigned long long kib)
{
    json_object *args;

    if (kib > (unsigned long long)G_MAXINT64 / 1024) {
        mvReportError(MV_ERR_INVALID_ARG, "balloon size %llu KiB is too large", kib);
        return -1;
    }
    args = json_object_new_object();
    json_object_object_add(args, "value", json_object_new_int64((gint64)kib * 1024));
    return qemuMonitorSimple(mon, "balloon", args);
}

/* Find (and cache) the QOM path of the balloon device. */
static int
qemuMonitorFindBalloonPath(qemuMonitor *mon, const char **path)
{
    static const char *const roots[] = { "/machine/peripheral", "/machine/peripheral-anon" };
    size_t r;

    g_mutex_lock(&mon->lock);
    *path = mon->balloonPath;
    g_mutex_unlock(&mon->lock);
    if (*path)
        return 0;

    for (r = 0; r < G_N_ELEMENTS(roots); r++) {
        g_autoptr(json_object) reply = NULL;
        json_object *args = json_object_new_object();
        size_t i, n;

        json_object_object_add(args, "path", json_object_new_string(roots[r]));
        if (qemuMonitorCommand(mon, "qom-list", args, &reply, 0) < 0)
            return -1;
        if (!json_object_is_type(reply, json_type_array))
            return qemuMonitorReplyError("qom-list");
        n = json_object_array_length(reply);
        for (i = 0; i < n; i++) {
            json_object *ent = json_object_array_get_idx(reply, i);
            const char *name = qemuMonitorGetStr(ent, "name");
            const char *type = qemuMonitorGetStr(ent, "type");

            if (name && type && g_str_has_prefix(type, "child<virtio-balloon-") &&
                !strchr(name, '/')) {
                g_mutex_lock(&mon->lock);
                if (!mon->balloonPath)
                    mon->balloonPath = g_strdup_printf("%s/%s", roots[r], name);
                *path = mon->balloonPath;
                g_mutex_unlock(&mon->lock);
                return 0;
            }
        }
    }
    mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain has no balloon device");
    return -1;
}

int
qemuMonitorSetMemoryStatsPeriod(qemuMonitor *mon, int secs)
{
    const char *path;
    json_object *args;

    if (secs < 0) {
        mvReportError(MV_ERR_INVALID_ARG, "invalid memory stats period %d", secs);
        return -1;
    }
    if (!mon) {
        mvReportError(MV_ERR_INVALID_ARG, "monitor must not be NULL");
        return -1;
    }
    if (qemuMonitorFindBalloonPath(mon, &path) < 0)
        return -1;
    args = json_object_new_object();
    json_object_object_add(args, "path", json_object_new_string(path));
    json_object_object_add(args, "property",
                           json_object_new_string("guest-stats-polling-interval"));
    json_object_object_add(args, "value", json_object_new_int(secs));
    return qemuMonitorCommand(mon, "qom-set", args, NULL, 0);
}

int
qemuMonitorGetMemoryStats(qemuMonitor *mon, GHashTable **stats)
{
    static const struct {
        const char *qemu;
        const char *tag;
        unsigned int divisor;
    } map[] = {
        { "stat-swap-in", "swap_in", 1024 },
        { "stat-swap-out", "swap_out", 1024 },
        { "stat-major-faults", "major_fault", 1 },
        { "stat-minor-faults", "minor_fault", 1 },
        { "stat-free-memory", "unused", 1024 },
        { "stat-total-memory", "available", 1024 },
        { "stat-available-memory", "usable", 1024 },
        { "stat-disk-caches", "disk_caches", 1024 },
        { "stat-htlb-pgalloc", "hugetlb_pgalloc", 1 },
        { "stat-htlb-pgfail", "hugetlb_pgfail", 1 },
    };
    g_autoptr(json_object) reply = NULL;
    g_autoptr(GHashTable) table = NULL;
    json_object *data;
    json_object *args;
    const char *path;
    guint64 val;
    size_t i;

    *stats = NULL;
    if (!mon) {
        mvReportError(MV_ERR_INVALID_ARG, "monitor must not be NULL");
        return -1;
    }
    if (qemuMonitorFindBalloonPath(mon, &path) < 0)
        return -1;
    args = json_object_new_object();
    json_object_object_add(args, "path", json_object_new_string(path));
    json_object_object_add(args, "property", json_object_new_string("guest-stats"));
    if (qemuMonitorCommand(mon, "qom-get", args, &reply, 0) < 0)
        return -1;
    if (!(data = qemuMonitorGet(reply, "stats", json_type_object))) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "qom-get guest-stats reply was missing stats");
        return -1;
    }
    table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    for (i = 0; i < G_N_ELEMENTS(map); i++) {
        /* -1 (absent from the guest) does not parse as unsigned */
        if (qemuMonitorGetUint64(data, map[i].qemu, &val) < 0)
            continue;
        g_hash_table_insert(table, g_strdup(map[i].tag),
                            g_memdup2(&(guint64){ val / map[i].divisor }, sizeof(guint64)));
    }
    if (qemuMonitorGetUint64(reply, "last-update", &val) == 0 && val > 0)
        g_hash_table_insert(table, g_strdup("last_update"),
                            g_memdup2(&val, sizeof(guint64)));
    *stats = g_steal_pointer(&table);
    return 0;
}

int
qemuMonitorQueryChardev(qemuMonitor *mon, GHashTable **ptyByAlias)
{
    g_autoptr(json_object) reply = NULL;
    g_autoptr(GHashTable) table = NULL;
    size_t i, n;

    *ptyByAlias = NULL;
    if (qemuMonitorCommand(mon, "query-chardev", NULL, &reply, 0) < 0)
        return -1;
    if (!json_object_is_type(reply, json_type_array))
        return qemuMonitorReplyError("query-chardev");
    table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    n = json_object_array_length(reply);
    for (i = 0; i < n; i++) {
        json_object *ent = json_object_array_get_idx(reply, i);
        const char *label = qemuMonitorGetStr(ent, "label");
        const char *filename = qemuMonitorGetStr(ent, "filename");

        if (!label || !filename) {
            mvReportError(MV_ERR_INTERNAL_ERROR,
                          "query-chardev reply was not in expected format");
            return -1;
        }
        if (g_str_has_prefix(filename, "pty:") && filename[4])
            g_hash_table_replace(table, g_strdup(label), g_strdup(filename + 4));
    }
    *ptyByAlias = g_steal_pointer(&table);
    return 0;
}

int
qemuMonitorQueryVNC(qemuMonitor *mon, int *port)
{
    g_autoptr(json_object) reply = NULL;
    json_object *enabled;
    const char *service;
    const char *family;
    guint64 p;

    *port = -1;
    if (qemuMonitorCommand(mon, "query-vnc", NULL, &reply, 0) < 0)
        return -1;
    if (!(enabled = qemuMonitorGet(reply, "enabled", json_type_boolean)))
        return qemuMonitorReplyError("query-vnc");
    if (!json_object_get_boolean(enabled))
        return 0;
    family = qemuMonitorGetStr(reply, "family");
    if (family && strcmp(family, "unix") == 0)
        return 0;
    if (!(service = qemuMonitorGetStr(reply, "service")))
        return 0;
    if (!g_ascii_string_to_unsigned(service, 10, 0, 65535, &p, NULL)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "query-vnc reported an invalid port '%s'", service);
        return -1;
    }
    *port = (int)p;
    return 0;
}

int
qemuMonitorQueryBlockstats(qemuMonitor *mon, GHashTable **stats)
{
    g_autoptr(json_object) reply = NULL;
    g_autoptr(GHashTable) table = NULL;
    size_t i, n;

    *stats = NULL;
    if (qemuMonitorCommand(mon, "query-blockstats", NULL, &reply, 0) < 0)
        return -1;
    if (!json_object_is_type(reply, json_type_array))
        return qemuMonitorReplyError("query-blockstats");
    table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    n = json_object_array_length(reply);
    for (i = 0; i < n; i++) {
        json_object *ent = json_object_array_get_idx(reply, i);
        json_object *st = qemuMonitorGet(ent, "stats", json_type_object);
        const char *names[4] = { 0 };
        g_autofree char *alias = NULL;
        qemuMonitorBlockStats bs;
        size_t k;

        if (!st ||
            qemuMonitorGetInt64(st, "rd_bytes", &bs.rd_bytes) < 0 ||
            qemuMonitorGetInt64(st, "wr_bytes", &bs.wr_bytes) < 0 ||
            qemuMonitorGetInt64(st, "rd_operations", &bs.rd_req) < 0 ||
            qemuMonitorGetInt64(st, "wr_operations", &bs.wr_req) < 0 ||
            qemuMonitorGetInt64(st, "flush_operations", &bs.flush_req) < 0 ||
            qemuMonitorGetInt64(st, "rd_total_time_ns", &bs.rd_total_times) < 0 ||
            qemuMonitorGetInt64(st, "wr_total_time_ns", &bs.wr_total_times) < 0 ||
            qemuMonitorGetInt64(st, "flush_total_time_ns", &bs.flush_total_times) < 0) {
            mvReportError(MV_ERR_INTERNAL_ERROR,
                          "blockstats stats entry was not in expected format");
            return -1;
        }
        names[0] = qemuMonitorGetStr(ent, "device");
        names[1] = qemuMonitorGetStr(ent, "qdev");
        names[2] = qemuMonitorGetStr(ent, "node-name");
        if (names[1] && g_str_has_prefix(names[1], "/machine/peripheral/")) {
            const char *a = names[1] + strlen("/machine/peripheral/");
            const char *slash = strchr(a, '/');
            alias = slash ? g_strndup(a, slash - a) : g_strdup(a);
            names[3] = alias;
        }
        for (k = 0; k < G_N_ELEMENTS(names); k++) {
            if (names[k] && *names[k])
                g_hash_table_replace(table, g_strdup(names[k]), g_memdup2(&bs, sizeof(bs)));
        }
    }
    *stats = g_steal_pointer(&table);
    return 0;
}

#define QEMU_MONITOR_MAX_KEYS 16

static int
qemuMonitorSendKeyArray(qemuMonitor *mon, unsigned int holdtime, json_object *keys)
{
    json_object *args = json_object_new_object();

    json_object_object_add(args, "keys", keys);
    if (holdtime)
        json_object_object_add(args, "hold-time", json_object_new_int64(holdtime));
    return qemuMonitorSimple(mon, "send-key", args);
}

int
qemuMonitorSendKey(qemuMonitor *mon, unsigned int holdtime,
                   const unsigned int *keycodes, size_t nkeycodes)
{
    json_object *keys;
    size_t i;

    if (!keycodes || nkeycodes == 0 || nkeycodes > QEMU_MONITOR_MAX_KEYS) {
        mvReportError(MV_ERR_INVALID_ARG, "invalid number of keys %zu", nkeycodes);
        return -1;
    }
    keys = json_object_new_array();
    for (i = 0; i < nkeycodes; i++) {
        json_object *key = json_object_new_object();
        json_object_object_add(key, "type", json_object_new_string("number"));
        json_object_object_add(key, "data", json_object_new_int64(keycodes[i]));
        json_object_array_add(keys, key);
    }
    return qemuMonitorSendKeyArray(mon, holdtime, keys);
}

int
qemuMonitorSendKeyQcodes(qemuMonitor *mon, unsigned int holdtime,
                         const char *const *qcodes, size_t nqcodes)
{
    json_object *keys;
    size_t i;

    if (!qcodes || nqcodes == 0 || nqcodes > QEMU_MONITOR_MAX_KEYS) {
        mvReportError(MV_ERR_INVALID_ARG, "invalid number of keys %zu", nqcodes);
        return -1;
    }
    for (i = 0; i < nqcodes; i++) {
        if (!qcodes[i] || !*qcodes[i]) {
            mvReportError(MV_ERR_INVALID_ARG, "empty key name");
            return -1;
        }
    }
    keys = json_object_new_array();
    for (i = 0; i < nqcodes; i++) {
        json_object *key = json_object_new_object();
        json_object_object_add(key, "type", json_object_new_string("qcode"));
        json_object_object_add(key, "data", json_object_new_string(qcodes[i]));
        json_object_array_add(keys, key);
    }
    return qemuMonitorSendKeyArray(mon, holdtime, keys);
}

/* A command with one string argument; -1 + error when @val is NULL. */
static int
qemuMonitorSimpleStr(qemuMonitor *mon, const char *cmd, const char *key, const char *val)
{
    json_object *args;

    if (!val) {
        mvReportError(MV_ERR_INVALID_ARG, "%s: missing '%s'", cmd, key);
        return -1;
    }
    args = json_object_new_object();
    json_object_object_add(args, key, json_object_new_string(val));
    return qemuMonitorSimple(mon, cmd, args);
}

int
qemuMonitorScreendump(qemuMonitor *mon, const char *file)
{
    return qemuMonitorSimpleStr(mon, "screendump", "filename", file);
}

static int
qemuMonitorSimpleProps(qemuMonitor *mon, const char *cmd, json_object *props)
{
    if (!props || !json_object_is_type(props, json_type_object)) {
        if (props)
            json_object_put(props);
        mvReportError(MV_ERR_INVALID_ARG, "%s: properties must be a JSON object", cmd);
        return -1;
    }
    return qemuMonitorSimple(mon, cmd, props);
}

int
qemuMonitorDeviceAdd(qemuMonitor *mon, json_object *props)
{
    return qemuMonitorSimpleProps(mon, "device_add", props);
}

int
qemuMonitorDeviceDel(qemuMonitor *mon, const char *id)
{
    return qemuMonitorSimpleStr(mon, "device_del", "id", id);
}

int
qemuMonitorBlockdevAdd(qemuMonitor *mon, json_object *props)
{
    return qemuMonitorSimpleProps(mon, "blockdev-add", props);
}

int
qemuMonitorBlockdevDel(qemuMonitor *mon, const char *nodeName)
{
    return qemuMonitorSimpleStr(mon, "blockdev-del", "node-name", nodeName);
}

int
qemuMonitorNetdevAdd(qemuMonitor *mon, json_object *props)
{
    return qemuMonitorSimpleProps(mon, "netdev_add", props);
}

int
qemuMonitorNetdevDel(qemuMonitor *mon, const char *id)
{
    return qemuMonitorSimpleStr(mon, "netdev_del", "id", id);
}

int
qemuMonitorGetFD(qemuMonitor *mon, int fd, const char *name)
{
    g_autoptr(json_object) reply = NULL;
    json_object *args;

    if (!name) {
        mvReportError(MV_ERR_INVALID_ARG, "getfd: missing 'fdname'");
        return -1;
    }
    args = json_object_new_object();
    json_object_object_add(args, "fdname", json_object_new_string(name));
    if (qemuMonitorCommandWithFD(mon, "getfd", args, fd, &reply, 0) < 0)
        return -1;
    if (!json_object_is_type(reply, json_type_object))
        return qemuMonitorReplyError("getfd");
    return 0;
}

int
qemuMonitorCloseFD(qemuMonitor *mon, const char *name)
{
    return qemuMonitorSimpleStr(mon, "closefd", "fdname", name);
}

int
qemuMonitorBlockdevChangeMedium(qemuMonitor *mon, const char *id, const char *filename,
                                const char *format)
{
    json_object *args;

    if (!id || !filename) {
        mvReportError(MV_ERR_INVALID_ARG, "blockdev-change-medium: missing 'id' or 'filename'");
        return -1;
    }
    args = json_object_new_object();
    json_object_object_add(args, "id", json_object_new_string(id));
    json_object_object_add(args, "filename", json_object_new_string(filename));
    if (format)
        json_object_object_add(args, "format", json_object_new_string(format));
    return qemuMonitorSimple(mon, "blockdev-change-medium", args);
}

int
qemuMonitorBlockdevOpenTray(qemuMonitor *mon, const char *id, gboolean force)
{
    json_object *args;

    if (!id) {
        mvReportError(MV_ERR_INVALID_ARG, "blockdev-open-tray: missing 'id'");
        return -1;
    }
    args = json_object_new_object();
    json_object_object_add(args, "id", json_object_new_string(id));
    json_object_object_add(args, "force", json_object_new_boolean(force));
    return qemuMonitorSimple(mon, "blockdev-open-tray", args);
}

int
qemuMonitorBlockdevCloseTray(qemuMonitor *mon, const char *id)
{
    return qemuMonitorSimpleStr(mon, "blockdev-close-tray", "id", id);
}

int
qemuMonitorBlockdevRemoveMedium(qemuMonitor *mon, const char *id)
{
    return qemuMonitorSimpleStr(mon, "blockdev-remove-medium", "id", id);
}

int
qemuMonitorBlockdevInsertMedium(qemuMonitor *mon, const char *id, const char *nodeName)
{
    json_object *args;

    if (!id || !nodeName) {
        mvReportError(MV_ERR_INVALID_ARG, "blockdev-insert-medium: missing 'id' or 'node-name'");
        return -1;
    }
    args = json_object_new_object();
    json_object_object_add(args, "id", json_object_new_string(id));
    json_object_object_add(args, "node-name", json_object_new_string(nodeName));
    return qemuMonitorSimple(mon, "blockdev-insert-medium", args);
}

void
qemuMonitorHotpluggableCPUFree(qemuMonitorHotpluggableCPU *cpu)
{
    if (!cpu)
        return;
    g_free(cpu->type);
    g_free(cpu->qomPath);
    if (cpu->props)
        json_object_put(cpu->props);
    g_free(cpu);
}

int
qemuMonitorQueryVcpusHotpluggable(qemuMonitor *mon, GPtrArray **cpus)
{
    g_autoptr(json_object) reply = NULL;
    g_autoptr(GPtrArray) list = NULL;
    size_t i, n;

    *cpus = NULL;
    if (qemuMonitorCommand(mon, "query-hotpluggable-cpus", NULL, &reply, 0) < 0)
        return -1;
    if (!json_object_is_type(reply, json_type_array))
        return qemuMonitorReplyError("query-hotpluggable-cpus");
    n = json_object_array_length(reply);
    list = g_ptr_array_new_with_free_func((GDestroyNotify)qemuMonitorHotpluggableCPUFree);
    for (i = 0; i < n; i++) {
        json_object *ent = json_object_array_get_idx(reply, i);
        const char *type = qemuMonitorGetStr(ent, "type");
        json_object *props = qemuMonitorGet(ent, "props", json_type_object);
        const char *qom = qemuMonitorGetStr(ent, "qom-path");
        long long count;
        qemuMonitorHotpluggableCPU *cpu;

        if (!type || !props || qemuMonitorGetInt64(ent, "vcpus-count", &count) < 0 ||
            count < 1 || count > QEMU_MONITOR_MAX_VCPUS) {
            mvReportError(MV_ERR_INTERNAL_ERROR,
                          "query-hotpluggable-cpus reply data was not in expected format");
            return -1;
        }
        cpu = g_new0(qemuMonitorHotpluggableCPU, 1);
        cpu->type = g_strdup(type);
        cpu->vcpus = (int)count;
        cpu->qomPath = g_strdup(qom);
        cpu->props = json_object_get(props);
        g_ptr_array_add(list, cpu);
    }
    *cpus = g_steal_pointer(&list);
    return 0;
}
