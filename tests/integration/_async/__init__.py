"""The real-broker suite; ``_async`` is the source, ``_sync`` is generated from it."""
