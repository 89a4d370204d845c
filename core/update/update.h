/*
 * Safe model update in the field: two model slots (A/B, core/hal/hal_slots.h)
 * beside the image the device shipped with (the factory image: a firmware's
 * linked image, a host's [model] path), and a boot record in the record
 * store that says which one runs.
 *
 *   install:  begin -> write ... write -> verify -> (self-test run) -> commit
 *   boot:     boot (opens the model to run) -> trial_begin -> self-test -> trial_end
 *
 * ---- the boot record ------------------------------------------------------
 * One twin record (core/guard/store.h, keys upd.0 / upd.1), so a cut at any
 * byte of a save leaves the record before it or after it. It holds the
 * active slot (the confirmed one, or none: the factory image), the pending
 * one (verified and installed, to be tried at the next boot), the attempts
 * made at the pending one, and per slot its state, the image's identity
 * (image_size, image_crc, header_crc from its header), the bytes written so
 * far and the self-test's expected tokens.
 *
 * ---- install --------------------------------------------------------------
 * begin takes the new image's 128-byte header and picks the slot that is
 * not active. If the record already has that image half written there, the
 * install resumes where the record says (ins.offset); otherwise the slot is
 * marked WRITING (saved) and erased. write streams the image in order; every
 * checkpoint_bytes the slot is synced and the progress saved, so a power
 * cut costs at most that much. verify checks, once all is written: the
 * loader's full validation (magic, format major version, architecture,
 * structure, CRC-32 of the whole image), that it is the image begin was
 * given, that it takes the device's context (ctx_len, at most its
 * seq_len) and the engine's arena for it fits arena_max (the board's budget), and the signature (hal_sig.h) when one is given or
 * required. A failed check marks the slot BAD; nothing else changes. commit
 * stores the self-test's expected tokens and makes the slot pending.
 *
 * ---- the self-test --------------------------------------------------------
 * The fixed prompt is BOS alone and the test the first FLM_UPDATE_SELFTEST_TOKENS
 * greedy tokens (flm_update_selftest). The expected tokens are the
 * installer's own run of the verified image, kept in the slot's metadata in
 * the boot record, not in the image: format 1.2 has no section for them
 * (new tensor kinds are ignored by old loaders, but an image would then
 * have to be run once more after conversion to stamp its own output), and
 * the installer runs on the device with the firmware that will boot the
 * image, so the tokens are this engine's. At boot the same run must give
 * the same tokens from the slot's bytes.
 *
 * ---- boot -----------------------------------------------------------------
 * boot opens the model to run: the pending slot if there is one and it has
 * had fewer than max_attempts attempts, verified in full (trial), else the
 * active slot, else none (the caller opens the factory image). A slot that
 * fails to open is marked BAD and the next choice taken, so what boot
 * returns has always passed the loader's checks. trial_begin counts an
 * attempt before the model runs (a crash or hang in it costs one); trial_end
 * with the self-test's tokens confirms the slot (it becomes active) or
 * marks it BAD, after which boot gives the previous model. A boot that
 * never confirms rolls back after max_attempts.
 *
 * Nothing here allocates; the record and the slots are the caller's store
 * and device.
 */
#ifndef FLM_UPDATE_H
#define FLM_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/guard/store.h"
#include "core/hal/hal_slots.h"
#include "core/infer/engine.h"
#include "core/model/model.h"

#define FLM_UPDATE_SELFTEST_TOKENS 8u
#define FLM_UPDATE_FACTORY         (-1) /* no slot: the image the device shipped with */
#define FLM_UPDATE_CHECKPOINT      (64u * 1024u) /* default progress interval, bytes */
#define FLM_UPDATE_ATTEMPTS        3u

typedef enum {
    FLM_SLOT_EMPTY   = 0,
    FLM_SLOT_WRITING = 1, /* an install is under way (or was cut) */
    FLM_SLOT_READY   = 2, /* written and verified, not yet confirmed by a boot */
    FLM_SLOT_GOOD    = 3, /* booted and passed its self-test */
    FLM_SLOT_BAD     = 4, /* failed a check, its self-test, or never confirmed */
} flm_slot_state_t;

/* Why the last slot was given up (status shows it). */
typedef enum {
    FLM_UPDATE_EV_NONE = 0,
    FLM_UPDATE_EV_VERIFY,     /* the install's checks refused the image */
    FLM_UPDATE_EV_OPEN,       /* it no longer opened at boot (corrupted) */
    FLM_UPDATE_EV_SELFTEST,   /* its self-test gave other tokens */
    FLM_UPDATE_EV_ATTEMPTS,   /* max_attempts boots without a confirmation */
    FLM_UPDATE_EV_ROLLBACK,   /* asked for (flm_update_rollback) */
} flm_update_event_t;

typedef struct {
    uint8_t  state;     /* flm_slot_state_t */
    bool     signed_ok; /* a signature was checked at install */
    uint8_t  n_tokens;
    uint32_t seq;       /* install number */
    uint64_t size;      /* the image's image_size */
    uint64_t written;   /* bytes written and synced (WRITING) */
    uint32_t image_crc, header_crc;
    uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS];
} flm_slot_info_t;

typedef struct {
    int      active;   /* 0, 1, or FLM_UPDATE_FACTORY */
    int      pending;  /* 0, 1, or -1: none */
    uint32_t attempts; /* boots of the pending slot begun */
    uint32_t seq;      /* installs begun */
    uint8_t  event;    /* flm_update_event_t of the last slot given up */
    int      event_slot;
    flm_slot_info_t slot[FLM_SLOT_COUNT];
} flm_boot_record_t;

