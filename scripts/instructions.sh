#!/usr/bin/env bash
# Instructions per call of staunch's async call forms, counted by callgrind: the
# difference between two loop lengths, so start-up and the runtime's set-up cancel out.
# Exact and free of the machine's noise, for comparing two versions of the call path;
# speed itself is measured by `cargo bench`. Under valgrind the clock is a system call,
# so `policy_timeout` counts are not those of a real run.
#
#   scripts/instructions.sh [case ...]   (default: every case)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
cargo build --release -q -p staunch-benches --bin instructions
bin=target/release/instructions
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(direct direct_failure floor_retry retry retry_borrowed tokio_retry tryhard floor_breaker success failure rejection policy policy_timeout)
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
    awk '/Collected :/ { print $NF }'
}
printf '%-16s %s\n' case instructions/call
for case in "${cases[@]}"; do
  short=$(count "$case" 10000)
  long=$(count "$case" 60000)
  printf '%-16s %s\n' "$case" $(((long - short) / 50000))
done
