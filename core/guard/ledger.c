/* The budget ledger: periods, caps, persistence and the summary (ledger.h). */
#include "core/guard/ledger.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/fmt.h"

#define LEDGER_MAGIC 0x31474C46u /* "FLG1" */
#define N_COUNTS     7u
#define PAYLOAD      (8u + 3u * N_COUNTS * 8u)

/* ---- money --------------------------------------------------------------------- */

bool flm_money_parse(const char *s, size_t n, uint64_t max, uint64_t *micro)
{
    if (!s || !micro || n == 0)
        return false;
    uint64_t whole = 0, frac = 0;
    size_t i = 0, digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (whole > (UINT64_MAX - 9u) / 10u)
            return false;
        whole = whole * 10u + (uint64_t)(s[i] - '0');
    }
    if (i < n) {
        if (s[i++] != '.')
            return false;
        unsigned places = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (places < 6) {
                frac = frac * 10u + (uint64_t)(s[i] - '0');
                places++;
            } else if (s[i] != '0') {
                return false; /* finer than a micro-unit */
            }
        }
        if (i < n)
            return false;
        for (; places < 6; places++)
            frac *= 10u;
    }
    if (digits == 0 || whole > max / 1000000u)
        return false;
    uint64_t v = whole * 1000000u + frac;
    if (v > max)
        return false;
    *micro = v;
    return true;
}

size_t flm_money_format(uint64_t micro, char *buf, size_t cap)
{
    char frac[8];
    flm_snprintf(frac, sizeof frac, "%06u", (unsigned)(micro % 1000000u));
    size_t keep = 6;
    while (keep > 2 && frac[keep - 1] == '0')
        keep--;
    frac[keep] = '\0';
    return flm_snprintf(buf, cap, "%" PRIu64 ".%s", micro / 1000000u, frac);
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
    return a && b > UINT64_MAX / a ? UINT64_MAX : a * b;
}

/* ceil((in * pin + out * pout) / 1000) without a 128-bit product: the
 * thousands of each count priced whole, the remainders (below 1000 tokens
 * each) together; saturates only where the true value exceeds 64 bits. */
uint64_t flm_budget_cost(const flm_budget_settings_t *s, uint64_t in_tokens, uint64_t out_tokens)
{
    uint64_t pin = s->price_input_micro, pout = s->price_output_micro;
    uint64_t whole = sat_add(sat_mul(in_tokens / 1000u, pin), sat_mul(out_tokens / 1000u, pout));
    uint64_t rest = sat_add(sat_mul(in_tokens % 1000u, pin), sat_mul(out_tokens % 1000u, pout));
    return sat_add(whole, rest / 1000u + (rest % 1000u != 0));
}

/* ---- settings -------------------------------------------------------------------- */

void flm_budget_settings_init(flm_budget_settings_t *s)
{
    memset(s, 0, sizeof *s);
    memcpy(s->price_input_per_1k, "0", 2);
    memcpy(s->price_output_per_1k, "0", 2);
    memcpy(s->currency, "USD", 4);
}

static bool parse_field(const char *text, uint64_t max, bool empty_ok, uint64_t *out)
{
    size_t n = 0;
    while (n < FLM_BUDGET_DECIMAL_MAX && text[n])
        n++;
    if (n == 0 && empty_ok) {
        *out = 0;
        return true;
    }
    return n < FLM_BUDGET_DECIMAL_MAX && flm_money_parse(text, n, max, out);
}

flm_err_t flm_budget_settings_derive(flm_budget_settings_t *s)
{
    if (!s)
        return FLM_ERR_ARG;
    if (!parse_field(s->price_input_per_1k, FLM_BUDGET_PRICE_MAX_MICRO, true, &s->price_input_micro) ||
        !parse_field(s->price_output_per_1k, FLM_BUDGET_PRICE_MAX_MICRO, true,
                     &s->price_output_micro) ||
        !parse_field(s->daily_money, FLM_BUDGET_MONEY_MAX_MICRO, true, &s->daily_money_micro) ||
        !parse_field(s->monthly_money, FLM_BUDGET_MONEY_MAX_MICRO, true, &s->monthly_money_micro))
        return FLM_ERR_CONFIG_VALUE;
    return FLM_OK;
}

