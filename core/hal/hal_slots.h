/*
 * HAL, model slots part: two places for a model image beside the one the
 * device shipped with, so a new model is written to one while the other
 * keeps running (core/update/update.h is the A/B logic on top).
 *
 * A slot is written from offset 0 upwards, in order, and read in place (a
 * file's mapping, memory-mapped flash). What a power cut leaves is weaker
 * than a record store's put: the bytes written since the last sync may be
 * whole, partly written or absent. core/update records its own progress in
 * the record store and never trusts a slot's bytes without the image's CRC.
 *
 * POSIX: two files in a directory (slot-a.flm, slot-b.flm). The MPS2
 * boards: two halves of a NOR region (port/common/flash_slots.h). Without
 * the capability (port/common/hal_slots_none.c) open says
 * FLM_ERR_UNSUPPORTED.
 */
#ifndef FLM_HAL_SLOTS_H
#define FLM_HAL_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/hal/hal_caps.h"

#define FLM_SLOT_COUNT 2u

typedef struct flm_slot_dev {
    /* Empty the slot: nothing of an older image may read back as written
     * (a file is cut to 0 bytes, flash sectors erased). Durable on return. */
    flm_err_t (*erase)(void *ctx, uint32_t slot);
    /* Continue an interrupted write at off: the bytes from off on will be
     * written again (a file is cut there; flash leaves them: programming
     * the same bytes over a half-programmed run gives those bytes). */
    flm_err_t (*resume)(void *ctx, uint32_t slot, uint64_t off);
    /* n bytes at off; off is where the last write ended (or resume's). */
    flm_err_t (*write)(void *ctx, uint32_t slot, uint64_t off, const void *data, size_t n);
    /* Everything written so far survives a power cut. */
    flm_err_t (*sync)(void *ctx, uint32_t slot);
    /* The slot's bytes, read-only, 4-byte aligned, until unmap: at least
     * what was written (a file: its size; flash: the whole slot). */
    flm_err_t (*map)(void *ctx, uint32_t slot, const uint8_t **data, uint64_t *size);
    void      (*unmap)(void *ctx, uint32_t slot);
    uint64_t  capacity; /* bytes one slot holds */
    void     *ctx;
} flm_slot_dev_t;

/* The platform's slots. dir names them on a platform with files (it is
 * created if missing; "" is refused there); a board ignores it.
 * FLM_ERR_UNSUPPORTED without FLM_HAL_HAS_SLOTS. */
flm_err_t flm_hal_slots_open(const char *dir, flm_slot_dev_t *dev);

#endif /* FLM_HAL_SLOTS_H */
