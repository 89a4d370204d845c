/*
 * The budget ledger (core/guard/ledger.h): money in micro-units, caps,
 * periods, refusal of impossible usage, the summary, and the power-cut
 * test: every save cut at every byte in every way (cut_store.h), then the
 * ledger reloads to the totals before or after that call, and keeps
 * counting and persisting from there.
 */
#include <stdio.h>
#include <string.h>

#include "core/guard/ledger.h"
#include "tests/harness/harness.h"
#include "tests/unit/guard/cut_store.h"

static cut_store_t store;
static flm_ledger_t led;

/* 2024-05-01T12:00:00Z */
#define T0 1714564800
#define DAY 86400

static flm_budget_settings_t priced(void)
{
    flm_budget_settings_t s;
    flm_budget_settings_init(&s);
    strcpy(s.price_input_per_1k, "0.00015");  /* gpt-4o-mini: $0.15 per 1M */
    strcpy(s.price_output_per_1k, "0.0006");  /* $0.60 per 1M */
    return s;
}

FLM_TEST(guard_money_parse_and_format)
{
    static const struct {
        const char *text;
        bool        ok;
        uint64_t    micro;
    } cases[] = {
        { "0", true, 0 },           { "12", true, 12000000 },     { "0.5", true, 500000 },
        { ".5", true, 500000 },     { "5.", true, 5000000 },      { "0.000001", true, 1 },
        { "0.00015", true, 150 },   { "1.2345670", true, 1234567 }, { "3.0000000000", true, 3000000 },
        { "0.0000375", false, 0 },  { "", false, 0 },             { ".", false, 0 },
        { "-1", false, 0 },         { "1e3", false, 0 },          { "1.2.3", false, 0 },
        { " 1", false, 0 },         { "1,5", false, 0 },          { "99999999999999999999", false, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint64_t v = 77;
        bool ok = flm_money_parse(cases[i].text, strlen(cases[i].text), UINT64_MAX, &v);
        FLM_CHECK_MSG(ok == cases[i].ok, "'%s'", cases[i].text);
        if (ok)
            FLM_CHECK_MSG(v == cases[i].micro, "'%s' -> %llu", cases[i].text, (unsigned long long)v);
    }
    uint64_t v;
    FLM_CHECK(flm_money_parse("1000", 4, 1000000000u, &v) && v == 1000000000u);
    FLM_CHECK(!flm_money_parse("1000.000001", 11, 1000000000u, &v));
    char buf[32];
    static const struct {
        uint64_t    micro;
        const char *text;
    } out[] = { { 0, "0.00" }, { 1500000, "1.50" }, { 150, "0.00015" }, { 1, "0.000001" },
                { 12345678, "12.345678" }, { 10000000000000ull, "10000000.00" } };
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        flm_money_format(out[i].micro, buf, sizeof buf);
        FLM_CHECK_MSG(strcmp(buf, out[i].text) == 0, "%s != %s", buf, out[i].text);
    }
}

FLM_TEST(guard_budget_cost_rounds_up_exactly)
{
    flm_budget_settings_t s = priced();
    FLM_CHECK_EQ(flm_budget_settings_derive(&s), FLM_OK);
    FLM_CHECK_EQ(s.price_input_micro, 150);
    FLM_CHECK_EQ(s.price_output_micro, 600);
    FLM_CHECK_EQ(flm_budget_cost(&s, 0, 0), 0);
    FLM_CHECK_EQ(flm_budget_cost(&s, 1000, 1000), 750);
    FLM_CHECK_EQ(flm_budget_cost(&s, 1, 0), 1);       /* 0.15 micro-units: rounded up */
    FLM_CHECK_EQ(flm_budget_cost(&s, 1234, 567), 526); /* 185.1 + 340.2 = 525.3 */
    /* Beyond 32 bits of tokens it is still exact. */
    FLM_CHECK_EQ(flm_budget_cost(&s, 10000000000000ull, 0), 1500000000000ull);
    s.price_input_micro = UINT64_MAX;
    FLM_CHECK_EQ(flm_budget_cost(&s, 5000, 0), UINT64_MAX); /* saturates, never wraps */
    strcpy(s.daily_money, "abc");
    FLM_CHECK_EQ(flm_budget_settings_derive(&s), FLM_ERR_CONFIG_VALUE);
}

