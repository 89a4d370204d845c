/* Bringing a device up: HAL, settings, model, engine, cloud client, guards. */
#include "core/runtime/runtime.h"

#include <string.h>

#include "core/base/fmt.h"
#include "core/base/wipe.h"
#include "core/proto/http.h"
#include "core/runtime/priv/runtime_verify.h"

#define fail(rt, err, ...) flm_err_detail((rt)->detail, sizeof (rt)->detail, err, __VA_ARGS__)

/* "PATH: no such file" and friends, for a HAL file error. */
static flm_err_t fail_file(flm_runtime_t *rt, flm_err_t err, const char *what, const char *path,
                           size_t limit)
{
    switch (err) {
    case FLM_ERR_NOT_FOUND:   return fail(rt, err, "%s%s: no such file or directory", what, path);
    case FLM_ERR_IS_DIR:
    case FLM_ERR_ACCESS:
    case FLM_ERR_NOT_FILE:    return fail(rt, err, "%s%s: %s", what, path, flm_strerror(err));
    case FLM_ERR_OVERFLOW:    return fail(rt, err, "%s%s: larger than %zu bytes", what, path, limit);
    case FLM_ERR_UNSUPPORTED: return fail(rt, err, "%s%s: this platform has no files", what, path);
    default:                  return fail(rt, err, "%s%s: cannot read: %s", what, path, flm_strerror(err));
    }
}

/* ---- settings ------------------------------------------------------------- */

static flm_err_t load_settings(flm_runtime_t *rt, const flm_runtime_config_t *cfg)
{
#if !FLM_CFG_DEVICE_FILE
    if (cfg->config_path || cfg->config_text)
        return fail(rt, FLM_ERR_UNSUPPORTED, "this build reads no device file (FLM_CFG_DEVICE_FILE 0)");
    memset(&rt->settings, 0, sizeof rt->settings); /* every default */
    flm_router_settings_init(&rt->settings.router);
#if FLM_CFG_SERVER
    flm_server_settings_init(&rt->settings.server);
#endif
    return FLM_OK;
#else
    const char *text = cfg->config_text ? cfg->config_text : "";
    size_t len = cfg->config_text ? cfg->config_len : 0;
    const char *name = cfg->config_path ? cfg->config_path : "configuration";
    if (cfg->config_path) {
#if FLM_HAL_HAS_FILES
        flm_err_t err = flm_hal_file_read(cfg->config_path, rt->config_text, sizeof rt->config_text, &len);
        if (err)
            return fail_file(rt, err, "", cfg->config_path, sizeof rt->config_text - 1);
        text = rt->config_text;
#else
        return fail_file(rt, FLM_ERR_UNSUPPORTED, "", cfg->config_path, 0);
#endif
    }
    flm_err_t err = flm_device_settings_parse(&rt->settings, text, len, cfg->config_default_section,
                                              &rt->config_error);
#if FLM_HAL_HAS_FILES
    flm_wipe(rt->config_text, sizeof rt->config_text); /* it may hold the API key */
#endif
    if (err) {
        flm_ini_error_format(&rt->config_error, name, rt->detail, sizeof rt->detail);
        return err;
    }
    return FLM_OK;
#endif
}

/* ---- the model ------------------------------------------------------------ */

/* The model through the A/B slots: the boot record says which slot runs
 * (core/update/update.h); none, and the caller's image is opened as before. */
static flm_err_t open_slots(flm_runtime_t *rt)
{
    const flm_update_settings_t *us = &rt->settings.update;
    flm_err_t err = flm_hal_slots_open(us->slots_dir, &rt->slots);
    if (err == FLM_ERR_UNSUPPORTED)
        return fail(rt, err, "[update]: this platform has no model slots");
    if (err)
        return fail(rt, err, "[update] slots_dir %s: %s", us->slots_dir, flm_strerror(err));
    flm_update_config_t uc = {
        .dev = &rt->slots,
        .max_attempts = us->max_attempts,
        .require_signature = us->require_signature,
        .arena_max = us->arena_max,
        .ctx_len = rt->settings.model.context,
        .checkpoint_bytes = us->checkpoint_kib * 1024u,
    };
    err = flm_update_init(&rt->update, &uc);
    if (err)
        return fail(rt, err, "[update]: the boot record in the record store: %s", flm_strerror(err));
    rt->has_update = true;
    return FLM_OK;
}

