"""A kombu transport on amqproto's sans-io core: ``amqproto.contrib.kombu:Transport``.

Use it with ``kombu.Connection("amqp://...", transport="amqproto.contrib.kombu:Transport")``
or, in Celery, ``broker_transport = "amqproto.contrib.kombu:Transport"``.
It registers no URL scheme: kombu refuses schemes with ``.`` or ``:``.

Theory of operation
-------------------
kombu talks to a transport's connection and channels with py-amqp's API, so
:class:`Connection` and :class:`Channel` here offer that API (its names,
positional orders, return values and exception classes) over an
:class:`amqproto.Connection` and its :class:`amqproto.Channel` objects.

The driver.  There is no reader thread: whoever calls
:meth:`TransportConnection.drain_events`, or a channel method that waits for its reply,
reads the socket in its own thread (one reader at a time, ``_read_lock``).
What it reads goes to the core, and the events that come out queue in
``_pending`` and are handled in order by :meth:`TransportConnection._dispatch`: a reply
is filed for the request that waits for it, a delivery goes to its consumer's
callback, a channel closed by the broker raises its error (py-amqp's class)
from whichever call is reading, as py-amqp does.  So while a blocking call
waits for its reply, messages that arrive meanwhile reach their callbacks.
Deliveries read in the same chunk as the reply wait in ``_pending`` for the
next :meth:`TransportConnection.drain_events`; under Celery's hub, whose wake-up is the
socket turning readable, :meth:`TransportConnection._notify_pending` schedules that
read itself.

Threads.  Every use of the core and every write to the socket happens under
``_lock``, so that an ack from another thread (Celery's thread pools ack from
their threads) never interleaves with the reader's use of the core, and
frames never interleave on the wire.  The socket stays blocking; the reader
waits for data with ``poll`` (never with a socket timeout, which would also
bound the writes of other threads).

Heartbeats.  ``heartbeat=None`` or ``0`` turns them off (kombu's default,
and what Celery wants for producer connections, which it never ticks).
Otherwise, besides :meth:`TransportConnection.heartbeat_tick` (which kombu and Celery
call), every wait for the socket also runs the core's timer.  Unlike py-amqp,
heartbeats keep flowing while a long task holds Celery's hub: a small thread
(``amqproto-kombu-heartbeat``) writes a heartbeat frame whenever nothing was
written for half the interval.  That is safe because it only ever *writes*,
whole frames, under ``_lock``, so it neither reads nor touches the core; and
:meth:`TransportConnection.heartbeat_tick` first takes in whatever the broker sent
while nobody read, so that a long task is not taken for a dead broker.

Errors are py-amqp's classes (``amqp.exceptions``), which kombu catches:
:func:`_amqp_error` translates amqproto's.  Mind the name clash: amqproto's
``ChannelError`` is the 504 hard error, py-amqp's is the base of channel
errors; this module names py-amqp's through ``amqp_exceptions``.
"""

from __future__ import annotations

import contextlib
import datetime
import select
import socket
import ssl as ssl_module
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import amqp
import amqp.exceptions as amqp_exceptions
from kombu.transport import base as kombu_base
from kombu.transport import pyamqp as kombu_pyamqp

from .. import ChannelState, ConnectionState, _version
from .. import Connection as CoreConnection
from ..auth import AMQPLAIN, EXTERNAL, PLAIN, Authentication
from ..channel import Channel as CoreChannel
from ..events import (
    ChannelClosed,
    ConnectionBlocked,
    ConnectionClosed,
    ConnectionOpened,
    ConnectionUnblocked,
    ConsumerCancelled,
    Event,
    MessageDelivered,
    MessageReturned,
    PublishConfirmed,
    PublishNacked,
    ReplyReceived,
)
from ..exceptions import (
    AMQPError,
    ChannelClosedError,
    ConfigurationError,
    ConnectionClosedError,
    HardError,
    HeartbeatTimeout,
    ReplyError,
    SoftError,
)
from ..request import Request
from ..schema.methods import BasicDeliver, BasicGetOk, BasicReturn, Method
from ..schema.properties import BasicProperties
from ..wire.frames import HEARTBEAT_FRAME_BYTES

__all__ = [
    "Transport",
    "TransportConnection",
    "TransportChannel",
    "TransportMessage",
    "RawMessage",
    "OutgoingMessage",
    "queue_declare_ok_t",
]

_OPEN = ConnectionState.OPEN
_CLOSED = ConnectionState.CLOSED

#: How much one read takes from the socket.
_READ_SIZE = 256 * 1024

#: How long closing the connection waits for the broker's close-ok.
_CLOSE_TIMEOUT = 5.0

#: The property names py-amqp uses, where they differ from amqproto's.
_PROPERTY_TO_AMQP = {"headers": "application_headers"}
_PROPERTY_FROM_AMQP = {"application_headers": "headers"}
_PROPERTY_NAMES = frozenset(field for field in BasicProperties.__dataclass_fields__)


class queue_declare_ok_t(NamedTuple):
    """What :meth:`Channel.queue_declare` returns, as py-amqp does."""

    queue: str
    message_count: int
    consumer_count: int


def _amqp_error(error: AMQPError) -> Exception:
    """py-amqp's exception for one of amqproto's (kombu catches py-amqp's classes)."""
    if isinstance(error, HeartbeatTimeout):
        translated: Exception = amqp_exceptions.ConnectionForced("Too many heartbeats missed")
    elif isinstance(error, ReplyError):
        default = (
            amqp_exceptions.ChannelError if isinstance(error, SoftError) else amqp_exceptions.ConnectionError
        )
        translated = amqp_exceptions.error_for_code(
            error.reply_code, error.reply_text, (error.class_id, error.method_id), default
        )
    elif isinstance(error, ConnectionClosedError):
        translated = amqp_exceptions.RecoverableConnectionError(str(error) or "connection closed")
    elif isinstance(error, ChannelClosedError):
        translated = amqp_exceptions.RecoverableConnectionError(str(error) or "channel closed")
    else:
        return error
    translated.__cause__ = error
    return translated


