/* virsh domcapabilities: see domaincaps.h. */
#define MV_FROM_THIS MV_FROM_QEMU

#include "domaincaps.h"
#include "util/error.h"
#include "util/hostinfo.h"
#include "util/qemucaps.h"

#include <fnmatch.h>
#include <string.h>
#include <sys/utsname.h>
#include <json-c/json.h>

/* Virt types a domain XML may name (libvirt's list); only qemu and kvm are ours. */
static const char *const mvDomCapsVirtTypes[] = {
    "none", "qemu", "kqemu", "kvm", "xen", "lxc", "uml", "openvz", "test",
    "vmware", "hyperv", "vbox", "phyp", "parallels", "bhyve", "vz", NULL
};

static const char *const mvDomCapsArchs[] = {
    "i686", "x86_64", "aarch64", "armv6l", "armv7l", "armv7b", "alpha", "cris",
    "loongarch64", "lm32", "m68k", "microblaze", "microblazeel", "mips", "mipsel",
    "mips64", "mips64el", "openrisc", "parisc", "parisc64", "ppc", "ppcle", "ppc64",
    "ppc64le", "ppcemb", "riscv32", "riscv64", "s390", "s390x", "sh4", "sh4eb",
    "sparc", "sparc64", "unicore32", "xtensa", "xtensaeb", NULL
};

typedef struct {
    GString *buf;
    int ind;
} mvDCBuf;

static void
mvDCLine(mvDCBuf *b, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void
mvDCLine(mvDCBuf *b, const char *fmt, ...)
{
    va_list ap;
    g_string_append_printf(b->buf, "%*s", b->ind, "");
    va_start(ap, fmt);
    g_string_append_vprintf(b->buf, fmt, ap);
    va_end(ap);
    g_string_append_c(b->buf, '\n');
}

/* <enum name='NAME'> with @values (NULL-terminated, NULL entries skipped). */
static void
mvDCEnum(mvDCBuf *b, const char *name, const char *const *values, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += values[i] ? 1 : 0;
    if (!count) {
        mvDCLine(b, "<enum name='%s'/>", name);
        return;
    }
    mvDCLine(b, "<enum name='%s'>", name);
    b->ind += 2;
    for (size_t i = 0; i < n; i++)
        if (values[i])
            mvDCLine(b, "<value>%s</value>", values[i]);
    b->ind -= 2;
    mvDCLine(b, "</enum>");
}

#define ENUM(b, name, ...) do { \
        const char *const _v[] = { __VA_ARGS__ }; \
        mvDCEnum((b), (name), _v, G_N_ELEMENTS(_v)); \
    } while (0)

#define IF(cond, val) ((cond) ? (val) : NULL)

/* ------------------------------------------------------------ firmware */

typedef struct {
    GPtrArray *loaders;     /* char* */
    gboolean efi;
    gboolean bios;
    gboolean secure;
    gboolean insecure;
} mvDCFirmware;

static gboolean
mvDCJsonArrayHas(json_object *arr, const char *val)
{
    size_t n;
    if (!arr || !json_object_is_type(arr, json_type_array))
        return FALSE;
    n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++)
        if (g_strcmp0(json_object_get_string(json_object_array_get_idx(arr, i)), val) == 0)
            return TRUE;
    return FALSE;
}

/* QEMU firmware descriptors (docs/interop/firmware.json): the ones for
 * @arch/@machine, later directories overriding files of the same name. */
