"""Reliable event handlers: durable queue, bounded retries with backoff, then park.

``@handles("enterprise.registered")`` declares a consumer of one event type
(``@handles("policy.withdrawn", "policy.expired")`` of several, on one queue).
Its queue ``<service>.<method>`` is bound to the events exchange by each type. A delivery
whose handler raises is sent to a delay queue (``<queue>.retry.<ms>ms``, which
dead-letters back into ``<queue>`` after its TTL) and acknowledged; after the
last delay it is parked in ``<queue>.dead-letter`` with the error, attempt
count and original routing in its headers. Both go through the redelivery
exchange, where each of those queues is bound by its own name, so a service's
broker user needs no right on the default exchange (which reaches every queue).
A message that is not a OneNet envelope (or not JSON at all) is parked at once.
The queue keeps flowing.

``@handles(..., batch=True)`` hands the method a list of events instead of one: up to
``EVENT_BATCH_SIZE`` (default 500) gathered for at most ``EVENT_BATCH_WAIT`` seconds (default
0.02), for a consumer that applies many at once in one transaction (a copy filled by thousands
of events, as a new agency hierarchy sends). The handled events are then acknowledged together
(one ``basic.ack`` when they are the channel's oldest unacknowledged deliveries, see
:mod:`chassis.settlements`); a fault fails the batch, and every event of it is retried as above.
"""
import time
import traceback
from functools import partial
from itertools import groupby

import structlog
from kombu import Exchange, Queue, binding
from marshmallow import ValidationError
from kombu.common import maybe_declare
import eventlet
from nameko.amqp.publish import Publisher, get_connection
from nameko.exceptions import ContainerBeingKilled
from nameko.messaging import Consumer

from chassis import envelope
from chassis.contracts import schema_instance
from chassis.logs import CORRELATION_KEY
from chassis.metrics import DEAD_LETTERED, EVENT_RETRIED
from chassis.queues import DurableQueues, SettlingQueueConsumer, declare_or_migrate
from chassis.settlements import Unsettled

EVENTS_EXCHANGE = Exchange("onenet.events", type="topic", durable=True)
REDELIVERY_EXCHANGE = Exchange("onenet.redelivery", type="topic", durable=True)
DEFAULT_RETRY_DELAYS = (1.0, 5.0, 30.0)

H_ATTEMPTS = "x-onenet-attempts"
H_ERROR = "x-onenet-error"
H_EXCEPTION = "x-onenet-exception"
H_ORIGINAL_EXCHANGE = "x-onenet-original-exchange"
H_ORIGINAL_ROUTING_KEY = "x-onenet-original-routing-key"
H_QUEUE = "x-onenet-queue"
H_PARKED_AT = "x-onenet-parked-at"

log = structlog.get_logger(__name__)


class PermanentFailure(Exception):
    """A handler's verdict that retrying cannot help: the delivery is parked at once."""


def contract_payload(schema_cls, event):
    """An event's payload read with its owner's contract (fields it does not know left out); a
    payload that breaks the contract can never be handled, so it is parked at once."""
    try:
        return schema_instance(schema_cls).load(event["payload"], unknown="exclude")
    except ValidationError as exc:
        raise PermanentFailure(f"{event['type']} payload breaks its contract: {exc.messages}") from None


def read_each(events, read):
    """``(outcomes, readable)`` of a batch: ``read(event)`` of each event, in the order delivered;
    ``outcomes`` what a batch handler returns (the :class:`PermanentFailure` ``read`` raised for an
    event, which parks it alone; None for the others) and ``readable`` the others as
    ``(event, what read answered)``."""
    outcomes, readable = [], []
    for event in events:
        try:
            readable.append((event, read(event)))
            outcomes.append(None)
        except PermanentFailure as exc:
            outcomes.append(exc)
    return outcomes, readable


def batch_payloads(schema_cls, events):
    """A batch's payloads read with their owner's contract (:func:`contract_payload`), as
    :func:`read_each` answers."""
    return read_each(events, partial(contract_payload, schema_cls))


def queue_name(service_name, method_name):
    return f"{service_name}.{method_name}"


def retry_queue_name(queue, delay_seconds):
    return f"{queue}.retry.{int(round(delay_seconds * 1000))}ms"


