"""Frame codec throughput: amqproto against pamqp and pika's own codec.

Run as ``python bench/codec.py`` (``--rounds N`` for more or fewer rounds), or
import it and call :func:`main`, which returns the figures as a dict.

Three workloads, counted per message:

encode
    A ``basic.publish`` method frame, its content header (content type,
    delivery mode, a 3-entry headers table, message id, timestamp) and a
    32-byte body frame, joined into one ``bytes``.  Every library encodes the
    same prebuilt method and properties objects, so object construction is
    not measured, only the codec.  amqproto uses
    :func:`amqproto.wire.encode_content_frames`, pamqp ``pamqp.frame.marshal``
    and pika ``pika.frame.Method/Header/Body(...).marshal()``.

build
    What a publisher does per message: build a new properties object (the
    same properties, with its own message id and timestamp) and a new
    ``basic.publish`` method, then encode the method, header and body frames
    with the library's public frame encoder, joined into one ``bytes``.
    amqproto uses :func:`amqproto.wire.encode_frame` on a ``MethodFrame``, a
    ``ContentHeaderFrame`` and a ``ContentBodyFrame``; the same with
    :func:`amqproto.wire.encode_content_frames` (the fast path) is measured
    too, and ``encode_frame`` is reported as a multiple of it.

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
machine slows all of them alike; the best round of each counts.  Time is the
process's CPU time (``time.process_time``), which other processes on a busy
machine disturb far less than wall time; the workloads do no I/O.  Nothing
here is a test and nothing asserts on time; the figures are printed against
the targets amqproto aims for (encode >= 5x pamqp, decode >= 4x pamqp, both
>= 2x pika; build >= 4x pamqp and >= 2x pika, with ``encode_frame`` within
1.2x of ``encode_content_frames``).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import struct
import sys
import time
from collections.abc import Callable, Sequence
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
from amqproto.wire import (
    ContentBodyFrame,
    ContentHeaderFrame,
    FrameDecoder,
    MethodFrame,
    encode_content_frames,
    encode_frame,
)

__all__ = ["main", "TARGETS"]

LIBRARIES = ("amqproto", "pamqp", "pika")
#: Minimum speed-ups of amqproto: (workload, library) -> ratio.
TARGETS = {
    ("encode", "pamqp"): 5.0,
    ("encode", "pika"): 2.0,
    ("decode", "pamqp"): 4.0,
    ("decode", "pika"): 2.0,
    ("build", "pamqp"): 4.0,
    ("build", "pika"): 2.0,
}
#: The most ``encode_frame`` (method, header and body frames, building
#: included) may cost, as a multiple of ``encode_content_frames``.
ENCODE_FRAME_BOUND = 1.2
WORKLOADS = ("encode", "decode", "build")

CHANNEL = 1
FRAME_MAX = 131072
BODY = bytes(range(32))
EXCHANGE = "amq.topic"
ROUTING_KEY = "events.user.created"
CONTENT_TYPE = "application/json"
HEADERS: dict[str, Any] = {"x-trace-id": "4bf92f3577b34da6", "x-retry": 3, "x-replayed": True}
MESSAGE_ID = "msg-000001"
TIMESTAMP = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
ENCODE_MESSAGES = 2000
DECODE_MESSAGES = 1000


# -- encode -------------------------------------------------------------------


def encoders() -> dict[str, Callable[[int], bytes]]:
    """Per library, a function encoding the same message ``n`` times; it returns the last encoding."""
    method = BasicPublish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
    properties = BasicProperties(
        content_type=CONTENT_TYPE,
        delivery_mode=2,
        headers=HEADERS,
        message_id=MESSAGE_ID,
        timestamp=TIMESTAMP,
    )

    def amqproto_encode(n: int) -> bytes:
        join = b"".join
        encoded = b""
        for _ in range(n):
            encoded = join(encode_content_frames(CHANNEL, method, properties, BODY, FRAME_MAX))
        return encoded

    pamqp_method = pamqp.commands.Basic.Publish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
    pamqp_properties = pamqp.commands.Basic.Properties(
        content_type=CONTENT_TYPE,
        delivery_mode=2,
        headers=HEADERS,
        message_id=MESSAGE_ID,
        timestamp=TIMESTAMP,
    )

    def pamqp_encode(n: int) -> bytes:
        marshal = pamqp.frame.marshal
        encoded = b""
        for _ in range(n):
            header = pamqp.header.ContentHeader(0, len(BODY), pamqp_properties)
            encoded = b"".join(
                (
                    marshal(pamqp_method, CHANNEL),
                    marshal(header, CHANNEL),
                    marshal(pamqp.body.ContentBody(BODY), CHANNEL),
                )
            )
        return encoded

    pika_method = pika.spec.Basic.Publish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
    pika_properties = pika.spec.BasicProperties(
        content_type=CONTENT_TYPE,
        delivery_mode=2,
        headers=HEADERS,
        message_id=MESSAGE_ID,
        timestamp=int(TIMESTAMP.timestamp()),  # pika takes seconds
    )

    def pika_encode(n: int) -> bytes:
        encoded = b""
        for _ in range(n):
            encoded = b"".join(
                (
                    pika.frame.Method(CHANNEL, pika_method).marshal(),
                    pika.frame.Header(CHANNEL, len(BODY), pika_properties).marshal(),
                    pika.frame.Body(CHANNEL, BODY).marshal(),
                )
            )
        return encoded

    return {"amqproto": amqproto_encode, "pamqp": pamqp_encode, "pika": pika_encode}


def message_ids(n: int) -> list[tuple[str, datetime.datetime]]:
    """``n`` message ids and timestamps, one of each per message of the build workload."""
    return [(f"msg-{number:06d}", TIMESTAMP + datetime.timedelta(seconds=number)) for number in range(n)]


def builders() -> dict[str, Callable[[list[tuple[str, datetime.datetime]]], bytes]]:
    """Per library, a function that builds and encodes one message per ``(message id, timestamp)``.

    Each message is a new properties object (content type, delivery mode,
    the 3-entry headers table, its own message id and timestamp), a new
    ``basic.publish`` method, and the library's public frame encoder for
    the method, header and body frames, joined into one ``bytes``.  It
    returns the last message.  ``amqproto-fast`` is the same with
    :func:`~amqproto.wire.encode_content_frames` instead of
    :func:`~amqproto.wire.encode_frame`: the fast path that
    ``encode_frame`` is compared with.
    """

    def amqproto_build(ids: list[tuple[str, datetime.datetime]]) -> bytes:
        join = b"".join
        encoded = b""
        for message_id, timestamp in ids:
            properties = BasicProperties(
                content_type=CONTENT_TYPE,
                delivery_mode=2,
                headers=HEADERS,
                message_id=message_id,
                timestamp=timestamp,
            )
            method = BasicPublish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
            encoded = join(
                (
                    encode_frame(MethodFrame(CHANNEL, method)),
                    encode_frame(ContentHeaderFrame(CHANNEL, len(BODY), properties)),
                    encode_frame(ContentBodyFrame(CHANNEL, BODY)),
                )
            )
        return encoded

    def amqproto_build_fast(ids: list[tuple[str, datetime.datetime]]) -> bytes:
        join = b"".join
        encoded = b""
        for message_id, timestamp in ids:
            properties = BasicProperties(
                content_type=CONTENT_TYPE,
                delivery_mode=2,
                headers=HEADERS,
                message_id=message_id,
                timestamp=timestamp,
            )
            method = BasicPublish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
            encoded = join(encode_content_frames(CHANNEL, method, properties, BODY, FRAME_MAX))
        return encoded

    def pamqp_build(ids: list[tuple[str, datetime.datetime]]) -> bytes:
        marshal = pamqp.frame.marshal
        encoded = b""
        for message_id, timestamp in ids:
            properties = pamqp.commands.Basic.Properties(
                content_type=CONTENT_TYPE,
                delivery_mode=2,
                headers=HEADERS,
                message_id=message_id,
                timestamp=timestamp,
            )
            method = pamqp.commands.Basic.Publish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
            encoded = b"".join(
                (
                    marshal(method, CHANNEL),
                    marshal(pamqp.header.ContentHeader(0, len(BODY), properties), CHANNEL),
                    marshal(pamqp.body.ContentBody(BODY), CHANNEL),
                )
            )
        return encoded

    def pika_build(ids: list[tuple[str, datetime.datetime]]) -> bytes:
        encoded = b""
        for message_id, timestamp in ids:
            properties = pika.spec.BasicProperties(
                content_type=CONTENT_TYPE,
                delivery_mode=2,
                headers=HEADERS,
                message_id=message_id,
                timestamp=int(timestamp.timestamp()),  # pika takes seconds
            )
            method = pika.spec.Basic.Publish(exchange=EXCHANGE, routing_key=ROUTING_KEY)
            encoded = b"".join(
                (
                    pika.frame.Method(CHANNEL, method).marshal(),
                    pika.frame.Header(CHANNEL, len(BODY), properties).marshal(),
                    pika.frame.Body(CHANNEL, BODY).marshal(),
                )
            )
        return encoded

    return {
        "amqproto": amqproto_build,
        "pamqp": pamqp_build,
        "pika": pika_build,
        "amqproto-fast": amqproto_build_fast,
    }


def check_builders(build: dict[str, Callable[[list[tuple[str, datetime.datetime]]], bytes]]) -> None:
    """Every library's message decodes (with amqproto) to the same one, its own id and timestamp included."""
    ids = message_ids(3)
    message_id, timestamp = ids[-1]
    expected = [
        MethodFrame(CHANNEL, BasicPublish(exchange=EXCHANGE, routing_key=ROUTING_KEY)),
        ContentHeaderFrame(
            CHANNEL,
            len(BODY),
            BasicProperties(
                content_type=CONTENT_TYPE,
                delivery_mode=2,
                headers=HEADERS,
                message_id=message_id,
                timestamp=timestamp,
            ),
        ),
        ContentBodyFrame(CHANNEL, BODY),
    ]
    for library, run in build.items():
        decoded = FrameDecoder(FRAME_MAX).feed(run(ids))
        if decoded != expected:
            raise AssertionError(f"{library}'s message decodes to {decoded!r}")


