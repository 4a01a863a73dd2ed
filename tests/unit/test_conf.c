/* Unit tests for lib/util/conf.c.  The syntax-error messages and line
 * numbers below were cross-checked against libvirtd 9.0's own parser. */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/conf.h"
#include "util/error.h"

static const char *sample =
    "# a daemon config\n"
    "\n"
    "unix_sock_group = \"libvirt\"\n"
    "unix_sock_ro_perms = '0777'   # trailing comment\n"
    "max_clients = 5000\n"
    "min_workers = -3\n"
    "plus = +7\n"
    "log_outputs=\"3:stderr\"\n"
    "\tindented\t=\t1\n"
    "access_drivers = [ \"polkit\" ]\n"
    "tls_allowed_dn_list = [ \"DN1\",\n"
    "                        \"DN2\",\n"
    "\n"
    "                        'DN3',\n"
    "]\n"
    "empty_list = []\n"
    "a = 1; b = 2\n"
    "long = \"\"\"line one\n"
    "line two\"\"\"\n"
    "after_long = 0\n"
    "empty = \"\"\n"
    "unix_sock_rw_perms = 0770\n";

START_TEST(test_parse_values)
{
    g_autoptr(mvConf) conf = mvConfReadString(sample, "/etc/libvirt/test.conf");
    g_autofree char *s = NULL;
    g_auto(GStrv) list = NULL;
    unsigned int u = 0, mode = 0;
    gboolean b = FALSE;
    int i = 0;

    ck_assert_msg(conf != NULL, "%s", mvErrorGetLastMessage());
    ck_assert_str_eq(mvConfGetFilename(conf), "/etc/libvirt/test.conf");

    ck_assert_int_eq(mvConfGetString(conf, "unix_sock_group", &s), 1);
    ck_assert_str_eq(s, "libvirt");
    ck_assert_int_eq(mvConfGetString(conf, "unix_sock_ro_perms", &s), 1);
    ck_assert_str_eq(s, "0777");
    ck_assert_int_eq(mvConfGetString(conf, "log_outputs", &s), 1);
    ck_assert_str_eq(s, "3:stderr");
    ck_assert_int_eq(mvConfGetString(conf, "long", &s), 1);
    ck_assert_str_eq(s, "line one\nline two");
    ck_assert_int_eq(mvConfGetString(conf, "empty", &s), 1);
    ck_assert_str_eq(s, "");

    ck_assert_int_eq(mvConfGetUInt(conf, "max_clients", &u), 1);
    ck_assert_uint_eq(u, 5000);
    ck_assert_int_eq(mvConfGetInt(conf, "max_clients", &i), 1);
    ck_assert_int_eq(i, 5000);
    ck_assert_int_eq(mvConfGetInt(conf, "min_workers", &i), 1);
    ck_assert_int_eq(i, -3);
    ck_assert_int_eq(mvConfGetInt(conf, "plus", &i), 1);
    ck_assert_int_eq(i, 7);
    ck_assert_int_eq(mvConfGetInt(conf, "indented", &i), 1);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(mvConfGetBool(conf, "indented", &b), 1);
    ck_assert(b);
    ck_assert_int_eq(mvConfGetBool(conf, "after_long", &b), 1);
    ck_assert(!b);
    ck_assert_int_eq(mvConfGetInt(conf, "a", &i), 1);
    ck_assert_int_eq(i, 1);
    ck_assert_int_eq(mvConfGetInt(conf, "b", &i), 1);
    ck_assert_int_eq(i, 2);

    ck_assert_int_eq(mvConfGetStringList(conf, "tls_allowed_dn_list", &list), 1);
    ck_assert_uint_eq(g_strv_length(list), 3);
    ck_assert_str_eq(list[0], "DN1");
    ck_assert_str_eq(list[1], "DN2");
    ck_assert_str_eq(list[2], "DN3");
    ck_assert_int_eq(mvConfGetStringList(conf, "access_drivers", &list), 1);
    ck_assert_uint_eq(g_strv_length(list), 1);
    ck_assert_str_eq(list[0], "polkit");
    ck_assert_int_eq(mvConfGetStringList(conf, "empty_list", &list), 1);
    ck_assert_uint_eq(g_strv_length(list), 0);
    /* a plain string is a one-element list */
    ck_assert_int_eq(mvConfGetStringList(conf, "unix_sock_group", &list), 1);
    ck_assert_uint_eq(g_strv_length(list), 1);
    ck_assert_str_eq(list[0], "libvirt");

    ck_assert_int_eq(mvConfGetPerms(conf, "unix_sock_ro_perms", &mode), 1);
    ck_assert_uint_eq(mode, 0777);
    ck_assert_int_eq(mvConfGetPerms(conf, "unix_sock_rw_perms", &mode), 1);
    ck_assert_uint_eq(mode, 0770);

    ck_assert_int_eq(mvConfGetEntryLine(conf, "max_clients"), 5);
    ck_assert_int_eq(mvConfGetEntryLine(conf, "after_long"), 20);
    ck_assert_int_eq(mvConfGetEntryLine(conf, "nope"), 0);
}
END_TEST

