/* The [privacy] section of the device's file:
 *
 *   [privacy]
 *   policy     = redact                    # local-only (default) | redact | allow
 *   deny_words = Project Falcon, Zephyr    # phrases that never leave as they are
 *   detect     = email, phone, card, iban  # all (default) | none | a list of types
 */
#include "core/base/config.h"
#if FLM_CFG_DEVICE_FILE /* a firmware without a device file links none of this */
#include "core/guard/privacy.h"

#include <string.h>

#define T flm_privacy_settings_t

static const char *const policy_names[] = { "local-only", "redact", "allow", NULL };

static const flm_ini_key_t keys[] = {
    FLM_INI_ENUMERATED(T, policy, policy_names, false),
    FLM_INI_STR(T, deny_words, false),
    FLM_INI_STR(T, detect, false),
};

static void init(void *dst)
{
    flm_privacy_settings_init(dst);
}

/* The lists, checked once the section is read; detect becomes types. The
 * deny phrases are not echoed in a message (they name what must not leak). */
static flm_err_t check(void *dst, const flm_ini_seen_t *seen, flm_ini_error_t *err)
{
    T *s = dst;
    size_t n = 0, bad = 0;
    flm_err_t e = flm_privacy_deny_check(s->deny_words, &n, &bad);
    if (e == FLM_ERR_CONFIG_VALUE)
        return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, "deny_words"), "deny_words",
                            "deny_words: phrase %u is empty (phrases are separated by ',')",
                            (unsigned)bad);
    if (e != FLM_OK)
        return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, "deny_words"), "deny_words",
                            "deny_words: more than %u phrases", (unsigned)FLM_PRIVACY_DENY_MAX);
    size_t off = 0;
    if (flm_privacy_types_parse(s->detect, &s->types, &off) != FLM_OK) {
        size_t w = strcspn(s->detect + off, ",");
        while (w > 0 && (s->detect[off + w - 1] == ' ' || s->detect[off + w - 1] == '\t'))
            w--;
        return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, "detect"), "detect",
                            "detect: '%.*s' is not one of all, none, email, phone, card, iban, "
                            "ssn, national_id, ip",
                            (int)w, s->detect + off);
    }
    return FLM_OK;
}

const flm_ini_section_t flm_privacy_ini_section = {
    .name = "privacy",
    .keys = keys,
    .n_keys = sizeof keys / sizeof keys[0],
    .size = sizeof(flm_privacy_settings_t),
    .init = init,
    .check = check,
};

#endif /* FLM_CFG_DEVICE_FILE */
