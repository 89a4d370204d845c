#include "core/base/config.h"
#if FLM_CFG_CLOUD /* the cloud path; off on boards without a network */
#include "core/cloud/cloud_client.h"

#include <string.h>

#include "core/base/rng.h"
#include "core/base/wipe.h"

_Static_assert(FLM_CLOUD_WORK_BYTES > 2 * FLM_CLOUD_HEAD_MAX, "work buffer too small");

void flm_cloud_config_defaults(flm_cloud_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->port = 443;
    cfg->path = "/v1/chat/completions";
    cfg->connect_timeout_ms = 10000;
    cfg->read_timeout_ms = 60000; /* a non-streamed answer's first byte can be slow */
    cfg->deadline_ms = 120000;
    cfg->max_attempts = 4;
    cfg->backoff_base_ms = 500;
    cfg->backoff_max_ms = 20000;
    cfg->breaker_threshold = 5;
    cfg->breaker_cooldown_ms = 60000;
}

size_t flm_cloud_client_bytes(void)
{
    return sizeof(flm_cloud_client_t);
}

flm_err_t flm_cloud_init(flm_cloud_client_t *c, const flm_cloud_config_t *cfg)
{
    if (!c || !cfg)
        return FLM_ERR_ARG;
    memset(c, 0, sizeof *c);
    if (!cfg->host || !cfg->host[0] || !cfg->path || cfg->path[0] != '/' || !cfg->model ||
        !cfg->model[0] || !cfg->connect || cfg->max_attempts == 0 || cfg->deadline_ms == 0 ||
        cfg->read_timeout_ms == 0 || cfg->connect_timeout_ms == 0 ||
        cfg->backoff_max_ms < cfg->backoff_base_ms)
        return FLM_ERR_ARG;
    c->cfg = *cfg;
    if (flm_hal_entropy(&c->rng, sizeof c->rng) != FLM_OK)
        c->rng = flm_hal_time_us(); /* jitter only needs devices to differ */
    c->rng = flm_rng_seed(c->rng);
    return FLM_OK;
}

void flm_cloud_deinit(flm_cloud_client_t *c)
{
    if (c)
        flm_wipe(c, sizeof *c);
}

flm_cloud_breaker_t flm_cloud_breaker_state(const flm_cloud_client_t *c)
{
    return (flm_cloud_breaker_t)c->breaker;
}

bool flm_cloud_available(const flm_cloud_client_t *c)
{
    return c && (c->breaker != FLM_CLOUD_BREAKER_OPEN || flm_hal_time_ms() >= c->open_until_ms);
}

uint32_t flm_cloud_backoff_ms(uint32_t base_ms, uint32_t max_ms, uint32_t retry,
                              int64_t retry_after_ms, uint32_t random)
{
    uint64_t cap = base_ms;
    for (uint32_t i = 1; i < retry && cap && cap < max_ms; i++)
        cap *= 2;
    if (cap > max_ms)
        cap = max_ms;
    uint64_t wait = (uint64_t)random % (cap + 1);
    if (retry_after_ms >= 0 && (uint64_t)retry_after_ms > wait)
        wait = (uint64_t)retry_after_ms;
    return wait > UINT32_MAX ? UINT32_MAX : (uint32_t)wait;
}

/* ---- one attempt ------------------------------------------------------- */

/* What an attempt's failure means for the retry loop and the breaker. */
typedef struct {
    bool retry;        /* worth another attempt */
    bool endpoint;     /* counts as an endpoint failure for the breaker */
    int64_t retry_after_ms;
} verdict_t;

static bool is_cancelled(const flm_cloud_client_t *c)
{
    return c->rq->cancelled && c->rq->cancelled(c->rq->user);
}

