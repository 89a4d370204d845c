/* fieldlm run: generate text from a prompt, streamed as llama2.c's run does. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/base/q16.h"
#include "core/runtime/runtime.h"
#include "core/hal/hal.h"
#include "tools/cli/cli.h"
#include "tools/cli/default_model.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "run", "[MODEL.flm] [PROMPT] [options]",
    "Stream the prompt and its continuation to stdout as tokens are produced.\n"
    "The prompt: PROMPT or -p TEXT, -f FILE, -p - (stdin), or stdin itself when\n"
    "it is a pipe or a file and no prompt is given (echo \"The dog\" | fieldlm run).\n"
    "-n counts positions as llama2.c's run does: BOS, the prompt's tokens and\n"
    "the generated ones; --n-predict N counts generated tokens only.\n",
    "The text goes to stdout and ends with a newline before anything else is\n"
    "written; then tok/s, arena bytes and, when drawn, the seed go to stderr\n"
    "(none of it with --quiet). Without -m or -c the default model:\n"
    "$FIELDLM_MODEL, else models/" FLM_DEFAULT_MODEL_NAME " of the clone or\n"
    "installation the program belongs to (tools/cli/default_model.h).\n"
    "Ctrl-C stops at the next token: what was made is printed, exit 130.\n"
    "Exit status: 0 done, 1 failure (model, prompt), 2 bad command line, 130\n"
    "interrupted.\n",
};

/* llama2.c's safe_printf: drop lone control bytes, keep text and whitespace. */
static void put_piece(const uint8_t *p, size_t n)
{
    if (n == 1 && !(isprint(p[0]) || isspace(p[0]) || p[0] >= 0x80))
        return;
    fwrite(p, 1, n, stdout);
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    return n >= t && strcmp(s + n - t, tail) == 0;
}

#define PROMPT_MAX (1u << 20)

