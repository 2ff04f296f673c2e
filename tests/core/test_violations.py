"""Protocol violations by the broker: close queued with the right code, then the error."""

from __future__ import annotations

import pytest

from amqproto import BasicProperties, Connection, ConnectionState
from amqproto.events import ChannelClosed, ConnectionClosed
from amqproto.exceptions import (
    AMQPSyntaxError,
    ChannelError,
    CommandInvalid,
    FrameError,
    HardError,
    UnexpectedFrame,
)
from amqproto.schema import (
    BasicDeliver,
    ChannelOpenOk,
    ConnectionClose,
    ConnectionCloseOk,
    ConnectionOpenOk,
    ConnectionStart,
    ConnectionTune,
    QueueDeclareOk,
)
from amqproto.wire import ContentHeaderFrame, HeartbeatFrame, MethodFrame, ProtocolHeaderFrame

from .helpers import FakeBroker, content_frames, encode, open_channel, open_connection, start, state


def _close_sent(broker: FakeBroker, error: HardError) -> ConnectionClose:
    """The connection.close the client queued for ``error``."""
    close = broker.expect_one(0, ConnectionClose)
    assert close.reply_code == error.reply_code
    assert close.reply_text == error.reply_text
    assert (close.class_id, close.method_id) == (error.class_id, error.method_id)
    return close


def _finish(broker: FakeBroker, error: HardError) -> None:
    """The broker's close-ok yields ConnectionClosed carrying the error."""
    assert state(broker.connection) is ConnectionState.CLOSING
    # Rule 2: anything but close/close-ok is discarded meanwhile.
    assert broker.send(MethodFrame(1, QueueDeclareOk("q", 0, 0)), HeartbeatFrame()) == []
    *channels_closed, closed = broker.send(MethodFrame(0, ConnectionCloseOk()))
    assert all(isinstance(event, ChannelClosed) and event.error is error for event in channels_closed)
    assert isinstance(closed, ConnectionClosed)
    assert closed.error is error
    assert not closed.by_peer
    assert (closed.reply_code, closed.reply_text) == (error.reply_code, error.reply_text)
    assert state(broker.connection) is ConnectionState.CLOSED
    assert broker.sent() == []


def test_frame_on_an_unopened_channel() -> None:
    _, broker = open_connection()
    with pytest.raises(ChannelError, match="MethodFrame on channel 5, which is not open") as info:
        broker.send(MethodFrame(5, ChannelOpenOk()))
    assert info.value.reply_code == 504
    _close_sent(broker, info.value)
    _finish(broker, info.value)


def test_content_frame_on_an_unopened_channel() -> None:
    _, broker = open_connection()
    with pytest.raises(ChannelError, match="ContentHeaderFrame on channel 3, which is not open") as info:
        broker.send(ContentHeaderFrame(3, 1, BasicProperties()))
    _close_sent(broker, info.value)
    _finish(broker, info.value)


def test_unexpected_method_on_a_channel() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    with pytest.raises(
        CommandInvalid, match=r"channel\.open-ok is not allowed when channel 1 is open"
    ) as info:
        broker.send(MethodFrame(1, ChannelOpenOk()))
    close = _close_sent(broker, info.value)
    assert (close.reply_code, close.class_id, close.method_id) == (503, 20, 11)
    _finish(broker, info.value)


def test_channel_method_on_channel_0() -> None:
    _, broker = open_connection()
    with pytest.raises(CommandInvalid, match=r"basic\.deliver on channel 0") as info:
        broker.send(MethodFrame(0, BasicDeliver()))
    assert _close_sent(broker, info.value).reply_code == 503
    _finish(broker, info.value)


def test_start_when_open() -> None:
    _, broker = open_connection()
    with pytest.raises(
        CommandInvalid, match=r"connection\.start is not allowed when the connection is open"
    ) as info:
        broker.send(MethodFrame(0, ConnectionStart()))
    _close_sent(broker, info.value)
    _finish(broker, info.value)


def test_heartbeat_before_tune_is_unexpected() -> None:
    connection = Connection()
    broker = FakeBroker(connection)
    broker.send(MethodFrame(0, start()))
    broker.sent()
    with pytest.raises(
        UnexpectedFrame, match="heartbeat is not allowed when the connection is awaiting tune"
    ) as info:
        broker.send(HeartbeatFrame())
    assert _close_sent(broker, info.value).reply_code == 505
    # A tune already on its way is discarded (Rule 2).
    assert broker.send(MethodFrame(0, ConnectionTune(0, 0, 0))) == []
    assert broker.sent() == []
    _finish(broker, info.value)


