/* fieldlm chat: a prompt loop on the terminal. Each line is a new prompt
 * (the small models keep no conversation); the answer streams as `run`'s
 * continuation does, through the router when the device file brings one
 * (as `ask`). Ctrl-C stops the answer and returns to the prompt; Ctrl-D (end
 * of input) ends. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/q16.h"
#include "core/router/router_ask.h"
#include "core/runtime/runtime.h"
#include "core/hal/hal.h"
#include "tools/cli/cli.h"
#include "tools/cli/default_model.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "chat", "[-m MODEL.flm | -c CONFIG] [options]",
    "Read prompts from the terminal, one per line, and answer each: locally,\n"
    "or, when CONFIG has a [router] (and its parameters), where the router\n"
    "decides, as `fieldlm ask` does. Each line is a new prompt: the model keeps\n"
    "no memory of earlier turns.\n",
    "Ctrl-C stops the current answer and returns to the prompt; Ctrl-D ends\n"
    "(exit 0). The prompt \"> \" is shown only on a terminal, so the answers of\n"
    "a piped list of prompts are the answers alone, one block per line.\n",
};

static void put_text(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if ((c < 0x20 && !isspace(c)) || c == 0x7F)
            continue; /* neither the model nor a server drives the terminal */
        fputc(c, stdout);
    }
    fflush(stdout);
}

static flm_err_t on_text(void *user, const char *text, size_t n)
{
    (void)user;
    put_text(text, n);
    return FLM_OK;
}

static bool is_cancelled(void *user)
{
    (void)user;
    return flm_cli_interrupted();
}

#define LINE_MAX_BYTES 4096

