/* Arm semihosting over the port's trap (port/common/semihost.h). */
#include "port/common/semihost.h"

long flm_semihost_open_tt(uint32_t mode)
{
    static const char tt[] = ":tt";
    const uint32_t args[3] = { (uint32_t)(uintptr_t)tt, mode, 3 };
    return flm_semihost_trap(FLM_SEMI_SYS_OPEN, args);
}

void flm_semihost_write(long handle, const void *data, size_t n)
{
    if (handle < 0 || n == 0)
        return;
    const uint32_t args[3] = { (uint32_t)handle, (uint32_t)(uintptr_t)data, (uint32_t)n };
    (void)flm_semihost_trap(FLM_SEMI_SYS_WRITE, args);
}

flm_err_t flm_semihost_cmdline(char *buf, size_t cap)
{
    if (!buf || cap == 0 || cap > UINT32_MAX)
        return FLM_ERR_ARG;
    uint32_t args[2] = { (uint32_t)(uintptr_t)buf, (uint32_t)cap };
    if (flm_semihost_trap(FLM_SEMI_SYS_GET_CMDLINE, args) != 0) {
        buf[0] = '\0';
        return FLM_ERR_UNSUPPORTED;
    }
    buf[args[1] < cap ? args[1] : cap - 1] = '\0';
    return FLM_OK;
}
