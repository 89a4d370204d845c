/*
 * The server's loop: connection slots, HTTP/1.1 on each, the queue of
 * answers for the one engine, and the generation of each answer through
 * flm_router_ask, streamed or whole.
 *
 * One thread. The loop sleeps in flm_hal_tcp_wait on the listener and
 * every connection, reads what arrived into each slot's input, parses it,
 * answers what needs no engine at once and queues the rest; then it
 * generates the oldest queued answer. While an answer is generated, the
 * router's callbacks (on_text, cancelled) call service() at most every
 * SERVICE_MS, which does all of the above but the generating, so the
 * server never stops answering, and notices at once when the client of the
 * running answer goes away.
 */
#include "core/base/config.h"
#if FLM_CFG_SERVER
#include "core/server/server.h"

#include <string.h>

#include "core/base/fmt.h"
#include "core/base/wipe.h"
#include "core/server/priv/server_kiosk.h"
#include "core/server/priv/server_openai.h"
#include "core/server/priv/server_text.h"

#define SERVICE_MS      10u   /* how often a running answer lets the others in */
#define IDLE_WAIT_MS    250u  /* longest sleep: stop requests are looked at this often */
#define LINGER_MS       1000u /* a closing connection is drained this long at most */
#define STOP_LINGER_MS  200u
#define REFUSE_SEND_MS  100u
#define ACCEPTS_PER_ROUND 16u
#define RETRY_AFTER_S   1u

typedef enum { SLOT_FREE = 0, SLOT_OPEN, SLOT_QUEUED, SLOT_RUNNING } slot_state_t;

typedef enum {
    EP_NONE = 0, EP_PAGE, EP_HEALTH, EP_MODELS, EP_MODEL, EP_CHAT, EP_TEXT,
} endpoint_t;

typedef struct flm_server_slot {
    flm_server_t *srv;
    uint8_t   state;
    uint8_t   endpoint;
    bool      in_request;   /* bytes of a request have been parsed */
    bool      checked;      /* its head was looked at (route, auth, Expect) */
    bool      head_only;    /* HEAD */
    bool      auth_ok;
    bool      peer_eof;     /* the client closed its side: answer what is here, then close */
    bool      hung_up;      /* it is gone (reset, or closed while its answer ran) */
    uint32_t  served;       /* requests answered on this connection */
    flm_hal_tcp_t conn;
    flm_http_parser_t http;
    flm_srv_error_t   early; /* decided from the head; sent once the request is read */
    bool      has_early;
    uint64_t  seq;          /* queue order */
    uint64_t  active_ms;    /* last byte in or out */
    uint64_t  request_ms;   /* first byte of the request being read */
    size_t    in_len, in_off;
    size_t    body_len;
    flm_srv_request_t rq;
    uint8_t  *in;           /* FLM_SERVER_IN_BYTES */
    char     *body;         /* settings.body_max */
    char     *out;          /* FLM_SERVER_OUT_BYTES */
} slot_t;

static void service(flm_server_t *srv, uint32_t wait_ms);

/* ---- settings ----------------------------------------------------------------- */

void flm_server_settings_init(flm_server_settings_t *s)
{
    memset(s, 0, sizeof *s);
    memcpy(s->listen, "127.0.0.1", sizeof "127.0.0.1");
    s->port = 8080;
    s->slots = 4;
    s->body_max = 32768;
    s->max_tokens = 256;
    s->request_timeout_ms = 10000;
    s->idle_timeout_ms = 5000;
    s->send_timeout_ms = 10000;
    s->shutdown_timeout_ms = 5000;
}

/* ---- memory ----------------------------------------------------------------- */

#define ALIGN8(n) (((n) + 7u) & ~(size_t)7u)

static size_t slot_bytes(const flm_server_settings_t *s)
{
    return ALIGN8(sizeof(slot_t)) + ALIGN8(FLM_SERVER_IN_BYTES) + ALIGN8(s->body_max) +
           ALIGN8(FLM_SERVER_OUT_BYTES);
}

static bool settings_ok(const flm_server_settings_t *s)
{
    return s && s->slots >= 1 && s->slots <= FLM_SERVER_SLOTS_MAX &&
           s->slots + FLM_SERVER_LINGER <= FLM_HAL_WAIT_MAX && s->body_max >= 64 &&
           s->body_max <= (64u << 20) && s->max_tokens >= 1;
}

flm_err_t flm_server_ram(const flm_server_config_t *cfg, size_t *bytes)
{
    if (!cfg || !bytes || !settings_ok(cfg->settings))
        return FLM_ERR_ARG;
    const flm_server_settings_t *s = cfg->settings;
    *bytes = s->slots * slot_bytes(s) + ALIGN8((size_t)s->body_max + 2) +
             ALIGN8(FLM_SERVER_ANSWER_BYTES) + 8;
    return FLM_OK;
}

flm_err_t flm_server_init(flm_server_t *srv, const flm_server_config_t *cfg, void *mem, size_t size)
{
    size_t need;
    if (!srv || !cfg || !mem || !cfg->router || !cfg->router->engine || !cfg->local_model)
        return FLM_ERR_ARG;
    flm_err_t err = flm_server_ram(cfg, &need);
    if (err)
        return err;
    if (size < need)
        return FLM_ERR_NOMEM;
    memset(srv, 0, sizeof *srv);
    srv->cfg = *cfg;
    srv->settings = *cfg->settings;
    srv->cfg.settings = &srv->settings;
    flm_hal_tcp_listener_init(&srv->listener);
    uint8_t *p = (uint8_t *)(((uintptr_t)mem + 7u) & ~(uintptr_t)7u);
    memset(p, 0, need - 8);
    srv->n_slots = srv->settings.slots;
    srv->slots = (slot_t *)(void *)p;
    p += ALIGN8(sizeof(slot_t) * srv->n_slots);
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        slot_t *sl = &srv->slots[i];
        sl->srv = srv;
        flm_hal_tcp_init(&sl->conn);
        sl->in = p;
        p += ALIGN8(FLM_SERVER_IN_BYTES);
        sl->body = (char *)p;
        p += ALIGN8(srv->settings.body_max);
        sl->out = (char *)p;
        p += ALIGN8(FLM_SERVER_OUT_BYTES);
    }
    srv->text = (char *)p;
    srv->text_cap = (size_t)srv->settings.body_max + 2;
    p += ALIGN8(srv->text_cap);
    srv->answer = (char *)p;
    for (size_t i = 0; i < FLM_SERVER_LINGER; i++)
        flm_hal_tcp_init(&srv->linger[i]);
    srv->next_id = 1;
    return FLM_OK;
}

flm_err_t flm_server_listen(flm_server_t *srv, const char *host, uint16_t port)
{
    if (!srv || !host)
        return FLM_ERR_ARG;
    int backlog = (int)srv->n_slots * 4 + 16;
    return flm_hal_tcp_listen(&srv->listener, host, port, backlog);
}

uint16_t flm_server_port(const flm_server_t *srv)
{
    return srv ? flm_hal_tcp_listener_port(&srv->listener) : 0;
}