FLM_CLI_COMMAND(chat, "answer prompts typed on the terminal, one per line, until Ctrl-D")
{
    long threads = -1;
    const char *verify = NULL;
    const char *model_path = NULL, *config = NULL;
    long steps = 0, seed = 0, pace = 0;
    uint32_t temp = 52429, top_p = 58982; /* 0.8 and 0.9 */
    const flm_opt_t opts[] = {
        FLM_OPT_STR('m', "model", &model_path, "FILE", "model image (default: [model] path, else the default model)"),
        FLM_OPT_STR('c', "config", &config, "FILE", "device configuration ([model], [router], [cloud])"),
        FLM_OPT_LONG('n', "steps", &steps, 0, 1 << 20, "N",
                     "positions per answer, counting BOS and the prompt (default 0:\n"
                     "the whole context)"),
        { 't', "temp", "temperature", FLM_OPT_KIND_Q16, &temp, 0, 100, "T",
          "temperature, 0 = greedy (default 0.8)" },
        FLM_OPT_Q16(0, "top-p", &top_p, 0, 1, "P", "nucleus sampling mass (default 0.9)"),
        FLM_OPT_LONG('s', "seed", &seed, 0, 0x7FFFFFFF, "N", "PRNG seed (default 0: drawn)"),
        FLM_OPT_LONG(0, "pace-ms", &pace, 0, 10000, "MS", "demos: at least MS between local tokens"),
        FLM_CLI_OPT_THREADS(&threads),
        FLM_CLI_OPT_VERIFY(&verify),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (flm_cli_verify_bad("chat", verify))
        return FLM_EXIT_USAGE;
    if (top_p == 0)
        return flm_cli_usage_error("chat", "--top-p wants a number in (0, 1], not 0");
    char default_path[1024], why[1400];
    if (!model_path && !config &&
        !(model_path = flm_cli_default_model(default_path, sizeof default_path, why, sizeof why))) {
        fprintf(stderr, "fieldlm chat: %s\n", why);
        return FLM_EXIT_FAIL;
    }
    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .threads = flm_cli_threads(threads),
                                .model_verify = verify, .config_path = config, .model_path = model_path,
                                .need_model = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm chat: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    flm_engine_config_t ec = {
        .max_prompt_bytes = LINE_MAX_BYTES,
        .sampler = { .temperature = temp, .top_p = top_p,
                     .seed = seed ? (uint64_t)seed : flm_runtime_draw_seed() },
    };
    uint8_t *mem;
    flm_err_t err = flm_cli_engine_init(&rt, &ec, &mem);
    if (err) {
        fprintf(stderr, "fieldlm chat: %s\n", rt.detail[0] ? rt.detail : flm_strerror(err));
        flm_runtime_deinit(&rt);
        free(mem);
        return FLM_EXIT_FAIL;
    }
    const bool tty = isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
    const bool routed = rt.has_router;
    if (tty)
        fprintf(stderr, "fieldlm chat: %s; Ctrl-C stops an answer, Ctrl-D ends.\n",
                routed ? "each prompt goes where the router decides" : "answered by the local model");
    flm_cli_catch_interrupt();
    char line[LINE_MAX_BYTES + 2];
    int rcode = FLM_EXIT_OK;
    for (;;) {
        if (tty) {
            fputs("> ", stderr);
            fflush(stderr);
        }
        if (!fgets(line, sizeof line, stdin)) {
            if (ferror(stdin) && errno == EINTR) { /* Ctrl-C at the prompt: a fresh one */
                clearerr(stdin);
                flm_cli_interrupt_reset();
                if (tty)
                    fputc('\n', stderr);
                continue;
            }
            if (tty)
                fputc('\n', stderr);
            break; /* Ctrl-D */
        }
        size_t len = strlen(line);
        if (len > LINE_MAX_BYTES) {
            fprintf(stderr, "fieldlm chat: a prompt longer than %d bytes: skipped\n", LINE_MAX_BYTES);
            while (len && line[len - 1] != '\n' && fgets(line, sizeof line, stdin))
                len = strlen(line);
            continue;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        flm_cli_interrupt_reset();
        if (routed) {
            flm_ask_t q = { .prompt = line, .steps = (uint32_t)steps, .on_text = on_text,
                            .cancelled = is_cancelled };
            flm_ask_result_t res;
#if FLM_CFG_CLOUD
            flm_cloud_client_t *cloud = rt.has_cloud ? &rt.cloud : NULL;
#else
            void *cloud = NULL;
#endif
            flm_hal_log_set_level(FLM_LOG_WARN);
            err = flm_router_ask(&rt.router, cloud, &q, &res);
            fputc('\n', stdout);
            fflush(stdout);
            if (tty)
                fprintf(stderr, "[%s: %s]\n", res.decision.route == FLM_ROUTE_CLOUD ? "cloud" : "local",
                        flm_route_reason_name(res.decision.reason));
        } else {
            err = flm_engine_start(&rt.engine, (const uint8_t *)line, len, (uint32_t)steps);
            flm_engine_token_t t;
            while (!err) {
                err = flm_engine_step(&rt.engine, &t);
                if (err)
                    break;
                if (!t.forced) {
                    put_text((const char *)t.piece, t.piece_len);
                    if (pace)
                        flm_hal_sleep_ms((uint32_t)pace);
                }
                if (t.status != FLM_ENGINE_RUNNING || flm_cli_interrupted())
                    break;
            }
            fputc('\n', stdout);
            fflush(stdout);
            if (err == FLM_ERR_ENGINE_CONTEXT_FULL || err == FLM_ERR_ENGINE_PROMPT_TOO_LONG)
                fprintf(stderr, "fieldlm chat: the prompt does not fit the context of %u positions\n",
                        rt.engine.ctx_len);
        }
        if (flm_cli_interrupted()) {
            if (tty)
                fputs("[stopped]\n", stderr);
            flm_cli_interrupt_reset();
            err = FLM_OK;
        }
        if (err && err != FLM_ERR_ENGINE_CONTEXT_FULL && err != FLM_ERR_ENGINE_PROMPT_TOO_LONG &&
            err != FLM_ERR_CANCELLED) {
            fprintf(stderr, "fieldlm chat: %s\n", flm_strerror(err));
            rcode = FLM_EXIT_FAIL;
        }
    }
    flm_runtime_deinit(&rt);
    free(mem);
    return rcode;
}
