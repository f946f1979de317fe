/*
 * lwIP configuration of lws-enroll: lwIP 2.2 with its own unix port as the operating system
 * (NO_SYS=0: a tcpip thread, a TAP reader thread, the application in main()), sockets API,
 * IPv4 with a static address, DNS only for the local host table (--resolve). Read by the
 * lwIP sources, contrib/ports/unix/port/{sys_arch.c,netif/tapif.c}, pkiot_lwip_sockets.c
 * and lws_enroll.c alike (mk/lwip-sockets.mk).
 */
#ifndef LWS_LWIPOPTS_H
#define LWS_LWIPOPTS_H

/* --- operating system -------------------------------------------------------------------- */
#define NO_SYS                      0
/* tapif's reader thread allocates pbufs outside the tcpip thread: memp/mem need the
 * (pthread mutex) protection of sys_arch_protect(). */
#define SYS_LIGHTWEIGHT_PROT        1
/* Socket calls run in the caller's thread under the core lock; the unix port checks that
 * every core function is called with it held (an abort otherwise). */
#define LWIP_TCPIP_CORE_LOCKING     1
void sys_check_core_locking(void);
#define LWIP_ASSERT_CORE_LOCKED()   sys_check_core_locking()
#define TCPIP_MBOX_SIZE             64
#define DEFAULT_TCP_RECVMBOX_SIZE   64
#define DEFAULT_UDP_RECVMBOX_SIZE   8
#define DEFAULT_RAW_RECVMBOX_SIZE   8
#define DEFAULT_ACCEPTMBOX_SIZE     8

/* --- APIs: sockets only under their lwip_ names (the host's own sockets stay untouched) -- */
#define LWIP_NETCONN                1
#define LWIP_SOCKET                 1
#define LWIP_SOCKET_SELECT          1
#define LWIP_SOCKET_POLL            0
#define LWIP_COMPAT_SOCKETS         0
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_NETIF_API              0

/* --- protocols ----------------------------------------------------------------------------- */
#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define LWIP_ICMP                   1
#define LWIP_RAW                    0
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_DHCP                   0
#define LWIP_AUTOIP                 0
#define LWIP_IGMP                   0
/* Names resolve through lwip_getaddrinfo(); the test gives them as a local host table
 * (dns_local_addhost), no DNS server is configured, so other names fail at once.
 * mk/lwip-sockets.mk also compiles the port with -DLWS_DNS=0 (a build without DNS, where
 * only address literals connect) to keep that variant compiling. */
#ifndef LWS_DNS
#define LWS_DNS                     1
#endif
#define LWIP_DNS                    LWS_DNS
#if LWS_DNS
#define DNS_LOCAL_HOSTLIST          1
#define DNS_LOCAL_HOSTLIST_IS_DYNAMIC 1
#endif

/* --- memory -------------------------------------------------------------------------------- */
#define MEM_LIBC_MALLOC             0
#define MEMP_MEM_MALLOC             0
#define MEM_ALIGNMENT               8
#define MEM_SIZE                    (128 * 1024)
#define MEMP_NUM_NETCONN            8
#define MEMP_NUM_TCP_PCB            8
#define MEMP_NUM_TCP_SEG            64
#define MEMP_NUM_PBUF               32
#define PBUF_POOL_SIZE              64
#define MEMP_NUM_TCPIP_MSG_INPKT    64

/* --- TCP: lwIP's defaults, i.e. a microcontroller's buffers. A request larger than
 * TCP_SND_BUF (1072 bytes) is accepted in parts, and a TLS record larger than TCP_WND arrives
 * over several reads, so the port's partial sends and would-block paths really run. ------- */
#define TCP_MSS                     536
#define TCP_SND_BUF                 (2 * TCP_MSS)
#define TCP_WND                     (4 * TCP_MSS)

#define LWIP_STATS                  0
#define LWIP_NETIF_LINK_CALLBACK    0
#define LWIP_NETIF_STATUS_CALLBACK  0

#endif /* LWS_LWIPOPTS_H */
