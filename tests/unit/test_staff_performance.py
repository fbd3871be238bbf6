"""绩效考评 rules: a staff member's figures from a request history, one rule per case."""
from datetime import datetime, timedelta, timezone

import pytest

from services.requests.assessment import parse_period
from services.requests.performance import Breach, Case, Rating, Step, staff_figures

COUNTY, CITY, NATION = 11, 7, 1
START = datetime(2025, 3, 3, 2, tzinfo=timezone.utc)   # 10:00 China time
MARCH = parse_period("2025-03")


def at(hours):
    return START + timedelta(hours=hours)


def step(hours, action, actor="scheduler", role="system", frm=COUNTY, to=COUNTY):
    return Step(at(hours), action, actor, role, frm, to)


def by(subject, hours, action, frm=COUNTY, to=COUNTY):
    return step(hours, action, subject, "agency_staff", frm, to)


ASSIGNED = step(0, "assign", frm=None, to=COUNTY)


def figures(*cases, subjects=("wang", "li"), period=MARCH, cutoff=None, agency=COUNTY):
    return staff_figures(cases, agency, list(subjects), period, cutoff)


def picked(found, subject, *keys):
    return tuple(found[subject][key] for key in keys)


@pytest.mark.parametrize("case, expected", [
    # accepted in time
    (Case((ASSIGNED, by("wang", 1, "accept"))), (1, 1, 100.0)),
    # accepted after the deadline (the acceptance records the breach at that moment)
    (Case((ASSIGNED, by("wang", 60, "accept")), breaches=(Breach("accept", COUNTY, at(60)),)), (1, 0, 0.0)),
    # a breach of the agency the request was with before does not make this acceptance late
    (Case((step(0, "assign", frm=None, to=CITY), step(50, "escalate", frm=CITY, to=COUNTY),
           by("wang", 51, "accept")), breaches=(Breach("accept", CITY, at(50)),)), (1, 1, 100.0)),
    # nor does a breach from an earlier stay at this agency (returned to it later)
    (Case((ASSIGNED, step(50, "escalate", frm=COUNTY, to=CITY),
           step(60, "return", "city-staff", "agency_staff", frm=CITY, to=COUNTY), by("wang", 61, "accept")),
          breaches=(Breach("accept", COUNTY, at(50)),)), (1, 1, 100.0)),
])
def test_acceptance_is_on_time_unless_a_deadline_at_the_agency_was_missed_since_it_arrived(case, expected):
    assert picked(figures(case), "wang", "accepted", "accepted_on_time", "accepted_on_time_pct") == expected


def test_a_national_staff_members_late_acceptance_counts_against_them():
    case = Case((step(0, "assign", frm=None, to=NATION), by("wang", 80, "accept", NATION, NATION)),
                breaches=(Breach("accept", NATION, at(72)),))
    assert picked(figures(case, agency=NATION), "wang", "accepted", "accepted_on_time") == (1, 0)


@pytest.mark.parametrize("case, expected", [
    (Case((ASSIGNED, by("wang", 1, "accept"), by("wang", 2, "resolve"))), (1, 1)),
    (Case((ASSIGNED, by("wang", 1, "accept"), by("wang", 300, "resolve")),
          breaches=(Breach("resolve", COUNTY, at(290)),)), (1, 0)),
    # reopened: the resolution clock starts again; a breach before the reopening is the first resolution's
    (Case((ASSIGNED, by("wang", 1, "accept"), by("wang", 300, "resolve"),
           step(310, "reopen", "ent", "enterprise"), by("wang", 311, "resolve")),
          breaches=(Breach("resolve", COUNTY, at(290)),)), (2, 1)),
])
def test_resolution_is_on_time_unless_a_deadline_was_missed_since_the_clock_started(case, expected):
    assert picked(figures(case), "wang", "resolved", "resolved_on_time") == expected


def test_each_rating_belongs_to_the_latest_resolution_before_it():
    case = Case((ASSIGNED, by("wang", 1, "accept"), by("wang", 2, "resolve"),
                 step(4, "reopen", "ent", "enterprise"), by("li", 5, "resolve")),
                ratings=(Rating(at(3), 2, False), Rating(at(6), 5, True)))
    found = figures(case)
    assert picked(found, "wang", "ratings", "average_satisfaction", "not_solved_pct") == (1, 2.0, 100.0)
    assert picked(found, "li", "ratings", "average_satisfaction", "not_solved_pct") == (1, 5.0, 0.0)


