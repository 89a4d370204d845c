/*
 * The device's one configuration file: an INI text parsed without heap,
 * straight from the caller's buffer into each module's settings struct.
 *
 *   # comment (a '#' or ';' starts a comment only at the start of a line:
 *   ; API keys and URLs may contain either)
 *   [cloud]
 *   url   = https://api.openai.com/v1
 *   model = gpt-4o-mini
 *
 * A module describes its section once, as a table of keys (flm_ini_key_t:
 * name, type, where the value goes in its struct, range, required) and a
 * flm_ini_section_t (name, keys, defaults, a check for rules across keys).
 * The caller binds each section to its struct and makes one flm_ini_parse
 * call for the whole file; adding a section is one table in its module and
 * one more flm_ini_bind_t, nothing here.
 *
 * Lines are "[name]", "key = value", comments or blank; CRLF or LF; spaces
 * and tabs around names and values are dropped. Keys before the first
 * header belong to the caller's default section, so a file with no header
 * at all still reads. Errors: an unknown section or key (with the nearest
 * name as a suggestion), a key or section given twice, a bad value, a
 * missing required key, a NUL or control byte, a line or value too long.
 * The first error ends the parse and is described in a flm_ini_error_t
 * with the 1-based line. Values of secret keys (FLM_INI_SECRET) never
 * reach an error message: a bad one is described, never echoed, and the
 * text is only ever copied into its destination field.
 */
#ifndef FLM_INI_H
#define FLM_INI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/base/fmt.h"

/* Limits FLM_INI_LINE_MAX, FLM_INI_KEYS_MAX, FLM_INI_SECTIONS_MAX: core/base/config.h.
 * Section and key names in a schema, NUL included: */
#define FLM_INI_NAME_MAX 32u
#define FLM_INI_MSG_MAX  160u

typedef enum {
    FLM_INI_STRING, /* text: no control byte but tab; UTF-8 passes through */
    FLM_INI_SECRET, /* printable ASCII without spaces; never echoed */
    FLM_INI_U32,    /* decimal in [lo, hi], into a uint32_t */
    FLM_INI_BOOL,   /* true/false, yes/no, on/off, 1/0, into a bool */
    FLM_INI_ENUM,   /* one of names[], its index into a uint32_t */
    FLM_INI_PEM,    /* "-----BEGIN L-----", the lines after it up to
                       "-----END L-----" (L one of names[]), joined with '\n' */
} flm_ini_type_t;

typedef struct {
    const char        *name;
    flm_ini_type_t     type;
    size_t             offset;   /* of the field in the section's struct */
    size_t             size;     /* of the field: a string's capacity, NUL included */
    uint32_t           lo, hi;   /* FLM_INI_U32's accepted range */
    const char *const *names;    /* FLM_INI_ENUM's choices, FLM_INI_PEM's labels; NULL-ended */
    bool               required;
} flm_ini_key_t;

/* Schema rows, for a settings struct T and its field f. */
#define FLM_INI_FIELD_(T, f) .offset = offsetof(T, f), .size = sizeof ((T *)0)->f
#define FLM_INI_STR(T, f, req) \
    { .name = #f, .type = FLM_INI_STRING, FLM_INI_FIELD_(T, f), .required = (req) }
#define FLM_INI_SECRET_STR(T, f, req) \
    { .name = #f, .type = FLM_INI_SECRET, FLM_INI_FIELD_(T, f), .required = (req) }
#define FLM_INI_U32_RANGE(T, f, l, h, req) \
    { .name = #f, .type = FLM_INI_U32, FLM_INI_FIELD_(T, f), .lo = (l), .hi = (h), .required = (req) }
#define FLM_INI_BOOLEAN(T, f, req) \
    { .name = #f, .type = FLM_INI_BOOL, FLM_INI_FIELD_(T, f), .required = (req) }
#define FLM_INI_ENUMERATED(T, f, choices, req) \
    { .name = #f, .type = FLM_INI_ENUM, FLM_INI_FIELD_(T, f), .names = (choices), .required = (req) }
#define FLM_INI_PEM_BLOCK(T, f, labels, req) \
    { .name = #f, .type = FLM_INI_PEM, FLM_INI_FIELD_(T, f), .names = (labels), .required = (req) }

/* The first error: code is one of FLM_ERR_CONFIG_* (FLM_ERR_ARG for a bad
 * call or schema). message is the whole description after the location,
 * naming the key, and the section when line is 0, e.g.
 * "max_retries: 99 is out of range 0..20"; it never holds a secret. */
typedef struct {
    flm_err_t code;
    uint32_t  line;                      /* 1-based; 0: the section as a whole */
    char      section[FLM_INI_NAME_MAX]; /* "" when the line is in no section */
    char      key[FLM_INI_NAME_MAX];     /* the key concerned, or "" */
    char      message[FLM_INI_MSG_MAX];
} flm_ini_error_t;

/* What a section's check sees: the line each key was set on (0: not given,
 * the default stands). */
typedef struct {
    const struct flm_ini_section *section;
    const uint32_t               *lines;   /* one per section->keys[] */
    uint32_t                      header;  /* line of "[name]", 0 if none */
} flm_ini_seen_t;

typedef struct flm_ini_section {
    const char          *name;
    const flm_ini_key_t *keys;
    size_t               n_keys;
    size_t               size;  /* of the settings struct: wiped on failure */
    /* Defaults, before any line is read; NULL: all zero. */
    void (*init)(void *dst);
    /* Rules across keys, and values derived from several, once the section's
     * lines are all read and its required keys are present. NULL: none.
     * Report with flm_ini_fail. */
    flm_err_t (*check)(void *dst, const flm_ini_seen_t *seen, flm_ini_error_t *err);
} flm_ini_section_t;

/* One section of the device and the struct it fills. An optional section
 * may be absent from the file altogether: it keeps its defaults and skips
 * its required keys and check. */
typedef struct {
    const flm_ini_section_t *section;
    void                    *dst;
    bool                     optional;
    bool                    *present; /* may be NULL: set to whether the file had the section */
} flm_ini_bind_t;

/* Parse len bytes of text into the bound structs (each initialised first).
 * default_section names where keys before any header go (NULL: they are
 * an error). err may be NULL. On failure every bound struct is wiped, so
 * nothing half-parsed survives, a key least of all. */
flm_err_t flm_ini_parse(const char *text, size_t len, const flm_ini_bind_t *binds, size_t n_binds,
                        const char *default_section, flm_ini_error_t *err);

/* One key's typed setter, as the parser applies it to a line's value (not
 * for FLM_INI_PEM). For values that come from elsewhere, e.g. an API key
 * from the environment. err may be NULL. */
flm_err_t flm_ini_set(const flm_ini_key_t *key, void *dst, const char *value, size_t len,
                      flm_ini_error_t *err);

/* The line key was set on, 0 if it was not given (or is no key of the
 * section). */
uint32_t flm_ini_line(const flm_ini_seen_t *seen, const char *key);

/* Record an error from a check: message is "[section]: " when line is 0,
 * then the formatted text. key may be NULL. Returns code. */
flm_err_t flm_ini_fail(flm_ini_error_t *err, flm_err_t code, uint32_t line, const char *key,
                       const char *fmt, ...) FLM_PRINTF_LIKE(5, 6);

/* "FILE:LINE: message" ("FILE: message" when line is 0) into buf; file may
 * be NULL. Returns the length written. */
size_t flm_ini_error_format(const flm_ini_error_t *err, const char *file, char *buf, size_t cap);

#endif /* FLM_INI_H */
