/*
 * Calendar time from a count of seconds, in integers only: the proleptic
 * Gregorian calendar in UTC (no time zones, no leap seconds, no locale), as
 * certificate validity checks need it. Replaces libc's gmtime_r, whose first
 * call in glibc runs tzset (heap allocations and a read of /etc/localtime).
 *
 *   flm_utc_t t;
 *   flm_utc_from_unix(1700000000, &t);   2023-11-14 22:13:20, a Tuesday
 *
 * Any int64 second count within years -9999..9999 converts; outside it is
 * FLM_ERR_OVERFLOW.
 */
#ifndef FLM_UTC_H
#define FLM_UTC_H

#include <stdint.h>

#include "core/base/error.h"

typedef struct {
    int32_t year;   /* e.g. 2024 */
    uint8_t month;  /* 1..12 */
    uint8_t day;    /* 1..31 */
    uint8_t hour;   /* 0..23 */
    uint8_t minute; /* 0..59 */
    uint8_t second; /* 0..59 */
    uint8_t wday;   /* 0 = Sunday .. 6 */
    uint16_t yday;  /* 0..365 */
} flm_utc_t;

#define FLM_UTC_MIN_S (-377705116800LL) /* -9999-01-01T00:00:00Z */
#define FLM_UTC_MAX_S (253402300799LL)  /*  9999-12-31T23:59:59Z */

flm_err_t flm_utc_from_unix(int64_t seconds, flm_utc_t *out);

#endif /* FLM_UTC_H */
