/* fieldlm serve: the device as a local OpenAI-compatible endpoint, every
 * request answered through the router (core/server/server.h). */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "core/base/config.h"
#include "core/guard/forward.h"
#include "core/router/router_ask.h"
#include "core/runtime/runtime.h"
#include "tools/cli/cli.h"
#include "tools/cli/default_model.h"
#include "tools/cli/opt.h"

#if FLM_CFG_SERVER
#include "core/proto/http.h"
#include "core/server/server.h"
#endif

static const flm_opt_doc_t doc = {
    "serve", "-c CONFIG [--listen HOST:PORT] [options]",
    "Serve the OpenAI API on the device: POST /v1/chat/completions (whole or\n"
    "streamed as server-sent events), POST /v1/completions, GET /v1/models,\n"
    "GET /health, and a kiosk chat page at GET /. Every request goes through\n"
    "the router ([router] of CONFIG): answered by the local model or forwarded\n"
    "to [cloud], as it decides. Each answer's `model` names the one that gave it\n"
    "and the header x-fieldlm-route its reason (local:confident, cloud:difficulty,\n"
    "...). SIGINT or SIGTERM stops it gracefully: no new connection, the running\n"
    "answer finishes (or is cut after shutdown_timeout_ms; a second signal cuts\n"
    "it at once), exit status 0.\n"
    "With [queue] and [cloud], the prompts kept while the link was down are\n"
    "delivered between requests once it is up, one at a time (fieldlm queue\n"
    "collect takes the answers).\n",
    "CONFIG's [server] section: listen (default 127.0.0.1), port (8080), slots (4),\n"
    "body_max (32768), auth_token (clients send \"Authorization: Bearer TOKEN\"),\n"
    "max_tokens (256), model_name, request_timeout_ms, idle_timeout_ms,\n"
    "send_timeout_ms, shutdown_timeout_ms. --listen may name any loopback address;\n"
    "listening beyond this machine takes the address in [server] listen.\n"
    "Exit status: 0 stopped by a signal, 1 failed, 2 bad usage.\n",
};

#if FLM_CFG_SERVER
static flm_server_t srv;
static flm_runtime_t rt;

static void on_signal(int sig)
{
    (void)sig;
    flm_server_stop(&srv);
}

static int64_t clock_s(void)
{
    return (int64_t)time(NULL);
}

#if FLM_CFG_CLOUD
/* Store and forward while serving: between requests, one queued prompt a
 * call is delivered to [cloud] once the link is back (a request waits for
 * at most one delivery), as `fieldlm ask` does after its answer. A failed
 * delivery backs off, doubling from 2 s to 2 min, so a dead endpoint costs
 * the loop one attempt every couple of minutes. */
#define DELIVER_EVERY_MS   2000u
#define DELIVER_BACKOFF_MS 120000u
static uint32_t deliver_wait_ms = DELIVER_EVERY_MS;

static uint32_t deliver_queued(void *user)
{
    flm_runtime_t *r = user;
    if (!r->has_queue || !r->has_cloud || !flm_forward_pending(&r->queue) || !flm_hal_link_up() ||
        !flm_cloud_available(&r->cloud))
        return 0;
    flm_forward_result_t fr;
    flm_err_t err = flm_forward_flush(&r->queue, &r->cloud, r->has_ledger ? &r->ledger : NULL,
                                      r->has_esclog ? &r->esclog : NULL, 1, &fr);
    if (fr.delivered)
        flm_hal_log(FLM_LOG_INFO, "serve: queue: delivered %u, pending %u", (unsigned)fr.delivered,
                    (unsigned)fr.pending);
    if (err || fr.failed) {
        flm_hal_log(FLM_LOG_WARN, "serve: queue: delivery failed (%s), pending %u, next try in %u s",
                    flm_strerror(err ? err : fr.last_err), (unsigned)fr.pending,
                    (unsigned)(deliver_wait_ms / 1000u));
        uint32_t wait = deliver_wait_ms;
        deliver_wait_ms = wait * 2u < DELIVER_BACKOFF_MS ? wait * 2u : DELIVER_BACKOFF_MS;
        return wait;
    }
    deliver_wait_ms = DELIVER_EVERY_MS;
    return fr.pending ? 1u : 0u; /* more waiting: the next idle moment */
}
#endif

