/* Unit tests for lib/util/error.c */
#include <check.h>
#include <errno.h>
#include <string.h>

#include "util/error.h"

#define MV_FROM_THIS MV_FROM_QEMU

START_TEST(test_templates_wording)
{
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_NO_DOMAIN, FALSE), "Domain not found");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_NO_DOMAIN, TRUE), "Domain not found: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_INTERNAL_ERROR, TRUE), "internal error: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_OPERATION_DENIED, FALSE),
                     "operation forbidden for read only access");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_OPERATION_DENIED, TRUE), "operation forbidden: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_OPERATION_INVALID, TRUE),
                     "Requested operation is not valid: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_NO_SUPPORT, TRUE),
                     "this function is not supported by the connection driver: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_XML_ERROR, TRUE), "XML error: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_XML_ERROR, FALSE),
                     "XML description is invalid or not well formed");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_XML_DETAIL, TRUE), "%s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_DOM_EXIST, TRUE), "domain %s exists already");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_INVALID_ARG, TRUE), "invalid argument: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_CONFIG_UNSUPPORTED, TRUE),
                     "unsupported configuration: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_NO_DOMAIN_METADATA, TRUE), "metadata not found: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_OVERFLOW, TRUE), "numerical overflow: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_RPC, TRUE), "%s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_RPC, FALSE), "RPC error");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_CONF_SYNTAX, TRUE),
                     "configuration file syntax error: %s");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_SYSTEM_ERROR, FALSE), "system call error");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_STORAGE_VOL_EXIST, TRUE),
                     "storage volume %s exists already");
    ck_assert_str_eq(mvErrorTemplate(MV_ERR_MULTIPLE_DOMAINS, TRUE),
                     "multiple matching domains found: %s");
    ck_assert_ptr_null(mvErrorTemplate(MV_ERR_OK, TRUE));
    ck_assert_ptr_null(mvErrorTemplate(MV_ERR_LAST, TRUE));
    ck_assert_ptr_null(mvErrorTemplate(-1, FALSE));
}
END_TEST

START_TEST(test_templates_complete)
{
    int code;

    for (code = 1; code < MV_ERR_LAST; code++) {
        const char *plain = mvErrorTemplate(code, FALSE);
        const char *det = mvErrorTemplate(code, TRUE);
        const char *p;

        ck_assert_msg(plain && det, "code %d has no template", code);
        ck_assert_msg(strstr(plain, "%") == NULL, "code %d: plain has a %%", code);
        p = strstr(det, "%s");
        ck_assert_msg(p != NULL, "code %d: detail template lacks %%s", code);
        ck_assert_msg(strchr(p + 2, '%') == NULL && strchr(det, '%') == p,
                      "code %d: more than one conversion", code);
    }
}
END_TEST

START_TEST(test_report_detail)
{
    const mvError *err;

    mvErrorReset();
    ck_assert_ptr_null(mvErrorGetLast());
    mvReportError(MV_ERR_NO_DOMAIN, "no domain with matching name '%s'", "x");
    err = mvErrorGetLast();
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, MV_ERR_NO_DOMAIN);
    ck_assert_int_eq(err->domain, MV_FROM_QEMU);
    ck_assert_int_eq(err->level, MV_ERR_LEVEL_ERROR);
    ck_assert_str_eq(err->message, "Domain not found: no domain with matching name 'x'");
    ck_assert_str_eq(err->str1, "Domain not found: %s");
    ck_assert_str_eq(err->str2, "no domain with matching name 'x'");
    ck_assert_ptr_null(err->str3);
    ck_assert_int_eq(err->int1, -1);
    ck_assert_int_eq(err->int2, -1);
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_NO_DOMAIN);
    ck_assert_str_eq(mvErrorGetLastMessage(), err->message);

    /* a percent sign in the detail is not reinterpreted */
    mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "100%s done");
    ck_assert_str_eq(mvErrorGetLast()->message, "internal error: 100%s done");

    mvReportError(MV_ERR_DOM_EXIST, "%s", "demo");
    ck_assert_str_eq(mvErrorGetLast()->message, "domain demo exists already");
    mvErrorReset();
    ck_assert_ptr_null(mvErrorGetLast());
    ck_assert_str_eq(mvErrorGetLastMessage(), "no error");
}
END_TEST

START_TEST(test_report_no_detail)
{
    const mvError *err;

    mvReportError(MV_ERR_OPERATION_DENIED, NULL);
    err = mvErrorGetLast();
    ck_assert_str_eq(err->message, "operation forbidden for read only access");
    ck_assert_str_eq(err->str1, "operation forbidden for read only access");
    ck_assert_str_eq(err->str2, "");

    /* empty detail counts as none, like libvirt */
    mvReportError(MV_ERR_NO_DOMAIN, "%s", "");
    ck_assert_str_eq(mvErrorGetLast()->message, "Domain not found");

    mvReportError(MV_ERR_XML_DETAIL, NULL);
    ck_assert_str_eq(mvErrorGetLast()->message, "parser error");
    mvErrorReset();
}
END_TEST

