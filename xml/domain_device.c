/* Domain devices: per-kind parse, normalization, typed fields, format sync,
 * and the cross-device defaults libvirt applies after parsing. */
#define MV_FROM_THIS MV_FROM_DOMAIN
#include "xml/domain_private.h"

#include <string.h>
#include <libxml/parser.h>

#include "util/error.h"

static const char *const mvDomainDeviceKindNames[MV_DOMAIN_DEVICE_LAST] = {
    "disk", "controller", "lease", "filesystem", "interface", "smartcard",
    "serial", "parallel", "console", "channel", "input", "tpm", "graphics",
    "sound", "audio", "video", "hostdev", "redirdev", "redirfilter", "hub",
    "watchdog", "memballoon", "rng", "nvram", "panic", "shmem", "memory",
    "iommu", "vsock", "crypto",
};

const char *
mvDomainDeviceKindToString(mvDomainDeviceKind kind)
{
    if ((int)kind < 0 || kind >= MV_DOMAIN_DEVICE_LAST)
        return NULL;
    return mvDomainDeviceKindNames[kind];
}

int
mvDomainDeviceKindFromString(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < MV_DOMAIN_DEVICE_LAST; i++)
        if (strcmp(mvDomainDeviceKindNames[i], name) == 0)
            return i;
    return -1;
}

static gboolean
mvStrIn(const char *s, const char *const *list)
{
    if (!s)
        return FALSE;
    for (size_t i = 0; list[i]; i++)
        if (strcmp(s, list[i]) == 0)
            return TRUE;
    return FALSE;
}

#define STRL(...) (const char *const[]){ __VA_ARGS__, NULL }

/* ===================================================================== */
/* helpers                                                                */
/* ===================================================================== */

int
mvMacAddrParse(const char *str, unsigned char mac[6])
{
    const char *p = str;
    if (!str)
        return -1;
    for (int i = 0; i < 6; i++) {
        unsigned int v = 0;
        int digits = 0;
        while (g_ascii_isxdigit(*p) && digits < 2) {
            v = v * 16 + (unsigned)g_ascii_xdigit_value(*p);
            p++;
            digits++;
        }
        if (digits == 0)
            return -1;
        mac[i] = (unsigned char)v;
        if (i < 5) {
            if (*p != ':')
                return -1;
            p++;
        }
    }
    return *p ? -1 : 0;
}

void
mvMacAddrFormat(const unsigned char mac[6], char out[18])
{
    g_snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
               mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

void
mvMacAddrGenerate(char out[18])
{
    unsigned char mac[6] = { 0x52, 0x54, 0x00, 0, 0, 0 };
    guint32 r = g_random_int();
    mac[3] = r & 0xff;
    mac[4] = (r >> 8) & 0xff;
    mac[5] = (r >> 16) & 0xff;
    mvMacAddrFormat(mac, out);
}

int
mvDiskNameToIndex(const char *name)
{
    static const char *const prefixes[] = { "fd", "hd", "vd", "sd", "xvd", "ubd", NULL };
    const char *p = NULL;
    long idx = 0;
    if (!name)
        return -1;
    for (size_t i = 0; prefixes[i]; i++) {
        if (g_str_has_prefix(name, prefixes[i])) {
            p = name + strlen(prefixes[i]);
            break;
        }
    }
    if (!p || !*p)
        return -1;
    for (const char *start = p; *p; p++) {
        if (!g_ascii_islower(*p))
            return -1;   /* partition numbers etc. are not allowed */
        idx = (idx + (p == start ? 0 : 1)) * 26 + (*p - 'a');
        if (idx > G_MAXINT / 27)
            return -1;
    }
    return (int)idx;
}

/* libvirt's base-26 naming: "a"=0 .. "z"=25, "aa"=26 */
static int
mvDiskIndexFromSuffix(const char *name)
{
    return mvDiskNameToIndex(name);
}

static char *
mvDupNonEmpty(char *s)
{
    if (s && !*s) {
        g_free(s);
        return NULL;
    }
    return s;
}

static void
mvDomainStripAlias(xmlNode *node)
{
    xmlNode *a = mvXMLChild(node, "alias");
    if (a) {
        g_autofree char *name = mvXMLProp(a, "name");
        if (!name || !g_str_has_prefix(name, "ua-")) {
            xmlUnlinkNode(a);
            xmlFreeNode(a);
        }
    }
}

static unsigned int
mvBootOrder(xmlNode *node, int *err)
{
    xmlNode *b = mvXMLChild(node, "boot");
    unsigned int order = 0;
    *err = 0;
    if (!b)
        return 0;
    if (mvXMLPropUInt(b, "order", 10, &order) <= 0 || order == 0) {
        g_autofree char *s = mvXMLProp(b, "order");
        if (!s)
            mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "missing boot order attribute");
        else if (order == 0 && mvStrToUInt(s, 10, &order) == 0)
            mvReportError(MV_ERR_INTERNAL_ERROR, "incorrect boot order '%s', expecting positive integer", s);
        *err = -1;
        return 0;
    }
    return order;
}

static void
mvSetBootOrder(xmlNode *node, unsigned int order)
{
    if (order) {
        char buf[16];
        g_snprintf(buf, sizeof(buf), "%u", order);
        mvXMLSetChildProp(node, "boot", "order", buf);
    } else {
        mvXMLRemoveChildren(node, "boot");
    }
}

static void
mvSetFlagChild(xmlNode *node, const char *name, gboolean on)
{
    if (on)
        mvXMLEnsureChild(node, name);
    else
        mvXMLRemoveChildren(node, name);
}

/* ===================================================================== */
/* free                                                                   */
/* ===================================================================== */

static void
mvDomainDeviceNodeFree(xmlNode *node)
{
    if (!node)
        return;
    if (node->doc && xmlDocGetRootElement(node->doc) == node) {
        xmlFreeDoc(node->doc);   /* standalone device document */
        return;
    }
    xmlUnlinkNode(node);
    xmlFreeNode(node);
}

void
mvDomainDeviceDefFree(mvDomainDeviceDef *dev)
{
    if (!dev)
        return;
    switch (dev->kind) {
    case MV_DOMAIN_DEVICE_DISK: {
        mvDomainDiskDef *d = (mvDomainDiskDef *)dev;
        g_free(d->type); g_free(d->device); g_free(d->driverName); g_free(d->driverType);
        g_free(d->src); g_free(d->srcPool); g_free(d->srcProtocol); g_free(d->dst);
        g_free(d->bus); g_free(d->serial);
        break;
    }
    case MV_DOMAIN_DEVICE_NET: {
        mvDomainNetDef *n = (mvDomainNetDef *)dev;
        g_free(n->type); g_free(n->source); g_free(n->sourceMode); g_free(n->portgroup);
        g_free(n->model); g_free(n->ifname); g_free(n->alias);
        break;
    }
    case MV_DOMAIN_DEVICE_GRAPHICS: {
        mvDomainGraphicsDef *g = (mvDomainGraphicsDef *)dev;
        g_free(g->type); g_free(g->listen); g_free(g->socket); g_free(g->passwd);
        break;
    }
    case MV_DOMAIN_DEVICE_SERIAL:
    case MV_DOMAIN_DEVICE_PARALLEL:
    case MV_DOMAIN_DEVICE_CONSOLE:
    case MV_DOMAIN_DEVICE_CHANNEL: {
        mvDomainChrDef *c = (mvDomainChrDef *)dev;
        g_free(c->type); g_free(c->sourcePath); g_free(c->targetType); g_free(c->targetName);
        break;
    }
    default:
        break;
    }
    mvDomainDeviceNodeFree(dev->node);
    g_free(dev);
}

