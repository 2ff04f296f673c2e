"""Replay a consume-32B delivery stream without a broker, to count instructions.

Run as ``python bench/replay.py --through core|adapter --messages N``
(``--uvloop`` for the adapter on uvloop).  Timings on a shared machine are
noise; run it under callgrind twice, with two message counts, and divide the
difference by the difference of the counts::

    valgrind --tool=callgrind python bench/replay.py --through adapter --uvloop -n 5000
    valgrind --tool=callgrind python bench/replay.py --through adapter --uvloop -n 20000

Theory of operation
-------------------
The stream is what RabbitMQ sends to the ``consume-32B`` scenario's consumer
(see bench/README.md): per message a ``basic.deliver`` (the consumer's tag,
the delivery tag, the default exchange, the queue's name as routing key), a
content header with no properties and a 32-byte body, all on channel 1.  It
is built with the project's own encoder, so it is the same bytes every run.
It is handed over in 256 KiB reads (the adapters' ``READ_SIZE``), which split
frames at arbitrary points, as TCP does.

``core``
    The sans-io :class:`~amqproto.Connection` alone: handshake, channel,
    ``basic.qos``, ``basic.consume``; then every chunk goes to
    ``receive_data``, and every 100th delivery is acknowledged with
    ``multiple`` (what the bench's consumer does), its bytes drained.

``adapter``
    :class:`~amqproto.io.asyncio.AsyncioConnection` on a backend whose
    ``connect`` returns an in-memory stream: a small peer that answers the
    handshake and the channel's requests and, after ``consume-ok``, hands the
    reader the delivery stream.  The consumer is the bench's own loop
    (``async for``, ``ack(multiple=True)`` every 100).

The other replays (``bench/replay_confirm.py``, ``bench/replay_publish.py``)
share the fake broker's first bytes and its replies to the handshake
(:data:`CONNECTION_START`, :func:`handshake_reply`), and run the adapter's
own stream over an in-memory transport (:class:`MemoryTransport`, through
:func:`memory_connection`) rather than a stream of their own.
"""

from __future__ import annotations

import argparse
import asyncio
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from amqproto import Connection
from amqproto.schema import (
    PROTOCOL_HEADER,
    BasicCancel,
    BasicCancelOk,
    BasicConsume,
    BasicConsumeOk,
    BasicDeliver,
    BasicProperties,
    BasicQos,
    BasicQosOk,
    ChannelClose,
    ChannelCloseOk,
    ChannelOpen,
    ChannelOpenOk,
    ConnectionClose,
    ConnectionCloseOk,
    ConnectionOpen,
    ConnectionOpenOk,
    ConnectionStart,
    ConnectionStartOk,
    ConnectionTune,
)
from amqproto.schema.types import FieldTable
from amqproto.wire import FrameDecoder, MethodFrame, encode_content_frames, encode_frame

__all__ = [
    "CONNECTION_START",
    "CONSUMER_TAG",
    "QUEUE",
    "MemoryTransport",
    "delivery_stream",
    "HandshakePeer",
    "handshake_reply",
    "memory_connection",
    "replay_adapter",
    "replay_core",
]

CONSUMER_TAG = "amqproto.0f8e3b3c5d2a4e6f8a9b0c1d2e3f4a5b"
QUEUE = "bench-consume-32B-0f8e3b3c"
CHANNEL = 1
BODY = b"x" * 32
READ_SIZE = 256 * 1024
ACK_EVERY = 100
SERVER_PROPERTIES: FieldTable = {
    "product": "replay",
    "capabilities": {"publisher_confirms": True, "basic.nack": True},
}


def delivery_stream(count: int, first_tag: int = 1) -> bytes:
    """``count`` deliveries of a 32-byte body, as the broker sends them.

    One delivery is encoded, then copied with each copy's delivery tag
    patched in: cheap, so that generating the stream adds little to what
    is measured (``--through none`` measures just that, to subtract).
    """
    template = b"".join(
        encode_content_frames(
            CHANNEL, BasicDeliver(CONSUMER_TAG, 0, False, "", QUEUE), BasicProperties(), BODY, 131072
        )
    )
    # The delivery tag follows the frame header (7), the ids (4) and the
    # consumer tag (a short string).
    at = 7 + 4 + 1 + len(CONSUMER_TAG)
    stream = bytearray(template * count)
    pack_into = struct.Struct(">Q").pack_into
    size = len(template)
    for number in range(count):
        pack_into(stream, number * size + at, first_tag + number)
    return bytes(stream)


