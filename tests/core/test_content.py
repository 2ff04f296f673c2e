"""Content: publishing splits bodies into frames; deliveries are assembled and checked."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from typing import cast

import pytest

from amqproto import BasicProperties, ConnectionState, _heap
from amqproto._heap import make_room_for_body
from amqproto.events import ConnectionClosed, MessageDelivered, MessageReturned, ReplyReceived
from amqproto.exceptions import CommandInvalid, ResourceError, UnexpectedFrame
from amqproto.schema import (
    BasicDeliver,
    BasicGet,
    BasicGetEmpty,
    BasicGetOk,
    BasicPublish,
    BasicQos,
    BasicReturn,
    ConnectionClose,
    ConnectionCloseOk,
    ConnectionTune,
)
from amqproto.wire import ContentBodyFrame, ContentHeaderFrame, MethodFrame, encode_frame

from .helpers import FakeBroker, content_frames, encode, open_channel, open_connection, state

DELIVER = BasicDeliver("ctag", 1, False, "ex", "rk")
PROPS = BasicProperties(content_type="text/plain", headers={"h": 1}, delivery_mode=2, message_id="m1")


def _published(broker: FakeBroker) -> tuple[BasicPublish, ContentHeaderFrame, list[ContentBodyFrame]]:
    frames = broker.sent()
    method, header, *bodies = frames
    assert isinstance(method, MethodFrame) and isinstance(method.method, BasicPublish)
    assert isinstance(header, ContentHeaderFrame)
    assert all(isinstance(body, ContentBodyFrame) for body in bodies)
    return method.method, header, bodies  # type: ignore[return-value]


# -- publishing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "frame_max", "expected_sizes"),
    [
        (0, 4096, []),  # a 0-byte body sends no body frame
        (1, 4096, [1]),
        (4088, 4096, [4088]),  # exactly frame_max - 8
        (4089, 4096, [4088, 1]),
        (3 * 4088, 4096, [4088, 4088, 4088]),
        (10_000, 4096, [4088, 4088, 1824]),
        (100_000, 131072, [100_000]),
        (300_000, 131072, [131064, 131064, 37872]),
    ],
)
def test_publish_splits_body_into_frame_max_minus_8(
    size: int, frame_max: int, expected_sizes: list[int]
) -> None:
    connection, broker = open_connection(frame_max=frame_max)
    channel = open_channel(connection, broker)
    body = bytes(range(256)) * (size // 256) + bytes(size % 256)
    assert channel.basic_publish(body, "ex", "rk", properties=PROPS, mandatory=True) is None
    method, header, bodies = _published(broker)
    assert method == BasicPublish(0, "ex", "rk", True, False)
    assert (header.channel, header.body_size, header.properties) == (1, size, PROPS)
    assert [len(frame.payload) for frame in bodies] == expected_sizes
    assert all(frame.channel == 1 for frame in bodies)
    assert b"".join(frame.payload for frame in bodies) == body
    assert all(len(encode_frame(frame)) <= frame_max for frame in bodies)


def test_publish_accepts_bytearray_and_memoryview() -> None:
    connection, broker = open_connection(frame_max=4096)
    channel = open_channel(connection, broker)
    channel.basic_publish(bytearray(b"a" * 5000))
    channel.basic_publish(memoryview(b"b" * 5000))
    frames = broker.sent()
    bodies = [frame.payload for frame in frames if isinstance(frame, ContentBodyFrame)]
    assert bodies == [b"a" * 4088, b"a" * 912, b"b" * 4088, b"b" * 912]


def test_publish_without_properties_sends_empty_header() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.basic_publish(b"hi")
    _, header, bodies = _published(broker)
    assert header.properties == BasicProperties()
    assert [frame.payload for frame in bodies] == [b"hi"]


def test_publish_with_unlimited_frame_max_sends_one_body_frame() -> None:
    connection, broker = open_connection(frame_max=0, tune=ConnectionTune(0, 0, 0))
    assert connection.frame_max == 0
    channel = open_channel(connection, broker)
    channel.basic_publish(b"x" * 200_000)
    _, _, bodies = _published(broker)
    assert [len(frame.payload) for frame in bodies] == [200_000]


# -- incoming content ------------------------------------------------------------


@pytest.mark.parametrize("chunk", [None, 1, 7, 4088])
def test_delivery_assembled_from_header_and_body_frames(chunk: int | None) -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    body = b"0123456789" * 1000
    events = broker.send(*content_frames(1, DELIVER, body, PROPS, chunk=chunk))
    assert events == [MessageDelivered(channel_id=1, method=DELIVER, properties=PROPS, body=body)]


def _large_delivery_chunks(body: bytes, chunk: int) -> list[bytes]:
    """A delivery of ``body`` in frames of frame_max (131072), cut into reads of ``chunk`` octets."""
    stream = encode(content_frames(1, DELIVER, body, PROPS, chunk=131072 - 8))
    return [stream[i : i + chunk] for i in range(0, len(stream), chunk)]


@pytest.mark.parametrize("chunk", [997, 16384, 65536, 100_003, 262144, 4 << 20])
def test_large_body_is_copied_once_after_the_read(chunk: int) -> None:
    """A 1 MiB body in eight frames and many reads: the join into the body is its only copy.

    Before the body frames came out as views of the reads, a body cost a
    copy into the decoder's buffer, one per frame payload and one for the
    join: a peak of two bodies or more, and the frame copies now gone.
    """
    body = bytes(range(256)) * 4096  # 1 MiB
    chunks = _large_delivery_chunks(body, chunk)
    # The first such delivery of a process fills caches (a compiled header
    # decoder, say) and makes the allocator hint, a block allocated
    # untouched and freed at once (tested below): neither is a copy, and
    # neither happens again, so the traced delivery is the second.
    connection, broker = open_connection()
    open_channel(connection, broker)
    warm_up = [event for data in chunks for event in connection.receive_data(data)]
    assert len(warm_up) == 1
    connection, broker = open_connection()
    open_channel(connection, broker)
    events = []
    tracemalloc.start()
    try:
        for data in chunks:
            events += connection.receive_data(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert events == [MessageDelivered(channel_id=1, method=DELIVER, properties=PROPS, body=body)]
    assert type(cast(MessageDelivered, events[0]).body) is bytes
    # The body itself, and bookkeeping: a view object for some of the reads
    # (the decoder's frames and lists, at most a few KiB).
    assert len(body) <= peak < len(body) + 16 * 1024 + 200 * len(chunks)


def _traced_peak(call: Callable[[], object]) -> tuple[int, int]:
    """The memory ``call()`` left allocated and its peak, traced."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()


