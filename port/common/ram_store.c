#include "port/common/ram_store.h"

#include <string.h>

#include "port/common/hal_common.h"

void flm_ram_store_init(flm_ram_store_t *s)
{
    memset(s, 0, sizeof *s);
}

static flm_ram_store_record_t *find(const flm_ram_store_t *s, const char *key)
{
    for (size_t i = 0; i < FLM_RAM_STORE_RECORDS; i++)
        if (s->rec[i].used && strcmp(s->rec[i].key, key) == 0)
            return (flm_ram_store_record_t *)&s->rec[i];
    return NULL;
}

flm_err_t flm_ram_store_put(flm_ram_store_t *s, const char *key, const void *data, size_t n)
{
    if (!s || !flm_hal_key_valid(key) || (!data && n))
        return FLM_ERR_ARG;
    if (n > FLM_RAM_STORE_RECORD_MAX)
        return FLM_ERR_OVERFLOW;
    flm_ram_store_record_t *r = find(s, key);
    for (size_t i = 0; !r && i < FLM_RAM_STORE_RECORDS; i++)
        if (!s->rec[i].used)
            r = &s->rec[i];
    if (!r)
        return FLM_ERR_STORE_FULL;
    if (n)
        memcpy(r->data, data, n);
    r->n = n;
    strcpy(r->key, key);
    r->used = true;
    return FLM_OK;
}

flm_err_t flm_ram_store_get(const flm_ram_store_t *s, const char *key, void *buf, size_t cap,
                            size_t *len)
{
    if (!s || !flm_hal_key_valid(key) || (!buf && cap) || !len)
        return FLM_ERR_ARG;
    const flm_ram_store_record_t *r = find(s, key);
    if (!r)
        return FLM_ERR_NOT_FOUND;
    *len = r->n;
    if (buf)
        memcpy(buf, r->data, r->n < cap ? r->n : cap);
    return r->n > cap ? FLM_ERR_OVERFLOW : FLM_OK;
}

flm_err_t flm_ram_store_del(flm_ram_store_t *s, const char *key)
{
    if (!s || !flm_hal_key_valid(key))
        return FLM_ERR_ARG;
    flm_ram_store_record_t *r = find(s, key);
    if (!r)
        return FLM_ERR_NOT_FOUND;
    r->used = false;
    return FLM_OK;
}

flm_err_t flm_ram_store_stat(const flm_ram_store_t *s, flm_hal_store_stat_t *st)
{
    if (!s || !st)
        return FLM_ERR_ARG;
    memset(st, 0, sizeof *st);
    for (size_t i = 0; i < FLM_RAM_STORE_RECORDS; i++) {
        if (s->rec[i].used) {
            st->records++;
            st->bytes_used += s->rec[i].n;
        }
    }
    st->max_records = FLM_RAM_STORE_RECORDS;
    st->bytes_max = (uint64_t)FLM_RAM_STORE_RECORDS * FLM_RAM_STORE_RECORD_MAX;
    st->record_max = FLM_RAM_STORE_RECORD_MAX;
    return FLM_OK;
}

flm_err_t flm_ram_store_next(const flm_ram_store_t *s, const char *prefix, const char *after,
                             char *key_out)
{
    if (!s || !flm_hal_store_next_args_valid(prefix, after, key_out))
        return FLM_ERR_ARG;
    const char *best = "";
    for (size_t i = 0; i < FLM_RAM_STORE_RECORDS; i++)
        if (s->rec[i].used && flm_hal_store_next_better(s->rec[i].key, prefix, after, best))
            best = s->rec[i].key;
    if (!best[0])
        return FLM_ERR_NOT_FOUND;
    strcpy(key_out, best); /* after may alias key_out: read it no more */
    return FLM_OK;
}
