/* QEMU capability probing over QMP.  See qemucaps.h. */
#define MV_FROM_THIS MV_FROM_QEMU

#include "util/qemucaps.h"
#include "util/error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gio/gio.h>
#include <json-c/json.h>

#define MV_QEMU_PROBE_TIMEOUT "30"

static const struct {
    const char *target;   /* qemu-system-TARGET */
    const char *arch;     /* libvirt's name */
    int wordsize;
} mvQemuArchs[] = {
    { "aarch64", "aarch64", 64 },
    { "alpha", "alpha", 64 },
    { "arm", "armv7l", 32 },
    { "i386", "i686", 32 },
    { "loongarch64", "loongarch64", 64 },
    { "m68k", "m68k", 32 },
    { "microblaze", "microblaze", 32 },
    { "microblazeel", "microblazeel", 32 },
    { "mips", "mips", 32 },
    { "mips64", "mips64", 64 },
    { "mips64el", "mips64el", 64 },
    { "mipsel", "mipsel", 32 },
    { "ppc", "ppc", 32 },
    { "ppc64", "ppc64", 64 },
    { "riscv32", "riscv32", 32 },
    { "riscv64", "riscv64", 64 },
    { "s390x", "s390x", 64 },
    { "sh4", "sh4", 32 },
    { "sh4eb", "sh4eb", 32 },
    { "sparc", "sparc", 32 },
    { "sparc64", "sparc64", 64 },
    { "x86_64", "x86_64", 64 },
    { "xtensa", "xtensa", 32 },
    { "xtensaeb", "xtensaeb", 32 },
};

const char *
mvQemuCapsArchFromTarget(const char *target)
{
    for (size_t i = 0; i < G_N_ELEMENTS(mvQemuArchs); i++)
        if (g_str_equal(mvQemuArchs[i].target, target))
            return mvQemuArchs[i].arch;
    return NULL;
}

const char *
mvQemuCapsTargetFromArch(const char *arch)
{
    if (g_str_equal(arch, "ppc64le"))
        return "ppc64";
    if (g_str_equal(arch, "armv6l") || g_str_equal(arch, "armv7b"))
        return "arm";
    for (size_t i = 0; i < G_N_ELEMENTS(mvQemuArchs); i++)
        if (g_str_equal(mvQemuArchs[i].arch, arch))
            return mvQemuArchs[i].target;
    return NULL;
}

int
mvQemuCapsArchWordSize(const char *arch)
{
    if (g_str_equal(arch, "ppc64le"))
        return 64;
    for (size_t i = 0; i < G_N_ELEMENTS(mvQemuArchs); i++)
        if (g_str_equal(mvQemuArchs[i].arch, arch))
            return mvQemuArchs[i].wordsize;
    return 0;
}

static const char *
mvQemuBinDir(void)
{
    const char *dir = g_getenv("MODVIRT_QEMU_BINDIR");
    return dir && *dir ? dir : "/usr/bin";
}

static gint
mvQemuCompareArch(gconstpointer a, gconstpointer b)
{
    const char *pa = *(char *const *)a, *pb = *(char *const *)b;
    const char *ta = strrchr(pa, '/') + strlen("/qemu-system-");
    const char *tb = strrchr(pb, '/') + strlen("/qemu-system-");
    return g_strcmp0(mvQemuCapsArchFromTarget(ta), mvQemuCapsArchFromTarget(tb));
}

char **
mvQemuCapsFindEmulators(void)
{
    const char *dir = mvQemuBinDir();
    g_autoptr(GPtrArray) found = g_ptr_array_new();

    for (size_t i = 0; i < G_N_ELEMENTS(mvQemuArchs); i++) {
        g_autofree char *path = g_strdup_printf("%s/qemu-system-%s", dir, mvQemuArchs[i].target);
        if (g_file_test(path, G_FILE_TEST_IS_REGULAR) && access(path, X_OK) == 0)
            g_ptr_array_add(found, g_steal_pointer(&path));
    }
    g_ptr_array_sort(found, mvQemuCompareArch);
    g_ptr_array_add(found, NULL);
    return (char **)g_ptr_array_free(g_steal_pointer(&found), FALSE);
}

