/* The byte-level BPE tokenizer (core/infer/tokenizer.c, FLM_TOK_KIND_BPE)
 * against the GPT-2 reference encoder of tests/fixtures/bpe_ref.c, on a
 * vocabulary and merges the test learns itself, carried the whole way a
 * user's model goes: a GGUF file (tokenizer.ggml.model "gpt2", tokens and
 * merges in GPT-2's byte alphabet), `convert`, the image, the loader, the
 * tokenizer. No ../shared needed (its TinyStories text is used when there). */
#include <stdlib.h>
#include <string.h>

#include "core/infer/engine.h"
#include "core/infer/tokenizer.h"
#include "core/infer/unicode_class.h"
#include "core/model/model.h"
#include "core/model/model_format.h"
#include "tests/fixtures/bpe_ref.h"
#include "tests/fixtures/gguf_write.h"
#include "tests/harness/harness.h"
#include "tools/cli/convert.h"

#if FLM_CFG_TOKENIZER_BPE

/* English with contractions, numbers, punctuation and white space of every
 * kind, and the non-ASCII ranges the reference classifies. */
static const char *const builtin[] = {
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.",
    "\"I don't know,\" said Tom. \"It's big, and we'll see what they've got. I'm sure you'd like it!\"",
    "They counted 1, 2, 3... up to 100 and then 2024 + 17 = 2041; 3.14159 is pi.",
    "  leading spaces,\ttabs\tand\nnew\n\nlines;   three spaces   before and after   ",
    "UPPER case and MiXeD 'quotes' and 'S 'T: O'Neil's dog's bone. ''' --- *** ###",
    "caf\xc3\xa9 na\xc3\xafve \xc3\x9c" "ber stra\xc3\x9f" "e \xce\xb1\xce\xb2\xce\xb3 \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xe4\xb8\xad\xe6\x96\x87 \xe3\x81\x82\xe3\x81\x84",
    "\xc2\xbd cup, x\xc2\xb2 + y\xc2\xb3, \xd9\xa3\xd9\xa4 and \xef\xbc\x91\xef\xbc\x92, \xe2\x85\xa0\xe2\x85\xa1 \xe2\x82\xac" "5 \xc2\xa7 3\xc2\xb0",
    "no\xc2\xa0" "break \xe3\x80\x80wide\xe2\x80\x83" "em \xe2\x80\x94 dash \xe2\x80\x9cquoted\xe2\x80\x9d it\xe2\x80\x99s \xf0\x9f\x98\x80!",
    "The cat sat on the mat. The dog ran to the park. The bird flew over the tree, and the sun was warm.",
};

typedef struct {
    flm_bpe_vocab_t v;
    uint8_t *img;
    flm_model_t m;
    flm_tokenizer_t t;
} bpe_setup_t;

/* The training text: ../shared's TinyStories head when present, the
 * built-in lines always. */
static uint8_t *training_text(size_t *len)
{
    size_t cap = 64 * 1024, n = 0;
    uint8_t *t = malloc(cap + 4096);
    const char *p = flm_test_shared("data/tinystories_train_head_197k.txt");
    FILE *f = p ? fopen(p, "rb") : NULL;
    if (f) {
        n = fread(t, 1, cap - 8192, f);
        fclose(f);
    }
    for (int r = 0; r < 3; r++)
        for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
            size_t l = strlen(builtin[i]);
            if (n + l + 1 < cap) {
                memcpy(t + n, builtin[i], l);
                n += l;
                t[n++] = '\n';
            }
        }
    *len = n;
    return t;
}

