#include "core/base/config.h"
#if FLM_CFG_PROTO /* the cloud client and the server; off on boards without a network */
#include "core/proto/http.h"

#include <string.h>

#include "core/base/parse.h"
#include "core/base/wipe.h"

#include "core/base/version.h"

/* ---- small helpers --------------------------------------------------------- */

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool ieq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (lower(a[i]) != lower(b[i]))
            return false;
    return true;
}

/* RFC 7230 tchar: the characters allowed in methods and header names. */
static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!is_tchar(*s))
            return false;
    return true;
}

/* Header values: visible bytes, space, tab and UTF-8; never CR, LF, NUL. */
static bool is_field_value(const char *s)
{
    if (!s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7F)
            return false;
    return true;
}

/* Request targets and hosts: visible ASCII only (no space, no controls). */
static bool is_visible(const char *s)
{
    if (!s || !*s)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= 0x20 || *p >= 0x7F)
            return false;
    return true;
}

/* ---- request writer ------------------------------------------------------ */

typedef struct {
    char  *buf;
    size_t cap, len;
    bool   overflow;
} out_t;

static void out_put(out_t *o, const char *s, size_t n)
{
    if (o->overflow || n >= o->cap - o->len) {
        o->overflow = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_str(out_t *o, const char *s) { out_put(o, s, strlen(s)); }

static void out_u64(out_t *o, uint64_t v)
{
    char tmp[24];
    size_t n = sizeof tmp;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    out_put(o, tmp + n, sizeof tmp - n);
}

static void out_header(out_t *o, const char *name, const char *value)
{
    out_str(o, name);
    out_put(o, ": ", 2);
    out_str(o, value);
    out_put(o, "\r\n", 2);
}

flm_err_t flm_http_write_head(const flm_http_request_t *rq, char *buf, size_t cap, size_t *len)
{
    if (len)
        *len = 0;
    if (!rq || !buf || cap == 0)
        return FLM_ERR_ARG;
    buf[0] = '\0';
    if (!is_token(rq->method) || !is_visible(rq->host) || !is_visible(rq->path) || rq->path[0] != '/')
        return FLM_ERR_ARG;
    if (strchr(rq->host, '/') || strchr(rq->host, '@'))
        return FLM_ERR_ARG;
    if ((rq->bearer && (!is_field_value(rq->bearer) || !*rq->bearer)) ||
        (rq->content_type && !is_field_value(rq->content_type)) ||
        (rq->accept && !is_field_value(rq->accept)))
        return FLM_ERR_HTTP_HEADER_VALUE;
    for (size_t i = 0; i < rq->n_headers; i++) {
        if (!rq->headers || !is_token(rq->headers[i].name))
            return FLM_ERR_ARG;
        if (!is_field_value(rq->headers[i].value))
            return FLM_ERR_HTTP_HEADER_VALUE;
    }

    out_t o = { buf, cap, 0, false };
    out_str(&o, rq->method);
    out_put(&o, " ", 1);
    out_str(&o, rq->path);
    out_str(&o, " HTTP/1.1\r\nHost: ");
    /* An IPv6 literal needs brackets once a port follows it. */
    bool v6 = strchr(rq->host, ':') != NULL && rq->host[0] != '[';
    bool with_port = rq->port != 0 && rq->port != 80 && rq->port != 443;
    if (v6 && with_port)
        out_put(&o, "[", 1);
    out_str(&o, rq->host);
    if (with_port) {
        if (v6)
            out_put(&o, "]", 1);
        out_put(&o, ":", 1);
        out_u64(&o, rq->port);
    }
    out_str(&o, "\r\nUser-Agent: fieldlm/" FLM_VERSION_STRING "\r\n");
    if (rq->bearer) {
        out_str(&o, "Authorization: Bearer ");
        out_str(&o, rq->bearer);
        out_put(&o, "\r\n", 2);
    }
    if (rq->content_type)
        out_header(&o, "Content-Type", rq->content_type);
    if (rq->accept)
        out_header(&o, "Accept", rq->accept);
    for (size_t i = 0; i < rq->n_headers; i++)
        out_header(&o, rq->headers[i].name, rq->headers[i].value);
    if (rq->body_len || (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0)) {
        out_str(&o, "Content-Length: ");
        out_u64(&o, rq->body_len);
        out_put(&o, "\r\n", 2);
    }
    out_str(&o, "Connection: close\r\n\r\n");
    if (o.overflow) {
        /* Do not leave a partial head (it may hold the key) behind. */
        flm_wipe(buf, o.len);
        buf[0] = '\0';
        return FLM_ERR_OVERFLOW;
    }
    buf[o.len] = '\0';
    if (len)
        *len = o.len;
    return FLM_OK;
}

/* ---- response writer ------------------------------------------------------ */

const char *flm_http_reason(int status)
{
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default:  return "Unknown";
    }
}

flm_err_t flm_http_write_response_head(const flm_http_response_t *rs, char *buf, size_t cap,
                                       size_t *len)
{
    if (len)
        *len = 0;
    if (!rs || !buf || cap == 0)
        return FLM_ERR_ARG;
    buf[0] = '\0';
    if (rs->status < 100 || rs->status > 599)
        return FLM_ERR_ARG;
    if (rs->content_type && !is_field_value(rs->content_type))
        return FLM_ERR_HTTP_HEADER_VALUE;
    for (size_t i = 0; i < rs->n_headers; i++) {
        if (!rs->headers || !is_token(rs->headers[i].name))
            return FLM_ERR_ARG;
        if (!is_field_value(rs->headers[i].value))
            return FLM_ERR_HTTP_HEADER_VALUE;
    }
    out_t o = { buf, cap, 0, false };
    out_str(&o, "HTTP/1.1 ");
    out_u64(&o, (uint64_t)rs->status);
    out_put(&o, " ", 1);
    out_str(&o, flm_http_reason(rs->status));
    out_put(&o, "\r\n", 2);
    out_str(&o, "Server: fieldlm/" FLM_VERSION_STRING "\r\n");
    if (rs->content_type)
        out_header(&o, "Content-Type", rs->content_type);
    if (rs->chunked)
        out_str(&o, "Transfer-Encoding: chunked\r\n");
    else if (rs->content_length >= 0) {
        out_str(&o, "Content-Length: ");
        out_u64(&o, (uint64_t)rs->content_length);
        out_put(&o, "\r\n", 2);
    }
    if (rs->retry_after_s) {
        out_str(&o, "Retry-After: ");
        out_u64(&o, rs->retry_after_s);
        out_put(&o, "\r\n", 2);
    }
    for (size_t i = 0; i < rs->n_headers; i++)
        out_header(&o, rs->headers[i].name, rs->headers[i].value);
    out_str(&o, rs->close ? "Connection: close\r\n\r\n" : "\r\n");
    if (o.overflow) {
        buf[0] = '\0';
        return FLM_ERR_OVERFLOW;
    }
    buf[o.len] = '\0';
    if (len)
        *len = o.len;
    return FLM_OK;
}

size_t flm_http_chunk_line(size_t n, char out[20])
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];
    size_t k = 0;
    do {
        tmp[k++] = hex[n & 15u];
        n >>= 4;
    } while (n);
    size_t len = 0;
    while (k)
        out[len++] = tmp[--k];
    out[len++] = '\r';
    out[len++] = '\n';
    out[len] = '\0';
    return len;
}

