"""Provider library rules: admission criteria, scoring, periods, dynamic exit, ratings."""
from datetime import date

import pytest

from chassis.errors import Conflict, ValidationFailed
from services.agencies import providers

TODAY = date(2026, 5, 20)


def provider(**overrides):
    base = {"established_on": date(2020, 1, 1), "served_enterprises": 50,
            "qualifications": [{"name": "资质", "number": "1", "issuer": "某局", "valid_until": None}]}
    return {**base, **overrides}


@pytest.mark.parametrize("overrides, failing", [
    ({}, set()),
    ({"established_on": date(2024, 5, 21)}, {"established_on"}),
    ({"established_on": date(2024, 5, 20)}, set()),
    ({"served_enterprises": 9}, {"served_enterprises"}),
    ({"qualifications": []}, {"qualifications"}),
    ({"qualifications": [{"name": "过期", "number": "2", "issuer": "某局", "valid_until": "2026-05-19"}]},
     {"qualifications"}),
])
def test_admission_names_each_criterion_the_provider_fails(overrides, failing):
    assert set(providers.admission_problems(provider(**overrides), TODAY)) == failing


@pytest.mark.parametrize("current, decision, result", [
    (None, "apply", "applied"),
    ("exited", "apply", "applied"),
    ("rejected", "apply", "applied"),
    ("applied", "admit", "admitted"),
    ("applied", "reject", "rejected"),
    ("admitted", "exit", "exited"),
    ("admitted", "apply", Conflict),
    ("applied", "apply", Conflict),
    ("exited", "admit", Conflict),
    (None, "exit", Conflict),
])
def test_membership_decision_applies_only_from_its_states(current, decision, result):
    if result is Conflict:
        with pytest.raises(Conflict):
            providers.next_membership_state(current, decision, 1, "training")
    else:
        assert providers.next_membership_state(current, decision, 1, "training") == result


@pytest.mark.parametrize("scores, satisfaction, total", [
    ((80, 80, 80), 80, 80.0),
    ((100, 0, 0), None, 33.3),
    ((60, 60, 60), 0, 45.0),
])
def test_weighted_score_rescales_without_ratings(scores, satisfaction, total):
    assert providers.score(*scores, satisfaction) == total


@pytest.mark.parametrize("average, satisfaction", [(None, None), (1, 0.0), (5, 100.0), (3.5, 62.5)])
def test_satisfaction_maps_ratings_to_100(average, satisfaction):
    assert providers.satisfaction(average) == satisfaction


@pytest.mark.parametrize("day, period, previous, bounds", [
    (date(2026, 1, 1), "2026-Q1", "2025-Q4", (date(2026, 1, 1), date(2026, 4, 1))),
    (date(2026, 12, 31), "2026-Q4", "2026-Q3", (date(2026, 10, 1), date(2027, 1, 1))),
])
def test_a_day_falls_in_its_quarter_with_its_bounds_and_predecessor(day, period, previous, bounds):
    assert providers.period_of(day) == period
    assert providers.previous_period(period) == previous
    assert providers.period_bounds(period) == bounds


def test_future_periods_cannot_be_evaluated():
    with pytest.raises(ValidationFailed):
        providers.check_period("2026-Q3", TODAY)
    providers.check_period("2026-Q2", TODAY)


@pytest.mark.parametrize("previous, this_total_low, exits", [
    (None, True, False),
    (70.0, True, False),
    (59.9, True, True),
    (50.0, False, False),
])
def test_two_consecutive_periods_below_threshold_exit(previous, this_total_low, exits):
    marks = 40 if this_total_low else 90
    data = {"service_area": "training", "period": "2026-Q2", "capability": marks, "management": marks,
            "service_quality": marks}
    record, reason = providers.evaluation(data, None, 0, previous)
    assert record["exited"] is exits
    assert (reason is not None) is exits


@pytest.mark.parametrize("payload, expected", [
    ({"provider_id": None, "score": 5}, None),
    ({"provider_id": 3, "score": 4, "service_area": "training", "request_id": "r1", "solved": True},
     {"request_id": "r1", "provider_id": 3, "service_area": "training", "score": 4, "solved": True}),
    ({"provider_id": 3, "score": 6, "service_area": "training", "request_id": "r1"}, ValueError),
    ({"provider_id": 3, "score": 4, "service_area": "banking", "request_id": "r1"}, ValueError),
    ({"provider_id": "3", "score": 4, "service_area": "training", "request_id": "r1"}, ValueError),
])
def test_only_a_well_formed_rating_of_a_providers_work_is_taken(payload, expected):
    if expected is ValueError:
        with pytest.raises(ValueError):
            providers.rating_from_event(payload)
    else:
        assert providers.rating_from_event(payload) == expected
