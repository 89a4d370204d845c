# The RISC-V board (boards/riscv32-virt: RV32IMC, picolibc, port/riscv)
# under qemu-system-riscv32 -M virt, beyond cross_port's byte-identical
# demos:
#  - the HAL self-test (store, capacity, enumeration, network/server/
#    entropy answers, time, watchdog, the integer formatter, the flash
#    store's and the queue's power cuts) prints what it prints on the MPS2
#    boards (tests/sh/cortexm_hal.sh), cut for cut;
#  - the product's console: run without semihosting (no debugger), the
#    trap turns the semihosting calls into failed ones, the demo runs on
#    its defaults (the greedy 64 positions) and the UART carries the story,
#    the host's byte for byte, then the log lines; the exit status comes
#    through the SiFive test device either way (a bad option: 2);
#  - `make BOARD=riscv32-virt footprint` is deterministic (two runs, the
#    same instruction counts) and within the 256 KB RAM budget, and the
#    profile accounts for the same total.
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# lock: riscv32-virt qemu-insn (tests/run.sh: it builds and relinks these boards' folders in build/ and the qemu-insn plugin)
set -u
for tool in riscv64-unknown-elf-gcc qemu-system-riscv32; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
[ -f /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ] ||
    { echo "picolibc-riscv64-unknown-elf not installed (see .ci/packages.txt)"; exit 77; }
unset MAKEFLAGS MFLAGS MAKELEVEL
board=riscv32-virt fw=build/riscv32-virt/fieldlm.elf
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
make -s -j2 BOARD=$board SAN=0 all demo-build >"$tmp/build.log" 2>&1 &&
    make -s -j2 SAN=0 cli >>"$tmp/build.log" 2>&1 || { tail -n 30 "$tmp/build.log"; echo "make BOARD=$board failed"; exit 1; }

# ---- the HAL self-test ----------------------------------------------------
cat > "$tmp/want" <<'WANT'
store records=32/32 bytes=52/15701 record_max=16305
store keys q.*: q.0001 q.0002 q.0003
fmt [-42] [    7] [ab  ] [beef] [-9000000000] [123] [abc] [z%]
fmt [18446744073709551615] [FF] [x  ] [-0012] [-2147483648]
WANT
if timeout 120 make -s BOARD=$board SAN=0 run ARGS=--selftest >"$tmp/out" 2>"$tmp/err"; then
    grep -vE '^(store flash|queue on the flash store)' "$tmp/err" > "$tmp/log"
    if cmp -s "$tmp/want" "$tmp/log"; then
        echo "selftest passed, log formatting identical to printf"
    else
        echo "selftest log lines differ:"; diff "$tmp/want" "$tmp/log"; status=1
    fi
    grep -E '^(store flash|queue on the flash store)' "$tmp/err" > "$tmp/cuts"
    store_cuts=$(sed -n 's/^store flash .*: \([0-9]*\) cuts in [0-9]* units, [1-9][0-9]* garbage collections, every key whole$/\1/p' "$tmp/cuts")
    queue_cuts=$(sed -n 's/^queue on the flash store: \([0-9]*\) cuts in [0-9]* units, [1-9][0-9]* garbage collections: every acknowledged item once, nothing torn delivered$/\1/p' "$tmp/cuts")
    if [ "${store_cuts:-0}" -ge 100 ] && [ "${queue_cuts:-0}" -ge 100 ]; then
        cat "$tmp/cuts"
    else
        echo "power-cut self-tests missing or too small:"; cat "$tmp/cuts"; status=1
    fi
else
    cat "$tmp/err"; echo "selftest failed"; status=1
fi
if timeout 60 make -s BOARD=$board SAN=0 run ARGS=--bogus >/dev/null 2>"$tmp/err"; then
    echo "an unknown option did not fail the run"; status=1
else
    grep -q "unknown option '--bogus'" "$tmp/err" || { echo "no message for a bad option"; status=1; }
fi

# ---- no semihosting: the UART is the only line -----------------------------
make -s SAN=0 demo >"$tmp/host" 2>/dev/null || { echo "host demo failed"; exit 1; }
if timeout 120 qemu-system-riscv32 -M virt -bios none -display none -monitor none -serial stdio \
        -kernel "$fw" >"$tmp/uart" 2>"$tmp/err" </dev/null; then
    n=$(wc -l < "$tmp/host")
    head -n "$n" "$tmp/uart" > "$tmp/story"
    if ! cmp -s "$tmp/host" "$tmp/story"; then
        echo "the UART's story differs from the host's:"; diff "$tmp/host" "$tmp/story" | head; status=1
    elif ! tail -n +"$((n + 1))" "$tmp/uart" | grep -q '^stats ctx_len=256 positions=64 '; then
        echo "no log line on the UART after the story:"; cat "$tmp/uart"; status=1
    else
        echo "without semihosting: the story on the UART ($(wc -c < "$tmp/story") bytes, identical), then the log"
    fi
    [ -s "$tmp/err" ] && { echo "QEMU's stderr without semihosting:"; cat "$tmp/err"; status=1; }
else
    cat "$tmp/uart" "$tmp/err"; echo "the firmware failed without semihosting"; status=1
fi

# ---- footprint and profile ----------------------------------------------------
for run in 1 2; do
    if ! make -s BOARD=$board SAN=0 footprint >"$tmp/fp.$run" 2>&1; then
        cat "$tmp/fp.$run"
        grep -q "Could not load plugin" "$tmp/fp.$run" && { echo "this QEMU cannot load the qemu-insn plugin"; exit 77; }
        exit 1
    fi
done
cat "$tmp/fp.1"
cmp -s "$tmp/fp.1" "$tmp/fp.2" || { echo "two footprint runs differ:"; diff "$tmp/fp.1" "$tmp/fp.2"; exit 1; }
per_token=$(awk '/instructions per generated token/ { print $5 }' "$tmp/fp.1")
ram=$(sed -n 's/.*RAM    total[^)]*) *\([0-9]*\).*/\1/p' "$tmp/fp.1")
[ "${per_token:-0}" -gt 0 ] || { echo "no instruction count per token"; exit 1; }
[ "${ram:-999999}" -le 262144 ] || { echo "RAM total $ram exceeds 256 KiB"; exit 1; }
make -s BOARD=$board SAN=0 profile >"$tmp/prof" 2>&1 || { cat "$tmp/prof"; exit 1; }
whole=$(awk '/instructions, whole run/ { print $4 }' "$tmp/fp.1")
profiled=$(awk '$3 == "(total)" { print $2 }' "$tmp/prof")
[ "$whole" = "$profiled" ] || { echo "profile total $profiled != footprint total $whole"; cat "$tmp/prof"; exit 1; }
echo "deterministic: $per_token instructions per generated token; RAM $ram bytes"
exit $status
