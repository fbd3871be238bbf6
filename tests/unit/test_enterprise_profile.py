"""The rules of an enterprise's profile (一企一档): registration, changes, tiers, events."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from chassis.errors import ValidationFailed
from services.enterprises import domain, schemas
from tests.stack import PROFILE_DAY, award, profile_of, registration, uscc_of


# -- registration ------------------------------------------------------------------

def test_registration_derives_place_and_computes_size_class():
    profile = profile_of()
    assert (profile["province_code"], profile["city_code"]) == ("110000", "110100")
    assert (profile["size_class"], profile["size_rule"]) == ("small", "industry")
    assert profile["figures_year"] == 2024  # last year's figures unless told
    assert profile["figures"] == {2024: {"employees": 40, "revenue": Decimal("1200.00"), "total_assets": None,
                                         "rd_expense": None, "ip_class1_count": None}}


def test_enterprise_founded_this_year_reports_this_years_figures():
    assert profile_of(registered_on="2025-03-01")["figures_year"] == 2025


@pytest.mark.parametrize("change, field", [
    ({"uscc": "91110105MA01B00010"}, "uscc"),       # check character wrong
    ({"uscc": "91110105MA01B000"}, "uscc"),          # too short
    ({"region_code": "110103"}, "region_code"),      # retired 2010
    ({"region_code": "119999"}, "region_code"),      # never issued
    ({"region_code": "110100"}, "region_code"),      # a city, not a county
    ({"industry_code": "Z99"}, "industry_code"),
    ({"industry_code": "C"}, "industry_code"),       # a section is too coarse
    ({"industry_code": "K70"}, "industry_code"),     # the size rules need the group
    ({"employees": -1}, "employees"),
    ({"employees": 20_000_000}, "employees"),        # absurd
    ({"revenue": -5}, "revenue"),
    ({"revenue": 10 ** 10}, "revenue"),
    ({"rd_expense": -1}, "rd_expense"),
    ({"ip_class1_count": -1}, "ip_class1_count"),
    ({"size_class": "micro"}, "size_class"),         # computed, never typed in
    ({"registered_on": "2999-01-01"}, "registered_on"),
    ({"figures_year": 2999}, "figures_year"),
    ({"legal_form": "corporation"}, "legal_form"),
    ({"contact": {"email": "not-an-address"}}, "contact"),
    ({"tiers": [{"tier": "little_giant", "level": "national", "awarded_on": "2024-01-01",
                 "expires_on": "2027-01-01"}]}, "tiers"),               # no certificate
    ({"tiers": [award(expires="2023-01-01")]}, "tiers"),                 # expires before awarded
    ({"tiers": [award(kind="little_giant", level="province")]}, "tiers"),  # 小巨人 is national
    ({"tiers": [award(kind="unicorn")]}, "tiers"),
    ({"tiers": [award(), award()]}, "tiers"),                             # same certificate twice
])
def test_bad_registration_names_the_field(change, field):
    with pytest.raises(ValidationError) as caught:
        schemas.EnterpriseRegistration().load(registration(**change))
    assert field in caught.value.messages


@pytest.mark.parametrize("change, field", [
    ({"industry_code": "E48"}, "total_assets"),      # construction reads total assets
    ({"industry_code": "K701"}, "total_assets"),
    ({"registered_on": "2020-05-01", "figures_year": 2019}, "figures_year"),
    ({"legal_form": "individual_business"}, "legal_form"),  # a 91… code is not an individual business
])
def test_registration_breaking_a_cross_field_rule_names_the_field(change, field):
    with pytest.raises(ValidationFailed) as caught:
        profile_of(**change)
    assert field in caught.value.details


def test_individual_business_is_recognised_from_its_credit_code():
    profile = profile_of(uscc=uscc_of("92110105MA01B0002"), industry_code="F52", employees=3, revenue=80)
    assert profile["legal_form"] == "individual_business"
    assert profile["size_rule"] == "retail:by_analogy"


def test_lower_case_codes_are_accepted_in_upper_case():
    data = schemas.EnterpriseRegistration().load(registration(uscc=uscc_of().lower(), industry_code="i65"))
    assert data["uscc"] == uscc_of() and data["industry_code"] == "I65"


def test_the_registration_schema_requires_the_identity_and_figures():
    with pytest.raises(ValidationError) as caught:
        schemas.EnterpriseRegistration().load({"name": "某公司"})
    assert {"uscc", "region_code", "industry_code", "employees", "revenue"} <= set(caught.value.messages)


# -- tiers ------------------------------------------------------------------------------

def test_a_tier_counts_from_award_to_expiry_inclusive():
    record = {"tier": "tech_sme", "awarded_on": date(2025, 1, 1), "expires_on": date(2025, 12, 31)}
    assert domain.active_tiers([record], date(2025, 1, 1)) == ["tech_sme"]
    assert domain.active_tiers([record], date(2025, 12, 31)) == ["tech_sme"]
    assert domain.active_tiers([record], date(2026, 1, 1)) == []
    assert domain.active_tiers([record], date(2024, 12, 31)) == []


def test_view_marks_expired_tiers_inactive():
    profile = profile_of(tiers=[award(), award(kind="tech_sme", awarded="2023-01-01", expires="2023-12-31", no="KJ-1")])
    shown = domain.view(profile, PROFILE_DAY)
    assert shown["active_tiers"] == ["specialized_sme"]
    assert {(t["tier"], t["active"]) for t in shown["tiers"]} == {("specialized_sme", True), ("tech_sme", False)}


# -- changes ------------------------------------------------------------------------------

def test_new_figures_that_cross_a_bound_change_the_size_class_and_say_so():
    stored = profile_of()
    changed_profile, changed = domain.apply_change(stored, {"employees": 350, "revenue": Decimal(2500)}, PROFILE_DAY)
    assert changed_profile["size_class"] == "medium"
    assert set(changed) == {"figures"}
    assert domain.size_class_changed_event(changed_profile, stored["size_class"]) == {
        "uscc": stored["uscc"], "region_code": "110105", "from": "small", "to": "medium",
        "size_rule": "industry", "figures_year": 2024}


def test_figures_for_a_new_year_become_the_latest_and_keep_the_history():
    stored = profile_of()
    profile, _ = domain.apply_change(stored, {"figures_year": 2025, "employees": 8, "revenue": Decimal(90)}, PROFILE_DAY)
    assert sorted(profile["figures"]) == [2024, 2025]
    assert (profile["figures_year"], profile["employees"], profile["size_class"]) == (2025, 8, "micro")


def test_a_new_year_needs_employees_and_revenue():
    with pytest.raises(ValidationFailed) as caught:
        domain.apply_change(profile_of(), {"figures_year": 2025, "employees": 8}, PROFILE_DAY)
    assert set(caught.value.details) == {"revenue"}


def test_changing_to_an_industry_whose_rule_reads_total_assets_needs_them():
    with pytest.raises(ValidationFailed) as caught:
        domain.apply_change(profile_of(), {"industry_code": "E48"}, PROFILE_DAY)
    assert "total_assets" in caught.value.details
    profile, changed = domain.apply_change(profile_of(), {"industry_code": "E48", "total_assets": Decimal(400)},
                                           PROFILE_DAY)
    assert (profile["size_class"], profile["size_rule"]) == ("small", "construction")


def test_moving_region_rederives_province_and_city():
    profile, changed = domain.apply_change(profile_of(), {"region_code": "320102"}, PROFILE_DAY)
    assert (profile["province_code"], profile["city_code"]) == ("320000", "320100")
    assert changed["region_code"] == ("110105", "320102")


def test_a_change_to_nothing_changes_nothing():
    stored = profile_of(tags=["出口"])
    _, changed = domain.apply_change(stored, {"tags": ["出口"], "employees": 40}, PROFILE_DAY)
    assert changed == {}


def test_updated_event_names_fields_but_keeps_contact_values_out():
    stored = profile_of()
    profile, changed = domain.apply_change(
        stored, {"contact": {"person": "张伟", "phone": "010-65001234"}, "park": "中关村软件园"}, PROFILE_DAY)
    event = domain.updated_event(profile, changed)
    assert event["changed"] == ["contact", "park"]
    assert event["changes"] == {"park": {"from": None, "to": "中关村软件园"}}


def test_tier_change_event_lists_what_was_added_and_removed():
    profile = profile_of()
    event = domain.tier_changed_event(profile, ["tech_sme"], ["innovative_sme", "tech_sme"], "edited")
    assert (event["added"], event["removed"], event["reason"]) == (["innovative_sme"], [], "edited")


def test_registered_event_keeps_the_fields_notifications_read():
    event = domain.registered_event(profile_of(), PROFILE_DAY)
    assert {"uscc", "name", "region_code", "industry_code"} <= set(event)


# -- size class as of a date --------------------------------------------------------------

def profile_with_years(*years):
    """Founded 2019-04-01; micro in 2020 and 2025 (15 people, 200 万元), medium in 2023 and 2026
    (320 people, 2600 万元), as filed for ``years``."""
    figures = {2020: (15, 200), 2023: (320, 2600), 2025: (15, 200), 2026: (320, 2600)}
    first, *rest = years
    profile = profile_of(registered_on="2019-04-01", figures_year=first, employees=figures[first][0],
                         revenue=figures[first][1])
    for year in rest:
        profile, _ = domain.apply_change(profile, {"figures_year": year, "employees": figures[year][0],
                                                   "revenue": Decimal(figures[year][1])}, date(2026, 12, 1))
    return profile


@pytest.mark.parametrize("as_of, size_class, year, reason", [
    # 2026-03-01 reads 上一年度 2025 (micro), not the 2026 figures on file (medium)
    (date(2026, 3, 1), "micro", 2025, None),
    (date(2024, 1, 2), "medium", 2023, None),
    (date(2021, 7, 1), "micro", 2020, None),
    # no 2021 figures: no class, and the answer names the year it needed
    (date(2022, 7, 1), None, 2021, "no figures on file for 2021, the year (上一年度) whose figures classify "
                                   "the enterprise on 2022-07-01"),
])
def test_size_class_as_of_a_date_uses_the_last_completed_years_figures_and_names_the_year(
        as_of, size_class, year, reason):
    """财库〔2020〕46号: size is declared with the previous year's (上一年度) figures."""
    answer = domain.size_class_as_of(profile_with_years(2020, 2023, 2025, 2026), as_of)
    assert (answer["size_class"], answer["figures_year"], answer["figures_basis"], answer["reason"]) == (
        size_class, year, "previous_year", reason)


