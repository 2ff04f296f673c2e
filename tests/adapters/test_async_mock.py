"""The async adapter against a scripted in-memory broker: no sockets, no RabbitMQ.

Each test scripts the broker's side with :class:`~tests.adapters.mock_backend.MockBroker`
and drives :class:`~amqproto.io._async.AsyncConnection` on asyncio: the
handshake, RPC replies routed to their waiters, confirms (counted in event
order), consumer wake-ups (one waiter per wait), unknown consumer tags,
callbacks, closes and the write lock.

Where the adapter has a fast path the test runs it and the general path on
the same script and compares what the user sees: one consumer on a channel
(its tag compared) against several (looked up); a reader that finds a
message ready against one that parks; ``wait=False`` publishes settled by
count against ``wait=True`` ones settled through their waiters; asyncio's
lock-free writes against a write lock.  Where chunk boundaries matter, the
broker's bytes arrive whole and byte by byte (``chunk_size=1``).

Waits are bounded: on the client's writes (``stream.wait_until``), on loop
turns for a task to park (``turns_until``), and the whole test on
:data:`~tests.adapters.mock_backend.TEST_TIMEOUT`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from amqproto.exceptions import (
    ConnectionClosedError,
    ConnectionLost,
    ConsumerCancelledError,
    NackError,
    OperationTimeout,
)
from amqproto.io._async.channel import AsyncChannel, AsyncConsumer, AsyncMessage, ReturnedMessage
from amqproto.io._async.connection import AsyncConnection
from amqproto.schema import (
    BasicAck,
    BasicCancel,
    BasicNack,
    BasicPublish,
    BasicReject,
    BasicReturn,
    ChannelClose,
    ChannelCloseOk,
    ConnectionBlocked,
    ConnectionClose,
    ConnectionCloseOk,
    ConnectionOpen,
    ConnectionStartOk,
    ConnectionTuneOk,
    ConnectionUnblocked,
    Method,
    QueueDeclare,
    QueueDeclareOk,
)
from amqproto.wire import MethodFrame

from ..core.helpers import content_frames
from .mock_backend import WAIT, AsyncMockStream, MockBroker, async_connection, bodies, run, turns_until

#: The broker's chunks arrive whole, or one byte per read.
CHUNKINGS = [pytest.param(None, id="whole"), pytest.param(1, id="bytewise")]


async def open_connection(broker: MockBroker, **options: Any) -> tuple[AsyncConnection, AsyncMockStream]:
    stream = AsyncMockStream(broker)
    connection = async_connection(stream, **options)
    await connection.connect()
    return connection, stream


async def outcome(call: asyncio.Future[Any]) -> object:
    """What a finished call gave: its result, or its error's type and ``unconfirmed``."""
    try:
        return await call
    except Exception as exc:  # noqa: BLE001 - any outcome is recorded, to compare
        return (type(exc).__name__, getattr(exc, "unconfirmed", None))


class ConfirmSession:
    """A confirm-mode channel with three publishes written; windows opened on it."""

    def __init__(
        self, broker: MockBroker, stream: AsyncMockStream, connection: AsyncConnection, channel: AsyncChannel
    ) -> None:
        self.broker = broker
        self.stream = stream
        self.connection = connection
        self.channel = channel
        self.publishes: list[asyncio.Future[int | None]] = []

    @classmethod
    async def start(cls, wait: bool, chunk_size: int | None = None) -> ConfirmSession:
        """Three publishes, as tasks; with ``wait`` they stay parked on their confirms."""
        broker = MockBroker(chunk_size=chunk_size)
        connection, stream = await open_connection(broker)
        channel = await connection.channel()
        await channel.confirm_select()
        session = cls(broker, stream, connection, channel)
        session.publishes = [
            asyncio.ensure_future(channel.basic_publish(b"m%d" % number, routing_key="q", wait=wait))
            for number in (1, 2, 3)
        ]
        if not wait:
            assert await asyncio.gather(*session.publishes) == [1, 2, 3]
        await stream.wait_until(broker.sent(BasicPublish, 3))
        return session

    async def window(self, max_unconfirmed: int) -> asyncio.Future[None]:
        """``wait_for_confirms(max_unconfirmed)`` as a task, once it is parked."""
        windows = self.channel._confirm_windows
        parked = len(windows)
        window = asyncio.ensure_future(self.channel.wait_for_confirms(max_unconfirmed))
        await turns_until(lambda: len(self.channel._confirm_windows) == parked + 1)
        return window

    def send(self, *methods: Method) -> None:
        """The broker's methods on the session's channel, in one chunk."""
        self.broker.send(*(MethodFrame(self.channel.id, method) for method in methods))


