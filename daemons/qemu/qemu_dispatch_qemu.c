/* The QEMU program (libvirt-qemu.so's procedures): raw monitor passthrough
 * for `virsh qemu-monitor-command` (QMP, or HMP with --hmp). */
#define MV_FROM_THIS MV_FROM_QEMU
#include <string.h>
#include "qemu_driver.h"
#include "qemu_monitor.h"
#include "qemu_proctable.h"
#include "remote/remote.h"
#include "util/error.h"
#include "util/log.h"
#include "util/uuid.h"

#define MONITOR_COMMAND_HMP 1

int
mvQemuDispatchDomainMonitorCommand(struct mvRpcCall *call, void *a, void *r)
{
    qemu_domain_monitor_command_args *args = a;
    qemu_domain_monitor_command_ret *ret = r;
    qemuDomainObj *obj;
    qemuMonitor *mon;
    char *result;
    int rc = -1;

    if (qemuCheckFlags(args->flags, MONITOR_COMMAND_HMP, "qemuDomainQemuMonitorCommand") < 0)
        return -1;
    if (!mvRemoteConnect(call))
        return -1;
    if (!(obj = qemuDomainObjListFindByUUID(qemu_driver->domains,
                                            (const unsigned char *)args->dom.uuid))) {
        char uuidstr[MV_UUID_STRING_BUFLEN];
        mvErrorReset();
        mvUUIDFormat((const unsigned char *)args->dom.uuid, uuidstr);
        mvReportError(MV_ERR_NO_DOMAIN, "no domain with matching uuid '%s' (%s)", uuidstr,
                      args->dom.name);
        return -1;
    }
    qemuDomainObjRef(obj);
    if (qemuDomainObjBeginJob(obj) < 0) {
        qemuDomainObjUnref(obj);
        qemuDomainObjEndAPI(&obj);
        return -1;
    }
    if (!qemuDomainObjIsActive(obj) || !obj->mon) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        goto cleanup;
    }
    MV_WARN("Domain id=%d name='%s' is tainted: custom-monitor", obj->def->id, obj->def->name);
    mon = qemuMonitorRef(obj->mon);
    qemuDomainObjEnterMonitor(obj);
    if (args->flags & MONITOR_COMMAND_HMP)
        result = qemuMonitorCommandHMP(mon, args->cmd, 0);
    else
        result = qemuMonitorCommandRaw(mon, args->cmd, 0);
    qemuDomainObjExitMonitor(obj);
    qemuMonitorUnref(mon);
    if (!result)
        goto cleanup;
    ret->result = result;
    rc = 0;
 cleanup:
    qemuDomainObjEndJob(obj);
    qemuDomainObjUnref(obj);
    qemuDomainObjEndAPI(&obj);
    return rc;
}
