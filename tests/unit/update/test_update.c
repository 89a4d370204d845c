/*
 * The A/B model update (core/update/update.h) on a simulated NOR part that
 * holds both the record store (the boot record) and the two slots, so one
 * power cut hits them together: the state machine (install, trial,
 * confirm, rollback, attempts), every refused image (corrupt CRC, wrong
 * architecture, wrong format version, too big for the arena budget or the
 * slot, bad or missing signature), and power cuts at every unit of an
 * update (each byte programmed, each erase step, both ways), after each of
 * which the device must boot a verified model (the old or the new one)
 * and the update then complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/update/update.h"
#include "port/common/flash_sim.h"
#include "port/common/flash_slots.h"
#include "port/common/flash_store.h"
#include "tests/fixtures/model_synth.h"
#include "tests/harness/harness.h"

#define SECTOR        512u
#define STORE_SECTORS 8u  /* banks of 2 KiB: garbage collected every few saves */
#define SLOT_SECTORS  48u /* 24 KiB a slot */
#define ALL_SECTORS   (STORE_SECTORS + 2u * SLOT_SECTORS)

static uint8_t            mem[ALL_SECTORS * SECTOR];
static flm_flash_sim_t    sim;
static flm_flash_window_t store_win, slots_win;
static flm_flash_store_t  fs;
static flm_flash_slots_t  fsl;
static flm_slot_dev_t     dev;
static flm_update_t       u;
static flm_model_t        model;
static uint8_t            arena_mem[256 * 1024] __attribute__((aligned(16)));
static flm_engine_t       engine;

static flm_err_t fs_put(void *c, const char *k, const void *d, size_t n) { return flm_flash_store_put(c, k, d, n); }
static flm_err_t fs_get(void *c, const char *k, void *b, size_t cap, size_t *len) { return flm_flash_store_get(c, k, b, cap, len); }
static flm_err_t fs_del(void *c, const char *k) { return flm_flash_store_del(c, k); }
static flm_err_t fs_stat(void *c, flm_hal_store_stat_t *st) { return flm_flash_store_stat(c, st); }
static flm_err_t fs_next(void *c, const char *p, const char *a, char *k) { return flm_flash_store_next(c, p, a, k); }
static const flm_store_t store_ops = { fs_put, fs_get, fs_del, fs_stat, fs_next, &fs, NULL, NULL };

/* Power on (after a cut, or the first time) and mount store and slots. */
static flm_err_t power_on(void)
{
    flm_flash_sim_power_on(&sim);
    flm_flash_t part = flm_flash_sim_part(&sim);
    flm_flash_t sw = flm_flash_window(&store_win, &part, 0, STORE_SECTORS);
    flm_flash_t lw = flm_flash_window(&slots_win, &part, STORE_SECTORS, 2 * SLOT_SECTORS);
    flm_err_t err = flm_flash_store_mount(&fs, &sw);
    return err ? err : flm_flash_slots_init(&fsl, &lw, &dev);
}

static flm_err_t fresh_device(void)
{
    memset(mem, 0, sizeof mem); /* as QEMU starts it: the store formats */
    flm_flash_sim_init(&sim, mem, SECTOR, ALL_SECTORS);
    return power_on();
}

static flm_update_config_t config(void)
{
    flm_update_config_t c = { .store = &store_ops, .dev = &dev, .checkpoint_bytes = 1024 };
    return c;
}

#define VOCAB 290u

/* A llama2.c tokenizer the engine can run: byte fallback at 3..258, a
 * space, letters (the synthetic one has neither). */
static const char *tokenizer_file(void)
{
    static char path[512];
    if (path[0])
        return path;
    snprintf(path, sizeof path, "%s/update_tok.bin", flm_test_tmpdir());
    FILE *f = fopen(path, "wb");
    if (!f)
        return NULL;
    int32_t max_len = 8;
    fwrite(&max_len, 4, 1, f);
    for (uint32_t i = 0; i < VOCAB; i++) {
        char tok[16];
        if (i < 3)
            snprintf(tok, sizeof tok, "%s", i == 0 ? "<unk>" : i == 1 ? "\n<s>\n" : "\n</s>\n");
        else if (i < 259)
            snprintf(tok, sizeof tok, "<0x%02X>", i - 3);
        else if (i == 259)
            snprintf(tok, sizeof tok, " ");
        else
            snprintf(tok, sizeof tok, "%c%c", 'a' + (i - 260) % 26, 'a' + (i - 260) / 26);
        float score = i < 259 ? 0.0f : -(float)i;
        int32_t n = (int32_t)strlen(tok);
        fwrite(&score, 4, 1, f);
        fwrite(&n, 4, 1, f);
        fwrite(tok, 1, (size_t)n, f);
    }
    fclose(f);
    return path;
}

