/* Domain XML -> QEMU command line: golden files in tests/data/qemuargv
 * (NAME.xml -> NAME.args, built against a fixed fake capability set so the
 * output does not depend on the machine), error cases, the live-XML side
 * effects, and one run of the real emulator with the generated argv.
 *
 * The inputs are run through qemuDefinePostParse first, as the driver does
 * when a domain is defined, so the goldens are what a defined guest gets.
 *
 * MODVIRT_TEST_REGENERATE=1 rewrites the .args files. */
#include "../../daemons/qemu/qemu_command.c"
#include "../../daemons/qemu/qemu_postparse.c"

#include <check.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "xml/domain_conf.h"

#ifndef MODVIRT_TEST_DATA
# define MODVIRT_TEST_DATA "tests/data"
#endif
#define ARGV_DIR MODVIRT_TEST_DATA "/qemuargv"

/* ---- a fixed QEMU 7.2 x86_64 capability set ----------------------------- */

static mvQemuCaps *
fakeCaps(void)
{
    static const char *const types[] = {
        "virtio-blk-pci", "virtio-net-pci", "virtio-scsi-pci", "virtio-serial-pci",
        "virtserialport", "virtconsole", "virtio-balloon-pci", "virtio-rng-pci",
        "virtio-vga", "virtio-gpu-pci", "virtio-tablet-pci", "virtio-keyboard-pci",
        "virtio-mouse-pci", "virtio-9p-pci", "rng-random", "rng-builtin",
        "e1000", "e1000e", "rtl8139", "ide-hd", "ide-cd", "ich9-ahci", "scsi-hd", "scsi-cd",
        "lsi", "usb-storage", "floppy", "piix3-usb-uhci", "qemu-xhci", "nec-usb-xhci",
        "ich9-usb-ehci1", "usb-tablet", "usb-kbd", "usb-mouse", "usb-redir", "usb-host",
        "isa-serial", "pci-serial", "isa-parallel", "VGA", "cirrus-vga", "qxl", "qxl-vga",
        "bochs-display", "ramfb", "vmware-svga", "intel-hda", "ich9-intel-hda", "AC97",
        "hda-duplex", "hda-micro", "hda-output", "i6300esb", "ib700", "pvpanic", "vfio-pci",
        "tpm-tis", "tpm-crb", "pcie-root-port", "pcie-pci-bridge", "pci-bridge",
        "i82801b11-bridge", "vmgenid", "chardev-spicevmc", "chardev-spiceport",
        "memory-backend-ram", "memory-backend-memfd",
    };
    static const char *const cpus[] = { "qemu64", "qemu32", "max", "Skylake-Client",
                                        "EPYC", "Haswell" };
    mvQemuCaps *caps = g_new0(mvQemuCaps, 1);
    mvQemuMachine *m;

    caps->binary = g_strdup("/usr/bin/qemu-system-x86_64");
    caps->arch = g_strdup("x86_64");
    caps->version = 7002000;
    caps->kvmSupported = TRUE;
    caps->machines = g_ptr_array_new();
    m = g_new0(mvQemuMachine, 1);
    m->name = g_strdup("pc-i440fx-7.2");
    m->alias = g_strdup("pc");
    m->isDefault = TRUE;
    m->maxCpus = 255;
    g_ptr_array_add(caps->machines, m);
    m = g_new0(mvQemuMachine, 1);
    m->name = g_strdup("pc-q35-7.2");
    m->alias = g_strdup("q35");
    m->maxCpus = 288;
    g_ptr_array_add(caps->machines, m);
    caps->cpuModelsKVM = g_ptr_array_new();
    caps->cpuModelsTCG = g_ptr_array_new();
    for (size_t i = 0; i < G_N_ELEMENTS(cpus); i++) {
        mvQemuCPUModel *c = g_new0(mvQemuCPUModel, 1);
        c->name = g_strdup(cpus[i]);
        c->usable = TRUE;
        g_ptr_array_add(caps->cpuModelsKVM, c);
        c = g_new0(mvQemuCPUModel, 1);
        c->name = g_strdup(cpus[i]);
        c->usable = TRUE;
        g_ptr_array_add(caps->cpuModelsTCG, c);
    }
    caps->types = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(types); i++)
        g_hash_table_add(caps->types, g_strdup(types[i]));
    return caps;
}

