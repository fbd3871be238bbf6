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
idempotency key gets the answer that was stored with the write.
"""
import structlog
from kombu import Queue
from nameko import rpc as nameko_rpc
from nameko.amqp.publish import get_connection

from chassis.errors import DomainError
from chassis.idempotency import honours_keys
from chassis.queues import DurableQueues, declare_or_migrate

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


class RpcConsumer(nameko_rpc.RpcConsumer):
    """nameko's RPC consumer, declaring the service's queue with OneNet's durable queue arguments."""

    def setup(self):
        super().setup()
        self.queue.queue_arguments = rpc_queue(self.container.service_name, self.container.config).queue_arguments


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