static uint8_t *image(uint32_t seed, size_t *len)
{
    flm_synth_t s = FLM_SYNTH_DEFAULT;
    s.seed = seed;
    s.vocab_size = VOCAB;
    s.shared = true;
    s.tokenizer = tokenizer_file();
    return s.tokenizer ? flm_synth_image(&s, len) : NULL;
}

/* The self-test run on an open model. */
static flm_err_t run_selftest(const flm_model_t *m, uint32_t *tokens, size_t *n)
{
    flm_engine_config_t ec = { .ctx_len = 0, .sampler = { .temperature = 65536, .top_p = 58982, .seed = 7 } };
    ec.ctx_len = m->cfg.seq_len;
    flm_arena_t a;
    flm_arena_init(&a, arena_mem, sizeof arena_mem);
    flm_err_t err = flm_engine_init(&engine, m, &ec, &a);
    if (err)
        return err;
    err = flm_update_selftest(&engine, tokens, n);
    flm_engine_deinit(&engine);
    return err;
}

/* A whole install of img (chunks of `chunk` bytes), from wherever the
 * record says it stands; the first error ends it. */
static flm_err_t install(const uint8_t *img, size_t len, size_t chunk, const void *sig, size_t sig_len)
{
    flm_update_install_t ins;
    flm_err_t err = flm_update_install_begin(&u, img, len, &ins);
    while (!err && ins.offset < ins.size) {
        size_t n = ins.size - ins.offset < chunk ? (size_t)(ins.size - ins.offset) : chunk;
        err = flm_update_install_write(&u, &ins, img + ins.offset, n);
    }
    if (!err)
        err = flm_update_install_verify(&u, &ins, sig, sig_len, &model);
    if (err)
        return err;
    uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS];
    size_t n = 0;
    err = run_selftest(&model, tokens, &n);
    flm_model_close(&model);
    return err ? err : flm_update_install_commit(&u, &ins, tokens, n);
}

/* One start of the device: boot, and a trial's self-test. *ran receives
 * the image that runs (its image_crc; 0: the factory image). */
static flm_err_t boot(uint32_t *ran)
{
    *ran = 0;
    flm_err_t err = flm_update_boot(&u, &model, false);
    if (err)
        return err;
    if (u.booted < 0)
        return FLM_OK;
    *ran = flm_synth_rd32(model.image + 0x1C);
    if (u.trial) {
        err = flm_update_trial_begin(&u);
        uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS];
        size_t n = 0;
        if (!err)
            err = run_selftest(&model, tokens, &n);
        if (!err)
            err = flm_update_trial_end(&u, tokens, n);
        if (err == FLM_ERR_UPDATE_SELFTEST) { /* given up: the previous model */
            flm_model_close(&model);
            return boot(ran);
        }
    }
    flm_model_close(&model);
    return err;
}

static uint32_t crc_of(const uint8_t *img)
{
    return flm_synth_rd32(img + 0x1C);
}

FLM_TEST(update_install_trial_confirm_rollback)
{
    size_t l1, l2;
    uint8_t *i1 = image(1, &l1), *i2 = image(2, &l2);
    FLM_CHECK(i1 && i2 && l1 <= SLOT_SECTORS * SECTOR);
    FLM_CHECK_EQ(fresh_device(), FLM_OK);
    flm_update_config_t c = config();
    FLM_CHECK_EQ(flm_update_init(&u, &c), FLM_OK);
    FLM_CHECK(!u.found && u.rec.active == FLM_UPDATE_FACTORY && u.rec.pending == -1);
    uint32_t ran = 1;
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, 0); /* nothing installed: the factory image */
    FLM_CHECK_EQ(flm_update_rollback(&u), FLM_ERR_STATE);

    FLM_CHECK_EQ(install(i1, l1, 700, NULL, 0), FLM_OK);
    FLM_CHECK(u.rec.pending == 0 && u.rec.slot[0].state == FLM_SLOT_READY && u.rec.active < 0);
    FLM_CHECK_MSG(u.rec.slot[0].n_tokens >= 1, "self-test tokens: %u", u.rec.slot[0].n_tokens);
    /* A restart reads the same record back. */
    FLM_CHECK_EQ(power_on(), FLM_OK);
    FLM_CHECK_EQ(flm_update_init(&u, &c), FLM_OK);
    FLM_CHECK(u.found && u.rec.pending == 0);
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, crc_of(i1));
    FLM_CHECK(u.rec.active == 0 && u.rec.pending == -1 && u.rec.slot[0].state == FLM_SLOT_GOOD);

    /* The second image goes to B; A keeps running until B is confirmed. */
    FLM_CHECK_EQ(install(i2, l2, 4096, NULL, 0), FLM_OK);
    FLM_CHECK(u.rec.pending == 1 && u.rec.active == 0);
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, crc_of(i2));
    FLM_CHECK(u.rec.active == 1 && u.rec.slot[0].state == FLM_SLOT_GOOD);
    /* Rollback: back to A, then to the factory image. */
    FLM_CHECK_EQ(flm_update_rollback(&u), FLM_OK);
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, crc_of(i1));
    FLM_CHECK_EQ(u.rec.event, FLM_UPDATE_EV_ROLLBACK);
    FLM_CHECK_EQ(flm_update_rollback(&u), FLM_OK);
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, 0);
    FLM_CHECK_EQ(sim.violations, 0);
    free(i1);
    free(i2);
}

