"""Frames: small typed values, their encoder, and a sans-io frame decoder.

A frame is ``type:octet channel:short size:long payload frame-end:octet``.
:class:`FrameDecoder` buffers bytes until whole frames are there, checks the
size against the negotiated ``frame_max`` *before* waiting for (or
allocating) the payload, checks the frame-end octet, and decodes method and
content-header payloads straight from its buffer.

"Not enough data yet" is never an error: :meth:`FrameDecoder.feed` simply
returns what is complete.  Malformed input raises a
:class:`~amqproto.exceptions.FrameError` (framing) or
:class:`~amqproto.exceptions.AMQPSyntaxError` (payload) carrying the AMQP
reply code to close the connection with.  Frames that were complete before
the malformed one are not lost: :meth:`FrameDecoder.feed` returns them and
raises the error on the next call (see :attr:`FrameDecoder.error`).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TypeAlias

from ..exceptions import AMQPError, AMQPNotImplemented, AMQPSyntaxError, EncodeTypeError, FrameError
from ..schema.constants import FRAME_HEADER_SIZE, FRAME_MIN_SIZE, PROTOCOL_HEADER
from ..schema.methods import Method
from ..schema.properties import BasicProperties
from .codec import (
    FRAME_HEADER,
    HEADER_FRAME,
    decode_method,
    decode_properties,
    encode_header_frame,
    encode_method_frame,
)

__all__ = [
    "MethodFrame",
    "ContentHeaderFrame",
    "ContentBodyFrame",
    "HeartbeatFrame",
    "ProtocolHeaderFrame",
    "Frame",
    "encode_frame",
    "encode_content_frames",
    "FrameDecoder",
    "HEARTBEAT_FRAME_BYTES",
]


@dataclass(frozen=True, slots=True)
class MethodFrame:
    """A method on a channel (0 for the connection)."""

    channel: int
    method: Method


@dataclass(frozen=True, slots=True)
class ContentHeaderFrame:
    """The content header that follows a content-carrying method.

    The class id is implied by the properties (``basic``, 60); the spec's
    weight field is always zero.
    """

    channel: int
    body_size: int
    properties: BasicProperties


@dataclass(frozen=True, slots=True)
class ContentBodyFrame:
    """One piece of a message body."""

    channel: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class HeartbeatFrame:
    """A heartbeat; always on channel 0 with an empty payload."""

    channel: int = 0


@dataclass(frozen=True, slots=True)
class ProtocolHeaderFrame:
    """A protocol header.  A server sends one only to refuse our version."""

    major: int
    minor: int
    revision: int


Frame: TypeAlias = MethodFrame | ContentHeaderFrame | ContentBodyFrame | HeartbeatFrame | ProtocolHeaderFrame

#: The bytes of a heartbeat frame.
HEARTBEAT_FRAME_BYTES = b"\x08\x00\x00\x00\x00\x00\x00\xce"
_FRAME_END_BYTES = b"\xce"


def encode_frame(frame: Frame) -> bytes:
    """Encode one frame.

    Raises:
        EncodeError, EncodeTypeError: a field cannot be encoded (names it).
    """
    if isinstance(frame, MethodFrame):
        return encode_method_frame(frame.channel, frame.method)
    if isinstance(frame, ContentHeaderFrame):
        return encode_header_frame(frame.channel, frame.body_size, frame.properties)
    if isinstance(frame, ContentBodyFrame):
        return FRAME_HEADER.pack(3, frame.channel, len(frame.payload)) + frame.payload + _FRAME_END_BYTES
    if isinstance(frame, HeartbeatFrame):
        return HEARTBEAT_FRAME_BYTES
    if isinstance(frame, ProtocolHeaderFrame):
        return b"AMQP\x00" + bytes((frame.major, frame.minor, frame.revision))
    raise EncodeTypeError(f"not a frame: {frame!r}")


def encode_content_frames(
    channel: int,
    method: Method,
    properties: BasicProperties,
    body: bytes | bytearray | memoryview,
    frame_max: int,
) -> list[bytes | bytearray | memoryview]:
    """Encode a content-carrying method: method frame, header frame, body frames.

    The body is split into frames of at most ``frame_max - 8`` bytes; an
    empty body sends no body frame.  Large bodies are not copied: the result
    holds ``memoryview`` slices of ``body`` between small framing ``bytes``,
    ready for ``b"".join`` or ``writelines``.
    """
    size = len(body)
    head = encode_method_frame(channel, method) + encode_header_frame(channel, size, properties)
    chunk = frame_max - FRAME_HEADER_SIZE if frame_max else size or 1
    if size <= chunk:
        if not size:
            return [head]
        return [head + FRAME_HEADER.pack(3, channel, size), body, _FRAME_END_BYTES]
    view = memoryview(body)
    parts: list[bytes | bytearray | memoryview] = [head]
    pack = FRAME_HEADER.pack
    for start in range(0, size, chunk):
        piece = view[start : start + chunk]
        parts.append(pack(3, channel, len(piece)))
        parts.append(piece)
        parts.append(_FRAME_END_BYTES)
    return parts


_unpack_frame_header = FRAME_HEADER.unpack_from
_HEADER_PREFIX = struct.Struct(">HHQH")


class FrameDecoder:
    """Turn a byte stream into frames, sans-io.

    Args:
        frame_max: The largest frame accepted, framing included; 0 means no
            limit.  Until tuning it is the spec's minimum, 4096; set
            :attr:`frame_max` once ``connection.tune`` has been negotiated.
    """

    def __init__(self, frame_max: int = FRAME_MIN_SIZE) -> None:
        #: The largest frame accepted (framing octets included); 0 = no limit.
        self.frame_max = frame_max
        #: The error that stopped decoding; raised again by every later :meth:`feed`.
        self.error: AMQPError | None = None
        self._buffer = bytearray()

    @property
    def buffered(self) -> int:
        """How many bytes wait for the rest of their frame."""
        return len(self._buffer)

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        """Add bytes; return every frame now complete, in order.

        Raises:
            FrameError: a bad frame type, frame-end octet, a frame larger than
                ``frame_max``, or a heartbeat with a payload or off channel 0.
            AMQPSyntaxError: a malformed method or content header.
            CommandInvalid: a method frame naming no known method.
        """
        if self.error is not None:
            raise self.error
        buffer = self._buffer
        if buffer:
            buffer += data
            source: bytes | bytearray | memoryview = buffer
        else:
            source = data
        frames: list[Frame] = []
        try:
            with memoryview(source) as view:
                offset = self._decode_into(view, frames)
        except AMQPError as exc:
            self.error = exc
            buffer.clear()
            if not frames:
                raise
            return frames
        if source is buffer:
            del buffer[:offset]
        elif offset < len(source):
            buffer += source[offset:]
        return frames

    def _decode_into(self, view: memoryview, frames: list[Frame]) -> int:
        offset = 0
        length = len(view)
        frame_max = self.frame_max
        append = frames.append
        while length - offset >= 7:
            frame_type, channel, size = _unpack_frame_header(view, offset)
            if frame_type == 0x41:  # "A": a protocol header, not a frame
                if length - offset < 8:
                    break
                self._check_protocol_header(view[offset : offset + 8])
                append(ProtocolHeaderFrame(view[offset + 5], view[offset + 6], view[offset + 7]))
                offset += 8
                continue
            if frame_max and size + FRAME_HEADER_SIZE > frame_max:
                msg = f"frame of {size + FRAME_HEADER_SIZE} bytes exceeds frame_max {frame_max}"
                raise FrameError(msg)
            start = offset + 7
            end = start + size
            if end >= length:
                if frame_type not in (1, 2, 3, 8):
                    raise FrameError(f"unknown frame type {frame_type}")
                break
            if view[end] != 0xCE:
                msg = f"frame ends with 0x{view[end]:02x}, not the frame-end octet 0xce"
                raise FrameError(msg)
            if frame_type == 3:
                append(ContentBodyFrame(channel, bytes(view[start:end])))
            elif frame_type == 1:
                append(MethodFrame(channel, decode_method(view, start, end)))
            elif frame_type == 2:
                append(self._decode_header(view, channel, start, end))
            elif frame_type == 8:
                if channel or size:
                    raise FrameError("heartbeat frames must be empty and on channel 0")
                append(HeartbeatFrame())
            else:
                raise FrameError(f"unknown frame type {frame_type}")
            offset = end + 1
        return offset

    @staticmethod
    def _decode_header(view: memoryview, channel: int, start: int, end: int) -> ContentHeaderFrame:
        if end - start < _HEADER_PREFIX.size:
            raise AMQPSyntaxError("content header frame is too short")
        class_id, _weight, body_size, flags = _HEADER_PREFIX.unpack_from(view, start)
        if class_id != BasicProperties.CLASS_ID:
            msg = f"content header of class {class_id}; only basic (60) carries content"
            raise AMQPSyntaxError(msg, class_id)
        properties = decode_properties(view, start + _HEADER_PREFIX.size, end, flags)
        return ContentHeaderFrame(channel, body_size, properties)

    @staticmethod
    def _check_protocol_header(header: memoryview) -> None:
        if bytes(header[:5]) != PROTOCOL_HEADER[:5]:
            raise FrameError(f"malformed protocol header {bytes(header)!r}")
        if bytes(header) == PROTOCOL_HEADER:
            raise AMQPNotImplemented("the peer sent a protocol header instead of frames")


# HEADER_FRAME is the encoder's view of the same layout as _HEADER_PREFIX.
assert HEADER_FRAME.size == FRAME_HEADER.size + _HEADER_PREFIX.size
