# The demo (greedy "Once upon a time", 64 positions), a seeded sampling run,
# the router's decisions for a list of prompts (score, route, reason),
# the greedy demo on int4 weights (DEMO_BITS=4, stories260K) and a model
# converted from llama.cpp's Q4_0 GGUF file (llama2xs)
# must print byte-identical text on every board: the host, ARM Linux under
# qemu-user, bare-metal Cortex-M4/M3/M33/M55 under qemu-system-arm (the
# M55 on its MVE kernels, the M33 and M4 on their DSP ones) and bare-metal
# RV32IMC under qemu-system-riscv32. Each board is
# built with `make BOARD=<name>` and run with `make BOARD=<name> demo` /
# `demo-sample` / `route`, with the project's default model (models/) and,
# when ../shared is there, the reference stories260K. The ARM Linux boards
# run a second time on an emulated CPU without the extension their kernels
# choose at run time (board@cpu: AArch64 without the dot product, ARMv7-A
# without NEON), so every kernel variant gives the same text: there the
# default model's three runs (int8: greedy, sampled, routed) and the int4
# stories260K demo, one run per weight format and path, not all nine (the
# int8 stories260K and the int4 llama2xs runs go through the same kernel
# variants; cross_unit.sh checks every kernel and transformer_bits on both
# CPUs bit for bit against _ref). 10 runs of qemu-user fewer, ~6 s of CPU
# (measured: 0.3-1.3 s each; most of the script is the bare-metal boards).
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# long: (about 2 minutes in CI: every board, most of them built from cold here)
# lock: linux-aarch64 linux-armhf mps2-an386 mps2-an385 mps2-an505 mps3-an547 riscv32-virt (tests/run.sh: it builds and relinks these boards' folders in build/)
set -u
shared=${FLM_SHARED:-../shared}
default_model=models/fieldtales-800k.flm
[ -f "$default_model" ] || { echo "no $default_model"; exit 1; }
for tool in aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc arm-none-eabi-gcc \
            qemu-aarch64 qemu-arm qemu-system-arm riscv64-unknown-elf-gcc qemu-system-riscv32; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
# model:bits:demos[:context]
cases="$default_model:8:demo,demo-sample,route"
cpu_cases=$cases # the board@cpu runs
if [ -f "$shared/models/stories260K.bin" ]; then
    cases="$cases build/models/stories260K.flm:8:demo,demo-sample,route build/models/stories260K-q4.flm:4:demo"
    cpu_cases="$cpu_cases build/models/stories260K-q4.flm:4:demo"
    # a model written by llama.cpp's tools: its Q4_0 GGUF file converted to int4
    make -s SAN=0 cli >/dev/null 2>&1 && mkdir -p build/models &&
        build/host/fieldlm convert --in "$shared/models/gguf/llama2xs-Q4_0.gguf" --bits 4 \
            --out build/models/llama2xs-q4.flm >/dev/null ||
        { echo "cannot convert llama2xs-Q4_0.gguf"; exit 1; }
    cases="$cases build/models/llama2xs-q4.flm:4:demo,demo-sample:128"
else
    echo "no $shared/models/stories260K.bin: the default model only"
fi

unset MAKEFLAGS MFLAGS MAKELEVEL
boards="host linux-aarch64 linux-aarch64@cortex-a72 linux-armhf linux-armhf@cortex-r5f mps2-an386 mps2-an385 mps2-an505 mps3-an547 riscv32-virt"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for run in $boards; do
    board=${run%@*} cpu=
    [ "$board" = "$run" ] || cpu=${run#*@}
    for case in $(if [ -n "$cpu" ]; then echo $cpu_cases; else echo $cases; fi); do
        model=${case%%:*} rest=${case#*:} bits=${rest%%:*} rest=${rest#*:}
        demos=$(echo "${rest%%:*}" | tr , ' ') ctx=256
        [ "${rest#*:}" = "$rest" ] || ctx=${rest#*:}
        name=$(basename "$model" .flm)
        # the firmware links its model: relink (quietly) for each one
        make -s -j2 BOARD=$board SAN=0 DEMO_MODEL=$model DEMO_BITS=$bits DEMO_CTX=$ctx all demo-build >"$tmp/build.log" 2>&1 || {
            tail -n 30 "$tmp/build.log"; echo "make BOARD=$board DEMO_MODEL=$model failed"; exit 1; }
        for demo in $demos; do
            out="$tmp/$demo.$name.$run"
            if ! env ${cpu:+QEMU_CPU=$cpu} timeout 300 make -s BOARD=$board SAN=0 DEMO_MODEL=$model DEMO_BITS=$bits DEMO_CTX=$ctx $demo >"$out" 2>"$tmp/err"; then
                cat "$tmp/err"; echo "make BOARD=$board $demo ($name${cpu:+, -cpu $cpu}) failed"; status=1; continue
            fi
            if [ "$board" = host ]; then
                [ -s "$out" ] || { echo "host $demo ($name) printed nothing"; status=1; }
                printf '%s, %s (host): ' "$demo" "$name"; cat "$out"
            elif cmp -s "$tmp/$demo.$name.host" "$out"; then
                echo "$run $demo, $name: identical ($(wc -c < "$out") bytes)"
            else
                echo "$run $demo, $name differs from host:"; diff "$tmp/$demo.$name.host" "$out" | head -n 10
                status=1
            fi
        done
    done
done
exit $status
