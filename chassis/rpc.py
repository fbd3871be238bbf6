"""``@rpc`` for OneNet services: nameko's, with the domain errors marked as expected.

A ``ValidationFailed`` or ``NotFound`` is an answer, not a fault of the service:
nameko then logs it as expected (see ``chassis.logs``, one info line without a
traceback) instead of as an error, and it still travels to the caller. A call that
carries an idempotency key is answered once per key (:mod:`chassis.idempotency`).

The service's RPC queue (``rpc-<service>``, shared by its replicas) is a durable
queue of the configured type (:mod:`chassis.queues`), with the delivery limit of a
consumer queue and its dead-letter queue, ``rpc-<service>.dead-letter``, as a reliable
handler's (:mod:`chassis.events`). A call that can be answered is, even by an error (a
method the service does not have, a body without ``args``: nameko's ``MethodNotFound``,
``MalformedRequest``). A message that cannot be answered is parked there with the reason
in its headers, as a bad event is, counted in ``onenet_dead_lettered_total``, and the
queue keeps flowing: a body that cannot be decoded (not JSON, a content type the service
does not read, or one kombu reads as raw bytes, which no reply can be encoded as), or a
call without ``reply_to`` or ``correlation_id``, whose answer could reach no caller (such
a call is not run). Left to nameko, the first is acknowledged with a log line and the
others kill the container (a reply without a serializer or a ``reply_to``), which meets
the same message again on every restart; a call to a method it has, without ``reply_to``,
is run and left unacknowledged, to be run again after a reconnection. A call that kept
killing its process is parked by the broker past the delivery limit (quorum queues), long
after its caller's timeout.

nameko publishes the reply from the worker's result handler, where an exception kills
the whole container: a broker restarting at that moment (``ECONNREFUSED``) would take
the process down. Here a reply that cannot be sent is logged and dropped instead; the
caller's timeout answers for it (the gateway's 503), and a retry with the same
idempotency key gets the answer that was stored with the write. On the caller's side,
replies are taken unacknowledged (:class:`ReplyListener`), so no acknowledgement can
meet a broker going away there.

Calls and replies leave through one :class:`RpcPublisher` per proxy and per RPC consumer,
on kombu's producer pool as nameko's ``Publisher`` does, without the kombu ``Connection``
and the ``Publisher`` nameko builds for every message, and a reply encoded once.

RPC calls and replies go without publisher confirms (``RPC_CONFIRMS``, off by default):
the caller's timeout already covers a call or a reply the broker lost, as it covers a
replica that died with the call, and a confirm costs a round trip to the broker on every
call and every reply (``bench/bench_gateway.py``). Events keep theirs: they leave through
the outbox, whose relay waits for the broker's confirms (:mod:`chassis.confirms`).
Without a confirm nameko cannot tell a call to a service nobody declared
(``UnknownService``); OneNet's services' RPC queues are declared by ``prepare`` and
outlive their consumers, so such a call was never answered by ``UnknownService`` but by
the caller's timeout (the gateway's 503) anyway, and the same timeout answers a call to a
name nobody declared. Use :class:`RpcProxy` of this module, not nameko's, to call a service.
"""
import sys
import time
import uuid

import kombu.serialization
import structlog
from kombu import Connection, Queue
from kombu.exceptions import ChannelError
from kombu.pools import producers
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher, UndeliverableMessage, get_connection
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_RETRY_POLICY, DEFAULT_SERIALIZER, DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY, PERSISTENT, SERIALIZER_CONFIG_KEY)
from nameko.exceptions import MethodNotFound, UnknownService, UnserializableValueError, serialize

from chassis.errors import DomainError
from chassis.events import REDELIVERY_EXCHANGE, dead_letter_queue, dead_letter_queue_name
from chassis.events import park as park_delivery
from chassis.idempotency import honours_keys
from chassis.metrics import DEAD_LETTERED
from chassis.queues import DurableQueues, SettlingQueueConsumer, declare_or_migrate