static void
mvDCFirmwareScan(mvDCFirmware *fw, const char *arch, const char *machine)
{
    const char *dirs[] = { "/usr/share/qemu/firmware", "/etc/qemu/firmware" };
    g_autoptr(GHashTable) files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GList) names = NULL;
    const char *qarch = g_str_equal(arch, "i686") ? "i386" : arch;

    for (size_t d = 0; d < G_N_ELEMENTS(dirs); d++) {
        g_autoptr(GDir) dir = g_dir_open(dirs[d], 0, NULL);
        const char *name;
        while (dir && (name = g_dir_read_name(dir))) {
            if (!g_str_has_suffix(name, ".json"))
                continue;
            g_hash_table_replace(files, g_strdup(name), g_build_filename(dirs[d], name, NULL));
        }
    }
    names = g_hash_table_get_keys(files);
    names = g_list_sort(names, (GCompareFunc)g_strcmp0);
    for (GList *l = names; l; l = l->next) {
        const char *path = g_hash_table_lookup(files, l->data);
        json_object *root = json_object_from_file(path);
        json_object *ifaces, *targets, *mapping, *exe, *feats;
        gboolean match = FALSE;
        const char *filename = NULL;
        if (!root)
            continue;
        if (json_object_object_get_ex(root, "targets", &targets) &&
            json_object_is_type(targets, json_type_array)) {
            for (size_t i = 0; i < json_object_array_length(targets) && !match; i++) {
                json_object *t = json_object_array_get_idx(targets, i), *a, *m;
                if (!json_object_object_get_ex(t, "architecture", &a) ||
                    g_strcmp0(json_object_get_string(a), qarch) != 0)
                    continue;
                if (json_object_object_get_ex(t, "machines", &m) &&
                    json_object_is_type(m, json_type_array))
                    for (size_t k = 0; k < json_object_array_length(m) && !match; k++)
                        match = fnmatch(json_object_get_string(json_object_array_get_idx(m, k)),
                                        machine, 0) == 0;
            }
        }
        if (match && json_object_object_get_ex(root, "mapping", &mapping) &&
            json_object_object_get_ex(mapping, "executable", &exe)) {
            json_object *fn;
            if (json_object_object_get_ex(exe, "filename", &fn))
                filename = json_object_get_string(fn);
        }
        if (match && json_object_object_get_ex(root, "interface-types", &ifaces)) {
            if (mvDCJsonArrayHas(ifaces, "uefi")) {
                fw->efi = TRUE;
                json_object_object_get_ex(root, "features", &feats);
                if (mvDCJsonArrayHas(feats, "secure-boot"))
                    fw->secure = TRUE;
                else
                    fw->insecure = TRUE;
                if (filename) {
                    gboolean dup = FALSE;
                    for (guint i = 0; i < fw->loaders->len; i++)
                        dup |= g_str_equal(g_ptr_array_index(fw->loaders, i), filename);
                    if (!dup)
                        g_ptr_array_add(fw->loaders, g_strdup(filename));
                }
            }
            if (mvDCJsonArrayHas(ifaces, "bios"))
                fw->bios = TRUE;
        }
        json_object_put(root);
    }
}

static void
mvDCFormatOS(mvDCBuf *b, const char *arch, const char *machine)
{
    mvDCFirmware fw = { .loaders = g_ptr_array_new_with_free_func(g_free) };
    gboolean q35 = g_str_has_prefix(machine, "pc-q35");

    mvDCFirmwareScan(&fw, arch, machine);
    mvDCLine(b, "<os supported='yes'>");
    b->ind += 2;
    ENUM(b, "firmware", IF(fw.bios, "bios"), IF(fw.efi, "efi"));
    mvDCLine(b, "<loader supported='yes'>");
    b->ind += 2;
    for (guint i = 0; i < fw.loaders->len; i++)
        mvDCLine(b, "<value>%s</value>", (const char *)g_ptr_array_index(fw.loaders, i));
    ENUM(b, "type", "rom", "pflash");
    ENUM(b, "readonly", "yes", "no");
    ENUM(b, "secure", IF(q35 && fw.secure, "yes"), "no");
    b->ind -= 2;
    mvDCLine(b, "</loader>");
    b->ind -= 2;
    mvDCLine(b, "</os>");
    g_ptr_array_unref(fw.loaders);
}

/* ------------------------------------------------------------ cpu */

