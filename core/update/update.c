/* The boot record and the boot decision (core/update/update.h). */
#include "core/update/update.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/fmt.h"
#include "core/update/priv/update_record.h"

#define REC_MAGIC 0x42554C46u /* "FLUB" */
#define REC_VERSION 1u
#define REC_HEAD 12u
#define REC_SLOT 64u
#define REC_BYTES (REC_HEAD + FLM_SLOT_COUNT * REC_SLOT)

/* ---- the record's bytes ------------------------------------------------------ */

static uint8_t slot_code(int s)
{
    return s < 0 ? 0xFFu : (uint8_t)s;
}

static int slot_of(uint8_t c)
{
    return c < FLM_SLOT_COUNT ? (int)c : -1;
}

static void encode(const flm_boot_record_t *r, uint8_t *p)
{
    memset(p, 0, REC_BYTES);
    p[0] = REC_VERSION;
    p[1] = slot_code(r->active);
    p[2] = slot_code(r->pending);
    p[3] = (uint8_t)(r->attempts > 255 ? 255 : r->attempts);
    p[4] = r->event;
    p[5] = slot_code(r->event_slot);
    flm_wr32le(p + 8, r->seq);
    for (uint32_t i = 0; i < FLM_SLOT_COUNT; i++) {
        const flm_slot_info_t *s = &r->slot[i];
        uint8_t *q = p + REC_HEAD + i * REC_SLOT;
        q[0] = s->state;
        q[1] = s->signed_ok ? 1u : 0u;
        q[2] = s->n_tokens;
        flm_wr32le(q + 4, s->seq);
        flm_wr64le(q + 8, s->size);
        flm_wr64le(q + 16, s->written);
        flm_wr32le(q + 24, s->image_crc);
        flm_wr32le(q + 28, s->header_crc);
        for (uint32_t t = 0; t < FLM_UPDATE_SELFTEST_TOKENS; t++)
            flm_wr32le(q + 32 + 4 * t, s->tokens[t]);
    }
}

/* A record the CRC passed may still be from another version or nonsense
 * written by a bug: each field is checked, and one that fails makes the
 * record unusable (factory image). */
static bool decode(const uint8_t *p, flm_boot_record_t *r)
{
    memset(r, 0, sizeof *r);
    if (p[0] != REC_VERSION)
        return false;
    r->active = slot_of(p[1]);
    r->pending = slot_of(p[2]);
    r->attempts = p[3];
    r->event = p[4];
    r->event_slot = slot_of(p[5]);
    r->seq = flm_rd32le(p + 8);
    if ((p[1] != 0xFF && r->active < 0) || (p[2] != 0xFF && r->pending < 0) ||
        r->event > FLM_UPDATE_EV_ROLLBACK)
        return false;
    for (uint32_t i = 0; i < FLM_SLOT_COUNT; i++) {
        flm_slot_info_t *s = &r->slot[i];
        const uint8_t *q = p + REC_HEAD + i * REC_SLOT;
        s->state = q[0];
        s->signed_ok = q[1] != 0;
        s->n_tokens = q[2];
        s->seq = flm_rd32le(q + 4);
        s->size = flm_rd64le(q + 8);
        s->written = flm_rd64le(q + 16);
        s->image_crc = flm_rd32le(q + 24);
        s->header_crc = flm_rd32le(q + 28);
        for (uint32_t t = 0; t < FLM_UPDATE_SELFTEST_TOKENS; t++)
            s->tokens[t] = flm_rd32le(q + 32 + 4 * t);
        if (s->state > FLM_SLOT_BAD || s->n_tokens > FLM_UPDATE_SELFTEST_TOKENS ||
            s->written > s->size)
            return false;
    }
    if (r->active >= 0 && r->slot[r->active].state != FLM_SLOT_GOOD)
        return false;
    if (r->pending >= 0 && (r->slot[r->pending].state != FLM_SLOT_READY || r->pending == r->active))
        return false;
    return true;
}

static void record_empty(flm_boot_record_t *r)
{
    memset(r, 0, sizeof *r);
    r->active = FLM_UPDATE_FACTORY;
    r->pending = -1;
    r->event_slot = -1;
}

flm_err_t flm_update_save(flm_update_t *u)
{
    uint8_t p[REC_BYTES];
    encode(&u->rec, p);
    return flm_twin_save(&u->twin, p, sizeof p);
}

