"""Publisher confirms, consumers, acks, recover, tx, blocked, update-secret."""

from __future__ import annotations

import pytest

from amqproto import BasicProperties, Channel, Connection
from amqproto.events import (
    ChannelClosed,
    ConnectionBlocked,
    ConnectionUnblocked,
    ConsumerCancelled,
    MessageDelivered,
    MessageReturned,
    PublishConfirmed,
    PublishNacked,
    ReplyReceived,
)
from amqproto.exceptions import CommandInvalid, ConnectionClosedError, LocalProtocolError
from amqproto.schema import (
    BasicAck,
    BasicCancel,
    BasicCancelOk,
    BasicConsume,
    BasicConsumeOk,
    BasicDeliver,
    BasicNack,
    BasicQos,
    BasicQosOk,
    BasicRecover,
    BasicRecoverAsync,
    BasicRecoverOk,
    BasicReject,
    BasicReturn,
    ChannelClose,
    ConfirmSelect,
    ConfirmSelectOk,
    ConnectionClose,
    ConnectionUpdateSecret,
    ConnectionUpdateSecretOk,
    QueueDeclareOk,
    TxCommit,
    TxCommitOk,
    TxRollback,
    TxRollbackOk,
    TxSelect,
    TxSelectOk,
)
from amqproto.schema import (
    ConnectionBlocked as ConnectionBlockedMethod,
)
from amqproto.schema import (
    ConnectionUnblocked as ConnectionUnblockedMethod,
)
from amqproto.wire import MethodFrame

from .helpers import FakeBroker, content_frames, encode, event_types, open_channel, open_connection


def _confirming() -> tuple[Connection, FakeBroker, Channel]:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    request = channel.confirm_select()
    broker.expect((1, ConfirmSelect(False)))
    (reply,) = broker.send_method(1, ConfirmSelectOk())
    assert isinstance(reply, ReplyReceived) and reply.request is request
    return connection, broker, channel


# -- publisher confirms -----------------------------------------------------------


def test_publishes_get_sequence_numbers_only_in_confirm_mode() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    assert channel.basic_publish(b"before") is None
    channel.confirm_select()
    assert channel.confirm_mode  # numbering starts when select is sent
    assert [channel.basic_publish(b"m") for _ in range(3)] == [1, 2, 3]
    assert channel.unconfirmed == (1, 2, 3)


def test_confirm_mode_starts_when_select_is_sent_not_when_queued() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.queue_declare("q")
    channel.confirm_select()  # queued behind the declare
    assert not channel.confirm_mode
    assert channel.basic_publish(b"x") is None
    broker.sent()
    broker.send_method(1, QueueDeclareOk("q", 0, 0))
    assert channel.confirm_mode
    assert channel.basic_publish(b"y") == 1


def test_single_acks_and_nacks() -> None:
    _, broker, channel = _confirming()
    for _ in range(3):
        channel.basic_publish(b"m")
    broker.sent()
    assert broker.send_method(1, BasicAck(2, False)) == [PublishConfirmed(channel_id=1, delivery_tags=(2,))]
    assert channel.unconfirmed == (1, 3)
    assert broker.send_method(1, BasicNack(1, False, False)) == [
        PublishNacked(channel_id=1, delivery_tags=(1,))
    ]
    assert broker.send_method(1, BasicAck(3, False)) == [PublishConfirmed(channel_id=1, delivery_tags=(3,))]
    assert not channel.unconfirmed
    # An ack for nothing outstanding settles nothing.
    assert broker.send_method(1, BasicAck(3, False)) == []


def test_multiple_ack_settles_every_covered_publish() -> None:
    _, broker, channel = _confirming()
    for _ in range(5):
        channel.basic_publish(b"m")
    broker.sent()
    assert broker.send_method(1, BasicAck(3, True)) == [
        PublishConfirmed(channel_id=1, delivery_tags=(1, 2, 3))
    ]
    assert channel.unconfirmed == (4, 5)
    assert broker.send_method(1, BasicNack(5, True, False)) == [
        PublishNacked(channel_id=1, delivery_tags=(4, 5))
    ]
    assert not channel.unconfirmed


def test_multiple_ack_with_a_gap() -> None:
    _, broker, channel = _confirming()
    for _ in range(4):
        channel.basic_publish(b"m")
    broker.sent()
    broker.send_method(1, BasicAck(2, False))
    assert broker.send_method(1, BasicAck(4, True)) == [
        PublishConfirmed(channel_id=1, delivery_tags=(1, 3, 4))
    ]


def test_multiple_ack_of_zero_settles_everything() -> None:
    _, broker, channel = _confirming()
    for _ in range(3):
        channel.basic_publish(b"m")
    broker.sent()
    assert broker.send_method(1, BasicAck(0, True)) == [
        PublishConfirmed(channel_id=1, delivery_tags=(1, 2, 3))
    ]


