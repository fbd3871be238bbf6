"""Reading what OneNet sends you (``province.<code>.outbound``) and your dead letters.

Outbound messages are the network's events, unchanged (same ``event_id``),
delivered at least once: drop an ``event_id`` you have seen. Your handler is
called once per message; the message is acknowledged only after it returns. If
it raises, the message goes back to the queue and consuming stops with
:class:`HandlerFailed`, so a bug never loops hot or loses a message.

Dead letters (``province.<code>.dead-letter``) are your events that OneNet could
not apply, each with why in its headers: ``x-onenet-reason`` (a code such as
``outside_province`` or ``invalid_payload``), ``x-onenet-error`` (the message),
``x-onenet-original-routing-key`` and ``x-onenet-parked-at``.
"""
import contextlib
import json
import time
from dataclasses import dataclass, field

import pika
from pika.exceptions import AMQPConnectionError, ChannelClosedByBroker, ProbableAccessDeniedError, \
    ProbableAuthenticationError

from onenet_province import events as envelopes
from onenet_province.errors import AccessRefused, AuthenticationFailed, ConnectionLost, HandlerFailed


def outbound_queue(code):
    return f"province.{code}.outbound"


def dead_letter_queue(code):
    return f"province.{code}.dead-letter"


@dataclass(frozen=True)
class DeadLetter:
    """One of your events OneNet parked, with the reason."""

    reason: str
    error: str
    routing_key: str
    parked_at: str
    body: bytes = field(repr=False)
    headers: dict = field(repr=False, default_factory=dict)

    @property
    def event(self):
        """The event as you sent it (None when it was not JSON)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def _text(value):
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else ("" if value is None else str(value))


class _Connected:
    """A blocking connection as the province's user, opened on demand and reopened after a loss."""

    def __init__(self, url, province=None, retries=5, retry_delay=0.5):
        self.parameters = pika.URLParameters(url)
        self.user = self.parameters.credentials.username
        self.province = province or envelopes.province_of_user(self.user)
        self.retries, self.retry_delay = retries, retry_delay
        self._connection = None

    @contextlib.contextmanager
    def opened_channel(self):
        """A channel, closed afterwards (what was not acknowledged goes back to its queue); the
        broker's ACCESS_REFUSED as :class:`AccessRefused`."""
        channel = self.channel()
        try:
            yield channel
        except ChannelClosedByBroker as exc:
            if exc.reply_code == 403:
                raise AccessRefused(f"ACCESS_REFUSED: {exc.reply_text}") from None
            raise
        finally:
            if channel.is_open:
                channel.close()

    def channel(self):
        for attempt in range(self.retries + 1):
            try:
                if self._connection is None or self._connection.is_closed:
                    self._connection = pika.BlockingConnection(self.parameters)
                return self._connection.channel()
            except (ProbableAuthenticationError, ProbableAccessDeniedError) as exc:
                raise AuthenticationFailed(f"the broker refused user {self.user!r}: {exc}") from None
            except AMQPConnectionError as exc:
                self._connection = None
                if attempt == self.retries:
                    raise ConnectionLost(f"cannot connect to the broker: {exc!r}") from None
                time.sleep(min(self.retry_delay * 2 ** attempt, 30.0))

    def close(self):
        if self._connection is not None and self._connection.is_open:
            self._connection.close()
        self._connection = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class OutboundConsumer(_Connected):
    """``run(handler)``: call ``handler(event)`` for each message of your outbound queue."""

    def __init__(self, url, province=None, prefetch=100, **kwargs):
        super().__init__(url, province, **kwargs)
        self.prefetch = prefetch

    def run(self, handler, limit=None, idle_timeout=None):
        """Consume until ``limit`` messages were handled, or nothing came for ``idle_timeout``
        seconds (None: forever). Returns how many were handled."""
        handled, losses = 0, 0
        while limit is None or handled < limit:
            try:
                handled += self._consume(handler, None if limit is None else limit - handled, idle_timeout)
                return handled
            except (pika.exceptions.ConnectionClosed, pika.exceptions.StreamLostError,
                    pika.exceptions.ChannelWrongStateError) as exc:
                losses += 1
                self._connection = None
                if losses > self.retries:
                    raise ConnectionLost(f"the connection was lost {losses} times: {exc!r}") from None
                time.sleep(min(self.retry_delay * 2 ** (losses - 1), 30.0))
        return handled

    def _consume(self, handler, limit, idle_timeout):
        handled = 0
        with self.opened_channel() as channel:
            channel.basic_qos(prefetch_count=self.prefetch)
            for method, properties, body in channel.consume(outbound_queue(self.province), auto_ack=False,
                                                            inactivity_timeout=idle_timeout):
                if method is None:
                    break
                try:
                    handler(json.loads(body))
                except Exception as exc:
                    channel.basic_nack(method.delivery_tag, requeue=True)
                    raise HandlerFailed(f"the handler failed on {properties.message_id}: {exc!r}") from exc
                channel.basic_ack(method.delivery_tag)
                handled += 1
                if limit is not None and handled >= limit:
                    break
            channel.cancel()
        return handled


class DeadLetters(_Connected):
    """Your parked events: ``read(limit)`` looks, ``take(limit)`` looks and removes them."""

    def read(self, limit=100):
        """Up to ``limit`` dead letters, left in the queue."""
        return self._get(limit, remove=False)

    def take(self, limit=100):
        """Up to ``limit`` dead letters, removed from the queue once read."""
        return self._get(limit, remove=True)

    def _get(self, limit, remove):
        letters = []
        with self.opened_channel() as channel:
            while len(letters) < limit:
                method, properties, body = channel.basic_get(dead_letter_queue(self.province), auto_ack=False)
                if method is None:
                    break
                headers = dict(properties.headers or {})
                letters.append(DeadLetter(
                    reason=_text(headers.get("x-onenet-reason")), error=_text(headers.get("x-onenet-error")),
                    routing_key=_text(headers.get("x-onenet-original-routing-key")),
                    parked_at=_text(headers.get("x-onenet-parked-at")), body=body, headers=headers))
                if remove:
                    channel.basic_ack(method.delivery_tag)
        return letters
