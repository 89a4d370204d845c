#!/bin/sh
# Where a bare-metal firmware spends its instructions (FLM_NM: the nm of
# its toolchain, arm-none-eabi-nm by default): runs it under the
# qemu-insn plugin with a per-address count, folds the counts into the
# functions of the ELF's symbol table and prints the top ones.
#
# usage: profile.sh FIRMWARE.elf PLUGIN.so "ARGS" QEMU-COMMAND...
set -eu
fw=$1 plugin=$2 args=$3; shift 3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$@" "$fw" -append "$args" -plugin "$plugin,profile=$tmp/prof" >/dev/null 2>"$tmp/err" ||
    { cat "$tmp/err"; echo "profile: the firmware failed"; exit 1; }
"${FLM_NM:-arm-none-eabi-nm}" -n --defined-only "$fw" > "$tmp/syms"

echo "instructions per function, $fw $args"
awk '
function hex(s,    i, v) {
    v = 0; s = tolower(s)
    for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
    return v
}
NR == FNR { if ($2 ~ /^[tTwW]$/) { a = hex($1); n++; start[n] = a - a % 2; name[n] = $3 } next }
$1 == "overflow" { sum["(unattributed)"] += $2; total += $2; next }
{
    lo = 1; hi = n; f = 0
    while (lo <= hi) { mid = int((lo + hi) / 2); if (start[mid] <= $1) { f = mid; lo = mid + 1 } else hi = mid - 1 }
    sum[f ? name[f] : "(unknown)"] += $2; total += $2
}
END {
    for (k in sum) printf "%6.2f%% %12d  %s\n", 100 * sum[k] / total, sum[k], k
    printf "%6.2f%% %12d  %s\n", 100, total, "(total)"
}' "$tmp/syms" "$tmp/prof" | sort -k2,2nr | head -n 16
