#include <stdlib.h>
#include <string.h>

#include "core/base/ini.h"
#include "tests/harness/harness.h"

/* A section with every value type, and a second one. */
typedef struct {
    char     name[16];
    char     token[32]; /* secret */
    uint32_t count;     /* 0..100 */
    uint32_t big;       /* 0..UINT32_MAX */
    uint32_t five;      /* 5..5 */
    bool     on;
    uint32_t level;     /* quiet, info, debug */
    char     pem[128];
} demo_t;

typedef struct {
    char     host[32];
    uint32_t port;
} net_t;

static const char *const levels[] = { "quiet", "info", "debug", NULL };
static const char *const labels[] = { "CERTIFICATE", "PUBLIC KEY", NULL };

static const flm_ini_key_t demo_keys[] = {
    FLM_INI_STR(demo_t, name, true),
    FLM_INI_SECRET_STR(demo_t, token, false),
    FLM_INI_U32_RANGE(demo_t, count, 0, 100, false),
    FLM_INI_U32_RANGE(demo_t, big, 0, UINT32_MAX, false),
    FLM_INI_U32_RANGE(demo_t, five, 5, 5, false),
    FLM_INI_BOOLEAN(demo_t, on, false),
    FLM_INI_ENUMERATED(demo_t, level, levels, false),
    FLM_INI_PEM_BLOCK(demo_t, pem, labels, false),
};

static void demo_init(void *dst)
{
    demo_t *d = dst;
    memset(d, 0, sizeof *d);
    d->count = 7;
    d->level = 1;
}

static flm_ini_seen_t last_seen;

/* A rule across keys: count may not exceed big when both are given. */
static flm_err_t demo_check(void *dst, const flm_ini_seen_t *seen, flm_ini_error_t *err)
{
    demo_t *d = dst;
    last_seen = *seen;
    uint32_t lc = flm_ini_line(seen, "count"), lb = flm_ini_line(seen, "big");
    if (lc && lb && d->count > d->big)
        return flm_ini_fail(err, FLM_ERR_CONFIG_CONFLICT, 0, "count",
                            "count exceeds big (line %u and %u)", (unsigned)lc, (unsigned)lb);
    return FLM_OK;
}

static const flm_ini_section_t demo = {
    "demo", demo_keys, sizeof demo_keys / sizeof demo_keys[0], sizeof(demo_t), demo_init, demo_check,
};

static const flm_ini_key_t net_keys[] = {
    FLM_INI_STR(net_t, host, true),
    FLM_INI_U32_RANGE(net_t, port, 1, 65535, false),
};
static const flm_ini_section_t net = {
    "net", net_keys, sizeof net_keys / sizeof net_keys[0], sizeof(net_t), NULL, NULL,
};

static demo_t d;
static net_t nt;
static flm_ini_error_t err;

/* Just [demo], the default section. */
static flm_err_t one(const char *text)
{
    flm_ini_bind_t b = { &demo, &d, false, NULL };
    return flm_ini_parse(text, strlen(text), &b, 1, "demo", &err);
}

/* [demo] and an optional [net]; default given by the caller. */
static flm_err_t two(const char *text, const char *dflt, bool net_optional)
{
    flm_ini_bind_t b[] = { { &demo, &d, false, NULL }, { &net, &nt, net_optional, NULL } };
    return flm_ini_parse(text, strlen(text), b, 2, dflt, &err);
}

#define CHECK_ERR(call, want_code, want_line, want_msg)                                  \
    do {                                                                                 \
        flm_err_t got_ = (call);                                                         \
        FLM_CHECK_MSG(got_ == (want_code), "%s: %s, want %s (%s)", #call,                \
                      flm_err_name(got_), flm_err_name(want_code), err.message);          \
        FLM_CHECK_MSG(err.line == (want_line), "%s: line %u, want %u", #call,            \
                      (unsigned)err.line, (unsigned)(want_line));                        \
        FLM_CHECK_MSG(strcmp(err.message, (want_msg)) == 0, "%s: '%s'", #call,           \
                      err.message);                                                      \
    } while (0)