static void
fakeCapsFree(mvQemuCaps *caps)
{
    for (guint i = 0; i < caps->machines->len; i++) {
        mvQemuMachine *m = g_ptr_array_index(caps->machines, i);
        g_free(m->name);
        g_free(m->alias);
        g_free(m);
    }
    g_ptr_array_free(caps->machines, TRUE);
    for (guint i = 0; i < caps->cpuModelsKVM->len; i++) {
        mvQemuCPUModel *c = g_ptr_array_index(caps->cpuModelsKVM, i);
        g_free(c->name);
        g_free(c);
        c = g_ptr_array_index(caps->cpuModelsTCG, i);
        g_free(c->name);
        g_free(c);
    }
    g_ptr_array_free(caps->cpuModelsKVM, TRUE);
    g_ptr_array_free(caps->cpuModelsTCG, TRUE);
    g_hash_table_unref(caps->types);
    g_free(caps->binary);
    g_free(caps->arch);
    g_free(caps);
}

/* ---- helpers -------------------------------------------------------------- */

/* NAME.xml as the driver holds it after `virsh define`: parsed and
 * post-parsed against the fake capabilities. */
static mvDomainDef *
loadDef(const char *name)
{
    g_autofree char *path = g_strdup_printf("%s/%s.xml", ARGV_DIR, name);
    g_autofree char *xml = NULL;
    mvQemuCaps *caps = fakeCaps();
    mvDomainDef *def;
    ck_assert_msg(g_file_get_contents(path, &xml, NULL, NULL), "cannot read %s", path);
    def = mvDomainDefParseString(xml, 0);
    ck_assert_msg(def != NULL, "%s: %s", name, mvErrorGetLastMessage());
    ck_assert_msg(qemuDefinePostParse(def, caps) == 0, "%s: post-parse: %s", name,
                  mvErrorGetLastMessage());
    fakeCapsFree(caps);
    return def;
}

static void
fillParams(qemuCommandParams *p, const mvDomainDef *def, char **libDir, char **mon)
{
    *libDir = g_strdup_printf("/var/lib/libvirt/qemu/domain-1-%s", def->name);
    *mon = g_strdup_printf("/var/lib/libvirt/qemu/domain-1-%s/monitor.sock", def->name);
    memset(p, 0, sizeof(*p));
    p->libDir = *libDir;
    p->monitorPath = *mon;
    p->kvm = g_strcmp0(def->virtType, "kvm") == 0;
    p->id = 1;
}

