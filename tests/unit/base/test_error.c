#include <string.h>

#include "core/base/error.h"
#include "tests/harness/harness.h"

FLM_TEST(error_every_code_has_a_name)
{
    for (int code = -0x0700; code <= 0; code++) {
        const char *s = flm_strerror(code);
        FLM_CHECK(s != NULL && s[0] != '\0');
    }
    FLM_CHECK(strcmp(flm_strerror(FLM_OK), "success") == 0);
    FLM_CHECK(strcmp(flm_strerror(FLM_ERR_NOMEM), "unknown error") != 0);
    FLM_CHECK(strcmp(flm_strerror(12345), "unknown error") == 0);
}
