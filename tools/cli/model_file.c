#include "tools/cli/model_file.h"

#include <stdio.h>
#include <string.h>

/* The HAL's mapping (read-only, page-aligned: the 4-byte alignment
 * core/model/model.c needs holds), the runtime's wording for its errors. */
static const char *file_problem(flm_err_t err)
{
    switch (err) {
    case FLM_ERR_NOT_FOUND:   return "no such file";
    case FLM_ERR_UNSUPPORTED: return "this platform has no files";
    default:                  return "cannot read";
    }
}

int flm_model_file_open(flm_model_file_t *f, const char *path, flm_model_verify_t verify,
                        const char *cmd)
{
    memset(f, 0, sizeof *f);
    flm_err_t err = flm_hal_file_map(path, &f->map);
    if (err) {
        fprintf(stderr, "fieldlm %s: %s: %s\n", cmd, path, file_problem(err));
        return err;
    }
    err = flm_model_open(&f->model, f->map.data, f->map.size, verify);
    if (err) {
        fprintf(stderr, "fieldlm %s: %s: %s: %s\n", cmd, path, flm_strerror(err), f->model.detail);
        flm_hal_file_unmap(&f->map); /* f->model keeps the detail */
    }
    return err;
}

void flm_model_file_close(flm_model_file_t *f)
{
    flm_model_close(&f->model);
    flm_hal_file_unmap(&f->map);
}