# -- the handshake -------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_the_handshake_over_the_mock_stream(chunk_size: int | None) -> None:
    async def test() -> None:
        broker = MockBroker(chunk_size=chunk_size)
        connection, stream = await open_connection(broker, frame_max=65536)
        assert connection.is_open
        assert connection.server_properties["product"] == "FakeBroker"
        assert broker.header == b"AMQP\x00\x00\x09\x01"
        (start_ok,) = broker.methods(ConnectionStartOk)
        assert start_ok.mechanism == "PLAIN"
        assert start_ok.response == b"\x00guest\x00guest"
        (tune_ok,) = broker.methods(ConnectionTuneOk)
        assert (tune_ok.channel_max, tune_ok.frame_max, tune_ok.heartbeat) == (2047, 65536, 0)
        (open_,) = broker.methods(ConnectionOpen)
        assert open_.virtual_host == "/"
        await connection.close()
        assert broker.methods(ConnectionClose)[0].reply_code == 200
        assert stream.aborted and not connection.is_open

    run(test)


def test_a_handshake_scripted_in_advance_like_httpcore_mock_stream() -> None:
    """The broker's whole half of the handshake queued before the client says a word.

    The core is sans-io: it answers ``start`` and ``tune`` whether or not its
    answers were written yet, so a fixed list of chunks is enough.
    """

    async def test() -> None:
        broker = MockBroker(handshake=False)
        for frame in broker.handshake_frames():
            broker.send(frame)
        connection, _ = await open_connection(broker)
        assert connection.is_open
        assert [
            type(method).__name__
            for method in (frame.method for frame in broker.frames if isinstance(frame, MethodFrame))
        ] == [
            "ConnectionStartOk",
            "ConnectionTuneOk",
            "ConnectionOpen",
        ]
        await connection.close()

    run(test)


# -- RPC replies -----------------------------------------------------------------


def test_an_rpc_reply_goes_to_its_waiter() -> None:
    async def test() -> None:
        broker = MockBroker()
        connection, _ = await open_connection(broker)
        channel = await connection.channel()
        reply = await channel.queue_declare("orders", durable=True)
        assert isinstance(reply, QueueDeclareOk) and reply.queue == "orders"
        (declare,) = broker.methods(QueueDeclare, channel.id)
        assert declare.durable and not declare.nowait
        await connection.close()

    run(test)


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_two_channels_replies_interleaved_in_one_chunk(chunk_size: int | None) -> None:
    """Replies for two channels, in one chunk and in reverse order: each reaches its own caller."""

    async def test() -> None:
        broker = MockBroker(chunk_size=chunk_size)
        broker.ignore(QueueDeclare)
        connection, stream = await open_connection(broker)
        first, second = await connection.channel(), await connection.channel()
        calls = [
            asyncio.ensure_future(channel.queue_declare(f"q{channel.id}")) for channel in (first, second)
        ]
        await stream.wait_until(broker.sent(QueueDeclare, 2))
        broker.send(
            MethodFrame(second.id, QueueDeclareOk("from-second", 2, 0)),
            MethodFrame(first.id, QueueDeclareOk("from-first", 1, 0)),
        )
        replies = await asyncio.gather(*calls)
        assert [(reply.queue, reply.message_count) for reply in replies] == [
            ("from-first", 1),
            ("from-second", 2),
        ]
        await connection.close()

    run(test)


# -- confirms ----------------------------------------------------------------------


async def multiple_ack_session(wait: bool, chunk_size: int | None) -> list[object]:
    """Three publishes, windows of 1 and 0, then ``ack 2 multiple`` and ``ack 3``; what each call saw."""
    session = await ConfirmSession.start(wait, chunk_size)
    publishes = session.publishes
    at_most_one = await session.window(1)
    all_confirmed = await session.window(0)
    seen: list[object] = []
    session.send(BasicAck(2, multiple=True))
    seen.append(("window of 1", await outcome(at_most_one)))
    seen.append(("publishes 1-2", [await outcome(publish) for publish in publishes[:2]]))
    # Nothing covers publish 3 yet: its call and the window of 0 still wait.
    seen.append(("still waiting", publishes[2].done() and wait, all_confirmed.done()))
    session.send(BasicAck(3))
    seen.append(("window of 0", await outcome(all_confirmed)))
    seen.append(("publish 3", await outcome(publishes[2])))
    await session.connection.close()
    return seen


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_a_multiple_ack_settles_every_publish_it_covers_and_the_windows(chunk_size: int | None) -> None:
    """``basic.ack multiple`` settles parked ``wait=True`` publishes one by one (a waiter each) and
    ``wait=False`` ones by count alone (the fast path: no waiter to look up): the same for the windows."""

    async def test() -> None:
        waited = await multiple_ack_session(True, chunk_size)
        counted = await multiple_ack_session(False, chunk_size)
        expected = [
            ("window of 1", None),
            ("publishes 1-2", [1, 2]),
            ("still waiting", False, False),
            ("window of 0", None),
            ("publish 3", 3),
        ]
        assert waited == expected
        assert counted == expected

    run(test)


