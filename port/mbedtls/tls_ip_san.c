/*
 * An endpoint dialled by address (https://192.168.1.20:8000/v1, a LAN vLLM
 * or llama-server): mbedTLS 2.28 matches the host against dNSName entries
 * and the CN only, so it refuses a certificate that names the address as
 * it should, in an iPAddress entry of its subjectAltName (RFC 5280
 * 4.2.1.6, RFC 6125 6.2.1). The verify callback clears the name mismatch
 * of the leaf when such an entry equals the address, byte for byte.
 */
#define _POSIX_C_SOURCE 200809L
#include "port/mbedtls/tls.h"

#include <arpa/inet.h>
#include <string.h>

#include <mbedtls/asn1.h>
#include <mbedtls/oid.h>

size_t flm_tls_ip_literal(const char *host, uint8_t ip[16])
{
    if (inet_pton(AF_INET, host, ip) == 1)
        return 4;
    if (inet_pton(AF_INET6, host, ip) == 1)
        return 16;
    return 0;
}

bool flm_tls_san_has_ip(const mbedtls_x509_crt *crt, const uint8_t *ip, size_t len)
{
    /* v3_ext: the Extensions SEQUENCE inside the [3] wrapper */
    unsigned char *p = crt->v3_ext.p;
    if (!p || len == 0)
        return false;
    const unsigned char *end = p + crt->v3_ext.len;
    size_t n;
    if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
        return false;
    end = p + n;
    while (p < end) {
        /* Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
        if (mbedtls_asn1_get_tag(&p, end, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
            return false;
        const unsigned char *ext_end = p + n;
        size_t oid_len;
        if (mbedtls_asn1_get_tag(&p, ext_end, &oid_len, MBEDTLS_ASN1_OID))
            return false;
        bool san = oid_len == MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME) &&
                   memcmp(p, MBEDTLS_OID_SUBJECT_ALT_NAME, oid_len) == 0;
        p += oid_len;
        int critical;
        if (p < ext_end && *p == MBEDTLS_ASN1_BOOLEAN && mbedtls_asn1_get_bool(&p, ext_end, &critical))
            return false;
        if (mbedtls_asn1_get_tag(&p, ext_end, &n, MBEDTLS_ASN1_OCTET_STRING))
            return false;
        if (san) {
            const unsigned char *names_end = p + n;
            if (mbedtls_asn1_get_tag(&p, names_end, &n, MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE))
                return false;
            names_end = p + n;
            while (p < names_end) {
                int tag = *p++;
                if (mbedtls_asn1_get_len(&p, names_end, &n))
                    return false;
                if (tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS) && n == len &&
                    memcmp(p, ip, len) == 0)
                    return true;
                p += n;
            }
            return false;
        }
        p = (unsigned char *)ext_end;
    }
    return false;
}
