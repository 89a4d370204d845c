/*
 * Files and environment, on platforms that have them (a host, an ARM Linux
 * board): the model image and the configuration file by path, a CA bundle,
 * the variable holding an API key. A microcontroller keeps these in flash
 * or in the record store instead; there (port/common/hal_files_none.c)
 * every call says FLM_ERR_UNSUPPORTED.
 */
#ifndef FLM_HAL_FILES_H
#define FLM_HAL_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/hal/hal_caps.h"

/* A read-only view of a whole file. data is at least 4-byte aligned (model
 * images are used in place) and valid until flm_hal_file_unmap; an empty
 * file maps to size 0 and a valid, aligned data pointer. */
typedef struct {
    const void *data;
    size_t      size;
    intptr_t    handle; /* the port's; 0 when nothing is mapped */
    /* This version of the file, for "verified once" records ([model]
     * verify = once): a change to the file (a write, a replacement, a
     * rename over it) changes it; 0 when the port cannot vouch for that,
     * such as a file modified too recently for its timestamps to tell a
     * later write apart (POSIX: within 2 s). */
    uint64_t    version;
} flm_hal_map_t;

/* FLM_ERR_NOT_FOUND if there is no such file, FLM_ERR_IS_DIR for a
 * directory, FLM_ERR_NOT_FILE for a device or a FIFO, FLM_ERR_ACCESS
 * without the permission, FLM_ERR_IO if it cannot be read or mapped. */
flm_err_t flm_hal_file_map(const char *path, flm_hal_map_t *m);
void      flm_hal_file_unmap(flm_hal_map_t *m);

/* Copy a whole file into buf and NUL-terminate it (cap - 1 bytes at most);
 * *len receives the file's size. FLM_ERR_OVERFLOW if it does not fit. */
flm_err_t flm_hal_file_read(const char *path, char *buf, size_t cap, size_t *len);

/* The value of the environment variable `name`, NUL-terminated in buf.
 * FLM_ERR_NOT_FOUND if unset or empty, FLM_ERR_OVERFLOW if longer than
 * cap - 1 bytes (buf is then wiped). */
flm_err_t flm_hal_env_get(const char *name, char *buf, size_t cap);

#endif /* FLM_HAL_FILES_H */
