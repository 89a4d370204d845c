/* The JSON reader (core/proto/json_read.c): the full token walk, skip,
 * path lookups, string unescaping and integers, on any bytes. Invariants:
 * validate agrees with the walk, tokens lie inside the buffer, unescaped
 * strings are valid UTF-8 no longer than their raw form. */
#include "core/base/utf8.h"
#include "core/proto/json_read.h"
#include "tests/fuzz/fuzz.h"

static void check_string(const flm_json_token_t *t, const char *buf, size_t len)
{
    FUZZ_CHECK(t->raw >= buf && t->raw + t->raw_len <= buf + len);
    char out[256];
    size_t n = 0;
    flm_err_t e = flm_json_string(t, out, sizeof out, &n);
    if (e == FLM_OK) {
        FUZZ_CHECK(n <= t->raw_len && out[n] == '\0');
        for (size_t i = 0; i < n;) {
            uint32_t cp;
            size_t k = flm_utf8_decode((const uint8_t *)out + i, n - i, &cp);
            FUZZ_CHECK(k > 0);
            i += k;
        }
        FUZZ_CHECK(flm_json_string_eq(t, out) || memchr(out, '\0', n) != NULL);
    } else {
        FUZZ_CHECK(e == FLM_ERR_OVERFLOW);
        FUZZ_CHECK(memchr(out, '\0', sizeof out) != NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)flm_fuzz_copy(data, size);
    flm_err_t valid = flm_json_validate(buf, size);

    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, buf, size);
    flm_err_t err;
    size_t steps = 0;
    while ((err = flm_json_next(&r, &t)) == FLM_OK && t.type != FLM_JSON_END) {
        FUZZ_CHECK(++steps <= size + 1);
        if (t.type == FLM_JSON_STRING || t.type == FLM_JSON_KEY)
            check_string(&t, buf, size);
        if (t.type == FLM_JSON_NUMBER)
            FUZZ_CHECK(t.raw >= buf && t.raw + t.raw_len <= buf + size && t.raw_len > 0);
    }
    FUZZ_CHECK((err == FLM_OK) == (valid == FLM_OK));
    FUZZ_CHECK(flm_json_next(&r, &t) == err); /* sticky, or END again */

    /* Skip from the first token, then lookups along the paths the cloud reads. */
    flm_json_reader_init(&r, buf, size);
    if (flm_json_next(&r, &t) == FLM_OK)
        (void)flm_json_skip(&r, &t);
    static const char *const paths[] = { "", "choices[0].delta.content", "choices[0].message.content",
                                         "usage.total_tokens", "error.message", "[2].name", "a.b[1][0].c",
                                         "error", "choices[1]" };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        flm_json_reader_init(&r, buf, size);
        if (flm_json_find(&r, paths[i], &t) == FLM_OK && (t.type == FLM_JSON_STRING))
            check_string(&t, buf, size);
        int64_t v;
        (void)flm_json_find_int(buf, size, paths[i], &v);
        char s[32];
        size_t n;
        if (flm_json_find_string(buf, size, paths[i], s, sizeof s, &n) == FLM_OK)
            FUZZ_CHECK(n < sizeof s);
    }
    free((void *)buf);
    return 0;
}
