"""The request state machine: who may do what from which state; everything else is a conflict."""
import json

import pytest

from chassis.errors import Conflict, Forbidden, ValidationFailed
from services.requests import lifecycle

USCC = "91320102MA1XB0003L"
ENTERPRISE = {"role": "enterprise", "scope": USCC, "subject": "ent"}
OTHER_ENTERPRISE = {"role": "enterprise", "scope": "91320102MA1XB0004P", "subject": "other"}
STAFF = {"role": "agency_staff", "scope": "7", "subject": "staff"}
OTHER_STAFF = {"role": "agency_staff", "scope": "8", "subject": "staff8"}
ADMIN = {"role": "county_admin", "scope": "320102", "subject": "admin"}
SYSTEM = {"role": "system", "scope": None, "subject": "scheduler"}


def decoded(text):
    """``text`` as it arrives from a JSON body or a database row: equal to the literal, not the same object."""
    return json.loads(json.dumps(text))


def request(state, **extra):
    return {"id": "r1", "uscc": USCC, "agency_id": 7, "state": decoded(state), "reopen_count": 0,
            "last_rating_solved": None, **extra}


@pytest.mark.parametrize("state, action, actor, target", [
    ("submitted", "assign", SYSTEM, "assigned"),
    ("assigned", "accept", STAFF, "accepted"),
    ("accepted", "start", STAFF, "in_progress"),
    ("accepted", "resolve", STAFF, "resolved"),
    ("in_progress", "resolve", STAFF, "resolved"),
    ("submitted", "transfer", ADMIN, "assigned"),
    ("assigned", "transfer", STAFF, "assigned"),
    ("in_progress", "transfer", ADMIN, "assigned"),
    ("accepted", "return", STAFF, "assigned"),
    ("assigned", "escalate", SYSTEM, "assigned"),
    ("in_progress", "escalate", STAFF, "assigned"),
    ("accepted", "escalate", ADMIN, "assigned"),
    ("submitted", "withdraw", ENTERPRISE, "withdrawn"),
    ("assigned", "withdraw", ENTERPRISE, "withdrawn"),
    ("resolved", "revisit", ENTERPRISE, "revisited"),
    ("resolved", "revisit", STAFF, "revisited"),
    ("resolved", "close", ENTERPRISE, "closed"),
    ("revisited", "close", ENTERPRISE, "closed"),
    ("revisited", "close", STAFF, "closed"),
    ("revisited", "close", ADMIN, "closed"),
])
def test_permitted_transitions_lead_to_their_state(state, action, actor, target):
    step = lifecycle.step(request(state), decoded(action), actor, reason="because")
    assert (step.action, step.source, step.target) == (action, state, target)


@pytest.mark.parametrize("action, event_type, reassigns", [
    ("submit", "request.submitted", False), ("assign", "request.assigned", True),
    ("accept", "request.accepted", False), ("start", "request.started", False),
    ("resolve", "request.resolved", False), ("transfer", "request.transferred", True),
    ("return", "request.returned", True), ("escalate", "request.escalated", True),
    ("withdraw", "request.withdrawn", False), ("revisit", "request.revisited", False),
    ("reopen", "request.reopened", False), ("close", "request.closed", False),
])
def test_each_step_announces_its_event_and_only_handovers_reassign(action, event_type, reassigns):
    step = lifecycle.Step(action, "assigned", "assigned")
    assert (step.event_type, step.reassigns) == (event_type, reassigns)


# What each party may do from each state, spelled out from the lifecycle table in
# docs/requests.md (a request that may be reopened: "reopen" is offered).
# Internal actions (assign, revisit) are never offered to a caller.
ALLOWED = {
    "submitted": {"enterprise": ["withdraw"], "agency": [], "admin": ["transfer"], "system": []},
    "assigned": {"enterprise": ["withdraw"], "agency": ["accept", "transfer", "return", "escalate"],
                 "admin": ["transfer", "escalate"], "system": ["escalate"]},
    "accepted": {"enterprise": [], "agency": ["start", "resolve", "transfer", "return", "escalate"],
                 "admin": ["transfer", "escalate"], "system": ["escalate"]},
    "in_progress": {"enterprise": [], "agency": ["resolve", "transfer", "return", "escalate"],
                    "admin": ["transfer", "escalate"], "system": ["escalate"]},
    "resolved": {"enterprise": ["close"], "agency": [], "admin": [], "system": []},
    "revisited": {"enterprise": ["reopen", "close"], "agency": ["close"], "admin": ["close"], "system": []},
    "closed": {"enterprise": [], "agency": [], "admin": [], "system": []},
    "withdrawn": {"enterprise": [], "agency": [], "admin": [], "system": []},
}


@pytest.mark.parametrize("state, party, allowed", [
    (state, party, allowed) for state, by_party in ALLOWED.items() for party, allowed in by_party.items()])
def test_each_party_is_offered_exactly_its_actions_in_each_state(state, party, allowed):
    assert lifecycle.allowed_actions(decoded(state), party) == allowed


def test_the_table_covers_every_state():
    assert tuple(ALLOWED) == lifecycle.STATES


