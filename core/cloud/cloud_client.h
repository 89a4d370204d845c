/*
 * The cloud client: one chat-completions request's whole life over a byte
 * stream (flm_transport_t) obtained from a caller-supplied connect callback,
 * so core/ never knows whether it is TLS (port/mbedtls) or plain TCP.
 *
 *   static flm_cloud_client_t cloud;          flm_cloud_client_bytes() bytes
 *   flm_cloud_config_t cfg;
 *   flm_cloud_config_defaults(&cfg);
 *   cfg.host = "api.openai.com"; cfg.port = 443; cfg.path = "/v1/chat/completions";
 *   cfg.model = "gpt-4o-mini"; cfg.api_key = key; cfg.connect = tls_connect;
 *   err = flm_cloud_init(&cloud, &cfg);
 *
 *   flm_cloud_request_t rq = { .prompt = "...", .stream = true,
 *                              .on_delta = print, .temperature_milli = -1 };
 *   flm_cloud_result_t res;
 *   err = flm_cloud_complete(&cloud, &rq, &res);
 *   res.reply->text, res.reply->total_tokens, res.http_status, res.attempts
 *
 * Reliability:
 *  - One deadline for the whole request, retries and waits included
 *    (rq.deadline_ms, else cfg.deadline_ms); a silence longer than
 *    cfg.read_timeout_ms between bytes ends an attempt. Both are
 *    FLM_ERR_TIMEOUT.
 *  - Retries (up to cfg.max_attempts attempts) only where a repeat is safe
 *    and useful: connect failures (FLM_ERR_NET_*, FLM_ERR_TIMEOUT from the
 *    connect callback; other connect errors such as a refused certificate
 *    are final), a request that could not be sent in full (the server cannot
 *    have acted on it), and HTTP 408, 429 and 5xx. Never on other 4xx, on a 429
 *    whose error names a quota (FLM_ERR_CLOUD_QUOTA), or once answer text
 *    has been handed to on_delta (a repeat would duplicate it) or the reply
 *    has started otherwise (the server may have done the work).
 *  - Waits use exponential backoff with full jitter,
 *    uniform(0, min(backoff_max, backoff_base * 2^(n-1))), but never less
 *    than the server's Retry-After / retry-after-ms; a wait that would pass
 *    the deadline is not started (the last error is returned instead).
 *    Sleeping goes through flm_hal_sleep_ms in slices, checking cancellation.
 *  - Circuit breaker: cfg.breaker_threshold consecutive endpoint failures
 *    (connect, transport and timeout errors, malformed replies, 408, 5xx)
 *    open it for cfg.breaker_cooldown_ms: calls then fail at once with
 *    FLM_ERR_CLOUD_BREAKER_OPEN. After the cool-down one probe attempt is
 *    let through (half-open): success closes it, failure reopens it.
 *  - Cancellation: rq.cancelled(rq.user) is polled before connecting,
 *    between reads (reads are sliced to FLM_CLOUD_POLL_MS) and while
 *    waiting; on_delta returning an error also stops the request.
 *  - The API key is written only into the request head inside the work
 *    buffer, which is wiped as soon as the request is sent (and on every
 *    error path); it is never logged, and an error text from the server
 *    that quotes it, whole or in part, has it masked (core/cloud/openai.h).
 *
 * All memory is inside flm_cloud_client_t (sizes below, overridable with
 * -D); no heap. One request at a time per client.
 */
#ifndef FLM_CLOUD_CLIENT_H
#define FLM_CLOUD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/proto/http.h"
#include "core/cloud/openai.h"
#include "core/hal/hal.h"

#define FLM_CLOUD_HEAD_MAX 1024     /* request head, part of the work buffer */
#define FLM_CLOUD_POLL_MS 100       /* longest blocking read or sleep between cancel checks */

/* Open a connection to host:port within timeout_ms and fill *t. The client
 * calls t->close(t->ctx) when done. Return FLM_ERR_NET_* / FLM_ERR_TIMEOUT
 * for failures worth a retry, anything else (e.g. a TLS verification
 * error) for final ones. */
typedef flm_err_t (*flm_cloud_connect_fn)(void *user, const char *host, uint16_t port,
                                          uint32_t timeout_ms, flm_transport_t *t);

