/* The server's request path (core/server/) as far as it runs without a
 * socket: a request read in pieces the input chooses by the HTTP request
 * parser as the server sets it up (its body limit, the body kept as
 * on_body keeps it), the body decoded as /v1/chat/completions or
 * /v1/completions (flm_srv_decode, both passes), and then what the answer
 * path does with text: the text filter (UTF-8 made whole, the request's
 * stop sequences, bounded pieces) fed the request's own prompt, or the raw
 * body, in pieces, and the response writers. (The loop and its slots need
 * connections: tests/sh/serve_http.sh, serve_routes.sh, serve_load.sh.)
 *
 *   - a refused body is a 400 with a message, and its error object is
 *     valid JSON, counted and written the same;
 *   - an accepted one decodes the same twice; its texts fit the bound
 *     flm_srv_decode promises, NUL-terminated where it says;
 *   - the filter's output is valid UTF-8 in pieces of at most
 *     FLM_SRV_TEXT_PIECE bytes and holds no stop sequence; for valid UTF-8
 *     input it is the input up to the first stop sequence, exactly;
 *   - the completion and every SSE chunk made of it are valid JSON.
 *
 * Input: options byte (bit 0 a small body_max, bit 1 the text kind when
 * the path names neither, bit 2 the input is the body itself), the split
 * plan (tests/fuzz/fuzz.h), then the request. */
#include "core/proto/http.h"
#include "core/proto/json_read.h"
#include "core/server/priv/server_openai.h"
#include "core/server/priv/server_text.h"
#include "core/server/server.h"
#include "tests/fuzz/fuzz.h"

#define BODY_MAX_BIG   32768u
#define BODY_MAX_SMALL 256u

typedef struct {
    uint8_t body[BODY_MAX_BIG];
    size_t  len, max;
} req_t;

static flm_err_t on_body(void *user, const uint8_t *d, size_t n)
{
    req_t *r = user;
    if (n > r->max - r->len)
        return FLM_ERR_HTTP_BODY_TOO_LARGE;
    memcpy(r->body + r->len, d, n);
    r->len += n;
    return FLM_OK;
}

static flm_err_t on_header(void *user, const char *name, size_t nl, const char *value, size_t vl)
{
    (void)user, (void)name, (void)nl, (void)value, (void)vl;
    return FLM_OK;
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            k = 1;
            cp = c & 0x1Fu;
        } else if (c >= 0xE0 && c <= 0xEF) {
            k = 2;
            cp = c & 0x0Fu;
        } else if (c >= 0xF0 && c <= 0xF4) {
            k = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (n - i <= k)
            return false;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (s[i + j] & 0x3Fu);
        }
        if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += k + 1;
    }
    return true;
}

typedef struct {
    char   *buf;
    size_t  len, cap;
    size_t  pieces;
} acc_t;

static flm_err_t acc(void *user, const char *s, size_t n)
{
    acc_t *a = user;
    FUZZ_CHECK(n <= a->cap - a->len);
    memcpy(a->buf + a->len, s, n);
    a->len += n;
    return FLM_OK;
}

static flm_err_t emit(void *user, const char *s, size_t n)
{
    acc_t *a = user;
    FUZZ_CHECK(n > 0 && n <= FLM_SRV_TEXT_PIECE);
    a->pieces++;
    return acc(user, s, n);
}

static size_t stop_at(const uint8_t *s, size_t n, size_t i, const flm_srv_request_t *rq)
{
    for (uint32_t k = 0; k < rq->n_stop; k++) {
        size_t sl = strlen(rq->stop[k]);
        if (sl && sl <= n - i && memcmp(s + i, rq->stop[k], sl) == 0)
            return sl;
    }
    return 0;
}

static void check_error(const flm_srv_error_t *e)
{
    FUZZ_CHECK(e->status == 400);
    FUZZ_CHECK(memchr(e->message, 0, sizeof e->message) && e->message[0]);
    FUZZ_CHECK(memchr(e->param, 0, sizeof e->param));
    static char small[13], out[1024];
    flm_srv_out_t o;
    flm_srv_out_init(&o, small, sizeof small, NULL, NULL);
    flm_srv_write_error(&o, e);
    uint64_t counted = o.total;
    acc_t a = { out, 0, sizeof out, 0 };
    flm_srv_out_init(&o, small, sizeof small, acc, &a);
    flm_srv_write_error(&o, e);
    FUZZ_CHECK(flm_srv_out_end(&o) == FLM_OK && a.len == counted);
    if (flm_json_validate(out, a.len) != FLM_OK)
        fprintf(stderr, "error object not JSON: %.*s\n", (int)a.len, out);
    FUZZ_CHECK(flm_json_validate(out, a.len) == FLM_OK);
}

