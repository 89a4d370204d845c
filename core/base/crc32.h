/*
 * CRC-32 (IEEE 802.3 / zlib / PNG: reflected polynomial 0xEDB88320, initial
 * value and final XOR 0xFFFFFFFF). Chainable like zlib's crc32():
 *
 *   uint32_t crc = flm_crc32_update(0, a, na);
 *   crc = flm_crc32_update(crc, b, nb);      // == CRC of a followed by b
 *
 * flm_crc32_update(0, "123456789", 9) == 0xCBF43926.
 */
#ifndef FLM_CRC32_H
#define FLM_CRC32_H

#include <stddef.h>
#include <stdint.h>

uint32_t flm_crc32_update(uint32_t crc, const void *data, size_t n);

#endif /* FLM_CRC32_H */
