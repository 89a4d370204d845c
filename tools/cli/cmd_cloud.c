/*
 * fieldlm cloud -c CONFIG -p PROMPT [--stream]: send one prompt to the
 * configured OpenAI-compatible endpoint and print the answer.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "core/runtime/runtime.h"
#include "port/mbedtls/tls_pool.h"
#include "tools/cli/cli.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "cloud", "-c CONFIG -p PROMPT [--stream] [--system TEXT] [--max-tokens N]\n"
             "                     [--repeat N]",
    "Send one prompt to the OpenAI-compatible endpoint named in CONFIG and print\n"
    "the answer on stdout (as it arrives with --stream). Token usage and the TLS\n"
    "pool's high-water mark go to stderr.\n",
    "CONFIG holds a [cloud] section (a file without sections is all [cloud]):\n"
    "url, model, api_key | api_key_env, ca_file | ca_pem, connect_timeout_ms,\n"
    "request_timeout_ms, read_timeout_ms, max_retries, breaker_threshold,\n"
    "breaker_cooldown_ms, allow_plain_tcp.\n"
    "\n"
    "Exit status: 0 answered, 1 failed (message on stderr), 2 bad usage.\n",
};

/* On a terminal the answer (the server's text) is filtered as `run`
 * filters tokens: control bytes other than newline and tab are dropped, so
 * no escape sequence, bell or carriage return reaches the screen; C1
 * controls (U+0080..U+009F, two bytes each) too. Piped, it is written as
 * it came. A delta is one JSON string, so a character never spans two. */
static bool filter_answer;

static void put_answer(const char *text, size_t n)
{
    if (!filter_answer) {
        fwrite(text, 1, n, stdout);
        return;
    }
    const unsigned char *u = (const unsigned char *)text;
    for (size_t i = 0; i < n; i++) {
        if (u[i] == 0xC2 && i + 1 < n && u[i + 1] >= 0x80 && u[i + 1] <= 0x9F) {
            i++;
            continue;
        }
        if ((u[i] < 0x20 && u[i] != '\n' && u[i] != '\t') || u[i] == 0x7F)
            continue;
        fputc(u[i], stdout);
    }
}

static flm_err_t on_delta(void *user, const char *text, size_t n)
{
    (void)user;
    put_answer(text, n);
    fflush(stdout);
    return FLM_OK;
}

/* ---- connections -------------------------------------------------------- */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static bool cancelled(void *user)
{
    (void)user;
    return interrupted != 0;
}

/* ---- the command ---------------------------------------------------------- */

/* Report one request's outcome; returns its exit status. */
static int report(const flm_cloud_settings_t *set, const flm_cloud_request_t *rq, flm_err_t err,
                  const flm_cloud_result_t *res)
{
    const flm_openai_result_t *reply = res->reply;
    int status = FLM_EXIT_OK;
    if (err) {
        bool partial = rq->stream && reply && reply->text_len;
        fprintf(stderr, "%sfieldlm cloud: %s: %s", partial ? "\n" : "", set->url, flm_strerror(err));
        if (res->http_status && res->http_status / 100 != 2)
            fprintf(stderr, " (HTTP %d)", res->http_status);
        if (reply && reply->api_error) /* masked and escaped by the client (openai.h) */
            fprintf(stderr, ": %s", reply->err_message);
        fputc('\n', stderr);
        status = FLM_EXIT_FAIL;
    } else {
        if (!rq->stream)
            put_answer(reply->text, reply->text_len);
        fputc('\n', stdout);
        fflush(stdout);
        if (reply->has_usage)
            fprintf(stderr, "tokens: prompt %lld, completion %lld, total %lld\n",
                    (long long)reply->prompt_tokens, (long long)reply->completion_tokens,
                    (long long)reply->total_tokens);
    }
    if (res->attempts > 1)
        fprintf(stderr, "attempts: %u, waited %u ms\n", res->attempts, res->waited_ms);
    fprintf(stderr, "time: %u ms\n", res->elapsed_ms);
    if (set->endpoint.tls) {
        flm_tls_pool_stats_t ps;
        flm_tls_pool_stats(&ps);
        fprintf(stderr, "tls pool: high-water %zu of %zu bytes, %zu in use\n",
                ps.high_water, ps.size, ps.used);
    }
    return status;
}

/* Send the prompt `repeat` times through one client, so retries and the
 * circuit breaker see the whole series. */
static int run(flm_runtime_t *rt, const flm_cloud_request_t *rq, long repeat)
{
    int status = FLM_EXIT_OK;
    for (long i = 0; i < repeat && !interrupted; i++) {
        flm_cloud_result_t res;
        flm_tls_pool_reset_peak();
        flm_err_t err = flm_cloud_complete(&rt->cloud, rq, &res);
        if (report(&rt->settings.cloud, rq, err, &res) != FLM_EXIT_OK)
            status = FLM_EXIT_FAIL;
    }
    return status;
}

FLM_CLI_COMMAND(cloud, "send one prompt to an OpenAI-compatible endpoint")
{
    const char *config = NULL, *prompt = NULL, *system = NULL;
    long max_tokens = 0, repeat = 1;
    bool stream = false;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('c', "config", &config, "FILE", "endpoint configuration"),
        FLM_OPT_STR('p', "prompt", &prompt, "TEXT", "the user message"),
        FLM_OPT_FLAG(0, "stream", &stream, "ask for a streamed answer (server-sent events)"),
        FLM_OPT_STR(0, "system", &system, "TEXT", "a system message before the prompt"),
        FLM_OPT_LONG(0, "max-tokens", &max_tokens, 1, 1000000, "N",
                     "cap the answer's length (default: the server's)"),
        FLM_OPT_LONG(0, "repeat", &repeat, 1, 100000, "N",
                     "send the prompt N times through one client (retries and the\n"
                     "circuit breaker see the whole series; exit 1 if any failed)"),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (!config || !prompt)
        return flm_cli_usage_error("cloud", "-c CONFIG and -p PROMPT are required");

#if defined(__linux__)
    prctl(PR_SET_DUMPABLE, 0); /* no core dump may carry the API key */
#endif
    signal(SIGPIPE, SIG_IGN);
    filter_answer = isatty(STDOUT_FILENO) != 0;
    static flm_runtime_t rt; /* 0.5 MiB with the CA bundle's text: not for the stack */
    flm_runtime_config_t rc = {
        .config_path = config, .config_default_section = "cloud", .need_cloud = true,
    };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm cloud: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    flm_cloud_request_t rq = {
        .system = system, .prompt = prompt, .max_tokens = (int32_t)max_tokens,
        .temperature_milli = -1, .stream = stream,
        .on_delta = stream ? on_delta : NULL, .cancelled = cancelled,
    };
    signal(SIGINT, on_sigint); /* Ctrl-C cancels the request cleanly */
    status = run(&rt, &rq, repeat);
    flm_runtime_deinit(&rt);
    return status;
}
