/* The QMP monitor client: one JSON line per message over QEMU's UNIX socket,
 * watched on the daemon's main loop.
 *
 * Threading: all socket I/O of an open monitor happens in the thread that
 * runs @ctx (the main loop).  Commands are issued from any other thread (the
 * worker pool); they queue the request for the main loop and sleep on a
 * condition variable until the reply with their "id" arrives, the monitor
 * dies, or the timeout passes.  One command is in flight at a time.
 *
 * Everything QEMU sends is treated as hostile: lines longer than the buffer
 * limit, nesting deeper than the parser limit, bytes that are not JSON, JSON
 * that is not an object, or an unknown message kind mark the monitor dead
 * with a protocol error (the eof callback gets its text).  Replies whose "id"
 * matches no waiting command are dropped. */
#pragma once
#include <glib.h>
#include <sys/types.h>
#include <json-c/json.h>

typedef struct qemuMonitor qemuMonitor;

typedef struct qemuMonitorCallbacks {
    /* The socket closed or broke: @error is NULL for a plain EOF, or the
     * message of the protocol violation / I/O error.  Called at most once, in
     * the main loop thread, never after qemuMonitorClose() returned. */
    void (*eof)(qemuMonitor *mon, const char *error, void *opaque);
    /* An asynchronous QMP event {"event": NAME, "data": {...}, "timestamp": ...}.
     * @data is borrowed (valid during the call; json_object_get() to keep it)
     * and NULL when the event has no "data" object.  Main loop thread. */
    void (*event)(qemuMonitor *mon, const char *name, json_object *data, void *opaque);
} qemuMonitorCallbacks;

/* Timeout the typed helpers below use (per command), see
 * qemuMonitorSetCommandTimeout(). */
#define QEMU_MONITOR_COMMAND_TIMEOUT_MS 60000
/* Longest message QEMU may send (bytes, including a partial line kept in
 * the buffer); beyond it the monitor is closed with a protocol error. */
#define QEMU_MONITOR_MAX_LINE (64 * 1024 * 1024)
/* Deepest JSON nesting accepted from QEMU. */
#define QEMU_MONITOR_JSON_DEPTH 64

/* Connect to QEMU's QMP UNIX socket @path (retrying while it does not exist
 * yet or refuses, until @timeoutMs passes; giving up early when @pid > 0 has
 * exited), read the {"QMP": ...} greeting and run qmp_capabilities, then
 * watch the socket on @ctx (NULL: the global default context).  Callable
 * from any thread, including @ctx's own.  Returns NULL + error. */
qemuMonitor *qemuMonitorOpen(const char *path, pid_t pid, int timeoutMs, GMainContext *ctx,
                             const qemuMonitorCallbacks *cb, void *opaque);
/* The same on an already-connected stream socket @fd, which is taken over
 * (closed on failure too). */
qemuMonitor *qemuMonitorOpenFD(int fd, int timeoutMs, GMainContext *ctx,
                               const qemuMonitorCallbacks *cb, void *opaque);

/* Stop watching, close the socket, fail waiting commands with "QEMU monitor
 * was closed", and drop the caller's reference.  NULL is a no-op.  Safe from
 * any thread (including from inside a callback).  No callback starts after
 * it returns; a callback already running in the main loop thread at that
 * moment is not waited for (so the caller may hold locks that callbacks
 * take) -- callbacks should check, under their own lock, that @mon is still
 * the monitor they expect. */
void qemuMonitorClose(qemuMonitor *mon);

/* Extra references, so a worker can keep @mon valid across a command while
 * another thread may close it.  Unref never closes the socket by itself
 * unless it drops the last reference. */
qemuMonitor *qemuMonitorRef(qemuMonitor *mon);
void qemuMonitorUnref(qemuMonitor *mon);

