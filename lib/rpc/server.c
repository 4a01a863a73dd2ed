#define MV_FROM_THIS MV_FROM_RPC
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib-unix.h>
#include "rpc/server_priv.h"
#include "util/log.h"


typedef struct mvRpcJob {
    mvRpcClient *client;
    mvRpcMessage *msg;
    const mvProcInfo *proc;
    const mvProgramInfo *prog;
    gboolean prio;           /* queued on the priority pool */
} mvRpcJob;

static void clientUpdateEvents(mvRpcClient *client);
static gpointer clientRefCopy(gconstpointer src, gpointer data);
static void clientDoClose(mvRpcClient *client);

void
mvRpcServerConfigInit(mvRpcServerConfig *cfg)
{
    cfg->maxClients = 5000;
    cfg->maxWorkers = 20;
    cfg->prioWorkers = 5;
    cfg->maxClientRequests = 5;
    cfg->keepaliveInterval = 5;
    cfg->keepaliveCount = 5;
}

/* ---- clients ---------------------------------------------------------- */

mvRpcClient *
mvRpcClientRef(mvRpcClient *client)
{
    g_atomic_int_inc(&client->refs);
    return client;
}

void
mvRpcClientUnref(mvRpcClient *client)
{
    mvRpcMessage *m;
    gpointer fdp;

    if (!client || !g_atomic_int_dec_and_test(&client->refs))
        return;
    if (client->priv && client->srv->hooks.freePriv)
        client->srv->hooks.freePriv(client->priv);
    while ((m = g_queue_pop_head(&client->tx)))
        mvRpcMessageFree(m);
    while ((fdp = g_queue_pop_head(&client->rxfds)))
        close(GPOINTER_TO_INT(fdp) - 1);
    mvRpcMessageFree(client->rx);
    if (client->fd >= 0)
        close(client->fd);
    g_mutex_clear(&client->lock);
    g_free(client);
}

static gpointer
clientRefCopy(gconstpointer src, gpointer data)
{
    return mvRpcClientRef((mvRpcClient *)src);
}

void *mvRpcClientGetPriv(mvRpcClient *client) { return client->priv; }
gboolean mvRpcClientIsReadonly(mvRpcClient *client) { return client->readonly; }
void mvRpcClientSetReadonly(mvRpcClient *client, gboolean ro) { client->readonly = client->readonly || ro; }
mvRpcSockClass mvRpcClientGetClass(mvRpcClient *client) { return client->cls; }
unsigned long long mvRpcClientGetId(mvRpcClient *client) { return client->id; }

int
mvRpcClientGetPeer(mvRpcClient *client, pid_t *pid, uid_t *uid, gid_t *gid)
{
    if (pid)
        *pid = client->pid;
    if (uid)
        *uid = client->uid;
    if (gid)
        *gid = client->gid;
    return 0;
}

void
mvRpcClientEnableKeepalive(mvRpcClient *client)
{
    g_mutex_lock(&client->lock);
    client->keepalive = TRUE;
    client->lastRx = g_get_monotonic_time();
    g_mutex_unlock(&client->lock);
}

/* Write as much of the queue as the socket takes.  Called with the lock held.
 * Returns -1 on a dead socket. */
/* libvirt's fd framing: the packet goes first, then each fd rides alone on
 * a 1-byte message of its own. */
