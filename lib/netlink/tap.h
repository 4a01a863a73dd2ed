/* TAP devices for guest interfaces: created on /dev/net/tun (the fd is what
 * QEMU gets), configured (MAC, MTU, up/down) and deleted through
 * rtnetlink with libnl-route-3.
 *
 * Naming follows libvirt: a generated name is "vnetN" with N taken from a
 * process-wide counter that only grows (so a name is not reused while a
 * stale reference to it might still exist); a name that is in use is
 * skipped.  The tap is not persistent: it disappears when the last fd on it
 * (QEMU's) is closed. */
#pragma once
#include <glib.h>

/* Create flags */
#define MV_NETDEV_TAP_VNET_HDR  (1u << 0)   /* IFF_VNET_HDR (virtio-net offloads) */
#define MV_NETDEV_TAP_PERSIST   (1u << 1)   /* TUNSETPERSIST: survives its fds */

/* Prefix of generated names. */
#define MV_NETDEV_TAP_PREFIX "vnet"

/* Create a tap.  *@ifname: NULL (or a name containing "%d") to generate one,
 * else the wanted name; on success *@ifname holds the real name (g_free)
 * and *@tapfd an O_CLOEXEC fd on it.  -1 + error ("Unable to create tap
 * device %s: ..."). */
int mvNetDevTapCreate(char **ifname, int *tapfd, unsigned int flags);

/* Delete a link (tap, veth, bridge...) by name; a missing link is not an
 * error.  0 / -1 + error. */
int mvNetDevDelete(const char *ifname);

/* TRUE when a link of that name exists (in our network namespace). */
gboolean mvNetDevExists(const char *ifname);

/* Bring a link up / down.  0 / -1 + error. */
int mvNetDevSetOnline(const char *ifname, gboolean online);
/* Set the link's MAC ("52:54:00:..."), 0 / -1 + error. */
int mvNetDevSetMAC(const char *ifname, const char *mac);
/* MTU get/set.  Get returns the MTU or -1 + error
 * ("Cannot get interface MTU on '%s': No such device"). */
int mvNetDevGetMTU(const char *ifname);
int mvNetDevSetMTU(const char *ifname, int mtu);

/* What libvirt does for <interface type='bridge'>: create a tap (generated
 * name unless *@ifname is set), give it @mac with the first byte replaced by
 * 0xFE (so the bridge never takes the guest's MAC as its own), the bridge's
 * MTU, enslave it to @bridge and bring it up.  For @bridge == NULL (type
 * 'ethernet') only the MAC/up steps.  On failure nothing is left behind.
 * 0 / -1 + error. */
int mvNetDevTapCreateInBridge(const char *bridge, char **ifname, const char *mac,
                              int *tapfd, unsigned int flags);