FLM_TEST(ini_default_section_and_headers)
{
    FLM_CHECK_EQ(one("name = a\ncount = 3\n"), FLM_OK);
    FLM_CHECK(strcmp(d.name, "a") == 0);
    FLM_CHECK_EQ(d.count, 3);
    FLM_CHECK_EQ(d.level, 1); /* init's default stands */
    FLM_CHECK_EQ(err.code, FLM_OK);
    FLM_CHECK_EQ(err.message[0], '\0');

    FLM_CHECK_EQ(one("[demo]\nname = b\n"), FLM_OK);
    FLM_CHECK(strcmp(d.name, "b") == 0);
    FLM_CHECK_EQ(last_seen.header, 1);
    FLM_CHECK_EQ(flm_ini_line(&last_seen, "name"), 2);
    FLM_CHECK_EQ(flm_ini_line(&last_seen, "count"), 0);
    FLM_CHECK_EQ(flm_ini_line(&last_seen, "nope"), 0);
    FLM_CHECK_EQ(one("name = c\n"), FLM_OK);
    FLM_CHECK_EQ(last_seen.header, 0);

    /* Keys before the first header go to the default section. */
    FLM_CHECK_EQ(two("name = x\n[net]\nhost = h\nport = 80\n", "demo", false), FLM_OK);
    FLM_CHECK(strcmp(d.name, "x") == 0);
    FLM_CHECK(strcmp(nt.host, "h") == 0);
    FLM_CHECK_EQ(nt.port, 80);
    FLM_CHECK_EQ(two("  [ net ]  \nhost=h\n[demo]\nname=y\n", NULL, false), FLM_OK);
    FLM_CHECK(strcmp(d.name, "y") == 0);
    FLM_CHECK_EQ(nt.port, 0); /* no init: zero */
    CHECK_ERR(two("name = x\n", NULL, true), FLM_ERR_CONFIG_SYNTAX, 1,
              "key outside any section (a [section] line must come first)");
    CHECK_ERR(two("name = x\n[net]\nhost = h\n", "net", false), FLM_ERR_CONFIG_KEY, 1,
              "unknown key 'name' in [net] (it is a key of [demo])");

    /* An optional section may be absent; a required one checks its keys. */
    FLM_CHECK_EQ(two("name = x\n", "demo", true), FLM_OK);
    CHECK_ERR(two("name = x\n", "demo", false), FLM_ERR_CONFIG_MISSING, 0,
              "[net]: missing required key 'host'");
    FLM_CHECK(strcmp(err.section, "net") == 0);
    FLM_CHECK(strcmp(err.key, "host") == 0);
    CHECK_ERR(two("[net]\nport = 1\n", "demo", true), FLM_ERR_CONFIG_MISSING, 0,
              "[net]: missing required key 'host'");
    CHECK_ERR(two("[net]\nhost = h\n", "demo", true), FLM_ERR_CONFIG_MISSING, 0,
              "[demo]: missing required key 'name'");

    /* An empty text is a file with nothing set. */
    flm_ini_bind_t b = { &net, &nt, true, NULL };
    FLM_CHECK_EQ(flm_ini_parse(NULL, 0, &b, 1, NULL, &err), FLM_OK);
    FLM_CHECK_EQ(flm_ini_parse("", 0, NULL, 0, NULL, NULL), FLM_OK);
    FLM_CHECK_EQ(flm_ini_parse("x = 1", 5, NULL, 0, NULL, &err), FLM_ERR_CONFIG_SYNTAX);
}

FLM_TEST(ini_comments_blank_lines_crlf_whitespace)
{
    const char *text =
        "# comment\r\n"
        "; another\r\n"
        "   # indented comment\n"
        "\t; indented too\n"
        "\n"
        "   \t \r\n"
        "[demo]\r\n"
        "\tname\t=\t a b#c;d \t\r\n" /* mid-line '#' and ';' are data */
        "token=#t;k=\n"               /* so is a leading '#' in a value, and '=' */
        "count =0\r\n"
        "on= yes";                    /* no final newline */
    FLM_CHECK_EQ(one(text), FLM_OK);
    FLM_CHECK(strcmp(d.name, "a b#c;d") == 0);
    FLM_CHECK(strcmp(d.token, "#t;k=") == 0);
    FLM_CHECK_EQ(d.count, 0);
    FLM_CHECK(d.on);
    FLM_CHECK_EQ(flm_ini_line(&last_seen, "on"), 11);
    FLM_CHECK_EQ(last_seen.header, 7);
    /* Only comments: nothing set, the required key is missing. */
    CHECK_ERR(one("# a\n; b\n"), FLM_ERR_CONFIG_MISSING, 0, "[demo]: missing required key 'name'");
    FLM_CHECK(strcmp(err.key, "name") == 0);
}

