"""The lifecycle of a request (诉求办理流程) as a pure state machine.

A request is *submitted* by an enterprise, *assigned* to an agency by routing,
*accepted* (受理) and worked on (*in_progress*) by that agency, *resolved*
(办结), *revisited* (回访: the enterprise's rating or the agency's revisit
call) and *closed* (归档, archived read-only).  Before acceptance the
enterprise may *withdraw* it.  The holding agency may *transfer* it to another
agency (转办), *return* it (退回) to the agency it came from, or *escalate* it
(提级) to its parent agency; the scheduler escalates it when a deadline is
missed.  An enterprise not satisfied at revisit may *reopen* it once.

:data:`TRANSITIONS` is the whole table: which party may take which action
from which state, and the state it leads to.  Anything else is refused with
the actions the caller could take instead.
"""
from dataclasses import dataclass

from chassis.errors import Conflict, Forbidden, ValidationFailed
from reference import credit_codes
from services.requests.schemas import (  # noqa: F401  (states, actions, parties and their table are the contract's)
    ACCEPTED, ACTIONS, ADMIN, AGENCY, ASSIGNED, EVENT_OF_ACTION, CLOSED, ENTERPRISE, FINAL_STATES, IN_PROGRESS,
    OPEN_STATES, RESOLVED, REVISITED, STATES, SUBMITTED, SYSTEM, TRANSITIONS, WITHDRAWN)

AWAITING_ACCEPTANCE = frozenset({SUBMITTED, ASSIGNED})
BEING_HANDLED = frozenset({ACCEPTED, IN_PROGRESS})
# An agency's open work: what it holds and has still to accept or resolve.
HELD = frozenset({ASSIGNED, ACCEPTED, IN_PROGRESS})

# Parties: who may act, from the caller's role.
PARTY_OF_ROLE = {
    "enterprise": ENTERPRISE,
    "agency_staff": AGENCY,
    "national_admin": ADMIN,
    "province_admin": ADMIN,
    "city_admin": ADMIN,
    "county_admin": ADMIN,
    "system": SYSTEM,
}

# Actions the service takes itself (routing, ratings and revisit calls).
INTERNAL_ACTIONS = ("submit", "assign", "revisit")

# Actions that hand the request to another agency (with new deadlines).
REASSIGNING = frozenset({"assign", "transfer", "return", "escalate"})
NEEDS_REASON = frozenset({"transfer", "return", "escalate"})
MAX_REOPENS = 1

_TABLE = {(action, source, party): target
          for action, source, target, parties in TRANSITIONS for party in parties}


@dataclass(frozen=True)
class Step:
    """One permitted transition: the action, the states it joins, the event it emits."""

    action: str
    source: str
    target: str

    @property
    def event_type(self):
        return EVENT_OF_ACTION[self.action]

    @property
    def reassigns(self):
        return self.action in REASSIGNING


def party_of(actor):
    """The party (enterprise, agency, admin, system) an actor acts as."""
    try:
        return PARTY_OF_ROLE[actor["role"]]
    except KeyError:
        raise Forbidden(f"role {actor.get('role')!r} may not act on requests") from None


def allowed_actions(state, party, request=None):
    """The actions ``party`` may take from ``state`` (caller-visible ones, in table order)."""
    found = []
    for action, source, _, parties in TRANSITIONS:
        if source == state and party in parties and action not in found and action in ACTIONS:
            if action == "reopen" and request is not None and not may_reopen(request):
                continue
            found.append(action)
    return found


def may_reopen(request):
    """An unsatisfied enterprise may reopen a revisited request once (一次重新办理)."""
    return (request.get("reopen_count", 0) < MAX_REOPENS
            and request.get("last_rating_solved") is False)


def acts_within_scope(actor, request):
    """Whether the actor may act on this request at all.

    An enterprise acts on its own requests; agency staff on requests their
    agency holds (not those it escalated or passed on, which they may still
    read); administrators on what they see, their region's requests
    (:mod:`services.requests.visibility` is checked first); the scheduler everywhere.
    """
    party = party_of(actor)
    if party == ENTERPRISE:
        return credit_codes.compact(actor.get("scope")) == request["uscc"]
    if party == AGENCY:
        return request.get("agency_id") is not None and str(actor.get("scope")) == str(request["agency_id"])
    return True


def step(request, action, actor, reason=None):
    """The :class:`Step` ``actor`` takes by doing ``action`` on ``request``.

    Raises ``Forbidden`` when the request is outside the actor's scope,
    ``Conflict`` (listing what the actor may do instead) when the action is
    not allowed from the request's state for the actor's party, and
    ``ValidationFailed`` when a required reason is missing.
    """
    party = party_of(actor)
    if not acts_within_scope(actor, request):
        raise Forbidden(f"request {request['id']} is outside your scope",
                        {"request_id": str(request["id"])})
    state = request["state"]
    target = _TABLE.get((action, state, party))
    if target is None or (action == "reopen" and not may_reopen(request)):
        allowed = allowed_actions(state, party, request)
        why = f"{action!r} is not allowed on a {state} request"
        if action == "reopen" and target is not None:
            why = ("a request can be reopened once, after a revisit in which the enterprise "
                   "said the problem is not solved")
        raise Conflict(why, {"action": [why], "state": state, "allowed": allowed})
    if action in NEEDS_REASON and not (reason or "").strip():
        raise ValidationFailed(f"{action} needs a reason", {"reason": ["required for " + action]})
    return Step(action, state, target)
