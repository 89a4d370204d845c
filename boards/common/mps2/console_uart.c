/*
 * The MPS2/MPS3 boards' console on a wire (CONSOLE=uart, mps2.mk): the
 * CMSDK APB UART 0 of the FPGA image (QEMU -serial), transmit only, polled,
 * 115200 baud. port/cortexm sends the console and the log lines here
 * instead of to semihosting (FLM_CORTEXM_CONSOLE_BOARD). Bytes go out as
 * they are (no CR added), so a capture equals the semihosting console's.
 */
#include <stdint.h>

#include "port/cortexm/hal_cortexm.h"

#ifndef FLM_BOARD_UART_BASE
#define FLM_BOARD_UART_BASE 0x40004000u /* AN385/AN386: UART 0 */
#endif
#ifndef FLM_BOARD_UART_HZ
#define FLM_BOARD_UART_HZ 25000000u     /* its APB clock */
#endif
#define UART_BAUD 115200u

#define UART_DATA    (*(volatile uint32_t *)(FLM_BOARD_UART_BASE + 0x000u))
#define UART_STATE   (*(volatile uint32_t *)(FLM_BOARD_UART_BASE + 0x004u))
#define UART_CTRL    (*(volatile uint32_t *)(FLM_BOARD_UART_BASE + 0x008u))
#define UART_BAUDDIV (*(volatile uint32_t *)(FLM_BOARD_UART_BASE + 0x010u))
#define STATE_TX_FULL 1u
#define CTRL_TX_EN    1u

static void uart_init(void)
{
    UART_CTRL = 0;
    UART_BAUDDIV = FLM_BOARD_UART_HZ / UART_BAUD; /* >= 16, as the UART requires */
    UART_CTRL = CTRL_TX_EN;
}

void flm_board_console_write(const void *data, size_t n)
{
    if (!(UART_CTRL & CTRL_TX_EN))
        uart_init(); /* first use, possibly before flm_board_init */
    const uint8_t *p = data;
    for (size_t i = 0; i < n; i++) {
        while (UART_STATE & STATE_TX_FULL) {
        }
        UART_DATA = p[i];
    }
}
