"""Every example's ``main()`` against the broker, and the demo's.

Each of the six tutorials runs under each adapter (asyncio, curio, trio,
Twisted, blocking) with names of its own, and the test checks what ``main()`` returned: which
messages arrived where, and nothing else.  Then it checks that the example
cleaned up: its queue or exchange no longer exists.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from amqproto import demo
from amqproto.exceptions import NotFound
from amqproto.io.blocking import BlockingConnection

from .async_runner import run
from .optional import HAVE_CURIO, needs_curio

if HAVE_CURIO:  # curio imports on CPython < 3.12 only: see tests/optional.py
    pass

pytestmark = [pytest.mark.broker, pytest.mark.timeout(60)]

URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
ADAPTERS = ("asyncio", pytest.param("curio", marks=needs_curio), "trio", "twisted", "blocking")
#: Seconds one example may take before it counts as hung.
TIMEOUT = 30.0


def run_example(adapter: str, name: str, **arguments: Any) -> Any:
    """Import ``examples.<adapter>.<name>`` and run its ``main(**arguments)``."""
    main = importlib.import_module(f"examples.{adapter}.{name}").main
    if adapter == "blocking":
        return main(url=URL, **arguments)
    return run(adapter, lambda: main(url=URL, **arguments), TIMEOUT)


def unique(what: str) -> str:
    return f"amqproto.test-examples.{what}.{uuid.uuid4().hex[:12]}"


def assert_gone(*, queue: str | None = None, exchange: str | None = None) -> None:
    """The queue or exchange no longer exists (the broker may take a moment to auto-delete)."""
    deadline = time.monotonic() + 5
    # heartbeat=0: with heartbeats on, closing a BlockingConnection takes a second
    # (it waits for its sleeping timer thread).
    with BlockingConnection(URL, heartbeat=0) as connection:
        while True:
            with connection.get_channel() as channel:
                try:
                    if queue is not None:
                        channel.queue_declare(queue, passive=True)
                    else:
                        assert exchange is not None
                        channel.exchange_declare(exchange, passive=True)
                except NotFound:
                    return
            if time.monotonic() > deadline:
                pytest.fail(f"the example left {queue or exchange!r} behind")
            time.sleep(0.05)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_hello_world_delivers_the_messages(adapter: str) -> None:
    queue = unique("hello")
    bodies = (b"Hello World!", b"", b"\x00\xff" * 1000)
    assert run_example(adapter, "hello_world", queue=queue, bodies=bodies) == list(bodies)
    assert_gone(queue=queue)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_work_queues_share_the_tasks_fairly(adapter: str) -> None:
    queue = unique("tasks")
    tasks = [f"task {number}" + "." * (2 + number % 2) for number in range(6)]
    done = run_example(adapter, "work_queues", tasks=tasks, queue=queue, workers=2)
    # Every task was done exactly once...
    assert sorted(task for _, task in done) == sorted(tasks)
    # ...and with prefetch_count=1, the second worker got some while the first was busy.
    assert {worker for worker, _ in done} == {"worker 1", "worker 2"}
    assert_gone(queue=queue)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_publish_subscribe_gives_every_subscriber_every_log(adapter: str) -> None:
    exchange = unique("logs")
    logs = ["info: one", "warning: two", "error: three", "info: four"]
    received = run_example(adapter, "publish_subscribe", logs=logs, exchange=exchange, subscribers=3)
    assert received == [logs, logs, logs]
    assert_gone(exchange=exchange)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_routing_delivers_only_the_bound_severities(adapter: str) -> None:
    exchange = unique("direct_logs")
    logs = [
        ("info", "one"),
        ("error", "two"),
        ("debug", "three"),
        ("warning", "four"),
        ("error", "five"),
        ("info", "six"),
        ("critical", "seven"),
    ]
    bindings = [["error"], ["info", "warning", "error"], ["debug"]]
    received, unroutable = run_example(adapter, "routing", logs=logs, bindings=bindings, exchange=exchange)
    assert received == [
        [("error", "two"), ("error", "five")],
        [("info", "one"), ("error", "two"), ("warning", "four"), ("error", "five"), ("info", "six")],
        [("debug", "three")],
    ]
    # Published with mandatory=True in confirm mode: basic_publish raised UnroutableError.
    assert unroutable == [("critical", "seven")]
    assert_gone(exchange=exchange)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_topics_route_by_pattern(adapter: str) -> None:
    exchange = unique("topic_logs")
    logs = [
        ("kern.critical", "a"),
        ("kern.info", "b"),
        ("cron.critical", "c"),
        ("cron.info", "d"),
        ("auth", "e"),
        ("auth.login.failed", "f"),
        ("kern.disk.full", "g"),
    ]
    bindings = [["kern.*"], ["*.critical"], ["kern.*", "*.critical"], ["auth.#"]]
    received, unroutable = run_example(adapter, "topics", logs=logs, bindings=bindings, exchange=exchange)
    assert received == [
        [("kern.critical", "a"), ("kern.info", "b")],
        [("kern.critical", "a"), ("cron.critical", "c")],
        # Matched by both binding keys, delivered once.
        [("kern.critical", "a"), ("kern.info", "b"), ("cron.critical", "c")],
        # '#' matches zero words too.
        [("auth", "e"), ("auth.login.failed", "f")],
    ]
    # '*' is exactly one word: nothing takes kern.disk.full.
    assert unroutable == [("cron.info", "d"), ("kern.disk.full", "g")]
    assert_gone(exchange=exchange)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_rpc_returns_fibonacci_numbers(adapter: str) -> None:
    queue = unique("rpc")
    numbers = [0, 1, 2, 10, 20]
    assert run_example(adapter, "rpc", numbers=numbers, queue=queue) == [0, 1, 1, 55, 6765]
    assert_gone(queue=queue)


#: Runs an example's main() under the asyncio reactor, in a process of its own
#: (the tests above run Twisted on the session's reactor; see tests/async_runner.py).
UNDER_ASYNCIO_REACTOR = """
import sys
from twisted.internet import asyncioreactor
asyncioreactor.install()
from twisted.internet import defer, reactor, task
from examples.twisted import hello_world

