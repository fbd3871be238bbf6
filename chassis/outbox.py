"""The transactional outbox and its relay.

A service announces a change by adding the event to its ``outbox`` table in the
same transaction as the change (``self.outbox.add(tx, ...)``). The relay, a
greenthread in every replica, marks the oldest unsent rows sent, publishes them in
id order with publisher confirms and commits the marks once the broker has
confirmed them, one statement a batch. Replicas take turns through a transaction-level
advisory lock, so rows go out one batch at a time in commit order (hence in
order per aggregate). A process killed between commit and publish leaves the row
unsent; whichever replica runs next publishes it. A process killed between
publish and marking republishes it; consumers' inboxes absorb the duplicate.

A service hands its contract's event schemas to its outbox
(``Outbox(schemas.EVENTS)``, event type → payload schema); the outbox refuses a
type the contract does not list and a payload with a field its schema does not
declare, so what leaves a service is what the event catalogue says.
"""
import json
import time

import eventlet
import structlog
from kombu import Connection

from chassis import envelope, idempotency
from chassis.background import WokenLoop
from chassis.confirms import ConfirmingPublisher
from chassis.db import Prepared, SchemaPool, transaction
from chassis.events import EVENTS_EXCHANGE
from chassis.logs import CORRELATION_KEY, new_correlation_id
from chassis.metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST, OUTBOX_PUBLISHED

log = structlog.get_logger(__name__)

BATCH_SIZE = 500
SENT_RETENTION = "7 days"
# The least time between the starts of two relay passes, in seconds (``OUTBOX_PASS_INTERVAL``). A pass
# costs PostgreSQL about as much for one row as for ten (the relay turn, the marks' statement, the
# commit) and the process a confirm round trip to the broker: woken after every commit, a busy
# service ran a pass per write, its marks on one or two rows. An event waits this long at most.
PASS_INTERVAL = 0.05


def add(tx, event, aggregate_id):
    """Write ``event`` (an envelope) to the outbox inside transaction ``tx``."""
    tx.execute(
        "INSERT INTO outbox (event_id, event_type, aggregate_id, envelope) "
        "VALUES (%s, %s, %s, %s)",
        (event["event_id"], event["type"], str(aggregate_id),
         json.dumps(event, ensure_ascii=False, default=str)))


def _columns(events_with_ids):
    """The outbox columns of ``(envelope, aggregate_id)`` pairs, one array each (psycopg2 quotes
    arrays in C, row tuples in Python)."""
    return ([event["event_id"] for event, _ in events_with_ids],
            [event["type"] for event, _ in events_with_ids],
            [str(aggregate_id) for _, aggregate_id in events_with_ids],
            [json.dumps(event, ensure_ascii=False, default=str) for event, _ in events_with_ids])


ADD_MANY = Prepared("INSERT INTO outbox (event_id, event_type, aggregate_id, envelope) "
                    "SELECT * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::jsonb[])")


def add_many(tx, events_with_ids):
    """Write many ``(envelope, aggregate_id)`` pairs to the outbox in one statement."""
    events_with_ids = list(events_with_ids)
    if not events_with_ids:
        return
    tx.execute(ADD_MANY, _columns(events_with_ids))


def rows_part(events_with_ids, when=None):
    """``(sql, params)``: the outbox rows of ``(envelope, aggregate_id)`` pairs as a data-modifying
    CTE, ``outbox_rows AS (INSERT INTO outbox …)``, for a statement of the caller's own, so that a
    change and its events are written in one statement. Its parameters are named ``outbox_*``
    (the statement's others must be named too); ``when``, a SQL condition over the statement's
    other CTEs, writes the rows only where it holds (that the change was written)."""
    ids, types, aggregates, envelopes = _columns(events_with_ids)
    return ("outbox_rows AS (INSERT INTO outbox (event_id, event_type, aggregate_id, envelope) "
            "SELECT * FROM unnest(%(outbox_ids)s::uuid[], %(outbox_types)s::text[], %(outbox_aggregates)s::text[], "
            "%(outbox_envelopes)s::jsonb[])" + (f" WHERE {when}" if when else "") + ")",
            {"outbox_ids": ids, "outbox_types": types, "outbox_aggregates": aggregates, "outbox_envelopes": envelopes})


