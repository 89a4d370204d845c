# The MPS2/MPS3 boards' UART console (CONSOLE=uart: the FPGA's CMSDK APB
# UART 0, boards/common/mps2/console_uart.c) under QEMU, `-serial file:`:
# the greedy demo's bytes on the wire must be exactly what the semihosting
# build (the default, which the other tests use) prints, its console (the
# story) followed by its log (the stats line), on all four boards.
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# lock: mps2-an386 mps2-an385 mps2-an505 mps3-an547 (tests/run.sh: it builds and relinks these boards' folders in build/)
set -u
for tool in arm-none-eabi-gcc qemu-system-arm; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for board in mps2-an386 mps2-an385 mps2-an505 mps3-an547; do
    make -s -j2 BOARD=$board SAN=0 CONSOLE=uart all demo-build >"$tmp/build.log" 2>&1 || {
        tail -n 30 "$tmp/build.log"; echo "make BOARD=$board CONSOLE=uart failed"; exit 1; }
    if ! timeout 60 make -s BOARD=$board SAN=0 CONSOLE=uart MPS2_SERIAL=file:"$tmp/uart" demo \
            >"$tmp/uart.semi" 2>&1; then
        cat "$tmp/uart.semi"; echo "$board: the UART build failed"; status=1; continue
    fi
    [ -s "$tmp/uart.semi" ] && { echo "$board: the UART build wrote to semihosting:"; cat "$tmp/uart.semi"; status=1; }
    make -s -j2 BOARD=$board SAN=0 all demo-build >"$tmp/build.log" 2>&1 || {
        tail -n 30 "$tmp/build.log"; echo "make BOARD=$board failed"; exit 1; }
    timeout 60 make -s BOARD=$board SAN=0 demo >"$tmp/out" 2>"$tmp/err" || {
        cat "$tmp/err"; echo "$board: the semihosting build failed"; status=1; continue; }
    cat "$tmp/out" "$tmp/err" > "$tmp/semi"
    if cmp -s "$tmp/semi" "$tmp/uart"; then
        echo "$board: UART console identical to semihosting ($(wc -c < "$tmp/out") + $(wc -c < "$tmp/err") bytes)"
    else
        echo "$board: the UART carries other bytes:"; diff "$tmp/semi" "$tmp/uart" | head; status=1
    fi
    rm -f "$tmp/uart"
done
exit $status
