/*
 * The runtime: a device brought up from one configuration. It owns what the
 * applications share (the HAL, the model, the engine, the cloud client, and
 * as they land the router, the queue and the ledger), so `fieldlm run`,
 * `fieldlm cloud`, the board firmware and `fieldlm serve` all start the same
 * way instead of each wiring the parts together.
 *
 *   static flm_runtime_t rt;                       (large: keep it static)
 *   flm_runtime_config_t cfg = { .config_path = "device.conf" };
 *   if (flm_runtime_init(&rt, &cfg) != FLM_OK)
 *       print(rt.detail);                          ("device.conf:3: unknown key ...")
 *   flm_runtime_engine_ram(&rt, &ecfg, &need);
 *   flm_runtime_engine_init(&rt, &ecfg, arena_mem, need);
 *   ... flm_engine_start(&rt.engine, ...), flm_cloud_complete(&rt.cloud, ...) ...
 *   flm_runtime_deinit(&rt);
 *
 * The device's file, one INI text (core/base/ini.h), has a section per
 * module; each is optional:
 *
 *   [model]                        the local model
 *   path    = models/story.flm     (hosts; a firmware links its image instead)
 *   context = 256                  KV-cache positions; 0 = the model's seq_len
 *   verify  = full                 full | once | header: the whole image's CRC on every
 *                                  start, on the first (recorded), or the header's only
 *   threads = 0                    workers for the matrix products: 0 = one per CPU
 *                                  (ports without threads: always 1)
 *
 *   [cloud]                        the escalation endpoint: core/cloud/cloud_config.h
 *
 *   [router]                       when to escalate: core/router/router.h
 *   [privacy]                      what may leave: core/guard/privacy.h
 *   [queue]                        what waits for the link: core/guard/queue.h
 *   [budget]                       what the cloud may cost: core/guard/ledger.h
 *   [log]                          what the cloud answered: core/guard/esclog.h
 *
 *   [server]                       `fieldlm serve`: core/server/server.h
 *
 *   [update]                       A/B model slots: core/update/update.h
 *   slots_dir = /var/lib/fieldlm/slots   the model then comes from the active
 *                                  slot, [model] path is the factory image
 *
 * Init brings the HAL up, reads and checks the file, opens the model (an
 * image in memory, or a path the HAL maps) and builds the cloud client from
 * [cloud]: the API key from api_key or the variable api_key_env names, the
 * CAs from ca_pem or ca_file, TLS for https, and plain TCP for http only to
 * loopback unless allow_plain_tcp says otherwise. Everything is in the
 * flm_runtime_t or in memory the caller gives; nothing is allocated.
 */
#ifndef FLM_RUNTIME_H
#define FLM_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/arena.h"
#include "core/base/config.h"
#include "core/base/error.h"
#include "core/base/ini.h"
#include "core/hal/hal.h"
#include "core/infer/engine.h"
#include "core/model/model.h"
#include "core/guard/esclog.h"
#include "core/guard/privacy.h"
#include "core/router/router.h"
#include "core/update/update.h"
#if FLM_CFG_CLOUD
#include "core/cloud/cloud_client.h"
#include "core/cloud/cloud_config.h"
#endif
#if FLM_CFG_SERVER
#include "core/server/server.h"
#endif

/* ---- the device's settings ------------------------------------------------ */

/* [model] verify: full, the whole image's CRC and scales on every start;
 * header, only the header's (the scales when the engine starts); once, the
 * whole image's on the first start of this image, then a record of it in
 * the HAL's record store that later starts trust while the image (its
 * size, header and, for a file, the port's version of it: a rewrite
 * changes it) is the same (core/runtime/runtime_verify.c). */
typedef enum { FLM_VERIFY_FULL = 0, FLM_VERIFY_HEADER = 1, FLM_VERIFY_ONCE = 2 } flm_verify_setting_t;

/* [model] */
typedef struct {
    char     path[FLM_RUNTIME_PATH_MAX]; /* "" : the caller gives the image */
    uint32_t context;                    /* KV-cache positions; 0 = seq_len */
    uint32_t verify;                     /* flm_verify_setting_t */
    uint32_t threads;                    /* 0 = one per CPU, else 1..FLM_CFG_MAX_THREADS */
} flm_model_settings_t;

extern const flm_ini_section_t flm_model_ini_section;

