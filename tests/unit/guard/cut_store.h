/*
 * A record store for the guards' power-cut tests (core/guard/store.h):
 * the HAL store's semantics (bounded, key order, stat), with a write that
 * can be cut. Every put and every del is one numbered "write"; cutting
 * write w at byte k makes that put leave, by mode,
 *
 *   CUT_TRUNCATE  the record holding only the first k new bytes
 *   CUT_ERASED    the new length, bytes k.. erased (0xFF)
 *   CUT_OLD       the new length, bytes k.. still the old record's (for a new
 *                 key: what a deleted record left in the slot)
 *   CUT_JUNK      the new length, bytes k.. junk
 *   CUT_BEFORE    nothing at all (the cut came before the write began)
 *
 * (k == n: the whole record is written, but power went before the call
 * returned), and a cut del either not done (CUT_BEFORE) or done. Then the
 * power is off: every call fails with FLM_ERR_IO until cut_store_power_on.
 * That is weaker than hal_storage.h's atomic put, on purpose: the guards
 * must not need it.
 */
#ifndef FLM_TEST_CUT_STORE_H
#define FLM_TEST_CUT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/guard/store.h"

#define CUT_STORE_RECORDS    48
#define CUT_STORE_RECORD_MAX 2048
#define CUT_STORE_TRACE      256

typedef enum { CUT_TRUNCATE, CUT_ERASED, CUT_OLD, CUT_JUNK, CUT_BEFORE, CUT_MODES } cut_mode_t;

typedef struct {
    bool    used;
    char    key[FLM_HAL_KEY_MAX + 1];
    size_t  n;
    uint8_t data[CUT_STORE_RECORD_MAX];
} cut_record_t;

typedef struct {
    bool   put;   /* else a del */
    size_t n;     /* a put's bytes */
    char   key[FLM_HAL_KEY_MAX + 1];
} cut_write_t;

typedef struct {
    cut_record_t rec[CUT_STORE_RECORDS];
    uint32_t     max_records;  /* limits stat reports and put enforces */
    uint64_t     bytes_max;
    size_t       record_max;
    /* the cut */
    long         writes;       /* writes done (or begun) so far */
    long         cut_write;    /* the write to cut; -1: none */
    size_t       cut_byte;
    cut_mode_t   cut_mode;
    bool         dead;         /* power off */
    bool         fired;
    uint32_t     junk;
    /* what the writes were (the run without a cut lists them) */
    cut_write_t  trace[CUT_STORE_TRACE];
    long         traced;
    flm_store_t  ops;          /* the calls, ctx = this */
} cut_store_t;

void cut_store_init(cut_store_t *s);
/* Cut write number w (0-based, counted from now) at byte k in mode m. */
void cut_store_arm(cut_store_t *s, long w, size_t k, cut_mode_t m);
void cut_store_power_on(cut_store_t *s);
/* Bytes of all records whose key starts with prefix, and their count. */
uint64_t cut_store_bytes(const cut_store_t *s, const char *prefix, uint32_t *count);

#endif /* FLM_TEST_CUT_STORE_H */
