/* Domain XML -> QEMU command line.  See qemu_command.h.
 *
 * The layout of the generated command line (option order, JSON property
 * order, aliases, node names, PCI address assignment) follows what libvirt
 * 9.0 produces for QEMU 7.2, so logs, domxml-to-native output and guest
 * visible topology look the same as under libvirt. */
#define MV_FROM_THIS MV_FROM_QEMU

#include "qemu_command.h"
#include "qemu_postparse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "util/error.h"
#include "util/uuid.h"
#include "xml/xmlutil.h"

#define QEMU_PATH_DEFAULT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin"
#define QEMU_GRAPHICS_PORT_MIN 5900
#define QEMU_GRAPHICS_PORT_MAX 65535
#define QEMU_SPICE_X509_DIR "/etc/pki/libvirt-spice"

/* ===================================================================== */
/* small helpers                                                          */
/* ===================================================================== */

static gboolean
qemuStrEq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static gboolean
qemuStrIn(const char *s, const char *const *list)
{
    if (!s)
        return FALSE;
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return TRUE;
    return FALSE;
}
#define QSTRL(...) ((const char *const[]){ __VA_ARGS__, NULL })

static int
qemuUnsupported(const char *what, const char *detail)
{
    if (detail)
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s '%s' is not supported by this QEMU driver",
                      what, detail);
    else
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s is not supported by this QEMU driver", what);
    return -1;
}

static char *
qemuProp(const xmlNode *n, const char *name)
{
    char *v = n ? mvXMLProp(n, name) : NULL;
    if (v && !*v) {
        g_free(v);
        return NULL;
    }
    return v;
}

static char *
qemuChildProp(const xmlNode *n, const char *child, const char *attr)
{
    char *v = n ? mvXMLChildProp(n, child, attr) : NULL;
    if (v && !*v) {
        g_free(v);
        return NULL;
    }
    return v;
}

/* A top-level element kept verbatim in def->extra (features, cpu, clock ...). */
static xmlNode *
qemuDefExtra(const mvDomainDef *def, const char *name)
{
    if (!def->extra)
        return NULL;
    for (guint i = 0; i < def->extra->len; i++) {
        xmlNode *n = g_ptr_array_index(def->extra, i);
        if (mvXMLNodeIs(n, name))
            return n;
    }
    return NULL;
}

static gboolean
qemuArchIsX86(const char *arch)
{
    return qemuStrEq(arch, "x86_64") || qemuStrEq(arch, "i686");
}

static const char *
qemuDefArch(const mvDomainDef *def, const mvQemuCaps *caps)
{
    if (def->osArch)
        return def->osArch;
    if (caps && caps->arch)
        return caps->arch;
    return "x86_64";
}

static gboolean
qemuMachineIsQ35(const char *machine)
{
    return machine && (g_str_has_prefix(machine, "pc-q35") || strcmp(machine, "q35") == 0);
}

static gboolean
qemuMachineIsI440FX(const char *machine)
{
    return machine && (strcmp(machine, "pc") == 0 || g_str_has_prefix(machine, "pc-i440fx") ||
                       g_str_has_prefix(machine, "pc-0.") || g_str_has_prefix(machine, "pc-1."));
}

static gboolean
qemuDefIsQ35(const mvDomainDef *def)
{
    return qemuMachineIsQ35(def->osMachine);
}

static gboolean
qemuDefIsI440FX(const mvDomainDef *def)
{
    return qemuMachineIsI440FX(def->osMachine);
}

/* Escape ',' as ',,' for QEMU's option syntax. */
static void
qemuBufEscapeComma(GString *buf, const char *s)
{
    for (; s && *s; s++) {
        if (*s == ',')
            g_string_append_c(buf, ',');
        g_string_append_c(buf, *s);
    }
}

/* ---- the argument vector ----------------------------------------------- */

typedef struct {
    GPtrArray *args;
} qemuCmd;

static void
qemuCmdAdd(qemuCmd *cmd, const char *arg)
{
    g_ptr_array_add(cmd->args, g_strdup(arg));
}

static void
qemuCmdAddPair(qemuCmd *cmd, const char *opt, const char *val)
{
    qemuCmdAdd(cmd, opt);
    qemuCmdAdd(cmd, val);
}

static void qemuCmdAddPairf(qemuCmd *cmd, const char *opt, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static void
qemuCmdAddPairf(qemuCmd *cmd, const char *opt, const char *fmt, ...)
{
    va_list ap;
    qemuCmdAdd(cmd, opt);
    va_start(ap, fmt);
    g_ptr_array_add(cmd->args, g_strdup_vprintf(fmt, ap));
    va_end(ap);
}

static void
qemuCmdAddPairBuf(qemuCmd *cmd, const char *opt, GString *buf)
{
    qemuCmdAdd(cmd, opt);
    g_ptr_array_add(cmd->args, g_string_free(buf, FALSE));
}

/* ---- ordered JSON objects (property order matters for the goldens) ------ */

typedef struct {
    GString *s;
    gboolean first;
} qemuJSON;

static void
qemuJSONEscape(GString *s, const char *v)
{
    g_string_append_c(s, '"');
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        switch (*p) {
        case '"': g_string_append(s, "\\\""); break;
        case '\\': g_string_append(s, "\\\\"); break;
        case '\n': g_string_append(s, "\\n"); break;
        case '\r': g_string_append(s, "\\r"); break;
        case '\t': g_string_append(s, "\\t"); break;
        case '\b': g_string_append(s, "\\b"); break;
        case '\f': g_string_append(s, "\\f"); break;
        default:
            if (*p < 0x20)
                g_string_append_printf(s, "\\u%04x", *p);
            else
                g_string_append_c(s, (char)*p);
        }
    }
    g_string_append_c(s, '"');
}

static void
qemuJSONInit(qemuJSON *j)
{
    j->s = g_string_new("{");
    j->first = TRUE;
}

static void
qemuJSONKey(qemuJSON *j, const char *key)
{
    if (!j->first)
        g_string_append_c(j->s, ',');
    j->first = FALSE;
    qemuJSONEscape(j->s, key);
    g_string_append_c(j->s, ':');
}

static void
qemuJSONStr(qemuJSON *j, const char *key, const char *val)
{
    if (!val)
        return;
    qemuJSONKey(j, key);
    qemuJSONEscape(j->s, val);
}

static void
qemuJSONInt(qemuJSON *j, const char *key, long long val)
{
    qemuJSONKey(j, key);
    g_string_append_printf(j->s, "%lld", val);
}

static void
qemuJSONUInt(qemuJSON *j, const char *key, unsigned long long val)
{
    qemuJSONKey(j, key);
    g_string_append_printf(j->s, "%llu", val);
}

static void
qemuJSONBool(qemuJSON *j, const char *key, gboolean val)
{
    qemuJSONKey(j, key);
    g_string_append(j->s, val ? "true" : "false");
}


static char *
qemuJSONFinish(qemuJSON *j)
{
    g_string_append_c(j->s, '}');
    return g_string_free(g_steal_pointer(&j->s), FALSE);
}

static void
qemuCmdAddJSON(qemuCmd *cmd, const char *opt, qemuJSON *j)
{
    qemuCmdAdd(cmd, opt);
    g_ptr_array_add(cmd->args, qemuJSONFinish(j));
}

/* ===================================================================== */
/* device nodes: aliases, addresses, models                               */
/* ===================================================================== */

char *
qemuDeviceGetAlias(const mvDomainDeviceDef *dev)
{
    if (!dev)
        return NULL;
    if (dev->kind == MV_DOMAIN_DEVICE_NET && ((const mvDomainNetDef *)dev)->alias)
        return g_strdup(((const mvDomainNetDef *)dev)->alias);
    return qemuChildProp(dev->node, "alias", "name");
}

static void
qemuDeviceSetAlias(mvDomainDeviceDef *dev, const char *alias)
{
    if (dev->kind == MV_DOMAIN_DEVICE_NET) {
        mvDomainNetDef *net = (mvDomainNetDef *)dev;
        g_free(net->alias);
        net->alias = g_strdup(alias);
    }
    mvXMLSetChildProp(dev->node, "alias", "name", alias);
}

/* ---- controllers -------------------------------------------------------- */

static char *
qemuCtrlType(const mvDomainDeviceDef *c)
{
    return qemuProp(c->node, "type");
}

static char *
qemuCtrlModel(const mvDomainDeviceDef *c)
{
    return qemuProp(c->node, "model");
}

static int
qemuCtrlIndex(const mvDomainDeviceDef *c)
{
    unsigned int idx = 0;
    g_autofree char *s = mvXMLProp(c->node, "index");
    if (!s || mvStrToUInt(s, 10, &idx) < 0 || idx > 255)
        return 0;
    return (int)idx;
}

static mvDomainDeviceDef *
qemuFindController(const mvDomainDef *def, const char *type, int idx)
{
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        g_autofree char *t = qemuCtrlType(c);
        if (qemuStrEq(t, type) && qemuCtrlIndex(c) == idx)
            return c;
    }
    return NULL;
}

/* ---- PCI addresses in the XML ------------------------------------------- */

typedef struct {
    int domain, bus, slot, function;
    gboolean multi;
} qemuPCIAddr;

/* 1 = PCI address present (*addr filled), 0 = none / other type, -1 = bad */
static int
qemuNodeGetPCIAddr(const xmlNode *n, qemuPCIAddr *addr)
{
    xmlNode *a = mvXMLChild(n, "address");
    g_autofree char *type = NULL;
    g_autofree char *multi = NULL;
    unsigned int v;

    memset(addr, 0, sizeof(*addr));
    if (!a)
        return 0;
    type = mvXMLProp(a, "type");
    if (!qemuStrEq(type, "pci"))
        return 0;
#define QEMU_ADDR_FIELD(name, field, max) \
    do { \
        g_autofree char *s = mvXMLProp(a, name); \
        if (s) { \
            if (mvStrToUInt(s, 0, &v) < 0 || v > (max)) { \
                mvReportError(MV_ERR_XML_ERROR, "Invalid PCI address %s '%s'", name, s); \
                return -1; \
            } \
            addr->field = (int)v; \
        } \
    } while (0)
    QEMU_ADDR_FIELD("domain", domain, 0xffff);
    QEMU_ADDR_FIELD("bus", bus, 0xff);
    QEMU_ADDR_FIELD("slot", slot, 0x1f);
    QEMU_ADDR_FIELD("function", function, 7);
#undef QEMU_ADDR_FIELD
    multi = mvXMLProp(a, "multifunction");
    addr->multi = qemuStrEq(multi, "on");
    return 1;
}

/* ===================================================================== */
/* aliases                                                                */
/* ===================================================================== */

static gboolean
qemuDriveAddr(const xmlNode *n, unsigned int *ctrl, unsigned int *bus,
              unsigned int *target, unsigned int *unit)
{
    xmlNode *a = mvXMLChild(n, "address");
    g_autofree char *type = a ? mvXMLProp(a, "type") : NULL;
    *ctrl = *bus = *target = *unit = 0;
    if (!qemuStrEq(type, "drive"))
        return FALSE;
    if (mvXMLPropUInt(a, "controller", 10, ctrl) < 0 || mvXMLPropUInt(a, "bus", 10, bus) < 0 ||
        mvXMLPropUInt(a, "target", 10, target) < 0 || mvXMLPropUInt(a, "unit", 10, unit) < 0) {
        mvErrorReset();
        return FALSE;
    }
    return TRUE;
}

static char *
qemuControllerAliasFor(const mvDomainDef *def, const char *type, const char *model, int idx)
{
    if (qemuStrEq(type, "pci")) {
        if (idx == 0 && qemuStrEq(model, "pcie-root"))
            return g_strdup("pcie.0");
        return g_strdup_printf("pci.%d", idx);
    }
    if (qemuStrEq(type, "ide")) {
        if (idx == 0 && (qemuDefIsI440FX(def) || qemuDefIsQ35(def)))
            return g_strdup("ide");
        return g_strdup_printf("ide%d", idx);
    }
    if (qemuStrEq(type, "sata")) {
        if (idx == 0 && qemuDefIsQ35(def))
            return g_strdup("ide");
        return g_strdup_printf("sata%d", idx);
    }
    if (qemuStrEq(type, "usb")) {
        if (idx == 0)
            return g_strdup("usb");
        return g_strdup_printf("usb%d", idx);
    }
    return g_strdup_printf("%s%d", type ? type : "controller", idx);
}

static char *
qemuDiskAliasFor(const mvDomainDiskDef *d)
{
    unsigned int ctrl, bus, target, unit;
    gboolean drive = qemuDriveAddr(d->dev.node, &ctrl, &bus, &target, &unit);
    int idx = mvDiskNameToIndex(d->dst);
    if (qemuStrEq(d->bus, "ide") && drive)
        return g_strdup_printf("ide%u-%u-%u", ctrl, bus, unit);
    if (qemuStrEq(d->bus, "sata") && drive)
        return g_strdup_printf("sata%u-%u-%u", ctrl, bus, unit);
    if (qemuStrEq(d->bus, "scsi") && drive)
        return g_strdup_printf("scsi%u-%u-%u-%u", ctrl, bus, target, unit);
    if (qemuStrEq(d->bus, "fdc") && drive)
        return g_strdup_printf("fdc%u-%u-%u", ctrl, bus, unit);
    if (qemuStrEq(d->bus, "virtio"))
        return g_strdup_printf("virtio-disk%d", MAX(idx, 0));
    if (qemuStrEq(d->bus, "usb"))
        return g_strdup_printf("usb-disk%d", MAX(idx, 0));
    if (qemuStrEq(d->bus, "xen"))
        return g_strdup_printf("xenblk%d", MAX(idx, 0));
    if (qemuStrEq(d->bus, "sd"))
        return g_strdup_printf("sd-disk%d", MAX(idx, 0));
    return g_strdup_printf("%s-disk%d", d->bus ? d->bus : "disk", MAX(idx, 0));
}

static void
qemuSetAliasIfMissing(mvDomainDeviceDef *dev, char *alias)
{
    g_autofree char *owned = alias;
    g_autofree char *cur = qemuDeviceGetAlias(dev);
    if (!cur)
        qemuDeviceSetAlias(dev, owned);
}

int
qemuAssignDeviceAliases(mvDomainDef *def)
{
    static const struct { mvDomainDeviceKind kind; const char *prefix; } simple[] = {
        { MV_DOMAIN_DEVICE_FS, "fs" },
        { MV_DOMAIN_DEVICE_SMARTCARD, "smartcard" },
        { MV_DOMAIN_DEVICE_INPUT, "input" },
        { MV_DOMAIN_DEVICE_TPM, "tpm" },
        { MV_DOMAIN_DEVICE_SOUND, "sound" },
        { MV_DOMAIN_DEVICE_VIDEO, "video" },
        { MV_DOMAIN_DEVICE_HOSTDEV, "hostdev" },
        { MV_DOMAIN_DEVICE_REDIRDEV, "redir" },
        { MV_DOMAIN_DEVICE_HUB, "hub" },
        { MV_DOMAIN_DEVICE_WATCHDOG, "watchdog" },
        { MV_DOMAIN_DEVICE_MEMBALLOON, "balloon" },
        { MV_DOMAIN_DEVICE_RNG, "rng" },
        { MV_DOMAIN_DEVICE_NVRAM, "nvram" },
        { MV_DOMAIN_DEVICE_SHMEM, "shmem" },
        { MV_DOMAIN_DEVICE_MEMORY, "dimm" },
        { MV_DOMAIN_DEVICE_VSOCK, "vsock" },
        { MV_DOMAIN_DEVICE_CRYPTO, "crypto" },
        { MV_DOMAIN_DEVICE_IOMMU, "iommu" },
    };

    for (size_t i = 0; i < def->ndisks; i++)
        qemuSetAliasIfMissing(&def->disks[i]->dev, qemuDiskAliasFor(def->disks[i]));

    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
        mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        g_autofree char *type = qemuCtrlType(c);
        g_autofree char *model = qemuCtrlModel(c);
        qemuSetAliasIfMissing(c, qemuControllerAliasFor(def, type, model, qemuCtrlIndex(c)));
    }

    for (size_t i = 0; i < def->nnets; i++) {
        if (qemuStrEq(def->nets[i]->type, "hostdev"))
            qemuSetAliasIfMissing(&def->nets[i]->dev, g_strdup_printf("hostdev%zu", i));
        else
            qemuSetAliasIfMissing(&def->nets[i]->dev, g_strdup_printf("net%zu", i));
    }

    for (size_t k = 0; k < G_N_ELEMENTS(simple); k++) {
        for (size_t i = 0; i < def->ndevs[simple[k].kind]; i++)
            qemuSetAliasIfMissing(def->devs[simple[k].kind][i],
                                  g_strdup_printf("%s%zu", simple[k].prefix, i));
    }

    for (size_t i = 0; i < def->nserials; i++)
        qemuSetAliasIfMissing(&def->serials[i]->dev, g_strdup_printf("serial%zu", i));
    for (size_t i = 0; i < def->nparallels; i++)
        qemuSetAliasIfMissing(&def->parallels[i]->dev, g_strdup_printf("parallel%zu", i));
    for (size_t i = 0; i < def->nchannels; i++)
        qemuSetAliasIfMissing(&def->channels[i]->dev, g_strdup_printf("channel%zu", i));
    for (size_t i = 0; i < def->nconsoles; i++) {
        mvDomainChrDef *con = def->consoles[i];
        /* the serial-compat console is the same device as serial0 */
        if (i == 0 && qemuStrEq(con->targetType, "serial") && def->nserials > 0 &&
            qemuStrEq(def->osType, "hvm")) {
            g_autofree char *sa = qemuDeviceGetAlias(&def->serials[0]->dev);
            qemuSetAliasIfMissing(&con->dev, g_strdup(sa ? sa : "serial0"));
        } else {
            qemuSetAliasIfMissing(&con->dev, g_strdup_printf("console%zu", i));
        }
    }
    return 0;
}

