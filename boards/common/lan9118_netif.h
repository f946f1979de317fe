/**
 * @file lan9118_netif.h
 * @brief The LAN9118 as an lwIP network interface (NO_SYS, polled).
 *
 * Usage, from the firmware's main loop (lwIP is not thread-safe in NO_SYS mode: every call
 * into lwIP, including these, must come from the same context):
 * @code
 *   static lan9118_t eth;
 *   static struct netif nif;
 *   lwip_init();
 *   lan9118_netif_add(&nif, &eth, BOARD_LAN9118_BASE, NULL);   // DHCP: zero addresses
 *   dhcp_start(&nif);
 *   for (;;) {
 *       lan9118_netif_poll(&nif);    // RX frames into lwIP, TX status, link changes
 *       sys_check_timeouts();        // lwIP timers (TCP, DHCP, ARP, DNS)
 *       ... application step ...
 *   }
 * @endcode
 */
#ifndef LAN9118_NETIF_H
#define LAN9118_NETIF_H

#include "lan9118.h"
#include "lwip/err.h"
#include "lwip/netif.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Initialises the controller at @p base and adds it to lwIP as the default interface,
 * administratively up, link state from the PHY.
 * @param mac MAC address to use, or NULL for the controller's own (see lan9118_init()).
 * @return ERR_OK, or ERR_IF when no controller answers.
 */
err_t lan9118_netif_add(struct netif *nif, lan9118_t *dev, uintptr_t base, const uint8_t *mac);

/**
 * Moves received frames into lwIP (up to 16 per call), reaps TX status, and every 100 ms
 * re-reads the PHY link state (calling netif_set_link_up/down on changes).
 * @return number of frames passed to lwIP.
 */
int lan9118_netif_poll(struct netif *nif);

/** lan9118_netif_poll() taking at most @p max frames out of the RX FIFO (dropped ones count). */
int lan9118_netif_poll_max(struct netif *nif, int max);

#ifdef __cplusplus
}
#endif

#endif /* LAN9118_NETIF_H */
