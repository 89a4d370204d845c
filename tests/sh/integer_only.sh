# The inference path is integer-only: core/ must not use float or double.
# 1. Compile every core/ source with -mgeneral-regs-only, which makes any
#    floating-point value a hard compile error on x86-64 and aarch64.
# 2. Grep core/ for the words float/double outside comments (catches what
#    the preprocessor hid from step 1).
# A planted float first proves step 1 catches it.
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
[ $bad -eq 0 ] && echo "core/ is integer-only ($(find core -name '*.c' | wc -l) sources)"
exit $bad
