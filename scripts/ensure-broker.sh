#!/usr/bin/env bash
# Make sure a RabbitMQ broker answers on 127.0.0.1:5672 (guest/guest).
# Starts it when it is installed but down; installs it from the system's
# packages (apt) when it is absent.  Exits non-zero if it cannot be reached.
set -euo pipefail

# bash's /dev/tcp: no interpreter needed, so this runs before any Python is set up.
port_open() { timeout 2 bash -c 'exec 3<>/dev/tcp/127.0.0.1/5672' 2>/dev/null; }

if port_open; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

if ! command -v rabbitmq-server >/dev/null 2>&1; then
    echo "RabbitMQ is not installed; installing it from the system's packages..." >&2
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q rabbitmq-server
fi

echo "Starting RabbitMQ..." >&2
$SUDO rabbitmq-server -detached || true

for _ in $(seq 1 120); do
    if port_open; then
        # The port opens a moment before the broker accepts logins.
        rabbitmqctl await_startup >/dev/null 2>&1 || sleep 2
        exit 0
    fi
    sleep 1
done
echo "RabbitMQ did not come up on 127.0.0.1:5672" >&2
exit 1
