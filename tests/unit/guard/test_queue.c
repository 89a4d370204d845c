/*
 * The store-and-forward queue (core/guard/queue.h): its calls, its capacity
 * policies, and the power-cut test: every write the queue makes in a
 * scenario (enqueues, answers, drops, compaction, eviction, the head) is
 * cut at every byte offset, in every way a store without atomic puts can
 * leave it (tests/unit/guard/cut_store.h); the queue is then recovered (and
 * each write the recovery itself makes is cut too, at its fields' edges),
 * and must show every
 * acknowledged item exactly once, in the state of its last acknowledged
 * call or of the call that was cut, with its exact texts; nothing torn is
 * delivered; sequence numbers and idempotency keys never repeat; and the
 * queue then runs to empty with nothing left in the store.
 */
#include <stdio.h>
#include <string.h>

#include "core/guard/ledger.h"
#include "core/guard/queue.h"
#include "port/common/flash_sim.h"
#include "port/common/flash_store.h"
#include "port/posix/hal_posix.h"
#include "tests/harness/harness.h"
#include "tests/unit/guard/cut_store.h"

#define SEED 0x1234u
#define NOW  1714567890u

static cut_store_t store, snapshot;
static uint8_t work[FLM_QUEUE_WORK_BYTES(1024)];
static flm_queue_t q;
static const flm_store_t *qstore = &store.ops; /* what the power-cut driver runs the queue on */
static bool (*cut_fired)(void);

static bool cut_store_fired(void)
{
    return store.fired;
}

/* Bytes and count of the records under "q." (through the store's calls). */
static uint64_t queue_bytes(uint32_t *count)
{
    char k[FLM_HAL_KEY_MAX + 1] = "";
    uint64_t bytes = 0;
    uint32_t n = 0;
    while (qstore->next(qstore->ctx, "q.", k, k) == FLM_OK) {
        size_t len = 0;
        uint8_t b;
        flm_err_t err = qstore->get(qstore->ctx, k, &b, 0, &len);
        if (err == FLM_OK || err == FLM_ERR_OVERFLOW) {
            bytes += len;
            n++;
        }
    }
    if (count)
        *count = n;
    return bytes;
}

#define REQUIRE(cond, ...)                                        \
    do {                                                          \
        if (!(cond)) {                                            \
            flm_test_fail(__FILE__, __LINE__, __VA_ARGS__);       \
            return false;                                         \
        }                                                         \
    } while (0)

static flm_queue_settings_t settings(uint32_t max_records, bool drop_oldest)
{
    flm_queue_settings_t s;
    flm_queue_settings_init(&s);
    s.enabled = true;
    s.max_records = max_records;
    s.when_full = drop_oldest ? FLM_QUEUE_FULL_DROP_OLDEST : FLM_QUEUE_FULL_REFUSE;
    strcpy(s.device_id, "dev-7");
    return s;
}

static flm_err_t open_queue(const flm_queue_settings_t *s)
{
    return flm_queue_init(&q, s, qstore, work, sizeof work, SEED);
}

/* ---- calls and policies --------------------------------------------------------- */

