#include <string.h>

#include "core/proto/sse.h"
#include "tests/harness/harness.h"

static uint32_t rng_state = 4242u;
static uint32_t rnd(void)
{
    return flm_test_xorshift32(&rng_state);
}

/* Events rendered as "type=data|" into one string. */
typedef struct {
    char   out[2048];
    size_t len;
    int    events;
} log_t;

static flm_err_t on_event(void *user, const char *type, char *data, size_t len)
{
    log_t *g = user;
    if (data[len] != '\0')
        return FLM_ERR_STATE;
    int n = snprintf(g->out + g->len, sizeof g->out - g->len, "%s=%.*s|", type, (int)len, data);
    if (n < 0 || (size_t)n >= sizeof g->out - g->len)
        return FLM_ERR_OVERFLOW;
    g->len += (size_t)n;
    g->events++;
    return FLM_OK;
}

static flm_err_t run(const char *in, size_t n, size_t cap, int mode, log_t *g)
{
    static char buf[4096];
    flm_sse_t s;
    memset(g, 0, sizeof *g);
    flm_err_t err = flm_sse_init(&s, buf, cap, on_event, g);
    if (err)
        return err;
    size_t i = 0;
    while (i < n) {
        size_t k = mode == 0 ? n - i : mode == 1 ? 1 : 1 + rnd() % 13;
        if (k > n - i)
            k = n - i;
        err = flm_sse_feed(&s, (const uint8_t *)in + i, k);
        if (err)
            return err;
        i += k;
    }
    return flm_sse_finish(&s);
}

FLM_TEST(sse_fields_and_line_ends)
{
    static const struct {
        const char *in;
        const char *want;
    } cases[] = {
        { "data: hello\n\n", "message=hello|" },
        { "data:hello\r\n\r\n", "message=hello|" },
        { "data:  two spaces\r\r", "message= two spaces|" },
        { "data: a\ndata: b\ndata\n\n", "message=a\nb\n|" },
        { "event: error\ndata: {\"x\":1}\n\n", "error={\"x\":1}|" },
        { ": keep-alive\n\ndata: x\n\n", "message=x|" },
        { ":\n:OPENROUTER PROCESSING\n\ndata: [DONE]\n\n", "message=[DONE]|" },
        { "id: 7\nretry: 100\nfoo: bar\ndata: y\n\n", "message=y|" },
        { "event: ping\n\ndata: z\n\n", "message=z|" }, /* type resets without data */
        { "data:\n\n", "message=|" },
        { "\xef\xbb\xbf" "data: bom\n\n", "message=bom|" },
        { "data: a\r\n\r\ndata: b\r\rdata: c\n\n", "message=a|message=b|message=c|" },
        { "data: colon: inside\n\n", "message=colon: inside|" },
        { "\n\n\ndata: 1\n\n\n\n", "message=1|" },
        { "data: \xc3\xa9\n\n", "message=\xc3\xa9|" },
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int mode = 0; mode < 3; mode++) {
            log_t g;
            flm_err_t err = run(cases[c].in, strlen(cases[c].in), 256, mode, &g);
            FLM_CHECK_MSG(err == FLM_OK, "case %zu: %s", c, flm_strerror(err));
            FLM_CHECK_MSG(strcmp(g.out, cases[c].want) == 0, "case %zu mode %d: %s", c, mode, g.out);
        }
    }
}

FLM_TEST(sse_limits_and_truncation)
{
    log_t g;
    /* An event that fits exactly, and one byte more. */
    static char in[600];
    for (size_t extra = 0; extra <= 1; extra++) {
        size_t payload = 64 - 2 - 6 + extra; /* cap 64: "data: " line + '\n' slot + NUL */
        size_t n = (size_t)sprintf(in, "data: ");
        memset(in + n, 'x', payload);
        n += payload;
        in[n++] = '\n';
        in[n++] = '\n';
        flm_err_t err = run(in, n, 64, 1, &g);
        FLM_CHECK_MSG(err == (extra ? FLM_ERR_SSE_TOO_LONG : FLM_OK), "extra %zu: %d", extra, err);
    }
    /* Multi-line data that grows past the buffer. */
    FLM_CHECK_EQ(run("data: 0123456789\ndata: 0123456789\ndata: 0123456789\n\n", 53, 32, 0, &g),
                 FLM_ERR_SSE_TOO_LONG);
    /* A huge comment costs nothing. */
    size_t n = (size_t)sprintf(in, ":");
    memset(in + n, 'p', 500);
    n += 500;
    n += (size_t)sprintf(in + n, "\ndata: ok\n\n");
    FLM_CHECK_EQ(run(in, n, 32, 2, &g), FLM_OK);
    FLM_CHECK(strcmp(g.out, "message=ok|") == 0);
    /* An overlong event name. */
    FLM_CHECK_EQ(run("event: 0123456789012345678901234567890123456789\n", 48, 256, 0, &g),
                 FLM_ERR_SSE_TOO_LONG);
    /* Cut off inside an event or a line. */
    FLM_CHECK_EQ(run("data: partial\n", 14, 256, 0, &g), FLM_ERR_SSE_TRUNCATED);
    FLM_CHECK_EQ(g.events, 0);
    FLM_CHECK_EQ(run("data: partial", 13, 256, 0, &g), FLM_ERR_SSE_TRUNCATED);
    FLM_CHECK_EQ(run("", 0, 256, 0, &g), FLM_OK);
    /* Bad set-up. */
    char small[4];
    flm_sse_t s;
    FLM_CHECK_EQ(flm_sse_init(&s, small, sizeof small, on_event, &g), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_sse_feed(&s, (const uint8_t *)"x", 1), FLM_ERR_ARG);
}

static flm_err_t stop_at_second(void *user, const char *type, char *data, size_t len)
{
    (void)type;
    (void)data;
    (void)len;
    return ++*(int *)user == 2 ? FLM_ERR_CANCELLED : FLM_OK;
}

FLM_TEST(sse_callback_error_stops)
{
    char buf[64];
    int count = 0;
    flm_sse_t s;
    FLM_CHECK_EQ(flm_sse_init(&s, buf, sizeof buf, stop_at_second, &count), FLM_OK);
    const char *in = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    FLM_CHECK_EQ(flm_sse_feed(&s, (const uint8_t *)in, strlen(in)), FLM_ERR_CANCELLED);
    FLM_CHECK_EQ(count, 2);
    FLM_CHECK_EQ(flm_sse_feed(&s, (const uint8_t *)in, strlen(in)), FLM_ERR_CANCELLED);
    FLM_CHECK_EQ(flm_sse_finish(&s), FLM_ERR_CANCELLED);
}

FLM_TEST(sse_random_bytes)
{
    static char in[512];
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = rnd() % sizeof in;
        for (size_t i = 0; i < n; i++)
            in[i] = rnd() % 2 ? "data:event\r\n :x\xef\xbb\xbf"[rnd() % 18] : (char)rnd();
        log_t g;
        flm_err_t err = run(in, n, 16 + rnd() % 200, (int)(rnd() % 3), &g);
        FLM_CHECK_MSG(err == FLM_OK || err == FLM_ERR_SSE_TOO_LONG || err == FLM_ERR_SSE_TRUNCATED ||
                      err == FLM_ERR_OVERFLOW, "err %d", err);
    }
}
