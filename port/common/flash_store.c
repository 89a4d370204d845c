/* The log-structured record store on NOR flash (layout in flash_store.h). */
#include "port/common/flash_store.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/crc32.h"
#include "port/common/hal_common.h"

#define BANK_MAGIC   0x31424C46u /* "FLB1" */
#define BANK_HDR     16u
#define REC_HDR      8u
#define REC_MAGIC    0xA5u
#define TYPE_PUT     0x50u /* 'P' */
#define TYPE_DEL     0x44u /* 'D' */
#define OVERHEAD_MAX (REC_HDR + FLM_HAL_KEY_MAX + 3u + 4u)

static uint32_t rec_size(uint32_t klen, uint32_t n)
{
    return ((REC_HDR + klen + n + 3u) & ~3u) + 4u;
}

static uint32_t capacity(const flm_flash_store_t *s)
{
    return s->bank_bytes - BANK_HDR;
}

static uint32_t record_max(const flm_flash_store_t *s)
{
    return capacity(s) > OVERHEAD_MAX ? capacity(s) - OVERHEAD_MAX : 0;
}

static uint32_t bank_at(const flm_flash_store_t *s, uint32_t bank)
{
    return bank * s->bank_bytes;
}

static const uint8_t *at(const flm_flash_store_t *s, uint32_t bank, uint32_t off)
{
    return s->flash.base + bank_at(s, bank) + off;
}

/* ---- flash operations ---------------------------------------------------------- */

static flm_err_t program(flm_flash_store_t *s, uint32_t bank, uint32_t off, const void *d, size_t n)
{
    return s->flash.program(s->flash.ctx, bank_at(s, bank) + off, d, n);
}

