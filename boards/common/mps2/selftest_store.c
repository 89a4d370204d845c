/*
 * Power-cut self-tests of the MPS2 record store and of the store-and-forward
 * queue on it, run by `--selftest` on the board itself (under QEMU:
 * tests/sh/cortexm_hal.sh). Each runs a workload once to count the NOR
 * part's units (programmed bytes, erase steps), then again with the power
 * cut at offsets spread over them and at the ends of every garbage
 * collection (just before and inside its commit word), both ways (the unit
 * hit untouched, or half done); after each cut the part is reset and the
 * store, or the queue, must recover to a state the calls acknowledged.
 * The host tests (tests/unit/port/test_flash_store.c,
 * tests/unit/guard/test_queue.c) cut at every unit; this shows the same
 * code does the same on the target.
 */
#include <string.h>

#include "boards/common/mps2/board.h"
#include "core/guard/queue.h"
#include "core/hal/hal.h"

#define FAIL(...)                                                  \
    do {                                                           \
        flm_hal_log(FLM_LOG_ERROR, "selftest: " __VA_ARGS__);      \
        return false;                                              \
    } while (0)

/* ---- what the tests work on ------------------------------------------------------------ */

#define MAX_CUTS  200
#define MAX_MARKS 64

#define N_KEYS 4
#define N_OPS  48

static const char *const keys[N_KEYS] = { "cfg", "q.00000001", "lg.0", "qh.1" };

typedef struct {
    uint8_t  key;
    bool     del;
    uint16_t len;
    uint8_t  fill;
} op_t;


typedef struct {
    bool     have[N_KEYS];
    uint16_t len[N_KEYS];
    uint8_t  fill[N_KEYS];
} kv_t;

enum { S_INIT, S_ENQ, S_ANSWER, S_DROP, S_COLLECT, S_COMPACT };
enum { M_ABSENT = 0, M_QUEUED, M_ANSWERED, M_DROPPED };

typedef struct {
    uint8_t     op, item;
    const char *a, *b;
} step_t;

static const step_t steps[] = {
    { S_INIT, 0, NULL, NULL },
    { S_ENQ, 0, "Why is the sky blue?", "Answer in one sentence." },
    { S_ENQ, 1, "Name three prime numbers.", NULL },
    { S_ENQ, 2, "Summarise the maintenance log of pump station 4 for the last week, the bearing "
                "alarms and the pressure drop after the valve change.", "You maintain pumps." },
    { S_ANSWER, 0, "Rayleigh scattering.", NULL },
    { S_DROP, 1, NULL, NULL },
    { S_COMPACT, 0, NULL, NULL },
    { S_COLLECT, 0, NULL, NULL },
    { S_ENQ, 3, "Translate 'pump' to German.", NULL },
    { S_ANSWER, 2, "Alarms cleared, pressure normal.", NULL },
    { S_DROP, 3, NULL, NULL },
    { S_COMPACT, 0, NULL, NULL },
    { S_ENQ, 4, "What is 7 times 6?", NULL },
};
#define N_STEPS (sizeof steps / sizeof steps[0])
#define N_ITEMS 5

typedef struct {
    uint8_t     state;
    uint32_t    seq;
    const char *answer;
} item_t;

typedef struct {
    item_t   it[N_ITEMS];
    uint32_t next_seq;
} model_t;

/* Everything big lives in the caller's scratch (the demo's arena, idle
 * during --selftest), so the firmware's .bss does not grow for the test. */
struct scratch {
    op_t        ops[N_OPS];
    uint8_t     value[1600];
    uint64_t    marks[MAX_MARKS];
    uint64_t    cuts[MAX_CUTS];
    flm_queue_t q;
    uint8_t     work[FLM_QUEUE_WORK_BYTES(512)];
    char        text[256];
};

static struct scratch *S;

static uint64_t units_now(void)
{
    flm_board_store_info_t info;
    flm_board_store_info(&info);
    return info.units;
}

static uint32_t collections_now(void)
{
    flm_board_store_info_t info;
    flm_board_store_info(&info);
    return info.collections;
}

static bool store_dead(void)
{
    flm_board_store_info_t info;
    flm_board_store_info(&info);
    return info.dead;
}

