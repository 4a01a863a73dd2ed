/* Thread-local last error with libvirt-compatible message text.
 *
 * virsh prints "error: <message>" for whatever message the daemon sends, so
 * the per-code wording below must stay identical to what libvirt 9.0 produces
 * (checked against the strings of Debian's libvirt0 9.0.0). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "util/error.h"

#define MV_FROM_THIS MV_FROM_NONE

typedef struct {
    const char *plain;    /* used when there is no detail */
    const char *detail;   /* contains exactly one "%s" */
} mvErrorTemplatePair;

/* Indexed by error number.  The entries 41, 48, 51, 56, 60 and 64 are
 * libvirt's "warning" numbers (VIR_WAR_NO_*), kept so that every number a
 * peer could send has its text. */
static const mvErrorTemplatePair mvErrorTemplates[] = {
    [MV_ERR_OK] = { NULL, NULL },
    [MV_ERR_INTERNAL_ERROR] = { "internal error", "internal error: %s" },
    [MV_ERR_NO_MEMORY] = { "out of memory", "out of memory: %s" },
    [MV_ERR_NO_SUPPORT] = {
        "this function is not supported by the connection driver",
        "this function is not supported by the connection driver: %s" },
    [MV_ERR_UNKNOWN_HOST] = { "unknown host", "unknown host %s" },
    [MV_ERR_NO_CONNECT] = {
        "no connection driver available",
        "no connection driver available for %s" },
    [MV_ERR_INVALID_CONN] = {
        "invalid connection pointer in", "invalid connection pointer in %s" },
    [MV_ERR_INVALID_DOMAIN] = {
        "invalid domain pointer in", "invalid domain pointer in %s" },
    [MV_ERR_INVALID_ARG] = { "invalid argument", "invalid argument: %s" },
    [MV_ERR_OPERATION_FAILED] = { "operation failed", "operation failed: %s" },
    [MV_ERR_GET_FAILED] = { "GET operation failed", "GET operation failed: %s" },
    [MV_ERR_POST_FAILED] = { "POST operation failed", "POST operation failed: %s" },
    [MV_ERR_HTTP_ERROR] = {
        "got unknown HTTP error code", "got unknown HTTP error code %s" },
    [MV_ERR_SEXPR_SERIAL] = {
        "failed to serialize S-Expr", "failed to serialize S-Expr: %s" },
    [MV_ERR_NO_XEN] = {
        "could not use Xen hypervisor entry",
        "could not use Xen hypervisor entry %s" },
    [MV_ERR_XEN_CALL] = { "failed Xen syscall", "failed Xen syscall %s" },
    [MV_ERR_OS_TYPE] = { "unknown OS type", "unknown OS type %s" },
    [MV_ERR_NO_KERNEL] = {
        "missing kernel information", "missing kernel information: %s" },
    [MV_ERR_NO_ROOT] = {
        "missing root device information",
        "missing root device information in %s" },
    [MV_ERR_NO_SOURCE] = {
        "missing source information for device",
        "missing source information for device %s" },
    [MV_ERR_NO_TARGET] = {
        "missing target information for device",
        "missing target information for device %s" },
    [MV_ERR_NO_NAME] = {
        "missing name information", "missing name information in %s" },
    [MV_ERR_NO_OS] = {
        "missing operating system information",
        "missing operating system information for %s" },
    [MV_ERR_NO_DEVICE] = {
        "missing devices information", "missing devices information for %s" },
    [MV_ERR_NO_XENSTORE] = {
        "could not connect to Xen Store", "could not connect to Xen Store %s" },
    [MV_ERR_DRIVER_FULL] = {
        "too many drivers registered", "too many drivers registered in %s" },
    [MV_ERR_CALL_FAILED] = { "library call failed", "library call failed: %s" },
    [MV_ERR_XML_ERROR] = {
        "XML description is invalid or not well formed", "XML error: %s" },
    [MV_ERR_DOM_EXIST] = {
        "this domain exists already", "domain %s exists already" },
    [MV_ERR_OPERATION_DENIED] = {
        "operation forbidden for read only access", "operation forbidden: %s" },
    [MV_ERR_OPEN_FAILED] = {
        "failed to open configuration file",
        "failed to open configuration file %s" },
    [MV_ERR_READ_FAILED] = {
        "failed to read configuration file",
        "failed to read configuration file %s" },
    [MV_ERR_PARSE_FAILED] = {
        "failed to parse configuration file",
        "failed to parse configuration file %s" },
    [MV_ERR_CONF_SYNTAX] = {
        "configuration file syntax error",
        "configuration file syntax error: %s" },
    [MV_ERR_WRITE_FAILED] = {
        "failed to write configuration file",
        "failed to write configuration file: %s" },
    [MV_ERR_XML_DETAIL] = { "parser error", "%s" },
    [MV_ERR_INVALID_NETWORK] = {
        "invalid network pointer in", "invalid network pointer in %s" },
    [MV_ERR_NETWORK_EXIST] = {
        "this network exists already", "network %s exists already" },
    [MV_ERR_SYSTEM_ERROR] = { "system call error", "%s" },
    [MV_ERR_RPC] = { "RPC error", "%s" },
    [MV_ERR_GNUTLS_ERROR] = { "GNUTLS call error", "%s" },
    [MV_WAR_NO_NETWORK] = {
        "Failed to find the network", "Failed to find the network: %s" },
    [MV_ERR_NO_DOMAIN] = { "Domain not found", "Domain not found: %s" },
    [MV_ERR_NO_NETWORK] = { "Network not found", "Network not found: %s" },
    [MV_ERR_INVALID_MAC] = { "invalid MAC address", "invalid MAC address: %s" },
    [MV_ERR_AUTH_FAILED] = {
        "authentication failed", "authentication failed: %s" },
    [MV_ERR_INVALID_STORAGE_POOL] = {
        "invalid storage pool pointer in",
        "invalid storage pool pointer in %s" },
    [MV_ERR_INVALID_STORAGE_VOL] = {
        "invalid storage volume pointer in",
        "invalid storage volume pointer in %s" },
    [MV_WAR_NO_STORAGE] = {
        "Failed to find a storage driver",
        "Failed to find a storage driver: %s" },
    [MV_ERR_NO_STORAGE_POOL] = {
        "Storage pool not found", "Storage pool not found: %s" },
    [MV_ERR_NO_STORAGE_VOL] = {
        "Storage volume not found", "Storage volume not found: %s" },
    [MV_WAR_NO_NODE] = {
        "Failed to find a node driver", "Failed to find a node driver: %s" },
    [MV_ERR_INVALID_NODE_DEVICE] = {
        "invalid node device pointer", "invalid node device pointer in %s" },
    [MV_ERR_NO_NODE_DEVICE] = {
        "Node device not found", "Node device not found: %s" },
    [MV_ERR_NO_SECURITY_MODEL] = {
        "Security model not found", "Security model not found: %s" },
    [MV_ERR_OPERATION_INVALID] = {
        "Requested operation is not valid",
        "Requested operation is not valid: %s" },
    [MV_WAR_NO_INTERFACE] = {
        "Failed to find the interface", "Failed to find the interface: %s" },
    [MV_ERR_NO_INTERFACE] = { "Interface not found", "Interface not found: %s" },
    [MV_ERR_INVALID_INTERFACE] = {
        "invalid interface pointer in", "invalid interface pointer in %s" },
    [MV_ERR_MULTIPLE_INTERFACES] = {
        "multiple matching interfaces found",
        "multiple matching interfaces found: %s" },
    [MV_WAR_NO_NWFILTER] = {
        "Failed to start the nwfilter driver",
        "Failed to start the nwfilter driver: %s" },
    [MV_ERR_INVALID_NWFILTER] = {
        "Invalid network filter", "Invalid network filter: %s" },
    [MV_ERR_NO_NWFILTER] = {
        "Network filter not found", "Network filter not found: %s" },
    [MV_ERR_BUILD_FIREWALL] = {
        "Error while building firewall", "Error while building firewall: %s" },
    [MV_WAR_NO_SECRET] = {
        "Failed to find a secret storage driver",
        "Failed to find a secret storage driver: %s" },
    [MV_ERR_INVALID_SECRET] = { "Invalid secret", "Invalid secret: %s" },
    [MV_ERR_NO_SECRET] = { "Secret not found", "Secret not found: %s" },
    [MV_ERR_CONFIG_UNSUPPORTED] = {
        "unsupported configuration", "unsupported configuration: %s" },
    [MV_ERR_OPERATION_TIMEOUT] = {
        "Timed out during operation", "Timed out during operation: %s" },
    [MV_ERR_MIGRATE_PERSIST_FAILED] = {
        "Failed to make domain persistent after migration",
        "Failed to make domain persistent after migration: %s" },
    [MV_ERR_HOOK_SCRIPT_FAILED] = {
        "Hook script execution failed", "Hook script execution failed: %s" },
    [MV_ERR_INVALID_DOMAIN_SNAPSHOT] = {
        "Invalid domain snapshot", "Invalid domain snapshot: %s" },
    [MV_ERR_NO_DOMAIN_SNAPSHOT] = {
        "Domain snapshot not found", "Domain snapshot not found: %s" },
    [MV_ERR_INVALID_STREAM] = {
        "invalid stream pointer", "invalid stream pointer in %s" },
    [MV_ERR_ARGUMENT_UNSUPPORTED] = {
        "argument unsupported", "argument unsupported: %s" },
    [MV_ERR_STORAGE_PROBE_FAILED] = {
        "Storage pool probe failed", "Storage pool probe failed: %s" },
    [MV_ERR_STORAGE_POOL_BUILT] = {
        "Storage pool already built", "Storage pool already built: %s" },
    [MV_ERR_SNAPSHOT_REVERT_RISKY] = {
        "revert requires force", "revert requires force: %s" },
    [MV_ERR_OPERATION_ABORTED] = { "operation aborted", "operation aborted: %s" },
    [MV_ERR_AUTH_CANCELLED] = {
        "authentication cancelled", "authentication cancelled: %s" },
    [MV_ERR_NO_DOMAIN_METADATA] = {
        "metadata not found", "metadata not found: %s" },
    [MV_ERR_MIGRATE_UNSAFE] = { "Unsafe migration", "Unsafe migration: %s" },
    [MV_ERR_OVERFLOW] = { "numerical overflow", "numerical overflow: %s" },
    [MV_ERR_BLOCK_COPY_ACTIVE] = {
        "block copy still active", "block copy still active: %s" },
    [MV_ERR_OPERATION_UNSUPPORTED] = {
        "Operation not supported", "Operation not supported: %s" },
    [MV_ERR_SSH] = { "SSH transport error", "SSH transport error: %s" },
    [MV_ERR_AGENT_UNRESPONSIVE] = {
        "Guest agent is not responding", "Guest agent is not responding: %s" },
    [MV_ERR_RESOURCE_BUSY] = { "resource busy", "resource busy: %s" },
    [MV_ERR_ACCESS_DENIED] = { "access denied", "access denied: %s" },
    [MV_ERR_DBUS_SERVICE] = { "error from service", "error from service: %s" },
    [MV_ERR_STORAGE_VOL_EXIST] = {
        "this storage volume exists already", "storage volume %s exists already" },
    [MV_ERR_CPU_INCOMPATIBLE] = {
        "the CPU is incompatible with host CPU",
        "the CPU is incompatible with host CPU: %s" },
    [MV_ERR_XML_INVALID_SCHEMA] = {
        "XML document failed to validate against schema",
        "XML document failed to validate against schema: %s" },
    [MV_ERR_MIGRATE_FINISH_OK] = {
        "migration successfully aborted", "migration successfully aborted: %s" },
    [MV_ERR_AUTH_UNAVAILABLE] = {
        "authentication unavailable", "authentication unavailable: %s" },
    [MV_ERR_NO_SERVER] = { "Server not found", "Server not found: %s" },
    [MV_ERR_NO_CLIENT] = { "Client not found", "Client not found: %s" },
    [MV_ERR_AGENT_UNSYNCED] = {
        "guest agent replied with wrong id to guest-sync command",
        "guest agent replied with wrong id to guest-sync command: %s" },
    [MV_ERR_LIBSSH] = { "libssh transport error", "libssh transport error: %s" },
    [MV_ERR_DEVICE_MISSING] = { "device not found", "device not found: %s" },
    [MV_ERR_INVALID_NWFILTER_BINDING] = {
        "Invalid network filter binding", "Invalid network filter binding: %s" },
    [MV_ERR_NO_NWFILTER_BINDING] = {
        "Network filter binding not found",
        "Network filter binding not found: %s" },
    [MV_ERR_INVALID_DOMAIN_CHECKPOINT] = {
        "Invalid domain checkpoint", "Invalid domain checkpoint: %s" },
    [MV_ERR_NO_DOMAIN_CHECKPOINT] = {
        "Domain checkpoint not found", "Domain checkpoint not found: %s" },
    [MV_ERR_NO_DOMAIN_BACKUP] = {
        "Domain backup job id not found", "Domain backup job id not found: %s" },
    [MV_ERR_INVALID_NETWORK_PORT] = {
        "Invalid network port pointer", "Invalid network port pointer: %s" },
    [MV_ERR_NETWORK_PORT_EXIST] = {
        "this network port exists already", "network port %s exists already" },
    [MV_ERR_NO_NETWORK_PORT] = {
        "network port not found", "network port not found: %s" },
    [MV_ERR_NO_HOSTNAME] = { "no hostname found", "no hostname found: %s" },
    [MV_ERR_CHECKPOINT_INCONSISTENT] = {
        "checkpoint inconsistent", "checkpoint inconsistent: %s" },
    [MV_ERR_MULTIPLE_DOMAINS] = {
        "multiple matching domains found", "multiple matching domains found: %s" },
};

