/* GGUF import on files written by an independent producer: ../shared's
 * models/gguf/ (llama.cpp's llama2c converter and llama-quantize), against
 * the llama2.c route of the same weights and against llama.cpp's own greedy
 * text (skipped when ../shared is absent). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/infer/engine.h"
#include "core/model/model.h"
#include "core/model/model_format.h"
#include "tests/harness/harness.h"
#include "tools/cli/convert.h"
#include "tools/ref/ref.h"

static bool shared_path(const char *rel, char *out, size_t cap)
{
    const char *p = flm_test_shared(rel);
    if (!p)
        return false;
    snprintf(out, cap, "%s", p);
    return true;
}

/* The GGUF route and the llama2.c route of the same float weights give the
 * same image: the weights, config and vocabulary agree exactly. The GGUF
 * files differ from the checkpoints only where llama.cpp's converter
 * chose to: a 128-token context and "<s>" / "</s>" for llama2.c's
 * "\n<s>\n" / "\n</s>\n" texts of BOS and EOS (never encoded or printed),
 * so those are taken from the checkpoint's side before comparing. */
FLM_TEST(model_gguf_and_llama2c_routes_agree)
{
    static const char *pairs[][2] = {
        { "models/gguf/stories260K-f32.gguf", "models/stories260K.bin" },
        { "models/gguf/llama2xs-f32.gguf", "models/llama2xs_dim64_h192_notok.bin" },
    };
    for (size_t k = 0; k < 2; k++) {
        char gp[1024], cp[1024], tp[1024], err[512];
        if (!shared_path(pairs[k][0], gp, sizeof gp) || !shared_path(pairs[k][1], cp, sizeof cp) ||
            !shared_path("models/tok512.bin", tp, sizeof tp))
            FLM_SKIP("../shared/models/gguf not found");
        flm_fmodel_t gm, lm;
        flm_ftok_t gt, lt;
        FLM_CHECK_MSG(flm_gguf_load(&gm, &gt, gp, NULL, err, sizeof err) == 0, "%s: %s", gp, err);
        FLM_CHECK_MSG(flm_fmodel_load(&lm, cp, err, sizeof err) == 0, "%s", err);
        FLM_CHECK_MSG(flm_ftok_load(&lt, tp, lm.vocab_size, err, sizeof err) == 0, "%s", err);
        FLM_CHECK_EQ(gm.seq_len, 128);
        FLM_CHECK(gm.shared_classifier && lm.shared_classifier);
        /* the vocabularies: the same but for the two texts */
        FLM_CHECK_EQ(gt.vocab_size, lt.vocab_size);
        FLM_CHECK(gt.bos_id == 1 && gt.eos_id == 2);
        unsigned differ = 0;
        for (uint32_t i = 0; i < gt.vocab_size; i++) {
            uint32_t a = gt.offsets[i + 1] - gt.offsets[i], b = lt.offsets[i + 1] - lt.offsets[i];
            bool same = a == b && memcmp(gt.bytes + gt.offsets[i], lt.bytes + lt.offsets[i], a) == 0 &&
                        gt.scores[i] == lt.scores[i];
            differ += !same;
            FLM_CHECK_MSG(same || i == 1 || i == 2, "token %u differs", i);
        }
        FLM_CHECK_EQ(differ, 2);
        gm.seq_len = lm.seq_len;
        uint8_t *a, *b;
        size_t alen, blen;
        FLM_CHECK(flm_image_build(&gm, &lt, 32, NULL, &a, &alen, err, sizeof err) == 0);
        FLM_CHECK(flm_image_build(&lm, &lt, 32, NULL, &b, &blen, err, sizeof err) == 0);
        FLM_CHECK_MSG(alen == blen && memcmp(a, b, alen) == 0, "%s: images differ", pairs[k][0]);
        printf("    %s: the same %zu-byte image as %s\n", pairs[k][0], alen, pairs[k][1]);
        free(a);
        free(b);
        flm_fmodel_free(&gm);
        flm_fmodel_free(&lm);
        flm_ftok_free(&gt);
        flm_ftok_free(&lt);
    }
}

/* Q8_0 and Q4_0 blocks reach the image as the same integers and scales:
 * every dequantized weight of the image equals the file's. */
