"""The idempotent-consumer inbox: one row per ``(consumer, event_id)``.

A handler calls ``self.inbox.first_delivery(tx, event)`` inside the transaction
that applies the event's effect; a redelivered event finds its row and the
handler returns without a second effect.
"""
from nameko.extensions import DependencyProvider


def first_delivery(tx, consumer, event):
    """True the first time ``consumer`` sees ``event`` (recorded in ``tx``)."""
    row = tx.one(
        "INSERT INTO inbox (consumer, event_id, event_type) VALUES (%s, %s, %s) "
        "ON CONFLICT DO NOTHING RETURNING event_id",
        (consumer, event["event_id"], event["type"]))
    return row is not None


def seen(tx, consumer, event):
    """Whether ``consumer`` recorded ``event`` already (a read; :func:`first_delivery` decides)."""
    return tx.one("SELECT 1 AS seen FROM inbox WHERE consumer = %s AND event_id = %s",
                  (consumer, event["event_id"])) is not None


def first_deliveries(tx, consumer, events):
    """The ids of ``events`` that ``consumer`` sees for the first time (all recorded in ``tx``): a batch."""
    if not events:
        return set()
    rows = tx.all("INSERT INTO inbox (consumer, event_id, event_type) "
                  "SELECT %s, * FROM unnest(%s::uuid[], %s::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
                  (consumer, [event["event_id"] for event in events], [event["type"] for event in events]))
    return {str(row["event_id"]) for row in rows}


class InboxGate:
    def __init__(self, consumer):
        self.consumer = consumer

    def first_delivery(self, tx, event):
        return first_delivery(tx, self.consumer, event)

    def seen(self, tx, event):
        return seen(tx, self.consumer, event)

    def first_deliveries(self, tx, events):
        return first_deliveries(tx, self.consumer, events)

    def apply_once(self, tx, readable, effect):
        """``effect(tx, payload)`` for each ``(event, payload)`` of a batch that is delivered for the
        first time, in order (as :func:`chassis.events.batch_payloads` reads them)."""
        first = self.first_deliveries(tx, [event for event, _ in readable])
        for event, payload in readable:
            if event["event_id"] in first:
                effect(tx, payload)


class Inbox(DependencyProvider):
    """``self.inbox`` on a service; the consumer name is the handler's queue."""

    def get_dependency(self, worker_ctx):
        entrypoint = worker_ctx.entrypoint
        consumer = getattr(entrypoint, "queue_name", None) or \
            f"{self.container.service_name}.{entrypoint.method_name}"
        return InboxGate(consumer)