/* FALSE once closed, after EOF, or after a protocol error. */
gboolean qemuMonitorIsAlive(qemuMonitor *mon);
/* The greeting's "QMP" object (borrowed, never NULL on an open monitor). */
json_object *qemuMonitorGetGreeting(qemuMonitor *mon);
/* Timeout of the typed helpers (ms, > 0). */
void qemuMonitorSetCommandTimeout(qemuMonitor *mon, int timeoutMs);

/* Run @cmd with @args (taken over; NULL for none) from any thread but the
 * main loop's; wait for the reply matching its id.  timeoutMs <= 0 means
 * the monitor's command timeout.  On success *@reply (when @reply is not
 * NULL) receives the "return" value (owned by the caller).  Errors:
 *   QMP {"error": ...}    MV_ERR_INTERNAL_ERROR "unable to execute QEMU command '%s': %s"
 *   timeout               MV_ERR_OPERATION_TIMEOUT
 *   EOF                   MV_ERR_OPERATION_FAILED "End of file from qemu monitor"
 *   protocol violation    MV_ERR_INTERNAL_ERROR with its description
 *   closed / NULL monitor MV_ERR_OPERATION_INVALID "QEMU monitor was closed" /
 *                         MV_ERR_INVALID_ARG "monitor must not be NULL" */
int qemuMonitorCommand(qemuMonitor *mon, const char *cmd, json_object *args,
                       json_object **reply, int timeoutMs);
/* Same, passing @fd (not taken over) with the command (SCM_RIGHTS). */
int qemuMonitorCommandWithFD(qemuMonitor *mon, const char *cmd, json_object *args, int fd,
                             json_object **reply, int timeoutMs);
/* `virsh qemu-monitor-command`: @json is a whole command object; returns the
 * whole reply object as text (QMP errors included, as libvirt does).  The
 * monitor's own "id" is used on the wire; a caller-supplied "id" is put back
 * into the reply. */
char *qemuMonitorCommandRaw(qemuMonitor *mon, const char *json, int timeoutMs);
/* `virsh qemu-monitor-command --hmp`, via human-monitor-command: the output text. */
char *qemuMonitorCommandHMP(qemuMonitor *mon, const char *hmp, int timeoutMs);

/* ---- typed helpers: -1 + error on failure or on a reply of unexpected shape */
int qemuMonitorCont(qemuMonitor *mon);
int qemuMonitorStop(qemuMonitor *mon);
int qemuMonitorSystemPowerdown(qemuMonitor *mon);
int qemuMonitorSystemReset(qemuMonitor *mon);
/* "quit"; EOF before the reply counts as success. */
int qemuMonitorQuit(qemuMonitor *mon);

/* *status: QEMU's RunState ("running", "paused", "prelaunch", ...). */
int qemuMonitorQueryStatus(qemuMonitor *mon, char **status, gboolean *running);
/* query-cpus-fast: *threadIds is a GArray of gint indexed by "cpu-index"
 * (0 for an index QEMU did not report). */
int qemuMonitorQueryCpusFast(qemuMonitor *mon, GArray **threadIds);

int qemuMonitorQueryBalloon(qemuMonitor *mon, unsigned long long *actualKiB);
int qemuMonitorSetBalloon(qemuMonitor *mon, unsigned long long kib);
/* Balloon statistics polling period (qom-set guest-stats-polling-interval on
 * the balloon device found under /machine/peripheral{,-anon}); 0 disables. */
int qemuMonitorSetMemoryStatsPeriod(qemuMonitor *mon, int secs);
/* Guest balloon statistics (qom-get guest-stats).  Keys are libvirt's memory
 * stat tags: "swap_in", "swap_out", "major_fault", "minor_fault", "unused",
 * "available", "usable", "disk_caches", "hugetlb_pgalloc", "hugetlb_pgfail",
 * "last_update"; values are guint64 * (sizes in KiB).  Stats the guest does
 * not report are absent. */
int qemuMonitorGetMemoryStats(qemuMonitor *mon, GHashTable **stats);

