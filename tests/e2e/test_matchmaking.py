"""The matchmaking boards over HTTP: a supply-chain need from posting to a signed contract counted
in the assessment, and a financing need answered by a bank of the SME's region only."""
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.stack import known_to_activities, new_uscc, sql, wait_for

CHINA = timezone(timedelta(hours=8))
HOME, AWAY = "340104", "440305"  # 合肥市蜀山区, 深圳市南山区
PERIOD = datetime.now(CHINA).strftime("%Y-%m")


def register_sme(api, token, region, industry_code="C3670", **extra):
    uscc = new_uscc(region)
    created = api.post("/api/v1/enterprises", token("province_admin", region[:2] + "0000"), json={
        "uscc": uscc, "name": f"测试配套企业{uscc[-6:]}", "region_code": region, "industry_code": industry_code,
        "employees": 60, "revenue": 3000, **extra})
    assert created.status_code == 201, created.text
    assert known_to_activities("enterprise", "uscc", uscc)
    return uscc


def figures(api, token, region):
    answer = api.get(f"/api/v1/assessment?region={region}&period={PERIOD}", token("national_admin"))
    assert answer.status_code == 200, answer.text
    return answer.json()["activities"]


@pytest.fixture(scope="module")
def lead_firm(api, token):
    admin = token("province_admin", "340000")
    created = api.post("/api/v1/lead-firms", admin, json={
        "name": "合肥某新能源汽车集团有限公司", "uscc": new_uscc(HOME), "region_code": "340100",
        "industry_codes": ["C36"], "description": "整车制造链主企业"})
    assert created.status_code == 201, created.text
    return created.json()


def test_supply_chain_need_from_posting_to_a_contract_is_counted_in_the_assessment(api, token, lead_firm):
    tiers = [{"tier": "specialized_sme", "certificate_no": f"ZJTX-{new_uscc(HOME)[-8:]}", "level": "province",
              "awarded_on": "2025-06-01", "expires_on": "2028-05-31"}]
    best = register_sme(api, token, HOME, tiers=tiers)
    plain = register_sme(api, token, HOME)
    elsewhere = register_sme(api, token, AWAY)
    other_trade = register_sme(api, token, HOME, industry_code="I65")
    before = figures(api, token, HOME)["supply_chain"]

    firm = token("lead_firm", str(lead_firm["id"]))
    posted = api.post("/api/v1/supply-chain-needs", firm, json={
        "title": "新能源汽车线束配套供应商", "description": "高压线束总成，需通过 IATF 16949 认证",
        "industry_codes": ["C36"], "region_prefixes": ["34"], "tiers": ["specialized_sme"],
        "quantity": "每月 20,000 套", "deadline": (date.today() + timedelta(days=30)).isoformat()})
    assert posted.status_code == 201, posted.text
    need = posted.json()

    suggested = api.get(f"/api/v1/supply-chain-needs/{need['id']}/suggestions", firm).json()["items"]
    ranked = [item["uscc"] for item in suggested]
    assert best in ranked and plain in ranked and elsewhere not in ranked and other_trade not in ranked
    assert ranked.index(best) < ranked.index(plain)
    reasons = next(item for item in suggested if item["uscc"] == best)["reasons"]
    assert reasons == [f"所属行业C3670属于需求行业汽车制造业（C36）", f"注册地{HOME}位于需求地区安徽省",
                       "现为专精特新中小企业，符合需求偏好"]

    offers = {}
    for uscc in (best, plain):
        offered = api.post(f"/api/v1/supply-chain-needs/{need['id']}/offers", token("enterprise", uscc),
                           json={"offer": "月产能 25,000 套，单价面议，可先送样"})
        assert offered.status_code == 201, offered.text
        offers[uscc] = offered.json()["id"]
    seen = api.get(f"/api/v1/supply-chain-needs/{need['id']}/offers", firm).json()
    assert sorted(item["uscc"] for item in seen["items"]) == sorted([best, plain])
    assert [item["uscc"] for item in api.get(f"/api/v1/supply-chain-needs/{need['id']}/offers",
                                             token("enterprise", plain)).json()["items"]] == [plain]

    assert api.post(f"/api/v1/supply-chain-offers/{offers[best]}/outcome", firm,
                    json={"outcome": "contacted"}).status_code == 409  # not shortlisted yet
    assert api.post(f"/api/v1/supply-chain-offers/{offers[best]}/shortlist", firm).json()["state"] == "shortlisted"
    for outcome in ("contacted", "sampled", "contracted"):
        stepped = api.post(f"/api/v1/supply-chain-offers/{offers[best]}/outcome", firm, json={"outcome": outcome})
        assert stepped.status_code == 200 and stepped.json()["outcome"] == outcome, stepped.text
    assert api.post(f"/api/v1/supply-chain-offers/{offers[best]}/outcome", firm,
                    json={"outcome": "declined"}).status_code == 409  # contracted is final

    after = figures(api, token, HOME)["supply_chain"]
    assert {key: after[key] - before[key] for key in after} == {
        "needs_posted": 0, "offers": 2, "matches_made": 1, "contracts_signed": 1}
    city = figures(api, token, "340100")["supply_chain"]
    assert city["needs_posted"] >= 1


