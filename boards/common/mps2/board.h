/* What the MPS2 startup code offers the board's application. */
#ifndef FLM_BOARD_MPS2_H
#define FLM_BOARD_MPS2_H

#include <stddef.h>

/* Bytes of the stack region ever written since reset (the startup code
 * paints the stack with a pattern; this scans for the deepest change). */
size_t flm_board_stack_high_water(void);

/* Bytes reserved for the stack by the linker script. */
size_t flm_board_stack_size(void);

/* Marks a point of the run for tools/qemu-insn (mark=<this function's
 * address>): the plugin records the instruction count at every call. */
void flm_board_mark(void);

#endif /* FLM_BOARD_MPS2_H */
