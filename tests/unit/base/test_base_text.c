/* core/base's text helpers: the printf subset, the number parser, the edit
 * distance behind "did you mean". */
#include <stdio.h>
#include <string.h>

#include "core/base/fmt.h"
#include "core/base/parse.h"
#include "core/base/strdist.h"
#include "tests/harness/harness.h"

FLM_TEST(fmt_matches_libc_on_the_subset)
{
    char a[128], b[128];
    flm_snprintf(a, sizeof a, "[%d] [%5u] [%-4s] [%04x] [%lld] [%zu] [%.3s] [%c%%] [%X] [%*s] [%05d]",
                 -42, 7u, "ab", 0xBEEFu, -9000000000LL, (size_t)123, "abcdef", 'z', 255u, -3, "x", -12);
    snprintf(b, sizeof b, "[%d] [%5u] [%-4s] [%04x] [%lld] [%zu] [%.3s] [%c%%] [%X] [%*s] [%05d]",
             -42, 7u, "ab", 0xBEEFu, -9000000000LL, (size_t)123, "abcdef", 'z', 255u, -3, "x", -12);
    FLM_CHECK_MSG(strcmp(a, b) == 0, "'%s' != '%s'", a, b);
    flm_snprintf(a, sizeof a, "%" PRIu64 " %" PRId64 " %" PRIu32, UINT64_MAX, INT64_MIN, UINT32_MAX);
    FLM_CHECK(strcmp(a, "18446744073709551615 -9223372036854775808 4294967295") == 0);
}

FLM_TEST(fmt_truncates_and_terminates)
{
    char buf[8];
    memset(buf, 'x', sizeof buf);
    FLM_CHECK_EQ(flm_snprintf(buf, sizeof buf, "%s", "0123456789"), 7);
    FLM_CHECK(strcmp(buf, "0123456") == 0);
    FLM_CHECK_EQ(flm_snprintf(buf, 1, "abc"), 0);
    FLM_CHECK_EQ(buf[0], '\0');
    FLM_CHECK_EQ(flm_snprintf(NULL, 0, "abc"), 0);
    /* an unknown conversion shows as written (a literal would not compile) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
    flm_snprintf(buf, sizeof buf, "%q", 0);
#pragma GCC diagnostic pop
    FLM_CHECK(strcmp(buf, "%q") == 0);
}

FLM_TEST(parse_uint_and_prefix)
{
    uint64_t v = 7;
    size_t used;
    FLM_CHECK(flm_parse_uint("12345", 5, 10, 99999, &v) && v == 12345);
    FLM_CHECK(!flm_parse_uint("12345", 5, 10, 12344, &v) && v == 12345);
    FLM_CHECK(!flm_parse_uint("6", 1, 10, 5, &v) && v == 12345); /* a digit above max */
    FLM_CHECK(!flm_parse_uint("f", 1, 16, 9, &v));
    FLM_CHECK(flm_parse_uint("5", 1, 10, 5, &v) && v == 5);
    FLM_CHECK(flm_parse_uint("0", 1, 10, 0, &v) && v == 0);
    FLM_CHECK(flm_parse_uint("18446744073709551615", 20, 10, UINT64_MAX, &v) && v == UINT64_MAX);
    FLM_CHECK(!flm_parse_uint("18446744073709551616", 20, 10, UINT64_MAX, &v));
    FLM_CHECK(!flm_parse_uint("", 0, 10, 10, &v));
    FLM_CHECK(!flm_parse_uint("1 2", 3, 10, 100, &v));
    FLM_CHECK(!flm_parse_uint("-1", 2, 10, 100, &v));
    FLM_CHECK(flm_parse_uint("fFa0", 4, 16, 0xFFFF, &v) && v == 0xFFA0);
    FLM_CHECK(!flm_parse_uint("12a", 3, 10, 1000, &v));
    FLM_CHECK(flm_parse_uint_prefix("1a;x", 4, 16, 255, &v, &used) && v == 0x1A && used == 2);
    FLM_CHECK(!flm_parse_uint_prefix(";", 1, 16, 255, &v, &used));
    FLM_CHECK_EQ(flm_parse_digit('9', 10), 9);
    FLM_CHECK_EQ(flm_parse_digit('a', 10), -1);
    FLM_CHECK_EQ(flm_parse_digit('F', 16), 15);
}

FLM_TEST(parse_q16_decimals)
{
    uint32_t q = 0;
    FLM_CHECK(flm_parse_q16("1", 1, &q) && q == 65536);
    FLM_CHECK(flm_parse_q16("0.75", 4, &q) && q == 49152);
    FLM_CHECK(flm_parse_q16(".5", 2, &q) && q == 32768);
    FLM_CHECK(flm_parse_q16("0.9", 3, &q) && q == 58982);
    FLM_CHECK(flm_parse_q16("2.", 2, &q) && q == 131072);
    FLM_CHECK(flm_parse_q16("0.00000762939453125", 19, &q) && q == 0); /* 2^-17 rounds... down past 9 digits */
    FLM_CHECK(flm_parse_q16("65535.99999", 11, &q) && q == 0xFFFFFFFFu);
    FLM_CHECK(!flm_parse_q16("65536", 5, &q));
    FLM_CHECK(!flm_parse_q16(".", 1, &q));
    FLM_CHECK(!flm_parse_q16("", 0, &q));
    FLM_CHECK(!flm_parse_q16("1e3", 3, &q));
    FLM_CHECK(!flm_parse_q16("-1", 2, &q));
}

FLM_TEST(strdist_counts_edits)
{
    FLM_CHECK_EQ(flm_strdist("model", 5, "model", 5, 3), 0);
    FLM_CHECK_EQ(flm_strdist("modle", 5, "model", 5, 3), 1); /* a swap */
    FLM_CHECK_EQ(flm_strdist("mdl", 3, "model", 5, 3), 2);
    FLM_CHECK_EQ(flm_strdist("MODEL", 5, "model", 5, 3), 0);
    FLM_CHECK_EQ(flm_strdist("url", 3, "max_retries", 11, 3), 3);
    FLM_CHECK_EQ(flm_strdist("", 0, "ab", 2, 3), 2);
    char big[100];
    memset(big, 'a', sizeof big);
    FLM_CHECK_EQ(flm_strdist(big, sizeof big, big, sizeof big, 3), 3); /* too long to compare */
}