static char *
renderArgs(char **argv, const char *libDir)
{
    g_autofree char *home = g_strdup_printf("HOME=%s", libDir);
    char *envp[] = { (char *)"LC_ALL=C", (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin",
                     home, NULL };
    g_autofree char *s = qemuBuildCommandLineStringEnv(envp, argv, TRUE);
    return g_strdup_printf("%s\n", s);
}

static void
checkGolden(const char *name, GHashTable *tapFds)
{
    g_autoptr(mvDomainDef) def = loadDef(name);
    mvQemuCaps *caps = fakeCaps();
    qemuCommandParams params;
    g_autofree char *libDir = NULL;
    g_autofree char *mon = NULL;
    g_auto(GStrv) argv = NULL;
    g_autofree char *got = NULL;
    g_autofree char *want = NULL;
    g_autofree char *path = g_strdup_printf("%s/%s.args", ARGV_DIR, name);

    fillParams(&params, def, &libDir, &mon);
    params.tapFds = tapFds;
    argv = qemuBuildCommandLine(def, caps, &params);
    ck_assert_msg(argv != NULL, "%s: %s", name, mvErrorGetLastMessage());
    got = renderArgs(argv, libDir);
    if (g_getenv("MODVIRT_TEST_REGENERATE")) {
        ck_assert(g_file_set_contents(path, got, -1, NULL));
    } else {
        ck_assert_msg(g_file_get_contents(path, &want, NULL, NULL), "missing golden %s", path);
        ck_assert_msg(strcmp(got, want) == 0, "%s differs from golden:\n--- got\n%s--- want\n%s",
                      name, got, want);
    }
    fakeCapsFree(caps);
}

static void
checkError(const char *name, int code, const char *msgPart)
{
    g_autoptr(mvDomainDef) def = loadDef(name);
    mvQemuCaps *caps = fakeCaps();
    qemuCommandParams params;
    g_autofree char *libDir = NULL;
    g_autofree char *mon = NULL;
    char **argv;

    fillParams(&params, def, &libDir, &mon);
    mvErrorReset();
    argv = qemuBuildCommandLine(def, caps, &params);
    ck_assert_msg(argv == NULL, "%s: unexpectedly built", name);
    ck_assert_int_eq(mvErrorGetLastCode(), code);
    ck_assert_msg(strstr(mvErrorGetLastMessage(), msgPart), "%s: message '%s' lacks '%s'", name,
                  mvErrorGetLastMessage(), msgPart);
    fakeCapsFree(caps);
}

/* ---- goldens -------------------------------------------------------------- */

START_TEST(test_minimal) { checkGolden("minimal", NULL); }
END_TEST
START_TEST(test_q35_virt_install) { checkGolden("q35-virt-install", NULL); }
END_TEST
START_TEST(test_kernel) { checkGolden("kernel", NULL); }
END_TEST
START_TEST(test_vnc) { checkGolden("vnc", NULL); }
END_TEST
START_TEST(test_cdrom_sata) { checkGolden("cdrom-sata", NULL); }
END_TEST
START_TEST(test_cpu_passthrough_kvm) { checkGolden("cpu-passthrough-kvm", NULL); }
END_TEST
START_TEST(test_custom_cpu) { checkGolden("custom-cpu", NULL); }
END_TEST
START_TEST(test_q35_spice_bridge) { checkGolden("q35-spice-bridge", NULL); }
END_TEST

START_TEST(test_net_user_ethernet)
{
    g_autoptr(GHashTable) fds = g_hash_table_new(g_direct_hash, g_direct_equal);
    /* the ethernet interface (index 1) got an already opened tap */
    g_hash_table_insert(fds, GINT_TO_POINTER(1), GINT_TO_POINTER(42));
    checkGolden("net-user-ethernet", fds);
}
END_TEST

/* ---- errors --------------------------------------------------------------- */

START_TEST(test_cpu_passthrough_tcg)
{
    checkError("cpu-passthrough-qemu", MV_ERR_CONFIG_UNSUPPORTED,
               "CPU mode 'host-passthrough' for x86_64 qemu domain on x86_64 host is not supported "
               "by hypervisor");
}
END_TEST

START_TEST(test_unsupported_nic)
{
    checkError("unsupported-nic", MV_ERR_CONFIG_UNSUPPORTED,
               "The 'tulip-9000' device is not supported by this QEMU binary");
}
END_TEST

START_TEST(test_unknown_machine)
{
    g_autoptr(mvDomainDef) def = loadDef("minimal");
    mvQemuCaps *caps = fakeCaps();
    qemuCommandParams params;
    g_autofree char *libDir = NULL;
    g_autofree char *mon = NULL;
    fillParams(&params, def, &libDir, &mon);
    g_free(def->osMachine);
    def->osMachine = g_strdup("pc-i440fx-99.0");
    ck_assert_ptr_null(qemuBuildCommandLine(def, caps, &params));
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_CONFIG_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(mvErrorGetLastMessage(), "does not support machine type 'pc-i440fx-99.0'"));
    fakeCapsFree(caps);
}
END_TEST

START_TEST(test_kvm_unavailable)
{
    g_autoptr(mvDomainDef) def = loadDef("cpu-passthrough-kvm");
    mvQemuCaps *caps = fakeCaps();
    qemuCommandParams params;
    g_autofree char *libDir = NULL;
    g_autofree char *mon = NULL;
    fillParams(&params, def, &libDir, &mon);
    caps->kvmSupported = FALSE;
    ck_assert_ptr_null(qemuBuildCommandLine(def, caps, &params));
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_CONFIG_UNSUPPORTED);
    fakeCapsFree(caps);
}
END_TEST

