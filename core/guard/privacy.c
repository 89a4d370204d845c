/* The privacy guard: detection, redaction, restoration, policy. The rules
 * are in privacy.h; here, how each pass stays linear:
 *
 *  - e-mail: each '@' scans back over the local part and forward over the
 *    domain; neither crosses another '@', so every byte is visited at most
 *    twice;
 *  - numbers: a left-to-right tokenizer over runs of digit groups joined by
 *    single separators; at each group the matchers see a window of at most
 *    WIN_DIGITS digits (WIN_GROUPS groups), so the work per group is bounded;
 *  - IBAN, national IDs, IPv6: tried only where a word starts, each with a
 *    bounded look-ahead (34 characters and spaces, 13, 45);
 *  - deny words: a compare per phrase where a word may start, each at most
 *    the phrase's length (white space runs excepted, which only the attempt
 *    that reaches them crosses).
 *
 * Overlapping detections are merged, so a byte is either left alone or
 * redacted. No heap, no floating point, no stdio. */
#include "core/guard/privacy.h"

#include <string.h>

#include "core/base/utf8.h"
#include "core/base/wipe.h"

/* ---- names ------------------------------------------------------------------ */

static const char *const type_tags[FLM_PII_TYPES] = {
#define FLM_PII_TAG_(id, tag, key) tag,
    FLM_PII_TYPES_LIST(FLM_PII_TAG_)
#undef FLM_PII_TAG_
};
static const char *const type_keys[FLM_PII_TYPES] = {
#define FLM_PII_KEY_(id, tag, key) key,
    FLM_PII_TYPES_LIST(FLM_PII_KEY_)
#undef FLM_PII_KEY_
};

const char *flm_pii_type_tag(flm_pii_type_t t)
{
    return (unsigned)t < FLM_PII_TYPES ? type_tags[t] : "?";
}

const char *flm_pii_type_key(flm_pii_type_t t)
{
    return (unsigned)t < FLM_PII_TYPES ? type_keys[t] : "?";
}

const char *flm_privacy_policy_name(flm_privacy_policy_t p)
{
    switch (p) {
    case FLM_PRIVACY_LOCAL_ONLY: return "local-only";
    case FLM_PRIVACY_REDACT: return "redact";
    case FLM_PRIVACY_ALLOW: return "allow";
    }
    return "?";
}

#define BIT(t) (1u << (unsigned)(t))
#define DETECT_TYPES (FLM_PII_ALL & ~BIT(FLM_PII_DENY_WORD)) /* what detect can switch */

/* ---- bytes --------------------------------------------------------------------- */

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static bool is_upper(uint8_t c) { return c >= 'A' && c <= 'Z'; }
static bool is_alpha(uint8_t c) { return is_upper((uint8_t)(c & ~0x20u)); }
static bool is_alnum(uint8_t c) { return is_digit(c) || is_alpha(c); }
static bool is_word(uint8_t c) { return is_alnum(c) || c == '_'; }
static bool is_hex(uint8_t c) { return is_digit(c) || ((c | 0x20u) >= 'a' && (c | 0x20u) <= 'f'); }
static bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
static uint8_t lower(uint8_t c) { return is_upper(c) ? (uint8_t)(c | 0x20u) : c; }
static uint8_t upper(uint8_t c) { return (c >= 'a' && c <= 'z') ? (uint8_t)(c & ~0x20u) : c; }
static unsigned dval(uint8_t c) { return (unsigned)(c - '0'); }

/* ---- the scan and its spans ----------------------------------------------------- */

typedef struct {
    const uint8_t  *s;
    size_t          n;
    const flm_privacy_t *g;
    flm_pii_span_t *spans;
    size_t          cap, count;
    size_t          steps;
    bool            overflow;
} scan_t;

#define STEP(sc) ((sc)->steps++)

static bool word_at(const scan_t *sc, size_t i) { return i < sc->n && is_word(sc->s[i]); }
static bool word_before(const scan_t *sc, size_t i) { return i > 0 && is_word(sc->s[i - 1]); }

/* Insert [off, off + len) keeping the spans sorted and disjoint: overlapping
 * ones merge into their union, typed as the longest of them (the earlier
 * on a tie). A new disjoint span beyond cap sets overflow. */
static void add_span(scan_t *sc, size_t off, size_t len, flm_pii_type_t type)
{
    if (sc->overflow || len == 0)
        return;
    size_t end = off + len, i = sc->count;
    while (i > 0 && sc->spans[i - 1].off + sc->spans[i - 1].len > off) {
        i--;
        STEP(sc);
    }
    size_t j = i, lo = off, hi = end, best = len;
    flm_pii_type_t t = type;
    while (j < sc->count && sc->spans[j].off < end) {
        const flm_pii_span_t *o = &sc->spans[j];
        if (o->off < lo)
            lo = o->off;
        if (o->off + o->len > hi)
            hi = o->off + o->len;
        if (o->len >= best) {
            best = o->len;
            t = o->type;
        }
        j++;
        STEP(sc);
    }
    sc->steps += sc->count - j; /* the moves below: bounded by cap */
    if (j == i) {
        if (sc->count == sc->cap) {
            sc->overflow = true;
            return;
        }
        memmove(&sc->spans[i + 1], &sc->spans[i], (sc->count - i) * sizeof sc->spans[0]);
        sc->count++;
    } else if (j > i + 1) {
        memmove(&sc->spans[i + 1], &sc->spans[j], (sc->count - j) * sizeof sc->spans[0]);
        sc->count -= j - i - 1;
    }
    sc->spans[i].off = lo;
    sc->spans[i].len = hi - lo;
    sc->spans[i].type = t;
}

static bool wants(const scan_t *sc, flm_pii_type_t t)
{
    return (sc->g->types & BIT(t)) != 0;
}

/* ---- check digits ------------------------------------------------------------------- */

static bool luhn_ok(const uint8_t *d, size_t n)
{
    unsigned sum = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned v = d[n - 1 - k];
        if (k & 1u) {
            v *= 2u;
            if (v > 9u)
                v -= 9u;
        }
        sum += v;
    }
    return sum % 10u == 0;
}

