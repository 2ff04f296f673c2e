"""The blocking adapter against the scripted in-memory broker: threads, no sockets, no RabbitMQ.

The generated :class:`~amqproto.io._sync.SyncConnection` runs its reader,
writer and callback runner on threads and guards the core with a real lock;
these tests call it from several threads at once, through the same
:class:`~tests.adapters.mock_backend.MockBroker` scripts as the async tests.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from amqproto.exceptions import ConnectionClosedError, PreconditionFailed
from amqproto.io._sync.channel import ReturnedMessage, SyncChannel, SyncConsumer, SyncMessage
from amqproto.io._sync.connection import SyncConnection
from amqproto.schema import (
    BasicAck,
    BasicPublish,
    BasicReject,
    BasicReturn,
    ChannelClose,
    ChannelCloseOk,
    ConnectionClose,
    ConnectionStartOk,
    QueueDeclare,
    QueueDeclareOk,
)
from amqproto.wire import MethodFrame

from ..core.helpers import content_frames
from .mock_backend import WAIT, MockBroker, SyncMockStream, bodies, eventually, sync_connection

T = TypeVar("T")

#: The broker's chunks arrive whole, or one byte per read.
CHUNKINGS = [pytest.param(None, id="whole"), pytest.param(1, id="bytewise")]


#: Every connection a test opened, closed when it ends (so that a failed test
#: leaves no thread parked on a waiter).
_opened: list[SyncConnection] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


@pytest.fixture
def pool(_close_connections: None) -> Iterator[ThreadPoolExecutor]:
    # Requests the closing fixture, so the connections close before the pool
    # joins its threads: a thread still parked in a call wakes up.
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="user") as executor:
        yield executor


def connection_on(stream: SyncMockStream, **options: Any) -> SyncConnection:
    """A connection over ``stream``, connected; calls wait at most :data:`WAIT` s."""
    options.setdefault("call_timeout", WAIT)
    options.setdefault("connection_timeout", WAIT)
    connection = sync_connection(stream, **options)
    _opened.append(connection)
    connection.connect()
    return connection


def open_connection(broker: MockBroker, **options: Any) -> tuple[SyncConnection, SyncMockStream]:
    stream = SyncMockStream(broker)
    return connection_on(stream, **options), stream


def result(future: Future[T]) -> T:
    return future.result(timeout=WAIT)


def outcome(future: Future[Any]) -> object:
    """What a finished call gave: its result, or its error's type and ``unconfirmed``."""
    try:
        return result(future)
    except Exception as exc:  # noqa: BLE001 - any outcome is recorded, to compare
        return (type(exc).__name__, getattr(exc, "unconfirmed", None))


def start_consumer(channel: SyncChannel, tag: str) -> SyncConsumer:
    consumer = channel.basic_consume("q", tag)
    consumer.start()
    return consumer


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_the_handshake_over_the_mock_stream(chunk_size: int | None) -> None:
    broker = MockBroker(chunk_size=chunk_size)
    connection, stream = open_connection(broker)
    assert connection.is_open
    assert broker.methods(ConnectionStartOk)[0].response == b"\x00guest\x00guest"
    connection.close()
    assert broker.methods(ConnectionClose) and stream.aborted and not connection.is_open


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_replies_for_two_threads_on_two_channels_in_one_chunk(
    chunk_size: int | None, pool: ThreadPoolExecutor
) -> None:
    broker = MockBroker(chunk_size=chunk_size)
    broker.ignore(QueueDeclare)
    connection, stream = open_connection(broker)
    first, second = connection.channel(), connection.channel()
    calls = [pool.submit(channel.queue_declare, f"q{channel.id}") for channel in (first, second)]
    stream.wait_until(broker.sent(QueueDeclare, 2))
    broker.send(
        MethodFrame(second.id, QueueDeclareOk("from-second", 2, 0)),
        MethodFrame(first.id, QueueDeclareOk("from-first", 1, 0)),
    )
    assert [result(call).queue for call in calls] == ["from-first", "from-second"]
    connection.close()


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_a_multiple_ack_settles_publishes_waiting_in_several_threads(
    chunk_size: int | None, pool: ThreadPoolExecutor
) -> None:
    broker = MockBroker(chunk_size=chunk_size)
    connection, stream = open_connection(broker)
    channel = connection.channel()
    channel.confirm_select()
    publishes = [pool.submit(channel.basic_publish, b"m%d" % number, routing_key="q") for number in range(4)]
    stream.wait_until(broker.sent(BasicPublish, 4))
    window = pool.submit(channel.wait_for_confirms, 0)
    eventually(lambda: len(channel._confirm_windows) == 1)
    broker.send(MethodFrame(channel.id, BasicAck(3, multiple=True)))
    eventually(lambda: sum(publish.done() for publish in publishes) == 3)
    assert sorted(result(publish) or 0 for publish in publishes if publish.done()) == [1, 2, 3]
    assert not window.done()
    broker.send(MethodFrame(channel.id, BasicAck(4)))
    assert result(window) is None
    assert sorted(result(publish) or 0 for publish in publishes) == [1, 2, 3, 4]
    connection.close()


