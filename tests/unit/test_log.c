/* Unit tests for lib/util/log.c */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/error.h"
#include "util/log.h"

static void
reset_log(void)
{
    ck_assert_int_eq(mvLogSetFilters(NULL), 0);
    ck_assert_int_eq(mvLogSetOutputs(NULL), 0);
    mvLogSetDefaultPriority(MV_LOG_WARN);
    mvErrorReset();
}

START_TEST(test_filters_match)
{
    g_autofree char *got = NULL;

    reset_log();
    ck_assert_int_eq(mvLogSetFilters("1:rpc 3:qemu  4:*"), 0);
    got = mvLogGetFilters();
    ck_assert_str_eq(got, "1:rpc 3:qemu 4:*");

    /* substring of the path or the "dir.file" module name */
    ck_assert(mvLogWouldLog(MV_LOG_DEBUG, "/src/lib/rpc/server.c"));
    ck_assert(mvLogWouldLog(MV_LOG_DEBUG, "rpc/server.c"));
    ck_assert(!mvLogWouldLog(MV_LOG_INFO, "daemons/qemu/driver.c"));
    ck_assert(mvLogWouldLog(MV_LOG_WARN, "daemons/qemu/driver.c"));
    /* the catch-all beats the default priority */
    ck_assert(!mvLogWouldLog(MV_LOG_WARN, "lib/util/conf.c"));
    ck_assert(mvLogWouldLog(MV_LOG_ERROR, "lib/util/conf.c"));
    /* first match wins */
    ck_assert_int_eq(mvLogSetFilters("4:rpc.server 1:rpc"), 0);
    ck_assert(!mvLogWouldLog(MV_LOG_WARN, "/x/lib/rpc/server.c"));
    ck_assert(mvLogWouldLog(MV_LOG_DEBUG, "/x/lib/rpc/client.c"));
    /* no filter: default priority */
    ck_assert(!mvLogWouldLog(MV_LOG_INFO, "/x/lib/util/uuid.c"));
    mvLogSetDefaultPriority(MV_LOG_DEBUG);
    ck_assert_int_eq(mvLogGetDefaultPriority(), MV_LOG_DEBUG);
    ck_assert(mvLogWouldLog(MV_LOG_DEBUG, "/x/lib/util/uuid.c"));
    mvLogSetDefaultPriority(7);   /* ignored */
    ck_assert_int_eq(mvLogGetDefaultPriority(), MV_LOG_DEBUG);
    reset_log();
}
END_TEST

START_TEST(test_filters_plus)
{
    g_autofree char *got = NULL;

    reset_log();
    ck_assert_int_eq(mvLogSetFilters("+1:x"), -1);   /* '+' belongs to the match */
    ck_assert_int_eq(mvLogSetFilters("1:+util"), 0);
    got = mvLogGetFilters();
    ck_assert_str_eq(got, "1:util");
    ck_assert(mvLogWouldLog(MV_LOG_DEBUG, "lib/util/log.c"));
    ck_assert_int_eq(mvLogSetFilters(""), 0);
    g_free(got);
    got = mvLogGetFilters();
    ck_assert_str_eq(got, "");
    reset_log();
}
END_TEST

typedef struct {
    const char *input;
    const char *message;
} BadCase;

START_TEST(test_filters_errors)
{
    static const BadCase bad[] = {
        { "rpc", "invalid argument: Malformed format for filter 'rpc'" },
        { "0:rpc", "invalid argument: Invalid priority '0' for filter '0:rpc'" },
        { "5:rpc", "invalid argument: Invalid priority '5' for filter '5:rpc'" },
        { "x:rpc", "invalid argument: Invalid priority 'x' for filter 'x:rpc'" },
        { "1x:rpc", "invalid argument: Invalid priority '1x' for filter '1x:rpc'" },
        { ":rpc", "invalid argument: Invalid priority '' for filter ':rpc'" },
        { "1:+", "invalid argument: Invalid match string '+'" },
        { "1:", "invalid argument: Invalid match string ''" },
        { "1:ok 2", "invalid argument: Malformed format for filter '2'" },
    };
    g_autofree char *before = NULL;
    size_t i;

    reset_log();
    ck_assert_int_eq(mvLogSetFilters("2:keep"), 0);
    before = mvLogGetFilters();
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *after = NULL;

        mvErrorReset();
        ck_assert_msg(mvLogSetFilters(bad[i].input) == -1, "accepted '%s'", bad[i].input);
        ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_INVALID_ARG);
        ck_assert_str_eq(mvErrorGetLastMessage(), bad[i].message);
        after = mvLogGetFilters();
        ck_assert_str_eq(after, before);   /* unchanged */
    }
    reset_log();
}
END_TEST

