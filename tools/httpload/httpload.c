/*
 * httpload: a small HTTP client for the server's tests, on loopback only.
 *
 *   httpload raw PORT [--silence MS] [--half-close]
 *       send stdin to 127.0.0.1:PORT as it is (pipelined requests, broken
 *       ones), then print everything that comes back until the server
 *       closes or MS (default 3000) pass in silence. --half-close shuts our
 *       side after sending.
 *
 *   httpload load PORT --clients N --seconds S [--keep-alive] [--max-tokens N]
 *       N clients for S seconds, each sending one request after the other:
 *       GET /health, POST /v1/completions (whole) and POST
 *       /v1/chat/completions (streamed), in turn. Every response must be
 *       complete and well-formed, and its status 200, or 503 with
 *       Retry-After (then the client waits 20 ms). With --keep-alive a
 *       client reuses its connection; one the server closed while idle (to
 *       make room, or after its idle timeout) before any byte of the answer
 *       is retried once on a new one, as HTTP clients do, and counted as
 *       stale. Prints one line:
 *         requests=R ok=O busy=B errors=E stale=S p50_ms=.. p99_ms=.. max_ms=..
 *       and exits 1 when E > 0 (the first errors are described on stderr).
 *
 * A host tool: threads, a heap, blocking sockets with timeouts. It reads
 * responses with core/proto's parser and checks bodies with its JSON reader.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "core/proto/http.h"
#include "core/proto/json_read.h"

#define IO_TIMEOUT_S 60
#define BODY_MAX (1u << 20)

static int port;

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = { .tv_sec = IO_TIMEOUT_S };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* ---- raw ------------------------------------------------------------------------- */

