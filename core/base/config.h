/*
 * fieldlm's compile-time options, all in one place (the mbedTLS config and
 * lwIP opt.h style). Every option is defaulted here, once, next to what it
 * does; a build changes one with -DNAME=value or from a header of its own
 * named by FLM_USER_CONFIG_FILE. (What the platform can do, as opposed to
 * what the build wants, is in core/hal/hal_caps.h.)
 *
 *     make EXTRA_CFLAGS='-DFLM_USER_CONFIG_FILE="\"my_fieldlm.h\""'
 *
 * That header is read first, so it may set anything below. The build's
 * own facts (is mbedTLS linked: FLM_HAL_HAS_TLS) come from FLM_BUILD_CONFIG_FILE, which the
 * Makefile writes. Combinations that cannot work are #errors at the end.
 *
 * Options whose name ends in _MAX or _BYTES size static buffers: they are
 * the RAM a device pays, and the longest input it accepts.
 */
#ifndef FLM_CONFIG_H
#define FLM_CONFIG_H

#if defined(FLM_USER_CONFIG_FILE)
#include FLM_USER_CONFIG_FILE
#endif
#if defined(FLM_BUILD_CONFIG_FILE)
#include FLM_BUILD_CONFIG_FILE
#endif

/* ==== modules ==============================================================
 * A module switched off compiles to nothing: its sources are empty, its
 * error texts leave flm_strerror's table, and a firmware that never calls
 * it links none of it. */

/* The cloud path: HTTP/1.1, JSON, server-sent events, the OpenAI client and
 * the settings of the [cloud] section. Off on boards without a network. */
#ifndef FLM_CFG_CLOUD
#define FLM_CFG_CLOUD 1
#endif

/* The OpenAI-compatible server (core/server, `fieldlm serve`): the device
 * answers POST /v1/chat/completions and /v1/completions through the router.
 * On by default where the port can listen (FLM_HAL_HAS_NET_SERVER, set by
 * the port's rules.mk), so off on the MPS2 boards. */
#ifndef FLM_CFG_SERVER
#if defined(FLM_HAL_HAS_NET_SERVER) && FLM_HAL_HAS_NET_SERVER
#define FLM_CFG_SERVER 1
#else
#define FLM_CFG_SERVER 0
#endif
#endif

/* HTTP/1.1, JSON and server-sent events (core/proto): what the cloud client
 * and the server share. Derived, not set: on when either is. */
#define FLM_CFG_PROTO (FLM_CFG_CLOUD || FLM_CFG_SERVER)

/* The device's INI file (core/base/ini.c, the sections' tables). A firmware
 * that is configured at build time and never reads one sets 0: it runs on
 * the defaults and saves ~5 KiB of flash. */
#ifndef FLM_CFG_DEVICE_FILE
#define FLM_CFG_DEVICE_FILE 1
#endif

/* The byte-level BPE tokenizer (GPT-2-style vocabularies: SmolLM, ...):
 * its pre-tokenizer and a 6 KB Unicode class table. Without it an image
 * with such a vocabulary loads but no engine starts on it. */
#ifndef FLM_CFG_TOKENIZER_BPE
#define FLM_CFG_TOKENIZER_BPE 1
#endif

/* ==== model image ========================================================== */

/* Layers whose views flm_model_t holds (each costs 9 views, ~300 bytes).
 * Boards with small RAM lower it to the largest model they run. */
#ifndef FLM_MODEL_MAX_LAYERS
#define FLM_MODEL_MAX_LAYERS 32
#endif

/* flm_model_t's detail text naming why an image was refused. */
#ifndef FLM_MODEL_DETAIL_MAX
#define FLM_MODEL_DETAIL_MAX 96
#endif

/* ==== kernels (core/kernels) =============================================== */

