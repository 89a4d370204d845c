/*
 * HTTP/1.1 for the cloud client and the server: a request writer, an
 * incremental message parser (replies and requests), a response writer and
 * a URL splitter. No sockets here: the caller moves the bytes over an
 * flm_transport_t.
 *
 * Request head (the body is sent after it, from the caller's buffer):
 *
 *   flm_http_request_t rq = { .method = "POST", .host = "api.openai.com",
 *       .port = 443, .path = "/v1/chat/completions", .bearer = key,
 *       .content_type = "application/json", .body_len = n };
 *   err = flm_http_write_head(&rq, buf, cap, &len);
 *
 * Header names and values are checked: CR, LF, NUL or other control bytes
 * in a value are FLM_ERR_HTTP_HEADER_VALUE (no header injection). Every
 * request says `Connection: close`: one request per connection keeps the
 * state machine small and a half-read reply can never leak into the next.
 *
 * Parser, fed arbitrary-sized pieces (one byte at a time works):
 *
 *   flm_http_parser_init(&p, FLM_HTTP_RESPONSE, max_body, on_body, on_header, user);
 *   while (!flm_http_done(&p)) {
 *       n = recv(...);
 *       if (n == FLM_ERR_NET_CLOSED) { err = flm_http_finish(&p); break; }
 *       err = flm_http_parse(&p, buf, n, &used);
 *   }
 *
 * It reads the status line (or, for FLM_HTTP_REQUEST, the request line),
 * headers (Content-Length, Transfer-Encoding: chunked, Retry-After and
 * retry-after-ms, Content-Type, Content-Encoding), skips 1xx interim
 * replies, and delivers the body through on_body, de-chunked, in pieces
 * that point into the caller's input (no copy). Limits: FLM_HTTP_LINE_MAX
 * per line, FLM_HTTP_MAX_HEADERS headers, max_body body bytes. A body
 * framed by Content-Length or chunks that ends early is FLM_ERR_HTTP_TRUNCATED
 * at flm_http_finish(); only a reply with neither is read to EOF.
 * Errors are sticky. Callbacks return FLM_OK or an error that aborts the
 * parse and is returned from flm_http_parse.
 *
 * As a server's request parser (FLM_HTTP_REQUEST) it also reads Expect
 * (100-continue, or another expectation), Connection's tokens (close,
 * keep-alive: flm_http_keep_alive), whether Host came (once), and refuses
 * what request smuggling is made of: Content-Length beside
 * Transfer-Encoding, two different lengths (FLM_ERR_HTTP_LENGTH). A request
 * with neither has no body. The parser stops at the end of one message, so
 * pipelined requests are read one after the other from the same input.
 *
 * Response head (a server's; the body follows from the caller's buffer,
 * chunked bodies framed with flm_http_chunk_line):
 *
 *   flm_http_response_t rs = { .status = 200, .content_type = "application/json",
 *                              .content_length = n };
 *   err = flm_http_write_response_head(&rs, buf, cap, &len);
 */
#ifndef FLM_HTTP_H
#define FLM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"

#define FLM_HTTP_CONTENT_TYPE_MAX 64
#define FLM_HTTP_METHOD_MAX 16
#define FLM_HTTP_TARGET_MAX 256

/* ---- request writer ------------------------------------------------------ */

typedef struct {
    const char *name;
    const char *value;
} flm_http_header_t;

typedef struct {
    const char *method;        /* "POST" */
    const char *host;          /* name or address for the Host header */
    uint16_t    port;          /* appended to Host unless 0, 80 or 443 */
    const char *path;          /* "/v1/chat/completions" */
    const char *bearer;        /* API key for "Authorization: Bearer", or NULL */
    const char *content_type;  /* or NULL */
    const char *accept;        /* or NULL */
    const flm_http_header_t *headers; /* extra headers, or NULL */
    size_t      n_headers;
    size_t      body_len;      /* Content-Length; written for any method but GET/HEAD */
} flm_http_request_t;

/* Write the request line and headers, ending with the blank line, into buf
 * (NUL-terminated). FLM_ERR_OVERFLOW if it does not fit. */
flm_err_t flm_http_write_head(const flm_http_request_t *rq, char *buf, size_t cap, size_t *len);

/* ---- message parser ------------------------------------------------------ */

typedef enum { FLM_HTTP_RESPONSE = 0, FLM_HTTP_REQUEST = 1 } flm_http_kind_t;

typedef flm_err_t (*flm_http_body_fn)(void *user, const uint8_t *data, size_t n);
typedef flm_err_t (*flm_http_header_fn)(void *user, const char *name, size_t name_len,
                                        const char *value, size_t value_len);