void flm_update_give_up(flm_update_t *u, int slot, flm_update_event_t why)
{
    flm_boot_record_t *r = &u->rec;
    r->slot[slot].state = FLM_SLOT_BAD;
    r->event = (uint8_t)why;
    r->event_slot = slot;
    if (r->pending == slot) {
        r->pending = -1;
        r->attempts = 0;
    }
    if (r->active == slot) {
        int other = 1 - slot;
        r->active = r->slot[other].state == FLM_SLOT_GOOD ? other : FLM_UPDATE_FACTORY;
    }
}

void flm_update_unmap(flm_update_t *u)
{
    if (u->mapped >= 0 && u->dev.unmap)
        u->dev.unmap(u->dev.ctx, (uint32_t)u->mapped);
    u->mapped = -1;
}

/* ---- life cycle ------------------------------------------------------------- */

flm_err_t flm_update_init(flm_update_t *u, const flm_update_config_t *cfg)
{
    if (!u || !cfg || !cfg->dev)
        return FLM_ERR_ARG;
    memset(u, 0, sizeof *u);
    u->cfg = *cfg;
    u->dev = *cfg->dev;
    if (!u->cfg.store)
        u->cfg.store = &flm_store_hal;
    if (!u->cfg.max_attempts)
        u->cfg.max_attempts = FLM_UPDATE_ATTEMPTS;
    if (!u->cfg.checkpoint_bytes)
        u->cfg.checkpoint_bytes = FLM_UPDATE_CHECKPOINT;
    u->mapped = -1;
    u->booted = FLM_UPDATE_FACTORY;
    flm_twin_init(&u->twin, u->cfg.store, "upd.0", "upd.1", REC_MAGIC);
    uint8_t p[REC_BYTES];
    bool found = false;
    flm_err_t err = flm_twin_load(&u->twin, p, sizeof p, &found);
    if (err)
        return err;
    record_empty(&u->rec);
    if (found && decode(p, &u->rec))
        u->found = true;
    else if (found)
        record_empty(&u->rec); /* a record this build cannot read: the factory image */
    return FLM_OK;
}

void flm_update_deinit(flm_update_t *u)
{
    if (!u)
        return;
    flm_update_unmap(u);
}

/* ---- boot ------------------------------------------------------------------- */

/* Map slot s and open m on it; check it is the image the record names. */
flm_err_t flm_update_open_slot(flm_update_t *u, int s, flm_model_t *m, bool header_only)
{
    const flm_slot_info_t *si = &u->rec.slot[s];
    flm_update_unmap(u);
    const uint8_t *data = NULL;
    uint64_t size = 0;
    flm_err_t err = u->dev.map(u->dev.ctx, (uint32_t)s, &data, &size);
    if (err) {
        flm_snprintf(u->detail, sizeof u->detail, "slot %s: cannot be read: %s",
                     flm_update_slot_name(s), flm_strerror(err));
        return err;
    }
    u->mapped = s;
    if (size < si->size) {
        flm_snprintf(u->detail, sizeof u->detail, "slot %s: %llu bytes of a %llu-byte image",
                     flm_update_slot_name(s), (unsigned long long)size,
                     (unsigned long long)si->size);
        return FLM_ERR_UPDATE_INCOMPLETE;
    }
    err = flm_model_open(m, data, (size_t)si->size,
                         header_only ? FLM_MODEL_VERIFY_HEADER : FLM_MODEL_VERIFY_FULL);
    if (err) {
        flm_snprintf(u->detail, sizeof u->detail, "slot %s: %s", flm_update_slot_name(s), m->detail);
        return err;
    }
    if (m->image_size != si->size || flm_rd32le(data + 0x1C) != si->image_crc ||
        flm_rd32le(data + 0x18) != si->header_crc) {
        flm_model_close(m);
        flm_snprintf(u->detail, sizeof u->detail, "slot %s: holds another image",
                     flm_update_slot_name(s));
        return FLM_ERR_UPDATE_MISMATCH;
    }
    return FLM_OK;
}

