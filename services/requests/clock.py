"""The one clock deadlines, escalation and the assessment read "now" from.

In production it is the system clock.  A test or training network may enable
``CLOCK_CONTROL``; then an operator can move the clock by an offset stored in
the database, so every replica of the service sees the same time.  With
control off the offset is neither read nor settable.
"""
from datetime import datetime, timezone

from nameko.extensions import DependencyProvider

from chassis.errors import Forbidden


def control_enabled(config):
    return str(config.get("CLOCK_CONTROL", "off")).lower() in ("on", "true", "1", "yes")


def read(tx, controlled):
    """``(now, offset_seconds)`` by this service's clock."""
    if not controlled:
        return datetime.now(timezone.utc), 0.0
    row = tx.one("SELECT coalesce((SELECT offset_seconds FROM clock_offset), 0) AS offset_seconds")
    offset = float(row["offset_seconds"])
    row = tx.one("SELECT clock_timestamp() + make_interval(secs => %s) AS now", (offset,))
    return row["now"], offset


class ServiceClock:
    """What a worker sees as ``self.clock``."""

    def __init__(self, controlled):
        self.controlled = controlled

    def now(self, tx):
        return read(tx, self.controlled)[0]

    def reading(self, tx):
        return read(tx, self.controlled)

    def set_offset(self, tx, offset_seconds):
        if not self.controlled:
            raise Forbidden("the clock is not under operator control on this network",
                            {"clock": ["CLOCK_CONTROL is off"]})
        tx.execute("INSERT INTO clock_offset (singleton, offset_seconds) VALUES (true, %s) "
                   "ON CONFLICT (singleton) DO UPDATE SET offset_seconds = EXCLUDED.offset_seconds, "
                   "set_at = now()", (offset_seconds,))


class Clock(DependencyProvider):
    """``self.clock`` on the requests service."""

    def setup(self):
        self.controlled = control_enabled(self.container.config)

    def get_dependency(self, worker_ctx):
        return ServiceClock(self.controlled)
