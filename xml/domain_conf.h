/* Domain XML: typed model, parse, format, validation, metadata.
 *
 * Model: what the drivers use is typed (name, uuid, memory, vcpus, os, disks,
 * interfaces, graphics, character devices ...).  Everything else is kept as
 * the parsed element subtree (owned xmlNodes, moved out of the parsed
 * document, which becomes def->doc, or copied into it) and re-emitted in
 * libvirt's canonical element and attribute order, so that
 * format(parse(x)) is a fixed point.
 *
 * Devices: every device is an mvDomainDeviceDef { kind, node }.  The typed
 * device structs below embed it first; their typed fields are authoritative
 * when formatting (a driver may change disk->src or graphics->port and the
 * output follows), the rest of the element comes from ->node.
 * To change something that is not typed use the node helpers of
 * xml/xmlutil.h (mvXMLSetChildProp ...) on dev->node. */
#pragma once
#include <glib.h>
#include <libxml/tree.h>
#include "util/uuid.h"

#define MV_DOMAIN_QEMU_NS "http://libvirt.org/schemas/domain/qemu/1.0"
/* Upper bound on <vcpu> (libvirt 9.0 crashes on huge values; we refuse). */
#define MV_DOMAIN_MAX_VCPUS 16384

typedef enum {
    MV_DOMAIN_DEF_PARSE_INACTIVE = 1 << 0,  /* drop runtime-only data (alias, ports, pty paths, id) */
    MV_DOMAIN_DEF_PARSE_LIVE     = 1 << 1,  /* status XML: keep runtime data and id='N' */
} mvDomainDefParseFlags;

/* libvirt's virDomainXMLFlags values. */
typedef enum {
    MV_DOMAIN_XML_SECURE      = 1 << 0,   /* include passwords */
    MV_DOMAIN_XML_INACTIVE    = 1 << 1,   /* persistent config view */
    MV_DOMAIN_XML_UPDATE_CPU  = 1 << 2,
    MV_DOMAIN_XML_MIGRATABLE  = 1 << 3,
} mvDomainXMLFlags;

typedef enum {
    MV_DOMAIN_METADATA_DESCRIPTION = 0,
    MV_DOMAIN_METADATA_TITLE = 1,
    MV_DOMAIN_METADATA_ELEMENT = 2,
    MV_DOMAIN_METADATA_LAST
} mvDomainMetadataType;

/* Device kinds, in the order libvirt prints them inside <devices>. */
typedef enum {
    MV_DOMAIN_DEVICE_DISK = 0,
    MV_DOMAIN_DEVICE_CONTROLLER,
    MV_DOMAIN_DEVICE_LEASE,
    MV_DOMAIN_DEVICE_FS,
    MV_DOMAIN_DEVICE_NET,
    MV_DOMAIN_DEVICE_SMARTCARD,
    MV_DOMAIN_DEVICE_SERIAL,
    MV_DOMAIN_DEVICE_PARALLEL,
    MV_DOMAIN_DEVICE_CONSOLE,
    MV_DOMAIN_DEVICE_CHANNEL,
    MV_DOMAIN_DEVICE_INPUT,
    MV_DOMAIN_DEVICE_TPM,
    MV_DOMAIN_DEVICE_GRAPHICS,
    MV_DOMAIN_DEVICE_SOUND,
    MV_DOMAIN_DEVICE_AUDIO,
    MV_DOMAIN_DEVICE_VIDEO,
    MV_DOMAIN_DEVICE_HOSTDEV,
    MV_DOMAIN_DEVICE_REDIRDEV,
    MV_DOMAIN_DEVICE_REDIRFILTER,
    MV_DOMAIN_DEVICE_HUB,
    MV_DOMAIN_DEVICE_WATCHDOG,
    MV_DOMAIN_DEVICE_MEMBALLOON,
    MV_DOMAIN_DEVICE_RNG,
    MV_DOMAIN_DEVICE_NVRAM,
    MV_DOMAIN_DEVICE_PANIC,
    MV_DOMAIN_DEVICE_SHMEM,
    MV_DOMAIN_DEVICE_MEMORY,
    MV_DOMAIN_DEVICE_IOMMU,
    MV_DOMAIN_DEVICE_VSOCK,
    MV_DOMAIN_DEVICE_CRYPTO,
    MV_DOMAIN_DEVICE_LAST
} mvDomainDeviceKind;

/* Element name of a kind ("disk", "interface", ...) / reverse (-1). */
const char *mvDomainDeviceKindToString(mvDomainDeviceKind kind);
int mvDomainDeviceKindFromString(const char *name);