static gboolean
qemuChrIsSerialConsole(const mvDomainDef *def, const mvDomainChrDef *chr)
{
    return def->nconsoles > 0 && def->consoles[0] == chr && def->nserials > 0 &&
           qemuStrEq(chr->targetType, "serial") && qemuStrEq(def->osType, "hvm");
}

char *
qemuChardevAlias(const mvDomainDef *def, const mvDomainChrDef *chr)
{
    g_autofree char *alias = NULL;
    if (def && qemuChrIsSerialConsole(def, chr))
        alias = qemuDeviceGetAlias(&def->serials[0]->dev);
    else
        alias = qemuDeviceGetAlias(&chr->dev);
    if (!alias)
        return NULL;
    return g_strdup_printf("char%s", alias);
}

/* ===================================================================== */
/* paths chosen at start                                                  */
/* ===================================================================== */

int
qemuDomainPrepareChardevPaths(mvDomainDef *def, const char *libDir)
{
    if (!libDir)
        return 0;
    for (size_t i = 0; i < def->nchannels; i++) {
        mvDomainChrDef *ch = def->channels[i];
        xmlNode *src;
        if (!qemuStrEq(ch->type, "unix") || ch->sourcePath)
            continue;
        if (ch->targetName && !strchr(ch->targetName, '/'))
            ch->sourcePath = g_build_filename(libDir, ch->targetName, NULL);
        else
            ch->sourcePath = g_strdup_printf("%s/channel%zu.sock", libDir, i);
        src = mvXMLEnsureChild(ch->dev.node, "source");
        if (!xmlHasProp(src, BAD_CAST "mode"))
            mvXMLSetProp(src, "mode", "bind");
        mvXMLSetProp(src, "path", ch->sourcePath);
    }
    for (size_t i = 0; i < def->ngraphics; i++) {
        mvDomainGraphicsDef *g = def->graphics[i];
        xmlNode *l = mvXMLChild(g->dev.node, "listen");
        g_autofree char *ltype = l ? mvXMLProp(l, "type") : NULL;
        g_autofree char *lsock = l ? qemuProp(l, "socket") : NULL;
        if (!qemuStrEq(ltype, "socket"))
            continue;
        if (!lsock) {
            g_autofree char *path = g_strdup_printf("%s/%s.sock", libDir,
                                                    qemuStrEq(g->type, "spice") ? "spice" : "vnc");
            mvXMLSetProp(l, "socket", path);
            if (qemuStrEq(g->type, "vnc") && !g->socket)
                g->socket = g_strdup(path);
        } else if (qemuStrEq(g->type, "vnc") && !g->socket) {
            g->socket = g_strdup(lsock);
        }
    }
    return 0;
}

/* <os firmware='efi'> without a loader: the usual OVMF locations. */
static int
qemuDomainSelectFirmware(mvDomainDef *def, const char *libDir)
{
    static const char *const pairs[][2] = {
        { "/usr/share/OVMF/OVMF_CODE_4M.fd", "/usr/share/OVMF/OVMF_VARS_4M.fd" },
        { "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd" },
        { "/usr/share/edk2/ovmf/OVMF_CODE.fd", "/usr/share/edk2/ovmf/OVMF_VARS.fd" },
        { "/usr/share/qemu/ovmf-x86_64-code.bin", "/usr/share/qemu/ovmf-x86_64-vars.bin" },
    };
    g_autofree char *firmware = def->os ? mvXMLProp(def->os, "firmware") : NULL;
    xmlNode *loader = def->os ? mvXMLChild(def->os, "loader") : NULL;
    g_autofree char *lpath = loader ? mvXMLContent(loader) : NULL;
    xmlNode *nv;

    if (!qemuStrEq(firmware, "efi") || (lpath && *g_strstrip(lpath)))
        return 0;
    if (!qemuArchIsX86(def->osArch))
        return qemuUnsupported("automatic firmware selection for arch", def->osArch);
    for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
        g_autofree char *nvpath = NULL;
        if (!g_file_test(pairs[i][0], G_FILE_TEST_EXISTS))
            continue;
        if (!loader)
            loader = xmlNewChild(def->os, NULL, BAD_CAST "loader", NULL);
        mvXMLSetContent(loader, pairs[i][0]);
        mvXMLSetProp(loader, "readonly", "yes");
        mvXMLSetProp(loader, "type", "pflash");
        nv = mvXMLEnsureChild(def->os, "nvram");
        g_autofree char *cur = mvXMLContent(nv);
        if (!cur || !*g_strstrip(cur)) {
            g_autofree char *base = libDir ? g_path_get_dirname(libDir) : g_strdup("/var/lib/libvirt/qemu");
            nvpath = g_strdup_printf("%s/nvram/%s_VARS.fd", base, def->name);
            mvXMLSetContent(nv, nvpath);
        }
        if (!xmlHasProp(nv, BAD_CAST "template"))
            mvXMLSetProp(nv, "template", pairs[i][1]);
        return 0;
    }
    mvReportError(MV_ERR_OPERATION_FAILED, "%s", "Unable to find any firmware to satisfy 'efi'");
    return -1;
}

int
qemuDomainCreateNVRAM(const mvDomainDef *def)
{
    xmlNode *nv = def->os ? mvXMLChild(def->os, "nvram") : NULL;
    g_autofree char *path = nv ? mvXMLContent(nv) : NULL;
    g_autofree char *tmpl = nv ? qemuProp(nv, "template") : NULL;
    g_autofree char *data = NULL;
    g_autofree char *dir = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;

    if (!path || !*g_strstrip(path) || g_file_test(path, G_FILE_TEST_EXISTS))
        return 0;
    if (!tmpl) {
        mvReportError(MV_ERR_OPERATION_FAILED, "unable to find any master var store for loader: %s",
                      path);
        return -1;
    }
    if (!g_file_get_contents(tmpl, &data, &len, &err)) {
        mvReportError(MV_ERR_OPERATION_FAILED, "Failed to open file '%s': %s", tmpl, err->message);
        return -1;
    }
    dir = g_path_get_dirname(path);
    if (g_mkdir_with_parents(dir, 0755) < 0) {
        mvReportSystemError(errno, "Cannot create directory '%s'", dir);
        return -1;
    }
    if (!g_file_set_contents(path, data, (gssize)len, &err)) {
        mvReportError(MV_ERR_OPERATION_FAILED, "Failed to create file '%s': %s", path, err->message);
        return -1;
    }
    return 0;
}

static int
qemuDomainPrepare(mvDomainDef *def, const mvQemuCaps *caps,
                  const qemuCommandParams *params, gboolean allocPorts);

int
qemuDomainPrepareForStart(mvDomainDef *def, const mvQemuCaps *caps,
                          const qemuCommandParams *params)
{
    return qemuDomainPrepare(def, caps, params, TRUE);
}

static int
qemuDomainPrepare(mvDomainDef *def, const mvQemuCaps *caps,
                  const qemuCommandParams *params, gboolean allocPorts)
{
    if (!caps) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "no QEMU capabilities to prepare the domain with");
        return -1;
    }
    /* the define-time post-parse (defaults, implicit devices, PCI/USB/
     * virtio-serial addresses); idempotent, so a def defined through the
     * driver comes out unchanged */
    if (qemuDefinePostParse(def, caps) < 0)
        return -1;
    if (qemuDomainSelectFirmware(def, params ? params->libDir : NULL) < 0)
        return -1;
    /* like libvirt, x86 guests get their RAM size aligned up to 1 MiB */
    if (qemuArchIsX86(qemuDefArch(def, caps)) && def->memoryKiB % 1024)
        def->memoryKiB = (def->memoryKiB + 1023) / 1024 * 1024;
    if (qemuAssignDeviceAliases(def) < 0)
        return -1;
    if (qemuDomainPrepareChardevPaths(def, params ? params->libDir : NULL) < 0)
        return -1;
    if (allocPorts && qemuDomainAllocateGraphicsPorts(def) < 0)
        return -1;
    return 0;
}

/* ===================================================================== */
/* graphics ports                                                         */
/* ===================================================================== */

static GMutex qemuPortLock;
static GHashTable *qemuPortsUsed;

static gboolean
qemuPortBindable(int port)
{
    struct sockaddr_in in4 = { 0 };
    struct sockaddr_in6 in6 = { 0 };
    int one = 1;
    int fd;
    gboolean ok = TRUE;

    in4.sin_family = AF_INET;
    in4.sin_port = htons((uint16_t)port);
    in4.sin_addr.s_addr = htonl(INADDR_ANY);
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&in4, sizeof(in4)) < 0)
            ok = FALSE;
        close(fd);
    }
    if (!ok)
        return FALSE;
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons((uint16_t)port);
    in6.sin6_addr = in6addr_any;
    if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&in6, sizeof(in6)) < 0 && errno == EADDRINUSE)
            ok = FALSE;
        close(fd);
    }
    return ok;
}

int
qemuGraphicsAllocatePort(void)
{
    int found = -1;
    g_mutex_lock(&qemuPortLock);
    if (!qemuPortsUsed)
        qemuPortsUsed = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (int p = QEMU_GRAPHICS_PORT_MIN; p <= QEMU_GRAPHICS_PORT_MAX; p++) {
        if (g_hash_table_contains(qemuPortsUsed, GINT_TO_POINTER(p)))
            continue;
        if (!qemuPortBindable(p))
            continue;
        g_hash_table_add(qemuPortsUsed, GINT_TO_POINTER(p));
        found = p;
        break;
    }
    g_mutex_unlock(&qemuPortLock);
    if (found < 0)
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "Unable to find an unused port in range 'display' (%d-%d)",
                      QEMU_GRAPHICS_PORT_MIN, QEMU_GRAPHICS_PORT_MAX);
    return found;
}

void
qemuGraphicsReleasePort(int port)
{
    if (port < QEMU_GRAPHICS_PORT_MIN)
        return;
    g_mutex_lock(&qemuPortLock);
    if (qemuPortsUsed)
        g_hash_table_remove(qemuPortsUsed, GINT_TO_POINTER(port));
    g_mutex_unlock(&qemuPortLock);
}

int
qemuDomainAllocateGraphicsPorts(mvDomainDef *def)
{
    for (size_t i = 0; i < def->ngraphics; i++) {
        mvDomainGraphicsDef *g = def->graphics[i];
        xmlNode *l = mvXMLChild(g->dev.node, "listen");
        g_autofree char *ltype = l ? mvXMLProp(l, "type") : NULL;
        if (!g->autoport || g->socket || qemuStrIn(ltype, QSTRL("socket", "none")))
            continue;
        if (qemuStrEq(g->type, "vnc") || qemuStrEq(g->type, "spice")) {
            if (g->port <= 0 && (g->port = qemuGraphicsAllocatePort()) < 0) {
                g->port = -1;
                return -1;
            }
        }
    }
    return 0;
}

void
qemuDomainReleaseGraphicsPorts(mvDomainDef *def)
{
    for (size_t i = 0; i < def->ngraphics; i++) {
        mvDomainGraphicsDef *g = def->graphics[i];
        if (!g->autoport)
            continue;
        qemuGraphicsReleasePort(g->port);
        if (g->tlsPort > 0)
            qemuGraphicsReleasePort(g->tlsPort);
    }
}

/* ===================================================================== */
/* the command line                                                       */
/* ===================================================================== */

typedef struct {
    const mvDomainDef *def;
    const mvQemuCaps *caps;
    const qemuCommandParams *params;
    qemuCmd cmd;
    gboolean x86, q35, i440fx, kvm;
    const char *arch;
    char *audioId;            /* first <audio>'s QEMU id ("audio1") or NULL */
    GHashTable *diskBoot;     /* node -> bootindex */
} qemuBuildCtx;

static int
qemuRequireDevice(qemuBuildCtx *ctx, const char *type)
{
    if (ctx->caps && !mvQemuCapsHasType(ctx->caps, type)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                      "The '%s' device is not supported by this QEMU binary", type);
        return -1;
    }
    return 0;
}


/* "bus":..,"addr":.. (PCI) or "bus":"usb.0","port":"N" (USB) from the
 * device's <address>. */
static int
qemuJSONAddAddress(qemuBuildCtx *ctx, qemuJSON *j, const xmlNode *node)
{
    const mvDomainDef *def = ctx->def;
    xmlNode *a = mvXMLChild(node, "address");
    g_autofree char *type = a ? mvXMLProp(a, "type") : NULL;

    if (!a)
        return 0;
    if (qemuStrEq(type, "pci")) {
        qemuPCIAddr addr;
        mvDomainDeviceDef *c;
        g_autofree char *busAlias = NULL;
        g_autofree char *multi = mvXMLProp(a, "multifunction");
        if (qemuNodeGetPCIAddr(node, &addr) < 0)
            return -1;
        if (addr.domain != 0) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                          "non-zero domain in PCI addresses is not supported by this QEMU driver");
            return -1;
        }
        c = qemuFindController(def, "pci", addr.bus);
        if (!c) {
            mvReportError(MV_ERR_INTERNAL_ERROR,
                          "Could not find PCI controller with index '%d' required for device at "
                          "PCI address '0000:%02x:%02x.%x'", addr.bus, addr.bus, addr.slot,
                          addr.function);
            return -1;
        }
        busAlias = qemuDeviceGetAlias(c);
        if (!busAlias) {
            g_autofree char *model = qemuCtrlModel(c);
            busAlias = qemuControllerAliasFor(def, "pci", model, addr.bus);
        }
        qemuJSONStr(j, "bus", busAlias);
        if (qemuStrEq(multi, "on"))
            qemuJSONBool(j, "multifunction", TRUE);
        else if (qemuStrEq(multi, "off"))
            qemuJSONBool(j, "multifunction", FALSE);
        if (addr.function)
            qemuJSONKey(j, "addr"), g_string_append_printf(j->s, "\"0x%x.0x%x\"", addr.slot, addr.function);
        else
            qemuJSONKey(j, "addr"), g_string_append_printf(j->s, "\"0x%x\"", addr.slot);
    } else if (qemuStrEq(type, "usb")) {
        unsigned int bus = 0;
        g_autofree char *port = mvXMLProp(a, "port");
        mvDomainDeviceDef *c;
        g_autofree char *ctrlAlias = NULL;
        if (mvXMLPropUInt(a, "bus", 10, &bus) < 0)
            return -1;
        c = qemuFindController(def, "usb", (int)bus);
        ctrlAlias = c ? qemuDeviceGetAlias(c) : NULL;
        if (!ctrlAlias)
            ctrlAlias = qemuControllerAliasFor(def, "usb", NULL, (int)bus);
        qemuJSONKey(j, "bus");
        g_string_append_printf(j->s, "\"%s.0\"", ctrlAlias);
        if (port)
            qemuJSONStr(j, "port", port);
    }
    return 0;
}

static char *
qemuAliasOrDefault(const mvDomainDeviceDef *dev, const char *fallback)
{
    char *a = qemuDeviceGetAlias(dev);
    return a ? a : g_strdup(fallback);
}

/* ---- name, machine, accel --------------------------------------------- */

static void
qemuBuildName(qemuBuildCtx *ctx)
{
    GString *buf = g_string_new("guest=");
    qemuBufEscapeComma(buf, ctx->def->name);
    g_string_append(buf, ",debug-threads=on");
    qemuCmdAddPairBuf(&ctx->cmd, "-name", buf);
}

