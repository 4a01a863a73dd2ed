/* Child processes that must outlive the daemon (QEMU, dnsmasq): started
 * detached (double fork, own session) so a daemon restart or crash leaves
 * them running. */
#pragma once
#include <glib.h>
#include <sys/types.h>

/* Start @argv (argv[0] an absolute path) with environment @envp (NULL:
 * inherit), stdin from /dev/null, stdout+stderr to @logfd (-1: /dev/null),
 * keeping @keepfds open across exec (everything else is close-on-exec).
 * Returns 0 and the grandchild's pid once exec() succeeded, or -1 + error
 * ("Cannot run '%s': %s" when exec failed). */
int mvProcessSpawnDetached(char *const *argv, char *const *envp, int logfd,
                           const int *keepfds, size_t nkeepfds, pid_t *pid);

/* TRUE while @pid exists and is not a zombie. */
gboolean mvProcessIsAlive(pid_t pid);
/* SIGTERM, wait up to @graceMs, then SIGKILL (unless @graceful) and wait up
 * to 5 s more.  0 when gone, -1 + error if it would not die. */
int mvProcessKill(pid_t pid, int graceMs, gboolean graceful);
/* utime+stime of @pid in nanoseconds; -1 if unreadable. */
long long mvProcessCpuTimeNs(pid_t pid);
/* Start time of @pid (field 22 of /proc/PID/stat), to recognise a reused pid. */
unsigned long long mvProcessStartTime(pid_t pid);
