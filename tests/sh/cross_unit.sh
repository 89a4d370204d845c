# The unit tests are portable C: build them for the ARM Linux boards and run
# them under qemu-user, so 32-bit (armhf: 32-bit long and size_t) and
# 64-bit ARM behave like the build machine.
set -u
case "${BUILD:-}" in
    *-san) echo "ARM unit tests run once, in the plain (non-sanitizer) pass"; exit 77 ;;
esac
for tool in aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc qemu-aarch64 qemu-arm; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for board in linux-aarch64 linux-armhf; do
    make -s -j2 BOARD=$board SAN=0 build/$board/tests/unit >"$tmp/build.log" 2>&1 || {
        tail -n 30 "$tmp/build.log"; echo "make BOARD=$board failed"; exit 1; }
    if make -s BOARD=$board SAN=0 run-unit >"$tmp/out" 2>&1; then
        echo "$board: $(tail -n 1 "$tmp/out")"
    else
        grep -E '^FAIL|check failed' "$tmp/out"; echo "$board: $(tail -n 1 "$tmp/out")"; status=1
    fi
done
exit $status
