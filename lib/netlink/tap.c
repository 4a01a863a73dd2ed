/* TAP devices: /dev/net/tun + rtnetlink (libnl-route-3). */
#define MV_FROM_THIS MV_FROM_NONE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <netlink/netlink.h>
#include <netlink/addr.h>
#include <netlink/route/link.h>

#include "netlink/tap.h"
#include "netlink/bridge.h"
#include "util/error.h"

#define TUN_DEVICE "/dev/net/tun"
/* how many candidate names a generated name may skip */
#define TAP_NAME_TRIES 4096

static gint tapNameCounter;

gboolean
mvNetDevExists(const char *ifname)
{
    return ifname && *ifname && if_nametoindex(ifname) > 0;
}

/* The next unused "vnetN". */
static char *
tapGenerateName(void)
{
    for (int i = 0; i < TAP_NAME_TRIES; i++) {
        int n = g_atomic_int_add(&tapNameCounter, 1);
        char *name;
        if (n < 0) {
            g_atomic_int_set(&tapNameCounter, 0);
            continue;
        }
        name = g_strdup_printf(MV_NETDEV_TAP_PREFIX "%d", n);
        if (strlen(name) < IFNAMSIZ && !mvNetDevExists(name))
            return name;
        g_free(name);
    }
    mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "no free name for a tap device");
    return NULL;
}

int
mvNetDevTapCreate(char **ifname, int *tapfd, unsigned int flags)
{
    g_autofree char *name = NULL;
    struct ifreq ifr;
    int fd;

    *tapfd = -1;
    if (*ifname && **ifname && !strchr(*ifname, '%'))
        name = g_strdup(*ifname);
    else if (!(name = tapGenerateName()))
        return -1;
    if (strlen(name) >= IFNAMSIZ) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Tap device name '%s' is too long", name);
        return -1;
    }

    if ((fd = open(TUN_DEVICE, O_RDWR | O_CLOEXEC)) < 0) {
        mvReportSystemError(errno, "Unable to open %s, is tun module loaded?", TUN_DEVICE);
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    if (flags & MV_NETDEV_TAP_VNET_HDR)
        ifr.ifr_flags |= IFF_VNET_HDR;
    g_strlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        mvReportSystemError(errno, "Unable to create tap device %s", name);
        close(fd);
        return -1;
    }
    if (flags & MV_NETDEV_TAP_VNET_HDR) {
        int hdrlen = 12;   /* struct virtio_net_hdr_mrg_rxbuf, as QEMU expects */
        ioctl(fd, TUNSETVNETHDRSZ, &hdrlen);
    }
    if ((flags & MV_NETDEV_TAP_PERSIST) && ioctl(fd, TUNSETPERSIST, 1) < 0) {
        mvReportSystemError(errno, "Unable to set tap device %s to persistent", ifr.ifr_name);
        close(fd);
        return -1;
    }
    g_free(*ifname);
    *ifname = g_strdup(ifr.ifr_name);
    *tapfd = fd;
    return 0;
}

int
mvNetDevDelete(const char *ifname)
{
    struct nl_sock *sk;
    struct rtnl_link *link = NULL;
    int err, rc = 0;

    if (!ifname || !*ifname)
        return 0;
    if (!(sk = mvNetlinkRouteSocket()))
        return -1;
    if (rtnl_link_get_kernel(sk, 0, ifname, &link) == 0) {
        if ((err = rtnl_link_delete(sk, link)) < 0 && err != -NLE_OBJ_NOTFOUND &&
            err != -NLE_NODEV) {
            mvReportError(MV_ERR_SYSTEM_ERROR, "Unable to delete device %s: %s", ifname,
                          nl_geterror(err));
            rc = -1;
        }
        rtnl_link_put(link);
    }
    nl_socket_free(sk);
    return rc;
}

/* Apply @change to the link @ifname; @what names the operation for errors. */
static int
linkChange(const char *ifname, struct rtnl_link *change, const char *what)
{
    struct nl_sock *sk;
    struct rtnl_link *orig = NULL;
    int err, rc = -1;

    if (!(sk = mvNetlinkRouteSocket()))
        return -1;
    if ((err = rtnl_link_get_kernel(sk, 0, ifname, &orig)) < 0) {
        mvReportError(MV_ERR_SYSTEM_ERROR, "%s '%s': %s", what, ifname,
                      (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) ? "No such device"
                                                                       : nl_geterror(err));
        goto cleanup;
    }
    if ((err = rtnl_link_change(sk, orig, change, 0)) < 0) {
        mvReportError(MV_ERR_SYSTEM_ERROR, "%s '%s': %s", what, ifname, nl_geterror(err));
        goto cleanup;
    }
    rc = 0;
 cleanup:
    if (orig)
        rtnl_link_put(orig);
    nl_socket_free(sk);
    return rc;
}