/* ===================================================================== */
/* disk                                                                   */
/* ===================================================================== */

static const char *
mvDiskSourceAttr(const char *type)
{
    if (!type || strcmp(type, "file") == 0)
        return "file";
    if (strcmp(type, "block") == 0)
        return "dev";
    if (strcmp(type, "dir") == 0)
        return "dir";
    if (strcmp(type, "network") == 0)
        return "name";
    if (strcmp(type, "volume") == 0)
        return "volume";
    if (strcmp(type, "vhostuser") == 0)
        return "path";
    return NULL;
}

static const char *
mvDiskBusFromDst(const char *dst, const char *device)
{
    if (device && strcmp(device, "floppy") == 0)
        return "fdc";
    if (g_str_has_prefix(dst, "hd"))
        return "ide";
    if (g_str_has_prefix(dst, "sd"))
        return "scsi";
    if (g_str_has_prefix(dst, "vd"))
        return "virtio";
    if (g_str_has_prefix(dst, "xvd"))
        return "xen";
    if (g_str_has_prefix(dst, "ubd"))
        return "uml";
    if (g_str_has_prefix(dst, "fd"))
        return "fdc";
    return "ide";
}

static int
mvDomainDiskParse(mvDomainDiskDef *d, unsigned int flags)
{
    xmlNode *n = d->dev.node;
    xmlNode *src, *tgt;
    const char *key;
    int err;

    d->type = mvXMLProp(n, "type");
    if (!d->type) {
        d->type = g_strdup("file");
        mvXMLSetProp(n, "type", "file");
    }
    if (!mvStrIn(d->type, STRL("file", "block", "dir", "network", "volume", "nvme", "vhostuser"))) {
        mvReportError(MV_ERR_XML_ERROR, "unknown disk type '%s'", d->type);
        return -1;
    }
    d->device = mvXMLProp(n, "device");
    if (!d->device) {
        d->device = g_strdup("disk");
        mvXMLSetProp(n, "device", "disk");
    }
    if (!mvStrIn(d->device, STRL("disk", "cdrom", "floppy", "lun"))) {
        mvReportError(MV_ERR_XML_ERROR, "unknown disk device '%s'", d->device);
        return -1;
    }
    d->driverName = mvXMLChildProp(n, "driver", "name");
    d->driverType = mvXMLChildProp(n, "driver", "type");

    src = mvXMLChild(n, "source");
    key = mvDiskSourceAttr(d->type);
    if (src && key)
        d->src = mvDupNonEmpty(mvXMLProp(src, key));
    if (src && strcmp(d->type, "volume") == 0)
        d->srcPool = mvXMLProp(src, "pool");
    if (src && strcmp(d->type, "network") == 0)
        d->srcProtocol = mvXMLProp(src, "protocol");
    if (strcmp(d->type, "network") == 0 && src && !d->srcProtocol) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "missing network source protocol type");
        return -1;
    }
    if (strcmp(d->type, "volume") == 0 && src && (!d->srcPool || !d->src)) {
        mvReportError(MV_ERR_XML_ERROR, "%s",
                      "'pool' and 'volume' must be specified together for 'pool' type source");
        return -1;
    }

    tgt = mvXMLChild(n, "target");
    d->dst = mvDupNonEmpty(mvXMLProp(tgt, "dev"));
    if (!d->dst) {
        if (d->src)
            mvReportError(MV_ERR_NO_TARGET, "%s", d->src);
        else
            mvReportError(MV_ERR_NO_TARGET, NULL);
        return -1;
    }
    d->bus = mvXMLProp(tgt, "bus");
    if (!d->bus) {
        d->bus = g_strdup(mvDiskBusFromDst(d->dst, d->device));
        mvXMLSetProp(tgt, "bus", d->bus);
    }
    if (!mvStrIn(d->bus, STRL("ide", "scsi", "virtio", "xen", "usb", "uml", "sata", "sd", "fdc", "none"))) {
        mvReportError(MV_ERR_XML_ERROR, "unknown disk bus type '%s'", d->bus);
        return -1;
    }
    if (strcmp(d->device, "floppy") == 0 && strcmp(d->bus, "fdc") != 0) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "Invalid bus type for floppy disk");
        return -1;
    }
    if (strcmp(d->device, "floppy") != 0 && strcmp(d->bus, "fdc") == 0) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "Invalid bus type for non-floppy disk");
        return -1;
    }
    d->readonly = mvXMLChild(n, "readonly") != NULL;
    d->shareable = mvXMLChild(n, "shareable") != NULL;
    if (mvXMLChild(n, "serial"))
        d->serial = mvDupNonEmpty(mvXMLContent(mvXMLChild(n, "serial")));
    d->bootIndex = mvBootOrder(n, &err);
    if (err < 0)
        return -1;
    if (flags & MV_DOMAIN_DEF_PARSE_INACTIVE)
        mvDomainStripAlias(n);
    return 0;
}

static void
mvDomainDiskSync(const mvDomainDiskDef *d, xmlNode *n)
{
    static const char *const srcKeys[] = { "file", "dev", "dir", "volume", "pool", NULL };
    const char *key = mvDiskSourceAttr(d->type);
    xmlNode *src;

    mvXMLSetProp(n, "type", d->type);
    mvXMLSetProp(n, "device", d->device);
    mvXMLSetChildProp(n, "driver", "name", d->driverName);
    mvXMLSetChildProp(n, "driver", "type", d->driverType);

    if ((src = mvXMLChild(n, "source"))) {
        for (size_t i = 0; srcKeys[i]; i++) {
            if (key && strcmp(srcKeys[i], key) == 0)
                continue;
            if (strcmp(srcKeys[i], "pool") == 0 && d->type && strcmp(d->type, "volume") == 0)
                continue;
            mvXMLSetProp(src, srcKeys[i], NULL);
        }
    }
    if (key)
        mvXMLSetChildProp(n, "source", key, d->src);
    if (d->type && strcmp(d->type, "volume") == 0)
        mvXMLSetChildProp(n, "source", "pool", d->srcPool);
    if (d->type && strcmp(d->type, "network") == 0)
        mvXMLSetChildProp(n, "source", "protocol", d->srcProtocol);

    mvXMLSetChildProp(n, "target", "dev", d->dst);
    mvXMLSetChildProp(n, "target", "bus", d->bus);
    mvSetFlagChild(n, "readonly", d->readonly);
    mvSetFlagChild(n, "shareable", d->shareable);
    if (d->serial)
        mvXMLSetContent(mvXMLEnsureChild(n, "serial"), d->serial);
    else
        mvXMLRemoveChildren(n, "serial");
    mvSetBootOrder(n, d->bootIndex);
}