/* ---- parser ------------------------------------------------------------ */

enum {
    ST_START,       /* status or request line */
    ST_HEADER,      /* header lines up to the blank line */
    ST_BODY_LENGTH, /* Content-Length body */
    ST_BODY_CLOSE,  /* body until EOF */
    ST_CHUNK_SIZE,  /* chunk-size [; ext] line */
    ST_CHUNK_DATA,
    ST_CHUNK_CR,    /* CRLF after chunk data */
    ST_CHUNK_LF,
    ST_TRAILER,     /* trailer lines up to the blank line */
    ST_DONE,
};

void flm_http_parser_init(flm_http_parser_t *p, flm_http_kind_t kind, uint64_t max_body,
                          flm_http_body_fn on_body, flm_http_header_fn on_header, void *user)
{
    memset(p, 0, sizeof *p);
    p->kind = (uint8_t)kind;
    p->max_body = max_body;
    p->on_body = on_body;
    p->on_header = on_header;
    p->user = user;
    p->retry_after_ms = -1;
    p->state = ST_START;
}

bool flm_http_headers_done(const flm_http_parser_t *p)
{
    return p->state != ST_START && p->state != ST_HEADER;
}

bool flm_http_done(const flm_http_parser_t *p)
{
    return p->state == ST_DONE;
}

