/* The cloud client's life cycle against an in-memory scripted transport:
 * each connect takes the next step of a script (fail to connect, or serve a
 * canned reply in pieces, optionally failing or stalling at some byte). */
#include <string.h>

#include "core/cloud/cloud_client.h"
#include "core/guard/esclog.h"
#include "core/guard/forward.h"
#include "core/proto/json_read.h"
#include "port/posix/hal_posix.h"
#include "tests/fixtures/cloud_fixtures.h"
#include "tests/harness/harness.h"
#include "tests/unit/guard/cut_store.h"

#define KEY "sk-secret-KEY-123"

typedef struct {
    flm_err_t   connect_err;  /* connect fails with this */
    const char *reply;
    size_t      piece;        /* bytes per recv; 0 = as many as fit */
    size_t      fail_at;      /* reply offset where fail_err happens; 0 = never */
    flm_err_t   fail_err;     /* FLM_ERR_TIMEOUT stalls (forever), others fail */
    flm_err_t   send_err;     /* sending fails with this (after a first piece) */
    uint32_t    first_byte_ms;/* the reply starts this long after connecting */
} step_t;

typedef struct {
    const step_t *steps;
    int      n_steps, next, cur, open;
    uint64_t connect_ms[16];
    char     sent[16][4096];
    size_t   sent_len[16];
    size_t   pos;
} script_t;

static int fake_send(void *ctx, const uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    script_t *s = ctx;
    (void)timeout_ms;
    if (s->steps[s->cur].send_err && s->sent_len[s->cur] > 0)
        return s->steps[s->cur].send_err;
    size_t room = sizeof s->sent[0] - s->sent_len[s->cur];
    if (n > room)
        n = room;
    if (n == 0)
        return FLM_ERR_NET_SEND;
    if (n > 7)
        n /= 2; /* partial sends must be handled */
    memcpy(s->sent[s->cur] + s->sent_len[s->cur], buf, n);
    s->sent_len[s->cur] += n;
    return (int)n;
}

static int fake_recv(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    script_t *s = ctx;
    const step_t *st = &s->steps[s->cur];
    size_t len = strlen(st->reply);
    if (flm_hal_time_ms() < s->connect_ms[s->cur] + st->first_byte_ms) {
        flm_hal_sleep_ms(timeout_ms < 5 ? timeout_ms : 5);
        return FLM_ERR_TIMEOUT;
    }
    if (st->fail_at && s->pos == st->fail_at) {
        if (st->fail_err == FLM_ERR_TIMEOUT)
            flm_hal_sleep_ms(timeout_ms < 5 ? timeout_ms : 5);
        return st->fail_err;
    }
    if (s->pos >= len)
        return FLM_ERR_NET_CLOSED;
    size_t n = len - s->pos;
    if (st->piece && n > st->piece)
        n = st->piece;
    if (n > cap)
        n = cap;
    if (st->fail_at && n > st->fail_at - s->pos)
        n = st->fail_at - s->pos;
    memcpy(buf, st->reply + s->pos, n);
    s->pos += n;
    return (int)n;
}

static void fake_close(void *ctx)
{
    script_t *s = ctx;
    s->open--;
}

static flm_err_t fake_connect(void *user, const char *host, uint16_t port, uint32_t timeout_ms,
                              flm_transport_t *t)
{
    script_t *s = user;
    (void)timeout_ms;
    if (strcmp(host, "api.test") != 0 || port != 8443 || s->next >= s->n_steps || s->next >= 16)
        return FLM_ERR_NET_CONNECT;
    s->cur = s->next++;
    s->connect_ms[s->cur] = flm_hal_time_ms();
    s->pos = 0;
    if (s->steps[s->cur].connect_err)
        return s->steps[s->cur].connect_err;
    s->open++;
    t->ctx = s;
    t->send = fake_send;
    t->recv = fake_recv;
    t->close = fake_close;
    return FLM_OK;
}

static flm_cloud_client_t client;
static script_t script;
static char reply_ok[2048], reply_stream[4096], reply_json_for_stream[2048];

typedef struct {
    char   text[512];
    size_t len;
    int    calls;
    int    cancel_after; /* cancel once this many deltas arrived; 0 = never */
    int    polls;
    int    cancel_after_polls;
} ui_t;

static flm_err_t on_delta(void *user, const char *t, size_t n)
{
    ui_t *u = user;
    if (n >= sizeof u->text - u->len)
        return FLM_ERR_OVERFLOW;
    memcpy(u->text + u->len, t, n);
    u->len += n;
    u->text[u->len] = '\0';
    u->calls++;
    return FLM_OK;
}

static bool cancelled(void *user)
{
    ui_t *u = user;
    u->polls++;
    return (u->cancel_after && u->calls >= u->cancel_after) ||
           (u->cancel_after_polls && u->polls >= u->cancel_after_polls);
}

