/* The integer transformer on stories260K (converted image) against the
 * float32 reference (tools/ref): arena sizing, logits error, argmax. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/infer/transformer.h"
#include "core/model/arch.h"
#include "tests/fixtures/engine_ref.h"
#include "core/infer/priv/attend.h"
#include "tests/harness/harness.h"
#include "tests/fixtures/model_synth.h"

static _Alignas(16) uint8_t mem[160 * 1024];

FLM_TEST(transformer_ram_equals_init)
{
    flm_test_stories_t st;
    if (!flm_test_stories_open(&st))
        FLM_SKIP("no ../shared/models/stories260K.bin or tok512.bin");
    flm_model_t *m = &st.model;
    flm_ram_usage_t ram;
    FLM_CHECK_EQ(flm_transformer_ram(&m->cfg, 256, &ram), FLM_OK);
    FLM_CHECK_EQ(ram.weights_ram, 0);
    FLM_CHECK_EQ(ram.total, ram.kv_cache + ram.activations + ram.scratch);
    printf("    stories260K ctx 256: total %zu B (kv %zu, activations %zu, scratch %zu)\n",
           ram.total, ram.kv_cache, ram.activations, ram.scratch);
    /* 106 KB on a device (one attention slot): well inside a 256 KB-RAM
     * part; a build with threads has a slot per head (priv/attend.h) */
    const size_t slots = FLM_ATTEND_SLOTS(m->cfg.n_heads);
    const size_t extra = slots > 1 ? (slots - 1) * 256 * sizeof(int32_t) +
                                         ((slots * m->cfg.head_dim * sizeof(int16_t) + 15u) & ~(size_t)15u)
                                   : 0;
    FLM_CHECK(ram.total - extra <= 108480);

    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    flm_transformer_t tf;
    FLM_CHECK_EQ(flm_transformer_init(&tf, m, 256, &a), FLM_OK);
    FLM_CHECK_EQ(flm_arena_used(&a), ram.total);

    /* exhaustion is an error that names the shortfall */
    flm_arena_init(&a, mem, ram.total - 100);
    FLM_CHECK_EQ(flm_transformer_init(&tf, m, 256, &a), FLM_ERR_NOMEM);
    FLM_CHECK_EQ(a.shortfall, 100);
    FLM_CHECK_EQ(flm_arena_used(&a), 0);

    /* bad arguments */
    flm_arena_init(&a, mem, sizeof mem);
    FLM_CHECK_EQ(flm_transformer_init(&tf, m, 0, &a), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_transformer_init(&tf, m, m->cfg.seq_len + 1, &a), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_transformer_init(&tf, m, 8, &a), FLM_OK);
    const int32_t *logits = NULL;
    FLM_CHECK_EQ(flm_transformer_forward(&tf, 1, 8, &logits), FLM_ERR_ENGINE_CONTEXT_FULL);
    FLM_CHECK_EQ(flm_transformer_forward(&tf, m->cfg.vocab_size, 0, &logits), FLM_ERR_ENGINE_TOKEN);
    FLM_CHECK_EQ(flm_transformer_forward(&tf, 1, 0, &logits), FLM_OK);
    FLM_CHECK(logits != NULL);
    flm_transformer_deinit(&tf);
    FLM_CHECK_EQ(flm_transformer_forward(&tf, 1, 0, &logits), FLM_ERR_ARG);

    /* shapes the engine cannot run are refused */
    flm_model_config_t bad = m->cfg;
    bad.n_kv_heads = 3;
    FLM_CHECK_EQ(flm_transformer_ram(&bad, 8, &ram), FLM_ERR_ENGINE_SHAPE);
    bad = m->cfg;
    bad.n_layers = 0xFFFFFFFFu;
    FLM_CHECK_EQ(flm_transformer_ram(&bad, 8, &ram), FLM_ERR_ENGINE_SHAPE);
    bad = m->cfg;
    bad.head_dim = 7;
    FLM_CHECK_EQ(flm_transformer_ram(&bad, 8, &ram), FLM_ERR_ENGINE_SHAPE);
    /* a scale out of range, in a model the loader has not walked (as if
     * opened FLM_MODEL_VERIFY_HEADER), is a value error, not a shape one */
    flm_model_t copy = *m;
    static int32_t scales[64 * 172];
    memcpy(scales, copy.layers[2].w2.s, copy.layers[2].w2.rows * copy.layers[2].w2.ngroups * 4);
    scales[5] = INT32_MAX;
    copy.layers[2].w2.s = scales;
    copy.scales_checked = false;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &copy, 8, &a), FLM_ERR_MODEL_VALUE);
    /* and a view whose shape is not the config's is a shape error */
    copy = *m;
    copy.layers[2].w2.rows--;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &copy, 8, &a), FLM_ERR_ENGINE_SHAPE);
    flm_test_stories_close(&st);
}

