"""Replay the ``publish-props-32B`` scenario without a broker, to count instructions.

Run as ``python bench/replay_publish.py --messages N`` (``--uvloop`` for
uvloop, ``--no-properties`` for ``publish-32B``).  Timings on a shared
machine are noise; run it under callgrind twice, with two message counts,
and divide the difference by the difference of the counts::

    valgrind --tool=callgrind python bench/replay_publish.py --uvloop -n 5000
    valgrind --tool=callgrind python bench/replay_publish.py --uvloop -n 20000

Theory of operation
-------------------
:class:`~amqproto.io.asyncio.AsyncioConnection` runs on its own stream over
the in-memory transport of :func:`bench.replay.memory_connection`, whose far
end is a small broker: it answers the handshake and the channel's requests by
decoding frames; while the publishing loop runs it only counts the publishes
in each write (``bytes.count`` of their method frame, the same for every
publish of the scenario) and decodes nothing, so that the broker's work per
message is next to none.  Once the loop is done (the scenario's "wait until
the broker holds them all") it decodes again, to answer the closing.

The publishing loop is the bench's own, called as it is:
``bench.clients.amqproto_async._publish`` for a ``publish`` job with
properties (a new :class:`~amqproto.schema.BasicProperties` per message:
content type, persistent delivery mode, the 3-entry headers table, a new
message id and timestamp) or without (``--no-properties``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amqproto.schema import BasicPublish
from amqproto.wire import MethodFrame
from amqproto.wire.publish import encode_publish_method
from bench.common import Job
from bench.replay import HandshakePeer, memory_connection

__all__ = ["replay_publishes"]

CHANNEL = 1
SIZE = 32
QUEUE = "bench-publish-props-32B-0f8e3b3c"


class _Broker(HandshakePeer):
    """The far end of the in-memory transport: answers requests, counts publishes."""

    def __init__(self, protocol: asyncio.Protocol) -> None:
        super().__init__()
        self.protocol = protocol
        self.loop = asyncio.get_running_loop()
        #: While true (the publishing loop), writes are publishes: counted, not decoded.
        self.counting = False
        self.published = 0
        self.method_frame = encode_publish_method(CHANNEL, "", QUEUE, False, False)

    def _send(self, data: bytes) -> None:
        self.loop.call_soon(self.protocol.data_received, data)

    def take(self, data: bytes) -> None:
        if self.counting:
            self.published += data.count(self.method_frame)
            return
        for frame in self.frames(data):
            if type(frame) is MethodFrame and isinstance(frame.method, BasicPublish):
                self.published += 1


class _Probe:
    """What the bench's publishing loop calls on its probe: nothing to measure here."""

    def start(self) -> None:
        pass

    def published(self) -> None:
        pass

    def stop(self) -> None:
        pass


def replay_publishes(count: int, properties: bool = True, uvloop: bool = False) -> int:
    """Publish ``count`` messages through AsyncioConnection; return how many the broker got."""
    from bench.clients.amqproto_async import _publish

    brokers: list[_Broker] = []
    connection_class = memory_connection(_Broker, brokers)
    job = Job("amqproto-replay", "publish-props-32B", "publish", SIZE, count, QUEUE, properties=properties)

    async def held(probe: Any) -> None:
        # The loop is over: decode again (what is still pending included).
        brokers[0].counting = False

    async def main() -> None:
        async with (
            connection_class("amqp://guest:guest@replay/", heartbeat=0) as connection,
            connection.get_channel() as channel,
        ):
            brokers[0].counting = True
            await _publish(channel, job, _Probe(), held)  # type: ignore[arg-type]

    if uvloop:
        import uvloop as _uvloop

        _uvloop.run(main())
    else:
        asyncio.run(main())
    return brokers[0].published


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--properties", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("-n", "--messages", type=int, default=10000)
    args = parser.parse_args(argv)
    published = replay_publishes(args.messages, args.properties, args.uvloop)
    assert published == args.messages, (published, args.messages)
    print(f"{'with' if args.properties else 'without'} properties: {published} publishes")


if __name__ == "__main__":
    main()
