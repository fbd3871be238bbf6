"""Object-, property- and function-level authorization through the gateway (OWASP API1, API3, API5).

One test per rule: each drives the running network as the caller it is about
and asserts what that caller gets.
"""
from datetime import date, timedelta

import pytest

from tests.stack import admission_known_to_requests, known_to_requests, provider_registration, registration

XIHU, GONGSHU, NANSHAN = "330106", "330105", "440305"  # 杭州西湖区, 杭州拱墅区, 深圳南山区
NO_ONE = {"tags": ["authorization-e2e-no-enterprise"]}
THIS_YEAR = date.today().year
# Answers compared word for word carry one correlation id (errors repeat it).
SAME_CORRELATION = {"X-Correlation-ID": "compared"}


@pytest.fixture(scope="module")
def agencies(api, token, agency_skeleton):
    """The skeleton's agencies the tests hand requests between, by region code."""
    def one(level, region):
        found = api.get(f"/api/v1/agencies?level={level}&region={region}").json()["items"]
        return found[0]
    return {"330106": one("county", XIHU), "330105": one("county", GONGSHU),
            "440305": one("county", NANSHAN), "330000": one("province", "33")}


def raise_request(api, token, uscc, region=XIHU, area="finance_talent"):
    answer = api.post("/api/v1/requests", token("enterprise", uscc), json={
        "service_area": area, "title": "融资需求", "description": "需要500万流动资金贷款", "region_code": region})
    assert answer.status_code == 201, answer.text
    return answer.json()


def register(api, token, uscc, region=XIHU, **fields):
    answer = api.post("/api/v1/enterprises", token("national_admin"),
                      json=registration(uscc, region_code=region, **fields))
    assert answer.status_code == 201, answer.text
    return answer.json()


def award(kind, level, certificate):
    awarded = date.today() - timedelta(days=30)
    return {"tier": kind, "certificate_no": certificate, "level": level, "awarded_on": awarded.isoformat(),
            "expires_on": (awarded + timedelta(days=3 * 365)).isoformat()}


def test_transfer_goes_only_to_an_active_agency_offering_the_area_within_the_holders_reach(
        api, token, new_uscc, agencies):
    request = raise_request(api, token, new_uscc(XIHU))
    staff = token("agency_staff", str(request["agency_id"]))
    path = f"/api/v1/requests/{request['id']}/transitions"

    def transfer(target_id):
        return api.post(path, staff, json={"action": "transfer", "reason": "转办", "target_agency_id": target_id})

    far = transfer(agencies["440305"]["id"])
    assert far.status_code == 422
    assert "outside the region 330100 of the holding agency or its parent" in \
        far.json()["error"]["details"]["target_agency_id"][0]
    station = api.post("/api/v1/agencies", token("county_admin", XIHU), json={
        "name": "西湖区培训服务站", "level": "station", "region_code": XIHU,
        "parent_id": request["agency_id"], "park": f"西湖培训园{new_uscc()[-6:]}", "service_areas": ["training"]})
    assert station.status_code == 201, station.text
    known_to_requests(station.json()["id"])
    wrong_area = transfer(station.json()["id"])
    assert wrong_area.status_code == 422
    assert "does not offer the service area finance_talent" in wrong_area.json()["error"]["details"]["target_agency_id"][0]
    assert api.get(f"/api/v1/requests/{request['id']}", staff).json()["agency_id"] == request["agency_id"]

    sibling = transfer(agencies["330105"]["id"])
    assert sibling.status_code == 200, sibling.text
    assert sibling.json()["agency_id"] == agencies["330105"]["id"]


def policy_draft(agency_id, region_code, title="西湖区中小企业数字化转型补贴办法"):
    return {"title": title, "issuer": "浙江省经济和信息化厅", "issuer_level": "province", "issued_on": "2026-02-01",
            "region_code": region_code, "service_area": "policy", "benefits": "补贴改造费用的30%",
            "full_text": "第一条 为支持中小企业数字化转型……", "criteria": NO_ONE, "agency_id": agency_id}


