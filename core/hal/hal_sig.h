/*
 * HAL, signature part: is this image signed by the key built into the
 * firmware? ECDSA P-256 over SHA-256 of the bytes, the signature in DER
 * (what `openssl dgst -sha256 -sign key.pem` writes), checked with mbedTLS
 * (port/mbedtls/sig_p256.c) against the public key the build embeds
 * (`make UPDATE_PUBKEY=key.pem`; the default is the development key
 * tools/update/dev-p256.pem, whose private half is public: a product
 * builds with its own). Without the capability (port/common/hal_sig_none.c,
 * a build without mbedTLS) verify says FLM_ERR_UNSUPPORTED.
 */
#ifndef FLM_HAL_SIG_H
#define FLM_HAL_SIG_H

#include <stddef.h>

#include "core/base/error.h"
#include "core/hal/hal_caps.h"

#define FLM_SIG_MAX 80u /* a DER ECDSA P-256 signature is at most 72 bytes */

/* FLM_OK when sig is a valid signature of data[0..n) by the built-in key;
 * FLM_ERR_UPDATE_SIGNATURE when it is not (or is malformed). */
flm_err_t flm_hal_sig_verify(const void *data, size_t n, const void *sig, size_t sig_len);

#endif /* FLM_HAL_SIG_H */
