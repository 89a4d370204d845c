# port/common: HAL pieces every port shares (store key rule, transport view).
EXTRA_LIB_SRCS += port/common/hal_common.c
