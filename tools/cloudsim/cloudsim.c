/*
 * cloudsim — an OpenAI-compatible chat-completions server for loopback tests.
 *
 *   cloudsim [--cert F --key F] [--port N] [--port-file F] [--record F]
 *            [--fault MODE] [--fault-times N] [--api-key K]
 *            [--max-requests N] [--timeout S]
 *
 * Answers POST /v1/chat/completions deterministically: the answer is
 * "Echo: " followed by the last message's content (or, with --answers
 * FILE, the canned answer of the first line of FILE whose key the last
 * message contains), streamed one word per chunk when the request says
 * "stream": true. Every request received is
 * appended to the record file byte for byte, so a test can check exactly
 * what left the device; its "=== request N" line names the request's
 * Idempotency-Key header when it has one ("=== request N idempotency-key
 * K"), so a retried delivery can be matched with the first. With --cert/--key it speaks TLS (mbedTLS server),
 * else plain HTTP (stunnel can terminate TLS in front of it).
 *
 * A fault applies to every request (--fault), to the first N (--fault-times),
 * or to one request whose prompt contains "[fault:MODE]": the modes are
 * listed once, in the usage text below (cloudsim --help).
 *
 * Binds only to 127.0.0.1, serves one connection at a time, answers with
 * "Connection: close", and exits after --max-requests or --timeout.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "core/proto/http.h"
#include "core/proto/json_read.h"
#include "core/proto/json_write.h"

#define HEAD_MAX   (64 * 1024)
#define BODY_MAX   (1024 * 1024)
#define IO_TIMEOUT 5000 /* ms a silent client is given */

/* ---- options ------------------------------------------------------------ */

static struct {
    const char *cert, *key, *port_file, *record, *fault, *api_key, *answers;
    int         port, fault_times, max_requests, timeout_s;
} opt = { .fault_times = -1, .max_requests = 0, .timeout_s = 60 };

static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "cloudsim: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

/* ---- connection: TLS or plain ----------------------------------------- */

typedef struct {
    int                 fd;
    bool                tls;
    mbedtls_ssl_context ssl;
    mbedtls_net_context net;
} conn_t;

static struct {
    mbedtls_ssl_config       conf;
    mbedtls_x509_crt         cert;
    mbedtls_pk_context       key;
    mbedtls_entropy_context  entropy;
    mbedtls_ctr_drbg_context drbg;
} tls;

static void tls_setup(void)
{
    char msg[128];
    int ret;
    mbedtls_ssl_config_init(&tls.conf);
    mbedtls_x509_crt_init(&tls.cert);
    mbedtls_pk_init(&tls.key);
    mbedtls_entropy_init(&tls.entropy);
    mbedtls_ctr_drbg_init(&tls.drbg);
    if ((ret = mbedtls_ctr_drbg_seed(&tls.drbg, mbedtls_entropy_func, &tls.entropy, NULL, 0)) ||
        (ret = mbedtls_x509_crt_parse_file(&tls.cert, opt.cert)) ||
        (ret = mbedtls_pk_parse_keyfile(&tls.key, opt.key, NULL)) ||
        (ret = mbedtls_ssl_config_defaults(&tls.conf, MBEDTLS_SSL_IS_SERVER,
                                           MBEDTLS_SSL_TRANSPORT_STREAM,
                                           MBEDTLS_SSL_PRESET_DEFAULT)) ||
        (ret = mbedtls_ssl_conf_own_cert(&tls.conf, &tls.cert, &tls.key))) {
        mbedtls_strerror(ret, msg, sizeof msg);
        die("TLS setup: %s", msg);
    }
    mbedtls_ssl_conf_rng(&tls.conf, mbedtls_ctr_drbg_random, &tls.drbg);
    mbedtls_ssl_conf_read_timeout(&tls.conf, IO_TIMEOUT);
}

static void wait_for_hangup(conn_t *c, int max_ms);

