/*
 * The privacy guard: finds personal data in a prompt before it can leave
 * the device, and under the deployment's policy keeps the prompt local,
 * sends it with each span replaced by a typed placeholder ([EMAIL_1],
 * [PHONE_2], ...) and restores the values in the cloud's answer, or lets it
 * go as it is.
 *
 *   flm_privacy_t g;                    flm_privacy_map_t map;
 *   flm_privacy_init(&g, &settings);    flm_privacy_map_init(&map);
 *   flm_privacy_check(&g, prompt, len, &map, out, sizeof out, &res);
 *   switch (res.verdict) { LOCAL: answer here (local:pii); REDACTED: send out;
 *                          CLEAN, ALLOWED: send prompt }
 *   flm_privacy_restorer_init(&rs, &map, on_text, user);
 *   ... flm_privacy_restore(&rs, chunk, n) for each chunk of the answer ...
 *   flm_privacy_restore_flush(&rs);
 *   flm_privacy_map_deinit(&map);       (wipes the values it held)
 *
 * What is detected (bytes of UTF-8 text; a byte >= 0x80 is never part of a
 * word, so spans next to or inside non-English text are found as in
 * English; numbers and words must stand alone: an ASCII letter, digit or
 * '_' glued to either end means "not this"):
 *
 *   EMAIL        local@domain: local part [A-Za-z0-9._%+-] and Latin-script
 *                letters (U+00C0..U+024F), leading punctuation dropped;
 *                domain of two or more labels, the last an ASCII TLD of two
 *                or more letters (or xn--); a trailing '.' is not taken.
 *   PHONE        international: '+', "(+CC)" or a separate "00"/"00CC" group,
 *                then 8..15 digits (+1: exactly 11), groups of two or more
 *                digits (the one after the country code and a "(0)" may be
 *                shorter); national: North American 3-3-4 with an optional
 *                leading 1 and "(555)" area codes; trunk-0 numbers
 *                (020 7946 0958, 06 12 34 56 78, 030/1234567, 0612345678)
 *                of 9..12 digits; Chinese mobiles 1[3-9] + 9 digits, bare
 *                or 3-4-4. Separators: one space (also no-break and thin
 *                spaces), '-', '.', en dash, and '/' after a trunk-0 area.
 *   CARD         13..19 digits, bare or in groups of four (the last 1..4)
 *                or 4-6-5 / 4-6-4, spaces or dashes; Luhn-valid and with
 *                a card network's leading digits (2221-2720, 3[0456789],
 *                4, 5, 6).
 *   IBAN         two letters, two check digits, the BBAN, bare or in groups
 *                of four; mod-97 valid; the length of the country's IBAN
 *                (a table of the registry's countries), 15..34 otherwise.
 *   SSN          US AAA-GG-SSSS (dashes or spaces; area not 000, 666 or
 *                900-999, group not 00, serial not 0000).
 *   NATIONAL_ID  UK National Insurance numbers (AB 12 34 56 C, upper case,
 *                HMRC's prefix rules); Spanish DNI (12345678Z) and NIE
 *                (X1234567L) with their check letter; Canadian SIN 3-3-3
 *                (Luhn); Indian Aadhaar 4-4-4 (Verhoeff, first digit 2-9).
 *                No generic "long number" rule: it would fire on ordinary
 *                numbers.
 *   IP           IPv4 dotted quads (octets 0..255, no leading zeros, not
 *                part of a longer dotted chain); IPv6 in full (8 groups) or
 *                with "::" (at least two groups and one of three or more
 *                hex digits, or an IPv4 tail: "::1" is not personal).
 *   DENY_WORD    the configured phrases, ASCII-case-blind, a space in a
 *                phrase matching any run of white space, whole words where
 *                the phrase starts or ends with a letter or digit.
 *
 * Not matched on purpose: years, quantities, prices, decimals (3.14159),
 * dates (2024-01-15, 15.01.2024, 01/02/2024), times (10:30:45), version
 * strings (1.2.3, v2.10.4), 7-digit local numbers (555-1234), bare 10-digit
 * numbers not starting with 0 (order numbers, Unix times), a number failing
 * its checksum (Luhn, mod 97, check letter, Verhoeff), "@handles",
 * user@localhost, MAC addresses, obfuscated addresses ("at ... dot").
 *
 * A tight separator ('-', '.', '/') binds the digits around it into one
 * number, so a match never starts or ends at one (1.2.3.4.5 is no address,
 * 555-123-4567-89 no phone); a space does not (two phones may be listed
 * "555 123 4567 555 987 6543"). Spans that overlap are merged into one (the
 * type of the longest), so no byte of any detection survives redaction.
 *
 * Cost: every pass is linear in the prompt's length with bounded
 * look-ahead, and keeping the spans sorted costs at most cap per span (cap
 * is FLM_PRIVACY_SPANS_MAX in flm_privacy_check; a scan stops at the first
 * span beyond cap). flm_privacy_t.steps counts the inner steps of the last
 * scan; the tests hold it under 40 per byte on adversarial input. No heap:
 * everything is in the caller's structs (sizes in core/base/config.h:
 * FLM_PRIVACY_*).
 */
