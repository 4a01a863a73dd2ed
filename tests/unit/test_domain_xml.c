/* Domain XML: golden parse/format, fixed point, hostile input, metadata,
 * units, copy, hotplug helpers. */
#include <check.h>
#include <string.h>
#include <stdlib.h>

#include "xml/domain_conf.h"
#include "xml/xmlutil.h"
#include "util/error.h"

#ifndef MODVIRT_TEST_DATA
# define MODVIRT_TEST_DATA "tests/data"
#endif
#define DATADIR MODVIRT_TEST_DATA "/domain/"

static char *
readData(const char *name)
{
    g_autofree char *path = g_strconcat(DATADIR, name, NULL);
    char *buf = NULL;
    GError *err = NULL;
    if (!g_file_get_contents(path, &buf, NULL, &err)) {
        ck_abort_msg("cannot read %s: %s", path, err->message);
    }
    return buf;
}

static const char *
lastMessage(void)
{
    const mvError *e = mvErrorGetLast();
    return e && e->message ? e->message : "(no error)";
}

static int
lastCode(void)
{
    const mvError *e = mvErrorGetLast();
    return e ? e->code : -1;
}

/* format(parse(x)) must equal x for canonical x */
static void
assertFixedPoint(const char *xml, unsigned int parseFlags, unsigned int fmtFlags)
{
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(xml, parseFlags);
    g_autofree char *again = NULL;
    ck_assert_msg(def, "reparse failed: %s", lastMessage());
    again = mvDomainDefFormat(def, fmtFlags);
    ck_assert_str_eq(again, xml);
}

/* ---- golden files ---------------------------------------------------- */

static const char *const goldens[] = {
    "minimal",
    "virt-install-debian11",
    "docs-full",
    "os-boot-kernel",
    "disks-interfaces",
    "graphics-live",
    "metadata",
};

START_TEST(test_golden)
{
    const char *name = goldens[_i];
    g_autofree char *inName = g_strconcat(name, ".xml", NULL);
    g_autofree char *outName = g_strconcat(name, ".out.xml", NULL);
    g_autofree char *in = readData(inName);
    g_autofree char *expect = readData(outName);
    g_autoptr(mvDomainDef) def = NULL;
    g_autofree char *out = NULL;

    mvErrorReset();
    def = mvDomainDefParseString(in, MV_DOMAIN_DEF_PARSE_INACTIVE);
    ck_assert_msg(def, "%s: parse failed: %s", name, lastMessage());
    out = mvDomainDefFormat(def, 0);
    ck_assert_str_eq(out, expect);
    assertFixedPoint(out, MV_DOMAIN_DEF_PARSE_INACTIVE, 0);
    assertFixedPoint(out, 0, 0);
    /* the golden output itself is canonical */
    assertFixedPoint(expect, MV_DOMAIN_DEF_PARSE_INACTIVE, 0);
}
END_TEST

START_TEST(test_live_status)
{
    g_autofree char *in = readData("graphics-live.xml");
    g_autofree char *expect = readData("graphics-live.live.xml");
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(in, MV_DOMAIN_DEF_PARSE_LIVE);
    g_autofree char *live = NULL, *secure = NULL, *inactive = NULL;
    g_autofree char *expectInactive = readData("graphics-live.out.xml");

    ck_assert_msg(def, "%s", lastMessage());
    ck_assert_int_eq(def->id, 7);
    ck_assert_int_eq(def->ngraphics, 2);
    ck_assert_int_eq(def->graphics[0]->port, 5900);
    ck_assert_str_eq(def->graphics[0]->listen, "127.0.0.1");
    ck_assert_str_eq(def->serials[0]->sourcePath, "/dev/pts/4");
    ck_assert_str_eq(def->nets[0]->ifname, "vnet3");

    live = mvDomainDefFormat(def, 0);
    ck_assert_str_eq(live, expect);
    ck_assert_ptr_null(strstr(live, "passwd"));
    assertFixedPoint(live, MV_DOMAIN_DEF_PARSE_LIVE, 0);

    secure = mvDomainDefFormat(def, MV_DOMAIN_XML_SECURE);
    ck_assert_ptr_nonnull(strstr(secure, "passwd='s3cret'"));

    inactive = mvDomainDefFormat(def, MV_DOMAIN_XML_INACTIVE);
    ck_assert_str_eq(inactive, expectInactive);
}
END_TEST

/* ---- typed fields ------------------------------------------------------ */

