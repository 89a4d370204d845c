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

#include "core/cloud_config.h"
#include "core/http.h"
#include "core/openai.h"
#include "port/mbedtls/net.h"
#include "port/mbedtls/tls_pool.h"
#include "tools/cli/cli.h"

#define FILE_MAX   (4u << 20) /* config or CA bundle */
#define REQ_MAX    (64u << 10)
#define BODY_MAX   (1u << 20)
#define TEXT_MAX   (256u << 10)
#define EVENT_MAX  (64u << 10)

static const char help[] =
    "usage: fieldlm cloud -c CONFIG -p PROMPT [--stream] [--system TEXT] [--max-tokens N]\n"
    "\n"
    "Send one prompt to the OpenAI-compatible endpoint named in CONFIG and print\n"
    "the answer on stdout (as it arrives with --stream). Token usage and the TLS\n"
    "pool's high-water mark go to stderr.\n"
    "\n"
    "  -c, --config FILE   endpoint configuration (key = value lines):\n"
    "                        url, model, api_key | api_key_env, ca_file | ca_pem,\n"
    "                        connect_timeout_ms, request_timeout_ms, read_timeout_ms,\n"
    "                        max_retries, allow_plain_tcp\n"
    "  -p, --prompt TEXT   the user message\n"
    "      --stream        ask for a streamed answer (server-sent events)\n"
    "      --system TEXT   a system message before the prompt\n"
    "      --max-tokens N  cap the answer's length (default: the server's)\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit status: 0 answered, 1 failed (message on stderr), 2 bad usage.\n";

