#include "core/base/strdist.h"

static char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static size_t min3(size_t a, size_t b, size_t c)
{
    size_t m = a < b ? a : b;
    return m < c ? m : c;
}

size_t flm_strdist(const char *a, size_t na, const char *b, size_t nb, size_t limit)
{
    if (na > FLM_STRDIST_MAX || nb > FLM_STRDIST_MAX)
        return limit;
    if ((na > nb ? na - nb : nb - na) >= limit)
        return limit;
    /* three rows of the dynamic programme: i-2, i-1, i */
    size_t rows[3][FLM_STRDIST_MAX + 1];
    for (size_t j = 0; j <= nb; j++)
        rows[1][j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t *cur = rows[(i + 1) % 3], *prev = rows[i % 3], *prev2 = rows[(i + 2) % 3];
        cur[0] = i;
        size_t row_min = cur[0];
        for (size_t j = 1; j <= nb; j++) {
            size_t cost = fold(a[i - 1]) != fold(b[j - 1]);
            size_t d = min3(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
            if (i > 1 && j > 1 && fold(a[i - 1]) == fold(b[j - 2]) && fold(a[i - 2]) == fold(b[j - 1]) &&
                prev2[j - 2] + 1 < d)
                d = prev2[j - 2] + 1;
            cur[j] = d;
            row_min = d < row_min ? d : row_min;
        }
        if (row_min >= limit)
            return limit;
    }
    size_t d = rows[(na + 1) % 3][nb];
    return d < limit ? d : limit;
}