def test_channel_frame_during_handshake() -> None:
    connection = Connection()
    broker = FakeBroker(connection)
    broker.send(MethodFrame(0, start()))
    broker.send(MethodFrame(0, ConnectionTune(0, 0, 0)))
    broker.sent()
    with pytest.raises(
        UnexpectedFrame, match="frame on channel 1 when the connection is awaiting open-ok"
    ) as info:
        broker.send(MethodFrame(1, ChannelOpenOk()))
    _close_sent(broker, info.value)
    assert broker.send(MethodFrame(0, ConnectionOpenOk())) == []  # discarded
    _finish(broker, info.value)


@pytest.mark.parametrize(
    ("garbage", "error_type", "code"),
    [
        (b"\x09\x00\x00\x00\x00\x00\x00\xce", FrameError, 501),  # unknown frame type 9
        (b"\x01\x00\x00\x00\x00\x00\x04\x00\x0a\x00\x29\x00", FrameError, 501),  # bad frame-end
        (b"\x01\x00\x00\x00\x00\x00\x02\x00\x0a\xce", AMQPSyntaxError, 502),  # truncated method
        (b"\x01\x00\x00\x00\x00\x00\x04\x00\x63\x00\x01\xce", CommandInvalid, 503),  # no such method
        (b"\x08\x00\x01\x00\x00\x00\x00\xce", FrameError, 501),  # heartbeat off channel 0
        (b"\x01\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00", FrameError, 501),  # larger than frame_max
        (b"HTTP/1.1 400 Bad Request\r\n\r\n", FrameError, 501),
    ],
)
def test_garbage_bytes(garbage: bytes, error_type: type[HardError], code: int) -> None:
    connection, broker = open_connection(frame_max=4096, tune=ConnectionTune(0, 4096, 0))
    with pytest.raises(error_type) as info:
        connection.receive_data(garbage)
    assert info.value.reply_code == code
    assert state(connection) is ConnectionState.CLOSING
    _close_sent(broker, info.value)
    # The stream is lost: what follows cannot be trusted, and the same error stands.
    with pytest.raises(error_type):
        connection.receive_data(encode([MethodFrame(0, ConnectionCloseOk())]))
    assert broker.sent() == []
    (closed,) = connection.receive_data(b"")
    assert isinstance(closed, ConnectionClosed)
    assert closed.error is info.value
    assert state(connection) is ConnectionState.CLOSED


def test_frames_before_garbage_are_processed() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.queue_declare("q")
    broker.sent()
    data = encode([MethodFrame(1, QueueDeclareOk("q", 1, 2))]) + b"\x09\x00\x00\x00\x00\x00\x00\xce"
    with pytest.raises(FrameError) as info:
        connection.receive_data(data)
    assert [type(event).__name__ for event in info.value.events] == ["ReplyReceived"]
    _close_sent(broker, info.value)


def test_broker_close_while_we_are_closing_after_a_violation() -> None:
    _, broker = open_connection()
    with pytest.raises(ChannelError) as info:
        broker.send(MethodFrame(9, ChannelOpenOk()))
    broker.sent()
    (closed,) = broker.send(MethodFrame(0, ConnectionClose(541, "INTERNAL_ERROR", 0, 0)))
    broker.expect((0, ConnectionCloseOk()))
    assert isinstance(closed, ConnectionClosed)
    assert closed.by_peer and closed.reply_code == 541
    assert info.value is not closed.error


def test_protocol_header_after_the_handshake_is_a_frame_error() -> None:
    """Only a broker refusing our version sends a header, and only first."""
    connection, broker = open_connection()
    with pytest.raises(FrameError, match="protocol header when the connection is open") as info:
        connection.receive_data(encode([ProtocolHeaderFrame(1, 0, 0)]))
    assert _close_sent(broker, info.value).reply_code == 501
    _finish(broker, info.value)


def test_content_on_channel_0_discarded_while_closing() -> None:
    """Rule 2: the header and body of a method refused on channel 0 do not raise again."""
    connection, broker = open_connection()
    frames = content_frames(0, BasicDeliver(), b"body")
    with pytest.raises(CommandInvalid, match=r"basic\.deliver on channel 0") as info:
        broker.send(frames[0])
    _close_sent(broker, info.value)
    assert broker.send(*frames[1:]) == []
    assert connection.receive_data(encode([ProtocolHeaderFrame(0, 8, 0)])) == []
    _finish(broker, info.value)
