# cloudsim --help documents every fault mode the server implements (each
# name compared against in tools/cloudsim/cloudsim.c) and its options.
set -u
fail() { echo "FAIL: $*"; exit 1; }
help=$("$BUILD/cloudsim" --help) || fail "cloudsim --help exit $?"
modes=$(grep -o 'str[n]*cmp([a-z.]*fault[a-z]*, "[a-z0-9:-]*"' tools/cloudsim/cloudsim.c | sed 's/.*"\(.*\)"/\1/; s/[:-]$//' | sort -u)
[ -n "$modes" ] || fail "no fault modes found in the source"
n=0
for m in $modes; do
    printf '%s\n' "$help" | grep -q "^  $m" || fail "cloudsim --help does not document the fault mode '$m'"
    n=$((n + 1))
done
for o in --cert --port --port-file --record --fault --fault-times --api-key --max-requests --timeout --answers; do
    printf '%s\n' "$help" | grep -q -- "$o" || fail "cloudsim --help omits $o"
done
echo "cloudsim_help ok ($n fault modes)"
