#define MV_FROM_THIS MV_FROM_REMOTE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "remote/remote.h"
#include "util/error.h"
#include "util/log.h"
#include "util/hostinfo.h"

/* libvirt's driver feature numbers (virDrvFeature) that clients probe. */
enum {
    FEATURE_MIGRATION_V2 = 1,
    FEATURE_MIGRATION_P2P = 3,
    FEATURE_MIGRATION_V3 = 7,
    FEATURE_FD_PASSING = 8,
    FEATURE_TYPED_PARAM_STRING = 9,
    FEATURE_PROGRAM_KEEPALIVE = 10,
    FEATURE_XML_MIGRATABLE = 11,
    FEATURE_MIGRATION_PARAMS = 13,
    FEATURE_REMOTE_EVENT_CALLBACK = 14,
    FEATURE_REMOTE_CLOSE_CALLBACK = 15,
    FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER = 16,
};

#define VIR_CONNECT_RO 1

static const mvRemoteDriver *remoteDriver;
static mvRpcServer *remoteServer;

void
mvRemoteInit(const mvRemoteDriver *driver, mvRpcServer *server)
{
    remoteDriver = driver;
    remoteServer = server;
}

const mvRemoteDriver *mvRemoteGetDriver(void) { return remoteDriver; }
mvRpcServer *mvRemoteGetServer(void);
mvRpcServer *mvRemoteGetServer(void) { return remoteServer; }

static void *
connNew(mvRpcClient *client)
{
    mvConnect *conn = g_new0(mvConnect, 1);
    g_mutex_init(&conn->lock);
    conn->client = client;
    conn->domainCallbacks = g_array_new(FALSE, TRUE, sizeof(mvEventCallback));
    conn->nextCallbackID = 1;
    return conn;
}

static void
connFree(void *opaque)
{
    mvConnect *conn = opaque;
    if (!conn)
        return;
    g_array_free(conn->domainCallbacks, TRUE);
    g_free(conn->uri);
    g_mutex_clear(&conn->lock);
    g_free(conn);
}

static void
connClosed(mvRpcClient *client, void *opaque)
{
    mvConnect *conn = opaque;
    if (!conn)
        return;
    g_mutex_lock(&conn->lock);
    conn->opened = FALSE;
    g_array_set_size(conn->domainCallbacks, 0);
    g_mutex_unlock(&conn->lock);
}

const mvRpcClientHooks mvRemoteClientHooks = {
    .newPriv = connNew,
    .freePriv = connFree,
    .closed = connClosed,
};

mvConnect *
mvRemoteConnect(struct mvRpcCall *call)
{
    mvConnect *conn = mvRpcClientGetPriv(call->client);
    if (!conn || !conn->opened) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "hypervisor connection not open");
        return NULL;
    }
    return conn;
}

void
mvRemoteMakeDomain(remote_nonnull_domain *dst, const char *name,
                   const unsigned char *uuid, int id)
{
    dst->name = g_strdup(name);
    memcpy(dst->uuid, uuid, 16);
    dst->id = id;
}

/* ---- handshake -------------------------------------------------------- */

int
mvRemoteDispatchAuthList(struct mvRpcCall *call, void *a, void *r)
{
    remote_auth_list_ret *ret = r;
    ret->types.types_len = 1;
    ret->types.types_val = g_new0(remote_auth_type, 1);
    ret->types.types_val[0] = REMOTE_AUTH_NONE;
    return 0;
}

int
mvRemoteDispatchConnectSupportsFeature(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_supports_feature_args *args = a;
    remote_connect_supports_feature_ret *ret = r;

    switch (args->feature) {
    case FEATURE_PROGRAM_KEEPALIVE:
        mvRpcClientEnableKeepalive(call->client);
        ret->supported = 1;
        break;
    case FEATURE_REMOTE_EVENT_CALLBACK:
    case FEATURE_REMOTE_CLOSE_CALLBACK:
    case FEATURE_TYPED_PARAM_STRING:
    case FEATURE_FD_PASSING:
    case FEATURE_XML_MIGRATABLE:
    case FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER:
        ret->supported = 1;
        break;
    default:
        ret->supported = 0;
        break;
    }
    return 0;
}

/* Accept "scheme:///system" (root) or "scheme:///session" (non-root) and the
 * empty default; anything else is declined like libvirt's split daemons. */
