/* See tls_libc.h: the libc calls of the mbedTLS copies, served without heap. */
#define _POSIX_C_SOURCE 200809L
#include "port/mbedtls/tls_libc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>

#include "core/base/fmt.h"
#include "core/base/utc.h"
#include "core/hal/hal.h"

static unsigned long refusals;

unsigned long flm_tls_libc_refusals(void)
{
    return refusals;
}

static void refuse(void)
{
    refusals++;
    errno = EACCES;
}

/* ---- time -------------------------------------------------------------- */

time_t flm_tls_time(time_t *t)
{
    int64_t s;
    time_t v = (time_t)-1;
    if (flm_hal_utc_s(&s) == FLM_OK && s >= 0 && (time_t)s == s)
        v = (time_t)s;
    if (t)
        *t = v;
    return v;
}

struct tm *flm_tls_gmtime_r(const time_t *t, struct tm *out)
{
    flm_utc_t u;
    if (!t || !out || *t == (time_t)-1 || flm_utc_from_unix((int64_t)*t, &u) != FLM_OK)
        return NULL;
    *out = (struct tm){
        .tm_year = u.year - 1900, .tm_mon = u.month - 1, .tm_mday = u.day,
        .tm_hour = u.hour, .tm_min = u.minute, .tm_sec = u.second,
        .tm_wday = u.wday, .tm_yday = u.yday, .tm_isdst = 0,
    };
    return out;
}

/* ---- formatting -------------------------------------------------------- */

int flm_tls_vsnprintf(char *s, size_t n, const char *fmt, va_list ap)
{
    if (!s || n == 0)
        return n == 0 ? INT_MAX : -1; /* no length can be had without a buffer */
    size_t len = flm_vsnprintf(s, n, fmt, ap);
    if (len + 1 >= n)
        return n > INT_MAX ? INT_MAX : (int)n; /* full: maybe cut, say so */
    return (int)len;
}

int flm_tls_snprintf(char *s, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = flm_tls_vsnprintf(s, n, fmt, ap);
    va_end(ap);
    return r;
}

int flm_tls_vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap)
{
    (void)flag;
    return flm_tls_vsnprintf(s, n < slen ? n : slen, fmt, ap);
}

int flm_tls_snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = flm_tls_vsnprintf_chk(s, n, flag, slen, fmt, ap);
    va_end(ap);
    return r;
}

/* ---- refused ----------------------------------------------------------- */

FILE *flm_tls_no_fopen(const char *path, const char *mode)
{
    (void)path, (void)mode;
    refuse();
    return NULL;
}

int flm_tls_no_fclose(FILE *f)
{
    (void)f;
    refuse();
    return EOF;
}

size_t flm_tls_no_fread(void *p, size_t size, size_t n, FILE *f)
{
    (void)p, (void)size, (void)n, (void)f;
    refuse();
    return 0;
}

size_t flm_tls_no_fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    (void)p, (void)size, (void)n, (void)f;
    refuse();
    return 0;
}

char *flm_tls_no_fgets(char *s, int n, FILE *f)
{
    (void)s, (void)n, (void)f;
    refuse();
    return NULL;
}

int flm_tls_no_fseek(FILE *f, long off, int whence)
{
    (void)f, (void)off, (void)whence;
    refuse();
    return -1;
}

long flm_tls_no_ftell(FILE *f)
{
    (void)f;
    refuse();
    return -1;
}

int flm_tls_no_ferror(FILE *f)
{
    (void)f;
    refuse();
    return 1;
}

DIR *flm_tls_no_opendir(const char *path)
{
    (void)path;
    refuse();
    return NULL;
}

struct dirent *flm_tls_no_readdir(DIR *d)
{
    (void)d;
    refuse();
    return NULL;
}

int flm_tls_no_closedir(DIR *d)
{
    (void)d;
    refuse();
    return -1;
}

int flm_tls_no_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                           struct addrinfo **res)
{
    (void)node, (void)service, (void)hints;
    if (res)
        *res = NULL;
    refuse();
    return EAI_FAIL;
}

void flm_tls_no_freeaddrinfo(struct addrinfo *ai)
{
    (void)ai;
}

int flm_tls_no_puts(const char *s)
{
    (void)s;
    refuse();
    return EOF;
}

int flm_tls_no_putchar(int c)
{
    (void)c;
    refuse();
    return EOF;
}

int flm_tls_no_printf(const char *fmt, ...)
{
    (void)fmt;
    refuse();
    return -1;
}

int flm_tls_no_printf_chk(int flag, const char *fmt, ...)
{
    (void)flag, (void)fmt;
    refuse();
    return -1;
}
