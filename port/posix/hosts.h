/*
 * The hosts file (/etc/hosts) without the heap, looked up before DNS as
 * glibc's "hosts: files dns" does: a kiosk's LAN server is often only
 * there. Lines are "ADDRESS NAME [ALIAS...]" with '#' comments; names match
 * case-blind; the first line naming the host wins. Read in pieces with one
 * line buffer: any size of file, a line longer than FLM_HOSTS_LINE_MAX is
 * skipped.
 */
#ifndef FLM_HOSTS_H
#define FLM_HOSTS_H

#include <stdint.h>

#include "core/base/error.h"

#define FLM_HOSTS_LINE_MAX 1024

/* Look name up in path (NULL: /etc/hosts). addr gets 4 or 16 bytes and
 * family 4 or 6. FLM_ERR_NOT_FOUND when the file lacks it or cannot be read. */
flm_err_t flm_hosts_lookup(const char *path, const char *name, uint8_t addr[16], int *family);

#endif /* FLM_HOSTS_H */
