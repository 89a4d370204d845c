/*
 * Startup for the MPS2 Cortex-M boards: vector table, reset handler (copy
 * .data, zero .bss, paint the stack, enable the FPU when the ABI uses it),
 * then main(); its return value leaves QEMU through semihosting.
 */
#include "boards/common/mps2/board.h"

#include <stdint.h>
#include <string.h>

#define STACK_PAINT 0xC5C5C5C5u

/* Linker-script symbols (boards/common/mps2/mps2.ld). */
extern uint32_t __data_load[], __data_start[], __data_end[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

int main(void);
void flm_reset_handler(void) __attribute__((noreturn));
void flm_fault_handler(void) __attribute__((noreturn));

void flm_reset_handler(void)
{
    memcpy(__data_start, __data_load,
           (size_t)((uintptr_t)__data_end - (uintptr_t)__data_start));
    memset(__bss_start, 0, (size_t)((uintptr_t)__bss_end - (uintptr_t)__bss_start));

    /* Paint the unused stack below this frame (with a margin for it). */
    uintptr_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    for (volatile uint32_t *p = __stack_limit; (uintptr_t)p < sp - 64u; p++)
        *p = STACK_PAINT;

#if defined(__ARM_FP)
    /* The hard-float ABI may use FPU registers anywhere: grant CP10/CP11. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif

    flm_board_exit(main());
}

/* Every fault ends the run with a distinct status instead of hanging. */
void flm_fault_handler(void)
{
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

/* .data opens RAM, .bss follows, the stack closes it (mps2.ld). */
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

typedef void (*flm_vector_t)(void);

__attribute__((section(".vectors"), used))
static const flm_vector_t vectors[16] = {
    (flm_vector_t)(uintptr_t)__stack_top,
    flm_reset_handler,
    flm_fault_handler, /* NMI */
    flm_fault_handler, /* HardFault */
    flm_fault_handler, /* MemManage */
    flm_fault_handler, /* BusFault */
    flm_fault_handler, /* UsageFault */
    0, 0, 0, 0,
    flm_fault_handler, /* SVCall */
    flm_fault_handler, /* DebugMonitor */
    0,
    flm_fault_handler, /* PendSV */
    flm_fault_handler, /* SysTick */
};