def test_closed_needs_take_no_offers_and_a_lead_firm_reads_no_other_firms_offers(api, token, lead_firm):
    rival = api.post("/api/v1/lead-firms", token("national_admin"), json={
        "name": "合肥某家电集团有限公司", "uscc": new_uscc(HOME), "region_code": "340100",
        "industry_codes": ["C38"]}).json()
    firm = token("lead_firm", str(lead_firm["id"]))
    need = api.post("/api/v1/supply-chain-needs", firm, json={
        "title": "车载电子元器件采购", "description": "MCU 与功率器件", "industry_codes": ["C39"],
        "quantity": "年 100 万片", "deadline": (date.today() + timedelta(days=10)).isoformat()}).json()
    sme = register_sme(api, token, HOME, industry_code="C3972")
    offered = api.post(f"/api/v1/supply-chain-needs/{need['id']}/offers", token("enterprise", sme),
                       json={"offer": "可供货"})
    assert offered.status_code == 201
    spying = api.get(f"/api/v1/supply-chain-needs/{need['id']}/offers", token("lead_firm", str(rival["id"])))
    assert spying.status_code == 403
    assert api.get(f"/api/v1/supply-chain-needs/{need['id']}/suggestions",
                   token("lead_firm", str(rival["id"]))).status_code == 403
    assert api.post(f"/api/v1/supply-chain-offers/{offered.json()['id']}/shortlist",
                    token("lead_firm", str(rival["id"]))).status_code == 403
    assert api.post(f"/api/v1/supply-chain-needs/{need['id']}/close", firm).json()["state"] == "closed"
    late = api.post(f"/api/v1/supply-chain-needs/{need['id']}/offers", token("enterprise", register_sme(
        api, token, HOME, industry_code="C3972")), json={"offer": "也可供货"})
    assert late.status_code == 409 and "takes no offers" in late.json()["error"]["message"]
    assert api.get(f"/api/v1/supply-chain-needs/{need['id']}", firm).json()["offers"] == 1


def admitted_bank(api, token, region, name):
    uscc = new_uscc(region)
    admin = token("national_admin")
    provider = api.post("/api/v1/providers", admin, json={
        "name": name, "uscc": uscc, "region_code": region, "established_on": "2005-03-01",
        "served_enterprises": 800, "description": "普惠金融",
        "qualifications": [{"name": "金融许可证", "number": f"B{uscc[-8:]}", "issuer": "国家金融监督管理总局"}]})
    assert provider.status_code == 201, provider.text
    provider_id = provider.json()["id"]
    assert api.post(f"/api/v1/providers/{provider_id}/applications", admin,
                    json={"service_area": "finance_talent"}).status_code == 201
    decided = api.post(f"/api/v1/providers/{provider_id}/decisions", admin,
                       json={"service_area": "finance_talent", "decision": "admit", "reason": "资质齐全"})
    assert decided.status_code == 200, decided.text
    assert known_to_activities("provider_membership", "uscc", uscc)
    return provider_id, token("enterprise", uscc)


