"""I/O adapters that drive the sans-io core: asyncio, curio, trio, Twisted and blocking sockets.

:mod:`amqproto.io.backend` says what another I/O library must provide.
"""
