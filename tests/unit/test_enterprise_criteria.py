"""Criteria (the network's one "which enterprises" object) judged for one profile, and bulk-import parsing."""
from datetime import date
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from chassis.errors import ValidationFailed
from services.enterprises import criteria, domain, imports, schemas, store
from tests.stack import PROFILE_DAY, award, profile_of, uscc_of


def judged(criteria_body, **profile_overrides):
    loaded = schemas.Criteria().load(criteria_body)
    return criteria.explain(loaded, profile_of(**profile_overrides), PROFILE_DAY)


@pytest.mark.parametrize("body, passed", [
    ({"region_prefixes": ["11"]}, True),
    ({"region_prefixes": ["110000"]}, True),          # a province's full code reads as its prefix
    ({"region_prefixes": ["1101"]}, True),
    ({"region_prefixes": ["110106", "32"]}, False),
    ({"industry_codes": ["C"]}, True),
    ({"industry_codes": ["c39"]}, True),
    ({"industry_codes": ["I65", "F"]}, False),
    ({"size_classes": ["small", "micro"]}, True),
    ({"size_classes": ["medium"]}, False),
    ({"employees_min": 40}, True),                    # bounds are inclusive
    ({"employees_min": 41}, False),
    ({"employees_min": 39}, True),
    ({"employees_max": 40}, True),
    ({"employees_max": 41}, True),
    ({"employees_max": 39}, False),
    ({"revenue_min": 1200}, True),
    ({"revenue_min": 1000}, True),
    ({"revenue_min": 1200.01}, False),
    ({"revenue_max": 1200}, True),
    ({"revenue_max": 5000}, True),
    ({"revenue_max": 1199.99}, False),
    ({"rd_ratio_min": 0.05}, True),                   # 60 / 1200 = 0.05 exactly
    ({"rd_ratio_min": 0.04}, True),
    ({"rd_ratio_min": 0.0501}, False),
    ({"registered_years_min": 5}, True),              # founded 2020-06-15, today 2025-06-15
    ({"registered_years_min": 4}, True),
    ({"registered_years_min": 6}, False),
    ({"tiers": ["specialized_sme", "little_giant"]}, True),
    ({"tiers": ["tech_sme"]}, False),                 # expired award
    ({"tags": ["出口", "外贸"]}, True),
    ({"tags": ["外贸"]}, False),
])
def test_each_criterion_passes_or_fails_on_the_enterprises_value(body, passed):
    answer = judged(body, rd_expense=60, registered_on="2020-06-15", tags=["出口"],
                    tiers=[award(), award(kind="tech_sme", awarded="2023-01-01", expires="2023-12-31", no="KJ-1")])
    assert answer["matches"] is passed
    assert [v["passed"] for v in answer["criteria"]] == [passed]


def test_explain_reports_required_and_actual_for_each_criterion():
    answer = judged({"region_prefixes": ["11"], "employees_min": 50, "rd_ratio_min": 0.03,
                     "registered_years_min": 2}, rd_expense=24)
    assert answer == {"matches": False, "criteria": [
        {"criterion": "region_prefixes", "passed": True, "required": ["11"], "actual": "110105"},
        {"criterion": "employees_min", "passed": False, "required": 50, "actual": 40},
        {"criterion": "rd_ratio_min", "passed": False, "required": 0.03, "actual": 0.02},
        {"criterion": "registered_years_min", "passed": False, "required": 2, "actual": None},
    ]}


def test_no_rd_spend_on_file_fails_an_rd_criterion_even_at_zero():
    assert judged({"rd_ratio_min": 0})["matches"] is False
    assert judged({"rd_ratio_min": 0}, rd_expense=0)["matches"] is True
    assert judged({"rd_ratio_min": 0.01}, rd_expense=0)["matches"] is False


@pytest.mark.parametrize("minimum", [0, 0.03])
def test_rd_ratio_with_no_revenue_is_undefined_and_meets_no_minimum(minimum):
    """研发投入强度 = R&D spend / revenue: with revenue 0 there is no ratio, so no minimum is met."""
    assert judged({"rd_ratio_min": minimum}, revenue=0, rd_expense=5) == {"matches": False, "criteria": [
        {"criterion": "rd_ratio_min", "passed": False, "required": minimum, "actual": None}]}