/* The model check is llama's architecture table: a bad view of any entry,
 * of any layer, shared classifier included, is refused. */
FLM_TEST(transformer_checks_every_table_view)
{
    flm_synth_t s = FLM_SYNTH_DEFAULT;
    size_t len;
    uint8_t *img = flm_synth_image(&s, &len);
    FLM_CHECK(img != NULL);
    static flm_model_t m, copy;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
    const flm_arch_t *arch = flm_arch_find(FLM_ARCH_LLAMA);
    flm_arena_t a;
    flm_transformer_t tf;
    flm_arena_init(&a, mem, sizeof mem);
    FLM_CHECK_EQ(flm_transformer_init(&tf, &m, 8, &a), FLM_OK);
    uint32_t refused = 0;
    for (uint32_t i = 0; i < arch->n_tensors; i++) {
        const flm_arch_tensor_t *t = &arch->tensors[i];
        for (uint32_t l = 0; l < flm_arch_copies(t, &m.cfg); l++) {
            for (int how = 0; how < 2; how++) {
                copy = m;
                void *v = flm_arch_view(&copy, t, l);
                if (t->dtype == FLM_DTYPE_Q8) {
                    flm_qmat_t *q = v;
                    if (how)
                        q->q = NULL;
                    else
                        q->cols++;
                } else if (t->dtype == FLM_DTYPE_I32) {
                    flm_ivec_t *iv = v;
                    if (how)
                        iv->v = NULL;
                    else
                        iv->n--;
                } else {
                    *(const uint32_t **)v = NULL;
                }
                flm_arena_init(&a, mem, sizeof mem);
                flm_err_t err = flm_transformer_init(&tf, &copy, 8, &a);
                FLM_CHECK_MSG(err == FLM_ERR_ENGINE_SHAPE, "layer %u %s (%d): %s", l, t->name, how,
                              flm_strerror(err));
                refused++;
            }
        }
    }
    FLM_CHECK_EQ(refused, 2 * (4 + 9 * s.n_layers));
    /* a model of another architecture is not this forward pass's */
    copy = m;
    copy.arch = 7;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &copy, 8, &a), FLM_ERR_ENGINE_SHAPE);
    free(img);
}

/* Group scales are walked once per model: by a full open or
 * flm_model_verify (m->scales_checked), otherwise by init. */
FLM_TEST(transformer_walks_scales_once)
{
    flm_synth_t s = FLM_SYNTH_DEFAULT;
    size_t len;
    uint8_t *img = flm_synth_image(&s, &len);
    FLM_CHECK(img != NULL);
    static flm_model_t m;
    flm_arena_t a;
    flm_transformer_t tf;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_HEADER), FLM_OK);
    FLM_CHECK(!m.scales_checked);
    /* a scale of the last layer's w2, in the (writable) test copy of the image */
    int32_t *sc = (int32_t *)(void *)(img + ((const uint8_t *)(const void *)m.layers[1].w2.s - img) + 4);
    const int32_t keep = *sc;
    static const int32_t bad[] = { FLM_QMAT_SCALE_LIMIT, -1, INT32_MIN };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        *sc = bad[i];
        flm_arena_init(&a, mem, sizeof mem);
        FLM_CHECK_EQ(flm_transformer_init(&tf, &m, 8, &a), FLM_ERR_MODEL_VALUE);
        FLM_CHECK_EQ(flm_arena_used(&a), 0);
        char detail[FLM_MODEL_DETAIL_MAX];
        FLM_CHECK_EQ(flm_model_check_scales(&m, detail, sizeof detail), FLM_ERR_MODEL_VALUE);
        FLM_CHECK_MSG(strstr(detail, "layer 1 w2: group scale 1 ") != NULL, "%s", detail);
    }
    *sc = FLM_QMAT_SCALE_LIMIT - 1;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &m, 8, &a), FLM_OK);
    *sc = keep;
    /* verify walks them and says so */
    FLM_CHECK_EQ(flm_model_verify(&m), FLM_OK);
    FLM_CHECK(m.scales_checked);
    /* after a full open, init does not walk them again: a scale changed
     * behind the loader's back (a device's image is read-only) goes unseen */
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
    FLM_CHECK(m.scales_checked);
    *sc = FLM_QMAT_SCALE_LIMIT;
    flm_arena_init(&a, mem, sizeof mem);
    FLM_CHECK_EQ(flm_transformer_init(&tf, &m, 8, &a), FLM_OK);
    free(img);
}

