/* REMOTE procedures that start, stop and pause guests, and the console. */
#define MV_FROM_THIS MV_FROM_QEMU
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "qemu_driver.h"
#include "qemu_monitor.h"
#include "qemu_agent.h"
#include "qemu_process.h"
#include "remote/remote.h"
#include "rpc/stream.h"
#include "util/error.h"
#include "util/log.h"
#include "util/process.h"
#include "util/uuid.h"

#define START_PAUSED 1
#define START_AUTODESTROY 2
#define START_BYPASS_CACHE 4
#define START_FORCE_BOOT 8
#define START_VALIDATE 16
#define DESTROY_GRACEFUL 1
#define SHUTDOWN_DEFAULT 0
#define SHUTDOWN_ACPI 1
#define SHUTDOWN_GUEST_AGENT 2
#define SHUTDOWN_INITCTL 4
#define SHUTDOWN_SIGNAL 8
#define SHUTDOWN_PARAVIRT 16
#define CONSOLE_FORCE 1
#define CONSOLE_SAFE 2

/* Look up @dom, locked and with the job held; NULL + error. */
static qemuDomainObj *
beginJob(struct mvRpcCall *call, remote_nonnull_domain *dom)
{
    qemuDomainObj *obj;

    if (!mvRemoteConnect(call))
        return NULL;
    if (!(obj = qemuDomainObjListFindByUUID(qemu_driver->domains,
                                            (const unsigned char *)dom->uuid))) {
        char uuidstr[MV_UUID_STRING_BUFLEN];
        mvErrorReset();
        mvUUIDFormat((const unsigned char *)dom->uuid, uuidstr);
        mvReportError(MV_ERR_NO_DOMAIN, "no domain with matching uuid '%s' (%s)", uuidstr,
                      dom->name);
        return NULL;
    }
    qemuDomainObjRef(obj);   /* survives removal during the job */
    if (qemuDomainObjBeginJob(obj) < 0) {
        g_mutex_unlock(&obj->lock);
        qemuDomainObjUnref(obj);
        qemuDomainObjUnref(obj);
        return NULL;
    }
    return obj;
}

static void
endJob(qemuDomainObj **obj)
{
    qemuDomainObjEndJob(*obj);
    qemuDomainObjUnref(*obj);
    qemuDomainObjEndAPI(obj);
}

static int
checkActive(qemuDomainObj *obj)
{
    if (!qemuDomainObjIsActive(obj)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        return -1;
    }
    return 0;
}

/* Run a one-shot monitor command inside the job (obj locked). */
static int
monitorCall(qemuDomainObj *obj, int (*fn)(qemuMonitor *mon))
{
    qemuMonitor *mon = qemuMonitorRef(obj->mon);
    int rc;

    qemuDomainObjEnterMonitor(obj);
    rc = fn(mon);
    qemuDomainObjExitMonitor(obj);
    qemuMonitorUnref(mon);
    return rc;
}

/* ---- start -------------------------------------------------------------------- */

static int
domainCreate(struct mvRpcCall *call, remote_nonnull_domain *dom, unsigned int flags,
             remote_nonnull_domain *out)
{
    qemuDomainObj *obj;
    int rc = -1;

    if (qemuCheckFlags(flags, START_PAUSED | START_AUTODESTROY | START_BYPASS_CACHE |
                       START_FORCE_BOOT | START_VALIDATE, "qemuDomainCreateWithFlags") < 0)
        return -1;
    if (!(obj = beginJob(call, dom)))
        return -1;
    if (qemuDomainObjIsActive(obj)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is already running");
        goto cleanup;
    }
    if (qemuProcessStart(obj, ((flags & START_PAUSED) ? QEMU_START_PAUSED : 0) |
                              ((flags & START_AUTODESTROY) ? QEMU_START_AUTODESTROY : 0)) < 0)
        goto cleanup;
    if (out)
        mvRemoteMakeDomain(out, obj->def->name, obj->def->uuid, obj->def->id);
    rc = 0;
 cleanup:
    endJob(&obj);
    return rc;
}