FLM_TEST(guard_queue_enqueue_answer_collect)
{
    cut_store_init(&store);
    flm_queue_settings_t s = settings(8, false);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    uint32_t a = 0, b = 0;
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "Why is the sky blue?", "Be brief.", NOW, &a), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "Name a prime.", NULL, NOW + 1, &b), FLM_OK);
    FLM_CHECK_EQ(a, 1);
    FLM_CHECK_EQ(b, 2);

    flm_queue_item_t it;
    FLM_CHECK_EQ(flm_queue_next_pending(&q, 0, &it), FLM_OK);
    FLM_CHECK_EQ(it.seq, 1);
    FLM_CHECK(strcmp(it.prompt, "Why is the sky blue?") == 0 && it.prompt_len == 20);
    FLM_CHECK(it.system && strcmp(it.system, "Be brief.") == 0 && it.system_len == 9);
    FLM_CHECK(strcmp(it.idem_key, "dev-7-5a17d2ea-00000001") == 0); /* epoch = seed ^ 0x5A17C0DE */
    FLM_CHECK_EQ(it.enqueued_utc, NOW);
    FLM_CHECK_EQ(flm_queue_next_pending(&q, 1, &it), FLM_OK);
    FLM_CHECK(it.seq == 2 && it.system == NULL && it.system_len == 0);
    FLM_CHECK_EQ(flm_queue_next_pending(&q, 2, &it), FLM_ERR_NOT_FOUND);

    FLM_CHECK_EQ(flm_queue_answer(&q, 1, "Rayleigh scattering.", 20, NOW + 5), FLM_OK);
    FLM_CHECK_EQ(flm_queue_answer(&q, 1, "again", 5, NOW + 6), FLM_ERR_STATE);
    FLM_CHECK_EQ(flm_queue_answer(&q, 9, "x", 1, NOW), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_queue_next_pending(&q, 0, &it), FLM_OK);
    FLM_CHECK_EQ(it.seq, 2); /* answered ones are no longer pending */
    FLM_CHECK_EQ(flm_queue_get(&q, 1, &it), FLM_OK);
    FLM_CHECK(it.state == FLM_QUEUE_ANSWERED && it.answer_len == 20);

    flm_queue_status_t st;
    flm_queue_status(&q, &st);
    FLM_CHECK(st.items == 2 && st.queued == 1 && st.answered == 1 && st.dropped == 0);
    FLM_CHECK_EQ(st.bytes, cut_store_bytes(&store, "q.", NULL));

    char buf[64];
    size_t len = 0;
    FLM_CHECK_EQ(flm_queue_collect(&q, 1, buf, 5, &len, NOW), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(len, 20);
    FLM_CHECK_EQ(flm_queue_collect(&q, 2, buf, sizeof buf, &len, NOW), FLM_ERR_STATE);
    FLM_CHECK_EQ(flm_queue_collect(&q, 1, buf, sizeof buf, &len, NOW), FLM_OK);
    FLM_CHECK(strcmp(buf, "Rayleigh scattering.") == 0);
    FLM_CHECK_EQ(flm_queue_get(&q, 1, &it), FLM_OK);
    FLM_CHECK_EQ(it.state, FLM_QUEUE_DROPPED); /* collected, until compacted */
    FLM_CHECK_EQ(flm_queue_drop(&q, 1, NOW), FLM_OK);   /* again: no error */
    FLM_CHECK_EQ(flm_queue_compact(&q), FLM_OK);
    FLM_CHECK_EQ(flm_queue_get(&q, 1, &it), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_queue_drop(&q, 1, NOW), FLM_ERR_NOT_FOUND);

    /* The listing sees every state, in order. */
    FLM_CHECK_EQ(flm_queue_drop(&q, 2, NOW), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "third", NULL, NOW, &a), FLM_OK);
    FLM_CHECK_EQ(a, 3);
    FLM_CHECK_EQ(flm_queue_next(&q, 0, &it), FLM_OK);
    FLM_CHECK(it.seq == 2 && it.state == FLM_QUEUE_DROPPED);
    FLM_CHECK_EQ(flm_queue_next(&q, 2, &it), FLM_OK);
    FLM_CHECK(it.seq == 3 && it.state == FLM_QUEUE_QUEUED);
    FLM_CHECK_EQ(flm_queue_next(&q, 3, &it), FLM_ERR_NOT_FOUND);
    FLM_CHECK(strcmp(flm_queue_state_name(FLM_QUEUE_ANSWERED), "answered") == 0);

    /* A restart finds the same queue. */
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    flm_queue_status(&q, &st);
    FLM_CHECK(st.items == 1 && st.queued == 1 && st.dropped == 1 && st.next_seq == 4 &&
              st.repaired == 0);
    FLM_CHECK_EQ(st.bytes, cut_store_bytes(&store, "q.", NULL));
}

FLM_TEST(guard_queue_refuses_bad_calls)
{
    cut_store_init(&store);
    flm_queue_settings_t s = settings(8, false);
    uint32_t seq;
    FLM_CHECK_EQ(flm_queue_init(&q, &s, &store.ops, work, 16, SEED), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_queue_init(&q, NULL, &store.ops, work, sizeof work, SEED), FLM_ERR_ARG);
    flm_queue_settings_t bad = s;
    strcpy(bad.device_id, "dev\r\nX-Evil: 1");
    FLM_CHECK_EQ(flm_queue_init(&q, &bad, &store.ops, work, sizeof work, SEED), FLM_ERR_ARG);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "", NULL, NOW, &seq), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, NULL, NULL, NOW, &seq), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "x", NULL, NOW, NULL), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, (const char *)work, NULL, NOW, &seq), FLM_ERR_ARG);
    static char big[2048];
    memset(big, 'x', sizeof big - 1);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, big, NULL, NOW, &seq), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "ok", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_answer(&q, seq, "a\0b", 3, NOW), FLM_ERR_ARG); /* no NUL inside */
    FLM_CHECK_EQ(flm_queue_answer(&q, seq, big, sizeof big - 1, NOW), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_queue_answer(&q, 0, "x", 1, NOW), FLM_ERR_ARG);
    const char *text;
    size_t len;
    FLM_CHECK_EQ(flm_queue_answer_text(&q, seq, &text, &len), FLM_ERR_STATE);
    FLM_CHECK_EQ(flm_queue_answer(&q, seq, "", 0, NOW), FLM_OK); /* an empty answer is one */
    FLM_CHECK_EQ(flm_queue_answer_text(&q, seq, &text, &len), FLM_OK);
    FLM_CHECK(len == 0 && text[0] == '\0');
    s.enabled = false;
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "off", NULL, NOW, &seq), FLM_ERR_STATE);
    flm_queue_item_t it;
    FLM_CHECK_EQ(flm_queue_get(&q, 1, &it), FLM_OK); /* a disabled queue still lists and delivers */
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(flm_queue_get(&q, 1, &it), FLM_ERR_ARG);
}

FLM_TEST(guard_queue_full_refuse)
{
    cut_store_init(&store);
    flm_queue_settings_t s = settings(2, false);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    uint32_t seq;
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "one", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "two", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "three", NULL, NOW, &seq), FLM_ERR_STORE_FULL);
    FLM_CHECK_EQ(flm_queue_answer(&q, 1, "answers still fit", 17, NOW), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "three", NULL, NOW, &seq), FLM_ERR_STORE_FULL);
    FLM_CHECK_EQ(flm_queue_drop(&q, 2, NOW), FLM_OK); /* dropped items do not count */
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "three", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(seq, 3);
    flm_queue_item_t it;
    FLM_CHECK_EQ(flm_queue_get(&q, 2, &it), FLM_OK);
    FLM_CHECK_EQ(it.state, FLM_QUEUE_DROPPED);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "four", NULL, NOW, &seq), FLM_ERR_STORE_FULL);

    /* The byte limit, and a prompt that can never fit it. */
    s = settings(16, false);
    s.max_bytes = 256;
    cut_store_init(&store);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    static char p[151];
    memset(p, 'p', sizeof p - 1);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, p, NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, p, NULL, NOW, &seq), FLM_ERR_STORE_FULL);
    static char huge[300];
    memset(huge, 'h', sizeof huge - 1);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, huge, NULL, NOW, &seq), FLM_ERR_OVERFLOW);
}

