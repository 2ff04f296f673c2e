"""Replay the ``confirm-natural-32B`` scenario without a broker, to count instructions.

Run as ``python bench/replay_confirm.py --messages N`` (``--uvloop`` for
uvloop, ``--form natural|stream``).  Timings on a shared machine are noise;
run it under callgrind twice, with two message counts, and divide the
difference by the difference of the counts::

    valgrind --tool=callgrind python bench/replay_confirm.py --uvloop --form natural -n 5000
    valgrind --tool=callgrind python bench/replay_confirm.py --uvloop --form natural -n 20000

Theory of operation
-------------------
:class:`~amqproto.io.asyncio.AsyncioConnection` runs on its own stream
(``_Stream`` and ``_StreamProtocol``, write coalescing included) over the
in-memory transport of :func:`bench.replay.memory_connection`, whose far
end is a small broker: it answers the
handshake and the channel's requests by decoding frames, and, once the
channel is in confirm mode, counts the publishes in each write by their
bytes (every publish of the scenario is the same bytes but for nothing:
no properties, same body) and answers each write with one ``basic.ack``
with ``multiple`` for the last of them, delivered on the next loop turn
(``call_soon``), as a reply that comes back on the next read.  With
``--ack-every K`` it acks at most K publishes per ack instead (RabbitMQ
acks in batches of what it handled together, so the real batches lie in
between).

The publishing side is the bench's own: ``natural`` is
``bench.clients.amqproto_async._asyncio_streams`` (a task per
``basic_publish``, at most 500 in flight behind a semaphore), ``stream`` is
``basic_publish(wait=False)`` plus ``wait_for_confirms(500)``.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amqproto.schema import (
    ConfirmSelect,
    ConfirmSelectOk,
)
from amqproto.wire import MethodFrame, encode_frame
from amqproto.wire.publish import encode_publish_content, encode_publish_method
from bench.replay import HandshakePeer, memory_connection

__all__ = ["replay_confirms"]

CHANNEL = 1
BODY = b"x" * 32
QUEUE = "bench-confirm-natural-32B-0f8e3b3c"
WINDOW = 500
FRAME_MAX = 131072
#: basic.ack: frame type 1, channel, size 13, class 60, method 80, tag, multiple, frame end.
_ACK = struct.Struct(">BHIHHQBB")


def _publish_bytes() -> bytes:
    """The bytes of one publish of the scenario, as the channel encodes them."""
    output: list[Any] = []
    method = encode_publish_method(CHANNEL, "", QUEUE, False, False)
    encode_publish_content(output, CHANNEL, method, None, BODY, FRAME_MAX)
    return b"".join(bytes(part) for part in output)


class _Broker(HandshakePeer):
    """The far end of the in-memory transport."""

    def __init__(self, protocol: asyncio.Protocol, ack_every: int) -> None:
        super().__init__()
        self.protocol = protocol
        self.loop = asyncio.get_running_loop()
        self.confirming = False
        self.published = 0
        self.acks = 0
        self.ack_every = ack_every
        self.publish = _publish_bytes()

    def _send(self, data: bytes) -> None:
        self.loop.call_soon(self.protocol.data_received, data)

    def take(self, data: bytes) -> None:
        if self.confirming:
            count = data.count(self.publish)
            if count and count * len(self.publish) == len(data):
                self._ack(count)
                return
        for frame in self.frames(data):
            if type(frame) is not MethodFrame:
                if self.confirming and getattr(frame, "body_size", None) is None:
                    self._ack(1)  # a body frame ends a publish
                continue
            method, channel = frame.method, frame.channel
            if isinstance(method, ConfirmSelect):
                self.confirming = True
                self._send(encode_frame(MethodFrame(channel, ConfirmSelectOk())))

    def _ack(self, count: int) -> None:
        acks = []
        while count:
            batch = min(count, self.ack_every)
            count -= batch
            self.published += batch
            acks.append(_ACK.pack(1, CHANNEL, 13, 60, 80, self.published, 1, 0xCE))
            self.acks += 1
        self._send(b"".join(acks))


def replay_confirms(count: int, form: str, uvloop: bool = False, ack_every: int = 4) -> int:
    """Publish ``count`` messages in confirm mode through AsyncioConnection; return the acks received."""
    from bench.clients.amqproto_async import _asyncio_streams

    acks: list[_Broker] = []
    _ReplayConnection = memory_connection(lambda protocol: _Broker(protocol, ack_every), acks)

    async def main() -> None:
        async with (
            _ReplayConnection("amqp://guest:guest@replay/", heartbeat=0) as connection,
            connection.get_channel() as channel,
        ):
            await channel.confirm_select()
            publish = channel.basic_publish
            if form == "natural":
                await _asyncio_streams(lambda: publish(BODY, "", QUEUE), count, WINDOW)
            else:
                for _ in range(count):
                    await publish(BODY, "", QUEUE, wait=False)
                    await channel.wait_for_confirms(WINDOW)
                await channel.wait_for_confirms(0)

    if uvloop:
        import uvloop as _uvloop

        _uvloop.run(main())
    else:
        asyncio.run(main())
    return acks[0].published


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--form", choices=("natural", "stream"), default="natural")
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("--ack-every", type=int, default=4)
    parser.add_argument("-n", "--messages", type=int, default=10000)
    args = parser.parse_args(argv)
    published = replay_confirms(args.messages, args.form, args.uvloop, args.ack_every)
    assert published == args.messages, (published, args.messages)
    print(f"{args.form}: {published} publishes confirmed")


if __name__ == "__main__":
    main()
