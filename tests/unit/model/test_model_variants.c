/* The llama-family variants real small models use, on synthetic models made
 * as GGUF files (tests/fixtures/gguf_write.h) and taken the whole way:
 * convert, the image, the loader, the integer engine, against the float32
 * reference (tools/ref) with the image's own weights. SmolLM-shaped (GPT-2
 * byte-level BPE, a 49,152-token vocabulary, grouped-query attention 3:1,
 * tied embeddings, RoPE base 100000, head_dim not dim / n_heads) and
 * TinyLlama-shaped (SentencePiece 32,000 tokens, GQA 8:1, separate
 * classifier, Q8_0 blocks); RoPE frequency factors and linear scaling.
 * These run on the ARM Linux boards too (tests/sh/cross_unit.sh). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/infer/engine.h"
#include "core/infer/transformer.h"
#include "core/model/model.h"
#include "core/model/model_format.h"
#include "tests/fixtures/bpe_ref.h"
#include "tests/fixtures/gguf_write.h"
#include "tests/harness/harness.h"
#include "tools/cli/convert.h"
#include "tools/ref/ref.h"

typedef struct {
    flm_fmodel_t fm;
    flm_ftok_t tok;
    uint8_t *img;
    size_t len;
    flm_model_t m;
} variant_t;

static bool make_variant(variant_t *v, const flm_gw_llama_t *g, uint32_t bits)
{
    memset(v, 0, sizeof *v);
    size_t len;
    uint8_t *f = flm_gw_llama(g, &len);
    char err[512];
    if (flm_gguf_read(&v->fm, &v->tok, f, len, NULL, err, sizeof err)) {
        printf("    %s\n", err);
        free(f);
        return false;
    }
    free(f);
    flm_build_opts_t o = { 32, bits, false };
    if (flm_image_build_with(&v->fm, &v->tok, &o, NULL, &v->img, &v->len, err, sizeof err)) {
        printf("    %s\n", err);
        return false;
    }
    flm_err_t e = flm_model_open(&v->m, v->img, v->len, FLM_MODEL_VERIFY_FULL);
    if (e)
        printf("    %s: %s\n", flm_strerror(e), v->m.detail);
    return e == FLM_OK;
}

static void free_variant(variant_t *v)
{
    free(v->img);
    flm_fmodel_free(&v->fm);
    flm_ftok_free(&v->tok);
}

/* The integer engine against the float reference given the image's own
 * weights, teacher-forced on the float model's greedy tokens: only the
 * integer arithmetic (and the int8 KV cache) differs. */
static void engine_vs_float(variant_t *v, uint32_t positions, const char *what)
{
    enum { MAX_POS = 48 };
    if (positions > MAX_POS)
        positions = MAX_POS;
    flm_ref_apply_quant(&v->fm, &v->m);
    flm_ref_t ref;
    FLM_CHECK(flm_ref_init(&ref, &v->fm, (int)positions) == 0);
    flm_ram_usage_t ram;
    FLM_CHECK_EQ(flm_transformer_ram(&v->m.cfg, positions, &ram), FLM_OK);
    uint8_t *mem = malloc(ram.total + 64);
    flm_arena_t a;
    flm_arena_init(&a, mem, ram.total + 64);
    flm_transformer_t tf;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &v->m, positions, &a), FLM_OK);
    uint32_t token = v->m.vocab.bos_id, agree = 0, vocab = v->m.cfg.vocab_size;
    double worst = 0, spread = 0;
    for (uint32_t pos = 0; pos < positions; pos++) {
        const float *fl = flm_ref_forward(&ref, (int)token, (int)pos);
        const int32_t *il;
        FLM_CHECK_EQ(flm_transformer_forward(&tf, token, pos, &il), FLM_OK);
        uint32_t fb = 0, ib = 0;
        float lo = fl[0], hi = fl[0];
        for (uint32_t i = 0; i < vocab; i++) {
            worst = fmax(worst, fabs(il[i] / 65536.0 - fl[i]));
            fb = fl[i] > fl[fb] ? i : fb;
            ib = il[i] > il[ib] ? i : ib;
            lo = fminf(lo, fl[i]);
            hi = fmaxf(hi, fl[i]);
        }
        spread = fmax(spread, (double)(hi - lo));
        agree += fb == ib;
        token = fb;
    }
    printf("    %s: logits within %.4f of float32 (spread %.2f), argmax %u/%u\n", what, worst, spread, agree,
           positions);
    FLM_CHECK(worst < 0.05 * spread);
    FLM_CHECK(agree >= positions * 3 / 4);
    flm_transformer_deinit(&tf);
    flm_ref_free(&ref);
    free(mem);
}