FLM_TEST(guard_queue_full_drop_oldest)
{
    cut_store_init(&store);
    flm_queue_settings_t s = settings(2, true);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    uint32_t seq;
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "one", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "two", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_answer(&q, 1, "first answer", 12, NOW), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "three", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(seq, 3);
    flm_queue_item_t it;
    FLM_CHECK_EQ(flm_queue_get(&q, 1, &it), FLM_ERR_NOT_FOUND); /* the oldest went, answered or not */
    FLM_CHECK_EQ(flm_queue_get(&q, 2, &it), FLM_OK);
    flm_queue_status_t st;
    flm_queue_status(&q, &st);
    FLM_CHECK(st.items == 2 && st.queued == 2);
    FLM_CHECK_EQ(st.bytes, cut_store_bytes(&store, "q.", NULL));

    /* An answer that needs room evicts others, never its own item. */
    s = settings(8, true);
    s.max_bytes = 400;
    cut_store_init(&store);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    static char p[120];
    memset(p, 'p', sizeof p - 1);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, p, NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, p, NULL, NOW, &seq), FLM_OK);
    static char ans[150];
    memset(ans, 'a', sizeof ans - 1);
    FLM_CHECK_EQ(flm_queue_answer(&q, 2, ans, sizeof ans - 1, NOW), FLM_OK);
    FLM_CHECK_EQ(flm_queue_get(&q, 1, &it), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_queue_get(&q, 2, &it), FLM_OK);
    FLM_CHECK_EQ(it.state, FLM_QUEUE_ANSWERED);
    static char huge[400];
    memset(huge, 'a', sizeof huge - 1);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "x", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_answer(&q, seq, huge, sizeof huge - 1, NOW), FLM_ERR_OVERFLOW);
}

/* The store's own limits count too, and a drop that finds no room for its
 * record deletes the item at once. */
FLM_TEST(guard_queue_store_limits)
{
    cut_store_init(&store);
    store.max_records = 5; /* the head's 2, then items */
    flm_queue_settings_t s = settings(16, false);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    uint32_t seq;
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "one", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "two", NULL, NOW, &seq), FLM_OK);
    /* a third would leave no record free for an answer */
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "three", NULL, NOW, &seq), FLM_ERR_STORE_FULL);
    FLM_CHECK_EQ(flm_queue_answer(&q, 1, "uses the spare record", 21, NOW), FLM_OK);
    FLM_CHECK_EQ(flm_queue_drop(&q, 2, NOW), FLM_OK); /* no room for q.2.d: purged */
    flm_queue_item_t it;
    FLM_CHECK_EQ(flm_queue_get(&q, 2, &it), FLM_ERR_NOT_FOUND);
    /* qh.0 qh.1 q.1 q.1.a: a prompt now would take the spare record */
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "three", NULL, NOW, &seq), FLM_ERR_STORE_FULL);
    char buf[64];
    size_t len;
    FLM_CHECK_EQ(flm_queue_collect(&q, 1, buf, sizeof buf, &len, NOW), FLM_OK); /* q.1.d fits */
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "three", NULL, NOW, &seq), FLM_OK); /* compacts item 1 */
    FLM_CHECK_EQ(seq, 3);
    flm_queue_status_t st;
    flm_queue_status(&q, &st);
    FLM_CHECK(st.items == 1 && st.dropped == 0);

    cut_store_init(&store);
    store.max_records = 1;
    FLM_CHECK_EQ(open_queue(&s), FLM_ERR_STORE_FULL); /* not even the head fits */
}

/* Sequence numbers, and so idempotency keys, never come back: not after
 * the newest item is purged, not after a restart, not for a new epoch. */
FLM_TEST(guard_queue_numbers_never_repeat)
{
    cut_store_init(&store);
    flm_queue_settings_t s = settings(8, false);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    uint32_t seq;
    for (int i = 0; i < 3; i++)
        FLM_CHECK_EQ(flm_queue_enqueue(&q, "p", NULL, NOW, &seq), FLM_OK);
    for (uint32_t i = 1; i <= 3; i++)
        FLM_CHECK_EQ(flm_queue_drop(&q, i, NOW), FLM_OK);
    FLM_CHECK_EQ(flm_queue_compact(&q), FLM_OK);
    uint32_t n;
    FLM_CHECK_EQ(cut_store_bytes(&store, "q.", &n), 0);
    FLM_CHECK_EQ(n, 0);
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "p", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(seq, 4);
    flm_queue_item_t it;
    FLM_CHECK_EQ(flm_queue_get(&q, 4, &it), FLM_OK);
    FLM_CHECK(strcmp(it.idem_key, "dev-7-5a17d2ea-00000004") == 0);

    /* The epoch is the queue's, made when it was new: a restart with
     * another seed keeps it; a wiped store gets the new one. */
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(flm_queue_init(&q, &s, &store.ops, work, sizeof work, 99), FLM_OK);
    FLM_CHECK_EQ(flm_queue_get(&q, 4, &it), FLM_OK);
    FLM_CHECK(strcmp(it.idem_key, "dev-7-5a17d2ea-00000004") == 0);
    cut_store_init(&store);
    FLM_CHECK_EQ(flm_queue_init(&q, &s, &store.ops, work, sizeof work, 99), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "p", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_get(&q, seq, &it), FLM_OK);
    FLM_CHECK(strcmp(it.idem_key, "dev-7-5a17c0bd-00000001") == 0);
}

