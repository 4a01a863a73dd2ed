/* The QEMU driver's view of a freshly parsed domain definition: what
 * libvirt 9.0's qemu driver fills in when a domain is defined, so that
 * `virsh dumpxml` right after `virsh define` prints the same XML.
 *
 *  - emulator, arch, machine (aliases canonicalised, default machine)
 *  - default CPU model (qemu64) and CPU check/migratable defaults
 *  - implicit devices: USB controller, SATA (q35), pci-root / pcie-root,
 *    ps2 mouse + keyboard, virtio memballoon, video for graphics, audio
 *  - device defaults: disk driver, net model, serial target/model, video
 *    RAM, USB/SCSI controller models, watchdog action, panic model
 *  - addresses: PCI (libvirt's two-pass algorithm, auto-added
 *    pcie-root-ports / pcie-to-pci-bridge / pci-bridge), USB ports,
 *    virtio-serial ports
 *  - the define-time errors libvirt reports (unknown machine, KVM not
 *    available, double use of a PCI address ...). */
#pragma once
#include "xml/domain_conf.h"
#include "util/qemucaps.h"

/* Apply the post-parse to @def (from mvDomainDefParseString) using the
 * capabilities of the emulator that will run it.  The caller picks @caps
 * (see qemuDefinePostParseProbe); a missing <emulator> becomes
 * caps->binary and a missing arch caps->arch.  Idempotent: running it on
 * its own output changes nothing.  0 / -1 + error (libvirt's wording). */
int qemuDefinePostParse(mvDomainDef *def, const mvQemuCaps *caps);

/* The define path: resolve the emulator (<emulator>, else the one for the
 * arch, the host arch by default), probe it (mvQemuCapsGet) and run
 * qemuDefinePostParse.  0 / -1 + error. */
int qemuDefinePostParseProbe(mvDomainDef *def);

/* The libvirt arch name of the host ("x86_64"). Static string. */
const char *qemuPostParseHostArch(void);