char *
mvQemuCapsFindEmulatorForArch(const char *arch)
{
    const char *target = mvQemuCapsTargetFromArch(arch);
    g_autofree char *path = NULL;
    if (!target)
        return NULL;
    path = g_strdup_printf("%s/qemu-system-%s", mvQemuBinDir(), target);
    if (g_file_test(path, G_FILE_TEST_IS_REGULAR) && access(path, X_OK) == 0)
        return g_steal_pointer(&path);
    /* an x86_64 emulator also serves i686 */
    if (g_str_equal(arch, "i686"))
        return mvQemuCapsFindEmulatorForArch("x86_64");
    return NULL;
}

gboolean
mvQemuCapsKVMUsable(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return FALSE;
    close(fd);
    return TRUE;
}

/* ------------------------------------------------------------ objects */

static void
mvQemuMachineFree(gpointer p)
{
    mvQemuMachine *m = p;
    g_free(m->name);
    g_free(m->alias);
    g_free(m);
}

static void
mvQemuCPUModelFree(gpointer p)
{
    mvQemuCPUModel *m = p;
    g_free(m->name);
    g_free(m);
}

typedef struct {
    mvQemuCaps caps;
    gint refs;
} mvQemuCapsObj;

mvQemuCaps *
mvQemuCapsRef(mvQemuCaps *caps)
{
    if (caps)
        g_atomic_int_inc(&((mvQemuCapsObj *)caps)->refs);
    return caps;
}

void
mvQemuCapsUnref(mvQemuCaps *caps)
{
    mvQemuCapsObj *obj = (mvQemuCapsObj *)caps;
    if (!caps || !g_atomic_int_dec_and_test(&obj->refs))
        return;
    g_free(caps->binary);
    g_free(caps->arch);
    g_ptr_array_unref(caps->machines);
    g_ptr_array_unref(caps->cpuModelsKVM);
    g_ptr_array_unref(caps->cpuModelsTCG);
    g_hash_table_unref(caps->types);
    g_free(obj);
}

static mvQemuCaps *
mvQemuCapsNew(const char *binary)
{
    mvQemuCapsObj *obj = g_new0(mvQemuCapsObj, 1);
    const char *base = strrchr(binary, '/');
    const char *arch;
    obj->refs = 1;
    obj->caps.binary = g_strdup(binary);
    base = base ? base + 1 : binary;
    arch = g_str_has_prefix(base, "qemu-system-")
        ? mvQemuCapsArchFromTarget(base + strlen("qemu-system-")) : NULL;
    obj->caps.arch = g_strdup(arch ? arch : "");
    obj->caps.machines = g_ptr_array_new_with_free_func(mvQemuMachineFree);
    obj->caps.cpuModelsKVM = g_ptr_array_new_with_free_func(mvQemuCPUModelFree);
    obj->caps.cpuModelsTCG = g_ptr_array_new_with_free_func(mvQemuCPUModelFree);
    obj->caps.types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return &obj->caps;
}

/* ------------------------------------------------------------ QMP run */

static void
mvJsonPut(gpointer obj)
{
    json_object_put(obj);
}

/* Run @binary with QMP on stdio, feed it @commands (one JSON per line, the
 * last being "quit") and return the reply objects by "id". */