/* ===================================================================== */
/* interface                                                              */
/* ===================================================================== */

static const char *
mvNetSourceAttr(const char *type)
{
    if (strcmp(type, "network") == 0)
        return "network";
    if (strcmp(type, "bridge") == 0)
        return "bridge";
    if (strcmp(type, "direct") == 0)
        return "dev";
    if (strcmp(type, "vhostuser") == 0)
        return "path";
    if (strcmp(type, "internal") == 0)
        return "name";
    return NULL;
}

static gboolean
mvNetIfnameIsGenerated(const char *ifname)
{
    return ifname && (g_str_has_prefix(ifname, "vnet") ||
                      g_str_has_prefix(ifname, "macvtap") ||
                      g_str_has_prefix(ifname, "macvlan"));
}

static int
mvDomainNetParse(mvDomainNetDef *net, unsigned int flags)
{
    xmlNode *n = net->dev.node;
    xmlNode *src;
    const char *key;
    g_autofree char *mac = NULL;
    unsigned char addr[6];
    int err;

    net->type = mvXMLProp(n, "type");
    if (!net->type) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "missing type attribute for interface");
        return -1;
    }
    if (!mvStrIn(net->type, STRL("user", "ethernet", "vhostuser", "server", "client", "mcast",
                                 "udp", "network", "bridge", "internal", "direct", "hostdev",
                                 "vdpa", "null", "vds"))) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "unknown interface type '%s'", net->type);
        return -1;
    }

    mac = mvXMLChildProp(n, "mac", "address");
    if (mac) {
        if (mvMacAddrParse(mac, addr) < 0) {
            mvReportError(MV_ERR_XML_ERROR, "unable to parse mac address '%s'", mac);
            return -1;
        }
        if (addr[0] & 1) {
            mvReportError(MV_ERR_XML_ERROR,
                          "expected unicast mac address, found multicast '%s'", mac);
            return -1;
        }
        mvMacAddrFormat(addr, net->mac);
    } else {
        mvMacAddrGenerate(net->mac);
    }
    mvXMLSetChildProp(n, "mac", "address", net->mac);

    src = mvXMLChild(n, "source");
    key = mvNetSourceAttr(net->type);
    if (key)
        net->source = mvDupNonEmpty(mvXMLProp(src, key));
    if (strcmp(net->type, "network") == 0 && !net->source) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                      "No <source> 'network' attribute specified with <interface type='network'/>");
        return -1;
    }
    if (strcmp(net->type, "bridge") == 0 && !net->source) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                      "No <source> 'bridge' attribute specified with <interface type='bridge'/>");
        return -1;
    }
    if (strcmp(net->type, "direct") == 0 && !net->source) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                      "No <source> 'dev' attribute specified with <interface type='direct'/>");
        return -1;
    }
    net->sourceMode = mvXMLProp(src, "mode");
    net->portgroup = mvXMLProp(src, "portgroup");
    net->model = mvDupNonEmpty(mvXMLChildProp(n, "model", "type"));
    net->ifname = mvDupNonEmpty(mvXMLChildProp(n, "target", "dev"));
    net->alias = mvDupNonEmpty(mvXMLChildProp(n, "alias", "name"));
    net->bootIndex = mvBootOrder(n, &err);
    if (err < 0)
        return -1;

    if (flags & MV_DOMAIN_DEF_PARSE_INACTIVE) {
        if (mvNetIfnameIsGenerated(net->ifname)) {
            g_clear_pointer(&net->ifname, g_free);
            mvXMLSetChildProp(n, "target", "dev", NULL);
        }
        if (net->alias && !g_str_has_prefix(net->alias, "ua-"))
            g_clear_pointer(&net->alias, g_free);
        mvDomainStripAlias(n);
    }
    return 0;
}

static void
mvDomainNetSync(const mvDomainNetDef *net, xmlNode *n, unsigned int flags)
{
    const char *key = mvNetSourceAttr(net->type);
    const char *ifname = net->ifname;
    const char *alias = net->alias;

    if ((flags & MV_DOMAIN_XML_INACTIVE) && mvNetIfnameIsGenerated(ifname))
        ifname = NULL;
    if ((flags & MV_DOMAIN_XML_INACTIVE) && alias && !g_str_has_prefix(alias, "ua-"))
        alias = NULL;

    mvXMLSetProp(n, "type", net->type);
    mvXMLSetChildProp(n, "mac", "address", net->mac[0] ? net->mac : NULL);
    if (key) {
        mvXMLSetChildProp(n, "source", key, net->source);
        if (strcmp(net->type, "direct") == 0 || strcmp(net->type, "vhostuser") == 0)
            mvXMLSetChildProp(n, "source", "mode", net->sourceMode);
        if (strcmp(net->type, "network") == 0)
            mvXMLSetChildProp(n, "source", "portgroup", net->portgroup);
    }
    mvXMLSetChildProp(n, "model", "type", net->model);
    mvXMLSetChildProp(n, "target", "dev", ifname);
    mvXMLSetChildProp(n, "alias", "name", alias);
    mvSetBootOrder(n, net->bootIndex);
}

/* ===================================================================== */
/* graphics                                                               */
/* ===================================================================== */

static int
mvDomainGraphicsParse(mvDomainGraphicsDef *g, unsigned int flags)
{
    xmlNode *n = g->dev.node;
    gboolean autoport = FALSE;
    int hasAutoport;
    g_autofree char *listenAttr = NULL;
    xmlNode *firstListen = NULL;

    g->type = mvXMLProp(n, "type");
    if (!g->type) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "missing graphics device type");
        return -1;
    }
    if (!mvStrIn(g->type, STRL("sdl", "vnc", "rdp", "desktop", "spice", "egl-headless", "dbus"))) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "unknown graphics device type '%s'", g->type);
        return -1;
    }
    if (mvXMLPropInt(n, "port", 10, &g->port) < 0 ||
        mvXMLPropInt(n, "tlsPort", 10, &g->tlsPort) < 0 ||
        mvXMLPropInt(n, "websocket", 10, &g->websocket) < 0 ||
        (hasAutoport = mvXMLPropBool(n, "autoport", FALSE, &autoport)) < 0)
        return -1;
    g->passwd = mvXMLProp(n, "passwd");
    g->socket = mvDupNonEmpty(mvXMLProp(n, "socket"));

    if (strcmp(g->type, "vnc") == 0) {
        if (g->port == -1 || (hasAutoport == 0 && g->port == 0 && !g->socket))
            autoport = TRUE;
        if (g->socket)
            autoport = FALSE;
        g->autoport = autoport;
        if (g->autoport && (g->port <= 0 || (flags & MV_DOMAIN_DEF_PARSE_INACTIVE)))
            g->port = -1;
    } else if (strcmp(g->type, "spice") == 0) {
        if ((g->port == -1 && g->tlsPort <= 0) || (g->tlsPort == -1 && g->port <= 0) ||
            (g->port == -1 && g->tlsPort == -1))
            autoport = TRUE;
        if (hasAutoport == 0 && g->port == 0 && g->tlsPort == 0)
            autoport = TRUE;
        g->autoport = autoport;
        if (g->autoport && (flags & MV_DOMAIN_DEF_PARSE_INACTIVE))
            g->port = g->tlsPort = 0;
        if (g->port < 0)
            g->port = 0;
        if (g->tlsPort < 0)
            g->tlsPort = 0;
    } else {
        g->autoport = autoport;
    }

    /* listen attribute <-> first address listen element */
    listenAttr = mvDupNonEmpty(mvXMLProp(n, "listen"));
    firstListen = mvXMLChild(n, "listen");
    if (strcmp(g->type, "vnc") == 0 || strcmp(g->type, "spice") == 0 ||
        strcmp(g->type, "rdp") == 0) {
        if (!firstListen && !g->socket) {
            firstListen = xmlNewChild(n, NULL, BAD_CAST "listen", NULL);
            mvXMLSetProp(firstListen, "type", "address");
            if (listenAttr)
                mvXMLSetProp(firstListen, "address", listenAttr);
        }
        if (firstListen) {
            g_autofree char *ltype = mvXMLProp(firstListen, "type");
            g_autofree char *laddr = mvDupNonEmpty(mvXMLProp(firstListen, "address"));
            if (!ltype) {
                mvXMLSetProp(firstListen, "type", laddr ? "address" : "address");
                ltype = g_strdup("address");
            }
            if (strcmp(ltype, "address") == 0) {
                if (listenAttr && !laddr) {
                    mvXMLSetProp(firstListen, "address", listenAttr);
                    laddr = g_strdup(listenAttr);
                } else if (listenAttr && laddr && strcmp(listenAttr, laddr) != 0) {
                    mvReportError(MV_ERR_XML_ERROR,
                                  "graphics 'listen' attribute '%s' must match 'address' "
                                  "attribute of first listen element (found '%s')",
                                  listenAttr, laddr);
                    return -1;
                }
                g->listen = g_steal_pointer(&laddr);
            }
        }
    }
    if (flags & MV_DOMAIN_DEF_PARSE_INACTIVE)
        mvDomainStripAlias(n);
    return 0;
}

