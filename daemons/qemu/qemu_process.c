#define MV_FROM_THIS MV_FROM_QEMU
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "qemu_process.h"
#include "qemu_driver.h"
#include "qemu_command.h"
#include "qemu_monitor.h"
#include "qemu_hotplug.h"
#include "remote/remote.h"
#include "rpc/stream.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/process.h"
#include "util/qemucaps.h"
#include "util/uuid.h"
#include "xmlutil.h"

#define MONITOR_OPEN_TIMEOUT_MS 30000
#define STATUS_MAX_SIZE (16 * 1024 * 1024)

static gint nextDomainId = 1;

/* ---- events from QEMU -------------------------------------------------------
 * The monitor reports on the main loop thread, which must never wait for a
 * domain lock (a worker holding it may be waiting for a monitor reply read by
 * that very thread).  Reports are handed to one event thread, in order. */

typedef enum { QEMU_EV_EOF, QEMU_EV_QMP } qemuEventKind;

typedef struct qemuEvent {
    qemuEventKind kind;
    qemuDomainObj *obj;
    qemuMonitor *mon;
    char *name;
    json_object *data;
    char *error;
} qemuEvent;

static GThreadPool *eventPool;

static void
qemuEventFree(qemuEvent *ev)
{
    qemuDomainObjUnref(ev->obj);
    g_free(ev->name);
    g_free(ev->error);
    if (ev->data)
        json_object_put(ev->data);
    g_free(ev);
}

static void eventRun(gpointer data, gpointer user);

static void
queueEvent(qemuEvent *ev)
{
    static GMutex poolLock;

    g_mutex_lock(&poolLock);
    if (!eventPool)
        eventPool = g_thread_pool_new(eventRun, NULL, 1, FALSE, NULL);
    g_mutex_unlock(&poolLock);
    g_thread_pool_push(eventPool, ev, NULL);
}

static void
monitorEOF(qemuMonitor *mon, const char *error, void *opaque)
{
    qemuEvent *ev = g_new0(qemuEvent, 1);
    ev->kind = QEMU_EV_EOF;
    ev->obj = qemuDomainObjRef(opaque);
    ev->mon = mon;
    ev->error = g_strdup(error);
    queueEvent(ev);
}

static void
monitorEvent(qemuMonitor *mon, const char *name, json_object *data, void *opaque)
{
    qemuEvent *ev = g_new0(qemuEvent, 1);
    ev->kind = QEMU_EV_QMP;
    ev->obj = qemuDomainObjRef(opaque);
    ev->mon = mon;
    ev->name = g_strdup(name);
    ev->data = data ? json_object_get(data) : NULL;
    queueEvent(ev);
}

static const qemuMonitorCallbacks monitorCallbacks = {
    .eof = monitorEOF,
    .event = monitorEvent,
};

void
qemuDomainEventReboot(qemuDomainObj *obj)
{
    remote_domain_event_callback_reboot_msg msg = { 0 };

    mvRemoteMakeDomain(&msg.msg.dom, obj->def->name, obj->def->uuid, obj->def->id);
    mvRemoteEmitDomainEvent(1 /* VIR_DOMAIN_EVENT_ID_REBOOT */, obj->def->uuid,
                            REMOTE_PROC_DOMAIN_EVENT_CALLBACK_REBOOT,
                            (xdrproc_t)xdr_remote_domain_event_callback_reboot_msg,
                            &msg, &msg.callbackID);
    g_free(msg.msg.dom.name);
}

static void
setState(qemuDomainObj *obj, int state, int reason)
{
    obj->state = state;
    obj->reason = reason;
}

static const char *
actionFor(qemuDomainObj *obj, gboolean reset)
{
    const char *a = reset ? obj->def->onReboot : obj->def->onPoweroff;
    if (!a)
        return reset ? "restart" : "destroy";
    return a;
}

