#include <stdlib.h>
#include <string.h>

#include "core/proto/http.h"
#include "tests/harness/harness.h"

static uint32_t rng_state = 777u;
static uint32_t rnd(void)
{
    return flm_test_xorshift32(&rng_state);
}

FLM_TEST(http_write_head)
{
    char buf[512];
    size_t len = 0;
    flm_http_header_t extra[] = { { "X-Trace", "abc def" } };
    flm_http_request_t rq = {
        .method = "POST", .host = "api.example.com", .port = 8443,
        .path = "/v1/chat/completions", .bearer = "sk-test-123",
        .content_type = "application/json", .accept = "text/event-stream",
        .headers = extra, .n_headers = 1, .body_len = 42,
    };
    FLM_CHECK_EQ(flm_http_write_head(&rq, buf, sizeof buf, &len), FLM_OK);
    const char *want =
        "POST /v1/chat/completions HTTP/1.1\r\n"
        "Host: api.example.com:8443\r\n"
        "User-Agent: fieldlm/0.1.0\r\n"
        "Authorization: Bearer sk-test-123\r\n"
        "Content-Type: application/json\r\n"
        "Accept: text/event-stream\r\n"
        "X-Trace: abc def\r\n"
        "Content-Length: 42\r\n"
        "Connection: close\r\n\r\n";
    FLM_CHECK_MSG(strcmp(buf, want) == 0, "got %s", buf);
    FLM_CHECK_EQ(len, strlen(want));

    /* Default ports are left out; IPv6 literals get brackets with a port. */
    flm_http_request_t g = { .method = "GET", .host = "::1", .port = 8080, .path = "/" };
    FLM_CHECK_EQ(flm_http_write_head(&g, buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK(strstr(buf, "Host: [::1]:8080\r\n") != NULL);
    FLM_CHECK(strstr(buf, "Content-Length") == NULL);
    FLM_CHECK(strstr(buf, "Authorization") == NULL);
    g.port = 443;
    g.host = "h";
    FLM_CHECK_EQ(flm_http_write_head(&g, buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK(strstr(buf, "Host: h\r\n") != NULL);

    /* Header injection and bad request lines are refused. */
    flm_http_request_t bad = rq;
    bad.bearer = "sk\r\nX-Evil: 1";
    FLM_CHECK_EQ(flm_http_write_head(&bad, buf, sizeof buf, &len), FLM_ERR_HTTP_HEADER_VALUE);
    bad = rq;
    bad.content_type = "a\nb";
    FLM_CHECK_EQ(flm_http_write_head(&bad, buf, sizeof buf, &len), FLM_ERR_HTTP_HEADER_VALUE);
    flm_http_header_t evil[] = { { "X", "1\r\n" } };
    bad = rq;
    bad.headers = evil;
    FLM_CHECK_EQ(flm_http_write_head(&bad, buf, sizeof buf, &len), FLM_ERR_HTTP_HEADER_VALUE);
    flm_http_header_t evil_name[] = { { "X Y", "1" } };
    bad.headers = evil_name;
    FLM_CHECK_EQ(flm_http_write_head(&bad, buf, sizeof buf, &len), FLM_ERR_ARG);
    bad = rq;
    bad.path = "/a b";
    FLM_CHECK_EQ(flm_http_write_head(&bad, buf, sizeof buf, &len), FLM_ERR_ARG);
    bad = rq;
    bad.host = "a/b";
    FLM_CHECK_EQ(flm_http_write_head(&bad, buf, sizeof buf, &len), FLM_ERR_ARG);
    bad = rq;
    bad.method = "PO ST";
    FLM_CHECK_EQ(flm_http_write_head(&bad, buf, sizeof buf, &len), FLM_ERR_ARG);

    /* Too small: an error at every size, and no key left in the buffer. */
    for (size_t cap = 1; cap <= strlen(want); cap++) {
        memset(buf, 'x', sizeof buf);
        FLM_CHECK_EQ(flm_http_write_head(&rq, buf, cap, &len), FLM_ERR_OVERFLOW);
        FLM_CHECK_EQ(len, 0);
        for (size_t i = 0; i + 7 <= cap; i++)
            FLM_CHECK(memcmp(buf + i, "sk-test", 7) != 0);
    }
}

/* ---- parsing helpers ----------------------------------------------------- */

typedef struct {
    char   body[4096];
    size_t len;
    int    headers;
    char   last_name[32];
} sink_t;

static flm_err_t on_body(void *user, const uint8_t *d, size_t n)
{
    sink_t *s = user;
    if (n > sizeof s->body - s->len)
        return FLM_ERR_OVERFLOW;
    memcpy(s->body + s->len, d, n);
    s->len += n;
    return FLM_OK;
}

static flm_err_t on_header(void *user, const char *name, size_t nlen, const char *v, size_t vlen)
{
    sink_t *s = user;
    (void)v;
    (void)vlen;
    s->headers++;
    if (nlen < sizeof s->last_name) {
        memcpy(s->last_name, name, nlen);
        s->last_name[nlen] = '\0';
    }
    return FLM_OK;
}

/* Feed msg in pieces: mode 0 whole, 1 byte by byte, 2 random splits; then
 * EOF if the parser wants more. Returns the first error. */
static flm_err_t feed(flm_http_parser_t *p, sink_t *s, flm_http_kind_t kind, uint64_t max_body,
                      const char *msg, size_t n, int mode, bool eof)
{
    memset(s, 0, sizeof *s);
    flm_http_parser_init(p, kind, max_body, on_body, on_header, s);
    size_t i = 0;
    while (i < n && !flm_http_done(p)) {
        size_t k = mode == 0 ? n - i : mode == 1 ? 1 : 1 + rnd() % 17;
        if (k > n - i)
            k = n - i;
        size_t used = 0;
        flm_err_t err = flm_http_parse(p, (const uint8_t *)msg + i, k, &used);
        if (err)
            return err;
        if (used > k)
            return FLM_ERR_STATE;
        i += used;
        if (used < k && !flm_http_done(p))
            return FLM_ERR_STATE;
    }
    if (eof && !flm_http_done(p))
        return flm_http_finish(p);
    return FLM_OK;
}

typedef struct {
    const char *msg;
    int status;
    const char *body;
    int64_t retry_after_ms;
    const char *ctype;
} ok_case_t;

FLM_TEST(http_parse_valid_responses)
{
    static const ok_case_t cases[] = {
        { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/json; charset=utf-8\r\n\r\nhello",
          200, "hello", -1, "application/json" },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/event-stream\r\n\r\n"
          "5\r\nhello\r\nA;name=val;x=\"y\"\r\n, world!!!\r\n0\r\nX-Trailer: 1\r\n\r\n",
          200, "hello, world!!!", -1, "text/event-stream" },
        { "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\nContent-Length: 99\r\n\r\n"
          "3 \r\nabc\r\n00\r\n\r\n", 200, "abc", -1, "" },
        { "HTTP/1.0 200 OK\r\n\r\nuntil the end", 200, "until the end", -1, "" },
        { "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
          "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", 201, "ok", -1, "" },
        { "HTTP/1.1 204 No Content\r\n\r\n", 204, "", -1, "" },
        { "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n",
          429, "", 7000, "" },
        { "HTTP/1.1 429 x\r\nretry-after-ms: 250\r\nRetry-After: 7\r\nContent-Length: 0\r\n\r\n",
          429, "", 250, "" },
        { "HTTP/1.1 503 Service Unavailable\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n"
          "Content-Length: 1\r\n\r\nx", 503, "x", -1, "" },
        { "HTTP/1.1 200\nContent-Length:3\n\nabc", 200, "abc", -1, "" }, /* bare LF, no reason */
        { "HTTP/1.1 500 Internal\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 500, "abc", -1, "" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int mode = 0; mode < 3; mode++) {
            for (int rep = 0; rep < (mode == 2 ? 20 : 1); rep++) {
                flm_http_parser_t p;
                sink_t s;
                flm_err_t err = feed(&p, &s, FLM_HTTP_RESPONSE, 0, cases[c].msg,
                                     strlen(cases[c].msg), mode, true);
                FLM_CHECK_MSG(err == FLM_OK, "case %zu mode %d: %s", c, mode, flm_strerror(err));
                FLM_CHECK(flm_http_done(&p));
                FLM_CHECK_EQ(p.status, cases[c].status);
                FLM_CHECK_EQ(s.len, strlen(cases[c].body));
                FLM_CHECK(memcmp(s.body, cases[c].body, s.len) == 0);
                FLM_CHECK_EQ(p.retry_after_ms, cases[c].retry_after_ms);
                FLM_CHECK_MSG(strcmp(p.content_type, cases[c].ctype) == 0, "case %zu: %s", c, p.content_type);
            }
        }
    }
}

FLM_TEST(http_parse_stops_at_message_end)
{
    const char *msg = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA";
    flm_http_parser_t p;
    sink_t s;
    memset(&s, 0, sizeof s);
    flm_http_parser_init(&p, FLM_HTTP_RESPONSE, 0, on_body, on_header, &s);
    size_t used = 0;
    FLM_CHECK_EQ(flm_http_parse(&p, (const uint8_t *)msg, strlen(msg), &used), FLM_OK);
    FLM_CHECK_EQ(used, strlen(msg) - 5);
    FLM_CHECK(flm_http_done(&p));
    FLM_CHECK_EQ(s.headers, 1);
    FLM_CHECK(strcmp(s.last_name, "Content-Length") == 0);
    FLM_CHECK_EQ(flm_http_finish(&p), FLM_OK);

    /* A reply to HEAD has no body whatever its headers say. */
    flm_http_parser_init(&p, FLM_HTTP_RESPONSE, 0, on_body, NULL, &s);
    p.no_body = true;
    const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
    FLM_CHECK_EQ(flm_http_parse(&p, (const uint8_t *)head, strlen(head), &used), FLM_OK);
    FLM_CHECK(flm_http_done(&p));
}

typedef struct {
    const char *msg;
    flm_err_t err;
} bad_case_t;

FLM_TEST(http_parse_malformed_responses)
{
    static const bad_case_t cases[] = {
        { "", FLM_ERR_HTTP_TRUNCATED },
        { "HTTP/1.1 200 OK\r\n", FLM_ERR_HTTP_TRUNCATED },
        { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", FLM_ERR_HTTP_TRUNCATED },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", FLM_ERR_HTTP_TRUNCATED },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", FLM_ERR_HTTP_TRUNCATED },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n", FLM_ERR_HTTP_TRUNCATED },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n", FLM_ERR_HTTP_CHUNK },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", FLM_ERR_HTTP_CHUNK },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5x\r\n", FLM_ERR_HTTP_CHUNK },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", FLM_ERR_HTTP_CHUNK },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\n", FLM_ERR_HTTP_CHUNK },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", FLM_ERR_HTTP_CHUNK },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\rX", FLM_ERR_HTTP_CHUNK },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\rX\r\n", FLM_ERR_HTTP_CHUNK },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", FLM_ERR_HTTP_UNSUPPORTED },
        { "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", FLM_ERR_HTTP_UNSUPPORTED },
        { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", FLM_ERR_HTTP_LENGTH },
        { "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", FLM_ERR_HTTP_LENGTH },
        { "HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n", FLM_ERR_HTTP_LENGTH },
        { "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", FLM_ERR_HTTP_LENGTH },
        { "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", FLM_ERR_HTTP_LENGTH },
        { "HTTP/2 200\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.2 200 OK\r\n\r\n", FLM_ERR_HTTP_UNSUPPORTED },
        { "HTTP/1.1 101 Switching\r\n\r\n", FLM_ERR_HTTP_UNSUPPORTED },
        { "HTTP/1.1 20 OK\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.1 2000 OK\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.1 099 OK\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.1 600 OK\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "http/1.1 200 OK\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "SSH-2.0-OpenSSH\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.1 200 OK\r\n folded\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.1 200 OK\r\n: empty\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
        { "HTTP/1.1 200 OK\r\nX: a\x01" "b\r\n\r\n", FLM_ERR_HTTP_SYNTAX },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = strlen(cases[c].msg);
        for (int mode = 0; mode < 3; mode++) {
            flm_http_parser_t p;
            sink_t s;
            flm_err_t err = feed(&p, &s, FLM_HTTP_RESPONSE, 0, cases[c].msg, n, mode, true);
            FLM_CHECK_MSG(err == cases[c].err, "case %zu mode %d: got %s, want %s", c, mode,
                          flm_strerror(err), flm_strerror(cases[c].err));
            /* sticky */
            FLM_CHECK_EQ(flm_http_parse(&p, (const uint8_t *)"x", 1, NULL), cases[c].err);
        }
    }
    /* A NUL byte inside a header line. */
    static const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
    flm_http_parser_t p;
    sink_t s;
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_RESPONSE, 0, nul, sizeof nul - 1, 0, true), FLM_ERR_HTTP_SYNTAX);
}

