"""The frames of one ``basic.publish``, encoded for the hot path.

A publish is three frames or more: the ``basic.publish`` method, the content
header, and the body in frames of at most ``frame_max - 8`` bytes.  The
general encoder (:func:`~amqproto.wire.frames.encode_content_frames`) builds
each from a method object; publishing in a loop repeats the same method with
the same exchange and routing key, so the core encodes that frame once
(:func:`encode_publish_method`) and keeps it, and :func:`encode_publish_content`
adds the rest with as little work as possible:

- no properties: the content header and the first body frame's header are
  **one** precompiled ``struct`` (their layout is fixed but for the channel
  and the body size);
- a small body (under :data:`COPY_LIMIT`) is copied into that one ``bytes``
  with the method frame, so the transport gets one buffer per message;
- a larger body is not copied: the buffers are the framing ``bytes`` and
  ``memoryview`` slices of the body itself, ready for ``writelines`` or
  ``sendmsg``.  A mutable body (``bytearray``, writable ``memoryview``) is
  copied once, since the write may happen after the call returns.
"""

from __future__ import annotations

import struct

from ..exceptions import EncodeError
from ..schema.methods import BasicPublish
from ..schema.properties import BasicProperties
from .codec import END_THEN_BODY_HEADER, FRAME_HEADER, HEADER_FRAME, encode_method_frame, encode_properties

__all__ = ["COPY_LIMIT", "encode_publish_content", "encode_publish_method"]

#: Bodies smaller than this are copied into the framing bytes (one buffer
#: per message); larger ones are passed on by reference.
COPY_LIMIT = 16 * 1024

_CLASS_ID = BasicProperties.CLASS_ID
#: Content header without properties, its frame end, and the header of one body frame.
_BARE_HEADER_AND_BODY = struct.Struct(">BHIHHQHBBHI")
#: Content header without properties and its frame end (an empty body has no body frame).
_BARE_HEADER = struct.Struct(">BHIHHQHB")
_pack_bare_header_and_body = _BARE_HEADER_AND_BODY.pack
_pack_bare_header = _BARE_HEADER.pack
_pack_header = HEADER_FRAME.pack
_pack_frame_header = FRAME_HEADER.pack
_pack_end_then_body_header = END_THEN_BODY_HEADER.pack
_FRAME_END = b"\xce"

Output = list[bytes | bytearray | memoryview]


def encode_publish_method(
    channel: int, exchange: str, routing_key: str, mandatory: bool, immediate: bool
) -> bytes:
    """The whole ``basic.publish`` method frame.

    Raises:
        EncodeError, EncodeTypeError: an argument cannot be encoded (names it).
    """
    return encode_method_frame(channel, BasicPublish(0, exchange, routing_key, mandatory, immediate))


def encode_publish_content(
    output: Output,
    channel: int,
    method_frame: bytes,
    properties: BasicProperties | None,
    body: bytes | bytearray | memoryview,
    frame_max: int,
) -> None:
    """Append the frames of a publish to ``output``: method, content header, body.

    Args:
        method_frame: From :func:`encode_publish_method` for the same channel.
        properties: ``None`` for none.
        frame_max: The negotiated frame size (framing included); 0 for no limit.

    Raises:
        EncodeError, EncodeTypeError: a property cannot be encoded, the
            properties do not fit in one frame, or the channel or body size
            is out of range.
    """
    if type(body) is memoryview and (body.itemsize != 1 or not body.c_contiguous):
        body = body.tobytes()  # a view of wider items or with strides: make it plain bytes
    size = len(body)
    chunk = frame_max - 8 if frame_max else size or 1
    try:
        if properties is None:
            if not size:
                output.append(method_frame + _pack_bare_header(2, channel, 14, _CLASS_ID, 0, 0, 0, 0xCE))
                return
            if size <= chunk and size < COPY_LIMIT:
                # The common case, a small message: one buffer, one join
                # (each "+" would copy everything before it).
                output.append(
                    b"".join(
                        (
                            method_frame,
                            _pack_bare_header_and_body(
                                2, channel, 14, _CLASS_ID, 0, size, 0, 0xCE, 3, channel, size
                            ),
                            body,
                            _FRAME_END,
                        )
                    )
                )
                return
            head = method_frame + _pack_bare_header_and_body(
                2, channel, 14, _CLASS_ID, 0, size, 0, 0xCE, 3, channel, min(size, chunk)
            )
        else:
            flags, encoded = encode_properties(properties)
            if frame_max and 22 + len(encoded) > frame_max:
                # "A peer MUST NOT send frames larger than the agreed-upon size."
                size = len(encoded)
                msg = f"content properties of {size} bytes do not fit in a frame (frame_max {frame_max})"
                raise EncodeError(msg)
            header = _pack_header(2, channel, 14 + len(encoded), _CLASS_ID, 0, size, flags)
            if not size:
                output.append(b"".join((method_frame, header, encoded, _FRAME_END)))
                return
            if size <= chunk and size < COPY_LIMIT:
                # The common case, as above: one buffer, one join.
                framing = _pack_end_then_body_header(0xCE, 3, channel, size)
                output.append(b"".join((method_frame, header, encoded, framing, body, _FRAME_END)))
                return
            framing = _pack_end_then_body_header(0xCE, 3, channel, min(size, chunk))
            head = b"".join((method_frame, header, encoded, framing))
    except struct.error as exc:
        raise EncodeError(f"channel {channel} or body size {size} is out of range") from exc
    if size <= chunk:
        if size < COPY_LIMIT:
            output.append(head + body + _FRAME_END)
            return
        output += (head, _immutable(body), _FRAME_END)
        return
    view = memoryview(_immutable(body))
    output += (head, view[:chunk], _FRAME_END)
    for start in range(chunk, size, chunk):
        piece = view[start : start + chunk]
        output += (_pack_frame_header(3, channel, len(piece)), piece, _FRAME_END)


def _immutable(body: bytes | bytearray | memoryview) -> bytes | memoryview:
    if type(body) is bytes:
        return body
    if type(body) is memoryview and body.readonly:
        return body
    return bytes(body)