const char *flm_budget_cap_name(flm_budget_cap_t cap)
{
    switch (cap) {
    case FLM_BUDGET_CAP_NONE: return "none";
    case FLM_BUDGET_CAP_DAILY_TOKENS: return "daily_tokens";
    case FLM_BUDGET_CAP_MONTHLY_TOKENS: return "monthly_tokens";
    case FLM_BUDGET_CAP_DAILY_MONEY: return "daily_money";
    case FLM_BUDGET_CAP_MONTHLY_MONEY: return "monthly_money";
    }
    return "none";
}

/* ---- calendar ------------------------------------------------------------------------ */

uint32_t flm_ledger_day_of(int64_t utc)
{
    if (utc <= 0)
        return 0;
    uint64_t d = (uint64_t)utc / 86400u;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}

/* Howard Hinnant's civil_from_days, for days >= 0. */
void flm_ledger_civil(uint32_t day, int32_t *year, uint32_t *month, uint32_t *mday)
{
    uint64_t z = (uint64_t)day + 719468u;
    uint64_t era = z / 146097u;
    uint64_t doe = z - era * 146097u;
    uint64_t yoe = (doe - doe / 1460u + doe / 36524u - doe / 146096u) / 365u;
    uint64_t doy = doe - (365u * yoe + yoe / 4u - yoe / 100u);
    uint64_t mp = (5u * doy + 2u) / 153u;
    uint32_t d = (uint32_t)(doy - (153u * mp + 2u) / 5u + 1u);
    uint32_t m = (uint32_t)(mp < 10u ? mp + 3u : mp - 9u);
    uint64_t y = yoe + era * 400u + (m <= 2u);
    *year = y > INT32_MAX ? INT32_MAX : (int32_t)y;
    *month = m;
    *mday = d;
}

uint32_t flm_ledger_month_of(int64_t utc)
{
    int32_t y;
    uint32_t m, d;
    flm_ledger_civil(flm_ledger_day_of(utc), &y, &m, &d);
    uint64_t idx = (uint64_t)(uint32_t)y * 12u + m - 1u;
    return idx > UINT32_MAX ? UINT32_MAX : (uint32_t)idx;
}

/* ---- state ------------------------------------------------------------------------------ */

static void put_counts(uint8_t *p, const flm_ledger_counts_t *c)
{
    const uint64_t v[N_COUNTS] = { c->local_requests, c->cloud_requests, c->local_in, c->local_out,
                                   c->cloud_in, c->cloud_out, c->money };
    for (unsigned i = 0; i < N_COUNTS; i++)
        flm_wr64le(p + 8 * i, v[i]);
}

static void get_counts(const uint8_t *p, flm_ledger_counts_t *c)
{
    c->local_requests = flm_rd64le(p);
    c->cloud_requests = flm_rd64le(p + 8);
    c->local_in = flm_rd64le(p + 16);
    c->local_out = flm_rd64le(p + 24);
    c->cloud_in = flm_rd64le(p + 32);
    c->cloud_out = flm_rd64le(p + 40);
    c->money = flm_rd64le(p + 48);
}

/* The totals from the store (none yet: zero). */
static flm_err_t load(flm_ledger_t *l)
{
    uint8_t p[PAYLOAD];
    bool found = false;
    flm_err_t err = flm_twin_load(&l->twin, p, sizeof p, &found);
    if (err)
        return err;
    if (found) {
        l->day = flm_rd32le(p);
        l->month = flm_rd32le(p + 4);
        get_counts(p + 8, &l->today);
        get_counts(p + 8 + 8 * N_COUNTS, &l->this_month);
        get_counts(p + 8 + 16 * N_COUNTS, &l->total);
    }
    return FLM_OK;
}

/* Hold the store (where it has a lock) with the totals as it keeps them:
 * read again when another program changed it since. Held only on FLM_OK. */
static flm_err_t hold_current(flm_ledger_t *l)
{
    bool stale;
    flm_err_t err = flm_store_hold(l->store, &l->store_seen, &stale);
    if (!err && stale && (err = load(l)) != FLM_OK)
        flm_store_release(l->store, err);
    return err;
}

