/* The store-and-forward queue: format, recovery and capacity in queue.h. */
#include "core/guard/queue.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/crc32.h"
#include "core/base/fmt.h"

#define REC_MAGIC  0x31514C46u /* "FLQ1" */
#define HEAD_MAGIC 0x48514C46u /* "FLQH" */
#define HDR_BYTES  32u
#define PREFIX     "q."
#define KEY_BYTES  16u /* "q.SSSSSSSS.a" and its NUL */

enum { KIND_PROMPT = 0, KIND_ANSWER = 1, KIND_DROP = 2 };

static const char kind_suffix[3] = { 0, 'a', 'd' };

void flm_queue_settings_init(flm_queue_settings_t *s)
{
    memset(s, 0, sizeof *s);
    s->enabled = false;
    s->max_records = 16;
    s->max_bytes = 65536;
    s->when_full = FLM_QUEUE_FULL_REFUSE;
    memcpy(s->device_id, "fieldlm", sizeof "fieldlm");
}

const char *flm_queue_state_name(flm_queue_state_t s)
{
    switch (s) {
    case FLM_QUEUE_QUEUED: return "queued";
    case FLM_QUEUE_ANSWERED: return "answered";
    case FLM_QUEUE_DROPPED: return "dropped";
    }
    return "?";
}

/* ---- keys ------------------------------------------------------------------ */

static void make_key(char out[KEY_BYTES], uint32_t seq, int kind)
{
    static const char hex[] = "0123456789abcdef";
    out[0] = 'q';
    out[1] = '.';
    for (int i = 0; i < 8; i++)
        out[2 + i] = hex[(seq >> (28 - 4 * i)) & 0xFu];
    size_t n = 10;
    if (kind != KIND_PROMPT) {
        out[n++] = '.';
        out[n++] = kind_suffix[kind];
    }
    out[n] = '\0';
}

/* The sequence number and kind of one of our keys; false for any other
 * key under "q." (left alone: not ours). */
static bool parse_key(const char *key, uint32_t *seq, int *kind)
{
    if (key[0] != 'q' || key[1] != '.')
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
    const char *rest = key + 10;
    if (rest[0] == '\0')
        *kind = KIND_PROMPT;
    else if (rest[0] == '.' && rest[1] == 'a' && rest[2] == '\0')
        *kind = KIND_ANSWER;
    else if (rest[0] == '.' && rest[1] == 'd' && rest[2] == '\0')
        *kind = KIND_DROP;
    else
        return false;
    if (v == 0)
        return false; /* sequence numbers start at 1 */
    *seq = v;
    return true;
}

/* The idempotency key goes into an HTTP header: [A-Za-z0-9._-] only. */
static bool key_text(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return n > 0;
}

/* ---- records ----------------------------------------------------------------- */

typedef struct {
    uint32_t    seq;
    uint8_t     state; /* flm_queue_state_t */
    uint8_t     flags;
    const char *idem;
    size_t      idem_len;
    uint64_t    utc;
    const char *a;
    size_t      a_len;
    const char *b;
    size_t      b_len;
} rec_t;

#define FLAG_SYSTEM 1u

static size_t rec_size(const rec_t *r)
{
    size_t n = HDR_BYTES + r->idem_len + r->a_len + 1 + 4;
    if (r->state == FLM_QUEUE_QUEUED)
        n += r->b_len + 1;
    return n;
}

/* Lay r out in w (rec_size(r) bytes: the caller checked they fit). */
static size_t rec_build(uint8_t *w, const rec_t *r)
{
    size_t n = rec_size(r);
    flm_wr32le(w, REC_MAGIC);
    flm_wr32le(w + 4, (uint32_t)n);
    flm_wr32le(w + 8, r->seq);
    w[12] = r->state;
    w[13] = r->flags;
    flm_wr16le(w + 14, (uint32_t)r->idem_len);
    flm_wr64le(w + 16, r->utc);
    flm_wr32le(w + 24, (uint32_t)r->a_len);
    flm_wr32le(w + 28, (uint32_t)r->b_len);
    size_t p = HDR_BYTES;
    memcpy(w + p, r->idem, r->idem_len);
    p += r->idem_len;
    memcpy(w + p, r->a, r->a_len);
    p += r->a_len;
    w[p++] = 0;
    if (r->state == FLM_QUEUE_QUEUED) {
        if (r->b_len)
            memcpy(w + p, r->b, r->b_len);
        p += r->b_len;
        w[p++] = 0;
    }
    flm_wr32le(w + p, flm_crc32_update(0, w, p));
    return n;
}

