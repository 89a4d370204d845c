/* Queue recovery (core/guard/queue.c) over a RAM record store the input
 * fills: the input drives a queue through enqueues, answers, drops,
 * collects and compactions on the guards' test store, cuts one write at a
 * byte and in a way it picks (tests/unit/guard/cut_store.h: truncated,
 * erased, old or junk bytes after the cut, or not begun), and may also
 * forge records of its own (any key under q. or qh., bytes, or a record
 * laid out as queue.h says with its CRC right and any field wrong) and flip
 * bytes of stored ones. Then the device "restarts": a new queue recovers
 * the store (its own writes cut too, if the input says), and
 *
 *   - recovery never fails for what is stored (only for the cut it was given);
 *   - a second recovery repairs nothing more and finds the same counts
 *     (its next_seq may be lower only by the numbers of torn records the
 *     first deleted: they were never acknowledged nor delivered);
 *   - the counts are what a listing finds, the byte count what the store
 *     holds under the queue's keys, and next_seq is above every item;
 *   - every listed item is whole: a prompt with its length, a key fit for
 *     an HTTP header, an answer of the length its record says;
 *   - without forged or flipped records, every acknowledged item is there
 *     in its acknowledged state (or in the state of the write that was cut)
 *     with its exact prompt, and nothing else is;
 *   - a new prompt is taken after it, under a number no item has.
 */
#include "core/base/bytes.h"
#include "core/base/crc32.h"
#include "core/guard/queue.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/guard/cut_store.h"

#define MAX_SEQ   64u
#define TEXT_MAX  384u
#define SMALL_MAX 64u

static cut_store_t store;
static uint8_t work[FLM_QUEUE_WORK_BYTES(TEXT_MAX)];

typedef struct {
    const uint8_t *d;
    size_t n;
} in_t;

static uint8_t take(in_t *in)
{
    return flm_fuzz_take_byte(&in->d, &in->n);
}

/* A text of up to max bytes from the input, NUL-free, NUL-terminated. */
static size_t take_text(in_t *in, char *out, size_t max, bool nonempty)
{
    size_t n = take(in) % (max + 1);
    if (n > in->n)
        n = in->n;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = take(in);
        out[i] = (char)(c ? c : 'x');
    }
    if (nonempty && n == 0)
        out[n++] = 'p';
    out[n] = '\0';
    return n;
}

/* The model: what the caller was told. */
typedef struct {
    int  state; /* 0 none, else flm_queue_state_t */
    char prompt[TEXT_MAX + 1];
} model_item_t;

static model_item_t model[MAX_SEQ + 1];

static bool our_key(const char *k, uint32_t *seq)
{
    if (strncmp(k, "q.", 2) != 0)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = k[2 + i];
        if (c >= '0' && c <= '9')
            v = v << 4 | (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v = v << 4 | (uint32_t)(c - 'a' + 10);
        else
            return false;
    }
    const char *r = k + 10;
    if (!(r[0] == '\0' || ((r[1] == 'a' || r[1] == 'd') && r[0] == '.' && r[2] == '\0')) || v == 0)
        return false;
    *seq = v;
    return true;
}

/* A record laid out as queue.h says, fields from the input, CRC right. */
static void forge(in_t *in)
{
    static uint8_t w[TEXT_MAX + 64];
    uint8_t how = take(in);
    uint32_t seq = 1u + take(in) % 8u;
    int kind = how % 3;
    char key[FLM_HAL_KEY_MAX + 1];
    snprintf(key, sizeof key, "q.%08x%s", (unsigned)seq, kind == 1 ? ".a" : kind == 2 ? ".d" : "");
    size_t idem = kind == 0 ? take(in) % 24u : 0;
    size_t a = take(in) % 48u, b = (how & 0x40) ? take(in) % 16u : 0;
    size_t n = 32 + idem + a + 1 + (kind == 0 ? b + 1 : 0) + 4;
    flm_wr32le(w, 0x31514C46u);
    flm_wr32le(w + 4, (uint32_t)n);
    flm_wr32le(w + 8, seq);
    w[12] = (uint8_t)(kind + 1);
    w[13] = b ? 1 : 0;
    flm_wr16le(w + 14, (uint32_t)idem);
    flm_wr64le(w + 16, 7);
    flm_wr32le(w + 24, (uint32_t)a);
    flm_wr32le(w + 28, (uint32_t)b);
    for (size_t i = 32; i < n - 4; i++)
        w[i] = 'k';
    w[32 + idem + a] = 0;
    if (kind == 0)
        w[n - 5] = 0;
    /* then any field wrong: a byte of the input at an offset it picks */
    if (how & 0x80) {
        size_t at = take(in) % (n - 4);
        w[at] = take(in);
    }
    flm_wr32le(w + n - 4, flm_crc32_update(0, w, n - 4));
    (void)store.ops.put(store.ops.ctx, key, w, n);
}

