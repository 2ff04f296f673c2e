"""DEBUG logging of the frames a connection sends and receives, in short form.

The adapters call :class:`FrameLog` with the bytes they write and read, only
when the ``amqproto`` logger has DEBUG enabled, so it costs one level check
per read or write otherwise.  It decodes the bytes again with a
:class:`~amqproto.wire.FrameDecoder` of its own and logs one line per frame:
the channel, the method and its arguments, or the size of a content header
or body.  Never a password or a message body: ``connection.start-ok``'s
response and ``connection.update-secret``'s secret are left out, and
content is described by its size only.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any, cast

from ..exceptions import AMQPError
from ..schema.constants import PROTOCOL_HEADER
from ..schema.methods import ConnectionSecureOk, ConnectionStartOk, ConnectionUpdateSecret, Method
from ..wire.frames import (
    ContentBodyFrame,
    ContentHeaderFrame,
    Frame,
    FrameDecoder,
    HeartbeatFrame,
    MethodFrame,
    ProtocolHeaderFrame,
)

__all__ = ["FrameLog"]

logger = logging.getLogger("amqproto")

#: Method arguments that carry secrets, by method class.
_SECRET_FIELDS: dict[type[Method], tuple[str, ...]] = {
    ConnectionStartOk: ("response",),
    ConnectionSecureOk: ("response",),
    ConnectionUpdateSecret: ("new_secret",),
}
#: Frames are never larger than this (2**32 - 1 is the wire's limit).
_ANY_SIZE = 0xFFFF_FFFF


def describe(frame: Frame) -> str:
    """One short line for a frame, without secrets or message bodies."""
    if isinstance(frame, MethodFrame):
        method = frame.method
        hidden = _SECRET_FIELDS.get(type(method), ())
        fields = ", ".join(
            f"{name}={'<hidden>' if name in hidden else repr(value)}" for name, value in _arguments(method)
        )
        return f"channel {frame.channel}: {method.NAME}({fields})"
    if isinstance(frame, ContentHeaderFrame):
        return f"channel {frame.channel}: content header, body of {frame.body_size} bytes"
    if isinstance(frame, ContentBodyFrame):
        return f"channel {frame.channel}: content body, {len(frame.payload)} bytes"
    if isinstance(frame, HeartbeatFrame):
        return "heartbeat"
    if isinstance(frame, ProtocolHeaderFrame):
        return f"protocol header AMQP {frame.major}-{frame.minor}-{frame.revision}"
    return type(frame).__name__  # pragma: no cover - every frame kind is above


def _arguments(method: Method) -> Iterable[tuple[str, object]]:
    for field in dataclasses.fields(cast(Any, method)):
        yield field.name, getattr(method, field.name)


class FrameLog:
    """Logs one direction of a connection's frames at DEBUG (``sent`` or ``received``)."""

    __slots__ = ("_direction", "_decoder", "_broken", "_started")

    def __init__(self, direction: str) -> None:
        self._direction = direction
        self._decoder = FrameDecoder(_ANY_SIZE)
        self._broken = False
        self._started = False

    def bytes(self, buffers: Iterable[bytes | bytearray | memoryview]) -> None:
        """Log the frames these bytes complete (call only when DEBUG is enabled)."""
        if self._broken:
            return
        for buffer in buffers:
            if not self._started:
                self._started = True
                if bytes(buffer[:4]) == PROTOCOL_HEADER[:4]:
                    # A client's stream opens with the protocol header, which a
                    # decoder of the broker's frames takes for a refusal.
                    major, minor, revision = bytes(buffer[5:8])
                    logger.debug("%s protocol header AMQP %d-%d-%d", self._direction, major, minor, revision)
                    buffer = buffer[8:]
            try:
                frames = self._decoder.feed(buffer)
            except AMQPError as exc:
                self._broken = True  # the core reports the violation itself
                logger.debug("%s: undecodable bytes (%s); frame logging stops", self._direction, exc)
                return
            for frame in frames:
                logger.debug("%s %s", self._direction, describe(frame))
