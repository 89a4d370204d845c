/*
 * Store-and-forward queue: prompts that should have gone to the cloud while
 * it could not be reached, kept in the record store until the link returns,
 * then delivered (at least once, each with an idempotency key the server can
 * recognise a retry by), and the cloud's answers kept for the application
 * to collect.
 *
 *   flm_queue_init(&q, &settings, NULL, work, sizeof work, seed);  // NULL: the HAL's store
 *   flm_queue_enqueue(&q, "prompt", NULL, now, &seq);              // offline: keep it
 *   ...link up...
 *   for (uint32_t after = 0; flm_queue_next_pending(&q, after, &it) == FLM_OK; after = it.seq) {
 *       ask the cloud for it.prompt with header "Idempotency-Key: <it.idem_key>"
 *       flm_queue_answer(&q, it.seq, text, len, now);
 *   }
 *   flm_queue_collect(&q, seq, buf, cap, &len, now);  // the application takes the answer
 *
 * ---- on the store -------------------------------------------------------
 *
 * An append-only log: one record per state an item reaches, never
 * rewritten, so no write can damage a record already acknowledged.
 *
 *   q.SSSSSSSS     state queued:   the prompt (SSSSSSSS: the item's sequence
 *                                  number, 8 lowercase hex digits)
 *   q.SSSSSSSS.a   state answered: the cloud's answer
 *   q.SSSSSSSS.d   state dropped:  dropped, or collected
 *   qh.0, qh.1     the head (a twin, core/guard/store.h): the key epoch and
 *                  a floor under the next sequence number
 *
 * Every q.* record (little-endian):
 *
 *   off size
 *   0   4    magic "FLQ1"
 *   4   4    length of the whole record, CRC included
 *   8   4    sequence number (the same as in the key)
 *   12  1    state: 1 queued, 2 answered, 3 dropped (matches the key's suffix)
 *   13  1    flags: bit 0, the prompt has a system message
 *   14  2    idempotency key length k (queued; 0 otherwise)
 *   16  8    the caller's UTC time of the event (seconds)
 *   24  4    text length a: the prompt (queued) or the answer (answered)
 *   28  4    text length b: the system message (queued; 0 otherwise)
 *   32  k    idempotency key (queued)
 *   ..  a+1  text a and a NUL
 *   ..  b+1  text b and a NUL (queued only)
 *   end 4    CRC-32 of every byte before it
 *
 * A state is reached when its record is written in full (the put returned);
 * the record's length, magic, key-state agreement, NULs and CRC are checked
 * every time it is read, so a record torn by a power cut (a prefix; the
 * right length with erased, old or junk bytes after the cut) is never taken
 * for one. flm_queue_init (recover) deletes torn records and orphans (an
 * answer or drop whose prompt is gone: a purge that was cut), so after a
 * cut at any byte of any write: every acknowledged item is there exactly
 * once (items are never copied, so never twice), in the state of its last
 * acknowledged write or of the write that was cut, and nothing torn is
 * delivered. A purge (compaction, eviction) deletes the prompt first, so an
 * item is gone as a whole from that one delete on, and raises the head's
 * floor first when it removes the newest item, so a sequence number (and
 * the idempotency key made from it) is never used twice. (A call the cut
 * interrupted may have taken effect: an enqueue that returned an error can
 * still be delivered if its record was whole, as at-least-once allows.)
 * The key prefixes q. and qh. belong to the queue. Programs sharing the
 * store (its lock, core/guard/store.h) may each run a queue on it: every
 * call that writes holds the lock and, when another program changed the
 * store since, reads the records again first, so no two of them take one
 * number or overwrite each other's items.
 *
 * ---- capacity -----------------------------------------------------------
 *
 * At most settings.max_records items (queued or answered) and
 * settings.max_bytes bytes of records (dropped ones included until they are
 * compacted), and what the store has room for (flm_hal_store_stat: one
 * record is left free for an answer or a drop). When an enqueue or an
 * answer does not fit, dropped items are compacted away first; then, by
 * settings.when_full:
 *   refuse       FLM_ERR_STORE_FULL (nothing is lost; the caller answers
 *                locally as it would without a queue)
 *   drop-oldest  the oldest items (lowest sequence numbers, queued or
 *                answered, never the item being answered) are purged until
 *                it fits.
 */
