/*
 * The byte layout of a .flm model image, as constants: core/model/FORMAT.md in
 * code form. Used by the loader (core/model/model.c) and the host converter; the
 * engine reads flm_model_t and only the kind and dtype ids, through the
 * architecture tables (core/model/arch.h). All fields little-endian.
 */
#ifndef FLM_MODEL_FORMAT_H
#define FLM_MODEL_FORMAT_H

#define FLM_IMG_MAGIC          0x494D4C46u /* bytes "FLMI" */
#define FLM_GGUF_FILE_MAGIC    0x46554747u /* bytes "GGUF": not an image, but named in the error */
#define FLM_IMG_VERSION_MAJOR  1u          /* incompatible changes */
#define FLM_IMG_VERSION_MINOR  2u          /* additive changes only; 1: the arch field;
                                            * 2: Q4 matrices, head_dim free of dim / n_heads,
                                            * the byte-level BPE tokenizer */
#define FLM_IMG_ALIGN          32u         /* tensor data and data_offset */

/* Header: FLM_IMG_HEADER_SIZE bytes at offset 0. */
#define FLM_IMG_HEADER_SIZE    128u
#define FLM_IMG_OFF_MAGIC        0x00u /* u32 */
#define FLM_IMG_OFF_VER_MAJOR    0x04u /* u16 */
#define FLM_IMG_OFF_VER_MINOR    0x06u /* u16 */
#define FLM_IMG_OFF_HEADER_SIZE  0x08u /* u32 */
#define FLM_IMG_OFF_FLAGS        0x0Cu /* u32 */
#define FLM_IMG_OFF_IMAGE_SIZE   0x10u /* u64 */
#define FLM_IMG_OFF_HEADER_CRC   0x18u /* u32: CRC of [0,0x18) + [0x20,data_offset) */
#define FLM_IMG_OFF_IMAGE_CRC    0x1Cu /* u32: CRC of [0,0x18) + [0x20,image_size) */
#define FLM_IMG_OFF_DIM          0x20u /* u32 */
#define FLM_IMG_OFF_HIDDEN_DIM   0x24u
#define FLM_IMG_OFF_N_LAYERS     0x28u
#define FLM_IMG_OFF_N_HEADS      0x2Cu
#define FLM_IMG_OFF_N_KV_HEADS   0x30u
#define FLM_IMG_OFF_HEAD_DIM     0x34u
#define FLM_IMG_OFF_VOCAB_SIZE   0x38u
#define FLM_IMG_OFF_SEQ_LEN      0x3Cu
#define FLM_IMG_OFF_NORM_EPS     0x40u /* u32 Q0.32 */
#define FLM_IMG_OFF_ROPE_THETA   0x44u
#define FLM_IMG_OFF_N_TENSORS    0x48u
#define FLM_IMG_OFF_ENTRY_SIZE   0x4Cu /* u32: bytes per tensor-table entry */
#define FLM_IMG_OFF_TABLE        0x50u /* u64 */
#define FLM_IMG_OFF_TOK          0x58u /* u64 */
#define FLM_IMG_OFF_TOK_SIZE     0x60u /* u64 */
#define FLM_IMG_OFF_DATA         0x68u /* u64 */
#define FLM_IMG_OFF_ARCH         0x70u /* u32, from format 1.1: FLM_ARCH_* (core/model/arch.h);
                                        * a 1.0 image is llama whatever these bytes hold */
#define FLM_IMG_ARCH_MINOR       1u    /* the first minor version with the arch field */
#define FLM_IMG_CRC_SKIP_BEGIN   0x18u /* the two CRC fields are left out of both CRCs */
#define FLM_IMG_CRC_SKIP_END     0x20u

#define FLM_IMG_FLAG_SHARED_CLASSIFIER 0x1u
#define FLM_IMG_FLAGS_KNOWN            0x1u

/* Tensor table entry: FLM_IMG_ENTRY_SIZE bytes each. */
#define FLM_IMG_ENTRY_SIZE     64u
#define FLM_IMG_ENT_KIND         0x00u /* u16 */
#define FLM_IMG_ENT_LAYER        0x02u /* u16 */
#define FLM_IMG_ENT_DTYPE        0x04u /* u16 */
#define FLM_IMG_ENT_ROWS         0x08u /* u32 */
#define FLM_IMG_ENT_COLS         0x0Cu /* u32 */
#define FLM_IMG_ENT_GROUP_SIZE   0x10u /* u32 */
#define FLM_IMG_ENT_SHIFT        0x14u /* i32 */
#define FLM_IMG_ENT_OFFSET       0x18u /* u64 */
#define FLM_IMG_ENT_SIZE         0x20u /* u64 */
#define FLM_IMG_ENT_SCALE_OFFSET 0x28u /* u64 */
#define FLM_IMG_ENT_SCALE_SIZE   0x30u /* u64 */

