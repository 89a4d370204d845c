#include "core/base/parse.h"

int flm_parse_digit(char c, unsigned base)
{
    int d = (c >= '0' && c <= '9')   ? c - '0'
          : (c >= 'a' && c <= 'f')   ? c - 'a' + 10
          : (c >= 'A' && c <= 'F')   ? c - 'A' + 10
                                     : -1;
    return d >= 0 && (unsigned)d < base ? d : -1;
}

bool flm_parse_uint_prefix(const char *s, size_t n, unsigned base, uint64_t max, uint64_t *out,
                           size_t *used)
{
    uint64_t x = 0;
    size_t i = 0;
    for (; i < n; i++) {
        int d = flm_parse_digit(s[i], base);
        if (d < 0)
            break;
        if ((uint64_t)d > max || x > (max - (uint64_t)d) / base) /* d > max: max - d would wrap */
            return false;
        x = x * base + (uint64_t)d;
    }
    if (i == 0)
        return false;
    *out = x;
    if (used)
        *used = i;
    return true;
}

bool flm_parse_uint(const char *s, size_t n, unsigned base, uint64_t max, uint64_t *out)
{
    size_t used;
    uint64_t v;
    if (!flm_parse_uint_prefix(s, n, base, max, &v, &used) || used != n)
        return false;
    *out = v;
    return true;
}

bool flm_parse_q16(const char *s, size_t n, uint32_t *out)
{
    uint64_t ip = 0, num = 0, den = 1;
    size_t i = 0, used = 0;
    if (i < n && s[i] != '.') {
        if (!flm_parse_uint_prefix(s, n, 10, 0xFFFFu, &ip, &used))
            return false;
        i = used;
    }
    bool frac = i < n && s[i] == '.';
    if (frac) {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, used++) {
            if (den < 1000000000u) { /* later digits: far below the 2^-16 step */
                num = num * 10u + (uint64_t)(s[i] - '0');
                den *= 10u;
            }
        }
    }
    if (i != n || used == 0)
        return false;
    uint64_t q = (ip << 16) + ((num << 16) + den / 2u) / den;
    if (q > UINT32_MAX)
        return false;
    *out = (uint32_t)q;
    return true;
}