async def multiple_nack_session(wait: bool) -> list[int]:
    """Three publishes nacked by one ``basic.nack multiple``; the sequence numbers reported as nacked."""
    session = await ConfirmSession.start(wait)
    window = await session.window(0)
    session.send(BasicNack(3, multiple=True, requeue=False))
    reported: list[int] = []
    calls: list[asyncio.Future[Any]] = [*session.publishes, window] if wait else [window]
    for call in calls:
        try:
            await call
        except NackError as exc:
            reported.extend(exc.unconfirmed)
    await session.connection.close()
    return reported


def test_a_multiple_nack_reports_each_publish_once_by_either_path() -> None:
    """Waited publishes raise ``NackError`` each; ``wait=False`` ones are reported by the window."""

    async def test() -> None:
        assert await multiple_nack_session(True) == [1, 2, 3]
        assert await multiple_nack_session(False) == [1, 2, 3]

    run(test)


async def ack_then_close_session(wait: bool, chunk_size: int | None) -> list[object]:
    """Three publishes, a window of 0, then ``ack 1`` and ``channel.close`` in one chunk; what each saw."""
    session = await ConfirmSession.start(wait, chunk_size)
    channel = session.channel
    window = await session.window(0)
    session.send(BasicAck(1), ChannelClose(406, "PRECONDITION_FAILED - unknown delivery tag", 60, 80))
    seen: list[object] = [await outcome(window)]
    if wait:
        seen.append([await outcome(publish) for publish in session.publishes])
    await session.stream.wait_until(session.broker.sent(ChannelCloseOk))
    # The channel stays closed with its error; a later publish raises it too.
    late = await outcome(asyncio.ensure_future(channel.basic_publish(b"late", routing_key="q")))
    assert isinstance(late, tuple) and late[0] == "PreconditionFailed"
    seen.append(late[1])
    assert session.connection.is_open
    await session.connection.close()
    return seen


def test_streaming_publishes_arm_no_timer_each_and_one_watcher_bounds_them() -> None:
    """Publishes waiting with the default ``call_timeout`` never call ``wait_for`` (a timer each).

    One confirm watcher task is spawned for the whole stream (and serves the
    next one), and a multiple ack settles its publishes and their deadlines.
    """

    async def test() -> None:
        broker = MockBroker()
        connection, stream = await open_connection(broker)
        channel = await connection.channel()
        await channel.confirm_select()
        backend: Any = connection.backend
        calls = {"wait_for": 0, "spawn": 0}
        wait_for, spawn = backend.wait_for, backend.spawn

        async def counting_wait_for(waiter: Any, timeout: float) -> Any:
            calls["wait_for"] += 1
            return await wait_for(waiter, timeout)

        async def counting_spawn(function: Any) -> Any:
            calls["spawn"] += 1
            return await spawn(function)

        backend.wait_for, backend.spawn = counting_wait_for, counting_spawn
        publishes = [asyncio.ensure_future(channel.basic_publish(b"m", routing_key="q")) for _ in range(50)]
        await stream.wait_until(broker.sent(BasicPublish, 50))
        await turns_until(lambda: len(connection._confirm_deadlines) == 50)
        assert calls == {"wait_for": 0, "spawn": 1}
        broker.send(MethodFrame(channel.id, BasicAck(30, multiple=True)))
        assert [await publish for publish in publishes[:30]] == list(range(1, 31))
        assert len(connection._confirm_deadlines) == 20
        broker.send(MethodFrame(channel.id, BasicAck(50, multiple=True)))
        assert [await publish for publish in publishes[30:]] == list(range(31, 51))
        assert not connection._confirm_deadlines and not connection._confirm_waiters
        # The watcher still sleeps until the first deadline it saw: the next
        # stream needs no new one.
        more = [asyncio.ensure_future(channel.basic_publish(b"m", routing_key="q")) for _ in range(5)]
        await stream.wait_until(broker.sent(BasicPublish, 55))
        broker.send(MethodFrame(channel.id, BasicAck(55, multiple=True)))
        assert [await publish for publish in more] == list(range(51, 56))
        assert calls == {"wait_for": 0, "spawn": 1}
        await connection.close()

    run(test)


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_an_ack_and_a_channel_close_in_one_chunk_fail_the_window_with_what_is_unconfirmed(
    chunk_size: int | None,
) -> None:
    """The core has seen the close before the ack is dispatched: confirms are counted in event order."""

    async def test() -> None:
        failed = ("PreconditionFailed", (2, 3))
        waited = await ack_then_close_session(True, chunk_size)
        assert waited == [
            failed,
            [1, ("PreconditionFailed", (2,)), ("PreconditionFailed", (3,))],
            (),  # the wait=True publishes raised already, each naming itself
        ]
        assert await ack_then_close_session(False, chunk_size) == [failed, (2, 3)]

    run(test)


