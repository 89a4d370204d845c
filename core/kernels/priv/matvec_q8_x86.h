/*
 * Internal to core/kernels/x86/: the AVX-512 VNNI int8 matvec and matmat
 * for groups of 32 columns (matvec_q8_avx512vnni_g32.c), which
 * flm_matvec_q8_s16_avx512vnni and flm_matmat_q8_s16_avx512vnni call for
 * those once their arguments are checked. Need AVX-512 F/BW/VNNI.
 */
#ifndef FLM_KERNELS_MATVEC_Q8_X86_H
#define FLM_KERNELS_MATVEC_Q8_X86_H

#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
/* positions a pass of the matmat takes at once (its weights transposed
 * once for them) */
#define FLM_G32_MAXP 16u

/* w->gs == 32, arguments checked (flm_matvec_args_ok, flm_matmat_args_ok) */
void flm_matvec_q8_s16_avx512vnni_g32(const flm_qmat_t *w, const int16_t *x, int32_t x_shift,
                                      int32_t *out, int32_t out_shift);
void flm_matmat_q8_s16_avx512vnni_g32(const flm_qmat_t *w, uint32_t n, const int16_t *x,
                                      size_t x_stride, const int32_t *x_shift, int32_t *out,
                                      size_t out_stride, int32_t out_shift);
#endif

#endif /* FLM_KERNELS_MATVEC_Q8_X86_H */
