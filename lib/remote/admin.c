/* The admin program on NAME-admin-sock: only the handshake so far, so that
 * virt-admin can connect and read the version. */
#define MV_FROM_THIS MV_FROM_ADMIN
#include "remote/remote.h"
#include "admin_protocol.h"
#include "util/error.h"

int
mvAdminDispatchConnectOpen(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_open_args *args = a;
    mvConnect *conn = mvRpcClientGetPriv(call->client);

    if (args->flags) {
        mvReportError(MV_ERR_INVALID_ARG, "unsupported flags (0x%x) in function %s",
                      args->flags, "adminDispatchConnectOpen");
        return -1;
    }
    g_mutex_lock(&conn->lock);
    conn->opened = TRUE;
    g_mutex_unlock(&conn->lock);
    return 0;
}

int
mvAdminDispatchConnectClose(struct mvRpcCall *call, void *a, void *r)
{
    mvConnect *conn = mvRpcClientGetPriv(call->client);
    g_mutex_lock(&conn->lock);
    conn->opened = FALSE;
    g_mutex_unlock(&conn->lock);
    return 0;
}

int
mvAdminDispatchConnectGetLibVersion(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_get_lib_version_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    ret->libVer = MODVIRT_VERSION_NUMBER;
    return 0;
}