FLM_TEST(http_parse_limits)
{
    static char msg[FLM_HTTP_LINE_MAX * 2 + 4096];
    flm_http_parser_t p;
    sink_t s;
    /* A header line one byte over the limit; one exactly at it is fine. */
    for (int over = 0; over <= 1; over++) {
        size_t n = (size_t)sprintf(msg, "HTTP/1.1 200 OK\r\nX: ");
        size_t fill = FLM_HTTP_LINE_MAX - 3 + (size_t)over;
        memset(msg + n, 'a', fill);
        n += fill;
        n += (size_t)sprintf(msg + n, "\r\nContent-Length: 0\r\n\r\n");
        flm_err_t err = feed(&p, &s, FLM_HTTP_RESPONSE, 0, msg, n, 0, true);
        FLM_CHECK_EQ(err, over ? FLM_ERR_HTTP_LINE_TOO_LONG : FLM_OK);
    }
    /* Too many headers. */
    size_t n = (size_t)sprintf(msg, "HTTP/1.1 200 OK\r\n");
    for (int i = 0; i <= FLM_HTTP_MAX_HEADERS; i++)
        n += (size_t)sprintf(msg + n, "X-%d: v\r\n", i);
    n += (size_t)sprintf(msg + n, "\r\n");
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_RESPONSE, 0, msg, n, 0, true), FLM_ERR_HTTP_TOO_MANY_HEADERS);
    /* Body limit: by Content-Length (before any body byte), by chunks, by EOF body. */
    const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_RESPONSE, 10, cl, strlen(cl), 0, true), FLM_ERR_HTTP_BODY_TOO_LARGE);
    FLM_CHECK_EQ(s.len, 0);
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_RESPONSE, 11, cl, strlen(cl), 1, true), FLM_OK);
    const char *ch = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_RESPONSE, 10, ch, strlen(ch), 1, true), FLM_ERR_HTTP_BODY_TOO_LARGE);
    FLM_CHECK_EQ(s.len, 6);
    const char *ec = "HTTP/1.1 200 OK\r\n\r\nhello world";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_RESPONSE, 10, ec, strlen(ec), 1, true), FLM_ERR_HTTP_BODY_TOO_LARGE);
    FLM_CHECK_EQ(s.len, 10);
}

