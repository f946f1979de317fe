/* libFuzzer target: checkpoint blobs as read back from storage (possibly torn or foreign). */
#include <stddef.h>
#include <stdint.h>

#include "../../lib/enroll/checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pkiot_ckpt_reader_t r;
    if (pkiot_ckpt_open(&r, data, size) != PKIOT_OK) {
        return 0;
    }
    for (unsigned tag = 0; tag < 256; tag++) {
        pkiot_slice_t s;
        uint32_t u;
        int64_t i;
        if (pkiot_ckpt_get(&r, (uint8_t)tag, &s) == PKIOT_OK) {
            /* Touch every byte: the view must lie inside the input. */
            volatile uint8_t sink = 0;
            for (size_t k = 0; k < s.len; k++) {
                sink ^= s.p[k];
            }
            (void)sink;
        }
        (void)pkiot_ckpt_get_u32(&r, (uint8_t)tag, &u);
        (void)pkiot_ckpt_get_i64(&r, (uint8_t)tag, &i);
    }
    return 0;
}
