/*
 * Budget ledger: what the device spent, locally and in the cloud, per UTC
 * day and month and in all, and whether the next cloud request still fits
 * the caps of the [budget] section.
 *
 *   flm_ledger_init(&l, &budget, NULL);                        // NULL: the HAL's store
 *   if (flm_ledger_check(&l, now, est_in, est_out, &v) == FLM_ERR_BUDGET_EXCEEDED)
 *       answer locally, reason local:budget (v.cap says which cap)
 *   ...after the cloud answered...
 *   flm_ledger_record_cloud(&l, now, res.prompt_tokens, res.completion_tokens);
 *   ...after a local answer...
 *   flm_ledger_record_local(&l, now, prompt_tokens, generated_tokens);
 *
 * Money is integer micro-units of the configured currency (1 USD =
 * 1,000,000); prices are per 1K tokens, read from decimal text to the
 * micro-unit. A request costs ceil((in * price_in + out * price_out) / 1000)
 * micro-units, rounded up so the ledger never undercounts. Token caps count
 * cloud tokens, input and output together; local tokens are counted, never
 * capped. Periods follow the UTC time the caller passes (seconds since the
 * epoch): a new day or month starts from zero, and a clock that steps back
 * does not reopen a budget (its usage counts against the newest period
 * seen).
 *
 * Persistence: the whole ledger is one twin (core/guard/store.h), keys
 * lg.0 and lg.1, written after each record call: a power cut at any byte of
 * the write leaves the totals before that call or after it, never a mix.
 * Where programs share the store (its lock, core/guard/store.h), a record
 * call adds to the totals as the store holds them, under the lock, and a
 * check reads them first: what each program spends counts against the
 * caps of all.
 * Usage figures come from a server: negative ones, or more than
 * FLM_LEDGER_USAGE_MAX tokens in one request, are refused
 * (FLM_ERR_LEDGER_USAGE) and change nothing.
 */
#ifndef FLM_GUARD_LEDGER_H
#define FLM_GUARD_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/base/ini.h"
#include "core/guard/store.h"

/* ---- the [budget] section ---------------------------------------------------- */

#define FLM_BUDGET_DECIMAL_MAX  24u /* a price or money cap as written, NUL included */
#define FLM_BUDGET_CURRENCY_MAX 16u
#define FLM_BUDGET_PRICE_MAX_MICRO (1000u * 1000000u)     /* 1000 units per 1K tokens */
#define FLM_BUDGET_MONEY_MAX_MICRO (1000000000ull * 1000000u) /* 10^9 units */

typedef struct {
    char     price_input_per_1k[FLM_BUDGET_DECIMAL_MAX];  /* "0.00015"; default "0" */
    char     price_output_per_1k[FLM_BUDGET_DECIMAL_MAX]; /* default "0" */
    char     currency[FLM_BUDGET_CURRENCY_MAX];           /* shown only; default "USD" */
    uint32_t daily_tokens;                                /* cloud tokens a UTC day; 0: no cap */
    uint32_t monthly_tokens;                              /* a UTC month; 0: no cap */
    char     daily_money[FLM_BUDGET_DECIMAL_MAX];         /* "5.00"; "": no cap */
    char     monthly_money[FLM_BUDGET_DECIMAL_MAX];
    /* derived from the text (the section's check, or flm_budget_settings_derive) */
    uint64_t price_input_micro;   /* per 1K tokens */
    uint64_t price_output_micro;
    uint64_t daily_money_micro;   /* 0: no cap */
    uint64_t monthly_money_micro;
} flm_budget_settings_t;

void flm_budget_settings_init(flm_budget_settings_t *s);
/* The micro-unit fields from the text ones. FLM_ERR_CONFIG_VALUE naming
 * nothing (the section's check names the key and line). */
flm_err_t flm_budget_settings_derive(flm_budget_settings_t *s);
#if FLM_CFG_DEVICE_FILE
extern const flm_ini_section_t flm_budget_ini_section;
#endif

/* An unsigned decimal of currency units ("12", "0.5", "0.000150") as
 * micro-units: at most 6 decimals that matter (more, unless zeros, is
 * refused rather than rounded), at most max. */
bool   flm_money_parse(const char *s, size_t n, uint64_t max, uint64_t *micro);
/* micro-units as a decimal, at least 2 decimals, trailing zeros trimmed:
 * 1500000 -> "1.50", 150 -> "0.00015". Returns the length written. */
size_t flm_money_format(uint64_t micro, char *buf, size_t cap);
/* The price of a request (micro-units, rounded up). */
uint64_t flm_budget_cost(const flm_budget_settings_t *s, uint64_t in_tokens, uint64_t out_tokens);

/* ---- the ledger ----------------------------------------------------------------- */

