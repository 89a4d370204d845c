#include "core/base/error.h"

#include <stddef.h>

typedef struct {
    int code;
    const char *text;
} flm_err_name_t;

static const flm_err_name_t flm_err_names[] = {
    { FLM_OK,               "success" },

    { FLM_ERR_ARG,          "invalid argument" },
    { FLM_ERR_NOMEM,        "out of memory: static arena or buffer exhausted" },
    { FLM_ERR_UNSUPPORTED,  "not supported by this build or port" },
    { FLM_ERR_OVERFLOW,     "value or size overflow" },
    { FLM_ERR_CANCELLED,    "cancelled" },
    { FLM_ERR_STATE,        "call not valid in the current state" },
    { FLM_ERR_NOT_FOUND,    "not found" },
    { FLM_ERR_IO,           "I/O error" },
    { FLM_ERR_TIMEOUT,      "timed out" },
    { FLM_ERR_CONFIG,       "malformed configuration" },

    { FLM_ERR_NET_RESOLVE,  "host name could not be resolved" },
    { FLM_ERR_NET_CONNECT,  "connection failed" },
    { FLM_ERR_NET_SEND,     "network send failed" },
    { FLM_ERR_NET_RECV,     "network receive failed" },
    { FLM_ERR_NET_CLOSED,   "connection closed by peer" },
    { FLM_ERR_NET_DOWN,     "network link is down" },
    { FLM_ERR_ENTROPY,      "entropy source failed" },

    /* model image */
    { FLM_ERR_MODEL_TRUNCATED, "model image truncated: shorter than its header or declared size" },
    { FLM_ERR_MODEL_MAGIC,     "not a fieldlm model image (bad magic)" },
    { FLM_ERR_MODEL_VERSION,   "unsupported model image format version" },
    { FLM_ERR_MODEL_ALIGN,     "model image or one of its sections is misaligned" },
    { FLM_ERR_MODEL_HEADER,    "malformed model image header" },
    { FLM_ERR_MODEL_CONFIG,    "inconsistent model hyperparameters" },
    { FLM_ERR_MODEL_BOUNDS,    "model image offset or size out of bounds" },
    { FLM_ERR_MODEL_DTYPE,     "unknown or unsupported tensor data type" },
    { FLM_ERR_MODEL_SHAPE,     "tensor shape inconsistent with the model config" },
    { FLM_ERR_MODEL_TENSOR,    "tensor missing, duplicated or malformed" },
    { FLM_ERR_MODEL_VALUE,     "fixed-point value or shift out of range" },
    { FLM_ERR_MODEL_TOKENIZER, "malformed tokenizer section" },
    { FLM_ERR_MODEL_CRC,       "model image checksum mismatch (corrupted)" },

    /* engine */

    /* cloud protocol */
    { FLM_ERR_HTTP_SYNTAX, "malformed HTTP status line, header or framing" },
    { FLM_ERR_HTTP_LINE_TOO_LONG, "HTTP line too long" },
    { FLM_ERR_HTTP_TOO_MANY_HEADERS, "too many HTTP headers" },
    { FLM_ERR_HTTP_BODY_TOO_LARGE, "HTTP body too large" },
    { FLM_ERR_HTTP_CHUNK, "malformed HTTP chunked encoding" },
    { FLM_ERR_HTTP_LENGTH, "bad HTTP Content-Length" },
    { FLM_ERR_HTTP_TRUNCATED, "HTTP message truncated (connection dropped)" },
    { FLM_ERR_HTTP_UNSUPPORTED, "unsupported HTTP feature" },
    { FLM_ERR_HTTP_HEADER_VALUE, "invalid character in HTTP header" },
    { FLM_ERR_JSON_SYNTAX, "malformed JSON" },
    { FLM_ERR_JSON_DEPTH, "JSON nested too deeply" },
    { FLM_ERR_JSON_UTF8, "invalid UTF-8 in JSON string" },
    { FLM_ERR_JSON_TYPE, "JSON value has an unexpected type" },
    { FLM_ERR_JSON_RANGE, "JSON number out of range" },
    { FLM_ERR_SSE_TOO_LONG, "server-sent event too long" },
    { FLM_ERR_SSE_TRUNCATED, "event stream ended inside an event" },
    { FLM_ERR_CLOUD_HTTP_STATUS, "cloud endpoint returned an HTTP error" },
    { FLM_ERR_CLOUD_API, "cloud endpoint returned an API error" },
    { FLM_ERR_CLOUD_QUOTA, "cloud quota exhausted" },
    { FLM_ERR_CLOUD_PROTOCOL, "unexpected cloud reply" },
    { FLM_ERR_CLOUD_BREAKER_OPEN, "cloud circuit breaker open" },
    { FLM_ERR_CLOUD_ANSWER_TOO_LONG, "cloud answer larger than the text buffer" },
    { FLM_ERR_CLOUD_NO_DONE, "cloud stream ended without [DONE]" },

    /* TLS transport */
    { FLM_ERR_TLS_SETUP,         "TLS setup failed" },
    { FLM_ERR_TLS_CA,            "no usable CA certificate" },
    { FLM_ERR_TLS_HANDSHAKE,     "TLS handshake failed" },
    { FLM_ERR_TLS_UNKNOWN_CA,    "server certificate is not signed by a trusted CA" },
    { FLM_ERR_TLS_HOSTNAME,      "server certificate does not match the host name" },
    { FLM_ERR_TLS_CERT,          "server certificate refused (expired, not yet valid, wrong usage or weak)" },
    { FLM_ERR_TLS_IO,            "TLS record error" },
    { FLM_ERR_TLS_PLAIN_REFUSED, "plain TCP refused for a non-loopback host (allow_plain_tcp is off)" },
};

const char *flm_strerror(int err)
{
    for (size_t i = 0; i < sizeof flm_err_names / sizeof flm_err_names[0]; i++) {
        if (flm_err_names[i].code == err)
            return flm_err_names[i].text;
    }
    return "unknown error";
}
