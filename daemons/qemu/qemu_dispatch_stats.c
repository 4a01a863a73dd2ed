/* REMOTE procedures that read a domain's statistics (memory, vcpus, cpu time,
 * block and interface counters, the bulk domstats records, guest addresses)
 * and the few live changes that come with them (balloon, vcpu hotplug,
 * memory stats period, send-key, screenshot).
 *
 * Locking follows docs/qemu-driver.md: handlers that only read the
 * definition or /proc take the object lock; handlers that talk to QEMU take
 * the job and drop the lock around each monitor call. */
#define MV_FROM_THIS MV_FROM_QEMU
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libxml/tree.h>
#include <json-c/json.h>
#include "qemu_agent.h"
#include "qemu_driver.h"
#include "qemu_monitor.h"
#include "qemu_process.h"
#include "qemu_typedparams.h"
#include "remote/remote.h"
#include "rpc/stream.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/hostinfo.h"
#include "util/log.h"
#include "util/uuid.h"
#include "xml/xmlutil.h"

/* json_object released at scope exit (not g_autoptr: its cleanup may be
 * declared by a shared header one day) */
static void
jsonPutp(json_object **p)
{
    if (*p)
        json_object_put(*p);
}
#define JSON_AUTO __attribute__((cleanup(jsonPutp)))

/* qemu_command.c: the <alias name> of a device (NULL when none) */
char *qemuDeviceGetAlias(const mvDomainDeviceDef *dev);

int qemuDomainSetMemoryLive(qemuDomainObj *obj, unsigned long long kib);
int qemuDomainSetVcpusLive(qemuDomainObj *obj, unsigned int nvcpus);

/* libvirt's public numbers */
#define AFFECT_LIVE 1
#define AFFECT_CONFIG 2

enum {
    MEMSTAT_SWAP_IN = 0, MEMSTAT_SWAP_OUT = 1, MEMSTAT_MAJOR_FAULT = 2,
    MEMSTAT_MINOR_FAULT = 3, MEMSTAT_UNUSED = 4, MEMSTAT_AVAILABLE = 5,
    MEMSTAT_ACTUAL_BALLOON = 6, MEMSTAT_RSS = 7, MEMSTAT_USABLE = 8,
    MEMSTAT_LAST_UPDATE = 9, MEMSTAT_DISK_CACHES = 10, MEMSTAT_HUGETLB_PGALLOC = 11,
    MEMSTAT_HUGETLB_PGFAIL = 12, MEMSTAT_NR = 13,
};

#define VCPU_RUNNING 1

#define STATS_STATE 1
#define STATS_CPU_TOTAL 2
#define STATS_BALLOON 4
#define STATS_VCPU 8
#define STATS_INTERFACE 16
#define STATS_BLOCK 32
#define STATS_PERF 64
#define STATS_IOTHREAD 128
#define STATS_MEMORY 256
#define STATS_DIRTYRATE 512
#define STATS_VM 1024
#define STATS_SUPPORTED 2047u
#define STATS_NEED_MONITOR (STATS_BALLOON | STATS_VCPU | STATS_BLOCK | STATS_DIRTYRATE)

#define LIST_ACTIVE 1u
#define LIST_INACTIVE 2u
#define LIST_PERSISTENT 4u
#define LIST_TRANSIENT 8u
#define LIST_RUNNING 16u
#define LIST_PAUSED 32u
#define LIST_SHUTOFF 64u
#define LIST_OTHER 128u
#define STATS_NOWAIT (1u << 29)
#define STATS_BACKING (1u << 30)
#define STATS_ENFORCE (1u << 31)

#define IFADDR_SRC_LEASE 0
#define IFADDR_SRC_AGENT 1
#define IFADDR_SRC_ARP 2

#define HOSTNAME_LEASE 1
#define HOSTNAME_AGENT 2

#define MONITOR_COMMAND_HMP 1

#define MEMORY_PARAM_UNLIMITED 9007199254740991ULL

/* ---- object helpers -------------------------------------------------------- */

static void
reportNoDomain(remote_nonnull_domain *dom)
{
    char uuidstr[MV_UUID_STRING_BUFLEN];

    mvErrorReset();
    mvUUIDFormat((const unsigned char *)dom->uuid, uuidstr);
    mvReportError(MV_ERR_NO_DOMAIN, "no domain with matching uuid '%s' (%s)", uuidstr, dom->name);
}

/* Locked and referenced; NULL + error. */
static qemuDomainObj *
objGet(struct mvRpcCall *call, remote_nonnull_domain *dom)
{
    qemuDomainObj *obj;

    if (!mvRemoteConnect(call))
        return NULL;
    if (!(obj = qemuDomainObjListFindByUUID(qemu_driver->domains,
                                            (const unsigned char *)dom->uuid)))
        reportNoDomain(dom);
    return obj;
}

/* Take the job on a locked object from objGet (an extra reference keeps it
 * alive should it leave the list meanwhile).  On failure the object is
 * released and *obj cleared. */
static int
objBeginJob(qemuDomainObj **obj)
{
    qemuDomainObjRef(*obj);
    if (qemuDomainObjBeginJob(*obj) < 0) {
        qemuDomainObjUnref(*obj);
        qemuDomainObjEndAPI(obj);
        return -1;
    }
    return 0;
}

static void
objEndJob(qemuDomainObj **obj)
{
    qemuDomainObjEndJob(*obj);
    qemuDomainObjUnref(*obj);
    qemuDomainObjEndAPI(obj);
}

static qemuDomainObj *
objGetJob(struct mvRpcCall *call, remote_nonnull_domain *dom)
{
    qemuDomainObj *obj = objGet(call, dom);

    if (!obj || objBeginJob(&obj) < 0)
        return NULL;
    return obj;
}

static int
checkActive(qemuDomainObj *obj)
{
    if (!qemuDomainObjIsActive(obj)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        return -1;
    }
    return 0;
}

/* Monitor access inside the job: obj locked on entry and exit. */
static qemuMonitor *
monEnter(qemuDomainObj *obj)
{
    qemuMonitor *mon;

    if (checkActive(obj) < 0)
        return NULL;
    if (!obj->mon) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "QEMU monitor was closed");
        return NULL;
    }
    mon = qemuMonitorRef(obj->mon);
    qemuDomainObjEnterMonitor(obj);
    return mon;
}

/* Returns -1 + error when the guest died meanwhile. */
static int
monExit(qemuDomainObj *obj, qemuMonitor *mon)
{
    qemuDomainObjExitMonitor(obj);
    qemuMonitorUnref(mon);
    if (!qemuDomainObjIsActive(obj)) {
        if (mvErrorGetLastCode() == MV_ERR_OK)
            mvReportError(MV_ERR_OPERATION_FAILED, "%s", "domain is no longer running");
        return -1;
    }
    return 0;
}

/* Run @cmd (args taken over) on the monitor inside the job. */
static int
monCommand(qemuDomainObj *obj, const char *cmd, json_object *args, json_object **reply)
{
    qemuMonitor *mon;
    int rc;

    if (!(mon = monEnter(obj))) {
        json_object_put(args);
        return -1;
    }
    rc = qemuMonitorCommand(mon, cmd, args, reply, 0);
    if (monExit(obj, mon) < 0)
        rc = -1;
    return rc;
}

static xmlNode *
defExtra(const mvDomainDef *def, const char *name)
{
    guint i;

    if (!def->extra)
        return NULL;
    for (i = 0; i < def->extra->len; i++) {
        xmlNode *n = g_ptr_array_index(def->extra, i);
        if (n && n->type == XML_ELEMENT_NODE && mvXMLNodeIs(n, name))
            return n;
    }
    return NULL;
}

static mvDomainDeviceDef *
defBalloon(const mvDomainDef *def)
{
    mvDomainDeviceDef *dev;
    g_autofree char *model = NULL;

    if (def->ndevs[MV_DOMAIN_DEVICE_MEMBALLOON] == 0)
        return NULL;
    dev = def->devs[MV_DOMAIN_DEVICE_MEMBALLOON][0];
    model = mvXMLProp(dev->node, "model");
    if (!model || strcmp(model, "none") == 0)
        return NULL;
    return dev;
}

/* ---- /proc ----------------------------------------------------------------- */

typedef struct {
    unsigned long long cpuTimeNs;
    unsigned long long userNs;
    unsigned long long sysNs;
    int cpu;
    long rssPages;
} procStat;

/* /proc/PID/stat or /proc/PID/task/TID/stat. */
static int
procReadStat(pid_t pid, pid_t tid, procStat *st)
{
    g_autofree char *path = tid ? g_strdup_printf("/proc/%d/task/%d/stat", (int)pid, (int)tid)
                                : g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *buf = NULL;
    g_auto(GStrv) f = NULL;
    const char *p;
    long tck = sysconf(_SC_CLK_TCK);
    unsigned long long ut, stt;

    memset(st, 0, sizeof(*st));
    if (!g_file_get_contents(path, &buf, NULL, NULL) || tck <= 0)
        return -1;
    /* the command name may hold spaces and parentheses: fields start after the last ')' */
    if (!(p = strrchr(buf, ')')))
        return -1;
    f = g_strsplit_set(p + 2, " \n", -1);
    /* f[0] is field 3 (state) */
    if (g_strv_length(f) < 37)
        return -1;
    ut = g_ascii_strtoull(f[11], NULL, 10);
    stt = g_ascii_strtoull(f[12], NULL, 10);
    st->userNs = ut * (1000000000ULL / tck);
    st->sysNs = stt * (1000000000ULL / tck);
    st->cpuTimeNs = st->userNs + st->sysNs;
    st->rssPages = g_ascii_strtoll(f[21], NULL, 10);
    st->cpu = (int)g_ascii_strtoll(f[36], NULL, 10);
    return 0;
}

/* VmRSS of /proc/PID/status in KiB, -1 when unknown. */
static long long
procRssKiB(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
    g_autofree char *buf = NULL;
    const char *p;

    if (!g_file_get_contents(path, &buf, NULL, NULL))
        return -1;
    if (!(p = strstr(buf, "\nVmRSS:")))
        return -1;
    return g_ascii_strtoll(p + 7, NULL, 10);
}

/* wait_sum of /proc/PID/task/TID/sched in ns (0 when not available). */
static unsigned long long
procSchedWait(pid_t pid, pid_t tid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/sched", (int)pid, (int)tid);
    g_autofree char *buf = NULL;
    g_auto(GStrv) lines = NULL;
    size_t i;

    if (!g_file_get_contents(path, &buf, NULL, NULL))
        return 0;
    lines = g_strsplit(buf, "\n", -1);
    for (i = 0; lines[i]; i++) {
        char *l = g_strstrip(lines[i]);
        char *colon;
        if (!g_str_has_prefix(l, "se.statistics.wait_sum") && !g_str_has_prefix(l, "wait_sum") &&
            !g_str_has_prefix(l, "se.wait_sum"))
            continue;
        if (!(colon = strchr(l, ':')))
            continue;
        return (unsigned long long)(g_ascii_strtod(colon + 1, NULL) * 1000000.0);
    }
    return 0;
}

/* Second field of /proc/PID/task/TID/schedstat (run-queue wait, ns). */
static unsigned long long
procSchedDelay(pid_t pid, pid_t tid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
    g_autofree char *buf = NULL;
    unsigned long long run, delay;

    if (!g_file_get_contents(path, &buf, NULL, NULL))
        return 0;
    if (sscanf(buf, "%llu %llu", &run, &delay) != 2)
        return 0;
    return delay;
}

/* Thread ids of the vcpus 0..maxv-1 from the thread names QEMU gives them
 * with -name debug-threads=on ("CPU 3/TCG", "CPU 3/KVM").  Returns the
 * number found; tids[i] = 0 for the others. */
static unsigned int
procVcpuTids(pid_t pid, pid_t *tids, unsigned int maxv)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)pid);
    DIR *d;
    struct dirent *de;
    unsigned int found = 0;

    memset(tids, 0, sizeof(*tids) * maxv);
    if (!(d = opendir(dir)))
        return 0;
    while ((de = readdir(d))) {
        g_autofree char *path = NULL;
        g_autofree char *comm = NULL;
        unsigned int idx;
        char kind[16];
        long tid;

        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        tid = strtol(de->d_name, NULL, 10);
        path = g_strdup_printf("%s/%s/comm", dir, de->d_name);
        if (!g_file_get_contents(path, &comm, NULL, NULL))
            continue;
        if (sscanf(comm, "CPU %u/%15s", &idx, kind) != 2 || idx >= maxv)
            continue;
        if (!tids[idx])
            found++;
        tids[idx] = (pid_t)tid;
    }
    closedir(d);
    return found;
}

/* The vcpu thread ids of the online vcpus (0..vcpusCurrent-1); from thread
 * names, or query-cpus-fast when @haveJob and names are missing.  Without
 * either, missing entries fall back to the main QEMU thread. */
static pid_t *
vcpuTids(qemuDomainObj *obj, gboolean haveJob, unsigned int *nout)
{
    unsigned int maxv = MAX(obj->def->vcpusMax, 1);
    unsigned int cur = obj->def->vcpusCurrent ? obj->def->vcpusCurrent : maxv;
    g_autofree pid_t *tids = g_new0(pid_t, maxv);
    unsigned int i, found;

    found = procVcpuTids(obj->pid, tids, maxv);
    if (found < cur && haveJob && obj->mon) {
        qemuMonitor *mon = monEnter(obj);
        GArray *arr = NULL;
        int rc = -1;

        if (mon) {
            rc = qemuMonitorQueryCpusFast(mon, &arr);
            if (monExit(obj, mon) < 0)
                rc = -1;
        }
        if (rc == 0 && arr) {
            for (i = 0; i < maxv && i < arr->len; i++) {
                if (!tids[i] && g_array_index(arr, gint, i) > 0)
                    tids[i] = g_array_index(arr, gint, i);
            }
        }
        if (arr)
            g_array_unref(arr);
        mvErrorReset();
    }
    for (i = 0; i < cur && i < maxv; i++) {
        if (!tids[i])
            tids[i] = obj->pid;
    }
    *nout = MIN(cur, maxv);
    return g_steal_pointer(&tids);
}

/* ---- cpu maps --------------------------------------------------------------- */

/* "0-3,^2,5" -> bits in @map (size @nbits); -1 on syntax error. */
static int
parseCpuset(const char *str, unsigned char *map, unsigned int nbits)
{
    g_auto(GStrv) parts = g_strsplit(str, ",", -1);
    size_t i;

    for (i = 0; parts[i]; i++) {
        char *p = g_strstrip(parts[i]);
        gboolean neg = FALSE;
        unsigned long a, b;
        char *end;

        if (!*p)
            continue;
        if (*p == '^') {
            neg = TRUE;
            p++;
        }
        a = b = strtoul(p, &end, 10);
        if (end == p)
            return -1;
        if (*end == '-') {
            p = end + 1;
            b = strtoul(p, &end, 10);
            if (end == p)
                return -1;
        }
        if (*end)
            return -1;
        for (; a <= b && a < nbits; a++) {
            if (neg)
                map[a / 8] &= ~(1u << (a % 8));
            else
                map[a / 8] |= 1u << (a % 8);
        }
    }
    return 0;
}

