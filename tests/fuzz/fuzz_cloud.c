/* The whole cloud client (core/cloud/cloud_client.c) against a server whose
 * reply is the input, delivered in pieces the input chooses: HTTP, then
 * JSON or SSE, retry verdicts, the breaker, the wipes. One attempt, so no
 * back-off sleeps. The request must go out whole, the answer stay in its
 * buffer and the error texts be safe to print. */
#include "core/cloud/cloud_client.h"
#include "tests/fuzz/fuzz.h"

static const char key[] = "sk-fuzz-cloud-KEY-0123456789";

typedef struct {
    const uint8_t *data;
    size_t size, off;
    flm_fuzz_split_t sp;
    bool open;
} server_t;

static server_t srv;

static int t_send(void *ctx, const uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    (void)ctx, (void)timeout_ms;
    FUZZ_CHECK(buf && n > 0);
    return n > 4096 ? 4096 : (int)n;
}

static int t_recv(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    server_t *s = ctx;
    (void)timeout_ms;
    if (s->off >= s->size)
        return FLM_ERR_NET_CLOSED;
    size_t k = flm_fuzz_split_next(&s->sp, s->size - s->off);
    if (k > cap)
        k = cap;
    memcpy(buf, s->data + s->off, k);
    s->off += k;
    return (int)k;
}

static void t_close(void *ctx)
{
    server_t *s = ctx;
    FUZZ_CHECK(s->open);
    s->open = false;
}

static flm_err_t t_connect(void *user, const char *host, uint16_t port, uint32_t timeout_ms,
                           flm_transport_t *t)
{
    (void)user, (void)host, (void)port, (void)timeout_ms;
    FUZZ_CHECK(!srv.open);
    srv.open = true;
    t->ctx = &srv;
    t->send = t_send;
    t->recv = t_recv;
    t->close = t_close;
    return FLM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static flm_cloud_client_t c;
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    memset(&srv, 0, sizeof srv);
    flm_fuzz_split_init(&srv.sp, &data, &size);
    uint8_t *in = flm_fuzz_copy(data, size);
    srv.data = in;
    srv.size = size;

    flm_cloud_config_t cfg;
    flm_cloud_config_defaults(&cfg);
    cfg.host = "api.example.com";
    cfg.model = "m";
    cfg.api_key = key;
    cfg.connect = t_connect;
    cfg.max_attempts = 1;
    cfg.deadline_ms = 60000;
    FUZZ_CHECK(flm_cloud_init(&c, &cfg) == FLM_OK);
    flm_cloud_request_t rq = { .prompt = "hi", .temperature_milli = -1, .stream = opt & 1 };
    flm_cloud_result_t res;
    flm_err_t err = flm_cloud_complete(&c, &rq, &res);
    FUZZ_CHECK(!srv.open); /* the connection is always closed */
    FUZZ_CHECK(res.err == err && res.attempts == 1);
    const flm_openai_result_t *r = res.reply;
    FUZZ_CHECK(r->text_len < sizeof c.text && r->text[r->text_len] == '\0');
    FUZZ_CHECK(flm_fuzz_printable(r->err_message) && !flm_fuzz_holds_run_of(r->err_message, key, FLM_OPENAI_MASK_MIN));
    if (!err)
        FUZZ_CHECK(r->done);
    /* Nothing of the request (the key among it) is left in the buffers. */
    for (const char *p = c.work; (p = memchr(p, 's', sizeof c.work - (size_t)(p - c.work) - 8)) != NULL; p++)
        FUZZ_CHECK(memcmp(p, key, 8) != 0);
    flm_cloud_deinit(&c);
    free(in);
    return 0;
}