/* "127.0.0.1:8080", "[::1]:8080", ":8080", "8080" */
static bool split_listen(const char *s, char *host, size_t cap, long *port)
{
    const char *colon = strrchr(s, ':');
    const char *p = colon ? colon + 1 : s;
    if (!flm_cli_parse_long(p, 0, 65535, port))
        return false;
    host[0] = '\0';
    if (!colon)
        return true;
    const char *h = s;
    size_t n = (size_t)(colon - s);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    if (n >= cap)
        return false;
    memcpy(host, h, n);
    host[n] = '\0';
    return true;
}

/* "models/stories260K.flm" -> "stories260K" */
static void model_name(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".flm") == 0)
        n -= 4;
    if (n >= cap)
        n = cap - 1;
    memcpy(out, base, n);
    out[n] = '\0';
    if (!out[0])
        snprintf(out, cap, "fieldlm-local");
}
#endif

FLM_CLI_COMMAND(serve, "serve the OpenAI API on the device, every request through the router")
{
    long threads = -1;
    const char *verify = NULL;
    const char *config = NULL, *model = NULL, *listen_arg = NULL, *port_file = NULL;
    long seed = 0, pace = 0;
    uint32_t temp = 0, top_p = 58982; /* greedy; 0.9 */
    bool quiet = false;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('c', "config", &config, "FILE", "device configuration"),
        FLM_OPT_STR('m', "model", &model, "FILE", "model image (default: [model] path, else the shipped model)"),
        FLM_OPT_STR('l', "listen", &listen_arg, "HOST:PORT",
                    "where to listen (default: [server] listen and port)"),
        FLM_OPT_STR(0, "port-file", &port_file, "FILE", "write the port listened on to FILE"),
        { 't', "temp", "temperature", FLM_OPT_KIND_Q16, &temp, 0, 100, "T",
          "local: default temperature, 0 = greedy (default 0)" },
        FLM_OPT_Q16(0, "top-p", &top_p, 0, 1, "P", "local: default nucleus mass (default 0.9)"),
        FLM_OPT_LONG('s', "seed", &seed, 0, 0x7FFFFFFF, "N", "local: PRNG seed (0 = drawn at start)"),
        FLM_OPT_LONG(0, "pace-ms", &pace, 0, 10000, "MS",
                     "demos: at least MS between streamed pieces (default 0)"),
        FLM_OPT_FLAG('q', "quiet", &quiet, "log warnings only, not each request"),
        FLM_CLI_OPT_THREADS(&threads),
        FLM_CLI_OPT_VERIFY(&verify),
        FLM_OPT_END
    };
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, NULL, 0, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (flm_cli_verify_bad("serve", verify))
        return FLM_EXIT_USAGE;
    if (!config)
        return flm_cli_usage_error("serve", "-c CONFIG is required");
#if !FLM_CFG_SERVER
    (void)model, (void)listen_arg, (void)port_file, (void)seed, (void)pace, (void)temp, (void)top_p;
    (void)quiet;
    fprintf(stderr, "fieldlm serve: this build has no server (FLM_CFG_SERVER 0)\n");
    return FLM_EXIT_FAIL;
#else
    char host[FLM_SERVER_ADDR_MAX] = "";
    long port = -1;
    if (listen_arg && !split_listen(listen_arg, host, sizeof host, &port))
        return flm_cli_usage_error("serve", "--listen %s: want HOST:PORT, [IPv6]:PORT or PORT",
                                   listen_arg);
#if defined(__linux__)
    prctl(PR_SET_DUMPABLE, 0); /* no core dump may carry the API key or the token */
#endif
    signal(SIGPIPE, SIG_IGN);

    char default_path[1024], why[1400];
    flm_runtime_config_t rc = { .threads = flm_cli_threads(threads),
                                .model_verify = verify, .config_path = config, .model_path = model,
                                .need_model = true, .need_router = true };
    if (!model) /* the shipped model when neither -m nor [model] path names one */
        rc.default_model_path = flm_cli_default_model(default_path, sizeof default_path, why, sizeof why);
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm serve: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    const flm_server_settings_t *ss = &rt.settings.server;
    if (!host[0])
        snprintf(host, sizeof host, "%s", ss->listen);
    if (port < 0)
        port = (long)ss->port;
    /* beyond loopback only where the device's own file says so */
    if (!flm_http_host_is_loopback(host) && strcmp(host, ss->listen) != 0) {
        flm_runtime_deinit(&rt);
        return flm_cli_usage_error("serve", "--listen %s: only a loopback address may be given "
                                   "here; listening beyond this machine takes [server] listen = "
                                   "%s in %s", listen_arg, host, config);
    }

    flm_engine_config_t ec = {
        .max_prompt_bytes = ss->body_max + 1, /* a prompt is never longer than its body */
        .sampler = { .temperature = temp, .top_p = top_p,
                     .seed = seed ? (uint64_t)seed : flm_runtime_draw_seed() },
    };
    size_t srv_need = 0;
    uint8_t *mem, *srv_mem = NULL;
    flm_err_t err = flm_cli_engine_init(&rt, &ec, &mem);
    char name[FLM_SERVER_NAME_MAX];
    if (ss->model_name[0])
        snprintf(name, sizeof name, "%s", ss->model_name);
    else
        model_name(rt.model_file ? rt.model_file : "model", name, sizeof name);
    flm_server_config_t sc = {
        .settings = ss, .router = &rt.router, .local_model = name, .sampling = ec.sampler,
        .pace_ms = (uint32_t)pace, .clock_s = clock_s,
    };
