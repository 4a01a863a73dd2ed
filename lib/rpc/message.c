#define MV_FROM_THIS MV_FROM_RPC
#include <string.h>
#include <unistd.h>
#include "rpc/message.h"
#include "virnet_protocol.h"

mvRpcMessage *
mvRpcMessageNew(void)
{
    return g_new0(mvRpcMessage, 1);
}

void
mvRpcMessageClear(mvRpcMessage *msg)
{
    for (size_t i = 0; i < msg->nfds; i++) {
        if (msg->fds[i] >= 0)
            close(msg->fds[i]);
    }
    g_free(msg->buffer);
    memset(msg, 0, sizeof(*msg));
}

void
mvRpcMessageFree(mvRpcMessage *msg)
{
    if (!msg)
        return;
    mvRpcMessageClear(msg);
    g_free(msg);
}

int
mvRpcMessageDecodeLength(mvRpcMessage *msg)
{
    XDR xdr;
    unsigned int len;

    xdrmem_create(&xdr, msg->buffer, MV_RPC_LEN_WORD, XDR_DECODE);
    if (!xdr_u_int(&xdr, &len)) {
        xdr_destroy(&xdr);
        mvReportError(MV_ERR_RPC, "%s", "Unable to decode message length");
        return -1;
    }
    xdr_destroy(&xdr);

    if (len < MV_RPC_LEN_WORD + MV_RPC_HEADER_LEN) {
        mvReportError(MV_ERR_RPC, "packet %u bytes received from server too small, want %u",
                      len, MV_RPC_LEN_WORD + MV_RPC_HEADER_LEN);
        return -1;
    }
    if (len > MV_RPC_MAX) {
        mvReportError(MV_ERR_RPC, "packet %u bytes received from server too large, want %d",
                      len, MV_RPC_MAX);
        return -1;
    }
    msg->buffer = g_realloc(msg->buffer, len);
    msg->bufferLength = len;
    return 0;
}

int
mvRpcMessageDecodeHeader(mvRpcMessage *msg)
{
    XDR xdr;
    virNetMessageHeader hdr = { 0 };
    int ret = -1;

    xdrmem_create(&xdr, msg->buffer + MV_RPC_LEN_WORD,
                  msg->bufferLength - MV_RPC_LEN_WORD, XDR_DECODE);
    if (!xdr_virNetMessageHeader(&xdr, &hdr)) {
        mvReportError(MV_ERR_RPC, "%s", "Unable to decode message header");
        goto cleanup;
    }
    msg->header.prog = hdr.prog;
    msg->header.vers = hdr.vers;
    msg->header.proc = hdr.proc;
    msg->header.type = hdr.type;
    msg->header.serial = hdr.serial;
    msg->header.status = hdr.status;
    msg->payloadOffset = MV_RPC_LEN_WORD + xdr_getpos(&xdr);

    if (msg->header.type == MV_RPC_CALL_WITH_FDS ||
        msg->header.type == MV_RPC_REPLY_WITH_FDS) {
        unsigned int nfds;
        if (!xdr_u_int(&xdr, &nfds)) {
            mvReportError(MV_ERR_RPC, "%s", "Unable to decode number of FDs");
            goto cleanup;
        }
        if (nfds > MV_RPC_MAX_FDS) {
            mvReportError(MV_ERR_RPC, "Received too many FDs %u, expected %d maximum",
                          nfds, MV_RPC_MAX_FDS);
            goto cleanup;
        }
        msg->nfds = nfds;
        for (size_t i = 0; i < nfds; i++)
            msg->fds[i] = -1;
        msg->payloadOffset = MV_RPC_LEN_WORD + xdr_getpos(&xdr);
    }
    ret = 0;
 cleanup:
    xdr_destroy(&xdr);
    return ret;
}

int
mvRpcMessageDecodePayload(mvRpcMessage *msg, xdrproc_t filter, void *data)
{
    XDR xdr;
    int ret = 0;

    xdrmem_create(&xdr, msg->buffer + msg->payloadOffset,
                  msg->bufferLength - msg->payloadOffset, XDR_DECODE);
    if (!filter(&xdr, data, 0)) {
        mvReportError(MV_ERR_RPC, "%s", "Unable to decode message payload");
        xdr_free(filter, data);
        ret = -1;
    }
    xdr_destroy(&xdr);
    return ret;
}

static void
messageSetLength(mvRpcMessage *msg)
{
    XDR xdr;
    unsigned int len = msg->bufferLength;

    xdrmem_create(&xdr, msg->buffer, MV_RPC_LEN_WORD, XDR_ENCODE);
    xdr_u_int(&xdr, &len);
    xdr_destroy(&xdr);
}

