/* The converter and loader on the real llama2.c files in ../shared/
 * (skipped when absent). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/model/model.h"
#include "core/infer/tokenizer.h"
#include "tests/harness/harness.h"
#include "tests/fixtures/model_synth.h"
#include "tests/fixtures/tok_ref.h"
#include "tools/cli/convert.h"

/* Convert checkpoint + tokenizer in memory; NULL (and a SKIP) if absent. */
static uint8_t *convert(const char *ckpt, const char *tokfile, size_t *len, char *err, size_t errlen)
{
    const char *cp = flm_test_shared(ckpt);
    if (!cp)
        return NULL;
    flm_fmodel_t fm;
    flm_ftok_t tok;
    uint8_t *img = NULL;
    if (flm_fmodel_load(&fm, cp, err, errlen))
        return NULL;
    const char *tp = flm_test_shared(tokfile);
    if (tp && flm_ftok_load(&tok, tp, fm.vocab_size, err, errlen) == 0) {
        if (flm_image_build(&fm, &tok, 32, NULL, &img, len, err, errlen))
            img = NULL;
        flm_ftok_free(&tok);
    }
    flm_fmodel_free(&fm);
    return img;
}

FLM_TEST(model_shared_float_and_q80_checkpoints_agree)
{
    /* flm_test_shared's result lives until its next call: keep copies */
    char f32[1024], q80[1024];
    const char *p = flm_test_shared("models/stories260K.bin");
    if (!p)
        FLM_SKIP("../shared/models/stories260K.bin not found");
    snprintf(f32, sizeof f32, "%s", p);
    if (!(p = flm_test_shared("models/stories260K_q80.bin")))
        FLM_SKIP("../shared/models/stories260K_q80.bin not found");
    snprintf(q80, sizeof q80, "%s", p);
    char err[256];
    flm_fmodel_t a, b;
    FLM_CHECK_MSG(flm_fmodel_load(&a, f32, err, sizeof err) == 0, "%s", err);
    FLM_CHECK_MSG(flm_fmodel_load(&b, q80, err, sizeof err) == 0, "%s", err);
    FLM_CHECK_EQ(a.dim, 64);
    FLM_CHECK_EQ(a.hidden_dim, 172);
    FLM_CHECK_EQ(a.n_layers, 5);
    FLM_CHECK_EQ(a.n_kv_heads, 4);
    FLM_CHECK(a.shared_classifier && b.shared_classifier);
    FLM_CHECK(strstr(a.source, "legacy") && strstr(b.source, "ak42 v2"));
    /* Same tensors in the same places: dequantized Q8_0 within 0.0075
     * (half a quantization step; measured 0.00703), norms exact. */
    const float *xa[] = { a.tok_embedding, a.wq, a.wk, a.wv, a.wo, a.w1, a.w2, a.w3, a.rms_att, a.rms_final };
    const float *xb[] = { b.tok_embedding, b.wq, b.wk, b.wv, b.wo, b.w1, b.w2, b.w3, b.rms_att, b.rms_final };
    size_t n[] = { 512 * 64, 5 * 64 * 64, 5 * 32 * 64, 5 * 32 * 64, 5 * 64 * 64, 5 * 172 * 64, 5 * 172 * 64,
                   5 * 172 * 64, 5 * 64, 64 };
    for (size_t t = 0; t < sizeof n / sizeof n[0]; t++) {
        double worst = 0;
        for (size_t i = 0; i < n[t]; i++)
            worst = fmax(worst, fabs((double)xa[t][i] - xb[t][i]));
        FLM_CHECK_MSG(worst < (t < 8 ? 0.0075 : 1e-30), "tensor %zu differs by %g", t, worst);
    }
    flm_fmodel_free(&a);
    flm_fmodel_free(&b);
}