static flm_err_t boot_slot(flm_runtime_t *rt)
{
    bool header = rt->cfg.model_verify_header || rt->settings.model.verify == FLM_VERIFY_HEADER;
    flm_err_t err = flm_update_boot(&rt->update, &rt->model, header);
    if (rt->update.detail[0]) {
        rt->model_rolled_back = true;
        memcpy(rt->update_note, rt->update.detail, sizeof rt->update_note);
    }
    if (err)
        return fail(rt, err, "[update]: the boot record cannot be saved: %s", flm_strerror(err));
    rt->model_slot = rt->update.booted;
    if (rt->model_slot < 0)
        return FLM_OK;
    rt->has_model = true;
#if FLM_HAL_HAS_FILES
    if (rt->settings.update.slots_dir[0]) {
        flm_snprintf(rt->slot_file, sizeof rt->slot_file, "%s/slot-%c.flm",
                     rt->settings.update.slots_dir, rt->model_slot == 0 ? 'a' : 'b');
        rt->model_file = rt->slot_file;
    }
#endif
    return FLM_OK;
}

/* The factory image: the caller's, [model] path, or the tool's default. */
static flm_err_t open_factory(flm_runtime_t *rt)
{
    const flm_runtime_config_t *cfg = &rt->cfg;
    const void *image = cfg->model_image;
    size_t size = cfg->model_size;
    const char *path = cfg->model_path;
    if (!image && !path && rt->settings.model.path[0])
        path = rt->settings.model.path;
    if (!image && !path)
        path = cfg->default_model_path;
    if (!image && !path) {
        if (cfg->need_model)
            return fail(rt, FLM_ERR_ARG, "no model: give one, or a [model] path");
        return FLM_OK;
    }
    if (!image) {
        flm_err_t err = flm_hal_file_map(path, &rt->model_map);
        if (err)
            return fail_file(rt, err, "", path, 0);
        image = rt->model_map.data;
        size = rt->model_map.size;
        rt->model_file = path;
    }
    uint32_t mode = rt->settings.model.verify;
    if (cfg->model_verify) {
        static const char *const names[] = { "full", "header", "once" }; /* flm_verify_setting_t */
        for (mode = 0; mode < 3 && strcmp(cfg->model_verify, names[mode]) != 0; mode++)
            ;
        if (mode == 3)
            return fail(rt, FLM_ERR_ARG, "verify '%s': full, once or header", cfg->model_verify);
    }
    if (cfg->model_verify_header)
        mode = FLM_VERIFY_HEADER;
    flm_err_t err = flm_model_open(&rt->model, image, size,
                                   mode == FLM_VERIFY_FULL ? FLM_MODEL_VERIFY_FULL : FLM_MODEL_VERIFY_HEADER);
    if (!err && mode == FLM_VERIFY_ONCE) {
        err = flm_runtime_verify_once(&rt->model, rt->model_file != NULL, rt->model_map.version,
                                      &rt->model_trusted);
        if (err) {
            char detail[sizeof rt->model.detail];
            memcpy(detail, rt->model.detail, sizeof detail);
            flm_model_close(&rt->model);
            memcpy(rt->model.detail, detail, sizeof detail);
        }
    }
    if (err)
        return fail(rt, err, "%s: %s: %s", path ? path : "model image", flm_strerror(err),
                    rt->model.detail);
    rt->has_model = true;
    return FLM_OK;
}

static flm_err_t open_model(flm_runtime_t *rt)
{
    rt->model_slot = FLM_UPDATE_FACTORY;
    bool slots = !rt->cfg.model_path &&
                 (rt->cfg.use_slots || (rt->settings.has_update && rt->settings.update.slots_dir[0]));
    if (slots) {
        flm_err_t err = open_slots(rt);
        if (!err)
            err = boot_slot(rt);
        if (err || rt->has_model)
            return err;
    }
    return open_factory(rt);
}

/* ---- the router's parameters ---------------------------------------------- */

/* "models/x.flm" -> "models/x.router" */
static bool beside_model(const char *model, char *out, size_t cap)
{
    size_t n = strlen(model);
    if (n > 4 && strcmp(model + n - 4, ".flm") == 0)
        n -= 4;
    if (n + sizeof ".router" > cap)
        return false;
    memcpy(out, model, n);
    memcpy(out + n, ".router", sizeof ".router");
    return true;
}