G_STATIC_ASSERT(G_N_ELEMENTS(mvErrorTemplates) == MV_ERR_LAST);

static void mvErrorSlotFree(gpointer data)
{
    mvErrorFree(data);
}

/* The thread's error; freed when the thread exits. */
static GPrivate mvLastError = G_PRIVATE_INIT(mvErrorSlotFree);


const char *
mvErrorTemplate(int code, gboolean withDetail)
{
    if (code <= MV_ERR_OK || code >= MV_ERR_LAST)
        return NULL;
    return withDetail ? mvErrorTemplates[code].detail : mvErrorTemplates[code].plain;
}


/* Cut @str in place so that it holds fewer than @max bytes, without
 * splitting a UTF-8 sequence. */
static void
mvErrorTruncate(char *str, size_t max)
{
    size_t len;

    if (!str || max == 0)
        return;
    len = strlen(str);
    if (len < max)
        return;
    len = max - 1;
    /* step back over continuation bytes (10xxxxxx) to the sequence start,
     * which is then dropped along with its tail */
    while (len > 0 && ((unsigned char)str[len] & 0xC0) == 0x80)
        len--;
    str[len] = '\0';
}


/* Substitute @detail for the single "%s" of @tmpl (no printf: the table is
 * data, not a format string we want the compiler to trust). */
