#include "core/base/config.h"
#if FLM_CFG_DEVICE_FILE /* a firmware without a device file links none of this */
#include "core/base/ini.h"

#include <string.h>

#include "core/base/parse.h"
#include "core/base/strdist.h"
#include "core/base/wipe.h"

/* Names and numbers echoed in a message are cut here, so a long one cannot
 * crowd out the rest of the message. */
#define ECHO_MAX 24u
/* A bad boolean, choice or number longer than this is described, not
 * echoed: it is no typo but some other text, perhaps a key put on the
 * wrong line. */
#define ECHO_WORD_MAX 16u
/* Near-miss suggestions: at most this many edits (a swap counts as one). */
#define SUGGEST_EDITS 2u

#define NONE SIZE_MAX

typedef struct {
    const char *p;
    size_t      n;
} span_t;

typedef struct {
    const char            *text;
    size_t                 len, pos;
    uint32_t               line;
    const flm_ini_bind_t  *binds;
    size_t                 n_binds;
    const char            *default_section;
    flm_ini_error_t       *err;
    size_t                 cur;       /* bind of the open section, or NONE */
    uint32_t               header;    /* its "[name]" line, 0 if implicit */
    uint32_t               lines[FLM_INI_KEYS_MAX];     /* its keys' lines */
    uint32_t               opened[FLM_INI_SECTIONS_MAX]; /* first line, 0 = not yet */
    uint32_t               implicit;  /* bit b: bind b opened by keys before any header */
} parser_t;

_Static_assert(FLM_INI_SECTIONS_MAX <= 32, "parser_t.implicit has 32 bits");

/* ---- small helpers -------------------------------------------------------- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static span_t trim(span_t s)
{
    while (s.n && is_blank(s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n && is_blank(s.p[s.n - 1]))
        s.n--;
    return s;
}

static bool span_is(span_t s, const char *z)
{
    size_t n = strlen(z);
    return s.n == n && memcmp(s.p, z, n) == 0;
}

static span_t span_of(const char *z)
{
    return (span_t){ z, strlen(z) };
}

/* Letters, digits, '_', '-', '.': what a name may hold, so that a name in
 * a message is never arbitrary text from the file. */