/* [update] */
typedef struct {
    char     slots_dir[FLM_RUNTIME_PATH_MAX]; /* hosts: where the slot files live; "" none */
    bool     require_signature;
    uint32_t max_attempts;   /* 1..16 */
    uint32_t arena_max;      /* bytes the engine may take; 0: no limit */
    uint32_t checkpoint_kib; /* progress saved every this many KiB */
} flm_update_settings_t;

void flm_update_settings_init(flm_update_settings_t *s);
#if FLM_CFG_DEVICE_FILE
#include "core/base/ini.h"
extern const flm_ini_section_t flm_update_ini_section;
#endif

typedef struct {
    const flm_store_t    *store;  /* the boot record's; NULL: the HAL's */
    const flm_slot_dev_t *dev;
    uint32_t max_attempts;        /* 0: FLM_UPDATE_ATTEMPTS */
    bool     require_signature;
    uint64_t arena_max;           /* 0: no limit */
    uint32_t ctx_len;             /* positions the budget is checked at; 0: the model's seq_len */
    uint32_t checkpoint_bytes;    /* 0: FLM_UPDATE_CHECKPOINT */
} flm_update_config_t;

typedef struct {
    flm_update_config_t cfg;
    flm_slot_dev_t      dev;
    flm_twin_t          twin;
    flm_boot_record_t   rec;
    bool                found;    /* a record was in the store */
    int                 mapped;   /* slot mapped by boot or verify, -1 none */
    int                 booted;   /* the slot boot opened, or FLM_UPDATE_FACTORY */
    bool                trial;    /* it is the pending slot, on trial */
    char                detail[FLM_MODEL_DETAIL_MAX + 64];
} flm_update_t;

/* Load the boot record (none yet: every slot empty, the factory image
 * active). FLM_ERR_IO and friends from the store. */
flm_err_t flm_update_init(flm_update_t *u, const flm_update_config_t *cfg);
void      flm_update_deinit(flm_update_t *u); /* unmaps what boot or verify mapped */

/* ---- install ---- */
typedef struct {
    int      slot;
    uint64_t offset;   /* where the caller's next write goes (a resume starts past 0) */
    uint64_t size;     /* the image's bytes */
    uint64_t synced;   /* progress saved in the record */
    bool     resumed;
} flm_update_install_t;

/* header: the image's first FLM_IMG_HEADER_SIZE (128) bytes or more.
 * FLM_ERR_MODEL_MAGIC / _TRUNCATED / _VERSION for what is not an image,
 * FLM_ERR_UPDATE_SLOT_SIZE if it cannot fit a slot. */
flm_err_t flm_update_install_begin(flm_update_t *u, const void *header, size_t n,
                                   flm_update_install_t *ins);
flm_err_t flm_update_install_write(flm_update_t *u, flm_update_install_t *ins, const void *data,
                                   size_t n);
/* The checks (above) on the written slot; on success m is open on it (for
 * the installer's self-test run) until commit or deinit. sig may be NULL. */
flm_err_t flm_update_install_verify(flm_update_t *u, flm_update_install_t *ins, const void *sig,
                                    size_t sig_len, flm_model_t *m);
/* The slot becomes pending with these expected self-test tokens. */
flm_err_t flm_update_install_commit(flm_update_t *u, flm_update_install_t *ins,
                                    const uint32_t *tokens, size_t n);

/* ---- boot ---- */
/* Open m on the model to run (see above); u->booted says which (FLM_UPDATE_FACTORY:
 * m is not opened, the caller opens its own image) and u->trial whether it
 * must pass its self-test. verify_header: open the active slot with the
 * header CRC only ([model] verify = header); a pending slot is always
 * checked in full. */
flm_err_t flm_update_boot(flm_update_t *u, flm_model_t *m, bool verify_header);
flm_err_t flm_update_trial_begin(flm_update_t *u);
/* FLM_OK: confirmed. FLM_ERR_UPDATE_SELFTEST: tokens differ, the slot is
 * BAD and m must be closed and flm_update_boot called again. */
flm_err_t flm_update_trial_end(flm_update_t *u, const uint32_t *tokens, size_t n);
/* The trial could not even run (the engine refused the model, the
 * self-test failed to step): the slot is given up for `why`, as above;
 * FLM_ERR_UPDATE_SELFTEST unless the record cannot be saved. */
flm_err_t flm_update_trial_fail(flm_update_t *u, flm_update_event_t why);

/* Go back: a pending slot is no longer tried; else the active slot gives
 * way to the other one if it is GOOD, or to the factory image. FLM_ERR_STATE
 * when there is nothing to go back to. */
flm_err_t flm_update_rollback(flm_update_t *u);

/* The self-test run on e: BOS, then up to FLM_UPDATE_SELFTEST_TOKENS
 * greedy tokens (fewer if the model ends its text), into tokens; *n says
 * how many. e's sampler settings are put back afterwards and its session
 * ended (the next start begins afresh). Needs a context of at least
 * FLM_UPDATE_SELFTEST_TOKENS + 1 positions. */
flm_err_t flm_update_selftest(flm_engine_t *e, uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS], size_t *n);

const char *flm_update_slot_name(int slot);   /* "A", "B", "factory" */
const char *flm_update_state_name(uint32_t state);
const char *flm_update_event_name(uint32_t event);

#endif /* FLM_UPDATE_H */
