"""The private three-node cluster of ``scripts/cluster.sh``, seen from the tests.

:class:`Cluster` is what the ``cluster`` fixture (``conftest.py``) yields:
the nodes' AMQP URLs and names, as the script reports them, and the
controls a failover test needs (stop a node, start it again, run
``rabbitmqctl`` against one).  Everything here blocks; an async test calls
it through ``run_blocking``.  Nodes are numbered 1 to 3, as in the script.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SCRIPT", "Cluster", "ClusterScriptError", "run_script"]

#: The script that starts, stops and inspects the cluster.
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cluster.sh"

#: Seconds one ``scripts/cluster.sh`` command may take: its own waits are
#: bounded by 120 s a node (CLUSTER_TIMEOUT), and a start waits for three.
SCRIPT_TIMEOUT = 400.0


class ClusterScriptError(Exception):
    """``scripts/cluster.sh`` failed; the message has the end of its output."""


def run_script(*arguments: str) -> str:
    """Run ``scripts/cluster.sh`` with ``arguments``; its standard output."""
    completed = subprocess.run(
        ["bash", str(SCRIPT), *arguments], capture_output=True, text=True, timeout=SCRIPT_TIMEOUT
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-20:])
        raise ClusterScriptError(
            f"scripts/cluster.sh {' '.join(arguments)} exited {completed.returncode}:\n{tail}"
        )
    return completed.stdout


@dataclass(frozen=True)
class Cluster:
    """Three RabbitMQ nodes joined in one cluster, up when the fixture hands it out."""

    #: ``amqp://guest:guest@127.0.0.1:5701/%2F`` and so on: node 1 first.
    urls: tuple[str, ...]
    #: ``amqproto-c1@localhost`` and so on: node 1 first.
    node_names: tuple[str, ...]

    @classmethod
    def from_script(cls) -> Cluster:
        return cls(
            urls=tuple(run_script("urls").split()),
            node_names=tuple(run_script("nodes").split()),
        )

    def url(self, node: int) -> str:
        """Node ``node``'s AMQP URL."""
        return self.urls[node - 1]

    def stop_node(self, node: int) -> None:
        """Stop node ``node`` (keeping its data), as a failure would; returns once it is down."""
        run_script("stop-node", str(node))

    def start_node(self, node: int) -> None:
        """Start node ``node`` again; returns once it has rejoined and serves AMQP."""
        run_script("start-node", str(node))

    def rabbitmqctl(self, node: int, *arguments: str) -> str:
        """``rabbitmqctl -n <node> arguments...`` (as the rabbitmq user): its standard output.

        ``--quiet`` and ``--no-table-headers`` are up to the caller.
        """
        return run_script("ctl", str(node), *arguments)
