#include "core/base/utc.h"

#include <stdbool.h>

/* Floor division and its remainder, for negative counts too. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

flm_err_t flm_utc_from_unix(int64_t seconds, flm_utc_t *out)
{
    if (!out)
        return FLM_ERR_ARG;
    if (seconds < FLM_UTC_MIN_S || seconds > FLM_UTC_MAX_S)
        return FLM_ERR_OVERFLOW;
    int64_t days = floor_div(seconds, 86400);
    int64_t sod = seconds - days * 86400;
    out->hour = (uint8_t)(sod / 3600);
    out->minute = (uint8_t)(sod / 60 % 60);
    out->second = (uint8_t)(sod % 60);
    out->wday = (uint8_t)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday */

    /* Days to civil date (H. Hinnant's algorithm): eras of 400 years
     * starting on March 1st, so the leap day ends each year. */
    int64_t z = days + 719468;
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                  /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           /* 0..365, from March */
    int64_t mp = (5 * doy + 2) / 153;                                /* 0..11, March = 0 */
    int64_t day = doy - (153 * mp + 2) / 5 + 1;
    int64_t month = mp < 10 ? mp + 3 : mp - 9;
    int64_t year = yoe + era * 400 + (month <= 2);
    static const uint16_t before[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
    out->year = (int32_t)year;
    out->month = (uint8_t)month;
    out->day = (uint8_t)day;
    out->yday = (uint16_t)(before[month - 1] + day - 1 + (month > 2 && is_leap(year)));
    return FLM_OK;
}
