"""The consuming hot path (``Channel.receive_deliveries``) and the general path agree.

A delivery whose method, header and body frames arrive in one
``receive_data`` takes the fused path; fed one frame at a time, the same
bytes take the general, frame-by-frame path.  Both must give the same
events, and the same errors.
"""

from __future__ import annotations

import pytest

import amqproto.wire.frames
from amqproto.events import Event
from amqproto.exceptions import ResourceError, UnexpectedFrame
from amqproto.schema.methods import BasicAck, BasicDeliver, ChannelCloseOk, ConfirmSelectOk
from amqproto.schema.properties import BasicProperties
from amqproto.wire import ContentBodyFrame, ContentHeaderFrame, Frame, MethodFrame

from .helpers import comparable, content_frames, encode, open_channel, open_connection, receive, spy_seam


def deliveries(channel: int) -> list[Frame]:
    frames: list[Frame] = []
    frames += content_frames(channel, BasicDeliver("c", 1, False, "ex", "rk"), b"one")
    frames += content_frames(channel, BasicDeliver("c", 2, True, "", "q"), b"", BasicProperties(priority=1))
    frames += content_frames(channel, BasicDeliver("c", 3, False, "", "q"), b"x" * 10000, chunk=4000)
    frames += content_frames(
        channel, BasicDeliver("c", 4, False, "", "q"), b"four", BasicProperties(type="t")
    )
    return frames


def run(
    frames: list[Frame], *, whole: bool, max_message_size: int = 1 << 20
) -> list[tuple[str, dict[str, object]]]:
    connection, broker = open_connection(max_message_size=max_message_size)
    channel = open_channel(connection, broker)
    events = receive(connection, frames, whole=whole)
    assert channel.is_open
    return comparable(events)


def test_same_events_whole_or_frame_by_frame() -> None:
    whole = run(deliveries(1), whole=True)
    assert [name for name, _ in whole] == ["MessageDelivered"] * 4
    assert whole == run(deliveries(1), whole=False)


def test_runs_of_deliveries_on_two_channels_interleaved_with_other_frames() -> None:
    def frames() -> list[Frame]:
        out: list[Frame] = []
        for tag in range(1, 4):
            out += content_frames(1, BasicDeliver("a", tag, False, "", "q"), b"a%d" % tag)
        for tag in range(1, 3):
            out += content_frames(2, BasicDeliver("b", tag, False, "", "q"), b"b%d" % tag)
        out += content_frames(1, BasicDeliver("a", 4, False, "", "q"), b"a4")
        out.append(MethodFrame(2, BasicAck(1, False)))  # breaks the run: not a delivery
        out += content_frames(2, BasicDeliver("b", 3, False, "", "q"), b"x" * 10, chunk=4)  # split body
        out += content_frames(2, BasicDeliver("b", 4, False, "", "q"), b"b4")
        out += content_frames(1, BasicDeliver("a", 5, False, "", "q"), b"a5")
        return out

    results = []
    for at_once in (True, False):
        connection, broker = open_connection()
        open_channel(connection, broker)
        second = open_channel(connection, broker)
        second.confirm_select()
        broker.sent()
        broker.send_method(second.id, ConfirmSelectOk())
        second.basic_publish(b"p", "", "q")
        events: list[Event] = []
        if at_once:
            events += connection.receive_data(encode(frames()))
        else:
            for frame in frames():
                events += connection.receive_data(encode([frame]))
        results.append(comparable(events))
    together, one_by_one = results
    names = [name for name, _ in together]
    assert names == ["MessageDelivered"] * 6 + ["PublishConfirmed"] + ["MessageDelivered"] * 3
    assert together == one_by_one


def test_a_message_over_max_message_size_is_refused_on_both_paths() -> None:
    frames = content_frames(1, BasicDeliver("c", 1, False, "", "q"), b"x" * 100)
    for whole in (True, False):
        with pytest.raises(ResourceError, match="exceeds max_message_size"):
            run(frames, whole=whole, max_message_size=50)


def test_a_body_longer_than_announced_is_refused_on_both_paths() -> None:
    frames: list[Frame] = [
        MethodFrame(1, BasicDeliver("c", 1, False, "", "q")),
        ContentHeaderFrame(1, 2, BasicProperties()),
        ContentBodyFrame(1, b"xyz"),
    ]
    for whole in (True, False):
        with pytest.raises(UnexpectedFrame, match="announced 2"):
            run(frames, whole=whole)


def test_a_delivery_while_closing_is_discarded_on_both_paths() -> None:
    for whole in (True, False):
        connection, broker = open_connection()
        channel = open_channel(connection, broker)
        channel.close()
        broker.sent()
        frames = content_frames(channel.id, BasicDeliver("c", 1, False, "", "q"), b"late")
        data = [encode(frames)] if whole else [encode([frame]) for frame in frames]
        events = [event for chunk in data for event in connection.receive_data(chunk)]
        assert events == []
        events = broker.send_method(channel.id, ChannelCloseOk())
        assert [type(event).__name__ for event in events] == ["ReplyReceived", "ChannelClosed"]


def test_the_fast_path_takes_the_runs_and_gives_way_to_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """The seam: a run of whole deliveries costs one call; as frames, the general path takes them."""
    frames = deliveries(1)[:3] + deliveries(1)[10:]  # the first and the last: plain, back to back
    # Room for the header decoders of these flags, whatever ran before: the
    # decoder fuses a delivery only with a compiled one, which the frame by
    # frame run compiles.
    monkeypatch.setattr(amqproto.wire.frames, "_HEADER_DECODERS", {})
    by_frame = run(frames, whole=False)
    calls = spy_seam(monkeypatch, "receive_deliveries")
    fast = run(frames, whole=True)
    assert calls == [(0, 2)]  # each delivery decoded as one event
    calls.clear()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(amqproto.wire.frames, "slots_twin", lambda cls: None)  # no twin: the three frames
        no_twin = run(frames, whole=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(amqproto.wire.frames, "_FUSE_DELIVERIES", False)  # trick 11 off: the three frames
        unfused = run(frames, whole=True)
    assert calls == []
    assert fast == no_twin == unfused == by_frame
    assert [name for name, _ in fast] == ["MessageDelivered"] * 2


def test_a_whole_delivery_the_channel_does_not_take_goes_as_its_frames() -> None:
    """Not taken by the fast path (content is expected): refused as the frames are, one by one."""
    frames = content_frames(1, BasicDeliver("c", 1, False, "", "q"), b"one")
    results = []
    for whole in (True, False):
        connection, broker = open_connection()
        channel = open_channel(connection, broker)
        connection.receive_data(encode([MethodFrame(channel.id, BasicDeliver("c", 0, False, "", "q"))]))
        data = encode(frames) if whole else encode(frames[:1])
        with pytest.raises(UnexpectedFrame, match=r"content of basic\.deliver was expected") as caught:
            connection.receive_data(data)
        results.append((str(caught.value), comparable(caught.value.events)))
    assert results[0] == results[1]
