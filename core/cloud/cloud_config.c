#include "core/base/config.h"
#if FLM_CFG_CLOUD /* the cloud path; off on boards without a network */
#include "core/cloud/cloud_config.h"

#include "core/cloud/cloud_client.h"

#include <string.h>

#include "core/base/wipe.h"

#define T flm_cloud_settings_t
#define MS_MAX 3600000u /* an hour: any timeout beyond is a typo */

static const char *const pem_labels[] = { "CERTIFICATE", NULL };

static const flm_ini_key_t keys[] = {
    FLM_INI_STR(T, url, true),
    FLM_INI_STR(T, model, true),
    FLM_INI_SECRET_STR(T, api_key, false),
    FLM_INI_STR(T, api_key_env, false),
    FLM_INI_STR(T, ca_file, false),
    FLM_INI_PEM_BLOCK(T, ca_pem, pem_labels, false),
    FLM_INI_U32_RANGE(T, connect_timeout_ms, 1, MS_MAX, false),
    FLM_INI_U32_RANGE(T, request_timeout_ms, 1, MS_MAX, false),
    FLM_INI_U32_RANGE(T, read_timeout_ms, 1, MS_MAX, false),
    FLM_INI_U32_RANGE(T, max_retries, 0, 20, false),
    FLM_INI_U32_RANGE(T, breaker_threshold, 0, 1000, false),
    FLM_INI_U32_RANGE(T, breaker_cooldown_ms, 1, MS_MAX, false),
    FLM_INI_BOOLEAN(T, allow_plain_tcp, false),
};

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

static void init(void *dst)
{
    flm_cloud_config_init(dst);
}

/* Why flm_http_parse_url refused url; the URL itself is not echoed, since
 * it may carry a password. */
static const char *url_problem(const char *url)
{
    const char *s = strncmp(url, "https://", 8) == 0 ? url + 8
                  : strncmp(url, "http://", 7) == 0  ? url + 7
                                                      : NULL;
    if (!s)
        return "not an http:// or https:// URL";
    if (memchr(s, '@', strcspn(s, "/?")))
        return "user info (user:password@) is not allowed; the key goes in api_key";
    for (const unsigned char *c = (const unsigned char *)s; *c; c++)
        if (*c <= 0x20 || *c >= 0x7F || *c == '#')
            return "spaces, '#' and non-ASCII bytes are not allowed in a URL";
    return "bad host, port or path (http[s]://host[:port][/path])";
}

/* Rules across keys, then the URL split into c->endpoint. */
static flm_err_t check(void *dst, const flm_ini_seen_t *seen, flm_ini_error_t *err)
{
    flm_cloud_settings_t *c = dst;
    if (c->api_key[0] && c->api_key_env[0])
        return flm_ini_fail(err, FLM_ERR_CONFIG_CONFLICT, 0, "api_key_env",
                            "api_key and api_key_env exclude each other (line %u and %u)",
                            (unsigned)flm_ini_line(seen, "api_key"),
                            (unsigned)flm_ini_line(seen, "api_key_env"));
    if (c->ca_file[0] && c->ca_pem[0])
        return flm_ini_fail(err, FLM_ERR_CONFIG_CONFLICT, 0, "ca_pem",
                            "ca_file and ca_pem exclude each other (line %u and %u)",
                            (unsigned)flm_ini_line(seen, "ca_file"),
                            (unsigned)flm_ini_line(seen, "ca_pem"));
    if (flm_http_parse_url(c->url, &c->endpoint) != FLM_OK)
        return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, flm_ini_line(seen, "url"), "url", "url: %s",
                            url_problem(c->url));
    if (c->endpoint.tls && !c->ca_file[0] && !c->ca_pem[0]) /* verification is never optional */
        return flm_ini_fail(err, FLM_ERR_CONFIG_MISSING, 0, "ca_file",
                            "https needs ca_file or ca_pem (the server's certificate is always "
                            "verified)");
    return FLM_OK;
}

const flm_ini_section_t flm_cloud_ini_section = {
    .name = "cloud",
    .keys = keys,
    .n_keys = sizeof keys / sizeof keys[0],
    .size = sizeof(flm_cloud_settings_t),
    .init = init,
    .check = check,
};

flm_err_t flm_cloud_config_parse(flm_cloud_settings_t *c, const char *text, size_t len,
                                 flm_ini_error_t *err)
{
    const flm_ini_bind_t bind = { &flm_cloud_ini_section, c, false, NULL };
    return flm_ini_parse(text, len, &bind, 1, "cloud", err);
}

flm_err_t flm_cloud_config_set_key(flm_cloud_settings_t *c, const char *key)
{
    if (!c || !key)
        return FLM_ERR_ARG;
    size_t k = 0;
    while (strcmp(keys[k].name, "api_key") != 0)
        k++;
    return flm_ini_set(&keys[k], c, key, strlen(key), NULL);
}

flm_err_t flm_cloud_config_client(const flm_cloud_settings_t *s, char *path, size_t cap,
                                  flm_cloud_config_t *out)
{
    if (!s || !path || !out || !s->endpoint.host[0])
        return FLM_ERR_ARG;
    /* "/v1?api-version=2024-02-01" -> "/v1/chat/completions?api-version=...":
     * the path is joined before the query, without a doubled '/'. */
    const char *base = s->endpoint.path;
    size_t n = strcspn(base, "?");
    while (n && base[n - 1] == '/')
        n--;
    const char *query = base + strcspn(base, "?");
    size_t q = strlen(query);
    static const char tail[] = "/chat/completions";
    if (n + sizeof tail - 1 + q + 1 > cap)
        return FLM_ERR_OVERFLOW;
    memcpy(path, base, n);
    memcpy(path + n, tail, sizeof tail - 1);
    memcpy(path + n + sizeof tail - 1, query, q + 1);
    flm_cloud_config_defaults(out);
    out->host = s->endpoint.host;
    out->port = s->endpoint.port;
    out->path = path;
    out->model = s->model;
    out->api_key = s->api_key[0] ? s->api_key : NULL;
    out->connect_timeout_ms = s->connect_timeout_ms;
    out->read_timeout_ms = s->read_timeout_ms;
    out->deadline_ms = s->request_timeout_ms;
    out->max_attempts = s->max_retries + 1;
    out->breaker_threshold = s->breaker_threshold;
    out->breaker_cooldown_ms = s->breaker_cooldown_ms;
    return FLM_OK;
}

void flm_cloud_config_deinit(flm_cloud_settings_t *c)
{
    if (!c)
        return;
    flm_wipe(c, sizeof *c);
}

#endif /* FLM_CFG_CLOUD */
