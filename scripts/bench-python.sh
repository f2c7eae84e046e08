#!/usr/bin/env bash
# Measures the per-call overhead of the Python package's decorators against tenacity,
# pybreaker and circuitbreaker (crates/staunch-py/bench/overhead.py), with a release
# wheel in its own virtual environment under target/. About a minute after the build.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/python-bench-venv
wheels=target/python-bench-wheels
if [ ! -x "$venv/bin/maturin" ] ||
  ! "$venv/bin/python" -c "import tenacity, pybreaker, circuitbreaker" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q maturin tenacity pybreaker circuitbreaker
fi
rm -rf "$wheels"
"$venv/bin/maturin" build --quiet --release --interpreter "$venv/bin/python" \
  --manifest-path crates/staunch-py/Cargo.toml --out "$wheels"
"$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$wheels"/staunch-*.whl
"$venv/bin/python" crates/staunch-py/bench/overhead.py
