/* Host facts for the node* APIs and the capabilities XML.  See hostinfo.h. */
#define MV_FROM_THIS MV_FROM_NONE

#include "util/hostinfo.h"
#include "util/error.h"
#include "util/uuid.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
# include <cpuid.h>
#endif
#ifdef __linux__
# include <linux/kvm.h>
#endif

/* ---------------------------------------------------------------- paths */

static char *
mvHostPath(const char *envvar, const char *path)
{
    const char *prefix = g_getenv(envvar);
    if (prefix && *prefix)
        return g_strconcat(prefix, path, NULL);
    return g_strdup(path);
}

static char *
mvHostSysPath(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static char *
mvHostSysPath(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *rel = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return mvHostPath("MODVIRT_SYSFS_PREFIX", rel);
}

static char *
mvHostProcPath(const char *rel)
{
    return mvHostPath("MODVIRT_PROCFS_PREFIX", rel);
}

/* Whole small file, trailing whitespace stripped; NULL (no error) if absent. */
static char *
mvHostReadText(const char *path)
{
    char *buf = NULL;
    if (!g_file_get_contents(path, &buf, NULL, NULL))
        return NULL;
    g_strchomp(buf);
    return buf;
}

static gboolean
mvHostReadLL(const char *path, long long *val)
{
    g_autofree char *s = mvHostReadText(path);
    char *end = NULL;
    if (!s || !*s)
        return FALSE;
    errno = 0;
    *val = strtoll(s, &end, 10);
    return errno == 0 && end != s;
}

/* Parse a kernel cpu list ("0-3,8,10-11") into a gboolean array (grown as
 * needed).  Returns FALSE on a syntax error. */
static gboolean
mvHostParseList(const char *str, GArray *bits)
{
    const char *p = str;
    while (p && *p) {
        char *end;
        unsigned long a, b;
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (!isdigit((unsigned char)*p))
            return FALSE;
        a = strtoul(p, &end, 10);
        b = a;
        p = end;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                return FALSE;
            b = strtoul(p, &end, 10);
            p = end;
        }
        if (b < a || b > 65535)
            return FALSE;
        for (unsigned long i = a; i <= b; i++) {
            if (i >= bits->len)
                g_array_set_size(bits, i + 1);
            g_array_index(bits, gboolean, i) = TRUE;
        }
    }
    return TRUE;
}

static GArray *
mvHostReadList(const char *path)
{
    g_autofree char *s = mvHostReadText(path);
    GArray *bits;
    if (!s)
        return NULL;
    bits = g_array_new(FALSE, TRUE, sizeof(gboolean));
    if (!mvHostParseList(s, bits)) {
        g_array_unref(bits);
        return NULL;
    }
    return bits;
}

char *
mvHostFormatCPUList(const gboolean *set, unsigned int n)
{
    GString *s = g_string_new(NULL);
    unsigned int i = 0;
    while (i < n) {
        unsigned int j;
        if (!set[i]) {
            i++;
            continue;
        }
        j = i;
        while (j + 1 < n && set[j + 1])
            j++;
        if (s->len)
            g_string_append_c(s, ',');
        if (j == i)
            g_string_append_printf(s, "%u", i);
        else
            g_string_append_printf(s, "%u-%u", i, j);
        i = j + 1;
    }
    return g_string_free(s, FALSE);
}

static gint
mvHostCompareInt(gconstpointer a, gconstpointer b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sorted ids N of DIR/PREFIXN entries. */
static GArray *
mvHostListIndexed(const char *dir, const char *prefix)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(int));
    const char *name;
    size_t plen = strlen(prefix);
    if (!d)
        return ids;
    while ((name = g_dir_read_name(d))) {
        char *end;
        long v;
        if (strncmp(name, prefix, plen) != 0 || !isdigit((unsigned char)name[plen]))
            continue;
        v = strtol(name + plen, &end, 10);
        if (*end)
            continue;
        int iv = (int)v;
        g_array_append_val(ids, iv);
    }
    g_array_sort(ids, mvHostCompareInt);
    return ids;
}

/* ------------------------------------------------------------ node info */

static gboolean
mvHostCPUOnline(const GArray *online, int cpu)
{
    return online && cpu >= 0 && (guint)cpu < online->len &&
           g_array_index(online, gboolean, cpu);
}

static GArray *
mvHostOnlineCPUs(void)
{
    g_autofree char *path = mvHostSysPath("/sys/devices/system/cpu/online");
    GArray *bits = mvHostReadList(path);
    if (!bits) {
        /* no sysfs list: every cpuN directory counts */
        g_autofree char *dir = mvHostSysPath("/sys/devices/system/cpu");
        g_autoptr(GArray) ids = mvHostListIndexed(dir, "cpu");
        bits = g_array_new(FALSE, TRUE, sizeof(gboolean));
        for (guint i = 0; i < ids->len; i++) {
            int id = g_array_index(ids, int, i);
            if ((guint)id >= bits->len)
                g_array_set_size(bits, id + 1);
            g_array_index(bits, gboolean, id) = TRUE;
        }
    }
    return bits;
}

static unsigned int
mvHostCountSet(const GArray *bits)
{
    unsigned int n = 0;
    for (guint i = 0; bits && i < bits->len; i++)
        n += g_array_index(bits, gboolean, i) ? 1 : 0;
    return n;
}

/* Node ids with a nodeN directory (empty when the kernel has no NUMA). */
static GArray *
mvHostNodeIds(void)
{
    g_autofree char *dir = mvHostSysPath("/sys/devices/system/node");
    return mvHostListIndexed(dir, "node");
}

static int
mvHostCPUTopoValue(int cpu, const char *file)
{
    g_autofree char *path = mvHostSysPath("/sys/devices/system/cpu/cpu%d/topology/%s", cpu, file);
    long long v;
    if (!mvHostReadLL(path, &v))
        return 0;
    return (int)v;
}

static unsigned int
mvHostCPUThreadCount(int cpu)
{
    g_autofree char *path = mvHostSysPath("/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
    g_autoptr(GArray) bits = mvHostReadList(path);
    unsigned int n = mvHostCountSet(bits);
    return n ? n : 1;
}

/* Per-node topology like libvirt: distinct sockets, the most cores in one
 * socket, the most threads in one core. */
static void
mvHostNodeTopology(const GArray *cpus, unsigned int *ncpus, unsigned int *sockets,
                   unsigned int *cores, unsigned int *threads)
{
    g_autoptr(GHashTable) sock = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL,
                                                       (GDestroyNotify)g_hash_table_unref);
    *ncpus = *sockets = *cores = *threads = 0;
    for (guint i = 0; i < cpus->len; i++) {
        int cpu = g_array_index(cpus, int, i);
        int s = mvHostCPUTopoValue(cpu, "physical_package_id");
        int c = mvHostCPUTopoValue(cpu, "core_id");
        unsigned int t = mvHostCPUThreadCount(cpu);
        GHashTable *coresOf = g_hash_table_lookup(sock, GINT_TO_POINTER(s + 1));
        if (!coresOf) {
            coresOf = g_hash_table_new(g_direct_hash, g_direct_equal);
            g_hash_table_insert(sock, GINT_TO_POINTER(s + 1), coresOf);
        }
        g_hash_table_add(coresOf, GINT_TO_POINTER(c + 1));
        if (t > *threads)
            *threads = t;
        (*ncpus)++;
    }
    *sockets = g_hash_table_size(sock);
    {
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, sock);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            unsigned int n = g_hash_table_size(v);
            if (n > *cores)
                *cores = n;
        }
    }
}

/* Online CPUs of node @node (or every online CPU when @node < 0). */
static GArray *
mvHostNodeCPUs(int node, const GArray *online)
{
    GArray *cpus = g_array_new(FALSE, FALSE, sizeof(int));
    g_autofree char *dir = node >= 0 ? mvHostSysPath("/sys/devices/system/node/node%d", node)
                                     : mvHostSysPath("/sys/devices/system/cpu");
    g_autoptr(GArray) ids = mvHostListIndexed(dir, "cpu");
    for (guint i = 0; i < ids->len; i++) {
        int cpu = g_array_index(ids, int, i);
        if (mvHostCPUOnline(online, cpu))
            g_array_append_val(cpus, cpu);
    }
    return cpus;
}

static unsigned int
mvHostCPUMhz(void)
{
    g_autofree char *path = mvHostProcPath("/proc/cpuinfo");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return 0;
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        const char *key = NULL;
        if (g_str_has_prefix(*l, "cpu MHz"))
            key = *l;               /* x86 */
        else if (g_str_has_prefix(*l, "clock"))
            key = *l;               /* ppc */
        else if (g_str_has_prefix(*l, "BogoMIPS") || g_str_has_prefix(*l, "bogomips per cpu"))
            continue;
        if (key) {
            const char *colon = strchr(key, ':');
            if (colon)
                return (unsigned int)strtoul(colon + 1, NULL, 10);
        }
    }
    /* cpufreq as a fallback (arm) */
    {
        g_autofree char *fp = mvHostSysPath("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
        long long khz;
        if (mvHostReadLL(fp, &khz))
            return (unsigned int)(khz / 1000);
    }
    return 0;
}

/* Value of "KEY: N kB" in a meminfo-style file (per-node files prefix each
 * line with "Node N "). */
static gboolean
mvHostMeminfoValue(const char *path, const char *key, unsigned long long *kib)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    size_t klen = strlen(key);
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return FALSE;
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        const char *p = *l;
        if (g_str_has_prefix(p, "Node ")) {
            p += 5;
            while (isdigit((unsigned char)*p))
                p++;
            while (*p == ' ')
                p++;
        }
        if (strncmp(p, key, klen) == 0 && p[klen] == ':') {
            *kib = g_ascii_strtoull(p + klen + 1, NULL, 10);
            return TRUE;
        }
    }
    return FALSE;
}

static gboolean
mvHostNodeMem(int node, const char *key, unsigned long long *kib)
{
    g_autofree char *path = mvHostSysPath("/sys/devices/system/node/node%d/meminfo", node);
    return mvHostMeminfoValue(path, key, kib);
}