int
mvRemoteDispatchDomainCreate(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_create_args *args = a;
    return domainCreate(call, &args->dom, 0, NULL);
}

int
mvRemoteDispatchDomainCreateWithFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_create_with_flags_args *args = a;
    remote_domain_create_with_flags_ret *ret = r;
    return domainCreate(call, &args->dom, args->flags, &ret->dom);
}

int
mvRemoteDispatchDomainCreateXml(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_create_xml_args *args = a;
    remote_domain_create_xml_ret *ret = r;
    g_autoptr(mvDomainDef) def = NULL;
    qemuDomainObj *obj;
    unsigned int flags = args->flags;
    int rc = -1;

    if (!mvRemoteConnect(call))
        return -1;
    if (qemuCheckFlags(flags, START_PAUSED | START_AUTODESTROY | START_VALIDATE,
                       "qemuDomainCreateXML") < 0)
        return -1;
    if (!(def = mvDomainDefParseString(args->xml_desc, MV_DOMAIN_DEF_PARSE_INACTIVE)))
        return -1;
    if (qemuDriverPostParse(def) < 0)
        return -1;
    if (!(obj = qemuDomainObjListAddTransient(qemu_driver->domains, def)))
        return -1;
    def = NULL;
    qemuDomainObjRef(obj);
    if (qemuDomainObjBeginJob(obj) < 0) {
        if (!obj->persistent)
            qemuDomainObjListRemove(qemu_driver->domains, obj);
        goto cleanup;
    }
    if (qemuProcessStart(obj, ((flags & START_PAUSED) ? QEMU_START_PAUSED : 0) |
                              ((flags & START_AUTODESTROY) ? QEMU_START_AUTODESTROY : 0)) < 0) {
        if (!obj->persistent)
            qemuDomainObjListRemove(qemu_driver->domains, obj);
        qemuDomainObjEndJob(obj);
        goto cleanup;
    }
    mvRemoteMakeDomain(&ret->dom, obj->def->name, obj->def->uuid, obj->def->id);
    qemuDomainObjEndJob(obj);
    rc = 0;
 cleanup:
    qemuDomainObjUnref(obj);
    qemuDomainObjEndAPI(&obj);
    return rc;
}

/* ---- stop --------------------------------------------------------------------- */

static int
domainDestroy(struct mvRpcCall *call, remote_nonnull_domain *dom, unsigned int flags)
{
    qemuDomainObj *obj;
    int rc = -1;

    if (qemuCheckFlags(flags, DESTROY_GRACEFUL, "qemuDomainDestroyFlags") < 0)
        return -1;
    if (!mvRemoteConnect(call))
        return -1;
    if (!(obj = qemuDomainObjListFindByUUID(qemu_driver->domains,
                                            (const unsigned char *)dom->uuid)))
        return -1;
    qemuDomainObjRef(obj);
    if (checkActive(obj) < 0) {
        qemuDomainObjUnref(obj);
        qemuDomainObjEndAPI(&obj);
        return -1;
    }
    /* Kill first, without waiting for a running job (it may be stuck on the
     * monitor); the job then sees the guest gone. */
    obj->beingDestroyed = TRUE;
    if (obj->pid > 0) {
        pid_t pid = obj->pid;
        int k;
        g_mutex_unlock(&obj->lock);
        k = mvProcessKill(pid, (flags & DESTROY_GRACEFUL) ? 10000 : 3000,
                          (flags & DESTROY_GRACEFUL) != 0);
        g_mutex_lock(&obj->lock);
        if (k < 0) {
            obj->beingDestroyed = FALSE;
            goto cleanup;
        }
    }
    if (qemuDomainObjBeginJob(obj) < 0)
        goto cleanup;
    if (qemuDomainObjIsActive(obj))
        qemuProcessStop(obj, MV_SHUTOFF_DESTROYED, MV_EVENT_STOPPED_DESTROYED);
    qemuDomainObjEndJob(obj);
    rc = 0;
 cleanup:
    qemuDomainObjUnref(obj);
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainDestroy(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_destroy_args *args = a;
    return domainDestroy(call, &args->dom, 0);
}

int
mvRemoteDispatchDomainDestroyFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_destroy_flags_args *args = a;
    return domainDestroy(call, &args->dom, args->flags);
}