/* Is w[0, len) a whole, intact record of item seq in the state its key
 * says? Fills r with views into w. Everything is checked before anything is
 * believed: sizes before the CRC (which then covers them), a torn record
 * fails one or the other. */
static bool rec_parse(const uint8_t *w, size_t len, uint32_t seq, int kind, rec_t *r)
{
    if (len < HDR_BYTES + 1 + 4 || flm_rd32le(w) != REC_MAGIC || flm_rd32le(w + 4) != len ||
        flm_rd32le(w + 8) != seq || w[12] != (uint8_t)(kind + 1))
        return false;
    r->seq = seq;
    r->state = w[12];
    r->flags = w[13];
    r->idem_len = flm_rd16le(w + 14);
    r->utc = flm_rd64le(w + 16);
    r->a_len = flm_rd32le(w + 24);
    r->b_len = flm_rd32le(w + 28);
    bool queued = r->state == FLM_QUEUE_QUEUED;
    if (!queued && (r->idem_len || r->b_len || r->flags))
        return false;
    if (queued && (r->idem_len == 0 || r->idem_len >= FLM_QUEUE_IDEM_MAX || r->a_len == 0 ||
                   (r->flags & ~FLAG_SYSTEM) || (!(r->flags & FLAG_SYSTEM) && r->b_len)))
        return false;
    /* Each length is below len, so the sum cannot wrap. */
    if (r->a_len >= len || r->b_len >= len || rec_size(r) != len)
        return false;
    if (flm_crc32_update(0, w, len - 4) != flm_rd32le(w + len - 4))
        return false;
    size_t p = HDR_BYTES;
    r->idem = (const char *)w + p;
    p += r->idem_len;
    r->a = (const char *)w + p;
    p += r->a_len;
    if (w[p++] != 0 || memchr(r->a, 0, r->a_len))
        return false;
    r->b = NULL;
    if (queued) {
        r->b = (const char *)w + p;
        p += r->b_len;
        if (w[p] != 0 || memchr(r->b, 0, r->b_len) || !key_text(r->idem, r->idem_len))
            return false;
        if (!(r->flags & FLAG_SYSTEM))
            r->b = NULL;
    }
    return true;
}

/* ---- store calls ------------------------------------------------------------- */

static flm_err_t st_put(flm_queue_t *q, const char *key, const void *d, size_t n)
{
    return q->store->put(q->store->ctx, key, d, n);
}

static flm_err_t st_del(flm_queue_t *q, const char *key)
{
    flm_err_t err = q->store->del(q->store->ctx, key);
    return err == FLM_ERR_NOT_FOUND ? FLM_OK : err;
}

static flm_err_t st_next(flm_queue_t *q, const char *after, char *key_out)
{
    return q->store->next(q->store->ctx, PREFIX, after, key_out);
}

/* The size of record key: FLM_OK with *len, or FLM_ERR_NOT_FOUND. */
static flm_err_t st_size(flm_queue_t *q, const char *key, size_t *len)
{
    flm_err_t err = q->store->get(q->store->ctx, key, q->work, 0, len);
    return err == FLM_ERR_OVERFLOW ? FLM_OK : err;
}

static flm_err_t rec_exists(flm_queue_t *q, uint32_t seq, int kind, bool *yes, size_t *len)
{
    char key[KEY_BYTES];
    size_t n = 0;
    make_key(key, seq, kind);
    flm_err_t err = st_size(q, key, &n);
    *yes = err == FLM_OK;
    if (len)
        *len = *yes ? n : 0;
    return err == FLM_ERR_NOT_FOUND ? FLM_OK : err;
}

/* Read and check one record into the work buffer. FLM_ERR_RECORD_CORRUPT
 * when it is torn; FLM_ERR_OVERFLOW when longer than the work buffer. */
