/* Little-endian field access byte by byte: any alignment, any host byte
 * order, no undefined behaviour on hostile offsets' contents. */
#ifndef FLM_BYTES_H
#define FLM_BYTES_H

#include <stdint.h>

static inline uint32_t flm_rd16le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t flm_rd32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t flm_rd64le(const uint8_t *p)
{
    return (uint64_t)flm_rd32le(p) | (uint64_t)flm_rd32le(p + 4) << 32;
}

static inline void flm_wr16le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void flm_wr32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void flm_wr64le(uint8_t *p, uint64_t v)
{
    flm_wr32le(p, (uint32_t)v);
    flm_wr32le(p + 4, (uint32_t)(v >> 32));
}

#endif /* FLM_BYTES_H */
