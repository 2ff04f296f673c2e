"""The AMQP 0-9-1 schema: methods, content properties, wire types, constants.

Pure data.  This package imports nothing else of amqproto's; the codec in
:mod:`amqproto.wire` reads the annotations declared here.
"""

from .constants import *  # noqa: F403
from .constants import __all__ as _constants_all
from .methods import *  # noqa: F403
from .methods import __all__ as _methods_all
from .properties import BasicProperties, DeliveryMode
from .types import *  # noqa: F403
from .types import __all__ as _types_all

__all__ = [  # noqa: PLE0604
    *_constants_all,
    *_methods_all,
    *_types_all,
    "BasicProperties",
    "DeliveryMode",
]