def dead_letter_queue_name(queue):
    return f"{queue}.dead-letter"


def retry_delays(config):
    return tuple(float(d) for d in config.get("EVENT_RETRY_DELAYS", DEFAULT_RETRY_DELAYS))


def consumer_queues(queue, binding_keys, delays, exchange=EVENTS_EXCHANGE, durable=None):
    """The consumer queue (bound to ``exchange`` by each of ``binding_keys``, a key or a tuple of
    them: on the events exchange, event types), its delay queues and its dead-letter queue, as
    kombu objects, of the type ``durable`` (:class:`chassis.queues.DurableQueues`) gives. A message
    the consumer queue delivered more than its delivery limit is parked by the broker."""
    if isinstance(binding_keys, str):
        binding_keys = (binding_keys,)
    durable = durable or DurableQueues.from_config()
    main = Queue(queue, bindings=[binding(exchange, routing_key=key) for key in binding_keys], durable=True,
                 queue_arguments=durable.arguments(REDELIVERY_EXCHANGE.name, dead_letter_queue_name(queue),
                                                   limited=True))
    retries = [
        Queue(retry_queue_name(queue, delay), exchange=REDELIVERY_EXCHANGE,
              routing_key=retry_queue_name(queue, delay), durable=True, queue_arguments={
            **durable.arguments(),
            "x-message-ttl": int(round(delay * 1000)),
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": queue,
        })
        for delay in delays
    ]
    return [main, *retries, dead_letter_queue(queue, durable)]


def dead_letter_queue(queue, durable):
    """``<queue>.dead-letter`` (kombu), bound to the redelivery exchange by its own name, of the type
    ``durable`` (:class:`chassis.queues.DurableQueues`) gives."""
    return Queue(dead_letter_queue_name(queue), exchange=REDELIVERY_EXCHANGE,
                 routing_key=dead_letter_queue_name(queue), durable=True, queue_arguments=durable.arguments())


def declare(connection, queues, retired=()):
    """Declare the events exchange and ``queues`` (kombu, with their bindings), then remove the
    ``retired`` bindings, ``(queue, exchange, routing key)``, that earlier code made: a queue keeps
    every binding it was ever declared with until one is removed."""
    channel = connection.channel()
    try:
        maybe_declare(EVENTS_EXCHANGE, channel)
        for queue in queues:
            queue.maybe_bind(channel)
            queue.declare()
        for queue, exchange, routing_key in retired:
            channel.queue_unbind(queue=queue, exchange=exchange, routing_key=routing_key)
    finally:
        channel.close()


def redelivery_headers(message, queue, attempts, error):
    """The headers of a delivery of ``queue`` copied to a delay or dead-letter queue: its own, the
    attempts so far, the error, the queue and (kept from the first copy) its original routing."""
    headers = dict(message.headers or {})
    headers[H_ATTEMPTS] = attempts
    headers[H_ERROR] = error[:2000]
    headers[H_QUEUE] = queue
    info = message.delivery_info or {}
    headers.setdefault(H_ORIGINAL_EXCHANGE, info.get("exchange", ""))
    headers.setdefault(H_ORIGINAL_ROUTING_KEY, info.get("routing_key", ""))
    return headers


def redeliver(publisher, message, routing_key, headers):
    """Publish the body and properties of ``message`` again, as they came, with ``headers``, through
    the redelivery exchange to the queue bound there by ``routing_key``."""
    publisher.publish(
        message.body, exchange=REDELIVERY_EXCHANGE.name, routing_key=routing_key, headers=headers,
        content_type=message.content_type, content_encoding=message.content_encoding,
        message_id=(message.properties or {}).get("message_id"),
        serializer=None)


def park(publisher, message, queue, attempts, error, exception):
    """Park a delivery of ``queue`` in ``<queue>.dead-letter``, with the error, the name of its
    ``exception``, the attempts and when, in its headers (:mod:`chassis.deadletters` reads them)."""
    headers = redelivery_headers(message, queue, attempts, error)
    headers[H_EXCEPTION] = exception
    headers[H_PARKED_AT] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    redeliver(publisher, message, dead_letter_queue_name(queue), headers)


