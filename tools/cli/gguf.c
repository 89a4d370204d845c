/*
 * GGUF reader (tools/cli/gguf.h). Every read goes through a cursor that
 * checks the bytes are there first; counts are checked against the bytes
 * left before anything is allocated or looped over, so the work is bounded
 * by the file's size whatever its counts say.
 */
#include "tools/cli/gguf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- types ------------------------------------------------------------- */

typedef struct {
    const char *name;
    uint32_t block, size;
} ggml_type_info_t;

/* ggml's types (ggml/src/ggml-common.h block layouts): values per block,
 * bytes per block. Ids 4, 5, 31..33, 36..38 were removed from the format. */
static const ggml_type_info_t ggml_types[] = {
    [0] = { "F32", 1, 4 },        [1] = { "F16", 1, 2 },        [2] = { "Q4_0", 32, 18 },
    [3] = { "Q4_1", 32, 20 },     [6] = { "Q5_0", 32, 22 },     [7] = { "Q5_1", 32, 24 },
    [8] = { "Q8_0", 32, 34 },     [9] = { "Q8_1", 32, 36 },     [10] = { "Q2_K", 256, 84 },
    [11] = { "Q3_K", 256, 110 },  [12] = { "Q4_K", 256, 144 },  [13] = { "Q5_K", 256, 176 },
    [14] = { "Q6_K", 256, 210 },  [15] = { "Q8_K", 256, 292 },  [16] = { "IQ2_XXS", 256, 66 },
    [17] = { "IQ2_XS", 256, 74 }, [18] = { "IQ3_XXS", 256, 98 }, [19] = { "IQ1_S", 256, 50 },
    [20] = { "IQ4_NL", 32, 18 },  [21] = { "IQ3_S", 256, 110 }, [22] = { "IQ2_S", 256, 82 },
    [23] = { "IQ4_XS", 256, 136 }, [24] = { "I8", 1, 1 },       [25] = { "I16", 1, 2 },
    [26] = { "I32", 1, 4 },       [27] = { "I64", 1, 8 },       [28] = { "F64", 1, 8 },
    [29] = { "IQ1_M", 256, 56 },  [30] = { "BF16", 1, 2 },      [34] = { "TQ1_0", 256, 54 },
    [35] = { "TQ2_0", 256, 66 },  [39] = { "MXFP4", 32, 17 },
};
#define N_GGML_TYPES (sizeof ggml_types / sizeof ggml_types[0])

const char *flm_ggml_type_name(uint32_t type)
{
    return type < N_GGML_TYPES ? ggml_types[type].name : NULL;
}

uint32_t flm_ggml_block_size(uint32_t type)
{
    return type < N_GGML_TYPES ? ggml_types[type].block : 0;
}

uint32_t flm_ggml_type_size(uint32_t type)
{
    return type < N_GGML_TYPES ? ggml_types[type].size : 0;
}

const char *flm_gguf_type_name(uint32_t type)
{
    static const char *const names[FLM_GGUF_TYPE_COUNT] = {
        "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
        "bool", "string", "array", "uint64", "int64", "float64",
    };
    return type < FLM_GGUF_TYPE_COUNT ? names[type] : "unknown";
}

/* Bytes of one value of a fixed-size type; 0 for string and array. */
static size_t fixed_size(uint32_t type)
{
    static const uint8_t sizes[FLM_GGUF_TYPE_COUNT] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };
    return type < FLM_GGUF_TYPE_COUNT ? sizes[type] : 0;
}

/* ---- little helpers ------------------------------------------------------ */

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

const char *flm_gguf_printable(flm_gguf_str_t s, char *buf, size_t cap)
{
    size_t o = 0;
    if (!cap)
        return buf;
    for (size_t i = 0; i < s.len && o + 5 < cap; i++) {
        if (o >= 64) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        uint8_t c = s.p[i];
        if (c >= 0x20 && c < 0x7F && c != '\\')
            buf[o++] = (char)c;
        else
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02X", c);
    }
    buf[o < cap ? o : cap - 1] = '\0';
    return buf;
}

bool flm_gguf_str_is(flm_gguf_str_t s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && (n == 0 || memcmp(s.p, c, n) == 0);
}

