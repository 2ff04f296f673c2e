#!/usr/bin/env bash
# The main job: a publish/consume round trip through RabbitMQ with amqproto.
#
# Makes sure the broker answers on 127.0.0.1:5672 (starting it, or installing
# it from the system's packages when absent), makes the project's virtual
# environment .venv (scripts/ensure-venv.sh, from $PYTHON, default python3)
# and installs amqproto into it, then runs `python -m amqproto.demo` from it:
# 1,000 messages published in confirm mode with the asyncio adapter, consumed
# back and acked, with counts, times and rates.  Nothing is installed outside
# .venv, so a system Python that is "externally managed" (PEP 668) is left
# untouched.  Arguments go to the demo (`--count 100000`, `--url ...`; see
# `python -m amqproto.demo --help`).  Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-broker.sh
VENV_PYTHON=$(bash scripts/ensure-venv.sh)

# Ask from outside the checkout, where the source tree does not count as installed.
if ! (cd / && "$VENV_PYTHON" -c 'import amqproto') >/dev/null 2>&1; then
    echo "Installing amqproto into .venv (pip install -e .)..." >&2
    "$VENV_PYTHON" -m pip install --quiet --disable-pip-version-check -e .
fi

exec "$VENV_PYTHON" -m amqproto.demo "$@"
