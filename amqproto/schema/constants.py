"""Protocol constants of AMQP 0-9-1: frame types, limits and reply codes."""

from __future__ import annotations

import enum
from typing import Final

__all__ = [
    "PROTOCOL_HEADER",
    "FRAME_END",
    "FRAME_MIN_SIZE",
    "FRAME_HEADER_SIZE",
    "FrameType",
    "ReplyCode",
    "DEFAULT_PORT",
    "DEFAULT_TLS_PORT",
]

#: What a client sends first: ``"AMQP" 0 0 9 1``.
PROTOCOL_HEADER: Final = b"AMQP\x00\x00\x09\x01"
#: The octet that ends every frame.
FRAME_END: Final = 0xCE
#: The smallest ``frame_max`` a peer may ask for; also the largest frame
#: allowed before tuning.
FRAME_MIN_SIZE: Final = 4096
#: Octets of framing around a payload: type, channel, size, and frame-end.
FRAME_HEADER_SIZE: Final = 8
DEFAULT_PORT: Final = 5672
DEFAULT_TLS_PORT: Final = 5671


class FrameType(enum.IntEnum):
    """The first octet of a frame."""

    METHOD = 1
    HEADER = 2
    BODY = 3
    HEARTBEAT = 8


class ReplyCode(enum.IntEnum):
    """Reply codes of ``connection.close``, ``channel.close`` and ``basic.return``.

    Codes 3xx and 4xx except 402 are soft errors (they close a channel);
    320, 402 and 5xx are hard errors (they close the connection).
    """

    REPLY_SUCCESS = 200
    CONTENT_TOO_LARGE = 311
    NO_ROUTE = 312
    NO_CONSUMERS = 313
    CONNECTION_FORCED = 320
    INVALID_PATH = 402
    ACCESS_REFUSED = 403
    NOT_FOUND = 404
    RESOURCE_LOCKED = 405
    PRECONDITION_FAILED = 406
    FRAME_ERROR = 501
    SYNTAX_ERROR = 502
    COMMAND_INVALID = 503
    CHANNEL_ERROR = 504
    UNEXPECTED_FRAME = 505
    RESOURCE_ERROR = 506
    NOT_ALLOWED = 530
    NOT_IMPLEMENTED = 540
    INTERNAL_ERROR = 541

    @property
    def is_hard_error(self) -> bool:
        """Whether the code closes the whole connection."""
        return self in _HARD_ERRORS


_HARD_ERRORS = frozenset(
    {
        ReplyCode.CONNECTION_FORCED,
        ReplyCode.INVALID_PATH,
        ReplyCode.FRAME_ERROR,
        ReplyCode.SYNTAX_ERROR,
        ReplyCode.COMMAND_INVALID,
        ReplyCode.CHANNEL_ERROR,
        ReplyCode.UNEXPECTED_FRAME,
        ReplyCode.RESOURCE_ERROR,
        ReplyCode.NOT_ALLOWED,
        ReplyCode.NOT_IMPLEMENTED,
        ReplyCode.INTERNAL_ERROR,
    }
)