/* Cut points for a workload of `total` units whose calls ended at end[]
 * (relative units) and whose garbage collections ended at gc_end[]: the
 * first, middle and last unit of each call that wrote, a few spread over
 * everything, and the last units of each collection (its commit word, and
 * the copy just before it). */

static uint32_t cut_points(uint64_t total, const uint64_t *end, uint32_t n_end, const uint64_t *gc_end,
                           uint32_t n_gc, uint64_t *out)
{
    uint32_t n = 0;
    uint64_t start = 0;
    for (uint32_t i = 0; i < n_end && n + 3 <= MAX_CUTS; start = end[i], i++) {
        if (end[i] == start)
            continue; /* wrote nothing */
        out[n++] = start;
        out[n++] = start + (end[i] - start) / 2;
        out[n++] = end[i] - 1;
    }
    for (uint32_t i = 1; i < 16 && n < MAX_CUTS; i++)
        out[n++] = total * i / 16 + i % 7;
    static const uint32_t back[] = { 1, 2, 4, 5, 40 };
    for (uint32_t g = 0; g < n_gc; g++)
        for (uint32_t j = 0; j < sizeof back / sizeof back[0] && n < MAX_CUTS; j++)
            if (gc_end[g] >= back[j])
                out[n++] = gc_end[g] - back[j];
    return n;
}

/* ---- the store --------------------------------------------------------------------------- */

static void make_ops(void)
{
    uint32_t x = 0x2545F491u;
    for (int i = 0; i < N_OPS; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        S->ops[i].key = (uint8_t)(x % N_KEYS);
        S->ops[i].del = x % 7 == 3;
        S->ops[i].len = (uint16_t)((x >> 8) % sizeof S->value);
        S->ops[i].fill = (uint8_t)(x >> 24);
    }
}

static flm_err_t op_run(const op_t *o)
{
    if (o->del)
        return flm_hal_store_del(keys[o->key]);
    for (uint32_t i = 0; i < o->len; i++)
        S->value[i] = (uint8_t)(o->fill + 7u * i);
    return flm_hal_store_put(keys[o->key], S->value, o->len);
}


static void kv_apply(kv_t *m, const op_t *o)
{
    m->have[o->key] = !o->del;
    m->len[o->key] = o->len;
    m->fill[o->key] = o->fill;
}

static bool kv_holds(const kv_t *m, int k)
{
    size_t len = 0;
    flm_err_t err = flm_hal_store_get(keys[k], S->value, sizeof S->value, &len);
    if (!m->have[k])
        return err == FLM_ERR_NOT_FOUND;
    if (err || len != m->len[k])
        return false;
    for (uint32_t i = 0; i < len; i++)
        if (S->value[i] != (uint8_t)(m->fill[k] + 7u * i))
            return false;
    return true;
}

/* Run the workload (a cut may end it); *m: what the acknowledged calls
 * did, *inflight: the call the cut hit, or -1. */
static bool store_run(kv_t *m, int *inflight, uint64_t *gc_end, uint32_t *n_gc, uint64_t base)
{
    memset(m, 0, sizeof *m);
    *inflight = -1;
    for (int i = 0; i < N_OPS; i++) {
        uint32_t gc = collections_now();
        flm_err_t err = op_run(&S->ops[i]);
        if (store_dead()) {
            *inflight = i;
            return true;
        }
        if (err && err != FLM_ERR_NOT_FOUND)
            FAIL("store op %d: %s", i, flm_strerror(err));
        if (!err)
            kv_apply(m, &S->ops[i]);
        if (gc_end && collections_now() != gc && *n_gc < 8)
            gc_end[(*n_gc)++] = units_now() - base;
        if (gc_end)
            S->marks[i] = units_now() - base;
    }
    return true;
}