static gboolean
mvHostProcMem(const char *key, unsigned long long *kib)
{
    g_autofree char *path = mvHostProcPath("/proc/meminfo");
    return mvHostMeminfoValue(path, key, kib);
}

int
mvHostGetNodeInfo(mvNodeInfo *info)
{
    struct utsname ut;
    g_autoptr(GArray) online = mvHostOnlineCPUs();
    g_autoptr(GArray) nodes = mvHostNodeIds();
    unsigned long long memKiB = 0;

    memset(info, 0, sizeof(*info));
    uname(&ut);
    g_strlcpy(info->model, ut.machine, sizeof(info->model));
    info->mhz = mvHostCPUMhz();
    info->cpus = mvHostCountSet(online);

    if (nodes->len > 0) {
        for (guint i = 0; i < nodes->len; i++) {
            int node = g_array_index(nodes, int, i);
            g_autoptr(GArray) cpus = mvHostNodeCPUs(node, online);
            unsigned int n, s, c, t;
            unsigned long long kib;
            if (mvHostNodeMem(node, "MemTotal", &kib))
                memKiB += kib;
            mvHostNodeTopology(cpus, &n, &s, &c, &t);
            if (n == 0)
                continue;
            info->nodes++;
            info->sockets = MAX(info->sockets, s);
            info->cores = MAX(info->cores, c);
            info->threads = MAX(info->threads, t);
        }
    }
    if (info->nodes == 0) {
        g_autoptr(GArray) cpus = mvHostNodeCPUs(-1, online);
        unsigned int n;
        mvHostNodeTopology(cpus, &n, &info->sockets, &info->cores, &info->threads);
        info->nodes = 1;
    }
    if (memKiB == 0 && !mvHostProcMem("MemTotal", &memKiB)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "Unable to query memory total");
        return -1;
    }
    info->memory = (unsigned long)memKiB;

    if (info->cpus == 0) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "no CPUs found");
        return -1;
    }
    /* An odd topology (offline CPUs, asymmetric nodes) is reported as flat,
     * so that nodes * sockets * cores * threads == cpus always holds. */
    if (info->nodes * info->sockets * info->cores * info->threads != info->cpus) {
        info->nodes = 1;
        info->sockets = 1;
        info->cores = info->cpus;
        info->threads = 1;
    }
    return 0;
}

int
mvHostGetCellCount(void)
{
    g_autoptr(GArray) nodes = mvHostNodeIds();
    return nodes->len > 0 ? (int)nodes->len : 1;
}

/* ------------------------------------------------------------- memory */

static int
mvHostMaxNode(void)
{
    g_autoptr(GArray) nodes = mvHostNodeIds();
    return nodes->len > 0 ? g_array_index(nodes, int, nodes->len - 1) : 0;
}

int
mvHostGetFreeMemory(unsigned long long *bytes)
{
    g_autoptr(GArray) nodes = mvHostNodeIds();
    unsigned long long total = 0;
    gboolean got = FALSE;
    for (guint i = 0; i < nodes->len; i++) {
        unsigned long long kib;
        if (mvHostNodeMem(g_array_index(nodes, int, i), "MemFree", &kib)) {
            total += kib;
            got = TRUE;
        }
    }
    if (!got && !mvHostProcMem("MemFree", &total)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "Unable to query memory available");
        return -1;
    }
    *bytes = total * 1024ULL;
    return 0;
}

int
mvHostGetCellsFreeMemory(unsigned long long *freeMems, int startCell, int maxCells)
{
    g_autoptr(GArray) nodes = mvHostNodeIds();
    int maxNode = mvHostMaxNode();
    int n = 0;

    if (startCell < 0 || startCell > maxNode) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "start cell %d out of range (0-%d)",
                      startCell, maxNode);
        return -1;
    }
    if (maxCells < 0) {
        mvReportError(MV_ERR_INVALID_ARG, "maxCells in %s must be greater than or equal to 0",
                      "virNodeGetCellsFreeMemory");
        return -1;
    }
    for (int cell = startCell; cell <= maxNode && n < maxCells; cell++) {
        unsigned long long kib = 0;
        if (nodes->len == 0) {
            if (!mvHostProcMem("MemFree", &kib)) {
                mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "Unable to query memory available");
                return -1;
            }
        } else {
            mvHostNodeMem(cell, "MemFree", &kib);   /* missing node: 0 */
        }
        freeMems[n++] = kib * 1024ULL;
    }
    return n;
}

static void
mvHostSetStat(mvNodeStat *p, const char *field, unsigned long long value)
{
    g_strlcpy(p->field, field, sizeof(p->field));
    p->value = value;
}

int
mvHostGetMemoryStats(int cellNum, mvNodeStat *params, int *nparams)
{
    static const struct { const char *key; const char *field; } map[] = {
        { "MemTotal", "total" },
        { "MemFree", "free" },
        { "Buffers", "buffers" },
        { "Cached", "cached" },
    };
    const int nr = G_N_ELEMENTS(map);
    g_autofree char *path = NULL;
    int filled = 0;

    if (*nparams == 0) {
        *nparams = nr;
        return 0;
    }
    if (*nparams != nr) {
        mvReportError(MV_ERR_INVALID_ARG, "nparams in %s must be %d", "virHostMemGetStats", nr);
        return -1;
    }
    if (cellNum == -1) {
        path = mvHostProcPath("/proc/meminfo");
    } else {
        int maxNode = mvHostMaxNode();
        if (cellNum < 0 || cellNum > maxNode) {
            mvReportError(MV_ERR_INVALID_ARG, "cellNum in %s must be less than or equal to %d",
                          "virHostMemGetStats", maxNode);
            return -1;
        }
        g_autoptr(GArray) nodes = mvHostNodeIds();
        if (nodes->len == 0)
            path = mvHostProcPath("/proc/meminfo");
        else
            path = mvHostSysPath("/sys/devices/system/node/node%d/meminfo", cellNum);
    }
    if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
        mvReportSystemError(ENOENT, "cannot open %s", path);
        return -1;
    }
    for (int i = 0; i < nr; i++) {
        unsigned long long kib;
        if (mvHostMeminfoValue(path, map[i].key, &kib))
            mvHostSetStat(&params[filled++], map[i].field, kib);
    }
    if (filled == 0) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "no available memory line found");
        return -1;
    }
    *nparams = filled;
    return 0;
}

int
mvHostGetCPUStats(int cpuNum, mvNodeStat *params, int *nparams)
{
    const int nr = 4;
    g_autofree char *path = mvHostProcPath("/proc/stat");
    g_autofree char *text = NULL;
    g_autofree char *header = NULL;
    g_auto(GStrv) lines = NULL;
    long hz = sysconf(_SC_CLK_TCK);
    unsigned long long mult;

    if (*nparams == 0) {
        *nparams = nr;
        return 0;
    }
    if (*nparams != nr) {
        mvReportError(MV_ERR_INVALID_ARG, "nparams in %s must be %d", "virHostCPUGetStats", nr);
        return -1;
    }
    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        mvReportSystemError(errno ? errno : EIO, "cannot open %s", path);
        return -1;
    }
    mult = 1000000000ULL / (unsigned long long)(hz > 0 ? hz : 100);
    header = cpuNum == -1 ? g_strdup("cpu ") : g_strdup_printf("cpu%d ", cpuNum);
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        unsigned long long usr = 0, ni = 0, sys = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
        if (!g_str_has_prefix(*l, header))
            continue;
        if (sscanf(*l + strlen(header), "%llu %llu %llu %llu %llu %llu %llu",
                   &usr, &ni, &sys, &idle, &iowait, &irq, &softirq) < 4)
            break;
        mvHostSetStat(&params[0], "kernel", (sys + irq + softirq) * mult);
        mvHostSetStat(&params[1], "user", (usr + ni) * mult);
        mvHostSetStat(&params[2], "idle", idle * mult);
        mvHostSetStat(&params[3], "iowait", iowait * mult);
        *nparams = nr;
        return 0;
    }
    mvReportError(MV_ERR_INVALID_ARG, "Invalid cpuNum in %s", "virHostCPUGetStats");
    return -1;
}

int
mvHostGetCPUMap(unsigned char **cpumap, unsigned int *online)
{
    g_autofree char *ppath = mvHostSysPath("/sys/devices/system/cpu/present");
    g_autoptr(GArray) present = mvHostReadList(ppath);
    g_autoptr(GArray) on = mvHostOnlineCPUs();
    int npresent;

    if (!present) {
        present = g_array_ref(on);
    }
    npresent = (int)present->len;
    if (npresent <= 0) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "no CPUs found");
        return -1;
    }
    if (cpumap) {
        unsigned char *map = g_new0(unsigned char, (npresent + 7) / 8);
        for (int i = 0; i < npresent; i++)
            if (mvHostCPUOnline(on, i))
                map[i / 8] |= 1u << (i % 8);
        *cpumap = map;
    }
    if (online) {
        unsigned int n = 0;
        for (int i = 0; i < npresent; i++)
            n += mvHostCPUOnline(on, i) ? 1 : 0;
        *online = n;
    }
    return npresent;
}

/* ------------------------------------------------------------- pages */

static long
mvHostSystemPageKiB(void)
{
    long sz = sysconf(_SC_PAGESIZE);
    return sz > 0 ? sz / 1024 : 4;
}

int
mvHostGetPageSizes(unsigned int **sizes)
{
    g_autofree char *dir = mvHostSysPath("/sys/kernel/mm/hugepages");
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    g_autoptr(GArray) arr = g_array_new(FALSE, FALSE, sizeof(unsigned int));
    unsigned int sys = (unsigned int)mvHostSystemPageKiB();
    const char *name;

    g_array_append_val(arr, sys);
    while (d && (name = g_dir_read_name(d))) {
        unsigned int kb;
        if (sscanf(name, "hugepages-%ukB", &kb) == 1)
            g_array_append_val(arr, kb);
    }
    g_array_sort(arr, mvHostCompareInt);
    {
        gsize n = 0;
        *sizes = (unsigned int *)g_array_steal(arr, &n);
        return (int)n;
    }
}

