/* The application's fieldlm options (FLM_CONFIG_FILE), read before
 * core/base/config.h's defaults: those of boards/riscv32-virt/board.mk. */
#define FLM_CFG_CLOUD 0
#define FLM_CFG_SERVER 0
#define FLM_CFG_DEVICE_FILE 0
#define FLM_CFG_TOKENIZER_BPE 0
#define FLM_MODEL_MAX_LAYERS 8
/* The application supplies the record store and the model slots
 * (FLM_HAL_OWN store_ram slots_none): the flash ones, which survive a
 * reset. */
#define FLM_HAL_HAS_STORAGE_PERSISTENT 1
#define FLM_HAL_HAS_SLOTS 1
