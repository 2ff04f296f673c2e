"""amqproto: a sans-io AMQP 0-9-1 client.

Layers, imported one way only: :mod:`amqproto.schema` (the protocol's
methods as typed dataclasses) ← :mod:`amqproto.wire` (the codec) ← the core
(:class:`Connection` and :class:`Channel` state machines, at this package's
top level) ← :mod:`amqproto.io` (asyncio, curio and blocking adapters).
"""

from . import events, exceptions
from ._state import ChannelState, ConnectionState
from ._version import __version__
from .auth import AMQPLAIN, EXTERNAL, PLAIN, Authentication
from .channel import Channel
from .connection import Connection
from .exceptions import AMQPError
from .request import Request
from .schema import BasicProperties, DeliveryMode

__all__ = [
    "AMQPError",
    "AMQPLAIN",
    "Authentication",
    "BasicProperties",
    "Channel",
    "ChannelState",
    "Connection",
    "ConnectionState",
    "DeliveryMode",
    "EXTERNAL",
    "PLAIN",
    "Request",
    "__version__",
    "events",
    "exceptions",
]
