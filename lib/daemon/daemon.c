#define MV_FROM_THIS MV_FROM_CONF
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <glib-unix.h>
#include <systemd/sd-daemon.h>
#include "daemon/daemon.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/log.h"

struct mvDaemon {
    const mvDaemonSpec *spec;
    mvPaths *paths;
    mvDaemonConfig cfg;
    char *configFile;
    char *pidFile;
    int pidFd;
    int timeout;
    gboolean verbose;
    gboolean privileged;
    mvRpcServer *server;
    mvRpcServer *adminServer;
    GMainLoop *loop;
    gint64 idleSince;
    GPtrArray *boundPaths;   /* socket files we created, removed at exit */
};

static const char *const knownKeys[] = {
    "unix_sock_group", "unix_sock_ro_perms", "unix_sock_rw_perms", "unix_sock_admin_perms",
    "unix_sock_dir", "auth_unix_ro", "auth_unix_rw", "access_drivers",
    "max_clients", "max_queued_clients", "max_anonymous_clients", "min_workers",
    "max_workers", "prio_workers", "max_client_requests",
    "admin_min_workers", "admin_max_workers", "admin_max_clients",
    "admin_max_queued_clients", "admin_max_client_requests",
    "log_level", "log_filters", "log_outputs", "audit_level", "audit_logging",
    "host_uuid", "host_uuid_source", "keepalive_interval", "keepalive_count",
    "admin_keepalive_interval", "admin_keepalive_count", "ovs_timeout",
    NULL
};

/* The running daemon, for the admin API (one per process). */
static mvDaemon *currentDaemon;

const mvPaths *mvDaemonGetPaths(mvDaemon *d) { return d->paths; }
const mvDaemonConfig *mvDaemonGetConfig(mvDaemon *d) { return &d->cfg; }
mvRpcServer *mvDaemonGetServer(mvDaemon *d) { return d->server; }
const char *mvDaemonGetName(mvDaemon *d) { return d->spec->name; }
gboolean mvDaemonIsPrivileged(mvDaemon *d) { return d->privileged; }

static gboolean
quitIdle(gpointer opaque)
{
    mvDaemon *d = opaque;
    g_main_loop_quit(d->loop);
    return G_SOURCE_REMOVE;
}

void
mvDaemonQuit(mvDaemon *d)
{
    g_main_context_invoke(g_main_loop_get_context(d->loop), quitIdle, d);
}

void
mvDaemonConfigInit(mvDaemonConfig *cfg, const mvPaths *paths)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->unixSockRoPerms = 0777;
    cfg->unixSockRwPerms = paths && paths->privileged ? 0700 : 0700;
    cfg->unixSockAdminPerms = 0700;
    cfg->unixSockDir = paths ? g_strdup(paths->runDir) : NULL;
    mvRpcServerConfigInit(&cfg->rpc);
    cfg->logLevel = 0;
}

void
mvDaemonConfigClear(mvDaemonConfig *cfg)
{
    g_free(cfg->unixSockGroup);
    g_free(cfg->unixSockDir);
    g_free(cfg->logFilters);
    g_free(cfg->logOutputs);
    memset(cfg, 0, sizeof(*cfg));
}

static void
warnUnknownKey(const char *key, int line, void *opaque)
{
    MV_WARN("%s:%d: unknown configuration key '%s' ignored", (const char *)opaque, line, key);
}

