/*
 * The one list of fieldlm's error codes: core/base/error.h makes the enum
 * and core/base/error.c the name and text tables from it, so a code cannot
 * exist without its text (and tests/unit/base/test_error.c checks that each
 * text is unique and each code sits inside its module's range).
 *
 * Codes are negative, grouped by module in the ranges of FLM_ERR_MODULES.
 * Add a code at the end of its module's block; never renumber one.
 */
#ifndef FLM_ERROR_LIST_H
#define FLM_ERROR_LIST_H

/* M(module, first, last, description): codes -first .. -last. */
#define FLM_ERR_MODULES(M) \
    M(GENERAL, 0x0001, 0x00FF, "general") \
    M(HAL,     0x0100, 0x01FF, "HAL and network") \
    M(MODEL,   0x0200, 0x02FF, "model image") \
    M(ENGINE,  0x0300, 0x03FF, "engine") \
    M(HTTP,    0x0400, 0x040F, "HTTP") \
    M(JSON,    0x0410, 0x041F, "JSON") \
    M(SSE,     0x0420, 0x042F, "server-sent events") \
    M(CLOUD,   0x0430, 0x04FF, "cloud client") \
    M(TLS,     0x0500, 0x05FF, "TLS transport") \
    M(ROUTER,  0x0600, 0x06FF, "router") \
    M(CONFIG,  0x0700, 0x07FF, "configuration") \
    M(GUARD, 0x0800, 0x08FF, "guards") \
    M(UPDATE, 0x0900, 0x09FF, "model update")

/* X(name, code, text), one list per module: the text is short, constant, and
 * says what went wrong. FLM_ERR_CODES is all of them (the enum always has
 * every code); error.c leaves out the texts of modules a build switched off. */

/* general: -0x0001 .. -0x00FF */
#define FLM_ERR_CODES_GENERAL(X) \
    X(FLM_ERR_ARG, -0x0001, "invalid argument") \
    X(FLM_ERR_NOMEM, -0x0002, "out of memory: static arena or buffer exhausted") \
    X(FLM_ERR_UNSUPPORTED, -0x0003, "not supported by this build or port") \
    X(FLM_ERR_OVERFLOW, -0x0004, "value or size overflow") \
    X(FLM_ERR_CANCELLED, -0x0005, "cancelled") \
    X(FLM_ERR_STATE, -0x0006, "call not valid in the current state") \
    X(FLM_ERR_NOT_FOUND, -0x0007, "not found") \
    X(FLM_ERR_IO, -0x0008, "I/O error") \
    X(FLM_ERR_TIMEOUT, -0x0009, "timed out") \
    X(FLM_ERR_CONFIG, -0x000A, "malformed configuration") \
    X(FLM_ERR_IS_DIR, -0x000B, "is a directory") \
    X(FLM_ERR_ACCESS, -0x000C, "permission denied") \
    X(FLM_ERR_NOT_FILE, -0x000D, "not a regular file")

/* HAL and network: -0x0100 .. -0x01FF */
#define FLM_ERR_CODES_HAL(X) \
    X(FLM_ERR_NET_RESOLVE, -0x0101, "host name could not be resolved") \
    X(FLM_ERR_NET_CONNECT, -0x0102, "connection failed") \
    X(FLM_ERR_NET_SEND, -0x0103, "network send failed") \
    X(FLM_ERR_NET_RECV, -0x0104, "network receive failed") \
    X(FLM_ERR_NET_CLOSED, -0x0105, "connection closed by peer") \
    X(FLM_ERR_NET_DOWN, -0x0106, "network link is down") \
    X(FLM_ERR_ENTROPY, -0x0107, "entropy source failed") \
    X(FLM_ERR_NET_LISTEN, -0x0108, "could not listen on the address (in use or not permitted)") \
    X(FLM_ERR_STORE_FULL, -0x0109, "record store full")

/* model image: -0x0200 .. -0x02FF */
#define FLM_ERR_CODES_MODEL(X) \
    X(FLM_ERR_MODEL_TRUNCATED, -0x0201, "model image truncated: shorter than its header or declared size") \
    X(FLM_ERR_MODEL_MAGIC, -0x0202, "not a fieldlm model image (bad magic)") \
    X(FLM_ERR_MODEL_VERSION, -0x0203, "unsupported model image format version") \
    X(FLM_ERR_MODEL_ALIGN, -0x0204, "model image or one of its sections is misaligned") \
    X(FLM_ERR_MODEL_HEADER, -0x0205, "malformed model image header") \
    X(FLM_ERR_MODEL_CONFIG, -0x0206, "inconsistent model hyperparameters") \
    X(FLM_ERR_MODEL_BOUNDS, -0x0207, "model image offset or size out of bounds") \
    X(FLM_ERR_MODEL_DTYPE, -0x0208, "unknown or unsupported tensor data type") \
    X(FLM_ERR_MODEL_SHAPE, -0x0209, "tensor shape inconsistent with the model config") \
    X(FLM_ERR_MODEL_TENSOR, -0x020A, "tensor missing, duplicated or malformed") \
    X(FLM_ERR_MODEL_VALUE, -0x020B, "fixed-point value or shift out of range") \
    X(FLM_ERR_MODEL_TOKENIZER, -0x020C, "malformed tokenizer section") \
    X(FLM_ERR_MODEL_CRC, -0x020D, "model image checksum mismatch (corrupted)") \
    X(FLM_ERR_MODEL_ARCH, -0x020E, "unknown model architecture")