static void
mvDCFormatCPU(mvDCBuf *b, const mvQemuCaps *qc, gboolean kvm)
{
    GPtrArray *models = kvm ? qc->cpuModelsKVM : qc->cpuModelsTCG;
    gboolean x86 = g_str_equal(qc->arch, "x86_64") || g_str_equal(qc->arch, "i686");
    g_autoptr(mvHostCPU) host = NULL;
    struct utsname ut;

    uname(&ut);
    mvDCLine(b, "<cpu>");
    b->ind += 2;
    if (kvm) {
        mvDCLine(b, "<mode name='host-passthrough' supported='yes'>");
        b->ind += 2;
        ENUM(b, "hostPassthroughMigratable", IF(g_str_equal(qc->arch, "x86_64"), "on"), "off");
        b->ind -= 2;
        mvDCLine(b, "</mode>");
    } else {
        mvDCLine(b, "<mode name='host-passthrough' supported='no'/>");
    }
    mvDCLine(b, "<mode name='maximum' supported='yes'>");
    b->ind += 2;
    ENUM(b, "maximumMigratable", "on", "off");
    b->ind -= 2;
    mvDCLine(b, "</mode>");

    /* host-model: the host CPU as decoded against the CPU map */
    if (x86 && (g_str_equal(ut.machine, "x86_64") || g_str_equal(ut.machine, "i686")))
        host = mvHostCPUGet();
    if (host && host->model) {
        mvDCLine(b, "<mode name='host-model' supported='yes'>");
        b->ind += 2;
        mvDCLine(b, "<model fallback='forbid'>%s</model>", host->model);
        if (host->vendor)
            mvDCLine(b, "<vendor>%s</vendor>", host->vendor);
        for (guint i = 0; i < host->features->len; i++) {
            const char *f = g_ptr_array_index(host->features, i);
            if (g_str_equal(qc->arch, "i686") && g_str_equal(f, "lm"))
                continue;
            mvDCLine(b, "<feature policy='require' name='%s'/>", f);
        }
        b->ind -= 2;
        mvDCLine(b, "</mode>");
    } else {
        mvDCLine(b, "<mode name='host-model' supported='no'/>");
    }

    /* custom: QEMU's models known to the CPU map, in QEMU's order */
    {
        g_autoptr(GPtrArray) shown = g_ptr_array_new();
        const char *const *known = mvHostCPUModelNames();
        for (guint i = 0; i < models->len; i++) {
            const mvQemuCPUModel *m = g_ptr_array_index(models, i);
            gboolean isKnown = FALSE;
            for (size_t k = 0; known[k] && !isKnown; k++)
                isKnown = g_str_equal(known[k], m->name);
            if (isKnown || !x86)
                g_ptr_array_add(shown, (gpointer)m);
        }
        if (shown->len == 0) {
            mvDCLine(b, "<mode name='custom' supported='no'/>");
        } else {
            mvDCLine(b, "<mode name='custom' supported='yes'>");
            b->ind += 2;
            for (guint i = 0; i < shown->len; i++) {
                const mvQemuCPUModel *m = g_ptr_array_index(shown, i);
                const char *vendor = x86 ? mvHostCPUModelVendor(m->name) : NULL;
                mvDCLine(b, "<model usable='%s'%s vendor='%s'>%s</model>",
                         m->usable ? "yes" : "no", m->deprecated ? " deprecated='yes'" : "",
                         vendor ? vendor : "unknown", m->name);
            }
            b->ind -= 2;
            mvDCLine(b, "</mode>");
        }
    }
    b->ind -= 2;
    mvDCLine(b, "</cpu>");
}

/* ------------------------------------------------------------ devices */