def test_allocator_hint_once_per_size_class(monkeypatch: pytest.MonkeyPatch) -> None:
    """The block that raises glibc's thresholds: 4x the body, 1 MiB at least, freed at once, once a class."""
    monkeypatch.setattr(_heap, "covered", _heap.SMALLEST - 1)
    mib = 1 << 20
    assert _traced_peak(lambda: make_room_for_body(_heap.SMALLEST - 1))[1] < 1024  # too small: nothing
    left, peak = _traced_peak(lambda: make_room_for_body(_heap.SMALLEST))
    assert left < 1024 and mib <= peak < mib + 1024  # the floor
    assert _traced_peak(lambda: make_room_for_body(mib // 4))[1] < 1024  # covered already
    assert 4 * mib <= _traced_peak(lambda: make_room_for_body(mib))[1] < 4 * mib + 1024
    assert _traced_peak(lambda: make_room_for_body(mib))[1] < 1024
    assert 8 * mib <= _traced_peak(lambda: make_room_for_body(mib + 1))[1] < 8 * mib + 1024  # the next class
    # The largest block covers every larger body.
    assert 16 * mib <= _traced_peak(lambda: make_room_for_body(64 * mib))[1] < 16 * mib + 1024
    assert _traced_peak(lambda: make_room_for_body(1 << 40))[1] < 1024


def test_body_in_many_frames_is_joined_after_the_allocator_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both joins (body frames as bytes, and as views) tell the allocator the body's size first."""
    sizes: list[int] = []
    monkeypatch.setattr(_heap, "covered", -1)  # every body past it: the hint is called
    monkeypatch.setattr(_heap, "make_room_for_body", sizes.append)
    connection, broker = open_connection()
    open_channel(connection, broker)
    small_frames = content_frames(1, DELIVER, b"s" * 3000, PROPS, chunk=1000)  # payloads below the views
    body = bytes(range(256)) * 4096
    events = broker.send(*small_frames)
    events += connection.receive_data(b"".join(_large_delivery_chunks(body, 65536)))
    assert [cast(MessageDelivered, event).body for event in events] == [b"s" * 3000, body]
    assert sizes == [3000, len(body)]


def test_large_body_parts_are_views_of_the_reads() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    body = bytes(range(256)) * 4096
    chunks = _large_delivery_chunks(body, 100_003)
    for data in chunks[:-1]:
        assert connection.receive_data(data) == []
    incoming = channel._incoming
    assert incoming is not None and incoming.chunks
    for part in incoming.chunks:
        read = part.obj if type(part) is memoryview else part
        assert any(read is data for data in chunks)
    (event,) = connection.receive_data(chunks[-1])
    assert cast(MessageDelivered, event).body == body


def test_large_body_larger_than_announced_is_a_violation() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    frames = content_frames(1, DELIVER, b"x" * 20_000, PROPS, chunk=10_000)
    frames[1] = ContentHeaderFrame(1, 15_000, PROPS)
    with pytest.raises(UnexpectedFrame, match="announced 15000"):
        connection.receive_data(encode(frames))
    assert state(connection) is ConnectionState.CLOSING


def test_delivery_arriving_frame_by_frame() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    frames = content_frames(1, DELIVER, b"abcdef", PROPS, chunk=2)
    results = [broker.send(frame) for frame in frames]
    assert results[:-1] == [[], [], [], []]
    assert results[-1] == [MessageDelivered(channel_id=1, method=DELIVER, properties=PROPS, body=b"abcdef")]


def test_empty_delivery_completes_at_the_header() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    events = broker.send(MethodFrame(1, DELIVER), ContentHeaderFrame(1, 0, PROPS))
    assert events == [MessageDelivered(channel_id=1, method=DELIVER, properties=PROPS, body=b"")]


def test_deliveries_on_two_channels_may_interleave() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    open_channel(connection, broker)
    one = content_frames(1, DELIVER, b"one-one", chunk=4)
    two = content_frames(2, DELIVER, b"two-two", chunk=4)
    interleaved = [frame for pair in zip(one, two, strict=True) for frame in pair]
    events = broker.send(*interleaved)
    assert [(event.channel_id, event.body) for event in events if isinstance(event, MessageDelivered)] == [
        (1, b"one-one"),
        (2, b"two-two"),
    ]


def test_return_outside_confirm_mode_has_no_delivery_tag() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    returned = BasicReturn(312, "NO_ROUTE", "ex", "rk")
    events = broker.send(*content_frames(1, returned, b"lost", PROPS))
    assert events == [MessageReturned(channel_id=1, method=returned, properties=PROPS, body=b"lost")]


def test_get_ok_and_get_empty() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    first = channel.basic_get("q")
    second = channel.basic_get("q", no_ack=True)
    broker.expect((1, BasicGet(0, "q", False)))
    get_ok = BasicGetOk(7, False, "", "q", 3)
    (reply,) = broker.send(*content_frames(1, get_ok, b"payload", PROPS, chunk=3))
    assert isinstance(reply, ReplyReceived)
    assert (reply.request, reply.reply, reply.properties, reply.body) == (first, get_ok, PROPS, b"payload")
    broker.expect((1, BasicGet(0, "q", True)))
    (reply,) = broker.send(MethodFrame(1, BasicGetEmpty()))
    assert isinstance(reply, ReplyReceived)
    assert (reply.request, reply.reply, reply.properties, reply.body) == (second, BasicGetEmpty(), None, None)


def test_get_ok_without_get_is_a_violation() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.basic_qos(prefetch_count=1)
    broker.expect((1, BasicQos(0, 1, False)))
    with pytest.raises(CommandInvalid, match=r"basic\.get-ok on channel 1, which sent no basic\.get"):
        broker.send(*content_frames(1, BasicGetOk(1, False, "", "q", 0), b"x"))
    close = broker.expect_one(0, ConnectionClose)
    assert (close.reply_code, close.class_id, close.method_id) == (503, 60, 71)


# -- size checks -----------------------------------------------------------------


def test_hostile_body_size_refused_from_the_header() -> None:
    connection, broker = open_connection(max_message_size=1024)
    open_channel(connection, broker)
    hostile = MethodFrame(1, DELIVER), ContentHeaderFrame(1, 2**63, PROPS)
    with pytest.raises(
        ResourceError, match=r"message of 9223372036854775808 bytes exceeds max_message_size 1024"
    ):
        broker.send(*hostile)
    close = broker.expect_one(0, ConnectionClose)
    assert (close.reply_code, close.class_id, close.method_id) == (506, 60, 60)
    # Nothing was set aside for the body.
    assert connection._channels[1]._incoming is not None
    assert connection._channels[1]._incoming.chunks == []
    assert state(connection) is ConnectionState.CLOSING


def test_body_of_exactly_max_message_size_is_accepted() -> None:
    connection, broker = open_connection(max_message_size=1024)
    open_channel(connection, broker)
    (event,) = broker.send(*content_frames(1, DELIVER, b"x" * 1024, chunk=100))
    assert isinstance(event, MessageDelivered) and len(event.body) == 1024


def test_body_larger_than_announced_is_a_violation() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    frames = content_frames(1, DELIVER, b"0123456789", body_size=8, chunk=5)
    with pytest.raises(
        UnexpectedFrame, match="content body of 10\\+ bytes on channel 1; the header announced 8"
    ):
        broker.send(*frames)
    close = broker.expect_one(0, ConnectionClose)
    assert close.reply_code == 505
    *_, closed = broker.send(MethodFrame(0, ConnectionCloseOk()))
    assert isinstance(closed, ConnectionClosed)
    assert isinstance(closed.error, UnexpectedFrame)
    assert not closed.by_peer


def test_method_before_the_body_is_complete_is_a_violation() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    frames = content_frames(1, DELIVER, b"0123456789", chunk=5)[:-1]
    with pytest.raises(UnexpectedFrame, match=r"basic\.deliver on channel 1 while content of basic\.deliver"):
        broker.send(*frames, MethodFrame(1, DELIVER))
    assert broker.expect_one(0, ConnectionClose).reply_code == 505


def test_body_without_header_is_a_violation() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    with pytest.raises(UnexpectedFrame, match="content body on channel 1 without a content header"):
        broker.send(MethodFrame(1, DELIVER), ContentBodyFrame(1, b"x"))
    assert broker.expect_one(0, ConnectionClose).reply_code == 505


def test_header_without_method_is_a_violation() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    with pytest.raises(UnexpectedFrame, match="content header on channel 1 without a content method"):
        broker.send(ContentHeaderFrame(1, 1, PROPS))
    assert broker.expect_one(0, ConnectionClose).reply_code == 505


def test_content_on_the_wrong_channel_is_a_violation() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    open_channel(connection, broker)
    with pytest.raises(UnexpectedFrame, match="content header on channel 2 without a content method"):
        broker.send(MethodFrame(1, DELIVER), ContentHeaderFrame(2, 1, PROPS))
    assert broker.expect_one(0, ConnectionClose).reply_code == 505


def test_content_frames_on_channel_0_are_a_violation() -> None:
    _, broker = open_connection()
    with pytest.raises(UnexpectedFrame, match="ContentBodyFrame on channel 0"):
        broker.send(ContentBodyFrame(0, b"x"))
    assert broker.expect_one(0, ConnectionClose).reply_code == 505


def test_events_before_a_violation_are_kept_on_the_error() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    good = content_frames(1, DELIVER, b"fine")
    with pytest.raises(UnexpectedFrame) as info:
        broker.connection.receive_data(encode(good) + encode([ContentBodyFrame(1, b"stray")]))
    assert info.value.events == (
        MessageDelivered(channel_id=1, method=DELIVER, properties=BasicProperties(), body=b"fine"),
    )


def test_content_in_flight_after_channel_close_is_swallowed() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.close()
    broker.sent()
    assert broker.send(*content_frames(1, DELIVER, b"late", chunk=2)) == []
    from amqproto.schema import ChannelCloseOk

    assert [type(e).__name__ for e in broker.send(MethodFrame(1, ChannelCloseOk()))] == [
        "ReplyReceived",
        "ChannelClosed",
    ]
    assert connection.channels == {}
    # ... and without tripping the connection.
    assert state(connection) is ConnectionState.OPEN
    broker.send(MethodFrame(0, ConnectionClose(200, "", 0, 0)))
    broker.expect((0, ConnectionCloseOk()))
