"""I/O adapters that drive the sans-io core: asyncio, curio and blocking sockets."""