/* The guest powered off (or reset with on_reboot=destroy): apply the action. */
static void
handleShutdown(qemuDomainObj *obj, json_object *data)
{
    json_object *v;
    gboolean guest = FALSE;
    gboolean reset = FALSE;
    const char *action;

    if (data && json_object_object_get_ex(data, "guest", &v))
        guest = json_object_get_boolean(v);
    if (data && json_object_object_get_ex(data, "reason", &v) &&
        json_object_is_type(v, json_type_string))
        reset = strcmp(json_object_get_string(v), "guest-reset") == 0;

    obj->gotShutdown = TRUE;
    action = actionFor(obj, reset);
    if (obj->fakeReboot || (!reset && strcmp(action, "restart") == 0)) {
        /* a "reboot" that keeps the QEMU process: reset and run again */
        qemuMonitor *mon = obj->mon ? qemuMonitorRef(obj->mon) : NULL;
        int rc = -1;
        obj->fakeReboot = FALSE;
        obj->gotShutdown = FALSE;
        if (mon) {
            qemuDomainObjEnterMonitor(obj);
            rc = qemuMonitorSystemReset(mon);
            if (rc == 0)
                rc = qemuMonitorCont(mon);
            qemuDomainObjExitMonitor(obj);
            qemuMonitorUnref(mon);
        }
        if (rc < 0) {
            g_autoptr(mvError) err = mvErrorSteal();
            MV_WARN("domain %s: reboot failed: %s", obj->def->name, err ? err->message : "?");
            qemuProcessStop(obj, MV_SHUTOFF_CRASHED, MV_EVENT_STOPPED_FAILED);
        } else {
            setState(obj, MV_DOMAIN_RUNNING, MV_RUNNING_BOOTED);
            qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_RESUMED, MV_EVENT_RESUMED_UNPAUSED);
            qemuProcessSaveStatus(obj);
        }
        return;
    }

    setState(obj, MV_DOMAIN_SHUTDOWN, MV_SHUTDOWN_STATE_USER);
    qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_SHUTDOWN,
                             guest ? MV_EVENT_SHUTDOWN_GUEST : MV_EVENT_SHUTDOWN_HOST);
    if (strcmp(action, "preserve") == 0)
        return;
    if (strcmp(action, "restart") == 0 || strcmp(action, "restart-after-crash") == 0) {
        qemuProcessStop(obj, MV_SHUTOFF_SHUTDOWN, MV_EVENT_STOPPED_SHUTDOWN);
        if (!obj->removed && qemuProcessStart(obj, 0) < 0) {
            g_autoptr(mvError) err = mvErrorSteal();
            MV_WARN("domain %s: restart failed: %s", obj->def->name, err ? err->message : "?");
        }
        return;
    }
    qemuProcessStop(obj, MV_SHUTOFF_SHUTDOWN, MV_EVENT_STOPPED_SHUTDOWN);
}

static void
handleQmpEvent(qemuDomainObj *obj, const char *name, json_object *data)
{
    if (strcmp(name, "SHUTDOWN") == 0) {
        handleShutdown(obj, data);
    } else if (strcmp(name, "RESET") == 0) {
        qemuDomainEventReboot(obj);
    } else if (strcmp(name, "STOP") == 0) {
        if (obj->state == MV_DOMAIN_RUNNING) {
            setState(obj, MV_DOMAIN_PAUSED, MV_PAUSED_UNKNOWN);
            qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_SUSPENDED, MV_EVENT_SUSPENDED_PAUSED);
            qemuProcessSaveStatus(obj);
        }
    } else if (strcmp(name, "RESUME") == 0) {
        if (obj->state == MV_DOMAIN_PAUSED) {
            setState(obj, MV_DOMAIN_RUNNING, MV_RUNNING_UNPAUSED);
            qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_RESUMED, MV_EVENT_RESUMED_UNPAUSED);
            qemuProcessSaveStatus(obj);
        }
    } else if (strcmp(name, "GUEST_PANICKED") == 0) {
        const char *a = obj->def->onCrash ? obj->def->onCrash : "destroy";
        setState(obj, MV_DOMAIN_CRASHED, 1);
        qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_CRASHED, MV_EVENT_CRASHED_PANICKED);
        if (strcmp(a, "destroy") == 0 || strcmp(a, "coredump-destroy") == 0)
            qemuProcessStop(obj, MV_SHUTOFF_CRASHED, MV_EVENT_STOPPED_CRASHED);
        else if (g_str_has_prefix(a, "restart") || strcmp(a, "coredump-restart") == 0) {
            qemuProcessStop(obj, MV_SHUTOFF_CRASHED, MV_EVENT_STOPPED_CRASHED);
            if (!obj->removed && qemuProcessStart(obj, 0) < 0) {
                g_autoptr(mvError) err = mvErrorSteal();
                MV_WARN("domain %s: restart failed: %s", obj->def->name, err ? err->message : "?");
            }
        }
    } else if (strcmp(name, "BLOCK_IO_ERROR") == 0) {
        json_object *v;
        if (data && json_object_object_get_ex(data, "action", &v) &&
            strcmp(json_object_get_string(v), "stop") == 0 && obj->state == MV_DOMAIN_RUNNING) {
            setState(obj, MV_DOMAIN_PAUSED, MV_PAUSED_IOERROR);
            qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_SUSPENDED, MV_EVENT_SUSPENDED_IOERROR);
        }
    } else {
        extern void qemuDomainHandleDeviceEvent(qemuDomainObj *obj, const char *name,
                                                json_object *data) __attribute__((weak));
        if (qemuDomainHandleDeviceEvent)
            qemuDomainHandleDeviceEvent(obj, name, data);
    }
}

