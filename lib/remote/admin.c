/* The admin program on NAME-admin-sock (what virt-admin speaks): the
 * handshake, the servers of the daemon ("virtqemud" and "admin", as with
 * libvirt's virtqemud), their worker pools, client lists and limits, closing
 * a client, the daemon's log filters and outputs.
 *
 * Semantics and error wording follow libvirt 9.0's admin server.  Typed
 * parameters travel as admin_typed_param arrays built here. */
#define MV_FROM_THIS MV_FROM_ADMIN
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>
#include "remote/remote.h"
#include "daemon/daemon.h"
#include "admin_protocol.h"
#include "util/error.h"
#include "util/log.h"

/* Field names: libvirt-admin.h's VIR_THREADPOOL_*, VIR_SERVER_CLIENTS_*,
 * VIR_CLIENT_INFO_* values. */
#define TP_MIN "minWorkers"
#define TP_MAX "maxWorkers"
#define TP_PRIO "prioWorkers"
#define TP_FREE "freeWorkers"
#define TP_CURRENT "nWorkers"
#define TP_QUEUE "jobQueueDepth"
#define CL_MAX "nclients_max"
#define CL_CURRENT "nclients"
#define CL_UNAUTH_MAX "nclients_unauth_max"
#define CL_UNAUTH_CURRENT "nclients_unauth"

/* ---- helpers ------------------------------------------------------------ */

static int
checkFlags(unsigned int flags, unsigned int supported, const char *func)
{
    if (flags & ~supported) {
        mvReportError(MV_ERR_INVALID_ARG, "unsupported flags (0x%x) in function %s",
                      flags & ~supported, func);
        return -1;
    }
    return 0;
}

/* libvirt's virNetDaemonGetServer */
static mvRpcServer *
getServer(const char *name)
{
    mvRpcServer *srv = mvRpcServerLookup(name);

    if (!srv)
        mvErrorReport(MV_FROM_RPC, MV_ERR_NO_SERVER, "No server named '%s'", name);
    return srv;
}

/* The handlers libvirt wrote by hand reword the lookup failure. */
static mvRpcServer *
getServerReworded(const char *name)
{
    mvRpcServer *srv = mvRpcServerLookup(name);

    if (!srv)
        mvReportError(MV_ERR_NO_SERVER, "no server with matching name '%s' found", name);
    return srv;
}

static void
makeServer(admin_nonnull_server *dst, mvRpcServer *srv)
{
    dst->name = g_strdup(mvRpcServerGetName(srv));
}

static void
makeClient(admin_nonnull_client *dst, mvRpcServer *srv, const mvRpcClientInfo *info)
{
    makeServer(&dst->srv, srv);
    dst->id = info->id;
    dst->timestamp = info->timestamp;
    dst->transport = info->transport;
}

static void
paramAdd(GArray *arr, const char *field, int type, const void *val)
{
    admin_typed_param p;

    memset(&p, 0, sizeof(p));
    p.field = g_strdup(field);
    p.value.type = type;
    switch (type) {
    case ADMIN_TYPED_PARAM_INT:
        p.value.admin_typed_param_value_u.i = *(const int *)val;
        break;
    case ADMIN_TYPED_PARAM_UINT:
        p.value.admin_typed_param_value_u.ui = *(const unsigned int *)val;
        break;
    case ADMIN_TYPED_PARAM_BOOLEAN:
        p.value.admin_typed_param_value_u.b = *(const int *)val ? 1 : 0;
        break;
    case ADMIN_TYPED_PARAM_STRING:
        p.value.admin_typed_param_value_u.s = g_strdup(val);
        break;
    default:
        g_assert_not_reached();
    }
    g_array_append_val(arr, p);
}

static void
paramAddUInt(GArray *arr, const char *field, unsigned int v)
{
    paramAdd(arr, field, ADMIN_TYPED_PARAM_UINT, &v);
}

