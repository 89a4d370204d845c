/* The [budget] section of the device's file:
 *
 *   [budget]
 *   # prices per 1K tokens, decimal currency units to the micro-unit (0)
 *   price_input_per_1k  = 0.00015
 *   price_output_per_1k = 0.0006
 *   # shown with the figures only, 1..15 letters (USD)
 *   currency            = USD
 *   # caps on cloud tokens (input + output) per UTC day and month; 0: none
 *   daily_tokens        = 200000
 *   monthly_tokens      = 4000000
 *   # caps on cloud spend per UTC day and month, decimal; empty: none
 *   daily_money         = 0.50
 *   monthly_money       = 10
 *
 * Over a cap the router stays local (reason local:budget). A money cap
 * needs a price (with both prices 0 it could never bind), and a monthly
 * cap below the same kind of daily cap is refused as a slip.
 */
#include "core/base/config.h"
#if FLM_CFG_DEVICE_FILE /* a firmware without a device file links none of this */
#include "core/guard/ledger.h"

#include <string.h>

static const flm_ini_key_t keys[] = {
    FLM_INI_STR(flm_budget_settings_t, price_input_per_1k, false),
    FLM_INI_STR(flm_budget_settings_t, price_output_per_1k, false),
    FLM_INI_STR(flm_budget_settings_t, currency, false),
    FLM_INI_U32_RANGE(flm_budget_settings_t, daily_tokens, 0, UINT32_MAX, false),
    FLM_INI_U32_RANGE(flm_budget_settings_t, monthly_tokens, 0, UINT32_MAX, false),
    FLM_INI_STR(flm_budget_settings_t, daily_money, false),
    FLM_INI_STR(flm_budget_settings_t, monthly_money, false),
};

static void init_section(void *dst)
{
    flm_budget_settings_init(dst);
}

static flm_err_t decimal(const flm_ini_seen_t *seen, flm_ini_error_t *err, const char *key,
                         const char *text, uint64_t max, bool empty_ok, uint64_t *out)
{
    size_t n = strlen(text);
    if (n == 0 && empty_ok) {
        *out = 0;
        return FLM_OK;
    }
    if (flm_money_parse(text, n, max, out))
        return FLM_OK;
    char lim[32];
    flm_money_format(max, lim, sizeof lim);
    return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, key), key,
                        "%s: '%s' is not a decimal amount from 0 to %s with at most 6 decimals",
                        key, text, lim);
}

static flm_err_t check_section(void *dst, const flm_ini_seen_t *seen, flm_ini_error_t *err)
{
    flm_budget_settings_t *s = dst;
    flm_err_t e;
    if ((e = decimal(seen, err, "price_input_per_1k", s->price_input_per_1k,
                     FLM_BUDGET_PRICE_MAX_MICRO, false, &s->price_input_micro)) ||
        (e = decimal(seen, err, "price_output_per_1k", s->price_output_per_1k,
                     FLM_BUDGET_PRICE_MAX_MICRO, false, &s->price_output_micro)) ||
        (e = decimal(seen, err, "daily_money", s->daily_money, FLM_BUDGET_MONEY_MAX_MICRO, true,
                     &s->daily_money_micro)) ||
        (e = decimal(seen, err, "monthly_money", s->monthly_money, FLM_BUDGET_MONEY_MAX_MICRO, true,
                     &s->monthly_money_micro)))
        return e;

    bool letters = s->currency[0] != '\0';
    for (const char *p = s->currency; letters && *p; p++)
        letters = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z');
    if (!letters)
        return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, "currency"), "currency",
                            "currency: '%s' must be 1..%u letters", s->currency,
                            (unsigned)(FLM_BUDGET_CURRENCY_MAX - 1));

    bool priced = s->price_input_micro || s->price_output_micro;
    const char *money_key = s->daily_money_micro ? "daily_money" : "monthly_money";
    if (!priced && (s->daily_money_micro || s->monthly_money_micro))
        return flm_ini_fail(err, FLM_ERR_CONFIG_CONFLICT, flm_ini_line(seen, money_key), money_key,
                            "%s: a money cap needs price_input_per_1k or price_output_per_1k "
                            "(with both 0 nothing is ever spent)", money_key);
    if (s->daily_tokens && s->monthly_tokens && s->monthly_tokens < s->daily_tokens)
        return flm_ini_fail(err, FLM_ERR_CONFIG_CONFLICT, flm_ini_line(seen, "monthly_tokens"),
                            "monthly_tokens", "monthly_tokens: %u is below daily_tokens %u",
                            (unsigned)s->monthly_tokens, (unsigned)s->daily_tokens);
    if (s->daily_money_micro && s->monthly_money_micro &&
        s->monthly_money_micro < s->daily_money_micro)
        return flm_ini_fail(err, FLM_ERR_CONFIG_CONFLICT, flm_ini_line(seen, "monthly_money"),
                            "monthly_money", "monthly_money: %s is below daily_money %s",
                            s->monthly_money, s->daily_money);
    return FLM_OK;
}

const flm_ini_section_t flm_budget_ini_section = {
    "budget", keys, sizeof keys / sizeof keys[0], sizeof(flm_budget_settings_t),
    init_section, check_section,
};

#endif /* FLM_CFG_DEVICE_FILE */