static flm_err_t load_router(flm_runtime_t *rt, const flm_runtime_config_t *cfg)
{
    const void *blob = cfg->router_params;
    size_t n = cfg->router_params_size;
    char path[FLM_RUNTIME_PATH_MAX + 8];
    bool named = rt->settings.router.params[0] != 0;
#if FLM_HAL_HAS_FILES
    uint8_t buf[FLM_ROUTER_PARAMS_BYTES + 1];
    const char *model = rt->model_file;
    if (!blob && (named || (model && model[0] && beside_model(model, path, sizeof path)))) {
        if (named)
            memcpy(path, rt->settings.router.params, sizeof rt->settings.router.params);
        flm_err_t err = flm_hal_file_read(path, (char *)buf, sizeof buf, &n);
        /* A slot's image without its own parameters takes the factory
         * model's (a fine-tune of it keeps its confidence scale). */
        const char *factory = rt->settings.model.path[0] ? rt->settings.model.path : cfg->default_model_path;
        if (err == FLM_ERR_NOT_FOUND && !named && rt->model_slot >= 0 && factory &&
            beside_model(factory, path, sizeof path))
            err = flm_hal_file_read(path, (char *)buf, sizeof buf, &n);
        if (err == FLM_ERR_NOT_FOUND && !named && !cfg->need_router)
            return FLM_OK; /* no router beside this model */
        if (err)
            return fail_file(rt, err, "router parameters ", path, FLM_ROUTER_PARAMS_BYTES);
        blob = buf;
    }
#else
    (void)beside_model;
    if (!blob && named)
        return fail_file(rt, FLM_ERR_UNSUPPORTED, "router parameters ", rt->settings.router.params, 0);
    strcpy(path, "router parameters");
#endif
    if (!blob) {
        if (cfg->need_router)
            return fail(rt, FLM_ERR_CONFIG_MISSING, "no router parameters: give [router] params, "
                        "or put MODEL.router beside the model (tools/router/ trains them)");
        return FLM_OK;
    }
    flm_err_t err = flm_router_params_load(&rt->router_params, blob, n);
    if (err)
        return fail(rt, err, "%s: not router parameters of this build (version %u, %u features)",
                    cfg->router_params ? "router parameters" : path,
                    (unsigned)FLM_ROUTER_PARAMS_VERSION, (unsigned)FLM_ROUTER_FEATURES);
    rt->has_router_params = true;
    return FLM_OK;
}

/* ---- the cloud client ----------------------------------------------------- */

#if FLM_CFG_CLOUD
/* The client's connect callback: TLS for https; plain TCP carries the key in
 * clear, so only to loopback unless the settings allow it. */
static flm_err_t cloud_connect(void *user, const char *host, uint16_t port, uint32_t timeout_ms,
                               flm_transport_t *t)
{
    flm_runtime_t *rt = user;
    const flm_cloud_settings_t *s = &rt->settings.cloud;
    if (s->endpoint.tls) {
        flm_hal_tls_config_t tc = { .ca_pem = rt->ca_pem, .timeout_ms = timeout_ms };
        return flm_hal_tls_connect(&tc, host, port, t);
    }
    if (!s->allow_plain_tcp && !flm_http_host_is_loopback(host))
        return FLM_ERR_TLS_PLAIN_REFUSED;
    flm_hal_tcp_init(&rt->tcp);
    flm_err_t err = flm_hal_tcp_connect(&rt->tcp, host, port, timeout_ms);
    if (!err)
        flm_hal_tcp_transport(&rt->tcp, t);
    return err;
}

static flm_err_t api_key_from_env(flm_runtime_t *rt)
{
    flm_cloud_settings_t *s = &rt->settings.cloud;
    char key[FLM_CLOUD_KEY_MAX];
    flm_err_t err = flm_hal_env_get(s->api_key_env, key, sizeof key);
    if (err == FLM_ERR_NOT_FOUND || err == FLM_ERR_UNSUPPORTED)
        return fail(rt, FLM_ERR_CONFIG_MISSING, "environment variable %s (api_key_env) is not set",
                    s->api_key_env);
    if (!err)
        err = flm_cloud_config_set_key(s, key);
    flm_wipe(key, sizeof key);
    if (err)
        return fail(rt, err, "the key in %s (api_key_env) is malformed", s->api_key_env);
    return FLM_OK;
}