int
mvDaemonConfigLoad(mvDaemonConfig *cfg, mvConf *conf)
{
    int iv;
    unsigned int uv;
    char *sv = NULL;

    if (mvConfGetString(conf, "unix_sock_group", &sv) < 0)
        return -1;
    if (sv) {
        g_free(cfg->unixSockGroup);
        cfg->unixSockGroup = g_steal_pointer(&sv);
    }
    if (mvConfGetPerms(conf, "unix_sock_ro_perms", &cfg->unixSockRoPerms) < 0 ||
        mvConfGetPerms(conf, "unix_sock_rw_perms", &cfg->unixSockRwPerms) < 0 ||
        mvConfGetPerms(conf, "unix_sock_admin_perms", &cfg->unixSockAdminPerms) < 0)
        return -1;
    if (mvConfGetString(conf, "unix_sock_dir", &sv) < 0)
        return -1;
    if (sv) {
        g_free(cfg->unixSockDir);
        cfg->unixSockDir = g_steal_pointer(&sv);
    }
    if (mvConfGetUInt(conf, "max_clients", &cfg->rpc.maxClients) < 0 ||
        mvConfGetUInt(conf, "max_workers", &cfg->rpc.maxWorkers) < 0 ||
        mvConfGetUInt(conf, "prio_workers", &cfg->rpc.prioWorkers) < 0 ||
        mvConfGetUInt(conf, "max_client_requests", &cfg->rpc.maxClientRequests) < 0 ||
        mvConfGetInt(conf, "keepalive_interval", &cfg->rpc.keepaliveInterval) < 0 ||
        mvConfGetUInt(conf, "keepalive_count", &cfg->rpc.keepaliveCount) < 0)
        return -1;
    if (cfg->rpc.maxWorkers == 0) {
        mvReportError(MV_ERR_CONF_SYNTAX, "%s: %s", mvConfGetFilename(conf),
                      "max_workers must be greater than 0");
        return -1;
    }
    if (mvConfGetUInt(conf, "min_workers", &uv) < 0)
        return -1;
    if ((iv = mvConfGetInt(conf, "log_level", &cfg->logLevel)) < 0)
        return -1;
    if (iv > 0 && (cfg->logLevel < 0 || cfg->logLevel > 4)) {
        mvReportError(MV_ERR_CONF_SYNTAX, "%s: log_level must be between 1 and 4, got %d",
                      mvConfGetFilename(conf), cfg->logLevel);
        return -1;
    }
    if (mvConfGetString(conf, "log_filters", &sv) < 0)
        return -1;
    if (sv) {
        g_free(cfg->logFilters);
        cfg->logFilters = g_steal_pointer(&sv);
    }
    if (mvConfGetString(conf, "log_outputs", &sv) < 0)
        return -1;
    if (sv) {
        g_free(cfg->logOutputs);
        cfg->logOutputs = g_steal_pointer(&sv);
    }
    return 0;
}

/* Load the config file; a missing default file is fine, a missing explicit one is not. */
static int
daemonLoadConfig(mvDaemon *d, gboolean explicit, mvDaemonConfig *out)
{
    g_autoptr(mvConf) conf = NULL;

    mvDaemonConfigInit(out, d->paths);
    if (!g_file_test(d->configFile, G_FILE_TEST_EXISTS)) {
        if (explicit) {
            mvReportSystemError(ENOENT, "Failed to open file '%s'", d->configFile);
            return -1;
        }
        return 0;
    }
    if (!(conf = mvConfReadFile(d->configFile)))
        return -1;
    mvConfForEachUnknown(conf, knownKeys, warnUnknownKey, d->configFile);
    return mvDaemonConfigLoad(out, conf);
}

static int
daemonApplyLogging(mvDaemon *d)
{
    if (d->cfg.logLevel > 0)
        mvLogSetDefaultPriority(d->cfg.logLevel);
    if (d->verbose && (d->cfg.logLevel == 0 || d->cfg.logLevel > MV_LOG_INFO))
        mvLogSetDefaultPriority(MV_LOG_INFO);
    if (d->cfg.logFilters && mvLogSetFilters(d->cfg.logFilters) < 0)
        return -1;
    if (d->cfg.logOutputs && mvLogSetOutputs(d->cfg.logOutputs) < 0)
        return -1;
    return 0;
}

/* ---- sockets ---------------------------------------------------------- */

static int
socketClassFromName(const char *daemon, const char *name)
{
    g_autofree char *ro = g_strdup_printf("%s-ro", daemon);
    g_autofree char *admin = g_strdup_printf("%s-admin", daemon);

    if (g_str_has_prefix(name, ro) || g_str_has_suffix(name, "-sock-ro"))
        return MV_RPC_SOCK_RO;
    if (g_str_has_prefix(name, admin) || g_str_has_suffix(name, "-admin-sock"))
        return MV_RPC_SOCK_ADMIN;
    if (g_str_has_prefix(name, daemon) || g_str_has_suffix(name, "-sock"))
        return MV_RPC_SOCK_RW;
    return -1;
}

static int
socketClassFromFd(const char *daemon, int fd)
{
    struct sockaddr_un sa = { 0 };
    socklen_t len = sizeof(sa);

    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 || sa.sun_family != AF_UNIX)
        return -1;
    return socketClassFromName(daemon, sa.sun_path);
}