/* Total (@wantFree FALSE) or free huge pages of @sizeKiB on @node (-1: host). */
static unsigned long long
mvHostHugePages(int node, unsigned int sizeKiB, gboolean wantFree)
{
    g_autofree char *path = node >= 0
        ? mvHostSysPath("/sys/devices/system/node/node%d/hugepages/hugepages-%ukB/%s",
                        node, sizeKiB, wantFree ? "free_hugepages" : "nr_hugepages")
        : mvHostSysPath("/sys/kernel/mm/hugepages/hugepages-%ukB/%s",
                        sizeKiB, wantFree ? "free_hugepages" : "nr_hugepages");
    long long v;
    return mvHostReadLL(path, &v) && v > 0 ? (unsigned long long)v : 0;
}

static unsigned long long
mvHostCellMemKiB(int node, const char *key)
{
    unsigned long long kib = 0;
    if (node >= 0 && mvHostNodeMem(node, key, &kib))
        return kib;
    mvHostProcMem(key, &kib);
    return kib;
}

/* Number of pages of @sizeKiB on @node, total or free, like virNumaGetPageInfo. */
static unsigned long long
mvHostPageCount(int node, unsigned int sizeKiB, gboolean wantFree)
{
    unsigned int sys = (unsigned int)mvHostSystemPageKiB();
    if (sizeKiB == sys) {
        unsigned long long kib = mvHostCellMemKiB(node, wantFree ? "MemFree" : "MemTotal");
        if (!wantFree) {
            g_autofree unsigned int *sizes = NULL;
            int n = mvHostGetPageSizes(&sizes);
            for (int i = 0; i < n; i++) {
                unsigned long long huge;
                if (sizes[i] == sys)
                    continue;
                huge = mvHostHugePages(node, sizes[i], FALSE) * sizes[i];
                kib = kib > huge ? kib - huge : 0;
            }
        }
        return kib / sys;
    }
    return mvHostHugePages(node, sizeKiB, wantFree);
}

int
mvHostGetFreePages(unsigned int npages, const unsigned int *pages,
                   int startCell, unsigned int cellCount,
                   unsigned long long *counts)
{
    g_autoptr(GArray) nodes = mvHostNodeIds();
    int maxNode = mvHostMaxNode();
    g_autofree unsigned int *sizes = NULL;
    int nsizes = mvHostGetPageSizes(&sizes);
    int n = 0;

    if (startCell < 0 || startCell > maxNode) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "start cell %d out of range (0-%d)",
                      startCell, maxNode);
        return -1;
    }
    for (unsigned int c = 0; c < cellCount; c++) {
        int cell = startCell + (int)c;
        if (cell > maxNode) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "start cell %d out of range (0-%d)",
                          cell, maxNode);
            return -1;
        }
        for (unsigned int i = 0; i < npages; i++) {
            gboolean known = FALSE;
            for (int k = 0; k < nsizes; k++)
                known |= sizes[k] == pages[i];
            if (!known) {
                mvReportError(MV_ERR_OPERATION_FAILED,
                              "page size %u is not available on node %d", pages[i], cell);
                return -1;
            }
            counts[n++] = mvHostPageCount(nodes->len ? cell : -1, pages[i], TRUE);
        }
    }
    return n;
}

/* ------------------------------------------------------------- sysinfo */

static void
mvHostSysinfoEntries(GString *xml, const char *element,
                     const char *const *names, const char *const *files)
{
    GString *body = g_string_new(NULL);
    for (size_t i = 0; names[i]; i++) {
        g_autofree char *path = NULL;
        g_autofree char *val = NULL;
        g_autofree char *esc = NULL;
        if (!files[i])
            continue;
        path = mvHostSysPath("/sys/class/dmi/id/%s", files[i]);
        val = mvHostReadText(path);
        if (!val || !*val)
            continue;
        esc = g_markup_escape_text(val, -1);
        g_string_append_printf(body, "    <entry name='%s'>%s</entry>\n", names[i], esc);
    }
    if (body->len)
        g_string_append_printf(xml, "  <%s>\n%s  </%s>\n", element, body->str, element);
    g_string_free(body, TRUE);
}

char *
mvHostGetSysinfoXML(void)
{
    static const char *const biosN[] = { "vendor", "version", "date", "release", NULL };
    static const char *const biosF[] = { "bios_vendor", "bios_version", "bios_date", "bios_release", NULL };
    static const char *const sysN[] = { "manufacturer", "product", "version", "serial", "uuid", "sku", "family", NULL };
    static const char *const sysF[] = { "sys_vendor", "product_name", "product_version", "product_serial",
                                        "product_uuid", "product_sku", "product_family", NULL };
    static const char *const boardN[] = { "manufacturer", "product", "version", "serial", "asset", "location", NULL };
    static const char *const boardF[] = { "board_vendor", "board_name", "board_version", "board_serial",
                                          "board_asset_tag", NULL, NULL };
    static const char *const chassisN[] = { "manufacturer", "version", "serial", "asset", "sku", NULL };
    static const char *const chassisF[] = { "chassis_vendor", "chassis_version", "chassis_serial",
                                            "chassis_asset_tag", NULL, NULL };
    g_autofree char *dir = mvHostSysPath("/sys/class/dmi/id");
    GString *xml;

    if (!g_file_test(dir, G_FILE_TEST_IS_DIR)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s", "Host SMBIOS information is not available");
        return NULL;
    }
    xml = g_string_new("<sysinfo type='smbios'>\n");
    mvHostSysinfoEntries(xml, "bios", biosN, biosF);
    mvHostSysinfoEntries(xml, "system", sysN, sysF);
    mvHostSysinfoEntries(xml, "baseBoard", boardN, boardF);
    mvHostSysinfoEntries(xml, "chassis", chassisN, chassisF);
    g_string_append(xml, "</sysinfo>\n");
    return g_string_free(xml, FALSE);
}

/* ------------------------------------------------------------- hostname */

char *
mvHostGetHostname(void)
{
    struct utsname ut;
    struct addrinfo hints = { 0 }, *res = NULL;
    char *name = NULL;

    if (uname(&ut) < 0) {
        mvReportSystemError(errno, "%s", "failed to determine host name");
        return NULL;
    }
    /* Already qualified, or "localhost": keep as is. */
    if (strchr(ut.nodename, '.') || g_str_has_prefix(ut.nodename, "localhost"))
        return g_strdup(ut.nodename);

    hints.ai_flags = AI_CANONNAME | AI_CANONIDN;
    hints.ai_family = AF_UNSPEC;
    if (getaddrinfo(ut.nodename, NULL, &hints, &res) == 0) {
        if (res && res->ai_canonname && *res->ai_canonname &&
            !g_str_has_prefix(res->ai_canonname, "localhost"))
            name = g_strdup(res->ai_canonname);
        freeaddrinfo(res);
    }
    return name ? name : g_strdup(ut.nodename);
}

/* ------------------------------------------------------------- KVM */

int
mvHostGetKVMMaxVcpus(void)
{
#ifdef __linux__
    int fd = open("/dev/kvm", O_RDONLY | O_CLOEXEC);
    int r;
    if (fd < 0) {
        mvReportSystemError(errno, "Unable to open %s", "/dev/kvm");
        return -1;
    }
# ifdef KVM_CAP_MAX_VCPUS
    r = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (r > 0)
        goto done;
# endif
    r = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    if (r <= 0)
        r = 4;   /* KVM's documented default when it does not say */
 done:
    close(fd);
    return r;
#else
    mvReportError(MV_ERR_NO_SUPPORT, "%s", "KVM is not supported on this platform");
    return -1;
#endif
}

int
mvHostGetMaxVcpus(const char *type)
{
    if (!type || g_ascii_strcasecmp(type, "qemu") == 0)
        return 16;
    if (g_ascii_strcasecmp(type, "kvm") == 0)
        return mvHostGetKVMMaxVcpus();
    mvReportError(MV_ERR_INVALID_ARG, "unknown type '%s'", type);
    return -1;
}

/* ------------------------------------------------------------- uuid */

static gboolean
mvHostUUIDUsable(const unsigned char uuid[MV_UUID_BUFLEN])
{
    /* Firmware placeholders: all bytes equal (00..., ff..., 03 00 ...). */
    int same = 1;
    for (int i = 1; i < MV_UUID_BUFLEN; i++)
        same &= uuid[i] == uuid[0];
    return !same;
}

char *
mvHostGetUUID(void)
{
    static char cached[MV_UUID_STRING_BUFLEN];
    static GMutex lock;
    unsigned char uuid[MV_UUID_BUFLEN];
    char buf[MV_UUID_STRING_BUFLEN];
    const char *files[] = { "/sys/devices/virtual/dmi/id/product_uuid",
                            "/sys/class/dmi/id/product_uuid" };

    g_mutex_lock(&lock);
    if (!cached[0]) {
        gboolean found = FALSE;
        for (size_t i = 0; i < G_N_ELEMENTS(files) && !found; i++) {
            g_autofree char *path = mvHostSysPath("%s", files[i]);
            g_autofree char *s = mvHostReadText(path);
            if (s && mvUUIDParse(s, uuid) == 0 && mvHostUUIDUsable(uuid))
                found = TRUE;
        }
        if (!found) {
            g_autofree char *s = mvHostReadText("/etc/machine-id");
            if (s && mvUUIDParse(s, uuid) == 0 && mvHostUUIDUsable(uuid))
                found = TRUE;
        }
        if (!found)
            mvUUIDGenerate(uuid);
        mvUUIDFormat(uuid, buf);
        g_strlcpy(cached, buf, sizeof(cached));
    }
    g_mutex_unlock(&lock);
    return g_strdup(cached);
}

/* ------------------------------------------------------------- topology */

static void
mvHostCellClear(mvHostCell *cell)
{
    g_free(cell->pageSizes);
    g_free(cell->pageCounts);
    g_free(cell->distanceIds);
    g_free(cell->distanceValues);
    for (unsigned int i = 0; i < cell->ncpus; i++)
        g_free(cell->cpus[i].siblings);
    g_free(cell->cpus);
}

void
mvHostTopologyFree(mvHostTopology *topo)
{
    if (!topo)
        return;
    for (unsigned int i = 0; i < topo->ncells; i++)
        mvHostCellClear(&topo->cells[i]);
    g_free(topo->cells);
    g_free(topo);
}

