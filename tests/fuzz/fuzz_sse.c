/* The server-sent events reader (core/proto/sse.c) over a buffer whose
 * size the input picks, fed in pieces the input chooses: events are whole,
 * NUL-terminated, inside the buffer, and never longer than it. */
#include "core/proto/sse.h"
#include "tests/fuzz/fuzz.h"

typedef struct {
    char  *buf;
    size_t cap;
    unsigned events;
} seen_t;

static flm_err_t on_event(void *user, const char *type, char *data, size_t len)
{
    seen_t *s = user;
    FUZZ_CHECK(type && strlen(type) < FLM_SSE_EVENT_TYPE_MAX);
    FUZZ_CHECK(data >= s->buf && data + len < s->buf + s->cap && data[len] == '\0');
    if (len)
        data[0] ^= 1; /* may be modified in place */
    s->events++;
    return len == 3 && memcmp(data, "\x01op", 3) == 0 ? FLM_ERR_CANCELLED : FLM_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    flm_fuzz_split_t sp;
    flm_fuzz_split_init(&sp, &data, &size);
    uint8_t *in = flm_fuzz_copy(data, size);
    size_t cap = 8 + (size_t)opt * 4;
    seen_t s = { malloc(cap), cap, 0 };
    flm_sse_t sse;
    FUZZ_CHECK(flm_sse_init(&sse, s.buf, cap, on_event, &s) == FLM_OK);
    flm_err_t err = FLM_OK;
    for (size_t off = 0; off < size && !err;) {
        size_t k = flm_fuzz_split_next(&sp, size - off);
        err = flm_sse_feed(&sse, in + off, k);
        off += k;
    }
    flm_err_t fin = flm_sse_finish(&sse);
    if (err)
        FUZZ_CHECK(fin == err && flm_sse_feed(&sse, (const uint8_t *)"\n", 1) == err);
    free(s.buf);
    free(in);
    return 0;
}