#ifndef FLM_PRIVACY_H
#define FLM_PRIVACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/base/ini.h"

/* ---- what is detected ----------------------------------------------------- */

#define FLM_PII_TYPES_LIST(X)                                   \
    X(FLM_PII_EMAIL, "EMAIL", "email")                          \
    X(FLM_PII_PHONE, "PHONE", "phone")                          \
    X(FLM_PII_CARD, "CARD", "card")                             \
    X(FLM_PII_IBAN, "IBAN", "iban")                             \
    X(FLM_PII_SSN, "SSN", "ssn")                                \
    X(FLM_PII_NATIONAL_ID, "NATIONAL_ID", "national_id")        \
    X(FLM_PII_IP, "IP", "ip")                                   \
    X(FLM_PII_DENY_WORD, "DENY_WORD", "deny_word")

typedef enum {
#define FLM_PII_ENUM_(id, tag, key) id,
    FLM_PII_TYPES_LIST(FLM_PII_ENUM_)
#undef FLM_PII_ENUM_
    FLM_PII_TYPES
} flm_pii_type_t;

#define FLM_PII_ALL ((1u << FLM_PII_TYPES) - 1u) /* a mask of every type */

/* "EMAIL": the placeholder's tag; "email": the name in [privacy] detect. */
const char *flm_pii_type_tag(flm_pii_type_t t);
const char *flm_pii_type_key(flm_pii_type_t t);

typedef struct {
    size_t         off, len; /* bytes of the prompt */
    flm_pii_type_t type;
} flm_pii_span_t;

/* ---- policy and settings ([privacy]) -------------------------------------- */

typedef enum {
    FLM_PRIVACY_LOCAL_ONLY = 0, /* a prompt with personal data never leaves: answered locally */
    FLM_PRIVACY_REDACT,         /* sent with placeholders, restored in the answer */
    FLM_PRIVACY_ALLOW,          /* sent as it is */
} flm_privacy_policy_t;

const char *flm_privacy_policy_name(flm_privacy_policy_t p); /* "local-only" */

#define FLM_PRIVACY_DETECT_BYTES 96u /* [privacy] detect: every type's name fits */

typedef struct {
    uint32_t policy;                          /* flm_privacy_policy_t: local-only | redact | allow */
    char     deny_words[FLM_PRIVACY_DENY_BYTES]; /* "a phrase, another phrase" */
    char     detect[FLM_PRIVACY_DETECT_BYTES];   /* "all" (default), "none", or "email, phone, ..." */
    uint32_t types;                           /* derived from detect: bit (1u << type); deny words
                                                 are always on */
} flm_privacy_settings_t;

/* Defaults: policy local-only, no deny words, every type detected. */
void flm_privacy_settings_init(flm_privacy_settings_t *s);

/* The [privacy] section (core/guard/privacy_config.c; only with
 * FLM_CFG_DEVICE_FILE): policy, deny_words, detect. */
extern const flm_ini_section_t flm_privacy_ini_section;

/* Check a deny_words list: FLM_OK and *n phrases, or FLM_ERR_CONFIG_VALUE
 * for an empty phrase (*bad = its 1-based number) or FLM_ERR_OVERFLOW for
 * more than FLM_PRIVACY_DENY_MAX (or a list longer than
 * FLM_PRIVACY_DENY_BYTES - 1). n and bad may be NULL. */