flm_err_t flm_ledger_init(flm_ledger_t *l, const flm_budget_settings_t *s, const flm_store_t *store)
{
    if (!l || !s)
        return FLM_ERR_ARG;
    memset(l, 0, sizeof *l);
    l->settings = *s;
    flm_err_t err = flm_budget_settings_derive(&l->settings);
    if (err)
        return err;
    l->store = store ? store : &flm_store_hal;
    flm_twin_init(&l->twin, l->store, "lg.0", "lg.1", LEDGER_MAGIC);
    err = load(l);
    if (err)
        return err;
    l->ready = true;
    return FLM_OK;
}

void flm_ledger_deinit(flm_ledger_t *l)
{
    if (l)
        memset(l, 0, sizeof *l);
}

/* The day and month counts as of now: a later period starts empty, an
 * earlier time counts against the newest period seen. */
static void periods_at(const flm_ledger_t *l, int64_t now, uint32_t *day, uint32_t *month,
                       flm_ledger_counts_t *today, flm_ledger_counts_t *this_month)
{
    uint32_t d = flm_ledger_day_of(now), m = flm_ledger_month_of(now);
    *today = l->today;
    *this_month = l->this_month;
    *day = l->day;
    *month = l->month;
    if (d > l->day) {
        memset(today, 0, sizeof *today);
        *day = d;
    }
    if (m > l->month) {
        memset(this_month, 0, sizeof *this_month);
        *month = m;
    }
}

flm_err_t flm_ledger_check(flm_ledger_t *l, int64_t now_utc, uint64_t est_in, uint64_t est_out,
                           flm_budget_verdict_t *v)
{
    flm_budget_verdict_t local;
    if (!v)
        v = &local;
    memset(v, 0, sizeof *v);
    if (!l || !l->ready)
        return FLM_ERR_ARG;
    /* where other programs share the store, they may have spent since */
    flm_err_t err = hold_current(l);
    if (err)
        return err;
    flm_store_release(l->store, FLM_OK);
    uint32_t day, month;
    flm_ledger_counts_t today, this_month;
    periods_at(l, now_utc, &day, &month, &today, &this_month);
    const flm_budget_settings_t *s = &l->settings;
    uint64_t tokens = sat_add(est_in, est_out);
    v->cost = flm_budget_cost(s, est_in, est_out);
    const struct {
        flm_budget_cap_t cap;
        uint64_t         limit, used, request;
    } caps[] = {
        { FLM_BUDGET_CAP_DAILY_TOKENS, s->daily_tokens, sat_add(today.cloud_in, today.cloud_out), tokens },
        { FLM_BUDGET_CAP_MONTHLY_TOKENS, s->monthly_tokens,
          sat_add(this_month.cloud_in, this_month.cloud_out), tokens },
        { FLM_BUDGET_CAP_DAILY_MONEY, s->daily_money_micro, today.money, v->cost },
        { FLM_BUDGET_CAP_MONTHLY_MONEY, s->monthly_money_micro, this_month.money, v->cost },
    };
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        if (caps[i].limit && sat_add(caps[i].used, caps[i].request) > caps[i].limit) {
            v->cap = caps[i].cap;
            v->used = caps[i].used;
            v->request = caps[i].request;
            v->limit = caps[i].limit;
            return FLM_ERR_BUDGET_EXCEEDED;
        }
    }
    v->allowed = true;
    return FLM_OK;
}

static bool usage_ok(int64_t v)
{
    return v >= 0 && v <= (int64_t)FLM_LEDGER_USAGE_MAX;
}

static void count(flm_ledger_counts_t *c, bool cloud, uint64_t in, uint64_t out, uint64_t money)
{
    if (cloud) {
        c->cloud_requests = sat_add(c->cloud_requests, 1);
        c->cloud_in = sat_add(c->cloud_in, in);
        c->cloud_out = sat_add(c->cloud_out, out);
        c->money = sat_add(c->money, money);
    } else {
        c->local_requests = sat_add(c->local_requests, 1);
        c->local_in = sat_add(c->local_in, in);
        c->local_out = sat_add(c->local_out, out);
    }
}

