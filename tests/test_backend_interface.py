"""The public backend interface, and every async adapter's backend against it.

mypy checks the signatures (each adapter assigns its backend to an
``AsyncBackend`` class variable); this checks, at run time, that each
backend and its stream have every method the protocols name, so a method
added to the interface is not forgotten in one adapter.
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

import pytest

from amqproto.io import asyncio as asyncio_adapter
from amqproto.io import backend
from amqproto.io import trio as trio_adapter
from amqproto.io import twisted as twisted_adapter
from amqproto.io._async.connection import AsyncConnection

from .optional import HAVE_CURIO

ADAPTERS: dict[str, tuple[Any, ModuleType]] = {
    "asyncio": (asyncio_adapter.AsyncioConnection, asyncio_adapter),
    "trio": (trio_adapter.TrioConnection, trio_adapter),
    "twisted": (twisted_adapter.TwistedConnection, twisted_adapter),
}
if HAVE_CURIO:  # curio 1.6 imports on CPython < 3.12 only: see tests/optional.py
    from amqproto.io import curio as curio_adapter

    ADAPTERS["curio"] = (curio_adapter.CurioConnection, curio_adapter)


def _methods(protocol: type) -> set[str]:
    return {
        name
        for name, value in vars(protocol).items()
        if inspect.isfunction(value) and not name.startswith("_")
    }


def test_the_public_module_names_the_private_ones() -> None:
    assert backend.AsyncConnection is AsyncConnection
    for name in backend.__all__:
        assert getattr(backend, name) is not None


@pytest.mark.parametrize("library", ADAPTERS)
def test_each_backend_has_every_method_of_the_interface(library: str) -> None:
    connection_class, module = ADAPTERS[library]
    adapter_backend = connection_class.backend
    assert _methods(backend.AsyncBackend) <= set(dir(adapter_backend))
    stream_methods = _methods(backend.AsyncStream)
    assert stream_methods <= set(dir(module._Stream)), stream_methods - set(dir(module._Stream))
