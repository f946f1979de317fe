/*
 * Mbed TLS platform hooks for the MPS2 boards; see board_mbedtls.h.
 */
#include "board_mbedtls.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "board.h"
#include "mbedtls/build_info.h"
#include "mbedtls/entropy.h"
#include "mbedtls/memory_buffer_alloc.h"
#include "mbedtls/platform.h"
#include "mbedtls/platform_time.h"
#include "mbedtls/platform_util.h"

#if !defined(MBEDTLS_MEMORY_BUFFER_ALLOC_C)
#error "the board links no libc heap: Mbed TLS must use MBEDTLS_MEMORY_BUFFER_ALLOC_C"
#endif

/* 8-byte alignment keeps the allocator's blocks aligned for 64-bit fields. */
static unsigned char s_arena[BOARD_MBEDTLS_ARENA_SIZE] __attribute__((aligned(8)));

int mbedtls_hardware_poll(void *data, unsigned char *output, size_t len, size_t *olen)
{
    (void)data;
    *olen = 0;
    if (board_entropy(output, len) != 0) {
        return MBEDTLS_ERR_ENTROPY_SOURCE_FAILED;
    }
    *olen = len;
    return 0;
}

mbedtls_ms_time_t mbedtls_ms_time(void)
{
    /* Widen the 32-bit tick counter; called often enough (every handshake step) to see each wrap. */
    static uint32_t last;
    static uint32_t high;
    uint32_t now = board_millis();
    if (now < last) {
        high++;
    }
    last = now;
    return (mbedtls_ms_time_t)(((uint64_t)high << 32) | now);
}

static mbedtls_time_t board_time(mbedtls_time_t *t)
{
    int64_t now = board_unix_time();
    mbedtls_time_t v = (mbedtls_time_t)(now < 0 ? 0 : now);
    if (t != NULL) {
        *t = v;
    }
    return v;
}

/*
 * Days since 1970-01-01 to a proleptic Gregorian date, using 400-year eras that start on
 * 1 March so the leap day falls at the end of each year.
 */
struct tm *mbedtls_platform_gmtime_r(const mbedtls_time_t *tt, struct tm *tm_buf)
{
    if (tt == NULL || tm_buf == NULL) {
        return NULL;
    }
    int64_t t = (int64_t)*tt;
    int64_t days = t / 86400;
    int64_t secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    memset(tm_buf, 0, sizeof *tm_buf);
    tm_buf->tm_hour = (int)(secs / 3600);
    tm_buf->tm_min = (int)(secs % 3600 / 60);
    tm_buf->tm_sec = (int)(secs % 60);
    tm_buf->tm_wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */

    int64_t z = days + 719468;                    /* days since 0000-03-01 */
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;               /* day of era, 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100); /* day of March-based year */
    int64_t mp = (5 * doy + 2) / 153;             /* March = 0 */
    int64_t mday = doy - (153 * mp + 2) / 5 + 1;
    int64_t mon = mp < 10 ? mp + 3 : mp - 9;      /* 1..12 */
    int64_t year = yoe + era * 400 + (mon <= 2 ? 1 : 0);

    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    static const short before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    tm_buf->tm_year = (int)(year - 1900);
    tm_buf->tm_mon = (int)(mon - 1);
    tm_buf->tm_mday = (int)mday;
    tm_buf->tm_yday = before[mon - 1] + (int)mday - 1 + (leap && mon > 2 ? 1 : 0);
    return tm_buf;
}

static int board_printf_int(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = board_vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0) {
        board_write(buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
    }
    return n;
}

int board_mbedtls_init(void)
{
    mbedtls_memory_buffer_alloc_init(s_arena, sizeof s_arena);
    (void)mbedtls_platform_set_snprintf(board_snprintf);
    (void)mbedtls_platform_set_vsnprintf(board_vsnprintf);
    (void)mbedtls_platform_set_printf(board_printf_int);
    (void)mbedtls_platform_set_time(board_time);
    return board_unix_time() < 0 ? -1 : 0;
}

void board_mbedtls_arena_peak(size_t *bytes, size_t *blocks)
{
#if defined(MBEDTLS_MEMORY_DEBUG)
    mbedtls_memory_buffer_alloc_max_get(bytes, blocks);
#else
    *bytes = 0;
    *blocks = 0;
#endif
}
