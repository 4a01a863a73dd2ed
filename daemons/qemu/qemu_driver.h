/* virtqemud's driver state, shared by its dispatch files. */
#pragma once
#include <glib.h>
#include "daemon/daemon.h"
#include "qemu_domainobj.h"
#include "rpc/server.h"

typedef struct qemuDriver {
    gboolean privileged;
    char *configDir;       /* .../etc/libvirt/qemu */
    char *autostartDir;    /* .../etc/libvirt/qemu/autostart */
    char *stateDir;        /* .../var/lib/libvirt/qemu */
    char *runDir;          /* .../run/libvirt/qemu */
    char *logDir;          /* .../var/log/libvirt/qemu */
    qemuDomainObjList *domains;
    unsigned long long qemuVersion;
    GMutex capsLock;
    char *capsXML;         /* cached virsh capabilities output */
    GMainContext *ctx;     /* the daemon main loop: monitors are watched there */
} qemuDriver;

extern qemuDriver *qemu_driver;

int qemuDriverInit(mvDaemon *daemon);
void qemuDriverCleanup(mvDaemon *daemon);
gboolean qemuDriverBusy(mvDaemon *daemon);

/* Flag check with libvirt's wording; returns -1 + error on unknown bits. */
int qemuCheckFlags(unsigned int flags, unsigned int allowed, const char *func);

/* The QEMU driver's post-parse (canonical machine, implicit devices,
 * addresses) applied to a definition before it is stored or started. */
int qemuDriverPostParse(mvDomainDef *def);

/* Emit a lifecycle event for @obj (called with obj locked). */
void qemuDomainEventLifecycle(qemuDomainObj *obj, int event, int detail);
