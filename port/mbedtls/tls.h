/*
 * TLS 1.2 client transport on mbedTLS, over the HAL's TCP socket.
 *
 * Verification is always on: the server's chain must lead to one of the
 * given CAs and its certificate must name the host we dialled (SNI is sent
 * with the same name). All of mbedTLS's memory comes from the static pool in
 * tls_pool.h; closing a connection returns every byte of it.
 *
 *   flm_tls_t t;
 *   flm_tls_init(&t);
 *   err = flm_tls_connect(&t, &cfg, "api.example.com", 443);
 *   flm_tls_transport(&t, &tr);    // tr.send / tr.recv / tr.close
 */
#ifndef FLM_TLS_H
#define FLM_TLS_H

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "core/hal/hal.h"

typedef struct {
    /* Trusted CAs as NUL-terminated PEM text: one pinned CA or a whole
     * bundle (certificates that fail to parse are skipped if one parses). */
    const char *ca_pem;
    /* Deadline for TCP connect plus handshake. */
    uint32_t    timeout_ms;
} flm_tls_config_t;

typedef struct {
    flm_hal_tcp_t            tcp;
    mbedtls_ssl_context      ssl;
    mbedtls_ssl_config       conf;
    mbedtls_x509_crt         ca;
    mbedtls_ctr_drbg_context drbg;
    uint64_t                 deadline_ms;  /* of the call in progress */
    uint32_t                 verify_flags; /* MBEDTLS_X509_BADCERT_* of the last handshake */
    int                      mbedtls_err;  /* last mbedTLS error, for diagnostics */
    int                      open;
    uint8_t                  ip[16];       /* the host, when it is an address literal */
    size_t                   ip_len;       /* 4, 16, or 0 for a name */
} flm_tls_t;

/* Address hosts (tls_ip_san.c): the bytes of an IPv4 or IPv6 literal
 * (returns 4 or 16; 0 for a name), and whether a certificate's
 * subjectAltName has that address as an iPAddress entry. */
size_t flm_tls_ip_literal(const char *host, uint8_t ip[16]);
bool   flm_tls_san_has_ip(const mbedtls_x509_crt *crt, const uint8_t *ip, size_t len);

void flm_tls_init(flm_tls_t *t);

/* Connect, handshake and verify. Errors: FLM_ERR_NET_* / FLM_ERR_TIMEOUT for
 * the socket, FLM_ERR_TLS_CA for unusable CA text, FLM_ERR_TLS_UNKNOWN_CA or
 * FLM_ERR_TLS_HOSTNAME or FLM_ERR_TLS_CERT for a refused certificate,
 * FLM_ERR_TLS_HANDSHAKE for anything else the peer or protocol broke,
 * FLM_ERR_NOMEM when the pool is too small. On error t is closed. */
flm_err_t flm_tls_connect(flm_tls_t *t, const flm_tls_config_t *cfg,
                          const char *host, uint16_t port);

/* Same contract as flm_transport_t's send/recv (bytes moved or an error;
 * FLM_ERR_NET_CLOSED at the end of the stream). */
int  flm_tls_send(flm_tls_t *t, const uint8_t *buf, size_t n, uint32_t timeout_ms);
int  flm_tls_recv(flm_tls_t *t, uint8_t *buf, size_t cap, uint32_t timeout_ms);

/* Send close_notify (best effort), close the socket, free every TLS object. */
void flm_tls_close(flm_tls_t *t);

void flm_tls_transport(flm_tls_t *t, flm_transport_t *out);

#endif /* FLM_TLS_H */