static void setup(const step_t *steps, int n_steps, uint32_t max_attempts)
{
    memset(&script, 0, sizeof script);
    script.steps = steps;
    script.n_steps = n_steps;
    flm_cloud_config_t cfg;
    flm_cloud_config_defaults(&cfg);
    cfg.host = "api.test";
    cfg.port = 8443;
    cfg.model = "gpt-4o-mini";
    cfg.api_key = KEY;
    cfg.connect = fake_connect;
    cfg.connect_user = &script;
    cfg.max_attempts = max_attempts;
    cfg.backoff_base_ms = 2;
    cfg.backoff_max_ms = 10;
    cfg.read_timeout_ms = 200;
    cfg.deadline_ms = 5000;
    flm_cloud_init(&client, &cfg);
    flm_hal_log_set_level(FLM_LOG_ERROR); /* retries log warnings */

    snprintf(reply_ok, sizeof reply_ok,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "openai-processing-ms: 344\r\n\r\n%s", sizeof fx_completion - 1, fx_completion);
    /* The event stream, chunked in 50-byte chunks like a real server. */
    size_t n = (size_t)snprintf(reply_stream, sizeof reply_stream,
                                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                                "Transfer-Encoding: chunked\r\n\r\n");
    for (size_t off = 0; off < sizeof fx_stream - 1; off += 50) {
        size_t k = sizeof fx_stream - 1 - off < 50 ? sizeof fx_stream - 1 - off : 50;
        n += (size_t)snprintf(reply_stream + n, sizeof reply_stream - n, "%zx\r\n%.*s\r\n", k,
                              (int)k, fx_stream + off);
    }
    snprintf(reply_stream + n, sizeof reply_stream - n, "0\r\n\r\n");
    snprintf(reply_json_for_stream, sizeof reply_json_for_stream,
             "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
             "%zx\r\n%s\r\n0\r\n\r\n", sizeof fx_completion - 1, fx_completion);
}

static bool memory_holds(const void *mem, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp((const char *)mem + i, needle, k) == 0)
            return true;
    return false;
}

static flm_err_t ask(bool stream, ui_t *u, flm_cloud_result_t *res)
{
    flm_cloud_request_t rq = { .prompt = "Why is the sky blue?", .system = "Be brief.",
                               .max_tokens = 100, .temperature_milli = -1, .stream = stream,
                               .on_delta = on_delta, .cancelled = cancelled, .user = u };
    return flm_cloud_complete(&client, &rq, res);
}

FLM_TEST(cloud_non_streaming_and_streaming_agree)
{
    static const step_t steps[3] = {
        { .reply = reply_ok, .piece = 13 },
        { .reply = reply_stream, .piece = 7 },
        { .reply = reply_json_for_stream, .piece = 100 },
    };
    setup(steps, 3, 1);
    flm_cloud_result_t res;
    ui_t u1 = { .len = 0 }, u2 = { .len = 0 }, u3 = { .len = 0 };
    FLM_CHECK_EQ(ask(false, &u1, &res), FLM_OK);
    FLM_CHECK_EQ(res.attempts, 1);
    FLM_CHECK_EQ(res.http_status, 200);
    FLM_CHECK(strcmp(res.reply->text, FX_ANSWER) == 0 && strcmp(u1.text, FX_ANSWER) == 0);
    FLM_CHECK(res.reply->total_tokens == 29 && res.reply->prompt_tokens == 19);
    int64_t usage1 = res.reply->total_tokens;
    char fr1[32];
    strcpy(fr1, res.reply->finish_reason);

    FLM_CHECK_EQ(ask(true, &u2, &res), FLM_OK);
    FLM_CHECK(strcmp(res.reply->text, FX_ANSWER) == 0 && strcmp(u2.text, FX_ANSWER) == 0);
    FLM_CHECK(u2.calls == 3 && u1.calls == 1);
    FLM_CHECK_EQ(res.reply->total_tokens, usage1);
    FLM_CHECK(strcmp(res.reply->finish_reason, fr1) == 0);

    /* A server that ignores "stream": the JSON reply gives the same answer. */
    FLM_CHECK_EQ(ask(true, &u3, &res), FLM_OK);
    FLM_CHECK(strcmp(u3.text, FX_ANSWER) == 0);
    FLM_CHECK_EQ(script.open, 0); /* every connection closed */

    /* What left the device: one well-formed request each time. */
    for (int i = 0; i < 2; i++) {
        const char *req = script.sent[i];
        FLM_CHECK(strncmp(req, "POST /v1/chat/completions HTTP/1.1\r\nHost: api.test:8443\r\n", 56) == 0);
        FLM_CHECK(strstr(req, "\r\nAuthorization: Bearer " KEY "\r\n") != NULL);
        FLM_CHECK(strstr(req, i ? "Accept: text/event-stream" : "Accept: application/json") != NULL);
        const char *body = strstr(req, "\r\n\r\n") + 4;
        size_t blen = script.sent_len[i] - (size_t)(body - req);
        FLM_CHECK_EQ(flm_json_validate(body, blen), FLM_OK);
        char cl[32];
        snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", blen);
        FLM_CHECK(strstr(req, cl) != NULL);
        int64_t v = 0;
        FLM_CHECK_EQ(flm_json_find_int(body, blen, "max_tokens", &v), FLM_OK);
        FLM_CHECK_EQ(v, 100);
        char s[64];
        FLM_CHECK_EQ(flm_json_find_string(body, blen, "messages[1].content", s, sizeof s, NULL), FLM_OK);
        FLM_CHECK(strcmp(s, "Why is the sky blue?") == 0);
        flm_json_reader_t r;
        flm_json_token_t t;
        flm_json_reader_init(&r, body, blen);
        FLM_CHECK_EQ(flm_json_find(&r, "stream_options.include_usage", &t), i ? FLM_OK : FLM_ERR_NOT_FOUND);
    }
    /* The key is nowhere in the client's memory after the request. */
    FLM_CHECK(!memory_holds(&client, sizeof client, KEY));
}