static flm_err_t rec_read(flm_queue_t *q, uint32_t seq, int kind, rec_t *r)
{
    char key[KEY_BYTES];
    size_t len = 0;
    make_key(key, seq, kind);
    flm_err_t err = q->store->get(q->store->ctx, key, q->work, q->work_size, &len);
    if (err)
        return err;
    return rec_parse(q->work, len, seq, kind, r) ? FLM_OK : FLM_ERR_RECORD_CORRUPT;
}

static flm_err_t head_save(flm_queue_t *q, uint32_t floor)
{
    uint8_t p[8];
    flm_wr32le(p, q->epoch);
    flm_wr32le(p + 4, floor);
    flm_err_t err = flm_twin_save(&q->head, p, sizeof p);
    if (!err)
        q->floor = floor;
    return err;
}

/* ---- recovery ---------------------------------------------------------------- */

typedef struct {
    uint32_t seq;      /* 0: no group open */
    bool     prompt;   /* its prompt record is intact */
    bool     answered, dropped;
    size_t   bytes;
} group_t;

static void group_close(flm_queue_t *q, group_t *g)
{
    if (g->seq && g->prompt) {
        q->bytes += g->bytes;
        if (g->dropped) {
            q->dropped++;
        } else {
            q->items++;
            if (g->answered)
                q->answered++;
            else
                q->queued++;
        }
    }
    memset(g, 0, sizeof *g);
}

static flm_err_t recover(flm_queue_t *q)
{
    q->ready = false;
    q->items = q->queued = q->answered = q->dropped = q->unreadable = 0;
    q->bytes = 0;

    uint8_t head[8];
    bool found = false;
    flm_twin_init(&q->head, q->store, "qh.0", "qh.1", HEAD_MAGIC);
    flm_err_t err = flm_twin_load(&q->head, head, sizeof head, &found);
    if (err)
        return err;
    q->floor = found ? flm_rd32le(head + 4) : 1;
    if (found)
        q->epoch = flm_rd32le(head);

    /* Keys come in order: q.S, q.S.a, q.S.d, then the next S. */
    char key[FLM_HAL_KEY_MAX + 1] = "";
    uint32_t max_seen = 0;
    bool deleted_new = false; /* a record at or above the floor was deleted */
    group_t g = { 0 };
    while ((err = st_next(q, key, key)) == FLM_OK) {
        uint32_t seq;
        int kind;
        if (!parse_key(key, &seq, &kind))
            continue;
        if (seq > max_seen)
            max_seen = seq;
        if (seq != g.seq || kind == KIND_PROMPT)
            group_close(q, &g);
        g.seq = seq;
        size_t len = 0;
        err = q->store->get(q->store->ctx, key, q->work, q->work_size, &len);
        rec_t r;
        bool intact = false;
        if (err == FLM_OK) {
            intact = rec_parse(q->work, len, seq, kind, &r);
        } else if (err == FLM_ERR_OVERFLOW) {
            /* Longer than this work buffer: not torn (a cut never makes a
             * record longer), written by a build with a bigger one. Kept,
             * counted, never delivered: it cannot be checked here. */
            intact = true;
            q->unreadable++;
        } else if (err == FLM_ERR_NOT_FOUND) {
            continue; /* vanished under us */
        } else {
            return err;
        }
        /* A torn record, or an answer or drop whose prompt is gone (a purge
         * cut between its deletes), goes. */
        if (!intact || (kind != KIND_PROMPT && !g.prompt)) {
            err = st_del(q, key);
            if (err)
                return err;
            q->repaired++;
            deleted_new |= seq >= q->floor;
            continue;
        }
        g.bytes += len;
        if (kind == KIND_PROMPT)
            g.prompt = true;
        else if (kind == KIND_ANSWER)
            g.answered = true;
        else
            g.dropped = true;
    }
    if (err != FLM_ERR_NOT_FOUND)
        return err;
    group_close(q, &g);

    q->next_seq = max_seen == UINT32_MAX ? 0 : max_seen + 1; /* 0: numbers used up */
    if (q->next_seq && q->next_seq < q->floor)
        q->next_seq = q->floor;
    /* A new queue (or one whose head was lost, or a head save that was
     * cut): both head records are written now, so raising the floor later
     * only ever replaces one, which fits wherever the old one did. */
    if (!found)
        q->floor = q->next_seq ? q->next_seq : UINT32_MAX;
    /* The number of a record just deleted (torn, or orphaned) is never
     * handed out again: once it is gone from the store only the floor
     * remembers it, so the floor rises past it (after the delete; a cut
     * between the two can reuse the number of a record that was never
     * acknowledged, the one case left). */
    if (found && deleted_new && q->floor < (q->next_seq ? q->next_seq : UINT32_MAX)) {
        err = head_save(q, q->next_seq ? q->next_seq : UINT32_MAX);
        if (err)
            return err;
    }
    while (q->head.valid < 2) {
        err = head_save(q, q->floor);
        if (err)
            return err;
    }
    q->dirty = false;
    q->ready = true;
    return FLM_OK;
}

