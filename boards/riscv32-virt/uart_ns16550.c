/* NS16550A UART, polled transmit (uart_ns16550.h). */
#include "boards/riscv32-virt/uart_ns16550.h"

enum {
    REG_THR = 0, /* transmit holding (DLAB 0) */
    REG_DLL = 0, /* divisor low (DLAB 1) */
    REG_IER = 1, /* interrupt enable (DLAB 0) */
    REG_DLM = 1, /* divisor high (DLAB 1) */
    REG_FCR = 2,
    REG_LCR = 3,
    REG_LSR = 5,
    LCR_8N1 = 0x03,
    LCR_DLAB = 0x80,
    FCR_FIFO_ON_CLEAR = 0x07,
    LSR_THRE = 0x20,
};

static inline void put(const flm_uart_ns16550_t *u, unsigned reg, uint8_t v)
{
    u->base[reg * u->stride] = v;
}

void flm_uart_ns16550_init(flm_uart_ns16550_t *u, uintptr_t base, uint32_t stride,
                           uint32_t clock_hz, uint32_t baud)
{
    u->base = (volatile uint8_t *)base;
    u->stride = stride;
    uint32_t div = baud ? (clock_hz + 8u * baud) / (16u * baud) : 1u;
    if (div == 0)
        div = 1;
    put(u, REG_IER, 0);
    put(u, REG_LCR, LCR_DLAB);
    put(u, REG_DLL, (uint8_t)(div & 0xFFu));
    put(u, REG_DLM, (uint8_t)((div >> 8) & 0xFFu));
    put(u, REG_LCR, LCR_8N1);
    put(u, REG_FCR, FCR_FIFO_ON_CLEAR);
}

void flm_uart_ns16550_write(const flm_uart_ns16550_t *u, const void *data, size_t n)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        while (!(u->base[REG_LSR * u->stride] & LSR_THRE)) {
        }
        put(u, REG_THR, p[i]);
    }
}
