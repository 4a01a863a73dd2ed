/* REMOTE procedures on domains: lookup, listing, definitions and their
 * configuration.  Each handler decodes nothing itself: args/ret are the
 * generated structs. */
#define MV_FROM_THIS MV_FROM_QEMU
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "qemu_driver.h"
#include "remote/remote.h"
#include "util/error.h"
#include "util/log.h"
#include "util/uuid.h"
#include "util/process.h"

int qemuDomainSetMemoryLive(qemuDomainObj *obj, unsigned long long kib);
int qemuDomainSetVcpusLive(qemuDomainObj *obj, unsigned int nvcpus);

/* libvirt's public flag values */
#define AFFECT_LIVE 1
#define AFFECT_CONFIG 2
#define MEM_MAXIMUM 4
#define VCPU_MAXIMUM 4
#define VCPU_GUEST 8
#define VCPU_HOTPLUGGABLE 16
#define XML_SECURE 1
#define XML_INACTIVE 2
#define XML_UPDATE_CPU 4
#define XML_MIGRATABLE 8
#define DEFINE_VALIDATE 1
#define UNDEFINE_MANAGED_SAVE 1
#define UNDEFINE_SNAPSHOTS_METADATA 2
#define UNDEFINE_NVRAM 4
#define UNDEFINE_KEEP_NVRAM 8
#define UNDEFINE_CHECKPOINTS_METADATA 16
#define UNDEFINE_TPM 32
#define UNDEFINE_KEEP_TPM 64

static qemuDomainObj *
objFromDom(struct mvRpcCall *call, remote_nonnull_domain *dom)
{
    qemuDomainObj *obj;

    if (!mvRemoteConnect(call))
        return NULL;
    if (!(obj = qemuDomainObjListFindByUUID(qemu_driver->domains, (const unsigned char *)dom->uuid))) {
        char uuidstr[MV_UUID_STRING_BUFLEN];
        mvErrorReset();
        mvUUIDFormat((const unsigned char *)dom->uuid, uuidstr);
        mvReportError(MV_ERR_NO_DOMAIN, "no domain with matching uuid '%s' (%s)",
                      uuidstr, dom->name);
    }
    return obj;
}

static void
makeDom(remote_nonnull_domain *dst, qemuDomainObj *obj)
{
    mvRemoteMakeDomain(dst, obj->def->name, obj->def->uuid, obj->def->id);
}

/* Resolve CURRENT into LIVE or CONFIG and check the domain can take them. */
static int
updateAffect(qemuDomainObj *obj, unsigned int *flags)
{
    gboolean active = qemuDomainObjIsActive(obj);

    if ((*flags & (AFFECT_LIVE | AFFECT_CONFIG)) == 0)
        *flags |= active ? AFFECT_LIVE : AFFECT_CONFIG;
    if (!active && (*flags & AFFECT_LIVE)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        return -1;
    }
    if (!obj->persistent && (*flags & AFFECT_CONFIG)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "transient domains do not have any persistent config");
        return -1;
    }
    return 0;
}

/* ---- lookups ------------------------------------------------------------ */

int
mvRemoteDispatchDomainLookupByName(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_lookup_by_name_args *args = a;
    remote_domain_lookup_by_name_ret *ret = r;
    qemuDomainObj *obj;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(obj = qemuDomainObjListFindByName(qemu_driver->domains, args->name)))
        return -1;
    makeDom(&ret->dom, obj);
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainLookupByUuid(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_lookup_by_uuid_args *args = a;
    remote_domain_lookup_by_uuid_ret *ret = r;
    qemuDomainObj *obj;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(obj = qemuDomainObjListFindByUUID(qemu_driver->domains, (const unsigned char *)args->uuid)))
        return -1;
    makeDom(&ret->dom, obj);
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainLookupById(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_lookup_by_id_args *args = a;
    remote_domain_lookup_by_id_ret *ret = r;
    qemuDomainObj *obj;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(obj = qemuDomainObjListFindByID(qemu_driver->domains, args->id)))
        return -1;
    makeDom(&ret->dom, obj);
    qemuDomainObjEndAPI(&obj);
    return 0;
}

/* ---- listing ------------------------------------------------------------ */

