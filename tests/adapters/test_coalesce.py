"""``coalesce``: runs of small buffers joined, large ones kept as they are, bytes and order unchanged."""

from __future__ import annotations

import random

from amqproto.io._backend import JOIN_BELOW, Buffer, coalesce


def test_all_small_is_one_join_and_large_ones_stay_themselves() -> None:
    small: list[Buffer] = [b"a", bytearray(b"bc"), memoryview(b"def")]
    assert coalesce(small) == [b"abcdef"]
    large = memoryview(b"x" * JOIN_BELOW)
    parts = coalesce([b"a", b"b", large, b"c"])
    assert parts[0] == b"ab" and parts[1] is large and parts[2] == b"c"
    assert coalesce([large]) == [large]
    assert coalesce([]) == []


def test_random_buffers_keep_their_bytes_and_order() -> None:
    rng = random.Random(14)
    for _ in range(200):
        buffers: list[Buffer] = [
            bytes(rng.randrange(256) for _ in range(rng.choice((0, 1, 7, 100))))
            if rng.random() < 0.8
            else b"L" * rng.choice((JOIN_BELOW - 1, JOIN_BELOW, JOIN_BELOW + 5))
            for _ in range(rng.randrange(6))
        ]
        parts = coalesce(buffers)
        assert b"".join(parts) == b"".join(buffers)
        assert parts == reference(buffers)


def reference(buffers: list[Buffer]) -> list[Buffer]:
    """Each run of buffers under JOIN_BELOW joined (a run of one kept), each larger one kept."""
    parts: list[Buffer] = []
    run: list[Buffer] = []
    for buffer in [*buffers, None]:
        if buffer is not None and len(buffer) < JOIN_BELOW:
            run.append(buffer)
            continue
        if run:
            parts.append(b"".join(run) if len(run) > 1 else run[0])
            run = []
        if buffer is not None:
            parts.append(buffer)
    return parts