void flm_server_stop(flm_server_t *srv)
{
    /* a plain increment is not async-signal-safe; the flag only climbs */
    if (srv)
        srv->stop_requested = srv->stop_requested ? 2 : 1;
}

void flm_server_stats(const flm_server_t *srv, flm_server_stats_t *st)
{
    if (srv && st)
        *st = srv->stats;
}

/* ---- connections ----------------------------------------------------------------- */

static uint64_t now_ms(void)
{
    return flm_hal_time_ms();
}

static void linger_close(flm_server_t *srv, flm_hal_tcp_t *c, uint32_t ms)
{
    /* whatever the client already sent goes, so the close is a FIN, not a RST
     * that could destroy the response before it is read */
    uint8_t sink[512];
    while (flm_hal_tcp_recv(c, sink, sizeof sink, 0) > 0) {
    }
    flm_hal_tcp_shutdown_send(c); /* the client sees the end now */
    for (size_t i = 0; ms && i < FLM_SERVER_LINGER; i++)
        if (srv->linger[i].fd < 0) {
            srv->linger[i] = *c;
            srv->linger_until[i] = now_ms() + ms;
            flm_hal_tcp_init(c);
            return;
        }
    flm_hal_tcp_close(c);
}

static void slot_reset_request(slot_t *sl)
{
    if (sl->body_len)
        flm_wipe(sl->body, sl->body_len); /* a prompt may be private */
    sl->in_request = false;
    sl->checked = false;
    sl->head_only = false;
    sl->auth_ok = false;
    sl->has_early = false;
    sl->endpoint = EP_NONE;
    sl->body_len = 0;
}

static flm_err_t on_body(void *user, const uint8_t *data, size_t n);
static flm_err_t on_header(void *user, const char *name, size_t nlen, const char *value, size_t vlen);

static void slot_next_request(slot_t *sl)
{
    if (sl->in_request)
        sl->served++;
    slot_reset_request(sl);
    flm_http_parser_init(&sl->http, FLM_HTTP_REQUEST, sl->srv->settings.body_max, on_body,
                         on_header, sl);
}

static void slot_close(slot_t *sl, bool linger)
{
    flm_server_t *srv = sl->srv;
    if (sl->state == SLOT_FREE)
        return;
    if (sl->state == SLOT_QUEUED && srv->stats.queued)
        srv->stats.queued--;
    if (linger && !sl->hung_up)
        linger_close(srv, &sl->conn, srv->stopping ? STOP_LINGER_MS : LINGER_MS);
    else
        flm_hal_tcp_close(&sl->conn);
    if (srv->stats.busy)
        srv->stats.busy--;
    sl->state = SLOT_FREE;
    sl->in_len = sl->in_off = 0;
    sl->peer_eof = sl->hung_up = false;
    slot_reset_request(sl);
}

/* Everything or an error; the client must read within send_timeout_ms. */
static flm_err_t send_all(slot_t *sl, const void *data, size_t n)
{
    const uint8_t *p = data;
    if (sl->hung_up)
        return FLM_ERR_NET_CLOSED;
    flm_server_t *srv = sl->srv;
    uint64_t t0 = now_ms(), deadline = t0 + srv->settings.send_timeout_ms;
    if (srv->stopping) {
        /* stopping stays bounded: a client that does not read gets a moment */
        uint64_t cap = (t0 > srv->stop_deadline_ms ? t0 : srv->stop_deadline_ms) + STOP_LINGER_MS;
        if (deadline > cap)
            deadline = cap;
    }
    while (n) {
        uint64_t t = now_ms();
        if (t >= deadline) {
            sl->hung_up = true;
            return FLM_ERR_TIMEOUT;
        }
        int k = flm_hal_tcp_send(&sl->conn, p, n, (uint32_t)(deadline - t));
        if (k < 0) {
            if (k == FLM_ERR_TIMEOUT)
                continue;
            sl->hung_up = true;
            return (flm_err_t)k;
        }
        p += k;
        n -= (size_t)k;
    }
    sl->active_ms = now_ms();
    return FLM_OK;
}

static flm_err_t flush_to_slot(void *user, const char *data, size_t n)
{
    return send_all(user, data, n);
}

/* ---- responses -------------------------------------------------------------------- */

typedef void (*body_fn)(flm_srv_out_t *o, const void *ctx);

/* A whole response: the body is written twice, first only counted (its
 * Content-Length), then sent through the slot's output buffer. */
static flm_err_t respond(slot_t *sl, int status, const char *ctype, body_fn body, const void *ctx,
                         bool close, const flm_http_header_t *hdrs, size_t n_hdrs)
{
    flm_server_t *srv = sl->srv;
    flm_srv_out_t o;
    uint64_t total = 0;
    if (body) {
        flm_srv_out_init(&o, sl->out, FLM_SERVER_OUT_BYTES, NULL, NULL);
        body(&o, ctx);
        total = o.total;
    }
    flm_http_response_t rs = {
        .status = status, .content_type = ctype, .content_length = (int64_t)total, .close = close,
        .retry_after_s = status == 503 ? RETRY_AFTER_S : 0, .headers = hdrs, .n_headers = n_hdrs,
    };
    size_t len;
    flm_err_t err = flm_http_write_response_head(&rs, sl->out, FLM_SERVER_OUT_BYTES, &len);
    if (!err)
        err = send_all(sl, sl->out, len);
    if (!err && body && !sl->head_only) {
        flm_srv_out_init(&o, sl->out, FLM_SERVER_OUT_BYTES, flush_to_slot, sl);
        body(&o, ctx);
        err = flm_srv_out_end(&o);
    }
    srv->stats.requests++;
    if (status >= 400 && status < 500)
        srv->stats.errors_4xx++;
    else if (status >= 500)
        srv->stats.errors_5xx++;
    return err;
}

static void error_body(flm_srv_out_t *o, const void *ctx)
{
    flm_srv_write_error(o, ctx);
    flm_srv_puts(o, "\n");
}

static flm_err_t respond_error(slot_t *sl, const flm_srv_error_t *e, bool close)
{
    flm_http_header_t h[2];
    size_t nh = 0;
    if (e->status == 401)
        h[nh++] = (flm_http_header_t){ "WWW-Authenticate", "Bearer" };
    if (e->status == 405)
        h[nh++] = (flm_http_header_t){ "Allow", sl->endpoint == EP_CHAT || sl->endpoint == EP_TEXT
                                                    ? "POST" : "GET, HEAD" };
    flm_hal_log(e->status >= 500 ? FLM_LOG_WARN : FLM_LOG_INFO, "serve: %s %s %d %s",
                sl->http.method[0] ? sl->http.method : "-", sl->http.target[0] ? sl->http.target : "-",
                e->status, e->message);
    return respond(sl, e->status, "application/json", error_body, e, close, h, nh);
}

