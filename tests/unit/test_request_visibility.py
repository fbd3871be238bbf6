"""Who sees which request: the requests service's one rule (services.requests.visibility)."""
import pytest

from chassis.errors import Forbidden, NotFound
from services.requests import visibility

REQUEST = {"id": "r1", "uscc": "91110105MA01ABCD2X", "region_code": "110105", "agency_id": 7}


def actor(role, scope):
    return {"role": role, "scope": scope, "subject": "someone"}


@pytest.mark.parametrize("who, escalated_by, seen", [
    (actor("national_admin", "000000"), None, True),
    (actor("system", None), None, True),
    (actor("province_admin", "110000"), None, True),
    (actor("city_admin", "110100"), None, True),
    (actor("county_admin", "110105"), None, True),
    (actor("county_admin", "110108"), None, False),
    (actor("province_admin", "120000"), None, False),
    (actor("agency_staff", "7"), None, True),
    (actor("agency_staff", "8"), None, False),
    (actor("agency_staff", "8"), 8, True),
    (actor("agency_staff", "9"), 8, False),
    (actor("enterprise", "91110105MA01ABCD2X"), None, True),
    (actor("enterprise", "9111 0105MA01ABCD2X"), None, True),
    (actor("enterprise", "91110108MA01ABCD3Y"), None, False),
])
def test_a_request_is_seen_by_its_enterprise_its_agency_the_one_that_escalated_it_and_its_regions_admins(
        who, escalated_by, seen):
    assert visibility.sees(who, REQUEST, lambda agency_id: agency_id == escalated_by) is seen


def test_an_agency_that_escalated_a_request_is_found_in_its_history():
    history = [{"action": "assign", "from_agency_id": None}, {"action": "escalate", "from_agency_id": 8},
               {"action": "transfer", "from_agency_id": 5}]
    escalated_by = visibility.escalated_in(history)
    assert escalated_by(8) and not escalated_by(5)


@pytest.mark.parametrize("who, scope", [
    (actor("national_admin", "000000"), {"all": True}),
    (actor("province_admin", "320000"), {"region_prefix": "32"}),
    (actor("city_admin", "320500"), {"region_prefix": "3205"}),
    (actor("county_admin", "320505"), {"region_prefix": "320505"}),
    (actor("agency_staff", "12"), {"agency_id": 12}),
    (actor("enterprise", "91110105ma01abcd2x"), {"uscc": "91110105MA01ABCD2X"}),
])
def test_a_callers_list_is_filtered_by_its_scope(who, scope):
    assert visibility.scope_of(who) == scope


def test_a_role_that_sees_no_requests_is_refused():
    with pytest.raises(Forbidden):
        visibility.scope_of(actor("lead_firm", "3"))


def test_an_unseen_request_answers_as_a_missing_one():
    error = visibility.missing("r1")
    assert isinstance(error, NotFound) and str(error) == "no request with id r1"