/* Records planted torn, foreign or orphaned: recovery keeps what is
 * intact, deletes what is ours and torn, leaves other keys alone. */
FLM_TEST(guard_queue_recovery_repairs)
{
    cut_store_init(&store);
    flm_queue_settings_t s = settings(8, false);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    uint32_t seq;
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "keep me", NULL, NOW, &seq), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "tear me", NULL, NOW, &seq), FLM_OK);
    uint8_t rec[256];
    size_t len;
    FLM_CHECK_EQ(store.ops.get(&store, "q.00000002", rec, sizeof rec, &len), FLM_OK);
    rec[len - 7] ^= 0x20; /* one flipped bit in the prompt */
    FLM_CHECK_EQ(store.ops.put(&store, "q.00000002", rec, len), FLM_OK);
    FLM_CHECK_EQ(store.ops.put(&store, "q.00000001.d", "junk", 4), FLM_OK);   /* torn drop */
    FLM_CHECK_EQ(store.ops.put(&store, "q.00000009.a", rec, len), FLM_OK);   /* orphan */
    FLM_CHECK_EQ(store.ops.put(&store, "q.notours", "x", 1), FLM_OK);        /* foreign */
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    flm_queue_status_t st;
    flm_queue_status(&q, &st);
    FLM_CHECK_EQ(st.repaired, 3);
    FLM_CHECK(st.items == 1 && st.queued == 1);
    FLM_CHECK_EQ(st.next_seq, 10); /* above every number seen, torn or not */
    /* and still after a second recovery, when the torn ones are gone */
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    flm_queue_status(&q, &st);
    FLM_CHECK_EQ(st.repaired, 0);
    FLM_CHECK_EQ(st.next_seq, 10);
    flm_queue_item_t it;
    FLM_CHECK_EQ(flm_queue_next_pending(&q, 0, &it), FLM_OK);
    FLM_CHECK(it.seq == 1 && strcmp(it.prompt, "keep me") == 0);
    FLM_CHECK_EQ(flm_queue_next_pending(&q, 1, &it), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(store.ops.get(&store, "q.notours", rec, sizeof rec, &len), FLM_OK);
    FLM_CHECK_EQ(st.bytes, cut_store_bytes(&store, "q.0", NULL));

    /* A record longer than this build's work buffer (from a build with a
     * bigger one) is not torn: kept and counted, never delivered, droppable. */
    static char long_text[900];
    memset(long_text, 'x', sizeof long_text - 1);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, long_text, NULL, NOW, &seq), FLM_OK);
    static uint8_t small[FLM_QUEUE_WORK_BYTES(256)];
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(flm_queue_init(&q, &s, &store.ops, small, sizeof small, SEED), FLM_OK);
    flm_queue_status(&q, &st);
    FLM_CHECK(st.unreadable == 1 && st.items == 2 && st.repaired == 0);
    FLM_CHECK_EQ(flm_queue_next_pending(&q, 1, &it), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_queue_get(&q, seq, &it), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_queue_drop(&q, seq, NOW), FLM_OK);
    FLM_CHECK_EQ(flm_queue_compact(&q), FLM_OK);
    flm_queue_status(&q, &st);
    FLM_CHECK(st.unreadable == 0 && st.items == 1);
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(open_queue(&s), FLM_OK);
    flm_queue_status(&q, &st);
    FLM_CHECK(st.unreadable == 0 && st.items == 1);
}

/* ---- the power-cut test ------------------------------------------------------------ */

enum { OP_INIT, OP_ENQ, OP_ANSWER, OP_DROP, OP_COLLECT, OP_COMPACT, OP_END };

typedef struct {
    int         op;
    int         item;   /* the model item it concerns */
    const char *a, *b;  /* prompt and system, or the answer */
} step_t;

enum { M_ABSENT = 0, M_QUEUED, M_ANSWERED, M_DROPPED };

#define MAX_ITEMS 12

typedef struct {
    int         state;
    uint32_t    seq;
    const char *prompt, *system, *answer;
} mitem_t;

typedef struct {
    mitem_t  it[MAX_ITEMS];
    uint32_t next_seq;
    uint32_t max_records;
    bool     drop_oldest;
} model_t;

static const char long_prompt[] =
    "Summarise the maintenance log of pump station 4 for the last week: the bearing temperature "
    "alarms on Tuesday, the pressure drop after the valve change, and whether the vibration "
    "readings since then look like the ones before the failure in March.";

