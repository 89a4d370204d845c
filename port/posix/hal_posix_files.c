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
#include <time.h>
#include <unistd.h>

#include "core/base/wipe.h"
#include "port/posix/hal_posix_io.h"

#if !FLM_HAL_HAS_FILES
#error "port/posix implements files: build it with FLM_HAL_HAS_FILES=1"
#endif

/* A file's version (flm_hal_map_t.version): device, inode, size and both
 * timestamps (a rewrite changes mtime, a chmod, link or rename ctime; a
 * file replaced by rename has a new inode), FNV-1a over them. Timestamps
 * come from a coarse clock (a tick of a few ms), so two writes within one
 * tick may leave the same mtime: a file changed less than 2 s ago (or "in
 * the future") gets 0, unknown, as git treats a "racily clean" entry. */
static uint64_t file_version(const struct stat *st)
{
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0)
        return 0;
    const int64_t newest = st->st_mtim.tv_sec > st->st_ctim.tv_sec ? st->st_mtim.tv_sec
                                                                   : st->st_ctim.tv_sec;
    if (newest > (int64_t)now.tv_sec - 2)
        return 0;
    const uint64_t f[] = { (uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
                           (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec,
                           (uint64_t)st->st_ctim.tv_sec, (uint64_t)st->st_ctim.tv_nsec };
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        for (int b = 0; b < 64; b += 8) {
            h ^= (f[i] >> b) & 0xFFu;
            h *= 0x100000001b3u;
        }
    return h ? h : 1;
}

static flm_err_t open_file_version(const char *path, int *fd, size_t *size, uint64_t *version)
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
    if (version)
        *version = file_version(&st);
    return FLM_OK;
}

static flm_err_t open_file(const char *path, int *fd, size_t *size)
{
    return open_file_version(path, fd, size, NULL);
}

flm_err_t flm_hal_file_map(const char *path, flm_hal_map_t *m)
{
    static const uint32_t empty[1]; /* stands in for a zero-byte file: aligned, size 0 */
    if (!m)
        return FLM_ERR_ARG;
    memset(m, 0, sizeof *m);
    int fd;
    size_t size;
    uint64_t version;
    flm_err_t err = open_file_version(path, &fd, &size, &version);
    if (err)
        return err;
    if (size == 0) {
        close(fd);
        m->data = empty;
        m->version = version;
        return FLM_OK;
    }
    void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return FLM_ERR_IO;
    m->data = p;
    m->size = size;
    m->handle = 1;
    m->version = version;
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