static int
domainShutdown(struct mvRpcCall *call, remote_nonnull_domain *dom, unsigned int flags,
               gboolean reboot)
{
    qemuDomainObj *obj;
    qemuMonitor *mon;
    int rc = -1;

    if (qemuCheckFlags(flags, SHUTDOWN_ACPI | SHUTDOWN_GUEST_AGENT | SHUTDOWN_INITCTL |
                       SHUTDOWN_SIGNAL | SHUTDOWN_PARAVIRT,
                       reboot ? "qemuDomainReboot" : "qemuDomainShutdownFlags") < 0)
        return -1;
    if (!(obj = beginJob(call, dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    if (flags & (SHUTDOWN_INITCTL | SHUTDOWN_SIGNAL | SHUTDOWN_PARAVIRT)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "only ACPI and guest agent shutdown modes are supported");
        goto cleanup;
    }
    if (flags == SHUTDOWN_GUEST_AGENT) {
        rc = qemuAgentShutdown(obj, reboot);
        goto cleanup;
    }
    if (obj->state == MV_DOMAIN_PAUSED && !reboot) {
        /* a paused guest cannot see the ACPI event; libvirt sends it anyway */
    }
    mon = qemuMonitorRef(obj->mon);
    obj->fakeReboot = reboot;
    qemuDomainObjEnterMonitor(obj);
    rc = qemuMonitorSystemPowerdown(mon);
    qemuDomainObjExitMonitor(obj);
    qemuMonitorUnref(mon);
    if (rc < 0)
        obj->fakeReboot = FALSE;
 cleanup:
    endJob(&obj);
    return rc;
}

int
mvRemoteDispatchDomainShutdown(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_shutdown_args *args = a;
    return domainShutdown(call, &args->dom, 0, FALSE);
}

int
mvRemoteDispatchDomainShutdownFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_shutdown_flags_args *args = a;
    return domainShutdown(call, &args->dom, args->flags, FALSE);
}

int
mvRemoteDispatchDomainReboot(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_reboot_args *args = a;
    return domainShutdown(call, &args->dom, args->flags, TRUE);
}

int
mvRemoteDispatchDomainReset(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_reset_args *args = a;
    qemuDomainObj *obj;
    int rc = -1;

    if (qemuCheckFlags(args->flags, 0, "qemuDomainReset") < 0)
        return -1;
    if (!(obj = beginJob(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    rc = monitorCall(obj, qemuMonitorSystemReset);
    if (rc == 0 && obj->state == MV_DOMAIN_CRASHED)
        obj->state = MV_DOMAIN_PAUSED, obj->reason = MV_PAUSED_CRASHED;
 cleanup:
    endJob(&obj);
    return rc;
}

/* ---- pause -------------------------------------------------------------------- */

int
mvRemoteDispatchDomainSuspend(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_suspend_args *args = a;
    qemuDomainObj *obj;
    int rc = -1;

    if (!(obj = beginJob(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    if (obj->state == MV_DOMAIN_PAUSED) {
        rc = 0;    /* libvirt: suspending a paused domain is a no-op */
        goto cleanup;
    }
    rc = monitorCall(obj, qemuMonitorStop);
    if (rc == 0) {
        obj->state = MV_DOMAIN_PAUSED;
        obj->reason = MV_PAUSED_USER;
        qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_SUSPENDED, MV_EVENT_SUSPENDED_PAUSED);
        qemuProcessSaveStatus(obj);
        mvErrorReset();
    }
 cleanup:
    endJob(&obj);
    return rc;
}

int
mvRemoteDispatchDomainResume(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_resume_args *args = a;
    qemuDomainObj *obj;
    int rc = -1;

    if (!(obj = beginJob(call, &args->dom)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    if (obj->state == MV_DOMAIN_PMSUSPENDED) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is pmsuspended");
        goto cleanup;
    }
    if (obj->state == MV_DOMAIN_RUNNING) {
        rc = 0;
        goto cleanup;
    }
    rc = monitorCall(obj, qemuMonitorCont);
    if (rc == 0) {
        obj->state = MV_DOMAIN_RUNNING;
        obj->reason = MV_RUNNING_UNPAUSED;
        qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_RESUMED, MV_EVENT_RESUMED_UNPAUSED);
        qemuProcessSaveStatus(obj);
        mvErrorReset();
    }
 cleanup:
    endJob(&obj);
    return rc;
}

/* ---- console ------------------------------------------------------------------ */

static void
consoleClosed(mvRpcStream *st, void *opaque)
{
    /* runs on the main loop, which must not wait for the domain lock: the
     * next console open notices the closed stream and drops it */
    qemuDomainObjUnref(opaque);
}

int
mvRemoteDispatchDomainOpenConsole(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_open_console_args *args = a;
    qemuDomainObj *obj;
    mvDomainChrDef *chr = NULL;
    const char *devname = args->dev_name ? *args->dev_name : NULL;
    struct termios tio;
    int fd = -1;
    int rc = -1;

    if (qemuCheckFlags(args->flags, CONSOLE_FORCE | CONSOLE_SAFE, "qemuDomainOpenConsole") < 0)
        return -1;
    if (!mvRemoteConnect(call))
        return -1;
    if (!(obj = qemuDomainObjListFindByUUID(qemu_driver->domains,
                                            (const unsigned char *)args->dom.uuid)))
        return -1;
    if (checkActive(obj) < 0)
        goto cleanup;
    if (!devname) {
        if (obj->def->nconsoles > 0)
            chr = obj->def->consoles[0];
        else if (obj->def->nserials > 0)
            chr = obj->def->serials[0];
    } else {
        mvDomainChrDef **lists[] = { obj->def->consoles, obj->def->serials, obj->def->parallels,
                                     obj->def->channels };
        size_t counts[] = { obj->def->nconsoles, obj->def->nserials, obj->def->nparallels,
                            obj->def->nchannels };
        const char *prefixes[] = { "console", "serial", "parallel", "channel" };
        for (size_t l = 0; l < G_N_ELEMENTS(lists) && !chr; l++) {
            for (size_t i = 0; i < counts[l] && !chr; i++) {
                g_autofree char *alias = g_strdup_printf("%s%zu", prefixes[l], i);
                if (strcmp(alias, devname) == 0 ||
                    (lists[l][i]->targetName && strcmp(lists[l][i]->targetName, devname) == 0))
                    chr = lists[l][i];
            }
        }
    }
    if (!chr) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "cannot find character device %s",
                      devname ? devname : "<null>");
        goto cleanup;
    }
    if (!chr->type || strcmp(chr->type, "pty") != 0 || !chr->sourcePath) {
        mvReportError(MV_ERR_INTERNAL_ERROR,
                      "character device %s is not using a PTY", devname ? devname : "console0");
        goto cleanup;
    }
    if (obj->console && mvRpcStreamIsClosed(obj->console)) {
        mvRpcStreamUnref(obj->console);
        obj->console = NULL;
    }
    if (obj->console) {
        if (!(args->flags & CONSOLE_FORCE)) {
            mvReportError(MV_ERR_OPERATION_FAILED, "%s",
                          "Active console session exists for this domain");
            goto cleanup;
        }
        mvReportError(MV_ERR_OPERATION_FAILED, "%s",
                      "Active console session exists for this domain");
        {
            g_autoptr(mvError) err = mvErrorSteal();
            mvRpcStreamAbort(obj->console, err);
        }
        mvRpcStreamUnref(obj->console);
        obj->console = NULL;
    }
    fd = open(chr->sourcePath, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        mvReportSystemError(errno, "Unable to open console %s", chr->sourcePath);
        goto cleanup;
    }
    if (tcgetattr(fd, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(fd, TCSANOW, &tio);
    }
    obj->console = mvRpcStreamAttachFD(call, fd, TRUE, TRUE, consoleClosed,
                                       qemuDomainObjRef(obj));
    fd = -1;
    rc = 0;
 cleanup:
    if (fd >= 0)
        close(fd);
    qemuDomainObjEndAPI(&obj);
    return rc;
}