static void
mvSetIntProp(xmlNode *n, const char *name, int v, gboolean print)
{
    char buf[16];
    if (!print) {
        mvXMLSetProp(n, name, NULL);
        return;
    }
    g_snprintf(buf, sizeof(buf), "%d", v);
    mvXMLSetProp(n, name, buf);
}

static void
mvDomainGraphicsSync(const mvDomainGraphicsDef *g, xmlNode *n, unsigned int flags)
{
    gboolean inactive = (flags & MV_DOMAIN_XML_INACTIVE) != 0;
    xmlNode *l;

    mvXMLSetProp(n, "type", g->type);
    mvXMLSetProp(n, "socket", g->socket);
    if (strcmp(g->type, "vnc") == 0) {
        if (g->socket) {
            mvSetIntProp(n, "port", 0, FALSE);
            mvXMLSetProp(n, "autoport", NULL);
        } else {
            int port = g->port;
            if (g->autoport && (inactive || port <= 0))
                port = -1;
            mvSetIntProp(n, "port", port, port != 0);
            mvXMLSetProp(n, "autoport", g->autoport ? "yes" : "no");
        }
        mvSetIntProp(n, "websocket", g->websocket, g->websocket != 0);
    } else if (strcmp(g->type, "spice") == 0) {
        gboolean hide = g->autoport && inactive;
        mvSetIntProp(n, "port", g->port, g->port > 0 && !hide);
        mvSetIntProp(n, "tlsPort", g->tlsPort, g->tlsPort > 0 && !hide);
        mvXMLSetProp(n, "autoport", g->autoport ? "yes" : "no");
    } else {
        mvSetIntProp(n, "port", g->port, g->port != 0);
        if (g->autoport)
            mvXMLSetProp(n, "autoport", "yes");
    }
    mvXMLSetProp(n, "listen", g->listen);
    if ((l = mvXMLChild(n, "listen"))) {
        g_autofree char *ltype = mvXMLProp(l, "type");
        if (ltype && strcmp(ltype, "address") == 0)
            mvXMLSetProp(l, "address", g->listen);
    }
    mvXMLSetProp(n, "passwd", (flags & MV_DOMAIN_XML_SECURE) ? g->passwd : NULL);
}

/* ===================================================================== */
/* character devices                                                      */
/* ===================================================================== */

static int
mvDomainChrParse(mvDomainChrDef *c, unsigned int flags)
{
    xmlNode *n = c->dev.node;
    xmlNode *src, *tgt;

    c->type = mvXMLProp(n, "type");
    if (!c->type) {
        c->type = g_strdup("pty");
        mvXMLSetProp(n, "type", "pty");
    }
    if (!mvStrIn(c->type, STRL("null", "vc", "pty", "dev", "file", "pipe", "stdio", "udp",
                               "tcp", "unix", "spicevmc", "spiceport", "nmdm",
                               "qemu-vdagent", "dbus"))) {
        mvReportError(MV_ERR_XML_ERROR, "unknown type presented to host for character device: %s",
                      c->type);
        return -1;
    }
    src = mvXMLChild(n, "source");
    c->sourcePath = mvDupNonEmpty(mvXMLProp(src, "path"));
    if (src && strcmp(c->type, "unix") == 0 && !c->sourcePath) {
        g_autofree char *mode = mvXMLProp(src, "mode");
        if (!mode || strcmp(mode, "bind") == 0) {
            /* path is chosen by the driver when the guest starts */
            xmlUnlinkNode(src);
            xmlFreeNode(src);
        }
    }
    if (strcmp(c->type, "pty") == 0 && (flags & MV_DOMAIN_DEF_PARSE_INACTIVE))
        g_clear_pointer(&c->sourcePath, g_free);
    tgt = mvXMLChild(n, "target");
    c->targetType = mvDupNonEmpty(mvXMLProp(tgt, "type"));
    c->targetName = mvDupNonEmpty(mvXMLProp(tgt, "name"));
    c->targetPort = -1;
    if (tgt) {
        unsigned int port;
        int r = mvXMLPropUInt(tgt, "port", 10, &port);
        if (r < 0)
            return -1;
        if (r > 0) {
            if (port > 65535) {
                mvReportError(MV_ERR_XML_ERROR, "Invalid port number: %u", port);
                return -1;
            }
            c->targetPort = (int)port;
        }
    }
    if (c->dev.kind == MV_DOMAIN_DEVICE_CHANNEL && !c->targetType) {
        mvReportError(MV_ERR_XML_ERROR, "%s", "missing target type attribute for channel");
        return -1;
    }
    if (flags & MV_DOMAIN_DEF_PARSE_INACTIVE) {
        mvDomainStripAlias(n);
        if (tgt)
            mvXMLSetProp(tgt, "state", NULL);
    }
    return 0;
}