def test_mandatory_publish_returned_before_its_ack() -> None:
    _, broker, channel = _confirming()
    assert channel.basic_publish(b"routed", "ex", "ok") == 1
    assert channel.basic_publish(b"lost", "ex", "nowhere", mandatory=True) == 2
    broker.sent()
    broker.send_method(1, BasicAck(1, False))
    returned = BasicReturn(312, "NO_ROUTE", "ex", "nowhere")
    # RabbitMQ sends the return, then the ack of the same publish.
    assert broker.send(*content_frames(1, returned, b"lost")) == []  # held for the ack
    events = broker.send_method(1, BasicAck(2, False))
    assert events == [
        MessageReturned(
            channel_id=1, method=returned, properties=BasicProperties(), body=b"lost", delivery_tag=2
        ),
        PublishConfirmed(channel_id=1, delivery_tags=(2,)),
    ]


def test_returned_publish_acked_with_multiple() -> None:
    _, broker, channel = _confirming()
    for _ in range(3):
        channel.basic_publish(b"m", mandatory=True)
    broker.sent()
    returned = BasicReturn(312, "NO_ROUTE", "", "q")
    broker.send(*content_frames(1, returned, b"m"))
    events = broker.send_method(1, BasicAck(3, True))
    assert event_types(events) == ["MessageReturned", "PublishConfirmed"]
    first = events[0]
    assert isinstance(first, MessageReturned) and first.delivery_tag == 3
    assert events[1] == PublishConfirmed(channel_id=1, delivery_tags=(1, 2, 3))


def test_held_return_released_when_the_channel_closes() -> None:
    from amqproto.schema import ChannelClose

    _, broker, channel = _confirming()
    channel.basic_publish(b"m", mandatory=True)
    broker.sent()
    broker.send(*content_frames(1, BasicReturn(312, "NO_ROUTE", "", "q"), b"m"))
    events = broker.send_method(1, ChannelClose(406, "x", 0, 0))
    assert event_types(events) == ["MessageReturned", "ChannelClosed"]
    first = events[0]
    assert isinstance(first, MessageReturned) and first.delivery_tag is None


def test_ack_outside_confirm_mode_is_a_violation() -> None:
    connection, broker = open_connection()
    open_channel(connection, broker)
    with pytest.raises(CommandInvalid, match=r"basic\.ack on channel 1, which is not in confirm mode"):
        broker.send_method(1, BasicAck(1, False))


# -- consumers -------------------------------------------------------------------


def test_consume_deliver_cancel() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    qos = channel.basic_qos(prefetch_count=10)
    consume = channel.basic_consume("q", "", no_ack=False, arguments={"x-priority": 5})
    broker.expect((1, BasicQos(0, 10, False)))
    (reply,) = broker.send_method(1, BasicQosOk())
    assert isinstance(reply, ReplyReceived) and reply.request is qos
    broker.expect((1, BasicConsume(0, "q", "", False, False, False, False, {"x-priority": 5})))
    (reply,) = broker.send_method(1, BasicConsumeOk("amq.ctag-1"))
    assert isinstance(reply, ReplyReceived) and reply.request is consume
    assert channel.consumers == {"amq.ctag-1"}

    deliver = BasicDeliver("amq.ctag-1", 1, False, "", "q")
    (message,) = broker.send(*content_frames(1, deliver, b"hello"))
    assert message == MessageDelivered(
        channel_id=1, method=deliver, properties=BasicProperties(), body=b"hello"
    )

    cancel = channel.basic_cancel("amq.ctag-1")
    broker.expect((1, BasicCancel("amq.ctag-1", False)))
    (reply,) = broker.send_method(1, BasicCancelOk("amq.ctag-1"))
    assert isinstance(reply, ReplyReceived) and reply.request is cancel
    assert channel.consumers == set()


def test_nowait_consume_and_cancel_track_the_tag_at_once() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    request = channel.basic_consume("q", "mine", nowait=True)
    assert not request.expects_reply
    assert channel.consumers == {"mine"}
    channel.basic_cancel("mine", nowait=True)
    assert channel.consumers == set()
    broker.expect(
        (1, BasicConsume(0, "q", "mine", False, False, False, True, {})),
        (1, BasicCancel("mine", True)),
    )


@pytest.mark.parametrize("nowait", [True, False])
def test_broker_cancels_a_consumer(nowait: bool) -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.basic_consume("q", "c1")
    broker.sent()
    broker.send_method(1, BasicConsumeOk("c1"))
    events = broker.send_method(1, BasicCancel("c1", nowait))
    assert events == [ConsumerCancelled(channel_id=1, consumer_tag="c1")]
    assert channel.consumers == set()
    if nowait:
        assert broker.sent() == []
    else:
        broker.expect((1, BasicCancelOk("c1")))


