#!/usr/bin/env bash
# The whole test suite: install the project with its test and benchmark
# dependencies (mypy checks bench/ against the peers it imports), make
# sure the broker is up, then mypy --strict and pytest.  Fails on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
"$PYTHON" -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
bash scripts/ensure-broker.sh

echo "== mypy --strict"
"$PYTHON" -m mypy --strict
echo "== pytest"
"$PYTHON" -m pytest "$@"
