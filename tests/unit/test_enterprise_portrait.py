"""The gateway's portrait (精准画像): parts fetched in parallel; a missing part degrades, never fails."""
import pytest
from nameko.exceptions import MethodNotFound

from gateway.api import Call, NotFound, ServiceUnavailable
from gateway.auth import Principal
from gateway.routes.enterprises import EnterpriseRoutes

USCC = "91110105MA01A00012"


class Stub:
    """A service proxy whose methods are the given functions."""

    def __init__(self, **methods):
        self.__dict__.update(methods)


def missing(name):
    def call(*args):
        raise MethodNotFound(name)
    return call


def unavailable(*args):
    raise ServiceUnavailable("the requests service did not answer within 5s", {"service": "requests"})


PARTICIPATION = {"registered": 1, "waitlisted": 0, "attended": 1, "ratings": 1, "average_rating_given": 5.0,
                 "kinds": {"law_outreach": 1}, "recent": []}


def gateway(policies=None, counts=None, matched=("1",), participation=None):
    routes = EnterpriseRoutes()
    routes.enterprises = Stub(
        portrait=lambda uscc: {"uscc": uscc, "region_code": "110105", "size_class": "small"},
        matches=lambda uscc, by_id: [key for key in matched if key in by_id])
    routes.requests = Stub(counts_for_enterprise=counts or (lambda uscc: {"submitted": 2}))
    routes.activities = Stub(participation=participation or (lambda uscc: PARTICIPATION))
    routes.agencies = Stub(policies_for_region=policies or (lambda region: [
        {"id": 1, "title": "研发奖励", "criteria": {"tiers": ["specialized_sme"]}},
        {"id": 2, "title": "技改补助", "criteria": None}]))
    return routes


def portrait(routes, principal=Principal("me", "enterprise", USCC), uscc=USCC):
    return routes.enterprise_portrait(Call(principal=principal), uscc)


def test_portrait_lists_the_policies_whose_criteria_the_enterprise_meets():
    answer = portrait(gateway())
    assert answer["policies"] == [{"id": 1, "title": "研发奖励"}]
    assert answer["requests"] == {"submitted": 2} and answer["unavailable"] == {}
    assert answer["activities"] == PARTICIPATION


def test_portrait_without_the_activities_service_says_so_and_keeps_the_rest():
    answer = portrait(gateway(participation=missing("participation")))
    assert answer["activities"] is None
    assert "does not offer it yet" in answer["unavailable"]["activities"]
    assert answer["requests"] == {"submitted": 2}


def test_portrait_without_the_policy_lookup_says_so_and_keeps_the_rest():
    answer = portrait(gateway(policies=missing("policies_for_region")))
    assert answer["policies"] is None
    assert "does not offer it yet" in answer["unavailable"]["policies"]
    assert answer["size_class"] == "small" and answer["requests"] == {"submitted": 2}


def test_portrait_without_request_counts_says_so_and_keeps_the_rest():
    answer = portrait(gateway(counts=unavailable))
    assert answer["requests"] is None
    assert answer["unavailable"] == {"requests": "the requests service did not answer within 5s"}
    assert answer["policies"] == [{"id": 1, "title": "研发奖励"}]


def test_portrait_of_another_enterprise_is_not_found():
    with pytest.raises(NotFound):
        portrait(gateway(), uscc="91110105MA01A0002X")


def test_portrait_outside_a_county_admins_region_is_not_found():
    with pytest.raises(NotFound):
        portrait(gateway(), principal=Principal("admin", "county_admin", "110106"))
    assert portrait(gateway(), principal=Principal("admin", "city_admin", "110100"))["uscc"] == USCC