static void
paramAddInt(GArray *arr, const char *field, int v)
{
    paramAdd(arr, field, ADMIN_TYPED_PARAM_INT, &v);
}

static void
paramAddBool(GArray *arr, const char *field, gboolean v)
{
    int b = v ? 1 : 0;
    paramAdd(arr, field, ADMIN_TYPED_PARAM_BOOLEAN, &b);
}

static void
paramAddString(GArray *arr, const char *field, const char *v)
{
    paramAdd(arr, field, ADMIN_TYPED_PARAM_STRING, v ? v : "");
}

static admin_typed_param *
paramsSteal(GArray *arr, u_int *len)
{
    *len = arr->len;
    if (arr->len == 0) {
        g_array_free(arr, TRUE);
        return NULL;
    }
    return (admin_typed_param *)g_array_free(arr, FALSE);
}

static const char *
typeName(int type)
{
    static const char *const names[] = {
        "unknown", "int", "uint", "llong", "ullong", "double", "boolean", "string"
    };
    return type >= 0 && type < (int)G_N_ELEMENTS(names) ? names[type] : names[0];
}

static gint
paramPtrCmp(gconstpointer a, gconstpointer b)
{
    const admin_typed_param *x = *(admin_typed_param *const *)a;
    const admin_typed_param *y = *(admin_typed_param *const *)b;
    return strcmp(x->field, y->field);
}