static void
eventRun(gpointer data, gpointer user)
{
    qemuEvent *ev = data;
    qemuDomainObj *obj = ev->obj;

    g_mutex_lock(&obj->lock);
    if (obj->removed || obj->mon != ev->mon || !qemuDomainObjIsActive(obj))
        goto out;
    if (ev->kind == QEMU_EV_QMP && (strcmp(ev->name, "STOP") == 0 ||
                                    strcmp(ev->name, "RESUME") == 0) && obj->job) {
        /* the API call that caused it records the state and the event itself */
        goto out;
    }
    if (obj->beingDestroyed)
        goto out;
    if (qemuDomainObjBeginJob(obj) < 0) {
        g_autoptr(mvError) err = mvErrorSteal();
        MV_WARN("domain %s: dropping QEMU event: %s", obj->def->name, err ? err->message : "?");
        goto out;
    }
    if (obj->mon == ev->mon && qemuDomainObjIsActive(obj)) {
        if (ev->kind == QEMU_EV_EOF) {
            if (ev->error)
                MV_WARN("domain %s: monitor failed: %s", obj->def->name, ev->error);
            for (int i = 0; ev->error && i < 50 && mvProcessIsAlive(obj->pid); i++)
                g_usleep(10 * 1000);
            if (ev->error && mvProcessIsAlive(obj->pid)) {
                /* a monitor speaking garbage: the guest cannot be managed any more */
                qemuProcessStop(obj, MV_SHUTOFF_FAILED, MV_EVENT_STOPPED_FAILED);
            } else if (obj->gotShutdown) {
                qemuProcessStop(obj, MV_SHUTOFF_SHUTDOWN, MV_EVENT_STOPPED_SHUTDOWN);
            } else {
                qemuProcessStop(obj, MV_SHUTOFF_CRASHED, MV_EVENT_STOPPED_FAILED);
            }
        } else {
            handleQmpEvent(obj, ev->name, ev->data);
        }
    }
    qemuDomainObjEndJob(obj);
 out:
    g_mutex_unlock(&obj->lock);
    qemuEventFree(ev);
}

void
qemuProcessShutdown(void)
{
    if (eventPool) {
        g_thread_pool_free(eventPool, FALSE, TRUE);
        eventPool = NULL;
    }
}

/* ---- status file ---------------------------------------------------------- */

static char *
statusPath(const char *name)
{
    return g_strdup_printf("%s/%s.xml", qemu_driver->runDir, name);
}

static const char *const stateNames[] = {
    "nostate", "running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended"
};

int
qemuProcessSaveStatus(qemuDomainObj *obj)
{
    g_autofree char *xml = NULL;
    g_autofree char *path = statusPath(obj->def->name);
    g_autoptr(GString) buf = g_string_new(NULL);
    g_auto(GStrv) lines = NULL;

    if (!qemuDomainObjIsActive(obj))
        return 0;
    if (!(xml = mvDomainDefFormat(obj->def, MV_DOMAIN_XML_SECURE)))
        return -1;
    g_string_append_printf(buf, "<domstatus state='%s' reason='%d' pid='%d' starttime='%llu'>\n",
                           stateNames[obj->state < MV_DOMAIN_STATE_LAST ? obj->state : 0],
                           obj->reason, (int)obj->pid, obj->pidStart);
    g_string_append(buf, "  <monitor path='");
    mvXMLEscape(buf, obj->monitorPath);
    g_string_append(buf, "' type='unix'/>\n  <libDir path='");
    mvXMLEscape(buf, obj->libDir);
    g_string_append_printf(buf, "'/>\n  <persistent value='%d' autodestroy='%d'/>\n",
                           obj->persistent ? 1 : 0, obj->autoDestroy ? 1 : 0);
    lines = g_strsplit(xml, "\n", -1);
    for (size_t i = 0; lines[i]; i++) {
        if (*lines[i])
            g_string_append_printf(buf, "  %s\n", lines[i]);
    }
    g_string_append(buf, "</domstatus>\n");
    return mvFileWriteAtomic(path, buf->str, buf->len, 0600);
}

/* ---- start ------------------------------------------------------------------ */

