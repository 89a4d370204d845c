#include "core/base/config.h"
#if FLM_CFG_CLOUD /* the cloud path; off on boards without a network */
#include "core/cloud/openai.h"

#include <string.h>

#include "core/base/config.h"

#include "core/base/utf8.h"
#include "core/base/wipe.h"
#include "core/proto/json_read.h"
#include "core/proto/json_write.h"

flm_err_t flm_openai_write_request(const flm_openai_request_t *rq, char *buf, size_t cap, size_t *len)
{
    if (len)
        *len = 0;
    if (!rq || !rq->model || !rq->model[0] || !rq->prompt || rq->max_tokens < 0)
        return FLM_ERR_ARG;
    flm_json_writer_t w;
    flm_json_writer_init(&w, buf, cap);
    flm_json_obj_begin(&w);
    flm_json_key(&w, "model");
    flm_json_str(&w, rq->model);
    flm_json_key(&w, "messages");
    flm_json_arr_begin(&w);
    if (rq->system) {
        flm_json_obj_begin(&w);
        flm_json_key(&w, "role");
        flm_json_str(&w, "system");
        flm_json_key(&w, "content");
        flm_json_str(&w, rq->system);
        flm_json_obj_end(&w);
    }
    flm_json_obj_begin(&w);
    flm_json_key(&w, "role");
    flm_json_str(&w, "user");
    flm_json_key(&w, "content");
    flm_json_str(&w, rq->prompt);
    flm_json_obj_end(&w);
    flm_json_arr_end(&w);
    if (rq->max_tokens > 0) {
        flm_json_key(&w, "max_tokens");
        flm_json_int(&w, rq->max_tokens);
    }
    if (rq->temperature_milli >= 0) {
        flm_json_key(&w, "temperature");
        flm_json_fixed(&w, rq->temperature_milli, 3);
    }
    flm_json_key(&w, "stream");
    flm_json_bool(&w, rq->stream);
    if (rq->stream && rq->include_usage) {
        flm_json_key(&w, "stream_options");
        flm_json_obj_begin(&w);
        flm_json_key(&w, "include_usage");
        flm_json_bool(&w, true);
        flm_json_obj_end(&w);
    }
    flm_json_obj_end(&w);
    return flm_json_writer_finish(&w, len);
}

void flm_openai_result_init(flm_openai_result_t *res, char *text, size_t text_cap,
                            flm_openai_delta_fn on_delta, void *user)
{
    memset(res, 0, sizeof *res);
    res->text = text;
    res->text_cap = text_cap;
    res->on_delta = on_delta;
    res->user = user;
    if (text && text_cap)
        text[0] = '\0';
}

void flm_openai_result_reset(flm_openai_result_t *res)
{
    const char *secret = res->secret;
    flm_openai_result_init(res, res->text, res->text_cap, res->on_delta, res->user);
    res->secret = secret;
}

void flm_openai_result_set_secret(flm_openai_result_t *res, const char *secret)
{
    res->secret = secret;
}

/* ---- text that quotes the peer ------------------------------------------ */

/* Enough of a peer's text that every byte which can reach an error text
 * (FLM_OPENAI_ERR_MSG_MAX) is there with the secret that may start at it. */
#define SAFE_RAW_MAX (FLM_OPENAI_ERR_MSG_MAX + FLM_CLOUD_KEY_MAX)

/* Mask in buf[0..n) every run that is the secret or a prefix of it of at
 * least FLM_OPENAI_MASK_MIN bytes (or the whole of a shorter secret).
 * Secrets under 4 bytes are not masked: they would hit ordinary words. */
static void mask_secret(char *buf, size_t n, const char *secret)
{
    if (!secret)
        return;
    size_t k = strlen(secret);
    if (k < 4)
        return;
    size_t min = k < FLM_OPENAI_MASK_MIN ? k : FLM_OPENAI_MASK_MIN;
    for (size_t i = 0; i < n;) {
        size_t m = 0;
        while (m < k && i + m < n && buf[i + m] == secret[m])
            m++;
        if (m >= min) {
            memset(buf + i, '*', m);
            i += m;
        } else {
            i++;
        }
    }
}

static size_t put_hex_escape(char *e, const char *prefix, unsigned v)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(prefix);
    memcpy(e, prefix, n);
    e[n] = hex[(v >> 4) & 15u];
    e[n + 1] = hex[v & 15u];
    return n + 2;
}

