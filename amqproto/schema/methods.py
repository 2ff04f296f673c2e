"""Every AMQP 0-9-1 method, RabbitMQ's extensions included, as a frozen dataclass.

Each class is named ``<Class><Method>`` and its fields follow the spec's
argument order and names (in snake_case; ``global`` becomes ``global_``).
Each field is annotated with its wire type, which :mod:`amqproto.wire`
compiles into a codec once, at import.  Every field has a default, so
``QueueDeclare(queue="q", durable=True)`` is a complete method.

Metadata lives in ``ClassVar``s: the class and method ids, whether the
method is synchronous (expects a reply), which methods answer it, whether it
carries content, and which peer may send it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, ClassVar

from .types import (
    Bit,
    FieldTable,
    Long,
    LongLong,
    LongStr,
    Octet,
    Short,
    ShortStr,
    Table,
)

__all__ = ["Method", "METHODS", "METHODS_BY_NAME"]


class Method:
    """Base of every method class.  Holds the metadata each one overrides."""

    __slots__ = ()

    #: The AMQP class id (10 = connection, 60 = basic, ...).
    CLASS_ID: ClassVar[int]
    #: The method id within the class.
    METHOD_ID: ClassVar[int]
    #: The spec's dotted name, ``"basic.publish"``.
    NAME: ClassVar[str]
    #: True when the sender waits for one of :attr:`RESPONSES`.
    SYNCHRONOUS: ClassVar[bool]
    #: The methods that may answer this one (empty for asynchronous ones).
    RESPONSES: ClassVar[tuple[type[Method], ...]] = ()
    #: True when a content header and body frames follow the method.
    HAS_CONTENT: ClassVar[bool]
    #: Which peer may send the method.
    SENT_BY_CLIENT: ClassVar[bool]
    SENT_BY_SERVER: ClassVar[bool]


@dataclass(frozen=True, slots=True)
class ConnectionStart(Method):
    """``connection.start``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 10
    NAME: ClassVar[str] = "connection.start"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    version_major: Annotated[int, Octet] = 0
    version_minor: Annotated[int, Octet] = 9
    server_properties: Annotated[FieldTable, Table] = field(default_factory=dict)
    mechanisms: Annotated[str, LongStr] = 'PLAIN'
    locales: Annotated[str, LongStr] = 'en_US'


@dataclass(frozen=True, slots=True)
class ConnectionStartOk(Method):
    """``connection.start-ok``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 11
    NAME: ClassVar[str] = "connection.start-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    client_properties: Annotated[FieldTable, Table] = field(default_factory=dict)
    mechanism: Annotated[str, ShortStr] = 'PLAIN'
    response: Annotated[bytes, LongStr] = b''
    locale: Annotated[str, ShortStr] = 'en_US'


@dataclass(frozen=True, slots=True)
class ConnectionSecure(Method):
    """``connection.secure``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 20
    NAME: ClassVar[str] = "connection.secure"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    challenge: Annotated[bytes, LongStr] = b''


@dataclass(frozen=True, slots=True)
class ConnectionSecureOk(Method):
    """``connection.secure-ok``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 21
    NAME: ClassVar[str] = "connection.secure-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    response: Annotated[bytes, LongStr] = b''


@dataclass(frozen=True, slots=True)
class ConnectionTune(Method):
    """``connection.tune``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 30
    NAME: ClassVar[str] = "connection.tune"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    channel_max: Annotated[int, Short] = 0
    frame_max: Annotated[int, Long] = 0
    heartbeat: Annotated[int, Short] = 0


