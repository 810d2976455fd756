#!/usr/bin/env bash
# The project's test command: installs what the tests need, then runs
# ruff, mypy --strict and the whole pytest suite. Fails on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

echo "== ruff"
dirs=(); for d in src tests benchmarks examples; do [ -d "$d" ] && dirs+=("$d"); done
.venv/bin/ruff check "${dirs[@]}"
echo "== mypy --strict"
.venv/bin/mypy --strict src
echo "== docs (sphinx, warnings are errors)"
docs_out=$(mktemp -d)
.venv/bin/python -m sphinx -W --keep-going -q -b html docs "$docs_out"
rm -rf "$docs_out"
echo "== pytest"
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
echo "== benchmarks (quick run, ratios printed)"
.venv/bin/python -m pytest -q -p no:cacheprovider benchmarks --benchmark-disable-gc \
    --benchmark-min-rounds=5 --benchmark-max-time=0.05 --benchmark-columns=median -o addopts=""
