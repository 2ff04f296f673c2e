"""The AMQP 0-9-1 wire format: frames, methods, content properties, field tables.

Knows the schema (:mod:`amqproto.schema`) and nothing of connection state.
Codecs are compiled from the schema's annotations once, at import; see
:mod:`amqproto.wire.codec` for how, and ``python -m amqproto.wire --dump
basic.publish`` for what.  The speed tricks are listed in
:mod:`amqproto.wire._fast`.
"""

from .codec import (
    decode_method,
    decode_properties,
    encode_header_frame,
    encode_method,
    encode_method_frame,
    encode_properties,
)
from .frames import (
    HEARTBEAT_FRAME_BYTES,
    ContentBodyFrame,
    ContentHeaderFrame,
    Frame,
    FrameDecoder,
    HeartbeatFrame,
    MethodFrame,
    ProtocolHeaderFrame,
    encode_content_frames,
    encode_frame,
)
from .table import decode_array, decode_table, encode_array, encode_table

__all__ = [
    "HEARTBEAT_FRAME_BYTES",
    "ContentBodyFrame",
    "ContentHeaderFrame",
    "Frame",
    "FrameDecoder",
    "HeartbeatFrame",
    "MethodFrame",
    "ProtocolHeaderFrame",
    "decode_array",
    "decode_method",
    "decode_properties",
    "decode_table",
    "encode_array",
    "encode_content_frames",
    "encode_frame",
    "encode_header_frame",
    "encode_method",
    "encode_method_frame",
    "encode_properties",
    "encode_table",
]
