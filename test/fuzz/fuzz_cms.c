/* libFuzzer target: CMS SignedData certs-only reader (DER and BER envelopes), and the
 * certificate parser on every certificate it yields. */
#include <stdint.h>
#include <string.h>

#include "pkiot/cms.h"
#include "pkiot/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pkiot_cms_certs_t it;
    pkiot_slice_t cert;
    size_t n = 0;

    if (pkiot_cms_certs_init(&it, data, size) != PKIOT_OK) {
        return 0;
    }
    while (pkiot_cms_certs_next(&it, &cert) == PKIOT_OK) {
        pkiot_x509_cert_t c;
        /* Every yielded slice lies inside the input. */
        if (cert.p < data || cert.p + cert.len > data + size) {
            __builtin_trap();
        }
        (void)pkiot_x509_cert_parse(cert.p, cert.len, &c);
        n++;
    }
    if (n != it.count) {
        __builtin_trap();
    }
    return 0;
}
