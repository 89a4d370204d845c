/* The server's OpenAI request decoding and response bodies. */
#include "core/base/config.h"
#if FLM_CFG_SERVER
#include "core/server/priv/server_openai.h"

#include <stdarg.h>
#include <string.h>

#include "core/base/fmt.h"
#include "core/base/parse.h"
#include "core/base/q16.h"
#include "core/proto/json_read.h"

void flm_srv_error_set(flm_srv_error_t *e, int status, const char *type, const char *param,
                       const char *code, const char *fmt, ...)
{
    e->status = status;
    e->type = type;
    e->code = code;
    flm_snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    flm_vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* ---- numbers ------------------------------------------------------------------- */

bool flm_srv_number_q16(const char *raw, size_t n, uint32_t max_q16, uint32_t *q)
{
    /* Rewrite the literal as plain decimal ("7e-1" -> "0.7") for flm_parse_q16. */
    char digits[24], dec[64];
    size_t nd = 0, i = 0;
    long point = 0; /* digits before the decimal point */
    bool seen_point = false;
    if (n == 0 || raw[0] == '-')
        return false;
    bool any = false;
    for (; i < n && ((raw[i] >= '0' && raw[i] <= '9') || raw[i] == '.'); i++) {
        any |= raw[i] != '.';
        if (raw[i] == '.') {
            if (seen_point)
                return false;
            seen_point = true;
            continue;
        }
        if (nd == 0 && raw[i] == '0' && !seen_point)
            continue; /* leading zeros of the integer part */
        if (nd < sizeof digits) {
            digits[nd++] = raw[i];
            if (!seen_point)
                point++;
        } else if (!seen_point) {
            return false; /* far too large */
        }
    }
    if (!any)
        return false;
    if (i < n) {
        if (raw[i] != 'e' && raw[i] != 'E')
            return false;
        i++;
        bool neg = false;
        if (i < n && (raw[i] == '+' || raw[i] == '-'))
            neg = raw[i++] == '-';
        uint64_t ex;
        if (!flm_parse_uint(raw + i, n - i, 10, 99, &ex))
            return false;
        point += neg ? -(long)ex : (long)ex;
    }
    size_t k = 0;
    if (point > 12)
        return false;
    if (point <= 0) {
        if (-point > 30)
            point = -30; /* well below Q16's resolution: reads as 0 */
        dec[k++] = '0';
        dec[k++] = '.';
        for (long z = 0; z < -point && k < sizeof dec - 1; z++)
            dec[k++] = '0';
        for (size_t d = 0; d < nd && k < sizeof dec - 1; d++)
            dec[k++] = digits[d];
    } else {
        for (long d = 0; d < point; d++)
            dec[k++] = (size_t)d < nd ? digits[d] : '0';
        if ((size_t)point < nd) {
            dec[k++] = '.';
            for (size_t d = (size_t)point; d < nd && k < sizeof dec - 1; d++)
                dec[k++] = digits[d];
        }
    }
    if (k == 0)
        dec[k++] = '0';
    uint32_t v;
    if (!flm_parse_q16(dec, k, &v) || v > max_q16)
        return false;
    *q = v;
    return true;
}

/* ---- decoding ---------------------------------------------------------------- */

typedef struct {
    flm_srv_request_t *rq;
    flm_srv_error_t   *e;
    char  *text;          /* fill mode: the output */
    size_t cap;
    size_t sys_at, prompt_at; /* fill: where the next byte goes */
    size_t sys_len, prompt_len;
    bool   sys_any, prompt_any; /* a part was added (separators go between) */
    bool   has_nul;
} dec_t;

/* "messages[3].content" */
typedef struct {
    char s[FLM_SRV_PARAM_MAX];
} param_t;

static param_t param_at(const char *what, uint32_t i, const char *field)
{
    param_t p = { { 0 } }; /* (cppcheck cannot see flm_snprintf fill it) */
    flm_snprintf(p.s, sizeof p.s, "%s[%u]%s%s", what, (unsigned)i, field ? "." : "",
                 field ? field : "");
    return p;
}

static const char *type_name(flm_json_type_t t)
{
    switch (t) {
    case FLM_JSON_OBJ:    return "an object";
    case FLM_JSON_ARR:    return "an array";
    case FLM_JSON_STRING: return "a string";
    case FLM_JSON_NUMBER: return "a number";
    case FLM_JSON_TRUE:
    case FLM_JSON_FALSE:  return "a boolean";
    case FLM_JSON_NULL:   return "null";
    default:              return "something else";
    }
}

static flm_err_t bad_type(dec_t *d, const char *param, const char *want, const flm_json_token_t *t)
{
    flm_srv_error_set(d->e, 400, "invalid_request_error", param, "invalid_type",
                      "Invalid type for '%s': expected %s, but got %s.", param, want,
                      type_name(t->type));
    return FLM_ERR_ARG;
}

static flm_err_t bad_value(dec_t *d, const char *param, const char *fmt, ...)
    FLM_PRINTF_LIKE(3, 4);
static flm_err_t bad_value(dec_t *d, const char *param, const char *fmt, ...)
{
    char why[128];
    va_list ap;
    va_start(ap, fmt);
    flm_vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    flm_srv_error_set(d->e, 400, "invalid_request_error", param, "invalid_value",
                      "Invalid value for '%s': %s", param, why);
    return FLM_ERR_ARG;
}

static flm_err_t unsupported(dec_t *d, const char *param, const char *what)
{
    flm_srv_error_set(d->e, 400, "invalid_request_error", param, "unsupported_parameter",
                      "%s is not supported by this server.", what);
    return FLM_ERR_ARG;
}

static flm_err_t json_error(dec_t *d, flm_err_t err)
{
    flm_srv_error_set(d->e, 400, "invalid_request_error", NULL, "invalid_json",
                      "We could not parse the JSON body of your request (%s).", flm_strerror(err));
    return FLM_ERR_ARG;
}

/* Add a separator, then a string token's text, to the system text or the prompt. */
static flm_err_t add_text(dec_t *d, bool system, const char *sep, const flm_json_token_t *t)
{
    bool *any = system ? &d->sys_any : &d->prompt_any;
    size_t *len = system ? &d->sys_len : &d->prompt_len;
    size_t slen = *any ? strlen(sep) : 0;
    size_t n;
    bool nul;
    flm_err_t err = flm_json_string_len(t, &n, &nul);
    if (err)
        return json_error(d, err);
    d->has_nul |= nul;
    if (d->text) {
        size_t *at = system ? &d->sys_at : &d->prompt_at;
        size_t end = system ? d->rq->system_len : d->rq->system_len + 1 + d->rq->prompt_len;
        if (*at + slen + n > end || end + 1 > d->cap)
            return FLM_ERR_OVERFLOW; /* not what the checking pass measured */
        memcpy(d->text + *at, sep, slen);
        *at += slen;
        size_t got = 0;
        err = flm_json_string(t, d->text + *at, d->cap - *at, &got);
        if (err)
            return err;
        *at += got;
    }
    *len += slen + n;
    *any = true;
    return FLM_OK;
}

/* A message's content: a string, null, or text parts. r is positioned
 * after t (the content's first token). */
static flm_err_t content(dec_t *d, flm_json_reader_t *r, const flm_json_token_t *t, bool system,
                         uint32_t idx)
{
    const char *sep = system ? "\n" : "\n\n";
    if (t->type == FLM_JSON_STRING)
        return add_text(d, system, sep, t);
    if (t->type == FLM_JSON_NULL)
        return FLM_OK;
    if (t->type != FLM_JSON_ARR)
        return bad_type(d, param_at("messages", idx, "content").s, "a string or an array", t);
    bool first = true;
    for (;;) {
        flm_json_token_t p;
        flm_err_t err = flm_json_next(r, &p);
        if (err)
            return json_error(d, err);
        if (p.type == FLM_JSON_ARR_END)
            return FLM_OK;
        if (p.type != FLM_JSON_OBJ)
            return bad_type(d, param_at("messages", idx, "content").s, "an array of objects", &p);
        flm_json_token_t text = { .type = FLM_JSON_END };
        bool is_text = false, has_type = false;
        for (;;) {
            flm_json_token_t k, v;
            if ((err = flm_json_next(r, &k)) != FLM_OK)
                return json_error(d, err);
            if (k.type == FLM_JSON_OBJ_END)
                break;
            if ((err = flm_json_next(r, &v)) != FLM_OK)
                return json_error(d, err);
            if (flm_json_string_eq(&k, "type")) {
                has_type = true;
                is_text = v.type == FLM_JSON_STRING && flm_json_string_eq(&v, "text");
            } else if (flm_json_string_eq(&k, "text")) {
                text = v;
            }
            if ((err = flm_json_skip(r, &v)) != FLM_OK)
                return json_error(d, err);
        }
        if (!has_type || !is_text)
            return unsupported(d, param_at("messages", idx, "content").s,
                               "Content other than text (images, audio, files)");
        if (text.type != FLM_JSON_STRING)
            return bad_type(d, param_at("messages", idx, "content").s, "a text part with a string",
                            &text);
        if ((err = add_text(d, system, first ? sep : "\n", &text)) != FLM_OK)
            return err;
        first = false;
    }
}

static flm_err_t messages(dec_t *d, flm_json_reader_t *r, const flm_json_token_t *t)
{
    if (t->type != FLM_JSON_ARR)
        return bad_type(d, "messages", "an array", t);
    uint32_t idx = 0, turns = 0;
    for (;; idx++) {
        flm_json_token_t m;
        flm_err_t err = flm_json_next(r, &m);
        if (err)
            return json_error(d, err);
        if (m.type == FLM_JSON_ARR_END)
            break;
        if (m.type != FLM_JSON_OBJ)
            return bad_type(d, param_at("messages", idx, NULL).s, "an object", &m);
        char role[16] = "";
        bool has_role = false, has_content = false;
        flm_json_reader_t at;      /* the reader at the content's value */
        flm_json_token_t ct = { .type = FLM_JSON_NULL };
        for (;;) {
            flm_json_token_t k, v;
            if ((err = flm_json_next(r, &k)) != FLM_OK)
                return json_error(d, err);
            if (k.type == FLM_JSON_OBJ_END)
                break;
            if ((err = flm_json_next(r, &v)) != FLM_OK)
                return json_error(d, err);
            if (flm_json_string_eq(&k, "role")) {
                if (v.type != FLM_JSON_STRING)
                    return bad_type(d, param_at("messages", idx, "role").s, "a string", &v);
                if (flm_json_string(&v, role, sizeof role, NULL) != FLM_OK)
                    role[0] = '\0';
                has_role = true;
            } else if (flm_json_string_eq(&k, "content")) {
                at = *r;
                ct = v;
                has_content = true;
            }
            if ((err = flm_json_skip(r, &v)) != FLM_OK)
                return json_error(d, err);
        }
        if (!has_role) {
            flm_srv_error_set(d->e, 400, "invalid_request_error", param_at("messages", idx, "role").s,
                              "missing_required_parameter",
                              "Missing required parameter: '%s'.", d->e->param);
            return FLM_ERR_ARG;
        }
        bool system = strcmp(role, "system") == 0 || strcmp(role, "developer") == 0;
        bool turn = strcmp(role, "user") == 0 || strcmp(role, "assistant") == 0;
        if (!system && !turn) {
            if (strcmp(role, "tool") == 0 || strcmp(role, "function") == 0)
                return unsupported(d, param_at("messages", idx, "role").s, "Tool and function messages");
            return bad_value(d, param_at("messages", idx, "role").s,
                             "expected one of 'system', 'developer', 'user', 'assistant'.");
        }
        if (!has_content && strcmp(role, "assistant") != 0) {
            flm_srv_error_set(d->e, 400, "invalid_request_error",
                              param_at("messages", idx, "content").s, "missing_required_parameter",
                              "Missing required parameter: '%s'.", d->e->param);
            return FLM_ERR_ARG;
        }
        if (has_content) {
            /* a fresh reader positioned at the value: only arrays read on */
            flm_json_reader_t rc = at;
            if ((err = content(d, &rc, &ct, system, idx)) != FLM_OK)
                return err;
        }
        turns += turn;
        if (system)
            d->rq->has_system = true;
    }
    if (turns == 0) {
        flm_srv_error_set(d->e, 400, "invalid_request_error", "messages", "invalid_value",
                          "'messages' must hold at least one user or assistant message.");
        return FLM_ERR_ARG;
    }
    return FLM_OK;
}

static flm_err_t prompt_field(dec_t *d, flm_json_reader_t *r, const flm_json_token_t *t)
{
    if (t->type == FLM_JSON_STRING)
        return add_text(d, false, "", t);
    if (t->type != FLM_JSON_ARR)
        return bad_type(d, "prompt", "a string or an array of one string", t);
    flm_json_token_t p, end;
    flm_err_t err = flm_json_next(r, &p);
    if (err)
        return json_error(d, err);
    if (p.type == FLM_JSON_NUMBER || (p.type == FLM_JSON_ARR))
        return unsupported(d, "prompt", "A prompt of token ids");
    if (p.type != FLM_JSON_STRING)
        return bad_type(d, "prompt", "a string or an array of one string", &p);
    if ((err = flm_json_next(r, &end)) != FLM_OK)
        return json_error(d, err);
    if (end.type != FLM_JSON_ARR_END)
        return unsupported(d, "prompt", "More than one prompt in a request");
    return add_text(d, false, "", &p);
}

static flm_err_t stop_field(dec_t *d, flm_json_reader_t *r, const flm_json_token_t *t)
{
    flm_srv_request_t *rq = d->rq;
    flm_json_token_t s = *t;
    bool list = t->type == FLM_JSON_ARR;
    if (!list && t->type != FLM_JSON_STRING)
        return bad_type(d, "stop", "a string or an array of strings", t);
    for (;;) {
        flm_err_t err;
        if (list) {
            if ((err = flm_json_next(r, &s)) != FLM_OK)
                return json_error(d, err);
            if (s.type == FLM_JSON_ARR_END)
                return FLM_OK;
            if (s.type != FLM_JSON_STRING)
                return bad_type(d, "stop", "a string or an array of strings", &s);
        }
        if (rq->n_stop >= FLM_SERVER_STOP_MAX)
            return bad_value(d, "stop", "at most %u sequences.", (unsigned)FLM_SERVER_STOP_MAX);
        size_t n;
        bool nul;
        if ((err = flm_json_string_len(&s, &n, &nul)) != FLM_OK)
            return json_error(d, err);
        if (n == 0 || nul)
            return bad_value(d, "stop", "a stop sequence must not be empty or hold NUL.");
        if (n >= FLM_SERVER_STOP_BYTES)
            return bad_value(d, "stop", "a stop sequence is at most %u bytes.",
                             (unsigned)FLM_SERVER_STOP_BYTES - 1);
        flm_json_string(&s, rq->stop[rq->n_stop], sizeof rq->stop[0], NULL);
        rq->n_stop++;
        if (!list)
            return FLM_OK;
    }
}

static flm_err_t want_bool(dec_t *d, const char *param, const flm_json_token_t *v, bool *out)
{
    if (v->type == FLM_JSON_TRUE || v->type == FLM_JSON_FALSE) {
        *out = v->type == FLM_JSON_TRUE;
        return FLM_OK;
    }
    return bad_type(d, param, "a boolean", v);
}

static flm_err_t stream_options(dec_t *d, flm_json_reader_t *r, const flm_json_token_t *t)
{
    if (t->type != FLM_JSON_OBJ)
        return bad_type(d, "stream_options", "an object", t);
    for (;;) {
        flm_json_token_t k, v;
        flm_err_t err;
        if ((err = flm_json_next(r, &k)) != FLM_OK)
            return json_error(d, err);
        if (k.type == FLM_JSON_OBJ_END)
            return FLM_OK;
        if ((err = flm_json_next(r, &v)) != FLM_OK)
            return json_error(d, err);
        if (flm_json_string_eq(&k, "include_usage") && v.type != FLM_JSON_NULL) {
            if ((err = want_bool(d, "stream_options.include_usage", &v, &d->rq->include_usage)))
                return err;
        } else if ((err = flm_json_skip(r, &v)) != FLM_OK) {
            return json_error(d, err);
        }
    }
}

/* One top-level field; r is after v, its value's first token. */
static flm_err_t field(dec_t *d, flm_srv_kind_t kind, flm_json_reader_t *r,
                       const flm_json_token_t *k, const flm_json_token_t *v, bool *seen_main,
                       bool *seen_options)
{
    flm_srv_request_t *rq = d->rq;
    flm_err_t err;
    if (v->type == FLM_JSON_NULL)
        return FLM_OK; /* null: as if absent */
    if (kind == FLM_SRV_CHAT && flm_json_string_eq(k, "messages")) {
        *seen_main = true;
        return messages(d, r, v);
    }
    if (kind == FLM_SRV_TEXT && flm_json_string_eq(k, "prompt")) {
        *seen_main = true;
        return prompt_field(d, r, v);
    }
    if (flm_json_string_eq(k, "model")) {
        if (v->type != FLM_JSON_STRING)
            return bad_type(d, "model", "a string", v);
    } else if (flm_json_string_eq(k, "max_tokens") ||
               flm_json_string_eq(k, "max_completion_tokens")) {
        const char *name = flm_json_string_eq(k, "max_tokens") ? "max_tokens" : "max_completion_tokens";
        if (v->type != FLM_JSON_NUMBER || !v->is_int)
            return bad_type(d, name, "an integer", v);
        if (v->ival < 1 || v->ival > 1000000)
            return bad_value(d, name, "expected an integer from 1 to 1000000.");
        rq->max_tokens = (uint32_t)v->ival;
    } else if (flm_json_string_eq(k, "temperature")) {
        if (v->type != FLM_JSON_NUMBER)
            return bad_type(d, "temperature", "a number", v);
        if (!flm_srv_number_q16(v->raw, v->raw_len, 2u * FLM_Q16_ONE, &rq->temperature))
            return bad_value(d, "temperature", "expected a number from 0 to 2.");
        rq->has_temperature = true;
    } else if (flm_json_string_eq(k, "top_p")) {
        if (v->type != FLM_JSON_NUMBER)
            return bad_type(d, "top_p", "a number", v);
        if (!flm_srv_number_q16(v->raw, v->raw_len, FLM_Q16_ONE, &rq->top_p))
            return bad_value(d, "top_p", "expected a number from 0 to 1.");
        rq->has_top_p = true;
    } else if (flm_json_string_eq(k, "seed")) {
        if (v->type != FLM_JSON_NUMBER || !v->is_int)
            return bad_type(d, "seed", "an integer", v);
        rq->seed = (uint64_t)v->ival;
        rq->has_seed = true;
    } else if (flm_json_string_eq(k, "stop")) {
        return stop_field(d, r, v);
    } else if (flm_json_string_eq(k, "stream")) {
        return want_bool(d, "stream", v, &rq->stream);
    } else if (flm_json_string_eq(k, "stream_options")) {
        *seen_options = true;
        return stream_options(d, r, v);
    } else if (flm_json_string_eq(k, "n") || flm_json_string_eq(k, "best_of")) {
        const char *name = flm_json_string_eq(k, "n") ? "n" : "best_of";
        if (v->type != FLM_JSON_NUMBER || !v->is_int)
            return bad_type(d, name, "an integer", v);
        if (v->ival != 1)
            return unsupported(d, name, "More than one choice per request");
    } else if (kind == FLM_SRV_TEXT && flm_json_string_eq(k, "echo")) {
        return want_bool(d, "echo", v, &rq->echo);
    } else if (flm_json_string_eq(k, "logprobs") || flm_json_string_eq(k, "top_logprobs")) {
        /* off: false, or 0 */
        bool off = v->type == FLM_JSON_FALSE || (v->type == FLM_JSON_NUMBER && v->is_int && v->ival == 0);
        if (!off)
            return unsupported(d, flm_json_string_eq(k, "logprobs") ? "logprobs" : "top_logprobs",
                               "Log probabilities");
    } else if (flm_json_string_eq(k, "tools") || flm_json_string_eq(k, "functions")) {
        if (v->type != FLM_JSON_ARR)
            return bad_type(d, flm_json_string_eq(k, "tools") ? "tools" : "functions", "an array", v);
        flm_json_reader_t peek = *r;
        flm_json_token_t first;
        if ((err = flm_json_next(&peek, &first)) != FLM_OK)
            return json_error(d, err);
        if (first.type != FLM_JSON_ARR_END)
            return unsupported(d, flm_json_string_eq(k, "tools") ? "tools" : "functions",
                               "Tool calling");
    } else if (flm_json_string_eq(k, "response_format")) {
        if (v->type != FLM_JSON_OBJ)
            return bad_type(d, "response_format", "an object", v);
        /* a reader of its own over the object: its "type" */
        flm_json_reader_t sub;
        flm_json_token_t ty;
        char name[16] = "";
        flm_json_reader_init(&sub, v->raw, r->len - (size_t)(v->raw - r->buf));
        if (flm_json_find(&sub, "type", &ty) == FLM_OK && ty.type == FLM_JSON_STRING)
            flm_json_string(&ty, name, sizeof name, NULL);
        if (strcmp(name, "text") != 0)
            return unsupported(d, "response_format", "A response format other than text");
    }
    if ((err = flm_json_skip(r, v)) != FLM_OK)
        return json_error(d, err);
    return FLM_OK;
}

flm_err_t flm_srv_decode(flm_srv_kind_t kind, const char *body, size_t len, flm_srv_request_t *rq,
                         char *text, size_t cap, const char **prompt, const char **system,
                         flm_srv_error_t *e)
{
    if (!rq || !e || (!body && len))
        return FLM_ERR_ARG;
    size_t sys_len = rq->system_len, prompt_len = rq->prompt_len;
    if (!text) {
        memset(rq, 0, sizeof *rq);
        rq->kind = (uint8_t)kind;
    } else {
        /* the fill pass: the fields again, the texts where the check measured them */
        memset(rq, 0, sizeof *rq);
        rq->kind = (uint8_t)kind;
        rq->system_len = sys_len;
        rq->prompt_len = prompt_len;
        if (sys_len + prompt_len + 2 > cap)
            return FLM_ERR_OVERFLOW;
    }
    dec_t d = { .rq = rq, .e = e, .text = text, .cap = cap, .sys_at = 0,
                .prompt_at = text ? sys_len + 1 : 0 };
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, body ? body : "", len);
    flm_err_t err = flm_json_next(&r, &t);
    if (err)
        return json_error(&d, err);
    if (t.type != FLM_JSON_OBJ) {
        flm_srv_error_set(e, 400, "invalid_request_error", NULL, "invalid_json",
                          "The request body must be a JSON object.");
        return FLM_ERR_ARG;
    }
    bool seen_main = false, seen_options = false;
    for (;;) {
        flm_json_token_t k, v;
        if ((err = flm_json_next(&r, &k)) != FLM_OK)
            return json_error(&d, err);
        if (k.type == FLM_JSON_OBJ_END)
            break;
        if ((err = flm_json_next(&r, &v)) != FLM_OK)
            return json_error(&d, err);
        if ((err = field(&d, kind, &r, &k, &v, &seen_main, &seen_options)) != FLM_OK)
            return err;
    }
    if ((err = flm_json_next(&r, &t)) != FLM_OK || t.type != FLM_JSON_END)
        return json_error(&d, err ? err : FLM_ERR_JSON_SYNTAX);
    if (!seen_main) {
        const char *name = kind == FLM_SRV_CHAT ? "messages" : "prompt";
        flm_srv_error_set(e, 400, "invalid_request_error", name, "missing_required_parameter",
                          "Missing required parameter: '%s'.", name);
        return FLM_ERR_ARG;
    }
    if (seen_options && !rq->stream && rq->include_usage) {
        flm_srv_error_set(e, 400, "invalid_request_error", "stream_options", "invalid_value",
                          "The 'stream_options' parameter is only allowed when 'stream' is true.");
        return FLM_ERR_ARG;
    }
    if (d.has_nul) {
        flm_srv_error_set(e, 400, "invalid_request_error", kind == FLM_SRV_CHAT ? "messages" : "prompt",
                          "invalid_value", "The text must not hold NUL characters.");
        return FLM_ERR_ARG;
    }
    if (!text) {
        rq->system_len = d.sys_len;
        rq->prompt_len = d.prompt_len;
    } else {
        if (d.sys_len != sys_len || d.prompt_len != prompt_len)
            return FLM_ERR_STATE; /* the body changed between the passes */
        text[sys_len] = '\0';
        text[sys_len + 1 + prompt_len] = '\0';
        if (prompt)
            *prompt = text + sys_len + 1;
        if (system)
            *system = rq->has_system ? text : NULL;
    }
    return FLM_OK;
}