#ifndef FLM_GUARD_QUEUE_H
#define FLM_GUARD_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/config.h"
#include "core/base/error.h"
#include "core/base/ini.h"
#include "core/guard/store.h"

#define FLM_QUEUE_DEVICE_ID_MAX 33u  /* [queue] device_id, NUL included */
/* "<device_id>-<epoch 8 hex>-<seq 8 hex>", NUL included */
#define FLM_QUEUE_IDEM_MAX (FLM_QUEUE_DEVICE_ID_MAX + 18u)
#define FLM_QUEUE_RECORD_OVERHEAD 38u /* header, CRC and two NULs */

/* The work buffer a queue needs for prompts (with their system message) and
 * answers of up to text_max bytes: one record, read or written whole. */
#define FLM_QUEUE_WORK_BYTES(text_max) \
    ((size_t)(text_max) + FLM_QUEUE_RECORD_OVERHEAD + FLM_QUEUE_IDEM_MAX)

/* ---- the [queue] section ------------------------------------------------- */

typedef enum { FLM_QUEUE_FULL_REFUSE = 0, FLM_QUEUE_FULL_DROP_OLDEST = 1 } flm_queue_when_full_t;

typedef struct {
    bool     enabled;      /* queue cloud prompts while offline; default false */
    uint32_t max_records;  /* items held at once; default 16 */
    uint32_t max_bytes;    /* bytes of the queue's records in the store; default 65536 */
    uint32_t when_full;    /* flm_queue_when_full_t: refuse | drop-oldest; default refuse */
    char     device_id[FLM_QUEUE_DEVICE_ID_MAX]; /* idempotency key prefix, [A-Za-z0-9._-]; "fieldlm" */
} flm_queue_settings_t;

void flm_queue_settings_init(flm_queue_settings_t *s);
#if FLM_CFG_DEVICE_FILE
extern const flm_ini_section_t flm_queue_ini_section;
#endif

/* ---- the queue ------------------------------------------------------------ */

typedef enum { FLM_QUEUE_QUEUED = 1, FLM_QUEUE_ANSWERED = 2, FLM_QUEUE_DROPPED = 3 } flm_queue_state_t;

typedef struct {
    flm_queue_settings_t settings;
    const flm_store_t   *store;
    uint8_t             *work;
    size_t               work_size;
    flm_twin_t           head;
    uint32_t             epoch;    /* in every idempotency key this queue makes */
    uint32_t             floor;    /* the head's: no sequence number below it is new */
    uint32_t             next_seq;
    uint32_t             items;    /* queued + answered */
    uint32_t             queued, answered, dropped;
    uint64_t             bytes;    /* of all q.* records */
    uint32_t             purged;   /* items purged since init (eviction, compaction) */
    uint32_t             repaired; /* torn records and orphans deleted by recoveries */
    uint32_t             unreadable; /* records longer than the work buffer: kept, not delivered */
    bool                 ready;
    bool                 dirty;    /* a write failed: recover before the next call */
    uint64_t             store_seen; /* flm_store_hold's: other programs' changes seen */
} flm_queue_t;

/* One item as read from the store. The texts point into the queue's work
 * buffer, NUL-terminated, valid until the next call on the queue. */
typedef struct {
    uint32_t          seq;
    flm_queue_state_t state;
    char              idem_key[FLM_QUEUE_IDEM_MAX];
    uint64_t          enqueued_utc;
    const char       *prompt;
    size_t            prompt_len;
    const char       *system;     /* NULL when the prompt had none */
    size_t            system_len;
    uint32_t          answer_len; /* answered: the stored answer's bytes */
} flm_queue_item_t;

