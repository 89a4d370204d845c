/* core/server: request decoding, numbers, the text filter, the output and
 * its encodings, the [server] section, memory. The loop itself is tested
 * end to end with real clients (tests/sh/serve_*.sh). */
#include <stdio.h>
#include <string.h>

#include "core/base/config.h"
#include "core/base/q16.h"
#include "core/proto/json_read.h"
#include "core/runtime/runtime.h"
#include "core/server/priv/server_openai.h"
#include "core/server/priv/server_text.h"
#include "core/server/server.h"
#include "tests/harness/harness.h"

static flm_err_t decode(flm_srv_kind_t kind, const char *body, flm_srv_request_t *rq,
                        char *text, size_t cap, const char **prompt, const char **system,
                        flm_srv_error_t *e)
{
    flm_err_t err = flm_srv_decode(kind, body, strlen(body), rq, NULL, 0, NULL, NULL, e);
    if (err || !text)
        return err;
    return flm_srv_decode(kind, body, strlen(body), rq, text, cap, prompt, system, e);
}

FLM_TEST(server_decode_chat)
{
    static const char body[] =
        "{\"model\":\"gpt-4o-mini\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"Be brief.\"},"
        "{\"role\":\"developer\",\"content\":[{\"type\":\"text\",\"text\":\"No lists.\"}]},"
        "{\"role\":\"user\",\"content\":\"Hi \\u00e9\\n\",\"name\":\"ann\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[]},"
        "{\"role\":\"assistant\",\"content\":\"Hello.\"},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Tell\"},{\"type\":\"text\",\"text\":\"me.\"}]}],"
        "\"max_completion_tokens\":42,\"temperature\":0.7,\"top_p\":1,\"seed\":-3,"
        "\"stop\":\"\\n\\n\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
        "\"n\":1,\"user\":\"u1\",\"frequency_penalty\":0.5,\"logprobs\":false,\"tools\":[],"
        "\"response_format\":{\"type\":\"text\"},\"metadata\":{\"a\":[1,2,{\"b\":null}]},\"echo\":7}";
    flm_srv_request_t rq;
    flm_srv_error_t e;
    char text[sizeof body + 2];
    const char *prompt, *system;
    FLM_CHECK_EQ(decode(FLM_SRV_CHAT, body, &rq, text, sizeof text, &prompt, &system, &e), FLM_OK);
    FLM_CHECK_MSG(strcmp(system, "Be brief.\nNo lists.") == 0, "system '%s'", system);
    FLM_CHECK_MSG(strcmp(prompt, "Hi \xc3\xa9\n\n\nHello.\n\nTell\nme.") == 0, "prompt '%s'", prompt);
    FLM_CHECK_EQ(rq.prompt_len, strlen(prompt));
    FLM_CHECK_EQ(rq.system_len, strlen(system));
    FLM_CHECK_EQ(rq.max_tokens, 42);
    FLM_CHECK(rq.has_temperature && rq.temperature == 45875); /* 0.7 */
    FLM_CHECK(rq.has_top_p && rq.top_p == FLM_Q16_ONE);
    FLM_CHECK(rq.has_seed && rq.seed == (uint64_t)-3);
    FLM_CHECK(rq.n_stop == 1 && strcmp(rq.stop[0], "\n\n") == 0);
    FLM_CHECK(rq.stream && rq.include_usage && !rq.echo);

    /* the smallest request; nulls are absent */
    static const char small[] = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                                "\"temperature\":null,\"stop\":null,\"max_tokens\":null}";
    FLM_CHECK_EQ(decode(FLM_SRV_CHAT, small, &rq, text, sizeof text, &prompt, &system, &e), FLM_OK);
    FLM_CHECK(strcmp(prompt, "x") == 0 && system == NULL);
    FLM_CHECK(!rq.has_temperature && rq.n_stop == 0 && rq.max_tokens == 0 && !rq.stream);

    /* text completions: a string or a list of one; stop lists; echo */
    static const char t1[] = "{\"prompt\":[\"Once upon\"],\"max_tokens\":5,\"stop\":[\"a\",\"bc\"],"
                             "\"echo\":true,\"temperature\":0}";
    FLM_CHECK_EQ(decode(FLM_SRV_TEXT, t1, &rq, text, sizeof text, &prompt, &system, &e), FLM_OK);
    FLM_CHECK(strcmp(prompt, "Once upon") == 0 && system == NULL);
    FLM_CHECK(rq.echo && rq.n_stop == 2 && strcmp(rq.stop[1], "bc") == 0);
    FLM_CHECK(rq.has_temperature && rq.temperature == 0);
    /* the text buffer the caller sizes from the body is always enough */
    char tight[sizeof t1 + 2];
    FLM_CHECK_EQ(decode(FLM_SRV_TEXT, t1, &rq, tight, sizeof tight, &prompt, &system, &e), FLM_OK);
}

