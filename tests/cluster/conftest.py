"""The cluster suite's fixtures: a private three-node RabbitMQ cluster for the session.

``cluster`` (session scope) starts the cluster with ``scripts/cluster.sh
start`` (about 15-40 s, once per test run), yields a
:class:`~tests.cluster.nodes.Cluster` (``.urls``, ``.url(n)``,
``.stop_node(n)``, ``.start_node(n)``, ``.rabbitmqctl(n, ...)``) and stops
the cluster at the end, unless it was up before the session (someone else's,
or started by hand: it is left as found) or ``AMQPROTO_CLUSTER_KEEP=1``.
``cluster_urls`` is just the three URLs.  Nodes a test stopped are started
again after it (``cluster`` checks on every use), so each test begins with
three nodes.

Where RabbitMQ's binaries are missing, every test here skips with that
reason.  Where they are present but the cluster does not start (no root,
ports taken), the tests skip too, except under CI (``CI`` set), where that
is a failure.

Every test under this directory is marked ``cluster`` here (deselect them
with ``-m "not cluster"``) and given :data:`CLUSTER_TEST_TIMEOUT`: the
cluster's start counts against the first test's pytest timeout.  The
coroutine tests of ``_async`` run under their connection class's library
with the runner of ``tests/integration/conftest.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..integration.conftest import pytest_pyfunc_call
from .nodes import SCRIPT, Cluster, ClusterScriptError, run_script

__all__ = ["pytest_pyfunc_call", "cluster", "cluster_urls"]

#: pytest-timeout for a cluster test, its share of the cluster's start included.
CLUSTER_TEST_TIMEOUT = 600

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.cluster)
            item.add_marker(pytest.mark.timeout(CLUSTER_TEST_TIMEOUT))


def _serving(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def _cluster_session() -> Iterator[Cluster]:
    if shutil.which("rabbitmq-server") is None and not Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists():
        pytest.skip("RabbitMQ's binaries (rabbitmq-server) are not installed: no cluster to test against")
    was_up = all(_serving(url) for url in run_script("urls").split())
    try:
        run_script("start")
    except ClusterScriptError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"the test cluster did not start under CI: {exc}")
        pytest.skip(f"the test cluster did not start ({SCRIPT.name} start): {exc}")
    try:
        yield Cluster.from_script()
    finally:
        if not was_up and os.environ.get("AMQPROTO_CLUSTER_KEEP") != "1":
            run_script("stop")


@pytest.fixture
def cluster(_cluster_session: Cluster) -> Iterator[Cluster]:
    """The cluster, all three nodes up; nodes the test stopped are started again after it."""
    yield _cluster_session
    if not all(_serving(url) for url in _cluster_session.urls):
        run_script("start")


@pytest.fixture
def cluster_urls(cluster: Cluster) -> tuple[str, ...]:
    """The three nodes' AMQP URLs, node 1 first."""
    return cluster.urls