typedef struct _mvDomainDeviceDef {
    mvDomainDeviceKind kind;
    xmlNode *node;            /* the whole element, owned (detached, in the def's doc) */
} mvDomainDeviceDef;

typedef struct _mvDomainDiskDef {
    mvDomainDeviceDef dev;
    char *type;          /* file block dir network volume nvme vhostuser */
    char *device;        /* disk cdrom floppy lun */
    char *driverName;    /* <driver name> (qemu) */
    char *driverType;    /* <driver type> (raw, qcow2) */
    char *src;           /* file path / block dev / dir / network name / volume name; NULL = empty */
    char *srcPool;       /* type='volume': pool */
    char *srcProtocol;   /* type='network': protocol */
    char *dst;           /* <target dev> */
    char *bus;           /* <target bus> (inferred from dst when absent) */
    gboolean readonly;
    gboolean shareable;
    char *serial;
    unsigned int bootIndex;   /* <boot order>, 0 = none */
} mvDomainDiskDef;

typedef struct _mvDomainNetDef {
    mvDomainDeviceDef dev;
    char *type;          /* network bridge direct user ethernet vhostuser server client mcast udp hostdev vdpa ... */
    char *source;        /* network name / bridge / dev / vhostuser path; NULL for user/ethernet */
    char *sourceMode;    /* direct: vepa/bridge/private/passthrough; vhostuser: server/client */
    char *portgroup;
    char mac[18];        /* "52:54:00:xx:xx:xx", always set after parse */
    char *model;         /* <model type> */
    char *ifname;        /* <target dev> */
    char *alias;         /* <alias name> */
    unsigned int bootIndex;
} mvDomainNetDef;

typedef struct _mvDomainGraphicsDef {
    mvDomainDeviceDef dev;
    char *type;          /* vnc spice sdl rdp desktop egl-headless dbus */
    int port;            /* -1 = auto (vnc) / 0 = unset */
    int tlsPort;         /* spice */
    int websocket;
    gboolean autoport;
    char *listen;        /* first <listen type='address'> address, mirrored to the listen attribute */
    char *socket;        /* vnc unix socket */
    char *passwd;        /* printed only with MV_DOMAIN_XML_SECURE */
} mvDomainGraphicsDef;

/* serial, parallel, console, channel */
typedef struct _mvDomainChrDef {
    mvDomainDeviceDef dev;
    char *type;          /* pty file unix tcp udp dev pipe null vc stdio spicevmc spiceport qemu-vdagent */
    char *sourcePath;    /* <source path> (pty: assigned pty when running) */
    char *targetType;    /* serial: isa-serial ...; console: serial virtio; channel: virtio guestfwd xen */
    char *targetName;    /* channel virtio name */
    int targetPort;      /* -1 = none */
} mvDomainChrDef;

typedef struct _mvDomainDef {
    int id;                      /* -1 when inactive */
    char *virtType;              /* <domain type>: kvm qemu ... */
    char *name;
    unsigned char uuid[MV_UUID_BUFLEN];
    char *genid;                 /* NULL = none */
    char *title;
    char *description;
    xmlNode *metadata;           /* <metadata> element or NULL, one child per namespace */

    unsigned long long memoryKiB;        /* <memory> */
    unsigned long long currentMemoryKiB; /* <currentMemory> (<= memoryKiB) */
    unsigned long long maxMemoryKiB;     /* <maxMemory>, 0 = none */
    unsigned int maxMemorySlots;
    char *memoryDumpCore;                /* <memory dumpCore> on/off or NULL */

    unsigned int vcpusMax;               /* <vcpu> */
    unsigned int vcpusCurrent;           /* current= (== vcpusMax when absent) */
    char *vcpuPlacement;                 /* static / auto */
    char *vcpuCpuset;                    /* normalized, NULL = none */

    char *osType;                        /* hvm, xen, linux, exe ... */
    char *osArch;
    char *osMachine;
    xmlNode *os;                         /* the <os> element (other children kept here) */

    char *onPoweroff, *onReboot, *onCrash;

    char *emulator;

    size_t ndisks;     mvDomainDiskDef **disks;
    size_t nnets;      mvDomainNetDef **nets;
    size_t ngraphics;  mvDomainGraphicsDef **graphics;
    size_t nserials;   mvDomainChrDef **serials;
    size_t nparallels; mvDomainChrDef **parallels;
    size_t nconsoles;  mvDomainChrDef **consoles;
    size_t nchannels;  mvDomainChrDef **channels;
    /* every other kind (controller, input, video, ...), indexed by kind;
     * the typed kinds above have ndevs[kind] == 0. */
    size_t ndevs[MV_DOMAIN_DEVICE_LAST];
    mvDomainDeviceDef **devs[MV_DOMAIN_DEVICE_LAST];

    /* other top-level elements kept verbatim (features, cpu, clock, pm,
     * memoryBacking, cputune, numatune, seclabel, qemu:commandline ...) */
    GPtrArray *extra;                    /* xmlNode* */

    /* owns every xmlNode above.  Its name dictionary sits over one shared
     * read-only dictionary of domain XML names: node names may be owned by
     * either, so move nodes to another document only by copying them
     * (xmlDocCopyNode), never by relinking. */
    xmlDoc *doc;
} mvDomainDef;