/* ---- output ------------------------------------------------------------------ */

void flm_srv_out_init(flm_srv_out_t *o, char *buf, size_t cap, flm_srv_flush_fn flush, void *user)
{
    memset(o, 0, sizeof *o);
    o->buf = buf;
    o->cap = cap;
    o->flush = flush;
    o->user = user;
}

static void out_flush(flm_srv_out_t *o)
{
    if (o->flush && !o->err && o->len)
        o->err = o->flush(o->user, o->buf, o->len);
    o->len = 0;
}

void flm_srv_put(flm_srv_out_t *o, const char *s, size_t n)
{
    o->total += n;
    while (n) {
        if (o->len == o->cap)
            out_flush(o);
        size_t k = o->cap - o->len < n ? o->cap - o->len : n;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        n -= k;
    }
}

void flm_srv_puts(flm_srv_out_t *o, const char *s)
{
    flm_srv_put(o, s, strlen(s));
}

void flm_srv_put_u64(flm_srv_out_t *o, uint64_t v)
{
    char tmp[24];
    size_t n = sizeof tmp;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    flm_srv_put(o, tmp + n, sizeof tmp - n);
}

static void put_i64(flm_srv_out_t *o, int64_t v)
{
    if (v < 0) {
        flm_srv_put(o, "-", 1);
        flm_srv_put_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        flm_srv_put_u64(o, (uint64_t)v);
    }
}

