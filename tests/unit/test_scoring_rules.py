"""考核评价 rules: model validation, attainment, scores with missing values, ranks, re-computation."""
from datetime import datetime, timezone

import pytest

from chassis.errors import ValidationFailed
from chassis.errors import loaded as load
from services.agencies import schemas, scoring

MODEL = [{"indicator": "county_coverage", "weight": 50.0, "target": 100.0},
         {"indicator": "satisfaction", "weight": 30.0, "target": 5.0},
         {"indicator": "staff_per_1000_smes", "weight": 20.0, "target": 4.0}]


def facts(county=100.0, satisfaction=4.0, staff=2.0):
    return {"county_coverage_pct": county, "park_coverage_pct": None, "staff_per_1000_smes": staff,
            "funding_per_sme_yuan": None, "training_hours_per_staff": None,
            "requests_accepted_on_time_pct": None, "requests_resolved_on_time_pct": None,
            "requests_average_satisfaction": satisfaction}


@pytest.mark.parametrize("indicators, problem", [
    ([{"indicator": "county_coverage", "weight": 60, "target": 100},
      {"indicator": "satisfaction", "weight": 30, "target": 5}], "the weights sum to 90%, not 100%"),
    ([{"indicator": "county_coverage", "weight": 100.01, "target": 100}], "Must be greater than 0"),
    ([{"indicator": "gdp_growth", "weight": 100, "target": 5}], "gdp_growth is not in the catalogue"),
    ([{"indicator": "satisfaction", "weight": 50, "target": 5},
      {"indicator": "satisfaction", "weight": 50, "target": 5}], "each indicator once"),
    ([{"indicator": "satisfaction", "weight": 100, "target": 0}], "Must be greater than 0"),
    ([], "Length must be between 1"),
])
def test_a_model_names_catalogue_indicators_once_with_weights_summing_to_100(indicators, problem):
    with pytest.raises(ValidationFailed) as refused:
        load(schemas.ScoringModelFields, {"scope": "330000", "year": 2026, "indicators": indicators}, "model")
    assert problem in str(refused.value.details)


@pytest.mark.parametrize("scope, accepted", [("330000", True), ("000000", True), ("330100", False),
                                             ("330106", False)])
def test_a_model_is_a_provinces_or_the_national_one(scope, accepted):
    data = {"scope": scope, "year": 2026, "indicators": [{"indicator": "satisfaction", "weight": 100, "target": 5}]}
    if accepted:
        assert load(schemas.ScoringModelFields, data, "model")["scope"] == scope
    else:
        with pytest.raises(ValidationFailed):
            load(schemas.ScoringModelFields, data, "model")


def test_weights_with_cents_may_sum_to_100():
    data = {"scope": "330000", "year": 2026, "indicators": [
        {"indicator": "satisfaction", "weight": 33.33, "target": 5},
        {"indicator": "county_coverage", "weight": 33.33, "target": 100},
        {"indicator": "park_coverage", "weight": 33.34, "target": 100}]}
    assert len(load(schemas.ScoringModelFields, data, "model")["indicators"]) == 3


def test_a_model_is_stored_in_catalogue_order():
    chosen = [{"indicator": "satisfaction", "weight": 40, "target": 5},
              {"indicator": "county_coverage", "weight": 60, "target": 100}]
    assert [each["indicator"] for each in scoring.stored_indicators(chosen)] == ["county_coverage", "satisfaction"]


@pytest.mark.parametrize("value, target, attainment", [
    (80.0, 100.0, 80.0), (120.0, 100.0, 100.0), (0.0, 5.0, 0.0), (3.0, 5.0, 60.0), (None, 5.0, None),
    (1.0, 3.0, 33.33),
])
def test_attainment_is_the_share_of_the_target_capped_at_100(value, target, attainment):
    assert scoring.attainment(value, target) == attainment


@pytest.mark.parametrize("region_facts, score", [
    (facts(), 50 * 100 / 100 + 30 * 80 / 100 + 20 * 50 / 100),        # 84.0
    (facts(satisfaction=None), round((50 * 100 + 20 * 50) / 70, 2)),   # 85.71: the others count in its place
    (facts(county=0.0, satisfaction=None, staff=None), 0.0),
    (facts(county=None, satisfaction=None, staff=None), None),         # nothing to score
])
def test_a_score_weighs_the_attainments_of_the_indicators_with_a_value(region_facts, score):
    assert scoring.score_region(MODEL, region_facts)[0] == score


def test_equal_scores_share_a_rank_and_regions_without_a_score_come_last():
    results = [{"region_code": code, "score": score} for code, score in
               (("330106", 70.0), ("330102", 90.0), ("330105", None), ("330108", 70.0), ("330110", 50.0))]
    assert [(each["region_code"], each["rank"]) for each in scoring.ranked(results)] == [
        ("330102", 1), ("330106", 2), ("330108", 2), ("330110", 4), ("330105", None)]