static void
removeTree(const char *dir)
{
    g_autoptr(GDir) d = NULL;
    const char *ent;

    if (!dir || !(d = g_dir_open(dir, 0, NULL)))
        return;
    while ((ent = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, ent, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
            removeTree(p);
        else
            unlink(p);
    }
    rmdir(dir);
}

static char *
logPath(const char *name)
{
    return g_strdup_printf("%s/%s.log", qemu_driver->logDir, name);
}

static char *
logTimestamp(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *base = g_date_time_format(now, "%Y-%m-%d %H:%M:%S");
    return g_strdup_printf("%s.%03d+0000", base, g_date_time_get_microsecond(now) / 1000);
}

static int
openLog(qemuDomainObj *obj, off_t *startPos)
{
    g_autofree char *path = logPath(obj->def->name);
    int fd;

    if (mvFileMakePath(qemu_driver->logDir, 0700) < 0)
        return -1;
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        mvReportSystemError(errno, "failed to create logfile %s", path);
        return -1;
    }
    *startPos = lseek(fd, 0, SEEK_END);
    return fd;
}

static void
logWrite(int fd, const char *text)
{
    size_t len = strlen(text);
    while (len > 0) {
        ssize_t n = write(fd, text, len);
        if (n <= 0)
            return;
        text += n;
        len -= n;
    }
}

/* The last lines QEMU wrote since @pos, for error messages. */
static char *
logTail(const char *name, off_t pos)
{
    g_autofree char *path = logPath(name);
    g_autofree char *data = NULL;
    gsize len = 0;
    const char *p;

    if (!g_file_get_contents(path, &data, &len, NULL) || (gsize)pos >= len)
        return g_strdup("");
    p = data + pos;
    /* skip our own header (everything up to the command line's last line) */
    {
        const char *q = strstr(p, "\n-");
        const char *lastcmd = NULL;
        while (q) {
            lastcmd = q;
            q = strstr(q + 1, "\n-");
        }
        if (lastcmd && (q = strchr(lastcmd + 1, '\n')))
            p = q + 1;
    }
    if (strlen(p) > 1024)
        p += strlen(p) - 1024;
    return g_strstrip(g_strdup(p));
}

static const char *
emulatorFor(const mvDomainDef *def, char **alloc)
{
    if (def->emulator)
        return def->emulator;
    *alloc = mvQemuCapsFindEmulatorForArch(def->osArch ? def->osArch : "x86_64");
    return *alloc;
}

/* Fill pty paths of serials/consoles from query-chardev. */
static void
applyPtys(qemuDomainObj *obj, GHashTable *ptys)
{
    mvDomainDef *def = obj->def;
    mvDomainChrDef **lists[] = { def->serials, def->parallels, def->consoles, def->channels };
    size_t counts[] = { def->nserials, def->nparallels, def->nconsoles, def->nchannels };

    for (size_t l = 0; l < G_N_ELEMENTS(lists); l++) {
        for (size_t i = 0; i < counts[l]; i++) {
            mvDomainChrDef *chr = lists[l][i];
            g_autofree char *alias = NULL;
            const char *pty;

            if (!chr->type || strcmp(chr->type, "pty") != 0)
                continue;
            if (!(alias = qemuChardevAlias(def, chr)))
                continue;
            if ((pty = g_hash_table_lookup(ptys, alias))) {
                g_free(chr->sourcePath);
                chr->sourcePath = g_strdup(pty);
            }
        }
    }
    /* a serial console shares the first serial's pty */
    if (def->nconsoles > 0 && def->nserials > 0 && def->consoles[0]->type &&
        strcmp(def->consoles[0]->type, "pty") == 0 && def->serials[0]->sourcePath &&
        (!def->consoles[0]->targetType || strcmp(def->consoles[0]->targetType, "serial") == 0)) {
        g_free(def->consoles[0]->sourcePath);
        def->consoles[0]->sourcePath = g_strdup(def->serials[0]->sourcePath);
    }
}

static void
cleanupAfterFailedStart(qemuDomainObj *obj)
{
    if (obj->mon) {
        qemuMonitorClose(obj->mon);
        obj->mon = NULL;
    }
    if (obj->pid > 0) {
        mvProcessKill(obj->pid, 3000, FALSE);
        obj->pid = -1;
    }
    qemuDomainReleaseGraphicsPorts(obj->def);
    qemuInterfacesCleanup(obj->def);
    removeTree(obj->libDir);
    g_clear_pointer(&obj->libDir, g_free);
    g_clear_pointer(&obj->monitorPath, g_free);
    obj->def->id = -1;
    if (obj->newDef) {
        mvDomainDefFree(obj->def);
        obj->def = obj->newDef;
        obj->newDef = NULL;
    }
    setState(obj, MV_DOMAIN_SHUTOFF, MV_SHUTOFF_FAILED);
}

