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

/* ---- for the admin program (virt-admin) ------------------------------- */

/* Every server of this process, in creation order ("virtqemud", "admin").
 * The pointers are borrowed: valid until mvRpcServerFree.  Free the array. */
GPtrArray *mvRpcServerListAll(void);
/* The server called @name, or NULL (no error set). */
mvRpcServer *mvRpcServerLookup(const char *name);
const char *mvRpcServerGetName(mvRpcServer *srv);

typedef struct mvRpcClientInfo {
    unsigned long long id;
    long long timestamp;      /* connection time, seconds since the epoch */
    int transport;            /* libvirt's virClientTransport: 0 unix, 1 tcp */
    gboolean readonly;
    mvRpcSockClass cls;
    pid_t pid;                /* -1 / (uid_t)-1 / (gid_t)-1 when unknown */
    uid_t uid;
    gid_t gid;
} mvRpcClientInfo;

/* Snapshot of the connected clients, by id; g_free() the result. */
mvRpcClientInfo *mvRpcServerListClients(mvRpcServer *srv, size_t *n);
/* -1 (no error set) when no client has @id. */
int mvRpcServerGetClientInfo(mvRpcServer *srv, unsigned long long id, mvRpcClientInfo *info);
/* Close client @id right away (queued output is dropped); -1 when none. */
int mvRpcServerCloseClient(mvRpcServer *srv, unsigned long long id);

typedef struct mvRpcThreadPoolInfo {
    unsigned int minWorkers;
    unsigned int maxWorkers;
    unsigned int nWorkers;      /* threads attached to the normal pool */
    unsigned int freeWorkers;   /* of those, not running a job */
    unsigned int prioWorkers;
    unsigned int jobQueueDepth; /* jobs waiting for a thread (both pools) */
} mvRpcThreadPoolInfo;
void mvRpcServerGetThreadPoolInfo(mvRpcServer *srv, mvRpcThreadPoolInfo *info);
/* A negative value keeps the current setting.  -1 + MV_ERR_INVALID_ARG
 * worded like libvirt's ("minWorkers cannot be larger than maxWorkers"). */
int mvRpcServerSetThreadPoolParams(mvRpcServer *srv, long long minWorkers,
                                   long long maxWorkers, long long prioWorkers);

/* Any pointer may be NULL.  There is no authentication phase, so the
 * current unauthenticated count is always 0. */
void mvRpcServerGetClientLimits(mvRpcServer *srv, unsigned int *maxClients, unsigned int *nclients,
                                unsigned int *maxUnauth, unsigned int *nunauth);
/* A negative value keeps the current setting; -1 + error as libvirt 9.0. */
int mvRpcServerSetClientLimits(mvRpcServer *srv, long long maxClients, long long maxUnauth);
unsigned int mvRpcServerGetMaxClientRequests(mvRpcServer *srv);
void mvRpcServerSetMaxClientRequests(mvRpcServer *srv, unsigned int n);