/* Which instruction sets' kernel variants a build has (kernels_select.h
 * picks among them; each is bit-exact with the plain C _ref). The defaults
 * follow the compiler: ARM's DSP extension (Cortex-M4/M7/M33, ARMv7-A,
 * little-endian), ARM's MVE (Helium, Cortex-M55) and x86-64 AVX2
 * (chosen at run time unless -mavx2). 0 builds without them. */
#ifndef FLM_KERNELS_ARM_DSP
#if defined(__ARM_FEATURE_DSP) && !defined(__ARM_BIG_ENDIAN)
#define FLM_KERNELS_ARM_DSP 1
#else
#define FLM_KERNELS_ARM_DSP 0
#endif
#endif
/* ARM A-profile NEON (AArch64, and ARMv7-A with a VFP ABI such as armhf),
 * and on AArch64 the dot-product extension (SDOT): compiled in with
 * #pragma GCC target, so a baseline build has them; they run where the CPU
 * has them, asked at run time through flm_hal_cpu_features() unless the
 * compiler already assumes them (__ARM_NEON, __ARM_FEATURE_DOTPROD). */
#ifndef FLM_KERNELS_ARM_NEON
#if defined(__GNUC__) && !defined(__ARM_BIG_ENDIAN) &&                                    \
    (defined(__aarch64__) ||                                                              \
     (defined(__arm__) && defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'A' &&     \
      __ARM_ARCH >= 7 && defined(__ARM_FP) && defined(__ARM_PCS_VFP)))
#define FLM_KERNELS_ARM_NEON 1
#else
#define FLM_KERNELS_ARM_NEON 0
#endif
#endif
#ifndef FLM_KERNELS_ARM_DOTPROD
#if FLM_KERNELS_ARM_NEON && defined(__aarch64__)
#define FLM_KERNELS_ARM_DOTPROD 1
#else
#define FLM_KERNELS_ARM_DOTPROD 0
#endif
#endif
/* ARMv8.1-M's M-profile Vector Extension (Helium: Cortex-M55/M85) with its
 * integer instructions, little-endian. */
#ifndef FLM_KERNELS_ARM_MVE
#if defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1) && !defined(__ARM_BIG_ENDIAN)
#define FLM_KERNELS_ARM_MVE 1
#else
#define FLM_KERNELS_ARM_MVE 0
#endif
#endif
#ifndef FLM_KERNELS_X86
#if defined(__x86_64__) && defined(__GNUC__) /* target("avx2"), __builtin_cpu_supports */
#define FLM_KERNELS_X86 1
#else
#define FLM_KERNELS_X86 0
#endif
#endif

/* The most workers the HAL's thread pool may have (hal_parallel.h), the
 * caller's thread included: it sizes the pool's static arrays (a few
 * dozen bytes each, the threads' stacks are the platform's). Ports without
 * threads ignore it. */
#ifndef FLM_CFG_MAX_THREADS
#define FLM_CFG_MAX_THREADS 16
#endif

/* ==== configuration file (core/base/ini.h) ================================= */

#ifndef FLM_INI_LINE_MAX
#define FLM_INI_LINE_MAX 1024u     /* longest line */
#endif
#ifndef FLM_INI_KEYS_MAX
#define FLM_INI_KEYS_MAX 32u       /* keys in one section's table */
#endif
#ifndef FLM_INI_SECTIONS_MAX
#define FLM_INI_SECTIONS_MAX 16u   /* sections one parse binds */
#endif

/* ==== protocols (core/proto) =============================================== */

#ifndef FLM_HTTP_LINE_MAX
#define FLM_HTTP_LINE_MAX 2048     /* longest status, header or chunk-size line */
#endif
#ifndef FLM_HTTP_MAX_HEADERS
#define FLM_HTTP_MAX_HEADERS 64    /* headers in one message */
#endif
#ifndef FLM_URL_HOST_MAX
#define FLM_URL_HOST_MAX 128       /* host name in a URL */
#endif
#ifndef FLM_URL_PATH_MAX
#define FLM_URL_PATH_MAX 256       /* path in a URL */
#endif

