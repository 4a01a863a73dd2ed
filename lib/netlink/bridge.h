/* Linux bridges through rtnetlink (libnl-route-3): create/delete a bridge,
 * enslave/release ports.  Anything here changes the host's network: tests
 * run it only inside a network namespace they created. */
#pragma once
#include <glib.h>

/* Create bridge @name (down).  0 / -1 + error. */
int mvNetDevBridgeCreate(const char *name);
/* Delete bridge @name (a missing one is not an error). */
int mvNetDevBridgeDelete(const char *name);
/* Enslave @ifname to @bridge ("Unable to add bridge %s port %s: ..."). */
int mvNetDevBridgeAddPort(const char *bridge, const char *ifname);
/* Release @ifname from its bridge. */
int mvNetDevBridgeRemovePort(const char *bridge, const char *ifname);
/* TRUE when @name exists and is a bridge. */
gboolean mvNetDevIsBridge(const char *name);

/* Shared by the netlink helpers: a connected NETLINK_ROUTE socket, or
 * NULL + error.  Free with nl_socket_free(). */
struct nl_sock *mvNetlinkRouteSocket(void);