typedef struct {
    flm_cloud_settings_t cfg;
    char              *ca_pem;    /* trusted CAs: cfg.ca_pem or ca_file's text */
    char              *ca_owned;  /* ca_file's text, freed at the end */
    flm_net_t          net;
    bool               stream;
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

/* Print a server's message with every copy of the API key masked: some
 * servers quote the key they refused. */
static void print_masked(const char *msg, const char *key)
{
    size_t klen = strlen(key);
    while (*msg) {
        const char *hit = klen >= 4 ? strstr(msg, key) : NULL;
        size_t n = hit ? (size_t)(hit - msg) : strlen(msg);
        fwrite(msg, 1, n, stderr);
        if (!hit)
            break;
        fputs("***", stderr);
        msg = hit + klen;
    }
}

static flm_err_t on_delta(void *user, const char *text, size_t n)
{
    (void)user;
    fwrite(text, 1, n, stdout);
    fflush(stdout);
    return FLM_OK;
}

/* ---- connections -------------------------------------------------------- */

static flm_err_t open_conn(void *user, flm_transport_t *out)
{
    cloud_cli_t *c = user;
    flm_net_config_t nc = {
        .ca_pem = c->ca_pem,
        .connect_timeout_ms = c->cfg.connect_timeout_ms,
        .allow_plain_tcp = c->cfg.allow_plain_tcp,
    };
    flm_net_init(&c->net);
    return flm_net_open(&c->net, &nc, c->cfg.endpoint.tls, c->cfg.endpoint.host,
                        c->cfg.endpoint.port, out);
}

/* ---- one exchange --------------------------------------------------------- */

typedef struct {
    flm_http_parser_t   http;
    flm_openai_result_t res;
    flm_openai_stream_t st;
    bool                stream;
    char               *body;
    size_t              body_len;
} reply_t;

static flm_err_t on_body(void *user, const uint8_t *data, size_t n)
{
    reply_t *r = user;
    if (r->stream && r->http.status / 100 == 2)
        return flm_openai_stream_feed(&r->st, data, n);
    if (n > BODY_MAX - r->body_len)
        return FLM_ERR_HTTP_BODY_TOO_LARGE;
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    return FLM_OK;
}

static int send_all(flm_transport_t *t, const char *buf, size_t n, uint32_t timeout_ms)
{
    while (n > 0) {
        int w = t->send(t->ctx, (const uint8_t *)buf, n, timeout_ms);
        if (w < 0)
            return w;
        buf += w;
        n -= (size_t)w;
    }
    return FLM_OK;
}

static flm_err_t exchange(cloud_cli_t *c, const flm_openai_request_t *rq, reply_t *r)
{
    static char req[REQ_MAX], head[8192], path[FLM_URL_PATH_MAX + 32];
    size_t req_len, head_len;
    flm_err_t err = flm_openai_write_request(rq, req, sizeof req, &req_len);
    if (err)
        return err;
    const char *base = strcmp(c->cfg.endpoint.path, "/") == 0 ? "" : c->cfg.endpoint.path;
    snprintf(path, sizeof path, "%s/chat/completions", base);
    flm_http_request_t hr = {
        .method = "POST", .host = c->cfg.endpoint.host, .port = c->cfg.endpoint.port,
        .path = path, .bearer = c->cfg.api_key[0] ? c->cfg.api_key : NULL,
        .content_type = "application/json",
        .accept = rq->stream ? "text/event-stream" : "application/json",
        .body_len = req_len,
    };
    err = flm_http_write_head(&hr, head, sizeof head, &head_len);
    if (err)
        return err;

    flm_transport_t t;
    err = open_conn(c, &t);
    if (err)
        return err;
    uint32_t to = c->cfg.read_timeout_ms;
    int rc = send_all(&t, head, head_len, to);
    if (rc == 0)
        rc = send_all(&t, req, req_len, to);
    memset(head, 0, sizeof head); /* it held the key */
    flm_http_parser_init(&r->http, FLM_HTTP_RESPONSE, BODY_MAX * 64, on_body, NULL, r);
    uint8_t buf[4096];
    while (rc == 0 && !flm_http_done(&r->http)) {
        int n = t.recv(t.ctx, buf, sizeof buf, to);
        if (n == FLM_ERR_NET_CLOSED)
            rc = flm_http_finish(&r->http);
        else if (n < 0)
            rc = n;
        else
            rc = flm_http_parse(&r->http, buf, (size_t)n, NULL);
        if (rc == 0 && n == FLM_ERR_NET_CLOSED)
            break;
    }
    t.close(t.ctx);
    if (rc)
        return rc;
    if (r->http.status / 100 != 2) {
        err = flm_openai_parse_error(&r->res, r->body, r->body_len);
        return err == FLM_ERR_NOT_FOUND ? FLM_ERR_CLOUD_HTTP_STATUS : err;
    }
    if (r->stream)
        return flm_openai_stream_finish(&r->st);
    return flm_openai_parse_response(&r->res, r->body, r->body_len);
}

/* ---- the command ---------------------------------------------------------- */

static int fail(const cloud_cli_t *c, const char *what, flm_err_t err)
{
    fprintf(stderr, "fieldlm cloud: %s: %s", what, flm_strerror(err));
    (void)c;
    fputc('\n', stderr);
    return FLM_EXIT_FAIL;
}

static int load(cloud_cli_t *c, const char *config_path)
{
    size_t len;
    char *text = read_file(config_path, &len);
    if (!text) {
        fprintf(stderr, "fieldlm cloud: %s: %s\n", config_path, strerror(errno));
        return FLM_EXIT_FAIL;
    }
    uint32_t line = 0;
    flm_err_t err = flm_cloud_config_parse(&c->cfg, text, len, &line);
    memset(text, 0, len); /* the file may hold the key */
    free(text);
    if (err) {
        if (line)
            fprintf(stderr, "fieldlm cloud: %s:%u: %s\n", config_path, line, flm_strerror(err));
        else
            fprintf(stderr, "fieldlm cloud: %s: %s (url and model are required; api_key and "
                            "api_key_env, ca_file and ca_pem exclude each other; https needs "
                            "ca_file or ca_pem)\n", config_path, flm_strerror(err));
        return FLM_EXIT_FAIL;
    }
    if (c->cfg.api_key_env[0]) {
        const char *key = getenv(c->cfg.api_key_env);
        if (!key || !*key) {
            fprintf(stderr, "fieldlm cloud: environment variable %s (api_key_env) is not set\n",
                    c->cfg.api_key_env);
            return FLM_EXIT_FAIL;
        }
        if (flm_cloud_config_set_key(&c->cfg, key)) {
            fprintf(stderr, "fieldlm cloud: the key in %s is malformed\n", c->cfg.api_key_env);
            return FLM_EXIT_FAIL;
        }
    }
    if (c->cfg.ca_file[0]) {
        c->ca_owned = read_file(c->cfg.ca_file, &len);
        if (!c->ca_owned) {
            fprintf(stderr, "fieldlm cloud: ca_file %s: %s\n", c->cfg.ca_file, strerror(errno));
            return FLM_EXIT_FAIL;
        }
        c->ca_pem = c->ca_owned;
    } else if (c->cfg.ca_pem[0]) {
        c->ca_pem = c->cfg.ca_pem;
    }
    return FLM_EXIT_OK;
}

static int run(cloud_cli_t *c, const flm_openai_request_t *rq)
{
    static char text[TEXT_MAX], event[EVENT_MAX];
    reply_t *r = calloc(1, sizeof *r);
    if (!r || !(r->body = malloc(BODY_MAX)))
        return fail(c, "memory", FLM_ERR_NOMEM);
    r->stream = rq->stream;
    flm_openai_result_init(&r->res, text, sizeof text, rq->stream ? on_delta : NULL, c);
    flm_openai_stream_init(&r->st, event, sizeof event, &r->res);

    flm_tls_pool_reset_peak();
    flm_err_t err = exchange(c, rq, r);
    int status = FLM_EXIT_OK;
    if (err) {
        fprintf(stderr, "%sfieldlm cloud: %s: %s", rq->stream && r->res.text_len ? "\n" : "",
                c->cfg.url, flm_strerror(err));
        if (r->http.status && r->http.status / 100 != 2)
            fprintf(stderr, " (HTTP %d)", r->http.status);
        if (r->res.api_error) {
            fputs(": ", stderr);
            print_masked(r->res.err_message, c->cfg.api_key);
        }
        fputc('\n', stderr);
        status = FLM_EXIT_FAIL;
    } else {
        if (!rq->stream)
            fwrite(r->res.text, 1, r->res.text_len, stdout);
        fputc('\n', stdout);
        if (r->res.has_usage)
            fprintf(stderr, "tokens: prompt %lld, completion %lld, total %lld\n",
                    (long long)r->res.prompt_tokens, (long long)r->res.completion_tokens,
                    (long long)r->res.total_tokens);
    }
    if (c->cfg.endpoint.tls) {
        flm_tls_pool_stats_t ps;
        flm_tls_pool_stats(&ps);
        fprintf(stderr, "tls pool: high-water %zu of %zu bytes, %zu in use\n",
                ps.high_water, ps.size, ps.used);
    }
    free(r->body);
    free(r);
    return status;
}

int flm_cmd_cloud(int argc, char **argv)
{
    const char *config = NULL, *prompt = NULL, *system = NULL;
    long max_tokens = 0;
    bool stream = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_v = i + 1 < argc;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            return FLM_EXIT_OK;
        } else if (strcmp(a, "--stream") == 0) {
            stream = true;
        } else if ((strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) && has_v) {
            config = argv[++i];
        } else if ((strcmp(a, "-p") == 0 || strcmp(a, "--prompt") == 0) && has_v) {
            prompt = argv[++i];
        } else if (strcmp(a, "--system") == 0 && has_v) {
            system = argv[++i];
        } else if (strcmp(a, "--max-tokens") == 0 && has_v) {
            if (!flm_cli_parse_long(argv[++i], 1, 1000000, &max_tokens))
                return flm_cli_usage_error("cloud", "--max-tokens needs an integer in [1, 1000000]");
        } else {
            return flm_cli_usage_error("cloud", "unknown option or missing value '%s'", a);
        }
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
    c->stream = stream;
    int status = load(c, config);
    if (status == FLM_EXIT_OK) {
        flm_openai_request_t rq = {
            .model = c->cfg.model, .system = system, .prompt = prompt,
            .max_tokens = (int32_t)max_tokens, .temperature_milli = -1,
            .stream = stream, .include_usage = stream,
        };
        status = run(c, &rq);
    }
    flm_cloud_config_deinit(&c->cfg);
    free(c->ca_owned);
    free(c);
    return status;
}