/* ---- a store other programs share ------------------------------------------------
 * Where the store has a lock (store->lock: a folder that `fieldlm serve`
 * and a `fieldlm ask` have open at once), another program may have queued
 * (taking the next number), answered, collected or purged since this queue
 * last looked. So each call that writes holds the lock from its first read
 * to its last write and, when the lock says another program changed the
 * store since this queue's last call, reads the q.* records again first (a
 * recovery: a scan of the tens of records a device keeps). Two programs
 * never take one number, and the counts the capacity checks use are the
 * store's. */

static flm_err_t hold(flm_queue_t *q)
{
    if (!q || !q->store || !q->work)
        return FLM_ERR_ARG;
    bool stale;
    flm_err_t err = flm_store_hold(q->store, &q->store_seen, &stale);
    if (!err && stale)
        q->ready = false; /* usable() reads the store again */
    return err;
}

flm_err_t flm_queue_recover(flm_queue_t *q)
{
    flm_err_t err = hold(q);
    return err ? err : flm_store_release(q->store, recover(q));
}

/* ---- init ------------------------------------------------------------------------ */

flm_err_t flm_queue_init(flm_queue_t *q, const flm_queue_settings_t *s, const flm_store_t *store,
                         void *work, size_t work_size, uint32_t seed)
{
    if (!q || !s || !work || work_size < FLM_QUEUE_WORK_BYTES(1))
        return FLM_ERR_ARG;
    memset(q, 0, sizeof *q);
    q->settings = *s;
    q->settings.device_id[sizeof q->settings.device_id - 1] = '\0';
    if (!q->settings.device_id[0])
        memcpy(q->settings.device_id, "fieldlm", sizeof "fieldlm");
    if (!key_text(q->settings.device_id, strlen(q->settings.device_id))) {
        memset(q, 0, sizeof *q);
        return FLM_ERR_ARG; /* it would go into an HTTP header */
    }
    q->store = store ? store : &flm_store_hal;
    q->work = work;
    q->work_size = work_size;
    q->epoch = seed ^ 0x5A17C0DEu; /* kept only when this queue is new */
    flm_err_t err = flm_queue_recover(q);
    if (err)
        q->ready = false;
    return err;
}

void flm_queue_deinit(flm_queue_t *q)
{
    if (q)
        memset(q, 0, sizeof *q);
}

static flm_err_t usable(flm_queue_t *q)
{
    if (!q || !q->work)
        return FLM_ERR_ARG;
    if (q->dirty || !q->ready)
        return recover(q);
    return FLM_OK;
}

/* A write failed: what it left is for the next recovery to judge. A store
 * that refused outright (full, too long) changed nothing. */
static flm_err_t write_failed(flm_queue_t *q, flm_err_t err)
{
    if (err != FLM_ERR_STORE_FULL && err != FLM_ERR_OVERFLOW && err != FLM_ERR_ARG)
        q->dirty = true;
    return err;
}

/* ---- purging --------------------------------------------------------------------- */

/* Delete item seq's records: the prompt first (from then on the item is
 * gone as a whole; what a cut leaves after it is an orphan recovery
 * deletes), then its answer and drop records. When the item may hold the
 * highest sequence number, the head's floor is raised first. */
