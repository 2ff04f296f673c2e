"""The error hierarchy of amqproto.

Everything raised on purpose derives from :class:`AMQPError`.  Errors that
correspond to an AMQP reply code carry it as the class attribute
``reply_code`` and, per instance, the reply text and the class/method ids of
the method that caused them, exactly as ``connection.close`` and
``channel.close`` transport them::

    AMQPError
    ├── ChannelClosedError           this channel can no longer be used
    │   ├── SoftError                the broker closed the channel (3xx, 4xx reply codes)
    │   │   ├── ContentTooLarge 311, NoRoute 312, NoConsumers 313
    │   │   └── AccessRefused 403, NotFound 404, ResourceLocked 405,
    │   │       PreconditionFailed 406
    │   └── ConnectionClosedError    this connection (and so each of its channels) is gone
    │       ├── HardError            the connection was closed with a reply code (320, 402, 5xx)
    │       │   ├── ConnectionForced 320, InvalidPath 402
    │       │   ├── FrameError 501, AMQPSyntaxError 502, CommandInvalid 503,
    │       │   │   ChannelError 504, UnexpectedFrame 505, ResourceError 506
    │       │   └── NotAllowed 530, AMQPNotImplemented 540, InternalError 541
    │       ├── AuthenticationError  a refused login (also an AccessRefused)
    │       └── ConnectionLost       the transport went away (no reply code)
    │           └── HeartbeatTimeout, ConnectionTimeout, ConnectionInterrupted (recovering),
    │               ConnectionBlockedTimeout
    ├── ReplyError                   anything with an AMQP reply code: SoftError, HardError
    ├── OperationTimeout (TimeoutError)  a wait ran out of time; ConnectionTimeout too
    ├── LocalProtocolError           we were asked to do something illegal now
    ├── ConfigurationError (ValueError)  an argument out of range (connection_timeout=0, ...)
    ├── EncodeError (ValueError)     a value that cannot go on the wire
    │   └── EncodeTypeError (TypeError)
    ├── CodecBugError (RuntimeError) generated code failed on valid input: a bug of ours
    ├── NackError, UnroutableError   publisher-confirm outcomes
    └── ConsumerCancelledError       the broker cancelled a consumer

So one ``except ConnectionClosedError`` catches "this connection is gone",
whatever ended it, and ``except ChannelClosedError`` "this channel is gone"
(its own close or its connection's).  A call made after the broker closed
the connection or the channel raises the same class as the call that was
waiting then (``ConnectionForced``, ``NotFound``, ...), with the reply code
on the exception itself; after a close we asked for, it raises a plain
:class:`ChannelClosedError` or :class:`ConnectionClosedError`.

Whether the broker raised an error (it closed a channel or the connection
with that code) or we detected it in what the broker sent (and closed the
connection with that code ourselves) is told by :attr:`ReplyError.by_peer`.

Publishes whose outcome is unknown.  Every error that ends a wait for
publisher confirms (``basic_publish`` in confirm mode, ``wait_for_confirms``)
carries :attr:`AMQPError.unconfirmed`: the sequence numbers of the publishes
that no ``basic.ack`` confirmed, so that a caller can publish exactly those
again.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar, TypeVar

__all__ = [
    "AMQPError",
    "ReplyError",
    "SoftError",
    "HardError",
    "ContentTooLarge",
    "NoRoute",
    "NoConsumers",
    "AccessRefused",
    "NotFound",
    "ResourceLocked",
    "PreconditionFailed",
    "ConnectionForced",
    "InvalidPath",
    "FrameError",
    "AMQPSyntaxError",
    "CommandInvalid",
    "ChannelError",
    "UnexpectedFrame",
    "ResourceError",
    "NotAllowed",
    "AMQPNotImplemented",
    "InternalError",
    "AuthenticationError",
    "LocalProtocolError",
    "OperationTimeout",
    "ChannelClosedError",
    "ConnectionClosedError",
    "ConfigurationError",
    "EncodeError",
    "EncodeTypeError",
    "ConnectionLost",
    "ConnectionInterrupted",
    "ConnectionBlockedTimeout",
    "HeartbeatTimeout",
    "ConnectionTimeout",
    "NackError",
    "UnroutableError",
    "ConsumerCancelledError",
    "ERRORS_BY_REPLY_CODE",
    "error_for_reply",
]


class AMQPError(Exception):
    """Base of every error amqproto raises on purpose."""

    #: For an error that ended a wait for publisher confirms: the sequence
    #: numbers of the publishes no ``basic.ack`` confirmed (nacked, or lost
    #: with their channel or connection).  Empty otherwise.
    unconfirmed: tuple[int, ...] = ()

    def again(self: _E) -> _E:
        """A fresh copy of this error, to raise for a later call that fails for the same reason.

        The copy has the same class and attributes (``reply_code`` included)
        and no traceback; its ``__cause__`` is this error.
        """
        clone = copy.copy(self)
        if "__notes__" in clone.__dict__:
            clone.__notes__ = list(self.__notes__)  # not shared with this error
        clone.__cause__ = self
        clone.__traceback__ = None
        return clone

    def with_unconfirmed(self: _E, unconfirmed: tuple[int, ...]) -> _E:
        """A copy of this error naming the publishes it leaves unconfirmed (see :attr:`unconfirmed`)."""
        clone = self.again()
        clone.unconfirmed = unconfirmed
        if unconfirmed:
            clone.add_note(
                f"{len(unconfirmed)} publish(es) not confirmed: sequence numbers {_ranges(unconfirmed)}"
            )
        return clone


_E = TypeVar("_E", bound=AMQPError)


def _ranges(numbers: tuple[int, ...]) -> str:
    """``1-3, 7`` for ``(1, 2, 3, 7)``: short, even for long runs of numbers."""
    parts: list[str] = []
    start = previous = None
    for number in numbers:
        if previous is not None and number == previous + 1:
            previous = number
            continue
        if start is not None:
            parts.append(f"{start}-{previous}" if previous != start else str(start))
        start = previous = number
    if start is not None:
        parts.append(f"{start}-{previous}" if previous != start else str(start))
    return ", ".join(parts)


class ChannelClosedError(AMQPError):
    """The channel can no longer be used: we closed it, the broker did, or its connection is gone.

    After a close we asked for this class itself is raised; after the broker
    closed the channel, the :class:`SoftError` it closed it with; after the
    connection went, a :class:`ConnectionClosedError`.
    """


class ConnectionClosedError(ChannelClosedError):
    """The connection can no longer be used: we closed it, the broker did, or the transport went.

    After a close we asked for this class itself is raised; after the broker
    closed the connection, the :class:`HardError` it closed it with; after the
    transport went, a :class:`ConnectionLost`.
    """


class ReplyError(AMQPError):
    """An error identified by an AMQP reply code.

    Args:
        reply_text: The human-readable text that came with the code.
        class_id: The class id of the method that caused the error, or 0.
        method_id: The method id of the method that caused the error, or 0.
        by_peer: True when the broker reported the error (it closed the
            channel or connection), False when we found it in what the
            broker sent.
    """

    #: The AMQP reply code of this error class.
    reply_code: ClassVar[int] = 541
    #: For a violation found by :meth:`amqproto.Connection.receive_data`: the
    #: events that the same call produced before finding it.
    events: tuple[Any, ...] = ()

    def __init__(
        self,
        reply_text: str = "",
        class_id: int = 0,
        method_id: int = 0,
        *,
        by_peer: bool = False,
    ) -> None:
        super().__init__(reply_text)
        self.reply_text = reply_text
        self.class_id = class_id
        self.method_id = method_id
        self.by_peer = by_peer

    def __str__(self) -> str:
        return f"{self.reply_code}: {self.reply_text}" if self.reply_text else str(self.reply_code)


class SoftError(ReplyError, ChannelClosedError):
    """A channel-level error: the channel is closed, the connection lives."""


class HardError(ReplyError, ConnectionClosedError):
    """A connection-level error: the whole connection is closed."""


class ContentTooLarge(SoftError):
    """311: the content is too large for the server to accept now."""

    reply_code = 311


class NoRoute(SoftError):
    """312: a mandatory message could not be routed."""

    reply_code = 312


class NoConsumers(SoftError):
    """313: an immediate message could not be delivered."""

    reply_code = 313


class AccessRefused(SoftError):
    """403: the user may not access the resource."""

    reply_code = 403


class NotFound(SoftError):
    """404: the exchange, queue or consumer does not exist."""

    reply_code = 404


class ResourceLocked(SoftError):
    """405: the resource is exclusively used by another connection."""

    reply_code = 405


class PreconditionFailed(SoftError):
    """406: the request contradicts existing state (e.g. redeclare mismatch)."""

    reply_code = 406


class ConnectionForced(HardError):
    """320: an operator or the broker closed the connection."""

    reply_code = 320


class InvalidPath(HardError):
    """402: the virtual host does not exist or is not allowed."""

    reply_code = 402


class FrameError(HardError):
    """501: a malformed frame (bad type, size or frame-end octet)."""

    reply_code = 501


class AMQPSyntaxError(HardError):
    """502: a frame whose fields are malformed."""

    reply_code = 502


class CommandInvalid(HardError):
    """503: an unknown method, or one invalid in the current state."""

    reply_code = 503


class ChannelError(HardError):
    """504: a frame on a channel that is not open."""

    reply_code = 504


class UnexpectedFrame(HardError):
    """505: a frame that was not expected now (e.g. content out of order)."""

    reply_code = 505


class ResourceError(HardError):
    """506: the peer ran out of a resource (e.g. too large a message)."""

    reply_code = 506


class NotAllowed(HardError):
    """530: the operation is not allowed (e.g. too many channels)."""

    reply_code = 530


class AMQPNotImplemented(HardError):
    """540: the peer does not implement the requested functionality."""

    reply_code = 540


class InternalError(HardError):
    """541: the peer hit an internal error."""

    reply_code = 541


class AuthenticationError(AccessRefused, ConnectionClosedError):
    """The broker refused our credentials (or dropped us during the handshake).

    It is an :class:`AccessRefused` (403) and, since the connection is over,
    a :class:`ConnectionClosedError`.
    """


#: Every reply-code error class by its code.
ERRORS_BY_REPLY_CODE: dict[int, type[ReplyError]] = {
    cls.reply_code: cls
    for cls in (
        ContentTooLarge,
        NoRoute,
        NoConsumers,
        AccessRefused,
        NotFound,
        ResourceLocked,
        PreconditionFailed,
        ConnectionForced,
        InvalidPath,
        FrameError,
        AMQPSyntaxError,
        CommandInvalid,
        ChannelError,
        UnexpectedFrame,
        ResourceError,
        NotAllowed,
        AMQPNotImplemented,
        InternalError,
    )
}


def error_for_reply(
    reply_code: int,
    reply_text: str = "",
    class_id: int = 0,
    method_id: int = 0,
    *,
    hard: bool,
    by_peer: bool = True,
) -> ReplyError:
    """Build the exception for a reply code received in a close method.

    An unknown code becomes a plain :class:`HardError` or :class:`SoftError`
    (by ``hard``) whose ``reply_code`` is the received one.
    """
    cls = ERRORS_BY_REPLY_CODE.get(reply_code)
    if cls is not None:
        return cls(reply_text, class_id, method_id, by_peer=by_peer)
    error: ReplyError = (HardError if hard else SoftError)(
        reply_text, class_id, method_id, by_peer=by_peer
    )
    error.reply_code = reply_code  # type: ignore[misc]
    return error


class LocalProtocolError(AMQPError):
    """We were asked to do something the protocol does not allow now.

    The message names the method and the state.  Nothing was sent.
    """


class OperationTimeout(AMQPError, TimeoutError):
    """A wait for the broker ran out of time (the ``timeout=`` of a call).

    The connection and the channel stay usable: a reply that arrives later
    is dropped.  It is also a built-in :class:`TimeoutError`.
    """


class ConfigurationError(AMQPError, ValueError):
    """An argument or option is out of range (``connection_timeout=0``, ...); names it."""


class EncodeError(AMQPError, ValueError):
    """A value cannot be encoded (out of range, too long); names the field."""


class EncodeTypeError(EncodeError, TypeError):
    """A value of a type the field cannot carry; names the field."""


class ConnectionLost(ConnectionClosedError):
    """The transport closed or failed; pending operations are abandoned."""


class ConnectionInterrupted(ConnectionLost):
    """The connection was lost while this was under way, and automatic recovery is reconnecting.

    The outcome of what failed is unknown: a publish whose confirm was
    pending may or may not have reached the broker, and may be published
    again (its sequence number is in :attr:`~AMQPError.unconfirmed`).  Calls
    made after this wait for the recovery.
    """


class ConnectionBlockedTimeout(ConnectionLost):
    """The broker blocked publishing (a resource alarm) for longer than ``blocked_timeout``.

    The connection was dropped; with recovery on, it reconnects.
    """


class HeartbeatTimeout(ConnectionLost):
    """Nothing arrived from the broker for two heartbeat intervals."""


class ConnectionTimeout(ConnectionLost, OperationTimeout):
    """Connecting (TCP, TLS and the AMQP handshake) took longer than allowed."""


class NackError(AMQPError):
    """The broker nacked published messages (confirm mode).

    :attr:`delivery_tag` is the first nacked sequence number;
    :attr:`~AMQPError.unconfirmed` has them all.
    """

    def __init__(self, delivery_tag: int, *more: int) -> None:
        tags = (delivery_tag, *more)
        if more:
            message = f"the broker nacked {len(tags)} publishes: sequence numbers {_ranges(tags)}"
        else:
            message = f"the broker nacked publish {delivery_tag}"
        super().__init__(message)
        self.delivery_tag = delivery_tag
        self.unconfirmed = tags


class UnroutableError(AMQPError):
    """A mandatory message was returned: no queue was bound to take it."""

    reply_code: ClassVar[int] = 312

    def __init__(self, reply_code: int, reply_text: str, exchange: str, routing_key: str) -> None:
        super().__init__(
            f"message to exchange {exchange!r} with routing key {routing_key!r} "
            f"was returned: {reply_code} {reply_text}"
        )
        self.returned_code = reply_code
        self.reply_text = reply_text
        self.exchange = exchange
        self.routing_key = routing_key


class ConsumerCancelledError(AMQPError):
    """The broker cancelled a consumer (its queue was deleted, for example)."""

    def __init__(self, consumer_tag: str) -> None:
        super().__init__(f"the broker cancelled consumer {consumer_tag!r}")
        self.consumer_tag = consumer_tag


class CodecBugError(AMQPError, RuntimeError):
    """A compiled encoder failed on a value it should have encoded: a bug in amqproto.

    Raised instead of :class:`EncodeError` when a compiled encoder failed and
    the slow path then checked every field and found each one valid: neither
    the caller nor the peer is to blame.  ``__cause__`` is the original
    error, whose traceback shows the generated line that failed
    (``python -m amqproto.wire --dump NAME`` prints the generated source).
    Nothing was sent; the connection and the channel live on.  Please report
    it.

    A compiled *decoder* that fails on valid input raises
    :class:`InternalError` (541, ``by_peer=False``) instead, since the
    connection is then closed with that code.
    """


# Kept apart from the list at the top so that this addition merges cleanly.
__all__ += ["CodecBugError"]
