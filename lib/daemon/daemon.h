/* What every daemon's main() shares: options, config file, logging set-up,
 * sockets (socket activation or bound here), pid file, signals, idle exit. */
#pragma once
#include <glib.h>
#include "rpc/server.h"
#include "util/paths.h"
#include "util/conf.h"

typedef struct mvDaemon mvDaemon;

typedef struct mvDaemonConfig {
    char *unixSockGroup;
    unsigned int unixSockRoPerms;     /* 0777 */
    unsigned int unixSockRwPerms;     /* 0700 */
    unsigned int unixSockAdminPerms;  /* 0700 */
    char *unixSockDir;
    mvRpcServerConfig rpc;
    int logLevel;
    char *logFilters;
    char *logOutputs;
} mvDaemonConfig;

typedef struct mvDaemonSpec {
    const char *name;                 /* "virtqemud": socket, config and unit names */
    const mvProgramInfo *const *programs;   /* NULL-terminated, served on rw/ro sockets */
    const mvProgramInfo *const *adminPrograms; /* NULL-terminated, admin socket */
    mvRpcClientHooks hooks;
    /* Called once config and paths are known, before sockets accept. */
    int (*init)(mvDaemon *daemon);
    /* SIGHUP, after the config was re-read. */
    void (*reload)(mvDaemon *daemon);
    /* Before exit, after clients are gone. */
    void (*cleanup)(mvDaemon *daemon);
    /* TRUE while something (running guests) must keep the daemon from idling out. */
    gboolean (*busy)(mvDaemon *daemon);
} mvDaemonSpec;

/* Parse argv, load config, run until SIGTERM/SIGINT or idle timeout. Returns the exit code. */
int mvDaemonMain(const mvDaemonSpec *spec, int argc, char **argv);

const mvPaths *mvDaemonGetPaths(mvDaemon *daemon);
const mvDaemonConfig *mvDaemonGetConfig(mvDaemon *daemon);
mvRpcServer *mvDaemonGetServer(mvDaemon *daemon);
const char *mvDaemonGetName(mvDaemon *daemon);
gboolean mvDaemonIsPrivileged(mvDaemon *daemon);
/* Change the idle timeout of the running daemon (0 = never); admin API. */
int mvDaemonSetTimeout(unsigned int timeout);
/* Ask the main loop to stop (thread safe). */
void mvDaemonQuit(mvDaemon *daemon);

/* Exposed for tests: fill @cfg from @conf; -1 + error on a bad value. */
void mvDaemonConfigInit(mvDaemonConfig *cfg, const mvPaths *paths);
int mvDaemonConfigLoad(mvDaemonConfig *cfg, mvConf *conf);
void mvDaemonConfigClear(mvDaemonConfig *cfg);
