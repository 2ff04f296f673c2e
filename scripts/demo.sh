#!/usr/bin/env bash
# The main job: a publish/consume round trip through RabbitMQ with amqproto.
#
# Makes sure the broker answers on 127.0.0.1:5672 (starting it, or installing
# it from the system's packages when absent), installs amqproto when it is not
# installed, then runs `python3 -m amqproto.demo`: 1,000 messages published in
# confirm mode with the asyncio adapter, consumed back and acked, with counts,
# times and rates.  Arguments go to the demo (`--count 100000`, `--url ...`;
# see `python3 -m amqproto.demo --help`).  Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}

bash scripts/ensure-broker.sh

# Ask from outside the checkout, where the source tree does not count as installed.
if ! (cd / && "$PYTHON" -c 'import amqproto') >/dev/null 2>&1; then
    echo "Installing amqproto (pip install -e .)..." >&2
    if ! "$PYTHON" -m pip install --quiet --disable-pip-version-check -e .; then
        # The demo needs only the standard library: run it from the source tree.
        echo "Could not install amqproto; running the demo from the source tree." >&2
    fi
fi

exec "$PYTHON" -m amqproto.demo "$@"
