include boards/common/mps2/rules.mk
