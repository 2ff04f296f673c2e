"""Optional dependencies the running Python may lack, and a skip mark for each.

curio 1.6, curio's last release, does not import on CPython 3.12 and later:
``curio.channel`` reads ``multiprocessing.connection.CHALLENGE`` and its
siblings, which 3.12 removed.  So the ``curio`` extra is installed on 3.11
only (an environment marker in pyproject.toml), and there the curio flavour
of each test skips (a test marked :data:`needs_curio`) or is not generated
(a list of adapters built with :data:`HAVE_CURIO`).  The asyncio and
blocking flavours run on every Python.
"""

from __future__ import annotations

import importlib

import pytest

__all__ = ["HAVE_CURIO", "needs_curio"]


def _imports(name: str) -> bool:
    try:
        importlib.import_module(name)
    except (ImportError, AttributeError):  # AttributeError: curio 1.6 on CPython 3.12+
        return False
    return True


#: True when ``import curio`` works here.
HAVE_CURIO = _imports("curio")

#: Skips a test that needs curio where curio does not import.
needs_curio = pytest.mark.skipif(
    not HAVE_CURIO, reason="curio does not import on this Python (curio 1.6 supports CPython < 3.12)"
)