static flm_err_t add(flm_ledger_t *l, int64_t now, bool cloud, uint64_t in, uint64_t out)
{
    uint64_t money = cloud ? flm_budget_cost(&l->settings, in, out) : 0;
    periods_at(l, now, &l->day, &l->month, &l->today, &l->this_month);
    count(&l->today, cloud, in, out, money);
    count(&l->this_month, cloud, in, out, money);
    count(&l->total, cloud, in, out, money);

    uint8_t p[PAYLOAD];
    flm_wr32le(p, l->day);
    flm_wr32le(p + 4, l->month);
    put_counts(p + 8, &l->today);
    put_counts(p + 8 + 8 * N_COUNTS, &l->this_month);
    put_counts(p + 8 + 16 * N_COUNTS, &l->total);
    return flm_twin_save(&l->twin, p, sizeof p);
}

static flm_err_t record(flm_ledger_t *l, int64_t now, bool cloud, int64_t in, int64_t out)
{
    if (!l || !l->ready)
        return FLM_ERR_ARG;
    if (!usage_ok(in) || !usage_ok(out))
        return FLM_ERR_LEDGER_USAGE;
    /* a store other programs share: add to the totals as they are now,
     * holding it from that read to the write */
    flm_err_t err = hold_current(l);
    if (err)
        return err;
    return flm_store_release(l->store, add(l, now, cloud, (uint64_t)in, (uint64_t)out));
}

flm_err_t flm_ledger_record_cloud(flm_ledger_t *l, int64_t now_utc, int64_t prompt_tokens,
                                  int64_t completion_tokens)
{
    return record(l, now_utc, true, prompt_tokens, completion_tokens);
}

flm_err_t flm_ledger_record_local(flm_ledger_t *l, int64_t now_utc, int64_t prompt_tokens,
                                  int64_t generated_tokens)
{
    return record(l, now_utc, false, prompt_tokens, generated_tokens);
}

/* ---- summary ----------------------------------------------------------------------------- */

static uint32_t share_bp(uint64_t part, uint64_t whole)
{
    if (!whole)
        return 0;
    /* part <= whole; scale without overflow for any 64-bit counts */
    if (whole > UINT64_MAX / 10000u)
        return (uint32_t)(part / (whole / 10000u));
    return (uint32_t)(part * 10000u / whole);
}

static void period(const flm_budget_settings_t *s, const flm_ledger_counts_t *c,
                   flm_ledger_period_t *p)
{
    p->c = *c;
    uint64_t lt = sat_add(c->local_in, c->local_out), ct = sat_add(c->cloud_in, c->cloud_out);
    p->share_requests_bp = share_bp(c->cloud_requests, sat_add(c->cloud_requests, c->local_requests));
    p->share_tokens_bp = share_bp(ct, sat_add(ct, lt));
    uint64_t in = sat_add(c->local_in, c->cloud_in), out = sat_add(c->local_out, c->cloud_out);
    uint64_t all = flm_budget_cost(s, in, out);
    p->all_cloud = all;
    p->saving = all > c->money ? all - c->money : 0;
}

flm_err_t flm_ledger_stats(const flm_ledger_t *l, int64_t now_utc, flm_ledger_stats_t *st)
{
    if (!l || !l->ready || !st)
        return FLM_ERR_ARG;
    memset(st, 0, sizeof *st);
    uint32_t day, month;
    flm_ledger_counts_t today, this_month;
    periods_at(l, now_utc, &day, &month, &today, &this_month);
    flm_ledger_civil(day, &st->year, &st->month, &st->day);
    period(&l->settings, &today, &st->today);
    period(&l->settings, &this_month, &st->this_month);
    period(&l->settings, &l->total, &st->total);
    return FLM_OK;
}

typedef struct {
    char  *buf;
    size_t cap, len;
} out_t;

