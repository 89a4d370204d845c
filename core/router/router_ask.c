/* Decide, then answer: locally, by the cloud, or locally after the cloud failed. */
#include "core/router/router_ask.h"

#include <string.h>

#include "core/base/fmt.h"
#include "core/hal/hal.h"

static bool cancelled(const flm_ask_t *q)
{
    return q->cancelled && q->cancelled(q->user);
}

static flm_err_t emit(const flm_ask_t *q, const uint8_t *p, size_t n)
{
    return q->on_text && n ? q->on_text(q->user, (const char *)p, n) : FLM_OK;
}

/* Generate locally from where the engine stands (after the prompt, or
 * within it: forced tokens are not part of the answer). */
static flm_err_t answer_locally(flm_router_t *r, const flm_ask_t *q, flm_ask_result_t *res)
{
    flm_engine_t *e = r->engine;
    flm_engine_token_t t;
    flm_err_t err = FLM_OK;
    while (!err && e->status == FLM_ENGINE_RUNNING) {
        if (cancelled(q)) {
            flm_engine_cancel(e);
            return FLM_ERR_CANCELLED;
        }
        err = flm_engine_step(e, &t);
        if (!err && !t.forced) {
            res->local_tokens++;
            err = emit(q, t.piece, t.piece_len);
        }
    }
    return err;
}

/* Cascade: generate the first cascade_window tokens, held back in
 * r->probe; *lost says their mean NLL shows the model lost its way. Shown
 * at once when it did not, or when there is no cloud to turn to. */
static flm_err_t probe(flm_router_t *r, const flm_ask_t *q, flm_ask_result_t *res,
                       flm_cloud_reach_t reach, bool *lost)
{
    flm_engine_t *e = r->engine;
    bool saved = e->confidence;
    e->confidence = true;
    int64_t nll = 0;
    uint32_t n = 0;
    flm_err_t err = FLM_OK;
    flm_engine_token_t t;
    r->probe_len = 0;
    while (!err && e->status == FLM_ENGINE_RUNNING && n < r->settings.cascade_window) {
        err = flm_engine_step(e, &t);
        if (err || t.forced)
            continue;
        n++;
        nll -= t.conf.logprob;
        size_t room = sizeof r->probe - r->probe_len;
        size_t k = t.piece_len < room ? t.piece_len : room;
        memcpy(r->probe + r->probe_len, t.piece, k);
        r->probe_len += k;
    }
    e->confidence = saved;
    if (err)
        return err;
    res->local_tokens += n;
    *lost = n > 0 && nll / n > (int64_t)r->settings.cascade_nll_q16;
    if (*lost && reach == FLM_CLOUD_REACHABLE)
        return FLM_OK;
    if (*lost) {
        res->decision.reason = reach == FLM_CLOUD_OFFLINE ? FLM_REASON_LOCAL_OFFLINE
                                                          : FLM_REASON_LOCAL_CLOUD_UNAVAILABLE;
        res->degraded = reach == FLM_CLOUD_OFFLINE;
    }
    return emit(q, (const uint8_t *)r->probe, r->probe_len);
}

#if FLM_CFG_CLOUD
typedef struct {
    const flm_ask_t        *q;
    size_t                  delivered; /* bytes of cloud text the caller has seen */
    flm_privacy_restorer_t *restorer;  /* redact: placeholders back to the values */
} relay_t;

static flm_err_t emit_text(void *user, const char *text, size_t n)
{
    return emit(user, (const uint8_t *)text, n);
}

static flm_err_t relay(void *user, const char *text, size_t n)
{
    relay_t *rl = user;
    rl->delivered += n;
    return rl->restorer ? flm_privacy_restore(rl->restorer, text, n)
                        : emit(rl->q, (const uint8_t *)text, n);
}

static bool relay_cancelled(void *user)
{
    const relay_t *rl = user;
    return cancelled(rl->q);
}

/* The system message under the guard, as the prompt was: LOCAL keeps the
 * request on the device, REDACTED sends r->redacted_system. */
static flm_err_t guard_system(flm_router_t *r, const flm_ask_t *q, flm_route_decision_t *d,
                              const char **system_up)
{
    *system_up = q->system;
    if (!r->privacy || !q->system)
        return FLM_OK;
    flm_privacy_result_t pr;
    flm_err_t err = flm_privacy_check(r->privacy, q->system, strlen(q->system), &r->pii_map,
                                      r->redacted_system, sizeof r->redacted_system - 1, &pr);
    if (err)
        return err;
    d->pii_types |= pr.types;
    if (pr.verdict == FLM_PRIVACY_LOCAL) {
        d->route = FLM_ROUTE_LOCAL;
        d->reason = FLM_REASON_LOCAL_PII;
    } else if (pr.verdict == FLM_PRIVACY_REDACTED) {
        r->redacted_system[pr.out_len] = '\0';
        *system_up = r->redacted_system;
        d->redacted = true;
    }
    return FLM_OK;
}

