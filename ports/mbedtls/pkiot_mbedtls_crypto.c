/* Crypto port on Mbed TLS 3.6: software keys (PKCS#8 in the reference) and PSA keys. */
#include "mbedtls/pkiot_mbedtls_crypto.h"

#include <string.h>

#include "mbedtls/asn1write.h"
#include "mbedtls/cipher.h"
#include "mbedtls/ecdsa.h"
#include "mbedtls/ecp.h"
#include "mbedtls/md.h"
#include "mbedtls/oid.h"
#include "mbedtls/pkcs5.h"
#include "mbedtls/psa_util.h"
#include "mbedtls/rsa.h"
#include "mbedtls/x509_crt.h"
#include "pkiot/datetime.h"
#include "pkiot/x509.h"

#define PSA_REF_LEN 4u

/* ---------------------------------------------------------------------------------------- */
/* error mapping                                                                             */

static int map_psa(psa_status_t s)
{
    switch (s) {
    case PSA_SUCCESS: return PKIOT_OK;
    case PSA_ERROR_INVALID_SIGNATURE: return PKIOT_E_CRYPTO_VERIFY;
    case PSA_ERROR_BUFFER_TOO_SMALL: return PKIOT_E_BUFFER_TOO_SMALL;
    case PSA_ERROR_NOT_SUPPORTED: return PKIOT_E_CRYPTO_UNSUPPORTED;
    case PSA_ERROR_INVALID_HANDLE:
    case PSA_ERROR_DOES_NOT_EXIST:
    case PSA_ERROR_NOT_PERMITTED:
    case PSA_ERROR_ALREADY_EXISTS:
    case PSA_ERROR_DATA_INVALID:
    case PSA_ERROR_DATA_CORRUPT: return PKIOT_E_CRYPTO_KEY;
    case PSA_ERROR_INSUFFICIENT_ENTROPY: return PKIOT_E_CRYPTO_RNG;
    case PSA_ERROR_INVALID_ARGUMENT: return PKIOT_E_INVALID_ARG;
    default: return PKIOT_E_CRYPTO;
    }
}

int pkiot_mbedtls_map_error(int err)
{
    if (err >= 0) {
        return PKIOT_OK;
    }
    /* The PK layer passes PSA statuses through for opaque keys. */
    if (err <= PSA_ERROR_GENERIC_ERROR && err >= PSA_ERROR_DATA_INVALID) {
        return map_psa((psa_status_t)err);
    }
    int high = -((-err) & 0xFF80);
    int low = -((-err) & 0x007F);
    switch (high) {
    case MBEDTLS_ERR_ECP_VERIFY_FAILED:
    case MBEDTLS_ERR_RSA_VERIFY_FAILED:
    case MBEDTLS_ERR_PK_SIG_LEN_MISMATCH: return PKIOT_E_CRYPTO_VERIFY;
    case MBEDTLS_ERR_RSA_RNG_FAILED:
    case MBEDTLS_ERR_ECP_RANDOM_FAILED: return PKIOT_E_CRYPTO_RNG;
    case MBEDTLS_ERR_PK_TYPE_MISMATCH:
    case MBEDTLS_ERR_PK_KEY_INVALID_VERSION:
    case MBEDTLS_ERR_PK_KEY_INVALID_FORMAT:
    case MBEDTLS_ERR_PK_UNKNOWN_PK_ALG:
    case MBEDTLS_ERR_PK_PASSWORD_REQUIRED:
    case MBEDTLS_ERR_PK_PASSWORD_MISMATCH:
    case MBEDTLS_ERR_PK_INVALID_PUBKEY:
    case MBEDTLS_ERR_PK_INVALID_ALG:
    case MBEDTLS_ERR_RSA_KEY_CHECK_FAILED:
    case MBEDTLS_ERR_RSA_INVALID_PADDING:
    case MBEDTLS_ERR_ECP_INVALID_KEY: return PKIOT_E_CRYPTO_KEY;
    case MBEDTLS_ERR_PK_UNKNOWN_NAMED_CURVE:
    case MBEDTLS_ERR_PK_FEATURE_UNAVAILABLE:
    case MBEDTLS_ERR_ECP_FEATURE_UNAVAILABLE:
    case MBEDTLS_ERR_CIPHER_FEATURE_UNAVAILABLE:
    case MBEDTLS_ERR_MD_FEATURE_UNAVAILABLE: return PKIOT_E_CRYPTO_UNSUPPORTED;
    case MBEDTLS_ERR_PK_BUFFER_TOO_SMALL:
    case MBEDTLS_ERR_ECP_BUFFER_TOO_SMALL: return PKIOT_E_BUFFER_TOO_SMALL;
    case MBEDTLS_ERR_PK_BAD_INPUT_DATA:
    case MBEDTLS_ERR_RSA_BAD_INPUT_DATA:
    case MBEDTLS_ERR_ECP_BAD_INPUT_DATA:
    case MBEDTLS_ERR_CIPHER_BAD_INPUT_DATA:
    case MBEDTLS_ERR_MD_BAD_INPUT_DATA: return PKIOT_E_INVALID_ARG;
    default: break;
    }
    switch (low) {
    case MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED:
    case MBEDTLS_ERR_CTR_DRBG_REQUEST_TOO_BIG:
    case MBEDTLS_ERR_ENTROPY_SOURCE_FAILED:
    case MBEDTLS_ERR_ENTROPY_NO_SOURCES_DEFINED:
    case MBEDTLS_ERR_ENTROPY_NO_STRONG_SOURCE:
    case MBEDTLS_ERR_ENTROPY_MAX_SOURCES: return PKIOT_E_CRYPTO_RNG;
    case MBEDTLS_ERR_ASN1_BUF_TOO_SMALL: return PKIOT_E_BUFFER_TOO_SMALL;
    default: break;
    }
    return PKIOT_E_CRYPTO;
}

static int fail(pkiot_mbedtls_crypto_t *st, int err)
{
    st->last_error = err;
    return pkiot_mbedtls_map_error(err);
}

static int fail_psa(pkiot_mbedtls_crypto_t *st, psa_status_t s)
{
    st->last_error = (int)s;
    return map_psa(s);
}

/* ---------------------------------------------------------------------------------------- */
/* helpers                                                                                   */

int pkiot_mbedtls_rng(void *p_rng, unsigned char *out, size_t len)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)p_rng;
    while (len > 0) {
        size_t chunk = len > MBEDTLS_CTR_DRBG_MAX_REQUEST ? MBEDTLS_CTR_DRBG_MAX_REQUEST : len;
        int ret = mbedtls_ctr_drbg_random(&st->drbg, out, chunk);
        if (ret != 0) {
            return ret;
        }
        out += chunk;
        len -= chunk;
    }
    return 0;
}

static mbedtls_md_type_t md_of(pkiot_hash_alg_t alg)
{
    switch (alg) {
    case PKIOT_HASH_SHA1: return MBEDTLS_MD_SHA1;
    case PKIOT_HASH_SHA256: return MBEDTLS_MD_SHA256;
    case PKIOT_HASH_SHA384: return MBEDTLS_MD_SHA384;
    case PKIOT_HASH_SHA512: return MBEDTLS_MD_SHA512;
    case PKIOT_HASH_NONE:
    default: return MBEDTLS_MD_NONE;
    }
}

