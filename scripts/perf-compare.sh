#!/usr/bin/env bash
# Compares two runs of scripts/perf-report.sh: every figure both data directories hold
# (contention.csv, outage.json, micro.csv, allocs.json), its value in each, the absolute
# and relative difference, then per section the median and largest relative difference.
# Usage: scripts/perf-compare.sh OLD_DIR NEW_DIR [--only outage,contention]
#   (e.g. a copy of docs/perf, and docs/perf; --only keeps the sections named)
set -euo pipefail
if [ $# -ne 2 ] && [ $# -ne 4 ]; then
  echo "usage: $0 OLD_DIR NEW_DIR [--only SECTION,...]" >&2
  exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
shift 2
cd "$(dirname "$0")/.."
cargo run --quiet --release -p staunch-benches --bin report -- --compare "$old" "$new" "$@"