@dataclass(frozen=True, slots=True)
class ConnectionTuneOk(Method):
    """``connection.tune-ok``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 31
    NAME: ClassVar[str] = "connection.tune-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    channel_max: Annotated[int, Short] = 0
    frame_max: Annotated[int, Long] = 0
    heartbeat: Annotated[int, Short] = 0


@dataclass(frozen=True, slots=True)
class ConnectionOpen(Method):
    """``connection.open``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 40
    NAME: ClassVar[str] = "connection.open"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    virtual_host: Annotated[str, ShortStr] = '/'
    capabilities: Annotated[str, ShortStr] = ''
    insist: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class ConnectionOpenOk(Method):
    """``connection.open-ok``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 41
    NAME: ClassVar[str] = "connection.open-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    known_hosts: Annotated[str, ShortStr] = ''


@dataclass(frozen=True, slots=True)
class ConnectionClose(Method):
    """``connection.close``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 50
    NAME: ClassVar[str] = "connection.close"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True

    reply_code: Annotated[int, Short] = 0
    reply_text: Annotated[str, ShortStr] = ''
    class_id: Annotated[int, Short] = 0
    method_id: Annotated[int, Short] = 0


@dataclass(frozen=True, slots=True)
class ConnectionCloseOk(Method):
    """``connection.close-ok``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 51
    NAME: ClassVar[str] = "connection.close-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ConnectionBlocked(Method):
    """``connection.blocked``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 60
    NAME: ClassVar[str] = "connection.blocked"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    reason: Annotated[str, ShortStr] = ''


@dataclass(frozen=True, slots=True)
class ConnectionUnblocked(Method):
    """``connection.unblocked``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 61
    NAME: ClassVar[str] = "connection.unblocked"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ConnectionUpdateSecret(Method):
    """``connection.update-secret``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 70
    NAME: ClassVar[str] = "connection.update-secret"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    new_secret: Annotated[bytes, LongStr] = b''
    reason: Annotated[str, ShortStr] = ''


@dataclass(frozen=True, slots=True)
class ConnectionUpdateSecretOk(Method):
    """``connection.update-secret-ok``."""

    CLASS_ID: ClassVar[int] = 10
    METHOD_ID: ClassVar[int] = 71
    NAME: ClassVar[str] = "connection.update-secret-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ChannelOpen(Method):
    """``channel.open``."""

    CLASS_ID: ClassVar[int] = 20
    METHOD_ID: ClassVar[int] = 10
    NAME: ClassVar[str] = "channel.open"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    out_of_band: Annotated[str, ShortStr] = ''


@dataclass(frozen=True, slots=True)
class ChannelOpenOk(Method):
    """``channel.open-ok``."""

    CLASS_ID: ClassVar[int] = 20
    METHOD_ID: ClassVar[int] = 11
    NAME: ClassVar[str] = "channel.open-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    channel_id: Annotated[bytes, LongStr] = b''


@dataclass(frozen=True, slots=True)
class ChannelFlow(Method):
    """``channel.flow``."""

    CLASS_ID: ClassVar[int] = 20
    METHOD_ID: ClassVar[int] = 20
    NAME: ClassVar[str] = "channel.flow"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True

    active: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class ChannelFlowOk(Method):
    """``channel.flow-ok``."""

    CLASS_ID: ClassVar[int] = 20
    METHOD_ID: ClassVar[int] = 21
    NAME: ClassVar[str] = "channel.flow-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True

    active: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class ChannelClose(Method):
    """``channel.close``."""

    CLASS_ID: ClassVar[int] = 20
    METHOD_ID: ClassVar[int] = 40
    NAME: ClassVar[str] = "channel.close"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True

    reply_code: Annotated[int, Short] = 0
    reply_text: Annotated[str, ShortStr] = ''
    class_id: Annotated[int, Short] = 0
    method_id: Annotated[int, Short] = 0


@dataclass(frozen=True, slots=True)
class ChannelCloseOk(Method):
    """``channel.close-ok``."""

    CLASS_ID: ClassVar[int] = 20
    METHOD_ID: ClassVar[int] = 41
    NAME: ClassVar[str] = "channel.close-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class AccessRequest(Method):
    """``access.request``."""

    CLASS_ID: ClassVar[int] = 30
    METHOD_ID: ClassVar[int] = 10
    NAME: ClassVar[str] = "access.request"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    realm: Annotated[str, ShortStr] = '/data'
    exclusive: Annotated[bool, Bit] = False
    passive: Annotated[bool, Bit] = True
    active: Annotated[bool, Bit] = True
    write: Annotated[bool, Bit] = True
    read: Annotated[bool, Bit] = True


