/* Storage ports: POSIX file (temp + rename) and A/B flash slots with power cuts. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "pkiot_test_util.h"
#include "storage/pkiot_storage_file.h"
#include "storage/pkiot_storage_mem.h"

static char g_dir[PKIOT_TEST_PATH_MAX];

static int group_setup(void **state)
{
    (void)state;
    return pkiot_test_mkdtemp("pkiot-storage-", g_dir, sizeof g_dir);
}

static int group_teardown(void **state)
{
    (void)state;
    pkiot_test_rmtree(g_dir);
    return 0;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

/* ---- CRC-32 ------------------------------------------------------------------------------ */

static void test_crc32(void **state)
{
    (void)state;
    assert_int_equal(0xCBF43926u, pkiot_storage_crc32(0, "123456789", 9));
    assert_int_equal(0u, pkiot_storage_crc32(0, "", 0));
    assert_int_equal(0x414FA339u,
                     pkiot_storage_crc32(0, "The quick brown fox jumps over the lazy dog", 43));
    /* chaining gives the same as one pass */
    uint32_t c = pkiot_storage_crc32(0, "1234", 4);
    assert_int_equal(0xCBF43926u, pkiot_storage_crc32(c, "56789", 5));
}

/* ---- file -------------------------------------------------------------------------------- */

static void test_file_roundtrip(void **state)
{
    (void)state;
    char path[PKIOT_TEST_PATH_MAX];
    assert_int_equal(0, pkiot_test_path(path, sizeof path, g_dir, "ckpt.bin"));
    pkiot_storage_file_t fs;
    pkiot_storage_port_t sp;
    assert_int_equal(PKIOT_OK, pkiot_storage_file_init(&fs, path, &sp));

    uint8_t buf[4096], in[4096];
    size_t len = 99;
    assert_int_equal(PKIOT_E_STORAGE_EMPTY, sp.load(sp.ctx, buf, sizeof buf, &len));
    assert_int_equal(PKIOT_OK, sp.erase(sp.ctx)); /* erasing nothing is fine */

    fill(in, sizeof in, 1);
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, in, 1000));
    assert_int_equal(PKIOT_OK, sp.load(sp.ctx, buf, sizeof buf, &len));
    assert_int_equal(1000, len);
    assert_memory_equal(in, buf, len);

    struct stat sb;
    assert_int_equal(0, stat(path, &sb));
    assert_int_equal(0600, sb.st_mode & 0777);

    /* replace with a shorter blob; too-small buffer copies nothing and reports the size */
    fill(in, sizeof in, 2);
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, in, 300));
    memset(buf, 0xEE, sizeof buf);
    assert_int_equal(PKIOT_E_BUFFER_TOO_SMALL, sp.load(sp.ctx, buf, 299, &len));
    assert_int_equal(300, len);
    assert_int_equal(0xEE, buf[0]);
    assert_int_equal(PKIOT_OK, sp.load(sp.ctx, buf, 300, &len));
    assert_int_equal(300, len);
    assert_memory_equal(in, buf, 300);

    /* zero-length blob */
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, NULL, 0));
    assert_int_equal(PKIOT_OK, sp.load(sp.ctx, buf, sizeof buf, &len));
    assert_int_equal(0, len);

    assert_int_equal(PKIOT_OK, sp.erase(sp.ctx));
    assert_int_equal(PKIOT_E_STORAGE_EMPTY, sp.load(sp.ctx, buf, sizeof buf, &len));
    assert_int_equal(-1, access(path, F_OK));
}

