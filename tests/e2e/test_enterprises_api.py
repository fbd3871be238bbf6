"""The SME database through the gateway: who sees and edits what, queries, import, portrait."""
import json
from datetime import date, timedelta

import pytest
from tests.stack import register_over_http, registration



def tier(kind="specialized_sme", level="province", certificate="ZJTX-2024-0001"):
    awarded = date.today() - timedelta(days=60)
    return {"tier": kind, "certificate_no": certificate, "level": level, "awarded_on": awarded.isoformat(),
            "expires_on": (awarded + timedelta(days=3 * 365)).isoformat()}


@pytest.fixture(scope="module")
def chaoyang_agency(api, token):
    """The county agency of 北京市朝阳区 (110105), from the agency skeleton."""
    assert api.post("/api/v1/agencies/skeleton", token("national_admin")).status_code in (200, 201)
    found = api.get("/api/v1/agencies?level=county&region=110105").json()["items"]
    return found[0]


def test_enterprise_sees_and_edits_only_itself_and_only_its_own_fields(api, token, new_uscc):
    uscc, other = new_uscc("110105"), new_uscc("110105")
    register_over_http(api, token, uscc, contact={"person": "张伟", "phone": "13800138000"}, tiers=[tier()])
    register_over_http(api, token, other)
    me = token("enterprise", uscc)

    mine = api.get(f"/api/v1/enterprises/{uscc}", me).json()
    assert (mine["contact"]["person"], mine["size_class"], mine["active_tiers"]) == ("张伟", "small", ["specialized_sme"])
    grown = api.patch(f"/api/v1/enterprises/{uscc}", me, json={"employees": 320, "revenue": 2500})
    assert grown.status_code == 200 and grown.json()["size_class"] == "medium"

    assert api.patch(f"/api/v1/enterprises/{uscc}", me, json={"tiers": []}).status_code == 403
    assert "tags" in api.patch(f"/api/v1/enterprises/{uscc}", me, json={"tags": ["x"]}).json()["error"]["details"]
    read_only = api.patch(f"/api/v1/enterprises/{uscc}", me, json={"size_class": "micro"})
    assert read_only.status_code == 422 and "size_class" in read_only.json()["error"]["details"]
    assert api.patch(f"/api/v1/enterprises/{other}", me, json={"employees": 1}).status_code == 404
    assert api.get(f"/api/v1/enterprises/{other}", me).status_code == 404
    assert api.get("/api/v1/enterprises", me).status_code == 403


def test_admins_and_agency_staff_see_their_area_and_only_admins_see_contact(api, token, new_uscc, chaoyang_agency):
    uscc = new_uscc("110105")
    register_over_http(api, token, uscc, contact={"person": "李娜", "email": "lina@example.cn"})
    staff = token("agency_staff", str(chaoyang_agency["id"]))

    by_staff = api.get(f"/api/v1/enterprises/{uscc}", staff)
    assert by_staff.status_code == 200 and "contact" not in by_staff.json()
    assert api.get(f"/api/v1/enterprises/{uscc}", token("city_admin", "110100")).json()["contact"]["person"] == "李娜"
    assert api.get(f"/api/v1/enterprises/{uscc}", token("province_admin", "320000")).status_code == 404
    assert api.patch(f"/api/v1/enterprises/{uscc}", staff, json={"park": "望京"}).status_code == 403
    moved_out = api.patch(f"/api/v1/enterprises/{uscc}", token("county_admin", "110105"),
                          json={"region_code": "110108"})
    assert moved_out.status_code == 403
    assert api.patch(f"/api/v1/enterprises/{uscc}", token("county_admin", "110106"),
                     json={"park": "丰台科技园"}).status_code == 404


def test_search_and_counts_stay_within_the_callers_area(api, token, new_uscc, chaoyang_agency):
    tag = f"e2e-{new_uscc()[-8:]}"
    register_over_http(api, token, new_uscc("110105"), name="北京专精特新传感器有限公司", tags=[tag])
    register_over_http(api, token, new_uscc("110105"), name="北京望京软件有限公司", industry_code="I65", tags=[tag])
    register_over_http(api, token, new_uscc("320102"), region="320102", name="南京专精特新材料有限公司", tags=[tag])

    national = api.get(f"/api/v1/enterprises?tag={tag}&name=专精特新&page_size=10", token("national_admin")).json()
    assert sorted(item["name"] for item in national["items"]) == ["北京专精特新传感器有限公司", "南京专精特新材料有限公司"]
    staff = token("agency_staff", str(chaoyang_agency["id"]))
    seen = api.get(f"/api/v1/enterprises?tag={tag}", staff).json()
    assert seen["total"] == 2
    beijing = api.post("/api/v1/enterprises/criteria/count", token("province_admin", "110000"),
                       json={"tags": [tag], "industry_codes": ["C"]}).json()
    assert beijing == {"count": 1, "within": "11"}
    bad = api.post("/api/v1/enterprises/criteria/count", token("national_admin"), json={"size_classes": ["tiny"]})
    assert bad.status_code == 422 and "size_classes" in bad.json()["error"]["details"]
    assert api.get("/api/v1/enterprises?page_size=101", token("national_admin")).status_code == 422


