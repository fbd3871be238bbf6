"""``@rpc`` for OneNet services: nameko's, with the domain errors marked as expected.

A ``ValidationFailed`` or ``NotFound`` is an answer, not a fault of the service:
nameko then logs it as expected (see ``chassis.logs``, one info line without a
traceback) instead of as an error, and it still travels to the caller. A call that
carries an idempotency key is answered once per key (:mod:`chassis.idempotency`).

The service's RPC queue (``rpc-<service>``, shared by its replicas) is a durable
queue of the configured type (:mod:`chassis.queues`), with the delivery limit of a
consumer queue and no dead-letter queue: a call that kept killing its process is
dropped, and its caller has long had its timeout.

nameko publishes the reply from the worker's result handler, where an exception kills
the whole container: a broker restarting at that moment (``ECONNREFUSED``) would take
the process down. Here a reply that cannot be sent is logged and dropped instead; the
caller's timeout answers for it (the gateway's 503), and a retry with the same
idempotency key gets the answer that was stored with the write. On the caller's side,
the acknowledgement of a reply that meets a broker going away (``ECONNRESET``, ``EPIPE``)
is logged, and the reply still reaches its call (:class:`ReplyListener`).

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
from functools import partial

import structlog
from kombu import Queue
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import Publisher, get_connection
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY, AMQP_URI_CONFIG_KEY, DEFAULT_SERIALIZER, LOGIN_METHOD_CONFIG_KEY, SERIALIZER_CONFIG_KEY)

from chassis.errors import DomainError
from chassis.idempotency import honours_keys
from chassis.queues import DurableQueues, SettlingQueueConsumer, declare_or_migrate

log = structlog.get_logger(__name__)


def rpc_queue(service_name, config=None):
    """The RPC queue of the service ``service_name``, as its replicas declare it (kombu)."""
    config = config or {}
    return Queue(nameko_rpc.RPC_QUEUE_TEMPLATE.format(service_name),
                 exchange=nameko_rpc.get_rpc_exchange(config), routing_key=f"{service_name}.*", durable=True,
                 queue_arguments=DurableQueues.from_config(config).arguments(limited=True))


def serves_rpc(service_cls):
    return any(isinstance(entrypoint, nameko_rpc.Rpc)
               for name in dir(service_cls)
               for entrypoint in getattr(getattr(service_cls, name, None), "nameko_entrypoints", ()))


def declare_queues(amqp_uri, service_classes):
    """Declare the RPC queue of each service that serves RPC (``prepare``, before the services
    start), migrating one that exists with other arguments; their names."""
    queues = [rpc_queue(service_cls.name) for service_cls in service_classes if serves_rpc(service_cls)]
    with get_connection(amqp_uri) as connection:
        declare_or_migrate(connection, queues)
    return [queue.name for queue in queues]


def uses_confirms(config):
    """Whether RPC calls and replies wait for the broker's publisher confirm (``RPC_CONFIRMS``)."""
    value = config.get("RPC_CONFIRMS", False)
    if isinstance(value, str):
        return value.strip().lower() in ("on", "true", "yes", "1")
    return bool(value)


class RpcPublisher(Publisher):
    """nameko's publisher of calls and replies; without confirms it does not ask the broker to
    return an unroutable call either (``mandatory``), which only a confirm would have reported."""

    def publish(self, payload, **kwargs):
        if not self.use_confirms:
            kwargs["mandatory"] = False
        return super().publish(payload, **kwargs)


class MethodProxy(nameko_rpc.MethodProxy):
    publisher_cls = RpcPublisher


class ServiceProxy(nameko_rpc.ServiceProxy):
    def __getattr__(self, name):
        return MethodProxy(self.worker_ctx, self.service_name, name, self.reply_listener, **self.options)


class ReplyListener(nameko_rpc.ReplyListener):
    """nameko's listener for the replies to this process's calls, on a consumer whose
    acknowledgement of a reply the broker can no longer take is logged, not fatal: nameko
    acknowledges a reply before handing it to its call, in a thread of the container, so a
    broker restart caught between the two killed the whole process (the gateway: exit 1)."""

    queue_consumer = SettlingQueueConsumer()


class RpcProxy(nameko_rpc.RpcProxy):
    """``self.<service>.<method>(...)`` as nameko's, with confirms as ``RPC_CONFIRMS`` says."""

    rpc_reply_listener = ReplyListener()

    def setup(self):
        super().setup()
        self.proxy_options = {"use_confirms": uses_confirms(self.container.config), **self.options}

    def get_dependency(self, worker_ctx):
        return ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener, **self.proxy_options)


class RpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's RPC consumer, declaring the service's queue with OneNet's durable queue arguments
    and replying with confirms as ``RPC_CONFIRMS`` says."""

    def setup(self):
        super().setup()
        self.queue.queue_arguments = rpc_queue(self.container.service_name, self.container.config).queue_arguments

    def handle_result(self, message, result, exc_info):
        config = self.container.config
        responder = nameko_rpc.Responder(
            config[AMQP_URI_CONFIG_KEY], nameko_rpc.get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        responder.publisher_cls = partial(RpcPublisher, use_confirms=uses_confirms(config))
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
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
