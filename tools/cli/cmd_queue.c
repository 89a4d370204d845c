/* fieldlm queue: the store-and-forward queue of a device (core/guard/queue.h):
 * what waits for the cloud, delivering it, dropping it, and taking the
 * cloud's answers. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/prctl.h>
#endif

#include "core/base/utc.h"
#include "core/guard/forward.h"
#include "core/runtime/runtime.h"
#include "tools/cli/cli.h"
#include "tools/cli/opt.h"

static const flm_opt_doc_t doc = {
    "queue", "list|flush|drop|collect -c CONFIG [options]",
    "The prompts a device kept while the cloud could not be reached ([queue] of\n"
    "CONFIG, in the record store: $FLM_STORE_DIR, else ./.fieldlm-store):\n"
    "  list     every item: seq TAB state TAB enqueued (UTC) TAB idempotency key\n"
    "           TAB prompt (\\n, \\t and \\\\ escaped), then a summary line\n"
    "  flush    deliver the queued prompts to [cloud] (each with its key in an\n"
    "           Idempotency-Key header) and store the answers; --max N at most N\n"
    "  drop     drop item --seq N, or --all\n"
    "  collect  take the answers: seq TAB idempotency key TAB answer (escaped)\n"
    "           for each answered item (--seq N: that one, raw), each then dropped:\n"
    "           an answer is collected once\n",
    "Exit status: 0 done, 1 failed (a delivery that failed: the item stays queued\n"
    "for the next flush), 2 bad usage.\n",
};

/* One line of text: \n, \r, \t and \\ escaped, other control bytes dropped. */
static void put_escaped(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            fputs("\\n", stdout);
        else if (c == '\r')
            fputs("\\r", stdout);
        else if (c == '\t')
            fputs("\\t", stdout);
        else if (c == '\\')
            fputs("\\\\", stdout);
        else if (c >= 0x20 && c != 0x7F)
            fputc(c, stdout);
    }
}

static void put_time(uint64_t t)
{
    flm_utc_t u;
    if (t > INT64_MAX || flm_utc_from_unix((int64_t)t, &u) != FLM_OK) {
        fputs("-", stdout);
        return;
    }
    printf("%04d-%02u-%02uT%02u:%02u:%02uZ", (int)u.year, u.month, u.day, u.hour, u.minute, u.second);
}

static int list(flm_queue_t *q)
{
    flm_queue_item_t it;
    flm_err_t err;
    for (uint32_t after = 0; (err = flm_queue_next(q, after, &it)) == FLM_OK; after = it.seq) {
        printf("%u\t%s\t", (unsigned)it.seq, flm_queue_state_name(it.state));
        put_time(it.enqueued_utc);
        printf("\t%s\t", it.idem_key);
        put_escaped(it.prompt, it.prompt_len);
        if (it.state == FLM_QUEUE_ANSWERED)
            printf("\t(answer: %u bytes)", (unsigned)it.answer_len);
        fputc('\n', stdout);
    }
    flm_queue_status_t st;
    flm_queue_status(q, &st);
    printf("%u items (at most %u): %u queued, %u answered; %llu bytes of records (at most %llu)",
           (unsigned)st.items, (unsigned)st.max_records, (unsigned)st.queued,
           (unsigned)st.answered, (unsigned long long)st.bytes, (unsigned long long)st.max_bytes);
    if (st.repaired)
        printf("; %u torn records repaired", (unsigned)st.repaired);
    if (st.unreadable)
        printf("; %u unreadable (drop them by seq)", (unsigned)st.unreadable);
    fputc('\n', stdout);
    if (err != FLM_ERR_NOT_FOUND) {
        fprintf(stderr, "fieldlm queue: %s\n", flm_strerror(err));
        return FLM_EXIT_FAIL;
    }
    return FLM_EXIT_OK;
}