typedef struct {
    uint32_t items, queued, answered, dropped;
    uint64_t bytes;
    uint32_t max_records;
    uint64_t max_bytes;
    uint32_t next_seq;
    uint32_t repaired;   /* torn records and orphans deleted since init */
    uint32_t unreadable; /* records longer than the work buffer (written by a build with a
                            bigger one): kept and counted, never delivered; drop them by seq */
} flm_queue_status_t;

/* s (copied), store (NULL: the HAL's, flm_store_hal) and work (the caller's
 * buffer, FLM_QUEUE_WORK_BYTES(text_max); it must outlive the queue). seed
 * makes the key epoch of a queue created now (an empty store): give it
 * entropy or the time, so the keys of a device whose store was wiped do not
 * repeat. Recovers from whatever a power cut left (flm_queue_recover). */
flm_err_t flm_queue_init(flm_queue_t *q, const flm_queue_settings_t *s, const flm_store_t *store,
                         void *work, size_t work_size, uint32_t seed);
void      flm_queue_deinit(flm_queue_t *q);

/* Check every record, delete torn ones and orphans, count the items; done
 * by init, and again by the next call after a write failed. */
flm_err_t flm_queue_recover(flm_queue_t *q);

/* Keep a prompt (NUL-terminated, not empty; system may be NULL) for later
 * delivery; *seq receives its sequence number once it is stored.
 * FLM_ERR_OVERFLOW when it cannot fit the work buffer, FLM_ERR_STORE_FULL
 * when full (see capacity above), FLM_ERR_STATE when not enabled. */
flm_err_t flm_queue_enqueue(flm_queue_t *q, const char *prompt, const char *system,
                            uint64_t now_utc, uint32_t *seq);

/* The oldest queued item with a sequence number above `after` (0 for the
 * first), for delivery; FLM_ERR_NOT_FOUND when there is none. */
flm_err_t flm_queue_next_pending(flm_queue_t *q, uint32_t after, flm_queue_item_t *it);

/* Every item above `after`, whatever its state, in order (for a listing). */
flm_err_t flm_queue_next(flm_queue_t *q, uint32_t after, flm_queue_item_t *it);
flm_err_t flm_queue_get(flm_queue_t *q, uint32_t seq, flm_queue_item_t *it);

/* The cloud answered item seq: keep the answer (n bytes, no NUL inside).
 * FLM_ERR_NOT_FOUND if there is no such item, FLM_ERR_STATE if it is not
 * queued (answered already by an earlier delivery, or dropped). */
flm_err_t flm_queue_answer(flm_queue_t *q, uint32_t seq, const char *text, size_t n,
                           uint64_t now_utc);

/* The stored answer of item seq: *text points into the work buffer
 * (NUL-terminated, valid until the next call). FLM_ERR_STATE if it has none. */
flm_err_t flm_queue_answer_text(flm_queue_t *q, uint32_t seq, const char **text, size_t *len);

/* Copy the answer into buf (NUL-terminated; FLM_ERR_OVERFLOW if cap is too
 * small, and nothing changes), then drop the item: the answer is taken. */
flm_err_t flm_queue_collect(flm_queue_t *q, uint32_t seq, char *buf, size_t cap, size_t *len,
                            uint64_t now_utc);

/* Drop item seq (queued or answered): never delivered or listed as pending
 * again; its records go at the next compaction (at once, when even the drop
 * record does not fit). Dropping a dropped item is not an error. */
flm_err_t flm_queue_drop(flm_queue_t *q, uint32_t seq, uint64_t now_utc);

/* Delete the records of every dropped item. */
flm_err_t flm_queue_compact(flm_queue_t *q);

void flm_queue_status(const flm_queue_t *q, flm_queue_status_t *st);

/* "queued", "answered", "dropped". */
const char *flm_queue_state_name(flm_queue_state_t s);

#endif /* FLM_GUARD_QUEUE_H */
