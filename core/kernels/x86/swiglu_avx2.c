/*
 * flm_swiglu_s32 with AVX2 (x86-64), integer only and bit-exact with the
 * _ref. Built with target("avx2"); called only where the CPU has it
 * (kernels_select.h, variants.c). Empty off x86-64.
 *
 * flm_silu_q16 lane by lane (64-bit lanes, fixed_avx2.h): its exp is
 * flm_exp_neg_q16_avx2; its sigmoid is the rounded quotient
 * (num + den / 2) / den with den = 2^30 + e in [2^30, 2^31], which AVX2
 * cannot divide, so it is computed exactly another way (div_avx2): a
 * reciprocal 2^61 / den from a table by linear interpolation, pushed below
 * the true value, one Newton step (from below it stays below, error now a
 * few units), the quotient from it (at most one low for these numerators),
 * and one exact correction step with the remainder n - q * den. The one
 * step suffices for both numerators (2^60, e 2^30) at every den in
 * [2^30, 2^31] (checked once by brute force), and the unit test runs every
 * argument whose exp is not 0 (all others have den = 2^30) against the
 * _ref. The products with x and h3 and their
 * rounding shifts are the _ref's, exact in 64 bits.
 */
#include "core/kernels/kernels.h"

#if FLM_KERNELS_X86
#include "core/kernels/priv/fixed.h"
#include "core/kernels/x86/fixed_avx2.h"

/* floor(2^61 / (2^30 + i 2^22)) = floor(2^39 / (256 + i)) in the low half,
 * its difference with the next one in the high half (the unit test
 * recomputes it); the AVX-512 SwiGLU's too */
