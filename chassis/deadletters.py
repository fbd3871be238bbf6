"""Inspect and replay parked events and RPC calls: ``python -m chassis.deadletters``.

    python -m chassis.deadletters list   notifications.welcome_enterprise
    python -m chassis.deadletters replay notifications.welcome_enterprise [--limit N]

    python -m chassis.deadletters list   rpc-enterprises

``list`` shows each parked message's error, attempts and original routing (or, for
a message the broker parked past its queue's delivery limit, ``death``) and
leaves it parked. ``replay`` moves parked messages back into their consumer
queue with a fresh attempt count (after the cause has been fixed); each is
acknowledged in the dead-letter queue only once the broker confirmed the copy.
A service's RPC queue (``rpc-<service>``) parks the calls it could not answer
(:mod:`chassis.rpc`); one replayed goes back through the RPC exchange by the
routing key it came with, which names its method, with its ``reply_to`` and
``correlation_id``. The AMQP location is ``ONENET_AMQP_URI``.
"""
import argparse
import json
import os
import sys

from kombu import Connection

from chassis.events import H_ATTEMPTS, H_ERROR, H_EXCEPTION, H_ORIGINAL_EXCHANGE, H_ORIGINAL_ROUTING_KEY, \
    H_PARKED_AT, dead_letter_queue_name

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
# Dropped on replay: why and how often it was parked, and what the broker counted.
BROKER_AND_PARKING_HEADERS = ("x-onenet-", "x-death", "x-first-death-", "x-last-death-", "x-delivery-count")
RPC_QUEUE_PREFIX = "rpc-"


def parked(connection, queue, limit=None):
    """Parked messages of ``queue`` (unacknowledged; they return when the channel closes)."""
    channel = connection.channel()
    taken = []
    while limit is None or len(taken) < limit:
        message = channel.basic_get(dead_letter_queue_name(queue), no_ack=False)
        if message is None:
            break
        taken.append(message)
    return channel, taken


def describe(message):
    headers = message.headers or {}
    return {
        "parked_at": headers.get(H_PARKED_AT),
        "attempts": headers.get(H_ATTEMPTS),
        "exception": headers.get(H_EXCEPTION),
        "error": headers.get(H_ERROR),
        "original_routing_key": headers.get(H_ORIGINAL_ROUTING_KEY),
        "message_id": message.properties.get("message_id"),
        # parked by the broker itself: delivery_limit (its process died that often handling it)
        "death": (headers.get("x-death") or [{}])[0].get("reason"),
    }


def list_parked(amqp_uri, queue):
    with Connection(amqp_uri) as connection:
        channel, messages = parked(connection, queue)
        descriptions = [describe(message) for message in messages]
        channel.close()  # unacknowledged: every message stays parked
    return descriptions


def route_back(message, queue):
    """``(exchange, routing key)`` a parked message of ``queue`` is replayed by: straight into
    ``queue`` (the default exchange), but for an RPC call, whose consumer finds its method by the
    routing key: the exchange and key it first came by (OneNet's headers, or the broker's
    ``x-death`` for a call parked past the delivery limit)."""
    if not queue.startswith(RPC_QUEUE_PREFIX):
        return "", queue
    headers = message.headers or {}
    death = (headers.get("x-death") or [{}])[0]
    return (headers.get(H_ORIGINAL_EXCHANGE, death.get("exchange", "")),
            headers.get(H_ORIGINAL_ROUTING_KEY, (death.get("routing-keys") or [queue])[0]))


def replay(amqp_uri, queue, limit=None):
    """Move up to ``limit`` parked messages back to ``queue``; return how many moved."""
    moved = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        producer = connection.Producer()
        channel, messages = parked(connection, queue, limit)
        for message in messages:
            headers = {key: value for key, value in (message.headers or {}).items()
                       if not key.startswith(BROKER_AND_PARKING_HEADERS)}
            exchange, routing_key = route_back(message, queue)
            producer.publish(message.body, exchange=exchange, routing_key=routing_key, headers=headers,
                             content_type=message.properties.get("content_type"),
                             content_encoding=message.properties.get("content_encoding"),
                             message_id=message.properties.get("message_id"),
                             reply_to=message.properties.get("reply_to"),
                             correlation_id=message.properties.get("correlation_id"), delivery_mode=2)
            channel.basic_ack(message.delivery_tag)
            moved += 1
        channel.close()
    return moved


def main(argv=None):
    parser = argparse.ArgumentParser(description="Inspect and replay parked events and RPC calls.")
    parser.add_argument("command", choices=["list", "replay"])
    parser.add_argument("queue", help="the consumer queue, e.g. notifications.welcome_enterprise, or rpc-<service>")
    parser.add_argument("--limit", type=int)
    args = parser.parse_args(argv)
    amqp_uri = os.environ.get("ONENET_AMQP_URI", DEFAULT_AMQP_URI)
    if args.command == "list":
        for entry in list_parked(amqp_uri, args.queue):
            print(json.dumps(entry, ensure_ascii=False, default=str))
    else:
        print(f"replayed {replay(amqp_uri, args.queue, args.limit)} message(s) into {args.queue}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
