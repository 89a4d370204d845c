/*
 * What the copies of mbedTLS's static libraries call instead of libc
 * (port/mbedtls/rules.mk renames the references with objcopy, from the list
 * in port/mbedtls/libc.syms): nothing reached from a TLS request may
 * allocate behind the runtime's back or touch the file system.
 *
 *  - calloc/free: the static pool (tls_pool.h).
 *  - time, gmtime_r: the HAL's calendar clock (flm_hal_utc_s) and the
 *    integer conversion of core/base/utc.h. glibc's gmtime_r runs tzset on
 *    its first call: six heap allocations and a read of /etc/localtime
 *    inside every first handshake. Without a clock, time() is -1 and
 *    gmtime_r fails, so mbedTLS counts every certificate as expired.
 *  - snprintf and its fortified forms: core/base/fmt.h's integer printf
 *    (glibc's may allocate for wide widths); a result that fills the buffer
 *    is reported as cut (the C99 value would be >= the size), so mbedTLS
 *    sees BUFFER_TOO_SMALL rather than a silently short text.
 *  - files, directories, name lookups and stdout (CA files and paths, seed
 *    files, mbedtls_net_connect, the self-tests): refused. The runtime gives
 *    mbedTLS its CAs as text and its sockets and entropy through the HAL,
 *    so these paths are never taken; if one were, it fails cleanly instead
 *    of allocating a FILE or a stdio buffer.
 *
 * Declared here so the definitions have prototypes; nothing in the runtime
 * calls them.
 */
#ifndef FLM_TLS_LIBC_H
#define FLM_TLS_LIBC_H

#include <dirent.h>
#include <netdb.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <time.h>

time_t     flm_tls_time(time_t *t);
struct tm *flm_tls_gmtime_r(const time_t *t, struct tm *out);

int flm_tls_snprintf(char *s, size_t n, const char *fmt, ...);
int flm_tls_vsnprintf(char *s, size_t n, const char *fmt, va_list ap);
int flm_tls_snprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, ...);
int flm_tls_vsnprintf_chk(char *s, size_t n, int flag, size_t slen, const char *fmt, va_list ap);

FILE  *flm_tls_no_fopen(const char *path, const char *mode);
int    flm_tls_no_fclose(FILE *f);
size_t flm_tls_no_fread(void *p, size_t size, size_t n, FILE *f);
size_t flm_tls_no_fwrite(const void *p, size_t size, size_t n, FILE *f);
char  *flm_tls_no_fgets(char *s, int n, FILE *f);
int    flm_tls_no_fseek(FILE *f, long off, int whence);
long   flm_tls_no_ftell(FILE *f);
int    flm_tls_no_ferror(FILE *f);
DIR   *flm_tls_no_opendir(const char *path);
struct dirent *flm_tls_no_readdir(DIR *d);
int    flm_tls_no_closedir(DIR *d);
int    flm_tls_no_getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                              struct addrinfo **res);
void   flm_tls_no_freeaddrinfo(struct addrinfo *ai);
int    flm_tls_no_puts(const char *s);
int    flm_tls_no_putchar(int c);
int    flm_tls_no_printf(const char *fmt, ...);
int    flm_tls_no_printf_chk(int flag, const char *fmt, ...);

/* How often a refused call was made (0 in a healthy run), for tests. */
unsigned long flm_tls_libc_refusals(void);

#endif /* FLM_TLS_LIBC_H */
