/* Device hotplug for running guests, the matching persistent-config edits,
 * taps for interfaces at start, and graphics client sockets.
 *
 * Live attach: the device is first placed in a scratch copy of the live
 * definition and run through the driver's post-parse, address assignment
 * and alias assignment, so it gets exactly the PCI slot / drive address /
 * alias a fresh start would give it; then its backends (blockdev nodes
 * "libvirt-N-storage"/"libvirt-N-format", a netdev "host<alias>") and the
 * device itself are added over QMP, and only after QEMU accepted everything
 * does the device join the live definition.
 *
 * Live detach: device_del, then QEMU reports DEVICE_DELETED once the guest
 * released the device.  That event is handled by qemuDomainHandleDeviceEvent
 * (event thread, job held), which deletes the backends, removes the device
 * from the live definition and wakes the API call that may be waiting for
 * it (up to 5 s, like libvirt; after that the call returns success and the
 * removal completes asynchronously). */
#define MV_FROM_THIS MV_FROM_QEMU
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "qemu_hotplug.h"
#include "qemu_command.h"
#include "qemu_driver.h"
#include "qemu_monitor.h"
#include "qemu_postparse.h"
#include "qemu_process.h"
#include "netlink/bridge.h"
#include "netlink/tap.h"
#include "remote/remote.h"
#include "util/error.h"
#include "util/log.h"
#include "util/qemucaps.h"
#include "xmlutil.h"

#define VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED 15

/* lib/netlink needs libnl-route-3.  Until the build links it (and defines
 * MODVIRT_HAVE_LIBNL), its functions are weak references here, so
 * virtqemud still links and interfaces needing a tap report an error. */
#ifndef MODVIRT_HAVE_LIBNL
# pragma weak mvNetDevTapCreate
# pragma weak mvNetDevTapCreateInBridge
# pragma weak mvNetDevIsBridge
# pragma weak mvNetDevGetMTU
# pragma weak mvNetDevExists
# pragma weak mvNetDevBridgeRemovePort
# pragma weak mvNetDevDelete
static gboolean
netlinkAvailable(void)
{
    return mvNetDevTapCreate != NULL && mvNetDevTapCreateInBridge != NULL &&
           mvNetDevIsBridge != NULL && mvNetDevGetMTU != NULL && mvNetDevExists != NULL &&
           mvNetDevBridgeRemovePort != NULL && mvNetDevDelete != NULL;
}
#else
static gboolean
netlinkAvailable(void)
{
    return TRUE;
}
#endif

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_object, json_object_put)

static gboolean
strEq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *
kindName(const mvDomainDeviceDef *dev)
{
    const char *s = mvDomainDeviceKindToString(dev->kind);
    return s ? s : "unknown";
}

/* ---- monitor access ------------------------------------------------------ */

static qemuMonitor *
enterMonitor(qemuDomainObj *obj)
{
    qemuMonitor *mon;

    if (!qemuDomainObjIsActive(obj) || !obj->mon) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        return NULL;
    }
    mon = qemuMonitorRef(obj->mon);
    qemuDomainObjEnterMonitor(obj);
    return mon;
}

/* Relock; -1 (keeping an error already set) when the guest died meanwhile. */
static int
exitMonitor(qemuDomainObj *obj, qemuMonitor *mon)
{
    qemuDomainObjExitMonitor(obj);
    qemuMonitorUnref(mon);
    if (!qemuDomainObjIsActive(obj)) {
        if (!mvErrorGetLast())
            mvReportError(MV_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
        return -1;
    }
    return 0;
}

/* Log and drop the current error (best-effort cleanup steps). */
static void
warnAndReset(const mvDomainDef *def, const char *what)
{
    g_autoptr(mvError) err = mvErrorSteal();
    MV_WARN("domain %s: %s: %s", def->name, what, err ? err->message : "?");
}

static mvQemuCaps *
capsForDef(const mvDomainDef *def)
{
    g_autofree char *emu = NULL;

    if (def->emulator)
        return mvQemuCapsGet(def->emulator);
    if (!(emu = mvQemuCapsFindEmulatorForArch(def->osArch ? def->osArch : "x86_64"))) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                      "unable to find any emulator to serve '%s' architecture",
                      def->osArch ? def->osArch : "x86_64");
        return NULL;
    }
    return mvQemuCapsGet(emu);
}

/* ---- device lookups ------------------------------------------------------ */

static mvDomainDiskDef *
findDiskByDst(const mvDomainDef *def, const char *dst)
{
    for (size_t i = 0; i < def->ndisks; i++)
        if (strEq(def->disks[i]->dst, dst))
            return def->disks[i];
    return NULL;
}

static gboolean
devHasAlias(const mvDomainDeviceDef *dev, const char *alias)
{
    g_autofree char *a = qemuDeviceGetAlias(dev);
    return strEq(a, alias);
}

/* Any device of @def with alias @alias. */
static mvDomainDeviceDef *
findByAlias(const mvDomainDef *def, const char *alias)
{
    struct { size_t n; void **list; } typed[] = {
        { def->ndisks, (void **)def->disks },
        { def->nnets, (void **)def->nets },
        { def->ngraphics, (void **)def->graphics },
        { def->nserials, (void **)def->serials },
        { def->nparallels, (void **)def->parallels },
        { def->nconsoles, (void **)def->consoles },
        { def->nchannels, (void **)def->channels },
    };

    for (size_t t = 0; t < G_N_ELEMENTS(typed); t++)
        for (size_t i = 0; i < typed[t].n; i++)
            if (devHasAlias(typed[t].list[i], alias))
                return typed[t].list[i];
    for (int k = 0; k < MV_DOMAIN_DEVICE_LAST; k++)
        for (size_t i = 0; i < def->ndevs[k]; i++)
            if (devHasAlias(def->devs[k][i], alias))
                return def->devs[k][i];
    return NULL;
}

static gboolean
xmlHasMac(const char *xml)
{
    g_autoptr(xmlDoc) doc = mvXMLParseString(xml, "(device_definition)");
    g_autofree char *mac = NULL;

    if (!doc) {
        mvErrorReset();
        return FALSE;
    }
    mac = mvXMLChildProp(xmlDocGetRootElement(doc), "mac", "address");
    return mac != NULL;
}

static gboolean
pciAddrOf(const xmlNode *node, unsigned int *bus, unsigned int *slot, unsigned int *fn)
{
    xmlNode *a = mvXMLChild(node, "address");
    g_autofree char *type = a ? mvXMLProp(a, "type") : NULL;
    g_autofree char *b = NULL, *s = NULL, *f = NULL;

    if (!strEq(type, "pci"))
        return FALSE;
    b = mvXMLProp(a, "bus");
    s = mvXMLProp(a, "slot");
    f = mvXMLProp(a, "function");
    *bus = b ? (unsigned int)g_ascii_strtoull(b, NULL, 0) : 0;
    *slot = s ? (unsigned int)g_ascii_strtoull(s, NULL, 0) : 0;
    *fn = f ? (unsigned int)g_ascii_strtoull(f, NULL, 0) : 0;
    return TRUE;
}

/* libvirt's virDomainNetFindIdx: by MAC (when the XML gave one), PCI
 * address and user alias.  Index or -1 + error. */
static int
findNetIdx(const mvDomainDef *def, const mvDomainNetDef *net, gboolean macGiven)
{
    unsigned int bus, slot, fn;
    gboolean pci = pciAddrOf(net->dev.node, &bus, &slot, &fn);
    int match = -1, count = 0;

    for (size_t i = 0; i < def->nnets; i++) {
        const mvDomainNetDef *n = def->nets[i];
        unsigned int b2, s2, f2;
        if (macGiven && strcmp(n->mac, net->mac) != 0)
            continue;
        if (pci && (!pciAddrOf(n->dev.node, &b2, &s2, &f2) || b2 != bus || s2 != slot || f2 != fn))
            continue;
        if (net->alias && !strEq(n->alias, net->alias))
            continue;
        count++;
        if (match < 0)
            match = (int)i;
    }
    if (count == 1)
        return match;
    if (count > 1) {
        if (macGiven)
            mvReportError(MV_ERR_OPERATION_FAILED, "multiple devices matching MAC address %s found",
                          net->mac);
        else
            mvReportError(MV_ERR_OPERATION_FAILED, "%s", "multiple matching devices found");
        return -1;
    }
    if (macGiven)
        mvReportError(MV_ERR_DEVICE_MISSING, "no device matching MAC address %s found", net->mac);
    else
        mvReportError(MV_ERR_DEVICE_MISSING, "%s", "no matching network device was found");
    return -1;
}

