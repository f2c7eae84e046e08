#!/usr/bin/env bash
# Regenerates docs/PERFORMANCE.md: runs the contention simulation, the outage benchmark
# and the criterion micro-benchmarks, then draws the charts (docs/perf/*.svg) and
# rewrites the report's tables from their output. About 25 minutes on 2 cores;
# SKIP_MICRO=1 leaves out the criterion benches (about 2 minutes then). The criterion
# benches run MICRO_RUNS times (default 3), one after the other, and the report gives
# each case's lowest median: noise on a shared machine only adds time, and a burst of
# it rarely hits the same case in every run. Each run's medians are kept in
# docs/perf/micro-runs.csv.
# At the end it compares this run's figures with the previous run's (the data that was in
# docs/perf before, kept in target/perf-previous) and writes the relative difference of
# every figure to docs/perf/reproducibility.txt. To compare any two runs' data
# directories: scripts/perf-compare.sh OLD_DIR NEW_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/perf
mkdir -p "$out"
target=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

cargo build --release -p staunch-benches --bins
bin="$target/release"

# The previous run's data, for the comparison at the end.
previous="$target/perf-previous"
rm -rf "$previous"
cp -r "$out" "$previous"

{
  echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu:     $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1) ($(nproc) cores)"
  echo "memory:  $(free -g | awk '/^Mem:/ {print $2 " GiB"}')"
  echo "kernel:  $(uname -sr)"
  echo "rustc:   $(rustc -V)"
  echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) before the runs"
} > "$out/machine.txt"

echo "== contention simulation"
"$bin/contention" --runs 100 --seed 1 --csv "$out/contention.csv" \
  --published "$out/aws-simulator-seed1.csv" | tee "$out/contention.txt"

echo "== outage benchmark"
"$bin/outage" --seed 1 --json "$out/outage.json" | tee "$out/outage.txt"

# Only this run's criterion results go into the report: none when SKIP_MICRO=1.
runs=${MICRO_RUNS:-3}
case "$runs" in
  '' | *[!0-9]* | 0) echo "MICRO_RUNS must be a whole number of at least 1, not \`$runs\`" >&2; exit 2 ;;
esac
criterion=()
rm -rf "$target"/criterion "$target"/criterion-run*
if [ "${SKIP_MICRO:-0}" != 1 ]; then
  # Inside a runtime (every case, every peer), then the blocking forms; the async
  # groups of retry.rs and policy.rs poll without a runtime and are left out.
  flags=(--warm-up-time 1 --measurement-time 2 --noplot)
  for r in $(seq "$runs"); do
    echo "== micro-benchmarks, run $r of $runs"
    export CRITERION_HOME="$target/criterion-run$r"
    criterion+=("$CRITERION_HOME")
    cargo bench -p staunch-benches --bench runtime --bench breaker -- "${flags[@]}"
    cargo bench -p staunch-benches --bench retry --bench policy -- "${flags[@]}" '^blocking/'
  done
  unset CRITERION_HOME
  echo "== allocations per call"
  STAUNCH_ALLOCS_JSON="$PWD/$out/allocs.json" cargo bench -p staunch-benches --bench allocs \
    | tee "$out/allocs.txt"
fi

echo "load:    $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min) after the runs" >> "$out/machine.txt"
dirs=$(IFS=,; echo "${criterion[*]:-$target/criterion}")
"$bin/report" --data "$out" --criterion "$dirs" --doc docs/PERFORMANCE.md
echo "== this run against the previous one"
{
  echo "previous run: $(sed -n 's/^date: *//p' "$previous/machine.txt" 2>/dev/null || true)"
  echo "this run:     $(sed -n 's/^date: *//p' "$out/machine.txt")"
  echo
  # Without the micro-benchmarks their figures are the previous run's: not compared.
  if [ "${SKIP_MICRO:-0}" = 1 ]; then
    "$bin/report" --compare "$previous" "$out" --only contention,outage
  else
    "$bin/report" --compare "$previous" "$out"
  fi
} | tee "$out/reproducibility.txt" | tail -n 8
echo "== docs/PERFORMANCE.md and $out/*.svg regenerated"