/* The online host CPUs as a map of @maplen bytes. */
static void
hostCpuMap(unsigned char *dst, int maplen)
{
    g_autofree unsigned char *online = NULL;
    int ncpus = mvHostGetCPUMap(&online, NULL);
    int bytes;

    memset(dst, 0, maplen);
    if (ncpus <= 0 || !online) {
        mvErrorReset();
        return;
    }
    bytes = MIN(maplen, (ncpus + 7) / 8);
    memcpy(dst, online, bytes);
}

/* @str (a cpuset) into dst, limited to host CPUs; all host CPUs when NULL. */
static void
cpusetToMap(const char *str, unsigned char *dst, int maplen)
{
    g_autofree unsigned char *tmp = NULL;

    if (!str || !*str) {
        hostCpuMap(dst, maplen);
        return;
    }
    tmp = g_new0(unsigned char, maplen);
    if (parseCpuset(str, tmp, (unsigned int)maplen * 8) < 0) {
        hostCpuMap(dst, maplen);
        return;
    }
    memcpy(dst, tmp, maplen);
}

/* Affinity of thread @tid into @dst. */
static void
threadAffinity(pid_t tid, unsigned char *dst, int maplen)
{
    cpu_set_t set;
    int i;

    memset(dst, 0, maplen);
    CPU_ZERO(&set);
    if (sched_getaffinity(tid, sizeof(set), &set) < 0) {
        hostCpuMap(dst, maplen);
        return;
    }
    for (i = 0; i < maplen * 8 && i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &set))
            dst[i / 8] |= 1u << (i % 8);
    }
}

/* <cputune><vcpupin vcpu='N' cpuset=.../> of @def, or NULL. */
static char *
vcpuPinOf(const mvDomainDef *def, unsigned int vcpu)
{
    xmlNode *ct = defExtra(def, "cputune");
    xmlNode *n;

    if (!ct)
        return NULL;
    for (n = mvXMLChild(ct, "vcpupin"); n; n = mvXMLNextNamed(n, "vcpupin")) {
        unsigned int id;
        if (mvXMLPropUInt(n, "vcpu", 10, &id) == 1 && id == vcpu)
            return mvXMLProp(n, "cpuset");
    }
    return NULL;
}

/* ---- memory ----------------------------------------------------------------- */

typedef struct { int tag; unsigned long long val; } memStat;

/* libvirt's memory stats, in its order; the job is held.  Returns count or -1. */
static int
memoryStatsGather(qemuDomainObj *obj, memStat *out, int max)
{
    static const struct { const char *key; int tag; } order[] = {
        { "swap_in", MEMSTAT_SWAP_IN }, { "swap_out", MEMSTAT_SWAP_OUT },
        { "major_fault", MEMSTAT_MAJOR_FAULT }, { "minor_fault", MEMSTAT_MINOR_FAULT },
        { "unused", MEMSTAT_UNUSED }, { "available", MEMSTAT_AVAILABLE },
        { "usable", MEMSTAT_USABLE }, { "last_update", MEMSTAT_LAST_UPDATE },
        { "disk_caches", MEMSTAT_DISK_CACHES }, { "hugetlb_pgalloc", MEMSTAT_HUGETLB_PGALLOC },
        { "hugetlb_pgfail", MEMSTAT_HUGETLB_PGFAIL },
    };
    int n = 0;
    long long rss;

    if (checkActive(obj) < 0)
        return -1;
    if (defBalloon(obj->def)) {
        qemuMonitor *mon = monEnter(obj);
        unsigned long long actual = 0;
        GHashTable *table = NULL;
        int rcb, rcs;

        if (!mon)
            return -1;
        rcb = qemuMonitorQueryBalloon(mon, &actual);
        rcs = qemuMonitorGetMemoryStats(mon, &table);
        if (monExit(obj, mon) < 0) {
            if (table)
                g_hash_table_unref(table);
            return -1;
        }
        if (rcb == 0 && n < max)
            out[n++] = (memStat){ MEMSTAT_ACTUAL_BALLOON, actual };
        if (rcs == 0 && table) {
            size_t i;
            for (i = 0; i < G_N_ELEMENTS(order) && n < max; i++) {
                guint64 *v = g_hash_table_lookup(table, order[i].key);
                if (v)
                    out[n++] = (memStat){ order[i].tag, *v };
            }
        }
        if (table)
            g_hash_table_unref(table);
        mvErrorReset();
        if (n >= max)
            return n;
    }
    if ((rss = procRssKiB(obj->pid)) >= 0)
        out[n++] = (memStat){ MEMSTAT_RSS, (unsigned long long)rss };
    return n;
}

int
mvRemoteDispatchDomainMemoryStats(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_memory_stats_args *args = a;
    remote_domain_memory_stats_ret *ret = r;
    qemuDomainObj *obj;
    memStat stats[MEMSTAT_NR];
    int n, i;

    if (args->maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "maxStats > REMOTE_DOMAIN_MEMORY_STATS_MAX");
        return -1;
    }
    if (qemuCheckFlags(args->flags, 0, "qemuDomainMemoryStats") < 0)
        return -1;
    if (!(obj = objGetJob(call, &args->dom)))
        return -1;
    n = memoryStatsGather(obj, stats, MIN((int)args->maxStats, MEMSTAT_NR));
    objEndJob(&obj);
    if (n < 0)
        return -1;
    ret->stats.stats_val = g_new0(remote_domain_memory_stat, MAX(n, 1));
    for (i = 0; i < n; i++) {
        ret->stats.stats_val[i].tag = stats[i].tag;
        ret->stats.stats_val[i].val = stats[i].val;
    }
    ret->stats.stats_len = n;
    return 0;
}

/* <memballoon><stats period='N'/> as its first child. */
static void
balloonSetPeriod(mvDomainDeviceDef *balloon, int period)
{
    xmlNode *st = mvXMLChild(balloon->node, "stats");
    g_autofree char *val = g_strdup_printf("%d", period);

    if (!st) {
        xmlNode *first = balloon->node->children;
        st = xmlNewDocNode(balloon->node->doc, NULL, BAD_CAST "stats", NULL);
        while (first && first->type != XML_ELEMENT_NODE)
            first = first->next;
        if (first)
            xmlAddPrevSibling(first, st);
        else
            xmlAddChild(balloon->node, st);
    }
    mvXMLSetProp(st, "period", val);
}

int
mvRemoteDispatchDomainSetMemoryStatsPeriod(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_set_memory_stats_period_args *args = a;
    unsigned int flags = args->flags;
    qemuDomainObj *obj;
    mvDomainDeviceDef *balloon;
    int rc = -1;

    if (qemuCheckFlags(flags, AFFECT_LIVE | AFFECT_CONFIG, "qemuDomainSetMemoryStatsPeriod") < 0)
        return -1;
    if (!(obj = objGetJob(call, &args->dom)))
        return -1;
    if ((flags & (AFFECT_LIVE | AFFECT_CONFIG)) == 0)
        flags |= qemuDomainObjIsActive(obj) ? AFFECT_LIVE : AFFECT_CONFIG;
    if ((flags & AFFECT_LIVE) && checkActive(obj) < 0)
        goto cleanup;
    if ((flags & AFFECT_CONFIG) && !obj->persistent) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s",
                      "transient domains do not have any persistent config");
        goto cleanup;
    }
    if (args->period < 0) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "invalid value for collection period");
        goto cleanup;
    }
    if (flags & AFFECT_LIVE) {
        qemuMonitor *mon;
        int r2;

        if (!(balloon = defBalloon(obj->def))) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                          "No memory balloon device configured, can not set the collection period");
            goto cleanup;
        }
        if (!(mon = monEnter(obj)))
            goto cleanup;
        r2 = qemuMonitorSetMemoryStatsPeriod(mon, args->period);
        if (monExit(obj, mon) < 0)
            goto cleanup;
        if (r2 < 0) {
            mvErrorReset();
            mvReportError(MV_ERR_OPERATION_INVALID, "%s",
                          "unable to set balloon driver collection period");
            goto cleanup;
        }
        balloonSetPeriod(balloon, args->period);
        qemuProcessSaveStatus(obj);
    }
    if (flags & AFFECT_CONFIG) {
        mvDomainDef *pdef = qemuDomainObjGetPersistentDef(obj);
        if (!(balloon = defBalloon(pdef))) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                          "No memory balloon device configured, can not set the collection period");
            goto cleanup;
        }
        balloonSetPeriod(balloon, args->period);
        if (qemuDomainObjSaveConfig(qemu_driver->domains, obj) < 0)
            goto cleanup;
    }
    rc = 0;
 cleanup:
    objEndJob(&obj);
    return rc;
}

/* setmem --live: called with @obj locked (and referenced), without the job. */
int
qemuDomainSetMemoryLive(qemuDomainObj *obj, unsigned long long kib)
{
    qemuMonitor *mon;
    int rc = -1, r2;

    qemuDomainObjRef(obj);
    if (qemuDomainObjBeginJob(obj) < 0) {
        qemuDomainObjUnref(obj);
        return -1;
    }
    if (checkActive(obj) < 0)
        goto cleanup;
    if (kib > obj->def->memoryKiB) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "cannot set memory higher than max memory");
        goto cleanup;
    }
    if (!defBalloon(obj->def)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s",
                      "Unable to change memory of active domain without the balloon device and guest OS balloon driver");
        goto cleanup;
    }
    if (!(mon = monEnter(obj)))
        goto cleanup;
    r2 = qemuMonitorSetBalloon(mon, kib);
    if (monExit(obj, mon) < 0 || r2 < 0)
        goto cleanup;
    obj->def->currentMemoryKiB = kib;
    qemuProcessSaveStatus(obj);
    rc = 0;
 cleanup:
    qemuDomainObjEndJob(obj);
    qemuDomainObjUnref(obj);
    return rc;
}

/* ---- vcpu hotplug ------------------------------------------------------------ */

static long long
cpuPropOrder(const qemuMonitorHotpluggableCPU *c)
{
    static const char *const keys[] = { "node-id", "drawer-id", "book-id", "socket-id",
                                        "die-id", "cluster-id", "core-id", "thread-id" };
    long long v = 0;
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(keys); i++) {
        json_object *o = NULL;
        long long x = 0;
        if (c->props && json_object_object_get_ex(c->props, keys[i], &o))
            x = json_object_get_int64(o);
        if (i == 0)
            continue;    /* the NUMA node does not order the CPUs */
        v = v * 4096 + x;
    }
    return v;
}

static gint
cpuCompare(gconstpointer a, gconstpointer b)
{
    long long x = cpuPropOrder(*(qemuMonitorHotpluggableCPU *const *)a);
    long long y = cpuPropOrder(*(qemuMonitorHotpluggableCPU *const *)b);
    return x < y ? -1 : x > y;
}

static gboolean
cpuUnpluggable(const qemuMonitorHotpluggableCPU *c)
{
    return c->qomPath && g_str_has_prefix(c->qomPath, "/machine/peripheral/");
}

static int
queryCpus(qemuDomainObj *obj, GPtrArray **cpus)
{
    qemuMonitor *mon = monEnter(obj);
    int rc;

    *cpus = NULL;
    if (!mon)
        return -1;
    rc = qemuMonitorQueryVcpusHotpluggable(mon, cpus);
    if (monExit(obj, mon) < 0)
        rc = -1;
    if (rc < 0) {
        const char *msg = mvErrorGetLastMessage();
        if (strstr(msg, "does not support hot-plugging") || strstr(msg, "CommandNotFound")) {
            mvErrorReset();
            mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s", "cpu hotplug is not supported");
        }
        if (*cpus)
            g_ptr_array_unref(*cpus);
        *cpus = NULL;
        return -1;
    }
    g_ptr_array_sort(*cpus, cpuCompare);
    return 0;
}

/* setvcpus --live: @obj locked (and referenced), without the job. */
int
qemuDomainSetVcpusLive(qemuDomainObj *obj, unsigned int nvcpus)
{
    g_autoptr(GPtrArray) cpus = NULL;
    g_autofree gboolean *sel = NULL;
    unsigned int cur = 0, i;
    gboolean enable;
    int rc = -1;

    qemuDomainObjRef(obj);
    if (qemuDomainObjBeginJob(obj) < 0) {
        qemuDomainObjUnref(obj);
        return -1;
    }
    if (checkActive(obj) < 0)
        goto cleanup;
    if (nvcpus > obj->def->vcpusMax) {
        mvReportError(MV_ERR_INVALID_ARG,
                      "requested vcpus is greater than max allowable vcpus for the live domain: %u > %u",
                      nvcpus, obj->def->vcpusMax);
        goto cleanup;
    }
    if (queryCpus(obj, &cpus) < 0)
        goto cleanup;
    for (i = 0; i < cpus->len; i++) {
        qemuMonitorHotpluggableCPU *c = g_ptr_array_index(cpus, i);
        if (c->qomPath)
            cur += MAX(c->vcpus, 1);
    }
    if (cur == nvcpus) {
        obj->def->vcpusCurrent = nvcpus;
        rc = 0;
        goto done;
    }
    /* pick the entities first (libvirt's order), change nothing on failure */
    sel = g_new0(gboolean, cpus->len);
    enable = nvcpus > cur;
    if (enable) {
        for (i = 0; i < cpus->len && cur < nvcpus; i++) {
            qemuMonitorHotpluggableCPU *c = g_ptr_array_index(cpus, i);
            if (c->qomPath || c->vcpus <= 0)
                continue;
            cur += c->vcpus;
            if (cur > nvcpus) {
                mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                              "target vm vcpu granularity does not allow the desired vcpu count");
                goto cleanup;
            }
            sel[i] = TRUE;
        }
    } else {
        for (i = cpus->len; i > 0 && cur > nvcpus; i--) {
            qemuMonitorHotpluggableCPU *c = g_ptr_array_index(cpus, i - 1);
            if (!c->qomPath || c->vcpus <= 0 || !cpuUnpluggable(c))
                continue;
            cur -= c->vcpus;
            if (cur < nvcpus) {
                mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                              "target vm vcpu granularity does not allow the desired vcpu count");
                goto cleanup;
            }
            sel[i - 1] = TRUE;
        }
    }
    if (cur != nvcpus) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "failed to find appropriate hotpluggable vcpus to reach the desired target vcpu count");
        goto cleanup;
    }

    if (enable) {
        unsigned int idx = 0;
        for (i = 0; i < cpus->len; i++) {
            qemuMonitorHotpluggableCPU *c = g_ptr_array_index(cpus, i);
            json_object *props;
            qemuMonitor *mon;
            int r2;

            if (sel[i]) {
                props = json_object_new_object();
                json_object_object_add(props, "driver", json_object_new_string(c->type));
                {
                    g_autofree char *devid = g_strdup_printf("vcpu%u", idx);
                    json_object_object_add(props, "id", json_object_new_string(devid));
                }
                if (c->props) {
                    json_object_object_foreach(c->props, key, val)
                        json_object_object_add(props, key, json_object_get(val));
                }
                if (!(mon = monEnter(obj))) {
                    json_object_put(props);
                    goto update;
                }
                r2 = qemuMonitorDeviceAdd(mon, props);
                if (monExit(obj, mon) < 0 || r2 < 0)
                    goto update;
            }
            idx += MAX(c->vcpus, 1);
        }
    } else {
        unsigned int idx = 0;
        g_autofree unsigned int *first = g_new0(unsigned int, cpus->len);
        for (i = 0; i < cpus->len; i++) {
            qemuMonitorHotpluggableCPU *c = g_ptr_array_index(cpus, i);
            first[i] = idx;
            idx += MAX(c->vcpus, 1);
        }
        for (i = cpus->len; i > 0; i--) {
            qemuMonitorHotpluggableCPU *c = g_ptr_array_index(cpus, i - 1);
            const char *id;
            qemuMonitor *mon;
            gboolean gone = FALSE;
            int r2, tries;

            if (!sel[i - 1])
                continue;
            id = strrchr(c->qomPath, '/') + 1;
            if (!(mon = monEnter(obj)))
                goto update;
            r2 = qemuMonitorDeviceDel(mon, id);
            /* wait for the guest to release it (libvirt waits 5 s) */
            for (tries = 0; r2 == 0 && tries < 50 && !gone; tries++) {
                g_autoptr(GPtrArray) now = NULL;
                guint k;
                if (qemuMonitorQueryVcpusHotpluggable(mon, &now) < 0)
                    break;
                gone = TRUE;
                for (k = 0; k < now->len; k++) {
                    qemuMonitorHotpluggableCPU *n = g_ptr_array_index(now, k);
                    if (n->qomPath && strcmp(n->qomPath, c->qomPath) == 0)
                        gone = FALSE;
                }
                if (!gone)
                    g_usleep(100 * 1000);
            }
            if (monExit(obj, mon) < 0 || r2 < 0)
                goto update;
            if (!gone) {
                mvErrorReset();
                mvReportError(MV_ERR_OPERATION_TIMEOUT, "%s",
                              "vcpu unplug request timed out. Unplug result must be manually inspected in the domain");
                goto update;
            }
        }
    }
    rc = 0;

 update:
    /* record what QEMU now has, whatever happened above */
    {
        g_autoptr(mvError) saved = rc < 0 ? mvErrorSteal() : NULL;
        g_autoptr(GPtrArray) now = NULL;

        if (qemuDomainObjIsActive(obj) && queryCpus(obj, &now) == 0) {
            unsigned int count = 0;
            for (i = 0; i < now->len; i++) {
                qemuMonitorHotpluggableCPU *c = g_ptr_array_index(now, i);
                if (c->qomPath)
                    count += MAX(c->vcpus, 1);
            }
            if (count > 0 && count <= obj->def->vcpusMax)
                obj->def->vcpusCurrent = count;
        }
        mvErrorReset();
        if (saved)
            mvErrorRestore(g_steal_pointer(&saved));
    }
 done:
    if (qemuDomainObjIsActive(obj))
        qemuProcessSaveStatus(obj);
 cleanup:
    qemuDomainObjEndJob(obj);
    qemuDomainObjUnref(obj);
    return rc;
}

