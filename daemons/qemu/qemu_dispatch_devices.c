/* REMOTE procedures on devices of domains: attach / detach / update
 * (virsh attach-device, attach-disk, attach-interface, detach-*,
 * update-device), graphics client sockets (virDomainOpenGraphics{,FD}) and
 * domxml-to-native. */
#define MV_FROM_THIS MV_FROM_QEMU
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "qemu_command.h"
#include "qemu_driver.h"
#include "qemu_hotplug.h"
#include "remote/remote.h"
#include "util/error.h"
#include "util/log.h"
#include "util/qemucaps.h"
#include "util/uuid.h"

#define AFFECT_LIVE QEMU_DEVICE_AFFECT_LIVE
#define AFFECT_CONFIG QEMU_DEVICE_AFFECT_CONFIG
#define MODIFY_FORCE QEMU_DEVICE_MODIFY_FORCE
#define OPEN_GRAPHICS_SKIPAUTH 1

/* Look up @dom, locked, referenced and with the job held; NULL + error. */
static qemuDomainObj *
beginJob(struct mvRpcCall *call, remote_nonnull_domain *dom)
{
    qemuDomainObj *obj;

    if (!mvRemoteConnect(call))
        return NULL;
    if (!(obj = qemuDomainObjListFindByUUID(qemu_driver->domains,
                                            (const unsigned char *)dom->uuid))) {
        char uuidstr[MV_UUID_STRING_BUFLEN];
        mvErrorReset();
        mvUUIDFormat((const unsigned char *)dom->uuid, uuidstr);
        mvReportError(MV_ERR_NO_DOMAIN, "no domain with matching uuid '%s' (%s)", uuidstr,
                      dom->name);
        return NULL;
    }
    qemuDomainObjRef(obj);   /* survives removal during the job */
    if (qemuDomainObjBeginJob(obj) < 0) {
        g_mutex_unlock(&obj->lock);
        qemuDomainObjUnref(obj);
        qemuDomainObjUnref(obj);
        return NULL;
    }
    return obj;
}

static void
endJob(qemuDomainObj **obj)
{
    qemuDomainObjEndJob(*obj);
    qemuDomainObjUnref(*obj);
    qemuDomainObjEndAPI(obj);
}

/* Resolve "current" into live or config and check the domain can take
 * them (libvirt's virDomainObjUpdateModificationImpact). */
static int
updateAffect(qemuDomainObj *obj, unsigned int *flags)
{
    gboolean active = qemuDomainObjIsActive(obj);

    if ((*flags & (AFFECT_LIVE | AFFECT_CONFIG)) == 0)
        *flags |= active ? AFFECT_LIVE : AFFECT_CONFIG;
    if (!active && (*flags & AFFECT_LIVE)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        return -1;
    }
    if (!obj->persistent && (*flags & AFFECT_CONFIG)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s",
                      "transient domains do not have any persistent config");
        return -1;
    }
    return 0;
}

/* ---- attach / update --------------------------------------------------------------- */

typedef int (*deviceOp)(qemuDomainObj *obj, const char *xml, unsigned int flags);

static int
deviceModify(struct mvRpcCall *call, remote_nonnull_domain *dom, const char *xml,
             unsigned int flags, unsigned int allowed, const char *api, deviceOp op)
{
    qemuDomainObj *obj;
    int rc = -1;

    if (qemuCheckFlags(flags, allowed, api) < 0)
        return -1;
    if (!(obj = beginJob(call, dom)))
        return -1;
    if (updateAffect(obj, &flags) == 0)
        rc = op(obj, xml, flags);
    endJob(&obj);
    return rc;
}

int
mvRemoteDispatchDomainAttachDevice(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_attach_device_args *args = a;
    return deviceModify(call, &args->dom, args->xml, AFFECT_LIVE, AFFECT_LIVE | AFFECT_CONFIG,
                        "qemuDomainAttachDeviceFlags", qemuDomainAttachDeviceFlags);
}

int
mvRemoteDispatchDomainAttachDeviceFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_attach_device_flags_args *args = a;
    return deviceModify(call, &args->dom, args->xml, args->flags, AFFECT_LIVE | AFFECT_CONFIG,
                        "qemuDomainAttachDeviceFlags", qemuDomainAttachDeviceFlags);
}

int
mvRemoteDispatchDomainUpdateDeviceFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_update_device_flags_args *args = a;
    return deviceModify(call, &args->dom, args->xml, args->flags,
                        AFFECT_LIVE | AFFECT_CONFIG | MODIFY_FORCE,
                        "qemuDomainUpdateDeviceFlags", qemuDomainUpdateDeviceFlags);
}

/* ---- detach --------------------------------------------------------------------------- */

