/* Rotary position embedding from fixed-point sin/cos. */
#include "core/kernels/kernels.h"
#include "core/kernels/priv/fixed.h"

flm_err_t flm_rope_s32_ref(int32_t *v, uint32_t n, uint32_t head_dim, const uint32_t *freq,
                           uint32_t pos)
{
    if (!v || !freq || head_dim == 0 || head_dim % 2 || n % head_dim)
        return FLM_ERR_ARG;
    for (uint32_t i = 0; i < head_dim; i += 2) {
        int32_t s, c;
        flm_sincos_q30(pos * freq[i / 2], &s, &c); /* mod 2^32 = whole turns */
        for (uint32_t h = i; h < n; h += head_dim) {
            int64_t a = v[h], b = v[h + 1];
            v[h] = flm_sat32(flm_round_shr64(a * c - b * s, 30));
            v[h + 1] = flm_sat32(flm_round_shr64(a * s + b * c, 30));
        }
    }
    return FLM_OK;
}