/* The cloud's answer; *delivered says whether any of it reached the caller.
 * Under redact the cloud sees placeholders and the caller the values. */
static flm_err_t answer_in_cloud(flm_router_t *r, flm_cloud_client_t *cloud, const flm_ask_t *q,
                                 const char *system_up, flm_ask_result_t *res, bool *delivered)
{
    relay_t rl = { q, 0, NULL };
    bool redacted = res->decision.redacted;
    if (redacted) {
        flm_privacy_restorer_init(&r->restorer, &r->pii_map, emit_text, (void *)(uintptr_t)q);
        rl.restorer = &r->restorer;
    }
    flm_cloud_request_t rq = {
        .system = system_up, .prompt = redacted ? r->redacted : q->prompt,
        .max_tokens = q->max_tokens,
        .temperature_milli = q->set_temperature ? q->temperature_milli : -1,
        .stream = q->stream, .on_delta = relay, .cancelled = relay_cancelled, .user = &rl,
    };
    /* a whole (non-streamed) reply reaches on_delta too, once, whole */
    flm_err_t err = flm_cloud_complete(cloud, &rq, &res->cloud);
    if (!err && redacted)
        err = flm_privacy_restore_flush(&r->restorer);
    *delivered = rl.delivered > 0;
    return err;
}
#endif

#if FLM_CFG_CLOUD
static int64_t utc_now(void)
{
    int64_t now = 0;
    return flm_hal_utc_s(&now) == FLM_OK ? now : 0;
}

/* local:offline with a queue: keep the prompt as it would have left (the
 * system message through the guard too: personal data in it under
 * local-only keeps the whole request here, unqueued, as local:pii). */
static void keep_for_later(flm_router_t *r, const flm_ask_t *q, flm_ask_result_t *res)
{
    flm_route_decision_t *d = &res->decision;
    const char *system_up = q->system;
    flm_err_t err = guard_system(r, q, d, &system_up);
    if (!err && d->reason == FLM_REASON_LOCAL_PII) {
        res->degraded = false; /* it would never have left: the answer is the usual one */
        return;
    }
    if (!err)
        err = flm_queue_enqueue(r->queue, d->redacted ? r->redacted : q->prompt, system_up,
                                (uint64_t)utc_now(), &res->queue_seq);
    res->queued = err == FLM_OK;
    res->queue_err = err;
}

/* Count what the answer used. */
static void count_answer(flm_router_t *r, flm_ask_result_t *res)
{
    if (!r->ledger)
        return;
    int64_t now = utc_now();
    const flm_openai_result_t *reply = res->cloud.reply;
    if (res->decision.route == FLM_ROUTE_CLOUD) {
        int64_t pin = res->prompt_tokens, pout = r->est_out;
        if (reply && reply->has_usage) {
            pin = reply->prompt_tokens;
            pout = reply->completion_tokens;
        } else if (reply && (uint64_t)pout < (reply->text_len + 3) / 4) {
            pout = (int64_t)((reply->text_len + 3) / 4); /* no usage: about four bytes a token */
        }
        res->ledger_err = flm_ledger_record_cloud(r->ledger, now, pin, pout);
    } else {
        res->ledger_err = flm_ledger_record_local(r->ledger, now, res->prompt_tokens,
                                                  res->local_tokens);
    }
}
#endif

#if FLM_CFG_CLOUD
/* A cloud answer given in full: into the escalation log, as it left the
 * device and came back (the placeholders not restored). */
static void log_escalation(flm_router_t *r, const flm_ask_t *q, const char *system_up,
                           flm_ask_result_t *res)
{
    const flm_openai_result_t *reply = res->cloud.reply;
    if (!r->esclog || !r->esclog->settings.escalations || !reply)
        return;
    const flm_route_decision_t *d = &res->decision;
    const char *prompt = d->redacted ? r->redacted : q->prompt;
    flm_esclog_entry_t e = {
        .utc = (uint64_t)utc_now(), .cloud = true, .reason = flm_route_reason_name(d->reason),
        .scored = d->scored, .score = d->score, .redacted = d->redacted,
        .prompt = prompt, .prompt_len = strlen(prompt),
        .system = system_up, .system_len = system_up ? strlen(system_up) : 0,
        .answer = reply->text ? reply->text : "", .answer_len = reply->text ? reply->text_len : 0,
    };
    if (reply->has_usage && reply->prompt_tokens >= 0 && reply->prompt_tokens <= (int64_t)UINT32_MAX &&
        reply->completion_tokens >= 0 && reply->completion_tokens <= (int64_t)UINT32_MAX) {
        e.has_usage = true;
        e.prompt_tokens = (uint32_t)reply->prompt_tokens;
        e.completion_tokens = (uint32_t)reply->completion_tokens;
    }
    const char *nul = memchr(e.answer, 0, e.answer_len);
    if (nul)
        e.answer_len = (size_t)(nul - e.answer); /* a \u0000 in the reply: kept up to it */
    res->log_err = flm_esclog_append(r->esclog, &e, &res->log_seq);
    res->logged = res->log_err == FLM_OK;
}
#endif