static bool store_cuts(uint32_t *n_cuts, uint64_t *units, uint32_t *n_gc)
{
    make_ops();
    uint64_t gc_end[8];
    kv_t m;
    int inflight;
    *n_gc = 0;
    if (flm_board_store_wipe() != FLM_OK)
        FAIL("store wipe");
    uint64_t base = units_now();
    if (!store_run(&m, &inflight, gc_end, n_gc, base))
        return false;
    *units = units_now() - base;
    uint32_t n = cut_points(*units, S->marks, N_OPS, gc_end, *n_gc, S->cuts);
    *n_cuts = 0;
    for (uint32_t c = 0; c < n; c++) {
        for (int half = 0; half < 2; half++) {
            if (flm_board_store_wipe() != FLM_OK)
                FAIL("store wipe");
            flm_board_store_cut(S->cuts[c], half != 0);
            if (!store_run(&m, &inflight, NULL, NULL, 0))
                return false;
            if (inflight < 0)
                FAIL("store cut at unit %u never came", (unsigned)S->cuts[c]);
            if (flm_board_store_reset() != FLM_OK)
                FAIL("store remount after a cut at unit %u", (unsigned)S->cuts[c]);
            kv_t m1 = m;
            kv_apply(&m1, &S->ops[inflight]);
            for (int k = 0; k < N_KEYS; k++) {
                bool before = kv_holds(&m, k), after = kv_holds(&m1, k);
                if (!before && !after)
                    FAIL("store cut at unit %u: %s torn", (unsigned)S->cuts[c], keys[k]);
                if (k != S->ops[inflight].key && !before)
                    FAIL("store cut at unit %u: %s changed", (unsigned)S->cuts[c], keys[k]);
            }
            if (flm_hal_store_put("after", "cut", 3) != FLM_OK ||
                flm_board_store_reset() != FLM_OK || flm_hal_store_del("after") != FLM_OK)
                FAIL("store unusable after a cut at unit %u", (unsigned)S->cuts[c]);
            (*n_cuts)++;
        }
    }
    return true;
}

static int store_selftest(void)
{
    uint32_t cuts = 0, gcs = 0;
    uint64_t units = 0;
    if (!store_cuts(&cuts, &units, &gcs))
        return 1;
    flm_board_store_info_t info;
    flm_board_store_info(&info);
    if (info.violations)
        return flm_hal_log(FLM_LOG_ERROR, "selftest: %u programs asked a 0 bit for 1",
                           (unsigned)info.violations), 1;
    flm_hal_log(FLM_LOG_INFO, "store flash %u bytes, %u sectors of %u: %u cuts in %u units, "
                "%u garbage collections, every key whole",
                (unsigned)info.bytes, (unsigned)info.sectors, (unsigned)info.sector_size,
                (unsigned)cuts, (unsigned)units, (unsigned)gcs);
    return flm_board_store_wipe() == FLM_OK ? 0 : 1;
}

/* ---- the queue ------------------------------------------------------------------------------ */

static flm_queue_settings_t queue_settings(void)
{
    flm_queue_settings_t s;
    flm_queue_settings_init(&s);
    s.enabled = true;
    s.max_records = 8;
    memcpy(s.device_id, "mps2", 5);
    return s;
}

static void model_apply(model_t *m, const step_t *st)
{
    item_t *it = &m->it[st->item];
    switch (st->op) {
    case S_ENQ: it->state = M_QUEUED; it->seq = m->next_seq++; break;
    case S_ANSWER: it->state = M_ANSWERED; it->answer = st->a; break;
    case S_DROP:
    case S_COLLECT: it->state = M_DROPPED; break;
    case S_COMPACT:
        for (int i = 0; i < N_ITEMS; i++)
            if (m->it[i].state == M_DROPPED)
                m->it[i].state = M_ABSENT;
        break;
    default: break;
    }
}

static flm_err_t step_run(const model_t *m, const step_t *st)
{
    const item_t *it = &m->it[st->item];
    flm_queue_settings_t s = queue_settings();
    uint32_t seq = 0;
    size_t len;
    flm_err_t err;
    switch (st->op) {
    case S_INIT: return flm_queue_init(&S->q, &s, NULL, S->work, sizeof S->work, 0x5EEDu);
    case S_ENQ:
        err = flm_queue_enqueue(&S->q, st->a, st->b, 1714564800u, &seq);
        return !err && seq != m->next_seq ? FLM_ERR_STATE : err;
    case S_ANSWER: return flm_queue_answer(&S->q, it->seq, st->a, strlen(st->a), 1714564800u);
    case S_DROP: return flm_queue_drop(&S->q, it->seq, 1714564800u);
    case S_COLLECT:
        err = flm_queue_collect(&S->q, it->seq, S->text, sizeof S->text, &len, 1714564800u);
        return !err && strcmp(S->text, it->answer) != 0 ? FLM_ERR_STATE : err;
    default: return flm_queue_compact(&S->q);
    }
}

