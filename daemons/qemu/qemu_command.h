/* Domain XML -> QEMU command line, the way libvirt 9.0 builds it for
 * QEMU 7.2 (-blockdev, JSON -device/-netdev/-object, -accel).
 *
 * Typical use by the driver when starting a guest:
 *
 *     qemuDomainPrepareForStart(def, caps, &params);   // qemuDefinePostParse (defaults,
 *                                                      // addresses), aliases, paths,
 *                                                      // autoport VNC/SPICE ports
 *     qemuDomainCreateNVRAM(def);                      // UEFI vars from the template
 *     argv = qemuBuildCommandLine(def, caps, &params);
 *     envp = qemuBuildCommandEnv(def, &params);
 *     ... at stop: qemuDomainReleaseGraphicsPorts(def);
 *
 * qemuBuildCommandLine never modifies @def: it works on a private copy on
 * which it runs qemuDomainPrepareForStart itself, so it is also what
 * `virsh domxml-to-native` uses on an inactive definition.  Running the
 * preparation on the real def first only makes the live XML show the same
 * addresses/aliases the command line uses (the assignment is deterministic
 * and honours what is already there). */
#pragma once
#include <glib.h>
#include "xml/domain_conf.h"
#include "util/qemucaps.h"

typedef struct qemuCommandParams {
    const char *emulator;      /* def->emulator or the one for the arch */
    const char *monitorPath;   /* QMP socket (-chardev socket,id=charmonitor,path=...,server=on,wait=off) */
    const char *libDir;        /* per-domain dir (nvram copies, agent sockets): .../domain-ID-NAME */
    gboolean kvm;              /* -accel kvm (def->virtType "kvm") vs tcg */
    int id;                    /* domain id */
    GHashTable *tapFds;        /* GINT_TO_POINTER(iface index) -> GINT_TO_POINTER(fd) for
                                * bridge/network/ethernet/direct interfaces; NULL or missing
                                * entry: ifname= + script=no,downscript=no */
} qemuCommandParams;

/* Device aliases libvirt assigns (virtio-disk0, sata0-0-0, net0, serial0,
 * console0/serial0, channel0, input0, video0, sound0, hostdev0, rng0,
 * balloon0, watchdog0, tpm0, usb, pci.N, scsi0, virtio-serial0 ...) as
 * <alias name=.../> (user "ua-" aliases are kept).  0 / -1 + error. */
int qemuAssignDeviceAliases(mvDomainDef *def);

/* Paths chosen at start: unix channels without a path get
 * LIBDIR/<target name> (or LIBDIR/channelN.sock); VNC/SPICE listen type
 * 'socket' without path get LIBDIR/vnc.sock / spice.sock. */
int qemuDomainPrepareChardevPaths(mvDomainDef *def, const char *libDir);

/* qemuDefinePostParse (qemu_postparse.h: the define-time defaults,
 * implicit devices and PCI/USB/virtio-serial addresses), <os
 * firmware='efi'> loader/nvram selection, the above in order, and
 * qemuDomainAllocateGraphicsPorts.  @caps is required.  Idempotent
 * (ports already set are kept).  0 / -1 + error. */
int qemuDomainPrepareForStart(mvDomainDef *def, const mvQemuCaps *caps,
                              const qemuCommandParams *params);

/* argv (NULL-terminated, g_strfreev) for execve, or NULL + error
 * (MV_ERR_CONFIG_UNSUPPORTED with libvirt's wording for configurations
 * QEMU/this builder cannot do).  Never emits a device model, machine or CPU
 * model the probed @caps lack. */
char **qemuBuildCommandLine(const mvDomainDef *def, const mvQemuCaps *caps,
                            const qemuCommandParams *params);

/* The environment libvirt gives QEMU: LC_ALL=C, PATH, HOME=libDir, USER,
 * LOGNAME, XDG_{DATA,CACHE,CONFIG}_HOME under libDir.  g_strfreev. */
char **qemuBuildCommandEnv(const mvDomainDef *def, const qemuCommandParams *params);

/* Shell-quoted rendering as in libvirt's domain log and
 * domxml-to-native: "LC_ALL=C \\\nPATH=... \\\n/usr/bin/qemu-system-x86_64 \\\n-name ..."
 * (@multiline) or everything on one line separated by spaces.
 * qemuBuildCommandLineString uses the prefix LC_ALL=C and PATH only;
 * ...Env prints @envp (may be NULL) instead. */
char *qemuBuildCommandLineString(char *const *argv, gboolean multiline);
char *qemuBuildCommandLineStringEnv(char *const *envp, char *const *argv, gboolean multiline);

/* Alias of a device as assigned (the <alias name>), or NULL. */
char *qemuDeviceGetAlias(const mvDomainDeviceDef *dev);
/* Chardev id of a serial/console/channel/parallel ("charserial0",
 * "charchannel0"; a serial-compat console shares its serial's chardev),
 * the name QEMU reports in query-chardev.  NULL when no alias is
 * assigned yet (call qemuAssignDeviceAliases first). */
char *qemuChardevAlias(const mvDomainDef *def, const mvDomainChrDef *chr);

/* VNC/SPICE ports: the lowest free TCP port >= 5900 (not held by another
 * guest of this process, and bindable right now); -1 + error when none.
 * Release returns it to the pool (ports < 5900 ignored). */
int qemuGraphicsAllocatePort(void);
void qemuGraphicsReleasePort(int port);
/* Allocate ports for autoport VNC/SPICE graphics whose port is unset
 * (port <= 0); sets g->port (and tlsPort for SPICE when tls is wanted). */
int qemuDomainAllocateGraphicsPorts(mvDomainDef *def);
/* Release what qemuDomainAllocateGraphicsPorts took (autoport only). */
void qemuDomainReleaseGraphicsPorts(mvDomainDef *def);

/* Copy <nvram template=...> to the <nvram> path when that file does not
 * exist yet (before starting a UEFI guest).  0 / -1 + error. */
int qemuDomainCreateNVRAM(const mvDomainDef *def);

/* Property builders shared with device hotplug (qemu_hotplug.c). */

/* The two -blockdev nodes of a disk with a source, as JSON objects in
 * libvirt's property order: props[0] the protocol node
 * "libvirt-N-storage", props[1] the format node "libvirt-N-format" on top
 * of it (N = @nodeIndex).  g_free both.  -1 + error (props NULL) for a
 * source type or format this driver cannot open. */
int qemuBuildDiskBlockdevProps(const mvDomainDiskDef *d, size_t nodeIndex, char *props[2]);

/* <driver cache='...'> -> blockdev "cache" {direct, no-flush} and the
 * device's write-cache ("on"/"off"); FALSE (all unset) when @cache is NULL
 * or not a known mode. */
gboolean qemuDiskCacheProps(const char *cache, gboolean *direct, gboolean *noflush,
                            const char **writeCache);

/* QEMU device of an <interface> <model type>: virtio-net-pci for virtio /
 * no model, the -transitional variants, else the model name itself. */
const char *qemuNetDeviceDriver(const char *model);