@pytest.mark.parametrize("state, action, actor, allowed", [
    ("accepted", "withdraw", ENTERPRISE, []),                       # too late: accepted
    ("assigned", "accept", ENTERPRISE, ["withdraw"]),               # enterprises do not accept
    ("submitted", "accept", STAFF, []),                             # not assigned yet
    ("assigned", "resolve", STAFF, ["accept", "transfer", "return", "escalate"]),  # accept first
    ("resolved", "resolve", STAFF, []),
    ("resolved", "close", STAFF, []),                               # the agency closes only after a revisit
    ("closed", "reopen", ENTERPRISE, []),                           # archived: read-only
    ("closed", "close", ENTERPRISE, []),
    ("withdrawn", "accept", STAFF, []),
    ("submitted", "transfer", STAFF, []),                           # only an admin dispatches an unrouted request
    ("submitted", "assign", ENTERPRISE, ["withdraw"]),
    ("assigned", "return", ADMIN, ["transfer", "escalate"]),
    ("resolved", "escalate", STAFF, []),
    ("assigned", "assign", SYSTEM, ["escalate"]),
    ("revisited", "start", ADMIN, ["close"]),
    ("in_progress", "start", STAFF, ["resolve", "transfer", "return", "escalate"]),
])
def test_anything_else_is_a_conflict_listing_the_allowed_actions(state, action, actor, allowed):
    with pytest.raises(Conflict) as raised:
        lifecycle.step(request(state), decoded(action), actor, reason="because")
    assert raised.value.details["allowed"] == allowed
    assert raised.value.details["state"] == state
    assert raised.value.details["action"] == [f"{action!r} is not allowed on a {state} request"]


def test_a_step_cannot_be_altered_once_taken():
    import dataclasses
    with pytest.raises(dataclasses.FrozenInstanceError):
        lifecycle.step(request("assigned"), "accept", STAFF).target = "closed"


@pytest.mark.parametrize("spelled", [decoded, str])   # from a JSON body, or the literal itself
@pytest.mark.parametrize("reopen_count, last_solved, allowed", [
    (0, False, True),      # unsatisfied: may reopen once
    (None, False, True),   # a row from before reopening was counted
    (0, True, False),      # said it is solved
    (0, None, False),      # revisit call only, no verdict from the enterprise
    (1, False, False),     # already reopened once
    (2, False, False),
])
def test_reopen_only_once_and_only_when_not_solved(reopen_count, last_solved, allowed, spelled):
    revisited = request("revisited", reopen_count=reopen_count, last_rating_solved=last_solved)
    if reopen_count is None:
        del revisited["reopen_count"]
    if allowed:
        assert lifecycle.step(revisited, spelled("reopen"), ENTERPRISE).target == "in_progress"
        assert lifecycle.allowed_actions("revisited", "enterprise", revisited) == ["reopen", "close"]
    else:
        with pytest.raises(Conflict) as raised:
            lifecycle.step(revisited, spelled("reopen"), ENTERPRISE)
        assert raised.value.details["allowed"] == ["close"]
        assert raised.value.details["action"] == [
            "a request can be reopened once, after a revisit in which the enterprise said the problem is not solved"]
        assert lifecycle.allowed_actions("revisited", "enterprise", revisited) == ["close"]


@pytest.mark.parametrize("action, actor, holder", [
    ("accept", OTHER_STAFF, 7),       # not the holding agency (e.g. the one that escalated it)
    ("accept", {"role": "agency_staff", "scope": "10"}, 7),
    ("accept", {"role": "agency_staff", "scope": "6"}, 7),
    ("accept", STAFF, None),          # nobody holds it yet
    ("withdraw", OTHER_ENTERPRISE, 7),
    ("withdraw", {"role": "enterprise", "scope": "91320102MA1XB0002N"}, 7),
])
def test_acting_outside_ones_scope_is_forbidden(action, actor, holder):
    with pytest.raises(Forbidden) as raised:
        lifecycle.step(request("assigned", agency_id=holder), action, actor)
    assert raised.value.details == {"request_id": "r1"}


@pytest.mark.parametrize("actor", [
    {"role": "enterprise", "scope": USCC.lower()}, STAFF, {"role": "agency_staff", "scope": 7}, ADMIN, SYSTEM])
def test_the_enterprise_the_holding_agency_admins_and_the_scheduler_act_within_scope(actor):
    assert lifecycle.acts_within_scope(actor, request("assigned")) is True


@pytest.mark.parametrize("action", ["transfer", "return", "escalate"])
def test_handing_a_request_on_needs_a_reason(action):
    with pytest.raises(ValidationFailed) as raised:
        lifecycle.step(request("accepted"), action, STAFF, reason="  ")
    assert "reason" in raised.value.details


@pytest.mark.parametrize("actor", [{"role": "province_system", "scope": "32"}, {"scope": "32"}])
def test_unknown_role_may_not_act(actor):
    with pytest.raises(Forbidden) as raised:
        lifecycle.step(request("assigned"), "accept", actor)
    assert str(raised.value) == f"role {actor.get('role')!r} may not act on requests"


def test_every_action_has_an_event_and_every_state_is_reachable():
    assert set(lifecycle.EVENT_OF_ACTION) == set(lifecycle.ACTIONS) | set(lifecycle.INTERNAL_ACTIONS)
    reached = {target for _, _, target, _ in lifecycle.TRANSITIONS} | {"submitted"}
    assert reached == set(lifecycle.STATES)


def test_contract_lists_the_state_machines_states_and_actions():
    from services.requests import schemas
    assert schemas.STATES == lifecycle.STATES
    assert schemas.ACTIONS == lifecycle.ACTIONS
