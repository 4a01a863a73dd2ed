/* QEMU driver post-parse at define time: defaults, implicit devices and
 * device addresses, as libvirt 9.0's qemu driver applies them.  The facts
 * (orders, defaults, messages) were taken from libvirt 9.0's observable
 * behaviour (virsh define + dumpxml against Debian's libvirtd 9.0.0) and
 * its test data; the code is ours. */
#define MV_FROM_THIS MV_FROM_QEMU
#include "qemu_postparse.h"

#include <string.h>
#include <sys/utsname.h>
#include <libxml/tree.h>

#include "util/error.h"
#include "xml/xmlutil.h"

#define PP_STREQ(a, b) (g_strcmp0((a), (b)) == 0)

typedef struct {
    mvDomainDef *def;
    const mvQemuCaps *caps;
    gboolean x86;
    gboolean i440fx;
    gboolean q35;
    gboolean hvm;
} ppCtx;

/* ===================================================================== */
/* small helpers                                                          */
/* ===================================================================== */

static gboolean
ppStrIn(const char *s, const char *const *list)
{
    if (!s)
        return FALSE;
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return TRUE;
    return FALSE;
}
#define PP_L(...) (const char *const[]){ __VA_ARGS__, NULL }

static gboolean
ppPropIs(const xmlNode *node, const char *name, const char *value)
{
    g_autofree char *v = node ? mvXMLProp(node, name) : NULL;
    return PP_STREQ(v, value);
}

/* QOM type probed?  Without a type list (probe failed to list them) we
 * assume the usual x86 devices are there. */
static gboolean
ppCapsHas(const ppCtx *ctx, const char *type)
{
    if (!ctx->caps->types || g_hash_table_size(ctx->caps->types) == 0)
        return TRUE;
    return mvQemuCapsHasType(ctx->caps, type);
}

static gboolean
ppMachineIsQ35(const char *m)
{
    return m && (g_str_has_prefix(m, "pc-q35") || strcmp(m, "q35") == 0);
}

static gboolean
ppMachineIsI440FX(const char *m)
{
    return m && (strcmp(m, "pc") == 0 || g_str_has_prefix(m, "pc-0.") ||
                 g_str_has_prefix(m, "pc-1.") || g_str_has_prefix(m, "pc-i440fx-") ||
                 g_str_has_prefix(m, "rhel"));
}

static mvDomainDeviceDef **
ppList(mvDomainDef *def, mvDomainDeviceKind kind, size_t *n)
{
    switch (kind) {
    case MV_DOMAIN_DEVICE_DISK: *n = def->ndisks; return (mvDomainDeviceDef **)def->disks;
    case MV_DOMAIN_DEVICE_NET: *n = def->nnets; return (mvDomainDeviceDef **)def->nets;
    case MV_DOMAIN_DEVICE_GRAPHICS: *n = def->ngraphics; return (mvDomainDeviceDef **)def->graphics;
    case MV_DOMAIN_DEVICE_SERIAL: *n = def->nserials; return (mvDomainDeviceDef **)def->serials;
    case MV_DOMAIN_DEVICE_PARALLEL: *n = def->nparallels; return (mvDomainDeviceDef **)def->parallels;
    case MV_DOMAIN_DEVICE_CONSOLE: *n = def->nconsoles; return (mvDomainDeviceDef **)def->consoles;
    case MV_DOMAIN_DEVICE_CHANNEL: *n = def->nchannels; return (mvDomainDeviceDef **)def->channels;
    default: *n = def->ndevs[kind]; return def->devs[kind];
    }
}

/* A new device of a generic kind, from XML, owned by def->doc (not yet in
 * any list).  We do not use mvDomainDefAddDevice: it re-sorts the
 * controllers, and libvirt appends its implicit ones at the end. */
static mvDomainDeviceDef *
ppDeviceNew(mvDomainDef *def, const char *xml)
{
    mvDomainDeviceDef *dev = mvDomainDeviceDefParseString(xml, def, MV_DOMAIN_DEF_PARSE_INACTIVE);
    xmlNode *old, *copy;
    if (!dev)
        return NULL;
    old = dev->node;
    copy = xmlDocCopyNode(old, def->doc, 1);
    if (old->doc && xmlDocGetRootElement(old->doc) == old) {
        xmlFreeDoc(old->doc);
    } else {
        xmlUnlinkNode(old);
        xmlFreeNode(old);
    }
    dev->node = copy;
    return dev;
}

static void
ppDeviceInsert(mvDomainDef *def, mvDomainDeviceDef *dev, size_t at)
{
    mvDomainDeviceKind k = dev->kind;
    size_t n = def->ndevs[k];
    if (at > n)
        at = n;
    def->devs[k] = g_renew(mvDomainDeviceDef *, def->devs[k], n + 1);
    memmove(&def->devs[k][at + 1], &def->devs[k][at], (n - at) * sizeof(mvDomainDeviceDef *));
    def->devs[k][at] = dev;
    def->ndevs[k] = n + 1;
}

static int
ppDeviceAppendXML(mvDomainDef *def, const char *xml)
{
    mvDomainDeviceDef *dev = ppDeviceNew(def, xml);
    if (!dev)
        return -1;
    ppDeviceInsert(def, dev, G_MAXSIZE);
    return 0;
}

static int
ppCtrlIndex(const xmlNode *c)
{
    unsigned int idx;
    g_autofree char *s = mvXMLProp(c, "index");
    if (!s || mvStrToUInt(s, 10, &idx) < 0 || idx > G_MAXINT)
        return -1;
    return (int)idx;
}

static mvDomainDeviceDef *
ppCtrlFind(mvDomainDef *def, const char *type, int idx)
{
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        if (ppPropIs(c->node, "type", type) && ppCtrlIndex(c->node) == idx)
            return c;
    }
    return NULL;
}

/* ===================================================================== */
/* machine, emulator, arch                                                */
/* ===================================================================== */

const char *
qemuPostParseHostArch(void)
{
    static char arch[64];
    struct utsname u;
    const char *a;
    if (arch[0])
        return arch;
    if (uname(&u) < 0)
        return "x86_64";
    if (strcmp(u.machine, "i386") == 0 || strcmp(u.machine, "i486") == 0 ||
        strcmp(u.machine, "i586") == 0 || strcmp(u.machine, "i686") == 0)
        a = "i686";
    else if (strcmp(u.machine, "arm64") == 0)
        a = "aarch64";
    else
        a = u.machine;
    g_strlcpy(arch, a, sizeof(arch));
    return arch;
}

static int
ppMachine(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;
    const mvQemuCaps *caps = ctx->caps;
    const mvQemuMachine *m;
    gboolean kvm = PP_STREQ(def->virtType, "kvm");

    if (!def->osMachine) {
        const mvQemuMachine *dm = (kvm && !caps->kvmSupported) ? NULL : mvQemuCapsDefaultMachine(caps);
        if (!dm) {
            mvReportError(MV_ERR_INVALID_ARG, "could not get preferred machine for %s type=%s",
                          def->emulator, def->virtType);
            return -1;
        }
        def->osMachine = g_strdup(dm->name);
    }
    if ((m = mvQemuCapsFindMachine(caps, def->osMachine)) && !PP_STREQ(m->name, def->osMachine) &&
        PP_STREQ(m->alias, def->osMachine)) {
        g_free(def->osMachine);
        def->osMachine = g_strdup(m->name);
    }
    return 0;
}

/* ===================================================================== */
/* CPU                                                                    */
/* ===================================================================== */

static void
ppCPU(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;
    xmlNode *cpu = NULL, *model, *topo;
    g_autofree char *mode = NULL;
    const char *defModel = PP_STREQ(ctx->caps->arch, "i686") ? "qemu32" : "qemu64";
    gboolean kvm = PP_STREQ(def->virtType, "kvm");

    for (size_t i = 0; i < def->extra->len; i++)
        if (mvXMLNodeIs(g_ptr_array_index(def->extra, i), "cpu"))
            cpu = g_ptr_array_index(def->extra, i);
    if (!cpu) {
        if (!ctx->x86)
            return;
        cpu = xmlNewDocNode(def->doc, NULL, BAD_CAST "cpu", NULL);
        g_ptr_array_add(def->extra, cpu);
    }
    mode = mvXMLProp(cpu, "mode");
    if (!mode || strcmp(mode, "custom") == 0) {
        model = mvXMLChild(cpu, "model");
        if (!model) {
            if (!ctx->x86)
                return;
            model = xmlNewChild(cpu, NULL, BAD_CAST "model", BAD_CAST defModel);
            mvXMLSetProp(model, "fallback", "forbid");
            mvXMLSetProp(cpu, "mode", "custom");
            mvXMLSetProp(cpu, "match", "exact");
            mvXMLSetProp(cpu, "check", "none");
        } else {
            if (!mode)
                mvXMLSetProp(cpu, "mode", "custom");
            if (!xmlHasProp(cpu, BAD_CAST "match"))
                mvXMLSetProp(cpu, "match", "exact");
            if (!xmlHasProp(cpu, BAD_CAST "check"))
                mvXMLSetProp(cpu, "check", kvm ? "partial" : "none");
            if (!xmlHasProp(model, BAD_CAST "fallback"))
                mvXMLSetProp(model, "fallback", "allow");
        }
    } else if (strcmp(mode, "host-model") == 0) {
        if (!xmlHasProp(cpu, BAD_CAST "check"))
            mvXMLSetProp(cpu, "check", "partial");
    } else if (strcmp(mode, "host-passthrough") == 0 || strcmp(mode, "maximum") == 0) {
        if (!xmlHasProp(cpu, BAD_CAST "check"))
            mvXMLSetProp(cpu, "check", "none");
        if (!xmlHasProp(cpu, BAD_CAST "migratable"))
            mvXMLSetProp(cpu, "migratable", "on");
    }
    if ((topo = mvXMLChild(cpu, "topology")) && !xmlHasProp(topo, BAD_CAST "dies"))
        mvXMLSetProp(topo, "dies", "1");
}

