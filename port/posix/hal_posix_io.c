#define _POSIX_C_SOURCE 200809L
#include "port/posix/hal_posix_io.h"

#include <errno.h>
#include <stdint.h>
#include <unistd.h>

flm_err_t flm_posix_read_full(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return FLM_ERR_IO;
        p += r;
        n -= (size_t)r;
    }
    return FLM_OK;
}

flm_err_t flm_posix_write_full(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return FLM_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return FLM_OK;
}