static GHashTable *
mvQemuRunQMP(const char *binary, const char *accel, const char *const *commands,
              json_object **greeting)
{
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(
        G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
        G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autoptr(GError) gerr = NULL;
    g_autoptr(GString) input = g_string_new(NULL);
    g_autofree char *out = NULL;
    g_autofree char *errout = NULL;
    g_autofree char *machineArg = g_strdup_printf("none,accel=%s", accel);
    g_auto(GStrv) lines = NULL;
    GHashTable *replies;
    gboolean useTimeout = g_file_test("/usr/bin/timeout", G_FILE_TEST_IS_EXECUTABLE);
    const char *argv[] = {
        "/usr/bin/timeout", "-k", "5", MV_QEMU_PROBE_TIMEOUT,
        binary, "-S", "-no-user-config", "-nodefaults", "-display", "none",
        "-machine", machineArg, "-qmp", "stdio", NULL
    };

    g_subprocess_launcher_setenv(launcher, "LC_ALL", "C", TRUE);
    proc = g_subprocess_launcher_spawnv(launcher, useTimeout ? argv : argv + 4, &gerr);
    if (!proc) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Failed to probe capabilities for %s: %s",
                      binary, gerr->message);
        return NULL;
    }
    g_string_append(input, "{\"execute\":\"qmp_capabilities\",\"id\":\"caps\"}\n");
    for (size_t i = 0; commands[i]; i++)
        g_string_append_printf(input, "{\"execute\":\"%s\",\"id\":\"%s\"}\n", commands[i], commands[i]);
    g_string_append(input, "{\"execute\":\"quit\",\"id\":\"quit\"}\n");

    if (!g_subprocess_communicate_utf8(proc, input->str, NULL, &out, &errout, &gerr)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Failed to probe capabilities for %s: %s",
                      binary, gerr->message);
        return NULL;
    }
    replies = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                    mvJsonPut);
    lines = g_strsplit(out ? out : "", "\n", -1);
    for (char **l = lines; *l; l++) {
        json_object *obj, *id, *ret;
        if (!**l)
            continue;
        obj = json_tokener_parse(*l);
        if (!obj)
            continue;
        if (greeting && !*greeting && json_object_object_get_ex(obj, "QMP", NULL)) {
            *greeting = obj;
            continue;
        }
        if (json_object_object_get_ex(obj, "id", &id) &&
            json_object_object_get_ex(obj, "return", &ret)) {
            g_hash_table_replace(replies, g_strdup(json_object_get_string(id)),
                                 json_object_get(ret));
        }
        json_object_put(obj);
    }
    if (!g_hash_table_contains(replies, "caps")) {
        g_autofree char *msg = g_strdup(errout && *errout ? g_strstrip(errout) : "no QMP reply");
        g_hash_table_unref(replies);
        mvReportError(MV_ERR_INTERNAL_ERROR, "Failed to probe capabilities for %s: %s",
                      binary, msg);
        return NULL;
    }
    return replies;
}

static const char *
mvJsonStr(json_object *obj, const char *key)
{
    json_object *v;
    if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static gboolean
mvJsonBool(json_object *obj, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(obj, key, &v) && json_object_get_boolean(v);
}

static void
mvQemuParseCPUModels(json_object *list, GPtrArray *out)
{
    size_t n;
    if (!list || !json_object_is_type(list, json_type_array))
        return;
    n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(list, i);
        json_object *unav;
        const char *name = mvJsonStr(e, "name");
        mvQemuCPUModel *m;
        if (!name)
            continue;
        m = g_new0(mvQemuCPUModel, 1);
        m->name = g_strdup(name);
        m->usable = TRUE;
        if (json_object_object_get_ex(e, "unavailable-features", &unav) &&
            json_object_is_type(unav, json_type_array) && json_object_array_length(unav) > 0)
            m->usable = FALSE;
        m->deprecated = mvJsonBool(e, "deprecated");
        g_ptr_array_add(out, m);
    }
}

static int
mvQemuCapsProbe(mvQemuCaps *caps)
{
    static const char *const cmds[] = {
        "query-version", "query-kvm", "query-machines", "query-cpu-definitions",
        "qom-list-types", NULL
    };
    static const char *const tcgCmds[] = { "query-cpu-definitions", NULL };
    json_object *greeting = NULL;
    g_autoptr(GHashTable) r = NULL;
    json_object *v, *q, *kvm, *machines, *types;
    gboolean kvmWanted = mvQemuCapsKVMUsable();

    r = mvQemuRunQMP(caps->binary, kvmWanted ? "kvm:tcg" : "tcg", cmds, &greeting);
    if (greeting)
        json_object_put(greeting);
    if (!r)
        return -1;

    if ((v = g_hash_table_lookup(r, "query-version")) &&
        json_object_object_get_ex(v, "qemu", &q)) {
        json_object *a, *b, *c;
        if (json_object_object_get_ex(q, "major", &a) &&
            json_object_object_get_ex(q, "minor", &b) &&
            json_object_object_get_ex(q, "micro", &c))
            caps->version = json_object_get_int(a) * 1000000 +
                            json_object_get_int(b) * 1000 + json_object_get_int(c);
    }
    if ((kvm = g_hash_table_lookup(r, "query-kvm")))
        caps->kvmSupported = mvJsonBool(kvm, "enabled") && mvJsonBool(kvm, "present");

    if ((machines = g_hash_table_lookup(r, "query-machines")) &&
        json_object_is_type(machines, json_type_array)) {
        size_t n = json_object_array_length(machines);
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(machines, i);
            json_object *cm;
            const char *name = mvJsonStr(e, "name");
            const char *alias = mvJsonStr(e, "alias");
            mvQemuMachine *m;
            if (!name || g_str_equal(name, "none"))
                continue;
            m = g_new0(mvQemuMachine, 1);
            m->name = g_strdup(name);
            m->alias = g_strdup(alias);
            m->isDefault = mvJsonBool(e, "is-default");
            m->deprecated = mvJsonBool(e, "deprecated");
            if (json_object_object_get_ex(e, "cpu-max", &cm))
                m->maxCpus = json_object_get_int(cm);
            /* the default machine goes first, like libvirt lists it */
            if (m->isDefault)
                g_ptr_array_insert(caps->machines, 0, m);
            else
                g_ptr_array_add(caps->machines, m);
        }
    }
    if ((types = g_hash_table_lookup(r, "qom-list-types")) &&
        json_object_is_type(types, json_type_array)) {
        size_t n = json_object_array_length(types);
        for (size_t i = 0; i < n; i++) {
            const char *name = mvJsonStr(json_object_array_get_idx(types, i), "name");
            if (name)
                g_hash_table_add(caps->types, g_strdup(name));
        }
    }

    if (caps->kvmSupported) {
        g_autoptr(GHashTable) t = NULL;
        mvQemuParseCPUModels(g_hash_table_lookup(r, "query-cpu-definitions"), caps->cpuModelsKVM);
        /* TCG's view of the CPU models needs a second run */
        t = mvQemuRunQMP(caps->binary, "tcg", tcgCmds, NULL);
        if (!t)
            return -1;
        mvQemuParseCPUModels(g_hash_table_lookup(t, "query-cpu-definitions"), caps->cpuModelsTCG);
    } else {
        mvQemuParseCPUModels(g_hash_table_lookup(r, "query-cpu-definitions"), caps->cpuModelsTCG);
    }
    if (caps->machines->len == 0) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Failed to probe capabilities for %s: %s",
                      caps->binary, "no machine types reported");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ cache */