FLM_TEST(cloud_retries_connect_errors_408_429_5xx)
{
    static const step_t steps[] = {
        { .connect_err = FLM_ERR_NET_CONNECT },
        { .reply = reply_ok, .send_err = FLM_ERR_NET_SEND },
        { .reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy" },
        { .reply = "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n" },
        { .reply = "HTTP/1.1 429 Too Many Requests\r\nretry-after-ms: 120\r\nContent-Length: 0\r\n\r\n" },
        { .reply = "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n\r\n<html>bad gateway</html>" },
        { .reply = reply_ok },
    };
    setup(steps, 7, 7);
    client.cfg.breaker_threshold = 0;
    ui_t u = { .len = 0 };
    flm_cloud_result_t res;
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_OK);
    FLM_CHECK_EQ(res.attempts, 7);
    FLM_CHECK(strcmp(u.text, FX_ANSWER) == 0);
    /* Retry-After honoured: the attempt after the 429 waited >= 120 ms. */
    FLM_CHECK(script.connect_ms[5] - script.connect_ms[4] >= 120);
    FLM_CHECK(res.waited_ms >= 120);
    FLM_CHECK_EQ(script.open, 0);
    FLM_CHECK_EQ(flm_cloud_breaker_state(&client), FLM_CLOUD_BREAKER_CLOSED);

    /* Out of attempts: the last failure is reported. */
    static const step_t fail3[] = {
        { .reply = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n" },
        { .reply = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n" },
        { .reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n" },
        { .reply = reply_ok },
    };
    setup(fail3, 4, 3);
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_ERR_CLOUD_HTTP_STATUS);
    FLM_CHECK_EQ(res.attempts, 3);
    FLM_CHECK_EQ(res.http_status, 503);
    FLM_CHECK_EQ(script.next, 3);
}

FLM_TEST(cloud_no_retry_on_4xx_and_quota)
{
    static char quota[1024], unauth[1024], rate[1024];
    snprintf(quota, sizeof quota, "HTTP/1.1 429 Too Many Requests\r\nContent-Length: %zu\r\n\r\n%s",
             sizeof fx_quota_error - 1, fx_quota_error);
    snprintf(unauth, sizeof unauth, "HTTP/1.1 401 Unauthorized\r\nContent-Length: %zu\r\n\r\n%s",
             sizeof fx_key_error - 1, fx_key_error);
    snprintf(rate, sizeof rate, "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: %zu\r\n\r\n%s",
             sizeof fx_rate_error - 1, fx_rate_error);
    step_t steps[] = { { .reply = quota }, { .reply = reply_ok } };
    setup(steps, 2, 4);
    ui_t u = { .len = 0 };
    flm_cloud_result_t res;
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_ERR_CLOUD_QUOTA);
    FLM_CHECK_EQ(res.attempts, 1);
    FLM_CHECK_EQ(res.http_status, 429);
    FLM_CHECK(strcmp(res.reply->err_code, "insufficient_quota") == 0);

    /* 401: final; the key quoted back in the message is masked. */
    steps[0].reply = unauth;
    setup(steps, 2, 4);
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_ERR_CLOUD_HTTP_STATUS);
    FLM_CHECK_EQ(res.attempts, 1);
    FLM_CHECK_EQ(res.http_status, 401);
    FLM_CHECK(strcmp(res.reply->err_code, "invalid_api_key") == 0);
    FLM_CHECK(strstr(res.reply->err_message, "Incorrect API key provided: *****************.") != NULL);
    FLM_CHECK(!memory_holds(&client, sizeof client, KEY));

    /* 400, 404: final too. */
    steps[0].reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    setup(steps, 2, 4);
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_ERR_CLOUD_HTTP_STATUS);
    FLM_CHECK_EQ(res.attempts, 1);

    /* A Retry-After that would pass the deadline: no pointless wait. */
    steps[0].reply = rate;
    setup(steps, 2, 4);
    flm_cloud_request_t rq = { .prompt = "p", .temperature_milli = -1, .deadline_ms = 500 };
    FLM_CHECK_EQ(flm_cloud_complete(&client, &rq, &res), FLM_ERR_CLOUD_HTTP_STATUS);
    FLM_CHECK_EQ(res.attempts, 1);
    FLM_CHECK(res.elapsed_ms < 500);
    FLM_CHECK(strcmp(res.reply->err_code, "rate_limit_exceeded") == 0);

    /* A connect failure that is not the network's (e.g. a refused
     * certificate, in the TLS block) is final. */
    steps[0] = (step_t){ .connect_err = -0x0501 };
    setup(steps, 2, 4);
    FLM_CHECK_EQ(ask(false, &u, &res), -0x0501);
    FLM_CHECK_EQ(res.attempts, 1);
}

