"""Channels: allocation, open and close from either side, flow, request queueing."""

from __future__ import annotations

import pytest

from amqproto import ChannelState, ConnectionState
from amqproto.events import (
    ChannelClosed,
    ChannelFlowChanged,
    ChannelOpened,
    ConnectionClosed,
    ReplyReceived,
)
from amqproto.exceptions import (
    AccessRefused,
    ChannelClosedError,
    ConnectionClosedError,
    ConnectionForced,
    ContentTooLarge,
    EncodeError,
    LocalProtocolError,
    NotFound,
    PreconditionFailed,
    ResourceLocked,
    SoftError,
)
from amqproto.schema import (
    ChannelClose,
    ChannelCloseOk,
    ChannelFlow,
    ChannelFlowOk,
    ChannelOpen,
    ChannelOpenOk,
    ConnectionClose,
    ConnectionCloseOk,
    ExchangeDeclare,
    ExchangeDeclareOk,
    QueueBind,
    QueueBindOk,
    QueueDeclare,
    QueueDeclareOk,
    QueueDelete,
    QueueDeleteOk,
    QueuePurgeOk,
)
from amqproto.schema.methods import QueuePurge
from amqproto.schema.properties import BasicProperties

from .helpers import event_types, open_channel, open_connection, state

# -- allocation ------------------------------------------------------------------


def test_open_channel_sends_open_and_reports_opened() -> None:
    connection, broker = open_connection()
    channel = connection.open_channel()
    assert channel.id == 1
    assert state(channel) is ChannelState.OPENING
    assert not channel.is_open
    broker.expect((1, ChannelOpen()))
    events = broker.send_method(1, ChannelOpenOk())
    assert len(events) == 2
    reply, opened = events
    assert isinstance(reply, ReplyReceived)
    assert reply.request is channel.open_request
    assert reply.reply == ChannelOpenOk()
    assert opened == ChannelOpened(channel_id=1)
    assert state(channel) is ChannelState.OPEN
    assert connection.channels == {1: channel}


def test_channel_ids_are_allocated_lowest_first_and_reused() -> None:
    connection, broker = open_connection()
    channels = [open_channel(connection, broker) for _ in range(3)]
    assert [channel.id for channel in channels] == [1, 2, 3]
    channels[1].close()
    broker.expect((2, ChannelClose(200, "", 0, 0)))
    # Not free until close-ok.
    assert connection.open_channel().id == 4
    broker.sent()
    broker.send_method(2, ChannelCloseOk())
    assert 2 not in connection.channels
    assert connection.open_channel().id == 2


def test_explicit_channel_id() -> None:
    connection, broker = open_connection()
    assert connection.open_channel(7).id == 7
    broker.expect((7, ChannelOpen()))
    with pytest.raises(LocalProtocolError, match="channel 7 is already open"):
        connection.open_channel(7)
    with pytest.raises(LocalProtocolError, match=r"channel id 0 is outside 1\.\.2047"):
        connection.open_channel(0)


def test_channel_max_is_enforced() -> None:
    connection, broker = open_connection(channel_max=3)
    assert connection.channel_max == 3
    for _ in range(3):
        open_channel(connection, broker)
    with pytest.raises(LocalProtocolError, match="all 3 channels are in use"):
        connection.open_channel()
    with pytest.raises(LocalProtocolError, match=r"channel id 4 is outside 1\.\.3"):
        connection.open_channel(4)
    assert broker.sent() == []


def test_channel_max_offered_by_broker_is_enforced() -> None:
    from amqproto.schema import ConnectionTune

    connection, broker = open_connection(tune=ConnectionTune(2, 131072, 0))
    open_channel(connection, broker)
    open_channel(connection, broker)
    with pytest.raises(LocalProtocolError, match="all 2 channels are in use"):
        connection.open_channel()


# -- closing -------------------------------------------------------------------