/* ===================================================================== */
/* implicit devices                                                       */
/* ===================================================================== */

/* A controller as the generic parser adds it for a disk bus or a virtio
 * channel: type and index only. */
static gboolean
ppCtrlLooksImplicit(const xmlNode *c)
{
    g_autofree char *type = mvXMLProp(c, "type");
    if (!ppStrIn(type, PP_L("ide", "sata", "scsi", "fdc", "virtio-serial", "ccid")))
        return FALSE;
    if (c->children)
        return FALSE;
    for (xmlAttr *a = c->properties; a; a = a->next)
        if (!ppStrIn((const char *)a->name, PP_L("type", "index")))
            return FALSE;
    return TRUE;
}

/* x86 machines that get libvirt's default USB controller and balloon */
static gboolean
ppMachineHasDefaults(const ppCtx *ctx)
{
    return ctx->x86 && !PP_STREQ(ctx->def->osMachine, "isapc") &&
           !PP_STREQ(ctx->def->osMachine, "microvm");
}

static const char *
ppDefaultUSBModel(const ppCtx *ctx, gboolean autoAdded)
{
    if (autoAdded && ctx->q35) {
        if (ppCapsHas(ctx, "qemu-xhci"))
            return "qemu-xhci";
        if (ppCapsHas(ctx, "nec-usb-xhci"))
            return "nec-xhci";
        if (ppCapsHas(ctx, "ich9-usb-ehci1"))
            return "ich9-ehci1";
        return NULL;
    }
    if (ppCapsHas(ctx, "piix3-usb-uhci"))
        return "piix3-uhci";
    if (ppCapsHas(ctx, "pci-ohci"))
        return "pci-ohci";
    return NULL;
}

static int
ppInputs(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;
    gboolean haveMouse = FALSE, haveKbd = FALSE;

    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_INPUT]; i++) {
        xmlNode *n = def->devs[MV_DOMAIN_DEVICE_INPUT][i]->node;
        g_autofree char *type = mvXMLProp(n, "type");
        g_autofree char *bus = mvXMLProp(n, "bus");
        if (!bus && ctx->x86) {
            bus = g_strdup(PP_STREQ(type, "tablet") ? "usb" : "ps2");
            mvXMLSetProp(n, "bus", bus);
        }
        if (PP_STREQ(bus, "ps2") && PP_STREQ(type, "mouse"))
            haveMouse = TRUE;
        if (PP_STREQ(bus, "ps2") && PP_STREQ(type, "keyboard"))
            haveKbd = TRUE;
    }
    if (!ctx->x86)
        return 0;
    if (!haveMouse && ppDeviceAppendXML(def, "<input type='mouse' bus='ps2'/>") < 0)
        return -1;
    if (!haveKbd && ppDeviceAppendXML(def, "<input type='keyboard' bus='ps2'/>") < 0)
        return -1;
    return 0;
}

static int
ppDefaultControllers(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;
    size_t n = def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER];
    mvDomainDeviceDef **list = def->devs[MV_DOMAIN_DEVICE_CONTROLLER];
    size_t firstImplicit = n;
    g_autoptr(GPtrArray) implicit = g_ptr_array_new();
    mvDomainDeviceDef *pci0;
    const char *rootModel = ctx->q35 ? "pcie-root" : "pci-root";

    if (!ppMachineHasDefaults(ctx))
        return 0;

    /* The generic parser already added the controllers libvirt adds only
     * after this step (disk buses, virtio-serial); take the trailing run of
     * such controllers out and put them back after ours. */
    while (firstImplicit > 0 && ppCtrlLooksImplicit(list[firstImplicit - 1]->node))
        firstImplicit--;
    for (size_t i = firstImplicit; i < n; i++)
        g_ptr_array_add(implicit, list[i]);
    def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER] = firstImplicit;

    if (!ppCtrlFind(def, "usb", 0)) {
        const char *model = ppDefaultUSBModel(ctx, TRUE);
        if (model) {
            g_autofree char *xml = g_strdup_printf("<controller type='usb' index='0' model='%s'/>", model);
            if (ppDeviceAppendXML(def, xml) < 0)
                goto error;
        }
    }
    if (ctx->q35 && !ppCtrlFind(def, "sata", 0)) {
        mvDomainDeviceDef *sata = NULL;
        for (guint i = 0; i < implicit->len; i++) {
            mvDomainDeviceDef *c = g_ptr_array_index(implicit, i);
            if (ppPropIs(c->node, "type", "sata") && ppCtrlIndex(c->node) == 0) {
                sata = c;
                g_ptr_array_remove_index(implicit, i);
                break;
            }
        }
        if (sata)
            ppDeviceInsert(def, sata, G_MAXSIZE);
        else if (ppDeviceAppendXML(def, "<controller type='sata' index='0'/>") < 0)
            goto error;
    }
    if (!ctx->i440fx && !ctx->q35) {
        /* no PCI root of ours: devices wanting PCI fail like in libvirt */
    } else if ((pci0 = ppCtrlFind(def, "pci", 0))) {
        g_autofree char *model = mvXMLProp(pci0->node, "model");
        if (!PP_STREQ(model, rootModel)) {
            mvReportError(MV_ERR_XML_ERROR,
                          "The PCI controller with index='0' must be model='%s' for this machine type, "
                          "but model='%s' was found instead", rootModel, model ? model : "");
            goto error;
        }
    } else {
        g_autofree char *xml = g_strdup_printf("<controller type='pci' index='0' model='%s'/>", rootModel);
        if (ppDeviceAppendXML(def, xml) < 0)
            goto error;
    }
    for (guint i = 0; i < implicit->len; i++)
        ppDeviceInsert(def, g_ptr_array_index(implicit, i), G_MAXSIZE);
    return 0;

 error:
    for (guint i = 0; i < implicit->len; i++)
        ppDeviceInsert(def, g_ptr_array_index(implicit, i), G_MAXSIZE);
    return -1;
}

static int
ppMemballoon(ppCtx *ctx)
{
    if (!ppMachineHasDefaults(ctx))
        return 0;
    if (ctx->def->ndevs[MV_DOMAIN_DEVICE_MEMBALLOON] > 0)
        return 0;
    return ppDeviceAppendXML(ctx->def, "<memballoon model='virtio'/>");
}

static const char *
ppDefaultVideo(const ppCtx *ctx)
{
    if (ppCapsHas(ctx, "cirrus-vga"))
        return "cirrus";
    if (ppCapsHas(ctx, "VGA"))
        return "vga";
    return "cirrus";
}

static int
ppVideos(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;

    if (def->ngraphics > 0 && def->ndevs[MV_DOMAIN_DEVICE_VIDEO] == 0) {
        g_autofree char *xml = g_strdup_printf("<video><model type='%s' heads='1' primary='yes'/></video>",
                                               ppDefaultVideo(ctx));
        if (ppDeviceAppendXML(def, xml) < 0)
            return -1;
    }
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_VIDEO]; i++) {
        xmlNode *v = def->devs[MV_DOMAIN_DEVICE_VIDEO][i]->node;
        xmlNode *m = mvXMLChild(v, "model");
        g_autofree char *type = NULL;
        if (!m) {
            m = xmlNewChild(v, NULL, BAD_CAST "model", NULL);
            mvXMLSetProp(m, "type", ppDefaultVideo(ctx));
            mvXMLSetProp(m, "heads", "1");
            if (i == 0)
                mvXMLSetProp(m, "primary", "yes");
        }
        type = mvXMLProp(m, "type");
        if (ppStrIn(type, PP_L("vga", "cirrus", "vmvga", "bochs"))) {
            if (!xmlHasProp(m, BAD_CAST "vram"))
                mvXMLSetProp(m, "vram", "16384");
        } else if (PP_STREQ(type, "qxl")) {
            if (!xmlHasProp(m, BAD_CAST "ram"))
                mvXMLSetProp(m, "ram", "65536");
            if (!xmlHasProp(m, BAD_CAST "vram"))
                mvXMLSetProp(m, "vram", "65536");
            if (!xmlHasProp(m, BAD_CAST "vgamem"))
                mvXMLSetProp(m, "vgamem", "16384");
        }
        if (i > 0 && PP_STREQ(type, "vga")) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                          "video type 'vga' is only valid as primary video device");
            return -1;
        }
    }
    return 0;
}