/* A crash between writing the temp file and the rename leaves `<path>.tmp` behind. */
static void test_file_leftover_tmp(void **state)
{
    (void)state;
    char path[PKIOT_TEST_PATH_MAX], tmp[PKIOT_TEST_PATH_MAX];
    assert_int_equal(0, pkiot_test_path(path, sizeof path, g_dir, "atomic.bin"));
    assert_int_equal(0, pkiot_test_path(tmp, sizeof tmp, g_dir, "atomic.bin.tmp"));
    pkiot_storage_file_t fs;
    pkiot_storage_port_t sp;
    assert_int_equal(PKIOT_OK, pkiot_storage_file_init(&fs, path, &sp));

    uint8_t a[200], b[5000], buf[8192];
    size_t len;
    fill(a, sizeof a, 3);
    fill(b, sizeof b, 4);

    /* a torn temp file and no committed blob: still empty */
    assert_int_equal(0, pkiot_test_write_file(tmp, b, 77));
    assert_int_equal(PKIOT_E_STORAGE_EMPTY, sp.load(sp.ctx, buf, sizeof buf, &len));

    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, a, sizeof a));
    assert_int_equal(-1, access(tmp, F_OK)); /* consumed by the rename */

    /* a new, larger blob half written to the temp file: load still gives the old one */
    assert_int_equal(0, pkiot_test_write_file(tmp, b, 1234));
    assert_int_equal(PKIOT_OK, sp.load(sp.ctx, buf, sizeof buf, &len));
    assert_int_equal(sizeof a, len);
    assert_memory_equal(a, buf, len);

    /* the next save replaces the leftover cleanly */
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, b, sizeof b));
    assert_int_equal(PKIOT_OK, sp.load(sp.ctx, buf, sizeof buf, &len));
    assert_int_equal(sizeof b, len);
    assert_memory_equal(b, buf, len);

    /* erase removes a leftover too */
    assert_int_equal(0, pkiot_test_write_file(tmp, a, 10));
    assert_int_equal(PKIOT_OK, sp.erase(sp.ctx));
    assert_int_equal(-1, access(tmp, F_OK));
    assert_int_equal(PKIOT_E_STORAGE_EMPTY, sp.load(sp.ctx, buf, sizeof buf, &len));
}