const uint64_t flm_recip61_tab[257] = {
    0x007f808080000000, 0x007e83797f807f80, 0x007d895f7f01fc07, 0x007c922a7e8472a8,
    0x007b9dcc7e07e07e, 0x007aac397d8c42b2, 0x0079bd697d119679, 0x0078d14f7c97d910,
    0x0077e7e07c1f07c1, 0x007701157ba71fe1, 0x00761ce27b301ecc, 0x00753b3b7aba01ea,
    0x00745c197a44c6af, 0x00737f7279d06a96, 0x0072a53d795ceb24, 0x0071cd6f78ea45e7,
    0x0070f80078787878, 0x007024e978078078, 0x006f541d77975b8f, 0x006e859877280772,
    0x006db94e76b981da, 0x006cef3a764bc88c, 0x006c275175ded952, 0x006b618c7572b201,
    0x006a9de675075075, 0x0069dc52749cb28f, 0x00691ccc7432d63d, 0x00685f4d73c9b971,
    0x0067a3cc73615a24, 0x0066ea4372f9b658, 0x006632aa7292cc15, 0x00657cfa722c996b,
    0x0064c92d71c71c71, 0x0064173d71625344, 0x0063672370fe3c07, 0x0062b8d6709ad4e4,
    0x00620c5470381c0e, 0x006161946fd60fba, 0x0060b8906f74ae26, 0x006011436f13f596,
    0x005f6ba76eb3e453, 0x005ec7b56e5478ac, 0x005e25696df5b0f7, 0x005d84bb6d978b8e,
    0x005ce5a86d3a06d3, 0x005c482a6cdd212b, 0x005bac3a6c80d901, 0x005b11d56c252cc7,
    0x005a78f46bca1af2, 0x0059e1936b6fa1fe, 0x00594bad6b15c06b, 0x0058b73d6abc74be,
    0x0058243d6a63bd81, 0x005792a96a0b9944, 0x0057027e69b4069b, 0x005673b4695d041d,
    0x0055e64a69069069, 0x00555a3a68b0aa1f, 0x0054cf7d685b4fe5, 0x0054461468068068,
    0x0053bdf767b23a54, 0x00533722675e7c5d, 0x0052b192670b453b, 0x00522d4366b893a9,
    0x0051aa3066666666, 0x005128566614bc36, 0x0050a7b165c393e0, 0x0050283c6572ec2f,
    0x004fa9f56522c3f3, 0x004f2cd764d319fe, 0x004eb0df6483ed27, 0x004e360a64353c48,
    0x004dbc5363e7063e, 0x004d43b7639949eb, 0x004ccc33634c0634, 0x004c55c462ff3a01,
    0x004be06562b2e43d, 0x004b6c16626703d8, 0x004af8cf621b97c2, 0x004a869261d09ef3,
    0x004a155861861861, 0x0049a51f613c0309, 0x004935e460f25dea, 0x0048c7a660a92806,
    0x00485a5f60606060, 0x0047ee0d60180601, 0x004782af5fd017f4, 0x004718405f889545,
    0x0046aebd5f417d05, 0x004646255eface48, 0x0045de755eb48823, 0x004577a95e6ea9ae,
    0x004511bf5e293205, 0x0044acb65de42046, 0x004448885d9f7390, 0x0043e5375d5b2b08,
    0x004382bc5d1745d1, 0x004321185cd3c315, 0x0042c0475c90a1fd, 0x004260465c4de1b6,
    0x004201155c0b8170, 0x0041a2ae5bc9805b, 0x004145135b87ddad, 0x0040e83f5b46989a,
    0x00408c315b05b05b, 0x004030e55ac5242a, 0x003fd65b5a84f345, 0x003f7c905a451cea,
    0x003f23825a05a05a, 0x003ecb2f59c67cd8, 0x003e73955987b1a9, 0x003e1cb059493e14,
    0x003dc682590b2164, 0x003d710658cd5ae2, 0x003d1c3c588fe9dc, 0x003cc81f5852cda0,
    0x003c74b158160581, 0x003c21ed57d990d0, 0x003bcfd4579d6ee3, 0x003b7e6157619f0f,
    0x003b2d95572620ae, 0x003add6d56eaf319, 0x003a8de856b015ac, 0x003a3f02567587c4,
    0x0039f0bd563b48c2, 0x0039a31456015805, 0x0039560855c7b4f1, 0x00390994558e5ee9,
    0x0038bdbb55555555, 0x00387277551c979a, 0x003827c954e42523, 0x0037ddaf54abfd5a,
    0x0037942754741fab, 0x00374b30543c8b84, 0x003702c954054054, 0x0036baef53ce3d8b,
    0x003673a15397829c, 0x00362cdf53610efb, 0x0035e6a6532ae21c, 0x0035a0f552f4fb76,
    0x00355bcc52bf5a81, 0x003517275289feb5, 0x0034d3065254e78e, 0x00348f6a52201488,
    0x00344c4d51eb851e, 0x003409b251b738d1, 0x0033c79451832f1f, 0x003385f6514f678b,
    0x003344d3511be195, 0x0033042b50e89cc2, 0x0032c3fe50b59897, 0x003284495082d499,
    0x0032450c50505050, 0x00320646501e0b44, 0x0031c7f44fec04fe, 0x00318a174fba3d0a,
    0x00314cad4f88b2f3, 0x00310fb54f576646, 0x0030d32d4f265691, 0x003097164ef58364,
    0x00305b6d4ec4ec4e, 0x003020314e9490e1, 0x002fe5634e6470b0, 0x002faaff4e348b4d,
    0x002f71074e04e04e, 0x002f37784dd56f47, 0x002efe514da637cf, 0x002ec5924d77397e,
    0x002e8d394d4873ec, 0x002e55464d19e6b3, 0x002e1db84ceb916d, 0x002de68d4cbd73b5,
    0x002dafc54c8f8d28, 0x002d795f4c61dd63, 0x002d43594c346404, 0x002d0db54c0720ab,
    0x002cd86f4bda12f6, 0x002ca3864bad3a87, 0x002c6efd4b809701, 0x002c3ace4b542804,
    0x002c06fd4b27ed36, 0x002bd3854afbe639, 0x002ba0694ad012b4, 0x002b6da44aa4724b,
    0x002b3b394a7904a7, 0x002b09244a4dc96e, 0x002ad7684a22c04a, 0x002aa60049f7e8e2,
    0x002a74ef49cd42e2, 0x002a443149a2cdf3, 0x002a13c8497889c2, 0x0029e3b1494e75fa,
    0x0029b3ed49249249, 0x0029847a48fade5c, 0x0029555848d159e2, 0x0029268648a8048a,
    0x0028f803487ede04, 0x0028c9d04855e601, 0x00289be9482d1c31, 0x00286e5148048048,
    0x0028410647dc11f7, 0x0028140547b3d0f1, 0x0027e750478bbcec, 0x0027bae64763d59c,
    0x00278ec6473c1ab6, 0x002762ef47148bf0, 0x0027376246ed2901, 0x00270c1b46c5f19f,
    0x0026e11d469ee584, 0x0026b66546780467, 0x00268bf446514e02, 0x002661c8462ac20e,
    0x002637e246046046, 0x00260e3f45de2864, 0x0025e4e245b81a25, 0x0025bbc645923543,
    0x002592ee456c797d, 0x00256a574546e68f, 0x0025420445217c38, 0x002519f044fc3a34,
    0x0024f21d44d72044, 0x0024ca8a44b22e27, 0x0024a337448d639d, 0x00247c224468c066,
    0x0024554c44444444, 0x00242eb5441feef8, 0x0024085943fbc043, 0x0023e23b43d7b7ea,
    0x0023bc5943b3d5af, 0x002396b443901956, 0x0023714a436c82a2, 0x00234c1a43491158,
    0x002327244325c53e, 0x0023026a43029e1a, 0x0022dde842df9bb0, 0x0022b99f42bcbdc8,
    0x0022958f429a0429, 0x002271b642776e9a, 0x00224e174254fce4, 0x00222aac4232aecd,
    0x0022077b42108421, 0x0021e47d41ee7ca6, 0x0021c1b841cc9829, 0x00219f2641aad671,
    0x00217cca4189374b, 0x00215aa24167ba81, 0x002138af41465fdf, 0x002116ef41252730,
    0x0020f56341041041, 0x0020d40a40e31ade, 0x0020b2e340c246d4, 0x002091ed40a193f1,
    0x0020712b40810204, 0x00205099406090d9, 0x0020303840404040, 0x0020100840201008,
    0x0000000040000000
};