/* Every section of the device's file. A module that adds a section adds its
 * struct here and one row to the table in runtime_settings.c. */
typedef struct {
    flm_model_settings_t  model;
    bool                  has_model;
    flm_router_settings_t router;
    bool                  has_router;
    flm_update_settings_t update;   /* [update]: absent, no slots */
    bool                  has_update;
#if FLM_CFG_CLOUD
    flm_cloud_settings_t   cloud;
    bool                   has_cloud;
    flm_privacy_settings_t privacy;  /* [privacy]: absent, the defaults (local-only) */
    bool                   has_privacy;
    flm_queue_settings_t   queue;    /* [queue]: absent, no queue */
    bool                   has_queue;
    flm_budget_settings_t  budget;   /* [budget]: absent, no ledger */
    bool                   has_budget;
    flm_esclog_settings_t  log;      /* [log]: absent, no escalation log */
    bool                   has_log;
#endif
#if FLM_CFG_SERVER
    flm_server_settings_t server;
    bool                  has_server;
#endif
} flm_device_settings_t;

/* Parse a whole device file. default_section takes the keys before any
 * [section] line ("cloud" reads a plain endpoint file); NULL: none. On
 * failure s is wiped and err (may be NULL) says where and why. */
flm_err_t flm_device_settings_parse(flm_device_settings_t *s, const char *text, size_t len,
                                    const char *default_section, flm_ini_error_t *err);

/* Wipe s (the API key among it). */
void flm_device_settings_deinit(flm_device_settings_t *s);

/* ---- the runtime ------------------------------------------------------------ */

typedef struct {
    /* The device's file: a path the HAL reads (hosts), or text in memory
     * (a firmware's flash, a record of the store). Neither: no sections,
     * every default. */
    const char *config_path;
    const char *config_text;
    size_t      config_len;
    const char *config_default_section; /* see flm_device_settings_parse */

    /* The model: an image in memory (flash, a mapping the caller made), or a
     * file the HAL maps. Either overrides [model] path. With neither and no
     * [model] path there is no model (a cloud-only tool). */
    const void *model_image;
    size_t      model_size;
    const char *model_path;
    bool        model_verify_header; /* open with FLM_MODEL_VERIFY_HEADER whatever [model] says */
    const char *model_verify;        /* "full", "once" or "header" over [model] verify; NULL: [model] */
    /* The last resort when neither of them nor [model] path names a model:
     * a tool's default (the CLI's is the project's shipped model). */
    const char *default_model_path;

    /* The router's parameters (core/router/router.h): a blob in memory
     * (flash), else [router] params, else MODEL.router beside the model
     * file. With none of them there is no router. */
    const void *router_params;
    size_t      router_params_size;

    /* Resolve the model through the HAL's slots (core/update/update.h)
     * even without an [update] slots_dir: a firmware, whose slots need no
     * directory. With slots, the image above (or [model] path) is the
     * factory image, run when no slot holds a confirmed one; model_path
     * names a model outright and leaves the slots alone. */
    bool        use_slots;

    /* Workers of the engine's matrix products (core/hal/hal_parallel.h,
     * started by flm_runtime_engine_init): 0 takes [model] threads,
     * FLM_RUNTIME_THREADS_AUTO one per CPU, else that many. */
    uint32_t    threads;

    bool        need_model;  /* fail if there is none */
    bool        need_cloud;  /* fail if the file has no [cloud] */
    bool        need_router; /* fail if there are no router parameters */
    bool        local_only;  /* a tool that never calls the cloud (run): [cloud] is
                              * checked as text but no client is built, so its key
                              * and CAs need not be there */
} flm_runtime_config_t;

#define FLM_RUNTIME_THREADS_AUTO UINT32_MAX

