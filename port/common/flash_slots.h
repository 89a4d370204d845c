/*
 * Model slots (core/hal/hal_slots.h) on NOR flash: the region of an
 * flm_flash_t (flash_store.h's driver) cut into two halves of whole
 * sectors, slot A below, slot B above. erase erases the half's sectors that
 * are not blank; a write programs; sync and resume have nothing to do (a
 * program is durable when it returns, and programming the same bytes again
 * over a run a power cut left half done gives those bytes: bits only go
 * 1 -> 0, and the half-done bits are a subset of the new zeros). Slots are
 * read in place.
 *
 * flm_flash_window_t gives a part of a region as a region of its own, so a
 * board can keep the record store and the slots on one part (one power
 * switch for both in the tests).
 */
#ifndef FLM_FLASH_SLOTS_H
#define FLM_FLASH_SLOTS_H

#include "core/hal/hal_slots.h"
#include "port/common/flash_store.h"

typedef struct {
    flm_flash_t flash;
    uint32_t    half_sectors;
} flm_flash_slots_t;

/* FLM_ERR_ARG unless the region has an even number of sectors (>= 2). */
flm_err_t flm_flash_slots_init(flm_flash_slots_t *s, const flm_flash_t *flash, flm_slot_dev_t *dev);

typedef struct {
    flm_flash_t parent;
    uint32_t    first;   /* the window's first sector in the parent */
    uint32_t    sectors;
} flm_flash_window_t;

/* Sectors [first, first + sectors) of parent as a region. */
flm_flash_t flm_flash_window(flm_flash_window_t *w, const flm_flash_t *parent, uint32_t first,
                             uint32_t sectors);

#endif /* FLM_FLASH_SLOTS_H */
