/* The one error-reporting path.  A function that fails sets the calling
 * thread's last error with mvReportError*() and returns -1/NULL; the RPC
 * dispatcher sends it to the client as a remote_error and logs it once.
 * Library code never logs errors itself. */
#pragma once
#include <glib.h>
#include "util/error_codes.h"

/* Mirrors the wire error (remote_error) field by field. */
typedef struct mvError {
    int code;          /* mvErrorNumber */
    int domain;        /* mvErrorDomain */
    char *message;     /* full text, e.g. "Domain not found: no domain with matching name 'x'" */
    int level;         /* mvErrorLevel */
    char *str1;        /* libvirt's message template, e.g. "Domain not found: %s" */
    char *str2;        /* the detail that was substituted ("" when none) */
    char *str3;
    int int1;          /* -1 unless meaningful (errno for MV_ERR_SYSTEM_ERROR) */
    int int2;
} mvError;

/* Longest message we ever keep, so an error always fits in a reply. */
#define MV_ERROR_MESSAGE_MAX 4096

/* Set the thread's last error.  The message is libvirt's template for @code
 * with the printf-expanded detail substituted ("internal error: %s"); a NULL
 * fmt gives the template's detail-less text.  Truncated to MV_ERROR_MESSAGE_MAX. */
void mvErrorReport(int domain, int code, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* errno-style failure: code MV_ERR_SYSTEM_ERROR, message "<detail>: <strerror(errnum)>"
 * (just "<strerror>" detail-wise when fmt is NULL, message "system call error").
 * As in libvirt, int1 holds @errnum. */
void mvErrorReportSystem(int domain, int errnum, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/* Each .c file defines MV_FROM_THIS before including this header's users. */
#define mvReportError(code, ...) mvErrorReport(MV_FROM_THIS, code, __VA_ARGS__)
#define mvReportSystemError(errnum, ...) mvErrorReportSystem(MV_FROM_THIS, errnum, __VA_ARGS__)

/* The thread's last error, or NULL. */
const mvError *mvErrorGetLast(void);
/* Take ownership of the thread's last error (NULL if none); the slot is cleared. */
mvError *mvErrorSteal(void);
/* Put @err back as the thread's last error (takes ownership). */
void mvErrorRestore(mvError *err);
void mvErrorReset(void);
mvError *mvErrorCopy(const mvError *err);
void mvErrorFree(mvError *err);   /* accepts NULL */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(mvError, mvErrorFree)

/* libvirt's message template for @code with or without a detail
 * ("Domain not found: %s" / "Domain not found"); NULL for an unknown code. */
const char *mvErrorTemplate(int code, gboolean withDetail);

/* Code of the thread's last error, MV_ERR_OK if none. */
int mvErrorGetLastCode(void);
/* Message of the thread's last error, or "no error"; never NULL. */
const char *mvErrorGetLastMessage(void);
/* TRUE if the last error is a system error with @errnum (any errno if 0). */
gboolean mvErrorLastIsSystemErrno(int errnum);
/* Prefix the last error's message with "<fmt...>: " (like libvirt's
 * virLastErrorPrefixMessage); no-op when no error is set. */
void mvErrorPrefixMessage(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
