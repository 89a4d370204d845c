#include <string.h>

#include "core/proto/json_read.h"
#include "core/cloud/openai.h"
#include "tests/fixtures/cloud_fixtures.h"
#include "tests/harness/harness.h"

static uint32_t rng_state = 99u;
static uint32_t rnd(void)
{
    return flm_test_xorshift32(&rng_state);
}

typedef struct {
    char   seen[512];
    size_t len;
    int    calls;
} deltas_t;

static flm_err_t on_delta(void *user, const char *text, size_t n)
{
    deltas_t *d = user;
    if (n > sizeof d->seen - d->len - 1)
        return FLM_ERR_OVERFLOW;
    memcpy(d->seen + d->len, text, n);
    d->len += n;
    d->seen[d->len] = '\0';
    d->calls++;
    return FLM_OK;
}

FLM_TEST(openai_request_body)
{
    char buf[512];
    size_t len;
    flm_openai_request_t rq = { .model = "gpt-4o-mini", .system = "Be brief.",
                                .prompt = "Say \"hi\"\n", .max_tokens = 64,
                                .temperature_milli = 700, .stream = true, .include_usage = true };
    FLM_CHECK_EQ(flm_openai_write_request(&rq, buf, sizeof buf, &len), FLM_OK);
    const char *want = "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                       "{\"role\":\"user\",\"content\":\"Say \\\"hi\\\"\\n\"}],\"max_tokens\":64,"
                       "\"temperature\":0.700,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
    FLM_CHECK_MSG(strcmp(buf, want) == 0, "got %s", buf);
    FLM_CHECK_EQ(flm_json_validate(buf, len), FLM_OK);

    flm_openai_request_t plain = { .model = "m", .prompt = "p", .temperature_milli = -1 };
    FLM_CHECK_EQ(flm_openai_write_request(&plain, buf, sizeof buf, &len), FLM_OK);
    FLM_CHECK(strcmp(buf, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"p\"}],\"stream\":false}") == 0);

    FLM_CHECK_EQ(flm_openai_write_request(&rq, buf, 40, &len), FLM_ERR_OVERFLOW);
    plain.prompt = "\xff";
    FLM_CHECK_EQ(flm_openai_write_request(&plain, buf, sizeof buf, &len), FLM_ERR_JSON_UTF8);
    plain.prompt = NULL;
    FLM_CHECK_EQ(flm_openai_write_request(&plain, buf, sizeof buf, &len), FLM_ERR_ARG);
}

FLM_TEST(openai_non_streaming_reply)
{
    char text[256];
    deltas_t d = { .len = 0 };
    flm_openai_result_t res;
    flm_openai_result_init(&res, text, sizeof text, on_delta, &d);
    FLM_CHECK_EQ(flm_openai_parse_response(&res, fx_completion, sizeof fx_completion - 1), FLM_OK);
    FLM_CHECK(strcmp(text, FX_ANSWER) == 0);
    FLM_CHECK_EQ(res.text_len, strlen(FX_ANSWER));
    FLM_CHECK(strcmp(d.seen, FX_ANSWER) == 0);
    FLM_CHECK_EQ(d.calls, 1);
    FLM_CHECK(strcmp(res.finish_reason, "stop") == 0);
    FLM_CHECK(res.has_usage && res.prompt_tokens == 19 && res.completion_tokens == 10 && res.total_tokens == 29);
    FLM_CHECK(res.done && !res.api_error);

    /* Answer buffer one byte too small: an error, not a cut answer. */
    flm_openai_result_init(&res, text, strlen(FX_ANSWER), NULL, NULL);
    FLM_CHECK_EQ(flm_openai_parse_response(&res, fx_completion, sizeof fx_completion - 1),
                 FLM_ERR_CLOUD_ANSWER_TOO_LONG);

    /* content null (e.g. a refusal or tool call) is an empty answer. */
    const char *nul = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null},\"finish_reason\":\"tool_calls\"}]}";
    flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
    FLM_CHECK_EQ(flm_openai_parse_response(&res, nul, strlen(nul)), FLM_OK);
    FLM_CHECK(res.text_len == 0 && strcmp(res.finish_reason, "tool_calls") == 0 && !res.has_usage);

    const char *bad[] = { "[]", "{}", "{\"choices\":[]}", "{\"choices\":[{\"message\":{\"content\":5}}]}",
                          "{\"choices\":[{\"message\":\"x\"}]}", "\"str\"" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
        FLM_CHECK_MSG(flm_openai_parse_response(&res, bad[i], strlen(bad[i])) == FLM_ERR_CLOUD_PROTOCOL, "%s", bad[i]);
    }
    flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
    FLM_CHECK_EQ(flm_openai_parse_response(&res, "{\"choices\":[", 12), FLM_ERR_JSON_SYNTAX);
}

