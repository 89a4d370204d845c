/* The [server] section of the device's file. */
#include "core/base/config.h"
#if FLM_CFG_SERVER && FLM_CFG_DEVICE_FILE
#include "core/server/server.h"

#include <string.h>

#define T flm_server_settings_t
#define MS_MAX 3600000u /* an hour: any timeout beyond is a typo */

static const flm_ini_key_t keys[] = {
    FLM_INI_STR(T, listen, false),
    FLM_INI_U32_RANGE(T, port, 0, 65535, false),
    FLM_INI_U32_RANGE(T, slots, 1, FLM_SERVER_SLOTS_MAX, false),
    FLM_INI_U32_RANGE(T, body_max, 1024, 16u << 20, false),
    FLM_INI_SECRET_STR(T, auth_token, false),
    FLM_INI_U32_RANGE(T, max_tokens, 1, 1u << 20, false),
    FLM_INI_STR(T, model_name, false),
    FLM_INI_U32_RANGE(T, request_timeout_ms, 1, MS_MAX, false),
    FLM_INI_U32_RANGE(T, idle_timeout_ms, 1, MS_MAX, false),
    FLM_INI_U32_RANGE(T, send_timeout_ms, 1, MS_MAX, false),
    FLM_INI_U32_RANGE(T, shutdown_timeout_ms, 0, MS_MAX, false),
};

static void init(void *dst)
{
    flm_server_settings_init(dst);
}

/* A numeric address the HAL can bind, said now rather than at start. */
static bool numeric_address(const char *s)
{
    if (strcmp(s, "localhost") == 0)
        return true;
    bool colon = strchr(s, ':') != NULL;
    for (const char *c = s; *c; c++) {
        bool ok = (*c >= '0' && *c <= '9') || *c == '.' ||
                  (colon && (*c == ':' || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F')));
        if (!ok)
            return false;
    }
    return s[0] != '\0';
}

static flm_err_t check(void *dst, const flm_ini_seen_t *seen, flm_ini_error_t *err)
{
    flm_server_settings_t *s = dst;
    if (!numeric_address(s->listen))
        return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, "listen"), "listen",
                            "listen: '%s' is not a numeric IPv4 or IPv6 address (or localhost)",
                            s->listen);
    return FLM_OK;
}

const flm_ini_section_t flm_server_ini_section = {
    .name = "server",
    .keys = keys,
    .n_keys = sizeof keys / sizeof keys[0],
    .size = sizeof(flm_server_settings_t),
    .init = init,
    .check = check,
};

#endif /* FLM_CFG_SERVER && FLM_CFG_DEVICE_FILE */
