"""Publishing and inspecting events on the real broker, for integration tests."""
import json
import os

from kombu import Connection

from chassis import envelope
from chassis.events import EVENTS_EXCHANGE


def amqp_uri():
    return os.environ["ONENET_AMQP_URI"]


def publish(event, routing_key=None, body=None, content_type="application/json"):
    """Publish ``event`` (or a raw ``body``) to the events exchange, with confirms."""
    with Connection(amqp_uri(), transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        raw = body if body is not None else json.dumps(event).encode()
        producer.publish(raw, exchange=EVENTS_EXCHANGE, routing_key=routing_key or event["type"],
                         content_type=content_type, content_encoding="utf-8",
                         declare=[EVENTS_EXCHANGE])


def new_event(event_type, payload, correlation_id="it-correlation"):
    return envelope.make(event_type, payload, source="tests", correlation_id=correlation_id)


def drain(queue_name):
    """Take every message now in ``queue_name``: a list of ``(headers, body bytes)``."""
    taken = []
    with Connection(amqp_uri()) as conn:
        channel = conn.default_channel
        while True:
            message = channel.basic_get(queue_name, no_ack=True)
            if message is None:
                return taken
            body = message.body
            taken.append((message.headers or {}, body if isinstance(body, bytes) else body.encode()))


def depth(queue_name):
    with Connection(amqp_uri()) as conn:
        return conn.default_channel.queue_declare(queue_name, passive=True).message_count
