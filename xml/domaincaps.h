/* The domain capabilities document (virConnectGetDomainCapabilities) of the
 * QEMU driver: what a guest of one emulator/arch/machine/virt type may use. */
#pragma once
#include <glib.h>

/* Every argument may be NULL: the emulator defaults to the one serving @arch
 * (or the host arch), the machine to the emulator's default, the virt type to
 * "kvm" when KVM is usable and "qemu" otherwise.  Errors like libvirt's:
 *   MV_ERR_INVALID_ARG "unknown virttype: %s" / "unknown architecture: %s" /
 *     "Emulator '%s' does not support virt type '%s'" /
 *     "the machine '%s' is not supported by emulator '%s'" /
 *     "architecture from emulator '%s' doesn't match given architecture '%s'"
 *   MV_ERR_CONFIG_UNSUPPORTED "unable to find any emulator to serve '%s' architecture" */
char *mvDomainCapsFormat(const char *emulator, const char *arch,
                         const char *machine, const char *virttype);
