#include "core/cloud/cloud_config.h"

#include "core/cloud/cloud_client.h"

#include <string.h>

#include "core/base/parse.h"
#include "core/base/wipe.h"

#define PEM_BEGIN "-----BEGIN CERTIFICATE-----"
#define PEM_END   "-----END CERTIFICATE-----"

typedef enum { K_STR, K_KEY, K_U32, K_BOOL } kind_t;

typedef struct {
    const char *name;
    kind_t      kind;
    size_t      off;   /* of the field in flm_cloud_settings_t */
    size_t      cap;   /* K_STR/K_KEY: field size */
    uint32_t    lo, hi;/* K_U32: accepted range */
} setting_t;

#define STR(n, k)       { #n, k, offsetof(flm_cloud_settings_t, n), sizeof ((flm_cloud_settings_t *)0)->n, 0, 0 }
#define U32(n, lo, hi)  { #n, K_U32, offsetof(flm_cloud_settings_t, n), 0, lo, hi }

static const setting_t settings[] = {
    STR(url, K_STR),
    STR(model, K_STR),
    STR(api_key, K_KEY),
    STR(api_key_env, K_STR),
    STR(ca_file, K_STR),
    STR(ca_pem, K_STR),
    U32(connect_timeout_ms, 1, 3600000),
    U32(request_timeout_ms, 1, 3600000),
    U32(read_timeout_ms, 1, 3600000),
    U32(max_retries, 0, 20),
    U32(breaker_threshold, 0, 1000),
    U32(breaker_cooldown_ms, 1, 3600000),
    { "allow_plain_tcp", K_BOOL, offsetof(flm_cloud_settings_t, allow_plain_tcp), 0, 0, 0 },
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])
_Static_assert(N_SETTINGS <= 32, "the seen-mask has 32 bits");

/* A line of the text: [p, p + n), without its line ending. */
typedef struct {
    const char *p;
    size_t      n;
} span_t;

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static span_t trim(span_t s)
{
    while (s.n && is_space(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_space(s.p[s.n - 1]))
        s.n--;
    return s;
}

static bool span_eq(span_t s, const char *z)
{
    size_t n = strlen(z);
    return s.n == n && memcmp(s.p, z, n) == 0;
}

/* Printable ASCII and tabs/spaces (plus UTF-8 for K_STR): no control bytes,
 * so no value can smuggle a CR/LF into a header. API keys: no spaces. */
static bool value_ok(span_t v, kind_t kind)
{
    for (size_t i = 0; i < v.n; i++) {
        uint8_t c = (uint8_t)v.p[i];
        if (c < 0x20 || c == 0x7F)
            return c == '\t' && kind != K_KEY;
        if (kind == K_KEY && (c == ' ' || c >= 0x80))
            return false;
    }
    return true;
}

static bool parse_u32(span_t v, uint32_t lo, uint32_t hi, uint32_t *out)
{
    uint64_t x;
    if (!flm_parse_uint(v.p, v.n, 10, hi, &x) || x < lo)
        return false;
    *out = (uint32_t)x;
    return true;
}

static bool parse_bool(span_t v, bool *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (span_eq(v, yes[i]) || span_eq(v, no[i])) {
            *out = span_eq(v, yes[i]);
            return true;
        }
    }
    return false;
}

/* Next line from text at *pos; false at the end. A NUL byte is malformed. */
static bool next_line(const char *text, size_t len, size_t *pos, span_t *line, bool *nul)
{
    if (*pos >= len)
        return false;
    const char *p = text + *pos;
    size_t n = 0;
    while (*pos + n < len && p[n] != '\n')
        n++;
    *pos += n + (*pos + n < len);
    *nul = memchr(p, '\0', n) != NULL;
    if (n && p[n - 1] == '\r')
        n--;
    line->p = p;
    line->n = n;
    return true;
}

/* Copy the inline PEM block that starts with the value PEM_BEGIN: lines are
 * joined with '\n' up to and including the END line. */
static flm_err_t read_pem(flm_cloud_settings_t *c, const char *text, size_t len, size_t *pos,
                          uint32_t *lineno)
{
    size_t out = 0;
    span_t l = { PEM_BEGIN, sizeof PEM_BEGIN - 1 };
    for (;;) {
        if (out + l.n + 2 > sizeof c->ca_pem || !value_ok(l, K_STR))
            return FLM_ERR_CONFIG;
        memcpy(c->ca_pem + out, l.p, l.n);
        out += l.n;
        c->ca_pem[out++] = '\n';
        c->ca_pem[out] = '\0';
        if (span_eq(l, PEM_END))
            return FLM_OK;
        bool nul;
        if (!next_line(text, len, pos, &l, &nul))
            return FLM_ERR_CONFIG; /* no END line */
        (*lineno)++;
        if (nul)
            return FLM_ERR_CONFIG;
        l = trim(l);
    }
}