START_TEST(test_typed_fields)
{
    g_autofree char *in = readData("virt-install-debian11.xml");
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(in, MV_DOMAIN_DEF_PARSE_INACTIVE);
    char uuid[MV_UUID_STRING_BUFLEN];

    ck_assert_msg(def, "%s", lastMessage());
    ck_assert_int_eq(def->id, -1);
    ck_assert_str_eq(def->name, "debian11");
    ck_assert_str_eq(def->virtType, "kvm");
    ck_assert_str_eq(mvUUIDFormat(def->uuid, uuid), "3e6e4d2b-5a0f-4c8c-9f4e-0d0f8d4d6b11");
    ck_assert_uint_eq(def->memoryKiB, 2097152);
    ck_assert_uint_eq(def->currentMemoryKiB, 2097152);
    ck_assert_uint_eq(def->vcpusMax, 2);
    ck_assert_uint_eq(def->vcpusCurrent, 2);
    ck_assert_str_eq(def->osType, "hvm");
    ck_assert_str_eq(def->osArch, "x86_64");
    ck_assert_str_eq(def->osMachine, "q35");
    ck_assert_str_eq(def->emulator, "/usr/bin/qemu-system-x86_64");
    ck_assert_int_eq(def->ndisks, 2);
    ck_assert_str_eq(def->disks[0]->type, "file");
    ck_assert_str_eq(def->disks[0]->device, "disk");
    ck_assert_str_eq(def->disks[0]->driverType, "qcow2");
    ck_assert_str_eq(def->disks[0]->src, "/var/lib/libvirt/images/debian11.qcow2");
    ck_assert_str_eq(def->disks[0]->dst, "vda");
    ck_assert_str_eq(def->disks[0]->bus, "virtio");
    ck_assert(!def->disks[0]->readonly);
    ck_assert(def->disks[1]->readonly);
    ck_assert_str_eq(def->disks[1]->device, "cdrom");
    ck_assert_int_eq(def->nnets, 1);
    ck_assert_str_eq(def->nets[0]->type, "network");
    ck_assert_str_eq(def->nets[0]->source, "default");
    ck_assert_str_eq(def->nets[0]->mac, "52:54:00:9b:3a:11");
    ck_assert_str_eq(def->nets[0]->model, "virtio");
    ck_assert_int_eq(def->nserials, 1);
    ck_assert_int_eq(def->nconsoles, 1);
    ck_assert_int_eq(def->nchannels, 2);
    ck_assert_int_eq(def->ngraphics, 2);
    ck_assert_int_eq(def->ndevs[MV_DOMAIN_DEVICE_INPUT], 3);
    ck_assert_int_eq(def->ndevs[MV_DOMAIN_DEVICE_CONTROLLER], 7);
}
END_TEST

START_TEST(test_driver_edits)
{
    g_autofree char *in = readData("virt-install-debian11.xml");
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(in, MV_DOMAIN_DEF_PARSE_INACTIVE);
    g_autofree char *out = NULL;

    ck_assert_msg(def, "%s", lastMessage());
    /* what setmem/setvcpus/change-media do */
    def->memoryKiB = 4194304;
    def->currentMemoryKiB = 1048576;
    def->vcpusMax = 4;
    g_free(def->disks[1]->src);
    def->disks[1]->src = g_strdup("/tmp/other.iso");
    g_free(def->nets[0]->ifname);
    def->nets[0]->ifname = g_strdup("vnet0");
    def->graphics[0]->port = 5900;
    def->id = 3;
    ck_assert_int_eq(mvDomainDefValidate(def), 0);
    out = mvDomainDefFormat(def, 0);
    ck_assert_ptr_nonnull(strstr(out, "<domain type='kvm' id='3'>"));
    ck_assert_ptr_nonnull(strstr(out, "<memory unit='KiB'>4194304</memory>"));
    ck_assert_ptr_nonnull(strstr(out, "<currentMemory unit='KiB'>1048576</currentMemory>"));
    ck_assert_ptr_nonnull(strstr(out, "<vcpu placement='static' current='2'>4</vcpu>"));
    ck_assert_ptr_nonnull(strstr(out, "<source file='/tmp/other.iso'/>"));
    ck_assert_ptr_nonnull(strstr(out, "<target dev='vnet0'/>"));
    ck_assert_ptr_nonnull(strstr(out, "<graphics type='vnc' port='5900' autoport='yes'>"));
    assertFixedPoint(out, MV_DOMAIN_DEF_PARSE_LIVE, 0);

    /* inactive view hides the runtime bits */
    g_free(out);
    out = mvDomainDefFormat(def, MV_DOMAIN_XML_INACTIVE);
    ck_assert_ptr_null(strstr(out, "id='3'"));
    ck_assert_ptr_null(strstr(out, "vnet0"));
    ck_assert_ptr_nonnull(strstr(out, "<graphics type='vnc' port='-1' autoport='yes'>"));

    /* ejecting media removes the source */
    g_clear_pointer(&def->disks[1]->src, g_free);
    g_free(out);
    out = mvDomainDefFormat(def, MV_DOMAIN_XML_INACTIVE);
    ck_assert_ptr_null(strstr(out, "other.iso"));
    assertFixedPoint(out, MV_DOMAIN_DEF_PARSE_INACTIVE, 0);

    /* bad edits are caught by validation */
    def->vcpusCurrent = 9;
    ck_assert_int_eq(mvDomainDefValidate(def), -1);
    ck_assert_int_eq(lastCode(), MV_ERR_CONFIG_UNSUPPORTED);
}
END_TEST

START_TEST(test_defaults)
{
    const char *xml =
        "<domain type='qemu'><name>d</name><memory unit='MiB'>64</memory>"
        "<currentMemory unit='MiB'>128</currentMemory>"
        "<os><type>hvm</type></os><devices>"
        "<interface type='user'/><interface type='network'><source network='n'/></interface>"
        "</devices></domain>";
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(xml, MV_DOMAIN_DEF_PARSE_INACTIVE);
    g_autoptr(mvDomainDef) def2 = mvDomainDefParseString(xml, MV_DOMAIN_DEF_PARSE_INACTIVE);
    unsigned char zero[MV_UUID_BUFLEN] = { 0 };
    g_autofree char *out = NULL;

    ck_assert_msg(def && def2, "%s", lastMessage());
    ck_assert(memcmp(def->uuid, zero, sizeof(zero)) != 0);
    ck_assert(memcmp(def->uuid, def2->uuid, sizeof(zero)) != 0);
    ck_assert_uint_eq(def->currentMemoryKiB, 65536);  /* clamped to memory */
    ck_assert_uint_eq(def->vcpusMax, 1);
    ck_assert_str_eq(def->onPoweroff, "destroy");
    ck_assert_str_eq(def->onReboot, "restart");
    ck_assert_str_eq(def->onCrash, "destroy");
    for (size_t i = 0; i < def->nnets; i++) {
        unsigned char mac[6];
        ck_assert_int_eq(mvMacAddrParse(def->nets[i]->mac, mac), 0);
        ck_assert(g_str_has_prefix(def->nets[i]->mac, "52:54:00:"));
    }
    ck_assert_str_ne(def->nets[0]->mac, def->nets[1]->mac);
    out = mvDomainDefFormat(def, 0);
    ck_assert_ptr_nonnull(strstr(out, "<boot dev='hd'/>"));
    ck_assert_ptr_nonnull(strstr(out, "<clock offset='utc'/>"));
    assertFixedPoint(out, MV_DOMAIN_DEF_PARSE_INACTIVE, 0);
}
END_TEST

