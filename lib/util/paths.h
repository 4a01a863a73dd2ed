/* Every path a daemon uses derives from here, following libvirt's layout.
 *
 * System mode (privileged):            Session mode (per user):
 *   configDir /etc/libvirt               $XDG_CONFIG_HOME/libvirt (~/.config/libvirt)
 *   runDir    /run/libvirt               $XDG_RUNTIME_DIR/libvirt (cacheDir if unset)
 *   stateDir  /var/lib/libvirt           ~/.config/libvirt  (libvirt keeps session
 *                                        "lib" data under the config dir, e.g.
 *                                        ~/.config/libvirt/qemu/lib, .../qemu/save)
 *   logDir    /var/log/libvirt           $XDG_CACHE_HOME/libvirt (~/.cache/libvirt;
 *                                        QEMU logs in ~/.cache/libvirt/qemu/log)
 *   cacheDir  /var/cache/libvirt         $XDG_CACHE_HOME/libvirt (~/.cache/libvirt)
 * Per-driver directories are subdirectories: configDir/qemu, runDir/qemu, ...
 * (session QEMU live state is runDir/qemu/run in libvirt).
 *
 * MODVIRT_ROOT=DIR (environment) roots everything under DIR using the system
 * layout above -- in BOTH modes, so a test gets the same paths whether it runs
 * as root or not: DIR/etc/libvirt, DIR/run/libvirt, DIR/var/lib/libvirt, ...
 * (the "privileged" flag still says which mode the daemon runs in). */
#pragma once
#include <glib.h>

typedef struct mvPaths {
    gboolean privileged;   /* system mode */
    char *root;            /* "" or MODVIRT_ROOT without trailing slash */
    char *configDir;
    char *runDir;
    char *stateDir;
    char *logDir;
    char *cacheDir;
} mvPaths;

mvPaths *mvPathsNew(gboolean privileged);   /* reads MODVIRT_ROOT, XDG_*, HOME */
/* Same, with an explicit root (NULL/"" = none), e.g. from --root DIR. */
mvPaths *mvPathsNewRoot(gboolean privileged, const char *root);
void mvPathsFree(mvPaths *paths);           /* accepts NULL */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvPaths, mvPathsFree)

/* runDir/NAME-sock, runDir/NAME-sock-ro, runDir/NAME-admin-sock
 * (@suffix is "", "-ro" or "-admin"; NULL = ""). */
char *mvPathsSocket(const mvPaths *paths, const char *daemon, const char *suffix);
/* configDir/NAME.conf: /etc/libvirt/virtqemud.conf or ~/.config/libvirt/virtqemud.conf */
char *mvPathsDaemonConfig(const mvPaths *paths, const char *daemon);
/* root prefix applied to an absolute system path: "/etc/x" -> "DIR/etc/x" */
char *mvPathsRooted(const mvPaths *paths, const char *abspath);