log = structlog.get_logger(__name__)


def rpc_queue(service_name, config=None):
    """The RPC queue of the service ``service_name``, as its replicas declare it (kombu)."""
    config = config or {}
    name = nameko_rpc.RPC_QUEUE_TEMPLATE.format(service_name)
    return Queue(name, exchange=nameko_rpc.get_rpc_exchange(config), routing_key=f"{service_name}.*", durable=True,
                 queue_arguments=DurableQueues.from_config(config).arguments(
                     REDELIVERY_EXCHANGE.name, dead_letter_queue_name(name), limited=True))


def rpc_queues(service_name, config=None):
    """The RPC queue of the service ``service_name`` and its dead-letter queue (kombu)."""
    main = rpc_queue(service_name, config)
    return [main, dead_letter_queue(main.name, DurableQueues.from_config(config))]


def serves_rpc(service_cls):
    return any(isinstance(entrypoint, nameko_rpc.Rpc)
               for name in dir(service_cls)
               for entrypoint in getattr(getattr(service_cls, name, None), "nameko_entrypoints", ()))


def declare_queues(amqp_uri, service_classes):
    """Declare the RPC queue and its dead-letter queue of each service that serves RPC (``prepare``,
    before the services start), migrating one that exists with other arguments; their names."""
    queues = [queue for service_cls in service_classes if serves_rpc(service_cls)
              for queue in rpc_queues(service_cls.name)]
    with get_connection(amqp_uri) as connection:
        declare_or_migrate(connection, queues)
    return [queue.name for queue in queues]


def uses_confirms(config):
    """Whether RPC calls and replies wait for the broker's publisher confirm (``RPC_CONFIRMS``)."""
    value = config.get("RPC_CONFIRMS", False)
    if isinstance(value, str):
        return value.strip().lower() in ("on", "true", "yes", "1")
    return bool(value)


class RpcPublisher:
    """A process's publisher of RPC calls and replies: nameko's way of publishing (kombu's
    producer pool, a persistent message, kombu's retries and reconnection on a connection
    error), with what nameko builds for every message built once: the kombu Connection
    the pool is looked up by (it never connects itself), the exchange and the options.
    Without confirms it does not ask the broker to return an unroutable call either
    (``mandatory``), which only a confirm would have reported; with them, an unroutable
    call raises nameko's ``UndeliverableMessage``.

    A message is published once as it is, and only one that fails on a connection or channel
    error is published again through kombu's retrying wrapper (``Connection.ensure``, with
    nameko's retry policy), which reconnects first: the wrapper, built anew for every
    message, cost 12-30 us of a 110-160 us publish. py-amqp reads the socket before every
    publish (the client takes ``connection.blocked`` notices): that read is what finds the
    broker's ``connection.close`` of a restart before the message is written into a closed
    socket and lost, so it stays."""

    def __init__(self, config, **options):
        self.use_confirms = uses_confirms(config)
        self.serializer = config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER)
        self.connection = Connection(
            config[AMQP_URI_CONFIG_KEY], ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            transport_options={**DEFAULT_TRANSPORT_OPTIONS, "confirm_publish": self.use_confirms})
        self.options = {"exchange": nameko_rpc.get_rpc_exchange(config), "delivery_mode": PERSISTENT,
                        "mandatory": self.use_confirms, "serializer": self.serializer, **options}

    def publish(self, body, routing_key, **properties):
        """Publish ``body`` (serialized with the process's serializer, unless ``content_type``
        says it already is) to the RPC exchange."""
        with producers[self.connection].acquire(block=True) as producer:
            connection = producer.connection
            try:
                try:
                    producer.publish(body, routing_key=routing_key, **self.options, **properties)
                except connection.recoverable_connection_errors + connection.recoverable_channel_errors:
                    producer.publish(body, routing_key=routing_key, retry=True, retry_policy=DEFAULT_RETRY_POLICY,
                                     **self.options, **properties)
            except ChannelError as exc:
                if "NO_ROUTE" in str(exc):
                    raise UndeliverableMessage() from exc
                raise