static void test_file_errors(void **state)
{
    (void)state;
    pkiot_storage_file_t fs;
    pkiot_storage_port_t sp;
    char path[PKIOT_TEST_PATH_MAX];
    char longp[PKIOT_STORAGE_FILE_PATH_MAX + 10];
    memset(longp, 'a', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    assert_int_equal(PKIOT_E_INVALID_ARG, pkiot_storage_file_init(&fs, "", &sp));
    assert_int_equal(PKIOT_E_INVALID_ARG, pkiot_storage_file_init(&fs, NULL, &sp));
    assert_int_equal(PKIOT_E_INVALID_ARG, pkiot_storage_file_init(&fs, longp, &sp));
    assert_int_equal(PKIOT_E_INVALID_ARG, pkiot_storage_file_init(&fs, "dir/", &sp));

    /* a directory that does not exist */
    assert_int_equal(0, pkiot_test_path(path, sizeof path, g_dir, "missing/ckpt.bin"));
    assert_int_equal(PKIOT_OK, pkiot_storage_file_init(&fs, path, &sp));
    uint8_t buf[16] = {0};
    size_t len;
    assert_int_equal(PKIOT_E_STORAGE_IO, sp.save(sp.ctx, buf, sizeof buf));
    assert_true(pkiot_storage_file_errno(&fs) != 0);
    assert_int_equal(PKIOT_E_STORAGE_EMPTY, sp.load(sp.ctx, buf, sizeof buf, &len));

    /* the path is a directory */
    assert_int_equal(PKIOT_OK, pkiot_storage_file_init(&fs, g_dir, &sp));
    assert_int_equal(PKIOT_E_STORAGE_IO, sp.save(sp.ctx, buf, sizeof buf));
}

/* ---- A/B slots --------------------------------------------------------------------------- */

#define AREA_LEN PKIOT_STORAGE_MEM_AREA_SIZE(256)

static void load_expect(pkiot_storage_port_t *sp, const uint8_t *want, size_t want_len)
{
    uint8_t buf[512];
    size_t len = 0;
    if (want == NULL) {
        assert_int_equal(PKIOT_E_STORAGE_EMPTY, sp->load(sp->ctx, buf, sizeof buf, &len));
        return;
    }
    assert_int_equal(PKIOT_OK, sp->load(sp->ctx, buf, sizeof buf, &len));
    assert_int_equal(want_len, len);
    if (len > 0) {
        assert_memory_equal(want, buf, len);
    }
}

static void test_mem_basic(void **state)
{
    (void)state;
    static uint8_t area[AREA_LEN];
    pkiot_storage_mem_t ms;
    pkiot_storage_port_t sp;
    uint8_t blob[300], buf[300];
    size_t len;

    for (int init = 0; init < 2; init++) {
        memset(area, init ? 0xFF : 0x00, sizeof area); /* blank flash or zeroed RAM */
        assert_int_equal(PKIOT_OK, pkiot_storage_mem_init(&ms, area, sizeof area, NULL, &sp));
        load_expect(&sp, NULL, 0);
        for (uint32_t i = 0; i < 10; i++) {
            size_t l = (i * 37) % 257;
            fill(blob, l, i);
            assert_int_equal(PKIOT_OK, sp.save(sp.ctx, blob, l));
            load_expect(&sp, blob, l);
            /* a fresh port over the same area ("reboot") finds the same blob */
            pkiot_storage_mem_t ms2;
            pkiot_storage_port_t sp2;
            assert_int_equal(PKIOT_OK, pkiot_storage_mem_init(&ms2, area, sizeof area, NULL, &sp2));
            load_expect(&sp2, blob, l);
        }
        assert_int_equal(PKIOT_E_BUFFER_TOO_SMALL, sp.save(sp.ctx, blob, 257));
        assert_int_equal(PKIOT_OK, sp.save(sp.ctx, blob, 100));
        assert_int_equal(PKIOT_E_BUFFER_TOO_SMALL, sp.load(sp.ctx, buf, 99, &len));
        assert_int_equal(100, len);
        assert_int_equal(PKIOT_OK, sp.erase(sp.ctx));
        load_expect(&sp, NULL, 0);
    }
    assert_int_equal(PKIOT_E_INVALID_ARG, pkiot_storage_mem_init(&ms, area, 31, NULL, &sp));
}

/* A corrupted newest slot falls back to the other one. */
static void test_mem_corrupt_slot(void **state)
{
    (void)state;
    static uint8_t area[AREA_LEN];
    pkiot_storage_mem_t ms;
    pkiot_storage_port_t sp;
    uint8_t a[50], b[60];
    fill(a, sizeof a, 10);
    fill(b, sizeof b, 11);
    memset(area, 0xFF, sizeof area);
    assert_int_equal(PKIOT_OK, pkiot_storage_mem_init(&ms, area, sizeof area, NULL, &sp));
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, a, sizeof a)); /* slot A, seq 1 */
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, b, sizeof b)); /* slot B, seq 2 */
    load_expect(&sp, b, sizeof b);
    size_t slot = AREA_LEN / 2;
    area[slot + PKIOT_STORAGE_MEM_HEADER + 5] ^= 0x01; /* bit rot in B's data */
    load_expect(&sp, a, sizeof a);
    area[slot + PKIOT_STORAGE_MEM_HEADER + 5] ^= 0x01;
    area[slot + 8] = 0xF0; /* B's length out of range */
    load_expect(&sp, a, sizeof a);
    /* the next save goes to the invalid slot, keeping A */
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, b, 10));
    load_expect(&sp, b, 10);
    area[PKIOT_STORAGE_MEM_HEADER] ^= 0x80; /* and A rots too: B is still there */
    load_expect(&sp, b, 10);
}

