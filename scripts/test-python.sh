#!/usr/bin/env bash
# Builds the `staunch` Python wheel (crates/staunch-py) with maturin into a virtual
# environment under target/, then runs its pytest suites. Installs Python's venv support
# from Debian and the test tools from PyPI when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/python-venv
wheels=target/python-wheels
packages=(maturin pytest pytest-asyncio fastapi httpx tenacity)

if ! command -v python3 >/dev/null 2>&1 || ! python3 -c "import venv, ensurepip" 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing python3 and python3-venv for the Python package's tests"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  else
    echo "error: python3 with venv support is needed for the Python package's tests" >&2
    exit 1
  fi
fi

if [ ! -x "$venv/bin/maturin" ] ||
  ! "$venv/bin/python" -c "import pytest, pytest_asyncio, fastapi, httpx, tenacity" 2>/dev/null; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q "${packages[@]}"
fi

# A debug build is enough to test the behaviour and builds in half the time; the
# benchmark (scripts/bench-python.sh) builds the release wheel.
rm -rf "$wheels"
"$venv/bin/maturin" build --quiet --profile dev --interpreter "$venv/bin/python" \
  --manifest-path crates/staunch-py/Cargo.toml --out "$wheels"
"$venv/bin/python" -m pip install -q --force-reinstall --no-deps "$wheels"/staunch-*.whl

cd crates/staunch-py
"../../$venv/bin/python" -m pytest -q -p no:cacheprovider tests
