/* The answer's text: valid UTF-8, cut at a stop sequence, in bounded pieces. */
#include "core/base/config.h"
#if FLM_CFG_SERVER
#include "core/server/priv/server_text.h"

#include <string.h>

#include "core/base/utf8.h"

void flm_srv_text_init(flm_srv_text_t *t, const char (*stop)[FLM_SERVER_STOP_BYTES],
                       uint32_t n_stop, flm_srv_emit_fn emit, void *user)
{
    memset(t, 0, sizeof *t);
    t->stop = stop;
    t->n_stop = stop ? n_stop : 0;
    t->emit = emit;
    t->user = user;
    for (uint32_t i = 0; i < t->n_stop; i++) {
        size_t n = strlen(stop[i]);
        if (n > t->stop_max)
            t->stop_max = n;
    }
}

static void flush_piece(flm_srv_text_t *t)
{
    if (t->piece_len && !t->err && t->emit)
        t->err = t->emit(t->user, t->piece, t->piece_len);
    t->piece_len = 0;
}

static void put_char(flm_srv_text_t *t, const uint8_t *c, size_t n)
{
    if (t->piece_len + n > FLM_SRV_TEXT_PIECE)
        flush_piece(t);
    memcpy(t->piece + t->piece_len, c, n);
    t->piece_len += n;
}

static const uint8_t replacement[3] = { 0xEF, 0xBF, 0xBD }; /* U+FFFD */

/* How long the sequence starting with c[0..n) would be, if it can still
 * become a valid one; 0 if it cannot. */
static size_t viable(const uint8_t *c, size_t n)
{
    uint8_t b = c[0];
    size_t m = b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3
             : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
    if (m == 0 || n > m)
        return 0;
    if (n >= 2) {
        uint8_t lo = 0x80, hi = 0xBF;
        if (b == 0xE0) lo = 0xA0;
        if (b == 0xED) hi = 0x9F;
        if (b == 0xF0) lo = 0x90;
        if (b == 0xF4) hi = 0x8F;
        if (c[1] < lo || c[1] > hi)
            return 0;
    }
    for (size_t i = 2; i < n; i++)
        if ((c[i] & 0xC0) != 0x80)
            return 0;
    return m;
}

/* Stage two: bytes the stop stage let go become valid UTF-8; the bytes of
 * an unfinished character wait in t->carry. */
static void release(flm_srv_text_t *t, const uint8_t *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t b = s[i];
        if (t->carry_len == 0 && b < 0x80) { /* the common case */
            put_char(t, &b, 1);
            continue;
        }
        t->carry[t->carry_len++] = b;
        while (t->carry_len) {
            size_t m = viable(t->carry, t->carry_len);
            if (m == 0) {
                /* one U+FFFD for the longest start of a character that the
                 * new byte broke (or for a byte that starts none) */
                size_t drop = t->carry_len >= 2 && viable(t->carry, t->carry_len - 1)
                                  ? t->carry_len - 1 : 1;
                put_char(t, replacement, 3);
                t->carry_len -= drop;
                memmove(t->carry, t->carry + drop, t->carry_len);
                continue;
            }
            if (t->carry_len < m)
                break; /* wait for the rest */
            uint32_t cp;
            if (flm_utf8_decode(t->carry, m, &cp) == m)
                put_char(t, t->carry, m);
            else
                put_char(t, replacement, 3);
            t->carry_len = 0;
        }
    }
}

/* The longest tail of hold that begins some stop sequence (but is not one). */
static size_t stop_prefix(const flm_srv_text_t *t)
{
    size_t keep = 0;
    for (uint32_t i = 0; i < t->n_stop; i++) {
        size_t len = strlen(t->stop[i]);
        size_t k = len - 1 < t->hold_len ? len - 1 : t->hold_len;
        for (; k > keep; k--)
            if (memcmp(t->hold + t->hold_len - k, t->stop[i], k) == 0) {
                keep = k;
                break;
            }
    }
    return keep;
}

flm_err_t flm_srv_text_feed(flm_srv_text_t *t, const char *s, size_t n)
{
    const uint8_t *p = (const uint8_t *)s;
    if (t->stopped || t->err)
        return t->err;
    if (t->n_stop == 0) {
        release(t, p, n);
        flush_piece(t);
        return t->err;
    }
    for (size_t i = 0; i < n && !t->stopped; i++) {
        t->hold[t->hold_len++] = p[i];
        /* the answer ends at the first stop sequence to complete, as a
         * generator must (it cannot wait to see whether a longer stop that
         * began earlier completes later: "abcd" with stops "abcd" and "bc"
         * ends after "a"); of the stops that end at this byte, the longest
         * starts first: cut there */
        size_t cut = 0;
        for (uint32_t k = 0; k < t->n_stop; k++) {
            size_t len = strlen(t->stop[k]);
            if (len > cut && len <= t->hold_len &&
                memcmp(t->hold + t->hold_len - len, t->stop[k], len) == 0)
                cut = len;
        }
        if (cut) {
            release(t, t->hold, t->hold_len - cut);
            t->hold_len = 0;
            t->stopped = true;
            break;
        }
        size_t keep = stop_prefix(t);
        if (keep < t->hold_len) {
            release(t, t->hold, t->hold_len - keep);
            memmove(t->hold, t->hold + t->hold_len - keep, keep);
            t->hold_len = keep;
        }
    }
    flush_piece(t); /* what came in goes out now: a stream shows it at once */
    return t->err;
}

flm_err_t flm_srv_text_raw(flm_srv_text_t *t, const char *s, size_t n)
{
    if (!t->err) {
        release(t, (const uint8_t *)s, n);
        flush_piece(t);
    }
    return t->err;
}

flm_err_t flm_srv_text_finish(flm_srv_text_t *t)
{
    if (!t->stopped) {
        release(t, t->hold, t->hold_len);
        t->hold_len = 0;
    }
    if (t->carry_len) {
        put_char(t, replacement, 3);
        t->carry_len = 0;
    }
    flush_piece(t);
    return t->err;
}

#endif /* FLM_CFG_SERVER */
