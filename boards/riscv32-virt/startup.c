/*
 * Startup for the riscv32-virt board (crt0): the entry point sets the
 * global and stack pointers and the trap vector, then the C part copies
 * .data, zeroes .bss, paints the stack and runs main(); its return value
 * ends the run (flm_board_exit: the SiFive test device, QEMU exits with it).
 */
#include "boards/common/mps2/board.h"
#include "port/riscv/hal_riscv.h"

#include <stdint.h>
#include <string.h>

#define STACK_PAINT 0xC5C5C5C5u

/* Linker-script symbols (boards/riscv32-virt/virt.ld). */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

int main(void);
void flm_reset(void) __attribute__((noreturn));
void flm_reset_c(void) __attribute__((noreturn));

/* The ELF's entry, first in flash: QEMU's reset code jumps here with a0 =
 * hart id, a1 = the device tree (both unused). gp is set without
 * relaxation (the linker would otherwise make it gp-relative to itself). */
__attribute__((naked, section(".text.flm_reset"))) void flm_reset(void)
{
    __asm__ volatile(".option push\n\t"
                     ".option norelax\n\t"
                     "la gp, __global_pointer$\n\t"
                     ".option pop\n\t"
                     "la sp, __stack_top\n\t"
                     ".option push\n\t"
                     ".option arch, +zicsr\n\t"
                     "la t0, flm_riscv_trap\n\t"
                     "csrw mtvec, t0\n\t"
                     "csrw mie, zero\n\t"
                     ".option pop\n\t"
                     "j flm_reset_c");
}

void flm_reset_c(void)
{
    memcpy(__data_start, __data_load,
           (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start));
    memset(__bss_start, 0, (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start));

    /* Paint the unused stack below this frame (with a margin for it). */
    uintptr_t sp;
    __asm__ volatile("mv %0, sp" : "=r"(sp));
    for (volatile uint32_t *p = __stack_limit; (uintptr_t)p < sp - 64u; p++)
        *p = STACK_PAINT;

    flm_board_exit(main());
}

/* Every trap that is no semihosting call ends the run with a distinct
 * status instead of hanging (port/riscv/hal_riscv.h). */
void flm_board_fault(uint32_t mcause, uint32_t mepc)
{
    (void)mcause;
    (void)mepc;
    flm_board_exit(99);
}

size_t flm_board_stack_high_water(void)
{
    const uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT)
        p++;
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

size_t flm_board_stack_size(void)
{
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)__stack_limit);
}

/* .data opens RAM, .bss follows, the stack closes it (virt.ld). */
size_t flm_board_ram_size(void)
{
    return (size_t)((uintptr_t)__stack_top - (uintptr_t)__data_start);
}

size_t flm_board_ram_used(void)
{
    return (size_t)((uintptr_t)__bss_end - (uintptr_t)__data_start) + flm_board_stack_size();
}

__attribute__((noinline)) void flm_board_mark(void)
{
    __asm__ volatile("" ::: "memory"); /* keep the call and its place */
}