static ssize_t
sendOneFD(int sock, int fd)
{
    struct msghdr mh = { 0 };
    struct iovec iov;
    char byte = 0;
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr *cm;

    memset(cbuf, 0, sizeof(cbuf));
    iov.iov_base = &byte;
    iov.iov_len = 1;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    return sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Write as much of the queue as the socket takes.  Called with the lock held.
 * Returns -1 on a dead socket. */
static int
clientFlushLocked(mvRpcClient *client)
{
    mvRpcMessage *msg;

    while ((msg = g_queue_peek_head(&client->tx))) {
        ssize_t n;

        if (msg->bufferOffset < msg->bufferLength) {
            n = send(client->fd, msg->buffer + msg->bufferOffset,
                     msg->bufferLength - msg->bufferOffset, MSG_NOSIGNAL | MSG_DONTWAIT);
        } else if (msg->donefds < msg->nfds) {
            n = sendOneFD(client->fd, msg->fds[msg->donefds]);
            if (n == 1) {
                msg->donefds++;
                continue;
            }
        } else {
            g_queue_pop_head(&client->tx);
            mvRpcMessageFree(msg);
            continue;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (msg->bufferOffset < msg->bufferLength)
            msg->bufferOffset += n;
        if (msg->bufferOffset < msg->bufferLength)
            return 0;
    }
    return 0;
}

static gboolean
clientFlushIdle(gpointer opaque)
{
    mvRpcClient *client = opaque;

    g_mutex_lock(&client->lock);
    client->flushPending = FALSE;
    g_mutex_unlock(&client->lock);
    if (!client->closed)
        clientUpdateEvents(client);
    return G_SOURCE_REMOVE;
}

int
mvRpcClientSend(mvRpcClient *client, mvRpcMessage *msg)
{
    gboolean schedule = FALSE;

    g_mutex_lock(&client->lock);
    if (client->closed || client->fd < 0) {
        g_mutex_unlock(&client->lock);
        mvRpcMessageFree(msg);
        return -1;
    }
    g_queue_push_tail(&client->tx, msg);
    if (g_queue_get_length(&client->tx) == 1 && clientFlushLocked(client) < 0)
        client->wantClose = TRUE;
    if ((!g_queue_is_empty(&client->tx) || client->wantClose) && !client->flushPending) {
        client->flushPending = TRUE;
        schedule = TRUE;
    }
    g_mutex_unlock(&client->lock);

    if (schedule)
        g_main_context_invoke_full(client->srv->ctx, G_PRIORITY_DEFAULT, clientFlushIdle,
                                   mvRpcClientRef(client),
                                   (GDestroyNotify)mvRpcClientUnref);
    return 0;
}

int
mvRpcClientSendEvent(mvRpcClient *client, unsigned int prog, unsigned int vers,
                     int proc, xdrproc_t filter, void *data)
{
    mvRpcMessage *msg = mvRpcMessageNewPacket(prog, vers, proc, MV_RPC_MESSAGE, 0,
                                              MV_RPC_OK, filter, data);
    if (!msg)
        return -1;
    return mvRpcClientSend(client, msg);
}

void
mvRpcClientClose(mvRpcClient *client)
{
    g_mutex_lock(&client->lock);
    client->wantClose = TRUE;
    if (!client->flushPending) {
        client->flushPending = TRUE;
        g_mutex_unlock(&client->lock);
        g_main_context_invoke_full(client->srv->ctx, G_PRIORITY_DEFAULT, clientFlushIdle,
                                   mvRpcClientRef(client),
                                   (GDestroyNotify)mvRpcClientUnref);
        return;
    }
    g_mutex_unlock(&client->lock);
}

static void
clientSendError(mvRpcClient *client, const mvRpcHeader *hdr, const mvError *err)
{
    g_autoptr(mvRpcMessage) msg = mvRpcMessageNew();

    msg->header = *hdr;
    msg->header.type = MV_RPC_REPLY;
    msg->header.status = MV_RPC_ERROR;
    if (mvRpcMessageEncodeHeader(msg) < 0 || mvRpcMessageEncodeError(msg, err) < 0)
        return;
    mvRpcClientSend(client, g_steal_pointer(&msg));
}

/* ---- dispatch (worker threads) ---------------------------------------- */

static int
fromForApi(const char *api)
{
    if (!api)
        return MV_FROM_RPC;
    if (g_str_has_prefix(api, "virDomain"))
        return MV_FROM_DOMAIN;
    if (g_str_has_prefix(api, "virNetwork"))
        return MV_FROM_NETWORK;
    if (g_str_has_prefix(api, "virStorage"))
        return MV_FROM_STORAGE;
    if (g_str_has_prefix(api, "virSecret"))
        return MV_FROM_SECRET;
    if (g_str_has_prefix(api, "virNodeDevice"))
        return MV_FROM_NODEDEV;
    if (g_str_has_prefix(api, "virStream"))
        return MV_FROM_STREAMS;
    return MV_FROM_NONE;
}

static void
jobRun(gpointer data, gpointer user_data)
{
    mvRpcJob *job = data;
    mvRpcClient *client = job->client;
    const mvProcInfo *proc = job->proc;
    mvRpcHeader hdr = job->msg->header;
    g_autofree void *args = NULL;
    g_autofree void *ret = NULL;
    mvRpcCall call = { 0 };
    g_autoptr(mvRpcMessage) reply = NULL;
    gboolean argsDecoded = FALSE;
    int rv = -1;

    (void)user_data;
    mvErrorReset();
    if (!job->prio)
        g_atomic_int_inc(&client->srv->busyWorkers);

    if (!proc || !proc->dispatch) {
        if (proc)
            mvErrorReport(fromForApi(proc->api), MV_ERR_NO_SUPPORT, "%s", proc->api);
        else
            mvReportError(MV_ERR_RPC, "unknown procedure: %d", hdr.proc);
        goto error;
    }
    if ((proc->flags & MV_PROC_WRITE) && client->readonly) {
        mvErrorReport(fromForApi(proc->api), MV_ERR_OPERATION_DENIED,
                      "read only access prevents %s", proc->api);
        goto error;
    }

    args = g_malloc0(MAX(proc->args_size, 1));
    ret = g_malloc0(MAX(proc->ret_size, 1));
    if (mvRpcMessageDecodePayload(job->msg, proc->args_filter, args) < 0)
        goto error;
    argsDecoded = TRUE;

    call.server = client->srv;
    call.client = client;
    call.header = &hdr;
    call.msg = job->msg;
    call.proc = proc;
    rv = proc->dispatch(&call, args, ret);
    if (rv < 0)
        goto error;

    reply = mvRpcMessageNew();
    reply->header = hdr;
    reply->header.type = call.noutfds ? MV_RPC_REPLY_WITH_FDS : MV_RPC_REPLY;
    reply->header.status = MV_RPC_OK;
    for (size_t i = 0; i < call.noutfds && i < MV_RPC_MAX_FDS; i++)
        reply->fds[reply->nfds++] = call.outfds[i];
    g_free(call.outfds);
    call.outfds = NULL;
    if (mvRpcMessageEncodeHeader(reply) < 0 ||
        mvRpcMessageEncodePayload(reply, proc->ret_filter, ret) < 0) {
        xdr_free(proc->ret_filter, ret);
        goto error;
    }
    xdr_free(proc->ret_filter, ret);
    xdr_free(proc->args_filter, args);
    mvRpcClientSend(client, g_steal_pointer(&reply));
    if (call.stream) {
        mvRpcStreamStart(call.stream);   /* takes the call's reference */
        call.stream = NULL;
    }
    goto done;

 error:
    {
        g_autoptr(mvError) err = mvErrorSteal();
        if (!err) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                          "Library function returned error but did not set virError");
            err = mvErrorSteal();
        }
        MV_DEBUG("client=%llu proc=%s serial=%u failed: %s", client->id,
                 proc ? proc->name : "?", hdr.serial, err->message);
        if (argsDecoded)
            xdr_free(proc->args_filter, args);
        for (size_t i = 0; i < call.noutfds; i++)
            close(call.outfds[i]);
        g_free(call.outfds);
        if (call.stream) {
            mvRpcStreamAbort(call.stream, NULL);
            mvRpcStreamUnref(call.stream);
        }
        hdr.type = MV_RPC_REPLY;
        clientSendError(client, &hdr, err);
    }

 done:
    g_mutex_lock(&client->lock);
    client->nrequests--;
    g_mutex_unlock(&client->lock);
    /* reading may have paused at the in-flight limit */
    g_main_context_invoke_full(client->srv->ctx, G_PRIORITY_DEFAULT, clientFlushIdle,
                               mvRpcClientRef(client), (GDestroyNotify)mvRpcClientUnref);
    if (!job->prio)
        g_atomic_int_add(&client->srv->busyWorkers, -1);
    mvRpcMessageFree(job->msg);
    mvRpcClientUnref(client);
    g_free(job);
}