/* libvirt 9.0 with the default qemu.conf (vnc_allow_host_audio = 0,
 * nogfx_allow_host_audio = 0). */
static int
ppAudio(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;
    const char *backend = NULL;
    gboolean add = FALSE;
    g_autofree char *xml = NULL;

    if (def->ndevs[MV_DOMAIN_DEVICE_AUDIO] > 0)
        return 0;
    if (def->ngraphics == 0) {
        add = TRUE;
        backend = "none";
    }
    for (size_t i = 0; i < def->ngraphics; i++) {
        const char *t = def->graphics[i]->type;
        if (PP_STREQ(t, "vnc")) {
            add = TRUE;
            backend = "none";
        } else if (PP_STREQ(t, "spice")) {
            add = TRUE;
            backend = "spice";
        } else if (PP_STREQ(t, "sdl")) {
            /* host audio passthrough: QEMU's own default, nothing added */
            add = FALSE;
            backend = NULL;
        }
    }
    if (!add || !backend)
        return 0;
    xml = g_strdup_printf("<audio id='1' type='%s'/>", backend);
    return ppDeviceAppendXML(def, xml);
}

/* ===================================================================== */
/* per-device defaults                                                    */
/* ===================================================================== */

static const char *
ppDefaultNetModel(const ppCtx *ctx)
{
    if (ppCapsHas(ctx, "rtl8139"))
        return "rtl8139";
    if (ppCapsHas(ctx, "e1000"))
        return "e1000";
    if (ppCapsHas(ctx, "virtio-net-pci"))
        return "virtio";
    return "rtl8139";
}

static void
ppDeviceDefaults(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;

    for (size_t i = 0; i < def->ndisks; i++) {
        mvDomainDiskDef *d = def->disks[i];
        if (!d->driverName)
            d->driverName = g_strdup("qemu");
        if (!d->driverType && !PP_STREQ(d->type, "volume"))
            d->driverType = g_strdup("raw");
        if (PP_STREQ(d->device, "cdrom"))
            d->readonly = TRUE;
    }
    for (size_t i = 0; i < def->nnets; i++) {
        mvDomainNetDef *n = def->nets[i];
        if (n->model || PP_STREQ(n->type, "hostdev"))
            continue;
        if (PP_STREQ(n->type, "vhostuser") || PP_STREQ(n->type, "vdpa"))
            n->model = g_strdup("virtio");
        else if (ctx->x86)
            n->model = g_strdup(ppDefaultNetModel(ctx));
    }
    for (size_t i = 0; i < def->nserials && ctx->x86; i++) {
        mvDomainChrDef *s = def->serials[i];
        xmlNode *tgt;
        const char *model = NULL;
        if (!s->targetType) {
            s->targetType = g_strdup("isa-serial");
        }
        if (PP_STREQ(s->targetType, "isa-serial"))
            model = "isa-serial";
        else if (PP_STREQ(s->targetType, "usb-serial"))
            model = "usb-serial";
        else if (PP_STREQ(s->targetType, "pci-serial"))
            model = "pci-serial";
        else if (PP_STREQ(s->targetType, "isa-debug"))
            model = "isa-debugcon";
        tgt = mvXMLEnsureChild(s->dev.node, "target");
        if (model && !mvXMLChild(tgt, "model"))
            mvXMLSetChildProp(tgt, "model", "name", model);
    }
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        xmlNode *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i]->node;
        g_autofree char *type = mvXMLProp(c, "type");
        if (xmlHasProp(c, BAD_CAST "model"))
            continue;
        if (PP_STREQ(type, "usb") && ctx->x86) {
            const char *m = ppDefaultUSBModel(ctx, FALSE);
            if (m)
                mvXMLSetProp(c, "model", m);
        } else if (PP_STREQ(type, "scsi") && ctx->x86) {
            mvXMLSetProp(c, "model", ppCapsHas(ctx, "lsi53c895a") ? "lsilogic" : "virtio-scsi");
        }
    }
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_WATCHDOG]; i++) {
        xmlNode *w = def->devs[MV_DOMAIN_DEVICE_WATCHDOG][i]->node;
        if (!xmlHasProp(w, BAD_CAST "action"))
            mvXMLSetProp(w, "action", "reset");
    }
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_PANIC] && ctx->x86; i++) {
        xmlNode *p = def->devs[MV_DOMAIN_DEVICE_PANIC][i]->node;
        if (!xmlHasProp(p, BAD_CAST "model"))
            mvXMLSetProp(p, "model", "isa");
    }
}

/* ===================================================================== */
/* PCI addresses                                                          */
/* ===================================================================== */

enum {
    PF_PCI = 1 << 0,          /* conventional PCI endpoint */
    PF_PCIE = 1 << 1,         /* PCI Express endpoint */
    PF_ROOT_PORT = 1 << 2,
    PF_PCIE_PCI_BRIDGE = 1 << 3,
    PF_PCI_BRIDGE = 1 << 4,
    PF_DMI_BRIDGE = 1 << 5,
    PF_SWITCH_UP = 1 << 6,
    PF_SWITCH_DOWN = 1 << 7,
    PF_TYPES = 0xff,
    PF_AUTO = 1 << 8,         /* auto-assigned device wants / bus offers hot-plug */
    PF_AGGREGATE = 1 << 9,    /* shares a slot function by function */
};

typedef struct {
    unsigned int domain, bus, slot, function;
} ppAddr;

typedef struct {
    char *model;
    unsigned int flags;
    unsigned int minSlot, maxSlot;
    guint8 used[32];
    gboolean aggregate[32];
} ppBus;

typedef struct {
    GArray *buses;       /* ppBus */
    gboolean dryRun;
    gboolean pcieRoot;
} ppPciSet;

static void
ppBusClear(gpointer p)
{
    g_free(((ppBus *)p)->model);
}

static void
ppPciSetFree(ppPciSet *s)
{
    if (!s)
        return;
    g_array_free(s->buses, TRUE);
    g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ppPciSet, ppPciSetFree)

static void
ppBusSetModel(ppBus *b, const char *model)
{
    g_free(b->model);
    b->model = g_strdup(model);
    b->minSlot = 1;
    b->maxSlot = 31;
    if (PP_STREQ(model, "pci-root")) {
        b->flags = PF_PCI | PF_PCI_BRIDGE | PF_AUTO;
    } else if (PP_STREQ(model, "pcie-root")) {
        b->flags = PF_PCIE | PF_ROOT_PORT | PF_DMI_BRIDGE;
    } else if (PP_STREQ(model, "pcie-root-port") || PP_STREQ(model, "pcie-switch-downstream-port")) {
        b->flags = PF_PCIE | PF_SWITCH_UP | PF_PCIE_PCI_BRIDGE | PF_AUTO;
        b->minSlot = b->maxSlot = 0;
    } else if (PP_STREQ(model, "pcie-to-pci-bridge")) {
        b->flags = PF_PCI | PF_AUTO;
    } else if (PP_STREQ(model, "pci-bridge")) {
        b->flags = PF_PCI | PF_PCI_BRIDGE | PF_AUTO;
    } else if (PP_STREQ(model, "dmi-to-pci-bridge")) {
        b->flags = PF_PCI_BRIDGE;
        b->minSlot = 0;
    } else if (PP_STREQ(model, "pcie-switch-upstream-port")) {
        b->flags = PF_SWITCH_DOWN;
        b->minSlot = 0;
    } else {
        b->flags = PF_PCI;   /* expander buses: only explicit addresses */
    }
}

static void
ppBusAdd(ppPciSet *s, const char *model)
{
    ppBus b = { 0 };
    ppBusSetModel(&b, model);
    g_array_append_val(s->buses, b);
}

static char *
ppAddrStr(const ppAddr *a)
{
    return g_strdup_printf("%04x:%02x:%02x.%x", a->domain, a->bus, a->slot, a->function);
}

static gboolean
ppFlagsCompatible(unsigned int bus, unsigned int dev)
{
    if (!(bus & dev & PF_TYPES))
        return FALSE;
    if ((dev & PF_AUTO) && !(bus & PF_AUTO))
        return FALSE;
    return TRUE;
}

/* Mark @a used.  @fromConfig: an address the user (or an earlier define)
 * wrote, checked leniently like libvirt does. */