static void
mvDomainChrSync(const mvDomainChrDef *c, xmlNode *n, unsigned int flags)
{
    const char *path = c->sourcePath;
    xmlNode *tgt;
    if ((flags & MV_DOMAIN_XML_INACTIVE) && c->type && strcmp(c->type, "pty") == 0)
        path = NULL;
    mvXMLSetProp(n, "type", c->type);
    mvXMLSetChildProp(n, "source", "path", path);
    if (c->targetType || c->targetName || c->targetPort >= 0) {
        tgt = mvXMLEnsureChild(n, "target");
        mvXMLSetProp(tgt, "type", c->targetType);
        mvXMLSetProp(tgt, "name", c->targetName);
        mvSetIntProp(tgt, "port", c->targetPort, c->targetPort >= 0);
        if (flags & MV_DOMAIN_XML_INACTIVE)
            mvXMLSetProp(tgt, "state", NULL);
    }
    if (c->type && strcmp(c->type, "pty") == 0 && path)
        mvXMLSetProp(n, "tty", path);
    else
        mvXMLSetProp(n, "tty", NULL);
}

/* ===================================================================== */
/* generic kinds                                                          */
/* ===================================================================== */

static int
mvDomainGenericParse(mvDomainDeviceDef *dev, unsigned int flags)
{
    xmlNode *n = dev->node;
    if (dev->kind == MV_DOMAIN_DEVICE_CONTROLLER) {
        g_autofree char *type = mvXMLProp(n, "type");
        unsigned int idx;
        if (!type) {
            type = g_strdup("ide");
            mvXMLSetProp(n, "type", "ide");
        }
        if (!mvStrIn(type, STRL("ide", "fdc", "scsi", "sata", "virtio-serial", "ccid", "usb",
                                "pci", "xenbus", "isa"))) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "Unknown controller type '%s'", type);
            return -1;
        }
        if (mvXMLPropUInt(n, "index", 10, &idx) < 0)
            return -1;
        if (xmlHasProp(n, BAD_CAST "index") && idx > G_MAXINT) {
            mvReportError(MV_ERR_XML_ERROR, "Invalid controller index '%u'", idx);
            return -1;
        }
    } else if (dev->kind == MV_DOMAIN_DEVICE_VIDEO) {
        xmlNode *m = mvXMLChild(n, "model");
        if (m) {
            g_autofree char *type = mvXMLProp(m, "type");
            if (!type) {
                mvReportError(MV_ERR_XML_ERROR, "%s", "missing video model type");
                return -1;
            }
            if (strcmp(type, "none") != 0 && !xmlHasProp(m, BAD_CAST "heads"))
                mvXMLSetProp(m, "heads", "1");
        }
    } else if (dev->kind == MV_DOMAIN_DEVICE_HOSTDEV) {
        g_autofree char *mode = mvXMLProp(n, "mode");
        if (!mode)
            mvXMLSetProp(n, "mode", "subsystem");
    } else if (dev->kind == MV_DOMAIN_DEVICE_REDIRDEV) {
        g_autofree char *type = mvXMLProp(n, "type");
        if (type && strcmp(type, "tcp") == 0 && !mvXMLChild(n, "protocol"))
            mvXMLSetChildProp(n, "protocol", "type", "raw");
    }
    if (flags & MV_DOMAIN_DEF_PARSE_INACTIVE)
        mvDomainStripAlias(n);
    return 0;
}

/* ===================================================================== */
/* dispatch                                                               */
/* ===================================================================== */

mvDomainDeviceDef *
mvDomainDeviceParseNode(xmlNode *node, mvDomainDeviceKind kind, unsigned int flags)
{
    mvDomainDeviceDef *dev;
    int rc;

    switch (kind) {
    case MV_DOMAIN_DEVICE_DISK:
        dev = (mvDomainDeviceDef *)g_new0(mvDomainDiskDef, 1);
        break;
    case MV_DOMAIN_DEVICE_NET:
        dev = (mvDomainDeviceDef *)g_new0(mvDomainNetDef, 1);
        break;
    case MV_DOMAIN_DEVICE_GRAPHICS:
        dev = (mvDomainDeviceDef *)g_new0(mvDomainGraphicsDef, 1);
        break;
    case MV_DOMAIN_DEVICE_SERIAL:
    case MV_DOMAIN_DEVICE_PARALLEL:
    case MV_DOMAIN_DEVICE_CONSOLE:
    case MV_DOMAIN_DEVICE_CHANNEL:
        dev = (mvDomainDeviceDef *)g_new0(mvDomainChrDef, 1);
        break;
    default:
        dev = g_new0(mvDomainDeviceDef, 1);
        break;
    }
    dev->kind = kind;
    dev->node = node;

    switch (kind) {
    case MV_DOMAIN_DEVICE_DISK:
        rc = mvDomainDiskParse((mvDomainDiskDef *)dev, flags);
        break;
    case MV_DOMAIN_DEVICE_NET:
        rc = mvDomainNetParse((mvDomainNetDef *)dev, flags);
        break;
    case MV_DOMAIN_DEVICE_GRAPHICS:
        rc = mvDomainGraphicsParse((mvDomainGraphicsDef *)dev, flags);
        break;
    case MV_DOMAIN_DEVICE_SERIAL:
    case MV_DOMAIN_DEVICE_PARALLEL:
    case MV_DOMAIN_DEVICE_CONSOLE:
    case MV_DOMAIN_DEVICE_CHANNEL:
        rc = mvDomainChrParse((mvDomainChrDef *)dev, flags);
        break;
    default:
        rc = mvDomainGenericParse(dev, flags);
        break;
    }
    if (rc < 0) {
        mvDomainDeviceDefFree(dev);
        return NULL;
    }
    return dev;
}

xmlNode *
mvDomainDeviceFormatNode(const mvDomainDeviceDef *dev, xmlDoc *doc, unsigned int flags)
{
    xmlNode *n = xmlDocCopyNode(dev->node, doc, 1);
    if (!n)
        return NULL;
    switch (dev->kind) {
    case MV_DOMAIN_DEVICE_DISK:
        mvDomainDiskSync((const mvDomainDiskDef *)dev, n);
        break;
    case MV_DOMAIN_DEVICE_NET:
        mvDomainNetSync((const mvDomainNetDef *)dev, n, flags);
        break;
    case MV_DOMAIN_DEVICE_GRAPHICS:
        mvDomainGraphicsSync((const mvDomainGraphicsDef *)dev, n, flags);
        break;
    case MV_DOMAIN_DEVICE_SERIAL:
    case MV_DOMAIN_DEVICE_PARALLEL:
    case MV_DOMAIN_DEVICE_CONSOLE:
    case MV_DOMAIN_DEVICE_CHANNEL:
        mvDomainChrSync((const mvDomainChrDef *)dev, n, flags);
        break;
    default:
        break;
    }
    if (flags & MV_DOMAIN_XML_INACTIVE)
        mvDomainStripAlias(n);
    return n;
}

