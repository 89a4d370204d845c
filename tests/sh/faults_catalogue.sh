# tests/FAULTS.md stays true: every row names at least one test, and every
# test it names exists (a unit test, a tests/sh script, a fuzz harness); no
# row is left pending (fault modes and case names in parentheses after a
# script are details, not tests). Whether they pass is the rest of `make
# test`.
set -u
f=tests/FAULTS.md
[ -f "$f" ] || { echo "no $f"; exit 1; }
units=$(grep -ho '^FLM_TEST([A-Za-z0-9_]*)' $(find tests/unit -name '*.c') | sed 's/FLM_TEST(\(.*\))/\1/')
rows=0 bad=0
while IFS= read -r line; do
    case "$line" in "| failure"*|"|---"*) continue ;; "|"*) ;; *) continue ;; esac
    rows=$((rows + 1))
    tests=$(printf '%s\n' "$line" | awk -F'|' '{ print $4 }')
    if printf '%s' "$tests" | grep -qi 'pending'; then
        echo "pending, no test: $(printf '%s' "$line" | cut -c1-60)"
        bad=1
        continue
    fi
    names=$(printf '%s' "$tests" | sed 's/([^)]*)//g' | grep -o '`[^`]*`' | tr -d '`' | sed 's/ .*//')
    [ -n "$names" ] || { echo "no test named: $line"; bad=1; continue; }
    for n in $names; do
        case "$n" in
            *.sh) [ -f "tests/sh/$n" ] || { echo "no script tests/sh/$n"; bad=1; } ;;
            fuzz_*) [ -f "tests/fuzz/$n.c" ] || { echo "no harness tests/fuzz/$n.c"; bad=1; } ;;
            *) printf '%s\n' "$units" | grep -qx "$n" ||
                   { echo "no unit test $n (named in: $(printf '%s' "$line" | cut -c1-60))"; bad=1; } ;;
        esac
    done
done <"$f"
[ $bad -eq 0 ] || exit 1
[ $rows -gt 20 ] || { echo "only $rows rows"; exit 1; }
echo "$rows rows, every one with its tests"
