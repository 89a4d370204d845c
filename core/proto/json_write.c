#include "core/base/config.h"
#if FLM_CFG_PROTO /* the cloud client and the server; off on boards without a network */
#include "core/proto/json_write.h"

#include <string.h>

#include "core/base/utf8.h"

void flm_json_writer_init(flm_json_writer_t *w, char *buf, size_t cap)
{
    memset(w, 0, sizeof *w);
    w->buf = buf;
    w->cap = cap;
    if (!buf || cap == 0)
        w->err = FLM_ERR_ARG;
}

static flm_err_t fail(flm_json_writer_t *w, flm_err_t err)
{
    if (!w->err)
        w->err = err;
    return w->err;
}

/* Append n bytes, always keeping one byte free for the final NUL. */
static flm_err_t put(flm_json_writer_t *w, const char *s, size_t n)
{
    if (w->err)
        return w->err;
    if (n >= w->cap - w->len)
        return fail(w, FLM_ERR_OVERFLOW);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    return FLM_OK;
}

/* Called before every value: checks a value is allowed here and writes the
 * separating comma. */
static flm_err_t before_value(flm_json_writer_t *w)
{
    if (w->err)
        return w->err;
    if (w->depth == 0)
        return w->root_done ? fail(w, FLM_ERR_STATE) : FLM_OK;
    uint8_t d = (uint8_t)(w->depth - 1);
    if (w->is_obj[d]) {
        if (!w->key_done)
            return fail(w, FLM_ERR_STATE);
        w->key_done = false;
        return FLM_OK;
    }
    if (w->count[d])
        return put(w, ",", 1);
    w->count[d] = 1;
    return FLM_OK;
}

static void after_value(flm_json_writer_t *w)
{
    if (w->depth == 0)
        w->root_done = true;
}

static flm_err_t open_container(flm_json_writer_t *w, bool obj)
{
    if (before_value(w))
        return w->err;
    if (w->depth >= FLM_JSON_WRITE_MAX_DEPTH)
        return fail(w, FLM_ERR_JSON_DEPTH);
    if (put(w, obj ? "{" : "[", 1))
        return w->err;
    w->is_obj[w->depth] = obj;
    w->count[w->depth] = 0;
    w->depth++;
    return FLM_OK;
}

static flm_err_t close_container(flm_json_writer_t *w, bool obj)
{
    if (w->err)
        return w->err;
    if (w->depth == 0 || w->is_obj[w->depth - 1] != obj || w->key_done)
        return fail(w, FLM_ERR_STATE);
    if (put(w, obj ? "}" : "]", 1))
        return w->err;
    w->depth--;
    after_value(w);
    return FLM_OK;
}

flm_err_t flm_json_obj_begin(flm_json_writer_t *w) { return open_container(w, true); }
flm_err_t flm_json_obj_end(flm_json_writer_t *w) { return close_container(w, true); }
flm_err_t flm_json_arr_begin(flm_json_writer_t *w) { return open_container(w, false); }
flm_err_t flm_json_arr_end(flm_json_writer_t *w) { return close_container(w, false); }

/* A quoted, escaped string; UTF-8 is validated and copied as is. */
static flm_err_t put_string(flm_json_writer_t *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!s && n)
        return fail(w, FLM_ERR_ARG);
    if (put(w, "\"", 1))
        return w->err;
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    while (i < n) {
        /* Copy the longest run that needs no escaping in one go. */
        size_t run = i;
        while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        if (run > i && put(w, s + i, run - i))
            return w->err;
        i = run;
        if (i == n)
            break;
        uint8_t c = p[i];
        if (c >= 0x80) {
            uint32_t cp;
            size_t len = flm_utf8_decode(p + i, n - i, &cp);
            if (len == 0)
                return fail(w, FLM_ERR_JSON_UTF8);
            if (put(w, s + i, len))
                return w->err;
            i += len;
            continue;
        }
        char esc[6] = { '\\', 0, 0, 0, 0, 0 };
        size_t elen = 2;
        switch (c) {
        case '"':  esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
            esc[4] = hex[c >> 4]; esc[5] = hex[c & 15];
            elen = 6;
        }
        if (put(w, esc, elen))
            return w->err;
        i++;
    }
    return put(w, "\"", 1);
}

flm_err_t flm_json_key(flm_json_writer_t *w, const char *key)
{
    if (w->err)
        return w->err;
    if (!key || w->depth == 0 || !w->is_obj[w->depth - 1] || w->key_done)
        return fail(w, FLM_ERR_STATE);
    uint8_t d = (uint8_t)(w->depth - 1);
    if (w->count[d] && put(w, ",", 1))
        return w->err;
    w->count[d] = 1;
    if (put_string(w, key, strlen(key)) || put(w, ":", 1))
        return w->err;
    w->key_done = true;
    return FLM_OK;
}

flm_err_t flm_json_strn(flm_json_writer_t *w, const char *s, size_t n)
{
    if (before_value(w) || put_string(w, s, n))
        return w->err;
    after_value(w);
    return FLM_OK;
}

flm_err_t flm_json_str(flm_json_writer_t *w, const char *s)
{
    if (!s)
        return fail(w, FLM_ERR_ARG);
    return flm_json_strn(w, s, strlen(s));
}

static flm_err_t put_literal(flm_json_writer_t *w, const char *lit)
{
    if (before_value(w) || put(w, lit, strlen(lit)))
        return w->err;
    after_value(w);
    return FLM_OK;
}

flm_err_t flm_json_bool(flm_json_writer_t *w, bool v) { return put_literal(w, v ? "true" : "false"); }
flm_err_t flm_json_null(flm_json_writer_t *w) { return put_literal(w, "null"); }

flm_err_t flm_json_fixed(flm_json_writer_t *w, int64_t v, unsigned decimals)
{
    if (decimals > 18)
        return fail(w, FLM_ERR_ARG);
    /* Digits of |v| from the right, in unsigned arithmetic so INT64_MIN works. */
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + (u % 10));
        u /= 10;
    } while (u);
    while (n <= decimals)
        tmp[n++] = '0'; /* at least one digit before the point */
    char out[28];
    size_t o = 0;
    if (v < 0)
        out[o++] = '-';
    while (n > 0) {
        if (n == decimals)
            out[o++] = '.';
        out[o++] = tmp[--n];
    }
    if (before_value(w) || put(w, out, o))
        return w->err;
    after_value(w);
    return FLM_OK;
}

flm_err_t flm_json_int(flm_json_writer_t *w, int64_t v) { return flm_json_fixed(w, v, 0); }

flm_err_t flm_json_writer_finish(flm_json_writer_t *w, size_t *len)
{
    if (!w->err && (w->depth != 0 || !w->root_done))
        fail(w, FLM_ERR_STATE);
    if (w->buf && w->cap)
        w->buf[w->err ? 0 : w->len] = '\0';
    if (len)
        *len = w->err ? 0 : w->len;
    return w->err;
}

#endif /* FLM_CFG_PROTO */
