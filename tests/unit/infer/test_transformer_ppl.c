/* Accuracy of the integer engine on real text: perplexity on a slice of
 * ../shared/data/tinystories_train_head_197k.txt against the float32
 * reference (protocol: ../shared/reference/README.md), and greedy
 * continuations of the reference prompts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "core/infer/tokenizer.h"
#include "core/infer/transformer.h"
#include "tests/harness/harness.h"
#include "tests/fixtures/engine_ref.h"
#include "tests/fixtures/tok_ref.h"

/* Scored tokens: a slice that runs in a second or two. FLM_PPL_TOKENS=N
 * overrides it (0: the whole file, the README protocol's full figure);
 * FLM_PPL_TEXT=path scores another text (e.g. the default model's held-out
 * text, models/fieldtales-800k.md). */
#define SLICE_TOKENS 3000

static _Alignas(16) uint8_t arena_mem[512 * 1024];

typedef struct {
    flm_test_engine_ref_t e;
    flm_transformer_t tr;
    flm_arena_t arena;
} setup_t;

static bool setup(setup_t *s, uint32_t ctx)
{
    if (!flm_test_engine_ref_open(&s->e, (int)ctx, getenv("QW") != NULL))
        return false;
    /* knobs for measuring design choices on the float side (NUMERICS.md):
     * QW=1 int8 weights, KV8=n int8 cache with a scale per n, ACT=8|16 */
    s->e.ref.kv_int8 = getenv("KV8") ? atoi(getenv("KV8")) : 0;
    s->e.ref.act_bits = getenv("ACT") ? atoi(getenv("ACT")) : 0;
    flm_arena_init(&s->arena, arena_mem, sizeof arena_mem);
    return flm_transformer_init(&s->tr, &s->e.st.model, ctx, &s->arena) == FLM_OK;
}

static void teardown(setup_t *s)
{
    flm_test_engine_ref_close(&s->e);
}

/* ln softmax(logits)[target] in double */
static double float_nll(const float *l, int n, int target)
{
    double max = l[0], sum = 0;
    for (int i = 1; i < n; i++)
        max = fmax(max, l[i]);
    for (int i = 0; i < n; i++)
        sum += exp(l[i] - max);
    return log(sum) + max - l[target];
}

FLM_TEST(transformer_ppl_slice_vs_float)
{
    static setup_t s;
    if (!setup(&s, 512))
        FLM_SKIP("no ../shared/models/stories260K.bin or tok512.bin");
    const uint32_t vocab = s.e.st.model.cfg.vocab_size, seq_len = s.e.st.model.cfg.seq_len;
    const char *dp = getenv("FLM_PPL_TEXT") ? getenv("FLM_PPL_TEXT")
                                            : flm_test_shared("data/tinystories_train_head_197k.txt");
    size_t len;
    char *text = dp ? flm_test_read_file(dp, &len) : NULL;
    if (!text) {
        teardown(&s);
        FLM_SKIP("no ../shared/data/tinystories_train_head_197k.txt");
    }
    uint32_t *ids = malloc((len + 3) * sizeof *ids);
    void *scratch = malloc(flm_tokenizer_scratch_bytes(len));
    double fnll = 0, inll = 0;
    size_t scored = 0, limit = SLICE_TOKENS;
    if (getenv("FLM_PPL_TOKENS"))
        limit = strtoul(getenv("FLM_PPL_TOKENS"), NULL, 10);
    if (limit == 0)
        limit = SIZE_MAX;
    for (char *line = text; *line && scored < limit;) {
        char *end = strchr(line, '\n');
        size_t ll = end ? (size_t)(end - line) : strlen(line);
        size_t n = 0;
        if (ll > 0) {
            FLM_CHECK_EQ(flm_tokenizer_encode(&s.e.tok, (const uint8_t *)line, ll, true, false, ids,
                                              len + 3, &n, scratch), FLM_OK);
            size_t npos = n < seq_len ? n : seq_len;
            for (size_t p = 0; p + 1 < npos; p++) {
                const float *fl = flm_ref_forward(&s.e.ref, (int)ids[p], (int)p);
                const int32_t *il;
                FLM_CHECK_EQ(flm_transformer_forward(&s.tr, ids[p], (uint32_t)p, &il), FLM_OK);
                int32_t lse;
                FLM_CHECK_EQ(flm_logsumexp_q(il, vocab, FLM_LOGIT_SHIFT, &lse), FLM_OK);
                fnll += float_nll(fl, (int)vocab, (int)ids[p + 1]);
                inll += (lse - il[ids[p + 1]]) / 65536.0;
                scored++;
            }
        }
        line = end ? end + 1 : line + ll;
    }
    double fppl = exp(fnll / (double)scored), ippl = exp(inll / (double)scored);
    printf("    %zu tokens: float ppl %.4f, integer ppl %.4f (%+.2f%%)\n", scored, fppl, ippl,
           100 * (ippl / fppl - 1));
    FLM_CHECK(ippl <= fppl * 1.01); /* the bar is 2%; measured -0.05% here, +0.45% on the file */
    free(ids);
    free(scratch);
    free(text);
    teardown(&s);
}