void
mvDomainDeviceFormatBuf(GString *buf, const mvDomainDeviceDef *dev, int level, unsigned int flags)
{
    const xmlNode *skip = NULL;
    xmlNode *n;

    switch (dev->kind) {
    case MV_DOMAIN_DEVICE_DISK:
    case MV_DOMAIN_DEVICE_NET:
    case MV_DOMAIN_DEVICE_GRAPHICS:
    case MV_DOMAIN_DEVICE_SERIAL:
    case MV_DOMAIN_DEVICE_PARALLEL:
    case MV_DOMAIN_DEVICE_CONSOLE:
    case MV_DOMAIN_DEVICE_CHANNEL:
        /* typed fields are written back into a scratch copy (outside the
         * definition's document, which formatting must not modify) */
        if (!(n = mvDomainDeviceFormatNode(dev, NULL, flags)))
            return;
        mvXMLFormatNode(buf, n, level, mvDomainOrderRules, NULL);
        xmlFreeNode(n);
        return;
    default:
        break;
    }
    /* generic kinds: the element as it is, minus the alias an inactive
     * view drops (what mvDomainStripAlias does to a copy) */
    if (flags & MV_DOMAIN_XML_INACTIVE) {
        xmlNode *a = mvXMLChild(dev->node, "alias");
        if (a) {
            g_autofree char *name = mvXMLProp(a, "name");
            if (!name || !g_str_has_prefix(name, "ua-"))
                skip = a;
        }
    }
    mvXMLFormatNodeSkip(buf, dev->node, level, mvDomainOrderRules, NULL, skip);
}

/* ===================================================================== */
/* lists                                                                  */
/* ===================================================================== */

mvDomainDeviceDef ***
mvDomainDefDeviceList(mvDomainDef *def, mvDomainDeviceKind kind, size_t **count)
{
    switch (kind) {
    case MV_DOMAIN_DEVICE_DISK:
        *count = &def->ndisks;
        return (mvDomainDeviceDef ***)&def->disks;
    case MV_DOMAIN_DEVICE_NET:
        *count = &def->nnets;
        return (mvDomainDeviceDef ***)&def->nets;
    case MV_DOMAIN_DEVICE_GRAPHICS:
        *count = &def->ngraphics;
        return (mvDomainDeviceDef ***)&def->graphics;
    case MV_DOMAIN_DEVICE_SERIAL:
        *count = &def->nserials;
        return (mvDomainDeviceDef ***)&def->serials;
    case MV_DOMAIN_DEVICE_PARALLEL:
        *count = &def->nparallels;
        return (mvDomainDeviceDef ***)&def->parallels;
    case MV_DOMAIN_DEVICE_CONSOLE:
        *count = &def->nconsoles;
        return (mvDomainDeviceDef ***)&def->consoles;
    case MV_DOMAIN_DEVICE_CHANNEL:
        *count = &def->nchannels;
        return (mvDomainDeviceDef ***)&def->channels;
    default:
        *count = &def->ndevs[kind];
        return &def->devs[kind];
    }
}

static void
mvDomainListInsert(mvDomainDeviceDef ***list, size_t *count, size_t at, mvDomainDeviceDef *dev)
{
    *list = g_renew(mvDomainDeviceDef *, *list, *count + 1);
    if (at < *count)
        memmove(&(*list)[at + 1], &(*list)[at], (*count - at) * sizeof(**list));
    (*list)[at] = dev;
    (*count)++;
}

void
mvDomainDefInsertDisk(mvDomainDef *def, mvDomainDiskDef *disk)
{
    size_t *count;
    mvDomainDeviceDef ***list = mvDomainDefDeviceList(def, MV_DOMAIN_DEVICE_DISK, &count);
    long insertAt = -1;
    int newIdx = mvDiskIndexFromSuffix(disk->dst);

    /* libvirt: after the last disk on the same bus, or before the first
     * disk on that bus with a higher target index */
    for (long i = (long)def->ndisks - 1; i >= 0; i--) {
        mvDomainDiskDef *d = def->disks[i];
        if (g_strcmp0(d->bus, disk->bus) != 0)
            continue;
        if (mvDiskIndexFromSuffix(d->dst) > newIdx)
            insertAt = i;
        else if (insertAt == -1)
            insertAt = i + 1;
    }
    if (insertAt < 0)
        insertAt = (long)def->ndisks;
    mvDomainListInsert(list, count, (size_t)insertAt, (mvDomainDeviceDef *)disk);
}

void
mvDomainDefAppendDevice(mvDomainDef *def, mvDomainDeviceDef *dev)
{
    size_t *count;
    mvDomainDeviceDef ***list;
    if (dev->kind == MV_DOMAIN_DEVICE_DISK) {
        mvDomainDefInsertDisk(def, (mvDomainDiskDef *)dev);
        return;
    }
    list = mvDomainDefDeviceList(def, dev->kind, &count);
    mvDomainListInsert(list, count, *count, dev);
}

/* ===================================================================== */
/* post-parse                                                             */
/* ===================================================================== */

static mvDomainDeviceDef *
mvDomainNewGeneric(mvDomainDef *def, mvDomainDeviceKind kind, const char *type)
{
    mvDomainDeviceDef *dev = g_new0(mvDomainDeviceDef, 1);
    dev->kind = kind;
    dev->node = xmlNewDocNode(def->doc, NULL, BAD_CAST mvDomainDeviceKindToString(kind), NULL);
    mvXMLSetProp(dev->node, "type", type);
    return dev;
}

static int
mvControllerIndex(const mvDomainDeviceDef *c)
{
    unsigned int idx;
    g_autofree char *s = mvXMLProp(c->node, "index");
    if (!s || mvStrToUInt(s, 10, &idx) < 0 || idx > G_MAXINT)
        return -1;
    return (int)idx;
}

static gboolean
mvControllerIs(const mvDomainDeviceDef *c, const char *type)
{
    g_autofree char *t = mvXMLProp(c->node, "type");
    return g_strcmp0(t, type) == 0;
}

static gboolean
mvDomainHasController(mvDomainDef *def, const char *type, int idx)
{
    size_t n = def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER];
    for (size_t i = 0; i < n; i++) {
        mvDomainDeviceDef *c = def->devs[MV_DOMAIN_DEVICE_CONTROLLER][i];
        if (mvControllerIs(c, type) && mvControllerIndex(c) == idx)
            return TRUE;
    }
    return FALSE;
}

static void
mvDomainEnsureController(mvDomainDef *def, const char *type, int maxIdx)
{
    for (int idx = 0; idx <= maxIdx && idx < 256; idx++) {
        char buf[16];
        mvDomainDeviceDef *c;
        if (mvDomainHasController(def, type, idx))
            continue;
        c = mvDomainNewGeneric(def, MV_DOMAIN_DEVICE_CONTROLLER, type);
        g_snprintf(buf, sizeof(buf), "%d", idx);
        mvXMLSetProp(c->node, "index", buf);
        mvDomainDefAppendDevice(def, c);
    }
}

static void
mvDomainAssignControllerIndexes(mvDomainDef *def)
{
    size_t n = def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER];
    mvDomainDeviceDef **list = def->devs[MV_DOMAIN_DEVICE_CONTROLLER];
    for (size_t i = 0; i < n; i++) {
        g_autofree char *type = NULL;
        g_autofree char *model = NULL;
        int idx = 0;
        char buf[16];
        if (xmlHasProp(list[i]->node, BAD_CAST "index"))
            continue;
        type = mvXMLProp(list[i]->node, "type");
        model = mvXMLProp(list[i]->node, "model");
        if (!(model && (strcmp(model, "pci-root") == 0 || strcmp(model, "pcie-root") == 0))) {
            while (mvDomainHasController(def, type, idx))
                idx++;
        }
        g_snprintf(buf, sizeof(buf), "%d", idx);
        mvXMLSetProp(list[i]->node, "index", buf);
    }
}

