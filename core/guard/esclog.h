/*
 * The escalation log: for each prompt the cloud answered, the prompt as it
 * left the device and the cloud's answer as it came back, with the route,
 * its reason, the router's score and the reply's usage, kept in the record
 * store for the host to take (`fieldlm log export`: JSON lines) and learn
 * from (tools/train/escalations.py fine-tunes the local model on them).
 *
 *   flm_esclog_init(&l, &settings, NULL, work, sizeof work);  // NULL: the HAL's store
 *   flm_esclog_entry_t e = { .prompt = p, .prompt_len = n, .answer = a, ... };
 *   flm_esclog_append(&l, &e, &seq);                           // after a cloud answer
 *   for (uint32_t after = 0; flm_esclog_next(&l, after, &e) == FLM_OK; after = e.seq)
 *       ... e.prompt, e.answer ...
 *   flm_esclog_clear(&l, 0);                                   // 0: all
 *
 * Privacy: the log keeps what left the device, never more. The caller
 * (flm_router_ask) logs only answers the cloud gave, so a prompt kept
 * local by the privacy guard (policy local-only: local:pii) is never
 * logged; under policy redact the logged prompt, system message and
 * answer are the ones with the placeholders ([EMAIL_1]), never the values
 * (the answer is logged before the placeholders are restored).
 *
 * ---- on the store ----------------------------------------------------------
 *
 * Append-only: one record per entry, never rewritten. Programs sharing
 * the store (its lock, core/guard/store.h) append under the lock, each
 * reading the records again when another one changed them, so no two take
 * one number.
 *
 *   e.SSSSSSSS   an entry (SSSSSSSS: its sequence number, 8 lowercase hex)
 *   eh.0, eh.1   the head (a twin, core/guard/store.h): a floor under the
 *                next sequence number, so numbers are not reused after the
 *                newest entries were deleted (clear, eviction)
 *
 * Every e.* record (little-endian):
 *
 *   off size
 *   0   4    magic "FLE1"
 *   4   4    length of the whole record, CRC included
 *   8   4    sequence number (the same as in the key)
 *   12  1    flags: bit 0 route cloud, 1 redacted, 2 usage, 3 scored, 4 system message
 *   13  1    reason text length r, 1..FLM_ESCLOG_REASON_MAX-1
 *   14  2    0
 *   16  8    the caller's UTC time (seconds; 0: unknown)
 *   24  4    score, Q16.16 in [0, 1]
 *   28  4    usage: prompt tokens
 *   32  4    usage: completion tokens
 *   36  4    prompt length a (>= 1)
 *   40  4    system message length b
 *   44  4    answer length c
 *   48  r    reason ("cloud:difficulty")
 *   ..  a+1  prompt and a NUL
 *   ..  b+1  system message and a NUL
 *   ..  c+1  answer and a NUL
 *   end 4    CRC-32 of every byte before it
 *
 * An entry exists once its record is written in full (the put returned).
 * Length, magic, key agreement, NULs and CRC are checked every time a
 * record is read, so one torn by a power cut (a prefix; the right length
 * with erased, old or junk bytes after the cut) is never exported;
 * flm_esclog_init deletes such records. A cut at any byte of any write
 * loses no acknowledged entry (but those an eviction or a clear was
 * deleting) and never yields a torn one. The key prefixes e. and eh.
 * belong to the log.
 *
 * ---- capacity ----------------------------------------------------------------
 *
 * At most settings.max_records entries and settings.max_bytes bytes of
 * records, and what the store has room for (flm_hal_store_stat). An entry
 * that can never fit (longer than the work buffer, the store's largest
 * record or max_bytes) is FLM_ERR_OVERFLOW and not kept. When a new entry
 * does not fit now, by settings.when_full:
 *   drop-oldest  the oldest entries are deleted until it fits (the log
 *                keeps the most recent escalations: the default)
 *   stop         FLM_ERR_STORE_FULL: the new entry is not kept, the log
 *                stays as it is until it is exported and cleared
 * Either way the answer itself is unaffected: logging never fails a prompt.
 */
#ifndef FLM_GUARD_ESCLOG_H
#define FLM_GUARD_ESCLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/base/ini.h"
#include "core/guard/store.h"

#define FLM_ESCLOG_REASON_MAX      32u /* reason text, NUL included */
#define FLM_ESCLOG_RECORD_OVERHEAD 55u /* header, three NULs, CRC */

/* The work buffer for entries whose prompt, system message and answer
 * together hold up to text_max bytes: one record, read or written whole. */
#define FLM_ESCLOG_WORK_BYTES(text_max) \
    ((size_t)(text_max) + FLM_ESCLOG_RECORD_OVERHEAD + 2u * FLM_ESCLOG_REASON_MAX)

/* ---- the [log] section -------------------------------------------------------- */

