"""Escalation (超时提级): the sweep that hands overdue requests up the hierarchy, and routes
the requests that found no agency when submitted.

Safe in several replicas at once: a breach is recorded under its own key
(request, kind, agency, due day) with ``ON CONFLICT DO NOTHING``, so only the
replica whose insert wins escalates, and the escalation itself only applies if
the request is still where the sweep found it. Parents and their time limits
come from the requests service's copy of the hierarchy.
"""
import structlog

from services.requests import changes, deadlines, lifecycle, ports as shared, submission

log = structlog.get_logger(__name__)

SWEEP_BATCH = 500
ROUTING_RETRY_BATCH = 20


def route_waiting(tx, clock, ports, limit=ROUTING_RETRY_BATCH):
    """Route again requests that found no agency when submitted (those no other replica holds):
    how many found one."""
    routed = 0
    for row in ports.requests.unrouted_requests(tx, limit, lock=True):
        found = submission.route(tx, ports, row["region_code"], row["service_area"], row["park"])
        if found is not None:
            shared.assign(tx, ports, row, found, clock.now(tx))
            routed += 1
    return routed


def escalate_overdue(tx, clock, ports, limit=SWEEP_BATCH):
    """Record each new breach once and hand its request to the parent agency (at national level
    the breach is only recorded): ``(missed, escalated)``."""
    now = clock.now(tx)
    overdue = ports.requests.overdue_requests(tx, deadlines.local_day(now), limit)
    targets, handovers = escalation_targets(tx, ports, overdue)
    overdue = [row for row in overdue if row["agency_id"] in targets]
    if not overdue:
        return 0, 0
    today, calendar = deadlines.local_day(now), ports.requests.load_calendar(tx)
    by_id = {str(row["id"]): row for row in overdue}
    breaches = {key: changes.Breach(row["breach_kind"], row["agency_id"], row["breach_due"])
                for key, row in by_id.items()}
    new = shared.record_breaches(tx, ports, by_id, [
        breaches[key].key(key) + (now, (targets[row["agency_id"]] or {}).get("id"))
        for key, row in by_id.items()], now)
    plans = []
    for key in new:
        row, parent = by_id[key], targets[by_id[key]["agency_id"]]
        if parent is None:
            continue
        columns = changes.assignment(handovers[(parent["id"], row["service_area"])], today, calendar)
        shared.count_provisional(columns)
        plans.append({**columns, "id": row["id"], "state": row["state"], "agency_id": row["agency_id"],
                      "new_agency_id": columns["agency_id"], "updated_at": now})
    escalated = ports.requests.escalate_all(tx, plans)
    entries = []
    for after in escalated:
        before = by_id[str(after["id"])]
        step = lifecycle.Step("escalate", after["previous_state"], lifecycle.ASSIGNED)
        reason = changes.escalation_reason(breaches[str(after["id"])], before["agency_name"])
        entry = changes.history_entry(before, step, changes.SYSTEM_ACTOR, now, reason, targets[before["agency_id"]])
        entries.append(entry)
        ports.outbox.add(tx, step.event_type, changes.transition_event(after, entry), aggregate_id=after["id"])
    if entries:
        ports.requests.add_history(tx, entries)
    return len(new), len(escalated)


def escalation_targets(tx, ports, overdue):
    """The parent of each agency with overdue requests (None at national level), and the
    parents' handovers per service area. Agencies not known to the copy yet are left out
    (their requests wait for the next sweep)."""
    holders = sorted({row["agency_id"] for row in overdue})
    targets = ports.agencies.parents(tx, holders)
    for agency_id in holders:
        if agency_id not in targets:
            log.warning("escalation_target_unavailable", agency_id=agency_id)
    parents = {parent["id"]: parent for parent in targets.values() if parent is not None}
    pairs = sorted({(targets[row["agency_id"]]["id"], row["service_area"]) for row in overdue
                    if targets.get(row["agency_id"]) is not None})
    guides = ports.agencies.time_limits(tx, pairs)
    handovers = {(parent_id, area): changes.Handover(parents[parent_id],
                                                     deadlines.time_limits(guides.get((parent_id, area)), area))
                 for parent_id, area in pairs}
    return targets, handovers
