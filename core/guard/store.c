#include "core/guard/store.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/crc32.h"

/* ---- the HAL's store ------------------------------------------------------- */

static flm_err_t hal_put(void *ctx, const char *key, const void *data, size_t n)
{
    (void)ctx;
    return flm_hal_store_put(key, data, n);
}

static flm_err_t hal_get(void *ctx, const char *key, void *buf, size_t cap, size_t *len)
{
    (void)ctx;
    return flm_hal_store_get(key, buf, cap, len);
}

static flm_err_t hal_del(void *ctx, const char *key)
{
    (void)ctx;
    return flm_hal_store_del(key);
}

static flm_err_t hal_stat(void *ctx, flm_hal_store_stat_t *st)
{
    (void)ctx;
    return flm_hal_store_stat(st);
}

static flm_err_t hal_next(void *ctx, const char *prefix, const char *after, char *key_out)
{
    (void)ctx;
    return flm_hal_store_next(prefix, after, key_out);
}

#if FLM_HAL_HAS_STORAGE_SHARED
static flm_err_t hal_lock(void *ctx, uint64_t *changes)
{
    (void)ctx;
    return flm_hal_store_lock(changes);
}

static void hal_unlock(void *ctx)
{
    (void)ctx;
    flm_hal_store_unlock();
}

const flm_store_t flm_store_hal = { hal_put, hal_get, hal_del, hal_stat, hal_next, NULL, hal_lock, hal_unlock };
#else
const flm_store_t flm_store_hal = { hal_put, hal_get, hal_del, hal_stat, hal_next, NULL, NULL, NULL };
#endif

flm_err_t flm_store_hold(const flm_store_t *s, uint64_t *seen, bool *stale)
{
    *stale = false;
    if (!s->lock)
        return FLM_OK;
    uint64_t changes = 0;
    flm_err_t err = s->lock(s->ctx, &changes);
    if (err)
        return err;
    /* changes + 1: a first hold (seen 0) is stale too */
    *stale = changes + 1 != *seen;
    *seen = changes + 1;
    return FLM_OK;
}

flm_err_t flm_store_release(const flm_store_t *s, flm_err_t err)
{
    if (s->unlock)
        s->unlock(s->ctx);
    return err;
}

/* ---- twin records ---------------------------------------------------------- */

void flm_twin_init(flm_twin_t *t, const flm_store_t *store, const char *key0, const char *key1,
                   uint32_t magic)
{
    t->store = store;
    t->key[0] = key0;
    t->key[1] = key1;
    t->magic = magic;
    t->gen = 0;
    t->slot = -1;
    t->valid = 0;
    t->loaded = false;
}

/* One record's payload into out when it is a valid twin record; its
 * generation, or 0 when it is absent, torn or foreign. */
static uint64_t read_slot(const flm_twin_t *t, int slot, void *out, size_t size, flm_err_t *err)
{
    uint8_t rec[FLM_TWIN_PAYLOAD_MAX + FLM_TWIN_OVERHEAD + 1];
    size_t len = 0;
    *err = FLM_OK;
    flm_err_t e = t->store->get(t->store->ctx, t->key[slot], rec, sizeof rec, &len);
    if (e == FLM_ERR_NOT_FOUND || e == FLM_ERR_OVERFLOW)
        return 0; /* absent, or too long to be ours: torn or foreign */
    if (e) {
        *err = e;
        return 0;
    }
    if (len != size + FLM_TWIN_OVERHEAD || flm_rd32le(rec) != t->magic ||
        flm_rd32le(rec + 4) != size ||
        flm_crc32_update(0, rec, 16 + size) != flm_rd32le(rec + 16 + size))
        return 0;
    uint64_t gen = flm_rd64le(rec + 8);
    if (gen == 0)
        return 0; /* never written by a save */
    memcpy(out, rec + 16, size);
    return gen;
}

flm_err_t flm_twin_load(flm_twin_t *t, void *payload, size_t size, bool *found)
{
    if (!t || !t->store || !payload || size > FLM_TWIN_PAYLOAD_MAX || !found)
        return FLM_ERR_ARG;
    uint8_t other[FLM_TWIN_PAYLOAD_MAX];
    flm_err_t err;
    uint64_t g0 = read_slot(t, 0, payload, size, &err);
    if (err)
        return err;
    uint64_t g1 = read_slot(t, 1, other, size, &err);
    if (err)
        return err;
    if (g1 > g0) {
        memcpy(payload, other, size);
        t->gen = g1;
        t->slot = 1;
    } else {
        t->gen = g0;
        t->slot = g0 ? 0 : -1;
    }
    *found = t->slot >= 0;
    t->valid = (g0 != 0) + (g1 != 0);
    t->loaded = true;
    return FLM_OK;
}

flm_err_t flm_twin_save(flm_twin_t *t, const void *payload, size_t size)
{
    if (!t || !t->store || (!payload && size) || size > FLM_TWIN_PAYLOAD_MAX)
        return FLM_ERR_ARG;
    if (!t->loaded)
        return FLM_ERR_STATE;
    if (t->gen == UINT64_MAX)
        return FLM_ERR_OVERFLOW;
    uint8_t rec[FLM_TWIN_PAYLOAD_MAX + FLM_TWIN_OVERHEAD];
    uint64_t gen = t->gen + 1;
    flm_wr32le(rec, t->magic);
    flm_wr32le(rec + 4, (uint32_t)size);
    flm_wr64le(rec + 8, gen);
    if (size)
        memcpy(rec + 16, payload, size);
    flm_wr32le(rec + 16 + size, flm_crc32_update(0, rec, 16 + size));
    int slot = t->slot == 0 ? 1 : 0; /* never the newest valid record */
    flm_err_t err = t->store->put(t->store->ctx, t->key[slot], rec, size + FLM_TWIN_OVERHEAD);
    if (err)
        return err; /* t->slot still names the intact record */
    t->gen = gen;
    t->slot = slot;
    if (t->valid < 2)
        t->valid++;
    return FLM_OK;
}
