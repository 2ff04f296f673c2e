"""amqps:// against the real broker, for every adapter.

The broker has no TLS listener of its own here, so the fixture makes a
throwaway CA and server certificate with ``openssl`` and starts a TLS
listener on a free port inside the running broker (``rabbitmqctl eval``),
stopping it afterwards; the broker itself keeps running.  Skips, saying why,
where either tool is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from amqproto.exceptions import ConnectionLost
from amqproto.io._async.connection import AsyncConnection
from amqproto.io.asyncio import AsyncioConnection
from amqproto.io.blocking import BlockingConnection
from amqproto.io.trio import TrioConnection
from amqproto.io.twisted import TwistedConnection

from .async_runner import run
from .optional import HAVE_CURIO, needs_curio

if HAVE_CURIO:  # curio imports on CPython < 3.12 only: see tests/optional.py
    import curio

    from amqproto.io.curio import CurioConnection

pytestmark = pytest.mark.broker


@dataclass(frozen=True)
class TLSBroker:
    port: int
    ca: Path
    other_ca: Path

    def url(self, ca: Path | None = None) -> str:
        cafile = ca or self.ca
        return (
            f"amqps://guest:guest@localhost:{self.port}/%2F"
            f"?cacertfile={cafile}&verify=verify_peer&server_name_indication=localhost"
        )


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def tls_broker() -> Iterator[TLSBroker]:
    if shutil.which("openssl") is None or shutil.which("rabbitmqctl") is None:
        pytest.skip("needs openssl and rabbitmqctl to give the broker a TLS listener")
    directory = Path(tempfile.mkdtemp(prefix="amqproto-tls-"))
    os.chmod(directory, 0o755)  # the broker runs as its own user and must read the files
    try:
        for name in ("ca", "other-ca"):
            # Key usages and key identifiers: CPython 3.13's default context
            # verifies strictly (VERIFY_X509_STRICT) and requires them.
            _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", f"/CN=amqproto {name}", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                 "-keyout", str(directory / f"{name}.key"),
                 "-out", str(directory / f"{name}.pem"))  # fmt: skip
        (directory / "ext.cnf").write_text(
            "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
            "authorityKeyIdentifier=keyid\n"
        )
        _run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
             "-keyout", str(directory / "server.key"), "-out", str(directory / "server.csr"))  # fmt: skip
        _run("openssl", "x509", "-req", "-in", str(directory / "server.csr"),
             "-CA", str(directory / "ca.pem"),
             "-CAkey", str(directory / "ca.key"), "-CAcreateserial", "-days", "2",
             "-extfile", str(directory / "ext.cnf"), "-out", str(directory / "server.pem"))  # fmt: skip
        for path in directory.iterdir():
            os.chmod(path, 0o644)
        port = _free_port()
        options = (
            f'[{{certfile,"{directory}/server.pem"}},{{keyfile,"{directory}/server.key"}},'
            f'{{cacertfile,"{directory}/ca.pem"}}]'
        )
        try:
            _run(
                "rabbitmqctl", "eval", f"ok = rabbit_networking:start_ssl_listener({port}, {options}, 1, 1)."
            )
        except subprocess.CalledProcessError as exc:
            pytest.skip(f"the broker would not start a TLS listener: {exc.stderr!r}")
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        try:
            yield TLSBroker(port, directory / "ca.pem", directory / "other-ca.pem")
        finally:
            _run("rabbitmqctl", "eval", f"rabbit_networking:stop_tcp_listener({port}).")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


ASYNC_CONNECTION_CLASSES: dict[str, type[AsyncConnection]] = {
    "asyncio": AsyncioConnection,
    "trio": TrioConnection,
    "twisted": TwistedConnection,
}


@pytest.mark.parametrize("library", ASYNC_CONNECTION_CLASSES)
def test_an_async_adapter_over_tls(tls_broker: TLSBroker, library: str) -> None:
    async def main() -> bytes:
        async with (
            ASYNC_CONNECTION_CLASSES[library](tls_broker.url()) as connection,
            connection.get_channel() as channel,
        ):
            queue = (await channel.queue_declare("", exclusive=True)).queue
            await channel.basic_publish(b"over TLS" * 10000, routing_key=queue)
            message = await channel.basic_get(queue, no_ack=True)
            assert message is not None
            return message.body

    assert run(library, main, 30) == b"over TLS" * 10000


@needs_curio
def test_curio_over_tls(tls_broker: TLSBroker) -> None:
    async def main() -> bytes:
        async with CurioConnection(tls_broker.url()) as connection, connection.get_channel() as channel:
            queue = (await channel.queue_declare("", exclusive=True)).queue
            await channel.basic_publish(b"over TLS", routing_key=queue)
            message = await channel.basic_get(queue, no_ack=True)
            assert message is not None
            return message.body

    assert curio.run(main) == b"over TLS"


def test_blocking_over_tls_from_several_threads(tls_broker: TLSBroker) -> None:
    """The reader thread and four publishing threads share one TLS socket."""
    with BlockingConnection(tls_broker.url(), heartbeat=1) as connection, connection.get_channel() as channel:
        queue = channel.queue_declare("", exclusive=True).queue
        channel.confirm_select()
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: channel.basic_publish(b"%d" % i, routing_key=queue), range(400)))
        assert channel.queue_declare(queue, passive=True).message_count == 400
        bodies = set()
        with channel.basic_consume(queue, no_ack=True) as consumer:
            for message in consumer:
                bodies.add(message.body)
                if len(bodies) == 400:
                    break
        assert bodies == {b"%d" % i for i in range(400)}


def test_a_broker_certificate_from_another_ca_is_refused(tls_broker: TLSBroker) -> None:
    with pytest.raises(ConnectionLost, match="CERTIFICATE_VERIFY_FAILED"):
        BlockingConnection(tls_broker.url(ca=tls_broker.other_ca)).connect()


@pytest.mark.parametrize("library", ["trio", "twisted"])
def test_trio_and_twisted_refuse_a_certificate_from_another_ca(tls_broker: TLSBroker, library: str) -> None:
    async def main() -> None:
        await ASYNC_CONNECTION_CLASSES[library](tls_broker.url(ca=tls_broker.other_ca)).connect()

    with pytest.raises(ConnectionLost, match="CERTIFICATE_VERIFY_FAILED"):
        run(library, main, 30)
