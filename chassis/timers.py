"""Timers whose interval operators set in the service's config.

``@every("ESCALATION_INTERVAL", 60)`` runs a method every ``ESCALATION_INTERVAL``
seconds (60 when the config does not say); 0 turns the timer off, for a replica
that should leave the work to others or a test that drives it by RPC. A timer
runs in every replica: the work it does must be safe to run in several at once.

``until`` makes a timer for work done once (filling a copy on first start): a
predicate of what the method returns; the first tick whose answer satisfies it
is the last, and the timer stays quiet until the process starts again.
"""
from nameko.timer import Timer


class ConfiguredTimer(Timer):
    """nameko's timer with its interval read from the config at set-up, stopping once ``until`` holds."""

    def __init__(self, config_key, default, until=None, **kwargs):
        self.config_key, self.default, self.until = config_key, default, until
        super().__init__(interval=default, **kwargs)

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key, self.default))

    def start(self):
        if self.interval > 0:
            super().start()

    def handle_result(self, worker_ctx, result, exc_info):
        if exc_info is None and self.until is not None and self.until(result) and not self.should_stop.ready():
            self.should_stop.send(True)   # the loop ends instead of waiting for the next tick
        return super().handle_result(worker_ctx, result, exc_info)

    def stop(self):
        if self.gt is not None:
            if not self.should_stop.ready():
                self.should_stop.send(True)
            self.gt.wait()

    def kill(self):
        if self.gt is not None:
            super().kill()


every = ConfiguredTimer.decorator
