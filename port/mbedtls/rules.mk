# TLS client streams (core/hal/hal_tls.h) on mbedTLS 2.28 (Debian's
# libmbedtls-dev). A build without it (TLS=0, or a port other than posix)
# takes port/common/hal_tls_none.c: plain http only.
#
# No heap: Debian's mbedTLS calls calloc/free and lacks both
# MBEDTLS_MEMORY_BUFFER_ALLOC_C and MBEDTLS_PLATFORM_MEMORY. Linking with
# -Wl,--wrap=calloc,--wrap=free would capture every calloc of the CLI, the
# tests and the sanitizer runtime too; rebuilding mbedTLS from source would
# add a build of its own. Instead, copies of the static libraries get their
# calloc/free references renamed to the pool in tls_pool.c (objcopy
# --redefine-sym): the redirection is confined to mbedTLS's own objects,
# nothing else in the link changes, and tests/sh/tls_noheap.sh proves the
# copies reference no allocator.
#
# The same rename takes the other libc calls that allocate behind the
# caller's back away from mbedTLS (libc.syms; tls_libc.h says why each):
# time and gmtime_r go to the HAL's calendar clock and core/base/utc.c
# (glibc's gmtime_r runs tzset: heap and /etc/localtime in every first
# handshake), snprintf to core/base/fmt.c, and file, directory, name-lookup
# and stdout calls to stubs that refuse. Debian's build has neither
# MBEDTLS_PLATFORM_TIME_ALT nor MBEDTLS_PLATFORM_GMTIME_R_ALT, which would
# be the in-library way; the rename reaches the same calls in the objects we
# link without a build of mbedTLS of our own. tests/sh/tls_noheap.sh runs
# the runtime's no-heap check on the copies, and tests/sh/noheap_runtime.sh
# makes a real TLS request under an allocator that fails on any call.

MBEDTLS_LIBDIR ?= /usr/lib/$(shell $(CC) -dumpmachine 2>/dev/null)
MBEDTLS_NAMES  := mbedtls mbedx509 mbedcrypto
OBJCOPY        ?= objcopy

ifeq ($(TLS),1)
ifneq ($(PORT),posix)
override TLS := 0
else ifeq ($(wildcard $(MBEDTLS_LIBDIR)/libmbedtls.a),)
$(warning no static mbedTLS in $(MBEDTLS_LIBDIR): building with TLS=0)
override TLS := 0
endif
endif

# Hosts verify against the whole system CA bundle (~460 KiB parsed); a
# device pins one CA and keeps tls_pool.h's smaller default.
ifeq ($(PORT),posix)
CFLAGS_port/mbedtls/ += -DFLM_TLS_POOL_SIZE='(1024u * 1024u)'
endif
$(call obj,port/mbedtls/tls_pool.c): port/mbedtls/rules.mk

# The pool has no mbedTLS dependency: built always, so its tests run always.
TLS_POOL_SRCS := port/mbedtls/tls_pool.c
TLS_SRCS      := port/mbedtls/tls.c port/mbedtls/tls_libc.c port/mbedtls/tls_ip_san.c \
                 port/mbedtls/sig_p256.c
TLS_NONE_SRCS := port/common/hal_tls_none.c port/common/hal_sig_none.c
EXTRA_LIB_SRCS += $(TLS_POOL_SRCS)

# Image signatures for the A/B update (core/hal/hal_sig.h) come with mbedTLS
# too: ECDSA P-256 against the key UPDATE_PUBKEY names (a PEM file, private
# or public; tools/update/pubkey_header.sh turns it into the header), by
# default the development key tools/update/dev-p256.pem.
UPDATE_PUBKEY ?=
ifneq ($(TLS),1)
EXTRA_LIB_SRCS += $(TLS_NONE_SRCS)
else
EXTRA_LIB_SRCS += $(TLS_SRCS)
ifneq ($(UPDATE_PUBKEY),)
UPDATE_PUBKEY_HDR := $(BUILD)/gen/flm_update_pubkey.h
CFLAGS_port/mbedtls/ += -DFLM_UPDATE_PUBKEY_H='"flm_update_pubkey.h"'
$(UPDATE_PUBKEY_HDR): $(UPDATE_PUBKEY) tools/update/pubkey_header.sh
	@mkdir -p $(dir $@)
	$(Q)sh tools/update/pubkey_header.sh $< > $@.tmp && mv $@.tmp $@
$(call obj,port/mbedtls/sig_p256.c): $(UPDATE_PUBKEY_HDR)
endif
TLS_POOL_LIBS  := $(patsubst %,$(BUILD)/mbedtls/lib%.a,$(MBEDTLS_NAMES))
# $(LIB) again after them: their calloc/free now name the pool, which is in it.
LDLIBS         += $(TLS_POOL_LIBS) $(LIB) -lpthread

$(BUILD)/mbedtls/lib%.a: $(MBEDTLS_LIBDIR)/lib%.a port/mbedtls/rules.mk port/mbedtls/libc.syms
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  OBJCOPY $@")
	$(Q)$(OBJCOPY) --redefine-syms=port/mbedtls/libc.syms $< $@

$(CLI) $(UNIT): | $(TLS_POOL_LIBS)
endif
