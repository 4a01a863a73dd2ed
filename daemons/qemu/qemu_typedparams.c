/* remote_typed_param array builder; see qemu_typedparams.h. */
#define MV_FROM_THIS MV_FROM_QEMU
#include <stdarg.h>
#include <string.h>
#include "qemu_typedparams.h"
#include "util/error.h"

qemuTypedParamList *
qemuTypedParamListNew(void)
{
    return g_new0(qemuTypedParamList, 1);
}

static void
paramClear(remote_typed_param *p)
{
    g_free(p->field);
    if (p->value.type == QEMU_TYPED_PARAM_STRING)
        g_free(p->value.remote_typed_param_value_u.s);
    memset(p, 0, sizeof(*p));
}

void
qemuTypedParamsFree(remote_typed_param *par, size_t n)
{
    size_t i;

    if (!par)
        return;
    for (i = 0; i < n; i++)
        paramClear(&par[i]);
    g_free(par);
}

void
qemuTypedParamListFree(qemuTypedParamList *list)
{
    if (!list)
        return;
    qemuTypedParamsFree(list->par, list->n);
    g_free(list);
}

/* A new zeroed slot named by @fmt/@ap, or NULL + error. */
static remote_typed_param *
listAppend(qemuTypedParamList *list, int type, const char *fmt, va_list ap)
{
    g_autofree char *field = g_strdup_vprintf(fmt, ap);
    remote_typed_param *p;

    if (strlen(field) >= QEMU_TYPED_PARAM_FIELD_LENGTH) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "Field name '%s' too long", field);
        return NULL;
    }
    if (list->n == list->alloc) {
        list->alloc = list->alloc ? list->alloc * 2 : 16;
        list->par = g_renew(remote_typed_param, list->par, list->alloc);
    }
    p = &list->par[list->n++];
    memset(p, 0, sizeof(*p));
    p->field = g_steal_pointer(&field);
    p->value.type = type;
    return p;
}

#define DEFINE_ADDER(Name, ctype, TYPE, member) \
int \
qemuTypedParamListAdd##Name(qemuTypedParamList *list, ctype v, const char *fmt, ...) \
{ \
    remote_typed_param *p; \
    va_list ap; \
    va_start(ap, fmt); \
    p = listAppend(list, TYPE, fmt, ap); \
    va_end(ap); \
    if (!p) \
        return -1; \
    p->value.remote_typed_param_value_u.member = v; \
    return 0; \
}

DEFINE_ADDER(Int, int, QEMU_TYPED_PARAM_INT, i)
DEFINE_ADDER(UInt, unsigned int, QEMU_TYPED_PARAM_UINT, ui)
DEFINE_ADDER(LLong, long long, QEMU_TYPED_PARAM_LLONG, l)
DEFINE_ADDER(ULLong, unsigned long long, QEMU_TYPED_PARAM_ULLONG, ul)
DEFINE_ADDER(Double, double, QEMU_TYPED_PARAM_DOUBLE, d)

int
qemuTypedParamListAddBoolean(qemuTypedParamList *list, gboolean v, const char *fmt, ...)
{
    remote_typed_param *p;
    va_list ap;

    va_start(ap, fmt);
    p = listAppend(list, QEMU_TYPED_PARAM_BOOLEAN, fmt, ap);
    va_end(ap);
    if (!p)
        return -1;
    p->value.remote_typed_param_value_u.b = v ? 1 : 0;
    return 0;
}

int
qemuTypedParamListAddString(qemuTypedParamList *list, const char *v, const char *fmt, ...)
{
    remote_typed_param *p;
    va_list ap;

    va_start(ap, fmt);
    p = listAppend(list, QEMU_TYPED_PARAM_STRING, fmt, ap);
    va_end(ap);
    if (!p)
        return -1;
    p->value.remote_typed_param_value_u.s = g_strdup(v ? v : "");
    return 0;
}

remote_typed_param *
qemuTypedParamListFind(qemuTypedParamList *list, const char *field)
{
    size_t i;

    for (i = 0; i < list->n; i++) {
        if (strcmp(list->par[i].field, field) == 0)
            return &list->par[i];
    }
    return NULL;
}

void
qemuTypedParamListSteal(qemuTypedParamList *list, remote_typed_param **val, u_int *len)
{
    *val = list->par;
    *len = list->n;
    list->par = NULL;
    list->n = list->alloc = 0;
}

int
qemuTypedParamListReturn(qemuTypedParamList *list, int requested, int limit,
                         unsigned int flags, remote_typed_param **val, u_int *len,
                         int *nparams)
{
    size_t i, take, out = 0;
    remote_typed_param *res;

    *val = NULL;
    *len = 0;
    if (requested < 0 || requested > limit) {
        mvReportError(MV_ERR_INTERNAL_ERROR, "%s", "nparams too large");
        return -1;
    }
    if (requested == 0) {
        if (nparams)
            *nparams = (int)list->n;
        return 0;
    }
    take = MIN((size_t)requested, list->n);
    res = g_new0(remote_typed_param, take ? take : 1);
    for (i = 0; i < take; i++) {
        if (list->par[i].value.type == QEMU_TYPED_PARAM_STRING &&
            !(flags & QEMU_TYPED_PARAM_STRING_OKAY))
            continue;
        res[out++] = list->par[i];
        memset(&list->par[i], 0, sizeof(list->par[i]));
    }
    if (out == 0) {
        g_free(res);
        res = NULL;
    }
    *val = res;
    *len = out;
    if (nparams)
        *nparams = (int)out;
    return 0;
}
