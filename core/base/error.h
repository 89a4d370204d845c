/*
 * fieldlm error codes.
 *
 * Every fallible function returns flm_err_t: 0 on success, a negative code on
 * failure (the mbedTLS convention). Codes are grouped by module in ranges of
 * 0x100 so a code says where it came from; flm_strerror() names each one.
 * Add new codes at the end of their module's block, never renumber.
 */
#ifndef FLM_ERROR_H
#define FLM_ERROR_H

typedef enum {
    FLM_OK = 0,

    /* general: -0x0001 .. -0x00FF */
    FLM_ERR_ARG           = -0x0001, /* invalid argument */
    FLM_ERR_NOMEM         = -0x0002, /* static arena or buffer exhausted */
    FLM_ERR_UNSUPPORTED   = -0x0003, /* not supported on this build or port */
    FLM_ERR_OVERFLOW      = -0x0004, /* value or size does not fit */
    FLM_ERR_CANCELLED     = -0x0005, /* operation cancelled by the caller */
    FLM_ERR_STATE         = -0x0006, /* call not valid in the current state */
    FLM_ERR_NOT_FOUND     = -0x0007, /* no such key, record or item */
    FLM_ERR_IO            = -0x0008, /* storage or file I/O failed */
    FLM_ERR_TIMEOUT       = -0x0009, /* deadline passed */
    FLM_ERR_CONFIG        = -0x000A, /* malformed configuration */
    /* general: next free -0x000B */

    /* HAL / network: -0x0100 .. -0x01FF */
    FLM_ERR_NET_RESOLVE   = -0x0101, /* host name could not be resolved */
    FLM_ERR_NET_CONNECT   = -0x0102, /* connection refused or unreachable */
    FLM_ERR_NET_SEND      = -0x0103, /* send failed */
    FLM_ERR_NET_RECV      = -0x0104, /* receive failed */
    FLM_ERR_NET_CLOSED    = -0x0105, /* peer closed the connection */
    FLM_ERR_NET_DOWN      = -0x0106, /* link is down */
    FLM_ERR_ENTROPY       = -0x0107, /* entropy source failed */
    /* HAL: next free -0x0108 */

    /* model image: -0x0200 .. -0x02FF */
    FLM_ERR_MODEL_TRUNCATED = -0x0201, /* image shorter than its header or its declared size */
    FLM_ERR_MODEL_MAGIC     = -0x0202, /* not a .flm image (bad magic) */
    FLM_ERR_MODEL_VERSION   = -0x0203, /* format version this loader cannot read */
    FLM_ERR_MODEL_ALIGN     = -0x0204, /* image base or a section misaligned */
    FLM_ERR_MODEL_HEADER    = -0x0205, /* malformed header field (sizes, flags, reserved) */
    FLM_ERR_MODEL_CONFIG    = -0x0206, /* inconsistent hyperparameters */
    FLM_ERR_MODEL_BOUNDS    = -0x0207, /* an offset or size points outside the image */
    FLM_ERR_MODEL_DTYPE     = -0x0208, /* unknown or unsupported tensor data type */
    FLM_ERR_MODEL_SHAPE     = -0x0209, /* tensor shape or size disagrees with the config */
    FLM_ERR_MODEL_TENSOR    = -0x020A, /* tensor table entry missing, duplicated or malformed */
    FLM_ERR_MODEL_VALUE     = -0x020B, /* fixed-point value or shift out of its range */
    FLM_ERR_MODEL_TOKENIZER = -0x020C, /* tokenizer section malformed */
    FLM_ERR_MODEL_CRC       = -0x020D, /* CRC-32 mismatch (corrupted image) */
    /* model image: next free -0x020E */

    /* engine (kernels, transformer, tokenizer, sampler): -0x0300 .. -0x03FF */
    /* engine: next free -0x0300 */

    /* cloud protocol (HTTP, JSON, SSE, client): -0x0400 .. -0x04FF */
    /* HTTP */
    FLM_ERR_HTTP_SYNTAX             = -0x0401, /* malformed HTTP message */
    FLM_ERR_HTTP_LINE_TOO_LONG      = -0x0402, /* HTTP line longer than the parser's limit */
    FLM_ERR_HTTP_TOO_MANY_HEADERS   = -0x0403, /* more headers than the parser's limit */
    FLM_ERR_HTTP_BODY_TOO_LARGE     = -0x0404, /* body larger than the configured limit */
    FLM_ERR_HTTP_CHUNK              = -0x0405, /* bad chunk size, extension or terminator */
    FLM_ERR_HTTP_LENGTH             = -0x0406, /* bad or conflicting Content-Length */
    FLM_ERR_HTTP_TRUNCATED          = -0x0407, /* connection ended before the message did */
    FLM_ERR_HTTP_UNSUPPORTED        = -0x0408, /* transfer/content coding or version we do not speak */
    FLM_ERR_HTTP_HEADER_VALUE       = -0x0409, /* CR, LF or NUL in a header we were asked to write */
    /* JSON */
    FLM_ERR_JSON_SYNTAX             = -0x0410, /* malformed JSON */
    FLM_ERR_JSON_DEPTH              = -0x0411, /* nesting deeper than the limit */
    FLM_ERR_JSON_UTF8               = -0x0412, /* invalid UTF-8 in a JSON string */
    FLM_ERR_JSON_TYPE               = -0x0413, /* value has another type than asked for */
    FLM_ERR_JSON_RANGE              = -0x0414, /* number not an integer or out of range */
    /* server-sent events */
    FLM_ERR_SSE_TOO_LONG            = -0x0420, /* event or line longer than the buffer */
    FLM_ERR_SSE_TRUNCATED           = -0x0421, /* stream ended inside an event */
    /* chat completions and the client */
    FLM_ERR_CLOUD_HTTP_STATUS       = -0x0430, /* endpoint answered with a non-2xx status */
    FLM_ERR_CLOUD_API               = -0x0431, /* endpoint returned an error object */
    FLM_ERR_CLOUD_QUOTA             = -0x0432, /* quota exhausted (429 insufficient_quota): do not retry */
    FLM_ERR_CLOUD_PROTOCOL          = -0x0433, /* reply is not a chat completion we understand */
    FLM_ERR_CLOUD_BREAKER_OPEN      = -0x0434, /* circuit breaker open: endpoint not called */
    FLM_ERR_CLOUD_ANSWER_TOO_LONG   = -0x0435, /* answer larger than the text buffer */
    FLM_ERR_CLOUD_NO_DONE           = -0x0436, /* stream ended without [DONE] */
    /* cloud: next free HTTP -0x040A, JSON -0x0415, SSE -0x0422, CLOUD -0x0437 */

    /* TLS transport: -0x0500 .. -0x05FF */
    FLM_ERR_TLS_SETUP         = -0x0501, /* TLS context could not be set up */
    FLM_ERR_TLS_CA            = -0x0502, /* no usable CA certificate given */
    FLM_ERR_TLS_HANDSHAKE     = -0x0503, /* handshake failed (protocol, alert) */
    FLM_ERR_TLS_UNKNOWN_CA    = -0x0504, /* server cert not from a trusted CA */
    FLM_ERR_TLS_HOSTNAME      = -0x0505, /* server cert names another host */
    FLM_ERR_TLS_CERT          = -0x0506, /* server cert refused otherwise */
    FLM_ERR_TLS_IO            = -0x0507, /* bad TLS record after the handshake */
    FLM_ERR_TLS_PLAIN_REFUSED = -0x0508, /* plain TCP to a non-loopback host */
    /* TLS: next free -0x0509 */

    /* router: -0x0600 .. -0x06FF (reserved) */
} flm_err_t;

/* A short, constant, human-readable description of an error code. Never NULL. */
const char *flm_strerror(int err);

#endif /* FLM_ERROR_H */
