#include "core/base/config.h"
#if FLM_CFG_DEVICE_FILE /* a firmware without a device file links none of this */
/* The device's file: the [model] section, and the table of every section. */
#include "core/runtime/runtime.h"

#include <string.h>

#include "core/base/wipe.h"

static const char *const verify_names[] = { "full", "header", "once", NULL }; /* flm_verify_setting_t */

static const flm_ini_key_t model_keys[] = {
    FLM_INI_STR(flm_model_settings_t, path, false),
    FLM_INI_U32_RANGE(flm_model_settings_t, context, 0, 1u << 20, false),
    FLM_INI_ENUMERATED(flm_model_settings_t, verify, verify_names, false),
    FLM_INI_U32_RANGE(flm_model_settings_t, threads, 0, FLM_CFG_MAX_THREADS, false),
};

const flm_ini_section_t flm_model_ini_section = {
    "model", model_keys, sizeof model_keys / sizeof model_keys[0], sizeof(flm_model_settings_t),
    NULL, NULL,
};

flm_err_t flm_device_settings_parse(flm_device_settings_t *s, const char *text, size_t len,
                                    const char *default_section, flm_ini_error_t *err)
{
    if (!s)
        return FLM_ERR_ARG;
    memset(s, 0, sizeof *s);
    const flm_ini_bind_t binds[] = {
        { &flm_model_ini_section, &s->model, true, &s->has_model },
        { &flm_router_ini_section, &s->router, true, &s->has_router },
        { &flm_update_ini_section, &s->update, true, &s->has_update },
#if FLM_CFG_CLOUD
        { &flm_cloud_ini_section, &s->cloud, true, &s->has_cloud },
        { &flm_privacy_ini_section, &s->privacy, true, &s->has_privacy },
        { &flm_queue_ini_section, &s->queue, true, &s->has_queue },
        { &flm_budget_ini_section, &s->budget, true, &s->has_budget },
        { &flm_esclog_ini_section, &s->log, true, &s->has_log },
#endif
#if FLM_CFG_SERVER
        { &flm_server_ini_section, &s->server, true, &s->has_server },
#endif
    };
    return flm_ini_parse(text, len, binds, sizeof binds / sizeof binds[0], default_section, err);
}

void flm_device_settings_deinit(flm_device_settings_t *s)
{
    if (s)
        flm_wipe(s, sizeof *s);
}

#endif /* FLM_CFG_DEVICE_FILE */