/* A relative path in a configuration file names a file beside it, wherever
 * the program runs from: "certs/ca.pem" in /etc/fieldlm/device.conf is
 * /etc/fieldlm/certs/ca.pem. */
static flm_err_t beside_config(flm_runtime_t *rt, const flm_runtime_config_t *cfg, const char *what,
                               const char *path, char *out, size_t cap)
{
    size_t dir = 0;
    if (path[0] != '/' && cfg->config_path)
        for (size_t i = 0; cfg->config_path[i]; i++)
            if (cfg->config_path[i] == '/')
                dir = i + 1;
    size_t n = strlen(path);
    if (dir + n + 1 > cap)
        return fail(rt, FLM_ERR_OVERFLOW, "%s%.*s%s: the path is longer than %zu bytes", what, (int)dir,
                    cfg->config_path, path, cap - 1);
    memcpy(out, cfg->config_path ? cfg->config_path : "", dir);
    memcpy(out + dir, path, n + 1);
    return FLM_OK;
}

static flm_err_t load_ca(flm_runtime_t *rt, const flm_runtime_config_t *cfg)
{
    const flm_cloud_settings_t *s = &rt->settings.cloud;
    if (s->ca_pem[0]) {
        rt->ca_pem = s->ca_pem;
    } else if (s->ca_file[0]) {
#if FLM_HAL_HAS_FILES
        size_t len;
        char path[FLM_RUNTIME_PATH_MAX];
        flm_err_t err = beside_config(rt, cfg, "ca_file ", s->ca_file, path, sizeof path);
        if (err)
            return err;
        err = flm_hal_file_read(path, rt->ca_text, sizeof rt->ca_text, &len);
        if (err)
            return fail_file(rt, err, "ca_file ", path, sizeof rt->ca_text - 1);
        rt->ca_pem = rt->ca_text;
#else
        return fail_file(rt, FLM_ERR_UNSUPPORTED, "ca_file ", s->ca_file, 0);
#endif
    }
    return FLM_OK;
}

/* [queue], [budget] and [log], on the HAL's record store. */
static flm_err_t open_guards(flm_runtime_t *rt)
{
    if (rt->settings.has_budget) {
        flm_err_t err = flm_ledger_init(&rt->ledger, &rt->settings.budget, NULL);
        if (err)
            return fail(rt, err, "[budget]: the ledger in the record store: %s", flm_strerror(err));
        rt->has_ledger = true;
    }
    if (rt->settings.has_queue) {
        /* the key epoch of a new queue: entropy, else the clock, so a wiped
         * store's keys do not repeat the old ones */
        uint32_t seed = 0;
        int64_t now = 0;
        if (flm_hal_entropy(&seed, sizeof seed) != FLM_OK) {
            if (flm_hal_utc_s(&now) != FLM_OK)
                now = 0;
            seed = (uint32_t)now ^ (uint32_t)flm_hal_time_us();
        }
        flm_err_t err = flm_queue_init(&rt->queue, &rt->settings.queue, NULL, rt->queue_work,
                                       sizeof rt->queue_work, seed);
        if (err)
            return fail(rt, err, "[queue]: the queue in the record store: %s", flm_strerror(err));
        rt->has_queue = true;
    }
    if (rt->settings.has_log) {
        flm_err_t err = flm_esclog_init(&rt->esclog, &rt->settings.log, NULL, rt->esclog_work,
                                        sizeof rt->esclog_work);
        if (err)
            return fail(rt, err, "[log]: the escalation log in the record store: %s",
                        flm_strerror(err));
        rt->has_esclog = true;
    }
    return FLM_OK;
}