/* floor(nn / d) of 64-bit lanes, d in [2^30, 2^31], nn < 2^61. */
FLM_AVX2_INLINE __m256i div_avx2(__m256i nn, __m256i d)
{
    const __m256i ones = _mm256_set1_epi64x(-1);
    __m256i t = _mm256_sub_epi64(d, _mm256_set1_epi64x(FLM_Q30_ONE));
    __m256i ent = _mm256_i64gather_epi64((const long long *)(const void *)flm_recip61_tab,
                                         _mm256_srli_epi64(t, 22), 8);
    __m256i frac = _mm256_and_si256(t, _mm256_set1_epi64x((1 << 22) - 1));
    /* the chord overestimates 1/d by at most ~2^13 (1/d is convex): less
     * 2^13 + 8 makes it an underestimate by 4..2^13 + 10 */
    __m256i v = _mm256_sub_epi64(flm_lo32_avx2(ent),
                                 _mm256_srli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(ent, 32), frac), 22));
    v = _mm256_sub_epi64(v, _mm256_set1_epi64x((1 << 13) + 8));
    /* Newton: v += v (2^61 - d v) / 2^61, the error below 2^45 so its top
     * 32 bits by v fit */
    __m256i err = _mm256_sub_epi64(_mm256_set1_epi64x((int64_t)1 << 61), _mm256_mul_epu32(d, v));
    v = _mm256_add_epi64(v, _mm256_srli_epi64(_mm256_mul_epu32(v, _mm256_srli_epi64(err, 13)), 48));
    __m256i q = _mm256_srli_epi64(_mm256_mul_epu32(_mm256_srli_epi64(nn, 29), v), 32);
    __m256i r = _mm256_sub_epi64(nn, _mm256_mul_epu32(q, d));
    {
        __m256i over = _mm256_xor_si256(_mm256_cmpgt_epi64(d, r), ones); /* r >= d */
        q = _mm256_sub_epi64(q, over);
        r = _mm256_sub_epi64(r, _mm256_and_si256(over, d));
    }
    return q;
}

/* flm_silu_q16 of the x in 4 lanes (low halves, as int32), with |x| and
 * the mask of x >= 0 */
FLM_AVX2_INLINE __m256i silu_avx2(__m256i x, __m256i ax, __m256i nonneg)
{
    __m256i e = flm_exp_neg_q16_avx2(ax);
    __m256i den = _mm256_add_epi64(e, _mm256_set1_epi64x(FLM_Q30_ONE));
    __m256i num = _mm256_blendv_epi8(_mm256_slli_epi64(e, 30), _mm256_set1_epi64x((int64_t)1 << 60), nonneg);
    __m256i sig = div_avx2(_mm256_add_epi64(num, _mm256_srli_epi64(den, 1)), den);
    /* |silu| <= |x|: no saturation */
    return flm_round_shr_s64_avx2(_mm256_mul_epi32(x, sig), flm_count_avx2(30), flm_count_avx2(29));
}

FLM_AVX2 flm_err_t flm_swiglu_s32_avx2(int32_t *h1, const int32_t *h3, uint32_t n)
{
    if (!h1 || !h3)
        return FLM_ERR_ARG;
    const __m128i c16 = flm_count_avx2(FLM_ACT_SHIFT), c15 = flm_count_avx2(FLM_ACT_SHIFT - 1);
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i x = flm_load8_avx2(h1 + i), g = flm_load8_avx2(h3 + i);
        __m256i ax = _mm256_abs_epi32(x); /* INT32_MIN: 2^31 as a uint32 */
        __m256i nn = _mm256_cmpgt_epi32(x, _mm256_set1_epi32(-1));
        __m256i se = silu_avx2(flm_even_avx2(x), flm_even_avx2(ax), _mm256_shuffle_epi32(nn, 0xA0));
        __m256i so = silu_avx2(flm_odd_avx2(x), flm_odd_avx2(ax), _mm256_shuffle_epi32(nn, 0xF5));
        __m256i re = _mm256_mul_epi32(se, flm_even_avx2(g)), ro = _mm256_mul_epi32(so, flm_odd_avx2(g));
        re = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(re, c16, c15));
        ro = flm_sat32_s64_avx2(flm_round_shr_s64_avx2(ro, c16, c15));
        flm_store8_avx2(h1 + i, flm_join_avx2(re, ro));
    }
    for (; i < n; i++)
        h1[i] = flm_sat32(flm_round_shr64((int64_t)flm_silu_q16(h1[i]) * h3[i], FLM_ACT_SHIFT));
    return FLM_OK;
}
#endif
