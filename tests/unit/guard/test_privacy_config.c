/* The [privacy] section: keys, defaults, the lists' checks, line-precise
 * errors, and the section absent altogether. */
#include <string.h>

#include "core/guard/privacy.h"
#include "tests/harness/harness.h"

#if FLM_CFG_DEVICE_FILE

static flm_privacy_settings_t cfg;
static flm_ini_error_t err;
static bool present;

static flm_err_t parse(const char *text)
{
    const flm_ini_bind_t bind = { &flm_privacy_ini_section, &cfg, true, &present };
    memset(&err, 0, sizeof err);
    return flm_ini_parse(text, strlen(text), &bind, 1, NULL, &err);
}

FLM_TEST(guard_privacy_config_full)
{
    FLM_CHECK_EQ(parse("[privacy]\n"
                       "policy = redact\n"
                       "deny_words = Project Falcon,  Zephyr , 蓝鲸计划\n"
                       "detect = email, phone, card, iban, ssn, national_id\n"),
                 FLM_OK);
    FLM_CHECK(present);
    FLM_CHECK_EQ(cfg.policy, FLM_PRIVACY_REDACT);
    FLM_CHECK(strcmp(cfg.deny_words, "Project Falcon,  Zephyr , 蓝鲸计划") == 0);
    FLM_CHECK_EQ(cfg.types, FLM_PII_ALL & ~((1u << FLM_PII_IP) | (1u << FLM_PII_DENY_WORD)));
    flm_privacy_t g;
    FLM_CHECK_EQ(flm_privacy_init(&g, &cfg), FLM_OK);
    FLM_CHECK_EQ(g.n_deny, 3);
    const char *text = "Zephyr at 10.0.0.1, a@b.cd";
    flm_pii_span_t sp[4];
    size_t n = 0;
    FLM_CHECK_EQ(flm_privacy_scan(&g, text, strlen(text), sp, 4, &n), FLM_OK);
    FLM_CHECK(n == 2 && sp[0].type == FLM_PII_DENY_WORD && sp[1].type == FLM_PII_EMAIL); /* no IP */
    flm_privacy_deinit(&g);

    FLM_CHECK_EQ(parse("[privacy]\npolicy = allow\n"), FLM_OK);
    FLM_CHECK_EQ(cfg.policy, FLM_PRIVACY_ALLOW);
    FLM_CHECK_EQ(parse("[privacy]\npolicy = local-only\ndetect = none\n"), FLM_OK);
    FLM_CHECK_EQ(cfg.policy, FLM_PRIVACY_LOCAL_ONLY);
    FLM_CHECK_EQ(cfg.types, 0);
}

FLM_TEST(guard_privacy_config_defaults)
{
    /* an empty section and no section at all: local-only, everything detected */
    FLM_CHECK_EQ(parse("[privacy]\n"), FLM_OK);
    FLM_CHECK(present);
    FLM_CHECK_EQ(cfg.policy, FLM_PRIVACY_LOCAL_ONLY);
    FLM_CHECK_EQ(cfg.types, FLM_PII_ALL & ~(1u << FLM_PII_DENY_WORD));
    FLM_CHECK_EQ(cfg.deny_words[0], '\0');
    FLM_CHECK_EQ(parse("# nothing\n"), FLM_OK);
    FLM_CHECK(!present);
    FLM_CHECK_EQ(cfg.policy, FLM_PRIVACY_LOCAL_ONLY);
    FLM_CHECK(strcmp(cfg.detect, "all") == 0);
    FLM_CHECK_EQ(cfg.types, FLM_PII_ALL & ~(1u << FLM_PII_DENY_WORD));
}

FLM_TEST(guard_privacy_config_errors)
{
    FLM_CHECK_EQ(parse("[privacy]\npolicy = redacted\n"), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(err.line, 2);
    FLM_CHECK(strstr(err.message, "local-only, redact, allow") != NULL);
    FLM_CHECK(cfg.policy == 0 && cfg.detect[0] == '\0'); /* wiped on failure */

    FLM_CHECK_EQ(parse("[privacy]\n\ndeny_words = a, , b\n"), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(err.line, 3);
    FLM_CHECK(strstr(err.message, "phrase 2 is empty") != NULL);

    FLM_CHECK_EQ(parse("[privacy]\ndeny_words = Secret Project,\n"), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK(!flm_test_contains(err.message, sizeof err.message, "Secret")); /* never echoed */

    char text[FLM_PRIVACY_DENY_BYTES + 64];
    size_t o = (size_t)flm_snprintf(text, sizeof text, "[privacy]\ndeny_words = ");
    for (unsigned k = 0; k <= FLM_PRIVACY_DENY_MAX; k++)
        o += flm_snprintf(text + o, sizeof text - o, "%sw%u", k ? "," : "", k);
    flm_snprintf(text + o, sizeof text - o, "\n");
    FLM_CHECK_EQ(parse(text), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK(strstr(err.message, "more than") != NULL);

    o = (size_t)flm_snprintf(text, sizeof text, "[privacy]\ndeny_words = ");
    memset(text + o, 'x', FLM_PRIVACY_DENY_BYTES);
    o += FLM_PRIVACY_DENY_BYTES;
    flm_snprintf(text + o, sizeof text - o, "\n");
    FLM_CHECK(parse(text) != FLM_OK); /* longer than the field */
    FLM_CHECK_EQ(err.line, 2);

    FLM_CHECK_EQ(parse("[privacy]\ndetect = email, phones\n"), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(err.line, 2);
    FLM_CHECK(strstr(err.message, "'phones' is not one of") != NULL);

    FLM_CHECK_EQ(parse("[privacy]\npolcy = allow\n"), FLM_ERR_CONFIG_KEY);
    FLM_CHECK(strstr(err.message, "did you mean 'policy'") != NULL);
    FLM_CHECK_EQ(parse("[privacy]\npolicy = allow\npolicy = redact\n"), FLM_ERR_CONFIG_DUPLICATE);
}

#endif /* FLM_CFG_DEVICE_FILE */
