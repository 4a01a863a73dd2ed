/* Devices of running guests: hotplug / hot-unplug / update (disks, cdrom
 * media, interfaces), the matching persistent-config edits, taps for
 * interfaces at start, and graphics client sockets.
 *
 * Locking (docs/qemu-driver.md): every function taking a qemuDomainObj is
 * called with the object locked and the job held (except
 * qemuHotplugWaiterWait, see below); monitor calls inside drop the lock. */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include "qemu_domainobj.h"

/* libvirt's virDomainDeviceModifyFlags */
#define QEMU_DEVICE_AFFECT_LIVE   1
#define QEMU_DEVICE_AFFECT_CONFIG 2
#define QEMU_DEVICE_MODIFY_FORCE  4

/* How long a detach waits for QEMU's DEVICE_DELETED before returning
 * success with the removal still pending (libvirt: 5 s). */
#define QEMU_UNPLUG_TIMEOUT_MS 5000

/* @flags: LIVE and/or CONFIG, already resolved (no "current"), and checked
 * against the domain's state (updateAffect).  0 / -1 + error. */
int qemuDomainAttachDeviceFlags(qemuDomainObj *obj, const char *xml, unsigned int flags);
int qemuDomainUpdateDeviceFlags(qemuDomainObj *obj, const char *xml, unsigned int flags);

/* A pending hot-unplug the caller may wait for. */
typedef struct qemuHotplugWaiter qemuHotplugWaiter;

/* Detach the device described by @xml (or, with @alias non-NULL, the device
 * with that alias; @xml is then ignored).  For LIVE this sends device_del
 * and, on success, returns in *@waiter a registration the caller must hand
 * to qemuHotplugWaiterWait() AFTER ending its job (the DEVICE_DELETED
 * handler runs in the event thread, which needs the job).  The config part
 * is applied and saved here.  0 / -1 + error (*@waiter NULL on error). */
int qemuDomainDetachDeviceFlags(qemuDomainObj *obj, const char *xml, const char *alias,
                                unsigned int flags, qemuHotplugWaiter **waiter);

/* With obj locked and no job held: wait up to QEMU_UNPLUG_TIMEOUT_MS for the
 * device to be removed (guest ack + DEVICE_DELETED processed), then free
 * @waiter.  Returning after the timeout is not an error (libvirt returns
 * success and the removal completes asynchronously).  NULL is a no-op. */
void qemuHotplugWaiterWait(qemuDomainObj *obj, qemuHotplugWaiter *waiter);

/* Weak hook called by the event thread (obj locked, job held) for QMP
 * events qemu_process.c does not handle itself.  DEVICE_DELETED: drop the
 * device from the live definition, delete its backends (blockdev/netdev,
 * tap), emit VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED, save the status file and
 * wake a waiting detach. */
void qemuDomainHandleDeviceEvent(qemuDomainObj *obj, const char *name, json_object *data);

/* ---- interfaces at start/stop ---------------------------------------------- */

/* Before building the command line of @def (the live definition): create a
 * tap for every interface of type 'bridge' (enslaved to the bridge) and
 * 'ethernet', record its name as <target dev='vnetN'/>, and return
 * *@tapFds: GINT_TO_POINTER(index in def->nets) -> GINT_TO_POINTER(fd),
 * exactly what qemuCommandParams.tapFds wants (NULL when there is none).
 * The fds are close-on-exec: pass them as keepfds to
 * mvProcessSpawnDetached, then qemuInterfacesCloseFds().  On failure
 * nothing is left behind.  0 / -1 + error. */
int qemuInterfacesPrepare(mvDomainDef *def, GHashTable **tapFds);
/* The fds of @tapFds as an array for keepfds (g_free; *n entries). */
int *qemuInterfacesTapFdArray(GHashTable *tapFds, size_t *n);
/* Close every fd in @tapFds and unref it (after the spawn; NULL ok). */
void qemuInterfacesCloseFds(GHashTable *tapFds);
/* At stop (or failed start): release the taps of @def's interfaces (bridge
 * port removal, deletion of the ones we created).  Never fails. */
void qemuInterfacesCleanup(mvDomainDef *def);

/* ---- graphics -------------------------------------------------------------- */

/* Hand @fd (a connected stream socket; not taken over) to QEMU as a new
 * client of graphics device @idx (VNC or SPICE): getfd + add_client.
 * 0 / -1 + error ("No graphics backend with index %d" ...). */
int qemuDomainOpenGraphicsClient(qemuDomainObj *obj, unsigned int idx, int fd,
                                 gboolean skipauth);
