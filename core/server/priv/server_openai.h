/*
 * The server's OpenAI shapes: request bodies decoded into fixed fields and
 * the text of the prompt, and every response body (chat.completion,
 * text_completion, their SSE chunks, error objects, the model list, the
 * health report) written through an output that flushes as it fills, so a
 * body of any size goes out of a small buffer. A first pass with no flush
 * (count only) gives the Content-Length.
 *
 * Requests, the usual fields: chat (`messages` with system, developer, user
 * and assistant roles, content a string or text parts) or text (`prompt`, a
 * string or a list of one), max_tokens / max_completion_tokens,
 * temperature (0..2), top_p (0..1), seed, stop (a string or up to
 * FLM_SERVER_STOP_MAX), stream, stream_options.include_usage, n (1), echo
 * (text). Unknown fields are ignored; null is absent; what this server
 * cannot do (n > 1, tools, images, logprobs, a JSON response format) is a
 * 400 that says so. The messages become one prompt: system and developer
 * messages the system text (the cloud's system message; the story model
 * does not read one), the others the prompt, oldest first, joined with a
 * blank line.
 */
#ifndef FLM_SERVER_OPENAI_H
#define FLM_SERVER_OPENAI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"

typedef enum { FLM_SRV_CHAT = 0, FLM_SRV_TEXT = 1 } flm_srv_kind_t;

typedef struct {
    uint8_t  kind;                /* flm_srv_kind_t */
    bool     stream, include_usage, echo;
    bool     has_temperature, has_top_p, has_seed;
    uint32_t temperature;         /* Q16 */
    uint32_t top_p;               /* Q16 */
    uint64_t seed;
    uint32_t max_tokens;          /* 0: not given */
    uint32_t n_stop;
    char     stop[FLM_SERVER_STOP_MAX][FLM_SERVER_STOP_BYTES];
    size_t   prompt_len, system_len; /* the texts' bytes, as decoding found them */
    bool     has_system;
} flm_srv_request_t;

#define FLM_SRV_ERROR_MSG_MAX 192
#define FLM_SRV_PARAM_MAX 48

/* An OpenAI error object: {"error":{"message","type","param","code"}}. */
typedef struct {
    int         status;           /* HTTP status: 400, 404, 503, ... */
    const char *type;             /* "invalid_request_error", "server_error" */
    const char *code;             /* or NULL */
    char        param[FLM_SRV_PARAM_MAX]; /* "" : null */
    char        message[FLM_SRV_ERROR_MSG_MAX];
} flm_srv_error_t;

/* param may be NULL. */
void flm_srv_error_set(flm_srv_error_t *e, int status, const char *type, const char *param,
                       const char *code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;

/* Decode a request body. With text NULL, check every field and measure the
 * texts (rq->prompt_len, system_len). With text, also write them there:
 * the system text then the prompt, each NUL-terminated, at most
 * rq->system_len + rq->prompt_len + 2 bytes (never more than len + 2);
 * *system is NULL without one. FLM_ERR_ARG with e filled (400) for a body
 * that is not a request this server takes. */
flm_err_t flm_srv_decode(flm_srv_kind_t kind, const char *body, size_t len, flm_srv_request_t *rq,
                         char *text, size_t cap, const char **prompt, const char **system,
                         flm_srv_error_t *e);

/* A JSON number (its literal) as Q16.16 in [0, max_q16]: "0.7", "1", "1e-1". */
bool flm_srv_number_q16(const char *raw, size_t n, uint32_t max_q16, uint32_t *q);

/* ---- output ------------------------------------------------------------------ */

typedef flm_err_t (*flm_srv_flush_fn)(void *user, const char *data, size_t n);

typedef struct {
    char    *buf;
    size_t   cap, len;
    uint64_t total;               /* bytes put so far */
    flm_srv_flush_fn flush;       /* NULL: count only */
    void    *user;
    flm_err_t err;                /* first flush error, sticky */
} flm_srv_out_t;

void      flm_srv_out_init(flm_srv_out_t *o, char *buf, size_t cap, flm_srv_flush_fn flush,
                           void *user);
void      flm_srv_put(flm_srv_out_t *o, const char *s, size_t n);
void      flm_srv_puts(flm_srv_out_t *o, const char *s);
void      flm_srv_put_u64(flm_srv_out_t *o, uint64_t v);
/* A JSON string: quoted and escaped (s is valid UTF-8). */
void      flm_srv_put_json(flm_srv_out_t *o, const char *s, size_t n);
/* Flush what is left; the first error, if any. */
flm_err_t flm_srv_out_end(flm_srv_out_t *o);

void flm_srv_write_error(flm_srv_out_t *o, const flm_srv_error_t *e);

/* One answer, as the response bodies describe it. */
typedef struct {
    uint8_t     kind;             /* flm_srv_kind_t */
    uint64_t    id;               /* "chatcmpl-<hex>" / "cmpl-<hex>" */
    int64_t     created;
    const char *model;
    const char *text;             /* the whole answer (non-streamed) */
    size_t      text_len;
    const char *finish_reason;    /* "stop", "length" */
    uint32_t    prompt_tokens, completion_tokens;
    bool        cloud;
    const char *reason;           /* "local:confident" */
    bool        degraded;
    const char *score;            /* "0.1234", or NULL when not scored */
} flm_srv_answer_t;

/* The whole non-streamed body. */
void flm_srv_write_completion(flm_srv_out_t *o, const flm_srv_answer_t *a);

typedef enum {
    FLM_SRV_CHUNK_ROLE = 0,       /* chat: the first, {"role":"assistant","content":""} */
    FLM_SRV_CHUNK_TEXT,           /* a piece of the answer */
    FLM_SRV_CHUNK_FINISH,         /* the finish_reason, empty delta */
    FLM_SRV_CHUNK_USAGE,          /* choices [] and usage (stream_options.include_usage) */
    FLM_SRV_CHUNK_DONE,           /* "data: [DONE]" */
} flm_srv_chunk_t;

/* One SSE event "data: {...}\n\n". */
void flm_srv_write_chunk(flm_srv_out_t *o, const flm_srv_answer_t *a, flm_srv_chunk_t what,
                         const char *piece, size_t n);

/* {"object":"list","data":[...]}: the local model, and the cloud's if any. */
void flm_srv_write_models(flm_srv_out_t *o, const char *local, const char *cloud);
void flm_srv_write_model(flm_srv_out_t *o, const char *id, bool cloud);

#endif /* FLM_SERVER_OPENAI_H */
