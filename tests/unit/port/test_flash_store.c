/*
 * The flash store (port/common/flash_store.h) on the simulated NOR part
 * (flash_sim.h): the HAL store's contract, garbage collection across the
 * banks, NOR discipline (never a 0 -> 1 program), and power cuts at every
 * programmed byte and every erase step of a workload that collects
 * garbage several times: after each, a remount shows every key with the
 * value of its last acknowledged call or of the call that was cut, and the
 * store goes on working.
 */
#include <stdio.h>
#include <string.h>

#include "port/common/flash_sim.h"
#include "port/common/flash_store.h"
#include "tests/harness/harness.h"

static uint8_t mem[8 * 1024];
static flm_flash_sim_t sim;
static flm_flash_store_t fs;

static flm_err_t fresh(uint32_t sector_size, uint32_t sectors, uint8_t fill)
{
    memset(mem, fill, sizeof mem);
    flm_flash_sim_init(&sim, mem, sector_size, sectors);
    flm_flash_t part = flm_flash_sim_part(&sim);
    return flm_flash_store_mount(&fs, &part);
}

static flm_err_t remount(void)
{
    flm_flash_sim_power_on(&sim);
    flm_flash_t part = flm_flash_sim_part(&sim);
    return flm_flash_store_mount(&fs, &part);
}

