"""A whole recorded session fed at once, one byte at a time, and in random chunks.

As h11's tests/test_io.py does for its vectors: the events (and the bytes
the client sends back) must not depend on how the transport cut the stream.
``ReplyReceived`` carries the request object, which differs between runs, so
events are compared through :func:`helpers.comparable`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from amqproto import BasicProperties, Connection
from amqproto.events import (
    ChannelClosed,
    ConnectionClosed,
    Event,
    MessageDelivered,
    MessageReturned,
    PublishConfirmed,
    PublishNacked,
)
from amqproto.exceptions import ConnectionForced, NotFound
from amqproto.schema import (
    BasicAck,
    BasicCancel,
    BasicConsumeOk,
    BasicDeliver,
    BasicGetEmpty,
    BasicGetOk,
    BasicNack,
    BasicQosOk,
    BasicReturn,
    ChannelClose,
    ChannelFlow,
    ChannelOpenOk,
    ConfirmSelectOk,
    ConnectionBlocked,
    ConnectionClose,
    ConnectionOpenOk,
    ConnectionSecure,
    ConnectionTune,
    ConnectionUnblocked,
    QueueDeclareOk,
)
from amqproto.wire import Frame, HeartbeatFrame, MethodFrame

from .helpers import comparable, content_frames, encode, event_types, start
from .test_handshake import ChallengeResponse

Action = Callable[[Connection], None]

PROPS = BasicProperties(content_type="application/json", headers={"n": 1, "s": "x"}, priority=3)
BIG = bytes(range(256)) * 40  # 10240 bytes: three body frames at frame_max 4096


@dataclass(frozen=True)
class Step:
    """What the client does, then what the broker answers."""

    action: Action
    frames: tuple[Frame, ...]

    @property
    def data(self) -> bytes:
        return encode(self.frames)


def _nothing(connection: Connection) -> None:
    pass


def _setup(connection: Connection) -> None:
    one = connection.open_channel()
    two = connection.open_channel()
    one.basic_qos(prefetch_count=5)
    one.queue_declare("q1")
    one.basic_consume("q1", "c1")
    one.confirm_select()
    two.basic_consume("q2", "c2")
    two.basic_get("q2")
    two.basic_get("q2")


def _publish(connection: Connection) -> None:
    one = connection.channels[1]
    for routing_key in ("ok", "nowhere", "ok", "ok"):
        one.basic_publish(b"payload-" + routing_key.encode(), "ex", routing_key, mandatory=True)


def _session() -> list[Step]:
    deliver_1 = BasicDeliver("c1", 1, False, "", "q1")
    deliver_2 = BasicDeliver("c2", 1, True, "", "q2")
    one = content_frames(1, deliver_1, BIG, PROPS, chunk=4088)
    two = content_frames(2, deliver_2, b"small", chunk=2)
    # Alternate frames while both last (strict=False: `one` is the longer), then the rest of `one`.
    interleaved = tuple(frame for pair in zip(one, two, strict=False) for frame in pair)
    interleaved += tuple(one[len(two) :])
    return [
        Step(
            _nothing,
            (
                MethodFrame(0, start("PLAIN X-CHALLENGE")),
                MethodFrame(0, ConnectionSecure(b"round-1")),
                MethodFrame(0, ConnectionSecure(b"round-2")),
                MethodFrame(0, ConnectionTune(2047, 4096, 0)),
                MethodFrame(0, ConnectionOpenOk()),
            ),
        ),
        Step(
            _setup,
            (
                MethodFrame(1, ChannelOpenOk()),
                MethodFrame(2, ChannelOpenOk()),
                MethodFrame(1, BasicQosOk()),
                MethodFrame(2, BasicConsumeOk("c2")),
                MethodFrame(1, QueueDeclareOk("q1", 0, 0)),
                *content_frames(2, BasicGetOk(1, False, "", "q2", 0), b"got it", PROPS, chunk=3),
                MethodFrame(1, BasicConsumeOk("c1")),
                MethodFrame(2, BasicGetEmpty()),
                MethodFrame(1, ConfirmSelectOk()),
                HeartbeatFrame(),
                *interleaved,
            ),
        ),
        Step(
            _publish,
            (
                MethodFrame(1, BasicAck(1, False)),
                *content_frames(1, BasicReturn(312, "NO_ROUTE", "ex", "nowhere"), b"payload-nowhere"),
                MethodFrame(1, BasicAck(3, True)),
                MethodFrame(1, BasicNack(4, False, True)),
                MethodFrame(0, ConnectionBlocked("memory")),
                MethodFrame(1, ChannelFlow(False)),
                MethodFrame(0, ConnectionUnblocked()),
                MethodFrame(2, BasicCancel("c2", True)),
                *content_frames(1, BasicDeliver("c1", 2, False, "", "q1"), b""),
                MethodFrame(2, ChannelClose(404, "NOT_FOUND - q2 gone", 60, 20)),
                MethodFrame(0, ConnectionClose(320, "CONNECTION_FORCED - bye", 0, 0)),
            ),
        ),
    ]


SESSION = _session()


def _play(split: Callable[[bytes], Iterator[bytes]]) -> tuple[list[list[Event]], list[bytes]]:
    """Play the session, feeding each step's bytes in the pieces ``split`` cuts.

    Returns:
        The events of each step, and every chunk of bytes the client sent.
    """
    connection = Connection(auth=ChallengeResponse(), heartbeat=0, frame_max=4096)
    events: list[list[Event]] = []
    sent: list[bytes] = []
    for step in SESSION:
        step.action(connection)
        sent.append(connection.data_to_send())
        step_events: list[Event] = []
        for piece in split(step.data):
            step_events += connection.receive_data(piece)
            sent.append(connection.data_to_send())
        events.append(step_events)
    return events, [b"".join(sent)]


def _run(split: Callable[[bytes], Iterator[bytes]]) -> tuple[list[object], list[bytes]]:
    events, sent = _play(split)
    return [comparable(step_events) for step_events in events], sent


def _whole(data: bytes) -> Iterator[bytes]:
    yield data


def _bytewise(data: bytes) -> Iterator[bytes]:
    for i in range(len(data)):
        yield data[i : i + 1]


def test_the_session_itself() -> None:
    """The recorded session does what it should when fed whole."""
    events, _ = _play(_whole)
    handshake, setup, publish = events
    assert [type(e).__name__ for e in handshake] == ["ConnectionOpened"]
    assert [type(e).__name__ for e in setup] == [
        "ReplyReceived",  # channel.open-ok 1
        "ChannelOpened",
        "ReplyReceived",  # channel.open-ok 2
        "ChannelOpened",
        "ReplyReceived",  # qos-ok
        "ReplyReceived",  # consume-ok c2
        "ReplyReceived",  # declare-ok
        "ReplyReceived",  # get-ok
        "ReplyReceived",  # consume-ok c1
        "ReplyReceived",  # get-empty
        "ReplyReceived",  # confirm.select-ok
        "MessageDelivered",  # the big body's last frame comes just before the small one's
        "MessageDelivered",
    ]
    delivered = [e for e in setup if isinstance(e, MessageDelivered)]
    assert [(e.channel_id, e.body) for e in delivered] == [(1, BIG), (2, b"small")]
    assert delivered[0].properties == PROPS
    assert publish[:3] == [
        PublishConfirmed(channel_id=1, delivery_tags=(1,)),
        MessageReturned(
            channel_id=1,
            method=BasicReturn(312, "NO_ROUTE", "ex", "nowhere"),
            properties=BasicProperties(),
            body=b"payload-nowhere",
            delivery_tag=3,
        ),
        PublishConfirmed(channel_id=1, delivery_tags=(2, 3)),
    ]
    assert publish[3] == PublishNacked(channel_id=1, delivery_tags=(4,))
    names = [type(e).__name__ for e in publish[4:]]
    assert names == [
        "ConnectionBlocked",
        "ChannelFlowChanged",
        "ConnectionUnblocked",
        "ConsumerCancelled",
        "MessageDelivered",
        "ChannelClosed",
        "ChannelClosed",  # channel 1, closed with the connection
        "ConnectionClosed",
    ]
    channel_closed, closed_with_connection, connection_closed = publish[-3:]
    assert isinstance(closed_with_connection, ChannelClosed) and closed_with_connection.channel_id == 1
    assert isinstance(connection_closed, ConnectionClosed)
    assert closed_with_connection.error is connection_closed.error
    assert isinstance(channel_closed, ChannelClosed) and isinstance(channel_closed.error, NotFound)
    assert isinstance(connection_closed, ConnectionClosed) and isinstance(
        connection_closed.error, ConnectionForced
    )


def test_one_byte_at_a_time_gives_the_same_events_and_replies() -> None:
    whole = _run(_whole)
    assert _run(_bytewise) == whole
    # The comparison sees what matters: the session is long, and its events many.
    events, sent = _play(_whole)
    assert len(sent[0]) > 500
    assert [len(step) for step in events] == [1, 13, 12]


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=20_000), max_size=40))
def test_any_chunking_gives_the_same_events(cuts: list[int]) -> None:
    def split(data: bytes) -> Iterator[bytes]:
        points = sorted({0, len(data), *(cut % (len(data) + 1) for cut in cuts)})
        for start_at, end_at in itertools.pairwise(points):
            yield data[start_at:end_at]

    assert _run(split) == _run(_whole)


def test_comparable_tells_errors_and_requests_apart() -> None:
    one = ChannelClosed(channel_id=1, reply_code=404, reply_text="x", by_peer=True, error=NotFound("x"))
    same = ChannelClosed(channel_id=1, reply_code=404, reply_text="x", by_peer=True, error=NotFound("x"))
    other = ChannelClosed(channel_id=1, reply_code=404, reply_text="x", by_peer=True, error=NotFound("y"))
    assert one != same  # exceptions compare by identity ...
    assert comparable([one]) == comparable([same])  # ... so they are compared by value
    assert comparable([one]) != comparable([other])
    assert event_types([one]) == ["ChannelClosed"]
