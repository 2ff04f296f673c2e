"""The ``connection_class`` fixture of the integration suite.

Each test runs once per adapter of this flavour.
"""

from __future__ import annotations

from ...integration._async.conftest import connection_class

__all__ = ["connection_class"]
