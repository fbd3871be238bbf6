"""Who a request may be handed to: transfer targets and named providers (services.requests.recipients)."""
import pytest

from chassis.errors import ValidationFailed
from services.requests import recipients

XIHU = {"id": 1, "region_code": "330106", "active": True, "service_areas": ["policy", "training"]}
HANGZHOU = {"id": 2, "region_code": "330100", "active": True, "service_areas": ["policy"]}
NATION = {"id": 9, "region_code": "000000", "active": True, "service_areas": ["policy"]}


def agency(region, active=True, areas=("policy",)):
    return {"id": 7, "region_code": region, "active": active, "service_areas": list(areas)}


@pytest.mark.parametrize("target, holder, parent, problem", [
    (agency("330105"), XIHU, HANGZHOU, None),                               # sibling county, same city
    (agency("330100"), XIHU, HANGZHOU, None),                               # the parent itself
    (agency("330106"), XIHU, HANGZHOU, None),                               # a station of the holder's county
    (agency("330205"), XIHU, HANGZHOU, "outside the region 330100"),        # another city
    (agency("440305"), XIHU, HANGZHOU, "outside the region 330100"),        # another province
    (agency("000000"), XIHU, HANGZHOU, "outside the region 330100"),        # up is escalation
    (agency("330105", active=False), XIHU, HANGZHOU, "not active"),
    (agency("330105", areas=("training",)), XIHU, HANGZHOU, "does not offer the service area policy"),
    (agency("440305"), HANGZHOU, {"id": 3, "region_code": "330000"}, "outside the region 330000"),
    (agency("440305"), NATION, None, None),                                 # the national agency reaches all
])
def test_a_transfer_goes_to_an_active_agency_offering_the_area_within_the_holders_or_parents_region(
        target, holder, parent, problem):
    found = recipients.transfer_problem(target, holder, parent, "policy")
    assert found is None if problem is None else problem in found


def provider(region, **areas):
    return {"id": 5, "region_code": region,
            "memberships": [{"service_area": area, "state": state} for area, state in areas.items()]}


@pytest.mark.parametrize("named, problem", [
    (provider("330106", finance_talent="admitted"), None),
    (provider("330000", finance_talent="admitted"), None),                  # a provincial provider covers it
    (provider("000000", finance_talent="admitted"), None),
    (provider("330105", finance_talent="admitted"), "does not cover the region 330106"),
    (provider("620102", finance_talent="admitted"), "does not cover the region 330106"),
    (provider("330106", training="admitted"), "not admitted in the service area finance_talent"),
    (provider("330106", finance_talent="exited"), "not admitted"),
    (provider("330106", finance_talent="applied"), "not admitted"),
])
def test_a_named_provider_is_admitted_in_the_requests_area_and_covers_its_region(named, problem):
    request = {"service_area": "finance_talent", "region_code": "330106"}
    found = recipients.provider_problem(named, request)
    assert found is None if problem is None else problem in found
    if problem:
        with pytest.raises(ValidationFailed):
            recipients.check_provider(named, request)