static flm_err_t purge(flm_queue_t *q, uint32_t seq)
{
    bool has_p, has_a, has_d;
    size_t lp, la, ld;
    flm_err_t err = rec_exists(q, seq, KIND_PROMPT, &has_p, &lp);
    if (!err)
        err = rec_exists(q, seq, KIND_ANSWER, &has_a, &la);
    if (!err)
        err = rec_exists(q, seq, KIND_DROP, &has_d, &ld);
    if (err)
        return err;
    if (seq >= q->floor) {
        err = head_save(q, q->next_seq ? q->next_seq : UINT32_MAX);
        if (err)
            return write_failed(q, err);
    }
    char key[KEY_BYTES];
    for (int kind = KIND_PROMPT; kind <= KIND_DROP; kind++) {
        make_key(key, seq, kind);
        err = st_del(q, key);
        if (err)
            return write_failed(q, err);
    }
    q->unreadable -= (uint32_t)(has_p && lp > q->work_size) + (uint32_t)(has_a && la > q->work_size);
    if (has_p) {
        q->bytes -= lp + la + ld;
        if (has_d) {
            q->dropped--;
        } else {
            q->items--;
            if (has_a)
                q->answered--;
            else
                q->queued--;
        }
        q->purged++;
    }
    return FLM_OK;
}

static flm_err_t compact(flm_queue_t *q)
{
    flm_err_t err = usable(q);
    if (err)
        return err;
    char key[FLM_HAL_KEY_MAX + 1] = "";
    while ((err = st_next(q, key, key)) == FLM_OK) {
        uint32_t seq;
        int kind;
        if (parse_key(key, &seq, &kind) && kind == KIND_DROP) {
            err = purge(q, seq);
            if (err)
                return err;
        }
    }
    return err == FLM_ERR_NOT_FOUND ? FLM_OK : err;
}

flm_err_t flm_queue_compact(flm_queue_t *q)
{
    flm_err_t err = hold(q);
    return err ? err : flm_store_release(q->store, compact(q));
}

/* The oldest item that is not dropped and not `except`; 0 when none. */
static flm_err_t oldest(flm_queue_t *q, uint32_t except, uint32_t *seq_out)
{
    char key[FLM_HAL_KEY_MAX + 1] = "";
    flm_err_t err;
    *seq_out = 0;
    while ((err = st_next(q, key, key)) == FLM_OK) {
        uint32_t seq;
        int kind;
        if (!parse_key(key, &seq, &kind) || kind != KIND_PROMPT || seq == except)
            continue;
        bool dropped;
        err = rec_exists(q, seq, KIND_DROP, &dropped, NULL);
        if (err)
            return err;
        if (!dropped) {
            *seq_out = seq;
            return FLM_OK;
        }
    }
    return err == FLM_ERR_NOT_FOUND ? FLM_OK : err;
}

/* ---- capacity ----------------------------------------------------------------------- */

/* Does a record of `need` bytes fit now? new_item: it is a prompt (one
 * more item, and one store record must stay free after it). */
static flm_err_t fits(flm_queue_t *q, size_t need, bool new_item)
{
    if (new_item && q->items >= q->settings.max_records)
        return FLM_ERR_STORE_FULL;
    if (need > q->settings.max_bytes)
        return FLM_ERR_OVERFLOW; /* never will */
    if (q->bytes + need > q->settings.max_bytes)
        return FLM_ERR_STORE_FULL;
    flm_hal_store_stat_t st;
    flm_err_t err = q->store->stat(q->store->ctx, &st);
    if (err)
        return err;
    if (need > st.record_max)
        return FLM_ERR_OVERFLOW;
    uint64_t records = (uint64_t)st.records + (new_item ? 2u : 1u);
    if (st.max_records != UINT32_MAX && records > st.max_records)
        return FLM_ERR_STORE_FULL;
    if (st.bytes_used + need > st.bytes_max)
        return FLM_ERR_STORE_FULL;
    return FLM_OK;
}