static void put_hex(flm_srv_out_t *o, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";
    char tmp[16];
    size_t n = sizeof tmp;
    do {
        tmp[--n] = hex[v & 15u];
        v >>= 4;
    } while (v);
    flm_srv_put(o, tmp + n, sizeof tmp - n);
}

void flm_srv_put_json(flm_srv_out_t *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    flm_srv_put(o, "\"", 1);
    size_t run = 0; /* bytes passed through as they are, not yet put */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            run++;
            continue;
        }
        flm_srv_put(o, s + i - run, run);
        run = 0;
        char esc[6] = { '\\', 0 };
        size_t k = 2;
        switch (c) {
        case '"':  esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15u];
            k = 6;
        }
        flm_srv_put(o, esc, k);
    }
    flm_srv_put(o, s + n - run, run);
    flm_srv_put(o, "\"", 1);
}

static void put_jsonz(flm_srv_out_t *o, const char *s)
{
    if (s)
        flm_srv_put_json(o, s, strlen(s));
    else
        flm_srv_puts(o, "null");
}

flm_err_t flm_srv_out_end(flm_srv_out_t *o)
{
    out_flush(o);
    return o->err;
}

void flm_srv_write_error(flm_srv_out_t *o, const flm_srv_error_t *e)
{
    flm_srv_puts(o, "{\"error\":{\"message\":");
    put_jsonz(o, e->message);
    flm_srv_puts(o, ",\"type\":");
    put_jsonz(o, e->type ? e->type : "invalid_request_error");
    flm_srv_puts(o, ",\"param\":");
    put_jsonz(o, e->param[0] ? e->param : NULL);
    flm_srv_puts(o, ",\"code\":");
    put_jsonz(o, e->code);
    flm_srv_puts(o, "}}");
}

