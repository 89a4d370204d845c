/*
 * A record store (core/hal/hal_storage.h semantics) on NOR flash: erase
 * before write, in sectors; a program only clears bits; power may fail in
 * the middle of any program or erase. A board hands it its part's program
 * and erase calls and the memory-mapped region (flash_sim.h simulates one
 * over RAM); hal_store_flash.c-style glue makes it the HAL's store.
 *
 * ---- layout ---------------------------------------------------------------
 *
 * The region is two banks of sectors/2 sectors. One bank is active: a log
 * of records appended one after the other; the other is spare. A bank
 * starts with a 16-byte header:
 *
 *   0   4  magic "FLB1"
 *   4   4  bank sequence number (one more than the bank it was compacted from)
 *   8   4  CRC-32 of bytes 0..7
 *   12  4  commit word: FFFFFFFF while it is being filled, 00000000 once whole
 *
 * and each record (4-byte aligned) is
 *
 *   0   1  A5
 *   1   1  'P' (a put) or 'D' (a delete: a tombstone)
 *   2   1  key length k, 1..FLM_HAL_KEY_MAX
 *   3   1  00
 *   4   4  data length n (0 for a tombstone)
 *   8   k  key, then n bytes of data, then erased padding to a multiple of 4
 *   ..  4  CRC-32 of the header, key and data
 *
 * A record counts once its CRC is in place, so an append cut at any byte
 * is no record at all (the key keeps its old value), and the scan at mount
 * stops at the first bytes that are not a whole record. Nothing is ever
 * appended after such bytes: a mount that finds any (the "dirty" tail)
 * compacts before the next write.
 *
 * ---- garbage collection ---------------------------------------------------
 *
 * When the active bank has no room (or a dirty tail), the live records
 * (the last put of each key not deleted since) are copied into the spare
 * bank: erase it (the sectors that are not blank), write its header with
 * the next sequence number, copy, append the record being put (a replaced
 * or deleted key is left out), then program the commit word. That one word
 * is the switch: a cut before it leaves the old bank active and whole (the
 * new one, uncommitted, is erased by the next collection); after it the
 * new bank wins by its sequence number. The old bank is left as it is
 * until the next collection erases it: while it is being erased it is
 * committed but older, or no longer valid, and either way loses. The
 * commit word and a partly erased header can only gain 1 bits, so no cut
 * can make an uncommitted bank look committed. Every put and del is thus
 * atomic across power loss, as the HAL contract says.
 *
 * Capacity: the live records must fit one bank. bytes_max is reported so
 * that a put the HAL contract says fits always does (a record's overhead,
 * up to 63 bytes with the longest key, is reserved).
 */
#ifndef FLM_FLASH_STORE_H
#define FLM_FLASH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/hal/hal_storage.h"

typedef struct {
    /* Program n bytes at offset off of the region: bits only go 1 -> 0.
     * FLM_ERR_IO if the part fails (or the power does). */
    flm_err_t (*program)(void *ctx, uint32_t off, const void *data, size_t n);
    /* Erase one sector: every byte 0xFF. */
    flm_err_t (*erase)(void *ctx, uint32_t sector);
    void          *ctx;
    const uint8_t *base;        /* the region, readable in place */
    uint32_t       sector_size; /* a multiple of 32 */
    uint32_t       sectors;     /* even, at least 2 */
} flm_flash_t;

/* Sizes FLM_FLASH_STORE_RECORDS (live records indexed): core/base/config.h. */
typedef struct {
    flm_flash_t flash;
    uint32_t    bank_bytes;
    uint32_t    active;     /* bank 0 or 1 */
    uint32_t    bank_seq;
    uint32_t    tail;       /* offset in the active bank of the next record */
    bool        dirty;      /* bytes after the last record: collect before appending */
    bool        mounted;
    uint32_t    n;          /* live records */
    uint32_t    live_bytes; /* their bytes in flash, headers and CRCs included */
    uint64_t    payload;    /* their data bytes */
    uint32_t    off[FLM_FLASH_STORE_RECORDS]; /* offsets of the live records in the active bank */
    uint32_t    collections; /* garbage collections since mount */
    uint32_t    formats;     /* 1 when mount found no committed bank and formatted */
} flm_flash_store_t;

/* Find the newest committed bank and index its records; a region with none
 * (new, or never formatted) is formatted. FLM_ERR_ARG for a geometry that
 * is not two banks of sectors; FLM_ERR_NOMEM if the flash holds more live
 * records than FLM_FLASH_STORE_RECORDS (built with fewer than it was
 * written with). */
flm_err_t flm_flash_store_mount(flm_flash_store_t *s, const flm_flash_t *flash);

flm_err_t flm_flash_store_put(flm_flash_store_t *s, const char *key, const void *data, size_t n);
flm_err_t flm_flash_store_get(const flm_flash_store_t *s, const char *key, void *buf, size_t cap,
                              size_t *len);
flm_err_t flm_flash_store_del(flm_flash_store_t *s, const char *key);
flm_err_t flm_flash_store_stat(const flm_flash_store_t *s, flm_hal_store_stat_t *st);
flm_err_t flm_flash_store_next(const flm_flash_store_t *s, const char *prefix, const char *after,
                               char *key_out);

#endif /* FLM_FLASH_STORE_H */
