#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/cloud/cloud_client.h"
#include "core/cloud/cloud_config.h"
#include "tests/harness/harness.h"

static flm_cloud_settings_t cfg; /* 5 KiB: keep it off the test's stack */

static flm_ini_error_t err;

/* Parse text; *line (may be NULL) gets the error's line. */
static flm_err_t parse(const char *text, uint32_t *line)
{
    flm_err_t e = flm_cloud_config_parse(&cfg, text, strlen(text), &err);
    if (line)
        *line = err.line;
    return e;
}

FLM_TEST(cloud_config_full_example)
{
    const char *text =
        "# OpenAI\n"
        "url = https://api.openai.com/v1\r\n"
        "  model=gpt-4o-mini  \n"
        "\n"
        "api_key_env = OPENAI_API_KEY\n"
        "ca_file = /etc/ssl/certs/ca-certificates.crt\n"
        "connect_timeout_ms = 2500\n"
        "request_timeout_ms = 30000\n"
        "read_timeout_ms = 7000\n"
        "max_retries = 5\n"
        "breaker_threshold = 0\n"
        "breaker_cooldown_ms = 1500\n"
        "allow_plain_tcp = no\n";
    uint32_t line = 99;
    FLM_CHECK_EQ(parse(text, &line), FLM_OK);
    FLM_CHECK_EQ(line, 0);
    FLM_CHECK(strcmp(cfg.url, "https://api.openai.com/v1") == 0);
    FLM_CHECK(cfg.endpoint.tls);
    FLM_CHECK(strcmp(cfg.endpoint.host, "api.openai.com") == 0);
    FLM_CHECK_EQ(cfg.endpoint.port, 443);
    FLM_CHECK(strcmp(cfg.endpoint.path, "/v1") == 0);
    FLM_CHECK(strcmp(cfg.model, "gpt-4o-mini") == 0);
    FLM_CHECK(strcmp(cfg.api_key_env, "OPENAI_API_KEY") == 0);
    FLM_CHECK_EQ(cfg.api_key[0], '\0');
    FLM_CHECK(strcmp(cfg.ca_file, "/etc/ssl/certs/ca-certificates.crt") == 0);
    FLM_CHECK_EQ(cfg.connect_timeout_ms, 2500);
    FLM_CHECK_EQ(cfg.request_timeout_ms, 30000);
    FLM_CHECK_EQ(cfg.read_timeout_ms, 7000);
    FLM_CHECK_EQ(cfg.max_retries, 5);
    FLM_CHECK_EQ(cfg.breaker_threshold, 0);
    FLM_CHECK_EQ(cfg.breaker_cooldown_ms, 1500);
    FLM_CHECK(!cfg.allow_plain_tcp);
    flm_cloud_config_deinit(&cfg);
}