START_TEST(test_missing_device_type)
{
    /* a QEMU without virtio-rng-pci: the builder refuses instead of emitting it */
    g_autoptr(mvDomainDef) def = loadDef("q35-virt-install");
    mvQemuCaps *caps = fakeCaps();
    qemuCommandParams params;
    g_autofree char *libDir = NULL;
    g_autofree char *mon = NULL;
    fillParams(&params, def, &libDir, &mon);
    g_hash_table_remove(caps->types, "virtio-rng-pci");
    ck_assert_ptr_null(qemuBuildCommandLine(def, caps, &params));
    ck_assert_str_eq(mvErrorGetLastMessage(),
                     "unsupported configuration: The 'virtio-rng-pci' device is not supported by this QEMU binary");
    fakeCapsFree(caps);
}
END_TEST

START_TEST(test_tpm_without_swtpm)
{
    g_autoptr(mvDomainDef) def = NULL;
    mvQemuCaps *caps = fakeCaps();
    qemuCommandParams params;
    g_autofree char *libDir = NULL;
    g_autofree char *mon = NULL;
    char **argv;
    const char *xml =
        "<domain type='qemu'><name>tpm</name><memory>131072</memory><vcpu>1</vcpu>"
        "<os><type arch='x86_64' machine='q35'>hvm</type></os>"
        "<devices><tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm></devices></domain>";
    g_autofree char *swtpm = g_find_program_in_path("swtpm");

    def = mvDomainDefParseString(xml, 0);
    ck_assert_ptr_nonnull(def);
    fillParams(&params, def, &libDir, &mon);
    argv = qemuBuildCommandLine(def, caps, &params);
    if (swtpm) {
        ck_assert_ptr_nonnull(argv);
        g_strfreev(argv);
    } else {
        ck_assert_ptr_null(argv);
        ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_CONFIG_UNSUPPORTED);
    }
    fakeCapsFree(caps);
}
END_TEST

/* ---- live XML side effects ------------------------------------------------ */

