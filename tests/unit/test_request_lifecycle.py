"""The request state machine: who may do what from which state; everything else is a conflict."""
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


def request(state, **extra):
    return {"id": "r1", "uscc": USCC, "agency_id": 7, "state": state, "reopen_count": 0,
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
    step = lifecycle.step(request(state), action, actor, reason="because")
    assert (step.source, step.target) == (state, target)
    assert step.event_type == lifecycle.EVENT_OF_ACTION[action]


@pytest.mark.parametrize("state, action, actor", [
    ("accepted", "withdraw", ENTERPRISE),          # too late: accepted
    ("assigned", "accept", ENTERPRISE),            # enterprises do not accept
    ("submitted", "accept", STAFF),                # not assigned yet
    ("assigned", "resolve", STAFF),                # must accept first
    ("resolved", "resolve", STAFF),
    ("resolved", "close", STAFF),                  # the agency closes only after a revisit
    ("closed", "reopen", ENTERPRISE),              # archived: read-only
    ("closed", "close", ENTERPRISE),
    ("withdrawn", "accept", STAFF),
    ("submitted", "transfer", STAFF),              # only an admin dispatches an unrouted request
    ("assigned", "return", ADMIN),
    ("resolved", "escalate", STAFF),
    ("assigned", "assign", SYSTEM),
])
def test_anything_else_is_a_conflict_listing_the_allowed_actions(state, action, actor):
    with pytest.raises(Conflict) as raised:
        lifecycle.step(request(state), action, actor, reason="because")
    party = lifecycle.party_of(actor)
    assert raised.value.details["allowed"] == lifecycle.allowed_actions(state, party, request(state))
    assert raised.value.details["state"] == state


def test_conflict_names_what_an_agency_may_do_with_an_assigned_request():
    with pytest.raises(Conflict) as raised:
        lifecycle.step(request("assigned"), "resolve", STAFF)
    assert raised.value.details["allowed"] == ["accept", "transfer", "return", "escalate"]


@pytest.mark.parametrize("reopen_count, last_solved, allowed", [
    (0, False, True),   # unsatisfied: may reopen once
    (0, True, False),   # said it is solved
    (0, None, False),   # revisit call only, no verdict from the enterprise
    (1, False, False),  # already reopened once
])
def test_reopen_only_once_and_only_when_not_solved(reopen_count, last_solved, allowed):
    revisited = request("revisited", reopen_count=reopen_count, last_rating_solved=last_solved)
    if allowed:
        assert lifecycle.step(revisited, "reopen", ENTERPRISE).target == "in_progress"
        assert "reopen" in lifecycle.allowed_actions("revisited", lifecycle.ENTERPRISE, revisited)
    else:
        with pytest.raises(Conflict):
            lifecycle.step(revisited, "reopen", ENTERPRISE)
        assert "reopen" not in lifecycle.allowed_actions("revisited", lifecycle.ENTERPRISE, revisited)


@pytest.mark.parametrize("action, actor", [
    ("accept", OTHER_STAFF),       # not the holding agency (e.g. the one that escalated it)
    ("withdraw", OTHER_ENTERPRISE),
])
def test_acting_outside_ones_scope_is_forbidden(action, actor):
    with pytest.raises(Forbidden):
        lifecycle.step(request("assigned"), action, actor)


@pytest.mark.parametrize("action", ["transfer", "return", "escalate"])
def test_handing_a_request_on_needs_a_reason(action):
    with pytest.raises(ValidationFailed) as raised:
        lifecycle.step(request("accepted"), action, STAFF, reason="  ")
    assert "reason" in raised.value.details


def test_unknown_role_may_not_act():
    with pytest.raises(Forbidden):
        lifecycle.step(request("assigned"), "accept", {"role": "province_system", "scope": "32"})


def test_every_action_has_an_event_and_every_state_is_reachable():
    assert set(lifecycle.EVENT_OF_ACTION) == set(lifecycle.ACTIONS) | set(lifecycle.INTERNAL_ACTIONS)
    reached = {target for _, _, target, _ in lifecycle.TRANSITIONS} | {"submitted"}
    assert reached == set(lifecycle.STATES)


def test_contract_lists_the_state_machines_states_and_actions():
    from services.requests import schemas
    assert schemas.STATES == lifecycle.STATES
    assert schemas.ACTIONS == lifecycle.ACTIONS