/* An HTTP-level failure of the parser: the connection cannot go on. */
static void http_failure(slot_t *sl, flm_err_t err)
{
    flm_srv_error_t e;
    switch (err) {
    case FLM_ERR_HTTP_BODY_TOO_LARGE:
        flm_srv_error_set(&e, 413, "invalid_request_error", NULL, "request_too_large",
                          "The request body is larger than %u bytes.",
                          (unsigned)sl->srv->settings.body_max);
        break;
    case FLM_ERR_HTTP_LINE_TOO_LONG:
        if (!flm_http_headers_done(&sl->http) && !sl->http.method[0])
            flm_srv_error_set(&e, 414, "invalid_request_error", NULL, "uri_too_long",
                              "The request line is too long.");
        else
            flm_srv_error_set(&e, 431, "invalid_request_error", NULL, "header_too_large",
                              "A request header is too long.");
        break;
    case FLM_ERR_HTTP_TOO_MANY_HEADERS:
        flm_srv_error_set(&e, 431, "invalid_request_error", NULL, "header_too_large",
                          "Too many request headers.");
        break;
    case FLM_ERR_HTTP_UNSUPPORTED:
        if (!sl->http.method[0])
            flm_srv_error_set(&e, 505, "invalid_request_error", NULL, "http_version",
                              "Only HTTP/1.0 and HTTP/1.1 are spoken here.");
        else
            flm_srv_error_set(&e, 501, "invalid_request_error", NULL, "not_implemented",
                              "Unsupported Transfer-Encoding or Content-Encoding.");
        break;
    default:
        flm_srv_error_set(&e, 400, "invalid_request_error", NULL, "bad_request",
                          "Malformed HTTP request (%s).", flm_strerror(err));
    }
    respond_error(sl, &e, true);
    slot_close(sl, true);
}

/* ---- the request's head ------------------------------------------------------------ */

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool ieq_n(const char *a, size_t n, const char *b)
{
    size_t m = strlen(b);
    if (n != m)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

/* Equal in time that depends on the token's length only. */
static bool token_eq(const char *given, size_t n, const char *token)
{
    size_t m = strlen(token);
    unsigned diff = n != m;
    for (size_t i = 0; i < m; i++)
        diff |= (unsigned)(unsigned char)token[i] ^ (unsigned)(unsigned char)(i < n ? given[i] : 0);
    return diff == 0;
}

static flm_err_t on_header(void *user, const char *name, size_t nlen, const char *value, size_t vlen)
{
    slot_t *sl = user;
    const char *token = sl->srv->settings.auth_token;
    if (token[0] && ieq_n(name, nlen, "authorization") && vlen > 7 && ieq_n(value, 7, "bearer ")) {
        size_t i = 7;
        while (i < vlen && value[i] == ' ')
            i++;
        sl->auth_ok = token_eq(value + i, vlen - i, token);
    }
    return FLM_OK;
}

static flm_err_t on_body(void *user, const uint8_t *data, size_t n)
{
    slot_t *sl = user;
    if (sl->has_early)
        return FLM_OK; /* answered from the head: read and dropped */
    if (n > sl->srv->settings.body_max - sl->body_len)
        return FLM_ERR_HTTP_BODY_TOO_LARGE; /* the parser's limit says so first */
    memcpy(sl->body + sl->body_len, data, n);
    sl->body_len += n;
    return FLM_OK;
}

/* The path without its query. */
static size_t path_len(const char *target)
{
    size_t n = strcspn(target, "?#");
    return n;
}

static bool path_is(const char *target, const char *path)
{
    size_t n = path_len(target);
    return n == strlen(path) && memcmp(target, path, n) == 0;
}

/* Route the request line; 404 / 405 / 401 / 400 / 417 into sl->early. */
static void check_head(slot_t *sl)
{
    flm_server_t *srv = sl->srv;
    const char *m = sl->http.method, *t = sl->http.target;
    bool get = strcmp(m, "GET") == 0, head = strcmp(m, "HEAD") == 0, post = strcmp(m, "POST") == 0;
    sl->head_only = head;
    bool api = strncmp(t, "/v1/", 4) == 0;
    endpoint_t ep = EP_NONE;
    if (path_is(t, "/") || path_is(t, "/index.html"))
        ep = EP_PAGE;
    else if (path_is(t, "/health") || path_is(t, "/v1/health"))
        ep = EP_HEALTH;
    else if (path_is(t, "/v1/models"))
        ep = EP_MODELS;
    else if (strncmp(t, "/v1/models/", 11) == 0 && path_len(t) > 11)
        ep = EP_MODEL;
    else if (path_is(t, "/v1/chat/completions"))
        ep = EP_CHAT;
    else if (path_is(t, "/v1/completions"))
        ep = EP_TEXT;
    sl->endpoint = (uint8_t)ep;
    flm_srv_error_t *e = &sl->early;
    bool gen = ep == EP_CHAT || ep == EP_TEXT;
    if (sl->http.version_minor >= 1 && !sl->http.has_host)
        flm_srv_error_set(e, 400, "invalid_request_error", NULL, "bad_request",
                          "An HTTP/1.1 request must carry a Host header.");
    else if (sl->http.expect_other)
        flm_srv_error_set(e, 417, "invalid_request_error", NULL, "expectation_failed",
                          "Only 'Expect: 100-continue' is understood.");
    else if (ep == EP_NONE)
        flm_srv_error_set(e, 404, "invalid_request_error", NULL, "not_found",
                          "Unknown path %.*s", (int)(path_len(t) > 96 ? 96 : path_len(t)), t);
    else if ((gen && !post) || (!gen && !get && !head))
        flm_srv_error_set(e, 405, "invalid_request_error", NULL, "method_not_allowed",
                          "%s is not allowed on %.*s", m, (int)(path_len(t) > 96 ? 96 : path_len(t)), t);
    else if (api && ep != EP_HEALTH && srv->settings.auth_token[0] && !sl->auth_ok)
        flm_srv_error_set(e, 401, "invalid_request_error", NULL, "invalid_api_key",
                          "Missing or incorrect bearer token (Authorization: Bearer ...).");
    else {
        if (sl->http.expect_continue && !flm_http_done(&sl->http)) {
            static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
            send_all(sl, cont, sizeof cont - 1);
        }
        return;
    }
    sl->has_early = true;
}

/* ---- cheap answers -------------------------------------------------------------------- */

static void page_body(flm_srv_out_t *o, const void *ctx)
{
    (void)ctx;
    flm_srv_put(o, flm_srv_kiosk_html, flm_srv_kiosk_len);
}

static void health_body(flm_srv_out_t *o, const void *ctx)
{
    const flm_server_t *srv = ctx;
    flm_srv_puts(o, srv->stopping ? "{\"status\":\"stopping\"" : "{\"status\":\"ok\"");
    flm_srv_puts(o, ",\"model\":");
    flm_srv_put_json(o, srv->cfg.local_model, strlen(srv->cfg.local_model));
    flm_srv_puts(o, ",\"cloud\":");
    if (srv->cfg.cloud && srv->cfg.cloud_model)
        flm_srv_put_json(o, srv->cfg.cloud_model, strlen(srv->cfg.cloud_model));
    else
        flm_srv_puts(o, "null");
    const flm_server_stats_t *s = &srv->stats;
    flm_srv_puts(o, ",\"slots\":");
    flm_srv_put_u64(o, srv->n_slots);
    flm_srv_puts(o, ",\"busy\":");
    flm_srv_put_u64(o, s->busy);
    flm_srv_puts(o, ",\"queued\":");
    flm_srv_put_u64(o, s->queued);
    flm_srv_puts(o, ",\"generating\":");
    flm_srv_puts(o, srv->running ? "true" : "false");
    static const char *const names[] = { "accepted", "refused", "evicted", "requests", "answers",
                                         "answered_local", "answered_cloud", "hangups" };
    const uint64_t vals[] = { s->accepted, s->refused, s->evicted, s->requests, s->answers,
                              s->local, s->cloud, s->hangups };
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        flm_srv_puts(o, ",\"");
        flm_srv_puts(o, names[i]);
        flm_srv_puts(o, "\":");
        flm_srv_put_u64(o, vals[i]);
    }
    flm_srv_puts(o, "}\n");
}

