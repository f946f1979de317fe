/*
 * lwIP NO_SYS glue: the millisecond clock, randomness and assertion hook.
 */
#include <stdint.h>

#include "board.h"
#include "board_internal.h"
#include "lwip/arch.h"
#include "lwip/sys.h"

u32_t sys_now(void)
{
    return board_millis();
}

/*
 * TCP initial sequence numbers, DNS transaction ids and source ports must not be guessable
 * (RFC 6528, RFC 5452), so they come from the board entropy source, buffered to keep the
 * number of entropy calls low.
 */
unsigned int lwip_port_rand(void)
{
    static uint32_t pool[16];
    static unsigned int left;
    if (left == 0) {
        if (board_entropy((uint8_t *)pool, sizeof pool) != 0) {
            lwip_port_assert("board_entropy failed", __FILE__, __LINE__);
        }
        left = sizeof pool / sizeof pool[0];
    }
    uint32_t r = pool[--left];
    pool[left] = 0;
    return (unsigned int)r;
}

void lwip_port_assert(const char *msg, const char *file, int line)
{
    board_printf("\n*** lwIP assertion \"%s\" failed: %s:%d\n", msg, file, line);
    board_exit(BOARD_EXIT_ASSERT);
}
