"""Which arguments OneNet's durable queues are declared with (chassis/queues.py)."""
import pytest

from chassis.events import consumer_queues
from chassis.provinces import topology
from chassis.queues import CLASSIC, QUORUM, DurableQueues
from chassis.rpc import rpc_queues


def test_classic_is_the_default_with_a_delivery_limit_of_twenty_for_quorum(monkeypatch):
    monkeypatch.delenv("ONENET_QUEUE_TYPE", raising=False)
    monkeypatch.delenv("ONENET_QUEUE_DELIVERY_LIMIT", raising=False)
    assert DurableQueues.from_config({}) == DurableQueues(CLASSIC, 20)


def test_config_wins_over_the_environment_which_wins_over_the_default(monkeypatch):
    monkeypatch.setenv("ONENET_QUEUE_TYPE", "quorum")
    monkeypatch.setenv("ONENET_QUEUE_DELIVERY_LIMIT", "5")
    assert DurableQueues.from_config({}) == DurableQueues(QUORUM, 5)
    assert DurableQueues.from_config({"QUEUE_TYPE": " Classic ", "QUEUE_DELIVERY_LIMIT": "7"}) == \
        DurableQueues(CLASSIC, 7)
    assert DurableQueues.from_config({"QUEUE_TYPE": "", "QUEUE_DELIVERY_LIMIT": ""}) == DurableQueues(QUORUM, 5)


@pytest.mark.parametrize("kind, limit, message", [
    ("mirrored", 20, "QUEUE_TYPE must be one of quorum, classic, not 'mirrored'"),
    ("quorum", 0, "QUEUE_DELIVERY_LIMIT must be at least 1, not 0"),
])
def test_an_unknown_type_or_a_limit_below_one_stops_the_process(kind, limit, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        DurableQueues(kind, limit)


def test_a_consumer_queue_is_quorum_and_parks_past_its_delivery_limit():
    main, retry, parked = consumer_queues("notifications.welcome_enterprise", "enterprise.registered", (1.0,),
                                          durable=DurableQueues(QUORUM, 20))
    assert main.queue_arguments == {
        "x-queue-type": "quorum", "x-delivery-limit": 20, "x-dead-letter-exchange": "onenet.redelivery",
        "x-dead-letter-routing-key": "notifications.welcome_enterprise.dead-letter"}
    assert retry.queue_arguments == {
        "x-queue-type": "quorum", "x-message-ttl": 1000, "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": "notifications.welcome_enterprise"}
    assert parked.queue_arguments == {"x-queue-type": "quorum"}  # read with list: no limit


def test_classic_queues_carry_no_type_and_no_limit():
    main, retry, parked = consumer_queues("q", "t", (1.0,), durable=DurableQueues(CLASSIC, 20))
    assert main.queue_arguments == parked.queue_arguments == {}
    assert set(retry.queue_arguments) == {"x-message-ttl", "x-dead-letter-exchange", "x-dead-letter-routing-key"}


def test_a_services_rpc_queue_has_the_limit_and_a_dead_letter_queue():
    queue, parked = rpc_queues("requests", {"QUEUE_TYPE": "quorum", "QUEUE_DELIVERY_LIMIT": 9})
    assert (queue.name, queue.exchange.name, queue.routing_key, queue.durable) == (
        "rpc-requests", "nameko-rpc", "requests.*", True)
    assert queue.queue_arguments == {"x-queue-type": "quorum", "x-delivery-limit": 9,
                                     "x-dead-letter-exchange": "onenet.redelivery",
                                     "x-dead-letter-routing-key": "rpc-requests.dead-letter"}
    assert (parked.name, parked.exchange.name, parked.routing_key, parked.durable) == (
        "rpc-requests.dead-letter", "onenet.redelivery", "rpc-requests.dead-letter", True)
    assert parked.queue_arguments == {"x-queue-type": "quorum"}  # read with list: no limit
    assert [queue.queue_arguments for queue in rpc_queues("requests", {"QUEUE_TYPE": "classic"})] == [{}, {}]


def test_the_provinces_queues_are_quorum_without_a_limit():
    _, queues = topology(("44",), DurableQueues(QUORUM, 20))
    assert [(queue.name, queue.queue_arguments) for queue in queues] == [
        ("province.44.outbound", {"x-queue-type": "quorum"}),
        ("province.44.dead-letter", {"x-queue-type": "quorum"})]
