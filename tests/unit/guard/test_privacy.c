/* The privacy guard: the case table (exact spans and types), redaction and
 * restoration round trips at every chunk split, no detected byte left in
 * the redacted text, the policy, the map's limits and wipe, random and
 * mutated input, and linear time counted in inner steps.
 *
 * tests/fixtures/privacy_cases.tsv is the same table for the end-to-end
 * test; guard_privacy_tsv checks it row by row against the guard, and
 * rewrites it first when FLM_PRIVACY_WRITE_TSV=1 is set (after a change to
 * privacy_cases.h: `FLM_PRIVACY_WRITE_TSV=1 build/host/tests/unit guard_privacy_tsv`). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/guard/privacy.h"
#include "tests/harness/harness.h"
#include "tests/unit/guard/privacy_cases.h"

#define N_POS (sizeof privacy_positive / sizeof privacy_positive[0])
#define N_NEG (sizeof privacy_negative / sizeof privacy_negative[0])
#define CASE_MAX 1024
#define SPANS_MAX 64

typedef struct {
    char           text[CASE_MAX];
    size_t         len;
    flm_pii_span_t spans[SPANS_MAX];
    size_t         n;
} parsed_t;

static flm_pii_type_t letter_type(char c)
{
    switch (c) {
    case 'E': return FLM_PII_EMAIL;
    case 'P': return FLM_PII_PHONE;
    case 'C': return FLM_PII_CARD;
    case 'I': return FLM_PII_IBAN;
    case 'S': return FLM_PII_SSN;
    case 'N': return FLM_PII_NATIONAL_ID;
    case 'A': return FLM_PII_IP;
    default: return FLM_PII_DENY_WORD;
    }
}

/* The prompt without its markers, and the spans they mark. */
static void parse_case(const char *marked, parsed_t *p)
{
    p->len = p->n = 0;
    for (const char *c = marked; *c; c++) {
        if (*c == '\x01') {
            p->spans[p->n].type = letter_type(c[1]);
            p->spans[p->n].off = p->len;
            c++;
        } else if (*c == '\x02') {
            p->spans[p->n].len = p->len - p->spans[p->n].off;
            p->n++;
        } else {
            p->text[p->len++] = *c;
        }
    }
    p->text[p->len] = '\0';
}

static flm_privacy_t guard; /* static: kilobytes */
static flm_privacy_map_t map;

static void setup(flm_privacy_policy_t policy)
{
    flm_privacy_settings_t s;
    flm_privacy_settings_init(&s);
    s.policy = policy;
    strcpy(s.deny_words, PRIVACY_CASES_DENY);
    flm_err_t e = flm_privacy_init(&guard, &s);
    if (e != FLM_OK)
        flm_test_fail(__FILE__, __LINE__, "flm_privacy_init: %d", e);
}

static void spans_text(const char *text, const flm_pii_span_t *sp, size_t n, char *buf, size_t cap)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < n && o + 8 < cap; k++)
        o += (size_t)snprintf(buf + o, cap - o, " %s[%.*s]@%zu", flm_pii_type_tag(sp[k].type),
                              (int)sp[k].len, text + sp[k].off, sp[k].off);
}

static bool same_spans(const flm_pii_span_t *a, size_t na, const flm_pii_span_t *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t k = 0; k < na; k++)
        if (a[k].off != b[k].off || a[k].len != b[k].len || a[k].type != b[k].type)
            return false;
    return true;
}

/* Scan one case; false (with the test failed) on a mismatch. */
static bool check_case(const char *marked, const char *what, size_t index)
{
    static parsed_t p;
    parse_case(marked, &p);
    flm_pii_span_t got[SPANS_MAX];
    size_t n = 99;
    flm_err_t e = flm_privacy_scan(&guard, p.text, p.len, got, SPANS_MAX, &n);
    if (e != FLM_OK || !same_spans(p.spans, p.n, got, n)) {
        char want[512], have[512];
        spans_text(p.text, p.spans, p.n, want, sizeof want);
        spans_text(p.text, got, n, have, sizeof have);
        flm_test_fail(__FILE__, __LINE__, "%s case %zu \"%s\": want%s, got%s (err %d)", what, index,
                      p.text, p.n ? want : " none", n ? have : " none", e);
        return false;
    }
    return true;
}

FLM_TEST(guard_privacy_cases_positive)
{
    setup(FLM_PRIVACY_REDACT);
    FLM_CHECK(N_POS >= 100);
    size_t spans = 0;
    for (size_t i = 0; i < N_POS; i++) {
        parsed_t p;
        parse_case(privacy_positive[i], &p);
        FLM_CHECK_MSG(p.n > 0, "positive case %zu has no span", i);
        spans += p.n;
        if (!check_case(privacy_positive[i], "positive", i))
            return;
    }
    FLM_CHECK(spans >= 150);
    flm_privacy_deinit(&guard);
}

FLM_TEST(guard_privacy_cases_negative)
{
    setup(FLM_PRIVACY_REDACT);
    FLM_CHECK(N_NEG >= 100);
    for (size_t i = 0; i < N_NEG; i++) {
        FLM_CHECK_MSG(strchr(privacy_negative[i], '\x01') == NULL, "negative case %zu has a span", i);
        if (!check_case(privacy_negative[i], "negative", i))
            return;
    }
    flm_privacy_deinit(&guard);
}

/* ---- redaction and restoration ----------------------------------------------- */

typedef struct {
    char   buf[4096];
    size_t len;
    int    calls;
    int    fail_at; /* return an error on this call (1-based), 0: never */
} collect_t;

static flm_err_t collect(void *user, const char *text, size_t n)
{
    collect_t *c = user;
    c->calls++;
    if (c->fail_at && c->calls == c->fail_at)
        return FLM_ERR_IO;
    if (n == 0 || c->len + n >= sizeof c->buf)
        return FLM_ERR_OVERFLOW; /* the restorer never sends an empty slice */
    memcpy(c->buf + c->len, text, n);
    c->len += n;
    c->buf[c->len] = '\0';
    return FLM_OK;
}