static flm_err_t refuse_body(void *user, const uint8_t *d, size_t n)
{
    (void)user;
    (void)d;
    (void)n;
    return FLM_ERR_CANCELLED;
}

FLM_TEST(http_parse_callback_error_aborts)
{
    const char *msg = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    flm_http_parser_t p;
    flm_http_parser_init(&p, FLM_HTTP_RESPONSE, 0, refuse_body, NULL, NULL);
    FLM_CHECK_EQ(flm_http_parse(&p, (const uint8_t *)msg, strlen(msg), NULL), FLM_ERR_CANCELLED);
    FLM_CHECK_EQ(flm_http_finish(&p), FLM_ERR_CANCELLED);
}

FLM_TEST(http_parse_requests)
{
    const char *msg = "\r\nPOST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                      "Authorization: Bearer k\r\nContent-Length: 4\r\n\r\n{}{}";
    for (int mode = 0; mode < 3; mode++) {
        flm_http_parser_t p;
        sink_t s;
        FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, msg, strlen(msg), mode, false), FLM_OK);
        FLM_CHECK(flm_http_done(&p));
        FLM_CHECK(strcmp(p.method, "POST") == 0);
        FLM_CHECK(strcmp(p.target, "/v1/chat/completions") == 0);
        FLM_CHECK_EQ(p.version_minor, 1);
        FLM_CHECK_EQ(s.len, 4);
        FLM_CHECK_EQ(s.headers, 3);
    }
    flm_http_parser_t p;
    sink_t s;
    const char *get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, get, strlen(get), 0, false), FLM_OK);
    FLM_CHECK(flm_http_done(&p)); /* no length: no body */
    const char *bad[] = { "GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "G@T / HTTP/1.1\r\n\r\n",
                          "GET / HTTP/3.0\r\n\r\n", "GET /a\x7f HTTP/1.1\r\n\r\n" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        flm_err_t err = feed(&p, &s, FLM_HTTP_REQUEST, 0, bad[i], strlen(bad[i]), 0, true);
        FLM_CHECK_MSG(err == FLM_ERR_HTTP_SYNTAX || err == FLM_ERR_HTTP_UNSUPPORTED, "case %zu", i);
    }
}