START_TEST(test_prepare_live_xml)
{
    g_autoptr(mvDomainDef) def = loadDef("q35-virt-install");
    mvQemuCaps *caps = fakeCaps();
    qemuCommandParams params;
    g_autofree char *libDir = NULL;
    g_autofree char *mon = NULL;
    g_autofree char *xml = NULL;
    g_autofree char *xml2 = NULL;
    g_autofree char *chr = NULL;
    g_auto(GStrv) argv1 = NULL;
    g_auto(GStrv) argv2 = NULL;

    fillParams(&params, def, &libDir, &mon);
    argv1 = qemuBuildCommandLine(def, caps, &params);
    ck_assert_ptr_nonnull(argv1);

    ck_assert_int_eq(qemuDomainPrepareForStart(def, caps, &params), 0);
    def->id = 1;
    xml = mvDomainDefFormat(def, 0);
    ck_assert_ptr_nonnull(strstr(xml, "machine='pc-q35-7.2'"));
    ck_assert_ptr_nonnull(strstr(xml, "<alias name='virtio-disk0'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<alias name='net0'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<alias name='channel0'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<alias name='balloon0'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<alias name='pci.7'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "model='pcie-root-port'"));
    ck_assert_ptr_nonnull(strstr(xml, "<address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "/var/lib/libvirt/qemu/domain-1-fedora/org.qemu.guest_agent.0"));
    ck_assert_ptr_nonnull(strstr(xml, "<address type='usb' bus='0' port='1'/>"));
    ck_assert_ptr_nonnull(strstr(xml, "<audio id='1' type='none'/>"));
    ck_assert_int_ge(def->graphics[0]->port, 5900);   /* autoport allocated */

    /* the serial-compat console shares serial0's chardev */
    ck_assert_uint_ge(def->nconsoles, 1);
    chr = qemuChardevAlias(def, def->consoles[0]);
    ck_assert_str_eq(chr, "charserial0");

    /* preparing again (restart, status XML) changes nothing, and the
     * command line of the prepared def is the same */
    ck_assert_int_eq(qemuDomainPrepareForStart(def, caps, &params), 0);
    xml2 = mvDomainDefFormat(def, 0);
    ck_assert_str_eq(xml, xml2);
    argv2 = qemuBuildCommandLine(def, caps, &params);
    ck_assert_ptr_nonnull(argv2);
    ck_assert_uint_eq(g_strv_length(argv1), g_strv_length(argv2));
    for (guint i = 0; argv1[i]; i++) {
        if (i > 0 && strcmp(argv1[i - 1], "-vnc") == 0) {
            /* the prepared def carries the allocated autoport */
            g_autofree char *want = g_strdup_printf("127.0.0.1:%d,audiodev=audio1",
                                                    def->graphics[0]->port - 5900);
            ck_assert_str_eq(argv1[i], "127.0.0.1:0,audiodev=audio1");
            ck_assert_str_eq(argv2[i], want);
            continue;
        }
        ck_assert_str_eq(argv1[i], argv2[i]);
    }
    qemuDomainReleaseGraphicsPorts(def);

    /* the inactive view drops runtime-only aliases but keeps addresses */
    {
        g_autofree char *inactive = mvDomainDefFormat(def, MV_DOMAIN_XML_INACTIVE);
        ck_assert_ptr_null(strstr(inactive, "<alias name='virtio-disk0'/>"));
        ck_assert_ptr_nonnull(strstr(inactive, "bus='0x04' slot='0x00'"));
    }
    fakeCapsFree(caps);
}
END_TEST

START_TEST(test_string_quoting)
{
    char *argv[] = { (char *)"/usr/bin/qemu-system-x86_64", (char *)"-name",
                     (char *)"guest=it's,,x,debug-threads=on", (char *)"-S",
                     (char *)"-append", (char *)"console=ttyS0 quiet", NULL };
    g_autofree char *one = qemuBuildCommandLineString(argv, FALSE);
    g_autofree char *multi = qemuBuildCommandLineString(argv, TRUE);
    ck_assert_ptr_nonnull(strstr(one, "LC_ALL=C PATH="));
    ck_assert_ptr_nonnull(strstr(one, " /usr/bin/qemu-system-x86_64 -name 'guest=it'\\''s,,x,debug-threads=on' -S -append 'console=ttyS0 quiet'"));
    ck_assert_ptr_nonnull(strstr(multi, "LC_ALL=C \\\nPATH="));
    ck_assert_ptr_nonnull(strstr(multi, " \\\n/usr/bin/qemu-system-x86_64 \\\n-name 'guest=it'\\''s,,x,debug-threads=on' \\\n-S \\\n-append"));
}
END_TEST

START_TEST(test_graphics_ports)
{
    int a = qemuGraphicsAllocatePort();
    int b = qemuGraphicsAllocatePort();
    ck_assert_int_ge(a, 5900);
    ck_assert_int_gt(b, a);
    qemuGraphicsReleasePort(a);
    ck_assert_int_eq(qemuGraphicsAllocatePort(), a);
    qemuGraphicsReleasePort(a);
    qemuGraphicsReleasePort(b);
}
END_TEST

/* ---- the real emulator ---------------------------------------------------- */

static gboolean
qmpExchange(const char *path, GString *log)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char buf[4096];
    int fd;
    ssize_t n;
    const char *cmds = "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"query-status\"}\n";
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return FALSE;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return FALSE;
    }
    if (write(fd, cmds, strlen(cmds)) != (ssize_t)strlen(cmds)) {
        close(fd);
        return FALSE;
    }
    while (g_get_monotonic_time() < deadline && !strstr(log->str, "\"status\"")) {
        struct timeval tv = { 1, 0 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        n = read(fd, buf, sizeof(buf) - 1);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR)
                continue;
            break;
        }
        g_string_append_len(log, buf, n);
    }
    close(fd);
    return strstr(log->str, "\"QMP\"") && strstr(log->str, "\"status\"");
}

START_TEST(test_real_qemu_minimal)
{
    const char *bin = "/usr/bin/qemu-system-x86_64";
    g_autoptr(mvQemuCaps) caps = NULL;
    g_autoptr(mvDomainDef) def = NULL;
    g_autofree char *tmp = NULL;
    g_autofree char *mon = NULL;
    g_autofree char *logPath = NULL;
    g_autoptr(GString) qmp = g_string_new(NULL);
    qemuCommandParams params = { 0 };
    g_auto(GStrv) argv = NULL;
    g_autoptr(GError) err = NULL;
    GPid pid;
    int status = 0;
    gboolean answered = FALSE;
    int logfd;

    if (!g_file_test(bin, G_FILE_TEST_IS_EXECUTABLE)) {
        fprintf(stderr, "test_real_qemu_minimal: %s not installed, skipped\n", bin);
        return;
    }
    caps = mvQemuCapsGet(bin);
    ck_assert_msg(caps != NULL, "probe: %s", mvErrorGetLastMessage());
    def = loadDef("minimal");
    tmp = g_dir_make_tmp("mvqemu-XXXXXX", NULL);
    ck_assert_ptr_nonnull(tmp);
    mon = g_build_filename(tmp, "monitor.sock", NULL);
    logPath = g_build_filename(tmp, "qemu.log", NULL);
    params.emulator = bin;
    params.monitorPath = mon;
    params.libDir = tmp;
    params.kvm = FALSE;
    params.id = 1;
    argv = qemuBuildCommandLine(def, caps, &params);
    ck_assert_msg(argv != NULL, "build: %s", mvErrorGetLastMessage());

    logfd = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ck_assert_int_ge(logfd, 0);
    ck_assert_msg(g_spawn_async_with_fds(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                         &pid, -1, logfd, logfd, &err),
                  "spawn: %s", err ? err->message : "?");
    close(logfd);

    for (int i = 0; i < 100 && !answered; i++) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            g_autofree char *out = NULL;
            g_file_get_contents(logPath, &out, NULL, NULL);
            ck_abort_msg("QEMU exited early: %s", out ? out : "");
        }
        if (g_file_test(mon, G_FILE_TEST_EXISTS))
            answered = qmpExchange(mon, qmp);
        if (!answered)
            g_usleep(100 * 1000);
    }
    ck_assert_msg(answered, "no QMP answer: %s", qmp->str);
    ck_assert_ptr_nonnull(strstr(qmp->str, "\"prelaunch\""));   /* -S */
    g_usleep(G_USEC_PER_SEC);
    ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);        /* still alive after 1 s */
    kill(pid, SIGKILL);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    g_spawn_close_pid(pid);
    unlink(mon);
    unlink(logPath);
    g_rmdir(tmp);
}
END_TEST