FLM_TEST(cloud_faults_end_in_clean_errors)
{
    static char cut_body[2048], big[FLM_CLOUD_WORK_BYTES + 512];
    snprintf(cut_body, sizeof cut_body, "%.*s", (int)(strlen(reply_ok) - 10), reply_ok);
    int n = snprintf(big, sizeof big, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n[", FLM_CLOUD_WORK_BYTES);
    memset(big + n, ' ', FLM_CLOUD_WORK_BYTES - 2);
    strcpy(big + n + FLM_CLOUD_WORK_BYTES - 2, "]");
    const struct {
        step_t step;
        bool stream;
        flm_err_t want;
    } cases[] = {
        /* connection reset at byte k of the body, non-streamed and streamed */
        { { .reply = reply_ok, .fail_at = 200, .fail_err = FLM_ERR_NET_RECV }, false, FLM_ERR_NET_RECV },
        { { .reply = reply_stream, .fail_at = 400, .fail_err = FLM_ERR_NET_RECV, .piece = 9 }, true, FLM_ERR_NET_RECV },
        /* stall mid-stream, slow first byte beyond the read timeout */
        { { .reply = reply_stream, .fail_at = 500, .fail_err = FLM_ERR_TIMEOUT }, true, FLM_ERR_TIMEOUT },
        { { .reply = reply_ok, .fail_at = 1, .fail_err = FLM_ERR_TIMEOUT }, false, FLM_ERR_TIMEOUT },
        /* peer closes early: short Content-Length body, stream without [DONE] */
        { { .reply = cut_body }, false, FLM_ERR_HTTP_TRUNCATED },
        { { .reply = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                     "data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\n" }, true, FLM_ERR_CLOUD_NO_DONE },
        { { .reply = "" }, false, FLM_ERR_HTTP_TRUNCATED },
        /* malformed JSON, oversized body, bad chunk sizes, garbage */
        { { .reply = "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n{\"choices\":[" }, false, FLM_ERR_JSON_SYNTAX },
        { { .reply = big, .piece = 1000 }, false, FLM_ERR_HTTP_BODY_TOO_LARGE },
        { { .reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\nabc\r\n0\r\n\r\n" }, true, FLM_ERR_HTTP_CHUNK },
        { { .reply = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n" }, true, FLM_ERR_HTTP_CHUNK },
        { { .reply = "\x16\x03\x01\x02\x01garbage" }, false, FLM_ERR_HTTP_SYNTAX },
        { { .reply = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                     "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}]}\n\ndata: [DONE]\n\n" }, true, FLM_ERR_JSON_SYNTAX },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup(&cases[i].step, 1, 3);
        ui_t u = { .len = 0 };
        flm_cloud_result_t res;
        flm_err_t err = ask(cases[i].stream, &u, &res);
        FLM_CHECK_MSG(err == cases[i].want, "case %zu: got %s (%d)", i, flm_strerror(err), err);
        FLM_CHECK_MSG(res.attempts == 1, "case %zu: %u attempts", i, (unsigned)res.attempts);
        FLM_CHECK_EQ(script.open, 0);
        FLM_CHECK(!memory_holds(&client, sizeof client, KEY));
    }
}

FLM_TEST(cloud_deadline_bounds_everything)
{
    /* The server stalls before the first byte; read timeout above the
     * deadline: the deadline ends it. */
    static const step_t steps[] = { { .reply = "HTTP/1.1 200 OK\r\n", .fail_at = 5, .fail_err = FLM_ERR_TIMEOUT } };
    setup(steps, 1, 3);
    client.cfg.read_timeout_ms = 60000;
    ui_t u = { .len = 0 };
    flm_cloud_result_t res;
    flm_cloud_request_t rq = { .prompt = "p", .temperature_milli = -1, .deadline_ms = 150,
                               .user = &u, .cancelled = cancelled };
    FLM_CHECK_EQ(flm_cloud_complete(&client, &rq, &res), FLM_ERR_TIMEOUT);
    FLM_CHECK(res.elapsed_ms >= 150 && res.elapsed_ms < 2000);
    FLM_CHECK(u.polls > 1); /* cancellation was polled while waiting */

    /* Failing connects until the deadline: not one attempt starts after it. */
    static const step_t refuse[] = {
        { .connect_err = FLM_ERR_NET_CONNECT }, { .connect_err = FLM_ERR_NET_CONNECT },
        { .connect_err = FLM_ERR_NET_CONNECT }, { .connect_err = FLM_ERR_NET_CONNECT },
    };
    setup(refuse, 4, 4);
    client.cfg.backoff_base_ms = 400;
    client.cfg.backoff_max_ms = 400;
    rq.deadline_ms = 100;
    FLM_CHECK_EQ(flm_cloud_complete(&client, &rq, &res), FLM_ERR_NET_CONNECT);
    FLM_CHECK(res.elapsed_ms < 1000);
}

FLM_TEST(cloud_slow_first_byte)
{
    /* Slower than the poll slice but within the read timeout: fine. */
    static step_t steps[2];
    steps[0] = (step_t){ .reply = reply_stream, .first_byte_ms = 150 };
    setup(steps, 1, 1);
    client.cfg.read_timeout_ms = 400;
    ui_t u = { .len = 0 };
    flm_cloud_result_t res;
    FLM_CHECK_EQ(ask(true, &u, &res), FLM_OK);
    FLM_CHECK(strcmp(u.text, FX_ANSWER) == 0);
    FLM_CHECK(res.elapsed_ms >= 150);
    /* Beyond it: a timeout, and a slow reply is not retried (the server may
     * be working on it). */
    steps[0].first_byte_ms = 600;
    steps[1] = (step_t){ .reply = reply_ok };
    setup(steps, 2, 3);
    client.cfg.read_timeout_ms = 200;
    FLM_CHECK_EQ(ask(true, &u, &res), FLM_ERR_TIMEOUT);
    FLM_CHECK_EQ(res.attempts, 1);
    FLM_CHECK(res.elapsed_ms >= 200 && res.elapsed_ms < 600);
}

FLM_TEST(cloud_cancellation)
{
    /* Cancel after the first delta of a stream. */
    static const step_t steps[] = { { .reply = reply_stream, .piece = 5 } };
    setup(steps, 1, 3);
    ui_t u = { .cancel_after = 1 };
    flm_cloud_result_t res;
    FLM_CHECK_EQ(ask(true, &u, &res), FLM_ERR_CANCELLED);
    FLM_CHECK_EQ(u.calls, 1);
    FLM_CHECK_EQ(script.open, 0);
    FLM_CHECK(flm_cloud_breaker_state(&client) == FLM_CLOUD_BREAKER_CLOSED && client.failures == 0);

    /* Cancel during a long backoff: returns promptly. */
    static const step_t busy[] = {
        { .reply = "HTTP/1.1 503 Busy\r\nRetry-After: 3\r\nContent-Length: 0\r\n\r\n" },
        { .reply = reply_ok },
    };
    setup(busy, 2, 3);
    ui_t u2 = { .cancel_after_polls = 8 };
    FLM_CHECK_EQ(ask(false, &u2, &res), FLM_ERR_CANCELLED);
    FLM_CHECK_EQ(res.attempts, 1);
    FLM_CHECK(res.elapsed_ms < 2500);

    /* Cancelled before anything: nothing is sent. */
    setup(busy, 2, 3);
    ui_t u3 = { .cancel_after_polls = 1 };
    FLM_CHECK_EQ(ask(false, &u3, &res), FLM_ERR_CANCELLED);
    FLM_CHECK_EQ(script.next, 0);
}

FLM_TEST(cloud_no_retry_after_text_was_delivered)
{
    static const step_t steps[] = {
        { .reply = reply_stream, .fail_at = 1000, .fail_err = FLM_ERR_NET_RECV },
        { .reply = reply_stream },
    };
    setup(steps, 2, 3);
    ui_t u = { .len = 0 };
    flm_cloud_result_t res;
    FLM_CHECK_EQ(ask(true, &u, &res), FLM_ERR_NET_RECV);
    FLM_CHECK_EQ(res.attempts, 1);
    FLM_CHECK(u.len > 0 && strncmp(u.text, FX_ANSWER, u.len) == 0);
}

FLM_TEST(cloud_circuit_breaker)
{
    static const step_t steps[] = {
        { .connect_err = FLM_ERR_NET_CONNECT },
        { .reply = "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n" },
        { .connect_err = FLM_ERR_NET_RESOLVE },   /* the half-open probe fails */
        { .reply = reply_ok },                    /* the next probe succeeds */
        { .reply = reply_ok },
    };
    setup(steps, 5, 1);
    client.cfg.breaker_threshold = 2;
    client.cfg.breaker_cooldown_ms = 60;
    ui_t u = { .len = 0 };
    flm_cloud_result_t res;
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_ERR_NET_CONNECT);
    FLM_CHECK_EQ(flm_cloud_breaker_state(&client), FLM_CLOUD_BREAKER_CLOSED);
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_ERR_CLOUD_HTTP_STATUS);
    FLM_CHECK_EQ(flm_cloud_breaker_state(&client), FLM_CLOUD_BREAKER_OPEN);
    /* Open: refused without touching the network. */
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_ERR_CLOUD_BREAKER_OPEN);
    FLM_CHECK_EQ(res.attempts, 0);
    FLM_CHECK_EQ(script.next, 2);
    flm_hal_sleep_ms(70);
    /* Half-open probe fails: open again at once. */
    client.cfg.max_attempts = 3;
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_ERR_NET_RESOLVE);
    FLM_CHECK_EQ(res.attempts, 1); /* a probe is one attempt */
    FLM_CHECK_EQ(flm_cloud_breaker_state(&client), FLM_CLOUD_BREAKER_OPEN);
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_ERR_CLOUD_BREAKER_OPEN);
    flm_hal_sleep_ms(70);
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_OK);
    FLM_CHECK_EQ(flm_cloud_breaker_state(&client), FLM_CLOUD_BREAKER_CLOSED);
    FLM_CHECK_EQ(client.failures, 0);
    FLM_CHECK_EQ(ask(false, &u, &res), FLM_OK);

    /* 4xx answers are not endpoint failures: they never open it. */
    static const step_t bad_req[] = {
        { .reply = "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n" },
        { .reply = "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n" },
        { .reply = "HTTP/1.1 429 Slow\r\nContent-Length: 0\r\n\r\n" },
    };
    setup(bad_req, 3, 1);
    client.cfg.breaker_threshold = 2;
    for (int i = 0; i < 3; i++)
        ask(false, &u, &res);
    FLM_CHECK_EQ(flm_cloud_breaker_state(&client), FLM_CLOUD_BREAKER_CLOSED);
}

