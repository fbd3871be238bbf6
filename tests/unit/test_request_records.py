"""What steps change, the events they emit, and how a request reads."""
import json
from datetime import date, datetime, timezone

import pytest

from services.requests import assessment, changes, lifecycle, read_model
from services.requests.deadlines import WorkingDayCalendar

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # 10:00 in China
CALENDAR = WorkingDayCalendar()
COUNTY = {"id": 7, "name": "玄武区中小企业服务中心", "level": "county", "region_code": "320102", "parent_id": 3}
CITY = {"id": 3, "name": "南京市中小企业服务中心", "level": "city", "region_code": "320100", "parent_id": 2}


def stored(**extra):
    row = {"id": "0b5a3c9e-0000-4000-8000-000000000001", "uscc": "91320102MA1XB0003L",
           "service_area": "policy", "region_code": "320102", "state": "assigned", "agency_id": 7,
           "agency_name": COUNTY["name"], "agency_region_code": "320102", "accept_by": date(2026, 11, 30),
           "resolve_by": date(2026, 12, 10), "accept_days": 2, "resolve_days": 10, "reopen_count": 0,
           "escalation_count": 0, "provider_id": None, "deadline_provisional": False}
    row.update(extra)
    return row


def decoded(text):
    """``text`` as it arrives in a JSON body: equal to the literal, but not the same object."""
    return json.loads(json.dumps(text))


def step_of(action, source, target):
    return lifecycle.Step(decoded(action), source, target)


TODAY = date(2026, 11, 26)   # NOW's day in China, a Thursday
CITY_HANDOVER = {"agency_id": 3, "agency_name": "南京市中小企业服务中心", "agency_level": "city",
                 "agency_region_code": "320100", "accept_days": 2, "resolve_days": 10,
                 "accept_from": TODAY, "resolve_from": TODAY, "accept_by": date(2026, 11, 30),
                 "resolve_by": date(2026, 12, 10), "deadline_provisional": False}


@pytest.mark.parametrize("action, source, target, extra, provider_id, changed", [
    ("accept", "assigned", "accepted", {}, 12, {"accepted_at": NOW, "provider_id": 12}),
    ("accept", "assigned", "accepted", {}, None, {"accepted_at": NOW}),
    ("start", "accepted", "in_progress", {}, 12, {"provider_id": 12}),
    ("resolve", "in_progress", "resolved", {}, 12, {"resolved_at": NOW, "provider_id": 12}),
    ("resolve", "accepted", "resolved", {}, None, {"resolved_at": NOW}),
    ("close", "revisited", "closed", {}, 12, {"closed_at": NOW}),
    ("withdraw", "assigned", "withdrawn", {}, 12, {}),
    ("revisit", "resolved", "revisited", {}, None, {}),
    ("escalate", "accepted", "assigned", {"escalation_count": 1}, None,
     {**CITY_HANDOVER, "accepted_at": None, "escalation_count": 2}),
    ("escalate", "assigned", "assigned", {"escalation_count": None}, None,
     {**CITY_HANDOVER, "accepted_at": None, "escalation_count": 1}),
    ("transfer", "in_progress", "assigned", {"escalation_count": 1}, 12, {**CITY_HANDOVER, "accepted_at": None}),
    ("return", "accepted", "assigned", {}, None, {**CITY_HANDOVER, "accepted_at": None}),
    ("assign", "submitted", "assigned", {}, None, {**CITY_HANDOVER, "accepted_at": None}),
    ("reopen", "revisited", "in_progress", {"reopen_count": 0}, None,
     {"reopen_count": 1, "resolved_at": None, "resolve_from": TODAY, "resolve_by": date(2026, 12, 10),
      "deadline_provisional": False}),
    ("reopen", "revisited", "in_progress", {"reopen_count": None, "deadline_provisional": True}, None,
     {"reopen_count": 1, "resolved_at": None, "resolve_from": TODAY, "resolve_by": date(2026, 12, 10),
      "deadline_provisional": True}),
    ("reopen", "revisited", "in_progress", {"reopen_count": 1, "resolve_days": 3}, None,
     {"reopen_count": 2, "resolved_at": None, "resolve_from": TODAY, "resolve_by": date(2026, 12, 1),
      "deadline_provisional": False}),
])
def test_each_step_changes_exactly_its_columns(action, source, target, extra, provider_id, changed):
    """``None`` in ``extra`` removes the column (a row from before it existed)."""
    request = stored(state=source, **{key: value for key, value in extra.items() if value is not None})
    for key in [key for key, value in extra.items() if value is None]:
        del request[key]
    handover = changes.Handover(CITY, (2, 10))
    assert changes.apply(request, step_of(action, source, target), NOW, CALENDAR, handover, provider_id) == {
        "state": target, "updated_at": NOW, **changed}