def test_a_policy_never_published_stays_private_to_its_regions_admins_whatever_its_state(
        api, token, new_uscc, agencies):
    admin = token("province_admin", "330000")
    created = api.post("/api/v1/policies", admin, json=policy_draft(agencies["330000"]["id"], "330000"))
    assert created.status_code == 201, created.text
    policy_id = created.json()["id"]
    withdrawn = api.post(f"/api/v1/policies/{policy_id}/withdraw", admin, json={"reason": "起草有误"})
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "withdrawn"

    for outsider in (None, token("enterprise", new_uscc(XIHU)), token("county_admin", XIHU),
                     token("province_admin", "440000")):
        hidden = api.get(f"/api/v1/policies/{policy_id}", outsider, headers=SAME_CORRELATION)
        assert hidden.status_code == 404
        assert hidden.json()["error"] == {"code": "not_found", "message": f"no policy with id {policy_id}",
                                          "details": {"policy_id": str(policy_id)}, "correlation_id": "compared"}
    listed = api.get("/api/v1/policies?state=withdrawn&page_size=100").json()
    assert policy_id not in [item["id"] for item in listed["items"]]
    assert api.get(f"/api/v1/policies/{policy_id}", admin).status_code == 200
    drafts = api.get("/api/v1/policies/drafts?page_size=100", admin).json()
    assert policy_id in [item["id"] for item in drafts["items"]]


def test_only_admins_at_the_issuers_level_or_above_within_its_region_act_on_a_policy(api, token, agencies):
    province = token("province_admin", "330000")
    county = token("county_admin", XIHU)
    created = api.post("/api/v1/policies", province, json=policy_draft(agencies["330000"]["id"], XIHU))
    assert created.status_code == 201, created.text
    policy_id = created.json()["id"]
    missing = api.post("/api/v1/policies/999999999/publish", county)

    for attempt in (lambda: api.post(f"/api/v1/policies/{policy_id}/publish", county),
                    lambda: api.patch(f"/api/v1/policies/{policy_id}", county, json={"benefits": "补贴改造费用的50%"}),
                    lambda: api.post(f"/api/v1/policies/{policy_id}/withdraw", county, json={"reason": "越级撤回"})):
        refused = attempt()
        assert refused.status_code == 404
        assert refused.json()["error"]["details"] == {"policy_id": str(policy_id)}
        assert missing.json()["error"]["message"].replace("999999999", str(policy_id)) == \
            refused.json()["error"]["message"]
    assert api.get(f"/api/v1/policies/{policy_id}", county).json()["state"] == "draft"
    published = api.post(f"/api/v1/policies/{policy_id}/publish", province)
    assert published.status_code == 200 and published.json()["state"] == "published"


