#include <string.h>

#include "core/base/crc32.h"
#include "tests/harness/harness.h"

FLM_TEST(crc32_known_values)
{
    FLM_CHECK_EQ(flm_crc32_update(0, "123456789", 9), 0xCBF43926u);
    FLM_CHECK_EQ(flm_crc32_update(0, "", 0), 0);
    static const uint8_t zeros[32];
    FLM_CHECK_EQ(flm_crc32_update(0, zeros, sizeof zeros), 0x190A55ADu);
}

FLM_TEST(crc32_chains)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint32_t whole = flm_crc32_update(0, s, n);
    FLM_CHECK_EQ(whole, 0x414FA339u);
    for (size_t cut = 0; cut <= n; cut += 7)
        FLM_CHECK_EQ(flm_crc32_update(flm_crc32_update(0, s, cut), s + cut, n - cut), whole);
}