@pytest.mark.parametrize("ratings, calls, coverage", [
    ((), (), 0.0),
    ((Rating(at(3), 4, True),), (), 100.0),
    ((), (at(3),), 100.0),
    ((), (at(1),), 0.0),   # a call before the resolution is no revisit of it
])
def test_revisit_coverage_is_the_share_of_resolutions_followed_by_a_rating_or_call(ratings, calls, coverage):
    case = Case((ASSIGNED, by("wang", 1, "accept"), by("wang", 2, "resolve")), ratings=ratings,
                revisit_calls=calls)
    assert figures(case)["wang"]["revisit_coverage_pct"] == coverage


@pytest.mark.parametrize("history, caused", [
    # escalated by hand by the staff member
    ((ASSIGNED, by("wang", 1, "accept"), by("wang", 2, "escalate", COUNTY, CITY)), {"wang": 1, "li": 0}),
    # escalated by hand by a colleague: the colleague's
    ((ASSIGNED, by("wang", 1, "accept"), by("li", 2, "escalate", COUNTY, CITY)), {"wang": 0, "li": 1}),
    # escalated by the scheduler while in the hands of the one who accepted it
    ((ASSIGNED, by("wang", 1, "accept"), step(300, "escalate", frm=COUNTY, to=CITY)), {"wang": 1, "li": 0}),
    # escalated by an administrator likewise
    ((ASSIGNED, by("li", 1, "accept"), step(3, "escalate", "admin", "county_admin", COUNTY, CITY)),
     {"wang": 0, "li": 1}),
    # nobody accepted it: no one person caused the escalation
    ((ASSIGNED, step(60, "escalate", frm=COUNTY, to=CITY)), {"wang": 0, "li": 0}),
    # accepted during an earlier stay, returned and not accepted again: not in anyone's hands
    ((ASSIGNED, by("wang", 1, "accept"), by("wang", 2, "transfer", COUNTY, CITY),
      step(3, "return", "city", "agency_staff", CITY, COUNTY), step(60, "escalate", frm=COUNTY, to=CITY)),
     {"wang": 0, "li": 0}),
])
def test_escalations_caused(history, caused):
    found = figures(Case(history))
    assert {subject: found[subject]["escalations_caused"] for subject in caused} == caused


def test_only_steps_at_the_agency_count():
    case = Case((step(0, "assign", frm=None, to=CITY), by("wang", 1, "accept", CITY, CITY),
                 by("wang", 2, "resolve", CITY, CITY)))
    assert picked(figures(case), "wang", "accepted", "resolved") == (0, 0)
    assert picked(figures(case, agency=CITY), "wang", "accepted", "resolved") == (1, 1)


def test_only_steps_in_the_period_count():
    case = Case((ASSIGNED, by("wang", 1, "accept"), by("wang", 24 * 29, "resolve")))   # resolved 04-01
    assert picked(figures(case), "wang", "accepted", "resolved") == (1, 0)
    assert picked(figures(case, period=parse_period("2025-Q2")), "wang", "accepted", "resolved") == (0, 1)
    assert picked(figures(case, period=parse_period("2025")), "wang", "accepted", "resolved") == (1, 1)


def test_a_cutoff_leaves_out_what_was_recorded_after_it():
    case = Case((ASSIGNED, by("wang", 1, "accept"), by("wang", 5, "resolve")), ratings=(Rating(at(7), 3, True),))
    assert picked(figures(case, cutoff=at(6)), "wang", "accepted", "resolved", "ratings") == (1, 1, 0)
    assert picked(figures(case, cutoff=at(2)), "wang", "accepted", "resolved", "ratings") == (1, 0, 0)


def test_without_acts_the_rates_have_no_value():
    assert figures()["wang"] == {
        "subject": "wang", "accepted": 0, "accepted_on_time": 0, "accepted_on_time_pct": None, "resolved": 0,
        "resolved_on_time": 0, "resolved_on_time_pct": None, "ratings": 0, "average_satisfaction": None,
        "not_solved_pct": None, "revisit_coverage_pct": None, "escalations_caused": 0}