static psa_algorithm_t psa_hash_of(pkiot_hash_alg_t alg)
{
    switch (alg) {
    case PKIOT_HASH_SHA1: return PSA_ALG_SHA_1;
    case PKIOT_HASH_SHA256: return PSA_ALG_SHA_256;
    case PKIOT_HASH_SHA384: return PSA_ALG_SHA_384;
    case PKIOT_HASH_SHA512: return PSA_ALG_SHA_512;
    case PKIOT_HASH_NONE:
    default: return 0;
    }
}

int pkiot_mbedtls_key_is_psa(const pkiot_key_ref_t *key)
{
    return key != NULL && key->len == PSA_REF_LEN;
}

static uint32_t ref_psa_id(const pkiot_key_ref_t *key)
{
    return ((uint32_t)key->data[0] << 24) | ((uint32_t)key->data[1] << 16) |
           ((uint32_t)key->data[2] << 8) | (uint32_t)key->data[3];
}

static void ref_set_psa(pkiot_key_ref_t *key, uint32_t id, pkiot_key_type_t type)
{
    memset(key, 0, sizeof *key);
    key->type = type;
    key->len = PSA_REF_LEN;
    key->data[0] = (uint8_t)(id >> 24);
    key->data[1] = (uint8_t)(id >> 16);
    key->data[2] = (uint8_t)(id >> 8);
    key->data[3] = (uint8_t)id;
}

static int key_bits_of(pkiot_key_type_t type, size_t *bits)
{
    switch (type) {
    case PKIOT_KEY_EC_P256: *bits = 256; return PKIOT_OK;
    case PKIOT_KEY_EC_P384: *bits = 384; return PKIOT_OK;
    case PKIOT_KEY_RSA_2048: *bits = 2048; return PKIOT_OK;
    case PKIOT_KEY_RSA_3072: *bits = 3072; return PKIOT_OK;
    case PKIOT_KEY_RSA_4096: *bits = 4096; return PKIOT_OK;
    case PKIOT_KEY_NONE:
    default: return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
}

static int is_ec(pkiot_key_type_t type)
{
    return type == PKIOT_KEY_EC_P256 || type == PKIOT_KEY_EC_P384;
}

/* Which pkiot key type a parsed (transparent) PK context holds. */
static int pk_key_type(const mbedtls_pk_context *pk, pkiot_key_type_t *type)
{
    mbedtls_pk_type_t t = mbedtls_pk_get_type(pk);
    if (t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECKEY_DH || t == MBEDTLS_PK_ECDSA) {
        switch (mbedtls_ecp_keypair_get_group_id(mbedtls_pk_ec(*pk))) {
        case MBEDTLS_ECP_DP_SECP256R1: *type = PKIOT_KEY_EC_P256; return PKIOT_OK;
        case MBEDTLS_ECP_DP_SECP384R1: *type = PKIOT_KEY_EC_P384; return PKIOT_OK;
        default: return PKIOT_E_CRYPTO_UNSUPPORTED;
        }
    }
    if (t == MBEDTLS_PK_RSA) {
        switch (mbedtls_pk_get_bitlen(pk)) {
        case 2048: *type = PKIOT_KEY_RSA_2048; return PKIOT_OK;
        case 3072: *type = PKIOT_KEY_RSA_3072; return PKIOT_OK;
        case 4096: *type = PKIOT_KEY_RSA_4096; return PKIOT_OK;
        default: return PKIOT_E_CRYPTO_UNSUPPORTED;
        }
    }
    return PKIOT_E_CRYPTO_UNSUPPORTED;
}

/*
 * Mbed TLS writes SEC1 / PKCS#1 only; wrap that in a PKCS#8 PrivateKeyInfo so every software
 * reference has one format. Written backwards from the end of @p buf, then moved to the front.
 */
static int write_pkcs8(const mbedtls_pk_context *pk, pkiot_key_type_t type, uint8_t *buf,
                       size_t cap, size_t *olen)
{
    int ret = mbedtls_pk_write_key_der(pk, buf, cap);
    if (ret < 0) {
        return ret;
    }
    unsigned char *p = buf + cap - (size_t)ret;
    size_t len = (size_t)ret;
    size_t n;

#define W_(call)                                                                              \
    do {                                                                                      \
        int r_ = (call);                                                                      \
        if (r_ < 0) {                                                                         \
            return r_;                                                                        \
        }                                                                                     \
        n = (size_t)r_;                                                                       \
        len += n;                                                                             \
    } while (0)

    W_(mbedtls_asn1_write_len(&p, buf, len));
    W_(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_OCTET_STRING));
    if (is_ec(type)) {
        const char *curve_oid;
        size_t curve_oid_len;
        mbedtls_ecp_group_id gid =
            type == PKIOT_KEY_EC_P256 ? MBEDTLS_ECP_DP_SECP256R1 : MBEDTLS_ECP_DP_SECP384R1;
        ret = mbedtls_oid_get_oid_by_ec_grp(gid, &curve_oid, &curve_oid_len);
        if (ret != 0) {
            return ret;
        }
        size_t par_len;
        W_(mbedtls_asn1_write_oid(&p, buf, curve_oid, curve_oid_len));
        par_len = n;
        W_(mbedtls_asn1_write_algorithm_identifier(&p, buf, MBEDTLS_OID_EC_ALG_UNRESTRICTED,
                                                   MBEDTLS_OID_SIZE(MBEDTLS_OID_EC_ALG_UNRESTRICTED),
                                                   par_len));
        len -= par_len; /* the algorithm identifier's length already includes the parameters */
    } else {
        W_(mbedtls_asn1_write_algorithm_identifier(&p, buf, MBEDTLS_OID_PKCS1_RSA,
                                                   MBEDTLS_OID_SIZE(MBEDTLS_OID_PKCS1_RSA), 0));
    }
    W_(mbedtls_asn1_write_int(&p, buf, 0));
    W_(mbedtls_asn1_write_len(&p, buf, len));
    W_(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE));
#undef W_
    (void)n;
    memmove(buf, p, len);
    pkiot_zeroize(buf + len, cap - len);
    *olen = len;
    return 0;
}

/* Parse a software reference (or a PSA one, as an opaque context). */
static int load_pk(pkiot_mbedtls_crypto_t *st, const pkiot_key_ref_t *key, mbedtls_pk_context *pk)
{
    if (key == NULL || key->len == 0 || key->len > PKIOT_KEY_REF_MAX) {
        return PKIOT_E_INVALID_ARG;
    }
    if (pkiot_mbedtls_key_is_psa(key)) {
        int ret = mbedtls_pk_setup_opaque(pk, mbedtls_svc_key_id_make(0, ref_psa_id(key)));
        if (ret != 0) {
            st->last_error = ret;
            return PKIOT_E_CRYPTO_KEY;
        }
        return PKIOT_OK;
    }
    int ret = mbedtls_pk_parse_key(pk, key->data, key->len, NULL, 0, pkiot_mbedtls_rng, st);
    if (ret != 0) {
        st->last_error = ret;
        return PKIOT_E_CRYPTO_KEY;
    }
    return PKIOT_OK;
}