# One statement a relay pass: take the relay turn (a transaction-level advisory lock, so replicas
# take turns), and, holding it, mark the oldest unsent rows sent and return them to publish. The
# marks commit only after the broker has confirmed every row: a pass that fails, or a process that
# dies, before the commit leaves them unsent. ``sent_at IS NULL`` is checked again on the row
# itself, so that a row another replica marked after this statement's snapshot is left to it.
# One row with ``mine`` false answers a pass that is not this replica's turn; one with ``mine``
# true and no ``id``, a turn with nothing to send.
TAKE_TURN_AND_MARK = Prepared(
    "WITH turn AS MATERIALIZED ("
    "  SELECT pg_try_advisory_xact_lock(hashtext('onenet.outbox.' || current_schema())) AS mine), "
    "marked AS ("
    "  UPDATE outbox SET sent_at = now() WHERE sent_at IS NULL AND id IN ("
    "    SELECT id FROM outbox WHERE sent_at IS NULL AND (SELECT mine FROM turn) ORDER BY id LIMIT %s) "
    "  RETURNING id, event_type, event_id::text AS event_id, envelope::text AS body, "
    "    envelope->>'correlation_id' AS correlation_id, envelope->>'source' AS source) "
    "SELECT turn.mine, marked.* FROM turn LEFT JOIN marked ON true ORDER BY marked.id")


def publish_pending(conn, publisher, batch_size=BATCH_SIZE, exchange=EVENTS_EXCHANGE):
    """Publish one batch of unsent rows in id order, wait for the broker's confirms, and commit
    their marks (:data:`TAKE_TURN_AND_MARK`).

    ``publisher`` is a :class:`chassis.confirms.ConfirmingPublisher`. Returns how
    many rows went out, or ``None`` when another replica holds the relay turn.
    """
    with transaction(conn) as tx:
        # The envelope as PostgreSQL writes it out (JSON text), not read into Python and written
        # again: a relay publishing tens of thousands of events spends its time there otherwise.
        rows = tx.all(TAKE_TURN_AND_MARK, (batch_size,))
        if not rows[0]["mine"]:
            return None
        rows = [row for row in rows if row["id"] is not None]
        for row in rows:
            publisher.publish(
                row["body"].encode("utf-8"),
                exchange=exchange, routing_key=row["event_type"],
                content_type="application/json", content_encoding="utf-8",
                delivery_mode=2, message_id=row["event_id"],
                headers={f"nameko.{CORRELATION_KEY}": row["correlation_id"],
                         "x-onenet-source": row["source"]})
        publisher.wait()
        return len(rows)


def backlog(conn):
    """``(unsent rows, age in seconds of the oldest)`` of this schema's outbox."""
    with transaction(conn) as tx:
        row = tx.one("SELECT count(*) AS n, "
                     "coalesce(extract(epoch FROM now() - min(created_at)), 0) AS age "
                     "FROM outbox WHERE sent_at IS NULL")
    return row["n"], float(row["age"])


def prune_sent(conn):
    with transaction(conn) as tx:
        tx.execute(f"DELETE FROM outbox WHERE sent_at < now() - interval '{SENT_RETENTION}'")


class UndeclaredEvent(Exception):
    """An event its service's contract does not declare: an unknown type, or a field its schema lacks."""


def declared_fields(schema_cls):
    """The payload fields a schema declares, by the names they are sent under."""
    return frozenset(field.data_key or name for name, field in schema_cls._declared_fields.items())


class EventContract:
    """A service's published event types and their payload schemas, as its contract declares them."""

    def __init__(self, events):
        self.events = dict(events)
        self.fields = {event_type: declared_fields(schema_cls) for event_type, schema_cls in self.events.items()}

    def check(self, event_type, payloads):
        fields = self.fields.get(event_type)
        if fields is None:
            raise UndeclaredEvent(f"{event_type} is not an event of this service's contract (schemas.EVENTS)")
        for payload in payloads:
            extra = payload.keys() - fields
            if extra:
                raise UndeclaredEvent(f"{event_type} payload has fields {self.events[event_type].__name__} "
                                      f"does not declare: {', '.join(sorted(extra))}")


