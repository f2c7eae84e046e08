#!/usr/bin/env bash
# Runs every test of the workspace on a fresh Debian machine with Rust stable.
# Installs what the tests need when it is missing (headless Chromium and its driver
# for the dashboard's browser test, redis-server, valgrind), then runs unit,
# integration, doc and UI tests.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
# staunch-redis's tests and the demo's fleet test start their own redis-server on a free loopback port.
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# staunch's valgrind test runs a program that reads the system clock under valgrind.
command -v valgrind >/dev/null 2>&1 || need+=(valgrind)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]} for the browser, Redis and valgrind tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "warning: ${need[*]} missing and cannot be installed; the browser, Redis or valgrind tests will be skipped" >&2
    echo "(the browser test fails instead when CI or STAUNCH_REQUIRE_BROWSER is set)" >&2
  fi
fi

# Every crate, every target, every feature combination that matters.
cargo test --workspace --all-features --all-targets
cargo test --workspace --all-features --doc
# The core without default features (no tokio) must build and pass its tests too.
cargo test -p staunch --no-default-features --features test-util --lib --tests
# loom models of the circuit breaker's atomic state machine (about eight minutes here).
RUSTFLAGS="--cfg loom" cargo test -p staunch --release --test loom_breaker
# loom models of the retry budget's token accounting.
RUSTFLAGS="--cfg loom" cargo test -p staunch --release --lib loom_tests
# The Python package: build the wheel with maturin into a virtual environment, run its
# pytest suites (about a minute, most of it the build).
./scripts/test-python.sh
