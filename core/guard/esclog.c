/* The escalation log: format, recovery and capacity in esclog.h. */
#include "core/guard/esclog.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/crc32.h"

#define REC_MAGIC  0x31454C46u /* "FLE1" */
#define HEAD_MAGIC 0x48454C46u /* "FLEH" */
#define HDR_BYTES  48u
#define PREFIX     "e."
#define KEY_BYTES  11u /* "e.SSSSSSSS" and its NUL */

#define FLAG_CLOUD    1u
#define FLAG_REDACTED 2u
#define FLAG_USAGE    4u
#define FLAG_SCORED   8u
#define FLAG_SYSTEM   16u
#define FLAGS_ALL     31u

void flm_esclog_settings_init(flm_esclog_settings_t *s)
{
    memset(s, 0, sizeof *s);
    s->escalations = false;
    s->max_records = 256;
    s->max_bytes = 1u << 20;
    s->when_full = FLM_ESCLOG_FULL_DROP_OLDEST;
}

/* ---- keys ------------------------------------------------------------------ */

static void make_key(char out[KEY_BYTES], uint32_t seq)
{
    static const char hex[] = "0123456789abcdef";
    out[0] = 'e';
    out[1] = '.';
    for (int i = 0; i < 8; i++)
        out[2 + i] = hex[(seq >> (28 - 4 * i)) & 0xFu];
    out[10] = '\0';
}

