#define MV_FROM_THIS MV_FROM_NONE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "util/process.h"
#include "util/error.h"
#include "util/fileutil.h"

static void
childExit(int fd, int err)
{
    /* report exec failure to the parent through the status pipe */
    if (write(fd, &err, sizeof(err)) < 0) {
        /* nothing else we can do */
    }
    _exit(127);
}

int
mvProcessSpawnDetached(char *const *argv, char *const *envp, int logfd,
                       const int *keepfds, size_t nkeepfds, pid_t *pid)
{
    int pidpipe[2], errpipe[2];
    pid_t child;
    int status = 0;
    pid_t grandchild = -1;
    int execerr = 0;
    ssize_t n;

    if (pipe2(pidpipe, O_CLOEXEC) < 0 || pipe2(errpipe, O_CLOEXEC) < 0) {
        mvReportSystemError(errno, "%s", "cannot create pipe");
        return -1;
    }
    child = fork();
    if (child < 0) {
        mvReportSystemError(errno, "%s", "cannot fork child process");
        close(pidpipe[0]); close(pidpipe[1]); close(errpipe[0]); close(errpipe[1]);
        return -1;
    }
    if (child == 0) {
        int nullfd;
        pid_t gc;
        sigset_t all;

        close(pidpipe[0]);
        close(errpipe[0]);
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        for (int s = 1; s < NSIG; s++) {
            if (s != SIGKILL && s != SIGSTOP)
                signal(s, SIG_DFL);
        }
        if (setsid() < 0)
            childExit(errpipe[1], errno);
        gc = fork();
        if (gc < 0)
            childExit(errpipe[1], errno);
        if (gc > 0) {
            if (write(pidpipe[1], &gc, sizeof(gc)) != sizeof(gc))
                _exit(1);
            _exit(0);
        }
        nullfd = open("/dev/null", O_RDWR);
        if (nullfd < 0)
            childExit(errpipe[1], errno);
        dup2(nullfd, STDIN_FILENO);
        dup2(logfd >= 0 ? logfd : nullfd, STDOUT_FILENO);
        dup2(logfd >= 0 ? logfd : nullfd, STDERR_FILENO);
        for (size_t i = 0; i < nkeepfds; i++) {
            int fl = fcntl(keepfds[i], F_GETFD);
            if (fl >= 0)
                fcntl(keepfds[i], F_SETFD, fl & ~FD_CLOEXEC);
        }
        if (chdir("/") < 0)
            childExit(errpipe[1], errno);
        if (envp)
            execve(argv[0], argv, envp);
        else
            execv(argv[0], argv);
        childExit(errpipe[1], errno);
    }

    close(pidpipe[1]);
    close(errpipe[1]);
    while (waitpid(child, &status, 0) < 0 && errno == EINTR)
        ;
    n = read(pidpipe[0], &grandchild, sizeof(grandchild));
    close(pidpipe[0]);
    if (n != sizeof(grandchild))
        grandchild = -1;
    /* blocks until exec succeeded (pipe closed by CLOEXEC) or failed (errno written) */
    do {
        n = read(errpipe[0], &execerr, sizeof(execerr));
    } while (n < 0 && errno == EINTR);
    close(errpipe[0]);
    if (n == sizeof(execerr) || grandchild < 0) {
        mvReportSystemError(n == sizeof(execerr) ? execerr : EIO, "Cannot run '%s'", argv[0]);
        return -1;
    }
    *pid = grandchild;
    return 0;
}

static char
procState(pid_t pid)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *buf = NULL;
    const char *p;

    if (!g_file_get_contents(path, &buf, NULL, NULL))
        return 0;
    if (!(p = strrchr(buf, ')')) || !p[1] || !p[2])
        return 0;
    return p[2];
}

gboolean
mvProcessIsAlive(pid_t pid)
{
    char st;

    if (pid <= 0 || kill(pid, 0) < 0)
        return FALSE;
    st = procState(pid);
    return st != 0 && st != 'Z' && st != 'X';
}

static gboolean
waitGone(pid_t pid, int ms)
{
    for (int waited = 0; waited <= ms; waited += 10) {
        /* reap it if it happens to be our child */
        waitpid(pid, NULL, WNOHANG);
        if (!mvProcessIsAlive(pid))
            return TRUE;
        g_usleep(10 * 1000);
    }
    return FALSE;
}

int
mvProcessKill(pid_t pid, int graceMs, gboolean graceful)
{
    if (!mvProcessIsAlive(pid))
        return 0;
    kill(pid, SIGTERM);
    if (waitGone(pid, graceMs))
        return 0;
    if (graceful) {
        mvReportError(MV_ERR_OPERATION_FAILED,
                      "Failed to terminate process %d with SIGTERM", (int)pid);
        return -1;
    }
    kill(pid, SIGKILL);
    if (waitGone(pid, 5000))
        return 0;
    mvReportError(MV_ERR_OPERATION_FAILED, "Failed to kill process %d: still running", (int)pid);
    return -1;
}

static gboolean
procStatFields(pid_t pid, unsigned long long *utime, unsigned long long *stime,
               unsigned long long *start)
{
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *buf = NULL;
    const char *p;
    g_auto(GStrv) f = NULL;

    if (!g_file_get_contents(path, &buf, NULL, NULL) || !(p = strrchr(buf, ')')))
        return FALSE;
    /* after ") " field 3 (state) is index 0 */
    f = g_strsplit(p + 2, " ", 0);
    if (g_strv_length(f) < 20)
        return FALSE;
    if (utime)
        *utime = g_ascii_strtoull(f[11], NULL, 10);
    if (stime)
        *stime = g_ascii_strtoull(f[12], NULL, 10);
    if (start)
        *start = g_ascii_strtoull(f[19], NULL, 10);
    return TRUE;
}

long long
mvProcessCpuTimeNs(pid_t pid)
{
    unsigned long long u, s;
    long tck = sysconf(_SC_CLK_TCK);

    if (!procStatFields(pid, &u, &s, NULL) || tck <= 0)
        return -1;
    return (long long)((u + s) * (1000000000ULL / tck));
}

unsigned long long
mvProcessStartTime(pid_t pid)
{
    unsigned long long st = 0;
    procStatFields(pid, NULL, NULL, &st);
    return st;
}