/* The answer path on text t: filter, then the writers. */
static void answer(const flm_srv_request_t *rq, const uint8_t *t, size_t n, flm_fuzz_split_t *sp)
{
    static char out[BODY_MAX_BIG * 3 + 64];
    static flm_srv_text_t f;
    acc_t a = { out, 0, sizeof out, 0 };
    flm_srv_text_init(&f, rq->stop, rq->n_stop, emit, &a);
    size_t off = 0;
    while (off < n && !f.stopped) {
        size_t k = flm_fuzz_split_next(sp, n - off);
        FUZZ_CHECK(flm_srv_text_feed(&f, (const char *)t + off, k) == FLM_OK);
        off += k;
    }
    FUZZ_CHECK(flm_srv_text_finish(&f) == FLM_OK);
    FUZZ_CHECK(utf8_valid((const uint8_t *)out, a.len));
    for (size_t i = 0; i < a.len; i++)
        FUZZ_CHECK(stop_at((const uint8_t *)out, a.len, i, rq) == 0); /* no stop sequence shown */
    if (utf8_valid(t, n)) {
        /* the input up to the first stop sequence */
        size_t first = n;
        for (size_t i = 0; i < n && first == n; i++)
            if (stop_at(t, n, i, rq))
                first = i;
        if (a.len != first || memcmp(out, t, first) != 0)
            fprintf(stderr, "filter gave %zu bytes, the first stop is at %zu of %zu (stopped %d)\n", a.len,
                    first, n, (int)f.stopped);
        FUZZ_CHECK(a.len == first && memcmp(out, t, first) == 0);
        FUZZ_CHECK(f.stopped == (first < n));
    }
    /* the whole answer and its chunks */
    flm_srv_answer_t ans = { .kind = rq->kind, .id = 0x1234, .created = 1700000000, .model = "m",
                             .text = out, .text_len = a.len, .finish_reason = "stop",
                             .prompt_tokens = 3, .completion_tokens = 4, .reason = "local:confident" };
    static char body[sizeof out * 6 + 1024], buf[97];
    acc_t b = { body, 0, sizeof body, 0 };
    flm_srv_out_t o;
    flm_srv_out_init(&o, buf, sizeof buf, NULL, NULL);
    flm_srv_write_completion(&o, &ans);
    uint64_t counted = o.total;
    flm_srv_out_init(&o, buf, sizeof buf, acc, &b);
    flm_srv_write_completion(&o, &ans);
    FUZZ_CHECK(flm_srv_out_end(&o) == FLM_OK && b.len == counted);
    FUZZ_CHECK(flm_json_validate(body, b.len) == FLM_OK);
    size_t piece = a.len < FLM_SRV_TEXT_PIECE ? a.len : FLM_SRV_TEXT_PIECE;
    while (piece && piece < a.len && (out[piece] & 0xC0) == 0x80)
        piece--; /* as the filter cuts: between characters */
    b.len = 0;
    flm_srv_out_init(&o, buf, sizeof buf, acc, &b);
    flm_srv_write_chunk(&o, &ans, FLM_SRV_CHUNK_TEXT, out, piece);
    FUZZ_CHECK(flm_srv_out_end(&o) == FLM_OK);
    FUZZ_CHECK(b.len > 8 && memcmp(body, "data: ", 6) == 0 && memcmp(body + b.len - 2, "\n\n", 2) == 0);
    FUZZ_CHECK(flm_json_validate(body + 6, b.len - 8) == FLM_OK);
}

