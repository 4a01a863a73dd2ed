/* The qemu driver's domains: the object list (by name, uuid, id), their
 * states, and their persistent config files. */
#pragma once
#include <glib.h>
#include "domain_conf.h"

/* libvirt's virDomainState / reasons / lifecycle event numbers. */
typedef enum {
    MV_DOMAIN_NOSTATE = 0,
    MV_DOMAIN_RUNNING = 1,
    MV_DOMAIN_BLOCKED = 2,
    MV_DOMAIN_PAUSED = 3,
    MV_DOMAIN_SHUTDOWN = 4,
    MV_DOMAIN_SHUTOFF = 5,
    MV_DOMAIN_CRASHED = 6,
    MV_DOMAIN_PMSUSPENDED = 7,
    MV_DOMAIN_STATE_LAST
} mvDomainState;

typedef enum {
    MV_DOMAIN_EVENT_DEFINED = 0,
    MV_DOMAIN_EVENT_UNDEFINED = 1,
    MV_DOMAIN_EVENT_STARTED = 2,
    MV_DOMAIN_EVENT_SUSPENDED = 3,
    MV_DOMAIN_EVENT_RESUMED = 4,
    MV_DOMAIN_EVENT_STOPPED = 5,
    MV_DOMAIN_EVENT_SHUTDOWN = 6,
    MV_DOMAIN_EVENT_PMSUSPENDED = 7,
    MV_DOMAIN_EVENT_CRASHED = 8,
    MV_DOMAIN_EVENT_LAST
} mvDomainEventType;

enum { MV_DOMAIN_EVENT_DEFINED_ADDED = 0, MV_DOMAIN_EVENT_DEFINED_UPDATED = 1,
       MV_DOMAIN_EVENT_DEFINED_RENAMED = 2 };
enum { MV_DOMAIN_EVENT_UNDEFINED_REMOVED = 0, MV_DOMAIN_EVENT_UNDEFINED_RENAMED = 1 };

struct qemuMonitor;
struct mvRpcStream;

typedef struct qemuDomainObj {
    gint refs;
    GMutex lock;
    /* one state-changing job at a time; queries only take the lock */
    gboolean job;
    GCond jobCond;
    /* runtime, valid while active */
    pid_t pid;
    unsigned long long pidStart;     /* /proc start time, to spot a reused pid */
    char *libDir;                    /* per-run private dir (monitor socket, agent socket) */
    char *monitorPath;
    struct qemuMonitor *mon;
    gboolean beingDestroyed;
    gboolean gotShutdown;
    gboolean fakeReboot;
    gboolean autoDestroy;
    struct mvRpcStream *console;
    mvDomainDef *def;        /* the live definition while running, else the config */
    mvDomainDef *newDef;     /* the next config while running (NULL if unchanged) */
    int state;
    int reason;
    gboolean persistent;
    gboolean autostart;
    gboolean removed;        /* gone from the list; holders must drop it */
} qemuDomainObj;

typedef struct qemuDomainObjList qemuDomainObjList;

qemuDomainObjList *qemuDomainObjListNew(const char *configDir, const char *autostartDir);
void qemuDomainObjListFree(qemuDomainObjList *list);

/* Returns a referenced, locked object, or NULL with libvirt's "Domain not found" error. */
qemuDomainObj *qemuDomainObjListFindByUUID(qemuDomainObjList *list, const unsigned char *uuid);
qemuDomainObj *qemuDomainObjListFindByName(qemuDomainObjList *list, const char *name);
qemuDomainObj *qemuDomainObjListFindByID(qemuDomainObjList *list, int id);
void qemuDomainObjEndAPI(qemuDomainObj **obj);   /* unlock + unref; sets NULL */

/* Define: add or replace the persistent config; saves it to disk first.
 * Returns a locked, referenced object; *added tells new vs updated. */
qemuDomainObj *qemuDomainObjListDefine(qemuDomainObjList *list, mvDomainDef *def, gboolean *added);
/* Remove the config file and autostart link of an (inactive or active) domain;
 * an inactive one leaves the list.  Called with obj locked. */
int qemuDomainObjListUndefine(qemuDomainObjList *list, qemuDomainObj *obj);
/* Rename a defined, inactive domain. Called with obj locked. */
int qemuDomainObjListRename(qemuDomainObjList *list, qemuDomainObj *obj, const char *newName);
/* Write obj's persistent config to disk (after a config change). */
int qemuDomainObjSaveConfig(qemuDomainObjList *list, qemuDomainObj *obj);
int qemuDomainObjSetAutostart(qemuDomainObjList *list, qemuDomainObj *obj, gboolean autostart);

/* The config to change for --config: newDef when running, else def. */
mvDomainDef *qemuDomainObjGetPersistentDef(qemuDomainObj *obj);

/* Load every NAME.xml from the config dir; a broken file is logged and skipped. */
int qemuDomainObjListLoadAll(qemuDomainObjList *list);

/* Snapshot of referenced (unlocked) objects, for listing. Free with g_ptr_array_unref. */
GPtrArray *qemuDomainObjListCollect(qemuDomainObjList *list);
unsigned int qemuDomainObjListCount(qemuDomainObjList *list, gboolean active);
void qemuDomainObjUnref(qemuDomainObj *obj);

gboolean qemuDomainObjIsActive(qemuDomainObj *obj);
qemuDomainObj *qemuDomainObjRef(qemuDomainObj *obj);

/* Serialise state changes on @obj (locked): waits for the running job, up to
 * 30 s ("Timed out during operation: cannot acquire state change lock"). */
int qemuDomainObjBeginJob(qemuDomainObj *obj);
void qemuDomainObjEndJob(qemuDomainObj *obj);
/* Drop/retake the object lock around a monitor call made inside a job. */
void qemuDomainObjEnterMonitor(qemuDomainObj *obj);
void qemuDomainObjExitMonitor(qemuDomainObj *obj);

/* Add a transient (or not yet persistent) running domain: fails like define
 * on name/uuid clashes, and also when a domain of that uuid is active.
 * Returns it locked and referenced. */
qemuDomainObj *qemuDomainObjListAddTransient(qemuDomainObjList *list, mvDomainDef *def);
/* Drop an inactive transient domain from the list (obj locked). */
void qemuDomainObjListRemove(qemuDomainObjList *list, qemuDomainObj *obj);
/* Largest id in use (for numbering after a restart). */
int qemuDomainObjListMaxID(qemuDomainObjList *list);
