#include <stdlib.h>
#include <string.h>

#include "core/proto/json_read.h"
#include "core/proto/json_write.h"
#include "tests/harness/harness.h"

/* A small deterministic PRNG for the robustness tests. */
static uint32_t rng_state = 12345u;
static uint32_t rnd(void)
{
    return flm_test_xorshift32(&rng_state);
}

FLM_TEST(json_write_document)
{
    char buf[256];
    flm_json_writer_t w;
    flm_json_writer_init(&w, buf, sizeof buf);
    flm_json_obj_begin(&w);
    flm_json_key(&w, "model");
    flm_json_str(&w, "gpt-4o-mini");
    flm_json_key(&w, "messages");
    flm_json_arr_begin(&w);
    flm_json_obj_begin(&w);
    flm_json_key(&w, "role");
    flm_json_str(&w, "user");
    flm_json_obj_end(&w);
    flm_json_arr_end(&w);
    flm_json_key(&w, "n");
    flm_json_arr_begin(&w);
    flm_json_int(&w, -42);
    flm_json_int(&w, INT64_MIN);
    flm_json_fixed(&w, 700, 3);
    flm_json_fixed(&w, -5, 2);
    flm_json_bool(&w, true);
    flm_json_null(&w);
    flm_json_arr_end(&w);
    flm_json_key(&w, "e");
    flm_json_obj_begin(&w);
    flm_json_obj_end(&w);
    flm_json_obj_end(&w);
    size_t len = 0;
    FLM_CHECK_EQ(flm_json_writer_finish(&w, &len), FLM_OK);
    const char *want = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\"}],"
                       "\"n\":[-42,-9223372036854775808,0.700,-0.05,true,null],\"e\":{}}";
    FLM_CHECK_MSG(strcmp(buf, want) == 0, "got %s", buf);
    FLM_CHECK_EQ(len, strlen(want));
    FLM_CHECK_EQ(flm_json_validate(buf, len), FLM_OK);
}

FLM_TEST(json_write_escapes_and_utf8)
{
    char buf[128];
    flm_json_writer_t w;
    flm_json_writer_init(&w, buf, sizeof buf);
    const char s[] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f h\xc3\xa9 \xf0\x9f\x98\x80";
    flm_json_strn(&w, s, sizeof s - 1);
    FLM_CHECK_EQ(flm_json_writer_finish(&w, NULL), FLM_OK);
    const char *want = "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f h\xc3\xa9 \xf0\x9f\x98\x80\"";
    FLM_CHECK_MSG(strcmp(buf, want) == 0, "got %s", buf);

    /* NUL inside a counted string is escaped, not a terminator. */
    flm_json_writer_init(&w, buf, sizeof buf);
    flm_json_strn(&w, "a\0b", 3);
    FLM_CHECK_EQ(flm_json_writer_finish(&w, NULL), FLM_OK);
    FLM_CHECK(strcmp(buf, "\"a\\u0000b\"") == 0);

    /* Invalid UTF-8: lone continuation, overlong, surrogate, truncated. */
    const char *bad[] = { "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xe2\x82", "\xf4\x90\x80\x80", "\xff" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        flm_json_writer_init(&w, buf, sizeof buf);
        FLM_CHECK_EQ(flm_json_str(&w, bad[i]), FLM_ERR_JSON_UTF8);
        FLM_CHECK_EQ(flm_json_writer_finish(&w, NULL), FLM_ERR_JSON_UTF8);
        FLM_CHECK_EQ(buf[0], '\0');
    }
}

FLM_TEST(json_write_never_truncates)
{
    char ref[128], buf[128];
    size_t full = 0;
    for (size_t cap = 1; cap <= sizeof buf; cap++) {
        flm_json_writer_t w;
        flm_json_writer_init(&w, buf, cap);
        flm_json_obj_begin(&w);
        flm_json_key(&w, "k\n");
        flm_json_str(&w, "v\x01\xc3\xa9");
        flm_json_key(&w, "a");
        flm_json_arr_begin(&w);
        flm_json_int(&w, 12345);
        flm_json_arr_end(&w);
        flm_json_obj_end(&w);
        size_t len = 99;
        flm_err_t err = flm_json_writer_finish(&w, &len);
        if (err) {
            FLM_CHECK_EQ(err, FLM_ERR_OVERFLOW);
            FLM_CHECK_EQ(len, 0);
            FLM_CHECK(full == 0);
        } else {
            if (!full) {
                full = len;
                memcpy(ref, buf, len + 1);
                FLM_CHECK_EQ(cap, len + 1); /* fits exactly with its NUL */
            }
            FLM_CHECK(strcmp(buf, ref) == 0);
        }
    }
    FLM_CHECK(full > 0);
    FLM_CHECK(strcmp(ref, "{\"k\\n\":\"v\\u0001\xc3\xa9\",\"a\":[12345]}") == 0);
}

