/* The router: parameters, the [router] section, and the decision. */
#include "core/router/router.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/crc32.h"
#include "core/base/q16.h"
#include "core/base/wipe.h"
#include "core/hal/hal.h"
#include "core/kernels/kernels.h"

static const char *const reason_names[] = {
#define FLM_REASON_NAME_(id, name) name,
    FLM_ROUTE_REASONS(FLM_REASON_NAME_)
#undef FLM_REASON_NAME_
};

const char *flm_route_reason_name(flm_route_reason_t r)
{
    return (unsigned)r < FLM_REASON_COUNT ? reason_names[r] : "unknown";
}

void flm_route_score_text(uint32_t score_q16, char buf[8])
{
    /* round half up to four decimals; 1.0 prints as 1.0000 */
    uint32_t v = (uint32_t)(((uint64_t)score_q16 * 10000u + FLM_Q16_ONE / 2) >> FLM_Q16_SHIFT);
    if (v > 10000u)
        v = 10000u;
    buf[0] = (char)('0' + v / 10000u);
    buf[1] = '.';
    for (int i = 5; i >= 2; i--) {
        buf[i] = (char)('0' + v % 10u);
        v /= 10u;
    }
    buf[6] = '\0';
}

/* ---- parameters ------------------------------------------------------------ */

#define PARAMS_MAGIC 0x524D4C46u /* "FLMR" */

flm_err_t flm_router_params_load(flm_router_params_t *p, const void *blob, size_t n)
{
    const uint8_t *b = blob;
    if (!p || !b)
        return FLM_ERR_ARG;
    memset(p, 0, sizeof *p);
    if (n != FLM_ROUTER_PARAMS_BYTES || flm_rd32le(b) != PARAMS_MAGIC ||
        flm_rd16le(b + 4) != FLM_ROUTER_PARAMS_VERSION || flm_rd16le(b + 6) != FLM_ROUTER_FEATURES ||
        flm_crc32_update(0, b, n - 4) != flm_rd32le(b + n - 4))
        return FLM_ERR_CONFIG_VALUE;
    p->threshold = flm_rd32le(b + 8);
    p->bias = (int32_t)flm_rd32le(b + 12);
    for (uint32_t i = 0; i < FLM_ROUTER_FEATURES; i++) {
        p->weight[i] = (int32_t)flm_rd32le(b + 16 + 4 * i);
        if (p->weight[i] < 0)
            return FLM_ERR_CONFIG_VALUE; /* a feature may only push towards the cloud */
    }
    if (p->threshold > FLM_Q16_ONE)
        return FLM_ERR_CONFIG_VALUE;
    return FLM_OK;
}

void flm_router_params_write(const flm_router_params_t *p, uint8_t out[FLM_ROUTER_PARAMS_BYTES])
{
    flm_wr32le(out, PARAMS_MAGIC);
    flm_wr16le(out + 4, FLM_ROUTER_PARAMS_VERSION);
    flm_wr16le(out + 6, FLM_ROUTER_FEATURES);
    flm_wr32le(out + 8, p->threshold);
    flm_wr32le(out + 12, (uint32_t)p->bias);
    for (uint32_t i = 0; i < FLM_ROUTER_FEATURES; i++)
        flm_wr32le(out + 16 + 4 * i, (uint32_t)p->weight[i]);
    flm_wr32le(out + FLM_ROUTER_PARAMS_BYTES - 4, flm_crc32_update(0, out, FLM_ROUTER_PARAMS_BYTES - 4));
}

/* sigmoid of a Q16 logit, as Q16 in [0, 1]: 1 / (1 + e^-z) with e^-|z| from
 * flm_exp_q16 (Q2.30), symmetric about 0. */
static uint32_t sigmoid_q16(int64_t z)
{
    int32_t neg = z > 0 ? (z > INT32_MAX ? INT32_MIN : (int32_t)-z) : (z < INT32_MIN ? INT32_MIN : (int32_t)z);
    uint64_t e = flm_exp_q16(neg);             /* e^-|z|, 1.0 = 2^30 */
    uint64_t one = (uint64_t)1 << 30;
    uint64_t big = ((one << FLM_Q16_SHIFT) + (one + e) / 2) / (one + e); /* 1 / (1 + e^-|z|) */
    return z >= 0 ? (uint32_t)big : FLM_Q16_ONE - (uint32_t)big;
}

