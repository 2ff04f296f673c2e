"""amqproto: a sans-io AMQP 0-9-1 client.

Layers, imported one way only: :mod:`amqproto.schema` (the protocol's
methods as typed dataclasses) ← :mod:`amqproto.wire` (the codec) ← the core
(connection and channel state machines, this package's top level) ←
:mod:`amqproto.io` (asyncio, curio and blocking adapters).
"""

from . import exceptions
from .exceptions import AMQPError
from .schema import BasicProperties

__version__ = "0.1.0"

__all__ = ["AMQPError", "BasicProperties", "exceptions", "__version__"]
