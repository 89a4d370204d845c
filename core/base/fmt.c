#include "core/base/fmt.h"

#include <stdbool.h>
#include <stdint.h>

/* A bounded writer: counts every byte, stores those that fit. */
typedef struct {
    char  *buf;
    size_t cap, n;
} out_t;

static void put(out_t *o, char c)
{
    if (o->n < o->cap)
        o->buf[o->n] = c;
    o->n++;
}

static void put_padded(out_t *o, const char *s, size_t len, size_t width, bool left, char pad)
{
    size_t fill = width > len ? width - len : 0;
    /* Zero padding goes after a sign. */
    if (pad == '0' && len > 0 && s[0] == '-') {
        put(o, '-');
        s++;
        len--;
    }
    for (; !left && fill > 0; fill--)
        put(o, pad);
    for (size_t i = 0; i < len; i++)
        put(o, s[i]);
    for (; fill > 0; fill--)
        put(o, ' ');
}

size_t flm_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
    out_t o = { buf, cap ? cap - 1 : 0, 0 };
    while (*fmt) {
        if (*fmt != '%') {
            put(&o, *fmt++);
            continue;
        }
        fmt++;
        bool left = false;
        char pad = ' ';
        for (;; fmt++) {
            if (*fmt == '-')
                left = true;
            else if (*fmt == '0')
                pad = '0';
            else
                break;
        }
        size_t width = 0, prec = SIZE_MAX;
        if (*fmt == '*') {
            int w = va_arg(ap, int);
            left = left || w < 0;
            width = (size_t)(w < 0 ? -(long long)w : w);
            fmt++;
        }
        for (; *fmt >= '0' && *fmt <= '9'; fmt++)
            width = width * 10u + (size_t)(*fmt - '0');
        if (*fmt == '.') {
            fmt++;
            prec = 0;
            if (*fmt == '*') {
                int p = va_arg(ap, int);
                prec = p < 0 ? SIZE_MAX : (size_t)p;
                fmt++;
            }
            for (; *fmt >= '0' && *fmt <= '9'; fmt++)
                prec = prec * 10u + (size_t)(*fmt - '0');
        }
        int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t/ptrdiff_t/intmax_t */
        for (;; fmt++) {
            if (*fmt == 'l')
                lng++;
            else if (*fmt == 'z' || *fmt == 'j' || *fmt == 't')
                lng = 3;
            else if (*fmt != 'h')
                break;
        }
        char conv = *fmt ? *fmt++ : '\0';
        char num[24];
        size_t len = 0;
        unsigned long long u = 0;
        bool neg = false;
        unsigned base = 10;
        switch (conv) {
        case 'd':
        case 'i': {
            long long v = lng == 0 ? va_arg(ap, int)
                        : lng == 1 ? va_arg(ap, long)
                        : lng == 2 ? va_arg(ap, long long)
                        : sizeof(ptrdiff_t) == sizeof(long long) ? va_arg(ap, long long)
                                                                 : va_arg(ap, long);
            neg = v < 0;
            u = neg ? 0ull - (unsigned long long)v : (unsigned long long)v;
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'p':
            base = conv == 'u' ? 10u : 16u;
            u = conv == 'p' ? (unsigned long long)(uintptr_t)va_arg(ap, void *)
              : lng == 0    ? va_arg(ap, unsigned)
              : lng == 1    ? va_arg(ap, unsigned long)
              : lng == 2    ? va_arg(ap, unsigned long long)
              : sizeof(size_t) == sizeof(unsigned long long) ? va_arg(ap, unsigned long long)
                                                             : va_arg(ap, unsigned long);
            break;
        case 'c':
            num[0] = (char)va_arg(ap, int);
            put_padded(&o, num, 1, width, left, ' ');
            continue;
        case 's': {
            const char *s = va_arg(ap, const char *);
            if (!s)
                s = "(null)";
            for (len = 0; len < prec && s[len]; len++) {
            }
            put_padded(&o, s, len, width, left, ' ');
            continue;
        }
        case '%':
            put(&o, '%');
            continue;
        default: /* unknown conversion: show it rather than guess */
            put(&o, '%');
            if (conv)
                put(&o, conv);
            continue;
        }
        const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        char tmp[24];
        size_t t = 0;
        do {
            tmp[t++] = digits[u % base];
            u /= base;
        } while (u);
        if (neg)
            num[len++] = '-';
        if (conv == 'p') {
            num[len++] = '0';
            num[len++] = 'x';
        }
        while (t > 0)
            num[len++] = tmp[--t];
        put_padded(&o, num, len, width, left, left ? ' ' : pad);
    }
    size_t n = o.n < o.cap ? o.n : o.cap;
    if (cap > 0)
        buf[n] = '\0';
    return n;
}

size_t flm_snprintf(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = flm_vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

flm_err_t flm_err_detail(char *buf, size_t cap, flm_err_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    flm_vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return err;
}