static void logits_vs_float(bool same_weights)
{
    enum { N = 200 };
    static flm_test_engine_ref_t e;
    if (!flm_test_engine_ref_open(&e, N, same_weights))
        FLM_SKIP("no ../shared/models/stories260K.bin or tok512.bin");
    const uint32_t vocab = e.st.model.cfg.vocab_size;
    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    flm_transformer_t tf;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &e.st.model, N, &a), FLM_OK);
    /* teacher-forced on the float model's own greedy text from BOS */
    uint32_t token = 1, agree = 0;
    double max_err = 0, sum_err = 0, max_logit = 0;
    for (uint32_t pos = 0; pos < N; pos++) {
        const float *fl = flm_ref_forward(&e.ref, (int)token, (int)pos);
        const int32_t *il;
        FLM_CHECK_EQ(flm_transformer_forward(&tf, token, pos, &il), FLM_OK);
        uint32_t fbest = 0, ibest = 0;
        for (uint32_t i = 0; i < vocab; i++) {
            double err = fabs(il[i] / 65536.0 - fl[i]);
            max_err = fmax(max_err, err);
            max_logit = fmax(max_logit, fabs(fl[i]));
            sum_err += err;
            if (fl[i] > fl[fbest]) fbest = i;
            if (il[i] > il[ibest]) ibest = i;
        }
        agree += fbest == ibest;
        token = fbest;
    }
    double mean_err = sum_err / (N * (double)vocab);
    printf("    vs %s: %d positions: logit abs error max %.4f mean %.4f (|logit| up to %.1f), "
           "argmax agreement %u/%d\n",
           same_weights ? "float with the int8 weights and KV rounding" : "float", N, max_err,
           mean_err, max_logit, agree, N);
    /* measured: vs float 0.116 mean, 1.14 max, 196/200; vs the same weights
     * and cache rounding 0.024 mean, 0.39 max, 198/200 */
    FLM_CHECK(mean_err < (same_weights ? 0.04 : 0.2));
    FLM_CHECK(max_err < (same_weights ? 0.8 : 2.0));
    FLM_CHECK(agree >= (same_weights ? N * 98 / 100 : N * 95 / 100));
    flm_test_engine_ref_close(&e);
}

FLM_TEST(transformer_logits_vs_float)
{
    logits_vs_float(false);
}

FLM_TEST(transformer_logits_vs_float_same_weights)
{
    logits_vs_float(true);
}

/* Other shapes than stories260K, on synthetic checkpoints through the real
 * converter: separate classifier, multi-head (n_kv_heads == n_heads), short
 * last groups, head_dim 16. The float side gets the same int8 weights and KV
 * rounding, so the error left is the integer arithmetic's. */
