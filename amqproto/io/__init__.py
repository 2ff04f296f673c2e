"""I/O adapters that drive the sans-io core: asyncio, curio and blocking sockets.

:class:`Recovery` configures automatic recovery, which every adapter takes
as ``recovery=`` (see :mod:`amqproto.io.recovery`).
"""

from .recovery import Recovery

__all__ = ["Recovery"]