/* Restore text fed in the given chunk lengths (cuts[] ascending, in (0, len)). */
static bool restore_chunks(const char *text, size_t len, const size_t *cuts, size_t n_cuts,
                           collect_t *c)
{
    flm_privacy_restorer_t r;
    memset(c, 0, sizeof *c);
    flm_privacy_restorer_init(&r, &map, collect, c);
    size_t at = 0;
    for (size_t k = 0; k <= n_cuts; k++) {
        size_t to = k < n_cuts ? cuts[k] : len;
        if (flm_privacy_restore(&r, text + at, to - at) != FLM_OK)
            return false;
        if (r.n_pend > FLM_PRIVACY_PLACEHOLDER_MAX)
            return false;
        at = to;
    }
    return flm_privacy_restore_flush(&r) == FLM_OK;
}

static char redacted[4096];
static size_t redacted_len;

static flm_err_t redact_case(const parsed_t *p)
{
    flm_privacy_map_init(&map);
    return flm_privacy_redact(&map, p->text, p->len, p->spans, p->n, redacted, sizeof redacted,
                              &redacted_len);
}

FLM_TEST(guard_privacy_round_trip_every_split)
{
    static parsed_t p;
    collect_t c;
    size_t splits = 0;
    for (size_t i = 0; i < N_POS; i++) {
        parse_case(privacy_positive[i], &p);
        FLM_CHECK_EQ(redact_case(&p), FLM_OK);
        FLM_CHECK_EQ(strlen(redacted), redacted_len);
        /* no byte sequence of a detected span survives */
        for (size_t k = 0; k < p.n; k++) {
            char v[256];
            memcpy(v, p.text + p.spans[k].off, p.spans[k].len);
            v[p.spans[k].len] = '\0';
            FLM_CHECK_MSG(!flm_test_contains(redacted, redacted_len, v), "case %zu: '%s' left in '%s'",
                          i, v, redacted);
        }
        /* whole, byte by byte, and cut in two at every offset */
        FLM_CHECK(restore_chunks(redacted, redacted_len, NULL, 0, &c));
        FLM_CHECK_MSG(c.len == p.len && memcmp(c.buf, p.text, p.len) == 0, "case %zu: '%s' -> '%s'", i,
                      redacted, c.buf);
        size_t every[4096];
        for (size_t k = 1; k < redacted_len; k++)
            every[k - 1] = k;
        FLM_CHECK(restore_chunks(redacted, redacted_len, every, redacted_len ? redacted_len - 1 : 0, &c));
        FLM_CHECK(c.len == p.len && memcmp(c.buf, p.text, p.len) == 0);
        for (size_t k = 1; k < redacted_len; k++, splits++) {
            FLM_CHECK(restore_chunks(redacted, redacted_len, &k, 1, &c));
            FLM_CHECK_MSG(c.len == p.len && memcmp(c.buf, p.text, p.len) == 0,
                          "case %zu split at %zu: '%s'", i, k, c.buf);
        }
        /* the one-shot form */
        char out[2048];
        size_t ol = 0;
        FLM_CHECK_EQ(flm_privacy_restore_text(&map, redacted, redacted_len, out, sizeof out, &ol), FLM_OK);
        FLM_CHECK(ol == p.len && memcmp(out, p.text, p.len) == 0 && out[ol] == '\0');
        flm_privacy_map_deinit(&map);
    }
    FLM_CHECK_MSG(splits > 3000, "%zu splits", splits);
}

/* The guard's own spans, redacted: the case table through flm_privacy_check. */
FLM_TEST(guard_privacy_check_redacts_cases)
{
    static parsed_t p;
    setup(FLM_PRIVACY_REDACT);
    for (size_t i = 0; i < N_POS; i++) {
        parse_case(privacy_positive[i], &p);
        flm_privacy_result_t res;
        flm_privacy_map_init(&map);
        FLM_CHECK_EQ(flm_privacy_check(&guard, p.text, p.len, &map, redacted, sizeof redacted, &res), FLM_OK);
        FLM_CHECK_EQ(res.verdict, FLM_PRIVACY_REDACTED);
        FLM_CHECK_EQ(res.spans, p.n);
        FLM_CHECK_EQ(res.out_len, strlen(redacted));
        uint32_t types = 0;
        for (size_t k = 0; k < p.n; k++)
            types |= 1u << p.spans[k].type;
        FLM_CHECK_EQ(res.types, types);
        char out[2048];
        size_t ol = 0;
        FLM_CHECK_EQ(flm_privacy_restore_text(&map, redacted, res.out_len, out, sizeof out, &ol), FLM_OK);
        FLM_CHECK(ol == p.len && memcmp(out, p.text, p.len) == 0);
    }
    for (size_t i = 0; i < N_NEG; i++) {
        parse_case(privacy_negative[i], &p);
        flm_privacy_result_t res;
        FLM_CHECK_EQ(flm_privacy_check(&guard, p.text, p.len, &map, redacted, sizeof redacted, &res), FLM_OK);
        FLM_CHECK_EQ(res.verdict, FLM_PRIVACY_CLEAN);
        FLM_CHECK_EQ(res.types, 0);
    }
    flm_privacy_map_deinit(&map);
    flm_privacy_deinit(&guard);
}

static const char *redact_text(const char *text)
{
    flm_pii_span_t sp[SPANS_MAX];
    size_t n = 0;
    if (flm_privacy_scan(&guard, text, strlen(text), sp, SPANS_MAX, &n) != FLM_OK)
        return "(scan failed)";
    if (flm_privacy_redact(&map, text, strlen(text), sp, n, redacted, sizeof redacted, &redacted_len) != FLM_OK)
        return "(redact failed)";
    return redacted;
}

