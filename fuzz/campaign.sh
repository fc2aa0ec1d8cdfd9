#!/usr/bin/env bash
# Fuzzes the targets one after the other (one process at a time), SECONDS each (default 3600).
# A campaign that stops on a finding starts again until the target's time is used up; findings
# stay in artifacts/fuzz/findings/TARGET and each run's log in artifacts/fuzz/logs/.
# Usage: fuzz/campaign.sh [SECONDS] [TARGET...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-3600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(http auth-xml cstp dtls-record dtls-demux config)
mkdir -p artifacts/fuzz/logs
[ -n "${FUZZ_NO_BUILD:-}" ] || fuzz/run.sh "${targets[0]}" 1 -runs=0 >/dev/null
for target in "${targets[@]}"; do
  end=$(( $(date +%s) + seconds ))
  run=0
  while [ "$(date +%s)" -lt $((end - 5)) ]; do
    run=$((run + 1))
    left=$(( end - $(date +%s) ))
    echo "$(date -u +%H:%M:%S) $target run $run for ${left}s"
    FUZZ_NO_BUILD=1 fuzz/run.sh "$target" "$left" >"artifacts/fuzz/logs/$target-$run.log" 2>&1 || true
  done
done
