/* Directory layout (see paths.h). */
#include <stdlib.h>
#include <string.h>

#include "util/paths.h"

#define MV_FROM_THIS MV_FROM_NONE

/* GLib caches the XDG lookups for the process lifetime; read the
 * environment ourselves so a changed environment (tests) is honoured. */
static char *
mvPathsHome(void)
{
    const char *home = g_getenv("HOME");
    if (home && *home)
        return g_strdup(home);
    return g_strdup(g_get_home_dir());
}

static char *
mvPathsXDG(const char *var, const char *fallback)
{
    const char *val = g_getenv(var);
    g_autofree char *home = NULL;

    if (val && *val)
        return g_strdup(val);
    home = mvPathsHome();
    return g_build_filename(home, fallback, NULL);
}

static char *
mvPathsNormalizeRoot(const char *root)
{
    char *r;
    size_t len;

    if (!root || !*root)
        return g_strdup("");
    r = g_strdup(root);
    len = strlen(r);
    while (len > 0 && r[len - 1] == '/')
        r[--len] = '\0';
    return r;
}

mvPaths *
mvPathsNewRoot(gboolean privileged, const char *root)
{
    mvPaths *paths = g_new0(mvPaths, 1);

    paths->privileged = privileged;
    paths->root = mvPathsNormalizeRoot(root);

    if (privileged || *paths->root) {
        paths->configDir = g_strconcat(paths->root, "/etc/libvirt", NULL);
        paths->runDir = g_strconcat(paths->root, "/run/libvirt", NULL);
        paths->stateDir = g_strconcat(paths->root, "/var/lib/libvirt", NULL);
        paths->logDir = g_strconcat(paths->root, "/var/log/libvirt", NULL);
        paths->cacheDir = g_strconcat(paths->root, "/var/cache/libvirt", NULL);
    } else {
        g_autofree char *config = mvPathsXDG("XDG_CONFIG_HOME", ".config");
        g_autofree char *cache = mvPathsXDG("XDG_CACHE_HOME", ".cache");
        const char *runtime = g_getenv("XDG_RUNTIME_DIR");

        paths->configDir = g_build_filename(config, "libvirt", NULL);
        paths->cacheDir = g_build_filename(cache, "libvirt", NULL);
        paths->logDir = g_strdup(paths->cacheDir);
        paths->stateDir = g_strdup(paths->configDir);
        if (runtime && *runtime)
            paths->runDir = g_build_filename(runtime, "libvirt", NULL);
        else
            paths->runDir = g_strdup(paths->cacheDir);
    }
    return paths;
}

mvPaths *
mvPathsNew(gboolean privileged)
{
    return mvPathsNewRoot(privileged, g_getenv("MODVIRT_ROOT"));
}

void
mvPathsFree(mvPaths *paths)
{
    if (!paths)
        return;
    g_free(paths->root);
    g_free(paths->configDir);
    g_free(paths->runDir);
    g_free(paths->stateDir);
    g_free(paths->logDir);
    g_free(paths->cacheDir);
    g_free(paths);
}

char *
mvPathsSocket(const mvPaths *paths, const char *daemon, const char *suffix)
{
    /* libvirt's names: NAME-sock, NAME-sock-ro, NAME-admin-sock */
    if (suffix && strcmp(suffix, "-ro") == 0)
        return g_strdup_printf("%s/%s-sock-ro", paths->runDir, daemon);
    return g_strdup_printf("%s/%s%s-sock", paths->runDir, daemon, suffix ? suffix : "");
}

char *
mvPathsDaemonConfig(const mvPaths *paths, const char *daemon)
{
    return g_strdup_printf("%s/%s.conf", paths->configDir, daemon);
}

char *
mvPathsRooted(const mvPaths *paths, const char *abspath)
{
    if (!abspath)
        return NULL;
    if (!paths->root || !*paths->root)
        return g_strdup(abspath);
    if (abspath[0] == '/')
        return g_strconcat(paths->root, abspath, NULL);
    return g_strconcat(paths->root, "/", abspath, NULL);
}
