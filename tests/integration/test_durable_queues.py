"""Durable queues on the real broker: quorum queues with a delivery limit that parks a message
whose handling keeps failing to finish, a service's RPC queue of the configured type, and an
existing classic queue moved to quorum with its messages."""
import json
import os

import pytest
from amqp.exceptions import NotFound
from kombu import Connection, Queue, binding

from chassis import deadletters
from chassis.events import EVENTS_EXCHANGE, consumer_queues, declare, handles
from chassis.queues import CLASSIC, QUORUM, DurableQueues, declare_or_migrate, declared_as
from chassis.rpc import rpc
from tests.stack import amqp_uri, depth, drain, new_event, publish, wait_for


def as_declared(queue_name, event_type, durable, delays=(0.2,)):
    queues = consumer_queues(queue_name, event_type, delays, durable=durable)
    with Connection(amqp_uri()) as connection:
        declare(connection, queues)
    return queues


@pytest.fixture
def poison_queue(prepared_stack):
    name = "test.poison"
    with Connection(amqp_uri()) as connection:
        with connection.channel() as channel:
            for queue in (name, f"{name}.retry.200ms", f"{name}.dead-letter"):
                channel.queue_delete(queue)
    return as_declared(name, "test.poison", DurableQueues(QUORUM, delivery_limit=3))


def test_a_message_whose_consumer_never_acknowledges_it_is_parked_after_the_delivery_limit(poison_queue):
    """A process that dies while handling a message returns it unacknowledged, as a requeue does."""
    event = new_event("test.poison", {"n": 1})
    publish(event)
    deliveries = 0
    with Connection(amqp_uri()) as connection:
        channel = connection.channel()

        def returned_once_more():
            nonlocal deliveries
            message = channel.basic_get("test.poison", no_ack=False)
            if message is None:
                return False
            deliveries += 1
            channel.basic_reject(message.delivery_tag, requeue=True)
            return deliveries > 10

        wait_for(lambda: returned_once_more() or (deliveries and depth("test.poison") == 0
                                                  and depth("test.poison.dead-letter") == 1), timeout=15)
        channel.close()
    assert deliveries == 4  # the first delivery and three more: then the limit (3) is passed
    assert depth("test.poison") == 0
    (parked,) = deadletters.list_parked(amqp_uri(), "test.poison")
    assert parked["death"] == "delivery_limit"
    assert deadletters.replay(amqp_uri(), "test.poison") == 1
    ((headers, body),) = drain("test.poison")
    assert json.loads(body)["event_id"] == event["event_id"]
    assert "x-death" not in headers
    assert not headers.get("x-delivery-count")  # counted afresh


def test_classic_queues_are_not_limited(prepared_stack):
    name = "test.classic-consumer"
    with Connection(amqp_uri()) as connection:
        with connection.channel() as channel:
            for queue in (name, f"{name}.retry.200ms", f"{name}.dead-letter"):
                channel.queue_delete(queue)
    main, *_ = as_declared(name, "test.classic", DurableQueues(CLASSIC))
    assert main.queue_arguments == {}
    with Connection(amqp_uri()) as connection:
        assert declared_as(connection, main)
        assert not declared_as(connection, Queue(name, durable=True,
                                                 queue_arguments=DurableQueues(QUORUM).arguments()))


class Echo:
    name = "queuecheck"

    @rpc
    def echo(self, value):
        return value


def test_a_services_rpc_queue_is_a_quorum_queue_with_the_delivery_limit(container_for):
    container_for(Echo, os.path.join("services", "notifications", "config.yml"),
                  AMQP_URI=os.environ["ONENET_AMQP_URI"], QUEUE_TYPE="quorum", QUEUE_DELIVERY_LIMIT=7)
    from tests.stack import rpc as rpc_proxy
    with rpc_proxy("queuecheck") as proxy:
        assert proxy.echo("hello") == "hello"
    quorum = DurableQueues(QUORUM, delivery_limit=7).arguments("onenet.redelivery", "rpc-queuecheck.dead-letter",
                                                              limited=True)
    with Connection(amqp_uri()) as connection:
        assert declared_as(connection, Queue("rpc-queuecheck", durable=True, queue_arguments=quorum))
        assert not declared_as(connection, Queue("rpc-queuecheck", durable=True))
        assert declared_as(connection, Queue("rpc-queuecheck.dead-letter", durable=True,
                                             queue_arguments=DurableQueues(QUORUM).arguments()))
        with connection.channel() as channel:
            channel.queue_delete("rpc-queuecheck")
            channel.queue_delete("rpc-queuecheck.dead-letter")


@pytest.mark.parametrize("before, after", [(CLASSIC, QUORUM), (QUORUM, CLASSIC)])
def test_a_queue_declared_otherwise_is_moved_with_its_messages(prepared_stack, before, after):
    name = "test.migrated"

    def queue(kind):
        return Queue(name, bindings=[binding(EVENTS_EXCHANGE, routing_key="test.migrated")], durable=True,
                     queue_arguments=DurableQueues(kind).arguments(limited=True))

    with Connection(amqp_uri()) as connection:
        with connection.channel() as channel:
            channel.queue_delete(name)
            queue(before)(channel).declare()
        events = [new_event("test.migrated", {"n": n}) for n in range(3)]
        for event in events:
            publish(event)
        wait_for(lambda: depth(name) == 3)

        assert declare_or_migrate(connection, [queue(after)]) == [name]
        assert declared_as(connection, queue(after))
        assert declare_or_migrate(connection, [queue(after)]) == []
        publish(new_event("test.migrated", {"n": 3}))  # still bound
        wait_for(lambda: depth(name) == 4)
        with pytest.raises(NotFound):
            depth(f"{name}.migrating")
    moved = [json.loads(body)["payload"]["n"] for _, body in drain(name)]
    assert moved == [0, 1, 2, 3]


def test_a_binding_a_handler_no_longer_wants_is_removed_where_its_queue_is_declared(prepared_stack):
    """A queue keeps every binding it was ever declared with: a handler that gave an event type
    to another one unbinds it (``no_longer``), and the type stops reaching its queue."""
    name = "test.retired"
    with Connection(amqp_uri()) as connection:
        with connection.channel() as channel:
            for queue in (name, f"{name}.retry.200ms", f"{name}.dead-letter"):
                channel.queue_delete(queue)
    as_declared(name, ("test.retired.kept", "test.retired.given_away"), DurableQueues(CLASSIC))   # earlier code
    handler = handles("test.retired.kept", no_longer=("test.retired.given_away",))(lambda self, event: None)
    (entrypoint,) = handler.nameko_entrypoints
    with Connection(amqp_uri()) as connection:
        declare(connection, consumer_queues(name, entrypoint.binding_keys, (0.2,), durable=DurableQueues(CLASSIC)),
                entrypoint.retired_bindings(name))
    publish(new_event("test.retired.given_away", {"n": 1}))
    publish(new_event("test.retired.kept", {"n": 2}))
    wait_for(lambda: depth(name) >= 1, timeout=5)
    assert [json.loads(body)["type"] for headers, body in drain(name)] == ["test.retired.kept"]
