"""Suite-wide settings.

Hypothesis' "input generation is slow" health check measures wall time,
which says more about the machine's load (CI, parallel runs) than about the
strategies: the suite turns it off, and no example has a deadline.  What a
property test checks is unchanged.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile("amqproto", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("amqproto")
