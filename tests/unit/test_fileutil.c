/* Unit tests for lib/util/fileutil.c */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/error.h"
#include "util/fileutil.h"

static char *tmpdir;

static void
setup(void)
{
    GError *gerr = NULL;
    tmpdir = g_dir_make_tmp("mvfileutil-XXXXXX", &gerr);
    ck_assert_ptr_nonnull(tmpdir);
}

static void
teardown(void)
{
    g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
    g_free(tmpdir);
}

static guint
count_entries(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    guint n = 0;

    ck_assert_ptr_nonnull(d);
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

START_TEST(test_atomic_temp_names)
{
    g_autofree char *dir = g_dir_make_tmp("mvtemps-XXXXXX", NULL);
    g_autofree char *keep = g_build_filename(dir, "a.xml", NULL);
    g_autofree char *temp = g_build_filename(dir, "a.xml.Ab12Cd", NULL);
    g_autofree char *other = g_build_filename(dir, "notes.txt.Ab12Cd", NULL);

    ck_assert(mvFileIsAtomicTemp("k1-00077.xml.P0EOZ3", ".xml"));
    ck_assert(!mvFileIsAtomicTemp("k1-00077.xml", ".xml"));
    ck_assert(!mvFileIsAtomicTemp("a.xml.toolong7", ".xml"));
    ck_assert(!mvFileIsAtomicTemp("a.conf.Ab12Cd", ".xml"));
    ck_assert(g_file_set_contents(keep, "x", -1, NULL));
    ck_assert(g_file_set_contents(temp, "y", -1, NULL));
    ck_assert(g_file_set_contents(other, "z", -1, NULL));
    ck_assert_int_eq(mvFileRemoveAtomicTemps(dir, ".xml"), 1);
    ck_assert(g_file_test(keep, G_FILE_TEST_EXISTS));
    ck_assert(!g_file_test(temp, G_FILE_TEST_EXISTS));
    ck_assert(g_file_test(other, G_FILE_TEST_EXISTS));
    unlink(keep);
    unlink(other);
    rmdir(dir);
}
END_TEST

START_TEST(test_atomic_write_replace)
{
    g_autofree char *path = g_build_filename(tmpdir, "dom.xml", NULL);
    g_autofree char *content = NULL;
    struct stat sb;
    size_t len = 0;

    ck_assert_int_eq(mvFileWriteAtomic(path, "first\n", 6, 0600), 0);
    ck_assert_int_eq(mvFileWriteAtomic(path, "second version\n", 15, 0640), 0);
    content = mvFileReadLimit(path, 1024, &len);
    ck_assert_ptr_nonnull(content);
    ck_assert_uint_eq(len, 15);
    ck_assert_str_eq(content, "second version\n");
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert_int_eq(sb.st_mode & 07777, 0640);
    /* no temporary file left behind */
    ck_assert_uint_eq(count_entries(tmpdir), 1);
}
END_TEST

START_TEST(test_atomic_write_empty)
{
    g_autofree char *path = g_build_filename(tmpdir, "empty", NULL);
    g_autofree char *content = NULL;
    size_t len = 99;

    ck_assert_int_eq(mvFileWriteAtomic(path, "", 0, 0600), 0);
    content = mvFileReadLimit(path, 10, &len);
    ck_assert_ptr_nonnull(content);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(content, "");
}
END_TEST

START_TEST(test_atomic_write_missing_dir)
{
    g_autofree char *path = g_build_filename(tmpdir, "nodir", "file", NULL);
    const mvError *err;

    mvErrorReset();
    ck_assert_int_eq(mvFileWriteAtomic(path, "x", 1, 0600), -1);
    err = mvErrorGetLast();
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, MV_ERR_SYSTEM_ERROR);
    ck_assert_int_eq(err->int1, ENOENT);
    ck_assert(strstr(err->message, "cannot create file") != NULL);
    ck_assert(strstr(err->message, "No such file or directory") != NULL);
    ck_assert_uint_eq(count_entries(tmpdir), 0);
}
END_TEST

START_TEST(test_atomic_write_onto_directory)
{
    g_autofree char *path = g_build_filename(tmpdir, "adir", NULL);

    ck_assert_int_eq(mkdir(path, 0700), 0);
    mvErrorReset();
    ck_assert_int_eq(mvFileWriteAtomic(path, "x", 1, 0600), -1);
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_SYSTEM_ERROR);
    ck_assert(strstr(mvErrorGetLastMessage(), "cannot rename file") != NULL);
    /* the temp file was removed; only the directory remains */
    ck_assert_uint_eq(count_entries(tmpdir), 1);
}
END_TEST

START_TEST(test_read_limit)
{
    g_autofree char *path = g_build_filename(tmpdir, "big", NULL);
    g_autofree char *data = g_malloc(100000);
    char *content;
    size_t len = 0;

    memset(data, 'a', 100000);
    ck_assert_int_eq(mvFileWriteAtomic(path, data, 100000, 0600), 0);

    content = mvFileReadLimit(path, 100000, &len);
    ck_assert_ptr_nonnull(content);
    ck_assert_uint_eq(len, 100000);
    ck_assert_int_eq(content[99999], 'a');
    ck_assert_int_eq(content[100000], '\0');
    g_free(content);

    mvErrorReset();
    ck_assert_ptr_null(mvFileReadLimit(path, 99999, &len));
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_SYSTEM_ERROR);
    ck_assert(g_str_has_prefix(mvErrorGetLastMessage(), "Failed to read file '"));

    mvErrorReset();
    ck_assert_ptr_null(mvFileReadLimit("/nonexistent/x", 10, NULL));
    ck_assert(mvErrorLastIsSystemErrno(ENOENT));
    ck_assert_str_eq(mvErrorGetLastMessage(),
                     "Failed to open file '/nonexistent/x': No such file or directory");
}
END_TEST

START_TEST(test_make_path)
{
    g_autofree char *path = g_build_filename(tmpdir, "a", "b", "c", NULL);
    struct stat sb;

    ck_assert_int_eq(mvFileMakePath(path, 0755), 0);
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
    ck_assert_int_eq(mvFileMakePath(path, 0755), 0);   /* exists: fine */
}
END_TEST

START_TEST(test_open_cloexec)
{
    g_autofree char *path = g_build_filename(tmpdir, "f", NULL);
    int fd = mvFileOpenCloexec(path, O_WRONLY | O_CREAT, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    close(fd);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("fileutil");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_atomic_temp_names);
    tcase_add_test(tc, test_atomic_write_replace);
    tcase_add_test(tc, test_atomic_write_empty);
    tcase_add_test(tc, test_atomic_write_missing_dir);
    tcase_add_test(tc, test_atomic_write_onto_directory);
    tcase_add_test(tc, test_read_limit);
    tcase_add_test(tc, test_make_path);
    tcase_add_test(tc, test_open_cloexec);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
