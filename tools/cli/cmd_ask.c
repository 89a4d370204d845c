/* fieldlm ask: one prompt, answered on the device or by the cloud as the
 * router decides, the answer streamed from wherever it comes. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "core/base/q16.h"
#include "core/guard/forward.h"
#include "core/router/router_ask.h"
#include "core/runtime/runtime.h"
#include "tools/cli/cli.h"
#include "tools/cli/default_model.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "ask", "-c CONFIG [-p PROMPT | PROMPT | -f FILE] [options]",
    "Answer PROMPT on the device or in the cloud, as the router decides from the\n"
    "local model's confidence and its rules ([router] of CONFIG), and stream the\n"
    "answer to stdout from wherever it comes. Then, on stderr:\n"
    "  route=<local|cloud> reason=<code> score=<x>\n"
    "A cloud that fails before answering leaves the answer to the local model,\n"
    "marked degraded (reason local:cloud-failed); with the link down it is\n"
    "local:offline, and with [queue] enabled the prompt is kept for the cloud\n"
    "(\" queued=N\"; fieldlm queue), delivered by the first ask that finds the\n"
    "link up again. Over a [budget] cap: local:budget (\" cap=KEY\"). With [log]\n"
    "escalations = on, a cloud answer is kept in the escalation log (\" logged=N\";\n"
    "fieldlm log export).\n",
    "CONFIG has [model] (path, context), [router] (params, mode, threshold,\n"
    "force_cloud, force_local, cascade_window, cascade_nll) and, to escalate,\n"
    "[cloud]; [privacy], [queue] and [budget] guard it, [log] keeps what the cloud said. Exit status: 0 answered (degraded too), 1 failed, 2 bad usage.\n",
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static bool is_cancelled(void *user)
{
    (void)user;
    return interrupted != 0;
}

/* The answer's text as `run` prints it: a lone control byte is dropped, so
 * neither the model nor a server can drive the terminal. */
typedef struct {
    char  *buf; /* --json: the answer, kept for the object at the end */
    size_t len, cap;
} answer_t;

static flm_err_t on_text(void *user, const char *text, size_t n)
{
    answer_t *a = user;
    if (a) {
        if (a->len + n + 1 > a->cap) {
            size_t cap = 2 * (a->len + n + 64);
            char *b = realloc(a->buf, cap);
            if (!b)
                return FLM_ERR_NOMEM;
            a->buf = b;
            a->cap = cap;
        }
        memcpy(a->buf + a->len, text, n);
        a->len += n;
        return FLM_OK;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 && !isspace(c))
            continue;
        if (c == 0x7F)
            continue;
        fputc(c, stdout);
    }
    fflush(stdout);
    return FLM_OK;
}

FLM_CLI_COMMAND(ask, "answer a prompt locally or in the cloud, as the router decides")
{
    long threads = -1;
    const char *verify = NULL;
    const char *config = NULL, *prompt = NULL, *model = NULL, *system = NULL, *prompt_file = NULL;
    long steps = 256, seed = 0, max_tokens = 0;
    uint32_t temp = 0, top_p = 58982; /* greedy; 0.9 */
    bool stream = false, json = false;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('c', "config", &config, "FILE", "device configuration"),
        FLM_OPT_STR('p', "prompt", &prompt, "TEXT", "the prompt; - reads it from stdin"),
        FLM_OPT_STR('f', "file", &prompt_file, "FILE", "read the prompt from FILE"),
        FLM_OPT_STR('m', "model", &model, "FILE", "model image (default: [model] path, else the shipped model)"),
        FLM_OPT_LONG('n', "steps", &steps, 0, 1 << 20, "N",
                     "local: positions, counting BOS and the prompt (default 256)"),
        { 't', "temp", "temperature", FLM_OPT_KIND_Q16, &temp, 0, 100, "T",
          "local: temperature, 0 = greedy (default 0)" },
        FLM_OPT_Q16(0, "top-p", &top_p, 0, 1, "P", "local: nucleus mass (default 0.9)"),
        FLM_OPT_LONG('s', "seed", &seed, 0, 0x7FFFFFFF, "N", "local: PRNG seed (0 = drawn, printed on stderr)"),
        FLM_OPT_STR(0, "system", &system, "TEXT", "cloud: a system message"),
        FLM_OPT_LONG(0, "max-tokens", &max_tokens, 1, 1000000, "N", "cloud: cap the answer"),
        FLM_OPT_FLAG(0, "stream", &stream, "cloud: stream the answer as it arrives"),
        FLM_OPT_FLAG(0, "json", &json,
                     "for scripts: one JSON object on stdout (text, route, reason,\n"
                     "score, degraded, tokens), nothing on stderr but errors"),
        FLM_CLI_OPT_THREADS(&threads),
        FLM_CLI_OPT_VERIFY(&verify),
        FLM_OPT_END
    };
    const char *pos[1];
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, pos, 1, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (flm_cli_verify_bad("ask", verify))
        return FLM_EXIT_USAGE;
    if (npos && (prompt || prompt_file))
        return flm_cli_usage_error("ask", "the prompt is given twice ('%s' and -p/-f)", pos[0]);
    if (npos)
        prompt = pos[0];
    if (prompt && prompt_file)
        return flm_cli_usage_error("ask", "-p and -f both give the prompt: choose one");
    const char *source = prompt_file ? prompt_file
                         : prompt && strcmp(prompt, "-") == 0 ? "-"
                         : !prompt && flm_cli_stdin_has_text() ? "-" : NULL;
    if (!config || !(prompt || source))
        return flm_cli_usage_error("ask", "-c CONFIG and a prompt (-p TEXT, -f FILE, stdin) are required");
    static char *read_prompt; /* the process's: freed at exit */
    if (source) {
        size_t len;
        if (!(read_prompt = flm_cli_read_text("ask", source, 1u << 20, &len)))
            return FLM_EXIT_FAIL;
        while (len > 0 && (read_prompt[len - 1] == '\n' || read_prompt[len - 1] == '\r'))
            read_prompt[--len] = '\0';
        prompt = read_prompt;
    }