static bool conn_open(conn_t *c, int fd)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    c->tls = opt.cert != NULL;
    if (opt.fault && strcmp(opt.fault, "handshake-stall") == 0) {
        wait_for_hangup(c, 10000);
        return false;
    }
    if (opt.fault && strcmp(opt.fault, "tls-alert") == 0) {
        /* Read the ClientHello, answer with a fatal handshake_failure alert. */
        static const unsigned char alert[] = { 0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28 };
        char hello[4096];
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 5000) > 0 && read(fd, hello, sizeof hello) > 0)
            (void)!write(fd, alert, sizeof alert);
        return false;
    }
    if (!c->tls)
        return true;
    c->net.fd = fd;
    mbedtls_ssl_init(&c->ssl);
    if (mbedtls_ssl_setup(&c->ssl, &tls.conf) != 0)
        return false;
    mbedtls_ssl_set_bio(&c->ssl, &c->net, mbedtls_net_send, NULL, mbedtls_net_recv_timeout);
    int ret;
    while ((ret = mbedtls_ssl_handshake(&c->ssl)) != 0) {
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
            char msg[128];
            mbedtls_strerror(ret, msg, sizeof msg);
            fprintf(stderr, "cloudsim: handshake failed: %s\n", msg);
            return false;
        }
    }
    return true;
}

static int conn_read(conn_t *c, void *buf, size_t n)
{
    if (c->tls) {
        int r = mbedtls_ssl_read(&c->ssl, buf, n);
        return r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY ? 0 : r;
    }
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    if (poll(&p, 1, IO_TIMEOUT) <= 0)
        return -1;
    return (int)read(c->fd, buf, n);
}

