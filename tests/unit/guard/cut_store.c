#include "tests/unit/guard/cut_store.h"

#include <string.h>

#include "port/common/hal_common.h"
#include "tests/harness/harness.h"

static cut_record_t *find(cut_store_t *s, const char *key)
{
    for (size_t i = 0; i < CUT_STORE_RECORDS; i++)
        if (s->rec[i].used && strcmp(s->rec[i].key, key) == 0)
            return &s->rec[i];
    return NULL;
}

static void trace(cut_store_t *s, bool put, const char *key, size_t n)
{
    if (s->traced < CUT_STORE_TRACE) {
        cut_write_t *t = &s->trace[s->traced];
        t->put = put;
        t->n = n;
        strcpy(t->key, key);
    }
    s->traced++;
}

/* Is this the write to cut? Counts it either way. */
static bool cutting(cut_store_t *s)
{
    bool cut = s->writes == s->cut_write;
    s->writes++;
    return cut;
}

static flm_err_t cs_put(void *ctx, const char *key, const void *data, size_t n)
{
    cut_store_t *s = ctx;
    if (s->dead)
        return FLM_ERR_IO;
    if (!flm_hal_key_valid(key) || (!data && n))
        return FLM_ERR_ARG;
    if (n > s->record_max)
        return FLM_ERR_OVERFLOW;
    cut_record_t *r = find(s, key);
    uint32_t records = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < CUT_STORE_RECORDS; i++)
        if (s->rec[i].used && &s->rec[i] != r) {
            records++;
            bytes += s->rec[i].n;
        }
    if ((!r && records >= s->max_records) || bytes + n > s->bytes_max)
        return FLM_ERR_STORE_FULL;
    for (size_t i = 0; !r && i < CUT_STORE_RECORDS; i++)
        if (!s->rec[i].used)
            r = &s->rec[i];
    if (!r)
        return FLM_ERR_STORE_FULL;
    trace(s, true, key, n);
    if (!cutting(s)) {
        memcpy(r->data, data, n);
        r->n = n;
        strcpy(r->key, key);
        r->used = true;
        return FLM_OK;
    }
    /* The cut: what a store without atomic puts leaves. */
    s->dead = true;
    s->fired = true;
    size_t k = s->cut_byte < n ? s->cut_byte : n;
    if (s->cut_mode == CUT_BEFORE)
        return FLM_ERR_IO;
    /* "Old" bytes: the record's, or for a new key whatever a deleted record
     * left in the slot (as a reused flash page or file block would). */
    uint8_t old[CUT_STORE_RECORD_MAX];
    size_t old_n = r->used ? r->n : CUT_STORE_RECORD_MAX;
    memcpy(old, r->data, old_n);
    memcpy(r->data, data, k);
    size_t len = n;
    for (size_t i = k; i < n; i++) {
        switch (s->cut_mode) {
        case CUT_TRUNCATE: len = k; break;
        case CUT_ERASED: r->data[i] = 0xFF; break;
        case CUT_OLD: r->data[i] = i < old_n ? old[i] : 0; break;
        default: r->data[i] = (uint8_t)flm_test_xorshift32(&s->junk); break;
        }
        if (len == k)
            break;
    }
    r->n = len;
    strcpy(r->key, key);
    r->used = true;
    return FLM_ERR_IO;
}

static flm_err_t cs_get(void *ctx, const char *key, void *buf, size_t cap, size_t *len)
{
    cut_store_t *s = ctx;
    if (s->dead)
        return FLM_ERR_IO;
    if (!flm_hal_key_valid(key) || (!buf && cap) || !len)
        return FLM_ERR_ARG;
    cut_record_t *r = find(s, key);
    if (!r)
        return FLM_ERR_NOT_FOUND;
    *len = r->n;
    if (cap)
        memcpy(buf, r->data, r->n < cap ? r->n : cap);
    return r->n > cap ? FLM_ERR_OVERFLOW : FLM_OK;
}

static flm_err_t cs_del(void *ctx, const char *key)
{
    cut_store_t *s = ctx;
    if (s->dead)
        return FLM_ERR_IO;
    if (!flm_hal_key_valid(key))
        return FLM_ERR_ARG;
    cut_record_t *r = find(s, key);
    if (!r)
        return FLM_ERR_NOT_FOUND;
    trace(s, false, key, 0);
    if (cutting(s)) {
        s->dead = true;
        s->fired = true;
        if (s->cut_mode == CUT_BEFORE)
            return FLM_ERR_IO;
        r->used = false; /* done, but the call never returned */
        return FLM_ERR_IO;
    }
    r->used = false;
    return FLM_OK;
}

static flm_err_t cs_stat(void *ctx, flm_hal_store_stat_t *st)
{
    cut_store_t *s = ctx;
    if (s->dead)
        return FLM_ERR_IO;
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < CUT_STORE_RECORDS; i++)
        if (s->rec[i].used) {
            st->records++;
            st->bytes_used += s->rec[i].n;
        }
    st->max_records = s->max_records;
    st->bytes_max = s->bytes_max;
    st->record_max = s->record_max;
    return FLM_OK;
}

static flm_err_t cs_next(void *ctx, const char *prefix, const char *after, char *key_out)
{
    cut_store_t *s = ctx;
    if (s->dead)
        return FLM_ERR_IO;
    if (!flm_hal_store_next_args_valid(prefix, after, key_out))
        return FLM_ERR_ARG;
    const char *best = "";
    for (size_t i = 0; i < CUT_STORE_RECORDS; i++)
        if (s->rec[i].used && flm_hal_store_next_better(s->rec[i].key, prefix, after, best))
            best = s->rec[i].key;
    if (!best[0])
        return FLM_ERR_NOT_FOUND;
    strcpy(key_out, best);
    return FLM_OK;
}

void cut_store_init(cut_store_t *s)
{
    memset(s, 0, sizeof *s);
    s->max_records = CUT_STORE_RECORDS;
    s->bytes_max = (uint64_t)CUT_STORE_RECORDS * CUT_STORE_RECORD_MAX;
    s->record_max = CUT_STORE_RECORD_MAX;
    s->cut_write = -1;
    s->junk = 0x2545F491u;
    s->ops = (flm_store_t){ cs_put, cs_get, cs_del, cs_stat, cs_next, s, NULL, NULL };
}

void cut_store_arm(cut_store_t *s, long w, size_t k, cut_mode_t m)
{
    s->cut_write = s->writes + w;
    s->cut_byte = k;
    s->cut_mode = m;
    s->fired = false;
}

void cut_store_power_on(cut_store_t *s)
{
    s->dead = false;
    s->cut_write = -1;
}

uint64_t cut_store_bytes(const cut_store_t *s, const char *prefix, uint32_t *count)
{
    uint64_t bytes = 0;
    uint32_t n = 0;
    size_t pl = strlen(prefix);
    for (size_t i = 0; i < CUT_STORE_RECORDS; i++)
        if (s->rec[i].used && strncmp(s->rec[i].key, prefix, pl) == 0) {
            bytes += s->rec[i].n;
            n++;
        }
    if (count)
        *count = n;
    return bytes;
}