static int str_cmp(flm_gguf_str_t a, flm_gguf_str_t b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n ? memcmp(a.p, b.p, n) : 0;
    if (c)
        return c;
    return (a.len > b.len) - (a.len < b.len);
}

/* ---- the cursor ----------------------------------------------------------- */

typedef struct {
    const uint8_t *buf;
    size_t len, pos;
    char *err;
    size_t errlen;
} cur_t;

static size_t left(const cur_t *c)
{
    return c->len - c->pos;
}

/* n bytes at the cursor, or NULL (with the message) if the file ends first. */
static const uint8_t *take(cur_t *c, size_t n, const char *what)
{
    if (n > left(c)) {
        fail(c->err, c->errlen, "file ends inside %s (at byte %zu, %zu bytes needed, %zu left)", what, c->pos,
             n, left(c));
        return NULL;
    }
    const uint8_t *p = c->buf + c->pos;
    c->pos += n;
    return p;
}

static int take_u32(cur_t *c, uint32_t *v, const char *what)
{
    const uint8_t *p = take(c, 4, what);
    if (!p)
        return -1;
    *v = rd32(p);
    return 0;
}

static int take_u64(cur_t *c, uint64_t *v, const char *what)
{
    const uint8_t *p = take(c, 8, what);
    if (!p)
        return -1;
    *v = rd64(p);
    return 0;
}

/* A gguf_string_t: u64 length, then the bytes. */
static int take_str(cur_t *c, flm_gguf_str_t *s, const char *what)
{
    uint64_t n;
    if (take_u64(c, &n, what))
        return -1;
    if (n > left(c))
        return fail(c->err, c->errlen, "%s at byte %zu: a string of %llu bytes, only %zu left in the file", what,
                    c->pos - 8, (unsigned long long)n, left(c));
    s->p = c->buf + c->pos;
    s->len = (size_t)n;
    c->pos += (size_t)n;
    return 0;
}

/* Skip one value of `type` (validating it); depth counts array nesting. */
static int skip_value(cur_t *c, uint32_t type, unsigned depth, const char *key);

static int skip_array(cur_t *c, unsigned depth, const char *key, uint32_t *elem_type, uint64_t *count)
{
    uint32_t et;
    uint64_t n;
    if (take_u32(c, &et, "an array header") || take_u64(c, &n, "an array header"))
        return -1;
    if (et >= FLM_GGUF_TYPE_COUNT)
        return fail(c->err, c->errlen, "key '%s': array of unknown value type %u", key, et);
    if (et == FLM_GGUF_ARRAY && depth + 1 >= FLM_GGUF_MAX_NESTING)
        return fail(c->err, c->errlen, "key '%s': arrays nested more than %u deep", key, FLM_GGUF_MAX_NESTING);
    /* the least each element takes: its fixed size, a string's length,
     * an array's type and count */
    size_t least = fixed_size(et) ? fixed_size(et) : et == FLM_GGUF_STRING ? 8u : 12u;
    if (n > left(c) / least)
        return fail(c->err, c->errlen, "key '%s': %llu array elements of type %s cannot fit in the %zu bytes left",
                    key, (unsigned long long)n, flm_gguf_type_name(et), left(c));
    if (elem_type)
        *elem_type = et;
    if (count)
        *count = n;
    if (fixed_size(et) && et != FLM_GGUF_BOOL) {
        c->pos += (size_t)n * fixed_size(et);
        return 0;
    }
    for (uint64_t i = 0; i < n; i++)
        if (skip_value(c, et, depth + 1, key))
            return -1;
    return 0;
}

static int skip_value(cur_t *c, uint32_t type, unsigned depth, const char *key)
{
    if (type == FLM_GGUF_STRING) {
        flm_gguf_str_t s;
        return take_str(c, &s, "a string value");
    }
    if (type == FLM_GGUF_ARRAY)
        return skip_array(c, depth, key, NULL, NULL);
    if (type == FLM_GGUF_BOOL) {
        const uint8_t *p = take(c, 1, "a bool value");
        if (!p)
            return -1;
        if (*p > 1)
            return fail(c->err, c->errlen, "key '%s': bool value %u (0 or 1)", key, *p);
        return 0;
    }
    size_t n = fixed_size(type);
    if (!n)
        return fail(c->err, c->errlen, "key '%s': unknown value type %u", key, type);
    return take(c, n, "a value") ? 0 : -1;
}

