/* libFuzzer target: X.509 certificate parser, name printer and comparison, SAN iterator,
 * path check (with a stand-in crypto port), and the DN / SAN / OID string parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkiot/csr.h"
#include "pkiot/der.h"
#include "pkiot/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Deterministic stand-ins: the hash is all zeros, a signature "verifies" when its first
 * byte is even. They let the path logic run without real keys. */
static int fake_hash(void *ctx, pkiot_hash_alg_t alg, const pkiot_slice_t *parts, size_t n,
                     uint8_t *out, size_t cap)
{
    (void)ctx;
    (void)parts;
    (void)n;
    size_t len = pkiot_hash_size(alg);
    if (len == 0 || len > cap) {
        return PKIOT_E_CRYPTO_UNSUPPORTED;
    }
    memset(out, 0, len);
    return PKIOT_OK;
}

static int fake_verify(void *ctx, const uint8_t *spki, size_t spki_len, pkiot_hash_alg_t alg,
                       const uint8_t *hash, size_t hash_len, const uint8_t *sig, size_t sig_len)
{
    (void)ctx;
    (void)spki;
    (void)spki_len;
    (void)alg;
    (void)hash;
    (void)hash_len;
    return sig_len > 0 && (sig[0] & 1u) == 0 ? PKIOT_OK : PKIOT_E_CRYPTO_VERIFY;
}

static void strings(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    uint8_t out[512];
    uint8_t ip[16];
    pkiot_der_writer_t w;
    pkiot_x509_san_t san;
    size_t n = 0;

    if (s == NULL) {
        return;
    }
    memcpy(s, data, size);
    s[size] = '\0';
    pkiot_der_w_init(&w, out, sizeof out);
    if (pkiot_x509_write_name(&w, s) == PKIOT_OK) {
        const uint8_t *name = NULL;
        char text[256];
        if (pkiot_der_w_result(&w, &name, &n) == PKIOT_OK) {
            (void)pkiot_x509_dn_to_string(name, n, text, sizeof text, NULL);
        }
    }
    (void)pkiot_x509_san_from_string(s, &san, ip);
    (void)pkiot_x509_oid_from_string(s, out, sizeof out, &n);
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pkiot_x509_cert_t cert;
    char text[128];
    size_t n = 0;

    /* The input as a Name and as OID contents. */
    (void)pkiot_x509_dn_to_string(data, size, text, sizeof text, &n);
    (void)pkiot_x509_dn_to_string(data, size, text, 7, &n);
    (void)pkiot_x509_name_eq(data, size, data, size);
    (void)pkiot_x509_oid_to_string(data, size, text, sizeof text, &n);
    strings(data, size < 300 ? size : 300);

    if (pkiot_x509_cert_parse(data, size, &cert) != PKIOT_OK) {
        return 0;
    }
    pkiot_der_cursor_t it;
    pkiot_x509_san_t san;
    pkiot_der_init(&it, cert.san.p, cert.san.len);
    while (pkiot_x509_san_next(&it, &san) == PKIOT_OK) {
    }
    (void)pkiot_x509_dn_to_string(cert.subject.p, cert.subject.len, text, sizeof text, &n);
    (void)pkiot_x509_dn_to_string(cert.issuer.p, cert.issuer.len, text, sizeof text, &n);
    (void)pkiot_x509_name_eq(cert.subject.p, cert.subject.len, cert.issuer.p, cert.issuer.len);
    (void)pkiot_x509_cert_has_eku(&cert, (const uint8_t *)"\x2B\x06\x01\x05\x05\x07\x03\x02", 8);
    (void)pkiot_x509_cert_matches_key(&cert, cert.spki.p, cert.spki.len);
    (void)pkiot_x509_cert_check_time(&cert, 1700000000);

    pkiot_crypto_port_t crypto;
    memset(&crypto, 0, sizeof crypto);
    crypto.hash = fake_hash;
    crypto.verify_hash = fake_verify;
    (void)pkiot_x509_verify_signature(&cert, &cert, &crypto);
    pkiot_slice_t self = { data, size };
    pkiot_x509_chain_result_t res;
    (void)pkiot_x509_chain_check(&cert, &self, 1, &self, 1, 1700000000, &crypto, &res);
    (void)pkiot_x509_chain_check(&cert, &self, 1, NULL, 0, 0, &crypto, NULL);
    return 0;
}
