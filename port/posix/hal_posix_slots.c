/*
 * POSIX model slots (core/hal/hal_slots.h): slot-a.flm and slot-b.flm in a
 * directory. Written with pwrite, made durable with fsync, read through
 * flm_hal_file_map (mmap). A resume cuts the file at the record's progress,
 * so a half-written tail from before a power cut is written again.
 *
 * Test hook: $FLM_POWER_CUT=N ends the process (exit status 137, as a kill
 * would) in the middle of the N-th slot write of this run, half of it
 * written: tests/sh/model_update.sh cuts an install that way.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/hal/hal_slots.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/base/fmt.h"
#include "core/base/parse.h"
#include "core/hal/hal_files.h"
#include "port/posix/hal_posix_io.h"

#if !FLM_HAL_HAS_SLOTS
#error "port/posix implements model slots: build it with FLM_HAL_HAS_SLOTS=1"
#endif

#define SLOT_PATH_MAX 512

typedef struct {
    char          dir[SLOT_PATH_MAX - 16];
    int           fd[FLM_SLOT_COUNT];
    flm_hal_map_t map[FLM_SLOT_COUNT];
    long          cut_at; /* the write to cut, 0: none */
    long          writes;
} posix_slots_t;

static posix_slots_t ps = { .fd = { -1, -1 } };

static void slot_path(char *out, uint32_t slot)
{
    flm_snprintf(out, SLOT_PATH_MAX, "%s/slot-%c.flm", ps.dir, slot == 0 ? 'a' : 'b');
}

static flm_err_t errno_err(void)
{
    return errno == ENOSPC || errno == EDQUOT ? FLM_ERR_STORE_FULL
           : errno == EACCES || errno == EPERM ? FLM_ERR_ACCESS
                                               : FLM_ERR_IO;
}

static flm_err_t fsync_dir(void)
{
    int fd = open(ps.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return FLM_ERR_IO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? FLM_OK : FLM_ERR_IO;
}

/* The slot's file open for writing (created if missing). */
static flm_err_t writable(uint32_t slot)
{
    if (slot >= FLM_SLOT_COUNT)
        return FLM_ERR_ARG;
    if (ps.fd[slot] >= 0)
        return FLM_OK;
    char path[SLOT_PATH_MAX];
    slot_path(path, slot);
    ps.fd[slot] = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (ps.fd[slot] < 0)
        return errno_err();
    return fsync_dir();
}

static void slots_unmap(void *ctx, uint32_t slot)
{
    (void)ctx;
    if (slot < FLM_SLOT_COUNT && ps.map[slot].handle)
        flm_hal_file_unmap(&ps.map[slot]);
}

static flm_err_t cut_to(uint32_t slot, uint64_t size)
{
    slots_unmap(NULL, slot);
    flm_err_t err = writable(slot);
    if (err)
        return err;
    if (size > (uint64_t)INT64_MAX || ftruncate(ps.fd[slot], (off_t)size) != 0 || fsync(ps.fd[slot]) != 0)
        return errno_err();
    return FLM_OK;
}

static flm_err_t slots_erase(void *ctx, uint32_t slot)
{
    (void)ctx;
    return cut_to(slot, 0);
}

static flm_err_t slots_resume(void *ctx, uint32_t slot, uint64_t off)
{
    (void)ctx;
    return cut_to(slot, off);
}

static flm_err_t slots_write(void *ctx, uint32_t slot, uint64_t off, const void *data, size_t n)
{
    (void)ctx;
    flm_err_t err = writable(slot);
    if (err)
        return err;
    if (off > (uint64_t)INT64_MAX || lseek(ps.fd[slot], (off_t)off, SEEK_SET) < 0)
        return FLM_ERR_IO;
    if (ps.cut_at && ++ps.writes == ps.cut_at) {
        (void)flm_posix_write_full(ps.fd[slot], data, n / 2);
        _exit(137); /* the power goes */
    }
    return flm_posix_write_full(ps.fd[slot], data, n) == FLM_OK ? FLM_OK : errno_err();
}

static flm_err_t slots_sync(void *ctx, uint32_t slot)
{
    (void)ctx;
    flm_err_t err = writable(slot);
    if (err)
        return err;
    return fsync(ps.fd[slot]) == 0 ? FLM_OK : FLM_ERR_IO;
}

static flm_err_t slots_map(void *ctx, uint32_t slot, const uint8_t **data, uint64_t *size)
{
    (void)ctx;
    if (slot >= FLM_SLOT_COUNT || !data || !size)
        return FLM_ERR_ARG;
    slots_unmap(NULL, slot);
    char path[SLOT_PATH_MAX];
    slot_path(path, slot);
    flm_err_t err = flm_hal_file_map(path, &ps.map[slot]);
    if (err)
        return err;
    *data = ps.map[slot].data;
    *size = ps.map[slot].size;
    return FLM_OK;
}

flm_err_t flm_hal_slots_open(const char *dir, flm_slot_dev_t *dev)
{
    if (!dir || !dir[0] || !dev)
        return FLM_ERR_ARG;
    size_t n = strlen(dir);
    if (n >= sizeof ps.dir)
        return FLM_ERR_OVERFLOW;
    for (uint32_t s = 0; s < FLM_SLOT_COUNT; s++) {
        slots_unmap(NULL, s);
        if (ps.fd[s] >= 0)
            close(ps.fd[s]);
        ps.fd[s] = -1;
    }
    memcpy(ps.dir, dir, n + 1);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return errno_err();
    struct stat st;
    if (stat(dir, &st) != 0)
        return FLM_ERR_IO;
    if (!S_ISDIR(st.st_mode))
        return FLM_ERR_NOT_FILE;
    const char *cut = getenv("FLM_POWER_CUT");
    uint64_t v = 0;
    ps.cut_at = cut && flm_parse_uint(cut, strlen(cut), 10, 1000000000u, &v) ? (long)v : 0;
    ps.writes = 0;
    dev->erase = slots_erase;
    dev->resume = slots_resume;
    dev->write = slots_write;
    dev->sync = slots_sync;
    dev->map = slots_map;
    dev->unmap = slots_unmap;
    dev->capacity = (uint64_t)1 << 40;
    dev->ctx = &ps;
    return FLM_OK;
}
