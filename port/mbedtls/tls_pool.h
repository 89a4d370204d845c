/*
 * The static memory pool that serves mbedTLS's allocations.
 *
 * mbedTLS allocates (handshake state, record buffers, parsed certificates)
 * through calloc/free. Debian's build lacks MBEDTLS_MEMORY_BUFFER_ALLOC_C and
 * MBEDTLS_PLATFORM_MEMORY, so the build rewrites the calloc/free references
 * inside copies of its static libraries to flm_tls_pool_calloc/free
 * (objcopy --redefine-sym, see rules.mk). Only mbedTLS reaches this pool:
 * the rest of a program keeps its own allocator.
 *
 * First fit over one static array, coalescing free neighbours as the scan
 * passes them. Exhaustion returns NULL, which mbedTLS reports as
 * MBEDTLS_ERR_*_ALLOC_FAILED and the transport as FLM_ERR_NOMEM.
 * Not thread-safe: one TLS user at a time.
 */
#ifndef FLM_TLS_POOL_H
#define FLM_TLS_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h" /* FLM_TLS_POOL_SIZE */

typedef struct {
    size_t size;       /* bytes in the pool */
    size_t used;       /* bytes in live blocks, headers included */
    size_t high_water; /* largest `used` since the last reset */
    size_t live;       /* live allocations */
    size_t failures;   /* requests that found no room */
} flm_tls_pool_stats_t;

void *flm_tls_pool_calloc(size_t n, size_t size);
void  flm_tls_pool_free(void *p);

void flm_tls_pool_stats(flm_tls_pool_stats_t *out);
/* Start a new high-water measurement from the current fill level. */
void flm_tls_pool_reset_peak(void);

#endif /* FLM_TLS_POOL_H */
