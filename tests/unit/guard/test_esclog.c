/*
 * The escalation log (core/guard/esclog.h): its calls, its capacity
 * policies (drop-oldest, stop), numbers that never repeat, and the
 * power-cut test as the queue's: every write of a scenario (appends,
 * evictions, the head, a clear) is cut at every byte offset in every way a
 * store without atomic puts can leave it (tests/unit/guard/cut_store.h),
 * the log recovered (its own deletes cut too), and then every entry it
 * shows must be one that was acknowledged or in flight, with its exact
 * texts, every acknowledged entry that nothing was deleting must be there,
 * and a new entry gets a number never used; the same on the flash store,
 * cut at every programmed byte and erase step.
 */
#include <stdio.h>
#include <string.h>

#include "core/guard/esclog.h"
#include "port/common/flash_sim.h"
#include "port/common/flash_store.h"
#include "port/posix/hal_posix.h"
#include "tests/harness/harness.h"
#include "tests/unit/guard/cut_store.h"

#define NOW 1714567890u

static cut_store_t store, snapshot;
static uint8_t work[FLM_ESCLOG_WORK_BYTES(1024)];
static flm_esclog_t lg;
static const flm_store_t *lstore = &store.ops;
static bool (*cut_fired)(void);

#define REQUIRE(cond, ...)                                  \
    do {                                                    \
        if (!(cond)) {                                      \
            flm_test_fail(__FILE__, __LINE__, __VA_ARGS__); \
            return false;                                   \
        }                                                   \
    } while (0)

static bool cut_store_fired(void)
{
    return store.fired;
}

static flm_esclog_settings_t settings(uint32_t max_records, bool stop)
{
    flm_esclog_settings_t s;
    flm_esclog_settings_init(&s);
    s.escalations = true;
    s.max_records = max_records;
    s.when_full = stop ? FLM_ESCLOG_FULL_STOP : FLM_ESCLOG_FULL_DROP_OLDEST;
    return s;
}

static flm_err_t open_log(const flm_esclog_settings_t *s)
{
    return flm_esclog_init(&lg, s, lstore, work, sizeof work);
}

static flm_esclog_entry_t entry(const char *prompt, const char *system, const char *answer)
{
    flm_esclog_entry_t e = {
        .utc = NOW, .cloud = true, .reason = "cloud:difficulty", .scored = true, .score = 0xC000,
        .has_usage = true, .prompt_tokens = 12, .completion_tokens = 34,
        .prompt = prompt, .prompt_len = strlen(prompt), .system = system,
        .system_len = system ? strlen(system) : 0, .answer = answer, .answer_len = strlen(answer),
    };
    return e;
}

static flm_err_t add(const char *prompt, const char *answer, uint32_t *seq)
{
    flm_esclog_entry_t e = entry(prompt, NULL, answer);
    return flm_esclog_append(&lg, &e, seq);
}

/* Bytes and count of the records under "e." (through the store's calls). */
static uint64_t log_bytes(uint32_t *count)
{
    char k[FLM_HAL_KEY_MAX + 1] = "";
    uint64_t bytes = 0;
    uint32_t n = 0;
    while (lstore->next(lstore->ctx, "e.", k, k) == FLM_OK) {
        size_t len = 0;
        uint8_t b;
        flm_err_t err = lstore->get(lstore->ctx, k, &b, 0, &len);
        if (err == FLM_OK || err == FLM_ERR_OVERFLOW) {
            bytes += len;
            n++;
        }
    }
    if (count)
        *count = n;
    return bytes;
}

/* ---- calls and policies --------------------------------------------------------- */

