/*
 * The A/B model update on the board itself (core/update/update.h over the
 * MPS2 NOR part: the boot record in the flash store, the slots beside it),
 * run by `--update-selftest` under QEMU (tests/sh/cortexm_update.sh). The
 * linked model image is the "new" image, streamed into a slot from flash
 * in 4 KiB chunks as it would arrive over a link. Then: the first boot runs
 * it on trial and confirms it; a corrupted copy, an image over the arena
 * budget, and a slot whose self-test gives other tokens are refused or
 * rolled back; and updates from slot to slot are cut at points spread over
 * their units (programmed bytes, erase steps, record saves, both ways):
 * after each cut the board must boot a slot that passed the loader's full
 * check, never the factory image, and the update then complete. The host
 * test (tests/unit/update/test_update.c) cuts at every unit; this shows
 * the same code does the same on the target.
 */
#include <string.h>

#include "boards/common/mps2/board.h"
#include "core/base/fmt.h"
#include "core/hal/hal.h"
#include "core/update/update.h"

#define CHUNK  4096u
#define N_CUTS 24u /* spread over an update's units */
#define N_TAIL 16u /* and over its last TAIL units: verify, self-test, commit, first boot */
#define TAIL   1024u

#define FAIL(...)                                                 \
    do {                                                          \
        flm_hal_log(FLM_LOG_ERROR, "update selftest: " __VA_ARGS__); \
        return 1;                                                 \
    } while (0)

static flm_update_t   u;
static flm_slot_dev_t dev;
static flm_model_t    model;
static flm_engine_t   engine;

static void    *arena;
static size_t   arena_bytes;
static const uint8_t *img;
static size_t   img_len;
static long     corrupt_at = -1; /* stream a copy with this byte flipped */
static uint32_t budget;          /* arena_max; 0: arena_bytes */

static uint64_t units_now(void)
{
    flm_board_store_info_t info;
    flm_board_store_info(&info);
    return info.units;
}

static bool power_lost(void)
{
    flm_board_store_info_t info;
    flm_board_store_info(&info);
    return info.dead;
}

static flm_err_t init(void)
{
    flm_err_t err = flm_hal_slots_open("", &dev);
    flm_update_config_t c = { .dev = &dev, .arena_max = budget ? budget : arena_bytes,
                              .ctx_len = FLM_BOARD_CTX_LEN };
    return err ? err : flm_update_init(&u, &c);
}

static flm_err_t selftest(const flm_model_t *m, uint32_t *tokens, size_t *n)
{
    flm_engine_config_t ec = { .ctx_len = FLM_BOARD_CTX_LEN };
    flm_arena_t a;
    flm_arena_init(&a, arena, arena_bytes);
    flm_err_t err = flm_engine_init(&engine, m, &ec, &a);
    if (err)
        return err;
    err = flm_update_selftest(&engine, tokens, n);
    flm_engine_deinit(&engine);
    return err;
}

/* Stream the image into the inactive slot (or on from where the record
 * says), verify it, run its self-test, commit. */
static flm_err_t install(uint32_t *tokens, size_t *n)
{
    flm_update_install_t ins;
    flm_err_t err = flm_update_install_begin(&u, img, img_len, &ins);
    while (!err && ins.offset < ins.size) {
        size_t k = ins.size - ins.offset < CHUNK ? (size_t)(ins.size - ins.offset) : CHUNK;
        uint64_t bad = (uint64_t)corrupt_at;
        if (corrupt_at >= 0 && bad >= ins.offset && bad < ins.offset + k) {
            /* the chunk as a link would have damaged it: one byte flipped */
            uint8_t b = img[bad] ^ 0x40u;
            size_t before = (size_t)(bad - ins.offset);
            err = flm_update_install_write(&u, &ins, img + ins.offset, before);
            if (!err)
                err = flm_update_install_write(&u, &ins, &b, 1);
            k -= before + 1;
        }
        if (!err)
            err = flm_update_install_write(&u, &ins, img + ins.offset, k);
    }
    if (!err)
        err = flm_update_install_verify(&u, &ins, NULL, 0, &model);
    if (err)
        return err;
    err = selftest(&model, tokens, n);
    flm_model_close(&model);
    return err ? err : flm_update_install_commit(&u, &ins, tokens, *n);
}

/* One start: the slot boot gives, on trial through its self-test. */
static flm_err_t boot(void)
{
    flm_err_t err = flm_update_boot(&u, &model, false);
    if (err || u.booted < 0)
        return err;
    if (u.trial) {
        uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS];
        size_t n = 0;
        err = flm_update_trial_begin(&u);
        if (!err)
            err = selftest(&model, tokens, &n);
        if (!err)
            err = flm_update_trial_end(&u, tokens, n);
        if (err == FLM_ERR_UPDATE_SELFTEST) {
            flm_model_close(&model);
            return boot();
        }
    }
    flm_model_close(&model);
    return err;
}

static flm_err_t update_run(void)
{
    uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS];
    size_t n = 0;
    flm_err_t err = init();
    if (!err)
        err = install(tokens, &n);
    return err ? err : boot();
}

