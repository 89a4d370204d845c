/* The matrix products and the attention split across the HAL's thread pool
 * (core/infer/priv/matmul.h, priv/attend.h) give the one-thread bits: the products alone
 * on random ragged int8 and int4 matrices, and whole forward passes (one
 * position at a time and in blocks) on the default model and on a ragged
 * synthetic shape, with 1, 2 and 3 threads. */
#include <stdlib.h>
#include <string.h>

#include "core/hal/hal.h"
#include "core/infer/priv/attend.h"
#include "core/infer/priv/matmul.h"
#include "core/infer/transformer.h"
#include "tests/fixtures/model_synth.h"
#include "tests/fixtures/tok_ref.h"
#include "tests/harness/harness.h"

enum { MAX_POSITIONS = 160, MAX_VOCAB = 1024 };

static const uint32_t thread_counts[] = { 1, 2, 3 };

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* A rows x cols matrix, groups of gs, random values and scales. */
static flm_qmat_t random_matrix(uint32_t rows, uint32_t cols, uint32_t gs, uint32_t bits,
                                int8_t *q, int32_t *s, uint32_t seed)
{
    flm_qmat_t w = { q, s, rows, cols, gs, (cols + gs - 1) / gs, 30, bits };
    size_t nq = (size_t)rows * flm_qmat_row_bytes(&w), ns = (size_t)rows * w.ngroups;
    for (size_t i = 0; i < nq; i++)
        q[i] = (int8_t)rnd(&seed);
    for (size_t i = 0; i < ns; i++)
        s[i] = (int32_t)(rnd(&seed) % (1u << 22)) - (bits == 4 ? (1 << 21) : 0);
    return w;
}

FLM_TEST(threads_matmul_same_bits)
{
    static int8_t q[700 * 300];
    static int32_t s[700 * 20], want[4][700], got[4][700];
    static int16_t x[4][512];
    static const uint32_t shapes[][4] = {
        /* rows, cols, gs, bits: ragged rows (not a multiple of 16) and
         * groups, each big enough to be split (FLM_MATMUL_MIN_SPLIT) */
        { 700, 300, 32, 8 }, { 333, 420, 24, 8 }, { 517, 300, 100, 8 },
        { 700, 300, 32, 4 }, { 333, 402, 26, 4 },
    };
    uint32_t seed = 99;
    for (size_t b = 0; b < 4; b++)
        for (size_t i = 0; i < 512; i++)
            x[b][i] = (int16_t)rnd(&seed);
    const int32_t sh[4] = { 12, 9, 14, 11 };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        flm_qmat_t w = random_matrix(shapes[k][0], shapes[k][1], shapes[k][2], shapes[k][3], q, s,
                                     (uint32_t)k + 1);
        FLM_CHECK((uint64_t)w.rows * w.cols >= FLM_MATMUL_MIN_SPLIT);
        for (uint32_t b = 0; b < 4; b++)
            FLM_CHECK_EQ(flm_infer_matvec1(&w, x[b], sh[b], want[b], 16), FLM_OK);
        for (size_t t = 0; t < sizeof thread_counts / sizeof thread_counts[0]; t++) {
            FLM_CHECK_EQ(flm_hal_parallel_init(thread_counts[t]), FLM_OK);
            FLM_CHECK_EQ(flm_hal_parallel_threads(), thread_counts[t]);
            memset(got, 0x55, sizeof got);
            FLM_CHECK_EQ(flm_infer_matvec(&w, x[0], sh[0], got[0], 16), FLM_OK);
            FLM_CHECK(memcmp(got[0], want[0], w.rows * sizeof(int32_t)) == 0);
            memset(got, 0x55, sizeof got);
            FLM_CHECK_EQ(flm_infer_matmat(&w, 4, x[0], 512, sh, got[0], 700, 16), FLM_OK);
            for (uint32_t b = 0; b < 4; b++)
                FLM_CHECK(memcmp(got[b], want[b], w.rows * sizeof(int32_t)) == 0);
            /* a bad argument is refused, with or without threads */
            const int32_t bad[4] = { 12, 99, 14, 11 };
            FLM_CHECK_EQ(flm_infer_matmat(&w, 4, x[0], 512, bad, got[0], 700, 16), FLM_ERR_ARG);
            FLM_CHECK_EQ(flm_infer_matvec(&w, x[0], 99, got[0], 16), FLM_ERR_ARG);
            flm_hal_parallel_deinit();
        }
    }
    FLM_CHECK_EQ(flm_hal_parallel_threads(), 1u);
}

static uint32_t token_at(uint32_t pos, uint32_t vocab)
{
    return (pos * 29u + 3u) % vocab;
}

