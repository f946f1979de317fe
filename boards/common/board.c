/*
 * Board services for the QEMU MPS2 boards: SysTick clock, semihosting console, exit,
 * and the two hooks a real board must reimplement (entropy, wall clock).
 */
#include "board.h"

#include <stdlib.h>
#include <string.h>

#include "board_internal.h"
#include "semihost.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE    (1u << 0)
#define SYST_CSR_TICKINT   (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)

extern uint32_t __stack_top[];
extern uint32_t __stack_bottom[];

void SysTick_Handler(void);
void _exit(int status);
void __assert_func(const char *file, int line, const char *func, const char *expr);

static volatile uint32_t s_millis;
static int s_console = -1;

void SysTick_Handler(void)
{
    s_millis++;
}

void board_init(void)
{
    SYST_CSR = 0;
    SYST_RVR = BOARD_SYSCLK_HZ / 1000u - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;

    /* ":tt" opened for writing is the emulator's standard output (EMULATOR-ONLY). */
    s_console = semihost_open(":tt", SEMIHOST_OPEN_W);
}

uint32_t board_millis(void)
{
    return s_millis;
}

void board_delay_ms(uint32_t ms)
{
    uint32_t start = s_millis;
    while ((uint32_t)(s_millis - start) < ms) {
        __asm__ volatile("wfi");
    }
}

void board_idle(void)
{
    __asm__ volatile("wfi");
}

int board_cmdline(char *buf, size_t cap)
{
    return semihost_get_cmdline(buf, cap);
}

void board_write(const char *s, size_t len)
{
    if (len == 0) {
        return;
    }
    if (s_console >= 0) {
        (void)semihost_write(s_console, s, len);
        return;
    }
    /* Before board_init() (or if ":tt" failed): one character at a time. */
    for (size_t i = 0; i < len; i++) {
        (void)semihost_call(SEMIHOST_SYS_WRITEC, &s[i]);
    }
}

void board_vprintf(const char *fmt, va_list ap)
{
    char buf[256];
    int n = board_vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0) {
        return;
    }
    board_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void board_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    board_vprintf(fmt, ap);
    va_end(ap);
}

void board_exit(int status)
{
    semihost_exit(status);
}

/*
 * Bench images define these (see board.h); weak references, so that in any other image they
 * resolve to NULL and cannot be switched on.
 */
extern int board_fixed_entropy(uint8_t *buf, size_t len) __attribute__((weak));
extern int board_fixed_unix_time(int64_t *t) __attribute__((weak));

/*
 * EMULATOR-ONLY entropy: bytes from the host's /dev/urandom through semihosting file calls.
 * A real board replaces this function with its TRNG driver (and health-test failures must
 * return -1). Nothing else in the firmware may produce seed material; the one exception is
 * the bench image's fixed-input mode, which must repeat a run exactly and so replaces the
 * seed by a fixed stream (never random, never in a non-bench image).
 */
int board_entropy(uint8_t *buf, size_t len)
{
    static int fd = -1;
    if (board_fixed_entropy != NULL) {
        int rc = board_fixed_entropy(buf, len);
        if (rc <= 0) {
            return rc;
        }
    }
    if (fd < 0) {
        fd = semihost_open("/dev/urandom", SEMIHOST_OPEN_RB);
        if (fd < 0) {
            return -1;
        }
    }
    while (len > 0) {
        size_t chunk = len > 256 ? 256 : len;
        intptr_t left = semihost_read(fd, buf, chunk);
        if (left < 0 || (size_t)left >= chunk) {
            return -1;
        }
        size_t got = chunk - (size_t)left;
        buf += got;
        len -= got;
    }
    return 0;
}

/*
 * EMULATOR-ONLY wall clock: the host's time() through SYS_TIME (in the bench image's
 * fixed-input mode a constant, for the same reason as the entropy above). A real board
 * returns its RTC (set by SNTP, see lwIP apps/sntp) and -1 until the first successful
 * synchronisation.
 */
int64_t board_unix_time(void)
{
    int64_t fixed;
    if (board_fixed_unix_time != NULL && board_fixed_unix_time(&fixed) == 0) {
        return fixed;
    }
    intptr_t t = semihost_time();
    /* Anything before 2020 means the host clock is unset; treat it as unknown. */
    if (t < 1577836800) {
        return -1;
    }
    return (int64_t)t;
}

/*
 * exit() (Mbed TLS calls it when its arena allocator detects corruption) ends the program
 * through the board. Defining it here keeps newlib's exit/atexit machinery out of the image.
 */
void exit(int status)
{
    board_exit(status);
}

void _exit(int status)
{
    board_exit(status);
}

size_t board_stack_size(void)
{
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_bottom);
}

size_t board_stack_high_water(void)
{
    const uint32_t *p = __stack_bottom;
    while (p < __stack_top && *p == BOARD_STACK_FILL) {
        p++;
    }
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

const char *board_name(void)
{
    return BOARD_NAME;
}

/*
 * newlib's assert() lands here. Defining it keeps newlib's version, which formats with
 * fiprintf and drags in stdio and its heap, out of the image.
 */
void __assert_func(const char *file, int line, const char *func, const char *expr)
{
    board_printf("\n*** assertion \"%s\" failed: %s:%d (%s)\n", expr ? expr : "?",
                 file ? file : "?", line, func ? func : "?");
    board_exit(BOARD_EXIT_ASSERT);
}