def test_size_class_as_of_a_date_in_the_founding_year_uses_the_founding_years_figures():
    profile = profile_of(registered_on="2025-03-01", figures_year=2025, employees=15, revenue=200)
    answer = domain.size_class_as_of(profile, date(2025, 9, 1))
    assert (answer["size_class"], answer["figures_year"], answer["figures_basis"]) == ("micro", 2025,
                                                                                      "founding_year")


def test_financial_firm_is_registered_without_a_size_class_and_the_reason():
    profile = profile_of(industry_code="J69", employees=33, revenue=2900, total_assets=38000)
    assert (profile["size_class"], profile["size_rule"]) == (None, "financial:not_classified")
    portrait = domain.portrait(profile, PROFILE_DAY)
    assert (portrait["size_class"], portrait["size_rule"]["row"]) == (None, None)
    assert portrait["size_rule"]["reason"].startswith("not classified under 300号")
    answer = domain.size_class_as_of(profile, date(2025, 3, 1))
    assert (answer["size_class"], answer["size_rule"], answer["figures_year"]) == (
        None, "financial:not_classified", 2024)
    assert answer["reason"].startswith("not classified under 300号: financial firms (J 金融业) come under "
                                       "金融业企业划型标准规定 (银发〔2015〕309号)")


def test_size_class_before_the_founding_date_is_none_with_the_reason():
    answer = domain.size_class_as_of(profile_with_years(2020), date(2018, 1, 1))
    assert (answer["size_class"], answer["reason"]) == (None, "the enterprise was founded on 2019-04-01")