static const char *
qemuMachineRamId(qemuBuildCtx *ctx)
{
    const char *m = ctx->def->osMachine;
    if (ctx->x86)
        return (m && g_str_has_prefix(m, "microvm")) ? "microvm.ram" : "pc.ram";
    if (qemuStrEq(ctx->arch, "aarch64") || qemuStrEq(ctx->arch, "armv7l"))
        return (m && g_str_has_prefix(m, "virt")) ? "mach-virt.ram" : NULL;
    if (qemuStrEq(ctx->arch, "s390x"))
        return "s390.ram";
    if (ctx->arch && g_str_has_prefix(ctx->arch, "ppc64"))
        return (m && g_str_has_prefix(m, "pseries")) ? "ppc_spapr.ram" : NULL;
    if (ctx->arch && g_str_has_prefix(ctx->arch, "riscv"))
        return (m && g_str_has_prefix(m, "virt")) ? "riscv_virt_board.ram" : NULL;
    return NULL;
}

/* <features><NAME state='on|off'/> -> 1 on, 0 off, -1 absent.  Bare
 * <NAME/> counts as on. */
static int
qemuFeatureState(const mvDomainDef *def, const char *name)
{
    xmlNode *f = qemuDefExtra(def, "features");
    xmlNode *n = f ? mvXMLChild(f, name) : NULL;
    g_autofree char *state = NULL;
    if (!n)
        return -1;
    state = mvXMLProp(n, "state");
    if (!state)
        return 1;
    return qemuStrEq(state, "on") || qemuStrEq(state, "yes");
}

/* <clock><timer name=NAME .../> */
static xmlNode *
qemuClockTimer(const mvDomainDef *def, const char *name)
{
    xmlNode *clock = qemuDefExtra(def, "clock");
    for (xmlNode *t = clock ? clock->children : NULL; t; t = t->next) {
        g_autofree char *n = NULL;
        if (!mvXMLNodeIs(t, "timer"))
            continue;
        n = mvXMLProp(t, "name");
        if (qemuStrEq(n, name))
            return t;
    }
    return NULL;
}

typedef struct {
    char *loader;        /* path */
    char *loaderType;    /* rom / pflash */
    gboolean loaderRO;
    char *nvram;         /* path or NULL */
    gboolean stateless;
} qemuFirmware;

static void
qemuFirmwareClear(qemuFirmware *fw)
{
    g_free(fw->loader);
    g_free(fw->loaderType);
    g_free(fw->nvram);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(qemuFirmware, qemuFirmwareClear)

static void
qemuFirmwareGet(const mvDomainDef *def, qemuFirmware *fw)
{
    xmlNode *l = def->os ? mvXMLChild(def->os, "loader") : NULL;
    xmlNode *nv = def->os ? mvXMLChild(def->os, "nvram") : NULL;
    memset(fw, 0, sizeof(*fw));
    if (l) {
        g_autofree char *ro = mvXMLProp(l, "readonly");
        g_autofree char *stateless = mvXMLProp(l, "stateless");
        fw->loader = mvXMLContent(l);
        if (fw->loader) {
            g_strstrip(fw->loader);
            if (!*fw->loader)
                g_clear_pointer(&fw->loader, g_free);
        }
        fw->loaderType = qemuProp(l, "type");
        fw->loaderRO = qemuStrEq(ro, "yes");
        fw->stateless = qemuStrEq(stateless, "yes");
    }
    if (nv) {
        fw->nvram = mvXMLContent(nv);
        if (fw->nvram) {
            g_strstrip(fw->nvram);
            if (!*fw->nvram)
                g_clear_pointer(&fw->nvram, g_free);
        }
    }
}

static void
qemuBuildPflashBlockdev(qemuBuildCtx *ctx, const char *nodebase, const char *path, gboolean ro)
{
    qemuJSON j;
    g_autofree char *storage = g_strdup_printf("%s-storage", nodebase);
    g_autofree char *format = g_strdup_printf("%s-format", nodebase);
    qemuJSONInit(&j);
    qemuJSONStr(&j, "driver", "file");
    qemuJSONStr(&j, "filename", path);
    qemuJSONStr(&j, "node-name", storage);
    qemuJSONBool(&j, "auto-read-only", TRUE);
    qemuJSONStr(&j, "discard", "unmap");
    qemuCmdAddJSON(&ctx->cmd, "-blockdev", &j);
    qemuJSONInit(&j);
    qemuJSONStr(&j, "node-name", format);
    qemuJSONBool(&j, "read-only", ro);
    qemuJSONStr(&j, "driver", "raw");
    qemuJSONStr(&j, "file", storage);
    qemuCmdAddJSON(&ctx->cmd, "-blockdev", &j);
}

static int
qemuBuildFirmwareAndMachine(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    g_auto(qemuFirmware) fw = { 0 };
    GString *m;
    const char *ramId;
    gboolean pflash;
    int st;
    xmlNode *t;

    qemuFirmwareGet(def, &fw);
    pflash = fw.loader && qemuStrEq(fw.loaderType, "pflash");
    if (pflash) {
        qemuBuildPflashBlockdev(ctx, "libvirt-pflash0", fw.loader, fw.loaderRO);
        if (fw.nvram && !fw.stateless)
            qemuBuildPflashBlockdev(ctx, "libvirt-pflash1", fw.nvram, FALSE);
    }

    if (!def->osMachine) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s", "no machine type specified");
        return -1;
    }
    if (ctx->caps && !mvQemuCapsFindMachine(ctx->caps, def->osMachine)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "Emulator '%s' does not support machine type '%s'",
                      ctx->caps->binary ? ctx->caps->binary : "qemu", def->osMachine);
        return -1;
    }

    m = g_string_new(NULL);
    qemuBufEscapeComma(m, def->osMachine);
    if (ctx->x86 || qemuStrEq(ctx->arch, "aarch64"))
        g_string_append(m, ",usb=off");
    if ((st = qemuFeatureState(def, "vmport")) >= 0 && ctx->x86)
        g_string_append_printf(m, ",vmport=%s", st ? "on" : "off");
    if ((st = qemuFeatureState(def, "smm")) >= 0 && ctx->x86)
        g_string_append_printf(m, ",smm=%s", st ? "on" : "off");
    g_string_append_printf(m, ",dump-guest-core=%s",
                           qemuStrEq(def->memoryDumpCore, "on") ? "on" : "off");
    if ((ramId = qemuMachineRamId(ctx)))
        g_string_append_printf(m, ",memory-backend=%s", ramId);
    if (pflash) {
        g_string_append(m, ",pflash0=libvirt-pflash0-format");
        if (fw.nvram && !fw.stateless)
            g_string_append(m, ",pflash1=libvirt-pflash1-format");
    }
    if ((t = qemuClockTimer(def, "hpet")) && ctx->x86) {
        g_autofree char *present = mvXMLProp(t, "present");
        if (present)
            g_string_append_printf(m, ",hpet=%s", qemuStrEq(present, "yes") ? "on" : "off");
    }
    qemuCmdAddPairBuf(&ctx->cmd, "-machine", m);

    if (ctx->kvm && ctx->caps && !ctx->caps->kvmSupported) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "Domain requires KVM, but it is not available. Check that virtualization "
                      "is enabled in the host BIOS, and host configuration is setup to load the "
                      "kvm modules.");
        return -1;
    }
    qemuCmdAddPair(&ctx->cmd, "-accel", ctx->kvm ? "kvm" : "tcg");
    return 0;
}

/* ---- CPU ---------------------------------------------------------------- */

static gboolean
qemuCapsHasCPUModel(const mvQemuCaps *caps, gboolean kvm, const char *model, gboolean *known)
{
    GPtrArray *list = kvm ? caps->cpuModelsKVM : caps->cpuModelsTCG;
    *known = list && list->len > 0;
    if (!*known)
        return TRUE;
    for (guint i = 0; i < list->len; i++) {
        const mvQemuCPUModel *m = g_ptr_array_index(list, i);
        if (qemuStrEq(m->name, model))
            return TRUE;
    }
    return FALSE;
}

static void
qemuAppendCPUFeatures(GString *buf, xmlNode *cpu)
{
    for (xmlNode *f = cpu ? cpu->children : NULL; f; f = f->next) {
        g_autofree char *name = NULL;
        g_autofree char *policy = NULL;
        if (!mvXMLNodeIs(f, "feature"))
            continue;
        name = qemuProp(f, "name");
        policy = mvXMLProp(f, "policy");
        if (!name)
            continue;
        g_strdelimit(name, "_", '-');
        g_string_append_printf(buf, ",%s=%s", name,
                               qemuStrIn(policy, QSTRL("disable", "forbid")) ? "off" : "on");
    }
}

static int
qemuBuildCpu(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    xmlNode *cpu = qemuDefExtra(def, "cpu");
    g_autofree char *mode = cpu ? mvXMLProp(cpu, "mode") : NULL;
    g_autofree char *model = NULL;
    g_autofree char *migratable = cpu ? mvXMLProp(cpu, "migratable") : NULL;
    GString *buf;

    if (cpu) {
        model = mvXMLContent(mvXMLChild(cpu, "model"));
        if (model) {
            g_strstrip(model);
            if (!*model)
                g_clear_pointer(&model, g_free);
        }
    }
    if (!mode)
        mode = g_strdup("custom");

    buf = g_string_new(NULL);
    if (qemuStrEq(mode, "host-passthrough")) {
        gboolean native = !ctx->caps || !ctx->caps->arch ||
                          qemuStrEq(ctx->arch, ctx->caps->arch);
        if (!ctx->kvm || !native) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                          "CPU mode '%s' for %s %s domain on %s host is not supported by hypervisor",
                          mode, ctx->arch, def->virtType ? def->virtType : "qemu",
                          ctx->caps && ctx->caps->arch ? ctx->caps->arch : ctx->arch);
            g_string_free(buf, TRUE);
            return -1;
        }
        g_string_append(buf, "host");
        if (migratable)
            g_string_append_printf(buf, ",migratable=%s", qemuStrEq(migratable, "on") ? "on" : "off");
        qemuAppendCPUFeatures(buf, cpu);
    } else if (qemuStrEq(mode, "host-model")) {
        /* libvirt expands the host CPU model; QEMU's own expansion of it
         * is "host" (migratable) under KVM and "max" under TCG */
        g_string_append(buf, ctx->kvm ? "host,migratable=on" : "max");
        qemuAppendCPUFeatures(buf, cpu);
    } else if (qemuStrEq(mode, "maximum")) {
        g_string_append(buf, "max");
        if (migratable)
            g_string_append_printf(buf, ",migratable=%s", qemuStrEq(migratable, "on") ? "on" : "off");
        qemuAppendCPUFeatures(buf, cpu);
    } else if (qemuStrEq(mode, "custom")) {
        if (model) {
            gboolean known = FALSE;
            if (ctx->caps && !qemuCapsHasCPUModel(ctx->caps, ctx->kvm, model, &known)) {
                mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "CPU model %s is not supported by hypervisor",
                              model);
                g_string_free(buf, TRUE);
                return -1;
            }
            qemuBufEscapeComma(buf, model);
            qemuAppendCPUFeatures(buf, cpu);
        } else if (qemuStrEq(ctx->arch, "x86_64")) {
            g_string_append(buf, "qemu64");
        } else if (qemuStrEq(ctx->arch, "i686")) {
            g_string_append(buf, "qemu32");
        }
    } else {
        mvReportError(MV_ERR_XML_ERROR, "Invalid mode attribute '%s'", mode);
        g_string_free(buf, TRUE);
        return -1;
    }

    if (buf->len)
        qemuCmdAddPairBuf(&ctx->cmd, "-cpu", buf);
    else
        g_string_free(buf, TRUE);
    return 0;
}

/* ---- memory, smp -------------------------------------------------------- */

static void
qemuBuildMemory(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    unsigned long long kib = def->memoryKiB;
    xmlNode *mb = qemuDefExtra(def, "memoryBacking");
    const char *ramId = qemuMachineRamId(ctx);
    qemuJSON j;

    if (ctx->x86 && kib % 1024)
        kib = (kib + 1023) / 1024 * 1024;
    if (def->maxMemoryKiB > 0)
        qemuCmdAddPairf(&ctx->cmd, "-m", "size=%lluk,slots=%u,maxmem=%lluk", kib,
                        def->maxMemorySlots, def->maxMemoryKiB);
    else
        qemuCmdAddPairf(&ctx->cmd, "-m", "%llu", kib / 1024);

    if (ramId) {
        g_autofree char *srcType = qemuChildProp(mb, "source", "type");
        g_autofree char *access = qemuChildProp(mb, "access", "mode");
        qemuJSONInit(&j);
        qemuJSONStr(&j, "qom-type", qemuStrEq(srcType, "memfd") ? "memory-backend-memfd"
                                                                 : "memory-backend-ram");
        qemuJSONStr(&j, "id", ramId);
        if (qemuStrEq(access, "shared"))
            qemuJSONBool(&j, "share", TRUE);
        qemuJSONUInt(&j, "size", kib * 1024ULL);
        qemuCmdAddJSON(&ctx->cmd, "-object", &j);
    }
    qemuCmdAddPair(&ctx->cmd, "-overcommit",
                   mb && mvXMLChild(mb, "locked") ? "mem-lock=on" : "mem-lock=off");
}

static int
qemuBuildSmp(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    xmlNode *cpu = qemuDefExtra(def, "cpu");
    xmlNode *topo = cpu ? mvXMLChild(cpu, "topology") : NULL;
    GString *buf = g_string_new(NULL);
    unsigned int cur = def->vcpusCurrent ? def->vcpusCurrent : def->vcpusMax;

    g_string_append_printf(buf, "%u", cur);
    if (cur != def->vcpusMax)
        g_string_append_printf(buf, ",maxcpus=%u", def->vcpusMax);
    if (topo) {
        unsigned int sockets = 1, dies = 1, cores = 1, threads = 1;
        if (mvXMLPropUInt(topo, "sockets", 10, &sockets) < 0 ||
            mvXMLPropUInt(topo, "dies", 10, &dies) < 0 ||
            mvXMLPropUInt(topo, "cores", 10, &cores) < 0 ||
            mvXMLPropUInt(topo, "threads", 10, &threads) < 0) {
            g_string_free(buf, TRUE);
            return -1;
        }
        if ((unsigned long long)sockets * dies * cores * threads != def->vcpusMax) {
            mvReportError(MV_ERR_XML_ERROR,
                          "Maximum CPUs greater than specified topology %u.", def->vcpusMax);
            g_string_free(buf, TRUE);
            return -1;
        }
        g_string_append_printf(buf, ",sockets=%u", sockets);
        if (ctx->x86)
            g_string_append_printf(buf, ",dies=%u", dies);
        g_string_append_printf(buf, ",cores=%u,threads=%u", cores, threads);
    } else {
        g_string_append_printf(buf, ",sockets=%u,cores=1,threads=1", def->vcpusMax);
    }
    qemuCmdAddPairBuf(&ctx->cmd, "-smp", buf);
    return 0;
}

/* ---- clock, PM, boot ---------------------------------------------------- */