static char *
mvErrorExpand(const char *tmpl, const char *detail)
{
    const char *pos = strstr(tmpl, "%s");

    if (!pos)
        return g_strdup(tmpl);
    return g_strdup_printf("%.*s%s%s", (int)(pos - tmpl), tmpl, detail, pos + 2);
}


static void
mvErrorSet(mvError *err)
{
    /* g_private_replace frees the previous value */
    g_private_replace(&mvLastError, err);
}


static void
mvErrorRaise(int domain, int code, const char *detail, int int1)
{
    int saved = errno;
    mvError *err = g_new0(mvError, 1);
    const char *tmpl = mvErrorTemplate(code, detail != NULL);
    g_autofree char *det = g_strdup(detail);

    mvErrorTruncate(det, MV_ERROR_MESSAGE_MAX);

    err->code = code;
    err->domain = domain;
    err->level = MV_ERR_LEVEL_ERROR;
    err->int1 = int1;
    err->int2 = -1;
    if (tmpl) {
        err->message = mvErrorExpand(tmpl, det ? det : "");
        err->str1 = g_strdup(tmpl);
    } else {
        /* unknown number: keep whatever detail we have */
        err->message = g_strdup(det ? det : "unknown error");
        err->str1 = g_strdup("%s");
    }
    err->str2 = g_strdup(det ? det : "");
    err->str3 = NULL;
    mvErrorTruncate(err->message, MV_ERROR_MESSAGE_MAX);
    mvErrorSet(err);
    errno = saved;
}


