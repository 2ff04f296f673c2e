"""The tutorials on blocking sockets and threads (:class:`amqproto.io.blocking.BlockingConnection`)."""