static _Alignas(16) uint8_t arena_mem[4u << 20], scratch[1u << 20];
static int32_t logits[4][MAX_POSITIONS][MAX_VOCAB]; /* [threads][pos]: one at a time, then blocks */
static int32_t block_logits[4][MAX_POSITIONS][MAX_VOCAB];

/* The logits of every position, one at a time and in blocks of 5, with the
 * pool at `threads`. */
static bool run_model(const flm_model_t *m, uint32_t threads, uint32_t positions,
                      int32_t (*one)[MAX_VOCAB], int32_t (*blk)[MAX_VOCAB])
{
    const uint32_t vocab = m->cfg.vocab_size;
    if (vocab > MAX_VOCAB || flm_hal_parallel_init(threads) != FLM_OK)
        return false;
    bool ok = flm_hal_parallel_threads() == threads;
    flm_arena_t a;
    flm_transformer_t tf;
    flm_arena_init(&a, arena_mem, sizeof arena_mem);
    ok = ok && flm_transformer_init(&tf, m, positions, &a) == FLM_OK;
    for (uint32_t pos = 0; ok && pos < positions; pos++) {
        const int32_t *l;
        ok = flm_transformer_forward(&tf, token_at(pos, vocab), pos, &l) == FLM_OK;
        if (ok)
            memcpy(one[pos], l, vocab * sizeof *l);
    }
    flm_arena_init(&a, arena_mem, sizeof arena_mem);
    ok = ok && flm_transformer_init(&tf, m, positions, &a) == FLM_OK;
    for (uint32_t pos = 0; ok && pos < positions;) {
        uint32_t n = positions - pos < 5 ? positions - pos : 5, toks[5];
        for (uint32_t i = 0; i < n; i++)
            toks[i] = token_at(pos + i, vocab);
        const int32_t *l;
        ok = flm_transformer_forward_block(&tf, toks, n, pos, scratch, sizeof scratch, &l) == FLM_OK;
        if (ok)
            memcpy(blk[pos + n - 1], l, vocab * sizeof *l);
        pos += n;
    }
    flm_hal_parallel_deinit();
    return ok;
}

static void same_logits_any_threads(const flm_model_t *m, uint32_t positions)
{
    const size_t nt = sizeof thread_counts / sizeof thread_counts[0];
    const size_t row = m->cfg.vocab_size * sizeof(int32_t);
    for (size_t t = 0; t < nt; t++)
        FLM_CHECK(run_model(m, thread_counts[t], positions, logits[t], block_logits[t]));
    for (size_t t = 1; t < nt; t++) {
        for (uint32_t pos = 0; pos < positions; pos++)
            FLM_CHECK_MSG(memcmp(logits[t][pos], logits[0][pos], row) == 0,
                          "%u threads: other logits at position %u", thread_counts[t], pos);
        for (uint32_t pos = 4; pos < positions; pos += 5)
            FLM_CHECK_MSG(memcmp(block_logits[t][pos], block_logits[0][pos], row) == 0,
                          "%u threads: other block logits at position %u", thread_counts[t], pos);
    }
    /* and the block path is the one-at-a-time path's */
    FLM_CHECK(memcmp(block_logits[0][positions - 1], logits[0][positions - 1], row) == 0);
}

FLM_TEST(threads_default_model_same_logits)
{
    size_t len;
    char *img = flm_test_read_file("models/fieldtales-800k.flm", &len);
    FLM_CHECK(img);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
    same_logits_any_threads(&m, 24);
    free(img);
}

FLM_TEST(threads_ragged_shape_same_logits)
{
    /* dim 392 (groups of 24: a short last one), hidden 1000, 7 heads, vocab
     * 1000: every product is split (FLM_MATMUL_MIN_SPLIT), in pieces whose
     * last is short (392 and 1000 rows are not multiples of 16) */
    static const flm_synth_t shape = { 392, 1000, 2, 7, 7, 1000, 64, false, 24, 11, NULL };
    size_t len;
    uint8_t *img = flm_synth_image(&shape, &len);
    FLM_CHECK(img);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
    same_logits_any_threads(&m, 24);
    free(img);
}

FLM_TEST(threads_attention_split_same_logits)
{
    /* four heads of 128 (two kv heads) over 160 positions: from position
     * 128 on (and in blocks from about 30) the attention's (position, head)
     * pairs do enough work to be split across the pool (FLM_ATTEND_MIN_SPLIT),
     * each piece in a scratch slot of its own */
    static const flm_synth_t shape = { 512, 64, 1, 4, 2, 64, 160, false, 32, 5, NULL };
    FLM_CHECK(160u * 4u * 128u >= FLM_ATTEND_MIN_SPLIT && 128u * 4u * 128u >= FLM_ATTEND_MIN_SPLIT);
    size_t len;
    uint8_t *img = flm_synth_image(&shape, &len);
    FLM_CHECK(img);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
    same_logits_any_threads(&m, 160);
    free(img);
}
