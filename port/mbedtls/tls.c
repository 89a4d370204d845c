#include "port/mbedtls/tls.h"

#include <string.h>

#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>

#include "port/mbedtls/tls_pool.h"

/* ---- the socket under mbedTLS ----------------------------------------- */

/* Every BIO call is bounded by the deadline of the transport call (or of
 * the whole handshake) in progress, not by a per-read timeout. */
static uint32_t time_left(const flm_tls_t *t)
{
    uint64_t now = flm_hal_time_ms();
    if (now >= t->deadline_ms)
        return 0;
    uint64_t left = t->deadline_ms - now;
    return left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
}

static int bio_err(int rc)
{
    switch (rc) {
    case FLM_ERR_TIMEOUT:    return MBEDTLS_ERR_SSL_TIMEOUT;
    case FLM_ERR_NET_CLOSED: return MBEDTLS_ERR_NET_CONN_RESET;
    case FLM_ERR_NET_SEND:   return MBEDTLS_ERR_NET_SEND_FAILED;
    default:                 return MBEDTLS_ERR_NET_RECV_FAILED;
    }
}

static int bio_send(void *ctx, const unsigned char *buf, size_t n)
{
    flm_tls_t *t = ctx;
    int rc = flm_hal_tcp_send(&t->tcp, buf, n, time_left(t));
    return rc >= 0 ? rc : bio_err(rc);
}

static int bio_recv_timeout(void *ctx, unsigned char *buf, size_t n, uint32_t unused)
{
    (void)unused;
    flm_tls_t *t = ctx;
    int rc = flm_hal_tcp_recv(&t->tcp, buf, n, time_left(t));
    if (rc == FLM_ERR_NET_CLOSED)
        return 0; /* EOF: mbedTLS tells a clean close from a truncation */
    return rc >= 0 ? rc : bio_err(rc);
}

static int drbg_entropy(void *ctx, unsigned char *buf, size_t n)
{
    (void)ctx;
    return flm_hal_entropy(buf, n) == FLM_OK ? 0 : MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
}

/* ---- errors ------------------------------------------------------------ */

static flm_err_t map_alloc(int ret, flm_err_t otherwise)
{
    switch (ret) {
    case MBEDTLS_ERR_SSL_ALLOC_FAILED:
    case MBEDTLS_ERR_X509_ALLOC_FAILED:
    case MBEDTLS_ERR_PK_ALLOC_FAILED:
    case MBEDTLS_ERR_MPI_ALLOC_FAILED:
    case MBEDTLS_ERR_ECP_ALLOC_FAILED:
    case MBEDTLS_ERR_CIPHER_ALLOC_FAILED:
    case MBEDTLS_ERR_MD_ALLOC_FAILED:
        return FLM_ERR_NOMEM;
    default:
        return otherwise;
    }
}

static flm_err_t map_handshake(const flm_tls_t *t, int ret)
{
    if (t->verify_flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED)
        return FLM_ERR_TLS_UNKNOWN_CA;
    if (t->verify_flags & MBEDTLS_X509_BADCERT_CN_MISMATCH)
        return FLM_ERR_TLS_HOSTNAME;
    if (t->verify_flags || ret == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED)
        return FLM_ERR_TLS_CERT;
    switch (ret) {
    case MBEDTLS_ERR_SSL_TIMEOUT:      return FLM_ERR_TIMEOUT;
    case MBEDTLS_ERR_NET_SEND_FAILED:  return FLM_ERR_NET_SEND;
    case MBEDTLS_ERR_NET_RECV_FAILED:  return FLM_ERR_NET_RECV;
    default:                           return map_alloc(ret, FLM_ERR_TLS_HANDSHAKE);
    }
}

static flm_err_t map_io(int ret)
{
    switch (ret) {
    case MBEDTLS_ERR_SSL_TIMEOUT:          return FLM_ERR_TIMEOUT;
    case MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY:
    case MBEDTLS_ERR_SSL_CONN_EOF:
    case MBEDTLS_ERR_NET_CONN_RESET:       return FLM_ERR_NET_CLOSED;
    case MBEDTLS_ERR_NET_SEND_FAILED:      return FLM_ERR_NET_SEND;
    case MBEDTLS_ERR_NET_RECV_FAILED:      return FLM_ERR_NET_RECV;
    default:                               return map_alloc(ret, FLM_ERR_TLS_IO);
    }
}