/* ---- vcpus ---------------------------------------------------------------- */

int
mvRemoteDispatchDomainGetVcpus(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_vcpus_args *args = a;
    remote_domain_get_vcpus_ret *ret = r;
    qemuDomainObj *obj;
    g_autofree pid_t *tids = NULL;
    unsigned int ntids = 0, i, n;
    gboolean haveJob = FALSE;
    int rc = -1;

    if (args->maxinfo < 0 || args->maxinfo > REMOTE_VCPUINFO_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "maxinfo > REMOTE_VCPUINFO_MAX");
        return -1;
    }
    if (args->maplen < 0 || (args->maplen > 0 &&
                             (long long)args->maxinfo * args->maplen > REMOTE_CPUMAPS_MAX)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "maxinfo * maplen > REMOTE_CPUMAPS_MAX");
        return -1;
    }
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (!qemuDomainObjIsActive(obj)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s",
                      "cannot retrieve vcpu information for inactive domain");
        goto cleanup;
    }
    {
        unsigned int maxv = MAX(obj->def->vcpusMax, 1);
        g_autofree pid_t *probe = g_new0(pid_t, maxv);
        unsigned int cur = obj->def->vcpusCurrent ? obj->def->vcpusCurrent : maxv;
        if (procVcpuTids(obj->pid, probe, maxv) < MIN(cur, maxv)) {
            /* thread names missing: ask QEMU, which needs the job */
            if (objBeginJob(&obj) < 0)
                return -1;
            haveJob = TRUE;
            if (checkActive(obj) < 0)
                goto cleanup;
        }
    }
    tids = vcpuTids(obj, haveJob, &ntids);
    n = MIN(ntids, (unsigned int)args->maxinfo);
    ret->info.info_val = g_new0(remote_vcpu_info, MAX(n, 1));
    ret->info.info_len = n;
    if (args->maplen > 0) {
        ret->cpumaps.cpumaps_len = args->maxinfo * args->maplen;
        ret->cpumaps.cpumaps_val = g_new0(char, MAX(ret->cpumaps.cpumaps_len, 1));
    }
    for (i = 0; i < n; i++) {
        procStat st;
        ret->info.info_val[i].number = i;
        ret->info.info_val[i].state = VCPU_RUNNING;
        if (procReadStat(obj->pid, tids[i], &st) == 0) {
            ret->info.info_val[i].cpu_time = st.cpuTimeNs;
            ret->info.info_val[i].cpu = st.cpu;
        }
        if (args->maplen > 0)
            threadAffinity(tids[i], (unsigned char *)ret->cpumaps.cpumaps_val + i * args->maplen,
                           args->maplen);
    }
    rc = 0;
 cleanup:
    if (haveJob)
        objEndJob(&obj);
    else
        qemuDomainObjEndAPI(&obj);
    return rc;
}

/* The definition @flags (LIVE/CONFIG/CURRENT) selects for a query. */
static const mvDomainDef *
queryDef(qemuDomainObj *obj, unsigned int flags, gboolean *live)
{
    gboolean active = qemuDomainObjIsActive(obj);

    if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG)) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "Flags 'live' and 'config' are mutually exclusive");
        return NULL;
    }
    if (!(flags & (AFFECT_LIVE | AFFECT_CONFIG)))
        flags |= active ? AFFECT_LIVE : AFFECT_CONFIG;
    if ((flags & AFFECT_LIVE) && !active) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        return NULL;
    }
    if ((flags & AFFECT_CONFIG) && !obj->persistent) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s",
                      "transient domains do not have any persistent config");
        return NULL;
    }
    if (live)
        *live = (flags & AFFECT_LIVE) != 0;
    return (flags & AFFECT_LIVE) ? obj->def : qemuDomainObjGetPersistentDef(obj);
}

int
mvRemoteDispatchDomainGetVcpuPinInfo(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_vcpu_pin_info_args *args = a;
    remote_domain_get_vcpu_pin_info_ret *ret = r;
    qemuDomainObj *obj;
    const mvDomainDef *def;
    int i, n;

    if (qemuCheckFlags(args->flags, AFFECT_LIVE | AFFECT_CONFIG, "qemuDomainGetVcpuPinInfo") < 0)
        return -1;
    if (args->ncpumaps < 0 || args->ncpumaps > REMOTE_VCPUINFO_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "ncpumaps > REMOTE_VCPUINFO_MAX");
        return -1;
    }
    if (args->maplen < 0 || (long long)args->ncpumaps * args->maplen > REMOTE_CPUMAPS_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "maxinfo * maplen > REMOTE_CPUMAPS_MAX");
        return -1;
    }
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (!(def = queryDef(obj, args->flags, NULL))) {
        qemuDomainObjEndAPI(&obj);
        return -1;
    }
    n = MIN(args->ncpumaps, (int)def->vcpusMax);
    ret->cpumaps.cpumaps_len = args->ncpumaps * args->maplen;
    ret->cpumaps.cpumaps_val = g_new0(char, MAX(ret->cpumaps.cpumaps_len, 1));
    for (i = 0; i < n && args->maplen > 0; i++) {
        g_autofree char *pin = vcpuPinOf(def, i);
        cpusetToMap(pin ? pin : def->vcpuCpuset,
                    (unsigned char *)ret->cpumaps.cpumaps_val + i * args->maplen, args->maplen);
    }
    mvErrorReset();
    ret->num = n;
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainGetEmulatorPinInfo(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_emulator_pin_info_args *args = a;
    remote_domain_get_emulator_pin_info_ret *ret = r;
    qemuDomainObj *obj;
    const mvDomainDef *def;
    g_autofree char *pin = NULL;
    xmlNode *ct;

    if (qemuCheckFlags(args->flags, AFFECT_LIVE | AFFECT_CONFIG,
                       "qemuDomainGetEmulatorPinInfo") < 0)
        return -1;
    if (args->maplen < 0 || args->maplen > REMOTE_CPUMAPS_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "maplen > REMOTE_CPUMAPS_MAX");
        return -1;
    }
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (!(def = queryDef(obj, args->flags, NULL))) {
        qemuDomainObjEndAPI(&obj);
        return -1;
    }
    if ((ct = defExtra(def, "cputune")))
        pin = mvXMLChildProp(ct, "emulatorpin", "cpuset");
    ret->cpumaps.cpumaps_len = args->maplen;
    ret->cpumaps.cpumaps_val = g_new0(char, MAX(args->maplen, 1));
    if (args->maplen > 0)
        cpusetToMap(pin ? pin : def->vcpuCpuset, (unsigned char *)ret->cpumaps.cpumaps_val,
                    args->maplen);
    ret->ret = 1;
    qemuDomainObjEndAPI(&obj);
    return 0;
}

/* ---- cpu stats ------------------------------------------------------------ */

/* Per host CPU: time of every QEMU thread / of the vcpu threads, each
 * thread's whole time charged to the CPU it last ran on (without cgroups
 * there is no finer per-CPU accounting). */
static void
perCpuTimes(qemuDomainObj *obj, unsigned long long *cpuTime, unsigned long long *vcpuTime,
            int ncpus)
{
    g_autofree char *dir = g_strdup_printf("/proc/%d/task", (int)obj->pid);
    g_autofree pid_t *vtids = NULL;
    unsigned int nv = 0, i;
    DIR *d;
    struct dirent *de;

    vtids = vcpuTids(obj, FALSE, &nv);
    if (!(d = opendir(dir)))
        return;
    while ((de = readdir(d))) {
        procStat st;
        pid_t tid;

        if (de->d_name[0] < '0' || de->d_name[0] > '9')
            continue;
        tid = (pid_t)strtol(de->d_name, NULL, 10);
        if (procReadStat(obj->pid, tid, &st) < 0 || st.cpu < 0 || st.cpu >= ncpus)
            continue;
        cpuTime[st.cpu] += st.cpuTimeNs;
        for (i = 0; i < nv; i++) {
            if (vtids[i] == tid && tid != obj->pid) {
                vcpuTime[st.cpu] += st.cpuTimeNs;
                break;
            }
        }
    }
    closedir(d);
}

int
mvRemoteDispatchDomainGetCpuStats(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_cpu_stats_args *args = a;
    remote_domain_get_cpu_stats_ret *ret = r;
    g_autoptr(qemuTypedParamList) list = qemuTypedParamListNew();
    qemuDomainObj *obj;
    int rc = -1;

    if (qemuCheckFlags(args->flags, QEMU_TYPED_PARAM_STRING_OKAY, "qemuDomainGetCPUStats") < 0)
        return -1;
    if (args->nparams > REMOTE_NODE_CPU_STATS_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "nparams too large");
        return -1;
    }
    if (args->ncpus > REMOTE_DOMAIN_GET_CPU_STATS_NCPUS_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "ncpus too large");
        return -1;
    }
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;

    if (args->start_cpu == -1) {
        procStat st;
        if (args->nparams == 0) {
            ret->nparams = 3;
            rc = 0;
            goto cleanup;
        }
        if (procReadStat(obj->pid, 0, &st) < 0) {
            mvReportSystemError(errno, "%s", "unable to read QEMU process statistics");
            goto cleanup;
        }
        if (qemuTypedParamListAddULLong(list, st.cpuTimeNs, "cpu_time") < 0 ||
            (args->nparams > 1 && qemuTypedParamListAddULLong(list, st.userNs, "user_time") < 0) ||
            (args->nparams > 2 && qemuTypedParamListAddULLong(list, st.sysNs, "system_time") < 0))
            goto cleanup;
        ret->nparams = list->n;
    } else {
        int total = mvHostGetCPUMap(NULL, NULL);
        int perCpu = args->nparams >= 2 ? 2 : 1;
        int need, i;
        g_autofree unsigned long long *ct = NULL;
        g_autofree unsigned long long *vt = NULL;

        if (total <= 0)
            goto cleanup;
        if (args->nparams == 0 && args->ncpus != 0) {
            ret->nparams = 2;
            rc = 0;
            goto cleanup;
        }
        if (args->ncpus == 0) {
            ret->nparams = total;
            rc = 0;
            goto cleanup;
        }
        if (args->start_cpu < 0 || args->start_cpu >= total) {
            mvReportError(MV_ERR_INVALID_ARG, "start_cpu %d larger than maximum of %d",
                          args->start_cpu, total - 1);
            goto cleanup;
        }
        need = MIN(total, args->start_cpu + (int)args->ncpus);
        ct = g_new0(unsigned long long, total);
        vt = g_new0(unsigned long long, total);
        perCpuTimes(obj, ct, vt, total);
        for (i = args->start_cpu; i < need; i++) {
            if (qemuTypedParamListAddULLong(list, ct[i], "cpu_time") < 0)
                goto cleanup;
            if (perCpu > 1 && qemuTypedParamListAddULLong(list, vt[i], "vcpu_time") < 0)
                goto cleanup;
        }
        ret->nparams = perCpu;
    }
    if (list->n > REMOTE_DOMAIN_GET_CPU_STATS_MAX) {
        mvReportError(MV_ERR_RPC, "too many parameters '%zu' for limit '%d'", list->n,
                      REMOTE_DOMAIN_GET_CPU_STATS_MAX);
        goto cleanup;
    }
    qemuTypedParamListSteal(list, &ret->params.params_val, &ret->params.params_len);
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

/* ---- block ----------------------------------------------------------------- */

typedef struct {
    char *qdev;
    char *node;             /* format node name */
    int nstats;             /* counters QEMU reported */
    long long rd_bytes, wr_bytes, rd_req, wr_req, flush_req;
    long long rd_times, wr_times, flush_times;
    unsigned long long highest;
    gboolean highestValid;
    unsigned long long capacity;    /* query-named-block-nodes virtual-size */
    unsigned long long physical;    /* actual-size (virtual-size when absent) */
    gboolean haveImage;
} blkEntry;

static void
blkEntryFree(gpointer p)
{
    blkEntry *e = p;
    g_free(e->qdev);
    g_free(e->node);
    g_free(e);
}

