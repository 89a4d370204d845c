# port/posix: the reference port (Linux; the host and the ARM Linux
# boards). It implements every capability itself and takes no default from
# port/common/.
POSIX_HAL_CAPS := -DFLM_HAL_HAS_NET=1 -DFLM_HAL_HAS_NET_SERVER=1 \
                  -DFLM_HAL_HAS_STORAGE_PERSISTENT=1 -DFLM_HAL_HAS_STORAGE_SHARED=1 \
                  -DFLM_HAL_HAS_ENTROPY=1 \
                  -DFLM_HAL_HAS_FILES=1 -DFLM_HAL_HAS_UTC_CLOCK=1 \
                  -DFLM_HAL_HAS_SLOTS=1 -DFLM_HAL_HAS_THREADS=1
ifeq ($(PORT),posix)
HAL_CAPS := $(POSIX_HAL_CAPS)
CFLAGS   += $(HAL_CAPS)
# the thread pool (hal_posix_parallel.c)
LDLIBS   += -pthread
endif
