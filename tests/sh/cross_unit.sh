# The unit tests are portable C: build them for the ARM Linux boards and run
# them under qemu-user, so 32-bit (armhf: 32-bit long and size_t) and 64-bit
# ARM keep every contract the build machine keeps. The long float-accuracy
# and whole-file tests, and the queue's exhaustive cut test (the flash-level
# one runs here), are left to the host run (emulated, they take minutes);
# bit-identical results across boards are cross_port's job.
# Each board runs under two emulated CPUs, one with and one without the
# instruction-set extension its kernels choose at run time (AArch64: -cpu
# max has the dot product, cortex-a72 only NEON; armhf: max has NEON,
# cortex-r5f only the DSP extension): every prefix under the first, the
# ones that run the kernels under the second, and each must select the
# variant its CPU calls for.
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# long: (about 100 s in CI: the ARM Linux unit tests built and run under qemu-user)
# lock: linux-aarch64 linux-armhf (tests/run.sh: it builds and relinks these boards' folders in build/)
set -u
case "${BUILD:-}" in
    *-san) echo "ARM unit tests run once, in the plain (non-sanitizer) pass"; exit 77 ;;
esac
for tool in aarch64-linux-gnu-gcc arm-linux-gnueabihf-gcc qemu-aarch64 qemu-arm; do
    command -v $tool >/dev/null || { echo "$tool not installed (see .ci/packages.txt)"; exit 77; }
done
prefixes="arena_ error_ hal_ crc32_ model_ kernels_ sampler_ engine_prompt engine_cancel
          engine_done engine_arena tokenizer_tok512_tricky tokenizer_edges transformer_ram transformer_bits gguf_ tokenizer_bpe server_
          http_ json_ sse_ openai_ cloud_ ini_ fmt_ parse_ strdist_ runtime_ cli_opt_ router_ guard_privacy_
          guard_queue_enqueue guard_queue_refuses guard_queue_full guard_queue_store
          guard_queue_numbers guard_queue_recovery guard_queue_on guard_ledger_ guard_money
          guard_budget guard_config_ update_install update_selftest update_refuses update_unreadable"
# the prefixes whose results go through the kernel variants
kernel_prefixes="kernels_ transformer_ram transformer_bits engine_prompt engine_cancel engine_done
                 engine_arena runtime_ router_"
# board: "CPU:the int8 matvec it must select" for each emulated CPU
cpus_for() {
    case $1 in
        linux-aarch64) echo "max:flm_matvec_q8_s16_dotprod cortex-a72:flm_matvec_q8_s16_neon" ;;
        linux-armhf)   echo "max:flm_matvec_q8_s16_neon cortex-r5f:flm_matvec_q8_s16_dsp" ;;
    esac
}
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
status=0
for board in linux-aarch64 linux-armhf; do
    make -s -j2 BOARD=$board SAN=0 build/$board/tests/unit >"$tmp/build.log" 2>&1 || {
        tail -n 30 "$tmp/build.log"; echo "make BOARD=$board failed"; exit 1; }
    list=$prefixes
    for pair in $(cpus_for $board); do
        cpu=${pair%%:*} want=${pair#*:}
        QEMU_CPU=$cpu make -s BOARD=$board SAN=0 run-unit T=kernels_variants_registry >"$tmp/out" 2>&1
        if ! grep -q -- "-> $want\$" "$tmp/out"; then
            echo "$board -cpu $cpu: the int8 matvec is not $want:"; cat "$tmp/out"; status=1
        fi
        passed=0 failed=0 skipped=0
        for p in $list; do
            QEMU_CPU=$cpu make -s BOARD=$board SAN=0 run-unit T=$p >"$tmp/out" 2>&1 || status=1
            grep -E '^FAIL|check failed' "$tmp/out"
            set -- $(tail -n 1 "$tmp/out")
            case "$*" in
                *" passed, "*) passed=$((passed + $1)) failed=$((failed + $3)) skipped=$((skipped + $5)) ;;
                *) echo "$board -cpu $cpu $p: no summary (crashed?)"; failed=$((failed + 1)) ;;
            esac
        done
        [ "$passed" -gt 0 ] || { echo "$board -cpu $cpu: no test ran"; status=1; }
        [ "$failed" -eq 0 ] || status=1
        echo "$board -cpu $cpu ($want): $passed passed, $failed failed, $skipped skipped"
        list=$kernel_prefixes
    done
done
exit $status
