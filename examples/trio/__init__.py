"""The tutorials on trio (:class:`amqproto.io.trio.TrioConnection`)."""