typedef struct {
    const char *local, *cloud;
    const char *id;
    bool        is_cloud;
} models_ctx_t;

static void models_body(flm_srv_out_t *o, const void *ctx)
{
    const models_ctx_t *m = ctx;
    if (m->id) {
        flm_srv_write_model(o, m->id, m->is_cloud);
        flm_srv_puts(o, "\n");
    } else {
        flm_srv_write_models(o, m->local, m->cloud);
    }
}

static const char *cloud_model(const flm_server_t *srv)
{
    return srv->cfg.cloud && srv->cfg.cloud_model && srv->cfg.cloud_model[0] ? srv->cfg.cloud_model
                                                                            : NULL;
}

/* The request is read: answer it now, or queue it for the engine. */
static void dispatch(slot_t *sl)
{
    flm_server_t *srv = sl->srv;
    bool keep = flm_http_keep_alive(&sl->http) && !srv->stopping && !sl->peer_eof;
    flm_err_t err = FLM_OK;
    if (sl->has_early) {
        err = respond_error(sl, &sl->early, !keep);
    } else {
        switch (sl->endpoint) {
        case EP_PAGE: {
            flm_http_header_t h[] = { { "Cache-Control", "no-store" },
                                      { "Content-Security-Policy",
                                        "default-src 'none'; script-src 'unsafe-inline'; "
                                        "style-src 'unsafe-inline'; connect-src 'self'; img-src data:" } };
            err = respond(sl, 200, "text/html; charset=utf-8", page_body, NULL, !keep, h, 2);
            break;
        }
        case EP_HEALTH:
            err = respond(sl, srv->stopping ? 503 : 200, "application/json", health_body, srv, !keep,
                          NULL, 0);
            break;
        case EP_MODELS: {
            models_ctx_t m = { srv->cfg.local_model, cloud_model(srv), NULL, false };
            err = respond(sl, 200, "application/json", models_body, &m, !keep, NULL, 0);
            break;
        }
        case EP_MODEL: {
            const char *id = sl->http.target + 11;
            size_t n = path_len(id);
            const char *cm = cloud_model(srv);
            models_ctx_t m = { NULL, NULL, NULL, false };
            if (n == strlen(srv->cfg.local_model) && memcmp(id, srv->cfg.local_model, n) == 0)
                m.id = srv->cfg.local_model;
            else if (cm && n == strlen(cm) && memcmp(id, cm, n) == 0) {
                m.id = cm;
                m.is_cloud = true;
            }
            if (m.id) {
                err = respond(sl, 200, "application/json", models_body, &m, !keep, NULL, 0);
            } else {
                flm_srv_error_t e;
                flm_srv_error_set(&e, 404, "invalid_request_error", "model", "model_not_found",
                                  "The model '%.*s' does not exist here.", (int)(n > 64 ? 64 : n), id);
                err = respond_error(sl, &e, !keep);
            }
            break;
        }
        default: { /* EP_CHAT, EP_TEXT */
            flm_srv_error_t e;
            flm_srv_kind_t kind = sl->endpoint == EP_CHAT ? FLM_SRV_CHAT : FLM_SRV_TEXT;
            if (flm_srv_decode(kind, sl->body, sl->body_len, &sl->rq, NULL, 0, NULL, NULL, &e)) {
                err = respond_error(sl, &e, !keep);
                break;
            }
            sl->state = SLOT_QUEUED;
            sl->seq = srv->next_seq++;
            srv->stats.queued++;
            return;
        }
        }
    }
    if (err || !keep || sl->hung_up) {
        slot_close(sl, true);
        return;
    }
    slot_next_request(sl);
}

/* Parse what the slot has read; answer or queue complete requests, one at
 * a time (pipelined ones wait their turn in the input). */
static void advance(slot_t *sl)
{
    flm_server_t *srv = sl->srv;
    uint64_t t = now_ms();
    while (sl->state == SLOT_OPEN) {
        if (sl->hung_up) {
            slot_close(sl, false);
            return;
        }
        if (sl->in_off == sl->in_len) {
            sl->in_off = sl->in_len = 0;
            break;
        }
        if (!sl->in_request) {
            sl->in_request = true;
            sl->request_ms = t;
        }
        size_t used = 0;
        flm_err_t err = flm_http_parse(&sl->http, sl->in + sl->in_off, sl->in_len - sl->in_off, &used);
        sl->in_off += used;
        if (err) {
            http_failure(sl, err);
            return;
        }
        if (flm_http_headers_done(&sl->http) && !sl->checked) {
            sl->checked = true;
            check_head(sl);
            /* an error with a body still to come: answer now, do not read it */
            if (sl->has_early && !flm_http_done(&sl->http) && sl->http.expect_continue) {
                respond_error(sl, &sl->early, true);
                slot_close(sl, true);
                return;
            }
        }
        if (flm_http_done(&sl->http))
            dispatch(sl);
    }
    if (sl->state != SLOT_OPEN)
        return;
    t = now_ms(); /* answers went out since: their sends moved active_ms on */
    /* room for more input: slide the unparsed rest to the front */
    if (sl->in_off && sl->in_len == FLM_SERVER_IN_BYTES) {
        memmove(sl->in, sl->in + sl->in_off, sl->in_len - sl->in_off);
        sl->in_len -= sl->in_off;
        sl->in_off = 0;
    }
    if (sl->in_request && t > sl->request_ms + srv->settings.request_timeout_ms) {
        flm_srv_error_t e;
        flm_srv_error_set(&e, 408, "invalid_request_error", NULL, "request_timeout",
                          "The request did not arrive within %u ms.",
                          (unsigned)srv->settings.request_timeout_ms);
        respond_error(sl, &e, true);
        slot_close(sl, true);
    } else if (sl->in_request && sl->peer_eof) {
        slot_close(sl, false); /* it will never be whole */
    } else if (!sl->in_request && (sl->peer_eof || srv->stopping ||
                                   t > sl->active_ms + srv->settings.idle_timeout_ms)) {
        slot_close(sl, !sl->peer_eof);
    }
}

/* ---- accepting ------------------------------------------------------------------------ */

