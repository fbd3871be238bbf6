"""A loop that runs in its own greenthread in every container, woken early after a commit.

The outbox relay and the notifications service's delivery dispatcher are such
loops: each polls its table every so often, and ``wake()`` (called after a
transaction that gave it work commits) lets it start at once instead.
"""
import eventlet
from eventlet.event import Event
from nameko.extensions import DependencyProvider


class WokenLoop(DependencyProvider):
    """Subclasses give ``loop_name``, ``enabled()`` and ``run_loop()`` (which checks
    ``self.running`` and sleeps with ``self.wait_for_wake(seconds)``)."""

    loop_name = "loop"

    def setup(self):
        self._wakeup = Event()
        self.running = False
        self._thread = None

    def enabled(self):
        return True

    def run_loop(self):
        raise NotImplementedError

    def start(self):
        if self.enabled():
            self.running = True
            self._thread = self.container.spawn_managed_thread(self.run_loop, identifier=self.loop_name)

    def stop(self):
        self.running = False
        self.wake()
        if self._thread is not None:
            self._thread.wait()

    def kill(self):
        self.running = False
        if self._thread is not None:
            self._thread.kill()

    def wake(self):
        if not self._wakeup.ready():
            self._wakeup.send(True)

    def wait_for_wake(self, seconds):
        """Sleep up to ``seconds``, less if woken meanwhile."""
        with eventlet.Timeout(seconds, False):
            self._wakeup.wait()
        self._wakeup = Event()