FLM_TEST(guard_ledger_calendar)
{
    int32_t y;
    uint32_t m, d;
    flm_ledger_civil(0, &y, &m, &d);
    FLM_CHECK(y == 1970 && m == 1 && d == 1);
    flm_ledger_civil(19782, &y, &m, &d);
    FLM_CHECK(y == 2024 && m == 2 && d == 29);
    flm_ledger_civil(flm_ledger_day_of(951782400), &y, &m, &d); /* 2000-02-29 */
    FLM_CHECK(y == 2000 && m == 2 && d == 29);
    flm_ledger_civil(flm_ledger_day_of(T0), &y, &m, &d);
    FLM_CHECK(y == 2024 && m == 5 && d == 1);
    FLM_CHECK_EQ(flm_ledger_month_of(T0), 2024 * 12 + 4);
    FLM_CHECK_EQ(flm_ledger_month_of(1706745599), 2024 * 12 + 0); /* 2024-01-31T23:59:59 */
    FLM_CHECK_EQ(flm_ledger_month_of(1706745600), 2024 * 12 + 1); /* 2024-02-01 */
    FLM_CHECK_EQ(flm_ledger_day_of(-5), 0);
}

FLM_TEST(guard_ledger_caps)
{
    cut_store_init(&store);
    flm_budget_settings_t s = priced();
    s.daily_tokens = 1000;
    s.monthly_tokens = 2500;
    FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_OK);
    flm_budget_verdict_t v;
    FLM_CHECK_EQ(flm_ledger_check(&led, T0, 600, 400, &v), FLM_OK); /* exactly the cap */
    FLM_CHECK(v.allowed && v.cost == 90 + 240);
    FLM_CHECK_EQ(flm_ledger_check(&led, T0, 600, 401, &v), FLM_ERR_BUDGET_EXCEEDED);
    FLM_CHECK(!v.allowed && v.cap == FLM_BUDGET_CAP_DAILY_TOKENS && v.used == 0 && v.request == 1001 &&
              v.limit == 1000);
    FLM_CHECK(strcmp(flm_budget_cap_name(v.cap), "daily_tokens") == 0);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, 700, 200), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_check(&led, T0, 100, 0, &v), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_check(&led, T0, 100, 1, NULL), FLM_ERR_BUDGET_EXCEEDED);
    /* Local answers never count against a cap. */
    FLM_CHECK_EQ(flm_ledger_record_local(&led, T0, 5000, 5000), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_check(&led, T0, 100, 0, &v), FLM_OK);
    /* The next day starts afresh; the month does not. */
    FLM_CHECK_EQ(flm_ledger_check(&led, T0 + DAY, 1000, 0, &v), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0 + DAY, 1000, 0), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0 + 2 * DAY, 500, 0), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_check(&led, T0 + 2 * DAY, 101, 0, &v), FLM_ERR_BUDGET_EXCEEDED);
    FLM_CHECK(v.cap == FLM_BUDGET_CAP_MONTHLY_TOKENS && v.used == 2400 && v.limit == 2500);
    /* A clock that steps back does not reopen the day. */
    FLM_CHECK_EQ(flm_ledger_check(&led, T0, 501, 0, &v), FLM_ERR_BUDGET_EXCEEDED);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0 - 30 * DAY, 10, 0), FLM_OK);
    FLM_CHECK_EQ(led.today.cloud_in, 510);
    /* A new month starts afresh. */
    FLM_CHECK_EQ(flm_ledger_check(&led, T0 + 31 * DAY, 1000, 0, &v), FLM_OK);

    /* Money caps. */
    cut_store_init(&store);
    s = priced();
    strcpy(s.daily_money, "0.001");   /* 1000 micro-units */
    strcpy(s.monthly_money, "0.0015");
    FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_check(&led, T0, 0, 1666, &v), FLM_OK);      /* 999.6 -> 1000 */
    FLM_CHECK_EQ(flm_ledger_check(&led, T0, 0, 1667, &v), FLM_ERR_BUDGET_EXCEEDED);
    FLM_CHECK(v.cap == FLM_BUDGET_CAP_DAILY_MONEY && v.request == 1001);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, 0, 1000), FLM_OK); /* 600 */
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0 + DAY, 0, 1000), FLM_OK);
    /* 2334 input tokens: 351 micro-units, inside the day's 1000, past the month's 1500 */
    FLM_CHECK_EQ(flm_ledger_check(&led, T0 + DAY, 2334, 0, &v), FLM_ERR_BUDGET_EXCEEDED);
    FLM_CHECK(v.cap == FLM_BUDGET_CAP_MONTHLY_MONEY && v.used == 1200 && v.request == 351);
    FLM_CHECK_EQ(flm_ledger_check(&led, T0 + DAY, 1, 0, &v), FLM_OK);
}

