"""Who may change tiers and past figures (services.enterprises.authority)."""
from datetime import date

import pytest

from chassis.errors import Forbidden, ValidationFailed
from services.enterprises import authority


def award(tier, level, certificate="C-1", awarded="2025-06-01"):
    return {"tier": tier, "certificate_no": certificate, "level": level, "awarded_on": date.fromisoformat(awarded),
            "expires_on": date(2028, 6, 1)}


@pytest.mark.parametrize("role, tier, level, problem", [
    ("national_admin", "little_giant", "national", None),
    ("province_admin", "little_giant", "national", "little_giant is awarded by national_admin"),
    ("county_admin", "little_giant", "national", "not by a county_admin"),
    ("province_admin", "specialized_sme", "province", None),
    ("national_admin", "specialized_sme", "national", None),
    ("province_admin", "specialized_sme", "national", "has level province, not national"),
    ("city_admin", "specialized_sme", "city", "not by a city_admin"),
    ("province_admin", "innovative_sme", "province", None),
    ("province_admin", "tech_sme", "province", None),
    ("national_admin", "tech_sme", "national", "tech_sme is awarded by province_admin"),
    ("province_system", "tech_sme", "province", "not by a province_system"),
])
def test_a_tier_is_awarded_by_its_issuing_authority_at_its_level(role, tier, level, problem):
    problems = authority.award_problems(role, [], [award(tier, level)])
    assert problems == [] if problem is None else problem in problems[0]


def test_withdrawing_or_changing_an_award_is_for_its_authority_and_untouched_awards_pass():
    giant, tech = award("little_giant", "national", "G-1"), award("tech_sme", "province", "T-1")
    assert authority.award_problems("province_admin", [giant], [giant, tech]) == []
    assert "little_giant" in authority.award_problems("province_admin", [giant, tech], [tech])[0]
    moved = dict(giant, expires_on=date(2030, 1, 1))
    assert "little_giant" in authority.award_problems("province_admin", [giant], [moved])[0]
    with pytest.raises(Forbidden):
        authority.check_awards({"role": "county_admin"}, [], [giant])
    authority.check_awards(None, [], [giant])  # internal callers are trusted


ON = date(2026, 7, 1)
STORED = {"figures": {2024: {}, 2025: {}}}


@pytest.mark.parametrize("role, change, refusal", [
    ("enterprise", {"figures_year": 2025, "employees": 5}, None),
    ("enterprise", {"figures_year": 2026, "employees": 5, "revenue": 10}, None),
    ("enterprise", {"employees": 5}, None),                                   # latest year on file: 2025
    ("enterprise", {"figures_year": 2024, "employees": 5}, Forbidden),
    ("province_system", {"figures_year": 2023, "employees": 5}, Forbidden),
    ("county_admin", {"figures_year": 2024, "employees": 5}, ValidationFailed),  # needs a reason
    ("county_admin", {"figures_year": 2024, "employees": 5, "reason": "审计更正"}, None),
    ("enterprise", {"park": "园区"}, None),                                    # no figures at all
])
def test_figures_before_the_last_completed_year_are_for_admins_with_a_reason(role, change, refusal):
    actor = {"role": role, "subject": "s"}
    if refusal is None:
        authority.check_figures_year(actor, STORED, change, ON)
    else:
        with pytest.raises(refusal):
            authority.check_figures_year(actor, STORED, change, ON)
