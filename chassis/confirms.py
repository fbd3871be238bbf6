"""Publishing a batch with publisher confirms, waiting once for the whole batch.

Waiting for the broker's confirm after every message caps a publisher at about
two thousand messages a second here; putting the channel in confirm mode,
publishing the batch and then waiting until every delivery tag is acknowledged
keeps the guarantee (nothing counts as sent until the broker has it) at a
fraction of the cost.
"""
import time

from kombu import Producer


class PublishNotConfirmed(Exception):
    """The broker refused (nacked) a message, or did not confirm it in time."""


class ConfirmingPublisher:
    """A producer on its own confirm-mode channel of ``connection`` (a kombu Connection)."""

    def __init__(self, connection, confirm_timeout=30.0):
        self.connection = connection
        self.confirm_timeout = confirm_timeout
        self.channel = connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._acked)
        self.channel.events["basic_nack"].add(self._nacked)
        self.producer = Producer(self.channel)
        self._sent = 0
        self._unconfirmed = set()
        self._refused = 0

    def _settle(self, tag, multiple):
        if multiple:
            self._unconfirmed = {pending for pending in self._unconfirmed if pending > tag}
        else:
            self._unconfirmed.discard(tag)

    def _acked(self, tag, multiple):
        self._settle(tag, multiple)

    def _nacked(self, tag, multiple):
        self._refused += 1
        self._settle(tag, multiple)

    def publish(self, body, **options):
        """Send one message (kombu ``Producer.publish`` options); confirmed by :meth:`wait`."""
        self.producer.publish(body, retry=False, **options)
        self._sent += 1
        self._unconfirmed.add(self._sent)

    def wait(self):
        """Block until the broker confirmed everything sent so far; raise if it refused any."""
        deadline = time.monotonic() + self.confirm_timeout
        while self._unconfirmed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PublishNotConfirmed(f"{len(self._unconfirmed)} message(s) not confirmed "
                                          f"within {self.confirm_timeout}s")
            try:
                self.connection.drain_events(timeout=min(remaining, 1.0))
            except TimeoutError:
                continue
        if self._refused:
            refused, self._refused = self._refused, 0
            raise PublishNotConfirmed(f"the broker refused {refused} message(s)")

    def close(self):
        self.channel.close()