/* ---- main-loop side --------------------------------------------------- */

static const mvProgramInfo *
serverFindProgram(mvRpcServer *srv, unsigned int prog, unsigned int vers)
{
    for (guint i = 0; i < srv->programs->len; i++) {
        const mvProgramInfo *p = g_ptr_array_index(srv->programs, i);
        if (p->program == prog && p->version == vers)
            return p;
    }
    return NULL;
}

static void
clientHandleKeepalive(mvRpcClient *client, mvRpcMessage *msg)
{
    if (msg->header.proc == MV_KEEPALIVE_PING && msg->header.type == MV_RPC_MESSAGE) {
        mvRpcMessage *pong = mvRpcMessageNewPacket(MV_KEEPALIVE_PROGRAM, MV_KEEPALIVE_VERSION,
                                                   MV_KEEPALIVE_PONG, MV_RPC_MESSAGE, 0,
                                                   MV_RPC_OK, NULL, NULL);
        if (pong)
            mvRpcClientSend(client, pong);
    }
    /* A PONG needs nothing more: any packet already reset the miss counter. */
}

/* A complete packet arrived; takes ownership of @msg. */
static void
clientHandleMessage(mvRpcClient *client, mvRpcMessage *msg)
{
    mvRpcServer *srv = client->srv;
    const mvProgramInfo *prog;
    mvRpcJob *job;
    GError *gerr = NULL;

    if (msg->header.prog == MV_KEEPALIVE_PROGRAM) {
        clientHandleKeepalive(client, msg);
        mvRpcMessageFree(msg);
        return;
    }

    if (msg->header.type == MV_RPC_STREAM) {
        mvRpcStreamHandlePacket(client, msg);
        return;
    }
    if (msg->header.type != MV_RPC_CALL && msg->header.type != MV_RPC_CALL_WITH_FDS) {
        /* Stream packets for streams we do not have, stray replies: dropped,
         * like libvirt does for unexpected stream data. */
        MV_DEBUG("client=%llu dropping packet type=%d proc=%d", client->id,
                 msg->header.type, msg->header.proc);
        mvRpcMessageFree(msg);
        return;
    }

    if (msg->header.status != MV_RPC_OK) {
        mvReportError(MV_ERR_RPC, "Unexpected message status %d", msg->header.status);
        goto error;
    }

    prog = serverFindProgram(srv, msg->header.prog, msg->header.vers);
    if (!prog) {
        mvReportError(MV_ERR_RPC, "Cannot find program %d version %d",
                      msg->header.prog, msg->header.vers);
        goto error;
    }

    job = g_new0(mvRpcJob, 1);
    job->client = mvRpcClientRef(client);
    job->msg = msg;
    job->prog = prog;
    job->proc = mvProgramLookupProc(prog, msg->header.proc);

    g_mutex_lock(&client->lock);
    client->nrequests++;
    msg->tracked = TRUE;
    g_mutex_unlock(&client->lock);

    if (job->proc && (job->proc->flags & MV_PROC_PRIORITY) &&
        g_atomic_pointer_get(&srv->prioWorkers) &&
        g_atomic_int_get((gint *)&srv->cfg.prioWorkers) > 0) {
        job->prio = TRUE;
        g_thread_pool_push(srv->prioWorkers, job, &gerr);
    } else
        g_thread_pool_push(srv->workers, job, &gerr);
    if (gerr) {
        MV_WARN("cannot queue job: %s", gerr->message);
        g_error_free(gerr);
    }
    return;

 error:
    {
        g_autoptr(mvError) err = mvErrorSteal();
        mvRpcHeader hdr = msg->header;
        clientSendError(client, &hdr, err);
        mvRpcMessageFree(msg);
    }
}

/* Collect the fds announced by a complete CALL_WITH_FDS packet: each follows
 * on a 1-byte message.  1 when all arrived, 0 to wait, -1 on a dead socket. */
static int
clientReadFds(mvRpcClient *client, mvRpcMessage *rx)
{
    while (rx->donefds < rx->nfds) {
        char byte;
        struct msghdr fmh = { 0 };
        struct iovec fiov = { &byte, 1 };
        char fcbuf[CMSG_SPACE(sizeof(int) * MV_RPC_MAX_FDS)];
        gpointer p = g_queue_pop_head(&client->rxfds);
        ssize_t fn;

        if (p) {
            rx->fds[rx->donefds++] = GPOINTER_TO_INT(p) - 1;
            continue;
        }
        fmh.msg_iov = &fiov;
        fmh.msg_iovlen = 1;
        fmh.msg_control = fcbuf;
        fmh.msg_controllen = sizeof(fcbuf);
        fn = recvmsg(client->fd, &fmh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (fn < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return 0;
        if (fn <= 0)
            return -1;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&fmh); cm; cm = CMSG_NXTHDR(&fmh, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                size_t nf = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *fds = (int *)CMSG_DATA(cm);
                for (size_t i = 0; i < nf; i++) {
                    if (rx->donefds < rx->nfds)
                        rx->fds[rx->donefds++] = fds[i];
                    else
                        close(fds[i]);
                }
            }
        }
    }
    return 1;
}

