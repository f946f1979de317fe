/*
 * Added to configs/mbedtls/pkiot_mbedtls_config.h (as MBEDTLS_USER_CONFIG_FILE) for the two
 * files of the bench image that need it: Mbed TLS's arena allocator (memory_buffer_alloc.c)
 * and the board's Mbed TLS glue. MBEDTLS_MEMORY_DEBUG makes the allocator keep its high-water
 * mark (mbedtls_memory_buffer_alloc_max_get); no other Mbed TLS file depends on it, so the
 * archive built from the shared configuration stays as it is.
 *
 * The allocator's debug messages go to mbedtls_fprintf(stderr, ...), which would be newlib's
 * fprintf and bring stdio and its heap into the image; they go to the board console instead.
 */
#ifndef QE_BENCH_MBEDTLS_CONFIG_H
#define QE_BENCH_MBEDTLS_CONFIG_H

#define MBEDTLS_MEMORY_DEBUG

void board_printf(const char *fmt, ...);
#define MBEDTLS_PLATFORM_FPRINTF_MACRO(stream, ...) board_printf(__VA_ARGS__)

#endif /* QE_BENCH_MBEDTLS_CONFIG_H */