/* Group controllers by type (order of first appearance), by index inside. */
static void
mvDomainSortControllers(mvDomainDef *def)
{
    size_t n = def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER];
    mvDomainDeviceDef **list = def->devs[MV_DOMAIN_DEVICE_CONTROLLER];
    g_autofree mvDomainDeviceDef **out = g_new0(mvDomainDeviceDef *, n ? n : 1);
    g_autofree gboolean *done = g_new0(gboolean, n ? n : 1);
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        g_autofree char *type = NULL;
        if (done[i])
            continue;
        type = mvXMLProp(list[i]->node, "type");
        /* selection sort of this type's controllers by index (stable) */
        for (;;) {
            long best = -1;
            for (size_t j = i; j < n; j++) {
                if (done[j] || !mvControllerIs(list[j], type))
                    continue;
                if (best < 0 || mvControllerIndex(list[j]) < mvControllerIndex(list[best]))
                    best = (long)j;
            }
            if (best < 0)
                break;
            done[best] = TRUE;
            out[k++] = list[best];
        }
    }
    if (n)
        memcpy(list, out, n * sizeof(*list));
}

static void
mvDomainAssignDriveAddresses(mvDomainDef *def)
{
    for (size_t i = 0; i < def->ndisks; i++) {
        mvDomainDiskDef *d = def->disks[i];
        int idx = mvDiskNameToIndex(d->dst);
        int ctrl, bus = 0, unit;
        xmlNode *a;
        char buf[16];

        if (idx < 0 || mvXMLChild(d->dev.node, "address"))
            continue;
        if (strcmp(d->bus, "ide") == 0) {
            ctrl = idx / 4;
            bus = (idx % 4) / 2;
            unit = idx % 2;
        } else if (strcmp(d->bus, "scsi") == 0) {
            ctrl = idx / 7;
            unit = idx % 7;
        } else if (strcmp(d->bus, "sata") == 0) {
            ctrl = idx / 6;
            unit = idx % 6;
        } else if (strcmp(d->bus, "fdc") == 0) {
            ctrl = idx / 2;
            unit = idx % 2;
        } else {
            continue;
        }
        a = xmlNewChild(d->dev.node, NULL, BAD_CAST "address", NULL);
        mvXMLSetProp(a, "type", "drive");
        g_snprintf(buf, sizeof(buf), "%d", ctrl);
        mvXMLSetProp(a, "controller", buf);
        g_snprintf(buf, sizeof(buf), "%d", bus);
        mvXMLSetProp(a, "bus", buf);
        mvXMLSetProp(a, "target", "0");
        g_snprintf(buf, sizeof(buf), "%d", unit);
        mvXMLSetProp(a, "unit", buf);
    }
}

static void
mvDomainAddImplicitControllers(mvDomainDef *def)
{
    static const struct { const char *bus; const char *ctrl; } map[] = {
        { "scsi", "scsi" }, { "fdc", "fdc" }, { "ide", "ide" }, { "sata", "sata" },
    };
    for (size_t m = 0; m < G_N_ELEMENTS(map); m++) {
        int maxIdx = -1;
        for (size_t i = 0; i < def->ndisks; i++) {
            mvDomainDiskDef *d = def->disks[i];
            xmlNode *a;
            unsigned int c = 0;
            if (strcmp(d->bus, map[m].bus) != 0)
                continue;
            a = mvXMLChild(d->dev.node, "address");
            if (a) {
                g_autofree char *t = mvXMLProp(a, "type");
                if (g_strcmp0(t, "drive") == 0 && mvXMLPropUInt(a, "controller", 10, &c) < 0) {
                    mvErrorReset();
                    c = 0;
                }
            }
            if ((int)c > maxIdx)
                maxIdx = (int)MIN(c, 255u);
        }
        if (maxIdx >= 0)
            mvDomainEnsureController(def, map[m].ctrl, maxIdx);
    }

    {
        gboolean need = FALSE;
        for (size_t i = 0; i < def->nchannels; i++)
            if (g_strcmp0(def->channels[i]->targetType, "virtio") == 0)
                need = TRUE;
        for (size_t i = 0; i < def->nconsoles; i++)
            if (g_strcmp0(def->consoles[i]->targetType, "virtio") == 0)
                need = TRUE;
        if (need)
            mvDomainEnsureController(def, "virtio-serial", 0);
    }
    if (def->ndevs[MV_DOMAIN_DEVICE_SMARTCARD] > 0)
        mvDomainEnsureController(def, "ccid", 0);
}

static mvDomainChrDef *
mvDomainChrNew(mvDomainDef *def, mvDomainDeviceKind kind, const mvDomainChrDef *from)
{
    mvDomainChrDef *c = g_new0(mvDomainChrDef, 1);
    xmlNode *src;
    c->dev.kind = kind;
    c->dev.node = xmlNewDocNode(def->doc, NULL, BAD_CAST mvDomainDeviceKindToString(kind), NULL);
    c->type = g_strdup(from->type);
    c->sourcePath = g_strdup(from->sourcePath);
    c->targetPort = -1;
    /* carry <source> (host/service/mode ...) and <protocol> over */
    if ((src = mvXMLChild(from->dev.node, "source")))
        xmlAddChild(c->dev.node, xmlDocCopyNode(src, def->doc, 1));
    if ((src = mvXMLChild(from->dev.node, "protocol")))
        xmlAddChild(c->dev.node, xmlDocCopyNode(src, def->doc, 1));
    return c;
}

static void
mvDomainChrCopySource(mvDomainDef *def, mvDomainChrDef *dst, const mvDomainChrDef *from)
{
    xmlNode *src;
    g_free(dst->type);
    dst->type = g_strdup(from->type);
    g_free(dst->sourcePath);
    dst->sourcePath = g_strdup(from->sourcePath);
    mvXMLRemoveChildren(dst->dev.node, "source");
    mvXMLRemoveChildren(dst->dev.node, "protocol");
    if ((src = mvXMLChild(from->dev.node, "source")))
        xmlAddChild(dst->dev.node, xmlDocCopyNode(src, def->doc, 1));
    if ((src = mvXMLChild(from->dev.node, "protocol")))
        xmlAddChild(dst->dev.node, xmlDocCopyNode(src, def->doc, 1));
}