@pytest.mark.parametrize("change, field", [
    ({"tiers": [{"tier": "little_giant", "level": "national", "awarded_on": "2024-07-01",
                 "expires_on": "2027-06-30"}]}, "tiers"),                    # no certificate
    ({"employees": 99_000_000}, "employees"),                              # absurd
    ({"industry_code": "E48"}, "total_assets"),                             # the size rule needs it
])
def test_bad_profile_input_is_a_422_naming_the_field_and_stores_nothing(api, token, new_uscc, change, field):
    uscc = new_uscc("110105")
    answer = api.post("/api/v1/enterprises", token("county_admin", "110105"), json=registration(uscc, **change))
    assert answer.status_code == 422 and field in answer.json()["error"]["details"]
    assert api.get(f"/api/v1/enterprises/{uscc}", token("national_admin")).status_code == 404


def test_import_stores_good_rows_and_reports_bad_ones_by_line(api, token, new_uscc):
    rows = [registration(new_uscc("110108"), region_code="110108", name="海淀一号"),
            registration(new_uscc("110108"), region_code="110108", employees=-1),
            registration(new_uscc("320102"), region_code="320102", name="南京一号")]
    content = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    report = api.post("/api/v1/enterprises/import", token("province_admin", "110000"),
                      json={"format": "jsonl", "content": content})
    assert report.status_code == 200, report.text
    assert report.json()["stored"] == 1
    assert [(r["line"], list(r["errors"])) for r in report.json()["rejected"]] == [
        (2, ["employees"]), (3, ["region_code"])]
    assert api.get(f"/api/v1/enterprises/{rows[0]['uscc']}", token("national_admin")).status_code == 200


def test_portrait_shows_size_class_tiers_region_requests_and_matched_policies(api, token, new_uscc):
    uscc = new_uscc("110105")
    register_over_http(api, token, uscc, name="北京朝阳专精特新仪器有限公司", tiers=[tier()], rd_expense=90,
             registered_on="2016-05-01", figures_year=date.today().year - 1)
    national = api.get("/api/v1/agencies?level=national", token("national_admin")).json()["items"][0]
    admin = token("national_admin")
    policy_ids = []
    for title, criteria in (("朝阳区专精特新企业研发奖励", {"tiers": ["specialized_sme"], "rd_ratio_min": 0.05}),
                            ("大型企业技术改造补助", {"size_classes": ["large"]})):
        draft = api.post("/api/v1/policies", admin, json={
            "agency_id": national["id"], "title": title, "issuer": "北京市朝阳区经济和信息化局",
            "issuer_level": "county", "issued_on": date.today().isoformat(), "region_code": "110105",
            "service_area": "cultivation", "benefits": "一次性奖励", "criteria": criteria})
        assert draft.status_code == 201, draft.text
        assert api.post(f"/api/v1/policies/{draft.json()['id']}/publish", admin).status_code == 200
        policy_ids.append(draft.json()["id"])

    portrait = api.get(f"/api/v1/enterprises/{uscc}/portrait", token("enterprise", uscc))
    assert portrait.status_code == 200, portrait.text
    body = portrait.json()
    assert (body["size_class"], body["size_rule"]["row"]) == ("small", 2)
    assert [t["tier"] for t in body["active_tiers"]] == ["specialized_sme"]
    assert [r["name"] for r in body["region"]] == ["北京市", "市辖区", "朝阳区"]
    assert body["figures_trend"][-1]["rd_ratio"] == 0.075
    assert body["requests"] == {} and body["unavailable"] == {}
    matched = [policy["id"] for policy in body["policies"]]
    assert policy_ids[0] in matched and policy_ids[1] not in matched
    assert api.get(f"/api/v1/enterprises/{uscc}/portrait", token("county_admin", "110106")).status_code == 404


def test_explain_tells_an_enterprise_which_criteria_it_misses(api, token, new_uscc):
    uscc = new_uscc("110105")
    register_over_http(api, token, uscc)
    answer = api.post(f"/api/v1/enterprises/{uscc}/explain", token("enterprise", uscc),
                      json={"region_prefixes": ["11"], "employees_min": 50})
    assert answer.json() == {"matches": False, "criteria": [
        {"criterion": "region_prefixes", "passed": True, "required": ["11"], "actual": "110105"},
        {"criterion": "employees_min", "passed": False, "required": 50, "actual": 40}]}
    size = api.get(f"/api/v1/enterprises/{uscc}/size-class?as_of={date.today().isoformat()}",
                   token("county_admin", "110105")).json()
    assert (size["size_class"], size["size_rule"]) == ("small", "industry")
