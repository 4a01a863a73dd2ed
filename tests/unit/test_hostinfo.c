/* lib/util/hostinfo: node info, memory, CPU stats and topology of the host. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "util/hostinfo.h"
#include "util/error.h"

START_TEST(test_nodeinfo_sane)
{
    mvNodeInfo info;
    struct utsname ut;
    long online = sysconf(_SC_NPROCESSORS_ONLN);

    ck_assert_int_eq(mvHostGetNodeInfo(&info), 0);
    uname(&ut);
    ck_assert_str_eq(info.model, ut.machine);
    ck_assert_uint_gt(info.memory, 0);
    ck_assert_uint_gt(info.cpus, 0);
    ck_assert_uint_eq(info.cpus, (unsigned int)online);
    ck_assert_uint_eq(info.cpus, info.nodes * info.sockets * info.cores * info.threads);
    ck_assert_int_eq(mvHostGetCellCount() >= (int)info.nodes, 1);
}
END_TEST

START_TEST(test_free_memory)
{
    unsigned long long total = 0, cells[64];
    mvNodeInfo info;
    int n;

    ck_assert_int_eq(mvHostGetNodeInfo(&info), 0);
    ck_assert_int_eq(mvHostGetFreeMemory(&total), 0);
    ck_assert(total > 0);
    ck_assert(total <= (unsigned long long)info.memory * 1024ULL * 2);
    n = mvHostGetCellsFreeMemory(cells, 0, 64);
    ck_assert_int_ge(n, 1);
    ck_assert(cells[0] > 0);
    ck_assert_int_eq(mvHostGetCellsFreeMemory(cells, 100000, 1), -1);
    ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_INTERNAL_ERROR);
    mvErrorReset();
}
END_TEST

START_TEST(test_memory_stats)
{
    mvNodeStat st[4];
    int n = 0;

    ck_assert_int_eq(mvHostGetMemoryStats(-1, NULL, &n), 0);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(mvHostGetMemoryStats(-1, st, &n), 0);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(st[0].field, "total");
    ck_assert_str_eq(st[1].field, "free");
    ck_assert_str_eq(st[2].field, "buffers");
    ck_assert_str_eq(st[3].field, "cached");
    ck_assert(st[0].value > 0 && st[1].value <= st[0].value);

    n = 4;
    ck_assert_int_eq(mvHostGetMemoryStats(0, st, &n), 0);
    ck_assert_int_ge(n, 2);
    ck_assert_str_eq(st[0].field, "total");

    n = 4;
    ck_assert_int_eq(mvHostGetMemoryStats(100000, st, &n), -1);
    ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_INVALID_ARG);
    n = 3;
    ck_assert_int_eq(mvHostGetMemoryStats(-1, st, &n), -1);
    mvErrorReset();
}
END_TEST

START_TEST(test_cpu_stats)
{
    mvNodeStat st[4];
    int n = 0;

    ck_assert_int_eq(mvHostGetCPUStats(-1, NULL, &n), 0);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(mvHostGetCPUStats(-1, st, &n), 0);
    ck_assert_str_eq(st[0].field, "kernel");
    ck_assert_str_eq(st[1].field, "user");
    ck_assert_str_eq(st[2].field, "idle");
    ck_assert_str_eq(st[3].field, "iowait");
    ck_assert(st[2].value > 0);
    ck_assert_int_eq(mvHostGetCPUStats(0, st, &n), 0);
    ck_assert_int_eq(mvHostGetCPUStats(100000, st, &n), -1);
    ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_INVALID_ARG);
    mvErrorReset();
}
END_TEST

START_TEST(test_cpumap)
{
    unsigned char *map = NULL;
    unsigned int online = 0, set = 0;
    int present = mvHostGetCPUMap(&map, &online);
    mvNodeInfo info;

    ck_assert_int_gt(present, 0);
    ck_assert_ptr_nonnull(map);
    for (int i = 0; i < present; i++)
        set += (map[i / 8] >> (i % 8)) & 1;
    ck_assert_uint_eq(set, online);
    ck_assert_int_eq(mvHostGetNodeInfo(&info), 0);
    ck_assert_uint_eq(online, info.cpus);
    g_free(map);
}
END_TEST

START_TEST(test_topology)
{
    g_autoptr(mvHostTopology) topo = mvHostTopologyGet();
    mvNodeInfo info;
    unsigned int cpus = 0;

    ck_assert_int_eq(mvHostGetNodeInfo(&info), 0);
    ck_assert_ptr_nonnull(topo);
    ck_assert_uint_ge(topo->ncells, 1);
    for (unsigned int i = 0; i < topo->ncells; i++) {
        cpus += topo->cells[i].ncpus;
        ck_assert_uint_ge(topo->cells[i].npages, 1);
        for (unsigned int c = 0; c < topo->cells[i].ncpus; c++)
            ck_assert_ptr_nonnull(topo->cells[i].cpus[c].siblings);
    }
    ck_assert_uint_eq(cpus, info.cpus);
}
END_TEST

START_TEST(test_misc)
{
    g_autofree char *host = mvHostGetHostname();
    g_autofree char *uuid = mvHostGetUUID();
    g_autofree char *uuid2 = mvHostGetUUID();
    g_autofree unsigned int *sizes = NULL;
    gboolean set[] = { TRUE, TRUE, TRUE, FALSE, TRUE, FALSE, TRUE, TRUE };
    g_autofree char *list = mvHostFormatCPUList(set, G_N_ELEMENTS(set));
    int n;

    ck_assert_ptr_nonnull(host);
    ck_assert_int_gt(strlen(host), 0);
    ck_assert_int_eq(strlen(uuid), 36);
    ck_assert_str_eq(uuid, uuid2);
    n = mvHostGetPageSizes(&sizes);
    ck_assert_int_ge(n, 1);
    ck_assert_uint_eq(sizes[0], (unsigned int)(sysconf(_SC_PAGESIZE) / 1024));
    ck_assert_str_eq(list, "0-2,4,6-7");

    ck_assert_int_eq(mvHostGetMaxVcpus(NULL), 16);
    ck_assert_int_eq(mvHostGetMaxVcpus("qemu"), 16);
    ck_assert_int_eq(mvHostGetMaxVcpus("xen"), -1);
    ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_INVALID_ARG);
    ck_assert_str_eq(mvErrorGetLast()->message, "invalid argument: unknown type 'xen'");
    mvErrorReset();
    if (access("/dev/kvm", R_OK) == 0)
        ck_assert_int_gt(mvHostGetMaxVcpus("KVM"), 0);
}
END_TEST

START_TEST(test_host_cpu)
{
    g_autoptr(mvHostCPU) cpu = mvHostCPUGet();
    struct utsname ut;

    uname(&ut);
    ck_assert_ptr_nonnull(cpu);
    ck_assert_str_eq(cpu->arch, ut.machine);
#if defined(__x86_64__)
    ck_assert_ptr_nonnull(cpu->model);
    ck_assert_ptr_nonnull(cpu->vendor);
    ck_assert(cpu->haveSignature);
    ck_assert_uint_gt(cpu->allFeatures->len, 0);
    {
        /* every feature of the chosen model is on the host */
        g_autoptr(GPtrArray) mf = g_ptr_array_new_with_free_func(g_free);
        ck_assert(mvHostCPUModelFeatures(cpu->model, mf));
        for (guint i = 0; i < mf->len; i++) {
            gboolean found = FALSE;
            for (guint k = 0; k < cpu->allFeatures->len && !found; k++)
                found = g_str_equal(g_ptr_array_index(cpu->allFeatures, k), g_ptr_array_index(mf, i));
            ck_assert_msg(found, "model feature %s missing on host", (char *)g_ptr_array_index(mf, i));
        }
    }
    ck_assert_str_eq(mvHostCPUModelVendor("EPYC"), "AMD");
    ck_assert_ptr_null(mvHostCPUModelVendor("qemu64"));