FLM_TEST(model_shared_stories260K_converts_and_opens)
{
    static const char *ckpts[] = { "models/stories260K.bin", "models/stories260K_q80.bin" };
    for (size_t k = 0; k < 2; k++) {
        char err[256] = "";
        size_t len;
        uint8_t *img = convert(ckpts[k], "models/tok512.bin", &len, err, sizeof err);
        if (!img && !err[0])
            FLM_SKIP("../shared/models not found");
        FLM_CHECK_MSG(img != NULL, "%s: %s", ckpts[k], err);
        flm_model_t m;
        flm_err_t e = flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL);
        FLM_CHECK_MSG(e == FLM_OK, "%s: %s", flm_strerror(e), m.detail);
        FLM_CHECK_EQ(m.cfg.vocab_size, 512);
        FLM_CHECK_EQ(m.cfg.seq_len, 512);
        FLM_CHECK_EQ(m.cfg.head_dim, 8);
        FLM_CHECK(m.cfg.shared_classifier);
        FLM_CHECK_EQ(m.layers[4].w2.ngroups, 6); /* 172 = 5 * 32 + 12 */
        /* Binary search over `sorted` finds every token by its bytes. */
        const flm_vocab_t *v = &m.vocab;
        for (uint32_t id = 0; id < v->vocab_size; id++) {
            const uint8_t *s = v->bytes + v->offsets[id];
            uint32_t sl = v->offsets[id + 1] - v->offsets[id], lo = 0, hi = v->vocab_size;
            while (lo < hi) {
                uint32_t mid = (lo + hi) / 2, t = v->sorted[mid];
                uint32_t tl = v->offsets[t + 1] - v->offsets[t];
                int c = memcmp(v->bytes + v->offsets[t], s, tl < sl ? tl : sl);
                if (c == 0)
                    c = tl < sl ? -1 : tl > sl ? 1 : t < id ? -1 : t > id;
                if (c < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            FLM_CHECK_MSG(lo < v->vocab_size && v->sorted[lo] == id, "token %u not found", id);
        }
        free(img);
    }
}

/* Scores become int32 keys that compare like the float scores. */
FLM_TEST(model_shared_score_keys_keep_order)
{
    char err[256] = "";
    size_t len;
    uint8_t *img = convert("models/stories260K.bin", "models/tok512.bin", &len, err, sizeof err);
    if (!img && !err[0])
        FLM_SKIP("../shared/models not found");
    FLM_CHECK_MSG(img != NULL, "%s", err);
    flm_ftok_t tok;
    FLM_CHECK(flm_ftok_load(&tok, flm_test_shared("models/tok512.bin"), 512, err, sizeof err) == 0);
    flm_model_t m;
    FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_HEADER), FLM_OK);
    int neg = 0;
    for (uint32_t i = 0; i < 512; i++) {
        neg += tok.scores[i] < 0;
        for (uint32_t j = i + 1; j < 512; j += 7) {
            float a = tok.scores[i], b = tok.scores[j];
            int32_t ka = m.vocab.scores[i], kb = m.vocab.scores[j];
            FLM_CHECK_MSG((a < b) == (ka < kb) && (a == b) == (ka == kb), "tokens %u, %u", i, j);
        }
    }
    FLM_CHECK(neg > 100); /* llama2.c scores are mostly negative: the interesting case */
    flm_ftok_free(&tok);
    free(img);
}

/* The 32,000-token Llama 2 tokenizer, on a synthetic model of that vocab. */
FLM_TEST(model_shared_large_tokenizer)
{
    const char *tp = flm_test_shared("models/tokenizer.bin");
    if (!tp)
        FLM_SKIP("../shared/models/tokenizer.bin not found");
    char path[1024], err[256];
    snprintf(path, sizeof path, "%s", tp);
    flm_synth_t s = { 8, 16, 1, 2, 2, 32000, 16, true, 32, 7, path };
    size_t len;
    uint8_t *img = flm_synth_image(&s, &len);
    FLM_CHECK(img != NULL);
    flm_model_t m;
    flm_err_t e = flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL);
    FLM_CHECK_MSG(e == FLM_OK, "%s: %s", flm_strerror(e), m.detail);
    FLM_CHECK_EQ(m.vocab.vocab_size, 32000);
    FLM_CHECK(m.vocab.max_token_len >= 16 && m.vocab.max_token_len <= 64);
    FLM_CHECK(memcmp(m.vocab.bytes + m.vocab.offsets[1], "\n<s>\n", 5) == 0);
    /* A tokenizer with a different vocabulary size is refused clearly. */
    flm_ftok_t wrong;
    FLM_CHECK(flm_ftok_load(&wrong, path, 512, err, sizeof err) != 0);
    FLM_CHECK(strstr(err, "left after") != NULL);
    free(img);
}

