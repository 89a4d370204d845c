#define _POSIX_C_SOURCE 200809L
#include "tools/cli/model_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int flm_model_file_open(flm_model_file_t *f, const char *path, flm_model_verify_t verify,
                        const char *cmd)
{
    static const uint32_t empty[1]; /* stands in for a zero-byte file: aligned, size 0 */
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "fieldlm %s: %s: %s\n", cmd, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return FLM_ERR_IO;
    }
    f->map_size = (size_t)st.st_size;
    if (f->map_size > 0) {
        void *p = mmap(NULL, f->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "fieldlm %s: %s: cannot map: %s\n", cmd, path, strerror(errno));
            close(fd);
            return FLM_ERR_IO;
        }
        f->map = p;
    }
    close(fd);
    int err = flm_model_open(&f->model, f->map ? f->map : (const void *)empty, f->map_size, verify);
    if (err) {
        fprintf(stderr, "fieldlm %s: %s: %s: %s\n", cmd, path, flm_strerror(err), f->model.detail);
        if (f->map)
            munmap(f->map, f->map_size); /* f->model keeps the detail */
        f->map = NULL;
    }
    return err;
}

void flm_model_file_close(flm_model_file_t *f)
{
    flm_model_close(&f->model);
    if (f->map)
        munmap(f->map, f->map_size);
    f->map = NULL;
    f->map_size = 0;
}
