include boards/common/posix.mk
