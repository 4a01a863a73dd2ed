/* virsh capabilities: see capabilities.h.  The document follows libvirt's
 * element order and attribute layout so that clients parsing it with XPath or
 * by eye see the same thing. */
#define MV_FROM_THIS MV_FROM_CAPABILITIES

#include "capabilities.h"
#include "util/error.h"
#include "util/hostinfo.h"
#include "util/qemucaps.h"

#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define IND(buf, n) g_string_append_printf((buf), "%*s", (n), "")

static mvHostCPU *
mvCapsHostCPU(void)
{
    static mvHostCPU *cpu;
    static gsize init;
    if (g_once_init_enter(&init)) {
        cpu = mvHostCPUGet();
        g_once_init_leave(&init, 1);
    }
    return cpu;
}

static void
mvCapsFormatCPU(GString *buf, int ind)
{
    mvHostCPU *cpu = mvCapsHostCPU();
    g_autofree unsigned int *sizes = NULL;
    int nsizes = mvHostGetPageSizes(&sizes);

    IND(buf, ind); g_string_append(buf, "<cpu>\n");
    IND(buf, ind + 2); g_string_append_printf(buf, "<arch>%s</arch>\n", cpu->arch);
    if (cpu->model) {
        IND(buf, ind + 2); g_string_append_printf(buf, "<model>%s</model>\n", cpu->model);
    }
    if (cpu->vendor) {
        IND(buf, ind + 2); g_string_append_printf(buf, "<vendor>%s</vendor>\n", cpu->vendor);
    }
    if (cpu->haveMicrocode) {
        IND(buf, ind + 2);
        g_string_append_printf(buf, "<microcode version='%llu'/>\n", cpu->microcode);
    }
    if (cpu->haveSignature) {
        IND(buf, ind + 2);
        g_string_append_printf(buf, "<signature family='%u' model='%u' stepping='%u'/>\n",
                               cpu->family, cpu->cpuModel, cpu->stepping);
    }
    if (cpu->tscFrequency) {
        IND(buf, ind + 2);
        g_string_append_printf(buf, "<counter name='tsc' frequency='%llu' scaling='%s'/>\n",
                               cpu->tscFrequency, cpu->tscScaling ? "yes" : "no");
    }
    if (cpu->sockets) {
        IND(buf, ind + 2);
        g_string_append_printf(buf, "<topology sockets='%u' dies='%u' cores='%u' threads='%u'/>\n",
                               cpu->sockets, cpu->dies, cpu->cores, cpu->threads);
    }
    if (cpu->physAddrBits) {
        IND(buf, ind + 2);
        g_string_append_printf(buf, "<maxphysaddr mode='emulate' bits='%u'/>\n", cpu->physAddrBits);
    }
    for (guint i = 0; i < cpu->features->len; i++) {
        IND(buf, ind + 2);
        g_string_append_printf(buf, "<feature name='%s'/>\n",
                               (const char *)g_ptr_array_index(cpu->features, i));
    }
    for (int i = 0; i < nsizes; i++) {
        IND(buf, ind + 2);
        g_string_append_printf(buf, "<pages unit='KiB' size='%u'/>\n", sizes[i]);
    }
    IND(buf, ind); g_string_append(buf, "</cpu>\n");
}

char *
mvCapabilitiesFormatHostCPU(int indent)
{
    GString *buf = g_string_new(NULL);
    mvCapsFormatCPU(buf, indent);
    return g_string_free(buf, FALSE);
}

static gboolean
mvCapsIOMMU(void)
{
    g_autoptr(GDir) d = g_dir_open("/sys/kernel/iommu_groups", 0, NULL);
    return d && g_dir_read_name(d) != NULL;
}

