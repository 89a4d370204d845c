/* Cortex-M port extras: what a bare-metal board's startup and application
 * need beyond core/hal/hal.h. The console and log use ARM semihosting (QEMU or
 * a debugger); time comes from the CMSDK APB timer 0 of the MPS2 boards. */
#ifndef FLM_HAL_CORTEXM_H
#define FLM_HAL_CORTEXM_H

#include <stddef.h>
#include <stdint.h>

#include "core/hal/hal.h"

/* Stop the program and report `status` (0 = success) to the host through
 * semihosting; QEMU exits with that status. */
void flm_hal_cortexm_exit(int status) __attribute__((noreturn));

/* The program's command line from the semihosting host (QEMU: -append),
 * NUL-terminated in buf. FLM_ERR_UNSUPPORTED without a host or when it
 * is longer than cap - 1 bytes (the host cannot say which). */
flm_err_t flm_hal_cortexm_cmdline(char *buf, size_t cap);

/* Number of watchdog kicks since init (there is no watchdog to feed). */
uint64_t flm_hal_cortexm_watchdog_kicks(void);

#endif /* FLM_HAL_CORTEXM_H */
