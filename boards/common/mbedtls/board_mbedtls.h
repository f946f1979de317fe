/**
 * @file board_mbedtls.h
 * @brief Mbed TLS 3.6 on the board: static heap arena, entropy, clocks and text formatting.
 *
 * configs/mbedtls/pkiot_mbedtls_config.h (cross builds, PKIOT_MBEDTLS_BAREMETAL) leaves these
 * OS services to the firmware; this file provides them from the board API:
 *  - heap: mbedtls_memory_buffer_alloc_init() over a static arena of BOARD_MBEDTLS_ARENA_SIZE
 *    bytes in .bss (no libc malloc is ever linked);
 *  - entropy: mbedtls_hardware_poll() takes its bytes from board_entropy(), the board's one
 *    TRNG hook (EMULATOR-ONLY on QEMU: host /dev/urandom through semihosting);
 *  - wall clock: mbedtls_time() through mbedtls_platform_set_time() reads board_unix_time()
 *    (QEMU: host time; real boards: RTC set by SNTP); mbedtls_platform_gmtime_r() converts
 *    it without libc's gmtime (whose buffer newlib allocates);
 *  - monotonic time: mbedtls_ms_time() from the SysTick millisecond counter, widened to 64 bits;
 *  - snprintf/vsnprintf/printf: the board's allocation-free formatter.
 *
 * Call board_mbedtls_init() once, after board_init() and before any other Mbed TLS or PSA call.
 * Compile this directory only into images that link Mbed TLS.
 */
#ifndef BOARD_MBEDTLS_H
#define BOARD_MBEDTLS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of the static Mbed TLS heap; override with -DBOARD_MBEDTLS_ARENA_SIZE=N. */
#ifndef BOARD_MBEDTLS_ARENA_SIZE
#define BOARD_MBEDTLS_ARENA_SIZE (64 * 1024)
#endif

/** @return 0, or -1 when the wall clock is unknown (Mbed TLS then sees time 0). */
int board_mbedtls_init(void);

/**
 * Peak arena use in bytes and blocks since init, when Mbed TLS is built with
 * MBEDTLS_MEMORY_DEBUG; otherwise both are reported as 0.
 */
void board_mbedtls_arena_peak(size_t *bytes, size_t *blocks);

/** Entropy callback signature Mbed TLS expects (MBEDTLS_ENTROPY_HARDWARE_ALT). */
int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen);

#ifdef __cplusplus
}
#endif

#endif /* BOARD_MBEDTLS_H */
