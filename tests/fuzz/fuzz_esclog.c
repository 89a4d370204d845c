/* Escalation log recovery (core/guard/esclog.c) over a RAM record store
 * the input fills: the input drives a log through appends and clears on
 * the guards' test store, cuts one write at a byte and in a way it picks
 * (tests/unit/guard/cut_store.h), and may forge records of its own (any
 * key under e. or eh., bytes, or a record laid out as esclog.h says with
 * its CRC right and any field wrong) and flip bytes of stored ones. Then
 * the device "restarts": a new log recovers the store (its own deletes cut
 * too, if the input says), and
 *
 *   - recovery never fails for what is stored (only for the cut it was given);
 *   - a second recovery repairs nothing more and finds the same counts;
 *   - the count is what a listing finds, the byte count what the store
 *     holds under the log's keys, and next_seq is above every entry;
 *   - every listed entry is whole: a prompt, a reason of the reasons'
 *     alphabet, a score in [0, 1], texts of the lengths they say;
 *   - without forged or flipped records, every entry listed is one the
 *     caller was told was kept (or the one whose write was cut), with its
 *     exact prompt and answer, and every acknowledged one is there unless
 *     the cut call was deleting (a clear, an eviction);
 *   - a new entry is taken after it, under a number no entry has.
 */
#include "core/base/bytes.h"
#include "core/base/crc32.h"
#include "core/guard/esclog.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/guard/cut_store.h"

#define MAX_SEQ  64u
#define TEXT_MAX 300u

static cut_store_t store;
static uint8_t work[FLM_ESCLOG_WORK_BYTES(2 * TEXT_MAX)];

typedef struct {
    const uint8_t *d;
    size_t n;
} in_t;

static uint8_t take(in_t *in)
{
    return flm_fuzz_take_byte(&in->d, &in->n);
}

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

typedef struct {
    bool kept;
    char prompt[TEXT_MAX + 1], answer[TEXT_MAX + 1];
} model_entry_t;

static model_entry_t model[MAX_SEQ + 1];

static bool our_key(const char *k, uint32_t *seq)
{
    if (strncmp(k, "e.", 2) != 0 || strlen(k) != 10)
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
    *seq = v;
    return v != 0;
}

/* A record laid out as esclog.h says, fields from the input, CRC right. */
static void forge(in_t *in)
{
    static uint8_t w[256];
    uint8_t how = take(in);
    uint32_t seq = 1u + take(in) % 8u;
    char key[FLM_HAL_KEY_MAX + 1];
    snprintf(key, sizeof key, "e.%08x", (unsigned)seq);
    size_t r = 1 + take(in) % 20u, a = 1 + take(in) % 48u, b = (how & 0x40) ? take(in) % 16u : 0;
    size_t c = take(in) % 48u;
    size_t n = 48 + r + a + b + c + 3 + 4;
    memset(w, 0, 48);
    flm_wr32le(w, 0x31454C46u);
    flm_wr32le(w + 4, (uint32_t)n);
    flm_wr32le(w + 8, seq);
    w[12] = (uint8_t)((how & 0x0F) | (b ? 16 : 0));
    w[13] = (uint8_t)r;
    flm_wr64le(w + 16, 7);
    flm_wr32le(w + 24, (uint32_t)take(in) << 9);
    flm_wr32le(w + 36, (uint32_t)a);
    flm_wr32le(w + 40, (uint32_t)b);
    flm_wr32le(w + 44, (uint32_t)c);
    for (size_t i = 48; i < n - 4; i++)
        w[i] = 'k';
    w[48 + r + a] = 0;
    w[48 + r + a + 1 + b] = 0;
    w[n - 5] = 0;
    if (how & 0x80) {
        size_t at = take(in) % (n - 4);
        w[at] = take(in);
    }
    flm_wr32le(w + n - 4, flm_crc32_update(0, w, n - 4));
    (void)store.ops.put(store.ops.ctx, key, w, n);
}

