#define MV_FROM_THIS MV_FROM_QEMU
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "qemu_domainobj.h"
#include "util/error.h"
#include "util/fileutil.h"
#include "util/log.h"
#include "util/uuid.h"

/* libvirt's VIR_DOMAIN_XML_SECURE | VIR_DOMAIN_XML_INACTIVE: what goes to disk. */
#define CONFIG_FORMAT_FLAGS (1 | 2)
#define CONFIG_MAX_SIZE (10 * 1024 * 1024)

struct qemuDomainObjList {
    GMutex lock;
    GHashTable *byUUID;   /* uuid string -> obj (one ref) */
    GHashTable *byName;   /* name -> obj (borrowed) */
    char *configDir;
    char *autostartDir;
};

static void
objFree(qemuDomainObj *obj)
{
    mvDomainDefFree(obj->def);
    mvDomainDefFree(obj->newDef);
    g_free(obj->libDir);
    g_free(obj->monitorPath);
    g_cond_clear(&obj->jobCond);
    g_mutex_clear(&obj->lock);
    g_free(obj);
}

void
qemuDomainObjUnref(qemuDomainObj *obj)
{
    if (obj && g_atomic_int_dec_and_test(&obj->refs))
        objFree(obj);
}

static qemuDomainObj *
objRef(qemuDomainObj *obj)
{
    g_atomic_int_inc(&obj->refs);
    return obj;
}

qemuDomainObj *
qemuDomainObjRef(qemuDomainObj *obj)
{
    return objRef(obj);
}

static qemuDomainObj *
objNew(mvDomainDef *def)
{
    qemuDomainObj *obj = g_new0(qemuDomainObj, 1);

    obj->refs = 1;
    g_mutex_init(&obj->lock);
    g_cond_init(&obj->jobCond);
    obj->pid = -1;
    def->id = -1;
    obj->def = def;
    obj->state = MV_DOMAIN_SHUTOFF;
    obj->reason = 0;
    return obj;
}

int
qemuDomainObjBeginJob(qemuDomainObj *obj)
{
    gint64 until = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;

    while (obj->job) {
        if (!g_cond_wait_until(&obj->jobCond, &obj->lock, until)) {
            mvReportError(MV_ERR_OPERATION_TIMEOUT, "%s", "cannot acquire state change lock");
            return -1;
        }
    }
    if (obj->removed) {
        mvReportError(MV_ERR_NO_DOMAIN, "no domain with matching name '%s'", obj->def->name);
        return -1;
    }
    obj->job = TRUE;
    return 0;
}

void
qemuDomainObjEndJob(qemuDomainObj *obj)
{
    obj->job = FALSE;
    g_cond_broadcast(&obj->jobCond);
}

void
qemuDomainObjEnterMonitor(qemuDomainObj *obj)
{
    g_mutex_unlock(&obj->lock);
}

void
qemuDomainObjExitMonitor(qemuDomainObj *obj)
{
    g_mutex_lock(&obj->lock);
}

void
qemuDomainObjEndAPI(qemuDomainObj **obj)
{
    if (!*obj)
        return;
    g_mutex_unlock(&(*obj)->lock);
    qemuDomainObjUnref(*obj);
    *obj = NULL;
}

gboolean
qemuDomainObjIsActive(qemuDomainObj *obj)
{
    return obj->def->id >= 0;
}

mvDomainDef *
qemuDomainObjGetPersistentDef(qemuDomainObj *obj)
{
    return obj->newDef ? obj->newDef : obj->def;
}

qemuDomainObjList *
qemuDomainObjListNew(const char *configDir, const char *autostartDir)
{
    qemuDomainObjList *list = g_new0(qemuDomainObjList, 1);
    g_mutex_init(&list->lock);
    list->byUUID = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)qemuDomainObjUnref);
    list->byName = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    list->configDir = g_strdup(configDir);
    list->autostartDir = g_strdup(autostartDir);
    return list;
}

void
qemuDomainObjListFree(qemuDomainObjList *list)
{
    if (!list)
        return;
    g_hash_table_destroy(list->byName);
    g_hash_table_destroy(list->byUUID);
    g_mutex_clear(&list->lock);
    g_free(list->configDir);
    g_free(list->autostartDir);
    g_free(list);
}