bool flm_http_keep_alive(const flm_http_parser_t *p)
{
    return !p->conn_close && (p->version_minor >= 1 || p->keep_alive);
}

static flm_err_t fail(flm_http_parser_t *p, flm_err_t err)
{
    if (!p->err)
        p->err = err;
    return p->err;
}

static flm_err_t parse_version(flm_http_parser_t *p, const char *s, size_t n)
{
    if (n != 8 || memcmp(s, "HTTP/1.", 7) != 0)
        return fail(p, (n >= 5 && memcmp(s, "HTTP/", 5) == 0) ? FLM_ERR_HTTP_UNSUPPORTED
                                                              : FLM_ERR_HTTP_SYNTAX);
    if (s[7] != '0' && s[7] != '1')
        return fail(p, FLM_ERR_HTTP_UNSUPPORTED);
    p->version_minor = s[7] - '0';
    return FLM_OK;
}

static flm_err_t parse_start_line(flm_http_parser_t *p, const char *l, size_t n)
{
    if (p->kind == FLM_HTTP_RESPONSE) {
        /* HTTP/1.1 SP 3DIGIT [SP reason] */
        if (n < 12 || parse_version(p, l, 8) || l[8] != ' ')
            return fail(p, FLM_ERR_HTTP_SYNTAX);
        uint64_t code;
        if (!flm_parse_uint(l + 9, 3, 10, 999, &code) || code < 100 || code > 599 ||
            (n > 12 && l[12] != ' '))
            return fail(p, FLM_ERR_HTTP_SYNTAX);
        p->status = (int)code;
        if (code == 101)
            return fail(p, FLM_ERR_HTTP_UNSUPPORTED);
        return FLM_OK;
    }
    /* METHOD SP target SP HTTP/1.1 */
    const char *sp1 = memchr(l, ' ', n);
    if (!sp1)
        return fail(p, FLM_ERR_HTTP_SYNTAX);
    size_t mlen = (size_t)(sp1 - l);
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', n - mlen - 1);
    if (!sp2 || mlen == 0 || mlen >= sizeof p->method)
        return fail(p, FLM_ERR_HTTP_SYNTAX);
    size_t tlen = (size_t)(sp2 - t);
    if (tlen == 0 || tlen >= sizeof p->target)
        return fail(p, tlen ? FLM_ERR_HTTP_LINE_TOO_LONG : FLM_ERR_HTTP_SYNTAX);
    for (size_t i = 0; i < mlen; i++)
        if (!is_tchar(l[i]))
            return fail(p, FLM_ERR_HTTP_SYNTAX);
    for (size_t i = 0; i < tlen; i++)
        if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7F)
            return fail(p, FLM_ERR_HTTP_SYNTAX);
    if (parse_version(p, sp2 + 1, n - (size_t)(sp2 + 1 - l)))
        return p->err;
    memcpy(p->method, l, mlen);
    p->method[mlen] = '\0';
    memcpy(p->target, t, tlen);
    p->target[tlen] = '\0';
    return FLM_OK;
}