START_TEST(test_report_system)
{
    const mvError *err;

    errno = EAGAIN;
    mvReportSystemError(ENOENT, "cannot open '%s'", "/nope");
    ck_assert_int_eq(errno, EAGAIN);   /* errno preserved */
    err = mvErrorGetLast();
    ck_assert_int_eq(err->code, MV_ERR_SYSTEM_ERROR);
    ck_assert_str_eq(err->message, "cannot open '/nope': No such file or directory");
    ck_assert_str_eq(err->str1, "%s");
    ck_assert_int_eq(err->int1, ENOENT);
    ck_assert(mvErrorLastIsSystemErrno(ENOENT));
    ck_assert(mvErrorLastIsSystemErrno(0));
    ck_assert(!mvErrorLastIsSystemErrno(EPERM));

    mvReportSystemError(EPERM, NULL);
    ck_assert_str_eq(mvErrorGetLast()->message, "Operation not permitted");
    mvErrorReset();
}
END_TEST

START_TEST(test_truncation_utf8)
{
    GString *big = g_string_new(NULL);
    const mvError *err;
    size_t len;
    int i;

    for (i = 0; i < 3000; i++)
        g_string_append(big, "\xc3\xa9");   /* é: 2 bytes each, 6000 bytes */
    mvReportError(MV_ERR_INTERNAL_ERROR, "%s", big->str);
    err = mvErrorGetLast();
    len = strlen(err->message);
    ck_assert_uint_lt(len, MV_ERROR_MESSAGE_MAX);
    ck_assert_uint_gt(len, MV_ERROR_MESSAGE_MAX - 8);
    ck_assert(g_utf8_validate(err->message, -1, NULL));
    ck_assert(g_str_has_prefix(err->message, "internal error: \xc3\xa9"));

    /* 3-byte sequences at every alignment */
    for (i = 0; i < 3; i++) {
        g_string_truncate(big, 0);
        g_string_append_len(big, "xxx", i);
        while (big->len < 9000)
            g_string_append(big, "\xe2\x82\xac");  /* € */
        mvReportError(MV_ERR_RPC, "%s", big->str);
        ck_assert_uint_lt(strlen(mvErrorGetLast()->message), MV_ERROR_MESSAGE_MAX);
        ck_assert(g_utf8_validate(mvErrorGetLast()->message, -1, NULL));
    }
    g_string_free(big, TRUE);
    mvErrorReset();
}
END_TEST

START_TEST(test_steal_restore_copy)
{
    mvError *saved;
    g_autoptr(mvError) copy = NULL;

    mvErrorReset();
    ck_assert_ptr_null(mvErrorSteal());

    mvReportError(MV_ERR_NO_NETWORK, "no network with matching name '%s'", "default");
    saved = mvErrorSteal();
    ck_assert_ptr_nonnull(saved);
    ck_assert_ptr_null(mvErrorGetLast());
    ck_assert_str_eq(saved->message, "Network not found: no network with matching name 'default'");

    /* a cleanup path overwrites the error ... */
    mvReportError(MV_ERR_INTERNAL_ERROR, "cleanup failed");
    /* ... and the original is put back */
    copy = mvErrorCopy(saved);
    mvErrorRestore(saved);
    ck_assert_int_eq(mvErrorGetLast()->code, MV_ERR_NO_NETWORK);
    ck_assert_ptr_eq(mvErrorGetLast(), saved);
    ck_assert_str_eq(copy->message, mvErrorGetLast()->message);
    ck_assert_str_eq(copy->str1, "Network not found: %s");
    ck_assert_ptr_ne(copy->message, saved->message);

    mvErrorRestore(NULL);   /* no-op */
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_NO_NETWORK);
    ck_assert_ptr_null(mvErrorCopy(NULL));
    mvErrorFree(NULL);
    mvErrorReset();
}
END_TEST

START_TEST(test_prefix)
{
    mvReportError(MV_ERR_OPERATION_FAILED, "boom");
    mvErrorPrefixMessage("while doing %s", "x");
    ck_assert_str_eq(mvErrorGetLast()->message, "while doing x: operation failed: boom");
    mvErrorReset();
    mvErrorPrefixMessage("nothing");
    ck_assert_ptr_null(mvErrorGetLast());
}
END_TEST

static gpointer
thread_func(gpointer data)
{
    gboolean *sawNone = data;
    *sawNone = mvErrorGetLast() == NULL;
    mvReportError(MV_ERR_INTERNAL_ERROR, "in thread");
    return NULL;
}

START_TEST(test_thread_local)
{
    gboolean sawNone = FALSE;
    GThread *t;

    mvReportError(MV_ERR_NO_SECRET, "main");
    t = g_thread_new("err", thread_func, &sawNone);
    g_thread_join(t);
    ck_assert(sawNone);
    ck_assert_str_eq(mvErrorGetLast()->message, "Secret not found: main");
    mvErrorReset();
}
END_TEST

START_TEST(test_unknown_code)
{
    mvErrorReport(MV_FROM_NONE, 999, "strange %d", 1);
    ck_assert_int_eq(mvErrorGetLast()->code, 999);
    ck_assert_str_eq(mvErrorGetLast()->message, "strange 1");
    mvErrorReport(MV_FROM_NONE, MV_ERR_OK, "ignored");
    ck_assert_ptr_null(mvErrorGetLast());
}
END_TEST

static Suite *
error_suite(void)
{
    Suite *s = suite_create("error");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_templates_wording);
    tcase_add_test(tc, test_templates_complete);
    tcase_add_test(tc, test_report_detail);
    tcase_add_test(tc, test_report_no_detail);
    tcase_add_test(tc, test_report_system);
    tcase_add_test(tc, test_truncation_utf8);
    tcase_add_test(tc, test_steal_restore_copy);
    tcase_add_test(tc, test_prefix);
    tcase_add_test(tc, test_thread_local);
    tcase_add_test(tc, test_unknown_code);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(error_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
