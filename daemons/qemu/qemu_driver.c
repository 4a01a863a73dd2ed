#define MV_FROM_THIS MV_FROM_QEMU
#include <string.h>
#include "qemu_driver.h"
#include "capabilities.h"
#include "domaincaps.h"
#include "remote/remote.h"
#include "qemu_command.h"
#include "qemu_process.h"
#include "qemu_postparse.h"
#include "util/qemucaps.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/hostinfo.h"

qemuDriver *qemu_driver;

int
qemuCheckFlags(unsigned int flags, unsigned int allowed, const char *func)
{
    if (flags & ~allowed) {
        mvReportError(MV_ERR_INVALID_ARG, "unsupported flags (0x%x) in function %s",
                      flags & ~allowed, func);
        return -1;
    }
    return 0;
}

void
qemuDomainEventLifecycle(qemuDomainObj *obj, int event, int detail)
{
    mvRemoteEmitDomainLifecycle(obj->def->name, obj->def->uuid, obj->def->id, event, detail);
}

/* "QEMU emulator version 7.2.19 (Debian ...)" -> 7002019 */
static unsigned long long
qemuProbeVersion(void)
{
    g_autofree char *out = NULL;
    const char *argv[] = { MODVIRT_QEMU_BINDIR "/qemu-system-x86_64", "--version", NULL };
    unsigned int maj = 0, min = 0, mic = 0;
    const char *p;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                      &out, NULL, NULL, NULL) || !out)
        return 0;
    if (!(p = strstr(out, "version ")) || sscanf(p + 8, "%u.%u.%u", &maj, &min, &mic) < 2)
        return 0;
    return maj * 1000000ULL + min * 1000ULL + mic;
}

static unsigned long long
driverGetVersion(void)
{
    return qemu_driver->qemuVersion;
}

static char *
driverGetCapabilities(void)
{
    char *ret;

    g_mutex_lock(&qemu_driver->capsLock);
    if (!qemu_driver->capsXML)
        qemu_driver->capsXML = mvCapabilitiesFormat(NULL);
    ret = g_strdup(qemu_driver->capsXML);
    g_mutex_unlock(&qemu_driver->capsLock);
    return ret;
}

static int
driverGetMaxVcpus(const char *type)
{
    return mvHostGetMaxVcpus(type);
}

static const mvRemoteDriver qemuRemoteDriver = {
    .type = "QEMU",
    .scheme = "qemu",
    .getVersion = driverGetVersion,
    .getCapabilities = driverGetCapabilities,
    .getMaxVcpus = driverGetMaxVcpus,
};

/* Monitors are served by the main loop, which is not running yet during
 * init: reattaching to guests and autostart happen in a thread. */
static gpointer
startupThread(gpointer data)
{
    qemuProcessReconnectMonitors();
    qemuProcessAutostartAll();
    return NULL;
}

gboolean
qemuDriverBusy(mvDaemon *daemon)
{
    /* like libvirt's inhibitor: no idle exit while guests run */
    return qemu_driver && qemuDomainObjListCount(qemu_driver->domains, TRUE) > 0;
}

int
qemuDriverPostParse(mvDomainDef *def)
{
    if ((def->onPoweroff && strcmp(def->onPoweroff, "preserve") == 0) ||
        (def->onReboot && strcmp(def->onReboot, "preserve") == 0)) {
        mvReportError(MV_ERR_CONFIG_UNSUPPORTED, "%s",
                      "qemu driver doesn't support the 'preserve' action for 'on_reboot'/'on_poweroff'");
        return -1;
    }
    return qemuDefinePostParseProbe(def);
}

int
qemuDriverInit(mvDaemon *daemon)
{
    const mvPaths *paths = mvDaemonGetPaths(daemon);
    qemuDriver *drv = g_new0(qemuDriver, 1);

    drv->privileged = mvDaemonIsPrivileged(daemon);
    drv->configDir = g_strdup_printf("%s/qemu", paths->configDir);
    drv->autostartDir = g_strdup_printf("%s/qemu/autostart", paths->configDir);
    drv->stateDir = g_strdup_printf("%s/qemu", paths->stateDir);
    drv->runDir = g_strdup_printf("%s/qemu", paths->runDir);
    drv->logDir = drv->privileged ? g_strdup_printf("%s/qemu", paths->logDir)
                                  : g_strdup_printf("%s/qemu/log", paths->cacheDir);
    g_mutex_init(&drv->capsLock);
    qemu_driver = drv;

    if (mvFileMakePath(drv->configDir, 0755) < 0 ||
        mvFileMakePath(drv->runDir, 0755) < 0 ||
        mvFileMakePath(drv->stateDir, 0755) < 0)
        return -1;
    drv->qemuVersion = qemuProbeVersion();
    drv->ctx = g_main_context_ref_thread_default();
    drv->domains = qemuDomainObjListNew(drv->configDir, drv->autostartDir);
    if (qemuDomainObjListLoadAll(drv->domains) < 0)
        return -1;
    mvRemoteInit(&qemuRemoteDriver, mvDaemonGetServer(daemon));
    qemuProcessReconnectAll();
    g_thread_unref(g_thread_new("qemu-startup", startupThread, NULL));
    MV_INFO("qemu driver ready: config %s, QEMU version %llu", drv->configDir, drv->qemuVersion);
    return 0;
}

void
qemuDriverCleanup(mvDaemon *daemon)
{
    qemuDriver *drv = qemu_driver;

    if (!drv)
        return;
    mvRemoteInit(&qemuRemoteDriver, NULL);
    qemuProcessShutdown();
    if (drv->ctx)
        g_main_context_unref(drv->ctx);
    qemuDomainObjListFree(drv->domains);
    g_free(drv->configDir);
    g_free(drv->autostartDir);
    g_free(drv->stateDir);
    g_free(drv->runDir);
    g_free(drv->logDir);
    g_free(drv->capsXML);
    g_mutex_clear(&drv->capsLock);
    g_free(drv);
    qemu_driver = NULL;
}

int
mvRemoteDispatchConnectGetDomainCapabilities(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_get_domain_capabilities_args *args = a;
    remote_connect_get_domain_capabilities_ret *ret = r;

    if (!mvRemoteConnect(call))
        return -1;
    if (qemuCheckFlags(args->flags, 0, "qemuConnectGetDomainCapabilities") < 0)
        return -1;
    ret->capabilities = mvDomainCapsFormat(args->emulatorbin ? *args->emulatorbin : NULL,
                                           args->arch ? *args->arch : NULL,
                                           args->machine ? *args->machine : NULL,
                                           args->virttype ? *args->virttype : NULL);
    return ret->capabilities ? 0 : -1;
}