/* ---- the file -------------------------------------------------------------- */

bool flm_gguf_is_gguf(const uint8_t *buf, size_t len)
{
    return buf && len >= 4 && rd32(buf) == FLM_GGUF_MAGIC;
}

static int kv_cmp(const void *a, const void *b)
{
    const flm_gguf_kv_t *x = *(const flm_gguf_kv_t *const *)a, *y = *(const flm_gguf_kv_t *const *)b;
    return str_cmp(x->key, y->key);
}

static int tensor_name_cmp(const void *a, const void *b)
{
    const flm_gguf_tensor_t *x = *(const flm_gguf_tensor_t *const *)a;
    const flm_gguf_tensor_t *y = *(const flm_gguf_tensor_t *const *)b;
    return str_cmp(x->name, y->name);
}

static int tensor_offset_cmp(const void *a, const void *b)
{
    const flm_gguf_tensor_t *x = *(const flm_gguf_tensor_t *const *)a;
    const flm_gguf_tensor_t *y = *(const flm_gguf_tensor_t *const *)b;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

/* A key is printable ASCII without spaces (the spec: ASCII, lower_snake
 * segments separated by dots; we check only what keeps messages safe). */
static bool key_ok(flm_gguf_str_t k)
{
    if (k.len == 0 || k.len > FLM_GGUF_MAX_KEY)
        return false;
    for (size_t i = 0; i < k.len; i++)
        if (k.p[i] <= 0x20 || k.p[i] >= 0x7F)
            return false;
    return true;
}

static int parse_kv(cur_t *c, flm_gguf_t *g, uint64_t i)
{
    flm_gguf_kv_t *kv = &g->kv[i];
    char name[80];
    if (take_str(c, &kv->key, "a metadata key"))
        return -1;
    if (!key_ok(kv->key))
        return fail(c->err, c->errlen, "metadata key %llu ('%s', %zu bytes) is not a printable ASCII key",
                    (unsigned long long)i, flm_gguf_printable(kv->key, name, sizeof name), kv->key.len);
    flm_gguf_printable(kv->key, name, sizeof name);
    if (take_u32(c, &kv->type, "a metadata value type"))
        return -1;
    if (kv->type >= FLM_GGUF_TYPE_COUNT)
        return fail(c->err, c->errlen, "key '%s': unknown value type %u", name, kv->type);
    size_t start = c->pos;
    if (kv->type == FLM_GGUF_ARRAY) {
        if (skip_array(c, 0, name, &kv->elem_type, &kv->n))
            return -1;
        start += 12;
    } else if (skip_value(c, kv->type, 0, name)) {
        return -1;
    }
    kv->val = c->buf + start;
    kv->val_len = c->pos - start;
    return 0;
}

static int parse_tensor(cur_t *c, flm_gguf_t *g, uint64_t i)
{
    flm_gguf_tensor_t *t = &g->tensors[i];
    char name[80];
    if (take_str(c, &t->name, "a tensor name"))
        return -1;
    flm_gguf_printable(t->name, name, sizeof name);
    if (t->name.len == 0 || t->name.len > FLM_GGUF_MAX_NAME)
        return fail(c->err, c->errlen, "tensor %llu: name of %zu bytes (1..%u)", (unsigned long long)i, t->name.len,
                    FLM_GGUF_MAX_NAME);
    if (take_u32(c, &t->n_dims, "a tensor's dimension count"))
        return -1;
    if (t->n_dims == 0 || t->n_dims > FLM_GGUF_MAX_DIMS)
        return fail(c->err, c->errlen, "tensor '%s': %u dimensions (1..%u)", name, t->n_dims, FLM_GGUF_MAX_DIMS);
    uint64_t n = 1;
    for (uint32_t d = 0; d < FLM_GGUF_MAX_DIMS; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims)
            continue;
        if (take_u64(c, &t->ne[d], "a tensor's dimensions"))
            return -1;
        if (t->ne[d] == 0)
            return fail(c->err, c->errlen, "tensor '%s': dimension %u is zero", name, d);
        if (t->ne[d] > (UINT64_C(1) << 62) / n)
            return fail(c->err, c->errlen, "tensor '%s': its element count overflows (dimension %u is %llu)", name, d,
                        (unsigned long long)t->ne[d]);
        n *= t->ne[d];
    }
    t->n_elems = n;
    uint64_t rel;
    if (take_u32(c, &t->type, "a tensor's type") || take_u64(c, &rel, "a tensor's offset"))
        return -1;
    const char *tn = flm_ggml_type_name(t->type);
    if (!tn)
        return fail(c->err, c->errlen, "tensor '%s': unknown ggml type %u", name, t->type);
    uint32_t bs = flm_ggml_block_size(t->type);
    if (t->ne[0] % bs != 0)
        return fail(c->err, c->errlen, "tensor '%s': %llu columns, not a multiple of %s's block of %u", name,
                    (unsigned long long)t->ne[0], tn, bs);
    t->size = n / bs * flm_ggml_type_size(t->type); /* n < 2^62, size < 2^62 * 292 / 256 */
    t->offset = rel; /* made absolute once the data offset is known */
    return 0;
}