static const step_t scenario_refuse[] = {
    { OP_INIT, 0, NULL, NULL },
    { OP_ENQ, 0, "Why is the sky blue?", "Answer in one sentence." },
    { OP_ENQ, 1, "Name three prime numbers.", NULL },
    { OP_ENQ, 2, long_prompt, "You are a maintenance assistant." },
    { OP_ANSWER, 0, "Rayleigh scattering makes short wavelengths scatter most.", NULL },
    { OP_DROP, 1, NULL, NULL },
    { OP_COMPACT, 0, NULL, NULL },
    { OP_COLLECT, 0, NULL, NULL },
    { OP_ENQ, 3, "Translate 'pump' to German.", NULL },
    { OP_COMPACT, 0, NULL, NULL },
    { OP_ANSWER, 2, "Bearing alarms cleared; pressure normal; vibration unlike March.", NULL },
    { OP_DROP, 3, NULL, NULL },
    { OP_COMPACT, 0, NULL, NULL },
    { OP_ENQ, 4, "What is 7 times 6?", NULL },
    { OP_END, 0, NULL, NULL },
};

static const step_t scenario_drop_oldest[] = { /* max_records 2 */
    { OP_INIT, 0, NULL, NULL },
    { OP_ENQ, 0, "first", "sys" },
    { OP_ENQ, 1, "second", NULL },
    { OP_ANSWER, 0, "answer to the first", NULL },
    { OP_ENQ, 2, "third evicts the first", NULL },
    { OP_DROP, 2, NULL, NULL },
    { OP_ENQ, 3, "fourth: compacts the third, evicts nothing", NULL },
    { OP_ENQ, 4, "fifth evicts the second", NULL },
    { OP_ANSWER, 4, "five", NULL },
    { OP_ENQ, 5, "sixth evicts the fourth, which was never answered: queued items go too, oldest first",
      "and it has a system message" },
    { OP_COLLECT, 4, NULL, NULL },
    { OP_ENQ, 6, "seventh: compacts the fifth (collected), evicts nothing at all, fits beside the sixth",
      NULL },
    { OP_ANSWER, 6, "seven, answered before the sixth", NULL },
    { OP_ENQ, 7, "eighth evicts the sixth", NULL },
    { OP_DROP, 7, NULL, NULL },
    { OP_COMPACT, 0, NULL, NULL },
    { OP_END, 0, NULL, NULL },
};

static int live(const model_t *m)
{
    int n = 0;
    for (int i = 0; i < MAX_ITEMS; i++)
        n += m->it[i].state == M_QUEUED || m->it[i].state == M_ANSWERED;
    return n;
}

/* What a step does to the model (the queue's documented semantics). */
static void model_apply(model_t *m, const step_t *st)
{
    mitem_t *it = &m->it[st->item];
    switch (st->op) {
    case OP_ENQ:
        if (live(m) >= (int)m->max_records) {
            for (int i = 0; i < MAX_ITEMS; i++)
                if (m->it[i].state == M_DROPPED)
                    m->it[i].state = M_ABSENT;
            for (int i = 0; i < MAX_ITEMS && m->drop_oldest && live(m) >= (int)m->max_records; i++)
                if (m->it[i].state == M_QUEUED || m->it[i].state == M_ANSWERED)
                    m->it[i].state = M_ABSENT; /* items are in sequence order */
        }
        it->state = M_QUEUED;
        it->seq = m->next_seq++;
        it->prompt = st->a;
        it->system = st->b;
        break;
    case OP_ANSWER:
        it->state = M_ANSWERED;
        it->answer = st->a;
        break;
    case OP_DROP:
    case OP_COLLECT:
        it->state = M_DROPPED;
        break;
    case OP_COMPACT:
        for (int i = 0; i < MAX_ITEMS; i++)
            if (m->it[i].state == M_DROPPED)
                m->it[i].state = M_ABSENT;
        break;
    default:
        break;
    }
}

static flm_queue_settings_t scenario_settings(const model_t *m)
{
    return settings(m->max_records, m->drop_oldest);
}

/* Run one step on the queue; FLM_OK or the call's error. */
static flm_err_t run_step(const model_t *m, const step_t *st)
{
    const mitem_t *it = &m->it[st->item];
    flm_queue_settings_t s = scenario_settings(m);
    uint32_t seq = 0;
    char buf[256];
    size_t len;
    switch (st->op) {
    case OP_INIT: return open_queue(&s);
    case OP_ENQ: {
        flm_err_t err = flm_queue_enqueue(&q, st->a, st->b, NOW, &seq);
        if (!err && seq != m->next_seq)
            return FLM_ERR_STATE; /* not the number the model expects */
        return err;
    }
    case OP_ANSWER: return flm_queue_answer(&q, it->seq, st->a, strlen(st->a), NOW);
    case OP_DROP: return flm_queue_drop(&q, it->seq, NOW);
    case OP_COLLECT: {
        flm_err_t err = flm_queue_collect(&q, it->seq, buf, sizeof buf, &len, NOW);
        if (!err && strcmp(buf, it->answer) != 0)
            return FLM_ERR_STATE;
        return err;
    }
    case OP_COMPACT: return flm_queue_compact(&q);
    }
    return FLM_ERR_ARG;
}

/* Run the scenario until its end or the cut; *s0 is the model of every
 * acknowledged step, *inflight the step the cut hit (-1: none). */
