"""Rules of the agency hierarchy and the national skeleton."""
import pytest

from chassis.errors import Conflict, ValidationFailed
from services.agencies import domain, skeleton
from services.agencies.schemas import AREAS, GuideContent, criteria_errors


def agency(id, level, region_code, parent_id=None, **extra):
    return {"id": id, "name": f"agency {id}", "level": level, "region_code": region_code,
            "region_prefix": domain.coverage_prefix(region_code), "parent_id": parent_id,
            "park": None, "service_areas": list(AREAS), "active": True, **extra}


@pytest.mark.parametrize("level, region_code, problem", [
    ("province", "320000", None),
    ("province", "320100", "is a city code"),
    ("city", "110100", "groups counties"),
    ("city", "441900", None),
    ("county", "320102", None),
    ("county", "110103", "not a division code in use"),
    ("province", "810000", "outside the mainland"),
    ("station", "320102", None),
    ("station", "441900", None),
    ("station", "320100", "a station sits in a county"),
    ("national", "000000", None),
])
def test_region_must_suit_the_agency_level(level, region_code, problem):
    found = domain.region_problem(level, region_code)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize("level, region_code, parent, problem", [
    ("station", "320102", agency(3, "county", "320102"), None),
    ("county", "320102", agency(2, "city", "320100"), None),
    ("county", "320102", agency(2, "city", "320200"), "does not cover region 320102"),
    ("city", "320100", agency(3, "county", "320102"), "cannot sit under county"),
    ("province", "320000", agency(1, "national", "000000"), None),
])
def test_parent_must_sit_above_and_cover_the_region(level, region_code, parent, problem):
    found = domain.parent_problem(level, region_code, parent)
    assert (found is None) if problem is None else (problem in found)


def test_station_needs_a_park_and_defaults_to_station_areas():
    parent = agency(3, "county", "320102")
    with pytest.raises(ValidationFailed) as caught:
        domain.new_agency({"name": "站", "level": "station", "region_code": "320102", "parent_id": 3}, parent)
    assert "park" in caught.value.details
    row = domain.new_agency({"name": "站点", "level": "station", "region_code": "320102", "parent_id": 3,
                             "park": "徐庄软件园"}, parent)
    assert row["service_areas"] == list(domain.DEFAULT_AREAS["station"])
    assert (row["region_prefix"], row["depth"]) == ("320102", 4)


def test_moving_under_a_descendant_names_the_cycle():
    city = agency(2, "city", "320100", parent_id=1)
    county = agency(3, "county", "320102", parent_id=2)
    with pytest.raises(Conflict) as caught:
        domain.changed_agency(city, {"parent_id": 3}, county, parent_chain=[3, 2, 1])
    assert "2 → 3 → 2" in caught.value.details["parent_id"][0]


def test_the_national_agency_stays_active():
    with pytest.raises(Conflict):
        domain.changed_agency(agency(1, "national", "000000"), {"active": False})


def test_skeleton_covers_the_mainland_with_parents_before_children():
    rows = skeleton.national_skeleton()
    seen = set()
    for row in rows:
        assert row["parent_region"] is None or row["parent_region"] in seen
        seen.add(row["region_code"])
    levels = [row["level"] for row in rows]
    assert len(rows) == 3212  # docs/agencies.md
    assert {level: levels.count(level) for level in set(levels)} == {
        "national": 1, "province": 31, "city": 333, "county": 2847}
    assert not [row for row in rows if row["region_code"][:2] in ("71", "81", "82")]
    assert not [row for row in rows if row["region_code"] in ("110100", "429000", "500200")]
    assert len(rows) == 3212
    by_code = {row["region_code"]: row for row in rows}
    assert by_code["110105"]["parent_region"] == "110000"
    assert by_code["429004"]["parent_region"] == "420000"
    assert by_code["320102"]["parent_region"] == "320100"
    assert by_code["320102"]["name"] == "南京市玄武区中小企业服务中心"
    assert "international" not in by_code["320102"]["service_areas"]


def test_skeleton_has_no_agency_for_replaced_division_codes():
    """随州 is 421300 and 神农架林区 429021; the library's stale 429001, 422900, 422921 get none."""
    by_code = {row["region_code"]: row for row in skeleton.national_skeleton()}
    assert not {"429001", "422900", "422921"} & set(by_code)
    assert by_code["421300"]["name"] == "随州市中小企业服务中心"
    assert by_code["429021"]["parent_region"] == "420000"


def test_guide_gives_one_item_per_area_with_accept_before_resolve():
    item = {"service_area": "rights", "title": "清欠", "content": "受理投诉", "process": ["受理"],
            "accept_days": 5, "resolve_days": 3}
    errors = GuideContent().validate({"items": [item, item], "supervision": {},
                                      "contact": {"address": "某地", "phone": "123"}})
    assert set(errors) == {"items", "supervision"}
    assert "accept_days" in str(errors["items"])


@pytest.mark.parametrize("criteria, fields", [
    ({}, set()),
    ({"tiers": ["little_giant"], "region_prefixes": ["32"]}, set()),
    ({"tiers": ["unicorn"]}, {"criteria.tiers"}),
    ({"region_prefixes": ["99"]}, {"criteria.region_prefixes"}),
    ({"industry_codes": ["Z1"], "color": "red"}, {"criteria.industry_codes", "criteria.color"}),
    ({"employees_min": 50, "employees_max": 10}, {"criteria.employees_min"}),
    (["tiers"], {"criteria"}),
])
def test_criteria_problems_are_named_by_criteria_field(criteria, fields):
    assert set(criteria_errors(criteria)) == fields
