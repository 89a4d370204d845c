/*
 * The router: for each prompt, answer on the device or escalate to the
 * cloud, decided on the device from the local model's own confidence, and
 * say why.
 *
 * Difficulty. One pass of the local model over the prompt (the engine's
 * prefill, which also fills the KV cache a local answer continues from)
 * gives per-token confidence: the token's NLL, its rank, the entropy. With
 * signals from the text itself (digits, operators, a '?', a question word
 * or an imperative at the start, answer-choice markers, code characters,
 * non-ASCII text) they form FLM_ROUTER_FEATURES features, each in Q16.16 and
 * oriented so that larger means "less like the model's domain, more like a
 * task". A linear model over them, with weights constrained to be >= 0 so a
 * feature can only push towards the cloud (a handful of examples cannot
 * teach it that a question mark makes a prompt easier), gives a logit, and
 * score = sigmoid(logit) in [0, 1]: higher is harder. Everything is integer.
 *
 * Cost per prompt token, beyond the forward pass a local answer needs
 * anyway: the confidence (two passes over the vocabulary with one
 * flm_exp_q16 per entry, one more comparing logits for the rank) and a few
 * additions. Per prompt: a selection over the token NLLs for the quantiles,
 * FLM_ROUTER_FEATURES multiply-adds, one exp for the sigmoid.
 *
 * Privacy comes before everything: a prompt with personal data (the guard
 * of core/guard/privacy.h) under policy local-only never leaves
 * (local:pii), whatever the score or a rule says; under redact it leaves
 * with placeholders, restored in the answer. Then the budget (the ledger
 * of core/guard/ledger.h): a cloud request whose estimate (the prompt's
 * tokens, and the answer's max_tokens when given) would pass a cap stays
 * local (local:budget), online or not, so it is never queued either.
 *
 * Parameters (weights, bias, threshold) are a small blob beside the model
 * (MODEL.router, written by tools/router/; flm_router_params_load), a few
 * hundred bytes. Rules on top, in this order: keywords that force the cloud
 * or the device, a prompt longer than the local context goes up, and a
 * cloud that is not there (no [cloud], link down, breaker open) means local.
 *
 * Modes: pre-routing (decide from the prompt before generating: the
 * default) and cascade (start locally; after a probe of cascade_window
 * generated tokens, escalate if their mean NLL is above cascade_nll).
 */
#ifndef FLM_ROUTER_H
#define FLM_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/base/ini.h"
#include "core/guard/esclog.h"
#include "core/guard/ledger.h"
#include "core/guard/privacy.h"
#include "core/guard/queue.h"
#include "core/infer/engine.h"

/* ---- decisions ------------------------------------------------------------ */

typedef enum { FLM_ROUTE_LOCAL = 0, FLM_ROUTE_CLOUD = 1 } flm_route_t;

/* Why; the name of each is its route and a word: "local:confident". */
#define FLM_ROUTE_REASONS(X)                                                          \
    X(FLM_REASON_LOCAL_CONFIDENT, "local:confident")   /* score below the threshold */ \
    X(FLM_REASON_CLOUD_DIFFICULTY, "cloud:difficulty") /* score at or above it */      \
    X(FLM_REASON_CLOUD_RULE, "cloud:rule")             /* a force_cloud keyword */     \
    X(FLM_REASON_LOCAL_RULE, "local:rule")             /* a force_local keyword, or mode = local */ \
    X(FLM_REASON_CLOUD_TOO_LONG, "cloud:too-long")     /* longer than the local context */ \
    X(FLM_REASON_CLOUD_MODE, "cloud:mode")             /* mode = cloud */              \
    X(FLM_REASON_CLOUD_CASCADE, "cloud:cascade")       /* the local start lost confidence */ \
    X(FLM_REASON_LOCAL_PII, "local:pii")               /* personal data, policy local-only */ \
    X(FLM_REASON_LOCAL_CLOUD_UNAVAILABLE, "local:cloud-unavailable") /* no cloud endpoint here */ \
    X(FLM_REASON_LOCAL_OFFLINE, "local:offline")       /* link down or breaker open: degraded */ \
    X(FLM_REASON_LOCAL_CLOUD_FAILED, "local:cloud-failed") /* escalated, failed: answered here, degraded */ \
    X(FLM_REASON_LOCAL_BUDGET, "local:budget")         /* a [budget] cap would be passed */

typedef enum {
#define FLM_REASON_ENUM_(id, name) id,
    FLM_ROUTE_REASONS(FLM_REASON_ENUM_)
#undef FLM_REASON_ENUM_
    FLM_REASON_COUNT
} flm_route_reason_t;

const char *flm_route_reason_name(flm_route_reason_t r);

