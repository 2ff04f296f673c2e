"""Keep the benchmark harness from rotting: one tiny run per measuring path.

Not a timed test: it asserts that the harness runs and reports, never how
fast anything is.
"""

from __future__ import annotations

import pytest

from bench.common import Job
from bench.run import SCENARIOS, render, summarise
from bench.worker import run_job

pytestmark = pytest.mark.broker


@pytest.mark.parametrize(
    ("kind", "count", "properties"),
    [
        ("publish", 50, False),
        ("publish", 50, True),
        ("confirm", 50, False),
        ("consume", 50, False),
        ("rpc", 5, False),
    ],
)
def test_one_tiny_run_reports(kind: str, count: int, properties: bool) -> None:
    job = Job(
        client="amqproto-asyncio",
        scenario=f"smoke-{kind}",
        properties=properties,
        kind=kind,
        size=32,
        count=count,
        queue=f"bench.smoke.{kind}",
        window=10,
        prefetch=20,
        ack_every=7,
        warmup=2,
    )
    report = run_job(job)
    assert report["count"] == count
    assert report["msgs_per_s"] > 0
    assert report["cpu_us_per_msg"] > 0
    if kind == "rpc":
        assert report["latency_median_us"] <= report["latency_p99_us"]


def test_a_tiny_natural_confirm_run_reports() -> None:
    """confirm-natural-32B's path: a task per awaited publish, at most ``window`` in flight."""
    job = Job(
        client="amqproto-asyncio",
        scenario="smoke-confirm-natural",
        kind="confirm",
        size=32,
        count=50,
        queue="bench.smoke.confirm-natural",
        window=10,
        natural=True,
    )
    report = run_job(job)
    assert report["count"] == 50
    assert report["cpu_us_per_msg"] > 0


def test_the_report_renders() -> None:
    scenario = SCENARIOS["publish-32B"]
    result = {
        "client": "amqproto-uvloop", "scenario": scenario.name, "kind": "publish", "count": 10,
        "msgs_per_s": 100.0, "cpu_us_per_msg": 5.0, "client_cpu_pct": 95.0, "broker_cpu_pct": 50.0,
        "rss_growth_kib": 0,
    }
    peer = dict(result, client="pika-select", msgs_per_s=50.0)
    results = [result, peer]
    assert [s.client for s in summarise(results, scenario, ["amqproto-uvloop", "pika-select"])] == [
        "amqproto-uvloop",
        "pika-select",
    ]
    text = render(results, None, [scenario], ["amqproto-uvloop", "pika-select"], header="")
    assert "2.00×" in text
    assert "| amqproto-uvloop | 100 (100–100) | 5.0 | 95% | 50% | client |" in text


def test_the_scale_bench_runs_small() -> None:
    from bench.scale import main

    small = ["--connections", "3", "--idle", "0.2", "--consumers", "2", "5", "--messages", "20"]
    figures = main([*small, "--loop", "asyncio"], verbose=False)
    assert figures["connections"]["connections"] == 3 and figures["connections"]["refused"] is None
    assert [entry["consumers"] for entry in figures["consumers"]] == [2, 5]
    assert figures["dispatch_growth"] > 0
