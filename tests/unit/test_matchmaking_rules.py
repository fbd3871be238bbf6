"""Pure rules of the matchmaking boards: suggestions' reasons, the order of outcomes, offers on
open needs only, funding outcomes and days to funding."""
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from chassis.errors import Conflict, ValidationFailed
from services.activities import boards, matchmaking
from services.activities.schemas import CHINA

NEED = {"id": 4, "industry_codes": ["C36", "C38"], "region_prefixes": ["3401"], "size_classes": ["small"],
        "tiers": ["specialized_sme", "little_giant"], "state": "open", "deadline": date(2026, 12, 31)}


@pytest.mark.parametrize("enterprise, reasons", [
    ({"industry_code": "C3670", "region_code": "340104", "size_class": "small", "active_tiers": ["little_giant"]},
     ["所属行业C3670属于需求行业汽车制造业（C36）", "注册地340104位于需求地区合肥市", "企业规模为小型企业，符合需求偏好",
      "现为专精特新\"小巨人\"企业，符合需求偏好"]),
    ({"industry_code": "C3831", "region_code": "340104", "size_class": "medium", "active_tiers": []},
     ["所属行业C3831属于需求行业电气机械和器材制造业（C38）", "注册地340104位于需求地区合肥市"]),
])
def test_suggestion_gives_one_reason_per_wish_met(enterprise, reasons):
    suggested = matchmaking.suggestion(NEED, {"uscc": "X", "name": "某企业", **enterprise})
    assert (suggested["reasons"], suggested["score"]) == (reasons, len(reasons))


def offer(state="shortlisted", outcome=None):
    return {"id": 8, "state": state, "outcome": outcome}


@pytest.mark.parametrize("current, outcome", [
    (None, "contacted"), (None, "contracted"), ("contacted", "sampled"), ("sampled", "contracted"),
    ("contacted", "declined"), ("sampled", "declined"),
])
def test_outcomes_move_forward(current, outcome):
    matchmaking.check_outcome(offer(outcome=current), outcome)


@pytest.mark.parametrize("given, outcome, message", [
    (offer(state="offered"), "contacted", "not shortlisted"),
    (offer(outcome="sampled"), "contacted", "does not come after"),
    (offer(outcome="contacted"), "contacted", "does not come after"),
    (offer(outcome="contracted"), "declined", "already contracted"),
    (offer(outcome="declined"), "contacted", "already declined"),
])
def test_outcomes_never_go_back_or_past_a_final_one(given, outcome, message):
    with pytest.raises(Conflict, match=message):
        matchmaking.check_outcome(given, outcome)


@pytest.mark.parametrize("need, today, message", [
    ({**NEED, "state": "closed"}, date(2026, 12, 1), "takes no offers"),
    (NEED, date(2027, 1, 1), "took offers until 2026-12-31"),
])
def test_offers_only_on_open_needs_before_the_deadline(need, today, message):
    with pytest.raises(Conflict, match=message):
        matchmaking.check_open_for_offers(need, today)


POSTED = datetime(2026, 11, 2, 23, 30, tzinfo=CHINA)  # 2026-11-02 in China, 15:30 UTC
FINANCING = {"id": 6, "state": "accepted", "posted_at": POSTED.astimezone(CHINA)}


def test_days_to_funding_count_from_the_day_the_need_was_posted_in_china():
    outcome = matchmaking.funding_outcome(FINANCING, {"funded": True, "amount": Decimal("300"),
                                                      "funded_on": date(2026, 11, 20), "note": ""},
                                          date(2026, 12, 1))
    assert (outcome["outcome"], outcome["days_to_funding"], outcome["funded_amount"]) == ("funded", 18, Decimal("300"))


def test_not_funded_records_no_amount_or_days():
    outcome = matchmaking.funding_outcome(FINANCING, {"funded": False, "note": "抵押物不足"}, date(2026, 12, 1))
    assert (outcome["outcome"], outcome["funded_amount"], outcome["days_to_funding"]) == ("not_funded", None, None)


@pytest.mark.parametrize("need, funded_on, error", [
    ({**FINANCING, "state": "open"}, date(2026, 11, 20), Conflict),
    ({**FINANCING, "state": "closed"}, date(2026, 11, 20), Conflict),
    (FINANCING, date(2026, 11, 1), ValidationFailed),   # before it was posted
    (FINANCING, date(2026, 12, 2), ValidationFailed),   # in the future
])
def test_funding_outcome_needs_an_accepted_offer_and_a_plausible_day(need, funded_on, error):
    with pytest.raises(error):
        matchmaking.funding_outcome(need, {"funded": True, "amount": Decimal("1"), "funded_on": funded_on,
                                           "note": ""}, date(2026, 12, 1))


BANK = {"provider_id": 3, "region_code": "340100"}
VISIBLE = {"uscc": "91340104MA0000001X", "provider_prefix": "3401", "provider_id": 3}


@pytest.mark.parametrize("need, seen", [
    ({"uscc": "SME-A", "region_code": "340104", "state": "open"}, True),       # open, in the bank's city
    ({"uscc": "SME-A", "region_code": "340104", "state": "accepted"}, False),  # taken, and it did not offer
    ({"uscc": "SME-B", "region_code": "440305", "state": "open"}, False),      # another province
    ({"uscc": "91340104MA0000001X", "region_code": "440305", "state": "closed"}, True),  # its own need
])
def test_a_finance_provider_sees_open_needs_of_its_region_and_its_own(need, seen):
    assert boards.provider_prefix(BANK) == "3401"
    assert boards.sees(need, VISIBLE) is seen
