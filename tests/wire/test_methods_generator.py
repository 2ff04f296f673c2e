"""``amqproto/schema/methods.py`` is what ``scripts/generate_methods.py`` writes.

The generator reads RabbitMQ's spec, found where ``test_spec.py`` finds it
(``../shared/spec/`` next to the repository); without it the test skips.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from .test_spec import SPEC_NAME, repository_root


def test_methods_module_is_the_generators_output() -> None:
    root = repository_root()
    spec = root / ".." / "shared" / "spec" / SPEC_NAME
    if not spec.is_file():
        pytest.skip(f"RabbitMQ's {SPEC_NAME} is not at {spec.resolve()}; generator not checked")
    completed = subprocess.run(
        [sys.executable, str(root / "scripts" / "generate_methods.py"), "--check", "--spec", str(spec)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
