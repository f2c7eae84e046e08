#!/usr/bin/env bash
# Mutation testing of the state machines and arithmetic that every call relies on:
# the breaker's state word and transitions, its windows, backoff and jitter, the retry
# budget and the retry state. Not part of CI (it rebuilds the crate once per mutant).
#
#   scripts/mutants.sh                 # every module below (hours on 2 cores)
#   scripts/mutants.sh retry/state.rs  # one or more modules, paths under crates/staunch/src
#   scripts/mutants.sh --lib-only breaker/word.rs  # the unit tests only: several times faster,
#                                                  # a lower bound of the score
#
# Installs cargo-mutants from crates.io when missing. Results go to mutants.out/ (per
# mutant: caught, missed, timeout, unviable); docs/MUTANTS.md records the scores measured.
set -euo pipefail
cd "$(dirname "$0")/.."

tests=(--lib --test it --test tracing_breaker)
if [ "${1:-}" = --lib-only ]; then
  tests=(--lib)
  shift
fi

modules=(
  breaker/word.rs
  breaker/transition.rs
  breaker/window/count.rs
  breaker/window/time.rs
  backoff/delays.rs
  backoff/jitter.rs
  backoff/nanos.rs
  budget/bucket.rs
  retry/state.rs
)
if [ $# -gt 0 ]; then
  modules=("$@")
fi

command -v cargo-mutants >/dev/null 2>&1 || cargo install cargo-mutants --locked

files=()
for module in "${modules[@]}"; do
  files+=(--file "crates/staunch/src/$module")
done

# One job, a bounded time per mutant (a mutant that makes a loop endless is a timeout,
# counted as caught), the unit tests and the behaviour tests of the core crate.
exec nice cargo mutants --package staunch "${files[@]}" \
  --jobs 1 --timeout 120 --build-timeout 600 \
  -- "${tests[@]}"
