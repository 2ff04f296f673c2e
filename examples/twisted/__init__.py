"""The tutorials on Twisted (:class:`amqproto.io.twisted.TwistedConnection`), run by its reactor."""