static int
qemuBuildClock(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    xmlNode *clock = qemuDefExtra(def, "clock");
    g_autofree char *offset = clock ? mvXMLProp(clock, "offset") : NULL;
    GString *rtc = g_string_new(NULL);
    xmlNode *t;

    if (!offset || qemuStrEq(offset, "utc")) {
        g_autofree char *adj = clock ? mvXMLProp(clock, "adjustment") : NULL;
        long long secs = 0;
        if (adj && !qemuStrEq(adj, "reset") && mvStrToLLong(adj, 10, &secs) == 0 && secs != 0) {
            GDateTime *now = g_date_time_new_now_utc();
            GDateTime *then = g_date_time_add_seconds(now, (gdouble)secs);
            g_autofree char *s = g_date_time_format(then, "%Y-%m-%dT%H:%M:%S");
            g_string_append_printf(rtc, "base=%s", s);
            g_date_time_unref(then);
            g_date_time_unref(now);
        } else {
            g_string_append(rtc, "base=utc");
        }
    } else if (qemuStrEq(offset, "localtime")) {
        g_string_append(rtc, "base=localtime");
    } else if (qemuStrEq(offset, "variable")) {
        g_autofree char *basis = mvXMLProp(clock, "basis");
        g_autofree char *adj = mvXMLProp(clock, "adjustment");
        long long secs = 0;
        GDateTime *now = qemuStrEq(basis, "localtime") ? g_date_time_new_now_local()
                                                       : g_date_time_new_now_utc();
        GDateTime *then;
        g_autofree char *s = NULL;
        if (adj)
            (void)mvStrToLLong(adj, 10, &secs);
        then = g_date_time_add_seconds(now, (gdouble)secs);
        s = g_date_time_format(then, "%Y-%m-%dT%H:%M:%S");
        g_string_append_printf(rtc, "base=%s", s);
        g_date_time_unref(then);
        g_date_time_unref(now);
    } else if (qemuStrEq(offset, "timezone")) {
        /* QEMU gets TZ in its environment; the RTC runs in local time */
        g_string_append(rtc, "base=localtime");
    } else {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "unsupported clock offset '%s'", offset);
        g_string_free(rtc, TRUE);
        return -1;
    }
    if ((t = qemuClockTimer(def, "rtc"))) {
        g_autofree char *track = mvXMLProp(t, "track");
        g_autofree char *tick = mvXMLProp(t, "tickpolicy");
        if (qemuStrEq(track, "guest"))
            g_string_append(rtc, ",clock=vm");
        else if (qemuStrEq(track, "wall") || qemuStrEq(track, "realtime"))
            g_string_append(rtc, ",clock=rt");
        if (qemuStrEq(tick, "catchup"))
            g_string_append(rtc, ",driftfix=slew");
        else if (tick && !qemuStrEq(tick, "delay")) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "unsupported rtc timer tickpolicy '%s'", tick);
            g_string_free(rtc, TRUE);
            return -1;
        }
    }
    qemuCmdAddPairBuf(&ctx->cmd, "-rtc", rtc);

    if ((t = qemuClockTimer(def, "pit")) && ctx->x86) {
        g_autofree char *tick = mvXMLProp(t, "tickpolicy");
        const char *policy = NULL;
        if (qemuStrEq(tick, "delay"))
            policy = "delay";
        else if (qemuStrEq(tick, "catchup"))
            policy = "slew";
        else if (qemuStrEq(tick, "discard"))
            policy = "discard";
        if (policy)
            qemuCmdAddPairf(&ctx->cmd, "-global", "%s.lost_tick_policy=%s",
                            ctx->kvm ? "kvm-pit" : "kvm-pit", policy);
    }
    return 0;
}

static void
qemuBuildPM(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    xmlNode *pm = qemuDefExtra(def, "pm");
    const char *obj = ctx->q35 ? "ICH9-LPC" : "PIIX4_PM";

    /* QEMU >= 6.0 has set-action: always -no-shutdown, the lifecycle
     * actions are applied over QMP after start */
    qemuCmdAdd(&ctx->cmd, "-no-shutdown");
    if ((ctx->x86 || qemuStrEq(ctx->arch, "aarch64")) && qemuFeatureState(def, "acpi") != 1)
        qemuCmdAdd(&ctx->cmd, "-no-acpi");
    if (pm) {
        g_autofree char *s3 = qemuChildProp(pm, "suspend-to-mem", "enabled");
        g_autofree char *s4 = qemuChildProp(pm, "suspend-to-disk", "enabled");
        if (s3)
            qemuCmdAddPairf(&ctx->cmd, "-global", "%s.disable_s3=%d", obj, qemuStrEq(s3, "no"));
        if (s4)
            qemuCmdAddPairf(&ctx->cmd, "-global", "%s.disable_s4=%d", obj, qemuStrEq(s4, "no"));
    }
}

/* bootindex per device: per-device <boot order> when any is present,
 * otherwise from <os><boot dev=.../> onto the first device of each kind. */
static void
qemuComputeBootIndexes(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    gboolean perDevice = FALSE;
    unsigned int next = 1;

    ctx->diskBoot = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (size_t i = 0; i < def->ndisks; i++)
        if (def->disks[i]->bootIndex)
            perDevice = TRUE;
    for (size_t i = 0; i < def->nnets; i++)
        if (def->nets[i]->bootIndex)
            perDevice = TRUE;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_HOSTDEV]; i++)
        if (mvXMLChild(def->devs[MV_DOMAIN_DEVICE_HOSTDEV][i]->node, "boot"))
            perDevice = TRUE;

    if (perDevice) {
        for (size_t i = 0; i < def->ndisks; i++)
            if (def->disks[i]->bootIndex)
                g_hash_table_insert(ctx->diskBoot, def->disks[i]->dev.node,
                                    GUINT_TO_POINTER(def->disks[i]->bootIndex));
        for (size_t i = 0; i < def->nnets; i++)
            if (def->nets[i]->bootIndex)
                g_hash_table_insert(ctx->diskBoot, def->nets[i]->dev.node,
                                    GUINT_TO_POINTER(def->nets[i]->bootIndex));
        for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_HOSTDEV]; i++) {
            xmlNode *n = def->devs[MV_DOMAIN_DEVICE_HOSTDEV][i]->node;
            unsigned int order = 0;
            xmlNode *b = mvXMLChild(n, "boot");
            if (b && mvXMLPropUInt(b, "order", 10, &order) > 0 && order)
                g_hash_table_insert(ctx->diskBoot, n, GUINT_TO_POINTER(order));
            mvErrorReset();
        }
        return;
    }
    if (mvXMLChild(def->os, "kernel"))
        return;
    for (xmlNode *b = def->os ? def->os->children : NULL; b; b = b->next) {
        g_autofree char *dev = NULL;
        xmlNode *target = NULL;
        if (!mvXMLNodeIs(b, "boot"))
            continue;
        dev = mvXMLProp(b, "dev");
        if (qemuStrEq(dev, "network")) {
            for (size_t i = 0; i < def->nnets && !target; i++)
                if (!qemuStrEq(def->nets[i]->type, "hostdev"))
                    target = def->nets[i]->dev.node;
        } else {
            const char *want = qemuStrEq(dev, "cdrom") ? "cdrom" : qemuStrEq(dev, "fd") ? "floppy" : "disk";
            for (size_t i = 0; i < def->ndisks && !target; i++)
                if (qemuStrEq(def->disks[i]->device ? def->disks[i]->device : "disk", want))
                    target = def->disks[i]->dev.node;
        }
        if (target && !g_hash_table_contains(ctx->diskBoot, target))
            g_hash_table_insert(ctx->diskBoot, target, GUINT_TO_POINTER(next++));
    }
}

static unsigned int
qemuBootIndex(qemuBuildCtx *ctx, const xmlNode *node)
{
    return GPOINTER_TO_UINT(g_hash_table_lookup(ctx->diskBoot, node));
}

static void
qemuBuildBoot(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    xmlNode *menu = def->os ? mvXMLChild(def->os, "bootmenu") : NULL;
    xmlNode *bios = def->os ? mvXMLChild(def->os, "bios") : NULL;
    GString *buf = g_string_new(NULL);
    g_autofree char *kernel = NULL;
    g_autofree char *initrd = NULL;
    g_autofree char *cmdline = NULL;
    g_autofree char *dtb = NULL;

    if (menu) {
        g_autofree char *enable = mvXMLProp(menu, "enable");
        g_autofree char *timeout = qemuProp(menu, "timeout");
        if (enable) {
            g_string_append_printf(buf, "menu=%s,", qemuStrEq(enable, "yes") ? "on" : "off");
            if (timeout && qemuStrEq(enable, "yes"))
                g_string_append_printf(buf, "splash-time=%s,", timeout);
        }
    }
    if (bios) {
        g_autofree char *rt = qemuProp(bios, "rebootTimeout");
        if (rt)
            g_string_append_printf(buf, "reboot-timeout=%s,", rt);
    }
    g_string_append(buf, "strict=on");
    qemuCmdAddPairBuf(&ctx->cmd, "-boot", buf);

#define QEMU_OS_TEXT(var, name) \
    do { \
        xmlNode *n_ = def->os ? mvXMLChild(def->os, name) : NULL; \
        if (n_) { \
            var = mvXMLContent(n_); \
            if (var && !*var) \
                g_clear_pointer(&var, g_free); \
        } \
    } while (0)
    QEMU_OS_TEXT(kernel, "kernel");
    QEMU_OS_TEXT(initrd, "initrd");
    QEMU_OS_TEXT(cmdline, "cmdline");
    QEMU_OS_TEXT(dtb, "dtb");
#undef QEMU_OS_TEXT
    if (kernel)
        qemuCmdAddPair(&ctx->cmd, "-kernel", kernel);
    if (initrd)
        qemuCmdAddPair(&ctx->cmd, "-initrd", initrd);
    if (cmdline)
        qemuCmdAddPair(&ctx->cmd, "-append", cmdline);
    if (dtb)
        qemuCmdAddPair(&ctx->cmd, "-dtb", dtb);
}

/* ---- controllers -------------------------------------------------------- */

static const struct {
    const char *model;
    const char *driver;
} qemuUSBModels[] = {
    { "piix3-uhci", "piix3-usb-uhci" },
    { "piix4-uhci", "piix4-usb-uhci" },
    { "ehci", "usb-ehci" },
    { "ich9-ehci1", "ich9-usb-ehci1" },
    { "ich9-uhci1", "ich9-usb-uhci1" },
    { "ich9-uhci2", "ich9-usb-uhci2" },
    { "ich9-uhci3", "ich9-usb-uhci3" },
    { "vt82c686b-uhci", "vt82c686b-usb-uhci" },
    { "pci-ohci", "pci-ohci" },
    { "nec-xhci", "nec-usb-xhci" },
    { "qemu-xhci", "qemu-xhci" },
};

static int
qemuBuildControllerOne(qemuBuildCtx *ctx, mvDomainDeviceDef *c, const char *type)
{
    g_autofree char *model = qemuCtrlModel(c);
    g_autofree char *alias = NULL;
    int idx = qemuCtrlIndex(c);
    const char *driver = NULL;
    qemuJSON j;

    alias = qemuDeviceGetAlias(c);
    if (!alias)
        alias = qemuControllerAliasFor(ctx->def, type, model, idx);

    if (qemuStrEq(type, "pci")) {
        if (!model || qemuStrIn(model, QSTRL("pci-root", "pcie-root")))
            return 0;
        if (qemuStrEq(model, "pcie-root-port")) {
            xmlNode *tgt = mvXMLChild(c->node, "target");
            unsigned int port = 0, chassis = (unsigned int)idx;
            g_autofree char *hotplug = tgt ? mvXMLProp(tgt, "hotplug") : NULL;
            if (tgt && (mvXMLPropUInt(tgt, "port", 0, &port) < 0 ||
                        mvXMLPropUInt(tgt, "chassis", 10, &chassis) < 0))
                return -1;
            if (qemuRequireDevice(ctx, "pcie-root-port") < 0)
                return -1;
            qemuJSONInit(&j);
            qemuJSONStr(&j, "driver", "pcie-root-port");
            qemuJSONUInt(&j, "port", port);
            qemuJSONUInt(&j, "chassis", chassis);
            qemuJSONStr(&j, "id", alias);
            if (hotplug)
                qemuJSONBool(&j, "hotplug", qemuStrEq(hotplug, "on"));
        } else if (qemuStrEq(model, "pcie-to-pci-bridge")) {
            if (qemuRequireDevice(ctx, "pcie-pci-bridge") < 0)
                return -1;
            qemuJSONInit(&j);
            qemuJSONStr(&j, "driver", "pcie-pci-bridge");
            qemuJSONStr(&j, "id", alias);
        } else if (qemuStrEq(model, "pci-bridge")) {
            unsigned int chassisNr = (unsigned int)idx;
            xmlNode *tgt = mvXMLChild(c->node, "target");
            if (tgt && mvXMLPropUInt(tgt, "chassisNr", 10, &chassisNr) < 0)
                return -1;
            if (qemuRequireDevice(ctx, "pci-bridge") < 0)
                return -1;
            qemuJSONInit(&j);
            qemuJSONStr(&j, "driver", "pci-bridge");
            qemuJSONUInt(&j, "chassis_nr", chassisNr);
            qemuJSONStr(&j, "id", alias);
        } else if (qemuStrEq(model, "dmi-to-pci-bridge")) {
            if (qemuRequireDevice(ctx, "i82801b11-bridge") < 0)
                return -1;
            qemuJSONInit(&j);
            qemuJSONStr(&j, "driver", "i82801b11-bridge");
            qemuJSONStr(&j, "id", alias);
        } else {
            return qemuUnsupported("PCI controller model", model);
        }
    } else if (qemuStrEq(type, "usb")) {
        g_autofree char *ports = qemuProp(c->node, "ports");
        if (qemuStrEq(model, "none"))
            return 0;
        for (size_t i = 0; i < G_N_ELEMENTS(qemuUSBModels); i++)
            if (qemuStrEq(model, qemuUSBModels[i].model))
                driver = qemuUSBModels[i].driver;
        if (!driver)
            return qemuUnsupported("USB controller model", model ? model : "default");
        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;
        /* the PIIX3 UHCI of a pc machine is a real device too (-nodefaults) */
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        if (ports && qemuStrIn(model, QSTRL("qemu-xhci", "nec-xhci"))) {
            unsigned int p = 0;
            if (mvStrToUInt(ports, 10, &p) == 0) {
                qemuJSONUInt(&j, "p2", p);
                qemuJSONUInt(&j, "p3", p);
            }
        }
        qemuJSONStr(&j, "id", alias);
    } else if (qemuStrEq(type, "scsi")) {
        if (qemuStrIn(model, QSTRL("virtio-scsi", "virtio-non-transitional")))
            driver = qemuStrEq(model, "virtio-scsi") ? "virtio-scsi-pci" : "virtio-scsi-pci-non-transitional";
        else if (qemuStrEq(model, "virtio-transitional"))
            driver = "virtio-scsi-pci-transitional";
        else if (qemuStrEq(model, "lsilogic"))
            driver = "lsi";
        else if (qemuStrEq(model, "lsisas1068"))
            driver = "mptsas1068";
        else if (qemuStrEq(model, "lsisas1078"))
            driver = "megasas";
        else if (qemuStrEq(model, "vmpvscsi"))
            driver = "pvscsi";
        else if (qemuStrEq(model, "am53c974"))
            driver = "am53c974";
        else if (qemuStrEq(model, "dc390"))
            driver = "dc390";
        else
            return qemuUnsupported("SCSI controller model", model ? model : "default");
        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        qemuJSONStr(&j, "id", alias);
    } else if (qemuStrEq(type, "ide")) {
        if (idx == 0 && ctx->i440fx)
            return 0;   /* PIIX3 IDE is built in */
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "IDE controllers are unsupported for this QEMU binary or machine type");
        return -1;
    } else if (qemuStrEq(type, "sata")) {
        if (idx == 0 && ctx->q35)
            return 0;   /* ICH9 AHCI is built in */
        if (qemuRequireDevice(ctx, "ich9-ahci") < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", "ahci");
        qemuJSONStr(&j, "id", alias);
    } else if (qemuStrEq(type, "virtio-serial")) {
        g_autofree char *ports = qemuProp(c->node, "ports");
        driver = qemuStrEq(model, "virtio-transitional") ? "virtio-serial-pci-transitional"
               : qemuStrEq(model, "virtio-non-transitional") ? "virtio-serial-pci-non-transitional"
               : "virtio-serial-pci";
        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        qemuJSONStr(&j, "id", alias);
        if (ports) {
            unsigned int p;
            if (mvStrToUInt(ports, 10, &p) == 0)
                qemuJSONUInt(&j, "max_ports", p);
        }
    } else if (qemuStrIn(type, QSTRL("fdc", "isa"))) {
        return 0;
    } else if (qemuStrEq(type, "ccid")) {
        return qemuUnsupported("controller type", "ccid");
    } else {
        return qemuUnsupported("controller type", type);
    }
    if (qemuJSONAddAddress(ctx, &j, c->node) < 0) {
        g_string_free(j.s, TRUE);
        return -1;
    }
    qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    return 0;
}

static int
qemuBuildControllers(qemuBuildCtx *ctx)
{
    static const char *const order[] = { "pci", "usb", "scsi", "ide", "sata", "virtio-serial",
                                         "fdc", "ccid", "isa", "xenbus", NULL };
    const mvDomainDef *def = ctx->def;

    for (size_t o = 0; order[o]; o++) {
        for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER]; i++) {
            mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
            g_autofree char *type = qemuCtrlType(c);
            if (!qemuStrEq(type, order[o]))
                continue;
            if (qemuBuildControllerOne(ctx, c, type) < 0)
                return -1;
        }
    }
    return 0;
}

/* ---- disks -------------------------------------------------------------- */

