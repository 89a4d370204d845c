/*
 * Store and forward, the forward half: the prompts the queue kept while the
 * cloud could not be reached (core/guard/queue.h) delivered once it can,
 * oldest first, each with its idempotency key in an "Idempotency-Key"
 * header, and the cloud's answers stored in the queue for the application
 * to collect (flm_queue_collect).
 *
 *   flm_forward_result_t fr;
 *   if (flm_forward_pending(&q))
 *       flm_forward_flush(&q, &cloud, &ledger, &log, 0, &fr);   // ledger, log may be NULL
 *
 * At least once: an item is marked answered only after its answer is
 * stored, so a delivery cut anywhere (the link lost with the request sent,
 * the answer lost on the way, a power cut before the answer record is
 * whole) leaves it queued, and the next flush sends it again with the same
 * key, by which the server can recognise the retry; the client's own
 * retries within one delivery carry the same key too. The application
 * takes each answer exactly once: collecting one drops the item.
 *
 * The budget holds for deliveries as for any cloud request: each is checked
 * against the ledger first (a cap reached stops the flush, the rest stay
 * queued) and counted after (the reply's usage). An answer longer than the
 * queue's record is stored cut at a character boundary, at the first NUL
 * if it holds one.
 *
 * With an escalation log whose escalations is on, each delivered item is
 * logged too (reason "cloud:queued", no score: the decision was made when
 * it was kept), its prompt as the queue holds it (redacted under redact)
 * and the cloud's whole answer.
 */
#ifndef FLM_GUARD_FORWARD_H
#define FLM_GUARD_FORWARD_H

#include "core/base/config.h"
#if FLM_CFG_CLOUD

#include <stdbool.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/cloud/cloud_client.h"
#include "core/guard/esclog.h"
#include "core/guard/ledger.h"
#include "core/guard/queue.h"

typedef struct {
    uint32_t  delivered;  /* answered by the cloud, the answer stored */
    uint32_t  failed;     /* deliveries that failed: still queued, for the next flush */
    uint32_t  refused;    /* refused by the server for good (a 4xx): still queued, drop them */
    uint32_t  pending;    /* queued after the flush */
    bool      over_budget;/* stopped before a delivery that would pass a [budget] cap */
    flm_err_t last_err;   /* the last failure's */
    int       last_status;/* its HTTP status, 0 if none */
    uint32_t  logged;     /* delivered items kept in the escalation log */
    uint32_t  log_failed; /* delivered items the log could not keep (full, too long) */
} flm_forward_result_t;

/* Items waiting for delivery. */
uint32_t  flm_forward_pending(const flm_queue_t *q);

/* Deliver up to max queued items (0: all), oldest first. FLM_OK when every
 * one tried was delivered; FLM_ERR_NET_DOWN (the link is down) or
 * FLM_ERR_CLOUD_BREAKER_OPEN before any is tried; FLM_ERR_BUDGET_EXCEEDED
 * when a cap stopped it; else the last failure. A transport failure, a
 * timeout, a 5xx or 429 stops the flush (the rest would fail the same way);
 * a delivery the server refuses with another 4xx is left queued and the
 * flush goes on. */
flm_err_t flm_forward_flush(flm_queue_t *q, flm_cloud_client_t *cloud, flm_ledger_t *ledger,
                            flm_esclog_t *log, uint32_t max, flm_forward_result_t *res);

#endif /* FLM_CFG_CLOUD */
#endif /* FLM_GUARD_FORWARD_H */
