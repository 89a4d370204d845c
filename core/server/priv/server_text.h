/*
 * The answer's text on its way out: whatever the model or the cloud
 * produces becomes valid UTF-8 (a character split between two tokens is
 * held until it is whole; a byte that starts none becomes U+FFFD), ends at
 * the first of the request's stop sequences (held back while the text so
 * far could still become one, never shown), and leaves in pieces of at
 * most FLM_SRV_TEXT_PIECE bytes, cut between characters, so a streamed
 * event always fits the output buffer. What a feed lets through is emitted
 * before it returns.
 *
 *   flm_srv_text_init(&t, stops, n_stops, emit, user);
 *   flm_srv_text_feed(&t, piece, n);   ...  (t.stopped: a stop was met)
 *   flm_srv_text_finish(&t);           the held-back rest
 */
#ifndef FLM_SERVER_TEXT_H
#define FLM_SERVER_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"

#define FLM_SRV_TEXT_PIECE 512

typedef flm_err_t (*flm_srv_emit_fn)(void *user, const char *text, size_t n);

typedef struct {
    const char (*stop)[FLM_SERVER_STOP_BYTES];
    uint32_t n_stop;
    size_t   stop_max;                     /* the longest stop sequence */
    flm_srv_emit_fn emit;
    void    *user;
    bool     stopped;                      /* a stop sequence ended the text */
    flm_err_t err;                         /* emit's first error, sticky */
    size_t   hold_len;
    uint8_t  hold[FLM_SERVER_STOP_BYTES + 4]; /* not yet out: a possible stop, a cut character */
    size_t   carry_len;
    uint8_t  carry[4];                     /* an unfinished character */
    size_t   piece_len;
    char     piece[FLM_SRV_TEXT_PIECE + 4];
} flm_srv_text_t;

void      flm_srv_text_init(flm_srv_text_t *t, const char (*stop)[FLM_SERVER_STOP_BYTES],
                            uint32_t n_stop, flm_srv_emit_fn emit, void *user);
/* After a stop the rest is dropped. Returns emit's error. */
flm_err_t flm_srv_text_feed(flm_srv_text_t *t, const char *s, size_t n);
/* Text that bypasses the stops (a completion's echoed prompt), still made
 * valid UTF-8 and cut in pieces. */
flm_err_t flm_srv_text_raw(flm_srv_text_t *t, const char *s, size_t n);
flm_err_t flm_srv_text_finish(flm_srv_text_t *t);

#endif /* FLM_SERVER_TEXT_H */
