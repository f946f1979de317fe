/**
 * @file config_defaults.h
 * @brief Default for every PKIOT_* option, and consistency checks.
 *
 * Mirrors the root Kconfig: a value given by the build (generated pkiot_config.h or -D flags)
 * wins; everything else gets the default here. Include pkiot/config.h rather than this file.
 */
#ifndef PKIOT_CONFIG_DEFAULTS_H
#define PKIOT_CONFIG_DEFAULTS_H

/* Protocols */
#ifndef PKIOT_EST
#define PKIOT_EST 1
#endif
#ifndef PKIOT_EST_CSRATTRS
#define PKIOT_EST_CSRATTRS PKIOT_EST
#endif
#ifndef PKIOT_EST_SERVERKEYGEN
#define PKIOT_EST_SERVERKEYGEN PKIOT_EST
#endif
#ifndef PKIOT_CMP
#define PKIOT_CMP 1
#endif
#ifndef PKIOT_ACME
#define PKIOT_ACME 0
#endif
#ifndef PKIOT_SCEP
#define PKIOT_SCEP 0
#endif

/* Key types the build supports (PKIOT_KEY_* without ENABLE are the pkiot_key_type_t values) */
#ifndef PKIOT_ENABLE_P256
#define PKIOT_ENABLE_P256 1
#endif
#ifndef PKIOT_ENABLE_P384
#define PKIOT_ENABLE_P384 1
#endif
#ifndef PKIOT_ENABLE_RSA
#define PKIOT_ENABLE_RSA 1
#endif

/* Buffers */
#ifndef PKIOT_TX_BUF_SIZE
#define PKIOT_TX_BUF_SIZE 4096
#endif
#ifndef PKIOT_RX_BUF_SIZE
#define PKIOT_RX_BUF_SIZE 8192
#endif
#ifndef PKIOT_HTTP_LINE_MAX
#define PKIOT_HTTP_LINE_MAX 512
#endif
#ifndef PKIOT_CERT_MAX
#define PKIOT_CERT_MAX 2048
#endif
#ifndef PKIOT_CKPT_MAX
#define PKIOT_CKPT_MAX 4096
#endif

#ifndef PKIOT_X509_BUILTIN
#define PKIOT_X509_BUILTIN 1
#endif

#ifndef PKIOT_ERROR_STRINGS
#define PKIOT_ERROR_STRINGS 1
#endif

#ifndef PKIOT_LOG_LEVEL
#define PKIOT_LOG_LEVEL 0
#endif

/* Consistency checks (lwIP opt.h habit): fail at compile time, not in the field. */
#if !PKIOT_EST && !PKIOT_CMP && !PKIOT_ACME && !PKIOT_SCEP
#error "pkiot: enable at least one protocol (PKIOT_EST, PKIOT_CMP, PKIOT_ACME, PKIOT_SCEP)"
#endif
#if !PKIOT_ENABLE_P256 && !PKIOT_ENABLE_P384 && !PKIOT_ENABLE_RSA
#error "pkiot: enable at least one key type"
#endif
#if (PKIOT_EST_CSRATTRS || PKIOT_EST_SERVERKEYGEN) && !PKIOT_EST
#error "pkiot: PKIOT_EST_CSRATTRS and PKIOT_EST_SERVERKEYGEN need PKIOT_EST"
#endif
#if PKIOT_SCEP && !PKIOT_ENABLE_RSA
#error "pkiot: SCEP (RFC 8894) requires RSA keys: set PKIOT_ENABLE_RSA"
#endif
#if PKIOT_ACME && !(PKIOT_ENABLE_P256 || PKIOT_ENABLE_RSA)
#error "pkiot: ACME account keys need P-256 or RSA"
#endif
#if PKIOT_TX_BUF_SIZE < 1024
#error "pkiot: PKIOT_TX_BUF_SIZE must be at least 1024"
#endif
#if PKIOT_RX_BUF_SIZE < 2048
#error "pkiot: PKIOT_RX_BUF_SIZE must be at least 2048"
#endif
#if PKIOT_HTTP_LINE_MAX < 128
#error "pkiot: PKIOT_HTTP_LINE_MAX must be at least 128"
#endif
#if PKIOT_CERT_MAX > PKIOT_RX_BUF_SIZE
#error "pkiot: PKIOT_CERT_MAX cannot exceed PKIOT_RX_BUF_SIZE (certificates arrive in the receive buffer)"
#endif
#if PKIOT_LOG_LEVEL < 0 || PKIOT_LOG_LEVEL > 4
#error "pkiot: PKIOT_LOG_LEVEL must be 0..4"
#endif

#endif /* PKIOT_CONFIG_DEFAULTS_H */