static void raw_record(in_t *in)
{
    static const char *const keys[] = { "q.00000001", "q.00000002.a", "q.00000003.d", "qh.0", "qh.1",
                                        "q.00000000", "q.ffffffff", "q.0000000A", "q.zz", "q.00000002.x" };
    static uint8_t w[TEXT_MAX];
    const char *key = keys[take(in) % (sizeof keys / sizeof keys[0])];
    size_t n = take(in) % 96u;
    for (size_t i = 0; i < n; i++)
        w[i] = take(in);
    (void)store.ops.put(store.ops.ctx, key, w, n);
}

static void flip(in_t *in)
{
    uint8_t r = take(in), at = take(in), x = take(in);
    cut_record_t *rec = &store.rec[r % CUT_STORE_RECORDS];
    if (rec->used && rec->n)
        rec->data[(size_t)at * 7u % rec->n] ^= x ? x : 1;
}

static void check_recovered(flm_queue_t *q, bool exact, int inflight_seq, int inflight_to,
                            bool small_work)
{
    flm_queue_status_t st;
    flm_queue_status(q, &st);
    FUZZ_CHECK(st.items == st.queued + st.answered);
    if (!small_work)
        FUZZ_CHECK(st.unreadable == 0);

    /* The store as the queue's keys hold it. */
    uint64_t bytes = 0;
    uint32_t max_seq = 0;
    for (size_t i = 0; i < CUT_STORE_RECORDS; i++) {
        uint32_t s;
        if (store.rec[i].used && our_key(store.rec[i].key, &s)) {
            bytes += store.rec[i].n;
            if (s > max_seq)
                max_seq = s;
        }
    }
    FUZZ_CHECK(st.bytes == bytes);
    FUZZ_CHECK(st.next_seq == 0 || st.next_seq > max_seq);

    /* The listing agrees with the counts. */
    uint32_t n[4] = { 0 }, after = 0;
    flm_queue_item_t it;
    bool seen[MAX_SEQ + 1] = { false };
    flm_err_t e;
    while ((e = flm_queue_next(q, after, &it)) == FLM_OK) {
        FUZZ_CHECK(it.seq > after);
        FUZZ_CHECK(it.state >= FLM_QUEUE_QUEUED && it.state <= FLM_QUEUE_DROPPED);
        n[it.state]++;
        FUZZ_CHECK(it.prompt && it.prompt_len > 0 && strlen(it.prompt) == it.prompt_len);
        FUZZ_CHECK(!it.system || strlen(it.system) == it.system_len);
        size_t kl = strlen(it.idem_key);
        FUZZ_CHECK(kl > 0 && kl < FLM_QUEUE_IDEM_MAX && strspn(it.idem_key, "abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == kl);
        if (it.seq <= MAX_SEQ)
            seen[it.seq] = true;
        if (exact) {
            FUZZ_CHECK(it.seq <= MAX_SEQ);
            const model_item_t *m = &model[it.seq];
            bool ok = m->state == (int)it.state || ((int)it.seq == inflight_seq && (int)it.state == inflight_to);
            if (!ok)
                fprintf(stderr, "item %u: state %d, the model says %d (inflight %d -> %d)\n", (unsigned)it.seq,
                        (int)it.state, m->state, inflight_seq, inflight_to);
            FUZZ_CHECK(ok);
            if (strcmp(it.prompt, m->prompt) != 0)
                fprintf(stderr, "item %u: prompt \"%s\", the model has \"%s\"\n", (unsigned)it.seq, it.prompt, m->prompt);
            FUZZ_CHECK(strcmp(it.prompt, m->prompt) == 0);
        }
        if (it.state == FLM_QUEUE_ANSWERED) { /* last: it reuses the work buffer it.prompt is in */
            uint32_t answer_len = it.answer_len;
            const char *t;
            size_t tl;
            if (flm_queue_answer_text(q, it.seq, &t, &tl) == FLM_OK)
                FUZZ_CHECK(tl == answer_len && strlen(t) == tl);
        }
        after = it.seq;
    }
    FUZZ_CHECK(e == FLM_ERR_NOT_FOUND);
    if (!small_work) {
        FUZZ_CHECK(n[FLM_QUEUE_QUEUED] == st.queued);
        FUZZ_CHECK(n[FLM_QUEUE_ANSWERED] == st.answered);
        FUZZ_CHECK(n[FLM_QUEUE_DROPPED] == st.dropped);
    }
    if (exact) {
        /* every acknowledged item is there (a dropped one may be compacted) */
        for (uint32_t s = 1; s <= MAX_SEQ; s++) {
            if (model[s].state == FLM_QUEUE_QUEUED || model[s].state == FLM_QUEUE_ANSWERED) {
                if (!seen[s])
                    fprintf(stderr, "item %u (state %d) is gone\n", (unsigned)s, model[s].state);
                FUZZ_CHECK(seen[s] || (int)s == inflight_seq);
            }
        }
    }
    /* Pending items are queued ones, each once, in order. */
    after = 0;
    uint32_t pending = 0;
    while ((e = flm_queue_next_pending(q, after, &it)) == FLM_OK) {
        FUZZ_CHECK(it.seq > after && it.state == FLM_QUEUE_QUEUED);
        after = it.seq;
        pending++;
    }
    FUZZ_CHECK(e == FLM_ERR_NOT_FOUND);
    if (!small_work)
        FUZZ_CHECK(pending == st.queued);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in_t in = { data, size };
    uint8_t opt = take(&in);
    uint8_t cw = take(&in), ck0 = take(&in), ck1 = take(&in), cm = take(&in);
    flm_queue_settings_t s;
    flm_queue_settings_init(&s);
    s.enabled = true;
    s.when_full = opt & 1 ? FLM_QUEUE_FULL_DROP_OLDEST : FLM_QUEUE_FULL_REFUSE;
    s.max_records = 2u << (opt >> 1 & 3);
    s.max_bytes = opt & 8 ? 4096 : 65536;
    bool recovery_cut = (opt & 0x20) != 0;
    bool small_work = (opt & 0x40) != 0; /* recover with a smaller work buffer than wrote */

    cut_store_init(&store);
    if (opt & 0x80)
        store.max_records = 12;
    memset(model, 0, sizeof model);
    static flm_queue_t q;
    FUZZ_CHECK(flm_queue_init(&q, &s, &store.ops, work, sizeof work, 1234) == FLM_OK);
    if (cm % 6 < CUT_MODES)
        cut_store_arm(&store, cw % 48, (size_t)(ck0 | ck1 << 8) % (TEXT_MAX + 80), (cut_mode_t)(cm % 6));

    bool forged = false;
    int inflight_seq = -1, inflight_to = -1;
    static char text[TEXT_MAX + 1], sys[TEXT_MAX + 1], buf[TEXT_MAX + 1];
    for (int step = 0; step < 64 && in.n && !store.fired; step++) {
        uint8_t op = take(&in);
        uint32_t seq = 1u + take(&in) % 16u;
        flm_err_t e = FLM_OK;
        int to = -1;
        switch (op % 8) {
        case 0:
        case 1: {
            size_t tl = take_text(&in, text, TEXT_MAX / 2, true);
            (void)tl;
            bool has_sys = op & 0x10;
            if (has_sys)
                take_text(&in, sys, 32, false);
            uint32_t got = 0;
            seq = q.next_seq;
            if (seq >= 1 && seq <= MAX_SEQ) /* a cut enqueue may have stored it whole */
                memcpy(model[seq].prompt, text, strlen(text) + 1);
            e = flm_queue_enqueue(&q, text, has_sys ? sys : NULL, 100, &got);
            to = FLM_QUEUE_QUEUED;
            if (e == FLM_OK) {
                FUZZ_CHECK(forged || (got == seq && got <= MAX_SEQ));
                if (got >= 1 && got <= MAX_SEQ) {
                    model[got].state = FLM_QUEUE_QUEUED;
                    memcpy(model[got].prompt, text, strlen(text) + 1);
                }
            }
            break;
        }
        case 2: {
            size_t al = take_text(&in, text, TEXT_MAX / 2, false);
            e = flm_queue_answer(&q, seq, text, al, 200);
            to = FLM_QUEUE_ANSWERED;
            if (e == FLM_OK) {
                FUZZ_CHECK(forged || model[seq].state == FLM_QUEUE_QUEUED);
                model[seq].state = FLM_QUEUE_ANSWERED;
            }
            break;
        }
        case 3:
            e = flm_queue_drop(&q, seq, 300);
            to = FLM_QUEUE_DROPPED;
            if (e == FLM_OK && seq <= MAX_SEQ && model[seq].state)
                model[seq].state = FLM_QUEUE_DROPPED;
            break;
        case 4: {
            size_t len = 0;
            e = flm_queue_collect(&q, seq, buf, 1u + take(&in) % TEXT_MAX, &len, 400);
            to = FLM_QUEUE_DROPPED;
            if (e == FLM_OK) {
                FUZZ_CHECK(strlen(buf) == len);
                FUZZ_CHECK(forged || model[seq].state == FLM_QUEUE_ANSWERED);
                model[seq].state = FLM_QUEUE_DROPPED;
            }
            break;
        }
        case 5:
            e = flm_queue_compact(&q);
            break;
        case 6:
            forged = true;
            if (op & 0x10)
                forge(&in);
            else
                raw_record(&in);
            break;
        default:
            forged = true;
            flip(&in);
            break;
        }
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "step %d: op %d seq %u: %s%s (next_seq %u)\n", step, op % 8, (unsigned)seq,
                    flm_err_name(e), store.fired ? ", cut" : "", (unsigned)q.next_seq);
        if (store.fired) {
            FUZZ_CHECK(e == FLM_ERR_IO || op % 8 >= 6);
            inflight_seq = (int)seq;
            inflight_to = to;
        } else if (e == FLM_OK && s.when_full == FLM_QUEUE_FULL_DROP_OLDEST) {
            /* eviction may have purged items the model holds: take them out */
            for (uint32_t k = 1; k <= MAX_SEQ; k++) {
                flm_queue_item_t it;
                if (model[k].state && flm_queue_get(&q, k, &it) != FLM_OK)
                    model[k].state = 0;
            }
        }
    }
    /* Compaction may purge a dropped item at any time: the model allows
     * that by keeping dropped items optional (check_recovered). A cut
     * during compaction or eviction may delete anything dropped. */

    /* The restart. */
    cut_store_power_on(&store);
    flm_queue_deinit(&q);
    size_t wsize = small_work ? FLM_QUEUE_WORK_BYTES(SMALL_MAX) : sizeof work;
    if (recovery_cut && in.n >= 3) {
        cut_store_arm(&store, take(&in) % 4, take(&in), (cut_mode_t)(take(&in) % CUT_MODES));
        flm_err_t e = flm_queue_init(&q, &s, &store.ops, work, wsize, 99);
        FUZZ_CHECK(e == FLM_OK || (store.fired && e == FLM_ERR_IO));
        cut_store_power_on(&store);
        flm_queue_deinit(&q);
    }
    flm_err_t e = flm_queue_init(&q, &s, &store.ops, work, wsize, 99);
    if (e)
        fprintf(stderr, "recovery failed: %s\n", flm_err_name(e));
    FUZZ_CHECK(e == FLM_OK);
    /* The dropped state is optional in the model (compaction, a cut purge). */
    bool exact = !forged && !small_work && s.when_full == FLM_QUEUE_FULL_REFUSE;
    if (exact)
        for (uint32_t k = 1; k <= MAX_SEQ; k++)
            if (model[k].state == FLM_QUEUE_DROPPED) {
                flm_queue_item_t it;
                if (flm_queue_get(&q, k, &it) != FLM_OK)
                    model[k].state = 0;
            }
    if (exact && inflight_seq > 0 && inflight_to == FLM_QUEUE_DROPPED) {
        flm_queue_item_t it;
        if (flm_queue_get(&q, (uint32_t)inflight_seq, &it) != FLM_OK)
            model[inflight_seq].state = 0;
    }
    check_recovered(&q, exact, inflight_seq, inflight_to, small_work);

    flm_queue_status_t a, b;
    flm_queue_status(&q, &a);
    FUZZ_CHECK(flm_queue_recover(&q) == FLM_OK);
    flm_queue_status(&q, &b);
    if (getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "first: items %u q %u a %u d %u bytes %llu next %u repaired %u; second: items %u q %u a %u d %u bytes %llu next %u repaired %u\n",
                a.items, a.queued, a.answered, a.dropped, (unsigned long long)a.bytes, a.next_seq, a.repaired,
                b.items, b.queued, b.answered, b.dropped, (unsigned long long)b.bytes, b.next_seq, b.repaired);
    FUZZ_CHECK(b.repaired == a.repaired); /* nothing torn is left */
    FUZZ_CHECK(a.items == b.items && a.queued == b.queued && a.answered == b.answered &&
               a.dropped == b.dropped && a.bytes == b.bytes);
    /* A torn record's number counts for the recovery that deletes it, not
     * for later ones: it was never acknowledged nor delivered, so taking it
     * again repeats no key a server has seen. */
    FUZZ_CHECK(b.next_seq <= a.next_seq || a.next_seq == 0);

    /* A new prompt goes under a new number. */
    uint32_t got = 0;
    uint32_t want = b.next_seq;
    e = flm_queue_enqueue(&q, "after the restart", NULL, 500, &got);
    if (e == FLM_OK) {
        FUZZ_CHECK(got == want);
        flm_queue_item_t it;
        FUZZ_CHECK(flm_queue_get(&q, got, &it) == FLM_OK && strcmp(it.prompt, "after the restart") == 0);
        FUZZ_CHECK(it.state == FLM_QUEUE_QUEUED);
    } else {
        FUZZ_CHECK(e == FLM_ERR_STORE_FULL || e == FLM_ERR_OVERFLOW);
    }
    flm_queue_deinit(&q);
    return 0;
}
