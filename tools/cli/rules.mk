# tools/cli: the default model (tools/cli/default_model.h) is also found by
# the absolute path of this clone's models/ folder, compiled in.
FLM_DEFAULT_MODEL ?= models/fieldtales-800k.flm
$(call obj,tools/cli/default_model.c): CFLAGS += -DFLM_DEFAULT_MODEL_PATH='"$(abspath $(FLM_DEFAULT_MODEL))"' \
    -DFLM_DEFAULT_MODEL_NAME='"$(notdir $(FLM_DEFAULT_MODEL))"'
$(call obj,tools/cli/default_model.c): tools/cli/rules.mk
