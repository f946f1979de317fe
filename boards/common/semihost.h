/**
 * @file semihost.h
 * @brief ARM semihosting calls (Cortex-M, `bkpt 0xab`).
 *
 * EMULATOR-ONLY. Semihosting hands console, files, time and exit to the debugger or emulator
 * (QEMU: `-semihosting-config enable=on,target=native`). On a board without a debugger
 * attached, a semihosting call is a breakpoint with nobody to answer it and the core locks up
 * in HardFault; production firmware must not call anything in this file.
 *
 * Return values follow the ARM semihosting specification: -1 on failure for open/close/seek/
 * flen/time, "bytes NOT transferred" for read/write.
 */
#ifndef BOARD_SEMIHOST_H
#define BOARD_SEMIHOST_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Operation numbers from the ARM semihosting specification. */
#define SEMIHOST_SYS_OPEN          0x01
#define SEMIHOST_SYS_CLOSE         0x02
#define SEMIHOST_SYS_WRITEC        0x03
#define SEMIHOST_SYS_WRITE0        0x04
#define SEMIHOST_SYS_WRITE         0x05
#define SEMIHOST_SYS_READ          0x06
#define SEMIHOST_SYS_SEEK          0x0A
#define SEMIHOST_SYS_FLEN          0x0C
#define SEMIHOST_SYS_REMOVE        0x0E
#define SEMIHOST_SYS_RENAME        0x0F
#define SEMIHOST_SYS_CLOCK         0x10
#define SEMIHOST_SYS_TIME          0x11
#define SEMIHOST_SYS_ERRNO         0x13
#define SEMIHOST_SYS_GET_CMDLINE   0x15
#define SEMIHOST_SYS_EXIT          0x18
#define SEMIHOST_SYS_EXIT_EXTENDED 0x20
#define SEMIHOST_SYS_ELAPSED       0x30
#define SEMIHOST_SYS_TICKFREQ      0x31

/* SYS_OPEN modes (index into the fopen() mode table "r","rb","r+","r+b","w","wb",...). */
#define SEMIHOST_OPEN_R    0
#define SEMIHOST_OPEN_RB   1
#define SEMIHOST_OPEN_RPB  3
#define SEMIHOST_OPEN_W    4
#define SEMIHOST_OPEN_WB   5
#define SEMIHOST_OPEN_WPB  7
#define SEMIHOST_OPEN_AB   9

/* Reason code for a normal exit (ADP_Stopped_ApplicationExit). */
#define SEMIHOST_ADP_APPLICATION_EXIT 0x20026u
/* Reason code for an abnormal stop (ADP_Stopped_RunTimeErrorUnknown). */
#define SEMIHOST_ADP_RUNTIME_ERROR    0x20023u

/** Raw call: operation @p op with parameter word @p arg; returns r0. */
intptr_t semihost_call(uint32_t op, const void *arg);

int semihost_open(const char *path, int mode);
int semihost_close(int fd);
/** @return number of bytes NOT written (0 on full success), -1 on a bad handle. */
intptr_t semihost_write(int fd, const void *buf, size_t len);
/** @return number of bytes NOT read (len means end of file). */
intptr_t semihost_read(int fd, void *buf, size_t len);
int semihost_seek(int fd, size_t pos);
/** @return file length or -1. */
intptr_t semihost_flen(int fd);
int semihost_remove(const char *path);
/** Host rename(2): atomic replacement of @p to on POSIX hosts. */
int semihost_rename(const char *from, const char *to);
void semihost_write0(const char *s);
/** Seconds since 1970-01-01 from the host clock, -1 when unavailable. */
intptr_t semihost_time(void);
/** Centiseconds since the program started (host clock). */
intptr_t semihost_clock(void);
/**
 * Host ticks since the program started (SYS_ELAPSED), at
 * semihost_tickfreq() per second. Under QEMU this is the host's monotonic clock in
 * nanoseconds: real time, which keeps running while `-icount` virtual time stands still.
 * @return 0, or -1 when the host does not implement the call.
 */
int semihost_elapsed(uint64_t *ticks);
/** Ticks per second of semihost_elapsed(), -1 when unknown. */
intptr_t semihost_tickfreq(void);
/**
 * Command line the emulator passes (QEMU: `-append "..."` after the kernel file name, or the
 * `arg=` items of -semihosting-config). NUL-terminated in @p buf.
 * @return 0, or -1 when unavailable or longer than @p cap - 1.
 */
int semihost_get_cmdline(char *buf, size_t cap);
/** Host errno of the last failed call. */
int semihost_errno(void);
/**
 * Stop the emulator with exit status @p status (SYS_EXIT_EXTENDED; falls back to SYS_EXIT,
 * which can only say success or failure).
 */
__attribute__((noreturn)) void semihost_exit(int status);

#ifdef __cplusplus
}
#endif

#endif /* BOARD_SEMIHOST_H */