uint32_t flm_router_score(const flm_router_params_t *p, const int32_t f[FLM_ROUTER_FEATURES])
{
    int64_t z = (int64_t)p->bias * ((int64_t)1 << FLM_Q16_SHIFT); /* Q32 (a multiply: a negative bias may not be shifted) */
    for (uint32_t i = 0; i < FLM_ROUTER_FEATURES; i++)
        z += (int64_t)p->weight[i] * f[i];
    /* back to Q16, round half up (arithmetic shift done on a non-negative bias) */
    int64_t zq = z >= 0 ? (z + (1 << 15)) >> FLM_Q16_SHIFT : -((-z + (1 << 15) - 1) >> FLM_Q16_SHIFT);
    return sigmoid_q16(zq);
}

/* ---- settings ------------------------------------------------------------ */

void flm_router_settings_init(flm_router_settings_t *s)
{
    memset(s, 0, sizeof *s);
    s->mode = FLM_ROUTER_MODE_PRE;
    s->cascade_window = 8;
    s->threshold_q16 = UINT32_MAX;
    s->cascade_nll_q16 = 3u * FLM_Q16_ONE;
}

/* ---- deciding ----------------------------------------------------------------- */

flm_err_t flm_router_init(flm_router_t *r, const flm_router_settings_t *s,
                          const flm_router_params_t *p, flm_engine_t *engine,
                          flm_privacy_t *privacy)
{
    if (!r || !s || !p || !engine)
        return FLM_ERR_ARG;
    memset(r, 0, sizeof *r);
    r->settings = *s;
    r->params = *p;
    if (s->threshold_q16 != UINT32_MAX)
        r->params.threshold = s->threshold_q16;
    r->engine = engine;
#if FLM_CFG_CLOUD
    r->privacy = privacy;
#else
    (void)privacy;
#endif
    return FLM_OK;
}

void flm_router_set_guards(flm_router_t *r, flm_queue_t *queue, flm_ledger_t *ledger)
{
    if (!r)
        return;
#if FLM_CFG_CLOUD
    r->queue = queue;
    r->ledger = ledger;
#else
    (void)queue;
    (void)ledger;
#endif
}

void flm_router_set_log(flm_router_t *r, flm_esclog_t *log)
{
    if (!r)
        return;
#if FLM_CFG_CLOUD
    r->esclog = log;
#else
    (void)log;
#endif
}

void flm_router_deinit(flm_router_t *r)
{
    if (r)
        flm_wipe(r, sizeof *r); /* the redaction map and buffers held personal data */
}

/* Does any comma-separated keyword of list occur in the prompt (case-blind)? */
static bool keyword_in(const char *list, const uint8_t *p, size_t len)
{
    while (*list) {
        while (*list == ',' || *list == ' ' || *list == '\t')
            list++;
        size_t n = 0;
        while (list[n] && list[n] != ',')
            n++;
        size_t k = n;
        while (k && (list[k - 1] == ' ' || list[k - 1] == '\t'))
            k--;
        for (size_t i = 0; k && i + k <= len; i++) {
            size_t j = 0;
            while (j < k) {
                uint8_t a = p[i + j], b = (uint8_t)list[j];
                a = a >= 'A' && a <= 'Z' ? (uint8_t)(a + 32) : a;
                b = b >= 'A' && b <= 'Z' ? (uint8_t)(b + 32) : b;
                if (a != b)
                    break;
                j++;
            }
            if (j == k)
                return true;
        }
        list += n;
    }
    return false;
}

/* The prefill's callback: gather each prompt token's confidence. */
static flm_err_t gather(void *user, const flm_engine_token_t *t, const int32_t *logits)
{
    (void)logits;
    flm_router_tokens_t *g = user;
    int32_t nll = t->conf.logprob < -INT32_MAX ? INT32_MAX : -t->conf.logprob;
    if (g->n < FLM_ROUTER_MAX_TOKENS)
        g->nll[g->n] = nll;
    g->n++;
    g->nll_sum += nll;
    g->entropy_sum += t->conf.entropy;
    g->misses += t->conf.rank > 0;
    g->far += t->conf.rank >= 16;
    g->bytes_like += t->piece_len == 1;
    return FLM_OK;
}

static void decided(flm_route_decision_t *d, flm_route_t route, flm_route_reason_t reason)
{
    d->route = route;
    d->reason = reason;
}