def test_a_publish_after_the_close_does_not_name_waited_publishes_again() -> None:
    async def test() -> None:
        seen = await ack_then_close_session(True, None)
        assert seen[-1] == ()

    run(test)


# -- consumers -------------------------------------------------------------------


async def start_consumer(channel: AsyncChannel, tag: str) -> AsyncConsumer:
    consumer = channel.basic_consume("q", tag)
    await consumer.start()
    return consumer


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
@pytest.mark.parametrize("frames_apart", [False, True], ids=["one-chunk", "chunk-per-frame"])
def test_a_delivery_wakes_exactly_one_waiting_reader(chunk_size: int | None, frames_apart: bool) -> None:
    """Two tasks read one consumer; each delivery, however it is split, wakes one of them."""

    async def test() -> None:
        broker = MockBroker(chunk_size=chunk_size)
        connection, _ = await open_connection(broker)
        channel = await connection.channel()
        consumer = await start_consumer(channel, "reader")
        readers: set[asyncio.Future[AsyncMessage]] = {
            asyncio.ensure_future(consumer.__anext__()) for _ in range(2)
        }
        await turns_until(lambda: len(consumer._sleepers) == 2)
        got: list[bytes] = []
        for tag, body in ((1, b"first"), (2, b"second" * 1000)):
            frames = MockBroker.delivery(channel.id, "reader", tag, body, chunk=4000)
            if frames_apart:
                for frame in frames:
                    broker.send(frame)
            else:
                broker.send(*frames)
            done, readers = await asyncio.wait(readers, return_when=asyncio.FIRST_COMPLETED)
            assert len(done) == 1
            got.append(done.pop().result().body)
            # The other reader still sleeps, on its own waiter.
            assert len(consumer._sleepers) == len(readers)
            assert not any(sleeper.done() for sleeper in consumer._sleepers)
        assert got == [b"first", b"second" * 1000]
        assert not consumer._ready
        await connection.close()

    run(test)


async def read(consumer: AsyncConsumer, count: int) -> list[AsyncMessage]:
    return [await consumer.__anext__() for _ in range(count)]


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_a_run_of_deliveries_wakes_one_reader_per_message(chunk_size: int | None) -> None:
    async def test() -> None:
        broker = MockBroker(chunk_size=chunk_size)
        connection, _ = await open_connection(broker)
        channel = await connection.channel()
        consumer = await start_consumer(channel, "reader")
        readers = [asyncio.ensure_future(consumer.__anext__()) for _ in range(2)]
        await turns_until(lambda: len(consumer._sleepers) == 2)
        broker.send(
            *(
                frame
                for tag in (1, 2, 3)
                for frame in MockBroker.delivery(channel.id, "reader", tag, b"m%d" % tag)
            )
        )
        assert sorted(bodies(await asyncio.gather(*readers))) == [b"m1", b"m2"]
        # The third waits, ready: the next read takes it without parking.
        assert bodies(await read(consumer, 1)) == [b"m3"]
        await connection.close()

    run(test)


async def interleaved_consumers_session(
    tags: list[str], chunk_size: int | None
) -> dict[str, list[tuple[str | None, int, bytes]]]:
    """Consumers with ``tags`` on one channel; deliveries for each of them, interleaved in one chunk."""
    broker = MockBroker(chunk_size=chunk_size)
    connection, _ = await open_connection(broker)
    channel = await connection.channel()
    consumers = {tag: await start_consumer(channel, tag) for tag in tags}
    plan = [(tag, n) for n in range(1, 4) for tag in tags]
    broker.send(
        *(
            frame
            for delivery_tag, (tag, n) in enumerate(plan, 1)
            for frame in MockBroker.delivery(channel.id, tag, delivery_tag, f"{tag}-{n}".encode())
        )
    )
    received = {
        tag: [
            (message.consumer_tag, message.delivery_tag, message.body) for message in await read(consumer, 3)
        ]
        for tag, consumer in consumers.items()
    }
    assert not any(consumer._ready for consumer in consumers.values())
    assert not broker.methods(BasicReject)
    await connection.close()
    return received


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_two_consumers_on_one_channel_get_their_own_messages_in_order(chunk_size: int | None) -> None:
    """Two consumers: a delivery's tag is looked up; one: compared (the fast path). Same messages."""

    async def test() -> None:
        both = await interleaved_consumers_session(["a", "b"], chunk_size)
        assert both == {
            "a": [("a", 1, b"a-1"), ("a", 3, b"a-2"), ("a", 5, b"a-3")],
            "b": [("b", 2, b"b-1"), ("b", 4, b"b-2"), ("b", 6, b"b-3")],
        }
        alone = await interleaved_consumers_session(["a"], chunk_size)
        assert [(tag, body) for tag, _, body in alone["a"]] == [(tag, body) for tag, _, body in both["a"]]

    run(test)


