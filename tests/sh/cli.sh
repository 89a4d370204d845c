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

"$cli" frobnicate 2>"$BUILD/cli.err"; rc=$?
[ $rc -eq 2 ] || fail "unknown command exit $rc"
grep -q "unknown command 'frobnicate'" "$BUILD/cli.err" || fail "unknown command message"

"$cli" >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "no command exit $rc"
echo "cli ok"
