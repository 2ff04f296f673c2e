"""The error hierarchy of amqproto.

Everything raised on purpose derives from :class:`AMQPError`.  Errors that
correspond to an AMQP reply code carry it as the class attribute
``reply_code`` and, per instance, the reply text and the class/method ids of
the method that caused them, exactly as ``connection.close`` and
``channel.close`` transport them::

    AMQPError
    ├── ReplyError                   anything with an AMQP reply code
    │   ├── SoftError                closes a channel (3xx, 4xx)
    │   │   ├── ContentTooLarge 311, NoRoute 312, NoConsumers 313
    │   │   └── AccessRefused 403, NotFound 404, ResourceLocked 405,
    │   │       PreconditionFailed 406
    │   └── HardError                closes the connection (320, 402, 5xx)
    │       ├── ConnectionForced 320, InvalidPath 402
    │       ├── FrameError 501, AMQPSyntaxError 502, CommandInvalid 503,
    │       │   ChannelError 504, UnexpectedFrame 505, ResourceError 506
    │       └── NotAllowed 530, AMQPNotImplemented 540, InternalError 541
    ├── AuthenticationError          a refused login (also an AccessRefused)
    ├── LocalProtocolError           we were asked to do something illegal now
    │   └── ChannelClosedError, ConnectionClosedError
    ├── EncodeError (ValueError)     a value that cannot go on the wire
    │   └── EncodeTypeError (TypeError)
    ├── ConnectionLost               the transport went away
    │   └── HeartbeatTimeout, ConnectionTimeout
    ├── NackError, UnroutableError   publisher-confirm outcomes
    └── ConsumerCancelledError       the broker cancelled a consumer

Whether the broker raised an error (it closed a channel or the connection
with that code) or we detected it in what the broker sent (and closed the
connection with that code ourselves) is told by :attr:`ReplyError.by_peer`.
"""

from __future__ import annotations

from typing import Any, ClassVar

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
    "ChannelClosedError",
    "ConnectionClosedError",
    "EncodeError",
    "EncodeTypeError",
    "ConnectionLost",
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


class SoftError(ReplyError):
    """A channel-level error: the channel is closed, the connection lives."""


class HardError(ReplyError):
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


class AuthenticationError(AccessRefused):
    """The broker refused our credentials (or dropped us during the handshake)."""


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


class ChannelClosedError(LocalProtocolError):
    """A method was called on a channel that is closed or closing."""


class ConnectionClosedError(LocalProtocolError):
    """A method was called on a connection that is closed or closing."""


class EncodeError(AMQPError, ValueError):
    """A value cannot be encoded (out of range, too long); names the field."""


class EncodeTypeError(EncodeError, TypeError):
    """A value of a type the field cannot carry; names the field."""


class ConnectionLost(AMQPError):
    """The transport closed or failed; pending operations are abandoned."""


class HeartbeatTimeout(ConnectionLost):
    """Nothing arrived from the broker for two heartbeat intervals."""


class ConnectionTimeout(ConnectionLost):
    """Connecting (TCP, TLS and the AMQP handshake) took longer than allowed."""


class NackError(AMQPError):
    """The broker nacked a published message (confirm mode)."""

    def __init__(self, delivery_tag: int) -> None:
        super().__init__(f"the broker nacked publish {delivery_tag}")
        self.delivery_tag = delivery_tag


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