static flm_err_t header_field(flm_http_parser_t *p, const char *name, size_t nlen,
                              const char *v, size_t vlen)
{
    if (ieq(name, nlen, "content-length")) {
        uint64_t cl;
        /* 2^53 is far above any body we accept and keeps sums safe. */
        if (!flm_parse_uint(v, vlen, 10, (uint64_t)1 << 53, &cl))
            return fail(p, FLM_ERR_HTTP_LENGTH);
        if (p->has_length && cl != p->content_length)
            return fail(p, FLM_ERR_HTTP_LENGTH);
        p->has_length = true;
        p->content_length = cl;
    } else if (ieq(name, nlen, "transfer-encoding")) {
        if (!ieq(v, vlen, "chunked"))
            return fail(p, FLM_ERR_HTTP_UNSUPPORTED);
        p->chunked = true;
    } else if (ieq(name, nlen, "content-encoding")) {
        if (!ieq(v, vlen, "identity"))
            return fail(p, FLM_ERR_HTTP_UNSUPPORTED);
    } else if (ieq(name, nlen, "retry-after-ms")) {
        uint64_t ms;
        if (flm_parse_uint(v, vlen, 10, UINT32_MAX, &ms)) {
            p->retry_after_ms = (int64_t)ms;
            p->ms_seen = true;
        }
    } else if (ieq(name, nlen, "retry-after")) {
        uint64_t s;
        /* delta-seconds only; an HTTP-date needs a wall clock we lack. */
        if (!p->ms_seen && flm_parse_uint(v, vlen, 10, 7u * 86400u, &s))
            p->retry_after_ms = (int64_t)(s * 1000);
    } else if (ieq(name, nlen, "content-type")) {
        size_t m = 0;
        while (m < vlen && v[m] != ';' && v[m] != ' ' && v[m] != '\t')
            m++;
        if (m < sizeof p->content_type) {
            for (size_t i = 0; i < m; i++)
                p->content_type[i] = lower(v[i]);
            p->content_type[m] = '\0';
        }
    } else if (ieq(name, nlen, "connection")) {
        /* a list of tokens: "keep-alive, Upgrade" */
        for (size_t i = 0; i < vlen;) {
            while (i < vlen && (v[i] == ',' || v[i] == ' ' || v[i] == '\t'))
                i++;
            size_t j = i;
            while (j < vlen && v[j] != ',' && v[j] != ' ' && v[j] != '\t')
                j++;
            if (ieq(v + i, j - i, "close"))
                p->conn_close = true;
            else if (ieq(v + i, j - i, "keep-alive"))
                p->keep_alive = true;
            i = j;
        }
    } else if (p->kind == FLM_HTTP_REQUEST && ieq(name, nlen, "expect")) {
        if (ieq(v, vlen, "100-continue"))
            p->expect_continue = true;
        else
            p->expect_other = true;
    } else if (p->kind == FLM_HTTP_REQUEST && ieq(name, nlen, "host")) {
        if (p->has_host)
            return fail(p, FLM_ERR_HTTP_SYNTAX); /* RFC 7230 5.4: exactly one */
        p->has_host = true;
    }
    return FLM_OK;
}

/* One header (or trailer) line: name ":" OWS value OWS. */
static flm_err_t parse_header_line(flm_http_parser_t *p, char *l, size_t n, bool trailer)
{
    if (l[0] == ' ' || l[0] == '\t')
        return fail(p, FLM_ERR_HTTP_SYNTAX); /* obsolete line folding */
    if (++p->header_count > FLM_HTTP_MAX_HEADERS)
        return fail(p, FLM_ERR_HTTP_TOO_MANY_HEADERS);
    const char *colon = memchr(l, ':', n);
    if (!colon || colon == l)
        return fail(p, FLM_ERR_HTTP_SYNTAX);
    size_t nlen = (size_t)(colon - l);
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar(l[i]))
            return fail(p, FLM_ERR_HTTP_SYNTAX);
    const char *v = colon + 1;
    size_t vlen = n - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t')) {
        v++;
        vlen--;
    }
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
        vlen--;
    for (size_t i = 0; i < vlen; i++)
        if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7F)
            return fail(p, FLM_ERR_HTTP_SYNTAX);
    if (trailer)
        return FLM_OK; /* trailers are checked, then ignored */
    if (header_field(p, l, nlen, v, vlen))
        return p->err;
    if (p->on_header) {
        flm_err_t err = p->on_header(p->user, l, nlen, v, vlen);
        if (err)
            return fail(p, err);
    }
    return FLM_OK;
}

/* The blank line after the headers: decide how the body is framed. */
static flm_err_t end_of_headers(flm_http_parser_t *p)
{
    if (p->kind == FLM_HTTP_RESPONSE && p->status < 200) {
        /* An interim reply: forget it and read the real one. */
        bool no_body = p->no_body;
        flm_http_parser_init(p, FLM_HTTP_RESPONSE, p->max_body, p->on_body, p->on_header, p->user);
        p->no_body = no_body;
        return FLM_OK;
    }
    bool empty = p->no_body || (p->kind == FLM_HTTP_RESPONSE && (p->status == 204 || p->status == 304));
    if (empty) {
        p->state = ST_DONE;
    } else if (p->chunked) {
        /* A request framed both ways is how requests are smuggled past a
         * proxy: refused (RFC 7230 3.3.3 allows it). A reply's chunked
         * framing wins. */
        if (p->kind == FLM_HTTP_REQUEST && p->has_length)
            return fail(p, FLM_ERR_HTTP_LENGTH);
        p->has_length = false;
        p->state = ST_CHUNK_SIZE;
    } else if (p->has_length) {
        if (p->max_body && p->content_length > p->max_body)
            return fail(p, FLM_ERR_HTTP_BODY_TOO_LARGE);
        p->remaining = p->content_length;
        p->state = p->remaining ? ST_BODY_LENGTH : ST_DONE;
    } else if (p->kind == FLM_HTTP_RESPONSE) {
        p->until_close = true;
        p->state = ST_BODY_CLOSE;
    } else {
        p->state = ST_DONE;
    }
    return FLM_OK;
}

