"""The content-header properties of the ``basic`` class.

Each property is optional: ``None`` means absent, and an absent property
costs nothing on the wire (its flag bit is clear).  ``timestamp`` is an
aware ``datetime`` in UTC; the wire carries whole seconds.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Annotated, ClassVar

from .types import FieldTable, Octet, ShortStr, Table, Timestamp

__all__ = ["BasicProperties", "DeliveryMode"]


class DeliveryMode:
    """Values of :attr:`BasicProperties.delivery_mode`."""

    TRANSIENT: ClassVar[int] = 1
    PERSISTENT: ClassVar[int] = 2


@dataclass(frozen=True, slots=True)
class BasicProperties:
    """Properties of a message (the content header of class ``basic``).

    Declared in wire order: the n-th field owns bit ``15 - n`` of the
    property flags.
    """

    #: The class whose content header this is.
    CLASS_ID: ClassVar[int] = 60

    #: MIME content type, e.g. ``"application/json"``.
    content_type: Annotated[str | None, ShortStr] = None
    #: MIME content encoding, e.g. ``"gzip"``.
    content_encoding: Annotated[str | None, ShortStr] = None
    #: Application headers; any field-table value.
    headers: Annotated[FieldTable | None, Table] = None
    #: 1 = transient, 2 = persistent (see :class:`DeliveryMode`).
    delivery_mode: Annotated[int | None, Octet] = None
    #: Message priority, 0 to 9.
    priority: Annotated[int | None, Octet] = None
    #: Application correlation identifier (RPC).
    correlation_id: Annotated[str | None, ShortStr] = None
    #: Address to reply to (RPC).
    reply_to: Annotated[str | None, ShortStr] = None
    #: Per-message TTL in milliseconds, as a string (RabbitMQ's convention).
    expiration: Annotated[str | None, ShortStr] = None
    #: Application message identifier.
    message_id: Annotated[str | None, ShortStr] = None
    #: Message timestamp (aware, UTC; whole seconds on the wire).
    timestamp: Annotated[datetime.datetime | None, Timestamp] = None
    #: Message type name.
    type: Annotated[str | None, ShortStr] = None
    #: Creating user id; RabbitMQ checks it against the connection's user.
    user_id: Annotated[str | None, ShortStr] = None
    #: Creating application id.
    app_id: Annotated[str | None, ShortStr] = None
    #: Deprecated by RabbitMQ; kept for completeness.
    cluster_id: Annotated[str | None, ShortStr] = None