static int
ppReserveAddr(ppPciSet *s, const ppAddr *a, unsigned int flags)
{
    g_autofree char *str = ppAddrStr(a);
    ppBus *b;

    if (a->domain != 0) {
        mvReportError(MV_ERR_XML_ERROR, "Invalid PCI address %s. Only PCI domain 0 is available", str);
        return -1;
    }
    if (a->bus >= s->buses->len) {
        if (s->buses->len == 0)
            mvReportError(MV_ERR_XML_ERROR, "%s", "No PCI buses available");
        else
            mvReportError(MV_ERR_XML_ERROR, "Invalid PCI address %s. Only PCI buses up to %u are available",
                          str, s->buses->len - 1);
        return -1;
    }
    b = &g_array_index(s->buses, ppBus, a->bus);
    if (a->slot < b->minSlot) {
        mvReportError(MV_ERR_XML_ERROR, "Invalid PCI address %s. slot must be >= %u", str, b->minSlot);
        return -1;
    }
    if (a->slot > b->maxSlot) {
        mvReportError(MV_ERR_XML_ERROR, "Invalid PCI address %s. slot must be <= %u", str, b->maxSlot);
        return -1;
    }
    if (a->function > 7) {
        mvReportError(MV_ERR_XML_ERROR, "Invalid PCI address %s. function must be <= 7", str);
        return -1;
    }
    if (b->used[a->slot] & (1u << a->function)) {
        mvReportError(MV_ERR_XML_ERROR, "Attempted double use of PCI Address %s", str);
        return -1;
    }
    b->used[a->slot] |= (guint8)(1u << a->function);
    if (flags & PF_AGGREGATE)
        b->aggregate[a->slot] = TRUE;
    return 0;
}

static gboolean
ppSlotInUse(ppPciSet *s, unsigned int bus, unsigned int slot)
{
    if (bus >= s->buses->len)
        return FALSE;
    return g_array_index(s->buses, ppBus, bus).used[slot] != 0;
}

static int
ppGrow(ppPciSet *s, unsigned int flags, ppAddr *a)
{
    if (flags & (PF_PCI | PF_PCI_BRIDGE)) {
        if (s->pcieRoot) {
            ppBusAdd(s, "pcie-root-port");
            ppBusAdd(s, "pcie-to-pci-bridge");
        } else {
            ppBusAdd(s, "pci-bridge");
        }
    } else if (flags & (PF_PCIE | PF_PCIE_PCI_BRIDGE | PF_SWITCH_UP) && s->pcieRoot) {
        ppBusAdd(s, "pcie-root-port");
    } else {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "No more available PCI slots");
        return -1;
    }
    a->domain = 0;
    a->bus = s->buses->len - 1;
    a->slot = g_array_index(s->buses, ppBus, a->bus).minSlot;
    a->function = 0;
    return 0;
}

/* Reserve the first free slot that suits @flags (function @function of
 * it, 0 when -1; aggregate devices fill a shared slot function by
 * function), growing the bus set in the dry run. */
static int
ppReserveNextFn(ppPciSet *s, unsigned int flags, int function, ppAddr *out)
{
    ppAddr a = { 0 };
    unsigned int fn = function < 0 ? 0 : (unsigned int)function;

    if (s->buses->len == 0) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "No PCI buses available");
        return -1;
    }
    for (guint bi = 0; bi < s->buses->len; bi++) {
        ppBus *b = &g_array_index(s->buses, ppBus, bi);
        if (!ppFlagsCompatible(b->flags, flags))
            continue;
        for (unsigned int slot = b->minSlot; slot <= b->maxSlot; slot++) {
            if (b->used[slot] == 0) {
                a.bus = bi;
                a.slot = slot;
                a.function = fn;
                goto found;
            }
            if ((flags & PF_AGGREGATE) && b->aggregate[slot] && b->used[slot] != 0xff) {
                a.bus = bi;
                a.slot = slot;
                for (a.function = 0; b->used[slot] & (1u << a.function); a.function++)
                    ;
                goto found;
            }
        }
    }
    if (!s->dryRun) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "No more available PCI slots");
        return -1;
    }
    if (ppGrow(s, flags, &a) < 0)
        return -1;
    a.function = fn;
 found:
    if (ppReserveAddr(s, &a, flags) < 0)
        return -1;
    if (out)
        *out = a;
    return 0;
}

static int
ppReserveNext(ppPciSet *s, unsigned int flags, ppAddr *out)
{
    return ppReserveNextFn(s, flags, -1, out);
}

/* ---- address nodes ---- */

/* 1 and *a when @dev carries a PCI address with a slot, 0 when it wants
 * one (none, or an empty <address type='pci'/>), -1 other address types. */
static int
ppNodePCIAddr(const xmlNode *dev, ppAddr *a)
{
    xmlNode *an = mvXMLChild(dev, "address");
    g_autofree char *type = NULL;
    const char *names[] = { "domain", "bus", "slot", "function" };
    unsigned int *vals[] = { &a->domain, &a->bus, &a->slot, &a->function };

    memset(a, 0, sizeof(*a));
    if (!an)
        return 0;
    type = mvXMLProp(an, "type");
    if (!PP_STREQ(type, "pci"))
        return -1;
    if (!xmlHasProp(an, BAD_CAST "slot") && !xmlHasProp(an, BAD_CAST "bus") &&
        !xmlHasProp(an, BAD_CAST "function") && !xmlHasProp(an, BAD_CAST "domain"))
        return 0;
    for (size_t i = 0; i < 4; i++) {
        g_autofree char *v = mvXMLProp(an, names[i]);
        if (v && mvStrToUInt(v, 0, vals[i]) < 0)
            *vals[i] = G_MAXUINT;   /* reported as invalid by ppReserveAddr */
    }
    return 1;
}

static void
ppNodeSetPCIAddr(xmlNode *dev, const ppAddr *a)
{
    xmlNode *an = mvXMLChild(dev, "address");
    g_autofree char *multi = an ? mvXMLProp(an, "multifunction") : NULL;
    char buf[16];

    mvXMLRemoveChildren(dev, "address");
    an = xmlNewChild(dev, NULL, BAD_CAST "address", NULL);
    mvXMLSetProp(an, "type", "pci");
    g_snprintf(buf, sizeof(buf), "0x%04x", a->domain);
    mvXMLSetProp(an, "domain", buf);
    g_snprintf(buf, sizeof(buf), "0x%02x", a->bus);
    mvXMLSetProp(an, "bus", buf);
    g_snprintf(buf, sizeof(buf), "0x%02x", a->slot);
    mvXMLSetProp(an, "slot", buf);
    g_snprintf(buf, sizeof(buf), "0x%x", a->function);
    mvXMLSetProp(an, "function", buf);
    mvXMLSetProp(an, "multifunction", multi);
}

/* ---- device classification ---- */

static unsigned int
ppPciFlags(void)
{
    return PF_PCI | PF_AUTO;
}

static unsigned int
ppPcieFlags(const ppCtx *ctx)
{
    return ctx->q35 ? (PF_PCIE | PF_AUTO) : ppPciFlags();
}

