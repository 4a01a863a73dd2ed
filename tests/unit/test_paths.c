/* Unit tests for lib/util/paths.c */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "util/paths.h"

static void
clear_env(void)
{
    g_unsetenv("MODVIRT_ROOT");
    g_setenv("HOME", "/home/u", TRUE);
    g_unsetenv("XDG_CONFIG_HOME");
    g_unsetenv("XDG_CACHE_HOME");
    g_setenv("XDG_RUNTIME_DIR", "/run/user/1000", TRUE);
}

START_TEST(test_system)
{
    g_autoptr(mvPaths) p = NULL;
    g_autofree char *rw = NULL, *ro = NULL, *admin = NULL, *conf = NULL, *rooted = NULL;

    clear_env();
    p = mvPathsNew(TRUE);
    ck_assert(p->privileged);
    ck_assert_str_eq(p->root, "");
    ck_assert_str_eq(p->configDir, "/etc/libvirt");
    ck_assert_str_eq(p->runDir, "/run/libvirt");
    ck_assert_str_eq(p->stateDir, "/var/lib/libvirt");
    ck_assert_str_eq(p->logDir, "/var/log/libvirt");
    ck_assert_str_eq(p->cacheDir, "/var/cache/libvirt");
    rw = mvPathsSocket(p, "virtqemud", "");
    ro = mvPathsSocket(p, "virtqemud", "-ro");
    admin = mvPathsSocket(p, "virtqemud", "-admin");
    ck_assert_str_eq(rw, "/run/libvirt/virtqemud-sock");
    ck_assert_str_eq(ro, "/run/libvirt/virtqemud-sock-ro");
    ck_assert_str_eq(admin, "/run/libvirt/virtqemud-admin-sock");
    conf = mvPathsDaemonConfig(p, "virtqemud");
    ck_assert_str_eq(conf, "/etc/libvirt/virtqemud.conf");
    rooted = mvPathsRooted(p, "/etc/libvirt/qemu");
    ck_assert_str_eq(rooted, "/etc/libvirt/qemu");
}
END_TEST

START_TEST(test_system_root)
{
    g_autoptr(mvPaths) p = NULL;
    g_autofree char *rw = NULL, *ro = NULL, *admin = NULL, *conf = NULL, *rooted = NULL;

    clear_env();
    g_setenv("MODVIRT_ROOT", "/tmp/mvroot//", TRUE);
    p = mvPathsNew(TRUE);
    ck_assert_str_eq(p->root, "/tmp/mvroot");
    ck_assert_str_eq(p->configDir, "/tmp/mvroot/etc/libvirt");
    ck_assert_str_eq(p->runDir, "/tmp/mvroot/run/libvirt");
    ck_assert_str_eq(p->stateDir, "/tmp/mvroot/var/lib/libvirt");
    ck_assert_str_eq(p->logDir, "/tmp/mvroot/var/log/libvirt");
    ck_assert_str_eq(p->cacheDir, "/tmp/mvroot/var/cache/libvirt");
    rw = mvPathsSocket(p, "virtnetworkd", NULL);
    ro = mvPathsSocket(p, "virtnetworkd", "-ro");
    admin = mvPathsSocket(p, "virtnetworkd", "-admin");
    ck_assert_str_eq(rw, "/tmp/mvroot/run/libvirt/virtnetworkd-sock");
    ck_assert_str_eq(ro, "/tmp/mvroot/run/libvirt/virtnetworkd-sock-ro");
    ck_assert_str_eq(admin, "/tmp/mvroot/run/libvirt/virtnetworkd-admin-sock");
    conf = mvPathsDaemonConfig(p, "virtnetworkd");
    ck_assert_str_eq(conf, "/tmp/mvroot/etc/libvirt/virtnetworkd.conf");
    rooted = mvPathsRooted(p, "/var/lib/libvirt/dnsmasq");
    ck_assert_str_eq(rooted, "/tmp/mvroot/var/lib/libvirt/dnsmasq");
}
END_TEST

