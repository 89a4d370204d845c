/* Writing a new image to the inactive slot, resumable, and its checks
 * (core/update/update.h). */
#include "core/update/update.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/fmt.h"
#include "core/hal/hal_sig.h"
#include "core/model/model_format.h"
#include "core/update/priv/update_record.h"

#define detail(u, ...) flm_snprintf((u)->detail, sizeof (u)->detail, __VA_ARGS__)

static bool same_image(const flm_slot_info_t *s, uint64_t size, uint32_t image_crc,
                       uint32_t header_crc)
{
    return s->size == size && s->image_crc == image_crc && s->header_crc == header_crc;
}

/* The slot a new image goes to: never the active one; with the factory
 * image active, one that is not GOOD (so a rollback target survives). */
static int target_slot(const flm_boot_record_t *r)
{
    if (r->active >= 0)
        return 1 - r->active;
    if (r->slot[0].state == FLM_SLOT_GOOD && r->slot[1].state != FLM_SLOT_GOOD)
        return 1;
    return 0;
}

flm_err_t flm_update_install_begin(flm_update_t *u, const void *header, size_t n,
                                   flm_update_install_t *ins)
{
    if (!u || !header || !ins)
        return FLM_ERR_ARG;
    memset(ins, 0, sizeof *ins);
    ins->slot = -1;
    u->detail[0] = 0;
    const uint8_t *h = header;
    if (n < FLM_IMG_HEADER_SIZE) {
        detail(u, "%zu bytes: shorter than an image header", n);
        return FLM_ERR_MODEL_TRUNCATED;
    }
    if (flm_rd32le(h + FLM_IMG_OFF_MAGIC) != FLM_IMG_MAGIC) {
        return FLM_ERR_MODEL_MAGIC;
    }
    if (flm_rd16le(h + FLM_IMG_OFF_VER_MAJOR) != FLM_IMG_VERSION_MAJOR) {
        detail(u, "format %u.%u: this firmware reads %u.x", (unsigned)flm_rd16le(h + FLM_IMG_OFF_VER_MAJOR),
               (unsigned)flm_rd16le(h + FLM_IMG_OFF_VER_MINOR), (unsigned)FLM_IMG_VERSION_MAJOR);
        return FLM_ERR_MODEL_VERSION;
    }
    uint64_t size = flm_rd64le(h + FLM_IMG_OFF_IMAGE_SIZE);
    uint32_t image_crc = flm_rd32le(h + FLM_IMG_OFF_IMAGE_CRC);
    uint32_t header_crc = flm_rd32le(h + FLM_IMG_OFF_HEADER_CRC);
    if (size < FLM_IMG_HEADER_SIZE) {
        detail(u, "image_size %llu is shorter than its header", (unsigned long long)size);
        return FLM_ERR_MODEL_HEADER;
    }
    if (size > u->dev.capacity) {
        detail(u, "%llu bytes; a slot holds %llu", (unsigned long long)size,
               (unsigned long long)u->dev.capacity);
        return FLM_ERR_UPDATE_SLOT_SIZE;
    }
    flm_boot_record_t *r = &u->rec;
    flm_update_unmap(u);

    /* The same image half written (or written, not yet confirmed) in a slot
     * that is not active: carry on from the record's progress. */
    for (int s = 0; s < (int)FLM_SLOT_COUNT; s++) {
        flm_slot_info_t *si = &r->slot[s];
        if (s == r->active || !same_image(si, size, image_crc, header_crc) ||
            (si->state != FLM_SLOT_WRITING && si->state != FLM_SLOT_READY))
            continue;
        if (si->state == FLM_SLOT_READY) {
            si->state = FLM_SLOT_WRITING; /* verified again below */
            si->written = size;
            if (r->pending == s) {
                r->pending = -1;
                r->attempts = 0;
            }
            flm_err_t err = flm_update_save(u);
            if (err)
                return err;
        }
        /* Nothing saved yet: the erase itself may have been cut. */
        flm_err_t err = si->written ? u->dev.resume(u->dev.ctx, (uint32_t)s, si->written)
                                    : u->dev.erase(u->dev.ctx, (uint32_t)s);
        if (err) {
            detail(u, "slot %s: cannot resume: %s", flm_update_slot_name(s), flm_strerror(err));
            return err;
        }
        ins->slot = s;
        ins->offset = ins->synced = si->written;
        ins->size = size;
        ins->resumed = true;
        return FLM_OK;
    }

    int s = target_slot(r);
    flm_slot_info_t *si = &r->slot[s];
    memset(si, 0, sizeof *si);
    si->state = FLM_SLOT_WRITING;
    si->size = size;
    si->image_crc = image_crc;
    si->header_crc = header_crc;
    si->seq = ++r->seq;
    if (r->pending == s) {
        r->pending = -1;
        r->attempts = 0;
    }
    /* The record first: a cut during the erase then finds the slot WRITING
     * at 0 and erases it again. */
    flm_err_t err = flm_update_save(u);
    if (!err)
        err = u->dev.erase(u->dev.ctx, (uint32_t)s);
    if (err) {
        detail(u, "slot %s: %s", flm_update_slot_name(s), flm_strerror(err));
        return err;
    }
    ins->slot = s;
    ins->size = size;
    return FLM_OK;
}

static bool writing(const flm_update_t *u, const flm_update_install_t *ins)
{
    return ins->slot >= 0 && ins->slot < (int)FLM_SLOT_COUNT &&
           u->rec.slot[ins->slot].state == FLM_SLOT_WRITING;
}

