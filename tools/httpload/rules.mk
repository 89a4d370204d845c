# httpload: the server tests' own HTTP client (raw bytes, and the bounded
# load test), for the build machine only. A host tool: threads and a heap;
# it reads responses with core/proto's parser.
ifeq ($(BOARD),host)
HTTPLOAD := $(BUILD)/httpload

$(HTTPLOAD): $(call obj,tools/httpload/httpload.c) $(LIB)
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lpthread

all: $(HTTPLOAD)
TEST_DEPS += $(HTTPLOAD)
endif
