/* fieldlm model: the device's A/B model slots (core/update/update.h):
 * install a new image into the inactive slot, show the boot record, go
 * back to the previous model. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/fmt.h"
#include "core/base/strdist.h"
#include "core/hal/hal.h"
#include "core/model/model_format.h"
#include "core/runtime/runtime.h"
#include "tools/cli/cli.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "model", "install IMAGE|status|rollback -c CONFIG [--sig FILE]",
    "The model slots of CONFIG's [update] section (slots_dir; the boot record\n"
    "is in the record store: $FLM_STORE_DIR, else ./.fieldlm-store):\n"
    "  install IMAGE  write IMAGE into the slot that is not running, in chunks\n"
    "                 (an install cut by a power loss resumes where it was),\n"
    "                 verify it (CRC, format version, architecture, that the\n"
    "                 engine fits [update] arena_max at [model] context, the\n"
    "                 signature), record its self-test tokens, and make it the\n"
    "                 model of the next start, on trial: it must pass its\n"
    "                 self-test there, or the device goes back to the model\n"
    "                 before it. IMAGE.router beside it goes with it.\n"
    "  status         the running slot, the one on trial, and each slot\n"
    "  rollback       go back to the previous model now\n",
    "--sig FILE is a detached ECDSA P-256 signature of IMAGE (DER, as\n"
    "`openssl dgst -sha256 -sign KEY.pem -out FILE IMAGE` writes it), checked\n"
    "against the key built into this program.\n"
    "Exit status: 0 done, 1 failed (an image refused: the running model is\n"
    "untouched), 2 bad usage.\n",
};

typedef struct {
    flm_device_settings_t settings;
    flm_slot_dev_t        dev;
    flm_update_t          u;
    char                  text[FLM_RUNTIME_CONFIG_MAX];
} device_t;

static int fail(const char *what, flm_err_t err, const char *detail)
{
    fprintf(stderr, "fieldlm model: %s: %s%s%s\n", what, flm_strerror(err), detail[0] ? ": " : "",
            detail);
    return FLM_EXIT_FAIL;
}

/* The device file's [model] and [update], the slots and the boot record. */
static int open_device(device_t *d, const char *config)
{
    flm_err_t err = flm_hal_init();
    if (err)
        return fail("platform", err, "");
    size_t len = 0;
    err = flm_hal_file_read(config, d->text, sizeof d->text, &len);
    if (err)
        return fail(config, err, "");
    flm_ini_error_t ie;
    err = flm_device_settings_parse(&d->settings, d->text, len, NULL, &ie);
    if (err) {
        char msg[FLM_RUNTIME_DETAIL_MAX];
        flm_ini_error_format(&ie, config, msg, sizeof msg);
        fprintf(stderr, "fieldlm model: %s\n", msg);
        return FLM_EXIT_FAIL;
    }
    const flm_update_settings_t *us = &d->settings.update;
    if (!d->settings.has_update || !us->slots_dir[0]) {
        fprintf(stderr, "fieldlm model: %s: no [update] slots_dir: the device has no model slots\n",
                config);
        return FLM_EXIT_FAIL;
    }
    err = flm_hal_slots_open(us->slots_dir, &d->dev);
    if (err)
        return fail(us->slots_dir, err, "");
    flm_update_config_t uc = {
        .dev = &d->dev,
        .max_attempts = us->max_attempts,
        .require_signature = us->require_signature,
        .arena_max = us->arena_max,
        .ctx_len = d->settings.model.context,
        .checkpoint_bytes = us->checkpoint_kib * 1024u,
    };
    err = flm_update_init(&d->u, &uc);
    if (err)
        return fail("the boot record", err, "");
    return FLM_EXIT_OK;
}

/* ---- install ---------------------------------------------------------------- */

static int read_sig(const char *path, uint8_t *sig, size_t *n)
{
    FILE *f = flm_cli_open_read("model", path);
    if (!f)
        return FLM_EXIT_FAIL;
    *n = fread(sig, 1, FLM_SIG_MAX + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad || *n == 0 || *n > FLM_SIG_MAX) {
        fprintf(stderr, "fieldlm model: %s: not a signature (%s)\n", path,
                bad ? flm_cli_errno_text(errno) : *n ? "too long" : "empty");
        return FLM_EXIT_FAIL;
    }
    return FLM_EXIT_OK;
}

/* The installer's own run of the verified image: the tokens its first boot
 * must give again. */
