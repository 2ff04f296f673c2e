"""Frames: small typed values, their encoder, and a sans-io frame decoder.

A frame is ``type:octet channel:short size:long payload frame-end:octet``.
:class:`FrameDecoder` buffers bytes until whole frames are there, checks the
size against the negotiated ``frame_max`` *before* waiting for (or
allocating) the payload, checks the frame-end octet, and hands each method
and content-header payload to its compiled decoder as a slice of its own:
offsets within a frame stay small (CPython caches small ints, so stepping
through a payload allocates nothing), and no decoder can read past its
frame.

"Not enough data yet" is never an error: :meth:`FrameDecoder.feed` simply
returns what is complete.  Malformed input raises a
:class:`~amqproto.exceptions.FrameError` (framing) or
:class:`~amqproto.exceptions.AMQPSyntaxError` (payload) carrying the AMQP
reply code to close the connection with.  Frames that were complete before
the malformed one are not lost: :meth:`FrameDecoder.feed` returns them and
raises the error on the next call (see :attr:`FrameDecoder.error`).
"""

from __future__ import annotations

import dataclasses
import functools
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from ..exceptions import (
    AMQPError,
    AMQPNotImplemented,
    AMQPSyntaxError,
    EncodeError,
    EncodeTypeError,
    FrameError,
)
from ..schema.constants import FRAME_HEADER_SIZE, FRAME_MIN_SIZE, PROTOCOL_HEADER
from ..schema.methods import METHODS, Method
from ..schema.properties import BasicProperties
from ._fast import install_fast_init, slots_twin
from .codec import (
    _EMPTY_PROPERTIES,
    CONTENT_ENCODERS,
    END_THEN_BODY_HEADER,
    FRAME_HEADER,
    HEADER_FRAME,
    HEADER_FRAME_ENCODER,
    METHOD_DECODERS,
    METHOD_ENCODERS,
    PROPERTY_FLAGS_IN_USE,
    _decode_properties,
    compile_header_decoder,
    decode_failure,
    encode_header_frame,
    encode_method_frame,
    encode_properties,
    slow_decode_method,
    slow_decode_properties,
    unknown_method,
)
from .table import RAW_DECODE_ERRORS, RAW_ENCODE_ERRORS