static qemuDomainObj *
lockFound(qemuDomainObj *obj)
{
    g_mutex_lock(&obj->lock);
    if (obj->removed) {
        g_mutex_unlock(&obj->lock);
        qemuDomainObjUnref(obj);
        return NULL;
    }
    return obj;
}

qemuDomainObj *
qemuDomainObjListFindByUUID(qemuDomainObjList *list, const unsigned char *uuid)
{
    char uuidstr[MV_UUID_STRING_BUFLEN];
    qemuDomainObj *obj;

    mvUUIDFormat(uuid, uuidstr);
    g_mutex_lock(&list->lock);
    obj = g_hash_table_lookup(list->byUUID, uuidstr);
    if (obj)
        objRef(obj);
    g_mutex_unlock(&list->lock);
    if (obj && (obj = lockFound(obj)))
        return obj;
    mvErrorReport(MV_FROM_QEMU, MV_ERR_NO_DOMAIN, "no domain with matching uuid '%s'", uuidstr);
    return NULL;
}

qemuDomainObj *
qemuDomainObjListFindByName(qemuDomainObjList *list, const char *name)
{
    qemuDomainObj *obj;

    g_mutex_lock(&list->lock);
    obj = g_hash_table_lookup(list->byName, name);
    if (obj)
        objRef(obj);
    g_mutex_unlock(&list->lock);
    if (obj && (obj = lockFound(obj)))
        return obj;
    mvErrorReport(MV_FROM_QEMU, MV_ERR_NO_DOMAIN, "no domain with matching name '%s'", name);
    return NULL;
}

qemuDomainObj *
qemuDomainObjListFindByID(qemuDomainObjList *list, int id)
{
    GHashTableIter it;
    gpointer v;
    qemuDomainObj *found = NULL;

    g_mutex_lock(&list->lock);
    g_hash_table_iter_init(&it, list->byUUID);
    while (id >= 0 && g_hash_table_iter_next(&it, NULL, &v)) {
        qemuDomainObj *obj = v;
        /* id only changes with the list lock held, so reading it here is safe */
        if (obj->def->id == id) {
            found = objRef(obj);
            break;
        }
    }
    g_mutex_unlock(&list->lock);
    if (found && (found = lockFound(found)))
        return found;
    mvErrorReport(MV_FROM_QEMU, MV_ERR_NO_DOMAIN, "no domain with matching id %d", id);
    return NULL;
}

static char *
configPath(qemuDomainObjList *list, const char *name)
{
    return g_strdup_printf("%s/%s.xml", list->configDir, name);
}

static char *
autostartPath(qemuDomainObjList *list, const char *name)
{
    return g_strdup_printf("%s/%s.xml", list->autostartDir, name);
}

static int
saveDef(qemuDomainObjList *list, const mvDomainDef *def)
{
    g_autofree char *xml = mvDomainDefFormat(def, CONFIG_FORMAT_FLAGS);
    g_autofree char *path = NULL;
    g_autofree char *data = NULL;

    if (!xml)
        return -1;
    if (mvFileMakePath(list->configDir, 0755) < 0)
        return -1;
    path = configPath(list, def->name);
    data = g_strdup_printf(
        "<!--\n"
        "WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE\n"
        "OVERWRITTEN AND LOST. Changes to this xml configuration should be made using:\n"
        "  virsh edit %s\n"
        "or other application using the libvirt API.\n"
        "-->\n\n%s", def->name, xml);
    return mvFileWriteAtomic(path, data, strlen(data), 0600);
}

int
qemuDomainObjSaveConfig(qemuDomainObjList *list, qemuDomainObj *obj)
{
    if (!obj->persistent)
        return 0;
    return saveDef(list, qemuDomainObjGetPersistentDef(obj));
}

static void
listAddLocked(qemuDomainObjList *list, qemuDomainObj *obj)
{
    char uuidstr[MV_UUID_STRING_BUFLEN];
    mvUUIDFormat(obj->def->uuid, uuidstr);
    g_hash_table_insert(list->byUUID, g_strdup(uuidstr), objRef(obj));
    g_hash_table_insert(list->byName, g_strdup(obj->def->name), obj);
}

static void
listRemoveLocked(qemuDomainObjList *list, qemuDomainObj *obj)
{
    char uuidstr[MV_UUID_STRING_BUFLEN];
    mvUUIDFormat(obj->def->uuid, uuidstr);
    obj->removed = TRUE;
    g_hash_table_remove(list->byName, obj->def->name);
    g_hash_table_remove(list->byUUID, uuidstr);
}