static flm_err_t build_cloud(flm_runtime_t *rt, const flm_runtime_config_t *cfg)
{
    flm_err_t perr = flm_privacy_init(&rt->privacy, &rt->settings.privacy);
    if (perr)
        return fail(rt, perr, "[privacy]: %s", flm_strerror(perr));
    perr = open_guards(rt);
    if (perr)
        return perr;
    if (!rt->settings.has_cloud || (cfg->local_only && !cfg->need_cloud)) {
        if (cfg->need_cloud)
            return fail(rt, FLM_ERR_CONFIG_MISSING, "%s: no [cloud] section",
                        cfg->config_path ? cfg->config_path : "configuration");
        return FLM_OK;
    }
    flm_err_t err = FLM_OK;
    if (rt->settings.cloud.api_key_env[0])
        err = api_key_from_env(rt);
    if (!err)
        err = load_ca(rt, cfg);
    if (err)
        return err;
    flm_cloud_config_t cc;
    err = flm_cloud_config_client(&rt->settings.cloud, rt->cloud_path, sizeof rt->cloud_path, &cc);
    if (!err) {
        cc.connect = cloud_connect;
        cc.connect_user = rt;
        err = flm_cloud_init(&rt->cloud, &cc);
    }
    if (err)
        return fail(rt, err, "cloud client: %s", flm_strerror(err));
    rt->has_cloud = true;
    return FLM_OK;
}
#endif

/* ---- life cycle ----------------------------------------------------------- */

flm_err_t flm_runtime_init(flm_runtime_t *rt, const flm_runtime_config_t *cfg)
{
    if (!rt || !cfg)
        return FLM_ERR_ARG;
    memset(rt, 0, sizeof *rt);
    rt->cfg = *cfg;
    rt->threads = cfg->threads;
    flm_err_t err = flm_hal_init();
    if (err)
        return fail(rt, err, "platform: %s", flm_strerror(err));
    err = load_settings(rt, cfg);
    if (!err)
        err = open_model(rt);
    if (!err)
        err = load_router(rt, cfg);
#if FLM_CFG_CLOUD
    if (!err)
        err = build_cloud(rt, cfg);
#else
    if (!err && cfg->need_cloud)
        err = fail(rt, FLM_ERR_UNSUPPORTED, "this build has no cloud client (FLM_CFG_CLOUD 0)");
#endif
    if (err) {
        char detail[sizeof rt->detail];
        flm_ini_error_t where = rt->config_error;
        memcpy(detail, rt->detail, sizeof detail);
        flm_runtime_deinit(rt);
        memcpy(rt->detail, detail, sizeof detail);
        rt->config_error = where;
    }
    return err;
}

static flm_engine_config_t resolved(const flm_runtime_t *rt, const flm_engine_config_t *cfg)
{
    flm_engine_config_t c = *cfg;
    if (c.ctx_len == 0)
        c.ctx_len = rt->settings.model.context;
    return c;
}

flm_err_t flm_runtime_engine_ram(const flm_runtime_t *rt, const flm_engine_config_t *cfg,
                                 size_t *bytes)
{
    if (!rt || !cfg || !bytes)
        return FLM_ERR_ARG;
    if (!rt->has_model)
        return FLM_ERR_STATE;
    flm_engine_config_t c = resolved(rt, cfg);
    return flm_engine_ram(&rt->model, &c, bytes);
}

/* The engine (and the router) on rt->model in mem. */
static flm_err_t build_engine(flm_runtime_t *rt, const flm_engine_config_t *cfg, void *mem,
                              size_t size)
{
    flm_engine_config_t c = resolved(rt, cfg);
    flm_arena_init(&rt->arena, mem, size);
    flm_err_t err = flm_engine_init(&rt->engine, &rt->model, &c, &rt->arena);
    if (err == FLM_ERR_NOMEM)
        return fail(rt, err, "engine: arena short by %zu bytes", rt->arena.shortfall);
    if (err)
        return fail(rt, err, "engine: %s", flm_strerror(err));
    rt->has_engine = true;
    return FLM_OK;
}

/* A slot on trial: count the attempt, run the self-test, confirm the slot
 * or give it up and build the engine on the model boot gives next. */
