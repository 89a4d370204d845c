/*
 * Image signatures (core/hal/hal_sig.h) with mbedTLS: ECDSA P-256 over the
 * SHA-256 of the image, the signature in DER as `openssl dgst -sha256
 * -sign` writes it, against the point the build embeds (FLM_UPDATE_PUBKEY_H,
 * from `make UPDATE_PUBKEY=key.pem`; else the development key). mbedTLS's
 * big numbers come from the static TLS pool (tls_pool.h), as its TLS does.
 */
#include "core/hal/hal_sig.h"

#include <mbedtls/ecdsa.h>
#include <mbedtls/sha256.h>

#if !FLM_HAL_HAS_SIGNATURE
#error "port/mbedtls/sig_p256.c checks signatures: build it with FLM_HAL_HAS_SIGNATURE=1"
#endif

#ifdef FLM_UPDATE_PUBKEY_H
#include FLM_UPDATE_PUBKEY_H
#else
#include "port/mbedtls/update_pubkey_dev.h"
#endif

flm_err_t flm_hal_sig_verify(const void *data, size_t n, const void *sig, size_t sig_len)
{
    if ((!data && n) || !sig || !sig_len || sig_len > FLM_SIG_MAX)
        return sig && sig_len > FLM_SIG_MAX ? FLM_ERR_UPDATE_SIGNATURE : FLM_ERR_ARG;
    unsigned char hash[32];
    if (mbedtls_sha256_ret(data, n, hash, 0) != 0)
        return FLM_ERR_IO;
    mbedtls_ecdsa_context ec;
    mbedtls_ecdsa_init(&ec);
    flm_err_t err = FLM_ERR_NOMEM;
    if (mbedtls_ecp_group_load(&ec.grp, MBEDTLS_ECP_DP_SECP256R1) == 0 &&
        mbedtls_ecp_point_read_binary(&ec.grp, &ec.Q, flm_update_pubkey, sizeof flm_update_pubkey) == 0)
        err = mbedtls_ecdsa_read_signature(&ec, hash, sizeof hash, sig, sig_len) == 0
                  ? FLM_OK
                  : FLM_ERR_UPDATE_SIGNATURE;
    mbedtls_ecdsa_free(&ec);
    return err;
}