typedef struct {
    flm_device_settings_t settings;
    uint32_t              threads;    /* the caller's flm_runtime_config_t.threads */
    bool                  has_pool;   /* the engine started the HAL's thread pool */
    flm_model_t           model;
    bool                  has_model;
    bool                  model_trusted; /* verify = once: a record of this image said it was verified */
    flm_hal_map_t         model_map;  /* when the runtime mapped the model file */
    const char           *model_file; /* the file it came from (the caller's string or [model] path), or NULL */
    flm_engine_t          engine;
    flm_arena_t           arena;
    bool                  has_engine;
    flm_update_t          update;     /* the boot record, when the model comes from the slots */
    bool                  has_update;
    flm_slot_dev_t        slots;
    int                   model_slot; /* the slot the model runs from, FLM_UPDATE_FACTORY */
    bool                  model_rolled_back; /* a slot was given up at this start */
    char                  update_note[sizeof ((flm_update_t *)0)->detail]; /* why, for the log */
    flm_runtime_config_t  cfg;        /* the caller's (its pointers must outlive rt) */
#if FLM_HAL_HAS_FILES
    char                  slot_file[FLM_RUNTIME_PATH_MAX + 16]; /* slots_dir/slot-a.flm */
#endif
    flm_router_params_t   router_params;
    bool                  has_router_params;
    flm_router_t          router;     /* with the engine, when there are parameters */
    bool                  has_router;
#if FLM_CFG_CLOUD
    flm_privacy_t         privacy;    /* the guard every prompt passes before it may leave */
    flm_queue_t           queue;      /* [queue]: on the HAL's record store */
    bool                  has_queue;
    uint8_t               queue_work[FLM_QUEUE_WORK_BYTES(FLM_QUEUE_TEXT_MAX)];
    flm_ledger_t          ledger;     /* [budget]: on the HAL's record store */
    bool                  has_ledger;
    flm_esclog_t          esclog;     /* [log]: on the HAL's record store */
    bool                  has_esclog;
    uint8_t               esclog_work[FLM_ESCLOG_WORK_BYTES(FLM_ESCLOG_TEXT_MAX)];
    flm_cloud_client_t    cloud;
    bool                  has_cloud;
    char                  cloud_path[FLM_CLOUD_PATH_MAX];
    const char           *ca_pem;     /* [cloud] ca_pem, or ca_text */
    flm_hal_tcp_t         tcp;        /* a plain-TCP connection's socket */
#if FLM_HAL_HAS_FILES
    char                  ca_text[FLM_RUNTIME_CA_FILE_MAX]; /* [cloud] ca_file's text */
#endif
#endif
#if FLM_HAL_HAS_FILES
    char                  config_text[FLM_RUNTIME_CONFIG_MAX]; /* the file at config_path */
#endif
    flm_ini_error_t       config_error; /* after FLM_ERR_CONFIG_*: where and why */
    char                  detail[FLM_RUNTIME_DETAIL_MAX]; /* after a failure: what, in words */
} flm_runtime_t;

/* Bring the device up (see the top of this file). On failure everything
 * taken is released and rt->detail names the problem and its place
 * ("openai.conf:2: unknown key 'modle' in [cloud] (did you mean 'model'?)",
 * "model.flm: no such file", "environment variable OPENAI_API_KEY
 * (api_key_env) is not set"). */
flm_err_t flm_runtime_init(flm_runtime_t *rt, const flm_runtime_config_t *cfg);

/* The engine on the runtime's model (and the router on the engine, when
 * there are router parameters, with the runtime's queue and ledger), and
 * the HAL's thread pool for it (the config's threads, else [model] threads;
 * a pool that gets fewer threads than asked runs with those, logged). A
 * model from a slot on trial runs its self-test here first: passed, the
 * slot is confirmed; failed, the slot is given up and the engine built on
 * the previous model instead (rt->model_rolled_back, rt->update_note); if
 * that one needs more than size bytes, FLM_ERR_NOMEM: ask ram again. cfg->ctx_len 0 takes [model] context,
 * and that 0 the model's seq_len. ram says how many arena bytes init needs;
 * init takes them from mem (the caller's: a static array on a device). */
flm_err_t flm_runtime_engine_ram(const flm_runtime_t *rt, const flm_engine_config_t *cfg,
                                 size_t *bytes);
flm_err_t flm_runtime_engine_init(flm_runtime_t *rt, const flm_engine_config_t *cfg, void *mem,
                                  size_t size);

/* A sampling seed for a caller that has none ("-s 0"): in 1 ..
 * FLM_RUNTIME_SEED_MAX, from flm_hal_entropy() or, without a source, the
 * microsecond clock; never the same twice in a row. Print it so that
 * passing it back repeats the run. */
#define FLM_RUNTIME_SEED_MAX 0x7FFFFFFFu
uint32_t flm_runtime_draw_seed(void);

/* Release everything and wipe the secrets; rt may then be initialised again. */
void flm_runtime_deinit(flm_runtime_t *rt);

#endif /* FLM_RUNTIME_H */