static void log_decision(const flm_ask_result_t *res)
{
    char score[8], queued[24] = "", cap[32] = "", logged[24] = "";
    flm_route_score_text(res->decision.score, score);
    if (res->queued)
        flm_snprintf(queued, sizeof queued, " queued=%u", (unsigned)res->queue_seq);
    if (res->decision.reason == FLM_REASON_LOCAL_BUDGET)
        flm_snprintf(cap, sizeof cap, " cap=%s", flm_budget_cap_name(res->decision.budget_cap));
    if (res->logged)
        flm_snprintf(logged, sizeof logged, " logged=%u", (unsigned)res->log_seq);
    flm_hal_log(FLM_LOG_INFO, "route=%s reason=%s score=%s%s%s%s%s",
                res->decision.route == FLM_ROUTE_CLOUD ? "cloud" : "local",
                flm_route_reason_name(res->decision.reason), res->decision.scored ? score : "-",
                res->degraded ? " degraded" : "", queued, cap, logged);
}

flm_err_t flm_router_ask(flm_router_t *r, flm_ask_cloud_t *cloud, const flm_ask_t *q,
                         flm_ask_result_t *res)
{
    if (!r || !q || !q->prompt || !res)
        return FLM_ERR_ARG;
    memset(res, 0, sizeof *res);
#if FLM_CFG_CLOUD
    /* a link known down or a breaker open: no time spent on timeouts */
    flm_cloud_reach_t reach = !cloud ? FLM_CLOUD_NONE
                            : flm_hal_link_up() && flm_cloud_available(cloud) ? FLM_CLOUD_REACHABLE
                                                                                : FLM_CLOUD_OFFLINE;
#else
    (void)cloud;
    flm_cloud_reach_t reach = FLM_CLOUD_NONE;
#endif
    flm_route_decision_t *d = &res->decision;
    size_t len = strlen(q->prompt);
#if FLM_CFG_CLOUD
    r->est_out = q->max_tokens > 0 ? (uint32_t)q->max_tokens : 0;
#endif
    flm_err_t err = flm_router_decide(r, (const uint8_t *)q->prompt, len, q->steps, reach, d);
    res->degraded = d->reason == FLM_REASON_LOCAL_OFFLINE;
    res->prompt_tokens = r->engine->n_prompt;
    if (!err && d->route == FLM_ROUTE_LOCAL && d->reason == FLM_REASON_LOCAL_CONFIDENT &&
        r->settings.mode == FLM_ROUTER_MODE_CASCADE) {
        bool lost = false;
        err = probe(r, q, res, reach, &lost);
        if (!err && lost && reach == FLM_CLOUD_REACHABLE) {
            d->route = FLM_ROUTE_CLOUD;
            d->reason = FLM_REASON_CLOUD_CASCADE;
        }
    }
#if FLM_CFG_CLOUD
    const char *system_up = q->system;
    /* kept for the cloud even when too long for the local model: the cloud
     * can answer it once the link is back */
    if ((!err || err == FLM_ERR_ENGINE_CONTEXT_FULL) && d->reason == FLM_REASON_LOCAL_OFFLINE &&
        r->queue && r->queue->settings.enabled)
        keep_for_later(r, q, res);
    if (!err && d->route == FLM_ROUTE_CLOUD)
        err = guard_system(r, q, d, &system_up);
    if (!err && d->route == FLM_ROUTE_CLOUD) {
        bool delivered = false;
        res->cloud_err = answer_in_cloud(r, cloud, q, system_up, res, &delivered);
        if (!res->cloud_err || delivered || res->cloud_err == FLM_ERR_CANCELLED) {
            flm_privacy_map_deinit(&r->pii_map);
            if (!res->cloud_err || delivered)
                count_answer(r, res);
            if (!res->cloud_err)
                log_escalation(r, q, system_up, res);
            log_decision(res);
            return res->cloud_err;
        }
        /* nothing of the cloud's reached the caller: the device answers,
         * starting with what a cascade's probe held back */
        if (d->reason == FLM_REASON_CLOUD_CASCADE)
            err = emit(q, (const uint8_t *)r->probe, r->probe_len);
        d->route = FLM_ROUTE_LOCAL;
        d->reason = FLM_REASON_LOCAL_CLOUD_FAILED;
        res->degraded = true;
    }
#endif
    if (!err)
        err = answer_locally(r, q, res);
#if FLM_CFG_CLOUD
    flm_privacy_map_deinit(&r->pii_map); /* the values are wiped once the answer is out */
    if (!err)
        count_answer(r, res);
#endif
    log_decision(res);
    return err;
}
