# tools/ref: the float32 reference (llama2.c forward pass) and a host-side
# quantizer, linked into the unit tests only. Floats and heap are fine here.
REF_SRCS := $(sort $(wildcard tools/ref/*.c))
REF_LIB  := $(BUILD)/libfieldlm-ref.a

$(REF_LIB): $(call obj,$(REF_SRCS))
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && $(AR) rcs $@ $^

$(UNIT): $(REF_LIB)
$(BENCH_BIN): $(REF_LIB)