static int flush(flm_runtime_t *rt, long max)
{
#if FLM_CFG_CLOUD
    if (!rt->has_cloud) {
        fprintf(stderr, "fieldlm queue: flush needs a [cloud] section\n");
        return FLM_EXIT_FAIL;
    }
    flm_forward_result_t fr;
    flm_err_t err = flm_forward_flush(&rt->queue, &rt->cloud, rt->has_ledger ? &rt->ledger : NULL,
                                      rt->has_esclog ? &rt->esclog : NULL, (uint32_t)max, &fr);
    printf("delivered %u, failed %u, refused %u, pending %u", (unsigned)fr.delivered,
           (unsigned)fr.failed, (unsigned)fr.refused, (unsigned)fr.pending);
    if (fr.logged || fr.log_failed)
        printf("; logged %u (%u not)", (unsigned)fr.logged, (unsigned)fr.log_failed);
    fputc('\n', stdout);
    if (err == FLM_ERR_BUDGET_EXCEEDED)
        fprintf(stderr, "fieldlm queue: stopped: the next delivery would pass a [budget] cap\n");
    else if (err && fr.last_status)
        fprintf(stderr, "fieldlm queue: %s (HTTP %d)\n", flm_strerror(err), fr.last_status);
    else if (err)
        fprintf(stderr, "fieldlm queue: %s\n", flm_strerror(err));
    return err ? FLM_EXIT_FAIL : FLM_EXIT_OK;
#else
    (void)rt;
    (void)max;
    fprintf(stderr, "fieldlm queue: this build has no cloud client\n");
    return FLM_EXIT_FAIL;
#endif
}

static int collect(flm_queue_t *q, long seq)
{
    static char answer[FLM_QUEUE_TEXT_MAX + 1];
    static char key[FLM_QUEUE_IDEM_MAX];
    flm_queue_item_t it;
    flm_err_t err = FLM_OK;
    uint32_t after = seq > 0 ? (uint32_t)seq - 1 : 0;
    while ((err = flm_queue_next(q, after, &it)) == FLM_OK) {
        after = it.seq;
        if (seq > 0 && it.seq != (uint32_t)seq) {
            err = FLM_ERR_NOT_FOUND;
            break;
        }
        if (it.state == FLM_QUEUE_ANSWERED) {
            memcpy(key, it.idem_key, sizeof key);
            size_t len = 0;
            err = flm_queue_collect(q, it.seq, answer, sizeof answer, &len, (uint64_t)time(NULL));
            if (err)
                break;
            if (seq > 0) {
                fwrite(answer, 1, len, stdout);
                fputc('\n', stdout);
            } else {
                printf("%u\t%s\t", (unsigned)it.seq, key);
                put_escaped(answer, len);
                fputc('\n', stdout);
            }
        } else if (seq > 0) {
            fprintf(stderr, "fieldlm queue: %u is %s, it has no answer to collect\n",
                    (unsigned)seq, flm_queue_state_name(it.state));
            return FLM_EXIT_FAIL;
        }
        if (seq > 0) {
            err = flm_queue_compact(q);
            if (err)
                fprintf(stderr, "fieldlm queue: %s\n", flm_strerror(err));
            return err ? FLM_EXIT_FAIL : FLM_EXIT_OK;
        }
    }
    if (err == FLM_ERR_NOT_FOUND && seq > 0) {
        fprintf(stderr, "fieldlm queue: no item %ld\n", seq);
        return FLM_EXIT_FAIL;
    }
    if (err == FLM_ERR_NOT_FOUND)
        err = flm_queue_compact(q); /* the collected items' records go */
    if (err) {
        fprintf(stderr, "fieldlm queue: %s\n", flm_strerror(err));
        return FLM_EXIT_FAIL;
    }
    return FLM_EXIT_OK;
}

