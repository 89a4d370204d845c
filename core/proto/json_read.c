#include "core/base/config.h"
#if FLM_CFG_PROTO /* the cloud client and the server; off on boards without a network */
#include "core/proto/json_read.h"

#include <string.h>

#include "core/base/parse.h"

#include "core/base/utf8.h"

/* What the reader expects next. */
enum {
    S_VALUE,        /* a value (document start, after ':' or an array ',') */
    S_VALUE_OR_END, /* just after '[' */
    S_KEY_OR_END,   /* just after '{' */
    S_KEY,          /* after an object ',' */
    S_AFTER,        /* after a value: ',' or the container's end */
    S_DONE,         /* the top-level value is complete */
};

void flm_json_reader_init(flm_json_reader_t *r, const char *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    r->buf = buf;
    r->len = buf ? len : 0;
    r->state = S_VALUE;
}

static flm_err_t fail(flm_json_reader_t *r, flm_err_t err)
{
    r->err = err;
    return err;
}

static void skip_ws(flm_json_reader_t *r)
{
    while (r->pos < r->len) {
        char c = r->buf[r->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        r->pos++;
    }
}

/* Four hex digits at s (n available) -> value, or -1. */
static int32_t hex4(const char *s, size_t n)
{
    if (n < 4)
        return -1;
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = flm_parse_digit(s[i], 16);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Scan a string whose opening quote is at r->pos; checks escapes and UTF-8. */
static flm_err_t scan_string(flm_json_reader_t *r, flm_json_token_t *t)
{
    const uint8_t *p = (const uint8_t *)r->buf;
    size_t i = r->pos + 1;
    while (i < r->len) {
        uint8_t c = p[i];
        if (c == '"') {
            t->raw = r->buf + r->pos + 1;
            t->raw_len = i - r->pos - 1;
            r->pos = i + 1;
            return FLM_OK;
        }
        if (c < 0x20)
            return fail(r, FLM_ERR_JSON_SYNTAX);
        if (c == '\\') {
            if (i + 1 >= r->len)
                break;
            char e = (char)p[i + 1];
            if (e == 'u') {
                if (hex4(r->buf + i + 2, r->len - i - 2) < 0)
                    return fail(r, FLM_ERR_JSON_SYNTAX);
                i += 6;
            } else if (e != '\0' && strchr("\"\\/bfnrt", e)) {
                i += 2;
            } else {
                return fail(r, FLM_ERR_JSON_SYNTAX);
            }
            continue;
        }
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = flm_utf8_decode(p + i, r->len - i, &cp);
            if (n == 0)
                return fail(r, FLM_ERR_JSON_UTF8);
            i += n;
            continue;
        }
        i++;
    }
    return fail(r, FLM_ERR_JSON_SYNTAX); /* unterminated */
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static flm_err_t scan_number(flm_json_reader_t *r, flm_json_token_t *t)
{
    const char *s = r->buf;
    size_t i = r->pos, n = r->len;
    bool neg = false, integral = true;
    if (s[i] == '-') {
        neg = true;
        i++;
    }
    if (i >= n || !is_digit(s[i]))
        return fail(r, FLM_ERR_JSON_SYNTAX);
    /* Accumulate the magnitude as unsigned; note overflow instead of wrapping. */
    uint64_t mag = 0;
    bool big = false;
    if (s[i] == '0') {
        i++;
    } else {
        while (i < n && is_digit(s[i])) {
            uint64_t d = (uint64_t)(s[i] - '0');
            if (mag > (UINT64_MAX - d) / 10)
                big = true;
            else
                mag = mag * 10 + d;
            i++;
        }
    }
    if (i < n && s[i] == '.') {
        integral = false;
        i++;
        if (i >= n || !is_digit(s[i]))
            return fail(r, FLM_ERR_JSON_SYNTAX);
        while (i < n && is_digit(s[i]))
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        integral = false;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || !is_digit(s[i]))
            return fail(r, FLM_ERR_JSON_SYNTAX);
        while (i < n && is_digit(s[i]))
            i++;
    }
    t->raw = s + r->pos;
    t->raw_len = i - r->pos;
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    if (integral && !big && mag <= limit) {
        t->is_int = true;
        t->ival = neg ? (int64_t)(0 - mag) : (int64_t)mag;
        if (neg && mag == limit)
            t->ival = INT64_MIN;
    }
    r->pos = i;
    return FLM_OK;
}

static flm_err_t scan_literal(flm_json_reader_t *r, flm_json_token_t *t,
                              const char *word, flm_json_type_t type)
{
    size_t n = strlen(word);
    if (r->len - r->pos < n || memcmp(r->buf + r->pos, word, n) != 0)
        return fail(r, FLM_ERR_JSON_SYNTAX);
    t->type = type;
    t->raw = r->buf + r->pos;
    t->raw_len = n;
    r->pos += n;
    return FLM_OK;
}

/* A value starting at r->pos (whitespace already skipped). */
static flm_err_t scan_value(flm_json_reader_t *r, flm_json_token_t *t)
{
    if (r->pos >= r->len)
        return fail(r, FLM_ERR_JSON_SYNTAX);
    char c = r->buf[r->pos];
    switch (c) {
    case '{':
    case '[':
        if (r->depth >= FLM_JSON_MAX_DEPTH)
            return fail(r, FLM_ERR_JSON_DEPTH);
        r->is_obj[r->depth++] = c == '{';
        t->type = c == '{' ? FLM_JSON_OBJ : FLM_JSON_ARR;
        t->raw = r->buf + r->pos++;
        t->raw_len = 1;
        r->state = c == '{' ? S_KEY_OR_END : S_VALUE_OR_END;
        return FLM_OK;
    case '"':
        t->type = FLM_JSON_STRING;
        if (scan_string(r, t))
            return r->err;
        break;
    case 't':
        if (scan_literal(r, t, "true", FLM_JSON_TRUE))
            return r->err;
        break;
    case 'f':
        if (scan_literal(r, t, "false", FLM_JSON_FALSE))
            return r->err;
        break;
    case 'n':
        if (scan_literal(r, t, "null", FLM_JSON_NULL))
            return r->err;
        break;
    default:
        t->type = FLM_JSON_NUMBER;
        if (scan_number(r, t))
            return r->err;
    }
    r->state = r->depth ? S_AFTER : S_DONE;
    return FLM_OK;
}

static flm_err_t close_container(flm_json_reader_t *r, flm_json_token_t *t)
{
    char c = r->buf[r->pos];
    bool obj = c == '}';
    if ((c != '}' && c != ']') || r->depth == 0 || r->is_obj[r->depth - 1] != obj)
        return fail(r, FLM_ERR_JSON_SYNTAX);
    r->depth--;
    t->type = obj ? FLM_JSON_OBJ_END : FLM_JSON_ARR_END;
    t->raw = r->buf + r->pos++;
    t->raw_len = 1;
    r->state = r->depth ? S_AFTER : S_DONE;
    return FLM_OK;
}

static flm_err_t scan_key(flm_json_reader_t *r, flm_json_token_t *t)
{
    if (r->pos >= r->len || r->buf[r->pos] != '"')
        return fail(r, FLM_ERR_JSON_SYNTAX);
    t->type = FLM_JSON_KEY;
    if (scan_string(r, t))
        return r->err;
    skip_ws(r);
    if (r->pos >= r->len || r->buf[r->pos] != ':')
        return fail(r, FLM_ERR_JSON_SYNTAX);
    r->pos++;
    r->state = S_VALUE;
    return FLM_OK;
}

flm_err_t flm_json_next(flm_json_reader_t *r, flm_json_token_t *t)
{
    memset(t, 0, sizeof *t);
    if (r->err)
        return r->err;
    skip_ws(r);
    if (r->state == S_DONE) {
        if (r->pos != r->len)
            return fail(r, FLM_ERR_JSON_SYNTAX); /* trailing bytes */
        t->type = FLM_JSON_END;
        return FLM_OK;
    }
    if (r->pos >= r->len)
        return fail(r, FLM_ERR_JSON_SYNTAX); /* document cut short */
    char c = r->buf[r->pos];
    switch (r->state) {
    case S_VALUE:
        return scan_value(r, t);
    case S_VALUE_OR_END:
        return c == ']' ? close_container(r, t) : scan_value(r, t);
    case S_KEY_OR_END:
        return c == '}' ? close_container(r, t) : scan_key(r, t);
    case S_KEY:
        return scan_key(r, t);
    default: /* S_AFTER */
        if (c == ',') {
            r->pos++;
            skip_ws(r);
            if (r->is_obj[r->depth - 1])
                return scan_key(r, t);
            return scan_value(r, t);
        }
        return close_container(r, t);
    }
}

flm_err_t flm_json_skip(flm_json_reader_t *r, const flm_json_token_t *t)
{
    if (r->err)
        return r->err;
    if (t->type != FLM_JSON_OBJ && t->type != FLM_JSON_ARR)
        return FLM_OK;
    /* The container was opened at depth r->depth - 1 when t was read; a
     * caller may only skip right after reading t, so the depth is exact. */
    uint8_t target = (uint8_t)(r->depth - 1);
    flm_json_token_t u;
    while (r->depth > target) {
        if (flm_json_next(r, &u))
            return r->err;
        if (u.type == FLM_JSON_END)
            return fail(r, FLM_ERR_JSON_SYNTAX);
    }
    return FLM_OK;
}

flm_err_t flm_json_validate(const char *buf, size_t len)
{
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, buf, len);
    do {
        if (flm_json_next(&r, &t))
            return r.err;
    } while (t.type != FLM_JSON_END);
    return FLM_OK;
}