static bool conn_write(conn_t *c, const void *buf, size_t n)
{
    const unsigned char *p = buf;
    while (n > 0) {
        int w = c->tls ? mbedtls_ssl_write(&c->ssl, p, n) : (int)write(c->fd, p, n);
        if (w == MBEDTLS_ERR_SSL_WANT_WRITE)
            continue;
        if (w <= 0)
            return false; /* the client went away: fine, it may have given up */
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static bool conn_printf(conn_t *c, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    return n > 0 && (size_t)n < sizeof line && conn_write(c, line, (size_t)n);
}

/* Close with a TCP reset (SO_LINGER 0) instead of an orderly shutdown. */
static void conn_reset(conn_t *c)
{
    struct linger lg = { .l_onoff = 1, .l_linger = 0 };
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void conn_close(conn_t *c)
{
    if (c->tls) {
        mbedtls_ssl_close_notify(&c->ssl);
        mbedtls_ssl_free(&c->ssl);
    }
    close(c->fd);
}

/* Wait until the client hangs up (or max_ms pass): used by the stall mode. */
static void wait_for_hangup(conn_t *c, int max_ms)
{
    char b[256];
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    while (max_ms > 0 && poll(&p, 1, 100) >= 0) {
        if (p.revents && read(c->fd, b, sizeof b) <= 0)
            return;
        max_ms -= 100;
    }
}

/* ---- request ------------------------------------------------------------ */

typedef struct {
    flm_http_parser_t parser;
    char  *raw;           /* every byte received, for the record */
    size_t raw_len;
    char  *body;          /* de-chunked body, NUL-terminated */
    size_t body_len;
    char   auth[512];     /* the Authorization header, "" if absent */
    bool   auth_seen;
    char   idem[256];     /* the Idempotency-Key header, "" if absent */
    bool   idem_seen;
} request_t;

static flm_err_t on_header(void *user, const char *name, size_t nlen, const char *value,
                           size_t vlen)
{
    request_t *r = user;
    if (nlen == 13 && strncasecmp(name, "Authorization", 13) == 0) {
        if (r->auth_seen || vlen >= sizeof r->auth)
            return FLM_ERR_HTTP_SYNTAX; /* two keys, or one absurdly long */
        memcpy(r->auth, value, vlen);
        r->auth[vlen] = '\0';
        r->auth_seen = true;
    }
    if (nlen == 15 && strncasecmp(name, "Idempotency-Key", 15) == 0) {
        if (r->idem_seen || vlen >= sizeof r->idem)
            return FLM_ERR_HTTP_SYNTAX; /* two keys, or one absurdly long */
        memcpy(r->idem, value, vlen);
        r->idem[vlen] = '\0';
        r->idem_seen = true;
    }
    return FLM_OK;
}

static flm_err_t on_body(void *user, const uint8_t *data, size_t n)
{
    request_t *r = user;
    memcpy(r->body + r->body_len, data, n); /* max_body bounds body_len */
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return FLM_OK;
}

static void record(const request_t *r, int seq)
{
    if (!opt.record)
        return;
    FILE *f = fopen(opt.record, "ab");
    if (!f)
        die("cannot append to %s", opt.record);
    if (r->idem_seen)
        fprintf(f, "=== request %d idempotency-key %s\n", seq, r->idem);
    else
        fprintf(f, "=== request %d\n", seq);
    fwrite(r->raw, 1, r->raw_len, f);
    fprintf(f, "\n=== end %d\n", seq);
    fclose(f);
}

/* Read one request with the runtime's own HTTP parser. 0 when complete,
 * -1 when the client sent nothing, else the HTTP status to refuse it with. */
static int read_request(conn_t *c, request_t *r)
{
    r->raw = malloc(HEAD_MAX + BODY_MAX);
    r->body = malloc(BODY_MAX + 1);
    if (!r->raw || !r->body)
        die("out of memory");
    r->body[0] = '\0';
    flm_http_parser_init(&r->parser, FLM_HTTP_REQUEST, BODY_MAX, on_body, on_header, r);
    while (!flm_http_done(&r->parser)) {
        if (r->raw_len >= HEAD_MAX + BODY_MAX)
            return 413;
        int n = conn_read(c, r->raw + r->raw_len, HEAD_MAX + BODY_MAX - r->raw_len);
        if (n <= 0)
            return r->raw_len ? 400 : -1;
        flm_err_t err = flm_http_parse(&r->parser, (uint8_t *)r->raw + r->raw_len, (size_t)n, NULL);
        r->raw_len += (size_t)n;
        if (err)
            return err == FLM_ERR_HTTP_BODY_TOO_LARGE ? 413
                 : err == FLM_ERR_HTTP_LINE_TOO_LONG || err == FLM_ERR_HTTP_TOO_MANY_HEADERS ? 431
                 : 400;
    }
    return 0;
}

/* ---- answers ------------------------------------------------------------ */

typedef struct {
    char    model[128];
    char   *prompt;        /* the last message's content */
    bool    stream, include_usage;
    int64_t prompt_tokens; /* words in the prompt, as a stand-in count */
} chat_t;

static const char *current_auth = ""; /* the request's Authorization header */
static bool bad_usage;                 /* the bad-usage fault is on */

static int64_t count_words(const char *s)
{
    int64_t n = 0;
    bool in = false;
    for (; *s; s++) {
        bool sp = *s == ' ' || *s == '\n' || *s == '\t';
        if (!sp && !in)
            n++;
        in = !sp;
    }
    return n;
}

static int parse_chat(const request_t *r, chat_t *chat)
{
    memset(chat, 0, sizeof *chat);
    if (flm_json_validate(r->body, r->body_len) != FLM_OK)
        return 400;
    if (flm_json_find_string(r->body, r->body_len, "model", chat->model,
                             sizeof chat->model, NULL) != FLM_OK)
        return 400;
    flm_json_reader_t rd;
    flm_json_token_t t;
    flm_json_reader_init(&rd, r->body, r->body_len);
    chat->stream = flm_json_find(&rd, "stream", &t) == FLM_OK && t.type == FLM_JSON_TRUE;
    flm_json_reader_init(&rd, r->body, r->body_len);
    chat->include_usage = flm_json_find(&rd, "stream_options.include_usage", &t) == FLM_OK &&
                          t.type == FLM_JSON_TRUE;
    int last = -1;
    for (int i = 0; i < 1000; i++) {
        char path[64];
        snprintf(path, sizeof path, "messages[%d].content", i);
        flm_json_reader_init(&rd, r->body, r->body_len);
        if (flm_json_find(&rd, path, &t) != FLM_OK)
            break;
        last = i;
    }
    if (last < 0)
        return 400;
    char path[64];
    snprintf(path, sizeof path, "messages[%d].content", last);
    chat->prompt = calloc(1, r->body_len + 1);
    if (!chat->prompt)
        return 500;
    if (flm_json_find_string(r->body, r->body_len, path, chat->prompt, r->body_len + 1, NULL))
        return 400;
    chat->prompt_tokens = count_words(chat->prompt);
    return 0;
}

/* Fault for this request: the prompt marker wins over the run-wide one. */
static const char *pick_fault(const chat_t *chat, int seq, char *buf, size_t cap)
{
    const char *m = chat->prompt ? strstr(chat->prompt, "[fault:") : NULL;
    if (m) {
        const char *e = strchr(m, ']');
        size_t n = e ? (size_t)(e - m - 7) : 0;
        if (n > 0 && n < cap) {
            memcpy(buf, m + 7, n);
            buf[n] = '\0';
            return buf;
        }
    }
    if (opt.fault && (opt.fault_times < 0 || seq <= opt.fault_times))
        return opt.fault;
    return "";
}

/* One JSON document built with the runtime's own writer (grown on demand). */
typedef struct {
    char  *buf;
    size_t len;
} doc_t;

static doc_t error_doc(const char *message, const char *type, const char *code)
{
    doc_t d = { .buf = malloc(8192) };
    flm_json_writer_t w;
    flm_json_writer_init(&w, d.buf, 8192);
    flm_json_obj_begin(&w);
    flm_json_key(&w, "error");
    flm_json_obj_begin(&w);
    flm_json_key(&w, "message"); flm_json_str(&w, message);
    flm_json_key(&w, "type");    flm_json_str(&w, type);
    flm_json_key(&w, "param");   flm_json_null(&w);
    flm_json_key(&w, "code");
    if (code)
        flm_json_str(&w, code);
    else
        flm_json_null(&w);
    flm_json_obj_end(&w);
    flm_json_obj_end(&w);
    if (flm_json_writer_finish(&w, &d.len))
        die("error document does not fit");
    return d;
}

/* A chat.completion (stream = false) or chat.completion.chunk document.
 * piece == NULL with stream = true writes the final chunk (finish_reason);
 * usage >= 0 adds a usage object (and, for a chunk, empty choices). */
static doc_t completion_doc(const chat_t *chat, int seq, bool chunk, const char *piece,
                            bool first, int64_t completion_tokens, bool usage)
{
    size_t cap = 1024 + (piece ? strlen(piece) * 6 : 0);
    doc_t d = { .buf = malloc(cap) };
    char id[32];
    snprintf(id, sizeof id, "chatcmpl-sim-%d", seq);
    flm_json_writer_t w;
    flm_json_writer_init(&w, d.buf, cap);
    flm_json_obj_begin(&w);
    flm_json_key(&w, "id");      flm_json_str(&w, id);
    flm_json_key(&w, "object");  flm_json_str(&w, chunk ? "chat.completion.chunk" : "chat.completion");
    flm_json_key(&w, "created"); flm_json_int(&w, 1700000000);
    flm_json_key(&w, "model");   flm_json_str(&w, chat->model);
    flm_json_key(&w, "choices");
    flm_json_arr_begin(&w);
    if (!(chunk && usage)) {
        flm_json_obj_begin(&w);
        flm_json_key(&w, "index"); flm_json_int(&w, 0);
        flm_json_key(&w, chunk ? "delta" : "message");
        flm_json_obj_begin(&w);
        if (!chunk || first) {
            flm_json_key(&w, "role"); flm_json_str(&w, "assistant");
        }
        if (piece) {
            flm_json_key(&w, "content"); flm_json_str(&w, piece);
        }
        flm_json_obj_end(&w);
        flm_json_key(&w, "finish_reason");
        if (!chunk || !piece)
            flm_json_str(&w, "stop");
        else
            flm_json_null(&w);
        flm_json_obj_end(&w);
    }
    flm_json_arr_end(&w);
    if (usage) {
        flm_json_key(&w, "usage");
        flm_json_obj_begin(&w);
        if (bad_usage) { /* a sum without a range check overflows */
            flm_json_key(&w, "prompt_tokens");     flm_json_int(&w, INT64_MAX);
            flm_json_key(&w, "completion_tokens"); flm_json_int(&w, 1);
        } else {
            flm_json_key(&w, "prompt_tokens");     flm_json_int(&w, chat->prompt_tokens);
            flm_json_key(&w, "completion_tokens"); flm_json_int(&w, completion_tokens);
            flm_json_key(&w, "total_tokens");      flm_json_int(&w, chat->prompt_tokens + completion_tokens);
        }
        flm_json_obj_end(&w);
    }
    flm_json_obj_end(&w);
    if (flm_json_writer_finish(&w, &d.len))
        die("completion document does not fit");
    return d;
}

/* --answers FILE: lines "KEY<TAB>ANSWER", read once. */
static char  *canned_text;
static char **canned_key, **canned_answer;
static size_t canned_n;

static void load_answers(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die("--answers %s: %s", path, strerror(errno));
    size_t cap = 0, len = 0;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 65536;
            canned_text = realloc(canned_text, cap);
            if (!canned_text)
                die("out of memory");
        }
        size_t n = fread(canned_text + len, 1, cap - len - 1, f);
        if (n == 0)
            break;
        len += n;
    }
    fclose(f);
    canned_text[len] = '\0';
    for (char *line = canned_text; *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char *tab = strchr(line, '\t');
        if (tab && tab > line) {
            *tab = '\0';
            canned_key = realloc(canned_key, (canned_n + 1) * sizeof *canned_key);
            canned_answer = realloc(canned_answer, (canned_n + 1) * sizeof *canned_answer);
            if (!canned_key || !canned_answer)
                die("out of memory");
            canned_key[canned_n] = line;
            canned_answer[canned_n++] = tab + 1;
        } else if (*line) {
            die("--answers %s: a line without KEY<TAB>ANSWER: %s", path, line);
        }
        if (!end)
            break;
        line = end + 1;
    }
}

static char *make_answer(const chat_t *chat, const char *fault)
{
    for (size_t i = 0; i < canned_n; i++)
        if (strstr(chat->prompt, canned_key[i])) {
            char *a = strdup(canned_answer[i]);
            if (!a)
                die("out of memory");
            return a;
        }
    if (strcmp(fault, "oversized") == 0) {
        size_t n = 2u << 20;
        char *a = malloc(n + 1);
        memset(a, 'a', n);
        a[n] = '\0';
        return a;
    }
    size_t n = strlen(chat->prompt);
    char *a = malloc(n + 7);
    memcpy(a, "Echo: ", 6);
    memcpy(a + 6, chat->prompt, n + 1);
    return a;
}

static bool send_status(conn_t *c, int status, const char *reason, const char *extra,
                        const doc_t *d)
{
    return conn_printf(c, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\n%sConnection: close\r\n\r\n",
                       status, reason, d->len, extra) &&
           conn_write(c, d->buf, d->len);
}

/* A whole body under a fault that bends the framing or the bytes. */
static void send_body(conn_t *c, const char *fault, const char *ctype, const char *body,
                      size_t len, bool chunked)
{
    long reset_at = strncmp(fault, "reset:", 6) == 0 ? strtol(fault + 6, NULL, 10) : -1;
    bool bad_chunk = strcmp(fault, "bad-chunk") == 0, huge = strcmp(fault, "huge-chunk") == 0;
    chunked = chunked || bad_chunk || huge;
    if (chunked)
        conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
                       "Connection: close\r\n\r\n", ctype);
    else
        conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                       "Connection: close\r\n\r\n", ctype,
                    strcmp(fault, "bad-length") == 0 ? len + 100
                    : strcmp(fault, "short-length") == 0 && len > 10 ? len - 10 : len);
    if (reset_at >= 0) {
        size_t k = (size_t)reset_at < len ? (size_t)reset_at : len;
        if (chunked)
            conn_printf(c, "%zx\r\n", k);
        conn_write(c, body, k);
        conn_reset(c);
        return;
    }
    if (!chunked) {
        conn_write(c, body, len);
        return;
    }
    /* Each piece up to its last newline becomes one chunk, as SSE servers
     * flush per event. */
    size_t half = len / 2, off = 0;
    while (off < len) {
        const char *nl = memchr(body + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (body + off)) + 1 : len - off;
        if (off < half && off + n > half)
            n = half - off; /* so a bad chunk lands mid-body, after a good one */
        if (off >= half && (bad_chunk || huge)) {
            /* "zz" is not hex; 2^68 + 15 does not fit any size type */
            const char *size = bad_chunk ? "zz\r\n" : "10000000000000000f\r\n";
            conn_write(c, size, strlen(size));
            conn_write(c, body + off, n);
            return;
        }
        conn_printf(c, "%zx\r\n", n);
        conn_write(c, body + off, n);
        conn_write(c, "\r\n", 2);
        off += n;
    }
    conn_write(c, "0\r\n\r\n", 5);
}