static void
mvHostCellFillCPUs(mvHostCell *cell, const GArray *cpus)
{
    cell->ncpus = cpus->len;
    cell->cpus = g_new0(mvHostCellCPU, cpus->len ? cpus->len : 1);
    for (guint i = 0; i < cpus->len; i++) {
        int id = g_array_index(cpus, int, i);
        mvHostCellCPU *c = &cell->cpus[i];
        g_autofree char *sib = mvHostSysPath("/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", id);
        c->id = id;
        c->socketId = mvHostCPUTopoValue(id, "physical_package_id");
        c->dieId = mvHostCPUTopoValue(id, "die_id");
        c->coreId = mvHostCPUTopoValue(id, "core_id");
        c->siblings = mvHostReadText(sib);
        if (!c->siblings)
            c->siblings = g_strdup_printf("%d", id);
    }
}

static void
mvHostCellFillPages(mvHostCell *cell, int node)
{
    g_autofree unsigned int *sizes = NULL;
    int n = mvHostGetPageSizes(&sizes);
    cell->npages = n;
    cell->pageSizes = g_new0(unsigned int, n ? n : 1);
    cell->pageCounts = g_new0(unsigned long long, n ? n : 1);
    for (int i = 0; i < n; i++) {
        cell->pageSizes[i] = sizes[i];
        cell->pageCounts[i] = mvHostPageCount(node, sizes[i], FALSE);
    }
}

mvHostTopology *
mvHostTopologyGet(void)
{
    g_autoptr(GArray) nodes = mvHostNodeIds();
    g_autoptr(GArray) online = mvHostOnlineCPUs();
    mvHostTopology *topo = g_new0(mvHostTopology, 1);

    if (nodes->len == 0) {
        /* No NUMA in the kernel: one fake cell with everything. */
        g_autoptr(GArray) cpus = mvHostNodeCPUs(-1, online);
        mvHostCell *cell;
        topo->ncells = 1;
        topo->cells = cell = g_new0(mvHostCell, 1);
        cell->memKiB = mvHostCellMemKiB(-1, "MemTotal");
        mvHostCellFillPages(cell, -1);
        mvHostCellFillCPUs(cell, cpus);
        return topo;
    }

    topo->ncells = nodes->len;
    topo->cells = g_new0(mvHostCell, nodes->len);
    for (guint i = 0; i < nodes->len; i++) {
        int node = g_array_index(nodes, int, i);
        mvHostCell *cell = &topo->cells[i];
        g_autoptr(GArray) cpus = mvHostNodeCPUs(node, online);
        g_autofree char *dpath = mvHostSysPath("/sys/devices/system/node/node%d/distance", node);
        g_autofree char *dist = mvHostReadText(dpath);

        cell->id = node;
        cell->memKiB = mvHostCellMemKiB(node, "MemTotal");
        mvHostCellFillPages(cell, node);
        if (dist) {
            g_auto(GStrv) parts = g_strsplit_set(dist, " \t", -1);
            guint np = 0;
            cell->distanceIds = g_new0(int, nodes->len);
            cell->distanceValues = g_new0(int, nodes->len);
            for (char **p = parts; *p && np < nodes->len; p++) {
                if (!**p)
                    continue;
                cell->distanceIds[np] = g_array_index(nodes, int, np);
                cell->distanceValues[np] = atoi(*p);
                np++;
            }
            cell->ndistances = np;
        }
        mvHostCellFillCPUs(cell, cpus);
    }
    return topo;
}

/* ------------------------------------------------------------- caches */

void
mvHostCacheBanksFree(mvHostCacheBank *banks, int nbanks)
{
    for (int i = 0; banks && i < nbanks; i++) {
        g_free(banks[i].type);
        g_free(banks[i].cpus);
    }
    g_free(banks);
}

int
mvHostGetCacheBanks(mvHostCacheBank **banks)
{
    g_autoptr(GArray) online = mvHostOnlineCPUs();
    GArray *arr = g_array_new(FALSE, TRUE, sizeof(mvHostCacheBank));

    for (guint cpu = 0; cpu < online->len; cpu++) {
        g_autofree char *dir = NULL;
        g_autoptr(GArray) idx = NULL;
        if (!g_array_index(online, gboolean, cpu))
            continue;
        dir = mvHostSysPath("/sys/devices/system/cpu/cpu%u/cache", cpu);
        idx = mvHostListIndexed(dir, "index");
        for (guint k = 0; k < idx->len; k++) {
            int ix = g_array_index(idx, int, k);
            g_autofree char *pl = g_strdup_printf("%s/index%d/level", dir, ix);
            g_autofree char *pi = g_strdup_printf("%s/index%d/id", dir, ix);
            g_autofree char *pt = g_strdup_printf("%s/index%d/type", dir, ix);
            g_autofree char *ps = g_strdup_printf("%s/index%d/size", dir, ix);
            g_autofree char *pc = g_strdup_printf("%s/index%d/shared_cpu_list", dir, ix);
            g_autofree char *type = mvHostReadText(pt);
            g_autofree char *size = mvHostReadText(ps);
            long long level, id;
            mvHostCacheBank bank = { 0 };
            gboolean dup = FALSE;
            if (!mvHostReadLL(pl, &level) || level < 3)
                continue;   /* only what resctrl can manage is reported */
            if (!mvHostReadLL(pi, &id))
                continue;
            bank.id = (unsigned int)id;
            bank.level = (unsigned int)level;
            if (!type || g_str_equal(type, "Unified"))
                bank.type = g_strdup("both");
            else if (g_str_equal(type, "Data"))
                bank.type = g_strdup("data");
            else
                bank.type = g_strdup("instruction");
            if (size) {
                char *end;
                bank.sizeKiB = g_ascii_strtoull(size, &end, 10);
                if (*end == 'M')
                    bank.sizeKiB *= 1024;
                else if (*end == 'G')
                    bank.sizeKiB *= 1024 * 1024;
                else if (*end != 'K')
                    bank.sizeKiB /= 1024;
            }
            for (guint b = 0; b < arr->len && !dup; b++) {
                mvHostCacheBank *o = &g_array_index(arr, mvHostCacheBank, b);
                dup = o->id == bank.id && o->level == bank.level && g_str_equal(o->type, bank.type);
            }
            if (dup) {
                g_free(bank.type);
                continue;
            }
            bank.cpus = mvHostReadText(pc);
            if (!bank.cpus)
                bank.cpus = g_strdup_printf("%u", cpu);
            g_array_append_val(arr, bank);
        }
    }
    {
        gsize n = 0;
        *banks = (mvHostCacheBank *)g_array_steal(arr, &n);
        g_array_unref(arr);
        return (int)n;
    }
}

/* ------------------------------------------------------------- host CPU */

typedef struct mvCpuFeatureDef {
    const char *name;
    int msr;               /* 0: CPUID bit, 1: MSR bit */
    unsigned int leaf;     /* CPUID leaf, or MSR index */
    unsigned int subleaf;
    int reg;               /* 0 eax, 1 ebx, 2 ecx, 3 edx (MSR: 0 low, 3 high) */
    int bit;
} mvCpuFeatureDef;

typedef struct mvCpuModelDef {
    const char *name;
    const char *vendor;
    gboolean decodeHost;   /* may be reported as a host CPU model */
    const char *signatures;  /* "family:model ..." */
    const char *features;    /* space separated */
} mvCpuModelDef;

/* x86 CPU feature bits and named models (facts: CPUID leaf/register/bit per
 * feature name, the feature set of each model).  Generated table, do not edit by hand. */