typedef enum { FLM_ESCLOG_FULL_DROP_OLDEST = 0, FLM_ESCLOG_FULL_STOP = 1 } flm_esclog_when_full_t;

typedef struct {
    bool     escalations; /* log the cloud's answers; default false */
    uint32_t max_records; /* entries held at once, 1..65536; default 256 */
    uint32_t max_bytes;   /* bytes of the log's records, 1024..2^30; default 1 MiB */
    uint32_t when_full;   /* flm_esclog_when_full_t: drop-oldest | stop; default drop-oldest */
} flm_esclog_settings_t;

void flm_esclog_settings_init(flm_esclog_settings_t *s);
#if FLM_CFG_DEVICE_FILE
extern const flm_ini_section_t flm_esclog_ini_section;
#endif

/* ---- the log -------------------------------------------------------------------- */

typedef struct {
    flm_esclog_settings_t settings;
    const flm_store_t    *store;
    uint8_t              *work;
    size_t                work_size;
    flm_twin_t            head;
    uint32_t              floor;    /* the head's: no sequence number below it is new */
    uint32_t              next_seq; /* 0: numbers used up */
    uint32_t              entries;
    uint64_t              bytes;    /* of all e.* records */
    uint32_t              evicted;  /* entries deleted to make room since init */
    uint32_t              refused;  /* entries not kept since init (full under stop, too long) */
    uint32_t              repaired; /* torn records deleted by recoveries */
    uint32_t              unreadable; /* records longer than the work buffer: kept, not exported */
    bool                  ready;
    bool                  dirty;    /* a write failed: recover before the next call */
    uint64_t              store_seen; /* flm_store_hold's: other programs' changes seen */
} flm_esclog_t;

/* One entry: what flm_esclog_append keeps, and what flm_esclog_next reads
 * back (then the texts point into the log's work buffer, NUL-terminated,
 * valid until the next call). */
typedef struct {
    uint32_t    seq;        /* read: its sequence number */
    uint64_t    utc;        /* seconds; 0: unknown */
    bool        cloud;      /* the route that answered (the log keeps cloud answers) */
    const char *reason;     /* "cloud:difficulty": [A-Za-z0-9:._-], 1..FLM_ESCLOG_REASON_MAX-1 */
    bool        scored;     /* the router read the prompt: score is its score */
    uint32_t    score;      /* Q16.16 in [0, 1] */
    bool        redacted;   /* the texts hold the privacy guard's placeholders */
    bool        has_usage;  /* the reply said how many tokens it used */
    uint32_t    prompt_tokens, completion_tokens;
    const char *prompt;     /* as it left the device; not empty */
    size_t      prompt_len;
    const char *system;     /* NULL: none */
    size_t      system_len;
    const char *answer;     /* as the cloud gave it */
    size_t      answer_len;
} flm_esclog_entry_t;

typedef struct {
    uint32_t entries;
    uint64_t bytes;
    uint32_t max_records;
    uint64_t max_bytes;
    uint32_t next_seq;
    uint32_t evicted, refused, repaired, unreadable;
} flm_esclog_status_t;

/* s (copied), store (NULL: the HAL's) and work (the caller's buffer,
 * FLM_ESCLOG_WORK_BYTES(text_max); it must outlive the log). Recovers from
 * whatever a power cut left (deletes torn records); writes nothing else. */
flm_err_t flm_esclog_init(flm_esclog_t *l, const flm_esclog_settings_t *s, const flm_store_t *store,
                          void *work, size_t work_size);
void      flm_esclog_deinit(flm_esclog_t *l);
flm_err_t flm_esclog_recover(flm_esclog_t *l);

/* Keep entry e (texts without NULs inside; e->seq is ignored); *seq (may
 * be NULL) receives its number. FLM_ERR_STATE when settings.escalations
 * is off, FLM_ERR_OVERFLOW when it can never fit, FLM_ERR_STORE_FULL when
 * full under policy stop (or the store holds no entry to evict). */
flm_err_t flm_esclog_append(flm_esclog_t *l, const flm_esclog_entry_t *e, uint32_t *seq);

/* The oldest entry with a number above `after` (0: the first);
 * FLM_ERR_NOT_FOUND when there is none. Torn or unreadable records are
 * skipped. */
flm_err_t flm_esclog_next(flm_esclog_t *l, uint32_t after, flm_esclog_entry_t *e);

/* Delete every entry up to number `through` (0: every entry), oldest
 * first, so a cut leaves the newer ones; *n (may be NULL) gets the count. */
flm_err_t flm_esclog_clear(flm_esclog_t *l, uint32_t through, uint32_t *n);

void flm_esclog_status(const flm_esclog_t *l, flm_esclog_status_t *st);

#endif /* FLM_GUARD_ESCLOG_H */