#define LIST_ACTIVE (1u << 0)
#define LIST_INACTIVE (1u << 1)
#define LIST_PERSISTENT (1u << 2)
#define LIST_TRANSIENT (1u << 3)
#define LIST_RUNNING (1u << 4)
#define LIST_PAUSED (1u << 5)
#define LIST_SHUTOFF (1u << 6)
#define LIST_OTHER (1u << 7)
#define LIST_MANAGEDSAVE (1u << 8)
#define LIST_NO_MANAGEDSAVE (1u << 9)
#define LIST_AUTOSTART (1u << 10)
#define LIST_NO_AUTOSTART (1u << 11)
#define LIST_HAS_SNAPSHOT (1u << 12)
#define LIST_NO_SNAPSHOT (1u << 13)
#define LIST_HAS_CHECKPOINT (1u << 14)
#define LIST_NO_CHECKPOINT (1u << 15)
#define LIST_ALL_FLAGS 0xffffu

static gboolean
listMatch(qemuDomainObj *obj, unsigned int flags)
{
    gboolean active = qemuDomainObjIsActive(obj);

#define PAIR(a, b, cond) \
    if ((flags & ((a) | (b))) && (flags & ((a) | (b))) != ((a) | (b)) && \
        !(((flags & (a)) && (cond)) || ((flags & (b)) && !(cond)))) \
        return FALSE;
    PAIR(LIST_ACTIVE, LIST_INACTIVE, active);
    PAIR(LIST_PERSISTENT, LIST_TRANSIENT, obj->persistent);
    PAIR(LIST_MANAGEDSAVE, LIST_NO_MANAGEDSAVE, FALSE);
    PAIR(LIST_AUTOSTART, LIST_NO_AUTOSTART, obj->autostart);
    PAIR(LIST_HAS_SNAPSHOT, LIST_NO_SNAPSHOT, FALSE);
    PAIR(LIST_HAS_CHECKPOINT, LIST_NO_CHECKPOINT, FALSE);
#undef PAIR
    if (flags & (LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER)) {
        int st = obj->state;
        gboolean ok = ((flags & LIST_RUNNING) && st == MV_DOMAIN_RUNNING) ||
                      ((flags & LIST_PAUSED) && st == MV_DOMAIN_PAUSED) ||
                      ((flags & LIST_SHUTOFF) && st == MV_DOMAIN_SHUTOFF) ||
                      ((flags & LIST_OTHER) && st != MV_DOMAIN_RUNNING &&
                       st != MV_DOMAIN_PAUSED && st != MV_DOMAIN_SHUTOFF);
        if (!ok)
            return FALSE;
    }
    return TRUE;
}

int
mvRemoteDispatchConnectListAllDomains(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_list_all_domains_args *args = a;
    remote_connect_list_all_domains_ret *ret = r;
    g_autoptr(GPtrArray) objs = NULL;
    g_autoptr(GArray) doms = NULL;

    if (!mvRemoteConnect(call))
        return -1;
    if (qemuCheckFlags(args->flags, LIST_ALL_FLAGS, "virConnectListAllDomains") < 0)
        return -1;
    objs = qemuDomainObjListCollect(qemu_driver->domains);
    doms = g_array_new(FALSE, TRUE, sizeof(remote_nonnull_domain));
    for (guint i = 0; i < objs->len; i++) {
        qemuDomainObj *obj = g_ptr_array_index(objs, i);
        g_mutex_lock(&obj->lock);
        if (!obj->removed && listMatch(obj, args->flags)) {
            if (args->need_results) {
                remote_nonnull_domain d;
                makeDom(&d, obj);
                g_array_append_val(doms, d);
            }
            ret->ret++;
        }
        g_mutex_unlock(&obj->lock);
    }
    if (ret->ret > REMOTE_DOMAIN_LIST_MAX) {
        for (guint i = 0; i < doms->len; i++)
            g_free(g_array_index(doms, remote_nonnull_domain, i).name);
        mvReportError(MV_ERR_RPC, "Too many domains '%u' for limit '%d'",
                      ret->ret, REMOTE_DOMAIN_LIST_MAX);
        ret->ret = 0;
        return -1;
    }
    if (args->need_results) {
        ret->domains.domains_len = doms->len;
        ret->domains.domains_val = (remote_nonnull_domain *)g_array_free(g_steal_pointer(&doms), FALSE);
    }
    return 0;
}

