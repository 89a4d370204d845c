/*
 * The runtime's one number parser, for configuration values, HTTP fields
 * and command lines: unsigned decimal or hex digits from a span (no sign,
 * no spaces, no locale), refusing anything above a caller's maximum, and
 * decimal fractions to Q16.16 without floating point.
 */
#ifndef FLM_PARSE_H
#define FLM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Value of one digit in base 10 or 16 (either case), or -1. */
int flm_parse_digit(char c, unsigned base);

/* The digits at the start of [s, s + n) in `base` (10 or 16) into *out;
 * *used (may be NULL) gets how many. False when there is no digit or the
 * value exceeds max (then *out is untouched). */
bool flm_parse_uint_prefix(const char *s, size_t n, unsigned base, uint64_t max, uint64_t *out,
                           size_t *used);

/* The whole span must be digits. */
bool flm_parse_uint(const char *s, size_t n, unsigned base, uint64_t max, uint64_t *out);

/* "12", "0.75", ".5": an unsigned decimal as Q16.16 rounded to nearest (digits
 * past the ninth decimal are read but cannot change the result); false on
 * junk or a value of 65536 or more. */
bool flm_parse_q16(const char *s, size_t n, uint32_t *out);

#endif /* FLM_PARSE_H */
