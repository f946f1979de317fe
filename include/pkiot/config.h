/**
 * @file config.h
 * @brief Single entry point for build-time configuration.
 *
 * Define PKIOT_CONFIG_FILE (e.g. `-DPKIOT_CONFIG_FILE='"pkiot_config.h"'`) to pull in a
 * header generated from Kconfig or written by hand; anything it leaves undefined falls back to
 * the defaults in config_defaults.h, which also rejects inconsistent combinations.
 */
#ifndef PKIOT_CONFIG_H
#define PKIOT_CONFIG_H

#ifdef PKIOT_CONFIG_FILE
#include PKIOT_CONFIG_FILE
#endif
#include "pkiot/config_defaults.h"

#endif /* PKIOT_CONFIG_H */