START_TEST(test_outputs_errors)
{
    static const BadCase bad[] = {
        { "stderr", "invalid argument: Malformed format for log output 'stderr'" },
        { "5:stderr", "invalid argument: Invalid log priority '5' for log output '5:stderr'" },
        { "a:stderr", "invalid argument: Invalid log priority 'a' for log output 'a:stderr'" },
        { "1:foo", "invalid argument: Invalid log destination 'foo' for log output '1:foo'" },
        { "1:file", "invalid argument: Log output '1:file' does not meet the format "
                    "requirements for destination type 'file'" },
        { "1:stderr:x", "invalid argument: Log output '1:stderr:x' does not meet the format "
                        "requirements for destination type 'stderr'" },
        { "1:journald:x", "invalid argument: Log output '1:journald:x' does not meet the "
                          "format requirements for destination type 'journald'" },
        { "1:syslog", "invalid argument: Log output '1:syslog' does not meet the format "
                      "requirements for destination type 'syslog'" },
        { "1:file:", "invalid argument: Missing auxiliary data in output definition" },
        { "3:stderr 1:bad", "invalid argument: Invalid log destination 'bad' for log output '1:bad'" },
    };
    g_autofree char *before = NULL;
    size_t i;

    reset_log();
    ck_assert_int_eq(mvLogSetOutputs("2:stderr"), 0);
    before = mvLogGetOutputs();
    ck_assert_str_eq(before, "2:stderr");
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *after = NULL;

        mvErrorReset();
        ck_assert_msg(mvLogSetOutputs(bad[i].input) == -1, "accepted '%s'", bad[i].input);
        ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_INVALID_ARG);
        ck_assert_str_eq(mvErrorGetLastMessage(), bad[i].message);
        after = mvLogGetOutputs();
        ck_assert_str_eq(after, before);
    }

    mvErrorReset();
    ck_assert_int_eq(mvLogSetOutputs("1:file:/nonexistent/dir/x.log"), -1);
    ck_assert(mvErrorLastIsSystemErrno(0));
    ck_assert(g_str_has_prefix(mvErrorGetLastMessage(),
                               "failed to open /nonexistent/dir/x.log: "));
    reset_log();
}
END_TEST