static gboolean
jsonU64(json_object *o, const char *key, unsigned long long *v)
{
    json_object *x;

    if (!o || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &x) ||
        !(json_object_is_type(x, json_type_int) || json_object_is_type(x, json_type_double)))
        return FALSE;
    *v = (unsigned long long)json_object_get_uint64(x);
    return TRUE;
}

static const char *
jsonStr(json_object *o, const char *key)
{
    json_object *x;

    if (!o || !json_object_is_type(o, json_type_object) ||
        !json_object_object_get_ex(o, key, &x) || !json_object_is_type(x, json_type_string))
        return NULL;
    return json_object_get_string(x);
}

/* query-blockstats + query-named-block-nodes (job held): GPtrArray of blkEntry. */
static GPtrArray *
blockStatsQuery(qemuDomainObj *obj, gboolean capacity)
{
    g_autoptr(GPtrArray) res = g_ptr_array_new_with_free_func(blkEntryFree);
    JSON_AUTO json_object *reply = NULL;
    size_t i, n;

    if (monCommand(obj, "query-blockstats", NULL, &reply) < 0)
        return NULL;
    if (!json_object_is_type(reply, json_type_array)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "blockstats reply data was not an array");
        return NULL;
    }
    n = json_object_array_length(reply);
    for (i = 0; i < n; i++) {
        json_object *dev = json_object_array_get_idx(reply, i);
        json_object *stats = NULL, *parent = NULL, *pstats = NULL;
        blkEntry *e;
        unsigned long long v;

        if (!json_object_object_get_ex(dev, "stats", &stats) ||
            !json_object_is_type(stats, json_type_object)) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                          "blockstats stats entry was not in expected format");
            return NULL;
        }
        e = g_new0(blkEntry, 1);
        e->qdev = g_strdup(jsonStr(dev, "qdev"));
        e->node = g_strdup(jsonStr(dev, "node-name"));
        if (!e->qdev || !*e->qdev) {
            g_free(e->qdev);
            e->qdev = g_strdup(jsonStr(dev, "device"));
        }
#define GET(name, field) if (jsonU64(stats, name, &v)) { e->field = (long long)v; e->nstats++; }
        GET("rd_bytes", rd_bytes)
        GET("wr_bytes", wr_bytes)
        GET("rd_operations", rd_req)
        GET("wr_operations", wr_req)
        GET("rd_total_time_ns", rd_times)
        GET("wr_total_time_ns", wr_times)
        GET("flush_operations", flush_req)
        GET("flush_total_time_ns", flush_times)
#undef GET
        if (json_object_object_get_ex(dev, "parent", &parent) &&
            json_object_object_get_ex(parent, "stats", &pstats) &&
            jsonU64(pstats, "wr_highest_offset", &e->highest))
            e->highestValid = TRUE;
        g_ptr_array_add(res, e);
    }
    if (capacity) {
        JSON_AUTO json_object *nodes = NULL;
        json_object *args = json_object_new_object();

        json_object_object_add(args, "flat", json_object_new_boolean(TRUE));
        if (monCommand(obj, "query-named-block-nodes", args, &nodes) < 0)
            return NULL;
        if (json_object_is_type(nodes, json_type_array)) {
            n = json_object_array_length(nodes);
            for (i = 0; i < n; i++) {
                json_object *nd = json_object_array_get_idx(nodes, i);
                json_object *img = NULL;
                const char *name = jsonStr(nd, "node-name");
                guint k;

                if (!name || !json_object_object_get_ex(nd, "image", &img))
                    continue;
                for (k = 0; k < res->len; k++) {
                    blkEntry *e = g_ptr_array_index(res, k);
                    if (!e->node || strcmp(e->node, name) != 0)
                        continue;
                    if (!jsonU64(img, "virtual-size", &e->capacity))
                        continue;
                    if (!jsonU64(img, "actual-size", &e->physical))
                        e->physical = e->capacity;
                    e->haveImage = TRUE;
                }
            }
        }
    }
    return g_steal_pointer(&res);
}

/* The entry of @disk: its qdev is the alias or /machine/peripheral/ALIAS[/...]. */
static blkEntry *
blockStatsFind(GPtrArray *stats, const mvDomainDiskDef *disk)
{
    g_autofree char *alias = qemuDeviceGetAlias(&disk->dev);
    g_autofree char *prefix = NULL;
    guint i;

    if (!alias || !stats)
        return NULL;
    prefix = g_strdup_printf("/machine/peripheral/%s", alias);
    for (i = 0; i < stats->len; i++) {
        blkEntry *e = g_ptr_array_index(stats, i);
        if (!e->qdev)
            continue;
        if (strcmp(e->qdev, alias) == 0 || strcmp(e->qdev, prefix) == 0 ||
            (g_str_has_prefix(e->qdev, prefix) && e->qdev[strlen(prefix)] == '/'))
            return e;
    }
    return NULL;
}

static gboolean
diskIsLocalFile(const mvDomainDiskDef *disk)
{
    return disk->src && (!disk->type || strcmp(disk->type, "file") == 0 ||
                         strcmp(disk->type, "block") == 0);
}

/* Gather for one disk (@path) or all (""); the job is held. */
static int
blockStatsGather(qemuDomainObj *obj, const char *path, gboolean capacity, blkEntry *out,
                 mvDomainDiskDef **diskOut)
{
    g_autoptr(GPtrArray) stats = NULL;
    mvDomainDiskDef *disk = NULL;
    size_t i;
    int nstats = 0;

    memset(out, 0, sizeof(*out));
    if (*path) {
        if (!(disk = mvDomainDefFindDisk(obj->def, path))) {
            mvReportError(MV_ERR_INVALID_ARG, "invalid path: %s", path);
            return -1;
        }
    }
    if (!(stats = blockStatsQuery(obj, capacity)))
        return -1;
    for (i = 0; i < stats->len; i++)
        nstats = MAX(nstats, ((blkEntry *)g_ptr_array_index(stats, i))->nstats);
    if (disk) {
        blkEntry *e = blockStatsFind(stats, disk);
        if (!e) {
            g_autofree char *alias = qemuDeviceGetAlias(&disk->dev);
            mvReportError(MV_ERR_INTERNAL_ERROR, "cannot find statistics for device '%s'",
                          alias ? alias : disk->dst);
            return -1;
        }
        *out = *e;
        out->qdev = out->node = NULL;
    } else {
        for (i = 0; i < obj->def->ndisks; i++) {
            blkEntry *e = blockStatsFind(stats, obj->def->disks[i]);
            if (!e)
                continue;
            out->rd_bytes += e->rd_bytes;
            out->wr_bytes += e->wr_bytes;
            out->rd_req += e->rd_req;
            out->wr_req += e->wr_req;
            out->flush_req += e->flush_req;
            out->rd_times += e->rd_times;
            out->wr_times += e->wr_times;
            out->flush_times += e->flush_times;
        }
    }
    if (diskOut)
        *diskOut = disk;
    return nstats;
}

int
mvRemoteDispatchDomainBlockStats(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_block_stats_args *args = a;
    remote_domain_block_stats_ret *ret = r;
    qemuDomainObj *obj;
    blkEntry e;
    int rc = -1;

    if (!(obj = objGetJob(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0 || blockStatsGather(obj, args->path, FALSE, &e, NULL) < 0)
        goto cleanup;
    ret->rd_req = e.rd_req;
    ret->rd_bytes = e.rd_bytes;
    ret->wr_req = e.wr_req;
    ret->wr_bytes = e.wr_bytes;
    ret->errs = -1;     /* QEMU does not count errors */
    rc = 0;
 cleanup:
    objEndJob(&obj);
    return rc;
}

int
mvRemoteDispatchDomainBlockStatsFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_block_stats_flags_args *args = a;
    remote_domain_block_stats_flags_ret *ret = r;
    g_autoptr(qemuTypedParamList) list = qemuTypedParamListNew();
    qemuDomainObj *obj;
    blkEntry e;
    int nstats, rc = -1;

    if (qemuCheckFlags(args->flags, QEMU_TYPED_PARAM_STRING_OKAY,
                       "qemuDomainBlockStatsFlags") < 0)
        return -1;
    if (args->nparams < 0 || args->nparams > REMOTE_DOMAIN_BLOCK_STATS_PARAMETERS_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "nparams too large");
        return -1;
    }
    if (!(obj = objGetJob(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0 ||
        (nstats = blockStatsGather(obj, args->path, FALSE, &e, NULL)) < 0)
        goto cleanup;
    if (args->nparams == 0) {
        ret->nparams = nstats;
        rc = 0;
        goto cleanup;
    }
    if (qemuTypedParamListAddLLong(list, e.wr_bytes, "wr_bytes") < 0 ||
        qemuTypedParamListAddLLong(list, e.wr_req, "wr_operations") < 0 ||
        qemuTypedParamListAddLLong(list, e.rd_bytes, "rd_bytes") < 0 ||
        qemuTypedParamListAddLLong(list, e.rd_req, "rd_operations") < 0 ||
        qemuTypedParamListAddLLong(list, e.flush_req, "flush_operations") < 0 ||
        qemuTypedParamListAddLLong(list, e.wr_times, "wr_total_times") < 0 ||
        qemuTypedParamListAddLLong(list, e.rd_times, "rd_total_times") < 0 ||
        qemuTypedParamListAddLLong(list, e.flush_times, "flush_total_times") < 0)
        goto cleanup;
    if (qemuTypedParamListReturn(list, args->nparams, REMOTE_DOMAIN_BLOCK_STATS_PARAMETERS_MAX,
                                 QEMU_TYPED_PARAM_STRING_OKAY, &ret->params.params_val,
                                 &ret->params.params_len, &ret->nparams) < 0)
        goto cleanup;
    rc = 0;
 cleanup:
    objEndJob(&obj);
    return rc;
}

/* Capacity of an image file: qcow2 header, qemu-img for other formats,
 * the file size for raw.  0 when unknown. */
static unsigned long long
imageCapacity(const char *path, const char *format, unsigned long long size)
{
    if (!format || strcmp(format, "raw") == 0)
        return size;
    if (strcmp(format, "qcow2") == 0) {
        unsigned char hdr[32];
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t got;
        unsigned long long cap = 0;
        int i;

        if (fd < 0)
            return 0;
        got = pread(fd, hdr, sizeof(hdr), 0);
        close(fd);
        if (got != (ssize_t)sizeof(hdr) || memcmp(hdr, "QFI\xfb", 4) != 0)
            return 0;
        for (i = 24; i < 32; i++)
            cap = (cap << 8) | hdr[i];
        return cap;
    } else {
        const char *argv[] = { "qemu-img", "info", "-U", "--output=json", "-f", format, path, NULL };
        g_autofree char *out = NULL;
        JSON_AUTO json_object *j = NULL;
        int status = 0;
        unsigned long long cap = 0;

        if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL,
                          NULL, NULL, &out, NULL, &status, NULL) || status != 0 || !out)
            return 0;
        if ((j = json_tokener_parse(out)))
            jsonU64(j, "virtual-size", &cap);
        return cap;
    }
}

/* Offline capacity/allocation/physical of a disk image. */
static int
blockInfoFromFile(const mvDomainDiskDef *disk, unsigned long long *capacity,
                  unsigned long long *allocation, unsigned long long *physical)
{
    struct stat sb;

    if (stat(disk->src, &sb) < 0) {
        mvReportSystemError(errno, "cannot stat file '%s'", disk->src);
        return -1;
    }
    if (S_ISBLK(sb.st_mode)) {
        int fd = open(disk->src, O_RDONLY | O_CLOEXEC);
        off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;
        if (fd >= 0)
            close(fd);
        *physical = end > 0 ? (unsigned long long)end : 0;
        *allocation = *physical;
    } else {
        *physical = sb.st_size;
        *allocation = (unsigned long long)sb.st_blocks * 512;
    }
    *capacity = imageCapacity(disk->src, disk->driverType, *physical);
    return 0;
}

int
mvRemoteDispatchDomainGetBlockInfo(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_block_info_args *args = a;
    remote_domain_get_block_info_ret *ret = r;
    qemuDomainObj *obj;
    mvDomainDiskDef *disk;
    blkEntry e;
    int rc = -1;

    if (qemuCheckFlags(args->flags, 0, "qemuDomainGetBlockInfo") < 0)
        return -1;
    if (!(obj = objGetJob(call, &args->dom)))
        return -1;
    if (!(disk = mvDomainDefFindDisk(obj->def, args->path))) {
        mvReportError(MV_ERR_INVALID_ARG, "invalid path %s not assigned to domain", args->path);
        goto cleanup;
    }
    if (!disk->src || !*disk->src) {
        mvReportError(MV_ERR_INVALID_ARG, "disk '%s' does not currently have a source assigned",
                      args->path);
        goto cleanup;
    }
    if (!diskIsLocalFile(disk)) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED,
                      "block info is not supported for disk source type '%s'", disk->type);
        goto cleanup;
    }
    if (!qemuDomainObjIsActive(obj)) {
        unsigned long long cap, alloc, phys;
        if (blockInfoFromFile(disk, &cap, &alloc, &phys) < 0)
            goto cleanup;
        ret->capacity = cap;
        ret->allocation = alloc;
        ret->physical = phys;
        rc = 0;
        goto cleanup;
    }
    if (blockStatsGather(obj, args->path, TRUE, &e, &disk) < 0)
        goto cleanup;
    if (!e.highestValid || (disk->driverType && strcmp(disk->driverType, "qcow2") == 0))
        ret->allocation = e.physical;
    else
        ret->allocation = e.highest;
    if (e.physical == 0 || ret->allocation == 0 || ret->allocation == e.physical) {
        struct stat sb;
        if (ret->allocation == 0)
            ret->allocation = e.physical;
        if (disk->src && stat(disk->src, &sb) == 0 && S_ISREG(sb.st_mode))
            ret->physical = sb.st_size;
        else
            ret->physical = e.physical;
    } else {
        ret->physical = e.physical;
    }
    ret->capacity = e.capacity;
    rc = 0;
 cleanup:
    objEndJob(&obj);
    return rc;
}

int
mvRemoteDispatchDomainGetDiskErrors(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_disk_errors_args *args = a;
    remote_domain_get_disk_errors_ret *ret = r;
    qemuDomainObj *obj;
    int rc = -1;

    if (qemuCheckFlags(args->flags, 0, "qemuDomainGetDiskErrors") < 0)
        return -1;
    if (args->maxerrors > REMOTE_DOMAIN_DISK_ERRORS_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "maxerrors too large");
        return -1;
    }
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    /* no I/O error is ever recorded: a guest paused on one is reported by its state */
    ret->nerrors = args->maxerrors ? 0 : (int)obj->def->ndisks;
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

/* ---- interfaces ------------------------------------------------------------ */

typedef struct {
    long long rx_bytes, rx_packets, rx_errs, rx_drop;
    long long tx_bytes, tx_packets, tx_errs, tx_drop;
} ifStats;