FLM_TEST(json_write_misuse_is_an_error)
{
    char buf[64];
    flm_json_writer_t w;
    flm_json_writer_init(&w, buf, sizeof buf);
    flm_json_obj_begin(&w);
    FLM_CHECK_EQ(flm_json_int(&w, 1), FLM_ERR_STATE); /* value where a key is due */
    FLM_CHECK_EQ(flm_json_obj_end(&w), FLM_ERR_STATE); /* sticky */

    flm_json_writer_init(&w, buf, sizeof buf);
    flm_json_arr_begin(&w);
    FLM_CHECK_EQ(flm_json_obj_end(&w), FLM_ERR_STATE);

    flm_json_writer_init(&w, buf, sizeof buf);
    flm_json_arr_begin(&w);
    FLM_CHECK_EQ(flm_json_key(&w, "x"), FLM_ERR_STATE);

    flm_json_writer_init(&w, buf, sizeof buf);
    flm_json_obj_begin(&w);
    flm_json_key(&w, "x");
    FLM_CHECK_EQ(flm_json_obj_end(&w), FLM_ERR_STATE); /* key without value */

    flm_json_writer_init(&w, buf, sizeof buf);
    flm_json_int(&w, 1);
    FLM_CHECK_EQ(flm_json_int(&w, 2), FLM_ERR_STATE); /* two roots */

    flm_json_writer_init(&w, buf, sizeof buf);
    flm_json_arr_begin(&w);
    FLM_CHECK_EQ(flm_json_writer_finish(&w, NULL), FLM_ERR_STATE); /* unclosed */

    flm_json_writer_init(&w, buf, sizeof buf);
    for (int i = 0; i < FLM_JSON_WRITE_MAX_DEPTH; i++)
        FLM_CHECK_EQ(flm_json_arr_begin(&w), FLM_OK);
    FLM_CHECK_EQ(flm_json_arr_begin(&w), FLM_ERR_JSON_DEPTH);

    flm_json_writer_init(&w, NULL, 0);
    FLM_CHECK_EQ(flm_json_null(&w), FLM_ERR_ARG);
    flm_json_writer_init(&w, buf, sizeof buf);
    FLM_CHECK_EQ(flm_json_str(&w, NULL), FLM_ERR_ARG);
}

/* Render every token of a document as a compact string, to compare. */
static flm_err_t render(const char *doc, size_t len, char *out, size_t cap)
{
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, doc, len);
    size_t o = 0;
    for (;;) {
        flm_err_t err = flm_json_next(&r, &t);
        if (err)
            return err;
        if (t.type == FLM_JSON_END)
            break;
        char tmp[64];
        int n;
        if (t.type == FLM_JSON_NUMBER && t.is_int)
            n = snprintf(tmp, sizeof tmp, "i%lld ", (long long)t.ival);
        else
            n = snprintf(tmp, sizeof tmp, "%d:%.*s ", (int)t.type, (int)t.raw_len, t.raw);
        if (n < 0 || (size_t)n >= cap - o)
            return FLM_ERR_OVERFLOW;
        memcpy(out + o, tmp, (size_t)n + 1);
        o += (size_t)n;
    }
    return FLM_OK;
}