FLM_TEST(guard_privacy_redact_numbering)
{
    setup(FLM_PRIVACY_REDACT);
    flm_privacy_map_init(&map);
    FLM_CHECK(strcmp(redact_text("Email a@example.com then b@example.com then a@example.com, "
                                 "call 555-123-4567"),
                     "Email [EMAIL_1] then [EMAIL_2] then [EMAIL_1], call [PHONE_1]") == 0);
    FLM_CHECK_EQ(map.n, 3);
    /* the same map again (a second message): values keep their placeholders */
    FLM_CHECK(strcmp(redact_text("b@example.com, c@example.com, Zephyr and 10.0.0.1"),
                     "[EMAIL_2], [EMAIL_3], [DENY_WORD_1] and [IP_1]") == 0);
    size_t vl = 0;
    const char *v = flm_privacy_map_find(&map, FLM_PII_EMAIL, 3, &vl);
    FLM_CHECK(v && vl == 13 && memcmp(v, "c@example.com", 13) == 0);
    FLM_CHECK(flm_privacy_map_find(&map, FLM_PII_EMAIL, 4, NULL) == NULL);
    FLM_CHECK(flm_privacy_map_find(&map, FLM_PII_PHONE, 2, NULL) == NULL);
    /* the same bytes as another type are another value */
    flm_privacy_map_init(&map);
    FLM_CHECK(strcmp(redact_text("NI 130 420 060 or phone 0130 420 060, card 4111111111111111 4111111111111111"),
                     "NI [NATIONAL_ID_1] or phone [PHONE_1], card [CARD_1] [CARD_1]") == 0);
    /* nothing to redact: a copy */
    FLM_CHECK(strcmp(redact_text("nothing here"), "nothing here") == 0);
    FLM_CHECK(strcmp(redact_text(""), "") == 0);
    flm_privacy_map_deinit(&map);
    flm_privacy_deinit(&guard);
}

FLM_TEST(guard_privacy_literal_placeholders)
{
    setup(FLM_PRIVACY_REDACT);
    flm_privacy_map_init(&map);
    const char *text = "Replace [EMAIL_1] and [EMAIL_2] with a@example.com; [PHONE_1] stays";
    FLM_CHECK(strcmp(redact_text(text),
                     "Replace [EMAIL_1] and [EMAIL_2] with [EMAIL_3]; [PHONE_1] stays") == 0);
    char out[256];
    size_t ol;
    FLM_CHECK_EQ(flm_privacy_restore_text(&map, redacted, redacted_len, out, sizeof out, &ol), FLM_OK);
    FLM_CHECK(strcmp(out, text) == 0);
    /* a prompt full of literal placeholders cannot be numbered: NOMEM */
    static char many[8192];
    size_t o = 0;
    for (unsigned k = 1; k <= 2u * FLM_PRIVACY_SPANS_MAX + 32u; k++)
        o += (size_t)snprintf(many + o, sizeof many - o, "[EMAIL_%u] ", k);
    snprintf(many + o, sizeof many - o, "a@example.com");
    flm_pii_span_t sp[4];
    size_t n = 0;
    FLM_CHECK_EQ(flm_privacy_scan(&guard, many, strlen(many), sp, 4, &n), FLM_OK);
    FLM_CHECK_EQ(n, 1);
    flm_privacy_map_init(&map);
    FLM_CHECK_EQ(flm_privacy_redact(&map, many, strlen(many), sp, n, redacted, sizeof redacted, NULL),
                 FLM_ERR_NOMEM);
    flm_privacy_deinit(&guard);
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t k = 0; k < n; k++)
        if (b[k])
            return false;
    return true;
}

/* Literal placeholders across the texts of one map (a system message, then
 * the prompt): one typed in an earlier text is never given out later, and a
 * later text typing one the map already gave out is refused (the answer
 * could not tell them apart: LOCAL under flm_privacy_check). Found by
 * fuzz_privacy (tests/fuzz/regressions/privacy/). */
FLM_TEST(guard_privacy_literal_placeholders_across_texts)
{
    setup(FLM_PRIVACY_REDACT);
    flm_privacy_map_init(&map);
    FLM_CHECK(strcmp(redact_text("system: [EMAIL_2] is a@example.com"), "system: [EMAIL_2] is [EMAIL_1]") == 0);
    FLM_CHECK(strcmp(redact_text("b@example.com and c@example.com"), "[EMAIL_3] and [EMAIL_4]") == 0);
    char out[256];
    size_t ol;
    FLM_CHECK_EQ(flm_privacy_restore_text(&map, "[EMAIL_2] [EMAIL_4]", 19, out, sizeof out, &ol), FLM_OK);
    FLM_CHECK(strcmp(out, "[EMAIL_2] c@example.com") == 0);
    /* the prompt types [EMAIL_1], which the system message's address goes by */
    const char *text = "I typed [EMAIL_1] and d@example.com";
    flm_pii_span_t sp[4];
    size_t n = 0;
    FLM_CHECK_EQ(flm_privacy_scan(&guard, text, strlen(text), sp, 4, &n), FLM_OK);
    FLM_CHECK_EQ(n, 1);
    FLM_CHECK_EQ(flm_privacy_redact(&map, text, strlen(text), sp, n, redacted, sizeof redacted, NULL),
                 FLM_ERR_STATE);
    FLM_CHECK(all_zero(&map, sizeof map) && redacted[0] == '\0');
    /* through the policy: kept local */
    flm_privacy_map_init(&map);
    flm_privacy_result_t res;
    FLM_CHECK_EQ(flm_privacy_check(&guard, "a@example.com", 13, &map, redacted, sizeof redacted, &res), FLM_OK);
    FLM_CHECK_EQ(res.verdict, FLM_PRIVACY_REDACTED);
    FLM_CHECK_EQ(flm_privacy_check(&guard, text, strlen(text), &map, redacted, sizeof redacted, &res), FLM_OK);
    FLM_CHECK_EQ(res.verdict, FLM_PRIVACY_LOCAL);
    FLM_CHECK_EQ(res.redact_err, FLM_ERR_STATE);
    flm_privacy_map_deinit(&map);
    flm_privacy_deinit(&guard);
}

