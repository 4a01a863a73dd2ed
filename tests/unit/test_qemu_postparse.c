/* QEMU define-time post-parse: goldens produced by Debian's libvirtd 9.0
 * (virsh define + dumpxml --inactive --security-info) for the same input,
 * fixed points, and libvirt's errors.  Uses a fixed fake capabilities
 * object (QEMU 7.2, x86_64) so nothing depends on this machine.
 *
 * Run with a file argument to print the post-parsed XML of that file. */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "../../daemons/qemu/qemu_postparse.c"

#ifndef MODVIRT_TEST_DATA
# define MODVIRT_TEST_DATA "tests/data"
#endif
#define DATADIR MODVIRT_TEST_DATA "/qemupostparse/"
#define FMT (MV_DOMAIN_XML_INACTIVE | MV_DOMAIN_XML_SECURE)

static mvQemuMachine *
fakeMachine(const char *name, const char *alias, gboolean isDefault)
{
    mvQemuMachine *m = g_new0(mvQemuMachine, 1);
    m->name = g_strdup(name);
    m->alias = g_strdup(alias);
    m->isDefault = isDefault;
    m->maxCpus = 255;
    return m;
}

static void
fakeMachineFree(gpointer p)
{
    mvQemuMachine *m = p;
    g_free(m->name);
    g_free(m->alias);
    g_free(m);
}

static mvQemuCaps *
fakeCapsNew(gboolean kvm)
{
    static const char *const types[] = {
        "piix3-usb-uhci", "qemu-xhci", "nec-usb-xhci", "ich9-usb-ehci1", "pci-ohci",
        "cirrus-vga", "VGA", "qxl-vga", "virtio-vga", "rtl8139", "e1000", "e1000e",
        "virtio-net-pci", "lsi53c895a", "virtio-scsi-pci", "pcie-root-port",
        "pcie-pci-bridge", "pci-bridge", "i6300esb", "virtio-balloon-pci", NULL
    };
    mvQemuCaps *caps = g_new0(mvQemuCaps, 1);
    caps->binary = g_strdup("/usr/bin/qemu-system-x86_64");
    caps->arch = g_strdup("x86_64");
    caps->version = 7002000;
    caps->kvmSupported = kvm;
    caps->machines = g_ptr_array_new_with_free_func(fakeMachineFree);
    g_ptr_array_add(caps->machines, fakeMachine("pc-i440fx-7.2", "pc", TRUE));
    g_ptr_array_add(caps->machines, fakeMachine("pc-q35-7.2", "q35", FALSE));
    g_ptr_array_add(caps->machines, fakeMachine("pc-i440fx-7.1", NULL, FALSE));
    g_ptr_array_add(caps->machines, fakeMachine("isapc", NULL, FALSE));
    caps->cpuModelsKVM = g_ptr_array_new();
    caps->cpuModelsTCG = g_ptr_array_new();
    caps->types = g_hash_table_new(g_str_hash, g_str_equal);
    for (size_t i = 0; types[i]; i++)
        g_hash_table_add(caps->types, (gpointer)types[i]);
    return caps;
}

static void
fakeCapsFree(mvQemuCaps *caps)
{
    g_free(caps->binary);
    g_free(caps->arch);
    g_ptr_array_free(caps->machines, TRUE);
    g_ptr_array_free(caps->cpuModelsKVM, TRUE);
    g_ptr_array_free(caps->cpuModelsTCG, TRUE);
    g_hash_table_destroy(caps->types);
    g_free(caps);
}

static char *
readData(const char *name)
{
    g_autofree char *path = g_strconcat(DATADIR, name, NULL);
    char *buf = NULL;
    if (!g_file_get_contents(path, &buf, NULL, NULL))
        return NULL;
    return buf;
}

static const char *
lastMessage(void)
{
    return mvErrorGetLastMessage();
}

/* parse + post-parse + format; NULL (error set) on failure */
static char *
postParse(const char *xml, gboolean kvm)
{
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(xml, MV_DOMAIN_DEF_PARSE_INACTIVE);
    mvQemuCaps *caps;
    int rc;
    if (!def)
        return NULL;
    caps = fakeCapsNew(kvm);
    rc = qemuDefinePostParse(def, caps);
    fakeCapsFree(caps);
    if (rc < 0)
        return NULL;
    return mvDomainDefFormat(def, FMT);
}

static void
assertSameXML(const char *name, const char *got, const char *want)
{
    if (strcmp(got, want) != 0) {
        g_autofree char *dir = g_dir_make_tmp("ppdiff-XXXXXX", NULL);
        g_autofree char *a = g_build_filename(dir, "want.xml", NULL);
        g_autofree char *b = g_build_filename(dir, "got.xml", NULL);
        g_autofree char *cmd = g_strdup_printf("diff -u %s %s >&2", a, b);
        g_file_set_contents(a, want, -1, NULL);
        g_file_set_contents(b, got, -1, NULL);
        if (system(cmd) < 0)
            fprintf(stderr, "diff failed\n");
        ck_abort_msg("%s: output differs from libvirt's", name);
    }
}

