"""The test matrix: pytest on CPython 3.11, 3.12 and 3.13; mypy and ruff once.

``bash scripts/test.sh`` (the README's test command, which CI runs) is the
usual way in: it makes the project's ``.venv``, installs ``.[dev]`` there and
runs ``nox`` from it.  By hand, from that environment::

    .venv/bin/python -m nox -s mypy ruff tests twisted_asyncio_reactor   # what test.sh runs,
    .venv/bin/python -m nox -s tests_services                           # beside this
    .venv/bin/python -m nox -s tests-3.13 -- tests/wire -x   # one Python, some tests

Sessions:

- ``mypy`` and ``ruff`` run in the environment nox itself runs in (``.venv``),
  once: ``mypy.ini`` pins ``python_version = 3.11``, the oldest supported,
  so one run checks the code for every version.
- ``tests-3.11``, ``tests-3.12``, ``tests-3.13`` each get their own
  environment under ``.nox/`` with ``.[test,bench]`` (reused between runs) and
  run the whole suite, the real-broker tests included: ``exec`` of generated
  code, ``__class__`` assignment and annotation introspection are exactly
  what changes between CPython versions.  Arguments after ``--`` go to pytest.
- ``tests_services``: ``tests/cluster`` and ``tests/contrib`` (a private
  three-node cluster, Celery workers), once, on 3.11; the ``tests``
  sessions leave them out.  ``scripts/test.sh`` runs it beside the others.
- ``twisted_asyncio_reactor``: the Twisted tests again, under
  ``twisted.internet.asyncioreactor`` (the ``tests`` sessions run Twisted's
  default reactor; a process installs one reactor, so this is a second
  pytest run), once, in nox's own environment: about a minute.

Finding the interpreters: a ``python3.X`` on ``PATH`` that runs is used;
otherwise the newest ``3.X.*`` that pyenv has installed (pyenv's shims only
run the versions currently selected, so ``python3.12`` on ``PATH`` may be a
shim that refuses).  Those are linked into ``.nox/bin``, which is put on nox's
``PATH``.  A version found nowhere is skipped with a message, except under CI
(``CI`` set), where it is an error: nox's ``error_on_missing_interpreters``
defaults to that.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
PYTHONS = ["3.11", "3.12", "3.13"]

nox.options.sessions = ["mypy", "ruff", "tests", "tests_services", "twisted_asyncio_reactor"]
nox.options.reuse_venv = "yes"
# Never fetch an interpreter from the network: test the ones on the machine.
nox.options.download_python = "never"


def _runs(executable: str) -> bool:
    try:
        return subprocess.run([executable, "-c", ""], capture_output=True, timeout=30).returncode == 0
    except OSError:
        return False


def _pyenv_interpreter(version: str) -> Path | None:
    """The newest pyenv-installed ``python<version>``, if any."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates = [
        directory / "bin" / f"python{version}"
        for directory in (root / "versions").glob(f"{version}.*")
        if directory.name.removeprefix(f"{version}.").isdigit()
    ]
    candidates.sort(key=lambda path: int(path.parent.parent.name.rsplit(".", 1)[1]), reverse=True)
    return next((path for path in candidates if _runs(str(path))), None)


def _expose_interpreters() -> None:
    """Make each of :data:`PYTHONS` runnable as ``python3.X`` on nox's PATH."""
    links = ROOT / ".nox" / "bin"
    for version in PYTHONS:
        name = f"python{version}"
        link = links / name
        # scripts/test.sh runs two nox processes at once: either may have
        # made or removed a link a moment ago.
        if link.is_symlink():  # made by an earlier run: found again below, or gone
            with contextlib.suppress(FileNotFoundError):
                link.unlink()
        on_path = shutil.which(name)
        if on_path is not None and _runs(on_path):
            continue
        target = _pyenv_interpreter(version)
        if target is None:
            continue
        links.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            link.symlink_to(target)
    if links.is_dir():
        os.environ["PATH"] = os.pathsep.join([str(links), os.environ.get("PATH", "")])


_expose_interpreters()


@nox.session(python=False)
def mypy(session: nox.Session) -> None:
    """``mypy --strict`` over the files mypy.ini lists, once."""
    session.run(sys.executable, "-m", "mypy", "--strict")


@nox.session(python=False)
def ruff(session: nox.Session) -> None:
    """``ruff check`` with pyproject.toml's rules, once."""
    session.run(sys.executable, "-m", "ruff", "check", "--output-format=concise", ".")


#: Run on the first Python of the matrix only: they drive other processes
#: (Celery workers, a three-node RabbitMQ cluster) whose behaviour does not
#: depend on our interpreter, and they take a third of the suite's time.
FIRST_PYTHON_ONLY = ("tests/contrib", "tests/cluster")


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The pytest suite on one CPython, but for FIRST_PYTHON_ONLY (see tests_services); or the given tests."""
    session.install("--quiet", "--disable-pip-version-check", "-e", ".[test,bench,kombu-test]")
    arguments = list(session.posargs) or [f"--ignore={path}" for path in FIRST_PYTHON_ONLY]
    session.run("python", "-m", "pytest", *arguments)


@nox.session(python=PYTHONS[0])
def tests_services(session: nox.Session) -> None:
    """FIRST_PYTHON_ONLY, on the first Python.

    They spend most of their time waiting for other processes (a node to
    stop or boot, a Celery worker), not on the CPU: scripts/test.sh runs this
    session beside the others, which saves their six minutes of waiting.
    """
    session.install("--quiet", "--disable-pip-version-check", "-e", ".[test,bench,kombu-test]")
    session.run("python", "-m", "pytest", *FIRST_PYTHON_ONLY, *session.posargs)



#: The tests that use Twisted, for :func:`twisted_asyncio_reactor`.
TWISTED_TESTS = [
    "tests/integration/_async",
    "tests/test_tls.py",
    "tests/test_dead_peer.py",
    "tests/test_adapter_lifecycle.py",
    "tests/test_examples.py",
]


@nox.session(python=False)
def twisted_asyncio_reactor(session: nox.Session) -> None:
    """The Twisted tests on ``twisted.internet.asyncioreactor`` (see tests/async_runner.py), once."""
    session.run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-k",
        "twisted or Twisted",
        *TWISTED_TESTS,
        env={"AMQPROTO_TEST_REACTOR": "asyncio"},
    )