/* Read what the socket has; returns -1 when the client must go. */
static int
clientRead(mvRpcClient *client)
{
    for (int rounds = 0; rounds < 64; rounds++) {
        mvRpcMessage *rx;
        struct msghdr mh = { 0 };
        struct iovec iov;
        char cbuf[CMSG_SPACE(sizeof(int) * MV_RPC_MAX_FDS)];
        ssize_t n;
        size_t want;

        g_mutex_lock(&client->lock);
        if (client->nrequests >= client->srv->cfg.maxClientRequests) {
            g_mutex_unlock(&client->lock);
            return 0;
        }
        g_mutex_unlock(&client->lock);

        if (client->rx && client->rx->payloadOffset &&
            client->rx->bufferOffset == client->rx->bufferLength) {
            /* a complete packet still waiting for its fds */
            int r = clientReadFds(client, client->rx);
            if (r <= 0)
                return r;
            rx = client->rx;
            client->rx = NULL;
            clientHandleMessage(client, rx);
            continue;
        }
        if (!client->rx) {
            client->rx = mvRpcMessageNew();
            client->rx->buffer = g_malloc(MV_RPC_LEN_WORD);
            client->rx->bufferLength = MV_RPC_LEN_WORD;
        }
        rx = client->rx;
        want = rx->bufferLength - rx->bufferOffset;
        iov.iov_base = rx->buffer + rx->bufferOffset;
        iov.iov_len = want;
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = cbuf;
        mh.msg_controllen = sizeof(cbuf);

        n = recvmsg(client->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            return -1;

        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
                size_t nfds = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                int *fds = (int *)CMSG_DATA(cm);
                for (size_t i = 0; i < nfds; i++) {
                    if (g_queue_get_length(&client->rxfds) >= MV_RPC_MAX_FDS)
                        close(fds[i]);
                    else
                        g_queue_push_tail(&client->rxfds, GINT_TO_POINTER(fds[i] + 1));
                }
            }
        }

        g_mutex_lock(&client->lock);
        client->lastRx = g_get_monotonic_time();
        client->kaMissed = 0;
        g_mutex_unlock(&client->lock);

        rx->bufferOffset += n;
        if (rx->bufferOffset < rx->bufferLength)
            continue;

        if (rx->bufferLength == MV_RPC_LEN_WORD) {
            if (mvRpcMessageDecodeLength(rx) < 0) {
                g_autoptr(mvError) err = mvErrorSteal();
                MV_WARN("client=%llu: %s", client->id, err ? err->message : "bad length");
                return -1;
            }
            continue;
        }

        if (!rx->payloadOffset) {
            if (mvRpcMessageDecodeHeader(rx) < 0) {
                g_autoptr(mvError) err = mvErrorSteal();
                MV_WARN("client=%llu: %s", client->id, err ? err->message : "bad header");
                client->rx = NULL;
                mvRpcMessageFree(rx);
                return -1;
            }
            if (rx->nfds > 0 && rx->header.type != MV_RPC_CALL_WITH_FDS) {
                client->rx = NULL;
                mvRpcMessageFree(rx);
                return -1;
            }
        }
        if (rx->donefds < rx->nfds) {
            int r = clientReadFds(client, rx);
            if (r <= 0)
                return r;
        }
        client->rx = NULL;
        clientHandleMessage(client, rx);
    }
    return 0;
}

static void
clientUpdateEvents(mvRpcClient *client)
{
    GIOCondition cond = G_IO_IN;
    mvRpcClientSource *cs;
    gboolean close_now = FALSE;

    if (client->closed)
        return;
    cs = (mvRpcClientSource *)client->source;
    g_mutex_lock(&client->lock);
    if (client->fd >= 0 && !g_queue_is_empty(&client->tx) && clientFlushLocked(client) < 0)
        client->wantClose = TRUE;
    if (!g_queue_is_empty(&client->tx))
        cond |= G_IO_OUT;
    if (client->nrequests >= client->srv->cfg.maxClientRequests || client->wantClose)
        cond &= ~G_IO_IN;
    if (client->wantClose && g_queue_is_empty(&client->tx))
        close_now = TRUE;
    g_mutex_unlock(&client->lock);
    if (close_now) {
        clientDoClose(client);
        return;
    }
    g_source_modify_unix_fd(client->source, cs->tag, cond);
    if (client->streams)
        mvRpcStreamResumeAll(client);
}

static gboolean
clientSourceDispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    mvRpcClientSource *cs = (mvRpcClientSource *)source;
    mvRpcClient *client = cs->client;
    GIOCondition rev = g_source_query_unix_fd(source, cs->tag);

    mvRpcClientRef(client);
    if (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        if (clientRead(client) < 0) {
            clientDoClose(client);
            mvRpcClientUnref(client);
            return G_SOURCE_CONTINUE;
        }
    }
    if (!client->closed)
        clientUpdateEvents(client);
    mvRpcClientUnref(client);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs clientSourceFuncs = {
    .dispatch = clientSourceDispatch,
};

