/*
 * A NOR flash part simulated over a RAM region, for boards whose "flash"
 * store is RAM (QEMU's MPS2 images) and for the host tests: erase sets a
 * whole sector to 0xFF, a program can only clear bits (the result is the
 * old byte AND the new one), and a power cut can be scheduled after any
 * number of programmed bytes or erase steps, leaving the byte or the sector
 * it hits half done; from then on every operation fails (FLM_ERR_IO) until
 * flm_flash_sim_power_on, as after a reset.
 *
 * A program that asks for a 0 -> 1 transition is a driver bug on a real
 * part (the bit stays 0): the simulation does what the part does and counts
 * it in `violations`, which the tests require to stay 0.
 */
#ifndef FLM_FLASH_SIM_H
#define FLM_FLASH_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "port/common/flash_store.h"

/* An erase is this many steps for the cut (each erases 1/8 of the sector). */
#define FLM_FLASH_SIM_ERASE_STEPS 8u

typedef enum {
    FLM_FLASH_CUT_CLEAN = 0, /* the byte (erase step) at the cut is not touched */
    FLM_FLASH_CUT_HALF  = 1, /* it is half done: half of its new 0 bits (half of the step, from the top) */
} flm_flash_cut_mode_t;

typedef struct {
    uint8_t *mem;
    uint32_t sector_size, sectors;
    int64_t  budget;     /* units (bytes programmed, erase steps) before the cut; -1: none */
    uint8_t  mode;       /* flm_flash_cut_mode_t */
    bool     dead;
    uint32_t violations; /* programs that asked a 0 bit to become 1 */
    uint64_t units;      /* units done since init (for choosing cuts) */
    uint32_t erases;
} flm_flash_sim_t;

void        flm_flash_sim_init(flm_flash_sim_t *f, uint8_t *mem, uint32_t sector_size,
                               uint32_t sectors);
/* The part as flash_store.h's driver. */
flm_flash_t flm_flash_sim_part(flm_flash_sim_t *f);
/* Lose power after `units` more units (0: at the next one). */
void        flm_flash_sim_cut(flm_flash_sim_t *f, uint64_t units, flm_flash_cut_mode_t mode);
void        flm_flash_sim_power_on(flm_flash_sim_t *f);

#endif /* FLM_FLASH_SIM_H */