FLM_TEST(ini_unknown_and_duplicate_names_with_suggestions)
{
    static const struct {
        const char *text;
        flm_err_t   code;
        uint32_t    line;
        const char *message;
    } cases[] = {
        { "name = a\nconut = 1\n", FLM_ERR_CONFIG_KEY, 2,
          "unknown key 'conut' in [demo] (did you mean 'count'?)" },  /* swap */
        { "name = a\ncont = 1\n", FLM_ERR_CONFIG_KEY, 2,
          "unknown key 'cont' in [demo] (did you mean 'count'?)" },   /* one missing */
        { "name = a\nCOUNT = 1\n", FLM_ERR_CONFIG_KEY, 2,
          "unknown key 'COUNT' in [demo] (did you mean 'count'?)" },  /* case */
        { "name = a\ncuntt = 1\n", FLM_ERR_CONFIG_KEY, 2,
          "unknown key 'cuntt' in [demo] (did you mean 'count'?)" },  /* two edits */
        { "name = a\ncxxxt = 1\n", FLM_ERR_CONFIG_KEY, 2,
          "unknown key 'cxxxt' in [demo]" },                          /* three: none */
        { "name = a\nx = 1\n", FLM_ERR_CONFIG_KEY, 2, "unknown key 'x' in [demo]" },
        { "name = a\nonn = 1\n", FLM_ERR_CONFIG_KEY, 2,
          "unknown key 'onn' in [demo] (did you mean 'on'?)" },
        { "name = a\nabcdefghijklmnopqrstuvwxyz0123456789 = 1\n", FLM_ERR_CONFIG_KEY, 2,
          "unknown key 'abcdefghijklmnopqrstuvwx...' in [demo]" },     /* cut */
        { "[dmeo]\n", FLM_ERR_CONFIG_SECTION, 1, "unknown section [dmeo] (did you mean [demo]?)" },
        { "[Net]\n", FLM_ERR_CONFIG_SECTION, 1, "unknown section [Net] (did you mean [net]?)" },
        { "[server]\n", FLM_ERR_CONFIG_SECTION, 1, "unknown section [server]" },
        { "name = a\nname = b\n", FLM_ERR_CONFIG_DUPLICATE, 2, "name: given twice (first at line 1)" },
        { "[demo]\nname = a\n[net]\nhost = h\n\n[demo]\n", FLM_ERR_CONFIG_DUPLICATE, 6,
          "section [demo] given twice (first at line 1)" },
        { "name = a\n[net]\nhost = h\n[demo]\n", FLM_ERR_CONFIG_DUPLICATE, 4,
          "section [demo] given twice: the keys from line 1, before the first header, are in [demo]" },
        { "[demo]\n[demo]\n", FLM_ERR_CONFIG_DUPLICATE, 2, "section [demo] given twice (first at line 1)" },
        { "[net]\nhost = h\nhots = 2\n", FLM_ERR_CONFIG_KEY, 3,
          "unknown key 'hots' in [net] (did you mean 'host'?)" },
        /* The previous section is closed only by a valid header. */
        { "[net]\n[demo]\n", FLM_ERR_CONFIG_MISSING, 0, "[net]: missing required key 'host'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        flm_err_t e = two(cases[i].text, "demo", true);
        FLM_CHECK_MSG(e == cases[i].code, "case %zu: %s (%s)", i, flm_err_name(e), err.message);
        FLM_CHECK_MSG(err.line == cases[i].line, "case %zu: line %u", i, (unsigned)err.line);
        FLM_CHECK_MSG(strcmp(err.message, cases[i].message) == 0, "case %zu: '%s'", i, err.message);
    }
    FLM_CHECK_EQ(two("name = a\nconut = 1\n", "demo", true), FLM_ERR_CONFIG_KEY);
    FLM_CHECK(strcmp(err.key, "conut") == 0);
    FLM_CHECK(strcmp(err.section, "demo") == 0);
    FLM_CHECK_EQ(two("[dmeo]\n", "demo", true), FLM_ERR_CONFIG_SECTION);
    FLM_CHECK(strcmp(err.section, "dmeo") == 0);
    FLM_CHECK_EQ(err.key[0], '\0');
}

FLM_TEST(ini_syntax_errors)
{
    CHECK_ERR(one("name = a\njust words\n"), FLM_ERR_CONFIG_SYNTAX, 2, "expected [section] or key = value");
    CHECK_ERR(one("= a\n"), FLM_ERR_CONFIG_SYNTAX, 1, "no key name before '='");
    CHECK_ERR(one("na me = a\n"), FLM_ERR_CONFIG_SYNTAX, 1,
              "a key name holds only letters, digits, '_', '-' and '.'");
    CHECK_ERR(one("[demo\n"), FLM_ERR_CONFIG_SYNTAX, 1, "section header without its closing ']'");
    CHECK_ERR(one("[\n"), FLM_ERR_CONFIG_SYNTAX, 1, "section header without its closing ']'");
    CHECK_ERR(one("[demo] # no\n"), FLM_ERR_CONFIG_SYNTAX, 1, "text after the ']' of a section header");
    CHECK_ERR(one("[]\n"), FLM_ERR_CONFIG_SYNTAX, 1, "empty section name");
    CHECK_ERR(one("[ \t ]\n"), FLM_ERR_CONFIG_SYNTAX, 1, "empty section name");
    CHECK_ERR(one("[de mo]\n"), FLM_ERR_CONFIG_SYNTAX, 1,
              "a section name holds only letters, digits, '_', '-' and '.'");
    CHECK_ERR(one("[[demo]]\n"), FLM_ERR_CONFIG_SYNTAX, 1,
              "a section name holds only letters, digits, '_', '-' and '.'");
}

FLM_TEST(ini_value_types_and_range_edges)
{
    static const struct {
        const char *line;
        flm_err_t   code; /* FLM_OK: accepted */
        const char *message;
    } cases[] = {
        { "count = 0", FLM_OK, "" },
        { "count = 100", FLM_OK, "" },
        { "count = 007", FLM_OK, "" },
        { "count = 101", FLM_ERR_CONFIG_VALUE, "count: 101 is out of range 0..100" },
        { "count = 18446744073709551616", FLM_ERR_CONFIG_VALUE,
          "count: 18446744073709551616 is out of range 0..100" },
        { "count = 123456789012345678901234567890", FLM_ERR_CONFIG_VALUE,
          "count: 123456789012345678901234... is out of range 0..100" },
        { "count = -1", FLM_ERR_CONFIG_VALUE, "count: '-1' is not a decimal number" },
        { "count = +1", FLM_ERR_CONFIG_VALUE, "count: '+1' is not a decimal number" },
        { "count = 0x10", FLM_ERR_CONFIG_VALUE, "count: '0x10' is not a decimal number" },
        { "count = 1 2", FLM_ERR_CONFIG_VALUE, "count: '1 2' is not a decimal number" },
        { "count =", FLM_ERR_CONFIG_VALUE, "count: empty value" },
        { "big = 4294967295", FLM_OK, "" },
        { "big = 4294967296", FLM_ERR_CONFIG_VALUE, "big: 4294967296 is out of range 0..4294967295" },
        { "five = 5", FLM_OK, "" },
        { "five = 4", FLM_ERR_CONFIG_VALUE, "five: 4 is out of range 5..5" },
        { "five = 6", FLM_ERR_CONFIG_VALUE, "five: 6 is out of range 5..5" },
        { "on = true", FLM_OK, "" },
        { "on = off", FLM_OK, "" },
        { "on = 1", FLM_OK, "" },
        { "on = True", FLM_ERR_CONFIG_VALUE,
          "on: 'True' is not a boolean (true/false, yes/no, on/off, 1/0)" },
        { "on = 2", FLM_ERR_CONFIG_VALUE, "on: '2' is not a boolean (true/false, yes/no, on/off, 1/0)" },
        { "level = debug", FLM_OK, "" },
        { "level = quiet", FLM_OK, "" },
        { "level = loud", FLM_ERR_CONFIG_VALUE, "level: 'loud' is not one of quiet, info, debug" },
        { "level = Debug", FLM_ERR_CONFIG_VALUE, "level: 'Debug' is not one of quiet, info, debug" },
        { "token = 0123456789abcdef0123456789abcde", FLM_OK, "" },    /* 31: the field's capacity */
        { "token = 0123456789abcdef0123456789abcdef", FLM_ERR_CONFIG_TOO_LONG,
          "token: value longer than 31 bytes" },
        { "count = abcdefghijklmnopq", FLM_ERR_CONFIG_VALUE, "count: the value is not a decimal number" },
        { "on = abcdefghijklmnop", FLM_ERR_CONFIG_VALUE,
          "on: 'abcdefghijklmnop' is not a boolean (true/false, yes/no, on/off, 1/0)" },
        { "level = abcdefghijklmnopq", FLM_ERR_CONFIG_VALUE,
          "level: the value is not one of quiet, info, debug" },
        { "token = a\tb", FLM_ERR_CONFIG_VALUE,
          "token: a space, control or non-ASCII byte in the value (the value is not shown)" },
        { "token = caf\xc3\xa9", FLM_ERR_CONFIG_VALUE,
          "token: a space, control or non-ASCII byte in the value (the value is not shown)" },
        { "name = caf\xc3\xa9\ta", FLM_OK, "" },                       /* UTF-8 and tabs: text */
        { "name = 0123456789abcdef", FLM_ERR_CONFIG_TOO_LONG, "name: value longer than 15 bytes" },
        { "name = \x7f", FLM_ERR_CONFIG_SYNTAX, "control byte 0x7f at column 8" },
        { "pem = AAAA", FLM_ERR_CONFIG_VALUE,
          "pem: expected '-----BEGIN CERTIFICATE-----' and the PEM lines after it" },
        { "pem = -----BEGIN PRIVATE KEY-----", FLM_ERR_CONFIG_VALUE,
          "pem: expected '-----BEGIN CERTIFICATE-----' and the PEM lines after it" },
        { "pem = -----BEGIN CERTIFICATE-----", FLM_ERR_CONFIG_VALUE,
          "pem: no '-----END CERTIFICATE-----' line before the end of the file" },
    };
    char text[128];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        flm_snprintf(text, sizeof text, "[net]\nhost = h\n[demo]\nname = n\n%s\n", cases[i].line);
        if (strncmp(cases[i].line, "name", 4) == 0)
            flm_snprintf(text, sizeof text, "%s\n", cases[i].line);
        flm_err_t e = two(text, "demo", true);
        FLM_CHECK_MSG(e == cases[i].code, "case %zu (%s): %s (%s)", i, cases[i].line, flm_err_name(e),
                      err.message);
        FLM_CHECK_MSG(strcmp(err.message, cases[i].message) == 0, "case %zu: '%s'", i, err.message);
        if (e) {
            uint32_t want = strncmp(cases[i].line, "name", 4) == 0 ? 1 : 5;
            FLM_CHECK_MSG(err.line == want, "case %zu: line %u", i, (unsigned)err.line);
            /* (a line before any section is in none yet) */
            FLM_CHECK_MSG(strcmp(err.section, want == 1 && e == FLM_ERR_CONFIG_SYNTAX ? "" : "demo") == 0,
                          "case %zu: [%s]", i, err.section);
        }
    }
    FLM_CHECK_EQ(one("name = n\ncount = 100\nbig = 4294967295\non = yes\nlevel = debug\n"), FLM_OK);
    FLM_CHECK_EQ(d.count, 100);
    FLM_CHECK_EQ(d.big, UINT32_MAX);
    FLM_CHECK(d.on);
    FLM_CHECK_EQ(d.level, 2);
    FLM_CHECK_EQ(one("name = n\non = no\nlevel = quiet\ncount = 007\n"), FLM_OK);
    FLM_CHECK(!d.on);
    FLM_CHECK_EQ(d.level, 0);
    FLM_CHECK_EQ(d.count, 7);
    FLM_CHECK_EQ(one("name = caf\xc3\xa9\ta\n"), FLM_OK);
    FLM_CHECK(strcmp(d.name, "caf\xc3\xa9\ta") == 0);

    /* PEM: any listed label, END matching BEGIN, lines trimmed and joined. */
    FLM_CHECK_EQ(one("name = n\npem = -----BEGIN PUBLIC KEY-----\n  AAAA \r\n\n# not a comment\n"
                     "-----END PUBLIC KEY-----\ncount = 1\n"), FLM_OK);
    FLM_CHECK(strcmp(d.pem, "-----BEGIN PUBLIC KEY-----\nAAAA\n\n# not a comment\n"
                            "-----END PUBLIC KEY-----\n") == 0);
    FLM_CHECK_EQ(flm_ini_line(&last_seen, "pem"), 2);
    FLM_CHECK_EQ(flm_ini_line(&last_seen, "count"), 7);
    CHECK_ERR(one("name = n\npem = -----BEGIN CERTIFICATE-----\nAAAA\n-----END PUBLIC KEY-----\n"),
              FLM_ERR_CONFIG_VALUE, 4, "pem: no '-----END CERTIFICATE-----' line before the end of the file");
    CHECK_ERR(one("name = n\npem = -----BEGIN CERTIFICATE-----\nAA\x01\n-----END CERTIFICATE-----\n"),
              FLM_ERR_CONFIG_SYNTAX, 3, "control byte 0x01 at column 3");

    /* The check sees the values and the lines. */
    CHECK_ERR(one("name = n\nbig = 3\n\ncount = 4\n"), FLM_ERR_CONFIG_CONFLICT, 0,
              "[demo]: count exceeds big (line 4 and 2)");
    FLM_CHECK(strcmp(err.key, "count") == 0);
    FLM_CHECK_EQ(one("name = n\nbig = 4\ncount = 4\n"), FLM_OK);
}

