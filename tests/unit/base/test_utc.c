#define _POSIX_C_SOURCE 200809L
#include <time.h>

#include "core/base/utc.h"
#include "tests/harness/harness.h"

static void check_against_libc(int64_t s)
{
    flm_utc_t u;
    struct tm tm;
    time_t t = (time_t)s;
    FLM_CHECK_EQ(flm_utc_from_unix(s, &u), FLM_OK);
    FLM_CHECK(gmtime_r(&t, &tm) != NULL); /* the test may allocate; the runtime may not */
    FLM_CHECK_MSG(u.year == tm.tm_year + 1900 && u.month == tm.tm_mon + 1 && u.day == tm.tm_mday &&
                  u.hour == tm.tm_hour && u.minute == tm.tm_min && u.second == tm.tm_sec &&
                  u.wday == tm.tm_wday && u.yday == tm.tm_yday,
                  "%lld: %d-%d-%d %d:%d:%d w%d y%d, libc %d-%d-%d %d:%d:%d w%d y%d", (long long)s,
                  (int)u.year, u.month, u.day, u.hour, u.minute, u.second, u.wday, u.yday,
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  tm.tm_wday, tm.tm_yday);
}

FLM_TEST(utc_matches_gmtime)
{
    flm_utc_t u;
    FLM_CHECK_EQ(flm_utc_from_unix(1700000000, &u), FLM_OK);
    FLM_CHECK(u.year == 2023 && u.month == 11 && u.day == 14 && u.hour == 22 && u.minute == 13 &&
              u.second == 20 && u.wday == 2);
    static const int64_t edges[] = { 0, -1, 86399, 86400, -86400, -86401, 951782400 /* 2000-02-29 */,
                                     951868800, 4107542400 /* 2100-03-01 */, 4107456000,
                                     253402300799LL, -62135596800LL /* 0001-01-01 */,
                                     FLM_UTC_MIN_S, 2147483647, 2147483648LL };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        check_against_libc(edges[i]);
    /* Every day boundary of 1900..2200, and random seconds over the range. */
    for (int64_t d = -25567; d < 84000; d += 1)
        check_against_libc(d * 86400 + (d % 86400 + 86400) % 86400);
    uint32_t seed = 5;
    for (int i = 0; i < 200000; i++) {
        int64_t s = ((int64_t)flm_test_xorshift32(&seed) << 31 ^ flm_test_xorshift32(&seed)) %
                    FLM_UTC_MAX_S;
        check_against_libc(s);
    }
    FLM_CHECK_EQ(flm_utc_from_unix(FLM_UTC_MAX_S + 1, &u), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_utc_from_unix(FLM_UTC_MIN_S - 1, &u), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_utc_from_unix(INT64_MIN, &u), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_utc_from_unix(0, NULL), FLM_ERR_ARG);
}