FLM_TEST(guard_privacy_redact_limits_and_wipe)
{
    setup(FLM_PRIVACY_REDACT);
    const char *text = "mail jane@example.com now";
    flm_pii_span_t sp[4];
    size_t n = 0;
    FLM_CHECK_EQ(flm_privacy_scan(&guard, text, strlen(text), sp, 4, &n), FLM_OK);
    const char *want = "mail [EMAIL_1] now";
    char out[64];
    for (size_t cap = 1; cap <= strlen(want) + 1; cap++) {
        flm_privacy_map_init(&map);
        memset(out, 'x', sizeof out);
        flm_err_t e = flm_privacy_redact(&map, text, strlen(text), sp, n, out, cap, NULL);
        if (cap <= strlen(want)) {
            FLM_CHECK_EQ(e, FLM_ERR_OVERFLOW);
            FLM_CHECK(all_zero(out, cap));
            FLM_CHECK(out[cap] == 'x');
            FLM_CHECK(all_zero(&map, sizeof map)); /* the value is gone with the failure */
        } else {
            FLM_CHECK_EQ(e, FLM_OK);
            FLM_CHECK(strcmp(out, want) == 0);
        }
    }
    /* deinit wipes every byte of the value */
    FLM_CHECK(flm_test_contains(&map, sizeof map, "jane@example.com"));
    flm_privacy_map_deinit(&map);
    FLM_CHECK(all_zero(&map, sizeof map));
    /* more distinct values than the map's entries */
    static char big[8192];
    size_t o = 0;
    for (unsigned k = 0; k <= FLM_PRIVACY_SPANS_MAX; k++)
        o += (size_t)snprintf(big + o, sizeof big - o, "u%u@example.com ", k);
    static flm_pii_span_t many[FLM_PRIVACY_SPANS_MAX + 8];
    FLM_CHECK_EQ(flm_privacy_scan(&guard, big, o, many, FLM_PRIVACY_SPANS_MAX + 8, &n), FLM_OK);
    FLM_CHECK_EQ(n, FLM_PRIVACY_SPANS_MAX + 1);
    flm_privacy_map_init(&map);
    FLM_CHECK_EQ(flm_privacy_redact(&map, big, o, many, n, redacted, sizeof redacted, NULL), FLM_ERR_NOMEM);
    FLM_CHECK(all_zero(&map, sizeof map));
    /* ... and more value bytes than it holds */
    o = 0;
    for (unsigned k = 0; o < FLM_PRIVACY_MAP_BYTES + 200; k++) {
        o += (size_t)snprintf(big + o, sizeof big - o, "%u", k);
        memset(big + o, 'x', 60);
        o += 60;
        o += (size_t)snprintf(big + o, sizeof big - o, "@example.com ");
    }
    FLM_CHECK_EQ(flm_privacy_scan(&guard, big, o, many, FLM_PRIVACY_SPANS_MAX + 8, &n), FLM_OK);
    FLM_CHECK(n <= FLM_PRIVACY_SPANS_MAX);
    flm_privacy_map_init(&map);
    FLM_CHECK_EQ(flm_privacy_redact(&map, big, o, many, n, redacted, sizeof redacted, NULL), FLM_ERR_NOMEM);
    /* the guard forgets its deny phrases */
    FLM_CHECK(flm_test_contains(&guard, sizeof guard, "Kowalski"));
    flm_privacy_deinit(&guard);
    FLM_CHECK(all_zero(&guard, sizeof guard));
    /* bad spans are refused */
    flm_pii_span_t bad[2] = { { 5, 4, FLM_PII_EMAIL }, { 7, 2, FLM_PII_EMAIL } };
    FLM_CHECK_EQ(flm_privacy_redact(&map, text, strlen(text), bad, 2, out, sizeof out, NULL), FLM_ERR_ARG);
    bad[0].off = 100;
    FLM_CHECK_EQ(flm_privacy_redact(&map, text, strlen(text), bad, 1, out, sizeof out, NULL), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_privacy_redact(&map, text, strlen(text), NULL, 0, out, 0, NULL), FLM_ERR_ARG);
}

