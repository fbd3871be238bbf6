"""政策直享 and the inbox, through HTTP only: a published policy reaches the enterprises
that meet it, with the reasons; admins see who it reached in their region; request
steps reach the parties they concern; bad input changes nothing.

The enterprises are in 青海 (63), where no other suite registers any, and carry a
tag of this module.
"""
import uuid

import pytest

from tests.stack import registration, wait_for

TAG = f"push-e2e-{uuid.uuid4().hex[:6]}"
CHENGDONG, CHENGZHONG, PING_AN = "630102", "630103", "630203"  # 西宁城东区, 西宁城中区, 海东平安区


def inbox(api, who, **query):
    answer = api.get("/api/v1/notifications", who, params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def pushed(api, token, agency_skeleton):
    """Four enterprises of this module (three manufacturers) and a policy pushed to them."""
    national = token("national_admin")
    firms = {}
    for name, region, industry in (("a", CHENGDONG, "C39"), ("b", CHENGZHONG, "C34"), ("c", PING_AN, "C39"),
                                   ("software", CHENGDONG, "I65")):
        uscc = f"91{region}MA{uuid.uuid4().int % 10 ** 7:07d}"
        from stdnum.cn import uscc as standard
        uscc = uscc[:17] + standard.calc_check_digit(uscc[:17])
        answer = api.post("/api/v1/enterprises", national, json=registration(
            uscc, region_code=region, industry_code=industry, tags=[TAG], name=f"青海{name}制造有限公司"))
        assert answer.status_code == 201, answer.text
        firms[name] = uscc
    for name, uscc in firms.items():   # welcomed (notices are written in batches) before the policy comes
        assert wait_for(lambda: inbox(api, token("enterprise", uscc), kind="welcome")["items"], timeout=20), name
    qinghai = api.get("/api/v1/agencies?level=province&region=63").json()["items"][0]
    admin = token("province_admin", "630000")
    draft = api.post("/api/v1/policies", admin, json={
        "title": "青海省制造业中小企业技改补助", "issuer": "青海省工业和信息化厅", "issuer_level": "province",
        "document_number": "青工信〔2026〕5号", "issued_on": "2026-01-20", "expires_on": "2026-12-31",
        "region_code": "630000", "service_area": "policy", "benefits": "技改投资的15%，最高200万元",
        "criteria": {"industry_codes": ["C"], "tags": [TAG]}, "agency_id": qinghai["id"]})
    assert draft.status_code == 201, draft.text
    policy_id = draft.json()["id"]
    assert api.post(f"/api/v1/policies/{policy_id}/publish", admin).status_code == 200
    for name in ("a", "b", "c"):
        me = token("enterprise", firms[name])
        assert wait_for(lambda: inbox(api, me, kind="policy_match")["items"], timeout=20), name
    return {"policy_id": policy_id, "firms": firms, "agency": qinghai}


def test_the_policy_reaches_each_enterprise_meeting_it_with_the_conditions_it_met(api, token, pushed):
    me = token("enterprise", pushed["firms"]["a"])
    notice = inbox(api, me, kind="policy_match")["items"][0]
    assert notice["title"] == "政策直享：青海省制造业中小企业技改补助"
    assert notice["about"] == {"type": "policy", "id": str(pushed["policy_id"])}
    assert notice["body"].splitlines() == [
        "政策：青海省制造业中小企业技改补助（青工信〔2026〕5号）", "惠企内容：技改投资的15%，最高200万元",
        "有效期至：2026-12-31", f"您符合的条件：注册地在青海省；所属行业为制造业（C）；带有标签“{TAG}”"]
    software = token("enterprise", pushed["firms"]["software"])
    assert wait_for(lambda: inbox(api, software)["items"])  # its welcome arrived, so the push had its turn
    assert inbox(api, software, kind="policy_match")["items"] == []


def test_the_inbox_counts_unread_marks_read_filters_and_pages_by_cursor(api, token, pushed):
    me = token("enterprise", pushed["firms"]["b"])
    assert api.get("/api/v1/notifications/unread-count", me).json() == \
        {"unread": 2, "by_kind": {"policy_match": 1, "welcome": 1}}
    first = inbox(api, me, page_size=1)
    assert [n["kind"] for n in first["items"]] == ["policy_match"] and first["next_cursor"]
    second = inbox(api, me, page_size=1, cursor=first["next_cursor"])
    assert [n["kind"] for n in second["items"]] == ["welcome"] and second["next_cursor"] is None

    notice_id = first["items"][0]["id"]
    other = token("enterprise", pushed["firms"]["c"])
    assert api.post(f"/api/v1/notifications/{notice_id}/read", other).status_code == 404
    read = api.post(f"/api/v1/notifications/{notice_id}/read", me)
    assert read.status_code == 200 and read.json()["read_at"]
    assert [n["id"] for n in inbox(api, me, unread="false")["items"]] == [notice_id]
    assert api.get("/api/v1/notifications/unread-count", me).json()["unread"] == 1
    assert api.get("/api/v1/notifications/unread-count", other).json()["unread"] == 2
    assert api.post("/api/v1/notifications/read-all", me).json() == {"marked": 1}
    assert inbox(api, me, unread="true")["items"] == []


def test_admins_see_who_the_policy_reached_in_their_region_only(api, token, pushed):
    firms, path = pushed["firms"], f"/api/v1/policies/{pushed['policy_id']}/matches"
    province = api.get(path, token("province_admin", "630000"), params={"page_size": 2})
    assert province.status_code == 200, province.text
    page = province.json()
    assert page["count"] == 3 and page["push"]["state"] == "done"
    expected = sorted([firms["a"], firms["b"], firms["c"]])
    assert [item["uscc"] for item in page["items"]] == expected[:2]
    rest = api.get(path, token("province_admin", "630000"), params={"cursor": page["next_cursor"]}).json()
    assert [item["uscc"] for item in rest["items"]] == expected[2:] and rest["next_cursor"] is None
    assert page["items"][0]["deliveries"] == [{"channel": "in_app", "state": "delivered", "attempts": 1}]
    xining = api.get(path, token("city_admin", "630100")).json()
    assert sorted(item["uscc"] for item in xining["items"]) == sorted([firms["a"], firms["b"]])
    assert api.get(path, token("province_admin", "440000")).status_code == 404
    assert api.get(path, token("enterprise", firms["a"])).status_code == 403


def test_why_and_why_not_criterion_by_criterion_for_the_enterprise_and_its_region_only(api, token, pushed):
    firms, path = pushed["firms"], f"/api/v1/policies/{pushed['policy_id']}/why"
    mine = api.get(path, token("enterprise", firms["software"]), params={"uscc": firms["software"]})
    assert mine.status_code == 200, mine.text
    why = mine.json()
    assert why["matches"] is False
    assert [(c["criterion"], c["passed"], c["actual"], c["text"]) for c in why["criteria"]] == [
        ("region_prefixes", True, CHENGDONG, "注册地在青海省"),
        ("industry_codes", False, "I65", "所属行业为制造业（C）"),
        ("tags", True, [TAG], f"带有标签“{TAG}”")]
    assert api.get(path, token("province_admin", "630000"), params={"uscc": firms["a"]}).json()["matches"] is True
    assert api.get(path, token("agency_staff", str(pushed["agency"]["id"])),
                   params={"uscc": firms["a"]}).status_code == 200
    assert api.get(path, token("enterprise", firms["a"]), params={"uscc": firms["software"]}).status_code == 404
    assert api.get(path, token("province_admin", "440000"), params={"uscc": firms["a"]}).status_code == 404
    assert api.get(path, token("city_admin", "630200"), params={"uscc": firms["a"]}).status_code == 404


def test_reach_counts_notified_read_and_then_requested(api, token, pushed):
    firms, policy_id = pushed["firms"], pushed["policy_id"]
    me = token("enterprise", firms["c"])
    notice = inbox(api, me, kind="policy_match")["items"][0]
    assert api.post(f"/api/v1/notifications/{notice['id']}/read", me).status_code == 200
    raised = api.post("/api/v1/requests", me, json={
        "service_area": "policy", "title": "技改补助申报", "description": "请指导申报材料", "region_code": PING_AN,
        "policy_id": policy_id})
    assert raised.status_code == 201, raised.text
    assert raised.json()["policy_id"] == policy_id
    admin = token("province_admin", "630000")

    def reach():
        return api.get(f"/api/v1/policies/{policy_id}/reach", admin).json()

    assert wait_for(lambda: reach()["requested"] == 1, timeout=15)
    assert {key: reach()[key] for key in ("matching_enterprises", "notified", "requested", "within")} == \
        {"matching_enterprises": 3, "notified": 3, "requested": 1, "within": "63"}
    assert reach()["read"] >= 1
    bad = api.post("/api/v1/requests", me, json={
        "service_area": "policy", "title": "不存在的政策", "description": "x", "region_code": PING_AN,
        "policy_id": 987654321})
    assert bad.status_code == 422 and "policy_id" in bad.json()["error"]["details"]


def test_bad_notification_input_is_refused_with_4xx_and_changes_nothing(api, token, new_uscc):
    me = token("enterprise", new_uscc("630102"))
    before = api.get("/api/v1/notifications/preferences", me).json()
    assert before["channels"]["policy_match"] == ["in_app", "webhook"] and before["email"] is None
    for body in ({"channels": {"horoscope": ["in_app"]}}, {"channels": {"policy_match": ["pigeon"]}},
                 {"channels": {"policy_match": ["email"]}}, {"quiet_hours": {"start": "25:00", "end": "07:00"}}):
        refused = api.request("PUT", "/api/v1/notifications/preferences", me, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["error"]["code"] == "validation_failed"
    assert api.get("/api/v1/notifications/preferences", me).json() == before
    for url in ("ftp://hooks.example.com/in", "https://10.0.0.8/in", "https://169.254.169.254/latest",
                "https://[fd00:ec2::254]/in", "https://user:secret@hooks.example.com/in"):
        refused = api.post("/api/v1/webhooks", me, json={"url": url})
        assert refused.status_code == 422, (url, refused.text)
        assert refused.json()["error"]["details"]["url"]
    assert api.get("/api/v1/webhooks", me).json() == {"items": []}
    assert api.post(f"/api/v1/notifications/{uuid.uuid4()}/read", me).status_code == 404
    assert api.post("/api/v1/notifications/not-a-notice/read", me).status_code == 404
    assert api.get("/api/v1/notifications", me, params={"cursor": "bm90LWEtY3Vyc29y"}).status_code == 422
    assert api.request("DELETE", "/api/v1/webhooks/999999", me).status_code == 404
    assert api.get("/api/v1/notifications", token("county_admin", "630102")).status_code == 403


def test_saved_preferences_come_back_with_in_app_always_on(api, token, new_uscc):
    me = token("enterprise", new_uscc("630102"))
    saved = api.request("PUT", "/api/v1/notifications/preferences", me, json={
        "channels": {"policy_match": ["email"], "request_update": []}, "email": "finance@example.com",
        "quiet_hours": {"start": "22:00", "end": "07:30"}})
    assert saved.status_code == 200, saved.text
    again = api.get("/api/v1/notifications/preferences", me).json()
    assert again == saved.json()
    assert again["channels"]["policy_match"] == ["in_app", "email"]
    assert again["channels"]["request_update"] == ["in_app"]
    assert again["quiet_hours"] == {"start": "22:00", "end": "07:30", "time_zone": "Asia/Shanghai"}


def test_request_steps_reach_the_enterprise_the_holding_agency_and_its_parent(api, token, new_uscc, agency_skeleton):
    uscc = new_uscc(CHENGZHONG)
    me = token("enterprise", uscc)
    raised = api.post("/api/v1/requests", me, json={
        "service_area": "policy", "title": "融资政策咨询", "description": "想了解贴息政策", "region_code": CHENGZHONG})
    assert raised.status_code == 201, raised.text
    request_id, county = raised.json()["id"], raised.json()["agency_id"]
    county_staff = token("agency_staff", str(county))

    def kinds(who):
        return [(n["kind"], n["about"]["id"]) for n in inbox(api, who)["items"] if n["about"]]

    assert wait_for(lambda: ("request_new", request_id) in kinds(county_staff), timeout=15)
    assert wait_for(lambda: ("request_update", request_id) in kinds(me))
    for action in ("accept", "escalate"):
        answer = api.post(f"/api/v1/requests/{request_id}/transitions", county_staff,
                          json={"action": action, "reason": "需市级统筹"})
        assert answer.status_code == 200, answer.text
    city = api.get(f"/api/v1/requests/{request_id}", me).json()["agency_id"]
    city_staff = token("agency_staff", str(city))
    assert wait_for(lambda: ("request_escalated", request_id) in kinds(city_staff), timeout=15)
    assert api.post(f"/api/v1/requests/{request_id}/transitions", city_staff,
                    json={"action": "accept"}).status_code == 200
    assert api.post(f"/api/v1/requests/{request_id}/transitions", city_staff,
                    json={"action": "resolve", "reason": "已答复"}).status_code == 200
    told = wait_for(lambda: [n for n in inbox(api, me, kind="request_update")["items"]
                             if "请对办理结果进行评价" in n["body"]], timeout=15)
    assert told[0]["body"].startswith("您的诉求已由西宁市中小企业服务中心办结")
    bodies = [n["body"] for n in inbox(api, me, kind="request_update")["items"]]
    assert len(bodies) == 5  # assigned, accepted, escalated, accepted, resolved
    assert any(body.startswith("您的诉求已升级至西宁市中小企业服务中心办理（需市级统筹）") for body in bodies)
    assert ("request_escalated", request_id) not in kinds(county_staff)
