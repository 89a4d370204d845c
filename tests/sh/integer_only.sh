# The inference path is integer-only: core/ must not use float or double.
# 1. Compile every core/ source with -mgeneral-regs-only, which makes any
#    floating-point value a hard compile error on x86-64 and aarch64, except
#    inside functions that turn SIMD back on (target("avx2") in
#    core/kernels/x86/, or a file built with -mavx2): there the flag proves
#    nothing, which is why step 3 exists.
# 2. Grep core/ for the words float/double outside comments (catches what
#    the preprocessor hid from step 1).
# 3. Disassemble every object of core/ in $BUILD, and in the other builds of
#    this tree (the ARM boards when built), and reject floating-point
#    instructions and calls to soft-float helpers: what the compilers
#    actually emitted, whatever the source or the flags say.
# Each step first proves it catches planted offenders.
# san: skip (it reads object files for floating-point instructions; SAN=1 changes no source)
# lock: linux-aarch64 linux-armhf mps2-an386 mps2-an385 mps2-an505 mps3-an547 riscv32-virt (tests/run.sh: it reads the objects of these boards' folders, which the board scripts rebuild)
# after: cross_port (tests/run.sh: cross_port builds every board folder whose objects step 3 reads, as the scripts before this one in name order did when they ran one at a time)
set -u
cc=${CC:-cc}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

printf 'int f(int x);\nint f(int x) { return (int)(x * 0.5f); }\n' > "$tmp/planted.c"
if $cc -std=c11 -mgeneral-regs-only -c "$tmp/planted.c" -o "$tmp/p.o" 2>/dev/null; then
    echo "-mgeneral-regs-only did not reject a planted float"; exit 1
fi

bad=0
for src in $(find core -name '*.c' | sort); do
    if ! $cc -std=c11 -O2 -I. -I"$BUILD/gen" -mgeneral-regs-only -c "$src" -o "$tmp/x.o" 2>"$tmp/err"; then
        echo "floating point in $src:"; sed 's/^/    /' "$tmp/err" | head -n 5
        bad=1
    fi
done
words=$(grep -rnwE 'float|double' core --include='*.c' --include='*.h' |
        grep -vE '^[^:]+:[0-9]+:[[:space:]]*(//|\*|/\*)')
if [ -n "$words" ]; then
    echo "float/double in core/:"; echo "$words"; bad=1
fi