START_TEST(test_absent_keys)
{
    g_autoptr(mvConf) conf = mvConfReadString("a = 1\n", NULL);
    char *s = (char *)"untouched";
    int i = 42;
    unsigned int u = 43;
    gboolean b = TRUE;
    char **list = NULL;

    ck_assert_ptr_nonnull(conf);
    ck_assert_str_eq(mvConfGetFilename(conf), "memory conf");
    ck_assert_int_eq(mvConfGetString(conf, "x", &s), 0);
    ck_assert_str_eq(s, "untouched");
    ck_assert_int_eq(mvConfGetInt(conf, "x", &i), 0);
    ck_assert_int_eq(i, 42);
    ck_assert_int_eq(mvConfGetUInt(conf, "x", &u), 0);
    ck_assert_uint_eq(u, 43);
    ck_assert_int_eq(mvConfGetBool(conf, "x", &b), 0);
    ck_assert(b);
    ck_assert_int_eq(mvConfGetStringList(conf, "x", &list), 0);
    ck_assert_ptr_null(list);
    ck_assert_int_eq(mvConfGetPerms(conf, "x", &u), 0);
}
END_TEST

START_TEST(test_empty_inputs)
{
    static const char *ok[] = {
        "", "\n", "\n\n   \n", "# just a comment", "# c\n\n# d\n", "a = 1", "a = 1\n\n\n",
        "a = 1;", "a = 1\r\nb = 2\r\n",
    };
    size_t k;

    for (k = 0; k < G_N_ELEMENTS(ok); k++) {
        g_autoptr(mvConf) conf = mvConfReadString(ok[k], "x.conf");
        ck_assert_msg(conf != NULL, "rejected %zu: %s", k, mvErrorGetLastMessage());
    }
}
END_TEST

START_TEST(test_duplicate_first_wins)
{
    g_autoptr(mvConf) conf = mvConfReadString("a = 1\na = 2\n", "x.conf");
    int i = 0;

    ck_assert_int_eq(mvConfGetInt(conf, "a", &i), 1);
    ck_assert_int_eq(i, 1);
}
END_TEST

typedef struct {
    const char *content;
    int line;
    const char *what;
} SyntaxCase;

/* (content, expected line, expected detail) -- verified against libvirtd 9.0 */
static const SyntaxCase syntax_cases[] = {
    { "a = \n", 1, "expecting a value" },
    { "a =", 1, "expecting a value" },
    { "x = 1\n\na = \n", 3, "expecting a value" },
    { "a 1\n", 1, "expecting an assignment" },
    { "a\n", 1, "expecting an assignment" },
    { "1a = 2\n", 1, "expecting a name" },
    { "_a = 2\n", 1, "expecting a name" },
    { " = 1\n", 1, "expecting a name" },
    { "\"a\" = 1\n", 1, "expecting a name" },
    { "a-b = 1\n", 1, "expecting an assignment" },
    { "a = \"x\n", 1, "unterminated string" },
    { "a = 'x\n", 1, "unterminated string" },
    { "a = \"x", 1, "unterminated string" },
    { "a = \"\"\"unterminated\n\n", 1, "unterminated string" },
    { "a = \"\"\"x\n\ny\nz", 3, "unterminated string" },
    { "a = \"x\" b = 2\n", 1, "expecting a separator" },
    { "a = 12abc\n", 1, "expecting a separator" },
    { "a = 0x10\n", 1, "expecting a separator" },
    { "a = 1 ;; b = 2\n", 1, "expecting a name" },
    { "a = ;\n", 1, "expecting a value" },
    { "a = -\n", 1, "unterminated number" },
    { "a = +\n", 1, "unterminated number" },
    { "a = ]\n", 1, "expecting a value" },
    { "\n\n\na = ]\n", 4, "expecting a value" },
    { "a = [\n", 2, "list is not closed with ]" },
    { "a = [ \"a\",\n \"b\"\n", 3, "list is not closed with ]" },
    { "a = [ \"a\",\n \"b\"\n\n  3 ]\n", 4, "expecting a separator in list" },
    { "a = [,]\n", 1, "expecting a value" },
    { "a = [ , \"x\" ]\n", 1, "expecting a value" },
    { "a = [ \"x\" # c\n ]\n", 1, "expecting a separator in list" },
    { "a = [\n\n\n \"x\" \"y\" ]\n", 4, "expecting a separator in list" },
    { "a = 1\n#\nb = [ 1,\n 2,\n\n\n x ]\n", 7, "expecting a value" },
    { "a = \"x\"\r\nb = \r\n", 2, "expecting a value" },
    { "a = \"x\"\n   \n  # c\n b =\n", 4, "expecting a value" },
    { "a = \"x\n\"\n", 1, "unterminated string" },
};

