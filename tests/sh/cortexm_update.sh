# The A/B model update on both MPS2 boards under QEMU, on their NOR part
# (boards/common/mps2/selftest_update.c, `--update-selftest`): the linked
# model streamed into a slot in chunks and confirmed at its first boot, a
# corrupted image and one over the arena budget refused, a failed
# self-test rolled back, then updates cut at 40 points of their units (the
# slot's bytes, its erase, the boot record's saves, both ways): after every
# cut the board boots a verified slot, never the factory image, and the
# update completes. Both boards must report the same.
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# lock: mps2-an386 mps2-an385 (tests/run.sh: it builds and relinks these boards' folders in build/)
set -u
for tool in arm-none-eabi-gcc qemu-system-arm; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for board in mps2-an386 mps2-an385; do
    make -s -j2 BOARD=$board SAN=0 >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "make BOARD=$board failed"; exit 1; }
    if ! timeout 300 make -s BOARD=$board SAN=0 run ARGS=--update-selftest >"$tmp/out" 2>"$tmp/err.$board"; then
        cat "$tmp/err.$board"; echo "$board: update selftest failed"; status=1; continue
    fi
    grep -q '^update: slot A installed from flash in 4096-byte chunks and confirmed at boot; self-test tokens [0-9 ]*$' "$tmp/err.$board" &&
        grep -q '^update: refused a corrupted image (CRC) and one over the arena budget; a failed self-test rolled back to slot A$' "$tmp/err.$board" &&
        grep -q '^update on the flash part: 40 cuts in [0-9]* units, every boot on a verified slot ([1-9][0-9]* the old, [1-9][0-9]* the new), [1-9][0-9]* installs resumed, each update completed$' "$tmp/err.$board" ||
        { echo "$board: unexpected log:"; cat "$tmp/err.$board"; status=1; continue; }
    sed "s/^/$board: /" "$tmp/err.$board"
done
if [ $status -eq 0 ] && ! cmp -s "$tmp/err.mps2-an386" "$tmp/err.mps2-an385"; then
    echo "the two boards differ:"; diff "$tmp/err.mps2-an386" "$tmp/err.mps2-an385"; status=1
fi
exit $status
