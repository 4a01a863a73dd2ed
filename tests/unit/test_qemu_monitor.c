/* Unit tests for daemons/qemu/qemu_monitor.c: a fake QMP server in a thread
 * over a socketpair (hostile replies included), and a real QEMU when
 * /usr/bin/qemu-system-x86_64 exists. */
#include <check.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

/* The monitor lives in the daemon, not in the modvirt library. */
#include "../../daemons/qemu/qemu_monitor.c"

#define QEMU_BINARY "/usr/bin/qemu-system-x86_64"
#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, " \
                 "\"package\": \"fake\"}, \"capabilities\": [\"oob\"]}}\r\n"

/* ------------------------------------------------------------ main loop thread */

static GMainContext *testCtx;
static GMainLoop *testLoop;
static GThread *testLoopThread;

static gpointer
loopThread(gpointer data)
{
    g_main_context_push_thread_default(testCtx);
    g_main_loop_run(testLoop);
    g_main_context_pop_thread_default(testCtx);
    return NULL;
}

static void
loopStart(void)
{
    testCtx = g_main_context_new();
    testLoop = g_main_loop_new(testCtx, FALSE);
    testLoopThread = g_thread_new("mainloop", loopThread, NULL);
}

static gboolean
loopQuitCb(gpointer data)
{
    g_main_loop_quit(testLoop);
    return G_SOURCE_REMOVE;
}

static void
loopStop(void)
{
    GSource *src = g_idle_source_new();
    g_source_set_callback(src, loopQuitCb, NULL, NULL);
    g_source_attach(src, testCtx);
    g_source_unref(src);
    g_thread_join(testLoopThread);
    g_main_loop_unref(testLoop);
    /* run the remaining finalizers (kicks, watches) */
    while (g_main_context_iteration(testCtx, FALSE))
        ;
    g_main_context_unref(testCtx);
}

/* ------------------------------------------------------------ callback recorder */

typedef struct {
    GMutex lock;
    GCond cond;
    GPtrArray *events;        /* char * names */
    GPtrArray *eventData;     /* char * JSON text of data, "" when NULL */
    int eofCount;
    char *eofError;
    gboolean closeInEof;
    gboolean commandInEvent;
    int commandInEventRc;
    int commandInEventCode;
} Recorder;

static Recorder rec;

static void
recInit(void)
{
    g_mutex_init(&rec.lock);
    g_cond_init(&rec.cond);
    rec.events = g_ptr_array_new_with_free_func(g_free);
    rec.eventData = g_ptr_array_new_with_free_func(g_free);
}

static void
recEof(qemuMonitor *mon, const char *error, void *opaque)
{
    ck_assert_ptr_eq(opaque, &rec);
    ck_assert(g_main_context_is_owner(testCtx));
    g_mutex_lock(&rec.lock);
    rec.eofCount++;
    g_free(rec.eofError);
    rec.eofError = g_strdup(error);
    g_cond_broadcast(&rec.cond);
    g_mutex_unlock(&rec.lock);
    if (rec.closeInEof)
        qemuMonitorClose(mon);
}

static void
recEvent(qemuMonitor *mon, const char *name, json_object *data, void *opaque)
{
    ck_assert(g_main_context_is_owner(testCtx));
    if (rec.commandInEvent) {
        rec.commandInEventRc = qemuMonitorCommand(mon, "query-status", NULL, NULL, 100);
        rec.commandInEventCode = mvErrorGetLastCode();
        mvErrorReset();
    }
    g_mutex_lock(&rec.lock);
    g_ptr_array_add(rec.events, g_strdup(name));
    g_ptr_array_add(rec.eventData,
                    g_strdup(data ? json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN)
                                  : ""));
    g_cond_broadcast(&rec.cond);
    g_mutex_unlock(&rec.lock);
}

static const qemuMonitorCallbacks recCallbacks = { .eof = recEof, .event = recEvent };

static gboolean
recWaitEof(int ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    gboolean ok;

    g_mutex_lock(&rec.lock);
    while (rec.eofCount == 0 && g_cond_wait_until(&rec.cond, &rec.lock, deadline))
        ;
    ok = rec.eofCount > 0;
    g_mutex_unlock(&rec.lock);
    return ok;
}

static gboolean
recWaitEvents(guint n, int ms)
{
    gint64 deadline = g_get_monotonic_time() + (gint64)ms * 1000;
    gboolean ok;

    g_mutex_lock(&rec.lock);
    while (rec.events->len < n && g_cond_wait_until(&rec.cond, &rec.lock, deadline))
        ;
    ok = rec.events->len >= n;
    g_mutex_unlock(&rec.lock);
    return ok;
}

/* ------------------------------------------------------------ fake QMP server */

typedef void (*ServerScript)(int fd, gpointer data);

typedef struct {
    int fd;
    ServerScript script;
    gpointer data;
    GThread *thread;
} Server;

static gpointer
serverThread(gpointer opaque)
{
    Server *srv = opaque;
    srv->script(srv->fd, srv->data);
    close(srv->fd);
    return NULL;
}

/* Start @script on one end of a socketpair; return the other end. */
static int
serverStart(Server *srv, ServerScript script, gpointer data)
{
    int sv[2];

    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    srv->fd = sv[1];
    srv->script = script;
    srv->data = data;
    srv->thread = g_thread_new("fakeqmp", serverThread, srv);
    return sv[0];
}

static void
serverJoin(Server *srv)
{
    g_thread_join(srv->thread);
}

static void
srvSend(int fd, const char *text)
{
    size_t len = strlen(text), off = 0;

    while (off < len) {
        ssize_t n = send(fd, text + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return;       /* client went away: fine for hostile tests */
        off += n;
    }
}

static void G_GNUC_PRINTF(2, 3)
srvSendf(int fd, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *text = NULL;

    va_start(ap, fmt);
    text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    srvSend(fd, text);
}

/* One line (without its end) or NULL at EOF/after 10 s; *gotfd receives a
 * passed descriptor when not NULL. */
static char *
srvReadLine(int fd, int *gotfd)
{
    GString *line = g_string_new(NULL);

    for (;;) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        char c;
        struct iovec iov = { .iov_base = &c, .iov_len = 1 };
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
        struct cmsghdr *cmsg;
        ssize_t n;

        if (poll(&pfd, 1, 10000) <= 0)
            break;
        n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        if (n <= 0)
            break;
        for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
            if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS) {
                int got;
                memcpy(&got, CMSG_DATA(cmsg), sizeof(int));
                if (gotfd)
                    *gotfd = got;
                else
                    close(got);
            }
        }
        if (c == '\n') {
            if (line->len && line->str[line->len - 1] == '\r')
                g_string_truncate(line, line->len - 1);
            return g_string_free(line, FALSE);
        }
        g_string_append_c(line, c);
    }
    g_string_free(line, TRUE);
    return NULL;
}

/* Read one command; returns it (owned) and sets *id (borrowed from it). */
static json_object *
srvReadCmd(int fd, const char **execute, const char **id, int *gotfd)
{
    g_autofree char *line = srvReadLine(fd, gotfd);
    json_object *obj, *val;

    if (!line)
        return NULL;
    obj = json_tokener_parse(line);
    ck_assert_msg(obj != NULL, "client sent bad JSON '%s'", line);
    ck_assert(json_object_object_get_ex(obj, "execute", &val));
    *execute = json_object_get_string(val);
    ck_assert_msg(json_object_object_get_ex(obj, "id", &val), "no id in '%s'", line);
    *id = json_object_get_string(val);
    return obj;
}