static flm_err_t make_room(flm_queue_t *q, size_t need, bool new_item, uint32_t except)
{
    for (;;) {
        flm_err_t err = fits(q, need, new_item);
        if (err != FLM_ERR_STORE_FULL)
            return err;
        if (q->dropped) {
            err = compact(q);
            if (err)
                return err;
            if (q->dropped)
                return FLM_ERR_STORE_FULL; /* the counts and the store disagree: stop */
            continue;
        }
        if (q->settings.when_full != FLM_QUEUE_FULL_DROP_OLDEST)
            return FLM_ERR_STORE_FULL;
        uint32_t victim;
        err = oldest(q, except, &victim);
        if (err)
            return err;
        if (!victim)
            return FLM_ERR_STORE_FULL;
        err = purge(q, victim);
        if (err)
            return err;
    }
}

/* ---- the calls ------------------------------------------------------------------------ */

static bool in_work(const flm_queue_t *q, const void *p)
{
    const uint8_t *b = p;
    return b && b >= q->work && b < q->work + q->work_size;
}

static size_t idem_key(const flm_queue_t *q, uint32_t seq, char *out, size_t cap)
{
    return flm_snprintf(out, cap, "%s-%08x-%08x", q->settings.device_id, (unsigned)q->epoch,
                        (unsigned)seq);
}

static flm_err_t enqueue(flm_queue_t *q, const char *prompt, const char *system,
                         uint64_t now_utc, uint32_t *seq)
{
    flm_err_t err = usable(q);
    if (err)
        return err;
    if (!prompt || !prompt[0] || !seq || in_work(q, prompt) || in_work(q, system))
        return FLM_ERR_ARG;
    if (!q->settings.enabled)
        return FLM_ERR_STATE;
    if (!q->next_seq)
        return FLM_ERR_OVERFLOW;
    char idem[FLM_QUEUE_IDEM_MAX];
    rec_t r = { .seq = q->next_seq, .state = FLM_QUEUE_QUEUED, .utc = now_utc, .idem = idem };
    r.idem_len = idem_key(q, r.seq, idem, sizeof idem);
    r.a = prompt;
    r.a_len = strlen(prompt);
    r.b = system;
    r.b_len = system ? strlen(system) : 0;
    r.flags = system ? FLAG_SYSTEM : 0;
    if (r.a_len > q->work_size || r.b_len > q->work_size)
        return FLM_ERR_OVERFLOW;
    size_t need = rec_size(&r);
    if (need > q->work_size || need > UINT32_MAX)
        return FLM_ERR_OVERFLOW;
    err = make_room(q, need, true, 0);
    if (err)
        return err;
    if (r.seq != q->next_seq)
        return FLM_ERR_STATE; /* cannot happen: purging keeps next_seq */
    rec_build(q->work, &r);
    char key[KEY_BYTES];
    make_key(key, r.seq, KIND_PROMPT);
    err = st_put(q, key, q->work, need);
    if (err)
        return write_failed(q, err);
    q->next_seq = r.seq == UINT32_MAX ? 0 : r.seq + 1;
    q->items++;
    q->queued++;
    q->bytes += need;
    *seq = r.seq;
    return FLM_OK;
}

flm_err_t flm_queue_enqueue(flm_queue_t *q, const char *prompt, const char *system,
                            uint64_t now_utc, uint32_t *seq)
{
    flm_err_t err = hold(q);
    return err ? err : flm_store_release(q->store, enqueue(q, prompt, system, now_utc, seq));
}

/* Fill it from item seq's prompt record (read into the work buffer). */
static flm_err_t item_read(flm_queue_t *q, uint32_t seq, flm_queue_item_t *it)
{
    bool answered, dropped;
    size_t la = 0;
    flm_err_t err = rec_exists(q, seq, KIND_DROP, &dropped, NULL);
    if (!err)
        err = rec_exists(q, seq, KIND_ANSWER, &answered, &la);
    if (err)
        return err;
    rec_t r;
    err = rec_read(q, seq, KIND_PROMPT, &r);
    if (err == FLM_ERR_RECORD_CORRUPT)
        q->dirty = true; /* torn after all: never delivered; recovery deletes it */
    if (err)
        return err;
    memset(it, 0, sizeof *it);
    it->seq = seq;
    it->state = dropped ? FLM_QUEUE_DROPPED : answered ? FLM_QUEUE_ANSWERED : FLM_QUEUE_QUEUED;
    memcpy(it->idem_key, r.idem, r.idem_len);
    it->idem_key[r.idem_len] = '\0';
    it->enqueued_utc = r.utc;
    it->prompt = r.a;
    it->prompt_len = r.a_len;
    it->system = r.b;
    it->system_len = r.b ? r.b_len : 0;
    it->answer_len = answered && la > HDR_BYTES + 5 ? (uint32_t)(la - HDR_BYTES - 5) : 0;
    return FLM_OK;
}