class OutboxWriter:
    """What a worker sees as ``self.outbox``."""

    def __init__(self, source, correlation_id, wake, contract=None):
        self.source, self.correlation_id, self._wake = source, correlation_id, wake
        self.contract = contract

    def add(self, tx, event_type, payload, aggregate_id, version=1, correlation_id=None):
        """Record ``event_type`` with ``payload`` in ``tx``; it is published after commit.

        ``correlation_id``: the one it carries when not the worker's (a batch of
        events, each with its own)."""
        if self.contract is not None:
            self.contract.check(event_type, (payload,))
        event = envelope.make(event_type, payload, source=self.source,
                              correlation_id=correlation_id or self.correlation_id or new_correlation_id(),
                              version=version)
        add(tx, event, aggregate_id)
        tx.after_commit(self._wake)
        return event

    def part(self, tx, events, when=None):
        """Several events, each ``(event_type, payload, aggregate_id)``, as a CTE of a statement the
        caller runs in ``tx`` (:func:`rows_part`: ``(sql, params)``), written with its change in that
        one statement; they are published after commit, in this order."""
        return rows_part(self._made(tx, events), when)

    def _made(self, tx, events):
        """The envelopes of ``events`` with their aggregate ids, checked against the contract; the
        relay is woken once ``tx`` commits."""
        events = list(events)
        if self.contract is not None:
            for event_type, payload, _ in events:
                self.contract.check(event_type, (payload,))
        correlation_id = self.correlation_id or new_correlation_id()
        made = [(envelope.make(event_type, payload, source=self.source, correlation_id=correlation_id), aggregate_id)
                for event_type, payload, aggregate_id in events]
        if made:
            tx.after_commit(self._wake)
        return made

    def add_many(self, tx, event_type, items, version=1):
        """Record one ``event_type`` event per ``(payload, aggregate_id)`` of ``items`` (bulk paths);
        an item may add its own correlation id, ``(payload, aggregate_id, correlation_id)``."""
        correlation_id = self.correlation_id or new_correlation_id()
        items = list(items)
        if self.contract is not None:
            self.contract.check(event_type, (item[0] for item in items))
        events = [(envelope.make(event_type, item[0], source=self.source,
                                 correlation_id=(item[2] if len(item) > 2 else None) or correlation_id,
                                 version=version), item[1])
                  for item in items]
        if events:
            add_many(tx, events)
            tx.after_commit(self._wake)
        return [event for event, _ in events]


class Outbox(WokenLoop):
    """``self.outbox`` on a service, and the relay that publishes what it records."""

    schema_pool = SchemaPool()
    loop_name = "outbox_relay"

    def __init__(self, events=None, **kwargs):
        super().__init__(**kwargs)
        self.contract = EventContract(events) if events is not None else None

    def setup(self):
        super().setup()
        config = self.container.config
        self.amqp_uri = config["AMQP_URI"]
        self.poll_interval = float(config.get("OUTBOX_POLL_INTERVAL", 0.2))
        self.pass_interval = float(config.get("OUTBOX_PASS_INTERVAL", PASS_INTERVAL))
        # A replica may run without a relay (others publish its rows); default on.
        self.relay_enabled = str(config.get("OUTBOX_RELAY", "on")).lower() not in ("off", "false", "0")

    def enabled(self):
        return self.relay_enabled

    def get_dependency(self, worker_ctx):
        return OutboxWriter(self.container.service_name,
                            worker_ctx.data.get(CORRELATION_KEY), self.wake, self.contract)

    def run_loop(self):
        """The relay: publish what is unsent, then wait for a wake-up or the poll interval."""
        service = self.container.service_name
        pool = self.schema_pool.pool
        broker, publisher, ticks = None, None, 0
        while self.running:
            published, started = 0, time.monotonic()
            try:
                if publisher is None:
                    broker = Connection(self.amqp_uri)
                    publisher = ConfirmingPublisher(broker)
                with pool.connection() as conn:
                    published = publish_pending(conn, publisher)
                    if published:
                        OUTBOX_PUBLISHED.labels(service).inc(published)
                    # A turn that sent less than a full batch left nothing unsent behind it; only
                    # another replica's turn, or a full batch, needs the backlog counted.
                    count, age = backlog(conn) if published is None or published >= BATCH_SIZE else (0, 0.0)
                    OUTBOX_BACKLOG.labels(service).set(count)
                    OUTBOX_OLDEST.labels(service).set(age)
                    ticks += 1
                    if ticks % 3000 == 0:
                        prune_sent(conn)
                        idempotency.prune(conn)
            except Exception:
                log.exception("outbox_relay_failed", service=service)
                if broker is not None:
                    broker.release()
                broker, publisher = None, None
                eventlet.sleep(1)
                continue
            if published is not None and published >= BATCH_SIZE:
                continue  # a full batch may mean more is waiting
            # Rows committed during the pass woke the relay already: the wait returns at once.
            self.wait_for_wake(self.poll_interval)
            # Passes are spaced (PASS_INTERVAL), so that commits in quick succession go out together.
            eventlet.sleep(max(0.0, self.pass_interval - (time.monotonic() - started)))
        if broker is not None:
            broker.release()