int
qemuProcessStart(qemuDomainObj *obj, unsigned int flags)
{
    g_autofree char *emuAlloc = NULL;
    g_autoptr(mvQemuCaps) caps = NULL;
    g_auto(GStrv) argv = NULL;
    g_auto(GStrv) envp = NULL;
    g_autofree char *cmdline = NULL;
    g_autofree char *header = NULL;
    g_autofree char *ts = NULL;
    g_autoptr(GHashTable) ptys = NULL;
    qemuCommandParams params = { 0 };
    GHashTable *tapFds = NULL;
    g_autofree int *keepfds = NULL;
    size_t nkeepfds = 0;
    qemuMonitor *mon;
    struct utsname uts;
    const char *emulator;
    int logfd = -1;
    off_t logStart = 0;
    int id;
    pid_t pid;
    char host[256] = "";

    if (qemuDomainObjIsActive(obj)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is already running");
        return -1;
    }
    if (!(emulator = emulatorFor(obj->def, &emuAlloc))) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED,
                      "unable to find any emulator to serve '%s' architecture",
                      obj->def->osArch ? obj->def->osArch : "x86_64");
        return -1;
    }
    if (!(caps = mvQemuCapsGet(emulator)))
        return -1;
    params.kvm = obj->def->virtType && strcmp(obj->def->virtType, "kvm") == 0;
    if (params.kvm && !caps->kvmSupported) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "Domain requires KVM, but it is not available. Check that virtualization is enabled in the host BIOS, and host configuration is setup to load the kvm modules.");
        return -1;
    }

    /* the persistent definition stays untouched while the guest runs */
    if (obj->persistent && !obj->newDef) {
        if (!(obj->newDef = mvDomainDefCopy(obj->def)))
            return -1;
    }
    id = g_atomic_int_add(&nextDomainId, 1);
    obj->libDir = g_strdup_printf("%s/domain-%d-%s", qemu_driver->stateDir, id, obj->def->name);
    obj->monitorPath = g_strdup_printf("%s/monitor.sock", obj->libDir);
    obj->gotShutdown = FALSE;
    obj->beingDestroyed = FALSE;
    obj->fakeReboot = FALSE;
    obj->autoDestroy = (flags & QEMU_START_AUTODESTROY) != 0;
    if (mvFileMakePath(obj->libDir, 0750) < 0)
        goto error;
    unlink(obj->monitorPath);

    params.emulator = emulator;
    params.monitorPath = obj->monitorPath;
    params.libDir = obj->libDir;
    params.id = id;
    if (qemuDomainPrepareForStart(obj->def, caps, &params) < 0)
        goto error;
    if (qemuInterfacesPrepare(obj->def, &tapFds) < 0)
        goto error;
    params.tapFds = tapFds;
    if (!(argv = qemuBuildCommandLine(obj->def, caps, &params)))
        goto error;
    envp = qemuBuildCommandEnv(obj->def, &params);
    cmdline = qemuBuildCommandLineStringEnv(envp, argv, TRUE);

    if ((logfd = openLog(obj, &logStart)) < 0)
        goto error;
    uname(&uts);
    gethostname(host, sizeof(host) - 1);
    ts = logTimestamp();
    header = g_strdup_printf("%s: starting up libvirt version: 9.0.0, package: modvirt, "
                             "qemu version: %u.%u.%u, kernel: %s, hostname: %s\n%s\n",
                             ts, caps->version / 1000000, (caps->version / 1000) % 1000,
                             caps->version % 1000, uts.release, host, cmdline);
    logWrite(logfd, header);

    keepfds = qemuInterfacesTapFdArray(tapFds, &nkeepfds);
    if (mvProcessSpawnDetached(argv, envp, logfd, keepfds, nkeepfds, &pid) < 0)
        goto error;
    qemuInterfacesCloseFds(g_steal_pointer(&tapFds));   /* QEMU has its copies */
    close(logfd);
    logfd = -1;
    obj->pid = pid;
    obj->pidStart = mvProcessStartTime(pid);
    obj->def->id = id;
    setState(obj, MV_DOMAIN_PAUSED, MV_PAUSED_STARTING_UP);
    MV_INFO("domain %s: started QEMU pid %d as id %d", obj->def->name, (int)pid, id);

    qemuDomainObjEnterMonitor(obj);
    mon = qemuMonitorOpen(obj->monitorPath, pid, MONITOR_OPEN_TIMEOUT_MS, qemu_driver->ctx,
                          &monitorCallbacks, obj);
    qemuDomainObjExitMonitor(obj);
    if (!mon) {
        g_autoptr(mvError) err = mvErrorSteal();
        g_autofree char *tail = NULL;
        gboolean exited = !mvProcessIsAlive(pid);
        mvProcessKill(pid, 1000, FALSE);
        tail = exited ? logTail(obj->def->name, logStart) : NULL;
        if (tail && *tail)
            mvReportError(MV_ERR_INTERNAL_ERROR, "process exited while connecting to monitor: %s",
                          tail);
        else
            mvErrorRestore(g_steal_pointer(&err));
        goto error;
    }
    obj->mon = mon;

    qemuDomainObjEnterMonitor(obj);
    /* with -no-shutdown QEMU pauses on guest poweroff and we apply
     * on_poweroff; a guest reboot only needs help when it must not restart */
    if (obj->def->onReboot && strcmp(obj->def->onReboot, "restart") != 0) {
        json_object *act = json_object_new_object();
        json_object_object_add(act, "reboot", json_object_new_string("shutdown"));
        if (qemuMonitorCommand(mon, "set-action", act, NULL, 0) < 0)
            mvErrorReset();
    }
    if (qemuMonitorQueryChardev(mon, &ptys) < 0)
        ptys = NULL;
    qemuDomainObjExitMonitor(obj);
    mvErrorReset();
    if (ptys)
        applyPtys(obj, ptys);

    if (!(flags & QEMU_START_PAUSED)) {
        int rc;
        qemuDomainObjEnterMonitor(obj);
        rc = qemuMonitorCont(mon);
        qemuDomainObjExitMonitor(obj);
        if (rc < 0)
            goto error;
        setState(obj, MV_DOMAIN_RUNNING, MV_RUNNING_BOOTED);
    } else {
        setState(obj, MV_DOMAIN_PAUSED, MV_PAUSED_USER);
    }
    if (qemuProcessSaveStatus(obj) < 0) {
        g_autoptr(mvError) err = mvErrorSteal();
        MV_WARN("domain %s: cannot save status: %s", obj->def->name, err ? err->message : "?");
    }
    qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_STARTED, MV_EVENT_STARTED_BOOTED);
    if (flags & QEMU_START_PAUSED)
        qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_SUSPENDED, MV_EVENT_SUSPENDED_PAUSED);
    return 0;

 error:
    {
        g_autoptr(mvError) err = mvErrorSteal();
        if (logfd >= 0)
            close(logfd);
        qemuInterfacesCloseFds(g_steal_pointer(&tapFds));
        cleanupAfterFailedStart(obj);
        mvErrorRestore(g_steal_pointer(&err));
    }
    return -1;
}