/* Append "data: DOC\n\n" to the growing SSE text. */
static void sse_add(char **text, size_t *len, const char *data, size_t n)
{
    *text = realloc(*text, *len + n + 9);
    if (!*text)
        die("out of memory");
    memcpy(*text + *len, "data: ", 6);
    memcpy(*text + *len + 6, data, n);
    memcpy(*text + *len + 6 + n, "\n\n", 2);
    *len += n + 8;
}

/* The endless-* faults: a reply that never completes, for up to 20 s. */
static void endless(conn_t *c, const char *mode, bool stream)
{
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    bool ok;
    if (strcmp(mode, "header") == 0)
        ok = conn_printf(c, "HTTP/1.1 200 OK\r\nX-Pad: ");
    else if (strcmp(mode, "headers") == 0)
        ok = conn_printf(c, "HTTP/1.1 200 OK\r\n");
    else
        ok = conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n"
                            "Connection: close\r\n\r\n",
                         stream || strcmp(mode, "keepalive") == 0 ? "text/event-stream" : "application/json");
    char piece[1100];
    for (long i = 0; ok; i++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= 20)
            break;
        if (strcmp(mode, "header") == 0) {
            memset(piece, 'a', 1024);
            ok = conn_write(c, piece, 1024);
        } else if (strcmp(mode, "headers") == 0) {
            ok = conn_printf(c, "X-Pad-%ld: 1\r\n", i);
        } else if (strcmp(mode, "keepalive") == 0) {
            ok = conn_printf(c, "8\r\n: ping\n\n\r\n");
            struct timespec ts = { 0, 100000000L };
            nanosleep(&ts, NULL);
        } else {
            ok = conn_printf(c, "400\r\n");
            for (int k = 0; k < 1024; k += 16)
                memcpy(piece + k, "data: xxxxxxxxx\n", 16);
            ok = ok && conn_write(c, piece, 1024) && conn_write(c, "\r\n", 2);
        }
    }
}