@pytest.mark.parametrize("parked", [False, True], ids=["ready", "parked"])
def test_reading_ready_messages_and_waiting_for_them_yield_the_same(parked: bool) -> None:
    """``__anext__`` pops a ready message without parking (the fast path) or parks a waiter first."""

    async def test() -> None:
        broker = MockBroker()
        connection, _ = await open_connection(broker)
        channel = await connection.channel()
        consumer = await start_consumer(channel, "reader")
        got: list[tuple[int, bytes, str, bool]] = []
        for tag in range(1, 5):
            reader = asyncio.ensure_future(consumer.__anext__())
            if parked:
                await turns_until(lambda: len(consumer._sleepers) == 1)
            broker.send(*MockBroker.delivery(channel.id, "reader", tag, b"m%d" % tag))
            message = await reader
            got.append((message.delivery_tag, message.body, message.routing_key, message.redelivered))
        assert got == [(tag, b"m%d" % tag, "queue", False) for tag in range(1, 5)]
        await connection.close()

    run(test)


async def unknown_tag_session(
    tags: list[str], chunk_size: int | None
) -> tuple[list[tuple[int, bool]], list[bytes]]:
    """Deliveries for a tag nobody consumes, around one for ``known`` if it consumes; rejected and read."""
    broker = MockBroker(chunk_size=chunk_size)
    connection, stream = await open_connection(broker)
    channel = await connection.channel()
    consumers = [await start_consumer(channel, tag) for tag in tags]
    known = [MockBroker.delivery(channel.id, "known", 2, b"mine")] if "known" in tags else []
    broker.send(
        *MockBroker.delivery(channel.id, "ghost", 1, b"lost"),
        *(frame for frames in known for frame in frames),
        *MockBroker.delivery(channel.id, "ghost", 3, b"lost too"),
    )
    await stream.wait_until(broker.sent(BasicReject, 2))
    rejected = [(reject.delivery_tag, reject.requeue) for reject in broker.methods(BasicReject, channel.id)]
    read_bodies = [
        body
        for consumer in consumers
        if consumer.consumer_tag == "known"
        for body in bodies(await read(consumer, 1))
    ]
    assert connection.is_open and channel.is_open
    await connection.close()
    return rejected, read_bodies


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
@pytest.mark.parametrize(
    "tags", [[], ["known"], ["known", "other"]], ids=["no-consumer", "one-consumer", "two-consumers"]
)
def test_a_delivery_for_an_unknown_consumer_tag_is_rejected_with_requeue(
    tags: list[str], chunk_size: int | None
) -> None:
    async def test() -> None:
        rejected, read_bodies = await unknown_tag_session(tags, chunk_size)
        assert rejected == [(1, True), (3, True)]
        assert read_bodies == ([b"mine"] if "known" in tags else [])

    run(test)


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_a_delivery_run_ends_at_another_channel_or_a_reply(chunk_size: int | None) -> None:
    """One chunk: deliveries on two channels and an RPC reply between them; each goes where it belongs."""

    async def test() -> None:
        broker = MockBroker(chunk_size=chunk_size)
        broker.ignore(QueueDeclare)
        connection, stream = await open_connection(broker)
        first, second = await connection.channel(), await connection.channel()
        one, two = await start_consumer(first, "one"), await start_consumer(second, "two")
        declare = asyncio.ensure_future(first.queue_declare("q"))
        await stream.wait_until(broker.sent(QueueDeclare))
        broker.send(
            *MockBroker.delivery(first.id, "one", 1, b"1a"),
            *MockBroker.delivery(first.id, "one", 2, b"1b"),
            *MockBroker.delivery(second.id, "two", 1, b"2a"),
            MethodFrame(first.id, QueueDeclareOk("q", 7, 1)),
            *MockBroker.delivery(first.id, "one", 3, b"1c"),
            *MockBroker.delivery(second.id, "two", 2, b"2b"),
        )
        assert (await declare).message_count == 7
        assert bodies(await read(one, 3)) == [b"1a", b"1b", b"1c"]
        assert bodies(await read(two, 2)) == [b"2a", b"2b"]
        await connection.close()

    run(test)


# -- callbacks and closing -----------------------------------------------------------


