"""What steps change, the events they emit, and how a request reads."""
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


@pytest.mark.parametrize("state, action, field, due, today, late", [
    ("assigned", "accept", "accept_by", date(2026, 11, 25), NOW, True),
    ("assigned", "accept", "accept_by", date(2026, 11, 26), NOW, False),
    ("in_progress", "resolve", "resolve_by", date(2026, 11, 25), NOW, True),
    ("accepted", "start", "resolve_by", date(2026, 11, 1), NOW, False),   # only accept/resolve can be late
])
def test_accepting_or_resolving_after_the_deadline_is_a_breach(state, action, field, due, today, late):
    request = stored(state=state, **{field: due})
    step = lifecycle.Step(action, state, "x")
    breach = changes.late_breach(request, step, today.date())
    assert (breach is not None) is late
    if late:
        assert breach == changes.Breach(action, 7, due)


def test_rated_event_has_exactly_the_agreed_fields():
    payload = changes.rated_event(stored(provider_id=12), {"score": 2, "solved": False, "comment": "没解决"})
    assert payload == {"request_id": "0b5a3c9e-0000-4000-8000-000000000001", "uscc": "91320102MA1XB0003L",
                       "agency_id": 7, "service_area": "policy", "region_code": "320102", "score": 2,
                       "solved": False, "comment": "没解决", "provider_id": 12}


def test_history_entry_records_who_moved_it_where():
    request = stored()
    step = lifecycle.Step("escalate", "assigned", "assigned")
    entry = changes.history_entry(request, step, changes.SYSTEM_ACTOR, NOW, "late", CITY)
    assert (entry["from_agency_id"], entry["to_agency_id"], entry["to_agency_region"]) == (7, 3, "320100")
    assert (entry["actor"], entry["actor_role"], entry["reason"]) == ("scheduler", "system", "late")


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