typedef struct {
    uint8_t     kind;
    const char *body, *param, *code;
} bad_t;

FLM_TEST(server_decode_errors)
{
    static const bad_t cases[] = {
        { FLM_SRV_CHAT, "", "", "invalid_json" },
        { FLM_SRV_CHAT, "[1]", "", "invalid_json" },
        { FLM_SRV_CHAT, "{\"messages\":[}", "", "invalid_json" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]} x", "", "invalid_json" },
        { FLM_SRV_CHAT, "{}", "messages", "missing_required_parameter" },
        { FLM_SRV_CHAT, "{\"messages\":{}}", "messages", "invalid_type" },
        { FLM_SRV_CHAT, "{\"messages\":[]}", "messages", "invalid_value" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"}]}", "messages", "invalid_value" },
        { FLM_SRV_CHAT, "{\"messages\":[7]}", "messages[0]", "invalid_type" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"content\":\"x\"}]}", "messages[0].role", "missing_required_parameter" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"user\"}]}", "messages[0].content", "missing_required_parameter" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"robot\",\"content\":\"x\"}]}", "messages[0].role", "invalid_value" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"tool\",\"content\":\"x\"}]}", "messages[0].role", "unsupported_parameter" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", "messages[0].content", "invalid_type" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}",
          "messages[0].content", "unsupported_parameter" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\\u0000b\"}]}", "messages", "invalid_value" },
        { FLM_SRV_TEXT, "{}", "prompt", "missing_required_parameter" },
        { FLM_SRV_TEXT, "{\"prompt\":[1,2]}", "prompt", "unsupported_parameter" },
        { FLM_SRV_TEXT, "{\"prompt\":[\"a\",\"b\"]}", "prompt", "unsupported_parameter" },
        { FLM_SRV_TEXT, "{\"prompt\":true}", "prompt", "invalid_type" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"max_tokens\":0}", "max_tokens", "invalid_value" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"max_tokens\":1.5}", "max_tokens", "invalid_type" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"temperature\":\"hot\"}", "temperature", "invalid_type" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"temperature\":2.5}", "temperature", "invalid_value" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"temperature\":-0.1}", "temperature", "invalid_value" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"top_p\":1.01}", "top_p", "invalid_value" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"seed\":1.5}", "seed", "invalid_type" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"stop\":[\"\"]}", "stop", "invalid_value" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"stop\":[1]}", "stop", "invalid_type" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"stop\":\"0123456789012345678901234567890123\"}", "stop", "invalid_value" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"stream\":1}", "stream", "invalid_type" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"stream_options\":{\"include_usage\":true}}", "stream_options", "invalid_value" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"n\":3}", "n", "unsupported_parameter" },
        { FLM_SRV_TEXT, "{\"prompt\":\"x\",\"logprobs\":2}", "logprobs", "unsupported_parameter" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{}]}", "tools", "unsupported_parameter" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"response_format\":{\"type\":\"json_object\"}}",
          "response_format", "unsupported_parameter" },
        { FLM_SRV_CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"model\":3}", "model", "invalid_type" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        flm_srv_request_t rq;
        flm_srv_error_t e;
        memset(&e, 0, sizeof e);
        flm_err_t err = flm_srv_decode(cases[i].kind, cases[i].body, strlen(cases[i].body), &rq, NULL, 0,
                                       NULL, NULL, &e);
        FLM_CHECK_MSG(err == FLM_ERR_ARG, "case %zu: %d", i, err);
        FLM_CHECK_MSG(e.status == 400 && strcmp(e.type, "invalid_request_error") == 0, "case %zu", i);
        FLM_CHECK_MSG(strcmp(e.param, cases[i].param) == 0, "case %zu: param '%s'", i, e.param);
        FLM_CHECK_MSG(e.code && strcmp(e.code, cases[i].code) == 0, "case %zu: code '%s'", i,
                      e.code ? e.code : "(null)");
        FLM_CHECK_MSG(e.message[0], "case %zu: no message", i);
    }
}