static const char *const goldens[] = {
    "pc-minimal",       /* <os><type>hvm</type></os> and nothing else */
    "pc-virtio",        /* the common virsh-define case on pc */
    "pc-devices",       /* many device kinds, explicit PCI address, usb/scsi/virtio-serial */
    "q35-minimal",
    "q35-virtinstall",  /* virt-install style q35 guest */
    "q35-devices",      /* legacy PCI devices -> pcie-to-pci-bridge */
    "q35-addressed",    /* libvirt's own output defined again */
    "pc-usb-hub",       /* more USB devices than ports: a hub is added */
    "pc-pci-bridge",    /* more PCI devices than slots: a pci-bridge is added */
    "q35-virtio-scsi",  /* virtio-scsi, virtio console, channels, ich9 sound, vga */
};

START_TEST(test_golden)
{
    const char *name = goldens[_i];
    g_autofree char *inName = g_strconcat(name, ".xml", NULL);
    g_autofree char *outName = g_strconcat(name, ".out.xml", NULL);
    g_autofree char *in = readData(inName);
    g_autofree char *want = readData(outName);
    g_autofree char *got = NULL;

    ck_assert_msg(in && want, "missing data for %s", name);
    got = postParse(in, FALSE);
    ck_assert_msg(got, "%s: %s", name, lastMessage());
    assertSameXML(name, got, want);
}
END_TEST

/* Defining the output again: libvirt's second dumpxml (NAME.redefine.xml
 * when libvirt moves controllers around on re-parse, else the output
 * itself), and that one is a true fixed point. */
START_TEST(test_fixed_point)
{
    const char *name = goldens[_i];
    g_autofree char *outName = g_strconcat(name, ".out.xml", NULL);
    g_autofree char *redefName = g_strconcat(name, ".redefine.xml", NULL);
    g_autofree char *out = readData(outName);
    g_autofree char *redef = readData(redefName);
    const char *want = redef ? redef : out;
    g_autofree char *got = NULL;
    g_autofree char *again = NULL;

    ck_assert_ptr_nonnull(out);
    got = postParse(out, FALSE);
    ck_assert_msg(got, "%s: %s", name, lastMessage());
    assertSameXML(name, got, want);
    again = postParse(got, FALSE);
    ck_assert_msg(again, "%s: %s", name, lastMessage());
    assertSameXML(name, again, got);
}
END_TEST

/* post-parse twice on the same def changes nothing */
START_TEST(test_idempotent)
{
    const char *name = goldens[_i];
    g_autofree char *inName = g_strconcat(name, ".xml", NULL);
    g_autofree char *in = readData(inName);
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(in, MV_DOMAIN_DEF_PARSE_INACTIVE);
    mvQemuCaps *caps = fakeCapsNew(FALSE);
    g_autofree char *once = NULL;
    g_autofree char *twice = NULL;

    ck_assert_msg(def, "%s", lastMessage());
    ck_assert_int_eq(qemuDefinePostParse(def, caps), 0);
    once = mvDomainDefFormat(def, FMT);
    ck_assert_int_eq(qemuDefinePostParse(def, caps), 0);
    twice = mvDomainDefFormat(def, FMT);
    fakeCapsFree(caps);
    assertSameXML(name, twice, once);
}
END_TEST

/* ---- errors, worded like libvirt 9.0 (checked against libvirtd) ----- */

#define DOM(type, os, devices) \
    "<domain type='" type "'><name>e</name><memory>1048576</memory>" os \
    "<devices>" devices "</devices></domain>"

static const struct {
    const char *xml;
    gboolean kvm;
    int code;
    const char *message;
} errors[] = {
    { DOM("kvm", "<os><type>hvm</type></os>", ""), FALSE, MV_ERR_INVALID_ARG,
      "invalid argument: could not get preferred machine for /usr/bin/qemu-system-x86_64 type=kvm" },
    { DOM("kvm", "<os><type machine='q35'>hvm</type></os>", ""), FALSE, MV_ERR_CONFIG_UNSUPPORTED,
      "unsupported configuration: Emulator '/usr/bin/qemu-system-x86_64' does not support virt type 'kvm'" },
    { DOM("qemu", "<os><type machine='nosuch'>hvm</type></os>", ""), FALSE, MV_ERR_XML_ERROR,
      "XML error: No PCI buses available" },
    { DOM("qemu", "<os><type machine='nosuch'>hvm</type></os>",
          "<controller type='usb' model='none'/><memballoon model='none'/>"), FALSE,
      MV_ERR_CONFIG_UNSUPPORTED,
      "unsupported configuration: Emulator '/usr/bin/qemu-system-x86_64' does not support machine type 'nosuch'" },
    { DOM("qemu", "<os><type>xen</type></os>", ""), FALSE, MV_ERR_CONFIG_UNSUPPORTED,
      "unsupported configuration: Emulator '/usr/bin/qemu-system-x86_64' does not support os type 'xen'" },
    { DOM("qemu", "<os><type>hvm</type></os>",
          "<interface type='user'><address type='pci' bus='0' slot='3'/></interface>"
          "<interface type='user'><address type='pci' bus='0' slot='3'/></interface>"), FALSE,
      MV_ERR_XML_ERROR, "XML error: Attempted double use of PCI Address 0000:00:03.0" },
    { DOM("qemu", "<os><type>hvm</type></os>",
          "<interface type='user'><address type='pci' bus='0' slot='1'/></interface>"), FALSE,
      MV_ERR_XML_ERROR, "XML error: Attempted double use of PCI Address 0000:00:01.0" },
    { DOM("qemu", "<os><type machine='q35'>hvm</type></os>",
          "<controller type='pci' index='0' model='pcie-root-port'/>"), FALSE, MV_ERR_XML_ERROR,
      "XML error: The PCI controller with index='0' must be model='pcie-root' for this machine type, "
      "but model='pcie-root-port' was found instead" },
    { DOM("qemu", "<os><type>hvm</type></os>",
          "<video><model type='qxl'/></video><video><model type='vga'/></video>"), FALSE,
      MV_ERR_CONFIG_UNSUPPORTED,
      "unsupported configuration: video type 'vga' is only valid as primary video device" },
    { DOM("qemu", "<os><type>hvm</type></os>",
          "<controller type='usb' model='none'/><input type='tablet' bus='usb'/>"), FALSE,
      MV_ERR_CONFIG_UNSUPPORTED,
      "unsupported configuration: USB is disabled for this domain, but USB devices are present in the domain XML" },
};

