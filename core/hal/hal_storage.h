/*
 * HAL, storage part: a small store of named records (queue entries,
 * budgets, settings). Every port has one: persistent where the platform
 * allows (FLM_HAL_HAS_STORAGE_PERSISTENT), else in RAM until reset.
 *
 * Keys are 1..FLM_HAL_KEY_MAX bytes of [A-Za-z0-9._-], not starting with
 * '.', and sort bytewise (as strcmp). A put is atomic: after a power cut
 * the record holds either the old or the new value in full, never a mix.
 * The store is bounded; flm_hal_store_stat() says how full it is, so a
 * caller can refuse work before a put fails.
 */
#ifndef FLM_HAL_STORAGE_H
#define FLM_HAL_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/hal/hal_caps.h"

#define FLM_HAL_KEY_MAX 48

/* Store (or replace) a record. FLM_ERR_OVERFLOW if n exceeds the largest
 * record the store takes (record_max: it never will fit), FLM_ERR_STORE_FULL
 * if there is no room for it now (no free record or too few bytes; deleting
 * records makes room). A failed put leaves the old record as it was. */
flm_err_t flm_hal_store_put(const char *key, const void *data, size_t n);

/* Copy up to cap bytes into buf; *len receives the record's full size.
 * FLM_ERR_NOT_FOUND if absent, FLM_ERR_OVERFLOW if cap < size (buf holds
 * the first cap bytes). */
flm_err_t flm_hal_store_get(const char *key, void *buf, size_t cap, size_t *len);

flm_err_t flm_hal_store_del(const char *key);

/* How full the store is. A put of a new n-byte record fits when
 * records < max_records, n <= record_max and bytes_used + n <= bytes_max
 * (replacing a record frees its old bytes first). On a file system the
 * limits are what the disk has left, so they can shrink under the caller. */
typedef struct {
    uint32_t records;     /* records stored */
    uint32_t max_records; /* most records it can hold (UINT32_MAX: no fixed limit) */
    uint64_t bytes_used;  /* payload bytes of all records */
    uint64_t bytes_max;   /* payload bytes it can hold (bytes_used included) */
    size_t   record_max;  /* largest single record a put takes */
} flm_hal_store_stat_t;

flm_err_t flm_hal_store_stat(flm_hal_store_stat_t *st);

/* Enumerate records without a heap: copy into key_out (FLM_HAL_KEY_MAX + 1
 * bytes) the smallest key that starts with prefix and sorts after `after`
 * (NULL or "" for the first). FLM_ERR_NOT_FOUND when there is none. `after`
 * may be key_out itself, so a scan in ascending order reads
 *
 *     char k[FLM_HAL_KEY_MAX + 1] = "";
 *     while (flm_hal_store_next("q.", k, k) == FLM_OK) ... use k ...
 *
 * Each call scans the whole store (fine for the tens of records a device
 * keeps). prefix may be "" for every key. */
flm_err_t flm_hal_store_next(const char *prefix, const char *after, char *key_out);

/* Hold the store against the other programs that have it open at once
 * (FLM_HAL_HAS_STORAGE_SHARED), for one read-modify-write: waits until it
 * is free; FLM_ERR_IO if the lock cannot be had. Not nested: an unlock
 * ends it. *changes receives how many times, as far as this program has
 * seen, other programs changed the store (it only grows; a changed value
 * since the caller's last lock says that what it keeps of the store may
 * be stale). Where one program owns the store they do nothing and
 * *changes is 0. */
flm_err_t flm_hal_store_lock(uint64_t *changes);
void      flm_hal_store_unlock(void);

#endif /* FLM_HAL_STORAGE_H */