int
mvRemoteDispatchConnectNumOfDomains(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_num_of_domains_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    ret->num = qemuDomainObjListCount(qemu_driver->domains, TRUE);
    return 0;
}

int
mvRemoteDispatchConnectNumOfDefinedDomains(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_num_of_defined_domains_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    ret->num = qemuDomainObjListCount(qemu_driver->domains, FALSE);
    return 0;
}

int
mvRemoteDispatchConnectListDomains(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_list_domains_args *args = a;
    remote_connect_list_domains_ret *ret = r;
    g_autoptr(GPtrArray) objs = NULL;
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int));

    if (!mvRemoteConnect(call))
        return -1;
    if (args->maxids < 0 || args->maxids > REMOTE_DOMAIN_LIST_MAX) {
        mvReportError(MV_ERR_RPC, "%s", "maxids > REMOTE_DOMAIN_LIST_MAX");
        return -1;
    }
    objs = qemuDomainObjListCollect(qemu_driver->domains);
    for (guint i = 0; i < objs->len && (int)ids->len < args->maxids; i++) {
        qemuDomainObj *obj = g_ptr_array_index(objs, i);
        g_mutex_lock(&obj->lock);
        if (!obj->removed && qemuDomainObjIsActive(obj))
            g_array_append_val(ids, obj->def->id);
        g_mutex_unlock(&obj->lock);
    }
    ret->ids.ids_len = ids->len;
    ret->ids.ids_val = (int *)g_array_free(g_steal_pointer(&ids), FALSE);
    return 0;
}

int
mvRemoteDispatchConnectListDefinedDomains(struct mvRpcCall *call, void *a, void *r)
{
    remote_connect_list_defined_domains_args *args = a;
    remote_connect_list_defined_domains_ret *ret = r;
    g_autoptr(GPtrArray) objs = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new();

    if (!mvRemoteConnect(call))
        return -1;
    if (args->maxnames < 0 || args->maxnames > REMOTE_DOMAIN_LIST_MAX) {
        mvReportError(MV_ERR_RPC, "%s", "maxnames > REMOTE_DOMAIN_LIST_MAX");
        return -1;
    }
    objs = qemuDomainObjListCollect(qemu_driver->domains);
    for (guint i = 0; i < objs->len && (int)names->len < args->maxnames; i++) {
        qemuDomainObj *obj = g_ptr_array_index(objs, i);
        g_mutex_lock(&obj->lock);
        if (!obj->removed && !qemuDomainObjIsActive(obj))
            g_ptr_array_add(names, g_strdup(obj->def->name));
        g_mutex_unlock(&obj->lock);
    }
    ret->names.names_len = names->len;
    ret->names.names_val = (char **)g_ptr_array_free(g_steal_pointer(&names), FALSE);
    return 0;
}

/* ---- define / undefine ---------------------------------------------------- */

static int
domainDefine(struct mvRpcCall *call, const char *xml, unsigned int flags,
             remote_nonnull_domain *out)
{
    g_autoptr(mvDomainDef) def = NULL;
    qemuDomainObj *obj;
    gboolean added = FALSE;

    if (!mvRemoteConnect(call))
        return -1;
    if (qemuCheckFlags(flags, DEFINE_VALIDATE, "qemuDomainDefineXMLFlags") < 0)
        return -1;
    if (!(def = mvDomainDefParseString(xml, MV_DOMAIN_DEF_PARSE_INACTIVE)))
        return -1;
    if (qemuDriverPostParse(def) < 0)
        return -1;
    if (!(obj = qemuDomainObjListDefine(qemu_driver->domains, def, &added)))
        return -1;
    def = NULL;   /* owned by obj now */
    MV_INFO("Creating domain '%s'", obj->def->name);
    qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_DEFINED,
                             added ? MV_DOMAIN_EVENT_DEFINED_ADDED : MV_DOMAIN_EVENT_DEFINED_UPDATED);
    makeDom(out, obj);
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainDefineXml(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_define_xml_args *args = a;
    remote_domain_define_xml_ret *ret = r;
    return domainDefine(call, args->xml, 0, &ret->dom);
}

int
mvRemoteDispatchDomainDefineXmlFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_define_xml_flags_args *args = a;
    remote_domain_define_xml_flags_ret *ret = r;
    return domainDefine(call, args->xml, args->flags, &ret->dom);
}