#define STEPS 96 /* positions, counting BOS and the prompt (the reference's) */

/* llama2.c's generate loop, greedy: the prompt is forced, then argmax.
 * Writes the decoded text (newlines as spaces) and the generated ids. */
static int generate(setup_t *s, bool integer, const uint32_t *prompt, size_t np, char *out,
                    size_t cap, uint32_t *gen)
{
    size_t olen = 0;
    int ngen = 0;
    uint32_t token = prompt[0];
    for (uint32_t pos = 0; pos < STEPS; pos++) {
        uint32_t next = 0;
        if (integer) {
            const int32_t *il;
            if (flm_transformer_forward(&s->tr, token, pos, &il) != FLM_OK)
                return -1;
            for (uint32_t i = 1; i < s->e.st.model.cfg.vocab_size; i++)
                if (il[i] > il[next]) next = i;
        } else {
            const float *fl = flm_ref_forward(&s->e.ref, (int)token, (int)pos);
            for (uint32_t i = 1; i < s->e.st.model.cfg.vocab_size; i++)
                if (fl[i] > fl[next]) next = i;
        }
        if (pos + 1 < np)
            next = prompt[pos + 1];
        else
            gen[ngen++] = next;
        if (next == 1)
            break;
        const uint8_t *piece;
        size_t plen;
        if (flm_tokenizer_decode(&s->e.tok, token, next, &piece, &plen) != FLM_OK)
            return -1;
        for (size_t i = 0; i < plen && olen + 1 < cap; i++)
            out[olen++] = piece[i] == '\n' ? ' ' : (char)piece[i];
        token = next;
    }
    out[olen] = 0;
    return ngen;
}

FLM_TEST(transformer_greedy_vs_float)
{
    static setup_t s;
    if (!setup(&s, STEPS))
        FLM_SKIP("no ../shared/models/stories260K.bin or tok512.bin");
    const char *rp = flm_test_shared("reference/stories260K.greedy.tsv");
    size_t len;
    char *tsv = rp ? flm_test_read_file(rp, &len) : NULL;
    if (!tsv) {
        teardown(&s);
        FLM_SKIP("no ../shared/reference/stories260K.greedy.tsv");
    }
    static char ftext[4096], itext[4096];
    static uint32_t ids[256], fgen[STEPS], igen[STEPS];
    static uint8_t scratch[FLM_TOKENIZER_SCRATCH_BYTES(250)];
    int prompts = 0, matched10 = 0, same_as_tsv = 0;
    for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        if (!tab || tab - line > 200)
            continue;
        *tab = 0;
        size_t n;
        FLM_CHECK_EQ(flm_tokenizer_encode(&s.e.tok, (const uint8_t *)line, strlen(line), true,
                                          false, ids, 256, &n, scratch), FLM_OK);
        int nf = generate(&s, false, ids, n, ftext, sizeof ftext, fgen);
        int ni = generate(&s, true, ids, n, itext, sizeof itext, igen);
        FLM_CHECK(nf > 0 && ni > 0);
        /* the float path reproduces the reference text byte for byte (the
         * reference ends with run.c's final newline, as a space) */
        size_t fl = strlen(ftext);
        same_as_tsv += strncmp(ftext, tab + 1, fl) == 0 && strspn(tab + 1 + fl, " ") == strlen(tab + 1 + fl);
        int agree = 0;
        while (agree < nf && agree < ni && fgen[agree] == igen[agree])
            agree++;
        matched10 += agree >= 10;
        prompts++;
        printf("    %-32s first %2d generated tokens agree\n", line, agree);
        if (prompts == 1)
            printf("      int: %.150s\n", itext);
    }
    printf("    %d/%d prompts match the float text for >= 10 tokens; float ref == reference tsv on %d/%d\n",
           matched10, prompts, same_as_tsv, prompts);
    FLM_CHECK(prompts >= 6);
    FLM_CHECK_EQ(same_as_tsv, prompts);
    FLM_CHECK(matched10 * 4 >= prompts * 3); /* "most": at least 3 in 4 */
    free(tsv);
    teardown(&s);
}