static int
deviceDetach(struct mvRpcCall *call, remote_nonnull_domain *dom, const char *xml,
             const char *alias, unsigned int flags, const char *api)
{
    qemuHotplugWaiter *waiter = NULL;
    qemuDomainObj *obj;
    int rc = -1;

    if (qemuCheckFlags(flags, AFFECT_LIVE | AFFECT_CONFIG, api) < 0)
        return -1;
    if (!(obj = beginJob(call, dom)))
        return -1;
    if (updateAffect(obj, &flags) == 0)
        rc = qemuDomainDetachDeviceFlags(obj, xml, alias, flags, &waiter);
    /* DEVICE_DELETED is handled in the event thread, under the job: wait
     * for it without holding the job */
    qemuDomainObjEndJob(obj);
    if (waiter)
        qemuHotplugWaiterWait(obj, waiter);
    qemuDomainObjUnref(obj);
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainDetachDevice(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_detach_device_args *args = a;
    return deviceDetach(call, &args->dom, args->xml, NULL, AFFECT_LIVE,
                        "qemuDomainDetachDeviceFlags");
}

int
mvRemoteDispatchDomainDetachDeviceFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_detach_device_flags_args *args = a;
    return deviceDetach(call, &args->dom, args->xml, NULL, args->flags,
                        "qemuDomainDetachDeviceFlags");
}

int
mvRemoteDispatchDomainDetachDeviceAlias(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_detach_device_alias_args *args = a;
    return deviceDetach(call, &args->dom, NULL, args->alias, args->flags,
                        "qemuDomainDetachDeviceAlias");
}

/* ---- graphics ------------------------------------------------------------------------- */

int
mvRemoteDispatchDomainOpenGraphicsFd(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_open_graphics_fd_args *args = a;
    qemuDomainObj *obj;
    int pair[2];
    int rc;

    if (qemuCheckFlags(args->flags, OPEN_GRAPHICS_SKIPAUTH, "qemuDomainOpenGraphicsFD") < 0)
        return -1;
    if (!(obj = beginJob(call, &args->dom)))
        return -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
        mvReportSystemError(errno, "%s", "Failed to create socket pair");
        endJob(&obj);
        return -1;
    }
    rc = qemuDomainOpenGraphicsClient(obj, args->idx, pair[1],
                                      (args->flags & OPEN_GRAPHICS_SKIPAUTH) != 0);
    endJob(&obj);
    close(pair[1]);
    if (rc < 0) {
        close(pair[0]);
        return -1;
    }
    call->outfds = g_new(int, 1);
    call->outfds[0] = pair[0];
    call->noutfds = 1;
    return 0;
}

int
mvRemoteDispatchDomainOpenGraphics(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_open_graphics_args *args = a;
    qemuDomainObj *obj;
    int fd;
    int rc;

    if (qemuCheckFlags(args->flags, OPEN_GRAPHICS_SKIPAUTH, "qemuDomainOpenGraphics") < 0)
        return -1;
    if (!call->msg || call->msg->nfds < 1 || call->msg->fds[0] < 0) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "missing file descriptor in message");
        return -1;
    }
    if (!(obj = beginJob(call, &args->dom)))
        return -1;
    fd = call->msg->fds[0];
    rc = qemuDomainOpenGraphicsClient(obj, args->idx, fd,
                                      (args->flags & OPEN_GRAPHICS_SKIPAUTH) != 0);
    endJob(&obj);
    return rc;
}

/* ---- domxml-to-native ----------------------------------------------------------------- */

int
mvRemoteDispatchConnectDomainXmlToNative(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_domain_xml_to_native_args *args = a;
    remote_connect_domain_xml_to_native_ret *ret = r;
    g_autoptr(mvDomainDef) def = NULL;
    g_autoptr(mvQemuCaps) caps = NULL;
    g_autofree char *emuAlloc = NULL;
    g_autofree char *libDir = NULL;
    g_autofree char *monitorPath = NULL;
    g_auto(GStrv) argv = NULL;
    g_auto(GStrv) envp = NULL;
    qemuCommandParams params = { 0 };
    const char *emulator;

    if (!mvRemoteConnect(call))
        return -1;
    if (qemuCheckFlags(args->flags, 0, "qemuConnectDomainXMLToNative") < 0)
        return -1;
    if (strcmp(args->nativeFormat, "qemu-argv") != 0) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "Unsupported config type %s", args->nativeFormat);
        return -1;
    }
    if (!(def = mvDomainDefParseString(args->domainXml, MV_DOMAIN_DEF_PARSE_INACTIVE)))
        return -1;
    if (qemuDriverPostParse(def) < 0)
        return -1;
    if (!(emulator = def->emulator)) {
        if (!(emulator = emuAlloc = mvQemuCapsFindEmulatorForArch(def->osArch ? def->osArch
                                                                               : "x86_64"))) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                          "unable to find any emulator to serve '%s' architecture",
                          def->osArch ? def->osArch : "x86_64");
            return -1;
        }
    }
    if (!(caps = mvQemuCapsGet(emulator)))
        return -1;
    /* what libvirt prints for an inactive domain: id -1, its would-be dirs */
    libDir = g_strdup_printf("%s/domain--1-%s", qemu_driver->stateDir, def->name);
    monitorPath = g_strdup_printf("%s/monitor.sock", libDir);
    params.emulator = emulator;
    params.monitorPath = monitorPath;
    params.libDir = libDir;
    params.kvm = def->virtType && strcmp(def->virtType, "kvm") == 0;
    params.id = -1;
    params.tapFds = NULL;
    if (!(argv = qemuBuildCommandLine(def, caps, &params)))
        return -1;
    envp = qemuBuildCommandEnv(def, &params);
    ret->nativeConfig = qemuBuildCommandLineStringEnv(envp, argv, FALSE);
    return 0;
}