static const mvCpuFeatureDef mvCpuFeatureDefs[] = {
    { "fpu", 0, 0x1, 0x0, 3, 0 },
    { "vme", 0, 0x1, 0x0, 3, 1 },
    { "de", 0, 0x1, 0x0, 3, 2 },
    { "pse", 0, 0x1, 0x0, 3, 3 },
    { "tsc", 0, 0x1, 0x0, 3, 4 },
    { "msr", 0, 0x1, 0x0, 3, 5 },
    { "pae", 0, 0x1, 0x0, 3, 6 },
    { "mce", 0, 0x1, 0x0, 3, 7 },
    { "cx8", 0, 0x1, 0x0, 3, 8 },
    { "apic", 0, 0x1, 0x0, 3, 9 },
    { "sep", 0, 0x1, 0x0, 3, 11 },
    { "mtrr", 0, 0x1, 0x0, 3, 12 },
    { "pge", 0, 0x1, 0x0, 3, 13 },
    { "mca", 0, 0x1, 0x0, 3, 14 },
    { "cmov", 0, 0x1, 0x0, 3, 15 },
    { "pat", 0, 0x1, 0x0, 3, 16 },
    { "pse36", 0, 0x1, 0x0, 3, 17 },
    { "pn", 0, 0x1, 0x0, 3, 18 },
    { "clflush", 0, 0x1, 0x0, 3, 19 },
    { "ds", 0, 0x1, 0x0, 3, 21 },
    { "acpi", 0, 0x1, 0x0, 3, 22 },
    { "mmx", 0, 0x1, 0x0, 3, 23 },
    { "fxsr", 0, 0x1, 0x0, 3, 24 },
    { "sse", 0, 0x1, 0x0, 3, 25 },
    { "sse2", 0, 0x1, 0x0, 3, 26 },
    { "ss", 0, 0x1, 0x0, 3, 27 },
    { "ht", 0, 0x1, 0x0, 3, 28 },
    { "tm", 0, 0x1, 0x0, 3, 29 },
    { "ia64", 0, 0x1, 0x0, 3, 30 },
    { "pbe", 0, 0x1, 0x0, 3, 31 },
    { "pni", 0, 0x1, 0x0, 2, 0 },
    { "pclmuldq", 0, 0x1, 0x0, 2, 1 },
    { "dtes64", 0, 0x1, 0x0, 2, 2 },
    { "monitor", 0, 0x1, 0x0, 2, 3 },
    { "ds_cpl", 0, 0x1, 0x0, 2, 4 },
    { "vmx", 0, 0x1, 0x0, 2, 5 },
    { "smx", 0, 0x1, 0x0, 2, 6 },
    { "est", 0, 0x1, 0x0, 2, 7 },
    { "tm2", 0, 0x1, 0x0, 2, 8 },
    { "ssse3", 0, 0x1, 0x0, 2, 9 },
    { "cid", 0, 0x1, 0x0, 2, 10 },
    { "fma", 0, 0x1, 0x0, 2, 12 },
    { "cx16", 0, 0x1, 0x0, 2, 13 },
    { "xtpr", 0, 0x1, 0x0, 2, 14 },
    { "pdcm", 0, 0x1, 0x0, 2, 15 },
    { "pcid", 0, 0x1, 0x0, 2, 17 },
    { "dca", 0, 0x1, 0x0, 2, 18 },
    { "sse4.1", 0, 0x1, 0x0, 2, 19 },
    { "sse4.2", 0, 0x1, 0x0, 2, 20 },
    { "x2apic", 0, 0x1, 0x0, 2, 21 },
    { "movbe", 0, 0x1, 0x0, 2, 22 },
    { "popcnt", 0, 0x1, 0x0, 2, 23 },
    { "tsc-deadline", 0, 0x1, 0x0, 2, 24 },
    { "aes", 0, 0x1, 0x0, 2, 25 },
    { "xsave", 0, 0x1, 0x0, 2, 26 },
    { "osxsave", 0, 0x1, 0x0, 2, 27 },
    { "avx", 0, 0x1, 0x0, 2, 28 },
    { "f16c", 0, 0x1, 0x0, 2, 29 },
    { "rdrand", 0, 0x1, 0x0, 2, 30 },
    { "hypervisor", 0, 0x1, 0x0, 2, 31 },
    { "arat", 0, 0x6, 0x0, 0, 2 },
    { "fsgsbase", 0, 0x7, 0x0, 1, 0 },
    { "tsc_adjust", 0, 0x7, 0x0, 1, 1 },
    { "sgx", 0, 0x7, 0x0, 1, 2 },
    { "bmi1", 0, 0x7, 0x0, 1, 3 },
    { "hle", 0, 0x7, 0x0, 1, 4 },
    { "avx2", 0, 0x7, 0x0, 1, 5 },
    { "smep", 0, 0x7, 0x0, 1, 7 },
    { "bmi2", 0, 0x7, 0x0, 1, 8 },
    { "erms", 0, 0x7, 0x0, 1, 9 },
    { "invpcid", 0, 0x7, 0x0, 1, 10 },
    { "rtm", 0, 0x7, 0x0, 1, 11 },
    { "cmt", 0, 0x7, 0x0, 1, 12 },
    { "mpx", 0, 0x7, 0x0, 1, 14 },
    { "avx512f", 0, 0x7, 0x0, 1, 16 },
    { "avx512dq", 0, 0x7, 0x0, 1, 17 },
    { "rdseed", 0, 0x7, 0x0, 1, 18 },
    { "adx", 0, 0x7, 0x0, 1, 19 },
    { "smap", 0, 0x7, 0x0, 1, 20 },
    { "avx512ifma", 0, 0x7, 0x0, 1, 21 },
    { "pcommit", 0, 0x7, 0x0, 1, 22 },
    { "clflushopt", 0, 0x7, 0x0, 1, 23 },
    { "clwb", 0, 0x7, 0x0, 1, 24 },
    { "intel-pt", 0, 0x7, 0x0, 1, 25 },
    { "avx512pf", 0, 0x7, 0x0, 1, 26 },
    { "avx512er", 0, 0x7, 0x0, 1, 27 },
    { "avx512cd", 0, 0x7, 0x0, 1, 28 },
    { "sha-ni", 0, 0x7, 0x0, 1, 29 },
    { "avx512bw", 0, 0x7, 0x0, 1, 30 },
    { "avx512vl", 0, 0x7, 0x0, 1, 31 },
    { "avx512vbmi", 0, 0x7, 0x0, 2, 1 },
    { "umip", 0, 0x7, 0x0, 2, 2 },
    { "pku", 0, 0x7, 0x0, 2, 3 },
    { "ospke", 0, 0x7, 0x0, 2, 4 },
    { "waitpkg", 0, 0x7, 0x0, 2, 5 },
    { "avx512vbmi2", 0, 0x7, 0x0, 2, 6 },
    { "gfni", 0, 0x7, 0x0, 2, 8 },
    { "vaes", 0, 0x7, 0x0, 2, 9 },
    { "vpclmulqdq", 0, 0x7, 0x0, 2, 10 },
    { "avx512vnni", 0, 0x7, 0x0, 2, 11 },
    { "avx512bitalg", 0, 0x7, 0x0, 2, 12 },
    { "avx512-vpopcntdq", 0, 0x7, 0x0, 2, 14 },
    { "la57", 0, 0x7, 0x0, 2, 16 },
    { "rdpid", 0, 0x7, 0x0, 2, 22 },
    { "bus-lock-detect", 0, 0x7, 0x0, 2, 24 },
    { "cldemote", 0, 0x7, 0x0, 2, 25 },
    { "movdiri", 0, 0x7, 0x0, 2, 27 },
    { "movdir64b", 0, 0x7, 0x0, 2, 28 },
    { "sgxlc", 0, 0x7, 0x0, 2, 30 },
    { "pks", 0, 0x7, 0x0, 2, 31 },
    { "avx512-4vnniw", 0, 0x7, 0x0, 3, 2 },
    { "avx512-4fmaps", 0, 0x7, 0x0, 3, 3 },
    { "fsrm", 0, 0x7, 0x0, 3, 4 },
    { "avx512-vp2intersect", 0, 0x7, 0x0, 3, 8 },
    { "md-clear", 0, 0x7, 0x0, 3, 10 },
    { "serialize", 0, 0x7, 0x0, 3, 14 },
    { "tsx-ldtrk", 0, 0x7, 0x0, 3, 16 },
    { "pconfig", 0, 0x7, 0x0, 3, 18 },
    { "arch-lbr", 0, 0x7, 0x0, 3, 19 },
    { "amx-bf16", 0, 0x7, 0x0, 3, 22 },
    { "avx512-fp16", 0, 0x7, 0x0, 3, 23 },
    { "amx-tile", 0, 0x7, 0x0, 3, 24 },
    { "amx-int8", 0, 0x7, 0x0, 3, 25 },
    { "spec-ctrl", 0, 0x7, 0x0, 3, 26 },
    { "stibp", 0, 0x7, 0x0, 3, 27 },
    { "arch-capabilities", 0, 0x7, 0x0, 3, 29 },
    { "core-capability", 0, 0x7, 0x0, 3, 30 },
    { "ssbd", 0, 0x7, 0x0, 3, 31 },
    { "avx-vnni", 0, 0x7, 0x1, 0, 4 },
    { "avx512-bf16", 0, 0x7, 0x1, 0, 5 },
    { "xsaveopt", 0, 0xd, 0x1, 0, 0 },
    { "xsavec", 0, 0xd, 0x1, 0, 1 },
    { "xgetbv1", 0, 0xd, 0x1, 0, 2 },
    { "xsaves", 0, 0xd, 0x1, 0, 3 },
    { "xfd", 0, 0xd, 0x1, 0, 4 },
    { "mbm_total", 0, 0xf, 0x1, 3, 1 },
    { "mbm_local", 0, 0xf, 0x1, 3, 2 },
    { "sgx1", 0, 0x12, 0x0, 0, 0 },
    { "sgx2", 0, 0x12, 0x0, 0, 1 },
    { "sgx-exinfo", 0, 0x12, 0x0, 1, 0 },
    { "sgx-debug", 0, 0x12, 0x1, 0, 1 },
    { "sgx-mode64", 0, 0x12, 0x1, 0, 2 },
    { "sgx-provisionkey", 0, 0x12, 0x1, 0, 4 },
    { "sgx-tokenkey", 0, 0x12, 0x1, 0, 5 },
    { "sgx-kss", 0, 0x12, 0x1, 0, 7 },
    { "intel-pt-lip", 0, 0x14, 0x0, 2, 31 },
    { "syscall", 0, 0x80000001, 0x0, 3, 11 },
    { "nx", 0, 0x80000001, 0x0, 3, 20 },
    { "mmxext", 0, 0x80000001, 0x0, 3, 22 },
    { "fxsr_opt", 0, 0x80000001, 0x0, 3, 25 },
    { "pdpe1gb", 0, 0x80000001, 0x0, 3, 26 },
    { "rdtscp", 0, 0x80000001, 0x0, 3, 27 },
    { "lm", 0, 0x80000001, 0x0, 3, 29 },
    { "3dnowext", 0, 0x80000001, 0x0, 3, 30 },
    { "3dnow", 0, 0x80000001, 0x0, 3, 31 },
    { "lahf_lm", 0, 0x80000001, 0x0, 2, 0 },
    { "cmp_legacy", 0, 0x80000001, 0x0, 2, 1 },
    { "svm", 0, 0x80000001, 0x0, 2, 2 },
    { "extapic", 0, 0x80000001, 0x0, 2, 3 },
    { "cr8legacy", 0, 0x80000001, 0x0, 2, 4 },
    { "abm", 0, 0x80000001, 0x0, 2, 5 },
    { "sse4a", 0, 0x80000001, 0x0, 2, 6 },
    { "misalignsse", 0, 0x80000001, 0x0, 2, 7 },
    { "3dnowprefetch", 0, 0x80000001, 0x0, 2, 8 },
    { "osvw", 0, 0x80000001, 0x0, 2, 9 },
    { "ibs", 0, 0x80000001, 0x0, 2, 10 },
    { "xop", 0, 0x80000001, 0x0, 2, 11 },
    { "skinit", 0, 0x80000001, 0x0, 2, 12 },
    { "wdt", 0, 0x80000001, 0x0, 2, 13 },
    { "lwp", 0, 0x80000001, 0x0, 2, 15 },
    { "fma4", 0, 0x80000001, 0x0, 2, 16 },
    { "tce", 0, 0x80000001, 0x0, 2, 17 },
    { "cvt16", 0, 0x80000001, 0x0, 2, 18 },
    { "nodeid_msr", 0, 0x80000001, 0x0, 2, 19 },
    { "tbm", 0, 0x80000001, 0x0, 2, 21 },
    { "topoext", 0, 0x80000001, 0x0, 2, 22 },
    { "perfctr_core", 0, 0x80000001, 0x0, 2, 23 },
    { "perfctr_nb", 0, 0x80000001, 0x0, 2, 24 },
    { "invtsc", 0, 0x80000007, 0x0, 3, 8 },
    { "clzero", 0, 0x80000008, 0x0, 1, 0 },
    { "xsaveerptr", 0, 0x80000008, 0x0, 1, 2 },
    { "wbnoinvd", 0, 0x80000008, 0x0, 1, 9 },
    { "ibpb", 0, 0x80000008, 0x0, 1, 12 },
    { "ibrs", 0, 0x80000008, 0x0, 1, 14 },
    { "amd-stibp", 0, 0x80000008, 0x0, 1, 15 },
    { "amd-ssbd", 0, 0x80000008, 0x0, 1, 24 },
    { "virt-ssbd", 0, 0x80000008, 0x0, 1, 25 },
    { "amd-no-ssb", 0, 0x80000008, 0x0, 1, 26 },
    { "npt", 0, 0x8000000a, 0x0, 3, 0 },
    { "lbrv", 0, 0x8000000a, 0x0, 3, 1 },
    { "svm-lock", 0, 0x8000000a, 0x0, 3, 2 },
    { "nrip-save", 0, 0x8000000a, 0x0, 3, 3 },
    { "tsc-scale", 0, 0x8000000a, 0x0, 3, 4 },
    { "vmcb-clean", 0, 0x8000000a, 0x0, 3, 5 },
    { "flushbyasid", 0, 0x8000000a, 0x0, 3, 6 },
    { "decodeassists", 0, 0x8000000a, 0x0, 3, 7 },
    { "pause-filter", 0, 0x8000000a, 0x0, 3, 10 },
    { "pfthreshold", 0, 0x8000000a, 0x0, 3, 12 },
    { "avic", 0, 0x8000000a, 0x0, 3, 13 },
    { "v-vmsave-vmload", 0, 0x8000000a, 0x0, 3, 15 },
    { "vgif", 0, 0x8000000a, 0x0, 3, 16 },
    { "svme-addr-chk", 0, 0x8000000a, 0x0, 3, 28 },
    { "rdctl-no", 1, 0x10a, 0x0, 0, 0 },
    { "ibrs-all", 1, 0x10a, 0x0, 0, 1 },
    { "rsba", 1, 0x10a, 0x0, 0, 2 },
    { "skip-l1dfl-vmentry", 1, 0x10a, 0x0, 0, 3 },
    { "ssb-no", 1, 0x10a, 0x0, 0, 4 },
    { "mds-no", 1, 0x10a, 0x0, 0, 5 },
    { "pschange-mc-no", 1, 0x10a, 0x0, 0, 6 },
    { "tsx-ctrl", 1, 0x10a, 0x0, 0, 7 },
    { "taa-no", 1, 0x10a, 0x0, 0, 8 },
    { "split-lock-detect", 1, 0xcf, 0x0, 0, 5 },
};
static const mvCpuModelDef mvCpuModelDefs[] = {
    { "486", NULL, TRUE, "",
      "fpu pse vme" },
    { "pentium", NULL, TRUE, "",
      "cx8 de fpu mce mmx msr pse tsc vme" },
    { "pentium2", NULL, TRUE, "",
      "cmov cx8 de fpu fxsr mca mce mmx msr mtrr pae pat pge pse pse36 sep tsc vme" },
    { "pentium3", NULL, TRUE, "",
      "cmov cx8 de fpu fxsr mca mce mmx msr mtrr pae pat pge pse pse36 sep sse tsc vme" },
    { "pentiumpro", NULL, TRUE, "",
      "apic cmov cx8 de fpu fxsr mce mmx msr pae pat pge pse sep sse sse2 tsc" },
    { "coreduo", "Intel", TRUE, "",
      "apic clflush cmov cx8 de fpu fxsr mca mce mmx monitor msr mtrr nx pae pat pge pni pse sep sse sse2 tsc vme" },
    { "n270", "Intel", TRUE, "",
      "apic clflush cmov cx8 de fpu fxsr mca mce mmx monitor msr mtrr nx pae pat pge pni pse sep sse sse2 ssse3 tsc vme" },
    { "core2duo", "Intel", TRUE, "",
      "apic clflush cmov cx8 de fpu fxsr lm mca mce mmx monitor msr mtrr nx pae pat pge pni pse pse36 sep sse sse2 ssse3 syscall tsc vme" },
    { "qemu32", NULL, TRUE, "",
      "apic cmov cx8 de fpu fxsr mce mmx msr pae pat pge pni pse sep sse sse2 tsc" },
    { "kvm32", NULL, TRUE, "",
      "apic clflush cmov cx8 de fpu fxsr mca mce mmx msr mtrr pae pat pge pni pse pse36 sep sse sse2 tsc" },
    { "cpu64-rhel5", NULL, FALSE, "",
      "apic clflush cmov cx8 de fpu fxsr lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 sep sse sse2 syscall tsc" },
    { "cpu64-rhel6", NULL, FALSE, "",
      "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 sep sse sse2 syscall tsc" },
    { "qemu64", NULL, TRUE, "",
      "apic clflush cmov cx16 cx8 de fpu fxsr lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 sep sse sse2 svm syscall tsc" },
    { "kvm64", NULL, TRUE, "",
      "apic clflush cmov cx16 cx8 de fpu fxsr lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 sep sse sse2 syscall tsc" },
    { "Conroe", "Intel", TRUE, "6:15 6:22",
      "apic clflush cmov cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 sep sse sse2 ssse3 syscall tsc" },
    { "Penryn", "Intel", TRUE, "6:23 6:29",
      "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 sep sse sse2 sse4.1 ssse3 syscall tsc" },
    { "Nehalem", "Intel", TRUE, "6:26 6:30 6:31 6:46",
      "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni popcnt pse pse36 sep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc" },
    { "Nehalem-IBRS", "Intel", TRUE, "6:26 6:30 6:31 6:46",
      "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni popcnt pse pse36 sep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc" },
    { "Westmere", "Intel", TRUE, "6:44 6:47 6:37",
      "aes apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni popcnt pse pse36 sep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc" },
    { "Westmere-IBRS", "Intel", TRUE, "6:44",
      "aes apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni popcnt pse pse36 sep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc" },
    { "SandyBridge", "Intel", TRUE, "6:42 6:45",
      "aes apic avx clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pclmuldq pge pni popcnt pse pse36 rdtscp sep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "SandyBridge-IBRS", "Intel", TRUE, "6:42 6:45",
      "aes apic avx clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pclmuldq pge pni popcnt pse pse36 rdtscp sep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "IvyBridge", "Intel", TRUE, "6:58 6:62",
      "aes apic avx clflush cmov cx16 cx8 de erms f16c fpu fsgsbase fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pclmuldq pge pni popcnt pse pse36 rdrand rdtscp sep smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xsave" },
    { "IvyBridge-IBRS", "Intel", TRUE, "6:58 6:62",
      "aes apic avx clflush cmov cx16 cx8 de erms f16c fpu fsgsbase fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pclmuldq pge pni popcnt pse pse36 rdrand rdtscp sep smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xsave" },
    { "Haswell-noTSX", "Intel", TRUE, "6:60 6:63 6:69 6:70",
      "aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdtscp sep smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "Haswell-noTSX-IBRS", "Intel", TRUE, "6:60 6:63 6:69 6:70",
      "aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdtscp sep smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "Haswell", "Intel", TRUE, "6:60 6:63 6:69 6:70",
      "aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdtscp rtm sep smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "Haswell-IBRS", "Intel", TRUE, "6:60 6:63 6:69 6:70",
      "aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdtscp rtm sep smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "Broadwell-noTSX", "Intel", TRUE, "6:61 6:71 6:79 6:86",
      "3dnowprefetch adx aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdseed rdtscp sep smap smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "Broadwell-noTSX-IBRS", "Intel", TRUE, "6:61 6:71 6:79 6:86",
      "3dnowprefetch adx aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdseed rdtscp sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "Broadwell", "Intel", TRUE, "6:61 6:71 6:79 6:86",
      "3dnowprefetch adx aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdseed rdtscp rtm sep smap smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "Broadwell-IBRS", "Intel", TRUE, "6:61 6:71 6:79 6:86",
      "3dnowprefetch adx aes apic avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdseed rdtscp rtm sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline x2apic xsave" },
    { "Skylake-Client", "Intel", TRUE, "6:94 6:78 6:142 6:158",
      "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Skylake-Client-IBRS", "Intel", TRUE, "6:94 6:78 6:142 6:158",
      "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Skylake-Client-noTSX-IBRS", "Intel", TRUE, "6:94 6:78 6:142 6:158",
      "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pge pni popcnt pse pse36 rdrand rdseed rdtscp sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Skylake-Server", "Intel", TRUE, "6:85",
      "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl bmi1 bmi2 clflush clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Skylake-Server-IBRS", "Intel", TRUE, "6:85",
      "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl bmi1 bmi2 clflush clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Skylake-Server-noTSX-IBRS", "Intel", TRUE, "6:85",
      "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl bmi1 bmi2 clflush clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp sep smap smep spec-ctrl sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Cascadelake-Server", "Intel", TRUE, "6:85",
      "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl avx512vnni bmi1 bmi2 clflush clflushopt clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr hle invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Cascadelake-Server-noTSX", "Intel", TRUE, "6:85",
      "3dnowprefetch abm adx aes apic arat avx avx2 avx512bw avx512cd avx512dq avx512f avx512vl avx512vnni bmi1 bmi2 clflush clflushopt clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp sep smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Icelake-Client", "Intel", TRUE, "6:126",
      "3dnowprefetch abm adx aes apic arat avx avx2 avx512-vpopcntdq avx512bitalg avx512vbmi avx512vbmi2 avx512vnni bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr gfni hle intel-pt invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pge pku pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline umip vaes vme vpclmulqdq wbnoinvd x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Icelake-Client-noTSX", "Intel", TRUE, "6:126",
      "3dnowprefetch abm adx aes apic arat avx avx2 avx512-vpopcntdq avx512bitalg avx512vbmi avx512vbmi2 avx512vnni bmi1 bmi2 clflush cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr gfni intel-pt invpcid lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pge pku pni popcnt pse pse36 rdrand rdseed rdtscp sep smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline umip vaes vme vpclmulqdq wbnoinvd x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Icelake-Server", "Intel", TRUE, "6:106",
      "3dnowprefetch abm adx aes apic arat avx avx2 avx512-vpopcntdq avx512bitalg avx512bw avx512cd avx512dq avx512f avx512vbmi avx512vbmi2 avx512vl avx512vnni bmi1 bmi2 clflush clflushopt clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr gfni hle intel-pt invpcid la57 lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pku pni popcnt pse pse36 rdrand rdseed rdtscp rtm sep smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline umip vaes vme vpclmulqdq wbnoinvd x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Icelake-Server-noTSX", "Intel", TRUE, "6:106",
      "3dnowprefetch abm adx aes apic arat avx avx2 avx512-vpopcntdq avx512bitalg avx512bw avx512cd avx512dq avx512f avx512vbmi avx512vbmi2 avx512vl avx512vnni bmi1 bmi2 clflush clflushopt clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr gfni intel-pt invpcid la57 lahf_lm lm mca mce mmx movbe mpx msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pku pni popcnt pse pse36 rdrand rdseed rdtscp sep smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline umip vaes vme vpclmulqdq wbnoinvd x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Cooperlake", "Intel", TRUE, "6:85",
      "3dnowprefetch abm adx aes apic arat arch-capabilities avx avx2 avx512-bf16 avx512bw avx512cd avx512dq avx512f avx512vl avx512vnni bmi1 bmi2 clflush clflushopt clwb cmov cx16 cx8 de erms f16c fma fpu fsgsbase fxsr hle ibrs-all invpcid lahf_lm lm mca mce mds-no mmx movbe msr mtrr nx pae pat pcid pclmuldq pdpe1gb pge pku pni popcnt pschange-mc-no pse pse36 rdctl-no rdrand rdseed rdtscp rtm sep skip-l1dfl-vmentry smap smep spec-ctrl ssbd sse sse2 sse4.1 sse4.2 ssse3 stibp syscall taa-no tsc tsc-deadline vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "Snowridge", "Intel", TRUE, "6:134",
      "3dnowprefetch aes apic arat arch-capabilities cldemote clflush clflushopt clwb cmov core-capability cx16 cx8 de erms fpu fsgsbase fxsr gfni lahf_lm lm mca mce mmx movbe movdir64b movdiri msr mtrr nx pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp sep sha-ni smap smep spec-ctrl split-lock-detect ssbd sse sse2 sse4.1 sse4.2 ssse3 syscall tsc tsc-deadline umip vme x2apic xgetbv1 xsave xsavec xsaveopt" },
    { "athlon", "AMD", TRUE, "",
      "3dnow 3dnowext apic cmov cx8 de fpu fxsr mce mmx mmxext msr mtrr pae pat pge pse pse36 sep sse sse2 tsc vme" },
    { "phenom", "AMD", TRUE, "",
      "3dnow 3dnowext apic clflush cmov cx8 de fpu fxsr fxsr_opt lm mca mce mmx mmxext monitor msr mtrr nx pae pat pge pni pse pse36 sep sse sse2 svm syscall tsc" },
    { "Opteron_G1", "AMD", TRUE, "15:6",
      "apic clflush cmov cx8 de fpu fxsr lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 sep sse sse2 syscall tsc" },
    { "Opteron_G2", "AMD", TRUE, "15:6",
      "apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce mmx msr mtrr nx pae pat pge pni pse pse36 rdtscp sep sse sse2 svm syscall tsc" },
    { "Opteron_G3", "AMD", TRUE, "15:6",
      "abm apic clflush cmov cx16 cx8 de fpu fxsr lahf_lm lm mca mce misalignsse mmx monitor msr mtrr nx pae pat pge pni popcnt pse pse36 rdtscp sep sse sse2 sse4a svm syscall tsc" },
    { "Opteron_G4", "AMD", TRUE, "21:1",
      "3dnowprefetch abm aes apic avx clflush cmov cx16 cx8 de fma4 fpu fxsr lahf_lm lm mca mce misalignsse mmx msr mtrr nx pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdtscp sep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc xop xsave" },
    { "Opteron_G5", "AMD", TRUE, "21:2",
      "3dnowprefetch abm aes apic avx clflush cmov cx16 cx8 de f16c fma fma4 fpu fxsr lahf_lm lm mca mce misalignsse mmx msr mtrr nx pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdtscp sep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tbm tsc xop xsave" },
    { "EPYC", "AMD", TRUE, "23:1",
      "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush clflushopt cmov cr8legacy cx16 cx8 de f16c fma fpu fsgsbase fxsr fxsr_opt lahf_lm lm mca mce misalignsse mmx mmxext monitor movbe msr mtrr nx osvw pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp sep sha-ni smap smep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc vme xgetbv1 xsave xsavec xsaveopt" },
    { "EPYC-IBPB", "AMD", TRUE, "23:1",
      "3dnowprefetch abm adx aes apic arat avx avx2 bmi1 bmi2 clflush clflushopt cmov cr8legacy cx16 cx8 de f16c fma fpu fsgsbase fxsr fxsr_opt ibpb lahf_lm lm mca mce misalignsse mmx mmxext monitor movbe msr mtrr nx osvw pae pat pclmuldq pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp sep sha-ni smap smep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc vme xgetbv1 xsave xsavec xsaveopt" },
    { "EPYC-Rome", "AMD", TRUE, "23:49",
      "3dnowprefetch abm adx aes amd-stibp apic arat avx avx2 bmi1 bmi2 clflush clflushopt clwb clzero cmov cr8legacy cx16 cx8 de f16c fma fpu fsgsbase fxsr fxsr_opt ibpb lahf_lm lm mca mce misalignsse mmx mmxext movbe msr mtrr npt nrip-save nx osvw pae pat pclmuldq pdpe1gb perfctr_core pge pni popcnt pse pse36 rdpid rdrand rdseed rdtscp sep sha-ni smap smep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc umip vme wbnoinvd xgetbv1 xsave xsavec xsaveerptr xsaveopt" },
    { "EPYC-Milan", "AMD", TRUE, "25:1",
      "3dnowprefetch abm adx aes amd-ssbd amd-stibp apic arat avx avx2 bmi1 bmi2 clflush clflushopt clwb clzero cmov cr8legacy cx16 cx8 de erms f16c fma fpu fsgsbase fsrm fxsr fxsr_opt ibpb ibrs invpcid lahf_lm lm mca mce misalignsse mmx mmxext movbe msr mtrr npt nrip-save nx osvw pae pat pcid pclmuldq pdpe1gb perfctr_core pge pku pni popcnt pse pse36 rdpid rdrand rdseed rdtscp sep sha-ni smap smep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm svme-addr-chk syscall tsc umip vme wbnoinvd xgetbv1 xsave xsavec xsaveerptr xsaveopt xsaves" },
    { "Dhyana", "Hygon", TRUE, "24:0",
      "3dnowprefetch abm adx apic arat avx avx2 bmi1 bmi2 clflush clflushopt cmov cr8legacy cx16 cx8 de f16c fma fpu fsgsbase fxsr fxsr_opt ibpb lahf_lm lm mca mce misalignsse mmx mmxext monitor movbe msr mtrr nx osvw pae pat pdpe1gb pge pni popcnt pse pse36 rdrand rdseed rdtscp sep smap smep sse sse2 sse4.1 sse4.2 sse4a ssse3 svm syscall tsc vme xgetbv1 xsave xsavec xsaveopt" },
};

