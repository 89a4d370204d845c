/* Default record store for a port without persistent storage: one
 * flm_ram_store_t (ram_store.h) behind the HAL's store calls. */
#include "port/common/hal_common.h"
#include "port/common/ram_store.h"

#if FLM_HAL_HAS_STORAGE_PERSISTENT
#error "port/common/hal_store_ram.c is not persistent: build it with FLM_HAL_HAS_STORAGE_PERSISTENT=0"
#endif

static flm_ram_store_t hal_store; /* zeroed at reset: empty */

flm_err_t flm_hal_store_put(const char *key, const void *data, size_t n)
{
    return flm_ram_store_put(&hal_store, key, data, n);
}

flm_err_t flm_hal_store_get(const char *key, void *buf, size_t cap, size_t *len)
{
    return flm_ram_store_get(&hal_store, key, buf, cap, len);
}

flm_err_t flm_hal_store_del(const char *key)
{
    return flm_ram_store_del(&hal_store, key);
}

/* One program owns a RAM store: nothing to hold it against. */
flm_err_t flm_hal_store_lock(uint64_t *changes)
{
    *changes = 0;
    return FLM_OK;
}

void flm_hal_store_unlock(void)
{
}

flm_err_t flm_hal_store_stat(flm_hal_store_stat_t *st)
{
    return flm_ram_store_stat(&hal_store, st);
}

flm_err_t flm_hal_store_next(const char *prefix, const char *after, char *key_out)
{
    return flm_ram_store_next(&hal_store, prefix, after, key_out);
}