def check_encoders(encode: dict[str, Callable[[int], bytes]]) -> None:
    """Every library's encoding decodes (with amqproto) to the same message."""
    expected = [
        MethodFrame(CHANNEL, BasicPublish(exchange=EXCHANGE, routing_key=ROUTING_KEY)),
        ContentHeaderFrame(
            CHANNEL,
            len(BODY),
            BasicProperties(
                content_type=CONTENT_TYPE,
                delivery_mode=2,
                headers=HEADERS,
                message_id=MESSAGE_ID,
                timestamp=TIMESTAMP,
            ),
        ),
        ContentBodyFrame(CHANNEL, BODY),
    ]
    for library, run in encode.items():
        decoded = FrameDecoder(FRAME_MAX).feed(run(1))
        if decoded != expected:
            raise AssertionError(f"{library}'s encoding decodes to {decoded!r}")


# -- decode -------------------------------------------------------------------


def deliveries(count: int) -> bytes:
    """``count`` delivered messages, each with its own tag, id and timestamp."""
    parts: list[bytes] = []
    for number in range(count):
        method = BasicDeliver(
            consumer_tag="amq.ctag-Zm9vYmFy",
            delivery_tag=number + 1,
            exchange=EXCHANGE,
            routing_key=ROUTING_KEY,
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


def frame_slices(blob: bytes) -> list[tuple[int, int]]:
    """``(start, end)`` of each frame in ``blob``."""
    slices: list[tuple[int, int]] = []
    offset = 0
    while offset < len(blob):
        end = offset + _frame_header(blob, offset)[2] + 8
        slices.append((offset, end))
        offset = end
    return slices


def decoders(blob: bytes) -> dict[str, Callable[[], Sequence[Any]]]:
    """Per library, a function decoding ``blob`` and returning what it decoded, frame by frame."""

    def amqproto_decode() -> Sequence[Any]:
        return FrameDecoder(FRAME_MAX).feed(blob)

    def sliced(decode: Callable[[bytes], Any]) -> Callable[[], list[Any]]:
        def run() -> list[Any]:
            decoded: list[Any] = []
            append = decoded.append
            offset = 0
            length = len(blob)
            while offset < length:
                end = offset + _frame_header(blob, offset)[2] + 8
                append(decode(blob[offset:end]))
                offset = end
            return decoded

        return run

    return {
        "amqproto": amqproto_decode,
        "pamqp": sliced(pamqp.frame.unmarshal),
        "pika": sliced(pika.frame.decode_frame),
    }


def check_decoders(decode: dict[str, Callable[[], Sequence[Any]]]) -> None:
    """Every library reads the same frames, and the same last message."""
    results = {library: run() for library, run in decode.items()}
    counts = {library: len(frames) for library, frames in results.items()}
    if set(counts.values()) != {3 * DECODE_MESSAGES}:
        raise AssertionError(f"frame counts differ: {counts}")
    method, header, body = results["amqproto"][-3:]
    assert isinstance(method, MethodFrame) and isinstance(method.method, BasicDeliver)
    assert isinstance(header, ContentHeaderFrame) and isinstance(body, ContentBodyFrame)
    (_, _, pamqp_method), (_, _, pamqp_header), (_, _, pamqp_body) = results["pamqp"][-3:]
    (_, pika_method), (_, pika_header), (_, pika_body) = results["pika"][-3:]
    seen = {
        "amqproto": (
            method.method.delivery_tag,
            header.properties.message_id,
            header.properties.headers,
            body.payload,
        ),
        "pamqp": (
            getattr(pamqp_method, "delivery_tag", None),
            getattr(getattr(pamqp_header, "properties", None), "message_id", None),
            getattr(getattr(pamqp_header, "properties", None), "headers", None),
            getattr(pamqp_body, "value", None),
        ),
        "pika": (
            pika_method.method.delivery_tag,
            pika_header.properties.message_id,
            pika_header.properties.headers,
            pika_body.fragment,
        ),
    }
    if len(set(map(repr, seen.values()))) != 1:
        raise AssertionError(f"the libraries decode the last message differently: {seen}")


# -- timing -------------------------------------------------------------------


def best_times(workloads: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """The best CPU time of each workload over ``rounds`` interleaved rounds."""
    best = dict.fromkeys(workloads, float("inf"))
    for _ in range(rounds):
        for name, run in workloads.items():
            start = time.process_time()
            run()
            best[name] = min(best[name], time.process_time() - start)
    return best


def main(rounds: int = 30, *, verbose: bool = True) -> dict[str, Any]:
    """Measure both workloads; print and return the figures.

    Returns:
        ``{"messages_per_second": {"encode": {library: rate}, "decode": {...}},
        "ratios": {"encode": {"pamqp": x, "pika": y}, "decode": {...}},
        "targets": {"encode": {...}, "decode": {...}}, "targets_met": bool}``
    """
    encode = encoders()
    check_encoders(encode)
    decode = decoders(deliveries(DECODE_MESSAGES))
    check_decoders(decode)
    build = builders()
    check_builders(build)
    ids = message_ids(ENCODE_MESSAGES)

    encode_times = best_times(
        {name: functools.partial(run, ENCODE_MESSAGES) for name, run in encode.items()}, rounds
    )
    decode_times = best_times(dict(decode), rounds)
    build_times = best_times({name: functools.partial(run, ids) for name, run in build.items()}, rounds)

    fast_path_rate = ENCODE_MESSAGES / build_times.pop("amqproto-fast")
    rates = {
        "encode": {name: ENCODE_MESSAGES / seconds for name, seconds in encode_times.items()},
        "decode": {name: DECODE_MESSAGES / seconds for name, seconds in decode_times.items()},
        "build": {name: ENCODE_MESSAGES / seconds for name, seconds in build_times.items()},
    }
    ratios = {
        workload: {other: by_library["amqproto"] / by_library[other] for other in LIBRARIES[1:]}
        for workload, by_library in rates.items()
    }
    targets = {
        workload: {other: TARGETS[(workload, other)] for other in LIBRARIES[1:]} for workload in WORKLOADS
    }
    # How much slower encode_frame is than the fast path, building included.
    encode_frame_cost = fast_path_rate / rates["build"]["amqproto"]
    met = all(ratios[workload][other] >= target for (workload, other), target in TARGETS.items())
    met = met and encode_frame_cost <= ENCODE_FRAME_BOUND
    figures: dict[str, Any] = {
        "messages_per_second": rates,
        "ratios": ratios,
        "targets": targets,
        "targets_met": met,
        "build_fast_path_per_second": fast_path_rate,
        "encode_frame_over_fast_path": encode_frame_cost,
    }
    if verbose:
        print_figures(figures, rounds)
    return figures


def print_figures(figures: dict[str, Any], rounds: int) -> None:
    print(f"Python {sys.version.split()[0]}, best of {rounds} interleaved rounds")
    print(f"{'':8}{'amqproto':>14}{'pamqp':>14}{'pika':>14}   {'vs pamqp':>9}{'vs pika':>9}")
    for workload in WORKLOADS:
        rates = figures["messages_per_second"][workload]
        ratios = figures["ratios"][workload]
        targets = figures["targets"][workload]
        cells = "".join(f"{rates[name]:>12,.0f}/s" for name in LIBRARIES)
        marks = "".join(
            f"{ratios[other]:>7.2f}x{'' if ratios[other] >= targets[other] else '!'}"
            for other in LIBRARIES[1:]
        )
        print(f"{workload:8}{cells}   {marks}")
    cost = figures["encode_frame_over_fast_path"]
    print(
        f"build with encode_content_frames (the fast path): {figures['build_fast_path_per_second']:,.0f}/s; "
        f"encode_frame costs {cost:.2f}x the fast path{'' if cost <= ENCODE_FRAME_BOUND else '!'}"
    )
    targets_text = ", ".join(f"{w} >= {t:g}x {o}" for (w, o), t in TARGETS.items())
    targets_text += f", encode_frame <= {ENCODE_FRAME_BOUND:g}x the fast path"
    print(f"targets ({targets_text}): {'met' if figures['targets_met'] else 'MISSED (marked !)'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=30, help="interleaved rounds; the best counts (default 30)"
    )
    main(parser.parse_args().rounds)
