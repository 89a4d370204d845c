# tests/noheap: alloc_probe, a program with its own malloc/free that makes
# real TLS requests through the runtime and fails on any allocator call
# between init and deinit (tests/sh/noheap_runtime.sh). Host builds without
# sanitizers only (they replace the allocator themselves).
ifeq ($(BOARD)$(SAN),host0)
ALLOC_PROBE := $(BUILD)/tests/alloc_probe
# No builtins: GCC may turn a bump allocation plus memset into a call to
# calloc, which here is ourselves.
CFLAGS_tests/noheap/ += -fno-builtin
$(ALLOC_PROBE): $(call obj,tests/noheap/alloc_probe.c) $(LIB) $(TLS_POOL_LIBS)
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $(call obj,tests/noheap/alloc_probe.c) $(LIB) $(LDLIBS) -lm
all: $(ALLOC_PROBE)
TEST_DEPS += $(ALLOC_PROBE)
endif