class ReliableQueueConsumer(SettlingQueueConsumer):
    """nameko's queue consumer, but a message that cannot be decoded is parked, not fatal, and an
    acknowledgement the broker can no longer take (it restarted meanwhile) is logged, not fatal
    (:class:`chassis.queues.SettlingQueueConsumer`): the unacknowledged delivery comes again
    after the broker is back, and the handler's inbox makes the second delivery a no-op.
    :meth:`ack_messages` acknowledges a batch, with one acknowledgement when it is the channel's
    oldest unsettled deliveries (:mod:`chassis.settlements`)."""

    def __init__(self):
        super().__init__()
        self.unsettled = Unsettled()

    def handle_message(self, provider, body, message):
        """Hand a delivery to its entrypoint: in a thread of its own (nameko's way), or at once when
        the entrypoint ``reads_inline`` (it never waits: it only checks and gathers a batch)."""
        self.unsettled.delivered(message.channel, message.delivery_tag)
        if provider.reads_inline:
            provider.handle_message(body, message)
        else:
            super().handle_message(provider, body, message)

    def ack_message(self, message):
        self.unsettled.settled(message.channel, message.delivery_tag)
        super().ack_message(message)

    def ack_messages(self, messages):
        """Acknowledge ``messages`` (handled deliveries): those that are the oldest
        unsettled of their channel with one acknowledgement, any others one by one."""
        for channel, group in groupby(messages, key=lambda message: message.channel):
            group = sorted(group, key=lambda message: message.delivery_tag)
            highest = self.unsettled.oldest_run(channel, {message.delivery_tag for message in group}) \
                if channel.connection else None
            if highest is None:
                for message in group:
                    self.ack_message(message)
                continue
            run = [message for message in group if message.delivery_tag <= highest]
            self._settle(partial(self._ack_run, run), run[-1], "ack")
            for message in group[len(run):]:
                self.ack_message(message)

    @staticmethod
    def _ack_run(run, _):
        """One acknowledgement for ``run``, whose last delivery has the highest tag."""
        run[-1].ack(multiple=True)
        for message in run[:-1]:
            message._state = "ACK"  # as kombu marks a message it acknowledges itself

    def requeue_message(self, message):
        self.unsettled.settled(message.channel, message.delivery_tag)
        super().requeue_message(message)

    def run(self, _tokens=1, **kwargs):
        # Look at the stop flag every 0.1 s instead of every second: stopping is prompt.
        return super().run(_tokens, safety_interval=0.1, **kwargs)

    def _undecodable(self, provider, message, exc):
        """Park an undecodable delivery at once, in the consumer's thread, counted among its channel's
        unsettled deliveries (:mod:`chassis.settlements`)."""
        self.unsettled.delivered(message.channel, message.delivery_tag)
        provider.park_undecodable(message, exc)


DEFAULT_BATCH = 500


class BatchQueueConsumer(ReliableQueueConsumer):
    """The consumer of batch handlers, whose prefetch (``EVENT_BATCH_PREFETCH``, default twice
    the batch) lets a handler gather whole batches."""

    @property
    def prefetch_count(self):
        return int(self.container.config.get("EVENT_BATCH_PREFETCH", 2 * DEFAULT_BATCH))


