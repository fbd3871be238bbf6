"""Policies over HTTP: drafting in one's region, publishing, public reading, withdrawal.

The policies' criteria carry a tag no enterprise has, so no notice reaches the
enterprises other suites register.
"""
import pytest

NO_ONE = {"tags": ["agencies-e2e-no-enterprise"]}


@pytest.fixture(scope="module")
def gansu(api, token):
    api.post("/api/v1/agencies/skeleton", token("national_admin"))
    return api.get("/api/v1/agencies?level=province&region=62").json()["items"][0]


def draft(agency_id, **overrides):
    body = {"title": "甘肃省支持专精特新中小企业发展若干措施", "issuer": "甘肃省工业和信息化厅",
            "issuer_level": "province", "document_number": "甘工信发〔2026〕1号", "issued_on": "2026-01-15",
            "region_code": "620000", "service_area": "cultivation", "benefits": "对认定企业给予奖励",
            "criteria": {**NO_ONE, "tiers": ["specialized_sme"]}, "agency_id": agency_id}
    body.update(overrides)
    return body


def test_draft_is_private_until_published_then_public_and_withdrawn_cannot_return(api, token, gansu):
    admin = token("province_admin", "620000")
    created = api.post("/api/v1/policies", admin, json=draft(gansu["id"]))
    assert created.status_code == 201, created.text
    policy_id = created.json()["id"]
    assert api.get(f"/api/v1/policies/{policy_id}").status_code == 404
    assert policy_id in [p["id"] for p in api.get("/api/v1/policies/drafts", admin).json()["items"]]
    assert policy_id not in [p["id"] for p in
                             api.get("/api/v1/policies/drafts", token("province_admin", "650000")).json()["items"]]
    published = api.post(f"/api/v1/policies/{policy_id}/publish", admin)
    assert published.status_code == 200 and published.json()["state"] == "published"
    public = api.get(f"/api/v1/policies/{policy_id}")
    assert public.status_code == 200 and public.json()["document_number"] == "甘工信发〔2026〕1号"
    assert policy_id in [p["id"] for p in api.get("/api/v1/policies?region=620102").json()["items"]]
    assert policy_id not in [p["id"] for p in api.get("/api/v1/policies?region=650102").json()["items"]]
    reach = api.get(f"/api/v1/policies/{policy_id}/reach", admin)
    assert reach.status_code == 200 and reach.json()["count"] == reach.json()["matching_enterprises"] == 0
    assert api.post(f"/api/v1/policies/{policy_id}/withdraw", admin, json={"reason": "被新措施替代"}).status_code == 200
    again = api.post(f"/api/v1/policies/{policy_id}/publish", admin)
    assert again.status_code == 409
    assert "withdrawn" in again.json()["error"]["details"]["state"][0]
    assert api.get(f"/api/v1/policies/{policy_id}").json()["state"] == "withdrawn"


def test_unknown_criteria_fields_and_codes_are_422_naming_each_and_nothing_is_stored(api, token, gansu):
    admin = token("province_admin", "620000")
    before = api.get("/api/v1/policies/drafts", admin).json()["total"]
    refused = api.post("/api/v1/policies", admin, json=draft(
        gansu["id"], criteria={"tiers": ["unicorn"], "industry_codes": ["Z99"], "favourite_colour": "red"}))
    assert refused.status_code == 422
    assert {"criteria.tiers", "criteria.industry_codes", "criteria.favourite_colour"} <= \
        set(refused.json()["error"]["details"])
    assert api.get("/api/v1/policies/drafts", admin).json()["total"] == before


def test_policy_outside_the_admins_region_is_403_and_beyond_the_publisher_is_422(api, token, gansu):
    admin = token("city_admin", "620100")
    assert api.post("/api/v1/policies", admin, json=draft(gansu["id"])).status_code == 403
    lanzhou = api.get("/api/v1/agencies?level=city&region=6201").json()["items"][0]
    county_scope = api.post("/api/v1/policies", token("province_admin", "620000"),
                            json=draft(lanzhou["id"], region_code="620000"))
    assert county_scope.status_code == 422
    assert "exceeds the region" in county_scope.json()["error"]["details"]["region_code"][0]
