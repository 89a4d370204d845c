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
    /* model image: next free -0x0200 */

    /* engine (kernels, transformer, tokenizer, sampler): -0x0300 .. -0x03FF */
    /* engine: next free -0x0300 */

    /* cloud protocol (HTTP, JSON, SSE, client): -0x0400 .. -0x04FF */
    /* cloud: next free -0x0400 */

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
