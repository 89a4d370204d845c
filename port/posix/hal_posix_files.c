/*
 * POSIX files and environment (core/hal/hal_files.h): open/fstat/mmap and
 * read, never stdio (its buffers come from the heap).
 */
#define _POSIX_C_SOURCE 200809L
#include "core/hal/hal_files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/wipe.h"
#include "port/posix/hal_posix_io.h"

#if !FLM_HAL_HAS_FILES
#error "port/posix implements files: build it with FLM_HAL_HAS_FILES=1"
#endif

static flm_err_t open_file(const char *path, int *fd, size_t *size)
{
    if (!path || !path[0])
        return FLM_ERR_ARG;
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? FLM_ERR_NOT_FOUND
               : errno == EACCES || errno == EPERM ? FLM_ERR_ACCESS
               : errno == EISDIR                   ? FLM_ERR_IS_DIR
                                                   : FLM_ERR_IO;
    struct stat st;
    flm_err_t err = FLM_OK;
    if (fstat(*fd, &st) != 0 || st.st_size < 0)
        err = FLM_ERR_IO;
    else if (S_ISDIR(st.st_mode))
        err = FLM_ERR_IS_DIR; /* open(2) takes a directory read-only; mmap then says ENODEV */
    else if (!S_ISREG(st.st_mode))
        err = FLM_ERR_NOT_FILE;
    if (err) {
        close(*fd);
        return err;
    }
    *size = (size_t)st.st_size;
    return FLM_OK;
}

flm_err_t flm_hal_file_map(const char *path, flm_hal_map_t *m)
{
    static const uint32_t empty[1]; /* stands in for a zero-byte file: aligned, size 0 */
    if (!m)
        return FLM_ERR_ARG;
    memset(m, 0, sizeof *m);
    int fd;
    size_t size;
    flm_err_t err = open_file(path, &fd, &size);
    if (err)
        return err;
    if (size == 0) {
        close(fd);
        m->data = empty;
        return FLM_OK;
    }
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return FLM_ERR_IO;
    m->data = p;
    m->size = size;
    m->handle = 1;
    return FLM_OK;
}

void flm_hal_file_unmap(flm_hal_map_t *m)
{
    if (!m)
        return;
    if (m->handle)
        munmap((void *)(uintptr_t)m->data, m->size);
    memset(m, 0, sizeof *m);
}

flm_err_t flm_hal_file_read(const char *path, char *buf, size_t cap, size_t *len)
{
    if (!buf || cap == 0 || !len)
        return FLM_ERR_ARG;
    int fd;
    size_t size;
    flm_err_t err = open_file(path, &fd, &size);
    if (err)
        return err;
    *len = size;
    if (size > cap - 1) {
        close(fd);
        buf[0] = '\0';
        return FLM_ERR_OVERFLOW;
    }
    err = flm_posix_read_full(fd, buf, size);
    close(fd);
    buf[err ? 0 : size] = '\0';
    return err;
}

flm_err_t flm_hal_env_get(const char *name, char *buf, size_t cap)
{
    if (!name || !buf || cap == 0)
        return FLM_ERR_ARG;
    buf[0] = '\0';
    const char *v = getenv(name); /* no allocation: a pointer into environ */
    if (!v || !v[0])
        return FLM_ERR_NOT_FOUND;
    size_t n = strlen(v);
    if (n > cap - 1) {
        flm_wipe(buf, cap);
        return FLM_ERR_OVERFLOW;
    }
    memcpy(buf, v, n + 1);
    return FLM_OK;
}
