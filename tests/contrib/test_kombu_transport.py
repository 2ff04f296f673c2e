"""amqproto.contrib.kombu:Transport against the broker: what kombu's own suite does not pin down.

Options (unknown ones ignored, heartbeats off for ``None``/``0``), the
``drain_events`` contract (``socket.timeout``, ``timeout=0`` handling what is
buffered), py-amqp's exception classes, return values of the queue methods,
publisher confirms, returned messages, acks from another thread while the
caller's thread is blocked reading, and a heartbeat tick after the caller
stopped reading for a while.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("kombu")
amqp_exceptions = pytest.importorskip("amqp.exceptions")

from kombu.connection import Connection  # noqa: E402 -- after the importorskip above, which must run first
from kombu.entity import Queue  # noqa: E402 -- after the importorskip above, which must run first
from kombu.messaging import Consumer, Producer  # noqa: E402 -- after the importorskip above, which must run first

from amqproto.contrib.kombu import Transport, TransportConnection  # noqa: E402 -- after the importorskip above, which must run first

pytestmark = pytest.mark.broker

URL = "amqp://guest:guest@127.0.0.1:5672//"
TRANSPORT = "amqproto.contrib.kombu:Transport"


def _connect(**options: Any) -> Any:
    return Connection(URL, transport=TRANSPORT, **options)  # type: ignore[no-untyped-call]


@pytest.fixture
def conn() -> Iterator[Any]:
    connection = _connect()
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture
def queue_name(conn: Any) -> Iterator[str]:
    name = f"amqproto-kombu-{uuid.uuid4().hex}"
    yield name
    with _connect() as cleanup, cleanup.channel() as channel:
        channel.queue_delete(name)


def _publish(conn: Any, name: str, body: Any, **kwargs: Any) -> None:
    producer: Any = Producer(conn.default_channel, routing_key=name)  # type: ignore[no-untyped-call]
    producer.publish(body, routing_key=name, **kwargs)


def test_transport_attributes() -> None:
    assert Transport.driver_type == "amqp"
    assert Transport.driver_name == "amqproto"
    assert Transport.implements.asynchronous and Transport.implements.heartbeats
    assert amqp_exceptions.ChannelError in Transport.channel_errors
    assert OSError in Transport.connection_errors
    assert amqp_exceptions.RecoverableConnectionError in Transport.recoverable_connection_errors


def test_unknown_options_are_ignored_and_heartbeats_are_off_by_default(conn: Any) -> None:
    options = {"no_such_option": 1, "confirm_timeout": 5, "read_timeout": 3}
    with _connect(transport_options=options, heartbeat=None) as connection:
        raw = connection.connection
        assert isinstance(raw, TransportConnection)
        assert raw.connected and raw.heartbeat == 0 and raw._heartbeat_thread is None
        assert raw.server_properties["product"] == "RabbitMQ"
        assert connection.transport.driver_version()
    with _connect(heartbeat=0) as connection:
        assert connection.connection.heartbeat == 0


def test_heartbeats_negotiated_when_asked(conn: Any) -> None:
    with _connect(heartbeat=30) as connection:
        raw = connection.connection
        assert raw.heartbeat == 30
        assert raw._heartbeat_thread is not None and raw._heartbeat_thread.is_alive()
        connection.heartbeat_check(rate=2)  # nothing due: no error


def test_refused_connection_is_an_oserror() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        raw = TransportConnection(host=f"127.0.0.1:{port}", connect_timeout=2)
        with pytest.raises(ConnectionRefusedError):  # an OSError, which kombu retries
            raw.connect()


def test_drain_events_timeout_and_buffered(conn: Any, queue_name: str) -> None:
    received: list[Any] = []
    queue: Any = Queue(queue_name, routing_key=queue_name)  # type: ignore[no-untyped-call]
    consumer: Any = Consumer(conn, [queue], callbacks=[lambda body, message: received.append(body)])  # type: ignore[no-untyped-call]
    with consumer:
        with pytest.raises(socket.timeout):
            conn.drain_events(timeout=0)
        with pytest.raises(socket.timeout):
            conn.drain_events(timeout=0.05)
        _publish(conn, queue_name, {"n": 1})
        deadline = time.monotonic() + 10
        while not received:
            assert time.monotonic() < deadline
            with contextlib.suppress(TimeoutError):
                conn.drain_events(timeout=0)
    assert received == [{"n": 1}]


def test_queue_methods_return_py_amqp_values(conn: Any, queue_name: str) -> None:
    channel = conn.default_channel
    assert tuple(channel.queue_declare(queue_name, auto_delete=False)) == (queue_name, 0, 0)
    for n in range(3):
        _publish(conn, queue_name, n)
    deadline = time.monotonic() + 10
    while channel.queue_declare(queue_name, passive=True).message_count < 3:
        assert time.monotonic() < deadline
    message = channel.basic_get(queue_name)
    assert message.delivery_info["message_count"] == 2
    assert message.properties["content_type"] == "application/json"
    channel.basic_ack(message.delivery_tag)
    assert channel.queue_purge(queue_name) == 2
    assert channel.basic_get(queue_name) is None


def test_errors_are_py_amqp_classes(conn: Any) -> None:
    channel = conn.channel()
    missing = f"amqproto-kombu-missing-{uuid.uuid4().hex}"
    with pytest.raises(amqp_exceptions.NotFound):
        channel.queue_declare(missing, passive=True)
    assert not channel.is_open
    with pytest.raises(amqp_exceptions.RecoverableConnectionError):
        channel.queue_declare(missing, passive=True)
    assert conn.connected  # a channel error leaves the connection open


def test_confirm_publish_and_returned_messages(queue_name: str) -> None:
    returned: list[tuple[Any, str, str]] = []
    with _connect(transport_options={"confirm_publish": True, "confirm_timeout": 10}) as connection:
        channel = connection.channel()
        channel.queue_declare(queue_name, auto_delete=False)
        channel.events["basic_return"].add(
            lambda exc, exchange, key, message: returned.append((exc, exchange, key))
        )
        producer: Any = Producer(channel)  # type: ignore[no-untyped-call]
        producer.publish({"ok": True}, routing_key=queue_name)
        assert channel.queue_declare(queue_name, passive=True).message_count == 1  # confirmed: queued
        producer.publish({"lost": True}, routing_key=f"nowhere-{uuid.uuid4().hex}", mandatory=True)
    assert len(returned) == 1
    error, exchange, key = returned[0]
    assert isinstance(error, amqp_exceptions.ChannelError) and error.reply_code == 312
    assert exchange == "" and key.startswith("nowhere-")


def test_ack_from_another_thread_while_blocked_reading(conn: Any, queue_name: str) -> None:
    queue: Any = Queue(queue_name, routing_key=queue_name)  # type: ignore[no-untyped-call]
    for n in range(4):
        _publish(conn, queue_name, n, declare=[queue])
    acked: list[Any] = []
    threads: list[threading.Thread] = []

    def ack_later(body: Any, message: Any) -> None:
        def ack() -> None:
            message.ack()
            acked.append(body)

        thread = threading.Thread(target=ack)
        threads.append(thread)
        thread.start()

    consumer: Any = Consumer(conn, [queue], callbacks=[ack_later], prefetch_count=1)  # type: ignore[no-untyped-call]
    with consumer:
        deadline = time.monotonic() + 20
        while len(acked) < 4:
            assert time.monotonic() < deadline, acked
            with contextlib.suppress(TimeoutError):
                conn.drain_events(timeout=1)  # blocked reading while another thread acks
    for thread in threads:
        thread.join(timeout=10)
    assert sorted(acked) == [0, 1, 2, 3]


def test_heartbeat_tick_takes_in_what_arrived_unread() -> None:
    """A tick after the caller stopped reading for a while does not take the broker for dead.

    A reply is left unread in the socket, and the core's clock of the last
    data received is moved back past two heartbeat intervals (a private
    attribute: waiting that long would be a sleep).  The tick must read
    the reply first, and so find the broker alive.
    """
    with _connect(heartbeat=2) as connection:
        raw = connection.connection
        channel = connection.channel()
        connection.heartbeat_check(rate=2)  # starts the core's heartbeat clock
        with raw._lock:
            raw._core.channels[channel.channel_id].basic_qos(0, 1, False)
            raw._flush()
        deadline = time.monotonic() + 10
        while not (raw._poll is not None and raw._poll.poll(100)):
            assert time.monotonic() < deadline
        raw._core._last_received_at = time.monotonic() - 5
        connection.heartbeat_check(rate=2)
        assert raw.connected