# ---- step 3: the object code -------------------------------------------
# Classifies each instruction of `objdump -d --no-show-raw-insn` by its
# mnemonic; prints "function: instruction" for each floating-point one.
#
# x86-64 rejects: x87 (every f... mnemonic: fld, fadd, fstp, fnstcw, ...),
# FMA (vfmadd..., vfnmsub...), conversions (cvt..., vcvt...), comparisons
# setting flags (comiss, ucomisd), MXCSR access, and any SSE/AVX mnemonic
# ending in ss/sd/ps/pd (scalar or packed single/double: addss, mulpd,
# sqrtsd, maxps, cmpltps, haddps, dpps, roundsd, ...) or sh/ph (half).
# Allowed, because compilers use them on integer data and they only move
# or combine bits, never interpret them as numbers:
#  - every p... instruction, the integer SIMD (pxor, paddd, vpmaddwd,
#    vpmovsxbw, vphaddd, vpmuldq, ...), except 3DNow! pf.../pi2f... floats;
#  - moves and bit logic with a float type in the name: movaps/movups/
#    movapd/movupd, movhps/movlps/movhpd/movlpd/movhlps/movlhps, movntps,
#    movmskps/pd, andps/andnps/orps/xorps (and pd), shufps/pd, unpck*ps/pd,
#    blend(v)ps/pd, vbroadcastss/sd, vmaskmovps/pd, extractps/insertps,
#    vtestps/pd (GCC copies structs with movups and zeroes with xorps).
# movss/movsd are rejected: they are the scalar float load/store (integer
# scalars move with movd/movq), so they flag a float that is only copied.
#
# aarch64 rejects every f... instruction (fadd, fmul, fcvtzs, fcmp, fmla,
# frint..., fmov of an immediate), scvtf/ucvtf and the bfloat16 ones; it
# allows fmov between registers, which GCC uses to move integers into SIMD
# registers (fmov d0, x4) for integer NEON code.
#
# 32-bit ARM rejects any instruction with a float data type (vadd.f32,
# vmul.f64, vcvt.s32.f32, vcmp.f32, vsqrt, vfma, ...) and pre-UAL VFP
# arithmetic names; it allows loads, stores, pushes and register moves of
# VFP registers (vldr/vstr/vpush/vpop/vmov without an immediate), which
# GCC uses to copy 64-bit integers on the Cortex-M4F and ARMv7-A.
#
# RISC-V rejects every f... instruction but fence (flw, fadd.s, fcvt.w.s,
# fmv.x.w, ...); on RV32IMC without F/D there are none, and a float is a
# soft-float call, which the helper check below catches.
classify='
function x86_fp(m,    b) {
    b = m; sub(/^v/, "", b)
    if (b ~ /^p/ && b !~ /^(pf|pi2f)/) return 0
    if (b ~ /^f/ || b ~ /^(cvt|u?comis|ldmxcsr|stmxcsr)/) return 1
    if (b ~ /(ss|sd|ps|pd|sh|ph)$/)
        return b !~ /^(mov(a|u|h|l|nt)(ps|pd)|movmsk(ps|pd)|movhlps|movlhps|(and|andn|or|xor)(ps|pd)|shuf(ps|pd)|unpck[hl](ps|pd)|blendv?(ps|pd)|broadcast(ss|sd)|maskmov(ps|pd)|(extract|insert)ps|test(ps|pd))$/
    return 0
}
function a64_fp(m, ops) {
    if (m ~ /^f/) return !(m == "fmov" && ops !~ /#/)
    return m ~ /^([su]cvtf|bf(cvt|dot|mmla|mlal))/
}
function rv_fp(m) { return m ~ /^f/ && m !~ /^fence/ }
function a32_fp(m, ops,    b) {
    if (m ~ /\.b?f(16|32|64)/) {
        b = m; sub(/\..*/, "", b)
        return !(b ~ /^v(ldr|str|ldm|stm|push|pop|ld[1-4]|st[1-4])/ || (b ~ /^vmov/ && ops !~ /#/))
    }
    return m ~ /^f(add|sub|mul|nmul|div|n?mac|n?msc|neg|abs|sqrt|cmpe?z?|cpy|cvt|sito|uito|tosi|toui|const)[sd]/
}
/^[^ \t].*:[ \t]+file format / { file = $1; sub(/:$/, "", file); next }
/^[0-9a-f]+ <.*>:$/ { fn = $2; next }
/^ *[0-9a-f]+:\t/ {
    line = $0; sub(/^ *[0-9a-f]+:\t/, "", line); sub(/[ \t]+[#@;<].*$/, "", line)
    n = split(line, w, /[ \t]+/)
    for (i = 1; i <= n && w[i] ~ /^(data16|data32|addr16|addr32|cs|ds|es|fs|gs|ss|rep|repz|repnz|repe|repne|lock|bnd|notrack|xacquire|xrelease|rex(\..*)?|\{[a-z]+\})$/; i++) ;
    m = tolower(w[i]); ops = ""
    for (j = i + 1; j <= n; j++) ops = ops " " w[j]
    if ((arch == "x86-64" && x86_fp(m)) || (arch == "aarch64" && a64_fp(m, ops)) ||
        (arch == "arm" && a32_fp(m, ops)) || (arch == "riscv" && rv_fp(m)))
        print file ": " fn " " m ops
}'
# Soft-float helpers (libgcc, ARM EABI): what float code calls without an FPU.
helpers='^__(aeabi_[fd][a-z0-9]*|aeabi_u?[il]2[fd]|[a-z]*[sdtxh]f[0-9]|float[a-z]*|fix[a-z]*|extend[a-z]*)$'

# arch_of OBJECT: x86-64, aarch64, arm or riscv, from the ELF header's e_machine.
arch_of() {
    case $(od -An -tu1 -j18 -N2 "$1" | tr -s ' ' | sed 's/^ //') in
        "62 0") echo x86-64 ;; "183 0") echo aarch64 ;; "40 0") echo arm ;; "243 0") echo riscv ;; *) echo unknown ;;
    esac
}
# tool_for ARCH TOOL: the binutils TOOL (objdump, nm) that reads ARCH, or nothing.
tool_for() {
    case $1 in
        x86-64)  set -- "$2" "$2" x86_64-linux-gnu-"$2" ;;
        aarch64) set -- "$2" aarch64-linux-gnu-"$2" ;;
        arm)     set -- "$2" arm-none-eabi-"$2" arm-linux-gnueabihf-"$2" ;;
        riscv)   set -- "$2" riscv64-unknown-elf-"$2" ;;
        *)       return ;;
    esac
    shift
    for t in "$@"; do command -v "$t" >/dev/null && { echo "$t"; return; }; done
}
# fp_code OBJECT...: "file: <function> instruction" for each floating-point
# instruction, "file: calls helper" for each soft-float call (all objects of
# one architecture: one objdump and one nm for the lot).
fp_code() {
    a=$(arch_of "$1") od=$(tool_for "$a" objdump) nm=$(tool_for "$a" nm)
    "$od" -d --no-show-raw-insn "$@" | awk -v arch="$a" "$classify"
    "$nm" -A -u "$@" | awk -v re="$helpers" '{ s = $NF; f = $1; sub(/:.*/, "", f) } s ~ re { print f ": calls " s }'
}
# can_read OBJECT: this machine has the binutils for OBJECT's architecture.
can_read() {
    a=$(arch_of "$1")
    [ -n "$(tool_for "$a" objdump)" ] && [ -n "$(tool_for "$a" nm)" ]
}