typedef struct flm_cloud_config {
    const char *host;              /* endpoint host (also the Host header) */
    uint16_t    port;
    const char *path;              /* "/v1/chat/completions" */
    const char *model;
    const char *api_key;           /* NULL for endpoints without auth (a local llama.cpp) */
    flm_cloud_connect_fn connect;
    void       *connect_user;
    uint32_t    connect_timeout_ms;
    uint32_t    read_timeout_ms;   /* longest silence within a reply */
    uint32_t    deadline_ms;       /* whole request, retries included */
    uint32_t    max_attempts;      /* >= 1 */
    uint32_t    backoff_base_ms;
    uint32_t    backoff_max_ms;
    uint32_t    breaker_threshold; /* consecutive failures to open; 0 = never */
    uint32_t    breaker_cooldown_ms;
} flm_cloud_config_t;

/* Defaults: port 443, path /v1/chat/completions, connect 10 s, read 60 s,
 * deadline 120 s, 4 attempts, backoff 500 ms .. 20 s, breaker 5 / 60 s. */
void flm_cloud_config_defaults(flm_cloud_config_t *cfg);

typedef struct {
    const char *system;            /* or NULL */
    const char *prompt;
    int32_t     max_tokens;        /* 0: server default */
    int32_t     temperature_milli; /* negative: server default */
    bool        stream;            /* SSE with stream_options.include_usage */
    flm_openai_delta_fn on_delta;  /* answer text as it arrives (may be NULL) */
    bool      (*cancelled)(void *user); /* may be NULL */
    void       *user;              /* for on_delta and cancelled */
    uint32_t    deadline_ms;       /* 0: the config's */
    const char *idempotency_key;   /* sent as "Idempotency-Key", the same on every retry
                                      (a queued prompt's delivery), or NULL */
} flm_cloud_request_t;

typedef struct {
    flm_err_t   err;               /* same as the return value */
    int         http_status;       /* of the last attempt; 0 if none got that far */
    uint32_t    attempts;          /* connection attempts made */
    uint32_t    waited_ms;         /* time spent backing off */
    uint32_t    elapsed_ms;
    const flm_openai_result_t *reply; /* text, finish_reason, usage, error details;
                                         inside the client, valid until its next call */
} flm_cloud_result_t;

typedef enum {
    FLM_CLOUD_BREAKER_CLOSED = 0,
    FLM_CLOUD_BREAKER_OPEN,
    FLM_CLOUD_BREAKER_HALF_OPEN,
} flm_cloud_breaker_t;

typedef struct {
    flm_cloud_config_t cfg;
    uint64_t   rng;               /* xorshift state for jitter */
    uint32_t   failures;          /* consecutive endpoint failures */
    uint64_t   open_until_ms;
    uint8_t    breaker;
    bool       busy;

    /* per request */
    const flm_cloud_request_t *rq;
    flm_http_parser_t   http;
    flm_openai_stream_t stream;
    flm_openai_result_t reply;
    bool       sse;               /* this reply's body is an event stream */
    size_t     body_len;          /* JSON body bytes in work */
    bool       body_clipped;      /* an error body did not fit */

    uint8_t    io[FLM_CLOUD_IO_BYTES];
    char       work[FLM_CLOUD_WORK_BYTES];
    char       text[FLM_CLOUD_TEXT_BYTES];
} flm_cloud_client_t;

/* Bytes a client needs (it is a plain struct: place it statically). */
size_t    flm_cloud_client_bytes(void);
/* Check the config and seed the jitter from flm_hal_entropy. The config's
 * strings are referenced, not copied: keep them alive. */
flm_err_t flm_cloud_init(flm_cloud_client_t *c, const flm_cloud_config_t *cfg);
/* Wipe everything (buffers, key reference). */
void      flm_cloud_deinit(flm_cloud_client_t *c);

flm_err_t flm_cloud_complete(flm_cloud_client_t *c, const flm_cloud_request_t *rq,
                             flm_cloud_result_t *res);

flm_cloud_breaker_t flm_cloud_breaker_state(const flm_cloud_client_t *c);

/* Would a request be sent now (the breaker closed, or its cool-down over)?
 * The router asks before escalating. */
bool flm_cloud_available(const flm_cloud_client_t *c);

/* The wait before retry number `retry` (1 = first retry): full jitter over
 * min(max_ms, base_ms * 2^(retry-1)) using `random`, raised to
 * retry_after_ms when that is >= 0. Pure, for tests and tuning. */
uint32_t  flm_cloud_backoff_ms(uint32_t base_ms, uint32_t max_ms, uint32_t retry,
                               int64_t retry_after_ms, uint32_t random);

#endif /* FLM_CLOUD_CLIENT_H */