FLM_TEST(update_selftest_failure_and_unconfirmed_boots_roll_back)
{
    size_t l1, l2;
    uint8_t *i1 = image(1, &l1), *i2 = image(2, &l2);
    FLM_CHECK(i1 && i2);
    FLM_CHECK_EQ(fresh_device(), FLM_OK);
    flm_update_config_t c = config();
    c.max_attempts = 2;
    FLM_CHECK_EQ(flm_update_init(&u, &c), FLM_OK);
    uint32_t ran;
    FLM_CHECK_EQ(install(i1, l1, 1000, NULL, 0), FLM_OK);
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, crc_of(i1));

    /* B installed with tokens its boot will not give: the self-test fails
     * on its first boot, B is given up, A runs. */
    FLM_CHECK_EQ(install(i2, l2, 1000, NULL, 0), FLM_OK);
    if (u.rec.slot[1].n_tokens == 0)
        u.rec.slot[1].n_tokens = 1;
    u.rec.slot[1].tokens[0] ^= 1;
    FLM_CHECK_EQ(flm_update_boot(&u, &model, false), FLM_OK);
    FLM_CHECK(u.trial && u.booted == 1);
    FLM_CHECK_EQ(flm_update_trial_begin(&u), FLM_OK);
    uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS];
    size_t n;
    FLM_CHECK_EQ(run_selftest(&model, tokens, &n), FLM_OK);
    FLM_CHECK_EQ(flm_update_trial_end(&u, tokens, n), FLM_ERR_UPDATE_SELFTEST);
    flm_model_close(&model);
    FLM_CHECK(u.rec.slot[1].state == FLM_SLOT_BAD && u.rec.event == FLM_UPDATE_EV_SELFTEST);
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, crc_of(i1));

    /* B again, with boots that never confirm (a hang, a crash): after
     * max_attempts the next boot gives it up. */
    FLM_CHECK_EQ(install(i2, l2, 1000, NULL, 0), FLM_OK);
    for (int i = 0; i < 2; i++) {
        FLM_CHECK_EQ(flm_update_boot(&u, &model, false), FLM_OK);
        FLM_CHECK(u.trial && u.booted == 1);
        FLM_CHECK_EQ(flm_update_trial_begin(&u), FLM_OK);
        flm_model_close(&model);
        FLM_CHECK_EQ(power_on(), FLM_OK);
        FLM_CHECK_EQ(flm_update_init(&u, &c), FLM_OK);
    }
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, crc_of(i1));
    FLM_CHECK(u.rec.slot[1].state == FLM_SLOT_BAD && u.rec.event == FLM_UPDATE_EV_ATTEMPTS);

    /* A's slot corrupted behind the device's back: boot gives it up too. */
    const uint8_t *a = mem + STORE_SECTORS * SECTOR;
    uint32_t at = 2000;
    while (a[at] == 0)
        at++;
    FLM_CHECK_EQ(fsl.flash.program(fsl.flash.ctx, at, "\0", 1), FLM_OK); /* bits cleared */
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, 0);
    FLM_CHECK(u.rec.slot[0].state == FLM_SLOT_BAD && u.rec.event == FLM_UPDATE_EV_OPEN);
    free(i1);
    free(i2);
}