#if FLM_CFG_CLOUD
    if (rt.has_cloud) {
        sc.cloud = &rt.cloud;
        sc.cloud_model = rt.settings.cloud.model;
    }
    if (rt.has_queue && rt.has_cloud) {
        sc.idle = deliver_queued;
        sc.idle_user = &rt;
        sc.idle_every_ms = DELIVER_EVERY_MS;
    }
#endif
    if (!err)
        err = flm_server_ram(&sc, &srv_need);
    if (!err) {
        srv_mem = malloc(srv_need);
        err = srv_mem ? flm_server_init(&srv, &sc, srv_mem, srv_need) : FLM_ERR_NOMEM;
    }
    if (!err) {
        err = flm_server_listen(&srv, host, (uint16_t)port);
        if (err)
            fprintf(stderr, "fieldlm serve: cannot listen on %s:%ld: %s\n", host, port,
                    flm_strerror(err));
    } else {
        fprintf(stderr, "fieldlm serve: %s\n", rt.detail[0] ? rt.detail : flm_strerror(err));
    }
    if (err) {
        flm_server_deinit(&srv);
        flm_runtime_deinit(&rt);
        free(mem);
        free(srv_mem);
        return FLM_EXIT_FAIL;
    }
    uint16_t bound = flm_server_port(&srv);
    if (port_file) {
        char line[16];
        int n = snprintf(line, sizeof line, "%u\n", (unsigned)bound);
        if (flm_cli_write_file("serve", port_file, line, (size_t)n) != 0) {
            flm_server_deinit(&srv);
            flm_runtime_deinit(&rt);
            free(mem);
            free(srv_mem);
            return FLM_EXIT_FAIL;
        }
    }
    bool v6 = strchr(host, ':') != NULL;
    fprintf(stderr, "fieldlm serve: http://%s%s%s:%u/ (%u slots, %zu KiB; local %s, cloud %s%s)\n",
            v6 ? "[" : "", host, v6 ? "]" : "", (unsigned)bound, (unsigned)ss->slots,
            srv_need / 1024, name, sc.cloud_model ? sc.cloud_model : "none",
            ss->auth_token[0] ? "; bearer token required" : "");
    if (!flm_http_host_is_loopback(host) && !ss->auth_token[0])
        fprintf(stderr, "fieldlm serve: warning: listening beyond loopback without auth_token\n");
    fflush(stderr);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    flm_hal_log_set_level(quiet ? FLM_LOG_WARN : FLM_LOG_INFO);

    err = flm_server_run(&srv);
    /* Stopped: what is left takes milliseconds. A late signal (a supervisor
     * repeating its SIGTERM) is dropped instead of interrupting the exit,
     * where LeakSanitizer's check, stopping the process to read it, hangs
     * on a signal that arrives meanwhile. */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    flm_server_stats_t st;
    flm_server_stats(&srv, &st);
    flm_server_deinit(&srv);
    flm_runtime_deinit(&rt); /* flushes what the runtime keeps and wipes the secrets */
    free(mem);
    free(srv_mem);
    if (err) {
        fprintf(stderr, "fieldlm serve: %s\n", flm_strerror(err));
        return FLM_EXIT_FAIL;
    }
    fprintf(stderr, "fieldlm serve: stopped (%llu requests, %llu answers, %llu refused)\n",
            (unsigned long long)st.requests, (unsigned long long)st.answers,
            (unsigned long long)st.refused);
    return FLM_EXIT_OK;
#endif
}
