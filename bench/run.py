"""The benchmark's entry point: ``python -m bench`` (or ``python bench/run.py``).

Runs every client side by side against the same local RabbitMQ in one run.
For each scenario, repetition ``r`` runs the clients in the order rotated by
``r`` (A B C, B C A, ...), each client-run in a fresh process
(:mod:`bench.worker`), and the table shows medians with min–max, the
client's own CPU time per message, how busy the client and the broker were,
and the ratios of each amqproto adapter against each peer.

    python -m bench                          # everything, 3 repetitions
    python -m bench --quick                  # a smoke-sized run
    python -m bench --scenario publish-32B --client amqproto-uvloop --client pika-select
    python -m bench --markdown results.md --json results.json
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python bench/run.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.clients import AMQPROTO_CLIENTS, CLIENTS, PEER_CLIENTS
from bench.common import Job

__all__ = ["SCENARIOS", "Scenario", "main"]

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Scenario:
    name: str
    #: publish, confirm, consume, rpc or codec.
    kind: str
    size: int
    count: int
    description: str
    #: Publish with properties (see bench.common.Job.properties).
    properties: bool = False
    #: The clients that implement the scenario; empty for every client.
    clients: tuple[str, ...] = ()
    #: Confirm through the natural API (see bench.common.Job.natural).
    natural: bool = False


#: The clients that publish with properties (Job.properties).
PROPERTIES_CLIENTS = (
    "amqproto-asyncio",
    "amqproto-uvloop",
    "amqproto-curio",
    "amqproto-blocking",
    "pika-select",
)

#: The clients of confirm-natural-32B: amqproto's async adapters with one
#: task per ``await channel.basic_publish(...)``; pika's SelectConnection
#: with its windowed confirms (as in confirm-32B: its callback API has no
#: per-message form); aiormq and aio-pika, whose confirm-32B is already one
#: task per publish.  The blocking clients have no natural streaming form
#: (a publish that waits for its confirm is one in flight per thread; a
#: pool of 500 threads is not how anyone writes it), so they are left out.
NATURAL_CLIENTS = (
    "amqproto-asyncio",
    "amqproto-uvloop",
    "amqproto-curio",
    "amqproto-trio",
    "amqproto-twisted",
    "pika-select",
    "aiormq-asyncio",
    "aiormq-uvloop",
    "aio-pika-asyncio",
    "aio-pika-uvloop",
)

SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in [
        Scenario(
            "publish-32B", "publish", 32, 20_000, "publish, no confirms, until the broker holds them all"
        ),
        Scenario(
            "publish-1KiB", "publish", 1024, 20_000, "publish, no confirms, until the broker holds them all"
        ),
        Scenario(
            "publish-64KiB",
            "publish",
            64 * 1024,
            2_000,
            "publish, no confirms, until the broker holds them all",
        ),
        Scenario(
            "publish-1MiB", "publish", 1 << 20, 200, "publish, no confirms, until the broker holds them all"
        ),
        Scenario(
            "publish-props-32B",
            "publish",
            32,
            20_000,
            "publish with properties (a new message id and timestamp each), no confirms, until the "
            "broker holds them all",
            properties=True,
            clients=PROPERTIES_CLIENTS,
        ),
        Scenario(
            "confirm-32B", "confirm", 32, 20_000, "publish with confirms, sliding window of 500 unconfirmed"
        ),
        Scenario(
            "confirm-natural-32B",
            "confirm",
            32,
            20_000,
            "publish with confirms through the natural API: one task per message awaiting its own "
            "confirm, at most 500 in flight (pika-select: its windowed confirms)",
            clients=NATURAL_CLIENTS,
            natural=True,
        ),
        Scenario(
            "consume-32B",
            "consume",
            32,
            20_000,
            "consume a pre-filled queue, prefetch 1000, ack multiple every 100",
        ),
        Scenario(
            "consume-64KiB",
            "consume",
            64 * 1024,
            10_000,
            "consume a pre-filled queue, prefetch 1000, ack multiple every 100",
        ),
        Scenario(
            "consume-1MiB",
            "consume",
            1 << 20,
            1_000,
            "consume a pre-filled queue, prefetch 1000, ack multiple every 100",
        ),
        Scenario(
            "rpc-32B", "rpc", 32, 2_000, "request/reply round trips through the broker (after 200 warm-up)"
        ),
        Scenario("codec", "codec", 0, 0, "encode/decode only, no broker (bench/codec.py)"),
        Scenario(
            "scale",
            "scale",
            0,
            0,
            "1,000 connections with 2 channels each, idle with heartbeats; 10 and 10,000 consumers "
            "on one connection (bench/scale.py)",
        ),
    ]
}

#: The peers each target compares with (see bench/README.md).
_LATENCY_KINDS = ("rpc",)


# -- running ------------------------------------------------------------------


def _run_worker(job: Job, timeout: float) -> dict[str, Any]:
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "bench.worker", json.dumps(job.to_dict())],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"client": job.client, "scenario": job.scenario, "error": f"timed out after {timeout:.0f} s"}
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            report: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return report
    tail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
    return {"client": job.client, "scenario": job.scenario, "error": tail}


def _run_codec(timeout: float, module: str = "codec", argv: Sequence[str] = ()) -> dict[str, Any]:
    """Run ``bench/<module>.py``'s ``main`` in a fresh process; its figures, or the error."""
    call = f"main({list(argv)!r}, verbose=False)" if module == "scale" else "main(verbose=False)"
    code = f"import json, bench.{module} as c; print('RESULT ' + json.dumps(c.{call}, default=str))"
    try:
        completed = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"error": "timed out"}
    for line in completed.stdout.splitlines():
        if line.startswith("RESULT "):
            figures: Any = json.loads(line[len("RESULT ") :])
            return {"figures": figures}
    tail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": tail}