def test_client_closes_channel() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    request = channel.close(200, "bye")
    assert state(channel) is ChannelState.CLOSING
    broker.expect((1, ChannelClose(200, "bye", 0, 0)))
    assert channel.close() is request  # closing twice returns the same request
    assert broker.sent() == []
    events = broker.send_method(1, ChannelCloseOk())
    assert len(events) == 2
    reply, closed = events
    assert isinstance(reply, ReplyReceived) and reply.request is request
    assert isinstance(closed, ChannelClosed)
    assert (closed.channel_id, closed.reply_code, closed.reply_text, closed.by_peer) == (1, 200, "bye", False)
    assert isinstance(closed.error, ChannelClosedError)
    assert state(channel) is ChannelState.CLOSED
    assert connection.channels == {}


@pytest.mark.parametrize(
    ("code", "error_type"),
    [
        (311, ContentTooLarge),
        (403, AccessRefused),
        (404, NotFound),
        (405, ResourceLocked),
        (406, PreconditionFailed),
    ],
)
def test_broker_closes_channel_with_typed_error(code: int, error_type: type[SoftError]) -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    request = channel.queue_declare("q", passive=True)
    broker.sent()
    events = broker.send_method(1, ChannelClose(code, "NOT_FOUND - no queue 'q'", 50, 10))
    broker.expect((1, ChannelCloseOk()))
    assert len(events) == 1
    closed = events[0]
    assert isinstance(closed, ChannelClosed)
    assert (closed.channel_id, closed.reply_code, closed.reply_text) == (1, code, "NOT_FOUND - no queue 'q'")
    assert (closed.class_id, closed.method_id, closed.by_peer) == (50, 10, True)
    assert type(closed.error) is error_type
    assert isinstance(closed.error, SoftError)
    assert closed.error.reply_code == code
    assert (closed.error.class_id, closed.error.method_id, closed.error.by_peer) == (50, 10, True)
    assert state(channel) is ChannelState.CLOSED
    assert 1 not in connection.channels
    assert request.channel_id == 1
    # The connection lives on; the id can be reused.
    assert state(connection) is ConnectionState.OPEN
    assert open_channel(connection, broker).id == 1


def test_unknown_soft_reply_code_keeps_its_code() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    closed = broker.send_method(1, ChannelClose(399, "odd", 0, 0))[0]
    assert isinstance(closed, ChannelClosed)
    assert isinstance(closed.error, SoftError)
    assert closed.error.reply_code == 399


def test_broker_closes_channel_while_opening() -> None:
    connection, broker = open_connection()
    channel = connection.open_channel()
    broker.sent()
    events = broker.send_method(1, ChannelClose(530, "NOT_ALLOWED", 20, 10))
    broker.expect((1, ChannelCloseOk()))
    assert event_types(events) == ["ChannelClosed"]
    assert state(channel) is ChannelState.CLOSED


def test_close_while_opening_discards_open_ok() -> None:
    connection, broker = open_connection()
    channel = connection.open_channel()
    channel.close()
    broker.expect((1, ChannelOpen()), (1, ChannelClose(200, "", 0, 0)))
    assert broker.send_method(1, ChannelOpenOk()) == []
    assert event_types(broker.send_method(1, ChannelCloseOk())) == ["ReplyReceived", "ChannelClosed"]


def test_close_with_a_request_in_flight_discards_its_reply() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.queue_declare("a")
    channel.queue_declare("b")  # queued: dropped by the close
    channel.close()
    broker.expect((1, QueueDeclare(queue="a")), (1, ChannelClose(200, "", 0, 0)))
    assert broker.send_method(1, QueueDeclareOk("a", 0, 0)) == []  # Rule 2
    events = broker.send_method(1, ChannelCloseOk())
    assert event_types(events) == ["ReplyReceived", "ChannelClosed"]
    assert broker.sent() == []  # "b" never went out