/* ---- preparing a device for live attach ------------------------------------ */

static void
assignNetAlias(const mvDomainDef *def, mvDomainNetDef *net)
{
    int max = -1;

    if (net->alias)
        return;
    for (size_t i = 0; i < def->nnets; i++) {
        const char *a = def->nets[i]->alias;
        int n;
        if (a && (g_str_has_prefix(a, "net") || g_str_has_prefix(a, "hostdev"))) {
            const char *p = a + (a[0] == 'n' ? 3 : 7);
            if (*p && strspn(p, "0123456789") == strlen(p) && (n = atoi(p)) > max)
                max = n;
        }
    }
    net->alias = g_strdup_printf("net%d", max + 1);
}

static size_t
countControllers(const mvDomainDef *def, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        g_autofree char *t = mvXMLProp(def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i]->node, "type");
        if (!type || strEq(t, type))
            n++;
    }
    return n;
}

/* Give @dev (taken over) the defaults, address and alias it would have if
 * it had been there at start, using a scratch copy of the live definition.
 * Returns the device to plug (owned by the caller) or NULL + error. */
static mvDomainDeviceDef *
prepareLiveDevice(qemuDomainObj *obj, mvDomainDeviceDef *dev, const mvQemuCaps *caps)
{
    g_autoptr(mvDomainDef) tmp = mvDomainDefCopy(obj->def);
    mvDomainDeviceDef *out;
    size_t nctrl, npci, nscsi;
    int rc;

    if (!tmp) {
        mvDomainDeviceDefFree(dev);
        return NULL;
    }
    nctrl = countControllers(tmp, NULL);
    npci = countControllers(tmp, "pci");
    nscsi = countControllers(tmp, "scsi");
    if (dev->kind == MV_DOMAIN_DEVICE_NET)
        assignNetAlias(tmp, (mvDomainNetDef *)dev);
    if (mvDomainDefAddDevice(tmp, dev) < 0) {
        mvDomainDeviceDefFree(dev);
        return NULL;
    }
    rc = qemuDefinePostParse(tmp, caps);
    if (rc == 0)
        rc = qemuAssignDeviceAliases(tmp);
    if (rc == 0 && countControllers(tmp, NULL) != nctrl) {
        if (countControllers(tmp, "pci") != npci)
            mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "No more available PCI slots");
        else if (countControllers(tmp, "scsi") != nscsi)
            mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s",
                          "live attach of a disk needs an existing SCSI controller");
        else
            mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "live attach of device '%s' is not "
                          "supported: it needs a new controller", kindName(dev));
        rc = -1;
    }
    {
        g_autoptr(mvError) err = rc < 0 ? mvErrorSteal() : NULL;
        out = mvDomainDefRemoveDevice(tmp, dev);
        if (err) {
            mvDomainDeviceDefFree(out);
            mvErrorRestore(g_steal_pointer(&err));
            return NULL;
        }
    }
    return out;
}

/* ---- QMP properties -------------------------------------------------------- */

static void
jsonStr(json_object *o, const char *k, const char *v)
{
    json_object_object_add(o, k, json_object_new_string(v));
}

/* "bus"/"addr" of a device with a PCI <address>. */
static void
addPCIProps(const mvDomainDef *def, const xmlNode *node, json_object *props)
{
    unsigned int bus, slot, fn;
    g_autofree char *busAlias = NULL;
    g_autofree char *multi = NULL;
    g_autofree char *addr = NULL;

    if (!pciAddrOf(node, &bus, &slot, &fn))
        return;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER] && !busAlias; i++) {
        mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        g_autofree char *type = mvXMLProp(c->node, "type");
        g_autofree char *index = mvXMLProp(c->node, "index");
        if (!strEq(type, "pci") || (unsigned int)atoi(index ? index : "0") != bus)
            continue;
        if (!(busAlias = qemuDeviceGetAlias(c))) {
            g_autofree char *model = mvXMLProp(c->node, "model");
            busAlias = strEq(model, "pcie-root") ? g_strdup("pcie.0")
                                                 : g_strdup_printf("pci.%u", bus);
        }
    }
    if (!busAlias)
        busAlias = g_strdup_printf("pci.%u", bus);
    jsonStr(props, "bus", busAlias);
    multi = mvXMLChildProp(node, "address", "multifunction");
    if (strEq(multi, "on"))
        json_object_object_add(props, "multifunction", json_object_new_boolean(TRUE));
    addr = fn ? g_strdup_printf("0x%x.0x%x", slot, fn) : g_strdup_printf("0x%x", slot);
    jsonStr(props, "addr", addr);
}

static gboolean
driveAddrOf(const xmlNode *node, unsigned int v[4])
{
    static const char *const names[] = { "controller", "bus", "target", "unit" };
    xmlNode *a = mvXMLChild(node, "address");
    g_autofree char *type = a ? mvXMLProp(a, "type") : NULL;

    if (!strEq(type, "drive"))
        return FALSE;
    for (int i = 0; i < 4; i++) {
        g_autofree char *s = mvXMLProp(a, names[i]);
        v[i] = s ? (unsigned int)g_ascii_strtoull(s, NULL, 10) : 0;
    }
    return TRUE;
}

static mvDomainDeviceDef *
findController(const mvDomainDef *def, const char *type, unsigned int idx)
{
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        g_autofree char *t = mvXMLProp(c->node, "type");
        g_autofree char *index = mvXMLProp(c->node, "index");
        if (strEq(t, type) && (unsigned int)atoi(index ? index : "0") == idx)
            return c;
    }
    return NULL;
}

/* cache='...' -> the device's write-cache (libvirt's mapping). */
static gboolean
diskCache(const mvDomainDiskDef *d, const char **wc)
{
    g_autofree char *cache = mvXMLChildProp(d->dev.node, "driver", "cache");
    gboolean direct, noflush;
    return qemuDiskCacheProps(cache, &direct, &noflush, wc);
}

/* Check the source of @d is something we can open with blockdev-add. */
static int
diskSourceCheck(const mvDomainDiskDef *d)
{
    char *props[2];

    if (!d->src)
        return 0;
    if (qemuBuildDiskBlockdevProps(d, 0, props) < 0)
        return -1;
    g_free(props[0]);
    g_free(props[1]);
    if (access(d->src, F_OK) < 0) {
        mvReportSystemError(errno, "Cannot access storage file '%s'", d->src);
        return -1;
    }
    return 0;
}

/* The -device of a hotplugged disk; NULL + error for buses that cannot be
 * hotplugged. */
