"""Automatic recovery: its settings, and the topology it declares again.

Theory of operation
-------------------
A connection made with ``recovery=True`` (or a :class:`Recovery`) that is
lost without the application closing it (a socket error, a dead peer, the
broker's ``connection.close`` such as 320 at shutdown) reconnects by
itself, the RabbitMQ Java client's automatic recovery being the model:

1. everything waiting on the lost connection fails with
   :class:`~amqproto.exceptions.ConnectionInterrupted` (a
   ``ConnectionLost``): its outcome is unknown, a publish may be published
   again; the lost callbacks run;
2. after :meth:`Recovery.delay` (exponential backoff with jitter) it tries
   the next of the connection's URLs, round and round, up to
   :attr:`Recovery.max_attempts`;
3. on the new connection it opens every channel that was open again, with
   its qos, confirm mode and flow; with :attr:`Recovery.topology` it
   declares again what the application declared (:class:`Topology`:
   exchanges, queues, bindings), renaming server-named queues and what
   refers to them, and restarts the consumers, which keep yielding;
4. calls made meanwhile wait for it (within their ``timeout``); when it
   gives up, they and everything else fail with its last error.

Delivery tags.  Tags restart at 1 on a new channel, so a channel shows its
messages' tags offset by the highest tag it saw before the recovery (as the
Java client does): acking, nacking or rejecting a message received before
the loss is then recognised and does nothing (the broker redelivers the
message); it never reaches the new channel as an unknown tag.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import ConfigurationError
from ..schema.types import FieldTable

__all__ = ["Recovery", "Topology", "RecordedQueue", "RecordedBinding"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Recovery:
    """How a connection recovers (``recovery=Recovery(...)``; ``recovery=True`` takes the defaults).

    Attributes:
        initial_delay: Seconds before the first attempt.
        max_delay: The longest wait between two attempts.
        max_attempts: Attempts before giving up; ``None`` never gives up.
        topology: Declare again what the application declared, and restart
            its consumers.
    """

    initial_delay: float = 0.5
    max_delay: float = 30.0
    max_attempts: int | None = None
    topology: bool = True

    def __post_init__(self) -> None:
        if not 0 <= self.initial_delay < math.inf or not 0 < self.max_delay < math.inf:
            raise ConfigurationError(f"recovery delays must be finite and not negative, not {self}")
        if self.max_attempts is not None and self.max_attempts < 1:
            raise ConfigurationError(f"max_attempts must be at least 1 or None, not {self.max_attempts}")

    def delay(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (1, 2, ...): doubling, capped, jittered."""
        ceiling: float = min(self.max_delay, self.initial_delay * 2.0 ** min(attempt - 1, 62))
        return ceiling * random.uniform(0.5, 1.0)


@dataclass(slots=True)
class RecordedQueue:
    """A queue the application declared: its ``queue_declare`` arguments."""

    arguments: dict[str, Any]
    #: Declared as ``""``: the broker names it again at each recovery.
    server_named: bool


@dataclass(frozen=True, slots=True)
class RecordedBinding:
    """A queue or exchange binding the application made."""

    destination: str
    source: str
    routing_key: str
    arguments: FieldTable | None = field(default=None, compare=False, hash=False)
    #: ``arguments`` as a comparable key (tables are dicts).
    key: str = ""


class Topology:
    """What the application declared on a connection, to declare again after a recovery.

    Declarations are recorded when the broker confirmed them; deleting
    something forgets it and what refers to it (a deleted queue's bindings,
    a deleted exchange's bindings).  Passive declarations record nothing.
    """

    def __init__(self) -> None:
        self.exchanges: dict[str, dict[str, Any]] = {}
        self.queues: dict[str, RecordedQueue] = {}
        self.queue_bindings: dict[RecordedBinding, None] = {}
        self.exchange_bindings: dict[RecordedBinding, None] = {}

    def __repr__(self) -> str:
        return (
            f"<Topology {len(self.exchanges)} exchanges, {len(self.queues)} queues, "
            f"{len(self.queue_bindings) + len(self.exchange_bindings)} bindings>"
        )

    def exchange_declared(self, exchange: str, arguments: dict[str, Any]) -> None:
        if exchange:  # the default exchange is always there
            self.exchanges[exchange] = arguments

    def exchange_deleted(self, exchange: str) -> None:
        self.exchanges.pop(exchange, None)
        for bindings in (self.queue_bindings, self.exchange_bindings):
            for binding in [b for b in bindings if exchange in (b.source, b.destination)]:
                del bindings[binding]

    def queue_declared(self, queue: str, arguments: dict[str, Any], server_named: bool) -> None:
        self.queues[queue] = RecordedQueue(arguments, server_named)

    def queue_deleted(self, queue: str) -> None:
        self.queues.pop(queue, None)
        for binding in [b for b in self.queue_bindings if b.destination == queue]:
            del self.queue_bindings[binding]

    def bound(
        self, queue: bool, destination: str, source: str, routing_key: str, arguments: FieldTable | None
    ) -> None:
        binding = RecordedBinding(
            destination, source, routing_key, arguments, repr(sorted((arguments or {}).items()))
        )
        (self.queue_bindings if queue else self.exchange_bindings)[binding] = None

    def unbound(
        self, queue: bool, destination: str, source: str, routing_key: str, arguments: FieldTable | None
    ) -> None:
        binding = RecordedBinding(
            destination, source, routing_key, arguments, repr(sorted((arguments or {}).items()))
        )
        (self.queue_bindings if queue else self.exchange_bindings).pop(binding, None)

    def queue_renamed(self, old: str, new: str) -> None:
        """A server-named queue got a new name: what referred to the old one follows."""
        recorded = self.queues.pop(old, None)
        if recorded is not None:
            self.queues[new] = recorded
        renamed: dict[RecordedBinding, None] = {}
        for binding in self.queue_bindings:
            if binding.destination == old:
                binding = RecordedBinding(
                    new, binding.source, binding.routing_key, binding.arguments, binding.key
                )
            renamed[binding] = None
        self.queue_bindings = renamed
