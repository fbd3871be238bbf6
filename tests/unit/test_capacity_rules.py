"""Capacity, coverage and SME register rules: records and closed years, coverage tallies,
the facts an enterprise event states."""
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from chassis.errors import Conflict, ValidationFailed
from chassis.errors import loaded as load
from services.agencies import capacity, coverage, schemas, sme_register

NOW = datetime(2026, 3, 2, 8, tzinfo=timezone.utc)
RECORD = {"year": 2026, "full_time_staff": 4, "part_time_staff": 2, "funding": {"fiscal": 80, "special_fund": 20},
          "it": {"network_connected": True, "online_service_pct": 60},
          "qualifications": [{"qualification": "中级经济师", "holders": 2}],
          "certifications": [{"name": "ISO 9001", "number": "Q1", "issuer": "CQC", "expires_on": "2026-03-01"}]}


@pytest.mark.parametrize("change, field", [
    ({"qualifications": [{"qualification": "中级经济师", "holders": 7}]}, "qualifications"),
    ({"qualifications": [{"qualification": "中级经济师", "holders": 1}] * 2}, "qualifications"),
    ({"funding": {"fiscal": -1}}, "funding"),
    ({"it": {"network_connected": True, "online_service_pct": 101}}, "it"),
    ({"year": 1999}, "year"),
    ({"full_time_staff": "4"}, "full_time_staff"),
    ({"certifications": [{"name": "ISO 9001", "number": "Q1", "issuer": "CQC"}]}, "certifications"),
])
def test_a_capacity_record_that_breaks_a_rule_is_refused_naming_the_field(change, field):
    with pytest.raises(ValidationFailed) as refused:
        load(schemas.CapacityRecordFields, {**RECORD, **change}, "capacity record")
    assert field in refused.value.details


def test_a_record_is_stored_and_shown_with_its_total_and_expired_certifications():
    data = load(schemas.CapacityRecordFields, RECORD, "capacity record")
    row = {**capacity.stored_row(5, data, 3, "admin", NOW), "id": 1}
    assert (row["funding_fiscal"], row["funding_special"], row["funding_purchased"], row["version"]) == (
        Decimal("80"), Decimal("20"), 0, 3)
    shown = capacity.view(row, "640104", False, date(2026, 3, 2))
    assert (shown["funding_total"], shown["premises"], shown["it"]) == (
        100.0, {"hall_area_m2": None, "address": None}, {"network_connected": True, "online_service_pct": 60.0})
    assert [each["expired"] for each in shown["certifications"]] == [True]
    assert capacity.view(row, "640104", False, date(2026, 3, 1))["certifications"][0]["expired"] is False


def test_a_closed_year_refuses_edits():
    capacity.check_year_open(None, 2026)
    with pytest.raises(Conflict) as refused:
        capacity.check_year_open({"closed_at": NOW}, 2026)
    assert "2026" in refused.value.message and "year" in refused.value.details


@pytest.mark.parametrize("code, level, unit", [
    ("640104", "county", "640104"), ("640100", "county", None), ("441900", "county", "441900"),
    ("640104", "city", "640100"), ("640000", "city", None), ("640100", "city", "640100"),
    ("640104", "province", "640000"), ("000000", "province", None), ("640104", "national", "000000"),
    ("000000", "national", "000000"),
])
def test_what_a_code_counts_towards(code, level, unit):
    assert coverage.unit_of(code, level) == unit


def agency(region, level="county", park=None, active=True):
    return {"region_code": region, "level": level, "park": park, "active": active}


FACTS = coverage.Facts(
    agencies=[agency("640104"), agency("640105", active=False), agency("640106"), agency("640000", "province"),
              agency("640104", "station", "经开区"), agency("640106", "station", "旧园区", active=False)],
    enterprises=[{"region_code": "640104", "park": "经开区", "smes": 3, "enterprises": 4},
                 {"region_code": "640104", "park": None, "smes": 3, "enterprises": 3},
                 {"region_code": "640106", "park": "苏银产业园", "smes": 2, "enterprises": 2}],
    capacities=[{"region_code": "640104", "full_time_staff": 4, "part_time_staff": 2, "funding": Decimal("100")},
                {"region_code": "640000", "full_time_staff": 10, "part_time_staff": 0, "funding": Decimal("300")}],
    trainings=[{"region_code": "640104", "hours": Decimal("12")}])