def test_close_crossing_a_broker_close() -> None:
    """Both sides close at once: each answers the other's close with close-ok.

    The spec (channel.close): "The response to receiving a Close after
    sending Close must be to send Close-Ok"; the broker does the same, so a
    close-ok still arrives for our close, and must not count as a frame on a
    channel that is not open.
    """
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    request = channel.close()
    broker.sent()
    assert broker.send_method(1, ChannelClose(406, "PRECONDITION_FAILED - x", 50, 10)) == []
    broker.expect((1, ChannelCloseOk()))
    assert 1 in connection.channels  # not free before our close is answered
    events = broker.send_method(1, ChannelCloseOk())
    assert len(events) == 2
    reply, closed = events
    assert isinstance(reply, ReplyReceived) and reply.request is request
    assert isinstance(closed, ChannelClosed)
    assert (closed.reply_code, closed.by_peer) == (406, True)
    assert isinstance(closed.error, PreconditionFailed)
    assert state(channel) is ChannelState.CLOSED
    assert state(connection) is ConnectionState.OPEN
    assert 1 not in connection.channels


# -- connection close ------------------------------------------------------------


def test_client_closes_connection() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    connection.close(200, "done")
    assert state(connection) is ConnectionState.CLOSING
    broker.expect((0, ConnectionClose(200, "done", 0, 0)))
    connection.close()  # closing twice does nothing
    assert broker.sent() == []
    with pytest.raises(ConnectionClosedError, match="closing"):
        channel.queue_declare("q")
    with pytest.raises(ConnectionClosedError, match="closing"):
        connection.open_channel()
    # Rule 2: a method in flight on a channel is discarded.
    assert broker.send_method(1, QueueDeclareOk("q", 0, 0)) == []
    events = broker.send_method(0, ConnectionCloseOk())
    # The close-ok reports the close it answers, after the channel it takes with it.
    channel_closed, connection_closed = events
    assert isinstance(channel_closed, ChannelClosed) and channel_closed.channel_id == channel.id
    assert isinstance(channel_closed.error, ConnectionClosedError)
    assert connection_closed == ConnectionClosed(reply_code=200, reply_text="done", by_peer=False, error=None)
    assert state(connection) is ConnectionState.CLOSED
    assert connection.channels == {}
    assert broker.sent() == []


def test_broker_closes_connection() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    events = broker.send_method(0, ConnectionClose(320, "CONNECTION_FORCED - shutdown", 0, 0))
    broker.expect((0, ConnectionCloseOk()))
    assert state(connection) is ConnectionState.CLOSED
    channel_closed, closed = events
    assert isinstance(channel_closed, ChannelClosed)
    assert (channel_closed.reply_code, channel_closed.reply_text) == (320, "CONNECTION_FORCED - shutdown")
    assert isinstance(closed, ConnectionClosed)
    assert channel_closed.error is closed.error
    assert (closed.reply_code, closed.reply_text, closed.by_peer) == (
        320,
        "CONNECTION_FORCED - shutdown",
        True,
    )
    assert isinstance(closed.error, ConnectionForced)
    assert connection.channels == {}
    # After the close, everything is ignored.
    assert broker.send_method(0, ConnectionCloseOk()) == []
    assert connection.receive_data(b"") == []


def test_client_closes_connection_with_a_reason() -> None:
    connection, broker = open_connection()
    connection.close(320, "operator says so", 10, 50)
    broker.expect((0, ConnectionClose(320, "operator says so", 10, 50)))
    (closed,) = broker.send_method(0, ConnectionCloseOk())
    assert closed == ConnectionClosed(
        reply_code=320, reply_text="operator says so", class_id=10, method_id=50, by_peer=False, error=None
    )


def test_connection_close_crossing_ours() -> None:
    connection, broker = open_connection()
    connection.close()
    broker.sent()
    events = broker.send_method(0, ConnectionClose(200, "bye", 0, 0))
    broker.expect((0, ConnectionCloseOk()))
    assert events == [ConnectionClosed(reply_code=200, reply_text="bye", by_peer=False, error=None)]


