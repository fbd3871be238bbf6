"""The national demo generator (infra.demo_data.national): what it makes is valid input for the
services and covers every level, size class, tier and request ending, at the small scale too."""
from collections import Counter
from datetime import date

import pytest

from reference import credit_codes, regions
from infra.demo_data import national
from services.agencies.providers import MIN_SERVED_ENTERPRISES, MIN_YEARS_OF_OPERATION
from services.agencies.schemas import AgencyCreation, PolicyFields
from services.enterprises.schemas import EnterpriseRegistration

ON = date(2026, 6, 15)
SMALL = national.SCALES["small"]


@pytest.fixture(scope="module")
def smes():
    return list(national.enterprises(SMALL, ON))


def test_every_sme_is_a_valid_registration_with_a_correct_check_character(smes):
    schema = EnterpriseRegistration()
    for sme in smes:
        schema.load(sme)
        assert credit_codes.validate(sme["uscc"]) == sme["uscc"]
    assert len({sme["uscc"] for sme in smes}) == SMALL.enterprises


def test_smes_lie_in_county_level_divisions_of_every_mainland_province(smes):
    assert all(regions.is_county_level(sme["region_code"]) for sme in smes)
    assert {sme["region_code"][:2] for sme in smes} == set(national.MAINLAND)


def test_every_province_has_every_size_class_and_the_figures_decide_it(smes):
    classes = {(sme["region_code"][:2], national._sme_class(sme)) for sme in smes}
    assert {(province, size) for province in national.MAINLAND for size in national.SIZE_CLASSES} <= classes
    assert None in {national._sme_class(sme) for sme in smes}  # 金融业: not classified


def test_tiers_follow_the_ladder(smes):
    held = Counter(record["tier"] for sme in smes for record in sme.get("tiers", ()))
    assert set(held) == set(national.TIERS)
    for sme in smes:
        tiers = {record["tier"] for record in sme.get("tiers", ())}
        if tiers:
            assert national._sme_class(sme) != "large"
        if "little_giant" in tiers:
            assert "specialized_sme" in tiers
        for record in sme.get("tiers", ()):
            assert record["awarded_on"] < ON.isoformat() and record["awarded_on"] < record["expires_on"]


def test_the_same_scale_and_seed_give_the_same_network(smes):
    assert list(national.enterprises(SMALL, ON)) == smes
    assert national.policies(SMALL, ON) == national.policies(SMALL, ON)


def test_some_smes_are_in_the_parks_of_the_stations(smes):
    parks = {(station["region_code"], station["park"]) for station in national.stations(SMALL)}
    in_parks = {(sme["region_code"], sme["park"]) for sme in smes if "park" in sme}
    assert in_parks and in_parks <= parks


def test_stations_are_in_parks_of_different_cities_at_county_level():
    stations = national.stations(national.SCALES["default"])
    assert len(stations) == national.SCALES["default"].stations
    assert len({station["park"] for station in stations}) == len(stations)
    assert len({station["region_code"][:4] for station in stations}) == len(stations)
    for station in stations:
        AgencyCreation().load({**station, "parent_id": 1})
        assert regions.is_county_level(station["region_code"])


def test_policies_have_valid_criteria_at_every_level():
    policies = national.policies(national.SCALES["default"], ON)
    assert 250 <= len(policies) <= 400
    assert {policy["issuer_level"] for policy in policies} == {"national", "province", "city", "county"}
    assert {policy.get("state", "published") for policy in policies} == {"published", "draft", "withdrawn"}
    assert len({policy["title"] for policy in policies}) == len(policies)
    schema = PolicyFields()
    for policy in policies:
        schema.load({key: value for key, value in policy.items() if key not in ("region", "state")}
                    | {"region_code": policy["region"]})
    assert sum(1 for policy in policies if policy["criteria"]) > 0.8 * len(policies)


def test_providers_meet_the_admission_criteria_and_cover_every_area():
    providers = national.providers(SMALL)
    assert {area for provider in providers for area in provider["areas"]} == set(national.AREAS)
    assert len({provider["uscc"] for provider in providers}) == len(providers)
    for provider in providers:
        credit_codes.validate(provider["uscc"])
        assert provider["served_enterprises"] >= MIN_SERVED_ENTERPRISES
        assert date.fromisoformat(provider["established_on"]).year <= ON.year - MIN_YEARS_OF_OPERATION
    assert len(national.products(providers)) == len(national.cases(providers)) == len(providers)


def test_requests_take_every_ending_in_every_wave_at_the_small_scale(smes):
    plan = national.requests(SMALL, smes)
    assert len(plan) == SMALL.requests
    expected = {(wave, tuple(steps)) for wave, endings in national.WAVES.items() for steps, _ in endings}
    assert {(item["wave"], tuple(item["steps"])) for item in plan} == expected
    assert [item["wave"] for item in plan] == sorted((item["wave"] for item in plan), reverse=True)
    assert not [item for item in plan if item["wave"] == 0 and item["steps"] == ["stalled"]]
    by_uscc = {sme["uscc"]: sme for sme in smes}
    complaints = [item for item in plan if "arrears" in item["body"]]
    assert complaints
    for item in complaints:
        assert national._sme_class(by_uscc[item["uscc"]]) in ("small", "micro")
        credit_codes.validate(item["body"]["arrears"]["debtor_uscc"])


def test_a_share_of_the_smes_is_the_same_as_in_the_whole_set(smes):
    assert list(national.enterprises(SMALL, ON, serials=range(100, 150))) == smes[100:150]
    registrations = national.Registrations(SMALL, ON)
    assert len(registrations) == len(smes)
    assert [registrations[serial] for serial in (0, 437, len(smes) - 1)] == [smes[0], smes[437], smes[-1]]
    with pytest.raises(IndexError):
        registrations[len(smes)]


def test_requests_drawn_from_registrations_read_as_needed_are_those_drawn_from_the_whole_list(smes):
    assert national.requests(SMALL, national.Registrations(SMALL, ON)) == national.requests(SMALL, smes)
