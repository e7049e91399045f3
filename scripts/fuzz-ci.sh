#!/usr/bin/env bash
# Bounded fuzzing for CI: builds every cargo-fuzz target in fuzz/ and runs each one
# for FUZZ_SECONDS (default 60) from a temporary copy of its committed seeds
# (fuzz/seeds/<target>/), so nothing is written into the repository's corpus.
#
#   scripts/fuzz-ci.sh                       # all targets, 60 s each
#   FUZZ_SECONDS=10 scripts/fuzz-ci.sh decode_advert router_sequence
#
# Prints, per target, the executions done (libFuzzer's final "Done N runs" line) and
# the number of crashes. Exits non-zero if a target fails to build, crashes, times out,
# runs out of memory, or does not finish normally. Crash inputs are kept in
# fuzz/artifacts/<target>/ (git-ignored); reproduce one with
#   cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>
# and minimise it with
#   cargo +nightly fuzz tmin <target> fuzz/artifacts/<target>/<file>
#
# Needs the nightly toolchain; installs cargo-fuzz from crates.io only when missing.
set -euo pipefail

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
# Per-input time limit, seconds: a single slow input is a bug too.
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-20}
FUZZ_RSS_LIMIT_MB=${FUZZ_RSS_LIMIT_MB:-2048}

# shellcheck source=scripts/fuzz-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/fuzz-common.sh" "$@"

work=$(mktemp -d "${TMPDIR:-/tmp}/vrrp-fuzz-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=0
declare -a summary
for t in "${targets[@]}"; do
    bin="$bindir/$t"
    [ -x "$bin" ] || { echo "fuzz-ci: $bin missing after build" >&2; exit 1; }
    corpus="$work/corpus/$t"
    artifacts="$work/artifacts/$t"
    mkdir -p "$corpus" "$artifacts" "$work/tmp/$t"
    if [ -d "fuzz/seeds/$t" ]; then
        cp -R "fuzz/seeds/$t/." "$corpus/"
    fi
    log="$work/$t.log"
    echo "== $t: ${FUZZ_SECONDS}s from $(find "$corpus" -type f | wc -l) seed(s)"
    set +e
    # TMPDIR: scratch files a target makes (config_parse's include sandbox) go away with $work.
    (cd "$work/tmp/$t" && TMPDIR="$work/tmp/$t" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}" \
        "$bin" "$corpus" \
        -max_total_time="$FUZZ_SECONDS" \
        -timeout="$FUZZ_TIMEOUT" \
        -rss_limit_mb="$FUZZ_RSS_LIMIT_MB" \
        -artifact_prefix="$artifacts/" \
        -print_final_stats=1 >"$log" 2>&1)
    status=$?
    set -e

    runs=$(sed -n 's/^Done \([0-9][0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)
    # No "Done" line when libFuzzer stopped early (crash): fall back to its final stats.
    if [ -z "$runs" ]; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\)/\1/p' "$log" | tail -n 1)
    fi
    crashes=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' \
        -o -name 'oom-*' \) | wc -l)
    corpus_size=$(find "$corpus" -type f | wc -l)
    if [ "$status" -eq 0 ] && grep -q '^Done [0-9]* runs' "$log" && [ "$crashes" -eq 0 ]; then
        line="$t: $runs executions in ${FUZZ_SECONDS}s, corpus $corpus_size, 0 crashes"
        echo "$line"
    else
        failed=1
        line="$t: FAILED (exit $status), ${runs:-?} executions, $crashes crash(es)"
        echo "$line"
        # The panic / sanitizer report and libFuzzer's summary.
        pattern="panicked at|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|SUMMARY:"
        if grep -qE "$pattern" "$log"; then
            grep -E -A25 "$pattern" "$log" | head -n 80 || true
        else
            tail -n 60 "$log"
        fi
        if [ "$crashes" -gt 0 ]; then
            keep="$root/fuzz/artifacts/$t"
            mkdir -p "$keep"
            cp "$artifacts"/* "$keep/"
            for f in "$artifacts"/*; do
                echo "   input kept: fuzz/artifacts/$t/$(basename "$f") ($(wc -c <"$f") bytes)"
                echo "   reproduce:  cargo +nightly fuzz run $t fuzz/artifacts/$t/$(basename "$f")"
                echo "   minimise:   cargo +nightly fuzz tmin $t fuzz/artifacts/$t/$(basename "$f")"
            done
        fi
    fi
    summary+=("$line")
done

echo
echo "== fuzz-ci summary (FUZZ_SECONDS=$FUZZ_SECONDS)"
printf '%s\n' "${summary[@]}"
exit "$failed"
