/* Unit tests for lib/util/uuid.c */
#include <check.h>
#include <string.h>

#include "util/uuid.h"

static const unsigned char sample[MV_UUID_BUFLEN] = {
    0xc7, 0xa5, 0xfd, 0xbd, 0xed, 0xaf, 0x9e, 0x05,
    0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81,
};

START_TEST(test_format)
{
    char buf[MV_UUID_STRING_BUFLEN];

    ck_assert_ptr_eq(mvUUIDFormat(sample, buf), buf);
    ck_assert_str_eq(buf, "c7a5fdbd-edaf-9e05-1a2b-3c4d5e6f7081");
}
END_TEST

START_TEST(test_parse_forms)
{
    static const char *good[] = {
        "c7a5fdbd-edaf-9e05-1a2b-3c4d5e6f7081",
        "C7A5FDBD-EDAF-9E05-1A2B-3C4D5E6F7081",
        "c7a5fdbdedaf9e051a2b3c4d5e6f7081",
        "  c7a5fdbd-edaf-9e05-1a2b-3c4d5e6f7081\n",
        "c7-a5-fd-bd-ed-af-9e-05-1a-2b-3c-4d-5e-6f-70-81",
        "c7a5 fdbd edaf 9e05 1a2b 3c4d 5e6f 7081",
        "c7a5fdbd--edaf-9e05-1a2b-3c4d5e6f7081",
    };
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(good); i++) {
        unsigned char u[MV_UUID_BUFLEN] = { 0 };
        ck_assert_msg(mvUUIDParse(good[i], u) == 0, "rejected '%s'", good[i]);
        ck_assert_msg(memcmp(u, sample, sizeof(u)) == 0, "wrong bytes for '%s'", good[i]);
        ck_assert(mvUUIDIsValidString(good[i]));
    }
}
END_TEST

START_TEST(test_parse_bad)
{
    static const char *bad[] = {
        "",
        "c7a5fdbd-edaf-9e05-1a2b-3c4d5e6f708",       /* 31 digits */
        "c7a5fdbd-edaf-9e05-1a2b-3c4d5e6f70811",     /* 33 digits */
        "c7a5fdbd-edaf-9e05-1a2b-3c4d5e6f708g",
        "c-7a5fdbd-edaf-9e05-1a2b-3c4d5e6f7081",     /* dash inside a byte */
        "c7a5fdbd-edaf-9e05-1a2b-3c4d5e6f7081x",
        "{c7a5fdbd-edaf-9e05-1a2b-3c4d5e6f7081}",
        "demo",
    };
    unsigned char u[MV_UUID_BUFLEN];
    unsigned char orig[MV_UUID_BUFLEN];
    size_t i;

    memset(u, 0xAA, sizeof(u));
    memcpy(orig, u, sizeof(u));
    for (i = 0; i < G_N_ELEMENTS(bad); i++) {
        ck_assert_msg(mvUUIDParse(bad[i], u) == -1, "accepted '%s'", bad[i]);
        ck_assert(!mvUUIDIsValidString(bad[i]));
    }
    ck_assert(memcmp(u, orig, sizeof(u)) == 0);   /* untouched on failure */
    ck_assert_int_eq(mvUUIDParse(NULL, u), -1);
    ck_assert(!mvUUIDIsValidString(NULL));
}
END_TEST

START_TEST(test_generate)
{
    unsigned char a[MV_UUID_BUFLEN], b[MV_UUID_BUFLEN], back[MV_UUID_BUFLEN];
    char buf[MV_UUID_STRING_BUFLEN];
    int i;

    for (i = 0; i < 100; i++) {
        mvUUIDGenerate(a);
        mvUUIDGenerate(b);
        ck_assert(memcmp(a, b, sizeof(a)) != 0);
        ck_assert_int_eq(a[6] >> 4, 4);            /* version 4 */
        ck_assert_int_eq(a[8] & 0xC0, 0x80);       /* RFC 4122 variant */
        mvUUIDFormat(a, buf);
        ck_assert_uint_eq(strlen(buf), 36);
        ck_assert_int_eq(buf[14], '4');
        ck_assert_int_eq(mvUUIDParse(buf, back), 0);
        ck_assert(memcmp(a, back, sizeof(a)) == 0);
    }
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("uuid");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_format);
    tcase_add_test(tc, test_parse_forms);
    tcase_add_test(tc, test_parse_bad);
    tcase_add_test(tc, test_generate);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