qemuDomainObj *
qemuDomainObjListDefine(qemuDomainObjList *list, mvDomainDef *def, gboolean *added)
{
    char uuidstr[MV_UUID_STRING_BUFLEN];
    qemuDomainObj *obj;
    qemuDomainObj *byName;

    mvUUIDFormat(def->uuid, uuidstr);
    g_mutex_lock(&list->lock);
    obj = g_hash_table_lookup(list->byUUID, uuidstr);
    byName = g_hash_table_lookup(list->byName, def->name);
    if (obj) {
        g_mutex_lock(&obj->lock);
        if (strcmp(obj->def->name, def->name) != 0) {
            mvErrorReport(MV_FROM_DOMAIN, MV_ERR_OPERATION_FAILED,
                          "domain '%s' is already defined with uuid %s",
                          obj->def->name, uuidstr);
            g_mutex_unlock(&obj->lock);
            g_mutex_unlock(&list->lock);
            return NULL;
        }
        objRef(obj);
        g_mutex_unlock(&list->lock);
        /* Write first: a failed save leaves the old definition in force. */
        if (saveDef(list, def) < 0) {
            qemuDomainObjEndAPI(&obj);
            return NULL;
        }
        if (qemuDomainObjIsActive(obj)) {
            mvDomainDefFree(obj->newDef);
            obj->newDef = def;
        } else {
            mvDomainDefFree(obj->def);
            obj->def = def;
        }
        obj->persistent = TRUE;
        *added = FALSE;
        return obj;
    }
    if (byName) {
        char other[MV_UUID_STRING_BUFLEN];
        mvUUIDFormat(byName->def->uuid, other);
        mvErrorReport(MV_FROM_DOMAIN, MV_ERR_OPERATION_FAILED, "domain '%s' already exists with uuid %s",
                      def->name, other);
        g_mutex_unlock(&list->lock);
        return NULL;
    }
    if (saveDef(list, def) < 0) {
        g_mutex_unlock(&list->lock);
        return NULL;
    }
    obj = objNew(def);
    obj->persistent = TRUE;
    listAddLocked(list, obj);
    g_mutex_lock(&obj->lock);
    g_mutex_unlock(&list->lock);
    *added = TRUE;
    return obj;
}

static int
removeConfigFiles(qemuDomainObjList *list, const char *name)
{
    g_autofree char *cfg = configPath(list, name);
    g_autofree char *link = autostartPath(list, name);

    if (unlink(cfg) < 0 && errno != ENOENT) {
        mvReportSystemError(errno, "cannot remove config %s", cfg);
        return -1;
    }
    if (unlink(link) < 0 && errno != ENOENT && errno != ENOTDIR) {
        mvReportSystemError(errno, "Failed to delete autostart link '%s'", link);
        return -1;
    }
    return 0;
}

int
qemuDomainObjListUndefine(qemuDomainObjList *list, qemuDomainObj *obj)
{
    if (removeConfigFiles(list, obj->def->name) < 0)
        return -1;
    obj->autostart = FALSE;
    if (qemuDomainObjIsActive(obj)) {
        obj->persistent = FALSE;
        mvDomainDefFree(obj->newDef);
        obj->newDef = NULL;
        return 0;
    }
    /* Lock order is list then object: step out and back in. */
    objRef(obj);
    g_mutex_unlock(&obj->lock);
    g_mutex_lock(&list->lock);
    g_mutex_lock(&obj->lock);
    if (!obj->removed)
        listRemoveLocked(list, obj);
    g_mutex_unlock(&list->lock);
    qemuDomainObjUnref(obj);
    return 0;
}

