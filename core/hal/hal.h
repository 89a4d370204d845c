/*
 * The fieldlm hardware abstraction layer: the whole contract between the
 * portable runtime (core/) and a platform. core/ calls nothing else outside
 * itself and libc's freestanding parts (string.h, stdint.h, ...).
 *
 * The contract is split by capability; this header includes every part:
 *
 *   hal_caps.h        which optional capabilities this build has (FLM_HAL_HAS_*)
 *   hal_system.h      life cycle, console, log, time, sleep, entropy, watchdog
 *   hal_storage.h     the record store (put/get/del, capacity, enumeration)
 *   hal_net.h         TCP client, flm_transport_t, link status
 *   hal_net_server.h  TCP listen/accept
 *   hal_tls.h         TLS client streams, server verified
 *   hal_files.h       files by path and the environment (hosted platforms)
 *   hal_slots.h       the two model slots of an A/B update
 *   hal_sig.h         image signatures against the firmware's key
 *   hal_parallel.h    a parallel-for over rows on a pool of workers (threads)
 *
 * core/ owns these headers; a port (port/<name>/) supplies the functions,
 * taking from port/common/ the defaults for what its platform lacks (no
 * network, a RAM store, no entropy, ...). port/posix/ is the reference. Every
 * function is always declared and always linkable; functions never
 * allocate from the heap; fallible calls return flm_err_t.
 */
#ifndef FLM_HAL_H
#define FLM_HAL_H

#include "core/hal/hal_caps.h"
#include "core/hal/hal_system.h"
#include "core/hal/hal_storage.h"
#include "core/hal/hal_net.h"
#include "core/hal/hal_net_server.h"
#include "core/hal/hal_tls.h"
#include "core/hal/hal_files.h"
#include "core/hal/hal_slots.h"
#include "core/hal/hal_sig.h"
#include "core/hal/hal_parallel.h"

#endif /* FLM_HAL_H */
