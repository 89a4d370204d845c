/*
 * The cloud endpoint's configuration file: a small "key = value" text, one
 * setting a line, parsed without heap into flm_cloud_settings_t's fixed
 * fields (the device reads the same file from its store). The settings then
 * fill the cloud client's flm_cloud_config_t (core/cloud/cloud_client.h).
 *
 *   # OpenAI, key from the environment
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
 * breaker_cooldown_ms, allow_plain_tcp (true/false). A '#' starts a comment only at the beginning of a line (API
 * keys and URLs may contain '#'). ca_pem takes a PEM block inline: the value
 * "-----BEGIN CERTIFICATE-----" and the lines after it up to the END line.
 *
 * Anything malformed (unknown or repeated key, missing '=', empty or
 * over-long value, control bytes, numbers out of range, a bad URL) is
 * FLM_ERR_CONFIG with the 1-based line number in *line (0 when the problem is
 * the file as a whole, e.g. a missing key). Error paths never copy a value
 * anywhere, so a key on a bad line cannot leak into a message.
 */
#ifndef FLM_CLOUD_CONFIG_H
#define FLM_CLOUD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/proto/http.h"

#define FLM_CLOUD_URL_MAX    256
#define FLM_CLOUD_MODEL_MAX  128
#define FLM_CLOUD_KEY_MAX    256
#define FLM_CLOUD_ENV_MAX    64
#define FLM_CLOUD_FILE_MAX   256
#define FLM_CLOUD_PEM_MAX    4096

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

/* Parse len bytes of text into c (initialised here first). *line (may be
 * NULL) gets the line of the first error, or 0. */
flm_err_t flm_cloud_config_parse(flm_cloud_settings_t *c, const char *text, size_t len,
                                 uint32_t *line);

/* Set the API key (e.g. from the variable api_key_env names). */
flm_err_t flm_cloud_config_set_key(flm_cloud_settings_t *c, const char *key);

/* Wipe the API key and everything else; call when done with c. */
void flm_cloud_config_deinit(flm_cloud_settings_t *c);

#endif /* FLM_CLOUD_CONFIG_H */