static uint32_t ms_left(uint64_t deadline)
{
    uint64_t now = flm_hal_time_ms();
    if (now >= deadline)
        return 0;
    uint64_t left = deadline - now;
    return left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

static uint32_t min_u32(uint32_t a, uint32_t b) { return a < b ? a : b; }

/* Build the request in the work buffer: the body is written after the head's
 * reserved room, then moved up against the head so one send covers both. */
static flm_err_t build_request(flm_cloud_client_t *c, size_t *len)
{
    const flm_cloud_request_t *rq = c->rq;
    flm_openai_request_t body = {
        .model = c->cfg.model, .system = rq->system, .prompt = rq->prompt,
        .max_tokens = rq->max_tokens, .temperature_milli = rq->temperature_milli,
        .stream = rq->stream, .include_usage = rq->stream,
    };
    size_t body_len = 0, head_len = 0;
    flm_err_t err = flm_openai_write_request(&body, c->work + FLM_CLOUD_HEAD_MAX,
                                             sizeof c->work - FLM_CLOUD_HEAD_MAX, &body_len);
    if (err)
        return err;
    const flm_http_header_t idem = { "Idempotency-Key", rq->idempotency_key };
    flm_http_request_t head = {
        .method = "POST", .host = c->cfg.host, .port = c->cfg.port, .path = c->cfg.path,
        .bearer = c->cfg.api_key, .content_type = "application/json",
        .accept = rq->stream ? "text/event-stream" : "application/json",
        .headers = rq->idempotency_key ? &idem : NULL, .n_headers = rq->idempotency_key ? 1 : 0,
        .body_len = body_len,
    };
    err = flm_http_write_head(&head, c->work, FLM_CLOUD_HEAD_MAX, &head_len);
    if (err)
        return err;
    memmove(c->work + head_len, c->work + FLM_CLOUD_HEAD_MAX, body_len);
    *len = head_len + body_len;
    return FLM_OK;
}

static flm_err_t send_all(flm_cloud_client_t *c, flm_transport_t *t, size_t len, uint64_t deadline)
{
    size_t off = 0;
    while (off < len) {
        if (is_cancelled(c))
            return FLM_ERR_CANCELLED;
        uint32_t left = ms_left(deadline);
        if (left == 0)
            return FLM_ERR_TIMEOUT;
        int n = t->send(t->ctx, (const uint8_t *)c->work + off, len - off,
                        min_u32(left, c->cfg.read_timeout_ms));
        if (n < 0)
            return (flm_err_t)n;
        if (n == 0 || (size_t)n > len - off)
            return FLM_ERR_NET_SEND;
        off += (size_t)n;
    }
    return FLM_OK;
}

static bool status_ok(int status) { return status >= 200 && status < 300; }

/* HTTP body bytes: an event stream goes to the SSE reader, anything else is
 * gathered in the work buffer (2xx: whole or error; else: a prefix). */
static flm_err_t on_body(void *user, const uint8_t *d, size_t n)
{
    flm_cloud_client_t *c = user;
    if (c->sse)
        return flm_openai_stream_feed(&c->stream, d, n);
    size_t room = sizeof c->work - 1 - c->body_len;
    if (n > room) {
        if (status_ok(c->http.status))
            return FLM_ERR_HTTP_BODY_TOO_LARGE;
        c->body_clipped = true;
        n = room;
    }
    memcpy(c->work + c->body_len, d, n);
    c->body_len += n;
    return FLM_OK;
}

/* Read the reply until it is complete, the peer closes, or time runs out.
 * An event stream is complete at [DONE] even if the server then lingers. */
static flm_err_t read_reply(flm_cloud_client_t *c, flm_transport_t *t, uint64_t deadline)
{
    uint64_t last_byte = flm_hal_time_ms();
    while (!flm_http_done(&c->http) && !(c->sse && c->reply.done)) {
        flm_hal_watchdog_kick();
        if (is_cancelled(c))
            return FLM_ERR_CANCELLED;
        uint32_t left = ms_left(deadline);
        uint64_t quiet = flm_hal_time_ms() - last_byte;
        if (left == 0 || quiet >= c->cfg.read_timeout_ms)
            return FLM_ERR_TIMEOUT;
        uint32_t wait = min_u32(min_u32(left, FLM_CLOUD_POLL_MS),
                                c->cfg.read_timeout_ms - (uint32_t)quiet);
        int n = t->recv(t->ctx, c->io, sizeof c->io, wait);
        if (n == FLM_ERR_TIMEOUT)
            continue;
        if (n == FLM_ERR_NET_CLOSED)
            return flm_http_finish(&c->http);
        if (n < 0)
            return (flm_err_t)n;
        if (n == 0 || (size_t)n > sizeof c->io)
            return FLM_ERR_NET_RECV;
        last_byte = flm_hal_time_ms();
        flm_err_t err = flm_http_parse(&c->http, c->io, (size_t)n, NULL);
        if (err)
            return err;
    }
    return FLM_OK;
}

/* Connection-level failures: the kind a new connection may not meet. */
static bool is_net_error(flm_err_t err)
{
    return err == FLM_ERR_NET_RESOLVE || err == FLM_ERR_NET_CONNECT || err == FLM_ERR_NET_SEND ||
           err == FLM_ERR_NET_RECV || err == FLM_ERR_NET_CLOSED || err == FLM_ERR_NET_DOWN ||
           err == FLM_ERR_TIMEOUT;
}

/* Failures that say the endpoint (or the path to it) is unwell, as opposed
 * to our own request, the caller, or a coherent refusal. */
static bool endpoint_failure(flm_err_t err)
{
    return is_net_error(err) ||
           flm_err_in(err, FLM_ERR_MODULE_HTTP) || flm_err_in(err, FLM_ERR_MODULE_JSON) ||
           flm_err_in(err, FLM_ERR_MODULE_SSE) || flm_err_in(err, FLM_ERR_MODULE_TLS) ||
           err == FLM_ERR_CLOUD_PROTOCOL || err == FLM_ERR_CLOUD_NO_DONE ||
           err == FLM_ERR_CLOUD_USAGE;
}

/* The HTTP parser's body callback: picks the body reader at the first body
 * byte, when the status and Content-Type are known. */
static flm_err_t choose_body(void *user, const uint8_t *d, size_t n)
{
    flm_cloud_client_t *c = user;
    if (c->http.body_bytes == n && status_ok(c->http.status)) {
        /* First body bytes: an event stream if the server says so, or if we
         * asked for one and it gave no type; JSON otherwise (a server may
         * ignore "stream" and answer whole). */
        const char *ct = c->http.content_type;
        c->sse = strcmp(ct, "text/event-stream") == 0 || (c->rq->stream && ct[0] == '\0');
        if (c->sse) {
            flm_err_t err = flm_openai_stream_init(&c->stream, c->work, sizeof c->work, &c->reply);
            if (err)
                return err;
        }
    }
    return on_body(c, d, n);
}


static flm_err_t attempt(flm_cloud_client_t *c, uint64_t deadline, verdict_t *v,
                         int *status, bool *delivered)
{
    v->retry = false;
    v->endpoint = false;
    v->retry_after_ms = -1;
    *status = 0;
    *delivered = false;
    flm_openai_result_reset(&c->reply);
    c->sse = false;
    c->body_len = 0;
    c->body_clipped = false;
    flm_http_parser_init(&c->http, FLM_HTTP_RESPONSE, 0, choose_body, NULL, c);

    size_t req_len = 0;
    flm_err_t err = build_request(c, &req_len);
    uint32_t left = ms_left(deadline);
    if (!err && left == 0)
        err = FLM_ERR_TIMEOUT;
    flm_transport_t t = { 0 };
    if (!err) {
        err = c->cfg.connect(c->cfg.connect_user, c->cfg.host, c->cfg.port,
                             min_u32(left, c->cfg.connect_timeout_ms), &t);
        if (err > 0)
            err = FLM_ERR_NET_CONNECT;
        if (!err && (!t.send || !t.recv || !t.close)) {
            if (t.close)
                t.close(t.ctx);
            err = FLM_ERR_ARG;
        }
        /* Connect failures of the network kind are worth another try;
         * others (a refused certificate) are final. */
        v->retry = v->endpoint = is_net_error(err);
        if (err)
            t.close = NULL; /* nothing to close */
    }
    if (!err) {
        err = send_all(c, &t, req_len, deadline);
        /* A request that did not fully leave cannot have been acted on. */
        v->retry = v->endpoint = is_net_error(err);
    }
    flm_wipe(c->work, sizeof c->work); /* the key leaves memory once it has left the device */
    if (err) {
        if (t.close)
            t.close(t.ctx);
        return err;
    }

    err = read_reply(c, &t, deadline);
    t.close(t.ctx);
    *status = flm_http_headers_done(&c->http) ? c->http.status : 0;
    *delivered = c->reply.text_len > 0;
    v->retry = false;
    if (err) {
        /* An error status already says what happened, even if its body
         * was then cut off; otherwise the transport or framing failed. */
        if (*status == 0 || status_ok(*status) || err == FLM_ERR_CANCELLED) {
            v->endpoint = endpoint_failure(err);
            return err;
        }
        c->body_clipped = true;
    }

    if (status_ok(*status)) {
        if (c->sse)
            err = flm_openai_stream_finish(&c->stream);
        else
            err = flm_openai_parse_response(&c->reply, c->work, c->body_len);
        v->endpoint = endpoint_failure(err);
        return err;
    }

    /* An HTTP error: details from its body when it holds an error object. */
    err = c->body_clipped ? FLM_ERR_NOT_FOUND
                          : flm_openai_parse_error(&c->reply, c->work, c->body_len);
    if (err == FLM_ERR_CLOUD_QUOTA)
        return err;
    int s = *status;
    v->retry = s == 408 || s == 429 || s >= 500;
    v->endpoint = s == 408 || s >= 500;
    v->retry_after_ms = c->http.retry_after_ms;
    return FLM_ERR_CLOUD_HTTP_STATUS;
}

/* ---- the retry loop ------------------------------------------------------ */

static void breaker_record(flm_cloud_client_t *c, bool ok, bool endpoint_failure)
{
    if (ok) {
        c->failures = 0;
        c->breaker = FLM_CLOUD_BREAKER_CLOSED;
        return;
    }
    if (!endpoint_failure) {
        if (c->breaker == FLM_CLOUD_BREAKER_HALF_OPEN)
            c->breaker = FLM_CLOUD_BREAKER_CLOSED; /* the endpoint answered */
        return;
    }
    if (c->failures < UINT32_MAX)
        c->failures++;
    if (c->breaker == FLM_CLOUD_BREAKER_HALF_OPEN ||
        (c->cfg.breaker_threshold && c->failures >= c->cfg.breaker_threshold)) {
        c->breaker = FLM_CLOUD_BREAKER_OPEN;
        c->open_until_ms = flm_hal_time_ms() + c->cfg.breaker_cooldown_ms;
        flm_hal_log(FLM_LOG_WARN, "cloud: %u consecutive failures, pausing calls for %u ms",
                    (unsigned)c->failures, (unsigned)c->cfg.breaker_cooldown_ms);
    }
}

/* Sleep up to ms in slices, watching for cancellation. */
static flm_err_t wait_ms(flm_cloud_client_t *c, uint32_t ms)
{
    uint64_t end = flm_hal_time_ms() + ms;
    for (;;) {
        if (is_cancelled(c))
            return FLM_ERR_CANCELLED;
        uint32_t left = ms_left(end);
        if (left == 0)
            return FLM_OK;
        flm_hal_watchdog_kick();
        flm_hal_sleep_ms(min_u32(left, FLM_CLOUD_POLL_MS));
    }
}

static flm_err_t run(flm_cloud_client_t *c, flm_cloud_result_t *res, uint64_t start)
{
    uint64_t deadline = start + (c->rq->deadline_ms ? c->rq->deadline_ms : c->cfg.deadline_ms);
    if (c->breaker == FLM_CLOUD_BREAKER_OPEN) {
        if (flm_hal_time_ms() < c->open_until_ms)
            return FLM_ERR_CLOUD_BREAKER_OPEN;
        c->breaker = FLM_CLOUD_BREAKER_HALF_OPEN;
    }
    flm_err_t err = FLM_OK;
    for (uint32_t n = 1;; n++) {
        if (is_cancelled(c))
            return FLM_ERR_CANCELLED;
        bool probe = c->breaker == FLM_CLOUD_BREAKER_HALF_OPEN;
        verdict_t v;
        bool delivered = false;
        res->attempts = n;
        err = attempt(c, deadline, &v, &res->http_status, &delivered);
        breaker_record(c, err == FLM_OK, v.endpoint);
        if (!err || !v.retry || delivered || probe || n >= c->cfg.max_attempts ||
            c->breaker == FLM_CLOUD_BREAKER_OPEN)
            return err;
        uint32_t wait = flm_cloud_backoff_ms(c->cfg.backoff_base_ms, c->cfg.backoff_max_ms, n,
                                             v.retry_after_ms, flm_rng_u32(&c->rng));
        if (wait >= ms_left(deadline))
            return err; /* no point waiting past the deadline */
        flm_hal_log(FLM_LOG_WARN, "cloud: attempt %u of %u failed (%s, HTTP %d); retrying in %u ms",
                    (unsigned)n, (unsigned)c->cfg.max_attempts, flm_strerror(err),
                    res->http_status, (unsigned)wait);
        uint64_t before = flm_hal_time_ms();
        flm_err_t werr = wait_ms(c, wait);
        res->waited_ms += (uint32_t)(flm_hal_time_ms() - before);
        if (werr)
            return werr;
    }
}

flm_err_t flm_cloud_complete(flm_cloud_client_t *c, const flm_cloud_request_t *rq,
                             flm_cloud_result_t *res)
{
    if (!c || !rq || !res || !rq->prompt)
        return FLM_ERR_ARG;
    memset(res, 0, sizeof *res);
    if (c->busy)
        return FLM_ERR_STATE;
    c->busy = true;
    c->rq = rq;
    flm_openai_result_init(&c->reply, c->text, sizeof c->text, rq->on_delta, rq->user);
    flm_openai_result_set_secret(&c->reply, c->cfg.api_key); /* masked in the error texts */
    uint64_t start = flm_hal_time_ms();
    flm_err_t err = run(c, res, start);
    /* Reply bytes may quote the key back (error bodies do): clear them too. */
    flm_wipe(c->work, sizeof c->work);
    flm_wipe(c->io, sizeof c->io);
    flm_wipe(c->http.line, sizeof c->http.line);
    res->err = err;
    res->elapsed_ms = (uint32_t)(flm_hal_time_ms() - start);
    res->reply = &c->reply;
    c->rq = NULL;
    c->busy = false;
    return err;
}

#endif /* FLM_CFG_CLOUD */
