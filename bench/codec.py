"""Frame codec throughput: amqproto against pamqp and pika's own codec.

Run as ``python bench/codec.py`` (``--rounds N`` for more or fewer rounds), or
import it and call :func:`main`, which returns the figures as a dict.

Two workloads, counted per message:

encode
    A ``basic.publish`` method frame, its content header (content type,
    delivery mode, a 3-entry headers table, message id, timestamp) and a
    32-byte body frame, joined into one ``bytes``.  Every library encodes the
    same prebuilt method and properties objects, so object construction is
    not measured, only the codec.  amqproto uses
    :func:`amqproto.wire.encode_content_frames`, pamqp ``pamqp.frame.marshal``
    and pika ``pika.frame.Method/Header/Body(...).marshal()``.

decode
    One ``bytes`` blob of 1000 ``basic.deliver`` + header + body messages
    (each with its own delivery tag, message id and timestamp, so that no
    library can profit from repetition).  amqproto feeds the whole blob to
    one :class:`~amqproto.wire.FrameDecoder`.  pamqp and pika have no stream
    decoder, so they are given each frame as an exact slice of the blob (the
    cheapest way to drive ``pamqp.frame.unmarshal`` and
    ``pika.frame.decode_frame``; pika's own connection re-slices its whole
    buffer after every frame, which is slower).

Timing: each round runs every library once, interleaved, so that a noisy
machine slows all of them alike; the best round of each counts.  Nothing
here is a test and nothing asserts on time; the figures are printed against
the targets amqproto aims for (encode >= 5x pamqp, decode >= 4x pamqp, both
>= 2x pika).
"""

from __future__ import annotations

import argparse
import datetime
import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pamqp.body
import pamqp.commands
import pamqp.frame
import pamqp.header
import pika.frame
import pika.spec

from amqproto.schema import BasicDeliver, BasicProperties, BasicPublish
from amqproto.wire import ContentBodyFrame, ContentHeaderFrame, FrameDecoder, MethodFrame, encode_content_frames

__all__ = ["main", "TARGETS"]

LIBRARIES = ("amqproto", "pamqp", "pika")
#: Minimum speed-ups of amqproto: (workload, library) -> ratio.
TARGETS = {
    ("encode", "pamqp"): 5.0,
    ("encode", "pika"): 2.0,
    ("decode", "pamqp"): 4.0,
    ("decode", "pika"): 2.0,
}

CHANNEL = 1
FRAME_MAX = 131072
BODY = bytes(range(32))
EXCHANGE = "amq.topic"
ROUTING_KEY = "events.user.created"
CONTENT_TYPE = "application/json"
HEADERS: dict[str, Any] = {"x-trace-id": "4bf92f3577b34da6", "x-retry": 3, "x-replayed": True}
MESSAGE_ID = "msg-000001"
TIMESTAMP = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
ENCODE_MESSAGES = 2000
DECODE_MESSAGES = 1000


# -- encode -------------------------------------------------------------------


def encoders() -> dict[str, Callable[[int], None]]:
    """Per library, a function encoding the same message ``n`` times."""
    method = BasicPublish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
    properties = BasicProperties(
        content_type=CONTENT_TYPE, delivery_mode=2, headers=HEADERS, message_id=MESSAGE_ID, timestamp=TIMESTAMP
    )

    def amqproto_encode(n: int) -> None:
        join = b"".join
        for _ in range(n):
            join(encode_content_frames(CHANNEL, method, properties, BODY, FRAME_MAX))

    pamqp_method = pamqp.commands.Basic.Publish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
    pamqp_properties = pamqp.commands.Basic.Properties(
        content_type=CONTENT_TYPE, delivery_mode=2, headers=HEADERS, message_id=MESSAGE_ID, timestamp=TIMESTAMP
    )

    def pamqp_encode(n: int) -> None:
        marshal = pamqp.frame.marshal
        for _ in range(n):
            header = pamqp.header.ContentHeader(0, len(BODY), pamqp_properties)
            b"".join(
                (
                    marshal(pamqp_method, CHANNEL),
                    marshal(header, CHANNEL),
                    marshal(pamqp.body.ContentBody(BODY), CHANNEL),
                )
            )

    pika_method = pika.spec.Basic.Publish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
    pika_properties = pika.spec.BasicProperties(
        content_type=CONTENT_TYPE,
        delivery_mode=2,
        headers=HEADERS,
        message_id=MESSAGE_ID,
        timestamp=int(TIMESTAMP.timestamp()),  # pika takes seconds
    )

    def pika_encode(n: int) -> None:
        for _ in range(n):
            b"".join(
                (
                    pika.frame.Method(CHANNEL, pika_method).marshal(),
                    pika.frame.Header(CHANNEL, len(BODY), pika_properties).marshal(),
                    pika.frame.Body(CHANNEL, BODY).marshal(),
                )
            )

    return {"amqproto": amqproto_encode, "pamqp": pamqp_encode, "pika": pika_encode}


