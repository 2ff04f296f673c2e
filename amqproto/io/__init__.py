"""I/O adapters that drive the sans-io core: asyncio, curio, trio, Twisted and blocking sockets.

:mod:`amqproto.io.backend` says what another I/O library must provide.
:class:`Recovery` configures automatic recovery, which every adapter takes
as ``recovery=`` (see :mod:`amqproto.io.recovery`).
"""

from .recovery import Recovery

__all__ = ["Recovery"]