/* Connect flags of a device, 0 when it takes no PCI address. */
static unsigned int
ppDevFlags(const ppCtx *ctx, const mvDomainDeviceDef *dev)
{
    xmlNode *n = dev->node;
    g_autofree char *type = mvXMLProp(n, "type");
    g_autofree char *model = mvXMLProp(n, "model");
    unsigned int pci = ppPciFlags(), pcie = ppPcieFlags(ctx);

    switch (dev->kind) {
    case MV_DOMAIN_DEVICE_CONTROLLER:
        if (PP_STREQ(type, "pci")) {
            if (PP_STREQ(model, "pcie-root-port"))
                return PF_ROOT_PORT | PF_AGGREGATE;
            if (PP_STREQ(model, "pcie-to-pci-bridge"))
                return PF_PCIE_PCI_BRIDGE;
            if (PP_STREQ(model, "pci-bridge"))
                return PF_PCI_BRIDGE | PF_AUTO;
            if (PP_STREQ(model, "dmi-to-pci-bridge"))
                return PF_DMI_BRIDGE;
            if (PP_STREQ(model, "pcie-switch-upstream-port"))
                return PF_SWITCH_UP;
            if (PP_STREQ(model, "pcie-switch-downstream-port"))
                return PF_SWITCH_DOWN | PF_AGGREGATE;
            return 0;
        }
        if (PP_STREQ(type, "usb")) {
            if (PP_STREQ(model, "none"))
                return 0;
            if (PP_STREQ(model, "qemu-xhci") || PP_STREQ(model, "nec-xhci"))
                return pcie;
            return pci;
        }
        if (PP_STREQ(type, "scsi"))
            return PP_STREQ(model, "virtio-scsi") ? pcie : pci;
        if (PP_STREQ(type, "virtio-serial") || PP_STREQ(type, "sata"))
            return pcie;
        if (PP_STREQ(type, "ide"))
            return pci;
        return 0;
    case MV_DOMAIN_DEVICE_FS:
        return pcie;
    case MV_DOMAIN_DEVICE_NET: {
        const mvDomainNetDef *net = (const mvDomainNetDef *)dev;
        if (PP_STREQ(net->type, "hostdev"))
            return 0;
        if (net->model && (g_str_has_prefix(net->model, "virtio") ||
                           ppStrIn(net->model, PP_L("e1000e", "vmxnet3"))))
            return pcie;
        return pci;
    }
    case MV_DOMAIN_DEVICE_SOUND:
        if (ppStrIn(model, PP_L("sb16", "pcspk", "usb")))
            return 0;
        return pci;
    case MV_DOMAIN_DEVICE_DISK:
        return PP_STREQ(((const mvDomainDiskDef *)dev)->bus, "virtio") ? pcie : 0;
    case MV_DOMAIN_DEVICE_HOSTDEV:
        return (PP_STREQ(type, "pci") || PP_STREQ(type, "scsi_host")) ? pcie : 0;
    case MV_DOMAIN_DEVICE_MEMBALLOON:
        return (model && g_str_has_prefix(model, "virtio")) ? pcie : 0;
    case MV_DOMAIN_DEVICE_RNG:
        return pcie;
    case MV_DOMAIN_DEVICE_WATCHDOG:
        return PP_STREQ(model, "i6300esb") ? pci : 0;
    case MV_DOMAIN_DEVICE_VIDEO: {
        g_autofree char *vt = mvXMLChildProp(n, "model", "type");
        if (ppStrIn(vt, PP_L("none", "ramfb")))
            return 0;
        return PP_STREQ(vt, "virtio") ? pcie : pci;
    }
    case MV_DOMAIN_DEVICE_SHMEM:
        return pci;
    case MV_DOMAIN_DEVICE_INPUT: {
        g_autofree char *bus = mvXMLProp(n, "bus");
        return PP_STREQ(bus, "virtio") ? pcie : 0;
    }
    case MV_DOMAIN_DEVICE_SERIAL:
        return PP_STREQ(((const mvDomainChrDef *)dev)->targetType, "pci-serial") ? pci : 0;
    case MV_DOMAIN_DEVICE_IOMMU:
        return PP_STREQ(model, "virtio") ? pcie : 0;
    case MV_DOMAIN_DEVICE_VSOCK:
        return pcie;
    case MV_DOMAIN_DEVICE_MEMORY:
        return ppStrIn(model, PP_L("virtio-pmem", "virtio-mem")) ? pcie : 0;
    case MV_DOMAIN_DEVICE_CRYPTO:
        return pcie;
    case MV_DOMAIN_DEVICE_PANIC:
        return PP_STREQ(model, "pvpanic") ? pci : 0;
    default:
        return 0;
    }
}

/* The controllers of the PIIX3 (i440fx) whose address is implicit. */
static gboolean
ppIsPIIX3Ctrl(const ppCtx *ctx, const xmlNode *c, ppAddr *fixed)
{
    g_autofree char *type = mvXMLProp(c, "type");
    g_autofree char *model = mvXMLProp(c, "model");
    if (!ctx->i440fx || ppCtrlIndex(c) != 0)
        return FALSE;
    memset(fixed, 0, sizeof(*fixed));
    fixed->slot = 1;
    if (PP_STREQ(type, "ide")) {
        fixed->function = 1;
        return TRUE;
    }
    if (PP_STREQ(type, "usb") && (!model || PP_STREQ(model, "piix3-uhci"))) {
        fixed->function = 2;
        return TRUE;
    }
    return FALSE;
}

static int
ppCollect(ppCtx *ctx, ppPciSet *s)
{
    mvDomainDef *def = ctx->def;
    for (int k = 0; k < MV_DOMAIN_DEVICE_LAST; k++) {
        size_t n;
        mvDomainDeviceDef **list = ppList(def, k, &n);
        for (size_t i = 0; i < n; i++) {
            ppAddr a, fixed;
            unsigned int flags;
            if (ppNodePCIAddr(list[i]->node, &a) != 1)
                continue;
            if (a.domain <= 0xffff && a.bus <= 0xff && a.slot <= 0x1f && a.function <= 7)
                ppNodeSetPCIAddr(list[i]->node, &a);
            if (k == MV_DOMAIN_DEVICE_CONTROLLER &&
                ppIsPIIX3Ctrl(ctx, list[i]->node, &fixed) &&
                a.domain == 0 && a.bus == 0 && a.slot == 1 && a.function == fixed.function)
                continue;   /* reserved with the chipset */
            if (k == MV_DOMAIN_DEVICE_CONTROLLER) {
                g_autofree char *model = mvXMLProp(list[i]->node, "model");
                if (PP_STREQ(model, "pci-root") || PP_STREQ(model, "pcie-root"))
                    continue;
            }
            flags = ppDevFlags(ctx, list[i]);
            if (ppReserveAddr(s, &a, flags ? flags : PF_PCI) < 0)
                return -1;
        }
    }
    return 0;
}

static gboolean
ppWanted(const xmlNode *dev)
{
    ppAddr a;
    return ppNodePCIAddr(dev, &a) == 0;
}

static int
ppReserveFor(ppPciSet *s, xmlNode *dev, unsigned int flags)
{
    ppAddr a;
    if (ppReserveNext(s, flags, &a) < 0)
        return -1;
    if (!s->dryRun)
        ppNodeSetPCIAddr(dev, &a);
    return 0;
}

static int
ppReserveFixed(ppPciSet *s, unsigned int slot, unsigned int function)
{
    ppAddr a = { 0, 0, slot, function };
    return ppReserveAddr(s, &a, PF_PCI);
}

static int
ppChipset(ppCtx *ctx, ppPciSet *s)
{
    mvDomainDef *def = ctx->def;
    size_t nctrl = def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER];
    mvDomainDeviceDef **ctrls = def->devs[MV_DOMAIN_DEVICE_CONTROLLER];
    size_t nvid = def->ndevs[MV_DOMAIN_DEVICE_VIDEO];
    unsigned int videoSlot = ctx->i440fx ? 2 : 1;

    if (ctx->i440fx) {
        for (size_t i = 0; i < nctrl; i++) {
            xmlNode *c = ctrls[i]->node;
            ppAddr fixed, a;
            int r;
            if (!ppIsPIIX3Ctrl(ctx, c, &fixed))
                continue;
            r = ppNodePCIAddr(c, &a);
            if (r == 1 && memcmp(&a, &fixed, sizeof(a)) != 0) {
                mvReportError(MV_ERR_INTERNAL_ERROR, "%s", fixed.function == 1 ?
                              "Primary IDE controller must have PCI address 0:0:1.1" :
                              "PIIX3 USB controller at index 0 must have PCI address 0:0:1.2");
                return -1;
            }
            if (r != 1)
                ppNodeSetPCIAddr(c, &fixed);
            if (s->buses->len && ppReserveAddr(s, &fixed, PF_PCI) < 0)
                return -1;
        }
        if (s->buses->len && (ppReserveFixed(s, 1, 0) < 0 || ppReserveFixed(s, 1, 3) < 0))
            return -1;
    } else if (ctx->q35) {
        mvDomainDeviceDef *sata = ppCtrlFind(def, "sata", 0);
        if (sata) {
            ppAddr fixed = { 0, 0, 0x1f, 2 }, a;
            int r = ppNodePCIAddr(sata->node, &a);
            if (r == 1 && memcmp(&a, &fixed, sizeof(a)) != 0) {
                mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                              "Primary SATA controller must have PCI address 0:0:1f.2");
                return -1;
            }
            if (r != 1)
                ppNodeSetPCIAddr(sata->node, &fixed);
        }
        for (size_t i = 0; i < nctrl && s->buses->len; i++) {
            xmlNode *c = ctrls[i]->node;
            ppAddr a = { 0, 0, 0x1d, 0 };
            if (!ppPropIs(c, "model", "ich9-uhci1") || mvXMLChild(c, "address"))
                continue;
            if (ppSlotInUse(s, 0, 0x1d)) {
                a.slot = 0x1a;
                if (ppSlotInUse(s, 0, 0x1a))
                    continue;
            }
            if (ppReserveAddr(s, &a, PF_PCIE) < 0)
                return -1;
            ppNodeSetPCIAddr(c, &a);
            mvXMLSetProp(mvXMLChild(c, "address"), "multifunction", "on");
        }
        if (s->buses->len) {
            ppAddr a1 = { 0, 0, 0x1f, 0 }, a3 = { 0, 0, 0x1f, 3 };
            if (ppReserveAddr(s, &a1, PF_PCIE) < 0 || ppReserveAddr(s, &a3, PF_PCIE) < 0)
                return -1;
        }
    } else {
        return 0;
    }

    if (nvid > 0) {
        mvDomainDeviceDef *v = def->devs[MV_DOMAIN_DEVICE_VIDEO][0];
        unsigned int flags = ppDevFlags(ctx, v);
        if (flags && ppWanted(v->node)) {
            if (ppSlotInUse(s, 0, videoSlot)) {
                if (ppReserveFor(s, v->node, flags) < 0)
                    return -1;
            } else {
                ppAddr a = { 0, 0, videoSlot, 0 };
                if (ppReserveAddr(s, &a, PF_PCI) < 0)
                    return -1;
                ppNodeSetPCIAddr(v->node, &a);
            }
        }
    }

    if (ctx->q35 && !ppSlotInUse(s, 0, 0x1b)) {
        for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_SOUND]; i++) {
            xmlNode *snd = def->devs[MV_DOMAIN_DEVICE_SOUND][i]->node;
            ppAddr a = { 0, 0, 0x1b, 0 };
            if (!ppPropIs(snd, "model", "ich9") || !ppWanted(snd))
                continue;
            if (ppReserveAddr(s, &a, PF_PCIE) < 0)
                return -1;
            ppNodeSetPCIAddr(snd, &a);
            break;
        }
    }
    return 0;
}