FLM_TEST(http_parse_url)
{
    flm_url_t u;
    FLM_CHECK_EQ(flm_http_parse_url("https://api.openai.com/v1/chat/completions", &u), FLM_OK);
    FLM_CHECK(u.tls && u.port == 443 && strcmp(u.host, "api.openai.com") == 0 &&
              strcmp(u.path, "/v1/chat/completions") == 0);
    FLM_CHECK_EQ(flm_http_parse_url("http://127.0.0.1:8080", &u), FLM_OK);
    FLM_CHECK(!u.tls && u.port == 8080 && strcmp(u.host, "127.0.0.1") == 0 && strcmp(u.path, "/") == 0);
    FLM_CHECK_EQ(flm_http_parse_url("https://[::1]:8443/v1?x=1", &u), FLM_OK);
    FLM_CHECK(u.port == 8443 && strcmp(u.host, "::1") == 0 && strcmp(u.path, "/v1?x=1") == 0);
    FLM_CHECK_EQ(flm_http_parse_url("http://h?q", &u), FLM_OK);
    FLM_CHECK(strcmp(u.path, "/?q") == 0);
    const char *bad[] = { "ftp://x", "https://", "https://:443", "https://u:p@host/",
                          "https://h:0", "https://h:65536", "https://h:8x", "https://h/a b",
                          "https://h/#frag", "https://[::1", "https://[::1]x", "api.openai.com" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        FLM_CHECK_MSG(flm_http_parse_url(bad[i], &u) == FLM_ERR_CONFIG, "%s", bad[i]);
    FLM_CHECK_EQ(flm_http_parse_url(NULL, &u), FLM_ERR_ARG);
}

FLM_TEST(http_parse_random_bytes)
{
    static const char *seeds[] = {
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nRetry-After: 3\r\n\r\n5;x\r\nhello\r\n0\r\nT: 1\r\n\r\n",
        "HTTP/1.1 503 Busy\r\nContent-Length: 4\r\nContent-Type: text/plain\r\n\r\nbusy",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\n\r\nrest",
    };
    static char buf[256];
    static const flm_err_t allowed[] = {
        FLM_OK, FLM_ERR_HTTP_SYNTAX, FLM_ERR_HTTP_LINE_TOO_LONG, FLM_ERR_HTTP_TOO_MANY_HEADERS,
        FLM_ERR_HTTP_BODY_TOO_LARGE, FLM_ERR_HTTP_CHUNK, FLM_ERR_HTTP_LENGTH,
        FLM_ERR_HTTP_TRUNCATED, FLM_ERR_HTTP_UNSUPPORTED,
    };
    for (int iter = 0; iter < 30000; iter++) {
        size_t n;
        if (iter % 3 == 0) {
            n = rnd() % 200;
            for (size_t i = 0; i < n; i++)
                buf[i] = rnd() % 3 ? "HTP/1.0 2\r\n:;ac-"[rnd() % 17] : (char)rnd();
        } else {
            const char *seed = seeds[rnd() % 3];
            n = strlen(seed);
            memcpy(buf, seed, n);
            for (int k = 1 + (int)(rnd() % 3); k > 0 && n > 0; k--) {
                size_t at = rnd() % n;
                if (rnd() % 2)
                    buf[at] = (char)rnd();
                else
                    n = at;
            }
        }
        flm_http_parser_t p;
        sink_t s;
        flm_err_t err = feed(&p, &s, rnd() % 4 ? FLM_HTTP_RESPONSE : FLM_HTTP_REQUEST,
                             rnd() % 2 ? 0 : 8, buf, n, (int)(rnd() % 3), true);
        bool known = false;
        for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
            known = known || err == allowed[i];
        FLM_CHECK_MSG(known, "unexpected %d", err);
        FLM_CHECK(s.len <= n);
    }
}

FLM_TEST(http_parse_server_requests)
{
    flm_http_parser_t p;
    sink_t s;
    /* keep-alive: 1.1 by default, 1.0 only when asked; close wins */
    const char *r11 = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, r11, strlen(r11), 0, false), FLM_OK);
    FLM_CHECK(flm_http_keep_alive(&p) && p.has_host && !p.expect_continue);
    const char *r10 = "GET / HTTP/1.0\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, r10, strlen(r10), 1, false), FLM_OK);
    FLM_CHECK(!flm_http_keep_alive(&p) && !p.has_host);
    const char *r10k = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, r10k, strlen(r10k), 2, false), FLM_OK);
    FLM_CHECK(flm_http_keep_alive(&p));
    const char *rc = "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, rc, strlen(rc), 0, false), FLM_OK);
    FLM_CHECK(!flm_http_keep_alive(&p));

    /* Expect, chunked bodies with extensions and trailers */
    const char *chunked = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n4;ext=1\r\n{\"a\"\r\n2\r\n:1\r\n1\r\n}\r\n"
                          "0\r\nX-Trailer: y\r\n\r\n";
    for (int mode = 0; mode < 3; mode++) {
        FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 64, chunked, strlen(chunked), mode, false), FLM_OK);
        FLM_CHECK(flm_http_done(&p) && p.expect_continue && p.chunked);
        FLM_CHECK_EQ(s.len, 7);
        FLM_CHECK(memcmp(s.body, "{\"a\":1}", 7) == 0);
    }
    const char *other = "POST / HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 0\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, other, strlen(other), 0, false), FLM_OK);
    FLM_CHECK(p.expect_other && !p.expect_continue);

    /* smuggling shapes and limits */
    const char *both = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, both, strlen(both), 0, false), FLM_ERR_HTTP_LENGTH);
    const char *two = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, two, strlen(two), 0, false), FLM_ERR_HTTP_LENGTH);
    const char *hosts = "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, hosts, strlen(hosts), 0, false), FLM_ERR_HTTP_SYNTAX);
    const char *big = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 64, big, strlen(big), 0, false),
                 FLM_ERR_HTTP_BODY_TOO_LARGE);
    const char *bigc = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 64, bigc, strlen(bigc), 0, false),
                 FLM_ERR_HTTP_BODY_TOO_LARGE);
    const char *gz = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n";
    FLM_CHECK_EQ(feed(&p, &s, FLM_HTTP_REQUEST, 0, gz, strlen(gz), 0, false), FLM_ERR_HTTP_UNSUPPORTED);

    /* pipelined: the parser stops at the end of each message */
    const char *pipe = "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\n"
                       "Content-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: x\r\n\r\n";
    const char *want[] = { "/a", "/b", "/c" };
    size_t at = 0, n = strlen(pipe);
    for (int k = 0; k < 3; k++) {
        memset(&s, 0, sizeof s);
        flm_http_parser_init(&p, FLM_HTTP_REQUEST, 0, on_body, on_header, &s);
        size_t used;
        FLM_CHECK_EQ(flm_http_parse(&p, (const uint8_t *)pipe + at, n - at, &used), FLM_OK);
        FLM_CHECK(flm_http_done(&p));
        FLM_CHECK(strcmp(p.target, want[k]) == 0);
        FLM_CHECK_EQ(s.len, k == 1 ? 2 : 0);
        at += used;
    }
    FLM_CHECK_EQ(at, n);
}