# -- portrait --------------------------------------------------------------------------------

def test_portrait_shows_the_region_chain_industry_and_figures_trend():
    profile = profile_of(rd_expense=60)
    profile, _ = domain.apply_change(profile, {"figures_year": 2025, "employees": 45, "revenue": Decimal(1500),
                                               "rd_expense": Decimal(90)}, PROFILE_DAY)
    portrait = domain.portrait(profile, PROFILE_DAY)
    assert [level["code"] for level in portrait["region"]] == ["110000", "110100", "110105"]
    assert portrait["industry"]["section_name"] == "制造业" and portrait["industry"]["division"] == "39"
    assert portrait["size_rule"]["row"] == 2
    trend = portrait["figures_trend"]
    assert [(y["year"], y["rd_ratio"], y["revenue_growth"]) for y in trend] == [(2024, 0.05, None), (2025, 0.06, 0.25)]


def test_whole_years_count_on_the_anniversary():
    assert domain.full_years(date(2020, 6, 15), PROFILE_DAY) == 5
    assert domain.full_years(date(2020, 6, 16), PROFILE_DAY) == 4


@pytest.mark.parametrize("start, years, reached", [
    (date(2024, 2, 29), 1, date(2025, 2, 28)),   # 民法典 第二百零二条: the month's last day
    (date(2024, 2, 29), 4, date(2028, 2, 29)),
    (date(2023, 3, 31), 1, date(2024, 3, 31)),
])
def test_full_years_from_29_february_end_on_the_last_day_of_february(start, years, reached):
    assert domain.anniversary(start, years) == reached
    assert domain.full_years(start, reached) == years
    assert domain.full_years(start, reached - timedelta(days=1)) == years - 1


def test_a_founding_date_after_figures_on_file_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        domain.apply_change(profile_of(), {"registered_on": date(2025, 1, 1)}, PROFILE_DAY)
    assert "registered_on" in caught.value.details