FLM_TEST(guard_esclog_append_next_clear)
{
    cut_store_init(&store);
    flm_esclog_settings_t s = settings(8, false);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    uint32_t a = 0, b = 0;
    flm_esclog_entry_t e = entry("What is the capital of Australia?", "Be brief.", "Canberra.");
    FLM_CHECK_EQ(flm_esclog_append(&lg, &e, &a), FLM_OK);
    e = entry("Name a prime.", NULL, "Seven.");
    e.reason = "cloud:rule";
    e.scored = false;
    e.has_usage = false;
    e.redacted = true;
    FLM_CHECK_EQ(flm_esclog_append(&lg, &e, &b), FLM_OK);
    FLM_CHECK(a == 1 && b == 2);

    flm_esclog_entry_t r;
    FLM_CHECK_EQ(flm_esclog_next(&lg, 0, &r), FLM_OK);
    FLM_CHECK_EQ(r.seq, 1);
    FLM_CHECK(strcmp(r.prompt, "What is the capital of Australia?") == 0 && r.prompt_len == 33);
    FLM_CHECK(r.system && strcmp(r.system, "Be brief.") == 0 && r.system_len == 9);
    FLM_CHECK(strcmp(r.answer, "Canberra.") == 0 && r.answer_len == 9);
    FLM_CHECK(strcmp(r.reason, "cloud:difficulty") == 0);
    FLM_CHECK(r.cloud && r.scored && r.score == 0xC000 && !r.redacted);
    FLM_CHECK(r.has_usage && r.prompt_tokens == 12 && r.completion_tokens == 34);
    FLM_CHECK_EQ(r.utc, NOW);
    FLM_CHECK_EQ(flm_esclog_next(&lg, 1, &r), FLM_OK);
    FLM_CHECK(r.seq == 2 && r.system == NULL && strcmp(r.reason, "cloud:rule") == 0);
    FLM_CHECK(!r.scored && r.score == 0 && !r.has_usage && r.prompt_tokens == 0 && r.redacted);
    FLM_CHECK_EQ(flm_esclog_next(&lg, 2, &r), FLM_ERR_NOT_FOUND);

    flm_esclog_status_t st;
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.entries == 2 && st.next_seq == 3 && st.repaired == 0);
    FLM_CHECK_EQ(st.bytes, cut_store_bytes(&store, "e.", NULL));

    /* A restart finds the same log. */
    flm_esclog_deinit(&lg);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.entries == 2 && st.next_seq == 3);
    FLM_CHECK_EQ(st.bytes, cut_store_bytes(&store, "e.", NULL));

    /* Clear up to a number, then all. */
    uint32_t n = 0;
    FLM_CHECK_EQ(add("third", "3", &a), FLM_OK);
    FLM_CHECK_EQ(flm_esclog_clear(&lg, 2, &n), FLM_OK);
    FLM_CHECK_EQ(n, 2);
    FLM_CHECK_EQ(flm_esclog_next(&lg, 0, &r), FLM_OK);
    FLM_CHECK(r.seq == 3 && strcmp(r.prompt, "third") == 0);
    FLM_CHECK_EQ(flm_esclog_clear(&lg, 0, &n), FLM_OK);
    FLM_CHECK_EQ(n, 1);
    FLM_CHECK_EQ(flm_esclog_next(&lg, 0, &r), FLM_ERR_NOT_FOUND);
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.entries == 0 && st.bytes == 0);
    FLM_CHECK_EQ(cut_store_bytes(&store, "e.", &n), 0);
}

FLM_TEST(guard_esclog_refuses_bad_calls)
{
    cut_store_init(&store);
    flm_esclog_settings_t s = settings(8, false);
    FLM_CHECK_EQ(flm_esclog_init(&lg, &s, &store.ops, work, 16), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_esclog_init(&lg, NULL, &store.ops, work, sizeof work), FLM_ERR_ARG);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    uint32_t seq;
    flm_esclog_entry_t e = entry("", NULL, "a");
    FLM_CHECK_EQ(flm_esclog_append(&lg, &e, &seq), FLM_ERR_ARG); /* an empty prompt */
    e = entry("p", NULL, "a");
    e.answer_len = 3; /* "a\0..." : a NUL inside */
    FLM_CHECK_EQ(flm_esclog_append(&lg, &e, &seq), FLM_ERR_ARG);
    e = entry("p", NULL, "a");
    e.reason = "cloud difficulty"; /* not the reasons' alphabet */
    FLM_CHECK_EQ(flm_esclog_append(&lg, &e, &seq), FLM_ERR_ARG);
    e.reason = "";
    FLM_CHECK_EQ(flm_esclog_append(&lg, &e, &seq), FLM_ERR_ARG);
    e = entry("p", NULL, "a");
    e.score = 0x10001; /* above 1 */
    FLM_CHECK_EQ(flm_esclog_append(&lg, &e, &seq), FLM_ERR_ARG);
    e = entry((const char *)work, NULL, "a"); /* inside the log's own buffer */
    FLM_CHECK_EQ(flm_esclog_append(&lg, &e, &seq), FLM_ERR_ARG);
    e = entry("p", NULL, "a");
    e.system_len = 2; /* a length without a text */
    FLM_CHECK_EQ(flm_esclog_append(&lg, &e, &seq), FLM_ERR_ARG);
    static char big[2048];
    memset(big, 'x', sizeof big - 1);
    FLM_CHECK_EQ(add("p", big, &seq), FLM_ERR_OVERFLOW); /* never fits the work buffer */
    FLM_CHECK_EQ(add("ok", "", &seq), FLM_OK);           /* an empty answer is one */
    flm_esclog_status_t st;
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.entries == 1 && st.refused == 1);

    /* Off: nothing is written, what is there is still read and cleared. */
    s.escalations = false;
    flm_esclog_deinit(&lg);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    long w = store.writes;
    FLM_CHECK_EQ(add("off", "x", &seq), FLM_ERR_STATE);
    FLM_CHECK_EQ(store.writes, w);
    flm_esclog_entry_t r;
    FLM_CHECK_EQ(flm_esclog_next(&lg, 0, &r), FLM_OK);
    FLM_CHECK(strcmp(r.prompt, "ok") == 0 && r.answer_len == 0);
    FLM_CHECK_EQ(flm_esclog_clear(&lg, 0, NULL), FLM_OK);
    flm_esclog_deinit(&lg);
    FLM_CHECK_EQ(flm_esclog_next(&lg, 0, &r), FLM_ERR_ARG);

    /* An empty store opened with logging off gets no records at all. */
    cut_store_init(&store);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    FLM_CHECK_EQ(store.writes, 0);
}