#if defined(__linux__)
    prctl(PR_SET_DUMPABLE, 0); /* no core dump may carry the API key */
#endif
    signal(SIGPIPE, SIG_IGN);

    static flm_runtime_t rt;
    char default_path[1024], why[1400];
    flm_runtime_config_t rc = { .threads = flm_cli_threads(threads),
                                .model_verify = verify, .config_path = config, .model_path = model,
                                .need_model = true, .need_router = true };
    if (!model) /* the shipped model when neither -m nor [model] path names one */
        rc.default_model_path = flm_cli_default_model(default_path, sizeof default_path, why, sizeof why);
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm ask: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    flm_engine_config_t ec = {
        .max_prompt_bytes = (uint32_t)strlen(prompt) + 1,
        .sampler = { .temperature = temp, .top_p = top_p,
                     .seed = seed ? (uint64_t)seed : flm_runtime_draw_seed() },
    };
    uint8_t *mem;
    flm_err_t err = flm_cli_engine_init(&rt, &ec, &mem);
    if (err) {
        fprintf(stderr, "fieldlm ask: %s\n", rt.detail[0] ? rt.detail : flm_strerror(err));
        flm_runtime_deinit(&rt);
        free(mem);
        return FLM_EXIT_FAIL;
    }

    static answer_t answer;
    flm_ask_t q = {
        .prompt = prompt, .system = system, .steps = (uint32_t)steps,
        .max_tokens = (int32_t)max_tokens, .stream = stream, .on_text = on_text,
        .user = json ? &answer : NULL,
        .cancelled = is_cancelled,
    };
    flm_ask_result_t res;
    signal(SIGINT, on_sigint);
#if FLM_CFG_CLOUD
    flm_cloud_client_t *cloud = rt.has_cloud ? &rt.cloud : NULL;
#else
    void *cloud = NULL;
