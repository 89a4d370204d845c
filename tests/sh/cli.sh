# The command line: --help, --version, and exit status 2 for bad usage.
set -u
cli="$BUILD/fieldlm"
fail() { echo "FAIL: $*"; exit 1; }

"$cli" --help | grep -q '^usage: fieldlm' || fail "--help"
"$cli" --version | grep -Eq '^fieldlm [0-9]+\.[0-9]+\.[0-9]+$' || fail "--version"
"$cli" help >/dev/null || fail "help"

"$cli" --bogus 2>"$BUILD/cli.err"; rc=$?
[ $rc -eq 2 ] || fail "unknown option exit $rc"
grep -q "unknown option '--bogus'" "$BUILD/cli.err" || fail "unknown option message"

# llama.cpp's single-dash long options are not a short option plus a value
"$cli" run -ngl 99 -p hi 2>"$BUILD/cli.err"; rc=$?
[ $rc -eq 2 ] || fail "-ngl exit $rc"
grep -q "unknown option '-ngl' (GPU layers" "$BUILD/cli.err" || fail "-ngl message: $(cat "$BUILD/cli.err")"
"$cli" run -temp 0.5 -p hi 2>"$BUILD/cli.err"; rc=$?
grep -q "unknown option '-temp' (did you mean '--temp'?)" "$BUILD/cli.err" || fail "-temp message"

"$cli" frobnicate 2>"$BUILD/cli.err"; rc=$?
[ $rc -eq 2 ] || fail "unknown command exit $rc"
grep -q "unknown command 'frobnicate'" "$BUILD/cli.err" || fail "unknown command message"

"$cli" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "no command exit $rc"
echo "cli ok"
