#define _POSIX_C_SOURCE 200809L
/* fieldlm ppl: perplexity of a model on a text file, with the protocol of
 * ../shared/reference/README.md: each non-empty line is a document,
 * encoded with BOS and the dummy prefix, scored teacher-forced at
 * positions 0 .. min(n, seq_len) - 2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/infer/sampler.h"
#include "core/infer/tokenizer.h"
#include "core/infer/transformer.h"
#include "tools/cli/cli.h"
#include "core/runtime/runtime.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "ppl", "-m MODEL.flm --text FILE [--lines N]",
    "Perplexity of the model on FILE, one document per non-empty line.\n"
    "Prints 'tokens N nll X ppl Y' (X: mean negative log-likelihood in nats).\n",
    NULL,
};

/* -ln p(target) from int32 logits, in double. */
static double nll_of(const int32_t *logits, uint32_t n, uint32_t target)
{
    const double scale = 1.0 / (1 << FLM_LOGIT_SHIFT);
    int32_t max = logits[0];
    for (uint32_t i = 1; i < n; i++)
        max = logits[i] > max ? logits[i] : max;
    double z = 0;
    for (uint32_t i = 0; i < n; i++)
        z += exp((logits[i] - (double)max) * scale);
    return log(z) - (logits[target] - (double)max) * scale;
}

typedef struct {
    const flm_model_t *model;
    flm_transformer_t *tf;
    flm_tokenizer_t *tok;
    uint32_t *ids;
    void *scratch;
    size_t cap;
    double nll;        /* from the logits, in double */
    int64_t nll_q16;   /* sum of the fixed-point confidence (sampler.h) */
    uint64_t tokens;
} ppl_t;

static flm_err_t score_line(ppl_t *s, const char *line, size_t len)
{
    if (len + 3 > s->cap) {
        s->cap = 2 * (len + 3);
        free(s->ids);
        free(s->scratch);
        s->ids = malloc(s->cap * sizeof *s->ids);
        s->scratch = malloc(flm_tokenizer_scratch_bytes(s->cap));
        if (!s->ids || !s->scratch)
            return FLM_ERR_NOMEM;
    }
    size_t n;
    flm_err_t err = flm_tokenizer_encode(s->tok, (const uint8_t *)line, len, true, false,
                                         s->ids, s->cap, &n, s->scratch);
    uint32_t vocab = s->model->cfg.vocab_size, seq = s->model->cfg.seq_len;
    size_t limit = n < seq ? n : seq;
    for (size_t p = 0; !err && p + 1 < limit; p++) {
        const int32_t *logits;
        flm_confidence_t c;
        err = flm_transformer_forward(s->tf, s->ids[p], (uint32_t)p, &logits);
        if (!err)
            err = flm_sampler_confidence(logits, vocab, s->ids[p + 1], &c);
        if (!err) {
            s->nll += nll_of(logits, vocab, s->ids[p + 1]);
            s->nll_q16 -= c.logprob;
            s->tokens++;
        }
    }
    return err;
}

FLM_CLI_COMMAND(ppl, "perplexity of a model on a text file")
{
    const char *model_path = NULL, *text_path = NULL;
    long max_lines = -1;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('m', "model", &model_path, "FILE", "model image (.flm)"),
        FLM_OPT_STR(0, "text", &text_path, "FILE", "UTF-8 text"),
        FLM_OPT_LONG(0, "lines", &max_lines, 1, 0x7FFFFFFF, "N", "only the first N lines of the file"),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (!model_path || !text_path)
        return flm_cli_usage_error("ppl", "needs -m MODEL.flm and --text FILE");

    FILE *f = fopen(text_path, "rb");
    if (!f) {
        fprintf(stderr, "fieldlm ppl: cannot open '%s'\n", text_path);
        return FLM_EXIT_FAIL;
    }
    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .model_path = model_path, .need_model = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm ppl: %s\n", rt.detail);
        fclose(f);
        return FLM_EXIT_FAIL;
    }
    flm_ram_usage_t ram;
    flm_transformer_t tf;
    flm_tokenizer_t tok;
    flm_arena_t arena;
    uint8_t *mem = NULL;
    flm_err_t err = flm_transformer_ram(&rt.model.cfg, rt.model.cfg.seq_len, &ram);
    if (!err) {
        mem = malloc(ram.total + FLM_ARENA_DEFAULT_ALIGN);
        flm_arena_init(&arena, mem, mem ? ram.total + FLM_ARENA_DEFAULT_ALIGN : 0);
        err = flm_transformer_init(&tf, &rt.model, rt.model.cfg.seq_len, &arena);
    }
    if (!err) {
        err = flm_tokenizer_init(&tok, &rt.model.vocab);
        if (err)
            flm_transformer_deinit(&tf);
    }
    if (err) {
        fprintf(stderr, "fieldlm ppl: %s\n", flm_strerror(err));
        free(mem);
        flm_runtime_deinit(&rt);
        fclose(f);
        return FLM_EXIT_FAIL;
    }

    ppl_t s = { .model = &rt.model, .tf = &tf, .tok = &tok };
    char *line = NULL;
    size_t linecap = 0;
    long lines = 0;
    ssize_t got;
    while (!err && (max_lines < 0 || lines < max_lines) &&
           (got = getline(&line, &linecap, f)) >= 0) {
        lines++;
        size_t len = (size_t)got;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > 0)
            err = score_line(&s, line, len);
    }
    free(line);
    fclose(f);
    flm_transformer_deinit(&tf);
    free(mem);
    free(s.ids);
    free(s.scratch);
    flm_runtime_deinit(&rt);
    if (err) {
        fprintf(stderr, "fieldlm ppl: %s\n", flm_strerror(err));
        return FLM_EXIT_FAIL;
    }
    if (s.tokens == 0) {
        fprintf(stderr, "fieldlm ppl: no tokens to score in '%s'\n", text_path);
        return FLM_EXIT_FAIL;
    }
    double nll = s.nll / (double)s.tokens;
    double nll_fixed = (double)s.nll_q16 / FLM_Q16_ONE / (double)s.tokens;
    printf("tokens %llu nll %.6f ppl %.4f\n", (unsigned long long)s.tokens, nll, exp(nll));
    fprintf(stderr, "fixed-point confidence: nll %.6f (differs by %.2e)\n", nll_fixed,
            fabs(nll_fixed - nll));
    return FLM_EXIT_OK;
}
