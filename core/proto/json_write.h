/*
 * JSON writer into a fixed, caller-provided buffer.
 *
 * Commas and colons are placed automatically from a small nesting stack;
 * errors are sticky (the first one is kept and every later call is a no-op
 * returning it), so a caller can write a whole document and check once:
 *
 *   flm_json_writer_t w;
 *   flm_json_writer_init(&w, buf, sizeof buf);
 *   flm_json_obj_begin(&w);
 *   flm_json_key(&w, "model");  flm_json_str(&w, "gpt-4o-mini");
 *   flm_json_key(&w, "stream"); flm_json_bool(&w, true);
 *   flm_json_obj_end(&w);
 *   err = flm_json_writer_finish(&w, &len);   buf holds len bytes + NUL
 *
 * Strings are escaped fully (quote, backslash, every control character);
 * valid UTF-8 passes through unchanged and invalid UTF-8 is an error
 * (FLM_ERR_JSON_UTF8), as is misuse (FLM_ERR_STATE: a value where a key is
 * due, unbalanced ends) and running out of room (FLM_ERR_OVERFLOW): the
 * output is never silently truncated. No heap, no recursion.
 */
#ifndef FLM_JSON_WRITE_H
#define FLM_JSON_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

/* Deepest nesting of objects/arrays the writer accepts. */
#define FLM_JSON_WRITE_MAX_DEPTH 16

typedef struct {
    char     *buf;
    size_t    cap;      /* bytes in buf, including room for the final NUL */
    size_t    len;      /* bytes written so far */
    flm_err_t err;      /* first error, sticky */
    uint8_t   depth;
    uint8_t   is_obj[FLM_JSON_WRITE_MAX_DEPTH];  /* container kind per level */
    uint8_t   count[FLM_JSON_WRITE_MAX_DEPTH];   /* 0 = empty so far, 1 = not */
    bool      key_done; /* inside an object: a key was written, value due */
    bool      root_done;/* the top-level value is complete */
} flm_json_writer_t;

void      flm_json_writer_init(flm_json_writer_t *w, char *buf, size_t cap);
/* Check the document is complete and NUL-terminate it; *len (may be NULL)
 * gets its length without the NUL. Returns the first error, if any. */
flm_err_t flm_json_writer_finish(flm_json_writer_t *w, size_t *len);

flm_err_t flm_json_obj_begin(flm_json_writer_t *w);
flm_err_t flm_json_obj_end(flm_json_writer_t *w);
flm_err_t flm_json_arr_begin(flm_json_writer_t *w);
flm_err_t flm_json_arr_end(flm_json_writer_t *w);
flm_err_t flm_json_key(flm_json_writer_t *w, const char *key);
flm_err_t flm_json_str(flm_json_writer_t *w, const char *s);
flm_err_t flm_json_strn(flm_json_writer_t *w, const char *s, size_t n);
flm_err_t flm_json_int(flm_json_writer_t *w, int64_t v);
/* A fixed-point number: v / 10^decimals, e.g. (700, 3) -> 0.700. */
flm_err_t flm_json_fixed(flm_json_writer_t *w, int64_t v, unsigned decimals);
flm_err_t flm_json_bool(flm_json_writer_t *w, bool v);
flm_err_t flm_json_null(flm_json_writer_t *w);

#endif /* FLM_JSON_WRITE_H */
