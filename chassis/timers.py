"""Timers whose interval operators set in the service's config.

``@every("ESCALATION_INTERVAL", 60)`` runs a method every ``ESCALATION_INTERVAL``
seconds (60 when the config does not say); 0 turns the timer off, for a replica
that should leave the work to others or a test that drives it by RPC. A timer
runs in every replica: the work it does must be safe to run in several at once.
"""
from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """nameko's timer with its interval read from the config at set-up."""

    def __init__(self, config_key, default, **kwargs):
        self.config_key, self.default = config_key, default
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key, self.default))

    def start(self):
        if self.interval > 0:
            super().start()

    def stop(self):
        if self.gt is not None:
            super().stop()

    def kill(self):
        if self.gt is not None:
            super().kill()


every = ConfiguredTimer.decorator