/* ==== cloud client (core/cloud) ============================================ */

#ifndef FLM_CLOUD_WORK_BYTES
#define FLM_CLOUD_WORK_BYTES 16384 /* the request, then a whole JSON reply or one SSE event */
#endif
#ifndef FLM_CLOUD_TEXT_BYTES
#define FLM_CLOUD_TEXT_BYTES 8192  /* the answer's text */
#endif
#ifndef FLM_CLOUD_IO_BYTES
#define FLM_CLOUD_IO_BYTES 1024    /* one receive */
#endif
#ifndef FLM_CLOUD_PEM_MAX
#define FLM_CLOUD_PEM_MAX 4096     /* a CA pinned inline in [cloud] ca_pem */
#endif
#ifndef FLM_CLOUD_KEY_MAX
#define FLM_CLOUD_KEY_MAX 256      /* the API key */
#endif
/* The longest path the runtime builds: a relative ca_file joined to the
 * folder of the configuration file that names it (on its stack). */
#ifndef FLM_RUNTIME_PATH_MAX
#define FLM_RUNTIME_PATH_MAX 512
#endif

/* ==== server (core/server) =================================================
 * Each connection has a slot sized at start ([server] slots and body_max):
 * its parser, its input and the body; the answer being generated has the
 * rest once (the prompt, the text of a non-streamed answer). */

/* The most connections [server] slots may ask for. */
#ifndef FLM_SERVER_SLOTS_MAX
#define FLM_SERVER_SLOTS_MAX 64
#endif
/* Bytes of a connection's input not yet parsed: pipelined requests wait here. */
#ifndef FLM_SERVER_IN_BYTES
#define FLM_SERVER_IN_BYTES 4096
#endif
/* One response head, or one small body (errors, /health, /v1/models), or
 * one streamed event. */
#ifndef FLM_SERVER_OUT_BYTES
#define FLM_SERVER_OUT_BYTES 4096
#endif
/* The text of a non-streamed answer (the cloud's answer fits the client's
 * FLM_CLOUD_TEXT_BYTES): longer is cut and said to be "length". */
#ifndef FLM_SERVER_ANSWER_BYTES
#define FLM_SERVER_ANSWER_BYTES 8192
#endif
/* A request's "stop": how many sequences, and the longest. */
#ifndef FLM_SERVER_STOP_MAX
#define FLM_SERVER_STOP_MAX 4
#endif
#ifndef FLM_SERVER_STOP_BYTES
#define FLM_SERVER_STOP_BYTES 32
#endif
/* Connections closed after their response but drained for a moment, so the
 * client reads the response before the close (a refused one among them). */
#ifndef FLM_SERVER_LINGER
#define FLM_SERVER_LINGER 8
#endif
/* [server] auth_token and the name the local model answers as. */
#ifndef FLM_SERVER_TOKEN_MAX
#define FLM_SERVER_TOKEN_MAX 128
#endif
#ifndef FLM_SERVER_NAME_MAX
#define FLM_SERVER_NAME_MAX 64
#endif

/* ==== router (core/router) ================================================= */

/* Prompt tokens whose NLL the router keeps for its quantiles (4 bytes each);
 * a longer prompt's quantiles come from its first this many. */
#ifndef FLM_ROUTER_MAX_TOKENS
#define FLM_ROUTER_MAX_TOKENS 512
#endif
/* Cascade mode holds back the local start's text until it decides. */
#ifndef FLM_ROUTER_PROBE_MAX
#define FLM_ROUTER_PROBE_MAX 1024
#endif
/* The redacted prompt (and system message) the cloud gets under policy
 * redact: a longer one stays on the device. */
#ifndef FLM_ROUTER_REDACT_MAX
#define FLM_ROUTER_REDACT_MAX 4096
#endif
/* [router] force_cloud / force_local: the comma-separated keyword lists. */
#ifndef FLM_ROUTER_KEYWORDS_MAX
#define FLM_ROUTER_KEYWORDS_MAX 256
#endif

