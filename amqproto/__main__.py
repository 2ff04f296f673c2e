"""``python -m amqproto``: the ``amqproto`` command (see :mod:`amqproto.cli`)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