def test_compute_ranks_regions_by_their_facts():
    results = scoring.compute(MODEL, {"330106": facts(), "330102": facts(satisfaction=5.0)})
    assert [(each["region_code"], each["region_name"], each["rank"], each["score"]) for each in results] == [
        ("330102", "上城区", 1, 90.0), ("330106", "西湖区", 2, 84.0)]


def test_a_recomputation_lists_what_differs_and_nothing_when_identical():
    before = scoring.compute(MODEL, {"330106": facts(), "330102": facts(satisfaction=5.0)})
    same = scoring.compute(MODEL, {"330106": facts(), "330102": facts(satisfaction=5.0)})
    assert scoring.differences(before, same) == []
    after = scoring.compute(MODEL, {"330106": facts(), "330102": facts(satisfaction=3.0)})
    assert {line.split(":")[0] + ":" + line.split(":")[1].split()[0] for line in
            scoring.differences(before, after)} == {"330102:rank", "330102:score", "330102:indicators",
                                                    "330102:facts", "330106:rank"}


def test_a_cutoff_in_the_future_is_refused():
    now = datetime(2026, 12, 1, tzinfo=timezone.utc)
    scoring.check_cutoff(now, now)
    with pytest.raises(ValidationFailed):
        scoring.check_cutoff(datetime(2026, 12, 2, tzinfo=timezone.utc), now)


@pytest.mark.parametrize("scope, level", [("000000", "province"), ("330000", "county")])
def test_the_national_model_scores_provinces_and_a_provinces_its_counties(scope, level):
    assert scoring.unit_level(scope) == level


def test_every_catalogue_indicator_has_a_value():
    assert set(scoring.VALUE_OF) == set(schemas.SCORING_INDICATORS)


# -- 政策直享: policies reaching the region's enterprises (the notifications service's figures) -------

def region_facts(smes, reached, notices, read):
    return scoring.unit_facts({"smes": smes}, None, (0, 0), (reached, notices, read))


@pytest.mark.parametrize("smes, reached, notices, read, reach, read_pct", [
    (6, 3, 5, 2, 50.0, 40.0),
    (8, 8, 8, 0, 100.0, 0.0),
    (3, 1, 2, 1, 33.33, 50.0),
    (6, 0, 0, 0, 0.0, None),          # nothing pushed: nobody reached, no notice to read
    (0, 2, 2, 2, None, 100.0),        # no SMEs on record: nothing to divide by
])
def test_policy_reach_is_per_100_smes_and_policy_read_the_share_of_notices_read(
        smes, reached, notices, read, reach, read_pct):
    facts = region_facts(smes, reached, notices, read)
    assert (facts["policy_enterprises_reached"], facts["policy_notices"], facts["policy_notices_read"]) == (
        reached, notices, read)
    assert (scoring.value_of("policy_reach", facts), scoring.value_of("policy_read", facts)) == (reach, read_pct)


def test_policy_figures_of_a_provinces_counties_add_up_to_the_province():
    rows = [{"region_code": "640104", "reached": 3, "notices": 4, "read": 1},
            {"region_code": "640106", "reached": 2, "notices": 2, "read": 2},
            {"region_code": "640181", "reached": 1, "notices": 1, "read": 0},
            {"region_code": "630102", "reached": 5, "notices": 5, "read": 5}]
    keys = ("reached", "notices", "read")
    assert scoring.totals_by_unit(rows[:3], "county", keys) == {
        "640104": (3, 4, 1), "640106": (2, 2, 2), "640181": (1, 1, 0)}
    assert scoring.totals_by_unit(rows, "province", keys) == {"640000": (6, 7, 3), "630000": (5, 5, 5)}


def test_a_policy_reach_model_scores_by_its_attainments():
    model = [{"indicator": "policy_reach", "weight": 60.0, "target": 80.0},
             {"indicator": "policy_read", "weight": 40.0, "target": 50.0}]
    assert scoring.score_region(model, region_facts(10, 4, 8, 2))[0] == round(60 * 50 / 100 + 40 * 50 / 100, 2)
    assert scoring.score_region(model, region_facts(10, 0, 0, 0))[0] == 0.0   # policy_read left out


def test_a_run_made_before_a_fact_joined_the_catalogue_recomputes_identical():
    before = scoring.compute(MODEL, {"330106": facts()})
    after = scoring.compute(MODEL, {"330106": {**facts(), "policy_notices": 3}})
    assert scoring.differences(before, after) == []
    # a fact the run kept still counts
    later = scoring.compute(MODEL, {"330106": {**facts(), "policy_notices": 4}})
    assert [line.split(" then")[0][:len("330106: facts")] for line in scoring.differences(after, later)] == [
        "330106: facts"]