# plant NAME CC FLAGS...: compiles $tmp/NAME.c into $tmp/NAME.o (0 if it built).
plant() { name=$1 pcc=$2; shift 2; command -v "$pcc" >/dev/null && "$pcc" -std=c11 -O2 "$@" -c "$tmp/$name.c" -o "$tmp/$name.o" 2>"$tmp/$name.err"; }
# must_catch NAME: the check flags the planted object NAME.o.
must_catch() {
    [ -n "$(fp_code "$tmp/$1.o")" ] || { echo "the object-code check missed the planted $1 ($2)"; exit 1; }
    proofs="$proofs, $2"
}
proofs=

# A float inside a target("avx2") function passes -mgeneral-regs-only...
cat > "$tmp/avx2_float.c" <<'EOF'
int f(int x);
__attribute__((target("avx2"))) int f(int x) { return (int)((float)x * 0.5f); }
EOF
# ... a double anywhere ...
printf 'long g(long x);\nlong g(long x) { return (long)((double)x * 0.3); }\n' > "$tmp/double.c"
printf 'int h(int x);\nint h(int x) { return (int)((float)x * 0.3f); }\n' > "$tmp/float.c"
# ... while integer SIMD, struct copies and zeroing are no floating point.
cat > "$tmp/integer_simd.c" <<'EOF'
#include <immintrin.h>
#include <string.h>
struct big { long a[12]; };
void copy(struct big *d, const struct big *s);
void copy(struct big *d, const struct big *s) { *d = *s; memset(d->a, 0, 32); }
__attribute__((target("avx2"))) int dot(const signed char *q, const short *x);
__attribute__((target("avx2"))) int dot(const signed char *q, const short *x)
{
    __m256i w = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(const void *)q));
    __m256i p = _mm256_madd_epi16(w, _mm256_loadu_si256((const __m256i *)(const void *)x));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(p), _mm256_extracti128_si256(p, 1));
    s = _mm_hadd_epi32(s, s);
    return _mm_cvtsi128_si32(_mm_hadd_epi32(s, s));
}
EOF
case $($cc -dumpmachine) in
x86_64*)
    plant avx2_float "$cc" -mgeneral-regs-only ||
        { echo "expected the planted target(\"avx2\") float to pass -mgeneral-regs-only"; cat "$tmp/avx2_float.err"; exit 1; }
    must_catch avx2_float "x86-64 float in target(avx2) under -mgeneral-regs-only"
    plant double "$cc" || exit 1
    must_catch double "x86-64 double"
    plant integer_simd "$cc" || exit 1
    found=$(fp_code "$tmp/integer_simd.o")
    [ -z "$found" ] || { echo "the object-code check flags integer SIMD:"; echo "$found"; exit 1; }
    ;;