def _properties_to_amqp(properties: BasicProperties) -> dict[str, Any]:
    """A message's properties as py-amqp names them, absent ones left out."""
    result: dict[str, Any] = {}
    for name in _PROPERTY_NAMES:
        value = getattr(properties, name)
        if value is not None:
            result[_PROPERTY_TO_AMQP.get(name, name)] = value
    return result


def _properties_from_amqp(values: Mapping[str, Any]) -> BasicProperties:
    """BasicProperties from py-amqp-named values.

    Names that are no property are ignored (py-amqp does too).
    """
    fields: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        name = _PROPERTY_FROM_AMQP.get(name, name)
        if name not in _PROPERTY_NAMES:
            continue
        if name == "timestamp" and isinstance(value, (int, float)):
            value = datetime.datetime.fromtimestamp(value, tz=datetime.UTC)
        elif name == "expiration" and not isinstance(value, str):
            value = str(value)
        fields[name] = value
    return BasicProperties(**fields)


class RawMessage:
    """A message as py-amqp's ``amqp.Message`` presents it to kombu.

    ``properties`` (py-amqp's names: headers under ``application_headers``)
    is built on first use; ``delivery_info`` has the consumer tag, delivery
    tag, redelivered flag, exchange and routing key (and ``message_count``
    for ``basic_get``).
    """

    __slots__ = ("body", "channel", "delivery_info", "delivery_tag", "_core_properties", "_properties")

    def __init__(
        self,
        channel: TransportChannel | None,
        body: bytes,
        properties: BasicProperties,
        delivery_info: dict[str, Any],
    ) -> None:
        self.channel = channel
        self.body = body
        self._core_properties = properties
        self._properties: dict[str, Any] | None = None
        self.delivery_info = delivery_info
        self.delivery_tag: int | None = delivery_info.get("delivery_tag")

    @property
    def properties(self) -> dict[str, Any]:
        properties = self._properties
        if properties is None:
            properties = self._properties = _properties_to_amqp(self._core_properties)
        return properties

    @property
    def headers(self) -> dict[str, Any]:
        return dict(self._core_properties.headers or {})

    def __repr__(self) -> str:
        return f"<RawMessage delivery_tag={self.delivery_tag} body_size={len(self.body)}>"


class OutgoingMessage:
    """What :meth:`Channel.prepare_message` returns and :meth:`Channel.basic_publish` takes."""

    __slots__ = ("body", "properties")

    def __init__(self, body: bytes, properties: BasicProperties) -> None:
        self.body = body
        self.properties = properties


class TransportMessage(kombu_base.Message):
    """kombu's message, made from a :class:`RawMessage`."""

    def __init__(self, msg: RawMessage, channel: TransportChannel | None = None, **kwargs: Any) -> None:
        core = msg._core_properties
        super().__init__(  # type: ignore[no-untyped-call]
            body=msg.body,
            channel=channel,
            delivery_tag=msg.delivery_tag,
            content_type=core.content_type,
            content_encoding=core.content_encoding,
            delivery_info=msg.delivery_info,
            properties=msg.properties,
            headers=core.headers or {},
            **kwargs,
        )


