"""The tutorials on asyncio (:class:`amqproto.io.asyncio.AsyncioConnection`)."""
