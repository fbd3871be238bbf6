"""Publishing events into OneNet: confirmed, mandatory, batched, reconnecting.

Each event goes to the exchange ``onenet.provinces.in`` under the routing key
``<your code>.<type>``, persistent, with ``user_id`` set to your user (RabbitMQ
checks it) and ``message_id`` set to the event id. Events are sent in batches;
a batch counts as delivered only when the broker confirmed every event of it.
A lost connection is reopened and the unconfirmed events of the batch are sent
again (OneNet applies an event id once, so a repeat has no second effect).
"""
import time

import pika
from pika.exceptions import ChannelClosedByBroker, ProbableAccessDeniedError, ProbableAuthenticationError

from onenet_province import events as envelopes
from onenet_province.errors import AccessRefused, AuthenticationFailed, ConnectionLost, NotConfirmed, Unroutable

INBOUND_EXCHANGE = "onenet.provinces.in"


class Publisher:
    """A province's publisher: ``publish(event)``, ``publish_many(events, progress)``.

    ``url``: ``amqp://province-44:<password>@host:5672/<vhost>``. ``province``:
    your two-digit code (read from the user name when not given).
    """

    def __init__(self, url, province=None, batch_size=500, confirm_timeout=30.0, connect_timeout=10.0,
                 retries=5, retry_delay=0.5):
        self.parameters = pika.URLParameters(url)
        self.parameters.connection_attempts = 1
        self.user = self.parameters.credentials.username
        self.province = province or envelopes.province_of_user(self.user)
        self.batch_size, self.retries, self.retry_delay = batch_size, retries, retry_delay
        self.confirm_timeout, self.connect_timeout = confirm_timeout, connect_timeout
        self._connection = self._channel = None
        self._failure = None
        self._condition = None
        self._timed_out = False
        self._confirming = False
        self._next_tag = 0
        self._pending = {}       # delivery tag -> event id
        self._unconfirmed = {}   # event id -> event, for the batch in hand
        self._returned, self._nacked = set(), set()

    # -- what callers use ---------------------------------------------------------------

    def publish(self, event):
        """Publish one event; returns once the broker confirmed it."""
        return self.publish_many([event])

    def publish_many(self, events, progress=None):
        """Publish ``events`` (an iterable of envelopes) in batches; ``progress(n)`` after each
        confirmed batch of ``n``. Returns how many were published.

        Raises :class:`InvalidEvent` (a batch with a bad event is not sent),
        :class:`AccessRefused`, :class:`AuthenticationFailed`, :class:`Unroutable`,
        :class:`NotConfirmed` or, past ``retries`` reconnections, :class:`ConnectionLost`.
        """
        published, batch = 0, []
        for event in events:
            batch.append(envelopes.check(event))
            if len(batch) >= self.batch_size:
                published += self._publish_batch(batch, progress)
                batch = []
        if batch:
            published += self._publish_batch(batch, progress)
        return published

    def close(self):
        if self._connection is not None and self._connection.is_open:
            self._connection.close()
            self._wait(lambda: self._connection.is_closed, 5, "close", raise_on_timeout=False)
        self._connection = self._channel = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- batches --------------------------------------------------------------------------

    def _publish_batch(self, batch, progress):
        self._unconfirmed = {event["event_id"]: event for event in batch}
        attempt = 0
        while True:
            try:
                self._ensure_channel()
                self._send(list(self._unconfirmed.values()))
                break
            except ConnectionLost:
                attempt += 1
                self._drop()
                if attempt > self.retries:
                    raise
                time.sleep(min(self.retry_delay * 2 ** (attempt - 1), 30.0))
        if progress:
            progress(len(batch))
        return len(batch)

    def _send(self, batch):
        self._returned.clear()
        self._nacked.clear()
        for event in batch:
            properties = pika.BasicProperties(
                content_type="application/json", content_encoding="utf-8", delivery_mode=2,
                message_id=event["event_id"], user_id=self.user, correlation_id=str(event["correlation_id"]),
                type=event["type"], timestamp=int(time.time()))
            self._channel.basic_publish(INBOUND_EXCHANGE, f"{self.province}.{event['type']}",
                                        envelopes.encode(event), properties, mandatory=True)
            self._next_tag += 1
            self._pending[self._next_tag] = event["event_id"]
        self._wait(lambda: not self._pending, self.confirm_timeout, "confirms")
        failure = self._failure
        if failure is not None:
            self._failure = None
            raise failure
        if self._returned:
            raise Unroutable(f"{len(self._returned)} event(s) were returned: no queue takes their type",
                             sorted(self._returned))
        if self._nacked:
            raise NotConfirmed(f"the broker refused {len(self._nacked)} event(s)", sorted(self._nacked))

    # -- the connection -----------------------------------------------------------------

    def _ensure_channel(self):
        if self._channel is not None and self._channel.is_open and self._confirming:
            return
        if self._connection is None or not self._connection.is_open:
            self._failure = None
            self._connection = pika.SelectConnection(
                self.parameters, on_open_callback=self._on_open,
                on_open_error_callback=self._on_open_error, on_close_callback=self._on_closed)
        else:
            self._connection.channel(on_open_callback=self._on_channel)
        self._wait(lambda: self._confirming, self.connect_timeout, "connecting")
        if self._failure is not None:
            failure, self._failure = self._failure, None
            raise failure

    def _drop(self):
        connection, self._connection, self._channel, self._confirming = self._connection, None, None, False
        self._pending.clear()
        if connection is not None and connection.is_open:
            try:
                connection.close()
            except Exception:  # already going: nothing to close
                pass

    def _wait(self, condition, timeout, what, raise_on_timeout=True):
        """Run the connection's I/O loop until ``condition()``, a failure, or ``timeout``."""
        if condition() or self._failure is not None:
            return
        loop = self._connection.ioloop
        self._condition, self._timed_out = condition, False
        timer = loop.call_later(timeout, self._on_timeout)
        loop.start()
        loop.remove_timeout(timer)
        self._condition = None
        if self._timed_out and not condition() and self._failure is None and raise_on_timeout:
            if what == "confirms":
                raise NotConfirmed(f"{len(self._pending)} event(s) not confirmed within {timeout}s",
                                   list(self._pending.values()))
            raise ConnectionLost(f"{what} took longer than {timeout}s")

    def _stop_if_done(self):
        if self._condition is not None and (self._failure is not None or self._timed_out or self._condition()):
            self._connection.ioloop.stop()

    def _on_timeout(self):
        self._timed_out = True
        self._stop_if_done()

    def _on_open(self, connection):
        connection.channel(on_open_callback=self._on_channel)

    def _on_open_error(self, connection, error):
        if isinstance(error, (ProbableAuthenticationError, ProbableAccessDeniedError)):
            self._failure = AuthenticationFailed(f"the broker refused user {self.user!r}: {error}")
        else:
            self._failure = ConnectionLost(f"cannot connect to the broker: {error!r}")
        self._stop_if_done()

    def _on_closed(self, connection, reason):
        self._channel, self._confirming = None, False
        if self._failure is None:
            self._failure = ConnectionLost(f"the connection closed: {reason!r}")
        self._stop_if_done()

    def _on_channel(self, channel):
        self._channel = channel
        channel.add_on_close_callback(self._on_channel_closed)
        channel.add_on_return_callback(self._on_return)
        channel.confirm_delivery(self._on_confirm, callback=self._on_confirm_mode)

    def _on_confirm_mode(self, frame):
        self._confirming, self._next_tag = True, 0
        self._pending.clear()
        self._stop_if_done()

    def _on_channel_closed(self, channel, reason):
        self._channel, self._confirming = None, False
        if isinstance(reason, ChannelClosedByBroker) and reason.reply_code == 403:
            self._failure = AccessRefused(f"ACCESS_REFUSED: {reason.reply_text}", reason.reply_code)
        elif isinstance(reason, ChannelClosedByBroker):
            self._failure = NotConfirmed(f"the broker closed the channel: {reason.reply_code} {reason.reply_text}",
                                         list(self._pending.values()))
        elif self._failure is None and self._condition is not None:
            self._failure = ConnectionLost(f"the channel closed: {reason!r}")
        self._pending.clear()
        self._stop_if_done()

    def _on_return(self, channel, method, properties, body):
        self._returned.add(properties.message_id)

    def _on_confirm(self, frame):
        method = frame.method
        nacked = isinstance(method, pika.spec.Basic.Nack)
        tags = [tag for tag in self._pending if tag <= method.delivery_tag] if method.multiple \
            else [method.delivery_tag]
        for tag in tags:
            event_id = self._pending.pop(tag, None)
            if event_id is None:
                continue
            if nacked:
                self._nacked.add(event_id)
            elif event_id not in self._returned:
                self._unconfirmed.pop(event_id, None)
        self._stop_if_done()