size_t flm_openai_safe_text(char *out, size_t cap, const char *src, size_t n, const char *secret)
{
    if (!out || cap == 0)
        return 0;
    char raw[SAFE_RAW_MAX];
    size_t m = n < sizeof raw ? n : sizeof raw;
    if (m)
        memcpy(raw, src, m);
    mask_secret(raw, m, secret); /* before any cut, so no part of a key survives it */
    size_t o = 0;
    for (size_t i = 0; i < m;) {
        const uint8_t *u = (const uint8_t *)raw + i;
        char e[8];
        size_t elen, take = 1;
        uint32_t cp = 0;
        size_t seq = flm_utf8_decode(u, m - i, &cp);
        if (u[0] == '\n' || u[0] == '\r' || u[0] == '\t' || u[0] == '\\') {
            e[0] = '\\';
            e[1] = u[0] == '\n' ? 'n' : u[0] == '\r' ? 'r' : u[0] == '\t' ? 't' : '\\';
            elen = 2;
        } else if (u[0] < 0x20 || u[0] == 0x7F) {
            elen = put_hex_escape(e, "\\x", u[0]);
        } else if (seq == 0) {
            elen = put_hex_escape(e, "\\x", u[0]); /* not UTF-8: shown as the byte */
        } else if (cp >= 0x80 && cp <= 0x9F) {
            elen = put_hex_escape(e, "\\u00", cp); /* C1 controls (CSI is U+009B) */
            take = seq;
        } else {
            memcpy(e, u, seq);
            elen = take = seq;
        }
        if (elen > cap - 1 - o)
            break; /* cut at a whole character or escape */
        memcpy(out + o, e, elen);
        o += elen;
        i += take;
    }
    out[o] = '\0';
    flm_wipe(raw, sizeof raw);
    return o;
}

/* A string token, made safe, into out. */
static void safe_token(const flm_openai_result_t *res, const flm_json_token_t *t, char *out,
                       size_t cap)
{
    char raw[SAFE_RAW_MAX];
    raw[0] = '\0';
    size_t n = 0;
    if (flm_json_string(t, raw, sizeof raw, &n) != FLM_OK)
        n = strlen(raw); /* too long: its whole-character prefix */
    flm_openai_safe_text(out, cap, raw, n, res->secret);
    flm_wipe(raw, sizeof raw);
}

/* Copy a string at path into out, if it is there and a string, made safe
 * to print (see openai.h); too long, it keeps a whole-character prefix. */
static void get_string(const flm_openai_result_t *res, const char *json, size_t len,
                       const char *path, char *out, size_t cap)
{
    flm_json_reader_t r;
    flm_json_token_t t;
    out[0] = '\0';
    flm_json_reader_init(&r, json, len);
    if (flm_json_find(&r, path, &t) == FLM_OK && t.type == FLM_JSON_STRING)
        safe_token(res, &t, out, cap);
}

static bool contains(const char *s, const char *word)
{
    return strstr(s, word) != NULL;
}

/* If the document holds an "error" object, record it and return the
 * matching code; FLM_ERR_NOT_FOUND if not. */
static flm_err_t take_error(flm_openai_result_t *res, const char *json, size_t len)
{
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, json, len);
    if (flm_json_find(&r, "error", &t) != FLM_OK || t.type == FLM_JSON_NULL)
        return FLM_ERR_NOT_FOUND;
    res->api_error = true;
    if (t.type == FLM_JSON_STRING) {
        /* Some servers send {"error": "message"}. */
        safe_token(res, &t, res->err_message, sizeof res->err_message);
    } else {
        get_string(res, json, len, "error.type", res->err_type, sizeof res->err_type);
        get_string(res, json, len, "error.code", res->err_code, sizeof res->err_code);
        get_string(res, json, len, "error.message", res->err_message, sizeof res->err_message);
    }
    if (contains(res->err_type, "quota") || contains(res->err_code, "quota"))
        return FLM_ERR_CLOUD_QUOTA;
    return FLM_ERR_CLOUD_API;
}

/* One usage count: absent is fine (*have false); present, it must be an
 * integer in 0..FLM_OPENAI_USAGE_MAX. */
static flm_err_t usage_count(const char *json, size_t len, const char *path, int64_t *v, bool *have)
{
    *have = false;
    flm_err_t err = flm_json_find_int(json, len, path, v);
    if (err == FLM_ERR_NOT_FOUND)
        return FLM_OK;
    if (err || *v < 0 || *v > FLM_OPENAI_USAGE_MAX)
        return FLM_ERR_CLOUD_USAGE;
    *have = true;
    return FLM_OK;
}

static flm_err_t get_usage(flm_openai_result_t *res, const char *json, size_t len)
{
    int64_t p = 0, c = 0, t = 0;
    bool hp, hc, ht;
    flm_err_t err = usage_count(json, len, "usage.prompt_tokens", &p, &hp);
    if (!err)
        err = usage_count(json, len, "usage.completion_tokens", &c, &hc);
    if (!err)
        err = usage_count(json, len, "usage.total_tokens", &t, &ht);
    if (err)
        return err;
    if (hp && hc) {
        res->has_usage = true;
        res->prompt_tokens = p;
        res->completion_tokens = c;
        res->total_tokens = ht ? t : p + c; /* both bounded: no overflow */
    }
    return FLM_OK;
}

