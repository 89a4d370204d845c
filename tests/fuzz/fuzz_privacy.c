/* The privacy guard (core/guard/privacy.c) on any bytes, UTF-8 or not:
 *
 *   - the scan's spans are inside the text, sorted, apart, of types it was
 *     asked for, found in linear time (steps bounded per byte);
 *   - the policy's verdict follows from them;
 *   - a redacted prompt is the text with exactly each span replaced by a
 *     placeholder the map resolves to that span's bytes, so no byte of a
 *     detected span survives; a second text redacted on the same map (a
 *     system message, then the prompt) gets the same placeholders for the
 *     same values;
 *   - restoring gives back the original text exactly, whole and streamed
 *     in pieces split where the input says, holding back at most one
 *     placeholder's bytes; any text (an answer) restores the same
 *     streamed as whole;
 *   - the map is wiped at the end.
 *
 * Input: options byte (policy, which types, a deny list, a small output),
 * the split plan (tests/fuzz/fuzz.h), a byte splitting the text in two,
 * then the text. */
#include "core/guard/privacy.h"
#include "tests/fuzz/fuzz.h"

#define TEXT_MAX 4096u
#define OUT_CAP  (TEXT_MAX * 16u + 64u)

typedef struct {
    char   *buf;
    size_t  len, cap;
    const flm_privacy_restorer_t *r;
} sink_t;

static flm_err_t on_text(void *user, const char *t, size_t n)
{
    sink_t *s = user;
    FUZZ_CHECK(n > 0 && t != NULL);
    FUZZ_CHECK(s->len + n <= s->cap);
    memcpy(s->buf + s->len, t, n);
    s->len += n;
    return FLM_OK;
}

/* Restore text in pieces from the split plan; the bytes out. */
static size_t restore_stream(const flm_privacy_map_t *m, const char *t, size_t n, flm_fuzz_split_t *sp,
                             char *out, size_t cap)
{
    static flm_privacy_restorer_t r;
    sink_t s = { out, 0, cap, &r };
    flm_privacy_restorer_init(&r, m, on_text, &s);
    size_t off = 0;
    while (off < n) {
        size_t k = flm_fuzz_split_next(sp, n - off);
        FUZZ_CHECK(flm_privacy_restore(&r, t + off, k) == FLM_OK);
        FUZZ_CHECK(r.n_pend <= FLM_PRIVACY_PLACEHOLDER_MAX);
        off += k;
    }
    FUZZ_CHECK(flm_privacy_restore_flush(&r) == FLM_OK);
    FUZZ_CHECK(r.n_pend == 0);
    return s.len;
}

static void check_spans(const flm_privacy_t *g, const flm_pii_span_t *sp, size_t n, size_t len)
{
    size_t end = 0;
    for (size_t k = 0; k < n; k++) {
        FUZZ_CHECK(sp[k].len > 0 && sp[k].off <= len && sp[k].len <= len - sp[k].off);
        FUZZ_CHECK(k == 0 || sp[k].off >= end); /* sorted, apart */
        FUZZ_CHECK(sp[k].type < FLM_PII_TYPES);
        FUZZ_CHECK(sp[k].type == FLM_PII_DENY_WORD ? g->n_deny > 0 : (g->types >> sp[k].type & 1u) != 0);
        end = sp[k].off + sp[k].len;
    }
}

/* out is text with each span replaced by a placeholder that m resolves to
 * the span's bytes. */
static void check_redacted(const flm_privacy_map_t *m, const char *text, size_t len, const flm_pii_span_t *sp,
                           size_t n, const char *out, size_t out_len)
{
    size_t i = 0, o = 0;
    for (size_t k = 0; k <= n; k++) {
        size_t upto = k < n ? sp[k].off : len;
        size_t plain = upto - i;
        FUZZ_CHECK(o + plain <= out_len && memcmp(out + o, text + i, plain) == 0);
        i += plain;
        o += plain;
        if (k == n)
            break;
        const char *tag = flm_pii_type_tag(sp[k].type);
        size_t tl = strlen(tag);
        FUZZ_CHECK(o + tl + 3 <= out_len && out[o] == '[' && memcmp(out + o + 1, tag, tl) == 0 &&
                   out[o + 1 + tl] == '_');
        size_t p = o + 2 + tl;
        uint32_t index = 0;
        FUZZ_CHECK(out[p] >= '1' && out[p] <= '9');
        while (p < out_len && out[p] >= '0' && out[p] <= '9' && index < 100000u)
            index = index * 10u + (uint32_t)(out[p++] - '0');
        FUZZ_CHECK(p < out_len && out[p] == ']');
        size_t vl = 0;
        const char *v = flm_privacy_map_find(m, sp[k].type, index, &vl);
        FUZZ_CHECK(v != NULL && vl == sp[k].len && memcmp(v, text + sp[k].off, vl) == 0);
        o = p + 1;
        i += sp[k].len;
    }
    FUZZ_CHECK(o == out_len && i == len);
}

