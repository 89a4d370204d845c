/* Whole-buffer read and write on a descriptor, retrying short transfers
 * and EINTR: shared by the POSIX port's files. */
#ifndef FLM_HAL_POSIX_IO_H
#define FLM_HAL_POSIX_IO_H

#include <stddef.h>

#include "core/base/error.h"

/* FLM_ERR_IO on an error (errno says which) or, for a read, an early EOF. */
flm_err_t flm_posix_read_full(int fd, void *buf, size_t n);
flm_err_t flm_posix_write_full(int fd, const void *buf, size_t n);

#endif /* FLM_HAL_POSIX_IO_H */