flm_err_t flm_privacy_deny_check(const char *list, size_t *n, size_t *bad);

/* "email, phone" / "all" / "none" into a type mask (DENY_WORD excluded);
 * FLM_ERR_CONFIG_VALUE for an unknown name (*bad_off, may be NULL, is its
 * offset). */
flm_err_t flm_privacy_types_parse(const char *list, uint32_t *types, size_t *bad_off);

/* "email,phone": a mask's names, for logs (never the values). Returns the
 * length written; buf is always NUL-terminated when cap > 0. */
size_t flm_privacy_types_text(uint32_t types, char *buf, size_t cap);

/* ---- the guard --------------------------------------------------------------- */

typedef struct {
    flm_privacy_policy_t policy;
    uint32_t types;
    char     deny[FLM_PRIVACY_DENY_BYTES];    /* the phrases, trimmed, one space inside */
    uint16_t deny_off[FLM_PRIVACY_DENY_MAX];
    uint16_t deny_len[FLM_PRIVACY_DENY_MAX];
    size_t   n_deny;
    size_t   steps;                           /* inner steps of the last scan */
    flm_pii_span_t spans[FLM_PRIVACY_SPANS_MAX]; /* flm_privacy_check's */
    size_t   n_spans;
} flm_privacy_t;

/* s NULL: the defaults. FLM_ERR_CONFIG_VALUE / FLM_ERR_OVERFLOW for a bad
 * deny list (as flm_privacy_deny_check), FLM_ERR_ARG for a bad policy. */
flm_err_t flm_privacy_init(flm_privacy_t *g, const flm_privacy_settings_t *s);
void      flm_privacy_deinit(flm_privacy_t *g); /* wipes the deny phrases and spans */

/* Every span in [text, text + len), sorted, not overlapping, into
 * spans[cap]; *n gets how many. FLM_ERR_OVERFLOW when there are more than
 * cap (spans then holds cap of them: the prompt certainly has personal
 * data, but cannot be redacted whole). */
flm_err_t flm_privacy_scan(flm_privacy_t *g, const char *text, size_t len, flm_pii_span_t *spans,
                           size_t cap, size_t *n);

/* ---- redaction and restoration ---------------------------------------------- */

typedef struct {
    uint8_t  type;      /* flm_pii_type_t */
    uint16_t index;     /* the N of [TYPE_N] */
    uint16_t off, len;  /* the original value in bytes[] */
} flm_privacy_entry_t;

/* Placeholders up to [TYPE_N] with N this high that a redacted text
 * already holds are kept out of use (higher ones are never given out). */
#define FLM_PRIVACY_RESERVE_MAX   (2u * FLM_PRIVACY_SPANS_MAX + 32u)
#define FLM_PRIVACY_RESERVE_WORDS ((FLM_PRIVACY_RESERVE_MAX + 31u) / 32u)

/* What a redaction replaced, to restore it: personal data, so wipe it with
 * flm_privacy_map_deinit when the answer is done. */
typedef struct {
    size_t              n;
    flm_privacy_entry_t entry[FLM_PRIVACY_SPANS_MAX];
    uint16_t            last[FLM_PII_TYPES]; /* the highest N given per type */
    uint32_t            reserved[FLM_PII_TYPES][FLM_PRIVACY_RESERVE_WORDS]; /* literals seen so far */
    size_t              used;
    char                bytes[FLM_PRIVACY_MAP_BYTES];
} flm_privacy_map_t;

void flm_privacy_map_init(flm_privacy_map_t *m);
void flm_privacy_map_deinit(flm_privacy_map_t *m); /* flm_wipe: no value survives */

/* The longest placeholder, "[NATIONAL_ID_65535]", NUL excluded. */
#define FLM_PRIVACY_PLACEHOLDER_MAX 19u

