"""kombu and Celery on amqproto's transport against kombu and Celery on py-amqp, in one run.

Run from the repository root, with the broker up (and the ``kombu-test``
extra installed)::

    python bench/kombu_bench.py              # about a minute
    python bench/kombu_bench.py --messages 5000 --repeat 1 --celery 100

Scenarios, each run ``--repeat`` times per transport, alternating the
transports, in this one process (Celery's workers are child processes):

- ``publish``: kombu ``Producer.publish`` of a small JSON body to a queue, no
  confirms, timed until a passive ``queue.declare`` says the queue holds
  them all;
- ``consume``: a kombu ``Consumer`` with prefetch 1000 draining a queue
  pre-filled with as many messages, each acked by ``message.ack()``;
- ``celery``: sequential round trips of a trivial task (``send_task`` then
  ``get``) through a ``--pool=solo`` worker, with the ``rpc://`` backend;
  client and worker both on the transport measured.

Reported: the median messages (or round trips) per second, the client's CPU
time per message (this process only) and amqproto's ratio to py-amqp.
Nothing asserts on time: it is a script, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kombu.connection import Connection
from kombu.entity import Queue
from kombu.messaging import Consumer, Producer

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

URL = "amqp://guest:guest@127.0.0.1:5672//"
TRANSPORTS = {"amqproto": "amqproto.contrib.kombu:Transport", "py-amqp": "pyamqp"}
BODY = {"id": 1, "name": "a small JSON message", "values": [1, 2, 3]}

#: One measurement: (seconds, client CPU seconds).
Sample = tuple[float, float]


def _connection(transport: str) -> Any:
    return Connection(URL, transport=TRANSPORTS[transport])  # type: ignore[no-untyped-call]


def _queue(name: str) -> Any:
    return Queue(name, routing_key=name, auto_delete=False, durable=False)  # type: ignore[no-untyped-call]


def _delete(transport: str, name: str) -> None:
    with _connection(transport) as connection, connection.channel() as channel:
        channel.queue_delete(name)


def bench_publish(transport: str, count: int) -> Sample:
    name = f"amqproto-kombu-bench-{uuid.uuid4().hex}"
    queue = _queue(name)
    try:
        with _connection(transport) as connection, connection.channel() as channel:
            queue(channel).declare()
            producer: Any = Producer(channel, routing_key=name)  # type: ignore[no-untyped-call]
            publish = producer.publish
            start, cpu = time.perf_counter(), time.process_time()
            for _ in range(count):
                publish(BODY, routing_key=name, serializer="json")
            while queue(channel).queue_declare(passive=True).message_count < count:
                pass  # the broker's queue has not taken them all yet
            return (time.perf_counter() - start, time.process_time() - cpu)
    finally:
        _delete(transport, name)


def bench_consume(transport: str, count: int) -> Sample:
    name = f"amqproto-kombu-bench-{uuid.uuid4().hex}"
    queue = _queue(name)
    try:
        with _connection("amqproto") as filler, filler.channel() as channel:
            queue(channel).declare()
            producer: Any = Producer(channel, routing_key=name)  # type: ignore[no-untyped-call]
            for _ in range(count):
                producer.publish(BODY, routing_key=name, serializer="json")
            while queue(channel).queue_declare(passive=True).message_count < count:
                pass
        received = 0

        def on_message(body: Any, message: Any) -> None:
            nonlocal received
            received += 1
            message.ack()

        with _connection(transport) as connection, connection.channel() as channel:
            consumer: Any = Consumer(channel, [queue], callbacks=[on_message], accept=["json"])  # type: ignore[no-untyped-call]
            consumer.qos(prefetch_count=1000)
            start, cpu = time.perf_counter(), time.process_time()
            with consumer:
                while received < count:
                    connection.drain_events(timeout=10)
            return (time.perf_counter() - start, time.process_time() - cpu)
    finally:
        _delete(transport, name)


def bench_celery(transport: str, count: int) -> Sample:
    from celery import Celery

    queue = f"amqproto-kombu-bench-{uuid.uuid4().hex}"
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        AMQPROTO_CELERY_BACKEND="rpc://",
        AMQPROTO_CELERY_QUEUE=queue,
        AMQPROTO_CELERY_TRANSPORT=TRANSPORTS[transport],
    )
    command = [sys.executable, "-m", "celery", "-A", "tests.contrib.celery_app", "worker", "--pool=solo"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
    worker = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    from tests.contrib.celery_app import make_app

    app: Celery = make_app("rpc://", queue, transport=TRANSPORTS[transport])
    try:
        app.send_task("amqproto_test.add", (0, 0)).get(timeout=60)  # the worker is up
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(count):
            assert app.send_task("amqproto_test.add", (i, 1)).get(timeout=60) == i + 1
        return (time.perf_counter() - start, time.process_time() - cpu)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        app.close()
        _delete(transport, queue)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20000, help="messages per publish/consume run")
    parser.add_argument("--celery", type=int, default=300, help="Celery round trips per run (0: skip)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenarios: list[tuple[str, Callable[[str, int], Sample], int]] = [
        ("publish", bench_publish, args.messages),
        ("consume", bench_consume, args.messages),
    ]
    if args.celery:
        scenarios.append(("celery round trips", bench_celery, args.celery))
    print("| scenario | transport | per second (median) | client CPU µs per message | amqproto ÷ py-amqp |")
    print("|---|---|---|---|---|")
    for label, bench, count in scenarios:
        samples: dict[str, list[Sample]] = {name: [] for name in TRANSPORTS}
        for _ in range(args.repeat):
            for name in TRANSPORTS:
                samples[name].append(bench(name, count))
                print(f"  {label} {name}: {count / samples[name][-1][0]:,.0f}/s", file=sys.stderr)
        rates = {
            name: statistics.median(count / seconds for seconds, _ in runs) for name, runs in samples.items()
        }
        for name, runs in samples.items():
            cpu = statistics.median(cpu for _, cpu in runs) / count * 1e6
            ratio = f"{rates['amqproto'] / rates['py-amqp']:.2f}×" if name == "amqproto" else ""
            print(f"| {label} | {name} | {rates[name]:,.0f} | {cpu:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
