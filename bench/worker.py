"""One client-run in a fresh process: ``python -m bench.worker '<job as JSON>'``.

Sets the broker up with :class:`bench.broker.BrokerClient` (declare and
purge the queue; pre-fill it for consume; start the responder for rpc),
runs the client, checks the outcome, cleans up, and prints one line,
``RESULT {json}``, for :mod:`bench.run`.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from typing import Any

from .broker import BrokerClient
from .clients import runner
from .common import Job, Probe

__all__ = ["main", "run_job"]


def _start_responder(queue: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.responder", queue], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError("the RPC responder did not start")
    return process


def _wait_count(admin: BrokerClient, queue: str, count: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while True:
        current = admin.message_count(queue)
        if current == count or time.monotonic() > deadline:
            return current
        time.sleep(0.01)


def run_job(job: Job) -> dict[str, Any]:
    """Run one job in this process and return its report."""
    run = runner(job.client)
    admin = BrokerClient()
    responder: subprocess.Popen[str] | None = None
    poller: BrokerClient | None = None
    try:
        admin.declare(job.queue)
        admin.purge(job.queue)
        if job.kind == "consume":
            admin.fill(job.queue, b"x" * job.size, job.count)
            if _wait_count(admin, job.queue, job.count) != job.count:
                raise RuntimeError("the broker does not hold the pre-filled messages")
        elif job.kind == "rpc":
            responder = _start_responder(job.queue)
        if job.kind == "publish":
            poller = BrokerClient()
            counter = poller
            probe = Probe(job, lambda: counter.message_count(job.queue))
        else:
            probe = Probe(job)
        gc.collect()  # every client starts from the same, clean garbage-collector state
        run(job, probe)
        report = probe.result()
        if job.kind in ("publish", "confirm"):
            held = _wait_count(admin, job.queue, job.count, timeout=10)
            if held != job.count:
                raise RuntimeError(f"the broker holds {held} messages, not {job.count}")
        elif job.kind == "consume":
            left = _wait_count(admin, job.queue, 0, timeout=10)
            if left:
                raise RuntimeError(f"{left} messages are left in the queue after consuming")
        report.update(job.to_dict())
        return report
    finally:
        if responder is not None:
            responder.terminate()
            responder.wait()
            if responder.stdout is not None:
                responder.stdout.close()
        if poller is not None:
            poller.close()
        try:
            admin.delete(job.queue)
        finally:
            admin.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    job = Job(**json.loads(args[0]))
    report = run_job(job)
    print("RESULT " + json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