FLM_TEST(json_read_tokens)
{
    const char *doc = " {\"a\" : [1, -0, 2.5e3, \"x\\\"y\", true, false, null, {}, []],\n\"b\":{\"c\":-9223372036854775808}} ";
    char out[512];
    FLM_CHECK_EQ(render(doc, strlen(doc), out, sizeof out), FLM_OK);
    const char *want = "1:{ 5:a 3:[ i1 i0 7:2.5e3 6:x\\\"y 8:true 9:false 10:null 1:{ 2:} 3:[ 4:] 4:] "
                       "5:b 1:{ 5:c i-9223372036854775808 2:} 2:} ";
    FLM_CHECK_MSG(strcmp(out, want) == 0, "got %s", out);

    /* Scalars at the root; integers at and past the int64 edges. */
    FLM_CHECK_EQ(flm_json_validate("7", 1), FLM_OK);
    FLM_CHECK_EQ(flm_json_validate("\"\"", 2), FLM_OK);
    int64_t v = 0;
    FLM_CHECK_EQ(flm_json_find_int("9223372036854775807", 19, "", &v), FLM_OK);
    FLM_CHECK(v == INT64_MAX);
    FLM_CHECK_EQ(flm_json_find_int("9223372036854775808", 19, "", &v), FLM_ERR_JSON_RANGE);
    FLM_CHECK_EQ(flm_json_find_int("-9223372036854775809", 20, "", &v), FLM_ERR_JSON_RANGE);
    FLM_CHECK_EQ(flm_json_find_int("123456789012345678901234567890", 30, "", &v), FLM_ERR_JSON_RANGE);
    FLM_CHECK_EQ(flm_json_find_int("1.0", 3, "", &v), FLM_ERR_JSON_RANGE);
    FLM_CHECK_EQ(flm_json_find_int("\"1\"", 3, "", &v), FLM_ERR_JSON_TYPE);
}

FLM_TEST(json_read_rejects_malformed)
{
    const char *bad[] = {
        "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\" 1}",
        "{\"a\":1,}", "{,}", "{1:2}", "{'a':1}", "[1 2]", "01", "-", "1.", ".5", "1e",
        "1e+", "+1", "tru", "truex", "nul", "\"abc", "\"a\\\"", "\"\\x\"", "\"\\u12\"",
        "\"\\u12g4\"", "\"a\nb\"", "\"\x01\"", "[1]]", "{}{}", "1 2", "[\"\\", "\"\\u",
        "{\"a\":1]", "[1}", "\xef\xbb\xbf{}", "NaN", "Infinity", "[-]", "\"\\U0041\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        flm_err_t err = flm_json_validate(bad[i], strlen(bad[i]));
        FLM_CHECK_MSG(err == FLM_ERR_JSON_SYNTAX, "'%s' gave %d", bad[i], err);
    }
    /* NUL bytes inside the counted buffer are not whitespace or string bytes. */
    FLM_CHECK_EQ(flm_json_validate("[1]\0", 4), FLM_ERR_JSON_SYNTAX);
    FLM_CHECK_EQ(flm_json_validate("\"a\0\"", 4), FLM_ERR_JSON_SYNTAX);
    const char *utf[] = { "\"\x80\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xf8\x88\x80\x80\x80\"" };
    for (size_t i = 0; i < sizeof utf / sizeof utf[0]; i++)
        FLM_CHECK_EQ(flm_json_validate(utf[i], strlen(utf[i])), FLM_ERR_JSON_UTF8);
    /* NULL buffer is an empty document, i.e. an error, not a crash. */
    FLM_CHECK_EQ(flm_json_validate(NULL, 10), FLM_ERR_JSON_SYNTAX);
}

FLM_TEST(json_read_depth_limit)
{
    char doc[2 * FLM_JSON_MAX_DEPTH + 4];
    for (int d = FLM_JSON_MAX_DEPTH; d <= FLM_JSON_MAX_DEPTH + 1; d++) {
        size_t n = 0;
        for (int i = 0; i < d; i++)
            doc[n++] = '[';
        for (int i = 0; i < d; i++)
            doc[n++] = ']';
        flm_err_t want = d <= FLM_JSON_MAX_DEPTH ? FLM_OK : FLM_ERR_JSON_DEPTH;
        FLM_CHECK_EQ(flm_json_validate(doc, n), want);
    }
    /* A huge nesting attempt costs nothing: it fails at the limit. */
    static char deep[100000];
    memset(deep, '[', sizeof deep);
    FLM_CHECK_EQ(flm_json_validate(deep, sizeof deep), FLM_ERR_JSON_DEPTH);
}

