/*
 * A minimal DNS stub resolver (RFC 1035) without heap: getaddrinfo
 * allocates, so the POSIX port asks the name servers of /etc/resolv.conf
 * itself, over UDP, for A records and then AAAA records. No cache, no
 * search domains, no TCP fallback: a truncated answer (TC) is refused.
 *
 * Each query has a random id and a random source port (from the HAL's
 * entropy) on a socket connected to the server; an answer counts only if it
 * carries that id and exactly the question asked (name, type, class IN).
 *
 * The packet functions are pure and take any bytes: the parser bounds every
 * read, follows no compression pointer and stops at the first answer of the
 * asked type.
 */
#ifndef FLM_DNS_H
#define FLM_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/error.h"

#define FLM_DNS_A        1
#define FLM_DNS_AAAA     28
#define FLM_DNS_MSG_MAX  512 /* classic UDP payload limit */
#define FLM_DNS_NAME_MAX 253

/* Write a recursive query for name (qtype A or AAAA) into buf. */
flm_err_t flm_dns_build_query(uint16_t id, const char *name, uint16_t qtype,
                              uint8_t *buf, size_t cap, size_t *len);

/* The first answer of qtype in a response to query id for name. addr gets
 * 4 (A) or 16 (AAAA) bytes. FLM_ERR_NET_RESOLVE for a well-formed negative
 * or truncated (TC) answer, FLM_ERR_NOT_FOUND when the message is not the
 * answer to this query (another id or question; keep waiting),
 * FLM_ERR_NET_RECV when its answer section is malformed. */
flm_err_t flm_dns_parse_response(const uint8_t *msg, size_t len, uint16_t id, const char *name,
                                 uint16_t qtype, uint8_t *addr);

/* The source port a query uses for a 16-bit random number: one of
 * FLM_DNS_PORT_MIN..65535, never a well-known port. */
#define FLM_DNS_PORT_MIN 1024u
uint16_t flm_dns_source_port(uint16_t random);

/* Tests only: ask the name servers on this UDP port instead of 53 (0: 53). */
void flm_dns_set_server_port(uint16_t port);

/* Resolve name through the servers in resolv_conf (a path; NULL for
 * /etc/resolv.conf) within timeout_ms. family_out gets 4 or 6. */
flm_err_t flm_dns_resolve(const char *resolv_conf, const char *name, uint32_t timeout_ms,
                          uint8_t addr[16], int *family_out);

#endif /* FLM_DNS_H */
