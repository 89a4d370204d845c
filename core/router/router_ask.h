/*
 * One prompt answered end to end: decided by the router, then answered on
 * the device or by the cloud, the text streamed to the caller from wherever
 * it comes. A cloud that fails before any of its text reached the caller
 * leaves the answer to the local model, marked degraded
 * (local:cloud-failed). `fieldlm ask` and `fieldlm serve` are built on it.
 *
 * The guards the router holds (flm_router_set_guards) act here too: every
 * answer is counted in the budget ledger (local tokens as the engine counts
 * them, cloud tokens from the reply's usage, or the estimate when it has
 * none), and a prompt answered locally because the cloud was offline
 * (local:offline) is kept in the queue when it is enabled, as it would have
 * left: redacted under policy redact (the stored prompt, and so the stored
 * answer, holds the placeholders, never the values), never under
 * local-only (such a prompt is local:pii, and so is one whose system
 * message holds personal data). With an escalation log whose [log]
 * escalations is on (flm_router_set_log), each answer the cloud gave in
 * full is logged with the prompt as it left (redacted under redact; the
 * answer with its placeholders, before they are restored), the route, the
 * reason, the score and the reply's usage; a prompt kept local is never
 * logged, and a failure to log leaves the answer as it is (log_err).
 */
#ifndef FLM_ROUTER_ASK_H
#define FLM_ROUTER_ASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/router/router.h"
#if FLM_CFG_CLOUD
#include "core/cloud/cloud_client.h"
typedef flm_cloud_client_t flm_ask_cloud_t;
#else
typedef void flm_ask_cloud_t; /* no cloud in this build: always NULL */
#endif

typedef flm_err_t (*flm_ask_text_fn)(void *user, const char *text, size_t n);

typedef struct {
    const char     *prompt;     /* NUL-terminated */
    const char     *system;     /* the cloud's system message, or NULL */
    uint32_t        steps;      /* local: positions, prompt included; 0 = the context */
    int32_t         max_tokens; /* cloud: 0 = the server's default */
    bool            stream;     /* cloud: ask for server-sent events */
    bool            set_temperature;   /* cloud: send temperature_milli (else its default) */
    int32_t         temperature_milli; /* cloud: 700 = 0.7 */
    flm_ask_text_fn on_text;    /* the answer as it is produced (may be NULL) */
    bool          (*cancelled)(void *user); /* may be NULL */
    void           *user;
} flm_ask_t;

typedef struct {
    flm_route_decision_t decision; /* the route that answered, and why */
    bool      degraded;         /* escalated, but the cloud failed: answered locally */
    flm_err_t cloud_err;        /* the cloud's failure, when degraded or when it is the error */
    uint32_t  prompt_tokens;    /* local: the prompt's tokens (BOS included) */
    uint32_t  local_tokens;     /* local: tokens generated */
    bool      queued;           /* local:offline: kept in the queue for the cloud */
    uint32_t  queue_seq;        /* its sequence number there */
    flm_err_t queue_err;        /* offline with a queue, but it could not be kept */
    flm_err_t ledger_err;       /* the budget ledger could not persist this answer */
    bool      logged;           /* kept in the escalation log */
    uint32_t  log_seq;          /* its number there */
    flm_err_t log_err;          /* logging on, but the entry could not be kept (full, too long) */
#if FLM_CFG_CLOUD
    flm_cloud_result_t cloud;   /* when the cloud was asked: usage, status, attempts */
#endif
} flm_ask_result_t;

/* cloud may be NULL (no endpoint). The decision is logged at INFO:
 * "route=cloud reason=cloud:difficulty score=0.9731" (" degraded",
 * " queued=7", " cap=daily_tokens", " logged=3" after it when they apply). res is filled as the
 * answer goes: by the first on_text call res->decision names the route
 * that gives the text (a streaming server sends it in its head then). */
flm_err_t flm_router_ask(flm_router_t *r, flm_ask_cloud_t *cloud, const flm_ask_t *q,
                         flm_ask_result_t *res);

#endif /* FLM_ROUTER_ASK_H */