/* "id":..,"object":..,"created":..,"model":.. */
static void head_fields(flm_srv_out_t *o, const flm_srv_answer_t *a, const char *object)
{
    flm_srv_puts(o, a->kind == FLM_SRV_CHAT ? "{\"id\":\"chatcmpl-" : "{\"id\":\"cmpl-");
    put_hex(o, a->id);
    flm_srv_puts(o, "\",\"object\":\"");
    flm_srv_puts(o, object);
    flm_srv_puts(o, "\",\"created\":");
    put_i64(o, a->created);
    flm_srv_puts(o, ",\"model\":");
    put_jsonz(o, a->model ? a->model : "");
    flm_srv_puts(o, ",\"system_fingerprint\":\"fieldlm\"");
}

static void usage(flm_srv_out_t *o, const flm_srv_answer_t *a)
{
    flm_srv_puts(o, ",\"usage\":{\"prompt_tokens\":");
    flm_srv_put_u64(o, a->prompt_tokens);
    flm_srv_puts(o, ",\"completion_tokens\":");
    flm_srv_put_u64(o, a->completion_tokens);
    flm_srv_puts(o, ",\"total_tokens\":");
    flm_srv_put_u64(o, (uint64_t)a->prompt_tokens + a->completion_tokens);
    flm_srv_puts(o, "}");
}

