/* Shared by fuzz_http_response.c and fuzz_http_request.c. */
#ifndef FLM_FUZZ_HTTP_H
#define FLM_FUZZ_HTTP_H

#include "core/proto/http.h"
#include "tests/fuzz/fuzz.h"

typedef struct {
    uint64_t delivered;
    uint32_t headers;
} http_seen_t;

static flm_err_t http_on_body(void *user, const uint8_t *d, size_t n)
{
    http_seen_t *s = user;
    FUZZ_CHECK(n > 0 && d != NULL);
    volatile uint8_t sink = d[0] ^ d[n - 1]; /* the piece is readable */
    (void)sink;
    s->delivered += n;
    return FLM_OK;
}

static flm_err_t http_on_header(void *user, const char *name, size_t nl, const char *value, size_t vl)
{
    http_seen_t *s = user;
    FUZZ_CHECK(nl > 0 && name && value);
    for (size_t i = 0; i < vl; i++)
        FUZZ_CHECK(value[i] != '\r' && value[i] != '\n');
    s->headers++;
    return FLM_OK;
}

/* Options byte: bit 0 a small body limit, bit 1 a reply to HEAD. */
static inline void flm_fuzz_http(flm_http_kind_t kind, const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    flm_fuzz_split_t sp;
    flm_fuzz_split_init(&sp, &data, &size);
    uint8_t *buf = flm_fuzz_copy(data, size);
    static flm_http_parser_t p;
    http_seen_t seen = { 0, 0 };
    uint64_t max_body = opt & 1 ? 64 : 0;
    flm_http_parser_init(&p, kind, max_body, http_on_body, http_on_header, &seen);
    p.no_body = (opt & 2) != 0;
    flm_err_t err = FLM_OK;
    size_t off = 0;
    while (!err && off < size && !flm_http_done(&p)) {
        size_t k = flm_fuzz_split_next(&sp, size - off);
        size_t used = 0;
        err = flm_http_parse(&p, buf + off, k, &used);
        FUZZ_CHECK(used <= k);
        if (!err && used < k)
            FUZZ_CHECK(flm_http_done(&p)); /* only a complete message stops short */
        off += used ? used : k;
    }
    if (!err && !flm_http_done(&p))
        err = flm_http_finish(&p);
    if (err) {
        FUZZ_CHECK(err < 0);
        FUZZ_CHECK(flm_http_parse(&p, (const uint8_t *)"x", 1, NULL) == err); /* sticky */
    }
    FUZZ_CHECK(seen.delivered == p.body_bytes);
    if (max_body)
        FUZZ_CHECK(p.body_bytes <= max_body);
    if (flm_http_headers_done(&p)) {
        if (kind == FLM_HTTP_RESPONSE)
            FUZZ_CHECK(p.status >= 100 && p.status <= 599);
        FUZZ_CHECK(memchr(p.content_type, '\0', sizeof p.content_type) != NULL);
        FUZZ_CHECK(memchr(p.method, '\0', sizeof p.method) != NULL);
        FUZZ_CHECK(memchr(p.target, '\0', sizeof p.target) != NULL);
        FUZZ_CHECK(p.retry_after_ms >= -1);
        /* Trailers count too; the line over the limit is counted as it fails. */
        FUZZ_CHECK(p.header_count <= FLM_HTTP_MAX_HEADERS + (err == FLM_ERR_HTTP_TOO_MANY_HEADERS));
    }
    free(buf);
}

#endif /* FLM_FUZZ_HTTP_H */
