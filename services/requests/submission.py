"""Submission (诉求提交): a new request is filed, routed and assigned in one transaction.

Routing applies the agencies' rule (``route_among`` in their contract,
:mod:`services.agencies.contract.routing`) to the requests service's copy of the
hierarchy, so no other service is asked.
"""
from dataclasses import dataclass

import structlog

from services.agencies.contract.routing import route_among
from services.requests import changes, lifecycle, ports as shared
from services.requests.read_model import ARREARS_DATES

log = structlog.get_logger(__name__)


def routing_reason(explanation):
    """The routing explanation as the assignment's reason in the history ("name: reason; ...")."""
    parts = [f"{step.get('name', step.get('agency_id'))}: {step.get('reason')}" if isinstance(step, dict)
             else str(step) for step in explanation or ()]
    return "; ".join(parts)[:1000] or None


def route(tx, ports, region_code, service_area, park):
    """``(Handover, explanation)`` for a new request, or None when no agency takes it."""
    candidates = ports.agencies.route_candidates(tx, region_code, park, service_area)
    agency, explanation = route_among(candidates, service_area, region_code, park)
    if agency is None:
        log.warning("request_unrouted", region_code=region_code, service_area=service_area)
        return None
    return shared.handover_to_candidate(agency, service_area), routing_reason(explanation)


def arrears_claim(claim):
    """An arrears claim as stored (JSON: amounts and dates as text)."""
    if not claim:
        return None
    stored = {**claim, "amount": str(claim["amount"]), "agreed_days": claim.get("agreed_days")}
    for key in ARREARS_DATES:
        if stored.get(key) is not None:
            stored[key] = stored[key].isoformat()
    return stored


@dataclass(frozen=True)
class Submitted:
    """A filed request as stored (``row``), its history as written, and the moment it was filed."""

    row: dict
    history: list
    now: object


def submit(tx, clock, ports, uscc, data, actor, origin=(None, None)):
    """File a validated submission (``data`` with its service area), record it and assign it where
    routing says: :class:`Submitted`. ``origin``: the province and reference of a provincial portal's
    request. Emits ``request.submitted`` and, when an agency takes it, ``request.assigned``.

    Routing comes first, so that the request is stored once, as it ends (assigned or still
    submitted), with both history entries in one statement and both events in another; the
    ``request.submitted`` event and entry describe it as it was filed."""
    now = clock.now(tx)
    filed = {
        "uscc": uscc, "kind": "arrears" if data.get("arrears") else "general",
        "service_area": data["service_area"], "title": data["title"],
        "description": data["description"], "region_code": data["region_code"],
        "park": data.get("park"), "arrears": arrears_claim(data.get("arrears")),
        "policy_id": data.get("policy_id"),
        "state": lifecycle.SUBMITTED, "submitted_at": now, "updated_at": now,
        "origin_province": origin[0], "origin_ref": origin[1]}
    routed = route(tx, ports, data["region_code"], data["service_area"], data.get("park"))
    assigned = {}
    if routed is not None:
        handover, explanation = routed
        assign = lifecycle.step(filed, "assign", changes.SYSTEM_ACTOR)
        assigned = changes.apply(filed, assign, now, ports.requests.load_calendar(tx), handover)
        shared.count_provisional(assigned)
    row = ports.requests.insert_request(tx, {**filed, **assigned})
    as_filed = {**row, **{column: filed.get(column) for column in assigned}}
    entries = [changes.history_entry(as_filed, lifecycle.Step("submit", None, lifecycle.SUBMITTED), actor, now)]
    afters = [as_filed]
    if routed is not None:
        entries.append(changes.history_entry(as_filed, assign, changes.SYSTEM_ACTOR, now, explanation,
                                             handover.agency))
        afters.append(row)
    history = shared.record_all(tx, ports, list(zip(afters, entries)))
    return Submitted(row, history, now)
