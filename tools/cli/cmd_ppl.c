#define _POSIX_C_SOURCE 200809L
/* fieldlm ppl: perplexity of a model on a text file, with the protocol of
 * ../shared/reference/README.md: each non-empty line is a document,
 * encoded with BOS and the dummy prefix, scored teacher-forced at
 * positions 0 .. min(n, seq_len) - 2. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cli/default_model.h"
#include "core/runtime/runtime.h"
#include "tools/cli/cli.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "ppl", "[-m MODEL.flm] --text FILE [--lines N] [--json]",
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
    flm_engine_t *eng;
    uint32_t *ids;
    void *scratch;
    size_t cap;
    double nll;        /* from the logits, in double */
    int64_t nll_q16;   /* sum of the fixed-point confidence (sampler.h) */
    uint64_t tokens;
} ppl_t;

/* The engine scores each prompt token as it forces it. */
static flm_err_t on_token(void *user, const flm_engine_token_t *t, const int32_t *logits)
{
    ppl_t *s = user;
    s->nll += nll_of(logits, s->eng->model->cfg.vocab_size, t->token);
    s->nll_q16 -= t->conf.logprob;
    s->tokens++;
    return FLM_OK;
}

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
    flm_err_t err = flm_tokenizer_encode(&s->eng->tok, (const uint8_t *)line, len, true, false,
                                         s->ids, s->cap, &n, s->scratch);
    size_t limit = n < s->eng->ctx_len ? n : s->eng->ctx_len; /* the document, cut at seq_len */
    if (!err)
        err = flm_engine_start_tokens(s->eng, s->ids, limit, 0);
    if (!err)
        err = flm_engine_prefill(s->eng, on_token, s);
    return err;
}

FLM_CLI_COMMAND(ppl, "perplexity of a model on a text file")
{
    long threads = -1;
    const char *verify = NULL;
    const char *model_path = NULL, *text_path = NULL;
    long max_lines = -1;
    bool json = false;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('m', "model", &model_path, "FILE", "model image (.flm); default: the default model (see run)"),
        FLM_OPT_STR(0, "text", &text_path, "FILE", "UTF-8 text"),
        FLM_OPT_LONG(0, "lines", &max_lines, 1, 0x7FFFFFFF, "N", "only the first N lines of the file"),
        FLM_OPT_FLAG(0, "json", &json, "one JSON object on stdout (tokens, lines, nll, ppl, nll_fixed)"),
        FLM_CLI_OPT_THREADS(&threads),
        FLM_CLI_OPT_VERIFY(&verify),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (flm_cli_verify_bad("ppl", verify))
        return FLM_EXIT_USAGE;
    if (!text_path)
        return flm_cli_usage_error("ppl", "needs --text FILE");
    char default_path[1024], why[1400];
    if (!model_path && !(model_path = flm_cli_default_model(default_path, sizeof default_path, why, sizeof why))) {
        fprintf(stderr, "fieldlm ppl: %s\n", why);
        return FLM_EXIT_FAIL;
    }

    FILE *f = flm_cli_open_read("ppl", text_path);
    if (!f)
        return FLM_EXIT_FAIL;
    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .threads = flm_cli_threads(threads),
                                .model_verify = verify, .model_path = model_path, .need_model = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm ppl: %s\n", rt.detail);
        fclose(f);
        return FLM_EXIT_FAIL;
    }
    /* the whole context: each document is teacher-forced up to seq_len */
    flm_engine_config_t ec = { .ctx_len = rt.model.cfg.seq_len, .max_prompt_bytes = 1 };
    uint8_t *mem;
    flm_err_t err = flm_cli_engine_init(&rt, &ec, &mem);
    if (err) {
        fprintf(stderr, "fieldlm ppl: %s\n", rt.detail[0] ? rt.detail : flm_strerror(err));
        free(mem);
        flm_runtime_deinit(&rt);
        fclose(f);
        return FLM_EXIT_FAIL;
    }

    ppl_t s = { .eng = &rt.engine };
    off_t file_size = 0;
    if (fseeko(f, 0, SEEK_END) == 0) {
        file_size = ftello(f);
        rewind(f);
    }
    char *line = NULL;
    size_t linecap = 0;
    long lines = 0;
    ssize_t got;
    flm_cli_catch_interrupt();
    while (!err && !flm_cli_interrupted() && (max_lines < 0 || lines < max_lines) &&
           (got = getline(&line, &linecap, f)) >= 0) {
        lines++;
        size_t len = (size_t)got;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > 0)
            err = score_line(&s, line, len);
        if (s.tokens)
            flm_cli_progress("fieldlm ppl: %ld lines%s%.0f%%, %llu tokens, ppl %.4f so far", lines,
                             file_size > 0 ? ", " : " ", file_size > 0 ? 100.0 * (double)ftello(f) / (double)file_size : 0.0,
                             (unsigned long long)s.tokens, exp(s.nll / (double)s.tokens));
    }
    flm_cli_progress_end();
    free(line);
    fclose(f);
    flm_runtime_deinit(&rt);
    free(mem);
    free(s.ids);
    free(s.scratch);
    if (err) {
        fprintf(stderr, "fieldlm ppl: %s\n", flm_strerror(err));
        return FLM_EXIT_FAIL;
    }
    const bool stopped = flm_cli_interrupted();
    if (stopped)
        fprintf(stderr, "fieldlm ppl: interrupted after %ld lines: the figures are theirs\n", lines);
    if (s.tokens == 0) {
        fprintf(stderr, "fieldlm ppl: %s: no tokens to score\n", text_path);
        return stopped ? FLM_EXIT_INTERRUPTED : FLM_EXIT_FAIL;
    }
    double nll = s.nll / (double)s.tokens;
    double nll_fixed = (double)s.nll_q16 / FLM_Q16_ONE / (double)s.tokens;
    if (json) {
        flm_cli_json_t j;
        if (!flm_cli_json_begin(&j, 0))
            return FLM_EXIT_FAIL;
        flm_json_key(&j.w, "tokens");
        flm_json_int(&j.w, (int64_t)s.tokens);
        flm_json_key(&j.w, "lines");
        flm_json_int(&j.w, lines);
        flm_cli_json_num(&j, "nll", nll, 6);
        flm_cli_json_num(&j, "ppl", exp(nll), 4);
        flm_cli_json_num(&j, "nll_fixed", nll_fixed, 6);
        flm_json_key(&j.w, "interrupted");
        flm_json_bool(&j.w, stopped);
        if (flm_cli_json_end(&j, "ppl"))
            return FLM_EXIT_FAIL;
        return stopped ? FLM_EXIT_INTERRUPTED : FLM_EXIT_OK;
    }
    printf("tokens %llu nll %.6f ppl %.4f\n", (unsigned long long)s.tokens, nll, exp(nll));
    fprintf(stderr, "fixed-point confidence: nll %.6f (differs by %.2e)\n", nll_fixed,
            fabs(nll_fixed - nll));
    return stopped ? FLM_EXIT_INTERRUPTED : FLM_EXIT_OK;
}
