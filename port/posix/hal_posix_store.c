/*
 * POSIX record store (core/hal/hal_storage.h): a directory with one file
 * per record, named by its key. A put writes ".tmp-KEY", flushes it and
 * renames it over KEY, so a power cut leaves the old record or the new one;
 * names starting with '.' are never keys, so a temporary left by a cut is
 * never listed or counted.
 *
 * Programs that share the directory (FLM_HAL_HAS_STORAGE_SHARED) take
 * turns through flock() on its ".lock" file: the kernel drops the lock of a
 * program that dies holding it. The file holds a counter that a holder who
 * put or deleted a record raises when it lets go, so the next holder can
 * tell whether another program changed the store since its own turn (and
 * spare itself reading it again). The counter is not flushed: after a power
 * cut every program starts again and reads everything anyway.
 *
 * The directory is read with getdents64 directly: opendir allocates.
 */
#define _GNU_SOURCE /* syscall, DT_REG */
#include "port/posix/hal_posix.h"
#include "port/common/hal_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* rename */
#include <string.h>
#include <sys/file.h> /* flock */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core/base/fmt.h"
#include "port/posix/hal_posix_io.h"

#if !FLM_HAL_HAS_STORAGE_PERSISTENT
#error "port/posix's store is persistent: build it with FLM_HAL_HAS_STORAGE_PERSISTENT=1 (port/posix/rules.mk)"
#endif

#define STORE_PATH_MAX 512

static char     store_dir[STORE_PATH_MAX - FLM_HAL_KEY_MAX - 8] = ".fieldlm-store";
static uint32_t store_max_records; /* 0: no limit but the disk's */
static uint64_t store_max_bytes;
/* the lock (flm_hal_store_lock) */
static int      lock_fd = -1;
static bool     lock_wrote;   /* a put or del during this hold */
static bool     lock_known;   /* lock_count is the counter as this program left it */
static uint64_t lock_count;
static uint64_t lock_changes; /* changes by other programs seen so far */

flm_err_t flm_hal_posix_set_store_dir(const char *dir)
{
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof store_dir)
        return FLM_ERR_ARG;
    memcpy(store_dir, dir, n + 1);
    return FLM_OK;
}

void flm_hal_posix_set_store_limits(uint32_t max_records, uint64_t max_bytes)
{
    store_max_records = max_records;
    store_max_bytes = max_bytes;
}

static void key_path(char *out, const char *prefix, const char *key)
{
    flm_snprintf(out, STORE_PATH_MAX, "%s/%s%s", store_dir, prefix, key);
}

static flm_err_t fsync_dir(void)
{
    int fd = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return FLM_ERR_IO;
    int rc = fsync(fd);
    close(fd);
    return rc == 0 ? FLM_OK : FLM_ERR_IO;
}

/* ---- walking the directory -------------------------------------------- */

/* The kernel's record layout for getdents64 (linux/dirent.h). */
struct store_dirent {
    uint64_t       d_ino;
    int64_t        d_off;
    unsigned short d_reclen;
    unsigned char  d_type;
    char           d_name[];
};

/* Call fn for each record of the store: regular files named by a valid key
 * (temporaries and strays skipped). A store never written has none. */
typedef void (*store_visit_fn)(int dir_fd, const char *key, void *arg);

static flm_err_t store_walk(store_visit_fn fn, void *arg)
{
    int fd = open(store_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? FLM_OK : FLM_ERR_IO;
    union {
        uint64_t align;
        char     bytes[4096];
    } buf;
    flm_err_t err = FLM_OK;
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf.bytes, sizeof buf.bytes);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? FLM_ERR_IO : FLM_OK;
            break;
        }
        for (long off = 0; off < n;) {
            const struct store_dirent *d = (const void *)(buf.bytes + off);
            if (d->d_reclen == 0)
                break; /* never from a sane kernel; do not spin */
            off += d->d_reclen;
            if ((d->d_type == DT_REG || d->d_type == DT_UNKNOWN) && flm_hal_key_valid(d->d_name))
                fn(fd, d->d_name, arg);
        }
    }
    close(fd);
    return err;
}

