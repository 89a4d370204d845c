#!/bin/sh
# Flash, RAM and instructions per generated token of a bare-metal firmware
# (an MPS2 board's; another toolchain's with FLM_NM and FLM_SIZE set):
# section sizes from the ELF, arena/KV/stack figures the firmware reports on
# stderr ("stats key=value ..."), and a deterministic instruction count from
# the qemu-insn plugin, which records the count at every flm_board_mark()
# (once before the first position, then after each one).
#
# usage: footprint.sh FIRMWARE.elf PLUGIN.so "DEMO ARGS" QEMU-COMMAND...
set -eu
fw=$1 plugin=$2 args=$3; shift 3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

nm=${FLM_NM:-arm-none-eabi-nm} size=${FLM_SIZE:-arm-none-eabi-size}
mark=$("$nm" "$fw" | awk '$3 == "flm_board_mark" { print "0x" $1 }')
[ -n "$mark" ] || { echo "footprint: no flm_board_mark in $fw"; exit 1; }
"$@" "$fw" -append "$args" -plugin "$plugin,mark=$mark,out=$tmp/insn" \
    >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/err"; echo "footprint: the firmware failed"; exit 1; }

sec() { "$size" -A "$fw" | awk -v s="$1" '$1 == s { print $2; exit }'; }
field() { sed -n 's/^stats //p' "$tmp/err" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
vectors=$(sec .vectors) text=$(sec .text) model=$(sec .model) data=$(sec .data) bss=$(sec .bss) exidx=$(sec .ARM.exidx)
code=$((${vectors:-0} + text + ${exidx:-0} + ${data:-0}))
arena=$(field arena) used=$(field arena_used) kv=$(field kv_cache) stack=$(field stack) stack_size=$(field stack_size)
ctx=$(field ctx_len) prompt=$(field prompt_tokens) steps=$(field positions)
ram_size=$(field ram_size) max_ctx=$(field max_ctx) seq_len=$(field seq_len) full=$(field full_ctx_arena)

# marks: m0 before position 0, m_k after position k-1. Generated tokens are
# the positions after the prompt's.
set -- $(awk '$1 == "mark" { print $3 }' "$tmp/insn")
[ $# -gt "$prompt" ] || { echo "footprint: too few marks ($#) for $prompt prompt positions"; exit 1; }
i=0 prev= first= last= sum=0 n=0 prompt_insns=0
for c in "$@"; do
    if [ -n "$prev" ]; then
        d=$((c - prev))
        if [ "$i" -le "$prompt" ]; then
            prompt_insns=$((prompt_insns + d))
        else
            [ -n "$first" ] || first=$d
            last=$d sum=$((sum + d)) n=$((n + 1))
        fi
    fi
    prev=$c i=$((i + 1))
done
total=$(awk '$1 == "insns" { print $2 }' "$tmp/insn")

kib() { awk -v b="$1" 'BEGIN { printf "%.1f KiB", b / 1024 }'; }
echo "footprint of $fw (${FLM_MODEL_NAME:-model}, context $ctx positions)"
printf '  flash  code (text, rodata, data init)  %8d bytes  %s\n' "$code" "$(kib "$code")"
printf '  flash  model image                     %8d bytes  %s\n' "$model" "$(kib "$model")"
printf '  RAM    arena (static .bss)             %8d bytes  %s, %d used\n' "$arena" "$(kib "$arena")" "$used"
printf '  RAM      of which KV cache             %8d bytes  %s\n' "$kv" "$(kib "$kv")"
printf '  RAM    other .data + .bss              %8d bytes\n' "$((data + bss - arena))"
printf '  RAM    stack high-water                %8d bytes  of %d reserved\n' "$stack" "$stack_size"
printf '  RAM    total (.data + .bss + stack)    %8d bytes  %s\n' "$((data + bss + stack_size))" "$(kib $((data + bss + stack_size)))"
printf '  RAM    budget of the part              %8d bytes  %s\n' "$ram_size" "$(kib "$ram_size")"
if [ "$max_ctx" -eq "$seq_len" ]; then
    printf '  longest context that fits it           %8d positions, all of the model'"'"'s (a %d-byte arena)\n' \
        "$max_ctx" "$full"
else
    printf '  longest context that fits it           %8d positions (the full %d needs a %d-byte arena)\n' \
        "$max_ctx" "$seq_len" "$full"
fi
printf '  instructions per generated token       %8d        mean of %d (first %d, last %d)\n' \
    "$((sum / n))" "$n" "$first" "$last"
printf '  instructions per prompt position       %8d        mean of %d\n' "$((prompt_insns / prompt))" "$prompt"
printf '  instructions, whole run                %8d        %d positions\n' "$total" "$steps"
