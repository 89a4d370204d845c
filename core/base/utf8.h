/*
 * UTF-8 decoding and encoding, strict (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. Shared by the JSON reader and writer.
 *
 *   uint32_t cp;
 *   size_t n = flm_utf8_decode(s, len, &cp);   0 = invalid or incomplete
 */
#ifndef FLM_UTF8_H
#define FLM_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the sequence at s (n bytes available). Returns its length (1..4)
 * and the code point in *cp, or 0 if the bytes are not valid UTF-8 (or the
 * sequence is cut off by n). */
size_t flm_utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Encode cp (<= U+10FFFF, not a surrogate) into out; returns 1..4, or 0 for
 * a value that is not a Unicode scalar. */
size_t flm_utf8_encode(uint32_t cp, uint8_t out[4]);

#endif /* FLM_UTF8_H */