static bool name_ok(span_t s)
{
    if (s.n == 0)
        return false;
    for (size_t i = 0; i < s.n; i++) {
        char c = s.p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

static void copy_name(char dst[FLM_INI_NAME_MAX], span_t s)
{
    size_t n = s.n < FLM_INI_NAME_MAX - 1 ? s.n : FLM_INI_NAME_MAX - 1;
    memcpy(dst, s.p, n);
    dst[n] = '\0';
}

/* A non-secret name or value for a message, cut at ECHO_MAX with "...". */
typedef struct {
    char s[ECHO_MAX + 4];
} echo_t;
_Static_assert(ECHO_WORD_MAX + 3 <= ECHO_MAX + 4, "a quoted word fits echo_t");

static echo_t echo(span_t v)
{
    echo_t e;
    size_t n = v.n <= ECHO_MAX ? v.n : ECHO_MAX;
    memcpy(e.s, v.p, n);
    if (n < v.n) {
        memcpy(e.s + n, "...", 3);
        n += 3;
    }
    e.s[n] = '\0';
    return e;
}

/* A bad word value for a message: quoted when short, else "the value". */
static echo_t word(span_t v)
{
    echo_t e;
    if (v.n > ECHO_WORD_MAX) {
        memcpy(e.s, "the value", sizeof "the value");
        return e;
    }
    e.s[0] = '\'';
    memcpy(e.s + 1, v.p, v.n);
    e.s[v.n + 1] = '\'';
    e.s[v.n + 2] = '\0';
    return e;
}

/* The name among n (through name_at) nearest to s, if near enough: a
 * suggestion must keep most of the name, so "u" never suggests "url". */
static const char *nearest(span_t s, const char *(*name_at)(const void *, size_t), const void *ctx,
                           size_t n)
{
    const char *best = NULL;
    size_t best_d = SUGGEST_EDITS + 1;
    for (size_t i = 0; i < n; i++) {
        const char *c = name_at(ctx, i);
        size_t cn = strlen(c);
        size_t d = flm_strdist(s.p, s.n, c, cn, SUGGEST_EDITS + 1);
        if (d < best_d && 2u * d <= cn) {
            best = c;
            best_d = d;
        }
    }
    return best;
}

static const char *key_name_at(const void *ctx, size_t i)
{
    return ((const flm_ini_section_t *)ctx)->keys[i].name;
}

static const char *bind_name_at(const void *ctx, size_t i)
{
    return ((const flm_ini_bind_t *)ctx)[i].section->name;
}

/* ---- errors ----------------------------------------------------------------- */

static flm_err_t vfail(flm_ini_error_t *err, flm_err_t code, uint32_t line, const char *key,
                       const char *fmt, va_list ap)
{
    err->code = code;
    err->line = line;
    copy_name(err->key, span_of(key ? key : ""));
    size_t n = 0;
    if (line == 0 && err->section[0])
        n = flm_snprintf(err->message, sizeof err->message, "[%s]: ", err->section);
    flm_vsnprintf(err->message + n, sizeof err->message - n, fmt, ap);
    return code;
}

flm_err_t flm_ini_fail(flm_ini_error_t *err, flm_err_t code, uint32_t line, const char *key,
                       const char *fmt, ...)
{
    if (!err || !fmt)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vfail(err, code, line, key, fmt, ap);
    va_end(ap);
    return code;
}

/* An error on the current line. */
static flm_err_t pfail(parser_t *p, flm_err_t code, const char *key, const char *fmt, ...)
    FLM_PRINTF_LIKE(4, 5);

static flm_err_t pfail(parser_t *p, flm_err_t code, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(p->err, code, p->line, key, fmt, ap);
    va_end(ap);
    return code;
}

size_t flm_ini_error_format(const flm_ini_error_t *err, const char *file, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return 0;
    if (!err) {
        buf[0] = '\0';
        return 0;
    }
    const char *msg = err->message[0] ? err->message : flm_strerror(err->code);
    if (file && file[0])
        return err->line ? flm_snprintf(buf, cap, "%s:%u: %s", file, (unsigned)err->line, msg)
                         : flm_snprintf(buf, cap, "%s: %s", file, msg);
    return err->line ? flm_snprintf(buf, cap, "line %u: %s", (unsigned)err->line, msg)
                     : flm_snprintf(buf, cap, "%s", msg);
}

/* ---- typed setters ---------------------------------------------------------- */

static flm_err_t set_value(const flm_ini_key_t *k, void *dst, span_t v, flm_ini_error_t *err,
                           uint32_t line)
{
    uint8_t *field = (uint8_t *)dst + k->offset;
    const char *name = k->name;
    if (v.n == 0)
        return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, line, name, "%s: empty value", name);
    switch (k->type) {
    case FLM_INI_STRING:
    case FLM_INI_SECRET: {
        bool secret = k->type == FLM_INI_SECRET;
        if (v.n >= k->size)
            return flm_ini_fail(err, FLM_ERR_CONFIG_TOO_LONG, line, name,
                                "%s: value longer than %zu bytes", name, k->size - 1);
        for (size_t i = 0; i < v.n; i++) {
            uint8_t c = (uint8_t)v.p[i];
            /* No control byte can reach a header; a key is one token. */
            bool bad = secret ? c <= 0x20 || c >= 0x7F : (c < 0x20 && c != '\t') || c == 0x7F;
            if (!bad)
                continue;
            if (secret)
                return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, line, name,
                                    "%s: a space, control or non-ASCII byte in the value "
                                    "(the value is not shown)", name);
            return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, line, name,
                                "%s: control byte 0x%02x in the value", name, c);
        }
        flm_wipe(field, k->size); /* no tail of an earlier value stays */
        memcpy(field, v.p, v.n);
        return FLM_OK;
    }
    case FLM_INI_U32: {
        uint64_t x = 0;
        bool digits = true;
        for (size_t i = 0; i < v.n; i++)
            digits = digits && v.p[i] >= '0' && v.p[i] <= '9';
        if (!digits)
            return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, line, name, "%s: %s is not a decimal number",
                                name, word(v).s);
        if (!flm_parse_uint(v.p, v.n, 10, k->hi, &x) || x < k->lo)
            return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, line, name,
                                "%s: %s is out of range %u..%u", name, echo(v).s,
                                (unsigned)k->lo, (unsigned)k->hi);
        uint32_t u = (uint32_t)x;
        memcpy(field, &u, sizeof u);
        return FLM_OK;
    }
    case FLM_INI_BOOL: {
        static const char *const yes[] = { "true", "yes", "on", "1" };
        static const char *const no[] = { "false", "no", "off", "0" };
        for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
            if (span_is(v, yes[i]) || span_is(v, no[i])) {
                bool b = span_is(v, yes[i]);
                memcpy(field, &b, sizeof b);
                return FLM_OK;
            }
        }
        return flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, line, name,
                            "%s: %s is not a boolean (true/false, yes/no, on/off, 1/0)", name,
                            word(v).s);
    }
    case FLM_INI_ENUM: {
        for (uint32_t i = 0; k->names[i]; i++) {
            if (span_is(v, k->names[i])) {
                memcpy(field, &i, sizeof i);
                return FLM_OK;
            }
        }
        flm_ini_fail(err, FLM_ERR_CONFIG_VALUE, line, name, "%s: %s is not one of", name,
                     word(v).s);
        size_t n = strlen(err->message);
        for (size_t i = 0; k->names[i]; i++)
            n += flm_snprintf(err->message + n, sizeof err->message - n, "%s %s",
                              i ? "," : "", k->names[i]);
        return FLM_ERR_CONFIG_VALUE;
    }
    case FLM_INI_PEM:
        break;
    }
    return flm_ini_fail(err, FLM_ERR_ARG, line, name, "%s: no single-line setter for this type",
                        name);
}