static const mvCpuModelDef *
mvHostCPUModelFind(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(mvCpuModelDefs); i++)
        if (g_str_equal(mvCpuModelDefs[i].name, name))
            return &mvCpuModelDefs[i];
    return NULL;
}

const char *const *
mvHostCPUModelNames(void)
{
    static const char *names[G_N_ELEMENTS(mvCpuModelDefs) + 1];
    static gsize init;
    if (g_once_init_enter(&init)) {
        for (size_t i = 0; i < G_N_ELEMENTS(mvCpuModelDefs); i++)
            names[i] = mvCpuModelDefs[i].name;
        g_once_init_leave(&init, 1);
    }
    return names;
}

const char *
mvHostCPUModelVendor(const char *model)
{
    const mvCpuModelDef *m = mvHostCPUModelFind(model);
    return m ? m->vendor : NULL;
}

gboolean
mvHostCPUModelFeatures(const char *model, GPtrArray *out)
{
    const mvCpuModelDef *m = mvHostCPUModelFind(model);
    g_auto(GStrv) parts = NULL;
    if (!m)
        return FALSE;
    parts = g_strsplit(m->features, " ", -1);
    for (char **p = parts; *p; p++)
        if (**p)
            g_ptr_array_add(out, g_strdup(*p));
    return TRUE;
}