__all__ = [
    "MethodFrame",
    "ContentHeaderFrame",
    "ContentBodyFrame",
    "HeartbeatFrame",
    "ProtocolHeaderFrame",
    "Frame",
    "ContentBodyParts",
    "encode_frame",
    "encode_content_frames",
    "FrameDecoder",
    "delivery_frames",
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


@dataclass(frozen=True, slots=True)
class ContentBodyParts:
    """A large body frame's payload as views of the bytes it arrived in, uncopied.

    Only a decoder given ``body_views_from`` produces these (the core's,
    see :class:`FrameDecoder`), in place of a :class:`ContentBodyFrame`: one
    view when the frame arrived within one chunk, one per chunk when it
    straddled several (a chunk wholly inside the frame is a part itself).
    The views are of the ``bytes`` objects fed to the decoder, which
    nothing can change, so they stay valid; the channel joins
    a message's parts into its body once, and that join is the only copy a
    large body goes through after the socket read.  Not one of
    :data:`Frame`'s types: it never leaves the core.
    """

    channel: int
    #: The ``bytes`` fed to the decoder, or views of them.
    parts: tuple[bytes | memoryview, ...]
    #: The payload's length, the sum of the parts' lengths.
    size: int


#: The bytes of a heartbeat frame.
HEARTBEAT_FRAME_BYTES = b"\x08\x00\x00\x00\x00\x00\x00\xce"
_FRAME_END_BYTES = b"\xce"


def encode_frame(frame: Frame) -> bytes:
    """Encode one frame.

    Raises:
        EncodeError, EncodeTypeError: a field cannot be encoded (names it).
    """
    # The frames of a message inline, by exact class (one call per frame);
    # the rest, and subclasses, through the table below.
    kind = type(frame)
    if kind is MethodFrame:
        channel, method = frame.channel, frame.method  # type: ignore[union-attr]
        try:
            return METHOD_ENCODERS[type(method)](channel, method)
        except (KeyError, *RAW_ENCODE_ERRORS):
            # Not a method, or a field that cannot be encoded: the general path names it.
            return encode_method_frame(channel, method)
    if kind is ContentHeaderFrame:
        channel, body_size, properties = frame.channel, frame.body_size, frame.properties  # type: ignore[union-attr]
        try:
            return HEADER_FRAME_ENCODER(channel, body_size, properties)
        except RAW_ENCODE_ERRORS:
            return encode_header_frame(channel, body_size, properties)  # names what is wrong
    if kind is ContentBodyFrame:
        payload = frame.payload  # type: ignore[union-attr]
        try:
            return _pack_frame_header(3, frame.channel, len(payload)) + payload + _FRAME_END_BYTES  # type: ignore[union-attr]
        except struct.error:
            return _encode_body_frame(frame)  # type: ignore[arg-type]  # names what is wrong
    for frame_class, encoder in _FRAME_ENCODERS.items():
        if isinstance(frame, frame_class):
            return encoder(frame)
    raise EncodeTypeError(f"not a frame: {frame!r}")


def _encode_method_frame(frame: MethodFrame) -> bytes:
    return encode_method_frame(frame.channel, frame.method)


def _encode_header_frame(frame: ContentHeaderFrame) -> bytes:
    try:
        return HEADER_FRAME_ENCODER(frame.channel, frame.body_size, frame.properties)
    except RAW_ENCODE_ERRORS:
        # The general path names what is wrong (or blames the compiled code).
        return encode_header_frame(frame.channel, frame.body_size, frame.properties)


def _encode_body_frame(frame: ContentBodyFrame) -> bytes:
    payload = frame.payload
    try:
        return _pack_frame_header(3, frame.channel, len(payload)) + payload + _FRAME_END_BYTES
    except struct.error as exc:
        raise EncodeError(f"channel {frame.channel!r} or body size {len(payload)} is out of range") from exc


def _encode_protocol_header(frame: ProtocolHeaderFrame) -> bytes:
    return b"AMQP\x00" + bytes((frame.major, frame.minor, frame.revision))


_pack_frame_header = FRAME_HEADER.pack
#: The encoder of each frame class (the dispatch of :func:`encode_frame` for
#: the frames it does not inline, and for subclasses).
_FRAME_ENCODERS: dict[type[Any], Callable[[Any], bytes]] = {
    MethodFrame: _encode_method_frame,
    ContentHeaderFrame: _encode_header_frame,
    ContentBodyFrame: _encode_body_frame,
    HeartbeatFrame: lambda frame: HEARTBEAT_FRAME_BYTES,
    ProtocolHeaderFrame: _encode_protocol_header,
}


def encode_content_frames(
    channel: int,
    method: Method,
    properties: BasicProperties,
    body: bytes | bytearray | memoryview,
    frame_max: int,
) -> list[bytes | bytearray | memoryview]:
    """Encode a content-carrying method: method frame, header frame, body frames.

    The body is split into frames of at most ``frame_max - 8`` bytes; an
    empty body sends no body frame.  A body of up to 4 KiB in one frame comes
    back joined with the rest, as a single ``bytes``.  Larger bodies are not
    copied: the result holds ``body`` (or ``memoryview`` slices of it)
    between small framing ``bytes``, ready for ``b"".join`` or
    ``writelines``; a mutable body must not change until they are written.
    A ``memoryview`` of wider items, or not contiguous, is copied to bytes
    first, so that sizes count octets.

    Raises:
        EncodeError, EncodeTypeError: a field cannot be encoded (names it).
    """
    if type(body) is not bytes:
        body = _plain_bytes(body)
    size = len(body)
    if 0 < size <= _SMALL_BODY and (size <= frame_max - 8 or not frame_max):
        # The common case, a small message: everything packs and joins at once.
        encoder = CONTENT_ENCODERS.get(type(method))
        if encoder is not None:
            try:
                return [encoder(channel, method, properties, body)]
            except RAW_ENCODE_ERRORS:
                pass  # the general path below names what is wrong
    flags, encoded = encode_properties(properties)
    chunk = frame_max - 8 if frame_max else size or 1
    method_frame = encode_method_frame(channel, method)
    try:
        header = HEADER_FRAME.pack(2, channel, 14 + len(encoded), BasicProperties.CLASS_ID, 0, size, flags)
        if size <= chunk:
            # One body frame (or none): the framing around it packs with the
            # header's frame-end octet.
            if not size:
                return [b"".join((method_frame, header, encoded, _FRAME_END_BYTES))]
            framing = _END_THEN_BODY_HEADER.pack(0xCE, 3, channel, size)
            if size <= _SMALL_BODY:
                return [b"".join((method_frame, header, encoded, framing, body, _FRAME_END_BYTES))]
            return [b"".join((method_frame, header, encoded, framing)), body, _FRAME_END_BYTES]
    except struct.error as exc:
        msg = f"channel {channel!r} or body size {size} is out of range"
        raise EncodeError(msg) from exc
    if chunk <= 0:
        raise EncodeError(f"frame_max {frame_max} leaves no room for a body")
    view = memoryview(body)
    parts: list[bytes | bytearray | memoryview] = [method_frame + header + encoded + _FRAME_END_BYTES]
    pack = FRAME_HEADER.pack
    for start in range(0, size, chunk):
        piece = view[start : start + chunk]
        parts.append(pack(3, channel, len(piece)))
        parts.append(piece)
        parts.append(_FRAME_END_BYTES)
    return parts


def _plain_bytes(body: bytes | bytearray | memoryview) -> bytes | bytearray | memoryview:
    """``body`` as a flat run of octets: ``len`` counts bytes, slices are byte ranges."""
    if isinstance(body, bytearray):
        return body
    view = memoryview(body)
    if view.itemsize == 1 and view.ndim == 1 and view.c_contiguous:
        return view
    return view.tobytes()  # wider items, several dimensions or strides: copy


_unpack_frame_header = FRAME_HEADER.unpack_from
#: The frame header and the first 14 payload octets: a method frame's class
#: and method ids (as one long), a content header's class id and weight (one
#: long), body size and property flags.  Read at once when the buffer holds them.
_unpack_frame_start = struct.Struct(">BHIIQH").unpack_from
#: The frame header and the first 4 payload octets (a method's ids).
_unpack_frame_and_ids = struct.Struct(">BHII").unpack_from
_unpack_flags = struct.Struct(">H").unpack_from
#: What follows a delivery's method frame: the content header's frame start
#: (as _unpack_frame_start) and, where they lie when the header has no
#: properties (a 14-octet payload), its frame-end octet and the body frame's
#: header.  One unpack instead of two for the usual delivery.
_unpack_delivery_rest = struct.Struct(">BHIIQHBBHI").unpack_from
_END_THEN_BODY_HEADER = END_THEN_BODY_HEADER
_SMALL_BODY = 4096

_HEARTBEAT = HeartbeatFrame()

#: Content-header decoders by property flags (see compile_header_decoder).
#: A peer could send all 2**14 flag values; past this many, the generic
#: decoder serves the rest instead of compiling more.
_HEADER_DECODERS: dict[int, Callable[..., Any]] = {}
_HEADER_DECODERS_MAX = 64

#: basic.deliver's class and method ids, as the loop reads them (one long).
_DELIVER_INDEX = 60 << 16 | 60
#: Whether the loop decodes a delivery's header and body with its method (trick 11).
_FUSE_DELIVERIES = True
#: Content headers without properties, by body size and channel
#: (``body_size << 16 | channel``): frozen, with the shared empty
#: properties, so one instance serves every delivery of that size.  Bounded:
#: past this many sizes, the others are decoded each time.
_EMPTY_HEADERS: dict[int, ContentHeaderFrame] = {}
_EMPTY_HEADERS_MAX = 256
#: The fields of a class given as ``FrameDecoder(deliveries=...)``.
_DELIVERY_FIELDS = ("channel_id", "method", "properties", "body")


def delivery_frames(delivery: Any) -> tuple[MethodFrame, ContentHeaderFrame, ContentBodyFrame]:
    """The three frames a delivery decoded in one step stands for (see ``FrameDecoder(deliveries=...)``)."""
    channel, body = delivery.channel_id, delivery.body
    return (
        MethodFrame(channel, delivery.method),
        ContentHeaderFrame(channel, len(body), delivery.properties),
        ContentBodyFrame(channel, body),
    )


def _header_decoder(flags: int) -> Callable[..., Any]:
    """The decoder of content headers with these property flags; compiled and cached if there is room.

    Raises:
        AMQPSyntaxError: ``flags`` has bits beyond basic's 14 properties.
    """
    if len(_HEADER_DECODERS) < _HEADER_DECODERS_MAX:
        decoder = _HEADER_DECODERS[flags] = compile_header_decoder(flags, ContentHeaderFrame)
        return decoder
    if flags & ~PROPERTY_FLAGS_IN_USE:
        msg = f"content header has property flags 0x{flags:04x} beyond basic's 14 properties"
        raise AMQPSyntaxError(msg, BasicProperties.CLASS_ID)
    return _decode_header_generic


def _decode_header_generic(
    buf: bytes | bytearray, offset: int, end: int, channel: int, body_size: int
) -> ContentHeaderFrame:
    """Any content header, with the compiled decoders' signature.

    The flags are the two octets before ``offset``.
    """
    flags = _unpack_flags(buf, offset - 2)[0]
    properties, offset = _decode_properties(buf, offset, flags)
    if offset != end:
        msg = f"content properties end at {offset}, the frame at {end}"
        raise AMQPSyntaxError(msg, BasicProperties.CLASS_ID)
    return ContentHeaderFrame(channel, body_size, properties)


# The decoder builds frames through their twins (see amqproto.wire._fast):
# an instance of the twin, filled with attribute stores, then given the
# frame's class.  The same instance as the constructor's, at a fraction of
# the cost.  None where the interpreter will not allow it: the decoder then
# calls the class.
_METHOD_FRAME_TWIN = slots_twin(MethodFrame)
_BODY_FRAME_TWIN = slots_twin(ContentBodyFrame)
# And their constructors too (trick 9), for whoever builds frames to encode them.
for _frame_class in (MethodFrame, ContentHeaderFrame, ContentBodyFrame, ProtocolHeaderFrame):
    install_fast_init(_frame_class)
del _frame_class


def _trim(pieces: list[bytes | memoryview], low: int, high: int) -> tuple[bytes | memoryview, ...]:
    """Octets ``low`` to ``high`` of what ``pieces`` hold end to end: the pieces, or views of them."""
    parts: list[bytes | memoryview] = []
    position = 0
    for piece in pieces:
        size = len(piece)
        first = max(low - position, 0)
        last = min(high - position, size)
        if first == 0 and last == size:
            parts.append(piece)
        elif first < last:
            parts.append(memoryview(piece)[first:last])
        position += size
    return tuple(parts)


def _frame_too_large(size: int, frame_max: int) -> FrameError:
    return FrameError(f"frame of {size + FRAME_HEADER_SIZE} bytes exceeds frame_max {frame_max}")


class FrameDecoder:
    """Turn a byte stream into frames, sans-io.

    Args:
        frame_max: The largest frame accepted, framing included; 0 means no
            limit.  Until tuning it is the spec's minimum, 4096; set
            :attr:`frame_max` once ``connection.tune`` has been negotiated.
        body_views_from: Body frames with a payload of at least this many
            octets come out as :class:`ContentBodyParts` (views of the fed
            bytes) instead of :class:`ContentBodyFrame` (a copy); None, the
            default, for never.  The core's own decoder sets it.
        deliveries: A class to decode a whole delivery into, in place of its
            three frames, when trick 11 decodes them in one step (see
            :mod:`amqproto.wire._fast`): a frozen, slotted dataclass with
            exactly the fields ``channel_id``, ``method`` (the
            ``basic.deliver``), ``properties`` and ``body``, such as
            :class:`~amqproto.events.MessageDelivered`, which the core's
            own decoder gives.  Each instance stands for the three frames
            ``MethodFrame(channel_id, method)``,
            ``ContentHeaderFrame(channel_id, len(body), properties)`` and
            ``ContentBodyFrame(channel_id, body)`` (see
            :func:`delivery_frames`); the body is never empty.  None, the
            default, for the frames.

    Buffering.  Whole frames are decoded straight from the ``bytes`` fed;
    what is left, the start of one frame, is kept as it arrived, a list of
    pieces (views of the fed chunks), not copied into a growing buffer.
    Once the rest of that frame arrives its pieces are joined (one copy of
    that frame only) and decoded alone, and decoding goes on in the new
    chunk where that frame ends; a large body frame is not even joined, its
    pieces becoming a :class:`ContentBodyParts`.  So each frame is still
    decoded from a buffer that ends where it ends, and no octet of a large
    body is copied on its way through.
    """

    def __init__(
        self,
        frame_max: int = FRAME_MIN_SIZE,
        *,
        body_views_from: int | None = None,
        deliveries: type | None = None,
    ) -> None:
        #: The largest frame accepted (framing octets included); 0 = no limit.
        self.frame_max = frame_max
        #: The error that stopped decoding; raised again by every later :meth:`feed`.
        self.error: AMQPError | None = None
        # Above any payload size when off: one comparison per body frame.
        self._views_from = 1 << 33 if body_views_from is None else body_views_from
        self._deliveries = deliveries
        self._delivery_twin: Any = None
        if deliveries is not None:
            names = tuple(field.name for field in dataclasses.fields(deliveries))
            if names != _DELIVERY_FIELDS:
                raise TypeError(f"{deliveries.__name__} has the fields {names}, not {_DELIVERY_FIELDS}")
            # Without a twin (see amqproto.wire._fast), the three frames.
            self._delivery_twin = slots_twin(deliveries)
        # The incomplete frame: its pieces as they arrived, their total size,
        # and (once its 7-octet header is in) its whole length, framing
        # included, with whether it is a large body frame and its channel.
        self._pending: list[bytes | memoryview] = []
        self._pending_size = 0
        self._needed = 0
        self._pending_view = False
        self._pending_channel = 0

    @property
    def buffered(self) -> int:
        """How many bytes wait for the rest of their frame."""
        return self._pending_size

    def feed(self, data: bytes | bytearray | memoryview) -> list[Frame]:
        """Add bytes; return every frame now complete, in order.

        Frames decoded before a malformed one are returned; the error is
        raised by the next call (and every one after it).  With
        ``body_views_from`` set, large body frames come as
        :class:`ContentBodyParts` (see the class), and with ``deliveries``
        set, whole deliveries as one object each (see :meth:`__init__`):
        only the core, which handles them, sets these.

        Raises:
            FrameError: a bad frame type, frame-end octet, a frame larger than
                ``frame_max``, or a heartbeat with a payload or off channel 0.
            AMQPSyntaxError: a malformed method or content header.
            CommandInvalid: a method frame naming no known method.
        """
        if self.error is not None:
            raise self.error
        if type(data) is not bytes:
            # Views must be of bytes nobody changes: a caller's bytearray or
            # memoryview may be reused for the next read.
            data = bytes(data)
        # Frames, ContentBodyParts when body_views_from is set, and whole
        # deliveries when deliveries is.
        frames: list[Any] = []
        try:
            offset = self._resume(data, frames) if self._pending else 0
            if offset < 0:
                return frames  # all of it went to the incomplete frame
            offset = self._decode_into(data, frames, offset)
            rest = len(data) - offset
            if rest:
                self._keep(data, offset, rest)
        except AMQPError as exc:
            self.error = exc
            self._pending = []
            self._pending_size = 0
            if not frames:
                raise
        return frames

    def _keep(self, data: bytes, offset: int, rest: int) -> None:
        """Keep ``data[offset:]``, the start of a frame, until the rest arrives."""
        self._pending = [memoryview(data)[offset:]]
        self._pending_size = rest
        self._needed = 0
        if rest >= 7:
            self._read_pending_header(data[offset : offset + 7])

    def _read_pending_header(self, header: bytes) -> None:
        """Learn the incomplete frame's length from its header (checked, else raised)."""
        frame_type, channel, size = _unpack_frame_header(header, 0)
        if frame_type == 0x41:  # a protocol header: 8 octets, not a frame
            self._needed = 8
            self._pending_view = False
            return
        # The whole decoder's checks (frame type, frame_max) on the header alone:
        # it raises, or stops at the missing payload.
        self._decode_into(header, [], 0)
        self._needed = FRAME_HEADER_SIZE + size
        self._pending_view = frame_type == 3 and size >= self._views_from
        self._pending_channel = channel

    def _resume(self, data: bytes, frames: list[Any]) -> int:
        """Complete the incomplete frame from ``data``; where decoding goes on in it, or -1."""
        pending = self._pending
        have = self._pending_size
        if not self._needed:
            if have + len(data) < 7:
                pending.append(data)
                self._pending_size = have + len(data)
                return -1
            self._read_pending_header(b"".join(pending) + data[: 7 - have])
        take = self._needed - have
        if len(data) < take:
            pending.append(data)
            self._pending_size = have + len(data)
            return -1
        pending.append(memoryview(data)[:take])
        self._pending = []
        self._pending_size = 0
        if self._pending_view:
            if data[take - 1] != 0xCE:
                raise FrameError(f"frame ends with 0x{data[take - 1]:02x}, not the frame-end octet 0xce")
            parts = _trim(pending, 7, self._needed - 1)
            frames.append(ContentBodyParts(self._pending_channel, parts, self._needed - FRAME_HEADER_SIZE))
        else:
            frame = b"".join(pending)
            self._decode_into(frame, frames, 0)
        return take

    def _decode_into(self, buf: bytes, frames: list[Any], offset: int) -> int:
        """Decode whole frames from ``buf[offset:]`` into ``frames``; return where the rest starts.

        The compiled payload decoders let malformed input surface as whatever
        Python raises; this is where it becomes an ``AMQPSyntaxError``.
        """
        length = len(buf)
        frame_max = self.frame_max
        # The largest payload allowed: one comparison per frame.
        max_size = frame_max - FRAME_HEADER_SIZE if frame_max else 0xFFFF_FFFF
        append = frames.append
        method_decoders = METHOD_DECODERS
        header_decoders = _HEADER_DECODERS
        frame_type = index = flags = start = end = size = 0
        frame: Any
        header: Any  # a delivery's properties, or its header frame
        # Where the last 21-octet frame start (see below) fits, and where
        # the last delivery's method frame may end for the rest to be
        # read at once (see _unpack_delivery_rest).
        last_start = length - 21
        last_delivery = length - 29
        views_from = self._views_from
        method_twin = _METHOD_FRAME_TWIN
        body_twin = _BODY_FRAME_TWIN
        # No delivery is basic.deliver when trick 11 is off (the tests' general path).
        deliver_index = _DELIVER_INDEX if _FUSE_DELIVERIES else -1
        empty_headers = _EMPTY_HEADERS
        delivery_twin = self._delivery_twin
        delivery_class = self._deliveries
        body_start = body_end = 0
        try:
            while True:
                # One unpack reads the frame header *and* what a method or a
                # content header starts with (see _unpack_frame_start); near
                # the end of the buffer, shorter unpacks do.  The values read
                # past a frame's payload are only used when the size check
                # below says the payload holds them.
                if offset <= last_start:
                    frame_type, channel, size, index, body_size, flags = _unpack_frame_start(buf, offset)
                elif offset <= length - 11:  # too short for a whole content header (22 octets)
                    frame_type, channel, size, index = _unpack_frame_and_ids(buf, offset)
                elif offset <= length - 7:  # too short for a whole method frame (12 octets)
                    frame_type, channel, size = _unpack_frame_header(buf, offset)
                else:
                    break
                start = offset + 7
                end = start + size
                try:
                    # Malformed or too large: the rare cases.  A protocol header
                    # ("A", not a frame) goes on to the dispatch below.
                    if (buf[end] != 0xCE or size > max_size) and frame_type != 0x41:
                        if size > max_size:
                            raise _frame_too_large(size, frame_max)
                        msg = f"frame ends with 0x{buf[end]:02x}, not the frame-end octet 0xce"
                        raise FrameError(msg)
                except IndexError:
                    # The frame end lies past the data: incomplete, too large, or not a frame.
                    # The IndexError is how the end was found missing, not a
                    # cause worth chaining: hence "from None" below.
                    if frame_type == 0x41:
                        if offset > length - 8:
                            break
                        append(self._protocol_header(bytes(buf[offset : offset + 8])))
                        offset += 8
                        continue
                    if size > max_size:
                        raise _frame_too_large(size, frame_max) from None
                    if frame_type not in (1, 2, 3, 8):
                        raise FrameError(f"unknown frame type {frame_type}") from None
                    break
                if frame_type == 1:
                    if size < 4:
                        raise AMQPSyntaxError("method frame is shorter than its class and method ids")
                    decoder = method_decoders.get(index)
                    if decoder is None:
                        raise unknown_method(index)
                    method = decoder(buf[start:end], 4, size)
                    offset = end + 1
                    if index != deliver_index or offset > last_delivery:
                        if method_twin is not None:
                            frame = method_twin()
                            frame.channel = channel
                            frame.method = method
                            frame.__class__ = MethodFrame
                        else:
                            frame = MethodFrame(channel, method)
                        append(frame)
                        continue
                    # A delivery (trick 11 of amqproto.wire._fast): its content
                    # header and single body frame, when both are here and
                    # plain, decoded without going round the loop twice.  Any
                    # doubt, and the method goes out as a frame, and the loop
                    # decodes the two (or refuses them) the general way.  The
                    # variables the error handler below reads describe the
                    # header while it is decoded.  (Each doubt appends the
                    # frame itself: a jump to one place for all of them would
                    # be long, and Python 3.11 specialises no comparison
                    # followed by a long jump.)
                    (
                        frame_type,
                        frame_channel,
                        size,
                        index,
                        body_size,
                        flags,
                        header_end,
                        body_type,
                        body_channel,
                        body_end,
                    ) = _unpack_delivery_rest(buf, offset)
                    start = offset + 7
                    end = start + size
                    body_start = end + 8
                    if (
                        frame_type != 2
                        or frame_channel != channel
                        or size < 14
                        or size > max_size
                        or index >> 16 != 60
                        or body_start > length
                    ):
                        append(MethodFrame(channel, method))
                        continue
                    if size != 14:  # properties: the body frame's header lies further on
                        header_end = buf[end]
                        body_type, body_channel, body_end = _unpack_frame_header(buf, end + 1)
                    if (
                        header_end != 0xCE
                        or body_type != 3
                        or body_channel != channel
                        or body_end != body_size
                        or not body_end
                        or body_end > max_size
                        or body_end >= views_from  # a large body: trick 10's views
                    ):
                        append(MethodFrame(channel, method))
                        continue
                    body_end += body_start
                    if body_end >= length or buf[body_end] != 0xCE:
                        append(MethodFrame(channel, method))
                        continue
                    if flags == 0 and size == 14:
                        # Immutable: the shared empty properties (what the header
                        # decoder for no flags gives), or the header frame holding
                        # them, one per size and channel.
                        if delivery_twin is not None:
                            header = _EMPTY_PROPERTIES
                        else:
                            header = empty_headers.get(body_size << 16 | channel)
                    else:
                        header = None
                    if header is None:
                        header_decoder = header_decoders.get(flags)
                        if header_decoder is None:
                            append(MethodFrame(channel, method))
                            continue
                        try:
                            header = header_decoder(buf[start:end], 14, size, channel, body_size)
                        except RAW_DECODE_ERRORS:
                            # The loop decodes the header again, and refuses it.
                            append(MethodFrame(channel, method))
                            continue
                        if delivery_twin is not None:
                            header = header.properties
                        elif flags == 0 and len(empty_headers) < _EMPTY_HEADERS_MAX:
                            empty_headers[body_size << 16 | channel] = header
                    if delivery_twin is not None:
                        # The whole delivery as one object (see __init__).
                        frame = delivery_twin()
                        frame.channel_id = channel
                        frame.method = method
                        frame.properties = header
                        frame.body = buf[body_start:body_end]
                        frame.__class__ = delivery_class
                        append(frame)
                    elif method_twin is not None and body_twin is not None:
                        # The three frames, through their twins (see amqproto.wire._fast).
                        frame = method_twin()
                        frame.channel = channel
                        frame.method = method
                        frame.__class__ = MethodFrame
                        append(frame)
                        append(header)
                        frame = body_twin()
                        frame.channel = channel
                        frame.payload = buf[body_start:body_end]
                        frame.__class__ = ContentBodyFrame
                        append(frame)
                    else:
                        append(MethodFrame(channel, method))
                        append(header)
                        append(ContentBodyFrame(channel, bytes(buf[body_start:body_end])))
                    offset = body_end + 1
                    continue
                elif frame_type == 3:
                    if size >= views_from:
                        frame = ContentBodyParts(channel, (memoryview(buf)[start:end],), size)
                    elif body_twin is not None:
                        frame = body_twin()
                        frame.channel = channel
                        frame.payload = buf[start:end]
                        frame.__class__ = ContentBodyFrame
                    else:  # bytes() of a bytes slice is that slice, not a copy
                        frame = ContentBodyFrame(channel, bytes(buf[start:end]))
                elif frame_type == 2:
                    if size < 14:
                        raise AMQPSyntaxError("content header frame is too short")
                    # index: class id and weight (ignored), two shorts
                    if index >> 16 != 60:
                        msg = f"content header of class {index >> 16}; only basic (60) carries content"
                        raise AMQPSyntaxError(msg, index >> 16)
                    header_decoder = header_decoders.get(flags)
                    if header_decoder is None:
                        header_decoder = _header_decoder(flags)
                    frame = header_decoder(buf[start:end], 14, size, channel, body_size)
                elif frame_type == 8:
                    if channel or size:
                        raise FrameError("heartbeat frames must be empty and on channel 0")
                    frame = _HEARTBEAT
                elif frame_type == 0x41:  # a protocol header ("AMQP" and the version we should speak)
                    append(self._protocol_header(bytes(buf[offset : offset + 8])))
                    offset += 8
                    continue
                else:
                    raise FrameError(f"unknown frame type {frame_type}")
                append(frame)
                offset = end + 1
        except AMQPError:
            raise
        except RAW_DECODE_ERRORS as exc:
            # Malformed input, or a bug: the general path tells which.
            payload = bytes(buf[start:end])
            if frame_type == 1:
                cls = METHODS[(index >> 16, index & 0xFFFF)]
                method_path = functools.partial(slow_decode_method, cls, payload, 4, size)
                raise decode_failure(exc, cls.NAME, method_path, cls.CLASS_ID, cls.METHOD_ID) from exc
            header_path = functools.partial(slow_decode_properties, payload, 14, size, flags)
            raise decode_failure(exc, "content header", header_path, BasicProperties.CLASS_ID) from exc
        return offset

    @staticmethod
    def _protocol_header(header: bytes) -> ProtocolHeaderFrame:
        if header[:5] != PROTOCOL_HEADER[:5]:
            raise FrameError(f"malformed protocol header {header!r}")
        if header == PROTOCOL_HEADER:
            raise AMQPNotImplemented("the peer sent a protocol header instead of frames")
        return ProtocolHeaderFrame(header[5], header[6], header[7])


# HEADER_FRAME is the encoder's view of the same layout as the decoder's prefix.
assert HEADER_FRAME.size == struct.calcsize(">BHIIQH") == 21
assert struct.calcsize(">BHIIQHBBHI") == 21 + 1 + 7 == 29  # a frame's header is 7 octets