FLM_TEST(json_read_unescape)
{
    const char *doc = "\"a\\n\\t\\\"\\\\\\/\\b\\f\\r\\u00e9\\u20AC\\ud83d\\ude00 \\ud800x\\udc00\\ud83d\\u0041\"";
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, doc, strlen(doc));
    FLM_CHECK_EQ(flm_json_next(&r, &t), FLM_OK);
    char out[64];
    size_t n = 0;
    FLM_CHECK_EQ(flm_json_string(&t, out, sizeof out, &n), FLM_OK);
    const char *want = "a\n\t\"\\/\b\f\r\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 "
                       "\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbd" "A";
    FLM_CHECK_EQ(n, strlen(want));
    FLM_CHECK(memcmp(out, want, n) == 0);
    FLM_CHECK(flm_json_string_eq(&t, want));
    FLM_CHECK(!flm_json_string_eq(&t, "a"));

    /* Too small a buffer is an error at every size, never a cut string. */
    for (size_t cap = 1; cap <= n; cap++)
        FLM_CHECK_EQ(flm_json_string(&t, out, cap, NULL), FLM_ERR_OVERFLOW);

    /* In place: decode over the token's own bytes. */
    char copy[128];
    strcpy(copy, doc);
    flm_json_reader_init(&r, copy, strlen(copy));
    FLM_CHECK_EQ(flm_json_next(&r, &t), FLM_OK);
    FLM_CHECK_EQ(flm_json_string(&t, (char *)t.raw, t.raw_len + 1, &n), FLM_OK);
    FLM_CHECK(memcmp(t.raw, want, n) == 0);

    /* \u0000 decodes to a NUL byte, counted in the length. */
    flm_json_reader_init(&r, "\"a\\u0000b\"", 10);
    FLM_CHECK_EQ(flm_json_next(&r, &t), FLM_OK);
    FLM_CHECK_EQ(flm_json_string(&t, out, sizeof out, &n), FLM_OK);
    FLM_CHECK_EQ(n, 3);
    FLM_CHECK(memcmp(out, "a\0b", 3) == 0);
    FLM_CHECK_EQ(flm_json_string(&(flm_json_token_t){ .type = FLM_JSON_NUMBER }, out, 8, NULL),
                 FLM_ERR_JSON_TYPE);
}

FLM_TEST(json_find_paths)
{
    const char *doc =
        "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"x\":[[1],{\"a\":2}],\"delta\":"
        "{\"role\":\"assistant\",\"content\":\"Hel\\u006co\"}},{\"index\":1}],"
        "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":12,\"total_tokens\":21},"
        "\"k\\u0065y\":5,\"arr\":[[0,[7,8]]]}";
    size_t len = strlen(doc);
    char s[32];
    size_t n;
    FLM_CHECK_EQ(flm_json_find_string(doc, len, "choices[0].delta.content", s, sizeof s, &n), FLM_OK);
    FLM_CHECK(strcmp(s, "Hello") == 0);
    int64_t v = 0;
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "usage.total_tokens", &v), FLM_OK);
    FLM_CHECK_EQ(v, 21);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "choices[1].index", &v), FLM_OK);
    FLM_CHECK_EQ(v, 1);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "key", &v), FLM_OK); /* escaped key */
    FLM_CHECK_EQ(v, 5);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "arr[0][1][1]", &v), FLM_OK);
    FLM_CHECK_EQ(v, 8);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "choices[0].x[1].a", &v), FLM_OK);
    FLM_CHECK_EQ(v, 2);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "choices[2].index", &v), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "usage.nope", &v), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "id.x", &v), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "usage[0]", &v), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "usage.", &v), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "choices[x]", &v), FLM_ERR_ARG);
    FLM_CHECK_EQ(flm_json_find_int(doc, len, "choices[0", &v), FLM_ERR_ARG);

    /* The reader stays usable inside a found container. */
    flm_json_reader_t r;
    flm_json_token_t t;
    flm_json_reader_init(&r, doc, len);
    FLM_CHECK_EQ(flm_json_find(&r, "usage", &t), FLM_OK);
    FLM_CHECK_EQ(t.type, FLM_JSON_OBJ);
    FLM_CHECK_EQ(flm_json_next(&r, &t), FLM_OK);
    FLM_CHECK(t.type == FLM_JSON_KEY && flm_json_string_eq(&t, "prompt_tokens"));

    /* A malformed document fails the lookup with its syntax error. */
    FLM_CHECK_EQ(flm_json_find_int("{\"a\":[1,}", 9, "b", &v), FLM_ERR_JSON_SYNTAX);
}

