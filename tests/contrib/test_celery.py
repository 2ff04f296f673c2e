"""Celery end to end on amqproto's kombu transport: real workers against RabbitMQ.

Each worker is a ``celery worker --pool=solo`` child process running
:mod:`tests.contrib.celery_app` on a queue of its own; the test process
sends tasks and reads results through the same transport.  Results come
back through the ``rpc://`` backend (RabbitMQ) and through Redis at
127.0.0.1:6379 (skipped when Redis does not answer).  Covered: plain tasks,
retries (each one a publish by the worker), a chord (Redis: the rpc
backend has no chords), and a worker killed mid-task whose task the broker
redelivers to the next worker (``acks_late``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("celery")
pytest.importorskip("kombu")

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
#: How long a test waits for a result or a marker: generous, a bound and not a sleep.
WAIT = 60.0


def _redis_answers() -> bool:
    try:
        import redis
    except ImportError:
        return False
    try:
        with redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


class Worker:
    """A Celery worker child process on its own queue."""

    def __init__(self, backend: str, queue: str, markers: Path) -> None:
        self.env = dict(
            os.environ,
            PYTHONPATH=str(ROOT),
            AMQPROTO_CELERY_BACKEND=backend,
            AMQPROTO_CELERY_QUEUE=queue,
            AMQPROTO_CELERY_MARKERS=str(markers),
        )
        self.log = markers / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [sys.executable, "-m", "celery", "-A", "tests.contrib.celery_app", "worker"]
        command += [
            "--pool=solo",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "WARNING",
        ]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        """SIGKILL: no cleanup, no ack; the broker sees the connection drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=WAIT)

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _client(backend: str, queue: str) -> Any:
    from tests.contrib.celery_app import make_app

    return make_app(backend, queue)


def _close_client(app: Any) -> None:
    """Close a client app, and its Redis result consumer for good.

    Celery's ``AsyncResult.__del__`` unsubscribes from the Redis backend's
    pubsub, reconnecting it if it was closed; a result the garbage collector
    finalizes after ``app.close()`` would so leave a socket open, and its
    ``ResourceWarning`` would fail whichever test happened to be running.
    """
    consumer = getattr(app.backend, "result_consumer", None)
    if consumer is not None and hasattr(consumer, "subscribed_to"):
        consumer.stop()
        consumer.subscribed_to.clear()
    app.close()


def _delete_queue(queue: str) -> None:
    from kombu.connection import Connection

    url = "amqp://guest:guest@127.0.0.1:5672//"
    transport = "amqproto.contrib.kombu:Transport"
    with (
        Connection(url, transport=transport) as conn,  # type: ignore[no-untyped-call]
        conn.channel() as channel,
    ):
        channel.queue_delete(queue)


@pytest.fixture(params=["rpc", "redis"], scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip("Redis does not answer at 127.0.0.1:6379")
        return REDIS_URL
    return "rpc://"


@pytest.fixture(scope="module")
def worker(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Worker]]:
    queue = f"amqproto-celery-{uuid.uuid4().hex}"
    markers = tmp_path_factory.mktemp("celery")
    app = _client(backend, queue)
    process = Worker(backend, queue, markers)
    process.start()
    try:
        yield app, process
    finally:
        process.stop()
        _close_client(app)
        _delete_queue(queue)


def _get(result: Any, worker: Worker) -> Any:
    try:
        return result.get(timeout=WAIT)
    except Exception as exc:
        raise AssertionError(f"no result: {exc!r}\nworker log:\n{worker.output()[-4000:]}") from exc


def test_tasks_run_through_the_amqproto_transport(worker: tuple[Any, Worker]) -> None:
    app, process = worker
    with app.connection_for_write() as connection:
        assert connection.transport.driver_name == "amqproto"
    assert _get(app.send_task("amqproto_test.add", (2, 3)), process) == 5
    assert _get(app.send_task("amqproto_test.transport_name"), process) == "amqproto.contrib.kombu:Transport"
    results = [app.send_task("amqproto_test.add", (i, i)) for i in range(20)]
    assert [_get(result, process) for result in results] == [2 * i for i in range(20)]


def test_retries(worker: tuple[Any, Worker]) -> None:
    app, process = worker
    assert _get(app.send_task("amqproto_test.flaky", (3,)), process) == 3


def test_chord(worker: tuple[Any, Worker], backend: str) -> None:
    if backend.startswith("rpc"):
        pytest.skip("Celery's rpc:// backend has no chords")
    from celery import chord

    app, process = worker
    header = [app.signature("amqproto_test.add", (i, i)) for i in range(10)]
    result = chord(header, app=app)(app.signature("amqproto_test.total"))
    assert _get(result, process) == sum(2 * i for i in range(10))


def test_killed_worker_task_is_redelivered(tmp_path: Path) -> None:
    queue = f"amqproto-celery-{uuid.uuid4().hex}"
    app = _client("rpc://", queue)
    first = Worker("rpc://", queue, tmp_path)
    second = Worker("rpc://", queue, tmp_path)
    name = f"started-{uuid.uuid4().hex}"
    try:
        first.start()
        result = app.send_task("amqproto_test.wait_unless_redelivered", (name,))
        deadline = time.monotonic() + WAIT
        while not (tmp_path / name).exists():
            assert time.monotonic() < deadline, f"the task never started:\n{first.output()[-4000:]}"
            assert first.process is not None and first.process.poll() is None, first.output()[-4000:]
            time.sleep(0.05)  # polling a file another process writes, bounded by the deadline
        first.kill()
        second.start()
        assert _get(result, second) == "redelivered"
    finally:
        first.kill()
        second.stop()
        _close_client(app)
        _delete_queue(queue)