static void
mvDCFormatDevices(mvDCBuf *b, const mvQemuCaps *qc, const char *machine)
{
    gboolean x86 = g_str_equal(qc->arch, "x86_64") || g_str_equal(qc->arch, "i686");
    gboolean q35 = g_str_has_prefix(machine, "pc-q35") || g_str_equal(machine, "q35");
    gboolean ide = x86 && !q35 && !g_str_equal(machine, "microvm");
#define HAS(t) mvQemuCapsHasType(qc, (t))

    mvDCLine(b, "<devices>");
    b->ind += 2;

    mvDCLine(b, "<disk supported='yes'>");
    b->ind += 2;
    ENUM(b, "diskDevice", "disk", "cdrom", "floppy", "lun");
    ENUM(b, "bus", IF(ide, "ide"), IF(HAS("isa-fdc"), "fdc"), "scsi", "virtio",
         "usb", IF(HAS("ich9-ahci"), "sata"));
    ENUM(b, "model", "virtio", "virtio-transitional", "virtio-non-transitional");
    b->ind -= 2;
    mvDCLine(b, "</disk>");

    mvDCLine(b, "<graphics supported='yes'>");
    b->ind += 2;
    ENUM(b, "type", "sdl", "vnc", "spice", "egl-headless", "dbus");
    b->ind -= 2;
    mvDCLine(b, "</graphics>");

    mvDCLine(b, "<video supported='yes'>");
    b->ind += 2;
    ENUM(b, "modelType", IF(HAS("VGA"), "vga"), IF(HAS("cirrus-vga"), "cirrus"),
         IF(HAS("vmware-svga"), "vmvga"), IF(HAS("qxl-vga") || HAS("qxl"), "qxl"),
         IF(HAS("virtio-gpu-pci") || HAS("virtio-gpu-device"), "virtio"), "none",
         IF(HAS("bochs-display"), "bochs"), IF(HAS("ramfb"), "ramfb"));
    b->ind -= 2;
    mvDCLine(b, "</video>");

    mvDCLine(b, "<hostdev supported='yes'>");
    b->ind += 2;
    ENUM(b, "mode", "subsystem");
    ENUM(b, "startupPolicy", "default", "mandatory", "requisite", "optional");
    ENUM(b, "subsysType", "usb", "pci", "scsi");
    mvDCLine(b, "<enum name='capsType'/>");
    mvDCLine(b, "<enum name='pciBackend'/>");
    b->ind -= 2;
    mvDCLine(b, "</hostdev>");

    mvDCLine(b, "<rng supported='yes'>");
    b->ind += 2;
    ENUM(b, "model", "virtio", "virtio-transitional", "virtio-non-transitional");
    ENUM(b, "backendModel", "random", "egd", IF(HAS("rng-builtin"), "builtin"));
    b->ind -= 2;
    mvDCLine(b, "</rng>");

    mvDCLine(b, "<filesystem supported='yes'>");
    b->ind += 2;
    ENUM(b, "driverType", "path", "handle", IF(HAS("vhost-user-fs-device"), "virtiofs"));
    b->ind -= 2;
    mvDCLine(b, "</filesystem>");

    mvDCLine(b, "<tpm supported='yes'>");
    b->ind += 2;
    ENUM(b, "model", IF(HAS("tpm-tis"), "tpm-tis"), IF(HAS("tpm-crb"), "tpm-crb"),
         IF(HAS("tpm-spapr"), "tpm-spapr"));
    ENUM(b, "backendModel", "passthrough",
         IF(g_file_test("/usr/bin/swtpm", G_FILE_TEST_IS_EXECUTABLE), "emulator"));
    b->ind -= 2;
    mvDCLine(b, "</tpm>");

    mvDCLine(b, "<redirdev supported='yes'>");
    b->ind += 2;
    ENUM(b, "bus", "usb");
    b->ind -= 2;
    mvDCLine(b, "</redirdev>");

    mvDCLine(b, "<channel supported='yes'>");
    b->ind += 2;
    ENUM(b, "type", "pty", "unix", "spicevmc");
    b->ind -= 2;
    mvDCLine(b, "</channel>");

    b->ind -= 2;
    mvDCLine(b, "</devices>");
#undef HAS
}

static void
mvDCFormatFeatures(mvDCBuf *b, const mvQemuCaps *qc)
{
    gboolean x86 = g_str_equal(qc->arch, "x86_64") || g_str_equal(qc->arch, "i686");
    gboolean arm = g_str_equal(qc->arch, "aarch64") || g_str_equal(qc->arch, "armv7l");

    mvDCLine(b, "<features>");
    b->ind += 2;
    mvDCLine(b, "<gic supported='%s'/>", arm ? "yes" : "no");
    mvDCLine(b, "<vmcoreinfo supported='%s'/>", mvQemuCapsHasType(qc, "vmcoreinfo") ? "yes" : "no");
    mvDCLine(b, "<genid supported='%s'/>", mvQemuCapsHasType(qc, "vmgenid") ? "yes" : "no");
    mvDCLine(b, "<backingStoreInput supported='yes'/>");
    mvDCLine(b, "<backup supported='yes'/>");
    mvDCLine(b, "<sev supported='no'/>");
    mvDCLine(b, "<sgx supported='no'/>");
    if (x86) {
        mvDCLine(b, "<hyperv supported='yes'>");
        b->ind += 2;
        ENUM(b, "features", "spinlocks", "vendor_id");
        b->ind -= 2;
        mvDCLine(b, "</hyperv>");
    } else {
        mvDCLine(b, "<hyperv supported='no'/>");
    }
    b->ind -= 2;
    mvDCLine(b, "</features>");
}

/* ------------------------------------------------------------ entry */