/* The sequence number of one of our keys; false for any other key. */
static bool parse_key(const char *key, uint32_t *seq)
{
    if (key[0] != 'e' || key[1] != '.')
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = key[2 + i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    if (key[10] != '\0' || v == 0)
        return false;
    *seq = v;
    return true;
}

static bool reason_ok(const char *p, size_t n)
{
    if (n == 0 || n >= FLM_ESCLOG_REASON_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == ':' || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* ---- records ---------------------------------------------------------------- */

static size_t rec_size(const flm_esclog_entry_t *e, size_t reason_len)
{
    return HDR_BYTES + reason_len + e->prompt_len + 1 + e->system_len + 1 + e->answer_len + 1 + 4;
}

static void put_text(uint8_t *w, size_t *p, const char *s, size_t n)
{
    if (n)
        memcpy(w + *p, s, n);
    *p += n;
    w[(*p)++] = 0;
}

/* Lay e out in w (rec_size bytes: the caller checked they fit). */
static size_t rec_build(uint8_t *w, const flm_esclog_entry_t *e, uint32_t seq, size_t reason_len)
{
    size_t n = rec_size(e, reason_len);
    uint32_t flags = (e->cloud ? FLAG_CLOUD : 0) | (e->redacted ? FLAG_REDACTED : 0) |
                     (e->has_usage ? FLAG_USAGE : 0) | (e->scored ? FLAG_SCORED : 0) |
                     (e->system ? FLAG_SYSTEM : 0);
    memset(w, 0, HDR_BYTES);
    flm_wr32le(w, REC_MAGIC);
    flm_wr32le(w + 4, (uint32_t)n);
    flm_wr32le(w + 8, seq);
    w[12] = (uint8_t)flags;
    w[13] = (uint8_t)reason_len;
    flm_wr64le(w + 16, e->utc);
    flm_wr32le(w + 24, e->scored ? e->score : 0);
    flm_wr32le(w + 28, e->has_usage ? e->prompt_tokens : 0);
    flm_wr32le(w + 32, e->has_usage ? e->completion_tokens : 0);
    flm_wr32le(w + 36, (uint32_t)e->prompt_len);
    flm_wr32le(w + 40, (uint32_t)e->system_len);
    flm_wr32le(w + 44, (uint32_t)e->answer_len);
    size_t p = HDR_BYTES;
    memcpy(w + p, e->reason, reason_len);
    p += reason_len;
    put_text(w, &p, e->prompt, e->prompt_len);
    put_text(w, &p, e->system, e->system_len);
    put_text(w, &p, e->answer, e->answer_len);
    flm_wr32le(w + p, flm_crc32_update(0, w, p));
    return n;
}

/* One text of a record at *p: n bytes, no NUL inside, a NUL after. */
static bool take_text(const uint8_t *w, size_t *p, size_t n, const char **s)
{
    *s = (const char *)w + *p;
    if (memchr(*s, 0, n) || w[*p + n] != 0)
        return false;
    *p += n + 1;
    return true;
}

/* Is w[0, len) a whole, intact record of entry seq? Fills e with views
 * into w. Sizes are checked before the CRC (which then covers them). */
static bool rec_parse(const uint8_t *w, size_t len, uint32_t seq, flm_esclog_entry_t *e)
{
    if (len < HDR_BYTES + 1 + 4 || flm_rd32le(w) != REC_MAGIC || flm_rd32le(w + 4) != len ||
        flm_rd32le(w + 8) != seq || (w[12] & ~FLAGS_ALL) || w[14] || w[15])
        return false;
    uint32_t flags = w[12];
    size_t r = w[13];
    size_t a = flm_rd32le(w + 36), b = flm_rd32le(w + 40), c = flm_rd32le(w + 44);
    /* each length below len: the sum cannot wrap */
    if (r == 0 || r >= FLM_ESCLOG_REASON_MAX || a == 0 || a >= len || b >= len || c >= len ||
        HDR_BYTES + r + a + b + c + 3 + 4 != len || (!(flags & FLAG_SYSTEM) && b))
        return false;
    if (flm_crc32_update(0, w, len - 4) != flm_rd32le(w + len - 4))
        return false;
    memset(e, 0, sizeof *e);
    e->seq = seq;
    e->utc = flm_rd64le(w + 16);
    e->cloud = flags & FLAG_CLOUD;
    e->redacted = flags & FLAG_REDACTED;
    e->has_usage = flags & FLAG_USAGE;
    e->scored = flags & FLAG_SCORED;
    e->score = flm_rd32le(w + 24);
    e->prompt_tokens = flm_rd32le(w + 28);
    e->completion_tokens = flm_rd32le(w + 32);
    if (e->score > 0x10000u || !reason_ok((const char *)w + HDR_BYTES, r))
        return false;
    size_t p = HDR_BYTES + r;
    if (!take_text(w, &p, a, &e->prompt) || !take_text(w, &p, b, &e->system) ||
        !take_text(w, &p, c, &e->answer))
        return false;
    e->prompt_len = a;
    e->system_len = b;
    e->answer_len = c;
    if (!(flags & FLAG_SYSTEM))
        e->system = NULL;
    e->reason = (const char *)w + HDR_BYTES; /* not NUL-terminated: the prompt follows */
    return true;
}

/* ---- store calls ------------------------------------------------------------- */

/* The longest record this log reads: its work buffer, less the room the
 * reason's NUL-terminated copy takes after it. */
static size_t rec_cap(const flm_esclog_t *l)
{
    return l->work_size - FLM_ESCLOG_REASON_MAX;
}

static flm_err_t st_del(flm_esclog_t *l, const char *key)
{
    flm_err_t err = l->store->del(l->store->ctx, key);
    return err == FLM_ERR_NOT_FOUND ? FLM_OK : err;
}

static flm_err_t st_next(flm_esclog_t *l, const char *after, char *key_out)
{
    return l->store->next(l->store->ctx, PREFIX, after, key_out);
}

static flm_err_t head_save(flm_esclog_t *l, uint32_t floor)
{
    uint8_t p[4];
    flm_wr32le(p, floor);
    flm_err_t err = flm_twin_save(&l->head, p, sizeof p);
    if (!err)
        l->floor = floor;
    return err;
}

/* A write failed: what it left is for the next recovery to judge. A store
 * that refused outright (full, too long) changed nothing. */
static flm_err_t write_failed(flm_esclog_t *l, flm_err_t err)
{
    if (err != FLM_ERR_STORE_FULL && err != FLM_ERR_OVERFLOW && err != FLM_ERR_ARG)
        l->dirty = true;
    return err;
}

/* ---- recovery ---------------------------------------------------------------- */

static flm_err_t recover(flm_esclog_t *l)
{
    l->ready = false;
    l->entries = l->unreadable = 0;
    l->bytes = 0;

    uint8_t head[4];
    bool found = false;
    flm_twin_init(&l->head, l->store, "eh.0", "eh.1", HEAD_MAGIC);
    flm_err_t err = flm_twin_load(&l->head, head, sizeof head, &found);
    if (err)
        return err;
    l->floor = found ? flm_rd32le(head) : 1;

    char key[FLM_HAL_KEY_MAX + 1] = "";
    uint32_t max_seen = 0;
    while ((err = st_next(l, key, key)) == FLM_OK) {
        uint32_t seq;
        if (!parse_key(key, &seq))
            continue;
        size_t len = 0;
        err = l->store->get(l->store->ctx, key, l->work, rec_cap(l), &len);
        flm_esclog_entry_t e;
        bool intact = false;
        if (err == FLM_OK) {
            intact = rec_parse(l->work, len, seq, &e);
        } else if (err == FLM_ERR_OVERFLOW) {
            /* longer than this work buffer: not torn (a cut never makes a
             * record longer), written by a build with a bigger one; kept,
             * counted, never exported */
            intact = true;
            l->unreadable++;
        } else if (err == FLM_ERR_NOT_FOUND) {
            continue;
        } else {
            return err;
        }
        if (!intact) {
            err = st_del(l, key);
            if (err)
                return err;
            l->repaired++;
            continue;
        }
        if (seq > max_seen)
            max_seen = seq;
        l->entries++;
        l->bytes += len;
    }
    if (err != FLM_ERR_NOT_FOUND)
        return err;
    l->next_seq = max_seen == UINT32_MAX ? 0 : max_seen + 1;
    if (l->next_seq && l->next_seq < l->floor)
        l->next_seq = l->floor;
    if (!found)
        l->floor = 1;
    l->dirty = false;
    l->ready = true;
    return FLM_OK;
}

/* ---- a store other programs share ------------------------------------------
 * As in queue.c: where the store has a lock, each call that writes holds it
 * and, when another program changed the store since, reads the e.* records
 * again first, so two programs appending at once never take one number. */

static flm_err_t hold(flm_esclog_t *l)
{
    if (!l || !l->store || !l->work)
        return FLM_ERR_ARG;
    bool stale;
    flm_err_t err = flm_store_hold(l->store, &l->store_seen, &stale);
    if (!err && stale)
        l->ready = false; /* usable() reads the store again */
    return err;
}

flm_err_t flm_esclog_recover(flm_esclog_t *l)
{
    flm_err_t err = hold(l);
    return err ? err : flm_store_release(l->store, recover(l));
}

flm_err_t flm_esclog_init(flm_esclog_t *l, const flm_esclog_settings_t *s, const flm_store_t *store,
                          void *work, size_t work_size)
{
    if (!l || !s || !work || work_size < FLM_ESCLOG_WORK_BYTES(1))
        return FLM_ERR_ARG;
    memset(l, 0, sizeof *l);
    l->settings = *s;
    l->store = store ? store : &flm_store_hal;
    l->work = work;
    l->work_size = work_size;
    flm_err_t err = flm_esclog_recover(l);
    if (err)
        l->ready = false;
    return err;
}

void flm_esclog_deinit(flm_esclog_t *l)
{
    if (l)
        memset(l, 0, sizeof *l);
}

static flm_err_t usable(flm_esclog_t *l)
{
    if (!l || !l->work)
        return FLM_ERR_ARG;
    if (l->dirty || !l->ready)
        return recover(l);
    return FLM_OK;
}

/* ---- deleting ------------------------------------------------------------------ */

/* The size of entry seq's record, or FLM_ERR_NOT_FOUND. */
static flm_err_t rec_len(flm_esclog_t *l, uint32_t seq, size_t *len)
{
    char key[KEY_BYTES];
    make_key(key, seq);
    flm_err_t err = l->store->get(l->store->ctx, key, l->work, 0, len);
    return err == FLM_ERR_OVERFLOW ? FLM_OK : err;
}

/* Delete entry seq. When it may hold the highest number, the head's floor
 * is raised first, so the number is never handed out again. */
static flm_err_t purge(flm_esclog_t *l, uint32_t seq)
{
    size_t len = 0;
    flm_err_t err = rec_len(l, seq, &len);
    if (err == FLM_ERR_NOT_FOUND)
        return FLM_OK;
    if (err)
        return err;
    if (seq >= l->floor) {
        err = head_save(l, l->next_seq ? l->next_seq : UINT32_MAX);
        if (err)
            return write_failed(l, err);
    }
    char key[KEY_BYTES];
    make_key(key, seq);
    err = st_del(l, key);
    if (err)
        return write_failed(l, err);
    l->unreadable -= (uint32_t)(len > rec_cap(l));
    l->entries--;
    l->bytes -= len;
    return FLM_OK;
}

/* The lowest number above `after`, 0 when there is none. */
static flm_err_t next_seq_above(flm_esclog_t *l, uint32_t after, uint32_t *seq)
{
    char key[FLM_HAL_KEY_MAX + 1];
    flm_err_t err;
    *seq = 0;
    make_key(key, after);
    if (!after)
        key[0] = '\0';
    while ((err = st_next(l, key, key)) == FLM_OK)
        if (parse_key(key, seq))
            return FLM_OK;
    return err == FLM_ERR_NOT_FOUND ? FLM_OK : err;
}

static flm_err_t clear(flm_esclog_t *l, uint32_t through, uint32_t *n)
{
    flm_err_t err = usable(l);
    if (err)
        return err;
    for (uint32_t seq = 0;;) {
        err = next_seq_above(l, seq, &seq);
        if (err || !seq || (through && seq > through))
            return err;
        err = purge(l, seq);
        if (err)
            return err;
        if (n)
            (*n)++;
    }
}

flm_err_t flm_esclog_clear(flm_esclog_t *l, uint32_t through, uint32_t *n)
{
    if (n)
        *n = 0;
    flm_err_t err = hold(l);
    return err ? err : flm_store_release(l->store, clear(l, through, n));
}

/* ---- capacity -------------------------------------------------------------------- */

static flm_err_t fits(flm_esclog_t *l, size_t need)
{
    if (need > l->settings.max_bytes || need > rec_cap(l))
        return FLM_ERR_OVERFLOW; /* never will */
    if (l->entries >= l->settings.max_records || l->bytes + need > l->settings.max_bytes)
        return FLM_ERR_STORE_FULL;
    flm_hal_store_stat_t st;
    flm_err_t err = l->store->stat(l->store->ctx, &st);
    if (err)
        return err;
    if (need > st.record_max)
        return FLM_ERR_OVERFLOW;
    if (st.max_records != UINT32_MAX && (uint64_t)st.records + 1 > st.max_records)
        return FLM_ERR_STORE_FULL;
    if (st.bytes_used + need > st.bytes_max)
        return FLM_ERR_STORE_FULL;
    return FLM_OK;
}

static flm_err_t make_room(flm_esclog_t *l, size_t need)
{
    for (;;) {
        flm_err_t err = fits(l, need);
        if (err != FLM_ERR_STORE_FULL)
            return err;
        if (l->settings.when_full != FLM_ESCLOG_FULL_DROP_OLDEST || !l->entries)
            return FLM_ERR_STORE_FULL;
        uint32_t victim;
        err = next_seq_above(l, 0, &victim);
        if (err)
            return err;
        if (!victim)
            return FLM_ERR_STORE_FULL; /* the counts and the store disagree: stop */
        err = purge(l, victim);
        if (err)
            return err;
        l->evicted++;
    }
}

/* ---- the calls -------------------------------------------------------------------- */

static bool in_work(const flm_esclog_t *l, const void *p)
{
    const uint8_t *b = p;
    return b && b >= l->work && b < l->work + l->work_size;
}

static bool text_ok(const flm_esclog_t *l, const char *s, size_t n)
{
    return (s || !n) && !in_work(l, s) && (!n || !memchr(s, 0, n)) && n < UINT32_MAX / 4;
}

static flm_err_t append(flm_esclog_t *l, const flm_esclog_entry_t *e, uint32_t *seq)
{
    flm_err_t err = usable(l);
    if (err)
        return err;
    if (!e || !e->prompt || !e->prompt_len || !e->answer || !e->reason ||
        !text_ok(l, e->prompt, e->prompt_len) || !text_ok(l, e->system, e->system_len) ||
        !text_ok(l, e->answer, e->answer_len) || (!e->system && e->system_len) ||
        (e->scored && e->score > 0x10000u))
        return FLM_ERR_ARG;
    size_t rlen = strlen(e->reason);
    if (!reason_ok(e->reason, rlen))
        return FLM_ERR_ARG;
    if (!l->settings.escalations)
        return FLM_ERR_STATE;
    if (!l->next_seq) {
        l->refused++;
        return FLM_ERR_OVERFLOW;
    }
    size_t need = rec_size(e, rlen);
    /* Both head records exist before the first entry, so raising the floor
     * later replaces one, which fits wherever the old one did. */
    while (l->head.valid < 2) {
        err = head_save(l, l->floor);
        if (err)
            return write_failed(l, err);
    }
    err = make_room(l, need);
    if (err) {
        if (err == FLM_ERR_STORE_FULL || err == FLM_ERR_OVERFLOW)
            l->refused++;
        return err;
    }
    uint32_t s = l->next_seq;
    rec_build(l->work, e, s, rlen);
    char key[KEY_BYTES];
    make_key(key, s);
    err = l->store->put(l->store->ctx, key, l->work, need);
    if (err) {
        if (err == FLM_ERR_STORE_FULL || err == FLM_ERR_OVERFLOW)
            l->refused++;
        return write_failed(l, err);
    }
    l->next_seq = s == UINT32_MAX ? 0 : s + 1;
    l->entries++;
    l->bytes += need;
    if (seq)
        *seq = s;
    return FLM_OK;
}

flm_err_t flm_esclog_append(flm_esclog_t *l, const flm_esclog_entry_t *e, uint32_t *seq)
{
    flm_err_t err = hold(l);
    return err ? err : flm_store_release(l->store, append(l, e, seq));
}

flm_err_t flm_esclog_next(flm_esclog_t *l, uint32_t after, flm_esclog_entry_t *e)
{
    flm_err_t err = usable(l);
    if (err)
        return err;
    if (!e)
        return FLM_ERR_ARG;
    char key[FLM_HAL_KEY_MAX + 1];
    make_key(key, after);
    if (!after)
        key[0] = '\0';
    while ((err = st_next(l, key, key)) == FLM_OK) {
        uint32_t seq;
        if (!parse_key(key, &seq))
            continue;
        size_t len = 0;
        /* the reason's copy goes after the record, NUL-terminated */
        size_t cap = rec_cap(l);
        err = l->store->get(l->store->ctx, key, l->work, cap, &len);
        if (err == FLM_ERR_OVERFLOW || err == FLM_ERR_NOT_FOUND)
            continue; /* unreadable here, or gone under us */
        if (err)
            return err;
        if (!rec_parse(l->work, len, seq, e)) {
            l->dirty = true; /* torn after all: never exported; recovery deletes it */
            continue;
        }
        char *reason = (char *)l->work + cap;
        size_t r = l->work[13];
        memcpy(reason, e->reason, r);
        reason[r] = '\0';
        e->reason = reason;
        return FLM_OK;
    }
    return err;
}

void flm_esclog_status(const flm_esclog_t *l, flm_esclog_status_t *st)
{
    memset(st, 0, sizeof *st);
    if (!l)
        return;
    st->entries = l->entries;
    st->bytes = l->bytes;
    st->max_records = l->settings.max_records;
    st->max_bytes = l->settings.max_bytes;
    st->next_seq = l->next_seq;
    st->evicted = l->evicted;
    st->refused = l->refused;
    st->repaired = l->repaired;
    st->unreadable = l->unreadable;
}