static bool run_scenario(const step_t *scn, const model_t *m0, model_t *s0, int *inflight)
{
    *s0 = *m0;
    *inflight = -1;
    for (int i = 0; scn[i].op != OP_END; i++) {
        flm_err_t err = run_step(s0, &scn[i]);
        if (cut_fired()) {
            REQUIRE(err == FLM_ERR_IO, "step %d: the cut gave %s", i, flm_err_name(err));
            *inflight = i;
            return true;
        }
        REQUIRE(err == FLM_OK, "step %d failed without a cut: %s", i, flm_err_name(err));
        model_apply(s0, &scn[i]);
    }
    return true;
}

static bool gone(int state)
{
    return state == M_ABSENT || state == M_DROPPED;
}

/* After a cut and a recovery: every item in a state the model allows, with
 * its texts; then the queue must run to empty. */
static bool check_recovered(const model_t *s0, const step_t *inflight, const char *what)
{
    model_t s1 = *s0;
    if (inflight)
        model_apply(&s1, inflight);
    flm_queue_status_t st;
    flm_queue_status(&q, &st);
    REQUIRE(st.bytes == queue_bytes(NULL), "%s: byte count off", what);

    /* Observed items against the model, in sequence order. */
    flm_queue_item_t it;
    uint32_t after = 0, seen_live = 0, seen_queued = 0;
    bool seen[MAX_ITEMS] = { false };
    char idem[MAX_ITEMS][FLM_QUEUE_IDEM_MAX];
    flm_err_t err;
    while ((err = flm_queue_next(&q, after, &it)) == FLM_OK) {
        REQUIRE(it.seq > after, "%s: out of order", what);
        after = it.seq;
        int i = 0;
        while (i < MAX_ITEMS && !((s0->it[i].state || s1.it[i].state) &&
                                  (s0->it[i].state ? s0->it[i].seq : s1.it[i].seq) == it.seq))
            i++;
        REQUIRE(i < MAX_ITEMS, "%s: item %u is no item the model knows", what, (unsigned)it.seq);
        REQUIRE(!seen[i], "%s: item %u twice", what, (unsigned)it.seq);
        seen[i] = true;
        const mitem_t *a = &s0->it[i], *b = &s1.it[i];
        const mitem_t *m = a->state ? a : b;
        int obs = it.state == FLM_QUEUE_QUEUED ? M_QUEUED
                  : it.state == FLM_QUEUE_ANSWERED ? M_ANSWERED : M_DROPPED;
        bool ok = obs == a->state || obs == b->state || (obs == M_DROPPED && (gone(a->state) || gone(b->state)));
        REQUIRE(ok, "%s: item %u is %s, model allows %d or %d", what, (unsigned)it.seq,
                flm_queue_state_name(it.state), a->state, b->state);
        REQUIRE(strcmp(it.prompt, m->prompt) == 0, "%s: item %u prompt differs", what, (unsigned)it.seq);
        REQUIRE((m->system == NULL) == (it.system == NULL) &&
                    (!m->system || strcmp(it.system, m->system) == 0),
                "%s: item %u system differs", what, (unsigned)it.seq);
        char want[FLM_QUEUE_IDEM_MAX];
        snprintf(want, sizeof want, "dev-7-5a17d2ea-%08x", (unsigned)it.seq);
        REQUIRE(strcmp(it.idem_key, want) == 0, "%s: key %s", what, it.idem_key);
        strcpy(idem[i], it.idem_key);
        if (obs == M_ANSWERED) {
            const char *text;
            size_t len;
            const char *ans = b->state == M_ANSWERED ? b->answer : a->answer;
            REQUIRE(flm_queue_answer_text(&q, it.seq, &text, &len) == FLM_OK, "%s: answer", what);
            REQUIRE(strcmp(text, ans) == 0, "%s: item %u answer differs", what, (unsigned)it.seq);
        }
        seen_live += obs != M_DROPPED;
        seen_queued += obs == M_QUEUED;
    }
    REQUIRE(err == FLM_ERR_NOT_FOUND, "%s: listing: %s", what, flm_err_name(err));
    for (int i = 0; i < MAX_ITEMS; i++)
        REQUIRE(seen[i] || gone(s0->it[i].state) || gone(s1.it[i].state),
                "%s: acknowledged item %u lost", what, (unsigned)s0->it[i].seq);
    REQUIRE(st.items == seen_live && st.queued == seen_queued, "%s: counts off", what);

    /* A new number is above every acknowledged one; delivery gives exactly
     * the queued items; then everything drains away. */
    uint32_t seq = 0;
    REQUIRE(flm_queue_enqueue(&q, "after the cut", NULL, NOW, &seq) == FLM_OK, "%s: enqueue after", what);
    REQUIRE(seq >= s0->next_seq && seq > after, "%s: number %u reused", what, (unsigned)seq);
    uint32_t delivered = 0;
    after = 0;
    while (flm_queue_next_pending(&q, after, &it) == FLM_OK) {
        after = it.seq;
        delivered++;
        REQUIRE(flm_queue_answer(&q, it.seq, "done", 4, NOW) == FLM_OK, "%s: answer after", what);
    }
    REQUIRE(delivered >= 1 && delivered <= seen_queued + 1, "%s: %u delivered", what, (unsigned)delivered);
    after = 0;
    while (flm_queue_next(&q, after, &it) == FLM_OK) {
        after = it.seq;
        REQUIRE(flm_queue_drop(&q, it.seq, NOW) == FLM_OK, "%s: drop after", what);
    }
    REQUIRE(flm_queue_compact(&q) == FLM_OK, "%s: compact after", what);
    uint32_t left = 0;
    queue_bytes(&left);
    REQUIRE(left == 0, "%s: %u records left after draining", what, (unsigned)left);
    flm_queue_status(&q, &st);
    REQUIRE(st.items == 0 && st.bytes == 0, "%s: drained counts", what);
    return true;
}