/* Sort, then refuse equal neighbours. */
static int check_unique(flm_gguf_t *g, char *err, size_t errlen)
{
    char name[80];
    qsort(g->kv_sorted, (size_t)g->n_kv, sizeof *g->kv_sorted, kv_cmp);
    for (uint64_t i = 1; i < g->n_kv; i++)
        if (str_cmp(g->kv_sorted[i - 1]->key, g->kv_sorted[i]->key) == 0)
            return fail(err, errlen, "duplicate key '%s'", flm_gguf_printable(g->kv_sorted[i]->key, name, sizeof name));
    qsort(g->tensors_sorted, (size_t)g->n_tensors, sizeof *g->tensors_sorted, tensor_name_cmp);
    for (uint64_t i = 1; i < g->n_tensors; i++)
        if (str_cmp(g->tensors_sorted[i - 1]->name, g->tensors_sorted[i]->name) == 0)
            return fail(err, errlen, "duplicate tensor name '%s'",
                        flm_gguf_printable(g->tensors_sorted[i]->name, name, sizeof name));
    return 0;
}

/* Tensor data inside the file, aligned, and not overlapping. */
static int place_tensors(flm_gguf_t *g, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    char name[80];
    uint64_t room = g->data_offset <= len ? len - g->data_offset : 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        flm_gguf_tensor_t *t = &g->tensors[i];
        flm_gguf_printable(t->name, name, sizeof name);
        if (t->offset % g->alignment != 0)
            return fail(err, errlen, "tensor '%s': offset %llu is not a multiple of the alignment %u", name,
                        (unsigned long long)t->offset, g->alignment);
        if (g->data_offset > len || t->offset > room || t->size > room - t->offset)
            return fail(err, errlen,
                        "tensor '%s': its %llu bytes at data offset %llu run past the end of the file (%zu bytes, data from %llu)",
                        name, (unsigned long long)t->size, (unsigned long long)t->offset, len,
                        (unsigned long long)g->data_offset);
        t->offset += g->data_offset;
        t->data = buf + t->offset;
    }
    /* overlap: by offset (a scratch copy of the pointers) */
    flm_gguf_tensor_t **by_off = malloc((size_t)g->n_tensors * sizeof *by_off + 1);
    if (!by_off)
        return fail(err, errlen, "out of memory");
    for (uint64_t i = 0; i < g->n_tensors; i++)
        by_off[i] = &g->tensors[i];
    qsort(by_off, (size_t)g->n_tensors, sizeof *by_off, tensor_offset_cmp);
    int rc = 0;
    for (uint64_t i = 1; i < g->n_tensors && !rc; i++) {
        const flm_gguf_tensor_t *a = by_off[i - 1], *b = by_off[i];
        if (a->offset + a->size > b->offset) {
            char other[80];
            rc = fail(err, errlen, "tensors '%s' and '%s' overlap in the file", flm_gguf_printable(a->name, name, sizeof name),
                      flm_gguf_printable(b->name, other, sizeof other));
        }
    }
    free(by_off);
    return rc;
}

