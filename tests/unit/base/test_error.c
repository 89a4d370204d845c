#include <string.h>

#include "core/base/error.h"
#include "tests/harness/harness.h"

typedef struct {
    int code;
    const char *name, *text;
} listed_t;

static const listed_t listed[] = {
#define LISTED_(name, code, text) { code, #name, text },
    FLM_ERR_CODES(LISTED_)
#undef LISTED_
};
#define N_LISTED (sizeof listed / sizeof listed[0])

FLM_TEST(error_every_code_has_its_own_name_and_text)
{
    for (size_t i = 0; i < N_LISTED; i++) {
        const char *s = flm_strerror(listed[i].code);
        FLM_CHECK_MSG(s && s[0] && strcmp(s, "unknown error") != 0, "%s has no text", listed[i].name);
        FLM_CHECK(strcmp(s, listed[i].text) == 0);
        FLM_CHECK(strcmp(flm_err_name(listed[i].code), listed[i].name) == 0);
        for (size_t j = 0; j < i; j++) {
            FLM_CHECK_MSG(listed[j].code != listed[i].code, "%s and %s share code %d",
                          listed[j].name, listed[i].name, listed[i].code);
            FLM_CHECK_MSG(strcmp(listed[j].text, listed[i].text) != 0, "%s and %s share the text '%s'",
                          listed[j].name, listed[i].name, listed[i].text);
        }
    }
    FLM_CHECK(strcmp(flm_strerror(FLM_OK), "success") == 0);
    FLM_CHECK(strcmp(flm_strerror(12345), "unknown error") == 0);
    FLM_CHECK(strcmp(flm_err_name(-0x7FFF), "FLM_ERR_UNKNOWN") == 0);
}

FLM_TEST(error_every_code_sits_in_a_module_range)
{
    for (size_t i = 1; i < N_LISTED; i++) {
        FLM_CHECK_MSG(listed[i].code < 0, "%s is not negative", listed[i].name);
        FLM_CHECK_MSG(flm_err_module(listed[i].code) != FLM_ERR_MODULE_NONE, "%s (%d) is in no module",
                      listed[i].name, listed[i].code);
    }
    FLM_CHECK_EQ(flm_err_module(FLM_OK), FLM_ERR_MODULE_NONE);
    FLM_CHECK_EQ(flm_err_module(FLM_ERR_HTTP_CHUNK), FLM_ERR_MODULE_HTTP);
    FLM_CHECK_EQ(flm_err_module(FLM_ERR_JSON_SYNTAX), FLM_ERR_MODULE_JSON);
    FLM_CHECK_EQ(flm_err_module(FLM_ERR_SSE_TRUNCATED), FLM_ERR_MODULE_SSE);
    FLM_CHECK_EQ(flm_err_module(FLM_ERR_CLOUD_API), FLM_ERR_MODULE_CLOUD);
    FLM_CHECK_EQ(flm_err_module(FLM_ERR_TLS_HOSTNAME), FLM_ERR_MODULE_TLS);
    FLM_CHECK_EQ(flm_err_module(FLM_ERR_ENGINE_TOKEN), FLM_ERR_MODULE_ENGINE);
    FLM_CHECK(flm_err_in(FLM_ERR_MODEL_CRC, FLM_ERR_MODULE_MODEL));
    FLM_CHECK(!flm_err_in(FLM_ERR_MODEL_CRC, FLM_ERR_MODULE_HAL));
    FLM_CHECK(strcmp(flm_err_module_name(FLM_ERR_MODULE_TLS), "TLS") == 0);
    FLM_CHECK(strcmp(flm_err_module_name(FLM_ERR_MODULE_NONE), "none") == 0);
}