FLM_TEST(http_write_response_head)
{
    char buf[512];
    size_t len;
    flm_http_header_t h[] = { { "x-fieldlm-route", "local:confident" } };
    flm_http_response_t rs = { .status = 200, .content_type = "application/json",
                               .content_length = 42, .headers = h, .n_headers = 1 };
    FLM_CHECK_EQ(flm_http_write_response_head(&rs, buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK_EQ(len, strlen(buf));
    FLM_CHECK(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    FLM_CHECK(flm_test_contains(buf, strlen(buf), "\r\nContent-Length: 42\r\n"));
    FLM_CHECK(flm_test_contains(buf, strlen(buf), "\r\nx-fieldlm-route: local:confident\r\n"));
    FLM_CHECK(!flm_test_contains(buf, strlen(buf), "Connection"));
    FLM_CHECK(strcmp(buf + len - 4, "\r\n\r\n") == 0);

    flm_http_response_t busy = { .status = 503, .content_length = 0, .close = true, .retry_after_s = 1 };
    FLM_CHECK_EQ(flm_http_write_response_head(&busy, buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK(strncmp(buf, "HTTP/1.1 503 Service Unavailable\r\n", 34) == 0);
    FLM_CHECK(flm_test_contains(buf, strlen(buf), "\r\nRetry-After: 1\r\n"));
    FLM_CHECK(flm_test_contains(buf, strlen(buf), "\r\nConnection: close\r\n\r\n"));

    flm_http_response_t sse = { .status = 200, .content_type = "text/event-stream", .chunked = true,
                                .content_length = 99 };
    FLM_CHECK_EQ(flm_http_write_response_head(&sse, buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK(flm_test_contains(buf, strlen(buf), "Transfer-Encoding: chunked"));
    FLM_CHECK(!flm_test_contains(buf, strlen(buf), "Content-Length"));

    /* what a reader parses back */
    flm_http_parser_t p;
    flm_http_parser_init(&p, FLM_HTTP_RESPONSE, 0, NULL, NULL, NULL);
    rs.content_length = 0;
    FLM_CHECK_EQ(flm_http_write_response_head(&rs, buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK_EQ(flm_http_parse(&p, (const uint8_t *)buf, len, NULL), FLM_OK);
    FLM_CHECK(flm_http_done(&p) && p.status == 200);

    /* no header injection, no overflow */
    flm_http_header_t evil[] = { { "x", "a\r\nSet-Cookie: y" } };
    flm_http_response_t bad = { .status = 200, .headers = evil, .n_headers = 1 };
    FLM_CHECK_EQ(flm_http_write_response_head(&bad, buf, sizeof buf, &len), FLM_ERR_HTTP_HEADER_VALUE);
    flm_http_header_t badname[] = { { "a b", "v" } };
    bad.headers = badname;
    FLM_CHECK_EQ(flm_http_write_response_head(&bad, buf, sizeof buf, &len), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_http_write_response_head(&rs, buf, 20, &len), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(buf[0], '\0');
    rs.status = 42;
    FLM_CHECK_EQ(flm_http_write_response_head(&rs, buf, sizeof buf, &len), FLM_ERR_ARG);
    FLM_CHECK(strcmp(flm_http_reason(413), "Content Too Large") == 0);
    FLM_CHECK(strcmp(flm_http_reason(299), "Unknown") == 0);

    char line[20];
    FLM_CHECK_EQ(flm_http_chunk_line(0, line), 3);
    FLM_CHECK(strcmp(line, "0\r\n") == 0);
    FLM_CHECK_EQ(flm_http_chunk_line(0x1a2b, line), 6);
    FLM_CHECK(strcmp(line, "1a2b\r\n") == 0);
    FLM_CHECK_EQ(flm_http_chunk_line(SIZE_MAX, line), sizeof(size_t) * 2 + 2);
}