static flm_err_t set_value(flm_cloud_settings_t *c, const setting_t *k, span_t v)
{
    uint8_t *field = (uint8_t *)c + k->off;
    switch (k->kind) {
    case K_STR:
    case K_KEY:
        if (v.n == 0 || v.n >= k->cap || !value_ok(v, k->kind))
            return FLM_ERR_CONFIG;
        memcpy(field, v.p, v.n);
        field[v.n] = '\0';
        return FLM_OK;
    case K_U32: {
        uint32_t x;
        if (!parse_u32(v, k->lo, k->hi, &x))
            return FLM_ERR_CONFIG;
        memcpy(field, &x, sizeof x);
        return FLM_OK;
    }
    case K_BOOL: {
        bool b;
        if (!parse_bool(v, &b))
            return FLM_ERR_CONFIG;
        memcpy(field, &b, sizeof b);
        return FLM_OK;
    }
    }
    return FLM_ERR_CONFIG;
}

/* The client's defaults are the one source of these numbers. */
void flm_cloud_config_init(flm_cloud_settings_t *c)
{
    flm_cloud_config_t d;
    flm_cloud_config_defaults(&d);
    memset(c, 0, sizeof *c);
    c->connect_timeout_ms = d.connect_timeout_ms;
    c->request_timeout_ms = d.deadline_ms;
    c->read_timeout_ms = d.read_timeout_ms;
    c->max_retries = d.max_attempts - 1;
    c->breaker_threshold = d.breaker_threshold;
    c->breaker_cooldown_ms = d.breaker_cooldown_ms;
}

/* Whole-file rules, checked after every line parsed. */
static flm_err_t check(flm_cloud_settings_t *c, uint32_t url_line, uint32_t *line)
{
    *line = 0;
    if (!c->url[0] || !c->model[0])
        return FLM_ERR_CONFIG;
    if (c->api_key[0] && c->api_key_env[0])
        return FLM_ERR_CONFIG;
    if (c->ca_file[0] && c->ca_pem[0])
        return FLM_ERR_CONFIG;
    if (flm_http_parse_url(c->url, &c->endpoint) != FLM_OK) {
        *line = url_line;
        return FLM_ERR_CONFIG;
    }
    if (c->endpoint.tls && !c->ca_file[0] && !c->ca_pem[0])
        return FLM_ERR_CONFIG; /* verification is never optional */
    return FLM_OK;
}

flm_err_t flm_cloud_config_parse(flm_cloud_settings_t *c, const char *text, size_t len,
                                 uint32_t *line)
{
    uint32_t scratch, lineno = 0, url_line = 0;
    uint32_t seen = 0;
    if (!line)
        line = &scratch;
    *line = 0;
    if (!c || (!text && len))
        return FLM_ERR_ARG;
    flm_cloud_config_init(c);

    size_t pos = 0;
    span_t l;
    bool nul;
    flm_err_t err = FLM_OK;
    while (!err && next_line(text, len, &pos, &l, &nul)) {
        lineno++;
        *line = lineno;
        l = trim(l);
        if (nul) {
            err = FLM_ERR_CONFIG;
            break;
        }
        if (l.n == 0 || l.p[0] == '#')
            continue;
        const char *eq = memchr(l.p, '=', l.n);
        if (!eq) {
            err = FLM_ERR_CONFIG;
            break;
        }
        span_t name = trim((span_t){ l.p, (size_t)(eq - l.p) });
        span_t value = trim((span_t){ eq + 1, l.n - (size_t)(eq - l.p) - 1 });
        size_t k = 0;
        while (k < N_SETTINGS && !span_eq(name, settings[k].name))
            k++;
        if (k == N_SETTINGS || (seen & (1u << k))) {
            err = FLM_ERR_CONFIG; /* unknown or repeated */
            break;
        }
        seen |= 1u << k;
        if (strcmp(settings[k].name, "url") == 0)
            url_line = lineno;
        if (strcmp(settings[k].name, "ca_pem") == 0)
            err = span_eq(value, PEM_BEGIN) ? read_pem(c, text, len, &pos, &lineno)
                                            : FLM_ERR_CONFIG;
        else
            err = set_value(c, &settings[k], value);
        *line = lineno;
    }
    if (!err)
        err = check(c, url_line, line);
    if (err)
        flm_cloud_config_deinit(c); /* nothing half-parsed survives, no key */
    return err;
}

flm_err_t flm_cloud_config_set_key(flm_cloud_settings_t *c, const char *key)
{
    if (!c || !key)
        return FLM_ERR_ARG;
    static const setting_t api_key = STR(api_key, K_KEY);
    span_t v = { key, strlen(key) };
    return set_value(c, &api_key, v);
}

void flm_cloud_config_deinit(flm_cloud_settings_t *c)
{
    if (!c)
        return;
    flm_wipe(c, sizeof *c);
}
