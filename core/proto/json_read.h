/*
 * Pull (SAX-style) JSON reader over one complete document in a buffer.
 *
 * Why not resumable across buffer boundaries: everything fieldlm reads is a
 * bounded, self-contained document that has to be complete before it may be
 * trusted anyway: one SSE event's data (a chat.completion.chunk) or one
 * non-streaming body (bounded by the HTTP body limit). Reading in place
 * keeps the reader tiny (no token buffering, no copies) and strings point
 * straight into the caller's buffer.
 *
 *   flm_json_reader_t r;
 *   flm_json_token_t t;
 *   flm_json_reader_init(&r, buf, len);
 *   while ((err = flm_json_next(&r, &t)) == FLM_OK && t.type != FLM_JSON_END)
 *       ...;
 *
 *   err = flm_json_find(&r, "choices[0].delta.content", &t);   (fresh reader)
 *   err = flm_json_string(&t, out, sizeof out, &n);           unescape
 *
 * The reader checks the full grammar (RFC 8259) as it goes, including UTF-8
 * validity of strings and escape syntax, and never reads outside
 * buf[0..len). Nesting deeper than FLM_JSON_MAX_DEPTH is FLM_ERR_JSON_DEPTH.
 * No recursion, no heap. Numbers without fraction or exponent that fit in
 * int64 are given as integers (is_int); others only as their raw text.
 * Errors are sticky: after one, every call returns it.
 */
#ifndef FLM_JSON_READ_H
#define FLM_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#define FLM_JSON_MAX_DEPTH 32

typedef enum {
    FLM_JSON_END = 0,    /* the document is complete (nothing but whitespace left) */
    FLM_JSON_OBJ,        /* '{' */
    FLM_JSON_OBJ_END,    /* '}' */
    FLM_JSON_ARR,        /* '[' */
    FLM_JSON_ARR_END,    /* ']' */
    FLM_JSON_KEY,        /* an object member's name (a string; its ':' is consumed) */
    FLM_JSON_STRING,
    FLM_JSON_NUMBER,
    FLM_JSON_TRUE,
    FLM_JSON_FALSE,
    FLM_JSON_NULL,
} flm_json_type_t;

typedef struct {
    flm_json_type_t type;
    const char *raw;      /* KEY/STRING: the bytes between the quotes, still
                             escaped; NUMBER: its literal; else the token */
    size_t      raw_len;
    bool        is_int;   /* NUMBER that fits int64 with no fraction/exponent */
    int64_t     ival;     /* its value when is_int */
} flm_json_token_t;

typedef struct {
    const char *buf;
    size_t      len;
    size_t      pos;
    flm_err_t   err;
    uint8_t     state;
    uint8_t     depth;
    uint8_t     is_obj[FLM_JSON_MAX_DEPTH];
} flm_json_reader_t;

void      flm_json_reader_init(flm_json_reader_t *r, const char *buf, size_t len);
/* The next token. FLM_JSON_END once the top-level value is complete. */
flm_err_t flm_json_next(flm_json_reader_t *r, flm_json_token_t *t);
/* Skip the value whose first token is t (just returned by flm_json_next):
 * for OBJ/ARR everything up to the matching end; nothing for scalars. */
flm_err_t flm_json_skip(flm_json_reader_t *r, const flm_json_token_t *t);
/* Read the whole document: FLM_OK iff it is one valid JSON value. */
flm_err_t flm_json_validate(const char *buf, size_t len);

/* Find a value by path on a freshly initialised reader: object keys joined
 * by '.', array indices in brackets ("choices[0].delta.content",
 * "usage.total_tokens", "[2].name"; "" is the root). On success *t is the
 * value's first token and, for an object or array, r is positioned inside
 * it. FLM_ERR_NOT_FOUND if some step is missing or has another type. */
flm_err_t flm_json_find(flm_json_reader_t *r, const char *path, flm_json_token_t *t);

/* Unescape a KEY or STRING token into out (cap bytes, NUL-terminated);
 * *len (may be NULL) gets the byte count without the NUL. \uXXXX escapes
 * and surrogate pairs become UTF-8; a lone surrogate becomes U+FFFD. out
 * may be exactly t->raw (in-place decoding: the result is never longer).
 * FLM_ERR_OVERFLOW if it does not fit. */
flm_err_t flm_json_string(const flm_json_token_t *t, char *out, size_t cap, size_t *len);
/* The byte count flm_json_string would give, without writing it anywhere;
 * *has_nul (may be NULL) says whether a \u0000 is among them. */
flm_err_t flm_json_string_len(const flm_json_token_t *t, size_t *len, bool *has_nul);
/* Does the KEY/STRING token, unescaped, equal the NUL-terminated s? */
bool      flm_json_string_eq(const flm_json_token_t *t, const char *s);

/* Conveniences over a whole document (each scans it from the start). */
flm_err_t flm_json_find_int(const char *buf, size_t len, const char *path, int64_t *v);
flm_err_t flm_json_find_string(const char *buf, size_t len, const char *path,
                               char *out, size_t cap, size_t *n);

#endif /* FLM_JSON_READ_H */
