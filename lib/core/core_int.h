/* Helpers shared between the lib/ modules; not part of the public API. */
#ifndef PKIOT_LIB_CORE_INT_H
#define PKIOT_LIB_CORE_INT_H

#include "pkiot/common.h"

/** Value 0..15 of the hex digit @p c (either case), -1 for anything else. */
int pkiot_hex_value(int c);

#endif /* PKIOT_LIB_CORE_INT_H */