static json_object *
diskDeviceProps(const mvDomainDef *def, const mvDomainDiskDef *d, int idx)
{
    g_autoptr(json_object) p = json_object_new_object();
    g_autofree char *alias = qemuDeviceGetAlias(&d->dev);
    gboolean cdrom = strEq(d->device, "cdrom");
    const char *wc = NULL;

    if (!alias) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "disk '%s' has no alias", d->dst);
        return NULL;
    }
    if (strEq(d->bus, "virtio")) {
        g_autofree char *model = mvXMLProp(d->dev.node, "model");
        if (cdrom || strEq(d->device, "floppy")) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                          "disk type of '%s' does not support ejectable media", d->dst);
            return NULL;
        }
        jsonStr(p, "driver", strEq(model, "virtio-transitional") ? "virtio-blk-pci-transitional"
                           : strEq(model, "virtio-non-transitional") ? "virtio-blk-pci-non-transitional"
                           : "virtio-blk-pci");
        addPCIProps(def, d->dev.node, p);
    } else if (strEq(d->bus, "scsi")) {
        unsigned int a[4];
        mvDomainDeviceDef *c;
        g_autofree char *calias = NULL;
        g_autofree char *cmodel = NULL;
        g_autofree char *busname = NULL;
        g_autofree char *devid = g_strdup_printf("drive-%s", alias);
        if (!driveAddrOf(d->dev.node, a)) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "disk '%s' has no drive address", d->dst);
            return NULL;
        }
        if (!(c = findController(def, "scsi", a[0]))) {
            mvReportError(MV_ERR_OPERATION_FAILED, "SCSI controller %u was not found", a[0]);
            return NULL;
        }
        calias = qemuDeviceGetAlias(c);
        cmodel = mvXMLProp(c->node, "model");
        if (!calias)
            calias = g_strdup_printf("scsi%u", a[0]);
        jsonStr(p, "driver", cdrom ? "scsi-cd" : "scsi-hd");
        if (cmodel && g_str_has_prefix(cmodel, "virtio")) {
            busname = g_strdup_printf("%s.0", calias);
            jsonStr(p, "bus", busname);
            json_object_object_add(p, "channel", json_object_new_int(a[1]));
            json_object_object_add(p, "scsi-id", json_object_new_int(a[2]));
            json_object_object_add(p, "lun", json_object_new_int(a[3]));
        } else {
            busname = g_strdup_printf("%s.%u", calias, a[1]);
            jsonStr(p, "bus", busname);
            json_object_object_add(p, "scsi-id", json_object_new_int(a[3]));
        }
        jsonStr(p, "device_id", devid);
    } else if (strEq(d->bus, "usb")) {
        jsonStr(p, "driver", "usb-storage");
    } else {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "disk bus '%s' cannot be hotplugged.",
                      d->bus ? d->bus : "");
        return NULL;
    }
    if (d->src) {
        g_autofree char *fmt = g_strdup_printf("libvirt-%d-format", idx);
        jsonStr(p, "drive", fmt);
    }
    jsonStr(p, "id", alias);
    if (d->bootIndex)
        json_object_object_add(p, "bootindex", json_object_new_int((int)d->bootIndex));
    if (diskCache(d, &wc) && wc)
        jsonStr(p, "write-cache", wc);
    if (d->serial)
        jsonStr(p, "serial", d->serial);
    return g_steal_pointer(&p);
}

static gboolean
netIsVirtio(const mvDomainNetDef *net)
{
    return !net->model || g_str_has_prefix(net->model, "virtio");
}

static gboolean
netUsesTap(const mvDomainNetDef *net)
{
    return strEq(net->type, "bridge") || strEq(net->type, "ethernet");
}

/* ---- block node names ----------------------------------------------------- */

/* N of a "libvirt-N-..." node name, or -1. */
static int
nodeNameIndex(const char *name)
{
    const char *p;
    char *end;
    long v;

    if (!name || !g_str_has_prefix(name, "libvirt-"))
        return -1;
    p = name + strlen("libvirt-");
    v = strtol(p, &end, 10);
    if (end == p || *end != '-' || v < 0 || v > G_MAXINT / 2)
        return -1;
    return (int)v;
}

/* (monitor section) The next free "libvirt-N" index. */
static int
monNextNodeIndex(qemuMonitor *mon, int *idx)
{
    g_autoptr(json_object) reply = NULL;
    json_object *args = json_object_new_object();
    int max = 0;

    json_object_object_add(args, "flat", json_object_new_boolean(TRUE));
    if (qemuMonitorCommand(mon, "query-named-block-nodes", args, &reply, 0) < 0)
        return -1;
    if (json_object_is_type(reply, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(reply); i++) {
            json_object *e = json_object_array_get_idx(reply, i), *v;
            if (json_object_is_type(e, json_type_object) &&
                json_object_object_get_ex(e, "node-name", &v) &&
                json_object_is_type(v, json_type_string)) {
                int n = nodeNameIndex(json_object_get_string(v));
                if (n > max)
                    max = n;
            }
        }
    }
    *idx = max + 1;
    return 0;
}

/* (monitor section) The "libvirt-N-format" index of the medium in the
 * device with qdev id @alias; -1 in *idx when there is none. */
static int
monDiskNodeIndex(qemuMonitor *mon, const char *alias, int *idx)
{
    g_autoptr(json_object) reply = NULL;
    g_autofree char *prefix = g_strdup_printf("/machine/peripheral/%s/", alias);
    g_autofree char *path = g_strdup_printf("/machine/peripheral/%s", alias);

    *idx = -1;
    if (qemuMonitorCommand(mon, "query-block", NULL, &reply, 0) < 0)
        return -1;
    if (!json_object_is_type(reply, json_type_array))
        return 0;
    for (size_t i = 0; i < json_object_array_length(reply); i++) {
        json_object *e = json_object_array_get_idx(reply, i), *v, *ins;
        const char *qdev;
        if (!json_object_is_type(e, json_type_object) ||
            !json_object_object_get_ex(e, "qdev", &v) || !json_object_is_type(v, json_type_string))
            continue;
        qdev = json_object_get_string(v);
        if (!strEq(qdev, alias) && !strEq(qdev, path) && !g_str_has_prefix(qdev, prefix))
            continue;
        if (json_object_object_get_ex(e, "inserted", &ins) &&
            json_object_is_type(ins, json_type_object) &&
            json_object_object_get_ex(ins, "node-name", &v) &&
            json_object_is_type(v, json_type_string))
            *idx = nodeNameIndex(json_object_get_string(v));
        break;
    }
    return 0;
}

/* The node index recorded in the live XML (<source index='N'/>), or -1. */
static int
diskRecordedIndex(const mvDomainDiskDef *d)
{
    g_autofree char *s = mvXMLChildProp(d->dev.node, "source", "index");
    return s ? atoi(s) : -1;
}

static void
diskRecordIndex(mvDomainDiskDef *d, int idx)
{
    xmlNode *src = mvXMLChild(d->dev.node, "source");
    char buf[16];

    if (!src)
        return;
    if (idx > 0) {
        g_snprintf(buf, sizeof(buf), "%d", idx);
        mvXMLSetProp(src, "index", buf);
    } else {
        mvXMLSetProp(src, "index", NULL);
    }
}

/* (monitor section) Delete the two nodes of index @idx; errors are logged. */
static void
monDelDiskNodes(qemuMonitor *mon, const char *domname, int idx)
{
    g_autofree char *fmt = g_strdup_printf("libvirt-%d-format", idx);
    g_autofree char *storage = g_strdup_printf("libvirt-%d-storage", idx);

    if (idx <= 0)
        return;
    if (qemuMonitorBlockdevDel(mon, fmt) < 0) {
        g_autoptr(mvError) err = mvErrorSteal();
        MV_WARN("domain %s: blockdev-del %s: %s", domname, fmt, err ? err->message : "?");
    }
    if (qemuMonitorBlockdevDel(mon, storage) < 0) {
        g_autoptr(mvError) err = mvErrorSteal();
        MV_WARN("domain %s: blockdev-del %s: %s", domname, storage, err ? err->message : "?");
    }
}

/* The -blockdev objects of qemu_command.c, as QMP arguments. */
static int
diskBlockdevProps(const mvDomainDiskDef *d, int idx, json_object *out[2])
{
    char *props[2];

    out[0] = out[1] = NULL;
    if (qemuBuildDiskBlockdevProps(d, (size_t)idx, props) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        out[i] = json_tokener_parse(props[i]);
        g_free(props[i]);
    }
    if (!out[0] || !out[1]) {
        json_object_put(out[0]);
        json_object_put(out[1]);
        mvReportError(MV_ERR_INTERNAL_ERROR, "invalid -blockdev properties of disk '%s'", d->dst);
        return -1;
    }
    return 0;
}

/* (monitor section) blockdev-add the storage + format nodes of @d. */
static int
monAddDiskNodes(qemuMonitor *mon, const char *domname, const mvDomainDiskDef *d, int idx)
{
    g_autofree char *storage = g_strdup_printf("libvirt-%d-storage", idx);
    json_object *props[2];

    if (diskBlockdevProps(d, idx, props) < 0)
        return -1;
    if (qemuMonitorBlockdevAdd(mon, props[0]) < 0) {
        json_object_put(props[1]);
        return -1;
    }
    if (qemuMonitorBlockdevAdd(mon, props[1]) < 0) {
        g_autoptr(mvError) err = mvErrorSteal();
        if (qemuMonitorBlockdevDel(mon, storage) < 0) {
            g_autoptr(mvError) err2 = mvErrorSteal();
            MV_WARN("domain %s: blockdev-del %s: %s", domname, storage,
                    err2 ? err2->message : "?");
        }
        mvErrorRestore(g_steal_pointer(&err));
        return -1;
    }
    return 0;
}

/* ---- disks ----------------------------------------------------------------- */

