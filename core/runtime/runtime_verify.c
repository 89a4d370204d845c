/* Verify an image once and keep a record of it (priv/runtime_verify.h).
 *
 * The record, 32 bytes little-endian: magic "FLMV", record version 1, the
 * image's size (u64), its header CRC and image CRC fields (u32 each: the
 * header CRC is checked on every open, so they are the header's own), and
 * the port's version of the file (u64, 0 for an image in memory: flash
 * changes only when it is written again, with a new header). Any change to
 * a field, so any rewrite of the file, means verifying again. What the
 * record cannot see is a file whose bytes rot in place without a write:
 * `verify = full` checks every start. */
#include "core/runtime/priv/runtime_verify.h"

#include <string.h>

#include "core/base/bytes.h"
#include "core/base/fmt.h"
#include "core/hal/hal.h"
#include "core/model/model_format.h"

#define RECORD_BYTES 32u
#define RECORD_MAGIC 0x564D4C46u /* "FLMV" */

static void make_record(const flm_model_t *m, uint64_t file_version, uint8_t *r)
{
    memset(r, 0, RECORD_BYTES);
    flm_wr32le(r, RECORD_MAGIC);
    flm_wr32le(r + 4, 1);
    flm_wr64le(r + 8, (uint64_t)m->image_size);
    flm_wr32le(r + 16, flm_rd32le(m->image + FLM_IMG_OFF_HEADER_CRC));
    flm_wr32le(r + 20, flm_rd32le(m->image + FLM_IMG_OFF_IMAGE_CRC));
    flm_wr64le(r + 24, file_version);
}

flm_err_t flm_runtime_verify_once(flm_model_t *m, bool from_file, uint64_t file_version,
                                  bool *trusted)
{
    if (!m || !m->image || !trusted)
        return FLM_ERR_ARG;
    *trusted = false;
    if (from_file && file_version == 0)
        return flm_model_verify(m); /* too fresh to tell apart from a later write */
    uint8_t want[RECORD_BYTES], got[RECORD_BYTES];
    char key[FLM_HAL_KEY_MAX + 1];
    make_record(m, file_version, want);
    flm_snprintf(key, sizeof key, FLM_VERIFIED_KEY_PREFIX "%08x",
                 (unsigned)flm_rd32le(m->image + FLM_IMG_OFF_IMAGE_CRC));
    size_t len = 0;
    if (flm_hal_store_get(key, got, sizeof got, &len) == FLM_OK && len == RECORD_BYTES &&
        memcmp(got, want, RECORD_BYTES) == 0) {
        *trusted = true;
        return FLM_OK;
    }
    flm_err_t err = flm_model_verify(m);
    if (err)
        return err;
    if (flm_hal_store_put(key, want, sizeof want) != FLM_OK)
        flm_hal_log(FLM_LOG_DEBUG, "verify once: no record kept (the store refused it)");
    return FLM_OK;
}