/* ICH9 USB2 controllers: EHCI at function 7, its UHCI companions at 0-2,
 * all in one slot per controller index. -1 for other controllers. */
static int
ppUSB2Function(const xmlNode *c)
{
    g_autofree char *model = NULL;
    if (!ppPropIs(c, "type", "usb"))
        return -1;
    model = mvXMLProp(c, "model");
    if (PP_STREQ(model, "ich9-ehci1"))
        return 7;
    if (PP_STREQ(model, "ich9-uhci1"))
        return 0;
    if (PP_STREQ(model, "ich9-uhci2"))
        return 1;
    if (PP_STREQ(model, "ich9-uhci3"))
        return 2;
    return -1;
}

static int
ppReserveUSB2(ppCtx *ctx, ppPciSet *s, xmlNode *c, unsigned int flags)
{
    int fn = ppUSB2Function(c);
    int idx = ppCtrlIndex(c);
    ppAddr a;

    for (size_t j = 0; j < ctx->def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; j++) {
        xmlNode *o = ctx->def->devs[MV_DOMAIN_DEVICE_CONTROLLER][j]->node;
        if (o == c || ppUSB2Function(o) < 0 || ppCtrlIndex(o) != idx || ppNodePCIAddr(o, &a) != 1)
            continue;
        a.function = (unsigned int)fn;
        if (ppReserveAddr(s, &a, flags) < 0)
            return -1;
        if (!s->dryRun) {
            ppNodeSetPCIAddr(c, &a);
            if (fn == 0)
                mvXMLSetProp(mvXMLChild(c, "address"), "multifunction", "on");
        }
        return 0;
    }
    if (ppReserveNextFn(s, flags, fn, &a) < 0)
        return -1;
    if (!s->dryRun) {
        ppNodeSetPCIAddr(c, &a);
        if (fn == 0)
            mvXMLSetProp(mvXMLChild(c, "address"), "multifunction", "on");
    }
    return 0;
}

static int
ppAssignKind(ppCtx *ctx, ppPciSet *s, mvDomainDeviceKind kind,
             gboolean (*filter)(const ppCtx *, const mvDomainDeviceDef *))
{
    size_t n;
    mvDomainDeviceDef **list = ppList(ctx->def, kind, &n);
    for (size_t i = 0; i < n; i++) {
        unsigned int flags;
        if (filter && !filter(ctx, list[i]))
            continue;
        if (!(flags = ppDevFlags(ctx, list[i])) || !ppWanted(list[i]->node))
            continue;
        if (kind == MV_DOMAIN_DEVICE_CONTROLLER && ppUSB2Function(list[i]->node) >= 0) {
            if (ppReserveUSB2(ctx, s, list[i]->node, flags) < 0)
                return -1;
            continue;
        }
        if (ppReserveFor(s, list[i]->node, flags) < 0)
            return -1;
    }
    return 0;
}

static gboolean
ppIsPCICtrl(const ppCtx *ctx G_GNUC_UNUSED, const mvDomainDeviceDef *d)
{
    return ppPropIs(d->node, "type", "pci");
}

static gboolean
ppIsOtherCtrl(const ppCtx *ctx, const mvDomainDeviceDef *d)
{
    ppAddr fixed;
    if (ppPropIs(d->node, "type", "pci"))
        return FALSE;
    if (ppPropIs(d->node, "type", "ide") && ppCtrlIndex(d->node) == 0)
        return FALSE;
    return !ppIsPIIX3Ctrl(ctx, d->node, &fixed);
}

static int
ppAssignDevicePCISlots(ppCtx *ctx, ppPciSet *s)
{
    static const mvDomainDeviceKind after[] = {
        MV_DOMAIN_DEVICE_DISK, MV_DOMAIN_DEVICE_HOSTDEV, MV_DOMAIN_DEVICE_MEMBALLOON,
        MV_DOMAIN_DEVICE_RNG, MV_DOMAIN_DEVICE_WATCHDOG, MV_DOMAIN_DEVICE_VIDEO,
        MV_DOMAIN_DEVICE_SHMEM, MV_DOMAIN_DEVICE_INPUT, MV_DOMAIN_DEVICE_SERIAL,
        MV_DOMAIN_DEVICE_IOMMU, MV_DOMAIN_DEVICE_VSOCK, MV_DOMAIN_DEVICE_MEMORY,
        MV_DOMAIN_DEVICE_CRYPTO, MV_DOMAIN_DEVICE_PANIC,
    };
    if (ppAssignKind(ctx, s, MV_DOMAIN_DEVICE_CONTROLLER, ppIsPCICtrl) < 0 ||
        ppAssignKind(ctx, s, MV_DOMAIN_DEVICE_FS, NULL) < 0 ||
        ppAssignKind(ctx, s, MV_DOMAIN_DEVICE_NET, NULL) < 0 ||
        ppAssignKind(ctx, s, MV_DOMAIN_DEVICE_SOUND, NULL) < 0 ||
        ppAssignKind(ctx, s, MV_DOMAIN_DEVICE_CONTROLLER, ppIsOtherCtrl) < 0)
        return -1;
    for (size_t i = 0; i < G_N_ELEMENTS(after); i++)
        if (ppAssignKind(ctx, s, after[i], NULL) < 0)
            return -1;
    return 0;
}

static ppPciSet *
ppPciSetCreate(ppCtx *ctx, unsigned int nbuses, gboolean dryRun)
{
    g_autoptr(ppPciSet) s = g_new0(ppPciSet, 1);
    mvDomainDef *def = ctx->def;

    s->buses = g_array_new(FALSE, TRUE, sizeof(ppBus));
    g_array_set_clear_func(s->buses, ppBusClear);
    g_array_set_size(s->buses, nbuses);
    s->dryRun = dryRun;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        xmlNode *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i]->node;
        g_autofree char *model = NULL;
        int idx;
        if (!ppPropIs(c, "type", "pci") || (idx = ppCtrlIndex(c)) < 0 || (unsigned)idx >= nbuses)
            continue;
        model = mvXMLProp(c, "model");
        ppBusSetModel(&g_array_index(s->buses, ppBus, idx), model);
        if (PP_STREQ(model, "pcie-root"))
            s->pcieRoot = TRUE;
    }
    if (nbuses > 0 && !g_array_index(s->buses, ppBus, 0).model)
        ppBusSetModel(&g_array_index(s->buses, ppBus, 0), "pci-root");
    for (unsigned int i = 1; i < nbuses; i++)
        if (!g_array_index(s->buses, ppBus, i).model)
            ppBusSetModel(&g_array_index(s->buses, ppBus, i),
                          s->pcieRoot ? "pcie-root-port" : "pci-bridge");
    if (ppCollect(ctx, s) < 0)
        return NULL;
    return g_steal_pointer(&s);
}

static void
ppSetAllMulti(ppCtx *ctx)
{
    g_autoptr(GHashTable) multi = g_hash_table_new(g_direct_hash, g_direct_equal);
    mvDomainDef *def = ctx->def;

    for (int pass = 0; pass < 2; pass++) {
        for (int k = 0; k < MV_DOMAIN_DEVICE_LAST; k++) {
            size_t n;
            mvDomainDeviceDef **list = ppList(def, k, &n);
            for (size_t i = 0; i < n; i++) {
                ppAddr a;
                xmlNode *an;
                gpointer key;
                if (ppNodePCIAddr(list[i]->node, &a) != 1 || a.bus > 255 || a.slot > 31)
                    continue;
                key = GUINT_TO_POINTER((a.bus << 8 | a.slot) + 1);
                if (pass == 0) {
                    if (a.function != 0)
                        g_hash_table_add(multi, key);
                    continue;
                }
                an = mvXMLChild(list[i]->node, "address");
                if (a.function == 0 && g_hash_table_contains(multi, key) &&
                    !xmlHasProp(an, BAD_CAST "multifunction"))
                    mvXMLSetProp(an, "multifunction", "on");
            }
        }
    }
}