START_TEST(test_syntax_errors)
{
    size_t k;

    for (k = 0; k < G_N_ELEMENTS(syntax_cases); k++) {
        const SyntaxCase *c = &syntax_cases[k];
        g_autofree char *want = g_strdup_printf(
            "configuration file syntax error: /etc/libvirt/virtqemud.conf:%d: %s",
            c->line, c->what);
        mvConf *conf;

        mvErrorReset();
        conf = mvConfReadString(c->content, "/etc/libvirt/virtqemud.conf");
        ck_assert_msg(conf == NULL, "case %zu accepted", k);
        ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_CONF_SYNTAX);
        ck_assert_int_eq(mvErrorGetLast()->domain, MV_FROM_CONF);
        ck_assert_msg(strcmp(mvErrorGetLastMessage(), want) == 0,
                      "case %zu: got '%s', want '%s'", k, mvErrorGetLastMessage(), want);
    }
}
END_TEST

START_TEST(test_type_errors)
{
    g_autoptr(mvConf) conf = mvConfReadString(
        "group = 5\n"
        "neg = -1\n"
        "big = 4294967296\n"
        "bigint = 2147483648\n"
        "smallint = -2147483649\n"
        "minint = -2147483648\n"
        "two = 2\n"
        "str = \"x\"\n"
        "mixed = [ \"a\", 1 ]\n"
        "perm_bad = \"0778\"\n"
        "perm_big = 017777\n"
        "perm_neg = -1\n"
        "list = [ \"a\" ]\n",
        "/etc/libvirt/virtqemud.conf");
    g_autofree char *s = NULL;
    g_auto(GStrv) list = NULL;
    unsigned int u = 0;
    gboolean b;
    int i = 0;

    ck_assert_ptr_nonnull(conf);
#define EXPECT(call, code, msg) \
    do { \
        mvErrorReset(); \
        ck_assert_int_eq((call), -1); \
        ck_assert_int_eq(mvErrorGetLastCode(), (code)); \
        ck_assert_str_eq(mvErrorGetLastMessage(), (msg)); \
    } while (0)

    EXPECT(mvConfGetString(conf, "group", &s), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:1: expected a string for 'group' parameter");
    EXPECT(mvConfGetString(conf, "list", &s), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:13: expected a string for 'list' parameter");
    EXPECT(mvConfGetUInt(conf, "neg", &u), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:2: expected an unsigned integer for 'neg' parameter");
    EXPECT(mvConfGetUInt(conf, "big", &u), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:3: value for 'big' parameter must be in range 0:4294967295");
    EXPECT(mvConfGetUInt(conf, "str", &u), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:8: expected an unsigned integer for 'str' parameter");
    EXPECT(mvConfGetInt(conf, "bigint", &i), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:4: value for 'bigint' parameter must be in range -2147483648:2147483647");
    EXPECT(mvConfGetInt(conf, "smallint", &i), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:5: value for 'smallint' parameter must be in range -2147483648:2147483647");
    EXPECT(mvConfGetInt(conf, "str", &i), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:8: expected a signed integer for 'str' parameter");
    EXPECT(mvConfGetBool(conf, "two", &b), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:7: value for 'two' parameter must be 0 or 1");
    EXPECT(mvConfGetBool(conf, "neg", &b), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:2: expected a bool for 'neg' parameter");
    EXPECT(mvConfGetStringList(conf, "group", &list), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:1: expected a string or string list for 'group' parameter");
    EXPECT(mvConfGetStringList(conf, "mixed", &list), MV_ERR_CONF_SYNTAX,
           "configuration file syntax error: /etc/libvirt/virtqemud.conf:9: expected a string list for 'mixed' parameter");
    EXPECT(mvConfGetPerms(conf, "perm_bad", &u), MV_ERR_INTERNAL_ERROR,
           "internal error: Failed to parse mode '0778'");
    EXPECT(mvConfGetPerms(conf, "perm_big", &u), MV_ERR_INTERNAL_ERROR,
           "internal error: Failed to parse mode '017777'");
    EXPECT(mvConfGetPerms(conf, "perm_neg", &u), MV_ERR_INTERNAL_ERROR,
           "internal error: /etc/libvirt/virtqemud.conf:12: expected a string for 'perm_neg' parameter");
#undef EXPECT
    ck_assert_ptr_null(list);

    ck_assert_int_eq(mvConfGetInt(conf, "minint", &i), 1);
    ck_assert_int_eq(i, INT_MIN);
}
END_TEST

typedef struct {
    GString *seen;
} UnknownCtx;

static void
unknown_cb(const char *key, int line, void *opaque)
{
    UnknownCtx *ctx = opaque;
    g_string_append_printf(ctx->seen, "%s@%d ", key, line);
}

START_TEST(test_unknown_keys)
{
    static const char *const known[] = { "max_clients", "log_level", NULL };
    g_autoptr(mvConf) conf = mvConfReadString(
        "# c\nmax_clients = 1\nbogus = 2\n\nlog_level = 3\ntypo_key = [\n \"x\"\n]\nlast = 1\n",
        "t.conf");
    UnknownCtx ctx = { g_string_new(NULL) };

    ck_assert_ptr_nonnull(conf);
    mvConfForEachUnknown(conf, known, unknown_cb, &ctx);
    ck_assert_str_eq(ctx.seen->str, "bogus@3 typo_key@6 last@9 ");
    g_string_truncate(ctx.seen, 0);
    mvConfForEachUnknown(conf, NULL, unknown_cb, &ctx);
    ck_assert_str_eq(ctx.seen->str,
                     "max_clients@2 bogus@3 log_level@5 typo_key@6 last@9 ");
    g_string_free(ctx.seen, TRUE);
}
END_TEST

START_TEST(test_size_limit)
{
    size_t n = MV_CONF_MAX_SIZE + 1;
    g_autofree char *big = g_malloc(n + 1);
    g_autofree char *path = NULL;
    char tmpl[] = "/tmp/mvconf-XXXXXX";
    int fd;

    /* a valid file made of comment lines, one byte over the limit */
    memset(big, '#', n);
    big[n] = '\0';
    mvErrorReset();
    ck_assert_ptr_null(mvConfReadString(big, "big.conf"));
    ck_assert_int_ne(mvErrorGetLastCode(), MV_ERR_OK);

    fd = mkstemp(tmpl);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, big, n), (ssize_t)n);
    close(fd);
    mvErrorReset();
    ck_assert_ptr_null(mvConfReadFile(tmpl));
    ck_assert(g_str_has_prefix(mvErrorGetLastMessage(), "Failed to read file '"));

    /* exactly at the limit is fine */
    big[n - 1] = '\0';
    {
        g_autoptr(mvConf) conf = mvConfReadString(big, "ok.conf");
        ck_assert_ptr_nonnull(conf);
    }
    ck_assert(g_file_set_contents(tmpl, big, n - 1, NULL));
    {
        g_autoptr(mvConf) conf = mvConfReadFile(tmpl);
        ck_assert_ptr_nonnull(conf);
    }
    unlink(tmpl);
}
END_TEST

START_TEST(test_read_file)
{
    char tmpl[] = "/tmp/mvconf-XXXXXX";
    const char content[] = "a = \"x\"\nb = [ \"y\" ]\n";
    g_autofree char *s = NULL;
    int fd = mkstemp(tmpl);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, content, sizeof(content) - 1), (ssize_t)sizeof(content) - 1);
    close(fd);
    {
        g_autoptr(mvConf) conf = mvConfReadFile(tmpl);
        ck_assert_ptr_nonnull(conf);
        ck_assert_str_eq(mvConfGetFilename(conf), tmpl);
        ck_assert_int_eq(mvConfGetString(conf, "a", &s), 1);
        ck_assert_str_eq(s, "x");
    }
    unlink(tmpl);

    mvErrorReset();
    ck_assert_ptr_null(mvConfReadFile("/nonexistent/virtqemud.conf"));
    ck_assert_str_eq(mvErrorGetLastMessage(),
                     "Failed to open file '/nonexistent/virtqemud.conf': No such file or directory");
    mvErrorReset();
    ck_assert_ptr_null(mvConfReadFile(NULL));
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_INVALID_ARG);
    ck_assert_ptr_null(mvConfReadString(NULL, "x"));
}
END_TEST

static mvConf *
read_bytes(const char *data, size_t len)
{
    char tmpl[] = "/tmp/mvconf-XXXXXX";
    int fd = mkstemp(tmpl);
    mvConf *conf;

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    conf = mvConfReadFile(tmpl);
    unlink(tmpl);
    return conf;
}

START_TEST(test_hostile)
{
    GString *deep = g_string_new("a = ");
    int k;

    /* NUL bytes */
    mvErrorReset();
    ck_assert_ptr_null(read_bytes("a = \"x\0y\"\n", 10));
    ck_assert_int_eq(mvErrorGetLastCode(), MV_ERR_CONF_SYNTAX);
    ck_assert(g_str_has_suffix(mvErrorGetLastMessage(), ":1: unterminated string"));
    ck_assert_ptr_null(read_bytes("\0", 1));
    ck_assert(g_str_has_suffix(mvErrorGetLastMessage(), ":1: expecting a name"));
    ck_assert_ptr_null(read_bytes("a = 1\0", 6));
    ck_assert(g_str_has_suffix(mvErrorGetLastMessage(), ":1: expecting a separator"));
    {
        /* a NUL inside a comment is harmless */
        g_autoptr(mvConf) conf = read_bytes("# x\0y\na = 1\n", 12);
        int i = 0;
        ck_assert_ptr_nonnull(conf);
        ck_assert_int_eq(mvConfGetInt(conf, "a", &i), 1);
        ck_assert_int_eq(i, 1);
    }

    /* huge integers */
    mvErrorReset();
    ck_assert_ptr_null(mvConfReadString("a = 5\nb = 99999999999999999999999\n", "h.conf"));
    ck_assert_str_eq(mvErrorGetLastMessage(),
                     "configuration file syntax error: h.conf:2: integer overflow");
    ck_assert_ptr_null(mvConfReadString("a = -9223372036854775809\n", "h.conf"));
    {
        g_autoptr(mvConf) conf = mvConfReadString(
            "a = 18446744073709551615\nb = -9223372036854775808\n", "h.conf");
        unsigned int u;
        int i;
        ck_assert_ptr_nonnull(conf);
        ck_assert_int_eq(mvConfGetUInt(conf, "a", &u), -1);
        ck_assert_int_eq(mvConfGetInt(conf, "b", &i), -1);
    }

    /* unterminated things at end of input */
    ck_assert_ptr_null(mvConfReadString("a = [", "u.conf"));
    ck_assert_str_eq(mvErrorGetLastMessage(),
                     "configuration file syntax error: u.conf:1: list is not closed with ]");
    ck_assert_ptr_null(mvConfReadString("a = [ \"x\",", "u.conf"));
    ck_assert_ptr_null(mvConfReadString("a = [ \"x", "u.conf"));
    ck_assert_ptr_null(mvConfReadString("a = \"\"\"", "u.conf"));
    ck_assert_ptr_null(mvConfReadString("a = '", "u.conf"));
    ck_assert_ptr_null(mvConfReadString("a", "u.conf"));

    /* deep nesting is refused, not a stack overflow */
    for (k = 0; k < 100000; k++)
        g_string_append_c(deep, '[');
    mvErrorReset();
    ck_assert_ptr_null(mvConfReadString(deep->str, "d.conf"));
    ck_assert_str_eq(mvErrorGetLastMessage(),
                     "configuration file syntax error: d.conf:1: lists nested too deeply");
    g_string_free(deep, TRUE);
    {
        /* moderate nesting works; nested lists are not string lists */
        g_autoptr(mvConf) conf = mvConfReadString("a = [ [ \"x\" ], \"y\" ]\n", "n.conf");
        g_auto(GStrv) list = NULL;
        ck_assert_ptr_nonnull(conf);
        ck_assert_int_eq(mvConfGetStringList(conf, "a", &list), -1);
    }

    /* non-ASCII in strings passes through */
    {
        g_autoptr(mvConf) conf = mvConfReadString("a = \"h\xc3\xa9\"\n", "n.conf");
        g_autofree char *s = NULL;
        ck_assert_int_eq(mvConfGetString(conf, "a", &s), 1);
        ck_assert_str_eq(s, "h\xc3\xa9");
    }
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_parse_values);
    tcase_add_test(tc, test_absent_keys);
    tcase_add_test(tc, test_empty_inputs);
    tcase_add_test(tc, test_duplicate_first_wins);
    tcase_add_test(tc, test_syntax_errors);
    tcase_add_test(tc, test_type_errors);
    tcase_add_test(tc, test_unknown_keys);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_read_file);
    tcase_add_test(tc, test_hostile);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