@pytest.mark.parametrize("spent, revenue, minimum, meets", [
    (Decimal(5), Decimal(0), 0, False),
    (Decimal(5), Decimal(0), 0.03, False),
    (Decimal(0), Decimal(0), 0, False),
    (None, Decimal(100), 0, False),
    (Decimal(0), Decimal(100), 0, True),
    (Decimal(3), Decimal(100), 0.03, True),
    (Decimal(3), Decimal(100), 0.0301, False),
    (Decimal(1), Decimal(100), 0.01, True),
    (Decimal("0.5"), Decimal(100), 0.01, False),
    (Decimal(0), Decimal(100), 0.0001, False),   # above 0, something must have been spent
])
def test_rd_ratio_minimum_needs_rd_spend_and_revenue(spent, revenue, minimum, meets):
    assert criteria.rd_ratio_meets(spent, revenue, minimum) is meets


def test_sql_filter_for_an_rd_ratio_needs_revenue_too():
    where, params = store.predicate(schemas.Criteria().load({"rd_ratio_min": 0}), PROFILE_DAY)
    assert (where, params) == ("(e.rd_expense IS NOT NULL AND e.revenue > 0)", [])
    where, params = store.predicate(schemas.Criteria().load({"rd_ratio_min": 0.03}), PROFILE_DAY)
    assert (where, params) == ("(e.rd_expense > 0 AND e.revenue > 0 AND e.rd_expense >= %s * e.revenue)",
                               [Decimal("0.03")])


@pytest.mark.parametrize("founded, on, minimum, passed, actual", [
    ("2024-02-29", date(2025, 2, 28), 1, True, 1),    # 第二百零二条: no 29 February, the month's last day
    ("2024-02-29", date(2025, 2, 27), 1, False, 0),
    ("2020-02-29", date(2023, 2, 28), 3, True, 3),
    ("2020-02-29", date(2024, 2, 28), 4, False, 3),   # 2024 has a 29 February: the year ends then
    ("2020-02-29", date(2024, 2, 29), 4, True, 4),
    ("2020-02-28", date(2021, 2, 28), 1, True, 1),
])
def test_full_years_from_29_february_are_reached_on_28_february_in_a_common_year(
        founded, on, minimum, passed, actual):
    answer = criteria.explain(schemas.Criteria().load({"registered_years_min": minimum}),
                              profile_of(registered_on=founded, figures_year=2024), on)
    assert answer["criteria"] == [{"criterion": "registered_years_min", "passed": passed,
                                   "required": minimum, "actual": actual}]


@pytest.mark.parametrize("on, years, latest", [
    (date(2025, 2, 28), 1, date(2024, 2, 29)),      # a founding on 2024-02-29 has its year on 2025-02-28
    (date(2028, 2, 28), 4, date(2024, 2, 28)),      # 2028 has a 29 February: 2024-02-29 waits for it
    (date(2028, 2, 29), 1, date(2027, 2, 28)),
    (date(2025, 6, 15), 3, date(2022, 6, 15)),
])
def test_sql_filter_for_full_years_uses_the_latest_founding_date_that_has_them(on, years, latest):
    assert domain.latest_founding_for(on, years) == latest
    where, params = store.predicate(schemas.Criteria().load({"registered_years_min": years}), on)
    assert (where, params) == ("e.registered_on <= %s", [latest])


def test_empty_criteria_match_everyone():
    assert judged({}) == {"matches": True, "criteria": []}


@pytest.mark.parametrize("body, field", [
    ({"region_prefixes": ["1"]}, "region_prefixes"),
    ({"region_prefixes": ["99"]}, "region_prefixes"),
    ({"region_prefixes": []}, "region_prefixes"),     # an empty list would mean nobody: refused
    ({"industry_codes": ["Z1"]}, "industry_codes"),
    ({"size_classes": ["tiny"]}, "size_classes"),
    ({"tiers": ["unicorn"]}, "tiers"),
    ({"employees_min": 10, "employees_max": 5}, "employees_min"),
    ({"revenue_min": -1}, "revenue_min"),
    ({"rd_ratio_min": 1.5}, "rd_ratio_min"),
    ({"registered_years_min": "3"}, "registered_years_min"),
    ({"mood": "good"}, "mood"),
])
def test_bad_criteria_name_the_field(body, field):
    with pytest.raises(ValidationError) as caught:
        schemas.Criteria().load(body)
    assert field in caught.value.messages


