/* Erase secrets (API keys, request buffers that held them) so that the
 * optimiser cannot drop the stores as dead: a plain memset before free or
 * before a buffer goes out of scope may legally be removed. */
#ifndef FLM_WIPE_H
#define FLM_WIPE_H

#include <stddef.h>

void flm_wipe(void *p, size_t n);

#endif /* FLM_WIPE_H */