gboolean
qemuDiskCacheProps(const char *cache, gboolean *direct, gboolean *noflush,
                   const char **writeCache)
{
    *direct = *noflush = FALSE;
    *writeCache = NULL;
    if (qemuStrEq(cache, "none")) {
        *direct = TRUE;
        *writeCache = "on";
    } else if (qemuStrEq(cache, "writethrough")) {
        *writeCache = "off";
    } else if (qemuStrEq(cache, "writeback")) {
        *writeCache = "on";
    } else if (qemuStrEq(cache, "directsync")) {
        *direct = TRUE;
        *writeCache = "off";
    } else if (qemuStrEq(cache, "unsafe")) {
        *noflush = TRUE;
        *writeCache = "on";
    } else {
        return FALSE;
    }
    return TRUE;
}

static void
qemuJSONAddCache(qemuJSON *j, gboolean direct, gboolean noflush)
{
    qemuJSONKey(j, "cache");
    g_string_append_printf(j->s, "{\"direct\":%s,\"no-flush\":%s}",
                           direct ? "true" : "false", noflush ? "true" : "false");
}

int
qemuBuildDiskBlockdevProps(const mvDomainDiskDef *d, size_t nodeIndex, char *props[2])
{
    gboolean cdrom = qemuStrEq(d->device, "cdrom");
    gboolean ro = d->readonly || cdrom;
    const char *fmt = d->driverType ? d->driverType : "raw";
    const char *protocol;
    g_autofree char *cache = qemuChildProp(d->dev.node, "driver", "cache");
    g_autofree char *discard = qemuChildProp(d->dev.node, "driver", "discard");
    g_autofree char *storage = g_strdup_printf("libvirt-%zu-storage", nodeIndex);
    g_autofree char *format = g_strdup_printf("libvirt-%zu-format", nodeIndex);
    const char *writeCache;
    gboolean cacheSet, direct, noflush;
    qemuJSON j;

    props[0] = props[1] = NULL;
    if (qemuStrEq(d->type, "file") || !d->type) {
        protocol = "file";
    } else if (qemuStrEq(d->type, "block")) {
        protocol = cdrom ? "host_cdrom" : "host_device";
    } else {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                      "disk source type '%s' is not supported by this QEMU driver", d->type);
        return -1;
    }
    if (!qemuStrIn(fmt, QSTRL("raw", "qcow2", "qcow", "qed", "vmdk", "vdi", "vhdx", "vpc",
                              "cloop", "dmg", "bochs", "parallels", "luks"))) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "unsupported disk driver type for '%s'", fmt);
        return -1;
    }
    cacheSet = qemuDiskCacheProps(cache, &direct, &noflush, &writeCache);

    qemuJSONInit(&j);
    qemuJSONStr(&j, "driver", protocol);
    qemuJSONStr(&j, "filename", d->src);
    qemuJSONStr(&j, "node-name", storage);
    if (cacheSet)
        qemuJSONAddCache(&j, direct, noflush);
    qemuJSONBool(&j, "auto-read-only", TRUE);
    qemuJSONStr(&j, "discard", "unmap");
    props[0] = qemuJSONFinish(&j);

    qemuJSONInit(&j);
    qemuJSONStr(&j, "node-name", format);
    qemuJSONBool(&j, "read-only", ro);
    if (qemuStrEq(discard, "unmap"))
        qemuJSONStr(&j, "discard", "unmap");
    if (cacheSet)
        qemuJSONAddCache(&j, direct, noflush);
    qemuJSONStr(&j, "driver", fmt);
    qemuJSONStr(&j, "file", storage);
    props[1] = qemuJSONFinish(&j);
    return 0;
}

static int
qemuBuildDisk(qemuBuildCtx *ctx, mvDomainDiskDef *d, size_t pos)
{
    const mvDomainDef *def = ctx->def;
    const char *device = d->device ? d->device : "disk";
    gboolean cdrom = qemuStrEq(device, "cdrom");
    gboolean floppy = qemuStrEq(device, "floppy");
    g_autofree char *alias = qemuAliasOrDefault(&d->dev, "disk");
    g_autofree char *format = NULL;
    g_autofree char *cache = qemuChildProp(d->dev.node, "driver", "cache");
    const char *writeCache = NULL;
    gboolean direct, noflush;
    unsigned int boot = qemuBootIndex(ctx, d->dev.node);
    unsigned int ctrl, bus, target, unit;
    const char *driver = NULL;
    qemuJSON j;

    qemuDiskCacheProps(cache, &direct, &noflush, &writeCache);

    if (qemuStrEq(device, "lun"))
        return qemuUnsupported("disk device", "lun");

    if (d->src) {
        char *props[2];
        format = g_strdup_printf("libvirt-%zu-format", def->ndisks - pos);
        if (qemuBuildDiskBlockdevProps(d, def->ndisks - pos, props) < 0)
            return -1;
        qemuCmdAdd(&ctx->cmd, "-blockdev");
        g_ptr_array_add(ctx->cmd.args, props[0]);
        qemuCmdAdd(&ctx->cmd, "-blockdev");
        g_ptr_array_add(ctx->cmd.args, props[1]);
    } else if (!cdrom && !floppy) {
        mvReportError(MV_ERR_NO_SOURCE, "%s", d->dst ? d->dst : "disk");
        return -1;
    }

    qemuJSONInit(&j);
    if (qemuStrEq(d->bus, "virtio")) {
        g_autofree char *model = qemuProp(d->dev.node, "model");
        if (cdrom || floppy) {
            g_string_free(j.s, TRUE);
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "disk type of '%s' does not support ejectable media",
                          d->dst);
            return -1;
        }
        driver = qemuStrEq(model, "virtio-transitional") ? "virtio-blk-pci-transitional"
               : qemuStrEq(model, "virtio-non-transitional") ? "virtio-blk-pci-non-transitional"
               : "virtio-blk-pci";
        qemuJSONStr(&j, "driver", driver);
        if (qemuJSONAddAddress(ctx, &j, d->dev.node) < 0)
            goto error;
    } else if (qemuStrEq(d->bus, "ide") || qemuStrEq(d->bus, "sata")) {
        mvDomainDeviceDef *c;
        g_autofree char *calias = NULL;
        if (!qemuDriveAddr(d->dev.node, &ctrl, &bus, &target, &unit)) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "disk '%s' has no drive address", d->dst);
            goto error;
        }
        driver = cdrom ? "ide-cd" : "ide-hd";
        qemuJSONStr(&j, "driver", driver);
        c = qemuFindController(def, d->bus, (int)ctrl);
        calias = c ? qemuDeviceGetAlias(c) : NULL;
        if (!calias)
            calias = qemuControllerAliasFor(def, d->bus, NULL, (int)ctrl);
        if (qemuStrEq(d->bus, "ide")) {
            if (!ctx->i440fx || ctrl != 0) {
                g_string_free(j.s, TRUE);
                mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                              "IDE controllers are unsupported for this QEMU binary or machine type");
                return -1;
            }
            qemuJSONKey(&j, "bus");
            g_string_append_printf(j.s, "\"%s.%u\"", calias, bus);
            qemuJSONUInt(&j, "unit", unit);
        } else {
            qemuJSONKey(&j, "bus");
            g_string_append_printf(j.s, "\"%s.%u\"", calias, unit);
        }
    } else if (qemuStrEq(d->bus, "scsi")) {
        mvDomainDeviceDef *c;
        g_autofree char *calias = NULL;
        g_autofree char *cmodel = NULL;
        g_autofree char *devid = g_strdup_printf("drive-%s", alias);
        if (!qemuDriveAddr(d->dev.node, &ctrl, &bus, &target, &unit)) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "disk '%s' has no drive address", d->dst);
            goto error;
        }
        c = qemuFindController(def, "scsi", (int)ctrl);
        calias = c ? qemuDeviceGetAlias(c) : NULL;
        cmodel = c ? qemuCtrlModel(c) : NULL;
        if (!calias)
            calias = qemuControllerAliasFor(def, "scsi", NULL, (int)ctrl);
        driver = cdrom ? "scsi-cd" : "scsi-hd";
        qemuJSONStr(&j, "driver", driver);
        if (cmodel && g_str_has_prefix(cmodel, "virtio")) {
            qemuJSONKey(&j, "bus");
            g_string_append_printf(j.s, "\"%s.0\"", calias);
            qemuJSONUInt(&j, "channel", bus);
            qemuJSONUInt(&j, "scsi-id", target);
            qemuJSONUInt(&j, "lun", unit);
        } else {
            qemuJSONKey(&j, "bus");
            g_string_append_printf(j.s, "\"%s.%u\"", calias, bus);
            qemuJSONUInt(&j, "scsi-id", unit);
        }
        qemuJSONStr(&j, "device_id", devid);
    } else if (qemuStrEq(d->bus, "usb")) {
        driver = "usb-storage";
        qemuJSONStr(&j, "driver", driver);
        if (qemuJSONAddAddress(ctx, &j, d->dev.node) < 0)
            goto error;
    } else if (qemuStrEq(d->bus, "fdc")) {
        if (!qemuDriveAddr(d->dev.node, &ctrl, &bus, &target, &unit))
            unit = 0;
        driver = "floppy";
        qemuJSONStr(&j, "driver", driver);
        qemuJSONUInt(&j, "unit", unit);
    } else {
        g_string_free(j.s, TRUE);
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "unsupported disk bus '%s' for this QEMU driver",
                      d->bus ? d->bus : "");
        return -1;
    }
    if (qemuRequireDevice(ctx, driver) < 0)
        goto error;
    if (format)
        qemuJSONStr(&j, "drive", format);
    qemuJSONStr(&j, "id", alias);
    if (boot)
        qemuJSONUInt(&j, "bootindex", boot);
    if (writeCache)
        qemuJSONStr(&j, "write-cache", writeCache);
    if (d->serial)
        qemuJSONStr(&j, "serial", d->serial);
    qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    return 0;

 error:
    g_string_free(j.s, TRUE);
    return -1;
}

static int
qemuBuildDisks(qemuBuildCtx *ctx)
{
    for (size_t i = 0; i < ctx->def->ndisks; i++)
        if (qemuBuildDisk(ctx, ctx->def->disks[i], i) < 0)
            return -1;
    return 0;
}

/* ---- filesystems (9p) ----------------------------------------------------- */