def test_a_provinces_coverage_counts_counties_parks_smes_staff_and_funding():
    tally = coverage.tally(["640000"], "province", FACTS)["640000"]
    figures = tally.figures("640000")
    assert {key: figures[key] for key in ("counties", "counties_with_agency", "county_coverage_pct", "parks",
                                          "parks_with_station", "park_coverage_pct", "smes", "staff",
                                          "staff_per_1000_smes", "funding_wan_yuan", "funding_per_sme_yuan",
                                          "training_hours_per_staff")} == {
        "counties": 22, "counties_with_agency": 2, "county_coverage_pct": 9.09, "parks": 3,
        "parks_with_station": 1, "park_coverage_pct": 33.33, "smes": 8, "staff": 16, "staff_per_1000_smes": 2000.0,
        "funding_wan_yuan": 400.0, "funding_per_sme_yuan": 500000.0, "training_hours_per_staff": 0.75}
    assert len(tally.counties_without_agency) == 20 and "640105" in tally.counties_without_agency
    assert "640104" not in tally.counties_without_agency
    assert tally.parks_without_station == [{"region_code": "640106", "park": "旧园区"},
                                           {"region_code": "640106", "park": "苏银产业园"}]


def test_a_countys_coverage_leaves_out_the_province_agency_and_has_no_ratio_without_a_denominator():
    tallies = coverage.tally(["640104", "640105"], "county", FACTS)
    assert (tallies["640104"].figures("640104")["staff"], tallies["640104"].figures("640104")["smes"]) == (6, 6)
    empty = tallies["640105"].figures("640105")
    assert (empty["county_coverage_pct"], empty["park_coverage_pct"], empty["staff_per_1000_smes"],
            empty["funding_per_sme_yuan"], empty["training_hours_per_staff"]) == (0.0, None, None, None, None)


def event(kind, payload, at="2026-03-02T08:00:00+00:00"):
    return {"type": kind, "payload": payload, "occurred_at": at}


WHEN = datetime(2026, 3, 2, 8, tzinfo=timezone.utc)


@pytest.mark.parametrize("kind, payload, facts", [
    ("enterprise.registered", {"uscc": "91640104MA0000000X", "name": "x", "region_code": "640104",
                               "industry_code": "C39", "size_class": "small", "park": "经开区"},
     [("region_code", "640104"), ("park", "经开区"), ("size_class", "small")]),
    ("enterprise.registered", {"uscc": "91640104MA0000000X", "name": "x", "region_code": "640104",
                               "industry_code": "C39", "size_class": None},
     [("region_code", "640104"), ("park", None), ("size_class", None)]),
    ("enterprise.updated", {"uscc": "91640104MA0000000X", "region_code": "640106", "changed": ["park"],
                            "changes": {"park": {"from": "经开区", "to": None}}},
     [("region_code", "640106"), ("park", None)]),
    ("enterprise.updated", {"uscc": "91640104MA0000000X", "region_code": "640106", "changed": ["contact"],
                            "changes": {}},
     [("region_code", "640106")]),
    ("enterprise.size_class_changed", {"uscc": "91640104MA0000000X", "region_code": "640104", "from": "small",
                                       "to": "large"},
     [("region_code", "640104"), ("size_class", "large")]),
])
def test_an_enterprise_event_states_dated_facts(kind, payload, facts):
    assert sme_register.facts_of(event(kind, payload)) == [
        ("91640104MA0000000X", name, value, WHEN) for name, value in facts]


@pytest.mark.parametrize("kind, payload", [
    ("enterprise.registered", {"uscc": "91640104MA0000000X"}),
    ("enterprise.updated", {"region_code": "640104", "changed": []}),
    ("enterprise.tier_changed", {"uscc": "91640104MA0000000X", "region_code": "640104"}),
])
def test_an_event_the_register_cannot_read_is_unusable(kind, payload):
    with pytest.raises(sme_register.Unusable):
        sme_register.facts_of(event(kind, payload))
