# tools/bench: `make bench` prints one table (tools/bench/peers.sh): fieldlm
# on 1 and N threads beside llama2.c's runq.c and run.c on stories260K and
# the random 15M and 110M shapes, and the Cortex-M4 instruction counts;
# QUICK=1 (3 rounds, no 110M, no M4), ROUNDS=, SHAPES=, STEPS=, THREADS=,
# M4=0. `make bench-chart` draws the last table as a PNG (gnuplot).
# `make bench-kernels` times the kernels and the forward pass on the host
# (build/<board>/fieldlm-bench), on ../shared's stories260K converted by
# `fieldlm convert`, or on the default model (models/) without ../shared.
# BENCH_MODEL=path.flm benchmarks another image; BENCH_FLOAT=checkpoint.bin
# is the float32 reference timed beside it.
BENCH_BIN   := $(BUILD)/fieldlm-bench
FLM_SHARED  ?= ../shared
ifneq ($(wildcard $(FLM_SHARED)/models/stories260K.bin),)
BENCH_MODEL ?= $(BUILD)/bench/stories260K.flm
else
BENCH_MODEL ?= $(FLM_DEFAULT_MODEL)
endif

$(BENCH_BIN): $(call obj,tools/bench/bench.c) $(TOOL_LIB) $(LIB)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lm

$(BUILD)/bench/stories260K.flm: $(CLI)
	@mkdir -p $(dir $@)
	$(Q)$(CLI) convert --in $(FLM_SHARED)/models/stories260K.bin \
	    --tokenizer $(FLM_SHARED)/models/tok512.bin --out $@ --quiet

.PHONY: bench bench-kernels bench-chart
BENCH_FLOAT ?= $(wildcard $(FLM_SHARED)/models/stories260K.bin)

bench-kernels: $(BENCH_BIN) $(BENCH_MODEL)
	$(Q)$(BENCH_BIN) $(BENCH_MODEL) $(if $(BENCH_FLOAT),--float $(BENCH_FLOAT))

# fieldlm-mkmodel: seeded random-weight models of the llama2.c 15M and 110M
# shapes (float32 for `fieldlm convert`, int8 ak42 for llama2.c's runq.c).
MKMODEL_BIN := $(BUILD)/fieldlm-mkmodel
$(MKMODEL_BIN): $(call obj,tools/bench/mkmodel.c)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lm

# tools/bench/peers.sh: the table (llama2.c's runq.c and run.c built
# outside the repo, in $(FLM_PEERS); without the clone fieldlm alone).
# bench-peers is its older name.
.PHONY: bench-peers
bench bench-peers: $(CLI) $(BENCH_BIN) $(MKMODEL_BIN) $(if $(wildcard $(FLM_SHARED)/models/stories260K.bin),$(BUILD)/bench/stories260K.flm)
	$(Q)BUILD=$(BUILD) QUICK=$(QUICK) ROUNDS=$(ROUNDS) SHAPES="$(SHAPES)" STEPS=$(STEPS) \
	    THREADS=$(THREADS) M4=$(M4) sh tools/bench/peers.sh

bench-chart:
	$(Q)BUILD=$(BUILD) sh tools/bench/chart.sh $(BENCH_PNG)
TEST_DEPS += $(MKMODEL_BIN)