def test_an_ack_and_a_channel_close_in_one_chunk_fail_the_window(pool: ThreadPoolExecutor) -> None:
    broker = MockBroker()
    connection, stream = open_connection(broker)
    channel = connection.channel()
    channel.confirm_select()
    assert [channel.basic_publish(b"m", routing_key="q", wait=False) for _ in range(3)] == [1, 2, 3]
    window = pool.submit(channel.wait_for_confirms, 0)
    eventually(lambda: len(channel._confirm_windows) == 1)
    broker.send(
        MethodFrame(channel.id, BasicAck(1)),
        MethodFrame(channel.id, ChannelClose(406, "PRECONDITION_FAILED - unknown delivery tag", 60, 80)),
    )
    with pytest.raises(PreconditionFailed) as failure:
        result(window)
    assert failure.value.unconfirmed == (2, 3)
    stream.wait_until(broker.sent(ChannelCloseOk))
    connection.close()


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_a_delivery_wakes_exactly_one_of_two_reading_threads(
    chunk_size: int | None, pool: ThreadPoolExecutor
) -> None:
    broker = MockBroker(chunk_size=chunk_size)
    connection, _ = open_connection(broker)
    channel = connection.channel()
    consumer = start_consumer(channel, "reader")
    readers: list[Future[SyncMessage]] = [pool.submit(consumer.__next__) for _ in range(2)]
    eventually(lambda: len(consumer._sleepers) == 2)
    broker.send(*MockBroker.delivery(channel.id, "reader", 1, b"first" * 1000, chunk=1000))
    eventually(lambda: any(reader.done() for reader in readers))
    (woken,) = [reader for reader in readers if reader.done()]
    (sleeping,) = [reader for reader in readers if not reader.done()]
    assert result(woken).body == b"first" * 1000
    assert len(consumer._sleepers) == 1 and not consumer._sleepers[0].done()
    broker.send(*MockBroker.delivery(channel.id, "reader", 2, b"second"))
    assert result(sleeping).body == b"second"
    connection.close()


def read(consumer: SyncConsumer, count: int) -> list[SyncMessage]:
    return [next(consumer) for _ in range(count)]


def consume_interleaved(tags: list[str], pool: ThreadPoolExecutor) -> dict[str, list[bytes]]:
    broker = MockBroker()
    connection, _ = open_connection(broker)
    channel = connection.channel()
    consumers = {tag: start_consumer(channel, tag) for tag in tags}
    readers = {tag: pool.submit(read, consumer, 3) for tag, consumer in consumers.items()}
    plan = [(tag, n) for n in range(1, 4) for tag in tags]
    broker.send(
        *(
            frame
            for delivery_tag, (tag, n) in enumerate(plan, 1)
            for frame in MockBroker.delivery(channel.id, tag, delivery_tag, f"{tag}-{n}".encode())
        )
    )
    received = {tag: [message.body for message in result(reader)] for tag, reader in readers.items()}
    connection.close()
    return received


