"""The Celery app of tests/contrib/test_celery.py, imported by the test and by its worker processes.

Its broker is the local RabbitMQ through ``amqproto.contrib.kombu:Transport``;
the result backend, the task queue, a directory for marker files (and, for
bench/kombu_bench.py, the transport) come from environment variables that
the test sets for the worker it starts.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from celery import Celery
from kombu.entity import Queue

TRANSPORT = "amqproto.contrib.kombu:Transport"
MARKERS = Path(os.environ.get("AMQPROTO_CELERY_MARKERS", "."))


def make_app(backend: str, queue: str, transport: str = TRANSPORT) -> Celery:
    """A Celery app on the local RabbitMQ through amqproto's transport, sending to ``queue``.

    The worker runs the module's :data:`app`; the test makes its own with
    this function (Celery caches its queues and backend) and sends tasks by
    name.
    """
    app = Celery("amqproto_celery_test")
    app.conf.update(
        broker_url="amqp://guest:guest@127.0.0.1:5672//",
        broker_transport=transport,
        broker_connection_retry_on_startup=True,
        result_backend=backend,
        result_expires=300,
        task_default_queue=queue,
        task_default_routing_key=queue,
        task_queues=[Queue(queue, routing_key=queue)],  # type: ignore[no-untyped-call]
        worker_prefetch_multiplier=1,
        worker_enable_remote_control=False,
        worker_hijack_root_logger=False,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
    )
    return app


app = make_app(
    os.environ.get("AMQPROTO_CELERY_BACKEND", "rpc://"),
    os.environ.get("AMQPROTO_CELERY_QUEUE", "amqproto-celery"),
    # bench/kombu_bench.py runs workers on py-amqp too.
    os.environ.get("AMQPROTO_CELERY_TRANSPORT", TRANSPORT),
)


@app.task(name="amqproto_test.add")  # type: ignore[untyped-decorator]
def add(x: int, y: int) -> int:
    return x + y


@app.task(name="amqproto_test.total")  # type: ignore[untyped-decorator]
def total(numbers: list[int]) -> int:
    return sum(numbers)


@app.task(name="amqproto_test.flaky", bind=True, max_retries=5)  # type: ignore[untyped-decorator]
def flaky(self: Any, failures: int) -> int:
    """Fail ``failures`` times (each a retry through the broker), then return how many retries it took."""
    if self.request.retries < failures:
        raise self.retry(countdown=0)
    return int(self.request.retries)


@app.task(name="amqproto_test.transport_name")  # type: ignore[untyped-decorator]
def transport_name() -> str:
    """The transport class the worker's app uses for the broker."""
    with app.connection_for_write() as connection:
        transport = connection.transport
        return f"{type(transport).__module__}:{type(transport).__name__}"


@app.task(name="amqproto_test.wait_unless_redelivered", bind=True, acks_late=True)  # type: ignore[untyped-decorator]
def wait_unless_redelivered(self: Any, name: str) -> str:
    """On its first delivery, say so with a marker file and block (until the worker is killed).

    Redelivered (its worker was killed), it returns at once.
    """
    if self.request.delivery_info.get("redelivered"):
        return "redelivered"
    (MARKERS / name).write_text("started")
    threading.Event().wait(120)
    return "not killed"