typedef struct {
    /* results, valid once flm_http_headers_done() */
    int      status;           /* response: 100..599 */
    int      version_minor;    /* HTTP/1.x */
    char     method[FLM_HTTP_METHOD_MAX];   /* request only */
    char     target[FLM_HTTP_TARGET_MAX];   /* request only */
    bool     chunked;
    bool     has_length;
    bool     until_close;      /* body runs to EOF (no length, not chunked) */
    bool     conn_close;       /* "Connection: close" */
    uint64_t content_length;
    uint64_t body_bytes;       /* body bytes delivered so far */
    int64_t  retry_after_ms;   /* -1 when absent or an HTTP-date */
    char     content_type[FLM_HTTP_CONTENT_TYPE_MAX]; /* media type, lower case, no params */
    uint32_t header_count;
    bool     no_body;          /* set before parsing for a reply to HEAD */
    /* requests */
    bool     keep_alive;       /* "Connection: keep-alive" (an HTTP/1.0 client's wish) */
    bool     expect_continue;  /* "Expect: 100-continue" */
    bool     expect_other;     /* an expectation the server cannot meet (417) */
    bool     has_host;

    /* private */
    flm_http_body_fn   on_body;
    flm_http_header_fn on_header;
    void    *user;
    uint64_t max_body;
    uint64_t remaining;
    flm_err_t err;
    uint8_t  kind;
    uint8_t  state;
    bool     cr;               /* a CR ended the previous byte of the line */
    bool     ms_seen;          /* retry-after-ms wins over Retry-After */
    size_t   line_len;
    char     line[FLM_HTTP_LINE_MAX];
} flm_http_parser_t;

/* max_body 0 means no limit (a Content-Length larger than max_body fails at
 * once, before any body byte). on_body/on_header may be NULL. */
void      flm_http_parser_init(flm_http_parser_t *p, flm_http_kind_t kind, uint64_t max_body,
                               flm_http_body_fn on_body, flm_http_header_fn on_header, void *user);
/* Consume up to n bytes; *used (may be NULL) gets how many were taken: all
 * of them unless the message ended inside the piece. */
flm_err_t flm_http_parse(flm_http_parser_t *p, const uint8_t *data, size_t n, size_t *used);
/* The peer closed the connection: FLM_OK if the message is complete (or its
 * body ran to EOF), FLM_ERR_HTTP_TRUNCATED otherwise. */
flm_err_t flm_http_finish(flm_http_parser_t *p);
bool      flm_http_headers_done(const flm_http_parser_t *p);
bool      flm_http_done(const flm_http_parser_t *p);
/* A request's headers are read: may the connection carry another request
 * after this one's response? HTTP/1.1 unless "Connection: close"; HTTP/1.0
 * only with "Connection: keep-alive". */
bool      flm_http_keep_alive(const flm_http_parser_t *p);

/* ---- response writer ------------------------------------------------------- */

typedef struct {
    int         status;          /* 100..599 */
    const char *content_type;    /* or NULL */
    int64_t     content_length;  /* written when >= 0 (and not chunked) */
    bool        chunked;         /* Transfer-Encoding: chunked */
    bool        close;           /* Connection: close (else keep-alive is implied) */
    uint32_t    retry_after_s;   /* Retry-After, when not 0 */
    const flm_http_header_t *headers; /* extra headers, or NULL */
    size_t      n_headers;
} flm_http_response_t;

/* The status line ("HTTP/1.1 404 Not Found") and headers, ending with the
 * blank line, into buf (NUL-terminated). Header names must be tokens and
 * values free of control bytes (FLM_ERR_ARG, FLM_ERR_HTTP_HEADER_VALUE);
 * FLM_ERR_OVERFLOW if it does not fit. */
flm_err_t flm_http_write_response_head(const flm_http_response_t *rs, char *buf, size_t cap,
                                       size_t *len);
/* The reason phrase of a status ("Not Found"); "Unknown" for others. */
const char *flm_http_reason(int status);
/* The line before a chunk of n bytes ("1a\r\n"; n 0 ends the body: then
 * the caller adds the final "\r\n"). Returns its length. */
size_t flm_http_chunk_line(size_t n, char out[20]);

/* ---- URLs ------------------------------------------------------------------ */


typedef struct {
    bool     tls;                    /* https */
    char     host[FLM_URL_HOST_MAX]; /* without [] for IPv6 literals */
    uint16_t port;                   /* explicit, else 443 / 80 */
    char     path[FLM_URL_PATH_MAX]; /* "/" when absent; query kept */
} flm_url_t;

/* Split "http[s]://host[:port][/path]". User info, fragments, empty hosts,
 * bad ports and control bytes are FLM_ERR_CONFIG. */
flm_err_t flm_http_parse_url(const char *url, flm_url_t *u);

/* "localhost", 127.0.0.0/8 in dotted-quad form, or "::1": where plain TCP
 * may carry an API key without leaving the machine. */
bool flm_http_host_is_loopback(const char *host);

#endif /* FLM_HTTP_H */