/* No slot for a newcomer: 503, Retry-After, close. */
static void refuse(flm_server_t *srv, flm_hal_tcp_t *c)
{
    char buf[512];
    flm_srv_error_t e;
    flm_srv_error_set(&e, 503, "server_error", NULL, "server_busy",
                      "All %u connection slots are busy; retry later.", (unsigned)srv->n_slots);
    char body[256];
    flm_srv_out_t o;
    flm_srv_out_init(&o, body, sizeof body, NULL, NULL);
    flm_srv_write_error(&o, &e);
    flm_srv_puts(&o, "\n");
    size_t blen = o.total <= sizeof body ? (size_t)o.total : 0;
    flm_http_response_t rs = { .status = 503, .content_type = "application/json",
                               .content_length = (int64_t)blen, .close = true,
                               .retry_after_s = RETRY_AFTER_S };
    size_t len;
    if (blen && flm_http_write_response_head(&rs, buf, sizeof buf, &len) == FLM_OK &&
        len + blen <= sizeof buf) {
        memcpy(buf + len, body, blen);
        len += blen;
        size_t off = 0;
        uint64_t deadline = now_ms() + REFUSE_SEND_MS;
        while (off < len && now_ms() < deadline) {
            int k = flm_hal_tcp_send(c, (const uint8_t *)buf + off, len - off, REFUSE_SEND_MS);
            if (k < 0 && k != FLM_ERR_TIMEOUT)
                break;
            if (k > 0)
                off += (size_t)k;
        }
    }
    srv->stats.refused++;
    srv->stats.requests++;
    srv->stats.errors_5xx++;
    linger_close(srv, c, LINGER_MS);
}

static slot_t *free_slot(flm_server_t *srv)
{
    slot_t *idle = NULL;
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        slot_t *sl = &srv->slots[i];
        if (sl->state == SLOT_FREE)
            return sl;
        /* a keep-alive connection between requests may be given up (not
         * a new one whose first request is still on its way) */
        if (sl->state == SLOT_OPEN && sl->served && !sl->in_request && sl->in_len == sl->in_off &&
            (!idle || sl->active_ms < idle->active_ms))
            idle = sl;
    }
    if (idle) {
        flm_hal_log(FLM_LOG_DEBUG, "serve: all %u slots held: closing the longest idle one",
                    (unsigned)srv->n_slots);
        slot_close(idle, true);
        srv->stats.evicted++;
        return idle;
    }
    return NULL;
}

static void accept_all(flm_server_t *srv)
{
    for (uint32_t k = 0; k < ACCEPTS_PER_ROUND; k++) {
        flm_hal_tcp_t c;
        flm_hal_tcp_init(&c);
        flm_err_t err = flm_hal_tcp_accept(&srv->listener, &c, 0);
        if (err == FLM_ERR_NET_CONNECT)
            continue; /* out of descriptors for one: the others may still come */
        if (err)
            return;
        slot_t *sl = free_slot(srv);
        if (!sl) {
            refuse(srv, &c);
            continue;
        }
        sl->conn = c;
        sl->state = SLOT_OPEN;
        sl->active_ms = now_ms();
        sl->in_len = sl->in_off = 0;
        sl->peer_eof = sl->hung_up = false;
        sl->served = 0;
        slot_next_request(sl);
        srv->stats.accepted++;
        srv->stats.busy++;
    }
}

/* ---- input ------------------------------------------------------------------------------ */

/* Wait up to wait_ms for anything, then take what came: connections,
 * bytes, hang-ups, and the lingering closes' ends. */
static void poll_io(flm_server_t *srv, uint32_t wait_ms)
{
    flm_hal_tcp_t *conns[FLM_SERVER_SLOTS_MAX + FLM_SERVER_LINGER];
    bool ready[FLM_SERVER_SLOTS_MAX + FLM_SERVER_LINGER];
    size_t n = 0;
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        slot_t *sl = &srv->slots[i];
        bool room = sl->in_len < FLM_SERVER_IN_BYTES;
        conns[n++] = sl->state != SLOT_FREE && !sl->peer_eof && !sl->hung_up && room ? &sl->conn : NULL;
    }
    for (size_t i = 0; i < FLM_SERVER_LINGER; i++)
        conns[n++] = srv->linger[i].fd >= 0 ? &srv->linger[i] : NULL;
    bool l_ready = false;
    bool listening = !srv->stopping && srv->listener.fd >= 0;
    flm_err_t err = flm_hal_tcp_wait(listening ? &srv->listener : NULL, conns, n, wait_ms,
                                     &l_ready, ready);
    uint64_t t = now_ms();
    if (!err) {
        for (uint32_t i = 0; i < srv->n_slots; i++) {
            slot_t *sl = &srv->slots[i];
            if (!ready[i] || sl->state == SLOT_FREE)
                continue;
            int k = flm_hal_tcp_recv(&sl->conn, sl->in + sl->in_len, FLM_SERVER_IN_BYTES - sl->in_len, 0);
            if (k > 0) {
                sl->in_len += (size_t)k;
                sl->active_ms = t;
            } else if (k == FLM_ERR_NET_CLOSED) {
                /* a request in the input is still answered; a running or
                 * queued answer has nobody to go to */
                if (sl->state == SLOT_OPEN)
                    sl->peer_eof = true;
                else
                    sl->hung_up = true;
            } else if (k != FLM_ERR_TIMEOUT) {
                sl->hung_up = true;
            }
        }
    }
    for (size_t i = 0; i < FLM_SERVER_LINGER; i++) {
        flm_hal_tcp_t *c = &srv->linger[i];
        if (c->fd < 0)
            continue;
        bool done = t >= srv->linger_until[i] || (srv->stopping && t + STOP_LINGER_MS < srv->linger_until[i]);
        if (!err && ready[srv->n_slots + i]) {
            uint8_t sink[512];
            int k = flm_hal_tcp_recv(c, sink, sizeof sink, 0);
            done |= k < 0 && k != FLM_ERR_TIMEOUT;
        }
        if (done)
            flm_hal_tcp_close(c);
    }
    if (!err && l_ready)
        accept_all(srv);
    /* a queued request whose client left frees its slot now */
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        slot_t *sl = &srv->slots[i];
        if (sl->state == SLOT_QUEUED && sl->hung_up)
            slot_close(sl, false);
    }
}

/* ---- stopping ------------------------------------------------------------------------------ */

static void stop_if_asked(flm_server_t *srv)
{
    if (srv->stopping && srv->stop_requested > 1 && srv->stop_deadline_ms > now_ms()) {
        srv->stop_deadline_ms = now_ms(); /* asked again: the grace is over */
        flm_hal_log(FLM_LOG_INFO, "serve: asked again, cutting what runs");
    }
    if (!srv->stop_requested || srv->stopping)
        return;
    srv->stopping = true;
    srv->stop_deadline_ms = now_ms() + srv->settings.shutdown_timeout_ms;
    flm_hal_tcp_listener_close(&srv->listener);
    flm_hal_log(FLM_LOG_INFO, "serve: stopping (%u connection%s open, %u queued)",
                (unsigned)srv->stats.busy, srv->stats.busy == 1 ? "" : "s",
                (unsigned)srv->stats.queued);
}