def test_a_handover_whose_resolution_reaches_a_year_without_holidays_is_provisional():
    changed = changes.assignment(changes.Handover(CITY, (2, 20)), date(2026, 12, 10), CALENDAR)
    assert (changed["accept_by"], changed["resolve_by"]) == (date(2026, 12, 14), date(2027, 1, 8))   # 1-1 off
    assert changed["deadline_provisional"] is True
    assert (changed["accept_days"], changed["resolve_days"]) == (2, 20)


def test_escalation_hands_over_with_new_deadlines_counted_from_today():
    request = stored()
    step = lifecycle.step(request, "escalate", changes.SYSTEM_ACTOR, reason="deadline missed")
    changed = changes.apply(request, step, NOW, CALENDAR, changes.Handover(CITY, (2, 10)))
    assert changed["agency_id"] == 3 and changed["state"] == "assigned"
    assert (changed["accept_from"], changed["accept_by"], changed["resolve_by"]) == (
        date(2026, 11, 26), date(2026, 11, 30), date(2026, 12, 10))
    assert changed["escalation_count"] == 1 and changed["accepted_at"] is None


def test_reopen_restarts_the_resolution_clock_with_the_agencys_limit():
    request = stored(state="revisited", last_rating_solved=False)
    step = lifecycle.step(request, "reopen", {"role": "enterprise", "scope": request["uscc"]})
    changed = changes.apply(request, step, NOW, CALENDAR)
    assert changed["state"] == "in_progress" and changed["reopen_count"] == 1
    assert (changed["resolve_from"], changed["resolve_by"]) == (date(2026, 11, 26), date(2026, 12, 10))


@pytest.mark.parametrize("state, action, accept_by, resolve_by, breach", [
    ("assigned", "accept", date(2026, 11, 25), date(2026, 12, 10), ("accept", date(2026, 11, 25))),
    ("assigned", "accept", date(2026, 11, 26), date(2026, 12, 10), None),
    ("in_progress", "resolve", date(2026, 11, 20), date(2026, 11, 25), ("resolve", date(2026, 11, 25))),
    ("in_progress", "resolve", date(2026, 11, 20), date(2026, 11, 26), None),   # acceptance was late, not this
    ("accepted", "start", date(2026, 11, 1), date(2026, 11, 1), None),          # only accept/resolve can be late
    ("assigned", "escalate", date(2026, 11, 1), date(2026, 11, 1), None),
    ("revisited", "reopen", date(2026, 11, 1), date(2026, 11, 1), None),
])
def test_accepting_or_resolving_after_the_deadline_is_a_breach(state, action, accept_by, resolve_by, breach):
    request = stored(state=state, accept_by=accept_by, resolve_by=resolve_by)
    found = changes.late_breach(request, step_of(action, state, "x"), TODAY)
    assert found == (changes.Breach(breach[0], 7, breach[1]) if breach else None)
    if breach:
        assert found.key("r-1") == ("r-1", breach[0], 7, breach[1])


def test_rated_event_has_exactly_the_agreed_fields():
    payload = changes.rated_event(stored(provider_id=12, uscc="91320102MA1XB0003L "),
                                  {"score": 2, "solved": False, "comment": "没解决"})
    assert payload == {"request_id": "0b5a3c9e-0000-4000-8000-000000000001", "uscc": "91320102MA1XB0003L",
                       "agency_id": 7, "service_area": "policy", "region_code": "320102", "score": 2,
                       "solved": False, "comment": "没解决", "provider_id": 12,
                       "origin_province": None, "origin_ref": None}


def test_history_entry_records_who_moved_it_where():
    request = stored()
    step = lifecycle.Step("escalate", "assigned", "assigned")
    entry = changes.history_entry(request, step, changes.SYSTEM_ACTOR, NOW, "late", CITY)
    assert entry == {"request_id": "0b5a3c9e-0000-4000-8000-000000000001", "at": NOW, "action": "escalate",
                     "from_state": "assigned", "to_state": "assigned", "actor": "scheduler",
                     "actor_role": "system", "reason": "late", "from_agency_id": 7, "from_agency_region": "320102",
                     "to_agency_id": 3, "to_agency_region": "320100"}


@pytest.mark.parametrize("actor, named", [
    ({"role": "agency_staff", "scope": "7", "subject": "staff-li"}, "staff-li"),
    ({"role": "agency_staff", "scope": "7"}, "7"),
    ({"role": "national_admin", "scope": None}, "national_admin"),
])
def test_history_names_the_actor_by_subject_else_scope_else_role(actor, named):
    entry = changes.history_entry(stored(), lifecycle.Step("accept", "assigned", "accepted"), actor, NOW)
    assert (entry["actor"], entry["actor_role"], entry["reason"]) == (named, actor["role"], None)
    assert (entry["from_agency_id"], entry["to_agency_id"], entry["to_agency_region"]) == (7, 7, "320102")