void
mvErrorReport(int domain, int code, const char *fmt, ...)
{
    g_autofree char *detail = NULL;

    if (code == MV_ERR_OK) {
        mvErrorReset();
        return;
    }
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        detail = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        /* libvirt treats an empty detail like no detail */
        if (!*detail)
            g_clear_pointer(&detail, g_free);
    }
    mvErrorRaise(domain, code, detail, -1);
}


void
mvErrorReportSystem(int domain, int errnum, const char *fmt, ...)
{
    g_autofree char *detail = NULL;
    const char *errstr = g_strerror(errnum);

    if (fmt) {
        g_autofree char *prefix = NULL;
        va_list ap;
        va_start(ap, fmt);
        prefix = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        detail = g_strdup_printf("%s: %s", prefix, errstr);
    } else {
        detail = g_strdup(errstr);
    }
    /* libvirt keeps the errno in int1 of system errors */
    mvErrorRaise(domain, MV_ERR_SYSTEM_ERROR, detail, errnum);
}


const mvError *
mvErrorGetLast(void)
{
    mvError *err = g_private_get(&mvLastError);

    if (!err || err->code == MV_ERR_OK)
        return NULL;
    return err;
}


int
mvErrorGetLastCode(void)
{
    const mvError *err = mvErrorGetLast();
    return err ? err->code : MV_ERR_OK;
}