class MethodProxy(nameko_rpc.MethodProxy):
    """nameko's call of one method, published through the process's :class:`RpcPublisher`."""

    def __init__(self, worker_ctx, service_name, method_name, reply_listener, publisher):
        self.worker_ctx, self.service_name, self.method_name = worker_ctx, service_name, method_name
        self.reply_listener, self.publisher = reply_listener, publisher

    def _call(self, *args, **kwargs):
        correlation_id = str(uuid.uuid4())
        reply_event = self.reply_listener.get_reply_event(correlation_id)
        try:
            self.publisher.publish({"args": args, "kwargs": kwargs}, f"{self.service_name}.{self.method_name}",
                                   reply_to=self.reply_listener.routing_key, correlation_id=correlation_id,
                                   headers=self.get_message_headers(self.worker_ctx))
        except UndeliverableMessage:
            raise UnknownService(self.service_name)
        return nameko_rpc.RpcReply(reply_event)


class ServiceProxy(nameko_rpc.ServiceProxy):
    def __init__(self, worker_ctx, service_name, reply_listener, publisher):
        super().__init__(worker_ctx, service_name, reply_listener)
        self.publisher = publisher

    def __getattr__(self, name):
        return MethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, self.publisher)


class ReplyListener(nameko_rpc.ReplyListener):
    """nameko's listener for the replies to this process's calls, taking them unacknowledged
    (``no_ack``): a reply is for this process alone, on its own queue, which does not outlive
    the broker's restart, so a reply its process could not take is lost whether acknowledged
    or not, and its call's timeout answers for it. nameko acknowledged each reply, one more
    message to the broker a call, in a thread of the container, where a broker going away
    between the delivery and its acknowledgement killed the whole process (the gateway: exit 1)."""

    queue_consumer = SettlingQueueConsumer()
    no_ack = True

    def handle_message(self, body, message):
        reply_event = self._reply_events.pop(message.properties.get("correlation_id"), None)
        if reply_event is not None:
            reply_event.send(body)


class RpcProxy(nameko_rpc.RpcProxy):
    """``self.<service>.<method>(...)`` as nameko's, with confirms as ``RPC_CONFIRMS`` says;
    ``options`` go with every call (kombu's ``publish`` arguments: ``expiration``, in seconds)."""

    rpc_reply_listener = ReplyListener()

    def setup(self):
        super().setup()
        self.publisher = RpcPublisher(self.container.config, **self.options)

    def get_dependency(self, worker_ctx):
        return ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, self.publisher)


def unanswerable(body, properties, names_a_method):
    """Why a call that came with ``properties`` (AMQP) cannot be answered: without ``reply_to`` or
    ``correlation_id`` its answer could reach no caller; what else is wrong with it (its method,
    its body) is said too, for the operator who reads it parked."""
    faults = [f"no {name}" for name in ("reply_to", "correlation_id") if not properties.get(name)]
    if not names_a_method:
        faults.append("its routing key names no method of the service")
    if not (isinstance(body, dict) and "args" in body and "kwargs" in body):
        faults.append("its body has no args or kwargs")
    return "call cannot be answered: " + "; ".join(faults)


class RpcQueueConsumer(SettlingQueueConsumer):
    """The RPC consumers' queue consumer, on a connection of its own as nameko's was (the reply
    listener's consumer has another): a message whose body cannot be decoded is parked
    (:meth:`RpcConsumer.park_undecodable`), where kombu acknowledged it with a log line."""


class RpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's RPC consumer, declaring the service's queue with OneNet's durable queue arguments,
    replying through the process's :class:`RpcPublisher` and parking what cannot be answered."""

    queue_consumer = RpcQueueConsumer()

    def setup(self):
        super().setup()
        main, parked = rpc_queues(self.container.service_name, self.container.config)
        self.queue.queue_arguments = main.queue_arguments
        with get_connection(self.container.config[AMQP_URI_CONFIG_KEY]) as connection:
            with connection.channel() as channel:
                parked(channel).declare()
        self.publisher = RpcPublisher(self.container.config)
        self.parking = Publisher(self.container.config[AMQP_URI_CONFIG_KEY], use_confirms=True)

    def handle_message(self, body, message):
        properties = message.properties
        if properties.get("reply_to") and properties.get("correlation_id"):
            return super().handle_message(body, message)
        try:
            self.get_provider_for_method(message.delivery_info["routing_key"])
            names_a_method = True
        except MethodNotFound:
            names_a_method = False
        self.park(message, unanswerable(body, properties, names_a_method), "MalformedRequest")

    def park_undecodable(self, message, exc):
        self.park(message, f"message body could not be decoded: {exc}", type(exc).__name__)

    def park(self, message, error, exception):
        """Park ``message`` in ``rpc-<service>.dead-letter`` with ``error``, then acknowledge it; when
        the broker refuses the copy, keep it and let it come again shortly."""
        queue = self.queue.name
        try:
            park_delivery(self.parking, message, queue, 1, error, exception)
        except Exception:
            log.exception("rpc_park_failed", queue=queue)
            time.sleep(1)
            self.queue_consumer.requeue_message(message)
            return
        DEAD_LETTERED.labels(self.container.service_name, queue).inc()
        log.error("rpc_dead_lettered", queue=queue, error=error)
        self.queue_consumer.ack_message(message)

    def handle_result(self, message, result, exc_info):
        try:
            serializer = kombu.serialization.registry.type_to_name[message.properties["content_type"]]
        except KeyError:  # a body kombu reads as raw bytes (application/data, or no content type)
            fault = "" if exc_info is None else f"; {type(exc_info[1]).__name__}: {exc_info[1]}"
            self.park(message, "call cannot be answered: no serializer answers in its content type "
                               f"{message.properties.get('content_type')!r}{fault}", "MalformedRequest")
            return result, exc_info
        result, exc_info = self.send_reply(message, serializer, result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info

    def send_reply(self, message, serializer, result, exc_info):
        """nameko's ``Responder.send_response``, serializing the reply once: encoded as the call
        was (``serializer``), and a result that cannot be encoded answered by ``UnserializableValueError``."""
        error = None if exc_info is None else serialize(exc_info[1])
        try:
            content_type, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        except Exception:
            exc_info = sys.exc_info()
            result, error = None, serialize(UnserializableValueError(result))
            content_type, encoding, body = kombu.serialization.dumps({"result": result, "error": error}, serializer)
        self.publisher.publish(body, message.properties["reply_to"], content_type=content_type,
                               content_encoding=encoding, correlation_id=message.properties.get("correlation_id"))
        return result, exc_info


class Rpc(nameko_rpc.Rpc):
    """nameko's RPC entrypoint on OneNet's queue, whose unsent reply never takes the container down."""

    rpc_consumer = RpcConsumer()

    def handle_result(self, message, worker_ctx, result, exc_info):
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except Exception as exc:  # the broker went away between the call and its reply
            log.warning("rpc_reply_not_sent", method=self.method_name, error=f"{type(exc).__name__}: {exc}")
            return result, exc_info


def rpc(fn=None, *, expected_exceptions=()):
    """Declare an RPC entrypoint (bare ``@rpc`` or ``@rpc(expected_exceptions=...)``)."""
    if not isinstance(expected_exceptions, tuple):
        expected_exceptions = (expected_exceptions,)
    register = Rpc.decorator(expected_exceptions=(DomainError, *expected_exceptions))

    def decorate(method):
        return register(honours_keys(method))

    return decorate(fn) if fn is not None else decorate
