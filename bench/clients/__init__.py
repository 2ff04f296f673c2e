"""The clients under test, each in its own module with a ``run(job, probe)``.

Modules are imported by name in the worker process, so a run imports only
its own client library.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from ..common import Job, Probe

__all__ = ["AMQPROTO_CLIENTS", "CLIENTS", "PEER_CLIENTS", "runner"]

#: client name -> (module, function)
CLIENTS: dict[str, tuple[str, str]] = {
    "amqproto-asyncio": ("bench.clients.amqproto_async", "run_asyncio"),
    "amqproto-uvloop": ("bench.clients.amqproto_async", "run_uvloop"),
    "amqproto-uvloop-recovery": ("bench.clients.amqproto_async", "run_uvloop_recovery"),
    "amqproto-curio": ("bench.clients.amqproto_async", "run_curio"),
    "amqproto-trio": ("bench.clients.amqproto_async", "run_trio"),
    "amqproto-twisted": ("bench.clients.amqproto_async", "run_twisted"),
    "amqproto-blocking": ("bench.clients.amqproto_blocking", "run"),
    "pika-blocking": ("bench.clients.pika_blocking", "run"),
    "pika-select": ("bench.clients.pika_select", "run"),
    "py-amqp": ("bench.clients.pyamqp", "run"),
    "aiormq-asyncio": ("bench.clients.aiormq_client", "run_asyncio"),
    "aiormq-uvloop": ("bench.clients.aiormq_client", "run_uvloop"),
    "aio-pika-asyncio": ("bench.clients.aiopika_client", "run_asyncio"),
    "aio-pika-uvloop": ("bench.clients.aiopika_client", "run_uvloop"),
}

AMQPROTO_CLIENTS = [name for name in CLIENTS if name.startswith("amqproto")]
PEER_CLIENTS = [name for name in CLIENTS if not name.startswith("amqproto")]


def runner(client: str) -> Callable[[Job, Probe], None]:
    """The ``run(job, probe)`` of a client, importing its library."""
    module_name, function = CLIENTS[client]
    module = importlib.import_module(module_name)
    run: Callable[[Job, Probe], None] = getattr(module, function)
    return run