/* /proc/net/dev counters of @ifname, from the guest's point of view. */
static int
ifStatsRead(const char *ifname, gboolean swapped, ifStats *st)
{
    g_autofree char *buf = NULL;
    g_auto(GStrv) lines = NULL;
    size_t i;

    if (!ifname) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "Interface name not provided");
        return -1;
    }
    if (!g_file_get_contents("/proc/net/dev", &buf, NULL, NULL)) {
        mvReportSystemError(errno, "%s", "Could not open /proc/net/dev");
        return -1;
    }
    lines = g_strsplit(buf, "\n", -1);
    for (i = 0; lines[i]; i++) {
        char *colon = strchr(lines[i], ':');
        long long v[16];

        if (!colon)
            continue;
        *colon = '\0';
        if (strcmp(g_strstrip(lines[i]), ifname) != 0)
            continue;
        if (sscanf(colon + 1, "%lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld %lld "
                   "%lld %lld %lld %lld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                   &v[7], &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]) != 16)
            continue;
        if (swapped) {
            *st = (ifStats){ v[8], v[9], v[10], v[11], v[0], v[1], v[2], v[3] };
        } else {
            *st = (ifStats){ v[0], v[1], v[2], v[3], v[8], v[9], v[10], v[11] };
        }
        return 0;
    }
    mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "/proc/net/dev: Interface not found");
    return -1;
}

static gboolean
netSharesHostView(const mvDomainNetDef *net)
{
    return net->type && strcmp(net->type, "direct") == 0;
}

