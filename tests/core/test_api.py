"""The API shape, by reflection: one channel method per client-sent AMQP method.

Each method class a client may send on a channel has a ``Channel`` method
named after it in snake_case, taking the schema's field names as keyword
arguments.  Called with the schema's defaults it sends exactly the default
method; a synchronous one returns a :class:`~amqproto.Request` that the
:class:`~amqproto.events.ReplyReceived` of its reply carries back.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any, assert_type

import pytest

from amqproto import Channel, Request
from amqproto.events import ReplyReceived
from amqproto.schema import (
    METHODS,
    AccessRequestOk,
    BasicCancelOk,
    BasicConsumeOk,
    BasicGetEmpty,
    BasicGetOk,
    BasicPublish,
    BasicQosOk,
    BasicRecoverOk,
    ChannelClose,
    ChannelCloseOk,
    ChannelFlow,
    ChannelFlowOk,
    ChannelOpen,
    ConfirmSelectOk,
    ConnectionUpdateSecretOk,
    ExchangeBindOk,
    ExchangeDeclareOk,
    ExchangeDeleteOk,
    ExchangeUnbindOk,
    Method,
    QueueBindOk,
    QueueDeclareOk,
    QueueDeleteOk,
    QueuePurgeOk,
    QueueUnbindOk,
    TxCommitOk,
    TxRollbackOk,
    TxSelectOk,
)
from amqproto.wire import ContentHeaderFrame, MethodFrame

from .helpers import open_channel, open_connection

#: Sent by the core itself, as answers or when a channel is allocated.
AUTOMATIC: set[type[Method]] = {ChannelOpen, ChannelFlowOk, ChannelCloseOk, BasicCancelOk}
RENAMED: dict[type[Method], str] = {ChannelClose: "close", ChannelFlow: "flow"}

CHANNEL_METHODS: list[type[Method]] = [
    cls
    for _, cls in sorted(METHODS.items())
    if cls.SENT_BY_CLIENT and cls.CLASS_ID != 10 and cls not in AUTOMATIC
]


def _api_name(cls: type[Method]) -> str:
    return RENAMED.get(cls) or re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _default_arguments(cls: type[Method], function: Any) -> dict[str, Any]:
    """The schema's default for each parameter the channel method takes."""
    defaults = cls()
    field_names = {field.name for field in dataclasses.fields(defaults)}  # type: ignore[arg-type]
    arguments: dict[str, Any] = {}
    for name in inspect.signature(function).parameters:
        if name in field_names:
            arguments[name] = getattr(defaults, name)
    return arguments


def test_every_channel_method_has_an_api_method() -> None:
    missing = [cls.NAME for cls in CHANNEL_METHODS if not callable(getattr(Channel, _api_name(cls), None))]
    assert missing == []
    assert len(CHANNEL_METHODS) == 26


@pytest.mark.parametrize("cls", CHANNEL_METHODS, ids=lambda cls: cls.NAME)
def test_api_method_sends_its_method_and_gets_its_reply(cls: type[Method]) -> None:
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    function = getattr(channel, _api_name(cls))
    arguments = _default_arguments(cls, function)
    if cls is BasicPublish:
        arguments["body"] = b""
    result = function(**arguments)
    frames = broker.sent()
    assert frames[0] == MethodFrame(1, cls())
    if cls.HAS_CONTENT:
        assert isinstance(frames[1], ContentHeaderFrame) and frames[1].body_size == 0
    else:
        assert len(frames) == 1
    if not cls.SYNCHRONOUS:
        assert result is None
        return
    assert isinstance(result, Request)
    assert (result.channel_id, result.method, result.expects_reply) == (1, cls(), True)
    reply = cls.RESPONSES[-1]()
    events = broker.send(MethodFrame(1, reply))
    replies = [event for event in events if isinstance(event, ReplyReceived)]
    assert len(replies) == 1
    assert replies[0].request is result
    assert replies[0].reply == reply
    assert replies[0].channel_id == 1


def test_requests_are_typed_by_their_reply() -> None:
    """Static check, run by mypy: each method's :class:`Request` names its reply.

    ``assert_type`` fails mypy when the inferred type is not exactly the one
    given (``Request[Any]`` would fail too), so a method whose return type
    drifts breaks ``mypy --strict``.  At run time it returns its argument: the
    calls below also run, each sending its method on an open channel.
    """
    connection, broker = open_connection()
    channel = open_channel(connection, broker)
    assert_type(channel, Channel)
    assert_type(connection.open_channel(), Channel)
    assert_type(connection.update_secret(b"secret"), Request[ConnectionUpdateSecretOk])

    queue_declare = assert_type(channel.queue_declare("q"), Request[QueueDeclareOk])
    assert repr(queue_declare) == "<Request queue.declare on channel 1>"
    assert_type(channel.access_request(), Request[AccessRequestOk])
    assert_type(channel.exchange_declare("x"), Request[ExchangeDeclareOk])
    assert_type(channel.exchange_delete("x"), Request[ExchangeDeleteOk])
    assert_type(channel.exchange_bind("x", "y"), Request[ExchangeBindOk])
    assert_type(channel.exchange_unbind("x", "y"), Request[ExchangeUnbindOk])
    assert_type(channel.queue_bind("q", "x"), Request[QueueBindOk])
    assert_type(channel.queue_unbind("q", "x"), Request[QueueUnbindOk])
    assert_type(channel.queue_purge("q"), Request[QueuePurgeOk])
    assert_type(channel.queue_delete("q"), Request[QueueDeleteOk])
    assert_type(channel.basic_qos(prefetch_count=1), Request[BasicQosOk])
    assert_type(channel.basic_consume("q", "tag"), Request[BasicConsumeOk])
    assert_type(channel.basic_cancel("tag"), Request[BasicCancelOk])
    assert_type(channel.basic_get("q"), Request[BasicGetOk | BasicGetEmpty])
    assert_type(channel.basic_recover(), Request[BasicRecoverOk])
    assert_type(channel.confirm_select(), Request[ConfirmSelectOk])
    assert_type(channel.tx_select(), Request[TxSelectOk])
    assert_type(channel.tx_commit(), Request[TxCommitOk])
    assert_type(channel.tx_rollback(), Request[TxRollbackOk])
    assert_type(channel.flow(False), Request[ChannelFlowOk])
    assert_type(channel.basic_publish(b"", routing_key="q"), int | None)
    assert_type(channel.basic_ack(1), None)
    assert_type(channel.basic_nack(1), None)
    assert_type(channel.basic_reject(1), None)
    assert_type(channel.basic_recover_async(), None)
    assert_type(channel.close(), Request[ChannelCloseOk])