def test_financing_need_is_answered_by_a_bank_of_its_region_and_unseen_by_one_outside(api, token):
    local_id, local = admitted_bank(api, token, "340100", "合肥科技农村商业银行")
    _, distant = admitted_bank(api, token, "440300", "深圳某商业银行")
    sme = register_sme(api, token, HOME)
    owner = token("enterprise", sme)
    before = figures(api, token, HOME)["financing"]

    need = api.post("/api/v1/financing-needs", owner, json={
        "amount": 500, "term_months": 12, "purpose": "采购原材料", "collateral": "intellectual_property"})
    assert need.status_code == 201, need.text
    need_id = need.json()["id"]

    assert need_id in [item["id"] for item in api.get("/api/v1/financing-needs", local).json()["items"]]
    assert need_id not in [item["id"] for item in api.get("/api/v1/financing-needs", distant).json()["items"]]
    unseen = api.get(f"/api/v1/financing-needs/{need_id}", distant)
    missing = api.get("/api/v1/financing-needs/999999999", distant)
    assert unseen.status_code == 404
    assert unseen.json()["error"]["message"] == missing.json()["error"]["message"].replace("999999999", str(need_id))
    assert api.post(f"/api/v1/financing-needs/{need_id}/offers", distant, json={
        "amount": 500, "annual_rate_pct": 3.2, "term_months": 12}).status_code == 404

    offered = api.post(f"/api/v1/financing-needs/{need_id}/offers", local, json={
        "amount": 450, "annual_rate_pct": 3.45, "term_months": 12, "conditions": "知识产权质押，政府性融资担保"})
    assert offered.status_code == 201, offered.text
    assert [o["provider_id"] for o in api.get(f"/api/v1/financing-needs/{need_id}/offers", owner).json()["items"]] \
        == [local_id]
    accepted = api.post(f"/api/v1/financing-offers/{offered.json()['id']}/accept", owner)
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted", accepted.text
    assert api.post(f"/api/v1/financing-needs/{need_id}/offers", local, json={
        "amount": 400, "annual_rate_pct": 3.0, "term_months": 12}).status_code == 409
    funded_on = datetime.now(CHINA).date()
    closed = api.post(f"/api/v1/financing-needs/{need_id}/outcome", owner, json={
        "funded": True, "amount": 450, "funded_on": funded_on.isoformat()})
    assert closed.status_code == 200, closed.text
    assert (closed.json()["outcome"], closed.json()["days_to_funding"]) == ("funded", 0)

    after = figures(api, token, HOME)["financing"]
    assert (after["needs_posted"] - before["needs_posted"], after["offers"] - before["offers"],
            after["matches_made"] - before["matches_made"], after["loans_granted"] - before["loans_granted"],
            round(after["amount_granted"] - before["amount_granted"], 2)) == (1, 1, 1, 1, 450.0)


def test_a_bank_that_moves_region_sees_the_needs_of_its_new_region_and_no_longer_those_of_its_old(api, token):
    provider_id, bank = admitted_bank(api, token, "440300", "深圳迁址商业银行")
    old_need = api.post("/api/v1/financing-needs", token("enterprise", register_sme(api, token, AWAY)), json={
        "amount": 200, "term_months": 6, "purpose": "流动资金", "collateral": "credit"}).json()["id"]
    new_need = api.post("/api/v1/financing-needs", token("enterprise", register_sme(api, token, HOME)), json={
        "amount": 300, "term_months": 12, "purpose": "设备更新", "collateral": "credit"}).json()["id"]

    def seen():
        return {need for need in (old_need, new_need)
                if api.get(f"/api/v1/financing-needs/{need}", bank).status_code == 200}

    assert seen() == {old_need}
    moved = api.patch(f"/api/v1/providers/{provider_id}", token("national_admin"), json={"region_code": "340100"})
    assert moved.status_code == 200, moved.text
    assert wait_for(lambda: sql("activities", "SELECT 1 FROM provider WHERE provider_id = %s AND region_code = %s",
                                (provider_id, "340100")), 30)
    assert seen() == {new_need}
    listed = {item["id"] for item in api.get("/api/v1/financing-needs?page_size=100", bank).json()["items"]}
    assert new_need in listed and old_need not in listed
