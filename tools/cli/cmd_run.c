/* fieldlm run: generate text from a prompt, streamed as llama2.c's run does. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/q16.h"
#include "core/runtime/runtime.h"
#include "core/hal/hal.h"
#include "tools/cli/cli.h"
#include "tools/cli/default_model.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "run", "[-m MODEL.flm] [-p PROMPT] [options]",
    "Stream the prompt and its continuation to stdout as tokens are produced.\n",
    "Prints tokens/s and arena bytes on stderr. Without -m or -c the default\n"
    "model: $FIELDLM_MODEL, else models/" FLM_DEFAULT_MODEL_NAME " of the clone or\n"
    "installation the program belongs to (tools/cli/default_model.h).\n",
};

/* llama2.c's safe_printf: drop lone control bytes, keep text and whitespace. */
static void put_piece(const uint8_t *p, size_t n)
{
    if (n == 1 && !(isprint(p[0]) || isspace(p[0]) || p[0] >= 0x80))
        return;
    fwrite(p, 1, n, stdout);
}

FLM_CLI_COMMAND(run, "generate text from a prompt, streamed as it is produced")
{
    const char *model_path = NULL, *prompt = "", *config = NULL;
    long steps = 256, seed = 0, ctx = 0;
    uint32_t temp = FLM_Q16_ONE, top_p = 58982; /* 1.0 and 0.9 */
    const flm_opt_t opts[] = {
        FLM_OPT_STR('m', "model", &model_path, "FILE",
                    "model image (.flm); default: [model] path of -c, else the\n"
                    "default model"),
        FLM_OPT_STR('c', "config", &config, "FILE", "device configuration ([model] path, context)"),
        FLM_OPT_STR('p', "prompt", &prompt, "TEXT", "prompt (default: empty)"),
        FLM_OPT_LONG('n', "steps", &steps, 0, 1 << 20, "N",
                     "positions to run, counting BOS and the prompt (default 256;\n"
                     "0 = the whole context)"),
        { 't', "temp", "temperature", FLM_OPT_KIND_Q16, &temp, 0, 100, "T",
          "temperature, 0 = greedy (default 1.0)" },
        FLM_OPT_Q16(0, "top-p", &top_p, 0, 1, "P",
                    "nucleus sampling mass in (0, 1]; 1 = off (default 0.9)"),
        FLM_OPT_LONG('s', "seed", &seed, 0, 0x7FFFFFFF, "N", "PRNG seed (default 0 = from the clock)"),
        { 0, "ctx", "ctx-size", FLM_OPT_KIND_LONG, &ctx, 1, 1 << 20, "N",
          "KV-cache positions (default: the model's seq_len)" },
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (top_p == 0)
        return flm_cli_usage_error("run", "--top-p wants a number in (0, 1], not 0");
    char default_path[1024], why[1400];
    if (!model_path && !config && !(model_path = flm_cli_default_model(default_path, sizeof default_path,
                                                                       why, sizeof why))) {
        fprintf(stderr, "fieldlm run: %s\n", why);
        return FLM_EXIT_FAIL;
    }

    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .config_path = config, .model_path = model_path, .need_model = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm run: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    const flm_model_t *m = &rt.model;
    if (ctx > (long)m->cfg.seq_len) {
        fprintf(stderr, "fieldlm run: --ctx %ld exceeds the model's seq_len %u\n", ctx, m->cfg.seq_len);
        flm_runtime_deinit(&rt);
        return FLM_EXIT_USAGE;
    }
    flm_engine_config_t cfg = {
        .ctx_len = (uint32_t)ctx,
        .max_prompt_bytes = prompt[0] ? (uint32_t)strlen(prompt) : 1,
        .sampler = { .temperature = temp, .top_p = top_p,
                     .seed = seed ? (uint64_t)seed : (uint64_t)time(NULL) },
        .prefill_block = 16, /* the prompt 16 positions at a time: the same tokens, faster */
    };
    size_t need = 0;
    uint8_t *mem = NULL;
    flm_err_t err = flm_runtime_engine_ram(&rt, &cfg, &need);
    if (!err) {
        mem = malloc(need); /* a host tool may: the runtime takes the caller's memory */
        err = mem ? flm_runtime_engine_init(&rt, &cfg, mem, need) : FLM_ERR_NOMEM;
    }
    if (!err)
        err = flm_engine_start(&rt.engine, (const uint8_t *)prompt, strlen(prompt), (uint32_t)steps);
    if (err == FLM_ERR_ENGINE_CONTEXT_FULL || err == FLM_ERR_ENGINE_PROMPT_TOO_LONG)
        fprintf(stderr, "fieldlm run: the prompt does not fit the context of %u positions\n",
                rt.engine.ctx_len);
    else if (err)
        fprintf(stderr, "fieldlm run: %s\n", rt.detail[0] ? rt.detail : flm_strerror(err));
    if (err) {
        flm_runtime_deinit(&rt);
        free(mem);
        return FLM_EXIT_FAIL;
    }

    /* like llama2.c, time from the end of the first step */
    uint64_t start = 0;
    uint32_t timed = 0;
    flm_engine_token_t t;
    do {
        err = flm_engine_step(&rt.engine, &t);
        if (err)
            break;
        put_piece(t.piece, t.piece_len);
        fflush(stdout);
        if (start == 0)
            start = flm_hal_time_us();
        else
            timed++;
    } while (t.status == FLM_ENGINE_RUNNING);
    uint64_t end = flm_hal_time_us();
    printf("\n");
    if (err)
        fprintf(stderr, "fieldlm run: %s\n", flm_strerror(err));
    if (timed > 0 && end > start)
        fprintf(stderr, "achieved tok/s: %f\n", timed * 1e6 / (double)(end - start));
    fprintf(stderr, "arena bytes: %zu (reserved %zu)\n", flm_arena_high_water(&rt.arena), need);
    flm_runtime_deinit(&rt);
    free(mem);
    return err ? FLM_EXIT_FAIL : FLM_EXIT_OK;
}
