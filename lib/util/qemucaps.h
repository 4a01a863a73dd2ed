/* What a QEMU system emulator offers, probed once over QMP and cached in
 * memory (keyed by binary path, refreshed when the binary's mtime changes).
 * Feeds the capabilities and domain capabilities XML. */
#pragma once
#include <glib.h>

typedef struct mvQemuMachine {
    char *name;            /* "pc-i440fx-7.2" */
    char *alias;           /* "pc" or NULL */
    gboolean isDefault;
    gboolean deprecated;
    int maxCpus;           /* 0 = unknown */
} mvQemuMachine;

typedef struct mvQemuCPUModel {
    char *name;
    gboolean usable;
    gboolean deprecated;
} mvQemuCPUModel;

typedef struct mvQemuCaps {
    char *binary;
    char *arch;            /* libvirt arch name: "x86_64", "i686", "aarch64" … */
    unsigned int version;  /* major * 1000000 + minor * 1000 + micro */
    gboolean kvmSupported; /* /dev/kvm usable by this binary */
    GPtrArray *machines;   /* mvQemuMachine*, QEMU's order, "none" left out */
    GPtrArray *cpuModelsKVM;  /* mvQemuCPUModel*, empty without KVM */
    GPtrArray *cpuModelsTCG;  /* mvQemuCPUModel* */
    GHashTable *types;     /* QOM type names (set) */
    gint64 mtime;          /* of the binary when probed */
} mvQemuCaps;

/* Probe (or return the cached result for) @binary.  The result is shared and
 * immutable: release it with mvQemuCapsUnref.  NULL + error
 * (MV_ERR_INTERNAL_ERROR "Failed to probe capabilities for %s: …") on failure. */
mvQemuCaps *mvQemuCapsGet(const char *binary);
mvQemuCaps *mvQemuCapsRef(mvQemuCaps *caps);
void mvQemuCapsUnref(mvQemuCaps *caps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvQemuCaps, mvQemuCapsUnref)

/* Drop every cached result (tests, SIGHUP). */
void mvQemuCapsCacheClear(void);

/* Installed system emulators: DIR/qemu-system-* for DIR = $MODVIRT_QEMU_BINDIR
 * or /usr/bin (plain files only, "-microvm" style variants skipped), sorted by
 * libvirt arch name.  Returns a NULL-terminated array of paths (g_strfreev). */
char **mvQemuCapsFindEmulators(void);

/* libvirt arch name for a qemu-system-* suffix ("i386" → "i686") and back;
 * NULL when unknown.  Static strings. */
const char *mvQemuCapsArchFromTarget(const char *target);
const char *mvQemuCapsTargetFromArch(const char *arch);
/* Word size of a libvirt arch name (32/64), 0 when unknown. */
int mvQemuCapsArchWordSize(const char *arch);
/* The emulator serving @arch, or NULL (no error set). */
char *mvQemuCapsFindEmulatorForArch(const char *arch);

/* The machine entry named @name (canonical or alias), or NULL. */
const mvQemuMachine *mvQemuCapsFindMachine(const mvQemuCaps *caps, const char *name);
/* The default machine (canonical name), or the first one; NULL when none. */
const mvQemuMachine *mvQemuCapsDefaultMachine(const mvQemuCaps *caps);
gboolean mvQemuCapsHasType(const mvQemuCaps *caps, const char *type);
/* TRUE when /dev/kvm can be opened read-write. */
gboolean mvQemuCapsKVMUsable(void);