@dataclass(frozen=True, slots=True)
class AccessRequestOk(Method):
    """``access.request-ok``."""

    CLASS_ID: ClassVar[int] = 30
    METHOD_ID: ClassVar[int] = 11
    NAME: ClassVar[str] = "access.request-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    ticket: Annotated[int, Short] = 1


@dataclass(frozen=True, slots=True)
class ExchangeDeclare(Method):
    """``exchange.declare``."""

    CLASS_ID: ClassVar[int] = 40
    METHOD_ID: ClassVar[int] = 10
    NAME: ClassVar[str] = "exchange.declare"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    exchange: Annotated[str, ShortStr] = ''
    type: Annotated[str, ShortStr] = 'direct'
    passive: Annotated[bool, Bit] = False
    durable: Annotated[bool, Bit] = False
    auto_delete: Annotated[bool, Bit] = False
    internal: Annotated[bool, Bit] = False
    nowait: Annotated[bool, Bit] = False
    arguments: Annotated[FieldTable, Table] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExchangeDeclareOk(Method):
    """``exchange.declare-ok``."""

    CLASS_ID: ClassVar[int] = 40
    METHOD_ID: ClassVar[int] = 11
    NAME: ClassVar[str] = "exchange.declare-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ExchangeDelete(Method):
    """``exchange.delete``."""

    CLASS_ID: ClassVar[int] = 40
    METHOD_ID: ClassVar[int] = 20
    NAME: ClassVar[str] = "exchange.delete"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    exchange: Annotated[str, ShortStr] = ''
    if_unused: Annotated[bool, Bit] = False
    nowait: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class ExchangeDeleteOk(Method):
    """``exchange.delete-ok``."""

    CLASS_ID: ClassVar[int] = 40
    METHOD_ID: ClassVar[int] = 21
    NAME: ClassVar[str] = "exchange.delete-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ExchangeBind(Method):
    """``exchange.bind``."""

    CLASS_ID: ClassVar[int] = 40
    METHOD_ID: ClassVar[int] = 30
    NAME: ClassVar[str] = "exchange.bind"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    destination: Annotated[str, ShortStr] = ''
    source: Annotated[str, ShortStr] = ''
    routing_key: Annotated[str, ShortStr] = ''
    nowait: Annotated[bool, Bit] = False
    arguments: Annotated[FieldTable, Table] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExchangeBindOk(Method):
    """``exchange.bind-ok``."""

    CLASS_ID: ClassVar[int] = 40
    METHOD_ID: ClassVar[int] = 31
    NAME: ClassVar[str] = "exchange.bind-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ExchangeUnbind(Method):
    """``exchange.unbind``."""

    CLASS_ID: ClassVar[int] = 40
    METHOD_ID: ClassVar[int] = 40
    NAME: ClassVar[str] = "exchange.unbind"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    destination: Annotated[str, ShortStr] = ''
    source: Annotated[str, ShortStr] = ''
    routing_key: Annotated[str, ShortStr] = ''
    nowait: Annotated[bool, Bit] = False
    arguments: Annotated[FieldTable, Table] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExchangeUnbindOk(Method):
    """``exchange.unbind-ok``."""

    CLASS_ID: ClassVar[int] = 40
    METHOD_ID: ClassVar[int] = 51
    NAME: ClassVar[str] = "exchange.unbind-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class QueueDeclare(Method):
    """``queue.declare``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 10
    NAME: ClassVar[str] = "queue.declare"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    queue: Annotated[str, ShortStr] = ''
    passive: Annotated[bool, Bit] = False
    durable: Annotated[bool, Bit] = False
    exclusive: Annotated[bool, Bit] = False
    auto_delete: Annotated[bool, Bit] = False
    nowait: Annotated[bool, Bit] = False
    arguments: Annotated[FieldTable, Table] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueDeclareOk(Method):
    """``queue.declare-ok``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 11
    NAME: ClassVar[str] = "queue.declare-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    queue: Annotated[str, ShortStr] = ''
    message_count: Annotated[int, Long] = 0
    consumer_count: Annotated[int, Long] = 0


