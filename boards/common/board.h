/**
 * @file board.h
 * @brief What firmware needs from a board: console, millisecond clock, wall clock, entropy,
 *        exit, and the Ethernet interface.
 *
 * The QEMU MPS2 boards (boards/qemu-mps2-an385, boards/qemu-mps2-an386) implement everything
 * here; most of it over semihosting, which only exists under an emulator or debugger.
 *
 * Porting to real hardware: two hooks carry security weight and must be rewritten.
 *  - board_entropy(): fill the buffer from the chip's TRNG (and fail, never fake, when the
 *    TRNG reports an error). Mbed TLS gets its seed through mbedtls_hardware_poll(), which
 *    the board's Mbed TLS glue implements on top of this function, so there is exactly one
 *    entropy source to review.
 *  - board_unix_time(): seconds since 1970 from an RTC set by SNTP (lwIP apps/sntp) or from a
 *    battery-backed RTC. Return -1 while the time is unknown; certificate validity checks
 *    then report PKIOT_E_TIME_UNKNOWN instead of trusting a clock that starts at 1970.
 * The console and exit may stay as they are (semihosting) during bring-up under a debugger;
 * production images route the console to a UART and reset instead of exiting.
 */
#ifndef BOARD_H
#define BOARD_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "board_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Starts the 1 ms SysTick and opens the console. Call first in main(). */
void board_init(void);

/** Milliseconds since board_init(); wraps after 49.7 days (compare with subtraction). */
uint32_t board_millis(void);

/** Busy-waits (sleeping between ticks) for @p ms milliseconds. */
void board_delay_ms(uint32_t ms);

/** Sleeps until the next interrupt (at the latest the next 1 ms tick). */
void board_idle(void);

/**
 * Arguments the firmware was started with (EMULATOR-ONLY: QEMU `-append "..."`, semihosting).
 * @return 0 with a NUL-terminated string in @p buf (possibly empty), -1 when unavailable.
 */
int board_cmdline(char *buf, size_t cap);

/** Writes @p len bytes to the console. */
void board_write(const char *s, size_t len);

/** printf subset: %% %c %s %d %i %u %x %X %p, flags '-' '0', width, length l ll z. */
void board_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void board_vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/** Same subset into a buffer; always NUL-terminates when cap > 0; returns the full length. */
int board_snprintf(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int board_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/** Ends the program with @p status (0 = success). Under QEMU the process exit code. */
__attribute__((noreturn)) void board_exit(int status);

/**
 * Hardware entropy hook: fill @p buf with @p len bytes of full-entropy randomness.
 * @return 0 on success, -1 when the source failed (the caller must then fail, not retry
 *         with weaker randomness).
 */
int board_entropy(uint8_t *buf, size_t len);

/** Wall-clock hook: seconds since 1970-01-01 UTC, or -1 while unknown. */
int64_t board_unix_time(void);

/*
 * Fixed inputs for benchmarks: EMULATOR-ONLY, and only in images built with PKIOT_BENCH=1
 * (examples/qemu-enroll/bench_fixed.c defines them). board.c refers to them weakly, so in
 * every other image they do not exist and board_entropy()/board_unix_time() take the host's
 * values; a real board's implementation of those two hooks has no such path at all.
 * Each returns 0 with the fixed value, 1 while the fixed-input mode is off (the host's value
 * is used then), or -1 on failure.
 */
int board_fixed_entropy(uint8_t *buf, size_t len);
int board_fixed_unix_time(int64_t *t);

/** Bytes of the main stack ever used (from the fill pattern laid down at reset). */
size_t board_stack_high_water(void);
/** Size of the main stack reserved by the linker script. */
size_t board_stack_size(void);

/** Human-readable board name, e.g. "qemu-mps2-an385 (Cortex-M3)". */
const char *board_name(void);

#ifdef __cplusplus
}
#endif

#endif /* BOARD_H */