static void decode(flm_srv_kind_t kind, const uint8_t *body, size_t len, flm_fuzz_split_t *sp)
{
    static flm_srv_request_t rq, rq2;
    flm_srv_error_t e;
    memset(&e, 0, sizeof e);
    flm_err_t err = flm_srv_decode(kind, (const char *)body, len, &rq, NULL, 0, NULL, NULL, &e);
    if (err) {
        FUZZ_CHECK(err == FLM_ERR_ARG);
        check_error(&e);
        memset(&rq, 0, sizeof rq);
        rq.kind = (uint8_t)kind;
        answer(&rq, body, len, sp); /* no stops: the filter on raw bytes */
        return;
    }
    FUZZ_CHECK(rq.kind == kind);
    FUZZ_CHECK(rq.n_stop <= FLM_SERVER_STOP_MAX);
    for (uint32_t k = 0; k < rq.n_stop; k++)
        FUZZ_CHECK(memchr(rq.stop[k], 0, FLM_SERVER_STOP_BYTES) && rq.stop[k][0]);
    FUZZ_CHECK(!rq.has_temperature || rq.temperature <= 2u << 16);
    FUZZ_CHECK(!rq.has_top_p || rq.top_p <= 1u << 16);
    FUZZ_CHECK(rq.prompt_len + rq.system_len <= len);
    size_t cap = rq.prompt_len + rq.system_len + 2;
    char *text = malloc(cap);
    FUZZ_CHECK(text != NULL);
    const char *prompt = NULL, *system = NULL;
    rq2 = rq; /* the fill pass takes the lengths the check measured from rq */
    err = flm_srv_decode(kind, (const char *)body, len, &rq2, text, cap, &prompt, &system, &e);
    if (err)
        fprintf(stderr, "the second pass (%zu + %zu + 2 bytes): %s, %s\n", rq.system_len, rq.prompt_len,
                flm_err_name(err), e.message);
    FUZZ_CHECK(err == FLM_OK);
    FUZZ_CHECK(rq2.prompt_len == rq.prompt_len && rq2.system_len == rq.system_len &&
               rq2.has_system == rq.has_system && rq2.n_stop == rq.n_stop && rq2.stream == rq.stream &&
               rq2.max_tokens == rq.max_tokens);
    FUZZ_CHECK(prompt && prompt >= text && prompt + rq.prompt_len < text + cap && prompt[rq.prompt_len] == '\0');
    FUZZ_CHECK((system != NULL) == rq.has_system);
    if (system)
        FUZZ_CHECK(system >= text && system + rq.system_len < text + cap && system[rq.system_len] == '\0');
    FUZZ_CHECK(utf8_valid((const uint8_t *)prompt, rq.prompt_len)); /* JSON strings are */
    answer(&rq2, (const uint8_t *)prompt, rq.prompt_len, sp);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    flm_fuzz_split_t sp;
    flm_fuzz_split_init(&sp, &data, &size);
    uint8_t *buf = flm_fuzz_copy(data, size);
    static req_t r;
    r.len = 0;
    r.max = opt & 1 ? BODY_MAX_SMALL : BODY_MAX_BIG;
    flm_srv_kind_t kind = opt & 2 ? FLM_SRV_TEXT : FLM_SRV_CHAT;
    if (opt & 4) {
        size_t n = size < r.max ? size : r.max;
        memcpy(r.body, buf, n);
        r.len = n;
        decode(kind, r.body, r.len, &sp);
        free(buf);
        return 0;
    }
    static flm_http_parser_t p;
    flm_http_parser_init(&p, FLM_HTTP_REQUEST, r.max, on_body, on_header, &r);
    flm_err_t err = FLM_OK;
    size_t off = 0;
    while (!err && off < size && !flm_http_done(&p)) {
        size_t k = flm_fuzz_split_next(&sp, size - off);
        size_t used = 0;
        err = flm_http_parse(&p, buf + off, k, &used);
        FUZZ_CHECK(used <= k);
        off += used ? used : k;
    }
    FUZZ_CHECK(r.len <= r.max && r.len == p.body_bytes);
    if (!err && flm_http_done(&p)) {
        const char *t = p.target;
        size_t pl = strcspn(t, "?#");
        if (pl == 20 && memcmp(t, "/v1/chat/completions", 20) == 0)
            kind = FLM_SRV_CHAT;
        else if (pl == 15 && memcmp(t, "/v1/completions", 15) == 0)
            kind = FLM_SRV_TEXT;
        decode(kind, r.body, r.len, &sp);
    }
    free(buf);
    return 0;
}