FLM_TEST(guard_ledger_refuses_impossible_usage)
{
    cut_store_init(&store);
    flm_budget_settings_t s = priced();
    FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, 10, 20), FLM_OK);
    long writes = store.writes;
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, -1, 20), FLM_ERR_LEDGER_USAGE);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, 10, -20), FLM_ERR_LEDGER_USAGE);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, (int64_t)FLM_LEDGER_USAGE_MAX + 1, 0),
                 FLM_ERR_LEDGER_USAGE);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, INT64_MAX, INT64_MAX), FLM_ERR_LEDGER_USAGE);
    FLM_CHECK_EQ(flm_ledger_record_local(&led, T0, INT64_MIN, 0), FLM_ERR_LEDGER_USAGE);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, (int64_t)FLM_LEDGER_USAGE_MAX, 0), FLM_OK);
    FLM_CHECK_EQ(store.writes, writes + 1); /* the refused ones wrote nothing */
    FLM_CHECK_EQ(led.total.cloud_requests, 2);
    FLM_CHECK_EQ(led.total.cloud_in, 10 + FLM_LEDGER_USAGE_MAX);
    flm_ledger_deinit(&led);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, 1, 1), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_ledger_check(&led, T0, 1, 1, NULL), FLM_ERR_ARG);
    strcpy(s.price_input_per_1k, "cheap");
    FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_ERR_CONFIG_VALUE);
}

FLM_TEST(guard_ledger_persists_and_summarises)
{
    cut_store_init(&store);
    flm_budget_settings_t s = priced();
    s.daily_tokens = 100000;
    strcpy(s.monthly_money, "10");
    FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_local(&led, T0, 30, 170), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_local(&led, T0, 20, 80), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_local(&led, T0, 50, 150), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0, 1000, 1000), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0 - 40 * DAY, 0, 0), FLM_OK); /* clock back */
    flm_ledger_deinit(&led);
    FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_OK);
    FLM_CHECK_EQ(led.total.local_requests, 3);
    FLM_CHECK_EQ(led.total.cloud_requests, 2);
    FLM_CHECK_EQ(led.today.money, 750);

    flm_ledger_stats_t st;
    FLM_CHECK_EQ(flm_ledger_stats(&led, T0 + 3600, &st), FLM_OK);
    FLM_CHECK(st.year == 2024 && st.month == 5 && st.day == 1);
    FLM_CHECK_EQ(st.today.share_requests_bp, 4000); /* 2 of 5 */
    /* tokens: local 500, cloud 2000 */
    FLM_CHECK_EQ(st.today.share_tokens_bp, 8000);
    /* all 1100 in and 1400 out at the cloud's prices: 165 + 840 */
    FLM_CHECK_EQ(st.total.all_cloud, 1005);
    FLM_CHECK_EQ(st.total.saving, 1005 - 750);
    FLM_CHECK_EQ(flm_ledger_stats(&led, T0 + DAY, &st), FLM_OK);
    FLM_CHECK(st.day == 2 && st.today.c.local_requests == 0 && st.this_month.c.local_requests == 3);

    FLM_CHECK_EQ(flm_ledger_stats(&led, T0, &st), FLM_OK);
    char text[2048];
    size_t n = flm_ledger_stats_format(&led, &st, text, sizeof text);
    FLM_CHECK(n == strlen(text) && n > 200);
    FLM_CHECK(strstr(text, "budget (USD; prices per 1K tokens: input 0.00015, output 0.0006)\n"));
    FLM_CHECK(strstr(text, "2024-05-01") && strstr(text, "2024-05 ") && strstr(text, "all time"));
    char want[128];
    snprintf(want, sizeof want, "  %-22s %14s %14s %14s\n", "cloud share, requests", "40.00%",
             "40.00%", "40.00%");
    FLM_CHECK(strstr(text, want));
    snprintf(want, sizeof want, "  %-22s %14s %14s %14s\n", "saving", "0.000255", "0.000255",
             "0.000255");
    FLM_CHECK(strstr(text, want));
    snprintf(want, sizeof want, "  %-22s %14d %14d %14d\n", "local tokens out", 400, 400, 400);
    FLM_CHECK(strstr(text, want));
    FLM_CHECK(strstr(text, "caps: daily_tokens 100000, monthly_tokens none, daily_money none, "
                           "monthly_money 10.00\n"));
    char small[40];
    FLM_CHECK_EQ(flm_ledger_stats_format(&led, &st, small, sizeof small), sizeof small - 1);
    FLM_CHECK_EQ(strlen(small), sizeof small - 1);
}