/* Full under drop-oldest: the newest entries are kept. */
FLM_TEST(guard_esclog_full_drop_oldest)
{
    cut_store_init(&store);
    flm_esclog_settings_t s = settings(3, false);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    uint32_t seq;
    char p[16];
    for (int i = 1; i <= 5; i++) {
        snprintf(p, sizeof p, "prompt %d", i);
        FLM_CHECK_EQ(add(p, "answer", &seq), FLM_OK);
        FLM_CHECK_EQ(seq, (uint32_t)i);
    }
    flm_esclog_entry_t r;
    uint32_t after = 0, n = 0;
    while (flm_esclog_next(&lg, after, &r) == FLM_OK) {
        after = r.seq;
        n++;
        snprintf(p, sizeof p, "prompt %u", (unsigned)r.seq);
        FLM_CHECK(strcmp(r.prompt, p) == 0);
    }
    FLM_CHECK(n == 3 && after == 5);
    FLM_CHECK_EQ(flm_esclog_next(&lg, 0, &r), FLM_OK);
    FLM_CHECK_EQ(r.seq, 3); /* 1 and 2 went */
    flm_esclog_status_t st;
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.entries == 3 && st.evicted == 2 && st.refused == 0);

    /* The byte limit: a big entry evicts as many as it needs. */
    s = settings(100, false);
    s.max_bytes = 1024;
    cut_store_init(&store);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    for (int i = 0; i < 10; i++)
        FLM_CHECK_EQ(add("small prompt", "a small answer", &seq), FLM_OK);
    static char a[700];
    memset(a, 'a', sizeof a - 1);
    FLM_CHECK_EQ(add("big", a, &seq), FLM_OK);
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.bytes <= 1024 && st.entries >= 2 && st.entries < 11);
    FLM_CHECK_EQ(st.bytes, cut_store_bytes(&store, "e.", NULL));
    static char huge[1100];
    memset(huge, 'h', sizeof huge - 1);
    FLM_CHECK_EQ(add("huge", huge, &seq), FLM_ERR_OVERFLOW); /* above max_bytes: never */
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.entries >= 2); /* and nothing was evicted for it */

    /* The store's own limit: eviction makes room there too. */
    cut_store_init(&store);
    store.max_records = 5; /* the head's 2, then 3 entries */
    s = settings(100, false);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    for (int i = 0; i < 6; i++)
        FLM_CHECK_EQ(add("p", "a", &seq), FLM_OK);
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.entries == 3 && seq == 6);
}

