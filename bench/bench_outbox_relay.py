"""Outbox relay throughput on the real broker and database.

Writes N events to an outbox in a scratch schema, then times the relay
(``chassis.outbox.publish_pending``: publish with confirms, mark sent) until the
backlog is empty. Same-run baselines: publishing the same N bodies straight from
Python with confirms (the relay's floor) and without confirms (the broker's).

    python bench/bench_outbox_relay.py [N]
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import chassis  # noqa: E402,F401
import json  # noqa: E402

import psycopg2  # noqa: E402
import psycopg2.extras  # noqa: E402
from kombu import Connection, Exchange, Queue  # noqa: E402

from chassis import envelope, migrate, outbox  # noqa: E402
from chassis.confirms import ConfirmingPublisher  # noqa: E402
from chassis.db import transaction  # noqa: E402

DATABASE_URL = os.environ.get("ONENET_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/onenet_bench")
AMQP_URI = os.environ.get("ONENET_BENCH_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
SCHEMA = "bench_outbox"
EXCHANGE = Exchange("onenet.bench.events", type="topic", durable=False, auto_delete=True)


def fresh_schema():
    migrate.ensure_database(DATABASE_URL)
    conn = psycopg2.connect(DATABASE_URL)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    conn.close()
    migrate.apply(DATABASE_URL, SCHEMA, os.path.join(os.path.dirname(__file__), "no-migrations"))
    return psycopg2.connect(DATABASE_URL, options=f"-c search_path={SCHEMA}")


def fill(conn, n):
    events = [(envelope.make("bench.happened", {"n": i, "uscc": f"{i:018d}"}, source="bench",
                             correlation_id="bench"), f"agg-{i % 1000}") for i in range(n)]
    with transaction(conn) as tx:
        outbox.add_many(tx, events)
    return events


def timed(label, n, action):
    started = time.perf_counter()
    action()
    elapsed = time.perf_counter() - started
    print(f"{label:<52} {n:>7} events  {elapsed:7.2f} s  {n / elapsed:9.0f} events/s")
    return elapsed


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    conn = fresh_schema()
    events = fill(conn, n)
    bodies = [json.dumps(event).encode() for event, _ in events]
    with Connection(AMQP_URI, transport_options={"confirm_publish": True}) as confirmed, \
            Connection(AMQP_URI) as plain:
        sink = Queue("onenet.bench.sink", exchange=EXCHANGE, routing_key="#", auto_delete=True,
                     queue_arguments={"x-max-length": 1})
        sink(confirmed.default_channel).declare()
        producer = confirmed.Producer()

        def relay():
            publisher = ConfirmingPublisher(plain)
            while outbox.publish_pending(conn, publisher, exchange=EXCHANGE):
                pass

        print(f"outbox relay benchmark, {n} events")
        timed("relay: batch publish, confirms, mark sent", n, relay)
        assert outbox.backlog(conn)[0] == 0

        def direct(producer_):
            for body in bodies:
                producer_.publish(body, exchange=EXCHANGE, routing_key="bench.happened",
                                  content_type="application/json", delivery_mode=2)

        timed("baseline: kombu publish, confirm per message", n, lambda: direct(producer))
        timed("baseline: kombu publish without confirms", n, lambda: direct(plain.Producer()))
    conn.close()


if __name__ == "__main__":
    main()