static void
ppPCIControllerDefaults(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        xmlNode *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i]->node;
        g_autofree char *model = NULL;
        const char *name = NULL;
        int idx = ppCtrlIndex(c);
        ppAddr a;
        char buf[16];

        if (!ppPropIs(c, "type", "pci"))
            continue;
        model = mvXMLProp(c, "model");
        if (PP_STREQ(model, "pci-bridge"))
            name = "pci-bridge";
        else if (PP_STREQ(model, "dmi-to-pci-bridge"))
            name = "i82801b11-bridge";
        else if (PP_STREQ(model, "pcie-to-pci-bridge"))
            name = "pcie-pci-bridge";
        else if (PP_STREQ(model, "pcie-root-port"))
            name = ppCapsHas(ctx, "pcie-root-port") ? "pcie-root-port" : "ioh3420";
        else if (PP_STREQ(model, "pcie-switch-upstream-port"))
            name = "x3130-upstream";
        else if (PP_STREQ(model, "pcie-switch-downstream-port"))
            name = "xio3130-downstream";
        if (name && !mvXMLChild(c, "model"))
            mvXMLSetChildProp(c, "model", "name", name);

        if (ppNodePCIAddr(c, &a) != 1)
            continue;
        if (PP_STREQ(model, "pci-bridge")) {
            xmlNode *t = mvXMLEnsureChild(c, "target");
            if (!xmlHasProp(t, BAD_CAST "chassisNr")) {
                g_snprintf(buf, sizeof(buf), "%d", idx);
                mvXMLSetProp(t, "chassisNr", buf);
            }
        } else if (PP_STREQ(model, "pcie-root-port") || PP_STREQ(model, "pcie-switch-downstream-port")) {
            xmlNode *t = mvXMLEnsureChild(c, "target");
            if (!xmlHasProp(t, BAD_CAST "chassis")) {
                g_snprintf(buf, sizeof(buf), "%d", idx);
                mvXMLSetProp(t, "chassis", buf);
            }
            if (!xmlHasProp(t, BAD_CAST "port")) {
                unsigned int port = PP_STREQ(model, "pcie-root-port") ? (a.slot << 3) + a.function : a.slot;
                g_snprintf(buf, sizeof(buf), "0x%x", port);
                mvXMLSetProp(t, "port", buf);
            }
        }
    }
}

static int
qemuDomainAssignPCIAddresses(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;
    g_autoptr(ppPciSet) s = NULL;
    int maxIdx = -1;
    unsigned int nbuses;

    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        xmlNode *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i]->node;
        if (ppPropIs(c, "type", "pci") && ppCtrlIndex(c) > maxIdx)
            maxIdx = ppCtrlIndex(c);
    }
    nbuses = (unsigned int)(maxIdx + 1);

    if (nbuses > 0) {
        /* first pass: how many buses are needed */
        if (!(s = ppPciSetCreate(ctx, nbuses, TRUE)) || ppChipset(ctx, s) < 0)
            return -1;
        if (!s->pcieRoot && PP_STREQ(g_array_index(s->buses, ppBus, 0).model, "pci-root")) {
            gboolean full = TRUE;
            for (guint b = 0; b < s->buses->len && full; b++) {
                ppBus *bus = &g_array_index(s->buses, ppBus, b);
                for (unsigned int sl = bus->minSlot; sl <= bus->maxSlot; sl++)
                    if (bus->used[sl] != 0xff)
                        full = FALSE;
            }
            if (!full && ppReserveNext(s, PF_PCI | PF_AUTO, NULL) < 0)
                return -1;
        }
        if (ppAssignDevicePCISlots(ctx, s) < 0)
            return -1;
        /* a spare hot-pluggable root port when libvirt manages them all */
        if (maxIdx <= 0 && s->buses->len > (guint)(maxIdx + 1) && s->pcieRoot &&
            ppReserveNext(s, PF_PCIE | PF_AUTO, NULL) < 0)
            return -1;
        for (guint i = 1; i < s->buses->len; i++) {
            g_autofree char *xml = NULL;
            mvDomainDeviceDef *c;
            const char *model = g_array_index(s->buses, ppBus, i).model;
            if (ppCtrlFind(def, "pci", (int)i))
                continue;
            xml = g_strdup_printf("<controller type='pci' index='%u' model='%s'/>", i, model);
            if (!(c = ppDeviceNew(def, xml)))
                return -1;
            ppDeviceInsert(def, c, G_MAXSIZE);
            if (ppReserveNext(s, ppDevFlags(ctx, c), NULL) < 0)
                return -1;
        }
        nbuses = s->buses->len;
        g_clear_pointer(&s, ppPciSetFree);
    }

    if (!(s = ppPciSetCreate(ctx, nbuses, FALSE)))
        return -1;
    if (ppChipset(ctx, s) < 0 || ppAssignDevicePCISlots(ctx, s) < 0)
        return -1;
    ppSetAllMulti(ctx);
    ppPCIControllerDefaults(ctx);
    return 0;
}

/* ===================================================================== */
/* USB and virtio-serial addresses                                        */
/* ===================================================================== */

static unsigned int
ppUSBPorts(const xmlNode *c)
{
    g_autofree char *model = mvXMLProp(c, "model");
    unsigned int ports;
    if (ppStrIn(model, PP_L("qemu-xhci", "nec-xhci"))) {
        if (mvXMLPropUInt(c, "ports", 10, &ports) > 0)
            return ports;
        mvErrorReset();
        return 4;
    }
    if (ppStrIn(model, PP_L("piix3-uhci", "piix4-uhci", "vt82c686b-uhci",
                            "ich9-uhci1", "ich9-uhci2", "ich9-uhci3")))
        return 2;
    if (ppStrIn(model, PP_L("ehci", "ich9-ehci1")))
        return 6;
    if (PP_STREQ(model, "pci-ohci"))
        return 3;
    return 0;
}

static gboolean
ppIsUSBDevice(const mvDomainDeviceDef *d)
{
    xmlNode *n = d->node;
    switch (d->kind) {
    case MV_DOMAIN_DEVICE_HUB:
        return ppPropIs(n, "type", "usb");
    case MV_DOMAIN_DEVICE_HOSTDEV:
        return ppPropIs(n, "type", "usb");
    case MV_DOMAIN_DEVICE_DISK:
        return PP_STREQ(((const mvDomainDiskDef *)d)->bus, "usb");
    case MV_DOMAIN_DEVICE_CONTROLLER:
        return ppPropIs(n, "type", "ccid");
    case MV_DOMAIN_DEVICE_INPUT:
        return ppPropIs(n, "bus", "usb");
    case MV_DOMAIN_DEVICE_SERIAL:
        return PP_STREQ(((const mvDomainChrDef *)d)->targetType, "usb-serial");
    case MV_DOMAIN_DEVICE_SOUND:
        return ppPropIs(n, "model", "usb");
    case MV_DOMAIN_DEVICE_REDIRDEV:
        return ppPropIs(n, "bus", "usb");
    default:
        return FALSE;
    }
}

