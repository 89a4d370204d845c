#include "core/base/wipe.h"

#include <stdint.h>

void flm_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}
