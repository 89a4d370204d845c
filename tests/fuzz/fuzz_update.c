/* The A/B install (core/update/update.h) fed an image from the outside
 * world, on a simulated NOR part holding the boot record and both slots:
 * the input is the image, streamed in pieces whose sizes it picks, and an
 * options byte that may cut the power at a unit it picks, or forge the
 * boot record from its own bytes first. Then:
 *
 *   - an install never crashes, and succeeds only for an image the
 *     loader accepts in full; the slot then holds exactly its bytes and the
 *     next boot runs it;
 *   - a refused image leaves the running model (the factory image) and no
 *     slot pending;
 *   - after a cut at any unit, the boot opens the factory image or a slot
 *     that passed the loader's full check, and installing again gives the
 *     uncut install's verdict;
 *   - a forged boot record never makes boot fail or pick a slot that does
 *     not open.
 */
#include "core/base/bytes.h"
#include "core/update/update.h"
#include "port/common/flash_sim.h"
#include "port/common/flash_slots.h"
#include "port/common/flash_store.h"
#include "tests/fuzz/fuzz.h"

#define SECTOR        512u
#define STORE_SECTORS 8u
#define SLOT_SECTORS  64u
#define ALL_SECTORS   (STORE_SECTORS + 2u * SLOT_SECTORS)

static uint8_t            mem[ALL_SECTORS * SECTOR];
static flm_flash_sim_t    sim;
static flm_flash_window_t store_win, slots_win;
static flm_flash_store_t  fs;
static flm_flash_slots_t  fsl;
static flm_slot_dev_t     dev;
static flm_update_t       u;
static flm_model_t        model;

static flm_err_t fs_put(void *c, const char *k, const void *d, size_t n) { return flm_flash_store_put(c, k, d, n); }
static flm_err_t fs_get(void *c, const char *k, void *b, size_t cap, size_t *len) { return flm_flash_store_get(c, k, b, cap, len); }
static flm_err_t fs_del(void *c, const char *k) { return flm_flash_store_del(c, k); }
static flm_err_t fs_stat(void *c, flm_hal_store_stat_t *st) { return flm_flash_store_stat(c, st); }
static flm_err_t fs_next(void *c, const char *p, const char *a, char *k) { return flm_flash_store_next(c, p, a, k); }
static const flm_store_t store_ops = { fs_put, fs_get, fs_del, fs_stat, fs_next, &fs, NULL, NULL };

static void power_on(void)
{
    flm_flash_sim_power_on(&sim);
    flm_flash_t part = flm_flash_sim_part(&sim);
    flm_flash_t sw = flm_flash_window(&store_win, &part, 0, STORE_SECTORS);
    flm_flash_t lw = flm_flash_window(&slots_win, &part, STORE_SECTORS, 2 * SLOT_SECTORS);
    FUZZ_CHECK(flm_flash_store_mount(&fs, &sw) == FLM_OK);
    FUZZ_CHECK(flm_flash_slots_init(&fsl, &lw, &dev) == FLM_OK);
    flm_update_config_t c = { .store = &store_ops, .dev = &dev, .checkpoint_bytes = 2048 };
    FUZZ_CHECK(flm_update_init(&u, &c) == FLM_OK);
}

static void fresh(void)
{
    memset(mem, 0, sizeof mem);
    flm_flash_sim_init(&sim, mem, SECTOR, ALL_SECTORS);
    power_on();
}

static flm_err_t install(const uint8_t *img, size_t len, const uint8_t *sizes, size_t n_sizes)
{
    flm_update_install_t ins;
    flm_err_t err = flm_update_install_begin(&u, img, len, &ins);
    for (size_t i = 0; !err && ins.offset < ins.size; i++) {
        if (ins.offset >= len)
            return FLM_ERR_MODEL_TRUNCATED; /* the "file" ends early */
        size_t left = len - (size_t)ins.offset;
        if (left > ins.size - ins.offset)
            left = (size_t)(ins.size - ins.offset);
        size_t k = n_sizes && sizes[i % n_sizes] ? (size_t)sizes[i % n_sizes] * 16u : left;
        err = flm_update_install_write(&u, &ins, img + ins.offset, k < left ? k : left);
    }
    if (!err)
        err = flm_update_install_verify(&u, &ins, NULL, 0, &model);
    if (err)
        return err;
    flm_model_close(&model);
    return flm_update_install_commit(&u, &ins, NULL, 0);
}

