/*
 * Type-only sys_arch for compiling against lwIP's NO_SYS=0 headers (see ../lwipopts.h).
 * An RTOS port (FreeRTOS, CMSIS-RTOS) supplies the real one.
 */
#ifndef PKIOT_LWIP_CHECK_SYS_ARCH_H
#define PKIOT_LWIP_CHECK_SYS_ARCH_H

typedef struct { void *handle; } sys_sem_t;
typedef struct { void *handle; } sys_mutex_t;
typedef struct { void *handle; } sys_mbox_t;
typedef void *sys_thread_t;

#define SYS_MBOX_NULL NULL
#define SYS_SEM_NULL  NULL

#endif /* PKIOT_LWIP_CHECK_SYS_ARCH_H */
