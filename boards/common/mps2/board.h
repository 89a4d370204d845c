/* What the startup code and the HAL part of a bare-metal board offer the
 * application (main.c): the MPS2 boards' startup.c and hal_mps2.c, the
 * RISC-V virt board's boards/riscv32-virt/. */
#ifndef FLM_BOARD_MPS2_H
#define FLM_BOARD_MPS2_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

/* The program's command line (QEMU: -append), NUL-terminated in buf; an
 * error (and buf "") when the board has none to give. */
flm_err_t flm_board_cmdline(char *buf, size_t cap);

/* Bytes of the stack region ever written since reset (the startup code
 * paints the stack with a pattern; this scans for the deepest change). */
size_t flm_board_stack_high_water(void);

/* Bytes reserved for the stack by the linker script. */
size_t flm_board_stack_size(void);

/* Bytes of RAM the linker script budgets for the whole program, and the
 * bytes it places there (.data, .bss and the reserved stack). */
size_t flm_board_ram_size(void);
size_t flm_board_ram_used(void);

/* Marks a point of the run for tools/qemu-insn (mark=<this function's
 * address>): the plugin records the instruction count at every call. */
void flm_board_mark(void);

/* Stop the program and report `status` (0 = success) to the host through
 * semihosting; QEMU exits with that status. */
void flm_board_exit(int status) __attribute__((noreturn));

/* ---- resets (startup.c keeps a boot record in .noinit RAM) ----
 * Boots since power-on (0 on the first), and what caused the last reset,
 * as noted before it happened: */
typedef enum {
    FLM_BOARD_RESET_POWER_ON, /* or a reset nobody noted */
    FLM_BOARD_RESET_WATCHDOG, /* the watchdog's NMI noted its bark */
} flm_board_reset_t;

uint32_t          flm_board_boots(void);
flm_board_reset_t flm_board_last_reset(void);
void              flm_board_note_reset(flm_board_reset_t cause); /* for the next boot */

/* The watchdog (watchdog_cmsdk.c, MPS2_WATCHDOG=cmsdk): disarm it until the
 * next kick (a self-test that stops kicking). */
void flm_board_watchdog_stop(void);

/* ---- the flash store's power switch (hal_store_mps2.c, MPS2_STORE=flash) ----
 * For the self-test: lose power after `units` more programmed bytes or
 * erase steps of the store's NOR part (half finishing the one it hits, or
 * not touching it); then every store call fails until flm_board_store_reset,
 * which powers the part on and mounts it again, as a reset does. */
#include <stdbool.h>
#include <stdint.h>

#include "core/base/error.h"

typedef struct {
    uint32_t bytes, sector_size, sectors;
    uint64_t units;       /* bytes programmed and erase steps since boot */
    uint32_t collections; /* garbage collections since the last mount */
    uint32_t violations;  /* programs that asked a 0 bit for a 1: must stay 0 */
    bool     dead;        /* power lost, not yet reset */
} flm_board_store_info_t;

void      flm_board_store_cut(uint64_t units, bool half);
flm_err_t flm_board_store_reset(void);
flm_err_t flm_board_store_wipe(void); /* zero the store (as QEMU starts it), then reset */
flm_err_t flm_board_slots_wipe(void); /* zero the model slots, then reset */
void      flm_board_store_info(flm_board_store_info_t *info);

/* The store's and the queue's power-cut self-tests (selftest_store.c),
 * in `size` bytes of the caller's 8-aligned scratch (about 6 KB): 0 when
 * every cut recovered, logging one line each. */
int flm_board_store_selftest(void *scratch, size_t size);

/* The A/B model update on the board (selftest_update.c): install `image`
 * (the linked model) into a slot streamed from flash, verify it against
 * the arena budget (arena_size bytes at FLM_BOARD_CTX_LEN positions), boot
 * it on trial and confirm it, refuse a corrupted image, roll back a failed
 * self-test, then cut the power at points spread over further updates:
 * after each the board must boot a verified slot and the update complete.
 * The engine's memory is the caller's arena. 0 when all held. */
int flm_board_update_selftest(void *arena, size_t arena_size, const uint8_t *image, size_t len);

#endif /* FLM_BOARD_MPS2_H */
