"""The handle of a synchronous method: :class:`Request`.

Theory of operation
-------------------
A synchronous method (``queue.declare``, ``channel.open``,
``connection.update-secret``, ...) is answered by exactly one reply.  The
core returns a :class:`Request` when it queues the method, and the
:class:`~amqproto.events.ReplyReceived` that answers it carries that very
object, so an adapter turns any request into "await the reply" by keeping a
map from request to waiter.

It lives in a module of its own because three modules need it: the
:class:`~amqproto.channel.Channel` and the
:class:`~amqproto.connection.Connection` make requests, and
:mod:`amqproto.events` reports their replies.  Here it depends on the schema
only, so none of the three has to import another to name it.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from .schema.methods import Method

__all__ = ["Request"]

#: The type of a request's reply (``QueueDeclareOk`` for ``queue.declare``).
ReplyT = TypeVar("ReplyT", bound=Method)


class Request(Generic[ReplyT]):
    """A synchronous method sent (or queued) on a channel.

    The :class:`~amqproto.events.ReplyReceived` that answers it carries this
    very object, so it can key a map of waiters.  ``ReplyT`` is the type of
    the reply (``QueueDeclareOk`` for ``queue_declare``), for adapters that
    want to return it typed.
    """

    __slots__ = ("channel_id", "method", "expects_reply")

    def __init__(self, channel_id: int, method: Method, expects_reply: bool) -> None:
        #: The channel the method is on (0 for connection methods).
        self.channel_id = channel_id
        #: The method sent.
        self.method = method
        #: False for ``nowait`` requests: no reply will come.
        self.expects_reply = expects_reply

    def __repr__(self) -> str:
        return f"<Request {self.method.NAME} on channel {self.channel_id}>"
