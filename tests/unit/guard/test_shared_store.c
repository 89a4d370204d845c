/*
 * A store two programs have open at once (core/guard/store.h, lock and
 * unlock set: the POSIX store, where `fieldlm serve` and a `fieldlm ask`
 * share a folder). Two guards of each kind stand for the two programs, on
 * one store whose lock checks that no call nests it and that every write
 * happens under it. Whatever order their calls come in, no number is taken
 * twice, nothing one of them wrote is lost, and each sees the other's
 * records and spending. tests/sh/store_shared.sh does the same with real
 * processes on the POSIX store.
 */
#include <stdio.h>
#include <string.h>

#include "core/guard/esclog.h"
#include "core/guard/ledger.h"
#include "core/guard/queue.h"
#include "tests/harness/harness.h"
#include "tests/unit/guard/cut_store.h"

#define NOW 1714567890u

static cut_store_t store;

/* One program's view of the store: its own lock state, as the POSIX store
 * keeps it per process (a counter its writes raise, the others' changes it
 * has seen). */
typedef struct {
    bool     known, wrote;
    uint64_t count, changes;
} program_t;

static program_t prog[2];
static flm_store_t view[2]; /* what program 0 and program 1 open */
static uint64_t count;      /* the lock file's counter */
static program_t *holder;
static int nested, unlocked_writes, locks, gets;

static flm_err_t sh_lock(void *ctx, uint64_t *changes)
{
    program_t *p = ctx;
    nested += holder != NULL;
    holder = p;
    locks++;
    if (p->known && count != p->count)
        p->changes++;
    p->count = count;
    p->known = true;
    p->wrote = false;
    *changes = p->changes;
    return FLM_OK;
}

static void sh_unlock(void *ctx)
{
    program_t *p = ctx;
    if (p->wrote)
        count = ++p->count;
    holder = NULL;
}

static flm_err_t sh_put(void *ctx, const char *key, const void *d, size_t n)
{
    (void)ctx;
    unlocked_writes += !holder;
    if (holder)
        holder->wrote = true;
    return store.ops.put(store.ops.ctx, key, d, n);
}

static flm_err_t sh_get(void *ctx, const char *key, void *buf, size_t cap, size_t *len)
{
    (void)ctx;
    gets++;
    return store.ops.get(store.ops.ctx, key, buf, cap, len);
}

static flm_err_t sh_del(void *ctx, const char *key)
{
    (void)ctx;
    unlocked_writes += !holder;
    if (holder)
        holder->wrote = true;
    return store.ops.del(store.ops.ctx, key);
}

static flm_err_t sh_stat(void *ctx, flm_hal_store_stat_t *st)
{
    (void)ctx;
    return store.ops.stat(store.ops.ctx, st);
}

static flm_err_t sh_next(void *ctx, const char *prefix, const char *after, char *key_out)
{
    (void)ctx;
    return store.ops.next(store.ops.ctx, prefix, after, key_out);
}

static void shared_init(void)
{
    cut_store_init(&store);
    memset(prog, 0, sizeof prog);
    for (int i = 0; i < 2; i++)
        view[i] = (flm_store_t){ sh_put, sh_get, sh_del, sh_stat, sh_next, &prog[i], sh_lock, sh_unlock };
    count = 0;
    holder = NULL;
    nested = unlocked_writes = locks = 0;
}

FLM_TEST(guard_shared_store_queue_numbers_and_items)
{
    static uint8_t work_a[FLM_QUEUE_WORK_BYTES(256)], work_b[FLM_QUEUE_WORK_BYTES(256)];
    static flm_queue_t a, b;
    shared_init();
    flm_queue_settings_t s;
    flm_queue_settings_init(&s);
    s.enabled = true;
    s.max_records = 12;
    FLM_CHECK_EQ(flm_queue_init(&a, &s, &view[0], work_a, sizeof work_a, 1), FLM_OK);
    FLM_CHECK_EQ(flm_queue_init(&b, &s, &view[1], work_b, sizeof work_b, 2), FLM_OK);

    /* both opened an empty store: each would take number 1 on its own */
    uint32_t seq[8];
    char text[8][16];
    for (int i = 0; i < 8; i++) {
        snprintf(text[i], sizeof text[i], "prompt %d", i);
        flm_queue_t *q = (i % 3 == 1) ? &b : &a;
        FLM_CHECK_EQ(flm_queue_enqueue(q, text[i], NULL, NOW + (uint64_t)i, &seq[i]), FLM_OK);
        for (int j = 0; j < i; j++)
            FLM_CHECK(seq[j] != seq[i]);
    }
    /* each sees all eight, each with its own text */
    flm_queue_item_t it;
    for (int i = 0; i < 8; i++) {
        FLM_CHECK_EQ(flm_queue_get(&b, seq[i], &it), FLM_OK);
        FLM_CHECK(strcmp(it.prompt, text[i]) == 0);
    }
    /* one program answers, the other collects; the capacity counts are the store's */
    FLM_CHECK_EQ(flm_queue_answer(&a, seq[1], "one", 3, NOW), FLM_OK);
    FLM_CHECK_EQ(flm_queue_answer(&b, seq[1], "again", 5, NOW), FLM_ERR_STATE);
    char buf[16];
    size_t len;
    FLM_CHECK_EQ(flm_queue_collect(&b, seq[1], buf, sizeof buf, &len, NOW), FLM_OK);
    FLM_CHECK(strcmp(buf, "one") == 0);
    uint32_t n = 0;
    for (uint32_t after = 0; flm_queue_next_pending(&a, after, &it) == FLM_OK; after = it.seq)
        n++;
    FLM_CHECK_EQ(n, 7);
    uint32_t more;
    for (int i = 0; i < 5; i++)
        FLM_CHECK_EQ(flm_queue_enqueue(i % 2 ? &a : &b, "more", NULL, NOW, &more), FLM_OK);
    /* 12 items would be 7 + 5; the 13th is refused whichever program asks */
    FLM_CHECK_EQ(flm_queue_enqueue(&a, "one too many", NULL, NOW, &more), FLM_ERR_STORE_FULL);
    FLM_CHECK_EQ(flm_queue_enqueue(&b, "one too many", NULL, NOW, &more), FLM_ERR_STORE_FULL);
    flm_queue_status_t st;
    flm_queue_status(&b, &st);
    FLM_CHECK_EQ(st.items, 12);
    FLM_CHECK_EQ(st.bytes, cut_store_bytes(&store, "q.", NULL));

    /* the store is read again only after the other program changed it */
    FLM_CHECK_EQ(flm_queue_drop(&a, seq[0], NOW), FLM_OK); /* b wrote last: a reads all */
    int before = gets;
    FLM_CHECK_EQ(flm_queue_drop(&a, seq[2], NOW), FLM_OK); /* nobody else since */
    FLM_CHECK(gets - before < 8);
    FLM_CHECK_EQ(flm_queue_drop(&b, seq[3], NOW), FLM_OK);
    before = gets;
    FLM_CHECK_EQ(flm_queue_drop(&a, seq[4], NOW), FLM_OK);
    FLM_CHECK(gets - before >= 12); /* every record once, at least */

    FLM_CHECK_EQ(nested, 0);
    FLM_CHECK_EQ(unlocked_writes, 0);
    FLM_CHECK(locks > 0);
    flm_queue_deinit(&a);
    flm_queue_deinit(&b);
}