@dataclass(frozen=True, slots=True)
class QueueBind(Method):
    """``queue.bind``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 20
    NAME: ClassVar[str] = "queue.bind"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    queue: Annotated[str, ShortStr] = ''
    exchange: Annotated[str, ShortStr] = ''
    routing_key: Annotated[str, ShortStr] = ''
    nowait: Annotated[bool, Bit] = False
    arguments: Annotated[FieldTable, Table] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueBindOk(Method):
    """``queue.bind-ok``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 21
    NAME: ClassVar[str] = "queue.bind-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class QueuePurge(Method):
    """``queue.purge``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 30
    NAME: ClassVar[str] = "queue.purge"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    queue: Annotated[str, ShortStr] = ''
    nowait: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class QueuePurgeOk(Method):
    """``queue.purge-ok``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 31
    NAME: ClassVar[str] = "queue.purge-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    message_count: Annotated[int, Long] = 0


@dataclass(frozen=True, slots=True)
class QueueDelete(Method):
    """``queue.delete``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 40
    NAME: ClassVar[str] = "queue.delete"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    queue: Annotated[str, ShortStr] = ''
    if_unused: Annotated[bool, Bit] = False
    if_empty: Annotated[bool, Bit] = False
    nowait: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class QueueDeleteOk(Method):
    """``queue.delete-ok``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 41
    NAME: ClassVar[str] = "queue.delete-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    message_count: Annotated[int, Long] = 0


@dataclass(frozen=True, slots=True)
class QueueUnbind(Method):
    """``queue.unbind``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 50
    NAME: ClassVar[str] = "queue.unbind"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    queue: Annotated[str, ShortStr] = ''
    exchange: Annotated[str, ShortStr] = ''
    routing_key: Annotated[str, ShortStr] = ''
    arguments: Annotated[FieldTable, Table] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class QueueUnbindOk(Method):
    """``queue.unbind-ok``."""

    CLASS_ID: ClassVar[int] = 50
    METHOD_ID: ClassVar[int] = 51
    NAME: ClassVar[str] = "queue.unbind-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class BasicQos(Method):
    """``basic.qos``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 10
    NAME: ClassVar[str] = "basic.qos"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    prefetch_size: Annotated[int, Long] = 0
    prefetch_count: Annotated[int, Short] = 0
    global_: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class BasicQosOk(Method):
    """``basic.qos-ok``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 11
    NAME: ClassVar[str] = "basic.qos-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class BasicConsume(Method):
    """``basic.consume``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 20
    NAME: ClassVar[str] = "basic.consume"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    queue: Annotated[str, ShortStr] = ''
    consumer_tag: Annotated[str, ShortStr] = ''
    no_local: Annotated[bool, Bit] = False
    no_ack: Annotated[bool, Bit] = False
    exclusive: Annotated[bool, Bit] = False
    nowait: Annotated[bool, Bit] = False
    arguments: Annotated[FieldTable, Table] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class BasicConsumeOk(Method):
    """``basic.consume-ok``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 21
    NAME: ClassVar[str] = "basic.consume-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    consumer_tag: Annotated[str, ShortStr] = ''


@dataclass(frozen=True, slots=True)
class BasicCancel(Method):
    """``basic.cancel``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 30
    NAME: ClassVar[str] = "basic.cancel"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True

    consumer_tag: Annotated[str, ShortStr] = ''
    nowait: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class BasicCancelOk(Method):
    """``basic.cancel-ok``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 31
    NAME: ClassVar[str] = "basic.cancel-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True

    consumer_tag: Annotated[str, ShortStr] = ''


@dataclass(frozen=True, slots=True)
class BasicPublish(Method):
    """``basic.publish``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 40
    NAME: ClassVar[str] = "basic.publish"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = True
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    exchange: Annotated[str, ShortStr] = ''
    routing_key: Annotated[str, ShortStr] = ''
    mandatory: Annotated[bool, Bit] = False
    immediate: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class BasicReturn(Method):
    """``basic.return``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 50
    NAME: ClassVar[str] = "basic.return"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = True
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    reply_code: Annotated[int, Short] = 0
    reply_text: Annotated[str, ShortStr] = ''
    exchange: Annotated[str, ShortStr] = ''
    routing_key: Annotated[str, ShortStr] = ''


@dataclass(frozen=True, slots=True)
class BasicDeliver(Method):
    """``basic.deliver``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 60
    NAME: ClassVar[str] = "basic.deliver"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = True
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    consumer_tag: Annotated[str, ShortStr] = ''
    delivery_tag: Annotated[int, LongLong] = 0
    redelivered: Annotated[bool, Bit] = False
    exchange: Annotated[str, ShortStr] = ''
    routing_key: Annotated[str, ShortStr] = ''