/* Copy text into out with each span replaced by its placeholder, numbered
 * per type in order of appearance; a value already in the map (the same
 * type and bytes, from this call or an earlier one on the same map: a
 * system message and a prompt) gets its placeholder again. A placeholder
 * already written in the text ("[EMAIL_1]" typed by the user) is never
 * given out, so restoring leaves it as it was: not in this text, nor in
 * any text redacted on the same map before or after it. A text holding a
 * placeholder the map already gave out (the user typed "[EMAIL_1]" in the
 * prompt, and the system message's address is [EMAIL_1]) cannot be told
 * apart from it in the answer: FLM_ERR_STATE (under flm_privacy_check,
 * LOCAL). out is NUL-terminated; *out_len excludes the NUL.
 * FLM_ERR_OVERFLOW: out too small; FLM_ERR_NOMEM: the map is full (entries
 * or bytes). On an error out and the map are wiped. */
flm_err_t flm_privacy_redact(flm_privacy_map_t *m, const char *text, size_t len,
                             const flm_pii_span_t *spans, size_t n_spans, char *out, size_t cap,
                             size_t *out_len);

/* The original value behind [TAG_index], or NULL. */
const char *flm_privacy_map_find(const flm_privacy_map_t *m, flm_pii_type_t type, uint32_t index,
                                 size_t *len);

/* The same signature as flm_ask_t's on_text. */
typedef flm_err_t (*flm_privacy_text_fn)(void *user, const char *text, size_t n);

/* Restores placeholders in a stream of chunks of any size (a placeholder
 * may be split across any number of them), holding back at most
 * FLM_PRIVACY_PLACEHOLDER_MAX bytes: text that cannot start a placeholder
 * goes straight to out, as slices of the chunk. Unknown placeholders
 * ([EMAIL_9] not in the map, [email_1], [EMAIL_01]) pass unchanged. */
typedef struct {
    const flm_privacy_map_t *map;
    flm_privacy_text_fn      out;
    void                    *user;
    char                     pend[FLM_PRIVACY_PLACEHOLDER_MAX];
    size_t                   n_pend;
    uint32_t                 cand;  /* types whose tag still matches pend */
    uint32_t                 index; /* the digits so far */
    uint8_t                  digits;
} flm_privacy_restorer_t;

void flm_privacy_restorer_init(flm_privacy_restorer_t *r, const flm_privacy_map_t *map,
                               flm_privacy_text_fn out, void *user);
/* out's error ends the call and is returned. */
flm_err_t flm_privacy_restore(flm_privacy_restorer_t *r, const char *chunk, size_t n);
/* The held-back bytes (an unfinished placeholder) as they are. */
flm_err_t flm_privacy_restore_flush(flm_privacy_restorer_t *r);

/* A whole answer at once into out (NUL-terminated). FLM_ERR_OVERFLOW if it
 * does not fit (out is then wiped). */
flm_err_t flm_privacy_restore_text(const flm_privacy_map_t *m, const char *text, size_t len,
                                   char *out, size_t cap, size_t *out_len);

/* ---- the policy applied to one prompt -------------------------------------- */

typedef enum {
    FLM_PRIVACY_CLEAN = 0, /* nothing detected: the prompt may leave as it is */
    FLM_PRIVACY_ALLOWED,   /* detected, policy allow: leaves as it is */
    FLM_PRIVACY_REDACTED,  /* detected, policy redact: send out[] instead */
    FLM_PRIVACY_LOCAL,     /* detected, local-only, or redaction impossible: must not leave */
} flm_privacy_verdict_t;

typedef struct {
    flm_privacy_verdict_t verdict;
    size_t    spans;      /* detected (FLM_PRIVACY_SPANS_MAX when there were more) */
    uint32_t  types;      /* bit (1u << type) per type detected */
    flm_err_t redact_err; /* why redact fell back to LOCAL (too many spans, out or map full) */
    size_t    out_len;    /* REDACTED: the length of out */
} flm_privacy_result_t;

/* Scan the prompt and decide; under redact, write the redacted prompt to
 * out (map and out may be NULL under the other policies). Fails closed: a
 * prompt that cannot be redacted whole (more spans than
 * FLM_PRIVACY_SPANS_MAX, out or the map too small) is LOCAL. Returns an
 * error only for a bad call. */
flm_err_t flm_privacy_check(flm_privacy_t *g, const char *text, size_t len, flm_privacy_map_t *map,
                            char *out, size_t cap, flm_privacy_result_t *res);

#endif /* FLM_PRIVACY_H */
