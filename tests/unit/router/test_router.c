/* The router: features, parameters, score, rules and decisions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/q16.h"
#include "core/router/router.h"
#include "core/router/router_ask.h"
#include "core/runtime/runtime.h"
#include "port/posix/hal_posix.h"
#include "tests/fixtures/stories.h"
#include "tests/harness/harness.h"
#include "tests/unit/guard/cut_store.h"

static const flm_router_tokens_t no_tokens;

static void text_features(const char *s, int32_t f[FLM_ROUTER_FEATURES])
{
    flm_router_features((const uint8_t *)s, strlen(s), &no_tokens, f);
}

FLM_TEST(router_text_features)
{
    int32_t f[FLM_ROUTER_FEATURES];
    const int32_t one = (int32_t)FLM_Q16_ONE;
    text_features("What is 12 * 7?", f);
    FLM_CHECK_EQ(f[FLM_FEATURE_STARTS_WH], one);
    FLM_CHECK_EQ(f[FLM_FEATURE_HAS_DIGIT], one);
    FLM_CHECK_EQ(f[FLM_FEATURE_DIGIT_FRAC], 3 * one / 15);
    FLM_CHECK_EQ(f[FLM_FEATURE_OPERATORS], one / 4);
    FLM_CHECK_EQ(f[FLM_FEATURE_QUESTION_MARK], one);
    FLM_CHECK_EQ(f[FLM_FEATURE_ENDS_QUESTION], one);
    FLM_CHECK_EQ(f[FLM_FEATURE_STARTS_IMPERATIVE], 0);
    text_features("  Translate this, please", f);
    FLM_CHECK_EQ(f[FLM_FEATURE_STARTS_IMPERATIVE], one);
    FLM_CHECK_EQ(f[FLM_FEATURE_STARTS_WH], 0);
    /* dialogue in a story opens with a quote: not an instruction */
    text_features("\"Write your name,\" said Mom.", f);
    FLM_CHECK_EQ(f[FLM_FEATURE_STARTS_IMPERATIVE], 0);
    text_features("Which is prime?\nA) 4\nB) 9\nC) 11", f);
    FLM_CHECK_EQ(f[FLM_FEATURE_CHOICES], one);
    text_features("Pick one: (A) red (B) blue", f);
    FLM_CHECK_EQ(f[FLM_FEATURE_CHOICES], one);
    text_features("Lily saw A. Then B went home.", f); /* one "A." is not a list of choices */
    FLM_CHECK_EQ(f[FLM_FEATURE_CHOICES], 0);
    text_features("Anna had a cat.", f);
    FLM_CHECK_EQ(f[FLM_FEATURE_CHOICES], 0);
    text_features("int f() { return a[0]; }", f);
    FLM_CHECK_EQ(f[FLM_FEATURE_CODE_FRAC], 5 * one / 24);
    text_features("caf\xc3\xa9", f);
    FLM_CHECK_EQ(f[FLM_FEATURE_NONASCII_FRAC], 2 * one / 5);
    text_features("", f);
    for (int i = 0; i < FLM_ROUTER_FEATURES; i++)
        FLM_CHECK_EQ(f[i], 0);
    char big[2048];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    text_features(big, f);
    FLM_CHECK_EQ(f[FLM_FEATURE_LENGTH], 4 * one); /* capped */
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