@dataclass(frozen=True, slots=True)
class BasicGet(Method):
    """``basic.get``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 70
    NAME: ClassVar[str] = "basic.get"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    ticket: Annotated[int, Short] = 0
    queue: Annotated[str, ShortStr] = ''
    no_ack: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class BasicGetOk(Method):
    """``basic.get-ok``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 71
    NAME: ClassVar[str] = "basic.get-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = True
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    delivery_tag: Annotated[int, LongLong] = 0
    redelivered: Annotated[bool, Bit] = False
    exchange: Annotated[str, ShortStr] = ''
    routing_key: Annotated[str, ShortStr] = ''
    message_count: Annotated[int, Long] = 0


@dataclass(frozen=True, slots=True)
class BasicGetEmpty(Method):
    """``basic.get-empty``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 72
    NAME: ClassVar[str] = "basic.get-empty"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True

    cluster_id: Annotated[str, ShortStr] = ''


@dataclass(frozen=True, slots=True)
class BasicAck(Method):
    """``basic.ack``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 80
    NAME: ClassVar[str] = "basic.ack"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True

    delivery_tag: Annotated[int, LongLong] = 0
    multiple: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class BasicReject(Method):
    """``basic.reject``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 90
    NAME: ClassVar[str] = "basic.reject"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    delivery_tag: Annotated[int, LongLong] = 0
    requeue: Annotated[bool, Bit] = True


@dataclass(frozen=True, slots=True)
class BasicRecoverAsync(Method):
    """``basic.recover-async``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 100
    NAME: ClassVar[str] = "basic.recover-async"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    requeue: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class BasicRecover(Method):
    """``basic.recover``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 110
    NAME: ClassVar[str] = "basic.recover"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    requeue: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class BasicRecoverOk(Method):
    """``basic.recover-ok``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 111
    NAME: ClassVar[str] = "basic.recover-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class BasicNack(Method):
    """``basic.nack``."""

    CLASS_ID: ClassVar[int] = 60
    METHOD_ID: ClassVar[int] = 120
    NAME: ClassVar[str] = "basic.nack"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = True

    delivery_tag: Annotated[int, LongLong] = 0
    multiple: Annotated[bool, Bit] = False
    requeue: Annotated[bool, Bit] = True


@dataclass(frozen=True, slots=True)
class TxSelect(Method):
    """``tx.select``."""

    CLASS_ID: ClassVar[int] = 90
    METHOD_ID: ClassVar[int] = 10
    NAME: ClassVar[str] = "tx.select"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class TxSelectOk(Method):
    """``tx.select-ok``."""

    CLASS_ID: ClassVar[int] = 90
    METHOD_ID: ClassVar[int] = 11
    NAME: ClassVar[str] = "tx.select-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class TxCommit(Method):
    """``tx.commit``."""

    CLASS_ID: ClassVar[int] = 90
    METHOD_ID: ClassVar[int] = 20
    NAME: ClassVar[str] = "tx.commit"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class TxCommitOk(Method):
    """``tx.commit-ok``."""

    CLASS_ID: ClassVar[int] = 90
    METHOD_ID: ClassVar[int] = 21
    NAME: ClassVar[str] = "tx.commit-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class TxRollback(Method):
    """``tx.rollback``."""

    CLASS_ID: ClassVar[int] = 90
    METHOD_ID: ClassVar[int] = 30
    NAME: ClassVar[str] = "tx.rollback"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False


