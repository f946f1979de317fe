/**
 * @file lwipopts.h
 * @brief lwIP 2.2 configuration for the MPS2 boards: NO_SYS raw API, static memory only.
 *
 * Memory: MEM_LIBC_MALLOC=0 and MEMP_MEM_MALLOC=0, so lwIP's own heap (MEM_SIZE bytes, used
 * for PBUF_RAM: outgoing TCP segments copied by tcp_write) and its fixed pools live in .bss;
 * no libc allocator is linked.
 *
 * TCP is sized for one TLS connection at a time: a 16 KiB TLS record arrives as ~12 full
 * segments, so the receive window (4 MSS) plus the application reading promptly keeps the
 * RX pool small; the send buffer holds 4 MSS, more than the 4 KiB TLS output record.
 *
 * A board or application may override anything by defining it in "lwipopts_board.h"
 * (found first on the include path) when PKIOT_LWIPOPTS_BOARD is defined.
 */
#ifndef PKIOT_BOARD_LWIPOPTS_H
#define PKIOT_BOARD_LWIPOPTS_H

#if defined(PKIOT_LWIPOPTS_BOARD)
#include "lwipopts_board.h"
#endif

/* --- system ------------------------------------------------------------------------------ */
#define NO_SYS                      1
#define LWIP_NETCONN                0
#define LWIP_SOCKET                 0
/* Only the main loop touches lwIP; no interrupt handler does, so no locking is needed. */
#define SYS_LIGHTWEIGHT_PROT        0
#define LWIP_NETIF_API              0

/* --- memory ------------------------------------------------------------------------------ */
#define MEM_LIBC_MALLOC             0
#define MEMP_MEM_MALLOC             0
#define MEM_ALIGNMENT               4
#ifndef MEM_SIZE
#define MEM_SIZE                    (16 * 1024)
#endif
#define MEMP_NUM_PBUF               16
#define MEMP_NUM_UDP_PCB            4
#define MEMP_NUM_TCP_PCB            4
#define MEMP_NUM_TCP_PCB_LISTEN     1
#define MEMP_NUM_TCP_SEG            (TCP_SND_QUEUELEN + 8)
#define MEMP_NUM_ARP_QUEUE          8
#ifndef PBUF_POOL_SIZE
#define PBUF_POOL_SIZE              16
#endif
/* One Ethernet frame per pool buffer (frame + struct pbuf rounded up). */
#define PBUF_POOL_BUFSIZE           1536
#define ETH_PAD_SIZE                0

/* --- protocols ----------------------------------------------------------------------------- */
#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define LWIP_ICMP                   1
#define LWIP_RAW                    0
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_DHCP                   1
/*
 * Address conflict detection delays the first usable address by several seconds; the QEMU
 * user network hands out unique addresses. Real deployments may turn it back on.
 */
#ifndef LWIP_DHCP_DOES_ACD_CHECK
#define LWIP_DHCP_DOES_ACD_CHECK    0
#endif
#define LWIP_AUTOIP                 0
#define LWIP_IGMP                   0
#define LWIP_DNS                    1
#define DNS_TABLE_SIZE              4
#define DNS_MAX_SERVERS             2
#define LWIP_NETIF_HOSTNAME         1
#define LWIP_NETIF_STATUS_CALLBACK  1
#define LWIP_NETIF_LINK_CALLBACK    1
#define LWIP_ALTCP                  0

/* --- TCP --------------------------------------------------------------------------------- */
#define TCP_MSS                     1460
#ifndef TCP_WND
#define TCP_WND                     (4 * TCP_MSS)
#endif
#ifndef TCP_SND_BUF
#define TCP_SND_BUF                 (4 * TCP_MSS)
#endif
#define TCP_SND_QUEUELEN            ((4 * TCP_SND_BUF + (TCP_MSS - 1)) / TCP_MSS)
#define TCP_QUEUE_OOSEQ             1
#define LWIP_TCP_KEEPALIVE          1
#define TCP_LISTEN_BACKLOG          0
#define LWIP_TCP_SACK_OUT           0

/* --- checksums: the LAN9118 offloads nothing, lwIP computes all of them --------------------- */
#define CHECKSUM_GEN_IP             1
#define CHECKSUM_GEN_UDP            1
#define CHECKSUM_GEN_TCP            1
#define CHECKSUM_GEN_ICMP           1
#define CHECKSUM_CHECK_IP           1
#define CHECKSUM_CHECK_UDP          1
#define CHECKSUM_CHECK_TCP          1
#define CHECKSUM_CHECK_ICMP         1
#define LWIP_CHECKSUM_ON_COPY       1

/* --- statistics and debugging --------------------------------------------------------------- */
#define LWIP_STATS                  0
#define LWIP_STATS_DISPLAY          0

/* --- randomness for TCP initial sequence numbers, DNS ids and ports, DHCP xid --------------- */
#define LWIP_RAND()                 lwip_port_rand()
#ifdef __cplusplus
extern "C" {
#endif
unsigned int lwip_port_rand(void);
#ifdef __cplusplus
}
#endif

#endif /* PKIOT_BOARD_LWIPOPTS_H */