static void
mvDomainConsoleCompat(mvDomainDef *def, gboolean hvm)
{
    /* serial target ports */
    for (size_t i = 0; i < def->nserials; i++) {
        if (def->serials[i]->targetPort < 0) {
            int port = 0;
            gboolean used;
            do {
                used = FALSE;
                for (size_t j = 0; j < def->nserials; j++)
                    if (def->serials[j]->targetPort == port)
                        used = TRUE;
                if (used)
                    port++;
            } while (used);
            def->serials[i]->targetPort = port;
        }
    }
    for (size_t i = 0; i < def->nparallels; i++)
        if (def->parallels[i]->targetPort < 0)
            def->parallels[i]->targetPort = (int)i;

    if (!hvm)
        goto consoles;

    if (def->nconsoles > 0 &&
        (!def->consoles[0]->targetType || strcmp(def->consoles[0]->targetType, "serial") == 0)) {
        mvDomainChrDef *con = def->consoles[0];
        if (def->nserials == 0) {
            mvDomainChrDef *ser = mvDomainChrNew(def, MV_DOMAIN_DEVICE_SERIAL, con);
            ser->targetPort = 0;
            mvDomainDefAppendDevice(def, (mvDomainDeviceDef *)ser);
        } else {
            mvDomainChrCopySource(def, con, def->serials[0]);
        }
        g_free(con->targetType);
        con->targetType = g_strdup("serial");
        con->targetPort = def->serials[0]->targetPort;
    } else if (def->nserials > 0) {
        mvDomainChrDef *con = mvDomainChrNew(def, MV_DOMAIN_DEVICE_CONSOLE, def->serials[0]);
        size_t *count;
        mvDomainDeviceDef ***list = mvDomainDefDeviceList(def, MV_DOMAIN_DEVICE_CONSOLE, &count);
        con->targetType = g_strdup("serial");
        con->targetPort = def->serials[0]->targetPort;
        mvDomainListInsert(list, count, 0, (mvDomainDeviceDef *)con);
    }

 consoles:
    for (size_t i = 0; i < def->nconsoles; i++) {
        mvDomainChrDef *con = def->consoles[i];
        if (!con->targetType)
            con->targetType = g_strdup(hvm ? "serial" : "virtio");
        if (con->targetPort < 0)
            con->targetPort = 0;
    }
}

int
mvDomainDefPostParseDevices(mvDomainDef *def, unsigned int flags G_GNUC_UNUSED)
{
    gboolean hvm = def->osType && strcmp(def->osType, "hvm") == 0;

    mvDomainAssignDriveAddresses(def);
    mvDomainConsoleCompat(def, hvm);
    mvDomainAssignControllerIndexes(def);
    mvDomainAddImplicitControllers(def);
    mvDomainSortControllers(def);

    /* smartcards sit on the ccid bus, one slot each */
    for (size_t i = 0; i < def->ndevs[MV_DOMAIN_DEVICE_SMARTCARD]; i++) {
        xmlNode *sc = def->devs[MV_DOMAIN_DEVICE_SMARTCARD][i]->node;
        xmlNode *a;
        char buf[16];
        if (mvXMLChild(sc, "address"))
            continue;
        a = xmlNewChild(sc, NULL, BAD_CAST "address", NULL);
        mvXMLSetProp(a, "type", "ccid");
        mvXMLSetProp(a, "controller", "0");
        g_snprintf(buf, sizeof(buf), "%zu", i);
        mvXMLSetProp(a, "slot", buf);
    }

    /* the first video is the primary one */
    if (def->ndevs[MV_DOMAIN_DEVICE_VIDEO] > 0) {
        xmlNode *m = mvXMLChild(def->devs[MV_DOMAIN_DEVICE_VIDEO][0]->node, "model");
        g_autofree char *type = mvXMLProp(m, "type");
        if (m && g_strcmp0(type, "none") != 0)
            mvXMLSetProp(m, "primary", "yes");
        for (size_t i = 1; i < def->ndevs[MV_DOMAIN_DEVICE_VIDEO]; i++) {
            xmlNode *mi = mvXMLChild(def->devs[MV_DOMAIN_DEVICE_VIDEO][i]->node, "model");
            g_autofree char *p = mvXMLProp(mi, "primary");
            if (p && strcmp(p, "yes") == 0) {
                mvReportError(MV_ERR_XML_ERROR, "%s", "Only the first video device can be primary");
                return -1;
            }
        }
    }
    return 0;
}

/* ===================================================================== */
/* validation                                                             */
/* ===================================================================== */

static unsigned int
mvNodeBootOrder(const xmlNode *n)
{
    unsigned int order = 0;
    xmlNode *b = mvXMLChild(n, "boot");
    if (b && mvXMLPropUInt(b, "order", 10, &order) <= 0) {
        mvErrorReset();
        return 0;
    }
    return order;
}

int
mvDomainDefValidateDevices(const mvDomainDef *def)
{
    g_autoptr(GHashTable) boots = g_hash_table_new(g_direct_hash, g_direct_equal);

    for (size_t i = 0; i < def->ndisks; i++) {
        for (size_t j = i + 1; j < def->ndisks; j++) {
            if (g_strcmp0(def->disks[i]->dst, def->disks[j]->dst) == 0) {
                mvReportError(MV_ERR_XML_ERROR,
                              "target '%s' duplicated for disk sources '%s' and '%s'",
                              def->disks[i]->dst,
                              def->disks[i]->src ? def->disks[i]->src : "<null>",
                              def->disks[j]->src ? def->disks[j]->src : "<null>");
                return -1;
            }
        }
    }
    for (size_t i = 0; i < def->nnets; i++) {
        unsigned char mac[6];
        if (mvMacAddrParse(def->nets[i]->mac, mac) < 0) {
            mvReportError(MV_ERR_XML_ERROR, "unable to parse mac address '%s'", def->nets[i]->mac);
            return -1;
        }
        if (mac[0] & 1) {
            mvReportError(MV_ERR_XML_ERROR, "expected unicast mac address, found multicast '%s'",
                          def->nets[i]->mac);
            return -1;
        }
    }

    for (int k = 0; k < MV_DOMAIN_DEVICE_LAST; k++) {
        size_t *count;
        mvDomainDeviceDef ***list = mvDomainDefDeviceList((mvDomainDef *)def, k, &count);
        for (size_t i = 0; i < *count; i++) {
            mvDomainDeviceDef *dev = (*list)[i];
            unsigned int order;
            if (dev->kind == MV_DOMAIN_DEVICE_DISK)
                order = ((mvDomainDiskDef *)dev)->bootIndex;
            else if (dev->kind == MV_DOMAIN_DEVICE_NET)
                order = ((mvDomainNetDef *)dev)->bootIndex;
            else
                order = mvNodeBootOrder(dev->node);
            if (!order)
                continue;
            if (g_hash_table_contains(boots, GUINT_TO_POINTER(order))) {
                mvReportError(MV_ERR_XML_ERROR, "boot order '%u' used for more than one device",
                              order);
                return -1;
            }
            g_hash_table_add(boots, GUINT_TO_POINTER(order));
        }
    }
    return 0;
}

gboolean
mvDomainDefHasDeviceBoot(const mvDomainDef *def)
{
    for (int k = 0; k < MV_DOMAIN_DEVICE_LAST; k++) {
        size_t *count;
        mvDomainDeviceDef ***list = mvDomainDefDeviceList((mvDomainDef *)def, k, &count);
        for (size_t i = 0; i < *count; i++) {
            mvDomainDeviceDef *dev = (*list)[i];
            if (dev->kind == MV_DOMAIN_DEVICE_DISK && ((mvDomainDiskDef *)dev)->bootIndex)
                return TRUE;
            if (dev->kind == MV_DOMAIN_DEVICE_NET && ((mvDomainNetDef *)dev)->bootIndex)
                return TRUE;
            if (mvXMLChild(dev->node, "boot"))
                return TRUE;
        }
    }
    return FALSE;
}
