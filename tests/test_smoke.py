from amqproto.schema import METHODS, QueueDeclare
from amqproto.wire import FrameDecoder, MethodFrame, encode_frame


def test_queue_declare_round_trips() -> None:
    frame = MethodFrame(1, QueueDeclare(queue="q", durable=True))
    assert FrameDecoder().feed(encode_frame(frame)) == [frame]


def test_registry_covers_66_methods() -> None:
    assert len(METHODS) == 66
