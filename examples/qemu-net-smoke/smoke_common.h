/*
 * Shared by the QEMU smoke images (plain HTTP in main.c, TLS in tls/main.c): argument parsing,
 * network bring-up, the main-loop tick and the final report.
 */
#ifndef SMOKE_COMMON_H
#define SMOKE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "board_storage.h"
#include "lan9118_netif.h"

#define SMOKE_EXIT_FAIL    1
#define SMOKE_EXIT_TIMEOUT 2

/*
 * Arguments (QEMU: -append "key=value ..."):
 *   host=    server address (default 10.0.2.2, the host as seen from QEMU user networking)
 *   port=    server TCP port (default 8000)
 *   path=    request path (default /)
 *   flash=   host file for the emulated-flash round trip (optional)
 *   ca=      host file with the PEM trust anchor (TLS image)
 *   sni=     TLS server name to send and verify (TLS image; default the host= value)
 *   timeout= overall limit in seconds (default 30)
 */
typedef struct smoke_args {
    char host[64];
    uint16_t port;
    char path[128];
    char flash[BOARD_FILE_PATH_MAX];
    char ca[BOARD_FILE_PATH_MAX];
    char sni[64];
    uint32_t timeout_ms;
} smoke_args_t;

extern smoke_args_t smoke_args;
extern lan9118_t smoke_eth;
extern struct netif smoke_netif;

/** board_init, banner, arguments, entropy/clock/flash checks, lwIP + LAN9118 + DHCP. */
void smoke_start(const char *name);

/** One main-loop turn: frames in, lwIP timers, nap when idle; exits on the deadline. */
void smoke_tick(void);

/** Prints statistics and the PASS/FAIL line, then exits with @p status. */
__attribute__((noreturn)) void smoke_finish(int status, const char *why);

#endif /* SMOKE_COMMON_H */