static int
daemonBindSocket(mvDaemon *d, const char *path, unsigned int perms, gid_t gid)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;
    mode_t old;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "UNIX socket path '%s' too long", path);
        return -1;
    }
    g_strlcpy(sa.sun_path, path, sizeof(sa.sun_path));

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        mvReportSystemError(errno, "%s", "Failed to create socket");
        return -1;
    }
    /* A live socket means another daemon owns it; a stale one is replaced. */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        close(fd);
        mvReportError(MV_ERR_INTERNAL_ERROR, "Failed to bind socket to '%s': another daemon is listening", path);
        return -1;
    }
    close(fd);
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        mvReportSystemError(errno, "%s", "Failed to create socket");
        return -1;
    }
    old = umask(~perms & 0777);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        umask(old);
        close(fd);
        mvReportSystemError(e, "Failed to bind socket to '%s'", path);
        return -1;
    }
    umask(old);
    if (chmod(path, perms) < 0 ||
        (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0)) {
        int e = errno;
        close(fd);
        mvReportSystemError(e, "Failed to set permissions of socket '%s'", path);
        return -1;
    }
    if (listen(fd, 30) < 0) {
        int e = errno;
        close(fd);
        mvReportSystemError(e, "Failed to listen on socket '%s'", path);
        return -1;
    }
    g_ptr_array_add(d->boundPaths, g_strdup(path));
    return fd;
}

static mvRpcServer *
daemonServerFor(mvDaemon *d, int cls)
{
    return cls == MV_RPC_SOCK_ADMIN ? d->adminServer : d->server;
}

static int
daemonSetupSockets(mvDaemon *d)
{
    char **names = NULL;
    int n = sd_listen_fds_with_names(1, &names);
    gid_t gid = (gid_t)-1;
    const char *suffix[MV_RPC_SOCK_LAST] = { "-sock", "-sock-ro", "-admin-sock" };
    unsigned int perms[MV_RPC_SOCK_LAST] = {
        d->cfg.unixSockRwPerms, d->cfg.unixSockRoPerms, d->cfg.unixSockAdminPerms
    };
    gboolean have[MV_RPC_SOCK_LAST] = { FALSE, FALSE, FALSE };

    if (n > 0) {
        for (int i = 0; i < n; i++) {
            int fd = SD_LISTEN_FDS_START + i;
            int cls = -1;
            if (names && names[i] && strcmp(names[i], "unknown") != 0)
                cls = socketClassFromName(d->spec->name, names[i]);
            if (cls < 0)
                cls = socketClassFromFd(d->spec->name, fd);
            if (cls < 0) {
                MV_WARN("ignoring inherited fd %d named '%s'", fd,
                        names && names[i] ? names[i] : "?");
                continue;
            }
            if (mvRpcServerAddListener(daemonServerFor(d, cls), fd, cls) < 0)
                goto error;
            have[cls] = TRUE;
            MV_INFO("using activated socket fd %d (%s) as class %d", fd,
                    names && names[i] ? names[i] : "?", cls);
        }
        g_strfreev(names);
        names = NULL;
        /* Like libvirt: if systemd handed us sockets, we do not bind others. */
        return 0;
    }
    g_strfreev(names);

    if (d->cfg.unixSockGroup) {
        struct group *gr = getgrnam(d->cfg.unixSockGroup);
        if (!gr) {
            mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "Failed to parse group '%s'",
                          d->cfg.unixSockGroup);
            return -1;
        }
        gid = gr->gr_gid;
    }
    if (mvFileMakePath(d->cfg.unixSockDir, 0755) < 0)
        return -1;
    for (int cls = 0; cls < MV_RPC_SOCK_LAST; cls++) {
        g_autofree char *path = NULL;
        int fd;
        if (have[cls])
            continue;
        path = g_strdup_printf("%s/%s%s", d->cfg.unixSockDir, d->spec->name, suffix[cls]);
        if ((fd = daemonBindSocket(d, path, perms[cls], gid)) < 0)
            return -1;
        if (mvRpcServerAddListener(daemonServerFor(d, cls), fd, cls) < 0)
            return -1;
    }
    return 0;

 error:
    g_strfreev(names);
    return -1;
}

/* ---- pid file --------------------------------------------------------- */

static int
daemonWritePidFile(mvDaemon *d)
{
    g_autofree char *dir = g_path_get_dirname(d->pidFile);
    g_autofree char *pid = g_strdup_printf("%lld\n", (long long)getpid());
    int fd;

    if (mvFileMakePath(dir, 0755) < 0)
        return -1;
    fd = open(d->pidFile, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        mvReportSystemError(errno, "Failed to open pid file '%s'", d->pidFile);
        return -1;
    }
    if (lockf(fd, F_TLOCK, 0) < 0) {
        int e = errno;
        close(fd);
        mvReportSystemError(e, "Failed to acquire pid file '%s'", d->pidFile);
        return -1;
    }
    if (ftruncate(fd, 0) < 0 || write(fd, pid, strlen(pid)) != (ssize_t)strlen(pid)) {
        int e = errno;
        close(fd);
        mvReportSystemError(e, "Failed to write pid file '%s'", d->pidFile);
        return -1;
    }
    d->pidFd = fd;
    return 0;
}