def test_transition_event_has_exactly_the_agreed_fields():
    after = stored(state="assigned", agency_id=3, uscc="91320102MA1XB0003L ", accept_by=None)
    entry = changes.history_entry(stored(), lifecycle.Step("escalate", "assigned", "assigned"),
                                  changes.SYSTEM_ACTOR, NOW, "late", CITY)
    assert changes.transition_event(after, entry) == {
        "request_id": "0b5a3c9e-0000-4000-8000-000000000001", "action": "escalate", "from_state": "assigned",
        "to_state": "assigned", "uscc": "91320102MA1XB0003L", "service_area": "policy",
        "region_code": "320102", "agency_id": 3, "agency_region_code": "320102", "from_agency_id": 7,
        "from_agency_region_code": "320102", "accept_by": None,
        "resolve_by": "2026-12-10", "reason": "late", "actor_role": "system", "at": "2026-11-26T02:00:00+00:00",
        "policy_id": None, "origin_province": None, "origin_ref": None}


def test_a_provincial_portals_request_carries_its_origin_in_every_event():
    portal = stored(origin_province="32", origin_ref="JS-2026-7")
    entry = changes.history_entry(portal, lifecycle.Step("accept", "assigned", "accepted"),
                                  {"role": "agency_staff", "scope": "7"}, NOW)
    origin = {"origin_province": "32", "origin_ref": "JS-2026-7"}
    assert origin.items() <= changes.transition_event(portal, entry).items()
    assert origin.items() <= changes.deadline_missed_event(portal, changes.Breach("accept", 7, date(2026, 11, 25)),
                                                           NOW).items()
    assert origin.items() <= changes.rated_event(portal, {"score": 5, "solved": True, "comment": ""}).items()


def test_deadline_missed_event_has_exactly_the_agreed_fields():
    breach = changes.Breach("accept", 7, date(2026, 11, 25))
    assert changes.deadline_missed_event(stored(uscc="91320102MA1XB0003L "), breach, NOW) == {
        "request_id": "0b5a3c9e-0000-4000-8000-000000000001", "kind": "accept", "due": "2026-11-25",
        "agency_id": 7, "uscc": "91320102MA1XB0003L", "service_area": "policy", "region_code": "320102",
        "detected_at": "2026-11-26T02:00:00+00:00", "origin_province": None, "origin_ref": None}


@pytest.mark.parametrize("kind, agency_name, reason", [
    ("accept", "玄武区中小企业服务中心", "acceptance deadline 2026-11-25 missed by 玄武区中小企业服务中心"),
    ("resolve", None, "resolution deadline 2026-11-25 missed by agency 7"),
])
def test_escalation_reason_names_the_missed_deadline_and_who_missed_it(kind, agency_name, reason):
    breach = changes.Breach(decoded(kind), 7, date(2026, 11, 25))
    assert changes.escalation_reason(breach, agency_name) == reason


@pytest.mark.parametrize("state, expected, overdue_on", [
    ("assigned", date(2026, 12, 10), date(2026, 12, 1)),    # awaiting acceptance: accept_by passed
    ("in_progress", date(2026, 12, 10), date(2026, 12, 11)),
    ("resolved", None, None),
    ("closed", None, None),
])
def test_every_read_carries_the_expected_answer_time(state, expected, overdue_on):
    request = read_model.present(stored(state=state), date(2026, 11, 26))
    assert request["expected_answer_by"] == expected
    assert request["overdue"] is False
    if overdue_on:
        assert read_model.present(stored(state=state), overdue_on)["overdue"] is True


@pytest.mark.parametrize("text, start, end", [
    ("2026", date(2026, 1, 1), date(2027, 1, 1)),
    ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1)),
    ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
    ("2026-02", date(2026, 2, 1), date(2026, 3, 1)),
])
def test_assessment_period_runs_from_its_first_day_to_the_next_periods(text, start, end):
    period = assessment.parse_period(text)
    assert (period.start, period.end) == (start, end)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26", "2026-1", ""])
def test_malformed_periods_are_refused(text):
    with pytest.raises(ValueError):
        assessment.parse_period(text)


def test_assessment_figures_and_null_percentages_without_denominator():
    period = assessment.parse_period("2026-11")
    figures = assessment.figures({"received": 4, "accepted": 3, "accepted_on_time": 2, "acceptance_due": 4,
                                  "resolved": 2, "resolved_on_time": 2, "resolution_due": 2,
                                  "escalations": 1, "escalations_received": 0, "resolved_revisited": 1,
                                  "ratings": 2, "score_sum": 7, "not_solved": 1}, period, "320102")
    assert figures["accepted_on_time_pct"] == 50.0
    assert figures["resolved_on_time_pct"] == 100.0
    assert figures["average_satisfaction"] == 3.5
    assert figures["revisit_coverage_pct"] == 50.0
    assert figures["resolved_not_solved_pct"] == 50.0
    empty = assessment.figures(None, period, "320100")
    assert empty["received"] == 0 and empty["accepted_on_time_pct"] is None
    assert empty["level"] == "city" and empty["period_end"] == date(2026, 11, 30)


def test_handovers_and_breaches_are_values_that_cannot_be_altered():
    import dataclasses
    for thing, field in ((changes.Handover(CITY, (2, 10)), "limits"),
                         (changes.Breach("accept", 7, date(2026, 11, 25)), "due")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(thing, field, None)
