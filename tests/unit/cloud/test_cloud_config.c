#include <stdlib.h>
#include <string.h>

#include "core/cloud/cloud_config.h"
#include "tests/harness/harness.h"

static flm_cloud_settings_t cfg; /* 5 KiB: keep it off the test's stack */

static flm_err_t parse(const char *text, uint32_t *line)
{
    return flm_cloud_config_parse(&cfg, text, strlen(text), line);
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
    FLM_CHECK_EQ(flm_cloud_config_set_key(&cfg, "bad key"), FLM_ERR_CONFIG);
    FLM_CHECK_EQ(flm_cloud_config_set_key(&cfg, "bad\r\nX-Injected: 1"), FLM_ERR_CONFIG);
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
                       &line), FLM_ERR_CONFIG);
    FLM_CHECK_EQ(line, 4);
    FLM_CHECK_EQ(parse("url = https://h/v1\nmodel = m\nca_pem = AAAA\n", &line), FLM_ERR_CONFIG);
    FLM_CHECK_EQ(line, 3);
}

FLM_TEST(cloud_config_errors_name_the_line)
{
    static const struct {
        const char *text;
        uint32_t    line;
    } bad[] = {
        { "url = http://127.0.0.1/v1\nmodel\n", 2 },                          /* no '=' */
        { "url = http://127.0.0.1/v1\nmodle = m\n", 2 },                      /* unknown key */
        { "url = http://127.0.0.1/v1\nmodel = a\nmodel = b\n", 3 },           /* repeated */
        { "url = http://127.0.0.1/v1\nmodel =\n", 2 },                        /* empty */
        { "model = m\nmax_retries = 21\n", 2 },                                /* range */
        { "model = m\nconnect_timeout_ms = 0\n", 2 },
        { "model = m\nconnect_timeout_ms = 12x\n", 2 },
        { "model = m\nrequest_timeout_ms = 99999999999\n", 2 },
        { "model = m\nallow_plain_tcp = maybe\n", 2 },
        { "model = m\napi_key = sk live\n", 2 },                               /* space in key */
        { "model = m\napi_key = sk\x01x\n", 2 },                               /* control byte */
        { "model = m\n\nurl = ftp://x/v1\n", 3 },                              /* bad URL */
        { "model = m\nurl = https://u:p@x/v1\n", 2 },
        { "url = http://127.0.0.1/v1\nmodel = m\n = x\n", 3 },                /* no name */
        { "url = http://127.0.0.1/v1\n", 0 },                                  /* no model */
        { "model = m\n", 0 },                                                  /* no url */
        { "url = https://h/v1\nmodel = m\n", 0 },                              /* https, no CA */
        { "url = http://127.0.0.1/v1\nmodel = m\napi_key = a\napi_key_env = B\n", 0 },
        { "url = https://h/v1\nmodel = m\nca_file = a\nca_pem = -----BEGIN CERTIFICATE-----\n"
          "-----END CERTIFICATE-----\n", 0 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t line = 1234;
        FLM_CHECK_MSG(parse(bad[i].text, &line) == FLM_ERR_CONFIG, "case %zu accepted", i);
        FLM_CHECK_MSG(line == bad[i].line, "case %zu: line %u, want %u", i, line, bad[i].line);
    }
    /* A failed parse leaves nothing behind, the key least of all. */
    FLM_CHECK_EQ(parse("api_key = sk-secret\nbogus\n", NULL), FLM_ERR_CONFIG);
    FLM_CHECK_EQ(cfg.api_key[0], '\0');

    char long_line[FLM_CLOUD_MODEL_MAX + 32];
    memset(long_line, 'x', sizeof long_line);
    memcpy(long_line, "model=", 6);
    long_line[sizeof long_line - 1] = '\0';
    FLM_CHECK_EQ(parse(long_line, NULL), FLM_ERR_CONFIG);

    const char nul[] = "url = http://127.0.0.1/v1\nmodel = m\0x\n";
    uint32_t line;
    FLM_CHECK_EQ(flm_cloud_config_parse(&cfg, nul, sizeof nul - 1, &line), FLM_ERR_CONFIG);
    FLM_CHECK_EQ(line, 2);
    FLM_CHECK_EQ(flm_cloud_config_parse(&cfg, NULL, 0, &line), FLM_ERR_CONFIG); /* empty */
    FLM_CHECK_EQ(flm_cloud_config_parse(NULL, "x", 1, &line), FLM_ERR_ARG);
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
        uint32_t line = 0;
        flm_err_t err = flm_cloud_config_parse(&cfg, buf, n, &line);
        FLM_CHECK(err == FLM_OK || err == FLM_ERR_CONFIG);
        FLM_CHECK(line <= n + 1);
        free(buf);
    }
    FLM_CHECK_EQ(flm_cloud_config_parse(&cfg, good, sizeof good - 1, NULL), FLM_OK);
}