/* ---- the power-cut test ----------------------------------------------------------------- */

typedef struct {
    bool    cloud;
    int64_t at, in, out;
} use_t;

static const use_t uses[] = {
    { false, T0, 12, 40 },         { true, T0, 300, 120 },       { true, T0 + 60, 1, 1 },
    { false, T0 + DAY, 7, 7 },     { true, T0 + DAY, 5000, 900 }, { true, T0 + 31 * DAY, 2, 3 },
    { false, T0 + 31 * DAY, 1, 0 }, { true, T0 + 31 * DAY, 0, 0 },
};
#define N_USES (sizeof uses / sizeof uses[0])

static flm_err_t apply(const use_t *u)
{
    return u->cloud ? flm_ledger_record_cloud(&led, u->at, u->in, u->out)
                    : flm_ledger_record_local(&led, u->at, u->in, u->out);
}

static bool same(const flm_ledger_t *a, const flm_ledger_t *b)
{
    return a->day == b->day && a->month == b->month &&
           memcmp(&a->today, &b->today, sizeof a->today) == 0 &&
           memcmp(&a->this_month, &b->this_month, sizeof a->this_month) == 0 &&
           memcmp(&a->total, &b->total, sizeof a->total) == 0;
}

FLM_TEST(guard_ledger_cut_at_every_byte)
{
    flm_budget_settings_t s = priced();
    /* The states after 0..N_USES calls, without cuts. */
    static flm_ledger_t after[N_USES + 1];
    cut_store_init(&store);
    FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_OK);
    after[0] = led;
    static size_t sizes[N_USES];
    for (size_t i = 0; i < N_USES; i++) {
        long w = store.writes;
        FLM_CHECK_EQ(apply(&uses[i]), FLM_OK);
        FLM_CHECK_EQ(store.writes, w + 1);
        sizes[i] = store.trace[w].n;
        after[i + 1] = led;
    }
    long cuts = 0;
    for (size_t i = 0; i < N_USES; i++) {
        for (size_t k = 0; k <= sizes[i]; k++) {
            for (int mode = 0; mode < CUT_MODES; mode++) {
                if ((k == sizes[i] && mode != CUT_ERASED) || (k > 0 && mode == CUT_BEFORE))
                    continue;
                cut_store_init(&store);
                FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_OK);
                for (size_t j = 0; j < i; j++)
                    FLM_CHECK_EQ(apply(&uses[j]), FLM_OK);
                cut_store_arm(&store, 0, k, (cut_mode_t)mode);
                FLM_CHECK_EQ(apply(&uses[i]), FLM_ERR_IO);
                FLM_CHECK(store.fired);
                cut_store_power_on(&store);
                cuts++;
                FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_OK);
                bool before = same(&led, &after[i]), done = same(&led, &after[i + 1]);
                FLM_CHECK_MSG(before || done, "call %zu cut at %zu mode %d: totals are neither", i,
                              k, mode);
                /* Counting goes on from there, and persists. */
                flm_ledger_t base = led;
                FLM_CHECK_EQ(flm_ledger_record_cloud(&led, T0 + 40 * DAY, 11, 13), FLM_OK);
                FLM_CHECK_EQ(flm_ledger_record_local(&led, T0 + 40 * DAY, 17, 19), FLM_OK);
                flm_ledger_t want = led;
                FLM_CHECK_EQ(flm_ledger_init(&led, &s, &store.ops), FLM_OK);
                FLM_CHECK(same(&led, &want));
                FLM_CHECK_EQ(led.total.cloud_requests, base.total.cloud_requests + 1);
                FLM_CHECK_EQ(led.total.local_in, base.total.local_in + 17);
            }
        }
    }
    printf("    ledger cut points: %ld\n", cuts);
    FLM_CHECK(cuts > 3000);
}
