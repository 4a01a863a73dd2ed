/* The host capabilities document (virConnectGetCapabilities) of the QEMU
 * driver: <host> (uuid, cpu, power management, iommu, migration, NUMA
 * topology, caches, security models) and one <guest> per installed QEMU
 * system emulator. */
#pragma once
#include <glib.h>

typedef struct mvCapabilitiesConfig {
    /* DAC security model labels: "+UID:+GID" of the user QEMU runs as. */
    unsigned int dacUid;
    unsigned int dacGid;
    gboolean noDac;          /* leave the dac <secmodel> out */
    gboolean noGuests;       /* <host> only (no QEMU probing) */
} mvCapabilitiesConfig;

/* Format the whole document; @cfg NULL means QEMU runs as the caller's
 * uid/gid.  NULL + error when QEMU probing fails badly (a single emulator that
 * cannot be probed is skipped). */
char *mvCapabilitiesFormat(const mvCapabilitiesConfig *cfg);

/* The <cpu> element of <host> alone, indented by @indent spaces (for
 * the domain capabilities' host-model and for CPU comparison). */
char *mvCapabilitiesFormatHostCPU(int indent);