FLM_TEST(transformer_synthetic_shapes_vs_float)
{
    static const flm_synth_t shapes[] = {
        FLM_SYNTH_DEFAULT,                                   /* dim 16, gqa, separate classifier */
        { 16, 40, 2, 4, 4, 40, 32, true, 32, 7, NULL },      /* mha, shared */
        { 64, 100, 3, 4, 2, 300, 64, false, 64, 3, NULL },   /* head_dim 16, groups of 64 */
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        const flm_synth_t *s = &shapes[k];
        size_t clen, ilen;
        uint8_t *ckpt = flm_synth_checkpoint(s, &clen), *img = flm_synth_image(s, &ilen);
        FLM_CHECK(ckpt && img);
        flm_model_t m;
        flm_fmodel_t fm;
        char err[256];
        FLM_CHECK_EQ(flm_model_open(&m, img, ilen, FLM_MODEL_VERIFY_FULL), FLM_OK);
        FLM_CHECK_MSG(flm_fmodel_parse(&fm, ckpt, clen, err, sizeof err) == 0, "%s", err);
        /* norm weights near 1 instead of the synthetic +-0.1, for O(1) activations */
        static int32_t ones[64];
        for (uint32_t i = 0; i < 64; i++)
            ones[i] = (1 << 24) + (int32_t)(i * 40503u % (1u << 22)) - (1 << 21);
        for (uint32_t l = 0; l < m.cfg.n_layers; l++) {
            m.layers[l].rms_att = (flm_ivec_t){ ones, m.cfg.dim, 24 };
            m.layers[l].rms_ffn = (flm_ivec_t){ ones, m.cfg.dim, 24 };
        }
        m.rms_final = (flm_ivec_t){ ones, m.cfg.dim, 24 };
        flm_ref_apply_quant(&fm, &m);
        flm_ref_t ref;
        FLM_CHECK_EQ(flm_ref_init(&ref, &fm, (int)s->seq_len), 0);
        ref.kv_int8 = (int)m.cfg.head_dim;
        flm_arena_t a;
        flm_arena_init(&a, mem, sizeof mem);
        flm_transformer_t tf;
        FLM_CHECK_EQ(flm_transformer_init(&tf, &m, s->seq_len, &a), FLM_OK);
        double sum_err = 0, sum_mag = 0, max_err = 0;
        for (uint32_t pos = 0; pos < s->seq_len; pos++) {
            uint32_t token = (pos * 13u + 5u) % s->vocab_size;
            const float *fl = flm_ref_forward(&ref, (int)token, (int)pos);
            const int32_t *il;
            FLM_CHECK_EQ(flm_transformer_forward(&tf, token, pos, &il), FLM_OK);
            for (uint32_t i = 0; i < s->vocab_size; i++) {
                double e = fabs(il[i] / 65536.0 - fl[i]);
                sum_err += e;
                sum_mag += fabs(fl[i]);
                max_err = fmax(max_err, e);
            }
        }
        printf("    dim %u hidden %u heads %u/%u vocab %u gs %u: mean |logit| %.3f, error mean %.5f max %.4f\n",
               s->dim, s->hidden_dim, s->n_heads, s->n_kv_heads, s->vocab_size, s->gs,
               sum_mag / (s->seq_len * s->vocab_size), sum_err / (s->seq_len * s->vocab_size), max_err);
        FLM_CHECK(sum_err < 0.005 * sum_mag); /* measured 0.02% to 0.14% */
        flm_ref_free(&ref);
        flm_fmodel_free(&fm);
        flm_model_close(&m);
        free(ckpt);
        free(img);
    }
}

/* Restarting at position 0 replays the same bits: nothing but the KV cache
 * of positions < pos is read, so a new sequence needs no reset. ctx 1 works. */
FLM_TEST(transformer_restart_is_deterministic)
{
    flm_test_stories_t st;
    if (!flm_test_stories_open(&st))
        FLM_SKIP("no ../shared/models/stories260K.bin or tok512.bin");
    enum { N = 12 };
    static int32_t first[N][512];
    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    flm_transformer_t tf;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &st.model, N, &a), FLM_OK);
    for (int run = 0; run < 2; run++) {
        for (uint32_t pos = 0; pos < N; pos++) {
            const int32_t *l;
            FLM_CHECK_EQ(flm_transformer_forward(&tf, (pos * 31u + 7u) % 512u, pos, &l), FLM_OK);
            if (run == 0)
                memcpy(first[pos], l, sizeof first[pos]);
            else
                FLM_CHECK(memcmp(first[pos], l, sizeof first[pos]) == 0);
        }
        /* a different sequence in between must not leak into the replay */
        for (uint32_t pos = 0; pos < N / 2 && run == 0; pos++) {
            const int32_t *l;
            FLM_CHECK_EQ(flm_transformer_forward(&tf, (pos * 17u + 3u) % 512u, pos, &l), FLM_OK);
        }
    }
    flm_arena_init(&a, mem, sizeof mem);
    FLM_CHECK_EQ(flm_transformer_init(&tf, &st.model, 1, &a), FLM_OK);
    const int32_t *l;
    FLM_CHECK_EQ(flm_transformer_forward(&tf, 7, 0, &l), FLM_OK); /* the first run's token */
    FLM_CHECK(memcmp(first[0], l, sizeof first[0]) == 0);          /* context size changes no bit */
    FLM_CHECK_EQ(flm_transformer_forward(&tf, 7, 1, &l), FLM_ERR_ENGINE_CONTEXT_FULL);
    flm_test_stories_close(&st);
}