FLM_TEST(hal_flash_store_put_get_del)
{
    FLM_CHECK_EQ(fresh(1024, 4, 0x00), FLM_OK); /* QEMU's RAM starts zeroed: formatted */
    FLM_CHECK_EQ(fs.formats, 1);
    uint8_t buf[64];
    size_t len = 0;
    FLM_CHECK_EQ(flm_flash_store_get(&fs, "k", buf, sizeof buf, &len), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "k", "hello", 5), FLM_OK);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "k", "world!", 6), FLM_OK);
    FLM_CHECK_EQ(flm_flash_store_get(&fs, "k", buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK(len == 6 && memcmp(buf, "world!", 6) == 0);
    FLM_CHECK_EQ(flm_flash_store_get(&fs, "k", buf, 2, &len), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(len, 6);
    FLM_CHECK_EQ(flm_flash_store_get(&fs, "k", NULL, 0, &len), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "empty", "", 0), FLM_OK);
    FLM_CHECK_EQ(flm_flash_store_get(&fs, "empty", buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK_EQ(len, 0);
    FLM_CHECK_EQ(flm_flash_store_del(&fs, "k"), FLM_OK);
    FLM_CHECK_EQ(flm_flash_store_del(&fs, "k"), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, ".hidden", "x", 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "a/b", "x", 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "k", NULL, 1), FLM_ERR_ARG);
    flm_hal_store_stat_t st;
    FLM_CHECK_EQ(flm_flash_store_stat(&fs, &st), FLM_OK);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "big", mem, st.record_max + 1), FLM_ERR_OVERFLOW);
    FLM_CHECK(st.records == 1 && st.max_records == FLM_FLASH_STORE_RECORDS && st.bytes_used == 0);
    FLM_CHECK_EQ(st.record_max, 2048 - 16 - 63);

    /* What was stored survives a remount. */
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "cfg", "x=1", 3), FLM_OK);
    FLM_CHECK_EQ(remount(), FLM_OK);
    FLM_CHECK_EQ(fs.formats, 0);
    FLM_CHECK_EQ(flm_flash_store_get(&fs, "cfg", buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK(len == 3 && memcmp(buf, "x=1", 3) == 0);
    FLM_CHECK_EQ(flm_flash_store_get(&fs, "k", buf, sizeof buf, &len), FLM_ERR_NOT_FOUND);

    /* Geometry that is no two banks of sectors. */
    flm_flash_t part = flm_flash_sim_part(&sim);
    part.sectors = 3;
    FLM_CHECK_EQ(flm_flash_store_mount(&fs, &part), FLM_ERR_ARG);
    part.sectors = 4;
    part.sector_size = 1000;
    FLM_CHECK_EQ(flm_flash_store_mount(&fs, &part), FLM_ERR_ARG);
}

FLM_TEST(hal_flash_store_next_in_key_order)
{
    FLM_CHECK_EQ(fresh(1024, 4, 0xFF), FLM_OK);
    static const char *const put[] = { "q.0010", "q.0002", "cfg", "q.0001" };
    for (size_t i = 0; i < 4; i++)
        FLM_CHECK_EQ(flm_flash_store_put(&fs, put[i], "x", 1), FLM_OK);
    static const char *const want[] = { "q.0001", "q.0002", "q.0010" };
    char k[FLM_HAL_KEY_MAX + 1] = "";
    size_t n = 0;
    while (flm_flash_store_next(&fs, "q.", k, k) == FLM_OK) {
        FLM_CHECK(n < 3);
        FLM_CHECK_MSG(strcmp(k, want[n]) == 0, "got %s, want %s", k, want[n]);
        n++;
    }
    FLM_CHECK_EQ(n, 3);
    FLM_CHECK_EQ(flm_flash_store_next(&fs, "", NULL, k), FLM_OK);
    FLM_CHECK(strcmp(k, "cfg") == 0);
    FLM_CHECK_EQ(flm_flash_store_del(&fs, "q.0002"), FLM_OK);
    FLM_CHECK_EQ(flm_flash_store_next(&fs, "q.", "q.0001", k), FLM_OK);
    FLM_CHECK(strcmp(k, "q.0010") == 0);
    FLM_CHECK_EQ(flm_flash_store_next(&fs, "z", NULL, k), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_flash_store_next(&fs, ".", NULL, k), FLM_ERR_ARG);
}

/* Rewriting and deleting far more than a bank holds: the garbage is
 * collected, the live set stays, and no program ever asks a 0 bit for 1. */
FLM_TEST(hal_flash_store_collects_garbage)
{
    FLM_CHECK_EQ(fresh(256, 4, 0xFF), FLM_OK); /* banks of 512 bytes */
    uint32_t rng = 7;
    char keys[6][8];
    uint8_t want[6][40];
    size_t want_n[6];
    bool have[6] = { false };
    for (int i = 0; i < 6; i++)
        snprintf(keys[i], sizeof keys[i], "key%d", i);
    for (int round = 0; round < 2000; round++) {
        int i = (int)(flm_test_xorshift32(&rng) % 6);
        if (flm_test_xorshift32(&rng) % 4 == 0) {
            flm_err_t err = flm_flash_store_del(&fs, keys[i]);
            FLM_CHECK_EQ(err, have[i] ? FLM_OK : FLM_ERR_NOT_FOUND);
            have[i] = false;
        } else {
            size_t n = flm_test_xorshift32(&rng) % 40;
            uint8_t v[40];
            for (size_t j = 0; j < n; j++)
                v[j] = (uint8_t)flm_test_xorshift32(&rng);
            FLM_CHECK_EQ(flm_flash_store_put(&fs, keys[i], v, n), FLM_OK);
            memcpy(want[i], v, n);
            want_n[i] = n;
            have[i] = true;
        }
        if (round % 97 == 0)
            FLM_CHECK_EQ(remount(), FLM_OK);
        for (int j = 0; j < 6; j++) {
            uint8_t buf[40];
            size_t len;
            flm_err_t err = flm_flash_store_get(&fs, keys[j], buf, sizeof buf, &len);
            FLM_CHECK_EQ(err, have[j] ? FLM_OK : FLM_ERR_NOT_FOUND);
            if (have[j])
                FLM_CHECK(len == want_n[j] && memcmp(buf, want[j], len) == 0);
        }
    }
    FLM_CHECK(sim.erases > 50);
    FLM_CHECK_EQ(sim.violations, 0);

    /* Full: more live data than a bank refuses, and says so in stat first. */
    FLM_CHECK_EQ(fresh(256, 4, 0xFF), FLM_OK);
    flm_hal_store_stat_t st;
    uint8_t blob[100] = { 0 };
    int stored = 0;
    for (int i = 0; i < 10; i++) {
        char k[8];
        snprintf(k, sizeof k, "b%d", i);
        FLM_CHECK_EQ(flm_flash_store_stat(&fs, &st), FLM_OK);
        bool fits = st.bytes_used + sizeof blob <= st.bytes_max;
        flm_err_t err = flm_flash_store_put(&fs, k, blob, sizeof blob);
        if (fits)
            FLM_CHECK_EQ(err, FLM_OK); /* what stat promises holds */
        if (err == FLM_OK)
            stored++;
        else
            FLM_CHECK_EQ(err, FLM_ERR_STORE_FULL);
    }
    FLM_CHECK(stored >= 3 && stored <= 4);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "b0", blob, 50), FLM_OK); /* replacing fits */
    FLM_CHECK_EQ(flm_flash_store_del(&fs, "b1"), FLM_OK);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "b9", blob, sizeof blob), FLM_OK);
    FLM_CHECK_EQ(sim.violations, 0);
}