/* engine: -0x0300 .. -0x03FF */
#define FLM_ERR_CODES_ENGINE(X) \
    X(FLM_ERR_ENGINE_CONTEXT_FULL, -0x0301, "context window full") \
    X(FLM_ERR_ENGINE_TOKEN, -0x0302, "token id outside the vocabulary") \
    X(FLM_ERR_ENGINE_SHAPE, -0x0303, "model shape the engine cannot run") \
    X(FLM_ERR_ENGINE_PROMPT_TOO_LONG, -0x0304, "prompt longer than the engine was sized for")

/* HTTP: -0x0400 .. -0x040F */
#define FLM_ERR_CODES_HTTP(X) \
    X(FLM_ERR_HTTP_SYNTAX, -0x0401, "malformed HTTP status line, header or framing") \
    X(FLM_ERR_HTTP_LINE_TOO_LONG, -0x0402, "HTTP line too long") \
    X(FLM_ERR_HTTP_TOO_MANY_HEADERS, -0x0403, "too many HTTP headers") \
    X(FLM_ERR_HTTP_BODY_TOO_LARGE, -0x0404, "HTTP body too large") \
    X(FLM_ERR_HTTP_CHUNK, -0x0405, "malformed HTTP chunked encoding") \
    X(FLM_ERR_HTTP_LENGTH, -0x0406, "bad HTTP Content-Length") \
    X(FLM_ERR_HTTP_TRUNCATED, -0x0407, "HTTP message truncated (connection dropped)") \
    X(FLM_ERR_HTTP_UNSUPPORTED, -0x0408, "unsupported HTTP feature") \
    X(FLM_ERR_HTTP_HEADER_VALUE, -0x0409, "invalid character in HTTP header")

/* JSON: -0x0410 .. -0x041F */
#define FLM_ERR_CODES_JSON(X) \
    X(FLM_ERR_JSON_SYNTAX, -0x0410, "malformed JSON") \
    X(FLM_ERR_JSON_DEPTH, -0x0411, "JSON nested too deeply") \
    X(FLM_ERR_JSON_UTF8, -0x0412, "invalid UTF-8 in JSON string") \
    X(FLM_ERR_JSON_TYPE, -0x0413, "JSON value has an unexpected type") \
    X(FLM_ERR_JSON_RANGE, -0x0414, "JSON number out of range")

/* server-sent events: -0x0420 .. -0x042F */
#define FLM_ERR_CODES_SSE(X) \
    X(FLM_ERR_SSE_TOO_LONG, -0x0420, "server-sent event too long") \
    X(FLM_ERR_SSE_TRUNCATED, -0x0421, "event stream ended inside an event")

/* cloud client: -0x0430 .. -0x04FF */
#define FLM_ERR_CODES_CLOUD(X) \
    X(FLM_ERR_CLOUD_HTTP_STATUS, -0x0430, "cloud endpoint returned an HTTP error") \
    X(FLM_ERR_CLOUD_API, -0x0431, "cloud endpoint returned an API error") \
    X(FLM_ERR_CLOUD_QUOTA, -0x0432, "cloud quota exhausted") \
    X(FLM_ERR_CLOUD_PROTOCOL, -0x0433, "unexpected cloud reply") \
    X(FLM_ERR_CLOUD_BREAKER_OPEN, -0x0434, "cloud circuit breaker open") \
    X(FLM_ERR_CLOUD_ANSWER_TOO_LONG, -0x0435, "cloud answer larger than the text buffer") \
    X(FLM_ERR_CLOUD_NO_DONE, -0x0436, "cloud stream ended without [DONE]") \
    X(FLM_ERR_CLOUD_USAGE, -0x0437, "cloud reply has a negative or out-of-range token count")