/* Tokenizer section header; the arrays follow at FLM_IMG_TOK_HEADER_SIZE. */
#define FLM_IMG_TOK_HEADER_SIZE  24u
#define FLM_IMG_TOK_VOCAB_SIZE   0x00u /* u32 */
#define FLM_IMG_TOK_MAX_LEN      0x04u
#define FLM_IMG_TOK_BOS          0x08u
#define FLM_IMG_TOK_EOS          0x0Cu
#define FLM_IMG_TOK_BYTES_SIZE   0x10u
#define FLM_IMG_TOK_KIND         0x14u /* u32, from format 1.2 (reserved, so 0, before):
                                        * bits 0-7 FLM_TOK_KIND_*, bits 8-15 FLM_TOK_PRE_*,
                                        * the rest zero */

/* Tokenizer kinds: how the vocabulary encodes text (core/infer/tokenizer.h). */
#define FLM_TOK_KIND_SPM   0u /* llama2.c / SentencePiece: merge by the best token score */
#define FLM_TOK_KIND_BPE   1u /* GPT-2 byte-level BPE: merge by rank; scores[] hold the
                               * ranks and merge_left[V] follows the bytes */
/* Pre-tokenizers of the byte-level BPE (how text is cut into words). */
#define FLM_TOK_PRE_GPT2   1u /* GPT-2's pattern: 's 't 're 've 'm 'll 'd, ?letters,
                               * ?digits, ?other, whitespace */
#define FLM_TOK_PRE_SMOLLM 2u /* every digit alone, then GPT-2's pattern */
#define FLM_TOK_PRE_COUNT  3u
#define FLM_TOK_NO_MERGE   0xFFFFFFFFu /* merge_left of a token no merge makes */

/* Fixed-point ranges the writer guarantees and the loader checks. */
#define FLM_IMG_SHIFT_MAX        62
#define FLM_IMG_MANTISSA_LIMIT   0x800000 /* 2^23: |scale| and |rms weight| below it;
                                          * = FLM_QMAT_SCALE_LIMIT (checked in model.c) */
#define FLM_IMG_DIM_MAX          0x100000u /* any single dimension */
#define FLM_IMG_Q4_MIN           (-8)      /* int4 values: two's complement nibbles, -8..7 */

/* Tensor kinds (id in the table), shared by every architecture; which of
 * them an architecture has, with their shapes, is its table in
 * core/model/arch.c. Kinds below FLM_TENSOR_FIRST_LAYER_KIND are global,
 * the others per layer and carry their layer index. */
typedef enum {
    FLM_TENSOR_TOK_EMBEDDING = 1,
    FLM_TENSOR_CLASSIFIER    = 2,
    FLM_TENSOR_RMS_FINAL     = 3,
    FLM_TENSOR_ROPE_FREQ     = 4,
    FLM_TENSOR_RMS_ATT       = 16,
    FLM_TENSOR_WQ            = 17,
    FLM_TENSOR_WK            = 18,
    FLM_TENSOR_WV            = 19,
    FLM_TENSOR_WO            = 20,
    FLM_TENSOR_RMS_FFN       = 21,
    FLM_TENSOR_W1            = 22, /* gate */
    FLM_TENSOR_W2            = 23, /* down */
    FLM_TENSOR_W3            = 24, /* up */
} flm_tensor_kind_t;

#define FLM_TENSOR_FIRST_LAYER_KIND FLM_TENSOR_RMS_ATT

/* Data types. */
typedef enum {
    FLM_DTYPE_Q8  = 1, /* int8 q[rows*cols] + int32 group scales s[rows*ngroups] */
    FLM_DTYPE_Q4  = 2, /* from format 1.2: int4 pairs + int32 group scales s[rows*ngroups] */
    FLM_DTYPE_I32 = 3, /* int32 fixed point v[n] * 2^-shift */
    FLM_DTYPE_U32 = 4, /* raw uint32 (rope_freq) */
} flm_dtype_t;

#endif /* FLM_MODEL_FORMAT_H */