/* Parse a peer's SubjectPublicKeyInfo into an initialised @p pk. */
static int load_spki(pkiot_mbedtls_crypto_t *st, const uint8_t *spki, size_t len,
                     mbedtls_pk_context *pk)
{
    int ret = mbedtls_pk_parse_public_key(pk, spki, len);
    if (ret != 0) {
        st->last_error = ret;
        return PKIOT_E_CRYPTO_KEY;
    }
    return PKIOT_OK;
}

int pkiot_mbedtls_key_to_pk(pkiot_mbedtls_crypto_t *st, const pkiot_key_ref_t *key,
                            mbedtls_pk_context *pk)
{
    if (st == NULL || pk == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    return load_pk(st, key, pk);
}

/* PSA attributes shared by generate and import, so both kinds of key get one policy. */
static void psa_key_attrs(psa_key_attributes_t *attr, pkiot_key_type_t type, size_t bits,
                          uint32_t id)
{
    psa_set_key_lifetime(attr, PSA_KEY_LIFETIME_PERSISTENT);
    psa_set_key_id(attr, mbedtls_svc_key_id_make(0, id));
    psa_set_key_bits(attr, bits);
    if (is_ec(type)) {
        psa_set_key_type(attr, PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1));
        psa_set_key_usage_flags(attr, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH);
        psa_set_key_algorithm(attr, PSA_ALG_ECDSA(PSA_ALG_ANY_HASH));
    } else {
        psa_set_key_type(attr, PSA_KEY_TYPE_RSA_KEY_PAIR);
        psa_set_key_usage_flags(attr, PSA_KEY_USAGE_SIGN_HASH | PSA_KEY_USAGE_VERIFY_HASH |
                                          PSA_KEY_USAGE_DECRYPT | PSA_KEY_USAGE_ENCRYPT);
        psa_set_key_algorithm(attr, PSA_ALG_RSA_PKCS1V15_SIGN(PSA_ALG_ANY_HASH));
        psa_set_key_enrollment_algorithm(attr, PSA_ALG_RSA_PKCS1V15_CRYPT);
    }
}

static int psa_id_exists(uint32_t id)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    psa_status_t s = psa_get_key_attributes(mbedtls_svc_key_id_make(0, id), &attr);
    psa_reset_key_attributes(&attr);
    return s == PSA_SUCCESS;
}

static int pick_psa_id(uint32_t slot_hint, uint32_t *id)
{
    if (slot_hint != 0) {
        if (slot_hint > PSA_KEY_ID_USER_MAX) {
            return PKIOT_E_INVALID_ARG;
        }
        if (psa_id_exists(slot_hint)) {
            return PKIOT_E_CRYPTO_KEY;
        }
        *id = slot_hint;
        return PKIOT_OK;
    }
    for (uint32_t i = 0; i < PKIOT_MBEDTLS_PSA_KEY_ID_SPAN; i++) {
        uint32_t cand = PKIOT_MBEDTLS_PSA_KEY_ID_BASE + i;
        if (cand >= PSA_KEY_ID_USER_MIN && cand <= PSA_KEY_ID_USER_MAX && !psa_id_exists(cand)) {
            *id = cand;
            return PKIOT_OK;
        }
    }
    return PKIOT_E_CRYPTO_KEY;
}

int pkiot_mbedtls_psa_key_ref(uint32_t key_id, pkiot_key_ref_t *key)
{
    if (key == NULL || key_id == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    psa_status_t s = psa_get_key_attributes(mbedtls_svc_key_id_make(0, key_id), &attr);
    if (s != PSA_SUCCESS) {
        return PKIOT_E_CRYPTO_KEY;
    }
    psa_key_type_t kt = psa_get_key_type(&attr);
    size_t bits = psa_get_key_bits(&attr);
    psa_reset_key_attributes(&attr);
    pkiot_key_type_t type = PKIOT_KEY_NONE;
    if (kt == PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)) {
        type = bits == 256 ? PKIOT_KEY_EC_P256 : bits == 384 ? PKIOT_KEY_EC_P384 : PKIOT_KEY_NONE;
    } else if (kt == PSA_KEY_TYPE_RSA_KEY_PAIR) {
        type = bits == 2048 ? PKIOT_KEY_RSA_2048 : bits == 3072 ? PKIOT_KEY_RSA_3072
                                                            : bits == 4096 ? PKIOT_KEY_RSA_4096 : PKIOT_KEY_NONE;
    }
    if (type == PKIOT_KEY_NONE) {
        return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    ref_set_psa(key, key_id, type);
    return PKIOT_OK;
}

static void sign_abort(pkiot_mbedtls_crypto_t *st)
{
    if (st->sign_active) {
        (void)psa_sign_hash_abort(&st->sign_op);
        st->sign_active = 0;
    }
    pkiot_zeroize(st->sign_hash, sizeof st->sign_hash);
    st->sign_hash_len = 0;
}

/* ---------------------------------------------------------------------------------------- */
/* port functions                                                                            */

static int c_random(void *ctx, uint8_t *out, size_t len)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (out == NULL && len > 0) {
        return PKIOT_E_INVALID_ARG;
    }
    int ret = pkiot_mbedtls_rng(st, out, len);
    if (ret != 0) {
        st->last_error = ret;
        return PKIOT_E_CRYPTO_RNG;
    }
    return PKIOT_OK;
}

static int c_key_generate(void *ctx, pkiot_key_type_t type, uint32_t slot_hint,
                          pkiot_key_ref_t *key)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    size_t bits;
    if (key == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    int rc = key_bits_of(type, &bits);
    if (rc != PKIOT_OK) {
        return rc;
    }

    if (st->use_psa_keys) {
        uint32_t id;
        rc = pick_psa_id(slot_hint, &id);
        if (rc != PKIOT_OK) {
            return rc;
        }
        psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
        psa_key_attrs(&attr, type, bits, id);
        mbedtls_svc_key_id_t kid;
        psa_status_t s = psa_generate_key(&attr, &kid);
        psa_reset_key_attributes(&attr);
        if (s != PSA_SUCCESS) {
            return fail_psa(st, s);
        }
        ref_set_psa(key, id, type);
        return PKIOT_OK;
    }

    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int ret;
    if (is_ec(type)) {
        ret = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY));
        if (ret == 0) {
            ret = mbedtls_ecp_gen_key(type == PKIOT_KEY_EC_P256 ? MBEDTLS_ECP_DP_SECP256R1
                                                                 : MBEDTLS_ECP_DP_SECP384R1,
                                      mbedtls_pk_ec(pk), pkiot_mbedtls_rng, st);
        }
    } else {
        ret = mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_RSA));
        if (ret == 0) {
            ret = mbedtls_rsa_gen_key(mbedtls_pk_rsa(pk), pkiot_mbedtls_rng, st,
                                      (unsigned int)bits, 65537);
        }
    }
    size_t len = 0;
    if (ret == 0) {
        memset(key, 0, sizeof *key);
        ret = write_pkcs8(&pk, type, key->data, sizeof key->data, &len);
    }
    mbedtls_pk_free(&pk);
    if (ret != 0) {
        pkiot_zeroize(key, sizeof *key);
        return fail(st, ret);
    }
    key->type = type;
    key->len = (uint16_t)len;
    return PKIOT_OK;
}

