#!/usr/bin/env bash
# Runs the whole test suite N times (default 20) after one build, and records each run:
# start and end time, exit codes, the load average before and after, and the name of
# every test that failed. Not part of CI: it is how docs/FLAKINESS.md was made.
#
#   N=20 OUT=/tmp/suite-runs scripts/repeat-suite.sh
#
# DOC_EVERY=k runs the doc tests on every k-th run only (default 1: every run); they
# compile each example anew and take most of a run's time on a loaded machine.
#
# Run it beside other work (a parallel build, or `stress --cpu 2`) to load the machine.
# CARGO_TARGET_DIR may point at a target directory of its own, so that editing a checkout
# while it runs does not rebuild under it.
set -uo pipefail
cd "$(dirname "$0")/.."

n=${N:-20}
doc_every=${DOC_EVERY:-1}
out=${OUT:-target/suite-runs}
mkdir -p "$out"
summary="$out/summary.txt"
load() { cut -d' ' -f1-3 /proc/loadavg; }

# CI set: the browser and Redis tests fail instead of skipping when their tools are missing.
export CI=1
echo "$(date -u +%FT%TZ) build; load [$(load)]; $(nproc) cores" >>"$summary"
cargo test --workspace --all-features --all-targets --no-run >"$out/build.log" 2>&1 || {
  echo "build failed, see $out/build.log" >&2
  exit 1
}
cargo test --workspace --all-features --doc --no-run >>"$out/build.log" 2>&1 || true

for i in $(seq 1 "$n"); do
  start=$(date -u +%T)
  before=$(load)
  cargo test --workspace --all-features --all-targets --no-fail-fast >"$out/run-$i.log" 2>&1
  tests=$?
  if ((i % doc_every == 0 || i == 1)); then
    cargo test --workspace --all-features --doc --no-fail-fast >"$out/doc-$i.log" 2>&1
    docs=$?
  else
    : >"$out/doc-$i.log"
    docs=-
  fi
  failed=$(grep -hE '^test .* \.\.\. FAILED$' "$out/run-$i.log" "$out/doc-$i.log" |
    sed -E 's/^test (.*) \.\.\. FAILED$/\1/' | tr '\n' ';')
  echo "run $i: $start-$(date -u +%T) exit=$tests/$docs load [$before] -> [$(load)] failed=[$failed]" >>"$summary"
done
cat "$summary"
