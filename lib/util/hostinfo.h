/* Facts about the host: node info, memory, CPU statistics, NUMA topology,
 * host CPU model, sysinfo.  Everything is read from /proc and /sys (plus CPUID
 * and /dev/kvm on x86) the way libvirt's node* APIs report it.
 * Functions that fail set the thread's error (MV_FROM_NONE domain) and return
 * -1/NULL.  MODVIRT_SYSFS_PREFIX / MODVIRT_PROCFS_PREFIX, when set, prefix
 * every /sys and /proc path (for tests with a fake host). */
#pragma once
#include <glib.h>

/* virNodeInfo, field by field. */
typedef struct mvNodeInfo {
    char model[32];          /* "x86_64" (uname machine) */
    unsigned long memory;    /* KiB */
    unsigned int cpus;       /* online CPUs */
    unsigned int mhz;
    unsigned int nodes;      /* NUMA nodes */
    unsigned int sockets;    /* per node */
    unsigned int cores;      /* per socket */
    unsigned int threads;    /* per core */
} mvNodeInfo;

int mvHostGetNodeInfo(mvNodeInfo *info);

/* virNodeGetFreeMemory: bytes. -1 on error. */
int mvHostGetFreeMemory(unsigned long long *bytes);

/* virNodeGetCellsFreeMemory: fills freeMems[0..maxCells) with the free bytes
 * of cells startCell.. ; returns the number filled, -1 + error (invalid
 * startCell gives MV_ERR_INVALID_ARG like libvirt). */
int mvHostGetCellsFreeMemory(unsigned long long *freeMems, int startCell, int maxCells);

/* Node (NUMA cell) count; 1 without NUMA support. */
int mvHostGetCellCount(void);

/* One statistic of virNodeGetCPUStats / virNodeGetMemoryStats. */
#define MV_NODE_STATS_FIELD_LENGTH 80
typedef struct mvNodeStat {
    char field[MV_NODE_STATS_FIELD_LENGTH];
    unsigned long long value;
} mvNodeStat;

/* Memory stats in KiB: cellNum -1 → total/free/buffers/cached (/proc/meminfo);
 * a cell → total/free.  Same contract as libvirt: *nparams == 0 asks for the
 * count (stored in *nparams, returns 0); otherwise fills up to *nparams and
 * sets *nparams to the number filled.  -1 + error on a bad cell. */
int mvHostGetMemoryStats(int cellNum, mvNodeStat *params, int *nparams);

/* CPU stats in ns: kernel, user, idle, iowait (+ "intr" none).  cpuNum -1 = all.
 * Same *nparams contract as above. */
int mvHostGetCPUStats(int cpuNum, mvNodeStat *params, int *nparams);

/* virNodeGetCPUMap: returns the number of present CPUs (max cpu id + 1),
 * *cpumap (optional, g_free) gets a bitmap of online CPUs, *online (optional)
 * their count. */
int mvHostGetCPUMap(unsigned char **cpumap, unsigned int *online);

/* Free pages per cell for each page size (KiB) like virNodeGetFreePages:
 * counts[cell * npages + i].  Returns the number of values filled. */
int mvHostGetFreePages(unsigned int npages, const unsigned int *pages,
                       int startCell, unsigned int cellCount,
                       unsigned long long *counts);

/* <sysinfo type='smbios'> from /sys/class/dmi/id; NULL + MV_ERR_CONFIG_UNSUPPORTED
 * "Host SMBIOS information is not available" when there is none. */
char *mvHostGetSysinfoXML(void);

/* virConnectGetHostname: the fully-qualified name when resolvable. */
char *mvHostGetHostname(void);

/* virConnectGetMaxVcpus of the qemu driver: NULL/"qemu" → 16,
 * "kvm" → KVM's limit, other → -1 + MV_ERR_INVALID_ARG "unknown type '%s'". */
int mvHostGetMaxVcpus(const char *type);
/* KVM_CAP_MAX_VCPUS (or NR_VCPUS, or 4); -1 + error when /dev/kvm cannot be opened. */
int mvHostGetKVMMaxVcpus(void);

/* Host UUID: /sys/class/dmi/id/product_uuid when valid, else /etc/machine-id,
 * else a random one fixed for the process.  Dashed 36-char form, g_free. */
char *mvHostGetUUID(void);

/* Page sizes the host offers, in KiB, ascending (4, 2048, 1048576 …).
 * Returns the count; *sizes is g_free'd by the caller. */
int mvHostGetPageSizes(unsigned int **sizes);

/* ---- NUMA topology ---- */
typedef struct mvHostCellCPU {
    int id;
    int socketId;
    int dieId;
    int coreId;
    char *siblings;          /* cpu list "0,4" / "0-1" */
} mvHostCellCPU;

typedef struct mvHostCell {
    int id;
    unsigned long long memKiB;
    unsigned int npages;
    unsigned int *pageSizes;           /* KiB */
    unsigned long long *pageCounts;    /* total pages of each size */
    unsigned int ndistances;
    int *distanceIds;
    int *distanceValues;
    unsigned int ncpus;
    mvHostCellCPU *cpus;
} mvHostCell;

typedef struct mvHostTopology {
    unsigned int ncells;
    mvHostCell *cells;
} mvHostTopology;

mvHostTopology *mvHostTopologyGet(void);
void mvHostTopologyFree(mvHostTopology *topo);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvHostTopology, mvHostTopologyFree)

/* ---- caches (level >= 3, like libvirt's <cache>) ---- */
typedef struct mvHostCacheBank {
    unsigned int id;
    unsigned int level;
    char *type;                  /* "both", "data", "instruction" */
    unsigned long long sizeKiB;
    char *cpus;                  /* cpu list */
} mvHostCacheBank;

/* Returns the number of banks; *banks freed with mvHostCacheBanksFree. */
int mvHostGetCacheBanks(mvHostCacheBank **banks);
void mvHostCacheBanksFree(mvHostCacheBank *banks, int nbanks);

/* ---- host CPU model (x86 decodes CPUID against a built-in CPU map) ---- */
typedef struct mvHostCPU {
    char *arch;             /* "x86_64" */
    char *model;            /* "Broadwell-noTSX-IBRS" or NULL when unknown */
    char *vendor;           /* "Intel" / "AMD" / "Hygon" or NULL */
    gboolean haveMicrocode;
    unsigned long long microcode;
    gboolean haveSignature;
    unsigned int family, cpuModel, stepping;
    unsigned long long tscFrequency;   /* Hz, 0 = unknown */
    gboolean tscScaling;
    unsigned int physAddrBits;         /* 0 = unknown */
    unsigned int sockets, dies, cores, threads;
    GPtrArray *features;               /* char*: features beyond the model */
    GPtrArray *allFeatures;            /* char*: every feature the host has */
} mvHostCPU;

mvHostCPU *mvHostCPUGet(void);
void mvHostCPUFree(mvHostCPU *cpu);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvHostCPU, mvHostCPUFree)

/* The x86 CPU models known to the built-in map, in map order, with their
 * vendor ("Intel", "AMD", "Hygon" or NULL).  NULL-terminated. */
const char *const *mvHostCPUModelNames(void);
const char *mvHostCPUModelVendor(const char *model);
/* Append (g_strdup'ed) the features of @model to @out; FALSE when unknown. */
gboolean mvHostCPUModelFeatures(const char *model, GPtrArray *out);

/* Format a cpu bitmap/list as libvirt does: "0-3,5". */
char *mvHostFormatCPUList(const gboolean *set, unsigned int n);