/* ---- memory units ------------------------------------------------------ */

static const struct {
    const char *unit;
    unsigned long long kib;   /* for a value of 3, as libvirt 9.0 computes it */
} units[] = {
    { "b", 1 }, { "bytes", 1 }, { "k", 3 }, { "KB", 3 }, { "KiB", 3 },
    { "M", 3072 }, { "MB", 2930 }, { "MiB", 3072 },
    { "G", 3145728 }, { "GB", 2929688 }, { "GiB", 3145728 },
    { "T", 3221225472ULL }, { "TB", 2929687500ULL }, { "TiB", 3221225472ULL },
    { "P", 3298534883328ULL }, { "PB", 2929687500000ULL }, { "PiB", 3298534883328ULL },
    { "E", 3377699720527872ULL }, { "EB", 2929687500000000ULL }, { "EiB", 3377699720527872ULL },
    { "mib", 3072 }, { "gIB", 3145728 }, { "", 3 },
};

START_TEST(test_memory_units)
{
    g_autofree char *xml = g_strdup_printf(
        "<domain type='kvm'><name>u</name><memory unit='%s'>3</memory>"
        "<currentMemory unit='%s'>3</currentMemory><maxMemory slots='2' unit='%s'>3</maxMemory>"
        "<os><type>hvm</type></os></domain>", units[_i].unit, units[_i].unit, units[_i].unit);
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(xml, 0);
    g_autofree char *out = NULL, *want = NULL;
    ck_assert_msg(def, "%s: %s", units[_i].unit, lastMessage());
    ck_assert_uint_eq(def->memoryKiB, units[_i].kib);
    ck_assert_uint_eq(def->currentMemoryKiB, units[_i].kib);
    ck_assert_uint_eq(def->maxMemoryKiB, units[_i].kib);
    out = mvDomainDefFormat(def, 0);
    want = g_strdup_printf("<memory unit='KiB'>%llu</memory>", units[_i].kib);
    ck_assert_ptr_nonnull(strstr(out, want));
    assertFixedPoint(out, 0, 0);
}
END_TEST

START_TEST(test_memory_limits)
{
    /* largest accepted: LLONG_MAX bytes rounded up to KiB */
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(
        "<domain type='kvm'><name>m</name><memory unit='b'>9223372036854775807</memory>"
        "<os><type>hvm</type></os></domain>", 0);
    ck_assert_msg(def, "%s", lastMessage());
    ck_assert_uint_eq(def->memoryKiB, 9007199254740992ULL);

    mvErrorReset();
    ck_assert_ptr_null(mvDomainDefParseString(
        "<domain type='kvm'><name>m</name><memory unit='EiB'>8</memory>"
        "<os><type>hvm</type></os></domain>", 0));
    ck_assert_int_eq(lastCode(), MV_ERR_OVERFLOW);
    ck_assert_str_eq(lastMessage(), "numerical overflow: value too large: 8EiB");
}
END_TEST

/* ---- hostile input ------------------------------------------------------ */

static const struct {
    const char *file;
    int code;
    const char *substr;
} hostile[] = {
    { "hostile-billion-laughs.xml", MV_ERR_XML_ERROR, "document type declarations are not allowed" },
    { "hostile-external-entity.xml", MV_ERR_XML_ERROR, "document type declarations are not allowed" },
    { "hostile-external-dtd.xml", MV_ERR_XML_ERROR, "document type declarations are not allowed" },
    { "hostile-undefined-entity.xml", MV_ERR_XML_DETAIL, "Entity 'xxe' not defined" },
    { "hostile-vcpu-negative.xml", MV_ERR_XML_ERROR, "maximum vcpus count must be an integer" },
    { "hostile-vcpu-uint-max.xml", MV_ERR_CONFIG_UNSUPPORTED, "maximum vcpus count 4294967295 exceeds the supported limit of 16384" },
    { "hostile-vcpu-zero.xml", MV_ERR_CONFIG_UNSUPPORTED, "maximum vcpus count must be greater than 0" },
    { "hostile-vcpu-current.xml", MV_ERR_CONFIG_UNSUPPORTED, "maximum vCPU count must not be less than current vCPU count" },
    { "hostile-memory-overflow-kib.xml", MV_ERR_OVERFLOW, "value too large: 18446744073709551615KiB" },
    { "hostile-memory-overflow-tib.xml", MV_ERR_OVERFLOW, "value too large: 8388608TiB" },
    { "hostile-memory-negative.xml", MV_ERR_XML_ERROR, "Invalid value '-1' for element or attribute './memory[1]'" },
    { "hostile-memory-zero.xml", MV_ERR_XML_ERROR, "Memory size must be specified via <memory> or in the <numa> configuration" },
    { "hostile-bad-unit.xml", MV_ERR_INVALID_ARG, "unknown suffix 'XB'" },
    { "hostile-maxmemory-small.xml", MV_ERR_XML_ERROR, "maximum memory size must be equal or greater than the actual memory size" },
    { "hostile-name-slash.xml", MV_ERR_XML_ERROR, "name a/b cannot contain '/'" },
    { "hostile-name-dotdot.xml", MV_ERR_XML_ERROR, "name '..' is not allowed" },
    { "hostile-name-missing.xml", MV_ERR_NO_NAME, "" },
    { "hostile-uuid-invalid.xml", MV_ERR_INTERNAL_ERROR, "malformed uuid element" },
    { "hostile-duplicate-target.xml", MV_ERR_XML_ERROR, "target 'vda' duplicated for disk sources '/a' and '/b'" },
    { "hostile-mac-invalid.xml", MV_ERR_XML_ERROR, "unable to parse mac address 'zz:00:00:00:00:01'" },
    { "hostile-mac-multicast.xml", MV_ERR_XML_ERROR, "expected unicast mac address, found multicast '01:00:5e:00:00:01'" },
    { "hostile-malformed.xml", MV_ERR_XML_DETAIL,
      "(domain_definition):2: Opening and ending tag mismatch: domain line 1 and doma\n"
      "<name>x</name></doma>\n"
      "---------------------^" },
    { "hostile-os-type.xml", MV_ERR_CONFIG_UNSUPPORTED, "unknown OS type 'foo'" },
    { "hostile-virt-type.xml", MV_ERR_CONFIG_UNSUPPORTED, "invalid domain type foo" },
    { "hostile-wrong-root.xml", MV_ERR_XML_ERROR, "expecting root element of 'domain', not 'network'" },
    { "hostile-no-os.xml", MV_ERR_XML_ERROR, "an os <type> must be specified" },
    { "hostile-disk-no-target.xml", MV_ERR_NO_TARGET, "/a" },
};