/* Full under stop: the oldest entries are kept, the new one is not. */
FLM_TEST(guard_esclog_full_stop)
{
    cut_store_init(&store);
    flm_esclog_settings_t s = settings(2, true);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    uint32_t seq;
    FLM_CHECK_EQ(add("one", "1", &seq), FLM_OK);
    FLM_CHECK_EQ(add("two", "2", &seq), FLM_OK);
    long w = store.writes;
    FLM_CHECK_EQ(add("three", "3", &seq), FLM_ERR_STORE_FULL);
    FLM_CHECK_EQ(store.writes, w); /* nothing written, nothing deleted */
    flm_esclog_entry_t r;
    FLM_CHECK_EQ(flm_esclog_next(&lg, 0, &r), FLM_OK);
    FLM_CHECK(strcmp(r.prompt, "one") == 0);
    flm_esclog_status_t st;
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.entries == 2 && st.refused == 1 && st.evicted == 0);
    /* exported and cleared: it logs again */
    FLM_CHECK_EQ(flm_esclog_clear(&lg, 0, NULL), FLM_OK);
    FLM_CHECK_EQ(add("three", "3", &seq), FLM_OK);
    FLM_CHECK_EQ(seq, 3);

    /* The byte limit too. */
    s = settings(100, true);
    s.max_bytes = 1024;
    cut_store_init(&store);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    static char a[600];
    memset(a, 'a', sizeof a - 1);
    FLM_CHECK_EQ(add("p", a, &seq), FLM_OK);
    FLM_CHECK_EQ(add("p", a, &seq), FLM_ERR_STORE_FULL);
    FLM_CHECK_EQ(add("p", "short", &seq), FLM_OK);
}

/* Numbers never come back: not after the newest entry is cleared, not
 * after a restart. */
FLM_TEST(guard_esclog_numbers_never_repeat)
{
    cut_store_init(&store);
    flm_esclog_settings_t s = settings(8, false);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    uint32_t seq;
    for (int i = 0; i < 3; i++)
        FLM_CHECK_EQ(add("p", "a", &seq), FLM_OK);
    FLM_CHECK_EQ(flm_esclog_clear(&lg, 0, NULL), FLM_OK);
    flm_esclog_deinit(&lg);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    FLM_CHECK_EQ(add("p", "a", &seq), FLM_OK);
    FLM_CHECK_EQ(seq, 4);
    /* max_records 1: each append evicts the newest (and only) entry */
    s = settings(1, false);
    flm_esclog_deinit(&lg);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    FLM_CHECK_EQ(add("p", "a", &seq), FLM_OK);
    FLM_CHECK_EQ(seq, 5);
    flm_esclog_deinit(&lg);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    FLM_CHECK_EQ(add("p", "a", &seq), FLM_OK);
    FLM_CHECK_EQ(seq, 6);
}

/* A record torn on the store is deleted at init and never read. */
FLM_TEST(guard_esclog_torn_records)
{
    cut_store_init(&store);
    flm_esclog_settings_t s = settings(8, false);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    uint32_t seq;
    FLM_CHECK_EQ(add("kept", "whole", &seq), FLM_OK);
    FLM_CHECK_EQ(add("torn", "flipped", &seq), FLM_OK);
    /* a bit flipped in the second record's answer */
    for (int i = 0; i < CUT_STORE_RECORDS; i++)
        if (store.rec[i].used && strcmp(store.rec[i].key, "e.00000002") == 0)
            store.rec[i].data[store.rec[i].n - 8] ^= 0x10;
    flm_esclog_entry_t r;
    FLM_CHECK_EQ(flm_esclog_next(&lg, 1, &r), FLM_ERR_NOT_FOUND); /* skipped as it is read */
    flm_esclog_deinit(&lg);
    FLM_CHECK_EQ(open_log(&s), FLM_OK);
    flm_esclog_status_t st;
    flm_esclog_status(&lg, &st);
    FLM_CHECK(st.entries == 1 && st.repaired == 1);
    uint32_t n;
    cut_store_bytes(&store, "e.", &n);
    FLM_CHECK_EQ(n, 1);
    FLM_CHECK_EQ(add("next", "x", &seq), FLM_OK);
    FLM_CHECK_EQ(seq, 2); /* a torn record's number was never acknowledged */
}

/* ---- the power-cut test ------------------------------------------------------------- */

#define MAX_ENTRIES 16

typedef struct {
    uint32_t seq[MAX_ENTRIES]; /* in order; 0: none */
    int      text[MAX_ENTRIES];/* which texts (index into the scenario's) */
    int      n;
    uint32_t next_seq;
    uint32_t max_records;
} model_t;

typedef enum { OP_END, OP_INIT, OP_ADD, OP_CLEAR } op_t;

typedef struct {
    op_t     op;
    int      text;    /* OP_ADD */
    uint32_t through; /* OP_CLEAR */
} step_t;

