"""RabbitMQ's six tutorials, ported to each of amqproto's adapters.

``examples/asyncio``, ``examples/curio``, ``examples/trio``,
``examples/twisted`` and ``examples/blocking`` each hold the same six
scripts: ``hello_world``, ``work_queues``,
``publish_subscribe``, ``routing``, ``topics`` and ``rpc``
(https://www.rabbitmq.com/tutorials).  Where a tutorial has two programs (a
producer and a consumer, a client and a server), the script has both as
functions, and its ``main()`` runs them together against one broker and
returns what was received, so every script terminates by itself.

Run one from the repository root, against a broker on localhost::

    python -m examples.asyncio.hello_world
"""
