/* The runtime: one configuration brings the device up, with clear errors. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/runtime/runtime.h"
#include "port/posix/hal_posix.h"
#include "tests/fixtures/model_synth.h"
#include "tests/fixtures/stories.h"
#include "tests/harness/harness.h"

static flm_runtime_t rt; /* half a MiB: not for the stack */

static flm_err_t init_text(const char *text, const char *default_section)
{
    flm_runtime_config_t c = { .config_text = text, .config_len = strlen(text),
                               .config_default_section = default_section };
    return flm_runtime_init(&rt, &c);
}

FLM_TEST(runtime_config_errors_name_the_place)
{
    FLM_CHECK_EQ(init_text("[model]\nconetxt = 64\n", NULL), FLM_ERR_CONFIG_KEY);
    FLM_CHECK_MSG(strstr(rt.detail, "configuration:2: unknown key 'conetxt' in [model] (did you mean "
                                    "'context'?)") != NULL, "%s", rt.detail);
    FLM_CHECK_EQ(rt.config_error.line, 2);
    FLM_CHECK_EQ(init_text("[modle]\n", NULL), FLM_ERR_CONFIG_SECTION);
    FLM_CHECK_MSG(strstr(rt.detail, "did you mean [model]?") != NULL, "%s", rt.detail);
    FLM_CHECK_EQ(init_text("[model]\nverify = sometimes\n", NULL), FLM_ERR_CONFIG_VALUE);

    flm_runtime_config_t c = { .config_path = "/nonexistent/device.conf" };
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_ERR_NOT_FOUND);
    FLM_CHECK(strcmp(rt.detail, "/nonexistent/device.conf: no such file or directory") == 0);

    /* nothing at all is a valid device: every default, no model, no cloud */
    flm_runtime_config_t none = { 0 };
    FLM_CHECK_EQ(flm_runtime_init(&rt, &none), FLM_OK);
    FLM_CHECK(!rt.has_model && !rt.has_cloud);
    flm_runtime_deinit(&rt);
    none.need_model = true;
    FLM_CHECK_EQ(flm_runtime_init(&rt, &none), FLM_ERR_ARG);
    none.need_model = false;
    none.need_cloud = true;
    FLM_CHECK_EQ(flm_runtime_init(&rt, &none), FLM_ERR_CONFIG_MISSING);
    FLM_CHECK(strstr(rt.detail, "no [cloud] section") != NULL);
}

FLM_TEST(runtime_model_by_image_or_path)
{
    flm_synth_t s = FLM_SYNTH_DEFAULT;
    size_t len;
    uint8_t *img = flm_synth_image(&s, &len);
    FLM_CHECK(img != NULL);
    const char *text = "[model]\ncontext = 16\n";
    flm_runtime_config_t c = { .config_text = text, .config_len = strlen(text),
                               .model_image = img, .model_size = len, .need_model = true };
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_OK);
    FLM_CHECK(rt.has_model && rt.model.cfg.dim == 16);
    flm_engine_config_t ec = { .max_prompt_bytes = 8 };
    size_t need = 0;
    FLM_CHECK_EQ(flm_runtime_engine_ram(&rt, &ec, &need), FLM_OK);
    uint8_t *mem = malloc(need);
    /* made-up tokens: no byte fallback, so no prompt could be encoded */
    FLM_CHECK_EQ(flm_runtime_engine_init(&rt, &ec, mem, need), FLM_ERR_ENGINE_SHAPE);
    flm_runtime_deinit(&rt);

    /* a corrupt image is refused with the loader's detail */
    img[200] ^= 0x55;
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_ERR_MODEL_CRC);
    FLM_CHECK_MSG(strstr(rt.detail, "model image: model image checksum mismatch") == rt.detail, "%s",
                  rt.detail);
    /* a path the HAL maps */
    char path[512];
    snprintf(path, sizeof path, "%s/runtime.flm", flm_test_tmpdir());
    img[200] ^= 0x55;
    FILE *f = fopen(path, "wb");
    FLM_CHECK(f && fwrite(img, 1, len, f) == len);
    fclose(f);
    flm_runtime_config_t byname = { .model_path = path, .need_model = true };
    FLM_CHECK_EQ(flm_runtime_init(&rt, &byname), FLM_OK);
    FLM_CHECK(rt.has_model && rt.model_map.size == len);
    flm_runtime_deinit(&rt);
    free(mem);
    free(img);
}

