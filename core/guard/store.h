/*
 * The record store as the guards see it: the HAL's store
 * (core/hal/hal_storage.h) behind a table of calls, so the queue and the
 * ledger run unchanged on a test store that cuts writes (tests/unit/guard/)
 * and on any store a board hands them.
 *
 * The guards assume LESS than the HAL promises. hal_storage.h says a put is
 * atomic; a flash driver that is not, a torn write through a buggy port, or
 * a test store may leave a record that holds a prefix of the new bytes, the
 * new length with old or erased bytes after the cut, or junk. So nothing
 * the guards read is trusted without its length and CRC-32, a record is
 * never rewritten in place when losing it would lose data, and state that
 * must be rewritten lives in a twin: two records written in turn (below).
 * A del is taken as atomic: the record is there, or gone.
 */
#ifndef FLM_GUARD_STORE_H
#define FLM_GUARD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/hal/hal_storage.h"

typedef struct flm_store {
    flm_err_t (*put)(void *ctx, const char *key, const void *data, size_t n);
    flm_err_t (*get)(void *ctx, const char *key, void *buf, size_t cap, size_t *len);
    flm_err_t (*del)(void *ctx, const char *key);
    flm_err_t (*stat)(void *ctx, flm_hal_store_stat_t *st);
    flm_err_t (*next)(void *ctx, const char *prefix, const char *after, char *key_out);
    void *ctx;
    /* Set where other programs may have the store open at once
     * (FLM_HAL_HAS_STORAGE_SHARED); NULL where this one owns it. A guard
     * holds the lock from the first read of a change to its last write.
     * lock's *changes counts the changes other programs made (as
     * flm_hal_store_lock's): when it moved since the guard's last lock,
     * the guard reads what it keeps in memory again. Not nested. */
    flm_err_t (*lock)(void *ctx, uint64_t *changes);
    void (*unlock)(void *ctx);
} flm_store_t;

/* The HAL's own store (flm_hal_store_*). */
extern const flm_store_t flm_store_hal;

/* Take the store's lock, where it has one. *stale says whether another
 * program changed the records since the caller's last hold, as *seen
 * (the caller's, 0 at first; updated here) remembers it; the first hold
 * of a shared store is stale. flm_store_release() after the last write: it
 * passes on err, the result of what was done under the lock. */
flm_err_t flm_store_hold(const flm_store_t *s, uint64_t *seen, bool *stale);
flm_err_t flm_store_release(const flm_store_t *s, flm_err_t err);

/* ---- twin records -----------------------------------------------------------
 * A small state that is rewritten (the ledger's totals, the queue's head)
 * kept in two records, key[0] and key[1], written alternately. Each holds
 *
 *   off  size
 *   0    4    magic (the owner's)
 *   4    4    payload size
 *   8    8    generation: one more than the record it replaces
 *   16   n    payload
 *   16+n 4    CRC-32 of bytes 0 .. 16+n
 *
 * A save writes the record that does NOT hold the newest valid state, so a
 * cut at any byte of it leaves the other one, the state before the save,
 * intact; a load takes the valid record (magic, size, CRC) with the higher
 * generation. No record yet, or none valid: found is false. */

#define FLM_TWIN_PAYLOAD_MAX 232u
#define FLM_TWIN_OVERHEAD    20u

typedef struct {
    const flm_store_t *store;
    const char        *key[2];
    uint32_t           magic;
    uint64_t           gen;  /* of the newest valid record (0: none) */
    int                slot; /* which key holds it, -1 for none */
    int                valid;  /* records found valid by the load: 0, 1 or 2 */
    bool               loaded; /* a save needs a load first: it must know the newest */
} flm_twin_t;

void      flm_twin_init(flm_twin_t *t, const flm_store_t *store, const char *key0,
                        const char *key1, uint32_t magic);
/* Read the newest valid state: exactly size bytes of payload. */
flm_err_t flm_twin_load(flm_twin_t *t, void *payload, size_t size, bool *found);
/* Write payload as the new state, into the other record (FLM_ERR_STATE
 * before a load). On failure the state before the save is still the
 * newest valid one. */
flm_err_t flm_twin_save(flm_twin_t *t, const void *payload, size_t size);

#endif /* FLM_GUARD_STORE_H */