static int c_key_import(void *ctx, const uint8_t *der_or_pem, size_t len, pkiot_key_ref_t *key)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (der_or_pem == NULL || len == 0 || key == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc;
    int ret = mbedtls_pk_parse_key(&pk, der_or_pem, len, NULL, 0, pkiot_mbedtls_rng, st);
    if (ret != 0) {
        st->last_error = ret;
        rc = PKIOT_E_CRYPTO_KEY;
        goto out;
    }
    pkiot_key_type_t type;
    rc = pk_key_type(&pk, &type);
    if (rc != PKIOT_OK) {
        goto out;
    }
    if (st->use_psa_keys) {
        uint32_t id;
        size_t bits = 0;
        rc = pick_psa_id(0, &id);
        if (rc != PKIOT_OK) {
            goto out;
        }
        (void)key_bits_of(type, &bits);
        psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
        psa_key_attrs(&attr, type, bits, id);
        mbedtls_svc_key_id_t kid;
        ret = mbedtls_pk_import_into_psa(&pk, &attr, &kid);
        psa_reset_key_attributes(&attr);
        if (ret != 0) {
            rc = fail(st, ret);
            goto out;
        }
        ref_set_psa(key, id, type);
        rc = PKIOT_OK;
        goto out;
    }
    size_t olen = 0;
    memset(key, 0, sizeof *key);
    ret = write_pkcs8(&pk, type, key->data, sizeof key->data, &olen);
    if (ret != 0) {
        pkiot_zeroize(key, sizeof *key);
        rc = fail(st, ret);
        goto out;
    }
    key->type = type;
    key->len = (uint16_t)olen;
    rc = PKIOT_OK;
out:
    mbedtls_pk_free(&pk);
    return rc;
}

static int c_key_export_private(void *ctx, const pkiot_key_ref_t *key, uint8_t *out, size_t cap,
                                size_t *olen)
{
    (void)ctx;
    if (key == NULL || out == NULL || olen == NULL || key->len == 0 ||
        key->len > PKIOT_KEY_REF_MAX) {
        return PKIOT_E_INVALID_ARG;
    }
    if (pkiot_mbedtls_key_is_psa(key)) {
        return PKIOT_E_UNSUPPORTED;
    }
    if (cap < key->len) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    memcpy(out, key->data, key->len);
    *olen = key->len;
    return PKIOT_OK;
}

static int c_key_export_spki(void *ctx, const pkiot_key_ref_t *key, uint8_t *out, size_t cap,
                             size_t *olen)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (key == NULL || out == NULL || olen == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int ret;
    if (pkiot_mbedtls_key_is_psa(key)) {
        ret = mbedtls_pk_copy_public_from_psa(mbedtls_svc_key_id_make(0, ref_psa_id(key)), &pk);
        if (ret != 0) {
            mbedtls_pk_free(&pk);
            st->last_error = ret;
            return PKIOT_E_CRYPTO_KEY;
        }
    } else {
        int rc = load_pk(st, key, &pk);
        if (rc != PKIOT_OK) {
            mbedtls_pk_free(&pk);
            return rc;
        }
    }
    ret = mbedtls_pk_write_pubkey_der(&pk, out, cap);
    mbedtls_pk_free(&pk);
    if (ret < 0) {
        return fail(st, ret);
    }
    /* written at the end of the buffer */
    memmove(out, out + cap - (size_t)ret, (size_t)ret);
    *olen = (size_t)ret;
    return PKIOT_OK;
}

static int c_key_destroy(void *ctx, pkiot_key_ref_t *key)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (key == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    int rc = PKIOT_OK;
    if (pkiot_mbedtls_key_is_psa(key)) {
        uint32_t id = ref_psa_id(key);
        if (st->sign_active && st->sign_key_id == id) {
            sign_abort(st);
        }
        psa_status_t s = psa_destroy_key(mbedtls_svc_key_id_make(0, id));
        /* Destroying twice (e.g. retried after a power cut) is not an error. */
        if (s != PSA_SUCCESS && s != PSA_ERROR_INVALID_HANDLE && s != PSA_ERROR_DOES_NOT_EXIST) {
            rc = fail_psa(st, s);
        }
    }
    pkiot_zeroize(key, sizeof *key);
    return rc;
}

static int sign_psa(pkiot_mbedtls_crypto_t *st, const pkiot_key_ref_t *key, pkiot_hash_alg_t alg,
                    const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_cap,
                    size_t *sig_len)
{
    uint32_t id = ref_psa_id(key);
    mbedtls_svc_key_id_t kid = mbedtls_svc_key_id_make(0, id);
    psa_status_t s;

    if (!is_ec(key->type)) {
        s = psa_sign_hash(kid, PSA_ALG_RSA_PKCS1V15_SIGN(psa_hash_of(alg)), hash, hash_len, sig,
                          sig_cap, sig_len);
        return s == PSA_SUCCESS ? PKIOT_OK : fail_psa(st, s);
    }

    size_t bits = key->type == PKIOT_KEY_EC_P256 ? 256 : 384;
    if (sig_cap < MBEDTLS_ECDSA_MAX_SIG_LEN(bits)) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    if (st->sign_active && (st->sign_key_id != id || st->sign_alg != alg ||
                            st->sign_hash_len != hash_len ||
                            memcmp(st->sign_hash, hash, hash_len) != 0)) {
        sign_abort(st);
    }
    if (!st->sign_active) {
        st->sign_op = psa_sign_hash_interruptible_operation_init();
        psa_interruptible_set_max_ops(st->max_ops);
        s = psa_sign_hash_start(&st->sign_op, kid, PSA_ALG_ECDSA(psa_hash_of(alg)), hash, hash_len);
        if (s != PSA_SUCCESS) {
            (void)psa_sign_hash_abort(&st->sign_op);
            return fail_psa(st, s);
        }
        st->sign_active = 1;
        st->sign_key_id = id;
        st->sign_alg = alg;
        st->sign_hash_len = hash_len;
        memcpy(st->sign_hash, hash, hash_len);
    }
    uint8_t raw[2 * 48];
    size_t raw_len = 0;
    psa_interruptible_set_max_ops(st->max_ops);
    s = psa_sign_hash_complete(&st->sign_op, raw, sizeof raw, &raw_len);
    if (s == PSA_OPERATION_INCOMPLETE) {
        return PKIOT_WANT_CRYPTO;
    }
    sign_abort(st);
    if (s != PSA_SUCCESS) {
        return fail_psa(st, s);
    }
    int ret = mbedtls_ecdsa_raw_to_der(bits, raw, raw_len, sig, sig_cap, sig_len);
    if (ret != 0) {
        return fail(st, ret);
    }
    return PKIOT_OK;
}

