/*
 * A polled driver for the NS16550A UART (QEMU virt's serial0; the same
 * register file as most SoCs' "16550-compatible" UARTs): 8N1, FIFOs on,
 * no interrupt. Registers are bytes `stride` bytes apart.
 */
#ifndef FLM_UART_NS16550_H
#define FLM_UART_NS16550_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    volatile uint8_t *base;
    uint32_t          stride;
} flm_uart_ns16550_t;

/* Set the divisor for `baud` from a `clock_hz` input clock (QEMU ignores
 * it) and the line to 8N1 with FIFOs; transmit only. */
void flm_uart_ns16550_init(flm_uart_ns16550_t *u, uintptr_t base, uint32_t stride,
                           uint32_t clock_hz, uint32_t baud);

/* Every byte, each once the transmit holding register is empty. */
void flm_uart_ns16550_write(const flm_uart_ns16550_t *u, const void *data, size_t n);

#endif /* FLM_UART_NS16550_H */