static int changeMedia(qemuDomainObj *obj, mvDomainDiskDef *orig, const mvDomainDiskDef *disk,
                       gboolean force);

static int
attachDiskLive(qemuDomainObj *obj, mvDomainDiskDef *disk, const mvQemuCaps *caps)
{
    mvDomainDiskDef *orig;
    g_autofree char *alias = NULL;
    g_autofree char *name = g_strdup(obj->def->name);
    g_autoptr(json_object) devprops = NULL;
    qemuMonitor *mon;
    int idx = 0;
    int rc;

    if (strEq(disk->device, "cdrom") || strEq(disk->device, "floppy")) {
        /* an existing removable drive: attach-device changes its media */
        if ((orig = findDiskByDst(obj->def, disk->dst))) {
            rc = changeMedia(obj, orig, disk, FALSE);
            mvDomainDeviceDefFree(&disk->dev);
            return rc;
        }
    }
    if (strEq(disk->device, "lun")) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s",
                      "disk device='lun' is not supported by this QEMU driver");
        goto error;
    }
    if (findDiskByDst(obj->def, disk->dst)) {
        mvReportError(MV_ERR_OPERATION_FAILED, "target %s already exists", disk->dst);
        goto error;
    }
    if (!strEq(disk->bus, "virtio") && !strEq(disk->bus, "scsi") && !strEq(disk->bus, "usb")) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "disk bus '%s' cannot be hotplugged.",
                      disk->bus ? disk->bus : "");
        goto error;
    }
    if (!disk->src && !strEq(disk->device, "cdrom")) {
        mvReportError(MV_ERR_NO_SOURCE, "%s", disk->dst);
        goto error;
    }
    if (diskSourceCheck(disk) < 0)
        goto error;
    if (!(disk = (mvDomainDiskDef *)prepareLiveDevice(obj, &disk->dev, caps)))
        return -1;

    if (disk->src) {
        if (!(mon = enterMonitor(obj)))
            goto error;
        rc = monNextNodeIndex(mon, &idx);
        if (exitMonitor(obj, mon) < 0 || rc < 0)
            goto error;
    }
    if (!(devprops = diskDeviceProps(obj->def, disk, idx)))
        goto error;
    alias = qemuDeviceGetAlias(&disk->dev);

    if (!(mon = enterMonitor(obj)))
        goto error;
    rc = 0;
    if (disk->src)
        rc = monAddDiskNodes(mon, name, disk, idx);
    if (rc == 0 && (rc = qemuMonitorDeviceAdd(mon, json_object_get(devprops))) < 0 && disk->src) {
        g_autoptr(mvError) err = mvErrorSteal();
        monDelDiskNodes(mon, name, idx);
        mvErrorRestore(g_steal_pointer(&err));
    }
    if (exitMonitor(obj, mon) < 0 || rc < 0)
        goto error;

    if (disk->src)
        diskRecordIndex(disk, idx);
    if (mvDomainDefAddDevice(obj->def, &disk->dev) < 0) {
        warnAndReset(obj->def, "hotplugged disk not recorded in the live XML");
        mvDomainDeviceDefFree(&disk->dev);
    }
    MV_INFO("domain %s: attached disk %s (%s)", name, disk->dst, alias);
    return 0;

 error:
    mvDomainDeviceDefFree(&disk->dev);
    return -1;
}

/* Change or eject the medium of removable drive @orig (in the live def) to
 * the source of @disk (not taken). */
static int
changeMedia(qemuDomainObj *obj, mvDomainDiskDef *orig, const mvDomainDiskDef *disk,
            gboolean force)
{
    g_autofree char *alias = qemuDeviceGetAlias(&orig->dev);
    g_autofree char *name = g_strdup(obj->def->name);
    mvDomainDiskDef tmp = *disk;
    qemuMonitor *mon;
    int oldIdx = -1, newIdx = 0;
    int rc = -1;

    if (!strEq(orig->device, "cdrom") && !strEq(orig->device, "floppy")) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s", "cannot modify field 'source' of the disk");
        return -1;
    }
    if (!strEq(orig->device, disk->device)) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s", "cannot modify field 'device' of the disk");
        return -1;
    }
    if (!alias) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "disk '%s' has no alias", orig->dst);
        return -1;
    }
    if (diskSourceCheck(disk) < 0)
        return -1;
    /* the format/cache come from the new XML; bus/device from the drive */
    tmp.device = orig->device;
    if (!force && g_strcmp0(orig->src, disk->src) == 0 && g_strcmp0(orig->type, disk->type) == 0)
        return 0;

    if (!(mon = enterMonitor(obj)))
        return -1;
    oldIdx = diskRecordedIndex(orig);
    if ((orig->src && oldIdx <= 0 && monDiskNodeIndex(mon, alias, &oldIdx) < 0) ||
        (disk->src && monNextNodeIndex(mon, &newIdx) < 0))
        goto exit;
    if (qemuMonitorBlockdevOpenTray(mon, alias, TRUE) < 0 ||
        qemuMonitorBlockdevRemoveMedium(mon, alias) < 0)
        goto exit;
    monDelDiskNodes(mon, name, oldIdx);
    if (disk->src) {
        g_autofree char *fmt = g_strdup_printf("libvirt-%d-format", newIdx);
        if (monAddDiskNodes(mon, name, &tmp, newIdx) < 0)
            goto exit;
        if (qemuMonitorBlockdevInsertMedium(mon, alias, fmt) < 0) {
            g_autoptr(mvError) err = mvErrorSteal();
            monDelDiskNodes(mon, name, newIdx);
            mvErrorRestore(g_steal_pointer(&err));
            goto exit;
        }
    }
    if (qemuMonitorBlockdevCloseTray(mon, alias) < 0) {
        g_autoptr(mvError) err = mvErrorSteal();
        MV_WARN("domain %s: blockdev-close-tray %s: %s", name, alias, err ? err->message : "?");
    }
    rc = 0;
 exit:
    if (exitMonitor(obj, mon) < 0)
        rc = -1;
    if (rc < 0)
        return -1;

    /* the live definition follows */
    g_free(orig->src);
    orig->src = g_strdup(disk->src);
    if (disk->type) {
        g_free(orig->type);
        orig->type = g_strdup(disk->type);
    }
    g_free(orig->driverType);
    orig->driverType = g_strdup(disk->driverType);
    if (!orig->src) {
        mvXMLRemoveChildren(orig->dev.node, "source");
    } else {
        const char *key = strEq(orig->type, "block") ? "dev" : "file";
        xmlNode *src;
        mvXMLRemoveChildren(orig->dev.node, "source");
        src = mvXMLEnsureChild(orig->dev.node, "source");
        mvXMLSetProp(src, key, orig->src);
        diskRecordIndex(orig, newIdx);
    }
    MV_INFO("domain %s: %s medium of %s: %s", name, disk->src ? "changed" : "ejected",
            orig->dst, disk->src ? disk->src : "-");
    return 0;
}

/* ---- interfaces -------------------------------------------------------------- */

/* Names of the taps this process created (only those are ever deleted: a
 * <target dev> naming somebody else's interface must survive a failed
 * start).  Taps are not persistent, so the ones of guests found again
 * after a restart vanish with their QEMU anyway. */
static GMutex tapsLock;
static GHashTable *createdTaps;

static void
tapRegister(const char *ifname)
{
    g_mutex_lock(&tapsLock);
    if (!createdTaps)
        createdTaps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_hash_table_add(createdTaps, g_strdup(ifname));
    g_mutex_unlock(&tapsLock);
}

static gboolean
tapUnregister(const char *ifname)
{
    gboolean had;
    g_mutex_lock(&tapsLock);
    had = createdTaps && g_hash_table_remove(createdTaps, ifname);
    g_mutex_unlock(&tapsLock);
    return had;
}

static gboolean
netTapIsManaged(const mvDomainNetDef *net)
{
    g_autofree char *managed = mvXMLChildProp(net->dev.node, "target", "managed");
    return !strEq(managed, "no");
}