FLM_TEST(openai_error_objects)
{
    char text[64];
    flm_openai_result_t res;
    flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
    FLM_CHECK_EQ(flm_openai_parse_error(&res, fx_quota_error, sizeof fx_quota_error - 1), FLM_ERR_CLOUD_QUOTA);
    FLM_CHECK(res.api_error && strcmp(res.err_type, "insufficient_quota") == 0);
    FLM_CHECK(strncmp(res.err_message, "You exceeded your current quota", 31) == 0);

    flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
    FLM_CHECK_EQ(flm_openai_parse_error(&res, fx_rate_error, sizeof fx_rate_error - 1), FLM_ERR_CLOUD_API);
    FLM_CHECK(strcmp(res.err_code, "rate_limit_exceeded") == 0 && strcmp(res.err_type, "requests") == 0);

    /* An error object in a 200 body is still an error. */
    flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
    FLM_CHECK_EQ(flm_openai_parse_response(&res, fx_rate_error, sizeof fx_rate_error - 1), FLM_ERR_CLOUD_API);

    /* A long message keeps a whole-character prefix. */
    char long_err[1200];
    int n = snprintf(long_err, sizeof long_err, "{\"error\":{\"message\":\"");
    for (int i = 0; i < 150; i++)
        n += snprintf(long_err + n, sizeof long_err - (size_t)n, "\\u00e9");
    n += snprintf(long_err + n, sizeof long_err - (size_t)n, "\",\"code\":null}}");
    flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
    FLM_CHECK_EQ(flm_openai_parse_error(&res, long_err, (size_t)n), FLM_ERR_CLOUD_API);
    FLM_CHECK(strlen(res.err_message) == sizeof res.err_message - 1 - (sizeof res.err_message - 1) % 2);
    FLM_CHECK(res.err_code[0] == '\0');

    flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
    FLM_CHECK_EQ(flm_openai_parse_error(&res, "{\"error\":\"Model not found\"}", 27), FLM_ERR_CLOUD_API);
    FLM_CHECK(strcmp(res.err_message, "Model not found") == 0);
    FLM_CHECK_EQ(flm_openai_parse_error(&res, "<html>502</html>", 16), FLM_ERR_NOT_FOUND);
    FLM_CHECK_EQ(flm_openai_parse_error(&res, "{\"detail\":\"x\"}", 14), FLM_ERR_NOT_FOUND);
}

static flm_err_t stream_all(const char *body, size_t n, int mode, flm_openai_result_t *res,
                            char *text, size_t cap, deltas_t *d)
{
    static char ev[1024];
    flm_openai_stream_t st;
    memset(d, 0, sizeof *d);
    flm_openai_result_init(res, text, cap, on_delta, d);
    flm_err_t err = flm_openai_stream_init(&st, ev, sizeof ev, res);
    size_t i = 0;
    while (!err && i < n) {
        size_t k = mode == 0 ? n - i : mode == 1 ? 1 : 1 + rnd() % 40;
        if (k > n - i)
            k = n - i;
        err = flm_openai_stream_feed(&st, (const uint8_t *)body + i, k);
        i += k;
    }
    return err ? err : flm_openai_stream_finish(&st);
}