static int c_sign_hash(void *ctx, const pkiot_key_ref_t *key, pkiot_hash_alg_t alg,
                       const uint8_t *hash, size_t hash_len, uint8_t *sig, size_t sig_cap,
                       size_t *sig_len)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (key == NULL || hash == NULL || sig == NULL || sig_len == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (md_of(alg) == MBEDTLS_MD_NONE) {
        return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    if (hash_len != pkiot_hash_size(alg)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (pkiot_mbedtls_key_is_psa(key)) {
        return sign_psa(st, key, alg, hash, hash_len, sig, sig_cap, sig_len);
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = load_pk(st, key, &pk);
    if (rc == PKIOT_OK) {
        int ret = mbedtls_pk_sign(&pk, md_of(alg), hash, hash_len, sig, sig_cap, sig_len,
                                  pkiot_mbedtls_rng, st);
        rc = ret == 0 ? PKIOT_OK : fail(st, ret);
    }
    mbedtls_pk_free(&pk);
    return rc;
}

static int c_verify_hash(void *ctx, const uint8_t *spki, size_t spki_len, pkiot_hash_alg_t alg,
                         const uint8_t *hash, size_t hash_len, const uint8_t *sig, size_t sig_len)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (spki == NULL || hash == NULL || (sig == NULL && sig_len > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (md_of(alg) == MBEDTLS_MD_NONE) {
        return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    if (hash_len != pkiot_hash_size(alg)) {
        return PKIOT_E_INVALID_ARG;
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = load_spki(st, spki, spki_len, &pk);
    if (rc == PKIOT_OK && sig_len == 0) {
        rc = PKIOT_E_CRYPTO_VERIFY;
    } else if (rc == PKIOT_OK) {
        int ret = mbedtls_pk_verify(&pk, md_of(alg), hash, hash_len, sig, sig_len);
        if (ret == 0) {
            rc = PKIOT_OK;
        } else {
            st->last_error = ret;
            rc = pkiot_mbedtls_map_error(ret);
            /* A malformed signature is as bad as a wrong one. */
            if (rc != PKIOT_E_CRYPTO_UNSUPPORTED && rc != PKIOT_E_CRYPTO_RNG) {
                rc = PKIOT_E_CRYPTO_VERIFY;
            }
        }
    }
    mbedtls_pk_free(&pk);
    return rc;
}

static int c_hash(void *ctx, pkiot_hash_alg_t alg, const pkiot_slice_t *parts, size_t nparts,
                  uint8_t *out, size_t out_cap)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md_of(alg));
    if (info == NULL) {
        return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    if (out == NULL || (parts == NULL && nparts > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (out_cap < mbedtls_md_get_size(info)) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int ret = mbedtls_md_setup(&md, info, 0);
    if (ret == 0) {
        ret = mbedtls_md_starts(&md);
    }
    for (size_t i = 0; ret == 0 && i < nparts; i++) {
        if (parts[i].len > 0) {
            ret = mbedtls_md_update(&md, parts[i].p, parts[i].len);
        }
    }
    if (ret == 0) {
        ret = mbedtls_md_finish(&md, out);
    }
    mbedtls_md_free(&md);
    return ret == 0 ? PKIOT_OK : fail(st, ret);
}

static int c_hmac(void *ctx, pkiot_hash_alg_t alg, const uint8_t *key, size_t key_len,
                  const pkiot_slice_t *parts, size_t nparts, uint8_t *out, size_t out_cap)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md_of(alg));
    if (info == NULL) {
        return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    if (out == NULL || (key == NULL && key_len > 0) || (parts == NULL && nparts > 0)) {
        return PKIOT_E_INVALID_ARG;
    }
    if (out_cap < mbedtls_md_get_size(info)) {
        return PKIOT_E_BUFFER_TOO_SMALL;
    }
    static const uint8_t empty[1] = {0};
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    int ret = mbedtls_md_setup(&md, info, 1);
    if (ret == 0) {
        ret = mbedtls_md_hmac_starts(&md, key_len > 0 ? key : empty, key_len);
    }
    for (size_t i = 0; ret == 0 && i < nparts; i++) {
        if (parts[i].len > 0) {
            ret = mbedtls_md_hmac_update(&md, parts[i].p, parts[i].len);
        }
    }
    if (ret == 0) {
        ret = mbedtls_md_hmac_finish(&md, out);
    }
    mbedtls_md_free(&md); /* zeroizes the inner/outer pads */
    return ret == 0 ? PKIOT_OK : fail(st, ret);
}

static int c_pbkdf2(void *ctx, pkiot_hash_alg_t alg, const uint8_t *pw, size_t pw_len,
                    const uint8_t *salt, size_t salt_len, uint32_t iterations, uint8_t *out,
                    size_t out_len)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (md_of(alg) == MBEDTLS_MD_NONE) {
        return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    if (out == NULL || (pw == NULL && pw_len > 0) || (salt == NULL && salt_len > 0) ||
        iterations == 0 || out_len == 0 || out_len > UINT32_MAX) {
        return PKIOT_E_INVALID_ARG;
    }
    static const uint8_t empty[1] = {0};
    int ret = mbedtls_pkcs5_pbkdf2_hmac_ext(md_of(alg), pw_len > 0 ? pw : empty, pw_len,
                                            salt_len > 0 ? salt : empty, salt_len,
                                            (unsigned int)iterations, (uint32_t)out_len, out);
    if (ret != 0) {
        pkiot_zeroize(out, out_len);
        return fail(st, ret);
    }
    return PKIOT_OK;
}

static int c_cipher_cbc(void *ctx, pkiot_cipher_t cipher, int encrypt, const uint8_t *key,
                        size_t key_len, const uint8_t *iv, const uint8_t *in, size_t in_len,
                        uint8_t *out, size_t out_cap, size_t *out_len)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    mbedtls_cipher_type_t ct;
    size_t want_key;
    switch (cipher) {
    case PKIOT_CIPHER_AES128_CBC: ct = MBEDTLS_CIPHER_AES_128_CBC; want_key = 16; break;
    case PKIOT_CIPHER_AES192_CBC: ct = MBEDTLS_CIPHER_AES_192_CBC; want_key = 24; break;
    case PKIOT_CIPHER_AES256_CBC: ct = MBEDTLS_CIPHER_AES_256_CBC; want_key = 32; break;
    case PKIOT_CIPHER_DES_CBC: ct = MBEDTLS_CIPHER_DES_CBC; want_key = 8; break;
    case PKIOT_CIPHER_DES3_CBC: ct = MBEDTLS_CIPHER_DES_EDE3_CBC; want_key = 24; break;
    default: return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    if (encrypt && (cipher == PKIOT_CIPHER_DES_CBC || cipher == PKIOT_CIPHER_DES3_CBC)) {
        return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    if (key == NULL || iv == NULL || out == NULL || out_len == NULL || (in == NULL && in_len > 0) ||
        key_len != want_key) {
        return PKIOT_E_INVALID_ARG;
    }
    const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(ct);
    if (info == NULL) {
        return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    size_t bs = mbedtls_cipher_info_get_block_size(info);
    if (encrypt) {
        if (out_cap < (in_len / bs + 1) * bs) {
            return PKIOT_E_BUFFER_TOO_SMALL;
        }
    } else {
        if (in_len == 0 || in_len % bs != 0) {
            return PKIOT_E_CRYPTO;
        }
        if (out_cap < in_len) {
            return PKIOT_E_BUFFER_TOO_SMALL;
        }
    }
    mbedtls_cipher_context_t c;
    mbedtls_cipher_init(&c);
    size_t n1 = 0, n2 = 0;
    int ret = mbedtls_cipher_setup(&c, info);
    if (ret == 0) {
        ret = mbedtls_cipher_setkey(&c, key, (int)(key_len * 8),
                                    encrypt ? MBEDTLS_ENCRYPT : MBEDTLS_DECRYPT);
    }
    if (ret == 0) {
        ret = mbedtls_cipher_set_padding_mode(&c, MBEDTLS_PADDING_PKCS7);
    }
    if (ret == 0) {
        ret = mbedtls_cipher_set_iv(&c, iv, bs);
    }
    if (ret == 0) {
        ret = mbedtls_cipher_reset(&c);
    }
    if (ret == 0 && in_len > 0) {
        ret = mbedtls_cipher_update(&c, in, in_len, out, &n1);
    }
    if (ret == 0) {
        ret = mbedtls_cipher_finish(&c, out + n1, &n2);
    }
    mbedtls_cipher_free(&c); /* zeroizes the key schedule */
    if (ret != 0) {
        pkiot_zeroize(out, out_cap);
        int rc = fail(st, ret);
        /* bad padding or a wrong key: the ciphertext did not decrypt */
        return rc == PKIOT_E_INVALID_ARG ? PKIOT_E_CRYPTO : rc;
    }
    *out_len = n1 + n2;
    return PKIOT_OK;
}

static int c_rsa_encrypt(void *ctx, const uint8_t *spki, size_t spki_len, const uint8_t *in,
                         size_t in_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (spki == NULL || in == NULL || out == NULL || out_len == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = load_spki(st, spki, spki_len, &pk);
    if (rc == PKIOT_OK) {
        if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA) {
            rc = PKIOT_E_CRYPTO_KEY;
        } else if (out_cap < mbedtls_pk_get_len(&pk)) {
            rc = PKIOT_E_BUFFER_TOO_SMALL;
        } else if (in_len + 11 > mbedtls_pk_get_len(&pk)) {
            rc = PKIOT_E_INVALID_ARG;
        } else {
            int ret = mbedtls_pk_encrypt(&pk, in, in_len, out, out_len, out_cap,
                                         pkiot_mbedtls_rng, st);
            rc = ret == 0 ? PKIOT_OK : fail(st, ret);
        }
    }
    mbedtls_pk_free(&pk);
    return rc;
}

static int c_rsa_decrypt(void *ctx, const pkiot_key_ref_t *key, const uint8_t *in, size_t in_len,
                         uint8_t *out, size_t out_cap, size_t *out_len)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (key == NULL || in == NULL || out == NULL || out_len == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    if (is_ec(key->type)) {
        return PKIOT_E_CRYPTO_KEY;
    }
    if (pkiot_mbedtls_key_is_psa(key)) {
        psa_status_t s = psa_asymmetric_decrypt(mbedtls_svc_key_id_make(0, ref_psa_id(key)),
                                                PSA_ALG_RSA_PKCS1V15_CRYPT, in, in_len, NULL, 0,
                                                out, out_cap, out_len);
        if (s != PSA_SUCCESS) {
            /* A padding failure is a decryption failure, not a bad key. */
            int rc = fail_psa(st, s);
            return s == PSA_ERROR_INVALID_PADDING ? PKIOT_E_CRYPTO : rc;
        }
        return PKIOT_OK;
    }
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    int rc = load_pk(st, key, &pk);
    if (rc == PKIOT_OK) {
        if (mbedtls_pk_get_type(&pk) != MBEDTLS_PK_RSA) {
            rc = PKIOT_E_CRYPTO_KEY;
        } else {
            int ret = mbedtls_pk_decrypt(&pk, in, in_len, out, out_len, out_cap, pkiot_mbedtls_rng,
                                         st);
            if (ret != 0) {
                st->last_error = ret;
                rc = -((-ret) & 0xFF80) == MBEDTLS_ERR_RSA_OUTPUT_TOO_LARGE
                         ? PKIOT_E_BUFFER_TOO_SMALL
                         : PKIOT_E_CRYPTO;
            }
        }
    }
    mbedtls_pk_free(&pk);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* certificate paths: Mbed TLS's own validator, which a TLS firmware links anyway           */

typedef struct verify_state {
    int64_t now;
    size_t path_len;
    const mbedtls_x509_crt *top;
} verify_state_t;

static int x509_time_unix(const mbedtls_x509_time *t, int64_t *out)
{
    pkiot_datetime_t dt;
    if (t->year < 0 || t->year > 9999 || t->mon < 1 || t->mon > 12 || t->day < 1 ||
        t->day > 31 || t->hour < 0 || t->hour > 23 || t->min < 0 || t->min > 59 ||
        t->sec < 0 || t->sec > 60) {
        return PKIOT_E_X509_FORMAT;
    }
    dt.year = (uint16_t)t->year;
    dt.month = (uint8_t)t->mon;
    dt.day = (uint8_t)t->day;
    dt.hour = (uint8_t)t->hour;
    dt.minute = (uint8_t)t->min;
    dt.second = (uint8_t)(t->sec == 60 ? 59 : t->sec);
    dt.wday = 0;
    return pkiot_time_from_civil(&dt, out);
}

/* Called for every certificate of the path Mbed TLS built, anchor included. Validity is
 * judged against the device's time as pkiot knows it: Mbed TLS would use its platform
 * clock, which a bare-metal board may not have or may not have set yet. */
static int verify_cb(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    verify_state_t *vs = (verify_state_t *)p;
    *flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
    if (vs->now > 0) {
        int64_t from = 0;
        int64_t to = 0;
        if (x509_time_unix(&crt->valid_from, &from) != PKIOT_OK ||
            x509_time_unix(&crt->valid_to, &to) != PKIOT_OK || vs->now < from ||
            vs->now > to) {
            *flags |= MBEDTLS_X509_BADCERT_EXPIRED;
        }
    }
    if (depth >= 0 && (size_t)depth + 1u > vs->path_len) {
        vs->path_len = (size_t)depth + 1u;
        vs->top = crt;
    }
    return 0;
}

/* The contents of subjectAltName's GeneralNames, from the raw extensions Mbed TLS keeps (it
 * keeps only a decoded list of the names). Absent or unreadable: left empty. */
static void find_san(const mbedtls_x509_buf *v3, pkiot_slice_t *exts, pkiot_slice_t *san)
{
    unsigned char *p = v3->p;
    if (p == NULL) {
        return;
    }
    const unsigned char *end = p + v3->len;
    size_t len = 0;
    if (mbedtls_asn1_get_tag(&p, end, &len, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE)) {
        return;
    }
    exts->p = p;
    exts->len = len;
    end = p + len;
    while (p < end) {
        size_t ext_len = 0;
        size_t oid_len = 0;
        size_t val_len = 0;
        int critical = 0;
        if (mbedtls_asn1_get_tag(&p, end, &ext_len,
                                 MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) != 0) {
            return;
        }
        unsigned char *ext_end = p + ext_len;
        if (mbedtls_asn1_get_tag(&p, ext_end, &oid_len, MBEDTLS_ASN1_OID) != 0) {
            return;
        }
        int is_san = oid_len == sizeof MBEDTLS_OID_SUBJECT_ALT_NAME - 1u &&
                     memcmp(p, MBEDTLS_OID_SUBJECT_ALT_NAME, oid_len) == 0;
        p += oid_len;
        (void)mbedtls_asn1_get_bool(&p, ext_end, &critical); /* optional: p stays on error */
        if (mbedtls_asn1_get_tag(&p, ext_end, &val_len, MBEDTLS_ASN1_OCTET_STRING) != 0) {
            return;
        }
        if (is_san) {
            size_t names_len = 0;
            if (mbedtls_asn1_get_tag(&p, p + val_len, &names_len,
                                     MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE) == 0) {
                san->p = p;
                san->len = names_len;
            }
            return;
        }
        p = ext_end;
    }
}

static pkiot_slice_t slice_of(const mbedtls_x509_buf *b)
{
    pkiot_slice_t s = { b->len > 0 ? b->p : NULL, b->len };
    return s;
}

/* The fields pkiot's engine reads, from Mbed TLS's parser: a TLS firmware links it anyway,
 * so a build with PKIOT_X509_BUILTIN = 0 carries one certificate parser, not two. No copy:
 * every slice points into the caller's DER. */
static int c_cert_parse(void *ctx, const uint8_t *der, size_t len, pkiot_x509_cert_t *out)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (out != NULL) {
        memset(out, 0, sizeof *out);
    }
    if (der == NULL || out == NULL || len == 0) {
        return PKIOT_E_INVALID_ARG;
    }
    mbedtls_x509_crt crt;
    mbedtls_x509_crt_init(&crt);
    int rc = PKIOT_E_X509_FORMAT;
    int ret = mbedtls_x509_crt_parse_der_nocopy(&crt, der, len);
    if (ret != 0) {
        st->last_error = ret;
        goto out;
    }
    if (crt.raw.len != len) {
        rc = PKIOT_E_DER_TRAILING;
        goto out;
    }
    out->raw = slice_of(&crt.raw);
    out->tbs = slice_of(&crt.tbs);
    out->version = (uint32_t)crt.version;
    out->serial = slice_of(&crt.serial);
    out->sig_oid = slice_of(&crt.sig_oid);
    out->issuer = slice_of(&crt.issuer_raw);
    out->subject = slice_of(&crt.subject_raw);
    out->spki = slice_of(&crt.pk_raw);
    if (x509_time_unix(&crt.valid_from, &out->not_before) != PKIOT_OK ||
        x509_time_unix(&crt.valid_to, &out->not_after) != PKIOT_OK) {
        goto out;
    }
    mbedtls_pk_type_t t = mbedtls_pk_get_type(&crt.pk);
    out->key_alg = t == MBEDTLS_PK_RSA ? PKIOT_X509_KEY_RSA
                   : (t == MBEDTLS_PK_ECKEY || t == MBEDTLS_PK_ECKEY_DH || t == MBEDTLS_PK_ECDSA)
                       ? PKIOT_X509_KEY_EC
                       : PKIOT_X509_KEY_UNKNOWN;
    out->key_bits = (uint16_t)mbedtls_pk_get_bitlen(&crt.pk);
    if (pk_key_type(&crt.pk, &out->key_type) != PKIOT_OK) {
        out->key_type = PKIOT_KEY_NONE;
    }
    int ca = mbedtls_x509_crt_get_ca_istrue(&crt);
    out->has_basic_constraints = ca >= 0;
    out->is_ca = ca == 1;
    out->path_len = -1; /* not reported: paths are cert_verify's to check */
    find_san(&crt.v3_ext, &out->extensions, &out->san);
    rc = PKIOT_OK;
out:
    mbedtls_x509_crt_free(&crt);
    if (rc != PKIOT_OK) {
        memset(out, 0, sizeof *out);
    }
    return rc;
}

static int name_eq(const mbedtls_x509_buf *a, const mbedtls_x509_buf *b)
{
    return a->len == b->len && memcmp(a->p, b->p, a->len) == 0;
}

/* @p cand carries the name of @p child's issuer and is not @p child itself (a copy of a
 * self-signed certificate among the intermediates is never its own issuer). */
static int named_issuer(const mbedtls_x509_crt *cand, const mbedtls_x509_crt *child)
{
    return name_eq(&cand->subject_raw, &child->issuer_raw) &&
           !(cand->raw.len == child->raw.len &&
             memcmp(cand->raw.p, child->raw.p, cand->raw.len) == 0);
}

/*
 * 1 when @p parent's key signed @p child. Only asked when several candidates carry the
 * issuer's name: during a root CA key update (RFC 7030 §4.4) OldWithOld, OldWithNew,
 * NewWithOld and NewWithNew all have the CA's name and differ in key. Key identifiers
 * decide when both certificates have them; otherwise the signature is checked, with the
 * certificate's own fields as Mbed TLS's static x509_crt_check_signature() uses them.
 */
static int issued_by(const mbedtls_x509_crt *child, const mbedtls_x509_crt *parent)
{
    const mbedtls_x509_buf *aki = &child->authority_key_id.keyIdentifier;
    const mbedtls_x509_buf *ski = &parent->subject_key_id;
    if (aki->len > 0 && ski->len > 0) {
        return name_eq(aki, ski);
    }
    mbedtls_md_type_t md = child->MBEDTLS_PRIVATE(sig_md);
    const mbedtls_md_info_t *info = mbedtls_md_info_from_type(md);
    unsigned char hash[MBEDTLS_MD_MAX_SIZE];
    if (info == NULL || mbedtls_md(info, child->tbs.p, child->tbs.len, hash) != 0) {
        return 0;
    }
    const mbedtls_x509_buf *sig = &child->MBEDTLS_PRIVATE(sig);
    return mbedtls_pk_verify_ext(child->MBEDTLS_PRIVATE(sig_pk),
                                 child->MBEDTLS_PRIVATE(sig_opts),
                                 (mbedtls_pk_context *)&parent->pk, md, hash,
                                 mbedtls_md_get_size(info), sig->p, sig->len) == 0;
}

/*
 * Mbed TLS looks for a certificate's issuer only among the certificates that follow it in
 * the chain, and there it takes the first one with the right name even when its signature
 * does not verify; pkiot's contract is "any order" (a certs-only SET OF may come sorted).
 * With the leaf and the intermediates parsed into one list, relink the intermediates: the
 * path first, each issuer found by name (and by key when several share the name), then the
 * rest in their given order (Mbed TLS still finds a later parent whose name matches only by
 * its looser comparison). Each certificate is parsed once.
 */
static void path_order(mbedtls_x509_crt *leaf)
{
    mbedtls_x509_crt *given[PKIOT_X509_MAX_INTERMEDIATES];
    mbedtls_x509_crt *ordered[PKIOT_X509_MAX_INTERMEDIATES];
    size_t n_int = 0;
    for (mbedtls_x509_crt *c = leaf->next; c != NULL && n_int < PKIOT_X509_MAX_INTERMEDIATES;
         c = c->next) {
        given[n_int++] = c;
    }
    if (n_int == 0) {
        return;
    }
    const mbedtls_x509_crt *child = leaf;
    uint32_t placed = 0;
    size_t n = 0;
    while (n < n_int) {
        size_t first = n_int, found = n_int, named = 0;
        for (size_t i = 0; i < n_int; i++) {
            if ((placed & (1u << i)) == 0 && named_issuer(given[i], child)) {
                first = named++ == 0 ? i : first;
            }
        }
        for (size_t i = 0; named > 1 && i < n_int && found == n_int; i++) {
            if ((placed & (1u << i)) == 0 && named_issuer(given[i], child) &&
                issued_by(child, given[i])) {
                found = i;
            }
        }
        found = found == n_int ? first : found;
        if (found == n_int) {
            break;
        }
        placed |= 1u << found;
        ordered[n++] = given[found];
        child = given[found];
    }
    for (size_t i = 0; i < n_int; i++) {
        if ((placed & (1u << i)) == 0) {
            ordered[n++] = given[i];
        }
    }
    mbedtls_x509_crt *prev = leaf;
    for (size_t k = 0; k < n; k++) {
        prev->next = ordered[k];
        prev = ordered[k];
    }
    prev->next = NULL;
}

static int c_cert_verify(void *ctx, const uint8_t *leaf, size_t leaf_len,
                         const pkiot_slice_t *intermediates, size_t n_int,
                         const pkiot_slice_t *anchors, size_t n_anchors, int64_t now,
                         size_t *anchor_index, size_t *path_len)
{
    pkiot_mbedtls_crypto_t *st = (pkiot_mbedtls_crypto_t *)ctx;
    if (leaf == NULL || (intermediates == NULL && n_int > 0) ||
        (anchors == NULL && n_anchors > 0) || anchor_index == NULL || path_len == NULL ||
        n_int > PKIOT_X509_MAX_INTERMEDIATES) {
        return PKIOT_E_INVALID_ARG;
    }
    mbedtls_x509_crt chain;
    mbedtls_x509_crt trusted;
    mbedtls_x509_crt_init(&chain);
    mbedtls_x509_crt_init(&trusted);
    verify_state_t vs = { now, 0, NULL };
    int rc = PKIOT_E_CERT_UNTRUSTED;
    /* No copies: the certificates stay in the caller's buffers for the whole call. A leaf
     * Mbed TLS refuses (an unsupported critical extension or algorithm) cannot be
     * validated, so it is untrusted; intermediates and anchors it refuses are skipped,
     * as unusable candidates are. */
    int ret = mbedtls_x509_crt_parse_der_nocopy(&chain, leaf, leaf_len);
    if (ret != 0) {
        st->last_error = ret;
        goto out;
    }
    for (size_t k = 0; k < n_int; k++) {
        (void)mbedtls_x509_crt_parse_der_nocopy(&chain, intermediates[k].p, intermediates[k].len);
    }
    path_order(&chain);
    for (size_t a = 0; a < n_anchors; a++) {
        (void)mbedtls_x509_crt_parse_der_nocopy(&trusted, anchors[a].p, anchors[a].len);
    }
    if (trusted.raw.p == NULL) {
        goto out; /* no usable anchor */
    }
    uint32_t flags = 0;
    ret = mbedtls_x509_crt_verify(&chain, &trusted, NULL, NULL, &flags, verify_cb, &vs);
    if (ret == 0) {
        rc = PKIOT_OK;
        *path_len = vs.path_len;
        *anchor_index = 0;
        for (size_t a = 0; a < n_anchors; a++) {
            if (vs.top != NULL && anchors[a].p == vs.top->raw.p) {
                *anchor_index = a;
            }
        }
    } else {
        st->last_error = ret;
        /* A fatal error (e.g. a path too long) sets every flag: only a completed check
         * says anything about validity. */
        rc = ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED &&
                     (flags & MBEDTLS_X509_BADCERT_EXPIRED) != 0
                 ? PKIOT_E_CERT_EXPIRED
                 : PKIOT_E_CERT_UNTRUSTED;
    }
out:
    mbedtls_x509_crt_free(&chain);
    mbedtls_x509_crt_free(&trusted);
    return rc;
}

/* ---------------------------------------------------------------------------------------- */

int pkiot_mbedtls_crypto_init(pkiot_mbedtls_crypto_t *st, int use_psa_keys,
                              pkiot_crypto_port_t *port_out)
{
    static const char pers[] = "pkiot crypto port";
    if (st == NULL || port_out == NULL) {
        return PKIOT_E_INVALID_ARG;
    }
    memset(st, 0, sizeof *st);
    st->use_psa_keys = use_psa_keys ? 1 : 0;
    st->max_ops = PKIOT_MBEDTLS_MAX_OPS_UNLIMITED;
    st->sign_op = psa_sign_hash_interruptible_operation_init();
    mbedtls_entropy_init(&st->entropy);
    mbedtls_ctr_drbg_init(&st->drbg);
    int ret = mbedtls_ctr_drbg_seed(&st->drbg, mbedtls_entropy_func, &st->entropy,
                                    (const unsigned char *)pers, sizeof pers - 1);
    if (ret != 0) {
        st->last_error = ret;
        mbedtls_ctr_drbg_free(&st->drbg);
        mbedtls_entropy_free(&st->entropy);
        return PKIOT_E_CRYPTO_RNG;
    }
    psa_status_t s = psa_crypto_init();
    if (s != PSA_SUCCESS) {
        st->last_error = (int)s;
        mbedtls_ctr_drbg_free(&st->drbg);
        mbedtls_entropy_free(&st->entropy);
        return s == PSA_ERROR_INSUFFICIENT_ENTROPY ? PKIOT_E_CRYPTO_RNG : PKIOT_E_CRYPTO;
    }
    st->ready = 1;

    memset(port_out, 0, sizeof *port_out);
    port_out->ctx = st;
    port_out->random = c_random;
    port_out->key_generate = c_key_generate;
    port_out->key_import = c_key_import;
    port_out->key_export_private = c_key_export_private;
    port_out->key_export_spki = c_key_export_spki;
    port_out->key_destroy = c_key_destroy;
    port_out->sign_hash = c_sign_hash;
    port_out->verify_hash = c_verify_hash;
    port_out->hash = c_hash;
    port_out->hmac = c_hmac;
    port_out->pbkdf2 = c_pbkdf2;
    port_out->cipher_cbc = c_cipher_cbc;
    port_out->rsa_encrypt = c_rsa_encrypt;
    port_out->rsa_decrypt = c_rsa_decrypt;
    port_out->cert_verify = c_cert_verify;
    port_out->cert_parse = c_cert_parse;
    return PKIOT_OK;
}

void pkiot_mbedtls_crypto_free(pkiot_mbedtls_crypto_t *st)
{
    if (st == NULL || !st->ready) {
        return;
    }
    sign_abort(st);
    mbedtls_ctr_drbg_free(&st->drbg);
    mbedtls_entropy_free(&st->entropy);
    st->ready = 0;
}

void pkiot_mbedtls_crypto_set_max_ops(pkiot_mbedtls_crypto_t *st, uint32_t max_ops)
{
    if (st != NULL) {
        st->max_ops = max_ops == 0 ? 1 : max_ops;
    }
}

int pkiot_mbedtls_crypto_last_error(const pkiot_mbedtls_crypto_t *st)
{
    return st != NULL ? st->last_error : 0;
}