static GMutex mvQemuCacheLock;
static GHashTable *mvQemuCache;   /* path → mvQemuCaps* */

void
mvQemuCapsCacheClear(void)
{
    g_mutex_lock(&mvQemuCacheLock);
    if (mvQemuCache)
        g_hash_table_remove_all(mvQemuCache);
    g_mutex_unlock(&mvQemuCacheLock);
}

mvQemuCaps *
mvQemuCapsGet(const char *binary)
{
    struct stat st;
    mvQemuCaps *caps;

    if (stat(binary, &st) < 0) {
        mvReportSystemError(errno, "Cannot check QEMU binary %s", binary);
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || access(binary, X_OK) < 0) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Cannot find QEMU binary %s: %s",
                      binary, "not an executable file");
        return NULL;
    }

    /* One probe at a time: concurrent callers wait for the first result. */
    g_mutex_lock(&mvQemuCacheLock);
    if (!mvQemuCache)
        mvQemuCache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify)mvQemuCapsUnref);
    caps = g_hash_table_lookup(mvQemuCache, binary);
    if (caps && caps->mtime == (gint64)st.st_mtime) {
        mvQemuCapsRef(caps);
        g_mutex_unlock(&mvQemuCacheLock);
        return caps;
    }
    caps = mvQemuCapsNew(binary);
    caps->mtime = (gint64)st.st_mtime;
    if (mvQemuCapsProbe(caps) < 0) {
        g_mutex_unlock(&mvQemuCacheLock);
        mvQemuCapsUnref(caps);
        return NULL;
    }
    g_hash_table_replace(mvQemuCache, g_strdup(binary), mvQemuCapsRef(caps));
    g_mutex_unlock(&mvQemuCacheLock);
    return caps;
}

/* ------------------------------------------------------------ lookups */

const mvQemuMachine *
mvQemuCapsFindMachine(const mvQemuCaps *caps, const char *name)
{
    for (guint i = 0; i < caps->machines->len; i++) {
        const mvQemuMachine *m = g_ptr_array_index(caps->machines, i);
        if (g_str_equal(m->name, name) || (m->alias && g_str_equal(m->alias, name)))
            return m;
    }
    return NULL;
}

const mvQemuMachine *
mvQemuCapsDefaultMachine(const mvQemuCaps *caps)
{
    for (guint i = 0; i < caps->machines->len; i++) {
        const mvQemuMachine *m = g_ptr_array_index(caps->machines, i);
        if (m->isDefault)
            return m;
    }
    return caps->machines->len ? g_ptr_array_index(caps->machines, 0) : NULL;
}

gboolean
mvQemuCapsHasType(const mvQemuCaps *caps, const char *type)
{
    return g_hash_table_contains(caps->types, type);
}
