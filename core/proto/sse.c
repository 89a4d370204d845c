#include "core/base/config.h"
#if FLM_CFG_PROTO /* the cloud client and the server; off on boards without a network */
#include "core/proto/sse.h"

#include <string.h>

static const uint8_t bom_bytes[3] = { 0xEF, 0xBB, 0xBF };

flm_err_t flm_sse_init(flm_sse_t *s, char *buf, size_t cap, flm_sse_event_fn on_event, void *user)
{
    memset(s, 0, sizeof *s);
    if (!buf || cap < 8) {
        s->err = FLM_ERR_ARG;
        return s->err;
    }
    s->buf = buf;
    s->cap = cap;
    s->on_event = on_event;
    s->user = user;
    return FLM_OK;
}

static flm_err_t fail(flm_sse_t *s, flm_err_t err)
{
    if (!s->err)
        s->err = err;
    return s->err;
}

static void reset_event(flm_sse_t *s)
{
    s->data_len = 0;
    s->have_data = false;
    s->type[0] = '\0';
}

static flm_err_t dispatch(flm_sse_t *s)
{
    if (!s->have_data) {
        reset_event(s);
        return FLM_OK;
    }
    size_t len = s->data_len;
    s->buf[len] = '\0';
    flm_err_t err = FLM_OK;
    if (s->on_event)
        err = s->on_event(s->user, s->type[0] ? s->type : "message", s->buf, len);
    reset_event(s);
    return err ? fail(s, err) : FLM_OK;
}

/* A complete line is at buf[data_len + 1 ..][0..line_len). */
static flm_err_t line_done(flm_sse_t *s)
{
    size_t n = s->line_len;
    char *l = s->buf + s->data_len + 1;
    s->line_len = 0;
    if (n == 0)
        return dispatch(s);
    const char *colon = memchr(l, ':', n);
    size_t name_len = colon ? (size_t)(colon - l) : n;
    char *v = colon ? (char *)colon + 1 : l + n;
    size_t vlen = n - (size_t)(v - l);
    if (vlen && *v == ' ') {
        v++;
        vlen--;
    }
    if (name_len == 4 && memcmp(l, "data", 4) == 0) {
        if (s->have_data)
            s->buf[s->data_len++] = '\n'; /* lands where the line began: no overlap */
        memmove(s->buf + s->data_len, v, vlen);
        s->data_len += vlen;
        s->have_data = true;
    } else if (name_len == 5 && memcmp(l, "event", 5) == 0) {
        if (vlen >= sizeof s->type || memchr(v, '\0', vlen))
            return fail(s, FLM_ERR_SSE_TOO_LONG);
        memcpy(s->type, v, vlen);
        s->type[vlen] = '\0';
    }
    return FLM_OK;
}

static flm_err_t put_line_byte(flm_sse_t *s, char c)
{
    /* Room for the joining '\n', the line, and the final NUL. */
    if (s->data_len + 1 + s->line_len + 1 >= s->cap)
        return fail(s, FLM_ERR_SSE_TOO_LONG);
    s->buf[s->data_len + 1 + s->line_len++] = c;
    return FLM_OK;
}

flm_err_t flm_sse_feed(flm_sse_t *s, const uint8_t *data, size_t n)
{
    if (s->err)
        return s->err;
    if (!data && n)
        return fail(s, FLM_ERR_ARG);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = data[i];
        if (s->bom < 3) {
            if (c == bom_bytes[s->bom]) {
                s->bom++;
                continue;
            }
            /* Not a BOM after all: the bytes matched so far are content. */
            for (uint8_t k = 0; k < s->bom; k++)
                if (put_line_byte(s, (char)bom_bytes[k]))
                    return s->err;
            s->bom = 3;
        }
        if (c == '\n' && s->cr) {
            s->cr = false;
            continue;
        }
        s->cr = c == '\r';
        if (c == '\n' || c == '\r') {
            if (s->comment) {
                s->comment = false;
                continue;
            }
            if (line_done(s))
                return s->err;
            continue;
        }
        if (s->comment)
            continue;
        if (c == ':' && s->line_len == 0) {
            s->comment = true;
            continue;
        }
        if (put_line_byte(s, (char)c))
            return s->err;
    }
    return FLM_OK;
}

flm_err_t flm_sse_finish(flm_sse_t *s)
{
    if (s->err)
        return s->err;
    /* The spec drops an unterminated event; we report it instead, since a
     * cut-off stream must not pass for a complete answer. */
    if (s->have_data || s->line_len)
        return fail(s, FLM_ERR_SSE_TRUNCATED);
    return FLM_OK;
}

#endif /* FLM_CFG_PROTO */