FLM_TEST(server_number_q16)
{
    static const struct { const char *s; uint32_t q; } ok[] = {
        { "0", 0 }, { "1", 65536 }, { "2", 131072 }, { "0.7", 45875 }, { "0.5", 32768 },
        { "1e-1", 6554 }, { "7E-1", 45875 }, { "0.05", 3277 }, { "5e-2", 3277 }, { "00.5", 32768 },
        { "1.0", 65536 }, { "0.2e1", 131072 }, { "1e-40", 0 }, { "2.0000000", 131072 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint32_t q = 12345;
        FLM_CHECK_MSG(flm_srv_number_q16(ok[i].s, strlen(ok[i].s), 2u * FLM_Q16_ONE, &q), "%s", ok[i].s);
        FLM_CHECK_MSG(q == ok[i].q, "%s: %u", ok[i].s, (unsigned)q);
    }
    static const char *const bad[] = { "-1", "-0", "2.01", "1e2", "3", "", ".", "1..2", "1e", "1x",
                                       "99999999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint32_t q;
        FLM_CHECK_MSG(!flm_srv_number_q16(bad[i], strlen(bad[i]), 2u * FLM_Q16_ONE, &q), "'%s'", bad[i]);
    }
}

typedef struct {
    char   out[4096];
    size_t len;
    int    calls;
    size_t biggest;
} sink_t;

static flm_err_t sink(void *user, const char *s, size_t n)
{
    sink_t *k = user;
    if (n > sizeof k->out - k->len)
        return FLM_ERR_OVERFLOW;
    memcpy(k->out + k->len, s, n);
    k->len += n;
    k->calls++;
    if (n > k->biggest)
        k->biggest = n;
    return FLM_OK;
}

static void feed_all(flm_srv_text_t *t, const char *const *pieces)
{
    for (size_t i = 0; pieces[i]; i++)
        flm_srv_text_feed(t, pieces[i], strlen(pieces[i]));
    flm_srv_text_finish(t);
}

FLM_TEST(server_text_filter)
{
    flm_srv_text_t t;
    sink_t k;
    /* a character split between tokens is held until whole */
    memset(&k, 0, sizeof k);
    flm_srv_text_init(&t, NULL, 0, sink, &k);
    flm_srv_text_feed(&t, "caf\xc3", 4);
    FLM_CHECK_EQ(k.len, 3);
    flm_srv_text_feed(&t, "\xa9!", 2);
    flm_srv_text_finish(&t);
    FLM_CHECK(k.len == 6 && memcmp(k.out, "caf\xc3\xa9!", 6) == 0);
    /* bytes that start nothing, and an unfinished tail, become U+FFFD */
    memset(&k, 0, sizeof k);
    flm_srv_text_init(&t, NULL, 0, sink, &k);
    static const char *const junk[] = { "a\xff", "b\xe2\x82", "c", "\xf0\x9f\x98", NULL };
    feed_all(&t, junk);
    static const char want[] = "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd";
    FLM_CHECK_MSG(k.len == sizeof want - 1 && memcmp(k.out, want, k.len) == 0, "got %zu bytes", k.len);
    FLM_CHECK_EQ(flm_json_validate("\"\"", 2), FLM_OK);

    /* a stop sequence across pieces: never shown, the rest dropped */
    static const char stops[2][FLM_SERVER_STOP_BYTES] = { "world", "\n\n" };
    memset(&k, 0, sizeof k);
    flm_srv_text_init(&t, stops, 2, sink, &k);
    static const char *const p1[] = { "hello wo", "rld and more", " never", NULL };
    feed_all(&t, p1);
    FLM_CHECK(t.stopped);
    FLM_CHECK_MSG(k.len == 6 && memcmp(k.out, "hello ", 6) == 0, "'%.*s'", (int)k.len, k.out);
    /* a prefix that does not become one is let go */
    memset(&k, 0, sizeof k);
    flm_srv_text_init(&t, stops, 2, sink, &k);
    static const char *const p2[] = { "a wor", "m\n", "x", "\n", NULL };
    flm_srv_text_feed(&t, p2[0], strlen(p2[0]));
    FLM_CHECK_MSG(k.len == 2, "held: %zu", k.len); /* "wor" waits */
    flm_srv_text_feed(&t, p2[1], strlen(p2[1]));
    FLM_CHECK_MSG(k.len == 6, "let go: %zu", k.len); /* "a worm", the \n waits */
    flm_srv_text_feed(&t, p2[2], 1);
    flm_srv_text_feed(&t, p2[3], 1);
    flm_srv_text_finish(&t);
    FLM_CHECK(!t.stopped && k.len == 9 && memcmp(k.out, "a worm\nx\n", 9) == 0);

    /* a big piece leaves in bounded pieces cut between characters */
    static char big[3000];
    for (size_t i = 0; i < sizeof big; i += 3)
        memcpy(big + i, "\xe2\x82\xac", 3); /* euro signs */
    memset(&k, 0, sizeof k);
    flm_srv_text_init(&t, NULL, 0, sink, &k);
    flm_srv_text_feed(&t, big, sizeof big);
    flm_srv_text_finish(&t);
    FLM_CHECK(k.len == sizeof big && memcmp(k.out, big, sizeof big) == 0);
    FLM_CHECK(k.calls >= 6 && k.biggest <= FLM_SRV_TEXT_PIECE && k.biggest % 3 == 0);
    /* raw text bypasses the stops */
    memset(&k, 0, sizeof k);
    flm_srv_text_init(&t, stops, 2, sink, &k);
    flm_srv_text_raw(&t, "hello world", 11);
    FLM_CHECK(k.len == 11 && !t.stopped);
}

typedef struct {
    char   buf[8192];
    size_t len;
} acc_t;

static flm_err_t acc(void *user, const char *s, size_t n)
{
    acc_t *a = user;
    memcpy(a->buf + a->len, s, n);
    a->len += n;
    return FLM_OK;
}

FLM_TEST(server_output_encodings)
{
    flm_srv_answer_t a = {
        .kind = FLM_SRV_CHAT, .id = 0xabc, .created = 1700000000, .model = "stories260K",
        .text = "Hi \"you\"\n\t\x01 \xc3\xa9", .text_len = 14, .finish_reason = "length",
        .prompt_tokens = 5, .completion_tokens = 7, .reason = "local:confident", .score = "0.0123",
    };
    /* counted once, written through a tiny buffer: the same bytes */
    char small[7];
    acc_t got = { .len = 0 };
    flm_srv_out_t o;
    flm_srv_out_init(&o, small, sizeof small, NULL, NULL);
    flm_srv_write_completion(&o, &a);
    uint64_t counted = o.total;
    flm_srv_out_init(&o, small, sizeof small, acc, &got);
    flm_srv_write_completion(&o, &a);
    FLM_CHECK_EQ(flm_srv_out_end(&o), FLM_OK);
    FLM_CHECK_EQ(got.len, counted);
    got.buf[got.len] = '\0';
    FLM_CHECK_EQ(flm_json_validate(got.buf, got.len), FLM_OK);
    FLM_CHECK(flm_test_contains(got.buf, got.len, "\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion\""));
    FLM_CHECK(flm_test_contains(got.buf, got.len, "\"content\":\"Hi \\\"you\\\"\\n\\t\\u0001 \xc3\xa9\""));
    FLM_CHECK(flm_test_contains(got.buf, got.len, "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,\"total_tokens\":12}"));
    FLM_CHECK(flm_test_contains(got.buf, got.len, "\"fieldlm\":{\"route\":\"local\",\"reason\":\"local:confident\",\"degraded\":false,\"score\":0.0123}"));
    char content[64];
    size_t n;
    FLM_CHECK_EQ(flm_json_find_string(got.buf, got.len, "choices[0].message.content", content, sizeof content, &n), FLM_OK);
    FLM_CHECK(n == a.text_len && memcmp(content, a.text, n) == 0);

    /* SSE chunks: each one event of valid JSON */
    static const flm_srv_chunk_t kinds[] = { FLM_SRV_CHUNK_ROLE, FLM_SRV_CHUNK_TEXT, FLM_SRV_CHUNK_FINISH,
                                             FLM_SRV_CHUNK_USAGE };
    for (int kind = 0; kind < 2; kind++) {
        a.kind = (uint8_t)kind;
        for (size_t i = 0; i < 4; i++) {
            acc_t ev = { .len = 0 };
            char buf[1024];
            flm_srv_out_init(&o, buf, sizeof buf, acc, &ev);
            flm_srv_write_chunk(&o, &a, kinds[i], "piece", 5);
            flm_srv_out_end(&o);
            FLM_CHECK(ev.len > 8 && memcmp(ev.buf, "data: ", 6) == 0);
            FLM_CHECK(memcmp(ev.buf + ev.len - 2, "\n\n", 2) == 0);
            FLM_CHECK_MSG(flm_json_validate(ev.buf + 6, ev.len - 8) == FLM_OK, "kind %d chunk %zu", kind, i);
        }
    }
    acc_t done = { .len = 0 };
    char buf[64];
    flm_srv_out_init(&o, buf, sizeof buf, acc, &done);
    flm_srv_write_chunk(&o, &a, FLM_SRV_CHUNK_DONE, NULL, 0);
    flm_srv_out_end(&o);
    FLM_CHECK(done.len == 14 && memcmp(done.buf, "data: [DONE]\n\n", 14) == 0);

    /* errors and models */
    flm_srv_error_t e;
    flm_srv_error_set(&e, 400, "invalid_request_error", NULL, "invalid_json", "bad \"%s\"", "x");
    acc_t er = { .len = 0 };
    flm_srv_out_init(&o, buf, sizeof buf, acc, &er);
    flm_srv_write_error(&o, &e);
    flm_srv_out_end(&o);
    er.buf[er.len] = '\0';
    FLM_CHECK(strcmp(er.buf, "{\"error\":{\"message\":\"bad \\\"x\\\"\",\"type\":\"invalid_request_error\","
                             "\"param\":null,\"code\":\"invalid_json\"}}") == 0);
    acc_t m = { .len = 0 };
    flm_srv_out_init(&o, buf, sizeof buf, acc, &m);
    flm_srv_write_models(&o, "stories260K", "gpt-4o-mini");
    flm_srv_out_end(&o);
    FLM_CHECK_EQ(flm_json_validate(m.buf, m.len), FLM_OK);
    int64_t created;
    FLM_CHECK_EQ(flm_json_find_int(m.buf, m.len, "data[1].created", &created), FLM_OK);
}

FLM_TEST(server_section)
{
    flm_device_settings_t s;
    flm_ini_error_t err;
    static const char ok[] = "[server]\nlisten = ::1\nport = 9000\nslots = 16\nbody_max = 65536\n"
                             "auth_token = abc.DEF-123\nmax_tokens = 100\nmodel_name = kiosk-1\n"
                             "idle_timeout_ms = 100\n";
    FLM_CHECK_EQ(flm_device_settings_parse(&s, ok, strlen(ok), NULL, &err), FLM_OK);
    FLM_CHECK(s.has_server && strcmp(s.server.listen, "::1") == 0 && s.server.port == 9000);
    FLM_CHECK(s.server.slots == 16 && s.server.body_max == 65536 && s.server.max_tokens == 100);
    FLM_CHECK(strcmp(s.server.auth_token, "abc.DEF-123") == 0 && strcmp(s.server.model_name, "kiosk-1") == 0);
    FLM_CHECK(s.server.idle_timeout_ms == 100 && s.server.request_timeout_ms == 10000);
    flm_device_settings_deinit(&s);

    /* without the section: loopback, 8080, 4 slots */
    FLM_CHECK_EQ(flm_device_settings_parse(&s, "", 0, NULL, &err), FLM_OK);
    FLM_CHECK(!s.has_server && strcmp(s.server.listen, "127.0.0.1") == 0 && s.server.port == 8080);
    FLM_CHECK(s.server.slots == 4 && s.server.body_max == 32768 && !s.server.auth_token[0]);

    static const struct { const char *text, *msg; } bad[] = {
        { "[server]\nslots = 0\n", "slots" },
        { "[server]\nslots = 999\n", "slots" },
        { "[server]\nlisten = example.com\n", "numeric" },
        { "[server]\nport = 70000\n", "port" },
        { "[server]\nbody_max = 10\n", "body_max" },
        { "[server]\nslot = 3\n", "did you mean 'slots'" },
        { "[server]\nauth_token = has space\n", "auth_token" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FLM_CHECK_MSG(flm_device_settings_parse(&s, bad[i].text, strlen(bad[i].text), NULL, &err) != FLM_OK,
                      "case %zu", i);
        FLM_CHECK_MSG(strstr(err.message, bad[i].msg) != NULL, "case %zu: %s", i, err.message);
        FLM_CHECK(!strstr(err.message, "has space"));
    }
}

FLM_TEST(server_memory)
{
    flm_server_settings_t st;
    flm_server_settings_init(&st);
    static flm_engine_t engine;
    static flm_router_t router;
    router.engine = &engine;
    flm_server_config_t cfg = { .settings = &st, .router = &router, .local_model = "m" };
    size_t need;
    FLM_CHECK_EQ(flm_server_ram(&cfg, &need), FLM_OK);
    /* slots x (input, body, output) plus the prompt and the answer */
    size_t per = FLM_SERVER_IN_BYTES + st.body_max + FLM_SERVER_OUT_BYTES;
    FLM_CHECK(need >= 4 * per + st.body_max + FLM_SERVER_ANSWER_BYTES);
    FLM_CHECK(need < 4 * (per + 8192) + st.body_max + FLM_SERVER_ANSWER_BYTES + 4096);
    static uint8_t mem[1 << 20];
    static flm_server_t srv;
    FLM_CHECK_EQ(flm_server_init(&srv, &cfg, mem, need - 1), FLM_ERR_NOMEM);
    FLM_CHECK_EQ(flm_server_init(&srv, &cfg, mem + 1, need), FLM_OK); /* any alignment */
    FLM_CHECK_EQ(flm_server_port(&srv), 0);
    flm_server_stats_t s;
    flm_server_stats(&srv, &s);
    FLM_CHECK(s.busy == 0 && s.requests == 0);
    flm_server_deinit(&srv);
    st.slots = FLM_SERVER_SLOTS_MAX + 1;
    FLM_CHECK_EQ(flm_server_ram(&cfg, &need), FLM_ERR_ARG);
    st.slots = 2;
    cfg.router = NULL;
    FLM_CHECK_EQ(flm_server_ram(&cfg, &need), FLM_OK);
    FLM_CHECK_EQ(flm_server_init(&srv, &cfg, mem, sizeof mem), FLM_ERR_ARG);
}

static uint32_t rng_state = 12345u;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Mutated requests: decoding never reads outside the body, a body the
 * check accepts always fills (the texts exactly as long as measured), and
 * every refusal is a 400 with a message. */
FLM_TEST(server_decode_random)
{
    static const char *const seeds[] = {
        "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":"
        "[{\"type\":\"text\",\"text\":\"a\\u00e9\"}]}],\"stop\":[\"x\",\"yz\"],\"temperature\":0.5}",
        "{\"prompt\":[\"Once upon\"],\"max_tokens\":5,\"stream\":true,\"stream_options\":"
        "{\"include_usage\":true},\"seed\":3,\"echo\":false}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"\\ud83d\\ude00 \\\"q\\\" \\n\"},"
        "{\"role\":\"assistant\",\"content\":null}],\"top_p\":1e-1,\"n\":1}",
    };
    static char body[512], text[600];
    for (int iter = 0; iter < 20000; iter++) {
        const char *seed = seeds[rnd() % 3];
        size_t n = strlen(seed);
        memcpy(body, seed, n);
        for (int k = 1 + (int)(rnd() % 4); k > 0 && n > 0; k--) {
            size_t at = rnd() % n;
            switch (rnd() % 3) {
            case 0: body[at] = "{}[]\",:\\0a.-e"[rnd() % 14]; break;
            case 1: body[at] = (char)rnd(); break;
            default: n = at;
            }
        }
        flm_srv_kind_t kind = rnd() % 2 ? FLM_SRV_CHAT : FLM_SRV_TEXT;
        flm_srv_request_t rq;
        flm_srv_error_t e;
        memset(&e, 0, sizeof e);
        flm_err_t err = flm_srv_decode(kind, body, n, &rq, NULL, 0, NULL, NULL, &e);
        if (err) {
            FLM_CHECK_MSG(err == FLM_ERR_ARG && e.status == 400 && e.message[0], "iter %d: %d", iter, err);
            continue;
        }
        const char *prompt, *system;
        FLM_CHECK(rq.system_len + rq.prompt_len + 2 <= n + 2);
        err = flm_srv_decode(kind, body, n, &rq, text, n + 2, &prompt, &system, &e);
        FLM_CHECK_MSG(err == FLM_OK, "iter %d: the fill pass said %d", iter, err);
        FLM_CHECK(strlen(prompt) == rq.prompt_len);
        FLM_CHECK(!system || strlen(system) == rq.system_len);
    }
}