FLM_TEST(cloud_backoff_full_jitter)
{
    /* The cap doubles per retry up to the maximum; the wait is uniform
     * below it; Retry-After is a floor. */
    FLM_CHECK_EQ(flm_cloud_backoff_ms(100, 1000, 1, -1, 0xFFFFFFFFu), 0xFFFFFFFFu % 101);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(100, 1000, 1, -1, 100), 100);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(100, 1000, 1, -1, 101), 0);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(100, 1000, 3, -1, 400), 400);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(100, 1000, 3, -1, 401), 0);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(100, 1000, 30, -1, 1000), 1000);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(100, 1000, 4000000000u, -1, 1001), 0);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(100, 1000, 2, 5000, 7), 5000);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(100, 1000, 2, 3, 150), 150);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(0, 0, 1, -1, 12345), 0);
    FLM_CHECK_EQ(flm_cloud_backoff_ms(0, 1000, UINT32_MAX, -1, 12345), 0); /* and quickly */
    FLM_CHECK_EQ(flm_cloud_backoff_ms(1, UINT32_MAX, 40, INT64_MAX, 0), UINT32_MAX);
    /* Spread: over many draws every tenth of the range is hit. */
    setup(NULL, 0, 1);
    int bins[10] = { 0 };
    for (int i = 0; i < 5000; i++) {
        uint64_t x = client.rng;
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
        client.rng = x;
        uint32_t r = (uint32_t)((x * 0x2545F4914F6CDD1DULL) >> 32);
        bins[flm_cloud_backoff_ms(1000, 1000, 1, -1, r) * 10 / 1001]++;
    }
    for (int i = 0; i < 10; i++)
        FLM_CHECK(bins[i] > 350);
}

