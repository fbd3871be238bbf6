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
    ({"served_enterprises": 10}, set()),
    ({"qualifications": []}, {"qualifications"}),
    ({"qualifications": [{"name": "过期", "number": "2", "issuer": "某局", "valid_until": "2026-05-19"}]},
     {"qualifications"}),
    ({"qualifications": [{"name": "今日到期", "number": "3", "issuer": "某局", "valid_until": "2026-05-20"}]}, set()),
    ({"qualifications": [{"name": "有效", "number": "4", "issuer": "某局", "valid_until": date(2027, 1, 1)}]}, set()),
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
        with pytest.raises(Conflict) as caught:
            providers.next_membership_state(current, decision, 1, "training")
        message = f"provider 1 is {current or 'not a member'} in training; cannot {decision}"
        assert caught.value.details == {"service_area": [message]}
    else:
        assert providers.next_membership_state(current, decision, 1, "training") == result


@pytest.mark.parametrize("scores, satisfaction, total", [
    ((80, 80, 80), 80, 80.0),
    ((100, 0, 0), 0, 25.0),        # capability weighs 25 %
    ((0, 100, 0), 0, 20.0),        # management 20 %
    ((0, 0, 100), 0, 30.0),        # service quality 30 %
    ((0, 0, 0), 100, 25.0),        # satisfaction 25 %
    ((90, 70, 60), 40, 64.5),      # 22.5 + 14 + 18 + 10
    ((100, 0, 0), None, 33.3),     # without ratings: 25 / 75
    ((0, 100, 0), None, 26.7),     # 20 / 75
    ((0, 0, 100), None, 40.0),     # 30 / 75
    ((60, 60, 60), 0, 45.0),
])
def test_weighted_score_rescales_without_ratings(scores, satisfaction, total):
    assert providers.score(*scores, satisfaction) == total


@pytest.mark.parametrize("average, satisfaction", [
    (None, None), (1, 0.0), (5, 100.0), (3.5, 62.5), (3.333, 58.3)])
def test_satisfaction_maps_ratings_to_100(average, satisfaction):
    assert providers.satisfaction(average) == satisfaction


@pytest.mark.parametrize("day, period, previous, bounds", [
    (date(2026, 1, 1), "2026-Q1", "2025-Q4", (date(2026, 1, 1), date(2026, 4, 1))),
    (date(2026, 5, 20), "2026-Q2", "2026-Q1", (date(2026, 4, 1), date(2026, 7, 1))),
    (date(2026, 9, 30), "2026-Q3", "2026-Q2", (date(2026, 7, 1), date(2026, 10, 1))),
    (date(2026, 12, 31), "2026-Q4", "2026-Q3", (date(2026, 10, 1), date(2027, 1, 1))),
    (date(2027, 10, 1), "2027-Q4", "2027-Q3", (date(2027, 10, 1), date(2028, 1, 1))),
])
def test_a_day_falls_in_its_quarter_with_its_bounds_and_predecessor(day, period, previous, bounds):
    assert providers.period_of(day) == period
    assert providers.previous_period(period) == previous
    assert providers.period_bounds(period) == bounds


def test_future_periods_cannot_be_evaluated():
    with pytest.raises(ValidationFailed) as caught:
        providers.check_period("2026-Q3", TODAY)
    assert caught.value.details == {"period": ["period 2026-Q3 has not begun; the current period is 2026-Q2"]}
    providers.check_period("2026-Q2", TODAY)
    providers.check_period("2025-Q4", TODAY)


@pytest.mark.parametrize("start, end, years", [
    (date(2020, 1, 1), date(2026, 5, 20), 6),
    (date(2020, 6, 1), date(2026, 5, 20), 5),     # the anniversary is still to come
    (date(2024, 5, 20), date(2026, 5, 20), 2),    # the anniversary is today
    (date(2024, 5, 21), date(2026, 5, 20), 1),
    (date(2026, 5, 20), date(2026, 5, 20), 0),
])
def test_years_of_operation_count_whole_years(start, end, years):
    assert providers.years_between(start, end) == years


@pytest.mark.parametrize("marks, previous, below, exits", [
    (40, None, True, False),       # the first period below: a warning only
    (40, 70.0, True, False),
    (40, 59.9, True, True),
    (40, 60.0, True, False),       # exactly 60 is not below
    (60, 50.0, False, False),      # exactly 60 is not below
    (59.9, 59.9, True, True),
    (90, 50.0, False, False),
])
def test_two_consecutive_periods_below_threshold_exit(marks, previous, below, exits):
    data = {"service_area": "training", "period": "2026-Q2", "capability": marks, "management": marks,
            "service_quality": marks}
    record, reason = providers.evaluation(data, None, 0, previous)
    assert (record["score"], record["below_threshold"], record["exited"]) == (marks, below, exits)
    if exits:
        assert reason == (f"score {float(marks)} in 2026-Q2 and {previous} in 2026-Q1: "
                          "two consecutive periods below 60")
    else:
        assert reason is None


@pytest.mark.parametrize("payload, expected", [
    ({"provider_id": None, "score": 5}, None),
    ({"provider_id": 3, "score": 4, "service_area": "training", "request_id": "r1", "solved": True},
     {"request_id": "r1", "provider_id": 3, "service_area": "training", "score": 4, "solved": True}),
    ({"provider_id": 3, "score": 6, "service_area": "training", "request_id": "r1"}, ValueError),
    ({"provider_id": 3, "score": 4, "service_area": "banking", "request_id": "r1"}, ValueError),
    ({"provider_id": "3", "score": 4, "service_area": "training", "request_id": "r1"}, ValueError),
    ({"provider_id": True, "score": 4, "service_area": "training", "request_id": "r1"}, ValueError),
    ({"provider_id": 3, "score": 1, "service_area": "training", "request_id": 17},
     {"request_id": "17", "provider_id": 3, "service_area": "training", "score": 1, "solved": False}),
    ({"provider_id": 3, "score": 5, "service_area": "chain", "request_id": "r2", "solved": 1},
     {"request_id": "r2", "provider_id": 3, "service_area": "chain", "score": 5, "solved": True}),
    ({"provider_id": 3, "score": 0, "service_area": "training", "request_id": "r1"}, ValueError),
    ({"provider_id": 3, "score": 4.0, "service_area": "training", "request_id": "r1"}, ValueError),
    ({"provider_id": 3, "score": "4", "service_area": "training", "request_id": "r1"}, ValueError),
    ({"provider_id": 3, "score": True, "service_area": "training", "request_id": "r1"}, ValueError),
    ({"provider_id": 3, "score": 4, "service_area": "training"}, ValueError),
    ({"provider_id": 3, "score": 4, "service_area": "training", "request_id": ""}, ValueError),
])
def test_only_a_well_formed_rating_of_a_providers_work_is_taken(payload, expected):
    if expected is ValueError:
        with pytest.raises(ValueError):
            providers.rating_from_event(payload)
    else:
        assert providers.rating_from_event(payload) == expected
