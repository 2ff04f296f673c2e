"""Faults a real broker cannot be made to commit on cue, on every adapter.

Each test runs one scripted conversation with a
:class:`~tests.fake_broker.FakeBroker` on 127.0.0.1 (no RabbitMQ), once per
adapter of this flavour (``connection_class``; see
``helpers.CONNECTION_CLASSES``: asyncio, uvloop and curio here,
blocking in the generated ``../_sync/test_faults.py``).  They pin down
issue 9's promises:

- confirms never lie (§1): whatever ends a wait for confirms (a close, a
  lost transport, a nack), in whatever order it arrives within one read, the
  wait raises, and its error names exactly the publishes no ``basic.ack``
  covered;
- a peer that stops reading cannot hang a publisher or ``close()`` (§2);
- every wait can be bounded (§5);
- a delivery for an unknown consumer tag is rejected with requeue (§7);
- a flood of frames that make no events does not starve other tasks (§10);
- a user callback that raises is logged and the connection carries on (§3).

This file is the source: ``scripts/unasync.py`` rewrites it into
``tests/integration/_sync/test_faults.py``.  What differs between flavours
(concurrency, sleeping, blocking calls, bounding a call) is in
``helpers.py``.  The scripts run in the broker's thread, so they are plain
functions in both flavours; a test waits for what the broker received
through ``run_blocking``, never by blocking its event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from amqproto.exceptions import (
    AMQPError,
    ChannelClosedError,
    ConnectionClosedError,
    ConnectionForced,
    ConnectionLost,
    HeartbeatTimeout,
    NackError,
    OperationTimeout,
    PreconditionFailed,
    UnroutableError,
)
from amqproto.io._async.connection import AsyncConnection
from amqproto.schema import (
    BasicAck,
    BasicConsume,
    BasicDeliver,
    BasicNack,
    BasicPublish,
    BasicReject,
    BasicReturn,
    ChannelClose,
    ChannelOpen,
    ConnectionBlocked,
    ConnectionClose,
    ConnectionUnblocked,
    QueueDeclare,
    QueueDeclareOk,
)
from amqproto.wire import Frame, MethodFrame

from ...core.helpers import content_frames
from ...fake_broker import FakeBroker
from .helpers import bounded, eventually, gather, run_blocking, sleep

#: Seconds any call waits for the fake broker: a hang fails in seconds, as an
#: OperationTimeout, rather than at the runner's limit.
CALL_TIMEOUT = 10.0
#: Seconds a call wrapped in ``bounded`` may take: ample, against hangs only.
HANG_BOUND = 30.0
#: Publishes in the confirm tests.
PUBLISHES = 10
#: What RabbitMQ says when an operator closes a connection.
FORCED = "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"


def connect(connection_class: type[AsyncConnection], broker: FakeBroker, **options: Any) -> AsyncConnection:
    """A connection to ``broker`` (not yet connected), with :data:`CALL_TIMEOUT` unless told otherwise."""
    options.setdefault("call_timeout", CALL_TIMEOUT)
    return connection_class(broker.url, **options)


def known_bug(request: pytest.FixtureRequest, adapter: str, reason: str) -> None:
    """Expect the running test to fail when it runs on ``adapter`` (by class name), for ``reason``.

    For a bug in the library that a test exposes: the test stays, strict
    (it fails the suite once it passes, so the mark goes with the fix).
    """
    if request.node.funcargs["connection_class"].__name__ == adapter:
        request.node.add_marker(pytest.mark.xfail(strict=True, reason=reason))


def ack(channel: int, delivery_tag: int, multiple: bool = False) -> MethodFrame:
    return MethodFrame(channel, BasicAck(delivery_tag, multiple))


def nack(channel: int, delivery_tag: int, multiple: bool = False) -> MethodFrame:
    return MethodFrame(channel, BasicNack(delivery_tag, multiple, requeue=False))


def errors_logged(
    caplog: pytest.LogCaptureFixture, exception: type[BaseException]
) -> list[logging.LogRecord]:
    """The ERROR records on the ``amqproto`` logger carrying a traceback of ``exception``."""
    return [
        record
        for record in caplog.records
        if record.name == "amqproto"
        and record.levelno == logging.ERROR
        and record.exc_info is not None
        and record.exc_info[0] is exception
    ]


# -- §1: confirms never lie ------------------------------------------------------

#: What the broker sends after the publishes, before the end, in the same write.
BEFORE_THE_END: dict[str, Callable[[int], list[Frame]]] = {
    "nothing": lambda channel: [],
    "ack": lambda channel: [ack(channel, 3, multiple=True)],
    "ack-nack": lambda channel: [ack(channel, 3, multiple=True), nack(channel, 5)],
}

#: The publishes no ack covers, for each of BEFORE_THE_END.
NOT_ACKED: dict[str, tuple[int, ...]] = {
    "nothing": tuple(range(1, PUBLISHES + 1)),
    "ack": tuple(range(4, PUBLISHES + 1)),
    "ack-nack": tuple(range(4, PUBLISHES + 1)),
}

#: How the broker ends it, and the error each wait must raise.
THE_END: dict[str, type[AMQPError]] = {
    "connection.close": ConnectionForced,
    "channel.close": PreconditionFailed,
    "eof": ConnectionLost,
    "reset": ConnectionLost,
}


def end_with(broker: FakeBroker, channel: int, frames: list[Frame], end: str) -> None:
    """Send ``frames``, then end as ``end`` says: a close in the same write, or the transport."""
    if end == "connection.close":
        broker.send(*frames, MethodFrame(0, ConnectionClose(320, FORCED)))
    elif end == "channel.close":
        broker.send(*frames, MethodFrame(channel, ChannelClose(406, "PRECONDITION_FAILED - scripted")))
    elif end == "eof":
        broker.send(*frames)
        broker.end_stream()
    else:
        assert end == "reset"
        broker.send(*frames)
        broker.reset()


@pytest.mark.parametrize("end", list(THE_END))
@pytest.mark.parametrize("before", list(BEFORE_THE_END))
async def test_wait_for_confirms_raises_naming_every_publish_no_ack_covered(
    connection_class: type[AsyncConnection], before: str, end: str
) -> None:
    def script(broker: FakeBroker) -> None:
        channel = broker.expect(BasicPublish, PUBLISHES)[0][0].channel
        end_with(broker, channel, BEFORE_THE_END[before](channel), end)

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                await channel.confirm_select()
                for sequence in range(1, PUBLISHES + 1):
                    assert await channel.basic_publish(b"m", routing_key="q", wait=False) == sequence
                with pytest.raises(THE_END[end]) as caught:
                    await channel.wait_for_confirms()
                error = caught.value
                assert isinstance(error, ChannelClosedError)
                if end != "channel.close":
                    assert isinstance(error, ConnectionClosedError)
                if end == "reset":
                    # A reset may destroy bytes the client had not read yet:
                    # the acks before it may be lost, never invented.
                    assert set(NOT_ACKED[before]) <= set(error.unconfirmed) <= set(range(1, PUBLISHES + 1))
                else:
                    assert error.unconfirmed == NOT_ACKED[before]
                # The next call fails for the same reason, with the same class.
                with pytest.raises(THE_END[end]):
                    await channel.basic_publish(b"m", routing_key="q")


@pytest.mark.parametrize("end", ["connection.close", "channel.close", "eof"])
async def test_publishes_waiting_for_their_confirm_fail_with_the_close(
    connection_class: type[AsyncConnection], end: str
) -> None:
    # Publishes 1-3 with wait=False, 4 and 5 waiting for their own ack; the
    # broker acks 1-3 and ends, all in one write.
    def script(broker: FakeBroker) -> None:
        channel = broker.expect(BasicPublish, 5)[0][0].channel
        end_with(broker, channel, [ack(channel, 3, multiple=True)], end)

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                await channel.confirm_select()
                for _ in range(3):
                    await channel.basic_publish(b"m", routing_key="q", wait=False)

                async def publish() -> AMQPError:
                    with pytest.raises(THE_END[end]) as caught:
                        await channel.basic_publish(b"m", routing_key="q")
                    return caught.value

                errors = await gather(publish, publish)
                assert sorted(error.unconfirmed for error in errors) == [(4,), (5,)]


#: Publishes made at once in the natural-API test (as many as the blocking
#: twin's gather runs at once: 16 threads), and the first of them the broker acks.
CONCURRENT, CONCURRENT_ACKED = 16, 8


@pytest.mark.parametrize("end", list(THE_END))
async def test_publishes_writing_behind_end_typed_and_only_acked_ones_are_confirmed(
    connection_class: type[AsyncConnection], end: str
) -> None:
    # The natural API: a task per publish awaiting its own ack, so that every
    # publish made while others wait leaves its write to the writer ("Writing
    # behind" in io/_async/connection.py). The broker acks the first half in
    # one multiple ack and ends, in the same write.
    def script(broker: FakeBroker) -> None:
        channel = broker.expect(BasicPublish, CONCURRENT)[0][0].channel
        end_with(broker, channel, [ack(channel, CONCURRENT_ACKED, multiple=True)], end)

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                await channel.confirm_select()

                async def publish() -> int | AMQPError:
                    try:
                        sequence = await channel.basic_publish(b"m", routing_key="q")
                    except AMQPError as exc:
                        return exc
                    assert sequence is not None  # in confirm mode, the publish's number
                    return sequence

                outcomes = await bounded(HANG_BOUND, lambda: gather(*[publish] * CONCURRENT))
    confirmed = sorted(outcome for outcome in outcomes if isinstance(outcome, int))
    failed = [outcome for outcome in outcomes if not isinstance(outcome, int)]
    for error in failed:
        assert isinstance(error, THE_END[end]), repr(error)
        assert len(error.unconfirmed) == 1  # its own publish, and only it
    # Each publish ended exactly once, and none not acked passed as confirmed.
    assert sorted(confirmed + [error.unconfirmed[0] for error in failed]) == list(range(1, CONCURRENT + 1))
    if end == "reset":
        # A reset may destroy the ack before the client reads it: acks may be lost, never invented.
        assert set(confirmed) <= set(range(1, CONCURRENT_ACKED + 1))
    else:
        assert confirmed == list(range(1, CONCURRENT_ACKED + 1))


async def test_a_nack_fails_the_wait_naming_the_nacked_publishes(
    connection_class: type[AsyncConnection],
) -> None:
    def script(broker: FakeBroker) -> None:
        channel = broker.expect(BasicPublish, PUBLISHES)[0][0].channel
        # 1-3 acked, 5 nacked, the rest acked; then publish 11 nacked alone.
        broker.send(ack(channel, 3, multiple=True), nack(channel, 5), ack(channel, PUBLISHES, multiple=True))
        broker.expect(BasicPublish, PUBLISHES + 1)
        broker.send(nack(channel, PUBLISHES + 1))

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                await channel.confirm_select()
                for _ in range(PUBLISHES):
                    await channel.basic_publish(b"m", routing_key="q", wait=False)
                with pytest.raises(NackError) as caught:
                    await channel.wait_for_confirms()
                assert caught.value.unconfirmed == (5,)
                await channel.wait_for_confirms()  # reported once; nothing else is pending
                with pytest.raises(NackError) as caught:
                    await channel.basic_publish(b"m", routing_key="q")
                assert caught.value.unconfirmed == (PUBLISHES + 1,)
                assert connection.is_open and channel.is_open


# -- §2: a peer that stops reading -------------------------------------------------

#: The most publishes a test makes while its peer is frozen: the socket
#: buffers hold a few MiB, so a publisher blocks long before.
MAX_PUBLISHES = 100_000
BODY = b"x" * 2048


def freeze_after_channel_open(broker: FakeBroker) -> None:
    broker.expect(ChannelOpen)
    broker.freeze()


async def test_a_publisher_to_a_peer_that_stopped_reading_fails_with_heartbeat_timeout(
    connection_class: type[AsyncConnection], request: pytest.FixtureRequest
) -> None:
    with FakeBroker(freeze_after_channel_open, heartbeat=2) as broker:
        connection = connect(connection_class, broker)
        await connection.connect()
        try:
            assert connection.core.heartbeat == 2
            channel = await connection.channel()

            async def publish_until_it_fails() -> None:
                for _ in range(MAX_PUBLISHES):
                    await channel.basic_publish(BODY, routing_key="q")

            with pytest.raises(HeartbeatTimeout):
                await bounded(HANG_BOUND, publish_until_it_fails)
            assert not connection.is_open
        finally:
            await bounded(HANG_BOUND, connection.close)


async def test_close_returns_when_the_peer_stopped_reading(
    connection_class: type[AsyncConnection], request: pytest.FixtureRequest
) -> None:
    # No heartbeats: only close()'s own bound can end it.  A publisher keeps
    # writing meanwhile (it may have filled the socket buffers or not when
    # close() starts: close() must return either way, and fail it).
    connection_timeout = 1.0
    with FakeBroker(freeze_after_channel_open) as broker:
        connection = connect(connection_class, broker, heartbeat=0, connection_timeout=connection_timeout)
        await connection.connect()
        channel = await connection.channel()
        published = 0

        async def publish_until_it_fails() -> None:
            nonlocal published
            with pytest.raises(ConnectionClosedError):
                for _ in range(MAX_PUBLISHES):
                    await channel.basic_publish(BODY, routing_key="q")
                    published += 1

        async def close_once_publishing() -> None:
            await eventually(lambda: published >= 100)
            await bounded(connection_timeout + HANG_BOUND, connection.close)

        await gather(publish_until_it_fails, close_once_publishing)
        assert not connection.is_open


# -- §5: bounded waits -------------------------------------------------------------


async def test_a_call_the_broker_never_answers_times_out_and_the_connection_carries_on(
    connection_class: type[AsyncConnection],
) -> None:
    def script(broker: FakeBroker) -> None:
        channel = broker.expect(QueueDeclare)[0][0].channel
        broker.serve_until(broker.proceed.is_set, what="the client's timeout")
        # The late reply, then the next request's: the client must drop the first.
        broker.send(MethodFrame(channel, QueueDeclareOk("first")))
        broker.expect(QueueDeclare, 2)
        broker.send(MethodFrame(channel, QueueDeclareOk("second")))

    with FakeBroker(script, heartbeat=1, send_heartbeats=True) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                with pytest.raises(OperationTimeout) as caught:
                    await channel.queue_declare("first", timeout=0.5)
                assert isinstance(caught.value, TimeoutError)
                assert connection.is_open and channel.is_open
                broker.proceed.set()
                assert (await channel.queue_declare("second")).queue == "second"


async def test_wait_for_confirms_times_out_naming_the_unconfirmed(
    connection_class: type[AsyncConnection],
) -> None:
    def script(broker: FakeBroker) -> None:
        channel = broker.expect(BasicPublish, 4)[0][0].channel
        broker.send(ack(channel, 4, multiple=True))

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                await channel.confirm_select()
                for _ in range(3):
                    await channel.basic_publish(b"m", routing_key="q", wait=False)
                with pytest.raises(OperationTimeout) as caught:
                    await channel.wait_for_confirms(timeout=0.3)
                assert isinstance(caught.value, TimeoutError)
                assert caught.value.unconfirmed == (1, 2, 3)
                await channel.basic_publish(b"m", routing_key="q", wait=False)
                await channel.wait_for_confirms()  # the ack of 1-4 settles them all


async def test_the_connections_call_timeout_bounds_calls_that_pass_none(
    connection_class: type[AsyncConnection],
) -> None:
    # The broker answers channel.open and confirm.select, never a confirm
    # nor queue.declare.
    with FakeBroker() as broker:
        async with connect(connection_class, broker, call_timeout=0.5) as connection:
            async with connection.get_channel() as channel:
                await channel.confirm_select()
                with pytest.raises(OperationTimeout) as caught:
                    await channel.basic_publish(b"m", routing_key="q")
                assert caught.value.unconfirmed == (1,)
                with pytest.raises(OperationTimeout):
                    await channel.queue_declare("never")
                assert connection.is_open


async def test_publishes_bounded_by_the_call_timeout_time_out_alone_and_the_others_are_confirmed(
    connection_class: type[AsyncConnection],
) -> None:
    """Publishes waiting with the connection's ``call_timeout`` share one deadline watcher.

    No timer each (see the connection module's header), yet the publish the
    broker never confirms raises ``OperationTimeout`` naming itself, those it
    acks (before and after it) return, and a publish after the time-out
    (which starts the watcher again) is bounded and confirmed as well.
    """

    def script(broker: FakeBroker) -> None:
        channel = broker.expect(BasicPublish, 3)[0][0].channel
        broker.send(ack(channel, 1), ack(channel, 3))
        broker.expect(BasicPublish, 4)
        broker.send(ack(channel, 4))

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker, call_timeout=0.5) as connection:
            async with connection.get_channel() as channel:
                await channel.confirm_select()

                async def publish() -> int | OperationTimeout | None:
                    try:
                        return await channel.basic_publish(b"m", routing_key="q")
                    except OperationTimeout as exc:
                        return exc

                outcomes = await bounded(HANG_BOUND, lambda: gather(publish, publish, publish))
                assert sorted(outcome for outcome in outcomes if isinstance(outcome, int)) == [1, 3]
                timed_out = [outcome for outcome in outcomes if isinstance(outcome, OperationTimeout)]
                assert [error.unconfirmed for error in timed_out] == [(2,)]
                assert await channel.basic_publish(b"m", routing_key="q") == 4
                assert connection.is_open and channel.is_open


async def test_a_publish_with_a_shorter_timeout_than_those_before_it_times_out_first(
    connection_class: type[AsyncConnection],
) -> None:
    """A deadline earlier than one the watcher already has gets its own timer.

    The first publish waits with the connection's ``call_timeout`` (10 s); the
    second, made while the first still waits, with ``timeout=0.3``: it must
    raise first, or the broker never acks the first and the first times out.
    """

    def script(broker: FakeBroker) -> None:
        channel = broker.expect(BasicPublish, 2)[0][0].channel
        broker.serve_until(broker.proceed.is_set, what="the second publish's timeout")
        broker.send(ack(channel, 1))

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                await channel.confirm_select()

                async def first() -> Any:
                    return await channel.basic_publish(b"m", routing_key="q")

                async def second() -> Any:
                    await run_blocking(broker.wait_received, BasicPublish, 1)
                    try:
                        await channel.basic_publish(b"m", routing_key="q", timeout=0.3)
                    except OperationTimeout as exc:
                        return exc.unconfirmed
                    finally:
                        broker.proceed.set()
                    return None

                assert await bounded(HANG_BOUND, lambda: gather(first, second)) == [1, (2,)]


async def test_a_consumer_with_an_inactivity_timeout(connection_class: type[AsyncConnection]) -> None:
    def script(broker: FakeBroker) -> None:
        command, consume = broker.expect(BasicConsume)[0]
        broker.serve_until(broker.proceed.is_set, what="the client's inactivity timeout")
        broker.send(*content_frames(command.channel, BasicDeliver(consume.consumer_tag, 1), b"later"))

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                async with channel.basic_consume("q", inactivity_timeout=0.3) as consumer:
                    with pytest.raises(OperationTimeout):
                        async for message in consumer:
                            pytest.fail(f"nothing was delivered, yet {message!r} came")
                    broker.proceed.set()
                    async for message in consumer:
                        assert message.body == b"later"
                        await message.ack()
                        break
                ((_, acked),) = await run_blocking(broker.wait_received, BasicAck)
                assert acked.delivery_tag == 1


# -- §7: a delivery for a consumer tag the client does not know ---------------------


async def test_a_delivery_for_an_unknown_consumer_is_rejected_with_requeue(
    connection_class: type[AsyncConnection], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="amqproto")

    def script(broker: FakeBroker) -> None:
        command, consume = broker.expect(BasicConsume)[0]
        channel = command.channel
        broker.send(
            *content_frames(channel, BasicDeliver("nobody's", 1), b"stray"),
            *content_frames(channel, BasicDeliver(consume.consumer_tag, 2), b"mine"),
        )

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                async with channel.basic_consume("q") as consumer:
                    async for message in consumer:  # noqa: B007 - the first message, used below
                        break
                    assert message.body == b"mine"
                    ((_, rejected),) = await run_blocking(broker.wait_received, BasicReject)
                    assert (rejected.delivery_tag, rejected.requeue) == (1, True)
                    assert any(
                        record.name == "amqproto"
                        and record.levelno == logging.WARNING
                        and "unknown" in record.getMessage()
                        for record in caplog.records
                    ), caplog.text
                    await message.ack()
                    ((_, acked),) = await run_blocking(broker.wait_received, BasicAck)
                    assert acked.delivery_tag == 2
                    assert connection.is_open and channel.is_open


# -- §10: a flood of frames that make no events ----------------------------------------

#: Heartbeat bytes the broker floods the client with.  Issue 9 measured
#: 20 MB; the core decodes heartbeats at a few MB/s, so this is smaller, and
#: still many reads (the adapters read at most 256 KiB at a time).
FLOOD_BYTES = 4 * 1024 * 1024
#: Rounds of a concurrent task that must run while the flood is read: one
#: per read or so; a reader that never yields allows none.
MIN_ROUNDS_DURING_FLOOD = 8
#: Bound on the concurrent task's rounds, never reached in practice.
MAX_ROUNDS = 10**9


async def test_a_flood_of_heartbeats_does_not_starve_other_tasks(
    connection_class: type[AsyncConnection], request: pytest.FixtureRequest
) -> None:

    # connection.blocked before the flood and connection.unblocked after it
    # mark, on the client's side, exactly while the flood is being read.
    def script(broker: FakeBroker) -> None:
        channel = broker.expect(QueueDeclare)[0][0].channel
        broker.send(MethodFrame(0, ConnectionBlocked("flood")))
        broker.flood(FLOOD_BYTES)
        broker.send(MethodFrame(0, ConnectionUnblocked()), MethodFrame(channel, QueueDeclareOk("flood")))

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker, heartbeat=0) as connection:
            async with connection.get_channel() as channel:
                rounds_during_flood = 0
                declared = False

                async def spin() -> None:
                    nonlocal rounds_during_flood
                    for _ in range(MAX_ROUNDS):
                        if declared:
                            return
                        if connection.blocked:
                            rounds_during_flood += 1
                        await sleep(0)

                async def declare() -> None:
                    nonlocal declared
                    try:
                        assert (await channel.queue_declare("flood")).queue == "flood"
                    finally:
                        declared = True

                await gather(spin, declare)
                assert broker.flooded >= FLOOD_BYTES
                assert rounds_during_flood >= MIN_ROUNDS_DURING_FLOOD


# -- §3: user callbacks that raise -----------------------------------------------------


def with_the_first_ack(frames: Callable[[int], list[Frame]]) -> Callable[[FakeBroker], None]:
    """A script: send ``frames(channel)`` and the ack of publish 1 in one write, then ack publish 2."""

    def script(broker: FakeBroker) -> None:
        channel = broker.expect(BasicPublish)[0][0].channel
        broker.send(*frames(channel), ack(channel, 1))
        broker.expect(BasicPublish, 2)
        broker.send(ack(channel, 2))

    return script


async def test_a_return_callback_that_raises_is_logged_and_the_connection_carries_on(
    connection_class: type[AsyncConnection], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="amqproto")
    script = with_the_first_ack(
        lambda channel: content_frames(channel, BasicReturn(312, "NO_ROUTE", "", "nowhere"), b"m")
    )

    def explode(message: object) -> None:
        raise ZeroDivisionError("scripted")

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            async with connection.get_channel() as channel:
                channel.add_return_callback(explode)
                await channel.confirm_select()
                with pytest.raises(UnroutableError):
                    await channel.basic_publish(b"m", routing_key="nowhere", mandatory=True)
                await eventually(lambda: errors_logged(caplog, ZeroDivisionError))
                assert connection.is_open and channel.is_open
                assert await channel.basic_publish(b"m", routing_key="q") == 2


async def test_blocked_and_unblocked_callbacks_that_raise_are_logged_and_the_connection_carries_on(
    connection_class: type[AsyncConnection], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="amqproto")
    script = with_the_first_ack(
        lambda channel: [
            MethodFrame(0, ConnectionBlocked("low on memory")),
            MethodFrame(0, ConnectionUnblocked()),
        ]
    )

    def blocked(reason: str) -> None:
        raise ZeroDivisionError(reason)

    def unblocked() -> None:
        raise LookupError("scripted")

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            connection.add_blocked_callback(blocked)
            connection.add_unblocked_callback(unblocked)
            async with connection.get_channel() as channel:
                await channel.confirm_select()
                assert await channel.basic_publish(b"m", routing_key="q") == 1
                await eventually(
                    lambda: errors_logged(caplog, ZeroDivisionError) and errors_logged(caplog, LookupError)
                )
                assert connection.is_open and not connection.blocked
                assert await channel.basic_publish(b"m", routing_key="q") == 2


async def test_a_close_callback_that_raises_is_logged(
    connection_class: type[AsyncConnection], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="amqproto")
    causes: list[AMQPError | None] = []

    def closed(cause: AMQPError | None) -> None:
        causes.append(cause)
        raise ZeroDivisionError("scripted")

    def script(broker: FakeBroker) -> None:
        broker.expect(QueueDeclare)
        broker.send(MethodFrame(0, ConnectionClose(320, FORCED)))

    with FakeBroker(script) as broker:
        async with connect(connection_class, broker) as connection:
            connection.add_close_callback(closed)
            async with connection.get_channel() as channel:
                with pytest.raises(ConnectionForced):
                    await channel.queue_declare("q")
                await eventually(lambda: errors_logged(caplog, ZeroDivisionError))
                assert len(causes) == 1 and isinstance(causes[0], ConnectionForced)
