/*
 * OpenAI chat completions (POST /v1/chat/completions), the wire protocol of
 * OpenAI, OpenRouter, Together, Fireworks, vLLM, llama.cpp's server, Ollama.
 *
 * Request body:
 *   flm_openai_request_t rq = { .model = "gpt-4o-mini", .system = NULL,
 *       .prompt = "Why is the sky blue?", .max_tokens = 256,
 *       .temperature_milli = -1, .stream = true, .include_usage = true };
 *   err = flm_openai_write_request(&rq, buf, cap, &len);
 *
 * Replies, both shapes into one result:
 *   flm_openai_result_init(&res, text, sizeof text, on_delta, user);
 *   non-streaming:  err = flm_openai_parse_response(&res, body, len);
 *   streaming:      flm_openai_stream_init(&st, evbuf, sizeof evbuf, &res);
 *                   err = flm_openai_stream_feed(&st, body_piece, n);  ...
 *                   err = flm_openai_stream_finish(&st);
 *
 * The answer text (choices[0].message.content, or the concatenated
 * choices[0].delta.content of each chat.completion.chunk) is accumulated
 * in the caller's text buffer and handed to on_delta as it arrives (once,
 * whole, for a non-streaming reply), so both modes give the same text,
 * finish_reason and usage. An `error` object (in a body, or a chunk
 * mid-stream) fills err_type/err_code/err_message and returns
 * FLM_ERR_CLOUD_QUOTA when its type or code names a quota (e.g.
 * insufficient_quota), else FLM_ERR_CLOUD_API. A stream that ends without
 * `data: [DONE]` is FLM_ERR_CLOUD_NO_DONE; a text buffer too small is
 * FLM_ERR_CLOUD_ANSWER_TOO_LONG (never a silently cut answer).
 *
 * Usage counts must be integers in 0..FLM_OPENAI_USAGE_MAX (total_tokens,
 * when absent, is their sum): anything else is FLM_ERR_CLOUD_USAGE, so a
 * ledger adding them up never sees a negative or overflowing number.
 *
 * The error texts (err_type, err_code, err_message) quote the peer: they
 * are made safe to print before they are cut to fit. Every copy of the
 * secret set with flm_openai_result_set_secret() is masked with '*', and
 * so is every run of FLM_OPENAI_MASK_MIN or more bytes that is a prefix of
 * it (a key cut by the server or by the limit); then control bytes
 * (C0, DEL, C1) and backslashes are escaped (\n, \r, \t, \\, \xNN,
 * \u0080..\u009f), so a message can neither forge a line of its own nor
 * send a terminal escape sequence.
 */
#ifndef FLM_OPENAI_H
#define FLM_OPENAI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/proto/sse.h"

#define FLM_OPENAI_FINISH_MAX  24
#define FLM_OPENAI_ERR_TYPE_MAX 48
#define FLM_OPENAI_ERR_MSG_MAX 192
/* Largest token count a usage field may carry: far above any context
 * window, far below where sums of many replies could overflow int64. */
#define FLM_OPENAI_USAGE_MAX 1000000000
/* A copy of the secret (the API key) this long or longer, or the whole
 * secret when shorter, is masked wherever it appears in an error text. */
#define FLM_OPENAI_MASK_MIN 8

typedef struct {
    const char *model;
    const char *system;            /* system message, or NULL */
    const char *prompt;            /* the user message */
    int32_t     max_tokens;        /* 0: leave to the server */
    int32_t     temperature_milli; /* 700 = 0.7; negative: leave to the server */
    bool        stream;
    bool        include_usage;     /* stream_options.include_usage (stream only) */
} flm_openai_request_t;

flm_err_t flm_openai_write_request(const flm_openai_request_t *rq, char *buf, size_t cap, size_t *len);

/* Called with each new piece of answer text (UTF-8, not NUL-terminated);
 * a non-zero return aborts the reply with that error. */
typedef flm_err_t (*flm_openai_delta_fn)(void *user, const char *text, size_t n);

typedef struct {
    char    *text;            /* the caller's answer buffer, NUL-terminated */
    size_t   text_cap;
    size_t   text_len;
    flm_openai_delta_fn on_delta;
    void    *user;

    char     finish_reason[FLM_OPENAI_FINISH_MAX]; /* "stop", "length", ... or "" */
    bool     has_usage;
    int64_t  prompt_tokens, completion_tokens, total_tokens;
    bool     done;            /* complete reply ([DONE] seen, or a full body) */
    uint32_t chunks;          /* chat.completion.chunk events read */

    bool     api_error;       /* an error object was received */
    char     err_type[FLM_OPENAI_ERR_TYPE_MAX];
    char     err_code[FLM_OPENAI_ERR_TYPE_MAX];
    char     err_message[FLM_OPENAI_ERR_MSG_MAX]; /* cut to fit (it is only shown) */
    const char *secret;       /* masked in the error texts, or NULL */
} flm_openai_result_t;

void      flm_openai_result_init(flm_openai_result_t *res, char *text, size_t text_cap,
                                 flm_openai_delta_fn on_delta, void *user);
/* Forget the answer so far (before a retry), keeping buffer, callback and secret. */
void      flm_openai_result_reset(flm_openai_result_t *res);
/* The secret (NUL-terminated, kept by reference) to mask in error texts. */
void      flm_openai_result_set_secret(flm_openai_result_t *res, const char *secret);
/* Copy the peer's text src[0..n) into out[cap] the way the error texts are
 * made: secret masked, control bytes escaped, cut at a whole character
 * (or escape). Returns the length written. */
size_t    flm_openai_safe_text(char *out, size_t cap, const char *src, size_t n, const char *secret);

/* A whole non-streaming body (a chat.completion, or an error object). */
flm_err_t flm_openai_parse_response(flm_openai_result_t *res, const char *json, size_t len);
/* An error body of a non-2xx reply: FLM_ERR_CLOUD_QUOTA / FLM_ERR_CLOUD_API
 * with the details filled in, or FLM_ERR_NOT_FOUND if it holds no error object. */
flm_err_t flm_openai_parse_error(flm_openai_result_t *res, const char *json, size_t len);
/* The data of one SSE event: a chat.completion.chunk, an error or "[DONE]". */
flm_err_t flm_openai_parse_chunk(flm_openai_result_t *res, const char *data, size_t len);

typedef struct {
    flm_sse_t sse;
    flm_openai_result_t *res;
} flm_openai_stream_t;

flm_err_t flm_openai_stream_init(flm_openai_stream_t *st, char *event_buf, size_t cap,
                                 flm_openai_result_t *res);
flm_err_t flm_openai_stream_feed(flm_openai_stream_t *st, const uint8_t *body, size_t n);
/* The body ended: FLM_OK only after [DONE]. */
flm_err_t flm_openai_stream_finish(flm_openai_stream_t *st);

#endif /* FLM_OPENAI_H */