FLM_TEST(hal_flash_store_index_limit)
{
    FLM_CHECK_EQ(fresh(1024, 8, 0xFF), FLM_OK);
    char k[16];
    for (int i = 0; i < FLM_FLASH_STORE_RECORDS; i++) {
        snprintf(k, sizeof k, "r%d", i);
        FLM_CHECK_EQ(flm_flash_store_put(&fs, k, "v", 1), FLM_OK);
    }
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "one-more", "v", 1), FLM_ERR_STORE_FULL);
    FLM_CHECK_EQ(flm_flash_store_put(&fs, "r0", "vv", 2), FLM_OK);
    flm_hal_store_stat_t st;
    FLM_CHECK_EQ(flm_flash_store_stat(&fs, &st), FLM_OK);
    FLM_CHECK_EQ(st.records, st.max_records);
}

/* ---- power cuts -------------------------------------------------------------------------- */

#define N_KEYS 4

typedef struct {
    bool    del;
    int     key;
    uint8_t len;
    uint8_t fill;
} wop_t;

typedef struct {
    bool    have[N_KEYS];
    uint8_t len[N_KEYS], fill[N_KEYS];
} kv_model_t;

static const char *const cut_keys[N_KEYS] = { "qh.0", "q.00000001", "q.00000001.a", "lg.1" };

static void wop_apply(kv_model_t *m, const wop_t *w)
{
    m->have[w->key] = !w->del;
    m->len[w->key] = w->len;
    m->fill[w->key] = w->fill;
}

static flm_err_t wop_run(const wop_t *w)
{
    if (w->del)
        return flm_flash_store_del(&fs, cut_keys[w->key]);
    uint8_t v[255];
    for (int i = 0; i < w->len; i++)
        v[i] = (uint8_t)(w->fill + 13 * i);
    return flm_flash_store_put(&fs, cut_keys[w->key], v, w->len);
}

static bool key_is(int k, bool have, uint8_t len, uint8_t fill)
{
    uint8_t buf[255];
    size_t n;
    flm_err_t err = flm_flash_store_get(&fs, cut_keys[k], buf, sizeof buf, &n);
    if (!have)
        return err == FLM_ERR_NOT_FOUND;
    if (err != FLM_OK || n != len)
        return false;
    for (int i = 0; i < len; i++)
        if (buf[i] != (uint8_t)(fill + 13 * i))
            return false;
    return true;
}

