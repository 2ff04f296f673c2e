"""The async adapters' implementation, shared by asyncio and curio.

Also the source that ``scripts/unasync.py`` turns into :mod:`amqproto.io._sync`.
"""

from .channel import AsyncChannel, AsyncConsumer, AsyncMessage, ReturnedMessage
from .connection import AsyncConnection

__all__ = ["AsyncChannel", "AsyncConnection", "AsyncConsumer", "AsyncMessage", "ReturnedMessage"]
