"""What every benchmark process shares: the job description and the probe.

A :class:`Job` says what one client-run does (scenario, body size, message
count, ...).  A :class:`Probe` measures it: the client calls
:meth:`Probe.start` right before its first publish (or consume, or request)
and the probe snapshots the wall clock, the process's CPU time (user + sys,
``resource.getrusage``), its peak RSS and the broker's CPU time (from
``/proc/<beam.smp>/stat``).  The end is measured in one of two ways:

- publishing without confirms is "timed until the broker holds them all":
  the client calls :meth:`Probe.published` after its last publish and keeps
  its I/O running; a poller thread then asks the broker for the queue's
  ``message_count`` (``queue.declare`` passive, on its own connection) every
  millisecond and takes the end snapshot when it reaches the count.  The
  poller's own CPU time (``time.thread_time``) is subtracted from the
  client's;
- everything else ends when the client knows it is done (its last confirm,
  its last delivery): it calls :meth:`Probe.stop`.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["CONTENT_TYPE", "HEADERS", "HOST", "PORT", "URL", "Job", "Probe", "Snapshot", "broker_cpu_seconds"]

HOST = "127.0.0.1"
PORT = 5672
URL = f"amqp://guest:guest@{HOST}:{PORT}/%2F"

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

#: The properties of the publish-with-properties scenarios (see Job.properties),
#: the same as bench/codec.py's.
CONTENT_TYPE = "application/json"
HEADERS: dict[str, Any] = {"x-trace-id": "4bf92f3577b34da6", "x-retry": 3, "x-replayed": True}


@dataclass
class Job:
    """One client-run: what the worker process does and reports."""

    client: str
    scenario: str
    #: publish, confirm, consume or rpc.
    kind: str
    size: int
    count: int
    queue: str
    #: Unconfirmed publishes allowed in flight (confirm).
    window: int = 500
    #: basic.qos prefetch (consume).
    prefetch: int = 1000
    #: Ack with multiple=True every this many deliveries (consume).
    ack_every: int = 100
    #: Untimed round trips before the timed ones (rpc).
    warmup: int = 200
    #: Publish with properties (publish): :data:`CONTENT_TYPE`, persistent
    #: delivery mode, the 3-entry :data:`HEADERS` table, and a new message id
    #: and timestamp per message.  Only the clients in
    #: ``bench.run.PROPERTIES_CLIENTS`` implement it.
    properties: bool = False
    #: Confirm through the natural API (confirm): one task per message whose
    #: publish awaits its own confirm, at most :attr:`window` in flight.
    #: Only the clients in ``bench.run.NATURAL_CLIENTS`` implement it.
    natural: bool = False
    url: str = URL

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Snapshot:
    wall: float
    cpu_user: float
    cpu_sys: float
    maxrss_kib: int
    broker_cpu: float | None

    @classmethod
    def take(cls, broker_pid: int | None, minus_cpu: float = 0.0) -> Snapshot:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return cls(
            wall=time.perf_counter(),
            # The poller's CPU is charged to user time (it is almost all Python).
            cpu_user=usage.ru_utime - minus_cpu,
            cpu_sys=usage.ru_stime,
            maxrss_kib=usage.ru_maxrss,
            broker_cpu=broker_cpu_seconds(broker_pid),
        )


def find_broker_pid() -> int | None:
    """The pid of RabbitMQ's Erlang VM on this machine, if it can be seen."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return None
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as comm:
                if comm.read().strip() == "beam.smp":
                    return int(entry)
        except OSError:
            continue
    return None


def broker_cpu_seconds(pid: int | None) -> float | None:
    """user + sys CPU seconds of process ``pid`` (all its threads), or None."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # fields[0] is the state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


@dataclass
class Probe:
    """Start and end snapshots of one client-run (see the module docstring).

    Args:
        job: The run.
        count_queue: For "timed until the broker holds them all": a function
            returning the queue's message count, called from the poller
            thread only.
    """

    job: Job
    count_queue: Callable[[], int] | None = None
    start_snapshot: Snapshot | None = None
    end_snapshot: Snapshot | None = None
    #: RPC round-trip latencies, seconds.
    latencies: list[float] = field(default_factory=list)
    _broker_pid: int | None = None
    _done: threading.Event = field(default_factory=threading.Event)
    _callbacks: list[Callable[[], object]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._broker_pid = find_broker_pid()

    def start(self) -> None:
        self.start_snapshot = Snapshot.take(self._broker_pid)

    def stop(self) -> None:
        """The run is over (called by the client, in its own thread)."""
        if self.end_snapshot is None:
            self.end_snapshot = Snapshot.take(self._broker_pid)
        self._finish()

    def published(self) -> None:
        """Every publish was handed to the client: poll the broker until it holds them all."""
        if self.count_queue is None:
            self.stop()
            return
        threading.Thread(target=self._poll, name="bench-poller", daemon=True).start()

    def _poll(self) -> None:
        assert self.count_queue is not None
        started = time.thread_time()
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.count_queue() >= self.job.count:
                self.end_snapshot = Snapshot.take(self._broker_pid, time.thread_time() - started)
                break
            time.sleep(0.001)
        self._finish()

    def _finish(self) -> None:
        with self._lock:
            self._done.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()

    def add_done_callback(self, callback: Callable[[], object]) -> None:
        """Call ``callback()`` (from whichever thread) once the run is over."""
        with self._lock:
            if not self._done.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def wait(self, timeout: float | None = 600) -> None:
        """Block until the run is over."""
        if not self._done.wait(timeout):
            raise TimeoutError("the broker never held every message")

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def result(self) -> dict[str, Any]:
        """The figures of the run, for the JSON report."""
        start, end = self.start_snapshot, self.end_snapshot
        if start is None or end is None:
            raise RuntimeError("the run was not measured (start/stop missing)")
        wall = end.wall - start.wall
        user = end.cpu_user - start.cpu_user
        system = end.cpu_sys - start.cpu_sys
        count = self.job.count
        report: dict[str, Any] = {
            "wall_s": wall,
            "msgs_per_s": count / wall if wall > 0 else 0.0,
            "cpu_user_s": user,
            "cpu_sys_s": system,
            "cpu_us_per_msg": (user + system) / count * 1e6,
            "client_cpu_pct": (user + system) / wall * 100 if wall > 0 else 0.0,
            "broker_cpu_pct": None,
            "maxrss_kib": end.maxrss_kib,
            "rss_growth_kib": end.maxrss_kib - start.maxrss_kib,
        }
        if start.broker_cpu is not None and end.broker_cpu is not None and wall > 0:
            report["broker_cpu_pct"] = (end.broker_cpu - start.broker_cpu) / wall * 100
        if self.latencies:
            ordered = sorted(self.latencies)
            report["latency_median_us"] = ordered[len(ordered) // 2] * 1e6
            report["latency_p99_us"] = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e6
        return report
