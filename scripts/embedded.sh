#!/usr/bin/env bash
# vrrp-core on a Cortex-M4F under QEMU (mps2-an386), for CI and for README's figures.
#
#   scripts/embedded.sh           # export the traces, replay them on the target, compare
#   scripts/embedded.sh --cost    # also: the cost firmware with 1, 16 and 255 instances,
#                                 # printed as README's "Embedded" table
#
# 1. The host exports the input traces (benches/replay `export-traces`: the conformance
#    scenarios and simulator schedules of 2–3 routers) and its own digest of every
#    trace's outputs into benches/embedded/traces/.
# 2. The replay firmware include_bytes!'s both, replays each trace through the core's
#    Driver on the target and exits 1 on any mismatch (or panic: its handler exits 1).
# 0. The smoltcp example (benches/smoltcp) is built for the target.
# 3. With --cost, the cost firmware is built per instance count and run; flash and
#    static RAM come from its ELF section headers, the rest from what it prints.
#
# Needs qemu-system-arm (Debian package qemu-system-arm), the thumbv7em-none-eabihf target
# and readelf (binutils). Instruction counts use QEMU's -icount shift=0: virtual time is
# 1 ns per executed instruction, so SysTick (25 MHz core clock, 40 instructions per tick,
# calibrated by the firmware) counts instructions, the same on every run and machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
fw=benches/embedded
cost=false
[ "${1:-}" = "--cost" ] && cost=true

command -v qemu-system-arm >/dev/null || { echo "qemu-system-arm is missing (apt-get install qemu-system-arm)" >&2; exit 1; }

echo "--- the smoltcp example builds for the target too (its test runs with the workspace's)"
cargo build -q -p vrrp-smoltcp --target thumbv7em-none-eabihf

echo "--- host: exporting traces and their digests"
cargo run -q --profile "${PROFILE:-ci}" -p vrrp-replay --bin export-traces -- "$root/$fw/traces"

echo "--- target: replaying them on a Cortex-M4F (qemu-system-arm -machine mps2-an386)"
# The firmware is its own workspace (like fuzz/): the top-level fmt and clippy steps do not see it.
(cd "$fw" && cargo fmt -- --check && cargo clippy -q --release --bins -- -D warnings)
(cd "$fw" && VRRP_TRACES="$root/$fw/traces" cargo build -q --release --bin replay)
# `cargo run` would use .cargo/config.toml's runner; timeout bounds a hung firmware.
runner=(qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic -monitor none -serial none
    -semihosting-config enable=on,target=native -icount shift=0,align=off,sleep=off -kernel)
timeout 120 "${runner[@]}" "$fw/target/thumbv7em-none-eabihf/release/replay"

$cost || exit 0

echo "--- target: the cost firmware with 1, 16 and 255 instances"
rows=()
for n in 1 16 255; do
    (cd "$fw" && VRRP_INSTANCES=$n cargo build -q --release --bin cost)
    elf="$fw/target/thumbv7em-none-eabihf/release/cost"
    out=$(timeout 120 "${runner[@]}" "$elf")
    get() { sed -n "s/^$1=//p" <<<"$out"; }
    # Section sizes (hex) from the ELF: flash = vector table + .text + .rodata + .data's
    # initialisers; static RAM = .data + .bss (+ .uninit).
    sec() {
        local hex
        hex=$(readelf -SW "$elf" | sed 's/^ *\[ *[0-9]*\] *//' | awk -v s="$1" '$1 == s { print $5 }' | head -1)
        echo $(( 16#${hex:-0} ))
    }
    flash=$(( $(sec .vector_table) + $(sec .text) + $(sec .rodata) + $(sec .data) ))
    ram=$(( $(sec .data) + $(sec .bss) + $(sec .uninit) ))
    rows+=("| $n | $flash | $ram | $(get stack_bytes) | $(get advert_insns) | $(get timer_insns) |")
    per=$(( $(get driver2_bytes) - $(get driver1_bytes) ))
    notes="RAM per instance: size_of::<Instance>() = $(get instance_bytes) B (its InstanceConfig: $(get config_bytes) B); one more instance grows the Driver by $per B (Driver<1> $(get driver1_bytes) B, Driver<2> $(get driver2_bytes) B)"
    [ "$(get milli_insns_per_tick)" = 40000 ] || echo "  note: $(get milli_insns_per_tick)/1000 instructions per SysTick tick (expected 40)"
done
echo
echo "| instances | flash (vectors+.text+.rodata) B | static RAM (.data+.bss) B | stack, painted B | instructions / received advert | instructions / timer expiry |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '%s\n' "${rows[@]}"
echo
echo "$notes"