static void answer(conn_t *c, const chat_t *chat, int seq, const char *fault)
{
    if (strncmp(fault, "endless-", 8) == 0) {
        endless(c, fault + 8, chat->stream);
        return;
    }
    if (strncmp(fault, "slow", 4) == 0 && (fault[4] == '\0' || fault[4] == ':')) {
        long ms = fault[4] ? strtol(fault + 5, NULL, 10) : 3000;
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
        nanosleep(&ts, NULL);
    }

    doc_t e = { 0 };
    if (strcmp(fault, "429") == 0) {
        e = error_doc("Rate limit reached for requests", "requests", "rate_limit_exceeded");
        send_status(c, 429, "Too Many Requests", "Retry-After: 1\r\n", &e);
    } else if (strcmp(fault, "429-bare") == 0) {
        e = error_doc("Rate limit reached for requests", "requests", "rate_limit_exceeded");
        send_status(c, 429, "Too Many Requests", "", &e);
    } else if (strcmp(fault, "429-quota") == 0) {
        e = error_doc("You exceeded your current quota, please check your plan and billing details.",
                      "insufficient_quota", "insufficient_quota");
        send_status(c, 429, "Too Many Requests", "", &e);
    } else if (strcmp(fault, "500") == 0) {
        e = error_doc("The server had an error while processing your request.", "server_error", NULL);
        send_status(c, 500, "Internal Server Error", "", &e);
    } else if (strcmp(fault, "503") == 0) {
        e = error_doc("The engine is currently overloaded, please try again later.",
                      "server_error", NULL);
        send_status(c, 503, "Service Unavailable", "Retry-After: 1\r\n", &e);
    } else if (strcmp(fault, "401") == 0) {
        e = error_doc("Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
        send_status(c, 401, "Unauthorized", "", &e);
    } else if (strcmp(fault, "echo-error") == 0 || strcmp(fault, "echo-key") == 0) {
        bool key = fault[5] == 'k';
        char msg[768];
        const char *prompt = chat->prompt ? chat->prompt : "";
        if (key)
            snprintf(msg, sizeof msg, "Incorrect API key provided (%.200s): %.500s", prompt,
                     strncmp(current_auth, "Bearer ", 7) == 0 ? current_auth + 7 : "");
        else
            snprintf(msg, sizeof msg, "Invalid request: %.600s", prompt);
        e = error_doc(msg, "invalid_request_error", key ? "invalid_api_key" : NULL);
        send_status(c, key ? 401 : 400, key ? "Unauthorized" : "Bad Request", "", &e);
    }
    bad_usage = strcmp(fault, "bad-usage") == 0;
    if (e.buf) {
        free(e.buf);
        return;
    }

    char *ans = make_answer(chat, fault);
    char *body = NULL;
    size_t len = 0;
    bool malformed = strcmp(fault, "malformed") == 0;
    if (!chat->stream) {
        doc_t d = completion_doc(chat, seq, false, ans, true, count_words(ans), true);
        body = d.buf;
        len = malformed ? d.len / 2 : d.len; /* cut mid-document */
    } else {
        /* One chunk per word (with its trailing space), then the finish
         * chunk, the usage chunk if asked, and [DONE]. */
        int64_t pieces = 0;
        for (const char *p = ans; *p; pieces++) {
            const char *sp = strchr(p, ' ');
            size_t n = sp ? (size_t)(sp - p) + 1 : strlen(p);
            char *piece = strndup(p, n);
            doc_t d = completion_doc(chat, seq, true, piece, pieces == 0, 0, false);
            sse_add(&body, &len, d.buf, malformed && pieces == 1 ? d.len / 2 : d.len);
            free(d.buf);
            free(piece);
            p += n;
            if (pieces == 1 && strcmp(fault, "error-midstream") == 0) {
                doc_t er = error_doc("The server had an error while processing your request.",
                                     "server_error", NULL);
                sse_add(&body, &len, er.buf, er.len);
                free(er.buf);
                break;
            }
        }
        if (strcmp(fault, "error-midstream") != 0) {
            doc_t d = completion_doc(chat, seq, true, NULL, false, 0, false);
            sse_add(&body, &len, d.buf, d.len);
            free(d.buf);
            if (chat->include_usage) {
                d = completion_doc(chat, seq, true, NULL, false, pieces, true);
                sse_add(&body, &len, d.buf, d.len);
                free(d.buf);
            }
            sse_add(&body, &len, "[DONE]", 6);
        }
    }
    if (strcmp(fault, "bad-utf8") == 0) {
        char *echo = strstr(body, "Echo");
        if (echo)
            *echo = (char)0xFF; /* inside the first content string */
    }
    if (strcmp(fault, "stall") == 0) {
        if (chat->stream)
            conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                           "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n%zx\r\n",
                        len / 2);
        else
            conn_printf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                           "Content-Length: %zu\r\nConnection: close\r\n\r\n", len);
        conn_write(c, body, len / 2);
        wait_for_hangup(c, 10000);
    } else {
        send_body(c, fault, chat->stream ? "text/event-stream" : "application/json", body, len,
                  chat->stream);
    }
    free(body);
    free(ans);
}

