"""Settings for the whole suite.

Hypothesis' ``deadline`` and its ``too_slow`` health check fail a test when
examples take long to run or to generate: a wall-time assertion, which this
suite does not make (tests never assert on wall time).  On a loaded machine
they fail at random (``test_mutated_streams_raise_only_amqp_errors`` did, on
CPython 3.12 under load), so the profile loaded here turns both off.  The
other health checks stay.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile("amqproto", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("amqproto")