static flm_err_t chunk_size_line(flm_http_parser_t *p, const char *l, size_t n)
{
    size_t i = 0;
    uint64_t size = 0;
    /* an absurd size (2^56 or more) is refused like a malformed one */
    if (!flm_parse_uint_prefix(l, n, 16, (UINT64_C(1) << 56) - 1, &size, &i))
        return fail(p, FLM_ERR_HTTP_CHUNK);
    while (i < n && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i < n && l[i] != ';')
        return fail(p, FLM_ERR_HTTP_CHUNK);
    for (; i < n; i++)
        if (((unsigned char)l[i] < 0x20 && l[i] != '\t') || l[i] == 0x7F)
            return fail(p, FLM_ERR_HTTP_CHUNK);
    if (size == 0) {
        p->state = ST_TRAILER;
        return FLM_OK;
    }
    if (p->max_body && size > p->max_body - p->body_bytes)
        return fail(p, FLM_ERR_HTTP_BODY_TOO_LARGE);
    p->remaining = size;
    p->state = ST_CHUNK_DATA;
    return FLM_OK;
}

/* A complete line (CR LF stripped) in p->line. */
static flm_err_t line_done(flm_http_parser_t *p)
{
    char *l = p->line;
    size_t n = p->line_len;
    p->line_len = 0;
    switch (p->state) {
    case ST_START:
        if (n == 0 && p->kind == FLM_HTTP_REQUEST)
            return FLM_OK; /* RFC 7230 3.5: ignore a blank line before a request */
        if (parse_start_line(p, l, n))
            return p->err;
        p->state = ST_HEADER;
        return FLM_OK;
    case ST_HEADER:
        return n == 0 ? end_of_headers(p) : parse_header_line(p, l, n, false);
    case ST_CHUNK_SIZE:
        return chunk_size_line(p, l, n);
    default: /* ST_TRAILER */
        if (n == 0) {
            p->state = ST_DONE;
            return FLM_OK;
        }
        return parse_header_line(p, l, n, true);
    }
}

static flm_err_t body(flm_http_parser_t *p, const uint8_t *d, size_t n)
{
    if (p->max_body && n > p->max_body - p->body_bytes)
        return fail(p, FLM_ERR_HTTP_BODY_TOO_LARGE);
    p->body_bytes += n;
    if (p->on_body) {
        flm_err_t err = p->on_body(p->user, d, n);
        if (err)
            return fail(p, err);
    }
    return FLM_OK;
}

flm_err_t flm_http_parse(flm_http_parser_t *p, const uint8_t *data, size_t n, size_t *used)
{
    size_t i = 0;
    if (used)
        *used = 0;
    if (p->err)
        return p->err;
    if (!data && n)
        return fail(p, FLM_ERR_ARG);
    while (i < n && p->state != ST_DONE) {
        switch (p->state) {
        case ST_BODY_LENGTH:
        case ST_CHUNK_DATA: {
            size_t take = n - i;
            if ((uint64_t)take > p->remaining)
                take = (size_t)p->remaining;
            if (body(p, data + i, take))
                goto out;
            i += take;
            p->remaining -= take;
            if (p->remaining == 0)
                p->state = p->state == ST_CHUNK_DATA ? ST_CHUNK_CR : ST_DONE;
            break;
        }
        case ST_BODY_CLOSE:
            if (body(p, data + i, n - i))
                goto out;
            i = n;
            break;
        case ST_CHUNK_CR:
        case ST_CHUNK_LF: {
            uint8_t c = data[i++];
            if (c == '\n')
                p->state = ST_CHUNK_SIZE;
            else if (c == '\r' && p->state == ST_CHUNK_CR)
                p->state = ST_CHUNK_LF;
            else {
                fail(p, FLM_ERR_HTTP_CHUNK);
                goto out;
            }
            break;
        }
        default: {
            /* Line-oriented states: gather up to LF; CR only right before it. */
            uint8_t c = data[i++];
            if (c == '\n') {
                p->cr = false;
                if (line_done(p))
                    goto out;
                break;
            }
            if (p->cr || c == '\0') {
                /* a bare CR or a NUL inside a line */
                fail(p, p->state == ST_CHUNK_SIZE ? FLM_ERR_HTTP_CHUNK : FLM_ERR_HTTP_SYNTAX);
                goto out;
            }
            if (c == '\r') {
                p->cr = true;
                break;
            }
            /* Not HTTP at all (a TLS record, an SSH banner): say so now
             * rather than after a line that may never end. */
            if (p->state == ST_START && p->kind == FLM_HTTP_RESPONSE && p->line_len < 5 &&
                c != (uint8_t)"HTTP/"[p->line_len]) {
                fail(p, FLM_ERR_HTTP_SYNTAX);
                goto out;
            }
            if (p->line_len >= sizeof p->line) {
                fail(p, FLM_ERR_HTTP_LINE_TOO_LONG);
                goto out;
            }
            p->line[p->line_len++] = (char)c;
        }
        }
    }
out:
    if (used)
        *used = i;
    return p->err;
}

