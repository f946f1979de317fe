/* Host-only helpers for the unit tests; see pkiot_test_util.h. */
#define _XOPEN_SOURCE 700

#include "pkiot_test_util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int pkiot_test_mkdtemp(const char *prefix, char *out, size_t cap)
{
    const char *base = getenv("TMPDIR");
    if (base == NULL || base[0] == '\0') {
        base = "/tmp";
    }
    int n = snprintf(out, cap, "%s/%sXXXXXX", base, prefix != NULL ? prefix : "pkiot-");
    if (n < 0 || (size_t)n >= cap) {
        return -1;
    }
    if (mkdtemp(out) == NULL) {
        return -1;
    }
    if (out[0] != '/') {
        char abs[PKIOT_TEST_PATH_MAX];
        if (realpath(out, abs) == NULL || strlen(abs) >= cap) {
            return -1;
        }
        strcpy(out, abs);
    }
    return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    (void)remove(path);
    return 0;
}

int pkiot_test_rmtree(const char *dir)
{
    if (dir == NULL || dir[0] == '\0' || strcmp(dir, "/") == 0) {
        return -1;
    }
    return nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int pkiot_test_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return (n < 0 || (size_t)n >= cap) ? -1 : 0;
}

/* Single-quote @p s for /bin/sh. */
static int sh_quote(char *out, size_t cap, const char *s)
{
    size_t o = 0;
    if (cap < 3) {
        return -1;
    }
    out[o++] = '\'';
    for (; *s != '\0'; s++) {
        if (*s == '\'') {
            if (o + 5 >= cap) {
                return -1;
            }
            memcpy(out + o, "'\\''", 4);
            o += 4;
        } else {
            if (o + 2 >= cap) {
                return -1;
            }
            out[o++] = *s;
        }
    }
    out[o++] = '\'';
    out[o] = '\0';
    return 0;
}

int pkiot_test_sh(const char *dir, const char *fmt, ...)
{
    char cmd[4096];
    char qdir[PKIOT_TEST_PATH_MAX * 2];
    char full[4096 + PKIOT_TEST_PATH_MAX * 2 + 64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd || sh_quote(qdir, sizeof qdir, dir) != 0) {
        return -1;
    }
    n = snprintf(full, sizeof full, "cd %s && { %s ; } >>sh.log 2>&1 </dev/null", qdir, cmd);
    if (n < 0 || (size_t)n >= sizeof full) {
        return -1;
    }
    int st = system(full);
    if (st == -1 || !WIFEXITED(st)) {
        return -1;
    }
    return WEXITSTATUS(st);
}

void pkiot_test_sh_log(const char *dir)
{
    char path[PKIOT_TEST_PATH_MAX];
    static uint8_t buf[8192];
    size_t len = 0;
    if (pkiot_test_path(path, sizeof path, dir, "sh.log") != 0) {
        return;
    }
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return;
    }
    if (fseek(f, 0, SEEK_END) == 0) {
        long sz = ftell(f);
        if (sz > (long)sizeof buf) {
            (void)fseek(f, sz - (long)sizeof buf, SEEK_SET);
        } else {
            (void)fseek(f, 0, SEEK_SET);
        }
    }
    len = fread(buf, 1, sizeof buf, f);
    fclose(f);
    fprintf(stderr, "---- %s (tail) ----\n%.*s\n----\n", path, (int)len, (const char *)buf);
}

long pkiot_test_capture(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    if (p == NULL || cap == 0) {
        if (p != NULL) {
            pclose(p);
        }
        return -1;
    }
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    return pclose(p) == 0 ? (long)n : -1;
}

int pkiot_test_have_openssl(void)
{
    return system("openssl version >/dev/null 2>&1") == 0;
}

int pkiot_test_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    size_t n = fread(buf, 1, cap, f);
    int extra = fgetc(f);
    int err = ferror(f);
    fclose(f);
    if (err || extra != EOF) {
        return -1;
    }
    *len = n;
    return 0;
}

int pkiot_test_read_in(const char *dir, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
    char path[PKIOT_TEST_PATH_MAX];
    if (pkiot_test_path(path, sizeof path, dir, name) != 0) {
        return -1;
    }
    return pkiot_test_read_file(path, buf, cap, len);
}

int pkiot_test_write_file(const char *path, const void *buf, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return -1;
    }
    size_t n = len > 0 ? fwrite(buf, 1, len, f) : 0;
    int rc = fclose(f);
    return (n == len && rc == 0) ? 0 : -1;
}

int pkiot_test_write_in(const char *dir, const char *name, const void *buf, size_t len)
{
    char path[PKIOT_TEST_PATH_MAX];
    if (pkiot_test_path(path, sizeof path, dir, name) != 0) {
        return -1;
    }
    return pkiot_test_write_file(path, buf, len);
}

pid_t pkiot_test_spawn(const char *dir, const char *log, const char *fmt, ...)
{
    char cmd[4096];
    char logpath[PKIOT_TEST_PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof cmd ||
        pkiot_test_path(logpath, sizeof logpath, dir, log) != 0) {
        return -1;
    }
    /* truncate here, not in the child: a caller polling the log must never see old text */
    int trunc = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (trunc < 0) {
        return -1;
    }
    close(trunc);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        (void)setpgid(0, 0);
        int in = open("/dev/null", O_RDONLY);
        int out = open(logpath, O_WRONLY | O_APPEND);
        if (in < 0 || out < 0 || chdir(dir) != 0) {
            _exit(127);
        }
        (void)dup2(in, 0);
        (void)dup2(out, 1);
        (void)dup2(out, 2);
        close(in);
        close(out);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    (void)setpgid(pid, pid); /* also from the parent, so stop() works even if we win the race */
    return pid;
}

void pkiot_test_stop(pid_t pid)
{
    if (pid <= 0) {
        return;
    }
    (void)kill(-pid, SIGTERM);
    for (int i = 0; i < 100; i++) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
            (void)kill(-pid, SIGKILL); /* stragglers in the group */
            return;
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    (void)kill(-pid, SIGKILL);
    (void)waitpid(pid, NULL, 0);
}

int pkiot_test_wait_for_text(const char *path, const char *needle, int timeout_ms)
{
    static char buf[65536];
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        FILE *f = fopen(path, "rb");
        if (f != NULL) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            buf[n] = '\0';
            /* the log may contain NUL bytes; search each NUL-separated piece */
            for (size_t off = 0; off < n; off += strlen(buf + off) + 1) {
                if (strstr(buf + off, needle) != NULL) {
                    return 0;
                }
            }
        }
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

int pkiot_test_free_tcp_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t al = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int pkiot_test_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t cap, size_t *len)
{
    if (hex_len % 2 != 0 || hex_len / 2 > cap) {
        return -1;
    }
    for (size_t i = 0; i < hex_len / 2; i++) {
        int hi = hexval(hex[2 * i]);
        int lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi * 16 + lo);
    }
    *len = hex_len / 2;
    return 0;
}

void pkiot_test_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}