def check_encoders() -> None:
    """Every library's encoding decodes (with amqproto) to the same message."""
    outputs: dict[str, bytes] = {}
    originals = {
        "amqproto": encode_content_frames,
    }
    del originals
    # Run each encoder once, capturing its output through a tiny shim: the
    # timed functions discard results, so re-encode here the same way.
    method = BasicPublish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
    properties = BasicProperties(
        content_type=CONTENT_TYPE, delivery_mode=2, headers=HEADERS, message_id=MESSAGE_ID, timestamp=TIMESTAMP
    )
    outputs["amqproto"] = b"".join(encode_content_frames(CHANNEL, method, properties, BODY, FRAME_MAX))
    pamqp_properties = pamqp.commands.Basic.Properties(
        content_type=CONTENT_TYPE, delivery_mode=2, headers=HEADERS, message_id=MESSAGE_ID, timestamp=TIMESTAMP
    )
    outputs["pamqp"] = (
        pamqp.frame.marshal(pamqp.commands.Basic.Publish(exchange=EXCHANGE, routing_key=ROUTING_KEY), CHANNEL)
        + pamqp.frame.marshal(pamqp.header.ContentHeader(0, len(BODY), pamqp_properties), CHANNEL)
        + pamqp.frame.marshal(pamqp.body.ContentBody(BODY), CHANNEL)
    )
    pika_properties = pika.spec.BasicProperties(
        content_type=CONTENT_TYPE,
        delivery_mode=2,
        headers=HEADERS,
        message_id=MESSAGE_ID,
        timestamp=int(TIMESTAMP.timestamp()),
    )
    outputs["pika"] = (
        pika.frame.Method(CHANNEL, pika.spec.Basic.Publish(exchange=EXCHANGE, routing_key=ROUTING_KEY)).marshal()
        + pika.frame.Header(CHANNEL, len(BODY), pika_properties).marshal()
        + pika.frame.Body(CHANNEL, BODY).marshal()
    )
    expected = [
        MethodFrame(CHANNEL, method),
        ContentHeaderFrame(CHANNEL, len(BODY), properties),
        ContentBodyFrame(CHANNEL, BODY),
    ]
    for library, encoded in outputs.items():
        decoded = FrameDecoder(FRAME_MAX).feed(encoded)
        if decoded != expected:
            raise AssertionError(f"{library}'s encoding decodes to {decoded!r}")


# -- decode -------------------------------------------------------------------


def deliveries(count: int) -> bytes:
    """``count`` delivered messages, each with its own tag, id and timestamp."""
    parts: list[bytes] = []
    for number in range(count):
        method = BasicDeliver(
            consumer_tag="amq.ctag-Zm9vYmFy", delivery_tag=number + 1, exchange=EXCHANGE, routing_key=ROUTING_KEY
        )
        properties = BasicProperties(
            content_type=CONTENT_TYPE,
            delivery_mode=2,
            headers=HEADERS,
            message_id=f"msg-{number:06d}",
            timestamp=TIMESTAMP + datetime.timedelta(seconds=number),
        )
        parts.append(b"".join(encode_content_frames(CHANNEL, method, properties, BODY, FRAME_MAX)))
    return b"".join(parts)


_frame_header = struct.Struct(">BHI").unpack_from


def decoders(blob: bytes) -> dict[str, Callable[[], int]]:
    """Per library, a function decoding ``blob`` and returning how many frames it got."""

    def amqproto_decode() -> int:
        return len(FrameDecoder(FRAME_MAX).feed(blob))

    def sliced(decode: Callable[[bytes], Any]) -> Callable[[], int]:
        def run() -> int:
            offset = frames = 0
            length = len(blob)
            while offset < length:
                end = offset + _frame_header(blob, offset)[2] + 8
                decode(blob[offset:end])
                offset = end
                frames += 1
            return frames

        return run

    return {
        "amqproto": amqproto_decode,
        "pamqp": sliced(pamqp.frame.unmarshal),
        "pika": sliced(pika.frame.decode_frame),
    }