def test_outside_its_scope_an_enterprise_answers_exactly_like_one_that_does_not_exist(api, token, new_uscc):
    uscc, unknown = new_uscc(NANSHAN), new_uscc(NANSHAN)
    register(api, token, uscc, region=NANSHAN)
    xihu = token("county_admin", XIHU)

    for method, path, body in (("PATCH", "/api/v1/enterprises/{}", {"park": "西湖科技园"}),
                               ("GET", "/api/v1/enterprises/{}", None),
                               ("GET", "/api/v1/enterprises/{}/size-class?as_of=2026-01-01", None)):
        outside = api.request(method, path.format(uscc), xihu, json=body, headers=SAME_CORRELATION)
        absent = api.request(method, path.format(unknown), xihu, json=body, headers=SAME_CORRELATION)
        assert (outside.status_code, absent.status_code) == (404, 404)
        assert outside.json() == {"error": {"code": "not_found", "message": f"no enterprise with uscc {uscc}",
                                            "details": {"uscc": uscc}, "correlation_id": "compared"}}
        assert absent.text.replace(unknown, uscc) == outside.text
        assert "4403" not in outside.text.replace(uscc, "")

    inside = new_uscc(XIHU)
    register(api, token, inside)
    taken_elsewhere = api.post("/api/v1/enterprises", xihu, json=registration(uscc, region_code=XIHU),
                               headers=SAME_CORRELATION)
    taken_here = api.post("/api/v1/enterprises", xihu, json=registration(inside, region_code=XIHU),
                          headers=SAME_CORRELATION)
    assert (taken_elsewhere.status_code, taken_here.status_code) == (409, 409)
    assert taken_elsewhere.text.replace(uscc, inside) == taken_here.text
    assert "4403" not in taken_elsewhere.text.replace(uscc, "")
    imported = api.post("/api/v1/enterprises/import", xihu, json={"format": "jsonl", "content": "\n".join(
        '{"uscc": "%s", "name": "杭州示例科技有限公司", "region_code": "330106", "industry_code": "C39", '
        '"employees": 40, "revenue": 1200}' % each for each in (uscc, inside))})
    assert imported.status_code == 200, imported.text
    first, second = imported.json()["rejected"]
    assert (first["errors"], second["errors"]) == ({"uscc": ["already registered"]}, {"uscc": ["already registered"]})


def test_a_province_system_writes_without_reading_and_an_empty_change_is_refused(api, token, new_uscc):
    uscc = new_uscc(XIHU)
    register(api, token, uscc, contact={"person": "王芳", "phone": "13900139000"})
    system = token("province_system", "33")

    written = api.patch(f"/api/v1/enterprises/{uscc}", system, json={"park": "西湖云谷"})
    assert written.status_code == 200, written.text
    assert set(written.json()) == {"uscc", "updated_at"}
    assert "13900139000" not in written.text
    again = api.patch(f"/api/v1/enterprises/{uscc}", system, json={"park": "西湖云谷"})
    assert again.status_code == 422
    assert again.json()["error"]["details"] == {"park": ["unchanged"]}
    empty = api.patch(f"/api/v1/enterprises/{uscc}", token("county_admin", XIHU), json={})
    assert empty.status_code == 422
    assert api.get(f"/api/v1/enterprises/{uscc}", system).status_code == 403


def test_tiers_are_awarded_only_by_their_issuing_authority_at_its_level(api, token, new_uscc):
    uscc = new_uscc(XIHU)
    register(api, token, uscc)
    path = f"/api/v1/enterprises/{uscc}"
    giant = award("little_giant", "national", "XJR-2026-0001")
    specialised = award("specialized_sme", "province", "ZJTX-33-2026-0001")

    assert api.patch(path, token("county_admin", XIHU), json={"tiers": [giant]}).status_code == 403
    assert api.patch(path, token("province_admin", "330000"), json={"tiers": [giant]}).status_code == 403
    assert api.patch(path, token("province_system", "33"), json={"tiers": [specialised]}).status_code == 403
    mislabelled = api.patch(path, token("province_admin", "330000"),
                            json={"tiers": [{**specialised, "level": "national"}]})
    assert mislabelled.status_code == 403
    assert "has level province, not national" in mislabelled.json()["error"]["details"]["tiers"][0]
    assert api.get(path, token("national_admin")).json()["tiers"] == []

    by_province = api.patch(path, token("province_admin", "330000"), json={"tiers": [specialised]})
    assert by_province.status_code == 200 and by_province.json()["active_tiers"] == ["specialized_sme"]
    by_nation = api.patch(path, token("national_admin"), json={"tiers": [specialised, giant]})
    assert by_nation.status_code == 200, by_nation.text
    assert by_nation.json()["active_tiers"] == ["little_giant", "specialized_sme"]
    science = api.patch(path, token("province_admin", "330000"),
                        json={"tiers": [specialised, giant, award("tech_sme", "province", "KJX-33-2026-01")]})
    assert science.status_code == 200 and "tech_sme" in science.json()["active_tiers"]