const char *
mvErrorGetLastMessage(void)
{
    const mvError *err = mvErrorGetLast();

    if (!err)
        return "no error";
    if (!err->message)
        return "unknown error";
    return err->message;
}


gboolean
mvErrorLastIsSystemErrno(int errnum)
{
    const mvError *err = mvErrorGetLast();

    if (!err || err->code != MV_ERR_SYSTEM_ERROR)
        return FALSE;
    return errnum == 0 || err->int1 == errnum;
}


mvError *
mvErrorSteal(void)
{
    mvError *err = g_private_get(&mvLastError);

    if (!err)
        return NULL;
    /* g_private_set does not call the destroy notify */
    g_private_set(&mvLastError, NULL);
    if (err->code == MV_ERR_OK) {
        mvErrorFree(err);
        return NULL;
    }
    return err;
}


void
mvErrorRestore(mvError *err)
{
    int saved = errno;

    if (!err) {
        errno = saved;
        return;
    }
    mvErrorTruncate(err->message, MV_ERROR_MESSAGE_MAX);
    mvErrorSet(err);
    errno = saved;
}


void
mvErrorReset(void)
{
    int saved = errno;
    g_private_replace(&mvLastError, NULL);
    errno = saved;
}


mvError *
mvErrorCopy(const mvError *err)
{
    mvError *copy;

    if (!err)
        return NULL;
    copy = g_new0(mvError, 1);
    copy->code = err->code;
    copy->domain = err->domain;
    copy->message = g_strdup(err->message);
    copy->level = err->level;
    copy->str1 = g_strdup(err->str1);
    copy->str2 = g_strdup(err->str2);
    copy->str3 = g_strdup(err->str3);
    copy->int1 = err->int1;
    copy->int2 = err->int2;
    return copy;
}


void
mvErrorFree(mvError *err)
{
    if (!err)
        return;
    g_free(err->message);
    g_free(err->str1);
    g_free(err->str2);
    g_free(err->str3);
    g_free(err);
}


void
mvErrorPrefixMessage(const char *fmt, ...)
{
    int saved = errno;
    mvError *err = g_private_get(&mvLastError);
    g_autofree char *prefix = NULL;
    char *msg;
    va_list ap;

    if (!err || err->code == MV_ERR_OK)
        return;
    va_start(ap, fmt);
    prefix = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    msg = g_strdup_printf("%s: %s", prefix, err->message ? err->message : "");
    g_free(err->message);
    err->message = msg;
    mvErrorTruncate(err->message, MV_ERROR_MESSAGE_MAX);
    errno = saved;
}