FLM_TEST(json_roundtrip_random_strings)
{
    static char in[300], doc[2000], out[400];
    for (int iter = 0; iter < 3000; iter++) {
        /* random bytes, then keep them only if they are valid UTF-8 for the
         * writer; invalid input must be rejected, never emitted */
        size_t n = rnd() % 256;
        for (size_t i = 0; i < n; i++)
            in[i] = (char)(rnd() % 4 == 0 ? 0xC0 + rnd() % 0x30 : rnd() % 0x80 + (rnd() % 8 == 0 ? 0x80 : 0));
        flm_json_writer_t w;
        flm_json_writer_init(&w, doc, sizeof doc);
        flm_json_arr_begin(&w);
        flm_json_strn(&w, in, n);
        flm_json_arr_end(&w);
        size_t len;
        flm_err_t err = flm_json_writer_finish(&w, &len);
        if (err) {
            FLM_CHECK_EQ(err, FLM_ERR_JSON_UTF8);
            continue;
        }
        flm_json_reader_t r;
        flm_json_token_t t;
        flm_json_reader_init(&r, doc, len);
        FLM_CHECK_EQ(flm_json_find(&r, "[0]", &t), FLM_OK);
        size_t m = 0;
        FLM_CHECK_EQ(flm_json_string(&t, out, sizeof out, &m), FLM_OK);
        FLM_CHECK_EQ(m, n);
        FLM_CHECK(memcmp(in, out, n) == 0);
        FLM_CHECK_EQ(flm_json_validate(doc, len), FLM_OK);
    }
}

FLM_TEST(json_read_random_bytes)
{
    /* Pure noise, and mutations of a real document: never a crash, every
     * result is OK or a JSON error code; every string found decodes. */
    static const char seed[] =
        "{\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"h\\u00e9\\ud83d\\ude00\"},"
        "\"finish_reason\":null}],\"usage\":{\"total_tokens\":-12.5e3},\"x\":[true,false,{}]}";
    static char buf[512];
    char out[600];
    for (int iter = 0; iter < 40000; iter++) {
        size_t n;
        if (iter % 2) {
            n = rnd() % 64;
            const char alpha[] = "{}[]:,\"\\u0123456789abcdefeE+-.tnrl \xc3\xa9\xf0";
            for (size_t i = 0; i < n; i++)
                buf[i] = rnd() % 4 ? alpha[rnd() % (sizeof alpha - 1)] : (char)rnd();
        } else {
            n = sizeof seed - 1;
            memcpy(buf, seed, n);
            for (int k = 1 + (int)(rnd() % 4); k > 0; k--) {
                size_t at = rnd() % n;
                switch (rnd() % 3) {
                case 0: buf[at] = (char)rnd(); break;
                case 1: n = at; break; /* truncate */
                default: memmove(buf + at, buf + at + 1, n - at - 1); n--;
                }
                if (n == 0)
                    break;
            }
        }
        flm_json_reader_t r;
        flm_json_token_t t;
        flm_json_reader_init(&r, buf, n);
        for (int steps = 0; steps < 1000; steps++) {
            flm_err_t err = flm_json_next(&r, &t);
            if (err) {
                FLM_CHECK(err == FLM_ERR_JSON_SYNTAX || err == FLM_ERR_JSON_UTF8 ||
                          err == FLM_ERR_JSON_DEPTH);
                break;
            }
            FLM_CHECK(t.raw == NULL || (t.raw >= buf && t.raw + t.raw_len <= buf + n));
            if (t.type == FLM_JSON_STRING || t.type == FLM_JSON_KEY)
                FLM_CHECK_EQ(flm_json_string(&t, out, sizeof out, NULL), FLM_OK);
            if (t.type == FLM_JSON_END)
                break;
        }
        char s[64];
        flm_err_t err = flm_json_find_string(buf, n, "choices[0].delta.content", s, sizeof s, NULL);
        FLM_CHECK(err <= 0);
    }
}
