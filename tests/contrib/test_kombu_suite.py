"""kombu's own integration suite for py-amqp, run against the broker with amqproto's transport.

``t/integration/test_py_amqp.py`` and its ``common.py`` come from the sdist
of the installed kombu, downloaded with pip at test time into a temporary
directory (they are not part of this repository); the test skips when the
download fails.  A conftest written beside them points kombu's ``pyamqp``
alias at ``amqproto.contrib.kombu:Transport`` and checks, in every test,
that the alias resolves to it.  The suite runs in a child pytest (kombu's
test classes are named ``test_*``, which needs its own ``python_classes``),
and every one of its tests must pass.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

kombu = pytest.importorskip("kombu")
pytest.importorskip("amqp")

pytestmark = pytest.mark.broker

ROOT = Path(__file__).resolve().parents[2]

CONFTEST = r'''
"""Written by tests/contrib/test_kombu_suite.py: kombu's pyamqp alias is amqproto's transport."""
import pytest
from kombu import transport

transport.TRANSPORT_ALIASES["pyamqp"] = "amqproto.contrib.kombu:Transport"


def pytest_configure(config):
    config.addinivalue_line("markers", "env(name): kombu's environment marker")
    config.addinivalue_line(
        "markers", "flaky(reruns, reruns_delay): kombu's rerun marker (not honoured here)"
    )


def _suite_queue_names():
    """The fixed queue names the suite uses: some of its tests leave messages behind."""
    import pathlib
    import re

    here = pathlib.Path(__file__).parent / "t" / "integration"
    pattern = re.compile(r"(?:Queue|SimpleBuffer)\(\s*['\"]([\w.-]+)['\"]")
    return sorted({name for path in here.glob("*.py") for name in pattern.findall(path.read_text())})


def _delete_suite_queues():
    import kombu

    with kombu.Connection("pyamqp://guest:guest@127.0.0.1:5672//") as connection:
        for name in _suite_queue_names():
            with connection.channel() as channel:
                channel.queue_delete(name)


@pytest.fixture(autouse=True, scope="session")
def _fresh_queues():
    _delete_suite_queues()
    yield
    _delete_suite_queues()


@pytest.fixture(autouse=True)
def _amqproto_transport():
    from amqproto.contrib.kombu import Transport

    transport._transport_cache.clear()
    assert transport.resolve_transport("pyamqp") is Transport
'''


def _fetch_suite(directory: Path) -> Path:
    """Download kombu's sdist and extract its py-amqp integration suite; return the suite's root."""
    version = kombu.__version__
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    command += ["--disable-pip-version-check", "-q", "-d", str(directory), f"kombu=={version}"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    archives = list(directory.glob("kombu-*.tar.gz"))
    if result.returncode or not archives:
        pytest.skip(f"could not download kombu {version}'s sdist: {result.stderr.strip()[-300:]}")
    wanted = (
        "t/__init__.py",
        "t/integration/__init__.py",
        "t/integration/common.py",
        "t/integration/test_py_amqp.py",
    )
    suite = directory / "suite"
    with tarfile.open(archives[0]) as archive:
        for member in archive.getmembers():
            relative = member.name.split("/", 1)[-1]
            if relative in wanted:
                target = suite / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                extracted = archive.extractfile(member)
                assert extracted is not None
                target.write_bytes(extracted.read())
    missing = [name for name in wanted if not (suite / name).exists()]
    if missing:
        pytest.skip(f"kombu {version}'s sdist lacks {', '.join(missing)}")
    (suite / "conftest.py").write_text(CONFTEST)
    return suite


def test_kombu_py_amqp_integration_suite(tmp_path: Path) -> None:
    suite = _fetch_suite(tmp_path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(suite)]), RABBITMQ_HOST="127.0.0.1")
    command = [sys.executable, "-m", "pytest", "t/integration/test_py_amqp.py", "-q", "-rfE"]
    command += [
        "-o",
        "python_classes=test_*",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(suite),
        "-c",
        os.devnull,
    ]
    result = subprocess.run(
        command, cwd=suite, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, (
        f"kombu's suite failed ({summary}):\n{result.stdout[-6000:]}\n{result.stderr[-2000:]}"
    )
    assert " passed" in summary and "failed" not in summary and "skipped" not in summary, summary