static void
srvHandshake(int fd)
{
    const char *exec, *id;
    json_object *cmd;

    srvSend(fd, GREETING);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_ptr_nonnull(cmd);
    ck_assert_str_eq(exec, "qmp_capabilities");
    srvSendf(fd, "{\"return\": {}, \"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);
}

/* Wait until the client closes its end. */
static void
srvWaitEOF(int fd)
{
    g_autofree char *line = NULL;
    while ((line = srvReadLine(fd, NULL)))
        g_clear_pointer(&line, g_free);
}

static qemuMonitor *
openFake(Server *srv, ServerScript script, gpointer data)
{
    int fd = serverStart(srv, script, data);
    qemuMonitor *mon = qemuMonitorOpenFD(fd, 5000, testCtx, &recCallbacks, &rec);

    ck_assert_msg(mon != NULL, "open failed: %s", mvErrorGetLastMessage());
    return mon;
}

static void
setup(void)
{
    recInit();
    loopStart();
}

static void
teardown(void)
{
    loopStop();
}

/* ------------------------------------------------------------ tests */

static void
scriptRoundTrip(int fd, gpointer data)
{
    const char *exec, *id;
    json_object *cmd;

    srvHandshake(fd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_str_eq(exec, "query-status");
    srvSendf(fd, "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, "
             "\"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);

    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_str_eq(exec, "query-version");
    /* two messages in one write, the second one split across writes */
    srvSendf(fd, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"RESUME\"}\r\n"
             "{\"return\": {\"qemu\": {\"major\": 7, \"minor\": 2, \"micro\": 0}, ");
    g_usleep(20000);
    srvSendf(fd, "\"package\": \"\"}, \"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);
    srvWaitEOF(fd);
}

START_TEST(test_roundtrip)
{
    Server srv;
    qemuMonitor *mon = openFake(&srv, scriptRoundTrip, NULL);
    g_autofree char *status = NULL;
    gboolean running = FALSE;
    json_object *reply = NULL, *qemu = NULL, *major = NULL;

    ck_assert_ptr_nonnull(qemuMonitorGetGreeting(mon));
    ck_assert(qemuMonitorIsAlive(mon));
    ck_assert_int_eq(qemuMonitorQueryStatus(mon, &status, &running), 0);
    ck_assert_str_eq(status, "running");
    ck_assert(running);

    ck_assert_int_eq(qemuMonitorCommand(mon, "query-version", NULL, &reply, 2000), 0);
    ck_assert(json_object_object_get_ex(reply, "qemu", &qemu));
    ck_assert(json_object_object_get_ex(qemu, "major", &major));
    ck_assert_int_eq(json_object_get_int(major), 7);
    json_object_put(reply);
    ck_assert(recWaitEvents(1, 2000));
    ck_assert_str_eq(g_ptr_array_index(rec.events, 0), "RESUME");
    ck_assert_str_eq(g_ptr_array_index(rec.eventData, 0), "");

    qemuMonitorClose(mon);
    serverJoin(&srv);
    ck_assert_int_eq(rec.eofCount, 0);    /* closed by us: no callback */
}
END_TEST

static void
scriptErrorReply(int fd, gpointer data)
{
    const char *exec, *id;
    json_object *cmd;

    srvHandshake(fd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_str_eq(exec, "stop");
    srvSendf(fd, "{\"id\": \"%s\", \"error\": {\"class\": \"GenericError\", \"desc\": \"boom\"}}\n", id);
    json_object_put(cmd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_str_eq(exec, "cont");
    srvSendf(fd, "{\"id\": \"%s\", \"error\": \"not an object\"}\n", id);
    json_object_put(cmd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_str_eq(exec, "system_reset");
    srvSendf(fd, "{\"id\": \"%s\", \"return\": {}}\n", id);
    json_object_put(cmd);
    srvWaitEOF(fd);
}

START_TEST(test_error_reply)
{
    Server srv;
    qemuMonitor *mon = openFake(&srv, scriptErrorReply, NULL);

    ck_assert_int_eq(qemuMonitorStop(mon), -1);
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_INTERNAL_ERROR);
    ck_assert_int_eq(mvErrorGetLast()->domain, MV_FROM_QEMU);
    ck_assert_str_eq(mvErrorGetLastMessage(),
                     "internal error: unable to execute QEMU command 'stop': boom");
    ck_assert_int_eq(qemuMonitorCont(mon), -1);
    ck_assert_str_eq(mvErrorGetLastMessage(),
                     "internal error: unable to execute QEMU command 'cont': unknown error");
    ck_assert(qemuMonitorIsAlive(mon));
    ck_assert_int_eq(qemuMonitorSystemReset(mon), 0);
    qemuMonitorClose(mon);
    serverJoin(&srv);
}
END_TEST

static void
scriptEvents(int fd, gpointer data)
{
    srvHandshake(fd);
    srvSend(fd, "{\"event\": \"STOP\", \"timestamp\": {\"seconds\": 5, \"microseconds\": 6}}\r\n"
                "\r\n"
                "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"},"
                " \"timestamp\": {\"seconds\": 5, \"microseconds\": 7}}\r\n"
                "{\"event\": \"WEIRD\", \"data\": [1, 2]}\r\n");
    srvWaitEOF(fd);
}

START_TEST(test_events)
{
    Server srv;
    qemuMonitor *mon;

    rec.commandInEvent = TRUE;
    mon = openFake(&srv, scriptEvents, NULL);
    ck_assert(recWaitEvents(3, 2000));
    ck_assert_str_eq(g_ptr_array_index(rec.events, 0), "STOP");
    ck_assert_str_eq(g_ptr_array_index(rec.eventData, 0), "");
    ck_assert_str_eq(g_ptr_array_index(rec.events, 1), "SHUTDOWN");
    ck_assert_str_eq(g_ptr_array_index(rec.eventData, 1),
                     "{\"guest\":true,\"reason\":\"guest-shutdown\"}");
    ck_assert_str_eq(g_ptr_array_index(rec.events, 2), "WEIRD");
    ck_assert_str_eq(g_ptr_array_index(rec.eventData, 2), "");
    /* a command from the main loop thread is refused, not deadlocked */
    ck_assert_int_eq(rec.commandInEventRc, -1);
    ck_assert_int_eq(rec.commandInEventCode, MV_ERR_INTERNAL_ERROR);
    ck_assert(qemuMonitorIsAlive(mon));
    qemuMonitorClose(mon);
    serverJoin(&srv);
}
END_TEST

/* Hostile replies: each one kills the monitor cleanly. */
static const char *const hostileLines[] = {
    "this is not json\n",
    "[1, 2, 3]\n",
    "42\n",
    "\"a string\"\n",
    "null\n",
    "{\"return\": {}} {\"return\": {}}\n",
    "{\"return\": {}}}\n",
    "{\"foo\": 1}\n",
    "{\"event\": 5}\n",
    "{\"return\": \"\xff\xfe\"}\n",
    "{\"return\": \"a\0b\"}\n",
    "{\"return\": {},}\n",
    "\x01\x02\x03\n",
};

typedef struct {
    const char *line;
    size_t len;
} HostileData;

static void
scriptHostile(int fd, gpointer data)
{
    HostileData *h = data;
    const char *exec, *id;
    json_object *cmd;

    srvHandshake(fd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    if (h->line) {
        ck_assert_int_eq(send(fd, h->line, h->len, MSG_NOSIGNAL), (ssize_t)h->len);
    } else {
        /* nesting deeper than the parser allows */
        GString *deep = g_string_new("{\"return\": ");
        int i;
        for (i = 0; i < 10000; i++)
            g_string_append_c(deep, '[');
        for (i = 0; i < 10000; i++)
            g_string_append_c(deep, ']');
        g_string_append_printf(deep, ", \"id\": \"%s\"}\n", id);
        srvSend(fd, deep->str);
        g_string_free(deep, TRUE);
    }
    json_object_put(cmd);
    srvWaitEOF(fd);
}

static void
runHostile(const char *line, size_t len, const char *expect)
{
    Server srv;
    HostileData h = { line, len };
    qemuMonitor *mon;
    json_object *reply = NULL;

    g_mutex_lock(&rec.lock);
    rec.eofCount = 0;
    g_clear_pointer(&rec.eofError, g_free);
    g_mutex_unlock(&rec.lock);

    mon = openFake(&srv, scriptHostile, &h);
    ck_assert_int_eq(qemuMonitorCommand(mon, "query-status", NULL, &reply, 5000), -1);
    ck_assert_ptr_null(reply);
    ck_assert_msg(mvErrorGetLastCode() == MV_ERR_INTERNAL_ERROR, "line %s: %s",
                  line ? line : "(deep)", mvErrorGetLastMessage());
    ck_assert_msg(strstr(mvErrorGetLastMessage(), expect) != NULL,
                  "line %s: message '%s' lacks '%s'", line ? line : "(deep)",
                  mvErrorGetLastMessage(), expect);
    ck_assert(recWaitEof(2000));
    ck_assert_ptr_nonnull(rec.eofError);
    ck_assert_str_eq(rec.eofError, mvErrorGetLastMessage());
    ck_assert(!qemuMonitorIsAlive(mon));
    /* later commands fail at once with the same error */
    ck_assert_int_eq(qemuMonitorCommand(mon, "query-status", NULL, NULL, 5000), -1);
    ck_assert(strstr(mvErrorGetLastMessage(), expect) != NULL);
    qemuMonitorClose(mon);
    serverJoin(&srv);
    ck_assert_int_eq(rec.eofCount, 1);
}

START_TEST(test_hostile_lines)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(hostileLines); i++) {
        const char *line = hostileLines[i];
        size_t len = strlen(line);
        const char *expect = "QEMU monitor";

        if (strcmp(line, "{\"return\": \"a") == 0)   /* strlen stopped at the NUL byte */
            len = strlen("{\"return\": \"a") + 1 + strlen("b\"}\n");
        if (i == 7 || i == 8)
            expect = i == 7 ? "Unknown JSON reply" : "event without a name";
        runHostile(line, len, expect);
    }
    runHostile(NULL, 0, "cannot parse QEMU monitor message");
}
END_TEST

static void
scriptTruncated(int fd, gpointer data)
{
    const char *exec, *id;
    json_object *cmd;

    srvHandshake(fd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    srvSendf(fd, "{\"return\": {\"status\": \"runn");
    json_object_put(cmd);
    /* close right away */
}

START_TEST(test_truncated_then_close)
{
    Server srv;
    qemuMonitor *mon;

    rec.closeInEof = TRUE;    /* closing from inside the callback is fine */
    mon = openFake(&srv, scriptTruncated, NULL);
    qemuMonitorRef(mon);
    ck_assert_int_eq(qemuMonitorCommand(mon, "query-status", NULL, NULL, 5000), -1);
    ck_assert_msg(strstr(mvErrorGetLastMessage(), "incomplete message") != NULL,
                  "%s", mvErrorGetLastMessage());
    ck_assert(recWaitEof(2000));
    ck_assert_ptr_nonnull(rec.eofError);
    serverJoin(&srv);
    ck_assert(!qemuMonitorIsAlive(mon));
    qemuMonitorUnref(mon);
}
END_TEST

static void
scriptEOFMidCommand(int fd, gpointer data)
{
    const char *exec, *id;
    json_object *cmd;

    srvHandshake(fd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    srvSend(fd, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": false}}\r\n");
    json_object_put(cmd);
}

START_TEST(test_eof_mid_command)
{
    Server srv;
    qemuMonitor *mon = openFake(&srv, scriptEOFMidCommand, NULL);

    ck_assert_int_eq(qemuMonitorSystemPowerdown(mon), -1);
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_OPERATION_FAILED);
    ck_assert_str_eq(mvErrorGetLastMessage(), "operation failed: End of file from qemu monitor");
    ck_assert(recWaitEof(2000));
    ck_assert_ptr_null(rec.eofError);
    /* the event sent before EOF was delivered, before the eof callback */
    ck_assert_int_eq(rec.events->len, 1);
    serverJoin(&srv);
    qemuMonitorClose(mon);
    ck_assert_int_eq(rec.eofCount, 1);
}
END_TEST

typedef struct {
    size_t size;
    gboolean newline;
} HugeData;

static void
scriptHuge(int fd, gpointer data)
{
    HugeData *h = data;
    const char *exec, *id;
    json_object *cmd;
    GString *big;

    srvHandshake(fd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    big = g_string_new(NULL);
    g_string_append_printf(big, "{\"id\": \"%s\", \"return\": \"", id);
    while (big->len < h->size)
        g_string_append(big, "abcdefghijklmnopqrstuvwxyz");
    if (h->newline)
        g_string_append(big, "\"}\r\n");
    srvSend(fd, big->str);     /* may fail half-way once the client gave up */
    g_string_free(big, TRUE);
    json_object_put(cmd);
    srvWaitEOF(fd);
}

START_TEST(test_huge_reply)
{
    Server srv;
    HugeData h;
    qemuMonitor *mon;
    json_object *reply = NULL;

    qemuMonitorMaxLine = 1024 * 1024;

    /* below the limit, arriving in many chunks: fine */
    h.size = 900 * 1024;
    h.newline = TRUE;
    mon = openFake(&srv, scriptHuge, &h);
    ck_assert_int_eq(qemuMonitorCommand(mon, "query-status", NULL, &reply, 5000), 0);
    ck_assert(json_object_is_type(reply, json_type_string));
    ck_assert_int_ge(json_object_get_string_len(reply), 899 * 1024);
    json_object_put(reply);
    qemuMonitorClose(mon);
    serverJoin(&srv);

    /* above it, with and without a line end */
    h.size = 3 * 1024 * 1024;
    mon = openFake(&srv, scriptHuge, &h);
    ck_assert_int_eq(qemuMonitorCommand(mon, "query-status", NULL, &reply, 5000), -1);
    ck_assert(strstr(mvErrorGetLastMessage(), "exceeds the 1048576 byte limit") != NULL);
    ck_assert(recWaitEof(2000));
    ck_assert_ptr_nonnull(rec.eofError);
    qemuMonitorClose(mon);
    serverJoin(&srv);

    h.newline = FALSE;
    mon = openFake(&srv, scriptHuge, &h);
    ck_assert_int_eq(qemuMonitorCommand(mon, "query-status", NULL, &reply, 5000), -1);
    ck_assert(strstr(mvErrorGetLastMessage(), "byte limit") != NULL);
    qemuMonitorClose(mon);
    serverJoin(&srv);
    qemuMonitorMaxLine = QEMU_MONITOR_MAX_LINE;
}
END_TEST

START_TEST(test_huge_reply_default_limit)
{
    Server srv;
    HugeData h = { QEMU_MONITOR_MAX_LINE + 1024 * 1024, TRUE };
    qemuMonitor *mon;

    ck_assert_uint_eq(qemuMonitorMaxLine, 64 * 1024 * 1024);
    mon = openFake(&srv, scriptHuge, &h);
    ck_assert_int_eq(qemuMonitorCommand(mon, "query-status", NULL, NULL, 20000), -1);
    ck_assert(strstr(mvErrorGetLastMessage(), "exceeds the 67108864 byte limit") != NULL);
    qemuMonitorClose(mon);
    serverJoin(&srv);
}
END_TEST

static void
scriptWrongId(int fd, gpointer data)
{
    const char *exec, *id;
    json_object *cmd;

    srvHandshake(fd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    srvSend(fd, "{\"return\": {\"which\": \"bogus\"}, \"id\": \"bogus\"}\r\n");
    srvSend(fd, "{\"return\": {\"which\": \"noid\"}}\r\n");
    srvSend(fd, "{\"return\": {\"which\": \"intid\"}, \"id\": 1}\r\n");
    srvSend(fd, "{\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}, \"id\": \"modvirt-999\"}\r\n");
    srvSend(fd, "{\"QMP\": {}}\r\n");
    srvSend(fd, "{'return': {}}\r\n");      /* json-c tolerates it; no id anyway */
    srvSendf(fd, "{\"return\": {\"which\": \"right\"}, \"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);
    srvWaitEOF(fd);
}

START_TEST(test_wrong_id_ignored)
{
    Server srv;
    qemuMonitor *mon = openFake(&srv, scriptWrongId, NULL);
    json_object *reply = NULL, *which;

    ck_assert_int_eq(qemuMonitorCommand(mon, "query-foo", NULL, &reply, 5000), 0);
    ck_assert(json_object_object_get_ex(reply, "which", &which));
    ck_assert_str_eq(json_object_get_string(which), "right");
    json_object_put(reply);
    ck_assert(qemuMonitorIsAlive(mon));
    qemuMonitorClose(mon);
    serverJoin(&srv);
}
END_TEST

static void
scriptTimeout(int fd, gpointer data)
{
    const char *exec, *id;
    json_object *cmd;
    g_autofree char *oldId = NULL;

    srvHandshake(fd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    oldId = g_strdup(id);
    json_object_put(cmd);
    g_usleep(400 * 1000);     /* the client gives up after 150 ms */
    srvSendf(fd, "{\"return\": {\"n\": 1}, \"id\": \"%s\"}\r\n", oldId);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_str_ne(id, oldId);
    srvSendf(fd, "{\"return\": {\"n\": 1}, \"id\": \"%s\"}\r\n", oldId);
    srvSendf(fd, "{\"return\": {\"n\": 2}, \"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);
    srvWaitEOF(fd);
}

START_TEST(test_timeout)
{
    Server srv;
    qemuMonitor *mon = openFake(&srv, scriptTimeout, NULL);
    json_object *reply = NULL, *n;
    gint64 start = g_get_monotonic_time();

    ck_assert_int_eq(qemuMonitorCommand(mon, "query-slow", NULL, &reply, 150), -1);
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_OPERATION_TIMEOUT);
    ck_assert(strstr(mvErrorGetLastMessage(), "'query-slow'") != NULL);
    ck_assert_int_lt(g_get_monotonic_time() - start, 2 * G_USEC_PER_SEC);
    ck_assert(qemuMonitorIsAlive(mon));

    ck_assert_int_eq(qemuMonitorCommand(mon, "query-next", NULL, &reply, 5000), 0);
    ck_assert(json_object_object_get_ex(reply, "n", &n));
    ck_assert_int_eq(json_object_get_int(n), 2);
    json_object_put(reply);
    qemuMonitorClose(mon);
    serverJoin(&srv);
}
END_TEST

/* The server stops reading while a big command is being sent: the command
 * times out half-sent, the rest still goes out whole, and the next command
 * waits for that before it starts. */
static void
scriptSlowReader(int fd, gpointer data)
{
    GString *buf = g_string_new(NULL);
    char chunk[65536];
    char *nl;
    json_object *cmd, *val;

    srvHandshake(fd);
    g_usleep(500 * 1000);
    for (;;) {
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        ck_assert_int_gt(n, 0);
        g_string_append_len(buf, chunk, n);
        if ((nl = memchr(buf->str, '\n', buf->len)))
            break;
    }
    ck_assert_int_gt(nl - buf->str, 2 * 1024 * 1024);
    g_string_erase(buf, 0, nl - buf->str + 1);
    while (!(nl = memchr(buf->str, '\n', buf->len))) {
        ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
        ck_assert_int_gt(n, 0);
        g_string_append_len(buf, chunk, n);
    }
    *nl = '\0';
    cmd = json_tokener_parse(buf->str);
    ck_assert_ptr_nonnull(cmd);
    ck_assert(json_object_object_get_ex(cmd, "execute", &val));
    ck_assert_str_eq(json_object_get_string(val), "query-status");
    ck_assert(json_object_object_get_ex(cmd, "id", &val));
    srvSendf(fd, "{\"return\": {\"status\": \"running\", \"running\": true}, \"id\": \"%s\"}\r\n",
             json_object_get_string(val));
    json_object_put(cmd);
    g_string_free(buf, TRUE);
    srvWaitEOF(fd);
}

START_TEST(test_partial_send_timeout)
{
    Server srv;
    qemuMonitor *mon = openFake(&srv, scriptSlowReader, NULL);
    json_object *props = json_object_new_object();
    g_autofree char *big = g_malloc(3 * 1024 * 1024);
    g_autofree char *status = NULL;
    gboolean running = FALSE;

    memset(big, 'x', 3 * 1024 * 1024 - 1);
    big[3 * 1024 * 1024 - 1] = '\0';
    json_object_object_add(props, "driver", json_object_new_string("virtio-blk-pci"));
    json_object_object_add(props, "serial", json_object_new_string(big));
    ck_assert_int_eq(qemuMonitorCommand(mon, "device_add", props, NULL, 150), -1);
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_OPERATION_TIMEOUT);
    ck_assert_int_eq(qemuMonitorQueryStatus(mon, &status, &running), 0);
    ck_assert_str_eq(status, "running");
    qemuMonitorClose(mon);
    serverJoin(&srv);
}
END_TEST

static void
scriptGreeting(int fd, gpointer data)
{
    const char *what = data;

    if (strcmp(what, "caps-error") == 0) {
        const char *exec, *id;
        json_object *cmd;
        srvSend(fd, GREETING);
        cmd = srvReadCmd(fd, &exec, &id, NULL);
        srvSendf(fd, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"nope\"}, "
                 "\"id\": \"%s\"}\r\n", id);
        json_object_put(cmd);
    } else if (strcmp(what, "silent") != 0 && strcmp(what, "eof") != 0) {
        srvSend(fd, what);
    }
    if (strcmp(what, "eof") != 0)
        srvWaitEOF(fd);
}

static void
expectOpenFails(const char *script, const char *expect)
{
    Server srv;
    int fd = serverStart(&srv, scriptGreeting, (gpointer)script);
    qemuMonitor *mon = qemuMonitorOpenFD(fd, 300, testCtx, &recCallbacks, &rec);

    ck_assert_msg(mon == NULL, "open succeeded with '%s'", script);
    ck_assert_msg(strstr(mvErrorGetLastMessage(), expect) != NULL,
                  "'%s': message '%s' lacks '%s'", script, mvErrorGetLastMessage(), expect);
    serverJoin(&srv);    /* the fd was closed by the failed open */
    ck_assert_int_eq(rec.eofCount, 0);
}

START_TEST(test_bad_greeting)
{
    expectOpenFails("{\"hello\": 1}\r\n", "no QMP greeting");
    expectOpenFails("{\"QMP\": 5}\r\n", "no QMP greeting");
    expectOpenFails("garbage\r\n", "cannot parse");
    expectOpenFails("[\"QMP\"]\r\n", "not a JSON object");
    expectOpenFails("eof", "End of file");
    expectOpenFails("silent", "Timed out during operation");
    expectOpenFails("caps-error", "unable to execute QEMU command 'qmp_capabilities': nope");
    expectOpenFails("{\"QMP\": {}}\r\n{\"return\": {}, \"id\": \"modvirt-0\"", "Timed out");
}
END_TEST

static void
scriptPassthrough(int fd, gpointer data)
{
    const char *exec, *id;
    json_object *cmd, *args, *val;
    int gotfd = -1;

    srvHandshake(fd);

    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_str_eq(exec, "query-name");
    ck_assert_str_ne(id, "mine");
    srvSendf(fd, "{\"return\": {\"name\": \"/dev/x\"}, \"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);

    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_str_eq(exec, "nonexistent");
    srvSendf(fd, "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": "
             "\"The command nonexistent has not been found\"}, \"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);

    cmd = srvReadCmd(fd, &exec, &id, NULL);
    ck_assert_str_eq(exec, "human-monitor-command");
    ck_assert(json_object_object_get_ex(cmd, "arguments", &args));
    ck_assert(json_object_object_get_ex(args, "command-line", &val));
    ck_assert_str_eq(json_object_get_string(val), "info status");
    srvSendf(fd, "{\"return\": \"VM status: paused (prelaunch)\\r\\n\", \"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);

    cmd = srvReadCmd(fd, &exec, &id, &gotfd);
    ck_assert_str_eq(exec, "getfd");
    ck_assert(json_object_object_get_ex(cmd, "arguments", &args));
    ck_assert(json_object_object_get_ex(args, "fdname", &val));
    ck_assert_str_eq(json_object_get_string(val), "vnc0");
    ck_assert_int_ge(gotfd, 0);
    ck_assert_int_eq(write(gotfd, "hello", 5), 5);
    close(gotfd);
    srvSendf(fd, "{\"return\": {}, \"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);

    cmd = srvReadCmd(fd, &exec, &id, &gotfd);
    ck_assert_str_eq(exec, "closefd");
    srvSendf(fd, "{\"return\": {}, \"id\": \"%s\"}\r\n", id);
    json_object_put(cmd);
    srvWaitEOF(fd);
}

START_TEST(test_raw_hmp_fd)
{
    Server srv;
    qemuMonitor *mon = openFake(&srv, scriptPassthrough, NULL);
    g_autofree char *raw = NULL;
    g_autofree char *raw2 = NULL;
    g_autofree char *hmp = NULL;
    char buf[16] = { 0 };
    int pfd[2];

    raw = qemuMonitorCommandRaw(mon, "{\"execute\": \"query-name\", \"id\": \"mine\"}", 5000);
    ck_assert_ptr_nonnull(raw);
    ck_assert_str_eq(raw, "{\"return\":{\"name\":\"/dev/x\"},\"id\":\"mine\"}");
    raw2 = qemuMonitorCommandRaw(mon, "{\"execute\": \"nonexistent\"}", 5000);
    ck_assert_ptr_nonnull(raw2);
    ck_assert(strstr(raw2, "CommandNotFound") != NULL);
    ck_assert_ptr_null(qemuMonitorCommandRaw(mon, "{not json", 5000));
    ck_assert_ptr_null(qemuMonitorCommandRaw(mon, "[1]", 5000));

    hmp = qemuMonitorCommandHMP(mon, "info status", 5000);
    ck_assert_str_eq(hmp, "VM status: paused (prelaunch)\r\n");

    ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);
    ck_assert_int_eq(qemuMonitorGetFD(mon, pfd[1], "vnc0"), 0);
    close(pfd[1]);
    ck_assert_int_eq(read(pfd[0], buf, sizeof(buf) - 1), 5);
    ck_assert_str_eq(buf, "hello");
    close(pfd[0]);
    ck_assert_int_eq(qemuMonitorCloseFD(mon, "vnc0"), 0);

    qemuMonitorClose(mon);
    serverJoin(&srv);
}
END_TEST

static void
scriptNoReply(int fd, gpointer data)
{
    const char *exec, *id;
    json_object *cmd;

    srvHandshake(fd);
    cmd = srvReadCmd(fd, &exec, &id, NULL);
    json_object_put(cmd);
    g_atomic_int_set((gint *)data, 1);
    srvWaitEOF(fd);
    /* the client closed: these go nowhere and trigger no callback */
    srvSend(fd, "{\"event\": \"STOP\"}\r\n");
}

typedef struct {
    qemuMonitor *mon;
    int rc;
    int code;
} CommandThreadData;

static gpointer
commandThread(gpointer opaque)
{
    CommandThreadData *d = opaque;
    d->rc = qemuMonitorCommand(d->mon, "query-status", NULL, NULL, 10000);
    d->code = mvErrorGetLastCode();
    return NULL;
}

START_TEST(test_close_while_waiting)
{
    Server srv;
    gint received = 0;
    qemuMonitor *mon = openFake(&srv, scriptNoReply, &received);
    CommandThreadData d = { mon, 0, 0 };
    GThread *t = g_thread_new("cmd", commandThread, &d);
    gint64 start;

    while (!g_atomic_int_get(&received))
        g_usleep(1000);
    start = g_get_monotonic_time();
    qemuMonitorClose(mon);
    g_thread_join(t);
    ck_assert_int_lt(g_get_monotonic_time() - start, 2 * G_USEC_PER_SEC);
    ck_assert_int_eq(d.rc, -1);
    ck_assert_int_eq(d.code, MV_ERR_OPERATION_INVALID);
    serverJoin(&srv);
    g_usleep(50 * 1000);
    ck_assert_int_eq(rec.eofCount, 0);
    ck_assert_int_eq(rec.events->len, 0);

    /* NULL monitor */
    ck_assert_int_eq(qemuMonitorCommand(NULL, "stop", NULL, NULL, 10), -1);
    ck_assert_str_eq(mvErrorGetLastMessage(), "invalid argument: monitor must not be NULL");
    ck_assert(!qemuMonitorIsAlive(NULL));
    qemuMonitorClose(NULL);
}
END_TEST

/* Several threads issue commands at once: they are serialised. */
static void
scriptEcho(int fd, gpointer data)
{
    const char *exec, *id;
    json_object *cmd;

    srvHandshake(fd);
    while ((cmd = srvReadCmd(fd, &exec, &id, NULL))) {
        if (g_str_has_prefix(exec, "echo-")) {
            g_usleep(1000);
            srvSendf(fd, "{\"event\": \"TICK\"}\r\n{\"return\": \"%s\", \"id\": \"%s\"}\r\n",
                     exec + 5, id);
        }
        json_object_put(cmd);
    }
}

static gpointer
echoThread(gpointer opaque)
{
    qemuMonitor *mon = opaque;
    int i;

    for (i = 0; i < 20; i++) {
        g_autofree char *name = g_strdup_printf("echo-%p-%d", (void *)g_thread_self(), i);
        json_object *reply = NULL;
        ck_assert_int_eq(qemuMonitorCommand(mon, name, NULL, &reply, 5000), 0);
        ck_assert_str_eq(json_object_get_string(reply), name + 5);
        json_object_put(reply);
    }
    return NULL;
}

START_TEST(test_concurrent_commands)
{
    Server srv;
    qemuMonitor *mon = openFake(&srv, scriptEcho, NULL);
    GThread *t[4];
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(t); i++)
        t[i] = g_thread_new("echo", echoThread, mon);
    for (i = 0; i < G_N_ELEMENTS(t); i++)
        g_thread_join(t[i]);
    ck_assert(recWaitEvents(80, 2000));
    qemuMonitorClose(mon);
    serverJoin(&srv);
}
END_TEST

/* A responder: execute name -> "return" JSON text; records the commands. */
typedef struct {
    const char *const *table;   /* pairs: execute, return text; NULL-terminated */
    GPtrArray *seen;            /* JSON text of each command received */
    GMutex lock;
} Responder;

static void
scriptResponder(int fd, gpointer data)
{
    Responder *r = data;
    const char *exec, *id;
    json_object *cmd;

    srvHandshake(fd);
    while ((cmd = srvReadCmd(fd, &exec, &id, NULL))) {
        const char *ret = "{}";
        size_t i;

        for (i = 0; r->table[i]; i += 2) {
            if (strcmp(r->table[i], exec) == 0) {
                ret = r->table[i + 1];
                break;
            }
        }
        g_mutex_lock(&r->lock);
        g_ptr_array_add(r->seen, g_strdup(json_object_to_json_string_ext(cmd, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE)));
        g_mutex_unlock(&r->lock);
        srvSendf(fd, "{\"return\": %s, \"id\": \"%s\"}\r\n", ret, id);
        json_object_put(cmd);
    }
}

static const char *
responderLast(Responder *r)
{
    return r->seen->len ? g_ptr_array_index(r->seen, r->seen->len - 1) : "";
}

static const char *const goodReplies[] = {
    "query-cpus-fast",
    "[{\"cpu-index\": 0, \"thread-id\": 1001, \"qom-path\": \"/machine/unattached/device[0]\", "
    "\"target\": \"x86_64\"}, {\"cpu-index\": 2, \"thread-id\": 1003}]",
    "query-balloon", "{\"actual\": 1073741824}",
    "query-chardev",
    "[{\"frontend-open\": true, \"filename\": \"pty:/dev/pts/7\", \"label\": \"charserial0\"},"
    " {\"frontend-open\": false, \"filename\": \"unix:/run/qmp.sock,server=on\", \"label\": \"charmonitor\"}]",
    "query-vnc", "{\"enabled\": true, \"host\": \"127.0.0.1\", \"family\": \"ipv4\", \"service\": \"5901\", \"auth\": \"none\", \"clients\": []}",
    "query-blockstats",
    "[{\"device\": \"\", \"node-name\": \"libvirt-1-format\", \"qdev\": \"/machine/peripheral/virtio-disk0/virtio-backend\","
    " \"stats\": {\"rd_bytes\": 512, \"wr_bytes\": 1024, \"rd_operations\": 3, \"wr_operations\": 4,"
    " \"flush_operations\": 5, \"rd_total_time_ns\": 6, \"wr_total_time_ns\": 7, \"flush_total_time_ns\": 8,"
    " \"idle_time_ns\": 9}}]",
    "qom-list",
    "[{\"name\": \"type\", \"type\": \"string\"}, {\"name\": \"balloon0\", \"type\": \"child<virtio-balloon-pci>\"}]",
    "qom-get",
    "{\"stats\": {\"stat-swap-out\": 0, \"stat-available-memory\": 2048000, \"stat-htlb-pgalloc\": -1,"
    " \"stat-free-memory\": 1048576, \"stat-major-faults\": 12, \"stat-total-memory\": 4096000,"
    " \"stat-swap-in\": -1}, \"last-update\": 1700000000}",
    "query-hotpluggable-cpus",
    "[{\"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 1}, \"vcpus-count\": 1, \"type\": \"qemu64-x86_64-cpu\"},"
    " {\"props\": {\"core-id\": 0, \"thread-id\": 0, \"socket-id\": 0}, \"vcpus-count\": 1, \"qom-path\": \"/machine/unattached/device[0]\", \"type\": \"qemu64-x86_64-cpu\"}]",
    "query-status", "{\"status\": \"paused\", \"running\": false}",
    NULL,
};

START_TEST(test_typed_helpers)
{
    Server srv;
    Responder r = { goodReplies, g_ptr_array_new_with_free_func(g_free) };
    qemuMonitor *mon;
    g_autoptr(GArray) tids = NULL;
    g_autoptr(GHashTable) ptys = NULL;
    g_autoptr(GHashTable) blk = NULL;
    g_autoptr(GHashTable) mem = NULL;
    g_autoptr(GPtrArray) hp = NULL;
    unsigned long long kib = 0;
    int port = 0;
    qemuMonitorBlockStats *bs;
    const unsigned int keys[] = { 29, 56, 211 };
    const char *const qcodes[] = { "ctrl", "alt", "delete" };
    g_autofree char *status = NULL;
    gboolean running = TRUE;

    g_mutex_init(&r.lock);
    mon = openFake(&srv, scriptResponder, &r);

    ck_assert_int_eq(qemuMonitorQueryCpusFast(mon, &tids), 0);
    ck_assert_uint_eq(tids->len, 3);
    ck_assert_int_eq(g_array_index(tids, gint, 0), 1001);
    ck_assert_int_eq(g_array_index(tids, gint, 1), 0);
    ck_assert_int_eq(g_array_index(tids, gint, 2), 1003);

    ck_assert_int_eq(qemuMonitorQueryBalloon(mon, &kib), 0);
    ck_assert_uint_eq(kib, 1048576);
    ck_assert_int_eq(qemuMonitorSetBalloon(mon, 524288), 0);
    ck_assert_str_eq(responderLast(&r),
                     "{\"execute\":\"balloon\",\"arguments\":{\"value\":536870912},\"id\":\"modvirt-3\"}");

    ck_assert_int_eq(qemuMonitorQueryChardev(mon, &ptys), 0);
    ck_assert_uint_eq(g_hash_table_size(ptys), 1);
    ck_assert_str_eq(g_hash_table_lookup(ptys, "charserial0"), "/dev/pts/7");

    ck_assert_int_eq(qemuMonitorQueryVNC(mon, &port), 0);
    ck_assert_int_eq(port, 5901);

    ck_assert_int_eq(qemuMonitorQueryBlockstats(mon, &blk), 0);
    ck_assert_ptr_nonnull(g_hash_table_lookup(blk, "libvirt-1-format"));
    ck_assert_ptr_nonnull(g_hash_table_lookup(blk, "/machine/peripheral/virtio-disk0/virtio-backend"));
    ck_assert_ptr_null(g_hash_table_lookup(blk, ""));
    bs = g_hash_table_lookup(blk, "virtio-disk0");
    ck_assert_ptr_nonnull(bs);
    ck_assert_int_eq(bs->rd_bytes, 512);
    ck_assert_int_eq(bs->wr_bytes, 1024);
    ck_assert_int_eq(bs->rd_req, 3);
    ck_assert_int_eq(bs->wr_req, 4);
    ck_assert_int_eq(bs->flush_req, 5);
    ck_assert_int_eq(bs->rd_total_times, 6);
    ck_assert_int_eq(bs->wr_total_times, 7);
    ck_assert_int_eq(bs->flush_total_times, 8);

    ck_assert_int_eq(qemuMonitorSendKey(mon, 100, keys, 3), 0);
    ck_assert(strstr(responderLast(&r),
                     "\"keys\":[{\"type\":\"number\",\"data\":29},{\"type\":\"number\",\"data\":56},"
                     "{\"type\":\"number\",\"data\":211}],\"hold-time\":100") != NULL);
    ck_assert_int_eq(qemuMonitorSendKeyQcodes(mon, 0, qcodes, 3), 0);
    ck_assert(strstr(responderLast(&r), "{\"type\":\"qcode\",\"data\":\"delete\"}]}") != NULL);
    ck_assert_int_eq(qemuMonitorSendKey(mon, 0, keys, 0), -1);
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_INVALID_ARG);

    ck_assert_int_eq(qemuMonitorSetMemoryStatsPeriod(mon, 10), 0);
    ck_assert_str_eq(responderLast(&r),
                     "{\"execute\":\"qom-set\",\"arguments\":{\"path\":\"/machine/peripheral/balloon0\","
                     "\"property\":\"guest-stats-polling-interval\",\"value\":10},\"id\":\"modvirt-10\"}");
    ck_assert_int_eq(qemuMonitorGetMemoryStats(mon, &mem), 0);
    ck_assert_uint_eq(*(guint64 *)g_hash_table_lookup(mem, "unused"), 1024);
    ck_assert_uint_eq(*(guint64 *)g_hash_table_lookup(mem, "available"), 4000);
    ck_assert_uint_eq(*(guint64 *)g_hash_table_lookup(mem, "usable"), 2000);
    ck_assert_uint_eq(*(guint64 *)g_hash_table_lookup(mem, "major_fault"), 12);
    ck_assert_uint_eq(*(guint64 *)g_hash_table_lookup(mem, "swap_out"), 0);
    ck_assert_uint_eq(*(guint64 *)g_hash_table_lookup(mem, "last_update"), 1700000000);
    ck_assert_ptr_null(g_hash_table_lookup(mem, "swap_in"));
    ck_assert_ptr_null(g_hash_table_lookup(mem, "hugetlb_pgalloc"));

    ck_assert_int_eq(qemuMonitorQueryVcpusHotpluggable(mon, &hp), 0);
    ck_assert_uint_eq(hp->len, 2);
    ck_assert_str_eq(((qemuMonitorHotpluggableCPU *)hp->pdata[0])->type, "qemu64-x86_64-cpu");
    ck_assert_ptr_null(((qemuMonitorHotpluggableCPU *)hp->pdata[0])->qomPath);
    ck_assert_str_eq(((qemuMonitorHotpluggableCPU *)hp->pdata[1])->qomPath,
                     "/machine/unattached/device[0]");

    ck_assert_int_eq(qemuMonitorQueryStatus(mon, &status, &running), 0);
    ck_assert_str_eq(status, "paused");
    ck_assert(!running);

    {
        json_object *props = json_object_new_object();
        json_object_object_add(props, "driver", json_object_new_string("virtio-blk-pci"));
        json_object_object_add(props, "id", json_object_new_string("virtio-disk1"));
        ck_assert_int_eq(qemuMonitorDeviceAdd(mon, props), 0);
        ck_assert(strstr(responderLast(&r), "\"execute\":\"device_add\",\"arguments\":{\"driver\":"
                         "\"virtio-blk-pci\",\"id\":\"virtio-disk1\"}") != NULL);
        ck_assert_int_eq(qemuMonitorDeviceAdd(mon, json_object_new_array()), -1);
        ck_assert_int_eq(qemuMonitorDeviceDel(mon, "virtio-disk1"), 0);
        ck_assert_int_eq(qemuMonitorBlockdevAdd(mon, json_object_new_object()), 0);
        ck_assert_int_eq(qemuMonitorBlockdevDel(mon, "libvirt-2-format"), 0);
        ck_assert(strstr(responderLast(&r), "{\"node-name\":\"libvirt-2-format\"}") != NULL);
        ck_assert_int_eq(qemuMonitorNetdevAdd(mon, json_object_new_object()), 0);
        ck_assert_int_eq(qemuMonitorNetdevDel(mon, "hostnet0"), 0);
        ck_assert_int_eq(qemuMonitorScreendump(mon, "/tmp/x.ppm"), 0);
        ck_assert(strstr(responderLast(&r), "{\"filename\":\"/tmp/x.ppm\"}") != NULL);
        ck_assert_int_eq(qemuMonitorBlockdevOpenTray(mon, "ide0-1-0", TRUE), 0);
        ck_assert(strstr(responderLast(&r), "{\"id\":\"ide0-1-0\",\"force\":true}") != NULL);
        ck_assert_int_eq(qemuMonitorBlockdevRemoveMedium(mon, "ide0-1-0"), 0);
        ck_assert_int_eq(qemuMonitorBlockdevInsertMedium(mon, "ide0-1-0", "node1"), 0);
        ck_assert_int_eq(qemuMonitorBlockdevCloseTray(mon, "ide0-1-0"), 0);
        ck_assert_int_eq(qemuMonitorBlockdevChangeMedium(mon, "ide0-1-0", "/tmp/a.iso", "raw"), 0);
        ck_assert(strstr(responderLast(&r), "\"filename\":\"/tmp/a.iso\",\"format\":\"raw\"") != NULL);
        ck_assert_int_eq(qemuMonitorCont(mon), 0);
        ck_assert_int_eq(qemuMonitorStop(mon), 0);
        ck_assert_int_eq(qemuMonitorSystemPowerdown(mon), 0);
    }

    qemuMonitorClose(mon);
    serverJoin(&srv);
    g_ptr_array_unref(r.seen);
}
END_TEST

/* Replies of the wrong shape: the helper fails, the monitor lives on. */
static const char *const badReplies[] = {
    "query-status", "[]",
    "query-cpus-fast", "[{\"cpu-index\": 1000000000, \"thread-id\": 5}]",
    "query-balloon", "{\"actual\": -5}",
    "query-chardev", "[{\"label\": 5}]",
    "query-vnc", "{\"enabled\": true, \"service\": \"99999\"}",
    "query-blockstats", "[{\"device\": \"x\", \"stats\": {\"rd_bytes\": \"many\"}}]",
    "qom-list", "[{\"name\": \"x\", \"type\": \"child<virtio-net-pci>\"}]",
    "query-hotpluggable-cpus", "[{\"type\": \"x\"}]",
    "human-monitor-command", "{}",
    "stop", "[]",
    NULL,
};

START_TEST(test_typed_helpers_bad_shapes)
{
    Server srv;
    Responder r = { badReplies, g_ptr_array_new_with_free_func(g_free) };
    qemuMonitor *mon;
    GArray *tids = NULL;
    GHashTable *table = NULL;
    GPtrArray *hp = NULL;
    unsigned long long kib = 0;
    int port = 0;
    char *status = NULL;

    g_mutex_init(&r.lock);
    mon = openFake(&srv, scriptResponder, &r);
    ck_assert_int_eq(qemuMonitorQueryStatus(mon, &status, NULL), -1);
    ck_assert_ptr_null(status);
    ck_assert_int_eq(qemuMonitorQueryCpusFast(mon, &tids), -1);
    ck_assert_ptr_null(tids);
    ck_assert_int_eq(qemuMonitorQueryBalloon(mon, &kib), -1);
    ck_assert_int_eq(qemuMonitorQueryChardev(mon, &table), -1);
    ck_assert_ptr_null(table);
    ck_assert_int_eq(qemuMonitorQueryVNC(mon, &port), -1);
    ck_assert_int_eq(qemuMonitorQueryBlockstats(mon, &table), -1);
    ck_assert_ptr_null(table);
    ck_assert_int_eq(qemuMonitorGetMemoryStats(mon, &table), -1);
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_OPERATION_INVALID);
    ck_assert_int_eq(qemuMonitorQueryVcpusHotpluggable(mon, &hp), -1);
    ck_assert_ptr_null(hp);
    ck_assert_ptr_null(qemuMonitorCommandHMP(mon, "info status", 0));
    ck_assert_int_eq(qemuMonitorStop(mon), -1);
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_INTERNAL_ERROR);
    ck_assert(qemuMonitorIsAlive(mon));
    qemuMonitorClose(mon);
    serverJoin(&srv);
    g_ptr_array_unref(r.seen);
}
END_TEST

/* Random bytes through the line splitter and parser: no crash, no leak. */
START_TEST(test_fuzz_parser)
{
    static const char *const pieces[] = {
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "d8", "00", "\n", "\r", " ",
        "\"return\"", "\"event\"", "\"id\"", "\"data\"", "null", "true", "1e999",
        "-9223372036854775809", "18446744073709551616", "\xc3", "\xa9", "\xff", "\0",
    };
    GRand *rnd = g_rand_new_with_seed(42);
    int iter;

    for (iter = 0; iter < 3000; iter++) {
        qemuMonitor mon = { 0 };
        GQueue events = G_QUEUE_INIT;
        json_object *obj;
        int n = g_rand_int_range(rnd, 1, 60), i, rc;

        mon.inbuf = g_string_new(NULL);
        mon.outbuf = g_string_new(NULL);
        mon.msgId = g_strdup("modvirt-1");
        for (i = 0; i < n; i++) {
            const char *p = pieces[g_rand_int_range(rnd, 0, G_N_ELEMENTS(pieces))];
            g_string_append_len(mon.inbuf, p, *p ? (gssize)strlen(p) : 1);
        }
        g_string_append_c(mon.inbuf, '\n');
        while ((rc = qemuMonitorNextMessage(&mon, &obj)) > 0) {
            if (qemuMonitorDispatchMessage(&mon, obj, &events) < 0)
                rc = -1;
            json_object_put(obj);
            if (rc < 0)
                break;
        }
        mvErrorReset();
        g_queue_clear_full(&events, qemuMonitorEventFree);
        if (mon.msgReply)
            json_object_put(mon.msgReply);
        g_free(mon.msgId);
        g_string_free(mon.inbuf, TRUE);
        g_string_free(mon.outbuf, TRUE);
    }
    g_rand_free(rnd);
}
END_TEST

/* ------------------------------------------------------------ real QEMU */

START_TEST(test_real_qemu)
{
    g_autofree char *dir = NULL;
    g_autofree char *sock = NULL;
    g_autofree char *qmparg = NULL;
    g_autoptr(GError) gerr = NULL;
    g_autofree char *status = NULL;
    g_autofree char *hmp = NULL;
    g_autofree char *raw = NULL;
    g_autoptr(GArray) tids = NULL;
    gboolean running = TRUE;
    json_object *reply = NULL, *qemu = NULL, *major = NULL;
    qemuMonitor *mon;
    GPid pid;
    int wstatus = -1, i;

    if (!g_file_test(QEMU_BINARY, G_FILE_TEST_IS_EXECUTABLE))
        return;

    dir = g_dir_make_tmp("qmp-XXXXXX", &gerr);
    ck_assert_ptr_nonnull(dir);
    sock = g_build_filename(dir, "qmp.sock", NULL);
    qmparg = g_strdup_printf("unix:%s,server=on,wait=off", sock);
    {
        const char *argv[] = {
            QEMU_BINARY, "-machine", "none", "-accel", "tcg", "-nodefaults", "-nographic",
            "-display", "none", "-S", "-qmp", qmparg, NULL,
        };
        ck_assert_msg(g_spawn_async(NULL, (char **)argv, NULL,
                                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                    G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDIN_FROM_DEV_NULL,
                                    NULL, NULL, &pid, &gerr),
                      "spawn: %s", gerr ? gerr->message : "?");
    }

    mon = qemuMonitorOpen(sock, pid, 20000, testCtx, &recCallbacks, &rec);
    ck_assert_msg(mon != NULL, "open: %s", mvErrorGetLastMessage());

    ck_assert_int_eq(qemuMonitorQueryStatus(mon, &status, &running), 0);
    ck_assert_str_eq(status, "prelaunch");
    ck_assert(!running);

    ck_assert_int_eq(qemuMonitorCommand(mon, "query-version", NULL, &reply, 5000), 0);
    ck_assert(json_object_object_get_ex(reply, "qemu", &qemu));
    ck_assert(json_object_object_get_ex(qemu, "major", &major));
    ck_assert_int_ge(json_object_get_int(major), 4);
    json_object_put(reply);

    ck_assert_int_eq(qemuMonitorCommand(mon, "no-such-command", NULL, NULL, 5000), -1);
    ck_assert(g_str_has_prefix(mvErrorGetLastMessage(),
                               "internal error: unable to execute QEMU command 'no-such-command': "));

    hmp = qemuMonitorCommandHMP(mon, "info status", 5000);
    ck_assert_ptr_nonnull(hmp);
    ck_assert(strstr(hmp, "VM status") != NULL);
    raw = qemuMonitorCommandRaw(mon, "{\"execute\":\"query-status\"}", 5000);
    ck_assert(strstr(raw, "\"status\":\"prelaunch\"") != NULL);
    ck_assert_int_eq(qemuMonitorQueryCpusFast(mon, &tids), 0);
    ck_assert_uint_eq(tids->len, 0);

    ck_assert_int_eq(qemuMonitorQuit(mon), 0);
    ck_assert(recWaitEof(10000));
    ck_assert_ptr_null(rec.eofError);
    ck_assert(!qemuMonitorIsAlive(mon));
    /* the SHUTDOWN event quit produces came before EOF */
    ck_assert_uint_ge(rec.events->len, 1);
    ck_assert_str_eq(g_ptr_array_index(rec.events, rec.events->len - 1), "SHUTDOWN");
    qemuMonitorClose(mon);

    for (i = 0; i < 1000; i++) {
        if (waitpid(pid, &wstatus, WNOHANG) == pid)
            break;
        g_usleep(10000);
    }
    ck_assert_msg(i < 1000, "QEMU did not exit after quit");
    ck_assert(WIFEXITED(wstatus));
    ck_assert_int_eq(WEXITSTATUS(wstatus), 0);
    unlink(sock);
    rmdir(dir);
}
END_TEST

START_TEST(test_open_dead_process)
{
    g_autofree char *dir = g_dir_make_tmp("qmp-XXXXXX", NULL);
    g_autofree char *sock = g_build_filename(dir, "none.sock", NULL);
    pid_t child = fork();
    gint64 start;

    ck_assert_int_ge(child, 0);
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    start = g_get_monotonic_time();
    ck_assert_ptr_null(qemuMonitorOpen(sock, child, 10000, testCtx, &recCallbacks, &rec));
    ck_assert_str_eq(mvErrorGetLastMessage(),
                     "operation failed: process exited while connecting to monitor");
    ck_assert_int_lt(g_get_monotonic_time() - start, 2 * G_USEC_PER_SEC);

    /* no process to watch: gives up at the timeout */
    ck_assert_ptr_null(qemuMonitorOpen(sock, 0, 200, testCtx, &recCallbacks, &rec));
    ck_assert(strstr(mvErrorGetLastMessage(), "monitor socket did not show up") != NULL);
    rmdir(dir);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("qemu_monitor");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_error_reply);
    tcase_add_test(tc, test_events);
    tcase_add_test(tc, test_hostile_lines);
    tcase_add_test(tc, test_truncated_then_close);
    tcase_add_test(tc, test_eof_mid_command);
    tcase_add_test(tc, test_huge_reply);
    tcase_add_test(tc, test_huge_reply_default_limit);
    tcase_add_test(tc, test_wrong_id_ignored);
    tcase_add_test(tc, test_timeout);
    tcase_add_test(tc, test_partial_send_timeout);
    tcase_add_test(tc, test_bad_greeting);
    tcase_add_test(tc, test_raw_hmp_fd);
    tcase_add_test(tc, test_close_while_waiting);
    tcase_add_test(tc, test_concurrent_commands);
    tcase_add_test(tc, test_typed_helpers);
    tcase_add_test(tc, test_typed_helpers_bad_shapes);
    tcase_add_test(tc, test_fuzz_parser);
    tcase_add_test(tc, test_real_qemu);
    tcase_add_test(tc, test_open_dead_process);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
