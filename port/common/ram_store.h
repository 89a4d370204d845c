/*
 * A bounded record store in RAM with the semantics of core/hal/hal_storage.h
 * (atomic as seen by the one thread that uses it, but NOT persistent: a
 * reset loses every record). hal_store_ram.c makes one the HAL's store on a
 * port without persistent storage; a product maps the store onto a pair of
 * flash sectors instead.
 *
 * Operates on a caller-owned flm_ram_store_t (no hidden state), so it is
 * built on every port and its unit tests run on the host. Sizes are fixed
 * at build time:
 */
#ifndef FLM_RAM_STORE_H
#define FLM_RAM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/hal/hal_storage.h"

/* Sizes FLM_RAM_STORE_RECORDS (the next new key gets FLM_ERR_STORE_FULL)
 * and FLM_RAM_STORE_RECORD_MAX (a longer put gets FLM_ERR_OVERFLOW) are in
 * core/base/config.h. */

typedef struct {
    bool    used;
    char    key[FLM_HAL_KEY_MAX + 1];
    size_t  n;
    uint8_t data[FLM_RAM_STORE_RECORD_MAX];
} flm_ram_store_record_t;

typedef struct {
    flm_ram_store_record_t rec[FLM_RAM_STORE_RECORDS];
} flm_ram_store_t;

/* Empty the store. */
void      flm_ram_store_init(flm_ram_store_t *s);
flm_err_t flm_ram_store_put(flm_ram_store_t *s, const char *key, const void *data, size_t n);
flm_err_t flm_ram_store_get(const flm_ram_store_t *s, const char *key, void *buf, size_t cap,
                            size_t *len);
flm_err_t flm_ram_store_del(flm_ram_store_t *s, const char *key);
flm_err_t flm_ram_store_stat(const flm_ram_store_t *s, flm_hal_store_stat_t *st);
flm_err_t flm_ram_store_next(const flm_ram_store_t *s, const char *prefix, const char *after,
                             char *key_out);

#endif /* FLM_RAM_STORE_H */
