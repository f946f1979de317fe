/**
 * @file pkiot_test_util.h
 * @brief Helpers shared by the unit tests: temporary directories, running the `openssl`
 *        command line (or any shell command) inside them, files, background servers, ports.
 *
 * Everything here is host-only test code (POSIX). Functions return 0 on success and -1 on
 * failure unless stated otherwise; nothing aborts, so the caller decides how to assert.
 */
#ifndef PKIOT_TEST_UTIL_H
#define PKIOT_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PKIOT_TEST_PATH_MAX 512

/**
 * Create a fresh directory named `<prefix>XXXXXX` under $TMPDIR (else /tmp) and write its
 * absolute path to @p out.
 */
int pkiot_test_mkdtemp(const char *prefix, char *out, size_t cap);

/** Remove @p dir and everything below it (best effort). */
int pkiot_test_rmtree(const char *dir);

/** `dir/name` into @p out; -1 when it does not fit. */
int pkiot_test_path(char *out, size_t cap, const char *dir, const char *name);

/**
 * Run a shell command (printf-style) with @p dir as working directory; stdout and stderr are
 * appended to `dir/sh.log` (see pkiot_test_sh_log()). Returns the command's exit status, or -1
 * when it could not be run or was killed by a signal.
 */
int pkiot_test_sh(const char *dir, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Print the tail of `dir/sh.log` to stderr (for failing assertions). */
void pkiot_test_sh_log(const char *dir);

/** Run a shell command and capture its standard output (NUL-terminated); the length, or -1
 *  when it could not run or exited non-zero. */
long pkiot_test_capture(const char *cmd, char *out, size_t cap);

/** 1 when the `openssl` program is on PATH. */
int pkiot_test_have_openssl(void);

/** Read a whole file; -1 if missing or larger than @p cap. */
int pkiot_test_read_file(const char *path, uint8_t *buf, size_t cap, size_t *len);

/** Read `dir/name`. */
int pkiot_test_read_in(const char *dir, const char *name, uint8_t *buf, size_t cap, size_t *len);

/** Create or replace a file with @p len bytes. */
int pkiot_test_write_file(const char *path, const void *buf, size_t len);

/** Write `dir/name`. */
int pkiot_test_write_in(const char *dir, const char *name, const void *buf, size_t len);

/**
 * Start a shell command (printf-style) in the background, in its own process group, with
 * @p dir as working directory, stdin from /dev/null and stdout+stderr to `dir/<log>`.
 * @return the process id (> 0) or -1.
 */
pid_t pkiot_test_spawn(const char *dir, const char *log, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Terminate the process group started by pkiot_test_spawn() and reap it. */
void pkiot_test_stop(pid_t pid);

/**
 * Wait until file @p path contains @p needle (polling every 20 ms).
 * @return 0 when found, -1 on timeout.
 */
int pkiot_test_wait_for_text(const char *path, const char *needle, int timeout_ms);

/**
 * A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
 * @return the port, or -1.
 */
int pkiot_test_free_tcp_port(void);

/** Decode hex (either case, no separators) into @p out. */
int pkiot_test_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t cap, size_t *len);

/** Lower-case hex of @p len bytes into @p out (needs 2*len+1 bytes). */
void pkiot_test_hex_encode(const uint8_t *in, size_t len, char *out);

#ifdef __cplusplus
}
#endif

#endif /* PKIOT_TEST_UTIL_H */