static void
mvCapsFormatTopology(GString *buf)
{
    g_autoptr(mvHostTopology) topo = mvHostTopologyGet();

    if (!topo || topo->ncells == 0)
        return;
    g_string_append(buf, "    <topology>\n");
    g_string_append_printf(buf, "      <cells num='%u'>\n", topo->ncells);
    for (unsigned int c = 0; c < topo->ncells; c++) {
        const mvHostCell *cell = &topo->cells[c];
        g_string_append_printf(buf, "        <cell id='%d'>\n", cell->id);
        g_string_append_printf(buf, "          <memory unit='KiB'>%llu</memory>\n", cell->memKiB);
        for (unsigned int p = 0; p < cell->npages; p++)
            g_string_append_printf(buf, "          <pages unit='KiB' size='%u'>%llu</pages>\n",
                                   cell->pageSizes[p], cell->pageCounts[p]);
        if (cell->ndistances) {
            g_string_append(buf, "          <distances>\n");
            for (unsigned int d = 0; d < cell->ndistances; d++)
                g_string_append_printf(buf, "            <sibling id='%d' value='%d'/>\n",
                                       cell->distanceIds[d], cell->distanceValues[d]);
            g_string_append(buf, "          </distances>\n");
        }
        g_string_append_printf(buf, "          <cpus num='%u'>\n", cell->ncpus);
        for (unsigned int i = 0; i < cell->ncpus; i++) {
            const mvHostCellCPU *cpu = &cell->cpus[i];
            g_string_append_printf(buf,
                                   "            <cpu id='%d' socket_id='%d' die_id='%d' core_id='%d' siblings='%s'/>\n",
                                   cpu->id, cpu->socketId, cpu->dieId, cpu->coreId, cpu->siblings);
        }
        g_string_append(buf, "          </cpus>\n");
        g_string_append(buf, "        </cell>\n");
    }
    g_string_append(buf, "      </cells>\n");
    g_string_append(buf, "    </topology>\n");
}

/* Largest unit that represents @kib exactly, like libvirt's cache sizes. */
static void
mvCapsScaleSize(unsigned long long kib, unsigned long long *val, const char **unit)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
    size_t u = 0;
    *val = kib;
    while (u + 1 < G_N_ELEMENTS(units) && *val && *val % 1024 == 0) {
        *val /= 1024;
        u++;
    }
    *unit = units[u];
}

static void
mvCapsFormatCache(GString *buf)
{
    mvHostCacheBank *banks = NULL;
    int n = mvHostGetCacheBanks(&banks);
    if (n <= 0) {
        mvHostCacheBanksFree(banks, n);
        return;
    }
    g_string_append(buf, "    <cache>\n");
    for (int i = 0; i < n; i++) {
        unsigned long long val;
        const char *unit;
        mvCapsScaleSize(banks[i].sizeKiB, &val, &unit);
        g_string_append_printf(buf,
                               "      <bank id='%u' level='%u' type='%s' size='%llu' unit='%s' cpus='%s'/>\n",
                               banks[i].id, banks[i].level, banks[i].type, val, unit, banks[i].cpus);
    }
    g_string_append(buf, "    </cache>\n");
    mvHostCacheBanksFree(banks, n);
}

static void
mvCapsFormatHost(GString *buf, const mvCapabilitiesConfig *cfg)
{
    g_autofree char *uuid = mvHostGetUUID();

    g_string_append(buf, "  <host>\n");
    g_string_append_printf(buf, "    <uuid>%s</uuid>\n", uuid);
    mvCapsFormatCPU(buf, 4);
    /* Suspend targets need pm-utils or logind; neither is consulted. */
    g_string_append(buf, "    <power_management/>\n");
    g_string_append_printf(buf, "    <iommu support='%s'/>\n", mvCapsIOMMU() ? "yes" : "no");
    g_string_append(buf,
                    "    <migration_features>\n"
                    "      <live/>\n"
                    "      <uri_transports>\n"
                    "        <uri_transport>tcp</uri_transport>\n"
                    "        <uri_transport>rdma</uri_transport>\n"
                    "      </uri_transports>\n"
                    "    </migration_features>\n");
    mvCapsFormatTopology(buf);
    mvCapsFormatCache(buf);
    g_string_append(buf,
                    "    <secmodel>\n"
                    "      <model>none</model>\n"
                    "      <doi>0</doi>\n"
                    "    </secmodel>\n");
    if (!cfg->noDac) {
        g_string_append_printf(buf,
                               "    <secmodel>\n"
                               "      <model>dac</model>\n"
                               "      <doi>0</doi>\n"
                               "      <baselabel type='kvm'>+%u:+%u</baselabel>\n"
                               "      <baselabel type='qemu'>+%u:+%u</baselabel>\n"
                               "    </secmodel>\n",
                               cfg->dacUid, cfg->dacGid, cfg->dacUid, cfg->dacGid);
    }
    g_string_append(buf, "  </host>\n\n");
}