static flm_err_t checkpoint(flm_update_t *u, flm_update_install_t *ins)
{
    flm_err_t err = u->dev.sync(u->dev.ctx, (uint32_t)ins->slot);
    if (err)
        return err;
    u->rec.slot[ins->slot].written = ins->offset;
    err = flm_update_save(u);
    if (!err)
        ins->synced = ins->offset;
    return err;
}

flm_err_t flm_update_install_write(flm_update_t *u, flm_update_install_t *ins, const void *data,
                                   size_t n)
{
    if (!u || !ins || (!data && n))
        return FLM_ERR_ARG;
    if (!writing(u, ins))
        return FLM_ERR_STATE;
    if (n > ins->size - ins->offset) {
        detail(u, "%zu bytes past the image's %llu", n, (unsigned long long)ins->size);
        return FLM_ERR_OVERFLOW;
    }
    if (n) {
        flm_err_t err = u->dev.write(u->dev.ctx, (uint32_t)ins->slot, ins->offset, data, n);
        if (err) {
            detail(u, "slot %s: write at %llu: %s", flm_update_slot_name(ins->slot),
                   (unsigned long long)ins->offset, flm_strerror(err));
            return err;
        }
        ins->offset += n;
    }
    if (ins->offset - ins->synced >= u->cfg.checkpoint_bytes ||
        (ins->offset == ins->size && ins->synced < ins->size))
        return checkpoint(u, ins);
    return FLM_OK;
}

/* Give the slot up and say why; the error is the check's. */
static flm_err_t refuse(flm_update_t *u, flm_update_install_t *ins, flm_model_t *m, flm_err_t why)
{
    if (m->image)
        flm_model_close(m);
    flm_update_unmap(u);
    flm_update_give_up(u, ins->slot, FLM_UPDATE_EV_VERIFY);
    flm_err_t err = flm_update_save(u);
    return err ? err : why;
}

flm_err_t flm_update_install_verify(flm_update_t *u, flm_update_install_t *ins, const void *sig,
                                    size_t sig_len, flm_model_t *m)
{
    if (!u || !ins || !m || (!sig && sig_len))
        return FLM_ERR_ARG;
    memset(m, 0, sizeof *m);
    if (!writing(u, ins))
        return FLM_ERR_STATE;
    flm_slot_info_t *si = &u->rec.slot[ins->slot];
    if (ins->offset != ins->size || si->written != si->size) {
        detail(u, "slot %s: %llu of %llu bytes written", flm_update_slot_name(ins->slot),
               (unsigned long long)ins->offset, (unsigned long long)ins->size);
        return FLM_ERR_UPDATE_INCOMPLETE;
    }
    flm_err_t err = flm_update_open_slot(u, ins->slot, m, false);
    if (err)
        return refuse(u, ins, m, err);
    if (u->cfg.ctx_len > m->cfg.seq_len) {
        detail(u, "it was trained for %u positions; the device runs %u", (unsigned)m->cfg.seq_len,
               (unsigned)u->cfg.ctx_len);
        return refuse(u, ins, m, FLM_ERR_UPDATE_CONTEXT);
    }
    if (u->cfg.arena_max) {
        flm_engine_config_t ec = { .ctx_len = u->cfg.ctx_len };
        if (!ec.ctx_len)
            ec.ctx_len = m->cfg.seq_len;
        size_t need = 0;
        err = flm_engine_ram(m, &ec, &need);
        if (err) {
            detail(u, "the engine cannot run this model: %s", flm_strerror(err));
            return refuse(u, ins, m, err);
        }
        if (need > u->cfg.arena_max) {
            detail(u, "its engine needs %zu bytes at %u positions; the budget is %llu", need,
                   (unsigned)ec.ctx_len, (unsigned long long)u->cfg.arena_max);
            return refuse(u, ins, m, FLM_ERR_UPDATE_BUDGET);
        }
    }
    si->signed_ok = false;
    if (sig) {
        err = flm_hal_sig_verify(m->image, m->image_size, sig, sig_len);
        if (err) {
            detail(u, err == FLM_ERR_UNSUPPORTED ? "this build cannot check signatures (no mbedTLS)"
                                                 : "the signature is not the firmware key's");
            return refuse(u, ins, m, err);
        }
        si->signed_ok = true;
    } else if (u->cfg.require_signature) {
        detail(u, "none given");
        return refuse(u, ins, m, FLM_ERR_UPDATE_UNSIGNED);
    }
    return FLM_OK;
}

flm_err_t flm_update_install_commit(flm_update_t *u, flm_update_install_t *ins,
                                    const uint32_t *tokens, size_t n)
{
    if (!u || !ins || (!tokens && n) || n > FLM_UPDATE_SELFTEST_TOKENS)
        return FLM_ERR_ARG;
    if (!writing(u, ins) || u->mapped != ins->slot || ins->offset != ins->size)
        return FLM_ERR_STATE; /* verify first */
    flm_boot_record_t *r = &u->rec;
    flm_slot_info_t *si = &r->slot[ins->slot];
    si->state = FLM_SLOT_READY;
    si->n_tokens = (uint8_t)n;
    memset(si->tokens, 0, sizeof si->tokens);
    if (n)
        memcpy(si->tokens, tokens, n * sizeof *tokens);
    r->pending = ins->slot;
    r->attempts = 0;
    return flm_update_save(u);
}