/* A start: the model boot gives must open (it did, inside boot); a trial
 * is confirmed (its recorded tokens are none, as the self-test of an
 * image whose run gives none). */
static int boot(void)
{
    flm_err_t err = flm_update_boot(&u, &model, false);
    if (err)
        return -2; /* the store failed (a cut) */
    int s = u.booted;
    if (s >= 0) {
        FUZZ_CHECK(model.image != NULL);
        if (u.trial && (flm_update_trial_begin(&u) != FLM_OK || flm_update_trial_end(&u, NULL, 0) != FLM_OK))
            s = -3;
        flm_model_close(&model);
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    uint16_t cut = (uint16_t)(flm_fuzz_take_byte(&data, &size) | flm_fuzz_take_byte(&data, &size) << 8);
    flm_fuzz_split_t split;
    flm_fuzz_split_init(&split, &data, &size);
    /* Image bytes must be 4-byte aligned for a verify in place: the slot is. */
    fresh();
    if (opt & 4u) { /* a forged record first, from the input's last bytes */
        flm_twin_t t;
        bool found;
        uint8_t p[140];
        flm_twin_init(&t, &store_ops, "upd.0", "upd.1", 0x42554C46u);
        FUZZ_CHECK(flm_twin_load(&t, p, sizeof p, &found) == FLM_OK);
        size_t k = size < sizeof p ? size : sizeof p;
        memset(p, 0, sizeof p);
        memcpy(p, data + size - k, k);
        p[0] = 1;
        FUZZ_CHECK(flm_twin_save(&t, p, sizeof p) == FLM_OK);
        power_on();
        int s = boot();
        FUZZ_CHECK(s >= -1);
        fresh();
    }
    flm_err_t verdict = install(data, size, split.sizes, split.n);
    int s = boot();
    if (verdict == FLM_OK) {
        FUZZ_CHECK(s == 0 && u.rec.active == 0);
        uint64_t n = flm_rd64le(data + 0x10);
        FUZZ_CHECK(memcmp(mem + STORE_SECTORS * SECTOR, data, (size_t)n) == 0);
    } else {
        FUZZ_CHECK(s == FLM_UPDATE_FACTORY && u.rec.pending == -1);
    }
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "install: %s, boot: %s\n", flm_err_name(verdict), flm_update_slot_name(s));
    if (!(opt & 1u))
        return 0;
    /* Again on a fresh part, the power cut at unit `cut` (scaled to reach
     * the whole install), left half done or untouched. */
    fresh();
    flm_flash_sim_cut(&sim, (uint64_t)cut * ((opt >> 4) + 1u), (opt & 2u) ? FLM_FLASH_CUT_HALF : FLM_FLASH_CUT_CLEAN);
    flm_err_t err = install(data, size, split.sizes, split.n);
    if (!sim.dead)
        (void)boot();
    if (!sim.dead)
        return 0;
    power_on();
    s = boot();
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "cut at %llu: the cut install %s, boot after: %s\n",
                (unsigned long long)cut * ((opt >> 4) + 1u), flm_err_name(err), flm_update_slot_name(s));
    FUZZ_CHECK(s == FLM_UPDATE_FACTORY || s == 0);
    if (s == FLM_UPDATE_FACTORY) {
        err = install(data, size, split.sizes, split.n);
        FUZZ_CHECK((err == FLM_OK) == (verdict == FLM_OK));
    }
    FUZZ_CHECK(sim.violations == 0);
    return 0;
}
