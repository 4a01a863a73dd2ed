/* virtqemud: the QEMU domain daemon. */
#include "daemon/daemon.h"
#include "remote/remote.h"
#include "remote_proctable.h"
#include "admin_proctable.h"
#include "qemu_proctable.h"
#include "qemu_driver.h"

static const mvProgramInfo *const programs[] = { &mvRemoteProgram, &mvQemuProgram, NULL };
static const mvProgramInfo *const adminPrograms[] = { &mvAdminProgram, NULL };

static const mvDaemonSpec spec = {
    .name = "virtqemud",
    .programs = programs,
    .adminPrograms = adminPrograms,
    .init = qemuDriverInit,
    .cleanup = qemuDriverCleanup,
    .busy = qemuDriverBusy,
};

int
main(int argc, char **argv)
{
    mvDaemonSpec s = spec;
    s.hooks = mvRemoteClientHooks;
    return mvDaemonMain(&s, argc, argv);
}
