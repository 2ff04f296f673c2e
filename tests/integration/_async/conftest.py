"""The ``connection_class`` fixture: each test of this flavour runs once per adapter."""

from __future__ import annotations

import pytest

from amqproto.io._async.connection import AsyncConnection

from .helpers import CONNECTION_CLASSES


@pytest.fixture(params=CONNECTION_CLASSES, ids=lambda cls: cls.__name__)
def connection_class(request: pytest.FixtureRequest) -> type[AsyncConnection]:
    cls: type[AsyncConnection] = request.param
    return cls
