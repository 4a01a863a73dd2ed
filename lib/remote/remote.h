/* The REMOTE program's shared half: connection state, the handshake and
 * connect/node procedures every daemon answers, and event delivery.  Each
 * daemon implements its own object procedures (mvRemoteDispatch<Proc> symbols
 * the generated table picks up) and describes itself with mvRemoteDriver. */
#pragma once
#include <glib.h>
#include "rpc/server.h"
#include "remote_protocol.h"

typedef struct mvRemoteDriver {
    const char *type;                  /* virConnectGetType: "QEMU" */
    const char *scheme;                /* URI scheme: "qemu" */
    /* Hypervisor version (major*1000000 + minor*1000 + micro); 0 if none. */
    unsigned long long (*getVersion)(void);
    char *(*getCapabilities)(void);    /* NULL + error */
    int (*getMaxVcpus)(const char *type);  /* -1 + error */
} mvRemoteDriver;

typedef struct mvEventCallback {
    int callbackID;
    int eventID;
    gboolean legacy;                    /* registered with the old API (no callbackID on the wire) */
    gboolean hasFilter;
    unsigned char uuid[16];
} mvEventCallback;

typedef struct mvConnect {
    GMutex lock;
    mvRpcClient *client;
    gboolean opened;
    char *uri;
    unsigned int flags;
    gboolean closeCallback;
    GArray *domainCallbacks;            /* mvEventCallback */
    int nextCallbackID;
} mvConnect;

void mvRemoteInit(const mvRemoteDriver *driver, mvRpcServer *server);
const mvRemoteDriver *mvRemoteGetDriver(void);
extern const mvRpcClientHooks mvRemoteClientHooks;

/* The connection of @call, or NULL + "connection not open" error. */
mvConnect *mvRemoteConnect(struct mvRpcCall *call);

/* Deliver a domain lifecycle event to every connection that asked for it. */
void mvRemoteEmitDomainLifecycle(const char *name, const unsigned char *uuid, int id,
                                 int event, int detail);
void mvRemoteEmitDomainMetadataChange(const char *name, const unsigned char *uuid, int id,
                                      int type, const char *nsuri);
/* Generic: deliver an event of @eventID for a domain, using @proc/@filter with
 * a body whose first member is the int callbackID (filled per callback). */
void mvRemoteEmitDomainEvent(int eventID, const unsigned char *uuid, int proc,
                             xdrproc_t filter, void *body, int *callbackIDField);

/* Fill a remote_nonnull_domain (strings are copied). */
void mvRemoteMakeDomain(remote_nonnull_domain *dst, const char *name,
                        const unsigned char *uuid, int id);