typedef struct {
    uint32_t    records;
    uint64_t    bytes;
    const char *key;      /* a record whose size to report apart, or NULL */
    bool        key_seen;
    uint64_t    key_bytes;
} store_count_t;

static void count_visit(int dir_fd, const char *key, void *arg)
{
    store_count_t *c = arg;
    struct stat st;
    if (fstatat(dir_fd, key, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return; /* vanished or not a file: not a record */
    c->records++;
    c->bytes += (uint64_t)st.st_size;
    if (c->key && strcmp(key, c->key) == 0) {
        c->key_seen = true;
        c->key_bytes = (uint64_t)st.st_size;
    }
}

static size_t record_max(void)
{
    if (store_max_bytes && store_max_bytes < FLM_HAL_POSIX_STORE_RECORD_MAX)
        return (size_t)store_max_bytes;
    return FLM_HAL_POSIX_STORE_RECORD_MAX;
}

/* ---- the store calls -------------------------------------------------- */

/* Would a record of n bytes under key overflow the configured limits? */
static flm_err_t check_limits(const char *key, size_t n)
{
    if (!store_max_records && !store_max_bytes)
        return FLM_OK;
    store_count_t c = { .key = key };
    flm_err_t err = store_walk(count_visit, &c);
    if (err)
        return err;
    if (store_max_records && !c.key_seen && c.records >= store_max_records)
        return FLM_ERR_STORE_FULL;
    if (store_max_bytes && c.bytes - c.key_bytes + n > store_max_bytes)
        return FLM_ERR_STORE_FULL;
    return FLM_OK;
}

/* The disk is full, or the user's quota is. */
static flm_err_t io_error(void)
{
    return (errno == ENOSPC || errno == EDQUOT) ? FLM_ERR_STORE_FULL : FLM_ERR_IO;
}

flm_err_t flm_hal_store_put(const char *key, const void *data, size_t n)
{
    if (!flm_hal_key_valid(key) || (!data && n))
        return FLM_ERR_ARG;
    if (n > record_max())
        return FLM_ERR_OVERFLOW;
    if (mkdir(store_dir, 0700) != 0 && errno != EEXIST)
        return FLM_ERR_IO;
    lock_wrote = true;
    flm_err_t err = check_limits(key, n);
    if (err)
        return err;

    /* Write a temporary, flush it, then rename over the record: rename is
     * atomic, so a power cut leaves the old record or the new one. */
    char tmp[STORE_PATH_MAX], dst[STORE_PATH_MAX];
    key_path(tmp, ".tmp-", key);
    key_path(dst, "", key);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return io_error();
    if (flm_posix_write_full(fd, data, n) != FLM_OK || fsync(fd) != 0) {
        err = io_error();
        close(fd);
        unlink(tmp);
        return err;
    }
    if (close(fd) != 0 || rename(tmp, dst) != 0) {
        err = io_error();
        unlink(tmp);
        return err;
    }
    return fsync_dir();
}

flm_err_t flm_hal_store_get(const char *key, void *buf, size_t cap, size_t *len)
{
    if (!flm_hal_key_valid(key) || (!buf && cap) || !len)
        return FLM_ERR_ARG;
    char path[STORE_PATH_MAX];
    key_path(path, "", key);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? FLM_ERR_NOT_FOUND : FLM_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 0) {
        close(fd);
        return FLM_ERR_IO;
    }
    size_t size = (size_t)st.st_size;
    *len = size;
    size_t want = size < cap ? size : cap;
    flm_err_t err = flm_posix_read_full(fd, buf, want);
    close(fd);
    if (err)
        return err;
    return size > cap ? FLM_ERR_OVERFLOW : FLM_OK;
}

flm_err_t flm_hal_store_lock(uint64_t *changes)
{
    if (lock_fd >= 0)
        return FLM_ERR_STATE; /* not nested */
    char path[STORE_PATH_MAX];
    key_path(path, ".", "lock");
    if (mkdir(store_dir, 0700) != 0 && errno != EEXIST)
        return FLM_ERR_IO;
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return FLM_ERR_IO;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        /* a file system without locks (some network ones): one program
         * at a time still works, as it did before there was a lock */
        if (errno == ENOLCK || errno == EOPNOTSUPP || errno == ENOSYS)
            break;
        close(fd);
        return FLM_ERR_IO;
    }
    uint64_t count = 0;
    if (pread(fd, &count, sizeof count, 0) != (ssize_t)sizeof count)
        count = 0; /* a new lock file */
    if (lock_known && count != lock_count)
        lock_changes++;
    lock_count = count;
    lock_known = true;
    lock_wrote = false;
    lock_fd = fd;
    *changes = lock_changes;
    return FLM_OK;
}

