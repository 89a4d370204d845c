/*
 * Server-sent events reader (the WHATWG "text/event-stream" format), fed the
 * HTTP body in arbitrary pieces, over a caller-provided buffer.
 *
 *   flm_sse_t s;
 *   flm_sse_init(&s, buf, sizeof buf, on_event, user);
 *   err = flm_sse_feed(&s, body, n);      as often as bytes arrive
 *   err = flm_sse_finish(&s);             at the end of the body
 *
 * Lines end in CRLF, LF or CR (also split across pieces). `data:` lines are
 * joined with '\n' into one event; `event:` sets its type (default
 * "message"); lines starting with ':' are comments (keep-alives) and are
 * skipped however long; `id:`, `retry:` and unknown fields are ignored; a
 * blank line dispatches the event to on_event(user, type, data, len), with
 * data NUL-terminated in the buffer (it may be modified in place by the
 * callback, up to len bytes). One leading space after the colon is dropped,
 * a leading UTF-8 BOM is skipped.
 *
 * The buffer holds one event's data plus the line being read: a line or an
 * event that does not fit is FLM_ERR_SSE_TOO_LONG, never a truncated event.
 * A callback error stops the reader and is returned (sticky). At EOF,
 * flm_sse_finish() reports FLM_ERR_SSE_TRUNCATED if an event was cut off.
 */
#ifndef FLM_SSE_H
#define FLM_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#define FLM_SSE_EVENT_TYPE_MAX 32

typedef flm_err_t (*flm_sse_event_fn)(void *user, const char *type, char *data, size_t len);

typedef struct {
    char   *buf;
    size_t  cap;
    size_t  data_len;   /* event data so far, at buf[0..data_len) */
    size_t  line_len;   /* current line, at buf[data_len + 1 ..] */
    bool    have_data;  /* a data field was seen (even an empty one) */
    bool    cr;         /* the last line ended in CR: skip a following LF */
    bool    comment;    /* inside a comment line: discard to its end */
    uint8_t bom;        /* BOM bytes matched at the stream start; 3 = done */
    flm_err_t err;
    flm_sse_event_fn on_event;
    void   *user;
    char    type[FLM_SSE_EVENT_TYPE_MAX];
} flm_sse_t;

/* buf must hold at least 8 bytes. */
flm_err_t flm_sse_init(flm_sse_t *s, char *buf, size_t cap, flm_sse_event_fn on_event, void *user);
flm_err_t flm_sse_feed(flm_sse_t *s, const uint8_t *data, size_t n);
flm_err_t flm_sse_finish(flm_sse_t *s);

#endif /* FLM_SSE_H */
