#define MV_FROM_THIS MV_FROM_STREAMS
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "rpc/server_priv.h"
#include "util/log.h"

/* Bytes the client may have in flight towards a slow fd before we give up. */
#define STREAM_WBUF_MAX (4 * 1024 * 1024)
/* Packets queued to the client before reading the fd pauses. */
#define STREAM_TX_HIGH 16

typedef struct mvRpcStreamSource {
    GSource base;
    mvRpcStream *st;
    gpointer tag;
} mvRpcStreamSource;

struct mvRpcStream {
    gint refs;
    mvRpcClient *client;
    int proc;
    unsigned int serial;
    unsigned int prog;
    unsigned int vers;
    int fd;
    gboolean readable;
    gboolean writable;
    GSource *source;
    GByteArray *wbuf;
    gboolean started;
    gint closed;
    gboolean eofSent;
    gboolean clientFinished;
    mvRpcStreamCloseFunc onClose;
    void *opaque;
};

mvRpcStream *
mvRpcStreamRef(mvRpcStream *st)
{
    g_atomic_int_inc(&st->refs);
    return st;
}

void
mvRpcStreamUnref(mvRpcStream *st)
{
    if (!st || !g_atomic_int_dec_and_test(&st->refs))
        return;
    if (st->fd >= 0)
        close(st->fd);
    g_byte_array_unref(st->wbuf);
    mvRpcClientUnref(st->client);
    g_free(st);
}

static int
streamSend(mvRpcStream *st, int status, const char *data, size_t len, const mvError *err)
{
    g_autoptr(mvRpcMessage) msg = mvRpcMessageNew();

    msg->header.prog = st->prog;
    msg->header.vers = st->vers;
    msg->header.proc = st->proc;
    msg->header.type = MV_RPC_STREAM;
    msg->header.serial = st->serial;
    msg->header.status = status;
    if (mvRpcMessageEncodeHeader(msg) < 0)
        return -1;
    if (status == MV_RPC_ERROR) {
        if (mvRpcMessageEncodeError(msg, err) < 0)
            return -1;
    } else if (mvRpcMessageEncodePayloadRaw(msg, data, len) < 0) {
        return -1;
    }
    return mvRpcClientSend(st->client, g_steal_pointer(&msg));
}

/* Main loop thread. */
gboolean
mvRpcStreamIsClosed(mvRpcStream *st)
{
    return g_atomic_int_get(&st->closed) != 0;
}

static void
streamClose(mvRpcStream *st)
{
    mvRpcClient *client = st->client;

    if (st->closed)
        return;
    g_atomic_int_set(&st->closed, 1);
    if (st->source) {
        g_source_destroy(st->source);
        g_source_unref(st->source);
        st->source = NULL;
    }
    if (st->fd >= 0) {
        close(st->fd);
        st->fd = -1;
    }
    if (g_list_find(client->streams, st)) {
        client->streams = g_list_remove(client->streams, st);
        mvRpcStreamUnref(st);
    }
    if (st->onClose)
        st->onClose(st, st->opaque);
}

static void
streamUpdate(mvRpcStream *st)
{
    GIOCondition cond = 0;
    mvRpcStreamSource *ss;
    guint queued;

    if (st->closed || !st->source)
        return;
    ss = (mvRpcStreamSource *)st->source;
    g_mutex_lock(&st->client->lock);
    queued = g_queue_get_length(&st->client->tx);
    g_mutex_unlock(&st->client->lock);
    if (st->readable && !st->eofSent && !st->clientFinished && queued < STREAM_TX_HIGH)
        cond |= G_IO_IN;
    if (st->wbuf->len > 0)
        cond |= G_IO_OUT;
    g_source_modify_unix_fd(st->source, ss->tag, cond);
}

