/* Shared between the files of boards/common; not part of the board API. */
#ifndef BOARD_INTERNAL_H
#define BOARD_INTERNAL_H

#include <stdint.h>

/** Pattern the reset handler lays over the unused stack. */
#define BOARD_STACK_FILL 0xDEADBEEFu
/** Exit status after a fault or an unexpected interrupt. */
#define BOARD_EXIT_FAULT 70
/** Exit status after a failed assertion (lwIP, Mbed TLS, newlib assert()). */
#define BOARD_EXIT_ASSERT 71

#endif /* BOARD_INTERNAL_H */