def test_search_filters_become_one_value_criteria():
    filters = schemas.SearchFilters().load({"region_prefix": "320100", "tier": "little_giant", "name": " 专精特新 "})
    assert criteria.from_search(filters) == {"region_prefixes": ["3201"], "tiers": ["little_giant"]}
    assert filters["name"] == "专精特新" and filters["sort"] == "name"


def test_sql_predicate_binds_the_scope_then_each_criterion():
    loaded = schemas.Criteria().load({"region_prefixes": ["11", "32"], "tiers": ["tech_sme"],
                                      "rd_ratio_min": 0.03, "registered_years_min": 3})
    where, params = store.predicate(loaded, PROFILE_DAY, within="3201")
    assert where.count("%s") == len(params)
    assert params == ["3201%", "11%", "32%", ["tech_sme"], PROFILE_DAY, PROFILE_DAY, Decimal("0.03"), date(2022, 6, 15)]


def test_like_pattern_takes_wildcards_literally():
    assert store.like_pattern("100%_a\\b") == "%100\\%\\_a\\\\b%"


# -- bulk import parsing ----------------------------------------------------------------------

def test_csv_rows_are_checked_one_by_one_with_their_line_numbers():
    content = ("uscc,name,region_code,industry_code,employees,revenue,tags\n"
               f"{uscc_of('91110105MA01C0001')},北京一号科技有限公司,110105,C39,40,1200,出口;外贸\n"
               f"{uscc_of('91110105MA01C0002')},北京二号科技有限公司,110103,C39,40,1200,\n"
               f"{uscc_of('91110105MA01C0003')},北京三号科技有限公司,110105,C39,many,1200,\n"
               f"{uscc_of('91110105MA01C0001')},北京一号科技有限公司,110105,C39,40,1200,\n"
               "too,few\n")
    profiles, rejected, received = imports.profiles_from(content, "csv", PROFILE_DAY)
    assert received == 5
    assert [(line, p["uscc"][:17], p["tags"]) for line, p in profiles] == [(2, "91110105MA01C0001", ["出口", "外贸"])]
    assert [(r["line"], sorted(r["errors"])) for r in rejected] == [
        (3, ["region_code"]), (4, ["employees"]), (5, ["uscc"]), (6, ["_line"])]


def test_jsonl_rows_carry_tiers_and_outside_rows_are_refused():
    good = registration_line(uscc_of("91320102MA01C0004"), "320102", tiers=[award()])
    outside = registration_line(uscc_of("91110105MA01C0005"), "110105")
    content = "\n".join([good, "", "{not json", outside, "[1, 2]"])
    profiles, rejected, received = imports.profiles_from(content, "jsonl", PROFILE_DAY, within="32")
    assert received == 4
    assert [line for line, _ in profiles] == [1] and profiles[0][1]["tiers"][0]["tier"] == "specialized_sme"
    assert [(r["line"], list(r["errors"])) for r in rejected] == [
        (3, ["_line"]), (4, ["region_code"]), (5, ["_line"])]


def test_csv_header_with_unknown_columns_refuses_the_whole_batch():
    with pytest.raises(ValidationFailed) as caught:
        imports.profiles_from("uscc,name,colour\n", "csv", PROFILE_DAY)
    assert "unknown column colour" in caught.value.details["content"]


def registration_line(code, region, **extra):
    import json
    body = {"uscc": code, "name": "江苏示例制造有限公司", "region_code": region, "industry_code": "C34",
            "employees": 120, "revenue": 8000}
    body.update(extra)
    return json.dumps(body, ensure_ascii=False)


def test_jsonable_turns_amounts_and_dates_into_json():
    assert domain.jsonable({"a": Decimal("1.50"), "b": [date(2025, 1, 2)]}) == {"a": 1.5, "b": ["2025-01-02"]}