def _chunks(data: bytes) -> list[bytes]:
    return [data[i : i + READ_SIZE] for i in range(0, len(data), READ_SIZE)]


def _frame(channel: int, method: Any) -> bytes:
    return encode_frame(MethodFrame(channel, method))


#: What the broker says first, once it has the protocol header.
CONNECTION_START = _frame(0, ConnectionStart(0, 9, SERVER_PROPERTIES, "PLAIN", "en_US"))


def handshake_reply(channel: int, method: Any) -> bytes | None:
    """The broker's reply to a request of the handshake, or to opening or closing; ``None`` for others."""
    if isinstance(method, ConnectionStartOk):
        return _frame(0, ConnectionTune(2047, 131072, 0))
    if isinstance(method, ConnectionOpen):
        return _frame(0, ConnectionOpenOk())
    if isinstance(method, ChannelOpen):
        return _frame(channel, ChannelOpenOk())
    if isinstance(method, ChannelClose):
        return _frame(channel, ChannelCloseOk())
    if isinstance(method, ConnectionClose):
        return _frame(0, ConnectionCloseOk())
    return None


class HandshakePeer:
    """What each fake broker here does first, whatever it does next.

    It takes the client's protocol header and answers it with
    :data:`CONNECTION_START`, and answers the handshake, opening and closing
    (:func:`handshake_reply`); :meth:`frames` gives the rest to look at.
    Subclasses say how a reply goes out (:meth:`_send`).
    """

    def __init__(self) -> None:
        self.decoder = FrameDecoder(0)
        self.header_seen = False

    def _send(self, data: bytes) -> None:
        raise NotImplementedError

    def frames(self, data: bytes) -> list[Any]:
        """The frames of ``data`` that the handshake does not answer, once those it does are answered."""
        if not self.header_seen:
            assert data.startswith(PROTOCOL_HEADER)
            data = data[len(PROTOCOL_HEADER) :]
            self.header_seen = True
            self._send(CONNECTION_START)
        left = []
        for frame in self.decoder.feed(data):
            reply = handshake_reply(frame.channel, frame.method) if type(frame) is MethodFrame else None
            if reply is None:
                left.append(frame)
            else:
                self._send(reply)
        return left


class Broker(Protocol):
    """The far end of a :class:`MemoryTransport`: takes what the client writes."""

    def take(self, data: bytes) -> None: ...


class MemoryTransport(asyncio.Transport):
    """An in-memory transport: writes go to ``broker.take`` at once.

    The broker answers through the protocol's ``data_received``, on a later
    loop turn if it schedules it so (``loop.call_soon``), as a real reply
    comes back on a later read.  It never pushes back: writing never pauses.
    """

    def __init__(self, protocol: asyncio.Protocol, make_broker: Callable[[asyncio.Protocol], Broker]) -> None:
        super().__init__()
        self.broker = make_broker(protocol)
        self.closing = False
        self.protocol = protocol

    def write(self, data: Any) -> None:
        self.broker.take(bytes(data))

    def writelines(self, list_of_data: Any) -> None:
        self.broker.take(b"".join(list_of_data))

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        if not self.closing:
            self.closing = True
            asyncio.get_running_loop().call_soon(self.protocol.connection_lost, None)

    abort = close

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def memory_connection(make_broker: Callable[[asyncio.Protocol], Broker], brokers: list[Any]) -> type[Any]:
    """An :class:`~amqproto.io.asyncio.AsyncioConnection` class on a :class:`MemoryTransport`.

    Its backend's ``connect`` returns the adapter's own stream (``_Stream``
    and ``_StreamProtocol``, write coalescing included) over a new transport
    whose broker ``make_broker(protocol)`` makes; each broker is appended to
    ``brokers``.
    """
    from amqproto.io.asyncio import AsyncioBackend, AsyncioConnection, _Stream, _StreamProtocol

    class _MemoryBackend(AsyncioBackend):
        async def connect(self, *args: Any, **kwargs: Any) -> Any:
            protocol = _StreamProtocol()
            transport = MemoryTransport(protocol, make_broker)
            protocol.connection_made(transport)
            brokers.append(transport.broker)
            return _Stream(transport, protocol)

    class _MemoryConnection(AsyncioConnection):
        backend: ClassVar[Any] = _MemoryBackend()

    return _MemoryConnection


# -- the core alone ---------------------------------------------------------------