FLM_TEST(hal_flash_store_cut_at_every_unit)
{
    /* Banks of 512 bytes: the workload collects garbage several times,
     * with puts that replace, grow, shrink and delete. */
    static wop_t ops[40];
    uint32_t rng = 99;
    int n_ops = 0;
    for (; n_ops < 40; n_ops++) {
        wop_t *w = &ops[n_ops];
        w->key = (int)(flm_test_xorshift32(&rng) % N_KEYS);
        w->del = flm_test_xorshift32(&rng) % 5 == 0;
        w->len = (uint8_t)(flm_test_xorshift32(&rng) % 90);
        w->fill = (uint8_t)flm_test_xorshift32(&rng);
    }
    FLM_CHECK_EQ(fresh(256, 4, 0xFF), FLM_OK);
    uint64_t formatted = sim.units;
    for (int i = 0; i < n_ops; i++) {
        flm_err_t err = wop_run(&ops[i]);
        FLM_CHECK(err == FLM_OK || err == FLM_ERR_NOT_FOUND);
    }
    uint64_t total = sim.units - formatted;
    uint32_t collections = fs.collections;
    FLM_CHECK(collections >= 4);
    long cuts = 0;
    for (uint64_t k = 0; k <= total; k++) {
        for (int mode = 0; mode < 2; mode++) {
            FLM_CHECK_EQ(fresh(256, 4, 0xFF), FLM_OK);
            flm_flash_sim_cut(&sim, k, (flm_flash_cut_mode_t)mode);
            kv_model_t m;
            memset(&m, 0, sizeof m);
            int inflight = -1;
            for (int i = 0; i < n_ops; i++) {
                flm_err_t err = wop_run(&ops[i]);
                if (sim.dead) {
                    FLM_CHECK_EQ(err, FLM_ERR_IO);
                    inflight = i;
                    break;
                }
                if (err == FLM_OK)
                    wop_apply(&m, &ops[i]);
            }
            if (inflight < 0)
                continue; /* the cut came after the workload */
            cuts++;
            FLM_CHECK_EQ(remount(), FLM_OK);
            kv_model_t m1 = m;
            wop_apply(&m1, &ops[inflight]);
            for (int key = 0; key < N_KEYS; key++) {
                bool before = key_is(key, m.have[key], m.len[key], m.fill[key]);
                bool after = key_is(key, m1.have[key], m1.len[key], m1.fill[key]);
                FLM_CHECK_MSG(before || after, "cut at unit %llu mode %d (op %d): key %s torn",
                              (unsigned long long)k, mode, inflight, cut_keys[key]);
                if (key != ops[inflight].key)
                    FLM_CHECK_MSG(before, "cut at unit %llu: key %s changed", (unsigned long long)k,
                                  cut_keys[key]);
            }
            /* It goes on: every key rewritten, read back after a remount. */
            for (int key = 0; key < N_KEYS; key++) {
                wop_t w = { false, key, (uint8_t)(10 + key), (uint8_t)k };
                FLM_CHECK_EQ(wop_run(&w), FLM_OK);
            }
            FLM_CHECK_EQ(remount(), FLM_OK);
            for (int key = 0; key < N_KEYS; key++)
                FLM_CHECK(key_is(key, true, (uint8_t)(10 + key), (uint8_t)k));
            FLM_CHECK_EQ(sim.violations, 0);
        }
    }
    /* A cut while formatting: the next mount formats again. */
    for (uint64_t k = 0; k < formatted + 8 * 4; k++) {
        memset(mem, 0, sizeof mem);
        flm_flash_sim_init(&sim, mem, 256, 4);
        flm_flash_sim_cut(&sim, k, FLM_FLASH_CUT_HALF);
        flm_flash_t part = flm_flash_sim_part(&sim);
        flm_err_t err = flm_flash_store_mount(&fs, &part);
        if (err == FLM_OK)
            break;
        FLM_CHECK_EQ(err, FLM_ERR_IO);
        cuts++;
        FLM_CHECK_EQ(remount(), FLM_OK);
        FLM_CHECK_EQ(fs.formats, 1);
        FLM_CHECK_EQ(flm_flash_store_put(&fs, "k", "v", 1), FLM_OK);
    }
    printf("    flash store cut points: %ld (%llu units: programmed bytes and erase steps, "
           "%u garbage collections, 2 ways each)\n",
           cuts, (unsigned long long)total, (unsigned)collections);
    FLM_CHECK(cuts >= 2 * (long)total);
}