static flm_err_t trial(flm_runtime_t *rt, const flm_engine_config_t *cfg, void *mem, size_t size)
{
    flm_err_t err = flm_update_trial_begin(&rt->update);
    if (err)
        return fail(rt, err, "[update]: the boot record cannot be saved: %s", flm_strerror(err));
    err = build_engine(rt, cfg, mem, size);
    uint32_t tokens[FLM_UPDATE_SELFTEST_TOKENS];
    size_t n = 0;
    if (!err)
        err = flm_update_selftest(&rt->engine, tokens, &n);
    flm_err_t verdict = err ? flm_update_trial_fail(&rt->update, FLM_UPDATE_EV_SELFTEST)
                            : flm_update_trial_end(&rt->update, tokens, n);
    if (verdict == FLM_OK)
        return FLM_OK;
    if (verdict != FLM_ERR_UPDATE_SELFTEST)
        return fail(rt, verdict, "[update]: the boot record cannot be saved: %s", flm_strerror(verdict));
    /* Back to the previous model: its own engine, router parameters and all. */
    if (rt->has_engine)
        flm_engine_deinit(&rt->engine);
    rt->has_engine = false;
    flm_model_close(&rt->model);
    rt->has_model = false;
    rt->has_router_params = false;
    rt->model_file = NULL;
    rt->detail[0] = 0;
    rt->model_rolled_back = true;
    memcpy(rt->update_note, rt->update.detail, sizeof rt->update_note);
    err = boot_slot(rt);
    if (!err && !rt->has_model)
        err = open_factory(rt);
    if (!err && !rt->has_model)
        err = fail(rt, FLM_ERR_STATE, "no model to fall back on");
    if (!err)
        err = load_router(rt, &rt->cfg);
    if (!err) {
        size_t need = 0;
        err = flm_runtime_engine_ram(rt, cfg, &need);
        if (!err && need > size)
            err = fail(rt, FLM_ERR_NOMEM, "%s; the previous model needs %zu bytes of arena",
                       rt->update_note, need);
    }
    return err ? err : build_engine(rt, cfg, mem, size);
}

flm_err_t flm_runtime_engine_init(flm_runtime_t *rt, const flm_engine_config_t *cfg, void *mem,
                                  size_t size)
{
    if (!rt || !cfg || (!mem && size))
        return FLM_ERR_ARG;
    if (!rt->has_model || rt->has_engine)
        return FLM_ERR_STATE;
    flm_err_t err = rt->has_update && rt->update.trial ? trial(rt, cfg, mem, size)
                                                       : build_engine(rt, cfg, mem, size);
    if (err)
        return err;
#if FLM_HAL_HAS_THREADS /* without, one worker: nothing to start */
    uint32_t threads = rt->threads ? rt->threads : rt->settings.model.threads;
    if (threads == FLM_RUNTIME_THREADS_AUTO)
        threads = 0;
    if (flm_hal_parallel_init(threads) != FLM_OK)
        flm_hal_log(FLM_LOG_WARN, "thread pool: %u of %u threads", (unsigned)flm_hal_parallel_threads(),
                    (unsigned)threads);
    rt->has_pool = true;
#endif
    if (rt->has_router_params) {
#if FLM_CFG_CLOUD
        flm_privacy_t *guard = &rt->privacy;
#else
        flm_privacy_t *guard = NULL;
#endif
        err = flm_router_init(&rt->router, &rt->settings.router, &rt->router_params, &rt->engine,
                              guard);
        if (err)
            return fail(rt, err, "router: %s", flm_strerror(err));
        rt->has_router = true;
#if FLM_CFG_CLOUD
        flm_router_set_guards(&rt->router, rt->has_queue ? &rt->queue : NULL,
                              rt->has_ledger ? &rt->ledger : NULL);
        flm_router_set_log(&rt->router, rt->has_esclog ? &rt->esclog : NULL);
#endif
    }
    return FLM_OK;
}

void flm_runtime_deinit(flm_runtime_t *rt)
{
    if (!rt)
        return;
    if (rt->has_router)
        flm_router_deinit(&rt->router);
    if (rt->has_engine)
        flm_engine_deinit(&rt->engine);
    if (rt->has_pool)
        flm_hal_parallel_deinit();
#if FLM_CFG_CLOUD
    if (rt->has_cloud)
        flm_cloud_deinit(&rt->cloud);
    if (rt->has_queue)
        flm_queue_deinit(&rt->queue);
    if (rt->has_ledger)
        flm_ledger_deinit(&rt->ledger);
    if (rt->has_esclog)
        flm_esclog_deinit(&rt->esclog);
    flm_privacy_deinit(&rt->privacy);
#endif
    if (rt->has_model)
        flm_model_close(&rt->model);
    if (rt->has_update)
        flm_update_deinit(&rt->update);
    flm_hal_file_unmap(&rt->model_map);
    flm_wipe(rt, sizeof *rt); /* config text and CA among it; memset may be elided */
}
