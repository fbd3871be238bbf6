"""Transitions (受理, 办结, 转办, 退回, 提级 ...): a caller moves a request on, in one transaction.

The agency a transfer, return or escalation hands the request to, and its
guide's time limits, come from the requests service's copy of the hierarchy; the
provider an acceptance, start or resolution names, from its copy of the
providers' admissions.
"""
from chassis.errors import Conflict, NotFound, ValidationFailed
from services.requests import changes, deadlines, lifecycle, ports as shared, recipients
from services.requests.gauges import ESCALATIONS

# The steps that may name the provider doing the work.
PROVIDER_STEPS = ("accept", "start", "resolve")


def take_step(tx, clock, ports, current, body, actor, reason, provider_id=None):
    """Take the step ``body`` names (``action``, ``target_agency_id``) on the request ``current``
    (locked in ``tx``), record it and its events: ``(after, now)``.

    ``Conflict`` when the state or the hierarchy does not allow the step, ``Forbidden`` outside
    the actor's scope, ``ValidationFailed`` for a transfer the rules refuse. Emits
    ``request.<transition>``, and ``request.deadline_missed`` when an acceptance or resolution
    comes after its deadline.
    """
    step = lifecycle.step(current, body["action"], actor, reason)
    if provider_id is not None and step.action in PROVIDER_STEPS:   # a refused step is told first
        check_provider(tx, ports, provider_id, current)
    handover = None
    if step.reassigns:
        previous = (ports.requests.previous_holder(tx, current["id"], current["agency_id"])
                    if step.action == "return" else None)
        handover = handover_for(tx, ports, current, step, body, previous)
    now = clock.now(tx)
    breach = changes.late_breach(current, step, deadlines.local_day(now))
    changed = changes.apply(current, step, now, ports.requests.load_calendar(tx), handover, provider_id)
    shared.count_provisional(changed)
    after = ports.requests.update_request(tx, current["id"], changed)
    shared.record(tx, ports, after, changes.history_entry(current, step, actor, now, reason,
                                                          handover.agency if handover else None))
    if breach is not None:
        shared.record_breaches(tx, ports, {str(current["id"]): current},
                               [breach.key(current["id"]) + (now, None)], now)
    if step.action == "escalate":
        ESCALATIONS.labels("manual").inc()
    return after, now


def handover_for(tx, ports, row, step, body, previous):
    """The agency a transfer, return (to ``previous``, else the parent) or escalation hands the
    request to, with its time limits."""
    if step.action == "transfer":
        target_id = body["target_agency_id"]
        if target_id == row["agency_id"]:
            raise ValidationFailed("the request is already with that agency",
                                   {"target_agency_id": ["already holds the request"]})
        agency = ports.agencies.agency(tx, target_id)
        if agency is None:
            raise ValidationFailed(f"no agency with id {target_id}", {"target_agency_id": ["no such agency"]})
        holder = known_agency(tx, ports, row["agency_id"])
        recipients.check_transfer(agency, holder, parent_of(tx, ports, row["agency_id"]), row["service_area"])
    elif step.action == "return" and previous is not None:
        agency = known_agency(tx, ports, previous)
    else:
        agency = parent_of(tx, ports, row["agency_id"])
        if agency is None:
            raise Conflict("the national agency has no parent agency to hand the request to",
                           {"action": [f"{step.action} is not possible at national level"]})
    return shared.handover(tx, ports, agency, row["service_area"])


def check_provider(tx, ports, provider_id, row):
    """The provider named on the request must be admitted where the request is (422 if not)."""
    provider = ports.agencies.provider(tx, provider_id)
    if provider is None:
        raise ValidationFailed(f"no provider with id {provider_id}", {"provider_id": ["no such provider"]})
    recipients.check_provider(provider, row)


def known_agency(tx, ports, agency_id):
    agency = ports.agencies.agency(tx, agency_id)
    if agency is None:
        raise NotFound(f"no agency with id {agency_id}", {"agency_id": agency_id})
    return agency


def parent_of(tx, ports, agency_id):
    """The agency's parent, None at national level; ``NotFound`` while either is not known."""
    parents = ports.agencies.parents(tx, [agency_id])
    if agency_id not in parents:
        raise NotFound(f"no agency with id {agency_id}", {"agency_id": agency_id})
    return parents[agency_id]
