/* NODE_* and host-information procedures, the same on every daemon. */
#define MV_FROM_THIS MV_FROM_REMOTE
#include <string.h>
#include "remote/remote.h"
#include "util/error.h"
#include "util/hostinfo.h"

int
mvRemoteDispatchNodeGetInfo(struct mvRpcCall *call, void *a, void *r)
{
    remote_node_get_info_ret *ret = r;
    mvNodeInfo info = { 0 };

    if (!mvRemoteConnect(call) || mvHostGetNodeInfo(&info) < 0)
        return -1;
    memcpy(ret->model, info.model, sizeof(ret->model));
    ret->model[sizeof(ret->model) - 1] = '\0';
    ret->memory = info.memory;
    ret->cpus = info.cpus;
    ret->mhz = info.mhz;
    ret->nodes = info.nodes;
    ret->sockets = info.sockets;
    ret->cores = info.cores;
    ret->threads = info.threads;
    return 0;
}

int
mvRemoteDispatchNodeGetFreeMemory(struct mvRpcCall *call, void *a, void *r)
{
    remote_node_get_free_memory_ret *ret = r;
    unsigned long long bytes;

    if (!mvRemoteConnect(call) || mvHostGetFreeMemory(&bytes) < 0)
        return -1;
    ret->freeMem = bytes;
    return 0;
}

int
mvRemoteDispatchNodeGetCellsFreeMemory(struct mvRpcCall *call, void *a, void *r)
{
    remote_node_get_cells_free_memory_args *args = a;
    remote_node_get_cells_free_memory_ret *ret = r;
    g_autofree unsigned long long *cells = NULL;
    int n;

    if (!mvRemoteConnect(call))
        return -1;
    if (args->maxcells <= 0 || args->maxcells > REMOTE_NODE_MAX_CELLS) {
        mvReportError(MV_ERR_RPC, "%s", "maxCells > REMOTE_NODE_MAX_CELLS");
        return -1;
    }
    cells = g_new0(unsigned long long, args->maxcells);
    if ((n = mvHostGetCellsFreeMemory(cells, args->startCell, args->maxcells)) < 0)
        return -1;
    ret->cells.cells_len = n;
    ret->cells.cells_val = (uint64_t *)g_steal_pointer(&cells);
    return 0;
}

/* The two-phase typed stats contract: nparams == 0 asks for the count. */
#define NODE_STATS_HANDLER(Name, argsT, retT, itemT, MAXC, getter, which) \
int \
mvRemoteDispatch##Name(struct mvRpcCall *call, void *a, void *r) \
{ \
    argsT *args = a; \
    retT *ret = r; \
    g_autofree mvNodeStat *stats = NULL; \
    int n = args->nparams; \
    if (!mvRemoteConnect(call)) \
        return -1; \
    if (n < 0 || n > MAXC) { \
        mvReportError(MV_ERR_RPC, "%s", "nparams too large"); \
        return -1; \
    } \
    stats = g_new0(mvNodeStat, MAX(n, 1)); \
    if (getter(args->which, stats, &n) < 0) \
        return -1; \
    if (args->nparams == 0) { \
        ret->nparams = n; \
        return 0; \
    } \
    ret->params.params_len = n; \
    ret->params.params_val = g_new0(itemT, MAX(n, 1)); \
    for (int i = 0; i < n; i++) { \
        ret->params.params_val[i].field = g_strdup(stats[i].field); \
        ret->params.params_val[i].value = stats[i].value; \
    } \
    ret->nparams = n; \
    return 0; \
}

NODE_STATS_HANDLER(NodeGetMemoryStats, remote_node_get_memory_stats_args,
                   remote_node_get_memory_stats_ret, remote_node_get_memory_stats,
                   REMOTE_NODE_MEMORY_STATS_MAX, mvHostGetMemoryStats, cellNum)
NODE_STATS_HANDLER(NodeGetCpuStats, remote_node_get_cpu_stats_args,
                   remote_node_get_cpu_stats_ret, remote_node_get_cpu_stats,
                   REMOTE_NODE_CPU_STATS_MAX, mvHostGetCPUStats, cpuNum)

int
mvRemoteDispatchNodeGetCpuMap(struct mvRpcCall *call, void *a, void *r)
{
    remote_node_get_cpu_map_args *args = a;
    remote_node_get_cpu_map_ret *ret = r;
    g_autofree unsigned char *map = NULL;
    unsigned int online = 0;
    int n;

    if (!mvRemoteConnect(call))
        return -1;
    if ((n = mvHostGetCPUMap(&map, &online)) < 0)
        return -1;
    if (args->need_map) {
        ret->cpumap.cpumap_len = (n + 7) / 8;
        ret->cpumap.cpumap_val = (char *)g_steal_pointer(&map);
    }
    if (args->need_online)
        ret->online = online;
    ret->ret = n;
    return 0;
}

int
mvRemoteDispatchNodeGetFreePages(struct mvRpcCall *call, void *a, void *r)
{
    remote_node_get_free_pages_args *args = a;
    remote_node_get_free_pages_ret *ret = r;
    g_autofree unsigned long long *counts = NULL;
    size_t total;
    int n;

    if (!mvRemoteConnect(call))
        return -1;
    total = (size_t)args->pages.pages_len * args->cellCount;
    if (total == 0 || total > REMOTE_NODE_MAX_CELLS) {
        mvReportError(MV_ERR_RPC, "%s", "the result won't fit into REMOTE_NODE_MAX_CELLS");
        return -1;
    }
    counts = g_new0(unsigned long long, total);
    if ((n = mvHostGetFreePages(args->pages.pages_len, args->pages.pages_val,
                                args->startCell, args->cellCount, counts)) < 0)
        return -1;
    ret->counts.counts_len = n;
    ret->counts.counts_val = (uint64_t *)g_steal_pointer(&counts);
    return 0;
}

int
mvRemoteDispatchConnectGetSysinfo(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_sysinfo_args *args = a;
    remote_connect_get_sysinfo_ret *ret = r;

    if (!mvRemoteConnect(call))
        return -1;
    if (args->flags) {
        mvReportError(MV_ERR_INVALID_ARG, "unsupported flags (0x%x) in function %s",
                      args->flags, "virConnectGetSysinfo");
        return -1;
    }
    return (ret->sysinfo = mvHostGetSysinfoXML()) ? 0 : -1;
}