/* Another real checkpoint with a different shape (hidden 192, seq 256). */
FLM_TEST(model_shared_other_checkpoint_shapes)
{
    char err[256] = "";
    size_t len;
    uint8_t *img = convert("models/llama2xs_dim64_h192_notok.bin", "models/tok512.bin", &len, err, sizeof err);
    if (!img && !err[0])
        FLM_SKIP("../shared/models/llama2xs_dim64_h192_notok.bin not found");
    FLM_CHECK_MSG(img != NULL, "%s", err);
    flm_model_t m;
    flm_err_t e = flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL);
    FLM_CHECK_MSG(e == FLM_OK, "%s: %s", flm_strerror(e), m.detail);
    FLM_CHECK_EQ(m.cfg.hidden_dim, 192);
    FLM_CHECK_EQ(m.cfg.seq_len, 256);
    FLM_CHECK_EQ(m.layers[0].w2.ngroups, 6);
    free(img);
}

/* The image's vocabulary drives the tokenizer module exactly as llama2.c's
 * own encode does (tests/fixtures/tok_ref.c), on both tokenizers. */
FLM_TEST(model_shared_vocab_feeds_tokenizer)
{
    static const struct { const char *file; uint32_t n; } toks[] = {
        { "models/tok512.bin", 512 }, { "models/tokenizer.bin", 32000 } };
    static const char *texts[] = {
        "Once upon a time, there was a little girl named Lily.",
        "  leading spaces, tabs\tand\nnewlines; UTF-8: caf\xc3\xa9 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\xa6\x99",
        "",
        "12345 + 678 = 7023?!",
    };
    for (size_t k = 0; k < 2; k++) {
        const char *tp = flm_test_shared(toks[k].file);
        if (!tp)
            FLM_SKIP("../shared/models tokenizers not found");
        char path[1024];
        snprintf(path, sizeof path, "%s", tp);
        flm_synth_t s = { 8, 16, 1, 2, 2, toks[k].n, 16, true, 32, 3, path };
        size_t len;
        uint8_t *img = flm_synth_image(&s, &len);
        FLM_CHECK(img != NULL);
        flm_model_t m;
        FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);

        flm_test_tokfile_t ref;
        FLM_CHECK(flm_test_tokfile_load(&ref, path, toks[k].n));
        flm_tokenizer_t t;
        FLM_CHECK_EQ(flm_tokenizer_init(&t, &m.vocab), FLM_OK);
        for (uint32_t i = 0; i < toks[k].n; i++)
            FLM_CHECK_MSG(m.vocab.sorted[i] == ref.vocab.sorted[i], "%s: sorted[%u]", toks[k].file, i);
        for (size_t j = 0; j < sizeof texts / sizeof texts[0]; j++) {
            size_t tl = strlen(texts[j]), n = 0;
            int *want = malloc((tl + 3) * sizeof *want);
            uint32_t *got = malloc((tl + 3) * sizeof *got);
            void *scratch = malloc(flm_tokenizer_scratch_bytes(tl));
            int nwant = flm_test_ref_encode(&ref, texts[j], true, false, want);
            FLM_CHECK_EQ(flm_tokenizer_encode(&t, (const uint8_t *)texts[j], tl, true, false, got, tl + 3,
                                              &n, scratch), FLM_OK);
            bool same = n == (size_t)nwant;
            for (size_t i = 0; same && i < n; i++)
                same = got[i] == (uint32_t)want[i];
            free(want);
            free(got);
            free(scratch);
            FLM_CHECK_MSG(same, "%s: encode differs from llama2.c on text %zu", toks[k].file, j);
        }
        flm_test_tokfile_free(&ref);
        free(img);
    }
}