START_TEST(test_hostile_file)
{
    g_autofree char *xml = readData(hostile[_i].file);
    mvDomainDef *def;
    mvErrorReset();
    def = mvDomainDefParseString(xml, MV_DOMAIN_DEF_PARSE_INACTIVE);
    ck_assert_msg(def == NULL, "%s: parse unexpectedly succeeded", hostile[_i].file);
    ck_assert_msg(lastCode() == hostile[_i].code, "%s: code %d, expected %d (%s)",
                  hostile[_i].file, lastCode(), hostile[_i].code, lastMessage());
    ck_assert_msg(strstr(lastMessage(), hostile[_i].substr) != NULL,
                  "%s: message '%s' lacks '%s'", hostile[_i].file, lastMessage(),
                  hostile[_i].substr);
    ck_assert_int_le(strlen(lastMessage()), MV_ERROR_MESSAGE_MAX);
}
END_TEST

START_TEST(test_hostile_deep_nesting)
{
    GString *s = g_string_new("<domain type='kvm'><name>d</name><memory>1024</memory>"
                              "<os><type>hvm</type></os><metadata><x:a xmlns:x='urn:x'>");
    for (int i = 0; i < 100000; i++)
        g_string_append(s, "<x:a>");
    for (int i = 0; i < 100000; i++)
        g_string_append(s, "</x:a>");
    g_string_append(s, "</x:a></metadata></domain>");
    mvErrorReset();
    ck_assert_ptr_null(mvDomainDefParseString(s->str, 0));
    ck_assert_int_eq(lastCode(), MV_ERR_XML_ERROR);
    ck_assert_ptr_nonnull(strstr(lastMessage(), "nesting is too deep"));
    g_string_free(s, TRUE);
}
END_TEST

START_TEST(test_hostile_huge)
{
    size_t n = MV_XML_MAX_SIZE + 16;
    char *big = g_malloc(n + 1);
    const char *head = "<domain type='kvm'><name>";
    memset(big, 'a', n);
    memcpy(big, head, strlen(head));
    big[n] = '\0';
    mvErrorReset();
    ck_assert_ptr_null(mvDomainDefParseString(big, 0));
    ck_assert_int_eq(lastCode(), MV_ERR_XML_ERROR);
    ck_assert_ptr_nonnull(strstr(lastMessage(), "larger than"));
    g_free(big);
}
END_TEST

START_TEST(test_hostile_misc)
{
    static const char *const bad[] = {
        "",
        "<",
        "<domain",
        "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os>"
        "<devices><disk><target dev='vda'/></disk></devices>",
        "<domain type='kvm'><name>x</name><memory>1e9</memory><os><type>hvm</type></os></domain>",
        "<domain type='kvm'><name>x</name><memory> </memory><os><type>hvm</type></os></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><vcpu>99999999999999999999</vcpu>"
        "<os><type>hvm</type></os></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><vcpu cpuset='0-99999999'>2</vcpu>"
        "<os><type>hvm</type></os></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><vcpu current='-1'>2</vcpu>"
        "<os><type>hvm</type></os></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os>"
        "<devices><graphics type='vnc' port='99999999999'/></devices></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os>"
        "<devices><serial type='pty'><target port='-1'/></serial></devices></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os>"
        "<devices><disk type='file'><source file='/a'/><target dev='vda'/><boot order='0'/></disk></devices></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type><boot dev='hd'/></os>"
        "<devices><disk type='file'><source file='/a'/><target dev='vda'/><boot order='1'/></disk></devices></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os>"
        "<devices><graphics type='vnc' listen='1.2.3.4'><listen type='address' address='5.6.7.8'/></graphics></devices></domain>",
        "<domain type='kvm'><name>x\ny</name><memory>1024</memory><os><type>hvm</type></os></domain>",
        "<domain type='kvm'><name>x</name><title>a\nb</title><memory>1024</memory><os><type>hvm</type></os></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os><on_crash>explode</on_crash></domain>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os>"
        "<devices><interface type='bogus'/></devices></domain>",
        "<?xml version='1.0'?><!DOCTYPE x PUBLIC 'a' 'http://example.com/x.dtd'><domain/>",
        "<domain type='kvm'><name>x</name><memory>1024</memory><os><type>hvm</type></os><![CDATA[",
        "\xff\xfe<domain/>",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        mvErrorReset();
        ck_assert_msg(mvDomainDefParseString(bad[i], 0) == NULL, "case %zu parsed", i);
        ck_assert_msg(mvErrorGetLast() != NULL, "case %zu: no error set", i);
    }
    mvErrorReset();
    ck_assert_ptr_null(mvDomainDefParseString(NULL, 0));
}
END_TEST