static void serve(conn_t *c, int seq)
{
    request_t *r = calloc(1, sizeof *r);
    chat_t chat = { 0 };
    doc_t e = { 0 };
    char faultbuf[64];
    if (!r)
        die("out of memory");
    int status = read_request(c, r);
    if (status < 0)
        goto out; /* the client left before sending a request */
    record(r, seq);
    current_auth = r->auth;
    const flm_http_parser_t *p = &r->parser;
    if (status == 0 && (strcmp(p->method, "POST") != 0 || strcmp(p->target, "/v1/chat/completions") != 0)) {
        e = error_doc("Unknown request URL.", "invalid_request_error", "unknown_url");
        send_status(c, 404, "Not Found", "", &e);
    } else if (status == 0 && opt.api_key &&
               (strncmp(r->auth, "Bearer ", 7) != 0 || strcmp(r->auth + 7, opt.api_key) != 0)) {
        e = error_doc("Incorrect API key provided.", "invalid_request_error", "invalid_api_key");
        send_status(c, 401, "Unauthorized", "", &e);
    } else if (status == 0 && (status = parse_chat(r, &chat)) == 0) {
        answer(c, &chat, seq, pick_fault(&chat, seq, faultbuf, sizeof faultbuf));
    }
    if (status > 0) {
        e = error_doc("Bad request.", "invalid_request_error", NULL);
        send_status(c, status, status == 413 ? "Payload Too Large"
                             : status == 431 ? "Request Header Fields Too Large" : "Bad Request",
                    "", &e);
    }
    free(e.buf);
out:
    free(chat.prompt);
    free(r->raw);
    free(r->body);
    free(r);
}

