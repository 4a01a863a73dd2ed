/* One RPC packet: length word + header + XDR payload, and any fds riding
 * with it.  Encoding and decoding use the generated codecs. */
#pragma once
#include <glib.h>
#include <rpc/rpc.h>
#include "util/error.h"

#define MV_RPC_LEN_WORD 4
#define MV_RPC_HEADER_LEN 24
#define MV_RPC_INITIAL 65536
/* Largest packet we accept or build (libvirt 9.0's VIR_NET_MESSAGE_MAX plus the length word). */
#define MV_RPC_MAX (32 * 1024 * 1024)
#define MV_RPC_MAX_FDS 32
/* Raw stream payload per packet, as libvirt sends. */
#define MV_RPC_STREAM_CHUNK 262120

typedef enum {
    MV_RPC_CALL = 0,
    MV_RPC_REPLY = 1,
    MV_RPC_MESSAGE = 2,
    MV_RPC_STREAM = 3,
    MV_RPC_CALL_WITH_FDS = 4,
    MV_RPC_REPLY_WITH_FDS = 5,
    MV_RPC_STREAM_HOLE = 6,
} mvRpcMessageType;

typedef enum {
    MV_RPC_OK = 0,
    MV_RPC_ERROR = 1,
    MV_RPC_CONTINUE = 2,
} mvRpcStatus;

typedef struct mvRpcHeader {
    unsigned int prog;
    unsigned int vers;
    int proc;
    int type;
    unsigned int serial;
    int status;
} mvRpcHeader;

typedef struct mvRpcMessage {
    mvRpcHeader header;
    char *buffer;          /* whole packet, length word included */
    size_t bufferLength;   /* bytes valid (tx) or expected (rx) */
    size_t bufferOffset;   /* bytes consumed (tx) or received (rx) */
    size_t payloadOffset;  /* where the XDR payload starts */
    int fds[MV_RPC_MAX_FDS];
    size_t nfds;
    size_t donefds;        /* fds sent or received so far */
    gboolean tracked;      /* counts against the client's in-flight limit */
} mvRpcMessage;

mvRpcMessage *mvRpcMessageNew(void);
void mvRpcMessageFree(mvRpcMessage *msg);   /* closes fds; accepts NULL */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvRpcMessage, mvRpcMessageFree)
void mvRpcMessageClear(mvRpcMessage *msg);

/* rx: after 4 bytes arrived, validate the length word and size the buffer. */
int mvRpcMessageDecodeLength(mvRpcMessage *msg);
/* rx: decode the 24-byte header (and the fd count of *_WITH_FDS). */
int mvRpcMessageDecodeHeader(mvRpcMessage *msg);
/* rx: decode the payload with @filter into @data (zeroed by the caller). */
int mvRpcMessageDecodePayload(mvRpcMessage *msg, xdrproc_t filter, void *data);

/* tx: start a packet with msg->header (and fd count when nfds > 0). */
int mvRpcMessageEncodeHeader(mvRpcMessage *msg);
/* tx: append an XDR payload and fix up the length word. */
int mvRpcMessageEncodePayload(mvRpcMessage *msg, xdrproc_t filter, void *data);
/* tx: append raw bytes (stream data). */
int mvRpcMessageEncodePayloadRaw(mvRpcMessage *msg, const char *data, size_t len);
/* tx: finish an empty payload. */
int mvRpcMessageEncodePayloadEmpty(mvRpcMessage *msg);
/* tx: a remote_error payload from @err (or a generic one if NULL). */
int mvRpcMessageEncodeError(mvRpcMessage *msg, const mvError *err);

/* Build a complete reply/message packet in one go. */
mvRpcMessage *mvRpcMessageNewPacket(unsigned int prog, unsigned int vers, int proc, int type,
                                    unsigned int serial, int status,
                                    xdrproc_t filter, void *data);