FLM_CLI_COMMAND(run, "generate text from a prompt, streamed as it is produced")
{
    long threads = -1;
    const char *verify = NULL;
    const char *model_path = NULL, *prompt = NULL, *prompt_file = NULL, *config = NULL;
    long steps = 256, seed = 0, ctx = 0, predict = -1, pace = 0;
    bool quiet = false, no_prompt = false, json = false;
    uint32_t temp = FLM_Q16_ONE, top_p = 58982; /* 1.0 and 0.9 */
    const flm_opt_t opts[] = {
        FLM_OPT_STR('m', "model", &model_path, "FILE",
                    "model image (.flm); default: [model] path of -c, else the\n"
                    "default model"),
        FLM_OPT_STR('c', "config", &config, "FILE",
                    "device configuration ([model] path, context); a number that\n"
                    "names no file is the context size, as llama.cpp's -c"),
        FLM_OPT_STR('p', "prompt", &prompt, "TEXT", "prompt; - reads it from stdin (default: empty)"),
        FLM_OPT_STR('f', "file", &prompt_file, "FILE", "read the prompt from FILE"),
        FLM_OPT_LONG('n', "steps", &steps, 0, 1 << 20, "N",
                     "positions to run, counting BOS and the prompt (default 256;\n"
                     "0 = the whole context)"),
        FLM_OPT_LONG(0, "n-predict", &predict, 0, 1 << 20, "N",
                     "generate at most N tokens after the prompt (replaces -n)"),
        { 't', "temp", "temperature", FLM_OPT_KIND_Q16, &temp, 0, 100, "T",
          "temperature, 0 = greedy (default 1.0)" },
        FLM_OPT_Q16(0, "top-p", &top_p, 0, 1, "P",
                    "nucleus sampling mass in (0, 1]; 1 = off (default 0.9)"),
        FLM_OPT_LONG('s', "seed", &seed, 0, 0x7FFFFFFF, "N",
                     "PRNG seed (default 0: drawn, and printed on stderr)"),
        { 0, "ctx", "ctx-size", FLM_OPT_KIND_LONG, &ctx, 1, 1 << 20, "N",
          "KV-cache positions (default: the model's seq_len)" },
        { 0, "no-display-prompt", "no-echo", FLM_OPT_KIND_FLAG, &no_prompt, 0, 0, NULL,
          "print only the generated text, not the prompt" },
        FLM_OPT_FLAG(0, "json", &json,
                     "for scripts: nothing streamed, one JSON object on stdout at the\n"
                     "end (prompt, text, tokens, stop, tok_per_s, seed, arena_bytes)"),
        FLM_OPT_LONG(0, "pace-ms", &pace, 0, 10000, "MS",
                     "demos: at least MS between generated tokens (default 0)"),
        { 'q', "quiet", "log-disable", FLM_OPT_KIND_FLAG, &quiet, 0, 0, NULL,
          "nothing on stderr but errors (no statistics, no seed)" },
        FLM_CLI_OPT_THREADS(&threads),
        FLM_CLI_OPT_VERIFY(&verify),
        FLM_OPT_END
    };
    const char *pos[2];
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, pos, 2, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (flm_cli_verify_bad("run", verify))
        return FLM_EXIT_USAGE;
    /* llama.cpp's -c N is the context size: a number that names no file */
    if (config && !is_file(config)) {
        long n;
        if (flm_cli_parse_long(config, 1, 1 << 20, &n)) {
            if (ctx)
                return flm_cli_usage_error("run", "-c %s and --ctx both give the context", config);
            ctx = n;
            config = NULL;
        }
    }
    /* fieldlm run [MODEL] [PROMPT]: one positional is the model when it
     * names a file that looks like one, else the prompt. */
    for (int i = 0; i < npos; i++) {
        bool model_like = npos == 2 ? i == 0
                                    : (ends_with(pos[i], ".flm") || ends_with(pos[i], ".gguf")) &&
                                          is_file(pos[i]);
        if (model_like) {
            if (model_path)
                return flm_cli_usage_error("run", "the model is given twice ('%s' and -m)", pos[i]);
            model_path = pos[i];
        } else {
            if (prompt || prompt_file)
                return flm_cli_usage_error("run", "the prompt is given twice ('%s' and -p/-f)", pos[i]);
            prompt = pos[i];
        }
    }
    if (prompt && prompt_file)
        return flm_cli_usage_error("run", "-p and -f both give the prompt: choose one");
    if (top_p == 0)
        return flm_cli_usage_error("run", "--top-p wants a number in (0, 1], not 0");

    char *read_prompt = NULL;
    size_t prompt_len = 0;
    const char *source = prompt_file ? prompt_file
                         : prompt && strcmp(prompt, "-") == 0 ? "-"
                         : !prompt && flm_cli_stdin_has_text() ? "-" : NULL;
    if (source) {
        if (!(read_prompt = flm_cli_read_text("run", source, PROMPT_MAX, &prompt_len)))
            return FLM_EXIT_FAIL;
        while (prompt_len > 0 && (read_prompt[prompt_len - 1] == '\n' || read_prompt[prompt_len - 1] == '\r'))
            read_prompt[--prompt_len] = '\0'; /* echo's newline is not part of the prompt */
        prompt = read_prompt;
    } else if (!prompt) {
        prompt = "";
    }
    prompt_len = strlen(prompt);

    char default_path[1024], why[1400];
    const char *fallback = model_path ? NULL
                         : flm_cli_default_model(default_path, sizeof default_path, why, sizeof why);
    if (!model_path && !config && !fallback) {
        fprintf(stderr, "fieldlm run: %s\n", why);
        free(read_prompt);
        return FLM_EXIT_FAIL;
    }

    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .threads = flm_cli_threads(threads),
                                .model_verify = verify, .config_path = config, .model_path = model_path,
                                .default_model_path = fallback, .need_model = true, .local_only = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm run: %s\n", rt.detail);
        free(read_prompt);
        return FLM_EXIT_FAIL;
    }
    const flm_model_t *m = &rt.model;
    if (ctx > (long)m->cfg.seq_len) {
        fprintf(stderr, "fieldlm run: --ctx %ld exceeds the model's seq_len %u\n", ctx, m->cfg.seq_len);
        flm_runtime_deinit(&rt);
        free(read_prompt);
        return FLM_EXIT_USAGE;
    }
    const bool drawn = seed == 0;
    const uint32_t used_seed = drawn ? flm_runtime_draw_seed() : (uint32_t)seed;
    flm_engine_config_t cfg = {
        .ctx_len = (uint32_t)ctx,
        .max_prompt_bytes = prompt_len ? (uint32_t)prompt_len : 1,
        .sampler = { .temperature = temp, .top_p = top_p, .seed = used_seed },
        .prefill_block = 16, /* the prompt 16 positions at a time: the same tokens, faster */
    };
    uint8_t *mem;
    flm_err_t err = flm_cli_engine_init(&rt, &cfg, &mem);
    if (!err && predict >= 0) {
        /* the prompt's length in positions first, then the positions to run */
        err = flm_engine_start(&rt.engine, (const uint8_t *)prompt, prompt_len, 0);
        if (!err)
            steps = (long)rt.engine.n_prompt - 1 + predict; /* each step makes the next position */
    }
    if (!err)
        err = flm_engine_start(&rt.engine, (const uint8_t *)prompt, prompt_len, (uint32_t)steps);
    if (err == FLM_ERR_ENGINE_CONTEXT_FULL || err == FLM_ERR_ENGINE_PROMPT_TOO_LONG)
        fprintf(stderr, "fieldlm run: the prompt does not fit the context of %u positions\n",
                rt.engine.ctx_len);
    else if (err)
        fprintf(stderr, "fieldlm run: %s\n", rt.detail[0] ? rt.detail : flm_strerror(err));
    if (err) {
        flm_runtime_deinit(&rt);
        free(mem);
        free(read_prompt);
        return FLM_EXIT_FAIL;
    }
    if (predict < 0 && steps > 0 && (uint32_t)steps + 1 <= rt.engine.n_prompt && rt.engine.n_prompt <= rt.engine.ctx_len)
        fprintf(stderr, "fieldlm run: warning: -n %ld counts the prompt's %u tokens too: %s (raise -n, "
                        "or use --n-predict)\n", steps, rt.engine.n_prompt - 1,
                (uint32_t)steps + 1 < rt.engine.n_prompt ? "the prompt is cut and nothing generated"
                                                         : "nothing is generated");
    flm_cli_catch_interrupt();
    /* like llama2.c, time from the end of the first step */
    uint64_t start = 0;
    uint32_t timed = 0, generated = 0;
    flm_engine_token_t t;
    bool stopped = false;
    char *text = NULL; /* --json: the generated text */
    size_t text_len = 0, text_cap = 0;
    do {
        err = flm_engine_step(&rt.engine, &t);
        if (err)
            break;
        generated += !t.forced && t.piece_len ? 1u : 0u;
        if (json && !t.forced) {
            if (text_len + t.piece_len + 1 > text_cap) {
                text_cap = 2 * (text_len + t.piece_len + 64);
                char *nt = realloc(text, text_cap);
                if (!nt) {
                    err = FLM_ERR_NOMEM;
                    break;
                }
                text = nt;
            }
            memcpy(text + text_len, t.piece, t.piece_len);
            text_len += t.piece_len;
        } else if (!json && !(no_prompt && t.forced)) {
            put_piece(t.piece, t.piece_len);
        }
        fflush(stdout);
        if (pace && !t.forced)
            flm_hal_sleep_ms((uint32_t)pace);
        if (start == 0)
            start = flm_hal_time_us();
        else
            timed++;
        if (flm_cli_interrupted()) {
            stopped = true;
            break;
        }
    } while (t.status == FLM_ENGINE_RUNNING);
    uint64_t end = flm_hal_time_us();
    if (json) {
        flm_cli_json_t j;
        int jrc = -1;
        if (!err && flm_cli_json_begin(&j, prompt_len + text_len)) {
            const char *stop = stopped                                  ? "interrupted"
                               : t.status == FLM_ENGINE_DONE_EOS        ? "eos"
                               : t.status == FLM_ENGINE_DONE_CONTEXT    ? "context"
                                                                        : "length";
            flm_cli_json_text(&j, "prompt", prompt, prompt_len);
            flm_cli_json_text(&j, "text", text ? text : "", text_len);
            flm_json_key(&j.w, "tokens");
            flm_json_obj_begin(&j.w);
            flm_json_key(&j.w, "prompt");
            flm_json_int(&j.w, (int64_t)rt.engine.n_prompt - 1);
            flm_json_key(&j.w, "generated");
            flm_json_int(&j.w, generated);
            flm_json_obj_end(&j.w);
            flm_json_key(&j.w, "stop");
            flm_json_str(&j.w, stop);
            flm_cli_json_num(&j, "tok_per_s", timed > 0 && end > start ? timed * 1e6 / (double)(end - start) : 0, 1);
            flm_json_key(&j.w, "seed");
            flm_json_int(&j.w, used_seed);
            flm_json_key(&j.w, "seed_drawn");
            flm_json_bool(&j.w, drawn);
            flm_json_key(&j.w, "arena_bytes");
            flm_json_int(&j.w, (int64_t)flm_arena_high_water(&rt.arena));
            jrc = flm_cli_json_end(&j, "run");
        }
        if (err)
            fprintf(stderr, "fieldlm run: %s\n", flm_strerror(err));
        free(text);
        flm_runtime_deinit(&rt);
        free(mem);
        free(read_prompt);
        return stopped ? FLM_EXIT_INTERRUPTED : err || jrc ? FLM_EXIT_FAIL : FLM_EXIT_OK;
    }
    /* the text's last newline reaches the output before any statistics:
     * in a capture with 2>&1 they follow the text on their own lines */
    fputc('\n', stdout);
    fflush(stdout);
    if (err)
        fprintf(stderr, "fieldlm run: %s\n", flm_strerror(err));
    if (stopped)
        fprintf(stderr, "fieldlm run: interrupted\n");
    if (!quiet) {
        if (timed > 0 && end > start)
            fprintf(stderr, "achieved tok/s: %f\n", timed * 1e6 / (double)(end - start));
        fprintf(stderr, "arena bytes: %zu (reserved %zu)\n", flm_arena_high_water(&rt.arena), rt.arena.size);
        if (drawn && temp != 0)
            fprintf(stderr, "seed: %u (drawn; -s %u repeats this run)\n", (unsigned)used_seed,
                    (unsigned)used_seed);
    }
    flm_runtime_deinit(&rt);
    free(mem);
    free(read_prompt);
    return stopped ? FLM_EXIT_INTERRUPTED : err ? FLM_EXIT_FAIL : FLM_EXIT_OK;
}