flm_err_t flm_ini_set(const flm_ini_key_t *key, void *dst, const char *value, size_t len,
                      flm_ini_error_t *err)
{
    flm_ini_error_t scratch;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if (!key || !dst || (!value && len))
        return flm_ini_fail(err, FLM_ERR_ARG, 0, NULL, "%s", flm_strerror(FLM_ERR_ARG));
    return set_value(key, dst, (span_t){ value, len }, err, 0);
}

/* ---- lines ---------------------------------------------------------------- */

/* The next line into *l (end of line dropped): false at the end of the
 * text. A line too long or holding a NUL or control byte is an error. */
static flm_err_t next_line(parser_t *p, span_t *l, bool *more)
{
    *more = p->pos < p->len;
    if (!*more)
        return FLM_OK;
    const char *s = p->text + p->pos;
    size_t rest = p->len - p->pos;
    const char *nl = memchr(s, '\n', rest);
    size_t n = nl ? (size_t)(nl - s) : rest;
    p->pos += n + (nl != NULL);
    p->line++;
    if (n && s[n - 1] == '\r')
        n--;
    if (n > FLM_INI_LINE_MAX)
        return pfail(p, FLM_ERR_CONFIG_TOO_LONG, NULL, "line longer than %u bytes",
                     (unsigned)FLM_INI_LINE_MAX);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == 0)
            return pfail(p, FLM_ERR_CONFIG_SYNTAX, NULL, "NUL byte at column %zu", i + 1);
        if ((c < 0x20 && c != '\t') || c == 0x7F)
            return pfail(p, FLM_ERR_CONFIG_SYNTAX, NULL, "control byte 0x%02x at column %zu",
                         c, i + 1);
    }
    *l = (span_t){ s, n };
    return FLM_OK;
}

/* "-----BEGIN label-----" or "-----END label-----": the label, or n = 0. */
static span_t pem_label(span_t l, const char *what)
{
    span_t none = { l.p, 0 };
    size_t wn = strlen(what);
    if (l.n < 5 + wn + 1 + 5 || memcmp(l.p, "-----", 5) != 0 || memcmp(l.p + 5, what, wn) != 0 ||
        l.p[5 + wn] != ' ' || memcmp(l.p + l.n - 5, "-----", 5) != 0)
        return none;
    return (span_t){ l.p + 5 + wn + 1, l.n - (5 + wn + 1 + 5) };
}

/* An inline PEM block: the value is its BEGIN line, the lines after it are
 * copied, trimmed and joined with '\n', up to and including the END line. */
