/* The [router] section of the device's file. */
#include "core/base/config.h"
#if FLM_CFG_DEVICE_FILE /* a firmware without a device file links none of this */
#include "core/router/router.h"

#include <string.h>

#include "core/base/parse.h"
#include "core/base/q16.h"

static const char *const mode_names[] = { "pre", "cascade", "local", "cloud", NULL };

static const flm_ini_key_t keys[] = {
    FLM_INI_STR(flm_router_settings_t, params, false),
    FLM_INI_ENUMERATED(flm_router_settings_t, mode, mode_names, false),
    FLM_INI_STR(flm_router_settings_t, threshold, false),
    FLM_INI_STR(flm_router_settings_t, force_cloud, false),
    FLM_INI_STR(flm_router_settings_t, force_local, false),
    FLM_INI_U32_RANGE(flm_router_settings_t, cascade_window, 1, 256, false),
    FLM_INI_STR(flm_router_settings_t, cascade_nll, false),
};

static void init_section(void *dst)
{
    flm_router_settings_init(dst);
}

/* Decimal settings, checked once the section is read. */
static flm_err_t check_section(void *dst, const flm_ini_seen_t *seen, flm_ini_error_t *err)
{
    flm_router_settings_t *s = dst;
    uint32_t q;
    if (s->threshold[0]) {
        if (!flm_parse_q16(s->threshold, strlen(s->threshold), &q) || q > FLM_Q16_ONE)
            return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, "threshold"),
                                "threshold", "threshold: '%s' is not a number in [0, 1]", s->threshold);
        s->threshold_q16 = q;
    }
    if (s->cascade_nll[0]) {
        if (!flm_parse_q16(s->cascade_nll, strlen(s->cascade_nll), &q))
            return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, "cascade_nll"),
                                "cascade_nll", "cascade_nll: '%s' is not a number of nats",
                                s->cascade_nll);
        s->cascade_nll_q16 = q;
    }
    return FLM_OK;
}

const flm_ini_section_t flm_router_ini_section = {
    "router", keys, sizeof keys / sizeof keys[0], sizeof(flm_router_settings_t),
    init_section, check_section,
};

#endif /* FLM_CFG_DEVICE_FILE */
