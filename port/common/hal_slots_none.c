/* Default model slots for a platform without them: no A/B update, the
 * device runs the image it shipped with. */
#include "core/hal/hal_slots.h"

#if FLM_HAL_HAS_SLOTS
#error "port/common/hal_slots_none.c has no slots: build it with FLM_HAL_HAS_SLOTS=0"
#endif

flm_err_t flm_hal_slots_open(const char *dir, flm_slot_dev_t *dev)
{
    (void)dir;
    (void)dev;
    return FLM_ERR_UNSUPPORTED;
}
