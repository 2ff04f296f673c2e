"""The generated blocking code matches its async source (``scripts/unasync.py --check``).

Covers both pairs: the blocking adapter (``amqproto/io/_sync``) and the
blocking flavour of this suite (``tests/integration/_sync``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_sync_code_is_up_to_date() -> None:
    completed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "unasync.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