def test_channels_are_closed_when_the_connection_closes() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    broker.send_method(0, ConnectionClose(320, "bye", 0, 0))
    broker.sent()
    assert state(channel) is ChannelState.CLOSED
    assert not channel.is_open
    with pytest.raises(ChannelClosedError, match="channel 1 is closed"):
        channel.close()
    with pytest.raises(ChannelClosedError, match="channel 1 is closed"):
        channel.queue_declare("q")
    with pytest.raises(ChannelClosedError, match="channel 1 is closed"):
        channel.basic_ack(1)
    with pytest.raises(ChannelClosedError, match="channel 1 is closed"):
        channel.basic_publish(b"x")
    assert broker.sent() == []


def test_channel_close_after_connection_close_sends_nothing() -> None:
    """After connection.close the spec allows no other method on any channel."""
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    connection.close()
    broker.sent()
    with pytest.raises(ConnectionClosedError, match="closing"):
        channel.close()
    assert state(channel) is ChannelState.OPEN
    assert broker.sent() == []


# -- flow ------------------------------------------------------------------------


def test_broker_flow() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    events = broker.send_method(1, ChannelFlow(False))
    broker.expect((1, ChannelFlowOk(False)))
    assert events == [ChannelFlowChanged(channel_id=1, active=False)]
    assert not channel.flow_active
    events = broker.send_method(1, ChannelFlow(True))
    broker.expect((1, ChannelFlowOk(True)))
    assert events == [ChannelFlowChanged(channel_id=1, active=True)]
    assert channel.flow_active


def test_client_flow_request() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    request = channel.flow(False)
    broker.expect((1, ChannelFlow(False)))
    (reply,) = broker.send_method(1, ChannelFlowOk(False))
    assert isinstance(reply, ReplyReceived) and reply.request is request


# -- one synchronous method at a time ----------------------------------------------


def test_synchronous_requests_queue_and_go_out_in_order() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    declare = channel.exchange_declare("x", "topic")
    queue = channel.queue_declare("q", durable=True)
    bind = channel.queue_bind("q", "x", "k")
    # Only the first one is on the wire.
    assert broker.sent_bytes() == _frame(1, ExchangeDeclare(exchange="x", type="topic"))
    # Asynchronous methods are not held back.
    channel.basic_ack(5)
    broker.sent()

    (reply,) = broker.send_method(1, ExchangeDeclareOk())
    assert isinstance(reply, ReplyReceived) and reply.request is declare
    assert broker.sent_bytes() == _frame(1, QueueDeclare(queue="q", durable=True))

    (reply,) = broker.send_method(1, QueueDeclareOk("q", 3, 1))
    assert isinstance(reply, ReplyReceived) and reply.request is queue
    assert reply.reply == QueueDeclareOk("q", 3, 1)
    assert broker.sent_bytes() == _frame(1, QueueBind(queue="q", exchange="x", routing_key="k"))

    (reply,) = broker.send_method(1, QueueBindOk())
    assert isinstance(reply, ReplyReceived) and reply.request is bind
    assert broker.sent_bytes() == b""


def test_requests_made_while_opening_go_out_after_open_ok() -> None:
    connection, broker = open_connection()
    channel = connection.open_channel()
    request = channel.queue_declare("q")
    broker.expect((1, ChannelOpen()))
    events = broker.send_method(1, ChannelOpenOk())
    assert event_types(events) == ["ReplyReceived", "ChannelOpened"]
    broker.expect((1, QueueDeclare(queue="q")))
    (reply,) = broker.send_method(1, QueueDeclareOk("q", 0, 0))
    assert isinstance(reply, ReplyReceived) and reply.request is request


def test_nowait_requests_do_not_block_the_queue() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.queue_declare("a")
    purge = channel.queue_purge("a", nowait=True)
    delete = channel.queue_delete("a")
    assert not purge.expects_reply
    broker.expect((1, QueueDeclare(queue="a")))
    broker.send_method(1, QueueDeclareOk("a", 0, 0))
    # The nowait purge and the delete behind it go out together.
    broker.expect((1, QueuePurge(queue="a", nowait=True)), (1, QueueDelete(queue="a")))
    (reply,) = broker.send_method(1, QueueDeleteOk(0))
    assert isinstance(reply, ReplyReceived) and reply.request is delete