/* ---- signals and idle ------------------------------------------------- */

static gboolean
onQuitSignal(gpointer opaque)
{
    mvDaemon *d = opaque;
    MV_INFO("%s", "received termination signal, shutting down");
    g_main_loop_quit(d->loop);
    return G_SOURCE_CONTINUE;
}

static gboolean
onHangup(gpointer opaque)
{
    mvDaemon *d = opaque;
    mvDaemonConfig fresh;

    MV_INFO("%s", "received SIGHUP, reloading configuration");
    if (daemonLoadConfig(d, FALSE, &fresh) < 0) {
        g_autoptr(mvError) err = mvErrorSteal();
        MV_ERROR("reload failed, keeping the previous configuration: %s",
                 err ? err->message : "?");
        mvDaemonConfigClear(&fresh);
        return G_SOURCE_CONTINUE;
    }
    /* Socket paths and perms only change on restart; the rest applies now. */
    g_free(fresh.unixSockDir);
    fresh.unixSockDir = g_strdup(d->cfg.unixSockDir);
    mvDaemonConfigClear(&d->cfg);
    d->cfg = fresh;
    if (daemonApplyLogging(d) < 0) {
        g_autoptr(mvError) err = mvErrorSteal();
        MV_ERROR("bad logging settings: %s", err ? err->message : "?");
    }
    mvRpcServerUpdateConfig(d->server, &d->cfg.rpc);
    if (d->spec->reload)
        d->spec->reload(d);
    return G_SOURCE_CONTINUE;
}

static gboolean
idleCheck(gpointer opaque)
{
    mvDaemon *d = opaque;
    gint64 now = g_get_monotonic_time();

    if (g_atomic_int_get(&d->timeout) <= 0) {
        d->idleSince = now;
        return G_SOURCE_CONTINUE;
    }
    gboolean idle = mvRpcServerClientCount(d->server) == 0 &&
                    mvRpcServerClientCount(d->adminServer) == 0 &&
                    !(d->spec->busy && d->spec->busy(d));

    if (!idle) {
        d->idleSince = now;
        return G_SOURCE_CONTINUE;
    }
    if (now - d->idleSince >= (gint64)d->timeout * G_USEC_PER_SEC) {
        MV_INFO("idle for %d seconds, exiting", d->timeout);
        g_main_loop_quit(d->loop);
    }
    return G_SOURCE_CONTINUE;
}

/* ---- main ------------------------------------------------------------- */