typedef struct {
    long first_cuts, recovery_cuts;
} cut_counts_t;

/* Recover from the store as the cut left it, cutting each write of the
 * recovery too, then check. */
static bool recover_and_check(const model_t *s0, const step_t *inflight, const char *what,
                              cut_counts_t *n)
{
    flm_queue_settings_t s = scenario_settings(s0);
    snapshot = store;
    snapshot.ops.ctx = &snapshot;
    long w0 = store.writes;
    REQUIRE(open_queue(&s) == FLM_OK, "%s: recovery failed", what);
    long rec_writes = store.writes - w0;
    REQUIRE(rec_writes <= 8 && w0 + rec_writes <= CUT_STORE_TRACE, "%s: %ld recovery writes", what,
            rec_writes);
    cut_write_t trace[8];
    for (long r = 0; r < rec_writes; r++)
        trace[r] = store.trace[w0 + r];
    if (!check_recovered(s0, inflight, what))
        return false;
    /* The recovery's own writes (deletes, head saves) are cut too, at the
     * bytes where a record's fields begin or end (every byte of every
     * write is already cut at the first level). */
    static const size_t at_bytes[] = { 0, 1, 4, 8, 12, 16, 20, 24, 27, 28 };
    for (long r = 0; r < rec_writes; r++) {
        size_t kmax = trace[r].put ? trace[r].n : 0;
        for (size_t ki = 0; ki < sizeof at_bytes / sizeof at_bytes[0]; ki++) {
            size_t k = at_bytes[ki] < kmax ? at_bytes[ki] : kmax;
            if (ki > 0 && k == kmax && at_bytes[ki - 1] >= kmax)
                break;
            for (int mode = 0; mode < CUT_MODES; mode++) {
                if (!trace[r].put && mode != CUT_BEFORE && mode != CUT_ERASED)
                    continue; /* a del: not done, or done */
                if (k == kmax && trace[r].put && mode != CUT_ERASED)
                    continue; /* all bytes written: one case */
                if (k > 0 && mode == CUT_BEFORE)
                    continue;
                store = snapshot;
                store.ops.ctx = &store;
                cut_store_arm(&store, r, k, (cut_mode_t)mode);
                flm_err_t err = open_queue(&s);
                REQUIRE(store.fired && err == FLM_ERR_IO, "%s: recovery write %ld not cut", what, r);
                cut_store_power_on(&store);
                n->recovery_cuts++;
                char w2[96];
                snprintf(w2, sizeof w2, "%s, recovery write %ld cut at %zu mode %d", what, r, k, mode);
                REQUIRE(open_queue(&s) == FLM_OK, "%s: second recovery failed", w2);
                if (!check_recovered(s0, inflight, w2))
                    return false;
            }
        }
    }
    return true;
}

static bool cut_everywhere(const step_t *scn, uint32_t max_records, bool drop_oldest, cut_counts_t *n)
{
    model_t m0 = { .next_seq = 1, .max_records = max_records, .drop_oldest = drop_oldest };
    model_t s0;
    int inflight;
    qstore = &store.ops;
    cut_fired = cut_store_fired;
    cut_store_init(&store);
    if (!run_scenario(scn, &m0, &s0, &inflight))
        return false;
    REQUIRE(inflight < 0, "the scenario cut itself");
    long writes = store.writes;
    REQUIRE(writes <= CUT_STORE_TRACE, "trace too short");
    static cut_write_t trace[CUT_STORE_TRACE];
    memcpy(trace, store.trace, sizeof trace);
    /* Without a cut, the end state itself must pass the checks. */
    if (!recover_and_check(&s0, NULL, "no cut", n))
        return false;
    for (long w = 0; w < writes; w++) {
        size_t kmax = trace[w].put ? trace[w].n : 0;
        for (size_t k = 0; k <= kmax; k++) {
            for (int mode = 0; mode < CUT_MODES; mode++) {
                if (!trace[w].put && mode != CUT_BEFORE && mode != CUT_ERASED)
                    continue;
                if (k == kmax && trace[w].put && mode != CUT_ERASED)
                    continue;
                if (k > 0 && mode == CUT_BEFORE)
                    continue;
                cut_store_init(&store);
                cut_store_arm(&store, w, k, (cut_mode_t)mode);
                if (!run_scenario(scn, &m0, &s0, &inflight))
                    return false;
                REQUIRE(inflight >= 0, "write %ld (%s) was never cut", w, trace[w].key);
                cut_store_power_on(&store);
                n->first_cuts++;
                char what[96];
                snprintf(what, sizeof what, "write %ld (%s %s, step %d) cut at %zu mode %d", w,
                         trace[w].put ? "put" : "del", trace[w].key, inflight, k, mode);
                if (!recover_and_check(&s0, &scn[inflight], what, n))
                    return false;
            }
        }
    }
    return true;
}