FLM_TEST(runtime_engine_on_caller_memory)
{
    flm_test_stories_t st;
    if (!flm_test_stories_open(&st))
        FLM_SKIP("needs ../shared/models/stories260K.bin");
    const char *text = "[model]\ncontext = 16\n";
    flm_runtime_config_t c = { .config_text = text, .config_len = strlen(text),
                               .model_image = st.image, .model_size = st.model.image_size,
                               .need_model = true };
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_OK);
    flm_engine_config_t ec = { .max_prompt_bytes = 8 };
    size_t need = 0;
    FLM_CHECK_EQ(flm_runtime_engine_ram(&rt, &ec, &need), FLM_OK);
    uint8_t *mem = malloc(need);
    FLM_CHECK_EQ(flm_runtime_engine_init(&rt, &ec, mem, need / 2), FLM_ERR_NOMEM);
    FLM_CHECK(strstr(rt.detail, "arena short by") != NULL);
    FLM_CHECK_EQ(flm_runtime_engine_init(&rt, &ec, mem, need), FLM_OK);
    FLM_CHECK_EQ(rt.engine.ctx_len, 16); /* [model] context */
    FLM_CHECK_EQ(flm_runtime_engine_init(&rt, &ec, mem, need), FLM_ERR_STATE);
    FLM_CHECK_EQ(flm_engine_start(&rt.engine, (const uint8_t *)"Once", 4, 0), FLM_OK);
    flm_engine_token_t t;
    do
        FLM_CHECK_EQ(flm_engine_step(&rt.engine, &t), FLM_OK);
    while (t.status == FLM_ENGINE_RUNNING);
    FLM_CHECK_EQ(t.status, FLM_ENGINE_DONE_CONTEXT);
    flm_runtime_deinit(&rt);
    free(mem);
    flm_test_stories_close(&st);
}

/* The connect callback the runtime gives the cloud client. */
static flm_err_t connect_to(const char *host, uint16_t port)
{
    flm_transport_t t;
    flm_err_t err = rt.cloud.cfg.connect(rt.cloud.cfg.connect_user, host, port, 300, &t);
    if (!err)
        t.close(t.ctx);
    return err;
}

FLM_TEST(runtime_cloud_plain_tcp_policy)
{
    FLM_CHECK_EQ(init_text("url = http://127.0.0.1:1/v1\nmodel = m\n", "cloud"), FLM_OK);
    FLM_CHECK(rt.has_cloud && strcmp(rt.cloud.cfg.path, "/v1/chat/completions") == 0);
    /* refused before any packet leaves: plain TCP would carry the key in clear */
    FLM_CHECK_EQ(connect_to("192.0.2.1", 80), FLM_ERR_TLS_PLAIN_REFUSED);
    FLM_CHECK_EQ(connect_to("api.openai.com", 80), FLM_ERR_TLS_PLAIN_REFUSED);
    /* loopback is allowed: nothing listens on port 1 */
    FLM_CHECK_EQ(connect_to("127.0.0.1", 1), FLM_ERR_NET_CONNECT);
    flm_runtime_deinit(&rt);
    /* https goes to the HAL's TLS streams: refused without TLS, or for a bad CA */
    FLM_CHECK_EQ(init_text("url = https://127.0.0.1:1/v1\nmodel = m\nca_pem = -----BEGIN CERTIFICATE-----\n"
                           "AAAA\n-----END CERTIFICATE-----\n", "cloud"), FLM_OK);
    flm_err_t err = connect_to("127.0.0.1", 1);
    FLM_CHECK_MSG(err == FLM_ERR_UNSUPPORTED || err == FLM_ERR_TLS_CA, "%s", flm_strerror(err));
    flm_runtime_deinit(&rt);
}