static const char *const prompts[] = {
    "Why is the sky blue?", "Translate 'good morning' into French.", "What is 17 * 23?",
    "Write a haiku about rain.", "Name the largest planet.", "Explain recursion briefly.",
};
static const char *const answers[] = {
    "Rayleigh scattering: short wavelengths scatter most.", "Bonjour.", "391.",
    "Soft rain on the roof / the garden drinks slowly / a snail wakes up", "Jupiter.",
    "A function that calls itself on a smaller problem until a base case.",
};

static flm_esclog_entry_t scenario_entry(int t)
{
    return entry(prompts[t % 6], t % 2 ? "Be brief." : NULL, answers[t % 6]);
}

/* Appends past max_records 3 (evictions), a clear of the oldest, more
 * appends, a clear of everything (the floor raised), one more. */
static const step_t scenario[] = {
    { OP_INIT, 0, 0 }, { OP_ADD, 0, 0 }, { OP_ADD, 1, 0 }, { OP_ADD, 2, 0 }, { OP_ADD, 3, 0 },
    { OP_ADD, 4, 0 },  { OP_CLEAR, 0, 3 }, { OP_ADD, 5, 0 }, { OP_CLEAR, 0, 0 }, { OP_ADD, 1, 0 },
    { OP_END, 0, 0 },
};

static void model_remove(model_t *m, int i)
{
    memmove(&m->seq[i], &m->seq[i + 1], (size_t)(m->n - i - 1) * sizeof m->seq[0]);
    memmove(&m->text[i], &m->text[i + 1], (size_t)(m->n - i - 1) * sizeof m->text[0]);
    m->n--;
}

static void model_apply(model_t *m, const step_t *st)
{
    if (st->op == OP_ADD) {
        if ((uint32_t)m->n >= m->max_records)
            model_remove(m, 0);
        m->seq[m->n] = m->next_seq++;
        m->text[m->n] = st->text;
        m->n++;
    } else if (st->op == OP_CLEAR) {
        while (m->n && (!st->through || m->seq[0] <= st->through))
            model_remove(m, 0);
    }
}

static int model_find(const model_t *m, uint32_t seq)
{
    for (int i = 0; i < m->n; i++)
        if (m->seq[i] == seq)
            return i;
    return -1;
}

static flm_err_t run_step(const step_t *st)
{
    flm_esclog_settings_t s = settings(3, false);
    uint32_t seq;
    switch (st->op) {
    case OP_END: return FLM_OK;
    case OP_INIT: return open_log(&s);
    case OP_ADD: {
        flm_esclog_entry_t e = scenario_entry(st->text);
        return flm_esclog_append(&lg, &e, &seq);
    }
    case OP_CLEAR: return flm_esclog_clear(&lg, st->through, NULL);
    }
    return FLM_ERR_ARG;
}

static bool run_scenario(const model_t *m0, model_t *s0, int *inflight)
{
    *s0 = *m0;
    *inflight = -1;
    for (int i = 0; scenario[i].op != OP_END; i++) {
        flm_err_t err = run_step(&scenario[i]);
        if (cut_fired()) {
            REQUIRE(err == FLM_ERR_IO, "step %d: the cut gave %s", i, flm_err_name(err));
            *inflight = i;
            return true;
        }
        REQUIRE(err == FLM_OK, "step %d failed without a cut: %s", i, flm_err_name(err));
        model_apply(s0, &scenario[i]);
    }
    return true;
}

/* After a cut and a recovery: each entry shown is one of the state before
 * the step that was cut (a) or after it (b), with its texts; each entry of
 * both is shown; a new one gets a new number; then it clears to empty. */