/* ---- strings ----------------------------------------------------------- */

/* Decode one character of a validated escaped string at raw[*i] into out;
 * returns the byte count (1..4) or 0 on malformed input. */
static size_t decode_char(const char *raw, size_t len, size_t *i, uint8_t out[4])
{
    size_t k = *i;
    if (raw[k] != '\\') {
        out[0] = (uint8_t)raw[k];
        *i = k + 1;
        return 1;
    }
    if (k + 1 >= len)
        return 0;
    char e = raw[k + 1];
    *i = k + 2;
    switch (e) {
    case '"':  out[0] = '"';  return 1;
    case '\\': out[0] = '\\'; return 1;
    case '/':  out[0] = '/';  return 1;
    case 'b':  out[0] = '\b'; return 1;
    case 'f':  out[0] = '\f'; return 1;
    case 'n':  out[0] = '\n'; return 1;
    case 'r':  out[0] = '\r'; return 1;
    case 't':  out[0] = '\t'; return 1;
    case 'u':  break;
    default:   return 0;
    }
    int32_t hi = hex4(raw + k + 2, len - k - 2);
    if (hi < 0)
        return 0;
    *i = k + 6;
    uint32_t cp = (uint32_t)hi;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        /* A high surrogate counts only with a low one right after it. */
        if (k + 12 <= len && raw[k + 6] == '\\' && raw[k + 7] == 'u') {
            int32_t lo = hex4(raw + k + 8, len - k - 8);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + ((uint32_t)lo - 0xDC00);
                *i = k + 12;
            } else {
                cp = 0xFFFD;
            }
        } else {
            cp = 0xFFFD;
        }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD;
    }
    return flm_utf8_encode(cp, out);
}

