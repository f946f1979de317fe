/*
 * ARM semihosting for Cortex-M.  EMULATOR-ONLY: see semihost.h.
 *
 * On M-profile cores the semihosting trap is `bkpt 0xab` with the operation in r0 and a
 * pointer to a parameter block (or a plain value for a few operations) in r1; the result comes
 * back in r0.  The parameter blocks are arrays of 32-bit words.
 */
#include "semihost.h"

#include <string.h>

intptr_t semihost_call(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    /* "memory": the host reads and writes buffers the compiler cannot see through r1. */
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return (intptr_t)r0;
}

int semihost_open(const char *path, int mode)
{
    uint32_t blk[3] = {(uint32_t)(uintptr_t)path, (uint32_t)mode, (uint32_t)strlen(path)};
    return (int)semihost_call(SEMIHOST_SYS_OPEN, blk);
}

int semihost_close(int fd)
{
    uint32_t blk[1] = {(uint32_t)fd};
    return (int)semihost_call(SEMIHOST_SYS_CLOSE, blk);
}

intptr_t semihost_write(int fd, const void *buf, size_t len)
{
    uint32_t blk[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len};
    return semihost_call(SEMIHOST_SYS_WRITE, blk);
}

intptr_t semihost_read(int fd, void *buf, size_t len)
{
    uint32_t blk[3] = {(uint32_t)fd, (uint32_t)(uintptr_t)buf, (uint32_t)len};
    return semihost_call(SEMIHOST_SYS_READ, blk);
}

int semihost_seek(int fd, size_t pos)
{
    uint32_t blk[2] = {(uint32_t)fd, (uint32_t)pos};
    return (int)semihost_call(SEMIHOST_SYS_SEEK, blk);
}

intptr_t semihost_flen(int fd)
{
    uint32_t blk[1] = {(uint32_t)fd};
    return semihost_call(SEMIHOST_SYS_FLEN, blk);
}

int semihost_remove(const char *path)
{
    uint32_t blk[2] = {(uint32_t)(uintptr_t)path, (uint32_t)strlen(path)};
    return (int)semihost_call(SEMIHOST_SYS_REMOVE, blk);
}

int semihost_rename(const char *from, const char *to)
{
    uint32_t blk[4] = {(uint32_t)(uintptr_t)from, (uint32_t)strlen(from),
                       (uint32_t)(uintptr_t)to, (uint32_t)strlen(to)};
    return (int)semihost_call(SEMIHOST_SYS_RENAME, blk);
}

void semihost_write0(const char *s)
{
    (void)semihost_call(SEMIHOST_SYS_WRITE0, s);
}

intptr_t semihost_time(void)
{
    return semihost_call(SEMIHOST_SYS_TIME, NULL);
}

intptr_t semihost_clock(void)
{
    return semihost_call(SEMIHOST_SYS_CLOCK, NULL);
}

int semihost_elapsed(uint64_t *ticks)
{
    /* The host fills a two-word block: least significant word first. */
    uint32_t blk[2] = {0, 0};
    if (semihost_call(SEMIHOST_SYS_ELAPSED, blk) != 0) {
        return -1;
    }
    *ticks = (uint64_t)blk[1] << 32 | blk[0];
    return 0;
}

intptr_t semihost_tickfreq(void)
{
    return semihost_call(SEMIHOST_SYS_TICKFREQ, NULL);
}

int semihost_get_cmdline(char *buf, size_t cap)
{
    if (cap == 0) {
        return -1;
    }
    uint32_t blk[2] = {(uint32_t)(uintptr_t)buf, (uint32_t)cap};
    if (semihost_call(SEMIHOST_SYS_GET_CMDLINE, blk) != 0) {
        buf[0] = '\0';
        return -1;
    }
    buf[blk[1] < cap ? blk[1] : cap - 1] = '\0';
    return 0;
}

int semihost_errno(void)
{
    return (int)semihost_call(SEMIHOST_SYS_ERRNO, NULL);
}

void semihost_exit(int status)
{
    uint32_t blk[2] = {SEMIHOST_ADP_APPLICATION_EXIT, (uint32_t)status};
    (void)semihost_call(SEMIHOST_SYS_EXIT_EXTENDED, blk);
    /*
     * A host without the extended call returns here. Plain SYS_EXIT on 32-bit targets takes
     * the reason code itself in r1 and can only tell success from failure.
     */
    (void)semihost_call(SEMIHOST_SYS_EXIT,
                        (const void *)(uintptr_t)(status == 0 ? SEMIHOST_ADP_APPLICATION_EXIT
                                                              : SEMIHOST_ADP_RUNTIME_ERROR));
    for (;;) {
        __asm__ volatile("wfi");
    }
}
