"""What a lifecycle step changes: stored columns, the history entry, the event.

Pure functions; the service supplies "now", the calendar and, for steps that
hand the request to another agency, the agency and its time limits.
"""
from dataclasses import dataclass

from services.requests import deadlines
from services.requests.schemas import DeadlineMissed, RequestRated, RequestTransitioned

# One instance of each event schema: making one costs about ten dumps.
_REQUEST_TRANSITIONED = RequestTransitioned()
_DEADLINE_MISSED = DeadlineMissed()
_REQUEST_RATED = RequestRated()

SYSTEM_ACTOR = {"role": "system", "scope": None, "subject": "scheduler"}


@dataclass(frozen=True)
class Handover:
    """An agency taking a request over, with the time limits of its service guide."""

    agency: dict
    limits: tuple  # (accept_days, resolve_days)

    @property
    def agency_id(self):
        return int(self.agency["id"])


@dataclass(frozen=True)
class Breach:
    """A missed deadline: which one, whose, and the day it fell on."""

    kind: str  # accept | resolve
    agency_id: int
    due: object

    def key(self, request_id):
        return (str(request_id), self.kind, self.agency_id, self.due)


def assignment(handover, today, calendar):
    """Columns that put a request with ``handover.agency`` and start its deadlines today."""
    accept, resolve = deadlines.deadlines_from(today, handover.limits, calendar)
    agency = handover.agency
    return {
        "agency_id": handover.agency_id,
        "agency_name": agency.get("name"),
        "agency_level": agency.get("level"),
        "agency_region_code": agency.get("region_code"),
        "accept_days": handover.limits[0],
        "resolve_days": handover.limits[1],
        "accept_from": today,
        "resolve_from": today,
        "accept_by": accept.due,
        "resolve_by": resolve.due,
        "deadline_provisional": accept.provisional or resolve.provisional,
    }


def late_breach(request, step, today):
    """The deadline an accept or resolve step misses, if it comes too late."""
    if step.action == "accept" and deadlines.is_overdue(request.get("accept_by"), today):
        return Breach("accept", request["agency_id"], request["accept_by"])
    if step.action == "resolve" and deadlines.is_overdue(request.get("resolve_by"), today):
        return Breach("resolve", request["agency_id"], request["resolve_by"])
    return None


def apply(request, step, now, calendar, handover=None, provider_id=None):
    """The columns ``step`` changes on ``request`` at ``now``."""
    today = deadlines.local_day(now)
    changed = {"state": step.target, "updated_at": now}
    if step.reassigns:
        changed.update(assignment(handover, today, calendar))
        changed["accepted_at"] = None
        if step.action == "escalate":
            changed["escalation_count"] = request.get("escalation_count", 0) + 1
    if step.action == "accept":
        changed["accepted_at"] = now
    if step.action == "resolve":
        changed["resolved_at"] = now
    if step.action == "reopen":
        resolve = deadlines.add_working_days(today, request["resolve_days"], calendar)
        changed.update(reopen_count=request.get("reopen_count", 0) + 1, resolved_at=None,
                       resolve_from=today, resolve_by=resolve.due,
                       deadline_provisional=bool(request.get("deadline_provisional")) or resolve.provisional)
    if step.action == "close":
        changed["closed_at"] = now
    if provider_id is not None and step.action in ("accept", "start", "resolve"):
        changed["provider_id"] = provider_id
    return changed


def history_entry(request, step, actor, now, reason=None, to_agency=None):
    """The append-only history row recording ``step``."""
    return {
        "request_id": request["id"],
        "at": now,
        "action": step.action,
        "from_state": step.source,
        "to_state": step.target,
        "actor": actor.get("subject") or actor.get("scope") or actor["role"],
        "actor_role": actor["role"],
        "reason": reason,
        "from_agency_id": request.get("agency_id"),
        "from_agency_region": request.get("agency_region_code"),
        "to_agency_id": int(to_agency["id"]) if to_agency else request.get("agency_id"),
        "to_agency_region": to_agency.get("region_code") if to_agency else request.get("agency_region_code"),
    }


def transition_event(after, entry):
    """Payload of ``request.<transition>``."""
    return _REQUEST_TRANSITIONED.dump({
        "request_id": str(after["id"]),
        "action": entry["action"],
        "from_state": entry["from_state"],
        "to_state": entry["to_state"],
        "uscc": after["uscc"].strip(),
        "service_area": after["service_area"],
        "region_code": after["region_code"],
        "agency_id": after.get("agency_id"),
        "agency_region_code": after.get("agency_region_code"),
        "from_agency_id": entry["from_agency_id"],
        "from_agency_region_code": entry.get("from_agency_region"),
        "accept_by": after.get("accept_by"),
        "resolve_by": after.get("resolve_by"),
        "reason": entry["reason"],
        "actor_role": entry["actor_role"],
        "at": entry["at"],
        "policy_id": after.get("policy_id"),
        **origin(after),
    })


def origin(request):
    """Where a provincial portal's request came from (both None for any other request)."""
    return {"origin_province": request.get("origin_province"), "origin_ref": request.get("origin_ref")}


def deadline_missed_event(request, breach, detected_at):
    """Payload of ``request.deadline_missed``."""
    return _DEADLINE_MISSED.dump({
        "request_id": str(request["id"]),
        "kind": breach.kind,
        "due": breach.due,
        "agency_id": breach.agency_id,
        "uscc": request["uscc"].strip(),
        "service_area": request["service_area"],
        "region_code": request["region_code"],
        "detected_at": detected_at,
        **origin(request),
    })


def rated_event(request, rating):
    """Payload of ``request.rated``."""
    return _REQUEST_RATED.dump({
        "request_id": str(request["id"]),
        "uscc": request["uscc"].strip(),
        "agency_id": request.get("agency_id"),
        "service_area": request["service_area"],
        "region_code": request["region_code"],
        "score": rating["score"],
        "solved": rating["solved"],
        "comment": rating["comment"],
        "provider_id": request.get("provider_id"),
        **origin(request),
    })


def escalation_reason(breach, agency_name):
    what = "acceptance" if breach.kind == "accept" else "resolution"
    return f"{what} deadline {breach.due.isoformat()} missed by {agency_name or 'agency ' + str(breach.agency_id)}"

