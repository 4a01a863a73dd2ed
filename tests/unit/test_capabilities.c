/* xml/capabilities and xml/domaincaps against the real host and QEMU. */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "capabilities.h"
#include "domaincaps.h"
#include "util/error.h"
#include "util/qemucaps.h"

#define X86_64_EMU "/usr/bin/qemu-system-x86_64"

static xmlDoc *
parse(const char *xml)
{
    xmlDoc *doc = xmlReadMemory(xml, strlen(xml), "caps.xml", NULL, XML_PARSE_NONET);
    ck_assert_ptr_nonnull(doc);
    return doc;
}

static int
xcount(xmlDoc *doc, const char *expr)
{
    xmlXPathContext *ctx = xmlXPathNewContext(doc);
    xmlXPathObject *obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    int n = obj && obj->nodesetval ? obj->nodesetval->nodeNr : 0;
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    return n;
}

static char *
xstr(xmlDoc *doc, const char *expr)
{
    xmlXPathContext *ctx = xmlXPathNewContext(doc);
    xmlXPathObject *obj = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
    char *s = g_strdup(obj && obj->stringval ? (const char *)obj->stringval : "");
    xmlXPathFreeObject(obj);
    xmlXPathFreeContext(ctx);
    return s;
}

static gboolean
kvmOpens(void)
{
    int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return FALSE;
    close(fd);
    return TRUE;
}

START_TEST(test_host_only)
{
    mvCapabilitiesConfig cfg = { .dacUid = 64055, .dacGid = 64055, .noGuests = TRUE };
    g_autofree char *xml = mvCapabilitiesFormat(&cfg);
    xmlDoc *doc;
    struct utsname ut;
    g_autofree char *arch = NULL;
    g_autofree char *uuid = NULL;
    g_autofree char *label = NULL;

    ck_assert_ptr_nonnull(xml);
    doc = parse(xml);
    uname(&ut);
    arch = xstr(doc, "string(/capabilities/host/cpu/arch)");
    ck_assert_str_eq(arch, ut.machine);
    uuid = xstr(doc, "string(/capabilities/host/uuid)");
    ck_assert_int_eq(strlen(uuid), 36);
    ck_assert_int_eq(xcount(doc, "/capabilities/host/migration_features/live"), 1);
    {
        g_autofree char *num = xstr(doc, "string(/capabilities/host/topology/cells/@num)");
        ck_assert_int_eq(xcount(doc, "/capabilities/host/topology/cells/cell"), atoi(num));
    }
    ck_assert_int_ge(xcount(doc, "/capabilities/host/topology/cells/cell/cpus/cpu"), 1);
    ck_assert_int_eq(xcount(doc, "/capabilities/host/secmodel"), 2);
    label = xstr(doc, "string(/capabilities/host/secmodel[model='dac']/baselabel[@type='kvm'])");
    ck_assert_str_eq(label, "+64055:+64055");
    ck_assert_int_eq(xcount(doc, "/capabilities/guest"), 0);
    xmlFreeDoc(doc);
}
END_TEST

START_TEST(test_guests)
{
    g_autofree char *xml = NULL;
    xmlDoc *doc;
    const char *g = "/capabilities/guest[arch/emulator='" X86_64_EMU "']";
    g_autofree char *expr = NULL;

    if (access(X86_64_EMU, X_OK) != 0)
        return;   /* no QEMU on this host */
    xml = mvCapabilitiesFormat(NULL);
    ck_assert_ptr_nonnull(xml);
    doc = parse(xml);

    expr = g_strdup_printf("%s/arch[@name='x86_64']", g);
    ck_assert_int_eq(xcount(doc, expr), 1);
    g_free(expr);
    expr = g_strdup_printf("%s/os_type[.='hvm']", g);
    ck_assert_int_eq(xcount(doc, expr), 1);
    g_free(expr);
    expr = g_strdup_printf("%s/arch/machine", g);
    ck_assert_int_ge(xcount(doc, expr), 1);
    g_free(expr);
    /* the "pc" alias points at a versioned machine */
    expr = g_strdup_printf("%s/arch/machine[.='pc']/@canonical", g);
    ck_assert_int_eq(xcount(doc, expr), 1);
    g_free(expr);
    expr = g_strdup_printf("%s/arch/domain[@type='qemu']", g);
    ck_assert_int_eq(xcount(doc, expr), 1);
    g_free(expr);
    expr = g_strdup_printf("%s/arch/domain[@type='kvm']", g);
    ck_assert_int_eq(xcount(doc, expr), kvmOpens() ? 1 : 0);
    g_free(expr);
    expr = g_strdup_printf("%s/features/acpi[@default='on']", g);
    ck_assert_int_eq(xcount(doc, expr), 1);
    xmlFreeDoc(doc);
}
END_TEST

