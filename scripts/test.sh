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
# The pytest run above runs Twisted on its default reactor (one reactor
# thread for the session: tests/async_runner.py); the Twisted tests again on
# the asyncio reactor.
echo "== pytest: the Twisted tests on twisted.internet.asyncioreactor"
AMQPROTO_TEST_REACTOR=asyncio "$PYTHON" -m pytest -q -p no:cacheprovider -k "twisted or Twisted" \
    tests/integration/_async tests/test_tls.py tests/test_dead_peer.py tests/test_adapter_lifecycle.py tests/test_examples.py
