"""The push: one published policy (政策直享) or service activity (活动邀请) becomes a notice
for every enterprise that meets its criteria.

The enterprises service judges the criteria (its ``Criteria`` contract, set-based
SQL) and hands over the matching enterprises a page at a time in USCC order;
each page becomes notices and their deliveries in one set-based statement and
one transaction, which also moves the push's keyset position. The next page is
fetched while the current one is written. A redelivered event resumes from the
stored position; a withdrawal or expiry stops the push at the next page.

Use cases here take their ports as arguments (``session``: ``transaction()``;
``fetch_page(criteria, after, limit)``; ``today``), so they run with fakes too.
"""
import time
from dataclasses import dataclass
from datetime import datetime

import eventlet
import structlog

from services.notifications import domain, store
from services.notifications.figures import NOTICES_WRITTEN, PUSH_DURATION

log = structlog.get_logger(__name__)


class PushMovedOn(Exception):
    """Another replica advanced the push, or it was stopped, while this page was written."""


@dataclass(frozen=True)
class Pushed:
    """What a push carries to every enterprise meeting ``criteria``: a notice of ``kind`` about
    ``(about_type, about_id)`` titled ``title``."""

    about_type: str
    about_id: int
    kind: str
    title: str
    criteria: dict


def pushed_policy(tx, policy_id):
    """The policy as its push carries it; None unless it is published."""
    policy = store.policy(tx, policy_id)
    if policy is None or policy["state"] != "published":
        return None
    return Pushed("policy", policy_id, "policy_match", domain.policy_title(policy), policy["criteria"])


def pushed_activity(tx, activity_id):
    """The activity's invitation as its push carries it."""
    activity = store.activity(tx, activity_id)
    if activity is None:
        return None
    return Pushed("activity", activity_id, "activity_invitation", domain.activity_title(activity),
                  activity["criteria"])


def record_publication(tx, payload, published_at):
    """Record a published policy and open its push: ``(policy state, push row)``. A policy
    withdrawn or expired before its publication was handled pushes nothing."""
    state = store.upsert_published_policy(tx, payload, domain.policy_message(payload), published_at)
    if state != "published":
        return state, None
    return state, store.start_push(tx, "policy", payload["policy_id"])


def record_invitation(tx, payload, published_at):
    """Record a published activity and open the push of its invitation."""
    store.record_activity(tx, payload, domain.activity_message(payload), published_at)
    return store.start_push(tx, "activity", payload["activity_id"])


def push_policy(session, fetch_page, policy_id, page_size):
    """Push (or resume pushing) a policy: ``{"pages", "notified", "state"}`` of this run."""
    return push(session, fetch_page, pushed_policy, "policy", policy_id, page_size)


def invite(session, fetch_page, activity_id, page_size):
    """Push (or resume pushing) an activity's invitation to the enterprises it targets."""
    return push(session, fetch_page, pushed_activity, "activity", activity_id, page_size)


def push(session, fetch_page, pushed_of, about_type, about_id, page_size):
    """Push (or resume pushing) one subject: ``pushed_of(tx, about_id)`` gives its
    :class:`Pushed` (None: nothing to push). ``{"pages", "notified", "state"}`` of this run."""
    started = time.monotonic()
    with session.transaction() as tx:
        pushed = pushed_of(tx, about_id)
        state = store.push_state(tx, about_type, about_id)
    if pushed is None or state is None or state["state"] != "pushing":
        return {"pages": 0, "notified": 0, "state": state["state"] if state else None}
    after, pages, notified = state["after_uscc"], 0, 0
    pending = eventlet.spawn(fetch_page, pushed.criteria, after, page_size)
    try:
        while True:
            page = pending.wait()
            next_after = page["next_after"]
            pending = eventlet.spawn(fetch_page, pushed.criteria, next_after, page_size) if next_after else None
            try:
                with session.transaction() as tx:
                    written = store.add_pushed_notices(tx, pushed, page["usccs"], page["region_codes"])
                    if not store.advance_push(tx, about_type, about_id, after, next_after, len(page["usccs"]),
                                              written["notices"]):
                        raise PushMovedOn()
                    if next_after is None:
                        store.finish_push(tx, about_type, about_id)
                    if written["deliveries"]:
                        tx.after_commit(session.deliveries_waiting)
            except PushMovedOn:
                log.info("push_moved_on", about_type=about_type, about_id=about_id, after=after)
                return {"pages": pages, "notified": notified, "state": "moved_on"}
            pages, notified, after = pages + 1, notified + written["notices"], next_after
            NOTICES_WRITTEN.labels(pushed.kind).inc(written["notices"])
            if after is None:
                break
    finally:
        if pending is not None:
            pending.kill()
    PUSH_DURATION.observe(time.monotonic() - started)
    log.info("pushed", about_type=about_type, about_id=about_id, pages=pages, notified=notified,
             seconds=round(time.monotonic() - started, 3))
    return {"pages": pages, "notified": notified, "state": "done"}