/* Create the tap of a bridge/ethernet interface; sets net->ifname. */
static int
netCreateTap(mvDomainNetDef *net, int *fd)
{
    unsigned int flags = netIsVirtio(net) ? MV_NETDEV_TAP_VNET_HDR : 0;
    char *ifname;

    if (!netlinkAvailable()) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED,
                      "interface type '%s' needs tap support, which this virtqemud was built "
                      "without (libnl)", net->type);
        return -1;
    }
    ifname = g_strdup(net->ifname);

    if (strEq(net->type, "bridge")) {
        if (!mvNetDevIsBridge(net->source) && mvNetDevGetMTU(net->source) < 0) {
            g_free(ifname);
            return -1;
        }
        if (mvNetDevTapCreateInBridge(net->source, &ifname, net->mac, fd, flags) < 0) {
            g_free(ifname);
            return -1;
        }
    } else if (!netTapIsManaged(net)) {
        /* a tap the user created: open it, change nothing */
        if (!ifname) {
            mvReportError(MV_ERR_XML_ERROR, "%s",
                          "target dev must be supplied when managed='no'");
            return -1;
        }
        if (mvNetDevTapCreate(&ifname, fd, flags) < 0) {
            g_free(ifname);
            return -1;
        }
    } else if (mvNetDevTapCreateInBridge(NULL, &ifname, net->mac, fd, flags) < 0) {
        g_free(ifname);
        return -1;
    }
    g_free(net->ifname);
    net->ifname = ifname;
    if (netTapIsManaged(net))
        tapRegister(ifname);
    return 0;
}

static void
netReleaseTap(const mvDomainNetDef *net)
{
    if (!netUsesTap(net) || !net->ifname || !tapUnregister(net->ifname))
        return;
    if (strEq(net->type, "bridge") && mvNetDevExists(net->ifname) &&
        mvNetDevBridgeRemovePort(net->source, net->ifname) < 0)
        mvErrorReset();
    if (mvNetDevExists(net->ifname) && mvNetDevDelete(net->ifname) < 0)
        mvErrorReset();
}

static int
netTypeCheck(const mvDomainNetDef *net, const char *what)
{
    if (strEq(net->type, "user") || netUsesTap(net))
        return 0;
    if (strEq(net->type, "network")) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED,
                      "interface type 'network' (network '%s') needs virtnetworkd, which this "
                      "virtqemud cannot reach yet", net->source ? net->source : "");
        return -1;
    }
    mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s of interface type '%s' is not supported",
                  what, net->type);
    return -1;
}

static int
attachNetLive(qemuDomainObj *obj, mvDomainNetDef *net, const mvQemuCaps *caps)
{
    g_autofree char *name = g_strdup(obj->def->name);
    g_autofree char *hostid = NULL;
    g_autofree char *fdname = NULL;
    g_autoptr(json_object) netdev = NULL;
    g_autoptr(json_object) devprops = NULL;
    g_autofree char *vhost = NULL;
    qemuMonitor *mon;
    int tapfd = -1;
    int rc = -1;

    if (netTypeCheck(net, "live attach") < 0)
        goto error;
    if (!(net = (mvDomainNetDef *)prepareLiveDevice(obj, &net->dev, caps)))
        return -1;
    if (caps && !mvQemuCapsHasType(caps, qemuNetDeviceDriver(net->model))) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                      "The '%s' device is not supported by this QEMU binary", qemuNetDeviceDriver(net->model));
        goto error;
    }
    hostid = g_strdup_printf("host%s", net->alias);
    vhost = mvXMLChildProp(net->dev.node, "driver", "name");

    netdev = json_object_new_object();
    if (netUsesTap(net)) {
        if (netCreateTap(net, &tapfd) < 0)
            goto error;
        fdname = g_strdup_printf("fd-%s", net->alias);
        jsonStr(netdev, "type", "tap");
        jsonStr(netdev, "fd", fdname);
        if (strEq(vhost, "vhost"))
            json_object_object_add(netdev, "vhost", json_object_new_boolean(TRUE));
    } else {
        jsonStr(netdev, "type", "user");
    }
    jsonStr(netdev, "id", hostid);

    devprops = json_object_new_object();
    jsonStr(devprops, "driver", qemuNetDeviceDriver(net->model));
    jsonStr(devprops, "netdev", hostid);
    jsonStr(devprops, "id", net->alias);
    jsonStr(devprops, "mac", net->mac);
    if (net->bootIndex)
        json_object_object_add(devprops, "bootindex", json_object_new_int((int)net->bootIndex));
    addPCIProps(obj->def, net->dev.node, devprops);

    if (!(mon = enterMonitor(obj)))
        goto error;
    if (tapfd >= 0 && qemuMonitorGetFD(mon, tapfd, fdname) < 0)
        goto exit;
    if (qemuMonitorNetdevAdd(mon, json_object_get(netdev)) < 0) {
        if (tapfd >= 0) {
            g_autoptr(mvError) err = mvErrorSteal();
            if (qemuMonitorCloseFD(mon, fdname) < 0)
                mvErrorReset();
            mvErrorRestore(g_steal_pointer(&err));
        }
        goto exit;
    }
    if (qemuMonitorDeviceAdd(mon, json_object_get(devprops)) < 0) {
        g_autoptr(mvError) err = mvErrorSteal();
        if (qemuMonitorNetdevDel(mon, hostid) < 0)
            mvErrorReset();
        mvErrorRestore(g_steal_pointer(&err));
        goto exit;
    }
    rc = 0;
 exit:
    if (exitMonitor(obj, mon) < 0)
        rc = -1;
    if (tapfd >= 0) {
        close(tapfd);
        tapfd = -1;
    }
    if (rc < 0)
        goto error;

    if (mvDomainDefAddDevice(obj->def, &net->dev) < 0) {
        warnAndReset(obj->def, "hotplugged interface not recorded in the live XML");
        mvDomainDeviceDefFree(&net->dev);
    }
    MV_INFO("domain %s: attached interface %s", name, hostid + 4);
    return 0;

 error:
    {
        g_autoptr(mvError) err = mvErrorSteal();
        if (tapfd >= 0)
            close(tapfd);
        netReleaseTap(net);
        mvDomainDeviceDefFree(&net->dev);
        mvErrorRestore(g_steal_pointer(&err));
    }
    return -1;
}

/* ---- the removal, when QEMU reports the device gone -------------------------------- */

static void
emitDeviceRemoved(qemuDomainObj *obj, const char *alias)
{
    remote_domain_event_callback_device_removed_msg msg = { 0 };

    mvRemoteMakeDomain(&msg.msg.dom, obj->def->name, obj->def->uuid, obj->def->id);
    msg.msg.devAlias = (char *)alias;
    mvRemoteEmitDomainEvent(VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, obj->def->uuid,
                            REMOTE_PROC_DOMAIN_EVENT_CALLBACK_DEVICE_REMOVED,
                            (xdrproc_t)xdr_remote_domain_event_callback_device_removed_msg,
                            &msg, &msg.callbackID);
    g_free(msg.msg.dom.name);
}

/* Backends of @dev (in the live def), then @dev itself; event + status. */
static void
removeDevice(qemuDomainObj *obj, mvDomainDeviceDef *dev, const char *alias)
{
    g_autofree char *name = g_strdup(obj->def->name);
    mvDomainDeviceDef *removed;
    qemuMonitor *mon;

    if (dev->kind == MV_DOMAIN_DEVICE_DISK) {
        int idx = diskRecordedIndex((mvDomainDiskDef *)dev);
        if (idx > 0 && (mon = enterMonitor(obj))) {
            monDelDiskNodes(mon, name, idx);
            if (exitMonitor(obj, mon) < 0) {
                mvErrorReset();
                return;
            }
        }
    } else if (dev->kind == MV_DOMAIN_DEVICE_NET) {
        g_autofree char *hostid = g_strdup_printf("host%s", alias);
        if ((mon = enterMonitor(obj))) {
            if (qemuMonitorNetdevDel(mon, hostid) < 0) {
                g_autoptr(mvError) err = mvErrorSteal();
                MV_WARN("domain %s: netdev_del %s: %s", name, hostid, err ? err->message : "?");
            }
            if (exitMonitor(obj, mon) < 0) {
                mvErrorReset();
                return;
            }
        }
        /* the device may have moved in the list while the lock was dropped */
        if (!(dev = findByAlias(obj->def, alias)))
            return;
        netReleaseTap((mvDomainNetDef *)dev);
    }
    mvErrorReset();
    if (!(dev = findByAlias(obj->def, alias)))
        return;
    if ((removed = mvDomainDefRemoveDevice(obj->def, dev)))
        mvDomainDeviceDefFree(removed);
    else
        mvErrorReset();
    MV_INFO("domain %s: device %s removed", name, alias);
    emitDeviceRemoved(obj, alias);
    if (qemuProcessSaveStatus(obj) < 0)
        warnAndReset(obj->def, "cannot save status");
}