mvDomainDef *mvDomainDefNew(void);
void mvDomainDefFree(mvDomainDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvDomainDef, mvDomainDefFree)

/* Parse, fill defaults (uuid, mac, currentMemory, controllers, console ...),
 * validate.  NULL + error (libvirt's codes and wording). */
mvDomainDef *mvDomainDefParseString(const char *xml, unsigned int parseFlags);
/* Same from an already parsed <domain> element. */
mvDomainDef *mvDomainDefParseNode(xmlNode *root, unsigned int parseFlags);

/* Canonical XML (libvirt's dumpxml layout).  @formatFlags: mvDomainXMLFlags.
 * The root has id='N' when def->id >= 0 and not INACTIVE. */
char *mvDomainDefFormat(const mvDomainDef *def, unsigned int formatFlags);

/* Deep copy (runtime data included). */
mvDomainDef *mvDomainDefCopy(const mvDomainDef *def);

/* Re-run validation (after a driver changed typed fields). 0 / -1 + error. */
int mvDomainDefValidate(const mvDomainDef *def);

/* virDomainSetMetadata semantics: @type mvDomainMetadataType; @metadata NULL
 * (or "" for title/description) removes; for ELEMENT @key is the namespace
 * prefix and @uri the namespace (both required), an existing element of the
 * same namespace is replaced. 0 / -1 + error. */
int mvDomainDefSetMetadata(mvDomainDef *def, int type, const char *metadata,
                           const char *key, const char *uri);
/* NULL + MV_ERR_NO_DOMAIN_METADATA when absent.  ELEMENT: the element
 * without its namespace prefix, as libvirt returns it. */
char *mvDomainDefGetMetadata(const mvDomainDef *def, int type, const char *uri);

/* Not empty, not "." or "..", no '/', no control characters. */
gboolean mvDomainNameIsValid(const char *name);
/* Like the above but reports libvirt-style errors. 0 / -1. */
int mvDomainNameCheck(const char *name);

/* MAC helpers: parse "xx:xx:xx:xx:xx:xx" (case-insensitive) into 6 bytes;
 * format lowercase; generate 52:54:00:xx:xx:xx. */
int mvMacAddrParse(const char *str, unsigned char mac[6]);
void mvMacAddrFormat(const unsigned char mac[6], char out[18]);
void mvMacAddrGenerate(char out[18]);

/* "sda" -> 0, "vdb" -> 1, "hdaa" -> 26; -1 when not a disk name. */
int mvDiskNameToIndex(const char *name);

/* Lookups (NULL when absent). */
mvDomainDiskDef *mvDomainDefFindDisk(const mvDomainDef *def, const char *dstOrSrc);
mvDomainNetDef *mvDomainDefFindNet(const mvDomainDef *def, const char *macOrIfname);

/* Devices for hotplug: parse one device element (<disk>, <interface>, ...)
 * in the context of @def (defaults, validation against existing targets).
 * Returns a typed device (cast per dev->kind) or NULL + error. */
mvDomainDeviceDef *mvDomainDeviceDefParseString(const char *xml, const mvDomainDef *def,
                                                unsigned int parseFlags);
void mvDomainDeviceDefFree(mvDomainDeviceDef *dev);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvDomainDeviceDef, mvDomainDeviceDefFree)
/* Format one device element at indentation 0. */
char *mvDomainDeviceDefFormat(const mvDomainDeviceDef *dev, unsigned int formatFlags);
/* Add @dev (ownership taken on success) / remove and return the device
 * matching @match (same kind; disk by target, interface by mac, others by
 * equal XML).  -1 / NULL + error. */
int mvDomainDefAddDevice(mvDomainDef *def, mvDomainDeviceDef *dev);
mvDomainDeviceDef *mvDomainDefRemoveDevice(mvDomainDef *def, const mvDomainDeviceDef *match);