static bool check_recovered(const model_t *a, const step_t *inflight, const char *what)
{
    model_t b = *a;
    if (inflight)
        model_apply(&b, inflight);
    flm_esclog_status_t st;
    flm_esclog_status(&lg, &st);
    REQUIRE(st.bytes == log_bytes(NULL), "%s: byte count off", what);
    flm_esclog_entry_t r;
    uint32_t after = 0, seen = 0;
    bool shown_a[MAX_ENTRIES] = { false };
    flm_err_t err;
    while ((err = flm_esclog_next(&lg, after, &r)) == FLM_OK) {
        REQUIRE(r.seq > after, "%s: out of order", what);
        after = r.seq;
        int i = model_find(a, r.seq), j = model_find(&b, r.seq);
        REQUIRE(i >= 0 || j >= 0, "%s: entry %u is none the model knows", what, (unsigned)r.seq);
        int t = i >= 0 ? a->text[i] : b.text[j];
        if (i >= 0)
            shown_a[i] = true;
        flm_esclog_entry_t want = scenario_entry(t);
        REQUIRE(r.prompt_len == want.prompt_len && strcmp(r.prompt, want.prompt) == 0 &&
                    strcmp(r.answer, want.answer) == 0 && (r.system == NULL) == (want.system == NULL) &&
                    (!r.system || strcmp(r.system, want.system) == 0) &&
                    strcmp(r.reason, want.reason) == 0 && r.score == want.score &&
                    r.prompt_tokens == want.prompt_tokens && r.completion_tokens == want.completion_tokens,
                "%s: entry %u differs", what, (unsigned)r.seq);
        seen++;
    }
    REQUIRE(err == FLM_ERR_NOT_FOUND, "%s: listing: %s", what, flm_err_name(err));
    for (int i = 0; i < a->n; i++)
        REQUIRE(shown_a[i] || model_find(&b, a->seq[i]) < 0, "%s: acknowledged entry %u lost", what,
                (unsigned)a->seq[i]);
    REQUIRE(st.entries == seen, "%s: %u entries counted, %u shown", what, (unsigned)st.entries,
            (unsigned)seen);
    uint32_t seq = 0;
    REQUIRE(add("after the cut", "ok", &seq) == FLM_OK, "%s: append after", what);
    REQUIRE(seq >= a->next_seq && seq > after, "%s: number %u reused", what, (unsigned)seq);
    REQUIRE(flm_esclog_clear(&lg, 0, NULL) == FLM_OK, "%s: clear after", what);
    uint32_t left = 0;
    log_bytes(&left);
    REQUIRE(left == 0, "%s: %u records left after the clear", what, (unsigned)left);
    return true;
}

static bool recover_and_check(const model_t *s0, const step_t *inflight, const char *what, long *nrec)
{
    flm_esclog_settings_t s = settings(3, false);
    snapshot = store;
    snapshot.ops.ctx = &snapshot;
    long w0 = store.writes;
    REQUIRE(open_log(&s) == FLM_OK, "%s: recovery failed", what);
    long rec_writes = store.writes - w0;
    REQUIRE(rec_writes <= 2, "%s: %ld recovery writes", what, rec_writes);
    if (!check_recovered(s0, inflight, what))
        return false;
    /* The recovery's own writes (deletes of torn records): not done, or done. */
    for (long r = 0; r < rec_writes; r++) {
        for (int mode = 0; mode < 2; mode++) {
            store = snapshot;
            store.ops.ctx = &store;
            cut_store_arm(&store, r, 0, mode ? CUT_ERASED : CUT_BEFORE);
            flm_err_t err = open_log(&s);
            REQUIRE(store.fired && err == FLM_ERR_IO, "%s: recovery write %ld not cut", what, r);
            cut_store_power_on(&store);
            (*nrec)++;
            char w2[128];
            snprintf(w2, sizeof w2, "%s, recovery write %ld cut mode %d", what, r, mode);
            REQUIRE(open_log(&s) == FLM_OK, "%s: second recovery failed", w2);
            if (!check_recovered(s0, inflight, w2))
                return false;
        }
    }
    return true;
}

