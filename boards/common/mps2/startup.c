/*
 * Startup for the MPS2/MPS3 Cortex-M boards: vector table, reset handler
 * (count the boot, copy .data, zero .bss, paint the stack, enable the FPU
 * (and MVE) when the ABI uses it), then main(); its return value leaves QEMU
 * through semihosting.
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
/* The NMI is a fault unless the board's watchdog takes it (watchdog_cmsdk.c). */
void flm_nmi_handler(void) __attribute__((weak, noreturn, alias("flm_fault_handler")));

/* The boot record: in .noinit, which neither the loader nor this code
 * initialises, so it outlives a reset (QEMU keeps RAM over a system reset;
 * so does an SRAM that stays powered). A wrong magic means power-on. */
#define BOOT_MAGIC 0xB007C0DEu
static struct {
    uint32_t magic, boots, cause, next_cause;
} boot __attribute__((section(".noinit")));

static void count_boot(void)
{
    if (boot.magic != BOOT_MAGIC) {
        boot.magic = BOOT_MAGIC;
        boot.boots = 0;
        boot.next_cause = FLM_BOARD_RESET_POWER_ON;
    } else {
        boot.boots++;
    }
    boot.cause = boot.next_cause;
    boot.next_cause = FLM_BOARD_RESET_POWER_ON;
}

uint32_t flm_board_boots(void)
{
    return boot.boots;
}

flm_board_reset_t flm_board_last_reset(void)
{
    return boot.cause == FLM_BOARD_RESET_WATCHDOG ? FLM_BOARD_RESET_WATCHDOG
                                                   : FLM_BOARD_RESET_POWER_ON;
}

void flm_board_note_reset(flm_board_reset_t cause)
{
    boot.next_cause = (uint32_t)cause;
}

void flm_reset_handler(void)
{
    count_boot();
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
    flm_nmi_handler,   /* NMI */
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