def test_past_figures_are_history_for_the_regions_admins_and_every_change_is_recorded(api, token, new_uscc):
    uscc = new_uscc(XIHU)
    register(api, token, uscc, registered_on="2015-03-01", figures_year=THIS_YEAR - 1)
    me = token("enterprise", uscc)
    path = f"/api/v1/enterprises/{uscc}"

    rewrite = api.patch(path, me, json={"figures_year": THIS_YEAR - 3, "employees": 900, "revenue": 90000})
    assert rewrite.status_code == 403
    assert rewrite.json()["error"]["details"] == {"figures_year": [f"you may state {THIS_YEAR - 1} and {THIS_YEAR}"]}
    assert api.patch(path, token("province_system", "33"),
                     json={"figures_year": THIS_YEAR - 3, "employees": 900, "revenue": 90000}).status_code == 403
    recent = api.patch(path, me, json={"figures_year": THIS_YEAR, "employees": 45, "revenue": 1300,
                                       "reason": "年中更新"})
    assert recent.status_code == 200, recent.text
    admin = token("county_admin", XIHU)
    unexplained = api.patch(path, admin, json={"figures_year": THIS_YEAR - 3, "employees": 30, "revenue": 800})
    assert unexplained.status_code == 422 and "reason" in unexplained.json()["error"]["details"]
    corrected = api.patch(path, admin, json={"figures_year": THIS_YEAR - 3, "employees": 30, "revenue": 800,
                                             "reason": "依据审计报告更正"})
    assert corrected.status_code == 200, corrected.text

    history = api.get(f"{path}/history", admin)
    assert history.status_code == 200, history.text
    entries = history.json()["items"]
    assert [(e["actor_role"], e["actor"], e["reason"]) for e in entries] == [
        ("county_admin", f"county_admin:{XIHU}", "依据审计报告更正"),
        ("enterprise", f"enterprise:{uscc}", "年中更新")]
    assert entries[0]["changes"]["figures"]["to"]["year"] == THIS_YEAR - 3
    assert entries[0]["changes"]["figures"]["from"] is None
    assert api.get(f"{path}/history", me).json()["total"] == 2
    assert api.get(f"{path}/history", token("enterprise", new_uscc(XIHU))).status_code == 404


def admitted_provider(api, token, new_uscc, region, area):
    uscc = new_uscc(region)
    created = api.post("/api/v1/providers", token("enterprise", uscc), json=provider_registration(
        uscc, region_code=region, contact={"person": "陈静", "phone": "0571-88880000"}))
    assert created.status_code == 201, created.text
    provider_id = created.json()["id"]
    assert api.post(f"/api/v1/providers/{provider_id}/applications", token("enterprise", uscc),
                    json={"service_area": area}).status_code == 201
    decided = api.post(f"/api/v1/providers/{provider_id}/decisions", token("county_admin", region),
                       json={"service_area": area, "decision": "admit", "reason": "材料齐全"})
    assert decided.status_code == 200, decided.text
    admission_known_to_requests(provider_id, area)   # a step naming it is checked against that copy
    return provider_id, uscc


def test_a_provider_named_on_a_request_is_admitted_where_the_request_is(api, token, new_uscc, agencies):
    request = raise_request(api, token, new_uscc(XIHU))
    staff = token("agency_staff", str(request["agency_id"]))
    path = f"/api/v1/requests/{request['id']}/transitions"
    elsewhere, _ = admitted_provider(api, token, new_uscc, "620102", "finance_talent")
    other_area, _ = admitted_provider(api, token, new_uscc, XIHU, "training")
    right, _ = admitted_provider(api, token, new_uscc, XIHU, "finance_talent")

    for provider_id, problem in ((elsewhere, "does not cover the region 330106"),
                                 (other_area, "is not admitted in the service area finance_talent"),
                                 (999999999, "no such provider")):
        refused = api.post(path, staff, json={"action": "accept", "provider_id": provider_id})
        assert refused.status_code == 422, refused.text
        assert problem in refused.json()["error"]["details"]["provider_id"][0]
    assert api.get(f"/api/v1/requests/{request['id']}", staff).json()["state"] == "assigned"
    accepted = api.post(path, staff, json={"action": "accept", "provider_id": right})
    assert accepted.status_code == 200 and accepted.json()["provider_id"] == right