FLM_TEST(ini_typed_setter)
{
    demo_t x;
    memset(&x, 0, sizeof x);
    const flm_ini_key_t *token = &demo_keys[1], *count = &demo_keys[2];
    FLM_CHECK_EQ(flm_ini_set(token, &x, "longer-token", 12, &err), FLM_OK);
    FLM_CHECK_EQ(flm_ini_set(token, &x, "tk", 2, &err), FLM_OK);
    static const char zeros[sizeof x.token - 2] = { 0 };
    FLM_CHECK(memcmp(x.token, "tk", 2) == 0 && memcmp(x.token + 2, zeros, sizeof zeros) == 0);
    FLM_CHECK_EQ(flm_ini_set(token, &x, "t k", 3, &err), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK(strcmp(err.message,
                     "token: a space, control or non-ASCII byte in the value (the value is not shown)") == 0);
    FLM_CHECK_EQ(err.line, 0);
    FLM_CHECK(strcmp(x.token, "tk") == 0); /* a refused value changes nothing */
    FLM_CHECK_EQ(flm_ini_set(token, &x, "a\r\nb", 4, NULL), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(flm_ini_set(count, &x, "42", 2, NULL), FLM_OK);
    FLM_CHECK_EQ(x.count, 42);
    FLM_CHECK_EQ(flm_ini_set(count, &x, "420", 3, &err), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK(strcmp(err.message, "count: 420 is out of range 0..100") == 0);
    FLM_CHECK_EQ(flm_ini_set(&demo_keys[7], &x, "x", 1, NULL), FLM_ERR_ARG); /* PEM: a block */
    FLM_CHECK_EQ(flm_ini_set(NULL, &x, "x", 1, NULL), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_ini_set(count, &x, NULL, 1, NULL), FLM_ERR_ARG);
}

FLM_TEST(ini_line_limits_nul_and_control_bytes)
{
    static char buf[FLM_INI_LINE_MAX + 64];
    /* A line of exactly FLM_INI_LINE_MAX bytes (its CR not counted) passes. */
    for (int extra = 0; extra < 2; extra++) {
        size_t len = 0;
        memcpy(buf, "name = n\n#", 10);
        len = 10;
        while (len - 9 < FLM_INI_LINE_MAX + (size_t)extra)
            buf[len++] = 'x';
        memcpy(buf + len, "\r\n", 3);
        flm_err_t e = one(buf);
        if (!extra) {
            FLM_CHECK_EQ(e, FLM_OK);
        } else {
            CHECK_ERR(e, FLM_ERR_CONFIG_TOO_LONG, 2, "line longer than 1024 bytes");
        }
    }
    CHECK_ERR(one("name = n\n\n\n count = 1\r\r\n"), FLM_ERR_CONFIG_SYNTAX, 4,
              "control byte 0x0d at column 11");
    CHECK_ERR(one("name = n\rcount = 1\n"), FLM_ERR_CONFIG_SYNTAX, 1, "control byte 0x0d at column 9");
    CHECK_ERR(one("# \x1b[31m\n"), FLM_ERR_CONFIG_SYNTAX, 1, "control byte 0x1b at column 3");
    CHECK_ERR(one("name = a\n[demo\x01]\n"), FLM_ERR_CONFIG_SYNTAX, 2, "control byte 0x01 at column 6");
    const char nul[] = "name = n\n# x\0y\n";
    flm_ini_bind_t b = { &demo, &d, false, NULL };
    CHECK_ERR(flm_ini_parse(nul, sizeof nul - 1, &b, 1, "demo", &err), FLM_ERR_CONFIG_SYNTAX, 2,
              "NUL byte at column 4");
    /* A NUL ends nothing: the length does. */
    const char tail[] = "name = n\0";
    CHECK_ERR(flm_ini_parse(tail, sizeof tail - 1, &b, 1, "demo", &err), FLM_ERR_CONFIG_SYNTAX, 1,
              "NUL byte at column 9");
    FLM_CHECK_EQ(flm_ini_parse(tail, sizeof tail - 2, &b, 1, "demo", &err), FLM_OK);
}

FLM_TEST(ini_line_numbers_are_exact)
{
    static const char *const body[] = {
        "# 1", "", "[demo]\r", "name = n", "   ", "pem = -----BEGIN CERTIFICATE-----", "AAAA",
        "-----END CERTIFICATE-----", "; 9", "[net]", "host = h", "", "\t",
    };
    char text[512];
    for (uint32_t at = 1; at <= 14; at++) {
        /* A bad line after line at - 1 of the body. */
        size_t len = 0;
        for (uint32_t i = 0; i + 1 < at; i++)
            len += flm_snprintf(text + len, sizeof text - len, "%s\n", body[i]);
        bool in_pem = at >= 7 && at <= 8;
        flm_snprintf(text + len, sizeof text - len, "bad line\n");
        flm_err_t e = two(text, "demo", true);
        if (in_pem) { /* inside the block: data, then no END line */
            FLM_CHECK_MSG(e == FLM_ERR_CONFIG_VALUE, "at %u: %s", at, flm_err_name(e));
            FLM_CHECK_EQ(err.line, at);
        } else {
            FLM_CHECK_MSG(e == FLM_ERR_CONFIG_SYNTAX, "at %u: %s", at, flm_err_name(e));
            FLM_CHECK_MSG(err.line == at, "at %u: line %u", at, (unsigned)err.line);
        }
    }
}

FLM_TEST(ini_error_format)
{
    flm_ini_error_t e;
    memset(&e, 0, sizeof e);
    e.code = FLM_ERR_CONFIG_VALUE;
    e.line = 7;
    strcpy(e.message, "max_retries: 99 is out of range 0..20");
    char out[128];
    FLM_CHECK_EQ(flm_ini_error_format(&e, "openai.conf", out, sizeof out), 52);
    FLM_CHECK(strcmp(out, "openai.conf:7: max_retries: 99 is out of range 0..20") == 0);
    flm_ini_error_format(&e, NULL, out, sizeof out);
    FLM_CHECK(strcmp(out, "line 7: max_retries: 99 is out of range 0..20") == 0);
    e.line = 0;
    flm_ini_error_format(&e, "", out, sizeof out);
    FLM_CHECK(strcmp(out, "max_retries: 99 is out of range 0..20") == 0);
    flm_ini_error_format(&e, "a.conf", out, 8);
    FLM_CHECK(strcmp(out, "a.conf:") == 0);
    e.message[0] = '\0';
    flm_ini_error_format(&e, "a.conf", out, sizeof out);
    FLM_CHECK(strcmp(out, "a.conf: bad configuration value") == 0);
    FLM_CHECK_EQ(flm_ini_error_format(&e, "a.conf", out, 0), 0);
    FLM_CHECK_EQ(flm_ini_error_format(NULL, "a.conf", out, sizeof out), 0);
    FLM_CHECK_EQ(out[0], '\0');

    /* flm_ini_fail: the section leads a message about the section as a whole. */
    memset(&e, 0, sizeof e);
    strcpy(e.section, "cloud");
    FLM_CHECK_EQ(flm_ini_fail(&e, FLM_ERR_CONFIG_MISSING, 0, "model", "missing required key '%s'",
                              "model"), FLM_ERR_CONFIG_MISSING);
    flm_ini_error_format(&e, "openai.conf", out, sizeof out);
    FLM_CHECK(strcmp(out, "openai.conf: [cloud]: missing required key 'model'") == 0);
    FLM_CHECK(strcmp(e.key, "model") == 0);
    flm_ini_fail(&e, FLM_ERR_CONFIG_VALUE, 3, NULL, "url: %s", "not an http:// or https:// URL");
    flm_ini_error_format(&e, "openai.conf", out, sizeof out);
    FLM_CHECK(strcmp(out, "openai.conf:3: url: not an http:// or https:// URL") == 0);
    FLM_CHECK_EQ(e.key[0], '\0');
}

FLM_TEST(ini_schema_mistakes_are_arg_errors)
{
    flm_ini_bind_t b = { &demo, &d, false, NULL };
    FLM_CHECK_EQ(flm_ini_parse(NULL, 3, &b, 1, "demo", &err), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_ini_parse("", 0, &b, 1, "nope", &err), FLM_ERR_ARG);
    FLM_CHECK(strcmp(err.message, "default section [nope] is not bound") == 0);
    flm_ini_bind_t twice[] = { { &demo, &d, false, NULL }, { &demo, &d, false, NULL } };
    FLM_CHECK_EQ(flm_ini_parse("", 0, twice, 2, NULL, &err), FLM_ERR_ARG);
    flm_ini_bind_t no_dst = { &demo, NULL, false, NULL };
    FLM_CHECK_EQ(flm_ini_parse("", 0, &no_dst, 1, NULL, &err), FLM_ERR_ARG);

    static const flm_ini_key_t bad_rows[][1] = {
        { FLM_INI_U32_RANGE(demo_t, on, 0, 1, false) },       /* a bool is no uint32_t */
        { FLM_INI_U32_RANGE(demo_t, count, 5, 1, false) },    /* empty range */
        { FLM_INI_BOOLEAN(demo_t, count, false) },
        { FLM_INI_ENUMERATED(demo_t, level, NULL, false) },
        { { .name = "bad name", .type = FLM_INI_STRING, .offset = 0, .size = 16 } },
        { { .name = "x", .type = FLM_INI_STRING, .offset = sizeof(demo_t) - 8, .size = 16 } },
        { { .name = "x", .type = (flm_ini_type_t)99, .offset = 0, .size = 4 } },
    };
    for (size_t i = 0; i < sizeof bad_rows / sizeof bad_rows[0]; i++) {
        flm_ini_section_t s = { "s", bad_rows[i], 1, sizeof(demo_t), NULL, NULL };
        flm_ini_bind_t sb = { &s, &d, false, NULL };
        FLM_CHECK_MSG(flm_ini_parse("", 0, &sb, 1, NULL, &err) == FLM_ERR_ARG, "row %zu", i);
        FLM_CHECK(strcmp(err.message, "[s]: bad schema row 0") == 0);
    }
    static const flm_ini_key_t dup[] = { FLM_INI_STR(demo_t, name, false), FLM_INI_STR(demo_t, name, false) };
    flm_ini_section_t s = { "s", dup, 2, sizeof(demo_t), NULL, NULL };
    flm_ini_bind_t sb = { &s, &d, false, NULL };
    FLM_CHECK_EQ(flm_ini_parse("", 0, &sb, 1, NULL, &err), FLM_ERR_ARG);
    flm_ini_section_t s2 = { "bad name", dup, 1, sizeof(demo_t), NULL, NULL };
    sb.section = &s2;
    FLM_CHECK_EQ(flm_ini_parse("", 0, &sb, 1, NULL, &err), FLM_ERR_ARG);
}

#define SECRET "sk/S3cr+t==abcdefghi" /* '/' and '+': never a name */

/* Whatever goes wrong near a secret, no message and no byte of the error
 * record holds it, and the failed parse leaves it nowhere in the struct. */
FLM_TEST(ini_secret_never_in_an_error)
{
    static const char *const texts[] = {
        "name = n\ntoken = " SECRET " x\n",           /* a space */
        "name = n\ntoken = " SECRET "\t\n",           /* trailing tab: trimmed, fine... */
        "name = n\ntoken = " SECRET "\x01\n",         /* control byte */
        "name = n\ntoken = " SECRET "\xc3\xa9\n",     /* non-ASCII */
        "name = n\ntoken = " SECRET SECRET "\n",      /* too long */
        "name = n\ntoken = " SECRET "\ntoken = " SECRET "\n",
        "name = n\ntoken = " SECRET "\ncount = " SECRET "\n",
        "name = n\ntoken = " SECRET "\nbogus = 1\n",
        "name = n\ntoken = " SECRET "\n" SECRET "\n",
        "name = n\ntoken = " SECRET "\n[" SECRET "]\n",
        "name = n\ntoken = " SECRET "\nbig = 1\ncount = 2\n",
        "token = " SECRET "\n",                      /* missing name */
        "name = n\n" SECRET " = x\n",
        "name = n\ntoken = " SECRET "\nlevel = " SECRET "\n",
        "name = n\ntoken = " SECRET "\non = " SECRET "\n",
        "name = n\ntoken = " SECRET "\npem = " SECRET "\n",
    };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        flm_err_t e = one(texts[i]);
        if (i == 1) {
            FLM_CHECK_EQ(e, FLM_OK);
            FLM_CHECK(strcmp(d.token, SECRET) == 0);
            continue;
        }
        FLM_CHECK_MSG(e != FLM_OK, "case %zu accepted", i);
        FLM_CHECK_MSG(!flm_test_contains(&err, sizeof err, SECRET), "case %zu: the secret in '%s'", i,
                      err.message);
        FLM_CHECK_MSG(!flm_test_contains(&err, sizeof err, "S3cr"), "case %zu: part of it in '%s'", i,
                      err.message);
        FLM_CHECK_MSG(!flm_test_contains(&d, sizeof d, "S3cr"), "case %zu: left in the struct", i);
        char out[256];
        flm_ini_error_format(&err, "x.conf", out, sizeof out);
        FLM_CHECK(!flm_test_contains(out, strlen(out), "S3cr"));
    }
}

/* Random bytes, INI-flavoured noise and mutated valid files: an error or a
 * result, never a crash or a read outside the text (the sanitizer run puts
 * each text in a buffer of exactly its size). */
FLM_TEST(ini_random_and_mutated_inputs)
{
    static const char good[] =
        "; device\r\n[demo]\nname = n\ntoken = " SECRET "\ncount = 5\nbig = 9\nfive = 5\non = yes\n"
        "level = info\npem = -----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
        "[net]\nhost = h\nport = 80\n";
    static const char alphabet[] = "[]=#; \t\r\n\n\nabcnamehostportonlevel0123456789-\x01\x7f\xc3";
    FLM_CHECK_EQ(two(good, "demo", false), FLM_OK);
    FLM_CHECK_EQ(nt.port, 80);
    uint32_t seed = 2024;
    for (int iter = 0; iter < 6000; iter++) {
        int mode = iter % 3;
        size_t len = mode == 2 ? sizeof good - 1 : flm_test_xorshift32(&seed) % 400;
        char *buf = malloc(len ? len : 1);
        FLM_CHECK(buf != NULL);
        if (mode == 2)
            memcpy(buf, good, len);
        for (size_t i = 0; i < len; i++) {
            uint32_t r = flm_test_xorshift32(&seed);
            if (mode == 0)
                buf[i] = (char)(r >> 24);
            else if (mode == 1 || (r >> 8) % 30 == 0)
                buf[i] = alphabet[(r >> 16) % (sizeof alphabet - 1)];
        }
        size_t lines = 1;
        for (size_t i = 0; i < len; i++)
            lines += buf[i] == '\n';
        flm_ini_bind_t b[] = { { &demo, &d, false, NULL }, { &net, &nt, iter % 2 == 0, NULL } };
        flm_err_t e = flm_ini_parse(buf, len, b, 2, iter % 4 ? "demo" : NULL, &err);
        FLM_CHECK_MSG(e == FLM_OK || flm_err_in(e, FLM_ERR_MODULE_CONFIG), "iter %d: %s", iter,
                      flm_err_name(e));
        FLM_CHECK(e == FLM_OK ? err.code == FLM_OK : err.code == e);
        FLM_CHECK(err.line <= lines);
        FLM_CHECK(memchr(err.message, '\0', sizeof err.message) != NULL);
        FLM_CHECK(e == FLM_OK || err.message[0]);
        FLM_CHECK_MSG(!flm_test_contains(&err, sizeof err, SECRET), "iter %d: '%s'", iter, err.message);
        FLM_CHECK(memchr(d.name, '\0', sizeof d.name) && memchr(d.pem, '\0', sizeof d.pem));
        free(buf);
    }
}
