# The kernels' unit tests on the Cortex-M cores themselves, under
# qemu-system-arm (`make BOARD=<board> run-unit`, boards/common/mps2/unit.mk):
# on the Cortex-M55 (mps3-an547) every MVE (Helium) variant, and the DSP
# ones the M55 also has, and on the Cortex-M33 (mps2-an505) the DSP ones,
# must give their _ref's bits on random and ragged shapes
# (test_kernels_variants.c), with the golden hashes and the accuracy tests
# of tests/unit/kernels/ as on the host.
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# lock: mps3-an547 mps2-an505 (tests/run.sh: it builds and relinks these boards' folders in build/)
set -u
for tool in arm-none-eabi-gcc qemu-system-arm; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for board in mps3-an547:mve mps2-an505:dsp; do
    isa=${board#*:} board=${board%:*}
    make -s -j2 BOARD=$board SAN=0 build/$board/tests/unit.elf >"$tmp/build.log" 2>&1 || {
        tail -n 30 "$tmp/build.log"; echo "make BOARD=$board unit.elf failed"; exit 1; }
    if ! timeout 600 make -s BOARD=$board SAN=0 run-unit T=kernels_ >"$tmp/out" 2>&1; then
        grep -E '^FAIL|check failed' "$tmp/out"; tail -n 3 "$tmp/out"; echo "$board: kernel tests failed"; status=1
        continue
    fi
    # the variants compared must be this core's
    for op in matvec_q8_s16 matvec_q4_s16 attention_head_q; do
        grep -q "flm_${op}_ref -> flm_${op}_$isa\$" "$tmp/out" || {
            echo "$board: $op does not select its $isa variant"; grep -- '->' "$tmp/out"; status=1; }
    done
    echo "$board ($isa): $(tail -n 1 "$tmp/out"); $(grep -E 'comparisons with' "$tmp/out" | sed 's/^ *//' | tr '\n' ';' | sed 's/;$//; s/;/; /g')"
done
exit $status