int
mvRemoteDispatchDomainInterfaceStats(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_interface_stats_args *args = a;
    remote_domain_interface_stats_ret *ret = r;
    qemuDomainObj *obj;
    mvDomainNetDef *net;
    ifStats st;
    int rc = -1;

    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    if (!(net = mvDomainDefFindNet(obj->def, args->device))) {
        mvReportError(MV_ERR_INVALID_ARG, "'%s' is not a known interface", args->device);
        goto cleanup;
    }
    if (ifStatsRead(net->ifname, !netSharesHostView(net), &st) < 0)
        goto cleanup;
    ret->rx_bytes = st.rx_bytes;
    ret->rx_packets = st.rx_packets;
    ret->rx_errs = st.rx_errs;
    ret->rx_drop = st.rx_drop;
    ret->tx_bytes = st.tx_bytes;
    ret->tx_packets = st.tx_packets;
    ret->tx_errs = st.tx_errs;
    ret->tx_drop = st.tx_drop;
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

/* ---- bulk stats (domstats) ------------------------------------------------- */

static int
statsState(qemuDomainObj *obj, qemuTypedParamList *l)
{
    if (qemuTypedParamListAddInt(l, obj->state, "state.state") < 0 ||
        qemuTypedParamListAddInt(l, obj->reason, "state.reason") < 0)
        return -1;
    return 0;
}

static int
statsCpu(qemuDomainObj *obj, qemuTypedParamList *l)
{
    procStat st;

    if (!qemuDomainObjIsActive(obj) || obj->pid <= 0 || procReadStat(obj->pid, 0, &st) < 0)
        return 0;
    if (qemuTypedParamListAddULLong(l, st.cpuTimeNs, "cpu.time") < 0 ||
        qemuTypedParamListAddULLong(l, st.userNs, "cpu.user") < 0 ||
        qemuTypedParamListAddULLong(l, st.sysNs, "cpu.system") < 0)
        return -1;
    return 0;
}

static int
statsBalloon(qemuDomainObj *obj, qemuTypedParamList *l, gboolean haveJob)
{
    static const struct { int tag; const char *name; } names[] = {
        { MEMSTAT_SWAP_IN, "swap_in" }, { MEMSTAT_SWAP_OUT, "swap_out" },
        { MEMSTAT_MAJOR_FAULT, "major_fault" }, { MEMSTAT_MINOR_FAULT, "minor_fault" },
        { MEMSTAT_UNUSED, "unused" }, { MEMSTAT_AVAILABLE, "available" },
        { MEMSTAT_RSS, "rss" }, { MEMSTAT_LAST_UPDATE, "last-update" },
        { MEMSTAT_USABLE, "usable" }, { MEMSTAT_DISK_CACHES, "disk_caches" },
        { MEMSTAT_HUGETLB_PGALLOC, "hugetlb_pgalloc" },
        { MEMSTAT_HUGETLB_PGFAIL, "hugetlb_pgfail" },
    };
    memStat stats[MEMSTAT_NR];
    unsigned long long cur;
    int n, i;
    size_t k;

    cur = defBalloon(obj->def) ? obj->def->currentMemoryKiB : obj->def->memoryKiB;
    if (qemuTypedParamListAddULLong(l, cur, "balloon.current") < 0 ||
        qemuTypedParamListAddULLong(l, obj->def->memoryKiB, "balloon.maximum") < 0)
        return -1;
    if (!haveJob || !qemuDomainObjIsActive(obj))
        return 0;
    if ((n = memoryStatsGather(obj, stats, MEMSTAT_NR)) < 0) {
        mvErrorReset();
        return 0;
    }
    for (i = 0; i < n; i++) {
        for (k = 0; k < G_N_ELEMENTS(names); k++) {
            if (names[k].tag == stats[i].tag &&
                qemuTypedParamListAddULLong(l, stats[i].val, "balloon.%s", names[k].name) < 0)
                return -1;
        }
    }
    return 0;
}

static int
statsVcpu(qemuDomainObj *obj, qemuTypedParamList *l, gboolean haveJob)
{
    unsigned int maxv = obj->def->vcpusMax;
    unsigned int cur = obj->def->vcpusCurrent ? obj->def->vcpusCurrent : maxv;
    g_autofree pid_t *tids = NULL;
    unsigned int n = 0, i;

    if (qemuTypedParamListAddUInt(l, cur, "vcpu.current") < 0 ||
        qemuTypedParamListAddUInt(l, maxv, "vcpu.maximum") < 0)
        return -1;
    if (!qemuDomainObjIsActive(obj) || obj->pid <= 0)
        return 0;
    tids = vcpuTids(obj, haveJob, &n);
    if (!qemuDomainObjIsActive(obj))
        return 0;
    for (i = 0; i < n; i++) {
        procStat st;
        if (procReadStat(obj->pid, tids[i], &st) < 0)
            memset(&st, 0, sizeof(st));
        if (qemuTypedParamListAddInt(l, VCPU_RUNNING, "vcpu.%u.state", i) < 0 ||
            qemuTypedParamListAddULLong(l, st.cpuTimeNs, "vcpu.%u.time", i) < 0 ||
            qemuTypedParamListAddULLong(l, procSchedWait(obj->pid, tids[i]), "vcpu.%u.wait", i) < 0 ||
            qemuTypedParamListAddULLong(l, procSchedDelay(obj->pid, tids[i]), "vcpu.%u.delay", i) < 0)
            return -1;
    }
    return 0;
}

static int
statsInterface(qemuDomainObj *obj, qemuTypedParamList *l)
{
    size_t i;

    if (!qemuDomainObjIsActive(obj))
        return 0;
    if (qemuTypedParamListAddUInt(l, obj->def->nnets, "net.count") < 0)
        return -1;
    for (i = 0; i < obj->def->nnets; i++) {
        mvDomainNetDef *net = obj->def->nets[i];
        ifStats st;

        if (!net->ifname)
            continue;
        if (qemuTypedParamListAddString(l, net->ifname, "net.%zu.name", i) < 0)
            return -1;
        if (ifStatsRead(net->ifname, !netSharesHostView(net), &st) < 0) {
            mvErrorReset();
            continue;
        }
#define NETP(name, val) \
        if ((val) >= 0 && qemuTypedParamListAddULLong(l, (val), "net.%zu." name, i) < 0) \
            return -1;
        NETP("rx.bytes", st.rx_bytes)
        NETP("rx.pkts", st.rx_packets)
        NETP("rx.errs", st.rx_errs)
        NETP("rx.drop", st.rx_drop)
        NETP("tx.bytes", st.tx_bytes)
        NETP("tx.pkts", st.tx_packets)
        NETP("tx.errs", st.tx_errs)
        NETP("tx.drop", st.tx_drop)
#undef NETP
    }
    return 0;
}

static int
statsBlock(qemuDomainObj *obj, qemuTypedParamList *l, gboolean haveJob)
{
    g_autoptr(GPtrArray) stats = NULL;
    gboolean active = qemuDomainObjIsActive(obj);
    size_t i;

    if (haveJob && active) {
        if (!(stats = blockStatsQuery(obj, TRUE)))
            mvErrorReset();
        active = qemuDomainObjIsActive(obj);
    }
    if (qemuTypedParamListAddUInt(l, obj->def->ndisks, "block.count") < 0)
        return -1;
    for (i = 0; i < obj->def->ndisks; i++) {
        mvDomainDiskDef *disk = obj->def->disks[i];
        blkEntry *e;

        if (qemuTypedParamListAddString(l, disk->dst, "block.%zu.name", i) < 0)
            return -1;
        if (diskIsLocalFile(disk) && *disk->src &&
            qemuTypedParamListAddString(l, disk->src, "block.%zu.path", i) < 0)
            return -1;
        if (!active) {
            unsigned long long cap, alloc, phys;
            if (!diskIsLocalFile(disk) || !*disk->src ||
                blockInfoFromFile(disk, &cap, &alloc, &phys) < 0) {
                mvErrorReset();
                continue;
            }
            if ((alloc && qemuTypedParamListAddULLong(l, alloc, "block.%zu.allocation", i) < 0) ||
                (cap && qemuTypedParamListAddULLong(l, cap, "block.%zu.capacity", i) < 0) ||
                (phys && qemuTypedParamListAddULLong(l, phys, "block.%zu.physical", i) < 0))
                return -1;
            continue;
        }
        if (!(e = blockStatsFind(stats, disk)))
            continue;
        if (qemuTypedParamListAddULLong(l, e->rd_req, "block.%zu.rd.reqs", i) < 0 ||
            qemuTypedParamListAddULLong(l, e->rd_bytes, "block.%zu.rd.bytes", i) < 0 ||
            qemuTypedParamListAddULLong(l, e->rd_times, "block.%zu.rd.times", i) < 0 ||
            qemuTypedParamListAddULLong(l, e->wr_req, "block.%zu.wr.reqs", i) < 0 ||
            qemuTypedParamListAddULLong(l, e->wr_bytes, "block.%zu.wr.bytes", i) < 0 ||
            qemuTypedParamListAddULLong(l, e->wr_times, "block.%zu.wr.times", i) < 0 ||
            qemuTypedParamListAddULLong(l, e->flush_req, "block.%zu.fl.reqs", i) < 0 ||
            qemuTypedParamListAddULLong(l, e->flush_times, "block.%zu.fl.times", i) < 0 ||
            qemuTypedParamListAddULLong(l, e->highest, "block.%zu.allocation", i) < 0)
            return -1;
        if (e->haveImage && e->capacity &&
            qemuTypedParamListAddULLong(l, e->capacity, "block.%zu.capacity", i) < 0)
            return -1;
        if (e->haveImage && e->physical) {
            if (qemuTypedParamListAddULLong(l, e->physical, "block.%zu.physical", i) < 0)
                return -1;
        } else if (diskIsLocalFile(disk)) {
            struct stat sb;
            if (stat(disk->src, &sb) == 0 &&
                qemuTypedParamListAddULLong(l, sb.st_size, "block.%zu.physical", i) < 0)
                return -1;
        }
    }
    return 0;
}

static int
statsDirtyRate(qemuDomainObj *obj, qemuTypedParamList *l, gboolean haveJob)
{
    static const char *const statuses[] = { "unstarted", "measuring", "measured" };
    JSON_AUTO json_object *reply = NULL;
    const char *status, *mode;
    unsigned long long start = 0, period = 0, rate = 0;
    int st = 0;
    size_t i;

    if (!haveJob || !qemuDomainObjIsActive(obj))
        return 0;
    if (monCommand(obj, "query-dirty-rate", NULL, &reply) < 0) {
        mvErrorReset();
        return 0;
    }
    status = jsonStr(reply, "status");
    for (i = 0; status && i < G_N_ELEMENTS(statuses); i++) {
        if (strcmp(status, statuses[i]) == 0)
            st = (int)i;
    }
    jsonU64(reply, "start-time", &start);
    jsonU64(reply, "calc-time", &period);
    mode = jsonStr(reply, "mode");
    if (qemuTypedParamListAddInt(l, st, "dirtyrate.calc_status") < 0 ||
        qemuTypedParamListAddLLong(l, (long long)start, "dirtyrate.calc_start_time") < 0 ||
        qemuTypedParamListAddInt(l, (int)period, "dirtyrate.calc_period") < 0 ||
        qemuTypedParamListAddString(l, mode ? mode : "page-sampling", "dirtyrate.calc_mode") < 0)
        return -1;
    if (st == 2 && jsonU64(reply, "dirty-rate", &rate) &&
        qemuTypedParamListAddLLong(l, (long long)rate, "dirtyrate.megabytes_per_second") < 0)
        return -1;
    return 0;
}

/* One record for @obj (locked). */
static int
domainStatsOne(qemuDomainObj *obj, unsigned int stats, unsigned int flags,
               remote_domain_stats_record *rec)
{
    g_autoptr(qemuTypedParamList) l = qemuTypedParamListNew();
    gboolean haveJob = FALSE;
    int rc = -1;

    if ((stats & STATS_NEED_MONITOR) && qemuDomainObjIsActive(obj)) {
        if (!((flags & STATS_NOWAIT) && obj->job)) {
            qemuDomainObjRef(obj);
            if (qemuDomainObjBeginJob(obj) == 0)
                haveJob = TRUE;
            else
                qemuDomainObjUnref(obj);
            mvErrorReset();
        }
    }
    if (((stats & STATS_STATE) && statsState(obj, l) < 0) ||
        ((stats & STATS_CPU_TOTAL) && statsCpu(obj, l) < 0) ||
        ((stats & STATS_BALLOON) && statsBalloon(obj, l, haveJob) < 0) ||
        ((stats & STATS_VCPU) && statsVcpu(obj, l, haveJob) < 0) ||
        ((stats & STATS_INTERFACE) && statsInterface(obj, l) < 0) ||
        ((stats & STATS_BLOCK) && statsBlock(obj, l, haveJob) < 0) ||
        ((stats & STATS_DIRTYRATE) && statsDirtyRate(obj, l, haveJob) < 0))
        goto cleanup;
    mvRemoteMakeDomain(&rec->dom, obj->def->name, obj->def->uuid, obj->def->id);
    qemuTypedParamListSteal(l, &rec->params.params_val, &rec->params.params_len);
    rc = 0;
 cleanup:
    if (haveJob) {
        qemuDomainObjEndJob(obj);
        qemuDomainObjUnref(obj);
    }
    return rc;
}

static gboolean
statsListMatch(qemuDomainObj *obj, unsigned int flags)
{
    gboolean active = qemuDomainObjIsActive(obj);

    if ((flags & (LIST_ACTIVE | LIST_INACTIVE)) &&
        !(((flags & LIST_ACTIVE) && active) || ((flags & LIST_INACTIVE) && !active)))
        return FALSE;
    if ((flags & (LIST_PERSISTENT | LIST_TRANSIENT)) &&
        !(((flags & LIST_PERSISTENT) && obj->persistent) ||
          ((flags & LIST_TRANSIENT) && !obj->persistent)))
        return FALSE;
    if (flags & (LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER)) {
        int st = obj->state;
        gboolean ok = ((flags & LIST_RUNNING) && st == MV_DOMAIN_RUNNING) ||
                      ((flags & LIST_PAUSED) && st == MV_DOMAIN_PAUSED) ||
                      ((flags & LIST_SHUTOFF) && st == MV_DOMAIN_SHUTOFF) ||
                      ((flags & LIST_OTHER) && st != MV_DOMAIN_RUNNING &&
                       st != MV_DOMAIN_PAUSED && st != MV_DOMAIN_SHUTOFF);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

int
mvRemoteDispatchConnectGetAllDomainStats(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_all_domain_stats_args *args = a;
    remote_connect_get_all_domain_stats_ret *ret = r;
    unsigned int flags = args->flags;
    unsigned int stats = args->stats;
    g_autoptr(GPtrArray) objs = NULL;
    g_autoptr(GArray) recs = NULL;
    guint i;

    if (qemuCheckFlags(flags, LIST_ACTIVE | LIST_INACTIVE | LIST_PERSISTENT | LIST_TRANSIENT |
                       LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER | STATS_NOWAIT |
                       STATS_BACKING | STATS_ENFORCE, "qemuConnectGetAllDomainStats") < 0)
        return -1;
    if (args->doms.doms_len > REMOTE_DOMAIN_LIST_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "domains list too large");
        return -1;
    }
    if (!mvRemoteConnect(call))
        return -1;
    if (stats == 0) {
        stats = STATS_SUPPORTED;
    } else if ((flags & STATS_ENFORCE) && (stats & ~STATS_SUPPORTED)) {
        mvReportError(MV_ERR_ARGUMENT_UNSUPPORTED,
                      "Stats types bits 0x%x are not supported by this daemon or QEMU",
                      stats & ~STATS_SUPPORTED);
        return -1;
    }
    stats &= STATS_SUPPORTED;

    if (args->doms.doms_len) {
        objs = g_ptr_array_new();
        for (i = 0; i < args->doms.doms_len; i++) {
            qemuDomainObj *obj = qemuDomainObjListFindByUUID(
                qemu_driver->domains, (const unsigned char *)args->doms.doms_val[i].uuid);
            if (!obj) {
                mvErrorReset();
                continue;
            }
            g_ptr_array_add(objs, qemuDomainObjRef(obj));
            qemuDomainObjEndAPI(&obj);
        }
    } else {
        objs = qemuDomainObjListCollect(qemu_driver->domains);
        g_ptr_array_set_free_func(objs, NULL);
    }

    recs = g_array_new(FALSE, TRUE, sizeof(remote_domain_stats_record));
    for (i = 0; i < objs->len; i++) {
        qemuDomainObj *obj = g_ptr_array_index(objs, i);
        remote_domain_stats_record rec;
        int rc = 0;

        memset(&rec, 0, sizeof(rec));
        g_mutex_lock(&obj->lock);
        if (!obj->removed && statsListMatch(obj, flags)) {
            rc = domainStatsOne(obj, stats, flags, &rec);
            if (rc == 0)
                g_array_append_val(recs, rec);
        }
        g_mutex_unlock(&obj->lock);
        if (rc < 0) {
            guint k;
            for (k = i; k < objs->len; k++)
                qemuDomainObjUnref(g_ptr_array_index(objs, k));
            for (k = 0; k < recs->len; k++) {
                remote_domain_stats_record *p = &g_array_index(recs, remote_domain_stats_record, k);
                g_free(p->dom.name);
                qemuTypedParamsFree(p->params.params_val, p->params.params_len);
            }
            return -1;
        }
        qemuDomainObjUnref(obj);
    }
    {
        guint len = recs->len;
        ret->retStats.retStats_len = len;
        ret->retStats.retStats_val =
            (remote_domain_stats_record *)g_array_free(g_steal_pointer(&recs), len == 0);
    }
    return 0;
}

/* ---- guest addresses and hostname ------------------------------------------ */

typedef struct {
    char *ip;
    char *hostname;
    int type;       /* 0 ipv4, 1 ipv6 */
} leaseEntry;

/* DHCP leases of @mac from the dnsmasq status files of the virtual
 * networks (<stateDir>/../dnsmasq/ *.status, JSON as libvirt writes it). */
static GPtrArray *
leasesForMac(const char *mac)
{
    g_autofree char *base = g_path_get_dirname(qemu_driver->stateDir);
    g_autofree char *dir = g_build_filename(base, "dnsmasq", NULL);
    GPtrArray *res = g_ptr_array_new();
    GDir *d;
    const char *name;

    if (!(d = g_dir_open(dir, 0, NULL)))
        return res;
    while ((name = g_dir_read_name(d))) {
        g_autofree char *path = NULL;
        g_autofree char *buf = NULL;
        JSON_AUTO json_object *arr = NULL;
        size_t i, n;

        if (!g_str_has_suffix(name, ".status"))
            continue;
        path = g_build_filename(dir, name, NULL);
        if (!g_file_get_contents(path, &buf, NULL, NULL) ||
            !(arr = json_tokener_parse(buf)) || !json_object_is_type(arr, json_type_array))
            continue;
        n = json_object_array_length(arr);
        for (i = 0; i < n; i++) {
            json_object *l = json_object_array_get_idx(arr, i);
            const char *lmac = jsonStr(l, "mac-address");
            const char *ip = jsonStr(l, "ip-address");
            leaseEntry *e;

            if (!lmac || !ip || g_ascii_strcasecmp(lmac, mac) != 0)
                continue;
            e = g_new0(leaseEntry, 1);
            e->ip = g_strdup(ip);
            e->hostname = g_strdup(jsonStr(l, "hostname"));
            e->type = strchr(ip, ':') ? 1 : 0;
            g_ptr_array_add(res, e);
        }
    }
    g_dir_close(d);
    return res;
}

static void
leasesFree(GPtrArray *arr)
{
    guint i;

    for (i = 0; i < arr->len; i++) {
        leaseEntry *e = g_ptr_array_index(arr, i);
        g_free(e->ip);
        g_free(e->hostname);
        g_free(e);
    }
    g_ptr_array_unref(arr);
}

static remote_domain_interface *
ifaceAppend(GArray *ifaces, const mvDomainNetDef *net)
{
    remote_domain_interface it;

    memset(&it, 0, sizeof(it));
    it.name = g_strdup(net->ifname ? net->ifname : "");
    it.hwaddr = g_new0(char *, 1);
    *it.hwaddr = g_strdup(net->mac);
    g_array_append_val(ifaces, it);
    return &g_array_index(ifaces, remote_domain_interface, ifaces->len - 1);
}

static void
ifaceAddAddr(remote_domain_interface *it, int type, const char *addr, unsigned int prefix)
{
    remote_domain_ip_addr *ad;

    it->addrs.addrs_val = g_renew(remote_domain_ip_addr, it->addrs.addrs_val,
                                  it->addrs.addrs_len + 1);
    ad = &it->addrs.addrs_val[it->addrs.addrs_len++];
    ad->type = type;
    ad->addr = g_strdup(addr);
    ad->prefix = prefix;
}

/* guest-network-get-interfaces through the guest agent; takes the job on
 * *obj (locked, from objGet) and gives it back. */
static int
agentInterfaces(qemuDomainObj **obj, GArray *ifaces)
{
    JSON_AUTO json_object *reply = NULL;
    size_t i, n;
    int rc;

    if (objBeginJob(obj) < 0)
        return -1;
    rc = checkActive(*obj) < 0 ? -1
         : qemuAgentCommand(*obj, "guest-network-get-interfaces", NULL, &reply, 0, FALSE);
    qemuDomainObjEndJob(*obj);
    qemuDomainObjUnref(*obj);
    if (rc < 0)
        return -1;
    if (!json_object_is_type(reply, json_type_array)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                      "qemu agent didn't return an array of interfaces");
        return -1;
    }
    n = json_object_array_length(reply);
    for (i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(reply, i);
        json_object *addrs = NULL;
        const char *name = jsonStr(e, "name");
        const char *hw = jsonStr(e, "hardware-address");
        remote_domain_interface it;
        remote_domain_interface *p;
        size_t k, m;

        if (!name) {
            mvReportError(MV_ERR_INTERNAL_ERROR, "%s",
                          "qemu agent didn't provide 'name' field");
            return -1;
        }
        memset(&it, 0, sizeof(it));
        it.name = g_strdup(name);
        if (hw) {
            it.hwaddr = g_new0(char *, 1);
            *it.hwaddr = g_strdup(hw);
        }
        g_array_append_val(ifaces, it);
        p = &g_array_index(ifaces, remote_domain_interface, ifaces->len - 1);
        if (!json_object_object_get_ex(e, "ip-addresses", &addrs) ||
            !json_object_is_type(addrs, json_type_array))
            continue;
        m = json_object_array_length(addrs);
        for (k = 0; k < m; k++) {
            json_object *ad = json_object_array_get_idx(addrs, k);
            const char *type = jsonStr(ad, "ip-address-type");
            const char *addr = jsonStr(ad, "ip-address");
            unsigned long long prefix = 0;

            if (!type || !addr)
                continue;
            jsonU64(ad, "prefix", &prefix);
            ifaceAddAddr(p, strcmp(type, "ipv6") == 0 ? 1 : 0, addr, (unsigned int)prefix);
        }
    }
    return 0;
}

int
mvRemoteDispatchDomainInterfaceAddresses(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_interface_addresses_args *args = a;
    remote_domain_interface_addresses_ret *ret = r;
    qemuDomainObj *obj;
    g_autoptr(GArray) ifaces = g_array_new(FALSE, TRUE, sizeof(remote_domain_interface));
    size_t i;
    int rc = -1;

    if (qemuCheckFlags(args->flags, 0, "qemuDomainInterfaceAddresses") < 0)
        return -1;
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    switch (args->source) {
    case IFADDR_SRC_LEASE:
        for (i = 0; i < obj->def->nnets; i++) {
            const mvDomainNetDef *net = obj->def->nets[i];
            GPtrArray *leases;
            remote_domain_interface *it;
            guint k;

            if (!net->type || strcmp(net->type, "network") != 0)
                continue;
            leases = leasesForMac(net->mac);
            if (leases->len) {
                it = ifaceAppend(ifaces, net);
                for (k = 0; k < leases->len; k++) {
                    leaseEntry *e = g_ptr_array_index(leases, k);
                    ifaceAddAddr(it, e->type, e->ip, e->type ? 64 : 24);
                }
            }
            leasesFree(leases);
        }
        break;
    case IFADDR_SRC_AGENT:
        if (agentInterfaces(&obj, ifaces) < 0)
            goto cleanup;
        break;
    case IFADDR_SRC_ARP: {
        g_autofree char *buf = NULL;
        g_auto(GStrv) lines = NULL;

        if (!g_file_get_contents("/proc/net/arp", &buf, NULL, NULL)) {
            mvReportSystemError(errno, "%s", "Could not read /proc/net/arp");
            goto cleanup;
        }
        lines = g_strsplit(buf, "\n", -1);
        for (i = 0; i < obj->def->nnets; i++) {
            const mvDomainNetDef *net = obj->def->nets[i];
            size_t k;
            /* skip the header line */
            for (k = 1; lines[k]; k++) {
                char ip[64], hw[64], mac[32];
                unsigned int hwtype, fl;
                if (sscanf(lines[k], "%63s 0x%x 0x%x %31s %63s", ip, &hwtype, &fl, mac, hw) < 4)
                    continue;
                if (g_ascii_strcasecmp(mac, net->mac) != 0)
                    continue;
                ifaceAddAddr(ifaceAppend(ifaces, net), 0, ip, 0);
            }
        }
        break;
    }
    default:
        mvReportError(MV_ERR_ARGUMENT_UNSUPPORTED, "Unknown IP address data source %d",
                      args->source);
        goto cleanup;
    }
    ret->ifaces.ifaces_len = ifaces->len;
    ret->ifaces.ifaces_val = (remote_domain_interface *)g_array_free(g_steal_pointer(&ifaces),
                                                                    FALSE);
    if (ret->ifaces.ifaces_len == 0)
        g_clear_pointer(&ret->ifaces.ifaces_val, g_free);
    rc = 0;
 cleanup:
    if (ifaces) {
        guint k;
        for (k = 0; k < ifaces->len; k++) {
            remote_domain_interface *it = &g_array_index(ifaces, remote_domain_interface, k);
            guint j;
            g_free(it->name);
            if (it->hwaddr)
                g_free(*it->hwaddr);
            g_free(it->hwaddr);
            for (j = 0; j < it->addrs.addrs_len; j++)
                g_free(it->addrs.addrs_val[j].addr);
            g_free(it->addrs.addrs_val);
        }
    }
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainGetHostname(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_hostname_args *args = a;
    remote_domain_get_hostname_ret *ret = r;
    unsigned int flags = args->flags;
    qemuDomainObj *obj;
    g_autofree char *hostname = NULL;
    int rc = -1;

    if (qemuCheckFlags(flags, HOSTNAME_LEASE | HOSTNAME_AGENT, "qemuDomainGetHostname") < 0)
        return -1;
    if ((flags & HOSTNAME_LEASE) && (flags & HOSTNAME_AGENT)) {
        mvReportError(MV_ERR_INVALID_ARG, "%s",
                      "Flags 'VIR_DOMAIN_GET_HOSTNAME_LEASE' and 'VIR_DOMAIN_GET_HOSTNAME_AGENT' are mutually exclusive");
        return -1;
    }
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    if (!(flags & HOSTNAME_LEASE)) {
        JSON_AUTO json_object *reply = NULL;
        int r2;

        if (objBeginJob(&obj) < 0)
            return -1;
        r2 = checkActive(obj) < 0 ? -1
             : qemuAgentCommand(obj, "guest-get-host-name", NULL, &reply, 0, FALSE);
        if (r2 == 0 && jsonStr(reply, "host-name"))
            hostname = g_strdup(jsonStr(reply, "host-name"));
        qemuDomainObjEndJob(obj);
        qemuDomainObjUnref(obj);
        if (r2 < 0)
            goto cleanup;
    } else {
        size_t i;
        for (i = 0; i < obj->def->nnets && !hostname; i++) {
            const mvDomainNetDef *net = obj->def->nets[i];
            GPtrArray *leases;
            guint k;

            if (!net->type || strcmp(net->type, "network") != 0)
                continue;
            leases = leasesForMac(net->mac);
            for (k = 0; k < leases->len && !hostname; k++) {
                leaseEntry *e = g_ptr_array_index(leases, k);
                if (e->hostname && *e->hostname)
                    hostname = g_strdup(e->hostname);
            }
            leasesFree(leases);
        }
    }
    if (!hostname) {
        mvReportError(MV_ERR_NO_HOSTNAME, "no hostname found for domain %s", obj->def->name);
        goto cleanup;
    }
    ret->hostname = g_steal_pointer(&hostname);
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

/* ---- send-key -------------------------------------------------------------- */

/* Key code facts (Linux input code, AT set 1/2/3 scan codes, OS X virtual
 * key, XFree86 KBD XT, USB HID usage, Win32 virtual key) of every key in the
 * keycodemapdb database; -1 = no code in that set.  QEMU's "number" keys
 * (qnum) are AT set 1 codes with 0xe0XX written as 0x80|XX. */
static const short keyTable[][8] = {
    {0,-1,-1,-1,255,-1,-1,-1}, {1,1,118,8,53,1,41,27}, {2,2,22,22,18,2,30,49},
    {2,2,22,22,18,2,30,49}, {3,3,30,30,19,3,31,50}, {3,3,30,30,19,3,31,50}, {4,4,38,38,20,4,32,51},
    {4,4,38,38,20,4,32,51}, {5,5,37,37,21,5,33,52}, {5,5,37,37,21,5,33,52}, {6,6,46,46,23,6,34,53},
    {6,6,46,46,23,6,34,53}, {7,7,54,54,22,7,35,54}, {7,7,54,54,22,7,35,54}, {8,8,61,61,26,8,36,55},
    {8,8,61,61,26,8,36,55}, {9,9,62,62,28,9,37,56}, {9,9,62,62,28,9,37,56},
    {10,10,70,70,25,10,38,57}, {10,10,70,70,25,10,38,57}, {11,11,69,69,29,11,39,48},
    {11,11,69,69,29,11,39,48}, {12,12,78,78,27,12,45,189}, {12,12,78,78,27,12,45,189},
    {13,13,85,85,24,13,46,187}, {13,13,85,85,24,13,46,187}, {14,14,102,102,51,14,42,8},
    {15,15,13,13,48,15,43,9}, {16,16,21,21,12,16,20,81}, {16,16,21,21,12,16,20,81},
    {17,17,29,29,13,17,26,87}, {17,17,29,29,13,17,26,87}, {18,18,36,36,14,18,8,69},
    {18,18,36,36,14,18,8,69}, {19,19,45,45,15,19,21,82}, {19,19,45,45,15,19,21,82},
    {20,20,44,44,17,20,23,84}, {20,20,44,44,17,20,23,84}, {21,21,53,53,16,21,28,89},
    {21,21,53,53,16,21,28,89}, {22,22,60,60,32,22,24,85}, {22,22,60,60,32,22,24,85},
    {23,23,67,67,34,23,12,73}, {23,23,67,67,34,23,12,73}, {24,24,68,68,31,24,18,79},
    {24,24,68,68,31,24,18,79}, {25,25,77,77,35,25,19,80}, {25,25,77,77,35,25,19,80},
    {26,26,84,84,33,26,47,219}, {26,26,84,84,33,26,47,219}, {27,27,91,91,30,27,48,221},
    {27,27,91,91,30,27,48,221}, {28,28,90,90,36,28,40,13}, {29,29,20,17,59,29,224,162},
    {29,29,20,17,59,29,224,17}, {30,30,28,28,0,30,4,65}, {30,30,28,28,0,30,4,65},
    {31,31,27,27,1,31,22,83}, {31,31,27,27,1,31,22,83}, {32,32,35,35,2,32,7,68},
    {32,32,35,35,2,32,7,68}, {33,33,43,43,3,33,9,70}, {33,33,43,43,3,33,9,70},
    {34,34,52,52,5,34,10,71}, {34,34,52,52,5,34,10,71}, {35,35,51,51,4,35,11,72},
    {35,35,51,51,4,35,11,72}, {36,36,59,59,38,36,13,74}, {36,36,59,59,38,36,13,74},
    {37,37,66,66,40,37,14,75}, {37,37,66,66,40,37,14,75}, {38,38,75,75,37,38,15,76},
    {38,38,75,75,37,38,15,76}, {39,39,76,76,41,39,51,186}, {39,39,76,76,41,39,51,186},
    {40,40,82,82,39,40,52,222}, {40,40,82,82,39,40,52,222}, {41,41,14,14,50,41,53,192},
    {41,41,14,14,50,41,53,192}, {41,41,14,14,50,41,53,192}, {41,41,14,14,50,41,53,192},
    {42,42,18,18,56,42,225,16}, {42,42,18,18,56,42,225,160}, {43,43,93,92,42,43,49,220},
    {43,43,93,92,42,43,49,220}, {43,43,93,92,42,43,49,220}, {43,43,93,92,42,43,49,220},
    {43,43,93,92,42,43,50,220}, {43,43,93,92,42,43,50,220}, {43,43,93,92,42,43,50,220},
    {43,43,93,92,42,43,50,220}, {44,44,26,26,6,44,29,90}, {44,44,26,26,6,44,29,90},
    {45,45,34,34,7,45,27,88}, {45,45,34,34,7,45,27,88}, {46,46,33,33,8,46,6,67},
    {46,46,33,33,8,46,6,67}, {47,47,42,42,9,47,25,86}, {47,47,42,42,9,47,25,86},
    {48,48,50,50,11,48,5,66}, {48,48,50,50,11,48,5,66}, {49,49,49,49,45,49,17,78},
    {49,49,49,49,45,49,17,78}, {50,50,58,58,46,50,16,77}, {50,50,58,58,46,50,16,77},
    {51,51,65,65,43,51,54,188}, {51,51,65,65,43,51,54,188}, {52,52,73,73,47,52,55,190},
    {52,52,73,73,47,52,55,190}, {53,53,74,74,44,53,56,191}, {53,53,74,74,44,53,56,191},
    {54,54,89,89,60,54,229,161}, {55,55,124,126,67,55,85,106}, {55,55,124,126,67,55,85,106},
    {56,56,17,25,58,56,226,164}, {56,56,17,25,58,56,226,18}, {57,57,41,41,49,57,44,32},
    {58,58,88,20,57,58,57,20}, {59,59,5,7,122,59,58,112}, {60,60,6,15,120,60,59,113},
    {61,61,4,23,99,61,60,114}, {62,62,12,31,118,62,61,115}, {63,63,3,39,96,63,62,116},
    {64,64,11,47,97,64,63,117}, {65,65,131,55,98,65,64,118}, {66,66,10,63,100,66,65,119},
    {67,67,1,71,101,67,66,120}, {68,68,9,79,109,68,67,121}, {69,69,119,118,71,69,83,144},
    {70,70,126,95,-1,70,71,145}, {71,71,108,108,89,71,95,103}, {72,72,117,117,91,72,96,104},
    {73,73,125,125,92,73,97,105}, {74,74,123,78,78,74,86,109}, {75,75,107,107,86,75,92,100},
    {76,76,115,115,87,76,93,101}, {77,77,116,116,88,77,94,102}, {78,78,121,124,69,78,87,107},
    {79,79,105,105,83,79,89,97}, {80,80,114,114,84,80,90,98}, {81,81,122,122,85,81,91,99},
    {82,82,112,112,82,82,98,96}, {83,83,113,113,65,83,99,110}, {83,83,113,113,65,83,99,110},
    {84,84,-1,-1,-1,-1,-1,-1}, {85,118,95,-1,-1,-1,148,-1}, {86,86,97,19,-1,86,100,226},
    {87,87,120,86,103,87,68,122}, {88,88,7,94,111,88,69,123}, {89,115,81,-1,94,115,135,226},
    {90,120,99,-1,-1,-1,146,21}, {90,120,99,-1,-1,-1,146,21}, {91,119,98,135,-1,-1,147,-1},
    {91,119,98,135,-1,-1,147,-1}, {92,121,100,134,-1,121,138,28}, {93,112,19,135,-1,112,136,242},
    {94,123,103,133,-1,123,139,29}, {94,123,103,133,-1,123,139,29}, {95,92,39,-1,95,-1,140,-1},
    {95,92,39,-1,95,-1,140,-1}, {96,57372,57434,121,76,100,88,-1},
    {97,57373,57364,88,62,101,228,163}, {98,57397,57418,74,75,104,84,111},
    {99,84,127,87,-1,103,70,44}, {99,84,127,87,-1,103,70,44}, {100,57400,57361,57,61,105,230,165},
    {100,57400,57361,57,61,105,230,165}, {101,91,-1,-1,-1,-1,-1,-1},
    {102,57415,57452,110,115,89,74,36}, {103,57416,57461,99,126,90,82,38},
    {104,57417,57469,111,116,91,75,33}, {105,57419,57451,97,123,92,80,37},
    {106,57421,57460,106,124,94,79,39}, {107,57423,57449,101,119,95,77,35},
    {108,57424,57458,96,125,96,81,40}, {109,57425,57466,109,121,97,78,34},
    {110,57426,57456,103,-1,98,73,45}, {111,57427,57457,100,117,99,76,46},
    {111,57427,57457,100,117,99,76,46}, {112,57455,57455,142,-1,-1,-1,-1},
    {113,57376,57379,156,74,-1,127,173}, {113,57376,57379,156,74,-1,239,173},
    {114,57390,57377,157,73,-1,129,174}, {114,57390,57377,157,73,-1,238,174},
    {115,57392,57394,149,72,-1,128,175}, {115,57392,57394,149,72,-1,237,175},
    {116,57438,57399,-1,-1,-1,102,-1}, {117,89,15,-1,81,118,103,-1},
    {118,57422,57465,-1,-1,-1,-1,-1}, {119,57414,57463,98,-1,102,72,19},
    {120,57355,-1,-1,-1,-1,-1,-1}, {121,126,109,-1,-1,-1,133,108}, {121,126,109,-1,-1,-1,133,108},
    {122,114,-1,-1,104,113,144,21}, {122,114,-1,-1,104,113,144,22}, {123,113,-1,-1,102,114,145,25},
    {123,113,-1,-1,102,114,145,26}, {124,125,106,93,93,125,137,220},
    {125,57435,57375,139,55,107,227,91}, {125,57435,57375,139,55,107,227,91},
    {126,57436,57383,140,54,108,231,92}, {126,57436,57383,140,54,108,231,92},
    {127,57437,57391,141,110,109,101,93}, {127,57437,57391,141,110,109,101,93},
    {128,57448,57384,10,-1,-1,120,169}, {128,57448,57384,10,-1,-1,243,169},
    {129,57349,-1,11,-1,-1,121,-1}, {130,57350,-1,12,-1,-1,-1,-1}, {131,57351,-1,16,-1,-1,122,-1},
    {132,57356,-1,-1,-1,-1,119,-1}, {133,57464,-1,24,-1,-1,124,-1}, {134,100,-1,32,-1,-1,116,-1},
    {135,101,-1,40,-1,-1,125,-1}, {136,57409,-1,48,-1,-1,126,-1}, {136,57409,-1,48,-1,-1,244,-1},
    {137,57404,-1,56,-1,-1,123,-1}, {138,57461,-1,9,114,-1,117,47},
    {139,57374,-1,145,-1,-1,118,-1}, {140,57377,57387,163,-1,-1,251,-1},
    {141,102,-1,-1,-1,-1,-1,-1}, {142,57439,57407,-1,-1,-1,248,95},
    {143,57443,57438,-1,-1,-1,-1,-1}, {144,103,-1,-1,-1,-1,-1,-1}, {145,104,-1,-1,-1,-1,-1,-1},
    {146,105,-1,-1,-1,-1,-1,-1}, {147,57363,-1,162,-1,-1,-1,-1}, {147,57363,-1,162,-1,-1,-1,-1},
    {148,57375,-1,160,-1,-1,-1,-1}, {149,57367,-1,161,-1,-1,-1,-1}, {150,57346,-1,-1,-1,-1,240,-1},
    {151,106,-1,-1,-1,-1,-1,-1}, {152,57362,-1,150,-1,-1,249,-1}, {153,107,-1,-1,-1,-1,-1,-1},
    {154,57382,-1,155,-1,-1,-1,-1}, {155,57452,57416,-1,-1,-1,-1,-1},
    {156,57446,57368,-1,-1,-1,-1,-1}, {157,57451,57408,-1,-1,-1,-1,-1},
    {158,57450,57400,-1,-1,-1,241,166}, {159,57449,57392,-1,-1,-1,242,167},
    {160,57379,-1,154,-1,-1,-1,-1}, {161,108,-1,-1,-1,-1,236,-1}, {162,57469,-1,-1,-1,-1,-1,-1},
    {163,57369,57421,147,-1,-1,235,176}, {164,57378,57396,-1,-1,-1,232,179},
    {165,57360,57365,148,-1,-1,234,177}, {166,57380,57403,152,-1,-1,233,178},
    {167,57393,-1,158,-1,-1,-1,-1}, {168,57368,-1,159,-1,-1,-1,-1}, {169,99,-1,-1,-1,-1,-1,-1},
    {170,-1,-1,-1,10,-1,-1,-1}, {171,57345,-1,-1,-1,-1,-1,-1}, {172,57394,57402,151,-1,-1,-1,172},
    {173,57447,57376,-1,-1,-1,250,168}, {176,57352,-1,-1,-1,-1,247,-1},
    {177,117,-1,-1,-1,-1,245,-1}, {178,57359,-1,-1,-1,-1,246,-1}, {179,57462,-1,-1,-1,-1,182,-1},
    {180,57467,-1,-1,-1,-1,183,-1}, {181,57353,-1,-1,-1,-1,-1,-1}, {182,57354,-1,-1,-1,-1,-1,-1},
    {183,93,47,127,105,110,104,124}, {184,94,55,128,107,111,105,125},
    {185,95,63,129,113,112,106,126}, {186,85,-1,130,106,113,107,127},
    {187,57347,-1,131,64,114,108,128}, {188,57463,-1,-1,79,-1,109,129},
    {189,57348,-1,-1,80,-1,110,130}, {190,90,-1,-1,90,-1,111,131}, {191,116,-1,-1,-1,-1,112,132},
    {192,57465,-1,-1,-1,-1,113,133}, {193,109,-1,-1,-1,-1,114,134}, {194,111,-1,-1,-1,-1,115,135},
    {195,57365,-1,-1,-1,-1,-1,-1}, {196,57366,-1,-1,-1,-1,-1,-1}, {197,57370,-1,-1,-1,-1,-1,-1},
    {198,57371,-1,-1,-1,-1,-1,-1}, {199,57383,-1,-1,-1,-1,-1,-1}, {200,57384,-1,-1,-1,-1,-1,-1},
    {201,57385,-1,-1,-1,-1,-1,-1}, {202,57387,-1,-1,-1,-1,-1,-1}, {203,57388,-1,-1,-1,-1,-1,-1},
    {204,57389,-1,-1,-1,-1,-1,-1}, {205,57381,-1,-1,-1,-1,-1,-1}, {206,57391,-1,-1,-1,-1,-1,-1},
    {207,57395,-1,-1,-1,-1,-1,250}, {208,57396,-1,-1,-1,-1,-1,-1}, {209,57398,-1,-1,-1,-1,-1,-1},
    {210,57401,-1,-1,-1,-1,-1,42}, {211,57402,-1,-1,-1,-1,-1,-1}, {212,57403,-1,-1,-1,-1,-1,-1},
    {213,57405,-1,-1,-1,-1,-1,-1}, {214,57406,-1,-1,-1,-1,-1,-1}, {215,57407,-1,-1,-1,-1,-1,180},
    {216,57408,-1,-1,-1,-1,-1,-1}, {217,57445,57360,-1,-1,-1,-1,170},
    {218,57410,-1,-1,-1,-1,-1,-1}, {219,57411,-1,-1,-1,-1,-1,-1}, {220,57412,-1,-1,-1,-1,-1,-1},
    {221,57413,-1,-1,-1,-1,-1,-1}, {222,57364,-1,-1,-1,-1,-1,-1}, {223,57418,-1,-1,-1,-1,-1,-1},
    {224,57420,-1,-1,-1,-1,-1,-1}, {225,57428,-1,-1,-1,-1,-1,-1}, {226,57453,57424,-1,-1,-1,-1,-1},
    {227,57430,-1,-1,-1,-1,-1,-1}, {228,57431,-1,-1,-1,-1,-1,-1}, {229,57432,-1,-1,-1,-1,-1,-1},
    {230,57433,-1,-1,-1,-1,-1,-1}, {231,57434,-1,-1,-1,-1,-1,-1}, {232,57444,-1,-1,-1,-1,-1,-1},
    {233,57358,-1,-1,-1,-1,-1,-1}, {234,57429,-1,-1,-1,-1,-1,-1}, {235,57456,-1,-1,-1,-1,-1,-1},
    {236,57457,-1,-1,-1,-1,-1,-1}, {237,57458,-1,-1,-1,-1,-1,-1}, {238,57459,-1,-1,-1,-1,-1,-1},
    {239,57460,-1,-1,-1,-1,-1,-1}, {255,-1,57362,-1,-1,-1,-1,-1}, {256,-1,-1,-1,-1,-1,-1,1},
    {257,-1,-1,-1,-1,-1,-1,2}, {258,-1,-1,-1,-1,-1,-1,4}, {259,-1,-1,-1,-1,-1,-1,5},
    {260,-1,-1,-1,-1,-1,-1,6}, {353,-1,-1,-1,-1,-1,-1,41}, {364,-1,-1,-1,-1,-1,-1,171},
    {372,-1,-1,-1,-1,-1,-1,251}, {464,-1,-1,-1,63,-1,-1,-1},
};

enum { KEYSET_LINUX = 0, KEYSET_XT = 1, KEYSET_ATSET1 = 2, KEYSET_ATSET2 = 3, KEYSET_ATSET3 = 4,
       KEYSET_OSX = 5, KEYSET_XT_KBD = 6, KEYSET_USB = 7, KEYSET_WIN32 = 8, KEYSET_QNUM = 9,
       KEYSET_LAST = 10 };
static const char *const keysetNames[KEYSET_LAST] = {
    "linux", "xt", "atset1", "atset2", "atset3", "osx", "xt_kbd", "usb", "win32", "qnum" };
/* column of keyTable for each codeset (qnum: derived from column 1) */
static const int keysetColumn[KEYSET_LAST] = { 0, 1, 1, 2, 3, 4, 5, 6, 7, -1 };

static int
set1ToQnum(int set1)
{
    if (set1 < 0)
        return -1;
    if (set1 > 0x7f)
        return (set1 & 0xff00) == 0xe000 ? (0x80 | (set1 & 0x7f)) : -1;
    return set1;
}

static int
keyToQnum(unsigned int codeset, unsigned int code)
{
    size_t i;

    if (codeset == KEYSET_QNUM)
        return (int)code;
    for (i = 0; i < G_N_ELEMENTS(keyTable); i++) {
        if (keyTable[i][keysetColumn[codeset]] == (int)code)
            return set1ToQnum(keyTable[i][1]);
    }
    return -1;
}

int
mvRemoteDispatchDomainSendKey(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_send_key_args *args = a;
    unsigned int n = args->keycodes.keycodes_len;
    unsigned int keys[REMOTE_DOMAIN_SEND_KEY_MAX];
    qemuDomainObj *obj;
    qemuMonitor *mon;
    unsigned int i;
    int rc = -1;

    if (qemuCheckFlags(args->flags, 0, "qemuDomainSendKey") < 0)
        return -1;
    if (n == 0 || n > REMOTE_DOMAIN_SEND_KEY_MAX) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "nkeycodes must be in 1..16");
        return -1;
    }
    if (args->codeset >= KEYSET_LAST) {
        mvReportError(MV_ERR_INVALID_ARG, "invalid codeset %u", args->codeset);
        return -1;
    }
    for (i = 0; i < n; i++) {
        int q = keyToQnum(args->codeset, args->keycodes.keycodes_val[i]);
        if (q < 0) {
            mvReportError(MV_ERR_INTERNAL_ERROR,
                          "cannot translate keycode %u of %s codeset to qnum keycode",
                          args->keycodes.keycodes_val[i], keysetNames[args->codeset]);
            return -1;
        }
        keys[i] = (unsigned int)q;
    }
    if (!(obj = objGetJob(call, &args->dom)))
        return -1;
    if (!(mon = monEnter(obj)))
        goto cleanup;
    rc = qemuMonitorSendKey(mon, args->holdtime, keys, n);
    if (monExit(obj, mon) < 0)
        rc = -1;
 cleanup:
    objEndJob(&obj);
    return rc;
}

/* ---- screenshot ------------------------------------------------------------ */

int
mvRemoteDispatchDomainScreenshot(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_screenshot_args *args = a;
    remote_domain_screenshot_ret *ret = r;
    qemuDomainObj *obj;
    qemuMonitor *mon;
    g_autofree char *tmp = NULL;
    mvRpcStream *st;
    int fd = -1, rc = -1, r2;

    if (qemuCheckFlags(args->flags, 0, "qemuDomainScreenshot") < 0)
        return -1;
    if (!(obj = objGetJob(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    if (obj->def->ndevs[MV_DOMAIN_DEVICE_VIDEO] == 0) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "no screens to take screenshot from");
        goto cleanup;
    }
    if (args->screen != 0) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "no such screen ID");
        goto cleanup;
    }
    tmp = g_strdup_printf("%s/qemu.screendump.XXXXXX", obj->libDir);
    if ((fd = g_mkstemp_full(tmp, O_RDWR | O_CLOEXEC, 0600)) < 0) {
        mvReportSystemError(errno, "g_mkstemp(\"%s\") failed", tmp);
        goto cleanup;
    }
    close(fd);
    fd = -1;
    if (!(mon = monEnter(obj)))
        goto unlink;
    {
        /* PNG, as libvirt 9.0 asks of a QEMU that can (7.1+) */
        json_object *sargs = json_object_new_object();
        json_object_object_add(sargs, "filename", json_object_new_string(tmp));
        json_object_object_add(sargs, "format", json_object_new_string("png"));
        r2 = qemuMonitorCommand(mon, "screendump", sargs, NULL, 0);
    }
    if (monExit(obj, mon) < 0 || r2 < 0)
        goto unlink;
    if ((fd = open(tmp, O_RDONLY | O_CLOEXEC)) < 0) {
        mvReportError(MV_ERR_OPERATION_FAILED, "%s", "unable to open stream");
        goto unlink;
    }
    if (!(st = mvRpcStreamAttachFD(call, fd, TRUE, FALSE, NULL, NULL))) {
        fd = -1;
        goto unlink;
    }
    fd = -1;
    mvRpcStreamUnref(st);
    ret->mime = g_new0(char *, 1);
    *ret->mime = g_strdup("image/png");
    rc = 0;
 unlink:
    if (fd >= 0)
        close(fd);
    unlink(tmp);   /* the open fd keeps the data for the stream */
 cleanup:
    objEndJob(&obj);
    return rc;
}