static flm_err_t read_pem(parser_t *p, const flm_ini_key_t *k, void *dst, span_t v)
{
    const char *name = k->name;
    span_t label = pem_label(v, "BEGIN");
    bool known = false;
    for (size_t i = 0; label.n && k->names[i]; i++)
        known = known || span_is(label, k->names[i]);
    if (!known)
        return pfail(p, FLM_ERR_CONFIG_VALUE, name,
                     "%s: expected '-----BEGIN %s-----' and the PEM lines after it", name,
                     k->names[0]);
    char *field = (char *)dst + k->offset;
    memset(field, 0, k->size);
    size_t out = 0;
    span_t l = v;
    for (;;) {
        if (out + l.n + 2 > k->size)
            return pfail(p, FLM_ERR_CONFIG_TOO_LONG, name, "%s: PEM block longer than %zu bytes",
                         name, k->size - 1);
        memcpy(field + out, l.p, l.n);
        out += l.n;
        field[out++] = '\n';
        span_t end = pem_label(l, "END");
        if (end.n == label.n && end.n && memcmp(end.p, label.p, label.n) == 0)
            return FLM_OK;
        bool more;
        flm_err_t e = next_line(p, &l, &more);
        if (e)
            return e;
        if (!more)
            return pfail(p, FLM_ERR_CONFIG_VALUE, name,
                         "%s: no '-----END %.*s-----' line before the end of the file", name,
                         (int)label.n, label.p);
        l = trim(l);
    }
}

/* ---- sections --------------------------------------------------------------- */

static size_t find_bind(const parser_t *p, span_t name)
{
    for (size_t i = 0; i < p->n_binds; i++)
        if (span_is(name, p->binds[i].section->name))
            return i;
    return NONE;
}

static size_t find_key(const flm_ini_section_t *s, span_t name)
{
    for (size_t i = 0; i < s->n_keys; i++)
        if (span_is(name, s->keys[i].name))
            return i;
    return NONE;
}

static void open_section(parser_t *p, size_t b, uint32_t header)
{
    p->cur = b;
    p->header = header;
    p->opened[b] = p->line;
    if (!header)
        p->implicit |= 1u << b;
    memset(p->lines, 0, sizeof p->lines);
    copy_name(p->err->section, span_of(p->binds[b].section->name));
}

/* The section's lines are all read: its required keys, then its check. */
static flm_err_t close_section(parser_t *p, size_t b)
{
    const flm_ini_section_t *s = p->binds[b].section;
    flm_ini_error_t *err = p->err;
    copy_name(err->section, span_of(s->name));
    for (size_t i = 0; i < s->n_keys; i++)
        if (s->keys[i].required && !p->lines[i])
            return flm_ini_fail(err, FLM_ERR_CONFIG_MISSING, 0, s->keys[i].name,
                                "missing required key '%s'", s->keys[i].name);
    if (!s->check)
        return FLM_OK;
    flm_ini_seen_t seen = { s, p->lines, p->header };
    flm_err_t e = s->check(p->binds[b].dst, &seen, err);
    if (e && !err->message[0])
        flm_ini_fail(err, e, 0, NULL, "%s", flm_strerror(e));
    if (e)
        err->code = e;
    return e;
}

static flm_err_t on_header(parser_t *p, span_t l)
{
    if (l.p[l.n - 1] != ']')
        return pfail(p, FLM_ERR_CONFIG_SYNTAX, NULL, "%s",
                     memchr(l.p, ']', l.n) ? "text after the ']' of a section header"
                                           : "section header without its closing ']'");
    span_t name = trim((span_t){ l.p + 1, l.n - 2 });
    if (!name.n)
        return pfail(p, FLM_ERR_CONFIG_SYNTAX, NULL, "empty section name");
    if (!name_ok(name))
        return pfail(p, FLM_ERR_CONFIG_SYNTAX, NULL,
                     "a section name holds only letters, digits, '_', '-' and '.'");
    size_t b = find_bind(p, name);
    if (b == NONE) {
        copy_name(p->err->section, name);
        const char *near = nearest(name, bind_name_at, p->binds, p->n_binds);
        if (near)
            return pfail(p, FLM_ERR_CONFIG_SECTION, NULL,
                         "unknown section [%s] (did you mean [%s]?)", echo(name).s, near);
        return pfail(p, FLM_ERR_CONFIG_SECTION, NULL, "unknown section [%s]", echo(name).s);
    }
    if (p->opened[b]) {
        copy_name(p->err->section, name);
        if (p->implicit & (1u << b))
            return pfail(p, FLM_ERR_CONFIG_DUPLICATE, NULL,
                         "section [%s] given twice: the keys from line %u, before the first "
                         "header, are in [%s]", p->binds[b].section->name, (unsigned)p->opened[b],
                         p->binds[b].section->name);
        return pfail(p, FLM_ERR_CONFIG_DUPLICATE, NULL, "section [%s] given twice (first at line %u)",
                     p->binds[b].section->name, (unsigned)p->opened[b]);
    }
    if (p->cur != NONE) {
        flm_err_t e = close_section(p, p->cur);
        if (e)
            return e;
    }
    open_section(p, b, p->line);
    return FLM_OK;
}

