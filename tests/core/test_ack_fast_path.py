"""The confirms' hot path (``Channel.receive_acks``) and the general path agree.

A run of ``basic.ack`` frames that arrives in one ``receive_data`` takes the
fast path; fed one frame at a time, the same bytes take the general,
frame-by-frame path (a lone ack too: the fast path handles it the same way,
so the general path is also checked with the twin taken away).  Both must
give the same events, leave the same publishes unconfirmed, and raise the
same errors.
"""

from __future__ import annotations

import pytest

import amqproto.channel
from amqproto.channel import Channel
from amqproto.connection import Connection
from amqproto.exceptions import CommandInvalid
from amqproto.schema.methods import BasicAck, BasicDeliver, BasicNack, BasicReturn, ConfirmSelectOk
from amqproto.wire import Frame, MethodFrame

from .helpers import (
    FakeBroker,
    comparable,
    content_frames,
    encode,
    open_channel,
    open_connection,
    receive,
    spy_seam,
)


def confirming(publishes: int, channels: int = 1) -> tuple[Connection, FakeBroker, list[Channel]]:
    """An open connection with ``channels`` channels in confirm mode, ``publishes`` made on each."""
    connection, broker = open_connection()
    opened = []
    for _ in range(channels):
        channel = open_channel(connection, broker)
        channel.confirm_select()
        broker.sent()
        broker.send_method(channel.id, ConfirmSelectOk())
        for _ in range(publishes):
            channel.basic_publish(b"p", "", "q", mandatory=True)
        broker.sent()
        opened.append(channel)
    return connection, broker, opened


def run(
    frames: list[Frame], *, whole: bool, publishes: int = 10, channels: int = 1
) -> tuple[list[tuple[str, dict[str, object]]], list[tuple[int, ...]]]:
    connection, _, opened = confirming(publishes, channels)
    events = receive(connection, frames, whole=whole)
    return comparable(events), [channel.unconfirmed for channel in opened]


def both_paths(
    frames: list[Frame], monkeypatch: pytest.MonkeyPatch, **kwargs: int
) -> tuple[list[tuple[str, dict[str, object]]], list[tuple[int, ...]]]:
    """The outcome of ``frames`` at once, checked equal to frame by frame and to no fast path at all."""
    fast = run(frames, whole=True, **kwargs)
    assert fast == run(frames, whole=False, **kwargs)
    with monkeypatch.context() as patch:
        patch.setattr(amqproto.channel, "_PublishConfirmedTwin", None)
        assert fast == run(frames, whole=True, **kwargs)
    return fast


def test_a_run_of_acks_single_and_multiple(monkeypatch: pytest.MonkeyPatch) -> None:
    frames: list[Frame] = [
        MethodFrame(1, BasicAck(2, True)),
        MethodFrame(1, BasicAck(4, False)),  # out of order: 3 stays
        MethodFrame(1, BasicAck(4, False)),  # settles nothing: no event
        MethodFrame(1, BasicAck(6, True)),
        MethodFrame(1, BasicAck(99, False)),  # unknown
        MethodFrame(1, BasicAck(8, True)),
    ]
    events, unconfirmed = both_paths(frames, monkeypatch)
    assert [fields["delivery_tags"] for _, fields in events] == [(1, 2), (4,), (3, 5, 6), (7, 8)]
    assert unconfirmed == [(9, 10)]


def test_acks_with_nacks_deliveries_and_two_channels(monkeypatch: pytest.MonkeyPatch) -> None:
    frames: list[Frame] = [
        MethodFrame(1, BasicAck(1, False)),
        MethodFrame(2, BasicAck(3, True)),  # another channel: the run on 1 ends
        MethodFrame(2, BasicNack(4, False, False)),
        MethodFrame(2, BasicAck(6, True)),
        MethodFrame(1, BasicAck(3, True)),
        *content_frames(1, BasicDeliver("c", 1, False, "", "q"), b"d"),
        MethodFrame(1, BasicAck(0, True)),  # zero with multiple: all outstanding
    ]
    events, unconfirmed = both_paths(frames, monkeypatch, publishes=6, channels=2)
    assert [name for name, _ in events] == [
        "PublishConfirmed",
        "PublishConfirmed",
        "PublishNacked",
        "PublishConfirmed",
        "PublishConfirmed",
        "MessageDelivered",
        "PublishConfirmed",
    ]
    assert unconfirmed == [(), ()]


def test_a_held_return_is_released_by_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    frames: list[Frame] = [
        MethodFrame(1, BasicAck(1, True)),
        *content_frames(1, BasicReturn(312, "NO_ROUTE", "", "q"), b"p"),
        MethodFrame(1, BasicAck(3, True)),  # releases the return, naming publish 3
        MethodFrame(1, BasicAck(4, True)),
    ]
    events, unconfirmed = both_paths(frames, monkeypatch)
    assert [name for name, _ in events] == [
        "PublishConfirmed",
        "MessageReturned",
        "PublishConfirmed",
        "PublishConfirmed",
    ]
    assert events[1][1]["delivery_tag"] == 3
    assert unconfirmed == [tuple(range(5, 11))]


def test_an_ack_outside_confirm_mode_is_refused_on_both_paths() -> None:
    for whole in (True, False):
        connection, broker = open_connection()
        channel = open_channel(connection, broker)
        frames = [MethodFrame(channel.id, BasicAck(1, False)), MethodFrame(channel.id, BasicAck(2, False))]
        chunks = [encode(frames)] if whole else [encode([frame]) for frame in frames]
        with pytest.raises(CommandInvalid, match="not in confirm mode"):
            connection.receive_data(chunks[0])


def test_the_fast_path_takes_the_run_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    frames: list[Frame] = [MethodFrame(1, BasicAck(tag, True)) for tag in (2, 4, 6)]
    calls = spy_seam(monkeypatch, "receive_acks")
    fast = run(frames, whole=True)
    assert calls == [(0, 3)]
    calls.clear()
    monkeypatch.setattr(amqproto.channel, "_PublishConfirmedTwin", None)
    slow = run(frames, whole=True)
    assert calls == [(0, 0), (1, 1), (2, 2)]  # offered each ack, handled none
    assert fast == slow