/* Stopping: what waits for the engine is told to come back later. */
static void refuse_queued(flm_server_t *srv)
{
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        slot_t *sl = &srv->slots[i];
        if (sl->state != SLOT_QUEUED)
            continue;
        flm_srv_error_t e;
        flm_srv_error_set(&e, 503, "server_error", NULL, "shutting_down",
                          "The server is shutting down; retry later.");
        sl->state = SLOT_OPEN;
        if (srv->stats.queued)
            srv->stats.queued--;
        respond_error(sl, &e, true);
        slot_close(sl, true);
    }
}

/* ---- generation ------------------------------------------------------------------------------ */

typedef enum { GEN_RUNNING = 0, GEN_STOP_SEQ, GEN_FULL, GEN_CUT } gen_end_t;

typedef struct {
    flm_server_t    *srv;
    slot_t          *sl;
    flm_ask_result_t res;
    flm_srv_text_t   text;
    flm_srv_answer_t ans;
    bool             stream;
    bool             started;    /* the stream's head went out */
    bool             chunked;    /* HTTP/1.1: chunked framing, else until close */
    bool             decided;    /* ans's route is known (first text) */
    bool             any_text;   /* chat: the answer's first word came */
    uint8_t          end;        /* gen_end_t: why the text stopped before the model did */
    size_t           answer_len;
    uint64_t         pace_next_ms;
    char             score[8];
    char             route_hdr[40];
} gen_t;

static void take_decision(gen_t *g)
{
    const flm_route_decision_t *d = &g->res.decision;
    flm_server_t *srv = g->srv;
    g->ans.cloud = d->route == FLM_ROUTE_CLOUD;
    g->ans.model = g->ans.cloud && cloud_model(srv) ? cloud_model(srv) : srv->cfg.local_model;
    g->ans.reason = flm_route_reason_name(d->reason);
    g->ans.degraded = g->res.degraded;
    flm_route_score_text(d->score, g->score);
    g->ans.score = d->scored ? g->score : NULL;
    g->decided = true;
}

/* One SSE event (a chunk, or an error object when e) in the slot's output,
 * framed as one HTTP chunk when chunked. */
static flm_err_t send_sse(gen_t *g, flm_srv_chunk_t what, const char *piece, size_t n,
                          const flm_srv_error_t *e)
{
    slot_t *sl = g->sl;
    enum { FRONT = 24 };
    flm_srv_out_t o;
    flm_srv_out_init(&o, sl->out + FRONT, FLM_SERVER_OUT_BYTES - FRONT - 2, NULL, NULL);
    if (e) {
        flm_srv_puts(&o, "data: ");
        flm_srv_write_error(&o, e);
        flm_srv_puts(&o, "\n\n");
    } else {
        flm_srv_write_chunk(&o, &g->ans, what, piece, n);
    }
    if (o.total > o.cap)
        return FLM_ERR_OVERFLOW; /* cannot happen: pieces are bounded */
    size_t len = (size_t)o.total, start = FRONT;
    if (g->chunked) {
        char line[20];
        size_t l = flm_http_chunk_line(len, line);
        start = FRONT - l;
        memcpy(sl->out + start, line, l);
        memcpy(sl->out + FRONT + len, "\r\n", 2);
        len += 2;
    }
    return send_all(sl, sl->out + start, FRONT - start + len);
}

static void route_headers(gen_t *g, flm_http_header_t *h, size_t *n)
{
    flm_snprintf(g->route_hdr, sizeof g->route_hdr, "%s", g->ans.reason ? g->ans.reason : "");
    h[(*n)++] = (flm_http_header_t){ "x-fieldlm-route", g->route_hdr };
    if (g->ans.score)
        h[(*n)++] = (flm_http_header_t){ "x-fieldlm-score", g->ans.score };
    if (g->ans.degraded)
        h[(*n)++] = (flm_http_header_t){ "x-fieldlm-degraded", "true" };
}

/* The stream's head and its first event, once the route is known. */
static flm_err_t start_stream(gen_t *g)
{
    if (g->started)
        return FLM_OK;
    if (!g->decided)
        take_decision(g);
    slot_t *sl = g->sl;
    g->chunked = sl->http.version_minor >= 1;
    flm_http_header_t h[6];
    size_t nh = 0;
    h[nh++] = (flm_http_header_t){ "Cache-Control", "no-cache" };
    h[nh++] = (flm_http_header_t){ "X-Accel-Buffering", "no" };
    route_headers(g, h, &nh);
    bool keep = flm_http_keep_alive(&sl->http) && g->chunked && !g->srv->stopping;
    flm_http_response_t rs = { .status = 200, .content_type = "text/event-stream",
                               .content_length = -1, .chunked = g->chunked, .close = !keep,
                               .headers = h, .n_headers = nh };
    size_t len;
    flm_err_t err = flm_http_write_response_head(&rs, sl->out, FLM_SERVER_OUT_BYTES, &len);
    if (!err)
        err = send_all(sl, sl->out, len);
    g->started = true;
    if (!err && g->ans.kind == FLM_SRV_CHAT)
        err = send_sse(g, FLM_SRV_CHUNK_ROLE, NULL, 0, NULL);
    return err;
}

/* A piece of clean text from the filter. */
static flm_err_t emit(void *user, const char *text, size_t n)
{
    gen_t *g = user;
    if (g->stream) {
        flm_err_t err = start_stream(g);
        if (!err)
            err = send_sse(g, FLM_SRV_CHUNK_TEXT, text, n, NULL);
        return err;
    }
    size_t room = FLM_SERVER_ANSWER_BYTES - 1 - g->answer_len;
    if (n > room) {
        /* keep whole characters only */
        while (room && ((unsigned char)text[room] & 0xC0) == 0x80)
            room--;
        n = room;
        g->end = GEN_FULL;
    }
    memcpy(g->srv->answer + g->answer_len, text, n);
    g->answer_len += n;
    return FLM_OK;
}

/* Let the other connections in, at most every SERVICE_MS. */
static void service_now(flm_server_t *srv, uint32_t wait_ms)
{
    uint64_t t = now_ms();
    if (!wait_ms && t - srv->last_service_ms < SERVICE_MS)
        return;
    service(srv, wait_ms);
}

static bool stop_now(gen_t *g)
{
    flm_server_t *srv = g->srv;
    if (srv->stopping && now_ms() >= srv->stop_deadline_ms && g->end == GEN_RUNNING)
        g->end = GEN_CUT;
    return g->sl->hung_up || g->end != GEN_RUNNING;
}

/* flm_router_ask's on_text: the model's or the cloud's text. */
static flm_err_t on_text(void *user, const char *text, size_t n)
{
    gen_t *g = user;
    flm_server_t *srv = g->srv;
    if (!g->decided)
        take_decision(g); /* by the first text the route is final */
    if (g->ans.kind == FLM_SRV_CHAT && !g->any_text) {
        /* a chat answer starts with its first word, not the space a story
         * model puts before it */
        while (n && (*text == ' ' || *text == '\n')) {
            text++;
            n--;
        }
        g->any_text = n > 0;
    }
    flm_err_t err = flm_srv_text_feed(&g->text, text, n);
    if (g->text.stopped && g->end == GEN_RUNNING)
        g->end = GEN_STOP_SEQ;
    if (err)
        g->sl->hung_up = true;
    if (srv->cfg.pace_ms) {
        /* a slower stream for demos: the others are served meanwhile */
        uint64_t t = now_ms();
        if (g->pace_next_ms > t)
            while (!stop_now(g) && (t = now_ms()) < g->pace_next_ms)
                service(srv, (uint32_t)(g->pace_next_ms - t));
        g->pace_next_ms = now_ms() + srv->cfg.pace_ms;
    }
    service_now(srv, 0);
    return stop_now(g) ? FLM_ERR_CANCELLED : FLM_OK;
}