static gint
strPtrCmp(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* libvirt's virTypedParamsValidate for a set of UINT parameters: no unknown
 * names, no duplicates, the right type; errors worded and ordered as there. */
static int
validateUIntParams(const admin_typed_param *params, u_int nparams,
                   const char *const *names, size_t nnames)
{
    g_autoptr(GPtrArray) sorted = g_ptr_array_new();
    g_autofree const char **keys = g_new0(const char *, nnames);
    const char *last = NULL;
    size_t i = 0, j = 0;

    for (u_int k = 0; k < nparams; k++)
        g_ptr_array_add(sorted, (gpointer)&params[k]);
    g_ptr_array_sort(sorted, paramPtrCmp);
    memcpy(keys, names, nnames * sizeof(*keys));
    qsort(keys, nnames, sizeof(*keys), (int (*)(const void *, const void *))strPtrCmp);

    while (i < nparams && j < nnames) {
        const admin_typed_param *p = g_ptr_array_index(sorted, i);
        if (strcmp(p->field, keys[j]) != 0) {
            j++;
            continue;
        }
        if (last && strcmp(last, p->field) == 0) {
            mvErrorReport(MV_FROM_NONE, MV_ERR_INVALID_ARG,
                          "parameter '%s' occurs multiple times", p->field);
            return -1;
        }
        if (p->value.type != ADMIN_TYPED_PARAM_UINT) {
            mvErrorReport(MV_FROM_NONE, MV_ERR_INVALID_ARG,
                          "invalid type '%s' for parameter '%s', expected '%s'",
                          typeName(p->value.type), p->field, "uint");
            return -1;
        }
        last = p->field;
        i++;
    }
    if (j == nnames && i != nparams) {
        const admin_typed_param *p = g_ptr_array_index(sorted, i);
        mvErrorReport(MV_FROM_NONE, MV_ERR_ARGUMENT_UNSUPPORTED,
                      "parameter '%s' not supported", p->field);
        return -1;
    }
    return 0;
}

/* The UINT value of @name, or -1 when absent (validated beforehand). */
static long long
paramGetUInt(const admin_typed_param *params, u_int nparams, const char *name)
{
    for (u_int i = 0; i < nparams; i++) {
        if (strcmp(params[i].field, name) == 0)
            return params[i].value.admin_typed_param_value_u.ui;
    }
    return -1;
}

static unsigned int
countWords(const char *s)
{
    unsigned int n = 0;
    g_auto(GStrv) words = NULL;

    if (!s)
        return 0;
    words = g_strsplit_set(s, " \t\n", -1);
    for (size_t i = 0; words[i]; i++) {
        if (*words[i])
            n++;
    }
    return n;
}

/* ---- handshake ---------------------------------------------------------- */

int
mvAdminDispatchConnectOpen(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_open_args *args = a;
    mvConnect *conn = mvRpcClientGetPriv(call->client);
    uid_t uid = (uid_t)-1;
    pid_t pid = -1;

    if (args->flags) {
        mvReportError(MV_ERR_INVALID_ARG, "unsupported flags (0x%x) in function %s",
                      args->flags, "adminDispatchConnectOpen");
        return -1;
    }
    /* Like libvirt: only the daemon's own user administers it. */
    mvRpcClientGetPeer(call->client, &pid, &uid, NULL);
    if (uid != geteuid()) {
        mvReportError(MV_ERR_OPERATION_DENIED, "Disallowing client %lld with uid %lld",
                      (long long)pid, (long long)uid);
        return -1;
    }
    g_mutex_lock(&conn->lock);
    conn->opened = TRUE;
    g_mutex_unlock(&conn->lock);
    return 0;
}

int
mvAdminDispatchConnectClose(struct mvRpcCall *call, void *a, void *r)
{
    mvConnect *conn = mvRpcClientGetPriv(call->client);
    g_mutex_lock(&conn->lock);
    conn->opened = FALSE;
    g_mutex_unlock(&conn->lock);
    return 0;
}

int
mvAdminDispatchConnectGetLibVersion(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_get_lib_version_ret *ret = r;
    if (!mvRemoteConnect(call))
        return -1;
    ret->libVer = MODVIRT_VERSION_NUMBER;
    return 0;
}

/* ---- servers ------------------------------------------------------------ */

int
mvAdminDispatchConnectListServers(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_list_servers_args *args = a;
    admin_connect_list_servers_ret *ret = r;
    g_autoptr(GPtrArray) all = NULL;

    if (!mvRemoteConnect(call))
        return -1;
    if (checkFlags(args->flags, 0, "adminConnectListServers") < 0)
        return -1;
    all = mvRpcServerListAll();
    if (all->len > ADMIN_SERVER_LIST_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Too many servers '%u' for limit '%d'",
                      all->len, ADMIN_SERVER_LIST_MAX);
        return -1;
    }
    if (args->need_results && all->len) {
        ret->servers.servers_len = all->len;
        ret->servers.servers_val = g_new0(admin_nonnull_server, all->len);
        for (guint i = 0; i < all->len; i++)
            makeServer(&ret->servers.servers_val[i], g_ptr_array_index(all, i));
    }
    ret->ret = all->len;
    return 0;
}

int
mvAdminDispatchConnectLookupServer(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_lookup_server_args *args = a;
    admin_connect_lookup_server_ret *ret = r;
    mvRpcServer *srv;

    if (!mvRemoteConnect(call))
        return -1;
    /* libvirt 9.0 accepts any flags here (virCheckFlags(flags, NULL)). */
    if (!(srv = getServer(args->name)))
        return -1;
    makeServer(&ret->srv, srv);
    return 0;
}

int
mvAdminDispatchServerGetThreadpoolParameters(struct mvRpcCall *call, void *a, void *r)
{
    admin_server_get_threadpool_parameters_args *args = a;
    admin_server_get_threadpool_parameters_ret *ret = r;
    mvRpcThreadPoolInfo info;
    mvRpcServer *srv;
    GArray *params;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(srv = getServer(args->srv.name)))
        return -1;
    if (checkFlags(args->flags, 0, "adminServerGetThreadPoolParameters") < 0)
        return -1;
    mvRpcServerGetThreadPoolInfo(srv, &info);
    params = g_array_new(FALSE, TRUE, sizeof(admin_typed_param));
    paramAddUInt(params, TP_MIN, info.minWorkers);
    paramAddUInt(params, TP_MAX, info.maxWorkers);
    paramAddUInt(params, TP_CURRENT, info.nWorkers);
    paramAddUInt(params, TP_FREE, info.freeWorkers);
    paramAddUInt(params, TP_PRIO, info.prioWorkers);
    paramAddUInt(params, TP_QUEUE, info.jobQueueDepth);
    ret->params.params_val = paramsSteal(params, &ret->params.params_len);
    return 0;
}

