#!/usr/bin/env bash
# The longer fuzzing run, for a dedicated machine or a nightly job:
# each target for FUZZ_SECONDS (default 3600) with FUZZ_JOBS parallel libFuzzer
# jobs (default: number of CPUs), growing a persistent corpus.
#
#   scripts/fuzz-long.sh                          # all targets, 1 h each
#   FUZZ_SECONDS=28800 FUZZ_JOBS=8 scripts/fuzz-long.sh router_sequence
#
# Unlike scripts/fuzz-ci.sh this keeps its state in the (git-ignored) fuzz tree:
#   fuzz/corpus/<target>/      the corpus, seeded from fuzz/seeds/<target>/ and kept
#                              between runs (libFuzzer only adds to it)
#   fuzz/artifacts/<target>/   crash / timeout / oom inputs
#   fuzz/target/fuzz-logs/<target>/fuzz-<job>.log   one log per job
# With FUZZ_CMIN=1 the corpus is minimised afterwards (cargo fuzz cmin).
# Interesting new corpus entries can be promoted to fuzz/seeds/ by hand; keep the
# seeds small.
#
# Reproduce / minimise a crash:
#   cargo +nightly fuzz run  <target> fuzz/artifacts/<target>/<file>
#   cargo +nightly fuzz tmin <target> fuzz/artifacts/<target>/<file>
# For router_sequence, `VRRP_FUZZ_TRACE=1` prints the ops and actions of a replayed
# input; `cargo +nightly fuzz fmt router_sequence <file>` prints it decoded.
set -euo pipefail

FUZZ_SECONDS=${FUZZ_SECONDS:-3600}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc)}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-20}
FUZZ_RSS_LIMIT_MB=${FUZZ_RSS_LIMIT_MB:-2048}
FUZZ_CMIN=${FUZZ_CMIN:-0}

# shellcheck source=scripts/fuzz-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/fuzz-common.sh" "$@"

failed=0
declare -a summary
for t in "${targets[@]}"; do
    corpus="$root/fuzz/corpus/$t"
    artifacts="$root/fuzz/artifacts/$t"
    logs="$root/fuzz/target/fuzz-logs/$t"
    scratch="$root/fuzz/target/fuzz-tmp/$t"
    mkdir -p "$corpus" "$artifacts" "$logs" "$scratch"
    rm -f "$logs"/fuzz-*.log
    before=$(find "$artifacts" -type f | wc -l)
    echo "== $t: ${FUZZ_SECONDS}s x $FUZZ_JOBS job(s), corpus $(find "$corpus" -type f | wc -l) + seeds"
    set +e
    # -jobs/-workers: N independent libFuzzer processes sharing the corpus dir, each
    # running for FUZZ_SECONDS and logging to fuzz-<n>.log in the current directory.
    # The first corpus dir receives new inputs; the seeds dir is only read.
    (cd "$logs" && TMPDIR="$scratch" ASAN_OPTIONS="${ASAN_OPTIONS:-detect_odr_violation=0}" \
        "$bindir/$t" "$corpus" "$root/fuzz/seeds/$t" \
        -jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS" \
        -max_total_time="$FUZZ_SECONDS" \
        -timeout="$FUZZ_TIMEOUT" \
        -rss_limit_mb="$FUZZ_RSS_LIMIT_MB" \
        -artifact_prefix="$artifacts/" \
        -print_final_stats=1 >"$logs/driver.log" 2>&1)
    status=$?
    set -e
    runs=$(cat "$logs"/fuzz-*.log 2>/dev/null | sed -n 's/^Done \([0-9][0-9]*\) runs in .*/\1/p' \
        | awk '{s += $1} END {print s + 0}')
    new=$(( $(find "$artifacts" -type f | wc -l) - before ))
    if [ "$status" -eq 0 ] && [ "$new" -eq 0 ]; then
        line="$t: $runs executions over $FUZZ_JOBS job(s), corpus $(find "$corpus" -type f | wc -l), 0 crashes"
    else
        failed=1
        line="$t: FAILED (exit $status), $runs executions, $new new artifact(s) in fuzz/artifacts/$t/"
        grep -h -E -A25 "panicked at|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)" \
            "$logs"/fuzz-*.log 2>/dev/null | head -n 80 || true
    fi
    echo "$line"
    summary+=("$line")
    if [ "$FUZZ_CMIN" = 1 ]; then
        cargo +nightly fuzz cmin "$t" "$corpus"
    fi
done

echo
echo "== fuzz-long summary (FUZZ_SECONDS=$FUZZ_SECONDS, FUZZ_JOBS=$FUZZ_JOBS)"
printf '%s\n' "${summary[@]}"
echo "logs: fuzz/target/fuzz-logs/<target>/"
exit "$failed"
