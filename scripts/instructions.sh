#!/usr/bin/env bash
# Instructions and memory writes per call of staunch's async call forms, counted by
# callgrind: the difference between two loop lengths, so start-up and the runtime's
# set-up cancel out. Writes (a store, a `call`'s return address) are counted because on
# the AMD EPYC VM of earlier report runs time on these fast paths followed them; on the
# Intel Xeon VM of later runs it did not always (see benches/README.md).
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
# "instructions writes" of `n` calls (callgrind's Ir and Dw events).
count() {
  valgrind --tool=callgrind --cache-sim=yes --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
    awk '/Collected :/ { print $4, $6 }'
}
printf '%-16s %18s %12s\n' case instructions/call writes/call
for case in "${cases[@]}"; do
  read -r short_i short_w <<<"$(count "$case" 10000)"
  read -r long_i long_w <<<"$(count "$case" 60000)"
  printf '%-16s %18s %12s\n' "$case" $(((long_i - short_i) / 50000)) $(((long_w - short_w) / 50000))
done
