/* What the update module's files share (core/update/ only). */
#ifndef FLM_UPDATE_RECORD_H
#define FLM_UPDATE_RECORD_H

#include "core/update/update.h"

/* Save u->rec as the new boot record (a twin record: all or nothing). */
flm_err_t flm_update_save(flm_update_t *u);
/* Mark slot BAD for `why`: no longer pending; if it was active, the other
 * slot takes over when GOOD, else the factory image. Not saved. */
void      flm_update_give_up(flm_update_t *u, int slot, flm_update_event_t why);
/* Map slot s and open m on its image, checked against the record's identity. */
flm_err_t flm_update_open_slot(flm_update_t *u, int s, flm_model_t *m, bool header_only);
void      flm_update_unmap(flm_update_t *u);

#endif /* FLM_UPDATE_RECORD_H */