START_TEST(test_outputs_list)
{
    g_autofree char *got = NULL;
    g_autofree char *dir = g_dir_make_tmp("mvlog-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "a.log", NULL);
    g_autofree char *spec = g_strdup_printf("3:stderr 1:file:%s 2:journald 4:stderr", path);
    g_autofree char *want = g_strdup_printf("1:file:%s 2:journald 4:stderr", path);

    reset_log();
    ck_assert_str_eq((got = mvLogGetOutputs()), "3:stderr");
    g_free(got);
    mvLogSetDefaultPriority(MV_LOG_DEBUG);
    ck_assert_str_eq((got = mvLogGetOutputs()), "1:stderr");
    g_free(got);

    /* a repeated destination replaces the earlier one */
    ck_assert_int_eq(mvLogSetOutputs(spec), 0);
    got = mvLogGetOutputs();
    ck_assert_str_eq(got, want);
    reset_log();
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_file_output_format)
{
    g_autofree char *dir = g_dir_make_tmp("mvlog-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "out.log", NULL);
    g_autofree char *spec = g_strdup_printf("2:file:%s", path);
    g_autofree char *content = NULL;
    g_auto(GStrv) lines = NULL;
    GRegex *re;

    reset_log();
    mvLogSetDefaultPriority(MV_LOG_DEBUG);
    ck_assert_int_eq(mvLogSetOutputs(spec), 0);
    MV_DEBUG("not written: below the output's priority");
    MV_INFO("hello %d", 42);
    mvLogMessage(MV_LOG_ERROR, "lib/x/y.c", 7, "myfunc", "bad thing");
    {
        const char *const fields[] = { "VM_NAME=demo", NULL };
        mvLogMessageFields(MV_LOG_WARN, "lib/x/y.c", 8, "f2", fields, "with fields");
    }
    reset_log();   /* closes the file */

    ck_assert(g_file_get_contents(path, &content, NULL, NULL));
    lines = g_strsplit(content, "\n", 0);
    ck_assert_uint_eq(g_strv_length(lines), 6);   /* 2 init lines + 3 + "" */
    ck_assert(strstr(lines[0], ": info : modvirt version: ") != NULL);
    ck_assert(strstr(lines[1], ": info : hostname: ") != NULL);
    re = g_regex_new("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}\\+0000: "
                     "[0-9]+: (debug|info|warning|error) : ", 0, 0, NULL);
    ck_assert(g_regex_match(re, lines[0], 0, NULL));
    ck_assert(g_regex_match(re, lines[2], 0, NULL));
    ck_assert(g_str_has_suffix(lines[2], " : hello 42"));
    ck_assert(strstr(lines[2], ": info : test_file_output_format_fn:") != NULL);
    ck_assert(g_str_has_suffix(lines[3], ": error : myfunc:7 : bad thing"));
    ck_assert(g_str_has_suffix(lines[4], ": warning : f2:8 : with fields"));
    ck_assert_str_eq(lines[5], "");
    g_regex_unref(re);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_filter_applies_to_outputs)
{
    g_autofree char *dir = g_dir_make_tmp("mvlog-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "f.log", NULL);
    g_autofree char *spec = g_strdup_printf("1:file:%s", path);
    g_autofree char *content = NULL;

    reset_log();
    ck_assert_int_eq(mvLogSetOutputs(spec), 0);
    ck_assert_int_eq(mvLogSetFilters("1:chatty 4:quiet"), 0);
    mvLogMessage(MV_LOG_DEBUG, "lib/chatty/a.c", 1, "f", "from chatty");
    mvLogMessage(MV_LOG_WARN, "lib/quiet/b.c", 1, "f", "from quiet");
    mvLogMessage(MV_LOG_INFO, "lib/other/c.c", 1, "f", "from other");
    mvLogMessage(MV_LOG_WARN, "lib/other/c.c", 1, "f", "other warning");
    reset_log();
    ck_assert(g_file_get_contents(path, &content, NULL, NULL));
    ck_assert(strstr(content, "from chatty") != NULL);
    ck_assert(strstr(content, "from quiet") == NULL);
    ck_assert(strstr(content, "from other") == NULL);
    ck_assert(strstr(content, "other warning") != NULL);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_parse_priority)
{
    ck_assert_int_eq(mvLogParsePriority("1"), MV_LOG_DEBUG);
    ck_assert_int_eq(mvLogParsePriority("debug"), MV_LOG_DEBUG);
    ck_assert_int_eq(mvLogParsePriority("info"), MV_LOG_INFO);
    ck_assert_int_eq(mvLogParsePriority("warning"), MV_LOG_WARN);
    ck_assert_int_eq(mvLogParsePriority("4"), MV_LOG_ERROR);
    ck_assert_int_eq(mvLogParsePriority("5"), -1);
    ck_assert_int_eq(mvLogParsePriority(""), -1);
    ck_assert_int_eq(mvLogParsePriority(NULL), -1);
}
END_TEST

static gpointer
log_thread(gpointer data)
{
    int i;
    for (i = 0; i < 200; i++)
        mvLogMessage(MV_LOG_WARN, "lib/t/t.c", i, "thr", "line %d from %p", i, data);
    return NULL;
}

START_TEST(test_threads)
{
    g_autofree char *dir = g_dir_make_tmp("mvlog-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "t.log", NULL);
    g_autofree char *spec = g_strdup_printf("1:file:%s", path);
    g_autofree char *content = NULL;
    g_auto(GStrv) lines = NULL;
    GThread *t[4];
    int i;

    reset_log();
    ck_assert_int_eq(mvLogSetOutputs(spec), 0);
    for (i = 0; i < 4; i++)
        t[i] = g_thread_new("log", log_thread, GINT_TO_POINTER(i + 1));
    for (i = 0; i < 10; i++)
        ck_assert_int_eq(mvLogSetFilters(i % 2 ? "1:x" : NULL), 0);
    for (i = 0; i < 4; i++)
        g_thread_join(t[i]);
    reset_log();
    ck_assert(g_file_get_contents(path, &content, NULL, NULL));
    lines = g_strsplit(content, "\n", 0);
    ck_assert_uint_eq(g_strv_length(lines), 2 + 800 + 1);
    unlink(path);
    rmdir(dir);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_filters_match);
    tcase_add_test(tc, test_filters_plus);
    tcase_add_test(tc, test_filters_errors);
    tcase_add_test(tc, test_outputs_errors);
    tcase_add_test(tc, test_outputs_list);
    tcase_add_test(tc, test_file_output_format);
    tcase_add_test(tc, test_filter_applies_to_outputs);
    tcase_add_test(tc, test_parse_priority);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