/* <os><nvram>PATH</nvram></os>, or NULL */
static char *
domainNvramPath(const mvDomainDef *def)
{
    if (!def->os)
        return NULL;
    for (xmlNode *n = def->os->children; n; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "nvram")) {
            xmlChar *c = xmlNodeGetContent(n);
            char *ret = c && *c ? g_strdup((const char *)c) : NULL;
            xmlFree(c);
            return ret;
        }
    }
    return NULL;
}

static int
domainUndefine(struct mvRpcCall *call, remote_nonnull_domain *dom, unsigned int flags)
{
    qemuDomainObj *obj;
    mvDomainDef *def;
    g_autofree char *nvram = NULL;
    int ret = -1;

    if (qemuCheckFlags(flags, UNDEFINE_MANAGED_SAVE | UNDEFINE_SNAPSHOTS_METADATA |
                       UNDEFINE_NVRAM | UNDEFINE_KEEP_NVRAM | UNDEFINE_CHECKPOINTS_METADATA |
                       UNDEFINE_TPM | UNDEFINE_KEEP_TPM, "qemuDomainUndefineFlags") < 0)
        return -1;
    if ((flags & UNDEFINE_NVRAM) && (flags & UNDEFINE_KEEP_NVRAM)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s",
                      "cannot both keep and delete nvram");
        return -1;
    }
    if (!(obj = objFromDom(call, dom)))
        return -1;
    if (!obj->persistent) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "cannot undefine transient domain");
        goto cleanup;
    }
    def = qemuDomainObjGetPersistentDef(obj);
    nvram = domainNvramPath(def);
    if (nvram && !qemuDomainObjIsActive(obj) && g_file_test(nvram, G_FILE_TEST_EXISTS)) {
        if (flags & UNDEFINE_NVRAM) {
            if (unlink(nvram) < 0) {
                mvReportSystemError(errno, "failed to remove nvram: %s", nvram);
                goto cleanup;
            }
        } else if (!(flags & UNDEFINE_KEEP_NVRAM)) {
            mvReportError(MV_ERR_OPERATION_INVALID, "%s", "cannot undefine domain with nvram");
            goto cleanup;
        }
    }
    if (qemuDomainObjListUndefine(qemu_driver->domains, obj) < 0)
        goto cleanup;
    MV_INFO("Undefining domain '%s'", obj->def->name);
    qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_UNDEFINED, MV_DOMAIN_EVENT_UNDEFINED_REMOVED);
    ret = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return ret;
}

int
mvRemoteDispatchDomainUndefine(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_undefine_args *args = a;
    return domainUndefine(call, &args->dom, 0);
}

int
mvRemoteDispatchDomainUndefineFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_undefine_flags_args *args = a;
    return domainUndefine(call, &args->dom, args->flags);
}

int
mvRemoteDispatchDomainRename(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_rename_args *args = a;
    remote_domain_rename_ret *ret = r;
    qemuDomainObj *obj;
    g_autofree char *oldName = NULL;
    int rc = -1;

    if (qemuCheckFlags(args->flags, 0, "qemuDomainRename") < 0)
        return -1;
    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    if (!args->new_name || !**args->new_name) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "new domain name is required");
        goto cleanup;
    }
    if (qemuDomainObjIsActive(obj)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "cannot rename active domain");
        goto cleanup;
    }
    if (!obj->persistent) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "cannot rename a transient domain");
        goto cleanup;
    }
    if (strcmp(obj->def->name, *args->new_name) == 0) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "Can't rename domain to itself");
        goto cleanup;
    }
    if (!mvDomainNameIsValid(*args->new_name))
        goto cleanup;
    oldName = g_strdup(obj->def->name);
    if (qemuDomainObjListRename(qemu_driver->domains, obj, *args->new_name) < 0)
        goto cleanup;
    mvRemoteEmitDomainLifecycle(oldName, obj->def->uuid, obj->def->id,
                                MV_DOMAIN_EVENT_UNDEFINED, MV_DOMAIN_EVENT_UNDEFINED_RENAMED);
    qemuDomainEventLifecycle(obj, MV_DOMAIN_EVENT_DEFINED, MV_DOMAIN_EVENT_DEFINED_RENAMED);
    ret->retcode = 0;
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