static int parse(flm_gguf_t *g, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    cur_t c = { buf, len, 0, err, errlen };
    if (!buf || len < 4)
        return fail(err, errlen, "not a GGUF file: %zu bytes", buf ? len : 0);
    if (rd32(buf) != FLM_GGUF_MAGIC)
        return fail(err, errlen, "not a GGUF file (magic 0x%08X, GGUF files start with \"GGUF\")", rd32(buf));
    if (len < 24)
        return fail(err, errlen, "GGUF header truncated: %zu bytes, the header is 24", len);
    c.pos = 4;
    uint32_t version = 0;
    take_u32(&c, &version, "the header");
    if (version == 1)
        return fail(err, errlen, "GGUF version 1 (32-bit counts) is not supported; versions 2 and 3 are");
    if (version == 0x02000000u || version == 0x03000000u)
        return fail(err, errlen, "a big-endian GGUF file (version bytes %08X): only little-endian files are supported",
                    version);
    if (version != 2 && version != 3)
        return fail(err, errlen, "GGUF version %u is not supported; versions 2 and 3 are", version);
    g->version = version;
    take_u64(&c, &g->n_tensors, "the header");
    take_u64(&c, &g->n_kv, "the header");
    /* each pair takes at least 13 bytes (key length, one key byte, type,
     * one value byte), each tensor info 32 */
    if (g->n_kv > left(&c) / 13)
        return fail(err, errlen, "metadata count %llu cannot fit in a file of %zu bytes", (unsigned long long)g->n_kv,
                    len);
    if (g->n_tensors > left(&c) / 32)
        return fail(err, errlen, "tensor count %llu cannot fit in a file of %zu bytes",
                    (unsigned long long)g->n_tensors, len);
    g->kv = calloc((size_t)g->n_kv + 1, sizeof *g->kv);
    g->tensors = calloc((size_t)g->n_tensors + 1, sizeof *g->tensors);
    g->kv_sorted = calloc((size_t)g->n_kv + 1, sizeof *g->kv_sorted);
    g->tensors_sorted = calloc((size_t)g->n_tensors + 1, sizeof *g->tensors_sorted);
    if (!g->kv || !g->tensors || !g->kv_sorted || !g->tensors_sorted)
        return fail(err, errlen, "out of memory");
    for (uint64_t i = 0; i < g->n_kv; i++) {
        if (parse_kv(&c, g, i))
            return -1;
        g->kv_sorted[i] = &g->kv[i];
    }
    g->alignment = FLM_GGUF_DEFAULT_ALIGN;
    const flm_gguf_kv_t *al = NULL;
    for (uint64_t i = 0; i < g->n_kv && !al; i++)
        if (flm_gguf_str_is(g->kv[i].key, "general.alignment"))
            al = &g->kv[i];
    if (al) {
        uint32_t a;
        if (!flm_gguf_as_u32(al, &a) || a == 0 || (a & (a - 1)) != 0 || a > (1u << 30))
            return fail(err, errlen, "general.alignment must be a power of two up to 2^30 (a %s)",
                        flm_gguf_type_name(al->type));
        g->alignment = a;
    }
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        if (parse_tensor(&c, g, i))
            return -1;
        g->tensors_sorted[i] = &g->tensors[i];
    }
    g->data_offset = (c.pos + (uint64_t)g->alignment - 1) / g->alignment * g->alignment;
    if (check_unique(g, err, errlen))
        return -1;
    return place_tensors(g, buf, len, err, errlen);
}

int flm_gguf_parse(flm_gguf_t *g, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    int rc = parse(g, buf, len, err, errlen);
    if (rc)
        flm_gguf_free(g);
    return rc;
}

void flm_gguf_free(flm_gguf_t *g)
{
    free(g->kv);
    free(g->tensors);
    free(g->kv_sorted);
    free(g->tensors_sorted);
    memset(g, 0, sizeof *g);
}

/* ---- lookups ----------------------------------------------------------------- */