static int selftest(device_t *d, const flm_model_t *m, uint32_t *tokens, size_t *n)
{
    flm_engine_config_t ec = { .ctx_len = d->settings.model.context };
    if (!ec.ctx_len || ec.ctx_len > m->cfg.seq_len)
        ec.ctx_len = m->cfg.seq_len;
    size_t need = 0;
    flm_err_t err = flm_engine_ram(m, &ec, &need);
    void *mem = err ? NULL : malloc(need);
    if (!err && !mem)
        err = FLM_ERR_NOMEM;
    static flm_engine_t e;
    flm_arena_t arena;
    if (!err) {
        flm_arena_init(&arena, mem, need);
        err = flm_engine_init(&e, m, &ec, &arena);
        if (!err) {
            err = flm_update_selftest(&e, tokens, n);
            flm_engine_deinit(&e);
        }
    }
    free(mem);
    return err ? fail("the self-test run", err, "") : FLM_EXIT_OK;
}

/* IMAGE.router beside the image goes with it (slot-X.router); none, and a
 * stale one from the slot's last image is removed. */
static int copy_router(device_t *d, const char *image, int slot)
{
    char src[FLM_RUNTIME_PATH_MAX + 16], dst[FLM_RUNTIME_PATH_MAX + 16];
    size_t n = strlen(image);
    if (n > 4 && strcmp(image + n - 4, ".flm") == 0)
        n -= 4;
    flm_snprintf(src, sizeof src, "%.*s.router", (int)n, image);
    flm_snprintf(dst, sizeof dst, "%s/slot-%c.router", d->settings.update.slots_dir,
                 slot == 0 ? 'a' : 'b');
    static char buf[FLM_ROUTER_PARAMS_BYTES + 1];
    size_t len = 0;
    flm_err_t err = flm_hal_file_read(src, buf, sizeof buf, &len);
    if (err == FLM_ERR_NOT_FOUND) {
        if (unlink(dst) != 0 && errno != ENOENT)
            return fail(dst, FLM_ERR_IO, flm_cli_errno_text(errno));
        return FLM_EXIT_OK;
    }
    if (err)
        return fail(src, err, "");
    return flm_cli_write_file("model", dst, buf, len) == 0 ? FLM_EXIT_OK : FLM_EXIT_FAIL;
}

static int install(device_t *d, const char *image, const char *sig_path)
{
    static uint8_t sig[FLM_SIG_MAX + 1];
    size_t sig_len = 0;
    if (sig_path && read_sig(sig_path, sig, &sig_len) != FLM_EXIT_OK)
        return FLM_EXIT_FAIL;
    FILE *f = flm_cli_open_read("model", image);
    if (!f)
        return FLM_EXIT_FAIL;
    static uint8_t chunk[64 * 1024];
    size_t got = fread(chunk, 1, FLM_IMG_HEADER_SIZE, f);
    flm_update_install_t ins;
    flm_err_t err = flm_update_install_begin(&d->u, chunk, got, &ins);
    if (err) {
        fclose(f);
        return fail(image, err, d->u.detail);
    }
    if (ins.resumed)
        fprintf(stderr, "fieldlm model: slot %s: resuming the install at byte %llu of %llu\n",
                flm_update_slot_name(ins.slot), (unsigned long long)ins.offset,
                (unsigned long long)ins.size);
    if (ins.offset > (uint64_t)INT64_MAX || fseeko(f, (off_t)ins.offset, SEEK_SET) != 0) {
        fclose(f);
        return fail(image, FLM_ERR_IO, flm_cli_errno_text(errno));
    }
    while (!err && ins.offset < ins.size) {
        uint64_t left = ins.size - ins.offset;
        size_t want = left < sizeof chunk ? (size_t)left : sizeof chunk;
        got = fread(chunk, 1, want, f);
        if (got == 0) {
            char why[96];
            flm_snprintf(why, sizeof why, "the file ends at byte %llu of its %llu",
                         (unsigned long long)ins.offset, (unsigned long long)ins.size);
            bool bad = ferror(f) != 0;
            int e = errno;
            fclose(f);
            return fail(image, FLM_ERR_MODEL_TRUNCATED, bad ? flm_cli_errno_text(e) : why);
        }
        err = flm_update_install_write(&d->u, &ins, chunk, got);
        flm_cli_progress("installing into slot %s: %llu%%", flm_update_slot_name(ins.slot),
                         (unsigned long long)(ins.offset * 100 / ins.size));
    }
    flm_cli_progress_end();
    fclose(f);
    if (err)
        return fail(image, err, d->u.detail);
    static flm_model_t m;
    err = flm_update_install_verify(&d->u, &ins, sig_path ? sig : NULL, sig_len, &m);
    if (err) {
        fprintf(stderr, "fieldlm model: %s: refused: %s: %s (slot %s marked bad; the running model "
                "is unchanged)\n", image, flm_strerror(err), d->u.detail, flm_update_slot_name(ins.slot));
        return FLM_EXIT_FAIL;
    }
    uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS];
    size_t n = 0;
    int rc = selftest(d, &m, tokens, &n);
    uint32_t arch = m.arch;
    flm_model_close(&m);
    if (rc == FLM_EXIT_OK)
        rc = copy_router(d, image, ins.slot);
    if (rc != FLM_EXIT_OK)
        return rc;
    err = flm_update_install_commit(&d->u, &ins, tokens, n);
    if (err)
        return fail("the boot record", err, "");
    printf("slot %s: %s installed (%llu bytes, %s, CRC ok%s); it runs from the next start, on trial; "
           "self-test tokens", flm_update_slot_name(ins.slot), image, (unsigned long long)ins.size,
           flm_model_arch_name(arch), sig_path ? ", signature ok" : "");
    for (size_t i = 0; i < n; i++)
        printf(" %u", (unsigned)tokens[i]);
    printf("\n");
    return FLM_EXIT_OK;
}

