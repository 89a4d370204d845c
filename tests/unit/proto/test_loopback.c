#include <string.h>

#include "core/proto/http.h"
#include "tests/harness/harness.h"

FLM_TEST(http_loopback_names)
{
    static const char *const yes[] = { "localhost", "127.0.0.1", "127.255.255.254", "127.0.0.9", "::1" };
    static const char *const no[] = {
        "", "127.0.0.1.evil.example", "127.1", "1127.0.0.1", "128.0.0.1", "localhost.",
        "0x7f.0.0.1", "127.0.0.256", "127.0.0.1 ", "::2", "10.0.0.1", "127..0.1", "127.0.0.0001",
    };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        FLM_CHECK_MSG(flm_http_host_is_loopback(yes[i]), "%s", yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        FLM_CHECK_MSG(!flm_http_host_is_loopback(no[i]), "'%s'", no[i]);
    FLM_CHECK(!flm_http_host_is_loopback(NULL));
}
