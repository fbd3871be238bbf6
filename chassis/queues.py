"""Durable queues: classic queues by default, quorum queues where configured.

A quorum queue (RabbitMQ 3.8 and later) keeps its messages in a Raft log replicated
over the cluster's nodes, so a queue survives the loss of a minority of them; on one
node it behaves like a durable classic queue. Every durable queue OneNet declares
takes the type of ``QUEUE_TYPE`` (``classic``, the default, or ``quorum``, for a
cluster; in a process's config, else ``ONENET_QUEUE_TYPE``): the consumer queues of reliable
handlers and their delay and dead-letter queues, the services' RPC queues (``rpc-<service>``)
and their dead-letter queues, and the provinces' outbound and dead-letter queues. RPC reply
queues (one per process, expiring) stay classic.

A consumer queue also gets a delivery limit (``QUEUE_DELIVERY_LIMIT``, default 20):
a message delivered that many times without being acknowledged, because the process
handling it died each time, is dead-lettered by the broker into
``<queue>.dead-letter``, a second guard beside the handlers' own bounded retries
(which catch exceptions, not crashes). Classic queues have no delivery limit.

RabbitMQ refuses to declare an existing queue with other arguments
(``PRECONDITION_FAILED``): every process and ``prepare`` must use the same type, and
a network whose queues were declared classic moves them over as docs/operations.md
describes: ``prepare`` moves every such queue (:func:`declare_or_migrate`).

Every consumer of a OneNet process settles its deliveries through
:class:`SettlingQueueConsumer`: an acknowledgement that no longer reaches the broker
(it restarted under the delivery) must not take the process down.
"""
import os
from dataclasses import dataclass
from functools import partial

import structlog
from amqp import Message
from amqp.exceptions import PreconditionFailed
from kombu import Queue
from nameko.messaging import QueueConsumer

log = structlog.get_logger(__name__)

QUORUM, CLASSIC = "quorum", "classic"
KINDS = (QUORUM, CLASSIC)
DEFAULT_DELIVERY_LIMIT = 20


@dataclass(frozen=True)
class DurableQueues:
    """How OneNet's durable queues are declared: their type and a consumer queue's delivery limit."""

    kind: str = CLASSIC
    delivery_limit: int = DEFAULT_DELIVERY_LIMIT

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"QUEUE_TYPE must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if self.delivery_limit < 1:
            raise ValueError(f"QUEUE_DELIVERY_LIMIT must be at least 1, not {self.delivery_limit}")

    @classmethod
    def from_config(cls, config=None):
        """From a process's config (``QUEUE_TYPE``, ``QUEUE_DELIVERY_LIMIT``), else the environment
        (``ONENET_QUEUE_TYPE``, ``ONENET_QUEUE_DELIVERY_LIMIT``), else classic and 20."""
        config = config or {}

        def setting(name, default):
            value = config.get(name)
            if value is None or value == "":
                value = os.environ.get(f"ONENET_{name}") or default
            return value

        return cls(str(setting("QUEUE_TYPE", CLASSIC)).strip().lower(),
                   int(setting("QUEUE_DELIVERY_LIMIT", DEFAULT_DELIVERY_LIMIT)))

    def arguments(self, dead_letter_exchange=None, dead_letter_key=None, limited=False):
        """The ``x-`` arguments of a durable queue. ``limited``: a consumer queue, whose messages
        past the delivery limit go to ``dead_letter_exchange`` with ``dead_letter_key`` (dropped
        when none is given)."""
        if self.kind == CLASSIC:
            return {}
        arguments = {"x-queue-type": QUORUM}
        if limited:
            arguments["x-delivery-limit"] = self.delivery_limit
            if dead_letter_exchange is not None:
                arguments["x-dead-letter-exchange"] = dead_letter_exchange
                arguments["x-dead-letter-routing-key"] = dead_letter_key
        return arguments


# -- moving queues declared with other arguments (classic to quorum, or back) ----------------------

def declared_as(connection, queue):
    """Whether ``queue`` (kombu, bound) can be declared as it is: False when a queue of its name
    exists with other arguments (RabbitMQ answers PRECONDITION_FAILED and closes the channel)."""
    channel = connection.channel()
    try:
        queue(channel).declare()
        return True
    except PreconditionFailed:
        return False
    finally:
        if channel.is_open:
            channel.close()