static int
connectCheckURI(const char *name, char **canonical)
{
    const mvRemoteDriver *drv = remoteDriver;
    gboolean privileged = geteuid() == 0;
    const char *want = privileged ? "/system" : "/session";
    g_autoptr(GUri) uri = NULL;
    const char *path;

    if (!name || !*name) {
        *canonical = g_strdup_printf("%s://%s", drv->scheme, want);
        return 0;
    }
    uri = g_uri_parse(name, G_URI_FLAGS_NON_DNS | G_URI_FLAGS_PARSE_RELAXED, NULL);
    if (!uri || !g_uri_get_scheme(uri) ||
        g_ascii_strcasecmp(g_uri_get_scheme(uri), drv->scheme) != 0) {
        mvReportError(MV_ERR_NO_CONNECT, "no connection driver available for %s", name);
        return -1;
    }
    if (g_uri_get_host(uri) && *g_uri_get_host(uri)) {
        mvReportError(MV_ERR_NO_CONNECT, "no connection driver available for %s", name);
        return -1;
    }
    path = g_uri_get_path(uri);
    if (!path || strcmp(path, want) != 0) {
        mvErrorReport(MV_FROM_QEMU, MV_ERR_INTERNAL_ERROR,
                      "unexpected %s URI path '%s', try %s://%s",
                      g_ascii_strup(drv->scheme, -1), path ? path : "", drv->scheme, want);
        return -1;
    }
    *canonical = g_strdup_printf("%s://%s", drv->scheme, want);
    return 0;
}

int
mvRemoteDispatchConnectOpen(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_open_args *args = a;
    mvConnect *conn = mvRpcClientGetPriv(call->client);
    g_autofree char *uri = NULL;

    if (conn->opened) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "connection already open");
        return -1;
    }
    if (connectCheckURI(args->name ? *args->name : NULL, &uri) < 0)
        return -1;
    g_mutex_lock(&conn->lock);
    conn->uri = g_steal_pointer(&uri);
    conn->flags = args->flags;
    conn->opened = TRUE;
    g_mutex_unlock(&conn->lock);
    if (args->flags & VIR_CONNECT_RO)
        mvRpcClientSetReadonly(call->client, TRUE);
    return 0;
}

int
mvRemoteDispatchConnectClose(struct mvRpcCall *call, void *a, void *r)
{
    mvConnect *conn = mvRpcClientGetPriv(call->client);
    g_mutex_lock(&conn->lock);
    conn->opened = FALSE;
    g_array_set_size(conn->domainCallbacks, 0);
    g_mutex_unlock(&conn->lock);
    return 0;
}

int
mvRemoteDispatchConnectRegisterCloseCallback(struct mvRpcCall *call, void *a, void *r)
{
    mvConnect *conn = mvRemoteConnect(call);
    if (!conn)
        return -1;
    conn->closeCallback = TRUE;
    return 0;
}

int
mvRemoteDispatchConnectUnregisterCloseCallback(struct mvRpcCall *call, void *a, void *r)
{
    mvConnect *conn = mvRemoteConnect(call);
    if (!conn)
        return -1;
    conn->closeCallback = FALSE;
    return 0;
}

/* ---- connection information -------------------------------------------- */

int
mvRemoteDispatchConnectGetType(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_type_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    ret->type = g_strdup(remoteDriver->type);
    return 0;
}

int
mvRemoteDispatchConnectGetVersion(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_version_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    ret->hv_ver = remoteDriver->getVersion ? remoteDriver->getVersion() : 0;
    return 0;
}

int
mvRemoteDispatchConnectGetLibVersion(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_lib_version_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    ret->lib_ver = MODVIRT_VERSION_NUMBER;
    return 0;
}

int
mvRemoteDispatchConnectGetHostname(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_hostname_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    return (ret->hostname = mvHostGetHostname()) ? 0 : -1;
}

int
mvRemoteDispatchConnectGetUri(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_uri_ret *ret = r;
    mvConnect *conn = mvRemoteConnect(call);
    if (!conn)
        return -1;
    ret->uri = g_strdup(conn->uri);
    return 0;
}

int
mvRemoteDispatchConnectIsSecure(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_is_secure_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    ret->secure = 1;   /* UNIX socket: local and not sniffable */
    return 0;
}

int
mvRemoteDispatchConnectGetCapabilities(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_capabilities_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    if (!remoteDriver->getCapabilities) {
        mvReportError(MV_ERR_NO_SUPPORT, "%s", "virConnectGetCapabilities");
        return -1;
    }
    if (!(ret->capabilities = remoteDriver->getCapabilities()))
        return -1;
    return 0;
}

int
mvRemoteDispatchConnectGetMaxVcpus(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_max_vcpus_args *args = a;
    remote_connect_get_max_vcpus_ret *ret = r;
    int n;

    if (!mvRemoteConnect(call))
        return -1;
    if (!remoteDriver->getMaxVcpus) {
        mvReportError(MV_ERR_NO_SUPPORT, "%s", "virConnectGetMaxVcpus");
        return -1;
    }
    if ((n = remoteDriver->getMaxVcpus(args->type ? *args->type : NULL)) < 0)
        return -1;
    ret->max_vcpus = n;
    return 0;
}