static bool setup(bpe_setup_t *s, bool smollm, size_t merges)
{
    memset(s, 0, sizeof *s);
    size_t tl;
    uint8_t *text = training_text(&tl);
    bool ok = flm_bpe_train(&s->v, text, tl, merges, smollm);
    free(text);
    if (!ok)
        return false;
    flm_gw_llama_t g = { 0 };
    g.dim = 16;
    g.hidden_dim = 32;
    g.n_layers = 1;
    g.n_heads = 2;
    g.n_kv_heads = 1;
    g.seq_len = 64;
    g.rope_theta = 100000.0f;
    g.tied = 1;
    g.seed = 3;
    g.bpe_tokens = (const char *const *)s->v.tokens;
    g.n_bpe_tokens = s->v.n_tokens;
    g.bpe_merges = (const char *const *)s->v.merges;
    g.n_bpe_merges = s->v.n_merges;
    g.bpe_pre = smollm ? "smollm" : "gpt-2";
    size_t len;
    uint8_t *f = flm_gw_llama(&g, &len);
    flm_fmodel_t fm;
    flm_ftok_t tok;
    char err[512];
    ok = flm_gguf_read(&fm, &tok, f, len, NULL, err, sizeof err) == 0;
    free(f);
    if (!ok) {
        printf("    %s\n", err);
        return false;
    }
    size_t ilen;
    ok = flm_image_build(&fm, &tok, 16, NULL, &s->img, &ilen, err, sizeof err) == 0;
    flm_fmodel_free(&fm);
    flm_ftok_free(&tok);
    if (!ok) {
        printf("    %s\n", err);
        return false;
    }
    return flm_model_open(&s->m, s->img, ilen, FLM_MODEL_VERIFY_FULL) == FLM_OK &&
           flm_tokenizer_init(&s->t, &s->m.vocab) == FLM_OK;
}

static void teardown(bpe_setup_t *s)
{
    free(s->img);
    flm_bpe_free(&s->v);
}

/* encode (no BOS) == the reference's ids, which are the trainer's ids:
 * the GGUF route keeps token ids */
static bool same_as_reference(const bpe_setup_t *s, const uint8_t *text, size_t len)
{
    uint32_t *want = malloc((len + 3) * sizeof *want), *got = malloc((len + 3) * sizeof *got);
    void *scratch = malloc(flm_tokenizer_scratch_bytes(len));
    size_t nw = flm_bpe_ref_encode(&s->v, text, len, want), ng = 0;
    bool ok = flm_tokenizer_encode(&s->t, text, len, false, false, got, len + 3, &ng, scratch) == FLM_OK &&
              ng == nw && (nw == 0 || memcmp(got, want, nw * sizeof *got) == 0);
    if (!ok) {
        size_t i = 0;
        while (i < ng && i < nw && got[i] == want[i])
            i++;
        printf("    differs at token %zu of %zu/%zu: got %u, reference %u, in '%.*s'\n", i, ng, nw,
               i < ng ? got[i] : 0, i < nw ? want[i] : 0, (int)(len < 80 ? len : 80), (const char *)text);
    }
    free(want);
    free(got);
    free(scratch);
    return ok;
}

/* The generated class table agrees with the reference's hand-written
 * ranges on every codepoint of them (and on all of ASCII). */
FLM_TEST(tokenizer_bpe_unicode_classes)
{
    static const uint32_t ranges[][2] = { { 0, 0x2C1 }, { 0x391, 0x3A1 }, { 0x3A3, 0x3A9 }, { 0x3B1, 0x3C9 },
                                          { 0x410, 0x44F }, { 0x660, 0x669 }, { 0x2003, 0x2003 },
                                          { 0x2014, 0x2014 }, { 0x2019, 0x2019 }, { 0x201C, 0x201C },
                                          { 0x20AC, 0x20AC }, { 0x2160, 0x2182 }, { 0x3000, 0x3000 },
                                          { 0x3041, 0x3096 }, { 0x4E00, 0x9FFF }, { 0xFF10, 0xFF19 },
                                          { 0x1F600, 0x1F600 } };
    unsigned n = 0;
    for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
        for (uint32_t cp = ranges[r][0]; cp <= ranges[r][1]; cp++) {
            FLM_CHECK_MSG((int)flm_unicode_class(cp) == flm_bpe_ref_class(cp), "U+%04X: %u vs %d", cp,
                          flm_unicode_class(cp), flm_bpe_ref_class(cp));
            n++;
        }
    /* beyond the ranges: a few known ones */
    FLM_CHECK_EQ(flm_unicode_class(0x1F600), FLM_UC_OTHER); /* emoji */
    FLM_CHECK_EQ(flm_unicode_class(0x10FFFF), FLM_UC_OTHER);
    FLM_CHECK_EQ(flm_unicode_class(0x1D400), FLM_UC_LETTER); /* mathematical bold A */
    FLM_CHECK_EQ(flm_unicode_class(0x1D7CE), FLM_UC_NUMBER); /* mathematical bold 0 */
    printf("    %u codepoints agree\n", n);
}