FLM_TEST(model_gguf_blocks_copied_exactly)
{
    static const struct { const char *file; uint32_t bits; } files[] = {
        { "models/gguf/llama2xs-Q8_0.gguf", 8 }, { "models/gguf/llama2xs-Q4_0.gguf", 4 },
        { "models/gguf/llama2xs-Q4_0.gguf", 8 },
    };
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char gp[1024], err[512];
        if (!shared_path(files[k].file, gp, sizeof gp))
            FLM_SKIP("../shared/models/gguf not found");
        flm_fmodel_t fm;
        flm_ftok_t tok;
        FLM_CHECK_MSG(flm_gguf_load(&fm, &tok, gp, NULL, err, sizeof err) == 0, "%s", err);
        flm_build_opts_t o = { 32, files[k].bits, false };
        uint8_t *img;
        size_t len;
        FLM_CHECK_MSG(flm_image_build_with(&fm, &tok, &o, NULL, &img, &len, err, sizeof err) == 0, "%s", err);
        flm_model_t m;
        FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
        const flm_qmat_t *mats[] = { &m.tok_embedding, &m.layers[0].wq, &m.layers[4].w2, &m.classifier };
        const float *src[] = { fm.tok_embedding, fm.wq, fm.w2 + (size_t)4 * 64 * 192, fm.classifier };
        const uint32_t kinds[] = { FLM_TENSOR_TOK_EMBEDDING, FLM_TENSOR_WQ, FLM_TENSOR_W2, FLM_TENSOR_CLASSIFIER };
        for (size_t t = 0; t < 4; t++) {
            const flm_qmat_t *q = mats[t];
            /* exact where the file's blocks fit the image's width (a Q8_0
             * classifier at 4 bits is re-quantized, with its error reported) */
            if (!src[t] || !fm.qsrc[kinds[t]].bits || fm.qsrc[kinds[t]].bits > files[k].bits)
                continue;
            double worst = 0;
            for (uint32_t r = 0; r < q->rows; r++)
                for (uint32_t c = 0; c < q->cols; c++) {
                    int v = q->bits == 8 ? q->q[(size_t)r * q->cols + c]
                                         : ((((uint8_t)q->q[(size_t)r * (q->cols / 2) + c / 2] >> (c % 2 ? 4 : 0)) & 15) ^ 8) - 8;
                    double got = ldexp((double)v * q->s[(size_t)r * q->ngroups + c / q->gs], -q->scale_shift);
                    worst = fmax(worst, fabs(got - (double)src[t][(size_t)r * q->cols + c]));
                }
            FLM_CHECK_MSG(worst == 0, "%s (%u bits) tensor %zu: off by %g", files[k].file, files[k].bits, t, worst);
        }
        printf("    %s as %u-bit: %zu bytes, every weight exact\n", files[k].file, files[k].bits, len);
        free(img);
        flm_fmodel_free(&fm);
        flm_ftok_free(&tok);
    }
}

/* llama.cpp's greedy text for each file (../shared/models/gguf/llama.cpp-greedy.tsv). */
static bool llamacpp_text(const char *file, char *text, size_t cap)
{
    char tp[1024];
    if (!shared_path("models/gguf/llama.cpp-greedy.tsv", tp, sizeof tp))
        return false;
    FILE *f = fopen(tp, "rb");
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *t1 = strchr(line, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        if (!t2)
            continue;
        *t1 = '\0';
        if (strcmp(line, file) != 0)
            continue;
        size_t n = strcspn(t2 + 1, "\r\n");
        snprintf(text, cap, "%.*s", (int)n, t2 + 1);
        found = true;
    }
    fclose(f);
    return found;
}

/* Greedy from "Once upon a time": how many generated tokens keep our text
 * a prefix of llama.cpp's; *total gets how many tokens llama.cpp's
 * generated text is (by our tokenizer). */
static unsigned greedy_agreement(const flm_model_t *m, const char *want, unsigned *total)
{
    static const char prompt[] = "Once upon a time";
    flm_engine_config_t cfg = { .ctx_len = 96 };
    size_t need;
    if (flm_engine_ram(m, &cfg, &need) != FLM_OK)
        return 0;
    uint8_t *mem = malloc(need);
    flm_arena_t a;
    flm_arena_init(&a, mem, need);
    flm_engine_t e;
    unsigned agree = 0;
    if (flm_engine_init(&e, m, &cfg, &a) == FLM_OK &&
        flm_engine_start(&e, (const uint8_t *)prompt, strlen(prompt), 96) == FLM_OK) {
        /* llama.cpp's length in tokens: its text, encoded, less the prompt */
        size_t n_all = 0, n_prompt = 0, wl = strlen(want);
        uint32_t *ids = malloc((wl + 3) * sizeof *ids);
        void *scratch = malloc(flm_tokenizer_scratch_bytes(wl));
        flm_tokenizer_encode(&e.tok, (const uint8_t *)want, wl, true, false, ids, wl + 3, &n_all, scratch);
        flm_tokenizer_encode(&e.tok, (const uint8_t *)prompt, strlen(prompt), true, false, ids, wl + 3, &n_prompt,
                             scratch);
        *total = (unsigned)(n_all - n_prompt);
        free(ids);
        free(scratch);
        char text[4096];
        size_t tl = 0;
        bool same = true;
        flm_engine_token_t t;
        while (same && flm_engine_step(&e, &t) == FLM_OK) {
            if (tl + t.piece_len >= sizeof text)
                break;
            memcpy(text + tl, t.piece, t.piece_len);
            tl += t.piece_len;
            /* a prefix of llama.cpp's text, or running past its end */
            same = tl <= wl && memcmp(text, want, tl) == 0;
            if (same && !t.forced)
                agree++;
            if (t.status != FLM_ENGINE_RUNNING || agree >= *total)
                break;
        }
        flm_engine_deinit(&e);
    }
    free(mem);
    return agree;
}

