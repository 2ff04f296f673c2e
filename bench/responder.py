"""The RPC responder: ``python -m bench.responder QUEUE``.

Answers every request on ``QUEUE`` with its body, on its own connection and
in its own process, the same for every client measured (see
:mod:`bench.broker`).  Prints ``ready`` once it consumes.
"""

from __future__ import annotations

import contextlib
import sys

from .broker import BrokerClient


def main(argv: list[str]) -> int:
    queue = argv[0]
    client = BrokerClient()
    with contextlib.suppress(ConnectionError, OSError, KeyboardInterrupt):
        client.serve_rpc(queue, ready=lambda: print("ready", flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