FLM_TEST(cloud_config_checks)
{
    flm_cloud_config_t cfg;
    flm_cloud_config_defaults(&cfg);
    FLM_CHECK_EQ(flm_cloud_init(&client, &cfg), FLM_ERR_ARG); /* no host, model, connect */
    cfg.host = "h";
    cfg.model = "m";
    cfg.connect = fake_connect;
    FLM_CHECK_EQ(flm_cloud_init(&client, &cfg), FLM_OK);
    cfg.max_attempts = 0;
    FLM_CHECK_EQ(flm_cloud_init(&client, &cfg), FLM_ERR_ARG);
    cfg.max_attempts = 1;
    cfg.path = "v1";
    FLM_CHECK_EQ(flm_cloud_init(&client, &cfg), FLM_ERR_ARG);
    FLM_CHECK(flm_cloud_client_bytes() >= FLM_CLOUD_WORK_BYTES + FLM_CLOUD_TEXT_BYTES);

    /* Bad request content is refused before anything is sent. */
    static const step_t steps[] = { { .reply = reply_ok } };
    setup(steps, 1, 1);
    flm_cloud_result_t res;
    flm_cloud_request_t rq = { .prompt = "bad \xff utf-8", .temperature_milli = -1 };
    FLM_CHECK_EQ(flm_cloud_complete(&client, &rq, &res), FLM_ERR_JSON_UTF8);
    FLM_CHECK_EQ(script.next, 0);
    static char huge[FLM_CLOUD_WORK_BYTES];
    memset(huge, 'a', sizeof huge - 1);
    rq.prompt = huge;
    FLM_CHECK_EQ(flm_cloud_complete(&client, &rq, &res), FLM_ERR_OVERFLOW);
    client.cfg.api_key = "sk\r\nX-Injected: 1";
    rq.prompt = "p";
    FLM_CHECK_EQ(flm_cloud_complete(&client, &rq, &res), FLM_ERR_HTTP_HEADER_VALUE);
    FLM_CHECK_EQ(flm_cloud_complete(&client, NULL, &res), FLM_ERR_ARG);
    flm_cloud_deinit(&client);
}