/* ---- life cycle ------------------------------------------------------- */

void flm_tls_init(flm_tls_t *t)
{
    memset(t, 0, sizeof *t);
    flm_hal_tcp_init(&t->tcp);
    mbedtls_ssl_init(&t->ssl);
    mbedtls_ssl_config_init(&t->conf);
    mbedtls_x509_crt_init(&t->ca);
    mbedtls_ctr_drbg_init(&t->drbg);
}

/* The leaf of a host dialled by address passes the name check when its
 * subjectAltName carries that address (tls_ip_san.c). */
static int verify_ip(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    const flm_tls_t *t = ctx;
    if (depth == 0 && t->ip_len && (*flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) &&
        flm_tls_san_has_ip(crt, t->ip, t->ip_len))
        *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return 0;
}

static flm_err_t setup(flm_tls_t *t, const flm_tls_config_t *cfg, const char *host)
{
    static const char pers[] = "fieldlm tls";
    int ret = mbedtls_x509_crt_parse(&t->ca, (const unsigned char *)cfg->ca_pem,
                                     strlen(cfg->ca_pem) + 1);
    /* A positive count means some bundle entries were skipped: fine as long
     * as at least one CA was loaded. */
    if (ret < 0 || t->ca.version == 0) {
        t->mbedtls_err = ret;
        return map_alloc(ret, FLM_ERR_TLS_CA);
    }
    ret = mbedtls_ctr_drbg_seed(&t->drbg, drbg_entropy, NULL,
                                (const unsigned char *)pers, sizeof pers - 1);
    if (ret) {
        t->mbedtls_err = ret;
        return FLM_ERR_ENTROPY;
    }
    ret = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
                                      MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (ret == 0) {
        mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
        t->ip_len = flm_tls_ip_literal(host, t->ip);
        mbedtls_ssl_conf_verify(&t->conf, verify_ip, t);
        mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
        mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_max_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
        mbedtls_ssl_conf_renegotiation(&t->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
        ret = mbedtls_ssl_setup(&t->ssl, &t->conf);
    }
    if (ret == 0)
        ret = mbedtls_ssl_set_hostname(&t->ssl, host); /* SNI and the name check */
    if (ret) {
        t->mbedtls_err = ret;
        return map_alloc(ret, FLM_ERR_TLS_SETUP);
    }
    mbedtls_ssl_set_bio(&t->ssl, t, bio_send, NULL, bio_recv_timeout);
    return FLM_OK;
}

flm_err_t flm_tls_connect(flm_tls_t *t, const flm_tls_config_t *cfg,
                          const char *host, uint16_t port)
{
    if (!t || !cfg || !cfg->ca_pem || !host || !*host)
        return FLM_ERR_ARG;
    if (t->open)
        return FLM_ERR_STATE;
    t->open = 1; /* from here on, close() undoes whatever was set up */
    t->deadline_ms = flm_hal_time_ms() + cfg->timeout_ms;
    t->verify_flags = 0;
    t->mbedtls_err = 0;

    flm_err_t err = setup(t, cfg, host);
    if (!err)
        err = flm_hal_tcp_connect(&t->tcp, host, port, time_left(t)); /* CA parsing took some */
    while (!err && t->ssl.state != MBEDTLS_SSL_HANDSHAKE_OVER) {
        int ret = mbedtls_ssl_handshake_step(&t->ssl);
        flm_hal_watchdog_kick(); /* an RSA/ECDHE step can take a while */
        if (ret == MBEDTLS_ERR_SSL_WANT_READ || ret == MBEDTLS_ERR_SSL_WANT_WRITE)
            ret = time_left(t) ? 0 : MBEDTLS_ERR_SSL_TIMEOUT;
        if (ret) {
            t->mbedtls_err = ret;
            t->verify_flags = mbedtls_ssl_get_verify_result(&t->ssl);
            if (t->verify_flags == (uint32_t)-1)
                t->verify_flags = 0; /* the handshake died before verification */
            err = map_handshake(t, ret);
        }
    }
    if (err) {
        uint32_t flags = t->verify_flags;
        int mret = t->mbedtls_err;
        flm_tls_close(t);
        t->verify_flags = flags; /* keep the diagnosis for the caller */
        t->mbedtls_err = mret;
    }
    return err;
}

int flm_tls_send(flm_tls_t *t, const uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    if (!t || !t->open)
        return FLM_ERR_STATE;
    if (!buf && n)
        return FLM_ERR_ARG;
    t->deadline_ms = flm_hal_time_ms() + timeout_ms;
    for (;;) {
        int ret = mbedtls_ssl_write(&t->ssl, buf, n);
        if (ret >= 0)
            return ret;
        if (ret != MBEDTLS_ERR_SSL_WANT_WRITE && ret != MBEDTLS_ERR_SSL_WANT_READ) {
            t->mbedtls_err = ret;
            return map_io(ret);
        }
        if (!time_left(t))
            return FLM_ERR_TIMEOUT;
    }
}

int flm_tls_recv(flm_tls_t *t, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    if (!t || !t->open)
        return FLM_ERR_STATE;
    if (!buf || cap == 0)
        return FLM_ERR_ARG;
    t->deadline_ms = flm_hal_time_ms() + timeout_ms;
    for (;;) {
        int ret = mbedtls_ssl_read(&t->ssl, buf, cap);
        if (ret > 0)
            return ret;
        if (ret == 0)
            return FLM_ERR_NET_CLOSED;
        if (ret != MBEDTLS_ERR_SSL_WANT_READ && ret != MBEDTLS_ERR_SSL_WANT_WRITE) {
            t->mbedtls_err = ret;
            return map_io(ret);
        }
        if (!time_left(t))
            return FLM_ERR_TIMEOUT;
    }
}

void flm_tls_close(flm_tls_t *t)
{
    if (!t || !t->open)
        return;
    if (t->tcp.fd >= 0 && t->ssl.state == MBEDTLS_SSL_HANDSHAKE_OVER) {
        t->deadline_ms = flm_hal_time_ms() + 100; /* close_notify is a courtesy */
        (void)mbedtls_ssl_close_notify(&t->ssl);
    }
    flm_hal_tcp_close(&t->tcp);
    mbedtls_ssl_free(&t->ssl);
    mbedtls_ssl_config_free(&t->conf);
    mbedtls_x509_crt_free(&t->ca);
    mbedtls_ctr_drbg_free(&t->drbg);
    flm_tls_init(t);
}

/* ---- flm_transport_t view ---------------------------------------------- */

static int tr_send(void *ctx, const uint8_t *buf, size_t n, uint32_t timeout_ms)
{
    return flm_tls_send(ctx, buf, n, timeout_ms);
}

static int tr_recv(void *ctx, uint8_t *buf, size_t cap, uint32_t timeout_ms)
{
    return flm_tls_recv(ctx, buf, cap, timeout_ms);
}

static void tr_close(void *ctx)
{
    flm_tls_close(ctx);
}

void flm_tls_transport(flm_tls_t *t, flm_transport_t *out)
{
    out->ctx = t;
    out->send = tr_send;
    out->recv = tr_recv;
    out->close = tr_close;
}

/* ---- the HAL's secure streams (core/hal/hal_tls.h) ------------------------ */

/* The sessions: core/ holds only the transport, whose ctx is a slot here;
 * closing it frees the slot. */
static flm_tls_t sessions[FLM_TLS_SESSIONS];
static bool      session_used[FLM_TLS_SESSIONS];

static void slot_close(void *ctx)
{
    flm_tls_t *t = ctx;
    flm_tls_close(t);
    session_used[t - sessions] = false;
}

flm_err_t flm_hal_tls_connect(const flm_hal_tls_config_t *cfg, const char *host, uint16_t port,
                              flm_transport_t *out)
{
    if (!cfg || !host || !out)
        return FLM_ERR_ARG;
    if (!cfg->ca_pem)
        return FLM_ERR_TLS_CA;
    size_t i = 0;
    while (i < FLM_TLS_SESSIONS && session_used[i])
        i++;
    if (i == FLM_TLS_SESSIONS)
        return FLM_ERR_NOMEM;
    flm_tls_t *t = &sessions[i];
    flm_tls_init(t);
    flm_tls_config_t tc = { .ca_pem = cfg->ca_pem, .timeout_ms = cfg->timeout_ms };
    flm_err_t err = flm_tls_connect(t, &tc, host, port);
    if (err)
        return err;
    session_used[i] = true;
    flm_tls_transport(t, out);
    out->close = slot_close;
    return FLM_OK;
}