static bool cancelled(void *user)
{
    gen_t *g = user;
    service_now(g->srv, 0);
    return stop_now(g);
}

static const char *finish_reason(const gen_t *g, const flm_router_t *r)
{
    if (g->end == GEN_STOP_SEQ)
        return "stop";
    if (g->end == GEN_FULL)
        return "length";
#if FLM_CFG_CLOUD
    if (g->res.decision.route == FLM_ROUTE_CLOUD && g->res.cloud.reply &&
        g->res.cloud.reply->finish_reason[0])
        return g->res.cloud.reply->finish_reason;
#endif
    if (g->res.decision.route == FLM_ROUTE_LOCAL &&
        (r->engine->status == FLM_ENGINE_DONE_LENGTH || r->engine->status == FLM_ENGINE_DONE_CONTEXT))
        return "length";
    return "stop";
}

static void completion_body(flm_srv_out_t *o, const void *ctx)
{
    flm_srv_write_completion(o, ctx);
}

/* Sampling for this request: its fields over the device's defaults. */
static void set_sampling(flm_server_t *srv, const flm_srv_request_t *rq, bool restore)
{
    flm_sampler_params_t p = srv->cfg.sampling;
    bool reseed = false;
    if (!restore) {
        if (rq->has_temperature)
            p.temperature = rq->temperature;
        if (rq->has_top_p) {
            p.top_p = rq->top_p;
            if (rq->top_p == 0)
                p.temperature = 0; /* nothing but the likeliest token */
        }
        if (rq->has_seed) {
            p.seed = rq->seed;
            reseed = true;
        }
    }
    flm_sampler_set_params(&srv->cfg.router->engine->sampler, &p, reseed);
}

static void generate(flm_server_t *srv, slot_t *sl)
{
    flm_router_t *r = srv->cfg.router;
    flm_engine_t *e = r->engine;
    gen_t g;
    memset(&g, 0, sizeof g);
    g.srv = srv;
    g.sl = sl;
    g.stream = sl->rq.stream;
    srv->running = sl;
    sl->state = SLOT_RUNNING;
    if (srv->stats.queued)
        srv->stats.queued--;
    uint64_t t0 = now_ms();

    const char *prompt = NULL, *system = NULL;
    flm_srv_error_t fe;
    flm_srv_kind_t kind = sl->endpoint == EP_CHAT ? FLM_SRV_CHAT : FLM_SRV_TEXT;
    flm_err_t err = flm_srv_decode(kind, sl->body, sl->body_len, &sl->rq, srv->text, srv->text_cap,
                                   &prompt, &system, &fe);
    const flm_srv_request_t *rq = &sl->rq;
    g.ans.kind = (uint8_t)kind;
    g.ans.id = srv->next_id++;
    g.ans.created = srv->cfg.clock_s ? srv->cfg.clock_s() : 0;
    uint32_t max_tokens = rq->max_tokens ? rq->max_tokens : srv->settings.max_tokens;
    flm_srv_text_init(&g.text, rq->stop, rq->n_stop, emit, &g);

    bool keep = flm_http_keep_alive(&sl->http);
    bool answered = false;
    if (err) {
        if (err != FLM_ERR_ARG)
            flm_srv_error_set(&fe, 500, "server_error", NULL, NULL, "The request could not be "
                              "decoded again (%s).", flm_strerror(err));
        respond_error(sl, &fe, !keep);
        answered = true;
    } else {
        /* positions for max_tokens new ones: the prompt's count first */
        uint32_t steps = 0;
        if (flm_engine_start(e, (const uint8_t *)prompt, strlen(prompt), 0) == FLM_OK &&
            (uint64_t)e->n_prompt + max_tokens < UINT32_MAX)
            steps = e->n_prompt + max_tokens - 1; /* the last prompt position gives the first */
        set_sampling(srv, rq, false);
        if (kind == FLM_SRV_TEXT && rq->echo)
            flm_srv_text_raw(&g.text, prompt, strlen(prompt));
        flm_ask_t q = {
            .prompt = prompt, .system = system, .steps = steps, .max_tokens = (int32_t)max_tokens,
            .stream = g.stream, .on_text = on_text, .cancelled = cancelled, .user = &g,
            .set_temperature = rq->has_temperature,
            .temperature_milli = (int32_t)(((uint64_t)rq->temperature * 1000u + 32768u) >> 16),
        };
        err = flm_router_ask(r, srv->cfg.cloud, &q, &g.res);
        set_sampling(srv, rq, true);
        if (!sl->hung_up)
            flm_srv_text_finish(&g.text);
        if (err == FLM_ERR_CANCELLED && !sl->hung_up &&
            (g.end == GEN_STOP_SEQ || g.end == GEN_FULL))
            err = FLM_OK; /* the text ended here, not the answer's generation */
    }
    take_decision(&g);
    bool local = g.res.decision.route == FLM_ROUTE_LOCAL;
    g.ans.finish_reason = finish_reason(&g, r);
    if (local) {
        g.ans.prompt_tokens = g.res.prompt_tokens;
        g.ans.completion_tokens = g.res.local_tokens;
    }
#if FLM_CFG_CLOUD
    else if (g.res.cloud.reply && g.res.cloud.reply->has_usage) {
        g.ans.prompt_tokens = (uint32_t)g.res.cloud.reply->prompt_tokens;
        g.ans.completion_tokens = (uint32_t)g.res.cloud.reply->completion_tokens;
    }
#endif
    g.ans.text = srv->answer;
    g.ans.text_len = g.answer_len;

    if (answered) {
        /* a 400 from the second decoding: said already */
    } else if (sl->hung_up) {
        srv->stats.hangups++;
        srv->stats.answers++;
        flm_hal_log(FLM_LOG_INFO, "serve: %s %s: the client went away after %u tokens; "
                    "generation stopped (%s)", sl->http.method, sl->http.target,
                    local ? (unsigned)g.res.local_tokens : 0u, g.ans.reason);
    } else if (err && !g.started) {
        flm_srv_error_t ee;
        if (g.end == GEN_CUT)
            flm_srv_error_set(&ee, 503, "server_error", NULL, "shutting_down",
                              "The server is shutting down; retry later.");
        else if (err == FLM_ERR_ENGINE_CONTEXT_FULL || err == FLM_ERR_ENGINE_PROMPT_TOO_LONG)
            flm_srv_error_set(&ee, 400, "invalid_request_error", kind == FLM_SRV_CHAT ? "messages" : "prompt",
                              "context_length_exceeded", "The prompt is longer than the device's "
                              "context and no cloud can take it.");
        else if (!local)
            flm_srv_error_set(&ee, 502, "server_error", NULL, "cloud_error",
                              "The cloud failed mid-answer (%s).", flm_strerror(err));
        else
            flm_srv_error_set(&ee, 500, "server_error", NULL, NULL, "Generation failed (%s).",
                              flm_strerror(err));
        respond_error(sl, &ee, !keep || g.end == GEN_CUT);
        srv->stats.answers++;
    } else if (g.stream) {
        flm_err_t se = start_stream(&g);
        if (err) {
            flm_srv_error_t ee;
            if (g.end == GEN_CUT)
                flm_srv_error_set(&ee, 503, "server_error", NULL, "shutting_down",
                                  "The server is shutting down: the answer was cut.");
            else
                flm_srv_error_set(&ee, 502, "server_error", NULL, local ? NULL : "cloud_error",
                                  "The answer failed midway (%s).", flm_strerror(err));
            if (!se)
                se = send_sse(&g, FLM_SRV_CHUNK_DONE, NULL, 0, &ee);
        } else {
            if (!se)
                se = send_sse(&g, FLM_SRV_CHUNK_FINISH, NULL, 0, NULL);
            if (!se && rq->include_usage)
                se = send_sse(&g, FLM_SRV_CHUNK_USAGE, NULL, 0, NULL);
        }
        if (!se)
            se = send_sse(&g, FLM_SRV_CHUNK_DONE, NULL, 0, NULL);
        if (!se && g.chunked)
            se = send_all(sl, "0\r\n\r\n", 5);
        srv->stats.requests++;
        srv->stats.answers++;
        if (!err) {
            srv->stats.local += local;
            srv->stats.cloud += !local;
        }
        if (!g.chunked)
            keep = false;
    } else {
        flm_http_header_t h[4];
        size_t nh = 0;
        route_headers(&g, h, &nh);
        respond(sl, 200, "application/json", completion_body, &g.ans, !keep || srv->stopping, h, nh);
        srv->stats.answers++;
        srv->stats.local += local;
        srv->stats.cloud += !local;
    }
    if (!answered && !sl->hung_up)
        flm_hal_log(FLM_LOG_INFO, "serve: %s %s %s %s tokens=%u+%u %s%u ms", sl->http.method,
                    sl->http.target, g.stream ? "stream" : "whole", g.ans.reason,
                    (unsigned)g.ans.prompt_tokens, (unsigned)g.ans.completion_tokens,
                    err ? "failed " : "", (unsigned)(now_ms() - t0));
    flm_wipe(srv->text, srv->text_cap);
    flm_wipe(srv->answer, g.answer_len);
    srv->running = NULL;
    sl->state = SLOT_OPEN;
    if (sl->hung_up || !keep || srv->stopping || g.end == GEN_CUT) {
        slot_close(sl, !sl->hung_up);
        return;
    }
    slot_next_request(sl);
}

