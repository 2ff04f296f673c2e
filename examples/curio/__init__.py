"""The tutorials on curio (:class:`amqproto.io.curio.CurioConnection`)."""