@dataclass(frozen=True, slots=True)
class TxRollbackOk(Method):
    """``tx.rollback-ok``."""

    CLASS_ID: ClassVar[int] = 90
    METHOD_ID: ClassVar[int] = 31
    NAME: ClassVar[str] = "tx.rollback-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class ConfirmSelect(Method):
    """``confirm.select``."""

    CLASS_ID: ClassVar[int] = 85
    METHOD_ID: ClassVar[int] = 10
    NAME: ClassVar[str] = "confirm.select"
    SYNCHRONOUS: ClassVar[bool] = True
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = True
    SENT_BY_SERVER: ClassVar[bool] = False

    nowait: Annotated[bool, Bit] = False


@dataclass(frozen=True, slots=True)
class ConfirmSelectOk(Method):
    """``confirm.select-ok``."""

    CLASS_ID: ClassVar[int] = 85
    METHOD_ID: ClassVar[int] = 11
    NAME: ClassVar[str] = "confirm.select-ok"
    SYNCHRONOUS: ClassVar[bool] = False
    HAS_CONTENT: ClassVar[bool] = False
    SENT_BY_CLIENT: ClassVar[bool] = False
    SENT_BY_SERVER: ClassVar[bool] = True



# Answers, set once every class exists.
ConnectionStart.RESPONSES = (ConnectionStartOk,)

ConnectionSecure.RESPONSES = (ConnectionSecureOk,)

ConnectionTune.RESPONSES = (ConnectionTuneOk,)

ConnectionOpen.RESPONSES = (ConnectionOpenOk,)

ConnectionClose.RESPONSES = (ConnectionCloseOk,)

ConnectionUpdateSecret.RESPONSES = (ConnectionUpdateSecretOk,)

ChannelOpen.RESPONSES = (ChannelOpenOk,)

ChannelFlow.RESPONSES = (ChannelFlowOk,)

ChannelClose.RESPONSES = (ChannelCloseOk,)

AccessRequest.RESPONSES = (AccessRequestOk,)

ExchangeDeclare.RESPONSES = (ExchangeDeclareOk,)

ExchangeDelete.RESPONSES = (ExchangeDeleteOk,)

ExchangeBind.RESPONSES = (ExchangeBindOk,)

ExchangeUnbind.RESPONSES = (ExchangeUnbindOk,)

QueueDeclare.RESPONSES = (QueueDeclareOk,)

QueueBind.RESPONSES = (QueueBindOk,)

QueuePurge.RESPONSES = (QueuePurgeOk,)

QueueDelete.RESPONSES = (QueueDeleteOk,)

QueueUnbind.RESPONSES = (QueueUnbindOk,)

BasicQos.RESPONSES = (BasicQosOk,)

BasicConsume.RESPONSES = (BasicConsumeOk,)

BasicCancel.RESPONSES = (BasicCancelOk,)

BasicGet.RESPONSES = (BasicGetOk, BasicGetEmpty,)

BasicRecover.RESPONSES = (BasicRecoverOk,)

TxSelect.RESPONSES = (TxSelectOk,)

TxCommit.RESPONSES = (TxCommitOk,)

TxRollback.RESPONSES = (TxRollbackOk,)

ConfirmSelect.RESPONSES = (ConfirmSelectOk,)


