/* Helpers shared between the lib/x509 sources; not part of the public API. */
#ifndef PKIOT_LIB_X509_INT_H
#define PKIOT_LIB_X509_INT_H

#include "pkiot/der.h"
#include "pkiot/x509.h"

/** 1 when @p c belongs to the PrintableString character set. */
int pkiot_x509_is_printable_char(uint8_t c);

/** Number of code points of UTF-8 text, SIZE_MAX when it is not valid UTF-8. */
size_t pkiot_x509_utf8_chars(const uint8_t *p, size_t len);

/** 1 when @p len bytes are a valid non-empty value of string type @p tag, without NUL, of
 *  at most @p max_chars characters (0: no bound). */
int pkiot_x509_check_string(uint32_t tag, const uint8_t *p, size_t len, size_t max_chars);

/** Validate a Name TLV spanning exactly @p len bytes; @p contents receives the RDN list. */
int pkiot_x509_name_check(const uint8_t *name, size_t len, pkiot_slice_t *contents);

/** Parse a SubjectPublicKeyInfo TLV's algorithm and key (for certificates and templates). */
int pkiot_x509_spki_info(const uint8_t *spki, size_t len, pkiot_x509_key_alg_t *alg,
                         pkiot_key_type_t *type, uint16_t *bits, pkiot_slice_t *params,
                         pkiot_slice_t *key);

/** Key type for an EC named curve OID (contents), with its size in bits. */
pkiot_key_type_t pkiot_x509_curve_type(const uint8_t *oid, size_t len, uint16_t *bits);

/** Bits of an RSAPublicKey DER's modulus, 0 when it does not parse. */
uint16_t pkiot_x509_rsa_bits(const uint8_t *der, size_t len);

/*
 * Structure readers: like pkiot_der_next()/expect()/finish(), but a missing element, a
 * wrong tag or unexpected trailing elements inside a well-formed parent give the module's
 * format error @p fmt instead of a DER code.
 */
int pkiot_x509_next(pkiot_der_cursor_t *c, pkiot_der_tlv_t *t, int fmt);
int pkiot_x509_expect(pkiot_der_cursor_t *c, uint32_t tag, pkiot_der_tlv_t *t, int fmt);
int pkiot_x509_end(const pkiot_der_cursor_t *c, int fmt);

/** Read the one SEQUENCE TLV that spans exactly @p len bytes of @p der: DER errors as they
 *  are, PKIOT_E_X509_FORMAT for another tag. */
int pkiot_x509_whole_seq(const uint8_t *der, size_t len, pkiot_der_tlv_t *seq);

/** Split an AlgorithmIdentifier TLV into its OID and its optional parameters (any one
 *  element; *has_par tells whether present), with the module's format error @p fmt. */
int pkiot_x509_alg_id(const pkiot_der_tlv_t *alg, pkiot_der_tlv_t *oid, pkiot_der_tlv_t *par,
                      int *has_par, int fmt);

/** Validate a SAN value for its type: PKIOT_OK or PKIOT_E_X509_SAN_SYNTAX. */
int pkiot_x509_san_check(const pkiot_x509_san_t *san);

/** Prepend one GeneralName (validated first). */
int pkiot_x509_write_general_name(pkiot_der_writer_t *w, const pkiot_x509_san_t *san);

#endif /* PKIOT_LIB_X509_INT_H */