START_TEST(test_names)
{
    ck_assert(mvDomainNameIsValid("vm1"));
    ck_assert(mvDomainNameIsValid("a.b-c_d e"));
    ck_assert(mvDomainNameIsValid("..."));
    ck_assert(!mvDomainNameIsValid(NULL));
    ck_assert(!mvDomainNameIsValid(""));
    ck_assert(!mvDomainNameIsValid("."));
    ck_assert(!mvDomainNameIsValid(".."));
    ck_assert(!mvDomainNameIsValid("a/b"));
    ck_assert(!mvDomainNameIsValid("../etc"));
    ck_assert(!mvDomainNameIsValid("a\nb"));
}
END_TEST

START_TEST(test_helpers)
{
    unsigned char mac[6];
    char buf[18];
    ck_assert_int_eq(mvDiskNameToIndex("sda"), 0);
    ck_assert_int_eq(mvDiskNameToIndex("vdz"), 25);
    ck_assert_int_eq(mvDiskNameToIndex("hdaa"), 26);
    ck_assert_int_eq(mvDiskNameToIndex("xvdb"), 1);
    ck_assert_int_eq(mvDiskNameToIndex("sda1"), -1);
    ck_assert_int_eq(mvDiskNameToIndex("nvme0"), -1);
    ck_assert_int_eq(mvMacAddrParse("52:54:00:AB:cd:0", mac), 0);
    mvMacAddrFormat(mac, buf);
    ck_assert_str_eq(buf, "52:54:00:ab:cd:00");
    ck_assert_int_eq(mvMacAddrParse("52:54:00:ab:cd", mac), -1);
    ck_assert_int_eq(mvMacAddrParse("52:54:00:ab:cd:ef:01", mac), -1);
    ck_assert_int_eq(mvMacAddrParse("525:4:00:ab:cd:ef", mac), -1);
}
END_TEST

/* ---- metadata ------------------------------------------------------------ */

START_TEST(test_metadata_api)
{
    g_autofree char *in = readData("minimal.xml");
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(in, 0);
    g_autofree char *el = NULL, *title = NULL, *out = NULL;

    ck_assert_msg(def, "%s", lastMessage());
    mvErrorReset();
    ck_assert_ptr_null(mvDomainDefGetMetadata(def, MV_DOMAIN_METADATA_TITLE, NULL));
    ck_assert_int_eq(lastCode(), MV_ERR_NO_DOMAIN_METADATA);
    ck_assert_ptr_nonnull(strstr(lastMessage(), "Requested metadata element is not present"));
    ck_assert_ptr_null(mvDomainDefGetMetadata(def, MV_DOMAIN_METADATA_ELEMENT, "http://x/"));
    ck_assert_int_eq(lastCode(), MV_ERR_NO_DOMAIN_METADATA);

    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_ELEMENT,
                                            "<foo a='1'><bar>t</bar></foo>", "p", "http://x/"), 0);
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_ELEMENT,
                                            "<foo2/>", "q", "http://y/"), 0);
    el = mvDomainDefGetMetadata(def, MV_DOMAIN_METADATA_ELEMENT, "http://x/");
    ck_assert_str_eq(el, "<foo a=\"1\">\n  <bar>t</bar>\n</foo>");
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_TITLE, "hello & <x>", NULL, NULL), 0);
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_DESCRIPTION, "multi\nline & <d>", NULL, NULL), 0);
    title = mvDomainDefGetMetadata(def, MV_DOMAIN_METADATA_TITLE, NULL);
    ck_assert_str_eq(title, "hello & <x>");

    out = mvDomainDefFormat(def, 0);
    ck_assert_ptr_nonnull(strstr(out,
        "  <title>hello &amp; &lt;x&gt;</title>\n"
        "  <description>multi\nline &amp; &lt;d&gt;</description>\n"
        "  <metadata>\n"
        "    <p:foo xmlns:p=\"http://x/\" a=\"1\">\n"
        "      <p:bar>t</p:bar>\n"
        "    </p:foo>\n"
        "    <q:foo2 xmlns:q=\"http://y/\"/>\n"
        "  </metadata>\n"));
    assertFixedPoint(out, 0, 0);

    /* replace, errors, removal */
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_ELEMENT, "<baz/>", "p", "http://x/"), 0);
    g_free(el);
    el = mvDomainDefGetMetadata(def, MV_DOMAIN_METADATA_ELEMENT, "http://x/");
    ck_assert_str_eq(el, "<baz/>");
    mvErrorReset();
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_TITLE, "a\nb", NULL, NULL), -1);
    ck_assert_int_eq(lastCode(), MV_ERR_INVALID_ARG);
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_ELEMENT, "<foo>", "p", "http://z/"), -1);
    ck_assert_int_eq(lastCode(), MV_ERR_XML_DETAIL);
    ck_assert_ptr_nonnull(strstr(lastMessage(), "(metadata_xml):1: "));
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_ELEMENT, "<foo/>", NULL, "http://z/"), -1);
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_ELEMENT, "<foo/>", "p", NULL), -1);
    ck_assert_int_eq(mvDomainDefSetMetadata(def, 5, "x", NULL, NULL), -1);
    ck_assert_int_eq(lastCode(), MV_ERR_INVALID_ARG);
    ck_assert_ptr_null(mvDomainDefGetMetadata(def, 5, NULL));

    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_TITLE, "", NULL, NULL), 0);
    ck_assert_ptr_null(def->title);
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_ELEMENT, NULL, NULL, "http://x/"), 0);
    ck_assert_int_eq(mvDomainDefSetMetadata(def, MV_DOMAIN_METADATA_ELEMENT, NULL, NULL, "http://y/"), 0);
    g_free(out);
    out = mvDomainDefFormat(def, 0);
    ck_assert_ptr_nonnull(strstr(out, "  <metadata/>\n"));
    assertFixedPoint(out, 0, 0);
}
END_TEST