flm_err_t flm_router_decide(flm_router_t *r, const uint8_t *prompt, size_t len, uint32_t steps,
                            flm_cloud_reach_t reach, flm_route_decision_t *d)
{
    if (!r || !r->engine || (!prompt && len) || !d)
        return FLM_ERR_ARG;
    memset(d, 0, sizeof *d);
    const flm_router_settings_t *s = &r->settings;
    flm_err_t err = flm_engine_start(r->engine, prompt, len, steps);
    bool too_long = err == FLM_ERR_ENGINE_CONTEXT_FULL || err == FLM_ERR_ENGINE_PROMPT_TOO_LONG;
    if (err && !too_long)
        return err;

    if (s->force_cloud[0] && keyword_in(s->force_cloud, prompt, len))
        decided(d, FLM_ROUTE_CLOUD, FLM_REASON_CLOUD_RULE);
    else if (s->force_local[0] && keyword_in(s->force_local, prompt, len))
        decided(d, FLM_ROUTE_LOCAL, FLM_REASON_LOCAL_RULE);
    else if (s->mode == FLM_ROUTER_MODE_LOCAL)
        decided(d, FLM_ROUTE_LOCAL, FLM_REASON_LOCAL_RULE);
    else if (s->mode == FLM_ROUTER_MODE_CLOUD)
        decided(d, FLM_ROUTE_CLOUD, FLM_REASON_CLOUD_MODE);
    else if (too_long)
        decided(d, FLM_ROUTE_CLOUD, FLM_REASON_CLOUD_TOO_LONG);
    else {
        memset(&r->tokens, 0, sizeof r->tokens);
        err = flm_engine_prefill(r->engine, gather, &r->tokens);
        if (err)
            return err;
        flm_router_features(prompt, len, &r->tokens, r->features);
        d->score = flm_router_score(&r->params, r->features);
        d->scored = true;
        /* cascade decides after a local start; until then it is local */
        if (s->mode == FLM_ROUTER_MODE_PRE && d->score >= r->params.threshold)
            decided(d, FLM_ROUTE_CLOUD, FLM_REASON_CLOUD_DIFFICULTY);
        else
            decided(d, FLM_ROUTE_LOCAL, FLM_REASON_LOCAL_CONFIDENT);
    }
#if FLM_CFG_CLOUD
    /* the guard: nothing below may send what it refuses */
    if (r->privacy) {
        flm_privacy_result_t pr;
        flm_privacy_map_init(&r->pii_map);
        err = flm_privacy_check(r->privacy, (const char *)prompt, len, &r->pii_map, r->redacted,
                                sizeof r->redacted - 1, &pr);
        if (err)
            return err;
        d->pii_types = pr.types;
        if (pr.verdict == FLM_PRIVACY_LOCAL) {
            decided(d, FLM_ROUTE_LOCAL, FLM_REASON_LOCAL_PII);
        } else if (pr.verdict == FLM_PRIVACY_REDACTED) {
            r->redacted[pr.out_len] = '\0';
            d->redacted = true;
        }
    }
#endif
#if FLM_CFG_CLOUD
    /* the budget: a request that would pass a cap stays here, reachable or
     * not (so it is not queued for later either) */
    if (d->route == FLM_ROUTE_CLOUD && r->ledger) {
        uint64_t est_in = r->engine->n_prompt;
        if (est_in < (len + 3) / 4)
            est_in = (len + 3) / 4; /* not tokenized (too long): about four bytes a token */
        int64_t now = 0;
        if (flm_hal_utc_s(&now) != FLM_OK)
            now = 0;
        flm_budget_verdict_t v;
        if (flm_ledger_check(r->ledger, now, est_in, r->est_out, &v) == FLM_ERR_BUDGET_EXCEEDED) {
            decided(d, FLM_ROUTE_LOCAL, FLM_REASON_LOCAL_BUDGET);
            d->budget_cap = v.cap;
        }
    }
#endif
    if (d->route == FLM_ROUTE_CLOUD && reach != FLM_CLOUD_REACHABLE)
        decided(d, FLM_ROUTE_LOCAL, reach == FLM_CLOUD_OFFLINE ? FLM_REASON_LOCAL_OFFLINE
                                                               : FLM_REASON_LOCAL_CLOUD_UNAVAILABLE);
    if (too_long && d->route == FLM_ROUTE_LOCAL)
        return FLM_ERR_ENGINE_CONTEXT_FULL; /* decided, but nothing here can answer it */
    return FLM_OK;
}