/* ==== privacy guard (core/guard/privacy) =================================== */

/* Spans one prompt may have and still be redacted (a flm_pii_span_t each in
 * flm_privacy_t, an 8-byte entry each in the redaction map); a prompt with
 * more stays on the device. */
#ifndef FLM_PRIVACY_SPANS_MAX
#define FLM_PRIVACY_SPANS_MAX 32
#endif
/* The redaction map's copy of the values it replaced, for restoring them. */
#ifndef FLM_PRIVACY_MAP_BYTES
#define FLM_PRIVACY_MAP_BYTES 1024
#endif
/* [privacy] deny_words: the comma-separated list, NUL included, and how
 * many phrases it may hold. */
#ifndef FLM_PRIVACY_DENY_BYTES
#define FLM_PRIVACY_DENY_BYTES 256
#endif
#ifndef FLM_PRIVACY_DENY_MAX
#define FLM_PRIVACY_DENY_MAX 16
#endif

/* ==== store-and-forward queue and budget ledger (core/guard) ============== */

/* The budget ledger refuses a usage report (the server's `usage`, the
 * engine's counts) above this many tokens in one request as absurd: a
 * server that sends 2^40 must not exhaust or wrap the budget. */
#ifndef FLM_LEDGER_USAGE_MAX
#define FLM_LEDGER_USAGE_MAX 10000000u
#endif
/* The runtime's queue holds prompts (with their system message) and the
 * cloud's answers of up to this many bytes: its work buffer is one record
 * (FLM_QUEUE_WORK_BYTES). A longer prompt is answered locally, not queued;
 * a longer answer is stored cut at a character boundary. */
#ifndef FLM_QUEUE_TEXT_MAX
#define FLM_QUEUE_TEXT_MAX 8192
#endif
/* The runtime's escalation log ([log], core/guard/esclog.h) keeps entries
 * whose prompt, system message and answer together hold up to this many
 * bytes: its work buffer is one record (FLM_ESCLOG_WORK_BYTES). A longer
 * exchange is answered as usual and not logged. */
#ifndef FLM_ESCLOG_TEXT_MAX
#define FLM_ESCLOG_TEXT_MAX 16384
#endif

/* ==== runtime (core/runtime) =============================================== */

#ifndef FLM_RUNTIME_PATH_MAX
#define FLM_RUNTIME_PATH_MAX 256          /* [model] path */
#endif
#ifndef FLM_RUNTIME_CONFIG_MAX
#define FLM_RUNTIME_CONFIG_MAX (16u * 1024u) /* a device file read by path (hosts) */
#endif
#ifndef FLM_RUNTIME_CA_FILE_MAX
#define FLM_RUNTIME_CA_FILE_MAX (512u * 1024u) /* [cloud] ca_file: a system bundle is ~220 KiB */
#endif
#ifndef FLM_RUNTIME_DETAIL_MAX
#define FLM_RUNTIME_DETAIL_MAX 256        /* flm_runtime_t's error text */
#endif

/* ==== record stores (port/) ================================================ */

/* The RAM store of platforms without a persistent one (port/common): how
 * many records, and the largest (each record reserves this much RAM). */
#ifndef FLM_RAM_STORE_RECORDS
#define FLM_RAM_STORE_RECORDS 4
#endif
#ifndef FLM_RAM_STORE_RECORD_MAX
#define FLM_RAM_STORE_RECORD_MAX 256
#endif

/* The flash-like store (port/common/flash_store.h): live records it indexes
 * (4 bytes of RAM each; the next new key beyond it gets FLM_ERR_STORE_FULL). */
#ifndef FLM_FLASH_STORE_RECORDS
#define FLM_FLASH_STORE_RECORDS 32
#endif