FLM_TEST(guard_shared_store_esclog_numbers)
{
    static uint8_t work_a[FLM_ESCLOG_WORK_BYTES(256)], work_b[FLM_ESCLOG_WORK_BYTES(256)];
    static flm_esclog_t a, b;
    shared_init();
    flm_esclog_settings_t s;
    flm_esclog_settings_init(&s);
    s.escalations = true;
    FLM_CHECK_EQ(flm_esclog_init(&a, &s, &view[0], work_a, sizeof work_a), FLM_OK);
    FLM_CHECK_EQ(flm_esclog_init(&b, &s, &view[1], work_b, sizeof work_b), FLM_OK);
    flm_esclog_entry_t e = { .utc = NOW, .cloud = true, .reason = "cloud:difficulty",
                             .prompt = "p", .prompt_len = 1, .answer = "a", .answer_len = 1 };
    uint32_t seq[6];
    for (int i = 0; i < 6; i++) {
        FLM_CHECK_EQ(flm_esclog_append(i % 2 ? &b : &a, &e, &seq[i]), FLM_OK);
        FLM_CHECK_EQ(seq[i], (uint32_t)i + 1);
    }
    flm_esclog_entry_t r;
    uint32_t n = 0;
    for (uint32_t after = 0; flm_esclog_next(&a, after, &r) == FLM_OK; after = r.seq)
        n++;
    FLM_CHECK_EQ(n, 6);
    uint32_t cleared = 0;
    FLM_CHECK_EQ(flm_esclog_clear(&b, 3, &cleared), FLM_OK);
    FLM_CHECK_EQ(cleared, 3);
    FLM_CHECK_EQ(flm_esclog_append(&a, &e, &seq[0]), FLM_OK);
    FLM_CHECK_EQ(seq[0], 7);
    FLM_CHECK_EQ(nested, 0);
    FLM_CHECK_EQ(unlocked_writes, 0);
    flm_esclog_deinit(&a);
    flm_esclog_deinit(&b);
}

FLM_TEST(guard_shared_store_ledger_adds_up)
{
    static flm_ledger_t a, b;
    shared_init();
    flm_budget_settings_t s;
    flm_budget_settings_init(&s);
    s.daily_tokens = 100;
    FLM_CHECK_EQ(flm_ledger_init(&a, &s, &view[0]), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_init(&b, &s, &view[1]), FLM_OK);
    for (int i = 0; i < 4; i++)
        FLM_CHECK_EQ(flm_ledger_record_cloud(i % 2 ? &b : &a, NOW, 10, 10), FLM_OK);
    /* 80 of 100 spent between them: a 30-token request fits neither */
    flm_budget_verdict_t v;
    FLM_CHECK_EQ(flm_ledger_check(&a, NOW, 15, 15, &v), FLM_ERR_BUDGET_EXCEEDED);
    FLM_CHECK_EQ(v.used, 80);
    FLM_CHECK_EQ(flm_ledger_check(&b, NOW, 15, 15, &v), FLM_ERR_BUDGET_EXCEEDED);
    FLM_CHECK_EQ(flm_ledger_check(&b, NOW, 10, 10, &v), FLM_OK);
    static flm_ledger_t c;
    FLM_CHECK_EQ(flm_ledger_init(&c, &s, &view[0]), FLM_OK);
    FLM_CHECK_EQ(c.total.cloud_requests, 4);
    FLM_CHECK_EQ(c.total.cloud_in + c.total.cloud_out, 80);
    FLM_CHECK_EQ(nested, 0);
    FLM_CHECK_EQ(unlocked_writes, 0);
}