#endif
    flm_hal_log_set_level(FLM_LOG_WARN); /* the decision is printed below, once */
    err = flm_router_ask(&rt.router, cloud, &q, &res);
    char score[8];
    flm_route_score_text(res.decision.score, score);
    if (json) {
        flm_cli_json_t j;
        int jrc = -1;
        if (flm_cli_json_begin(&j, answer.len)) {
            flm_cli_json_text(&j, "text", answer.buf ? answer.buf : "", answer.len);
            flm_json_key(&j.w, "route");
            flm_json_str(&j.w, res.decision.route == FLM_ROUTE_CLOUD ? "cloud" : "local");
            flm_json_key(&j.w, "reason");
            flm_json_str(&j.w, flm_route_reason_name(res.decision.reason));
            flm_json_key(&j.w, "score");
            if (res.decision.scored)
                flm_json_fixed(&j.w, (int64_t)((uint64_t)res.decision.score * 10000u >> 16), 4);
            else
                flm_json_null(&j.w);
            flm_json_key(&j.w, "degraded");
            flm_json_bool(&j.w, res.degraded);
            if (res.degraded && res.cloud_err) {
                flm_json_key(&j.w, "cloud_error");
                flm_json_str(&j.w, flm_strerror(res.cloud_err));
            }
            flm_json_key(&j.w, "tokens");
            flm_json_obj_begin(&j.w);
#if FLM_CFG_CLOUD
            if (res.decision.route == FLM_ROUTE_CLOUD && res.cloud.reply && res.cloud.reply->has_usage) {
                flm_json_key(&j.w, "prompt");
                flm_json_int(&j.w, res.cloud.reply->prompt_tokens);
                flm_json_key(&j.w, "completion");
                flm_json_int(&j.w, res.cloud.reply->completion_tokens);
            }
#endif
            if (res.decision.route == FLM_ROUTE_LOCAL) {
                flm_json_key(&j.w, "prompt");
                flm_json_int(&j.w, res.prompt_tokens);
                flm_json_key(&j.w, "completion");
                flm_json_int(&j.w, res.local_tokens);
            }
            flm_json_obj_end(&j.w);
            jrc = flm_cli_json_end(&j, "ask");
        }
        if (err)
            fprintf(stderr, "fieldlm ask: %s\n", flm_strerror(err));
        free(answer.buf);
        flm_runtime_deinit(&rt);
        free(mem);
        return err || jrc ? FLM_EXIT_FAIL : FLM_EXIT_OK;
    }
    fputc('\n', stdout);
    fflush(stdout);

    fprintf(stderr, "route=%s reason=%s score=%s", res.decision.route == FLM_ROUTE_CLOUD ? "cloud" : "local",
            flm_route_reason_name(res.decision.reason), res.decision.scored ? score : "-");
    if (res.degraded && res.cloud_err)
        fprintf(stderr, " degraded (cloud: %s)", flm_strerror(res.cloud_err));
    else if (res.degraded)
        fprintf(stderr, " degraded (offline)");
    if (res.queued)
        fprintf(stderr, " queued=%u", (unsigned)res.queue_seq);
    else if (res.queue_err)
        fprintf(stderr, " not queued (%s)", flm_strerror(res.queue_err));
    if (res.decision.reason == FLM_REASON_LOCAL_BUDGET)
        fprintf(stderr, " cap=%s", flm_budget_cap_name(res.decision.budget_cap));
    if (res.logged)
        fprintf(stderr, " logged=%u", (unsigned)res.log_seq);
    else if (res.log_err)
        fprintf(stderr, " not logged (%s)", flm_strerror(res.log_err));
    fputc('\n', stderr);
    if (res.ledger_err)
        fprintf(stderr, "fieldlm ask: budget ledger not saved: %s\n", flm_strerror(res.ledger_err));
#if FLM_CFG_CLOUD
    if (res.decision.route == FLM_ROUTE_CLOUD && res.cloud.reply && res.cloud.reply->has_usage)
        fprintf(stderr, "tokens: prompt %lld, completion %lld, total %lld (cloud)\n",
                (long long)res.cloud.reply->prompt_tokens,
                (long long)res.cloud.reply->completion_tokens,
                (long long)res.cloud.reply->total_tokens);
#endif
    if (res.decision.route == FLM_ROUTE_LOCAL)
        fprintf(stderr, "tokens: prompt %u, completion %u (local)\n", res.prompt_tokens,
                res.local_tokens);
    if (res.decision.route == FLM_ROUTE_LOCAL && seed == 0 && temp != 0)
        fprintf(stderr, "seed: %llu (drawn; -s %llu repeats this answer)\n",
                (unsigned long long)ec.sampler.seed, (unsigned long long)ec.sampler.seed);
#if FLM_CFG_CLOUD
    /* the link is back: what waited for it goes now, after this answer */
    if (!err && rt.has_queue && cloud && flm_forward_pending(&rt.queue) &&
        flm_hal_link_up() && flm_cloud_available(cloud)) {
        flm_forward_result_t fr;
        flm_err_t ferr = flm_forward_flush(&rt.queue, cloud, rt.has_ledger ? &rt.ledger : NULL,
                                          rt.has_esclog ? &rt.esclog : NULL, 0, &fr);
        fprintf(stderr, "queue: delivered %u, pending %u%s%s\n", (unsigned)fr.delivered,
                (unsigned)fr.pending, ferr ? ": " : "", ferr ? flm_strerror(ferr) : "");
    }
#endif
    if (err)
        fprintf(stderr, "fieldlm ask: %s\n", flm_strerror(err));
    flm_runtime_deinit(&rt);
    free(mem);
    return err ? FLM_EXIT_FAIL : FLM_EXIT_OK;
}