static int
ppAssignUSB(ppCtx *ctx)
{
    static const mvDomainDeviceKind order[] = {
        MV_DOMAIN_DEVICE_HUB, MV_DOMAIN_DEVICE_HOSTDEV, MV_DOMAIN_DEVICE_DISK,
        MV_DOMAIN_DEVICE_CONTROLLER, MV_DOMAIN_DEVICE_INPUT, MV_DOMAIN_DEVICE_SERIAL,
        MV_DOMAIN_DEVICE_SOUND, MV_DOMAIN_DEVICE_REDIRDEV,
    };
    mvDomainDef *def = ctx->def;
    g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autoptr(GArray) ports = g_array_new(FALSE, TRUE, sizeof(unsigned int));   /* by bus */
    size_t count = 0;
    gboolean haveUSB = FALSE;

    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        xmlNode *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i]->node;
        int idx = ppCtrlIndex(c);
        unsigned int p;
        if (!ppPropIs(c, "type", "usb") || idx < 0 || idx > 255)
            continue;
        if (!ppPropIs(c, "model", "none"))
            haveUSB = TRUE;
        p = ppUSBPorts(c);
        if ((guint)idx >= ports->len)
            g_array_set_size(ports, idx + 1);
        if (p > g_array_index(ports, unsigned int, idx))
            g_array_index(ports, unsigned int, idx) = p;
    }
    for (size_t o = 0; o < G_N_ELEMENTS(order); o++) {
        size_t n;
        mvDomainDeviceDef **list = ppList(def, order[o], &n);
        for (size_t i = 0; i < n; i++) {
            xmlNode *an;
            if (!ppIsUSBDevice(list[i]))
                continue;
            count++;
            an = mvXMLChild(list[i]->node, "address");
            if (an && ppPropIs(an, "type", "usb")) {
                g_autofree char *bus = mvXMLProp(an, "bus");
                g_autofree char *port = mvXMLProp(an, "port");
                if (port)
                    g_hash_table_add(used, g_strdup_printf("%s:%s", bus ? bus : "0", port));
            }
        }
    }
    if (count > 0 && !haveUSB) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "USB is disabled for this domain, but USB devices are present in the domain XML");
        return -1;
    }
    {
        /* not enough ports: libvirt adds 8-port hubs */
        size_t avail = 0, hubs = 0;
        for (guint b = 0; b < ports->len; b++)
            avail += g_array_index(ports, unsigned int, b);
        for (size_t h = 0; h < def->ndevs[MV_DOMAIN_DEVICE_HUB]; h++)
            if (ppPropIs(def->devs[MV_DOMAIN_DEVICE_HUB][h]->node, "type", "usb"))
                avail += 8;
        if (count > avail)
            hubs = (count - avail + 1 + 6) / 7;
        for (size_t h = 0; h < hubs; h++)
            if (ppDeviceAppendXML(def, "<hub type='usb'/>") < 0)
                return -1;
    }
    for (size_t o = 0; o < G_N_ELEMENTS(order); o++) {
        size_t n;
        mvDomainDeviceDef **list = ppList(def, order[o], &n);
        for (size_t i = 0; i < n; i++) {
            xmlNode *an;
            gboolean done = FALSE;
            if (!ppIsUSBDevice(list[i]))
                continue;
            an = mvXMLChild(list[i]->node, "address");
            if (an && (!ppPropIs(an, "type", "usb") || xmlHasProp(an, BAD_CAST "port")))
                continue;
            {
                /* candidate ports: every root port, then the ports of the hubs */
                g_autoptr(GPtrArray) cand = g_ptr_array_new_with_free_func(g_free);
                for (guint bus = 0; bus < ports->len; bus++)
                    for (unsigned int p = 1; p <= g_array_index(ports, unsigned int, bus); p++)
                        g_ptr_array_add(cand, g_strdup_printf("%u:%u", bus, p));
                for (size_t h = 0; h < def->ndevs[MV_DOMAIN_DEVICE_HUB]; h++) {
                    xmlNode *ha = mvXMLChild(def->devs[MV_DOMAIN_DEVICE_HUB][h]->node, "address");
                    g_autofree char *hb = ha ? mvXMLProp(ha, "bus") : NULL;
                    g_autofree char *hp = ha ? mvXMLProp(ha, "port") : NULL;
                    if (!hp || def->devs[MV_DOMAIN_DEVICE_HUB][h]->node == list[i]->node)
                        continue;
                    for (unsigned int p = 1; p <= 8; p++)
                        g_ptr_array_add(cand, g_strdup_printf("%s:%s.%u", hb ? hb : "0", hp, p));
                }
                for (guint c = 0; c < cand->len && !done; c++) {
                    const char *key = g_ptr_array_index(cand, c);
                    const char *colon = strchr(key, ':');
                    g_autofree char *bus = g_strndup(key, (gsize)(colon - key));
                    if (g_hash_table_contains(used, key))
                        continue;
                    g_hash_table_add(used, g_strdup(key));
                    mvXMLRemoveChildren(list[i]->node, "address");
                    an = xmlNewChild(list[i]->node, NULL, BAD_CAST "address", NULL);
                    mvXMLSetProp(an, "type", "usb");
                    mvXMLSetProp(an, "bus", bus);
                    mvXMLSetProp(an, "port", colon + 1);
                    done = TRUE;
                }
            }
            if (!done) {
                mvReportError(MV_ERR_XML_ERROR, "%s", "No free USB ports");
                return -1;
            }
        }
    }
    return 0;
}

static int
ppAssignVirtioSerial(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;
    g_autoptr(GHashTable) used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (size_t i = 0; i < def->nchannels; i++) {
        xmlNode *an = mvXMLChild(def->channels[i]->dev.node, "address");
        if (an && ppPropIs(an, "type", "virtio-serial")) {
            g_autofree char *c = mvXMLProp(an, "controller");
            g_autofree char *p = mvXMLProp(an, "port");
            if (p)
                g_hash_table_add(used, g_strdup_printf("%s:%s", c ? c : "0", p));
        }
    }
    for (size_t i = 0; i < def->nchannels; i++) {
        mvDomainChrDef *ch = def->channels[i];
        xmlNode *an = mvXMLChild(ch->dev.node, "address");
        unsigned int port;
        char buf[16];
        if (!PP_STREQ(ch->targetType, "virtio"))
            continue;
        if (an && (!ppPropIs(an, "type", "virtio-serial") || xmlHasProp(an, BAD_CAST "port")))
            continue;
        for (port = 1; port < 31; port++) {
            char *key = g_strdup_printf("0:%u", port);
            if (!g_hash_table_contains(used, key)) {
                g_hash_table_add(used, key);
                break;
            }
            g_free(key);
        }
        if (port >= 31) {
            mvReportError(MV_ERR_XML_ERROR, "%s", "Unable to find a free virtio-serial port");
            return -1;
        }
        mvXMLRemoveChildren(ch->dev.node, "address");
        an = xmlNewChild(ch->dev.node, NULL, BAD_CAST "address", NULL);
        mvXMLSetProp(an, "type", "virtio-serial");
        mvXMLSetProp(an, "controller", "0");
        mvXMLSetProp(an, "bus", "0");
        g_snprintf(buf, sizeof(buf), "%u", port);
        mvXMLSetProp(an, "port", buf);
    }
    return 0;
}

/* ===================================================================== */
/* validation libvirt does right after                                    */
/* ===================================================================== */

static int
ppValidate(ppCtx *ctx)
{
    mvDomainDef *def = ctx->def;
    const char *emu = def->emulator;

    if (!PP_STREQ(def->osType, "hvm")) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "Emulator '%s' does not support os type '%s'",
                      emu, def->osType);
        return -1;
    }
    if (PP_STREQ(def->virtType, "kvm") ? !ctx->caps->kvmSupported : !PP_STREQ(def->virtType, "qemu")) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "Emulator '%s' does not support virt type '%s'",
                      emu, def->virtType);
        return -1;
    }
    if (!mvQemuCapsFindMachine(ctx->caps, def->osMachine)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "Emulator '%s' does not support machine type '%s'",
                      emu, def->osMachine);
        return -1;
    }
    if (ctx->q35 && ppCtrlFind(def, "ide", 0)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "IDE controllers are unsupported for this QEMU binary or machine type");
        return -1;
    }
    return 0;
}

/* ===================================================================== */
/* entry points                                                           */
/* ===================================================================== */

int
qemuDefinePostParse(mvDomainDef *def, const mvQemuCaps *caps)
{
    ppCtx ctx = { .def = def, .caps = caps };

    if (!def->emulator)
        def->emulator = g_strdup(caps->binary);
    if (!def->osArch)
        def->osArch = g_strdup(caps->arch);
    if (ppMachine(&ctx) < 0)
        return -1;

    ctx.hvm = PP_STREQ(def->osType, "hvm");
    ctx.x86 = ctx.hvm && (PP_STREQ(def->osArch, "x86_64") || PP_STREQ(def->osArch, "i686"));
    ctx.i440fx = ctx.x86 && ppMachineIsI440FX(def->osMachine);
    ctx.q35 = ctx.x86 && ppMachineIsQ35(def->osMachine);

    if (ctx.hvm) {
        if (ppInputs(&ctx) < 0 ||
            ppDefaultControllers(&ctx) < 0 ||
            ppMemballoon(&ctx) < 0)
            return -1;
        ppCPU(&ctx);
        if (ppAudio(&ctx) < 0 || ppVideos(&ctx) < 0)
            return -1;
        ppDeviceDefaults(&ctx);
        if (ctx.x86 && qemuDomainAssignPCIAddresses(&ctx) < 0)
            return -1;
        if (ppAssignUSB(&ctx) < 0 || ppAssignVirtioSerial(&ctx) < 0)
            return -1;
    }
    return ppValidate(&ctx);
}

int
qemuDefinePostParseProbe(mvDomainDef *def)
{
    g_autofree char *emulator = NULL;
    g_autoptr(mvQemuCaps) caps = NULL;

    if (def->osArch && !mvQemuCapsTargetFromArch(def->osArch)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "Unknown architecture %s", def->osArch);
        return -1;
    }
    if (def->emulator) {
        emulator = g_strdup(def->emulator);
    } else {
        const char *arch = def->osArch ? def->osArch : qemuPostParseHostArch();
        if (!(emulator = mvQemuCapsFindEmulatorForArch(arch))) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "No emulator found for arch '%s'", arch);
            return -1;
        }
    }
    if (!(caps = mvQemuCapsGet(emulator)))
        return -1;
    return qemuDefinePostParse(def, caps);
}
