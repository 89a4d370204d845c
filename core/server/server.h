/*
 * The device as an OpenAI-compatible endpoint (`fieldlm serve`): kiosks and
 * gateways that speak the OpenAI API point at the device instead of the
 * cloud, and every request goes through the router (flm_router_ask) and
 * its guards, answered on the device or forwarded as it decides.
 *
 *   POST /v1/chat/completions   chat.completion, or SSE chat.completion.chunk
 *                               events ending in "data: [DONE]"
 *   POST /v1/completions        text_completion (what a story model does)
 *   GET  /v1/models[/ID]        the local model and the cloud's
 *   GET  /health                {"status":"ok","slots":..,"busy":..}
 *   GET  /                      the kiosk page (core/server/kiosk.c)
 *
 * Each answer says which route served it: `model` names the local model or
 * the cloud's, the header x-fieldlm-route carries the reason code
 * ("local:confident", "cloud:difficulty", "local:cloud-failed"), and
 * `usage` counts the engine's tokens or repeats the cloud's.
 *
 * HTTP/1.1: keep-alive, Content-Length and chunked request bodies, Expect:
 * 100-continue, pipelined requests answered in order. Beyond the slots a
 * connection gets 503 with Retry-After (a slot held only by an idle
 * keep-alive connection is given up first); a body over body_max 413;
 * malformed JSON, a wrong type or a missing field 400 with an OpenAI error
 * object ({"error":{"message","type","param","code"}}); an unknown path
 * 404; a wrong method 405; with an auth_token, /v1/ without "Authorization:
 * Bearer TOKEN" 401 (compared in constant time).
 *
 * One loop, no threads, no heap: everything lives in the caller's memory,
 * sized at start by flm_server_ram() from the settings. The device has one
 * engine, so answers are generated one at a time, oldest request first;
 * while one is generated the loop keeps serving the other connections from
 * its callbacks (accepting, reading, answering /health, /v1/models, errors,
 * queueing the next generation), and a client that hangs up frees its slot
 * at once and stops its generation. flm_server_stop() (from a signal
 * handler) stops accepting, lets the running answer finish within
 * shutdown_timeout_ms (then cuts it), answers the queued ones 503, closes
 * everything and makes flm_server_run() return FLM_OK.
 *
 *   static flm_server_t srv;
 *   flm_server_config_t cfg = { .settings = &rt.settings.server, .router = &rt.router,
 *                               .cloud = &rt.cloud, .local_model = "stories260K",
 *                               .cloud_model = rt.settings.cloud.model };
 *   flm_server_ram(&cfg, &need);
 *   flm_server_init(&srv, &cfg, mem, need);
 *   flm_server_listen(&srv, "127.0.0.1", 8080);
 *   flm_server_run(&srv);                      until flm_server_stop(&srv)
 *   flm_server_deinit(&srv);
 */
#ifndef FLM_SERVER_H
#define FLM_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/base/ini.h"
#include "core/hal/hal.h"
#include "core/infer/sampler.h"
#include "core/proto/http.h"
#include "core/router/router_ask.h"

/* ---- the [server] section ------------------------------------------------- */

#define FLM_SERVER_ADDR_MAX 64

/*   [server]
 *   listen              = 127.0.0.1   address to bind; loopback unless given here
 *   port                = 8080
 *   slots               = 4           connections at once (each a slot sized at start)
 *   body_max            = 32768       largest request body (bytes); 413 above
 *   auth_token          = ...         clients must send "Authorization: Bearer ..."
 *   max_tokens          = 256         an answer's cap when the request sets none
 *   model_name          = ...         the local model's name in answers (default: its file's)
 *   request_timeout_ms  = 10000       a request's head and body must arrive within it
 *   idle_timeout_ms     = 5000        a keep-alive connection may wait this long
 *   send_timeout_ms     = 10000       a client that stops reading is dropped after it
 *   shutdown_timeout_ms = 5000        on SIGTERM, the running answer's grace */
typedef struct {
    char     listen[FLM_SERVER_ADDR_MAX];
    uint32_t port;
    uint32_t slots;
    uint32_t body_max;
    char     auth_token[FLM_SERVER_TOKEN_MAX]; /* secret; "" : no auth */
    uint32_t max_tokens;
    char     model_name[FLM_SERVER_NAME_MAX];
    uint32_t request_timeout_ms;
    uint32_t idle_timeout_ms;
    uint32_t send_timeout_ms;
    uint32_t shutdown_timeout_ms;
} flm_server_settings_t;

extern const flm_ini_section_t flm_server_ini_section;
void flm_server_settings_init(flm_server_settings_t *s); /* the defaults above */

