/* The RPC server: listening sockets, clients, a GLib main loop that does all
 * socket I/O and keepalive, and worker pools (normal + priority) that run
 * procedure handlers.  Generic over programs: the dispatch table comes from
 * the generated mvProgramInfo. */
#pragma once
#include <glib.h>
#include <sys/types.h>
#include "rpc/message.h"
#include "proctable.h"

typedef struct mvRpcServer mvRpcServer;
typedef struct mvRpcClient mvRpcClient;

typedef enum {
    MV_RPC_SOCK_RW,
    MV_RPC_SOCK_RO,
    MV_RPC_SOCK_ADMIN,
    MV_RPC_SOCK_LAST
} mvRpcSockClass;

typedef struct mvRpcServerConfig {
    unsigned int maxClients;         /* 5000 */
    unsigned int maxWorkers;         /* 20 */
    unsigned int prioWorkers;        /* 5 */
    unsigned int maxClientRequests;  /* 5 */
    int keepaliveInterval;           /* 5 s; <= 0 disables server pings */
    unsigned int keepaliveCount;     /* 5 */
} mvRpcServerConfig;

void mvRpcServerConfigInit(mvRpcServerConfig *cfg);

/* What a daemon's dispatch layer keeps per client (the connection). */
typedef struct mvRpcClientHooks {
    void *(*newPriv)(mvRpcClient *client);
    void (*freePriv)(void *priv);
    /* Called in the main thread when the client goes away, before freePriv. */
    void (*closed)(mvRpcClient *client, void *priv);
} mvRpcClientHooks;

/* Everything a procedure handler sees. */
typedef struct mvRpcCall {
    mvRpcServer *server;
    mvRpcClient *client;
    const mvRpcHeader *header;
    mvRpcMessage *msg;          /* the call; its fds may be taken (set to -1) */
    const mvProcInfo *proc;
    int *outfds;                /* fds to pass back with the reply (REPLY_WITH_FDS) */
    size_t noutfds;
    struct mvRpcStream *stream; /* set by mvRpcStreamAttachFD: starts after the reply */
} mvRpcCall;

mvRpcServer *mvRpcServerNew(const char *name, const mvRpcServerConfig *cfg,
                            const mvRpcClientHooks *hooks);
void mvRpcServerFree(mvRpcServer *srv);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvRpcServer, mvRpcServerFree)

void mvRpcServerAddProgram(mvRpcServer *srv, const mvProgramInfo *prog);
/* Takes ownership of a listening socket (bound here or inherited). */
int mvRpcServerAddListener(mvRpcServer *srv, int fd, mvRpcSockClass cls);
/* Start accepting and serving on the thread-default main context. */
int mvRpcServerStart(mvRpcServer *srv);
/* Stop accepting, close all clients, wait for workers. */
void mvRpcServerShutdown(mvRpcServer *srv);
/* Number of connected clients (for idle timeout). */
unsigned int mvRpcServerClientCount(mvRpcServer *srv);
void mvRpcServerUpdateConfig(mvRpcServer *srv, const mvRpcServerConfig *cfg);
/* Call @cb for each client (under the server lock; do not block). */
void mvRpcServerForEachClient(mvRpcServer *srv, void (*cb)(mvRpcClient *c, void *opaque), void *opaque);

mvRpcClient *mvRpcClientRef(mvRpcClient *client);
void mvRpcClientUnref(mvRpcClient *client);
void *mvRpcClientGetPriv(mvRpcClient *client);
gboolean mvRpcClientIsReadonly(mvRpcClient *client);
/* Once read-only, always read-only (CONNECT_OPEN with VIR_CONNECT_RO). */
void mvRpcClientSetReadonly(mvRpcClient *client, gboolean ro);
mvRpcSockClass mvRpcClientGetClass(mvRpcClient *client);
int mvRpcClientGetPeer(mvRpcClient *client, pid_t *pid, uid_t *uid, gid_t *gid);
unsigned long long mvRpcClientGetId(mvRpcClient *client);
/* Mark the client as one that answers keepalive pings (it asked for the feature). */
void mvRpcClientEnableKeepalive(mvRpcClient *client);
/* Queue a packet to the client (thread safe; takes ownership). */
int mvRpcClientSend(mvRpcClient *client, mvRpcMessage *msg);
/* Send an async MESSAGE (event) built from @filter/@data. */
int mvRpcClientSendEvent(mvRpcClient *client, unsigned int prog, unsigned int vers,
                         int proc, xdrproc_t filter, void *data);
/* Ask the main loop to close the client after its queue drains. */
void mvRpcClientClose(mvRpcClient *client);