int
qemuDomainObjListRename(qemuDomainObjList *list, qemuDomainObj *obj, const char *newName)
{
    g_autoptr(mvDomainDef) copy = NULL;
    g_autofree char *oldName = NULL;
    gboolean wasAutostart = obj->autostart;

    objRef(obj);
    g_mutex_unlock(&obj->lock);
    g_mutex_lock(&list->lock);
    g_mutex_lock(&obj->lock);
    if (obj->removed) {
        mvReportError(MV_ERR_NO_DOMAIN, "%s", "domain was removed");
        goto error;
    }
    if (g_hash_table_lookup(list->byName, newName)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "domain with name '%s' already exists",
                      newName);
        goto error;
    }
    copy = mvDomainDefCopy(obj->def);
    if (!copy)
        goto error;
    g_free(copy->name);
    copy->name = g_strdup(newName);
    if (saveDef(list, copy) < 0)
        goto error;
    oldName = g_strdup(obj->def->name);
    if (removeConfigFiles(list, oldName) < 0) {
        g_autofree char *p = configPath(list, newName);
        unlink(p);
        goto error;
    }
    g_hash_table_remove(list->byName, oldName);
    mvDomainDefFree(obj->def);
    obj->def = g_steal_pointer(&copy);
    g_hash_table_insert(list->byName, g_strdup(newName), obj);
    g_mutex_unlock(&list->lock);
    qemuDomainObjUnref(obj);
    if (wasAutostart) {
        obj->autostart = FALSE;
        qemuDomainObjSetAutostart(list, obj, TRUE);
    }
    return 0;

 error:
    g_mutex_unlock(&list->lock);
    qemuDomainObjUnref(obj);
    return -1;
}

int
qemuDomainObjSetAutostart(qemuDomainObjList *list, qemuDomainObj *obj, gboolean autostart)
{
    g_autofree char *link = autostartPath(list, obj->def->name);
    g_autofree char *target = configPath(list, obj->def->name);

    if (!obj->persistent) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "cannot set autostart for transient domain");
        return -1;
    }
    if (obj->autostart == autostart)
        return 0;
    if (autostart) {
        if (mvFileMakePath(list->autostartDir, 0755) < 0)
            return -1;
        unlink(link);
        if (symlink(target, link) < 0) {
            mvReportSystemError(errno, "Failed to create symlink '%s' to '%s'", link, target);
            return -1;
        }
    } else if (unlink(link) < 0 && errno != ENOENT && errno != ENOTDIR) {
        mvReportSystemError(errno, "Failed to delete symlink '%s'", link);
        return -1;
    }
    obj->autostart = autostart;
    return 0;
}

int
qemuDomainObjListLoadAll(qemuDomainObjList *list)
{
    g_autoptr(GDir) dir = NULL;
    const char *ent;
    GError *gerr = NULL;

    if (!g_file_test(list->configDir, G_FILE_TEST_IS_DIR))
        return 0;
    {
        /* a define interrupted by a crash leaves its temp file: the old
         * file (or none) is what was acknowledged, so the temp goes */
        int n = mvFileRemoveAtomicTemps(list->configDir, ".xml");
        if (n > 0)
            MV_WARN("removed %d unfinished config write(s) from %s", n, list->configDir);
    }
    if (!(dir = g_dir_open(list->configDir, 0, &gerr))) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "cannot open %s: %s", list->configDir, gerr->message);
        g_error_free(gerr);
        return -1;
    }
    while ((ent = g_dir_read_name(dir))) {
        g_autofree char *path = NULL;
        g_autofree char *xml = NULL;
        g_autofree char *expectName = NULL;
        g_autofree char *link = NULL;
        mvDomainDef *def;
        qemuDomainObj *obj;
        char uuidstr[MV_UUID_STRING_BUFLEN];

        if (!g_str_has_suffix(ent, ".xml") || ent[0] == '.')
            continue;
        path = g_strdup_printf("%s/%s", list->configDir, ent);
        if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
            continue;
        expectName = g_strndup(ent, strlen(ent) - 4);
        if (!(xml = mvFileReadLimit(path, CONFIG_MAX_SIZE, NULL)) ||
            !(def = mvDomainDefParseString(xml, MV_DOMAIN_DEF_PARSE_INACTIVE))) {
            g_autoptr(mvError) err = mvErrorSteal();
            MV_ERROR("Failed to load config file '%s': %s", path, err ? err->message : "?");
            continue;
        }
        if (strcmp(def->name, expectName) != 0) {
            MV_ERROR("Failed to load config file '%s': domain name '%s' does not match file name",
                     path, def->name);
            mvDomainDefFree(def);
            continue;
        }
        mvUUIDFormat(def->uuid, uuidstr);
        g_mutex_lock(&list->lock);
        if (g_hash_table_lookup(list->byUUID, uuidstr) ||
            g_hash_table_lookup(list->byName, def->name)) {
            g_mutex_unlock(&list->lock);
            MV_ERROR("Failed to load config file '%s': duplicate domain name or uuid %s", path, uuidstr);
            mvDomainDefFree(def);
            continue;
        }
        obj = objNew(def);
        obj->persistent = TRUE;
        link = autostartPath(list, def->name);
        obj->autostart = g_file_test(link, G_FILE_TEST_EXISTS);
        listAddLocked(list, obj);
        g_mutex_unlock(&list->lock);
        qemuDomainObjUnref(obj);
    }
    return 0;
}