FLM_TEST(openai_streaming_matches_non_streaming)
{
    char text[256], text2[256];
    flm_openai_result_t whole, res;
    deltas_t d;
    flm_openai_result_init(&whole, text2, sizeof text2, NULL, NULL);
    FLM_CHECK_EQ(flm_openai_parse_response(&whole, fx_completion, sizeof fx_completion - 1), FLM_OK);
    for (int mode = 0; mode < 3; mode++) {
        for (int rep = 0; rep < (mode == 2 ? 30 : 1); rep++) {
            FLM_CHECK_EQ(stream_all(fx_stream, sizeof fx_stream - 1, mode, &res, text, sizeof text, &d), FLM_OK);
            FLM_CHECK(strcmp(text, whole.text) == 0);
            FLM_CHECK(strcmp(d.seen, FX_ANSWER) == 0);
            FLM_CHECK_EQ(d.calls, 3); /* the empty first delta is not passed on */
            FLM_CHECK(strcmp(res.finish_reason, whole.finish_reason) == 0);
            FLM_CHECK(res.has_usage && res.prompt_tokens == whole.prompt_tokens &&
                      res.completion_tokens == whole.completion_tokens &&
                      res.total_tokens == whole.total_tokens);
            FLM_CHECK_EQ(res.chunks, 6);
            FLM_CHECK(res.done);
        }
    }
}

FLM_TEST(openai_stream_faults)
{
    char text[256];
    flm_openai_result_t res;
    deltas_t d;
    /* Error object mid-stream: the text so far is kept, the error reported. */
    FLM_CHECK_EQ(stream_all(fx_stream_midway_error, sizeof fx_stream_midway_error - 1, 1, &res, text,
                            sizeof text, &d), FLM_ERR_CLOUD_API);
    FLM_CHECK(strcmp(text, "Partial") == 0 && strcmp(res.err_type, "server_error") == 0);
    /* event: error, with and without an object. */
    const char *ev = "event: error\ndata: {\"error\":{\"type\":\"insufficient_quota\",\"message\":\"q\"}}\n\n";
    FLM_CHECK_EQ(stream_all(ev, strlen(ev), 0, &res, text, sizeof text, &d), FLM_ERR_CLOUD_QUOTA);
    const char *ev2 = "event: error\ndata: overloaded\n\n";
    FLM_CHECK_EQ(stream_all(ev2, strlen(ev2), 0, &res, text, sizeof text, &d), FLM_ERR_CLOUD_API);
    /* Cut anywhere before [DONE]: never a success. */
    for (size_t cut = 0; cut < sizeof fx_stream - 1; cut += 1 + rnd() % 7) {
        flm_err_t err = stream_all(fx_stream, cut, 2, &res, text, sizeof text, &d);
        FLM_CHECK_MSG(err == FLM_ERR_CLOUD_NO_DONE, "cut %zu: %d", cut, err);
    }
    /* [DONE] without its blank line is still a cut stream. */
    FLM_CHECK_EQ(stream_all("data: [DONE]\n", 13, 0, &res, text, sizeof text, &d), FLM_ERR_CLOUD_NO_DONE);
    FLM_CHECK_EQ(stream_all("data: [DONE]\r\n\r\n", 16, 0, &res, text, sizeof text, &d), FLM_OK);
    /* Malformed chunk JSON. */
    const char *bad = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}]}\n\n";
    FLM_CHECK_EQ(stream_all(bad, strlen(bad), 0, &res, text, sizeof text, &d), FLM_ERR_JSON_SYNTAX);
    const char *badtype = "data: {\"choices\":[{\"delta\":{\"content\":7}}]}\n\n";
    FLM_CHECK_EQ(stream_all(badtype, strlen(badtype), 0, &res, text, sizeof text, &d), FLM_ERR_CLOUD_PROTOCOL);
    FLM_CHECK_EQ(stream_all("data: [1]\n\n", 11, 0, &res, text, sizeof text, &d), FLM_ERR_CLOUD_PROTOCOL);
    /* Answer longer than the buffer. */
    FLM_CHECK_EQ(stream_all(fx_stream, sizeof fx_stream - 1, 0, &res, text, 20, &d),
                 FLM_ERR_CLOUD_ANSWER_TOO_LONG);
    /* Anything after [DONE] is ignored. */
    const char *after = "data: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"late\"}}]}\n\n";
    FLM_CHECK_EQ(stream_all(after, strlen(after), 0, &res, text, sizeof text, &d), FLM_OK);
    FLM_CHECK_EQ(res.text_len, 0);
}

