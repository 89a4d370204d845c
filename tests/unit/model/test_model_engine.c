/* End to end: a .flm image made by the converter, opened by the loader,
 * run by the integer engine (core/infer/transformer.h), against the float32
 * reference (tools/ref) on stories260K. */
#include <math.h>
#include <stdlib.h>

#include "core/infer/transformer.h"
#include "tests/harness/harness.h"
#include "tools/cli/convert.h"
#include "tools/ref/ref.h"

static void image_vs_float(const char *ckpt)
{
    /* flm_test_shared's result lives until its next call: keep copies */
    char fp[1024], cp[1024], tp[1024];
    const char *names[] = { "models/stories260K.bin", ckpt, "models/tok512.bin" };
    char *dst[] = { fp, cp, tp };
    for (int i = 0; i < 3; i++) {
        const char *p = flm_test_shared(names[i]);
        if (!p)
            FLM_SKIP("../shared/models not found");
        snprintf(dst[i], sizeof fp, "%s", p);
    }
    char err[256];
    flm_fmodel_t fm;
    flm_ftok_t tok;
    uint8_t *img = NULL;
    size_t len = 0;
    FLM_CHECK_MSG(flm_fmodel_load(&fm, cp, err, sizeof err) == 0, "%s", err);
    FLM_CHECK_MSG(flm_ftok_load(&tok, tp, fm.vocab_size, err, sizeof err) == 0, "%s", err);
    FLM_CHECK_MSG(flm_image_build(&fm, &tok, 32, NULL, &img, &len, err, sizeof err) == 0, "%s", err);
    flm_fmodel_free(&fm);
    flm_ftok_free(&tok);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);

    enum { N = 200 };
    flm_fmodel_t ffm;
    flm_ref_t ref;
    FLM_CHECK_MSG(flm_fmodel_load(&ffm, fp, err, sizeof err) == 0, "%s", err);
    FLM_CHECK(flm_ref_init(&ref, &ffm, N) == 0);
    static _Alignas(16) uint8_t mem[160 * 1024];
    flm_arena_t a;
    flm_arena_init(&a, mem, sizeof mem);
    flm_transformer_t tf;
    FLM_CHECK_EQ(flm_transformer_init(&tf, &m, N, &a), FLM_OK);
    /* teacher-forced on the float model's greedy text from BOS */
    uint32_t token = 1, agree = 0;
    double max_err = 0, sum_err = 0;
    for (uint32_t pos = 0; pos < N; pos++) {
        const float *fl = flm_ref_forward(&ref, (int)token, (int)pos);
        const int32_t *il;
        FLM_CHECK_EQ(flm_transformer_forward(&tf, token, pos, &il), FLM_OK);
        uint32_t fbest = 0, ibest = 0;
        for (uint32_t i = 0; i < 512; i++) {
            double e = fabs(il[i] / 65536.0 - fl[i]);
            max_err = fmax(max_err, e);
            sum_err += e;
            fbest = fl[i] > fl[fbest] ? i : fbest;
            ibest = il[i] > il[ibest] ? i : ibest;
        }
        agree += fbest == ibest;
        token = fbest;
    }
    double mean_err = sum_err / (N * 512.0);
    printf("    %s as .flm vs float: logit abs error max %.4f mean %.4f, argmax agreement %u/%d\n", ckpt,
           max_err, mean_err, agree, N);
    FLM_CHECK(mean_err < 0.25);
    FLM_CHECK(max_err < 2.5);
    FLM_CHECK(agree >= N * 93 / 100);
    flm_transformer_deinit(&tf);
    flm_ref_free(&ref);
    flm_fmodel_free(&ffm);
    free(img);
}

FLM_TEST(model_engine_runs_converted_float_checkpoint)
{
    image_vs_float("models/stories260K.bin");
}

FLM_TEST(model_engine_runs_converted_q80_checkpoint)
{
    image_vs_float("models/stories260K_q80.bin");
}
