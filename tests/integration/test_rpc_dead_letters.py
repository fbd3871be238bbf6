"""A service's RPC queue on the real broker: a message that cannot be answered is parked in
``rpc-<service>.dead-letter`` with its reason and counted, a call that can be answered by an
error is answered, and the next good call is answered either way (chassis/rpc.py)."""
import os
import uuid

import amqp
import pytest
from kombu import Connection, Exchange, Queue
from nameko.containers import ServiceContainer

from chassis import config as process_config
from chassis import deadletters
from chassis.metrics import DEAD_LETTERED
from chassis.rpc import rpc
from tests.stack import amqp_uri, depth, wait_for

SERVICE = "rpcparking"
QUEUE = f"rpc-{SERVICE}"
RPC_EXCHANGE = Exchange("nameko-rpc", type="topic", durable=True)
A_CALL = b'{"args": ["hello"], "kwargs": {}}'


class Parking:
    name = SERVICE

    @rpc
    def echo(self, value):
        return value


def delete_queues():
    with Connection(amqp_uri()) as connection:
        for queue in (QUEUE, f"{QUEUE}.dead-letter"):
            with connection.channel() as channel:
                channel.queue_delete(queue)


@pytest.fixture(scope="module")
def service(prepared_stack):
    delete_queues()
    config = process_config.load(os.path.join("services", "notifications", "config.yml"))
    config["AMQP_URI"] = amqp_uri()
    container = ServiceContainer(Parking, config)
    container.start()
    yield container
    container.stop()
    delete_queues()


@pytest.fixture
def caller(service):
    """Publishes raw messages onto the service's RPC queue and reads the replies to them; nothing
    is parked before."""
    with Connection(amqp_uri()) as connection:
        channel = connection.channel()
        channel.queue_purge(f"{QUEUE}.dead-letter")
        reply_key = str(uuid.uuid4())
        replies = Queue(f"rpc.reply-test-{reply_key}", exchange=RPC_EXCHANGE, routing_key=reply_key,
                        exclusive=True, auto_delete=True)
        replies(channel).declare()

        class Caller:
            def send(self, body=A_CALL, method="echo", content_type="application/json", reply_to=reply_key,
                     correlation_id="call-1"):
                properties = {"content_type": content_type, "content_encoding": "utf-8", "reply_to": reply_to,
                              "correlation_id": correlation_id, "delivery_mode": 2}
                message = amqp.Message(body, **{key: value for key, value in properties.items()
                                                if value is not None})
                channel.basic_publish(message, exchange=RPC_EXCHANGE.name, routing_key=f"{SERVICE}.{method}")

            def reply(self, timeout=5.0):
                message = wait_for(lambda: channel.basic_get(replies.name, no_ack=True), timeout)
                if message is None:
                    return None
                return message.body if isinstance(message.body, bytes) else message.body.encode()

        yield Caller()
        channel.close()


def parked_count():
    return DEAD_LETTERED.labels(SERVICE, QUEUE)._value.get()


def answered_next(caller):
    """Whether a good call right after is answered (the service keeps serving)."""
    caller.send(correlation_id="call-next")
    reply = caller.reply()
    return reply is not None and b'"result": "hello"' in reply


@pytest.mark.parametrize("shape, sent, exception, reason", [
    ("a body that is not JSON", dict(body=b"{not json"), "DecodeError", "message body could not be decoded"),
    ("a content type the service does not read", dict(body=b"hello", content_type="text/plain"),
     "ContentDisallowed", "message body could not be decoded"),
    ("a body read as raw bytes", dict(content_type="application/data"), "MalformedRequest",
     "no serializer answers in its content type 'application/data'"),
    ("no content type", dict(content_type=None), "MalformedRequest",
     "no serializer answers in its content type None"),
    ("no reply_to", dict(reply_to=None), "MalformedRequest", "call cannot be answered: no reply_to"),
    ("no correlation_id", dict(correlation_id=None), "MalformedRequest",
     "call cannot be answered: no correlation_id"),
    ("no reply_to and a body without args", dict(body=b'{"value": 1}', reply_to=None), "MalformedRequest",
     "no reply_to; its body has no args or kwargs"),
    ("no reply_to and a method the service does not have", dict(method="nosuch", reply_to=None),
     "MalformedRequest", "no reply_to; its routing key names no method of the service"),
])
def test_a_message_that_cannot_be_answered_is_parked_with_its_reason(caller, shape, sent, exception, reason):
    before = parked_count()
    caller.send(**sent)
    assert wait_for(lambda: depth(f"{QUEUE}.dead-letter") == 1), shape
    (parked,) = deadletters.list_parked(amqp_uri(), QUEUE)
    assert parked["exception"] == exception and reason in parked["error"], parked
    assert parked["original_routing_key"] == f"{SERVICE}.{sent.get('method', 'echo')}"
    assert wait_for(lambda: parked_count() == before + 1)  # onenet_dead_lettered_total: the DeadLetters alert
    assert caller.reply(timeout=0.5) is None  # nothing answered it
    assert answered_next(caller)
    assert depth(QUEUE) == 0


@pytest.mark.parametrize("sent, error", [
    (dict(method="nosuch"), b"MethodNotFound"),
    (dict(body=b'{"value": 1}'), b"MalformedRequest"),
])
def test_a_call_that_can_be_answered_by_an_error_is_answered_not_parked(caller, sent, error):
    caller.send(**sent)
    reply = caller.reply()
    assert reply is not None and error in reply
    assert depth(f"{QUEUE}.dead-letter") == 0
    assert answered_next(caller)


def test_a_parked_call_replayed_goes_back_to_its_method(caller):
    """A call parked for its missing correlation_id, replayed: routed by its method again (and
    parked again for the same reason, which has not gone away), not sent to a method named after
    the queue."""
    caller.send(correlation_id=None, method="echo")
    assert wait_for(lambda: depth(f"{QUEUE}.dead-letter") == 1)
    assert deadletters.replay(amqp_uri(), QUEUE) == 1
    assert wait_for(lambda: depth(f"{QUEUE}.dead-letter") == 1)
    (parked,) = deadletters.list_parked(amqp_uri(), QUEUE)
    assert parked["original_routing_key"] == f"{SERVICE}.echo" and "no correlation_id" in parked["error"], parked