const flm_gguf_kv_t *flm_gguf_find(const flm_gguf_t *g, const char *key)
{
    flm_gguf_str_t k = { (const uint8_t *)key, strlen(key) };
    size_t lo = 0, hi = g->kv_sorted ? (size_t)g->n_kv : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = str_cmp(g->kv_sorted[mid]->key, k);
        if (c == 0)
            return g->kv_sorted[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const flm_gguf_tensor_t *flm_gguf_tensor(const flm_gguf_t *g, const char *name)
{
    flm_gguf_str_t k = { (const uint8_t *)name, strlen(name) };
    size_t lo = 0, hi = g->tensors_sorted ? (size_t)g->n_tensors : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = str_cmp(g->tensors_sorted[mid]->name, k);
        if (c == 0)
            return g->tensors_sorted[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* One integer of type `type` at p, as signed (u64 above INT64_MAX is -1:
 * no key this reader reads needs it, and it is refused as not fitting). */
static bool int_at(const uint8_t *p, uint32_t type, int64_t *v)
{
    switch (type) {
    case FLM_GGUF_U8:  *v = p[0]; return true;
    case FLM_GGUF_I8:  *v = (int8_t)p[0]; return true;
    case FLM_GGUF_U16: *v = (uint16_t)(p[0] | p[1] << 8); return true;
    case FLM_GGUF_I16: *v = (int16_t)(uint16_t)(p[0] | p[1] << 8); return true;
    case FLM_GGUF_U32: *v = rd32(p); return true;
    case FLM_GGUF_I32: *v = (int32_t)rd32(p); return true;
    case FLM_GGUF_U64: *v = rd64(p) > (uint64_t)INT64_MAX ? -1 : (int64_t)rd64(p); return true;
    case FLM_GGUF_I64: *v = (int64_t)rd64(p); return true;
    default:           return false;
    }
}

static bool float_at(const uint8_t *p, uint32_t type, double *v)
{
    if (type == FLM_GGUF_F32) {
        uint32_t u = rd32(p);
        float f;
        memcpy(&f, &u, sizeof f);
        *v = f;
        return true;
    }
    if (type == FLM_GGUF_F64) {
        uint64_t u = rd64(p);
        memcpy(v, &u, sizeof *v);
        return true;
    }
    return false;
}

bool flm_gguf_as_u64(const flm_gguf_kv_t *kv, uint64_t *v)
{
    int64_t x;
    if (!kv || !int_at(kv->val, kv->type, &x) || x < 0)
        return false;
    *v = (uint64_t)x;
    return true;
}

bool flm_gguf_as_u32(const flm_gguf_kv_t *kv, uint32_t *v)
{
    uint64_t x;
    if (!flm_gguf_as_u64(kv, &x) || x > UINT32_MAX)
        return false;
    *v = (uint32_t)x;
    return true;
}

bool flm_gguf_as_f64(const flm_gguf_kv_t *kv, double *v)
{
    return kv && float_at(kv->val, kv->type, v);
}

bool flm_gguf_as_bool(const flm_gguf_kv_t *kv, bool *v)
{
    if (!kv || kv->type != FLM_GGUF_BOOL)
        return false;
    *v = kv->val[0] != 0;
    return true;
}

bool flm_gguf_as_str(const flm_gguf_kv_t *kv, flm_gguf_str_t *s)
{
    if (!kv || kv->type != FLM_GGUF_STRING)
        return false;
    s->len = (size_t)rd64(kv->val); /* checked by the parser */
    s->p = kv->val + 8;
    return true;
}

bool flm_gguf_arr_f64(const flm_gguf_kv_t *kv, uint64_t i, double *v)
{
    if (!kv || kv->type != FLM_GGUF_ARRAY || i >= kv->n || !fixed_size(kv->elem_type))
        return false;
    return float_at(kv->val + (size_t)i * fixed_size(kv->elem_type), kv->elem_type, v);
}

bool flm_gguf_arr_i64(const flm_gguf_kv_t *kv, uint64_t i, int64_t *v)
{
    if (!kv || kv->type != FLM_GGUF_ARRAY || i >= kv->n || !fixed_size(kv->elem_type))
        return false;
    return int_at(kv->val + (size_t)i * fixed_size(kv->elem_type), kv->elem_type, v);
}

bool flm_gguf_arr_next_str(const flm_gguf_kv_t *kv, size_t *pos, flm_gguf_str_t *s)
{
    if (!kv || kv->type != FLM_GGUF_ARRAY || kv->elem_type != FLM_GGUF_STRING || *pos + 8 > kv->val_len)
        return false;
    uint64_t n = rd64(kv->val + *pos); /* the parser checked every length */
    if (n > kv->val_len - *pos - 8)
        return false;
    s->p = kv->val + *pos + 8;
    s->len = (size_t)n;
    *pos += 8 + (size_t)n;
    return true;
}