/* ---- control, jobs, tuning -------------------------------------------------- */

int
mvRemoteDispatchDomainGetControlInfo(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_control_info_args *args = a;
    remote_domain_get_control_info_ret *ret = r;
    qemuDomainObj *obj;
    int rc = -1;

    if (qemuCheckFlags(args->flags, 0, "qemuDomainGetControlInfo") < 0)
        return -1;
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    if (!obj->mon || !qemuMonitorIsAlive(obj->mon)) {
        ret->state = 3;     /* VIR_DOMAIN_CONTROL_ERROR */
        ret->details = 1;   /* ..._ERROR_REASON_MONITOR */
    } else if (obj->job) {
        ret->state = 2;     /* VIR_DOMAIN_CONTROL_OCCUPIED */
    } else {
        ret->state = 0;     /* VIR_DOMAIN_CONTROL_OK */
    }
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainGetJobInfo(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_job_info_args *args = a;
    qemuDomainObj *obj;
    int rc;

    if (!(obj = objGet(call, &args->dom)))
        return -1;
    rc = checkActive(obj);     /* no background jobs: type NONE, all zero */
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainGetJobStats(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_job_stats_args *args = a;
    remote_domain_get_job_stats_ret *ret = r;
    qemuDomainObj *obj;
    int rc = 0;

    if (qemuCheckFlags(args->flags, 1 | 2, "qemuDomainGetJobStats") < 0)
        return -1;
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (!(args->flags & 1))
        rc = checkActive(obj);
    ret->type = 0;
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainGetSchedulerType(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_scheduler_type_args *args = a;
    remote_domain_get_scheduler_type_ret *ret = r;
    qemuDomainObj *obj;
    int rc = -1;

    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (!qemu_driver->privileged) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s",
                      "CPU tuning is not available in session mode");
        goto cleanup;
    }
    if (qemuDomainObjIsActive(obj)) {
        /* running guests are not placed in cgroups by this daemon */
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "cgroup CPU controller is not mounted");
        goto cleanup;
    }
    ret->type = g_strdup("posix");
    ret->nparams = 9;
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

/* A <memtune> limit in KiB, unlimited when absent. */
static unsigned long long
memtuneLimit(const mvDomainDef *def, const char *name)
{
    xmlNode *mt = defExtra(def, "memtune");
    xmlNode *n = mt ? mvXMLChild(mt, name) : NULL;
    unsigned long long kib;

    if (!n || mvXMLParseMemoryKiB(n, name, &kib) < 0) {
        mvErrorReset();
        return MEMORY_PARAM_UNLIMITED;
    }
    return kib;
}

int
mvRemoteDispatchDomainGetMemoryParameters(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_memory_parameters_args *args = a;
    remote_domain_get_memory_parameters_ret *ret = r;
    g_autoptr(qemuTypedParamList) l = qemuTypedParamListNew();
    qemuDomainObj *obj;
    const mvDomainDef *def;
    int rc = -1;

    if (qemuCheckFlags(args->flags, AFFECT_LIVE | AFFECT_CONFIG | QEMU_TYPED_PARAM_STRING_OKAY,
                       "qemuDomainGetMemoryParameters") < 0)
        return -1;
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (!qemu_driver->privileged) {
        mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s",
                      "Memory tuning is not available in session mode");
        goto cleanup;
    }
    if (!(def = queryDef(obj, args->flags & (AFFECT_LIVE | AFFECT_CONFIG), NULL)))
        goto cleanup;
    if (qemuTypedParamListAddULLong(l, memtuneLimit(def, "hard_limit"), "hard_limit") < 0 ||
        qemuTypedParamListAddULLong(l, memtuneLimit(def, "soft_limit"), "soft_limit") < 0 ||
        qemuTypedParamListAddULLong(l, memtuneLimit(def, "swap_hard_limit"), "swap_hard_limit") < 0)
        goto cleanup;
    rc = qemuTypedParamListReturn(l, args->nparams, REMOTE_DOMAIN_MEMORY_PARAMETERS_MAX,
                                  args->flags, &ret->params.params_val, &ret->params.params_len,
                                  &ret->nparams);
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainGetBlkioParameters(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_blkio_parameters_args *args = a;
    remote_domain_get_blkio_parameters_ret *ret = r;
    g_autoptr(qemuTypedParamList) l = qemuTypedParamListNew();
    qemuDomainObj *obj;
    const mvDomainDef *def;
    unsigned int weight = 0;
    xmlNode *bt;
    int rc = -1;

    if (qemuCheckFlags(args->flags, AFFECT_LIVE | AFFECT_CONFIG | QEMU_TYPED_PARAM_STRING_OKAY,
                       "qemuDomainGetBlkioParameters") < 0)
        return -1;
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (!qemu_driver->privileged) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "Block I/O tuning is not available in session mode");
        goto cleanup;
    }
    if (!(def = queryDef(obj, args->flags & (AFFECT_LIVE | AFFECT_CONFIG), NULL)))
        goto cleanup;
    if ((bt = defExtra(def, "blkiotune"))) {
        g_autofree char *w = mvXMLContent(mvXMLChild(bt, "weight"));
        if (w)
            mvStrToUInt(w, 10, &weight);
    }
    if (qemuTypedParamListAddUInt(l, weight, "weight") < 0 ||
        qemuTypedParamListAddString(l, "", "device_weight") < 0 ||
        qemuTypedParamListAddString(l, "", "device_read_iops_sec") < 0 ||
        qemuTypedParamListAddString(l, "", "device_write_iops_sec") < 0 ||
        qemuTypedParamListAddString(l, "", "device_read_bytes_sec") < 0 ||
        qemuTypedParamListAddString(l, "", "device_write_bytes_sec") < 0)
        goto cleanup;
    rc = qemuTypedParamListReturn(l, args->nparams, REMOTE_DOMAIN_BLKIO_PARAMETERS_MAX,
                                  args->flags, &ret->params.params_val, &ret->params.params_len,
                                  &ret->nparams);
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainGetNumaParameters(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_numa_parameters_args *args = a;
    remote_domain_get_numa_parameters_ret *ret = r;
    static const char *const modes[] = { "strict", "preferred", "interleave", "restrictive" };
    g_autoptr(qemuTypedParamList) l = qemuTypedParamListNew();
    g_autofree char *mode = NULL;
    g_autofree char *nodeset = NULL;
    qemuDomainObj *obj;
    const mvDomainDef *def;
    xmlNode *nt;
    int m = 0, rc = -1;
    size_t i;

    if (qemuCheckFlags(args->flags, AFFECT_LIVE | AFFECT_CONFIG | QEMU_TYPED_PARAM_STRING_OKAY,
                       "qemuDomainGetNumaParameters") < 0)
        return -1;
    if (!(obj = objGet(call, &args->dom)))
        return -1;
    if (!(def = queryDef(obj, args->flags & (AFFECT_LIVE | AFFECT_CONFIG), NULL)))
        goto cleanup;
    if ((nt = defExtra(def, "numatune"))) {
        mode = mvXMLChildProp(nt, "memory", "mode");
        nodeset = mvXMLChildProp(nt, "memory", "nodeset");
    }
    for (i = 0; mode && i < G_N_ELEMENTS(modes); i++) {
        if (strcmp(mode, modes[i]) == 0)
            m = (int)i;
    }
    if (qemuTypedParamListAddInt(l, m, "numa_mode") < 0 ||
        qemuTypedParamListAddString(l, nodeset ? nodeset : "", "numa_nodeset") < 0)
        goto cleanup;
    rc = qemuTypedParamListReturn(l, args->nparams, REMOTE_DOMAIN_NUMA_PARAMETERS_MAX,
                                  args->flags, &ret->params.params_val, &ret->params.params_len,
                                  &ret->nparams);
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}
