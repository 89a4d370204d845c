/* Delivering the queue's prompts to the cloud once it can be reached. */
#include "core/guard/forward.h"
#if FLM_CFG_CLOUD

#include <string.h>

#include "core/hal/hal.h"

uint32_t flm_forward_pending(const flm_queue_t *q)
{
    return q && q->ready ? q->queued : 0;
}

static int64_t utc_now(void)
{
    int64_t now = 0;
    return flm_hal_utc_s(&now) == FLM_OK ? now : 0;
}

/* How much of the answer a record takes: cut at a NUL, then to the queue's
 * record, at a character boundary. */
static size_t storable(const flm_queue_t *q, const char *text, size_t n)
{
    const char *nul = memchr(text, '\0', n);
    if (nul)
        n = (size_t)(nul - text);
    size_t room = q->work_size > FLM_QUEUE_RECORD_OVERHEAD ? q->work_size - FLM_QUEUE_RECORD_OVERHEAD : 0;
    if (n > room) {
        n = room;
        while (n && ((uint8_t)text[n] & 0xC0u) == 0x80u)
            n--; /* text[n] continues a character: cut before it starts */
    }
    return n;
}

/* A refusal a repeat will not change: a 4xx other than 408 and 429. */
static bool refused_for_good(const flm_cloud_result_t *cr)
{
    return cr->http_status >= 400 && cr->http_status < 500 && cr->http_status != 408 &&
           cr->http_status != 429;
}

/* A delivered item into the escalation log: its prompt as the queue kept
 * it (redacted under redact), the cloud's answer as it came. */
static void log_delivery(flm_queue_t *q, uint32_t seq, const flm_openai_result_t *reply,
                         flm_esclog_t *log, int64_t now, flm_forward_result_t *res)
{
    flm_queue_item_t it;
    flm_err_t e = flm_queue_get(q, seq, &it); /* the prompt again: the answer took the buffer */
    if (!e) {
        size_t alen = reply->text ? reply->text_len : 0;
        const char *nul = alen ? memchr(reply->text, 0, alen) : NULL;
        flm_esclog_entry_t en = {
            .utc = (uint64_t)now, .cloud = true, .reason = "cloud:queued",
            .prompt = it.prompt, .prompt_len = it.prompt_len,
            .system = it.system, .system_len = it.system_len,
            .answer = reply->text ? reply->text : "",
            .answer_len = nul ? (size_t)(nul - reply->text) : alen,
        };
        if (reply->has_usage && reply->prompt_tokens >= 0 && reply->prompt_tokens <= (int64_t)UINT32_MAX &&
            reply->completion_tokens >= 0 && reply->completion_tokens <= (int64_t)UINT32_MAX) {
            en.has_usage = true;
            en.prompt_tokens = (uint32_t)reply->prompt_tokens;
            en.completion_tokens = (uint32_t)reply->completion_tokens;
        }
        e = flm_esclog_append(log, &en, NULL);
    }
    if (e) {
        res->log_failed++;
        flm_hal_log(FLM_LOG_WARN, "queue: %u not logged (%s)", (unsigned)seq, flm_strerror(e));
    } else {
        res->logged++;
    }
}

flm_err_t flm_forward_flush(flm_queue_t *q, flm_cloud_client_t *cloud, flm_ledger_t *ledger,
                            flm_esclog_t *log, uint32_t max, flm_forward_result_t *res)
{
    if (!q || !cloud || !res)
        return FLM_ERR_ARG;
    memset(res, 0, sizeof *res);
    flm_err_t err = FLM_OK;
    if (!flm_hal_link_up())
        err = FLM_ERR_NET_DOWN;
    else if (!flm_cloud_available(cloud))
        err = FLM_ERR_CLOUD_BREAKER_OPEN;
    uint32_t after = 0, tried = 0;
    flm_queue_item_t it;
    while (!err && (max == 0 || tried < max)) {
        flm_err_t e = flm_queue_next_pending(q, after, &it);
        if (e == FLM_ERR_NOT_FOUND)
            break;
        if (e) {
            err = e;
            break;
        }
        after = it.seq;
        tried++;
        uint64_t est_in = (it.prompt_len + it.system_len + 3) / 4; /* about four bytes a token */
        int64_t now = utc_now();
        if (ledger && flm_ledger_check(ledger, now, est_in, 0, NULL) == FLM_ERR_BUDGET_EXCEEDED) {
            res->over_budget = true;
            err = FLM_ERR_BUDGET_EXCEEDED;
            break;
        }
        /* it.prompt and it.system stay valid: nothing calls the queue until the answer */
        flm_cloud_request_t rq = { .system = it.system, .prompt = it.prompt,
                                   .temperature_milli = -1, .idempotency_key = it.idem_key };
        flm_cloud_result_t cr;
        e = flm_cloud_complete(cloud, &rq, &cr);
        if (e) {
            res->last_err = e;
            res->last_status = cr.http_status;
            flm_hal_log(FLM_LOG_WARN, "queue: %u not delivered (%s, HTTP %d); it stays queued",
                        (unsigned)it.seq, flm_strerror(e), cr.http_status);
            if (refused_for_good(&cr)) {
                res->refused++;
                continue;
            }
            res->failed++;
            err = e;
            break;
        }
        const flm_openai_result_t *reply = cr.reply;
        if (ledger) {
            int64_t pin = (int64_t)est_in, pout = (int64_t)((reply->text_len + 3) / 4);
            if (reply->has_usage) {
                pin = reply->prompt_tokens;
                pout = reply->completion_tokens;
            }
            e = flm_ledger_record_cloud(ledger, now, pin, pout);
            if (e)
                flm_hal_log(FLM_LOG_WARN, "queue: the ledger was not saved (%s)", flm_strerror(e));
        }
        e = flm_queue_answer(q, it.seq, reply->text, storable(q, reply->text, reply->text_len),
                             (uint64_t)now);
        if (e == FLM_ERR_STATE) /* answered or dropped meanwhile: nothing to keep */
            continue;
        if (e) {
            res->failed++;
            res->last_err = e;
            err = e;
            break;
        }
        res->delivered++;
        flm_hal_log(FLM_LOG_INFO, "queue: %u delivered (Idempotency-Key %s)", (unsigned)it.seq,
                    it.idem_key);
        if (log && log->settings.escalations)
            log_delivery(q, it.seq, reply, log, now, res);
    }
    if (!err && res->refused)
        err = res->last_err;
    res->pending = flm_forward_pending(q);
    return err;
}

#endif /* FLM_CFG_CLOUD */
