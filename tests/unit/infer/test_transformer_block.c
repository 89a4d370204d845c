/* Batched prefill (flm_transformer_forward_block) against one position at a
 * time: the same KV cache bytes and the same logits, for blocks of several
 * sizes, on synthetic shapes (ragged groups, GQA, shared classifier) and on
 * stories260K when ../shared has it; decoding after a block continues with
 * the same bits. */
#include <stdlib.h>
#include <string.h>

#include "core/infer/transformer.h"
#include "tests/fixtures/engine_ref.h"
#include "tests/fixtures/model_synth.h"
#include "tests/harness/harness.h"

static _Alignas(16) uint8_t mem_a[200 * 1024], mem_b[200 * 1024], scratch[256 * 1024];
static int32_t want[64][512];

static uint32_t token_at(uint32_t pos, uint32_t vocab)
{
    return (pos * 13u + 5u) % vocab;
}

/* blocks of `blocks` (0-terminated) from position 0, then single positions
 * up to n; every logits vector the block path yields must be want[pos] */
static bool block_agrees(const flm_model_t *m, uint32_t n, const uint32_t *blocks)
{
    flm_arena_t a, b;
    flm_arena_init(&a, mem_a, sizeof mem_a);
    flm_arena_init(&b, mem_b, sizeof mem_b);
    flm_transformer_t one, blk;
    if (flm_transformer_init(&one, m, n, &a) != FLM_OK || flm_transformer_init(&blk, m, n, &b) != FLM_OK)
        return false;
    const uint32_t vocab = m->cfg.vocab_size;
    for (uint32_t pos = 0; pos < n; pos++) {
        const int32_t *l;
        if (flm_transformer_forward(&one, token_at(pos, vocab), pos, &l) != FLM_OK)
            return false;
        memcpy(want[pos], l, vocab * sizeof *l);
    }
    uint32_t pos = 0, toks[64];
    for (const uint32_t *k = blocks; *k && pos + *k <= n; pos += *k++) {
        for (uint32_t i = 0; i < *k; i++)
            toks[i] = token_at(pos + i, vocab);
        const int32_t *l;
        /* every second block without logits (a prompt's inner block): the
         * cache must still be the one-at-a-time path's (checked below) */
        if ((k - blocks) % 2) {
            int32_t before = blk.logits[0];
            if (flm_transformer_forward_block(&blk, toks, *k, pos, scratch, sizeof scratch, NULL) !=
                    FLM_OK || blk.logits[0] != before) {
                printf("    block of %u at %u without logits: error or logits written\n", *k, pos);
                return false;
            }
            continue;
        }
        flm_err_t err = flm_transformer_forward_block(&blk, toks, *k, pos, scratch, sizeof scratch, &l);
        if (err != FLM_OK || memcmp(l, want[pos + *k - 1], vocab * sizeof *l) != 0) {
            printf("    block of %u at %u: err %d or other logits\n", *k, pos, err);
            return false;
        }
    }
    for (; pos < n; pos++) {
        const int32_t *l;
        if (flm_transformer_forward(&blk, token_at(pos, vocab), pos, &l) != FLM_OK ||
            memcmp(l, want[pos], vocab * sizeof *l) != 0) {
            printf("    decoding at %u after the blocks: other logits\n", pos);
            return false;
        }
    }
    size_t kv = (size_t)m->cfg.n_layers * n * one.kv_dim, sc = (size_t)m->cfg.n_layers * n * m->cfg.n_kv_heads;
    return memcmp(one.kc, blk.kc, kv) == 0 && memcmp(one.vc, blk.vc, kv) == 0 &&
           memcmp(one.ks, blk.ks, sc * 2) == 0 && memcmp(one.vs, blk.vs, sc * 2) == 0;
}

FLM_TEST(transformer_block_equals_one_at_a_time)
{
    static const flm_synth_t shapes[] = {
        FLM_SYNTH_DEFAULT,
        { 16, 40, 2, 4, 4, 40, 32, true, 32, 7, NULL },
        { 64, 100, 3, 4, 2, 300, 64, false, 64, 3, NULL },
        { 48, 72, 2, 3, 3, 100, 40, true, 20, 5, NULL }, /* ragged groups */
    };
    static const uint32_t blocks[][6] = { { 1, 0 }, { 5, 3, 0 }, { 16, 16, 0 }, { 2, 7, 13, 1, 0 } };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        size_t ilen;
        uint8_t *img = flm_synth_image(&shapes[k], &ilen);
        FLM_CHECK(img);
        flm_model_t m;
        FLM_CHECK_EQ(flm_model_open(&m, img, ilen, FLM_MODEL_VERIFY_FULL), FLM_OK);
        uint32_t n = shapes[k].seq_len < 32 ? shapes[k].seq_len : 32;
        for (size_t b = 0; b < sizeof blocks / sizeof blocks[0]; b++)
            FLM_CHECK(block_agrees(&m, n, blocks[b]));
        flm_model_close(&m);
        free(img);
    }
    flm_test_stories_t st;
    if (!flm_test_stories_open(&st))
        return;
    static const uint32_t sb[] = { 9, 20, 0 };
    FLM_CHECK(block_agrees(&st.model, 40, sb));
    flm_test_stories_close(&st);
}

FLM_TEST(transformer_block_refuses_bad_arguments)
{
    size_t ilen;
    const flm_synth_t s = FLM_SYNTH_DEFAULT;
    uint8_t *img = flm_synth_image(&s, &ilen);
    FLM_CHECK(img);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, img, ilen, FLM_MODEL_VERIFY_FULL), FLM_OK);
    flm_arena_t a;
    flm_arena_init(&a, mem_a, sizeof mem_a);
    flm_transformer_t t;
    FLM_CHECK_EQ(flm_transformer_init(&t, &m, 8, &a), FLM_OK);
    const uint32_t toks[4] = { 1, 2, 3, 4 }, bad[2] = { 1, 100000 };
    const int32_t *l;
    size_t need = flm_transformer_block_bytes(&m.cfg, 4);
    FLM_CHECK(need > 0 && need <= sizeof scratch);
    FLM_CHECK_EQ(flm_transformer_block_bytes(&m.cfg, 0), 0u);
    FLM_CHECK_EQ(flm_transformer_forward_block(&t, toks, 0, 0, scratch, sizeof scratch, &l), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_transformer_forward_block(&t, toks, 4, 0, scratch, need - 1, &l), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_transformer_forward_block(&t, toks, 4, 0, scratch + 1, need, &l), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_transformer_forward_block(&t, bad, 2, 0, scratch, need, &l), FLM_ERR_ENGINE_TOKEN);
    FLM_CHECK_EQ(flm_transformer_forward_block(&t, toks, 4, 5, scratch, need, &l),
                 FLM_ERR_ENGINE_CONTEXT_FULL);
    FLM_CHECK_EQ(flm_transformer_forward_block(&t, toks, 4, 4, scratch, need, &l), FLM_OK);
    flm_model_close(&m);
    free(img);
}
