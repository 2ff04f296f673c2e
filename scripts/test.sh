#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls this script):
#
#   1. the project's virtual environment .venv (scripts/ensure-venv.sh; made
#      from $PYTHON, default python3), with the project installed editable
#      and its `dev` extra: the test and benchmark dependencies (mypy checks
#      bench/ against the peers it imports), ruff and nox.  Nothing is
#      installed outside .venv, so this works on a system Python that is
#      "externally managed" (PEP 668) and leaves it untouched;
#   2. the broker (scripts/ensure-broker.sh);
#   3. nox (noxfile.py): mypy --strict once, ruff check once, then pytest on
#      each of CPython 3.11, 3.12 and 3.13 found on the machine, each in its
#      own environment under .nox/.  Under CI (CI set) a missing one fails.
#      The tests that drive a private cluster and Celery workers
#      (tests_services, on 3.11) run beside them, in a second nox process.
#
# Arguments go to pytest (`bash scripts/test.sh tests/wire -x`).
# AMQPROTO_RUFF=0 leaves out the ruff step.  Fails on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV_PYTHON=$(bash scripts/ensure-venv.sh)

# Install only when pyproject.toml changed since the last install.
STAMP=.venv/.amqproto-dev-installed
if [ ! -f "$STAMP" ] || ! cmp -s pyproject.toml "$STAMP"; then
    echo "== installing .[dev] into .venv"
    "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check -e '.[dev]'
    cp pyproject.toml "$STAMP"
fi

bash scripts/ensure-broker.sh

SESSIONS=(mypy)
if [ "${AMQPROTO_RUFF:-1}" != 0 ]; then SESSIONS+=(ruff); fi
SESSIONS+=(tests twisted_asyncio_reactor)

NOX_OPTIONS=()
if [ -n "${CI:-}" ]; then
    # Fresh environments, and every Python of the matrix must be present.
    NOX_OPTIONS+=(--error-on-missing-interpreters)
fi

if [ "$#" -gt 0 ]; then
    # Some tests, on each Python: the services' tests only if named.
    exec "$VENV_PYTHON" -m nox "${NOX_OPTIONS[@]}" --sessions "${SESSIONS[@]}" -- "$@"
fi

# The whole suite.  tests_services (the cluster's and Celery's tests, which
# mostly wait for other processes) runs beside the other sessions; its output
# is shown once it ends.  Either failing fails the run.
SERVICES_LOG=.nox/tests_services.log
mkdir -p .nox
"$VENV_PYTHON" -m nox "${NOX_OPTIONS[@]}" --sessions tests_services >"$SERVICES_LOG" 2>&1 &
SERVICES_PID=$!
status=0
"$VENV_PYTHON" -m nox "${NOX_OPTIONS[@]}" --sessions "${SESSIONS[@]}" || status=$?
services_status=0
wait "$SERVICES_PID" || services_status=$?
echo "== tests_services (ran beside the sessions above)"
cat "$SERVICES_LOG"
if [ "$services_status" -ne 0 ]; then
    echo "== tests_services failed (exit $services_status)"
fi
if [ "$status" -ne 0 ] || [ "$services_status" -ne 0 ]; then
    exit 1
fi
