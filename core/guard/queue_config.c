/* The [queue] section of the device's file:
 *
 *   [queue]
 *   # queue cloud prompts while offline (default false)
 *   enabled     = true
 *   # items held at once, 1..4096 (16)
 *   max_records = 16
 *   # bytes of the queue's records in the store, 256..1073741824 (65536)
 *   max_bytes   = 65536
 *   # when full: refuse | drop-oldest (refuse)
 *   when_full   = refuse
 *   # idempotency key prefix, 1..32 of [A-Za-z0-9._-] (fieldlm)
 *   device_id   = sensor-17
 */
#include "core/base/config.h"
#if FLM_CFG_DEVICE_FILE /* a firmware without a device file links none of this */
#include "core/guard/queue.h"

static const char *const when_full_names[] = { "refuse", "drop-oldest", NULL };

static const flm_ini_key_t keys[] = {
    FLM_INI_BOOLEAN(flm_queue_settings_t, enabled, false),
    FLM_INI_U32_RANGE(flm_queue_settings_t, max_records, 1, 4096, false),
    FLM_INI_U32_RANGE(flm_queue_settings_t, max_bytes, 256, 1u << 30, false),
    FLM_INI_ENUMERATED(flm_queue_settings_t, when_full, when_full_names, false),
    FLM_INI_STR(flm_queue_settings_t, device_id, false),
};

static void init_section(void *dst)
{
    flm_queue_settings_init(dst);
}

/* The device id goes into an HTTP header and a store key's neighbour: keep
 * it to the store's key alphabet. */
static flm_err_t check_section(void *dst, const flm_ini_seen_t *seen, flm_ini_error_t *err)
{
    flm_queue_settings_t *s = dst;
    const char *id = s->device_id;
    bool ok = id[0] != '\0';
    for (const char *p = id; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '.' || *p == '_' || *p == '-';
    if (!ok)
        return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, "device_id"), "device_id",
                            "device_id: '%s' must be 1..%u characters of A-Z a-z 0-9 . _ -", id,
                            (unsigned)(FLM_QUEUE_DEVICE_ID_MAX - 1));
    return FLM_OK;
}

const flm_ini_section_t flm_queue_ini_section = {
    "queue", keys, sizeof keys / sizeof keys[0], sizeof(flm_queue_settings_t),
    init_section, check_section,
};

#endif /* FLM_CFG_DEVICE_FILE */
