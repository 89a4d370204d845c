# qemu-insn: the instruction-counting QEMU plugin (a host shared object,
# whatever BOARD is being built). Used by `make BOARD=mps2-an386 footprint`.
HOST_CC   ?= cc
QEMU_INSN := build/qemu-insn/libinsn.so

$(QEMU_INSN): tools/qemu-insn/insn.c tools/qemu-insn/qemu-plugin-v1.h
	@mkdir -p $(dir $@)
	@$(if $(SAY),echo "  CC      $@")
	$(Q)$(HOST_CC) -std=c11 $(WARN) -O2 -I. -fPIC -shared -fvisibility=hidden -o $@ $<

.PHONY: qemu-insn
qemu-insn: $(QEMU_INSN)
