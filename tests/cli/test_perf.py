"""``amqproto perf`` against the broker, with each adapter.

Runs are one second long; the checks are on counts, never on rates or times.
"""

from __future__ import annotations

import json
import uuid

import pytest

from ..async_runner import session_reactor
from ..optional import needs_curio
from .helpers import admin_channel, queue_exists, run, run_process

pytestmark = [pytest.mark.broker, pytest.mark.timeout(60)]


def summary(out: str) -> dict[str, object]:
    lines = out.splitlines()
    assert len(lines) == 1, out  # one JSON object, nothing else on stdout
    document = json.loads(lines[0])
    assert isinstance(document, dict)
    return document


def count(document: dict[str, object], key: str) -> int:
    value = document[key]
    assert isinstance(value, int)
    return value


def check_confirmed_run(document: dict[str, object], adapter: str) -> None:
    """What a ``perf --confirm 64 --json`` run of ``adapter`` must report."""
    published, confirmed, consumed = (count(document, key) for key in ("published", "confirmed", "consumed"))
    assert published >= consumed > 0
    assert confirmed == published
    assert document["adapter"] == adapter
    rates = (document["publish_rate"], document["consume_rate"])
    assert all(isinstance(rate, float) and rate > 0 for rate in rates)
    latency = document["latency_us"]
    assert isinstance(latency, dict) and set(latency) >= {"p50", "p95", "p99", "max"}
    assert 0 <= latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
    queue = document["queue"]
    assert isinstance(queue, str) and not queue_exists(queue)


@pytest.mark.parametrize(
    "adapter",
    ["asyncio", "uvloop", pytest.param("curio", marks=needs_curio), "trio", "twisted", "blocking"],
)
def test_perf_with_confirms_counts_sanely_and_deletes_its_queue(
    adapter: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if adapter == "twisted":
        # A reactor runs once per process: the suite's, in its thread (perf
        # then runs its main coroutine there).
        session_reactor()
    result = run(capsys, "perf", "--duration", "1", "--json", "--confirm", "64", "--adapter", adapter)
    assert result.code == 0, result.err
    check_confirmed_run(summary(result.out), adapter)


def test_perf_on_twisted_runs_the_reactor_itself_as_the_top_level() -> None:
    completed = run_process("perf", "--duration", "1", "--json", "--confirm", "64", "--adapter", "twisted")
    assert completed.returncode == 0, completed.stderr.decode(errors="replace")
    check_confirmed_run(summary(completed.stdout.decode()), "twisted")


def test_perf_without_confirms_with_several_workers_and_a_progress_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run(
        capsys, "perf", "--duration", "1.3", "--json", "--producers", "2", "--consumers", "2", "--rate", "200"
    )
    assert result.code == 0, result.err
    document = summary(result.out)
    assert count(document, "published") >= count(document, "consumed") > 0
    assert count(document, "confirmed") == 0
    # Not a terminal: plain progress lines, one a second.
    progress = result.err.splitlines()
    assert progress and all("sent" in line and "received" in line and "p99" in line for line in progress)


def test_perf_on_a_named_quorum_queue_leaves_it_in_place(capsys: pytest.CaptureFixture[str]) -> None:
    queue = f"amqproto.test-cli.perf.{uuid.uuid4().hex[:12]}"
    try:
        result = run(
            capsys,
            "perf",
            "--duration",
            "1",
            "--queue",
            queue,
            "--quorum",
            "--confirm",
            "16",
            "--quiet",
            "--size",
            "100",
        )
        assert result.code == 0, result.err
        assert result.err == ""
        assert "published" in result.out and "latency" in result.out
        assert queue_exists(queue)
    finally:
        with admin_channel() as channel:
            channel.queue_delete(queue)