/* ---- copy and hotplug ---------------------------------------------------- */

START_TEST(test_copy)
{
    g_autofree char *in = readData("docs-full.xml");
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(in, 0);
    g_autoptr(mvDomainDef) copy = NULL;
    g_autofree char *a = NULL, *b = NULL;
    ck_assert_msg(def, "%s", lastMessage());
    def->id = 12;
    copy = mvDomainDefCopy(def);
    ck_assert_msg(copy, "%s", lastMessage());
    ck_assert_int_eq(copy->id, 12);
    a = mvDomainDefFormat(def, MV_DOMAIN_XML_SECURE);
    b = mvDomainDefFormat(copy, MV_DOMAIN_XML_SECURE);
    ck_assert_str_eq(a, b);
    ck_assert_ptr_nonnull(strstr(a, "passwd='secret'"));
}
END_TEST

START_TEST(test_hotplug)
{
    g_autofree char *in = readData("virt-install-debian11.xml");
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(in, 0);
    mvDomainDeviceDef *dev, *dup, *gone;
    g_autofree char *out = NULL, *devxml = NULL;

    ck_assert_msg(def, "%s", lastMessage());
    dev = mvDomainDeviceDefParseString(
        "<disk type='file' device='disk'><driver name='qemu' type='raw'/>"
        "<source file='/var/lib/libvirt/images/extra.img'/><target dev='vdb'/></disk>", def, 0);
    ck_assert_msg(dev, "%s", lastMessage());
    ck_assert_int_eq(dev->kind, MV_DOMAIN_DEVICE_DISK);
    devxml = mvDomainDeviceDefFormat(dev, 0);
    ck_assert_str_eq(devxml,
        "<disk type='file' device='disk'>\n"
        "  <driver name='qemu' type='raw'/>\n"
        "  <source file='/var/lib/libvirt/images/extra.img'/>\n"
        "  <target dev='vdb' bus='virtio'/>\n"
        "</disk>\n");
    ck_assert_int_eq(mvDomainDefAddDevice(def, dev), 0);
    ck_assert_int_eq(def->ndisks, 3);
    ck_assert_str_eq(def->disks[1]->dst, "vdb");   /* after vda */

    dup = mvDomainDeviceDefParseString(
        "<disk type='file'><source file='/x'/><target dev='vdb'/></disk>", def, 0);
    ck_assert_ptr_nonnull(dup);
    mvErrorReset();
    ck_assert_int_eq(mvDomainDefAddDevice(def, dup), -1);
    ck_assert_int_eq(lastCode(), MV_ERR_OPERATION_INVALID);

    gone = mvDomainDefRemoveDevice(def, dup);
    ck_assert_ptr_nonnull(gone);
    ck_assert_int_eq(def->ndisks, 2);
    ck_assert_str_eq(((mvDomainDiskDef *)gone)->src, "/var/lib/libvirt/images/extra.img");
    mvDomainDeviceDefFree(gone);
    mvDomainDeviceDefFree(dup);

    dev = mvDomainDeviceDefParseString("<interface type='bridge'><source bridge='br1'/></interface>", def, 0);
    ck_assert_ptr_nonnull(dev);
    ck_assert_int_eq(mvDomainDefAddDevice(def, dev), 0);
    ck_assert_int_eq(def->nnets, 2);
    ck_assert_ptr_nonnull(mvDomainDefFindNet(def, def->nets[1]->mac));
    ck_assert_ptr_nonnull(mvDomainDefFindDisk(def, "vda"));

    out = mvDomainDefFormat(def, 0);
    ck_assert_ptr_nonnull(strstr(out, "<source bridge='br1'/>"));
    assertFixedPoint(out, 0, 0);

    mvErrorReset();
    ck_assert_ptr_null(mvDomainDeviceDefParseString("<frobnicator/>", def, 0));
    ck_assert_int_eq(lastCode(), MV_ERR_XML_ERROR);
}
END_TEST

/* ---- layout kept by the no-copy parse and format paths ----------------- */

/* namespaces declared on <domain> and used below it, comments, mixed
 * content, aliases of generic devices (kept live, dropped inactive unless
 * user-defined "ua-") */