#endif
}
END_TEST

START_TEST(test_sysinfo)
{
    g_autofree char *xml = mvHostGetSysinfoXML();
    if (g_file_test("/sys/class/dmi/id", G_FILE_TEST_IS_DIR)) {
        ck_assert_ptr_nonnull(xml);
        ck_assert(g_str_has_prefix(xml, "<sysinfo type='smbios'>"));
    } else {
        ck_assert_ptr_null(xml);
        ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_CONFIG_UNSUPPORTED);
        mvErrorReset();
    }
}
END_TEST

/* A fake sysfs/procfs with 2 nodes x 1 socket x 2 cores x 2 threads. */
static char *fakeRoot;

static void
writeFile(const char *rel, const char *content)
{
    g_autofree char *path = g_build_filename(fakeRoot, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0755);
    ck_assert(g_file_set_contents(path, content, -1, NULL));
}

START_TEST(test_fake_topology)
{
    mvNodeInfo info;
    unsigned long long cells[4];
    g_autoptr(mvHostTopology) topo = NULL;

    fakeRoot = g_dir_make_tmp("mvhostXXXXXX", NULL);
    ck_assert_ptr_nonnull(fakeRoot);
    writeFile("/sys/devices/system/cpu/online", "0-7\n");
    writeFile("/sys/devices/system/cpu/present", "0-7\n");
    for (int cpu = 0; cpu < 8; cpu++) {
        int node = cpu / 4, core = (cpu % 4) / 2;
        char *p, *v;
        p = g_strdup_printf("/sys/devices/system/cpu/cpu%d/topology/physical_package_id", cpu);
        v = g_strdup_printf("%d\n", node);
        writeFile(p, v);
        g_free(p); g_free(v);
        p = g_strdup_printf("/sys/devices/system/cpu/cpu%d/topology/core_id", cpu);
        v = g_strdup_printf("%d\n", core);
        writeFile(p, v);
        g_free(p); g_free(v);
        p = g_strdup_printf("/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
        v = g_strdup_printf("%d-%d\n", cpu & ~1, (cpu & ~1) + 1);
        writeFile(p, v);
        g_free(p); g_free(v);
        p = g_strdup_printf("/sys/devices/system/node/node%d/cpu%d/online", node, cpu);
        writeFile(p, "1\n");
        g_free(p);
    }
    writeFile("/sys/devices/system/node/node0/meminfo",
              "Node 0 MemTotal:        1000 kB\nNode 0 MemFree:          400 kB\n");
    writeFile("/sys/devices/system/node/node1/meminfo",
              "Node 1 MemTotal:        2000 kB\nNode 1 MemFree:          600 kB\n");
    writeFile("/sys/devices/system/node/node0/distance", "10 21\n");
    writeFile("/sys/devices/system/node/node1/distance", "21 10\n");
    writeFile("/proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: 2399.999\n");
    writeFile("/proc/meminfo", "MemTotal:        3000 kB\nMemFree:  1000 kB\n");
    g_setenv("MODVIRT_SYSFS_PREFIX", fakeRoot, TRUE);
    g_setenv("MODVIRT_PROCFS_PREFIX", fakeRoot, TRUE);

    ck_assert_int_eq(mvHostGetNodeInfo(&info), 0);
    ck_assert_uint_eq(info.cpus, 8);
    ck_assert_uint_eq(info.nodes, 2);
    ck_assert_uint_eq(info.sockets, 1);
    ck_assert_uint_eq(info.cores, 2);
    ck_assert_uint_eq(info.threads, 2);
    ck_assert_uint_eq(info.mhz, 2399);
    ck_assert_uint_eq(info.memory, 3000);

    ck_assert_int_eq(mvHostGetCellsFreeMemory(cells, 0, 4), 2);
    ck_assert(cells[0] == 400 * 1024ULL && cells[1] == 600 * 1024ULL);
    ck_assert_int_eq(mvHostGetCellsFreeMemory(cells, 1, 4), 1);

    topo = mvHostTopologyGet();
    ck_assert_uint_eq(topo->ncells, 2);
    ck_assert_uint_eq(topo->cells[1].ncpus, 4);
    ck_assert_int_eq(topo->cells[1].cpus[0].id, 4);
    ck_assert_int_eq(topo->cells[1].cpus[0].socketId, 1);
    ck_assert_str_eq(topo->cells[1].cpus[1].siblings, "4-5");
    ck_assert_uint_eq(topo->cells[0].ndistances, 2);
    ck_assert_int_eq(topo->cells[0].distanceValues[1], 21);

    /* an offline CPU makes the topology flat */
    writeFile("/sys/devices/system/cpu/online", "0-6\n");
    ck_assert_int_eq(mvHostGetNodeInfo(&info), 0);
    ck_assert_uint_eq(info.cpus, 7);
    ck_assert_uint_eq(info.nodes * info.sockets * info.cores * info.threads, 7);

    g_unsetenv("MODVIRT_SYSFS_PREFIX");
    g_unsetenv("MODVIRT_PROCFS_PREFIX");
}
END_TEST

static Suite *
hostinfoSuite(void)
{
    Suite *s = suite_create("hostinfo");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_nodeinfo_sane);
    tcase_add_test(tc, test_free_memory);
    tcase_add_test(tc, test_memory_stats);
    tcase_add_test(tc, test_cpu_stats);
    tcase_add_test(tc, test_cpumap);
    tcase_add_test(tc, test_topology);
    tcase_add_test(tc, test_misc);
    tcase_add_test(tc, test_host_cpu);
    tcase_add_test(tc, test_sysinfo);
    tcase_add_test(tc, test_fake_topology);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(hostinfoSuite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