static flm_err_t on_key(parser_t *p, span_t l)
{
    const char *eq = memchr(l.p, '=', l.n);
    if (!eq)
        return pfail(p, FLM_ERR_CONFIG_SYNTAX, NULL, "expected [section] or key = value");
    span_t name = trim((span_t){ l.p, (size_t)(eq - l.p) });
    span_t value = trim((span_t){ eq + 1, l.n - (size_t)(eq - l.p) - 1 });
    if (!name.n)
        return pfail(p, FLM_ERR_CONFIG_SYNTAX, NULL, "no key name before '='");
    if (!name_ok(name))
        return pfail(p, FLM_ERR_CONFIG_SYNTAX, NULL,
                     "a key name holds only letters, digits, '_', '-' and '.'");
    if (p->cur == NONE) {
        size_t b = p->default_section ? find_bind(p, span_of(p->default_section)) : NONE;
        if (b == NONE)
            return pfail(p, FLM_ERR_CONFIG_SYNTAX, NULL,
                         "key outside any section (a [section] line must come first)");
        open_section(p, b, 0);
    }
    const flm_ini_section_t *s = p->binds[p->cur].section;
    size_t k = find_key(s, name);
    if (k == NONE) {
        char key[FLM_INI_NAME_MAX];
        copy_name(key, name);
        const char *near = nearest(name, key_name_at, s, s->n_keys);
        if (near)
            return pfail(p, FLM_ERR_CONFIG_KEY, key, "unknown key '%s' in [%s] (did you mean '%s'?)",
                         echo(name).s, s->name, near);
        for (size_t b = 0; b < p->n_binds; b++)
            if (b != p->cur && find_key(p->binds[b].section, name) != NONE)
                return pfail(p, FLM_ERR_CONFIG_KEY, key,
                             "unknown key '%s' in [%s] (it is a key of [%s])", echo(name).s,
                             s->name, p->binds[b].section->name);
        return pfail(p, FLM_ERR_CONFIG_KEY, key, "unknown key '%s' in [%s]", echo(name).s, s->name);
    }
    const flm_ini_key_t *key = &s->keys[k];
    if (p->lines[k])
        return pfail(p, FLM_ERR_CONFIG_DUPLICATE, key->name, "%s: given twice (first at line %u)",
                     key->name, (unsigned)p->lines[k]);
    p->lines[k] = p->line;
    if (key->type == FLM_INI_PEM)
        return read_pem(p, key, p->binds[p->cur].dst, value);
    return set_value(key, p->binds[p->cur].dst, value, p->err, p->line);
}

/* ---- the parse -------------------------------------------------------------- */

