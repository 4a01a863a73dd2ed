#define MV_FROM_THIS MV_FROM_QEMU
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "qemu_agent.h"
#include "util/error.h"

/* Replies larger than this are not from a well-behaved agent. */
#define AGENT_REPLY_MAX (16 * 1024 * 1024)
#define AGENT_SYNC_TIMEOUT_MS 5000

static char *
agentSocketPath(qemuDomainObj *obj)
{
    for (size_t i = 0; i < obj->def->nchannels; i++) {
        mvDomainChrDef *ch = obj->def->channels[i];
        if (ch->targetName && strcmp(ch->targetName, QEMU_AGENT_CHANNEL) == 0 &&
            ch->type && strcmp(ch->type, "unix") == 0 && ch->sourcePath)
            return g_strdup(ch->sourcePath);
    }
    return NULL;
}

static int
agentWrite(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= n;
    }
    return 0;
}

/* Read the next JSON object line (a 0xFF sync delimiter resets the buffer). */
static json_object *
agentReadLine(int fd, GString *buf, gint64 deadline)
{
    for (;;) {
        char *nl;
        char chunk[4096];
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        gint64 left;
        ssize_t n;

        while ((nl = memchr(buf->str, '\n', buf->len))) {
            g_autofree char *line = g_strndup(buf->str, nl - buf->str);
            json_object *obj;
            char *start = strrchr(line, '\xff');

            g_string_erase(buf, 0, nl - buf->str + 1);
            obj = json_tokener_parse(start ? start + 1 : line);
            if (obj && json_object_is_type(obj, json_type_object))
                return obj;
            if (obj)
                json_object_put(obj);
        }
        left = (deadline - g_get_monotonic_time()) / 1000;
        if (left <= 0)
            return NULL;
        if (poll(&pfd, 1, (int)left) <= 0)
            continue;
        n = recv(fd, chunk, sizeof(chunk), 0);
        if (n <= 0)
            return NULL;
        if (buf->len + n > AGENT_REPLY_MAX)
            return NULL;
        g_string_append_len(buf, chunk, n);
    }
}

static int
agentConnect(const char *path, gint64 deadline)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -1;
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (errno != EINTR || g_get_monotonic_time() > deadline) {
            close(fd);
            return -1;
        }
    }
    return fd;
}

static void
notConnected(void)
{
    mvReportError(MV_ERR_AGENT_UNRESPONSIVE, "%s", "QEMU guest agent is not connected");
}

int
qemuAgentCommand(qemuDomainObj *obj, const char *cmd, json_object *args,
                 json_object **reply, int timeoutMs, gboolean noReply)
{
    g_autofree char *path = agentSocketPath(obj);
    g_autoptr(GString) buf = g_string_new(NULL);
    json_object *msg = NULL, *resp = NULL, *v;
    g_autofree char *sync = NULL;
    gint64 deadline;
    gint64 id = g_random_int_range(1, G_MAXINT32);
    const char *text;
    int fd = -1;
    int rc = -1;

    if (reply)
        *reply = NULL;
    if (!path) {
        mvReportError(MV_ERR_ARGUMENT_UNSUPPORTED, "%s", "QEMU guest agent is not configured");
        if (args)
            json_object_put(args);
        return -1;
    }
    if (!qemuDomainObjIsActive(obj)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        if (args)
            json_object_put(args);
        return -1;
    }
    msg = json_object_new_object();
    json_object_object_add(msg, "execute", json_object_new_string(cmd));
    if (args)
        json_object_object_add(msg, "arguments", args);

    qemuDomainObjEnterMonitor(obj);
    deadline = g_get_monotonic_time() + (gint64)AGENT_SYNC_TIMEOUT_MS * 1000;
    if ((fd = agentConnect(path, deadline)) < 0) {
        notConnected();
        goto out;
    }
    /* 0xFF makes a half-read stream restart at the sync reply */
    sync = g_strdup_printf("\xff{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":%" G_GINT64_FORMAT "}}\n", id);
    if (agentWrite(fd, sync, strlen(sync)) < 0) {
        notConnected();
        goto out;
    }
    for (;;) {
        json_object *r = agentReadLine(fd, buf, deadline);
        gboolean synced;
        if (!r) {
            notConnected();
            goto out;
        }
        synced = json_object_object_get_ex(r, "return", &v) &&
                 json_object_is_type(v, json_type_int) && json_object_get_int64(v) == id;
        json_object_put(r);
        if (synced)
            break;
    }
    text = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN);
    if (agentWrite(fd, text, strlen(text)) < 0 || agentWrite(fd, "\n", 1) < 0) {
        notConnected();
        goto out;
    }
    if (noReply) {
        rc = 0;
        goto out;
    }
    deadline = g_get_monotonic_time() + (gint64)(timeoutMs > 0 ? timeoutMs : 60000) * 1000;
    if (!(resp = agentReadLine(fd, buf, deadline))) {
        mvReportError(MV_ERR_AGENT_UNRESPONSIVE, "%s",
                      "Guest agent not available for now");
        goto out;
    }
    if (json_object_object_get_ex(resp, "error", &v)) {
        json_object *d = NULL;
        json_object_object_get_ex(v, "desc", &d);
        mvReportError(MV_ERR_INTERNAL_ERROR, "unable to execute QEMU agent command '%s': %s",
                      cmd, d ? json_object_get_string(d) : "unknown error");
        goto out;
    }
    if (!json_object_object_get_ex(resp, "return", &v)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "unexpected reply from the guest agent");
        goto out;
    }
    if (reply)
        *reply = json_object_get(v);
    rc = 0;
 out:
    if (fd >= 0)
        close(fd);
    qemuDomainObjExitMonitor(obj);
    if (resp)
        json_object_put(resp);
    json_object_put(msg);
    return rc;
}

int
qemuAgentShutdown(qemuDomainObj *obj, gboolean reboot)
{
    json_object *args = json_object_new_object();

    json_object_object_add(args, "mode", json_object_new_string(reboot ? "reboot" : "powerdown"));
    return qemuAgentCommand(obj, "guest-shutdown", args, NULL, 0, TRUE);
}