static const char layoutXML[] =
    "<domain type='kvm' xmlns:foo='http://example.org/foo' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
    "  <!-- comment -->\n"
    "  <name>layout</name>\n"
    "  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n"
    "  <metadata>\n"
    "    <foo:app foo:v='1'>text<foo:sub/></foo:app>\n"
    "  </metadata>\n"
    "  <memory unit='MiB'>512</memory>\n"
    "  <os>\n"
    "    <type arch='x86_64'>hvm</type>\n"
    "  </os>\n"
    "  <features>\n"
    "    <acpi/>\n"
    "    <foo:vendor/>\n"
    "  </features>\n"
    "  <clock offset='utc'/>\n"
    "  <devices>\n"
    "    <controller type='usb' model='qemu-xhci' index='0'>\n"
    "      <alias name='usb'/>\n"
    "    </controller>\n"
    "    <controller type='scsi' index='0'>\n"
    "      <alias name='ua-scsi'/>\n"
    "    </controller>\n"
    "    <controller type='sata' index='0'><alias name='sata0'/>mixed<foo:x/></controller>\n"
    "    <video>\n"
    "      <alias name='video0'/>\n"
    "      <model heads='1' type='vga' vram='16384'/>\n"
    "      <foo:ext foo:a='b'/>\n"
    "    </video>\n"
    "    <memballoon model='virtio'>\n"
    "      <alias name='balloon0'/>\n"
    "    </memballoon>\n"
    "    <rng model='virtio'>\n"
    "      <backend model='random'>/dev/urandom</backend>\n"
    "    </rng>\n"
    "  </devices>\n"
    "  <qemu:commandline>\n"
    "    <qemu:arg value='-s'/>\n"
    "  </qemu:commandline>\n"
    "</domain>\n";

/* what the formatter printed before it formatted from the stored tree */
static const char layoutLive[] =
    "<domain type='kvm' id='7' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
    "  <name>layout</name>\n"
    "  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n"
    "  <metadata xmlns:foo=\"http://example.org/foo\">\n"
    "    <foo:app foo:v=\"1\">text<foo:sub/></foo:app>\n"
    "  </metadata>\n"
    "  <memory unit='KiB'>524288</memory>\n"
    "  <currentMemory unit='KiB'>524288</currentMemory>\n"
    "  <vcpu placement='static'>1</vcpu>\n"
    "  <os>\n"
    "    <type arch='x86_64'>hvm</type>\n"
    "    <boot dev='hd'/>\n"
    "  </os>\n"
    "  <features xmlns:foo='http://example.org/foo'>\n"
    "    <acpi/>\n"
    "    <foo:vendor/>\n"
    "  </features>\n"
    "  <clock offset='utc'/>\n"
    "  <on_poweroff>destroy</on_poweroff>\n"
    "  <on_reboot>restart</on_reboot>\n"
    "  <on_crash>destroy</on_crash>\n"
    "  <devices>\n"
    "    <controller type='usb' index='0' model='qemu-xhci'>\n"
    "      <alias name='usb'/>\n"
    "    </controller>\n"
    "    <controller type='scsi' index='0'>\n"
    "      <alias name='ua-scsi'/>\n"
    "    </controller>\n"
    "    <controller xmlns:foo=\"http://example.org/foo\" type=\"sata\" index=\"0\"><alias name=\"sata0\"/>mixed<foo:x/></controller>\n"
    "    <video xmlns:foo='http://example.org/foo'>\n"
    "      <model type='vga' vram='16384' heads='1' primary='yes'/>\n"
    "      <alias name='video0'/>\n"
    "      <foo:ext foo:a='b'/>\n"
    "    </video>\n"
    "    <memballoon model='virtio'>\n"
    "      <alias name='balloon0'/>\n"
    "    </memballoon>\n"
    "    <rng model='virtio'>\n"
    "      <backend model='random'>/dev/urandom</backend>\n"
    "    </rng>\n"
    "  </devices>\n"
    "  <qemu:commandline>\n"
    "    <qemu:arg value='-s'/>\n"
    "  </qemu:commandline>\n"
    "</domain>\n";

static const char layoutInactive[] =
    "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
    "  <name>layout</name>\n"
    "  <uuid>11111111-2222-3333-4444-555555555555</uuid>\n"
    "  <metadata xmlns:foo=\"http://example.org/foo\">\n"
    "    <foo:app foo:v=\"1\">text<foo:sub/></foo:app>\n"
    "  </metadata>\n"
    "  <memory unit='KiB'>524288</memory>\n"
    "  <currentMemory unit='KiB'>524288</currentMemory>\n"
    "  <vcpu placement='static'>1</vcpu>\n"
    "  <os>\n"
    "    <type arch='x86_64'>hvm</type>\n"
    "    <boot dev='hd'/>\n"
    "  </os>\n"
    "  <features xmlns:foo='http://example.org/foo'>\n"
    "    <acpi/>\n"
    "    <foo:vendor/>\n"
    "  </features>\n"
    "  <clock offset='utc'/>\n"
    "  <on_poweroff>destroy</on_poweroff>\n"
    "  <on_reboot>restart</on_reboot>\n"
    "  <on_crash>destroy</on_crash>\n"
    "  <devices>\n"
    "    <controller type='usb' index='0' model='qemu-xhci'/>\n"
    "    <controller type='scsi' index='0'>\n"
    "      <alias name='ua-scsi'/>\n"
    "    </controller>\n"
    "    <controller xmlns:foo=\"http://example.org/foo\" type=\"sata\" index=\"0\">mixed<foo:x/></controller>\n"
    "    <video xmlns:foo='http://example.org/foo'>\n"
    "      <model type='vga' vram='16384' heads='1' primary='yes'/>\n"
    "      <foo:ext foo:a='b'/>\n"
    "    </video>\n"
    "    <memballoon model='virtio'/>\n"
    "    <rng model='virtio'>\n"
    "      <backend model='random'>/dev/urandom</backend>\n"
    "    </rng>\n"
    "  </devices>\n"
    "  <qemu:commandline>\n"
    "    <qemu:arg value='-s'/>\n"
    "  </qemu:commandline>\n"
    "</domain>\n";