typedef struct {
    uint64_t local_requests, cloud_requests;
    uint64_t local_in, local_out;  /* tokens: prompt, generated */
    uint64_t cloud_in, cloud_out;  /* the server's prompt_tokens, completion_tokens */
    uint64_t money;                /* micro-units spent in the cloud */
} flm_ledger_counts_t;

typedef struct {
    flm_budget_settings_t settings;
    const flm_store_t    *store;
    flm_twin_t            twin;
    uint32_t              day;   /* days since 1970-01-01 of `today` */
    uint32_t              month; /* year * 12 + month - 1 of `this_month` */
    flm_ledger_counts_t   today, this_month, total;
    uint64_t              store_seen; /* flm_store_hold's: other programs' changes seen */
    bool                  ready;
} flm_ledger_t;

typedef enum {
    FLM_BUDGET_CAP_NONE = 0,
    FLM_BUDGET_CAP_DAILY_TOKENS,
    FLM_BUDGET_CAP_MONTHLY_TOKENS,
    FLM_BUDGET_CAP_DAILY_MONEY,
    FLM_BUDGET_CAP_MONTHLY_MONEY,
} flm_budget_cap_t;

typedef struct {
    bool             allowed;
    flm_budget_cap_t cap;      /* refused: the first cap the request would pass */
    uint64_t         used;     /* that cap's period so far (tokens or micro-units) */
    uint64_t         request;  /* what the request would add to it */
    uint64_t         limit;
    uint64_t         cost;     /* the estimate's price, micro-units */
} flm_budget_verdict_t;

/* s is copied (its micro-unit fields derived again); store NULL: the HAL's.
 * Loads the newest intact state (none: all zero). */
flm_err_t flm_ledger_init(flm_ledger_t *l, const flm_budget_settings_t *s, const flm_store_t *store);
void      flm_ledger_deinit(flm_ledger_t *l);

/* May a cloud request estimated at est_in prompt and est_out completion
 * tokens go now? FLM_OK, or FLM_ERR_BUDGET_EXCEEDED with v (may be NULL)
 * naming the cap. A request exactly reaching a cap is allowed. */
flm_err_t flm_ledger_check(flm_ledger_t *l, int64_t now_utc, uint64_t est_in, uint64_t est_out,
                           flm_budget_verdict_t *v);

/* Count what a request used and persist it. The cloud's figures are the
 * reply's usage (flm_openai_result_t prompt_tokens, completion_tokens: a
 * reply without usage should record the estimate it was checked with), the
 * local ones the engine's. On a store error the counts still hold in RAM
 * for this run and the error is returned. */
flm_err_t flm_ledger_record_cloud(flm_ledger_t *l, int64_t now_utc, int64_t prompt_tokens,
                                  int64_t completion_tokens);
flm_err_t flm_ledger_record_local(flm_ledger_t *l, int64_t now_utc, int64_t prompt_tokens,
                                  int64_t generated_tokens);

/* "daily_tokens", ... (the [budget] key), "none". */
const char *flm_budget_cap_name(flm_budget_cap_t cap);

/* ---- the summary `fieldlm stats` prints ---------------------------------------------- */

typedef struct {
    flm_ledger_counts_t c;
    uint32_t share_requests_bp; /* cloud share of the requests, basis points (10000: all) */
    uint32_t share_tokens_bp;   /* of the tokens, in and out */
    uint64_t all_cloud;         /* every token, local ones too, at the cloud's prices (micro) */
    uint64_t saving;            /* all_cloud - money spent, 0 if negative */
} flm_ledger_period_t;

typedef struct {
    int32_t             year;        /* the date of `today` (UTC) */
    uint32_t            month, day;
    flm_ledger_period_t today, this_month, total;
} flm_ledger_stats_t;

/* The periods as of now_utc (a new day or month shows zero). */
flm_err_t flm_ledger_stats(const flm_ledger_t *l, int64_t now_utc, flm_ledger_stats_t *st);

/* The summary as text lines (integers only), e.g.
 *
 *   budget (USD, prices per 1K tokens: input 0.00015, output 0.0006)
 *                          today   2024-05-01   all time
 *   local requests             9           40        152
 *   ...
 *
 * Returns the length written (cut at cap - 1, NUL-terminated). */
size_t flm_ledger_stats_format(const flm_ledger_t *l, const flm_ledger_stats_t *st, char *buf,
                               size_t cap);

/* Calendar helpers (proleptic Gregorian, UTC). */
uint32_t flm_ledger_day_of(int64_t utc);   /* days since 1970-01-01; negative times: 0 */
uint32_t flm_ledger_month_of(int64_t utc); /* year * 12 + month - 1 */
void     flm_ledger_civil(uint32_t day, int32_t *year, uint32_t *month, uint32_t *mday);

#endif /* FLM_GUARD_LEDGER_H */