def test_a_raising_return_callback_is_logged_and_the_connection_carries_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def test() -> None:
        broker = MockBroker()
        connection, _ = await open_connection(broker)
        channel = await connection.channel()
        returned: list[ReturnedMessage] = []
        seen_twice = asyncio.Event()

        def broken(message: ReturnedMessage) -> None:
            raise RuntimeError("a bug in the callback")

        def record(message: ReturnedMessage) -> None:
            returned.append(message)
            if len(returned) == 2:
                seen_twice.set()

        channel.add_return_callback(broken)
        channel.add_return_callback(record)
        for routing_key in ("nowhere", "nowhere-else"):
            await channel.basic_publish(b"lost", routing_key=routing_key, mandatory=True)
            broker.send(*content_frames(channel.id, BasicReturn(312, "NO_ROUTE", "", routing_key), b"lost"))
        await asyncio.wait_for(seen_twice.wait(), 5)
        assert [(message.reply_code, message.routing_key, message.body) for message in returned] == [
            (312, "nowhere", b"lost"),
            (312, "nowhere-else", b"lost"),
        ]
        # The connection and the channel carry on.
        assert (await channel.queue_declare("still-here")).queue == "still-here"
        assert connection.is_open and channel.is_open
        await connection.close()

    with caplog.at_level(logging.ERROR, logger="amqproto"):
        run(test)
    failures = [record for record in caplog.records if "callback" in record.getMessage()]
    assert len(failures) == 2
    assert all("the connection carries on" in record.getMessage() for record in failures)
    assert all(record.exc_info is not None and record.exc_info[0] is RuntimeError for record in failures)


