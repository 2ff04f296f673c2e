"""Integrations of amqproto with other libraries, each an optional extra.

- :mod:`amqproto.contrib.kombu`: a kombu transport (``pip install
  'amqproto[kombu]'``), for kombu and Celery.
"""
