/* Default CPU feature report for a port whose CPU has no optional
 * instruction set the kernels could use (or cannot tell): none. */
#include "port/common/hal_common.h"

uint32_t flm_hal_cpu_features(void)
{
    return 0;
}