FLM_TEST(router_token_quantiles_match_a_sort)
{
    static flm_router_tokens_t t;
    static int32_t sorted[FLM_ROUTER_MAX_TOKENS];
    uint32_t st = 99;
    for (int round = 0; round < 200; round++) {
        memset(&t, 0, sizeof t);
        t.n = 1 + flm_test_xorshift32(&st) % (FLM_ROUTER_MAX_TOKENS + 40); /* beyond the kept ones too */
        uint32_t kept = t.n < FLM_ROUTER_MAX_TOKENS ? t.n : FLM_ROUTER_MAX_TOKENS;
        uint32_t range = 1 + flm_test_xorshift32(&st) % 1000; /* many ties when small */
        for (uint32_t i = 0; i < kept; i++)
            t.nll[i] = (int32_t)(flm_test_xorshift32(&st) % range);
        memcpy(sorted, t.nll, kept * sizeof *sorted);
        qsort(sorted, kept, sizeof *sorted, cmp_i32);
        int32_t f[FLM_ROUTER_FEATURES];
        flm_router_features((const uint8_t *)"x", 1, &t, f);
        FLM_CHECK_EQ(f[FLM_FEATURE_NLL_P50], sorted[(kept - 1) * 50 / 100]);
        FLM_CHECK_EQ(f[FLM_FEATURE_NLL_P90], sorted[(kept - 1) * 90 / 100]);
    }
}

FLM_TEST(router_params_roundtrip_and_refusals)
{
    flm_router_params_t p = { .threshold = 4322, .bias = -1000000 }, q;
    for (int i = 0; i < FLM_ROUTER_FEATURES; i++)
        p.weight[i] = i * 1000;
    uint8_t blob[FLM_ROUTER_PARAMS_BYTES];
    flm_router_params_write(&p, blob);
    FLM_CHECK_EQ(flm_router_params_load(&q, blob, sizeof blob), FLM_OK);
    FLM_CHECK(memcmp(&p, &q, sizeof p) == 0);
    FLM_CHECK_EQ(flm_router_params_load(&q, blob, sizeof blob - 1), FLM_ERR_CONFIG_VALUE);
    blob[20] ^= 1; /* the CRC no longer matches */
    FLM_CHECK_EQ(flm_router_params_load(&q, blob, sizeof blob), FLM_ERR_CONFIG_VALUE);
    p.weight[3] = -1; /* a feature may only push towards the cloud */
    flm_router_params_write(&p, blob);
    FLM_CHECK_EQ(flm_router_params_load(&q, blob, sizeof blob), FLM_ERR_CONFIG_VALUE);
    p.weight[3] = 0;
    p.threshold = FLM_Q16_ONE + 1;
    flm_router_params_write(&p, blob);
    FLM_CHECK_EQ(flm_router_params_load(&q, blob, sizeof blob), FLM_ERR_CONFIG_VALUE);
}

FLM_TEST(router_score_is_a_monotone_sigmoid)
{
    flm_router_params_t p = { .threshold = 32768 };
    int32_t f[FLM_ROUTER_FEATURES] = { 0 };
    FLM_CHECK_EQ(flm_router_score(&p, f), 32768); /* sigmoid(0) */
    uint32_t last = 0;
    for (int32_t b = -20 * 65536; b <= 20 * 65536; b += 65536 / 4) {
        p.bias = b;
        uint32_t s = flm_router_score(&p, f);
        FLM_CHECK(s >= last && s <= FLM_Q16_ONE);
        last = s;
        p.bias = -b;
        FLM_CHECK_EQ(s + flm_router_score(&p, f), FLM_Q16_ONE); /* symmetric about 0 */
    }
    p.bias = 65536; /* sigmoid(1) = 0.7311 */
    char text[8];
    flm_route_score_text(flm_router_score(&p, f), text);
    FLM_CHECK(strcmp(text, "0.7311") == 0);
    flm_route_score_text(FLM_Q16_ONE, text);
    FLM_CHECK(strcmp(text, "1.0000") == 0);
    flm_route_score_text(0, text);
    FLM_CHECK(strcmp(text, "0.0000") == 0);
    FLM_CHECK(strcmp(flm_route_reason_name(FLM_REASON_LOCAL_CLOUD_FAILED), "local:cloud-failed") == 0);
}

