/* Load a .flm model file for a CLI command: map it read-only (page-aligned,
 * so the 4-byte alignment core/model/model.c needs holds) and open it with
 * flm_model_open. Used by info, run, ppl, ... */
#ifndef FLM_MODEL_FILE_H
#define FLM_MODEL_FILE_H

#include <stddef.h>

#include "core/hal/hal_files.h"
#include "core/model/model.h"

typedef struct {
    flm_model_t   model;
    flm_hal_map_t map; /* the file, mapped read-only */
} flm_model_file_t;

/* On failure prints "fieldlm CMD: PATH: <what>: <detail>" to stderr and
 * returns the flm_err_t (FLM_ERR_NOT_FOUND, FLM_ERR_IO for the file). */
int  flm_model_file_open(flm_model_file_t *f, const char *path, flm_model_verify_t verify,
                         const char *cmd);
void flm_model_file_close(flm_model_file_t *f);

#endif /* FLM_MODEL_FILE_H */
