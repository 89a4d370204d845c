# The hardware watchdog on the MPS2 boards under QEMU (the CMSDK APB
# watchdog: boards/common/mps2/watchdog_cmsdk.c, FLM_HAL_HAS_WATCHDOG), fed
# by the engine's steps: the demo with `--stall 10` stops its loop after 10
# positions on the first boot (it spins without kicking); the watchdog must
# bark (NMI, noted in the boot record that outlives the reset) and then
# reset the board, whose second boot says why it restarted and runs the
# demo whole. So the console carries the first 10 positions' text, then
# the whole greedy story, byte for byte as an unstalled run prints it, and
# the run ends with status 0. Built with a period of 0.5 s (MPS2_WDOG_MS)
# and the default model, the unstalled run of 256 positions lasts several
# periods: kicked at every step, it must never be reset. (AN547: QEMU does
# not model the SSE-300's watchdogs; that board builds with
# MPS2_WATCHDOG=none.)
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# lock: mps2-an386 mps2-an385 mps2-an505 (tests/run.sh: it builds and relinks these boards' folders in build/)
set -u
for tool in arm-none-eabi-gcc qemu-system-arm; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
args="-n 256 -t 0 --ctx 256"
opts="SAN=0 MPS2_WDOG_MS=500 DEMO_MODEL=models/fieldtales-800k.flm"
for board in mps2-an386 mps2-an385 mps2-an505; do
    make -s -j2 BOARD=$board $opts all demo-build >"$tmp/build.log" 2>&1 || {
        tail -n 30 "$tmp/build.log"; echo "make BOARD=$board failed"; exit 1; }
    start=$(date +%s)
    timeout 60 make -s BOARD=$board $opts run ARGS="$args" >"$tmp/plain" 2>"$tmp/plain.err" || {
        cat "$tmp/plain.err"; echo "$board: the demo failed"; status=1; continue; }
    plain_secs=$(( $(date +%s) - start ))
    if grep -q "watchdog" "$tmp/plain.err"; then
        echo "$board: a run that kicks was reset:"; cat "$tmp/plain.err"; status=1; continue
    fi
    start=$(date +%s)
    if ! timeout 60 make -s BOARD=$board $opts run ARGS="$args --stall 10" >"$tmp/out" 2>"$tmp/err"; then
        cat "$tmp/err"; echo "$board: the stalled run did not recover (status or timeout)"; status=1; continue
    fi
    secs=$(( $(date +%s) - start ))
    grep -q '^stalling after 10 positions$' "$tmp/err" &&
        grep -q '^warning: reset by the watchdog (boot 1)$' "$tmp/err" || {
        echo "$board: no watchdog reset reported:"; cat "$tmp/err"; status=1; continue; }
    # the console: a prefix of the story (the stalled boot), then the story
    n=$(wc -c < "$tmp/plain") total=$(wc -c < "$tmp/out")
    head_bytes=$((total - n))
    if [ "$head_bytes" -le 0 ] || ! tail -c "$n" "$tmp/out" | cmp -s - "$tmp/plain" ||
        ! head -c "$head_bytes" "$tmp/out" | cmp -s - "$(head -c "$head_bytes" "$tmp/plain" > "$tmp/prefix"; echo "$tmp/prefix")"; then
        echo "$board: the console is not (stalled prefix, whole story):"; cat "$tmp/out"; echo; status=1; continue
    fi
    echo "$board: 256 positions kicked through ${plain_secs}s without a reset; stalled after 10, reset by the watchdog, then the whole story (${secs}s, $head_bytes + $n bytes)"
done
# leave the boards built as the other tests build them
for board in mps2-an386 mps2-an385 mps2-an505; do
    make -s -j2 BOARD=$board SAN=0 all >/dev/null 2>&1
done
exit $status