int flm_board_update_selftest(void *arena_mem, size_t arena_size, const uint8_t *image, size_t len)
{
    arena = arena_mem;
    arena_bytes = arena_size;
    img = image;
    img_len = len;
    if (flm_board_slots_wipe() != FLM_OK || flm_board_store_wipe() != FLM_OK || init() != FLM_OK)
        FAIL("no flash part");
    if (boot() != FLM_OK || u.booted != FLM_UPDATE_FACTORY)
        FAIL("a new board must run its factory image");

    /* Install into A, boot it on trial, confirm. */
    uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS];
    size_t n = 0;
    flm_err_t err = install(tokens, &n);
    if (err)
        FAIL("install: %s: %s", flm_strerror(err), u.detail);
    if (u.rec.pending != 0 || flm_board_store_reset() != FLM_OK || init() != FLM_OK || boot() != FLM_OK ||
        u.booted != 0 || u.rec.active != 0)
        FAIL("slot A was not confirmed at its first boot");
    char line[160];
    size_t at = flm_snprintf(line, sizeof line, "update: slot A installed from flash in %u-byte chunks "
                             "and confirmed at boot; self-test tokens", CHUNK);
    for (size_t i = 0; i < n && at < sizeof line; i++)
        at += flm_snprintf(line + at, sizeof line - at, " %u", (unsigned)tokens[i]);
    flm_hal_log(FLM_LOG_INFO, "%s", line);

    /* Refused: a corrupted copy, and the image over a smaller budget. */
    corrupt_at = (long)(len - 64);
    err = install(tokens, &n);
    corrupt_at = -1;
    if (err != FLM_ERR_MODEL_CRC || u.rec.active != 0 || u.rec.pending != -1)
        FAIL("a corrupted image: %s", flm_strerror(err));
    budget = 4096;
    if (init() != FLM_OK || (err = install(tokens, &n)) != FLM_ERR_UPDATE_BUDGET || u.rec.active != 0)
        FAIL("an image over the budget: %s", flm_strerror(err));
    budget = 0;
    /* Rolled back: B's self-test at boot gives other tokens than recorded. */
    if (init() != FLM_OK || install(tokens, &n) != FLM_OK || u.rec.pending != 1)
        FAIL("install into B");
    u.rec.slot[1].tokens[0] ^= 1;
    if (u.rec.slot[1].n_tokens == 0)
        u.rec.slot[1].n_tokens = 1;
    if (boot() != FLM_OK || u.booted != 0 || u.rec.slot[1].state != FLM_SLOT_BAD ||
        u.rec.event != FLM_UPDATE_EV_SELFTEST)
        FAIL("a failed self-test did not roll back to A");
    flm_hal_log(FLM_LOG_INFO, "update: refused a corrupted image (CRC) and one over the arena budget; "
                "a failed self-test rolled back to slot A");

    /* Power cuts. One uncut update (into B) counts its units. */
    uint64_t u0 = units_now();
    if (update_run() != FLM_OK || u.rec.active != 1)
        FAIL("the uncut update");
    uint64_t total = units_now() - u0;
    uint32_t cuts = 0, resumed = 0, on_old = 0, on_new = 0;
    for (uint32_t i = 0; i < N_CUTS + N_TAIL; i++) {
        int from = u.rec.active, to = 1 - from;
        uint64_t k = i < N_CUTS ? total * (2u * i + 1u) / (2u * N_CUTS)
                                : total - TAIL + TAIL * (i - N_CUTS) / N_TAIL;
        flm_board_store_cut(k, (i & 1u) != 0);
        err = update_run();
        if (!power_lost()) {
            if (err || u.rec.active != to)
                FAIL("cut %u: the update ran past the cut and failed: %s", (unsigned)i, flm_strerror(err));
            continue;
        }
        cuts++;
        if (flm_board_store_reset() != FLM_OK || init() != FLM_OK)
            FAIL("cut %u: no flash after the cut", (unsigned)i);
        err = boot();
        if (err || (u.booted != from && u.booted != to))
            FAIL("cut %u at unit %u: booted %s (%s)", (unsigned)i, (unsigned)k,
                 flm_update_slot_name(u.booted), flm_strerror(err));
        if (u.booted == from) {
            on_old++;
            flm_update_install_t ins;
            if (flm_update_install_begin(&u, img, img_len, &ins) != FLM_OK)
                FAIL("cut %u: the installer cannot begin again", (unsigned)i);
            resumed += ins.resumed && ins.offset > 0;
            err = install(tokens, &n);
            if (!err)
                err = boot();
        } else {
            on_new++;
        }
        if (err || u.rec.active != to)
            FAIL("cut %u at unit %u: the update did not complete (%s)", (unsigned)i, (unsigned)k,
                 flm_strerror(err));
    }
    flm_board_store_info_t info;
    flm_board_store_info(&info);
    if (cuts < N_CUTS || !on_old || !on_new || !resumed || info.violations)
        FAIL("%u cuts (%u old, %u new, %u resumed), %u NOR violations", (unsigned)cuts, (unsigned)on_old,
             (unsigned)on_new, (unsigned)resumed, (unsigned)info.violations);
    flm_hal_log(FLM_LOG_INFO, "update on the flash part: %u cuts in %u units, every boot on a verified "
                "slot (%u the old, %u the new), %u installs resumed, each update completed",
                (unsigned)cuts, (unsigned)total, (unsigned)on_old, (unsigned)on_new, (unsigned)resumed);
    return flm_board_slots_wipe() == FLM_OK && flm_board_store_wipe() == FLM_OK ? 0 : 1;
}