flm_err_t flm_json_string(const flm_json_token_t *t, char *out, size_t cap, size_t *len)
{
    if (len)
        *len = 0;
    if (!t || (t->type != FLM_JSON_STRING && t->type != FLM_JSON_KEY))
        return FLM_ERR_JSON_TYPE;
    if (!out || cap == 0)
        return FLM_ERR_ARG;
    size_t i = 0, o = 0;
    while (i < t->raw_len) {
        uint8_t ch[4];
        size_t n = decode_char(t->raw, t->raw_len, &i, ch);
        if (n == 0) {
            out[0] = '\0';
            return FLM_ERR_JSON_SYNTAX;
        }
        if (n >= cap - o) {
            out[o < cap ? o : cap - 1] = '\0';
            return FLM_ERR_OVERFLOW;
        }
        /* In place, o <= i always: each escape is at least as long as its
         * UTF-8 result, so ch is read before its bytes are overwritten. */
        memcpy(out + o, ch, n);
        o += n;
    }
    out[o] = '\0';
    if (len)
        *len = o;
    return FLM_OK;
}

flm_err_t flm_json_string_len(const flm_json_token_t *t, size_t *len, bool *has_nul)
{
    if (len)
        *len = 0;
    if (has_nul)
        *has_nul = false;
    if (!t || (t->type != FLM_JSON_STRING && t->type != FLM_JSON_KEY))
        return FLM_ERR_JSON_TYPE;
    size_t i = 0, o = 0;
    bool nul = false;
    while (i < t->raw_len) {
        uint8_t ch[4];
        size_t n = decode_char(t->raw, t->raw_len, &i, ch);
        if (n == 0)
            return FLM_ERR_JSON_SYNTAX;
        nul |= n == 1 && ch[0] == 0;
        o += n;
    }
    if (len)
        *len = o;
    if (has_nul)
        *has_nul = nul;
    return FLM_OK;
}