def move_messages(connection, source, target):
    """Move every message of queue ``source`` into queue ``target`` (through the default exchange),
    each acknowledged in ``source`` only once the broker confirmed its copy; how many moved."""
    moved = 0
    with connection.channel() as channel:
        while True:
            message = channel.basic_get(source, no_ack=False)
            if message is None:
                return moved
            properties = {key: value for key, value in message.properties.items() if key != "application_headers"}
            headers = {key: value for key, value in (message.headers or {}).items() if key != "x-delivery-count"}
            channel.basic_publish_confirm(Message(message.body, application_headers=headers, **properties),
                                          exchange="", routing_key=target)
            channel.basic_ack(message.delivery_tag)
            moved += 1


def migrate(connection, queue):
    """Redeclare ``queue`` (kombu, with its bindings and arguments) over an existing queue of its
    name declared otherwise, keeping its messages: a holding queue with the same bindings takes the
    messages (and whatever is routed meanwhile), the old queue is deleted and declared anew, and the
    messages move back. A message routed while both are bound arrives twice; OneNet's consumers
    record every event_id in their inbox, so the second has no effect. Run it while the services are
    stopped (``prepare`` does). Returns how many messages were moved."""
    holding = Queue(f"{queue.name}.migrating", exchange=queue.exchange, routing_key=queue.routing_key,
                    bindings=list(queue.bindings or ()), durable=True)
    with connection.channel() as channel:
        holding(channel).declare()
    moved = move_messages(connection, queue.name, holding.name)
    with connection.channel() as channel:
        channel.queue_delete(queue.name)
        queue(channel).declare()
    move_messages(connection, holding.name, queue.name)
    with connection.channel() as channel:
        channel.queue_delete(holding.name)
    log.warning("queue_migrated", queue=queue.name, arguments=queue.queue_arguments, messages=moved)
    return moved


def declare_or_migrate(connection, queues):
    """Declare each queue; one that exists with other arguments is migrated. The names migrated."""
    migrated = []
    for queue in queues:
        if not declared_as(connection, queue):
            migrate(connection, queue)
            migrated.append(queue.name)
    return migrated


class SettlingQueueConsumer(QueueConsumer):
    """nameko's queue consumer, but an acknowledgement (or requeue) the broker can no longer
    take, because the connection died under the delivery, is logged, not fatal.

    nameko settles a delivery in a thread of the container (a worker's result handler, the
    RPC reply listener's handler), where an exception kills the whole container, and it only
    forgives amqp's own ``ConnectionError``, not the socket's (``ConnectionResetError``,
    ``BrokenPipeError``) that a broker going away leaves. The broker delivers what was not
    acknowledged again once it is back: a reliable handler's inbox makes that a no-op, and a
    reply whose call was already answered is dropped as one nobody waits for.

    A provider whose ``no_ack`` is true (the RPC reply listener) takes its deliveries
    unacknowledged and settles none of them. A delivery whose body cannot be decoded goes to
    its provider's ``park_undecodable`` where it has one, instead of kombu's log line and
    acknowledgement."""

    def get_consumers(self, consumer_cls, channel):
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.no_ack = getattr(provider, "no_ack", False)
            if hasattr(provider, "park_undecodable"):
                consumer.on_decode_error = partial(self._undecodable, provider)
        return consumers

    def _undecodable(self, provider, message, exc):
        """Park an undecodable delivery in a thread of its own: parking waits for the broker."""
        self.container.spawn_managed_thread(partial(provider.park_undecodable, message, exc))

    def ack_message(self, message):
        self._settle(super().ack_message, message, "ack")

    def requeue_message(self, message):
        self._settle(super().requeue_message, message, "requeue")

    def _settle(self, settle, message, what):
        try:
            settle(message)
        except Exception as exc:  # the connection died under the delivery
            log.warning("delivery_not_settled", settle=what, queue=(message.delivery_info or {}).get("routing_key"),
                        error=f"{type(exc).__name__}: {exc}")