FLM_TEST(model_variants_smollm_shaped)
{
    /* a byte-level BPE of our own, padded with added tokens to SmolLM's
     * 49,152 */
    static const char text[] =
        "Once upon a time there was a little robot. It's 42 years old, and it'd like 7 friends.\n"
        "The robot said: \"We'll build 3 houses and 12 trees!\" Then it went home.\n";
    static uint8_t big[sizeof text * 8];
    for (size_t i = 0; i < 8; i++)
        memcpy(big + i * (sizeof text - 1), text, sizeof text - 1);
    flm_bpe_vocab_t bv;
    FLM_CHECK(flm_bpe_train(&bv, big, 8 * (sizeof text - 1), 120, true));
    flm_gw_llama_t g = { 0 };
    g.dim = 64;
    g.hidden_dim = 160;
    g.n_layers = 2;
    g.n_heads = 3;
    g.n_kv_heads = 1;   /* grouped-query attention 3:1 */
    g.head_dim = 32;    /* 3 x 32 = 96 != dim 64 */
    g.seq_len = 2048;
    g.rope_theta = 100000.0f;
    g.tied = 1;
    g.type = 1;         /* F16, as SmolLM's GGUF files */
    g.seed = 11;
    g.bpe_tokens = (const char *const *)bv.tokens;
    g.n_bpe_tokens = bv.n_tokens;
    g.bpe_merges = (const char *const *)bv.merges;
    g.n_bpe_merges = bv.n_merges;
    g.bpe_pre = "smollm";
    g.vocab_spm = 49152;
    for (uint32_t bits = 8; bits >= 4; bits -= 4) {
        static variant_t v;
        FLM_CHECK(make_variant(&v, &g, bits));
        const flm_model_config_t *c = &v.m.cfg;
        FLM_CHECK(c->vocab_size == 49152 && c->n_heads == 3 && c->n_kv_heads == 1 && c->head_dim == 32 &&
                  c->dim == 64 && c->shared_classifier && c->rope_theta == 100000 && c->seq_len == 2048);
        FLM_CHECK_EQ(v.m.vocab.kind, FLM_TOK_KIND_BPE);
        FLM_CHECK_EQ(v.m.layers[0].wq.rows, 96);
        FLM_CHECK_EQ(v.m.layers[0].wo.cols, 96);
        /* RoPE from the metadata's base: frequency i = 100000^(-2i/32) turns / (2 pi) */
        for (uint32_t i = 0; i < 16; i++) {
            double want = pow(100000.0, -2.0 * i / 32) / 6.283185307179586 * 4294967296.0;
            FLM_CHECK(fabs((double)v.m.rope_freq[i] - want) <= 1.0);
        }
        engine_vs_float(&v, 24, bits == 8 ? "smollm-shaped, int8" : "smollm-shaped, int4");
        /* and the engine runs it from a prompt (BOS is <|endoftext|>) */
        flm_engine_config_t cfg = { .ctx_len = 32 };
        size_t need;
        FLM_CHECK_EQ(flm_engine_ram(&v.m, &cfg, &need), FLM_OK);
        uint8_t *mem = malloc(need);
        flm_arena_t a;
        flm_arena_init(&a, mem, need);
        flm_engine_t e;
        FLM_CHECK_EQ(flm_engine_init(&e, &v.m, &cfg, &a), FLM_OK);
        FLM_CHECK_EQ(flm_engine_start(&e, (const uint8_t *)"The robot said 42", 17, 24), FLM_OK);
        flm_engine_token_t t;
        unsigned steps = 0;
        while (flm_engine_step(&e, &t) == FLM_OK && t.status == FLM_ENGINE_RUNNING)
            steps++;
        FLM_CHECK(steps >= 10);
        flm_engine_deinit(&e);
        free(mem);
        free_variant(&v);
    }
    flm_bpe_free(&bv);
}

FLM_TEST(model_variants_tinyllama_shaped)
{
    flm_gw_llama_t g = { 0 };
    g.dim = 64;
    g.hidden_dim = 192;
    g.n_layers = 2;
    g.n_heads = 8;
    g.n_kv_heads = 1; /* 8:1 as TinyLlama's 32:4 */
    g.seq_len = 2048;
    g.rope_theta = 10000.0f;
    g.tied = 0;
    g.type = 8;       /* Q8_0 blocks, copied */
    g.seed = 21;
    g.vocab_spm = 32000;
    static variant_t v;
    FLM_CHECK(make_variant(&v, &g, 8));
    FLM_CHECK(v.m.cfg.vocab_size == 32000 && !v.m.cfg.shared_classifier && v.m.cfg.head_dim == 8);
    FLM_CHECK_EQ(v.m.vocab.kind, FLM_TOK_KIND_SPM);
    FLM_CHECK(v.fm.qsrc[FLM_TENSOR_CLASSIFIER].bits == 8);
    engine_vs_float(&v, 24, "tinyllama-shaped, int8 from Q8_0");
    free_variant(&v);
}

/* llama 3's per-frequency RoPE factors (rope_freqs.weight) and linear
 * scaling (llama.rope.scaling.type) reach the RoPE table, and the float
 * reference agrees with the engine on them. */
static const float factors[4] = { 1.0f, 2.0f, 4.0f, 8.0f };
static void add_factors(flm_gguf_writer_t *w, const void *arg)
{
    (void)arg;
    uint64_t ne[1] = { 4 };
    flm_gw_tensor(w, "rope_freqs.weight", 0, 1, ne, factors);
    flm_gw_str(w, "llama.rope.scaling.type", "linear");
    flm_gw_f32(w, "llama.rope.scaling.factor", 4.0f);
}

FLM_TEST(model_variants_rope_factors_and_scaling)
{
    flm_gw_llama_t g = { 0 };
    g.dim = 32;
    g.hidden_dim = 64;
    g.n_layers = 1;
    g.n_heads = 4;
    g.n_kv_heads = 2;
    g.seq_len = 64;
    g.rope_theta = 500000.0f;
    g.tied = 1;
    g.seed = 2;
    g.vocab_spm = 300;
    g.extra = add_factors;
    static variant_t v;
    FLM_CHECK(make_variant(&v, &g, 8));
    for (uint32_t i = 0; i < 4; i++) {
        double want = pow(500000.0, -2.0 * i / 8) / factors[i] / 4.0 / 6.283185307179586 * 4294967296.0;
        FLM_CHECK_MSG(fabs((double)v.m.rope_freq[i] - want) <= 1.0, "rope_freq[%u] = %u, want %.1f", i,
                      v.m.rope_freq[i], want);
    }
    engine_vs_float(&v, 32, "rope factors and linear scaling");
    free_variant(&v);
}