FLM_TEST(openai_random_bytes)
{
    static char body[sizeof fx_stream];
    char text[256];
    flm_openai_result_t res;
    deltas_t d;
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = sizeof fx_stream - 1;
        memcpy(body, fx_stream, n);
        for (int k = 1 + (int)(rnd() % 4); k > 0; k--)
            body[rnd() % n] = rnd() % 2 ? (char)rnd() : "{}[]\":,\\\n"[rnd() % 9];
        flm_err_t err = stream_all(body, n, (int)(rnd() % 3), &res, text, sizeof text, &d);
        FLM_CHECK(err <= 0);
        FLM_CHECK(res.text_len < sizeof text && text[res.text_len] == '\0');
        flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
        memcpy(body, fx_completion, sizeof fx_completion - 1);
        n = sizeof fx_completion - 1;
        body[rnd() % n] = (char)rnd();
        err = flm_openai_parse_response(&res, body, n);
        FLM_CHECK(err <= 0);
    }
}

/* ---- the outside review's defects 1-3 --------------------------------------- */

static flm_err_t usage_of(const char *doc, flm_openai_result_t *res, bool chunk)
{
    static char text[256];
    flm_openai_result_init(res, text, sizeof text, NULL, NULL);
    return chunk ? flm_openai_parse_chunk(res, doc, strlen(doc))
                 : flm_openai_parse_response(res, doc, strlen(doc));
}

FLM_TEST(openai_usage_out_of_range_is_refused)
{
    static const char *const bad[] = {
        "\"prompt_tokens\":-1,\"completion_tokens\":2",
        "\"prompt_tokens\":1,\"completion_tokens\":-2,\"total_tokens\":3",
        "\"prompt_tokens\":9223372036854775807,\"completion_tokens\":1", /* sum overflowed (UB) */
        "\"prompt_tokens\":1000000001,\"completion_tokens\":1",
        "\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":-5",
        "\"prompt_tokens\":1e3,\"completion_tokens\":1",
        "\"prompt_tokens\":\"5\",\"completion_tokens\":1",
        "\"prompt_tokens\":99999999999999999999,\"completion_tokens\":1",
        "\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":1.5",
    };
    flm_openai_result_t res;
    char doc[512];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(doc, sizeof doc, "{\"choices\":[{\"message\":{\"content\":\"hi\"}}],\"usage\":{%s}}", bad[i]);
        FLM_CHECK_MSG(usage_of(doc, &res, false) == FLM_ERR_CLOUD_USAGE, "%s", doc);
        FLM_CHECK(!res.has_usage);
        snprintf(doc, sizeof doc, "{\"choices\":[],\"usage\":{%s}}", bad[i]);
        FLM_CHECK_MSG(usage_of(doc, &res, true) == FLM_ERR_CLOUD_USAGE, "%s", doc);
    }
    /* The limits themselves, a missing total (their sum) and usage null. */
    FLM_CHECK_EQ(usage_of("{\"choices\":[{\"message\":{\"content\":\"\"}}],\"usage\":{\"prompt_tokens\":1000000000,"
                          "\"completion_tokens\":1000000000}}", &res, false), FLM_OK);
    FLM_CHECK(res.has_usage && res.total_tokens == 2000000000);
    FLM_CHECK_EQ(usage_of("{\"choices\":[],\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":0,"
                          "\"total_tokens\":0}}", &res, true), FLM_OK);
    FLM_CHECK(res.has_usage && res.total_tokens == 0);
    FLM_CHECK_EQ(usage_of("{\"choices\":[],\"usage\":null}", &res, true), FLM_OK);
    FLM_CHECK(!res.has_usage);
}

/* Does s hold FLM_OPENAI_MASK_MIN or more bytes of key's start anywhere? */
static bool holds_key_part(const char *s, const char *key)
{
    for (; *s; s++) {
        size_t m = 0;
        while (key[m] && s[m] == key[m])
            m++;
        if (m >= FLM_OPENAI_MASK_MIN)
            return true;
    }
    return false;
}