/* ---- status, rollback ------------------------------------------------------- */

static void status(const device_t *d)
{
    const flm_boot_record_t *r = &d->u.rec;
    printf("running: %s\n", flm_update_slot_name(r->active));
    if (r->pending >= 0)
        printf("on trial: %s (%u of %u attempts made)\n", flm_update_slot_name(r->pending),
               (unsigned)r->attempts, (unsigned)d->u.cfg.max_attempts);
    else
        printf("on trial: none\n");
    for (int s = 0; s < (int)FLM_SLOT_COUNT; s++) {
        const flm_slot_info_t *si = &r->slot[s];
        printf("slot %s: %s", flm_update_slot_name(s), flm_update_state_name(si->state));
        if (si->state != FLM_SLOT_EMPTY) {
            printf(", install %u, %llu bytes, image crc %08x", (unsigned)si->seq,
                   (unsigned long long)si->size, (unsigned)si->image_crc);
            if (si->state == FLM_SLOT_WRITING)
                printf(", %llu written", (unsigned long long)si->written);
            if (si->signed_ok)
                printf(", signed");
            if (si->state >= FLM_SLOT_READY && si->state <= FLM_SLOT_GOOD) {
                printf(", self-test tokens");
                for (uint32_t i = 0; i < si->n_tokens; i++)
                    printf(" %u", (unsigned)si->tokens[i]);
            }
        }
        printf("\n");
    }
    if (r->event != FLM_UPDATE_EV_NONE)
        printf("last given up: slot %s, %s\n", flm_update_slot_name(r->event_slot),
               flm_update_event_name(r->event));
}

FLM_CLI_COMMAND(model, "A/B model slots: install a new image safely, status, rollback")
{
    const char *config = NULL, *sig = NULL;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('c', "config", &config, "FILE", "device configuration with [update] slots_dir"),
        FLM_OPT_STR(0, "sig", &sig, "FILE", "install: the image's detached signature (DER)"),
        FLM_OPT_END
    };
    const char *pos[2];
    int npos, rc = flm_opt_parse(&doc, opts, argc, argv, pos, 2, &npos);
    if (rc != FLM_OPT_CONTINUE)
        return rc;
    if (npos == 0)
        return flm_cli_usage_error("model", "say install IMAGE, status or rollback");
    const char *what = pos[0];
    bool is_install = strcmp(what, "install") == 0;
    if (!is_install && strcmp(what, "status") != 0 && strcmp(what, "rollback") != 0) {
        static const char *const actions[] = { "install", "status", "rollback" };
        for (size_t i = 0; i < 3; i++)
            if (flm_strdist(what, strlen(what), actions[i], strlen(actions[i]), 3) <= 2)
                return flm_cli_usage_error("model", "unknown action '%s' (did you mean '%s'?)", what,
                                           actions[i]);
        return flm_cli_usage_error("model", "unknown action '%s' (install, status, rollback)", what);
    }
    if (is_install != (npos == 2))
        return flm_cli_usage_error("model", is_install ? "install needs the IMAGE to install"
                                                       : "%s takes no IMAGE", what);
    if (sig && !is_install)
        return flm_cli_usage_error("model", "--sig goes with install");
    if (!config)
        return flm_cli_usage_error("model", "-c CONFIG is required");
    static device_t d;
    rc = open_device(&d, config);
    if (rc == FLM_EXIT_OK) {
        if (is_install) {
            rc = install(&d, pos[1], sig);
        } else if (strcmp(what, "status") == 0) {
            status(&d);
        } else {
            flm_err_t err = flm_update_rollback(&d.u);
            if (err == FLM_ERR_STATE) {
                fprintf(stderr, "fieldlm model: nothing to go back to: the factory image runs\n");
                rc = FLM_EXIT_FAIL;
            } else if (err) {
                rc = fail("the boot record", err, "");
            } else {
                printf("running from the next start: %s\n", flm_update_slot_name(d.u.rec.active));
            }
        }
    }
    fflush(stdout);
    flm_update_deinit(&d.u);
    flm_device_settings_deinit(&d.settings);
    return rc;
}
