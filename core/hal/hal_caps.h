/*
 * What this build's HAL can do: one 0/1 macro per optional capability,
 * defaulted here (off) and set by the build for what the platform
 * implements (port/<port>/rules.mk, or a board's BOARD_CFLAGS, adds
 * -DFLM_HAL_HAS_...=1). core/ tests them to compile a feature out; a port
 * that lacks one takes port/common/'s default instead of stubbing it.
 *
 * Every function of the contract exists on every port whatever these say:
 * a missing capability answers FLM_ERR_UNSUPPORTED (or "link down"), so
 * code that only calls it compiles and links everywhere.
 */
#ifndef FLM_HAL_CAPS_H
#define FLM_HAL_CAPS_H

#include "core/base/config.h" /* the build's facts: FLM_HAL_HAS_TLS */

/* TCP client connections and a link status (hal_net.h). Without it
 * (port/common/hal_net_none.c) connect says FLM_ERR_UNSUPPORTED and the
 * link is always down. */
#ifndef FLM_HAL_HAS_NET
#define FLM_HAL_HAS_NET 0
#endif

/* Listening for TCP connections (hal_net_server.h); needs FLM_HAL_HAS_NET.
 * Without it (port/common/hal_net_server_none.c) listen says
 * FLM_ERR_UNSUPPORTED. */
#ifndef FLM_HAL_HAS_NET_SERVER
#define FLM_HAL_HAS_NET_SERVER 0
#endif

/* The record store (hal_storage.h) survives a reset or power cut. The store
 * works either way; without it (port/common/hal_store_ram.c) the records
 * live in RAM and a reset loses them all. */
#ifndef FLM_HAL_HAS_STORAGE_PERSISTENT
#define FLM_HAL_HAS_STORAGE_PERSISTENT 0
#endif

/* Other programs may open the same store at once (a folder on a file
 * system: `fieldlm serve` and a `fieldlm ask` beside it), and
 * flm_hal_store_lock() keeps them apart. Without it the program owns the
 * store and the lock does nothing. */
#ifndef FLM_HAL_HAS_STORAGE_SHARED
#define FLM_HAL_HAS_STORAGE_SHARED 0
#endif

/* flm_hal_entropy() gives real entropy. Without it
 * (port/common/hal_entropy_none.c) it says FLM_ERR_UNSUPPORTED and callers
 * fall back to weaker seeds (time) or refuse (TLS). */
#ifndef FLM_HAL_HAS_ENTROPY
#define FLM_HAL_HAS_ENTROPY 0
#endif

/* Files by path and an environment (hal_files.h): a hosted OS. Without it
 * (port/common/hal_files_none.c) the model and configuration come from
 * memory (flash) and the record store. */
#ifndef FLM_HAL_HAS_FILES
#define FLM_HAL_HAS_FILES 0
#endif

/* TLS client streams (hal_tls.h), from port/mbedtls: the build sets it from
 * `make TLS=` (FLM_BUILD_CONFIG_FILE). Without it
 * (port/common/hal_tls_none.c) only plain TCP is left. */
#ifndef FLM_HAL_HAS_TLS
#define FLM_HAL_HAS_TLS 0
#endif

/* flm_hal_utc_s() gives calendar time (an RTC or a synchronised clock).
 * Without it (port/common/hal_clock_none.c) TLS cannot check certificate
 * dates and refuses to connect. */
#ifndef FLM_HAL_HAS_UTC_CLOCK
#define FLM_HAL_HAS_UTC_CLOCK 0
#endif

/* flm_hal_watchdog_kick() feeds a hardware watchdog that resets the device
 * when the loop that kicks it stalls (the MPS2 boards' CMSDK watchdog).
 * Without it (port/common/hal_watchdog_count.c) kicks are only counted. */
#ifndef FLM_HAL_HAS_WATCHDOG
#define FLM_HAL_HAS_WATCHDOG 0
#endif

/* Two model slots for an A/B update (hal_slots.h). Without it
 * (port/common/hal_slots_none.c) the device runs the model it shipped
 * with and cannot install another. */
#ifndef FLM_HAL_HAS_SLOTS
#define FLM_HAL_HAS_SLOTS 0
#endif

/* Image signatures checked against the firmware's key (hal_sig.h): with
 * mbedTLS, so by default wherever TLS is. Without it
 * (port/common/hal_sig_none.c) signatures cannot be checked. */
#ifndef FLM_HAL_HAS_SIGNATURE
#define FLM_HAL_HAS_SIGNATURE FLM_HAL_HAS_TLS
#endif

/* Threads (hal_parallel.h): a pool of workers the matrix products are
 * split across. Without it (port/common/hal_parallel_none.c) there is one
 * worker, the caller, and core/ compiles the split out. */
#ifndef FLM_HAL_HAS_THREADS
#define FLM_HAL_HAS_THREADS 0
#endif

#if (FLM_HAL_HAS_SLOTS | FLM_HAL_HAS_SIGNATURE | FLM_HAL_HAS_NET | FLM_HAL_HAS_NET_SERVER | \
     FLM_HAL_HAS_STORAGE_PERSISTENT | FLM_HAL_HAS_STORAGE_SHARED | FLM_HAL_HAS_ENTROPY | FLM_HAL_HAS_FILES | FLM_HAL_HAS_TLS | \
     FLM_HAL_HAS_UTC_CLOCK | FLM_HAL_HAS_WATCHDOG | FLM_HAL_HAS_THREADS) & ~1
#error "FLM_HAL_HAS_* capabilities are 0 or 1"
#endif
#if FLM_HAL_HAS_NET_SERVER && !FLM_HAL_HAS_NET
#error "FLM_HAL_HAS_NET_SERVER needs FLM_HAL_HAS_NET"
#endif
#if FLM_HAL_HAS_TLS && !FLM_HAL_HAS_NET
#error "FLM_HAL_HAS_TLS needs FLM_HAL_HAS_NET"
#endif

#endif /* FLM_HAL_CAPS_H */