static void check_lines(const bpe_setup_t *s, unsigned *lines)
{
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        FLM_CHECK(same_as_reference(s, (const uint8_t *)builtin[i], strlen(builtin[i])));
        (*lines)++;
    }
    const char *p = flm_test_shared("data/tinystories_train_head_197k.txt");
    FILE *f = p ? fopen(p, "rb") : NULL;
    static char line[8192];
    while (f && fgets(line, sizeof line, f) && *lines < 400) {
        FLM_CHECK(same_as_reference(s, (const uint8_t *)line, strlen(line)));
        (*lines)++;
    }
    if (f)
        fclose(f);
}

FLM_TEST(tokenizer_bpe_matches_gpt2_reference)
{
    for (int smollm = 0; smollm < 2; smollm++) {
        static bpe_setup_t s;
        FLM_CHECK(setup(&s, smollm != 0, 400));
        FLM_CHECK_EQ(s.m.vocab.kind, FLM_TOK_KIND_BPE);
        FLM_CHECK_EQ(s.m.vocab.pre, smollm ? FLM_TOK_PRE_SMOLLM : FLM_TOK_PRE_GPT2);
        unsigned lines = 0;
        check_lines(&s, &lines);
        /* the edges: empty, one byte, invalid UTF-8, a run of spaces at the end */
        static const char *const edges[] = { "", "a", " ", "\xff\xfe", "\xc3", "a\xe2\x82", "x   ", "'", "''s",
                                             " 1 22 333 4444", "\n\n\n", "end.\n" };
        for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
            FLM_CHECK(same_as_reference(&s, (const uint8_t *)edges[i], strlen(edges[i])));
        printf("    %s: %zu tokens, %zu merges, %u lines + edges encode as the reference does\n",
               smollm ? "smollm" : "gpt-2", s.v.n_tokens, s.v.n_merges, lines);
        teardown(&s);
    }
}

/* Byte-level: any bytes encode, and decode gives them back. */
FLM_TEST(tokenizer_bpe_round_trips_any_bytes)
{
    static bpe_setup_t s;
    FLM_CHECK(setup(&s, false, 200));
    uint32_t rng = 77;
    static uint8_t text[300], back[4096];
    static uint32_t ids[310];
    static uint32_t scratch[2 * 310];
    for (int trial = 0; trial < 300; trial++) {
        size_t len = flm_test_xorshift32(&rng) % 300;
        for (size_t i = 0; i < len; i++) {
            uint32_t r = flm_test_xorshift32(&rng);
            static const uint8_t pool[] = "ab c1'\n\xc3\xa9 ";
            text[i] = trial % 2 ? (uint8_t)r : pool[r % 10];
        }
        size_t n;
        FLM_CHECK_EQ(flm_tokenizer_encode(&s.t, text, len, true, false, ids, 310, &n, scratch), FLM_OK);
        FLM_CHECK(same_as_reference(&s, text, len));
        size_t bl = 0;
        for (size_t i = 1; i < n; i++) {
            const uint8_t *p;
            size_t pl;
            FLM_CHECK_EQ(flm_tokenizer_decode(&s.t, ids[i - 1], ids[i], &p, &pl), FLM_OK);
            memcpy(back + bl, p, pl);
            bl += pl;
        }
        FLM_CHECK(bl == len && memcmp(back, text, len) == 0);
    }
    /* BOS is the vocabulary's <|endoftext|>; the engine runs on it */
    FLM_CHECK_EQ(s.m.vocab.bos_id, (uint32_t)s.v.n_tokens - 1); /* <|endoftext|> */
    flm_engine_config_t cfg = { .ctx_len = 32 };
    size_t need;
    FLM_CHECK_EQ(flm_engine_ram(&s.m, &cfg, &need), FLM_OK);
    uint8_t *mem = malloc(need);
    flm_arena_t a;
    flm_arena_init(&a, mem, need);
    flm_engine_t e;
    FLM_CHECK_EQ(flm_engine_init(&e, &s.m, &cfg, &a), FLM_OK);
    FLM_CHECK_EQ(flm_engine_start(&e, (const uint8_t *)"Once upon a time", 16, 24), FLM_OK);
    flm_engine_token_t t;
    int steps = 0;
    while (flm_engine_step(&e, &t) == FLM_OK && t.status == FLM_ENGINE_RUNNING)
        steps++;
    FLM_CHECK(steps >= 3);
    flm_engine_deinit(&e);
    free(mem);
    teardown(&s);
}

#else
FLM_TEST(tokenizer_bpe_unicode_classes)
{
    FLM_SKIP("built with FLM_CFG_TOKENIZER_BPE=0");
}
#endif
