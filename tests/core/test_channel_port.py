"""A channel knows its connection only through its :class:`~amqproto.channel.ChannelPort`.

So a channel runs on a port of the test's own, with no connection at all,
and tells whoever owns it that it closed with the
:class:`~amqproto.events.ChannelClosed` it produces.
"""

from __future__ import annotations

import pytest

from amqproto import BasicProperties, Channel, ChannelState
from amqproto._state import ConnectionInput, ConnectionState, ConnectionStateMachine
from amqproto.channel import ChannelPort
from amqproto.connection import _ChannelPort
from amqproto.events import ChannelClosed, ChannelOpened, Event, MessageDelivered, ReplyReceived
from amqproto.exceptions import AMQPError, ConnectionClosedError, NotFound, ResourceError
from amqproto.schema import (
    BasicDeliver,
    BasicPublish,
    ChannelClose,
    ChannelCloseOk,
    ChannelOpen,
    ChannelOpenOk,
    QueueDeclare,
    QueueDeclareOk,
)
from amqproto.wire import ContentBodyFrame, ContentHeaderFrame, Frame, FrameDecoder, MethodFrame

from .helpers import open_channel, open_connection


class Port:
    """A port of the test's own: no connection behind it."""

    def __init__(self) -> None:
        self.output: list[bytes | bytearray | memoryview] = []
        self.frame_max = 4096
        self.max_message_size = 10
        self.open = True

    def check_can_send(self) -> None:
        if not self.open:
            raise ConnectionClosedError("the test's connection is shut")

    def sent(self) -> list[object]:
        data = b"".join(self.output)
        self.output.clear()
        return [getattr(frame, "method", frame) for frame in FrameDecoder(4096).feed(data)]


def test_a_channel_runs_on_a_port_without_a_connection() -> None:
    port = Port()
    port_type: ChannelPort = port  # the Protocol is all a channel asks for
    channel = Channel(port_type, 7)
    assert port.sent() == [ChannelOpen()]
    events: list[Event] = []
    channel.receive_frame(MethodFrame(7, ChannelOpenOk()), events)
    assert type(events[-1]) is ChannelOpened and channel.state is ChannelState.OPEN

    request = channel.queue_declare("q")
    assert port.sent() == [QueueDeclare(0, "q", False, False, False, False, False, {})]
    channel.receive_frame(MethodFrame(7, QueueDeclareOk("q", 0, 0)), events)
    assert isinstance(events[-1], ReplyReceived) and events[-1].request is request

    channel.basic_publish(b"x" * 5000, routing_key="q", properties=BasicProperties())
    sent = port.sent()
    assert sent[0] == BasicPublish(0, "", "q", False, False)
    # frame_max comes from the port: 5000 bytes take two body frames of at most 4088.
    assert [len(frame.payload) for frame in sent[2:] if isinstance(frame, ContentBodyFrame)] == [4088, 912]

    # max_message_size comes from the port too.
    channel.receive_frame(MethodFrame(7, BasicDeliver("c", 1, False, "", "q")), events)
    with pytest.raises(ResourceError, match="max_message_size 10"):
        channel.receive_frame(ContentHeaderFrame(7, 11, BasicProperties()), events)


def test_the_port_says_whether_anything_may_go_out() -> None:
    port = Port()
    channel = Channel(port, 1)
    channel.receive_frame(MethodFrame(1, ChannelOpenOk()), [])
    port.sent()
    port.open = False
    with pytest.raises(ConnectionClosedError, match="shut"):
        channel.basic_publish(b"m")
    with pytest.raises(ConnectionClosedError, match="shut"):
        channel.queue_declare("q")
    assert port.sent() == []


def test_a_closing_channel_says_so_with_its_last_event() -> None:
    port = Port()
    channel = Channel(port, 1)
    events: list[Event] = []
    channel.receive_frame(MethodFrame(1, ChannelOpenOk()), events)
    channel.receive_frame(MethodFrame(1, ChannelClose(404, "NOT_FOUND", 50, 10)), events)
    closed = events[-1]
    assert isinstance(closed, ChannelClosed) and isinstance(closed.error, NotFound)
    assert channel.state is ChannelState.CLOSED
    assert port.sent()[-1] == ChannelCloseOk()


def test_the_connection_forgets_a_channel_when_it_sees_its_channel_closed() -> None:
    connection, broker = open_connection()
    first = open_channel(connection, broker)
    second = open_channel(connection, broker)
    frames: list[Frame] = [
        MethodFrame(first.id, ChannelClose(404, "NOT_FOUND", 50, 10)),
        MethodFrame(second.id, BasicDeliver("c", 1, False, "", "q")),
        ContentHeaderFrame(second.id, 1, BasicProperties()),
        ContentBodyFrame(second.id, b"m"),
    ]
    events = broker.send(*frames)
    assert [type(event) for event in events] == [ChannelClosed, MessageDelivered]
    assert list(connection.channels) == [second.id]
    # The id is free again.
    assert connection.open_channel().id == first.id


@pytest.mark.parametrize("state", list(ConnectionState))
def test_the_connections_port_lets_a_frame_out_as_its_state_table_says(state: ConnectionState) -> None:
    """``check_can_send`` returns at once when the connection is open (every publish
    asks it); in every state it agrees with feeding the table ``SEND_CHANNEL_FRAME``."""
    general = ConnectionStateMachine(state)
    try:
        general.process(ConnectionInput.SEND_CHANNEL_FRAME)
    except AMQPError as exc:
        expected: object = type(exc)
    else:
        expected = None
    fast = ConnectionStateMachine(state)
    try:
        _ChannelPort(fast, 0).check_can_send()
    except AMQPError as exc:
        got: object = type(exc)
    else:
        got = None
    assert (got, fast.state) == (expected, general.state)
