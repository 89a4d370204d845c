/*
 * GGUF reader: llama.cpp's model files (github.com/ggml-org/ggml,
 * docs/gguf.md), versions 2 and 3, little-endian.
 *
 * flm_gguf_parse() is a pure function of a byte buffer: it walks the
 * header, every metadata pair and every tensor info once, checking each
 * read against the buffer's end, and builds an index of the keys and
 * tensors that points into the buffer (the buffer must outlive it). A
 * hostile file (counts that cannot fit, strings longer than the file,
 * arrays nested too deep, an unknown value or tensor type, a dimension of
 * zero, element counts that overflow, tensor data past the end, not
 * aligned or overlapping, duplicate keys or tensor names) gets one error
 * message naming the problem and never a read outside the buffer.
 *
 * It does not interpret keys or tensor data: that is the converter's
 * (convert_gguf.c). Host code: the index is malloc'd, sized by the counts
 * only after they are known to fit the file.
 */
#ifndef FLM_GGUF_H
#define FLM_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLM_GGUF_MAGIC        0x46554747u /* the bytes "GGUF" */
#define FLM_GGUF_MAX_DIMS     4u
#define FLM_GGUF_MAX_NAME     64u         /* bytes of a tensor name */
#define FLM_GGUF_MAX_KEY      65535u      /* bytes of a key */
#define FLM_GGUF_MAX_NESTING  4u          /* arrays of arrays, deepest */
#define FLM_GGUF_DEFAULT_ALIGN 32u

/* Metadata value types (gguf_metadata_value_type). */
enum {
    FLM_GGUF_U8 = 0, FLM_GGUF_I8 = 1, FLM_GGUF_U16 = 2, FLM_GGUF_I16 = 3,
    FLM_GGUF_U32 = 4, FLM_GGUF_I32 = 5, FLM_GGUF_F32 = 6, FLM_GGUF_BOOL = 7,
    FLM_GGUF_STRING = 8, FLM_GGUF_ARRAY = 9, FLM_GGUF_U64 = 10, FLM_GGUF_I64 = 11,
    FLM_GGUF_F64 = 12, FLM_GGUF_TYPE_COUNT = 13
};

/* The ggml tensor types the converter reads (ggml_type); every other known
 * type is parsed (its size is known) and refused by the converter by name. */
enum {
    FLM_GGML_F32 = 0, FLM_GGML_F16 = 1, FLM_GGML_Q4_0 = 2, FLM_GGML_Q8_0 = 8,
    FLM_GGML_BF16 = 30
};

typedef struct {
    const uint8_t *p; /* not NUL-terminated */
    size_t len;
} flm_gguf_str_t;

typedef struct {
    flm_gguf_str_t key;
    uint32_t type;         /* FLM_GGUF_* */
    uint32_t elem_type;    /* ARRAY: the elements' type */
    uint64_t n;            /* ARRAY: number of elements */
    const uint8_t *val;    /* the value; ARRAY: its first element */
    size_t val_len;        /* bytes of the value (ARRAY: of its elements) */
} flm_gguf_kv_t;

typedef struct {
    flm_gguf_str_t name;
    uint32_t n_dims;
    uint64_t ne[FLM_GGUF_MAX_DIMS]; /* ne[0] varies fastest (a matrix's columns); unused are 1 */
    uint32_t type;                  /* ggml type */
    uint64_t n_elems;
    uint64_t offset;                /* of the data, from the start of the file */
    uint64_t size;                  /* bytes of the data */
    const uint8_t *data;
} flm_gguf_tensor_t;

typedef struct {
    uint32_t version;      /* 2 or 3 */
    uint32_t alignment;    /* general.alignment, or 32 */
    uint64_t data_offset;  /* start of the tensor data */
    uint64_t n_kv, n_tensors;
    flm_gguf_kv_t *kv;     /* in file order */
    flm_gguf_tensor_t *tensors; /* in file order */
    flm_gguf_kv_t **kv_sorted;  /* by key, for lookups */
    flm_gguf_tensor_t **tensors_sorted; /* by name */
} flm_gguf_t;

/* Whether buf starts with the GGUF magic. */
bool flm_gguf_is_gguf(const uint8_t *buf, size_t len);

/* Parse; 0, or -1 with a message in err (and g empty). */
int  flm_gguf_parse(flm_gguf_t *g, const uint8_t *buf, size_t len, char *err, size_t errlen);
void flm_gguf_free(flm_gguf_t *g);

/* The pair with this key / the tensor with this name, or NULL. */
const flm_gguf_kv_t     *flm_gguf_find(const flm_gguf_t *g, const char *key);
const flm_gguf_tensor_t *flm_gguf_tensor(const flm_gguf_t *g, const char *name);

/* Typed reads of a value. Integers: any integer type whose value fits
 * (writers use u32 or u64 for the same key); floats: f32 or f64. Return
 * false if kv is NULL or of another type, or the value does not fit. */
bool flm_gguf_as_u64(const flm_gguf_kv_t *kv, uint64_t *v);
bool flm_gguf_as_u32(const flm_gguf_kv_t *kv, uint32_t *v);
bool flm_gguf_as_f64(const flm_gguf_kv_t *kv, double *v);
bool flm_gguf_as_bool(const flm_gguf_kv_t *kv, bool *v);
bool flm_gguf_as_str(const flm_gguf_kv_t *kv, flm_gguf_str_t *s);
/* s equals the C string c. */
bool flm_gguf_str_is(flm_gguf_str_t s, const char *c);

/* Arrays: element i of a fixed-size numeric array as above (i < kv->n). */
bool flm_gguf_arr_f64(const flm_gguf_kv_t *kv, uint64_t i, double *v);
bool flm_gguf_arr_i64(const flm_gguf_kv_t *kv, uint64_t i, int64_t *v);
/* The strings of an array of strings in order: *pos starts at 0; each call
 * gives the next one and returns false after the last. */
bool flm_gguf_arr_next_str(const flm_gguf_kv_t *kv, size_t *pos, flm_gguf_str_t *s);

/* A ggml type's name ("Q8_0"), values per block and bytes per block; name
 * NULL and sizes 0 for an id this reader does not know. */
const char *flm_ggml_type_name(uint32_t type);
uint32_t    flm_ggml_block_size(uint32_t type);
uint32_t    flm_ggml_type_size(uint32_t type);
/* A metadata value type's name ("uint32"). */
const char *flm_gguf_type_name(uint32_t type);

/* A string from the file, fit for a message: printable ASCII kept, other
 * bytes as \xNN, cut to about 64 characters; returns buf. */
const char *flm_gguf_printable(flm_gguf_str_t s, char *buf, size_t cap);

#endif /* FLM_GGUF_H */