class ReliableEventHandler(Consumer):
    """Entrypoint: handle one event type from a durable queue, retrying then parking.

    With ``batch``, the method takes a list of events (see the module's docstring) and returns
    anything, or one outcome per event, in order, where an exception fails that event alone."""

    queue_consumer = ReliableQueueConsumer()
    is_event_handler = True
    exchange = EVENTS_EXCHANGE
    # The settings a batch handler reads its batch size and wait from.
    batch_size_setting, batch_wait_setting = "EVENT_BATCH_SIZE", "EVENT_BATCH_WAIT"

    def __init__(self, event_type, *more_types, batch=False, no_longer=(), **kwargs):
        self.event_types = (event_type, *more_types)
        self.event_type = event_type
        self.batch = batch
        self.no_longer = tuple(no_longer)
        super().__init__(queue=None, **kwargs)

    @property
    def reads_inline(self):
        """A batch handler's checks never wait (a malformed envelope is parked by a thread of its
        own, a full batch handed to its worker by another): the consumer runs them as each delivery
        arrives, without a thread a delivery."""
        return self.batch

    @property
    def binding_keys(self):
        """The routing keys the queue is bound by: the event types (a topic pattern may widen one)."""
        return self.event_types

    def retired_bindings(self, queue):
        """``(queue, exchange, routing key)`` of the event types ``queue`` was bound by before and is
        ``no_longer`` (another handler took them over)."""
        return [(queue, self.exchange.name, key) for key in self.no_longer]

    @property
    def queue_name(self):
        return queue_name(self.container.service_name, self.method_name)

    def setup(self):
        config = self.container.config
        self.delays = retry_delays(config)
        self.amqp_uri = config["AMQP_URI"]
        self.publisher = Publisher(self.amqp_uri, use_confirms=True)
        queues = consumer_queues(self.queue_name, self.binding_keys, self.delays, self.exchange,
                                 DurableQueues.from_config(config))
        with get_connection(self.amqp_uri) as connection:
            declare(connection, queues, self.retired_bindings(self.queue_name))
        self.queue = queues[0]
        self.batch_size = int(config.get(self.batch_size_setting, DEFAULT_BATCH)) if self.batch else 1
        self.batch_wait = float(config.get(self.batch_wait_setting, 0.02))
        self._gathered, self._timer = [], None
        super().setup()

    # -- delivery ---------------------------------------------------------

    def handle_message(self, body, message):
        try:
            event = envelope.check(body)
        except envelope.MalformedEvent as exc:
            if self.reads_inline:
                self.container.spawn_managed_thread(partial(self._park_malformed, message, exc))
            else:
                self._park_malformed(message, exc)
            return
        message.headers.setdefault(f"nameko.{CORRELATION_KEY}", event["correlation_id"])
        if self.batch:
            self.gather(event, message)
        else:
            super().handle_message(event, message)

    # -- batches ------------------------------------------------------------

    def gather(self, event, message):
        """Keep ``event`` for the next batch; hand the batch over when it is full or has waited."""
        self._gathered.append((event, message))
        if len(self._gathered) >= self.batch_size:
            self._flush()
        elif self._timer is None:
            self._timer = eventlet.spawn_after(self.batch_wait, self._flush)

    def _flush(self):
        """Hand the events gathered so far to one worker."""
        if self._timer is not None:
            self._timer.cancel()  # a no-op when the timer itself is flushing
            self._timer = None
        gathered, self._gathered = self._gathered, []
        if not gathered:
            return
        if self.reads_inline:  # in the consumer's thread, which must not wait for a free worker
            self.container.spawn_managed_thread(partial(self._hand_over, gathered))
        else:
            self._hand_over(gathered)

    def _hand_over(self, gathered):
        """Start the worker of a batch (waiting for a free one when the service has none)."""
        messages = [message for _, message in gathered]
        try:
            self.container.spawn_worker(self, ([event for event, _ in gathered],), {},
                                        context_data=self.unpack_message_headers(messages[0]),
                                        handle_result=partial(self._batch_handled, gathered))
        except ContainerBeingKilled:
            for message in messages:
                self.queue_consumer.requeue_message(message)

    def _batch_handled(self, gathered, worker_ctx, result=None, exc_info=None):
        """Settle each event of a batch: its own outcome when the method gave one per event. Failed
        events are retried or parked first, each on its own; the handled ones are then acknowledged
        together."""
        per_event = isinstance(result, (list, tuple)) and len(result) == len(gathered)
        handled = []
        for index, (_, message) in enumerate(gathered):
            outcome = result[index] if exc_info is None and per_event else None
            if isinstance(outcome, Exception):
                self.handle_message_processed(message, None, (type(outcome), outcome, None))
            elif exc_info is not None:
                self.handle_message_processed(message, outcome, exc_info)
            else:
                handled.append((message, outcome))
        self.count_handled(handled)
        self.queue_consumer.ack_messages([message for message, _ in handled])
        return result, exc_info

    def count_handled(self, handled):
        """Count ``(message, outcome)`` pairs handled without a fault (a hook: nothing here)."""

    def _park_malformed(self, message, exc):
        self._park(message, 1, str(exc), type(exc).__name__)
        self.queue_consumer.ack_message(message)

    def park_undecodable(self, message, exc):
        self._park(message, 1, f"message body could not be decoded: {exc}", type(exc).__name__)
        self.queue_consumer.ack_message(message)

    def handle_message_processed(self, message, result=None, exc_info=None):
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        exc = exc_info[1]
        attempts = int(message.headers.get(H_ATTEMPTS, 0)) + 1
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        try:
            if attempts <= len(self.delays) and not isinstance(exc, PermanentFailure):
                self._retry(message, attempts, error)
            else:
                self._park(message, attempts, error, type(exc).__name__)
        except Exception:
            # The broker refused the copy: keep the original; try again shortly.
            log.exception("event_retry_publish_failed", queue=self.queue_name)
            time.sleep(1)
            self.queue_consumer.requeue_message(message)
            return
        self.queue_consumer.ack_message(message)

    def _copy_headers(self, message, attempts, error):
        return redelivery_headers(message, self.queue_name, attempts, error)

    def _republish(self, message, routing_key, headers):
        redeliver(self.publisher, message, routing_key, headers)

    def _retry(self, message, attempts, error):
        delay = self.delays[attempts - 1]
        self._republish(message, retry_queue_name(self.queue_name, delay),
                        self._copy_headers(message, attempts, error))
        EVENT_RETRIED.labels(self.container.service_name, self.queue_name).inc()
        log.warning("event_retry_scheduled", queue=self.queue_name, attempts=attempts,
                    delay_seconds=delay, error=error)

    def _park(self, message, attempts, error, exception):
        park(self.publisher, message, self.queue_name, attempts, error, exception)
        DEAD_LETTERED.labels(self.container.service_name, self.queue_name).inc()
        log.error("event_dead_lettered", queue=self.queue_name, attempts=attempts, error=error)