/* Sequence numbers wrap around without confusing old and new. */
static void test_mem_seq_wrap(void **state)
{
    (void)state;
    static uint8_t area[AREA_LEN];
    pkiot_storage_mem_t ms;
    pkiot_storage_port_t sp;
    memset(area, 0xFF, sizeof area);
    assert_int_equal(PKIOT_OK, pkiot_storage_mem_init(&ms, area, sizeof area, NULL, &sp));
    uint8_t blob[8] = {1};
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, blob, 1));
    /* rewrite slot A's header as seq 0xFFFFFFFE with a matching CRC */
    uint8_t *s = area;
    uint32_t seq = 0xFFFFFFFEu;
    s[4] = (uint8_t)seq; s[5] = (uint8_t)(seq >> 8); s[6] = (uint8_t)(seq >> 16); s[7] = (uint8_t)(seq >> 24);
    uint32_t crc = pkiot_storage_crc32(0, s + 4, 8);
    crc = pkiot_storage_crc32(crc, s + 16, 1);
    s[12] = (uint8_t)crc; s[13] = (uint8_t)(crc >> 8); s[14] = (uint8_t)(crc >> 16); s[15] = (uint8_t)(crc >> 24);
    load_expect(&sp, blob, 1);
    for (uint8_t i = 2; i < 8; i++) {
        blob[0] = i;
        assert_int_equal(PKIOT_OK, sp.save(sp.ctx, blob, 1)); /* seq FFFFFFFF, 0, 1, ... */
        load_expect(&sp, blob, 1);
    }
}

/* Power cut after every possible number of byte writes during a save: the previous blob
 * survives (or, at the very last byte, the new one is complete). */
static void test_mem_torn_save(void **state)
{
    (void)state;
    static uint8_t area[AREA_LEN];
    pkiot_storage_mem_t ms;
    pkiot_storage_port_t sp;
    uint8_t old[200], neu[180], older[90];
    fill(older, sizeof older, 20);
    fill(old, sizeof old, 21);
    fill(neu, sizeof neu, 22);

    for (int history = 0; history < 3; history++) {
        memset(area, 0xFF, sizeof area);
        assert_int_equal(PKIOT_OK, pkiot_storage_mem_init(&ms, area, sizeof area, NULL, &sp));
        if (history >= 2) {
            assert_int_equal(PKIOT_OK, sp.save(sp.ctx, older, sizeof older));
        }
        if (history >= 1) {
            assert_int_equal(PKIOT_OK, sp.save(sp.ctx, old, sizeof old));
        }
        static uint8_t snapshot[AREA_LEN];
        memcpy(snapshot, area, sizeof area);
        size_t cost = pkiot_storage_mem_save_cost(&ms, sizeof neu);
        for (size_t cut = 0; cut <= cost; cut++) {
            memcpy(area, snapshot, sizeof area);
            pkiot_storage_mem_cut_power_after(&ms, cut);
            int rc = sp.save(sp.ctx, neu, sizeof neu);
            assert_int_equal(PKIOT_E_STORAGE_IO, rc);
            /* after the "reboot" */
            pkiot_storage_mem_t ms2;
            pkiot_storage_port_t sp2;
            assert_int_equal(PKIOT_OK, pkiot_storage_mem_init(&ms2, area, sizeof area, NULL, &sp2));
            if (cut == cost) {
                load_expect(&sp2, neu, sizeof neu);
            } else if (history == 0) {
                load_expect(&sp2, NULL, 0);
            } else {
                load_expect(&sp2, old, sizeof old);
            }
            /* and the device carries on: the next save works and is what loads */
            assert_int_equal(PKIOT_OK, sp2.save(sp2.ctx, neu, 17));
            load_expect(&sp2, neu, 17);
        }
        /* armed beyond the cost: save completes and the trigger is gone afterwards */
        memcpy(area, snapshot, sizeof area);
        pkiot_storage_mem_cut_power_after(&ms, cost + 1);
        assert_int_equal(PKIOT_OK, sp.save(sp.ctx, neu, sizeof neu));
        assert_int_equal(PKIOT_OK, sp.save(sp.ctx, old, sizeof old));
        load_expect(&sp, old, sizeof old);
    }
}

