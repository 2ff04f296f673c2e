"""I/O adapters that drive the sans-io core: asyncio, curio, trio, Twisted and blocking sockets (see :mod:`amqproto.io.backend`)."""
