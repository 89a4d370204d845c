/*
 * fieldlm cloud -c CONFIG -p PROMPT [--stream]: send one prompt to the
 * configured OpenAI-compatible endpoint and print the answer.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "core/cloud/cloud_client.h"
#include "core/cloud/cloud_config.h"
#include "core/base/wipe.h"
#include "port/mbedtls/net.h"
#include "port/mbedtls/tls_pool.h"
#include "tools/cli/cli.h"
#include "tools/cli/opt.h"

#define FILE_MAX (4u << 20) /* config or CA bundle */

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

typedef struct {
    flm_cloud_settings_t set;
    char                *ca_pem;   /* trusted CAs: set.ca_pem or ca_file's text */
    char                *ca_owned; /* ca_file's text, freed at the end */
    flm_net_t            net;
} cloud_cli_t;

/* Reads a whole file (up to FILE_MAX) as a NUL-terminated string. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
    bool ok = buf && !ferror(f) && n <= FILE_MAX;
    fclose(f);
    if (!ok) {
        free(buf);
        errno = EFBIG;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static flm_err_t on_delta(void *user, const char *text, size_t n)
{
    (void)user;
    fwrite(text, 1, n, stdout);
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

/* The client's connect callback: TLS or (loopback) plain TCP per the URL. */
static flm_err_t connect_cb(void *user, const char *host, uint16_t port, uint32_t timeout_ms,
                            flm_transport_t *t)
{
    cloud_cli_t *c = user;
    flm_net_config_t nc = {
        .ca_pem = c->ca_pem,
        .connect_timeout_ms = timeout_ms,
        .allow_plain_tcp = c->set.allow_plain_tcp,
    };
    flm_net_init(&c->net);
    return flm_net_open(&c->net, &nc, c->set.endpoint.tls, host, port, t);
}

/* ---- the command ---------------------------------------------------------- */

static int load(cloud_cli_t *c, const char *config_path)
{
    size_t len;
    char *text = read_file(config_path, &len);
    if (!text) {
        fprintf(stderr, "fieldlm cloud: %s: %s\n", config_path, strerror(errno));
        return FLM_EXIT_FAIL;
    }
    flm_ini_error_t ierr;
    flm_err_t err = flm_cloud_config_parse(&c->set, text, len, &ierr);
    flm_wipe(text, len); /* the file may hold the key */
    free(text);
    if (err) {
        char msg[4096 + FLM_INI_MSG_MAX + 16]; /* room for a PATH_MAX-long path */
        flm_ini_error_format(&ierr, config_path, msg, sizeof msg);
        fprintf(stderr, "fieldlm cloud: %s\n", msg);
        return FLM_EXIT_FAIL;
    }
    if (c->set.api_key_env[0]) {
        const char *key = getenv(c->set.api_key_env);
        if (!key || !*key) {
            fprintf(stderr, "fieldlm cloud: environment variable %s (api_key_env) is not set\n",
                    c->set.api_key_env);
            return FLM_EXIT_FAIL;
        }
        if (flm_cloud_config_set_key(&c->set, key)) {
            fprintf(stderr, "fieldlm cloud: the key in %s is malformed\n", c->set.api_key_env);
            return FLM_EXIT_FAIL;
        }
    }
    if (c->set.ca_file[0]) {
        c->ca_owned = read_file(c->set.ca_file, &len);
        if (!c->ca_owned) {
            fprintf(stderr, "fieldlm cloud: ca_file %s: %s\n", c->set.ca_file, strerror(errno));
            return FLM_EXIT_FAIL;
        }
        c->ca_pem = c->ca_owned;
    } else if (c->set.ca_pem[0]) {
        c->ca_pem = c->set.ca_pem;
    }
    return FLM_EXIT_OK;
}

/* Report one request's outcome; returns its exit status. */
static int report(const cloud_cli_t *c, const flm_cloud_request_t *rq, flm_err_t err,
                  const flm_cloud_result_t *res)
{
    const flm_openai_result_t *reply = res->reply;
    int status = FLM_EXIT_OK;
    if (err) {
        bool partial = rq->stream && reply && reply->text_len;
        fprintf(stderr, "%sfieldlm cloud: %s: %s", partial ? "\n" : "", c->set.url, flm_strerror(err));
        if (res->http_status && res->http_status / 100 != 2)
            fprintf(stderr, " (HTTP %d)", res->http_status);
        if (reply && reply->api_error)
            fprintf(stderr, ": %s", reply->err_message); /* the client masked the key */
        fputc('\n', stderr);
        status = FLM_EXIT_FAIL;
    } else {
        if (!rq->stream)
            fwrite(reply->text, 1, reply->text_len, stdout);
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
    if (c->set.endpoint.tls) {
        flm_tls_pool_stats_t ps;
        flm_tls_pool_stats(&ps);
        fprintf(stderr, "tls pool: high-water %zu of %zu bytes, %zu in use\n",
                ps.high_water, ps.size, ps.used);
    }
    return status;
}

/* Send the prompt `repeat` times through one client, so retries and the
 * circuit breaker see the whole series. */
static int run(cloud_cli_t *c, const flm_cloud_request_t *rq, long repeat)
{
    static flm_cloud_client_t client;
    static char path[FLM_CLOUD_PATH_MAX];
    flm_cloud_config_t cc;
    flm_err_t err = flm_cloud_config_client(&c->set, path, sizeof path, &cc);
    if (err) {
        fprintf(stderr, "fieldlm cloud: %s\n", flm_strerror(err));
        return FLM_EXIT_FAIL;
    }
    cc.connect = connect_cb;
    cc.connect_user = c;
    err = flm_cloud_init(&client, &cc);
    if (err) {
        fprintf(stderr, "fieldlm cloud: %s\n", flm_strerror(err));
        return FLM_EXIT_FAIL;
    }
    int status = FLM_EXIT_OK;
    for (long i = 0; i < repeat && !interrupted; i++) {
        flm_cloud_result_t res;
        flm_tls_pool_reset_peak();
        err = flm_cloud_complete(&client, rq, &res);
        if (report(c, rq, err, &res) != FLM_EXIT_OK)
            status = FLM_EXIT_FAIL;
    }
    flm_cloud_deinit(&client);
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
    int npos;
    switch (flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos)) {
    case FLM_OPT_HELP:  return FLM_EXIT_OK;
    case FLM_OPT_USAGE: return FLM_EXIT_USAGE;
    case FLM_OPT_OK:    break;
    }
    if (!config || !prompt)
        return flm_cli_usage_error("cloud", "-c CONFIG and -p PROMPT are required");

#if defined(__linux__)
    prctl(PR_SET_DUMPABLE, 0); /* no core dump may carry the API key */
#endif
    signal(SIGPIPE, SIG_IGN);
    cloud_cli_t *c = calloc(1, sizeof *c);
    if (!c)
        return FLM_EXIT_FAIL;
    int status = load(c, config);
    if (status == FLM_EXIT_OK) {
        flm_cloud_request_t rq = {
            .system = system, .prompt = prompt, .max_tokens = (int32_t)max_tokens,
            .temperature_milli = -1, .stream = stream,
            .on_delta = stream ? on_delta : NULL, .cancelled = cancelled,
        };
        signal(SIGINT, on_sigint); /* Ctrl-C cancels the request cleanly */
        status = run(c, &rq, repeat);
    }
    flm_cloud_config_deinit(&c->set);
    free(c->ca_owned);
    free(c);
    return status;
}