int
mvRpcMessageEncodeHeader(mvRpcMessage *msg)
{
    XDR xdr;
    virNetMessageHeader hdr = {
        .prog = msg->header.prog,
        .vers = msg->header.vers,
        .proc = msg->header.proc,
        .type = msg->header.type,
        .serial = msg->header.serial,
        .status = msg->header.status,
    };
    int ret = -1;

    g_free(msg->buffer);
    msg->buffer = g_malloc0(MV_RPC_INITIAL);
    msg->bufferLength = MV_RPC_INITIAL;
    msg->bufferOffset = 0;

    xdrmem_create(&xdr, msg->buffer + MV_RPC_LEN_WORD,
                  msg->bufferLength - MV_RPC_LEN_WORD, XDR_ENCODE);
    if (!xdr_virNetMessageHeader(&xdr, &hdr)) {
        mvReportError(MV_ERR_RPC, "%s", "Unable to encode message header");
        goto cleanup;
    }
    if (msg->nfds) {
        unsigned int nfds = msg->nfds;
        if (!xdr_u_int(&xdr, &nfds)) {
            mvReportError(MV_ERR_RPC, "%s", "Unable to encode number of FDs");
            goto cleanup;
        }
    }
    msg->payloadOffset = MV_RPC_LEN_WORD + xdr_getpos(&xdr);
    msg->bufferLength = msg->payloadOffset;
    messageSetLength(msg);
    ret = 0;
 cleanup:
    xdr_destroy(&xdr);
    return ret;
}

int
mvRpcMessageEncodePayload(mvRpcMessage *msg, xdrproc_t filter, void *data)
{
    size_t cap = MV_RPC_INITIAL;

    /* Grow the buffer until the payload fits, up to the protocol maximum. */
    for (;;) {
        XDR xdr;
        gboolean ok;

        if (cap < msg->payloadOffset + 4)
            cap = msg->payloadOffset + 4;
        msg->buffer = g_realloc(msg->buffer, cap);
        xdrmem_create(&xdr, msg->buffer + msg->payloadOffset,
                      cap - msg->payloadOffset, XDR_ENCODE);
        ok = filter(&xdr, data, 0);
        if (ok) {
            msg->bufferLength = msg->payloadOffset + xdr_getpos(&xdr);
            xdr_destroy(&xdr);
            break;
        }
        xdr_destroy(&xdr);
        if (cap >= MV_RPC_MAX) {
            mvReportError(MV_ERR_RPC, "%s", "Unable to encode message payload");
            return -1;
        }
        cap = MIN((size_t)MV_RPC_MAX, cap * 4);
    }
    msg->bufferOffset = 0;
    messageSetLength(msg);
    return 0;
}

int
mvRpcMessageEncodePayloadRaw(mvRpcMessage *msg, const char *data, size_t len)
{
    if (msg->payloadOffset + len > MV_RPC_MAX) {
        mvReportError(MV_ERR_RPC, "Stream data too long to send (%zu bytes needed, %zu bytes available)",
                      len, (size_t)MV_RPC_MAX - msg->payloadOffset);
        return -1;
    }
    msg->buffer = g_realloc(msg->buffer, msg->payloadOffset + len);
    if (len)
        memcpy(msg->buffer + msg->payloadOffset, data, len);
    msg->bufferLength = msg->payloadOffset + len;
    msg->bufferOffset = 0;
    messageSetLength(msg);
    return 0;
}

int
mvRpcMessageEncodePayloadEmpty(mvRpcMessage *msg)
{
    return mvRpcMessageEncodePayloadRaw(msg, NULL, 0);
}

int
mvRpcMessageEncodeError(mvRpcMessage *msg, const mvError *err)
{
    virNetMessageError rerr = { 0 };
    char *message = NULL, *str1 = NULL, *str2 = NULL, *str3 = NULL;
    const char *fallback = "Library function returned error but did not set virError";

    if (err) {
        rerr.code = err->code;
        rerr.domain = err->domain;
        rerr.level = err->level;
        rerr.int1 = err->int1;
        rerr.int2 = err->int2;
        message = err->message;
        str1 = err->str1;
        str2 = err->str2;
        str3 = err->str3;
    } else {
        rerr.code = MV_ERR_INTERNAL_ERROR;
        rerr.domain = MV_FROM_RPC;
        rerr.level = MV_ERR_LEVEL_ERROR;
        rerr.int1 = rerr.int2 = -1;
        message = (char *)fallback;
    }
    rerr.message = message ? &message : NULL;
    rerr.str1 = str1 ? &str1 : NULL;
    rerr.str2 = str2 ? &str2 : NULL;
    rerr.str3 = str3 ? &str3 : NULL;
    return mvRpcMessageEncodePayload(msg, (xdrproc_t)xdr_virNetMessageError, &rerr);
}

mvRpcMessage *
mvRpcMessageNewPacket(unsigned int prog, unsigned int vers, int proc, int type,
                      unsigned int serial, int status, xdrproc_t filter, void *data)
{
    g_autoptr(mvRpcMessage) msg = mvRpcMessageNew();

    msg->header.prog = prog;
    msg->header.vers = vers;
    msg->header.proc = proc;
    msg->header.type = type;
    msg->header.serial = serial;
    msg->header.status = status;
    if (mvRpcMessageEncodeHeader(msg) < 0)
        return NULL;
    if (filter) {
        if (mvRpcMessageEncodePayload(msg, filter, data) < 0)
            return NULL;
    } else if (mvRpcMessageEncodePayloadEmpty(msg) < 0) {
        return NULL;
    }
    return g_steal_pointer(&msg);
}