def test_ack_nack_reject_recover() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    channel.basic_ack(1)
    channel.basic_ack(5, multiple=True)
    channel.basic_nack(6)
    channel.basic_nack(9, multiple=True, requeue=False)
    channel.basic_reject(10)
    channel.basic_reject(11, requeue=False)
    channel.basic_recover_async(requeue=True)
    broker.expect(
        (1, BasicAck(1, False)),
        (1, BasicAck(5, True)),
        (1, BasicNack(6, False, True)),
        (1, BasicNack(9, True, False)),
        (1, BasicReject(10, True)),
        (1, BasicReject(11, False)),
        (1, BasicRecoverAsync(True)),
    )
    recover = channel.basic_recover(requeue=True)
    broker.expect((1, BasicRecover(True)))
    (reply,) = broker.send_method(1, BasicRecoverOk())
    assert isinstance(reply, ReplyReceived) and reply.request is recover


def test_transactions() -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    select = channel.tx_select()
    channel.basic_publish(b"a")  # async: not held behind tx.select
    commit = channel.tx_commit()
    rollback = channel.tx_rollback()
    methods = [method for _, method in broker.sent_methods()]
    assert type(methods[0]) is TxSelect
    for request, method, ok in ((select, TxCommit(), TxSelectOk()), (commit, TxRollback(), TxCommitOk())):
        (reply,) = broker.send_method(1, ok)
        assert isinstance(reply, ReplyReceived) and reply.request is request
        broker.expect((1, method))
    (reply,) = broker.send_method(1, TxRollbackOk())
    assert isinstance(reply, ReplyReceived) and reply.request is rollback


# -- connection-level extras ------------------------------------------------------


def test_blocked_and_unblocked() -> None:
    connection, broker = open_connection()
    assert not connection.blocked
    assert broker.send_method(0, ConnectionBlockedMethod("low on memory")) == [
        ConnectionBlocked(reason="low on memory")
    ]
    assert connection.blocked
    assert broker.send_method(0, ConnectionUnblockedMethod()) == [ConnectionUnblocked()]
    assert not connection.blocked


def test_update_secret() -> None:
    connection, broker = open_connection()
    request = connection.update_secret(b"new-token", "refresh")
    broker.expect((0, ConnectionUpdateSecret(b"new-token", "refresh")))
    with pytest.raises(LocalProtocolError, match="already in flight"):
        connection.update_secret(b"again")
    (reply,) = broker.send_method(0, ConnectionUpdateSecretOk())
    assert isinstance(reply, ReplyReceived)
    assert (reply.channel_id, reply.request, reply.reply) == (0, request, ConnectionUpdateSecretOk())
    # Another one may go now.
    connection.update_secret(b"third")
    broker.expect((0, ConnectionUpdateSecret(b"third", "")))


def test_update_secret_ok_without_request_is_a_violation() -> None:
    _, broker = open_connection()
    with pytest.raises(CommandInvalid, match="update-secret-ok without update-secret"):
        broker.send_method(0, ConnectionUpdateSecretOk())


def test_update_secret_on_a_closed_connection() -> None:
    connection, _ = open_connection()
    connection.close()
    with pytest.raises(ConnectionClosedError, match="closing"):
        connection.update_secret(b"t")


# -- a close right behind the confirms it ends ------------------------------------


@pytest.mark.parametrize("closing", ["channel", "connection", "transport"])
def test_a_close_in_the_same_read_as_an_ack_reports_the_rest_unconfirmed(closing: str) -> None:
    """The ack covers 1-3 only: 4-10 stay unconfirmed, whatever closes in the same read."""
    connection, broker, channel = _confirming()
    assert [channel.basic_publish(b"m") for _ in range(10)] == list(range(1, 11))
    broker.sent()
    ack = encode([MethodFrame(1, BasicAck(3, True))])
    if closing == "channel":
        tail = encode([MethodFrame(1, ChannelClose(406, "PRECONDITION_FAILED", 60, 40))])
    elif closing == "connection":
        tail = encode([MethodFrame(0, ConnectionClose(320, "CONNECTION_FORCED", 0, 0))])
    else:
        tail = b""
    events = connection.receive_data(ack + tail)
    if closing == "transport":
        events += connection.receive_data(b"")
    confirmed, closed, *rest = events
    assert confirmed == PublishConfirmed(channel_id=1, delivery_tags=(1, 2, 3))
    assert isinstance(closed, ChannelClosed)
    assert closed.unconfirmed == (4, 5, 6, 7, 8, 9, 10)
    assert event_types(rest) == ([] if closing == "channel" else ["ConnectionClosed"])
    assert channel.unconfirmed == ()
