/* The [log] section of the device's file:
 *
 *   [log]
 *   # keep each prompt the cloud answered, with its answer (default off)
 *   escalations = on
 *   # entries held at once, 1..65536 (256)
 *   max_records = 256
 *   # bytes of the log's records in the store, 1024..1073741824 (1048576)
 *   max_bytes   = 1048576
 *   # when full: drop-oldest (keep the newest) | stop (keep the oldest) (drop-oldest)
 *   when_full   = drop-oldest
 */
#include "core/base/config.h"
#if FLM_CFG_DEVICE_FILE /* a firmware without a device file links none of this */
#include "core/guard/esclog.h"

static const char *const when_full_names[] = { "drop-oldest", "stop", NULL };

static const flm_ini_key_t keys[] = {
    FLM_INI_BOOLEAN(flm_esclog_settings_t, escalations, false),
    FLM_INI_U32_RANGE(flm_esclog_settings_t, max_records, 1, 65536, false),
    FLM_INI_U32_RANGE(flm_esclog_settings_t, max_bytes, 1024, 1u << 30, false),
    FLM_INI_ENUMERATED(flm_esclog_settings_t, when_full, when_full_names, false),
};

static void init_section(void *dst)
{
    flm_esclog_settings_init(dst);
}

const flm_ini_section_t flm_esclog_ini_section = {
    "log", keys, sizeof keys / sizeof keys[0], sizeof(flm_esclog_settings_t), init_section, NULL,
};

#endif /* FLM_CFG_DEVICE_FILE */