/* Can KVM run guests of @arch on this host? */
static gboolean
mvCapsKVMArch(const char *arch)
{
    struct utsname ut;
    const char *host;
    uname(&ut);
    host = ut.machine;
    if (g_str_equal(host, arch))
        return TRUE;
    if (g_str_equal(host, "x86_64") && g_str_equal(arch, "i686"))
        return TRUE;
    if (g_str_equal(host, "aarch64") && g_str_equal(arch, "armv7l"))
        return TRUE;
    if (g_str_equal(host, "ppc64le") && g_str_equal(arch, "ppc64"))
        return TRUE;
    return FALSE;
}

static void
mvCapsFormatGuest(GString *buf, const mvQemuCaps *qc)
{
    const char *arch = qc->arch;
    gboolean x86 = g_str_equal(arch, "x86_64") || g_str_equal(arch, "i686");

    g_string_append(buf, "  <guest>\n");
    g_string_append(buf, "    <os_type>hvm</os_type>\n");
    g_string_append_printf(buf, "    <arch name='%s'>\n", arch);
    g_string_append_printf(buf, "      <wordsize>%d</wordsize>\n", mvQemuCapsArchWordSize(arch));
    g_string_append_printf(buf, "      <emulator>%s</emulator>\n", qc->binary);
    for (guint i = 0; i < qc->machines->len; i++) {
        const mvQemuMachine *m = g_ptr_array_index(qc->machines, i);
        for (int pass = 0; pass < 2; pass++) {
            GString *attrs = g_string_new(NULL);
            const char *shown = pass == 0 ? m->name : m->alias;
            if (!shown)
                break;
            if (pass == 1)
                g_string_append_printf(attrs, " canonical='%s'", m->name);
            if (m->maxCpus > 0)
                g_string_append_printf(attrs, " maxCpus='%d'", m->maxCpus);
            if (m->deprecated)
                g_string_append(attrs, " deprecated='yes'");
            g_string_append_printf(buf, "      <machine%s>%s</machine>\n", attrs->str, shown);
            g_string_free(attrs, TRUE);
        }
    }
    g_string_append(buf, "      <domain type='qemu'/>\n");
    if (qc->kvmSupported && mvCapsKVMArch(arch))
        g_string_append(buf, "      <domain type='kvm'/>\n");
    g_string_append(buf, "    </arch>\n");

    g_string_append(buf, "    <features>\n");
    if (g_str_equal(arch, "i686")) {
        g_string_append(buf, "      <pae/>\n");
        g_string_append(buf, "      <nonpae/>\n");
    }
    if (x86 || g_str_equal(arch, "aarch64")) {
        g_string_append(buf, "      <acpi default='on' toggle='yes'/>\n");
    }
    if (x86)
        g_string_append(buf, "      <apic default='on' toggle='no'/>\n");
    g_string_append(buf, "      <cpuselection/>\n");
    g_string_append(buf, "      <deviceboot/>\n");
    g_string_append(buf, "      <disksnapshot default='on' toggle='no'/>\n");
    g_string_append(buf, "    </features>\n");
    g_string_append(buf, "  </guest>\n\n");
}

char *
mvCapabilitiesFormat(const mvCapabilitiesConfig *cfg)
{
    mvCapabilitiesConfig def = { .dacUid = getuid(), .dacGid = getgid() };
    GString *buf = g_string_new("<capabilities>\n\n");

    if (!cfg)
        cfg = &def;
    mvCapsFormatHost(buf, cfg);
    if (!cfg->noGuests) {
        g_auto(GStrv) emulators = mvQemuCapsFindEmulators();
        for (char **e = emulators; *e; e++) {
            g_autoptr(mvQemuCaps) qc = mvQemuCapsGet(*e);
            if (!qc || !*qc->arch) {
                /* an emulator that cannot be probed is simply not offered */
                mvErrorReset();
                continue;
            }
            mvCapsFormatGuest(buf, qc);
        }
    }
    g_string_append(buf, "</capabilities>\n");
    return g_string_free(buf, FALSE);
}