static int
qemuBuildFilesystems(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_FS]; i++) {
        mvDomainDeviceDef *fs = def->devs[MV_DOMAIN_DEVICE_FS][i];
        g_autofree char *type = qemuProp(fs->node, "type");
        g_autofree char *accessmode = qemuProp(fs->node, "accessmode");
        g_autofree char *drv = qemuChildProp(fs->node, "driver", "type");
        g_autofree char *src = qemuChildProp(fs->node, "source", "dir");
        g_autofree char *tgt = qemuChildProp(fs->node, "target", "dir");
        g_autofree char *alias = qemuAliasOrDefault(fs, "fs0");
        gboolean ro = mvXMLChild(fs->node, "readonly") != NULL;
        GString *buf;
        qemuJSON j;

        if ((type && !qemuStrEq(type, "mount")) || (drv && !qemuStrIn(drv, QSTRL("path", "handle"))))
            return qemuUnsupported("filesystem driver", drv ? drv : type);
        if (!src || !tgt) {
            mvReportError(MV_ERR_XML_ERROR, "%s", "missing source or target for filesystem");
            return -1;
        }
        if (qemuRequireDevice(ctx, "virtio-9p-pci") < 0)
            return -1;
        buf = g_string_new("local");
        g_string_append_printf(buf, ",security_model=%s,id=fsdev-%s,path=",
                               accessmode ? accessmode : "passthrough", alias);
        qemuBufEscapeComma(buf, src);
        if (ro)
            g_string_append(buf, ",readonly=on");
        qemuCmdAddPairBuf(&ctx->cmd, "-fsdev", buf);
        {
            g_autofree char *fsdev = g_strdup_printf("fsdev-%s", alias);
            qemuJSONInit(&j);
            qemuJSONStr(&j, "driver", "virtio-9p-pci");
            qemuJSONStr(&j, "id", alias);
            qemuJSONStr(&j, "fsdev", fsdev);
            qemuJSONStr(&j, "mount_tag", tgt);
        }
        if (qemuJSONAddAddress(ctx, &j, fs->node) < 0) {
            g_string_free(j.s, TRUE);
            return -1;
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

/* ---- network interfaces ------------------------------------------------- */

const char *
qemuNetDeviceDriver(const char *model)
{
    if (!model || qemuStrEq(model, "virtio"))
        return "virtio-net-pci";
    if (qemuStrEq(model, "virtio-transitional"))
        return "virtio-net-pci-transitional";
    if (qemuStrEq(model, "virtio-non-transitional"))
        return "virtio-net-pci-non-transitional";
    return model;
}

static int
qemuBuildNets(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;

    for (size_t i = 0; i < def->nnets; i++) {
        mvDomainNetDef *net = def->nets[i];
        g_autofree char *alias = qemuAliasOrDefault(&net->dev, "net0");
        g_autofree char *hostid = g_strdup_printf("host%s", alias);
        const char *driver = qemuNetDeviceDriver(net->model);
        g_autofree char *vhost = qemuChildProp(net->dev.node, "driver", "name");
        unsigned int boot = qemuBootIndex(ctx, net->dev.node);
        gpointer fdp = NULL;
        gboolean haveFd = ctx->params && ctx->params->tapFds &&
                          g_hash_table_lookup_extended(ctx->params->tapFds, GINT_TO_POINTER((int)i),
                                                       NULL, &fdp);
        qemuJSON j;

        if (qemuStrEq(net->model, "usb-net"))
            driver = "usb-net";
        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;

        qemuJSONInit(&j);
        if (qemuStrEq(net->type, "user")) {
            qemuJSONStr(&j, "type", "user");
        } else if (qemuStrIn(net->type, QSTRL("ethernet", "bridge", "network", "direct"))) {
            qemuJSONStr(&j, "type", "tap");
            if (haveFd) {
                g_autofree char *fd = g_strdup_printf("%d", GPOINTER_TO_INT(fdp));
                qemuJSONStr(&j, "fd", fd);
            } else if (qemuStrEq(net->type, "direct")) {
                g_string_free(j.s, TRUE);
                mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                              "interface type 'direct' needs an opened macvtap device");
                return -1;
            } else {
                if (net->ifname)
                    qemuJSONStr(&j, "ifname", net->ifname);
                qemuJSONStr(&j, "script", "no");
                qemuJSONStr(&j, "downscript", "no");
            }
            if (qemuStrEq(vhost, "vhost"))
                qemuJSONBool(&j, "vhost", TRUE);
        } else if (qemuStrIn(net->type, QSTRL("server", "client", "mcast", "udp"))) {
            g_autofree char *addr = qemuChildProp(net->dev.node, "source", "address");
            g_autofree char *port = qemuChildProp(net->dev.node, "source", "port");
            g_autofree char *hp = g_strdup_printf("%s:%s", addr ? addr : "", port ? port : "");
            qemuJSONStr(&j, "type", "socket");
            if (qemuStrEq(net->type, "server"))
                qemuJSONStr(&j, "listen", hp);
            else if (qemuStrEq(net->type, "client"))
                qemuJSONStr(&j, "connect", hp);
            else if (qemuStrEq(net->type, "mcast"))
                qemuJSONStr(&j, "mcast", hp);
            else {
                g_autofree char *laddr = NULL;
                g_autofree char *lport = NULL;
                xmlNode *src = mvXMLChild(net->dev.node, "source");
                xmlNode *local = src ? mvXMLChild(src, "local") : NULL;
                laddr = qemuProp(local, "address");
                lport = qemuProp(local, "port");
                qemuJSONStr(&j, "udp", hp);
                if (laddr || lport) {
                    g_autofree char *lhp = g_strdup_printf("%s:%s", laddr ? laddr : "",
                                                           lport ? lport : "");
                    qemuJSONStr(&j, "localaddr", lhp);
                }
            }
        } else {
            g_string_free(j.s, TRUE);
            return qemuUnsupported("interface type", net->type);
        }
        qemuJSONStr(&j, "id", hostid);
        qemuCmdAddJSON(&ctx->cmd, "-netdev", &j);

        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        qemuJSONStr(&j, "netdev", hostid);
        qemuJSONStr(&j, "id", alias);
        qemuJSONStr(&j, "mac", net->mac);
        if (boot)
            qemuJSONUInt(&j, "bootindex", boot);
        if (qemuJSONAddAddress(ctx, &j, net->dev.node) < 0) {
            g_string_free(j.s, TRUE);
            return -1;
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

/* ---- character devices -------------------------------------------------- */

static char *
qemuChrSourceProp(const mvDomainChrDef *chr, const char *mode, const char *attr)
{
    for (xmlNode *s = chr->dev.node->children; s; s = s->next) {
        g_autofree char *m = NULL;
        if (!mvXMLNodeIs(s, "source"))
            continue;
        m = mvXMLProp(s, "mode");
        if (!mode || qemuStrEq(m, mode) || (!m && qemuStrEq(mode, "connect")))
            return qemuProp(s, attr);
    }
    return NULL;
}

/* -chardev argument for @chr with id @id. */
static int
qemuBuildChardev(qemuBuildCtx *ctx, const mvDomainChrDef *chr, const char *id,
                 const char *spiceName)
{
    const char *type = chr->type ? chr->type : "pty";
    GString *buf = g_string_new(NULL);
    xmlNode *log = mvXMLChild(chr->dev.node, "log");

    if (qemuStrIn(type, QSTRL("pty", "null", "vc", "stdio"))) {
        g_string_append_printf(buf, "%s,id=%s", type, id);
    } else if (qemuStrIn(type, QSTRL("file", "pipe", "dev"))) {
        const char *backend = type;
        g_autofree char *append = qemuChrSourceProp(chr, NULL, "append");
        if (!chr->sourcePath) {
            mvReportError(MV_ERR_XML_ERROR, "Missing source path attribute for char device");
            g_string_free(buf, TRUE);
            return -1;
        }
        if (qemuStrEq(type, "dev"))
            backend = chr->dev.kind == MV_DOMAIN_DEVICE_PARALLEL ? "parport" : "serial";
        g_string_append_printf(buf, "%s,id=%s,path=", backend, id);
        qemuBufEscapeComma(buf, chr->sourcePath);
        if (qemuStrEq(type, "file") && append)
            g_string_append_printf(buf, ",append=%s", qemuStrEq(append, "on") ? "on" : "off");
    } else if (qemuStrEq(type, "unix")) {
        g_autofree char *mode = NULL;
        for (xmlNode *s = chr->dev.node->children; s; s = s->next)
            if (mvXMLNodeIs(s, "source") && !mode)
                mode = mvXMLProp(s, "mode");
        if (!chr->sourcePath) {
            mvReportError(MV_ERR_XML_ERROR, "%s", "Missing source path attribute for char device");
            g_string_free(buf, TRUE);
            return -1;
        }
        g_string_append_printf(buf, "socket,id=%s,path=", id);
        qemuBufEscapeComma(buf, chr->sourcePath);
        if (!mode || qemuStrEq(mode, "bind"))
            g_string_append(buf, ",server=on,wait=off");
    } else if (qemuStrEq(type, "tcp")) {
        g_autofree char *mode = NULL;
        g_autofree char *host = NULL;
        g_autofree char *service = NULL;
        g_autofree char *protocol = qemuChildProp(chr->dev.node, "protocol", "type");
        for (xmlNode *s = chr->dev.node->children; s; s = s->next) {
            if (mvXMLNodeIs(s, "source") && !host && !service) {
                mode = mvXMLProp(s, "mode");
                host = qemuProp(s, "host");
                service = qemuProp(s, "service");
            }
        }
        g_string_append_printf(buf, "socket,id=%s,host=%s,port=%s", id, host ? host : "",
                               service ? service : "");
        if (qemuStrEq(protocol, "telnet"))
            g_string_append(buf, ",telnet=on");
        if (qemuStrEq(mode, "bind"))
            g_string_append(buf, ",server=on,wait=off");
    } else if (qemuStrEq(type, "udp")) {
        g_autofree char *host = qemuChrSourceProp(chr, "connect", "host");
        g_autofree char *port = qemuChrSourceProp(chr, "connect", "service");
        g_autofree char *lhost = qemuChrSourceProp(chr, "bind", "host");
        g_autofree char *lport = qemuChrSourceProp(chr, "bind", "service");
        g_string_append_printf(buf, "udp,id=%s,host=%s,port=%s,localaddr=%s,localport=%s", id,
                               host ? host : "", port ? port : "", lhost ? lhost : "",
                               lport ? lport : "0");
    } else if (qemuStrEq(type, "spicevmc")) {
        if (qemuRequireDevice(ctx, "chardev-spicevmc") < 0) {
            g_string_free(buf, TRUE);
            return -1;
        }
        g_string_append_printf(buf, "spicevmc,id=%s,name=%s", id, spiceName ? spiceName : "vdagent");
    } else if (qemuStrEq(type, "spiceport")) {
        g_autofree char *channel = qemuChrSourceProp(chr, NULL, "channel");
        if (qemuRequireDevice(ctx, "chardev-spiceport") < 0) {
            g_string_free(buf, TRUE);
            return -1;
        }
        g_string_append_printf(buf, "spiceport,id=%s,name=%s", id, channel ? channel : "");
    } else if (qemuStrEq(type, "qemu-vdagent")) {
        g_string_append_printf(buf, "qemu-vdagent,id=%s,name=vdagent", id);
    } else {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "chardev '%s' not supported in this QEMU binary", type);
        g_string_free(buf, TRUE);
        return -1;
    }
    if (log) {
        g_autofree char *file = qemuProp(log, "file");
        g_autofree char *append = mvXMLProp(log, "append");
        if (file) {
            g_string_append(buf, ",logfile=");
            qemuBufEscapeComma(buf, file);
            if (append)
                g_string_append_printf(buf, ",logappend=%s", qemuStrEq(append, "on") ? "on" : "off");
        }
    }
    qemuCmdAddPairBuf(&ctx->cmd, "-chardev", buf);
    return 0;
}

static int
qemuBuildSerials(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->nserials; i++) {
        mvDomainChrDef *chr = def->serials[i];
        g_autofree char *alias = qemuAliasOrDefault(&chr->dev, "serial0");
        g_autofree char *chrid = g_strdup_printf("char%s", alias);
        g_autofree char *model = qemuChildProp(chr->dev.node, "target", "type");
        const char *ttype = chr->targetType ? chr->targetType : (ctx->x86 ? "isa-serial" : "system-serial");
        qemuJSON j;

        (void)model;
        if (qemuBuildChardev(ctx, chr, chrid, NULL) < 0)
            return -1;
        if (qemuStrEq(ttype, "system-serial") || qemuStrEq(ttype, "system")) {
            qemuCmdAddPairf(&ctx->cmd, "-serial", "chardev:%s", chrid);
            continue;
        }
        qemuJSONInit(&j);
        if (qemuStrIn(ttype, QSTRL("isa-serial", "isa")) || !chr->targetType) {
            if (qemuRequireDevice(ctx, "isa-serial") < 0)
                goto error;
            qemuJSONStr(&j, "driver", "isa-serial");
            qemuJSONStr(&j, "chardev", chrid);
            qemuJSONStr(&j, "id", alias);
            qemuJSONInt(&j, "index", chr->targetPort >= 0 ? chr->targetPort : (int)i);
        } else if (qemuStrIn(ttype, QSTRL("pci-serial", "pci"))) {
            if (qemuRequireDevice(ctx, "pci-serial") < 0)
                goto error;
            qemuJSONStr(&j, "driver", "pci-serial");
            qemuJSONStr(&j, "chardev", chrid);
            qemuJSONStr(&j, "id", alias);
            if (qemuJSONAddAddress(ctx, &j, chr->dev.node) < 0)
                goto error;
        } else if (qemuStrIn(ttype, QSTRL("usb-serial", "usb"))) {
            if (qemuRequireDevice(ctx, "usb-serial") < 0)
                goto error;
            qemuJSONStr(&j, "driver", "usb-serial");
            qemuJSONStr(&j, "chardev", chrid);
            qemuJSONStr(&j, "id", alias);
            if (qemuJSONAddAddress(ctx, &j, chr->dev.node) < 0)
                goto error;
        } else if (qemuStrEq(ttype, "isa-debug")) {
            qemuJSONStr(&j, "driver", "isa-debugcon");
            qemuJSONStr(&j, "chardev", chrid);
            qemuJSONStr(&j, "id", alias);
            qemuJSONStr(&j, "iobase", "0x402");
        } else {
            g_string_free(j.s, TRUE);
            return qemuUnsupported("serial target type", ttype);
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
        continue;
     error:
        g_string_free(j.s, TRUE);
        return -1;
    }
    return 0;
}

static int
qemuBuildParallels(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->nparallels; i++) {
        mvDomainChrDef *chr = def->parallels[i];
        g_autofree char *alias = qemuAliasOrDefault(&chr->dev, "parallel0");
        g_autofree char *chrid = g_strdup_printf("char%s", alias);
        qemuJSON j;
        if (qemuRequireDevice(ctx, "isa-parallel") < 0)
            return -1;
        if (qemuBuildChardev(ctx, chr, chrid, NULL) < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", "isa-parallel");
        qemuJSONStr(&j, "chardev", chrid);
        qemuJSONStr(&j, "id", alias);
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

/* virtio-serial port numbers of channels (1.., per controller/bus). */
static int
qemuVirtioSerialAddr(const xmlNode *n, unsigned int *ctrl, unsigned int *bus, unsigned int *port)
{
    xmlNode *a = mvXMLChild(n, "address");
    g_autofree char *type = a ? mvXMLProp(a, "type") : NULL;
    *ctrl = *bus = *port = 0;
    if (!qemuStrEq(type, "virtio-serial"))
        return 0;
    if (mvXMLPropUInt(a, "controller", 10, ctrl) < 0 || mvXMLPropUInt(a, "bus", 10, bus) < 0 ||
        mvXMLPropUInt(a, "port", 10, port) < 0)
        return -1;
    return 1;
}

static int
qemuBuildChannels(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->nchannels; i++) {
        mvDomainChrDef *chr = def->channels[i];
        g_autofree char *alias = qemuAliasOrDefault(&chr->dev, "channel0");
        g_autofree char *chrid = g_strdup_printf("char%s", alias);
        unsigned int c, b, p;
        mvDomainDeviceDef *vs;
        g_autofree char *vsAlias = NULL;
        qemuJSON j;

        if (!qemuStrEq(chr->targetType, "virtio"))
            return qemuUnsupported("channel target type", chr->targetType);
        if (qemuVirtioSerialAddr(chr->dev.node, &c, &b, &p) < 0)
            return -1;
        if (qemuBuildChardev(ctx, chr, chrid,
                             qemuStrEq(chr->targetName, "com.redhat.spice.0") ? "vdagent" : "vdagent") < 0)
            return -1;
        vs = qemuFindController(def, "virtio-serial", (int)c);
        vsAlias = vs ? qemuDeviceGetAlias(vs) : NULL;
        if (!vsAlias)
            vsAlias = g_strdup_printf("virtio-serial%u", c);
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", "virtserialport");
        qemuJSONKey(&j, "bus");
        g_string_append_printf(j.s, "\"%s.%u\"", vsAlias, b);
        if (p)
            qemuJSONUInt(&j, "nr", p);
        qemuJSONStr(&j, "chardev", chrid);
        qemuJSONStr(&j, "id", alias);
        if (chr->targetName)
            qemuJSONStr(&j, "name", chr->targetName);
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

static int
qemuBuildConsoles(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->nconsoles; i++) {
        mvDomainChrDef *chr = def->consoles[i];
        g_autofree char *alias = NULL;
        g_autofree char *chrid = NULL;
        qemuJSON j;

        if (qemuChrIsSerialConsole(def, chr))
            continue;   /* the same device as serial0 */
        if (!qemuStrEq(chr->targetType, "virtio"))
            return qemuUnsupported("console target type", chr->targetType);
        alias = qemuAliasOrDefault(&chr->dev, "console0");
        chrid = g_strdup_printf("char%s", alias);
        if (qemuRequireDevice(ctx, "virtconsole") < 0)
            return -1;
        if (qemuBuildChardev(ctx, chr, chrid, NULL) < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", "virtconsole");
        qemuJSONStr(&j, "chardev", chrid);
        qemuJSONStr(&j, "id", alias);
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

/* ---- TPM ------------------------------------------------------------------ */

static int
qemuBuildTPMs(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_TPM]; i++) {
        mvDomainDeviceDef *tpm = def->devs[MV_DOMAIN_DEVICE_TPM][i];
        g_autofree char *model = qemuProp(tpm->node, "model");
        g_autofree char *btype = qemuChildProp(tpm->node, "backend", "type");
        g_autofree char *alias = qemuAliasOrDefault(tpm, "tpm0");
        g_autofree char *tpmdev = g_strdup_printf("tpm-%s", alias);
        const char *driver = model ? model : "tpm-tis";
        qemuJSON j;

        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;
        if (qemuStrEq(btype, "emulator")) {
            g_autofree char *swtpm = g_find_program_in_path("swtpm");
            g_autofree char *sock = NULL;
            if (!swtpm) {
                mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                              "TPM emulator backend requires 'swtpm', which is not installed");
                return -1;
            }
            sock = g_strdup_printf("%s/%s-swtpm.sock",
                                   ctx->params && ctx->params->libDir ? ctx->params->libDir : ".",
                                   alias);
            qemuCmdAddPairf(&ctx->cmd, "-chardev", "socket,id=chrtpm,path=%s", sock);
            qemuCmdAddPairf(&ctx->cmd, "-tpmdev", "emulator,id=%s,chardev=chrtpm", tpmdev);
        } else if (qemuStrEq(btype, "passthrough")) {
            xmlNode *b = mvXMLChild(tpm->node, "backend");
            g_autofree char *path = b ? qemuChildProp(b, "device", "path") : NULL;
            GString *buf = g_string_new(NULL);
            g_string_append_printf(buf, "passthrough,id=%s,path=", tpmdev);
            qemuBufEscapeComma(buf, path ? path : "/dev/tpm0");
            qemuCmdAddPairBuf(&ctx->cmd, "-tpmdev", buf);
        } else {
            return qemuUnsupported("TPM backend", btype);
        }
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        qemuJSONStr(&j, "tpmdev", tpmdev);
        qemuJSONStr(&j, "id", alias);
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

/* ---- input ---------------------------------------------------------------- */

static int
qemuBuildInputs(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_INPUT]; i++) {
        mvDomainDeviceDef *in = def->devs[MV_DOMAIN_DEVICE_INPUT][i];
        g_autofree char *type = qemuProp(in->node, "type");
        g_autofree char *bus = qemuProp(in->node, "bus");
        g_autofree char *alias = qemuAliasOrDefault(in, "input0");
        const char *driver = NULL;
        qemuJSON j;

        if (!bus)
            bus = g_strdup(ctx->x86 ? "ps2" : "usb");
        if (qemuStrEq(bus, "ps2"))
            continue;   /* built into the machine */
        if (qemuStrEq(bus, "usb")) {
            driver = qemuStrEq(type, "tablet") ? "usb-tablet"
                   : qemuStrEq(type, "keyboard") ? "usb-kbd"
                   : qemuStrEq(type, "mouse") ? "usb-mouse" : NULL;
        } else if (qemuStrEq(bus, "virtio")) {
            driver = qemuStrEq(type, "tablet") ? "virtio-tablet-pci"
                   : qemuStrEq(type, "keyboard") ? "virtio-keyboard-pci"
                   : qemuStrEq(type, "mouse") ? "virtio-mouse-pci" : NULL;
        }
        if (!driver) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "unsupported input device type '%s' on bus '%s'",
                          type ? type : "", bus);
            return -1;
        }
        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        qemuJSONStr(&j, "id", alias);
        if (qemuJSONAddAddress(ctx, &j, in->node) < 0) {
            g_string_free(j.s, TRUE);
            return -1;
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

/* ---- audio, graphics, video, sound ------------------------------------- */

static int
qemuBuildAudio(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_AUDIO]; i++) {
        mvDomainDeviceDef *a = def->devs[MV_DOMAIN_DEVICE_AUDIO][i];
        g_autofree char *id = qemuProp(a->node, "id");
        g_autofree char *type = qemuProp(a->node, "type");
        g_autofree char *qid = g_strdup_printf("audio%s", id ? id : "1");
        const char *driver;
        qemuJSON j;

        if (!type || qemuStrEq(type, "none"))
            driver = "none";
        else if (qemuStrEq(type, "pulseaudio"))
            driver = "pa";
        else if (qemuStrEq(type, "file"))
            driver = "wav";
        else if (qemuStrIn(type, QSTRL("spice", "alsa", "oss", "sdl", "jack", "coreaudio", "dbus",
                                       "pipewire")))
            driver = type;
        else
            return qemuUnsupported("audio backend", type);
        if (!ctx->audioId)
            ctx->audioId = g_strdup(qid);
        qemuJSONInit(&j);
        qemuJSONStr(&j, "id", qid);
        qemuJSONStr(&j, "driver", driver);
        if (qemuStrEq(type, "file")) {
            g_autofree char *path = mvXMLProp(a->node, "path");
            if (path)
                qemuJSONStr(&j, "path", path);
        }
        qemuCmdAddJSON(&ctx->cmd, "-audiodev", &j);
    }
    return 0;
}

static char *
qemuGraphicsListenSocket(const mvDomainGraphicsDef *g, char **ltypeOut)
{
    xmlNode *l = mvXMLChild(g->dev.node, "listen");
    *ltypeOut = l ? mvXMLProp(l, "type") : NULL;
    if (g->socket)
        return g_strdup(g->socket);
    return l ? qemuProp(l, "socket") : NULL;
}

static int
qemuBuildGraphics(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ngraphics; i++) {
        mvDomainGraphicsDef *g = def->graphics[i];
        g_autofree char *ltype = NULL;
        g_autofree char *sock = qemuGraphicsListenSocket(g, &ltype);
        GString *buf = g_string_new(NULL);

        if (qemuStrEq(g->type, "vnc")) {
            g_autofree char *share = mvXMLProp(g->dev.node, "sharePolicy");
            g_autofree char *power = mvXMLProp(g->dev.node, "powerControl");
            if (sock) {
                g_string_append(buf, "vnc=unix:");
                qemuBufEscapeComma(buf, sock);
            } else if (qemuStrEq(ltype, "none")) {
                g_string_append(buf, "none");
            } else {
                const char *listen = g->listen ? g->listen : "127.0.0.1";
                int port = g->port;
                if (!g->autoport && (port < QEMU_GRAPHICS_PORT_MIN || port > QEMU_GRAPHICS_PORT_MAX)) {
                    mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                                  "vnc port must be in range [5900,65535]");
                    g_string_free(buf, TRUE);
                    return -1;
                }
                if (port < QEMU_GRAPHICS_PORT_MIN)
                    port = QEMU_GRAPHICS_PORT_MIN;   /* not allocated yet */
                if (strchr(listen, ':'))
                    g_string_append_printf(buf, "[%s]", listen);
                else
                    g_string_append(buf, listen);
                g_string_append_printf(buf, ":%d", port - QEMU_GRAPHICS_PORT_MIN);
                if (g->websocket)
                    g_string_append_printf(buf, ",websocket=%d", g->websocket);
            }
            if (share)
                g_string_append_printf(buf, ",share=%s", share);
            if (qemuStrEq(power, "yes"))
                g_string_append(buf, ",power-control=on");
            if (g->passwd)
                g_string_append(buf, ",password=on");
            if (ctx->audioId)
                g_string_append_printf(buf, ",audiodev=%s", ctx->audioId);
            qemuCmdAddPairBuf(&ctx->cmd, "-vnc", buf);
        } else if (qemuStrEq(g->type, "spice")) {
            g_autofree char *defMode = mvXMLProp(g->dev.node, "defaultMode");
            if (ctx->caps && !mvQemuCapsHasType(ctx->caps, "qxl") &&
                !mvQemuCapsHasType(ctx->caps, "chardev-spicevmc")) {
                g_string_free(buf, TRUE);
                mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                              "spice graphics are not supported with this QEMU");
                return -1;
            }
            if (sock) {
                g_string_append(buf, "unix,addr=");
                qemuBufEscapeComma(buf, sock);
                g_string_append_c(buf, ',');
            } else if (!qemuStrEq(ltype, "none")) {
                const char *listen = g->listen ? g->listen : "127.0.0.1";
                if (g->port > 0)
                    g_string_append_printf(buf, "port=%d,", g->port);
                if (g->tlsPort > 0)
                    g_string_append_printf(buf, "tls-port=%d,", g->tlsPort);
                if (g->port <= 0 && g->tlsPort <= 0)
                    g_string_append(buf, "port=0,");
                g_string_append(buf, "addr=");
                qemuBufEscapeComma(buf, listen);
                g_string_append_c(buf, ',');
            } else {
                g_string_append(buf, "port=0,");
            }
            if (!g->passwd)
                g_string_append(buf, "disable-ticketing=on,");
            if (g->tlsPort > 0)
                g_string_append(buf, "x509-dir=" QEMU_SPICE_X509_DIR ",");
            if (qemuStrEq(defMode, "secure"))
                g_string_append(buf, "tls-channel=default,");
            else if (qemuStrEq(defMode, "insecure"))
                g_string_append(buf, "plaintext-channel=default,");
            g_string_append(buf, "seamless-migration=on");
            qemuCmdAddPairBuf(&ctx->cmd, "-spice", buf);
        } else if (qemuStrEq(g->type, "egl-headless")) {
            g_string_free(buf, TRUE);
            qemuCmdAddPair(&ctx->cmd, "-display", "egl-headless");
        } else if (qemuStrEq(g->type, "sdl")) {
            g_string_free(buf, TRUE);
            qemuCmdAddPair(&ctx->cmd, "-display", "sdl");
        } else if (qemuStrEq(g->type, "dbus")) {
            g_string_free(buf, TRUE);
            qemuCmdAddPair(&ctx->cmd, "-display", "dbus");
        } else {
            g_string_free(buf, TRUE);
            return qemuUnsupported("graphics type", g->type);
        }
    }
    return 0;
}

static unsigned long long
qemuModelNum(xmlNode *m, const char *attr, unsigned long long def)
{
    unsigned long long v;
    g_autofree char *s = qemuProp(m, attr);
    if (s && mvStrToULLong(s, 10, &v) == 0)
        return v;
    return def;
}

static int
qemuBuildVideos(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_VIDEO]; i++) {
        mvDomainDeviceDef *v = def->devs[MV_DOMAIN_DEVICE_VIDEO][i];
        xmlNode *m = mvXMLChild(v->node, "model");
        g_autofree char *type = qemuProp(m, "type");
        g_autofree char *alias = qemuAliasOrDefault(v, "video0");
        gboolean primary = (i == 0);
        unsigned long long heads = qemuModelNum(m, "heads", 1);
        const char *driver = NULL;
        qemuJSON j;

        if (!type || qemuStrEq(type, "none"))
            continue;
        if (qemuStrEq(type, "vga"))
            driver = "VGA";
        else if (qemuStrEq(type, "cirrus"))
            driver = "cirrus-vga";
        else if (qemuStrEq(type, "vmvga"))
            driver = "vmware-svga";
        else if (qemuStrEq(type, "qxl"))
            driver = primary ? "qxl-vga" : "qxl";
        else if (qemuStrEq(type, "virtio"))
            driver = primary && (!ctx->caps || mvQemuCapsHasType(ctx->caps, "virtio-vga"))
                     ? "virtio-vga" : "virtio-gpu-pci";
        else if (qemuStrEq(type, "bochs"))
            driver = "bochs-display";
        else if (qemuStrEq(type, "ramfb"))
            driver = "ramfb";
        else
            return qemuUnsupported("video type", type);
        if (!primary && qemuStrIn(type, QSTRL("vga", "cirrus", "vmvga", "ramfb"))) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                          "video type '%s' is only valid as primary video device", type);
            return -1;
        }
        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        qemuJSONStr(&j, "id", alias);
        if (qemuStrEq(type, "vga") || qemuStrEq(type, "vmvga")) {
            qemuJSONUInt(&j, "vgamem_mb", qemuModelNum(m, "vram", 16384) / 1024);
        } else if (qemuStrEq(type, "qxl")) {
            qemuJSONUInt(&j, "max_outputs", heads);
            qemuJSONUInt(&j, "ram_size", qemuModelNum(m, "ram", 65536) * 1024);
            qemuJSONUInt(&j, "vram_size", qemuModelNum(m, "vram", 65536) * 1024);
            qemuJSONUInt(&j, "vram64_size_mb", qemuModelNum(m, "vram64", 0) / 1024);
            qemuJSONUInt(&j, "vgamem_mb", qemuModelNum(m, "vgamem", 16384) / 1024);
        } else if (qemuStrEq(type, "virtio")) {
            qemuJSONUInt(&j, "max_outputs", heads);
        } else if (qemuStrEq(type, "bochs")) {
            qemuJSONUInt(&j, "vgamem", qemuModelNum(m, "vram", 16384) * 1024);
        }
        if (qemuJSONAddAddress(ctx, &j, v->node) < 0) {
            g_string_free(j.s, TRUE);
            return -1;
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

static int
qemuBuildSounds(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_SOUND]; i++) {
        mvDomainDeviceDef *snd = def->devs[MV_DOMAIN_DEVICE_SOUND][i];
        g_autofree char *model = qemuProp(snd->node, "model");
        g_autofree char *alias = qemuAliasOrDefault(snd, "sound0");
        const char *driver = NULL;
        gboolean hda = FALSE, audiodev = FALSE;
        qemuJSON j;

        if (qemuStrEq(model, "ich6")) {
            driver = "intel-hda";
            hda = TRUE;
        } else if (qemuStrEq(model, "ich9")) {
            driver = "ich9-intel-hda";
            hda = TRUE;
        } else if (qemuStrEq(model, "ac97")) {
            driver = "AC97";
            audiodev = TRUE;
        } else if (qemuStrEq(model, "es1370")) {
            driver = "ES1370";
            audiodev = TRUE;
        } else if (qemuStrEq(model, "sb16")) {
            driver = "sb16";
            audiodev = TRUE;
        } else if (qemuStrEq(model, "usb")) {
            driver = "usb-audio";
            audiodev = TRUE;
        } else {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "sound card model '%s' is not supported by qemu",
                          model ? model : "");
            return -1;
        }
        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        qemuJSONStr(&j, "id", alias);
        if (audiodev && ctx->audioId)
            qemuJSONStr(&j, "audiodev", ctx->audioId);
        if (qemuJSONAddAddress(ctx, &j, snd->node) < 0) {
            g_string_free(j.s, TRUE);
            return -1;
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);

        if (hda) {
            int cad = 0;
            gboolean any = FALSE;
            for (xmlNode *c = snd->node->children; c; c = c->next) {
                g_autofree char *ctype = NULL;
                g_autofree char *cid = NULL;
                g_autofree char *cbus = NULL;
                const char *cdrv;
                if (!mvXMLNodeIs(c, "codec"))
                    continue;
                ctype = mvXMLProp(c, "type");
                cdrv = qemuStrEq(ctype, "micro") ? "hda-micro"
                     : qemuStrEq(ctype, "output") ? "hda-output" : "hda-duplex";
                any = TRUE;
                if (qemuRequireDevice(ctx, cdrv) < 0)
                    return -1;
                cid = g_strdup_printf("%s-codec%d", alias, cad);
                cbus = g_strdup_printf("%s.0", alias);
                qemuJSONInit(&j);
                qemuJSONStr(&j, "driver", cdrv);
                qemuJSONStr(&j, "id", cid);
                qemuJSONStr(&j, "bus", cbus);
                qemuJSONInt(&j, "cad", cad);
                if (ctx->audioId)
                    qemuJSONStr(&j, "audiodev", ctx->audioId);
                qemuCmdAddJSON(&ctx->cmd, "-device", &j);
                cad++;
            }
            if (!any) {
                g_autofree char *cid = g_strdup_printf("%s-codec0", alias);
                g_autofree char *cbus = g_strdup_printf("%s.0", alias);
                if (qemuRequireDevice(ctx, "hda-duplex") < 0)
                    return -1;
                qemuJSONInit(&j);
                qemuJSONStr(&j, "driver", "hda-duplex");
                qemuJSONStr(&j, "id", cid);
                qemuJSONStr(&j, "bus", cbus);
                qemuJSONInt(&j, "cad", 0);
                if (ctx->audioId)
                    qemuJSONStr(&j, "audiodev", ctx->audioId);
                qemuCmdAddJSON(&ctx->cmd, "-device", &j);
            }
        }
    }
    return 0;
}