def close_policy(tx, payload, state):
    """``policy.withdrawn`` / ``policy.expired``: stop pushing, say so on unread notices."""
    reason = payload.get("reason")
    return store.close_policy(tx, payload, state, reason, domain.no_longer_applies(state, reason))


def match_enterprises(session, matches, changed, first_seen, today, also=None):
    """Enterprises registered or changed (``changed``: a batch of ``enterprise.*`` events, each
    payload with its ``uscc`` and ``region_code``): each hears of the policies in force it newly
    meets. One list of the policies in force, one judgement and one writing transaction for the
    batch; when no event has a policy to judge, one transaction in all.

    ``matches(usccs, {policy id: criteria})`` is the enterprises service's judgement,
    ``{uscc: [policy ids met]}`` (an enterprise it does not know left out); ``first_seen(tx,
    events)`` records the batch in the inbox and gives the events not handled before;
    ``also(tx, those events)`` writes what else they bring, in the same transaction (a welcome).
    An event is told only the policies whose region could cover it; a policy an enterprise was
    already told of (same source key) is not told again. Returns ``(notices of policies written,
    the events whose enterprise the judgement did not know)``: those fail alone, nothing recorded
    for them.
    """
    met = {}
    with session.transaction() as tx:
        in_force = store.policies_in_force(tx, today)
        candidates = {id(event): domain.candidate_policies(in_force, event["payload"]["region_code"])
                      for event in changed}
        judged = [event for event in changed if candidates[id(event)]]
        if not judged:
            written = _tell(tx, session, changed, {}, candidates, {}, first_seen, also)
    if judged:
        asked = {key: criteria for each in candidates.values() for key, criteria in each.items()}
        met = matches(sorted({event["payload"]["uscc"] for event in judged}), asked)
        titles = {str(policy["id"]): domain.policy_title(policy) for policy in in_force}
        known = [event for event in changed if event["payload"]["uscc"] in met or not candidates[id(event)]]
        with session.transaction() as tx:
            written = _tell(tx, session, known, met, candidates, titles, first_seen, also)
    if written:
        NOTICES_WRITTEN.labels("policy_match").inc(written)
    return written, [event for event in judged if event["payload"]["uscc"] not in met]


def _tell(tx, session, events, met, candidates, titles, first_seen, also):
    """Record ``events`` in the inbox and, for those not handled before, write what ``also``
    writes and a notice of each policy ``met`` among the event's ``candidates``, one statement a
    policy: how many notices of policies were written."""
    fresh = first_seen(tx, events)
    if also is not None:
        also(tx, fresh)
    told = {}   # policy id -> {uscc: region_code of its first event}
    for event in fresh:
        payload = event["payload"]
        for policy_id in set(met.get(payload["uscc"], ())) & set(candidates[id(event)]):
            told.setdefault(policy_id, {}).setdefault(payload["uscc"], payload["region_code"])
    written = 0
    for policy_id in sorted(told, key=int):
        pushed = Pushed("policy", int(policy_id), "policy_match", titles[policy_id], {})
        result = store.add_pushed_notices(tx, pushed, told[policy_id], told[policy_id].values())
        written += result["notices"]
        if result["deliveries"]:
            tx.after_commit(session.deliveries_waiting)
    return written


def published_at(event):
    return datetime.fromisoformat(event["occurred_at"])