/* Every image the install refuses leaves the running model as it was. */
FLM_TEST(update_refuses_bad_images)
{
    size_t l1, l2;
    uint8_t *i1 = image(1, &l1), *i2 = image(2, &l2);
    FLM_CHECK(i1 && i2);
    FLM_CHECK_EQ(fresh_device(), FLM_OK);
    flm_update_config_t c = config();
    FLM_CHECK_EQ(flm_update_init(&u, &c), FLM_OK);
    uint32_t ran;
    FLM_CHECK_EQ(install(i1, l1, 1000, NULL, 0), FLM_OK);
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, crc_of(i1));

    uint8_t *bad = malloc(l2);
    FLM_CHECK(bad != NULL);
    struct {
        const char *what;
        flm_err_t   want;
    } cases[] = {
        { "a flipped byte in the weights", FLM_ERR_MODEL_CRC },
        { "an unknown architecture", FLM_ERR_MODEL_ARCH },
        { "another major format version", FLM_ERR_MODEL_VERSION },
        { "not an image", FLM_ERR_MODEL_MAGIC },
        { "too big for the arena budget", FLM_ERR_UPDATE_BUDGET },
        { "larger than a slot", FLM_ERR_UPDATE_SLOT_SIZE },
        { "a signature that is not the key's", FLM_HAL_HAS_SIGNATURE ? FLM_ERR_UPDATE_SIGNATURE : FLM_ERR_UNSUPPORTED },
        { "no signature, one required", FLM_ERR_UPDATE_UNSIGNED },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(bad, i2, l2);
        flm_update_config_t ck = c;
        const void *sig = NULL;
        size_t sig_len = 0;
        static const uint8_t junk_sig[70] = { 0x30, 0x44, 0x02, 0x20, 1, 2, 3 };
        switch (k) {
        case 0: bad[l2 - 40] ^= 0x10; break;
        case 1: flm_synth_wr32(bad + 0x70, 7); flm_synth_fix_crc(bad, l2); break;
        case 2: bad[4] = 2; flm_synth_fix_crc(bad, l2); break;
        case 3: bad[0] = 'X'; break;
        case 4: ck.arena_max = 1000; break;
        case 5: flm_synth_wr64(bad + 0x10, (uint64_t)SLOT_SECTORS * SECTOR + 1); break;
        case 6: sig = junk_sig; sig_len = sizeof junk_sig; break;
        case 7: ck.require_signature = true; break;
        }
        FLM_CHECK_EQ(flm_update_init(&u, &ck), FLM_OK);
        flm_err_t err = install(bad, l2, 1000, sig, sig_len);
        FLM_CHECK_MSG(err == cases[k].want, "%s: %s, not %s", cases[k].what, flm_err_name(err),
                      flm_err_name(cases[k].want));
        FLM_CHECK(u.rec.pending == -1 && u.rec.active == 0);
        FLM_CHECK_EQ(flm_update_init(&u, &c), FLM_OK);
        FLM_CHECK_EQ(boot(&ran), FLM_OK);
        FLM_CHECK_MSG(ran == crc_of(i1), "%s: the running model changed", cases[k].what);
    }
    /* Writing out of order or past the image is refused, not done. */
    flm_update_install_t ins;
    FLM_CHECK_EQ(flm_update_install_begin(&u, i2, l2, &ins), FLM_OK);
    FLM_CHECK_EQ(flm_update_install_write(&u, &ins, i2, l2 + 1), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_update_install_verify(&u, &ins, NULL, 0, &model), FLM_ERR_UPDATE_INCOMPLETE);
    FLM_CHECK_EQ(flm_update_install_commit(&u, &ins, NULL, 0), FLM_ERR_STATE);
    FLM_CHECK_EQ(flm_update_install_begin(&u, i2, 100, &ins), FLM_ERR_MODEL_TRUNCATED);
    free(bad);
    free(i1);
    free(i2);
}

/* A boot record that does not decode (a future version, nonsense past its
 * CRC) is the factory state, not a crash. */
FLM_TEST(update_unreadable_record_is_factory)
{
    FLM_CHECK_EQ(fresh_device(), FLM_OK);
    flm_twin_t t;
    flm_twin_init(&t, &store_ops, "upd.0", "upd.1", 0x42554C46u);
    uint8_t p[140];
    bool found;
    FLM_CHECK_EQ(flm_twin_load(&t, p, sizeof p, &found), FLM_OK);
    uint32_t x = 5;
    for (int i = 0; i < 200; i++) {
        for (size_t j = 0; j < sizeof p; j++)
            p[j] = (uint8_t)flm_test_xorshift32(&x);
        if (i & 1)
            p[0] = 1; /* this version: the fields' checks must hold */
        FLM_CHECK_EQ(flm_twin_save(&t, p, sizeof p), FLM_OK);
        flm_update_config_t c = config();
        FLM_CHECK_EQ(flm_update_init(&u, &c), FLM_OK);
        uint32_t ran = 0;
        flm_err_t err = boot(&ran);
        FLM_CHECK_MSG(err == FLM_OK, "record %d: %s", i, flm_err_name(err));
        FLM_CHECK(u.booted == FLM_UPDATE_FACTORY);
    }
}