void
mvHostCPUFree(mvHostCPU *cpu)
{
    if (!cpu)
        return;
    g_free(cpu->arch);
    g_free(cpu->model);
    g_free(cpu->vendor);
    if (cpu->features)
        g_ptr_array_unref(cpu->features);
    if (cpu->allFeatures)
        g_ptr_array_unref(cpu->allFeatures);
    g_free(cpu);
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__linux__)

/* MSR value from /dev/cpu/0/msr, or from KVM's feature MSRs. */
static gboolean
mvHostReadMSR(unsigned int index, unsigned long long *value)
{
    int fd = open("/dev/cpu/0/msr", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t r = pread(fd, value, sizeof(*value), index);
        close(fd);
        if (r == (ssize_t)sizeof(*value))
            return TRUE;
    }
# ifdef KVM_CAP_GET_MSR_FEATURES
    fd = open("/dev/kvm", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct {
            struct kvm_msrs head;
            struct kvm_msr_entry entry;
        } msrs;
        gboolean ok = FALSE;
        memset(&msrs, 0, sizeof(msrs));
        msrs.head.nmsrs = 1;
        msrs.entry.index = index;
        if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_MSR_FEATURES) > 0 &&
            ioctl(fd, KVM_GET_MSRS, &msrs) == 1) {
            *value = msrs.entry.data;
            ok = TRUE;
        }
        close(fd);
        return ok;
    }
