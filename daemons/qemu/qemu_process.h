/* Running guests: starting QEMU, its monitor, reacting to what QEMU reports,
 * stopping, the live status file, and finding guests again after a restart. */
#pragma once
#include <glib.h>
#include "qemu_domainobj.h"

/* libvirt's shutoff / running / paused reason numbers and event details. */
enum { MV_SHUTOFF_UNKNOWN = 0, MV_SHUTOFF_SHUTDOWN = 1, MV_SHUTOFF_DESTROYED = 2,
       MV_SHUTOFF_CRASHED = 3, MV_SHUTOFF_SAVED = 5, MV_SHUTOFF_FAILED = 6,
       MV_SHUTOFF_DAEMON = 8 };
enum { MV_RUNNING_UNKNOWN = 0, MV_RUNNING_BOOTED = 1, MV_RUNNING_UNPAUSED = 5,
       MV_RUNNING_CRASHED = 9 };
enum { MV_PAUSED_UNKNOWN = 0, MV_PAUSED_USER = 1, MV_PAUSED_IOERROR = 5,
       MV_PAUSED_SHUTTING_DOWN = 8, MV_PAUSED_CRASHED = 10, MV_PAUSED_STARTING_UP = 11 };
enum { MV_SHUTDOWN_STATE_UNKNOWN = 0, MV_SHUTDOWN_STATE_USER = 1 };
enum { MV_EVENT_STARTED_BOOTED = 0 };
enum { MV_EVENT_SUSPENDED_PAUSED = 0, MV_EVENT_SUSPENDED_IOERROR = 2 };
enum { MV_EVENT_RESUMED_UNPAUSED = 0 };
enum { MV_EVENT_STOPPED_SHUTDOWN = 0, MV_EVENT_STOPPED_DESTROYED = 1,
       MV_EVENT_STOPPED_CRASHED = 2, MV_EVENT_STOPPED_FAILED = 5 };
enum { MV_EVENT_SHUTDOWN_FINISHED = 0, MV_EVENT_SHUTDOWN_GUEST = 1,
       MV_EVENT_SHUTDOWN_HOST = 2 };
enum { MV_EVENT_CRASHED_PANICKED = 0 };

#define QEMU_START_PAUSED 1
#define QEMU_START_AUTODESTROY 2

/* Start @obj (locked, job held).  On success the live definition is
 * obj->def (with id, aliases, ptys) and the persistent one obj->newDef. */
int qemuProcessStart(qemuDomainObj *obj, unsigned int flags);
/* Stop @obj (locked, job held): kill QEMU if alive, clean up, record the
 * shut-off @reason and emit STOPPED/@detail.  A transient domain leaves the list. */
void qemuProcessStop(qemuDomainObj *obj, int reason, int detail);
/* Write the live status file (obj locked). */
int qemuProcessSaveStatus(qemuDomainObj *obj);
/* At daemon start, before clients are served: register the guests that
 * kept running (from their status files), each held by a job ... */
void qemuProcessReconnectAll(void);
/* ... and, once the main loop runs, reattach their monitors. */
void qemuProcessReconnectMonitors(void);
/* At daemon start, after reconnecting: start autostart domains. */
void qemuProcessAutostartAll(void);
/* Shut the event worker down (daemon exit). */
void qemuProcessShutdown(void);
/* Emit a REBOOT event. */
void qemuDomainEventReboot(qemuDomainObj *obj);