def test_contact_details_and_decision_records_are_shown_by_role(api, token, new_uscc, agencies):
    expert = api.post("/api/v1/experts", token("county_admin", XIHU), json={
        "name": "钱塘", "organization": "浙江大学", "service_areas": ["finance_talent"], "region_code": XIHU,
        "phone": "13700137000", "email": "qiantang@example.cn"})
    assert expert.status_code == 201, expert.text
    expert_path = f"/api/v1/experts/{expert.json()['id']}"
    enterprise = token("enterprise", new_uscc(XIHU))
    seen = api.get(expert_path, enterprise).json()
    assert (seen["name"], seen["organization"], seen["service_areas"]) == ("钱塘", "浙江大学", ["finance_talent"])
    assert "phone" not in seen and "email" not in seen and "13700137000" not in str(seen)
    assert seen["contact_route"].startswith("through the agency")
    listed = api.get("/api/v1/experts?region=330106&page_size=100", enterprise).json()["items"]
    assert all("phone" not in item and "email" not in item for item in listed)
    for reader in (token("county_admin", XIHU), token("agency_staff", str(agencies["330106"]["id"]))):
        assert api.get(expert_path, reader).json()["phone"] == "13700137000"

    provider_id, provider_uscc = admitted_provider(api, token, new_uscc, XIHU, "finance_talent")
    assert api.post(f"/api/v1/providers/{provider_id}/applications", token("enterprise", provider_uscc),
                    json={"service_area": "training"}).status_code == 201
    assert api.post(f"/api/v1/providers/{provider_id}/decisions", token("county_admin", XIHU), json={
        "service_area": "training", "decision": "reject", "reason": "培训资质不足"}).status_code == 200
    provider_path = f"/api/v1/providers/{provider_id}"
    for outsider in (enterprise, token("agency_staff", str(agencies["330106"]["id"])),
                     token("county_admin", NANSHAN)):
        shown = api.get(provider_path, outsider).json()
        assert "contact" not in shown and "decisions" not in shown and "0571-88880000" not in str(shown)
        assert [(m["service_area"], m["state"]) for m in shown["memberships"]] == [("finance_talent", "admitted")]
    assert api.get("/api/v1/providers?state=rejected", enterprise).status_code == 403
    whole = api.get(provider_path, token("county_admin", XIHU)).json()
    assert whole["contact"]["phone"] == "0571-88880000"
    assert {m["state"] for m in whole["memberships"]} == {"admitted", "rejected"}
    assert "培训资质不足" in [d["reason"] for d in whole["decisions"]]


@pytest.mark.parametrize("role, claim", [("province_admin", "000000"), ("province_admin", "330100"),
                                         ("city_admin", "330000"), ("county_admin", "330100")])
def test_a_region_claim_that_does_not_fit_the_role_is_refused(api, token, role, claim):
    law = {"title": "中小企业促进法（示例）", "category": "law", "issuer": "全国人大常委会",
           "issued_on": "2017-09-01", "region_code": "000000"}
    refused = api.post("/api/v1/laws", token(role, claim), json=law)
    assert refused.status_code == 401
    assert "significant digits" in refused.json()["error"]["message"]
    assert api.get("/api/v1/laws", token(role, claim)).status_code == 401
    fitting = {"province_admin": "330000", "city_admin": "330100", "county_admin": XIHU}[role]
    assert api.post("/api/v1/laws", token(role, fitting), json=law).status_code == 403
