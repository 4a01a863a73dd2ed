/* Per-procedure metadata, generated from the procedure enums of our .x files
 * by protocol/gen_proctable.py: one table per RPC program. */
#pragma once
#include <stddef.h>
#include <rpc/rpc.h>

struct mvRpcCall;   /* lib/rpc/dispatch.h */

/* libtirpc declares xdr_void(void); cast through void(*)(void) so that
 * -Wcast-function-type stays quiet.  Table entries without a body use it. */
#define MV_XDR_VOID ((xdrproc_t)(void (*)(void))xdr_void)

/* A handler gets the decoded args and fills the zeroed ret; it returns 0, or
 * -1 with the thread's error set (lib/util/error.h). */
typedef int (*mvProcDispatchFunc)(struct mvRpcCall *call, void *args, void *ret);

typedef enum {
    MV_PROC_WRITE      = 1 << 0,  /* refused on a read-only connection */
    MV_PROC_PRIORITY   = 1 << 1,  /* runs on the priority worker pool */
    MV_PROC_STREAM     = 1 << 2,  /* opens a stream (REPLY then STREAM packets) */
    MV_PROC_NO_AUTH    = 1 << 3,  /* allowed before the connection is opened (handshake) */
    MV_PROC_EVENT      = 1 << 4,  /* an asynchronous MESSAGE sent by the daemon, never called */
    MV_PROC_AUTH_STEP  = 1 << 5,  /* an authentication step (AUTH_LIST, AUTH_SASL_*, AUTH_POLKIT):
                                     allowed before the client has authenticated; every other
                                     procedure, CONNECT_OPEN included, needs authentication
                                     first when the socket requires it */
} mvProcFlags;

typedef struct mvProcInfo {
    int proc;                  /* procedure number; 0 = hole in the table */
    const char *name;          /* "CONNECT_OPEN" */
    const char *api;           /* public API name, "virConnectOpen" */
    xdrproc_t args_filter;     /* MV_XDR_VOID when there are no args; events: the _msg body */
    size_t args_size;
    xdrproc_t ret_filter;
    size_t ret_size;
    unsigned int flags;        /* mvProcFlags */
    mvProcDispatchFunc dispatch; /* NULL: no handler linked, answer "unsupported" */
} mvProcInfo;

typedef struct mvProgramInfo {
    unsigned int program;      /* 0x20008086 for REMOTE */
    unsigned int version;
    const mvProcInfo *procs;   /* indexed by procedure number */
    int nprocs;                /* highest procedure number + 1 */
} mvProgramInfo;

/* NULL when @proc is out of range or a hole. */
const mvProcInfo *mvProgramLookupProc(const mvProgramInfo *prog, int proc);
