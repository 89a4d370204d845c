#include "port/common/flash_sim.h"

#include <string.h>

void flm_flash_sim_init(flm_flash_sim_t *f, uint8_t *mem, uint32_t sector_size, uint32_t sectors)
{
    memset(f, 0, sizeof *f);
    f->mem = mem;
    f->sector_size = sector_size;
    f->sectors = sectors;
    f->budget = -1;
}

void flm_flash_sim_cut(flm_flash_sim_t *f, uint64_t units, flm_flash_cut_mode_t mode)
{
    f->budget = units > INT64_MAX ? INT64_MAX : (int64_t)units;
    f->mode = (uint8_t)mode;
}

void flm_flash_sim_power_on(flm_flash_sim_t *f)
{
    f->dead = false;
    f->budget = -1;
}

/* One more unit of work: false when the power goes now. */
static bool spend(flm_flash_sim_t *f)
{
    if (f->budget == 0) {
        f->dead = true;
        f->budget = -1;
        return false;
    }
    if (f->budget > 0)
        f->budget--;
    f->units++;
    return true;
}

static flm_err_t sim_program(void *ctx, uint32_t off, const void *data, size_t n)
{
    flm_flash_sim_t *f = ctx;
    if (f->dead)
        return FLM_ERR_IO;
    uint64_t size = (uint64_t)f->sector_size * f->sectors;
    if (off > size || n > size - off)
        return FLM_ERR_ARG;
    const uint8_t *d = data;
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = &f->mem[off + i];
        if ((uint8_t)(~*b & d[i]))
            f->violations++; /* a 1 asked of a 0 bit: it stays 0 */
        if (!spend(f)) {
            if (f->mode == FLM_FLASH_CUT_HALF) {
                /* half the bits this program would clear, the low ones */
                uint8_t clear = (uint8_t)(*b & ~d[i]);
                uint8_t half = 0;
                for (unsigned bit = 0, k = 0; bit < 8; bit++)
                    if (clear & (1u << bit) && (k++ & 1u) == 0)
                        half |= (uint8_t)(1u << bit);
                *b &= (uint8_t)~half;
            }
            return FLM_ERR_IO;
        }
        *b &= d[i];
    }
    return FLM_OK;
}

static flm_err_t sim_erase(void *ctx, uint32_t sector)
{
    flm_flash_sim_t *f = ctx;
    if (f->dead)
        return FLM_ERR_IO;
    if (sector >= f->sectors)
        return FLM_ERR_ARG;
    uint8_t *s = f->mem + (size_t)sector * f->sector_size;
    uint32_t step = f->sector_size / FLM_FLASH_SIM_ERASE_STEPS;
    /* From the top of the sector down: a cut leaves its header (the bottom)
     * as it was and the records above it erased, the hardest case for a
     * store that trusts headers. */
    for (uint32_t i = 0; i < FLM_FLASH_SIM_ERASE_STEPS; i++) {
        uint8_t *chunk = s + (size_t)(FLM_FLASH_SIM_ERASE_STEPS - 1u - i) * step;
        if (!spend(f)) {
            if (f->mode == FLM_FLASH_CUT_HALF)
                memset(chunk + step / 2, 0xFF, step - step / 2);
            return FLM_ERR_IO;
        }
        memset(chunk, 0xFF, step);
    }
    f->erases++;
    return FLM_OK;
}

flm_flash_t flm_flash_sim_part(flm_flash_sim_t *f)
{
    flm_flash_t p = { sim_program, sim_erase, f, f->mem, f->sector_size, f->sectors };
    return p;
}