typedef struct {
    flm_route_t        route;
    flm_route_reason_t reason;
    uint32_t           score;     /* Q16.16 in [0, 1]; higher is harder */
    bool               scored;    /* the model read the prompt (not decided by a rule first) */
    uint32_t           pii_types; /* the privacy guard's findings: bit (1u << flm_pii_type_t) */
    bool               redacted;  /* policy redact: the cloud gets flm_router_t.redacted */
    flm_budget_cap_t   budget_cap; /* local:budget: the cap the request would pass */
} flm_route_decision_t;

/* "0.1234": a score with four decimals, the same text on every port. */
void flm_route_score_text(uint32_t score_q16, char buf[8]);

/* ---- features --------------------------------------------------------------- */

/* The features, in their fixed order (the parameters' weights follow it):
 *   nll_mean, nll_p50, nll_p90   the prompt tokens' NLL: mean, median, 90th percentile (nats)
 *   miss_rate, far_rate          share of tokens not the model's first choice / ranked 16th+
 *   entropy_mean                 mean entropy of the predictions (nats)
 *   byte_frac, tokens_per_byte   single-character or raw-byte tokens; tokens per byte
 *   digit_frac, has_digit        digits per byte; any digit
 *   operators                    + * / = % ^ < > $, up to 4, a quarter each
 *   question_mark, ends_question a '?' anywhere; the last character is '?'
 *   starts_wh, starts_imperative the first word asks (what, how, is, can, ...) / instructs
 *                                (write, explain, translate, ...); not after a quote
 *   choices                      two or more answer-choice markers: A) B) or (A) (B)
 *   code_frac, nonascii_frac     { } [ ] ; _ # ` \ | per byte; bytes >= 0x80 per byte
 *   length                       bytes / 256, at most 4 */
#define FLM_ROUTER_FEATURES_LIST(X)                                                     \
    X(NLL_MEAN, "nll_mean") X(NLL_P50, "nll_p50") X(NLL_P90, "nll_p90")                 \
    X(MISS_RATE, "miss_rate") X(FAR_RATE, "far_rate") X(ENTROPY_MEAN, "entropy_mean")   \
    X(BYTE_FRAC, "byte_frac") X(TOKENS_PER_BYTE, "tokens_per_byte")                     \
    X(DIGIT_FRAC, "digit_frac") X(HAS_DIGIT, "has_digit") X(OPERATORS, "operators")     \
    X(QUESTION_MARK, "question_mark") X(ENDS_QUESTION, "ends_question")                 \
    X(STARTS_WH, "starts_wh") X(STARTS_IMPERATIVE, "starts_imperative")                 \
    X(CHOICES, "choices") X(CODE_FRAC, "code_frac") X(NONASCII_FRAC, "nonascii_frac")   \
    X(LENGTH, "length")

typedef enum {
#define FLM_FEATURE_ENUM_(id, name) FLM_FEATURE_##id,
    FLM_ROUTER_FEATURES_LIST(FLM_FEATURE_ENUM_)
#undef FLM_FEATURE_ENUM_
    FLM_ROUTER_FEATURES
} flm_router_feature_t;

const char *flm_router_feature_name(flm_router_feature_t f); /* "nll_mean" */

/* The prompt's per-token confidences, gathered during the prefill. */
typedef struct {
    uint32_t n;                             /* tokens scored */
    int64_t  nll_sum, entropy_sum;          /* Q16 nats */
    uint32_t misses, far, bytes_like;
    int32_t  nll[FLM_ROUTER_MAX_TOKENS];    /* the first FLM_ROUTER_MAX_TOKENS, for quantiles */
} flm_router_tokens_t;

/* Fill f[FLM_ROUTER_FEATURES] from the prompt text and its tokens. */
void flm_router_features(const uint8_t *prompt, size_t len, const flm_router_tokens_t *tok,
                         int32_t f[FLM_ROUTER_FEATURES]);

/* ---- parameters -------------------------------------------------------------- */

/* The blob (all little-endian): "FLMR", u16 version (1), u16 feature count
 * (FLM_ROUTER_FEATURES), i32 threshold (Q16 score), i32 bias (Q16 logit),
 * i32 weights[count] (Q16, each >= 0), u32 CRC-32 of everything before it. */
#define FLM_ROUTER_PARAMS_VERSION 1u
#define FLM_ROUTER_PARAMS_BYTES   (16u + 4u * FLM_ROUTER_FEATURES + 4u)

typedef struct {
    uint32_t threshold;                   /* Q16 score */
    int32_t  bias;                        /* Q16 logit */
    int32_t  weight[FLM_ROUTER_FEATURES]; /* Q16, >= 0 */
} flm_router_params_t;

/* FLM_ERR_CONFIG_VALUE for a blob that is not one (magic, version, count,
 * size, CRC, a negative weight, a threshold above 1). */
flm_err_t flm_router_params_load(flm_router_params_t *p, const void *blob, size_t n);
void      flm_router_params_write(const flm_router_params_t *p, uint8_t out[FLM_ROUTER_PARAMS_BYTES]);