static bool blank(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

/* Erase the sectors of a bank that are not blank, and check they are. */
static flm_err_t erase_bank(flm_flash_store_t *s, uint32_t bank)
{
    uint32_t per_bank = s->flash.sectors / 2;
    for (uint32_t i = 0; i < per_bank; i++) {
        const uint8_t *sec = at(s, bank, i * s->flash.sector_size);
        if (blank(sec, s->flash.sector_size))
            continue;
        flm_err_t err = s->flash.erase(s->flash.ctx, bank * per_bank + i);
        if (err)
            return err;
        if (!blank(sec, s->flash.sector_size))
            return FLM_ERR_IO; /* a worn-out sector */
    }
    return FLM_OK;
}

static flm_err_t bank_open(flm_flash_store_t *s, uint32_t bank, uint32_t seq)
{
    uint8_t h[12];
    flm_wr32le(h, BANK_MAGIC);
    flm_wr32le(h + 4, seq);
    flm_wr32le(h + 8, flm_crc32_update(0, h, 8));
    return program(s, bank, 0, h, sizeof h);
}

static flm_err_t bank_commit(flm_flash_store_t *s, uint32_t bank)
{
    static const uint8_t zero[4] = { 0, 0, 0, 0 };
    return program(s, bank, 12, zero, sizeof zero);
}

/* A valid, committed bank header; its sequence number. */
static bool bank_committed(const flm_flash_store_t *s, uint32_t bank, uint32_t *seq)
{
    const uint8_t *h = at(s, bank, 0);
    if (flm_rd32le(h) != BANK_MAGIC || flm_crc32_update(0, h, 8) != flm_rd32le(h + 8) ||
        flm_rd32le(h + 12) != 0)
        return false;
    *seq = flm_rd32le(h + 4);
    return true;
}

/* Append one record at `off` of a bank: header and key, data, then the CRC
 * that makes it count. */
static flm_err_t append(flm_flash_store_t *s, uint32_t bank, uint32_t off, uint8_t type,
                        const char *key, size_t klen, const void *data, size_t n)
{
    uint8_t h[REC_HDR + FLM_HAL_KEY_MAX];
    h[0] = REC_MAGIC;
    h[1] = type;
    h[2] = (uint8_t)klen;
    h[3] = 0;
    flm_wr32le(h + 4, (uint32_t)n);
    memcpy(h + REC_HDR, key, klen);
    uint32_t crc = flm_crc32_update(0, h, REC_HDR + klen);
    crc = flm_crc32_update(crc, data, n);
    uint8_t c[4];
    flm_wr32le(c, crc);
    flm_err_t err = program(s, bank, off, h, REC_HDR + klen);
    if (!err && n)
        err = program(s, bank, off + REC_HDR + (uint32_t)klen, data, n);
    if (!err)
        err = program(s, bank, off + rec_size((uint32_t)klen, (uint32_t)n) - 4u, c, sizeof c);
    return err;
}

/* ---- the index -------------------------------------------------------------------- */

/* The record at off of the active bank, if it is whole: type, key length,
 * data length, size. */
static bool record(const flm_flash_store_t *s, uint32_t off, uint8_t *type, uint32_t *klen,
                   uint32_t *dlen, uint32_t *size)
{
    if (off > s->bank_bytes || s->bank_bytes - off < REC_HDR + 4u)
        return false;
    const uint8_t *r = at(s, s->active, off);
    if (r[0] != REC_MAGIC || (r[1] != TYPE_PUT && r[1] != TYPE_DEL) || r[2] == 0 ||
        r[2] > FLM_HAL_KEY_MAX || r[3] != 0)
        return false;
    uint32_t n = flm_rd32le(r + 4);
    if ((r[1] == TYPE_DEL && n) || n > s->bank_bytes)
        return false;
    uint32_t sz = rec_size(r[2], n);
    if (sz > s->bank_bytes - off)
        return false;
    if (flm_crc32_update(0, r, REC_HDR + r[2] + n) != flm_rd32le(r + sz - 4))
        return false;
    char key[FLM_HAL_KEY_MAX + 1];
    memcpy(key, r + REC_HDR, r[2]);
    key[r[2]] = '\0';
    if (!flm_hal_key_valid(key))
        return false;
    *type = r[1];
    *klen = r[2];
    *dlen = n;
    *size = sz;
    return true;
}

static uint32_t live_size(const flm_flash_store_t *s, uint32_t i, uint32_t *dlen)
{
    const uint8_t *r = at(s, s->active, s->off[i]);
    uint32_t n = flm_rd32le(r + 4);
    if (dlen)
        *dlen = n;
    return rec_size(r[2], n);
}

static int find(const flm_flash_store_t *s, const char *key, size_t klen)
{
    for (uint32_t i = 0; i < s->n; i++) {
        const uint8_t *r = at(s, s->active, s->off[i]);
        if (r[2] == klen && memcmp(r + REC_HDR, key, klen) == 0)
            return (int)i;
    }
    return -1;
}

static void unindex(flm_flash_store_t *s, uint32_t i)
{
    uint32_t dlen;
    s->live_bytes -= live_size(s, i, &dlen);
    s->payload -= dlen;
    s->off[i] = s->off[--s->n];
}

/* Index the active bank: replay its log up to the first bytes that are not
 * a whole record; anything after them makes the tail dirty. */
static flm_err_t scan(flm_flash_store_t *s)
{
    s->n = 0;
    s->live_bytes = 0;
    s->payload = 0;
    uint32_t p = BANK_HDR;
    uint8_t type;
    uint32_t klen, dlen, size;
    while (record(s, p, &type, &klen, &dlen, &size)) {
        int i = find(s, (const char *)at(s, s->active, p + REC_HDR), klen);
        if (i >= 0)
            unindex(s, (uint32_t)i);
        if (type == TYPE_PUT) {
            if (s->n >= FLM_FLASH_STORE_RECORDS)
                return FLM_ERR_NOMEM;
            s->off[s->n++] = p;
            s->live_bytes += size;
            s->payload += dlen;
        }
        p += size;
    }
    s->tail = p;
    s->dirty = !blank(at(s, s->active, p), s->bank_bytes - p);
    return FLM_OK;
}

/* ---- garbage collection -------------------------------------------------------------- */

/* Copy the live records (but skip_key's) into the spare bank, then the
 * record being put (data != NULL or add), then commit and switch to it. */
static flm_err_t collect(flm_flash_store_t *s, const char *skip_key, size_t skip_len, bool add,
                         const void *data, size_t n)
{
    uint32_t to = 1u - s->active;
    flm_err_t err = erase_bank(s, to);
    if (!err)
        err = bank_open(s, to, s->bank_seq + 1u);
    uint32_t p = BANK_HDR;
    for (uint32_t i = 0; !err && i < s->n; i++) {
        const uint8_t *r = at(s, s->active, s->off[i]);
        if (r[2] == skip_len && memcmp(r + REC_HDR, skip_key, skip_len) == 0)
            continue;
        uint32_t size = live_size(s, i, NULL);
        /* Through RAM: a part may not read the array it is programming. */
        for (uint32_t done = 0; !err && done < size;) {
            uint8_t chunk[64];
            uint32_t c = size - done < sizeof chunk ? size - done : (uint32_t)sizeof chunk;
            memcpy(chunk, r + done, c);
            err = program(s, to, p + done, chunk, c);
            done += c;
        }
        p += size;
    }
    if (!err && add)
        err = append(s, to, p, TYPE_PUT, skip_key, skip_len, data, n);
    if (!err)
        err = bank_commit(s, to);
    if (err)
        return err; /* the old bank is still the committed newest: nothing changed */
    s->active = to;
    s->bank_seq++;
    s->collections++;
    return scan(s);
}

/* ---- the store calls --------------------------------------------------------------------- */

flm_err_t flm_flash_store_mount(flm_flash_store_t *s, const flm_flash_t *flash)
{
    if (!s || !flash || !flash->program || !flash->erase || !flash->base || flash->sectors < 2 ||
        flash->sectors % 2 || flash->sector_size == 0 || flash->sector_size % 32)
        return FLM_ERR_ARG;
    uint64_t bank = (uint64_t)flash->sector_size * (flash->sectors / 2);
    if (bank > UINT32_MAX / 2 || bank < BANK_HDR + OVERHEAD_MAX + 4u)
        return FLM_ERR_ARG;
    memset(s, 0, sizeof *s);
    s->flash = *flash;
    s->bank_bytes = (uint32_t)bank;
    uint32_t seq0 = 0, seq1 = 0;
    bool c0 = bank_committed(s, 0, &seq0), c1 = bank_committed(s, 1, &seq1);
    if (c0 && c1) {
        s->active = (int32_t)(seq1 - seq0) > 0 ? 1u : 0u;
        s->bank_seq = s->active ? seq1 : seq0;
    } else if (c0 || c1) {
        s->active = c1 ? 1u : 0u;
        s->bank_seq = c1 ? seq1 : seq0;
    } else {
        /* Never formatted (or nothing committed survives): an empty store. */
        flm_err_t err = erase_bank(s, 0);
        if (!err)
            err = bank_open(s, 0, 1);
        if (!err)
            err = bank_commit(s, 0);
        if (err)
            return err;
        s->active = 0;
        s->bank_seq = 1;
        s->formats = 1;
    }
    flm_err_t err = scan(s);
    if (err)
        return err;
    s->mounted = true;
    return FLM_OK;
}

flm_err_t flm_flash_store_put(flm_flash_store_t *s, const char *key, const void *data, size_t n)
{
    if (!s || !flm_hal_key_valid(key) || (!data && n))
        return FLM_ERR_ARG;
    if (!s->mounted)
        return FLM_ERR_STATE;
    if (n > record_max(s))
        return FLM_ERR_OVERFLOW;
    size_t klen = strlen(key);
    uint32_t size = rec_size((uint32_t)klen, (uint32_t)n);
    int i = find(s, key, klen);
    uint32_t old = i >= 0 ? live_size(s, (uint32_t)i, NULL) : 0;
    if (i < 0 && s->n >= FLM_FLASH_STORE_RECORDS)
        return FLM_ERR_STORE_FULL;
    if ((uint64_t)s->live_bytes - old + size > capacity(s))
        return FLM_ERR_STORE_FULL;
    if (s->dirty || size > s->bank_bytes - s->tail)
        return collect(s, key, klen, true, data, n);
    flm_err_t err = append(s, s->active, s->tail, TYPE_PUT, key, klen, data, n);
    if (err) {
        s->dirty = true; /* a part of it may be there */
        return err;
    }
    if (i >= 0)
        unindex(s, (uint32_t)i);
    s->off[s->n++] = s->tail;
    s->live_bytes += size;
    s->payload += n;
    s->tail += size;
    return FLM_OK;
}

flm_err_t flm_flash_store_get(const flm_flash_store_t *s, const char *key, void *buf, size_t cap,
                              size_t *len)
{
    if (!s || !flm_hal_key_valid(key) || (!buf && cap) || !len)
        return FLM_ERR_ARG;
    if (!s->mounted)
        return FLM_ERR_STATE;
    size_t klen = strlen(key);
    int i = find(s, key, klen);
    if (i < 0)
        return FLM_ERR_NOT_FOUND;
    uint32_t n;
    live_size(s, (uint32_t)i, &n);
    *len = n;
    if (cap)
        memcpy(buf, at(s, s->active, s->off[i] + REC_HDR + (uint32_t)klen), n < cap ? n : cap);
    return n > cap ? FLM_ERR_OVERFLOW : FLM_OK;
}

flm_err_t flm_flash_store_del(flm_flash_store_t *s, const char *key)
{
    if (!s || !flm_hal_key_valid(key))
        return FLM_ERR_ARG;
    if (!s->mounted)
        return FLM_ERR_STATE;
    size_t klen = strlen(key);
    int i = find(s, key, klen);
    if (i < 0)
        return FLM_ERR_NOT_FOUND;
    uint32_t size = rec_size((uint32_t)klen, 0);
    if (s->dirty || size > s->bank_bytes - s->tail)
        return collect(s, key, klen, false, NULL, 0); /* deleted by leaving it out */
    flm_err_t err = append(s, s->active, s->tail, TYPE_DEL, key, klen, NULL, 0);
    if (err) {
        s->dirty = true;
        return err;
    }
    unindex(s, (uint32_t)i);
    s->tail += size;
    return FLM_OK;
}

flm_err_t flm_flash_store_stat(const flm_flash_store_t *s, flm_hal_store_stat_t *st)
{
    if (!s || !st)
        return FLM_ERR_ARG;
    if (!s->mounted)
        return FLM_ERR_STATE;
    uint32_t free_bytes = capacity(s) - s->live_bytes;
    st->records = s->n;
    st->max_records = FLM_FLASH_STORE_RECORDS;
    st->bytes_used = s->payload;
    st->bytes_max = s->payload + (free_bytes > OVERHEAD_MAX ? free_bytes - OVERHEAD_MAX : 0);
    st->record_max = record_max(s);
    return FLM_OK;
}

flm_err_t flm_flash_store_next(const flm_flash_store_t *s, const char *prefix, const char *after,
                               char *key_out)
{
    if (!s || !flm_hal_store_next_args_valid(prefix, after, key_out))
        return FLM_ERR_ARG;
    if (!s->mounted)
        return FLM_ERR_STATE;
    char best[FLM_HAL_KEY_MAX + 1] = "", key[FLM_HAL_KEY_MAX + 1];
    for (uint32_t i = 0; i < s->n; i++) {
        const uint8_t *r = at(s, s->active, s->off[i]);
        memcpy(key, r + REC_HDR, r[2]);
        key[r[2]] = '\0';
        if (flm_hal_store_next_better(key, prefix, after, best))
            memcpy(best, key, (size_t)r[2] + 1);
    }
    if (!best[0])
        return FLM_ERR_NOT_FOUND;
    strcpy(key_out, best); /* after may alias key_out: read it no more */
    return FLM_OK;
}