def test_close_with_a_peer_that_never_answers_returns_after_connection_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def test() -> None:
        broker = MockBroker()
        broker.ignore(ConnectionClose)
        connection, stream = await open_connection(broker, connection_timeout=0.25)
        channel = await connection.channel()
        await connection.close()
        assert broker.methods(ConnectionClose)  # asked, never answered
        assert stream.aborted
        assert not connection.is_open and not channel.is_open
        with pytest.raises(ConnectionClosedError):
            await channel.queue_declare("q")
        await connection.close()  # closing again does nothing

    with caplog.at_level(logging.WARNING, logger="amqproto"):
        run(test)
    assert any("no answer to connection.close" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_the_broker_closing_the_connection_fails_every_waiter(chunk_size: int | None) -> None:
    async def test() -> None:
        broker = MockBroker(chunk_size=chunk_size)
        broker.ignore(QueueDeclare)
        connection, stream = await open_connection(broker)
        channel = await connection.channel()
        await channel.confirm_select()
        consumer = await start_consumer(channel, "reader")
        declare = asyncio.ensure_future(channel.queue_declare("q"))
        publish = asyncio.ensure_future(channel.basic_publish(b"m", routing_key="q"))
        reader = asyncio.ensure_future(consumer.__anext__())
        await stream.wait_until(broker.sent(BasicPublish))
        await turns_until(lambda: len(consumer._sleepers) == 1)
        broker.send(MethodFrame(0, ConnectionClose(320, "CONNECTION_FORCED - shutdown", 0, 0)))
        outcomes = [await outcome(call) for call in (declare, publish, reader)]
        assert outcomes == [("ConnectionForced", ()), ("ConnectionForced", (1,)), ("ConnectionForced", ())]
        await stream.wait_until(lambda: stream.aborted)
        assert broker.methods(ConnectionCloseOk)
        assert not connection.is_open

    run(test)


def test_the_peer_dropping_the_stream_is_connection_lost() -> None:
    async def test() -> None:
        broker = MockBroker()
        broker.ignore(QueueDeclare)
        connection, stream = await open_connection(broker)
        channel = await connection.channel()
        declare = asyncio.ensure_future(channel.queue_declare("q"))
        await stream.wait_until(broker.sent(QueueDeclare))
        broker.send_eof()
        with pytest.raises(ConnectionLost):
            await declare
        assert not connection.is_open

    run(test)


# -- locking -------------------------------------------------------------------------

#: Bodies large enough to travel as buffers of their own (see ``amqproto.io._backend.JOIN_BELOW``).
LARGE = 40_000


async def concurrent_publishes_session(write_lock: bool, yield_between_writes: bool = True) -> MockBroker:
    """Eight tasks publishing large bodies on one confirm channel (through a stream that yields mid-write)."""
    broker = MockBroker()
    stream = AsyncMockStream(broker, yield_between_writes=yield_between_writes)
    # A broker that cannot decode the client any more cannot answer its close either.
    connection = async_connection(stream, write_lock=write_lock, connection_timeout=0.5)
    await connection.connect()
    channel = await connection.channel()
    await channel.confirm_select()
    publishes = [
        asyncio.ensure_future(channel.basic_publish(bytes([number]) * LARGE, routing_key="q", wait=False))
        for number in range(8)
    ]
    sequences = await asyncio.gather(*publishes)
    assert sorted(sequence or 0 for sequence in sequences) == list(range(1, 9))
    await stream.wait_until(lambda: broker.error is not None or len(broker.methods(BasicPublish)) == 8)
    if broker.error is None:
        # The publishes are confirmed in the order of their sequence numbers,
        # which must be the order their frames left in.
        by_sequence = {sequence: bytes([number]) * LARGE for number, sequence in enumerate(sequences)}
        assert bodies(broker.published()) == [by_sequence[sequence] for sequence in range(1, 9)]
    await connection.close()
    return broker


def test_the_write_lock_keeps_concurrent_publishes_whole_and_in_sequence_order() -> None:
    """With a stream that gives the loop away mid-write, the write lock (taken before the core is
    drained) is what keeps each publish's frames together and in the core's order."""

    async def test() -> None:
        locked = await concurrent_publishes_session(write_lock=True)
        assert locked.error is None
        # asyncio's own path: no write lock, a stream that queues each write
        # whole and in call order (AsyncioBackend.write_lock() is None).
        unlocked = await concurrent_publishes_session(write_lock=False, yield_between_writes=False)
        assert unlocked.error is None
        assert bodies(unlocked.published()) == bodies(locked.published())

    run(test)


def test_without_the_write_lock_such_a_stream_garbles_the_frames() -> None:
    """The control for the test above: the same session without the lock is caught."""

    async def test() -> None:
        broker = await concurrent_publishes_session(write_lock=False)
        assert broker.error is not None

    run(test)


def test_blocked_and_unblocked_callbacks_run_in_order() -> None:
    async def test() -> None:
        broker = MockBroker()
        connection, _ = await open_connection(broker)
        calls: list[object] = []
        unblocked = asyncio.Event()
        connection.add_blocked_callback(lambda reason: calls.append(("blocked", reason, connection.blocked)))

        def on_unblocked() -> None:
            calls.append(("unblocked", connection.blocked))
            unblocked.set()

        connection.add_unblocked_callback(on_unblocked)
        broker.send(MethodFrame(0, ConnectionBlocked("low on memory")), MethodFrame(0, ConnectionUnblocked()))
        await asyncio.wait_for(unblocked.wait(), WAIT)
        # The callbacks run later, on the runner: by then the core is unblocked again.
        assert calls == [("blocked", "low on memory", False), ("unblocked", False)]
        await connection.close()

    run(test)


@pytest.mark.parametrize("chunk_size", CHUNKINGS)
def test_a_consumer_cancelled_by_the_broker_yields_what_came_first_then_raises(
    chunk_size: int | None,
) -> None:
    async def test() -> None:
        broker = MockBroker(chunk_size=chunk_size)
        connection, _ = await open_connection(broker)
        channel = await connection.channel()
        consumer = await start_consumer(channel, "reader")
        reader = asyncio.ensure_future(read(consumer, 3))
        await turns_until(lambda: len(consumer._sleepers) == 1)
        broker.send(
            *MockBroker.delivery(channel.id, "reader", 1, b"m1"),
            *MockBroker.delivery(channel.id, "reader", 2, b"m2"),
            MethodFrame(channel.id, BasicCancel("reader")),
        )
        with pytest.raises(ConsumerCancelledError):
            await reader
        assert bodies(consumer._ready) == []  # both were read before the error
        with pytest.raises(ConsumerCancelledError):
            await consumer.__anext__()  # and it stays ended
        assert channel.is_open
        await connection.close()

    run(test)


def test_leaving_a_consumer_block_cancels_it_and_requeues_what_was_not_read() -> None:
    async def test() -> None:
        broker = MockBroker()
        connection, _stream = await open_connection(broker)
        channel = await connection.channel()
        async with channel.basic_consume("q", "reader") as consumer:
            broker.send(
                *(
                    frame
                    for tag in (1, 2, 3)
                    for frame in MockBroker.delivery(channel.id, "reader", tag, b"m")
                )
            )
            assert (await consumer.__anext__()).delivery_tag == 1
            await turns_until(lambda: len(consumer._ready) == 2)
        (cancel,) = broker.methods(BasicCancel, channel.id)
        assert cancel.consumer_tag == "reader"
        assert [(reject.delivery_tag, reject.requeue) for reject in broker.methods(BasicReject)] == [
            (2, True),
            (3, True),
        ]
        await connection.close()

    run(test)


@pytest.mark.parametrize("late_reply_first", [True, False], ids=["reply-then-call", "call-then-reply"])
def test_a_call_that_times_out_drops_its_late_reply_and_the_channel_goes_on(late_reply_first: bool) -> None:
    """The late reply never reaches the next call on the channel, whichever comes first.

    A request made before the late reply came is held by the core until it does.
    """

    async def test() -> None:
        broker = MockBroker()
        broker.ignore(QueueDeclare)
        connection, _stream = await open_connection(broker)
        channel = await connection.channel()
        with pytest.raises(OperationTimeout):
            await channel.queue_declare("slow", timeout=0.05)
        broker.answer(
            QueueDeclare,
            lambda channel_id, method: [MethodFrame(channel_id, QueueDeclareOk(method.queue, 0, 0))],
        )
        late_reply = MethodFrame(channel.id, QueueDeclareOk("slow", 0, 0))
        if late_reply_first:
            broker.send(late_reply)
            assert (await channel.queue_declare("next")).queue == "next"
        else:
            declare = asyncio.ensure_future(channel.queue_declare("next"))
            # The core holds the new request until the old one's reply came
            # (replies come in the order of requests): nothing is written.
            for _ in range(50):
                await asyncio.sleep(0)
            assert not declare.done() and len(broker.methods(QueueDeclare)) == 1
            broker.send(late_reply)
            assert (await declare).queue == "next"
        assert [method.queue for method in broker.methods(QueueDeclare)] == ["slow", "next"]
        assert connection.is_open and channel.is_open
        await connection.close()

    run(test)


# -- writing behind: publishes awaiting their confirms together ----------------------


def test_publishes_awaiting_confirms_together_are_written_together_each_returning_on_its_own_ack() -> None:
    """Fifty tasks each awaiting a publish (the natural way to stream confirms).

    The first publish writes itself; the others, made while it waits, leave
    the writing to the writer task, which writes them in one go (the
    "writing behind" path).  The broker gets the same bytes, in sequence
    order, as from publishes made one by one, each writing itself (the
    general path); each publish returns only once an ack covers it.
    """

    async def test() -> None:
        broker = MockBroker()
        connection, stream = await open_connection(broker)
        channel = await connection.channel()
        await channel.confirm_select()
        writes = 0
        writelines = stream.writelines

        async def counting_writelines(buffers: list[bytes | bytearray | memoryview]) -> None:
            nonlocal writes
            writes += 1
            await writelines(buffers)

        stream.writelines = counting_writelines  # type: ignore[method-assign]
        publishes = [
            asyncio.ensure_future(channel.basic_publish(b"m%d" % number, routing_key="q"))
            for number in range(50)
        ]
        await stream.wait_until(broker.sent(BasicPublish, 50))
        assert writes <= 3, writes
        broker.send(MethodFrame(channel.id, BasicAck(49, multiple=True)))
        assert [await publish for publish in publishes[:49]] == list(range(1, 50))
        for _ in range(20):  # loop turns in which nothing may settle the last one
            await asyncio.sleep(0)
        assert not publishes[49].done()
        broker.send(MethodFrame(channel.id, BasicAck(50, multiple=True)))
        assert await publishes[49] == 50
        behind = bodies(broker.published())

        # The general path: one publish at a time, each writing itself.
        writes = 0
        for number in range(50):
            publish = asyncio.ensure_future(channel.basic_publish(b"m%d" % number, routing_key="q"))
            await stream.wait_until(broker.sent(BasicPublish, 51 + number))
            broker.send(MethodFrame(channel.id, BasicAck(51 + number)))
            assert await publish == 51 + number
        assert writes == 50
        assert bodies(broker.published())[50:] == behind == [b"m%d" % number for number in range(50)]
        await connection.close()

    run(test)


def test_a_write_behind_that_fails_fails_each_waiting_publish_naming_it() -> None:
    """The writer's write fails: every publish that left its write to it fails, typed, naming itself."""

    async def test() -> None:
        broker = MockBroker()
        connection, stream = await open_connection(broker)
        channel = await connection.channel()
        await channel.confirm_select()
        writelines = stream.writelines
        writes = 0

        async def failing_writelines(buffers: list[bytes | bytearray | memoryview]) -> None:
            nonlocal writes
            writes += 1
            if writes > 1:
                raise ConnectionResetError("the mock stream broke")
            await writelines(buffers)

        stream.writelines = failing_writelines  # type: ignore[method-assign]
        publishes = [asyncio.ensure_future(channel.basic_publish(b"m", routing_key="q")) for _ in range(10)]
        outcomes = [await outcome(publish) for publish in publishes]
        assert outcomes == [("ConnectionLost", (number,)) for number in range(1, 11)]
        assert not connection._confirm_waiters and not connection._confirm_deadlines
        assert not connection.is_open

    run(test)
