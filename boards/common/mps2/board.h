/* What the MPS2 startup code (startup.c) and the board's HAL part
 * (hal_mps2.c) offer the board's application. */
#ifndef FLM_BOARD_MPS2_H
#define FLM_BOARD_MPS2_H

#include <stddef.h>

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

#endif /* FLM_BOARD_MPS2_H */