def replay_core(count: int) -> int:
    """Consume ``count`` deliveries through the sans-io core; return how many arrived."""
    connection = Connection(heartbeat=0)
    connection.receive_data(_frame(0, ConnectionStart(0, 9, SERVER_PROPERTIES, "PLAIN", "en_US")))
    connection.receive_data(_frame(0, ConnectionTune(2047, 131072, 0)))
    connection.receive_data(_frame(0, ConnectionOpenOk()))
    channel = connection.open_channel(CHANNEL)
    connection.receive_data(_frame(CHANNEL, ChannelOpenOk()))
    channel.basic_qos(prefetch_count=1000)
    connection.receive_data(_frame(CHANNEL, BasicQosOk()))
    channel.basic_consume(QUEUE, CONSUMER_TAG)
    connection.receive_data(_frame(CHANNEL, BasicConsumeOk(CONSUMER_TAG)))
    connection.data_to_send()
    received = 0
    for chunk in _chunks(delivery_stream(count)):
        for event in connection.receive_data(chunk):
            received += 1
            if received % ACK_EVERY == 0 or received == count:
                channel.basic_ack(event.method.delivery_tag, True)  # type: ignore[attr-defined]
        connection.buffers_to_send()
    return received


# -- the asyncio adapter on an in-memory stream ------------------------------------


class _Peer(HandshakePeer):
    """The broker end of an in-memory stream: answers requests, then streams deliveries."""

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.pending = bytearray()
        self.chunks: list[bytes] = []
        self.readable: asyncio.Event = asyncio.Event()
        self.closed = False

    def _send(self, data: bytes) -> None:
        self.chunks.append(data)
        self.readable.set()

    async def read(self, max_bytes: int) -> bytes:
        while not self.chunks:
            if self.closed:
                return b""
            self.readable.clear()
            await self.readable.wait()
        chunk = self.chunks.pop(0)
        if len(chunk) > max_bytes:
            self.chunks.insert(0, chunk[max_bytes:])
            chunk = chunk[:max_bytes]
        return chunk

    async def write(self, data: bytes) -> None:
        self._take(data)

    async def writelines(self, buffers: list[Any]) -> None:
        self._take(b"".join(bytes(buffer) for buffer in buffers))

    def _take(self, data: bytes) -> None:
        for frame in self.frames(data):
            if type(frame) is not MethodFrame:
                continue
            method, channel = frame.method, frame.channel
            if isinstance(method, BasicQos):
                self._send(_frame(channel, BasicQosOk()))
            elif isinstance(method, BasicConsume):
                assert method.consumer_tag == CONSUMER_TAG
                self._send(_frame(channel, BasicConsumeOk(CONSUMER_TAG)))
                for chunk in _chunks(delivery_stream(self.count)):
                    self._send(chunk)
            elif isinstance(method, BasicCancel):
                self._send(_frame(channel, BasicCancelOk(method.consumer_tag)))

    async def close(self) -> None:
        self.closed = True
        self.readable.set()

    abort = close


def replay_adapter(count: int, uvloop: bool = False) -> int:
    """Consume ``count`` deliveries through AsyncioConnection on an in-memory stream."""
    from amqproto.io.asyncio import AsyncioBackend, AsyncioConnection

    class _ReplayBackend(AsyncioBackend):
        async def connect(self, *args: Any, **kwargs: Any) -> Any:
            return _Peer(count)

    class _ReplayConnection(AsyncioConnection):
        backend: ClassVar[Any] = _ReplayBackend()

    async def main() -> int:
        received = 0
        async with (
            _ReplayConnection("amqp://guest:guest@replay/", heartbeat=0) as connection,
            connection.get_channel() as channel,
        ):
            await channel.basic_qos(prefetch_count=1000)
            async with channel.basic_consume(QUEUE, consumer_tag=CONSUMER_TAG) as consumer:
                async for message in consumer:
                    received += 1
                    if received % ACK_EVERY == 0 or received == count:
                        await message.ack(multiple=True)
                        if received == count:
                            break
        return received

    if uvloop:
        import uvloop as _uvloop

        return _uvloop.run(main())
    return asyncio.run(main())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--through", choices=("core", "adapter", "none"), default="adapter")
    parser.add_argument("--uvloop", action="store_true")
    parser.add_argument("-n", "--messages", type=int, default=10000)
    args = parser.parse_args(argv)
    if args.through == "none":  # what generating the stream costs
        received = len(_chunks(delivery_stream(args.messages))) and args.messages
    elif args.through == "core":
        received = replay_core(args.messages)
    else:
        received = replay_adapter(args.messages, args.uvloop)
    assert received == args.messages, (received, args.messages)
    print(f"{args.through}: {received} deliveries")


if __name__ == "__main__":
    main()