flm_err_t flm_http_finish(flm_http_parser_t *p)
{
    if (p->err)
        return p->err;
    if (p->state == ST_BODY_CLOSE)
        p->state = ST_DONE;
    if (p->state != ST_DONE)
        return fail(p, FLM_ERR_HTTP_TRUNCATED);
    return FLM_OK;
}

/* ---- URLs ---------------------------------------------------------------- */

flm_err_t flm_http_parse_url(const char *url, flm_url_t *u)
{
    if (!url || !u)
        return FLM_ERR_ARG;
    memset(u, 0, sizeof *u);
    const char *s;
    if (strncmp(url, "https://", 8) == 0) {
        u->tls = true;
        u->port = 443;
        s = url + 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        u->port = 80;
        s = url + 7;
    } else {
        return FLM_ERR_CONFIG;
    }
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c <= 0x20 || *c >= 0x7F || *c == '#')
            return FLM_ERR_CONFIG;
    size_t auth = strcspn(s, "/?");
    if (memchr(s, '@', auth))
        return FLM_ERR_CONFIG;
    const char *h = s, *port = NULL;
    size_t hlen;
    if (*s == '[') {
        const char *close = memchr(s, ']', auth);
        if (!close)
            return FLM_ERR_CONFIG;
        h = s + 1;
        hlen = (size_t)(close - h);
        if (close + 1 < s + auth) {
            if (close[1] != ':')
                return FLM_ERR_CONFIG;
            port = close + 2;
        }
    } else {
        const char *colon = memchr(s, ':', auth);
        hlen = colon ? (size_t)(colon - s) : auth;
        if (colon)
            port = colon + 1;
    }
    if (hlen == 0 || hlen >= sizeof u->host)
        return FLM_ERR_CONFIG;
    memcpy(u->host, h, hlen);
    if (port) {
        uint64_t v;
        if (!flm_parse_uint(port, (size_t)(s + auth - port), 10, 65535, &v) || v == 0)
            return FLM_ERR_CONFIG;
        u->port = (uint16_t)v;
    }
    const char *path = s + auth;
    size_t plen = strlen(path);
    if (plen + 2 > sizeof u->path)
        return FLM_ERR_CONFIG;
    if (*path != '/')
        u->path[0] = '/';
    memcpy(u->path + (*path != '/'), path, plen);
    return FLM_OK;
}

/* Reads a dotted-quad component; returns the next char or NULL. */
static const char *octet(const char *s, unsigned *v)
{
    unsigned x = 0, digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 4) {
        x = x * 10u + (unsigned)(*s++ - '0');
        digits++;
    }
    if (digits == 0 || digits > 3 || x > 255)
        return NULL;
    *v = x;
    return s;
}

bool flm_http_host_is_loopback(const char *host)
{
    if (!host)
        return false;
    if (strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0)
        return true;
    unsigned v[4];
    const char *s = host;
    for (int i = 0; i < 4; i++) {
        s = octet(s, &v[i]);
        if (!s || *s != (i < 3 ? '.' : '\0'))
            return false;
        s++;
    }
    return v[0] == 127;
}

#endif /* FLM_CFG_PROTO */
