/* The [queue] and [budget] sections (core/guard/queue_config.c,
 * ledger_config.c): defaults, values, and errors naming key and line. */
#include <string.h>

#include "core/guard/ledger.h"
#include "core/guard/queue.h"
#include "tests/harness/harness.h"

static flm_queue_settings_t qs;
static flm_budget_settings_t bs;
static bool q_seen, b_seen;
static flm_ini_error_t err;

static flm_err_t parse(const char *text)
{
    const flm_ini_bind_t binds[] = {
        { &flm_queue_ini_section, &qs, true, &q_seen },
        { &flm_budget_ini_section, &bs, true, &b_seen },
    };
    memset(&err, 0, sizeof err);
    return flm_ini_parse(text, strlen(text), binds, 2, NULL, &err);
}

FLM_TEST(guard_config_defaults)
{
    FLM_CHECK_EQ(parse("# nothing\n"), FLM_OK);
    FLM_CHECK(!q_seen && !b_seen);
    FLM_CHECK(!qs.enabled && qs.max_records == 16 && qs.max_bytes == 65536 &&
              qs.when_full == FLM_QUEUE_FULL_REFUSE && strcmp(qs.device_id, "fieldlm") == 0);
    FLM_CHECK(strcmp(bs.currency, "USD") == 0 && bs.daily_tokens == 0 && bs.monthly_tokens == 0);
    FLM_CHECK(bs.daily_money[0] == '\0' && bs.price_input_micro == 0);
    FLM_CHECK_EQ(parse("[queue]\n[budget]\n"), FLM_OK); /* present, all defaults */
    FLM_CHECK(q_seen && b_seen);
}

FLM_TEST(guard_config_values)
{
    const char *text = "[queue]\n"
                       "enabled = yes\n"
                       "max_records = 64\n"
                       "max_bytes = 131072\n"
                       "when_full = drop-oldest\n"
                       "device_id = pump-4.site_B\n"
                       "[budget]\n"
                       "price_input_per_1k = 0.00015\n"
                       "price_output_per_1k = 0.0006\n"
                       "currency = EUR\n"
                       "daily_tokens = 200000\n"
                       "monthly_tokens = 4000000\n"
                       "daily_money = 0.50\n"
                       "monthly_money = 10\n";
    FLM_CHECK_EQ(parse(text), FLM_OK);
    FLM_CHECK(qs.enabled && qs.max_records == 64 && qs.max_bytes == 131072 &&
              qs.when_full == FLM_QUEUE_FULL_DROP_OLDEST && strcmp(qs.device_id, "pump-4.site_B") == 0);
    FLM_CHECK(bs.price_input_micro == 150 && bs.price_output_micro == 600);
    FLM_CHECK(strcmp(bs.currency, "EUR") == 0);
    FLM_CHECK(bs.daily_tokens == 200000 && bs.monthly_tokens == 4000000);
    FLM_CHECK(bs.daily_money_micro == 500000 && bs.monthly_money_micro == 10000000);
    /* The ledger derives the same figures from the text. */
    flm_budget_settings_t copy = bs;
    copy.price_input_micro = copy.daily_money_micro = 0;
    FLM_CHECK_EQ(flm_budget_settings_derive(&copy), FLM_OK);
    FLM_CHECK(copy.price_input_micro == 150 && copy.daily_money_micro == 500000);
}

FLM_TEST(guard_config_errors)
{
    static const struct {
        const char *text;
        flm_err_t   code;
        const char *message;
    } cases[] = {
        { "[queue]\nwhen_full = drop-newest\n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[queue]\nmax_records = 0\n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[queue]\nmax_bytes = 100\n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[queue]\ndevice_id = has space\n", FLM_ERR_CONFIG_VALUE,
          "device_id: 'has space' must be 1..32 characters of A-Z a-z 0-9 . _ -" },
        { "[queue]\ndevice_id = \n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[queue]\ndevice_id = 0123456789012345678901234567890123\n", FLM_ERR_CONFIG_TOO_LONG, NULL },
        { "[queue]\nenable = true\n", FLM_ERR_CONFIG_KEY, NULL },
        { "[budget]\nprice_input_per_1k = 0.0000375\n", FLM_ERR_CONFIG_VALUE,
          "price_input_per_1k: '0.0000375' is not a decimal amount from 0 to 1000.00 with at most 6 "
          "decimals" },
        { "[budget]\nprice_output_per_1k = -1\n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[budget]\nprice_output_per_1k = \n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[budget]\ndaily_money = 5 USD\n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[budget]\ncurrency = US$\n", FLM_ERR_CONFIG_VALUE, NULL },
        { "[budget]\ndaily_money = 1\n", FLM_ERR_CONFIG_CONFLICT,
          "daily_money: a money cap needs price_input_per_1k or price_output_per_1k (with both 0 "
          "nothing is ever spent)" },
        { "[budget]\ndaily_tokens = 500\nmonthly_tokens = 400\n", FLM_ERR_CONFIG_CONFLICT,
          "monthly_tokens: 400 is below daily_tokens 500" },
        { "[budget]\nprice_input_per_1k = 1\ndaily_money = 2\nmonthly_money = 1.5\n",
          FLM_ERR_CONFIG_CONFLICT, "monthly_money: 1.5 is below daily_money 2" },
        { "[budget]\ndaily_token = 5\n", FLM_ERR_CONFIG_KEY,
          "unknown key 'daily_token' in [budget] (did you mean 'daily_tokens'?)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        flm_err_t e = parse(cases[i].text);
        FLM_CHECK_MSG(e == cases[i].code, "case %zu: %s, want %s", i, flm_err_name(e),
                      flm_err_name(cases[i].code));
        FLM_CHECK_MSG(err.line >= 2, "case %zu: line %u", i, (unsigned)err.line);
        if (cases[i].message)
            FLM_CHECK_MSG(strcmp(err.message, cases[i].message) == 0, "case %zu: '%s'", i, err.message);
    }
}