static void raw_record(in_t *in)
{
    static const char *const keys[] = { "e.00000001", "e.00000002", "eh.0", "eh.1", "e.00000000",
                                        "e.ffffffff", "e.0000000A", "e.zz", "e.00000002.x" };
    static uint8_t w[128];
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

static bool reason_ok(const char *s)
{
    size_t n = strlen(s);
    return n > 0 && n < FLM_ESCLOG_REASON_MAX &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:._-") == n;
}

/* The model's entries that are gone from the log (evicted): out of it. */
static void model_sync(flm_esclog_t *l)
{
    bool present[MAX_SEQ + 1] = { false };
    flm_esclog_entry_t e;
    for (uint32_t after = 0; flm_esclog_next(l, after, &e) == FLM_OK; after = e.seq)
        if (e.seq <= MAX_SEQ)
            present[e.seq] = true;
    for (uint32_t s = 1; s <= MAX_SEQ; s++)
        if (!present[s])
            model[s].kept = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    in_t in = { data, size };
    uint8_t opt = take(&in);
    uint8_t cw = take(&in), ck0 = take(&in), ck1 = take(&in), cm = take(&in);
    flm_esclog_settings_t s;
    flm_esclog_settings_init(&s);
    s.escalations = true;
    s.when_full = opt & 1 ? FLM_ESCLOG_FULL_STOP : FLM_ESCLOG_FULL_DROP_OLDEST;
    s.max_records = 2u << (opt >> 1 & 3);
    s.max_bytes = opt & 8 ? 1024 : 65536;
    bool recovery_cut = (opt & 0x20) != 0;

    cut_store_init(&store);
    if (opt & 0x80)
        store.max_records = 10;
    memset(model, 0, sizeof model);
    static flm_esclog_t l;
    FUZZ_CHECK(flm_esclog_init(&l, &s, &store.ops, work, sizeof work) == FLM_OK);
    if (cm % 6 < CUT_MODES)
        cut_store_arm(&store, cw % 48, (size_t)(ck0 | ck1 << 8) % (2 * TEXT_MAX + 120), (cut_mode_t)(cm % 6));

    bool forged = false, deleting = false;
    int inflight_seq = -1;
    static char prompt[TEXT_MAX + 1], answer[TEXT_MAX + 1];
    for (int step = 0; step < 48 && in.n && !store.fired; step++) {
        uint8_t op = take(&in);
        flm_err_t e = FLM_OK;
        uint32_t seq = l.next_seq;
        switch (op % 6) {
        case 0:
        case 1:
        case 2: {
            take_text(&in, prompt, TEXT_MAX, true);
            take_text(&in, answer, TEXT_MAX, false);
            flm_esclog_entry_t en = { .utc = 100, .cloud = true, .reason = "cloud:difficulty",
                                      .scored = true, .score = 0x8000, .prompt = prompt,
                                      .prompt_len = strlen(prompt), .answer = answer,
                                      .answer_len = strlen(answer) };
            uint32_t got = 0;
            if (seq >= 1 && seq <= MAX_SEQ) { /* a cut append may have stored it whole */
                memcpy(model[seq].prompt, prompt, sizeof prompt);
                memcpy(model[seq].answer, answer, sizeof answer);
            }
            e = flm_esclog_append(&l, &en, &got);
            deleting = s.when_full == FLM_ESCLOG_FULL_DROP_OLDEST;
            if (e == FLM_OK) {
                FUZZ_CHECK(forged || got == seq);
                if (got >= 1 && got <= MAX_SEQ)
                    model[got].kept = true;
            } else if (!store.fired) {
                FUZZ_CHECK(e == FLM_ERR_STORE_FULL || e == FLM_ERR_OVERFLOW || forged);
            }
            break;
        }
        case 3: {
            uint32_t through = take(&in) % 8u;
            e = flm_esclog_clear(&l, through, NULL);
            deleting = true;
            if (e == FLM_OK)
                for (uint32_t k = 1; k <= MAX_SEQ; k++)
                    if (!through || k <= through)
                        model[k].kept = false;
            break;
        }
        case 4:
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
        if (store.fired) {
            FUZZ_CHECK(e == FLM_ERR_IO || op % 6 >= 4);
            inflight_seq = (int)seq;
        } else if (!forged) {
            model_sync(&l);
        }
    }

    /* The restart. */
    cut_store_power_on(&store);
    flm_esclog_deinit(&l);
    if (recovery_cut && in.n >= 3) {
        cut_store_arm(&store, take(&in) % 4, take(&in), (cut_mode_t)(take(&in) % CUT_MODES));
        flm_err_t e = flm_esclog_init(&l, &s, &store.ops, work, sizeof work);
        FUZZ_CHECK(e == FLM_OK || (store.fired && e == FLM_ERR_IO));
        cut_store_power_on(&store);
        flm_esclog_deinit(&l);
    }
    FUZZ_CHECK(flm_esclog_init(&l, &s, &store.ops, work, sizeof work) == FLM_OK);

    flm_esclog_status_t st;
    flm_esclog_status(&l, &st);
    FUZZ_CHECK(st.unreadable == 0);
    uint64_t bytes = 0;
    uint32_t max_seq = 0;
    for (size_t i = 0; i < CUT_STORE_RECORDS; i++) {
        uint32_t k;
        if (store.rec[i].used && our_key(store.rec[i].key, &k)) {
            bytes += store.rec[i].n;
            if (k > max_seq)
                max_seq = k;
        }
    }
    FUZZ_CHECK(st.bytes == bytes);
    FUZZ_CHECK(st.next_seq == 0 || st.next_seq > max_seq);

    bool exact = !forged;
    bool seen[MAX_SEQ + 1] = { false };
    uint32_t n = 0, after = 0;
    flm_esclog_entry_t e;
    flm_err_t err;
    while ((err = flm_esclog_next(&l, after, &e)) == FLM_OK) {
        FUZZ_CHECK(e.seq > after);
        after = e.seq;
        n++;
        FUZZ_CHECK(e.prompt && e.prompt_len > 0 && strlen(e.prompt) == e.prompt_len);
        FUZZ_CHECK(e.answer && strlen(e.answer) == e.answer_len);
        FUZZ_CHECK(!e.system || strlen(e.system) == e.system_len);
        FUZZ_CHECK(reason_ok(e.reason) && e.score <= 0x10000u);
        if (exact) {
            FUZZ_CHECK(e.seq <= MAX_SEQ);
            seen[e.seq] = true;
            const model_entry_t *m = &model[e.seq];
            FUZZ_CHECK(m->kept || (int)e.seq == inflight_seq);
            FUZZ_CHECK(strcmp(e.prompt, m->prompt) == 0 && strcmp(e.answer, m->answer) == 0);
        }
    }
    FUZZ_CHECK(err == FLM_ERR_NOT_FOUND);
    FUZZ_CHECK(n == st.entries);
    if (exact && !(inflight_seq > 0 && deleting))
        for (uint32_t k = 1; k <= MAX_SEQ; k++)
            FUZZ_CHECK(!model[k].kept || seen[k]);

    flm_esclog_status_t b;
    FUZZ_CHECK(flm_esclog_recover(&l) == FLM_OK);
    flm_esclog_status(&l, &b);
    FUZZ_CHECK(b.repaired == st.repaired && b.entries == st.entries && b.bytes == st.bytes);
    FUZZ_CHECK(b.next_seq <= st.next_seq || st.next_seq == 0);

    uint32_t want = b.next_seq, got = 0;
    flm_esclog_entry_t en = { .reason = "cloud:rule", .prompt = "after", .prompt_len = 5,
                              .answer = "the restart", .answer_len = 11 };
    err = flm_esclog_append(&l, &en, &got);
    if (err == FLM_OK)
        FUZZ_CHECK(got == want && got > max_seq);
    else
        FUZZ_CHECK(err == FLM_ERR_STORE_FULL || err == FLM_ERR_OVERFLOW);
    flm_esclog_deinit(&l);
    return 0;
}
