"""Batches published with confirms (chassis/confirms.py) on the real broker: what arrives, and
what the broker refuses."""
import os

import pytest
from kombu import Connection, Exchange, Queue

from chassis.confirms import PublishNotConfirmed, ConfirmingPublisher

EXCHANGE = Exchange("onenet.test.confirms", type="topic", durable=False, auto_delete=True)


@pytest.fixture
def broker(prepared_stack):
    with Connection(os.environ["ONENET_AMQP_URI"]) as connection:
        EXCHANGE(connection.default_channel).declare()
        yield connection


def test_a_batch_larger_than_one_write_arrives_whole_in_order_with_its_properties(broker):
    queue = Queue("test.confirms.all", exchange=EXCHANGE, routing_key="test.#", exclusive=True)
    queue(broker.default_channel).declare()
    publisher = ConfirmingPublisher(broker)
    bodies = [f'{{"n": {n}, "pad": "{"数" * 400}"}}'.encode() for n in range(1500)]  # over 1 MB of frames
    for n, body in enumerate(bodies):
        publisher.publish(body, exchange=EXCHANGE, routing_key=f"test.{n % 3}", content_type="application/json",
                          content_encoding="utf-8", delivery_mode=2, message_id=f"m-{n}",
                          headers={"x-onenet-source": "tests"})
    publisher.wait()
    received = []
    while (message := broker.default_channel.basic_get("test.confirms.all", no_ack=True)) is not None:
        received.append(message)
    assert [message.body.encode() for message in received] == bodies
    assert [message.delivery_info["routing_key"] for message in received[:4]] == ["test.0", "test.1", "test.2",
                                                                                  "test.0"]
    assert received[7].properties == {"content_type": "application/json", "content_encoding": "utf-8",
                                      "application_headers": {"x-onenet-source": "tests"}, "delivery_mode": 2,
                                      "priority": 0, "message_id": "m-7"}
    publisher.close()


def test_messages_the_broker_refuses_fail_the_wait(broker):
    queue = Queue("test.confirms.full", exchange=EXCHANGE, routing_key="full", exclusive=True,
                  queue_arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    queue(broker.default_channel).declare()
    publisher = ConfirmingPublisher(broker)
    for n in range(3):
        publisher.publish(b"{}", exchange=EXCHANGE.name, routing_key="full", content_type="application/json")
    with pytest.raises(PublishNotConfirmed, match="^the broker refused 2 message"):
        publisher.wait()
    publisher.close()
