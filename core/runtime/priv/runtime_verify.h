/* [model] verify = once (core/runtime/runtime_verify.c): the whole image's
 * CRC and scales checked on the first start, a record of it kept in the
 * HAL's record store, and later starts of the same image trusting it. */
#ifndef FLM_RUNTIME_VERIFY_H
#define FLM_RUNTIME_VERIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/base/error.h"
#include "core/model/model.h"

/* The record's key prefix: one record per image, named by its CRC. */
#define FLM_VERIFIED_KEY_PREFIX "model-verified."

/* m was opened with FLM_MODEL_VERIFY_HEADER. If the store holds a record
 * of this image (size, both CRC fields of its header and, for a file,
 * file_version) verified before, that is all (*trusted true); else
 * flm_model_verify(m) runs and, when it passes, the record is written (a
 * store that refuses it only means the next start verifies again). A file
 * whose version the port cannot vouch for (from_file and file_version 0)
 * is verified every time and never recorded. Errors are
 * flm_model_verify's, with m->detail. */
flm_err_t flm_runtime_verify_once(flm_model_t *m, bool from_file, uint64_t file_version,
                                  bool *trusted);

#endif /* FLM_RUNTIME_VERIFY_H */