static int cmd_raw(int argc, char **argv)
{
    int silence = 3000;
    bool half = false;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--silence") == 0 && i + 1 < argc)
            silence = atoi(argv[++i]);
        else if (strcmp(argv[i], "--half-close") == 0)
            half = true;
        else {
            fprintf(stderr, "httpload raw: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    static char in[1 << 20];
    size_t n = fread(in, 1, sizeof in, stdin);
    int fd = dial();
    if (fd < 0) {
        perror("httpload raw: connect");
        return 1;
    }
    if (!send_all(fd, in, n)) {
        perror("httpload raw: send");
    }
    if (half)
        shutdown(fd, SHUT_WR);
    char buf[4096];
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int rc = poll(&p, 1, silence);
        if (rc <= 0)
            break;
        ssize_t k = recv(fd, buf, sizeof buf, 0);
        if (k <= 0) {
            if (k < 0)
                printf("\n[reset]\n");
            else
                printf("\n[closed]\n");
            break;
        }
        fwrite(buf, 1, (size_t)k, stdout);
        fflush(stdout);
    }
    close(fd);
    return 0;
}

/* ---- load ------------------------------------------------------------------------- */

static struct {
    int      clients, seconds, max_tokens;
    bool     keep_alive;
    uint64_t deadline_ms;
} opt = { .clients = 8, .seconds = 5, .max_tokens = 16 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t n_req, n_ok, n_busy, n_err, n_stale;
static uint32_t *lat;   /* ms of each OK answer */
static size_t n_lat, cap_lat;
static int reported;

static void complain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void complain(const char *fmt, ...)
{
    pthread_mutex_lock(&lock);
    if (reported++ < 10) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    pthread_mutex_unlock(&lock);
}

typedef struct {
    char  *body;
    size_t len;
} body_t;

static flm_err_t on_body(void *user, const uint8_t *d, size_t n)
{
    body_t *b = user;
    if (n > BODY_MAX - b->len)
        return FLM_ERR_OVERFLOW;
    memcpy(b->body + b->len, d, n);
    b->len += n;
    return FLM_OK;
}

typedef enum { RES_OK, RES_BUSY, RES_ERROR, RES_STALE } result_t;

/* One request on *fd (dialled if < 0); the connection is closed unless
 * the answer left it open. */
static result_t one(int *fd, int kind, body_t *b, bool *fresh)
{
    static const char *paths[] = { "/health", "/v1/completions", "/v1/chat/completions" };
    char body[512], req[1024];
    int blen = 0;
    if (kind == 1)
        blen = snprintf(body, sizeof body,
                        "{\"model\":\"x\",\"prompt\":\"Once upon a time\",\"max_tokens\":%d}",
                        opt.max_tokens);
    else if (kind == 2)
        blen = snprintf(body, sizeof body,
                        "{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"Lily went "
                        "to the park.\"}],\"max_tokens\":%d,\"stream\":true}",
                        opt.max_tokens);
    const char *conn = opt.keep_alive ? "" : "Connection: close\r\n";
    int rlen;
    if (kind)
        rlen = snprintf(req, sizeof req, "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
                        "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                        paths[kind], conn, blen, body);
    else
        rlen = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
                        paths[kind], conn);
    *fresh = *fd < 0;
    if (*fd < 0 && (*fd = dial()) < 0) {
        complain("connect: %s", strerror(errno));
        return RES_ERROR;
    }
    if (!send_all(*fd, req, (size_t)rlen)) {
        close(*fd);
        *fd = -1;
        if (!*fresh)
            return RES_STALE;
        complain("send: %s", strerror(errno));
        return RES_ERROR;
    }
    flm_http_parser_t p;
    b->len = 0;
    flm_http_parser_init(&p, FLM_HTTP_RESPONSE, BODY_MAX, on_body, NULL, b);
    char buf[8192];
    size_t got = 0;
    flm_err_t err = FLM_OK;
    while (!flm_http_done(&p)) {
        ssize_t k = recv(*fd, buf, sizeof buf, 0);
        if (k <= 0) {
            if (got == 0 && !*fresh) {
                close(*fd);
                *fd = -1;
                return RES_STALE;
            }
            err = k == 0 ? flm_http_finish(&p) : FLM_ERR_NET_RECV;
            break;
        }
        got += (size_t)k;
        err = flm_http_parse(&p, (const uint8_t *)buf, (size_t)k, NULL);
        if (err)
            break;
    }
    bool keep = opt.keep_alive && !p.conn_close && !err;
    if (!keep) {
        close(*fd);
        *fd = -1;
    }
    if (err) {
        complain("response: %s (status %d)", flm_strerror(err), p.status);
        return RES_ERROR;
    }
    if (p.status == 503) {
        if (p.retry_after_ms < 0) {
            complain("%s: 503 without Retry-After", paths[kind]);
            return RES_ERROR;
        }
        return RES_BUSY;
    }
    if (p.status != 200) {
        complain("%s: status %d", paths[kind], p.status);
        return RES_ERROR;
    }
    if (kind == 2) {
        static const char done[] = "data: [DONE]\n\n";
        if (b->len < sizeof done - 1 || memcmp(b->body + b->len - (sizeof done - 1), done, sizeof done - 1)) {
            complain("%s: a stream without [DONE]", paths[kind]);
            return RES_ERROR;
        }
    } else if (flm_json_validate(b->body, b->len) != FLM_OK) {
        complain("%s: not JSON (status %d)", paths[kind], p.status);
        return RES_ERROR;
    }
    return RES_OK;
}

static void *client(void *arg)
{
    int id = (int)(intptr_t)arg, fd = -1;
    body_t b = { malloc(BODY_MAX), 0 };
    uint64_t k = (uint64_t)id;
    while (now_ms() < opt.deadline_ms) {
        int kind = (int)(k++ % 3);
        uint64_t t0 = now_ms();
        bool fresh;
        result_t r = one(&fd, kind, &b, &fresh);
        if (r == RES_STALE) {
            pthread_mutex_lock(&lock);
            n_stale++;
            pthread_mutex_unlock(&lock);
            r = one(&fd, kind, &b, &fresh); /* as clients do: once more, on a new connection */
            if (r == RES_STALE)
                r = RES_ERROR;
        }
        uint32_t ms = (uint32_t)(now_ms() - t0);
        pthread_mutex_lock(&lock);
        n_req++;
        if (r == RES_OK) {
            n_ok++;
            if (n_lat == cap_lat) {
                cap_lat = cap_lat ? cap_lat * 2 : 4096;
                lat = realloc(lat, cap_lat * sizeof *lat);
            }
            lat[n_lat++] = ms;
        } else if (r == RES_BUSY) {
            n_busy++;
        } else {
            n_err++;
        }
        pthread_mutex_unlock(&lock);
        if (r == RES_BUSY || r == RES_ERROR) {
            struct timespec ts = { 0, 20 * 1000000L };
            nanosleep(&ts, NULL);
        }
    }
    if (fd >= 0)
        close(fd);
    free(b.body);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmd_load(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--clients") == 0 && i + 1 < argc)
            opt.clients = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            opt.seconds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--max-tokens") == 0 && i + 1 < argc)
            opt.max_tokens = atoi(argv[++i]);
        else if (strcmp(argv[i], "--keep-alive") == 0)
            opt.keep_alive = true;
        else {
            fprintf(stderr, "httpload load: unknown option %s\n", argv[i]);
            return 2;
        }
    }
    if (opt.clients < 1 || opt.clients > 1024 || opt.seconds < 1 || opt.seconds > 600) {
        fprintf(stderr, "httpload load: 1..1024 clients, 1..600 seconds\n");
        return 2;
    }
    opt.deadline_ms = now_ms() + (uint64_t)opt.seconds * 1000u;
    pthread_t *t = calloc((size_t)opt.clients, sizeof *t);
    for (int i = 0; i < opt.clients; i++)
        if (pthread_create(&t[i], NULL, client, (void *)(intptr_t)i) != 0) {
            fprintf(stderr, "httpload: cannot start client %d\n", i);
            return 1;
        }
    for (int i = 0; i < opt.clients; i++)
        pthread_join(t[i], NULL);
    free(t);
    qsort(lat, n_lat, sizeof *lat, cmp_u32);
    uint32_t p50 = n_lat ? lat[n_lat / 2] : 0, p99 = n_lat ? lat[n_lat * 99 / 100] : 0;
    uint32_t mx = n_lat ? lat[n_lat - 1] : 0;
    printf("requests=%llu ok=%llu busy=%llu errors=%llu stale=%llu p50_ms=%u p99_ms=%u max_ms=%u "
           "rate=%.1f/s\n",
           (unsigned long long)n_req, (unsigned long long)n_ok, (unsigned long long)n_busy,
           (unsigned long long)n_err, (unsigned long long)n_stale, p50, p99, mx,
           (double)n_req / opt.seconds);
    free(lat);
    return n_err ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: httpload raw PORT [--silence MS] [--half-close]\n"
                        "       httpload load PORT --clients N --seconds S [--keep-alive] "
                        "[--max-tokens N]\n");
        return 2;
    }
    port = atoi(argv[2]);
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "httpload: bad port %s\n", argv[2]);
        return 2;
    }
    if (strcmp(argv[1], "raw") == 0)
        return cmd_raw(argc - 3, argv + 3);
    if (strcmp(argv[1], "load") == 0)
        return cmd_load(argc - 3, argv + 3);
    fprintf(stderr, "httpload: unknown command %s\n", argv[1]);
    return 2;
}