START_TEST(test_domcaps)
{
    g_autofree char *xml = NULL;
    g_autofree char *s = NULL;
    xmlDoc *doc;

    if (access(X86_64_EMU, X_OK) != 0)
        return;
    xml = mvDomainCapsFormat(X86_64_EMU, NULL, NULL, NULL);
    ck_assert_ptr_nonnull(xml);
    doc = parse(xml);
    s = xstr(doc, "string(/domainCapabilities/path)");
    ck_assert_str_eq(s, X86_64_EMU);
    g_free(s);
    s = xstr(doc, "string(/domainCapabilities/domain)");
    ck_assert_str_eq(s, kvmOpens() ? "kvm" : "qemu");
    g_free(s);
    s = xstr(doc, "string(/domainCapabilities/arch)");
    ck_assert_str_eq(s, "x86_64");
    g_free(s);
    s = NULL;
    ck_assert_int_eq(xcount(doc, "/domainCapabilities/vcpu[@max > 0]"), 1);
    ck_assert_int_eq(xcount(doc, "/domainCapabilities/cpu/mode[@name='custom']/model"),
                     xcount(doc, "/domainCapabilities/cpu/mode[@name='custom']/model[@usable]"));
    ck_assert_int_ge(xcount(doc, "/domainCapabilities/devices/disk/enum[@name='bus']/value"), 3);
    xmlFreeDoc(doc);
    g_free(xml);

    /* machine alias resolves to the canonical name */
    xml = mvDomainCapsFormat(NULL, "x86_64", "q35", "qemu");
    ck_assert_ptr_nonnull(xml);
    doc = parse(xml);
    s = xstr(doc, "string(/domainCapabilities/machine)");
    ck_assert(g_str_has_prefix(s, "pc-q35-"));
    g_free(s);
    s = xstr(doc, "string(/domainCapabilities/domain)");
    ck_assert_str_eq(s, "qemu");
    xmlFreeDoc(doc);
}
END_TEST

START_TEST(test_domcaps_errors)
{
    ck_assert_ptr_null(mvDomainCapsFormat(NULL, NULL, NULL, "foo"));
    ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_INVALID_ARG);
    ck_assert_str_eq(mvErrorGetLast()->message, "invalid argument: unknown virttype: foo");

    ck_assert_ptr_null(mvDomainCapsFormat(NULL, "nosucharch", NULL, NULL));
    ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_INVALID_ARG);

    if (access("/usr/bin/qemu-system-aarch64", X_OK) != 0) {
        ck_assert_ptr_null(mvDomainCapsFormat(NULL, "aarch64", NULL, NULL));
        ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_CONFIG_UNSUPPORTED);
    }
    if (access(X86_64_EMU, X_OK) == 0) {
        ck_assert_ptr_null(mvDomainCapsFormat(NULL, NULL, NULL, "xen"));
        ck_assert_str_eq(mvErrorGetLast()->message,
                         "invalid argument: Emulator '" X86_64_EMU "' does not support virt type 'xen'");
        ck_assert_ptr_null(mvDomainCapsFormat(X86_64_EMU, NULL, "nosuchmachine", NULL));
        ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_INVALID_ARG);
    }
    mvErrorReset();
}
END_TEST

START_TEST(test_qemucaps_cache)
{
    mvQemuCaps *a, *b;
    if (access(X86_64_EMU, X_OK) != 0)
        return;
    a = mvQemuCapsGet(X86_64_EMU);
    b = mvQemuCapsGet(X86_64_EMU);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_eq(a, b);      /* probed once */
    ck_assert_str_eq(a->arch, "x86_64");
    ck_assert_uint_gt(a->machines->len, 0);
    ck_assert_ptr_nonnull(mvQemuCapsDefaultMachine(a));
    ck_assert_ptr_nonnull(mvQemuCapsFindMachine(a, "pc"));
    mvQemuCapsUnref(a);
    mvQemuCapsUnref(b);
    ck_assert_str_eq(mvQemuCapsArchFromTarget("i386"), "i686");
    ck_assert_str_eq(mvQemuCapsTargetFromArch("i686"), "i386");
    ck_assert_int_eq(mvQemuCapsArchWordSize("x86_64"), 64);
}
END_TEST

static Suite *
capsSuite(void)
{
    Suite *s = suite_create("capabilities");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_host_only);
    tcase_add_test(tc, test_guests);
    tcase_add_test(tc, test_domcaps);
    tcase_add_test(tc, test_domcaps_errors);
    tcase_add_test(tc, test_qemucaps_cache);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(capsSuite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
