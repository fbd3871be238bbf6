"""Publishing a batch with publisher confirms, waiting once for the whole batch.

Waiting for the broker's confirm after every message caps a publisher at about
two thousand messages a second here; putting the channel in confirm mode,
publishing the batch and then waiting until every delivery tag is acknowledged
keeps the guarantee (nothing counts as sent until the broker has it) at a
fraction of the cost.

The batch's frames are written to the socket together when the batch is waited for (or
every megabyte), as py-amqp frames them: one write instead of one a message, and none of
the per-message work of kombu's producer (py-amqp also reads the socket before each
message it publishes, for a ``connection.blocked`` notice). A relay publishing the
announcements of a provincial bulk load spends a third of the CPU it spent a message.
The connection carries nothing else while a batch is written: the publisher's own (the
outbox relay opens one), or one its owner uses in turn.
"""
import time

from amqp import spec
from amqp.method_framing import frame_writer
from amqp.serialization import dumps
from kombu import Exchange
from kombu.entity import maybe_delivery_mode

FLUSH_BYTES = 1 << 20


class PublishNotConfirmed(Exception):
    """The broker refused (nacked) a message, or did not confirm it in time."""


class ConfirmingPublisher:
    """A publisher on its own confirm-mode channel of ``connection`` (a kombu Connection)."""

    def __init__(self, connection, confirm_timeout=30.0):
        self.connection = connection
        self.confirm_timeout = confirm_timeout
        self.channel = connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._acked)
        self.channel.events["basic_nack"].add(self._nacked)
        self._frames, self._buffered = [], 0
        self._frame = frame_writer(self.channel.connection, self)  # frames into write(), below
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
        waiting = len(self._unconfirmed)
        self._settle(tag, multiple)
        self._refused += waiting - len(self._unconfirmed)

    def publish(self, body, *, exchange="", routing_key="", headers=None, content_type=None,
                content_encoding=None, delivery_mode=None, **properties):
        """Send one message (bytes ``body``; kombu ``Producer.publish``'s names for its properties, a
        persistent message unless ``delivery_mode`` says otherwise); confirmed by :meth:`wait`."""
        properties["delivery_mode"] = maybe_delivery_mode(delivery_mode)
        message = self.channel.prepare_message(body, properties.pop("priority", 0), content_type, content_encoding,
                                               headers or {}, properties)
        name = exchange.name if isinstance(exchange, Exchange) else exchange
        self._frame(1, self.channel.channel_id, spec.Basic.Publish,
                    dumps("Bssbb", (0, name, routing_key, False, False)), message)
        self._sent += 1
        self._unconfirmed.add(self._sent)
        if self._buffered >= FLUSH_BYTES:
            self._flush()

    def write(self, frames):
        """Where py-amqp's frame writer puts a message's frames (a view of its buffer): kept."""
        self._frames.append(bytes(frames))
        self._buffered += len(frames)

    def _flush(self):
        if self._frames:
            frames, self._frames, self._buffered = b"".join(self._frames), [], 0
            self.channel.connection.transport.write(frames)

    def wait(self):
        """Block until the broker confirmed everything sent so far; raise if it refused any."""
        self._flush()
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
        self._frames, self._buffered = [], 0
        self.channel.close()