/* Power cut in the middle of erase(): the current blob or nothing, never an older one. */
static void test_mem_torn_erase(void **state)
{
    (void)state;
    static uint8_t area[AREA_LEN], snapshot[AREA_LEN];
    pkiot_storage_mem_t ms;
    pkiot_storage_port_t sp;
    uint8_t a[40], b[70];
    fill(a, sizeof a, 30);
    fill(b, sizeof b, 31);
    memset(area, 0xFF, sizeof area);
    assert_int_equal(PKIOT_OK, pkiot_storage_mem_init(&ms, area, sizeof area, NULL, &sp));
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, a, sizeof a));
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, b, sizeof b));
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, a, sizeof a)); /* newest in slot A now */
    memcpy(snapshot, area, sizeof area);
    for (size_t cut = 0; cut < AREA_LEN; cut++) {
        memcpy(area, snapshot, sizeof area);
        pkiot_storage_mem_cut_power_after(&ms, cut);
        assert_int_equal(PKIOT_E_STORAGE_IO, sp.erase(sp.ctx));
        uint8_t buf[512];
        size_t len;
        int rc = sp.load(sp.ctx, buf, sizeof buf, &len);
        if (rc == PKIOT_OK) {
            assert_int_equal(sizeof a, len);
            assert_memory_equal(a, buf, len);
        } else {
            assert_int_equal(PKIOT_E_STORAGE_EMPTY, rc);
        }
    }
}

/* A flash driver sees only erase/program calls inside the area, in the documented order. */
struct fake_flash {
    uint8_t mem[AREA_LEN];
    int calls;
    int fail_at;
    size_t last_off, last_len;
};

static int ff_erase(void *user, size_t off, size_t len)
{
    struct fake_flash *f = (struct fake_flash *)user;
    assert_true(off + len <= sizeof f->mem);
    if (++f->calls == f->fail_at) {
        return -1;
    }
    memset(f->mem + off, 0xFF, len);
    return 0;
}

static int ff_program(void *user, size_t off, const uint8_t *src, size_t len)
{
    struct fake_flash *f = (struct fake_flash *)user;
    assert_true(off + len <= sizeof f->mem);
    for (size_t i = 0; i < len; i++) {
        assert_int_equal(0xFF, f->mem[off + i]); /* only erased bytes are programmed */
    }
    if (++f->calls == f->fail_at) {
        return -1;
    }
    memcpy(f->mem + off, src, len);
    f->last_off = off;
    f->last_len = len;
    return 0;
}

static void test_mem_flash_driver(void **state)
{
    (void)state;
    static struct fake_flash ff;
    memset(ff.mem, 0xFF, sizeof ff.mem);
    ff.fail_at = -1;
    const pkiot_storage_mem_flash_t drv = {&ff, ff_erase, ff_program};
    pkiot_storage_mem_t ms;
    pkiot_storage_port_t sp;
    assert_int_equal(PKIOT_OK, pkiot_storage_mem_init(&ms, ff.mem, sizeof ff.mem, &drv, &sp));
    uint8_t blob[100];
    fill(blob, sizeof blob, 40);
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, blob, sizeof blob));
    assert_int_equal(4, ff.calls); /* erase, blob, header tail, magic */
    assert_int_equal(0, ff.last_off);
    assert_int_equal(4, ff.last_len);
    load_expect(&sp, blob, sizeof blob);

    /* a failing driver call is an I/O error and the old blob stays */
    ff.calls = 0;
    ff.fail_at = 2;
    assert_int_equal(PKIOT_E_STORAGE_IO, sp.save(sp.ctx, blob, 10));
    load_expect(&sp, blob, sizeof blob);
    ff.fail_at = -1;
    assert_int_equal(PKIOT_OK, sp.save(sp.ctx, blob, 10));
    load_expect(&sp, blob, 10);
    const pkiot_storage_mem_flash_t half = {&ff, ff_erase, NULL};
    assert_int_equal(PKIOT_E_INVALID_ARG, pkiot_storage_mem_init(&ms, ff.mem, sizeof ff.mem, &half, &sp));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32),
        cmocka_unit_test(test_file_roundtrip),
        cmocka_unit_test(test_file_leftover_tmp),
        cmocka_unit_test(test_file_errors),
        cmocka_unit_test(test_mem_basic),
        cmocka_unit_test(test_mem_corrupt_slot),
        cmocka_unit_test(test_mem_seq_wrap),
        cmocka_unit_test(test_mem_torn_save),
        cmocka_unit_test(test_mem_torn_erase),
        cmocka_unit_test(test_mem_flash_driver),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