/* Chardev label ("charserial0") -> pty path ("/dev/pts/3"), pty chardevs only. */
int qemuMonitorQueryChardev(qemuMonitor *mon, GHashTable **ptyByAlias);
/* VNC TCP port, or -1 when VNC is disabled or not on TCP. */
int qemuMonitorQueryVNC(qemuMonitor *mon, int *port);

typedef struct qemuMonitorBlockStats {
    long long rd_bytes;
    long long wr_bytes;
    long long rd_req;            /* rd_operations */
    long long wr_req;            /* wr_operations */
    long long flush_req;         /* flush_operations */
    long long rd_total_times;    /* ns */
    long long wr_total_times;
    long long flush_total_times;
} qemuMonitorBlockStats;
/* query-blockstats: name -> qemuMonitorBlockStats * (each entry its own
 * copy).  Every entry is stored under its "device" (when not empty), its
 * "qdev", its "node-name", and, for a qdev "/machine/peripheral/ALIAS/...",
 * under ALIAS. */
int qemuMonitorQueryBlockstats(qemuMonitor *mon, GHashTable **stats);

/* send-key with QEMU "number" keys (QEMU's qnum key codes); @holdtime in
 * ms, 0 for QEMU's default.  1..16 keys. */
int qemuMonitorSendKey(qemuMonitor *mon, unsigned int holdtime,
                       const unsigned int *keycodes, size_t nkeycodes);
/* The same with QEMU qcode names ("ctrl", "alt", "delete"). */
int qemuMonitorSendKeyQcodes(qemuMonitor *mon, unsigned int holdtime,
                             const char *const *qcodes, size_t nqcodes);
int qemuMonitorScreendump(qemuMonitor *mon, const char *file);

/* Hotplug.  @props are taken over. */
int qemuMonitorDeviceAdd(qemuMonitor *mon, json_object *props);
int qemuMonitorDeviceDel(qemuMonitor *mon, const char *id);
int qemuMonitorBlockdevAdd(qemuMonitor *mon, json_object *props);
int qemuMonitorBlockdevDel(qemuMonitor *mon, const char *nodeName);
int qemuMonitorNetdevAdd(qemuMonitor *mon, json_object *props);
int qemuMonitorNetdevDel(qemuMonitor *mon, const char *id);
/* getfd/closefd: pass @fd (not taken over) to QEMU under @name. */
int qemuMonitorGetFD(qemuMonitor *mon, int fd, const char *name);
int qemuMonitorCloseFD(qemuMonitor *mon, const char *name);

/* Removable media of device @id (the qdev id or QOM path of a cdrom). */
int qemuMonitorBlockdevChangeMedium(qemuMonitor *mon, const char *id, const char *filename,
                                    const char *format);
int qemuMonitorBlockdevOpenTray(qemuMonitor *mon, const char *id, gboolean force);
int qemuMonitorBlockdevCloseTray(qemuMonitor *mon, const char *id);
int qemuMonitorBlockdevRemoveMedium(qemuMonitor *mon, const char *id);
int qemuMonitorBlockdevInsertMedium(qemuMonitor *mon, const char *id, const char *nodeName);

typedef struct qemuMonitorHotpluggableCPU {
    char *type;          /* "qemu64-x86_64-cpu" */
    int vcpus;           /* "vcpus-count" */
    char *qomPath;       /* NULL when not plugged */
    json_object *props;  /* "props" (socket-id, core-id, thread-id, ...), owned */
} qemuMonitorHotpluggableCPU;
void qemuMonitorHotpluggableCPUFree(qemuMonitorHotpluggableCPU *cpu);
/* query-hotpluggable-cpus: GPtrArray of qemuMonitorHotpluggableCPU * (frees its elements). */
int qemuMonitorQueryVcpusHotpluggable(qemuMonitor *mon, GPtrArray **cpus);