FLM_TEST(guard_esclog_cut_at_every_byte)
{
    model_t m0 = { .next_seq = 1, .max_records = 3 };
    model_t s0;
    int inflight;
    long cuts = 0, rec_cuts = 0;
    lstore = &store.ops;
    cut_fired = cut_store_fired;
    cut_store_init(&store);
    FLM_CHECK(run_scenario(&m0, &s0, &inflight));
    FLM_CHECK(inflight < 0);
    long writes = store.writes;
    FLM_CHECK(writes <= CUT_STORE_TRACE);
    static cut_write_t trace[CUT_STORE_TRACE];
    memcpy(trace, store.trace, sizeof trace);
    FLM_CHECK(recover_and_check(&s0, NULL, "no cut", &rec_cuts));
    for (long w = 0; w < writes; w++) {
        size_t kmax = trace[w].put ? trace[w].n : 0;
        for (size_t k = 0; k <= kmax; k++) {
            for (int mode = 0; mode < CUT_MODES; mode++) {
                if (!trace[w].put && mode != CUT_BEFORE && mode != CUT_ERASED)
                    continue; /* a del: not done, or done */
                if (k == kmax && trace[w].put && mode != CUT_ERASED)
                    continue; /* all bytes written: one case */
                if (k > 0 && mode == CUT_BEFORE)
                    continue;
                cut_store_init(&store);
                cut_store_arm(&store, w, k, (cut_mode_t)mode);
                FLM_CHECK(run_scenario(&m0, &s0, &inflight));
                if (inflight < 0) {
                    FLM_CHECK_MSG(false, "write %ld (%s) was never cut", w, trace[w].key);
                    return;
                }
                cut_store_power_on(&store);
                cuts++;
                char what[96];
                snprintf(what, sizeof what, "write %ld (%s %s, step %d) cut at %zu mode %d", w,
                         trace[w].put ? "put" : "del", trace[w].key, inflight, k, mode);
                if (!recover_and_check(&s0, &scenario[inflight], what, &rec_cuts))
                    return;
            }
        }
    }
    printf("    esclog cut points: %ld in %ld writes, %ld more in the recoveries' deletes\n", cuts,
           writes, rec_cuts);
    FLM_CHECK(cuts > 2000);
}

/* ---- on the flash store, cut at the flash ------------------------------------------------ */

static uint8_t flash_mem[4096];
static flm_flash_sim_t sim;
static flm_flash_store_t fs;

static flm_err_t fs_put(void *c, const char *k, const void *d, size_t n) { return flm_flash_store_put(c, k, d, n); }
static flm_err_t fs_get(void *c, const char *k, void *b, size_t cap, size_t *len) { return flm_flash_store_get(c, k, b, cap, len); }
static flm_err_t fs_del(void *c, const char *k) { return flm_flash_store_del(c, k); }
static flm_err_t fs_stat(void *c, flm_hal_store_stat_t *st) { return flm_flash_store_stat(c, st); }
static flm_err_t fs_next(void *c, const char *p, const char *a, char *k) { return flm_flash_store_next(c, p, a, k); }
static const flm_store_t flash_ops = { fs_put, fs_get, fs_del, fs_stat, fs_next, &fs, NULL, NULL };

static bool flash_dead(void)
{
    return sim.dead;
}

static bool flash_mount(bool erase)
{
    if (erase) {
        memset(flash_mem, 0, sizeof flash_mem);
        flm_flash_sim_init(&sim, flash_mem, 256, 12); /* banks of 1.5 KiB: garbage is collected */
    }
    flm_flash_sim_power_on(&sim);
    flm_flash_t part = flm_flash_sim_part(&sim);
    REQUIRE(flm_flash_store_mount(&fs, &part) == FLM_OK, "flash mount");
    if (erase) {
        /* someone else's record shares the store (and brings the garbage
         * collections on sooner) */
        static uint8_t cfg[600];
        memset(cfg, 'c', sizeof cfg);
        REQUIRE(flm_flash_store_put(&fs, "cfg", cfg, sizeof cfg) == FLM_OK, "cfg");
    }
    return true;
}

FLM_TEST(guard_esclog_on_flash_cut_everywhere)
{
    model_t m0 = { .next_seq = 1, .max_records = 3 };
    model_t s0;
    int inflight;
    long cuts = 0;
    lstore = &flash_ops;
    cut_fired = flash_dead;
    FLM_CHECK(flash_mount(true));
    uint64_t formatted = sim.units;
    FLM_CHECK(run_scenario(&m0, &s0, &inflight));
    FLM_CHECK(inflight < 0);
    uint64_t total = sim.units - formatted;
    uint32_t collections = fs.collections;
    for (uint64_t k = 0; k < total; k++) {
        for (int mode = 0; mode < 2; mode++) {
            FLM_CHECK(flash_mount(true));
            flm_flash_sim_cut(&sim, k, (flm_flash_cut_mode_t)mode);
            FLM_CHECK(run_scenario(&m0, &s0, &inflight));
            if (inflight < 0) {
                FLM_CHECK_MSG(false, "unit %llu was never cut", (unsigned long long)k);
                break;
            }
            FLM_CHECK(flash_mount(false));
            cuts++;
            char what[64];
            snprintf(what, sizeof what, "flash unit %llu mode %d (step %d)", (unsigned long long)k, mode,
                     inflight);
            flm_esclog_settings_t s = settings(3, false);
            FLM_CHECK_MSG(open_log(&s) == FLM_OK, "%s: recovery failed", what);
            if (!check_recovered(&s0, &scenario[inflight], what))
                break;
            FLM_CHECK_MSG(sim.violations == 0, "%s: a 0 bit programmed to 1", what);
        }
    }
    printf("    esclog on the flash store: %llu cut points (every programmed byte and erase step, "
           "2 ways; %u garbage collections in the run)\n", (unsigned long long)cuts, (unsigned)collections);
    FLM_CHECK(collections >= 1);
    lstore = &store.ops;
}