FLM_TEST(cloud_random_replies)
{
    /* Mutated replies through the whole client: a clean code every time. */
    static char mutated[4096];
    static step_t step;
    uint32_t x = 2024u;
    for (int iter = 0; iter < 1500; iter++) {
        setup(&step, 1, 1);
        const char *src = iter % 2 ? reply_stream : reply_ok;
        size_t n = strlen(src);
        memcpy(mutated, src, n + 1);
        for (int k = 0; k < 3; k++) {
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            size_t at = x % n;
            x ^= x << 13; x ^= x >> 17; x ^= x << 5;
            mutated[at] = (char)(x % 255 + 1);
        }
        step = (step_t){ .reply = mutated, .piece = 1 + x % 64 };
        ui_t u = { .len = 0 };
        flm_cloud_result_t res;
        flm_err_t err = ask(iter % 2 != 0, &u, &res);
        FLM_CHECK(err <= 0);
        FLM_CHECK_EQ(script.open, 0);
    }
}

FLM_TEST(cloud_stream_complete_at_done)
{
    /* [DONE] arrived, then the server neither ends the chunked body nor
     * closes: the answer is complete, no read timeout is waited out. */
    static char lingering[4096];
    size_t cut = strlen(reply_stream);
    step_t steps[1];
    setup(NULL, 0, 1);
    cut -= strlen("0\r\n\r\n");
    memcpy(lingering, reply_stream, cut);
    lingering[cut] = '\0';
    steps[0] = (step_t){ .reply = lingering, .fail_at = cut, .fail_err = FLM_ERR_TIMEOUT };
    setup(steps, 1, 1);
    client.cfg.read_timeout_ms = 5000;
    ui_t u = { .len = 0 };
    flm_cloud_result_t res;
    FLM_CHECK_EQ(ask(true, &u, &res), FLM_OK);
    FLM_CHECK(strcmp(u.text, FX_ANSWER) == 0);
    FLM_CHECK(res.elapsed_ms < 1000);
}

/* The idempotency key goes in a header, the same on every attempt; one that
 * would inject a header is refused before anything is sent. */