/* Which route answered, and why: the same as x-fieldlm-route. */
static void route(flm_srv_out_t *o, const flm_srv_answer_t *a)
{
    flm_srv_puts(o, ",\"fieldlm\":{\"route\":");
    flm_srv_puts(o, a->cloud ? "\"cloud\"" : "\"local\"");
    flm_srv_puts(o, ",\"reason\":");
    put_jsonz(o, a->reason ? a->reason : "");
    flm_srv_puts(o, ",\"degraded\":");
    flm_srv_puts(o, a->degraded ? "true" : "false");
    flm_srv_puts(o, ",\"score\":");
    flm_srv_puts(o, a->score ? a->score : "null");
    flm_srv_puts(o, "}");
}

void flm_srv_write_completion(flm_srv_out_t *o, const flm_srv_answer_t *a)
{
    bool chat = a->kind == FLM_SRV_CHAT;
    head_fields(o, a, chat ? "chat.completion" : "text_completion");
    if (chat) {
        flm_srv_puts(o, ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
        flm_srv_put_json(o, a->text ? a->text : "", a->text_len);
        flm_srv_puts(o, ",\"refusal\":null},\"logprobs\":null,\"finish_reason\":");
    } else {
        flm_srv_puts(o, ",\"choices\":[{\"text\":");
        flm_srv_put_json(o, a->text ? a->text : "", a->text_len);
        flm_srv_puts(o, ",\"index\":0,\"logprobs\":null,\"finish_reason\":");
    }
    put_jsonz(o, a->finish_reason ? a->finish_reason : "stop");
    flm_srv_puts(o, "}]");
    usage(o, a);
    route(o, a);
    flm_srv_puts(o, "}\n");
}

void flm_srv_write_chunk(flm_srv_out_t *o, const flm_srv_answer_t *a, flm_srv_chunk_t what,
                         const char *piece, size_t n)
{
    bool chat = a->kind == FLM_SRV_CHAT;
    if (what == FLM_SRV_CHUNK_DONE) {
        flm_srv_puts(o, "data: [DONE]\n\n");
        return;
    }
    flm_srv_puts(o, "data: ");
    head_fields(o, a, chat ? "chat.completion.chunk" : "text_completion");
    if (what == FLM_SRV_CHUNK_USAGE) {
        flm_srv_puts(o, ",\"choices\":[]");
        usage(o, a);
        route(o, a);
        flm_srv_puts(o, "}\n\n");
        return;
    }
    if (chat) {
        flm_srv_puts(o, ",\"choices\":[{\"index\":0,\"delta\":");
        if (what == FLM_SRV_CHUNK_ROLE) {
            flm_srv_puts(o, "{\"role\":\"assistant\",\"content\":\"\"}");
        } else if (what == FLM_SRV_CHUNK_TEXT) {
            flm_srv_puts(o, "{\"content\":");
            flm_srv_put_json(o, piece ? piece : "", n);
            flm_srv_puts(o, "}");
        } else {
            flm_srv_puts(o, "{}");
        }
        flm_srv_puts(o, ",\"logprobs\":null,\"finish_reason\":");
    } else {
        flm_srv_puts(o, ",\"choices\":[{\"text\":");
        flm_srv_put_json(o, what == FLM_SRV_CHUNK_TEXT && piece ? piece : "",
                         what == FLM_SRV_CHUNK_TEXT ? n : 0);
        flm_srv_puts(o, ",\"index\":0,\"logprobs\":null,\"finish_reason\":");
    }
    if (what == FLM_SRV_CHUNK_FINISH)
        put_jsonz(o, a->finish_reason ? a->finish_reason : "stop");
    else
        flm_srv_puts(o, "null");
    flm_srv_puts(o, "}]");
    if (what == FLM_SRV_CHUNK_FINISH)
        route(o, a);
    flm_srv_puts(o, "}\n\n");
}

void flm_srv_write_model(flm_srv_out_t *o, const char *id, bool cloud)
{
    flm_srv_puts(o, "{\"id\":");
    put_jsonz(o, id);
    flm_srv_puts(o, ",\"object\":\"model\",\"created\":0,\"owned_by\":");
    flm_srv_puts(o, cloud ? "\"cloud\"" : "\"fieldlm\"");
    flm_srv_puts(o, "}");
}

void flm_srv_write_models(flm_srv_out_t *o, const char *local, const char *cloud)
{
    flm_srv_puts(o, "{\"object\":\"list\",\"data\":[");
    flm_srv_write_model(o, local, false);
    if (cloud && cloud[0] && strcmp(cloud, local) != 0) {
        flm_srv_puts(o, ",");
        flm_srv_write_model(o, cloud, true);
    }
    flm_srv_puts(o, "]}\n");
}

#endif /* FLM_CFG_SERVER */
