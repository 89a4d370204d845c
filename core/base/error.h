/*
 * fieldlm error codes.
 *
 * Every fallible function returns flm_err_t: 0 on success, a negative code on
 * failure (the mbedTLS convention). The codes, their texts and the module
 * ranges they are grouped in are listed once, in core/base/error_list.h.
 */
#ifndef FLM_ERROR_H
#define FLM_ERROR_H

#include <stdbool.h>

#include "core/base/error_list.h"

typedef enum {
#define FLM_ERR_ENUM_(name, code, text) name = code,
    FLM_ERR_CODES(FLM_ERR_ENUM_)
#undef FLM_ERR_ENUM_
} flm_err_t;

/* The module a code belongs to: FLM_ERR_MODULE_HTTP, ... */
typedef enum {
    FLM_ERR_MODULE_NONE = 0, /* FLM_OK, or a number outside every range */
#define FLM_ERR_MOD_ENUM_(mod, first, last, what) FLM_ERR_MODULE_##mod,
    FLM_ERR_MODULES(FLM_ERR_MOD_ENUM_)
#undef FLM_ERR_MOD_ENUM_
} flm_err_module_t;

/* A short, constant, human-readable description of an error code. Never
 * NULL; "unknown error" for a number that is no code. */
const char *flm_strerror(int err);

/* The code's name as written in C ("FLM_ERR_ARG"), or "FLM_ERR_UNKNOWN". */
const char *flm_err_name(int err);

flm_err_module_t flm_err_module(int err);
const char      *flm_err_module_name(flm_err_module_t m); /* "HTTP", "TLS", ... */

static inline bool flm_err_in(int err, flm_err_module_t m)
{
    return err < 0 && flm_err_module(err) == m;
}

#endif /* FLM_ERROR_H */