class TransportChannel(kombu_base.StdChannel):
    """A channel with py-amqp's API, on an :class:`amqproto.Channel`.

    Made by :meth:`TransportConnection.channel`.  Synchronous methods wait for their
    reply (handling what arrives meanwhile); ``nowait=True`` ones return at
    once.
    """

    Message = TransportMessage

    def __init__(self, connection: TransportConnection, core: CoreChannel) -> None:
        self.connection: TransportConnection | None = connection
        self.channel_id = core.id
        self._core = core
        #: Consumer callbacks by consumer tag, as py-amqp names them.
        self.callbacks: dict[str, Callable[[RawMessage], Any]] = {}
        self.cancel_callbacks: dict[str, Callable[[str], Any]] = {}
        #: Tags of consumers that need no ack (kombu's Message reads it).
        self.no_ack_consumers: set[str] = set()  # type: ignore[assignment]  # kombu types it as None
        #: ``events["basic_return"]``: callables ``(exc, exchange, routing_key, message)``.
        self.events: dict[str, set[Callable[..., Any]]] = {"basic_return": set()}
        self._closed_error: AMQPError | None = None
        # Publish sequence numbers settled by the broker, while a publish waits for them.
        self._acked: set[int] = set()
        self._nacked: set[int] = set()
        self._confirm_selected = False

    def __repr__(self) -> str:
        return f"<amqproto kombu Channel {self.channel_id}>"

    @property
    def is_open(self) -> bool:
        return self._closed_error is None and self._core.is_open

    # -- plumbing ---------------------------------------------------------------

    def _conn(self) -> TransportConnection:
        connection = self.connection
        if connection is None or self._closed_error is not None:
            # py-amqp's answer to a call on a closed channel, whoever closed
            # it (kombu's ensure() then revives the channel); the reason is
            # the cause.
            raise amqp_exceptions.RecoverableConnectionError("channel already closed") from self._closed_error
        return connection

    def _call(
        self, send: Callable[[CoreChannel], Request[Any]], timeout: float | None = None
    ) -> Method | None:
        """Send a request and wait for its reply (``None`` for a nowait request)."""
        connection = self._conn()
        with connection._lock:
            try:
                request = send(self._core)
            except ChannelClosedError as exc:
                raise _amqp_error(exc) from None
            connection._flush()
        if not request.expects_reply:
            return None
        return connection._wait_reply(self, request, timeout).reply

    def _on_closed(self, error: AMQPError) -> None:
        self._closed_error = error
        self.callbacks.clear()
        self.cancel_callbacks.clear()
        self.no_ack_consumers.clear()

    # -- channel ---------------------------------------------------------------

    def open(self) -> None:
        """Opened by :meth:`TransportConnection.channel`; kept for py-amqp's API."""

    def close(self, reply_code: int = 0, reply_text: str = "", method_sig: tuple[int, int] = (0, 0)) -> None:
        """Close the channel and wait for the broker's close-ok; closing a closed channel does nothing."""
        connection = self.connection
        if connection is None:
            return
        try:
            if self._closed_error is None and connection.connected:
                with connection._lock:
                    request = self._core.close(reply_code or 200, reply_text, *method_sig)
                    connection._flush()
                connection._wait_closed(self, request, _CLOSE_TIMEOUT)
        finally:
            self.collect()

    def collect(self) -> None:
        """Forget the channel without I/O."""
        connection = self.connection
        if connection is not None:
            connection.channels.pop(self.channel_id, None)
        if self._closed_error is None:
            self._on_closed(ChannelClosedError(f"channel {self.channel_id} was closed"))
        self.connection = None

    def flow(self, active: bool) -> None:
        self._call(lambda core: core.flow(active))

    # -- exchanges and queues --------------------------------------------------

    def exchange_declare(
        self,
        exchange: str,
        type: str,  # noqa: A002 -- py-amqp's keyword, which kombu passes by name
        passive: bool = False,
        durable: bool = False,
        auto_delete: bool = True,
        nowait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        self._call(
            lambda core: core.exchange_declare(
                exchange, type, passive, durable, auto_delete, False, nowait, dict(arguments or {})
            )
        )

    def exchange_delete(self, exchange: str, if_unused: bool = False, nowait: bool = False, **_: Any) -> None:
        self._call(lambda core: core.exchange_delete(exchange, if_unused, nowait))

    def exchange_bind(
        self,
        destination: str,
        source: str = "",
        routing_key: str = "",
        nowait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        self._call(
            lambda core: core.exchange_bind(destination, source, routing_key, nowait, dict(arguments or {}))
        )

    def exchange_unbind(
        self,
        destination: str,
        source: str = "",
        routing_key: str = "",
        nowait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        self._call(
            lambda core: core.exchange_unbind(destination, source, routing_key, nowait, dict(arguments or {}))
        )

    def queue_declare(
        self,
        queue: str = "",
        passive: bool = False,
        durable: bool = False,
        exclusive: bool = False,
        auto_delete: bool = True,
        nowait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> queue_declare_ok_t | None:
        """Declare a queue.

        Returns ``(queue, message_count, consumer_count)``, or ``None`` with ``nowait``.
        """
        reply = self._call(
            lambda core: core.queue_declare(
                queue, passive, durable, exclusive, auto_delete, nowait, dict(arguments or {})
            )
        )
        if reply is None:
            return None
        return queue_declare_ok_t(reply.queue, reply.message_count, reply.consumer_count)  # type: ignore[attr-defined]

    def queue_bind(
        self,
        queue: str,
        exchange: str = "",
        routing_key: str = "",
        nowait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        self._call(lambda core: core.queue_bind(queue, exchange, routing_key, nowait, dict(arguments or {})))

    def queue_unbind(
        self,
        queue: str,
        exchange: str,
        routing_key: str = "",
        nowait: bool = False,
        arguments: Mapping[str, Any] | None = None,
        **_: Any,
    ) -> None:
        # queue.unbind has no nowait in AMQP 0-9-1: it always waits.
        self._call(lambda core: core.queue_unbind(queue, exchange, routing_key, dict(arguments or {})))

    def queue_purge(self, queue: str = "", nowait: bool = False, **_: Any) -> int | None:
        """Purge a queue; returns how many messages went, or ``None`` with ``nowait``."""
        reply = self._call(lambda core: core.queue_purge(queue, nowait))
        return None if reply is None else reply.message_count  # type: ignore[attr-defined]

    def queue_delete(
        self, queue: str = "", if_unused: bool = False, if_empty: bool = False, nowait: bool = False, **_: Any
    ) -> int | None:
        """Delete a queue; returns how many messages it held, or ``None`` with ``nowait``."""
        reply = self._call(lambda core: core.queue_delete(queue, if_unused, if_empty, nowait))
        return None if reply is None else reply.message_count  # type: ignore[attr-defined]

    def prepare_queue_arguments(self, arguments: Mapping[str, Any], **kwargs: Any) -> Any:
        return kombu_base.to_rabbitmq_queue_arguments(arguments, **kwargs)

    # -- basic -------------------------------------------------------------------

    def basic_qos(self, prefetch_size: int, prefetch_count: int, a_global: bool, **_: Any) -> None:
        self._call(lambda core: core.basic_qos(prefetch_size, prefetch_count, a_global))

    def basic_consume(
        self,
        queue: str = "",
        consumer_tag: str = "",
        no_local: bool = False,
        no_ack: bool = False,
        exclusive: bool = False,
        nowait: bool = False,
        callback: Callable[[RawMessage], Any] | None = None,
        arguments: Mapping[str, Any] | None = None,
        on_cancel: Callable[[str], Any] | None = None,
        **_: Any,
    ) -> str:
        """Start a consumer; returns its tag (with ``nowait`` the tag must be given)."""
        if nowait and not consumer_tag:
            raise ConfigurationError("basic_consume with nowait=True needs a consumer_tag")
        connection = self._conn()
        with connection._lock:
            try:
                request = self._core.basic_consume(
                    queue, consumer_tag, no_local, no_ack, exclusive, nowait, dict(arguments or {})
                )
            except ChannelClosedError as exc:
                raise _amqp_error(exc) from None
            connection._flush()
        if nowait:
            self._register_consumer(consumer_tag, no_ack, callback, on_cancel)
            return consumer_tag
        # Register under the tag we asked for first, so that a delivery
        # arriving with the consume-ok is not refused for want of a callback;
        # the broker's tag (when we let it choose) is known only at the reply.
        if consumer_tag:
            self._register_consumer(consumer_tag, no_ack, callback, on_cancel)
        reply = connection._wait_reply(self, request, None).reply
        tag: str = reply.consumer_tag  # type: ignore[attr-defined]
        self._register_consumer(tag, no_ack, callback, on_cancel)
        return tag

    def _register_consumer(
        self,
        tag: str,
        no_ack: bool,
        callback: Callable[[RawMessage], Any] | None,
        on_cancel: Callable[[str], Any] | None,
    ) -> None:
        if callback is not None:
            self.callbacks[tag] = callback
        if on_cancel is not None:
            self.cancel_callbacks[tag] = on_cancel
        if no_ack:
            self.no_ack_consumers.add(tag)

    def _forget_consumer(self, tag: str) -> Callable[[str], Any] | None:
        self.callbacks.pop(tag, None)
        self.no_ack_consumers.discard(tag)
        return self.cancel_callbacks.pop(tag, None)

    def basic_cancel(self, consumer_tag: str, nowait: bool = False, **_: Any) -> None:
        if self.connection is None or self._closed_error is not None:
            self._forget_consumer(consumer_tag)
            return
        self._call(lambda core: core.basic_cancel(consumer_tag, nowait))
        self._forget_consumer(consumer_tag)

    def basic_get(self, queue: str = "", no_ack: bool = False, **_: Any) -> RawMessage | None:
        """Fetch one message, or ``None`` when the queue is empty."""
        connection = self._conn()
        with connection._lock:
            try:
                request = self._core.basic_get(queue, no_ack)
            except ChannelClosedError as exc:
                raise _amqp_error(exc) from None
            connection._flush()
        event = connection._wait_reply(self, request, None)
        reply = event.reply
        if type(reply) is not BasicGetOk:
            return None
        assert event.properties is not None and event.body is not None
        return RawMessage(
            self,
            event.body,
            event.properties,
            {
                "delivery_tag": reply.delivery_tag,
                "redelivered": reply.redelivered,
                "exchange": reply.exchange,
                "routing_key": reply.routing_key,
                "message_count": reply.message_count,
            },
        )

    def prepare_message(
        self,
        body: bytes | str,
        priority: int | None = None,
        content_type: str | None = None,
        content_encoding: str | None = None,
        headers: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
    ) -> OutgoingMessage:
        """Build the message :meth:`basic_publish` sends (kombu's producer calls this)."""
        fields: dict[str, Any] = {}
        if properties:
            fields.update(properties)
        if priority is not None:
            fields["priority"] = priority
        if content_type is not None:
            fields["content_type"] = content_type
        if content_encoding is not None:
            fields["content_encoding"] = content_encoding
        if headers:
            fields["application_headers"] = headers
        if isinstance(body, str):
            encoding = fields.get("content_encoding") or "utf-8"
            fields["content_encoding"] = encoding
            body = body.encode(encoding)
        return OutgoingMessage(body, _properties_from_amqp(fields))

    def message_to_python(self, raw_message: RawMessage) -> TransportMessage:
        """kombu's message for a raw one."""
        return TransportMessage(raw_message, channel=self)

    def basic_publish(
        self,
        msg: OutgoingMessage | bytes | str,
        exchange: str = "",
        routing_key: str = "",
        mandatory: bool = False,
        immediate: bool = False,
        timeout: float | None = None,
        confirm_timeout: float | None = None,
        **_: Any,
    ) -> None:
        """Publish a message; with ``confirm_publish``, wait for the broker's ack.

        Raises:
            amqp.exceptions.MessageNacked: the broker nacked it.
            socket.timeout: no confirm within ``confirm_timeout`` (or ``timeout``).
        """
        if not isinstance(msg, OutgoingMessage):
            msg = self.prepare_message(msg)
        connection = self.connection
        if connection is None or self._closed_error is not None:
            connection = self._conn()  # raises
        confirm = connection.confirm_publish
        if confirm and not self._confirm_selected:
            self._confirm_selected = True
            self._call(lambda core: core.confirm_select())
        with connection._lock:
            try:
                sequence = self._core.basic_publish(
                    msg.body,
                    exchange,
                    routing_key or "",
                    properties=msg.properties,
                    mandatory=mandatory,
                    immediate=immediate,
                )
            except ChannelClosedError as exc:
                raise _amqp_error(exc) from None
            connection._flush()
        if sequence is None or not confirm:
            return
        wait = confirm_timeout or connection.confirm_timeout or timeout
        connection._wait_confirm(self, sequence, wait)

    basic_publish_confirm = basic_publish

    def basic_ack(self, delivery_tag: int, multiple: bool = False, **_: Any) -> None:
        self._send_async(lambda core: core.basic_ack(delivery_tag, multiple))

    def basic_nack(self, delivery_tag: int, multiple: bool = False, requeue: bool = True, **_: Any) -> None:
        self._send_async(lambda core: core.basic_nack(delivery_tag, multiple, requeue))

    def basic_reject(self, delivery_tag: int, requeue: bool = True, **_: Any) -> None:
        self._send_async(lambda core: core.basic_reject(delivery_tag, requeue))

    def basic_recover_async(self, requeue: bool = False) -> None:
        self._send_async(lambda core: core.basic_recover_async(requeue))

    def basic_recover(self, requeue: bool = False) -> None:
        self._call(lambda core: core.basic_recover(requeue))

    def _send_async(self, send: Callable[[CoreChannel], None]) -> None:
        """An asynchronous method (ack, reject, ...): safe to call from any thread."""
        connection = self._conn()
        with connection._lock:
            try:
                send(self._core)
            except ChannelClosedError as exc:
                raise _amqp_error(exc) from None
            connection._flush()

    # -- confirm and tx ----------------------------------------------------------

    def confirm_select(self, nowait: bool = False) -> None:
        self._confirm_selected = True
        self._call(lambda core: core.confirm_select(nowait))

    def tx_select(self) -> None:
        self._call(lambda core: core.tx_select())

    def tx_commit(self) -> None:
        self._call(lambda core: core.tx_commit())

    def tx_rollback(self) -> None:
        self._call(lambda core: core.tx_rollback())


def _authentication(login_method: str | None, userid: str | None, password: str | None) -> Authentication:
    method = (login_method or "PLAIN").upper()
    if method == "EXTERNAL":
        return EXTERNAL()
    if method == "AMQPLAIN":
        return AMQPLAIN(userid or "guest", password or "guest")
    if method == "PLAIN":
        return PLAIN(userid or "guest", password or "guest")
    raise ConfigurationError(f"login_method {login_method!r} is not supported (PLAIN, AMQPLAIN or EXTERNAL)")


def _ssl_context(options: Any, hostname: str) -> tuple[ssl_module.SSLContext, str | None]:
    """The TLS context and server name for kombu's ``ssl`` option (``True``, a dict or a context)."""
    if isinstance(options, ssl_module.SSLContext):
        return options, hostname
    if not isinstance(options, Mapping):
        return ssl_module.create_default_context(), hostname
    options = dict(options)
    context = options.get("context")
    if context is None:
        context = ssl_module.create_default_context(cafile=options.get("ca_certs"))
        if options.get("certfile"):
            context.load_cert_chain(options["certfile"], options.get("keyfile"))
        cert_reqs = options.get("cert_reqs")
        if cert_reqs is not None:
            if cert_reqs == ssl_module.CERT_NONE:
                context.check_hostname = False
            context.verify_mode = cert_reqs
    server_hostname = options.get("server_hostname", hostname)
    return context, server_hostname


def _split_host(host: str, default_port: int) -> tuple[str, int]:
    if host.startswith("["):  # [IPv6]:port
        address, _, rest = host[1:].partition("]")
        return address, int(rest[1:]) if rest.startswith(":") else default_port
    if host.count(":") == 1:
        address, _, port = host.partition(":")
        return address, int(port)
    return host, default_port


class TransportConnection:
    """A connection with py-amqp's API, driving an :class:`amqproto.Connection` (see the module docstring).

    Takes py-amqp's keyword arguments (which kombu's transport builds from
    the URL and ``transport_options``); unknown ones are ignored.
    """

    Channel = TransportChannel

    def __init__(
        self,
        host: str = "localhost:5672",
        userid: str | None = "guest",
        password: str | None = "guest",
        login_method: str | None = None,
        virtual_host: str = "/",
        ssl: Any = False,
        connect_timeout: float | None = None,
        heartbeat: float | None = 0,
        confirm_publish: bool = False,
        confirm_timeout: float | None = None,
        client_properties: Mapping[str, Any] | None = None,
        channel_max: int | None = None,
        frame_max: int | None = None,
        locale: str = "en_US",
        write_timeout: float | None = None,
        socket_settings: Mapping[int, int] | None = None,
        on_blocked: Callable[[str], Any] | None = None,
        on_unblocked: Callable[[], Any] | None = None,
        **_unknown: Any,
    ) -> None:
        self.host = host
        self.virtual_host = virtual_host or "/"
        self.ssl = ssl
        self.connect_timeout = connect_timeout
        self.confirm_publish = bool(confirm_publish)
        self.confirm_timeout = confirm_timeout
        self.write_timeout = write_timeout
        self.socket_settings = dict(socket_settings or {})
        self.on_blocked = on_blocked
        self.on_unblocked = on_unblocked
        #: The kombu connection that owns this one (set by kombu).
        self.client: Any = None
        self._auth = _authentication(login_method, userid, password)
        self._wanted_heartbeat = int(heartbeat or 0)
        self._core = CoreConnection(
            auth=self._auth,
            virtual_host=self.virtual_host,
            heartbeat=self._wanted_heartbeat,
            frame_max=frame_max or 131072,
            channel_max=channel_max or 2047,
            client_properties={"product": "amqproto (kombu transport)", **(client_properties or {})},
            locale=locale,
        )
        self._sock: socket.socket | None = None
        self._poll: select.poll | None = None
        #: Open channels by id.
        self.channels: dict[int, TransportChannel] = {}
        self._pending: deque[Event] = deque()
        self._replies: dict[Request[Any], ReplyReceived] = {}
        self._lock = threading.RLock()
        self._read_lock = threading.RLock()
        self._closed_error: AMQPError | None = None
        self._last_write = 0.0
        self._heartbeat_stop = threading.Event()
        self._heartbeat_thread: threading.Thread | None = None
        #: Set by :meth:`Transport.register_with_event_loop`: tells the event
        #: loop that events wait in ``_pending`` (see :meth:`_notify_pending`).
        self.on_pending: Callable[[], Any] | None = None

    def __repr__(self) -> str:
        return f"<amqproto kombu Connection {self.host}{self.virtual_host} {self._core.state.value}>"

    def __enter__(self) -> TransportConnection:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what kombu reads -------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._sock is not None and self._core.state is _OPEN

    @property
    def sock(self) -> socket.socket | None:
        """The socket, for Celery's event loop (``add_reader``)."""
        return self._sock

    @property
    def transport(self) -> TransportConnection:
        """This connection: code written for py-amqp reaches ``connection.transport.sock``."""
        return self

    @property
    def heartbeat(self) -> int:
        """The negotiated heartbeat interval in seconds (0: off)."""
        return self._core.heartbeat

    @property
    def server_properties(self) -> dict[str, Any]:
        return dict(self._core.server_properties)

    @property
    def server_capabilities(self) -> dict[str, Any]:
        capabilities = self._core.server_properties.get("capabilities")
        return dict(capabilities) if isinstance(capabilities, Mapping) else {}

    @property
    def frame_max(self) -> int:
        return self._core.frame_max

    @property
    def channel_max(self) -> int:
        return self._core.channel_max

    # -- connecting and closing -------------------------------------------------

    def connect(self, callback: Callable[[], Any] | None = None) -> TransportConnection:
        """Open the TCP (and TLS) connection and do the AMQP handshake, within ``connect_timeout``.

        Raises:
            OSError: the connection was refused or timed out (``socket.timeout``).
        """
        if self.connected:
            return self
        deadline = None if self.connect_timeout is None else time.monotonic() + self.connect_timeout
        address, port = _split_host(self.host, 5671 if self.ssl else 5672)
        sock = socket.create_connection((address, port), timeout=self.connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for option, value in self.socket_settings.items():
                sock.setsockopt(socket.IPPROTO_TCP, option, value)
            if self.ssl:
                context, server_hostname = _ssl_context(self.ssl, address)
                sock = context.wrap_socket(sock, server_hostname=server_hostname)
            sock.settimeout(self.write_timeout)
        except BaseException:
            sock.close()
            raise
        self._sock = sock
        self._poll = select.poll()
        self._poll.register(sock.fileno(), select.POLLIN)
        try:
            with self._lock:
                self._flush()
            while not any(type(event) is ConnectionOpened for event in self._pending):
                self._read_once(deadline)
                for event in self._pending:
                    if type(event) is ConnectionClosed:
                        raise _amqp_error(event.error or ConnectionClosedError("closed during the handshake"))
        except BaseException:
            self._drop_socket()
            raise
        self._pending.clear()
        if self._core.heartbeat:
            self._start_heartbeat_thread()
        if callback is not None:
            callback()
        return self

    def close(self, reply_code: int = 0, reply_text: str = "", method_sig: tuple[int, int] = (0, 0)) -> None:
        """Close the connection politely (waiting a few seconds at most for the broker), then the socket."""
        try:
            if self.connected:
                with self._lock:
                    self._core.close(reply_code or 200, reply_text, *method_sig)
                    self._flush()
                deadline = time.monotonic() + _CLOSE_TIMEOUT
                while self._sock is not None and self._core.state is not _CLOSED:
                    self._read_once(deadline)
        except (OSError, AMQPError):
            pass  # the socket is going anyway
        finally:
            self.collect()

    def collect(self) -> None:
        """Drop the socket and every channel, with no I/O."""
        self._drop_socket()
        for channel in list(self.channels.values()):
            channel.collect()
        self.channels.clear()
        self._pending.clear()
        self._replies.clear()

    def _drop_socket(self) -> None:
        self._heartbeat_stop.set()
        sock, self._sock = self._sock, None
        self._poll = None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    # -- channels ---------------------------------------------------------------

    def channel(
        self, channel_id: int | None = None, callback: Callable[[TransportChannel], Any] | None = None
    ) -> TransportChannel:
        """The open channel ``channel_id``, or a new one (opened before it is returned)."""
        if channel_id is not None and channel_id in self.channels:
            return self.channels[channel_id]
        if not self.connected:
            raise amqp_exceptions.RecoverableConnectionError("Connection already closed.")
        with self._lock:
            try:
                core = self._core.open_channel(channel_id)
            except ConnectionClosedError as exc:
                raise _amqp_error(exc) from None
            except AMQPError as exc:
                raise amqp_exceptions.ResourceError(str(exc)) from exc
            channel = self.Channel(self, core)
            self.channels[core.id] = channel
            self._flush()
        self._wait_reply(channel, core.open_request, None)
        if callback is not None:
            callback(channel)
        return channel

    # -- the driver -------------------------------------------------------------

    def _flush(self) -> None:
        """Write what the core queued; the caller holds ``_lock``."""
        core = self._core
        if not core.has_data_to_send:
            return
        data = core.data_to_send()
        sock = self._sock
        if sock is None:
            return
        sock.sendall(data)
        self._last_write = time.monotonic()

    def _read_once(self, deadline: float | None) -> None:
        """Wait (until ``deadline``) for data, feed it to the core, queue the events.

        Runs the core's heartbeat timer while it waits.

        Raises:
            socket.timeout: nothing arrived by ``deadline``.
        """
        with self._read_lock:
            sock, poller = self._sock, self._poll
            if sock is None or poller is None:
                raise _amqp_error(self._closed_error or ConnectionClosedError("connection already closed"))
            core = self._core
            while True:
                # What is already there is read before the timer runs: data
                # left unread (a long callback) is no silence of the broker's.
                ready = (isinstance(sock, ssl_module.SSLSocket) and sock.pending() > 0) or bool(
                    poller.poll(0)
                )
                if not ready:
                    now = time.monotonic()
                    timer = core.get_timer()
                    if timer is not None and timer <= now:
                        self._tick(now)
                        if self._sock is None:
                            return  # the broker was silent too long: the events say so
                        timer = core.get_timer()
                    wait_until = deadline
                    if timer is not None and (wait_until is None or timer < wait_until):
                        wait_until = timer
                    timeout_ms = (
                        None if wait_until is None else max(0, int((wait_until - now) * 1000 + 0.999))
                    )
                    ready = bool(poller.poll(timeout_ms))
                if ready:
                    try:
                        data = sock.recv(_READ_SIZE)
                    except ssl_module.SSLWantReadError:
                        continue
                    except OSError:
                        # The transport is gone (reset, or the socket closed
                        # under us): the core learns it; kombu gets the OSError.
                        with self._lock:
                            self._core.receive_data(b"")
                            self._drop_socket()
                        raise
                    self._feed(data)
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    raise TimeoutError("timed out")

    def _feed(self, data: bytes) -> None:
        """Give the core what was read (``b""``: the broker closed the socket)."""
        with self._lock:
            try:
                events = self._core.receive_data(data)
            except HardError as exc:
                # The core queued connection.close with the violation's code.
                self._pending.extend(exc.events)
                self._closed_error = exc
                try:
                    self._flush()
                finally:
                    self._drop_socket()
                raise _amqp_error(exc) from None
            self._pending.extend(events)
            if self._core.state is _CLOSED:
                with contextlib.suppress(OSError):
                    self._flush()  # a close-ok
                self._drop_socket()
            else:
                self._flush()

    def _tick(self, now: float) -> None:
        with self._lock:
            events = self._core.handle_timer(now)
            if events:
                self._pending.extend(events)
                self._drop_socket()
            else:
                self._flush()

    def _step(self, deadline: float | None) -> None:
        """Handle one pending event, or read more (one thread at a time: events are handled in order)."""
        with self._read_lock:
            if self._pending:
                self._dispatch(self._pending.popleft())
            else:
                self._read_once(deadline)

    def _wait_reply(
        self, channel: TransportChannel, request: Request[Any], timeout: float | None
    ) -> ReplyReceived:
        """Handle events until ``request`` has its reply; raise the channel's error if it closes first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        replies = self._replies
        while True:
            event = replies.pop(request, None)
            if event is not None:
                self._notify_pending()
                return event
            error = channel._closed_error
            if error is not None:
                raise _amqp_error(error.again())
            self._step(deadline)

    def _wait_closed(self, channel: TransportChannel, request: Request[Any], timeout: float | None) -> None:
        """Handle events until the channel's :class:`ChannelClosed` was handled.

        Not only until its close-ok: the core frees the channel's id at
        once, so the event must be handled before a new channel can take
        the id, or it would be taken for the new channel's.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while channel._closed_error is None:
            self._step(deadline)
        self._replies.pop(request, None)
        self._notify_pending()

    def _notify_pending(self) -> None:
        """Tell the event loop (Celery's hub) that events wait, read from the socket by a blocking call.

        The reply a call waited for may come in the same read as deliveries
        after it; they wait in ``_pending``, and the socket, already read,
        would not wake the loop for them.
        """
        if self._pending and self.on_pending is not None:
            self.on_pending()

    def _wait_confirm(self, channel: TransportChannel, sequence: int, timeout: float | None) -> None:
        deadline = None if timeout is None else time.monotonic() + timeout
        # Settled when the event is handled, not when the core reads the ack:
        # a basic.return for the publish comes as an event before it.
        while True:
            if sequence in channel._acked:
                channel._acked.discard(sequence)
                self._notify_pending()
                return
            if sequence in channel._nacked:
                channel._nacked.discard(sequence)
                raise amqp_exceptions.MessageNacked()
            error = channel._closed_error
            if error is not None:
                raise _amqp_error(error.again())
            self._step(deadline)

    def _dispatch(self, event: Event) -> None:
        """Act on one event from the core (see the module docstring)."""
        kind = type(event)
        if kind is MessageDelivered:
            assert isinstance(event, MessageDelivered)
            self._deliver(event)
        elif kind is ReplyReceived:
            assert isinstance(event, ReplyReceived)
            if event.request.expects_reply:
                self._replies[event.request] = event
        elif kind is PublishConfirmed or kind is PublishNacked:
            assert isinstance(event, (PublishConfirmed, PublishNacked))
            channel = self.channels.get(event.channel_id)
            # Noted only for a publish that waits for its confirm (confirm_publish).
            if channel is not None and self.confirm_publish:
                (channel._acked if kind is PublishConfirmed else channel._nacked).update(event.delivery_tags)
        elif kind is MessageReturned:
            assert isinstance(event, MessageReturned)
            self._returned(event)
        elif kind is ConsumerCancelled:
            assert isinstance(event, ConsumerCancelled)
            channel = self.channels.get(event.channel_id)
            on_cancel = channel._forget_consumer(event.consumer_tag) if channel is not None else None
            if on_cancel is not None:
                on_cancel(event.consumer_tag)
            else:
                raise amqp_exceptions.ConsumerCancelled(event.consumer_tag, (60, 30))
        elif kind is ChannelClosed:
            assert isinstance(event, ChannelClosed)
            channel = self.channels.get(event.channel_id)
            # The core frees a closed channel's id at once: the id may be a
            # newer channel's by now, which is not the one that closed.
            if channel is not None and channel._core.state is ChannelState.CLOSED:
                del self.channels[event.channel_id]
                channel._on_closed(event.error)
                channel.connection = None
            if isinstance(event.error, SoftError):
                raise _amqp_error(event.error.again())
        elif kind is ConnectionClosed:
            assert isinstance(event, ConnectionClosed)
            self._closed_error = event.error or ConnectionClosedError("the connection was closed")
            self._drop_socket()
            if event.error is not None:
                raise _amqp_error(event.error.again())
        elif kind is ConnectionBlocked:
            assert isinstance(event, ConnectionBlocked)
            if self.on_blocked is not None:
                self.on_blocked(event.reason)
        elif kind is ConnectionUnblocked and self.on_unblocked is not None:
            self.on_unblocked()

    def _deliver(self, event: MessageDelivered) -> None:
        method: BasicDeliver = event.method
        channel = self.channels.get(event.channel_id)
        callback = channel.callbacks.get(method.consumer_tag) if channel is not None else None
        if channel is None or callback is None:
            # No callback (a consumer being cancelled): give it back, as py-amqp does.
            if channel is not None and channel.is_open:
                channel.basic_reject(method.delivery_tag, requeue=True)
            return
        callback(
            RawMessage(
                channel,
                event.body,
                event.properties,
                {
                    "consumer_tag": method.consumer_tag,
                    "delivery_tag": method.delivery_tag,
                    "redelivered": method.redelivered,
                    "exchange": method.exchange,
                    "routing_key": method.routing_key,
                },
            )
        )

    def _returned(self, event: MessageReturned) -> None:
        method: BasicReturn = event.method
        channel = self.channels.get(event.channel_id)
        error = amqp_exceptions.error_for_code(
            method.reply_code, method.reply_text, (60, 50), amqp_exceptions.ChannelError
        )
        handlers = channel.events["basic_return"] if channel is not None else set()
        if not handlers:
            raise error
        message = RawMessage(
            channel,
            event.body,
            event.properties,
            {"exchange": method.exchange, "routing_key": method.routing_key},
        )
        for handler in list(handlers):
            handler(error, method.exchange, method.routing_key, message)

    # -- kombu's event loop and heartbeats --------------------------------------

    def drain_events(self, timeout: float | None = None) -> None:
        """Handle at least one method from the broker (heartbeats don't count).

        With ``timeout=0`` what is already buffered is handled first.

        Raises:
            socket.timeout: nothing arrived within ``timeout`` seconds.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._read_lock:
            pending = self._pending
            while not pending:
                self._read_once(deadline)
            # Everything that one read brought, in order; a callback that
            # raises leaves the rest for the next call.
            for _ in range(len(pending)):
                if not pending:
                    break
                self._dispatch(pending.popleft())

    def heartbeat_tick(self, rate: int = 2) -> None:
        """Send a heartbeat if one is due; raise ``ConnectionForced`` if the broker went silent.

        What the broker sent while nobody read is taken in first (its
        events are handled by the next :meth:`drain_events`), so that a
        long task is not taken for a dead broker.
        """
        if not self._core.heartbeat or self._sock is None:
            return
        if self._read_lock.acquire(blocking=False):
            try:
                poller = self._poll
                if poller is not None and poller.poll(0):
                    self._read_once(time.monotonic())
            except TimeoutError:
                pass
            finally:
                self._read_lock.release()
        self._tick(time.monotonic())
        for event in self._pending:
            if type(event) is ConnectionClosed and isinstance(event.error, HeartbeatTimeout):
                raise _amqp_error(event.error)
        self._notify_pending()

    def send_heartbeat(self) -> None:
        with self._lock:
            sock = self._sock
            if sock is not None:
                sock.sendall(HEARTBEAT_FRAME_BYTES)
                self._last_write = time.monotonic()

    def _start_heartbeat_thread(self) -> None:
        self._heartbeat_stop = stop = threading.Event()
        interval = self._core.heartbeat / 2
        # The thread holds the connection weakly: a connection dropped
        # without close() is still collected (and its socket closed).
        thread = threading.Thread(
            target=_heartbeat_loop,
            args=(weakref.ref(self), stop, interval),
            name="amqproto-kombu-heartbeat",
            daemon=True,
        )
        self._heartbeat_thread = thread
        thread.start()

    def __del__(self) -> None:
        # As py-amqp does: a connection dropped without close() closes its socket.
        if getattr(self, "_sock", None) is not None:
            self._drop_socket()


def _heartbeat_loop(ref: weakref.ref[TransportConnection], stop: threading.Event, interval: float) -> None:
    """Write a heartbeat whenever nothing was written for ``interval``.

    Writes only (see the module docstring).
    """
    while not stop.wait(interval / 2):
        connection = ref()
        if connection is None:
            return
        if time.monotonic() - connection._last_write >= interval:
            try:
                connection.send_heartbeat()
            except OSError:
                return
        del connection


class Transport(kombu_pyamqp.Transport):
    """kombu's AMQP transport on amqproto: ``transport="amqproto.contrib.kombu:Transport"``.

    It takes the URL and options as kombu's ``pyamqp`` transport does
    (``ssl``, ``login_method``, ``connect_timeout``, ``heartbeat``,
    ``transport_options`` such as ``confirm_publish`` and
    ``confirm_timeout``); unknown options are ignored.
    """

    Connection = TransportConnection  # type: ignore[assignment]  # kombu types it as py-amqp's

    driver_name = "amqproto"
    driver_type = "amqp"

    #: py-amqp's error tuples: kombu catches these (and the errors raised are py-amqp's).
    connection_errors = amqp.Connection.connection_errors
    channel_errors = amqp.Connection.channel_errors
    recoverable_connection_errors = amqp.Connection.recoverable_connection_errors
    recoverable_channel_errors = amqp.Connection.recoverable_channel_errors

    implements = kombu_base.Transport.implements.extend(asynchronous=True, heartbeats=True)

    def driver_version(self) -> str:
        return _version.__version__

    def register_with_event_loop(self, connection: TransportConnection, loop: Any) -> None:
        """Read on a readable socket, and when a blocking call left events read but unhandled."""
        connection.on_pending = lambda: loop.call_soon(self.on_readable, connection, loop)
        loop.add_reader(connection.sock, self.on_readable, connection, loop)
        connection._notify_pending()

    def unregister_from_event_loop(self, connection: TransportConnection, loop: Any) -> None:
        connection.on_pending = None