def check_decoders(blob: bytes) -> None:
    """Every library reads the same last message from the blob."""
    frames = FrameDecoder(FRAME_MAX).feed(blob)
    method, header, body = frames[-3:]
    assert isinstance(method, MethodFrame) and isinstance(method.method, BasicDeliver)
    assert isinstance(header, ContentHeaderFrame) and isinstance(body, ContentBodyFrame)
    tail = blob[-sum(_frame_header(blob, 0)[2] * 0 + 0 for _ in ()) :]  # placeholder, replaced below
    del tail
    # The last three frames, as slices, for the other two libraries.
    offsets = [0]
    while offsets[-1] < len(blob):
        offsets.append(offsets[-1] + _frame_header(blob, offsets[-1])[2] + 8)
    last = [blob[start:end] for start, end in zip(offsets[-4:-1], offsets[-3:], strict=True)]
    _, _, pamqp_method = pamqp.frame.unmarshal(last[0])
    _, _, pamqp_header = pamqp.frame.unmarshal(last[1])
    _, pika_method = pika.frame.decode_frame(last[0])
    _, pika_header = pika.frame.decode_frame(last[1])
    _, pika_body = pika.frame.decode_frame(last[2])
    assert pamqp_method.delivery_tag == pika_method.method.delivery_tag == method.method.delivery_tag
    assert pamqp_header.properties.message_id == pika_header.properties.message_id
    assert pamqp_header.properties.message_id == header.properties.message_id
    assert pamqp_header.properties.headers == pika_header.properties.headers == header.properties.headers
    assert pika_body.fragment == body.payload


# -- timing -------------------------------------------------------------------


def best_times(workloads: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """The best wall time of each workload over ``rounds`` interleaved rounds."""
    best = dict.fromkeys(workloads, float("inf"))
    for _ in range(rounds):
        for name, run in workloads.items():
            start = time.perf_counter()
            run()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def main(rounds: int = 15, *, verbose: bool = True) -> dict[str, Any]:
    """Measure both workloads; print and return the figures.

    Returns:
        ``{"messages_per_second": {"encode": {library: rate}, "decode": {...}},
        "ratios": {"encode": {"pamqp": x, "pika": y}, "decode": {...}},
        "targets": {"encode": {...}, "decode": {...}}, "targets_met": bool}``
    """
    check_encoders()
    blob = deliveries(DECODE_MESSAGES)
    check_decoders(blob)

    encode = encoders()
    encode_times = best_times({name: (lambda f=f: f(ENCODE_MESSAGES)) for name, f in encode.items()}, rounds)
    decode_times = best_times(dict(decoders(blob)), rounds)

    rates = {
        "encode": {name: ENCODE_MESSAGES / seconds for name, seconds in encode_times.items()},
        "decode": {name: DECODE_MESSAGES / seconds for name, seconds in decode_times.items()},
    }
    ratios = {
        workload: {other: by_library["amqproto"] / by_library[other] for other in LIBRARIES[1:]}
        for workload, by_library in rates.items()
    }
    targets = {
        workload: {other: TARGETS[(workload, other)] for other in LIBRARIES[1:]} for workload in ("encode", "decode")
    }
    met = all(ratios[workload][other] >= target for (workload, other), target in TARGETS.items())
    figures: dict[str, Any] = {
        "messages_per_second": rates,
        "ratios": ratios,
        "targets": targets,
        "targets_met": met,
    }
    if verbose:
        print_figures(figures, rounds)
    return figures


def print_figures(figures: dict[str, Any], rounds: int) -> None:
    print(f"Python {sys.version.split()[0]}, best of {rounds} interleaved rounds")
    print(f"{'':8}{'amqproto':>14}{'pamqp':>14}{'pika':>14}   {'vs pamqp':>9}{'vs pika':>9}")
    for workload in ("encode", "decode"):
        rates = figures["messages_per_second"][workload]
        ratios = figures["ratios"][workload]
        targets = figures["targets"][workload]
        cells = "".join(f"{rates[name]:>12,.0f}/s" for name in LIBRARIES)
        marks = "".join(
            f"{ratios[other]:>7.2f}x{'' if ratios[other] >= targets[other] else '!'}" for other in LIBRARIES[1:]
        )
        print(f"{workload:8}{cells}   {marks}")
    targets_text = ", ".join(f"{w} >= {t:g}x {o}" for (w, o), t in TARGETS.items())
    print(f"targets ({targets_text}): {'met' if figures['targets_met'] else 'MISSED (marked !)'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved rounds; the best counts (default 15)")
    main(parser.parse_args().rounds)