int
mvAdminDispatchServerSetThreadpoolParameters(struct mvRpcCall *call, void *a, void *r)
{
    admin_server_set_threadpool_parameters_args *args = a;
    static const char *const names[] = { TP_MIN, TP_MAX, TP_PRIO };
    admin_typed_param *p = args->params.params_val;
    u_int n = args->params.params_len;
    mvRpcServer *srv;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(srv = getServerReworded(args->srv.name)))
        return -1;
    if (checkFlags(args->flags, 0, "adminServerSetThreadPoolParameters") < 0)
        return -1;
    if (validateUIntParams(p, n, names, G_N_ELEMENTS(names)) < 0)
        return -1;
    return mvRpcServerSetThreadPoolParams(srv, paramGetUInt(p, n, TP_MIN),
                                          paramGetUInt(p, n, TP_MAX),
                                          paramGetUInt(p, n, TP_PRIO));
}

/* ---- clients ------------------------------------------------------------ */

int
mvAdminDispatchServerListClients(struct mvRpcCall *call, void *a, void *r)
{
    admin_server_list_clients_args *args = a;
    admin_server_list_clients_ret *ret = r;
    g_autofree mvRpcClientInfo *clients = NULL;
    mvRpcServer *srv;
    size_t n = 0;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(srv = getServer(args->srv.name)))
        return -1;
    if (checkFlags(args->flags, 0, "adminServerListClients") < 0)
        return -1;
    clients = mvRpcServerListClients(srv, &n);
    if (n > ADMIN_CLIENT_LIST_MAX) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Too many clients '%zu' for limit '%d'",
                      n, ADMIN_CLIENT_LIST_MAX);
        return -1;
    }
    if (args->need_results && n) {
        ret->clients.clients_len = n;
        ret->clients.clients_val = g_new0(admin_nonnull_client, n);
        for (size_t i = 0; i < n; i++)
            makeClient(&ret->clients.clients_val[i], srv, &clients[i]);
    }
    ret->ret = n;
    return 0;
}

int
mvAdminDispatchServerLookupClient(struct mvRpcCall *call, void *a, void *r)
{
    admin_server_lookup_client_args *args = a;
    admin_server_lookup_client_ret *ret = r;
    mvRpcClientInfo info;
    mvRpcServer *srv;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(srv = getServer(args->srv.name)))
        return -1;
    if (checkFlags(args->flags, 0, "adminServerLookupClient") < 0)
        return -1;
    if (mvRpcServerGetClientInfo(srv, args->id, &info) < 0) {
        mvErrorReport(MV_FROM_RPC, MV_ERR_NO_CLIENT, "No client with matching ID '%llu'",
                      (unsigned long long)args->id);
        return -1;
    }
    makeClient(&ret->clnt, srv, &info);
    return 0;
}