/* On the port's own store (the POSIX directory store), through flm_store_hal. */
FLM_TEST(guard_esclog_on_the_hal_store)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/esclog-store", flm_test_tmpdir());
    FLM_CHECK_EQ(flm_hal_posix_set_store_dir(dir), FLM_OK);
    flm_hal_posix_set_store_limits(0, 0);
    flm_esclog_settings_t s = settings(8, false);
    FLM_CHECK_EQ(flm_esclog_init(&lg, &s, NULL, work, sizeof work), FLM_OK);
    uint32_t seq;
    FLM_CHECK_EQ(add("on the disk", "kept", &seq), FLM_OK);
    flm_esclog_deinit(&lg);
    FLM_CHECK_EQ(flm_esclog_init(&lg, &s, NULL, work, sizeof work), FLM_OK);
    flm_esclog_entry_t r;
    FLM_CHECK_EQ(flm_esclog_next(&lg, 0, &r), FLM_OK);
    FLM_CHECK(r.seq == seq && strcmp(r.prompt, "on the disk") == 0 && strcmp(r.answer, "kept") == 0);
    FLM_CHECK_EQ(flm_esclog_clear(&lg, 0, NULL), FLM_OK);
    char k[FLM_HAL_KEY_MAX + 1] = "";
    FLM_CHECK_EQ(flm_hal_store_next("e.", k, k), FLM_ERR_NOT_FOUND);
    flm_esclog_deinit(&lg);
}

/* ---- the [log] section ------------------------------------------------------------------ */

static flm_err_t parse_log(const char *text, flm_esclog_settings_t *s, bool *seen, flm_ini_error_t *e)
{
    const flm_ini_bind_t binds[] = { { &flm_esclog_ini_section, s, true, seen } };
    memset(e, 0, sizeof *e);
    return flm_ini_parse(text, strlen(text), binds, 1, NULL, e);
}

FLM_TEST(guard_esclog_config)
{
    flm_esclog_settings_t s;
    flm_ini_error_t e;
    bool seen = false;
    FLM_CHECK_EQ(parse_log("# nothing\n", &s, &seen, &e), FLM_OK);
    FLM_CHECK(!seen && !s.escalations && s.max_records == 256 && s.max_bytes == 1048576 &&
              s.when_full == FLM_ESCLOG_FULL_DROP_OLDEST);
    FLM_CHECK_EQ(parse_log("[log]\n", &s, &seen, &e), FLM_OK);
    FLM_CHECK(seen && !s.escalations); /* present: still off until asked */
    FLM_CHECK_EQ(parse_log("[log]\nescalations = on\nmax_records = 1000\nmax_bytes = 4096\n"
                           "when_full = stop\n", &s, &seen, &e), FLM_OK);
    FLM_CHECK(s.escalations && s.max_records == 1000 && s.max_bytes == 4096 &&
              s.when_full == FLM_ESCLOG_FULL_STOP);
    static const struct {
        const char *text;
        flm_err_t   code;
        const char *message;
    } cases[] = {
        { "[log]\nescalations = maybe\n", FLM_ERR_CONFIG_VALUE,
          "escalations: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)" },
        { "[log]\nmax_bytes = 100\n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[log]\nmax_records = 0\n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[log]\nwhen_full = refuse\n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[log]\nescalation = on\n", FLM_ERR_CONFIG_KEY,
          "unknown key 'escalation' in [log] (did you mean 'escalations'?)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        flm_err_t got = parse_log(cases[i].text, &s, &seen, &e);
        FLM_CHECK_MSG(got == cases[i].code, "case %zu: %s", i, flm_err_name(got));
        FLM_CHECK_MSG(e.line == 2, "case %zu: line %u", i, (unsigned)e.line);
        if (cases[i].message)
            FLM_CHECK_MSG(strcmp(e.message, cases[i].message) == 0, "case %zu: '%s'", i, e.message);
    }
}
