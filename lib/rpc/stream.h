/* Data streams riding on an RPC call (console, volume upload/download):
 * after the call's REPLY, STREAM packets with the call's procedure and serial
 * carry raw bytes both ways (status CONTINUE), an empty CONTINUE from the
 * daemon means EOF, status OK finishes and status ERROR aborts. */
#pragma once
#include <glib.h>
#include "util/error.h"

struct mvRpcCall;
typedef struct mvRpcStream mvRpcStream;

typedef void (*mvRpcStreamCloseFunc)(mvRpcStream *st, void *opaque);

/* Relay between @call's stream and @fd (ownership taken; made non-blocking).
 * Bytes read from @fd go to the client when @readable; bytes the client
 * sends are written to @fd when @writable.  The relay starts once the call's
 * reply is on its way.  @onClose (may be NULL) runs once, in the main loop
 * thread, when the stream ends for any reason.  Returns a reference the
 * caller must drop with mvRpcStreamUnref. */
mvRpcStream *mvRpcStreamAttachFD(struct mvRpcCall *call, int fd, gboolean readable,
                                 gboolean writable, mvRpcStreamCloseFunc onClose, void *opaque);
/* End the stream from the daemon side with STREAM/ERROR carrying @err (or a
 * generic error); thread safe. */
void mvRpcStreamAbort(mvRpcStream *st, const mvError *err);
/* TRUE once the stream ended (either side). */
gboolean mvRpcStreamIsClosed(mvRpcStream *st);
mvRpcStream *mvRpcStreamRef(mvRpcStream *st);
void mvRpcStreamUnref(mvRpcStream *st);