/* Someone else's records (15 KB of a 16 KB bank) share the store: the
 * scenario then ends in a garbage collection, which must carry them along. */
static bool queue_setup(void)
{
    if (flm_board_store_wipe() != FLM_OK)
        FAIL("queue: wipe");
    memset(S->value, 'c', 1500);
    char key[8] = "cfg.0";
    for (int i = 0; i < 10; i++) {
        key[4] = (char)('0' + i);
        if (flm_hal_store_put(key, S->value, 1500) != FLM_OK)
            FAIL("queue: filler");
    }
    return true;
}

static bool queue_run(model_t *m, int *inflight, uint64_t *gc_end, uint32_t *n_gc, uint64_t base)
{
    memset(m, 0, sizeof *m);
    m->next_seq = 1;
    *inflight = -1;
    for (int i = 0; i < (int)N_STEPS; i++) {
        uint32_t gc = collections_now();
        flm_err_t err = step_run(m, &steps[i]);
        if (store_dead()) {
            *inflight = i;
            return true;
        }
        if (err)
            FAIL("queue step %d: %s", i, flm_strerror(err));
        model_apply(m, &steps[i]);
        if (gc_end && collections_now() != gc && *n_gc < 8)
            gc_end[(*n_gc)++] = units_now() - base;
        if (gc_end)
            S->marks[i] = units_now() - base;
    }
    return true;
}

static bool gone(uint8_t state)
{
    return state == M_ABSENT || state == M_DROPPED;
}

static bool queue_check(const model_t *s0, int inflight, uint32_t cut)
{
    model_t s1 = *s0;
    if (inflight >= 0)
        model_apply(&s1, &steps[inflight]);
    flm_queue_settings_t s = queue_settings();
    if (flm_queue_init(&S->q, &s, NULL, S->work, sizeof S->work, 0x5EEDu) != FLM_OK)
        FAIL("queue cut at %u: recovery failed", (unsigned)cut);
    bool seen[N_ITEMS] = { false };
    flm_queue_item_t it;
    uint32_t after = 0, queued = 0;
    while (flm_queue_next(&S->q, after, &it) == FLM_OK) {
        after = it.seq;
        int i = 0;
        while (i < N_ITEMS && !((s0->it[i].state || s1.it[i].state) &&
                                (s0->it[i].state ? s0->it[i].seq : s1.it[i].seq) == it.seq))
            i++;
        if (i == N_ITEMS || seen[i])
            FAIL("queue cut at %u: item %u unknown or twice", (unsigned)cut, (unsigned)it.seq);
        seen[i] = true;
        const step_t *enq = NULL;
        for (size_t j = 0; j < N_STEPS; j++)
            if (steps[j].op == S_ENQ && steps[j].item == i)
                enq = &steps[j];
        uint8_t a = s0->it[i].state, b = s1.it[i].state;
        uint8_t obs = it.state == FLM_QUEUE_QUEUED ? M_QUEUED
                      : it.state == FLM_QUEUE_ANSWERED ? M_ANSWERED : M_DROPPED;
        if (!(obs == a || obs == b || (obs == M_DROPPED && (gone(a) || gone(b)))))
            FAIL("queue cut at %u: item %u in a state never acknowledged", (unsigned)cut,
                 (unsigned)it.seq);
        if (!enq || strcmp(it.prompt, enq->a) != 0 || (enq->b == NULL) != (it.system == NULL) ||
            (enq->b && strcmp(it.system, enq->b) != 0))
            FAIL("queue cut at %u: item %u torn", (unsigned)cut, (unsigned)it.seq);
        char want[FLM_QUEUE_IDEM_MAX];
        size_t n = strlen(it.idem_key);
        static const char hex[] = "0123456789abcdef";
        for (int d = 0; d < 8; d++)
            want[d] = hex[(it.seq >> (28 - 4 * d)) & 15u];
        if (n < 8 || memcmp(it.idem_key + n - 8, want, 8) != 0 || memcmp(it.idem_key, "mps2-", 5) != 0)
            FAIL("queue cut at %u: key %s", (unsigned)cut, it.idem_key);
        if (obs == M_ANSWERED) {
            const char *t;
            size_t len;
            const char *ans = b == M_ANSWERED ? s1.it[i].answer : s0->it[i].answer;
            if (flm_queue_answer_text(&S->q, it.seq, &t, &len) != FLM_OK || strcmp(t, ans) != 0)
                FAIL("queue cut at %u: answer of %u torn", (unsigned)cut, (unsigned)it.seq);
        }
        queued += obs == M_QUEUED;
    }
    for (int i = 0; i < N_ITEMS; i++)
        if (!seen[i] && !gone(s0->it[i].state) && !gone(s1.it[i].state))
            FAIL("queue cut at %u: acknowledged item %u lost", (unsigned)cut, (unsigned)s0->it[i].seq);

    /* New numbers go up; delivery gives the queued ones; all of it drains. */
    uint32_t seq;
    if (flm_queue_enqueue(&S->q, "after the cut", NULL, 1714564900u, &seq) != FLM_OK ||
        seq < s0->next_seq || seq <= after)
        FAIL("queue cut at %u: a number came back", (unsigned)cut);
    uint32_t delivered = 0;
    for (after = 0; flm_queue_next_pending(&S->q, after, &it) == FLM_OK; after = it.seq, delivered++)
        if (flm_queue_answer(&S->q, it.seq, "done", 4, 1714564900u) != FLM_OK)
            FAIL("queue cut at %u: answer after", (unsigned)cut);
    if (delivered != queued + 1)
        FAIL("queue cut at %u: %u delivered, %u queued", (unsigned)cut, (unsigned)delivered,
             (unsigned)queued);
    for (after = 0; flm_queue_next(&S->q, after, &it) == FLM_OK; after = it.seq)
        if (flm_queue_drop(&S->q, it.seq, 1714564900u) != FLM_OK)
            FAIL("queue cut at %u: drop after", (unsigned)cut);
    char k[FLM_HAL_KEY_MAX + 1] = "";
    if (flm_queue_compact(&S->q) != FLM_OK || flm_hal_store_next("q.", k, k) != FLM_ERR_NOT_FOUND)
        FAIL("queue cut at %u: records left after draining", (unsigned)cut);
    flm_queue_deinit(&S->q);
    return true;
}

