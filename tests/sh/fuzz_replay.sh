# Every fuzz harness (tests/fuzz/fuzz_*.c), built with this build's compiler
# and tests/fuzz/replay.c instead of libFuzzer, runs its committed seed
# corpus and every regression input: the inputs that once crashed stay
# fixed, on a plain gcc build and under SAN=1. Each target needs a seed.
set -u
n=0
for src in tests/fuzz/fuzz_*.c; do
    name=$(basename "$src" .c)
    name=${name#fuzz_}
    bin="$BUILD/tests/fuzz/fuzz_$name"
    [ -x "$bin" ] || { echo "no $bin: run make"; exit 1; }
    ls tests/fuzz/corpus/$name/* >/dev/null 2>&1 || { echo "fuzz_$name has no seed corpus"; exit 1; }
    out=$("$bin" "tests/fuzz/corpus/$name" "tests/fuzz/regressions/$name" 2>&1) ||
        { echo "$out" | tail -n 20; echo "fuzz_$name: an input fails"; exit 1; }
    echo "fuzz_$name: $out"
    n=$((n + 1))
done
[ $n -gt 0 ] || { echo "no harnesses"; exit 1; }
echo "$n harnesses replayed their corpora"