/* ---- watchdog, redirdev, hostdev, balloon, rng, panic ---------------- */

static int
qemuBuildWatchdogs(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_WATCHDOG]; i++) {
        mvDomainDeviceDef *w = def->devs[MV_DOMAIN_DEVICE_WATCHDOG][i];
        g_autofree char *model = qemuProp(w->node, "model");
        g_autofree char *action = qemuProp(w->node, "action");
        g_autofree char *alias = qemuAliasOrDefault(w, "watchdog0");
        qemuJSON j;

        if (!qemuStrIn(model, QSTRL("i6300esb", "ib700")))
            return qemuUnsupported("watchdog model", model);
        if (qemuRequireDevice(ctx, model) < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", model);
        qemuJSONStr(&j, "id", alias);
        if (qemuJSONAddAddress(ctx, &j, w->node) < 0) {
            g_string_free(j.s, TRUE);
            return -1;
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
        if (!action)
            action = g_strdup("reset");
        if (qemuStrEq(action, "dump")) {
            g_free(action);
            action = g_strdup("pause");
        }
        if (!qemuStrIn(action, QSTRL("reset", "shutdown", "poweroff", "pause", "none", "inject-nmi")))
            return qemuUnsupported("watchdog action", action);
        qemuCmdAddPair(&ctx->cmd, "-watchdog-action", action);
    }
    return 0;
}

static int
qemuBuildRedirdevs(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_REDIRDEV]; i++) {
        mvDomainDeviceDef *r = def->devs[MV_DOMAIN_DEVICE_REDIRDEV][i];
        g_autofree char *type = qemuProp(r->node, "type");
        g_autofree char *alias = qemuAliasOrDefault(r, "redir0");
        g_autofree char *chrid = g_strdup_printf("char%s", alias);
        qemuJSON j;

        if (!qemuStrEq(type, "spicevmc"))
            return qemuUnsupported("redirdev type", type);
        if (qemuRequireDevice(ctx, "usb-redir") < 0 || qemuRequireDevice(ctx, "chardev-spicevmc") < 0)
            return -1;
        qemuCmdAddPairf(&ctx->cmd, "-chardev", "spicevmc,id=%s,name=usbredir", chrid);
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", "usb-redir");
        qemuJSONStr(&j, "chardev", chrid);
        qemuJSONStr(&j, "id", alias);
        if (qemuJSONAddAddress(ctx, &j, r->node) < 0) {
            g_string_free(j.s, TRUE);
            return -1;
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

static unsigned int
qemuHexAttr(const xmlNode *n, const char *attr)
{
    unsigned int v = 0;
    g_autofree char *s = n ? mvXMLProp(n, attr) : NULL;
    if (s)
        (void)mvStrToUInt(s, 0, &v);
    return v;
}

static int
qemuBuildHostdevs(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_HOSTDEV]; i++) {
        mvDomainDeviceDef *h = def->devs[MV_DOMAIN_DEVICE_HOSTDEV][i];
        g_autofree char *mode = qemuProp(h->node, "mode");
        g_autofree char *type = qemuProp(h->node, "type");
        g_autofree char *alias = qemuAliasOrDefault(h, "hostdev0");
        xmlNode *src = mvXMLChild(h->node, "source");
        unsigned int boot = qemuBootIndex(ctx, h->node);
        qemuJSON j;

        if (mode && !qemuStrEq(mode, "subsystem"))
            return qemuUnsupported("hostdev mode", mode);
        if (qemuStrEq(type, "pci")) {
            xmlNode *a = src ? mvXMLChild(src, "address") : NULL;
            g_autofree char *host = NULL;
            if (!a) {
                mvReportError(MV_ERR_XML_ERROR, "%s", "PCI host devices must have address specified");
                return -1;
            }
            if (qemuRequireDevice(ctx, "vfio-pci") < 0)
                return -1;
            host = g_strdup_printf("%04x:%02x:%02x.%x", qemuHexAttr(a, "domain"), qemuHexAttr(a, "bus"),
                                   qemuHexAttr(a, "slot"), qemuHexAttr(a, "function"));
            qemuJSONInit(&j);
            qemuJSONStr(&j, "driver", "vfio-pci");
            qemuJSONStr(&j, "host", host);
            qemuJSONStr(&j, "id", alias);
            if (boot)
                qemuJSONUInt(&j, "bootindex", boot);
        } else if (qemuStrEq(type, "mdev")) {
            g_autofree char *uuid = src ? qemuChildProp(src, "address", "uuid") : NULL;
            g_autofree char *sysfs = g_strdup_printf("/sys/bus/mdev/devices/%s", uuid ? uuid : "");
            if (qemuRequireDevice(ctx, "vfio-pci") < 0)
                return -1;
            qemuJSONInit(&j);
            qemuJSONStr(&j, "driver", "vfio-pci");
            qemuJSONStr(&j, "id", alias);
            qemuJSONStr(&j, "sysfsdev", sysfs);
        } else if (qemuStrEq(type, "usb")) {
            xmlNode *a = src ? mvXMLChild(src, "address") : NULL;
            xmlNode *vendor = src ? mvXMLChild(src, "vendor") : NULL;
            xmlNode *product = src ? mvXMLChild(src, "product") : NULL;
            if (qemuRequireDevice(ctx, "usb-host") < 0)
                return -1;
            qemuJSONInit(&j);
            qemuJSONStr(&j, "driver", "usb-host");
            if (a) {
                g_autofree char *path = g_strdup_printf("/dev/bus/usb/%03u/%03u",
                                                        qemuHexAttr(a, "bus"), qemuHexAttr(a, "device"));
                qemuJSONStr(&j, "hostdevice", path);
            } else if (vendor && product) {
                g_autofree char *vid = g_strdup_printf("0x%04x", qemuHexAttr(vendor, "id"));
                g_autofree char *pid = g_strdup_printf("0x%04x", qemuHexAttr(product, "id"));
                qemuJSONStr(&j, "vendorid", vid);
                qemuJSONStr(&j, "productid", pid);
            } else {
                g_string_free(j.s, TRUE);
                mvReportError(MV_ERR_XML_ERROR, "%s", "usb hostdev needs an address or vendor/product");
                return -1;
            }
            qemuJSONStr(&j, "id", alias);
            if (boot)
                qemuJSONUInt(&j, "bootindex", boot);
        } else {
            return qemuUnsupported("hostdev type", type);
        }
        if (qemuJSONAddAddress(ctx, &j, h->node) < 0) {
            g_string_free(j.s, TRUE);
            return -1;
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

static int
qemuBuildMemballoon(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_MEMBALLOON]; i++) {
        mvDomainDeviceDef *b = def->devs[MV_DOMAIN_DEVICE_MEMBALLOON][i];
        g_autofree char *model = qemuProp(b->node, "model");
        g_autofree char *alias = qemuAliasOrDefault(b, "balloon0");
        g_autofree char *deflate = mvXMLProp(b->node, "autodeflate");
        g_autofree char *fpr = mvXMLProp(b->node, "freePageReporting");
        const char *driver;
        qemuJSON j;

        if (!model || qemuStrEq(model, "none"))
            continue;
        if (qemuStrEq(model, "virtio"))
            driver = "virtio-balloon-pci";
        else if (qemuStrEq(model, "virtio-transitional"))
            driver = "virtio-balloon-pci-transitional";
        else if (qemuStrEq(model, "virtio-non-transitional"))
            driver = "virtio-balloon-pci-non-transitional";
        else
            return qemuUnsupported("memballoon model", model);
        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        qemuJSONStr(&j, "id", alias);
        if (deflate)
            qemuJSONBool(&j, "deflate-on-oom", qemuStrEq(deflate, "on"));
        if (fpr)
            qemuJSONBool(&j, "free-page-reporting", qemuStrEq(fpr, "on"));
        if (qemuJSONAddAddress(ctx, &j, b->node) < 0) {
            g_string_free(j.s, TRUE);
            return -1;
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

static int
qemuBuildRNGs(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_RNG]; i++) {
        mvDomainDeviceDef *r = def->devs[MV_DOMAIN_DEVICE_RNG][i];
        g_autofree char *model = qemuProp(r->node, "model");
        g_autofree char *alias = qemuAliasOrDefault(r, "rng0");
        g_autofree char *objid = g_strdup_printf("obj%s", alias);
        xmlNode *backend = mvXMLChild(r->node, "backend");
        xmlNode *rate = mvXMLChild(r->node, "rate");
        g_autofree char *bmodel = qemuProp(backend, "model");
        const char *driver;
        qemuJSON j;

        if (qemuStrEq(model, "virtio"))
            driver = "virtio-rng-pci";
        else if (qemuStrEq(model, "virtio-transitional"))
            driver = "virtio-rng-pci-transitional";
        else if (qemuStrEq(model, "virtio-non-transitional"))
            driver = "virtio-rng-pci-non-transitional";
        else
            return qemuUnsupported("rng model", model);
        if (qemuRequireDevice(ctx, driver) < 0)
            return -1;

        qemuJSONInit(&j);
        if (qemuStrEq(bmodel, "random")) {
            g_autofree char *path = mvXMLContent(backend);
            if (path)
                g_strstrip(path);
            if (qemuRequireDevice(ctx, "rng-random") < 0)
                goto error;
            qemuJSONStr(&j, "qom-type", "rng-random");
            qemuJSONStr(&j, "id", objid);
            qemuJSONStr(&j, "filename", path && *path ? path : "/dev/urandom");
        } else if (qemuStrEq(bmodel, "builtin")) {
            if (qemuRequireDevice(ctx, "rng-builtin") < 0)
                goto error;
            qemuJSONStr(&j, "qom-type", "rng-builtin");
            qemuJSONStr(&j, "id", objid);
        } else {
            g_string_free(j.s, TRUE);
            return qemuUnsupported("rng backend", bmodel);
        }
        qemuCmdAddJSON(&ctx->cmd, "-object", &j);

        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", driver);
        qemuJSONStr(&j, "rng", objid);
        qemuJSONStr(&j, "id", alias);
        if (rate) {
            unsigned long long bytes = qemuModelNum(rate, "bytes", 0);
            unsigned long long period = qemuModelNum(rate, "period", 1000);
            if (bytes) {
                qemuJSONUInt(&j, "max-bytes", bytes);
                qemuJSONUInt(&j, "period", period);
            }
        }
        if (qemuJSONAddAddress(ctx, &j, r->node) < 0)
            goto error;
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
        continue;
     error:
        g_string_free(j.s, TRUE);
        return -1;
    }
    return 0;
}

static int
qemuBuildPanics(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_PANIC]; i++) {
        mvDomainDeviceDef *p = def->devs[MV_DOMAIN_DEVICE_PANIC][i];
        g_autofree char *model = qemuProp(p->node, "model");
        xmlNode *a = mvXMLChild(p->node, "address");
        qemuJSON j;

        if (model && qemuStrEq(model, "hyperv"))
            continue;   /* a CPU flag */
        if (model && !qemuStrEq(model, "isa"))
            return qemuUnsupported("panic model", model);
        if (qemuRequireDevice(ctx, "pvpanic") < 0)
            return -1;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", "pvpanic");
        if (a) {
            unsigned int iobase = qemuHexAttr(a, "iobase");
            if (iobase)
                qemuJSONUInt(&j, "ioport", iobase);
        }
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    return 0;
}

/* Device kinds this builder does not turn into QEMU arguments. */
static int
qemuCheckUnsupportedKinds(const mvDomainDef *def)
{
    static const mvDomainDeviceKind kinds[] = {
        MV_DOMAIN_DEVICE_LEASE, MV_DOMAIN_DEVICE_SMARTCARD, MV_DOMAIN_DEVICE_HUB,
        MV_DOMAIN_DEVICE_NVRAM, MV_DOMAIN_DEVICE_SHMEM, MV_DOMAIN_DEVICE_MEMORY,
        MV_DOMAIN_DEVICE_IOMMU, MV_DOMAIN_DEVICE_VSOCK, MV_DOMAIN_DEVICE_CRYPTO,
    };
    for (size_t i = 0; i < G_N_ELEMENTS(kinds); i++) {
        if (def->ndevs[kinds[i]] > 0) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "<%s> devices are not supported by this QEMU driver",
                          mvDomainDeviceKindToString(kinds[i]));
            return -1;
        }
    }
    return 0;
}