static void
clientDoClose(mvRpcClient *client)
{
    mvRpcServer *srv = client->srv;
    gboolean found;

    if (client->closed)
        return;
    client->closed = TRUE;
    MV_DEBUG("client=%llu closed", client->id);
    if (client->source) {
        g_source_destroy(client->source);
        g_source_unref(client->source);
        client->source = NULL;
    }
    g_mutex_lock(&client->lock);
    if (client->fd >= 0) {
        shutdown(client->fd, SHUT_RDWR);
        close(client->fd);
        client->fd = -1;
    }
    g_mutex_unlock(&client->lock);

    mvRpcStreamCloseAll(client);
    if (srv->hooks.closed)
        srv->hooks.closed(client, client->priv);

    g_mutex_lock(&srv->lock);
    found = g_list_find(srv->clients, client) != NULL;
    srv->clients = g_list_remove(srv->clients, client);
    if (found)
        srv->nclients--;
    g_mutex_unlock(&srv->lock);
    if (found)
        mvRpcClientUnref(client);
}

static gboolean
listenerAccept(gint fd, GIOCondition cond, gpointer opaque)
{
    mvRpcListener *l = opaque;
    mvRpcServer *srv = l->srv;

    for (;;) {
        int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        mvRpcClient *client;
        mvRpcClientSource *cs;
        struct ucred cred;
        socklen_t credlen = sizeof(cred);

        if (cfd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                MV_WARN("accept failed: %s", g_strerror(errno));
            break;
        }
        g_mutex_lock(&srv->lock);
        if (srv->nclients >= srv->cfg.maxClients) {
            g_mutex_unlock(&srv->lock);
            MV_WARN("Too many active clients (%u), dropping connection", srv->cfg.maxClients);
            close(cfd);
            continue;
        }
        g_mutex_unlock(&srv->lock);

        client = g_new0(mvRpcClient, 1);
        client->refs = 1;
        client->srv = srv;
        client->fd = cfd;
        client->cls = l->cls;
        client->readonly = (l->cls == MV_RPC_SOCK_RO);
        client->pid = -1;
        client->uid = (uid_t)-1;
        client->gid = (gid_t)-1;
        g_mutex_init(&client->lock);
        g_queue_init(&client->tx);
        g_queue_init(&client->rxfds);
        client->lastRx = g_get_monotonic_time();
        client->connTime = g_get_real_time() / G_USEC_PER_SEC;
        {
            struct sockaddr_storage ss;
            socklen_t sslen = sizeof(ss);
            client->transport = (getsockname(cfd, (struct sockaddr *)&ss, &sslen) == 0 &&
                                 ss.ss_family != AF_UNIX) ? 1 : 0;
        }
        if (getsockopt(cfd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == 0) {
            client->pid = cred.pid;
            client->uid = cred.uid;
            client->gid = cred.gid;
        }

        g_mutex_lock(&srv->lock);
        client->id = ++srv->nextClientId;
        srv->clients = g_list_prepend(srv->clients, client);
        srv->nclients++;
        g_mutex_unlock(&srv->lock);

        if (srv->hooks.newPriv)
            client->priv = srv->hooks.newPriv(client);

        client->source = g_source_new(&clientSourceFuncs, sizeof(mvRpcClientSource));
        cs = (mvRpcClientSource *)client->source;
        cs->client = client;
        cs->tag = g_source_add_unix_fd(client->source, cfd, G_IO_IN);
        g_source_attach(client->source, srv->ctx);
        MV_DEBUG("client=%llu accepted pid=%d uid=%d class=%d", client->id,
                 (int)client->pid, (int)client->uid, l->cls);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean
keepaliveTick(gpointer opaque)
{
    mvRpcServer *srv = opaque;
    gint64 now = g_get_monotonic_time();
    GList *snapshot;

    if (srv->cfg.keepaliveInterval <= 0)
        return G_SOURCE_CONTINUE;

    g_mutex_lock(&srv->lock);
    snapshot = g_list_copy_deep(srv->clients, clientRefCopy, NULL);
    g_mutex_unlock(&srv->lock);

    for (GList *l = snapshot; l; l = l->next) {
        mvRpcClient *c = l->data;
        gboolean ping = FALSE, dead = FALSE;
        gint64 interval = (gint64)srv->cfg.keepaliveInterval * G_USEC_PER_SEC;

        g_mutex_lock(&c->lock);
        if (c->keepalive && !c->closed &&
            now - c->lastRx >= interval * (gint64)(c->kaMissed + 1)) {
            if (c->kaMissed >= srv->cfg.keepaliveCount)
                dead = TRUE;
            else {
                c->kaMissed++;
                ping = TRUE;
            }
        }
        g_mutex_unlock(&c->lock);
        if (dead) {
            MV_WARN("No response from client %llu after %u keepalive messages in %d seconds",
                    c->id, srv->cfg.keepaliveCount,
                    srv->cfg.keepaliveInterval * (int)srv->cfg.keepaliveCount);
            clientDoClose(c);
        } else if (ping) {
            mvRpcMessage *m = mvRpcMessageNewPacket(MV_KEEPALIVE_PROGRAM, MV_KEEPALIVE_VERSION,
                                                    MV_KEEPALIVE_PING, MV_RPC_MESSAGE, 0,
                                                    MV_RPC_OK, NULL, NULL);
            if (m)
                mvRpcClientSend(c, m);
        }
    }
    g_list_free_full(snapshot, (GDestroyNotify)mvRpcClientUnref);
    return G_SOURCE_CONTINUE;
}

/* ---- server ----------------------------------------------------------- */

/* Every server of the process, in creation order, for the admin program
 * (virt-admin names servers: "virtqemud", "admin"). */
static GMutex serverRegistryLock;
static GPtrArray *serverRegistry;

static void
serverRegistryAdd(mvRpcServer *srv)
{
    g_mutex_lock(&serverRegistryLock);
    if (!serverRegistry)
        serverRegistry = g_ptr_array_new();
    g_ptr_array_add(serverRegistry, srv);
    g_mutex_unlock(&serverRegistryLock);
}

static void
serverRegistryRemove(mvRpcServer *srv)
{
    g_mutex_lock(&serverRegistryLock);
    if (serverRegistry)
        g_ptr_array_remove(serverRegistry, srv);
    g_mutex_unlock(&serverRegistryLock);
}

mvRpcServer *
mvRpcServerNew(const char *name, const mvRpcServerConfig *cfg, const mvRpcClientHooks *hooks)
{
    mvRpcServer *srv = g_new0(mvRpcServer, 1);

    srv->name = g_strdup(name);
    if (cfg)
        srv->cfg = *cfg;
    else
        mvRpcServerConfigInit(&srv->cfg);
    if (srv->cfg.maxWorkers == 0)
        srv->cfg.maxWorkers = 1;
    if (srv->cfg.maxClientRequests == 0)
        srv->cfg.maxClientRequests = 1;
    if (hooks)
        srv->hooks = *hooks;
    srv->minWorkers = MIN(5, srv->cfg.maxWorkers);          /* libvirt's min_workers */
    /* libvirt's max_anonymous_clients (20); its admin server takes none */
    srv->maxUnauthClients = g_strcmp0(name, "admin") == 0 ? 0 : MIN(20, srv->cfg.maxClients);
    g_mutex_init(&srv->lock);
    srv->programs = g_ptr_array_new();
    srv->listeners = g_ptr_array_new();
    serverRegistryAdd(srv);
    return srv;
}

void
mvRpcServerAddProgram(mvRpcServer *srv, const mvProgramInfo *prog)
{
    g_ptr_array_add(srv->programs, (gpointer)prog);
}

int
mvRpcServerAddListener(mvRpcServer *srv, int fd, mvRpcSockClass cls)
{
    mvRpcListener *l = g_new0(mvRpcListener, 1);
    int flags = fcntl(fd, F_GETFL);

    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        mvReportSystemError(errno, "%s", "Unable to set socket flags");
        g_free(l);
        return -1;
    }
    l->srv = srv;
    l->fd = fd;
    l->cls = cls;
    g_ptr_array_add(srv->listeners, l);
    return 0;
}

int
mvRpcServerStart(mvRpcServer *srv)
{
    GError *gerr = NULL;

    srv->ctx = g_main_context_ref_thread_default();
    srv->workers = g_thread_pool_new(jobRun, srv, srv->cfg.maxWorkers, FALSE, &gerr);
    if (!srv->workers)
        goto error;
    if (srv->cfg.prioWorkers > 0) {
        srv->prioWorkers = g_thread_pool_new(jobRun, srv, srv->cfg.prioWorkers, FALSE, &gerr);
        if (!srv->prioWorkers)
            goto error;
    }
    for (guint i = 0; i < srv->listeners->len; i++) {
        mvRpcListener *l = g_ptr_array_index(srv->listeners, i);
        l->source = g_unix_fd_source_new(l->fd, G_IO_IN);
        g_source_set_callback(l->source, (GSourceFunc)(void (*)(void))listenerAccept, l, NULL);
        g_source_attach(l->source, srv->ctx);
    }
    srv->keepaliveTimer = g_timeout_source_new_seconds(1);
    g_source_set_callback(srv->keepaliveTimer, keepaliveTick, srv, NULL);
    g_source_attach(srv->keepaliveTimer, srv->ctx);
    srv->started = TRUE;
    return 0;

 error:
    mvReportError(MV_ERR_INTERNAL_ERROR, "cannot create worker pool: %s",
                  gerr ? gerr->message : "?");
    g_clear_error(&gerr);
    return -1;
}

unsigned int
mvRpcServerClientCount(mvRpcServer *srv)
{
    unsigned int n;
    g_mutex_lock(&srv->lock);
    n = srv->nclients;
    g_mutex_unlock(&srv->lock);
    return n;
}

void
mvRpcServerUpdateConfig(mvRpcServer *srv, const mvRpcServerConfig *cfg)
{
    g_mutex_lock(&srv->lock);
    srv->cfg.maxClients = cfg->maxClients;
    srv->cfg.maxClientRequests = MAX(cfg->maxClientRequests, 1);
    srv->cfg.keepaliveInterval = cfg->keepaliveInterval;
    srv->cfg.keepaliveCount = cfg->keepaliveCount;
    g_mutex_unlock(&srv->lock);
    if (srv->workers && cfg->maxWorkers > 0)
        g_thread_pool_set_max_threads(srv->workers, cfg->maxWorkers, NULL);
}

void
mvRpcServerForEachClient(mvRpcServer *srv, void (*cb)(mvRpcClient *c, void *opaque), void *opaque)
{
    GList *snapshot;

    g_mutex_lock(&srv->lock);
    snapshot = g_list_copy_deep(srv->clients, clientRefCopy, NULL);
    g_mutex_unlock(&srv->lock);
    for (GList *l = snapshot; l; l = l->next)
        cb(l->data, opaque);
    g_list_free_full(snapshot, (GDestroyNotify)mvRpcClientUnref);
}

void
mvRpcServerShutdown(mvRpcServer *srv)
{
    GList *snapshot;

    for (guint i = 0; i < srv->listeners->len; i++) {
        mvRpcListener *l = g_ptr_array_index(srv->listeners, i);
        if (l->source) {
            g_source_destroy(l->source);
            g_source_unref(l->source);
            l->source = NULL;
        }
    }
    if (srv->keepaliveTimer) {
        g_source_destroy(srv->keepaliveTimer);
        g_source_unref(srv->keepaliveTimer);
        srv->keepaliveTimer = NULL;
    }
    /* Let running handlers finish before their clients disappear.  The pools
     * are detached under the lock: the admin accessors read them under it. */
    {
        GThreadPool *workers, *prio;

        g_mutex_lock(&srv->lock);
        workers = g_steal_pointer(&srv->workers);
        prio = g_steal_pointer(&srv->prioWorkers);
        g_mutex_unlock(&srv->lock);
        if (workers)
            g_thread_pool_free(workers, FALSE, TRUE);
        if (prio)
            g_thread_pool_free(prio, FALSE, TRUE);
    }
    g_mutex_lock(&srv->lock);
    snapshot = g_list_copy_deep(srv->clients, clientRefCopy, NULL);
    g_mutex_unlock(&srv->lock);
    for (GList *l = snapshot; l; l = l->next)
        clientDoClose(l->data);
    g_list_free_full(snapshot, (GDestroyNotify)mvRpcClientUnref);
}

void
mvRpcServerFree(mvRpcServer *srv)
{
    if (!srv)
        return;
    serverRegistryRemove(srv);
    mvRpcServerShutdown(srv);
    for (guint i = 0; i < srv->listeners->len; i++) {
        mvRpcListener *l = g_ptr_array_index(srv->listeners, i);
        close(l->fd);
        g_free(l);
    }
    g_ptr_array_free(srv->listeners, TRUE);
    g_ptr_array_free(srv->programs, TRUE);
    if (srv->ctx)
        g_main_context_unref(srv->ctx);
    g_mutex_clear(&srv->lock);
    g_free(srv->name);
    g_free(srv);
}

/* ---- for the admin program (virt-admin) ------------------------------- */

GPtrArray *
mvRpcServerListAll(void)
{
    GPtrArray *ret = g_ptr_array_new();

    g_mutex_lock(&serverRegistryLock);
    for (guint i = 0; serverRegistry && i < serverRegistry->len; i++)
        g_ptr_array_add(ret, g_ptr_array_index(serverRegistry, i));
    g_mutex_unlock(&serverRegistryLock);
    return ret;
}

mvRpcServer *
mvRpcServerLookup(const char *name)
{
    mvRpcServer *found = NULL;

    g_mutex_lock(&serverRegistryLock);
    for (guint i = 0; name && serverRegistry && i < serverRegistry->len; i++) {
        mvRpcServer *s = g_ptr_array_index(serverRegistry, i);
        if (g_strcmp0(s->name, name) == 0) {
            found = s;
            break;
        }
    }
    g_mutex_unlock(&serverRegistryLock);
    return found;
}

const char *
mvRpcServerGetName(mvRpcServer *srv)
{
    return srv->name;
}

static void
clientFillInfo(mvRpcClient *c, mvRpcClientInfo *info)
{
    g_mutex_lock(&c->lock);
    info->id = c->id;
    info->timestamp = c->connTime;
    info->transport = c->transport;
    info->readonly = c->readonly;
    info->cls = c->cls;
    info->pid = c->pid;
    info->uid = c->uid;
    info->gid = c->gid;
    g_mutex_unlock(&c->lock);
}

static gint
clientInfoCmp(gconstpointer a, gconstpointer b)
{
    const mvRpcClientInfo *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

mvRpcClientInfo *
mvRpcServerListClients(mvRpcServer *srv, size_t *n)
{
    GArray *arr = g_array_new(FALSE, TRUE, sizeof(mvRpcClientInfo));

    g_mutex_lock(&srv->lock);
    for (GList *l = srv->clients; l; l = l->next) {
        mvRpcClient *c = l->data;
        mvRpcClientInfo info;
        if (c->closed)
            continue;
        clientFillInfo(c, &info);
        g_array_append_val(arr, info);
    }
    g_mutex_unlock(&srv->lock);
    g_array_sort(arr, clientInfoCmp);
    *n = arr->len;
    return (mvRpcClientInfo *)g_array_free(arr, FALSE);
}

static mvRpcClient *
serverFindClient(mvRpcServer *srv, unsigned long long id)
{
    mvRpcClient *found = NULL;

    g_mutex_lock(&srv->lock);
    for (GList *l = srv->clients; l; l = l->next) {
        mvRpcClient *c = l->data;
        if (c->id == id && !c->closed) {
            found = mvRpcClientRef(c);
            break;
        }
    }
    g_mutex_unlock(&srv->lock);
    return found;
}

int
mvRpcServerGetClientInfo(mvRpcServer *srv, unsigned long long id, mvRpcClientInfo *info)
{
    mvRpcClient *c = serverFindClient(srv, id);

    if (!c)
        return -1;
    clientFillInfo(c, info);
    mvRpcClientUnref(c);
    return 0;
}

static gboolean
clientCloseNowIdle(gpointer opaque)
{
    clientDoClose(opaque);
    return G_SOURCE_REMOVE;
}

int
mvRpcServerCloseClient(mvRpcServer *srv, unsigned long long id)
{
    mvRpcClient *c = serverFindClient(srv, id);

    if (!c)
        return -1;
    /* Like libvirt's virNetServerClientClose: now, dropping queued output. */
    g_main_context_invoke_full(srv->ctx, G_PRIORITY_DEFAULT, clientCloseNowIdle,
                               c, (GDestroyNotify)mvRpcClientUnref);
    return 0;
}

void
mvRpcServerGetThreadPoolInfo(mvRpcServer *srv, mvRpcThreadPoolInfo *info)
{
    unsigned int busy = MAX(g_atomic_int_get(&srv->busyWorkers), 0);

    memset(info, 0, sizeof(*info));
    g_mutex_lock(&srv->lock);
    info->minWorkers = srv->minWorkers;
    info->maxWorkers = srv->cfg.maxWorkers;
    info->prioWorkers = srv->prioWorkers ? srv->cfg.prioWorkers : 0;
    if (srv->workers) {
        /* Threads attached to the pool: running a job, or idle for at most
         * half a second before GLib hands them back to its shared pool. */
        info->nWorkers = g_thread_pool_get_num_threads(srv->workers);
        info->jobQueueDepth = g_thread_pool_unprocessed(srv->workers);
    }
    if (srv->prioWorkers)
        info->jobQueueDepth += g_thread_pool_unprocessed(srv->prioWorkers);
    g_mutex_unlock(&srv->lock);
    info->nWorkers = MAX(info->nWorkers, busy);
    info->freeWorkers = info->nWorkers - busy;
}

int
mvRpcServerSetThreadPoolParams(mvRpcServer *srv, long long minWorkers,
                               long long maxWorkers, long long prioWorkers)
{
    unsigned long long min, max;
    int ret = -1;

    g_mutex_lock(&srv->lock);
    max = maxWorkers >= 0 ? (unsigned long long)maxWorkers : srv->cfg.maxWorkers;
    min = minWorkers >= 0 ? (unsigned long long)minWorkers : srv->minWorkers;
    if (min > max) {
        mvErrorReport(MV_FROM_NONE, MV_ERR_INVALID_ARG, "%s",
                      "minWorkers cannot be larger than maxWorkers");
        goto out;
    }
    if ((maxWorkers == 0 && srv->cfg.maxWorkers > 0) ||
        (maxWorkers > 0 && srv->cfg.maxWorkers == 0)) {
        mvErrorReport(MV_FROM_NONE, MV_ERR_INVALID_ARG, "%s",
                      "maxWorkers must not be switched from zero to non-zero and vice versa");
        goto out;
    }
    /* GThreadPool counts threads in a gint */
    maxWorkers = MIN(maxWorkers, G_MAXINT);
    prioWorkers = MIN(prioWorkers, G_MAXINT);
    if (prioWorkers > 0 && !srv->prioWorkers && srv->workers) {
        GError *gerr = NULL;
        GThreadPool *p = g_thread_pool_new(jobRun, srv, (gint)prioWorkers, FALSE, &gerr);
        if (!p) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "cannot create worker pool: %s",
                          gerr ? gerr->message : "?");
            g_clear_error(&gerr);
            goto out;
        }
        g_atomic_pointer_set(&srv->prioWorkers, p);
    }
    if (minWorkers >= 0)
        srv->minWorkers = (unsigned int)minWorkers;
    if (maxWorkers >= 0) {
        srv->cfg.maxWorkers = (unsigned int)maxWorkers;
        if (srv->workers)
            g_thread_pool_set_max_threads(srv->workers, (gint)maxWorkers, NULL);
    }
    if (prioWorkers >= 0) {
        /* 0: priority jobs go to the normal pool; the priority pool keeps one
         * thread so anything already queued there still runs. */
        g_atomic_int_set((gint *)&srv->cfg.prioWorkers, (gint)prioWorkers);
        if (srv->prioWorkers)
            g_thread_pool_set_max_threads(srv->prioWorkers, MAX((gint)prioWorkers, 1), NULL);
    }
    ret = 0;
 out:
    g_mutex_unlock(&srv->lock);
    return ret;
}

void
mvRpcServerGetClientLimits(mvRpcServer *srv, unsigned int *maxClients, unsigned int *nclients,
                           unsigned int *maxUnauth, unsigned int *nunauth)
{
    g_mutex_lock(&srv->lock);
    if (maxClients)
        *maxClients = srv->cfg.maxClients;
    if (nclients)
        *nclients = srv->nclients;
    if (maxUnauth)
        *maxUnauth = srv->maxUnauthClients;
    if (nunauth)
        *nunauth = 0;   /* clients are authenticated by their socket's permissions */
    g_mutex_unlock(&srv->lock);
}

int
mvRpcServerSetClientLimits(mvRpcServer *srv, long long maxClients, long long maxUnauth)
{
    unsigned long long max, unauth;
    int ret = -1;

    g_mutex_lock(&srv->lock);
    max = maxClients >= 0 ? (unsigned long long)maxClients : srv->cfg.maxClients;
    unauth = maxUnauth >= 0 ? (unsigned long long)maxUnauth : srv->maxUnauthClients;
    if (max < unauth) {
        /* libvirt 9.0's wording (sic) */
        mvErrorReport(MV_FROM_RPC, MV_ERR_INVALID_ARG, "%s",
                      "The overall maximum number of clients waiting for authentication "
                      "must not be less than the overall maximum number of clients");
        goto out;
    }
    if (maxClients >= 0)
        srv->cfg.maxClients = (unsigned int)MIN(max, G_MAXUINT);
    if (maxUnauth >= 0)
        srv->maxUnauthClients = (unsigned int)MIN(unauth, G_MAXUINT);
    ret = 0;
 out:
    g_mutex_unlock(&srv->lock);
    return ret;
}

unsigned int
mvRpcServerGetMaxClientRequests(mvRpcServer *srv)
{
    unsigned int n;
    g_mutex_lock(&srv->lock);
    n = srv->cfg.maxClientRequests;
    g_mutex_unlock(&srv->lock);
    return n;
}

void
mvRpcServerSetMaxClientRequests(mvRpcServer *srv, unsigned int n)
{
    g_mutex_lock(&srv->lock);
    srv->cfg.maxClientRequests = MAX(n, 1);
    g_mutex_unlock(&srv->lock);
}
