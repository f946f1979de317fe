/* Compiler glue for the compile-only NO_SYS=0 configuration (see ../lwipopts.h). */
#ifndef PKIOT_LWIP_CHECK_CC_H
#define PKIOT_LWIP_CHECK_CC_H

#include <sys/time.h>

#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_PLATFORM_ASSERT(x) do { } while (0)

#endif /* PKIOT_LWIP_CHECK_CC_H */