/* ---- stop ------------------------------------------------------------------- */

static const char *
shutoffReasonName(int reason)
{
    static const char *const names[] = { "unknown", "shutdown", "destroyed", "crashed",
                                         "migrated", "saved", "failed", "from-snapshot",
                                         "daemon" };
    return reason >= 0 && reason < (int)G_N_ELEMENTS(names) ? names[reason] : "unknown";
}

void
qemuProcessStop(qemuDomainObj *obj, int reason, int detail)
{
    g_autofree char *status = NULL;
    g_autofree char *ts = NULL;
    off_t pos;
    int logfd;
    qemuMonitor *mon = obj->mon;

    if (!qemuDomainObjIsActive(obj))
        return;
    obj->beingDestroyed = TRUE;
    obj->mon = NULL;
    if (obj->pid > 0) {
        qemuDomainObjEnterMonitor(obj);
        if (mvProcessKill(obj->pid, 10000, FALSE) < 0) {
            g_autoptr(mvError) err = mvErrorSteal();
            MV_WARN("domain %s: %s", obj->def->name, err ? err->message : "?");
        }
        qemuDomainObjExitMonitor(obj);
    }
    if (mon)
        qemuMonitorClose(mon);
    if (obj->console) {
        mvRpcStreamAbort(obj->console, NULL);
        mvRpcStreamUnref(obj->console);
        obj->console = NULL;
    }
    if ((logfd = openLog(obj, &pos)) >= 0) {
        g_autofree char *line = NULL;
        ts = logTimestamp();
        line = g_strdup_printf("%s: shutting down, reason=%s\n", ts, shutoffReasonName(reason));
        logWrite(logfd, line);
        close(logfd);
    } else {
        mvErrorReset();
    }
    status = statusPath(obj->def->name);
    unlink(status);
    qemuDomainReleaseGraphicsPorts(obj->def);
    qemuInterfacesCleanup(obj->def);
    removeTree(obj->libDir);
    g_clear_pointer(&obj->libDir, g_free);
    g_clear_pointer(&obj->monitorPath, g_free);
    obj->pid = -1;
    obj->pidStart = 0;
    obj->beingDestroyed = FALSE;
    obj->gotShutdown = FALSE;
    obj->fakeReboot = FALSE;
    setState(obj, MV_DOMAIN_SHUTOFF, reason);
    qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_STOPPED, detail);
    obj->def->id = -1;
    if (obj->newDef) {
        mvDomainDefFree(obj->def);
        obj->def = obj->newDef;
        obj->newDef = NULL;
    }
    if (!obj->persistent)
        qemuDomainObjListRemove(qemu_driver->domains, obj);
}