static Suite *
qemuCommandSuite(void)
{
    Suite *s = suite_create("qemu_command");
    TCase *tc = tcase_create("golden");
    tcase_add_test(tc, test_minimal);
    tcase_add_test(tc, test_q35_virt_install);
    tcase_add_test(tc, test_kernel);
    tcase_add_test(tc, test_net_user_ethernet);
    tcase_add_test(tc, test_vnc);
    tcase_add_test(tc, test_cdrom_sata);
    tcase_add_test(tc, test_cpu_passthrough_kvm);
    tcase_add_test(tc, test_custom_cpu);
    tcase_add_test(tc, test_q35_spice_bridge);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_cpu_passthrough_tcg);
    tcase_add_test(tc, test_unsupported_nic);
    tcase_add_test(tc, test_unknown_machine);
    tcase_add_test(tc, test_kvm_unavailable);
    tcase_add_test(tc, test_missing_device_type);
    tcase_add_test(tc, test_tpm_without_swtpm);
    suite_add_tcase(s, tc);

    tc = tcase_create("misc");
    tcase_add_test(tc, test_prepare_live_xml);
    tcase_add_test(tc, test_string_quoting);
    tcase_add_test(tc, test_graphics_ports);
    suite_add_tcase(s, tc);

    tc = tcase_create("real");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_real_qemu_minimal);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(qemuCommandSuite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
