# The stories260K demo (greedy "Once upon a time", 64 positions), a seeded
# sampling run, the greedy demo on int4 weights (DEMO_BITS=4) and the
# router's decisions for a list of prompts (score, route, reason) must print
# byte-identical text on every board: the
# host, ARM Linux under qemu-user and bare-metal Cortex-M4/M3 under
# qemu-system-arm. Each board is built with `make BOARD=<name>` and run with
# `make BOARD=<name> demo` / `demo-sample` / `route` (and `DEMO_BITS=4 demo`).
set -u
shared=${FLM_SHARED:-../shared}
[ -f "$shared/models/stories260K.bin" ] || { echo "no $shared/models/stories260K.bin"; exit 77; }
for tool in aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc arm-none-eabi-gcc \
            qemu-aarch64 qemu-arm qemu-system-arm; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done

unset MAKEFLAGS MFLAGS MAKELEVEL
boards="host linux-aarch64 linux-armhf mps2-an386 mps2-an385"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for board in $boards; do
    make -s -j2 BOARD=$board SAN=0 all demo-build >"$tmp/build.log" 2>&1 || {
        tail -n 30 "$tmp/build.log"; echo "make BOARD=$board failed"; exit 1; }
    for demo in demo demo-sample route demo-q4; do
        bits=8 target=$demo
        [ $demo = demo-q4 ] && bits=4 target=demo
        # the firmware links its model: relink (quietly) when the bits change
        make -s -j2 BOARD=$board SAN=0 DEMO_BITS=$bits demo-build >"$tmp/build.log" 2>&1 || {
            tail -n 30 "$tmp/build.log"; echo "make BOARD=$board DEMO_BITS=$bits failed"; exit 1; }
        if ! timeout 300 make -s BOARD=$board SAN=0 DEMO_BITS=$bits $target >"$tmp/$demo.$board" 2>"$tmp/err"; then
            cat "$tmp/err"; echo "make BOARD=$board $demo failed"; status=1; continue
        fi
        if [ "$board" = host ]; then
            [ -s "$tmp/$demo.host" ] || { echo "host $demo printed nothing"; status=1; }
            printf '%s (host): ' "$demo"; cat "$tmp/$demo.host"
        elif cmp -s "$tmp/$demo.host" "$tmp/$demo.$board"; then
            echo "$board $demo: identical ($(wc -c < "$tmp/$demo.$board") bytes)"
        else
            echo "$board $demo differs from host:"; diff "$tmp/$demo.host" "$tmp/$demo.$board" | head -n 10
            status=1
        fi
    done
done
exit $status