FLM_TEST(openai_error_masks_the_key_before_the_cut)
{
    char text[64], key[251], doc[1200];
    flm_openai_result_t res;
    for (size_t i = 0; i < sizeof key - 1; i++)
        key[i] = "sk-proj-ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[i % 43];
    key[sizeof key - 1] = '\0';
    /* A short key straddling the 191-byte cut, a key longer than the whole
     * message limit, a key quoted twice, and a server's truncated copy. */
    static const size_t lens[] = { 40, 250, 32, 32 };
    static const size_t pads[] = { 150, 20, 5, 5 };
    for (size_t c = 0; c < 4; c++) {
        char k[251];
        memcpy(k, key, lens[c]);
        k[lens[c]] = '\0';
        int n = snprintf(doc, sizeof doc, "{\"error\":{\"message\":\"Incorrect API key provided: %.*s",
                         (int)pads[c], "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                                       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        if (c == 3)
            n += snprintf(doc + n, sizeof doc - (size_t)n, "%.12s...", k);
        else
            n += snprintf(doc + n, sizeof doc - (size_t)n, "%s%s%s", k, c == 2 ? " and " : "", c == 2 ? k : "");
        n += snprintf(doc + n, sizeof doc - (size_t)n, " end\",\"code\":\"%s\"}}", k);
        flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
        flm_openai_result_set_secret(&res, k);
        FLM_CHECK_EQ(flm_openai_parse_error(&res, doc, (size_t)n), FLM_ERR_CLOUD_API);
        FLM_CHECK_MSG(!holds_key_part(res.err_message, k), "case %zu: %s", c, res.err_message);
        FLM_CHECK_MSG(!holds_key_part(res.err_code, k), "case %zu: %s", c, res.err_code);
        FLM_CHECK(strncmp(res.err_message, "Incorrect API key provided: x", 29) == 0);
        FLM_CHECK_MSG(strchr(res.err_message, '*') != NULL, "case %zu: %s", c, res.err_message);
        /* The reset before a retry keeps the secret. */
        flm_openai_result_reset(&res);
        FLM_CHECK(res.secret == NULL || strcmp(res.secret, k) == 0);
    }
    /* Both shapes of error, and a short ordinary prefix is not masked. */
    flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
    flm_openai_result_set_secret(&res, "sk-abcdefghijkl");
    const char *s = "{\"error\":\"key sk-abcdefghijkl is wrong; sk-ab is a prefix\"}";
    FLM_CHECK_EQ(flm_openai_parse_error(&res, s, strlen(s)), FLM_ERR_CLOUD_API);
    FLM_CHECK_MSG(strcmp(res.err_message, "key *************** is wrong; sk-ab is a prefix") == 0, "%s",
                  res.err_message);
}

FLM_TEST(openai_error_text_escapes_control_bytes)
{
    char text[64];
    flm_openai_result_t res;
    flm_openai_result_init(&res, text, sizeof text, NULL, NULL);
    const char *s = "{\"error\":{\"message\":\"bad\\nfieldlm cloud: forged\\r\\u001b[31mred\\u0007 "
                    "\\\\x \\u009b2J \\u00e9\\t\\u007f\\u0000z\",\"type\":\"t\\u001b\"}}";
    FLM_CHECK_EQ(flm_openai_parse_error(&res, s, strlen(s)), FLM_ERR_CLOUD_API);
    FLM_CHECK_MSG(strcmp(res.err_message, "bad\\nfieldlm cloud: forged\\r\\x1b[31mred\\x07 \\\\x \\u009b2J "
                                          "\xc3\xa9\\t\\x7f\\x00z") == 0, "%s", res.err_message);
    FLM_CHECK(strcmp(res.err_type, "t\\x1b") == 0);

    /* A cut never splits an escape or a character. */
    char out[8];
    FLM_CHECK_EQ(flm_openai_safe_text(out, sizeof out, "abcde\x1b", 6, NULL), 5);
    FLM_CHECK(strcmp(out, "abcde") == 0);
    FLM_CHECK_EQ(flm_openai_safe_text(out, sizeof out, "abcde\xc3\xa9", 7, NULL), 7);
    FLM_CHECK_EQ(flm_openai_safe_text(out, sizeof out, "abcdef\xc3\xa9", 8, NULL), 6);
    FLM_CHECK_EQ(flm_openai_safe_text(out, sizeof out, "\xff\xfe", 2, NULL), 4);
    FLM_CHECK(strcmp(out, "\\xff") == 0);
    for (unsigned b = 0; b < 256; b++) {
        char in[1] = { (char)b }, o[16];
        size_t n = flm_openai_safe_text(o, sizeof o, in, 1, NULL);
        for (size_t i = 0; i < n; i++)
            FLM_CHECK((uint8_t)o[i] >= 0x20 && (uint8_t)o[i] != 0x7F && (uint8_t)o[i] < 0x80);
    }
}
