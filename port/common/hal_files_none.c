/* Default files and environment for a platform without them (bare metal):
 * the model is linked into flash and the configuration comes from memory
 * or the record store. */
#include "core/hal/hal_files.h"

#include <string.h>

#if FLM_HAL_HAS_FILES
#error "port/common/hal_files_none.c has no files: build it with FLM_HAL_HAS_FILES=0"
#endif

flm_err_t flm_hal_file_map(const char *path, flm_hal_map_t *m)
{
    (void)path;
    if (m)
        memset(m, 0, sizeof *m);
    return FLM_ERR_UNSUPPORTED;
}

void flm_hal_file_unmap(flm_hal_map_t *m)
{
    if (m)
        memset(m, 0, sizeof *m);
}

flm_err_t flm_hal_file_read(const char *path, char *buf, size_t cap, size_t *len)
{
    (void)path;
    if (buf && cap)
        buf[0] = '\0';
    if (len)
        *len = 0;
    return FLM_ERR_UNSUPPORTED;
}

flm_err_t flm_hal_env_get(const char *name, char *buf, size_t cap)
{
    (void)name;
    if (buf && cap)
        buf[0] = '\0';
    return FLM_ERR_UNSUPPORTED;
}
