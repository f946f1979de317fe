/* bench_est.c - run one command and print its resource use (helper of scripts/bench_est.sh).
 *
 *   bench_est_run TIMEOUT_S OUTFILE CMD ARGS...
 *
 * Forks, redirects the child's stdout/stderr to OUTFILE, execs CMD, waits with wait4() and
 * prints one line:  wall_us=N user_us=N sys_us=N maxrss_kb=N status=N timeout=0|1
 * (status: exit code, or 128+signal).
 *
 * Why C and not Python: Linux carries the RSS high-water mark of the process image that
 * exec() replaces into ru_maxrss, so a child forked from a 12 MB interpreter reports at
 * least 12 MB. Forked from this small program the figure is the client's own.
 * Wall time is CLOCK_MONOTONIC from just before fork() to the return of wait4().
 * user+sys is the scheduler's exact runtime; the user/sys split is sampled at timer ticks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t timed_out;
static volatile pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    timed_out = 1;
    if (child > 0) {
        kill(child, SIGKILL);
    }
}

static long long us(struct timeval tv)
{
    return (long long)tv.tv_sec * 1000000LL + tv.tv_usec;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s TIMEOUT_S OUTFILE CMD [ARGS...]\n", argv[0]);
        return 2;
    }
    unsigned timeout = (unsigned)strtoul(argv[1], NULL, 10);
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        perror(argv[2]);
        return 2;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return 2;
    }
    if (pid == 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        execvp(argv[3], argv + 3);
        perror(argv[3]);
        _exit(127);
    }
    child = pid;
    alarm(timeout > 0 ? timeout : 30);
    int status = 0;
    struct rusage ru;
    while (wait4(pid, &status, 0, &ru) < 0) {
        if (errno != EINTR) {
            perror("wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    alarm(0);
    long long wall = (long long)(t1.tv_sec - t0.tv_sec) * 1000000LL +
                     (t1.tv_nsec - t0.tv_nsec) / 1000;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("wall_us=%lld user_us=%lld sys_us=%lld maxrss_kb=%ld status=%d timeout=%d\n", wall,
           us(ru.ru_utime), us(ru.ru_stime), ru.ru_maxrss, code, (int)timed_out);
    return 0;
}
