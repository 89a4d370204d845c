/* The device file parser (core/base/ini.c with every section's keys, as
 * flm_device_settings_parse binds them) on any text; a file it accepts also
 * gives the cloud client's configuration (the path and query rule). With
 * the options byte's bit 1, the guards' and the server's sections bound
 * together ([queue] and [budget], which the device file does not bind yet,
 * [privacy], [server]): what they accept is what their checks promise. */
#include "core/cloud/cloud_client.h"
#include "core/guard/ledger.h"
#include "core/guard/privacy.h"
#include "core/guard/queue.h"
#include "core/runtime/runtime.h"
#include "core/server/server.h"
#include "tests/fuzz/fuzz.h"

static void guard_sections(const char *text, size_t size)
{
    static flm_queue_settings_t qs;
    static flm_budget_settings_t bs;
    static flm_privacy_settings_t ps;
    static flm_server_settings_t ss;
    bool q = false, b = false, pv = false, sv = false;
    const flm_ini_bind_t binds[] = {
        { &flm_queue_ini_section, &qs, true, &q },
        { &flm_budget_ini_section, &bs, true, &b },
        { &flm_privacy_ini_section, &ps, true, &pv },
#if FLM_CFG_SERVER
        { &flm_server_ini_section, &ss, true, &sv },
#endif
    };
    flm_ini_error_t err;
    flm_err_t e = flm_ini_parse(text, size, binds, sizeof binds / sizeof binds[0], NULL, &err);
    FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
    if (e) {
        FUZZ_CHECK(e < 0);
        char line[512];
        size_t n = flm_ini_error_format(&err, "fuzz.ini", line, sizeof line);
        FUZZ_CHECK(n < sizeof line && line[n] == '\0');
        return;
    }
    size_t idl = strlen(qs.device_id);
    FUZZ_CHECK(idl > 0 && idl < sizeof qs.device_id &&
               strspn(qs.device_id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == idl);
    FUZZ_CHECK(qs.max_records >= 1 && qs.max_records <= 4096 && qs.max_bytes >= 256);
    FUZZ_CHECK(qs.when_full == FLM_QUEUE_FULL_REFUSE || qs.when_full == FLM_QUEUE_FULL_DROP_OLDEST);
    FUZZ_CHECK(!bs.monthly_tokens || bs.monthly_tokens >= bs.daily_tokens);
    FUZZ_CHECK(!bs.monthly_money_micro || bs.monthly_money_micro >= bs.daily_money_micro);
    FUZZ_CHECK(memchr(bs.currency, '\0', sizeof bs.currency) && bs.currency[0]);
    flm_budget_settings_t again = bs;
    FUZZ_CHECK(flm_budget_settings_derive(&again) == FLM_OK && again.price_input_micro == bs.price_input_micro &&
               again.daily_money_micro == bs.daily_money_micro);
    FUZZ_CHECK(ps.policy <= FLM_PRIVACY_ALLOW && (ps.types & ~FLM_PII_ALL) == 0);
    static flm_privacy_t g;
    FUZZ_CHECK(flm_privacy_init(&g, &ps) == FLM_OK); /* what the section took, the guard takes */
    flm_privacy_deinit(&g);
#if FLM_CFG_SERVER
    if (sv) {
        flm_server_config_t cfg = { .settings = &ss };
        size_t need = 0;
        FUZZ_CHECK(flm_server_ram(&cfg, &need) == FLM_OK && need > 0); /* sizes it accepts, it can carve */
    }
#endif
    (void)q, (void)b, (void)pv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    char *text = (char *)flm_fuzz_copy(data, size);
    if (opt & 2) {
        guard_sections(text, size);
        free(text);
        return 0;
    }
    static flm_device_settings_t s;
    flm_ini_error_t err;
    flm_err_t e = flm_device_settings_parse(&s, text, size, opt & 1 ? "cloud" : NULL, &err);
    FUZZ_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
    if (e) {
        FUZZ_CHECK(e < 0);
        char line[512];
        size_t n = flm_ini_error_format(&err, "fuzz.ini", line, sizeof line);
        FUZZ_CHECK(n < sizeof line && line[n] == '\0');
    } else {
#if FLM_CFG_CLOUD
        if (s.has_cloud) {
            char path[FLM_CLOUD_PATH_MAX];
            flm_cloud_config_t cc;
            if (flm_cloud_config_client(&s.cloud, path, sizeof path, &cc) == FLM_OK) {
                FUZZ_CHECK(cc.path[0] == '/');
                FUZZ_CHECK(strstr(cc.path, "/chat/completions") != NULL);
                const char *q = strchr(s.cloud.endpoint.path, '?');
                if (q)
                    FUZZ_CHECK(strcmp(strchr(cc.path, '?'), q) == 0);
            }
        }
#endif
    }
    flm_device_settings_deinit(&s);
    free(text);
    return 0;
}
