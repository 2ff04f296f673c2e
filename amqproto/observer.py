"""Metrics and tracing hooks: an observer the adapters call on what happens.

Theory of operation
-------------------
An adapter connection takes ``observer=``: any object with the methods of
:class:`Observer` (subclass :class:`BaseObserver`, whose methods do nothing,
and override the ones you need).  The connection calls it, inline, on each
publish, confirm, nack and return, each delivery and each ack, nack and
reject, when a channel opens or closes and when the connection opens,
closes, is lost or (with recovery) recovered.  The RabbitMQ Java client's
``MetricsCollector`` is the model.

Costs.  With no observer (the default) each hook is one attribute test on
the hot path, and nothing else.  With one, a hook is a method call: keep it
quick (count, observe a histogram).  It runs inline, in the blocking
adapter under the connection's lock: it must not call the connection or
block.  An exception from a hook is logged on the ``amqproto`` logger and
swallowed: metrics never break messaging.

:class:`CountingObserver` counts everything, thread-safely; ``amqproto
perf`` uses it.  Bridging to Prometheus or OpenTelemetry is a subclass of
:class:`BaseObserver` whose hooks increment the library's counters (the
README shows both).
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from .exceptions import AMQPError

__all__ = ["Observer", "BaseObserver", "CountingObserver", "notify_failed"]

logger = logging.getLogger("amqproto")


class Observer(Protocol):
    """What an adapter connection tells its observer.  Channels are named by their id."""

    def connection_opened(self, connection: object) -> None:
        """The handshake completed."""

    def connection_closed(self, connection: object) -> None:
        """The connection was closed by ``close()``."""

    def connection_lost(self, connection: object, error: AMQPError) -> None:
        """The connection ended for another reason (the broker closed it, the transport went, ...)."""

    def connection_recovered(self, connection: object) -> None:
        """Automatic recovery reopened the connection."""

    def channel_opened(self, channel_id: int) -> None: ...

    def channel_closed(self, channel_id: int, error: AMQPError) -> None: ...

    def message_published(self, channel_id: int, size: int) -> None:
        """A ``basic.publish`` with a body of ``size`` bytes was queued for the broker."""

    def publishes_confirmed(self, channel_id: int, count: int) -> None:
        """A ``basic.ack`` confirmed ``count`` publishes."""

    def publishes_nacked(self, channel_id: int, count: int) -> None:
        """A ``basic.nack`` refused ``count`` publishes."""

    def message_returned(self, channel_id: int) -> None:
        """The broker returned a ``mandatory`` message."""

    def message_delivered(self, channel_id: int, size: int) -> None:
        """A message of ``size`` bytes arrived (a consumer's delivery or ``basic.get``)."""

    def message_acked(self, channel_id: int, multiple: bool) -> None: ...

    def message_nacked(self, channel_id: int, multiple: bool, requeue: bool) -> None: ...

    def message_rejected(self, channel_id: int, requeue: bool) -> None: ...


class BaseObserver:
    """An :class:`Observer` whose hooks do nothing: subclass it and override what you need."""

    def connection_opened(self, connection: object) -> None:
        pass

    def connection_closed(self, connection: object) -> None:
        pass

    def connection_lost(self, connection: object, error: AMQPError) -> None:
        pass

    def connection_recovered(self, connection: object) -> None:
        pass

    def channel_opened(self, channel_id: int) -> None:
        pass

    def channel_closed(self, channel_id: int, error: AMQPError) -> None:
        pass

    def message_published(self, channel_id: int, size: int) -> None:
        pass

    def publishes_confirmed(self, channel_id: int, count: int) -> None:
        pass

    def publishes_nacked(self, channel_id: int, count: int) -> None:
        pass

    def message_returned(self, channel_id: int) -> None:
        pass

    def message_delivered(self, channel_id: int, size: int) -> None:
        pass

    def message_acked(self, channel_id: int, multiple: bool) -> None:
        pass

    def message_nacked(self, channel_id: int, multiple: bool, requeue: bool) -> None:
        pass

    def message_rejected(self, channel_id: int, requeue: bool) -> None:
        pass


class CountingObserver(BaseObserver):
    """Counts every hook; safe to share between connections and threads.

    Attributes are plain ints: read them (or :meth:`snapshot`) at any time.
    """

    #: The counters, in the order :meth:`snapshot` gives them.
    COUNTERS = (
        "connections_opened",
        "connections_closed",
        "connections_lost",
        "connections_recovered",
        "channels_opened",
        "channels_closed",
        "published",
        "published_bytes",
        "confirmed",
        "nacked",
        "returned",
        "delivered",
        "delivered_bytes",
        "acked",
        "nacked_deliveries",
        "rejected",
    )

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.connections_opened = 0
        self.connections_closed = 0
        self.connections_lost = 0
        self.connections_recovered = 0
        self.channels_opened = 0
        self.channels_closed = 0
        self.published = 0
        self.published_bytes = 0
        self.confirmed = 0
        self.nacked = 0
        self.returned = 0
        self.delivered = 0
        self.delivered_bytes = 0
        self.acked = 0
        self.nacked_deliveries = 0
        self.rejected = 0

    def snapshot(self) -> dict[str, int]:
        """Every counter, read at once."""
        with self._lock:
            return {name: getattr(self, name) for name in self.COUNTERS}

    def connection_opened(self, connection: object) -> None:
        with self._lock:
            self.connections_opened += 1

    def connection_closed(self, connection: object) -> None:
        with self._lock:
            self.connections_closed += 1

    def connection_lost(self, connection: object, error: AMQPError) -> None:
        with self._lock:
            self.connections_lost += 1

    def connection_recovered(self, connection: object) -> None:
        with self._lock:
            self.connections_recovered += 1

    def channel_opened(self, channel_id: int) -> None:
        with self._lock:
            self.channels_opened += 1

    def channel_closed(self, channel_id: int, error: AMQPError) -> None:
        with self._lock:
            self.channels_closed += 1

    def message_published(self, channel_id: int, size: int) -> None:
        with self._lock:
            self.published += 1
            self.published_bytes += size

    def publishes_confirmed(self, channel_id: int, count: int) -> None:
        with self._lock:
            self.confirmed += count

    def publishes_nacked(self, channel_id: int, count: int) -> None:
        with self._lock:
            self.nacked += count

    def message_returned(self, channel_id: int) -> None:
        with self._lock:
            self.returned += 1

    def message_delivered(self, channel_id: int, size: int) -> None:
        with self._lock:
            self.delivered += 1
            self.delivered_bytes += size

    def message_acked(self, channel_id: int, multiple: bool) -> None:
        with self._lock:
            self.acked += 1

    def message_nacked(self, channel_id: int, multiple: bool, requeue: bool) -> None:
        with self._lock:
            self.nacked_deliveries += 1

    def message_rejected(self, channel_id: int, requeue: bool) -> None:
        with self._lock:
            self.rejected += 1


def notify_failed(hook: str) -> None:
    """Log an exception raised by an observer's hook (called from an ``except`` block)."""
    logger.exception("observer hook %s raised; ignored", hook)