static gboolean
streamDispatch(GSource *source, GSourceFunc cb, gpointer data)
{
    mvRpcStreamSource *ss = (mvRpcStreamSource *)source;
    mvRpcStream *st = ss->st;
    GIOCondition rev = g_source_query_unix_fd(source, ss->tag);

    mvRpcStreamRef(st);
    if ((rev & G_IO_OUT) && st->wbuf->len > 0) {
        ssize_t n = write(st->fd, st->wbuf->data, st->wbuf->len);
        if (n > 0)
            g_byte_array_remove_range(st->wbuf, 0, n);
        else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            mvReportSystemError(errno, "%s", "cannot write to stream");
            g_autoptr(mvError) err = mvErrorSteal();
            streamSend(st, MV_RPC_ERROR, NULL, 0, err);
            streamClose(st);
            goto out;
        }
    }
    if (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
        g_autofree char *buf = g_malloc(MV_RPC_STREAM_CHUNK);
        ssize_t n = read(st->fd, buf, MV_RPC_STREAM_CHUNK);

        if (n > 0) {
            streamSend(st, MV_RPC_CONTINUE, buf, n, NULL);
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            /* EOF (a pty whose other end went away reads EIO): tell the client */
            if (st->readable && !st->eofSent) {
                streamSend(st, MV_RPC_CONTINUE, NULL, 0, NULL);
                st->eofSent = TRUE;
            }
            if (!st->readable) {
                streamClose(st);
                goto out;
            }
        }
    }
    streamUpdate(st);
 out:
    mvRpcStreamUnref(st);
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs streamSourceFuncs = {
    .dispatch = streamDispatch,
};

static gboolean
streamStartIdle(gpointer opaque)
{
    mvRpcStream *st = opaque;
    mvRpcClient *client = st->client;
    mvRpcStreamSource *ss;

    if (st->closed || client->closed) {
        st->closed = FALSE;     /* let streamClose run its notification once */
        streamClose(st);
        return G_SOURCE_REMOVE;
    }
    st->started = TRUE;
    client->streams = g_list_prepend(client->streams, mvRpcStreamRef(st));
    st->source = g_source_new(&streamSourceFuncs, sizeof(mvRpcStreamSource));
    ss = (mvRpcStreamSource *)st->source;
    ss->st = st;
    ss->tag = g_source_add_unix_fd(st->source, st->fd, 0);
    g_source_attach(st->source, client->srv->ctx);
    streamUpdate(st);
    return G_SOURCE_REMOVE;
}

mvRpcStream *
mvRpcStreamAttachFD(struct mvRpcCall *call, int fd, gboolean readable, gboolean writable,
                    mvRpcStreamCloseFunc onClose, void *opaque)
{
    mvRpcStream *st = g_new0(mvRpcStream, 1);
    int fl = fcntl(fd, F_GETFL);

    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    st->refs = 1;
    st->client = mvRpcClientRef(call->client);
    st->proc = call->header->proc;
    st->serial = call->header->serial;
    st->prog = call->header->prog;
    st->vers = call->header->vers;
    st->fd = fd;
    st->readable = readable;
    st->writable = writable;
    st->wbuf = g_byte_array_new();
    st->onClose = onClose;
    st->opaque = opaque;
    /* started by the server right after the reply is queued */
    call->stream = mvRpcStreamRef(st);
    return st;
}

/* Called by the server after queuing the reply of the call that made @st. */
void mvRpcStreamStart(mvRpcStream *st);
void
mvRpcStreamStart(mvRpcStream *st)
{
    g_main_context_invoke_full(st->client->srv->ctx, G_PRIORITY_DEFAULT, streamStartIdle,
                               st, (GDestroyNotify)mvRpcStreamUnref);
}

typedef struct {
    mvRpcStream *st;
    mvError *err;
} abortCtx;

static gboolean
streamAbortIdle(gpointer opaque)
{
    abortCtx *ctx = opaque;
    if (!ctx->st->closed) {
        streamSend(ctx->st, MV_RPC_ERROR, NULL, 0, ctx->err);
        streamClose(ctx->st);
    }
    return G_SOURCE_REMOVE;
}

