#define MV_FROM_THIS MV_FROM_REMOTE
#include <string.h>
#include "remote/remote.h"
#include "util/error.h"
#include "util/log.h"

mvRpcServer *mvRemoteGetServer(void);

/* libvirt's VIR_DOMAIN_EVENT_ID_LAST for 9.0: ids 0..26 are valid. */
#define MV_DOMAIN_EVENT_ID_LAST 27

int
mvRemoteDispatchConnectDomainEventCallbackRegisterAny(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_domain_event_callback_register_any_args *args = a;
    remote_connect_domain_event_callback_register_any_ret *ret = r;
    mvConnect *conn = mvRemoteConnect(call);
    mvEventCallback cb = { 0 };

    if (!conn)
        return -1;
    if (args->eventID < 0 || args->eventID >= MV_DOMAIN_EVENT_ID_LAST) {
        mvReportError(MV_ERR_INVALID_ARG, "unsupported event ID %d", args->eventID);
        return -1;
    }
    g_mutex_lock(&conn->lock);
    cb.callbackID = conn->nextCallbackID++;
    cb.eventID = args->eventID;
    if (args->dom) {
        cb.hasFilter = TRUE;
        memcpy(cb.uuid, args->dom->uuid, 16);
    }
    g_array_append_val(conn->domainCallbacks, cb);
    g_mutex_unlock(&conn->lock);
    ret->callbackID = cb.callbackID;
    return 0;
}

int
mvRemoteDispatchConnectDomainEventCallbackDeregisterAny(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_domain_event_callback_deregister_any_args *args = a;
    mvConnect *conn = mvRemoteConnect(call);
    gboolean found = FALSE;

    if (!conn)
        return -1;
    g_mutex_lock(&conn->lock);
    for (guint i = 0; i < conn->domainCallbacks->len; i++) {
        mvEventCallback *cb = &g_array_index(conn->domainCallbacks, mvEventCallback, i);
        if (cb->callbackID == args->callbackID && !cb->legacy) {
            g_array_remove_index(conn->domainCallbacks, i);
            found = TRUE;
            break;
        }
    }
    g_mutex_unlock(&conn->lock);
    if (!found) {
        mvReportError(MV_ERR_INVALID_ARG, "callback ID %d not registered", args->callbackID);
        return -1;
    }
    return 0;
}

typedef struct {
    int eventID;
    const unsigned char *uuid;
    int proc;
    xdrproc_t filter;
    void *body;
    int *callbackIDField;
} emitCtx;

static void
emitToClient(mvRpcClient *client, void *opaque)
{
    emitCtx *ctx = opaque;
    mvConnect *conn = mvRpcClientGetPriv(client);
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int));

    if (!conn)
        return;
    g_mutex_lock(&conn->lock);
    if (conn->opened) {
        for (guint i = 0; i < conn->domainCallbacks->len; i++) {
            mvEventCallback *cb = &g_array_index(conn->domainCallbacks, mvEventCallback, i);
            if (cb->eventID != ctx->eventID || cb->legacy)
                continue;
            if (cb->hasFilter && memcmp(cb->uuid, ctx->uuid, 16) != 0)
                continue;
            g_array_append_val(ids, cb->callbackID);
        }
    }
    g_mutex_unlock(&conn->lock);

    for (guint i = 0; i < ids->len; i++) {
        *ctx->callbackIDField = g_array_index(ids, int, i);
        if (mvRpcClientSendEvent(client, REMOTE_PROGRAM, REMOTE_PROTOCOL_VERSION, ctx->proc,
                                 ctx->filter, ctx->body) < 0) {
            g_autoptr(mvError) err = mvErrorSteal();
            MV_WARN("cannot send event to client %llu: %s", mvRpcClientGetId(client),
                    err ? err->message : "closed");
        }
    }
}

/* Events go out from one thread at a time so each client sees them in order. */
static GMutex emitLock;

void
mvRemoteEmitDomainEvent(int eventID, const unsigned char *uuid, int proc,
                        xdrproc_t filter, void *body, int *callbackIDField)
{
    emitCtx ctx = { eventID, uuid, proc, filter, body, callbackIDField };
    mvRpcServer *srv = mvRemoteGetServer();

    if (!srv)
        return;
    g_mutex_lock(&emitLock);
    mvRpcServerForEachClient(srv, emitToClient, &ctx);
    g_mutex_unlock(&emitLock);
}

void
mvRemoteEmitDomainLifecycle(const char *name, const unsigned char *uuid, int id,
                            int event, int detail)
{
    remote_domain_event_callback_lifecycle_msg msg = { 0 };

    mvRemoteMakeDomain(&msg.msg.dom, name, uuid, id);
    msg.msg.event = event;
    msg.msg.detail = detail;
    mvRemoteEmitDomainEvent(0 /* VIR_DOMAIN_EVENT_ID_LIFECYCLE */, uuid,
                            REMOTE_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                            (xdrproc_t)xdr_remote_domain_event_callback_lifecycle_msg,
                            &msg, &msg.callbackID);
    g_free(msg.msg.dom.name);
}

void
mvRemoteEmitDomainMetadataChange(const char *name, const unsigned char *uuid, int id,
                                 int type, const char *nsuri)
{
    remote_domain_event_callback_metadata_change_msg msg = { 0 };
    char *uri = nsuri ? g_strdup(nsuri) : NULL;

    mvRemoteMakeDomain(&msg.dom, name, uuid, id);
    msg.type = type;
    msg.nsuri = uri ? &uri : NULL;
    mvRemoteEmitDomainEvent(23 /* VIR_DOMAIN_EVENT_ID_METADATA_CHANGE */, uuid,
                            REMOTE_PROC_DOMAIN_EVENT_CALLBACK_METADATA_CHANGE,
                            (xdrproc_t)xdr_remote_domain_event_callback_metadata_change_msg,
                            &msg, &msg.callbackID);
    g_free(msg.dom.name);
    g_free(uri);
}
