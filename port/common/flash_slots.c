/* Model slots on NOR flash, and windows of a flash region (flash_slots.h). */
#include "port/common/flash_slots.h"

#include <string.h>

static uint32_t half_bytes(const flm_flash_slots_t *s)
{
    return s->half_sectors * s->flash.sector_size;
}

static bool blank(const uint8_t *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != 0xFF)
            return false;
    return true;
}

static flm_err_t fs_erase(void *ctx, uint32_t slot)
{
    flm_flash_slots_t *s = ctx;
    if (slot >= FLM_SLOT_COUNT)
        return FLM_ERR_ARG;
    for (uint32_t i = 0; i < s->half_sectors; i++) {
        uint32_t sec = slot * s->half_sectors + i;
        const uint8_t *p = s->flash.base + (size_t)sec * s->flash.sector_size;
        if (blank(p, s->flash.sector_size))
            continue;
        flm_err_t err = s->flash.erase(s->flash.ctx, sec);
        if (err)
            return err;
        if (!blank(p, s->flash.sector_size))
            return FLM_ERR_IO; /* a worn-out sector */
    }
    return FLM_OK;
}

static flm_err_t fs_resume(void *ctx, uint32_t slot, uint64_t off)
{
    flm_flash_slots_t *s = ctx;
    return slot < FLM_SLOT_COUNT && off <= half_bytes(s) ? FLM_OK : FLM_ERR_ARG;
}

static flm_err_t fs_write(void *ctx, uint32_t slot, uint64_t off, const void *data, size_t n)
{
    flm_flash_slots_t *s = ctx;
    if (slot >= FLM_SLOT_COUNT || off > half_bytes(s) || n > half_bytes(s) - off)
        return FLM_ERR_ARG;
    return s->flash.program(s->flash.ctx, (uint32_t)(slot * half_bytes(s) + off), data, n);
}

static flm_err_t fs_sync(void *ctx, uint32_t slot)
{
    (void)ctx;
    return slot < FLM_SLOT_COUNT ? FLM_OK : FLM_ERR_ARG;
}

static flm_err_t fs_map(void *ctx, uint32_t slot, const uint8_t **data, uint64_t *size)
{
    flm_flash_slots_t *s = ctx;
    if (slot >= FLM_SLOT_COUNT || !data || !size)
        return FLM_ERR_ARG;
    *data = s->flash.base + (size_t)slot * half_bytes(s);
    *size = half_bytes(s);
    return FLM_OK;
}

static void fs_unmap(void *ctx, uint32_t slot)
{
    (void)ctx;
    (void)slot;
}

flm_err_t flm_flash_slots_init(flm_flash_slots_t *s, const flm_flash_t *flash, flm_slot_dev_t *dev)
{
    if (!s || !flash || !dev || flash->sectors < 2 || flash->sectors % 2 || !flash->sector_size)
        return FLM_ERR_ARG;
    s->flash = *flash;
    s->half_sectors = flash->sectors / 2;
    dev->erase = fs_erase;
    dev->resume = fs_resume;
    dev->write = fs_write;
    dev->sync = fs_sync;
    dev->map = fs_map;
    dev->unmap = fs_unmap;
    dev->capacity = half_bytes(s);
    dev->ctx = s;
    return FLM_OK;
}

/* ---- windows ---------------------------------------------------------------- */

static flm_err_t win_program(void *ctx, uint32_t off, const void *data, size_t n)
{
    flm_flash_window_t *w = ctx;
    uint64_t size = (uint64_t)w->sectors * w->parent.sector_size;
    if (off > size || n > size - off)
        return FLM_ERR_ARG;
    return w->parent.program(w->parent.ctx, w->first * w->parent.sector_size + off, data, n);
}

static flm_err_t win_erase(void *ctx, uint32_t sector)
{
    flm_flash_window_t *w = ctx;
    if (sector >= w->sectors)
        return FLM_ERR_ARG;
    return w->parent.erase(w->parent.ctx, w->first + sector);
}

flm_flash_t flm_flash_window(flm_flash_window_t *w, const flm_flash_t *parent, uint32_t first,
                             uint32_t sectors)
{
    w->parent = *parent;
    w->first = first;
    w->sectors = sectors;
    flm_flash_t f = { win_program, win_erase, w, parent->base + (size_t)first * parent->sector_size,
                      parent->sector_size, sectors };
    return f;
}
