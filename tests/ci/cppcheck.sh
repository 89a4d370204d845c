#!/bin/sh
# CI: cppcheck over core/ and port/, in the two configurations the sources
# are built in (the POSIX port with every capability; the bare-metal
# defaults of port/common and port/cortexm with none), checks "warning",
# "performance" and "portability" plus the errors it always reports.
# Zero findings: a false positive is suppressed where it is, with
# "// cppcheck-suppress ID" and a comment saying why it cannot happen.
#
# usage: BUILD=build/host sh tests/ci/cppcheck.sh
set -u
BUILD=${BUILD:-build/host}
command -v cppcheck >/dev/null 2>&1 || { echo "cppcheck is not installed"; exit 1; }
gen=$(mktemp -d); trap 'rm -rf "$gen"' EXIT
common="--quiet --std=c11 --enable=warning,performance,portability --inline-suppr --error-exitcode=1
        -j 2 -I. -D__GNUC__ -DFLM_BUILD_CONFIG_FILE=\"flm_build_config.h\" --suppress=missingIncludeSystem"
status=0

echo '#define FLM_HAL_HAS_TLS 1' >"$gen/flm_build_config.h"
posix=$(ls core/*/*.c core/*/*/*.c port/posix/*.c port/mbedtls/*.c \
        port/common/hal_common.c port/common/ram_store.c 2>/dev/null)
cppcheck $common -I"$gen" -DFLM_HAL_HAS_NET=1 -DFLM_HAL_HAS_NET_SERVER=1 \
    -DFLM_HAL_HAS_STORAGE_PERSISTENT=1 -DFLM_HAL_HAS_ENTROPY=1 -DFLM_HAL_HAS_FILES=1 \
    -DFLM_HAL_HAS_UTC_CLOCK=1 -DFLM_HAL_HAS_SLOTS=1 -DFLM_HAL_HAS_THREADS=1 $posix || status=1

mkdir -p "$gen/bare"
echo '#define FLM_HAL_HAS_TLS 0' >"$gen/bare/flm_build_config.h"
bare=$(ls port/common/*.c port/cortexm/*.c)
cppcheck $common -I"$gen/bare" -DFLM_CFG_CLOUD=0 -DFLM_CFG_DEVICE_FILE=0 $bare || status=1

n=$(echo $posix $bare | wc -w)
[ $status -eq 0 ] || { echo "FAIL cppcheck: findings above"; exit 1; }
echo "ok   cppcheck: $n files, no findings"
