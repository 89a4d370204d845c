/*
 * RISC-V semihosting call and the machine-mode trap vector
 * (port/riscv/hal_riscv.h).
 *
 * A semihosting call is the uncompressed sequence slli/ebreak/srai, which
 * a debugger or QEMU (-semihosting) recognises around the ebreak; without
 * one the ebreak raises a breakpoint exception. The trap vector then
 * returns from the call with a0 = -1 (a failed call) instead of hanging,
 * and hands every other trap to the board (flm_board_fault).
 */
#include "port/riscv/hal_riscv.h"
#include "port/common/semihost.h"

/* noinline: the ebreak's label must exist once. The three words share a
 * 16-byte block, so one page, as the protocol asks. */
__attribute__((noinline)) long flm_semihost_trap(long op, const void *arg)
{
    register long a0 __asm__("a0") = op;
    register const void *a1 __asm__("a1") = arg;
    __asm__ volatile(".option push\n\t"
                     ".option norvc\n\t"
                     ".balign 16\n\t"
                     "slli x0, x0, 0x1f\n"
                     ".global flm_riscv_semihost_ebreak\n"
                     "flm_riscv_semihost_ebreak:\n\t"
                     "ebreak\n\t"
                     "srai x0, x0, 7\n\t"
                     ".option pop"
                     : "+r"(a0)
                     : "r"(a1)
                     : "memory");
    return a0;
}

/* A breakpoint at the semihosting ebreak: skip it, a0 = -1, resume. Any
 * other trap: the board's flm_board_fault(mcause, mepc). */
__attribute__((naked, aligned(4))) void flm_riscv_trap(void)
{
    __asm__ volatile(".option push\n\t"
                     ".option arch, +zicsr\n\t" /* CSRs: -march=rv32imc leaves Zicsr out */
                     "addi sp, sp, -16\n\t"
                     "sw t0, 0(sp)\n\t"
                     "sw t1, 4(sp)\n\t"
                     "csrr t0, mcause\n\t"
                     "li t1, 3\n\t" /* breakpoint */
                     "bne t0, t1, 1f\n\t"
                     "csrr t0, mepc\n\t"
                     "la t1, flm_riscv_semihost_ebreak\n\t"
                     "bne t0, t1, 1f\n\t"
                     "addi t0, t0, 4\n\t" /* to the srai */
                     "csrw mepc, t0\n\t"
                     "li a0, -1\n\t"
                     "lw t0, 0(sp)\n\t"
                     "lw t1, 4(sp)\n\t"
                     "addi sp, sp, 16\n\t"
                     "mret\n"
                     "1:\n\t"
                     "csrr a0, mcause\n\t"
                     "csrr a1, mepc\n\t"
                     "call flm_board_fault\n\t"
                     ".option pop");
}