START_TEST(test_layout)
{
    g_autoptr(mvDomainDef) def = mvDomainDefParseString(layoutXML, MV_DOMAIN_DEF_PARSE_LIVE);
    g_autoptr(mvDomainDef) copy = NULL;
    g_autofree char *live = NULL;
    g_autofree char *inactive = NULL;
    g_autofree char *again = NULL;

    ck_assert_msg(def, "parse failed: %s", lastMessage());
    def->id = 7;
    live = mvDomainDefFormat(def, 0);
    ck_assert_str_eq(live, layoutLive);
    inactive = mvDomainDefFormat(def, MV_DOMAIN_XML_INACTIVE);
    ck_assert_str_eq(inactive, layoutInactive);

    /* the copy formats the same, and formatting did not change the def */
    copy = mvDomainDefCopy(def);
    ck_assert_msg(copy, "copy failed: %s", lastMessage());
    again = mvDomainDefFormat(copy, 0);
    ck_assert_str_eq(again, layoutLive);
    g_clear_pointer(&again, g_free);
    again = mvDomainDefFormat(def, 0);
    ck_assert_str_eq(again, layoutLive);

    /* the same through the node API (copies, not moves) */
    {
        g_autoptr(xmlDoc) doc = mvXMLParseString(layoutXML, "(domain_definition)");
        g_autoptr(mvDomainDef) byNode = mvDomainDefParseNode(xmlDocGetRootElement(doc),
                                                             MV_DOMAIN_DEF_PARSE_LIVE);
        g_autofree char *out = NULL;
        ck_assert_msg(byNode, "parse failed: %s", lastMessage());
        byNode->id = 7;
        out = mvDomainDefFormat(byNode, 0);
        ck_assert_str_eq(out, layoutLive);
    }
}
END_TEST

static gpointer
layoutThread(gpointer data G_GNUC_UNUSED)
{
    for (int i = 0; i < 40; i++) {
        g_autoptr(mvDomainDef) def = mvDomainDefParseString(layoutXML, MV_DOMAIN_DEF_PARSE_LIVE);
        g_autofree char *out = NULL;
        if (!def)
            return GINT_TO_POINTER(1);
        def->id = 7;
        out = mvDomainDefFormat(def, MV_DOMAIN_XML_INACTIVE);
        if (strcmp(out, layoutInactive) != 0)
            return GINT_TO_POINTER(2);
    }
    return NULL;
}

/* the shared name dictionary and rule index are used from many threads */
START_TEST(test_layout_threads)
{
    GThread *th[4];
    for (size_t i = 0; i < G_N_ELEMENTS(th); i++)
        th[i] = g_thread_new("layout", layoutThread, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(th); i++)
        ck_assert_int_eq(GPOINTER_TO_INT(g_thread_join(th[i])), 0);
}
END_TEST

/* the node setters store short values inside the text node; long and
 * special values still read back as they were set */
START_TEST(test_node_setters)
{
    g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNode *n = xmlNewDocNode(doc, NULL, BAD_CAST "x", NULL);
    g_autofree char *a = NULL;
    g_autofree char *b = NULL;
    g_autofree char *c = NULL;
    g_autoptr(GString) buf = g_string_new(NULL);

    xmlDocSetRootElement(doc, n);
    mvXMLSetProp(n, "short", "0x0000");
    mvXMLSetProp(n, "long", "/var/lib/libvirt/images/a&b<c>.qcow2");
    mvXMLSetProp(n, "short", "exactly15chars!");
    mvXMLSetProp(n, "gone", "x");
    mvXMLSetProp(n, "gone", NULL);
    mvXMLSetContent(n, "text & <more>");
    a = mvXMLProp(n, "short");
    b = mvXMLProp(n, "long");
    c = mvXMLContent(n);
    ck_assert_str_eq(a, "exactly15chars!");
    ck_assert_str_eq(b, "/var/lib/libvirt/images/a&b<c>.qcow2");
    ck_assert_str_eq(c, "text & <more>");
    ck_assert_ptr_null(xmlHasProp(n, BAD_CAST "gone"));
    mvXMLFormatNode(buf, n, 0, NULL, NULL);
    ck_assert_str_eq(buf->str, "<x short='exactly15chars!' "
                     "long='/var/lib/libvirt/images/a&amp;b&lt;c&gt;.qcow2'>"
                     "text &amp; &lt;more&gt;</x>\n");
    mvXMLSetContent(n, "");
    g_clear_pointer(&c, g_free);
    c = mvXMLContent(n);
    ck_assert_str_eq(c, "");
}
END_TEST

static Suite *
domainSuite(void)
{
    Suite *s = suite_create("domain_xml");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_golden, 0, G_N_ELEMENTS(goldens));
    tcase_add_test(tc, test_live_status);
    tcase_add_test(tc, test_typed_fields);
    tcase_add_test(tc, test_driver_edits);
    tcase_add_test(tc, test_defaults);
    tcase_add_loop_test(tc, test_memory_units, 0, G_N_ELEMENTS(units));
    tcase_add_test(tc, test_memory_limits);
    tcase_add_loop_test(tc, test_hostile_file, 0, G_N_ELEMENTS(hostile));
    tcase_add_test(tc, test_hostile_deep_nesting);
    tcase_add_test(tc, test_hostile_huge);
    tcase_add_test(tc, test_hostile_misc);
    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_helpers);
    tcase_add_test(tc, test_metadata_api);
    tcase_add_test(tc, test_copy);
    tcase_add_test(tc, test_hotplug);
    tcase_add_test(tc, test_layout);
    tcase_add_test(tc, test_layout_threads);
    tcase_add_test(tc, test_node_setters);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(domainSuite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
