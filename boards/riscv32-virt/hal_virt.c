/*
 * What the riscv32-virt board adds to port/riscv: the console on the
 * NS16550A UART at 0x10000000, time from the ACLINT machine timer (mtime,
 * 10 MHz), and the end of a run through the SiFive test device at
 * 0x100000 (QEMU exits with the status). Polled, no interrupt: nothing may
 * perturb the deterministic instruction counts of tools/qemu-insn.
 */
#include "boards/common/mps2/board.h"
#include "boards/riscv32-virt/uart_ns16550.h"
#include "port/riscv/hal_riscv.h"

#include <stdint.h>

#define UART0_BASE      0x10000000u
#define UART0_CLOCK_HZ  3686400u /* the device tree's clock-frequency */
#define MTIME_LO        (*(volatile uint32_t *)0x0200BFF8u)
#define MTIME_HI        (*(volatile uint32_t *)0x0200BFFCu)
#define MTIME_PER_US    10u
#define TEST_DEVICE     (*(volatile uint32_t *)0x00100000u)
#define TEST_PASS       0x5555u
#define TEST_FAIL       0x3333u /* | status << 16 */

static flm_uart_ns16550_t uart;

flm_err_t flm_board_init(void)
{
    flm_uart_ns16550_init(&uart, UART0_BASE, 1, UART0_CLOCK_HZ, 115200);
    return FLM_OK;
}

void flm_board_deinit(void)
{
}

void flm_board_console_write(const void *data, size_t n)
{
    if (!uart.base) /* before flm_hal_init: the reset state is usable */
        flm_uart_ns16550_init(&uart, UART0_BASE, 1, UART0_CLOCK_HZ, 115200);
    flm_uart_ns16550_write(&uart, data, n);
}

flm_err_t flm_board_cmdline(char *buf, size_t cap)
{
    return flm_semihost_cmdline(buf, cap);
}

/* mtime is 64 bits read as two halves: read high, low, high again until
 * the high half held still. */
uint64_t flm_hal_time_us(void)
{
    uint32_t hi, lo;
    do {
        hi = MTIME_HI;
        lo = MTIME_LO;
    } while (hi != MTIME_HI);
    return (((uint64_t)hi << 32) | lo) / MTIME_PER_US;
}

void flm_hal_sleep_ms(uint32_t ms)
{
    uint64_t end = flm_hal_time_us() + (uint64_t)ms * 1000u;
    while (flm_hal_time_us() < end) {
    }
}

void flm_board_exit(int status)
{
    uint32_t code = (uint32_t)status & 0xFFFFu;
    TEST_DEVICE = code ? (code << 16) | TEST_FAIL : TEST_PASS;
    for (;;) {
    }
}

/* No watchdog on this machine, so no boot record: every boot is the first,
 * after power-on, as far as the application can tell. */
uint32_t flm_board_boots(void)
{
    return 0;
}

flm_board_reset_t flm_board_last_reset(void)
{
    return FLM_BOARD_RESET_POWER_ON;
}

void flm_board_note_reset(flm_board_reset_t cause)
{
    (void)cause;
}