/* ---- waiting for DEVICE_DELETED ------------------------------------------------ */

struct qemuHotplugWaiter {
    qemuDomainObj *obj;
    char *alias;
    gboolean done;   /* written and read under obj->lock */
    GCond cond;
};

static GMutex waitersLock;
static GList *waiters;

static qemuHotplugWaiter *
waiterNew(qemuDomainObj *obj, const char *alias)
{
    qemuHotplugWaiter *w = g_new0(qemuHotplugWaiter, 1);
    w->obj = obj;
    w->alias = g_strdup(alias);
    g_cond_init(&w->cond);
    g_mutex_lock(&waitersLock);
    waiters = g_list_prepend(waiters, w);
    g_mutex_unlock(&waitersLock);
    return w;
}

static void
waitersWake(qemuDomainObj *obj, const char *alias)
{
    g_mutex_lock(&waitersLock);
    for (GList *l = waiters; l; l = l->next) {
        qemuHotplugWaiter *w = l->data;
        if (w->obj == obj && strEq(w->alias, alias)) {
            w->done = TRUE;
            g_cond_broadcast(&w->cond);
        }
    }
    g_mutex_unlock(&waitersLock);
}

void
qemuHotplugWaiterWait(qemuDomainObj *obj, qemuHotplugWaiter *w)
{
    gint64 deadline;

    if (!w)
        return;
    deadline = g_get_monotonic_time() + (gint64)QEMU_UNPLUG_TIMEOUT_MS * 1000;
    while (!w->done && !obj->removed && qemuDomainObjIsActive(obj)) {
        if (!g_cond_wait_until(&w->cond, &obj->lock, deadline))
            break;
    }
    if (!w->done)
        MV_INFO("domain %s: removal of %s still pending after %d ms", obj->def->name, w->alias,
                QEMU_UNPLUG_TIMEOUT_MS);
    g_mutex_lock(&waitersLock);
    waiters = g_list_remove(waiters, w);
    g_mutex_unlock(&waitersLock);
    g_cond_clear(&w->cond);
    g_free(w->alias);
    g_free(w);
}

void
qemuDomainHandleDeviceEvent(qemuDomainObj *obj, const char *name, json_object *data)
{
    json_object *v;
    const char *alias;
    mvDomainDeviceDef *dev;

    if (!strEq(name, "DEVICE_DELETED"))
        return;
    /* backends of a device (".../virtio-backend") come without "device" */
    if (!data || !json_object_object_get_ex(data, "device", &v) ||
        !json_object_is_type(v, json_type_string))
        return;
    alias = json_object_get_string(v);
    if (!alias || !*alias)
        return;
    {
        g_autofree char *a = g_strdup(alias);
        if ((dev = findByAlias(obj->def, a)))
            removeDevice(obj, dev, a);
        waitersWake(obj, a);
    }
}

/* ---- detach ------------------------------------------------------------------------- */

/* The live device matching @dev (parsed from the API's XML), or NULL + error. */
static mvDomainDeviceDef *
findLiveMatch(mvDomainDef *def, mvDomainDeviceDef *dev, gboolean macGiven)
{
    if (dev->kind == MV_DOMAIN_DEVICE_DISK) {
        mvDomainDiskDef *d = findDiskByDst(def, ((mvDomainDiskDef *)dev)->dst);
        if (!d)
            mvReportError(MV_ERR_DEVICE_MISSING, "disk %s not found", ((mvDomainDiskDef *)dev)->dst);
        return d ? &d->dev : NULL;
    }
    if (dev->kind == MV_DOMAIN_DEVICE_NET) {
        int i = findNetIdx(def, (mvDomainNetDef *)dev, macGiven);
        return i < 0 ? NULL : &def->nets[i]->dev;
    }
    mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "live detach of device '%s' is not supported",
                  kindName(dev));
    return NULL;
}

/* device_del of @live (a device of the live def); returns its alias. */
static char *
detachLive(qemuDomainObj *obj, mvDomainDeviceDef *live)
{
    g_autofree char *alias = qemuDeviceGetAlias(live);
    qemuMonitor *mon;
    int rc, idx = -1;

    if (live->kind == MV_DOMAIN_DEVICE_DISK) {
        mvDomainDiskDef *d = (mvDomainDiskDef *)live;
        if (!strEq(d->bus, "virtio") && !strEq(d->bus, "scsi") && !strEq(d->bus, "usb")) {
            mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "disk bus '%s' cannot be hotunplugged.",
                          d->bus ? d->bus : "");
            return NULL;
        }
    } else if (live->kind != MV_DOMAIN_DEVICE_NET) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "live detach of device '%s' is not supported",
                      kindName(live));
        return NULL;
    }
    if (!alias) {
        mvReportError(MV_ERR_OPERATION_FAILED, "%s", "device alias not found");
        return NULL;
    }
    if (!(mon = enterMonitor(obj)))
        return NULL;
    rc = 0;
    if (live->kind == MV_DOMAIN_DEVICE_DISK && ((mvDomainDiskDef *)live)->src &&
        diskRecordedIndex((mvDomainDiskDef *)live) <= 0)
        rc = monDiskNodeIndex(mon, alias, &idx);
    if (rc == 0)
        rc = qemuMonitorDeviceDel(mon, alias);
    if (exitMonitor(obj, mon) < 0 || rc < 0)
        return NULL;
    /* remember the nodes for the removal (the def may have changed meanwhile) */
    if (idx > 0 && (live = findByAlias(obj->def, alias)) && live->kind == MV_DOMAIN_DEVICE_DISK)
        diskRecordIndex((mvDomainDiskDef *)live, idx);
    return g_steal_pointer(&alias);
}

/* ---- persistent config ------------------------------------------------------------- */

/* Replace the persistent definition with @vmdef (taken) and save it. */
static int
configCommit(qemuDomainObj *obj, mvDomainDef *vmdef)
{
    mvDomainDef **slot = obj->newDef ? &obj->newDef : &obj->def;
    mvDomainDef *old = *slot;

    if (slot == &obj->def && qemuDomainObjIsActive(obj)) {
        /* a running persistent domain always has newDef; be safe */
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "no persistent definition to update");
        mvDomainDefFree(vmdef);
        return -1;
    }
    if (slot == &obj->def)
        vmdef->id = -1;
    *slot = vmdef;
    if (qemuDomainObjSaveConfig(qemu_driver->domains, obj) < 0) {
        *slot = old;
        mvDomainDefFree(vmdef);
        return -1;
    }
    mvDomainDefFree(old);
    return 0;
}

static gboolean
configAttachable(mvDomainDeviceKind k)
{
    switch (k) {
    case MV_DOMAIN_DEVICE_DISK: case MV_DOMAIN_DEVICE_NET: case MV_DOMAIN_DEVICE_CONTROLLER:
    case MV_DOMAIN_DEVICE_FS: case MV_DOMAIN_DEVICE_SERIAL: case MV_DOMAIN_DEVICE_PARALLEL:
    case MV_DOMAIN_DEVICE_CONSOLE: case MV_DOMAIN_DEVICE_CHANNEL: case MV_DOMAIN_DEVICE_INPUT:
    case MV_DOMAIN_DEVICE_SOUND: case MV_DOMAIN_DEVICE_HOSTDEV: case MV_DOMAIN_DEVICE_REDIRDEV:
    case MV_DOMAIN_DEVICE_WATCHDOG: case MV_DOMAIN_DEVICE_RNG: case MV_DOMAIN_DEVICE_MEMORY:
    case MV_DOMAIN_DEVICE_SHMEM: case MV_DOMAIN_DEVICE_VSOCK: case MV_DOMAIN_DEVICE_LEASE:
    case MV_DOMAIN_DEVICE_TPM:
        return TRUE;
    default:
        return FALSE;
    }
}

/* Parse @xml for the persistent config, apply @op, post-parse, and return
 * the new definition (not committed). */
