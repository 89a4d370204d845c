# make install into a temporary prefix (DESTDIR staging, as a package
# build does): the program, its man page, the default model and the example
# configuration; the installed program finds its model from any folder and
# runs the installed configuration; make uninstall removes exactly these.
# Also the Makefile's manners: make -s prints nothing, make help lists the
# targets and the boards, an unknown BOARD names the boards.
set -u
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
[ "$BUILD" = build/host ] || { echo "skipped: installs the host build only"; exit 77; }
unset MAKEFLAGS MFLAGS MAKELEVEL # a make of its own, not a child of make test's jobserver
dest=$tmp/stage prefix=/opt/fieldlm-test
make -s install PREFIX=$prefix DESTDIR="$dest" >"$tmp/out" 2>&1 || fail "make install: $(cat "$tmp/out")"
root=$dest$prefix
for f in bin/fieldlm share/man/man1/fieldlm.1 share/fieldlm/fieldtales-800k.flm share/fieldlm/fieldlm.conf; do
    [ -f "$root/$f" ] || fail "not installed: $f"
done
[ -x "$root/bin/fieldlm" ] || fail "bin/fieldlm not executable"
cmp -s "$root/share/fieldlm/fieldtales-800k.flm" models/fieldtales-800k.flm || fail "the model differs"
grep -qx "path    = $prefix/share/fieldlm/fieldtales-800k.flm" "$root/share/fieldlm/fieldlm.conf" \
    || fail "the example configuration does not name the installed model: $(grep path "$root/share/fieldlm/fieldlm.conf")"
# the installed program, from / with no FIELDLM_MODEL: the model beside it
want=$(./build/host/fieldlm run -p "Once upon a time" -n 24 -t 0 -q)
got=$(cd / && env -u FIELDLM_MODEL "$root/bin/fieldlm" run -p "Once upon a time" -n 24 -t 0 -q) || fail "installed run"
[ "$got" = "$want" ] || fail "installed run: $got"
"$root/bin/fieldlm" --version | grep -q '^fieldlm [0-9]' || fail "installed --version"
# the installed configuration, its model path rewritten for the staging root
sed "s|$prefix|$root|" "$root/share/fieldlm/fieldlm.conf" >"$tmp/staged.conf"
got=$(cd / && "$root/bin/fieldlm" run -c "$tmp/staged.conf" -p "Once upon a time" -n 24 -t 0 -q) || fail "run -c the example configuration"
[ "$got" = "$want" ] || fail "run -c the example: $got"
if command -v man >/dev/null 2>&1 && command -v groff >/dev/null 2>&1; then
    MANWIDTH=80 man -l "$root/share/man/man1/fieldlm.1" 2>"$tmp/man.err" | grep -q 'EXIT STATUS' || fail "man page: $(cat "$tmp/man.err")"
    [ -s "$tmp/man.err" ] && fail "man page warnings: $(cat "$tmp/man.err")"
fi
make -s uninstall PREFIX=$prefix DESTDIR="$dest" >"$tmp/out" 2>&1 || fail "make uninstall: $(cat "$tmp/out")"
left=$(find "$dest" -type f)
[ -z "$left" ] || fail "uninstall left: $left"

# make -s: no "  CC" lines (a no-op build prints nothing at all)
out=$(make -s 2>&1) || fail "make -s: $out"
[ -z "$out" ] || fail "make -s printed: $out"
make help >"$tmp/help" || fail "make help"
for t in all test demo demo-sample run run-unit footprint profile bench fuzz install uninstall clean; do
    grep -q "^  $t\b" "$tmp/help" || fail "make help omits $t"
done
for b in host linux-aarch64 linux-armhf mps2-an385 mps2-an386 riscv32-virt; do
    grep -q "^boards:.* $b" "$tmp/help" || fail "make help omits board $b"
done
make BOARD=nosuch 2>"$tmp/err" >/dev/null && fail "an unknown BOARD built"
grep -q "unknown BOARD 'nosuch': the boards are host linux-aarch64" "$tmp/err" || fail "unknown BOARD: $(cat "$tmp/err")"
echo "install ok"