#: Every method class by ``(class_id, method_id)``.
METHODS: Mapping[tuple[int, int], type[Method]] = {
    (10, 10): ConnectionStart,
    (10, 11): ConnectionStartOk,
    (10, 20): ConnectionSecure,
    (10, 21): ConnectionSecureOk,
    (10, 30): ConnectionTune,
    (10, 31): ConnectionTuneOk,
    (10, 40): ConnectionOpen,
    (10, 41): ConnectionOpenOk,
    (10, 50): ConnectionClose,
    (10, 51): ConnectionCloseOk,
    (10, 60): ConnectionBlocked,
    (10, 61): ConnectionUnblocked,
    (10, 70): ConnectionUpdateSecret,
    (10, 71): ConnectionUpdateSecretOk,
    (20, 10): ChannelOpen,
    (20, 11): ChannelOpenOk,
    (20, 20): ChannelFlow,
    (20, 21): ChannelFlowOk,
    (20, 40): ChannelClose,
    (20, 41): ChannelCloseOk,
    (30, 10): AccessRequest,
    (30, 11): AccessRequestOk,
    (40, 10): ExchangeDeclare,
    (40, 11): ExchangeDeclareOk,
    (40, 20): ExchangeDelete,
    (40, 21): ExchangeDeleteOk,
    (40, 30): ExchangeBind,
    (40, 31): ExchangeBindOk,
    (40, 40): ExchangeUnbind,
    (40, 51): ExchangeUnbindOk,
    (50, 10): QueueDeclare,
    (50, 11): QueueDeclareOk,
    (50, 20): QueueBind,
    (50, 21): QueueBindOk,
    (50, 30): QueuePurge,
    (50, 31): QueuePurgeOk,
    (50, 40): QueueDelete,
    (50, 41): QueueDeleteOk,
    (50, 50): QueueUnbind,
    (50, 51): QueueUnbindOk,
    (60, 10): BasicQos,
    (60, 11): BasicQosOk,
    (60, 20): BasicConsume,
    (60, 21): BasicConsumeOk,
    (60, 30): BasicCancel,
    (60, 31): BasicCancelOk,
    (60, 40): BasicPublish,
    (60, 50): BasicReturn,
    (60, 60): BasicDeliver,
    (60, 70): BasicGet,
    (60, 71): BasicGetOk,
    (60, 72): BasicGetEmpty,
    (60, 80): BasicAck,
    (60, 90): BasicReject,
    (60, 100): BasicRecoverAsync,
    (60, 110): BasicRecover,
    (60, 111): BasicRecoverOk,
    (60, 120): BasicNack,
    (90, 10): TxSelect,
    (90, 11): TxSelectOk,
    (90, 20): TxCommit,
    (90, 21): TxCommitOk,
    (90, 30): TxRollback,
    (90, 31): TxRollbackOk,
    (85, 10): ConfirmSelect,
    (85, 11): ConfirmSelectOk,
}

#: Every method class by its dotted spec name (``"basic.publish"``).
METHODS_BY_NAME: Mapping[str, type[Method]] = {
    cls.NAME: cls for cls in METHODS.values()
}

__all__ += [
    "ConnectionStart",
    "ConnectionStartOk",
    "ConnectionSecure",
    "ConnectionSecureOk",
    "ConnectionTune",
    "ConnectionTuneOk",
    "ConnectionOpen",
    "ConnectionOpenOk",
    "ConnectionClose",
    "ConnectionCloseOk",
    "ConnectionBlocked",
    "ConnectionUnblocked",
    "ConnectionUpdateSecret",
    "ConnectionUpdateSecretOk",
    "ChannelOpen",
    "ChannelOpenOk",
    "ChannelFlow",
    "ChannelFlowOk",
    "ChannelClose",
    "ChannelCloseOk",
    "AccessRequest",
    "AccessRequestOk",
    "ExchangeDeclare",
    "ExchangeDeclareOk",
    "ExchangeDelete",
    "ExchangeDeleteOk",
    "ExchangeBind",
    "ExchangeBindOk",
    "ExchangeUnbind",
    "ExchangeUnbindOk",
    "QueueDeclare",
    "QueueDeclareOk",
    "QueueBind",
    "QueueBindOk",
    "QueuePurge",
    "QueuePurgeOk",
    "QueueDelete",
    "QueueDeleteOk",
    "QueueUnbind",
    "QueueUnbindOk",
    "BasicQos",
    "BasicQosOk",
    "BasicConsume",
    "BasicConsumeOk",
    "BasicCancel",
    "BasicCancelOk",
    "BasicPublish",
    "BasicReturn",
    "BasicDeliver",
    "BasicGet",
    "BasicGetOk",
    "BasicGetEmpty",
    "BasicAck",
    "BasicReject",
    "BasicRecoverAsync",
    "BasicRecover",
    "BasicRecoverOk",
    "BasicNack",
    "TxSelect",
    "TxSelectOk",
    "TxCommit",
    "TxCommitOk",
    "TxRollback",
    "TxRollbackOk",
    "ConfirmSelect",
    "ConfirmSelectOk",
]