FLM_TEST(guard_queue_cut_at_every_byte)
{
    cut_counts_t a = { 0, 0 }, b = { 0, 0 };
    FLM_CHECK(cut_everywhere(scenario_refuse, 8, false, &a));
    FLM_CHECK(cut_everywhere(scenario_drop_oldest, 2, true, &b));
    printf("    queue cut points: %ld in the writes (%ld refuse, %ld drop-oldest), "
           "%ld more in the recoveries' writes\n",
           a.first_cuts + b.first_cuts, a.first_cuts, b.first_cuts,
           a.recovery_cuts + b.recovery_cuts);
    FLM_CHECK(a.first_cuts > 1000 && b.first_cuts > 500);
}

/* The queue and the ledger on the port's own store (the POSIX directory
 * store here), through flm_store_hal: what a device runs. */
FLM_TEST(guard_queue_on_the_hal_store)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/guard-store", flm_test_tmpdir());
    FLM_CHECK_EQ(flm_hal_posix_set_store_dir(dir), FLM_OK);
    flm_hal_posix_set_store_limits(0, 0);
    flm_queue_settings_t s = settings(8, false);
    FLM_CHECK_EQ(flm_queue_init(&q, &s, NULL, work, sizeof work, SEED), FLM_OK);
    uint32_t seq;
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "on the disk", "sys", NOW, &seq), FLM_OK);
    flm_queue_deinit(&q);
    FLM_CHECK_EQ(flm_queue_init(&q, &s, NULL, work, sizeof work, SEED), FLM_OK);
    flm_queue_item_t it;
    FLM_CHECK_EQ(flm_queue_next_pending(&q, 0, &it), FLM_OK);
    FLM_CHECK(it.seq == seq && strcmp(it.prompt, "on the disk") == 0);
    FLM_CHECK_EQ(flm_queue_answer(&q, seq, "kept", 4, NOW), FLM_OK);
    char buf[16];
    size_t len;
    FLM_CHECK_EQ(flm_queue_collect(&q, seq, buf, sizeof buf, &len, NOW), FLM_OK);
    FLM_CHECK_EQ(flm_queue_compact(&q), FLM_OK);
    char k[FLM_HAL_KEY_MAX + 1] = "";
    FLM_CHECK_EQ(flm_hal_store_next("q.", k, k), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_hal_store_next("qh.", NULL, k), FLM_OK);
    flm_queue_deinit(&q);

    static flm_ledger_t led;
    flm_budget_settings_t b;
    flm_budget_settings_init(&b);
    FLM_CHECK_EQ(flm_ledger_init(&led, &b, NULL), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, NOW, 3, 4), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, NOW, 3, 4), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_init(&led, &b, NULL), FLM_OK);
    FLM_CHECK(led.total.cloud_requests == 2 && led.total.cloud_out == 8);
}

/* ---- the same on the flash store, cut at the flash -------------------------------------- */

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
        /* Someone else's record shares the store (and brings the garbage
         * collections on sooner). */
        static uint8_t cfg[300];
        memset(cfg, 'c', sizeof cfg);
        REQUIRE(flm_flash_store_put(&fs, "cfg", cfg, sizeof cfg) == FLM_OK, "cfg");
    }
    return true;
}

/* Every programmed byte and every erase step of the scenario, two ways
 * each (the byte untouched, or half its bits programmed). */
static bool flash_cut_everywhere(const step_t *scn, uint32_t max_records, bool drop_oldest, long *cuts,
                                 uint32_t *collections)
{
    model_t m0 = { .next_seq = 1, .max_records = max_records, .drop_oldest = drop_oldest };
    model_t s0;
    int inflight;
    qstore = &flash_ops;
    cut_fired = flash_dead;
    if (!flash_mount(true))
        return false;
    uint64_t formatted = sim.units;
    if (!run_scenario(scn, &m0, &s0, &inflight))
        return false;
    uint64_t total = sim.units - formatted;
    *collections += fs.collections;
    for (uint64_t k = 0; k < total; k++) {
        for (int mode = 0; mode < 2; mode++) {
            if (!flash_mount(true))
                return false;
            flm_flash_sim_cut(&sim, k, (flm_flash_cut_mode_t)mode);
            if (!run_scenario(scn, &m0, &s0, &inflight))
                return false;
            REQUIRE(inflight >= 0, "unit %llu was never cut", (unsigned long long)k);
            if (!flash_mount(false))
                return false;
            (*cuts)++;
            char what[64];
            snprintf(what, sizeof what, "flash unit %llu mode %d (step %d)", (unsigned long long)k, mode,
                     inflight);
            flm_queue_settings_t s = scenario_settings(&s0);
            REQUIRE(open_queue(&s) == FLM_OK, "%s: recovery failed", what);
            if (!check_recovered(&s0, &scn[inflight], what))
                return false;
            REQUIRE(sim.violations == 0, "%s: a 0 bit programmed to 1", what);
        }
    }
    return true;
}

FLM_TEST(guard_queue_on_flash_cut_everywhere)
{
    long cuts = 0;
    uint32_t collections = 0;
    FLM_CHECK(flash_cut_everywhere(scenario_refuse, 8, false, &cuts, &collections));
    FLM_CHECK(flash_cut_everywhere(scenario_drop_oldest, 2, true, &cuts, &collections));
    printf("    queue on the flash store: %ld cut points (every programmed byte and erase step, "
           "2 ways; %u garbage collections in the runs)\n", cuts, (unsigned)collections);
    FLM_CHECK(collections >= 2);
    qstore = &store.ops;
}