/* TLS transport: -0x0500 .. -0x05FF */
#define FLM_ERR_CODES_TLS(X) \
    X(FLM_ERR_TLS_SETUP, -0x0501, "TLS setup failed") \
    X(FLM_ERR_TLS_CA, -0x0502, "no usable CA certificate") \
    X(FLM_ERR_TLS_HANDSHAKE, -0x0503, "TLS handshake failed") \
    X(FLM_ERR_TLS_UNKNOWN_CA, -0x0504, "server certificate is not signed by a trusted CA") \
    X(FLM_ERR_TLS_HOSTNAME, -0x0505, "server certificate does not match the host name") \
    X(FLM_ERR_TLS_CERT, -0x0506, "server certificate refused (expired, not yet valid, wrong usage or weak)") \
    X(FLM_ERR_TLS_IO, -0x0507, "TLS record error") \
    X(FLM_ERR_TLS_PLAIN_REFUSED, -0x0508, "plain TCP refused for a non-loopback host (allow_plain_tcp is off)")

/* router: -0x0600 .. -0x06FF */
#define FLM_ERR_CODES_ROUTER(X)

/* configuration: -0x0700 .. -0x07FF */
#define FLM_ERR_CODES_CONFIG(X) \
    X(FLM_ERR_CONFIG_SYNTAX, -0x0701, "configuration line is not [section] or key = value") \
    X(FLM_ERR_CONFIG_SECTION, -0x0702, "unknown configuration section") \
    X(FLM_ERR_CONFIG_KEY, -0x0703, "unknown configuration key") \
    X(FLM_ERR_CONFIG_DUPLICATE, -0x0704, "configuration key given twice") \
    X(FLM_ERR_CONFIG_VALUE, -0x0705, "bad configuration value") \
    X(FLM_ERR_CONFIG_MISSING, -0x0706, "required configuration key missing") \
    X(FLM_ERR_CONFIG_CONFLICT, -0x0707, "configuration keys exclude each other") \
    X(FLM_ERR_CONFIG_TOO_LONG, -0x0708, "configuration line or value too long")

/* guards: -0x0800 .. -0x08FF. The store-and-forward queue and the budget
 * ledger (core/guard/queue.h, ledger.h) take -0x0880 .. -0x08BF; the lower
 * codes are left to the privacy guard. */
#define FLM_ERR_CODES_GUARD_STORE(X) \
    X(FLM_ERR_RECORD_CORRUPT, -0x0880, "stored record torn or corrupted (length or CRC check failed)") \
    X(FLM_ERR_BUDGET_EXCEEDED, -0x0881, "cloud budget cap reached") \
    X(FLM_ERR_LEDGER_USAGE, -0x0882, "usage figures negative or out of range")

#define FLM_ERR_CODES_GUARD(X) \
    FLM_ERR_CODES_GUARD_STORE(X)

/* model update (core/update/update.h): -0x0900 .. -0x09FF */
#define FLM_ERR_CODES_UPDATE(X) \
    X(FLM_ERR_UPDATE_SLOT_SIZE, -0x0901, "model image larger than an update slot") \
    X(FLM_ERR_UPDATE_BUDGET, -0x0902, "model needs more RAM than the board's arena budget") \
    X(FLM_ERR_UPDATE_SIGNATURE, -0x0903, "model image signature does not verify against the firmware's key") \
    X(FLM_ERR_UPDATE_UNSIGNED, -0x0904, "model image has no signature and [update] require_signature is set") \
    X(FLM_ERR_UPDATE_SELFTEST, -0x0905, "model self-test failed: its first tokens differ from those recorded at install") \
    X(FLM_ERR_UPDATE_INCOMPLETE, -0x0906, "model image not completely written to its slot") \
    X(FLM_ERR_UPDATE_MISMATCH, -0x0907, "slot holds another image than the boot record says") \
    X(FLM_ERR_UPDATE_CONTEXT, -0x0908, "model's context is shorter than the device's [model] context")

#define FLM_ERR_CODES(X) \
    X(FLM_OK, 0, "success") \
    FLM_ERR_CODES_GENERAL(X) \
    FLM_ERR_CODES_HAL(X) \
    FLM_ERR_CODES_MODEL(X) \
    FLM_ERR_CODES_ENGINE(X) \
    FLM_ERR_CODES_HTTP(X) \
    FLM_ERR_CODES_JSON(X) \
    FLM_ERR_CODES_SSE(X) \
    FLM_ERR_CODES_CLOUD(X) \
    FLM_ERR_CODES_TLS(X) \
    FLM_ERR_CODES_ROUTER(X) \
    FLM_ERR_CODES_CONFIG(X) \
    FLM_ERR_CODES_GUARD(X) \
    FLM_ERR_CODES_UPDATE(X)

#endif /* FLM_ERROR_LIST_H */
