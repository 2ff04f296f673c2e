"""For anyio programs: :func:`AnyioConnection` picks the adapter of the backend anyio runs on.

::

    import anyio
    from amqproto.io.anyio import AnyioConnection

    async def main() -> None:
        async with AnyioConnection("amqp://guest:guest@localhost/%2F") as connection:
            async with connection.get_channel() as channel:
                await channel.basic_publish(b"hello", routing_key="queue")

    anyio.run(main)                    # asyncio: an AsyncioConnection
    anyio.run(main, backend="trio")    # trio: a TrioConnection

anyio runs on asyncio or on trio, and amqproto has an adapter for each: this
module only chooses between them, when it is called (so call it inside the
running program).  It needs neither anyio nor sniffio: outside an asyncio
event loop, the caller runs under trio.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ._async.connection import AsyncConnection
from .url import DEFAULT_URL

__all__ = ["AnyioConnection"]


def AnyioConnection(url: str = DEFAULT_URL, **options: Any) -> AsyncConnection:
    """An :class:`~amqproto.io.asyncio.AsyncioConnection` or a :class:`~amqproto.io.trio.TrioConnection`.

    Takes the arguments of :class:`~amqproto.io._async.AsyncConnection`
    (and ``nursery=`` under trio).  Raises ``RuntimeError`` outside an
    asyncio or trio program.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        from .asyncio import AsyncioConnection

        return AsyncioConnection(url, **options)
    try:
        import trio
    except ImportError:
        raise RuntimeError("AnyioConnection needs a running asyncio or trio event loop") from None
    if not trio.lowlevel.in_trio_run():
        raise RuntimeError("AnyioConnection needs a running asyncio or trio event loop")
    from .trio import TrioConnection

    return TrioConnection(url, **options)