/* A schema mistake is the programmer's: refuse it before reading a line. */
static flm_err_t check_schema(const flm_ini_bind_t *binds, size_t n, const char *dflt,
                              flm_ini_error_t *err)
{
    if (n > FLM_INI_SECTIONS_MAX)
        return flm_ini_fail(err, FLM_ERR_ARG, 0, NULL, "more than %u sections",
                            (unsigned)FLM_INI_SECTIONS_MAX);
    bool dflt_found = dflt == NULL;
    for (size_t b = 0; b < n; b++) {
        const flm_ini_section_t *s = binds[b].section;
        if (!s || !binds[b].dst || !s->name || !s->keys || strlen(s->name) >= FLM_INI_NAME_MAX ||
            !name_ok(span_of(s->name)) || s->n_keys > FLM_INI_KEYS_MAX)
            return flm_ini_fail(err, FLM_ERR_ARG, 0, NULL, "section %zu: bad descriptor", b);
        dflt_found = dflt_found || strcmp(s->name, dflt) == 0;
        for (size_t o = 0; o < b; o++)
            if (strcmp(binds[o].section->name, s->name) == 0)
                return flm_ini_fail(err, FLM_ERR_ARG, 0, NULL, "[%s] bound twice", s->name);
        for (size_t i = 0; i < s->n_keys; i++) {
            const flm_ini_key_t *k = &s->keys[i];
            bool ok = k->name && strlen(k->name) < FLM_INI_NAME_MAX && name_ok(span_of(k->name)) &&
                      k->offset <= s->size && k->size <= s->size - k->offset;
            if (ok) {
                switch (k->type) {
                case FLM_INI_STRING:
                case FLM_INI_SECRET: ok = k->size >= 2; break;
                case FLM_INI_U32: ok = k->size == sizeof(uint32_t) && k->lo <= k->hi; break;
                case FLM_INI_BOOL: ok = k->size == sizeof(bool); break;
                case FLM_INI_ENUM: ok = k->size == sizeof(uint32_t) && k->names && k->names[0]; break;
                case FLM_INI_PEM: ok = k->size >= 2 && k->names && k->names[0]; break;
                default: ok = false; break;
                }
            }
            for (size_t o = 0; ok && o < i; o++)
                ok = strcmp(s->keys[o].name, k->name) != 0;
            if (!ok)
                return flm_ini_fail(err, FLM_ERR_ARG, 0, NULL, "[%s]: bad schema row %zu", s->name, i);
        }
    }
    if (!dflt_found)
        return flm_ini_fail(err, FLM_ERR_ARG, 0, NULL, "default section [%s] is not bound", dflt);
    return FLM_OK;
}

static flm_err_t parse_lines(parser_t *p)
{
    for (;;) {
        span_t l;
        bool more;
        flm_err_t e = next_line(p, &l, &more);
        if (e || !more)
            return e;
        l = trim(l);
        if (l.n == 0 || l.p[0] == '#' || l.p[0] == ';')
            continue;
        e = l.p[0] == '[' ? on_header(p, l) : on_key(p, l);
        if (e)
            return e;
    }
}

flm_err_t flm_ini_parse(const char *text, size_t len, const flm_ini_bind_t *binds, size_t n_binds,
                        const char *default_section, flm_ini_error_t *err)
{
    flm_ini_error_t scratch;
    if (!err)
        err = &scratch;
    memset(err, 0, sizeof *err);
    if ((!text && len) || (!binds && n_binds))
        return flm_ini_fail(err, FLM_ERR_ARG, 0, NULL, "%s", flm_strerror(FLM_ERR_ARG));
    flm_err_t e = check_schema(binds, n_binds, default_section, err);
    if (e)
        return e;
    for (size_t b = 0; b < n_binds; b++) {
        if (binds[b].section->init)
            binds[b].section->init(binds[b].dst);
        else
            memset(binds[b].dst, 0, binds[b].section->size);
    }

    parser_t p;
    memset(&p, 0, sizeof p);
    p.text = text;
    p.len = len;
    p.binds = binds;
    p.n_binds = n_binds;
    p.default_section = default_section;
    p.err = err;
    p.cur = NONE;
    e = parse_lines(&p);
    if (!e && p.cur != NONE)
        e = close_section(&p, p.cur);
    /* Sections the file left out: their required keys and checks still hold. */
    for (size_t b = 0; !e && b < n_binds; b++) {
        if (p.opened[b] || binds[b].optional)
            continue;
        p.header = 0;
        memset(p.lines, 0, sizeof p.lines);
        e = close_section(&p, b);
    }
    for (size_t b = 0; b < n_binds; b++)
        if (binds[b].present)
            *binds[b].present = !e && p.opened[b] != 0;
    if (e) {
        for (size_t b = 0; b < n_binds; b++)
            flm_wipe(binds[b].dst, binds[b].section->size);
    } else {
        memset(err, 0, sizeof *err);
    }
    return e;
}

uint32_t flm_ini_line(const flm_ini_seen_t *seen, const char *key)
{
    if (!seen || !seen->section || !key)
        return 0;
    size_t k = find_key(seen->section, span_of(key));
    return k == NONE ? 0 : seen->lines[k];
}

#endif /* FLM_CFG_DEVICE_FILE */