FLM_TEST(guard_privacy_restorer)
{
    setup(FLM_PRIVACY_REDACT);
    flm_privacy_map_init(&map);
    FLM_CHECK(strcmp(redact_text("a@x.com 555-123-4567 AB123456C Zephyr"),
                     "[EMAIL_1] [PHONE_1] [NATIONAL_ID_1] [DENY_WORD_1]") == 0);
    static const struct {
        const char *in, *out;
    } cases[] = {
        { "to [EMAIL_1].", "to a@x.com." },
        { "[EMAIL_1][PHONE_1]", "a@x.com555-123-4567" },
        { "[[EMAIL_1]]", "[a@x.com]" },
        { "[NATIONAL_ID_1] and [DENY_WORD_1]", "AB123456C and Zephyr" },
        { "[EMAIL_2] is unknown", "[EMAIL_2] is unknown" },
        { "[EMAIL_01] [EMAIL_0] [email_1] [EMAIL 1] [EMAIL_1x]", "[EMAIL_01] [EMAIL_0] [email_1] [EMAIL 1] [EMAIL_1x]" },
        { "[EMAIL_123456] [EMAIL_99999] [EMAIL_65536]", "[EMAIL_123456] [EMAIL_99999] [EMAIL_65536]" },
        { "[EMAIL_", "[EMAIL_" },
        { "ends with [EMAIL_1", "ends with [EMAIL_1" },
        { "[", "[" },
        { "[[[[", "[[[[" },
        { "[PHONE_1[EMAIL_1]", "[PHONE_1a@x.com" },
        { "[IBAN_1] [IP_1] [SSN_1] [CARD_1]", "[IBAN_1] [IP_1] [SSN_1] [CARD_1]" },
        { "[NATIONAL_1]", "[NATIONAL_1]" },
        { "plain text without brackets", "plain text without brackets" },
        { "", "" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *in = cases[i].in;
        size_t len = strlen(in);
        collect_t c;
        FLM_CHECK(restore_chunks(in, len, NULL, 0, &c));
        FLM_CHECK_MSG(strcmp(c.len ? c.buf : "", cases[i].out) == 0, "'%s' -> '%s'", in, c.buf);
        for (size_t k = 1; k < len; k++) {
            FLM_CHECK(restore_chunks(in, len, &k, 1, &c));
            FLM_CHECK_MSG(strcmp(c.len ? c.buf : "", cases[i].out) == 0, "'%s' split %zu -> '%s'", in, k, c.buf);
        }
        size_t every[64];
        for (size_t k = 1; k < len; k++)
            every[k - 1] = k;
        FLM_CHECK(restore_chunks(in, len, every, len ? len - 1 : 0, &c));
        FLM_CHECK(strcmp(c.len ? c.buf : "", cases[i].out) == 0);
    }
    /* text that cannot start a placeholder leaves as one slice of the chunk */
    collect_t c;
    memset(&c, 0, sizeof c);
    flm_privacy_restorer_t r;
    flm_privacy_restorer_init(&r, &map, collect, &c);
    static char plain[2000];
    memset(plain, 'a', sizeof plain);
    FLM_CHECK_EQ(flm_privacy_restore(&r, plain, sizeof plain), FLM_OK);
    FLM_CHECK_EQ(c.calls, 1);
    FLM_CHECK_EQ(c.len, sizeof plain);
    /* held back: at most one placeholder's worth */
    memset(&c, 0, sizeof c);
    flm_privacy_restorer_init(&r, &map, collect, &c);
    FLM_CHECK_EQ(flm_privacy_restore(&r, "[NATIONAL_ID_6553", 17), FLM_OK);
    FLM_CHECK_EQ(c.len, 0);
    FLM_CHECK_EQ(r.n_pend, 17);
    FLM_CHECK_EQ(flm_privacy_restore(&r, "5", 1), FLM_OK);
    FLM_CHECK_EQ(r.n_pend, 18);
    FLM_CHECK_EQ(flm_privacy_restore(&r, "]", 1), FLM_OK);
    FLM_CHECK(strcmp(c.buf, "[NATIONAL_ID_65535]") == 0);
    FLM_CHECK_EQ(r.n_pend, 0);
    /* the callback's error ends the call */
    memset(&c, 0, sizeof c);
    c.fail_at = 2;
    flm_privacy_restorer_init(&r, &map, collect, &c);
    FLM_CHECK_EQ(flm_privacy_restore(&r, "x [EMAIL_1] y", 13), FLM_ERR_IO);
    /* one-shot restore: too small an output is an error and leaves nothing */
    char out[7]; /* a@x.com and its NUL need 8 */
    memset(out, 'z', sizeof out);
    FLM_CHECK_EQ(flm_privacy_restore_text(&map, "[EMAIL_1]", 9, out, sizeof out, NULL), FLM_ERR_OVERFLOW);
    FLM_CHECK(all_zero(out, sizeof out));
    FLM_CHECK_EQ(flm_privacy_restore(NULL, "x", 1), FLM_ERR_ARG);
    flm_privacy_map_deinit(&map);
    flm_privacy_deinit(&guard);
}

/* ---- policy, settings ----------------------------------------------------- */

FLM_TEST(guard_privacy_policy)
{
    const char *pii = "my card is 4111 1111 1111 1111";
    const char *clean = "what is 2 + 2?";
    flm_privacy_result_t res;
    char out[128];
    static const flm_privacy_policy_t policies[] = { FLM_PRIVACY_LOCAL_ONLY, FLM_PRIVACY_REDACT,
                                                     FLM_PRIVACY_ALLOW };
    static const flm_privacy_verdict_t want[] = { FLM_PRIVACY_LOCAL, FLM_PRIVACY_REDACTED,
                                                  FLM_PRIVACY_ALLOWED };
    for (size_t k = 0; k < 3; k++) {
        setup(policies[k]);
        flm_privacy_map_init(&map);
        FLM_CHECK_EQ(flm_privacy_check(&guard, clean, strlen(clean), &map, out, sizeof out, &res), FLM_OK);
        FLM_CHECK_EQ(res.verdict, FLM_PRIVACY_CLEAN);
        FLM_CHECK_EQ(res.spans, 0);
        FLM_CHECK_EQ(flm_privacy_check(&guard, pii, strlen(pii), &map, out, sizeof out, &res), FLM_OK);
        FLM_CHECK_EQ(res.verdict, want[k]);
        FLM_CHECK_EQ(res.spans, 1);
        FLM_CHECK_EQ(res.types, 1u << FLM_PII_CARD);
        FLM_CHECK_EQ(res.redact_err, FLM_OK);
        if (want[k] == FLM_PRIVACY_REDACTED)
            FLM_CHECK(strcmp(out, "my card is [CARD_1]") == 0 && res.out_len == 19);
        /* map and out are only needed to redact */
        flm_err_t e = flm_privacy_check(&guard, pii, strlen(pii), NULL, NULL, 0, &res);
        FLM_CHECK_EQ(e, policies[k] == FLM_PRIVACY_REDACT ? FLM_ERR_ARG : FLM_OK);
        flm_privacy_deinit(&guard);
    }
    /* redaction that cannot be whole fails closed */
    setup(FLM_PRIVACY_REDACT);
    flm_privacy_map_init(&map);
    FLM_CHECK_EQ(flm_privacy_check(&guard, pii, strlen(pii), &map, out, 12, &res), FLM_OK);
    FLM_CHECK_EQ(res.verdict, FLM_PRIVACY_LOCAL);
    FLM_CHECK_EQ(res.redact_err, FLM_ERR_OVERFLOW);
    static char big[4096];
    size_t o = 0;
    for (unsigned k = 0; k <= FLM_PRIVACY_SPANS_MAX; k++)
        o += (size_t)snprintf(big + o, sizeof big - o, "10.0.0.%u ", k);
    FLM_CHECK_EQ(flm_privacy_check(&guard, big, o, &map, redacted, sizeof redacted, &res), FLM_OK);
    FLM_CHECK_EQ(res.verdict, FLM_PRIVACY_LOCAL);
    FLM_CHECK_EQ(res.redact_err, FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(res.spans, FLM_PRIVACY_SPANS_MAX);
    /* scan with no room at all: "is there any?" */
    size_t n = 0;
    FLM_CHECK_EQ(flm_privacy_scan(&guard, pii, strlen(pii), NULL, 0, &n), FLM_ERR_OVERFLOW);
    FLM_CHECK_EQ(flm_privacy_scan(&guard, clean, strlen(clean), NULL, 0, &n), FLM_OK);
    FLM_CHECK_EQ(flm_privacy_check(NULL, pii, 1, &map, out, sizeof out, &res), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_privacy_scan(&guard, NULL, 3, NULL, 0, &n), FLM_ERR_ARG);
    flm_privacy_map_deinit(&map);
    flm_privacy_deinit(&guard);
}

FLM_TEST(guard_privacy_settings)
{
    flm_privacy_settings_t s;
    flm_privacy_settings_init(&s);
    FLM_CHECK_EQ(s.policy, FLM_PRIVACY_LOCAL_ONLY); /* fail closed */
    FLM_CHECK(strcmp(s.detect, "all") == 0);
    FLM_CHECK_EQ(s.types, FLM_PII_ALL & ~(1u << FLM_PII_DENY_WORD));
    FLM_CHECK_EQ(s.deny_words[0], '\0');
    FLM_CHECK_EQ(flm_privacy_init(&guard, NULL), FLM_OK);
    FLM_CHECK_EQ(guard.policy, FLM_PRIVACY_LOCAL_ONLY);
    FLM_CHECK_EQ(guard.n_deny, 0);

    /* detect: only what is asked for (deny words always) */
    FLM_CHECK_EQ(flm_privacy_types_parse(" email , ip", &s.types, NULL), FLM_OK);
    FLM_CHECK_EQ(s.types, (1u << FLM_PII_EMAIL) | (1u << FLM_PII_IP));
    strcpy(s.deny_words, "Zephyr");
    FLM_CHECK_EQ(flm_privacy_init(&guard, &s), FLM_OK);
    const char *text = "a@x.com 10.0.0.1 555-123-4567 4111111111111111 Zephyr";
    flm_pii_span_t sp[8];
    size_t n = 0;
    FLM_CHECK_EQ(flm_privacy_scan(&guard, text, strlen(text), sp, 8, &n), FLM_OK);
    FLM_CHECK_EQ(n, 3);
    FLM_CHECK(sp[0].type == FLM_PII_EMAIL && sp[1].type == FLM_PII_IP && sp[2].type == FLM_PII_DENY_WORD);
    FLM_CHECK_EQ(flm_privacy_types_parse("none", &s.types, NULL), FLM_OK);
    FLM_CHECK_EQ(s.types, 0);
    FLM_CHECK_EQ(flm_privacy_init(&guard, &s), FLM_OK);
    FLM_CHECK_EQ(flm_privacy_scan(&guard, text, strlen(text), sp, 8, &n), FLM_OK);
    FLM_CHECK(n == 1 && sp[0].type == FLM_PII_DENY_WORD);
    FLM_CHECK_EQ(flm_privacy_types_parse("all", &s.types, NULL), FLM_OK);
    FLM_CHECK_EQ(s.types, FLM_PII_ALL & ~(1u << FLM_PII_DENY_WORD));
    size_t off = 0;
    FLM_CHECK_EQ(flm_privacy_types_parse("email, phones", &s.types, &off), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(off, 7);
    FLM_CHECK_EQ(flm_privacy_types_parse("", &s.types, &off), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(flm_privacy_types_parse("deny_word", &s.types, &off), FLM_ERR_CONFIG_VALUE);

    /* deny lists: trimmed, inner white space one space, empty phrases refused */
    size_t count = 0, bad = 0;
    FLM_CHECK_EQ(flm_privacy_deny_check("  a phrase ,another\t\tphrase,x", &count, &bad), FLM_OK);
    FLM_CHECK_EQ(count, 3);
    strcpy(s.deny_words, "  a phrase ,another\t\tphrase,x");
    FLM_CHECK_EQ(flm_privacy_init(&guard, &s), FLM_OK);
    FLM_CHECK_EQ(guard.n_deny, 3);
    FLM_CHECK(guard.deny_len[1] == 14 && memcmp(guard.deny + guard.deny_off[1], "another phrase", 14) == 0);
    FLM_CHECK_EQ(flm_privacy_deny_check("   ", &count, &bad), FLM_OK);
    FLM_CHECK_EQ(count, 0);
    FLM_CHECK_EQ(flm_privacy_deny_check("a,,b", &count, &bad), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(bad, 2);
    FLM_CHECK_EQ(flm_privacy_deny_check("a, b,", &count, &bad), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(bad, 3);
    char list[FLM_PRIVACY_DENY_BYTES];
    size_t o = 0;
    for (unsigned k = 0; k <= FLM_PRIVACY_DENY_MAX; k++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%sw%u", k ? "," : "", k);
    FLM_CHECK_EQ(flm_privacy_deny_check(list, &count, &bad), FLM_ERR_OVERFLOW);
    strcpy(s.deny_words, list);
    FLM_CHECK_EQ(flm_privacy_init(&guard, &s), FLM_ERR_OVERFLOW);
    s.deny_words[0] = '\0';
    s.policy = 7;
    FLM_CHECK_EQ(flm_privacy_init(&guard, &s), FLM_ERR_ARG);

    /* names */
    FLM_CHECK(strcmp(flm_pii_type_tag(FLM_PII_NATIONAL_ID), "NATIONAL_ID") == 0);
    FLM_CHECK(strcmp(flm_pii_type_key(FLM_PII_NATIONAL_ID), "national_id") == 0);
    FLM_CHECK(strcmp(flm_privacy_policy_name(FLM_PRIVACY_LOCAL_ONLY), "local-only") == 0);
    FLM_CHECK(strcmp(flm_privacy_policy_name(FLM_PRIVACY_REDACT), "redact") == 0);
    FLM_CHECK(strcmp(flm_privacy_policy_name(FLM_PRIVACY_ALLOW), "allow") == 0);
    char buf[64];
    FLM_CHECK_EQ(flm_privacy_types_text((1u << FLM_PII_EMAIL) | (1u << FLM_PII_DENY_WORD), buf, sizeof buf), 15);
    FLM_CHECK(strcmp(buf, "email,deny_word") == 0);
    FLM_CHECK_EQ(flm_privacy_types_text(FLM_PII_ALL, buf, 12), 11);
    FLM_CHECK(strcmp(buf, "email,phone") == 0);
    FLM_CHECK_EQ(flm_privacy_types_text(0, buf, sizeof buf), 0);
    FLM_CHECK_EQ(buf[0], '\0');
    flm_privacy_deinit(&guard);
}

/* ---- random and mutated input ------------------------------------------------ */

static uint32_t rng = 0x2545F491u;

static bool spans_sane(const flm_pii_span_t *sp, size_t n, size_t len)
{
    for (size_t k = 0; k < n; k++) {
        if (sp[k].len == 0 || sp[k].off > len || sp[k].len > len - sp[k].off || (unsigned)sp[k].type >= FLM_PII_TYPES)
            return false;
        if (k && sp[k].off < sp[k - 1].off + sp[k - 1].len)
            return false;
    }
    return true;
}

/* Scan, redact, restore in random chunks: spans sorted and disjoint, the
 * steps linear, the original back. */
static bool fuzz_one(const char *text, size_t len)
{
    flm_pii_span_t sp[FLM_PRIVACY_SPANS_MAX];
    size_t n = 0;
    flm_err_t e = flm_privacy_scan(&guard, text, len, sp, FLM_PRIVACY_SPANS_MAX, &n);
    if (e != FLM_OK && e != FLM_ERR_OVERFLOW)
        return false;
    if (!spans_sane(sp, n, len) || guard.steps > 40 * len + 64)
        return false;
    if (e != FLM_OK)
        return true;
    flm_privacy_map_init(&map);
    e = flm_privacy_redact(&map, text, len, sp, n, redacted, sizeof redacted, &redacted_len);
    if (e == FLM_ERR_NOMEM || e == FLM_ERR_OVERFLOW)
        return true;
    if (e != FLM_OK)
        return false;
    size_t cuts[16], nc = 0, at = 0;
    while (nc < 16 && redacted_len > 1) {
        at += 1 + flm_test_xorshift32(&rng) % 12u;
        if (at >= redacted_len)
            break;
        cuts[nc++] = at;
    }
    collect_t c;
    if (!restore_chunks(redacted, redacted_len, cuts, nc, &c))
        return false;
    return c.len == len && memcmp(c.buf, text, len) == 0;
}

FLM_TEST(guard_privacy_random_bytes)
{
    setup(FLM_PRIVACY_REDACT);
    static const char *const pieces[] = {
        "0", "1", "2", "4", "5", "9", "0", "3", "7", " ", " ", "-", ".", "/", "(", ")", "+", "@",
        ":", "::", "a", "e", "f", "x", "Z", "DE", "AB", "_", ",", "[", "]", "[EMAIL_1]", "\n",
        "\xc3\xa9", "\xe4\xb8\xad", "\xc2\xa0", "\xe2\x80\x93", "com", ".com", "zephyr",
        "\xff", "\x80", "\xc3", "'", "%", "4111", "00", "06",
    };
    char text[400];
    for (int iter = 0; iter < 4000; iter++) {
        size_t len = 0, want = flm_test_xorshift32(&rng) % sizeof text;
        if (iter % 2) { /* raw bytes */
            for (; len < want; len++)
                text[len] = (char)(flm_test_xorshift32(&rng) & 0xFF);
        } else {
            while (len + 12 < want) {
                const char *p = pieces[flm_test_xorshift32(&rng) % (sizeof pieces / sizeof pieces[0])];
                size_t pl = strlen(p);
                memcpy(text + len, p, pl);
                len += pl;
            }
        }
        FLM_CHECK_MSG(fuzz_one(text, len), "iteration %d (%zu bytes)", iter, len);
    }
    flm_privacy_deinit(&guard);
}

FLM_TEST(guard_privacy_mutated_cases)
{
    setup(FLM_PRIVACY_REDACT);
    static parsed_t p;
    char text[CASE_MAX + 16];
    static const char extra[] = "0123456789 -.()+@:/[]_\xc3\xa9";
    for (size_t i = 0; i < N_POS + N_NEG; i++) {
        parse_case(i < N_POS ? privacy_positive[i] : privacy_negative[i - N_POS], &p);
        for (int m = 0; m < 40; m++) {
            size_t len = p.len;
            memcpy(text, p.text, len);
            int edits = 1 + (int)(flm_test_xorshift32(&rng) % 3u);
            for (int k = 0; k < edits; k++) {
                size_t at = len ? flm_test_xorshift32(&rng) % len : 0;
                char c = extra[flm_test_xorshift32(&rng) % (sizeof extra - 1)];
                switch (flm_test_xorshift32(&rng) % 3u) {
                case 0: if (len) text[at] = c; break;
                case 1:
                    if (len < CASE_MAX) {
                        memmove(text + at + 1, text + at, len - at);
                        text[at] = c;
                        len++;
                    }
                    break;
                default:
                    if (len) {
                        memmove(text + at, text + at + 1, len - at - 1);
                        len--;
                    }
                    break;
                }
            }
            FLM_CHECK_MSG(fuzz_one(text, len), "case %zu mutation %d: '%.*s'", i, m, (int)len, text);
        }
    }
    flm_privacy_deinit(&guard);
}

/* ---- linear time ------------------------------------------------------------------ */

static char big[65536];

static void fill(const char *alphabet, bool random_pick)
{
    size_t al = strlen(alphabet);
    for (size_t k = 0; k < sizeof big; k++)
        big[k] = alphabet[random_pick ? flm_test_xorshift32(&rng) % al : k % al];
}

FLM_TEST(guard_privacy_linear_time)
{
    flm_privacy_settings_t s;
    flm_privacy_settings_init(&s);
    strcpy(s.deny_words, "Project Falcon, 1 1 1 1 1 2, aaaa aaab, @@@@x, DE89 x");
    FLM_CHECK_EQ(flm_privacy_init(&guard, &s), FLM_OK);
    static const struct {
        const char *alphabet;
        bool        random;
    } inputs[] = {
        { "0123456789 -.()/+", true },
        { "0123456789  ", true },
        { "1 ", false },
        { "1-", false },
        { "12.", false },
        { "0", false },
        { "0612345678 ", false },
        { "4111 1111 1111 1111 ", false },
        { "a.@-_+%", true },
        { "@", false },
        { "a@", false },
        { "a.", false },
        { "0123456789abcdef:.", true },
        { "a:", false },
        { "::a", false },
        { "DE89 ", false },
        { "DE89", false },
        { "AB 12 34 56 ", false },
        { "12345678", false },
        { "project ", false },
        { "aaaa ", false },
        { "[EMAIL_1", false },
        { "\xe4\xb8\xad\xc3\xa9" "1 ", false },
    };
    size_t worst = 0;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        fill(inputs[i].alphabet, inputs[i].random);
        size_t n = 0, steps[2];
        for (int half = 0; half < 2; half++) {
            size_t len = half ? sizeof big : sizeof big / 2;
            flm_err_t e = flm_privacy_scan(&guard, big, len, guard.spans, FLM_PRIVACY_SPANS_MAX, &n);
            FLM_CHECK(e == FLM_OK || e == FLM_ERR_OVERFLOW);
            steps[half] = guard.steps;
            if (e == FLM_OK) /* a scan that ran to the end: bounded steps per byte */
                FLM_CHECK_MSG(guard.steps <= 40 * len, "input %zu: %zu steps for %zu bytes", i, guard.steps, len);
        }
        /* twice the text, about twice the work (not four times) */
        FLM_CHECK_MSG(steps[1] <= 2 * steps[0] + 4096, "input %zu: %zu then %zu steps", i, steps[0], steps[1]);
        if (steps[1] / sizeof big > worst)
            worst = steps[1] / sizeof big;
    }
    FLM_CHECK(worst >= 2); /* the counter counts */
    /* the same with a white space run a deny phrase must cross */
    memset(big, ' ', sizeof big);
    memcpy(big, "project", 7);
    size_t n = 0;
    FLM_CHECK_EQ(flm_privacy_scan(&guard, big, sizeof big, guard.spans, FLM_PRIVACY_SPANS_MAX, &n), FLM_OK);
    FLM_CHECK(guard.steps <= 40 * sizeof big);
    /* the restorer over 64 KiB of near-placeholders */
    fill("[NATIONAL_ID_1234", false);
    collect_t c;
    flm_privacy_restorer_t r;
    flm_privacy_map_init(&map);
    memset(&c, 0, sizeof c);
    flm_privacy_restorer_init(&r, &map, collect, &c);
    size_t total = 0;
    for (size_t at = 0; at < sizeof big; at += 1000) {
        size_t k = sizeof big - at < 1000 ? sizeof big - at : 1000;
        c.len = 0; /* count, don't keep */
        FLM_CHECK_EQ(flm_privacy_restore(&r, big + at, k), FLM_OK);
        total += c.len;
    }
    c.len = 0;
    FLM_CHECK_EQ(flm_privacy_restore_flush(&r), FLM_OK);
    total += c.len;
    FLM_CHECK_EQ(total, sizeof big);
    flm_privacy_deinit(&guard);
}

/* ---- the data file for the end-to-end test ---------------------------------------- */

#define TSV_PATH "tests/fixtures/privacy_cases.tsv"

static size_t escape(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)s[k];
        if (c == '\\') { out[o++] = '\\'; out[o++] = '\\'; }
        else if (c == '\t') { out[o++] = '\\'; out[o++] = 't'; }
        else if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else if (c == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
        else if (c < 0x20 || c == 0x7F) o += (size_t)sprintf(out + o, "\\x%02X", c);
        else out[o++] = (char)c;
    }
    out[o] = '\0';
    return o;
}

/* One row: prompt TAB redacted TAB spans, for a fresh map. */
static void tsv_row(const parsed_t *p, char *row, size_t cap)
{
    static char a[4 * CASE_MAX], b[4 * sizeof redacted];
    (void)redact_case(p);
    escape(p->text, p->len, a);
    escape(redacted, redacted_len, b);
    size_t o = (size_t)snprintf(row, cap, "%s\t%s\t", a, b);
    if (p->n == 0)
        o += (size_t)snprintf(row + o, cap - o, "-");
    for (size_t k = 0; k < p->n; k++)
        o += (size_t)snprintf(row + o, cap - o, "%s%s:%zu:%zu", k ? " " : "", flm_pii_type_tag(p->spans[k].type),
                              p->spans[k].off, p->spans[k].len);
    flm_privacy_map_deinit(&map);
}

static const char tsv_header[] =
    "# fieldlm privacy guard cases: written by tests/unit/guard/test_privacy.c from\n"
    "# tests/unit/guard/privacy_cases.h (FLM_PRIVACY_WRITE_TSV=1 build/host/tests/unit guard_privacy_tsv);\n"
    "# the unit test checks every row against the guard.\n"
    "#\n"
    "# One case per line, three columns separated by a TAB:\n"
    "#   prompt     the prompt; \\\\ \\t \\n \\r and \\xHH stand for a backslash, TAB, LF, CR, a byte\n"
    "#   redacted   the prompt as redact sends it (a fresh map per row); equal to the prompt when\n"
    "#              nothing is detected\n"
    "#   spans      '-' for none, else TYPE:OFFSET:LENGTH separated by spaces: byte offsets in the\n"
    "#              unescaped prompt; TYPE is EMAIL PHONE CARD IBAN SSN NATIONAL_ID IP DENY_WORD\n"
    "# Lines starting with '#' are comments; '#!key=value' lines are the [privacy] settings the\n"
    "# rows assume. Under local-only and redact no byte of a span may reach the cloud.\n"
    "#!deny_words=" PRIVACY_CASES_DENY "\n";

static char file[1 << 18];

FLM_TEST(guard_privacy_tsv)
{
    static parsed_t p;
    static char row[16384];
    setup(FLM_PRIVACY_REDACT);
    const char *w = getenv("FLM_PRIVACY_WRITE_TSV");
    if (w && strcmp(w, "1") == 0) {
        FILE *f = fopen(TSV_PATH, "wb");
        FLM_CHECK(f != NULL);
        fputs(tsv_header, f);
        for (size_t i = 0; i < N_POS + N_NEG; i++) {
            parse_case(i < N_POS ? privacy_positive[i] : privacy_negative[i - N_POS], &p);
            tsv_row(&p, row, sizeof row);
            fprintf(f, "%s\n", row);
        }
        FLM_CHECK(fclose(f) == 0);
    }
    FILE *f = fopen(TSV_PATH, "rb");
    FLM_CHECK_MSG(f != NULL, "%s is missing", TSV_PATH);
    size_t n = fread(file, 1, sizeof file - 1, f);
    fclose(f);
    file[n] = '\0';
    FLM_CHECK(strncmp(file, tsv_header, sizeof tsv_header - 1) == 0);
    size_t rows = 0;
    for (char *line = file; *line;) {
        char *end = strchr(line, '\n');
        FLM_CHECK(end != NULL);
        *end = '\0';
        if (line[0] != '#') {
            FLM_CHECK_MSG(rows < N_POS + N_NEG, "more rows than cases");
            parse_case(rows < N_POS ? privacy_positive[rows] : privacy_negative[rows - N_POS], &p);
            tsv_row(&p, row, sizeof row);
            FLM_CHECK_MSG(strcmp(line, row) == 0, "row %zu:\n  file  %s\n  guard %s", rows + 1, line, row);
            FLM_CHECK(check_case(rows < N_POS ? privacy_positive[rows] : privacy_negative[rows - N_POS], "tsv", rows));
            rows++;
        }
        line = end + 1;
    }
    FLM_CHECK_EQ(rows, N_POS + N_NEG);
    FLM_CHECK(rows >= 30);
    flm_privacy_deinit(&guard);
}