int
mvAdminDispatchClientGetInfo(struct mvRpcCall *call, void *a, void *r)
{
    admin_client_get_info_args *args = a;
    admin_client_get_info_ret *ret = r;
    mvRpcClientInfo info;
    mvRpcServer *srv;
    GArray *params;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(srv = getServerReworded(args->clnt.srv.name)))
        return -1;
    if (mvRpcServerGetClientInfo(srv, args->clnt.id, &info) < 0) {
        mvReportError(MV_ERR_NO_CLIENT, "no client with matching id '%llu' found",
                      (unsigned long long)args->clnt.id);
        return -1;
    }
    if (checkFlags(args->flags, 0, "adminClientGetInfo") < 0)
        return -1;

    params = g_array_new(FALSE, TRUE, sizeof(admin_typed_param));
    paramAddBool(params, "readonly", info.readonly);
    if (info.transport == 0) {
        if (info.uid != (uid_t)-1) {
            struct passwd pw, *pwp = NULL;
            char buf[4096];
            paramAddInt(params, "unix_user_id", (int)info.uid);
            if (getpwuid_r(info.uid, &pw, buf, sizeof(buf), &pwp) == 0 && pwp)
                paramAddString(params, "unix_user_name", pwp->pw_name);
        }
        if (info.gid != (gid_t)-1) {
            struct group gr, *grp = NULL;
            char buf[4096];
            paramAddInt(params, "unix_group_id", (int)info.gid);
            if (getgrgid_r(info.gid, &gr, buf, sizeof(buf), &grp) == 0 && grp)
                paramAddString(params, "unix_group_name", grp->gr_name);
        }
        if (info.pid > 0)
            paramAddInt(params, "unix_process_id", (int)info.pid);
    }
    ret->params.params_val = paramsSteal(params, &ret->params.params_len);
    return 0;
}

int
mvAdminDispatchClientClose(struct mvRpcCall *call, void *a, void *r)
{
    admin_client_close_args *args = a;
    mvRpcClientInfo info;
    mvRpcServer *srv;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(srv = getServer(args->clnt.srv.name)))
        return -1;
    if (mvRpcServerGetClientInfo(srv, args->clnt.id, &info) < 0) {
        mvErrorReport(MV_FROM_RPC, MV_ERR_NO_CLIENT, "No client with matching ID '%llu'",
                      (unsigned long long)args->clnt.id);
        return -1;
    }
    if (checkFlags(args->flags, 0, "adminClientClose") < 0)
        return -1;
    /* A client that went away meanwhile is as good as closed. */
    mvRpcServerCloseClient(srv, args->clnt.id);
    return 0;
}

int
mvAdminDispatchServerGetClientLimits(struct mvRpcCall *call, void *a, void *r)
{
    admin_server_get_client_limits_args *args = a;
    admin_server_get_client_limits_ret *ret = r;
    unsigned int max = 0, cur = 0, umax = 0, ucur = 0;
    mvRpcServer *srv;
    GArray *params;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(srv = getServer(args->srv.name)))
        return -1;
    if (checkFlags(args->flags, 0, "adminServerGetClientLimits") < 0)
        return -1;
    mvRpcServerGetClientLimits(srv, &max, &cur, &umax, &ucur);
    params = g_array_new(FALSE, TRUE, sizeof(admin_typed_param));
    paramAddUInt(params, CL_MAX, max);
    paramAddUInt(params, CL_CURRENT, cur);
    paramAddUInt(params, CL_UNAUTH_MAX, umax);
    paramAddUInt(params, CL_UNAUTH_CURRENT, ucur);
    ret->params.params_val = paramsSteal(params, &ret->params.params_len);
    return 0;
}

int
mvAdminDispatchServerSetClientLimits(struct mvRpcCall *call, void *a, void *r)
{
    admin_server_set_client_limits_args *args = a;
    static const char *const names[] = { CL_MAX, CL_UNAUTH_MAX };
    admin_typed_param *p = args->params.params_val;
    u_int n = args->params.params_len;
    mvRpcServer *srv;

    if (!mvRemoteConnect(call))
        return -1;
    if (!(srv = getServerReworded(args->srv.name)))
        return -1;
    if (checkFlags(args->flags, 0, "adminServerSetClientLimits") < 0)
        return -1;
    if (validateUIntParams(p, n, names, G_N_ELEMENTS(names)) < 0)
        return -1;
    return mvRpcServerSetClientLimits(srv, paramGetUInt(p, n, CL_MAX),
                                      paramGetUInt(p, n, CL_UNAUTH_MAX));
}