int
mvDaemonMain(const mvDaemonSpec *spec, int argc, char **argv)
{
    g_autoptr(GOptionContext) octx = NULL;
    g_autoptr(GError) gerr = NULL;
    gboolean version = FALSE, daemonize = FALSE;
    char *configOpt = NULL, *pidOpt = NULL;
    int timeout = 0;
    mvDaemon d = { .spec = spec, .pidFd = -1 };
    int ret = 1;
    GOptionEntry entries[] = {
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &d.verbose, "Verbose messages", NULL },
        { "daemon", 'd', 0, G_OPTION_ARG_NONE, &daemonize, "Run as a daemon & write PID file", NULL },
        { "timeout", 't', 0, G_OPTION_ARG_INT, &timeout, "Exit after timeout period", "SECS" },
        { "config", 'f', 0, G_OPTION_ARG_FILENAME, &configOpt, "Configuration file", "FILE" },
        { "pid-file", 'p', 0, G_OPTION_ARG_FILENAME, &pidOpt, "Change name of PID file", "FILE" },
        { "version", 'V', 0, G_OPTION_ARG_NONE, &version, "Display version information", NULL },
        { NULL }
    };

    signal(SIGPIPE, SIG_IGN);
    octx = g_option_context_new(NULL);
    g_option_context_add_main_entries(octx, entries, NULL);
    if (!g_option_context_parse(octx, &argc, &argv, &gerr)) {
        fprintf(stderr, "%s: %s\n", spec->name, gerr->message);
        return 2;
    }
    if (version) {
        printf("%s (modvirt) %d.%d.%d\n", spec->name, MODVIRT_VERSION_NUMBER / 1000000,
               (MODVIRT_VERSION_NUMBER / 1000) % 1000, MODVIRT_VERSION_NUMBER % 1000);
        return 0;
    }
    if (timeout < 0) {
        fprintf(stderr, "%s: Invalid value for timeout\n", spec->name);
        return 2;
    }
    d.timeout = timeout;
    d.privileged = geteuid() == 0;
    d.paths = mvPathsNew(d.privileged);
    d.boundPaths = g_ptr_array_new_with_free_func(g_free);
    d.configFile = configOpt ? g_strdup(configOpt) : mvPathsDaemonConfig(d.paths, spec->name);
    if (pidOpt)
        d.pidFile = g_strdup(pidOpt);
    else if (d.privileged) {
        g_autofree char *p = g_strdup_printf("/run/%s.pid", spec->name);
        d.pidFile = mvPathsRooted(d.paths, p);
    } else
        d.pidFile = g_strdup_printf("%s/%s.pid", d.paths->runDir, spec->name);

    if (daemonLoadConfig(&d, configOpt != NULL, &d.cfg) < 0)
        goto error;
    if (daemonApplyLogging(&d) < 0)
        goto error;

    if (daemonize) {
        if (daemon(0, 0) < 0) {
            mvReportSystemError(errno, "%s", "Failed to fork as daemon");
            goto error;
        }
    }
    if (mvFileMakePath(d.paths->runDir, 0755) < 0)
        goto error;
    if (daemonWritePidFile(&d) < 0)
        goto error;

    d.loop = g_main_loop_new(NULL, FALSE);
    d.server = mvRpcServerNew(spec->name, &d.cfg.rpc, &spec->hooks);
    d.adminServer = mvRpcServerNew("admin", &d.cfg.rpc, &spec->hooks);
    for (size_t i = 0; spec->programs && spec->programs[i]; i++)
        mvRpcServerAddProgram(d.server, spec->programs[i]);
    for (size_t i = 0; spec->adminPrograms && spec->adminPrograms[i]; i++)
        mvRpcServerAddProgram(d.adminServer, spec->adminPrograms[i]);

    if (spec->init && spec->init(&d) < 0)
        goto error;
    if (daemonSetupSockets(&d) < 0)
        goto error;
    if (mvRpcServerStart(d.server) < 0 || mvRpcServerStart(d.adminServer) < 0)
        goto error;

    g_unix_signal_add(SIGTERM, onQuitSignal, &d);
    g_unix_signal_add(SIGINT, onQuitSignal, &d);
    g_unix_signal_add(SIGHUP, onHangup, &d);
    d.idleSince = g_get_monotonic_time();
    g_timeout_add_seconds(1, idleCheck, &d);
    currentDaemon = &d;
    sd_notify(0, "READY=1");
    MV_INFO("%s started (pid %d)", spec->name, (int)getpid());
    g_main_loop_run(d.loop);
    sd_notify(0, "STOPPING=1");
    ret = 0;
    goto cleanup;

 error:
    {
        g_autoptr(mvError) err = mvErrorSteal();
        fprintf(stderr, "%s: error: %s\n", spec->name,
                err && err->message ? err->message : "initialization failed");
        MV_ERROR("initialization failed: %s", err && err->message ? err->message : "?");
    }

 cleanup:
    currentDaemon = NULL;
    if (d.server)
        mvRpcServerShutdown(d.server);
    if (d.adminServer)
        mvRpcServerShutdown(d.adminServer);
    if (spec->cleanup)
        spec->cleanup(&d);
    mvRpcServerFree(d.server);
    mvRpcServerFree(d.adminServer);
    for (guint i = 0; i < d.boundPaths->len; i++)
        unlink(g_ptr_array_index(d.boundPaths, i));
    g_ptr_array_free(d.boundPaths, TRUE);
    if (d.pidFd >= 0) {
        unlink(d.pidFile);
        close(d.pidFd);
    }
    if (d.loop)
        g_main_loop_unref(d.loop);
    mvDaemonConfigClear(&d.cfg);
    mvPathsFree(d.paths);
    g_free(d.configFile);
    g_free(d.pidFile);
    g_free(configOpt);
    g_free(pidOpt);
    return ret;
}

int
mvDaemonSetTimeout(unsigned int timeout)
{
    if (!currentDaemon) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "daemon is not running");
        return -1;
    }
    if (timeout > G_MAXINT) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "timeout is too large");
        return -1;
    }
    currentDaemon->idleSince = g_get_monotonic_time();
    g_atomic_int_set(&currentDaemon->timeout, (int)timeout);
    return 0;
}