FLM_TEST(router_section_values)
{
    static flm_device_settings_t s;
    flm_ini_error_t err;
    const char *ok = "[router]\nmode = cascade\nthreshold = 0.25\ncascade_nll = 2.5\n"
                     "force_cloud = a, b\n";
    FLM_CHECK_EQ(flm_device_settings_parse(&s, ok, strlen(ok), NULL, &err), FLM_OK);
    FLM_CHECK(s.has_router && s.router.mode == FLM_ROUTER_MODE_CASCADE);
    FLM_CHECK_EQ(s.router.threshold_q16, FLM_Q16_ONE / 4);
    FLM_CHECK_EQ(s.router.cascade_nll_q16, 5 * FLM_Q16_ONE / 2);
    const char *none = "[model]\ncontext = 8\n";
    FLM_CHECK_EQ(flm_device_settings_parse(&s, none, strlen(none), NULL, &err), FLM_OK);
    FLM_CHECK(!s.has_router && s.router.threshold_q16 == UINT32_MAX && s.router.cascade_window == 8);
    const char *bad = "[router]\nthreshold = 1.5\n";
    FLM_CHECK_EQ(flm_device_settings_parse(&s, bad, strlen(bad), NULL, &err), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK_EQ(err.line, 2);
    FLM_CHECK(strstr(err.message, "threshold") != NULL);
    const char *mode = "[router]\nmode = sometimes\n";
    FLM_CHECK_EQ(flm_device_settings_parse(&s, mode, strlen(mode), NULL, &err), FLM_ERR_CONFIG_VALUE);
}

/* Decisions on the real model, with the shipped parameters. */
FLM_TEST(router_decisions_and_rules)
{
    flm_test_stories_t st;
    if (!flm_test_stories_open(&st))
        FLM_SKIP("needs ../shared/models/stories260K.bin");
    static flm_runtime_t rt;
    flm_runtime_config_t rc = { .model_image = st.image, .model_size = st.model.image_size,
                                .need_model = true };
    FLM_CHECK_EQ(flm_runtime_init(&rt, &rc), FLM_OK);
    flm_engine_config_t ec = { .ctx_len = 64, .max_prompt_bytes = 512 };
    size_t need;
    FLM_CHECK_EQ(flm_runtime_engine_ram(&rt, &ec, &need), FLM_OK);
    uint8_t *mem = malloc(need);
    FLM_CHECK_EQ(flm_runtime_engine_init(&rt, &ec, mem, need), FLM_OK);
    FILE *f = fopen("tools/router/params/stories260K.router", "rb");
    FLM_CHECK(f != NULL);
    uint8_t blob[FLM_ROUTER_PARAMS_BYTES];
    FLM_CHECK_EQ(fread(blob, 1, sizeof blob, f), sizeof blob);
    fclose(f);
    flm_router_params_t p;
    FLM_CHECK_EQ(flm_router_params_load(&p, blob, sizeof blob), FLM_OK);
    flm_router_settings_t s;
    flm_router_settings_init(&s);
    static flm_router_t r;
    FLM_CHECK_EQ(flm_router_init(&r, &s, &p, &rt.engine, NULL), FLM_OK);

    flm_route_decision_t d;
    const char *easy = "Once upon a time, there was a little dog named Max.";
    const char *hard = "What is the boiling point of water in Kelvin?";
    FLM_CHECK_EQ(flm_router_decide(&r, (const uint8_t *)easy, strlen(easy), 0, FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.scored && d.route == FLM_ROUTE_LOCAL && d.reason == FLM_REASON_LOCAL_CONFIDENT);
    /* the prefill left the engine after the prompt: a local answer goes on from there */
    FLM_CHECK_EQ(rt.engine.pos + 1, rt.engine.n_prompt);
    flm_engine_token_t t;
    FLM_CHECK_EQ(flm_engine_step(&rt.engine, &t), FLM_OK);
    FLM_CHECK(!t.forced);
    FLM_CHECK_EQ(flm_router_decide(&r, (const uint8_t *)hard, strlen(hard), 0, FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_CLOUD && d.reason == FLM_REASON_CLOUD_DIFFICULTY);
    uint32_t hard_score = d.score;
    FLM_CHECK_EQ(flm_router_decide(&r, (const uint8_t *)hard, strlen(hard), 0, FLM_CLOUD_NONE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_LOCAL && d.reason == FLM_REASON_LOCAL_CLOUD_UNAVAILABLE);
    FLM_CHECK_EQ(flm_router_decide(&r, (const uint8_t *)hard, strlen(hard), 0, FLM_CLOUD_OFFLINE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_LOCAL && d.reason == FLM_REASON_LOCAL_OFFLINE);
    FLM_CHECK_EQ(d.score, hard_score); /* the same bits every time */

    strcpy(r.settings.force_local, "kelvin , zzz");
    FLM_CHECK_EQ(flm_router_decide(&r, (const uint8_t *)hard, strlen(hard), 0, FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_LOCAL && d.reason == FLM_REASON_LOCAL_RULE && !d.scored);
    strcpy(r.settings.force_cloud, "DOG");
    FLM_CHECK_EQ(flm_router_decide(&r, (const uint8_t *)easy, strlen(easy), 0, FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_CLOUD && d.reason == FLM_REASON_CLOUD_RULE);
    r.settings.force_cloud[0] = r.settings.force_local[0] = '\0';
    r.settings.mode = FLM_ROUTER_MODE_LOCAL;
    FLM_CHECK_EQ(flm_router_decide(&r, (const uint8_t *)hard, strlen(hard), 0, FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.reason == FLM_REASON_LOCAL_RULE);
    r.settings.mode = FLM_ROUTER_MODE_PRE;
    char longer[600];
    memset(longer, 'x', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    for (size_t i = 0; i < sizeof longer - 1; i += 4)
        longer[i] = ' ';
    FLM_CHECK_EQ(flm_router_decide(&r, (const uint8_t *)longer, 400, 0, FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_CLOUD && d.reason == FLM_REASON_CLOUD_TOO_LONG);
    FLM_CHECK_EQ(flm_router_decide(&r, (const uint8_t *)longer, 400, 0, FLM_CLOUD_OFFLINE, &d),
                 FLM_ERR_ENGINE_CONTEXT_FULL); /* nothing here can answer it */
    flm_runtime_deinit(&rt);
    free(mem);
    flm_test_stories_close(&st);
}

FLM_TEST(router_example_device_file_parses)
{
    FILE *f = fopen("tools/router/device.conf", "rb");
    FLM_CHECK(f != NULL);
    static char text[8192];
    size_t n = fread(text, 1, sizeof text, f);
    fclose(f);
    static flm_device_settings_t s;
    flm_ini_error_t err;
    FLM_CHECK_MSG(flm_device_settings_parse(&s, text, n, NULL, &err) == FLM_OK, "line %u: %s",
                  err.line, err.message);
    FLM_CHECK(s.has_model && s.has_router && s.has_cloud);
    FLM_CHECK_EQ(s.router.mode, FLM_ROUTER_MODE_PRE);
    FLM_CHECK_EQ(s.router.cascade_nll_q16, 3 * FLM_Q16_ONE);
    FLM_CHECK(s.has_privacy && s.has_queue && s.has_budget);
    FLM_CHECK(strcmp(s.queue.device_id, "kiosk-7") == 0 && !s.queue.enabled);
    FLM_CHECK(s.has_log && !s.log.escalations && s.log.when_full == FLM_ESCLOG_FULL_DROP_OLDEST);
    FLM_CHECK_EQ(s.budget.price_input_micro, 150);
    FLM_CHECK_EQ(s.budget.daily_money_micro, 500000);
    flm_device_settings_deinit(&s);
}

/* The guard comes before every rule and score. */
FLM_TEST(router_privacy_before_everything)
{
    flm_test_stories_t st;
    if (!flm_test_stories_open(&st))
        FLM_SKIP("needs ../shared/models/stories260K.bin");
    static flm_runtime_t rt;
    const char *conf = "[router]\nmode = cloud\n[privacy]\npolicy = local-only\n";
    flm_runtime_config_t rc = { .config_text = conf, .config_len = strlen(conf),
                                .model_image = st.image, .model_size = st.model.image_size,
                                .router_params = NULL, .need_model = true };
    static uint8_t blob[FLM_ROUTER_PARAMS_BYTES];
    flm_router_params_t zero = { .threshold = FLM_Q16_ONE };
    flm_router_params_write(&zero, blob);
    rc.router_params = blob;
    rc.router_params_size = sizeof blob;
    FLM_CHECK_EQ(flm_runtime_init(&rt, &rc), FLM_OK);
    flm_engine_config_t ec = { .ctx_len = 64, .max_prompt_bytes = 256 };
    size_t need;
    FLM_CHECK_EQ(flm_runtime_engine_ram(&rt, &ec, &need), FLM_OK);
    uint8_t *mem = malloc(need);
    FLM_CHECK_EQ(flm_runtime_engine_init(&rt, &ec, mem, need), FLM_OK);
    flm_route_decision_t d;
    const char *pii = "Mail the story to anna.berg@example.com please.";
    FLM_CHECK_EQ(flm_router_decide(&rt.router, (const uint8_t *)pii, strlen(pii), 0,
                                   FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_LOCAL && d.reason == FLM_REASON_LOCAL_PII);
    FLM_CHECK_EQ(d.pii_types, 1u << FLM_PII_EMAIL);
    const char *clean = "Tell the story of a bird.";
    FLM_CHECK_EQ(flm_router_decide(&rt.router, (const uint8_t *)clean, strlen(clean), 0,
                                   FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_CLOUD && d.reason == FLM_REASON_CLOUD_MODE && !d.pii_types);
    /* redact: the decision stands, the cloud gets placeholders */
    rt.router.privacy->policy = FLM_PRIVACY_REDACT;
    FLM_CHECK_EQ(flm_router_decide(&rt.router, (const uint8_t *)pii, strlen(pii), 0,
                                   FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_CLOUD && d.redacted);
    FLM_CHECK(strcmp(rt.router.redacted, "Mail the story to [EMAIL_1] please.") == 0);
    flm_runtime_deinit(&rt);
    FLM_CHECK(!flm_test_contains(&rt, sizeof rt, "anna.berg")); /* wiped */
    free(mem);
    flm_test_stories_close(&st);
}

/* The budget and the queue, after the privacy guard: over a cap the router
 * stays local (local:budget) online or not; offline, a prompt that would
 * have gone up is queued as it would have left (redacted under redact,
 * never under local-only), and every answer is counted in the ledger. */
FLM_TEST(router_budget_and_queue)
{
    flm_test_stories_t st;
    if (!flm_test_stories_open(&st))
        FLM_SKIP("needs ../shared/models/stories260K.bin");
    static flm_runtime_t rt;
    const char *conf = "[router]\nmode = cloud\n[privacy]\npolicy = local-only\n"
                       "[cloud]\nurl = http://127.0.0.1:9/v1\nmodel = m\nmax_retries = 0\n";
    flm_runtime_config_t rc = { .config_text = conf, .config_len = strlen(conf),
                                .model_image = st.image, .model_size = st.model.image_size,
                                .need_model = true };
    static uint8_t blob[FLM_ROUTER_PARAMS_BYTES];
    flm_router_params_t zero = { .threshold = FLM_Q16_ONE };
    flm_router_params_write(&zero, blob);
    rc.router_params = blob;
    rc.router_params_size = sizeof blob;
    FLM_CHECK_EQ(flm_runtime_init(&rt, &rc), FLM_OK);
    flm_engine_config_t ec = { .ctx_len = 64, .max_prompt_bytes = 256 };
    size_t need;
    FLM_CHECK_EQ(flm_runtime_engine_ram(&rt, &ec, &need), FLM_OK);
    uint8_t *mem = malloc(need);
    FLM_CHECK_EQ(flm_runtime_engine_init(&rt, &ec, mem, need), FLM_OK);

    static cut_store_t store;
    cut_store_init(&store);
    static flm_ledger_t led;
    flm_budget_settings_t bs;
    flm_budget_settings_init(&bs);
    bs.daily_tokens = 100;
    FLM_CHECK_EQ(flm_ledger_init(&led, &bs, &store.ops), FLM_OK);
    static flm_queue_t q;
    static uint8_t work[FLM_QUEUE_WORK_BYTES(512)];
    flm_queue_settings_t qs;
    flm_queue_settings_init(&qs);
    qs.enabled = true;
    FLM_CHECK_EQ(flm_queue_init(&q, &qs, &store.ops, work, sizeof work, 7), FLM_OK);
    flm_router_set_guards(&rt.router, &q, &led);

    /* under the cap the prompt may go; a request that would pass it may not */
    const char *clean = "Tell the story of a bird.";
    flm_route_decision_t d;
    FLM_CHECK_EQ(flm_router_decide(&rt.router, (const uint8_t *)clean, strlen(clean), 0,
                                   FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_CLOUD && d.reason == FLM_REASON_CLOUD_MODE);
    int64_t now = 0;
    FLM_CHECK_EQ(flm_hal_utc_s(&now), FLM_OK);
    FLM_CHECK_EQ(flm_ledger_record_cloud(&led, now, 60, 35), FLM_OK);
    FLM_CHECK_EQ(flm_router_decide(&rt.router, (const uint8_t *)clean, strlen(clean), 0,
                                   FLM_CLOUD_REACHABLE, &d), FLM_OK);
    FLM_CHECK(d.route == FLM_ROUTE_LOCAL && d.reason == FLM_REASON_LOCAL_BUDGET);
    FLM_CHECK_EQ(d.budget_cap, FLM_BUDGET_CAP_DAILY_TOKENS);
    /* offline and over the cap: local:budget, not queued (it could not go later either) */
    flm_hal_posix_set_link(0);
    flm_ask_t a = { .prompt = clean, .steps = 40 };
    flm_ask_result_t res;
    FLM_CHECK_EQ(flm_router_ask(&rt.router, &rt.cloud, &a, &res), FLM_OK);
    FLM_CHECK(res.decision.reason == FLM_REASON_LOCAL_BUDGET && !res.queued && !res.degraded);
    FLM_CHECK_EQ(led.today.local_requests, 1);
    FLM_CHECK_EQ(led.today.local_in, res.prompt_tokens);
    FLM_CHECK_EQ(led.today.local_out, res.local_tokens);
    FLM_CHECK(res.local_tokens > 0);

    /* a fresh budget: offline, the prompt is queued and answered here, degraded */
    flm_ledger_deinit(&led);
    bs.daily_tokens = 0;
    cut_store_init(&store);
    FLM_CHECK_EQ(flm_ledger_init(&led, &bs, &store.ops), FLM_OK);
    FLM_CHECK_EQ(flm_queue_init(&q, &qs, &store.ops, work, sizeof work, 7), FLM_OK);
    a.system = "Be brief.";
    FLM_CHECK_EQ(flm_router_ask(&rt.router, &rt.cloud, &a, &res), FLM_OK);
    FLM_CHECK(res.decision.reason == FLM_REASON_LOCAL_OFFLINE && res.degraded && res.queued);
    flm_queue_item_t it;
    FLM_CHECK_EQ(flm_queue_get(&q, res.queue_seq, &it), FLM_OK);
    FLM_CHECK(it.state == FLM_QUEUE_QUEUED && strcmp(it.prompt, clean) == 0);
    FLM_CHECK(it.system && strcmp(it.system, "Be brief.") == 0);
    FLM_CHECK_EQ(led.today.local_requests, 1);

    /* too long for the local model: nothing here can answer it, but it is
     * kept for the cloud */
    static char longp[241];
    for (int i = 0; i < 120; i++)
        memcpy(longp + 2 * i, "a ", 2);
    a.prompt = longp;
    a.system = NULL;
    FLM_CHECK_EQ(flm_router_ask(&rt.router, &rt.cloud, &a, &res), FLM_ERR_ENGINE_CONTEXT_FULL);
    FLM_CHECK(res.decision.reason == FLM_REASON_LOCAL_OFFLINE && res.queued);
    FLM_CHECK_EQ(flm_queue_drop(&q, res.queue_seq, 0), FLM_OK);

    /* local-only: personal data in the prompt or the system message is never queued */
    const char *pii = "Mail the story to anna.berg@example.com please.";
    a.prompt = pii;
    a.system = NULL;
    FLM_CHECK_EQ(flm_router_ask(&rt.router, &rt.cloud, &a, &res), FLM_OK);
    FLM_CHECK(res.decision.reason == FLM_REASON_LOCAL_PII && !res.queued);
    a.prompt = clean;
    a.system = "Reply to anna.berg@example.com.";
    FLM_CHECK_EQ(flm_router_ask(&rt.router, &rt.cloud, &a, &res), FLM_OK);
    FLM_CHECK(res.decision.reason == FLM_REASON_LOCAL_PII && !res.queued && !res.degraded);
    flm_queue_status_t qst;
    flm_queue_status(&q, &qst);
    FLM_CHECK_EQ(qst.queued, 1);

    /* redact: only the redacted text is stored */
    rt.router.privacy->policy = FLM_PRIVACY_REDACT;
    a.prompt = pii;
    FLM_CHECK_EQ(flm_router_ask(&rt.router, &rt.cloud, &a, &res), FLM_OK);
    FLM_CHECK(res.decision.reason == FLM_REASON_LOCAL_OFFLINE && res.queued);
    FLM_CHECK_EQ(flm_queue_get(&q, res.queue_seq, &it), FLM_OK);
    FLM_CHECK(strcmp(it.prompt, "Mail the story to [EMAIL_1] please.") == 0);
    FLM_CHECK_MSG(strcmp(it.system, "Reply to [EMAIL_1].") == 0, "%s", it.system); /* the same value, the same placeholder */
    FLM_CHECK(!flm_test_contains(store.rec, sizeof store.rec, "anna.berg"));

    /* the escalation log keeps only answers the cloud gave: none offline,
     * none when the cloud failed (local:cloud-failed) */
    static flm_esclog_t lg;
    static uint8_t lwork[FLM_ESCLOG_WORK_BYTES(1024)];
    flm_esclog_settings_t ls;
    flm_esclog_settings_init(&ls);
    ls.escalations = true;
    FLM_CHECK_EQ(flm_esclog_init(&lg, &ls, &store.ops, lwork, sizeof lwork), FLM_OK);
    flm_router_set_log(&rt.router, &lg);
    a.prompt = clean;
    a.system = NULL;
    FLM_CHECK_EQ(flm_router_ask(&rt.router, &rt.cloud, &a, &res), FLM_OK);
    FLM_CHECK(res.decision.reason == FLM_REASON_LOCAL_OFFLINE && !res.logged && !res.log_err);
    flm_hal_posix_set_link(1);
    FLM_CHECK_EQ(flm_router_ask(&rt.router, &rt.cloud, &a, &res), FLM_OK);
    FLM_CHECK(res.decision.reason == FLM_REASON_LOCAL_CLOUD_FAILED && !res.logged && !res.log_err);
    flm_esclog_status_t lst;
    flm_esclog_status(&lg, &lst);
    FLM_CHECK_EQ(lst.entries, 0);
    flm_router_set_log(&rt.router, NULL);
    flm_esclog_deinit(&lg);

    flm_hal_posix_set_link(-1);
    flm_queue_deinit(&q);
    flm_ledger_deinit(&led);
    flm_runtime_deinit(&rt);
    free(mem);
    flm_test_stories_close(&st);
}
