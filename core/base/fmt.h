/*
 * The runtime's one printf: an integer-only subset of C's, for log lines
 * and error details, with no heap, no locale and no floating point.
 *
 *   flags '-' '0', width and precision (also '*'), lengths hh h l ll z j t,
 *   conversions d i u x X c s p %. Unknown conversions are printed as they
 *   are ("%q"), so a mistake shows rather than misreads the arguments.
 *
 * Output is always NUL-terminated when cap > 0 and cut at cap - 1 bytes;
 * the return value is the length written (not the length wanted).
 */
#ifndef FLM_FMT_H
#define FLM_FMT_H

#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>

#include "core/base/error.h"

/* newlib-nano's <inttypes.h> leaves out the 64-bit macros; there uint64_t
 * is unsigned long long, which these name. */
#ifndef PRIu64
#define PRIu64 "llu"
#define PRId64 "lld"
#define PRIx64 "llx"
#endif

#if defined(__GNUC__)
#define FLM_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define FLM_PRINTF_LIKE(f, a)
#endif

size_t flm_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);

/* Describe a failure in buf and return its code, for error paths that keep
 * a detail text beside the code (the model loader, the runtime):
 *     return flm_err_detail(m->detail, sizeof m->detail, FLM_ERR_MODEL_SHAPE, "...", ...); */
flm_err_t flm_err_detail(char *buf, size_t cap, flm_err_t err, const char *fmt, ...)
    FLM_PRINTF_LIKE(4, 5);
size_t flm_snprintf(char *buf, size_t cap, const char *fmt, ...) FLM_PRINTF_LIKE(3, 4);

#endif /* FLM_FMT_H */