static void
abortCtxFree(gpointer opaque)
{
    abortCtx *ctx = opaque;
    mvErrorFree(ctx->err);
    mvRpcStreamUnref(ctx->st);
    g_free(ctx);
}

void
mvRpcStreamAbort(mvRpcStream *st, const mvError *err)
{
    abortCtx *ctx = g_new0(abortCtx, 1);

    ctx->st = mvRpcStreamRef(st);
    ctx->err = err ? mvErrorCopy(err) : NULL;
    g_main_context_invoke_full(st->client->srv->ctx, G_PRIORITY_DEFAULT, streamAbortIdle,
                               ctx, abortCtxFree);
}

void
mvRpcStreamHandlePacket(mvRpcClient *client, mvRpcMessage *msg)
{
    mvRpcStream *st = NULL;

    for (GList *l = client->streams; l; l = l->next) {
        mvRpcStream *s = l->data;
        if (s->proc == msg->header.proc && s->serial == msg->header.serial &&
            s->prog == msg->header.prog) {
            st = s;
            break;
        }
    }
    if (!st || st->closed) {
        MV_DEBUG("client=%llu: stream packet for unknown stream proc=%d serial=%u",
                 client->id, msg->header.proc, msg->header.serial);
        mvRpcMessageFree(msg);
        return;
    }
    mvRpcStreamRef(st);
    switch (msg->header.status) {
    case MV_RPC_CONTINUE: {
        size_t len = msg->bufferLength - msg->payloadOffset;
        if (!st->writable || st->wbuf->len + len > STREAM_WBUF_MAX) {
            if (st->writable)
                mvReportSystemError(ENOSPC, "%s", "cannot write to stream");
            else
                mvReportError(MV_ERR_RPC, "%s", "stream does not accept data");
            g_autoptr(mvError) err = mvErrorSteal();
            streamSend(st, MV_RPC_ERROR, NULL, 0, err);
            streamClose(st);
            break;
        }
        g_byte_array_append(st->wbuf, (guint8 *)msg->buffer + msg->payloadOffset, len);
        streamUpdate(st);
        break;
    }
    case MV_RPC_OK:
        /* the client finished (upload done, or acknowledging our EOF) */
        st->clientFinished = TRUE;
        if (st->wbuf->len > 0 && st->fd >= 0) {
            int fl = fcntl(st->fd, F_GETFL);
            fcntl(st->fd, F_SETFL, fl & ~O_NONBLOCK);
            while (st->wbuf->len > 0) {
                ssize_t n = write(st->fd, st->wbuf->data, st->wbuf->len);
                if (n <= 0)
                    break;
                g_byte_array_remove_range(st->wbuf, 0, n);
            }
        }
        if (st->fd >= 0 && st->writable)
            fsync(st->fd);
        streamSend(st, MV_RPC_OK, NULL, 0, NULL);
        streamClose(st);
        break;
    default:
        /* abort from the client: it waits for our answer, an error packet */
        mvReportError(MV_ERR_RPC, "%s", "stream aborted at client request");
        {
            g_autoptr(mvError) err = mvErrorSteal();
            streamSend(st, MV_RPC_ERROR, NULL, 0, err);
        }
        streamClose(st);
        break;
    }
    mvRpcStreamUnref(st);
    mvRpcMessageFree(msg);
}

void
mvRpcStreamCloseAll(mvRpcClient *client)
{
    while (client->streams) {
        mvRpcStream *st = client->streams->data;
        mvRpcStreamRef(st);
        streamClose(st);
        mvRpcStreamUnref(st);
    }
}

void
mvRpcStreamResumeAll(mvRpcClient *client)
{
    for (GList *l = client->streams; l; l = l->next)
        streamUpdate(l->data);
}
