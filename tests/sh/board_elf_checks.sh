# The bare-metal firmware ELFs must link without a heap (no malloc, free or
# _sbrk anywhere in the image), and the Cortex-M3 one (soft-float ABI, no
# FPU) without any floating-point helper routine: proof that the whole
# inference path is integer-only. Each check first proves it catches a
# planted offender.
set -u
command -v arm-none-eabi-gcc >/dev/null || { echo "arm-none-eabi-gcc not installed"; exit 77; }
nm=arm-none-eabi-nm
heap='(malloc|_malloc_r|calloc|_calloc_r|realloc|_realloc_r|free|_free_r|_sbrk|_sbrk_r|sbrk)'
fp='(__aeabi_[fd][a-z0-9]*|__[a-z]+[sd]f[0-9]?)'

# hits PATTERN FILE: every symbol (defined or not) of FILE matching PATTERN.
hits() { "$nm" "$2" 2>/dev/null | awk '{print $NF}' | grep -E "^$1\$"; }

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf '#include <stdlib.h>\nvoid *p(unsigned n) { return malloc(n); }\nfloat q(float a, float b) { return a / b; }\n' > "$tmp/planted.c"
arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -mfloat-abi=soft -O2 -c "$tmp/planted.c" -o "$tmp/planted.o" || exit 1
[ -n "$(hits "$heap" "$tmp/planted.o")" ] || { echo "the heap check missed a planted malloc"; exit 1; }
[ -n "$(hits "$fp" "$tmp/planted.o")" ] || { echo "the float check missed a planted float division"; exit 1; }

unset MAKEFLAGS MFLAGS MAKELEVEL
status=0
for board in mps2-an386 mps2-an385; do
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
exit $status
