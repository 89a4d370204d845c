/*
 * The MPS2 boards' NOR part: the record store (core/hal/hal_storage.h), the
 * log-structured flash store (port/common/flash_store.h) on the STORE
 * region of mps2.ld, 8 sectors of 4 KiB in two banks, and right above it
 * the two model slots of the A/B update (core/hal/hal_slots.h,
 * port/common/flash_slots.h) on the SLOTS region, 1 MiB each. Under QEMU
 * the regions are RAM, so the part is simulated (port/common/flash_sim.h:
 * erase before write, bits only cleared, power cuts on request), one part
 * for both, so a cut hits the boot record and the slots at once; on a real
 * board the same code takes the flash controller's program and erase calls
 * instead.
 *
 * Mounted on first use, so a run that never touches the store (the demo)
 * executes exactly what it did before.
 */
#include "boards/common/mps2/board.h"

#include <string.h>

#include "port/common/flash_sim.h"
#include "port/common/flash_slots.h"
#include "port/common/flash_store.h"
#include "port/common/hal_common.h"

#if !FLM_HAL_HAS_STORAGE_PERSISTENT
#error "the MPS2 flash store is persistent: build it with FLM_HAL_HAS_STORAGE_PERSISTENT=1 (mps2.mk)"
#endif
#if !FLM_HAL_HAS_SLOTS
#error "the MPS2 flash part has model slots: build it with FLM_HAL_HAS_SLOTS=1 (mps2.mk)"
#endif

#define STORE_SECTOR 4096u

extern uint8_t __flm_store_start[], __flm_store_end[], __flm_slots_start[], __flm_slots_end[];

static flm_flash_sim_t    part; /* STORE and SLOTS: mps2.ld puts them one after the other */
static flm_flash_window_t store_win, slots_win;
static flm_flash_store_t  store;
static flm_flash_slots_t  slots;
static bool               part_ready;

static uint32_t store_sectors(void)
{
    return (uint32_t)(__flm_store_end - __flm_store_start) / STORE_SECTOR;
}

static uint32_t slot_sectors(void)
{
    return (uint32_t)(__flm_slots_end - __flm_slots_start) / STORE_SECTOR;
}

static flm_flash_t whole(void)
{
    if (!part_ready) {
        flm_flash_sim_init(&part, __flm_store_start, STORE_SECTOR, store_sectors() + slot_sectors());
        part_ready = true;
    }
    return flm_flash_sim_part(&part);
}

static flm_err_t mounted(void)
{
    if (store.mounted)
        return FLM_OK;
    flm_flash_t p = whole();
    flm_flash_t f = flm_flash_window(&store_win, &p, 0, store_sectors());
    return flm_flash_store_mount(&store, &f);
}

flm_err_t flm_hal_slots_open(const char *dir, flm_slot_dev_t *dev)
{
    (void)dir; /* one pair of slots, in flash (mps2.ld: right after STORE) */
    flm_flash_t p = whole();
    flm_flash_t f = flm_flash_window(&slots_win, &p, store_sectors(), slot_sectors());
    return flm_flash_slots_init(&slots, &f, dev);
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

/* The firmware owns its flash: nothing to hold it against. */
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

flm_err_t flm_board_slots_wipe(void)
{
    memset(__flm_slots_start, 0, (size_t)(__flm_slots_end - __flm_slots_start));
    return flm_board_store_reset();
}

void flm_board_store_info(flm_board_store_info_t *info)
{
    memset(info, 0, sizeof *info);
    if (mounted() != FLM_OK)
        return;
    info->bytes = (uint32_t)(__flm_store_end - __flm_store_start);
    info->sector_size = part.sector_size;
    info->sectors = store_sectors();
    info->units = part.units;
    info->collections = store.collections;
    info->violations = part.violations;
    info->dead = part.dead;
}
