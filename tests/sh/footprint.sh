# `make BOARD=<board> footprint` works and is deterministic on the Cortex-M4
# (mps2-an386), M33 (mps2-an505) and M55 (mps3-an547): the qemu-insn plugin
# counts the same instructions per token on every run, and the whole
# program fits the 256 KB-RAM budget the README states. The per-function
# profile (`make profile`) accounts for the same total.
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# lock: mps2-an386 mps2-an505 mps3-an547 qemu-insn (tests/run.sh: it builds and relinks these boards' folders in build/ and the qemu-insn plugin)
set -u
shared=${FLM_SHARED:-../shared}
[ -f "$shared/models/stories260K.bin" ] || { echo "no $shared/models/stories260K.bin"; exit 77; }
for tool in arm-none-eabi-gcc qemu-system-arm; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for board in mps2-an386 mps2-an505 mps3-an547; do
    make -s -j2 BOARD=$board SAN=0 all demo-build qemu-insn >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; exit 1; }
    for run in 1 2; do
        if ! make -s BOARD=$board SAN=0 footprint >"$tmp/fp.$run" 2>&1; then
            cat "$tmp/fp.$run"
            # QEMU builds without TCG plugins, or with a newer plugin API only.
            grep -q "Could not load plugin" "$tmp/fp.$run" && { echo "this QEMU cannot load the qemu-insn plugin"; exit 77; }
            exit 1
        fi
    done
    cat "$tmp/fp.1"
    cmp -s "$tmp/fp.1" "$tmp/fp.2" || { echo "$board: two footprint runs differ:"; diff "$tmp/fp.1" "$tmp/fp.2"; exit 1; }
    per_token=$(awk '/instructions per generated token/ { print $5 }' "$tmp/fp.1")
    ram=$(sed -n 's/.*RAM    total[^)]*) *\([0-9]*\).*/\1/p' "$tmp/fp.1")
    [ "${per_token:-0}" -gt 0 ] || { echo "$board: no instruction count per token"; exit 1; }
    [ "${ram:-999999}" -le 262144 ] || { echo "$board: RAM total $ram exceeds 256 KiB"; exit 1; }
    make -s BOARD=$board SAN=0 profile >"$tmp/prof" 2>&1 || { cat "$tmp/prof"; exit 1; }
    whole=$(awk '/instructions, whole run/ { print $4 }' "$tmp/fp.1")
    profiled=$(awk '$3 == "(total)" { print $2 }' "$tmp/prof")
    [ "$whole" = "$profiled" ] || { echo "$board: profile total $profiled != footprint total $whole"; cat "$tmp/prof"; exit 1; }
    echo "$board deterministic: $per_token instructions per generated token; RAM $ram bytes"
done
