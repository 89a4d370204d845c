/*
 * The [cloud] section of the device's configuration file (core/base/ini.h):
 * the cloud endpoint, parsed without heap into flm_cloud_settings_t's fixed
 * fields (the device reads the same file from its store). The settings then
 * fill the cloud client's flm_cloud_config_t (core/cloud/cloud_client.h).
 *
 *   # OpenAI, key from the environment
 *   [cloud]
 *   url                = https://api.openai.com/v1
 *   model              = gpt-4o-mini
 *   api_key_env        = OPENAI_API_KEY
 *   ca_file            = /etc/ssl/certs/ca-certificates.crt
 *   connect_timeout_ms = 10000
 *   request_timeout_ms = 60000
 *   max_retries        = 3
 *
 * Keys: url, model (required); api_key or api_key_env (one of them);
 * ca_file or ca_pem (one of them for https); connect_timeout_ms,
 * request_timeout_ms, read_timeout_ms, max_retries, breaker_threshold,
 * breaker_cooldown_ms, allow_plain_tcp (true/false). ca_pem takes a PEM
 * block inline: the value "-----BEGIN CERTIFICATE-----" and the lines after
 * it up to the END line. A file without any [section] line is all [cloud].
 *
 * Errors are the FLM_ERR_CONFIG_* codes with a flm_ini_error_t naming the
 * line, the key and the problem ("max_retries: 99 is out of range 0..20");
 * the API key is never copied into one.
 */
#ifndef FLM_CLOUD_CONFIG_H
#define FLM_CLOUD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/base/ini.h"
#include "core/proto/http.h"

#define FLM_CLOUD_URL_MAX    256
#define FLM_CLOUD_MODEL_MAX  128
#define FLM_CLOUD_ENV_MAX    64
#define FLM_CLOUD_FILE_MAX   256

typedef struct {
    char      url[FLM_CLOUD_URL_MAX];
    flm_url_t endpoint;            /* url, split */
    char      model[FLM_CLOUD_MODEL_MAX];
    char      api_key[FLM_CLOUD_KEY_MAX];     /* "" if api_key_env is used */
    char      api_key_env[FLM_CLOUD_ENV_MAX]; /* name of a variable holding the key */
    char      ca_file[FLM_CLOUD_FILE_MAX];    /* PEM file (one CA or a bundle) */
    char      ca_pem[FLM_CLOUD_PEM_MAX];      /* pinned CA, PEM text */
    uint32_t  connect_timeout_ms;  /* TCP connect + TLS handshake; default 10 s */
    uint32_t  request_timeout_ms;  /* whole request, retries included; default 120 s */
    uint32_t  read_timeout_ms;     /* silence allowed mid-reply; default 60 s */
    uint32_t  max_retries;         /* default 3 */
    uint32_t  breaker_threshold;   /* failures in a row that open the breaker; 0 = never; default 5 */
    uint32_t  breaker_cooldown_ms; /* how long it stays open; default 60 s */
    bool      allow_plain_tcp;     /* http:// to a non-loopback host; default false */
} flm_cloud_settings_t;

/* Defaults, no endpoint. */
void flm_cloud_config_init(flm_cloud_settings_t *c);

/* The [cloud] section, for a device that parses its whole file in one
 * flm_ini_parse call: bind it to a flm_cloud_settings_t. */
extern const flm_ini_section_t flm_cloud_ini_section;

/* Parse len bytes of text, a file holding only [cloud] (its header may be
 * left out), into c (initialised here first). err (may be NULL) describes
 * the first error; on error c is wiped. */
flm_err_t flm_cloud_config_parse(flm_cloud_settings_t *c, const char *text, size_t len,
                                 flm_ini_error_t *err);

/* Set the API key (e.g. from the variable api_key_env names) with the
 * api_key rules: FLM_ERR_CONFIG_VALUE or _TOO_LONG if it breaks them. */
flm_err_t flm_cloud_config_set_key(flm_cloud_settings_t *c, const char *key);

/* The cloud client's configuration these settings describe, all but the
 * connect callback: host, model and key point into s (which must outlive
 * the client); the request path is the URL's path + "/chat/completions",
 * before the URL's query if it has one ("https://host/v1" ->
 * "/v1/chat/completions", "https://host/openai/deployments/d?api-version=1"
 * -> "/openai/deployments/d/chat/completions?api-version=1"), written to
 * path[cap].
 * FLM_ERR_OVERFLOW if it does not fit. */
#define FLM_CLOUD_PATH_MAX (FLM_URL_PATH_MAX + 32)
struct flm_cloud_config;
flm_err_t flm_cloud_config_client(const flm_cloud_settings_t *s, char *path, size_t cap,
                                  struct flm_cloud_config *out);

/* Wipe the API key and everything else; call when done with c. */
void flm_cloud_config_deinit(flm_cloud_settings_t *c);

#endif /* FLM_CLOUD_CONFIG_H */
