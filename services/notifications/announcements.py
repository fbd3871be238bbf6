"""Notices from what happens to requests, providers and registrations for activities, and revisit
reminders.

Each use case takes the transaction it writes in; the service wraps it in the
inbox check of the event it handles, so a redelivered event writes nothing twice
(and the notice's own source key stops a second copy even without it).
"""
from datetime import datetime

from services.notifications import domain, store
from services.notifications.figures import NOTICES_WRITTEN

# A request transition that ends the wait for a revisit (回访) of its last resolution.
SETTLES_REVISIT = ("revisit", "reopen", "close", "withdraw")


def _write(tx, notices, source_key=None):
    written = store.add_notices(tx, notices, source_key)
    for kind, count in written["kinds"].items():
        NOTICES_WRITTEN.labels(kind).inc(count)
    return written


def request_event(tx, event):
    """``request.*``: tell the enterprise, the holding agency and the parent agency what they
    need to know; keep the revisit watch; note requests raised about a policy."""
    return request_events(tx, [event])


def request_events(tx, events):
    """:func:`request_event` for several events, in their order: the agencies they name read once
    and every notice written in one statement, each under its event's source key."""
    agencies = store.agencies(tx, [event["payload"].get("agency_id") for event in events])
    notices = []
    for event in events:
        source_key = store.event_source_key(event)
        notices += [{**notice, "source_key": source_key} for notice in _request_notices(tx, event, agencies)]
    return _write(tx, notices)


def _request_notices(tx, event, agencies):
    """The notices one ``request.*`` event makes, after its own records (revisit watch, policy)."""
    payload, event_type = event["payload"], event["type"]
    if event_type == "request.deadline_missed":
        notice = domain.deadline_missed_notice(payload, agencies)
        return [] if notice is None else [notice]
    action = payload.get("action")
    at = datetime.fromisoformat(str(payload["at"]))
    if event_type == "request.submitted" and payload.get("policy_id"):
        store.note_policy_request(tx, payload["policy_id"], payload["uscc"], at)
    if action == "resolve":
        store.watch_resolution(tx, payload["request_id"], payload.get("agency_id"), payload["uscc"], at)
    elif action in SETTLES_REVISIT:
        store.settle_resolution(tx, payload["request_id"], at)
    return domain.request_notices(payload, agencies)


def provider_event(tx, event):
    """``provider.admitted`` / ``evaluated`` / ``exited``: the provider hears of it."""
    return _write(tx, [domain.provider_notice(event["type"], event["payload"])], store.event_source_key(event))


def activity_events(tx, events):
    """``activity.promoted`` / ``activity.rescheduled``: the enterprises whose registration it
    concerns hear of it; every notice of the batch in one statement, each under its event's
    source key."""
    notices = []
    for event in events:
        source_key = store.event_source_key(event)
        made = ([domain.promotion_notice(event["payload"])] if event["type"] == "activity.promoted"
                else domain.reschedule_notices(event["payload"]))
        notices += [{**notice, "source_key": source_key} for notice in made]
    return _write(tx, notices)


def remind_revisits(tx, resolved_before):
    """Remind holding agencies of resolutions older than ``resolved_before`` not yet revisited.
    Returns how many reminders were written."""
    written = 0
    for watch in store.claim_revisits_due(tx, resolved_before):
        result = _write(tx, [domain.revisit_notice(watch)],
                        f"revisit:{watch['request_id']}:{watch['resolved_at'].isoformat()}")
        written += result["notices"]
    return written