bool flm_json_string_eq(const flm_json_token_t *t, const char *s)
{
    if (!t || !s || (t->type != FLM_JSON_STRING && t->type != FLM_JSON_KEY))
        return false;
    size_t i = 0, o = 0, slen = strlen(s);
    while (i < t->raw_len) {
        uint8_t ch[4];
        size_t n = decode_char(t->raw, t->raw_len, &i, ch);
        if (n == 0 || n > slen - o || memcmp(s + o, ch, n) != 0)
            return false;
        o += n;
    }
    return o == slen;
}

/* ---- paths ------------------------------------------------------------- */

flm_err_t flm_json_find(flm_json_reader_t *r, const char *path, flm_json_token_t *t)
{
    if (!path)
        return FLM_ERR_ARG;
    if (flm_json_next(r, t))
        return r->err;
    const char *p = path;
    while (*p) {
        flm_json_token_t u;
        if (*p == '[') {
            /* [index] */
            p++;
            uint32_t idx = 0;
            if (!is_digit(*p))
                return FLM_ERR_ARG;
            while (is_digit(*p)) {
                if (idx > 100000000u)
                    return FLM_ERR_ARG;
                idx = idx * 10 + (uint32_t)(*p++ - '0');
            }
            if (*p++ != ']')
                return FLM_ERR_ARG;
            if (t->type != FLM_JSON_ARR)
                return FLM_ERR_NOT_FOUND;
            for (uint32_t i = 0;; i++) {
                if (flm_json_next(r, &u))
                    return r->err;
                if (u.type == FLM_JSON_ARR_END)
                    return FLM_ERR_NOT_FOUND;
                if (i == idx)
                    break;
                if (flm_json_skip(r, &u))
                    return r->err;
            }
        } else {
            /* key, up to '.', '[' or the end */
            if (*p == '.')
                p++;
            const char *k = p;
            while (*p && *p != '.' && *p != '[')
                p++;
            size_t klen = (size_t)(p - k);
            if (klen == 0)
                return FLM_ERR_ARG;
            if (t->type != FLM_JSON_OBJ)
                return FLM_ERR_NOT_FOUND;
            char key[64];
            if (klen >= sizeof key)
                return FLM_ERR_ARG;
            memcpy(key, k, klen);
            key[klen] = '\0';
            for (;;) {
                if (flm_json_next(r, &u))
                    return r->err;
                if (u.type == FLM_JSON_OBJ_END)
                    return FLM_ERR_NOT_FOUND;
                bool match = flm_json_string_eq(&u, key);
                if (flm_json_next(r, &u))
                    return r->err;
                if (match)
                    break;
                if (flm_json_skip(r, &u))
                    return r->err;
            }
        }
        *t = u;
        if (*p == '.' && p[1] == '\0')
            return FLM_ERR_ARG;
    }
    return FLM_OK;
}

flm_err_t flm_json_find_int(const char *buf, size_t len, const char *path, int64_t *v)
{
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, buf, len);
    flm_err_t err = flm_json_find(&r, path, &t);
    if (err)
        return err;
    if (t.type != FLM_JSON_NUMBER)
        return FLM_ERR_JSON_TYPE;
    if (!t.is_int)
        return FLM_ERR_JSON_RANGE;
    *v = t.ival;
    return FLM_OK;
}

flm_err_t flm_json_find_string(const char *buf, size_t len, const char *path,
                               char *out, size_t cap, size_t *n)
{
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, buf, len);
    flm_err_t err = flm_json_find(&r, path, &t);
    if (err)
        return err;
    return flm_json_string(&t, out, cap, n);
}

#endif /* FLM_CFG_PROTO */