async def main(reactor: object) -> None:
    received = await hello_world.main(queue=sys.argv[1], bodies=[b"one", b"two"], url=sys.argv[2])
    assert received == [b"one", b"two"], received
    assert type(reactor).__name__ == "AsyncioSelectorReactor", reactor
    print("OK under", type(reactor).__name__)

task.react(lambda reactor: defer.Deferred.fromCoroutine(main(reactor)))
"""


def test_the_twisted_examples_run_under_the_asyncio_reactor() -> None:
    queue = unique("hello-asyncioreactor")
    root = Path(__file__).resolve().parent.parent
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", UNDER_ASYNCIO_REACTOR, queue, URL],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert "OK under AsyncioSelectorReactor" in done.stdout
    assert_gone(queue=queue)


def test_the_demo_round_trips_a_batch(capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["--count", "300", "--size", "64", "--window", "50", "--url", URL, "--timeout", str(TIMEOUT)]
    assert demo.main(arguments) == 0
    output = capsys.readouterr().out
    assert "published 300 messages of 64 bytes in confirm mode (at most 50 unconfirmed), all acked" in output
    assert "the queue holds 300 messages" in output
    assert "consumed and acked 300 messages" in output
    assert output.splitlines()[-1].startswith("OK: 300 published and confirmed, 300 consumed and acked")


def test_the_demo_exits_with_status_1_without_a_broker(capsys: pytest.CaptureFixture[str]) -> None:
    # Port 1 on localhost: nothing listens there.
    assert demo.main(["--count", "10", "--url", "amqp://guest:guest@127.0.0.1:1/%2F"]) == 1
    assert "FAILED: cannot connect to 127.0.0.1:1" in capsys.readouterr().err