FLM_TEST(runtime_cloud_key_from_the_environment)
{
    unsetenv("FLM_TEST_RUNTIME_KEY");
    const char *text = "[cloud]\nurl = http://127.0.0.1:9/v1\nmodel = m\napi_key_env = FLM_TEST_RUNTIME_KEY\n";
    FLM_CHECK_EQ(init_text(text, NULL), FLM_ERR_CONFIG_MISSING);
    FLM_CHECK(strcmp(rt.detail, "environment variable FLM_TEST_RUNTIME_KEY (api_key_env) is not set") == 0);
    setenv("FLM_TEST_RUNTIME_KEY", "sk-has a space", 1);
    FLM_CHECK_EQ(init_text(text, NULL), FLM_ERR_CONFIG_VALUE);
    FLM_CHECK(strstr(rt.detail, "sk-has") == NULL); /* never echoed */
    setenv("FLM_TEST_RUNTIME_KEY", "sk-runtime-secret", 1);
    FLM_CHECK_EQ(init_text(text, NULL), FLM_OK);
    FLM_CHECK(strcmp(rt.settings.cloud.api_key, "sk-runtime-secret") == 0);
    FLM_CHECK(rt.cloud.cfg.api_key == rt.settings.cloud.api_key);
    flm_runtime_deinit(&rt);
    FLM_CHECK(!flm_test_contains(&rt, sizeof rt, "sk-runtime")); /* wiped */
    unsetenv("FLM_TEST_RUNTIME_KEY");

    /* ca_file through the HAL */
    const char *ca = "url = https://x.example/v1\nmodel = m\nca_file = /nonexistent/ca.pem\n";
    FLM_CHECK_EQ(init_text(ca, "cloud"), FLM_ERR_NOT_FOUND);
    FLM_CHECK(strcmp(rt.detail, "ca_file /nonexistent/ca.pem: no such file or directory") == 0);
}

FLM_TEST(runtime_draw_seed_differs_each_call)
{
    /* time(NULL) gave every run in one second the same story: draws in a
     * tight loop (well within a microsecond of each other) must differ. */
    uint32_t seen[256];
    for (int i = 0; i < 256; i++) {
        seen[i] = flm_runtime_draw_seed();
        FLM_CHECK(seen[i] >= 1 && seen[i] <= FLM_RUNTIME_SEED_MAX);
        for (int j = 0; j < i; j++)
            FLM_CHECK_MSG(seen[j] != seen[i], "draw %d repeats draw %d (%u)", i, j, (unsigned)seen[i]);
    }
}

/* [model] verify = once on an image in memory (a firmware's flash): the
 * first start checks the whole image and records it, the next trusts the
 * record; another image (another header) is checked again, and a corrupt
 * one is refused and never recorded. (Files: tests/sh/verify_once.sh.) */
FLM_TEST(runtime_verify_once_records_the_image)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/verify-once-store", flm_test_tmpdir());
    FLM_CHECK_EQ(flm_hal_posix_set_store_dir(dir), FLM_OK);
    flm_synth_t s = FLM_SYNTH_DEFAULT;
    size_t len;
    uint8_t *img = flm_synth_image(&s, &len);
    FLM_CHECK(img != NULL);
    const char *text = "[model]\nverify = once\n";
    flm_runtime_config_t c = { .config_text = text, .config_len = strlen(text),
                               .model_image = img, .model_size = len, .need_model = true };
    char key[64];
    snprintf(key, sizeof key, "model-verified.%02x%02x%02x%02x", img[0x1F], img[0x1E], img[0x1D],
             img[0x1C]);
    flm_hal_store_del(key);
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_OK);
    FLM_CHECK(rt.has_model && !rt.model_trusted && rt.model.scales_checked);
    flm_runtime_deinit(&rt);
    uint8_t rec[64];
    size_t rlen = 0;
    FLM_CHECK_EQ(flm_hal_store_get(key, rec, sizeof rec, &rlen), FLM_OK);
    FLM_CHECK_EQ(rlen, 32u);
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_OK);
    FLM_CHECK(rt.has_model && rt.model_trusted);
    flm_runtime_deinit(&rt);
    /* verify = full (the config's override) checks it all again */
    c.model_verify = "full";
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_OK);
    FLM_CHECK(!rt.model_trusted && rt.model.scales_checked);
    flm_runtime_deinit(&rt);
    c.model_verify = "twice";
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_ERR_ARG);
    FLM_CHECK_MSG(strstr(rt.detail, "full, once or header") != NULL, "%s", rt.detail);
    c.model_verify = NULL;
    /* a record that does not match (another version of the image) is not trusted */
    rec[8] ^= 1;
    FLM_CHECK_EQ(flm_hal_store_put(key, rec, rlen), FLM_OK);
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_OK);
    FLM_CHECK(!rt.model_trusted);
    flm_runtime_deinit(&rt);
    /* a corrupt image with its header intact: refused, not recorded */
    flm_hal_store_del(key);
    img[len - 5] ^= 0x40;
    FLM_CHECK_EQ(flm_runtime_init(&rt, &c), FLM_ERR_MODEL_CRC);
    FLM_CHECK_EQ(flm_hal_store_get(key, rec, sizeof rec, &rlen), FLM_ERR_NOT_FOUND);
    free(img);
}
