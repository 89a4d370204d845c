/* The [update] section (core/update/update.h). */
#include "core/update/update.h"

#include <string.h>

void flm_update_settings_init(flm_update_settings_t *s)
{
    memset(s, 0, sizeof *s);
    s->max_attempts = FLM_UPDATE_ATTEMPTS;
    s->checkpoint_kib = FLM_UPDATE_CHECKPOINT / 1024u;
}

#if FLM_CFG_DEVICE_FILE
static void settings_init(void *p)
{
    flm_update_settings_init(p);
}

static const flm_ini_key_t update_keys[] = {
    FLM_INI_STR(flm_update_settings_t, slots_dir, false),
    FLM_INI_BOOLEAN(flm_update_settings_t, require_signature, false),
    FLM_INI_U32_RANGE(flm_update_settings_t, max_attempts, 1, 16, false),
    FLM_INI_U32_RANGE(flm_update_settings_t, arena_max, 0, 0xFFFFFFFFu, false),
    FLM_INI_U32_RANGE(flm_update_settings_t, checkpoint_kib, 1, 1u << 20, false),
};

const flm_ini_section_t flm_update_ini_section = {
    "update", update_keys, sizeof update_keys / sizeof update_keys[0],
    sizeof(flm_update_settings_t), settings_init, NULL,
};
#endif