int
mvAdminDispatchServerUpdateTlsFiles(struct mvRpcCall *call, void *a, void *r)
{
    admin_server_update_tls_files_args *args = a;

    if (!mvRemoteConnect(call))
        return -1;
    if (!getServer(args->srv.name))
        return -1;
    if (checkFlags(args->flags, 0, "adminServerUpdateTlsFiles") < 0)
        return -1;
    /* No server here listens with TLS (that is virtproxyd's job). */
    mvErrorReport(MV_FROM_RPC, MV_ERR_INTERNAL_ERROR, "%s",
                  "no tls service found, unable to update tls files");
    return -1;
}

/* ---- logging ------------------------------------------------------------ */

int
mvAdminDispatchConnectGetLoggingOutputs(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_get_logging_outputs_args *args = a;
    admin_connect_get_logging_outputs_ret *ret = r;

    if (!mvRemoteConnect(call))
        return -1;
    if (checkFlags(args->flags, 0, "adminConnectGetLoggingOutputs") < 0)
        return -1;
    ret->outputs = mvLogGetOutputs();
    ret->noutputs = countWords(ret->outputs);
    return 0;
}

int
mvAdminDispatchConnectGetLoggingFilters(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_get_logging_filters_args *args = a;
    admin_connect_get_logging_filters_ret *ret = r;
    g_autofree char *filters = NULL;
    g_auto(GStrv) words = NULL;
    GString *out;
    unsigned int n = 0;

    if (!mvRemoteConnect(call))
        return -1;
    if (checkFlags(args->flags, 0, "adminConnectGetLoggingFilters") < 0)
        return -1;
    filters = mvLogGetFilters();
    /* libvirt 9.0 stores a filter's match as the glob "*MATCH*" and lists
     * each filter as "PRIO:*MATCH* " (trailing space included). */
    out = g_string_new(NULL);
    words = g_strsplit_set(filters ? filters : "", " \t\n", -1);
    for (size_t i = 0; words[i]; i++) {
        const char *colon = strchr(words[i], ':');
        if (!*words[i])
            continue;
        if (colon)
            g_string_append_printf(out, "%.*s:*%s* ", (int)(colon - words[i]), words[i],
                                   colon + 1);
        else
            g_string_append_printf(out, "%s ", words[i]);
        n++;
    }
    if (n) {
        ret->filters = g_new0(admin_nonnull_string, 1);
        *ret->filters = g_string_free(out, FALSE);
    } else {
        g_string_free(out, TRUE);
        ret->filters = NULL;
    }
    ret->nfilters = n;
    return 0;
}

int
mvAdminDispatchConnectSetLoggingOutputs(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_set_logging_outputs_args *args = a;

    if (!mvRemoteConnect(call))
        return -1;
    if (checkFlags(args->flags, 0, "adminConnectSetLoggingOutputs") < 0)
        return -1;
    return mvLogSetOutputs(args->outputs ? *args->outputs : NULL);
}

int
mvAdminDispatchConnectSetLoggingFilters(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_set_logging_filters_args *args = a;

    if (!mvRemoteConnect(call))
        return -1;
    if (checkFlags(args->flags, 0, "adminConnectSetLoggingFilters") < 0)
        return -1;
    return mvLogSetFilters(args->filters ? *args->filters : NULL);
}

int
mvAdminDispatchConnectSetDaemonTimeout(struct mvRpcCall *call, void *a, void *r)
{
    admin_connect_set_daemon_timeout_args *args = a;

    if (!mvRemoteConnect(call))
        return -1;
    if (args->flags) {
        mvReportError(MV_ERR_INVALID_ARG, "unsupported flags (0x%x) in function %s",
                      args->flags, "adminConnectSetDaemonTimeout");
        return -1;
    }
    return mvDaemonSetTimeout(args->timeout);
}