/* The float32 reference (tools/ref) on the file's own floats, greedy, the
 * same count: what the numerics of float32 give. */
static unsigned float_agreement(const flm_fmodel_t *fm, const flm_model_t *m, const char *want, unsigned total)
{
    static const char text_prompt[] = "Once upon a time";
    uint32_t prompt[32];
    size_t n_prompt = 0;
    flm_tokenizer_t tk;
    static uint32_t scratch[64];
    if (flm_tokenizer_init(&tk, &m->vocab) != FLM_OK ||
        flm_tokenizer_encode(&tk, (const uint8_t *)text_prompt, strlen(text_prompt), true, false, prompt, 32,
                             &n_prompt, scratch) != FLM_OK)
        return 0;
    flm_ref_t ref;
    if (flm_ref_init(&ref, fm, 96) != 0)
        return 0;
    unsigned agree = 0;
    size_t tl = 0, wl = strlen(want);
    char text[4096];
    uint32_t tok = prompt[0];
    for (int pos = 0; pos < 95 && agree < total; pos++) {
        const float *l = flm_ref_forward(&ref, (int)tok, pos);
        uint32_t next = 0;
        for (uint32_t i = 1; i < fm->vocab_size; i++)
            next = l[i] > l[next] ? i : next;
        bool forced = (size_t)pos + 1 < n_prompt;
        if (forced)
            next = prompt[pos + 1];
        const flm_vocab_t *v = &m->vocab;
        const uint8_t *p = v->bytes + v->offsets[next];
        size_t pl = v->offsets[next + 1] - v->offsets[next];
        if (tok == 1 && pl && p[0] == ' ')
            p++, pl--;
        if (pl == 6 && p[0] == '<' && p[1] == '0' && p[2] == 'x')
            break; /* a byte token: not in these stories */
        if (tl + pl > wl || memcmp(want + tl, p, pl) != 0)
            break;
        memcpy(text + tl, p, pl);
        tl += pl;
        agree += !forced;
        tok = next;
    }
    flm_ref_free(&ref);
    return agree;
}

/* Each imported model tells llama.cpp's greedy story for as long as the
 * numerics allow: int8 (the default), int4, and the float32 reference on
 * the same weights for comparison. */
FLM_TEST(model_gguf_greedy_vs_llamacpp)
{
    /* the figures measured (README): int8 48, 48, 21, 22, 14 tokens; the
     * floors leave room for nothing else: the engine is bit-exact */
    static const struct { const char *file; unsigned min8; } files[] = {
        { "stories260K-f32.gguf", 48 }, { "stories260K-f16.gguf", 48 }, { "llama2xs-f32.gguf", 21 },
        { "llama2xs-Q8_0.gguf", 22 },  { "llama2xs-Q4_0.gguf", 14 },
    };
    printf("    %-22s %9s %9s %9s  (generated tokens that agree with llama.cpp's greedy text)\n", "file",
           "int8", "int4", "float32");
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        char rel[128], gp[1024], want[2048], err[512];
        snprintf(rel, sizeof rel, "models/gguf/%s", files[k].file);
        if (!shared_path(rel, gp, sizeof gp) || !llamacpp_text(files[k].file, want, sizeof want))
            FLM_SKIP("../shared/models/gguf not found");
        flm_fmodel_t fm;
        flm_ftok_t tok;
        FLM_CHECK_MSG(flm_gguf_load(&fm, &tok, gp, NULL, err, sizeof err) == 0, "%s", err);
        unsigned agree[2] = { 0, 0 }, total = 0;
        flm_model_t m;
        uint8_t *img8 = NULL;
        size_t len8 = 0;
        for (int b = 0; b < 2; b++) {
            flm_build_opts_t o = { 32, b ? 4u : 8u, false };
            uint8_t *img;
            size_t len;
            FLM_CHECK_MSG(flm_image_build_with(&fm, &tok, &o, NULL, &img, &len, err, sizeof err) == 0, "%s", err);
            FLM_CHECK_EQ(flm_model_open(&m, img, len, FLM_MODEL_VERIFY_FULL), FLM_OK);
            agree[b] = greedy_agreement(&m, want, &total);
            if (b == 0) {
                img8 = img;
                len8 = len;
            } else {
                free(img);
            }
        }
        FLM_CHECK_EQ(flm_model_open(&m, img8, len8, FLM_MODEL_VERIFY_HEADER), FLM_OK);
        unsigned fl = float_agreement(&fm, &m, want, total);
        printf("    %-22s %4u / %-3u %4u / %-3u %4u / %-3u\n", files[k].file, agree[0], total, agree[1], total, fl,
               total);
        FLM_CHECK_MSG(agree[0] >= files[k].min8, "%s: int8 agrees for %u tokens", files[k].file, agree[0]);
        free(img8);
        flm_fmodel_free(&fm);
        flm_ftok_free(&tok);
    }
}