START_TEST(test_session)
{
    g_autoptr(mvPaths) p = NULL;
    g_autofree char *rw = NULL, *admin = NULL, *conf = NULL;

    clear_env();
    p = mvPathsNew(FALSE);
    ck_assert(!p->privileged);
    ck_assert_str_eq(p->root, "");
    ck_assert_str_eq(p->configDir, "/home/u/.config/libvirt");
    ck_assert_str_eq(p->runDir, "/run/user/1000/libvirt");
    ck_assert_str_eq(p->stateDir, "/home/u/.config/libvirt");
    ck_assert_str_eq(p->logDir, "/home/u/.cache/libvirt");
    ck_assert_str_eq(p->cacheDir, "/home/u/.cache/libvirt");
    rw = mvPathsSocket(p, "virtqemud", "");
    admin = mvPathsSocket(p, "virtqemud", "-admin");
    ck_assert_str_eq(rw, "/run/user/1000/libvirt/virtqemud-sock");
    ck_assert_str_eq(admin, "/run/user/1000/libvirt/virtqemud-admin-sock");
    conf = mvPathsDaemonConfig(p, "virtqemud");
    ck_assert_str_eq(conf, "/home/u/.config/libvirt/virtqemud.conf");
}
END_TEST

START_TEST(test_session_xdg)
{
    g_autoptr(mvPaths) p = NULL;

    clear_env();
    g_setenv("XDG_CONFIG_HOME", "/x/conf", TRUE);
    g_setenv("XDG_CACHE_HOME", "/x/cache", TRUE);
    g_unsetenv("XDG_RUNTIME_DIR");
    p = mvPathsNew(FALSE);
    ck_assert_str_eq(p->configDir, "/x/conf/libvirt");
    ck_assert_str_eq(p->cacheDir, "/x/cache/libvirt");
    ck_assert_str_eq(p->logDir, "/x/cache/libvirt");
    /* no XDG_RUNTIME_DIR: libvirt falls back to the cache directory */
    ck_assert_str_eq(p->runDir, "/x/cache/libvirt");
}
END_TEST

START_TEST(test_session_root)
{
    g_autoptr(mvPaths) p = NULL;
    g_autofree char *ro = NULL;

    clear_env();
    g_setenv("MODVIRT_ROOT", "/tmp/r", TRUE);
    p = mvPathsNew(FALSE);
    ck_assert(!p->privileged);
    ck_assert_str_eq(p->root, "/tmp/r");
    ck_assert_str_eq(p->configDir, "/tmp/r/etc/libvirt");
    ck_assert_str_eq(p->runDir, "/tmp/r/run/libvirt");
    ck_assert_str_eq(p->stateDir, "/tmp/r/var/lib/libvirt");
    ro = mvPathsSocket(p, "virtqemud", "-ro");
    ck_assert_str_eq(ro, "/tmp/r/run/libvirt/virtqemud-sock-ro");
}
END_TEST

START_TEST(test_explicit_root)
{
    g_autoptr(mvPaths) a = NULL;
    g_autoptr(mvPaths) b = NULL;
    g_autoptr(mvPaths) c = NULL;

    clear_env();
    g_setenv("MODVIRT_ROOT", "/ignored", TRUE);
    a = mvPathsNewRoot(TRUE, "/srv/x");
    ck_assert_str_eq(a->configDir, "/srv/x/etc/libvirt");
    b = mvPathsNewRoot(TRUE, "");
    ck_assert_str_eq(b->configDir, "/etc/libvirt");
    c = mvPathsNewRoot(TRUE, NULL);
    ck_assert_str_eq(c->runDir, "/run/libvirt");
    mvPathsFree(NULL);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("paths");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_system);
    tcase_add_test(tc, test_system_root);
    tcase_add_test(tc, test_session);
    tcase_add_test(tc, test_session_xdg);
    tcase_add_test(tc, test_session_root);
    tcase_add_test(tc, test_explicit_root);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    /* tests change the environment: run each in its own process */
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
