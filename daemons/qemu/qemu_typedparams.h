/* Building remote_typed_param arrays (libvirt's virTypedParameter on the
 * wire) for replies, and the two-phase "nparams == 0 asks for the count"
 * contract of libvirt's Get*Parameters / BlockStatsFlags APIs.
 *
 *     g_autoptr(qemuTypedParamList) l = qemuTypedParamListNew();
 *     qemuTypedParamListAddULLong(l, cpu, "vcpu.%u.time", i);
 *     qemuTypedParamListSteal(l, &ret->params.params_val, &ret->params.params_len);
 *
 * Field names longer than libvirt's limit (79 bytes) are refused with an
 * error, as the client would refuse them. */
#pragma once
#include <glib.h>
#include "remote_protocol.h"

/* virTypedParameterType */
enum {
    QEMU_TYPED_PARAM_INT = 1,
    QEMU_TYPED_PARAM_UINT = 2,
    QEMU_TYPED_PARAM_LLONG = 3,
    QEMU_TYPED_PARAM_ULLONG = 4,
    QEMU_TYPED_PARAM_DOUBLE = 5,
    QEMU_TYPED_PARAM_BOOLEAN = 6,
    QEMU_TYPED_PARAM_STRING = 7,
};
/* virTypedParameterFlags: the client understands string parameters */
#define QEMU_TYPED_PARAM_STRING_OKAY (1U << 2)
/* VIR_TYPED_PARAM_FIELD_LENGTH */
#define QEMU_TYPED_PARAM_FIELD_LENGTH 80

typedef struct qemuTypedParamList {
    remote_typed_param *par;
    size_t n;
    size_t alloc;
} qemuTypedParamList;

qemuTypedParamList *qemuTypedParamListNew(void);
void qemuTypedParamListFree(qemuTypedParamList *list);   /* accepts NULL */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(qemuTypedParamList, qemuTypedParamListFree)

/* Append one parameter named by the printf-style @fmt.  0 / -1 + error. */
int qemuTypedParamListAddInt(qemuTypedParamList *list, int v, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
int qemuTypedParamListAddUInt(qemuTypedParamList *list, unsigned int v, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
int qemuTypedParamListAddLLong(qemuTypedParamList *list, long long v, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
int qemuTypedParamListAddULLong(qemuTypedParamList *list, unsigned long long v,
                                const char *fmt, ...) G_GNUC_PRINTF(3, 4);
int qemuTypedParamListAddDouble(qemuTypedParamList *list, double v, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
int qemuTypedParamListAddBoolean(qemuTypedParamList *list, gboolean v, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* @v is copied; NULL is stored as "". */
int qemuTypedParamListAddString(qemuTypedParamList *list, const char *v, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);

/* The parameter named @field, or NULL. */
remote_typed_param *qemuTypedParamListFind(qemuTypedParamList *list, const char *field);

/* Move the whole array into a reply's params_val/params_len; @list is left empty. */
void qemuTypedParamListSteal(qemuTypedParamList *list, remote_typed_param **val,
                             u_int *len);

/* libvirt's Get*Parameters contract for a reply that has an int nparams:
 * @requested == 0: only *@nparams = the number available (no params sent);
 * otherwise the first MIN(@requested, available) parameters are sent,
 * string parameters dropped unless @flags has QEMU_TYPED_PARAM_STRING_OKAY
 * (as libvirt's serializer does), and *@nparams = the number sent.
 * @nparams may be NULL for replies without that field.  -1 + error when
 * @requested < 0 or above @limit. */
int qemuTypedParamListReturn(qemuTypedParamList *list, int requested, int limit,
                             unsigned int flags, remote_typed_param **val, u_int *len,
                             int *nparams);

/* Free a remote_typed_param array (fields and strings). */
void qemuTypedParamsFree(remote_typed_param *par, size_t n);