/* sigmoid(bias + sum w_i f_i) as Q16 in [0, 1]. */
uint32_t flm_router_score(const flm_router_params_t *p, const int32_t f[FLM_ROUTER_FEATURES]);

/* ---- the [router] section ------------------------------------------------- */

typedef enum { FLM_ROUTER_MODE_PRE = 0, FLM_ROUTER_MODE_CASCADE, FLM_ROUTER_MODE_LOCAL,
               FLM_ROUTER_MODE_CLOUD } flm_router_mode_t;

typedef struct {
    char     params[FLM_RUNTIME_PATH_MAX]; /* "" : MODEL.router beside the model */
    uint32_t mode;                         /* flm_router_mode_t: pre | cascade | local | cloud */
    char     threshold[16];                /* decimal in [0, 1]; "" : the params' own */
    char     force_cloud[FLM_ROUTER_KEYWORDS_MAX]; /* comma-separated, case-blind substrings */
    char     force_local[FLM_ROUTER_KEYWORDS_MAX];
    uint32_t cascade_window;               /* generated tokens probed before deciding; 8 */
    char     cascade_nll[16];              /* decimal nats; above it the probe escalates; 3.0 */
    /* derived by the section's check */
    uint32_t threshold_q16;                /* 0xFFFFFFFF: the params' own */
    uint32_t cascade_nll_q16;
} flm_router_settings_t;

extern const flm_ini_section_t flm_router_ini_section;
void flm_router_settings_init(flm_router_settings_t *s);

/* ---- the router --------------------------------------------------------------- */

typedef struct {
    flm_router_settings_t settings;
    flm_router_params_t   params;
    flm_engine_t         *engine;
    flm_router_tokens_t   tokens; /* of the last prompt decided */
    int32_t               features[FLM_ROUTER_FEATURES];
    char                  probe[FLM_ROUTER_PROBE_MAX]; /* cascade: the local start, held back */
    size_t                probe_len;
#if FLM_CFG_CLOUD
    flm_privacy_t        *privacy; /* NULL: no guard (every prompt may leave) */
    flm_privacy_map_t     pii_map; /* redact: the placeholders of this prompt, wiped after */
    char                  redacted[FLM_ROUTER_REDACT_MAX];        /* the prompt, redacted */
    char                  redacted_system[FLM_ROUTER_REDACT_MAX]; /* its system message */
    flm_privacy_restorer_t restorer; /* the answer's placeholders back to the values */
    flm_ledger_t         *ledger;  /* NULL: no budget (every cloud request may go) */
    flm_queue_t          *queue;   /* NULL: nothing is kept while offline */
    flm_esclog_t         *esclog;  /* NULL: the cloud's answers are not logged */
    uint32_t              est_out; /* the budget check's completion estimate (max_tokens) */
#endif
} flm_router_t;

/* privacy: the guard every prompt passes before it may leave (NULL: none;
 * ignored in a build without the cloud, where nothing leaves). */
flm_err_t flm_router_init(flm_router_t *r, const flm_router_settings_t *s,
                          const flm_router_params_t *p, flm_engine_t *engine,
                          flm_privacy_t *privacy);
void      flm_router_deinit(flm_router_t *r);

/* The guards after the privacy one, both optional (NULL): the ledger every
 * cloud request is checked against before it goes (over a cap: local,
 * reason local:budget) and every answer is counted in by flm_router_ask;
 * the queue a prompt that would have gone up is kept in while offline
 * (flm_router_ask; only when its [queue] is enabled). Ignored in a build
 * without the cloud. */
void      flm_router_set_guards(flm_router_t *r, flm_queue_t *queue, flm_ledger_t *ledger);

/* The escalation log (core/guard/esclog.h; NULL: none): flm_router_ask
 * keeps each answer the cloud gave there, as it left and came back (under
 * redact with the placeholders), when its [log] escalations is on.
 * Ignored in a build without the cloud. */
void      flm_router_set_log(flm_router_t *r, flm_esclog_t *log);

/* Whether the cloud can be asked now; the caller knows (the client, the
 * HAL's link status, the breaker). */
typedef enum {
    FLM_CLOUD_REACHABLE = 0,
    FLM_CLOUD_NONE,    /* no endpoint on this device: local:cloud-unavailable */
    FLM_CLOUD_OFFLINE, /* link down or breaker open: local:offline, degraded */
} flm_cloud_reach_t;

/* Decide for one prompt: starts the engine on it (steps: positions for a
 * local answer, 0 = the context) and, unless a rule decides first, scores
 * it with the prefill, so a local answer continues with flm_engine_step.
 * A cloud decision the cloud cannot take now turns local, with the reason
 * reach gives. */
flm_err_t flm_router_decide(flm_router_t *r, const uint8_t *prompt, size_t len, uint32_t steps,
                            flm_cloud_reach_t reach, flm_route_decision_t *d);

#endif /* FLM_ROUTER_H */
