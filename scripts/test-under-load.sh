#!/usr/bin/env bash
# Runs the project's test command (scripts/test.sh) RUNS times (default 3) while
# stress-ng holds every core with busy loops, as a CI machine shared with other work
# would be. Each run's result and duration is printed; exits non-zero if any run failed.
# README.md ("Tests under load") quotes the last results.
#
#   sudo bash scripts/test-under-load.sh            # 3 runs, all cores busy
#   RUNS=1 STRESS_CPUS=1 sudo bash scripts/test-under-load.sh
#
# Installs stress-ng (Debian package) when missing. Logs go to target/under-load/.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
STRESS_CPUS=${STRESS_CPUS:-$(nproc)}

if ! command -v stress-ng >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >/dev/null
fi
mkdir -p target/under-load
stress-ng --cpu "$STRESS_CPUS" --timeout 0 --quiet &
stress=$!
trap 'kill "$stress" 2>/dev/null || true; wait "$stress" 2>/dev/null || true' EXIT

failed=0
for run in $(seq 1 "$RUNS"); do
    log=target/under-load/run-$run.log
    start=$(date +%s)
    if bash scripts/test.sh >"$log" 2>&1; then
        result=passed
    else
        result=FAILED
        failed=$((failed + 1))
    fi
    printf 'run %d/%d under stress-ng --cpu %d: %s in %d s (%s)\n' \
        "$run" "$RUNS" "$STRESS_CPUS" "$result" "$(( $(date +%s) - start ))" "$log"
    [ "$result" = passed ] || grep -E "panicked|FAILED|^error" "$log" | head -20 || true
done
echo "$((RUNS - failed)) passed, $failed failed"
[ "$failed" = 0 ]