static const char *const deny_lists[] = { "", "Project Falcon, Zephyr", "a, b c, 1", "secret,x-y", "e" };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t opt = flm_fuzz_take_byte(&data, &size);
    uint8_t mask = flm_fuzz_take_byte(&data, &size);
    flm_fuzz_split_t sp;
    flm_fuzz_split_init(&sp, &data, &size);
    uint8_t cut = flm_fuzz_take_byte(&data, &size);
    if (size > TEXT_MAX)
        size = TEXT_MAX;
    char *text = (char *)flm_fuzz_copy(data, size);

    flm_privacy_settings_t s;
    flm_privacy_settings_init(&s);
    s.policy = opt % 4 == 3 ? FLM_PRIVACY_REDACT : opt % 4;
    snprintf(s.deny_words, sizeof s.deny_words, "%s", deny_lists[(opt >> 2) % 5]);
    if (opt & 0x20)
        s.types = mask & FLM_PII_ALL & ~(1u << FLM_PII_DENY_WORD);
    static flm_privacy_t g;
    FUZZ_CHECK(flm_privacy_init(&g, &s) == FLM_OK);

    /* the scan alone */
    static flm_pii_span_t spans[FLM_PRIVACY_SPANS_MAX];
    size_t n = 0;
    flm_err_t e = flm_privacy_scan(&g, text, size, spans, FLM_PRIVACY_SPANS_MAX, &n);
    FUZZ_CHECK(e == FLM_OK || e == FLM_ERR_OVERFLOW);
    FUZZ_CHECK(n <= FLM_PRIVACY_SPANS_MAX && (e == FLM_OK || n == FLM_PRIVACY_SPANS_MAX));
    check_spans(&g, spans, n, size);
    FUZZ_CHECK(g.steps <= 40u * size + 4096u);

    /* the policy on two texts with one map: [0, cut) then the rest */
    static flm_privacy_map_t map;
    static char out[OUT_CAP], back[OUT_CAP];
    flm_privacy_map_init(&map);
    size_t split = size ? (size_t)cut * size / 255u : 0;
    size_t cap = opt & 0x40 ? split + 8u : OUT_CAP; /* small: redaction may not fit */
    for (int part = 0; part < 2; part++) {
        const char *t = part ? text + split : text;
        size_t len = part ? size - split : split;
        flm_privacy_result_t res;
        e = flm_privacy_check(&g, t, len, &map, out, cap, &res);
        FUZZ_CHECK(e == FLM_OK);
        check_spans(&g, g.spans, g.n_spans, len);
        FUZZ_CHECK(res.spans == g.n_spans);
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "part %d: %zu bytes, %zu spans, verdict %d (%s)\n", part, len, res.spans,
                    (int)res.verdict, flm_err_name(res.redact_err));
        switch (res.verdict) {
        case FLM_PRIVACY_CLEAN: FUZZ_CHECK(res.spans == 0); break;
        case FLM_PRIVACY_ALLOWED: FUZZ_CHECK(res.spans > 0 && g.policy == FLM_PRIVACY_ALLOW); break;
        case FLM_PRIVACY_LOCAL:
            FUZZ_CHECK(res.spans > 0 && (g.policy == FLM_PRIVACY_LOCAL_ONLY ||
                                         (g.policy == FLM_PRIVACY_REDACT && res.redact_err != FLM_OK)));
            break;
        case FLM_PRIVACY_REDACTED: {
            FUZZ_CHECK(g.policy == FLM_PRIVACY_REDACT && res.redact_err == FLM_OK);
            FUZZ_CHECK(res.out_len < cap && out[res.out_len] == '\0');
            check_redacted(&map, t, len, g.spans, g.n_spans, out, res.out_len);
            /* the way back, whole and streamed */
            size_t bl = 0;
            FUZZ_CHECK(flm_privacy_restore_text(&map, out, res.out_len, back, sizeof back, &bl) == FLM_OK);
            FUZZ_CHECK(bl == len && memcmp(back, t, len) == 0);
            bl = restore_stream(&map, out, res.out_len, &sp, back, sizeof back);
            FUZZ_CHECK(bl == len && memcmp(back, t, len) == 0);
            break;
        }
        default: FUZZ_CHECK(0);
        }
        if (part == 0)
            cap = opt & 0x40 ? size - split + 8u : OUT_CAP;
    }

    /* any text as an answer: streamed as whole */
    size_t wl = 0;
    e = flm_privacy_restore_text(&map, text, size, out, sizeof out, &wl);
    FUZZ_CHECK(e == FLM_OK && wl < sizeof out);
    size_t bl = restore_stream(&map, text, size, &sp, back, sizeof back);
    FUZZ_CHECK(bl == wl && memcmp(back, out, wl) == 0);

    flm_privacy_map_deinit(&map);
    const uint8_t *mb = (const uint8_t *)&map;
    for (size_t i = 0; i < sizeof map; i++)
        FUZZ_CHECK(mb[i] == 0);
    flm_privacy_deinit(&g);
    free(text);
    return 0;
}
