# cloudsim: the OpenAI-compatible HTTPS test server, for the build machine
# only (cross boards have no mbedTLS). It is a host tool with an ordinary
# heap, so it links Debian's shared mbedTLS, not the pool-backed copies the
# runtime uses.
ifeq ($(BOARD),host)
CLOUDSIM := $(BUILD)/cloudsim

$(CLOUDSIM): $(call obj,tools/cloudsim/cloudsim.c) $(LIB)
	@$(if $(SAY),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ -lmbedtls -lmbedx509 -lmbedcrypto

all: $(CLOUDSIM)
TEST_DEPS += $(CLOUDSIM)
endif