class BatchEventHandler(ReliableEventHandler):
    """A :class:`ReliableEventHandler` with ``batch``, on a consumer that prefetches whole batches."""

    queue_consumer = BatchQueueConsumer()


def handles(*event_types, batch=False, no_longer=()):
    """``@handles("agency.created", ...)``: a :class:`ReliableEventHandler` of those types
    (``batch=True``: a :class:`BatchEventHandler`); ``no_longer``: event types its queue was bound
    by in an earlier release, unbound wherever the queue is declared."""
    return (BatchEventHandler if batch else ReliableEventHandler).decorator(*event_types, batch=batch,
                                                                           no_longer=no_longer)


def reliable_handlers(service_cls):
    """``(queue name, entrypoint)`` of every reliable handler a service class declares."""
    found = []
    for name in dir(service_cls):
        method = getattr(service_cls, name, None)
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ReliableEventHandler):
                found.append((queue_name(service_cls.name, name), entrypoint))
    return found


def handlers_of(service_cls, exchange=EVENTS_EXCHANGE):
    """``(queue name, binding keys)`` of every reliable handler of ``exchange`` a service declares
    (on the events exchange the binding keys are the event types)."""
    return [(qname, entrypoint.binding_keys) for qname, entrypoint in reliable_handlers(service_cls)
            if entrypoint.exchange.name == exchange.name]


def declare_topology(amqp_uri, service_classes, delays=DEFAULT_RETRY_DELAYS, durable=None):
    """Declare the events exchange and every consumer's queues before anything publishes
    (exchanges a handler only names passively must exist already); a queue that exists with other
    arguments (classic, where they are now quorum) is migrated with its messages."""
    queues = [queue
              for service_cls in service_classes
              for qname, entrypoint in reliable_handlers(service_cls)
              for queue in consumer_queues(qname, entrypoint.binding_keys, delays, entrypoint.exchange, durable)]
    retired = [binding for service_cls in service_classes for qname, entrypoint in reliable_handlers(service_cls)
               for binding in entrypoint.retired_bindings(qname)]
    with get_connection(amqp_uri) as connection:
        declare(connection, [])  # the events exchange
        declare_or_migrate(connection, queues)
        declare(connection, [], retired)
    return [queue.name for queue in queues]