FLM_TEST(cloud_idempotency_key_on_every_attempt)
{
    static const step_t steps[] = {
        { .reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n" },
        { .reply = reply_ok },
    };
    setup(steps, 2, 3);
    ui_t u = { .len = 0 };
    flm_cloud_result_t res;
    flm_cloud_request_t rq = { .prompt = "Why?", .temperature_milli = -1, .on_delta = on_delta,
                               .user = &u, .idempotency_key = "kiosk-7-0000abcd-00000005" };
    FLM_CHECK_EQ(flm_cloud_complete(&client, &rq, &res), FLM_OK);
    FLM_CHECK_EQ(res.attempts, 2);
    for (int i = 0; i < 2; i++)
        FLM_CHECK(strstr(script.sent[i], "\r\nIdempotency-Key: kiosk-7-0000abcd-00000005\r\n") != NULL);
    setup(steps + 1, 1, 1);
    rq.idempotency_key = NULL;
    FLM_CHECK_EQ(flm_cloud_complete(&client, &rq, &res), FLM_OK);
    FLM_CHECK(strstr(script.sent[0], "Idempotency-Key") == NULL);
    setup(steps + 1, 1, 1);
    rq.idempotency_key = "k\r\nX-Evil: 1";
    FLM_CHECK(flm_cloud_complete(&client, &rq, &res) != FLM_OK);
    FLM_CHECK(strstr(script.sent[0], "X-Evil") == NULL);
}

/* Store and forward (core/guard/forward.h) through the client: oldest
 * first, each with its item's key (a retry with the same one), answers
 * stored; a refused item stays queued and the flush goes on, a failing
 * endpoint stops it, a link known down sends nothing. */
FLM_TEST(guard_forward_delivers_the_queue)
{
    static cut_store_t store;
    cut_store_init(&store);
    static flm_queue_t q;
    static uint8_t work[FLM_QUEUE_WORK_BYTES(1024)];
    flm_queue_settings_t qs;
    flm_queue_settings_init(&qs);
    qs.enabled = true;
    strcpy(qs.device_id, "kiosk-7");
    FLM_CHECK_EQ(flm_queue_init(&q, &qs, &store.ops, work, sizeof work, 99), FLM_OK);
    uint32_t s1, s2, s3;
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "first", NULL, 1, &s1), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "second", "Be brief.", 2, &s2), FLM_OK);
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "third", NULL, 3, &s3), FLM_OK);
    FLM_CHECK_EQ(flm_forward_pending(&q), 3);
    flm_queue_item_t it;
    char key1[FLM_QUEUE_IDEM_MAX], key2[FLM_QUEUE_IDEM_MAX];
    FLM_CHECK_EQ(flm_queue_get(&q, s1, &it), FLM_OK);
    strcpy(key1, it.idem_key);
    FLM_CHECK_EQ(flm_queue_get(&q, s2, &it), FLM_OK);
    strcpy(key2, it.idem_key);

    static flm_ledger_t led;
    flm_budget_settings_t bs;
    flm_budget_settings_init(&bs);
    FLM_CHECK_EQ(flm_ledger_init(&led, &bs, &store.ops), FLM_OK);

    /* link down: nothing tried */
    static const step_t ok[] = { { .reply = reply_ok } };
    setup(ok, 1, 1);
    flm_forward_result_t fr;
    flm_hal_posix_set_link(0);
    FLM_CHECK_EQ(flm_forward_flush(&q, &client, &led, NULL, 0, &fr), FLM_ERR_NET_DOWN);
    FLM_CHECK_EQ(script.next, 0);
    FLM_CHECK_EQ(fr.pending, 3);
    flm_hal_posix_set_link(1);

    /* first: 503 then answered (the retry carries the same key); second:
     * refused (400), stays queued; third: the endpoint fails, the flush stops */
    static const step_t steps[] = {
        { .reply = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n" },
        { .reply = reply_ok },
        { .reply = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n" },
        { .connect_err = FLM_ERR_NET_CONNECT },
    };
    setup(steps, 4, 2);
    client.cfg.breaker_threshold = 0;
    FLM_CHECK_EQ(flm_forward_flush(&q, &client, &led, NULL, 0, &fr), FLM_ERR_NET_CONNECT);
    FLM_CHECK(fr.delivered == 1 && fr.refused == 1 && fr.failed == 1 && fr.pending == 2);
    char want[96];
    snprintf(want, sizeof want, "\r\nIdempotency-Key: %s\r\n", key1);
    FLM_CHECK(strstr(script.sent[0], want) && strstr(script.sent[1], want));
    snprintf(want, sizeof want, "\r\nIdempotency-Key: %s\r\n", key2);
    FLM_CHECK(strstr(script.sent[2], want) != NULL);
    FLM_CHECK(strstr(script.sent[2], "Be brief.") != NULL);
    FLM_CHECK_EQ(flm_queue_get(&q, s1, &it), FLM_OK);
    FLM_CHECK_EQ(it.state, FLM_QUEUE_ANSWERED);
    const char *text;
    size_t len;
    FLM_CHECK_EQ(flm_queue_answer_text(&q, s1, &text, &len), FLM_OK);
    FLM_CHECK(strcmp(text, FX_ANSWER) == 0);
    FLM_CHECK_EQ(led.total.cloud_requests, 1);
    FLM_CHECK_EQ(led.total.cloud_in, 19); /* the reply's usage */

    /* the next flush: the refused one again (same key), then the third;
     * each delivery goes into the escalation log too */
    static flm_esclog_t lg;
    static uint8_t lwork[FLM_ESCLOG_WORK_BYTES(1024)];
    flm_esclog_settings_t ls;
    flm_esclog_settings_init(&ls);
    ls.escalations = true;
    FLM_CHECK_EQ(flm_esclog_init(&lg, &ls, &store.ops, lwork, sizeof lwork), FLM_OK);
    static const step_t again[] = { { .reply = reply_ok }, { .reply = reply_ok } };
    setup(again, 2, 1);
    FLM_CHECK_EQ(flm_forward_flush(&q, &client, &led, &lg, 0, &fr), FLM_OK);
    FLM_CHECK(fr.delivered == 2 && fr.pending == 0 && fr.logged == 2 && fr.log_failed == 0);
    FLM_CHECK(strstr(script.sent[0], want) != NULL);
    flm_esclog_entry_t le;
    FLM_CHECK_EQ(flm_esclog_next(&lg, 0, &le), FLM_OK);
    FLM_CHECK(strcmp(le.prompt, "second") == 0 && le.system && strcmp(le.system, "Be brief.") == 0);
    FLM_CHECK(strcmp(le.answer, FX_ANSWER) == 0 && strcmp(le.reason, "cloud:queued") == 0 && !le.scored);
    FLM_CHECK(le.has_usage && le.prompt_tokens == 19);
    FLM_CHECK_EQ(flm_esclog_next(&lg, le.seq, &le), FLM_OK);
    FLM_CHECK(strcmp(le.prompt, "third") == 0 && le.system == NULL);
    flm_esclog_deinit(&lg);
    /* nothing left: nothing sent */
    setup(ok, 1, 1);
    FLM_CHECK_EQ(flm_forward_flush(&q, &client, &led, NULL, 0, &fr), FLM_OK);
    FLM_CHECK_EQ(script.next, 0);

    /* a cap stops the flush before sending */
    FLM_CHECK_EQ(flm_queue_enqueue(&q, "fourth", NULL, 4, &s1), FLM_OK);
    led.settings.daily_tokens = 1;
    FLM_CHECK_EQ(flm_forward_flush(&q, &client, &led, NULL, 0, &fr), FLM_ERR_BUDGET_EXCEEDED);
    FLM_CHECK(fr.over_budget && fr.pending == 1 && script.next == 0);
    flm_hal_posix_set_link(-1);
    flm_ledger_deinit(&led);
    flm_queue_deinit(&q);
}
