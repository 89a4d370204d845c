/* The device file parser (core/base/ini.c with every section's keys, as
 * flm_device_settings_parse binds them) on any text; a file it accepts also
 * gives the cloud client's configuration (the path and query rule). */
#include "core/cloud/cloud_client.h"
#include "core/runtime/runtime.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    char *text = (char *)flm_fuzz_copy(data, size);
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