/* ---- the whole command line --------------------------------------------- */

static int
qemuBuildFromPrepared(qemuBuildCtx *ctx)
{
    const mvDomainDef *def = ctx->def;
    const char *emulator = ctx->params && ctx->params->emulator ? ctx->params->emulator
                         : def->emulator ? def->emulator
                         : ctx->caps ? ctx->caps->binary : NULL;
    char uuid[MV_UUID_STRING_BUFLEN];
    g_auto(qemuFirmware) fw = { 0 };

    if (!emulator) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s", "no emulator binary found for this domain");
        return -1;
    }
    if (!qemuStrEq(def->osType, "hvm")) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "Emulator '%s' does not support os type '%s'",
                      emulator, def->osType ? def->osType : "");
        return -1;
    }
    if (ctx->caps && ctx->caps->arch && !qemuStrEq(ctx->arch, ctx->caps->arch) &&
        !(qemuStrEq(ctx->arch, "i686") && qemuStrEq(ctx->caps->arch, "x86_64"))) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "Emulator '%s' does not support arch '%s'",
                      emulator, ctx->arch);
        return -1;
    }
    if (qemuCheckUnsupportedKinds(def) < 0)
        return -1;

    qemuCmdAdd(&ctx->cmd, emulator);
    qemuBuildName(ctx);
    qemuCmdAdd(&ctx->cmd, "-S");
    if (qemuBuildFirmwareAndMachine(ctx) < 0)
        return -1;
    if (qemuBuildCpu(ctx) < 0)
        return -1;
    qemuFirmwareGet(def, &fw);
    if (fw.loader && !qemuStrEq(fw.loaderType, "pflash"))
        qemuCmdAddPair(&ctx->cmd, "-bios", fw.loader);
    qemuBuildMemory(ctx);
    if (qemuBuildSmp(ctx) < 0)
        return -1;
    qemuCmdAddPair(&ctx->cmd, "-uuid", mvUUIDFormat(def->uuid, uuid));
    if (def->genid) {
        qemuJSON j;
        qemuJSONInit(&j);
        qemuJSONStr(&j, "driver", "vmgenid");
        qemuJSONStr(&j, "guid", def->genid);
        qemuJSONStr(&j, "id", "vmgenid0");
        qemuCmdAddJSON(&ctx->cmd, "-device", &j);
    }
    if (def->ngraphics == 0)
        qemuCmdAddPair(&ctx->cmd, "-display", "none");
    qemuCmdAdd(&ctx->cmd, "-no-user-config");
    qemuCmdAdd(&ctx->cmd, "-nodefaults");
    if (ctx->params && ctx->params->monitorPath) {
        GString *buf = g_string_new("socket,id=charmonitor,path=");
        qemuBufEscapeComma(buf, ctx->params->monitorPath);
        g_string_append(buf, ",server=on,wait=off");
        qemuCmdAddPairBuf(&ctx->cmd, "-chardev", buf);
        qemuCmdAddPair(&ctx->cmd, "-mon", "chardev=charmonitor,id=monitor,mode=control");
    }
    if (qemuBuildClock(ctx) < 0)
        return -1;
    qemuBuildPM(ctx);
    qemuComputeBootIndexes(ctx);
    qemuBuildBoot(ctx);
    if (qemuBuildControllers(ctx) < 0 ||
        qemuBuildDisks(ctx) < 0 ||
        qemuBuildFilesystems(ctx) < 0 ||
        qemuBuildNets(ctx) < 0 ||
        qemuBuildSerials(ctx) < 0 ||
        qemuBuildParallels(ctx) < 0 ||
        qemuBuildChannels(ctx) < 0 ||
        qemuBuildConsoles(ctx) < 0 ||
        qemuBuildTPMs(ctx) < 0 ||
        qemuBuildInputs(ctx) < 0 ||
        qemuBuildAudio(ctx) < 0 ||
        qemuBuildGraphics(ctx) < 0 ||
        qemuBuildVideos(ctx) < 0 ||
        qemuBuildSounds(ctx) < 0 ||
        qemuBuildWatchdogs(ctx) < 0 ||
        qemuBuildRedirdevs(ctx) < 0 ||
        qemuBuildHostdevs(ctx) < 0 ||
        qemuBuildMemballoon(ctx) < 0 ||
        qemuBuildRNGs(ctx) < 0)
        return -1;
    qemuCmdAddPair(&ctx->cmd, "-sandbox",
                   "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    if (qemuBuildPanics(ctx) < 0)
        return -1;
    qemuCmdAddPair(&ctx->cmd, "-msg", "timestamp=on");
    return 0;
}

char **
qemuBuildCommandLine(const mvDomainDef *def, const mvQemuCaps *caps,
                     const qemuCommandParams *params)
{
    g_autoptr(mvDomainDef) copy = NULL;
    qemuBuildCtx ctx = { 0 };
    char **argv = NULL;

    if (!def) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "no domain definition");
        return NULL;
    }
    if (!(copy = mvDomainDefCopy(def)))
        return NULL;
    copy->id = def->id;
    /* no port allocation here: the caller's def carries the ports */
    if (qemuDomainPrepare(copy, caps, params, FALSE) < 0)
        return NULL;

    ctx.def = copy;
    ctx.caps = caps;
    ctx.params = params;
    ctx.arch = qemuDefArch(copy, caps);
    ctx.x86 = qemuArchIsX86(ctx.arch);
    ctx.q35 = qemuDefIsQ35(copy);
    ctx.i440fx = qemuDefIsI440FX(copy);
    ctx.kvm = (params && params->kvm) || qemuStrEq(copy->virtType, "kvm");
    ctx.cmd.args = g_ptr_array_new_with_free_func(g_free);

    if (qemuBuildFromPrepared(&ctx) == 0) {
        g_ptr_array_add(ctx.cmd.args, NULL);
        argv = (char **)g_ptr_array_free(ctx.cmd.args, FALSE);
        ctx.cmd.args = NULL;
    }
    if (ctx.cmd.args)
        g_ptr_array_free(ctx.cmd.args, TRUE);
    if (ctx.diskBoot)
        g_hash_table_unref(ctx.diskBoot);
    g_free(ctx.audioId);
    return argv;
}

char **
qemuBuildCommandEnv(const mvDomainDef *def, const qemuCommandParams *params)
{
    GPtrArray *env = g_ptr_array_new();
    const char *home = params && params->libDir ? params->libDir : NULL;
    const char *user = g_get_user_name();
    const char *path = g_getenv("PATH");

    (void)def;
    g_ptr_array_add(env, g_strdup("LC_ALL=C"));
    g_ptr_array_add(env, g_strdup_printf("PATH=%s", path && *path ? path : QEMU_PATH_DEFAULT));
    if (home)
        g_ptr_array_add(env, g_strdup_printf("HOME=%s", home));
    if (user) {
        g_ptr_array_add(env, g_strdup_printf("USER=%s", user));
        g_ptr_array_add(env, g_strdup_printf("LOGNAME=%s", user));
    }
    if (home) {
        g_ptr_array_add(env, g_strdup_printf("XDG_DATA_HOME=%s/.local/share", home));
        g_ptr_array_add(env, g_strdup_printf("XDG_CACHE_HOME=%s/.cache", home));
        g_ptr_array_add(env, g_strdup_printf("XDG_CONFIG_HOME=%s/.config", home));
    }
    g_ptr_array_add(env, NULL);
    return (char **)g_ptr_array_free(env, FALSE);
}

/* Quote like a POSIX shell needs it (libvirt's virBufferEscapeShell). */
static void
qemuShellQuote(GString *buf, const char *s)
{
    if (*s && !strpbrk(s, "\r\t\n !\"#$&'()*;<>?[\\]^`{|}~")) {
        g_string_append(buf, s);
        return;
    }
    g_string_append_c(buf, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            g_string_append(buf, "'\\''");
        else
            g_string_append_c(buf, *s);
    }
    g_string_append_c(buf, '\'');
}

char *
qemuBuildCommandLineStringEnv(char *const *envp, char *const *argv, gboolean multiline)
{
    GString *buf = g_string_new(NULL);
    const char *sep = multiline ? " \\\n" : " ";
    gboolean first = TRUE;

    for (size_t i = 0; envp && envp[i]; i++) {
        const char *eq = strchr(envp[i], '=');
        if (!first)
            g_string_append(buf, sep);
        first = FALSE;
        if (eq) {
            g_string_append_len(buf, envp[i], eq - envp[i] + 1);
            qemuShellQuote(buf, eq + 1);
        } else {
            qemuShellQuote(buf, envp[i]);
        }
    }
    for (size_t i = 0; argv && argv[i]; i++) {
        /* an option and its value share a line, like libvirt's logs */
        gboolean value = multiline && i > 0 && argv[i][0] != '-' && argv[i - 1][0] == '-';
        if (!first)
            g_string_append(buf, value ? " " : sep);
        first = FALSE;
        qemuShellQuote(buf, argv[i]);
    }
    return g_string_free(buf, FALSE);
}

char *
qemuBuildCommandLineString(char *const *argv, gboolean multiline)
{
    const char *path = g_getenv("PATH");
    g_autofree char *pathEnv = g_strdup_printf("PATH=%s", path && *path ? path : QEMU_PATH_DEFAULT);
    char *envp[] = { (char *)"LC_ALL=C", pathEnv, NULL };
    return qemuBuildCommandLineStringEnv(envp, argv, multiline);
}
