/*
 * The MPS2 boards' application: brings the HAL up and reports through
 * semihosting. (Placeholder until the engine lands: prints one line.)
 */
#include <string.h>

#include "boards/common/mps2/board.h"
#include "core/arena.h"
#include "port/cortexm/hal_cortexm.h"

static uint8_t arena_mem[4096];

int main(void)
{
    flm_err_t err = flm_hal_init();
    if (err)
        return 1;
    flm_arena_t arena;
    flm_arena_init(&arena, arena_mem, sizeof arena_mem);
    void *p;
    err = flm_arena_alloc(&arena, 100, 0, &p);
    if (err)
        return 1;
    static const char hello[] = "fieldlm on " FLM_BOARD_NAME "\n";
    flm_board_mark();
    flm_hal_console_write(hello, strlen(hello));
    flm_board_mark();
    flm_hal_log(FLM_LOG_INFO, "arena %zu/%zu bytes, stack %zu/%zu bytes", flm_arena_high_water(&arena),
                sizeof arena_mem, flm_board_stack_high_water(), flm_board_stack_size());
    return 0;
}
