"""The cluster suite's fixtures: a private three-node RabbitMQ cluster for the session.

``cluster`` starts the cluster with ``scripts/cluster.sh start`` when a test
first asks for it (about 15-40 s, once per test run), hands out a
:class:`~tests.cluster.nodes.Cluster` (``.urls``, ``.url(n)``,
``.stop_node(n)``, ``.start_node(n)``, ``.rabbitmqctl(n, ...)``) and stops
the cluster at the end: unless another test run still uses it (the last
one out stops it), or it was started by hand (it is left as found), or
``AMQPROTO_CLUSTER_KEEP=1``.
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
import tempfile
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


def _base_path() -> str:
    """Where scripts/cluster.sh keeps the cluster (its AMQPROTO_CLUSTER_DIR)."""
    return os.environ.get("AMQPROTO_CLUSTER_DIR") or os.path.join(tempfile.gettempdir(), "amqproto-cluster")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@pytest.fixture(scope="session")
def _cluster_session() -> Iterator[Cluster]:
    """Start the cluster if it is down; stop it after the last test run that uses it.

    Several test runs (worktrees, nox's Pythons) may share the one cluster:
    each registers its pid in ``<dir>.users`` while it runs, and the run
    that ends last stops the cluster, if a test run started it (the marker
    ``<dir>.started-by-tests``).  A cluster started by hand is left running.
    """
    if shutil.which("rabbitmq-server") is None and not Path("/usr/lib/rabbitmq/bin/rabbitmq-server").exists():
        pytest.skip("RabbitMQ's binaries (rabbitmq-server) are not installed: no cluster to test against")
    users = Path(f"{_base_path()}.users")
    started_by_tests = Path(f"{_base_path()}.started-by-tests")
    users.mkdir(exist_ok=True)
    me = users / str(os.getpid())
    me.touch()
    try:
        was_up = all(_serving(url) for url in run_script("urls").split())
        try:
            run_script("start")
        except ClusterScriptError as exc:
            if os.environ.get("CI"):
                pytest.fail(f"the test cluster did not start under CI: {exc}")
            pytest.skip(f"the test cluster did not start ({SCRIPT.name} start): {exc}")
        if not was_up:
            started_by_tests.touch()
        yield Cluster.from_script()
    finally:
        me.unlink(missing_ok=True)
        others = [path for path in users.iterdir() if path.name.isdigit() and _alive(int(path.name))]
        if not others and started_by_tests.exists() and os.environ.get("AMQPROTO_CLUSTER_KEEP") != "1":
            run_script("stop")
            started_by_tests.unlink(missing_ok=True)


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