def test_bad_argument_to_a_queued_request_is_refused_at_the_call() -> None:
    """The caller's mistake must not surface later, from receive_data()."""
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    first = channel.queue_declare("a")
    with pytest.raises(EncodeError, match=r"queue\.declare\.queue is 300 bytes long"):
        channel.queue_declare("b" * 300)
    with pytest.raises(EncodeError, match=r"exchange\.declare"):
        channel.exchange_declare("x", arguments={"bad": object()})  # type: ignore[dict-item]
    later = channel.queue_declare("c")
    broker.expect((1, QueueDeclare(queue="a")))
    (reply,) = broker.send_method(1, QueueDeclareOk("a", 0, 0))
    assert isinstance(reply, ReplyReceived) and reply.request is first
    broker.expect((1, QueueDeclare(queue="c")))
    (reply,) = broker.send_method(1, QueueDeclareOk("c", 0, 0))
    assert isinstance(reply, ReplyReceived) and reply.request is later


def test_reply_to_nothing_is_a_violation() -> None:
    from amqproto.exceptions import CommandInvalid

    connection, broker = open_connection()
    open_channel(connection, broker)
    with pytest.raises(CommandInvalid, match=r"queue\.purge-ok on channel 1, which expected nothing"):
        broker.send_method(1, QueuePurgeOk(0))


def test_wrong_reply_is_a_violation() -> None:
    from amqproto.exceptions import CommandInvalid

    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.queue_declare("q")
    broker.sent()
    with pytest.raises(CommandInvalid, match=r"which expected a reply to queue\.declare"):
        broker.send_method(1, QueuePurgeOk(0))


# -- misuse ----------------------------------------------------------------------


def test_methods_on_a_closed_channel_name_the_method_and_state() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.close()
    broker.sent()
    with pytest.raises(ChannelClosedError, match=r"cannot send queue\.declare when channel 1 is closing"):
        channel.queue_declare("q")
    with pytest.raises(ChannelClosedError, match=r"cannot send basic\.ack when channel 1 is closing"):
        channel.basic_ack(1)
    with pytest.raises(ChannelClosedError, match="cannot publish when channel 1 is closing"):
        channel.basic_publish(b"body", properties=BasicProperties())
    broker.send_method(1, ChannelCloseOk())
    with pytest.raises(ChannelClosedError, match=r"cannot send channel\.close when channel 1 is closed"):
        channel.close()
    with pytest.raises(ChannelClosedError, match=r"cannot send confirm\.select when channel 1 is closed"):
        channel.confirm_select()
    assert broker.sent() == []


def test_async_methods_refused_while_opening() -> None:
    connection, _ = open_connection()
    channel = connection.open_channel()
    with pytest.raises(ChannelClosedError, match="channel 1 is opening"):
        channel.basic_ack(1)
    with pytest.raises(ChannelClosedError, match="channel 1 is opening"):
        channel.basic_publish(b"x")


def _frame(channel: int, method: object) -> bytes:
    from amqproto.schema import Method
    from amqproto.wire import MethodFrame, encode_frame

    assert isinstance(method, Method)
    return encode_frame(MethodFrame(channel, method))


def test_transport_closed_while_open() -> None:
    from amqproto.exceptions import ConnectionLost

    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.queue_declare("q")
    channel_closed, closed = connection.receive_data(b"")
    assert isinstance(channel_closed, ChannelClosed) and channel_closed.error is closed.error  # type: ignore[attr-defined]
    assert isinstance(closed, ConnectionClosed)
    assert (closed.reply_code, closed.by_peer) == (0, True)
    assert type(closed.error) is ConnectionLost
    assert "open" in str(closed.error)
    assert state(connection) is ConnectionState.CLOSED
    assert state(channel) is ChannelState.CLOSED
    assert connection.get_timer() is None