/* ---- main ---------------------------------------------------------------- */

static const char usage[] =
    "usage: cloudsim [--cert F --key F] [--port N] [--port-file F] [--record F]\n"
    "                [--fault MODE] [--fault-times N] [--api-key K]\n"
    "                [--max-requests N] [--timeout SECONDS] [--answers FILE]\n"
    "\n"
    "An OpenAI-compatible chat-completions server on 127.0.0.1 for tests: the\n"
    "answer is \"Echo: \" and the last message, streamed a word per chunk when\n"
    "asked; every request is appended to the --record file byte for byte.\n"
    "  --cert F --key F   speak TLS with this certificate chain and key\n"
    "  --port N           listen on N (0, the default: any free port)\n"
    "  --port-file F      write the port to F once listening\n"
    "  --api-key K        answer 401 unless the Bearer token is K\n"
    "  --max-requests N   exit after N requests; --timeout S: after S seconds (60)\n"
    "  --answers FILE     canned answers: lines KEY<TAB>ANSWER; a request whose last\n"
    "                     message contains KEY gets ANSWER (the first such line),\n"
    "                     any other the echo\n"
    "\n"
    "A fault applies to every request (--fault), to the first N (--fault-times),\n"
    "or to one request whose prompt contains the marker \"[fault:MODE]\":\n"
    "  slow[:MS]      wait MS milliseconds (default 3000) before the first byte\n"
    "  stall          send part of the answer, then nothing (for up to 10 s)\n"
    "  reset:K        reset the connection after K bytes of the body\n"
    "  429            429 with Retry-After: 1\n"
    "  429-quota      429 insufficient_quota (must not be retried)\n"
    "  500            a server error\n"
    "  503            a server error with Retry-After: 1\n"
    "  401            as if the API key were wrong\n"
    "  malformed      a body (or SSE event) that is not valid JSON\n"
    "  oversized      a 2 MiB answer (or SSE event)\n"
    "  bad-length     Content-Length 100 bytes longer than the body\n"
    "  short-length   Content-Length 10 bytes shorter than the body\n"
    "  bad-chunk      a chunk size line that is not hex\n"
    "  huge-chunk     a chunk size that overflows 64 bits\n"
    "  error-midstream  an error object after two streamed chunks\n"
    "  echo-error     400 whose error message quotes the prompt (control bytes too)\n"
    "  echo-key       401 whose error message quotes the prompt, then the Bearer token sent\n"
    "  bad-usage      usage prompt_tokens 2^63-1, completion_tokens 1, no total\n"
    "  bad-utf8       the answer's first byte replaced by 0xFF (invalid UTF-8)\n"
    "  endless-header   a header line that never ends\n"
    "  endless-headers  header after header, never the blank line\n"
    "  endless-chunked  chunk after chunk of \"data: xxxx\" lines, never the end\n"
    "  endless-keepalive  a 200 event stream of \": ping\" comments every 100 ms\n"
    "                 (each endless mode stops after 20 s or when the client goes)\n"
    "  handshake-stall  (--fault only) accept, then say nothing, TLS or not\n"
    "  tls-alert      (--fault only) answer the ClientHello with a fatal alert\n"
    "  429-bare       429 without Retry-After (a plain rate limit)\n"
    "\n"
    "\n"
    "Example: cloudsim --port-file p --fault 429 --fault-times 2 (two 429s, then answers)\n";