static gboolean
mvDCInList(const char *const *list, const char *s)
{
    for (size_t i = 0; list[i]; i++)
        if (g_str_equal(list[i], s))
            return TRUE;
    return FALSE;
}

char *
mvDomainCapsFormat(const char *emulator, const char *arch,
                   const char *machine, const char *virttype)
{
    g_autofree char *bin = NULL;
    g_autoptr(mvQemuCaps) qc = NULL;
    const mvQemuMachine *mach;
    gboolean kvm;
    struct utsname ut;
    mvDCBuf b = { NULL, 2 };
    int maxVcpus;

    if (virttype && !mvDCInList(mvDomCapsVirtTypes, virttype)) {
        mvReportError(MV_ERR_INVALID_ARG, "unknown virttype: %s", virttype);
        return NULL;
    }
    if (arch && !mvDCInList(mvDomCapsArchs, arch)) {
        mvReportError(MV_ERR_INVALID_ARG, "unknown architecture: %s", arch);
        return NULL;
    }

    if (emulator) {
        bin = g_strdup(emulator);
    } else {
        const char *want = arch;
        if (!want) {
            uname(&ut);
            want = g_str_equal(ut.machine, "i386") || g_str_equal(ut.machine, "i586")
                ? "i686" : ut.machine;
        }
        bin = mvQemuCapsFindEmulatorForArch(want);
        if (!bin) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                          "unable to find any emulator to serve '%s' architecture", want);
            return NULL;
        }
    }
    if (!(qc = mvQemuCapsGet(bin)))
        return NULL;
    if (!arch)
        arch = qc->arch;
    if (!g_str_equal(arch, qc->arch) &&
        !(g_str_equal(arch, "i686") && g_str_equal(qc->arch, "x86_64"))) {
        mvReportError(MV_ERR_INVALID_ARG,
                      "architecture from emulator '%s' doesn't match given architecture '%s'",
                      qc->arch, arch);
        return NULL;
    }

    if (!virttype)
        virttype = qc->kvmSupported ? "kvm" : "qemu";
    if (g_str_equal(virttype, "kvm") && qc->kvmSupported) {
        kvm = TRUE;
    } else if (g_str_equal(virttype, "qemu")) {
        kvm = FALSE;
    } else {
        mvReportError(MV_ERR_INVALID_ARG, "Emulator '%s' does not support virt type '%s'",
                      bin, virttype);
        return NULL;
    }

    if (machine) {
        mach = mvQemuCapsFindMachine(qc, machine);
        if (!mach) {
            mvReportError(MV_ERR_INVALID_ARG, "the machine '%s' is not supported by emulator '%s'",
                          machine, bin);
            return NULL;
        }
    } else {
        mach = mvQemuCapsDefaultMachine(qc);
    }
    maxVcpus = mach->maxCpus;
    if (kvm) {
        int kvmMax = mvHostGetKVMMaxVcpus();
        if (kvmMax < 0)
            mvErrorReset();
        else if (kvmMax > 0 && (maxVcpus <= 0 || kvmMax < maxVcpus))
            maxVcpus = kvmMax;
    }

    b.buf = g_string_new("<domainCapabilities>\n");
    mvDCLine(&b, "<path>%s</path>", bin);
    mvDCLine(&b, "<domain>%s</domain>", kvm ? "kvm" : "qemu");
    mvDCLine(&b, "<machine>%s</machine>", mach->name);
    mvDCLine(&b, "<arch>%s</arch>", arch);
    mvDCLine(&b, "<vcpu max='%d'/>", maxVcpus);
    mvDCLine(&b, "<iothreads supported='yes'/>");
    mvDCFormatOS(&b, arch, mach->name);
    mvDCFormatCPU(&b, qc, kvm);
    mvDCLine(&b, "<memoryBacking supported='yes'>");
    b.ind += 2;
    ENUM(&b, "sourceType", "file", "anonymous",
         IF(mvQemuCapsHasType(qc, "memory-backend-memfd"), "memfd"));
    b.ind -= 2;
    mvDCLine(&b, "</memoryBacking>");
    mvDCFormatDevices(&b, qc, mach->name);
    mvDCFormatFeatures(&b, qc);
    g_string_append(b.buf, "</domainCapabilities>\n");
    return g_string_free(b.buf, FALSE);
}