static const uint8_t verhoeff_d[10][10] = {
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 2, 3, 4, 0, 6, 7, 8, 9, 5 },
    { 2, 3, 4, 0, 1, 7, 8, 9, 5, 6 }, { 3, 4, 0, 1, 2, 8, 9, 5, 6, 7 },
    { 4, 0, 1, 2, 3, 9, 5, 6, 7, 8 }, { 5, 9, 8, 7, 6, 0, 4, 3, 2, 1 },
    { 6, 5, 9, 8, 7, 1, 0, 4, 3, 2 }, { 7, 6, 5, 9, 8, 2, 1, 0, 4, 3 },
    { 8, 7, 6, 5, 9, 3, 2, 1, 0, 4 }, { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 },
};
static const uint8_t verhoeff_p[8][10] = {
    { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, { 1, 5, 7, 6, 2, 8, 3, 0, 9, 4 },
    { 5, 8, 0, 3, 7, 9, 6, 1, 4, 2 }, { 8, 9, 1, 6, 0, 4, 3, 5, 2, 7 },
    { 9, 4, 5, 3, 1, 2, 6, 8, 7, 0 }, { 4, 2, 8, 6, 5, 7, 3, 9, 0, 1 },
    { 2, 7, 9, 3, 8, 0, 6, 4, 1, 5 }, { 7, 0, 4, 6, 9, 1, 3, 2, 5, 8 },
};

static bool verhoeff_ok(const uint8_t *d, size_t n)
{
    unsigned c = 0;
    for (size_t k = 0; k < n; k++)
        c = verhoeff_d[c][verhoeff_p[k % 8u][d[n - 1 - k]]];
    return c == 0;
}

static unsigned mod97_fold(unsigned r, uint8_t c)
{
    if (is_digit(c))
        return (r * 10u + dval(c)) % 97u;
    return (r * 100u + (unsigned)(upper(c) - 'A') + 10u) % 97u;
}

/* ---- e-mail ---------------------------------------------------------------------- */

static bool is_local_ascii(uint8_t c)
{
    return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'';
}

/* Latin-script letters: Latin-1 Supplement's letters and Latin Extended-A/B. */
static bool is_latin_letter(uint32_t cp)
{
    return cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7;
}

/* The length of a Latin letter's UTF-8 sequence at i, or 0. */
static size_t latin_at(const scan_t *sc, size_t i)
{
    uint32_t cp;
    size_t m = flm_utf8_decode(sc->s + i, sc->n - i, &cp);
    return m && is_latin_letter(cp) ? m : 0;
}

/* The length of a Latin letter's UTF-8 sequence ending just before i, or 0. */
static size_t latin_before(const scan_t *sc, size_t i)
{
    size_t k = i - 1, back = 0;
    while (k > 0 && back < 3 && (sc->s[k] & 0xC0u) == 0x80u) {
        k--;
        back++;
    }
    return latin_at(sc, k) == i - k ? i - k : 0;
}

static size_t email_local_start(scan_t *sc, size_t at)
{
    const uint8_t *s = sc->s;
    size_t i = at;
    while (i > 0) {
        STEP(sc);
        if (s[i - 1] < 0x80) {
            if (!is_local_ascii(s[i - 1]))
                break;
            i--;
            continue;
        }
        size_t m = latin_before(sc, i);
        if (!m)
            break;
        i -= m;
    }
    while (i < at && s[i] < 0x80 && !is_alnum(s[i])) /* "'john", "-x", ".a": not the address */
        i++;
    return i;
}

/* The end of the domain after '@' (at start), 0 if there is none. */
static size_t email_domain_end(scan_t *sc, size_t start)
{
    const uint8_t *s = sc->s;
    size_t i = start, best = 0, labels = 0;
    for (;;) {
        size_t ls = i;
        bool ascii_alpha = true;
        while (i < sc->n) {
            STEP(sc);
            uint8_t c = s[i];
            if (is_alnum(c) || c == '-') {
                ascii_alpha = ascii_alpha && is_alpha(c);
                i++;
                continue;
            }
            size_t m = c >= 0x80 ? latin_at(sc, i) : 0;
            if (!m)
                break;
            ascii_alpha = false;
            i += m;
        }
        size_t ll = i - ls;
        if (ll == 0 || ll > 63 || s[ls] == '-' || s[i - 1] == '-')
            break;
        labels++;
        bool punycode = ll > 4 && lower(s[ls]) == 'x' && lower(s[ls + 1]) == 'n' &&
                        s[ls + 2] == '-' && s[ls + 3] == '-';
        if (labels >= 2 && ((ascii_alpha && ll >= 2) || punycode))
            best = i;
        if (i + 1 < sc->n && s[i] == '.' && (is_alnum(s[i + 1]) || latin_at(sc, i + 1))) {
            i++;
            continue;
        }
        break;
    }
    return best;
}

static void scan_email(scan_t *sc)
{
    for (size_t at = 0; at < sc->n && !sc->overflow; at++) {
        STEP(sc);
        if (sc->s[at] != '@')
            continue;
        size_t lo = email_local_start(sc, at);
        if (lo == at)
            continue;
        size_t hi = email_domain_end(sc, at + 1);
        if (hi)
            add_span(sc, lo, hi - lo, FLM_PII_EMAIL);
    }
}

/* ---- numbers: runs of digit groups -------------------------------------------------- */

enum { SEP_START, SEP_END, SEP_NONE, SEP_SP, SEP_DASH, SEP_DOT, SEP_SLASH };

/* Loose separators (a space, none after ')', the run's ends) may sit next
 * to a match; tight ones ('-', '.', '/') bind their neighbours into the
 * same number, so a match may not stop or start at one. */
static bool loose(uint8_t sep)
{
    return sep == SEP_START || sep == SEP_END || sep == SEP_NONE || sep == SEP_SP;
}

/* The separator at i and its length, 0 for none. */
static uint8_t sep_at(const scan_t *sc, size_t i, size_t *len)
{
    const uint8_t *s = sc->s;
    if (i >= sc->n)
        return 0;
    *len = 1;
    switch (s[i]) {
    case ' ': return SEP_SP;
    case '-': return SEP_DASH;
    case '.': return SEP_DOT;
    case '/': return SEP_SLASH;
    case 0xC2:
        if (i + 1 < sc->n && s[i + 1] == 0xA0) { /* no-break space */
            *len = 2;
            return SEP_SP;
        }
        return 0;
    case 0xE2:
        if (i + 2 < sc->n && s[i + 1] == 0x80) {
            *len = 3;
            if (s[i + 2] == 0x89 || s[i + 2] == 0xAF) /* thin, narrow no-break space */
                return SEP_SP;
            if (s[i + 2] == 0x91 || s[i + 2] == 0x93) /* non-breaking hyphen, en dash */
                return SEP_DASH;
        }
        return 0;
    default: return 0;
    }
}

#define WIN_DIGITS 19u /* the longest card; every other number is shorter */
#define WIN_GROUPS 10u /* the most groups of any shape below: 00 4 1 23 45 67 89 ... */

typedef struct {
    size_t  start, end; /* the item's bytes, parentheses included */
    uint8_t nd;         /* digits */
    uint8_t d0;         /* where they are in win_t.dig */
    uint8_t before;     /* separator before it */
    bool    paren;
} group_t;

typedef struct {
    group_t g[WIN_GROUPS];
    size_t  m;
    uint8_t after;      /* separator after g[m - 1]; SEP_END: the run ends there */
    size_t  next_start; /* the group after the window, when after != SEP_END */
    uint8_t dig[WIN_DIGITS];
    size_t  nd;
    size_t  work;       /* the matchers' loop steps, for flm_privacy_t.steps */
    bool    plus;       /* g[0] follows a '+' */
    uint8_t lead;       /* bytes before g[0]: 1 for "+", 2 for "(+" */
    uint8_t first;      /* ITEM_* of the item at the window's start */
} win_t;

enum { ITEM_OK, ITEM_NONE, ITEM_LONG };

/* One item at i: digits, or '(' 1..4 digits ')'. ITEM_NONE: not there, or
 * glued to a letter; ITEM_LONG: more than WIN_DIGITS digits. */
static int item_at(scan_t *sc, size_t i, group_t *g)
{
    const uint8_t *s = sc->s;
    size_t n = sc->n;
    if (i >= n)
        return ITEM_NONE;
    if (s[i] == '(') {
        size_t k = i + 1;
        while (k < n && is_digit(s[k]) && k - i <= 5) {
            k++;
            STEP(sc);
        }
        if (k == i + 1 || k - i > 5 || k >= n || s[k] != ')')
            return ITEM_NONE;
        if (k + 1 < n && is_word(s[k + 1]) && !is_digit(s[k + 1]))
            return ITEM_NONE;
        g->start = i;
        g->end = k + 1;
        g->nd = (uint8_t)(k - i - 1);
        g->paren = true;
        return ITEM_OK;
    }
    if (!is_digit(s[i]))
        return ITEM_NONE;
    size_t k = i;
    while (k < n && is_digit(s[k])) {
        k++;
        STEP(sc);
        if (k - i > WIN_DIGITS)
            return ITEM_LONG;
    }
    if (k < n && is_word(s[k]))
        return ITEM_NONE;
    g->start = i;
    g->end = k;
    g->nd = (uint8_t)(k - i);
    g->paren = false;
    return ITEM_OK;
}

static bool item_starts(const scan_t *sc, size_t i)
{
    return i < sc->n && (is_digit(sc->s[i]) || (sc->s[i] == '(' && i + 1 < sc->n && is_digit(sc->s[i + 1])));
}

static void read_window(scan_t *sc, size_t pos, uint8_t before, uint8_t lead, win_t *w)
{
    w->m = 0;
    w->nd = 0;
    w->plus = lead > 0;
    w->lead = lead;
    w->after = SEP_END;
    size_t i = pos;
    uint8_t b = before;
    for (;;) {
        group_t g;
        int r = item_at(sc, i, &g);
        if (w->m == 0)
            w->first = (uint8_t)r;
        if (r == ITEM_NONE)
            return; /* after stays SEP_END: the run ends before the separator */
        if (r == ITEM_LONG || w->m == WIN_GROUPS || w->nd + g.nd > WIN_DIGITS) {
            w->after = b;
            w->next_start = i;
            return;
        }
        g.before = b;
        g.d0 = (uint8_t)w->nd;
        for (size_t k = 0, at = g.paren ? g.start + 1 : g.start; k < g.nd; k++)
            w->dig[w->nd++] = (uint8_t)dval(sc->s[at + k]);
        w->g[w->m++] = g;
        i = g.end;
        if (w->m == 1 && lead == 2) { /* "(+44) 20 ...": the ')' is the country code's */
            if (i >= sc->n || sc->s[i] != ')' || (word_at(sc, i + 1) && !is_digit(sc->s[i + 1]))) {
                w->m = 0;
                w->first = ITEM_NONE;
                return;
            }
            w->g[0].end = ++i;
            g.paren = true;
        }
        if (g.paren && i < sc->n && is_digit(sc->s[i])) {
            b = SEP_NONE;
            continue;
        }
        size_t sl = 0;
        uint8_t k = sep_at(sc, i, &sl);
        STEP(sc);
        if (!k || !item_starts(sc, i + sl))
            return;
        b = k;
        i += sl;
    }
}

static uint8_t after_of(const win_t *w, size_t j)
{
    return j + 1 < w->m ? w->g[j + 1].before : w->after;
}

static uint32_t gval(const win_t *w, size_t j)
{
    uint32_t v = 0;
    for (size_t k = 0; k < w->g[j].nd && k < 9; k++)
        v = v * 10u + w->dig[w->g[j].d0 + k];
    return v;
}

static bool plain(const win_t *w, size_t from, size_t to) /* no parentheses in g[from..to] */
{
    for (size_t k = from; k <= to && k < w->m; k++)
        if (w->g[k].paren)
            return false;
    return true;
}

/* Groups of sizes a, b, c joined by one separator that is one of `seps`. */
static bool shape3(const win_t *w, uint8_t a, uint8_t b, uint8_t c, uint8_t sep_a, uint8_t sep_b)
{
    if (w->m < 3 || w->plus || !plain(w, 0, 2))
        return false;
    if (w->g[0].nd != a || w->g[1].nd != b || w->g[2].nd != c)
        return false;
    uint8_t s1 = w->g[1].before;
    if (s1 != w->g[2].before || (s1 != sep_a && s1 != sep_b))
        return false;
    return loose(after_of(w, 2));
}

static bool m_ipv4(win_t *w, size_t *j)
{
    if (w->m < 4 || w->plus || !plain(w, 0, 3))
        return false;
    for (size_t k = 0; k < 4; k++) {
        const group_t *g = &w->g[k];
        if (g->nd < 1 || g->nd > 3 || (g->nd > 1 && w->dig[g->d0] == 0) || gval(w, k) > 255)
            return false;
        if (k > 0 && g->before != SEP_DOT)
            return false;
    }
    if (w->g[0].before == SEP_DOT || after_of(w, 3) == SEP_DOT) /* 10.0.0.0/8, a-b ranges: fine */
        return false;
    *j = 3;
    return true;
}

/* A card network's leading digits and lengths (n is 13..19), then Luhn. */
static bool card_ok(const uint8_t *d, size_t n)
{
    unsigned v2 = d[0] * 10u + d[1], v4 = v2 * 100u + d[2] * 10u + d[3];
    bool ok;
    switch (d[0]) {
    case 2: ok = v4 >= 2221 && v4 <= 2720 && n == 16; break;              /* Mastercard 2-series */
    case 3:
        if (v2 == 34 || v2 == 37)
            ok = n == 15;                                                  /* Amex */
        else if (v2 == 35)
            ok = v4 >= 3528 && v4 <= 3589 && n >= 16;                      /* JCB */
        else
            ok = (v2 == 30 || v2 == 36 || v2 == 38 || v2 == 39) && n >= 14; /* Diners */
        break;
    case 4: ok = n == 13 || n == 16 || n == 19; break;                     /* Visa */
    case 5: ok = v2 < 51 || v2 > 55 || n == 16; break;                     /* Mastercard, Maestro */
    case 6: ok = true; break;                                              /* Discover, UnionPay, Maestro */
    default: ok = false; break;
    }
    return ok && luhn_ok(d, n);
}

static bool m_card(win_t *w, size_t *j)
{
    if (w->plus || w->g[0].paren)
        return false;
    if (w->g[0].nd >= 13) { /* bare */
        if (!loose(after_of(w, 0)) || !card_ok(w->dig, w->g[0].nd))
            return false;
        *j = 0;
        return true;
    }
    if (w->m < 2 || w->g[0].nd != 4)
        return false;
    uint8_t sep = w->g[1].before;
    if (sep != SEP_SP && sep != SEP_DASH)
        return false;
    size_t last = 1;
    while (last + 1 < w->m && w->g[last + 1].before == sep)
        last++;
    for (size_t k = last; k >= 2; k--) {
        w->work += k;
        if (!plain(w, 0, k) || !loose(after_of(w, k)))
            continue;
        size_t total = w->g[k].d0 + w->g[k].nd;
        bool fours = w->g[k].nd >= 1 && w->g[k].nd <= 4;
        for (size_t q = 0; q < k && fours; q++)
            fours = w->g[q].nd == 4;
        bool amex = k == 2 && w->g[1].nd == 6 && (w->g[2].nd == 5 || w->g[2].nd == 4);
        if ((fours || amex) && total >= 13 && total <= 19 && card_ok(w->dig, total)) {
            *j = k;
            return true;
        }
    }
    return false;
}

static bool m_ssn(win_t *w, size_t *j)
{
    if (!shape3(w, 3, 2, 4, SEP_DASH, SEP_SP))
        return false;
    uint32_t area = gval(w, 0), grp = gval(w, 1), serial = gval(w, 2);
    if (area == 0 || area == 666 || area >= 900 || grp == 0 || serial == 0)
        return false;
    *j = 2;
    return true;
}

static bool m_sin(win_t *w, size_t *j) /* Canada */
{
    if (!shape3(w, 3, 3, 3, SEP_DASH, SEP_SP) || w->dig[0] == 0 || w->dig[0] == 8 || !luhn_ok(w->dig, 9))
        return false;
    *j = 2;
    return true;
}

static bool m_aadhaar(win_t *w, size_t *j) /* India */
{
    if (!shape3(w, 4, 4, 4, SEP_SP, SEP_DASH) || w->dig[0] < 2 || !verhoeff_ok(w->dig, 12))
        return false;
    *j = 2;
    return true;
}

/* +CC ... or 00 CC ... / 00CC ...: 8..15 digits after the prefix. */
static bool m_intl(win_t *w, size_t *j)
{
    const group_t *g = w->g;
    size_t skip = 0, cc = 0; /* digits of the "00" prefix; the country code's group */
    if (w->plus) {
        if (g[0].paren)
            return false;
    } else {
        if (g[0].paren || g[0].nd < 2 || g[0].nd > 5 || w->m < 2 || w->dig[0] != 0 || w->dig[1] != 0)
            return false;
        skip = 2;
        if (g[0].nd == 2)
            cc = 1;
    }
    uint8_t first = skip < g[0].nd ? w->dig[skip] : w->dig[g[1].d0];
    if (first == 0 || (cc == 1 && g[1].paren))
        return false;
    bool found = false;
    size_t total = 0;
    for (size_t k = 0; k < w->m; k++) {
        w->work++;
        total += g[k].nd;
        if (total - skip > 15)
            break;
        if (k > cc + 1 && !g[k].paren && g[k].nd < 2)
            break;
        if (k <= cc && k > 0 && g[k].paren)
            break;
        size_t digits = total - skip;
        if (k >= cc && digits >= 8 && (first != 1 || digits == 11) && loose(after_of(w, k)) &&
            (k > 0 || w->plus)) {
            *j = k;
            found = true;
        }
    }
    return found;
}

static bool m_nanp(win_t *w, size_t *j) /* (555) 123-4567, 1-800-555-0199 */
{
    const group_t *g = w->g;
    if (w->plus)
        return false;
    size_t a = (w->m >= 4 && g[0].nd == 1 && !g[0].paren && w->dig[0] == 1) ? 1 : 0;
    if (w->m < a + 3 || g[a].nd != 3 || g[a + 1].nd != 3 || g[a + 2].nd != 4 || !plain(w, a + 1, a + 2))
        return false;
    uint8_t s0 = a ? g[1].before : SEP_SP, s1 = g[a + 1].before, s2 = g[a + 2].before;
    bool s0ok = s0 == SEP_SP || s0 == SEP_DASH || s0 == SEP_DOT;
    bool s1ok = g[a].paren ? (s1 == SEP_NONE || s1 == SEP_SP || s1 == SEP_DASH)
                           : (s1 == SEP_SP || s1 == SEP_DASH || s1 == SEP_DOT);
    bool s2ok = s2 == SEP_SP || s2 == SEP_DASH || s2 == SEP_DOT;
    if (!s0ok || !s1ok || !s2ok)
        return false;
    bool dots = (a && s0 == SEP_DOT) || s1 == SEP_DOT || s2 == SEP_DOT;
    if (dots && ((a && s0 != SEP_DOT) || s1 != SEP_DOT || s2 != SEP_DOT))
        return false;
    if (!loose(after_of(w, a + 2)))
        return false;
    *j = a + 2;
    return true;
}

/* 0 + area + number: 9..12 digits in groups of two or more. */
static bool m_trunk(win_t *w, size_t *j)
{
    const group_t *g = w->g;
    if (w->plus || g[0].nd < 2 || w->dig[0] != 0 || w->dig[1] == 0)
        return false;
    if (g[0].paren && g[0].nd > 4)
        return false;
    if (!g[0].paren && g[0].nd >= 9) {
        if (g[0].nd > 12 || !loose(after_of(w, 0)))
            return false;
        *j = 0;
        return true;
    }
    if (w->m < 2)
        return false;
    uint8_t s1 = g[1].before;
    if (g[0].paren ? (s1 != SEP_NONE && s1 != SEP_SP)
                   : (s1 != SEP_SP && s1 != SEP_DASH && s1 != SEP_DOT && s1 != SEP_SLASH))
        return false;
    bool found = false;
    size_t total = g[0].nd;
    for (size_t k = 1; k < w->m; k++) {
        w->work++;
        if (g[k].paren || g[k].nd < 2)
            break;
        uint8_t sk = g[k].before;
        if (k > 1 && (s1 == SEP_DOT ? sk != SEP_DOT : (sk != SEP_SP && sk != SEP_DASH)))
            break;
        total += g[k].nd;
        if (total > 12)
            break;
        if (total >= 9 && loose(after_of(w, k))) {
            *j = k;
            found = true;
        }
    }
    return found;
}

static bool m_cn_mobile(win_t *w, size_t *j) /* 138 1234 5678 */
{
    if (w->plus || w->g[0].paren || w->dig[0] != 1 || w->nd < 2 || w->dig[1] < 3)
        return false;
    if (w->g[0].nd == 11 && loose(after_of(w, 0))) {
        *j = 0;
        return true;
    }
    if (!shape3(w, 3, 4, 4, SEP_SP, SEP_DASH))
        return false;
    *j = 2;
    return true;
}

typedef bool (*matcher_fn)(win_t *w, size_t *j);

static const struct {
    matcher_fn     fn;
    flm_pii_type_t type;
} matchers[] = {
    { m_ipv4, FLM_PII_IP },       { m_card, FLM_PII_CARD },       { m_ssn, FLM_PII_SSN },
    { m_sin, FLM_PII_NATIONAL_ID }, { m_aadhaar, FLM_PII_NATIONAL_ID }, { m_intl, FLM_PII_PHONE },
    { m_nanp, FLM_PII_PHONE },    { m_trunk, FLM_PII_PHONE },     { m_cn_mobile, FLM_PII_PHONE },
};

static bool match_window(scan_t *sc, win_t *w, flm_pii_type_t *type, size_t *j)
{
    bool lo = loose(w->g[0].before), hit = false; /* only an address may follow "10.0.0.1-" */
    w->work = 0;
    for (size_t k = 0; k < sizeof matchers / sizeof matchers[0] && !hit; k++) {
        w->work++;
        if ((lo || matchers[k].fn == m_ipv4) && wants(sc, matchers[k].type) && matchers[k].fn(w, j)) {
            *type = matchers[k].type;
            hit = true;
        }
    }
    sc->steps += w->work;
    return hit;
}

static size_t skip_word(scan_t *sc, size_t i)
{
    while (i < sc->n && is_word(sc->s[i])) {
        i++;
        STEP(sc);
    }
    return i;
}

/* Past a whole run of groups and separators. */
static size_t skip_run(scan_t *sc, size_t i)
{
    for (;;) {
        while (i < sc->n && (is_digit(sc->s[i]) || sc->s[i] == '(' || sc->s[i] == ')')) {
            i++;
            STEP(sc);
        }
        size_t sl = 0;
        if (!sep_at(sc, i, &sl) || !item_starts(sc, i + sl))
            return i;
        i += sl;
    }
}

/* "XX00 " just before p, standing alone. */
static bool iban_head_before(const scan_t *sc, size_t p)
{
    const uint8_t *s = sc->s;
    return p >= 5 && s[p - 1] == ' ' && is_digit(s[p - 2]) && is_digit(s[p - 3]) && is_alpha(s[p - 4]) &&
           is_alpha(s[p - 5]) && !word_before(sc, p - 5);
}

/* One run from p ('+', '(+', '(' or a digit); returns where the scan goes on. */
static size_t scan_run(scan_t *sc, size_t p)
{
    const uint8_t *s = sc->s;
    uint8_t lead = s[p] == '+' ? 1 : (s[p] == '(' && s[p + 1] == '+') ? 2 : 0;
    size_t pos = p + lead;
    uint8_t before = SEP_START;
    win_t w;
    for (;;) {
        if (sc->overflow)
            return sc->n;
        read_window(sc, pos, before, lead, &w);
        if (w.m == 0) {
            if (w.first != ITEM_LONG) /* glued to a word, or a '(' / '+' leading nowhere; "(+33 6" */
                return lead != 2 && is_digit(s[pos]) ? skip_word(sc, pos) : p + 1;
            size_t i = pos;
            while (i < sc->n && is_digit(s[i])) {
                i++;
                STEP(sc);
            }
            if (word_at(sc, i))
                return skip_word(sc, i);
            size_t sl = 0;
            uint8_t k = sep_at(sc, i, &sl);
            if (!k || !item_starts(sc, i + sl))
                return i;
            pos = i + sl;
            before = k;
            lead = 0;
            continue;
        }
        flm_pii_type_t type;
        size_t j, next = 1;
        if (match_window(sc, &w, &type, &j)) {
            size_t a = w.g[0].start - w.lead;
            add_span(sc, a, w.g[j].end - a, type);
            next = j + 1;
        }
        if (next < w.m) {
            pos = w.g[next].start;
            before = w.g[next].before;
        } else if (w.after == SEP_END) {
            return w.g[w.m - 1].end;
        } else {
            pos = w.next_start;
            before = w.after;
        }
        lead = 0;
    }
}

static void scan_numbers(scan_t *sc)
{
    const uint8_t *s = sc->s;
    size_t p = 0;
    while (p < sc->n && !sc->overflow) {
        STEP(sc);
        uint8_t c = s[p];
        bool starts = is_digit(c) || ((c == '+' || c == '(') && p + 1 < sc->n && is_digit(s[p + 1])) ||
                      (c == '(' && p + 2 < sc->n && s[p + 1] == '+' && is_digit(s[p + 2]));
        if (!starts) {
            p++;
            continue;
        }
        /* Not glued to a word, nor the tail of "3.14" or "10:30", nor the
         * BBAN of an IBAN's print form ("DE89 3704 ...", checked whole by
         * the IBAN pass: a bad checksum there is no card or phone here). */
        if (word_before(sc, p) || (p >= 2 && (s[p - 1] == '.' || s[p - 1] == ':') && is_digit(s[p - 2]))) {
            p = skip_word(sc, p + 1);
            continue;
        }
        if (iban_head_before(sc, p)) {
            size_t e = skip_run(sc, p);
            p = e > p ? e : p + 1;
            continue;
        }
        size_t e = scan_run(sc, p);
        p = e > p ? e : p + 1;
    }
}

/* ---- words: IBAN, UK NI number, Spanish DNI / NIE ------------------------------------ */

static const struct {
    char    cc[3];
    uint8_t len;
} iban_lengths[] = {
    { "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 }, { "BA", 20 }, { "BE", 16 },
    { "BG", 22 }, { "BH", 22 }, { "BI", 27 }, { "BR", 29 }, { "BY", 28 }, { "CH", 21 }, { "CR", 22 },
    { "CY", 28 }, { "CZ", 24 }, { "DE", 22 }, { "DJ", 27 }, { "DK", 18 }, { "DO", 28 }, { "EE", 20 },
    { "EG", 29 }, { "ES", 24 }, { "FI", 18 }, { "FK", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 },
    { "GE", 22 }, { "GI", 23 }, { "GL", 18 }, { "GR", 27 }, { "GT", 28 }, { "HR", 21 }, { "HU", 28 },
    { "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 }, { "IT", 27 }, { "JO", 30 }, { "KW", 30 },
    { "KZ", 20 }, { "LB", 28 }, { "LC", 32 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 }, { "LV", 21 },
    { "LY", 25 }, { "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 }, { "MN", 20 }, { "MR", 27 },
    { "MT", 31 }, { "MU", 30 }, { "NI", 28 }, { "NL", 18 }, { "NO", 15 }, { "OM", 23 }, { "PK", 24 },
    { "PL", 28 }, { "PS", 29 }, { "PT", 25 }, { "QA", 29 }, { "RO", 24 }, { "RS", 22 }, { "RU", 33 },
    { "SA", 24 }, { "SC", 31 }, { "SD", 18 }, { "SE", 24 }, { "SI", 19 }, { "SK", 24 }, { "SM", 27 },
    { "SO", 23 }, { "ST", 25 }, { "SV", 28 }, { "TL", 23 }, { "TN", 24 }, { "TR", 26 }, { "UA", 29 },
    { "VA", 22 }, { "VG", 24 }, { "XK", 20 }, { "YE", 30 },
};

static unsigned iban_length(uint8_t a, uint8_t b)
{
    for (size_t k = 0; k < sizeof iban_lengths / sizeof iban_lengths[0]; k++)
        if (iban_lengths[k].cc[0] == (char)a && iban_lengths[k].cc[1] == (char)b)
            return iban_lengths[k].len;
    return 0;
}

#define IBAN_MIN 15u
#define IBAN_MAX 34u

/* The end of an IBAN starting at p (two letters there), 0 if none. */
static size_t iban_at(scan_t *sc, size_t p)
{
    const uint8_t *s = sc->s;
    size_t n = sc->n;
    if (p + 4 > n || !is_alpha(s[p + 1]) || !is_digit(s[p + 2]) || !is_digit(s[p + 3]))
        return 0;
    uint8_t a = upper(s[p]), b = upper(s[p + 1]);
    unsigned check = dval(s[p + 2]) * 10u + dval(s[p + 3]);
    if (check < 2 || check > 98)
        return 0;
    unsigned want = iban_length(a, b);
    unsigned lo = want ? want : IBAN_MIN, hi = want ? want : IBAN_MAX;
    size_t i = p + 4, count = 4, best = 0;
    bool grouped = i < n && s[i] == ' ';
    unsigned r = 0;
    while (count < hi) {
        if (grouped && count % 4 == 0) {
            if (i + 1 >= n || s[i] != ' ' || !is_alnum(s[i + 1]))
                break;
            i++;
        }
        if (i >= n || !is_alnum(s[i]))
            break;
        STEP(sc);
        r = mod97_fold(r, s[i]);
        i++;
        count++;
        if (count >= lo && !word_at(sc, i)) {
            unsigned t = mod97_fold(mod97_fold(mod97_fold(mod97_fold(r, a), b), s[p + 2]), s[p + 3]);
            if (t == 1)
                best = i;
        }
    }
    return best;
}

/* AB 12 34 56 C / AB123456C: HMRC's rules for the prefix. */
static size_t nino_at(scan_t *sc, size_t p)
{
    const uint8_t *s = sc->s;
    size_t n = sc->n;
    if (p + 9 > n || !is_upper(s[p]) || !is_upper(s[p + 1]))
        return 0;
    uint8_t a = s[p], b = s[p + 1];
    if (strchr("DFIQUV", a) || strchr("DFIOQUV", b))
        return 0;
    static const char *const banned[] = { "BG", "GB", "KN", "NK", "NT", "TN", "ZZ" };
    for (size_t k = 0; k < sizeof banned / sizeof banned[0]; k++)
        if (banned[k][0] == (char)a && banned[k][1] == (char)b)
            return 0;
    size_t i = p + 2;
    for (int pair = 0; pair < 3; pair++) {
        if (i < n && s[i] == ' ')
            i++;
        if (i + 2 > n || !is_digit(s[i]) || !is_digit(s[i + 1]))
            return 0;
        i += 2;
        STEP(sc);
    }
    if (i < n && s[i] == ' ')
        i++;
    if (i >= n || s[i] < 'A' || s[i] > 'D' || word_at(sc, i + 1))
        return 0;
    return i + 1;
}

static const char dni_letters[] = "TRWAGMYFPDXBNJZSQVHLCKE";

/* 12345678Z, 12345678-Z; NIE X1234567L. */
static size_t dni_at(scan_t *sc, size_t p)
{
    const uint8_t *s = sc->s;
    size_t n = sc->n, i = p;
    uint32_t v = 0;
    size_t digits = 8;
    if (i < n && (s[i] == 'X' || s[i] == 'Y' || s[i] == 'Z')) {
        v = (uint32_t)(s[i] - 'X');
        digits = 7;
        i++;
    }
    for (size_t k = 0; k < digits; k++, i++) {
        if (i >= n || !is_digit(s[i]))
            return 0;
        v = v * 10u + dval(s[i]);
        STEP(sc);
    }
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || !is_alpha(s[i]) || word_at(sc, i + 1))
        return 0;
    return upper(s[i]) == (uint8_t)dni_letters[v % 23u] ? i + 1 : 0;
}

static void scan_words(scan_t *sc)
{
    bool iban = wants(sc, FLM_PII_IBAN), ids = wants(sc, FLM_PII_NATIONAL_ID);
    for (size_t p = 0; p < sc->n && !sc->overflow; p++) {
        STEP(sc);
        if (!is_alnum(sc->s[p]) || word_before(sc, p))
            continue;
        size_t e;
        if (iban && is_alpha(sc->s[p]) && (e = iban_at(sc, p)) != 0)
            add_span(sc, p, e - p, FLM_PII_IBAN);
        else if (ids && ((e = nino_at(sc, p)) != 0 || (e = dni_at(sc, p)) != 0))
            add_span(sc, p, e - p, FLM_PII_NATIONAL_ID);
    }
}

/* ---- IPv6 ------------------------------------------------------------------------------ */

/* A dotted quad at i (the tail of ::ffff:192.0.2.1): its end, or 0. */
static size_t ipv4_tail(scan_t *sc, size_t i)
{
    const uint8_t *s = sc->s;
    for (int k = 0; k < 4; k++) {
        if (k > 0) {
            if (i >= sc->n || s[i] != '.')
                return 0;
            i++;
        }
        size_t d = 0;
        unsigned v = 0;
        while (i + d < sc->n && is_digit(s[i + d]) && d < 4) {
            v = v * 10u + dval(s[i + d]);
            d++;
            STEP(sc);
        }
        if (d == 0 || d > 3 || v > 255 || (d > 1 && s[i] == '0'))
            return 0;
        i += d;
    }
    return i;
}

static size_t ipv6_at(scan_t *sc, size_t p)
{
    const uint8_t *s = sc->s;
    size_t n = sc->n, i = p, groups = 0, end = 0;
    bool dbl = false, big = false, v4 = false;
    if (s[i] == ':') {
        if (i + 1 >= n || s[i + 1] != ':')
            return 0;
        dbl = true;
        i += 2;
        end = i;
    }
    while (groups < 8) {
        size_t h = 0;
        while (i + h < n && h < 5 && is_hex(s[i + h])) {
            h++;
            STEP(sc);
        }
        if (h == 0)
            break;
        if (i + h + 1 < n && s[i + h] == '.' && is_digit(s[i + h + 1])) {
            size_t e = ipv4_tail(sc, i);
            if (!e || groups + 2 > (dbl ? 7u : 8u))
                return 0;
            groups += 2;
            v4 = true;
            end = i = e;
            break;
        }
        if (h > 4)
            return 0;
        big = big || h >= 3;
        groups++;
        end = i += h;
        if (i + 1 < n && s[i] == ':' && s[i + 1] == ':') {
            if (dbl)
                return 0;
            dbl = true;
            end = i += 2;
            continue;
        }
        if (i + 1 < n && s[i] == ':' && is_hex(s[i + 1])) {
            i++;
            continue;
        }
        break;
    }
    bool ok = dbl ? (groups >= 2 && groups <= 7 && (big || v4 || groups >= 3)) : groups == 8;
    if (!ok || word_at(sc, end))
        return 0;
    if (end < n && s[end] == ':' && end + 1 < n && (is_hex(s[end + 1]) || s[end + 1] == ':'))
        return 0; /* a ninth group, a second "::" */
    if (end + 1 < n && s[end] == '.' && is_digit(s[end + 1]))
        return 0;
    return end;
}

static void scan_ipv6(scan_t *sc)
{
    const uint8_t *s = sc->s;
    for (size_t p = 0; p < sc->n && !sc->overflow; p++) {
        STEP(sc);
        if (!is_hex(s[p]) && s[p] != ':')
            continue;
        if (p > 0 && (is_word(s[p - 1]) || s[p - 1] == ':' || s[p - 1] == '.'))
            continue;
        size_t e = ipv6_at(sc, p);
        if (e)
            add_span(sc, p, e - p, FLM_PII_IP);
    }
}

/* ---- deny words -------------------------------------------------------------------------- */

static size_t deny_match(scan_t *sc, size_t p, const char *ph, size_t len)
{
    const uint8_t *s = sc->s;
    size_t i = p;
    for (size_t k = 0; k < len; k++) {
        uint8_t c = (uint8_t)ph[k];
        if (c == ' ') {
            if (i >= sc->n || !is_space(s[i]))
                return 0;
            while (i < sc->n && is_space(s[i])) {
                i++;
                STEP(sc);
            }
            continue;
        }
        STEP(sc);
        if (i >= sc->n || lower(s[i]) != lower(c))
            return 0;
        i++;
    }
    if (is_word((uint8_t)ph[len - 1]) && word_at(sc, i))
        return 0;
    return i;
}

static void scan_deny(scan_t *sc)
{
    const flm_privacy_t *g = sc->g;
    if (!g->n_deny)
        return;
    for (size_t p = 0; p < sc->n && !sc->overflow; p++) {
        STEP(sc);
        uint8_t c = lower(sc->s[p]);
        bool after_word = word_before(sc, p);
        for (size_t k = 0; k < g->n_deny; k++) {
            const char *ph = g->deny + g->deny_off[k];
            uint8_t f = (uint8_t)ph[0];
            if (lower(f) != c || (after_word && is_word(f)))
                continue;
            size_t e = deny_match(sc, p, ph, g->deny_len[k]);
            if (e)
                add_span(sc, p, e - p, FLM_PII_DENY_WORD);
        }
    }
}

/* ---- the guard ------------------------------------------------------------------------------ */

void flm_privacy_settings_init(flm_privacy_settings_t *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof *s);
    /* local-only by default: a device that was not told its data may leave
     * keeps it. Redaction trusts the detector to be complete and the cloud to
     * keep the placeholders; allow trusts the cloud with everything. Both are
     * a deployment's explicit choice, never what a missing line means. */
    s->policy = FLM_PRIVACY_LOCAL_ONLY;
    memcpy(s->detect, "all", 4);
    s->types = DETECT_TYPES;
}

/* Split "a phrase, another phrase" into g's table (g may be NULL: check). */
static flm_err_t deny_parse(const char *list, flm_privacy_t *g, size_t *count, size_t *bad)
{
    size_t len = strlen(list), n = 0, used = 0, i = 0;
    if (len >= FLM_PRIVACY_DENY_BYTES)
        return FLM_ERR_OVERFLOW;
    bool blank = true;
    for (size_t k = 0; k < len && blank; k++)
        blank = is_space((uint8_t)list[k]);
    if (blank) {
        if (count)
            *count = 0;
        return FLM_OK;
    }
    for (;;) {
        size_t e = i;
        while (e < len && list[e] != ',')
            e++;
        size_t a = i, z = e;
        while (a < z && is_space((uint8_t)list[a]))
            a++;
        while (z > a && is_space((uint8_t)list[z - 1]))
            z--;
        if (a == z) {
            if (bad)
                *bad = n + 1;
            return FLM_ERR_CONFIG_VALUE;
        }
        if (n == FLM_PRIVACY_DENY_MAX)
            return FLM_ERR_OVERFLOW;
        size_t start = used;
        for (size_t k = a; k < z; k++) {
            bool sp = is_space((uint8_t)list[k]);
            if (sp && is_space((uint8_t)list[k - 1]))
                continue;
            if (g)
                g->deny[used] = sp ? ' ' : list[k];
            used++;
        }
        if (g) {
            g->deny_off[n] = (uint16_t)start;
            g->deny_len[n] = (uint16_t)(used - start);
        }
        n++;
        if (e == len)
            break;
        i = e + 1;
    }
    if (g)
        g->n_deny = n;
    if (count)
        *count = n;
    return FLM_OK;
}

flm_err_t flm_privacy_deny_check(const char *list, size_t *n, size_t *bad)
{
    if (!list)
        return FLM_ERR_ARG;
    return deny_parse(list, NULL, n, bad);
}

flm_err_t flm_privacy_types_parse(const char *list, uint32_t *types, size_t *bad_off)
{
    if (!list || !types)
        return FLM_ERR_ARG;
    size_t len = strlen(list), i = 0;
    uint32_t mask = 0;
    bool any = false;
    for (;;) {
        size_t e = i;
        while (e < len && list[e] != ',')
            e++;
        size_t a = i, z = e;
        while (a < z && is_space((uint8_t)list[a]))
            a++;
        while (z > a && is_space((uint8_t)list[z - 1]))
            z--;
        size_t w = z - a;
        bool known = false;
        if (w == 3 && strncmp(list + a, "all", 3) == 0) {
            mask |= DETECT_TYPES;
            known = true;
        } else if (w == 4 && strncmp(list + a, "none", 4) == 0) {
            known = true;
        }
        for (unsigned t = 0; t < FLM_PII_DENY_WORD && !known; t++)
            if (strlen(type_keys[t]) == w && strncmp(list + a, type_keys[t], w) == 0) {
                mask |= BIT(t);
                known = true;
            }
        if (!known) {
            if (bad_off)
                *bad_off = a;
            return FLM_ERR_CONFIG_VALUE;
        }
        any = true;
        if (e == len)
            break;
        i = e + 1;
    }
    if (!any)
        return FLM_ERR_CONFIG_VALUE;
    *types = mask;
    return FLM_OK;
}

size_t flm_privacy_types_text(uint32_t types, char *buf, size_t cap)
{
    size_t n = 0;
    if (!buf || cap == 0)
        return 0;
    for (unsigned t = 0; t < FLM_PII_TYPES; t++) {
        if (!(types & BIT(t)))
            continue;
        const char *k = type_keys[t];
        size_t kl = strlen(k) + (n ? 1 : 0);
        if (n + kl >= cap)
            break;
        if (n)
            buf[n++] = ',';
        memcpy(buf + n, k, strlen(k));
        n += strlen(k);
    }
    buf[n] = '\0';
    return n;
}

flm_err_t flm_privacy_init(flm_privacy_t *g, const flm_privacy_settings_t *s)
{
    if (!g)
        return FLM_ERR_ARG;
    flm_privacy_settings_t d;
    if (!s) {
        flm_privacy_settings_init(&d);
        s = &d;
    }
    if (s->policy > FLM_PRIVACY_ALLOW)
        return FLM_ERR_ARG;
    memset(g, 0, sizeof *g);
    g->policy = (flm_privacy_policy_t)s->policy;
    g->types = (s->types & DETECT_TYPES) | BIT(FLM_PII_DENY_WORD);
    if (memchr(s->deny_words, '\0', sizeof s->deny_words) == NULL)
        return FLM_ERR_ARG;
    flm_err_t e = deny_parse(s->deny_words, g, NULL, NULL);
    if (e != FLM_OK)
        flm_privacy_deinit(g);
    return e;
}

void flm_privacy_deinit(flm_privacy_t *g)
{
    if (g)
        flm_wipe(g, sizeof *g);
}

flm_err_t flm_privacy_scan(flm_privacy_t *g, const char *text, size_t len, flm_pii_span_t *spans,
                           size_t cap, size_t *n)
{
    if (!g || (!text && len) || (!spans && cap) || !n)
        return FLM_ERR_ARG;
    scan_t sc = { (const uint8_t *)text, len, g, spans, cap, 0, 0, false };
    if (wants(&sc, FLM_PII_EMAIL))
        scan_email(&sc);
    scan_words(&sc);
    if (wants(&sc, FLM_PII_IP))
        scan_ipv6(&sc);
    scan_numbers(&sc);
    scan_deny(&sc);
    g->steps = sc.steps;
    *n = sc.count;
    return sc.overflow ? FLM_ERR_OVERFLOW : FLM_OK;
}

/* ---- placeholders -------------------------------------------------------------------------- */

enum { PH_MORE, PH_DONE, PH_FAIL };

typedef struct {
    size_t   k;      /* bytes taken */
    uint32_t cand;   /* types whose "[TAG_" still matches */
    uint32_t index;
    uint8_t  digits;
} ph_t;

/* One more byte of "[TAG_N]" (N: 1..65535, no leading zero). */
static int ph_step(ph_t *st, uint8_t c, flm_pii_type_t *type)
{
    if (st->k == 0) {
        if (c != '[')
            return PH_FAIL;
        st->k = 1;
        st->cand = FLM_PII_ALL;
        st->index = 0;
        st->digits = 0;
        return PH_MORE;
    }
    size_t pos = st->k - 1;
    uint32_t keep = 0;
    for (unsigned t = 0; t < FLM_PII_TYPES; t++) {
        if (!(st->cand & BIT(t)))
            continue;
        size_t tl = strlen(type_tags[t]);
        bool ok;
        if (pos < tl)
            ok = (uint8_t)type_tags[t][pos] == c;
        else if (pos == tl)
            ok = c == '_';
        else if (c == ']')
            ok = st->digits > 0;
        else
            ok = is_digit(c) && st->digits < 5 && !(st->digits == 0 && c == '0') &&
                 st->index * 10u + dval(c) <= 0xFFFFu;
        if (ok)
            keep |= BIT(t);
    }
    if (!keep)
        return PH_FAIL;
    st->cand = keep;
    st->k++;
    if (c == ']') {
        for (unsigned t = 0; t < FLM_PII_TYPES; t++)
            if (keep & BIT(t))
                *type = (flm_pii_type_t)t;
        return PH_DONE;
    }
    if (is_digit(c)) {
        st->index = st->index * 10u + dval(c);
        st->digits++;
    }
    return PH_MORE;
}

static size_t placeholder(char *buf, flm_pii_type_t t, unsigned index)
{
    size_t n = 0, tl = strlen(type_tags[t]);
    char d[5];
    size_t nd = 0;
    buf[n++] = '[';
    memcpy(buf + n, type_tags[t], tl);
    n += tl;
    buf[n++] = '_';
    do {
        d[nd++] = (char)('0' + index % 10u);
        index /= 10u;
    } while (index && nd < sizeof d);
    while (nd)
        buf[n++] = d[--nd];
    buf[n++] = ']';
    return n;
}

/* ---- redaction ------------------------------------------------------------------------------ */

void flm_privacy_map_init(flm_privacy_map_t *m)
{
    if (m)
        memset(m, 0, sizeof *m);
}

void flm_privacy_map_deinit(flm_privacy_map_t *m)
{
    if (m)
        flm_wipe(m, sizeof *m);
}

const char *flm_privacy_map_find(const flm_privacy_map_t *m, flm_pii_type_t type, uint32_t index,
                                 size_t *len)
{
    if (!m)
        return NULL;
    for (size_t k = 0; k < m->n; k++)
        if (m->entry[k].type == (uint8_t)type && m->entry[k].index == index) {
            if (len)
                *len = m->entry[k].len;
            return m->bytes + m->entry[k].off;
        }
    return NULL;
}

/* Placeholders the text itself holds, which must not be given out. */
#define RESERVE_MAX   FLM_PRIVACY_RESERVE_MAX
#define RESERVE_WORDS FLM_PRIVACY_RESERVE_WORDS

static void reserve_literals(const char *text, size_t len, uint32_t reserved[][RESERVE_WORDS])
{
    ph_t st = { 0 };
    for (size_t i = 0; i < len; i++) {
        flm_pii_type_t t;
        int r = ph_step(&st, (uint8_t)text[i], &t);
        if (r == PH_FAIL) {
            bool restart = st.k > 0;
            st.k = 0;
            if (restart && text[i] == '[')
                (void)ph_step(&st, '[', &t);
        } else if (r == PH_DONE) {
            if (st.index <= RESERVE_MAX)
                reserved[t][(st.index - 1) / 32u] |= 1u << ((st.index - 1) % 32u);
            st.k = 0;
        }
    }
}

flm_err_t flm_privacy_redact(flm_privacy_map_t *m, const char *text, size_t len,
                             const flm_pii_span_t *spans, size_t n_spans, char *out, size_t cap,
                             size_t *out_len)
{
    if (!m || !out || cap == 0 || (!text && len) || (!spans && n_spans))
        return FLM_ERR_ARG;
    for (size_t k = 0; k < n_spans; k++) {
        const flm_pii_span_t *sp = &spans[k];
        if ((unsigned)sp->type >= FLM_PII_TYPES || sp->len == 0 || sp->off > len ||
            sp->len > len - sp->off || (k && sp->off < spans[k - 1].off + spans[k - 1].len))
            return FLM_ERR_ARG;
    }
    uint32_t lit[FLM_PII_TYPES][RESERVE_WORDS];
    memset(lit, 0, sizeof lit);
    reserve_literals(text, len, lit);
    /* A literal an earlier text's value already goes by: the answer could
     * not tell them apart. Otherwise the literals stay out of use for this
     * text and every later one on the map. */
    flm_err_t err = FLM_OK;
    for (size_t e = 0; e < m->n && !err; e++) {
        unsigned i = m->entry[e].index;
        if (i >= 1 && i <= RESERVE_MAX && (lit[m->entry[e].type][(i - 1) / 32u] >> ((i - 1) % 32u) & 1u))
            err = FLM_ERR_STATE;
    }
    for (unsigned t = 0; t < FLM_PII_TYPES; t++)
        for (unsigned w = 0; w < RESERVE_WORDS; w++)
            m->reserved[t][w] |= lit[t][w];
    uint32_t (*reserved)[RESERVE_WORDS] = m->reserved;

    size_t o = 0, at = 0;
    for (size_t k = 0; k <= n_spans && err == FLM_OK; k++) {
        size_t upto = k < n_spans ? spans[k].off : len;
        if (upto - at >= cap - o) {
            err = FLM_ERR_OVERFLOW;
            break;
        }
        memcpy(out + o, text + at, upto - at);
        o += upto - at;
        if (k == n_spans)
            break;
        const flm_pii_span_t *sp = &spans[k];
        const char *v = text + sp->off;
        unsigned index = 0;
        for (size_t e = 0; e < m->n && !index; e++)
            if (m->entry[e].type == (uint8_t)sp->type && m->entry[e].len == sp->len &&
                memcmp(m->bytes + m->entry[e].off, v, sp->len) == 0)
                index = m->entry[e].index;
        if (!index) {
            unsigned t = (unsigned)sp->type, next = m->last[t] + 1u;
            while (next <= RESERVE_MAX && (reserved[t][(next - 1) / 32u] >> ((next - 1) % 32u)) & 1u)
                next++;
            if (m->n == FLM_PRIVACY_SPANS_MAX || next > RESERVE_MAX ||
                sp->len > sizeof m->bytes - m->used) {
                err = FLM_ERR_NOMEM;
                break;
            }
            flm_privacy_entry_t *en = &m->entry[m->n++];
            en->type = (uint8_t)t;
            en->index = (uint16_t)next;
            en->off = (uint16_t)m->used;
            en->len = (uint16_t)sp->len;
            memcpy(m->bytes + m->used, v, sp->len);
            m->used += sp->len;
            m->last[t] = (uint16_t)next;
            index = next;
        }
        char ph[FLM_PRIVACY_PLACEHOLDER_MAX];
        size_t pl = placeholder(ph, sp->type, index);
        if (pl >= cap - o) {
            err = FLM_ERR_OVERFLOW;
            break;
        }
        memcpy(out + o, ph, pl);
        o += pl;
        at = sp->off + sp->len;
    }
    if (err != FLM_OK) {
        flm_wipe(out, cap);
        flm_privacy_map_deinit(m);
        flm_privacy_map_init(m);
        return err;
    }
    out[o] = '\0';
    if (out_len)
        *out_len = o;
    return FLM_OK;
}

/* ---- restoration ------------------------------------------------------------------------------ */

void flm_privacy_restorer_init(flm_privacy_restorer_t *r, const flm_privacy_map_t *map,
                               flm_privacy_text_fn out, void *user)
{
    if (!r)
        return;
    memset(r, 0, sizeof *r);
    r->map = map;
    r->out = out;
    r->user = user;
}

static flm_err_t emit(flm_privacy_restorer_t *r, const char *p, size_t n)
{
    return n ? r->out(r->user, p, n) : FLM_OK;
}

static flm_err_t emit_pending(flm_privacy_restorer_t *r)
{
    size_t n = r->n_pend;
    r->n_pend = 0;
    return emit(r, r->pend, n);
}

flm_err_t flm_privacy_restore(flm_privacy_restorer_t *r, const char *chunk, size_t n)
{
    if (!r || !r->out || (!chunk && n))
        return FLM_ERR_ARG;
    size_t i = 0, run = 0; /* chunk[run, i) passes through as it is */
    flm_err_t e;
    while (i < n) {
        uint8_t c = (uint8_t)chunk[i];
        if (r->n_pend == 0) {
            if (c != '[') {
                i++;
                continue;
            }
            if ((e = emit(r, chunk + run, i - run)) != FLM_OK)
                return e;
        }
        ph_t st = { r->n_pend, r->cand, r->index, r->digits };
        flm_pii_type_t t = FLM_PII_EMAIL;
        int step = ph_step(&st, c, &t);
        if (step == PH_FAIL) { /* c cannot continue it: out as text; c looked at again */
            if ((e = emit_pending(r)) != FLM_OK)
                return e;
            run = i;
            continue;
        }
        r->pend[r->n_pend++] = (char)c;
        r->cand = st.cand;
        r->index = st.index;
        r->digits = st.digits;
        i++;
        run = i;
        if (step == PH_DONE) {
            size_t vl = 0;
            const char *v = flm_privacy_map_find(r->map, t, st.index, &vl);
            if (v) {
                r->n_pend = 0;
                e = emit(r, v, vl);
            } else {
                e = emit_pending(r);
            }
            if (e != FLM_OK)
                return e;
        }
    }
    return r->n_pend ? FLM_OK : emit(r, chunk + run, n - run);
}

flm_err_t flm_privacy_restore_flush(flm_privacy_restorer_t *r)
{
    if (!r || !r->out)
        return FLM_ERR_ARG;
    return emit_pending(r);
}

typedef struct {
    char  *buf;
    size_t cap, len;
} sink_t;

static flm_err_t sink_text(void *user, const char *text, size_t n)
{
    sink_t *k = user;
    if (n >= k->cap - k->len)
        return FLM_ERR_OVERFLOW;
    memcpy(k->buf + k->len, text, n);
    k->len += n;
    return FLM_OK;
}

flm_err_t flm_privacy_restore_text(const flm_privacy_map_t *m, const char *text, size_t len,
                                   char *out, size_t cap, size_t *out_len)
{
    if (!out || cap == 0 || (!text && len))
        return FLM_ERR_ARG;
    sink_t k = { out, cap, 0 };
    flm_privacy_restorer_t r;
    flm_privacy_restorer_init(&r, m, sink_text, &k);
    flm_err_t e = flm_privacy_restore(&r, text, len);
    if (e == FLM_OK)
        e = flm_privacy_restore_flush(&r);
    if (e != FLM_OK) {
        flm_wipe(out, cap);
        return e;
    }
    out[k.len] = '\0';
    if (out_len)
        *out_len = k.len;
    return FLM_OK;
}

/* ---- the policy -------------------------------------------------------------------------------- */

flm_err_t flm_privacy_check(flm_privacy_t *g, const char *text, size_t len, flm_privacy_map_t *map,
                            char *out, size_t cap, flm_privacy_result_t *res)
{
    if (!g || (!text && len) || !res)
        return FLM_ERR_ARG;
    if (g->policy == FLM_PRIVACY_REDACT && (!map || !out || cap == 0))
        return FLM_ERR_ARG;
    memset(res, 0, sizeof *res);
    size_t n = 0;
    flm_err_t e = flm_privacy_scan(g, text, len, g->spans, FLM_PRIVACY_SPANS_MAX, &n);
    if (e != FLM_OK && e != FLM_ERR_OVERFLOW)
        return e;
    g->n_spans = n;
    res->spans = n;
    for (size_t k = 0; k < n; k++)
        res->types |= BIT(g->spans[k].type);
    if (n == 0) {
        res->verdict = FLM_PRIVACY_CLEAN;
    } else if (g->policy == FLM_PRIVACY_ALLOW) {
        res->verdict = FLM_PRIVACY_ALLOWED;
    } else if (g->policy == FLM_PRIVACY_LOCAL_ONLY) {
        res->verdict = FLM_PRIVACY_LOCAL;
    } else if (e == FLM_ERR_OVERFLOW) {
        res->verdict = FLM_PRIVACY_LOCAL;
        res->redact_err = e;
    } else {
        e = flm_privacy_redact(map, text, len, g->spans, n, out, cap, &res->out_len);
        res->verdict = e == FLM_OK ? FLM_PRIVACY_REDACTED : FLM_PRIVACY_LOCAL;
        res->redact_err = e;
    }
    return FLM_OK;
}
