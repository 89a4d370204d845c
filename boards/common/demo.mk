# The demo every board runs: the greedy continuation of "Once upon a time"
# (64 positions), and a seeded sampling run. The model is the reference
# stories260K from ../shared (converted once, on the build machine, by the
# host fieldlm) when that folder is there, else the project's own default
# model (models/, tools/cli/rules.mk); DEMO_MODEL=path.flm picks one, e.g.
# `make BOARD=mps2-an386 footprint DEMO_MODEL=$(FLM_DEFAULT_MODEL)`.
FLM_SHARED     ?= ../shared
DEMO_MODEL_SRC := $(FLM_SHARED)/models/stories260K.bin
DEMO_TOK_SRC   := $(FLM_SHARED)/models/tok512.bin
# DEMO_BITS=4: the reference demo on int4 weights (`convert --bits 4`), in its own file.
DEMO_BITS      ?= 8
DEMO_REF_MODEL := build/models/stories260K$(if $(filter 4,$(DEMO_BITS)),-q4).flm
FLM_DEFAULT_MODEL ?= models/fieldtales-800k.flm
ifneq ($(wildcard $(DEMO_MODEL_SRC)),)
DEMO_MODEL     ?= $(DEMO_REF_MODEL)
else
DEMO_MODEL     ?= $(FLM_DEFAULT_MODEL)
endif
# The router's parameters for the demo model: MODEL.router beside it (the
# shipped model's), else stories260K's (its int4 image included).
DEMO_ROUTER_PARAMS := $(firstword $(wildcard $(DEMO_MODEL:.flm=.router)) tools/router/params/stories260K.router)
DEMO_PROMPT    := Once upon a time
# Options shared by `fieldlm run` and the bare-metal demo (boards/common/mps2/main.c),
# with the context length of the smallest board. Sampling values are exact
# in binary so every parser agrees on them.
# DEMO_CTX= for a model with a shorter context (llama2xs: 128).
DEMO_CTX       ?= 256
DEMO_GREEDY    := -n 64 -t 0 --ctx $(DEMO_CTX)
DEMO_SAMPLE    := -n 64 -t 0.75 --top-p 0.875 -s 42 --ctx $(DEMO_CTX)

# The host fieldlm converts; for cross boards it is built by a sub-make
# (re-run each time, so a converter change reconverts).
ifeq ($(BOARD)$(SAN),host0)
HOST_FIELDLM := $(CLI)
else
HOST_FIELDLM := build/host/fieldlm
$(HOST_FIELDLM): FORCE_HOST_CLI
	@$(MAKE) --no-print-directory BOARD=host SAN=0 cli >&2
.PHONY: FORCE_HOST_CLI
endif

$(DEMO_REF_MODEL): $(DEMO_MODEL_SRC) $(DEMO_TOK_SRC) $(HOST_FIELDLM)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  CONVERT $@")
	$(Q)$(HOST_FIELDLM) convert --in $(DEMO_MODEL_SRC) --tokenizer $(DEMO_TOK_SRC) --bits $(DEMO_BITS) --out $@ >/dev/null

$(DEMO_MODEL_SRC) $(DEMO_TOK_SRC):
	@echo "the demo needs $@ (the reference folder ../shared, or set FLM_SHARED)"; exit 1

# The board's rules define demo-build (everything the demos need), so that
# after it `make -s demo` prints the story and nothing else.
.PHONY: demo demo-sample demo-build
