"""What the broker suite needs besides an adapter: the URL, names, rabbitmqctl.

Shared by both flavours of the suite (``_async`` and the generated
``_sync``), so everything here is plain blocking code.
"""

from __future__ import annotations

import subprocess
import uuid

__all__ = ["URL", "unique", "connection_pid", "close_connection_named"]

#: The broker every test talks to (see scripts/ensure-broker.sh).
URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


def unique(kind: str) -> str:
    """A name no other test (or concurrent run) uses."""
    return f"amqproto.test.{kind}.{uuid.uuid4().hex}"


def _rabbitmqctl(*arguments: str) -> str:
    completed = subprocess.run(
        ["rabbitmqctl", *arguments], capture_output=True, text=True, timeout=30, check=True
    )
    return completed.stdout


def connection_pid(connection_name: str) -> str:
    """The broker-side pid of the connection whose client_properties name it ``connection_name``."""
    # One row per connection: "<rabbit@host.N.N.N>\t[{"product","amqproto"},...]".
    wanted = f'{{"connection_name","{connection_name}"}}'
    output = _rabbitmqctl("list_connections", "pid", "client_properties", "--quiet", "--no-table-headers")
    for line in output.splitlines():
        pid, _, properties = line.partition("\t")
        if wanted in properties:
            return pid
    raise LookupError(f"the broker lists no connection named {connection_name!r}")


def close_connection_named(connection_name: str, reason: str) -> None:
    """Have the broker close a connection, as an operator would (reply code 320)."""
    pid = connection_pid(connection_name)
    _rabbitmqctl("close_connection", pid, reason)