static flm_err_t scan(flm_queue_t *q, uint32_t after, bool pending_only, flm_queue_item_t *it)
{
    flm_err_t err = usable(q);
    if (err)
        return err;
    if (!it)
        return FLM_ERR_ARG;
    char key[FLM_HAL_KEY_MAX + 1];
    make_key(key, after, KIND_PROMPT);
    memcpy(key + 10, ".z", 3); /* after every record of item `after` */
    while ((err = st_next(q, key, key)) == FLM_OK) {
        uint32_t seq;
        int kind;
        if (!parse_key(key, &seq, &kind) || kind != KIND_PROMPT)
            continue;
        err = item_read(q, seq, it);
        if (err == FLM_ERR_RECORD_CORRUPT || err == FLM_ERR_OVERFLOW || err == FLM_ERR_NOT_FOUND)
            continue;
        if (err)
            return err;
        if (!pending_only || it->state == FLM_QUEUE_QUEUED)
            return FLM_OK;
    }
    return err;
}

flm_err_t flm_queue_next_pending(flm_queue_t *q, uint32_t after, flm_queue_item_t *it)
{
    return scan(q, after, true, it);
}

flm_err_t flm_queue_next(flm_queue_t *q, uint32_t after, flm_queue_item_t *it)
{
    return scan(q, after, false, it);
}

flm_err_t flm_queue_get(flm_queue_t *q, uint32_t seq, flm_queue_item_t *it)
{
    flm_err_t err = usable(q);
    if (err)
        return err;
    if (!it || !seq)
        return FLM_ERR_ARG;
    return item_read(q, seq, it);
}

/* Item seq exists; its state. */
static flm_err_t state_of(flm_queue_t *q, uint32_t seq, flm_queue_state_t *state)
{
    bool p, a, d;
    flm_err_t err = rec_exists(q, seq, KIND_PROMPT, &p, NULL);
    if (!err)
        err = rec_exists(q, seq, KIND_ANSWER, &a, NULL);
    if (!err)
        err = rec_exists(q, seq, KIND_DROP, &d, NULL);
    if (err)
        return err;
    if (!p)
        return FLM_ERR_NOT_FOUND;
    *state = d ? FLM_QUEUE_DROPPED : a ? FLM_QUEUE_ANSWERED : FLM_QUEUE_QUEUED;
    return FLM_OK;
}

static flm_err_t answer(flm_queue_t *q, uint32_t seq, const char *text, size_t n,
                        uint64_t now_utc)
{
    flm_err_t err = usable(q);
    if (err)
        return err;
    if (!seq || (!text && n) || in_work(q, text) || (n && memchr(text, 0, n)))
        return FLM_ERR_ARG;
    flm_queue_state_t state;
    err = state_of(q, seq, &state);
    if (err)
        return err;
    if (state != FLM_QUEUE_QUEUED)
        return FLM_ERR_STATE;
    rec_t r = { .seq = seq, .state = FLM_QUEUE_ANSWERED, .utc = now_utc, .idem = "",
                .a = text ? text : "", .a_len = n };
    if (n > q->work_size)
        return FLM_ERR_OVERFLOW;
    size_t need = rec_size(&r);
    if (need > q->work_size || need > UINT32_MAX)
        return FLM_ERR_OVERFLOW;
    err = make_room(q, need, false, seq);
    if (err)
        return err;
    rec_build(q->work, &r);
    char key[KEY_BYTES];
    make_key(key, seq, KIND_ANSWER);
    err = st_put(q, key, q->work, need);
    if (err)
        return write_failed(q, err);
    q->queued--;
    q->answered++;
    q->bytes += need;
    return FLM_OK;
}

