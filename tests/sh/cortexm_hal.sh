# The bare-metal HAL (port/cortexm, boards/common/mps2/hal_mps2.c and the
# port/common/ defaults) on the MPS2/MPS3 boards under QEMU (Cortex-M4, M3,
# M33, M55): the firmware's
# --selftest checks the store (capacity, refusal when full, enumeration in
# key order), network, server, entropy, time and watchdog contracts, and
# prints log lines through the port's own integer-only formatter, compared
# here with what the store must hold and what printf would print. The
# store is the flash one (hal_store_mps2.c): the self-test then cuts the
# power of its NOR part at a few hundred points (inside every call, across
# garbage collections, in their commit word) under the store and under the
# store-and-forward queue (selftest_store.c), and each must recover; every
# board must report the same cuts.
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# lock: mps2-an386 mps2-an385 mps2-an505 mps3-an547 (tests/run.sh: it builds and relinks these boards' folders in build/)
set -u
for tool in arm-none-eabi-gcc qemu-system-arm; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/want" <<'WANT'
store records=32/32 bytes=52/15701 record_max=16305
store keys q.*: q.0001 q.0002 q.0003
fmt [-42] [    7] [ab  ] [beef] [-9000000000] [123] [abc] [z%]
fmt [18446744073709551615] [FF] [x  ] [-0012] [-2147483648]
WANT
status=0
boards="mps2-an386 mps2-an385 mps2-an505 mps3-an547"
for board in $boards; do
    make -s -j2 BOARD=$board SAN=0 >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "make BOARD=$board failed"; exit 1; }
    if ! timeout 60 make -s BOARD=$board SAN=0 run ARGS=--selftest >"$tmp/out" 2>"$tmp/err"; then
        cat "$tmp/err"; echo "$board: selftest failed"; status=1; continue
    fi
    grep -E '^(store flash|queue on the flash store)' "$tmp/err" > "$tmp/cuts.$board"
    grep -vE '^(store flash|queue on the flash store)' "$tmp/err" > "$tmp/log"
    if cmp -s "$tmp/want" "$tmp/log"; then
        echo "$board: selftest passed, log formatting identical to printf"
    else
        echo "$board: log lines differ:"; diff "$tmp/want" "$tmp/log"; status=1
    fi
    # At least a hundred cuts each, across at least one garbage collection.
    store_cuts=$(sed -n 's/^store flash .*: \([0-9]*\) cuts in [0-9]* units, \([1-9][0-9]*\) garbage collections, every key whole$/\1/p' "$tmp/cuts.$board")
    queue_cuts=$(sed -n 's/^queue on the flash store: \([0-9]*\) cuts in [0-9]* units, [1-9][0-9]* garbage collections: every acknowledged item once, nothing torn delivered$/\1/p' "$tmp/cuts.$board")
    if [ "${store_cuts:-0}" -ge 100 ] && [ "${queue_cuts:-0}" -ge 100 ]; then
        sed "s/^/$board: /" "$tmp/cuts.$board"
    else
        echo "$board: power-cut self-tests missing or too small:"; cat "$tmp/cuts.$board"; status=1
    fi
    # A bad option must fail the run, visibly, through the exit status.
    if timeout 60 make -s BOARD=$board SAN=0 run ARGS=--bogus >/dev/null 2>"$tmp/err"; then
        echo "$board: an unknown option did not fail the run"; status=1
    fi
    grep -q "unknown option '--bogus'" "$tmp/err" || { echo "$board: no message for a bad option"; status=1; }
done
for board in $boards; do
    if ! cmp -s "$tmp/cuts.mps2-an386" "$tmp/cuts.$board"; then
        echo "$board cuts differently from mps2-an386:"; diff "$tmp/cuts.mps2-an386" "$tmp/cuts.$board"; status=1
    fi
done
exit $status