GPtrArray *
qemuDomainObjListCollect(qemuDomainObjList *list)
{
    GPtrArray *arr = g_ptr_array_new_with_free_func((GDestroyNotify)qemuDomainObjUnref);
    GHashTableIter it;
    gpointer v;

    g_mutex_lock(&list->lock);
    g_hash_table_iter_init(&it, list->byUUID);
    while (g_hash_table_iter_next(&it, NULL, &v))
        g_ptr_array_add(arr, objRef(v));
    g_mutex_unlock(&list->lock);
    return arr;
}

unsigned int
qemuDomainObjListCount(qemuDomainObjList *list, gboolean active)
{
    g_autoptr(GPtrArray) arr = qemuDomainObjListCollect(list);
    unsigned int n = 0;

    for (guint i = 0; i < arr->len; i++) {
        qemuDomainObj *obj = g_ptr_array_index(arr, i);
        g_mutex_lock(&obj->lock);
        if (!obj->removed && qemuDomainObjIsActive(obj) == active)
            n++;
        g_mutex_unlock(&obj->lock);
    }
    return n;
}

qemuDomainObj *
qemuDomainObjListAddTransient(qemuDomainObjList *list, mvDomainDef *def)
{
    char uuidstr[MV_UUID_STRING_BUFLEN];
    qemuDomainObj *obj;

    mvUUIDFormat(def->uuid, uuidstr);
    g_mutex_lock(&list->lock);
    if ((obj = g_hash_table_lookup(list->byUUID, uuidstr))) {
        g_mutex_lock(&obj->lock);
        if (strcmp(obj->def->name, def->name) != 0)
            mvErrorReport(MV_FROM_DOMAIN, MV_ERR_OPERATION_FAILED, "domain '%s' is already defined with uuid %s",
                          obj->def->name, uuidstr);
        else if (qemuDomainObjIsActive(obj))
            mvErrorReport(MV_FROM_DOMAIN, MV_ERR_OPERATION_INVALID, "domain '%s' is already active",
                          obj->def->name);
        else {
            /* an inactive persistent domain of that name: start it with this XML */
            objRef(obj);
            g_mutex_unlock(&list->lock);
            mvDomainDefFree(obj->newDef);
            obj->newDef = obj->def;
            def->id = -1;
            obj->def = def;
            return obj;
        }
        g_mutex_unlock(&obj->lock);
        g_mutex_unlock(&list->lock);
        return NULL;
    }
    if ((obj = g_hash_table_lookup(list->byName, def->name))) {
        char other[MV_UUID_STRING_BUFLEN];
        mvUUIDFormat(obj->def->uuid, other);
        mvErrorReport(MV_FROM_DOMAIN, MV_ERR_OPERATION_FAILED, "domain '%s' already exists with uuid %s",
                      def->name, other);
        g_mutex_unlock(&list->lock);
        return NULL;
    }
    obj = objNew(def);
    obj->persistent = FALSE;
    listAddLocked(list, obj);
    g_mutex_lock(&obj->lock);
    g_mutex_unlock(&list->lock);
    return obj;
}

void
qemuDomainObjListRemove(qemuDomainObjList *list, qemuDomainObj *obj)
{
    objRef(obj);
    g_mutex_unlock(&obj->lock);
    g_mutex_lock(&list->lock);
    g_mutex_lock(&obj->lock);
    if (!obj->removed)
        listRemoveLocked(list, obj);
    g_mutex_unlock(&list->lock);
    qemuDomainObjUnref(obj);
}

int
qemuDomainObjListMaxID(qemuDomainObjList *list)
{
    GHashTableIter it;
    gpointer v;
    int max = 0;

    g_mutex_lock(&list->lock);
    g_hash_table_iter_init(&it, list->byUUID);
    while (g_hash_table_iter_next(&it, NULL, &v))
        max = MAX(max, ((qemuDomainObj *)v)->def->id);
    g_mutex_unlock(&list->lock);
    return max;
}
