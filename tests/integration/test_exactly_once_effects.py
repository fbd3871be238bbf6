"""No lost events, no double effects: the outbox and the inbox on the real stack."""
import json
import os

import eventlet
import psycopg2.extras
import pytest
from kombu import Connection, Queue

from chassis import outbox
from chassis.confirms import ConfirmingPublisher
from chassis.db import transaction
from chassis.events import EVENTS_EXCHANGE
from services.notifications.service import NotificationsService
from tests.stack import connect as connect_to, new_event, new_uscc, publish, purge_backlog, sql, wait_for

CONFIG = os.path.join("services", "notifications", "config.yml")


def connect(schema):
    return connect_to(schema, cursor_factory=psycopg2.extras.RealDictCursor)


@pytest.fixture(scope="module", autouse=True)
def no_backlog(prepared_stack):
    """The notifications service here handles one delivery at a time: events earlier modules left
    in its queues (each a policy match or an agency to record) would come before this module's."""
    purge_backlog(NotificationsService, keeping=("record_agency",))


def start_notifications(container_for):
    """The notifications service handling one delivery at a time, so deliveries finish in queue order."""
    return container_for(NotificationsService, CONFIG, max_workers=1)


def notices_for(uscc):
    return sql("notifications", "SELECT count(*) FROM notice WHERE recipient_id = %s", (uscc,))[0][0]


def registered(uscc):
    return new_event("enterprise.registered", {"uscc": uscc, "name": "重复投递测试有限公司",
                                               "region_code": "110105", "industry_code": "C39"})


def notices_after_sentinel(uscc):
    """The notices ``uscc`` has once an event published after its deliveries has had its effect:
    every delivery queued before the sentinel has been handled by then."""
    sentinel = new_uscc("110105")
    publish(registered(sentinel))
    assert wait_for(lambda: notices_for(sentinel) == 1)
    return notices_for(uscc)


def test_redelivered_event_has_no_second_effect(container_for):
    start_notifications(container_for)
    uscc = new_uscc("110105")
    event = registered(uscc)

    publish(event)
    publish(event)

    assert notices_after_sentinel(uscc) == 1


def test_event_published_again_after_a_crash_before_marking_sent_has_one_effect(container_for):
    """A relay that dies after publishing but before its commit leaves the row unsent;
    the next relay publishes it again and the consumer's inbox absorbs the duplicate."""
    start_notifications(container_for)
    uscc = new_uscc("110105")
    event = registered(uscc)
    conn = connect("enterprises")
    with transaction(conn) as tx:
        outbox.add(tx, event, aggregate_id=uscc)
    with Connection(os.environ["ONENET_AMQP_URI"]) as broker:
        publisher = ConfirmingPublisher(broker)
        assert outbox.publish_pending(conn, publisher) >= 1
        with transaction(conn) as tx:  # the crash: the mark never became durable
            tx.execute("UPDATE outbox SET sent_at = NULL WHERE event_id = %s", (event["event_id"],))
        assert outbox.publish_pending(conn, publisher) >= 1

    assert notices_after_sentinel(uscc) == 1
    with transaction(conn) as tx:
        row = tx.one("SELECT sent_at FROM outbox WHERE event_id = %s", (event["event_id"],))
    assert row["sent_at"] is not None
    conn.close()


class UnconfirmedPublisher:
    """A broker that takes the messages and never confirms them."""

    def __init__(self):
        self.published = []

    def publish(self, body, **options):
        self.published.append(body)

    def wait(self):
        raise TimeoutError("no confirm from the broker")


def unsent(conn, event):
    with transaction(conn) as tx:
        return tx.one("SELECT sent_at IS NULL AS unsent FROM outbox WHERE event_id = %s",
                      (event["event_id"],))["unsent"]


def test_rows_the_broker_did_not_confirm_stay_unsent(prepared_stack):
    """The relay marks its batch sent in the statement that takes it; the marks commit only once the
    broker has confirmed every row, so an unconfirmed batch is published again by the next pass."""
    conn = connect("enterprises")
    event = new_event("test.unconfirmed", {"n": 1})
    with transaction(conn) as tx:
        outbox.add(tx, event, aggregate_id="unconfirmed")
    publisher = UnconfirmedPublisher()
    with pytest.raises(TimeoutError):
        outbox.publish_pending(conn, publisher)
    assert any(event["event_id"].encode() in body for body in publisher.published)
    assert unsent(conn, event)
    relay_everything(conn)
    assert not unsent(conn, event)
    conn.close()


def relay_everything(conn):
    """Publish every unsent row with a publisher the broker confirms."""
    with Connection(os.environ["ONENET_AMQP_URI"]) as broker:
        while outbox.publish_pending(conn, ConfirmingPublisher(broker)):
            pass


def test_a_relay_without_the_turn_publishes_nothing(prepared_stack):
    """While another replica holds the relay turn, a pass answers None and leaves every row unsent."""
    conn, other = connect("enterprises"), connect("enterprises")
    event = new_event("test.turn", {"n": 1})
    with transaction(conn) as tx:
        outbox.add(tx, event, aggregate_id="turn")
    with transaction(other) as held:
        assert held.one("SELECT pg_try_advisory_xact_lock(hashtext('onenet.outbox.' || current_schema())) "
                        "AS mine")["mine"]
        publisher = UnconfirmedPublisher()
        assert outbox.publish_pending(conn, publisher) is None
        assert publisher.published == []
        assert unsent(conn, event)
    relay_everything(conn)
    assert not unsent(conn, event)
    conn.close()
    other.close()


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


def test_sent_rows_are_pruned_after_seven_days_and_unsent_rows_are_kept(prepared_stack):
    conn = connect("enterprises")
    ages = {"sent 7 days 1 minute ago": ("7 days 1 minute", True),
            "sent 6 days 23 hours ago": ("6 days 23 hours", True),
            "unsent for 30 days": ("30 days", False)}
    events = {label: new_event("test.pruning", {"label": label}) for label in ages}
    with transaction(conn) as tx:
        for label, event in events.items():
            outbox.add(tx, event, aggregate_id="pruning")
            age, sent = ages[label]
            tx.execute("UPDATE outbox SET created_at = now() - %s::interval, "
                       "sent_at = CASE WHEN %s THEN now() - %s::interval END WHERE event_id = %s",
                       (age, sent, age, event["event_id"]))

    outbox.prune_sent(conn)

    with transaction(conn) as tx:
        kept = tx.all("SELECT envelope->'payload'->>'label' AS label FROM outbox WHERE aggregate_id = 'pruning'")
        tx.execute("DELETE FROM outbox WHERE aggregate_id = 'pruning'")
    assert sorted(row["label"] for row in kept) == ["sent 6 days 23 hours ago", "unsent for 30 days"]
    conn.close()