int
mvNetDevSetOnline(const char *ifname, gboolean online)
{
    struct rtnl_link *change = rtnl_link_alloc();
    int rc;

    if (online)
        rtnl_link_set_flags(change, IFF_UP);
    else
        rtnl_link_unset_flags(change, IFF_UP);
    rc = linkChange(ifname, change, "Cannot set interface flags on");
    rtnl_link_put(change);
    return rc;
}

static int
macParse(const char *mac, unsigned char out[6])
{
    unsigned int b[6];
    char tail;
    if (!mac || sscanf(mac, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
                       &tail) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (b[i] > 0xff)
            return -1;
        out[i] = (unsigned char)b[i];
    }
    return 0;
}

static int
setMACBytes(const char *ifname, const unsigned char bytes[6])
{
    struct rtnl_link *change = rtnl_link_alloc();
    struct nl_addr *addr = nl_addr_build(AF_LLC, bytes, 6);
    int rc;

    rtnl_link_set_addr(change, addr);
    rc = linkChange(ifname, change, "Cannot set interface MAC on");
    nl_addr_put(addr);
    rtnl_link_put(change);
    return rc;
}

int
mvNetDevSetMAC(const char *ifname, const char *mac)
{
    unsigned char bytes[6];

    if (macParse(mac, bytes) < 0) {
        mvReportError(MV_ERR_INVALID_ARG, "unable to parse mac address '%s'", mac ? mac : "");
        return -1;
    }
    return setMACBytes(ifname, bytes);
}

int
mvNetDevGetMTU(const char *ifname)
{
    struct nl_sock *sk;
    struct rtnl_link *link = NULL;
    int err, mtu = -1;

    if (!(sk = mvNetlinkRouteSocket()))
        return -1;
    if ((err = rtnl_link_get_kernel(sk, 0, ifname, &link)) < 0) {
        mvReportError(MV_ERR_SYSTEM_ERROR, "Cannot get interface MTU on '%s': %s", ifname,
                      (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) ? "No such device"
                                                                       : nl_geterror(err));
    } else {
        mtu = (int)rtnl_link_get_mtu(link);
        rtnl_link_put(link);
    }
    nl_socket_free(sk);
    return mtu;
}

int
mvNetDevSetMTU(const char *ifname, int mtu)
{
    struct rtnl_link *change = rtnl_link_alloc();
    int rc;

    rtnl_link_set_mtu(change, (unsigned int)mtu);
    rc = linkChange(ifname, change, "Cannot set interface MTU on");
    rtnl_link_put(change);
    return rc;
}

int
mvNetDevTapCreateInBridge(const char *bridge, char **ifname, const char *mac, int *tapfd,
                          unsigned int flags)
{
    unsigned char bytes[6];
    int mtu = -1;

    if (bridge && (mtu = mvNetDevGetMTU(bridge)) < 0)
        return -1;
    if (mvNetDevTapCreate(ifname, tapfd, flags) < 0)
        return -1;
    if (mac) {
        if (macParse(mac, bytes) < 0) {
            mvReportError(MV_ERR_INVALID_ARG, "unable to parse mac address '%s'", mac);
            goto error;
        }
        bytes[0] = 0xFE;
        if (setMACBytes(*ifname, bytes) < 0)
            goto error;
    }
    if (bridge) {
        if (mtu > 0 && mvNetDevGetMTU(*ifname) != mtu && mvNetDevSetMTU(*ifname, mtu) < 0)
            goto error;
        if (mvNetDevBridgeAddPort(bridge, *ifname) < 0)
            goto error;
    }
    if (mvNetDevSetOnline(*ifname, TRUE) < 0)
        goto error;
    return 0;

 error:
    {
        g_autoptr(mvError) err = mvErrorSteal();
        close(*tapfd);
        *tapfd = -1;
        if (flags & MV_NETDEV_TAP_PERSIST)
            mvNetDevDelete(*ifname);
        mvErrorReset();
        mvErrorRestore(g_steal_pointer(&err));
    }
    return -1;
}
