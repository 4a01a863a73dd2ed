/* Linux bridges via libnl-route-3. */
#define MV_FROM_THIS MV_FROM_NONE
#include <errno.h>
#include <string.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>

#include "netlink/bridge.h"
#include "util/error.h"

struct nl_sock *
mvNetlinkRouteSocket(void)
{
    struct nl_sock *sk = nl_socket_alloc();
    int err;

    if (!sk) {
        mvReportError(MV_ERR_NO_MEMORY, "%s", "cannot allocate netlink socket");
        return NULL;
    }
    if ((err = nl_connect(sk, NETLINK_ROUTE)) < 0) {
        mvReportError(MV_ERR_SYSTEM_ERROR, "cannot connect to netlink: %s", nl_geterror(err));
        nl_socket_free(sk);
        return NULL;
    }
    return sk;
}

static int
getLink(struct nl_sock *sk, const char *name, struct rtnl_link **link, const char *what)
{
    int err = rtnl_link_get_kernel(sk, 0, name, link);
    if (err < 0) {
        if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV)
            mvReportError(MV_ERR_SYSTEM_ERROR, "%s '%s': No such device", what, name);
        else
            mvReportError(MV_ERR_SYSTEM_ERROR, "%s '%s': %s", what, name, nl_geterror(err));
        return -1;
    }
    return 0;
}

int
mvNetDevBridgeCreate(const char *name)
{
    struct nl_sock *sk;
    int err;

    if (!(sk = mvNetlinkRouteSocket()))
        return -1;
    err = rtnl_link_bridge_add(sk, name);
    nl_socket_free(sk);
    if (err < 0) {
        mvReportError(MV_ERR_SYSTEM_ERROR, "Unable to create bridge %s: %s", name,
                      nl_geterror(err));
        return -1;
    }
    return 0;
}

int
mvNetDevBridgeDelete(const char *name)
{
    struct nl_sock *sk;
    struct rtnl_link *link = NULL;
    int err, rc = 0;

    if (!(sk = mvNetlinkRouteSocket()))
        return -1;
    err = rtnl_link_get_kernel(sk, 0, name, &link);
    if (err == 0) {
        if ((err = rtnl_link_delete(sk, link)) < 0 && err != -NLE_OBJ_NOTFOUND) {
            mvReportError(MV_ERR_SYSTEM_ERROR, "Unable to delete bridge %s: %s", name,
                          nl_geterror(err));
            rc = -1;
        }
        rtnl_link_put(link);
    }
    nl_socket_free(sk);
    return rc;
}

int
mvNetDevBridgeAddPort(const char *bridge, const char *ifname)
{
    struct nl_sock *sk;
    struct rtnl_link *br = NULL, *port = NULL;
    int err, rc = -1;

    if (!(sk = mvNetlinkRouteSocket()))
        return -1;
    if (getLink(sk, bridge, &br, "Unable to add port to bridge") < 0 ||
        getLink(sk, ifname, &port, "Unable to add bridge port") < 0)
        goto cleanup;
    if ((err = rtnl_link_enslave(sk, br, port)) < 0) {
        mvReportError(MV_ERR_SYSTEM_ERROR, "Unable to add bridge %s port %s: %s", bridge, ifname,
                      nl_geterror(err));
        goto cleanup;
    }
    rc = 0;
 cleanup:
    if (br)
        rtnl_link_put(br);
    if (port)
        rtnl_link_put(port);
    nl_socket_free(sk);
    return rc;
}

int
mvNetDevBridgeRemovePort(const char *bridge, const char *ifname)
{
    struct nl_sock *sk;
    struct rtnl_link *port = NULL;
    int err, rc = -1;

    if (!(sk = mvNetlinkRouteSocket()))
        return -1;
    if (getLink(sk, ifname, &port, "Unable to remove bridge port") < 0)
        goto cleanup;
    if ((err = rtnl_link_release(sk, port)) < 0) {
        mvReportError(MV_ERR_SYSTEM_ERROR, "Unable to remove bridge %s port %s: %s",
                      bridge ? bridge : "", ifname, nl_geterror(err));
        goto cleanup;
    }
    rc = 0;
 cleanup:
    if (port)
        rtnl_link_put(port);
    nl_socket_free(sk);
    return rc;
}

gboolean
mvNetDevIsBridge(const char *name)
{
    struct nl_sock *sk;
    struct rtnl_link *link = NULL;
    gboolean ret = FALSE;

    if (!(sk = mvNetlinkRouteSocket())) {
        mvErrorReset();
        return FALSE;
    }
    if (rtnl_link_get_kernel(sk, 0, name, &link) == 0) {
        const char *type = rtnl_link_get_type(link);
        ret = type && strcmp(type, "bridge") == 0;
        rtnl_link_put(link);
    }
    nl_socket_free(sk);
    return ret;
}