static int queue_selftest(void)
{
    model_t m;
    int inflight;
    uint64_t gc_end[8];
    uint32_t n_gc = 0;
    if (!queue_setup())
        return 1;
    uint64_t base = units_now();
    if (!queue_run(&m, &inflight, gc_end, &n_gc, base))
        return 1;
    uint64_t total = units_now() - base;
    if (!queue_check(&m, -1, 0))
        return 1;
    uint32_t n = cut_points(total, S->marks, N_STEPS, gc_end, n_gc, S->cuts), done = 0;
    for (uint32_t c = 0; c < n; c++) {
        for (int half = 0; half < 2; half++) {
            if (!queue_setup())
                return 1;
            flm_board_store_cut(S->cuts[c], half != 0);
            if (!queue_run(&m, &inflight, NULL, NULL, 0))
                return 1;
            if (inflight < 0) {
                flm_hal_log(FLM_LOG_ERROR, "selftest: queue cut at %u never came", (unsigned)S->cuts[c]);
                return 1;
            }
            if (flm_board_store_reset() != FLM_OK || !queue_check(&m, inflight, (uint32_t)S->cuts[c]))
                return 1;
            done++;
        }
    }
    flm_board_store_info_t info;
    flm_board_store_info(&info);
    if (info.violations)
        return 1;
    flm_hal_log(FLM_LOG_INFO, "queue on the flash store: %u cuts in %u units, %u garbage collections: "
                "every acknowledged item once, nothing torn delivered",
                (unsigned)done, (unsigned)total, (unsigned)n_gc);
    return flm_board_store_wipe() == FLM_OK ? 0 : 1;
}

int flm_board_store_selftest(void *scratch, size_t size)
{
    if (!scratch || size < sizeof(struct scratch) || (uintptr_t)scratch % 8u) {
        flm_hal_log(FLM_LOG_ERROR, "selftest: %zu bytes of scratch, want %zu", size,
                    sizeof(struct scratch));
        return 1;
    }
    S = scratch;
    int status = store_selftest();
    if (!status)
        status = queue_selftest();
    S = NULL;
    return status;
}