/* ---- XML and information ---------------------------------------------------- */

int
mvRemoteDispatchDomainGetXmlDesc(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_xml_desc_args *args = a;
    remote_domain_get_xml_desc_ret *ret = r;
    qemuDomainObj *obj;
    const mvDomainDef *def;

    if (qemuCheckFlags(args->flags, XML_SECURE | XML_INACTIVE | XML_UPDATE_CPU | XML_MIGRATABLE,
                       "qemuDomainGetXMLDesc") < 0)
        return -1;
    if ((args->flags & XML_SECURE) && mvRpcClientIsReadonly(call->client)) {
        mvErrorReport(MV_FROM_DOMAIN, MV_ERR_OPERATION_DENIED, "%s",
                      "virDomainGetXMLDesc with secure flag");
        return -1;
    }
    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    def = (args->flags & XML_INACTIVE) ? qemuDomainObjGetPersistentDef(obj) : obj->def;
    ret->xml = mvDomainDefFormat(def, args->flags);
    qemuDomainObjEndAPI(&obj);
    return ret->xml ? 0 : -1;
}

int
mvRemoteDispatchDomainGetInfo(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_info_args *args = a;
    remote_domain_get_info_ret *ret = r;
    qemuDomainObj *obj;

    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    ret->state = obj->state;
    ret->maxMem = obj->def->memoryKiB;
    ret->memory = obj->def->currentMemoryKiB;
    ret->nrVirtCpu = obj->def->vcpusCurrent;
    ret->cpuTime = 0;
    if (qemuDomainObjIsActive(obj) && obj->pid > 0) {
        long long ns = mvProcessCpuTimeNs(obj->pid);
        ret->cpuTime = ns > 0 ? ns : 0;
    }
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainGetState(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_state_args *args = a;
    remote_domain_get_state_ret *ret = r;
    qemuDomainObj *obj;

    if (qemuCheckFlags(args->flags, 0, "qemuDomainGetState") < 0)
        return -1;
    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    ret->state = obj->state;
    ret->reason = obj->reason;
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainGetOsType(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_os_type_args *args = a;
    remote_domain_get_os_type_ret *ret = r;
    qemuDomainObj *obj;

    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    ret->type = g_strdup(obj->def->osType ? obj->def->osType : "hvm");
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainGetMaxMemory(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_max_memory_args *args = a;
    remote_domain_get_max_memory_ret *ret = r;
    qemuDomainObj *obj;

    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    ret->memory = obj->def->memoryKiB;
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainGetAutostart(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_autostart_args *args = a;
    remote_domain_get_autostart_ret *ret = r;
    qemuDomainObj *obj;

    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    ret->autostart = obj->autostart;
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainSetAutostart(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_set_autostart_args *args = a;
    qemuDomainObj *obj;
    int rc;

    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    rc = qemuDomainObjSetAutostart(qemu_driver->domains, obj, args->autostart != 0);
    qemuDomainObjEndAPI(&obj);
    return rc;
}

#define SIMPLE_BOOL_GETTER(Name, argsT, retT, field, expr) \
int \
mvRemoteDispatch##Name(struct mvRpcCall *call, void *a, void *r) \
{ \
    argsT *args = a; \
    retT *ret = r; \
    qemuDomainObj *obj; \
    if (!(obj = objFromDom(call, &args->dom))) \
        return -1; \
    ret->field = (expr); \
    qemuDomainObjEndAPI(&obj); \
    return 0; \
}

SIMPLE_BOOL_GETTER(DomainIsActive, remote_domain_is_active_args, remote_domain_is_active_ret,
                   active, qemuDomainObjIsActive(obj))
SIMPLE_BOOL_GETTER(DomainIsPersistent, remote_domain_is_persistent_args,
                   remote_domain_is_persistent_ret, persistent, obj->persistent)
SIMPLE_BOOL_GETTER(DomainIsUpdated, remote_domain_is_updated_args, remote_domain_is_updated_ret,
                   updated, obj->newDef != NULL)
SIMPLE_BOOL_GETTER(DomainHasManagedSaveImage, remote_domain_has_managed_save_image_args,
                   remote_domain_has_managed_save_image_ret, result, 0)
SIMPLE_BOOL_GETTER(DomainSnapshotNum, remote_domain_snapshot_num_args,
                   remote_domain_snapshot_num_ret, num, 0)
SIMPLE_BOOL_GETTER(DomainHasCurrentSnapshot, remote_domain_has_current_snapshot_args,
                   remote_domain_has_current_snapshot_ret, result, 0)

int
mvRemoteDispatchDomainListAllSnapshots(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_list_all_snapshots_args *args = a;
    remote_domain_list_all_snapshots_ret *ret = r;
    qemuDomainObj *obj;

    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    ret->ret = 0;
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchDomainGetSecurityLabel(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_security_label_args *args = a;
    remote_domain_get_security_label_ret *ret = r;
    qemuDomainObj *obj;

    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    /* No security driver: an empty label, like libvirt's "none" model. */
    ret->label.label_len = 1;
    ret->label.label_val = g_strdup("");
    ret->enforcing = 0;
    qemuDomainObjEndAPI(&obj);
    return 0;
}

int
mvRemoteDispatchNodeGetSecurityModel(struct mvRpcCall *call, void *a, void *r)
{
    remote_node_get_security_model_ret *ret = r;

    if (!mvRemoteConnect(call))
        return -1;
    ret->model.model_len = strlen("none") + 1;
    ret->model.model_val = g_strdup("none");
    ret->doi.doi_len = strlen("0") + 1;
    ret->doi.doi_val = g_strdup("0");
    return 0;
}

int
mvRemoteDispatchDomainGetMessages(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_messages_args *args = a;
    qemuDomainObj *obj;

    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    qemuDomainObjEndAPI(&obj);
    return 0;
}

/* ---- metadata --------------------------------------------------------------- */

int
mvRemoteDispatchDomainGetMetadata(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_metadata_args *args = a;
    remote_domain_get_metadata_ret *ret = r;
    qemuDomainObj *obj;
    unsigned int flags = args->flags;
    const mvDomainDef *def;

    if (qemuCheckFlags(flags, AFFECT_LIVE | AFFECT_CONFIG, "virDomainGetMetadata") < 0)
        return -1;
    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    if (updateAffect(obj, &flags) < 0) {
        qemuDomainObjEndAPI(&obj);
        return -1;
    }
    def = (flags & AFFECT_LIVE) ? obj->def : qemuDomainObjGetPersistentDef(obj);
    ret->metadata = mvDomainDefGetMetadata(def, args->type, args->uri ? *args->uri : NULL);
    qemuDomainObjEndAPI(&obj);
    return ret->metadata ? 0 : -1;
}

int
mvRemoteDispatchDomainSetMetadata(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_set_metadata_args *args = a;
    qemuDomainObj *obj;
    unsigned int flags = args->flags;
    int rc = -1;

    if (qemuCheckFlags(flags, AFFECT_LIVE | AFFECT_CONFIG, "virDomainSetMetadata") < 0)
        return -1;
    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    if (updateAffect(obj, &flags) < 0)
        goto cleanup;
    if (flags & AFFECT_LIVE) {
        if (mvDomainDefSetMetadata(obj->def, args->type,
                                   args->metadata ? *args->metadata : NULL,
                                   args->key ? *args->key : NULL,
                                   args->uri ? *args->uri : NULL) < 0)
            goto cleanup;
    }
    if (flags & AFFECT_CONFIG) {
        mvDomainDef *persist = qemuDomainObjGetPersistentDef(obj);
        g_autoptr(mvDomainDef) copy = mvDomainDefCopy(persist);
        if (!copy ||
            mvDomainDefSetMetadata(copy, args->type,
                                   args->metadata ? *args->metadata : NULL,
                                   args->key ? *args->key : NULL,
                                   args->uri ? *args->uri : NULL) < 0)
            goto cleanup;
        if (qemuDomainObjIsActive(obj)) {
            mvDomainDefFree(obj->newDef);
            obj->newDef = g_steal_pointer(&copy);
        } else {
            mvDomainDefFree(obj->def);
            obj->def = g_steal_pointer(&copy);
        }
        if (qemuDomainObjSaveConfig(qemu_driver->domains, obj) < 0)
            goto cleanup;
    }
    mvRemoteEmitDomainMetadataChange(obj->def->name, obj->def->uuid, obj->def->id, args->type,
                                     args->type == 2 && args->uri ? *args->uri : NULL);
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

/* ---- memory and vcpus (configuration) ----------------------------------------- */

/* Apply @fn to a copy of the persistent def and save it; on failure nothing changes. */
static int
changeConfig(qemuDomainObj *obj, int (*fn)(mvDomainDef *def, void *opaque), void *opaque)
{
    g_autoptr(mvDomainDef) copy = mvDomainDefCopy(qemuDomainObjGetPersistentDef(obj));
    mvDomainDef *old;

    if (!copy || fn(copy, opaque) < 0)
        return -1;
    if (qemuDomainObjIsActive(obj)) {
        old = obj->newDef;
        obj->newDef = g_steal_pointer(&copy);
    } else {
        old = obj->def;
        obj->def = g_steal_pointer(&copy);
    }
    if (qemuDomainObjSaveConfig(qemu_driver->domains, obj) < 0) {
        /* roll back so memory and disk agree */
        if (qemuDomainObjIsActive(obj)) {
            mvDomainDefFree(obj->newDef);
            obj->newDef = old;
        } else {
            mvDomainDefFree(obj->def);
            obj->def = old;
        }
        return -1;
    }
    mvDomainDefFree(old);
    return 0;
}

typedef struct { unsigned long long kib; gboolean maximum; } memChange;

static int
applyMemory(mvDomainDef *def, void *opaque)
{
    memChange *m = opaque;

    if (m->maximum) {
        if (m->kib == 0) {
            mvReportError(MV_ERR_INVALID_ARG, "%s", "memory size must be greater than 0");
            return -1;
        }
        def->memoryKiB = m->kib;
        if (def->currentMemoryKiB > m->kib)
            def->currentMemoryKiB = m->kib;
    } else {
        if (m->kib > def->memoryKiB) {
            mvReportError(MV_ERR_INVALID_ARG, "%s", "cannot set memory higher than max memory");
            return -1;
        }
        def->currentMemoryKiB = m->kib;
    }
    return 0;
}

static int
domainSetMemory(struct mvRpcCall *call, remote_nonnull_domain *dom, unsigned long long kib,
                unsigned int flags)
{
    qemuDomainObj *obj;
    memChange m = { kib, (flags & MEM_MAXIMUM) != 0 };
    int rc = -1;

    if (qemuCheckFlags(flags, AFFECT_LIVE | AFFECT_CONFIG | MEM_MAXIMUM, "qemuDomainSetMemoryFlags") < 0)
        return -1;
    if (kib > G_MAXULONG / 1 && kib > (1ULL << 53)) {
        mvReportError(MV_ERR_OVERFLOW, "memory size %llu KiB is too large", kib);
        return -1;
    }
    if (!(obj = objFromDom(call, dom)))
        return -1;
    if (updateAffect(obj, &flags) < 0)
        goto cleanup;
    if (flags & AFFECT_LIVE) {
        if (m.maximum) {
            mvReportError(MV_ERR_OPERATION_INVALID, "%s",
                          "cannot resize the maximum memory on an active domain");
            goto cleanup;
        }
        if ((flags & AFFECT_CONFIG) && kib > qemuDomainObjGetPersistentDef(obj)->memoryKiB) {
            mvReportError(MV_ERR_INVALID_ARG, "%s", "cannot set memory higher than max memory");
            goto cleanup;
        }
        if (qemuDomainSetMemoryLive(obj, kib) < 0)
            goto cleanup;
    }
    if ((flags & AFFECT_CONFIG) && changeConfig(obj, applyMemory, &m) < 0)
        goto cleanup;
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainSetMemoryFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_set_memory_flags_args *args = a;
    return domainSetMemory(call, &args->dom, args->memory, args->flags);
}

int
mvRemoteDispatchDomainSetMemory(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_set_memory_args *args = a;
    return domainSetMemory(call, &args->dom, args->memory, AFFECT_LIVE);
}

int
mvRemoteDispatchDomainSetMaxMemory(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_set_max_memory_args *args = a;
    return domainSetMemory(call, &args->dom, args->memory, AFFECT_LIVE | MEM_MAXIMUM);
}

typedef struct { unsigned int n; gboolean maximum; } vcpuChange;

static int
applyVcpus(mvDomainDef *def, void *opaque)
{
    vcpuChange *v = opaque;

    if (v->maximum) {
        def->vcpusMax = v->n;
        if (def->vcpusCurrent > v->n)
            def->vcpusCurrent = v->n;
        return 0;
    }
    if (v->n > def->vcpusMax) {
        mvReportError(MV_ERR_INVALID_ARG,
                      "requested vcpus is greater than max allowable vcpus for the persistent domain: %u > %u",
                      v->n, def->vcpusMax);
        return -1;
    }
    def->vcpusCurrent = v->n;
    return 0;
}

static int
domainSetVcpus(struct mvRpcCall *call, remote_nonnull_domain *dom, unsigned int n,
               unsigned int flags)
{
    qemuDomainObj *obj;
    vcpuChange v = { n, (flags & VCPU_MAXIMUM) != 0 };
    int maxv = MV_DOMAIN_MAX_VCPUS;
    int rc = -1;

    if (qemuCheckFlags(flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST |
                       VCPU_HOTPLUGGABLE, "qemuDomainSetVcpusFlags") < 0)
        return -1;
    if (n == 0) {
        mvReportError(MV_ERR_INVALID_ARG, "%s", "argument unsupported: can't set 0 processors");
        return -1;
    }
    if (maxv > 0 && n > (unsigned int)maxv) {
        mvReportError(MV_ERR_INVALID_ARG,
                      "requested vcpus is greater than max allowable vcpus for the connection: %u > %d",
                      n, maxv);
        return -1;
    }
    if (!(obj = objFromDom(call, dom)))
        return -1;
    if (updateAffect(obj, &flags) < 0)
        goto cleanup;
    if (flags & VCPU_GUEST) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        goto cleanup;
    }
    if (flags & AFFECT_LIVE) {
        if (v.maximum) {
            mvReportError(MV_ERR_OPERATION_UNSUPPORTED, "%s",
                          "maximum vcpu count of a live domain can't be modified");
            goto cleanup;
        }
        if (qemuDomainSetVcpusLive(obj, n) < 0)
            goto cleanup;
    }
    if ((flags & AFFECT_CONFIG) && changeConfig(obj, applyVcpus, &v) < 0)
        goto cleanup;
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainSetVcpusFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_set_vcpus_flags_args *args = a;
    return domainSetVcpus(call, &args->dom, args->nvcpus, args->flags);
}

int
mvRemoteDispatchDomainSetVcpus(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_set_vcpus_args *args = a;
    return domainSetVcpus(call, &args->dom, args->nvcpus, AFFECT_LIVE);
}

int
mvRemoteDispatchDomainGetVcpusFlags(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_vcpus_flags_args *args = a;
    remote_domain_get_vcpus_flags_ret *ret = r;
    unsigned int flags = args->flags;
    qemuDomainObj *obj;
    const mvDomainDef *def;
    int rc = -1;

    if (qemuCheckFlags(flags, AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST,
                       "qemuDomainGetVcpusFlags") < 0)
        return -1;
    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    if (updateAffect(obj, &flags) < 0)
        goto cleanup;
    if ((flags & AFFECT_LIVE) && (flags & AFFECT_CONFIG)) {
        mvReportError(MV_ERR_INVALID_ARG, "%s",
                      "Flags 'live' and 'config' are mutually exclusive");
        goto cleanup;
    }
    if (flags & VCPU_GUEST) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        goto cleanup;
    }
    def = (flags & AFFECT_LIVE) ? obj->def : qemuDomainObjGetPersistentDef(obj);
    ret->num = (flags & VCPU_MAXIMUM) ? def->vcpusMax : def->vcpusCurrent;
    rc = 0;
 cleanup:
    qemuDomainObjEndAPI(&obj);
    return rc;
}

int
mvRemoteDispatchDomainGetMaxVcpus(struct mvRpcCall *call, void *a, void *r)
{
    remote_domain_get_max_vcpus_args *args = a;
    remote_domain_get_max_vcpus_ret *ret = r;
    qemuDomainObj *obj;

    if (!(obj = objFromDom(call, &args->dom)))
        return -1;
    if (!qemuDomainObjIsActive(obj)) {
        mvReportError(MV_ERR_OPERATION_INVALID, "%s", "domain is not running");
        qemuDomainObjEndAPI(&obj);
        return -1;
    }
    ret->num = obj->def->vcpusMax;
    qemuDomainObjEndAPI(&obj);
    return 0;
}
