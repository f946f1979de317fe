/*
 * Minimal NO_SYS=0 lwIP configuration used only to compile pkiot_lwip_sockets.c on every
 * build (`make lwip-port-check`), so the sockets variant cannot rot. Not for firmware: a real
 * RTOS build uses its own lwipopts.h and sys_arch.
 */
#ifndef PKIOT_LWIP_CHECK_LWIPOPTS_H
#define PKIOT_LWIP_CHECK_LWIPOPTS_H

#define NO_SYS                 0
#define LWIP_SOCKET            1
#define LWIP_NETCONN           1
#define LWIP_SOCKET_SELECT     1
#define LWIP_COMPAT_SOCKETS    0
#define LWIP_DNS               1
#define LWIP_IPV4              1
#define LWIP_IPV6              1
#define LWIP_TCP               1
#define LWIP_UDP               1
#define MEM_LIBC_MALLOC        0
#define MEMP_MEM_MALLOC        0
#define MEM_ALIGNMENT          4
#define LWIP_ERRNO_STDINCLUDE  1
#define LWIP_TIMEVAL_PRIVATE   0

#endif /* PKIOT_LWIP_CHECK_LWIPOPTS_H */
