/* Internals shared by the server and its streams; not for other modules. */
#pragma once
#include "rpc/server.h"
#include "rpc/stream.h"

#define MV_KEEPALIVE_PROGRAM 0x6b656570
#define MV_KEEPALIVE_VERSION 1
#define MV_KEEPALIVE_PING 1
#define MV_KEEPALIVE_PONG 2

typedef struct mvRpcListener {
    mvRpcServer *srv;
    int fd;
    mvRpcSockClass cls;
    GSource *source;
} mvRpcListener;

struct mvRpcServer {
    char *name;
    mvRpcServerConfig cfg;
    mvRpcClientHooks hooks;
    GMutex lock;
    GPtrArray *programs;     /* const mvProgramInfo * */
    GPtrArray *listeners;    /* mvRpcListener * */
    GList *clients;          /* mvRpcClient *, one ref each */
    unsigned int nclients;
    GThreadPool *workers;
    GThreadPool *prioWorkers;
    GMainContext *ctx;
    GSource *keepaliveTimer;
    unsigned long long nextClientId;
    gboolean started;
    /* admin program (virt-admin) figures */
    unsigned int minWorkers;       /* reported and validated; GThreadPool keeps no floor */
    unsigned int maxUnauthClients; /* libvirt's nclients_unauth_max (we have no auth phase) */
    gint busyWorkers;              /* jobs running on the normal pool (atomic) */
};

typedef struct mvRpcClientSource {
    GSource base;
    mvRpcClient *client;
    gpointer tag;
} mvRpcClientSource;

struct mvRpcClient {
    gint refs;
    mvRpcServer *srv;
    unsigned long long id;
    int fd;
    mvRpcSockClass cls;
    gboolean readonly;
    GSource *source;
    GMutex lock;
    mvRpcMessage *rx;
    GQueue tx;               /* mvRpcMessage * */
    GQueue rxfds;            /* fds received ahead of their message */
    unsigned int nrequests;
    gboolean wantClose;
    gboolean closed;
    gboolean keepalive;
    unsigned int kaMissed;
    gint64 lastRx;
    gboolean flushPending;
    pid_t pid;
    uid_t uid;
    gid_t gid;
    gint64 connTime;         /* seconds since the epoch, for the admin program */
    int transport;           /* libvirt's virClientTransport: 0 unix, 1 tcp */
    void *priv;
    GList *streams;          /* mvRpcStream *, main-loop thread only */
};


/* Route an incoming STREAM packet (main loop thread); takes @msg. */
void mvRpcStreamHandlePacket(mvRpcClient *client, mvRpcMessage *msg);
/* Begin relaying (after the reply was queued); takes a reference. */
void mvRpcStreamStart(mvRpcStream *st);
/* Re-arm stream reads once the client's queue drained (main loop thread). */
void mvRpcStreamResumeAll(mvRpcClient *client);
/* Tear down every stream of a closing client (main loop thread). */
void mvRpcStreamCloseAll(mvRpcClient *client);
