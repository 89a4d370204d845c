/*
 * The MPS2 boards' record store (core/hal/hal_storage.h): the
 * log-structured flash store (port/common/flash_store.h) on the STORE
 * region of mps2.ld, 8 sectors of 4 KiB in two banks. Under QEMU the region
 * is RAM, so the part is simulated (port/common/flash_sim.h: erase before
 * write, bits only cleared, power cuts on request); on a real board the
 * same store takes the flash controller's program and erase calls instead.
 *
 * Mounted on first use, so a run that never touches the store (the demo)
 * executes exactly what it did before.
 */
#include "boards/common/mps2/board.h"

#include <string.h>

#include "port/common/flash_sim.h"
#include "port/common/flash_store.h"
#include "port/common/hal_common.h"

#if !FLM_HAL_HAS_STORAGE_PERSISTENT
#error "the MPS2 flash store is persistent: build it with FLM_HAL_HAS_STORAGE_PERSISTENT=1 (mps2.mk)"
#endif

#define STORE_SECTOR 4096u

extern uint8_t __flm_store_start[], __flm_store_end[];

static flm_flash_sim_t   part;
static flm_flash_store_t store;
static bool              part_ready;

static flm_err_t mounted(void)
{
    if (store.mounted)
        return FLM_OK;
    if (!part_ready) {
        uint32_t size = (uint32_t)(__flm_store_end - __flm_store_start);
        flm_flash_sim_init(&part, __flm_store_start, STORE_SECTOR, size / STORE_SECTOR);
        part_ready = true;
    }
    flm_flash_t f = flm_flash_sim_part(&part);
    return flm_flash_store_mount(&store, &f);
}

flm_err_t flm_hal_store_put(const char *key, const void *data, size_t n)
{
    flm_err_t err = mounted();
    return err ? err : flm_flash_store_put(&store, key, data, n);
}

flm_err_t flm_hal_store_get(const char *key, void *buf, size_t cap, size_t *len)
{
    flm_err_t err = mounted();
    return err ? err : flm_flash_store_get(&store, key, buf, cap, len);
}

flm_err_t flm_hal_store_del(const char *key)
{
    flm_err_t err = mounted();
    return err ? err : flm_flash_store_del(&store, key);
}

flm_err_t flm_hal_store_stat(flm_hal_store_stat_t *st)
{
    flm_err_t err = mounted();
    return err ? err : flm_flash_store_stat(&store, st);
}

flm_err_t flm_hal_store_next(const char *prefix, const char *after, char *key_out)
{
    flm_err_t err = mounted();
    return err ? err : flm_flash_store_next(&store, prefix, after, key_out);
}

/* ---- the self-test's power switch ---------------------------------------------- */

void flm_board_store_cut(uint64_t units, bool half)
{
    if (mounted() == FLM_OK)
        flm_flash_sim_cut(&part, units, half ? FLM_FLASH_CUT_HALF : FLM_FLASH_CUT_CLEAN);
}

flm_err_t flm_board_store_reset(void)
{
    flm_flash_sim_power_on(&part);
    store.mounted = false;
    return mounted();
}

flm_err_t flm_board_store_wipe(void)
{
    memset(__flm_store_start, 0, (size_t)(__flm_store_end - __flm_store_start));
    return flm_board_store_reset();
}

void flm_board_store_info(flm_board_store_info_t *info)
{
    memset(info, 0, sizeof *info);
    if (mounted() != FLM_OK)
        return;
    info->bytes = (uint32_t)(__flm_store_end - __flm_store_start);
    info->sector_size = part.sector_size;
    info->sectors = part.sectors;
    info->units = part.units;
    info->collections = store.collections;
    info->violations = part.violations;
    info->dead = part.dead;
}
