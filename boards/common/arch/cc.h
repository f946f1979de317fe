/*
 * lwIP compiler/platform glue for arm-none-eabi-gcc + newlib on the MPS2 boards.
 * Diagnostics and assertions go to the board console; nothing here uses stdio.
 */
#ifndef PKIOT_BOARD_ARCH_CC_H
#define PKIOT_BOARD_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

/* newlib's <sys/time.h> already defines struct timeval. */
#define LWIP_TIMEVAL_PRIVATE 0
#include <sys/time.h>

#ifdef __cplusplus
extern "C" {
#endif
void board_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn)) void lwip_port_assert(const char *msg, const char *file, int line);
#ifdef __cplusplus
}
#endif

#define LWIP_PLATFORM_DIAG(x) do { board_printf x; } while (0)
#define LWIP_PLATFORM_ASSERT(x) lwip_port_assert((x), __FILE__, __LINE__)

#endif /* PKIOT_BOARD_ARCH_CC_H */
