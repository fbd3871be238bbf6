"""Policy rules: lifecycle, scope against the publisher's region, effective eligibility."""
from datetime import date

import pytest

from chassis.errors import Conflict, ValidationFailed
from services.agencies import policies


def policy(state="draft", region_code="320000", criteria=None, expires_on=None):
    return {"id": 7, "agency_id": 2, "title": "专精特新措施", "state": state, "region_code": region_code,
            "criteria": criteria or {}, "expires_on": expires_on, "issued_on": date(2026, 1, 1),
            "document_number": None, "service_area": "cultivation", "benefits": "奖励",
            "issuer": "江苏省工信厅", "full_text": ""}


JIANGSU = {"id": 2, "name": "江苏省中小企业服务中心", "region_code": "320000", "region_prefix": "32"}


@pytest.mark.parametrize("state, action, result", [
    ("draft", "publish", "published"),
    ("draft", "withdraw", "withdrawn"),
    ("published", "withdraw", "withdrawn"),
    ("published", "expire", "expired"),
    ("withdrawn", "publish", Conflict),
    ("expired", "publish", Conflict),
    ("published", "publish", Conflict),
    ("expired", "withdraw", Conflict),
    ("draft", "expire", Conflict),
])
def test_policy_decision_moves_it_to_its_state_or_is_refused(state, action, result):
    if result is Conflict:
        with pytest.raises(Conflict) as caught:
            policies.next_state(policy(state), action)
        assert state in caught.value.details["state"][0]
    else:
        assert policies.next_state(policy(state), action) == result


def test_only_drafts_are_edited():
    policies.check_editable(policy("draft"))
    with pytest.raises(Conflict):
        policies.check_editable(policy("published"))


def test_an_expired_date_cannot_be_published():
    with pytest.raises(ValidationFailed) as caught:
        policies.check_publishable(policy(expires_on=date(2026, 1, 31)), date(2026, 2, 1))
    assert "expires_on" in caught.value.details
    policies.check_publishable(policy(expires_on=date(2026, 2, 1)), date(2026, 2, 1))


@pytest.mark.parametrize("region_code, prefixes, fields", [
    ("320000", [], set()),
    ("320102", ["320102"], set()),
    ("000000", [], {"region_code"}),
    ("110000", [], {"region_code"}),
    ("320000", ["11"], {"criteria.region_prefixes"}),
    ("320100", ["32"], {"criteria.region_prefixes"}),
])
def test_scope_may_not_exceed_the_publishers_region(region_code, prefixes, fields):
    found = policies.scope_problems(policy(region_code=region_code, criteria={"region_prefixes": prefixes}), JIANGSU)
    assert set(found) == fields


@pytest.mark.parametrize("region_code, criteria, effective", [
    ("000000", {}, {}),
    ("320000", {"tiers": ["little_giant"]}, {"tiers": ["little_giant"], "region_prefixes": ["32"]}),
    ("320102", {}, {"region_prefixes": ["320102"]}),
    ("320000", {"region_prefixes": ["3201"]}, {"region_prefixes": ["3201"]}),
])
def test_effective_criteria_apply_the_scope(region_code, criteria, effective):
    assert policies.effective_criteria(policy(region_code=region_code, criteria=criteria)) == effective


def test_only_published_policies_are_found_by_search():
    assert policies.search_document(policy("published"))["visible"] is True
    assert policies.search_document(policy("draft"))["visible"] is False