static int drop(flm_queue_t *q, long seq, bool all)
{
    flm_err_t err = FLM_OK;
    uint32_t n = 0;
    if (all) {
        flm_queue_item_t it;
        for (uint32_t after = 0; (err = flm_queue_next(q, after, &it)) == FLM_OK; after = it.seq) {
            if (it.state == FLM_QUEUE_DROPPED)
                continue;
            err = flm_queue_drop(q, it.seq, (uint64_t)time(NULL));
            if (err)
                break;
            n++;
        }
        if (err == FLM_ERR_NOT_FOUND)
            err = FLM_OK;
    } else {
        err = flm_queue_drop(q, (uint32_t)seq, (uint64_t)time(NULL));
        n = err ? 0 : 1;
    }
    if (!err)
        err = flm_queue_compact(q);
    if (err == FLM_ERR_NOT_FOUND) {
        fprintf(stderr, "fieldlm queue: no item %ld\n", seq);
        return FLM_EXIT_FAIL;
    }
    if (err) {
        fprintf(stderr, "fieldlm queue: %s\n", flm_strerror(err));
        return FLM_EXIT_FAIL;
    }
    printf("dropped %u\n", (unsigned)n);
    return FLM_EXIT_OK;
}

FLM_CLI_COMMAND(queue, "the store-and-forward queue: list, flush, drop, collect")
{
    const char *config = NULL;
    long seq = 0, max = 0;
    bool all = false;
    const flm_opt_t opts[] = {
        FLM_OPT_STR('c', "config", &config, "FILE", "device configuration with [queue]"),
        FLM_OPT_LONG(0, "seq", &seq, 1, LONG_MAX, "N", "drop, collect: item N"),
        FLM_OPT_FLAG(0, "all", &all, "drop: every item"),
        FLM_OPT_LONG(0, "max", &max, 1, 1000000, "N", "flush: deliver at most N"),
        FLM_OPT_END
    };
    const char *pos[1];
    int npos, status = flm_opt_parse(&doc, opts, argc, argv, pos, 1, &npos);
    if (status != FLM_OPT_CONTINUE)
        return status;
    if (npos != 1)
        return flm_cli_usage_error("queue", "which? list, flush, drop or collect");
    if ((uint64_t)seq > UINT32_MAX)
        return flm_cli_usage_error("queue", "--seq: %ld is not a sequence number (1..%lu)", seq,
                                   (unsigned long)UINT32_MAX);
    const char *what = pos[0];
    bool is_list = strcmp(what, "list") == 0, is_flush = strcmp(what, "flush") == 0;
    bool is_drop = strcmp(what, "drop") == 0, is_collect = strcmp(what, "collect") == 0;
    if (!is_list && !is_flush && !is_drop && !is_collect)
        return flm_cli_usage_error("queue", "unknown '%s': list, flush, drop or collect", what);
    if (!config)
        return flm_cli_usage_error("queue", "-c CONFIG is required");
    if (is_drop && !all == !seq)
        return flm_cli_usage_error("queue", "drop takes --seq N or --all");
    if ((seq && !is_drop && !is_collect) || (all && !is_drop) || (max && !is_flush))
        return flm_cli_usage_error("queue", "--seq is for drop and collect, --all for drop, --max for flush");
#if defined(__linux__)
    prctl(PR_SET_DUMPABLE, 0); /* no core dump may carry the API key */
#endif

    static flm_runtime_t rt;
    /* the model is not needed: its header is enough to open it */
    flm_runtime_config_t rc = { .config_path = config, .model_verify_header = true };
    if (flm_runtime_init(&rt, &rc) != FLM_OK) {
        fprintf(stderr, "fieldlm queue: %s\n", rt.detail);
        return FLM_EXIT_FAIL;
    }
    int rcode;
#if FLM_CFG_CLOUD
    if (!rt.has_queue) {
        fprintf(stderr, "fieldlm queue: %s has no [queue] section\n", config);
        rcode = FLM_EXIT_FAIL;
    } else if (is_list) {
        rcode = list(&rt.queue);
    } else if (is_flush) {
        rcode = flush(&rt, max);
    } else if (is_drop) {
        rcode = drop(&rt.queue, seq, all);
    } else {
        rcode = collect(&rt.queue, seq);
    }
#else
    (void)list; (void)flush; (void)drop; (void)collect;
    fprintf(stderr, "fieldlm queue: this build has no queue (FLM_CFG_CLOUD 0)\n");
    rcode = FLM_EXIT_FAIL;
#endif
    fflush(stdout);
    flm_runtime_deinit(&rt);
    return rcode;
}