FLM_TEST(cloud_config_defaults_and_plain_loopback)
{
    FLM_CHECK_EQ(parse("url=http://127.0.0.1:8080/v1\nmodel=m\napi_key=sk-#1\n", NULL), FLM_OK);
    FLM_CHECK(!cfg.endpoint.tls);
    FLM_CHECK_EQ(cfg.endpoint.port, 8080);
    FLM_CHECK(strcmp(cfg.api_key, "sk-#1") == 0); /* '#' inside a value is data */
    FLM_CHECK_EQ(cfg.connect_timeout_ms, 10000);
    FLM_CHECK_EQ(cfg.request_timeout_ms, 120000);
    FLM_CHECK_EQ(cfg.read_timeout_ms, 60000);
    FLM_CHECK_EQ(cfg.max_retries, 3);
    FLM_CHECK_EQ(cfg.breaker_threshold, 5);
    FLM_CHECK_EQ(cfg.breaker_cooldown_ms, 60000);
    FLM_CHECK(!cfg.allow_plain_tcp);
    FLM_CHECK_EQ(flm_cloud_config_set_key(&cfg, "sk-other"), FLM_OK);
    FLM_CHECK(strcmp(cfg.api_key, "sk-other") == 0);
    FLM_CHECK_EQ(flm_cloud_config_set_key(&cfg, "bad key"), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(flm_cloud_config_set_key(&cfg, "bad\r\nX-Injected: 1"), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK(strcmp(cfg.api_key, "sk-other") == 0); /* a refused key changes nothing */
    char too_long[FLM_CLOUD_KEY_MAX + 1];
    memset(too_long, 'k', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = '\0';
    FLM_CHECK_EQ(flm_cloud_config_set_key(&cfg, too_long), FLM_ERR_CONFIG_TOO_LONG);
    FLM_CHECK_EQ(flm_cloud_config_set_key(&cfg, "k"), FLM_OK);
    FLM_CHECK(memcmp(cfg.api_key, "k\0\0\0\0\0\0\0", 8) == 0); /* no tail of sk-other */
    flm_cloud_config_deinit(&cfg);
    FLM_CHECK_EQ(cfg.api_key[0], '\0');
}

FLM_TEST(cloud_config_inline_pem)
{
    const char *text =
        "url = https://localhost:8443/v1\n"
        "model = m\n"
        "ca_pem = -----BEGIN CERTIFICATE-----\n"
        "MIIBszCCAVmgAwIBAgIU\n"
        "  AAAA==\n"
        "-----END CERTIFICATE-----\n"
        "max_retries = 0\n";
    uint32_t line;
    FLM_CHECK_EQ(parse(text, &line), FLM_OK);
    FLM_CHECK(strcmp(cfg.ca_pem, "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\nAAAA==\n"
                                 "-----END CERTIFICATE-----\n") == 0);
    FLM_CHECK_EQ(cfg.max_retries, 0);

    /* No END line: the error points past the last line read. */
    FLM_CHECK_EQ(parse("url = https://h/v1\nmodel = m\nca_pem = -----BEGIN CERTIFICATE-----\nAAAA\n",
                       &line), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(line, 4);
    FLM_CHECK(strcmp(err.message, "ca_pem: no '-----END CERTIFICATE-----' line before the end of "
                                  "the file") == 0);
    FLM_CHECK_EQ(parse("url = https://h/v1\nmodel = m\nca_pem = AAAA\n", &line), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(line, 3);
    FLM_CHECK_EQ(parse("url = https://h/v1\nmodel = m\nca_pem = -----BEGIN PRIVATE KEY-----\n"
                       "-----END PRIVATE KEY-----\n", &line), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(line, 3);

    /* The block fills the field to its last byte, and not one more. */
    static char big[FLM_CLOUD_PEM_MAX + 200];
    const char *head = "url = https://h/v1\nmodel = m\nca_pem = -----BEGIN CERTIFICATE-----\n";
    const char *end = "-----END CERTIFICATE-----";
    for (int extra = 0; extra < 2; extra++) {
        /* BEGIN\n (28) + body lines + END\n (26) = FLM_CLOUD_PEM_MAX - 1 (+ extra) */
        size_t body = FLM_CLOUD_PEM_MAX - 1 + (size_t)extra - 28 - 26, n = strlen(head);
        memcpy(big, head, n);
        for (size_t i = 0; i < body; i++)
            big[n++] = i % 65 == 64 || i == body - 1 ? '\n' : 'A';
        memcpy(big + n, end, strlen(end) + 1);
        flm_err_t e = parse(big, &line);
        FLM_CHECK_EQ(e, extra ? FLM_ERR_CONFIG_TOO_LONG : FLM_OK);
        if (!extra)
            FLM_CHECK_EQ(strlen(cfg.ca_pem), FLM_CLOUD_PEM_MAX - 1);
        else
            FLM_CHECK_EQ(line, 3 + (body + 64) / 65 + 1); /* the END line */
    }
}

FLM_TEST(cloud_config_errors_name_the_line)
{
    static const struct {
        const char *text;
        flm_err_t   code;
        uint32_t    line;
        const char *message;
    } bad[] = {
        { "url = http://127.0.0.1/v1\nmodel\n", FLM_ERR_CONFIG_SYNTAX, 2,
          "expected [section] or key = value" },
        { "url = http://127.0.0.1/v1\nmodle = m\n", FLM_ERR_CONFIG_KEY, 2,
          "unknown key 'modle' in [cloud] (did you mean 'model'?)" },
        { "url = http://127.0.0.1/v1\nmodel = a\nmodel = b\n", FLM_ERR_CONFIG_DUPLICATE, 3,
          "model: given twice (first at line 2)" },
        { "url = http://127.0.0.1/v1\nmodel =\n", FLM_ERR_CONFIG_VALUE, 2, "model: empty value" },
        { "model = m\nmax_retries = 21\n", FLM_ERR_CONFIG_VALUE, 2,
          "max_retries: 21 is out of range 0..20" },
        { "model = m\nconnect_timeout_ms = 0\n", FLM_ERR_CONFIG_VALUE, 2,
          "connect_timeout_ms: 0 is out of range 1..3600000" },
        { "model = m\nconnect_timeout_ms = 12x\n", FLM_ERR_CONFIG_VALUE, 2,
          "connect_timeout_ms: '12x' is not a decimal number" },
        { "model = m\nrequest_timeout_ms = 99999999999\n", FLM_ERR_CONFIG_VALUE, 2,
          "request_timeout_ms: 99999999999 is out of range 1..3600000" },
        { "model = m\nallow_plain_tcp = maybe\n", FLM_ERR_CONFIG_VALUE, 2,
          "allow_plain_tcp: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)" },
        { "model = m\napi_key = sk live\n", FLM_ERR_CONFIG_VALUE, 2,
          "api_key: a space, control or non-ASCII byte in the value (the value is not shown)" },
        { "model = m\napi_key = sk\x01x\n", FLM_ERR_CONFIG_SYNTAX, 2,
          "control byte 0x01 at column 13" },
        { "model = m\n\nurl = ftp://x/v1\n", FLM_ERR_CONFIG_VALUE, 3,
          "url: not an http:// or https:// URL" },
        { "model = m\nurl = https://u:p@x/v1\n", FLM_ERR_CONFIG_VALUE, 2,
          "url: user info (user:password@) is not allowed; the key goes in api_key" },
        { "model = m\nurl = http://h:99999/v1\n", FLM_ERR_CONFIG_VALUE, 2,
          "url: bad host, port or path (http[s]://host[:port][/path])" },
        { "url = http://127.0.0.1/v1\nmodel = m\n = x\n", FLM_ERR_CONFIG_SYNTAX, 3,
          "no key name before '='" },
        { "url = http://127.0.0.1/v1\n", FLM_ERR_CONFIG_MISSING, 0,
          "[cloud]: missing required key 'model'" },
        { "model = m\n", FLM_ERR_CONFIG_MISSING, 0, "[cloud]: missing required key 'url'" },
        { "url = https://h/v1\nmodel = m\n", FLM_ERR_CONFIG_MISSING, 0,
          "[cloud]: https needs ca_file or ca_pem (the server's certificate is always verified)" },
        { "url = http://127.0.0.1/v1\nmodel = m\napi_key = a\napi_key_env = B\n",
          FLM_ERR_CONFIG_CONFLICT, 0,
          "[cloud]: api_key and api_key_env exclude each other (line 3 and 4)" },
        { "url = https://h/v1\nmodel = m\nca_file = a\nca_pem = -----BEGIN CERTIFICATE-----\n"
          "-----END CERTIFICATE-----\n", FLM_ERR_CONFIG_CONFLICT, 0,
          "[cloud]: ca_file and ca_pem exclude each other (line 3 and 4)" },
        { "[clod]\nurl = http://127.0.0.1/v1\n", FLM_ERR_CONFIG_SECTION, 1,
          "unknown section [clod] (did you mean [cloud]?)" },
        { "model = m\n[cloud]\nurl = http://127.0.0.1/v1\n", FLM_ERR_CONFIG_DUPLICATE, 2,
          "section [cloud] given twice: the keys from line 1, before the first header, are in [cloud]" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t line = 1234;
        flm_err_t e = parse(bad[i].text, &line);
        FLM_CHECK_MSG(e == bad[i].code, "case %zu: %s, want %s", i, flm_err_name(e),
                      flm_err_name(bad[i].code));
        FLM_CHECK_MSG(line == bad[i].line, "case %zu: line %u, want %u", i, line, bad[i].line);
        FLM_CHECK_MSG(strcmp(err.message, bad[i].message) == 0, "case %zu: '%s'", i, err.message);
        FLM_CHECK(strcmp(err.section, "cloud") == 0 || e == FLM_ERR_CONFIG_SECTION);
    }
    /* The record names the key, and the formatter the file. */
    char out[256];
    FLM_CHECK_EQ(parse("url = http://127.0.0.1/v1\nmodel = m\nmax_retries = 99\n", NULL),
                 FLM_ERR_CONFIG_VALUE);
    FLM_CHECK(strcmp(err.key, "max_retries") == 0);
    flm_ini_error_format(&err, "openai.conf", out, sizeof out);
    FLM_CHECK(strcmp(out, "openai.conf:3: max_retries: 99 is out of range 0..20") == 0);
    FLM_CHECK_EQ(parse("url = http://127.0.0.1/v1\n", NULL), FLM_ERR_CONFIG_MISSING);
    FLM_CHECK(strcmp(err.key, "model") == 0);
    flm_ini_error_format(&err, "openai.conf", out, sizeof out);
    FLM_CHECK(strcmp(out, "openai.conf: [cloud]: missing required key 'model'") == 0);

    /* A failed parse leaves nothing behind, the key least of all, and no
     * message holds it. */
    FLM_CHECK_EQ(parse("api_key = sk-secret\nbogus\n", NULL), FLM_ERR_CONFIG_SYNTAX);
    FLM_CHECK_EQ(cfg.api_key[0], '\0');
    FLM_CHECK_EQ(parse("api_key = sk-secret\napi_key = sk-secret2\n", NULL), FLM_ERR_CONFIG_DUPLICATE);
    FLM_CHECK(strstr(err.message, "sk-secret") == NULL);
    FLM_CHECK_EQ(parse("api_key = sk-secret\nurl = http://127.0.0.1/v1\nmodel = m\n"
                       "api_key_env = X\n", NULL), FLM_ERR_CONFIG_CONFLICT);
    FLM_CHECK(strstr(err.message, "sk-secret") == NULL);
    FLM_CHECK_EQ(cfg.api_key[0], '\0');

    char long_line[FLM_CLOUD_MODEL_MAX + 32];
    memset(long_line, 'x', sizeof long_line);
    memcpy(long_line, "model=", 6);
    long_line[sizeof long_line - 1] = '\0';
    FLM_CHECK_EQ(parse(long_line, NULL), FLM_ERR_CONFIG_TOO_LONG);
    FLM_CHECK(strcmp(err.message, "model: value longer than 127 bytes") == 0);

    const char nul[] = "url = http://127.0.0.1/v1\nmodel = m\0x\n";
    FLM_CHECK_EQ(flm_cloud_config_parse(&cfg, nul, sizeof nul - 1, &err), FLM_ERR_CONFIG_SYNTAX);
    FLM_CHECK_EQ(err.line, 2);
    FLM_CHECK(strcmp(err.message, "NUL byte at column 10") == 0);
    FLM_CHECK_EQ(flm_cloud_config_parse(&cfg, NULL, 0, &err), FLM_ERR_CONFIG_MISSING); /* empty */
    FLM_CHECK_EQ(flm_cloud_config_parse(NULL, "x", 1, &err), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_cloud_config_parse(&cfg, NULL, 1, NULL), FLM_ERR_ARG);
}

/* The same settings as a [cloud] section of a bigger file. */
FLM_TEST(cloud_config_as_a_section)
{
    typedef struct {
        uint32_t port;
    } other_t;
    static const flm_ini_key_t other_keys[] = { FLM_INI_U32_RANGE(other_t, port, 1, 65535, false) };
    static const flm_ini_section_t other = { "server", other_keys, 1, sizeof(other_t), NULL, NULL };
    other_t o;
    bool cloud_seen = false, other_seen = true;
    flm_ini_bind_t binds[] = { { &flm_cloud_ini_section, &cfg, false, &cloud_seen },
                               { &other, &o, true, &other_seen } };
    const char *text = "; device\n[server]\nport = 8080\n\n[cloud]\nurl = http://127.0.0.1/v1\n"
                       "model = m\n";
    FLM_CHECK_EQ(flm_ini_parse(text, strlen(text), binds, 2, NULL, &err), FLM_OK);
    FLM_CHECK_EQ(o.port, 8080);
    FLM_CHECK(cloud_seen && other_seen);
    const char *only_cloud = "[cloud]\nurl = http://127.0.0.1/v1\nmodel = m\n";
    FLM_CHECK_EQ(flm_ini_parse(only_cloud, strlen(only_cloud), binds, 2, NULL, &err), FLM_OK);
    FLM_CHECK(cloud_seen && !other_seen);
    FLM_CHECK(strcmp(cfg.model, "m") == 0);
    FLM_CHECK_EQ(cfg.max_retries, 3); /* the section's defaults */
    FLM_CHECK_EQ(cfg.endpoint.port, 80);

    text = "[cloud]\nurl = http://127.0.0.1/v1\nmodel = m\nport = 1\n";
    FLM_CHECK_EQ(flm_ini_parse(text, strlen(text), binds, 2, NULL, &err), FLM_ERR_CONFIG_KEY);
    FLM_CHECK(strcmp(err.message, "unknown key 'port' in [cloud] (it is a key of [server])") == 0);
    text = "[server]\nport = 1\n";
    FLM_CHECK_EQ(flm_ini_parse(text, strlen(text), binds, 2, NULL, &err), FLM_ERR_CONFIG_MISSING);
    FLM_CHECK(strcmp(err.message, "[cloud]: missing required key 'url'") == 0);
    FLM_CHECK_EQ(o.port, 0); /* wiped with the rest */
    flm_cloud_config_deinit(&cfg);
}

/* Random bytes and mutated valid files: an error or a result, never a crash
 * (the sanitizer run checks every read stays in bounds). */
FLM_TEST(cloud_config_random_bytes)
{
    static const char good[] =
        "url = http://127.0.0.1:9/v1\nmodel = m\napi_key = k\nmax_retries = 2\n"
        "ca_pem = -----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    uint32_t seed = 12345;
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = iter % 2 ? sizeof good - 1 : (size_t)(seed % 300);
        char *buf = malloc(n + 1);
        FLM_CHECK(buf != NULL);
        if (iter % 2)
            memcpy(buf, good, n);
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            if (iter % 2 == 0 || (seed >> 16) % 40 == 0)
                buf[i] = (char)(seed >> 24);
        }
        flm_err_t e = flm_cloud_config_parse(&cfg, buf, n, &err);
        FLM_CHECK(e == FLM_OK || flm_err_in(e, FLM_ERR_MODULE_CONFIG));
        FLM_CHECK(err.line <= n + 1);
        FLM_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
        free(buf);
    }
    FLM_CHECK_EQ(flm_cloud_config_parse(&cfg, good, sizeof good - 1, NULL), FLM_OK);
}

FLM_TEST(cloud_config_client_path_rule)
{
    static const struct { const char *url, *path; } cases[] = {
        { "http://127.0.0.1:8080", "/chat/completions" },
        { "http://127.0.0.1:8080/", "/chat/completions" },
        { "https://api.openai.com/v1", "/v1/chat/completions" },
        { "https://openrouter.ai/api/v1", "/api/v1/chat/completions" },
        /* The query stays after the path (Azure's api-version), and a
         * trailing '/' is not doubled. */
        { "https://r.openai.azure.com/openai/deployments/gpt4?api-version=2024-02-01",
          "/openai/deployments/gpt4/chat/completions?api-version=2024-02-01" },
        { "https://h/v1/?a=1&b=2", "/v1/chat/completions?a=1&b=2" },
        { "https://h?x=y", "/chat/completions?x=y" },
        { "https://h/v1/", "/v1/chat/completions" },
        { "https://h/v1?", "/v1/chat/completions?" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256], path[FLM_CLOUD_PATH_MAX];
        flm_cloud_settings_t s;
        flm_cloud_config_t cc;
        if (strncmp(cases[i].url, "https", 5) != 0)
            snprintf(text, sizeof text, "url = %s\nmodel = m\n", cases[i].url);
        else
            snprintf(text, sizeof text, "url = %s\nmodel = m\nca_file = /x\napi_key = sk-1\n", cases[i].url);
        FLM_CHECK_EQ(flm_cloud_config_parse(&s, text, strlen(text), NULL), FLM_OK);
        FLM_CHECK_EQ(flm_cloud_config_client(&s, path, sizeof path, &cc), FLM_OK);
        FLM_CHECK_MSG(strcmp(cc.path, cases[i].path) == 0, "%s -> %s", cases[i].url, cc.path);
        FLM_CHECK(strcmp(cc.model, "m") == 0 && cc.max_attempts == s.max_retries + 1);
        FLM_CHECK(cc.deadline_ms == s.request_timeout_ms && cc.port == s.endpoint.port);
        FLM_CHECK((cc.api_key != NULL) == (cases[i].url[4] == 's'));
        FLM_CHECK_EQ(flm_cloud_config_client(&s, path, 10, &cc), FLM_ERR_OVERFLOW);
        FLM_CHECK_EQ(flm_cloud_config_client(&s, path, strlen(cases[i].path), &cc), FLM_ERR_OVERFLOW);
        FLM_CHECK_EQ(flm_cloud_config_client(&s, path, strlen(cases[i].path) + 1, &cc), FLM_OK);
        flm_cloud_config_deinit(&s);
    }
}
