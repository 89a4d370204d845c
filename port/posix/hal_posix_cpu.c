/* The CPU's optional instruction sets as Linux reports them (the auxiliary
 * vector's AT_HWCAP), for the ARM kernel variants; 0 elsewhere (x86-64
 * asks CPUID itself, through the compiler's __builtin_cpu_supports). */
#include "core/hal/hal.h"

#if defined(__linux__) && (defined(__aarch64__) || defined(__arm__))
#include <sys/auxv.h>

/* the kernel's uapi values (asm/hwcap.h), spelled here for old headers */
#if defined(__aarch64__)
#define HWCAP_BIT_NEON    (1ul << 1)  /* HWCAP_ASIMD */
#define HWCAP_BIT_DOTPROD (1ul << 20) /* HWCAP_ASIMDDP */
#else
#define HWCAP_BIT_NEON    (1ul << 12) /* HWCAP_NEON */
#define HWCAP_BIT_DOTPROD 0ul         /* AArch32 reports it in AT_HWCAP2; no variant uses it */
#endif

uint32_t flm_hal_cpu_features(void)
{
    unsigned long hw = getauxval(AT_HWCAP);
    uint32_t f = 0;
    if (hw & HWCAP_BIT_NEON)
        f |= FLM_HAL_CPU_ARM_NEON;
    if (HWCAP_BIT_DOTPROD && (hw & HWCAP_BIT_DOTPROD))
        f |= FLM_HAL_CPU_ARM_DOTPROD;
    return f;
}
#else
uint32_t flm_hal_cpu_features(void)
{
    return 0;
}
#endif
