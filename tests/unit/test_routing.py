"""Routing: the deepest covering agency offering the area answers; the rest is explained."""
import pytest

from services.agencies.contract import routing

ALL = ["policy", "finance_talent", "international", "rights"]


def candidate(id, level, depth, areas=ALL, active=True):
    return {"id": id, "name": f"{level} {id}", "level": level, "depth": depth,
            "service_areas": areas, "active": active}


NATIONAL = candidate(1, "national", 0)
PROVINCE = candidate(2, "province", 1)
CITY = candidate(3, "city", 2)
COUNTY = candidate(4, "county", 3, areas=["policy", "rights"])
STATION = candidate(5, "station", 4, areas=["finance_talent"])


def chosen(candidates, area, park=None):
    agency, explanation = routing.route_among(candidates, area, "320102", park)
    return agency and agency["id"], [(step["agency_id"], step["skipped"]) for step in explanation]


def test_the_deepest_agency_offering_the_area_answers_whatever_the_input_order():
    assert chosen([NATIONAL, CITY, COUNTY, PROVINCE], "rights") == (4, [(4, False)])
    assert chosen([COUNTY, PROVINCE, NATIONAL, CITY], "rights") == (4, [(4, False)])


def test_a_county_without_the_area_falls_back_to_the_city():
    assert chosen([NATIONAL, PROVINCE, CITY, COUNTY], "international") == (3, [(4, True), (3, False)])


def test_a_station_answers_first_in_its_areas_only():
    everyone = [NATIONAL, PROVINCE, CITY, COUNTY, STATION]
    assert chosen(everyone, "finance_talent", park="徐庄") == (5, [(5, False)])
    assert chosen(everyone, "rights", park="徐庄") == (4, [(5, True), (4, False)])


def test_inactive_agencies_are_skipped_with_the_reason():
    agency, explanation = routing.route_among([NATIONAL, candidate(4, "county", 3, active=False)], "policy", "320102")
    assert agency["id"] == 1
    assert explanation[0]["reason"] == "inactive"


def test_stations_at_one_depth_go_to_the_lowest_id():
    twins = [candidate(9, "station", 4), candidate(7, "station", 4), NATIONAL]
    assert chosen(twins, "policy", park="徐庄") == (7, [(7, False)])


def test_no_candidate_offering_the_area_means_none_with_every_skip_explained():
    agency, explanation = routing.route_among([COUNTY], "international", "320102")
    assert agency is None
    assert explanation[0]["reason"].startswith("does not offer international")


def test_the_explanation_names_the_place_and_the_area_of_each_step():
    everyone = [NATIONAL, PROVINCE, CITY, COUNTY, STATION]
    _, in_park = routing.route_among(everyone, "rights", "320102", "徐庄")
    _, outside = routing.route_among(everyone, "rights", "320102")
    assert in_park == [
        {"agency_id": 5, "name": "station 5", "level": "station", "skipped": True,
         "reason": "does not offer rights (合法权益保护（含拖欠账款）)"},
        {"agency_id": 4, "name": "county 4", "level": "county", "skipped": False,
         "reason": "deepest agency covering region 320102, park 徐庄 that offers rights (合法权益保护（含拖欠账款）)"}]
    assert [step["reason"] for step in outside] == [
        "does not offer rights (合法权益保护（含拖欠账款）)",
        "deepest agency covering region 320102 that offers rights (合法权益保护（含拖欠账款）)"]


def test_the_whole_country_is_told_by_its_code_however_the_code_was_made():
    assert routing.covering_prefixes("".join(("000", "000"))) == [""]
    assert routing.covering_prefixes("".join(("320", "102"))) == ["", "32", "3201", "320102"]


@pytest.mark.parametrize("region_code, prefixes", [
    ("000000", [""]),
    ("320000", ["", "32"]),
    ("320100", ["", "32", "3201"]),
    ("320102", ["", "32", "3201", "320102"]),
    ("441900", ["", "44", "4419"]),
])
def test_the_agencies_that_may_serve_a_place_run_from_the_whole_country_down_to_its_county(region_code, prefixes):
    assert routing.covering_prefixes(region_code) == prefixes


@pytest.mark.parametrize("region_code, prefix", [
    ("000000", ""), ("320000", "32"), ("320100", "3201"), ("320102", "320102"), ("441900", "4419")])
def test_an_agency_covers_the_code_prefix_of_its_level(region_code, prefix):
    assert routing.coverage_prefix(region_code) == prefix


def test_depth_runs_from_the_national_agency_at_0_to_a_station_at_4():
    assert [routing.depth_of(level) for level in ("national", "province", "city", "county", "station")] == [
        0, 1, 2, 3, 4]


@pytest.mark.parametrize("region_code", ["", "00000", "0", "32010"])
def test_a_code_that_is_not_six_digits_is_refused_rather_than_taken_for_the_whole_country(region_code):
    with pytest.raises(ValueError):
        routing.covering_prefixes(region_code)