void flm_hal_store_unlock(void)
{
    if (lock_fd < 0)
        return;
    if (lock_wrote) {
        lock_count++;
        /* if this write fails, the others miss this change: it says so by
         * leaving them nothing to compare, and they all read again */
        if (pwrite(lock_fd, &lock_count, sizeof lock_count, 0) != (ssize_t)sizeof lock_count &&
            ftruncate(lock_fd, 0) == 0)
            lock_count = 0;
    }
    close(lock_fd); /* drops the lock */
    lock_fd = -1;
}

flm_err_t flm_hal_store_del(const char *key)
{
    if (!flm_hal_key_valid(key))
        return FLM_ERR_ARG;
    char path[STORE_PATH_MAX];
    key_path(path, "", key);
    lock_wrote = true;
    if (unlink(path) != 0)
        return errno == ENOENT ? FLM_ERR_NOT_FOUND : FLM_ERR_IO;
    return fsync_dir();
}

/* Free space of the file system that holds (or will hold) the store: the
 * directory itself, else the one it will be created in. */
static int store_statvfs(struct statvfs *vfs)
{
    if (statvfs(store_dir, vfs) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    char parent[sizeof store_dir];
    memcpy(parent, store_dir, sizeof parent);
    char *slash = strrchr(parent, '/');
    if (slash == parent)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(parent, ".");
    return statvfs(parent, vfs);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

flm_err_t flm_hal_store_stat(flm_hal_store_stat_t *st)
{
    if (!st)
        return FLM_ERR_ARG;
    store_count_t c = { .key = NULL };
    flm_err_t err = store_walk(count_visit, &c);
    if (err)
        return err;
    struct statvfs vfs;
    if (store_statvfs(&vfs) != 0)
        return FLM_ERR_IO;
    uint64_t free_bytes = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    st->records = c.records;
    st->bytes_used = c.bytes;
    st->bytes_max = c.bytes + min_u64(free_bytes, UINT64_MAX - c.bytes);
    /* A file system without an inode count (f_files 0) sets no limit. */
    uint64_t max_records = vfs.f_files ? c.records + (uint64_t)vfs.f_favail : UINT32_MAX;
    st->max_records = (uint32_t)min_u64(max_records, UINT32_MAX);
    if (store_max_records && store_max_records < st->max_records)
        st->max_records = store_max_records;
    if (store_max_bytes)
        st->bytes_max = min_u64(st->bytes_max, store_max_bytes);
    st->record_max = record_max();
    return FLM_OK;
}

typedef struct {
    const char *prefix, *after;
    char        best[FLM_HAL_KEY_MAX + 1]; /* "" until a candidate is found */
} store_next_t;

static void next_visit(int dir_fd, const char *key, void *arg)
{
    (void)dir_fd;
    store_next_t *s = arg;
    if (flm_hal_store_next_better(key, s->prefix, s->after, s->best))
        strcpy(s->best, key); /* a valid key: fits */
}

flm_err_t flm_hal_store_next(const char *prefix, const char *after, char *key_out)
{
    if (!flm_hal_store_next_args_valid(prefix, after, key_out))
        return FLM_ERR_ARG;
    store_next_t s = { .prefix = prefix, .after = after, .best = "" };
    flm_err_t err = store_walk(next_visit, &s);
    if (err)
        return err;
    if (!s.best[0])
        return FLM_ERR_NOT_FOUND;
    strcpy(key_out, s.best); /* after may alias key_out: read it no more */
    return FLM_OK;
}