START_TEST(test_error)
{
    g_autofree char *got = NULL;
    mvErrorReset();
    got = postParse(errors[_i].xml, errors[_i].kvm);
    ck_assert_msg(got == NULL, "case %d unexpectedly succeeded:\n%s", _i, got);
    ck_assert_str_eq(lastMessage(), errors[_i].message);
    ck_assert_int_eq(mvErrorGetLastCode(), errors[_i].code);
}
END_TEST

/* With KVM usable, type='kvm' gets exactly what type='qemu' gets. */
START_TEST(test_kvm)
{
    g_autofree char *in = readData("pc-virtio.xml");
    g_autofree char *want = readData("pc-virtio.out.xml");
    g_autoptr(GString) kin = NULL;
    g_autoptr(GString) kwant = NULL;
    g_autofree char *got = NULL;

    ck_assert_ptr_nonnull(in);
    ck_assert_ptr_nonnull(want);
    kin = g_string_new(in);
    kwant = g_string_new(want);
    g_string_replace(kin, "<domain type='qemu'>", "<domain type='kvm'>", 1);
    g_string_replace(kwant, "<domain type='qemu'>", "<domain type='kvm'>", 1);
    got = postParse(kin->str, TRUE);
    ck_assert_msg(got, "%s", lastMessage());
    assertSameXML("pc-virtio (kvm)", got, kwant->str);
}
END_TEST

/* Machine aliases and defaults. */
START_TEST(test_machine)
{
    static const struct { const char *in; const char *want; } cases[] = {
        { "<type>hvm</type>", "machine='pc-i440fx-7.2'" },
        { "<type machine='pc'>hvm</type>", "machine='pc-i440fx-7.2'" },
        { "<type machine='q35'>hvm</type>", "machine='pc-q35-7.2'" },
        { "<type machine='pc-i440fx-7.1'>hvm</type>", "machine='pc-i440fx-7.1'" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *xml = g_strdup_printf("<domain type='qemu'><name>m</name><memory>65536</memory>"
                                               "<os>%s</os></domain>", cases[i].in);
        g_autofree char *got = postParse(xml, FALSE);
        ck_assert_msg(got, "%s", lastMessage());
        ck_assert_msg(strstr(got, cases[i].want), "%s: no %s in\n%s", cases[i].in, cases[i].want, got);
        ck_assert_msg(strstr(got, "<emulator>/usr/bin/qemu-system-x86_64</emulator>"), "%s", got);
        ck_assert_msg(strstr(got, "arch='x86_64'"), "%s", got);
    }
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("qemu_postparse");
    TCase *tc = tcase_create("core");
    tcase_add_loop_test(tc, test_golden, 0, G_N_ELEMENTS(goldens));
    tcase_add_loop_test(tc, test_fixed_point, 0, G_N_ELEMENTS(goldens));
    tcase_add_loop_test(tc, test_idempotent, 0, G_N_ELEMENTS(goldens));
    tcase_add_loop_test(tc, test_error, 0, G_N_ELEMENTS(errors));
    tcase_add_test(tc, test_kvm);
    tcase_add_test(tc, test_machine);
    suite_add_tcase(s, tc);
    return s;
}

int
main(int argc, char **argv)
{
    SRunner *sr;
    int failed;

    if (argc > 1) {
        g_autofree char *xml = NULL;
        g_autofree char *out = NULL;
        if (!g_file_get_contents(argv[1], &xml, NULL, NULL)) {
            fprintf(stderr, "cannot read %s\n", argv[1]);
            return 2;
        }
        if (!(out = postParse(xml, argc > 2 && strcmp(argv[2], "kvm") == 0))) {
            fprintf(stderr, "error: %s\n", lastMessage());
            return 1;
        }
        fputs(out, stdout);
        return 0;
    }
    sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