static mvDomainDef *
configAttach(qemuDomainObj *obj, const char *xml)
{
    g_autoptr(mvDomainDef) vmdef = mvDomainDefCopy(qemuDomainObjGetPersistentDef(obj));
    g_autoptr(mvDomainDeviceDef) dev = NULL;

    if (!vmdef)
        return NULL;
    if (!(dev = mvDomainDeviceDefParseString(xml, vmdef, MV_DOMAIN_DEF_PARSE_INACTIVE)))
        return NULL;
    if (!configAttachable(dev->kind)) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "persistent attach of device '%s' is not supported",
                      kindName(dev));
        return NULL;
    }
    if (dev->kind == MV_DOMAIN_DEVICE_DISK && findDiskByDst(vmdef, ((mvDomainDiskDef *)dev)->dst)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "target %s already exists",
                      ((mvDomainDiskDef *)dev)->dst);
        return NULL;
    }
    if (mvDomainDefAddDevice(vmdef, dev) < 0)
        return NULL;
    dev = NULL;
    if (qemuDriverPostParse(vmdef) < 0)
        return NULL;
    return g_steal_pointer(&vmdef);
}

static mvDomainDef *
configDetach(qemuDomainObj *obj, const char *xml, const char *alias)
{
    g_autoptr(mvDomainDef) vmdef = mvDomainDefCopy(qemuDomainObjGetPersistentDef(obj));
    g_autoptr(mvDomainDeviceDef) dev = NULL;
    mvDomainDeviceDef *match = NULL;
    mvDomainDeviceDef *removed;

    if (!vmdef)
        return NULL;
    if (alias) {
        if (!(match = findByAlias(vmdef, alias))) {
            mvReportError(MV_ERR_DEVICE_MISSING, "no device found with alias %s", alias);
            return NULL;
        }
    } else {
        if (!(dev = mvDomainDeviceDefParseString(xml, vmdef, MV_DOMAIN_DEF_PARSE_INACTIVE)))
            return NULL;
        if (dev->kind == MV_DOMAIN_DEVICE_DISK) {
            mvDomainDiskDef *d = findDiskByDst(vmdef, ((mvDomainDiskDef *)dev)->dst);
            if (!d) {
                mvReportError(MV_ERR_DEVICE_MISSING, "no target device %s",
                              ((mvDomainDiskDef *)dev)->dst);
                return NULL;
            }
            match = &d->dev;
        } else if (dev->kind == MV_DOMAIN_DEVICE_NET) {
            int i = findNetIdx(vmdef, (mvDomainNetDef *)dev, xmlHasMac(xml));
            if (i < 0)
                return NULL;
            match = &vmdef->nets[i]->dev;
        } else {
            match = dev;
        }
    }
    if (!(removed = mvDomainDefRemoveDevice(vmdef, match))) {
        if (match == dev) {
            mvErrorReset();
            mvReportError(MV_ERR_DEVICE_MISSING, "matching %s device was not found", kindName(dev));
        }
        return NULL;
    }
    mvDomainDeviceDefFree(removed);
    return g_steal_pointer(&vmdef);
}

static mvDomainDef *
configUpdate(qemuDomainObj *obj, const char *xml)
{
    g_autoptr(mvDomainDef) vmdef = mvDomainDefCopy(qemuDomainObjGetPersistentDef(obj));
    g_autoptr(mvDomainDeviceDef) dev = NULL;

    if (!vmdef)
        return NULL;
    if (!(dev = mvDomainDeviceDefParseString(xml, vmdef, MV_DOMAIN_DEF_PARSE_INACTIVE)))
        return NULL;
    if (dev->kind == MV_DOMAIN_DEVICE_DISK) {
        mvDomainDiskDef *nd = (mvDomainDiskDef *)dev;
        mvDomainDiskDef *orig = findDiskByDst(vmdef, nd->dst);
        if (!orig) {
            mvReportError(MV_ERR_INVALID_ARG, "target %s doesn't exist.", nd->dst);
            return NULL;
        }
        g_free(orig->src);
        orig->src = g_strdup(nd->src);
        g_free(orig->type);
        orig->type = g_strdup(nd->type);
        g_free(orig->driverType);
        orig->driverType = g_strdup(nd->driverType);
        mvXMLRemoveChildren(orig->dev.node, "source");
        if (nd->src) {
            xmlNode *s = mvXMLChild(nd->dev.node, "source");
            xmlNode *copy = s ? xmlDocCopyNode(s, orig->dev.node->doc, 1) : NULL;
            if (copy) {
                xmlUnsetProp(copy, BAD_CAST "index");
                xmlAddChild(orig->dev.node, copy);
            }
        }
    } else if (dev->kind == MV_DOMAIN_DEVICE_NET) {
        int i = findNetIdx(vmdef, (mvDomainNetDef *)dev, xmlHasMac(xml));
        mvDomainDeviceDef *old;
        if (i < 0)
            return NULL;
        if (!mvXMLChild(dev->node, "address")) {
            xmlNode *a = mvXMLChild(vmdef->nets[i]->dev.node, "address");
            if (a)
                xmlAddChild(dev->node, xmlDocCopyNode(a, dev->node->doc, 1));
        }
        if (!(old = mvDomainDefRemoveDevice(vmdef, &vmdef->nets[i]->dev)))
            return NULL;
        mvDomainDeviceDefFree(old);
        if (mvDomainDefAddDevice(vmdef, dev) < 0)
            return NULL;
        dev = NULL;
    } else {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "persistent update of device '%s' is not supported",
                      kindName(dev));
        return NULL;
    }
    if (qemuDriverPostParse(vmdef) < 0)
        return NULL;
    return g_steal_pointer(&vmdef);
}

/* ---- the API entry points ------------------------------------------------------------ */

int
qemuDomainAttachDeviceFlags(qemuDomainObj *obj, const char *xml, unsigned int flags)
{
    g_autoptr(mvDomainDef) vmdef = NULL;

    /* validate the config change first, apply it after the live one */
    if ((flags & QEMU_DEVICE_AFFECT_CONFIG) && !(vmdef = configAttach(obj, xml)))
        return -1;

    if (flags & QEMU_DEVICE_AFFECT_LIVE) {
        g_autoptr(mvQemuCaps) caps = NULL;
        mvDomainDeviceDef *dev;

        if (!(dev = mvDomainDeviceDefParseString(xml, obj->def, MV_DOMAIN_DEF_PARSE_INACTIVE)))
            return -1;
        if (!(caps = capsForDef(obj->def))) {
            mvDomainDeviceDefFree(dev);
            return -1;
        }
        switch (dev->kind) {
        case MV_DOMAIN_DEVICE_DISK:
            if (attachDiskLive(obj, (mvDomainDiskDef *)dev, caps) < 0)
                return -1;
            break;
        case MV_DOMAIN_DEVICE_NET:
            if (attachNetLive(obj, (mvDomainNetDef *)dev, caps) < 0)
                return -1;
            break;
        default:
            mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "live attach of device '%s' is not supported",
                          kindName(dev));
            mvDomainDeviceDefFree(dev);
            return -1;
        }
        if (qemuProcessSaveStatus(obj) < 0)
            warnAndReset(obj->def, "cannot save status");
    }
    if (vmdef && configCommit(obj, g_steal_pointer(&vmdef)) < 0)
        return -1;
    return 0;
}

int
qemuDomainDetachDeviceFlags(qemuDomainObj *obj, const char *xml, const char *alias,
                            unsigned int flags, qemuHotplugWaiter **waiter)
{
    g_autoptr(mvDomainDef) vmdef = NULL;
    g_autofree char *liveAlias = NULL;

    *waiter = NULL;
    if ((flags & QEMU_DEVICE_AFFECT_CONFIG) && !(vmdef = configDetach(obj, xml, alias)))
        return -1;

    if (flags & QEMU_DEVICE_AFFECT_LIVE) {
        mvDomainDeviceDef *live;
        if (alias) {
            if (!(live = findByAlias(obj->def, alias))) {
                mvReportError(MV_ERR_DEVICE_MISSING, "no device found with alias %s", alias);
                return -1;
            }
        } else {
            g_autoptr(mvDomainDeviceDef) dev = NULL;
            if (!(dev = mvDomainDeviceDefParseString(xml, obj->def, MV_DOMAIN_DEF_PARSE_INACTIVE)))
                return -1;
            if (!(live = findLiveMatch(obj->def, dev, dev->kind == MV_DOMAIN_DEVICE_NET &&
                                                          xmlHasMac(xml))))
                return -1;
        }
        if (!(liveAlias = detachLive(obj, live)))
            return -1;
    }
    if (vmdef && configCommit(obj, g_steal_pointer(&vmdef)) < 0)
        return -1;
    if (liveAlias) {
        /* still in the live def: the removal is pending */
        if (findByAlias(obj->def, liveAlias))
            *waiter = waiterNew(obj, liveAlias);
    }
    return 0;
}