def rotations(clients: Sequence[str], repetitions: int) -> list[list[str]]:
    """The client order of each repetition: A B C, B C A, C A B, ..."""
    n = len(clients)
    return [[clients[(start + i) % n] for i in range(n)] for start in (r % n for r in range(repetitions))]


def run_all(
    scenarios: Sequence[Scenario],
    clients: Sequence[str],
    repetitions: int,
    scale: float,
    log: Callable[[str], None],
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    results: list[dict[str, Any]] = []
    codec: dict[str, Any] | None = None
    for scenario in scenarios:
        if scenario.kind == "codec":
            log("codec: running bench/codec.py")
            codec = _run_codec(timeout=600)
            continue
        if scenario.kind == "scale":
            log("scale: running bench/scale.py")
            argv = [] if scale >= 1 else ["--connections", str(max(10, int(1000 * scale))), "--idle", "5"]
            argv += [] if scale >= 1 else ["--consumers", "10", "1000", "--messages", "2000"]
            results.append(
                {"scenario": "scale", "client": "amqproto-uvloop", **_run_codec(1200, "scale", argv)}
            )
            continue
        count = max(10, int(scenario.count * scale))
        runnable = [client for client in clients if not scenario.clients or client in scenario.clients]
        for repetition, order in enumerate(rotations(runnable, repetitions), 1):
            for client in order:
                job = Job(
                    client=client,
                    scenario=scenario.name,
                    kind=scenario.kind,
                    size=scenario.size,
                    count=count,
                    queue=f"bench.{scenario.name}",
                    properties=scenario.properties,
                    natural=scenario.natural,
                )
                started = time.monotonic()
                report = _run_worker(job, timeout=600)
                report["repetition"] = repetition
                results.append(report)
                if "error" in report:
                    log(f"{scenario.name} #{repetition} {client}: FAILED {report['error']}")
                else:
                    log(
                        f"{scenario.name} #{repetition} {client}: {_headline(report)} "
                        f"({time.monotonic() - started:.1f} s)"
                    )
    return results, codec


def _headline(report: dict[str, Any]) -> str:
    if report["kind"] in _LATENCY_KINDS:
        return f"median {report['latency_median_us']:.0f} µs, p99 {report['latency_p99_us']:.0f} µs"
    return f"{report['msgs_per_s']:,.0f} msgs/s, {report['cpu_us_per_msg']:.1f} µs CPU/msg"


# -- summarising -------------------------------------------------------------


@dataclass
class Summary:
    client: str
    runs: int
    errors: int
    value: float  # msgs/s, or the median latency in µs for rpc
    low: float
    high: float
    cpu_us: float
    client_cpu_pct: float
    broker_cpu_pct: float | None
    p99_us: float | None
    rss_growth_kib: float


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(results: list[dict[str, Any]], scenario: Scenario, clients: Sequence[str]) -> list[Summary]:
    summaries = []
    for client in clients:
        runs = [r for r in results if r.get("scenario") == scenario.name and r.get("client") == client]
        good = [r for r in runs if "error" not in r]
        if not runs:
            continue
        key = "latency_median_us" if scenario.kind in _LATENCY_KINDS else "msgs_per_s"
        values = [float(r[key]) for r in good]
        brokers = [float(r["broker_cpu_pct"]) for r in good if r.get("broker_cpu_pct") is not None]
        summaries.append(
            Summary(
                client=client,
                runs=len(runs),
                errors=len(runs) - len(good),
                value=_median(values),
                low=min(values, default=float("nan")),
                high=max(values, default=float("nan")),
                cpu_us=_median([float(r["cpu_us_per_msg"]) for r in good]),
                client_cpu_pct=_median([float(r["client_cpu_pct"]) for r in good]),
                broker_cpu_pct=_median(brokers) if brokers else None,
                p99_us=_median([float(r["latency_p99_us"]) for r in good])
                if scenario.kind in _LATENCY_KINDS
                else None,
                rss_growth_kib=_median([float(r["rss_growth_kib"]) for r in good]),
            )
        )
    return summaries


def _saturated(summary: Summary) -> str:
    busy = []
    if summary.client_cpu_pct >= 90:
        busy.append("client")
    if summary.broker_cpu_pct is not None and summary.broker_cpu_pct >= 90:
        busy.append("broker")
    return " + ".join(busy) if busy else "neither"


def _fmt_value(value: float, latency: bool) -> str:
    if math.isnan(value):
        return "—"
    return f"{value:,.0f}" if not latency else f"{value:,.0f} µs"


def speedup(amqproto: Summary, peer: Summary, latency: bool) -> float:
    """How many times better amqproto is (>1: amqproto is faster)."""
    if latency:
        return peer.value / amqproto.value
    return amqproto.value / peer.value


def render(
    results: list[dict[str, Any]],
    codec: dict[str, Any] | None,
    scenarios: Sequence[Scenario],
    clients: Sequence[str],
    header: str,
) -> str:
    """The report as markdown (it reads fine on a terminal too)."""
    lines = [header, ""]
    for scenario in scenarios:
        if scenario.kind == "codec":
            lines += _render_codec(codec)
            continue
        if scenario.kind == "scale":
            lines += _render_scale(results)
            continue
        summaries = summarise(results, scenario, clients)
        if not summaries:
            continue
        latency = scenario.kind in _LATENCY_KINDS
        count = next(
            (r["count"] for r in results if r.get("scenario") == scenario.name and "count" in r),
            scenario.count,
        )
        lines += [f"### {scenario.name}: {scenario.description} ({count:,} messages)", ""]
        if latency:
            lines += [
                (
                    "| client | median latency (min–max) | p99 | client CPU µs/round trip | client CPU "
                    "| broker CPU | saturated a core |"
                ),
                "|---|---|---|---|---|---|---|",
            ]
        else:
            lines += [
                (
                    "| client | msgs/s median (min–max) | client CPU µs/msg | client CPU | broker CPU | "
                    "saturated a core | peak RSS growth |"
                ),
                "|---|---|---|---|---|---|---|",
            ]
        for s in summaries:
            errors = f" ({s.errors} failed)" if s.errors else ""
            broker = f"{s.broker_cpu_pct:.0f}%" if s.broker_cpu_pct is not None else "?"
            low, high = _fmt_value(s.low, latency), _fmt_value(s.high, latency)
            span = f"{_fmt_value(s.value, latency)} ({low}–{high}){errors}"
            if latency:
                p99 = f"{s.p99_us:,.0f} µs" if s.p99_us is not None else "—"
                lines.append(
                    f"| {s.client} | {span} | {p99} | {s.cpu_us:.0f} | {s.client_cpu_pct:.0f}% | "
                    f"{broker} | {_saturated(s)} |"
                )
            else:
                growth = f"{s.rss_growth_kib / 1024:.1f} MiB"
                lines.append(
                    f"| {s.client} | {span} | {s.cpu_us:.1f} | {s.client_cpu_pct:.0f}% | {broker} | "
                    f"{_saturated(s)} | {growth} |"
                )
        ours = [s for s in summaries if s.client in AMQPROTO_CLIENTS]
        peers = [s for s in summaries if s.client in PEER_CLIENTS]
        if ours and peers:
            what = "latency: peer's / amqproto's" if latency else "throughput: amqproto's / peer's"
            lines += ["", f"Ratios ({what}; above 1 means amqproto is better):", ""]
            lines.append("| amqproto \\ peer | " + " | ".join(p.client for p in peers) + " |")
            lines.append("|---|" + "---|" * len(peers))
            for o in ours:
                cells = [f"{speedup(o, p, latency):.2f}×" for p in peers]
                lines.append(f"| {o.client} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _render_codec(codec: dict[str, Any] | None) -> list[str]:
    lines = ["### codec: encode/decode only, no broker (bench/codec.py, best of its interleaved rounds)", ""]
    if codec is None:
        return []
    if "error" in codec:
        return [*lines, f"bench/codec.py failed: {codec['error']}", ""]
    figures = codec["figures"]
    try:
        rates = figures["messages_per_second"]
        ratios = figures["ratios"]
        libraries = list(rates["encode"])
        peers = [name for name in libraries if name != "amqproto"]
        lines.append(
            "| workload | "
            + " | ".join(f"{name} msgs/s" for name in libraries)
            + " | "
            + " | ".join(f"amqproto / {peer}" for peer in peers)
            + " |"
        )
        lines.append("|---|" + "---|" * (len(libraries) + len(peers)))
        for workload in rates:
            cells = [f"{rates[workload][name]:,.0f}" for name in libraries]
            cells += [f"{ratios[workload][peer]:.2f}×" for peer in peers]
            lines.append(f"| {workload} | " + " | ".join(cells) + " |")
    except (KeyError, TypeError):
        lines += ["```", json.dumps(figures, indent=2, default=str), "```"]
    lines.append("")
    return lines


def _render_scale(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "### scale: many connections in one process, many consumers on one connection (bench/scale.py)",
        "",
    ]
    report = next((r for r in results if r.get("scenario") == "scale"), None)
    if report is None:
        return []
    if "error" in report:
        return [*lines, f"bench/scale.py failed: {report['error']}", ""]
    figures = report["figures"]
    connections = figures.get("connections")
    if connections:
        lines += [
            "| connections × channels | heartbeat | RSS growth | per connection | idle CPU (one core) |",
            "|---|---|---|---|---|",
            (
                f"| {connections['connections']:,} × 2 | {connections['heartbeat_s']} s | "
                f"{connections['rss_growth_mib']:.1f} MiB | {connections['kib_per_connection']:.1f} KiB | "
                f"{connections['idle_cpu_pct']:.2f} % over {connections['idle_s']:.0f} s |"
            ),
            "",
        ]
    lines += ["| consumers on one connection | deliveries | client CPU µs per delivery |", "|---|---|---|"]
    for entry in figures["consumers"]:
        lines.append(
            f"| {entry['consumers']:,} | {entry['messages']:,} | {entry['cpu_us_per_delivery']:.2f} |"
        )
    lines.append("")
    return lines


def _scale_targets(results: list[dict[str, Any]]) -> list[str]:
    report = next((r for r in results if r.get("scenario") == "scale" and "figures" in r), None)
    if report is None:
        return []
    figures, lines = report["figures"], []
    connections = figures.get("connections")
    if connections:
        kib, idle = connections["kib_per_connection"], connections["idle_cpu_pct"]
        count, heartbeat = connections["connections"], connections["heartbeat_s"]
        lines.append(
            f"| memory per connection (2 channels) ≤ 32 KiB | {kib:.1f} KiB | "
            f"{'yes' if kib <= 32 else 'NO'} |"
        )
        lines.append(
            f"| idle CPU, heartbeat {heartbeat} s, {count:,} connections ≤ 1 % of a core | {idle:.2f} % | "
            f"{'yes' if idle <= 1 else 'NO'} |"
        )
    if "dispatch_growth" in figures:
        growth = figures["dispatch_growth"]
        counts = [entry["consumers"] for entry in figures["consumers"]]
        verdict = "yes" if growth <= 1.25 else "NO"
        lines.append(
            f"| delivery dispatch O(1): cost at {max(counts):,} consumers / at {min(counts):,} ≤ 1.25 | "
            f"{growth:.2f}× | {verdict} |"
        )
    return lines


# -- targets -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    what: str
    scenario: str
    ours: str
    #: the peer client, or "" for an absolute target
    peer: str
    #: minimum speed-up over the peer (see speedup()), or the maximum of an absolute metric
    bound: float
    #: "speedup", "cpu_us" or "rss_mib"
    metric: str


TARGETS = [
    Target(
        "publish 32 B, uvloop ≥ pika SelectConnection",
        "publish-32B",
        "amqproto-uvloop",
        "pika-select",
        1.0,
        "speedup",
    ),
    Target(
        "publish 32 B, uvloop ≥ 2× aiormq (uvloop)",
        "publish-32B",
        "amqproto-uvloop",
        "aiormq-uvloop",
        2.0,
        "speedup",
    ),
    Target(
        "publish 32 B, blocking ≥ 1.5× pika BlockingConnection",
        "publish-32B",
        "amqproto-blocking",
        "pika-blocking",
        1.5,
        "speedup",
    ),
    Target(
        "confirms 32 B, uvloop ≥ 3× aiormq (uvloop)",
        "confirm-32B",
        "amqproto-uvloop",
        "aiormq-uvloop",
        3.0,
        "speedup",
    ),
    Target(
        "confirms 32 B, uvloop ≥ pika SelectConnection",
        "confirm-32B",
        "amqproto-uvloop",
        "pika-select",
        1.0,
        "speedup",
    ),
    Target(
        "natural confirms, uvloop ≥ 2× pika SelectConnection",
        "confirm-natural-32B",
        "amqproto-uvloop",
        "pika-select",
        2.0,
        "speedup",
    ),
    Target(
        "consume 32 B, uvloop ≥ pika SelectConnection",
        "consume-32B",
        "amqproto-uvloop",
        "pika-select",
        1.0,
        "speedup",
    ),
    Target(
        "consume 32 B, uvloop ≥ 2.5× aiormq (uvloop)",
        "consume-32B",
        "amqproto-uvloop",
        "aiormq-uvloop",
        2.5,
        "speedup",
    ),
    Target("RPC median latency, uvloop ≤ py-amqp", "rpc-32B", "amqproto-uvloop", "py-amqp", 1.0, "speedup"),
    Target(
        "RPC median latency, blocking ≤ py-amqp", "rpc-32B", "amqproto-blocking", "py-amqp", 1.0, "speedup"
    ),
    Target(
        "client CPU per published 32 B message ≤ 5 µs (uvloop)",
        "publish-32B",
        "amqproto-uvloop",
        "",
        5.0,
        "cpu_us",
    ),
    Target(
        "publish 32 B with properties, uvloop ≥ 3× pika SelectConnection",
        "publish-props-32B",
        "amqproto-uvloop",
        "pika-select",
        3.0,
        "speedup",
    ),
    Target(
        "client CPU per 32 B message published with properties ≤ 4 µs (uvloop)",
        "publish-props-32B",
        "amqproto-uvloop",
        "",
        4.0,
        "cpu_us",
    ),
    Target(
        "client CPU per consumed 32 B message ≤ 5 µs (uvloop)",
        "consume-32B",
        "amqproto-uvloop",
        "",
        5.0,
        "cpu_us",
    ),
    Target(
        "client CPU per consumed 32 B message ≤ 3 µs (uvloop)",
        "consume-32B",
        "amqproto-uvloop",
        "",
        3.0,
        "cpu_us",
    ),
    Target(
        "peak RSS growth publishing 200 × 1 MiB < 3 MiB (uvloop)",
        "publish-1MiB",
        "amqproto-uvloop",
        "",
        3.0,
        "rss_mib",
    ),
    Target(
        "peak RSS growth publishing 200 × 1 MiB < 3 MiB (blocking)",
        "publish-1MiB",
        "amqproto-blocking",
        "",
        3.0,
        "rss_mib",
    ),
]

#: Large bodies (issue 14 §4): every adapter at least as fast as py-amqp,
#: publishing and consuming.
_LARGE_BODY_ADAPTERS = (
    ("asyncio", "amqproto-asyncio"),
    ("uvloop", "amqproto-uvloop"),
    ("curio", "amqproto-curio"),
    ("trio", "amqproto-trio"),
    ("twisted", "amqproto-twisted"),
    ("blocking", "amqproto-blocking"),
)
TARGETS += [
    Target(
        f"{kind} {size}, {adapter} ≥ py-amqp",
        f"{kind}-{size.replace(' ', '')}",
        client,
        "py-amqp",
        1.0,
        "speedup",
    )
    for kind in ("publish", "consume")
    for size in ("64 KiB", "1 MiB")
    for adapter, client in _LARGE_BODY_ADAPTERS
]

_CODEC_TARGETS = [
    ("encode", "pamqp", 5.0),
    ("decode", "pamqp", 4.0),
    ("encode", "pika", 2.0),
    ("decode", "pika", 2.0),
    ("build", "pamqp", 4.0),
    ("build", "pika", 2.0),
]


def render_targets(results: list[dict[str, Any]], codec: dict[str, Any] | None) -> str:
    """The issue's targets, each checked against this run's medians."""
    lines = ["### Targets", "", "| target | measured | met |", "|---|---|---|"]
    for workload, peer, bound in _CODEC_TARGETS:
        try:
            ratio = float(codec["figures"]["ratios"][workload][peer])  # type: ignore[index]
        except (KeyError, TypeError):
            continue
        lines.append(
            f"| codec {workload} ≥ {bound:g}× {peer} | {ratio:.2f}× | {'yes' if ratio >= bound else 'NO'} |"
        )
    try:
        cost = float(codec["figures"]["encode_frame_over_fast_path"])  # type: ignore[index]
    except (KeyError, TypeError):
        pass
    else:
        verdict = "yes" if cost <= 1.2 else "NO"
        lines.append(f"| codec build: encode_frame ≤ 1.2× encode_content_frames | {cost:.2f}× | {verdict} |")
    lines += _scale_targets(results)
    for target in TARGETS:
        scenario = SCENARIOS[target.scenario]
        latency = scenario.kind in _LATENCY_KINDS
        by_client = {
            s.client: s
            for s in summarise(
                results, scenario, [target.ours, target.peer] if target.peer else [target.ours]
            )
        }
        ours = by_client.get(target.ours)
        if ours is None or (target.peer and target.peer not in by_client):
            continue
        if target.metric == "speedup":
            value = speedup(ours, by_client[target.peer], latency)
            met = value >= target.bound
            text = f"{value:.2f}×"
            if latency:
                text += f" ({ours.value:.0f} vs {by_client[target.peer].value:.0f} µs)"
        elif target.metric == "cpu_us":
            value, met = ours.cpu_us, ours.cpu_us <= target.bound
            text = f"{value:.1f} µs"
        else:
            value = ours.rss_growth_kib / 1024
            met = value < target.bound
            text = f"{value:.1f} MiB"
        if math.isnan(value):  # the run failed
            continue
        lines.append(f"| {target.what} | {text} | {'yes' if met else 'NO'} |")
    return "\n".join(lines) + "\n"


def machine_header(command: str) -> str:
    versions = []
    for package in ("pika", "amqp", "aiormq", "aio-pika", "uvloop", "curio", "pamqp"):
        try:
            versions.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    broker = "RabbitMQ ?"
    try:
        from bench.broker import BrokerClient

        client = BrokerClient()
        properties = client.core.server_properties
        broker = f"{properties.get('product', 'RabbitMQ')} {properties.get('version', '?')}"
        client.close()
    except OSError:
        pass
    return "\n".join(
        [
            f"Command: `{command}`",
            "",
            (
                f"Machine: {os.cpu_count()} × {cpu}, Linux {platform.release()}; Python "
                f"{platform.python_version()}; "
                f"{broker} on 127.0.0.1 (sharing the machine's cores with the client)."
            ),
            "",
            f"Versions: amqproto (this tree), {', '.join(versions)}.",
        ]
    )


# -- command line ------------------------------------------------------------


def _pick(names: list[str] | None, known: Sequence[str], what: str) -> list[str]:
    if not names:
        return list(known)
    picked: list[str] = []
    for item in names:
        for name in item.split(","):
            matches = [k for k in known if k == name] or [k for k in known if k.startswith(name)]
            if not matches:
                raise SystemExit(f"unknown {what} {name!r}; known: {', '.join(known)}")
            picked += [m for m in matches if m not in picked]
    return picked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario", action="append", help=f"scenarios (prefixes allowed): {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--client", action="append", help=f"clients (prefixes allowed): {', '.join(CLIENTS)}")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each client-run (default 3)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the messages, one repetition")
    parser.add_argument("--scale", type=float, default=None, help="multiply every message count by this")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    parser.add_argument("--markdown", type=Path, help="write the report here")
    args = parser.parse_args(argv)
    scenarios = [SCENARIOS[name] for name in _pick(args.scenario, list(SCENARIOS), "scenario")]
    clients = _pick(args.client, list(CLIENTS), "client")
    repetitions = 1 if args.quick and args.repeat == 3 else args.repeat
    scale = args.scale if args.scale is not None else (0.1 if args.quick else 1.0)
    command = "python -m bench" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    header = machine_header(command)
    print(header, flush=True)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    started = time.monotonic()
    results, codec = run_all(scenarios, clients, repetitions, scale, log)
    report = render(results, codec, scenarios, clients, header="")
    report += "\n" + render_targets(results, codec)
    report += f"\nTotal time: {time.monotonic() - started:.0f} s.\n"
    print(report)
    if args.json:
        args.json.write_text(json.dumps({"results": results, "codec": codec}, indent=1, default=str))
    if args.markdown:
        args.markdown.write_text(header + "\n" + report)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