/* ---- the loop ------------------------------------------------------------------------------------ */

/* Everything but generating: wait, read, answer, queue, expire. */
static void service(flm_server_t *srv, uint32_t wait_ms)
{
    srv->last_service_ms = now_ms();
    stop_if_asked(srv);
    poll_io(srv, wait_ms);
    stop_if_asked(srv);
    for (uint32_t i = 0; i < srv->n_slots; i++)
        if (srv->slots[i].state == SLOT_OPEN)
            advance(&srv->slots[i]);
    if (srv->stopping)
        refuse_queued(srv);
}

static slot_t *next_queued(flm_server_t *srv)
{
    slot_t *best = NULL;
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        slot_t *sl = &srv->slots[i];
        if (sl->state == SLOT_QUEUED && !sl->hung_up && (!best || sl->seq < best->seq))
            best = sl;
    }
    return best;
}

static bool lingering(const flm_server_t *srv)
{
    for (size_t i = 0; i < FLM_SERVER_LINGER; i++)
        if (srv->linger[i].fd >= 0)
            return true;
    return false;
}

/* Anything to parse right away, so the wait must not sleep? */
static bool input_pending(const flm_server_t *srv)
{
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        const slot_t *sl = &srv->slots[i];
        if (sl->state == SLOT_OPEN && (sl->in_off < sl->in_len || sl->hung_up || sl->peer_eof))
            return true;
    }
    return false;
}

/* The configured background work, when it is due and nothing waits. */
static void idle_work(flm_server_t *srv)
{
    if (!srv->cfg.idle || !srv->cfg.idle_every_ms || srv->stopping || next_queued(srv))
        return;
    uint64_t t = now_ms();
    if (t < srv->next_idle_ms)
        return;
    uint32_t after = srv->cfg.idle(srv->cfg.idle_user);
    srv->next_idle_ms = now_ms() + (after ? after : srv->cfg.idle_every_ms);
}

flm_err_t flm_server_run(flm_server_t *srv)
{
    if (!srv || !srv->slots)
        return FLM_ERR_ARG;
    if (srv->listener.fd < 0) {
        flm_err_t err = flm_server_listen(srv, srv->settings.listen, (uint16_t)srv->settings.port);
        if (err)
            return err;
    }
    for (;;) {
        slot_t *next = srv->stopping ? NULL : next_queued(srv);
        if (next) {
            generate(srv, next);
            continue;
        }
        if (srv->stopping) {
            /* everything answered or refused: close what is left, drain briefly */
            for (uint32_t i = 0; i < srv->n_slots; i++)
                if (srv->slots[i].state == SLOT_OPEN && !srv->slots[i].in_request)
                    slot_close(&srv->slots[i], false);
            if (srv->stats.busy == 0 && !lingering(srv))
                break;
            if (now_ms() > srv->stop_deadline_ms + STOP_LINGER_MS) {
                for (uint32_t i = 0; i < srv->n_slots; i++)
                    slot_close(&srv->slots[i], false);
                for (size_t i = 0; i < FLM_SERVER_LINGER; i++)
                    flm_hal_tcp_close(&srv->linger[i]);
                break;
            }
        }
        service(srv, input_pending(srv) ? 0 : srv->stopping ? 20u : IDLE_WAIT_MS);
        idle_work(srv);
    }
    flm_hal_log(FLM_LOG_INFO, "serve: stopped after %llu requests (%llu answers: %llu local, "
                "%llu cloud; %llu refused)", (unsigned long long)srv->stats.requests,
                (unsigned long long)srv->stats.answers, (unsigned long long)srv->stats.local,
                (unsigned long long)srv->stats.cloud, (unsigned long long)srv->stats.refused);
    return FLM_OK;
}

void flm_server_deinit(flm_server_t *srv)
{
    if (!srv)
        return;
    for (uint32_t i = 0; srv->slots && i < srv->n_slots; i++)
        flm_hal_tcp_close(&srv->slots[i].conn);
    for (size_t i = 0; i < FLM_SERVER_LINGER; i++)
        flm_hal_tcp_close(&srv->linger[i]);
    flm_hal_tcp_listener_close(&srv->listener);
    flm_wipe(srv, sizeof *srv);
}

#endif /* FLM_CFG_SERVER */