/* ---- reconnect ------------------------------------------------------------- */

static GPtrArray *pendingReconnects;

static void
reconnectOne(const char *path)
{
    g_autofree char *xml = NULL;
    g_autoptr(xmlDoc) doc = NULL;
    xmlNode *root, *node;
    g_autofree char *stateStr = NULL, *pidStr = NULL, *startStr = NULL, *reasonStr = NULL;
    g_autofree char *monPath = NULL, *libDir = NULL, *persistStr = NULL;
    mvDomainDef *def = NULL;
    qemuDomainObj *obj = NULL;
    unsigned long long start = 0;
    int pid = -1, reason = 0, state = MV_DOMAIN_RUNNING;

    if (!(xml = mvFileReadLimit(path, STATUS_MAX_SIZE, NULL)) ||
        !(doc = mvXMLParseString(xml, "(domain_status)")))
        goto broken;
    root = xmlDocGetRootElement(doc);
    if (!root || !mvXMLNodeIs(root, "domstatus"))
        goto broken;
    stateStr = mvXMLProp(root, "state");
    pidStr = mvXMLProp(root, "pid");
    startStr = mvXMLProp(root, "starttime");
    reasonStr = mvXMLProp(root, "reason");
    monPath = mvXMLChildProp(root, "monitor", "path");
    libDir = mvXMLChildProp(root, "libDir", "path");
    persistStr = mvXMLChildProp(root, "persistent", "value");
    if (!pidStr || mvStrToInt(pidStr, 10, &pid) < 0 || pid <= 0 || !monPath)
        goto broken;
    if (startStr)
        mvStrToULLong(startStr, 10, &start);
    if (reasonStr)
        mvStrToInt(reasonStr, 10, &reason);
    for (int i = 0; i < MV_DOMAIN_STATE_LAST; i++) {
        if (stateStr && strcmp(stateStr, stateNames[i]) == 0)
            state = i;
    }
    if (!(node = mvXMLChild(root, "domain")) ||
        !(def = mvDomainDefParseNode(node, MV_DOMAIN_DEF_PARSE_LIVE)))
        goto broken;

    if (!mvProcessIsAlive(pid) || (start && mvProcessStartTime(pid) != start)) {
        MV_INFO("domain %s: QEMU pid %d is gone; marking it shut off", def->name, pid);
        unlink(path);
        removeTree(libDir);
        if ((obj = qemuDomainObjListFindByUUID(qemu_driver->domains, def->uuid))) {
            /* it died while nobody watched: like libvirt, call it a crash */
            setState(obj, MV_DOMAIN_SHUTOFF, MV_SHUTOFF_CRASHED);
            qemuDomainObjEndAPI(&obj);
        }
        mvErrorReset();
        mvDomainDefFree(def);
        return;
    }

    {
        int id = def->id;
        g_autofree char *name = g_strdup(def->name);
        unsigned char uuid[MV_UUID_BUFLEN];
        memcpy(uuid, def->uuid, sizeof(uuid));

        obj = qemuDomainObjListFindByUUID(qemu_driver->domains, uuid);
        mvErrorReset();
        if (obj) {
            /* the persistent config is what was loaded from /etc; the live one is ours */
            mvDomainDefFree(obj->newDef);
            obj->newDef = obj->def;
            obj->def = def;
            def->id = id;
        } else {
            if (!(obj = qemuDomainObjListAddTransient(qemu_driver->domains, def))) {
                g_autoptr(mvError) err = mvErrorSteal();
                MV_ERROR("domain %s: cannot reattach: %s", name, err ? err->message : "?");
                mvDomainDefFree(def);
                return;
            }
            obj->def->id = id;
            obj->persistent = FALSE;
        }
        def = NULL;
        (void)persistStr;
        obj->pid = pid;
        obj->pidStart = start ? start : mvProcessStartTime(pid);
        obj->libDir = g_steal_pointer(&libDir);
        obj->monitorPath = g_strdup(monPath);
        setState(obj, state, reason);
        if (id >= g_atomic_int_get(&nextDomainId))
            g_atomic_int_set(&nextDomainId, id + 1);
        /* the monitor is reattached once the main loop runs; until then
         * this "job" keeps state changes waiting */
        obj->job = TRUE;
        g_ptr_array_add(pendingReconnects, qemuDomainObjRef(obj));
        qemuDomainObjEndAPI(&obj);
    }
    return;

 broken:
    {
        g_autoptr(mvError) err = mvErrorSteal();
        MV_ERROR("cannot read status file %s: %s", path, err ? err->message : "malformed");
    }
    mvDomainDefFree(def);
}