flm_err_t flm_update_boot(flm_update_t *u, flm_model_t *m, bool verify_header)
{
    if (!u || !m)
        return FLM_ERR_ARG;
    flm_boot_record_t *r = &u->rec;
    u->booted = FLM_UPDATE_FACTORY;
    u->trial = false;
    u->detail[0] = 0;
    bool changed = false;
    if (r->pending >= 0 && r->attempts >= u->cfg.max_attempts) {
        flm_snprintf(u->detail, sizeof u->detail, "slot %s: %u boots without a confirmation",
                     flm_update_slot_name(r->pending), (unsigned)r->attempts);
        flm_update_give_up(u, r->pending, FLM_UPDATE_EV_ATTEMPTS);
        changed = true;
    }
    if (r->pending >= 0) {
        int s = r->pending;
        if (flm_update_open_slot(u, s, m, false) == FLM_OK) {
            u->booted = s;
            u->trial = true;
        } else {
            flm_update_give_up(u, s, FLM_UPDATE_EV_OPEN);
            changed = true;
        }
    }
    while (u->booted == FLM_UPDATE_FACTORY && r->active >= 0) {
        int s = r->active;
        if (flm_update_open_slot(u, s, m, verify_header) == FLM_OK) {
            u->booted = s;
        } else {
            flm_update_give_up(u, s, FLM_UPDATE_EV_OPEN); /* the other GOOD slot, or the factory */
            changed = true;
        }
    }
    if (u->booted == FLM_UPDATE_FACTORY)
        flm_update_unmap(u);
    char detail[sizeof u->detail];
    memcpy(detail, u->detail, sizeof detail);
    flm_err_t err = changed ? flm_update_save(u) : FLM_OK;
    memcpy(u->detail, detail, sizeof detail); /* what was given up, for the log */
    if (err && u->booted >= 0) {
        flm_model_close(m);
        flm_update_unmap(u);
        u->booted = FLM_UPDATE_FACTORY;
        u->trial = false;
    }
    return err;
}

flm_err_t flm_update_trial_begin(flm_update_t *u)
{
    if (!u || !u->trial)
        return FLM_ERR_STATE;
    u->rec.attempts++;
    return flm_update_save(u);
}

flm_err_t flm_update_trial_end(flm_update_t *u, const uint32_t *tokens, size_t n)
{
    if (!u || !u->trial || (!tokens && n))
        return FLM_ERR_ARG;
    flm_boot_record_t *r = &u->rec;
    int s = u->booted;
    const flm_slot_info_t *si = &r->slot[s];
    bool same = n == si->n_tokens && (n == 0 || memcmp(tokens, si->tokens, n * sizeof *tokens) == 0);
    u->trial = false;
    if (!same) {
        flm_snprintf(u->detail, sizeof u->detail, "slot %s: self-test gave other tokens than at install",
                     flm_update_slot_name(s));
        flm_update_give_up(u, s, FLM_UPDATE_EV_SELFTEST);
        u->booted = FLM_UPDATE_FACTORY;
        flm_err_t err = flm_update_save(u);
        return err ? err : FLM_ERR_UPDATE_SELFTEST;
    }
    r->slot[s].state = FLM_SLOT_GOOD;
    r->active = s; /* the old one stays GOOD: a rollback goes back to it */
    r->pending = -1;
    r->attempts = 0;
    return flm_update_save(u);
}

flm_err_t flm_update_trial_fail(flm_update_t *u, flm_update_event_t why)
{
    if (!u || !u->trial)
        return FLM_ERR_STATE;
    int s = u->booted;
    flm_snprintf(u->detail, sizeof u->detail, "slot %s: its self-test could not run",
                 flm_update_slot_name(s));
    u->trial = false;
    u->booted = FLM_UPDATE_FACTORY;
    flm_update_give_up(u, s, why);
    flm_err_t err = flm_update_save(u);
    return err ? err : FLM_ERR_UPDATE_SELFTEST;
}

flm_err_t flm_update_rollback(flm_update_t *u)
{
    if (!u)
        return FLM_ERR_ARG;
    flm_boot_record_t *r = &u->rec;
    if (r->pending >= 0) {
        r->slot[r->pending].state = FLM_SLOT_BAD;
        r->event = FLM_UPDATE_EV_ROLLBACK;
        r->event_slot = r->pending;
        r->pending = -1;
        r->attempts = 0;
    } else if (r->active >= 0) {
        flm_update_give_up(u, r->active, FLM_UPDATE_EV_ROLLBACK);
    } else {
        return FLM_ERR_STATE;
    }
    return flm_update_save(u);
}

/* ---- names ------------------------------------------------------------------ */

const char *flm_update_slot_name(int slot)
{
    return slot == 0 ? "A" : slot == 1 ? "B" : "factory";
}

const char *flm_update_state_name(uint32_t state)
{
    static const char *const names[] = { "empty", "writing", "ready", "good", "bad" };
    return state < sizeof names / sizeof names[0] ? names[state] : "unknown";
}

const char *flm_update_event_name(uint32_t event)
{
    static const char *const names[] = { "none", "refused at install", "failed to open at boot",
                                         "self-test failed", "never confirmed", "rolled back" };
    return event < sizeof names / sizeof names[0] ? names[event] : "unknown";
}