static int int_arg(const char *name, const char *v, int lo, int hi)
{
    char *e;
    long x = v ? strtol(v, &e, 10) : 0;
    if (!v || *e || !*v || x < lo || x > hi)
        die("%s needs an integer in [%d, %d]", name, lo, hi);
    return (int)x;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (!v)
            die("unknown or incomplete option '%s'\n%s", a, usage);
        i++;
        if (strcmp(a, "--cert") == 0)              opt.cert = v;
        else if (strcmp(a, "--key") == 0)          opt.key = v;
        else if (strcmp(a, "--port-file") == 0)    opt.port_file = v;
        else if (strcmp(a, "--record") == 0)       opt.record = v;
        else if (strcmp(a, "--fault") == 0)        opt.fault = v;
        else if (strcmp(a, "--api-key") == 0)      opt.api_key = v;
        else if (strcmp(a, "--answers") == 0)      opt.answers = v;
        else if (strcmp(a, "--port") == 0)         opt.port = int_arg(a, v, 0, 65535);
        else if (strcmp(a, "--fault-times") == 0)  opt.fault_times = int_arg(a, v, 0, 1000000);
        else if (strcmp(a, "--max-requests") == 0) opt.max_requests = int_arg(a, v, 0, 1000000);
        else if (strcmp(a, "--timeout") == 0)      opt.timeout_s = int_arg(a, v, 1, 3600);
        else die("unknown option '%s'\n%s", a, usage);
    }
    if (!opt.cert != !opt.key)
        die("--cert and --key go together");
    if (opt.answers)
        load_answers(opt.answers);
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)opt.timeout_s); /* a hard bound on the run, whatever happens */
    if (opt.cert)
        tls_setup();

    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 8) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &sl) != 0)
        die("cannot listen on 127.0.0.1:%d: %s", opt.port, strerror(errno));
    if (opt.port_file) {
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "%s.tmp", opt.port_file);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0 ||
            rename(tmp, opt.port_file) != 0)
            die("cannot write %s", opt.port_file);
    }
    fprintf(stderr, "cloudsim: listening on 127.0.0.1:%d (%s)\n", ntohs(sa.sin_port),
            opt.cert ? "https" : "http");

    for (int seq = 1; opt.max_requests == 0 || seq <= opt.max_requests; seq++) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            die("accept: %s", strerror(errno));
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        conn_t c;
        if (conn_open(&c, fd))
            serve(&c, seq);
        else
            seq--; /* a refused handshake is not a request */
        conn_close(&c);
    }
    close(ls);
    return 0;
}