static int
updateNetLive(qemuDomainObj *obj, mvDomainNetDef *net, gboolean macGiven)
{
    mvDomainNetDef *orig;
    g_autofree char *state = mvXMLChildProp(net->dev.node, "link", "state");
    g_autofree char *oldState = NULL;
    g_autofree char *alias = NULL;
    qemuMonitor *mon;
    int i, rc;

    if ((i = findNetIdx(obj->def, net, macGiven)) < 0)
        return -1;
    orig = obj->def->nets[i];
    if (!strEq(orig->type, net->type) || g_strcmp0(orig->source, net->source) != 0 ||
        g_strcmp0(orig->model, net->model) != 0) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s",
                      "cannot modify network device configuration");
        return -1;
    }
    oldState = mvXMLChildProp(orig->dev.node, "link", "state");
    if (g_strcmp0(state ? state : "up", oldState ? oldState : "up") == 0)
        return 0;
    alias = g_strdup(orig->alias);
    if (!(mon = enterMonitor(obj)))
        return -1;
    {
        json_object *args = json_object_new_object();
        jsonStr(args, "name", alias);
        json_object_object_add(args, "up", json_object_new_boolean(!strEq(state, "down")));
        rc = qemuMonitorCommand(mon, "set_link", args, NULL, 0);
    }
    if (exitMonitor(obj, mon) < 0 || rc < 0)
        return -1;
    if ((orig = (mvDomainNetDef *)findByAlias(obj->def, alias)))
        mvXMLSetChildProp(orig->dev.node, "link", "state", state);
    return 0;
}

int
qemuDomainUpdateDeviceFlags(qemuDomainObj *obj, const char *xml, unsigned int flags)
{
    g_autoptr(mvDomainDef) vmdef = NULL;

    if ((flags & QEMU_DEVICE_AFFECT_CONFIG) && !(vmdef = configUpdate(obj, xml)))
        return -1;
    if (flags & QEMU_DEVICE_AFFECT_LIVE) {
        g_autoptr(mvDomainDeviceDef) dev = NULL;
        int rc;

        if (!(dev = mvDomainDeviceDefParseString(xml, obj->def, MV_DOMAIN_DEF_PARSE_INACTIVE)))
            return -1;
        if (dev->kind == MV_DOMAIN_DEVICE_DISK) {
            mvDomainDiskDef *d = (mvDomainDiskDef *)dev;
            mvDomainDiskDef *orig = findDiskByDst(obj->def, d->dst);
            if (!orig) {
                mvReportError(MV_ERR_INTERNAL_ERROR, "No device with bus '%s' and target '%s'",
                              d->bus ? d->bus : "", d->dst);
                return -1;
            }
            if (!strEq(orig->device, "cdrom") && !strEq(orig->device, "floppy")) {
                if (g_strcmp0(orig->src, d->src) != 0) {
                    mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s",
                                  "cannot modify field 'source' of the disk");
                    return -1;
                }
                rc = 0;
            } else {
                rc = changeMedia(obj, orig, d, (flags & QEMU_DEVICE_MODIFY_FORCE) != 0);
            }
        } else if (dev->kind == MV_DOMAIN_DEVICE_NET) {
            rc = updateNetLive(obj, (mvDomainNetDef *)dev, xmlHasMac(xml));
        } else {
            mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "live update of device '%s' is not supported",
                          kindName(dev));
            rc = -1;
        }
        if (rc < 0)
            return -1;
        if (qemuProcessSaveStatus(obj) < 0)
            warnAndReset(obj->def, "cannot save status");
    }
    if (vmdef && configCommit(obj, g_steal_pointer(&vmdef)) < 0)
        return -1;
    return 0;
}

/* ---- interfaces at start ------------------------------------------------------------------ */

int
qemuInterfacesPrepare(mvDomainDef *def, GHashTable **tapFds)
{
    g_autoptr(GHashTable) fds = g_hash_table_new(NULL, NULL);

    *tapFds = NULL;
    for (size_t i = 0; i < def->nnets; i++) {
        mvDomainNetDef *net = def->nets[i];
        int fd = -1;

        if (strEq(net->type, "network")) {
            mvReportError(MV_ERR_OPERATION_UNSUPPORTED,
                          "interface type 'network' (network '%s') needs virtnetworkd, which this "
                          "virtqemud cannot reach yet", net->source ? net->source : "");
            goto error;
        }
        if (!netUsesTap(net))
            continue;
        if (netTapIsManaged(net) && net->ifname && g_str_has_prefix(net->ifname, MV_NETDEV_TAP_PREFIX))
            g_clear_pointer(&net->ifname, g_free);   /* a stale generated name */
        if (netCreateTap(net, &fd) < 0)
            goto error;
        g_hash_table_insert(fds, GINT_TO_POINTER((int)i), GINT_TO_POINTER(fd));
    }
    if (g_hash_table_size(fds) > 0)
        *tapFds = g_steal_pointer(&fds);
    return 0;

 error:
    {
        g_autoptr(mvError) err = mvErrorSteal();
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, fds);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            close(GPOINTER_TO_INT(v));
            netReleaseTap(def->nets[GPOINTER_TO_INT(k)]);
        }
        mvErrorRestore(g_steal_pointer(&err));
    }
    return -1;
}

int *
qemuInterfacesTapFdArray(GHashTable *tapFds, size_t *n)
{
    GHashTableIter it;
    gpointer v;
    int *arr;

    *n = 0;
    if (!tapFds)
        return NULL;
    arr = g_new0(int, g_hash_table_size(tapFds) + 1);
    g_hash_table_iter_init(&it, tapFds);
    while (g_hash_table_iter_next(&it, NULL, &v))
        arr[(*n)++] = GPOINTER_TO_INT(v);
    return arr;
}

void
qemuInterfacesCloseFds(GHashTable *tapFds)
{
    GHashTableIter it;
    gpointer v;

    if (!tapFds)
        return;
    g_hash_table_iter_init(&it, tapFds);
    while (g_hash_table_iter_next(&it, NULL, &v))
        close(GPOINTER_TO_INT(v));
    g_hash_table_unref(tapFds);
}

void
qemuInterfacesCleanup(mvDomainDef *def)
{
    g_autoptr(mvError) err = mvErrorSteal();   /* keep the caller's error */

    for (size_t i = 0; i < def->nnets; i++)
        netReleaseTap(def->nets[i]);
    mvErrorReset();
    mvErrorRestore(g_steal_pointer(&err));
}

/* ---- graphics --------------------------------------------------------------------------- */

int
qemuDomainOpenGraphicsClient(qemuDomainObj *obj, unsigned int idx, int fd, gboolean skipauth)
{
    const char *protocol;
    mvDomainGraphicsDef *g;
    qemuMonitor *mon;
    int rc = -1;

    if (!qemuDomainObjIsActive(obj)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        return -1;
    }
    if (idx >= obj->def->ngraphics) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "No graphics backend with index %u", idx);
        return -1;
    }
    g = obj->def->graphics[idx];
    if (strEq(g->type, "vnc"))
        protocol = "vnc";
    else if (strEq(g->type, "spice"))
        protocol = "spice";
    else {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                      "Can only open VNC or SPICE graphics backends, not %s", g->type);
        return -1;
    }
    if (!(mon = enterMonitor(obj)))
        return -1;
    if (qemuMonitorGetFD(mon, fd, "graphicsfd") == 0) {
        json_object *args = json_object_new_object();
        jsonStr(args, "protocol", protocol);
        jsonStr(args, "fdname", "graphicsfd");
        json_object_object_add(args, "skipauth", json_object_new_boolean(skipauth));
        rc = qemuMonitorCommand(mon, "add_client", args, NULL, 0);
        if (rc < 0) {
            g_autoptr(mvError) err = mvErrorSteal();
            if (qemuMonitorCloseFD(mon, "graphicsfd") < 0)
                mvErrorReset();
            mvErrorRestore(g_steal_pointer(&err));
        }
    }
    if (exitMonitor(obj, mon) < 0)
        rc = -1;
    return rc;
}