/* Append the string token t to the answer and hand the new piece on. */
static flm_err_t append_text(flm_openai_result_t *res, const flm_json_token_t *t)
{
    if (!res->text || res->text_cap <= res->text_len)
        return FLM_ERR_CLOUD_ANSWER_TOO_LONG;
    char *at = res->text + res->text_len;
    size_t n = 0;
    flm_err_t err = flm_json_string(t, at, res->text_cap - res->text_len, &n);
    if (err) {
        *at = '\0';
        return err == FLM_ERR_OVERFLOW ? FLM_ERR_CLOUD_ANSWER_TOO_LONG : err;
    }
    res->text_len += n;
    if (n && res->on_delta)
        return res->on_delta(res->user, at, n);
    return FLM_OK;
}

/* The string (or null) at path appended to the answer; absent is fine. */
static flm_err_t take_text(flm_openai_result_t *res, const char *json, size_t len, const char *path)
{
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, json, len);
    flm_err_t err = flm_json_find(&r, path, &t);
    if (err == FLM_ERR_NOT_FOUND || (!err && t.type == FLM_JSON_NULL))
        return FLM_OK;
    if (err)
        return err;
    if (t.type != FLM_JSON_STRING)
        return FLM_ERR_CLOUD_PROTOCOL;
    return append_text(res, &t);
}

/* Common checks: valid JSON, an object, no error object. */
static flm_err_t check_document(flm_openai_result_t *res, const char *json, size_t len)
{
    flm_err_t err = flm_json_validate(json, len);
    if (err)
        return err;
    size_t i = 0;
    while (i < len && json[i] != '{')
        i++; /* validated: only whitespace can precede the root */
    if (i == len)
        return FLM_ERR_CLOUD_PROTOCOL;
    err = take_error(res, json, len);
    return err == FLM_ERR_NOT_FOUND ? FLM_OK : err;
}

flm_err_t flm_openai_parse_response(flm_openai_result_t *res, const char *json, size_t len)
{
    flm_err_t err = check_document(res, json, len);
    if (err)
        return err;
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, json, len);
    if (flm_json_find(&r, "choices[0].message", &t) != FLM_OK || t.type != FLM_JSON_OBJ)
        return FLM_ERR_CLOUD_PROTOCOL;
    err = take_text(res, json, len, "choices[0].message.content");
    if (err)
        return err;
    get_string(res, json, len, "choices[0].finish_reason", res->finish_reason,
               sizeof res->finish_reason);
    err = get_usage(res, json, len);
    if (err)
        return err;
    res->done = true;
    return FLM_OK;
}

flm_err_t flm_openai_parse_error(flm_openai_result_t *res, const char *json, size_t len)
{
    if (flm_json_validate(json, len) != FLM_OK)
        return FLM_ERR_NOT_FOUND;
    return take_error(res, json, len);
}

flm_err_t flm_openai_parse_chunk(flm_openai_result_t *res, const char *data, size_t len)
{
    size_t a = 0, b = len;
    while (a < b && (data[a] == ' ' || data[a] == '\t' || data[a] == '\n' || data[a] == '\r'))
        a++;
    while (b > a && (data[b - 1] == ' ' || data[b - 1] == '\t' || data[b - 1] == '\n' || data[b - 1] == '\r'))
        b--;
    if (b - a == 6 && memcmp(data + a, "[DONE]", 6) == 0) {
        res->done = true;
        return FLM_OK;
    }
    if (res->done)
        return FLM_OK; /* nothing after [DONE] counts */
    flm_err_t err = check_document(res, data, len);
    if (err)
        return err;
    res->chunks++;
    err = take_text(res, data, len, "choices[0].delta.content");
    if (err)
        return err;
    char fr[FLM_OPENAI_FINISH_MAX];
    get_string(res, data, len, "choices[0].finish_reason", fr, sizeof fr);
    if (fr[0])
        memcpy(res->finish_reason, fr, sizeof fr);
    return get_usage(res, data, len);
}

/* ---- streaming glue ------------------------------------------------------ */

static flm_err_t on_event(void *user, const char *type, char *data, size_t len)
{
    flm_openai_stream_t *st = user;
    if (strcmp(type, "error") == 0) {
        /* An "event: error" carries an error object, or at least means one. */
        flm_err_t err = flm_openai_parse_error(st->res, data, len);
        if (err == FLM_ERR_NOT_FOUND) {
            st->res->api_error = true;
            return FLM_ERR_CLOUD_API;
        }
        return err;
    }
    return flm_openai_parse_chunk(st->res, data, len);
}

flm_err_t flm_openai_stream_init(flm_openai_stream_t *st, char *event_buf, size_t cap,
                                 flm_openai_result_t *res)
{
    st->res = res;
    return flm_sse_init(&st->sse, event_buf, cap, on_event, st);
}

flm_err_t flm_openai_stream_feed(flm_openai_stream_t *st, const uint8_t *body, size_t n)
{
    return flm_sse_feed(&st->sse, body, n);
}

flm_err_t flm_openai_stream_finish(flm_openai_stream_t *st)
{
    flm_err_t err = flm_sse_finish(&st->sse);
    if (err && err != FLM_ERR_SSE_TRUNCATED)
        return err;
    return st->res->done ? FLM_OK : FLM_ERR_CLOUD_NO_DONE;
}

#endif /* FLM_CFG_CLOUD */