/* Reattach the monitor of a guest registered by reconnectOne (job held). */
static void
reconnectMonitor(qemuDomainObj *obj)
{
    qemuMonitor *mon;
    g_autofree char *monPath = g_strdup(obj->monitorPath);
    g_autofree char *name = g_strdup(obj->def->name);
    pid_t pid = obj->pid;

    qemuDomainObjEnterMonitor(obj);
    mon = qemuMonitorOpen(monPath, pid, 5000, qemu_driver->ctx, &monitorCallbacks, obj);
    qemuDomainObjExitMonitor(obj);
    if (!mon) {
        g_autoptr(mvError) err = mvErrorSteal();
        MV_ERROR("domain %s: cannot reconnect to the monitor (%s); stopping it", name,
                 err ? err->message : "?");
        qemuProcessStop(obj, MV_SHUTOFF_FAILED, MV_EVENT_STOPPED_FAILED);
        return;
    }
    obj->mon = mon;
    {
        g_autofree char *st = NULL;
        gboolean running = FALSE;
        int rc;
        qemuDomainObjEnterMonitor(obj);
        rc = qemuMonitorQueryStatus(mon, &st, &running);
        qemuDomainObjExitMonitor(obj);
        if (rc == 0) {
            if (running && obj->state != MV_DOMAIN_RUNNING)
                setState(obj, MV_DOMAIN_RUNNING, MV_RUNNING_UNPAUSED);
            else if (!running && obj->state == MV_DOMAIN_RUNNING)
                setState(obj, MV_DOMAIN_PAUSED, MV_PAUSED_UNKNOWN);
        }
        mvErrorReset();
    }
    MV_INFO("domain %s: reattached to QEMU pid %d (id %d)", name, (int)pid, obj->def->id);
    qemuProcessSaveStatus(obj);
    mvErrorReset();
}

void
qemuProcessReconnectMonitors(void)
{
    g_autoptr(GPtrArray) list = g_steal_pointer(&pendingReconnects);

    for (guint i = 0; list && i < list->len; i++) {
        qemuDomainObj *obj = g_ptr_array_index(list, i);
        g_mutex_lock(&obj->lock);
        if (!obj->removed && qemuDomainObjIsActive(obj))
            reconnectMonitor(obj);
        qemuDomainObjEndJob(obj);
        g_mutex_unlock(&obj->lock);
    }
}

void
qemuProcessReconnectAll(void)
{
    g_autoptr(GDir) dir = g_dir_open(qemu_driver->runDir, 0, NULL);
    const char *ent;
    int maxId;

    pendingReconnects = g_ptr_array_new_with_free_func((GDestroyNotify)qemuDomainObjUnref);
    mvFileRemoveAtomicTemps(qemu_driver->runDir, ".xml");

    if (dir) {
        while ((ent = g_dir_read_name(dir))) {
            g_autofree char *path = NULL;
            if (!g_str_has_suffix(ent, ".xml") || ent[0] == '.')
                continue;
            path = g_build_filename(qemu_driver->runDir, ent, NULL);
            reconnectOne(path);
        }
    }
    maxId = qemuDomainObjListMaxID(qemu_driver->domains);
    if (maxId >= g_atomic_int_get(&nextDomainId))
        g_atomic_int_set(&nextDomainId, maxId + 1);
}

void
qemuProcessAutostartAll(void)
{
    g_autoptr(GPtrArray) objs = qemuDomainObjListCollect(qemu_driver->domains);

    for (guint i = 0; i < objs->len; i++) {
        qemuDomainObj *obj = g_ptr_array_index(objs, i);
        g_mutex_lock(&obj->lock);
        if (!obj->removed && obj->autostart && !qemuDomainObjIsActive(obj) &&
            qemuDomainObjBeginJob(obj) == 0) {
            if (qemuProcessStart(obj, 0) < 0) {
                g_autoptr(mvError) err = mvErrorSteal();
                MV_ERROR("Failed to autostart VM '%s': %s", obj->def->name,
                         err ? err->message : "?");
            }
            qemuDomainObjEndJob(obj);
        }
        mvErrorReset();
        g_mutex_unlock(&obj->lock);
    }
}