/* ---- power cuts -------------------------------------------------------------------- */

/* The update of A (image 1, confirmed) to image 2 and its first boot, as
 * one run that the power may cut anywhere. */
static flm_err_t update_run(const uint8_t *i2, size_t l2)
{
    flm_update_config_t c = config();
    flm_err_t err = flm_update_init(&u, &c);
    if (err)
        return err;
    err = install(i2, l2, 700, NULL, 0);
    uint32_t ran;
    return err ? err : boot(&ran);
}

FLM_TEST(update_cut_at_every_write_point)
{
    size_t l1, l2;
    uint8_t *i1 = image(1, &l1), *i2 = image(2, &l2);
    FLM_CHECK(i1 && i2);
    static uint8_t before[sizeof mem];
    FLM_CHECK_EQ(fresh_device(), FLM_OK);
    flm_update_config_t c = config();
    FLM_CHECK_EQ(flm_update_init(&u, &c), FLM_OK);
    uint32_t ran;
    FLM_CHECK_EQ(install(i1, l1, 1000, NULL, 0), FLM_OK);
    FLM_CHECK_EQ(boot(&ran), FLM_OK);
    FLM_CHECK_EQ(ran, crc_of(i1));
    memcpy(before, mem, sizeof mem);

    /* The whole update once, to count its units. */
    uint64_t u0 = sim.units;
    FLM_CHECK_EQ(update_run(i2, l2), FLM_OK);
    uint64_t total = sim.units - u0;
    FLM_CHECK(total > l2);

    long cuts = 0, old = 0, new_ = 0, resumed = 0;
    for (int mode = 0; mode < 2; mode++) {
        for (uint64_t k = 0; k <= total; k++) {
            memcpy(mem, before, sizeof mem);
            FLM_CHECK_EQ(power_on(), FLM_OK);
            flm_flash_sim_cut(&sim, k, (flm_flash_cut_mode_t)mode);
            flm_err_t err = update_run(i2, l2);
            if (!sim.dead) {
                FLM_CHECK_MSG(err == FLM_OK, "uncut at %llu: %s", (unsigned long long)k, flm_err_name(err));
                continue; /* past the end */
            }
            cuts++;
            /* Power back: the device must start on a verified model, the
             * old or the new one, and never the factory image. */
            FLM_CHECK_EQ(power_on(), FLM_OK);
            FLM_CHECK_EQ(flm_update_init(&u, &c), FLM_OK);
            err = boot(&ran);
            FLM_CHECK_MSG(err == FLM_OK, "cut %d/%llu: boot: %s", mode, (unsigned long long)k,
                          flm_err_name(err));
            FLM_CHECK_MSG(ran == crc_of(i1) || ran == crc_of(i2),
                          "cut %d/%llu: booted %08x", mode, (unsigned long long)k, (unsigned)ran);
            if (ran == crc_of(i1))
                old++;
            else
                new_++;
            /* The installer runs again and the update completes. */
            if (ran == crc_of(i1)) {
                flm_update_install_t ins;
                FLM_CHECK_EQ(flm_update_install_begin(&u, i2, l2, &ins), FLM_OK);
                resumed += ins.resumed && ins.offset > 0;
                FLM_CHECK_EQ(install(i2, l2, 700, NULL, 0), FLM_OK);
                FLM_CHECK_EQ(boot(&ran), FLM_OK);
            }
            FLM_CHECK_MSG(ran == crc_of(i2) && u.rec.active == 1 && u.rec.slot[0].state == FLM_SLOT_GOOD,
                          "cut %d/%llu: the update did not complete", mode, (unsigned long long)k);
            FLM_CHECK_EQ(sim.violations, 0);
        }
    }
    printf("    update cut points: %ld (%llu units, both ways): %ld booted the old model, %ld the new; "
           "%ld installs resumed\n", cuts, (unsigned long long)total, old, new_, resumed);
    FLM_CHECK(cuts >= 2 * (long)total);
    FLM_CHECK(resumed > 0 && old > 0 && new_ > 0);
    free(i1);
    free(i2);
}