/* ---- the server ------------------------------------------------------------- */

typedef struct {
    const flm_server_settings_t *settings;
    flm_router_t    *router;        /* with its engine: every request goes through it */
    flm_ask_cloud_t *cloud;         /* the escalation endpoint, or NULL */
    const char      *local_model;   /* the name answers give the local model */
    const char      *cloud_model;   /* the cloud's model (its answers carry it), or NULL */
    flm_sampler_params_t sampling;  /* local defaults; a request's temperature, top_p and
                                       seed override them for its answer */
    uint32_t         pace_ms;       /* demos and tests: at least this long between streamed
                                       pieces (the loop serves the others meanwhile); 0 */
    int64_t        (*clock_s)(void);/* `created` (Unix seconds); NULL: 0 */
    /* The device's background work between requests (fieldlm serve: the
     * queue's delivery): called on the loop's thread when no answer is
     * being generated or waiting, at most every idle_every_ms (0 or a NULL
     * idle: never). A request that arrives meanwhile waits for it, so it
     * should do one short piece of work a call; it returns the
     * milliseconds until it wants the next call (0: idle_every_ms), so it
     * can back off while its work fails. */
    uint32_t       (*idle)(void *user);
    void            *idle_user;
    uint32_t         idle_every_ms;
} flm_server_config_t;

typedef struct {
    uint64_t accepted;     /* connections taken into a slot */
    uint64_t refused;      /* connections answered 503 (no slot) */
    uint64_t evicted;      /* idle keep-alive connections closed for a newcomer */
    uint64_t requests;     /* requests answered, errors included */
    uint64_t answers;      /* completions generated (or cut) */
    uint64_t local, cloud; /* ... by the route that answered */
    uint64_t hangups;      /* generations stopped because the client went away */
    uint64_t errors_4xx, errors_5xx;
    uint32_t busy;         /* slots holding a connection now */
    uint32_t queued;       /* requests waiting for the engine */
} flm_server_stats_t;

struct flm_server_slot; /* core/server/server.c */

typedef struct {
    flm_server_config_t    cfg;
    flm_server_settings_t  settings;
    flm_hal_tcp_listener_t listener;
    struct flm_server_slot *slots;
    uint32_t   n_slots;
    char      *text;          /* the running answer's prompt and system message */
    size_t     text_cap;
    char      *answer;        /* a non-streamed answer's text, FLM_SERVER_ANSWER_BYTES */
    struct flm_server_slot *running; /* the slot whose answer is being generated */
    flm_hal_tcp_t linger[FLM_SERVER_LINGER]; /* closing: drained until the peer closes */
    uint64_t   linger_until[FLM_SERVER_LINGER];
    uint64_t   next_seq;      /* request order, for first-come first-served */
    uint64_t   next_id;       /* completion ids */
    uint64_t   last_service_ms;
    uint64_t   next_idle_ms;  /* cfg.idle's next call, not before */
    uint64_t   stop_deadline_ms;
    bool       stopping;
    volatile sig_atomic_t stop_requested;
    flm_server_stats_t stats;
} flm_server_t;

/* Bytes of memory flm_server_init needs for these settings (slots x their
 * buffers, the prompt and the answer). FLM_ERR_ARG for settings out of
 * range (slots above FLM_SERVER_SLOTS_MAX). */
flm_err_t flm_server_ram(const flm_server_config_t *cfg, size_t *bytes);

/* Carve the slots out of mem. The config's pointers must outlive the server. */
flm_err_t flm_server_init(flm_server_t *srv, const flm_server_config_t *cfg, void *mem, size_t size);

/* Bind host:port (port 0: any; flm_server_port says which).
 * FLM_ERR_NET_LISTEN when it is taken or not permitted. */
flm_err_t flm_server_listen(flm_server_t *srv, const char *host, uint16_t port);
uint16_t  flm_server_port(const flm_server_t *srv);

/* Serve until flm_server_stop(); FLM_OK after a graceful stop. */
flm_err_t flm_server_run(flm_server_t *srv);

/* Ask flm_server_run to stop; async-signal-safe (it only sets a flag).
 * The running answer gets shutdown_timeout_ms to finish; a second call
 * ends that grace at once (streams are cut, still with exit FLM_OK). */
void flm_server_stop(flm_server_t *srv);

void flm_server_stats(const flm_server_t *srv, flm_server_stats_t *st);

/* Close everything and wipe the token; the memory may then be reused. */
void flm_server_deinit(flm_server_t *srv);

#endif /* FLM_SERVER_H */