# endif
    return FALSE;
}

/* TSC frequency (Hz) as KVM sees it, and whether KVM can scale it. */
static void
mvHostTscInfo(unsigned long long *hz, gboolean *scaling)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    int vm = -1, vcpu = -1;
    *hz = 0;
    *scaling = FALSE;
    if (kvm < 0)
        return;
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm >= 0)
        vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu >= 0) {
        int khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
        if (khz > 0)
            *hz = (unsigned long long)khz * 1000ULL;
        *scaling = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_CONTROL) > 0;
        close(vcpu);
    }
    if (vm >= 0)
        close(vm);
    close(kvm);
}

static void
mvHostCPUSignature(unsigned int eax, unsigned int *family, unsigned int *model,
                   unsigned int *stepping)
{
    unsigned int fam = (eax >> 8) & 0xf;
    unsigned int mod = (eax >> 4) & 0xf;
    *stepping = eax & 0xf;
    if (fam == 0xf)
        fam += (eax >> 20) & 0xff;
    if (fam == 0x6 || fam >= 0xf)
        mod += ((eax >> 16) & 0xf) << 4;
    *family = fam;
    *model = mod;
}

static gboolean
mvHostSignatureMatch(const char *sigs, unsigned int family, unsigned int model)
{
    g_auto(GStrv) parts = g_strsplit(sigs, " ", -1);
    for (char **p = parts; *p; p++) {
        unsigned int f, m;
        if (sscanf(*p, "%u:%u", &f, &m) == 2 && f == family && m == model)
            return TRUE;
    }
    return FALSE;
}

static void
mvHostCPUDecodeX86(mvHostCPU *cpu)
{
    unsigned int a, b, c, d, maxBasic, maxExt;
    unsigned int regs[4];
    char vendorStr[13];
    gboolean has[G_N_ELEMENTS(mvCpuFeatureDefs)];
    g_autoptr(GHashTable) hostSet = g_hash_table_new(g_str_hash, g_str_equal);
    const mvCpuModelDef *best = NULL;
    gboolean bestSig = FALSE;
    guint bestExtra = G_MAXUINT;
    unsigned long long archCaps = 0;
    gboolean haveArchCaps = FALSE;

    __cpuid(0, maxBasic, b, c, d);
    memcpy(vendorStr, &b, 4);
    memcpy(vendorStr + 4, &d, 4);
    memcpy(vendorStr + 8, &c, 4);
    vendorStr[12] = '\0';
    if (g_str_equal(vendorStr, "GenuineIntel"))
        cpu->vendor = g_strdup("Intel");
    else if (g_str_equal(vendorStr, "AuthenticAMD"))
        cpu->vendor = g_strdup("AMD");
    else if (g_str_equal(vendorStr, "HygonGenuine"))
        cpu->vendor = g_strdup("Hygon");
    __cpuid(0x80000000, maxExt, b, c, d);

    if (maxBasic >= 1) {
        __cpuid(1, a, b, c, d);
        mvHostCPUSignature(a, &cpu->family, &cpu->cpuModel, &cpu->stepping);
        cpu->haveSignature = TRUE;
    }
    if (maxExt >= 0x80000008) {
        __cpuid(0x80000008, a, b, c, d);
        cpu->physAddrBits = a & 0xff;
    }

    for (size_t i = 0; i < G_N_ELEMENTS(mvCpuFeatureDefs); i++) {
        const mvCpuFeatureDef *f = &mvCpuFeatureDefs[i];
        has[i] = FALSE;
        if (f->msr) {
            if (!haveArchCaps && f->leaf == 0x10a) {
                /* only when CPUID advertises IA32_ARCH_CAPABILITIES */
                if (maxBasic >= 7) {
                    __cpuid_count(7, 0, a, b, c, d);
                    if (d & (1u << 29))
                        haveArchCaps = mvHostReadMSR(0x10a, &archCaps);
                }
                if (!haveArchCaps)
                    archCaps = 0;
                haveArchCaps = TRUE;
            }
            if (f->leaf == 0x10a) {
                unsigned int half = f->reg == 3 ? (unsigned int)(archCaps >> 32)
                                                : (unsigned int)archCaps;
                has[i] = (half >> f->bit) & 1;
            }
            continue;
        }
        if (f->leaf < 0x80000000) {
            if (f->leaf > maxBasic)
                continue;
        } else if (f->leaf >= 0xc0000000 || f->leaf > maxExt) {
            continue;
        }
        __cpuid_count(f->leaf, f->subleaf, regs[0], regs[1], regs[2], regs[3]);
        has[i] = (regs[f->reg] >> f->bit) & 1;
    }

    cpu->allFeatures = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; i < G_N_ELEMENTS(mvCpuFeatureDefs); i++) {
        if (has[i] && !g_hash_table_contains(hostSet, mvCpuFeatureDefs[i].name)) {
            g_hash_table_add(hostSet, (gpointer)mvCpuFeatureDefs[i].name);
            g_ptr_array_add(cpu->allFeatures, g_strdup(mvCpuFeatureDefs[i].name));
        }
    }
    /* Broken TSX on some Haswell steppings is not reported. */
    if (cpu->vendor && g_str_equal(cpu->vendor, "Intel") && cpu->family == 6 &&
        ((cpu->cpuModel == 63 && cpu->stepping < 4) || cpu->cpuModel == 60 ||
         cpu->cpuModel == 69 || cpu->cpuModel == 70)) {
        g_hash_table_remove(hostSet, "hle");
        g_hash_table_remove(hostSet, "rtm");
    }

    /* Pick the model that leaves the fewest extra features, preferring one
     * whose signature matches the host; a model needing a feature the host
     * lacks is never picked. */
    for (size_t m = 0; m < G_N_ELEMENTS(mvCpuModelDefs); m++) {
        const mvCpuModelDef *md = &mvCpuModelDefs[m];
        g_auto(GStrv) feats = NULL;
        g_autoptr(GHashTable) modelSet = NULL;
        gboolean ok = TRUE, sig;
        guint extra = 0;
        GHashTableIter it;
        gpointer key;

        if (!md->decodeHost)
            continue;
        if (md->vendor && cpu->vendor && !g_str_equal(md->vendor, cpu->vendor))
            continue;
        feats = g_strsplit(md->features, " ", -1);
        modelSet = g_hash_table_new(g_str_hash, g_str_equal);
        for (char **f = feats; *f && ok; f++) {
            if (!**f)
                continue;
            if (!g_hash_table_contains(hostSet, *f))
                ok = FALSE;
            g_hash_table_add(modelSet, *f);
        }
        if (!ok)
            continue;
        g_hash_table_iter_init(&it, hostSet);
        while (g_hash_table_iter_next(&it, &key, NULL))
            if (!g_hash_table_contains(modelSet, key))
                extra++;
        sig = cpu->haveSignature && mvHostSignatureMatch(md->signatures, cpu->family, cpu->cpuModel);
        if (best) {
            if (bestSig && !sig)
                continue;
            if (!(sig && !bestSig) && extra >= bestExtra)
                continue;
        }
        best = md;
        bestSig = sig;
        bestExtra = extra;
    }

    cpu->features = g_ptr_array_new_with_free_func(g_free);
    if (best) {
        g_auto(GStrv) feats = g_strsplit(best->features, " ", -1);
        g_autoptr(GHashTable) modelSet = g_hash_table_new(g_str_hash, g_str_equal);
        cpu->model = g_strdup(best->name);
        for (char **f = feats; *f; f++)
            g_hash_table_add(modelSet, *f);
        for (guint i = 0; i < cpu->allFeatures->len; i++) {
            const char *n = g_ptr_array_index(cpu->allFeatures, i);
            if (g_hash_table_contains(hostSet, n) && !g_hash_table_contains(modelSet, n))
                g_ptr_array_add(cpu->features, g_strdup(n));
        }
    }

    if (g_hash_table_contains(hostSet, "invtsc"))
        mvHostTscInfo(&cpu->tscFrequency, &cpu->tscScaling);
}
#endif

static void
mvHostCPUMicrocode(mvHostCPU *cpu)
{
    g_autofree char *path = mvHostProcPath("/proc/cpuinfo");
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    if (!g_file_get_contents(path, &text, NULL, NULL))
        return;
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l; l++) {
        const char *colon;
        if (!g_str_has_prefix(*l, "microcode"))
            continue;
        colon = strchr(*l, ':');
        if (!colon)
            continue;
        cpu->microcode = g_ascii_strtoull(colon + 1, NULL, 0);
        cpu->haveMicrocode = TRUE;
        return;
    }
}

mvHostCPU *
mvHostCPUGet(void)
{
    struct utsname ut;
    mvNodeInfo info;
    mvHostCPU *cpu = g_new0(mvHostCPU, 1);

    uname(&ut);
    cpu->arch = g_strdup(g_str_equal(ut.machine, "i386") || g_str_equal(ut.machine, "i586")
                         ? "i686" : ut.machine);
    if (mvHostGetNodeInfo(&info) == 0) {
        cpu->sockets = info.sockets;
        cpu->dies = 1;
        cpu->cores = info.cores;
        cpu->threads = info.threads;
    } else {
        mvErrorReset();
    }
    mvHostCPUMicrocode(cpu);
#if (defined(__x86_64__) || defined(__i386__)) && defined(__linux__)
    mvHostCPUDecodeX86(cpu);
#endif
    if (!cpu->features)
        cpu->features = g_ptr_array_new_with_free_func(g_free);
    if (!cpu->allFeatures)
        cpu->allFeatures = g_ptr_array_new_with_free_func(g_free);
    return cpu;
}
