"""No lost events, no double effects: the outbox and the inbox on the real stack."""
import json
import os
import time

import eventlet
import psycopg2
import psycopg2.extras
from kombu import Connection, Queue

from chassis import outbox
from chassis.confirms import ConfirmingPublisher
from chassis.db import transaction
from chassis.events import EVENTS_EXCHANGE
from services.notifications.service import NotificationsService
from tests.integration.events import new_event, publish
from tests.stack import sql

CONFIG = os.path.join("services", "notifications", "config.yml")


def connect(schema):
    return psycopg2.connect(os.environ["ONENET_DATABASE_URL"], options=f"-c search_path={schema}",
                            cursor_factory=psycopg2.extras.RealDictCursor)


def notices_for(uscc):
    return sql("notifications", "SELECT count(*) FROM notice WHERE recipient_id = %s", (uscc,))[0][0]


def wait_for_notices(uscc, expected, timeout=10):
    deadline = time.monotonic() + timeout
    while notices_for(uscc) < expected and time.monotonic() < deadline:
        eventlet.sleep(0.05)
    eventlet.sleep(0.5)  # time enough for a second effect, were there one
    return notices_for(uscc)


def registered(uscc):
    return new_event("enterprise.registered", {"uscc": uscc, "name": "重复投递测试有限公司",
                                               "region_code": "110105", "industry_code": "C39"})


def test_redelivered_event_has_no_second_effect(container_for):
    container_for(NotificationsService, CONFIG)
    event = registered("91110105MA01DUP01X")

    publish(event)
    publish(event)

    assert wait_for_notices("91110105MA01DUP01X", 1) == 1


def test_event_published_again_after_a_crash_before_marking_sent_has_one_effect(container_for):
    """A relay that dies after publishing but before its commit leaves the row unsent;
    the next relay publishes it again and the consumer's inbox absorbs the duplicate."""
    container_for(NotificationsService, CONFIG)
    event = registered("91110105MA01DUP02X")
    conn = connect("enterprises")
    with transaction(conn) as tx:
        outbox.add(tx, event, aggregate_id="91110105MA01DUP02X")
    with Connection(os.environ["ONENET_AMQP_URI"]) as broker:
        publisher = ConfirmingPublisher(broker)
        assert outbox.publish_pending(conn, publisher) >= 1
        with transaction(conn) as tx:  # the crash: the mark never became durable
            tx.execute("UPDATE outbox SET sent_at = NULL WHERE event_id = %s", (event["event_id"],))
        assert outbox.publish_pending(conn, publisher) >= 1

    assert wait_for_notices("91110105MA01DUP02X", 1) == 1
    with transaction(conn) as tx:
        row = tx.one("SELECT sent_at FROM outbox WHERE event_id = %s", (event["event_id"],))
    assert row["sent_at"] is not None
    conn.close()


def test_relay_publishes_in_commit_order_and_leaves_nothing_unsent(prepared_stack):
    conn = connect("enterprises")
    with Connection(os.environ["ONENET_AMQP_URI"]) as broker:
        listener = Queue("test.relay-order", exchange=EVENTS_EXCHANGE, routing_key="test.ordered",
                         exclusive=True)
        listener(broker.default_channel).declare()
        events = [new_event("test.ordered", {"n": n}) for n in range(5)]
        with transaction(conn) as tx:
            for event in events:
                outbox.add(tx, event, aggregate_id="agg-1")

        publisher = ConfirmingPublisher(broker)
        while outbox.publish_pending(conn, publisher):
            pass

        received = []
        while (message := broker.default_channel.basic_get("test.relay-order", no_ack=True)) is not None:
            received.append(json.loads(message.body)["payload"]["n"])
    assert received == [0, 1, 2, 3, 4]
    assert outbox.backlog(conn)[0] == 0
    conn.close()


def test_relays_of_several_replicas_publish_each_event_once(prepared_stack):
    """Replicas take turns: run four relays at once over one backlog; every event goes out once."""
    events = [new_event("test.replicas", {"n": n}) for n in range(2000)]
    setup = connect("enterprises")
    with transaction(setup) as tx:
        for event in events:
            outbox.add(tx, event, aggregate_id=f"agg-{event['payload']['n'] % 7}")
    with Connection(os.environ["ONENET_AMQP_URI"]) as broker:
        listener = Queue("test.relay-replicas", exchange=EVENTS_EXCHANGE, routing_key="test.replicas",
                         exclusive=True)
        listener(broker.default_channel).declare()

        def replica():
            conn = connect("enterprises")
            with Connection(os.environ["ONENET_AMQP_URI"]) as own:
                publisher = ConfirmingPublisher(own)
                while outbox.backlog(conn)[0]:
                    outbox.publish_pending(conn, publisher, batch_size=100)
                    eventlet.sleep(0)
            conn.close()

        pool = eventlet.GreenPool()
        for _ in range(4):
            pool.spawn(replica)
        pool.waitall()

        received = []
        while (message := broker.default_channel.basic_get("test.relay-replicas", no_ack=True)) is not None:
            received.append(json.loads(message.body)["payload"]["n"])
    assert sorted(received) == list(range(2000))
    assert received == sorted(received)  # commit order, hence order per aggregate
    setup.close()
