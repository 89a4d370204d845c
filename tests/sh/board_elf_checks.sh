# The bare-metal firmware ELFs must link without a heap (no malloc, free or
# _sbrk anywhere in the image), the Cortex-M3 one (soft-float ABI, no FPU)
# without any floating-point helper routine, and the ones with an FPU
# (Cortex-M4F, M33, M55) without any floating-point arithmetic instruction
# (GCC may still move 64-bit data through VFP registers, and the M55's MVE
# integer instructions carry integer types): proof that the whole inference
# path is integer-only. Each check first proves it catches a planted offender.
# san: skip (it tests cross-built board images, which SAN=1 leaves as they are)
# long: (about 75 s in CI: the first builds of the bare-metal boards)
# lock: mps2-an386 mps2-an385 mps2-an505 mps3-an547 riscv32-virt (tests/run.sh: it builds and relinks these boards' folders in build/)
set -u
command -v arm-none-eabi-gcc >/dev/null || { echo "arm-none-eabi-gcc not installed"; exit 77; }
nm=arm-none-eabi-nm
heap='(malloc|_malloc_r|calloc|_calloc_r|realloc|_realloc_r|free|_free_r|_sbrk|_sbrk_r|sbrk)'
fp='(__aeabi_[fd][a-z0-9]*|__[a-z]+[sd]f[0-9]?)'

# hits PATTERN FILE: every symbol (defined or not) of FILE matching PATTERN.
hits() { "$nm" "$2" 2>/dev/null | awk '{print $NF}' | grep -E "^$1\$"; }
# fpu_ops FILE [OBJDUMP OPTION]: VFP/MVE arithmetic or conversion
# instructions on a float type (.f16, .f32, .f64) in FILE's code (the M55's
# with -marmv8.1-m.main, or objdump leaves some MVE undecoded).
fpu_ops() {
    arm-none-eabi-objdump -d ${2:-} "$1" |
        grep -E '^ +[0-9a-f]+:[[:space:]]+([0-9a-f]{4} ){1,2}[[:space:]]*v(add|sub|n?mul|div|fn?m[as]|n?ml[as]|cvt[a-z]*|sqrt|neg|abs|cmpe?|max[a-z]*|min[a-z]*|rint[a-z]*)(\.[a-z0-9]+)*\.f(16|32|64)[.[:space:]]'
}

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '#include <stdlib.h>\nvoid *p(unsigned n) { return malloc(n); }\nfloat q(float a, float b) { return a / b; }\n' > "$tmp/planted.c"
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -mfloat-abi=soft -O2 -c "$tmp/planted.c" -o "$tmp/planted.o" || exit 1
[ -n "$(hits "$heap" "$tmp/planted.o")" ] || { echo "the heap check missed a planted malloc"; exit 1; }
[ -n "$(hits "$fp" "$tmp/planted.o")" ] || { echo "the float check missed a planted float division"; exit 1; }
arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard -O2 -c "$tmp/planted.c" -o "$tmp/planted-m4.o" || exit 1
[ -n "$(fpu_ops "$tmp/planted-m4.o")" ] || { echo "the FPU check missed a planted vdiv"; exit 1; }
# ... and lets the M55's integer MVE through
printf '#include <arm_mve.h>\nint d(const signed char *q, const short *x) { return vmladavaq_s16(0, vldrbq_s16(q), vldrhq_s16(x)); }\nint32x4_t m(int32x4_t a, int32x4_t b, int c) { return vmlaq_n_s32(a, b, c); }\n' > "$tmp/mve.c"
arm-none-eabi-gcc -mcpu=cortex-m55 -mthumb -mfloat-abi=hard -O2 -c "$tmp/mve.c" -o "$tmp/mve.o" || exit 1
[ -z "$(fpu_ops "$tmp/mve.o" -marmv8.1-m.main)" ] || { echo "the FPU check flags integer MVE:"; fpu_ops "$tmp/mve.o" -marmv8.1-m.main; exit 1; }
# ... but not float MVE
printf '#include <arm_mve.h>\nfloat32x4_t f(float32x4_t a, float32x4_t b) { return vmulq_f32(a, b); }\n' > "$tmp/mvef.c"
arm-none-eabi-gcc -mcpu=cortex-m55 -mthumb -mfloat-abi=hard -O2 -c "$tmp/mvef.c" -o "$tmp/mvef.o" || exit 1
[ -n "$(fpu_ops "$tmp/mvef.o" -marmv8.1-m.main)" ] || { echo "the FPU check missed a planted MVE vmul.f32"; exit 1; }

unset MAKEFLAGS MFLAGS MAKELEVEL
status=0
for board in mps2-an386 mps2-an385 mps2-an505 mps3-an547; do
    make -s -j2 BOARD=$board SAN=0 >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "make BOARD=$board failed"; exit 1; }
    elf=build/$board/fieldlm.elf
    found=$(hits "$heap" "$elf")
    if [ -n "$found" ]; then
        echo "$elf links heap routines:" $found; status=1
    else
        echo "$elf: no heap routines"
    fi
done
found=$(hits "$fp" build/mps2-an385/fieldlm.elf)
if [ -n "$found" ]; then
    echo "build/mps2-an385/fieldlm.elf links floating-point helpers:" $found; status=1
else
    echo "build/mps2-an385/fieldlm.elf: no floating-point helpers"
fi
for board in mps2-an386 mps2-an505 mps3-an547; do
    opt=; [ $board = mps3-an547 ] && opt=-marmv8.1-m.main
    found=$(fpu_ops build/$board/fieldlm.elf $opt)
    if [ -n "$found" ]; then
        echo "build/$board/fieldlm.elf has floating-point instructions:"; echo "$found" | head; status=1
    else
        echo "build/$board/fieldlm.elf: no floating-point arithmetic instructions"
    fi
done
# The RV32IMC one (ilp32, no FPU): no heap either, no soft-float helper.
if command -v riscv64-unknown-elf-gcc >/dev/null && [ -f /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ]; then
    nm=riscv64-unknown-elf-nm
    riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 --specs=picolibc.specs -O2 -c "$tmp/planted.c" -o "$tmp/planted-rv.o" || exit 1
    [ -n "$(hits "$heap" "$tmp/planted-rv.o")" ] && [ -n "$(hits "$fp" "$tmp/planted-rv.o")" ] ||
        { echo "the RISC-V checks missed a planted malloc or float division"; exit 1; }
    make -s -j2 BOARD=riscv32-virt SAN=0 >"$tmp/build.log" 2>&1 || { cat "$tmp/build.log"; echo "make BOARD=riscv32-virt failed"; exit 1; }
    elf=build/riscv32-virt/fieldlm.elf
    found="$(hits "$heap" "$elf") $(hits "$fp" "$elf")"
    if [ -n "${found# }" ]; then
        echo "$elf links heap or floating-point routines:" $found; status=1
    else
        echo "$elf: no heap routines, no floating-point helpers"
    fi
else
    echo "riscv64-unknown-elf-gcc or picolibc not installed: riscv32-virt not checked"
fi
exit $status