/* The largest record the POSIX store takes (a get reads one whole). */
#ifndef FLM_HAL_POSIX_STORE_RECORD_MAX
#define FLM_HAL_POSIX_STORE_RECORD_MAX (1u << 20)
#endif

/* ==== TLS (port/mbedtls) =================================================== */

/* Sessions open at once (each a few KiB of mbedTLS contexts, static). */
#ifndef FLM_TLS_SESSIONS
#define FLM_TLS_SESSIONS 2
#endif

/* The static pool every mbedTLS allocation comes from. 96 KiB holds one
 * session with a pinned CA (high-water ~47 KB); a host verifying against
 * the system's whole CA bundle needs about 1 MiB (the POSIX build sets it). */
#ifndef FLM_TLS_POOL_SIZE
#define FLM_TLS_POOL_SIZE (96u * 1024u)
#endif

/* ==== checks =============================================================== */

#if FLM_CFG_CLOUD && !FLM_CFG_DEVICE_FILE
#error "FLM_CFG_CLOUD needs FLM_CFG_DEVICE_FILE: the endpoint comes from the [cloud] section"
#endif
#if (FLM_CFG_SERVER | FLM_CFG_CLOUD | FLM_CFG_DEVICE_FILE) & ~1
#error "FLM_CFG_SERVER, FLM_CFG_CLOUD and FLM_CFG_DEVICE_FILE are 0 or 1"
#endif
#if FLM_SERVER_SLOTS_MAX < 1 || FLM_SERVER_IN_BYTES < 1024 || FLM_SERVER_OUT_BYTES < 2048 || \
    FLM_SERVER_ANSWER_BYTES < 256 || FLM_SERVER_STOP_BYTES < 4
#error "FLM_SERVER_* sizes too small for one request and its response head"
#endif
#if FLM_CFG_MAX_THREADS < 1 || FLM_CFG_MAX_THREADS > 256
#error "FLM_CFG_MAX_THREADS must be 1..256"
#endif
#if FLM_MODEL_MAX_LAYERS < 1
#error "FLM_MODEL_MAX_LAYERS must be at least 1"
#endif
#if FLM_CLOUD_WORK_BYTES < 4096
#error "FLM_CLOUD_WORK_BYTES below 4096 cannot hold a request head and a reply"
#endif
#if FLM_CLOUD_KEY_MAX < 32 || FLM_CLOUD_PEM_MAX < 1024
#error "FLM_CLOUD_KEY_MAX or FLM_CLOUD_PEM_MAX too small for real keys and certificates"
#endif
#if FLM_PRIVACY_SPANS_MAX < 1 || FLM_PRIVACY_SPANS_MAX > 1024
#error "FLM_PRIVACY_SPANS_MAX must be in 1..1024"
#endif
#if FLM_PRIVACY_MAP_BYTES < 64 || FLM_PRIVACY_MAP_BYTES > 65535
#error "FLM_PRIVACY_MAP_BYTES must be in 64..65535 (the map's offsets are 16-bit)"
#endif
#if FLM_PRIVACY_DENY_BYTES < 2 || FLM_PRIVACY_DENY_BYTES > 65535 || FLM_PRIVACY_DENY_MAX < 1
#error "FLM_PRIVACY_DENY_BYTES must be in 2..65535 and FLM_PRIVACY_DENY_MAX at least 1"
#endif
#if FLM_FLASH_STORE_RECORDS < 1 || FLM_FLASH_STORE_RECORDS > 65535
#error "FLM_FLASH_STORE_RECORDS must be 1..65535"
#endif
#if FLM_LEDGER_USAGE_MAX < 1 || FLM_LEDGER_USAGE_MAX > 1000000000
#error "FLM_LEDGER_USAGE_MAX must be 1..10^9 (token counts times prices stay in 64 bits)"
#endif
#if FLM_INI_LINE_MAX < 128
#error "FLM_INI_LINE_MAX below 128 cannot hold an https URL line"
#endif

#endif /* FLM_CONFIG_H */