static void emit(out_t *o, const char *text)
{
    if (o->cap == 0)
        return;
    size_t n = strlen(text);
    if (o->len + n >= o->cap)
        n = o->cap - 1 - o->len;
    memcpy(o->buf + o->len, text, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void row_u64(out_t *o, const char *name, uint64_t a, uint64_t b, uint64_t c)
{
    char line[128];
    flm_snprintf(line, sizeof line, "  %-22s %14" PRIu64 " %14" PRIu64 " %14" PRIu64 "\n", name, a, b,
                 c);
    emit(o, line);
}

static void row_share(out_t *o, const char *name, const uint32_t bp[3])
{
    char line[128], cell[3][16];
    for (int i = 0; i < 3; i++)
        flm_snprintf(cell[i], sizeof cell[i], "%u.%02u%%", (unsigned)(bp[i] / 100u),
                     (unsigned)(bp[i] % 100u));
    flm_snprintf(line, sizeof line, "  %-22s %14s %14s %14s\n", name, cell[0], cell[1], cell[2]);
    emit(o, line);
}

static void row_money(out_t *o, const char *name, const uint64_t m[3])
{
    char line[128], cell[3][32];
    for (int i = 0; i < 3; i++)
        flm_money_format(m[i], cell[i], sizeof cell[i]);
    flm_snprintf(line, sizeof line, "  %-22s %14s %14s %14s\n", name, cell[0], cell[1], cell[2]);
    emit(o, line);
}

static void cap_text(char *buf, size_t cap, bool money, uint64_t limit)
{
    if (!limit)
        flm_snprintf(buf, cap, "none");
    else if (money)
        flm_money_format(limit, buf, cap);
    else
        flm_snprintf(buf, cap, "%" PRIu64, limit);
}

size_t flm_ledger_stats_format(const flm_ledger_t *l, const flm_ledger_stats_t *st, char *buf,
                               size_t cap)
{
    out_t o = { buf, cap, 0 };
    if (!buf || !cap)
        return 0;
    buf[0] = '\0';
    if (!l || !st)
        return 0;
    const flm_budget_settings_t *s = &l->settings;
    char line[160], a[32], b[32], c[32], d[32];
    flm_money_format(s->price_input_micro, a, sizeof a);
    flm_money_format(s->price_output_micro, b, sizeof b);
    flm_snprintf(line, sizeof line, "budget (%s; prices per 1K tokens: input %s, output %s)\n",
                 s->currency, a, b);
    emit(&o, line);
    char today[16], month[16];
    flm_snprintf(today, sizeof today, "%04d-%02u-%02u", (int)st->year, (unsigned)st->month,
                 (unsigned)st->day);
    flm_snprintf(month, sizeof month, "%04d-%02u", (int)st->year, (unsigned)st->month);
    flm_snprintf(line, sizeof line, "  %-22s %14s %14s %14s\n", "", today, month, "all time");
    emit(&o, line);
    const flm_ledger_period_t *p[3] = { &st->today, &st->this_month, &st->total };
#define ROW(name, f) row_u64(&o, name, p[0]->c.f, p[1]->c.f, p[2]->c.f)
    ROW("local requests", local_requests);
    ROW("cloud requests", cloud_requests);
    const uint32_t req_bp[3] = { p[0]->share_requests_bp, p[1]->share_requests_bp,
                                 p[2]->share_requests_bp };
    row_share(&o, "cloud share, requests", req_bp);
    ROW("local tokens in", local_in);
    ROW("local tokens out", local_out);
    ROW("cloud tokens in", cloud_in);
    ROW("cloud tokens out", cloud_out);
#undef ROW
    const uint32_t tok_bp[3] = { p[0]->share_tokens_bp, p[1]->share_tokens_bp, p[2]->share_tokens_bp };
    row_share(&o, "cloud share, tokens", tok_bp);
    const uint64_t spent[3] = { p[0]->c.money, p[1]->c.money, p[2]->c.money };
    const uint64_t all[3] = { p[0]->all_cloud, p[1]->all_cloud, p[2]->all_cloud };
    const uint64_t saved[3] = { p[0]->saving, p[1]->saving, p[2]->saving };
    row_money(&o, "cloud spend", spent);
    row_money(&o, "all-cloud cost", all);
    row_money(&o, "saving", saved);
    cap_text(a, sizeof a, false, s->daily_tokens);
    cap_text(b, sizeof b, false, s->monthly_tokens);
    cap_text(c, sizeof c, true, s->daily_money_micro);
    cap_text(d, sizeof d, true, s->monthly_money_micro);
    flm_snprintf(line, sizeof line,
                 "caps: daily_tokens %s, monthly_tokens %s, daily_money %s, monthly_money %s\n", a, b,
                 c, d);
    emit(&o, line);
    return o.len;
}
