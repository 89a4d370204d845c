/* The integer transformer against the float32 reference (tools/ref) on
 * stories260K: arena sizing, logits error, argmax agreement. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/transformer.h"
#include "tests/unit/harness.h"
#include "tools/ref/ref.h"

#define GS 32 /* quantization group size of the test model */

static bool load(flm_ref_t *ref, flm_ref_quant_t *qm)
{
    const char *path = flm_test_shared("models/stories260K.bin");
    if (!path || flm_ref_load(ref, path) != 0)
        return false;
    if (flm_ref_quantize(ref, GS, qm) != 0) {
        flm_ref_free(ref);
        return false;
    }
    return true;
}

FLM_TEST(transformer_ram_equals_init)
{
    flm_ref_t ref;
    flm_ref_quant_t qm;
    if (!load(&ref, &qm))
        FLM_SKIP("no ../shared/models/stories260K.bin");
    flm_ram_usage_t ram;
    FLM_CHECK_EQ(flm_transformer_ram(&qm.model.cfg, 256, &ram), FLM_OK);
    FLM_CHECK_EQ(ram.weights_ram, 0);
    FLM_CHECK_EQ(ram.total, ram.kv_cache + ram.activations + ram.scratch);
    printf("    stories260K ctx 256: total %zu B (kv %zu, activations %zu, scratch %zu)\n",
           ram.total, ram.kv_cache, ram.activations, ram.scratch);
    FLM_CHECK(ram.total < 128 * 1024); /* fits a 256 KB-RAM part with room to spare */

    static _Alignas(16) uint8_t mem[160 * 1024];
    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    flm_transformer_t tf;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &qm.model, 256, &a), FLM_OK);
    FLM_CHECK_EQ(flm_arena_used(&a), ram.total);

    /* exhaustion is an error that names the shortfall */
    flm_arena_init(&a, mem, ram.total - 100);
    FLM_CHECK_EQ(flm_transformer_init(&tf, &qm.model, 256, &a), FLM_ERR_NOMEM);
    FLM_CHECK_EQ(a.shortfall, 100);
    FLM_CHECK_EQ(flm_arena_used(&a), 0);

    /* bad arguments */
    flm_arena_init(&a, mem, sizeof mem);
    FLM_CHECK_EQ(flm_transformer_init(&tf, &qm.model, 0, &a), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_transformer_init(&tf, &qm.model, 513, &a), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_transformer_init(&tf, &qm.model, 8, &a), FLM_OK);
    const int32_t *logits = NULL;
    FLM_CHECK_EQ(flm_transformer_forward(&tf, 1, 8, &logits), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_transformer_forward(&tf, 512, 0, &logits), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_transformer_forward(&tf, 1, 0, &logits), FLM_OK);
    FLM_CHECK(logits != NULL);
    flm_transformer_deinit(&tf);
    FLM_CHECK_EQ(flm_transformer_forward(&tf, 1, 0, &logits), FLM_ERR_ARG);

    /* a corrupt scale is refused at init */
    ((int32_t *)qm.model.layers[2].w2.s)[5] = INT32_MAX;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &qm.model, 8, &a), FLM_ERR_ARG);
    flm_model_config_t bad = qm.model.cfg;
    bad.n_kv_heads = 3;
    FLM_CHECK_EQ(flm_transformer_ram(&bad, 8, &ram), FLM_ERR_ARG);
    bad = qm.model.cfg;
    bad.n_layers = 0xFFFFFFFFu;
    FLM_CHECK_EQ(flm_transformer_ram(&bad, 8, &ram), FLM_ERR_ARG);
    flm_ref_quant_free(&qm);
    flm_ref_free(&ref);
}

static void logits_vs_float(bool deq)
{
    flm_ref_t ref;
    flm_ref_quant_t qm;
    if (!load(&ref, &qm))
        FLM_SKIP("no ../shared/models/stories260K.bin");
    /* deq: the float model gets the int8 weights and an int8-rounded KV
     * cache, so what remains is the integer arithmetic's own error */
    if (deq) {
        flm_ref_apply_quant(&ref, &qm);
        ref.kv_int8 = 1;
    }

    enum { N = 200 };
    static _Alignas(16) uint8_t mem[160 * 1024];
    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    flm_transformer_t tf;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &qm.model, N, &a), FLM_OK);
    /* teacher-forced on the float model's own greedy text from BOS */
    uint32_t token = 1, agree = 0;
    double max_err = 0, sum_err = 0, max_logit = 0;
    for (uint32_t pos = 0; pos < N; pos++) {
        const float *fl = flm_ref_forward(&ref, (int)token, (int)pos);
        const int32_t *il;
        FLM_CHECK_EQ(flm_transformer_forward(&tf, token, pos, &il), FLM_OK);
        uint32_t fbest = 0, ibest = 0;
        for (uint32_t i = 0; i < 512; i++) {
            double e = fabs(il[i] / 65536.0 - fl[i]);
            max_err = fmax(max_err, e);
            max_logit = fmax(max_logit, fabs(fl[i]));
            sum_err += e;
            if (fl[i] > fl[fbest]) fbest = i;
            if (il[i] > il[ibest]) ibest = i;
        }
        agree += fbest == ibest;
        token = fbest;
    }
    double mean_err = sum_err / (N * 512.0);
    printf("    vs %s: %d positions: logit abs error max %.4f mean %.4f (|logit| up to %.1f), argmax agreement %u/%d\n",
           deq ? "float with the int8 weights and KV rounding" : "float", N, max_err, mean_err, max_logit, agree, N);
    /* measured: vs float 0.12 mean, 1.1 max, 196/200; vs same weights and
     * cache rounding 0.024 mean, 0.47 max, 199/200 */
    FLM_CHECK(mean_err < (deq ? 0.04 : 0.2));
    FLM_CHECK(max_err < (deq ? 0.8 : 2.0));
    FLM_CHECK(agree >= (deq ? N * 98 / 100 : N * 95 / 100));
    flm_ref_quant_free(&qm);
    flm_ref_free(&ref);
}

FLM_TEST(transformer_logits_vs_float)
{
    logits_vs_float(false);
}

FLM_TEST(transformer_logits_vs_float_same_weights)
{
    logits_vs_float(true);
}
