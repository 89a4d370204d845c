#include "core/base/error.h"

#include "core/base/config.h"

#include <stddef.h>

typedef struct {
    int         code;
    const char *name, *text;
} err_entry_t;

/* A module switched off (core/base/config.h) takes its texts with it. */
static const err_entry_t errors[] = {
#define E(name, code, text) { code, #name, text },
    E(FLM_OK, 0, "success")
    FLM_ERR_CODES_GENERAL(E)
    FLM_ERR_CODES_HAL(E)
    FLM_ERR_CODES_MODEL(E)
    FLM_ERR_CODES_ENGINE(E)
#if FLM_CFG_PROTO
    FLM_ERR_CODES_HTTP(E)
    FLM_ERR_CODES_JSON(E)
    FLM_ERR_CODES_SSE(E)
#endif
#if FLM_CFG_CLOUD
    FLM_ERR_CODES_CLOUD(E)
    FLM_ERR_CODES_TLS(E)
#endif
    FLM_ERR_CODES_ROUTER(E)
    FLM_ERR_CODES_CONFIG(E)
    FLM_ERR_CODES_GUARD(E)
    FLM_ERR_CODES_UPDATE(E)
#undef E
};

typedef struct {
    int         first, last; /* magnitudes */
    const char *name;
} mod_entry_t;

static const mod_entry_t modules[] = {
#define FLM_ERR_MOD_ENTRY_(mod, first, last, what) { first, last, #mod },
    FLM_ERR_MODULES(FLM_ERR_MOD_ENTRY_)
#undef FLM_ERR_MOD_ENTRY_
};

static const err_entry_t *find(int err)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].code == err)
            return &errors[i];
    return NULL;
}

const char *flm_strerror(int err)
{
    const err_entry_t *e = find(err);
    return e ? e->text : "unknown error";
}

const char *flm_err_name(int err)
{
    const err_entry_t *e = find(err);
    return e ? e->name : "FLM_ERR_UNKNOWN";
}

flm_err_module_t flm_err_module(int err)
{
    if (err >= 0 || err < -0x7FFFFFFF)
        return FLM_ERR_MODULE_NONE;
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++)
        if (-err >= modules[i].first && -err <= modules[i].last)
            return (flm_err_module_t)(i + 1);
    return FLM_ERR_MODULE_NONE;
}

const char *flm_err_module_name(flm_err_module_t m)
{
    size_t i = (size_t)m;
    return i >= 1 && i <= sizeof modules / sizeof modules[0] ? modules[i - 1].name : "none";
}