flm_err_t flm_queue_answer(flm_queue_t *q, uint32_t seq, const char *text, size_t n,
                           uint64_t now_utc)
{
    flm_err_t err = hold(q);
    return err ? err : flm_store_release(q->store, answer(q, seq, text, n, now_utc));
}

flm_err_t flm_queue_answer_text(flm_queue_t *q, uint32_t seq, const char **text, size_t *len)
{
    flm_err_t err = usable(q);
    if (err)
        return err;
    if (!seq || !text || !len)
        return FLM_ERR_ARG;
    flm_queue_state_t state;
    err = state_of(q, seq, &state);
    if (err)
        return err;
    if (state != FLM_QUEUE_ANSWERED)
        return FLM_ERR_STATE;
    rec_t r;
    err = rec_read(q, seq, KIND_ANSWER, &r);
    if (err == FLM_ERR_RECORD_CORRUPT)
        q->dirty = true;
    if (err)
        return err;
    *text = r.a;
    *len = r.a_len;
    return FLM_OK;
}

static flm_err_t drop(flm_queue_t *q, uint32_t seq, uint64_t now_utc)
{
    flm_err_t err = usable(q);
    if (err)
        return err;
    if (!seq)
        return FLM_ERR_ARG;
    flm_queue_state_t state;
    err = state_of(q, seq, &state);
    if (err)
        return err;
    if (state == FLM_QUEUE_DROPPED)
        return FLM_OK;
    rec_t r = { .seq = seq, .state = FLM_QUEUE_DROPPED, .utc = now_utc, .idem = "", .a = "" };
    size_t need = rec_size(&r);
    err = fits(q, need, false);
    if (err == FLM_ERR_STORE_FULL || err == FLM_ERR_OVERFLOW)
        return purge(q, seq); /* no room even for the drop record: delete at once */
    if (err)
        return err;
    rec_build(q->work, &r);
    char key[KEY_BYTES];
    make_key(key, seq, KIND_DROP);
    err = st_put(q, key, q->work, need);
    if (err == FLM_ERR_STORE_FULL)
        return purge(q, seq);
    if (err)
        return write_failed(q, err);
    q->items--;
    if (state == FLM_QUEUE_ANSWERED)
        q->answered--;
    else
        q->queued--;
    q->dropped++;
    q->bytes += need;
    return FLM_OK;
}

flm_err_t flm_queue_drop(flm_queue_t *q, uint32_t seq, uint64_t now_utc)
{
    flm_err_t err = hold(q);
    return err ? err : flm_store_release(q->store, drop(q, seq, now_utc));
}

static flm_err_t collect(flm_queue_t *q, uint32_t seq, char *buf, size_t cap, size_t *len,
                         uint64_t now_utc)
{
    const char *text;
    size_t n;
    flm_err_t err = flm_queue_answer_text(q, seq, &text, &n);
    if (err)
        return err;
    *len = n;
    if (n >= cap)
        return FLM_ERR_OVERFLOW;
    memcpy(buf, text, n);
    buf[n] = '\0';
    return drop(q, seq, now_utc);
}

flm_err_t flm_queue_collect(flm_queue_t *q, uint32_t seq, char *buf, size_t cap, size_t *len,
                            uint64_t now_utc)
{
    if (!buf || !len)
        return FLM_ERR_ARG;
    flm_err_t err = hold(q);
    return err ? err : flm_store_release(q->store, collect(q, seq, buf, cap, len, now_utc));
}

void flm_queue_status(const flm_queue_t *q, flm_queue_status_t *st)
{
    memset(st, 0, sizeof *st);
    if (!q)
        return;
    st->items = q->items;
    st->queued = q->queued;
    st->answered = q->answered;
    st->dropped = q->dropped;
    st->bytes = q->bytes;
    st->max_records = q->settings.max_records;
    st->max_bytes = q->settings.max_bytes;
    st->next_seq = q->next_seq;
    st->repaired = q->repaired;
    st->unreadable = q->unreadable;
}