esac

# Every build of this tree with core/ objects: $BUILD, then the others,
# but build/fuzz: `make fuzz`'s harnesses, instrumented and built by clang,
# which moves 8 bytes through an xmm register (vmovsd) in the AVX2 files
# where GCC, which builds every port, does not; no port ships them.
builds=$BUILD
for d in build/*; do
    [ "$d" = build/fuzz ] && continue
    [ -d "$d/obj/core" ] && [ "$d" != "${BUILD%/}" ] && builds="$builds $d"
done
planted=
checked=
for b in $builds; do
    objs=$(find "$b/obj/core" -name '*.o' 2>/dev/null | sort)
    if [ -z "$objs" ]; then
        [ "$b" = "$BUILD" ] && { echo "no core/ objects in $BUILD"; exit 1; }
        continue
    fi
    first=$(echo "$objs" | head -n 1)
    arch=$(arch_of "$first")
    if ! can_read "$first"; then
        [ "$b" = "$BUILD" ] && { echo "no binutils for $arch here"; exit 1; }
        echo "skipped $b ($arch): no binutils for it"; continue
    fi
    # prove the check on each ARM flavour before trusting it (the M4F's
    # FPU is single precision: a double there is soft-float calls)
    case "$arch:$b" in
        aarch64:*) p="aarch64 double aarch64-linux-gnu-gcc" ;;
        arm:*mps2-an385*) p="cortex-m3 double arm-none-eabi-gcc -mcpu=cortex-m3 -mthumb -mfloat-abi=soft" ;;
        arm:*mps2*) p="cortex-m4f float arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard" ;;
        arm:*) p="armhf double arm-linux-gnueabihf-gcc" ;;
        riscv:*) p="rv32imc double riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32" ;;
        *) p= ;;
    esac
    # RISC-V: the instruction classifier too, on a float built for RV32IMF
    case "$arch:$planted" in riscv:*"|rv32imc|"*) ;; riscv:*)
        cp "$tmp/float.c" "$tmp/float-rv32imf.c"
        if plant float-rv32imf riscv64-unknown-elf-gcc -march=rv32imf -mabi=ilp32f; then
            [ -n "$(fp_code "$tmp/float-rv32imf.o" | grep -v ': calls ')" ] ||
                { echo "the object-code check missed a planted RV32IMF fdiv/fmul"; exit 1; }
            proofs="$proofs, rv32imf float instructions"
        fi ;;
    esac
    if [ -n "$p" ]; then
        set -- $p
        what=$1 kind=$2 pcc=$3; shift 3
        case "$planted" in *"|$what|"*) ;; *)
            cp "$tmp/$kind.c" "$tmp/$kind-$what.c"
            if plant "$kind-$what" "$pcc" "$@"; then
                must_catch "$kind-$what" "$what $kind"; planted="$planted|$what|"
            fi ;;
        esac
    fi
    fresh=
    for o in $objs; do
        src=${o#"$b"/obj/}; src=${src%.o}.c
        # objects of deleted or since-edited sources are stale: not this tree
        [ -f "$src" ] || continue
        [ "$b" = "$BUILD" ] || [ ! "$src" -nt "$o" ] || continue
        fresh="$fresh $o"
    done
    found=$(fp_code $fresh)
    if [ -n "$found" ]; then
        echo "floating point in $b:"; echo "$found" | sed 's/^/    /' | head -n 20
        bad=1
    fi
    n=$(echo $fresh | wc -w)
    checked="$checked, $b ($arch, $n objects)"
done
[ $bad -eq 0 ] && echo "core/ is integer-only ($(find core -name '*.c' | wc -l) sources; object code of ${checked#, }; planted and caught: ${proofs#, })"
exit $bad