def test_two_consumers_read_by_two_threads_get_their_own_messages(pool: ThreadPoolExecutor) -> None:
    both = consume_interleaved(["a", "b"], pool)
    assert both == {"a": [b"a-1", b"a-2", b"a-3"], "b": [b"b-1", b"b-2", b"b-3"]}
    assert consume_interleaved(["a"], pool) == {"a": both["a"]}


@pytest.mark.parametrize("tags", [["known"], ["known", "other"]], ids=["one-consumer", "two-consumers"])
def test_a_delivery_for_an_unknown_consumer_tag_is_rejected(tags: list[str]) -> None:
    broker = MockBroker()
    connection, stream = open_connection(broker)
    channel = connection.channel()
    known = start_consumer(channel, tags[0])
    for tag in tags[1:]:
        start_consumer(channel, tag)
    broker.send(
        *MockBroker.delivery(channel.id, "ghost", 1, b"lost"),
        *MockBroker.delivery(channel.id, "known", 2, b"mine"),
    )
    stream.wait_until(broker.sent(BasicReject))
    assert [(reject.delivery_tag, reject.requeue) for reject in broker.methods(BasicReject)] == [(1, True)]
    assert next(known).body == b"mine"
    connection.close()


def test_a_raising_return_callback_runs_off_the_reader_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = MockBroker()
    connection, _ = open_connection(broker)
    channel = connection.channel()
    threads: list[str] = []

    def broken(message: ReturnedMessage) -> None:
        threads.append(threading.current_thread().name)
        raise RuntimeError("a bug in the callback")

    channel.add_return_callback(broken)
    with caplog.at_level(logging.ERROR, logger="amqproto"):
        for routing_key in ("nowhere", "nowhere-else"):
            channel.basic_publish(b"lost", routing_key=routing_key, mandatory=True)
            broker.send(*content_frames(channel.id, BasicReturn(312, "NO_ROUTE", "", routing_key), b"lost"))
        eventually(lambda: len([r for r in caplog.records if "carries on" in r.getMessage()]) == 2)
    assert all(name.endswith("_run_callbacks") for name in threads)
    assert channel.queue_declare("still-here").queue == "still-here"
    connection.close()


def test_close_with_a_peer_that_never_answers_returns_after_connection_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = MockBroker()
    broker.ignore(ConnectionClose)
    connection, stream = open_connection(broker, connection_timeout=0.25)
    channel = connection.channel()
    with caplog.at_level(logging.WARNING, logger="amqproto"):
        connection.close()
    assert any("no answer to connection.close" in record.getMessage() for record in caplog.records)
    assert stream.aborted and not connection.is_open
    with pytest.raises(ConnectionClosedError):
        channel.queue_declare("q")


def concurrent_publishes(pool: ThreadPoolExecutor) -> tuple[MockBroker, dict[int, bytes]]:
    broker = MockBroker()
    stream = SyncMockStream(broker, yield_between_writes=True)
    connection = connection_on(stream)
    channel = connection.channel()
    channel.confirm_select()

    def publish(number: int) -> tuple[int | None, bytes]:
        body = bytes([number]) * 40_000
        return channel.basic_publish(body, routing_key="q", wait=False), body

    sent = dict(result(future) for future in [pool.submit(publish, number) for number in range(8)])
    stream.wait_until(lambda: broker.error is not None or len(broker.methods(BasicPublish)) == 8)
    connection.close()
    return broker, {sequence or 0: body for sequence, body in sent.items()}


def test_the_locks_keep_publishes_from_several_threads_whole_and_in_sequence_order(
    pool: ThreadPoolExecutor,
) -> None:
    """The core lock numbers the publishes; the write lock (taken before draining) keeps their order."""
    broker, by_sequence = concurrent_publishes(pool)
    assert broker.error is None
    assert bodies(broker.published()) == [by_sequence[sequence] for sequence in range(1, 9)]
