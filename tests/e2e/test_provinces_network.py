"""Provinces on the running network: each publishes with its client as its own user, the services
consume as theirs, and what concerns a province comes back on its outbound queue."""
import uuid
from datetime import date, datetime, timedelta

import pytest
from onenet_province import DeadLetters, Publisher, new_event

from services.requests.deadlines import CHINA_TIME
from tests.provinces import enterprise_payload, next_version, outbound_until, province_url
from tests.stack import new_uscc, wait_for


@pytest.fixture
def url_44(province_passwords, network):
    return province_url("44", province_passwords)


@pytest.fixture
def publish_44(url_44):
    with Publisher(url_44) as publisher:
        def publish(event_type, payload):
            event = new_event(event_type, payload, source="gd-sme-platform")
            publisher.publish(event)
            return event
        yield publish


@pytest.fixture
def clock_at(api, token):
    """``clock_at(day)``: the network's clock at 10:00 China time on ``day``; reset afterwards."""
    admin = token("national_admin")

    def move(day):
        target = datetime(day.year, day.month, day.day, 10, tzinfo=CHINA_TIME)
        answer = api.request("PUT", "/api/v1/clock", admin,
                             json={"offset_seconds": (target - datetime.now(CHINA_TIME)).total_seconds()})
        assert answer.status_code == 200, answer.text
        return answer.json()

    yield move
    api.request("PUT", "/api/v1/clock", admin, json={"offset_seconds": 0})


def test_an_enterprise_filed_by_province_44_is_on_the_network_and_one_outside_it_is_parked(
        api, token, publish_44, url_44):
    """The services run as their own broker users: they bind to the provinces' exchange and park there."""
    parked = DeadLetters(url_44)
    parked.take(10_000)
    uscc, stranger = new_uscc("440106"), new_uscc("450102")
    publish_44("enterprise.upserted", enterprise_payload(stranger, "450102"))
    publish_44("enterprise.upserted", enterprise_payload(uscc, name="广州网络测试科技有限公司"))
    admin = token("national_admin")
    profile = wait_for(lambda: (answer := api.get(f"/api/v1/enterprises/{uscc}", admin)).status_code == 200
                       and answer.json())
    assert (profile["name"], profile["region_code"], profile["employees"]) == ("广州网络测试科技有限公司", "440106", 40)
    letters = wait_for(lambda: parked.read(), timeout=15)
    assert [(letter.reason, letter.event["payload"]["uscc"]) for letter in letters] == [
        ("outside_province", stranger)]
    assert api.get(f"/api/v1/enterprises/{stranger}", admin).status_code == 404
    parked.close()


def test_request_submitted_by_province_44_is_routed_escalated_past_the_county_deadline_and_44_hears_it(
        api, token, agency_skeleton, publish_44, url_44, clock_at):
    """Must show 5: routed like any other request; the escalation reaches 44's outbound queue."""
    ref = f"GD-{uuid.uuid4().hex[:12]}"
    publish_44("request.submitted", {
        "source_version": next_version(), "request_ref": ref, "uscc": new_uscc("440106"),
        "service_area": "policy", "title": "咨询省级技改补贴申报", "description": "请告知申报条件和材料。",
        "region_code": "440106"})
    assigned = outbound_until(url_44, lambda event: event["type"] == "request.assigned"
                              and event["payload"]["origin_ref"] == ref)
    request_id = assigned["payload"]["request_id"]
    admin = token("national_admin")
    request = api.get(f"/api/v1/requests/{request_id}", admin).json()
    assert (request["state"], request["agency_level"], request["agency_name"]) == (
        "assigned", "county", "广州市天河区中小企业服务中心")
    moved = clock_at(date.fromisoformat(request["accept_by"]) + timedelta(days=1))
    assert moved["escalated"] >= 1
    escalated = outbound_until(url_44, lambda event: event["type"] == "request.escalated"
                               and event["payload"]["request_id"] == request_id)
    payload = escalated["payload"]
    assert (payload["origin_province"], payload["origin_ref"], payload["from_agency_region_code"],
            payload["agency_region_code"], payload["to_state"], payload["actor_role"]) == (
        "44", ref, "440106", "440100", "assigned", "system")
    assert payload["reason"].startswith(f"acceptance deadline {request['accept_by']} missed by ")
    assert api.get(f"/api/v1/requests/{request_id}", admin).json()["agency_name"] == "广州市中小企业服务中心"


def test_the_holding_agency_accepts_on_the_provincial_portal_and_the_step_comes_back(
        api, token, agency_skeleton, publish_44, url_44):
    ref = f"GD-{uuid.uuid4().hex[:12]}"
    publish_44("request.submitted", {
        "source_version": 1, "request_ref": ref, "uscc": new_uscc("440104"), "service_area": "training",
        "title": "报名数字化转型培训", "description": "希望参加下一期培训。", "region_code": "440104"})
    assigned = outbound_until(url_44, lambda event: event["type"] == "request.assigned"
                              and event["payload"]["origin_ref"] == ref)
    publish_44("request.transitioned", {"source_version": 2, "request_ref": ref, "action": "accept",
                                        "agency_id": assigned["payload"]["agency_id"]})
    accepted = outbound_until(url_44, lambda event: event["type"] == "request.accepted"
                              and event["payload"]["origin_ref"] == ref)
    assert (accepted["payload"]["to_state"], accepted["payload"]["actor_role"]) == ("accepted", "agency_staff")
    request = api.get(f"/api/v1/requests/{accepted['payload']['request_id']}", token("national_admin")).json()
    assert [step["action"] for step in request["history"]] == ["submit", "assign", "accept"]
    assert request["history"][2]["actor"] == "province-44"


def test_policy_published_by_province_44_is_in_the_national_library_and_pushed_to_its_matching_smes(
        api, token, agency_skeleton, publish_44, url_44):
    """Must show 6: the policy is in the library, and the notifications service's push (政策直享)
    puts it in the inbox of the SMEs of 44 it applies to, not in that of an SME of 45."""
    tag = f"粤政策测试{uuid.uuid4().hex[:6]}"
    uscc, stranger = new_uscc("440106"), new_uscc("450102")
    publish_44("enterprise.upserted", enterprise_payload(uscc, tags=[tag]))
    admin = token("national_admin")
    assert api.post("/api/v1/enterprises", admin, json={
        "uscc": stranger, "name": "南宁同标签测试有限公司", "region_code": "450102", "industry_code": "C34",
        "employees": 40, "revenue": 1800, "tags": [tag]}).status_code == 201
    me, other = token("enterprise", uscc), token("enterprise", stranger)

    def notices(who, kind):
        answer = api.get("/api/v1/notifications", who, params={"kind": kind})
        return answer.status_code == 200 and answer.json()["items"]

    assert wait_for(lambda: notices(me, "welcome") and notices(other, "welcome"), timeout=20)
    ref = f"GD-POL-{uuid.uuid4().hex[:8]}"
    publish_44("policy.published", {
        "source_version": 1, "policy_ref": ref, "title": "广东省测试惠企政策（网络测试）", "issuer": "广东省工业和信息化厅",
        "issuer_level": "province", "issued_on": "2026-01-05", "region_code": "440000", "service_area": "policy",
        "benefits": "符合条件的企业可获一次性奖励。", "criteria": {"tags": [tag]}})
    heard = outbound_until(url_44, lambda event: event["type"] == "policy.published"
                           and event["payload"]["title"] == "广东省测试惠企政策（网络测试）")
    policy_id = heard["payload"]["policy_id"]
    assert heard["payload"]["criteria"] == {"tags": [tag], "region_prefixes": ["44"]}
    public = api.get(f"/api/v1/policies/{policy_id}")
    assert public.status_code == 200, public.text
    assert (public.json()["state"], public.json()["region_code"], public.json()["issuer"]) == (
        "published", "440000", "广东省工业和信息化厅")
    assert policy_id in [p["id"] for p in api.get("/api/v1/policies?region=440106").json()["items"]]
    assert policy_id not in [p["id"] for p in api.get("/api/v1/policies?region=450102").json()["items"]]
    pushed = wait_for(lambda: notices(me, "policy_match"), timeout=30)
    assert [(notice["title"], notice["about"]) for notice in pushed] == [
        ("政策直享：广东省测试惠企政策（网络测试）", {"type": "policy", "id": str(policy_id)})]
    assert notices(other, "policy_match") == []
    publish_44("policy.withdrawn", {"source_version": 2, "policy_ref": ref, "reason": "测试结束"})
    outbound_until(url_44, lambda event: event["type"] == "policy.withdrawn" and event["payload"]["policy_id"] == policy_id)
    assert api.get(f"/api/v1/policies/{policy_id}").json()["state"] == "withdrawn"


def test_a_national_tier_decision_on_an_enterprise_of_44_reaches_44_and_a_provincial_one_does_not(
        api, token, publish_44, url_44):
    uscc = new_uscc("440106")
    publish_44("enterprise.upserted", enterprise_payload(uscc))
    admin = token("national_admin")
    assert wait_for(lambda: api.get(f"/api/v1/enterprises/{uscc}", admin).status_code == 200)
    today = date.today()
    award = {"tier": "little_giant", "certificate_no": f"XJR-{uscc[-6:]}", "level": "national",
             "awarded_on": (today - timedelta(days=3)).isoformat(),
             "expires_on": (today + timedelta(days=3 * 365)).isoformat()}
    answer = api.patch(f"/api/v1/enterprises/{uscc}", admin, json={"tiers": [award]})
    assert answer.status_code == 200, answer.text
    decided = outbound_until(url_44, lambda event: event["type"] == "enterprise.tier_changed"
                             and event["payload"]["uscc"] == uscc)
    assert (decided["payload"]["decided_by"], decided["payload"]["added"]) == ("national_admin", ["little_giant"])


def test_province_44_takes_over_a_county_agency_adds_a_park_station_and_one_outside_it_is_parked(
        api, agency_skeleton, publish_44, url_44):
    parked = DeadLetters(url_44)
    parked.take(10_000)
    publish_44("agency.upserted", {"source_version": 1, "agency_ref": "GD-AG-450102", "name": "南宁市兴宁区服务中心",
                                   "level": "county", "region_code": "450102"})
    publish_44("agency.upserted", {"source_version": 1, "agency_ref": "GD-AG-440111", "level": "county",
                                   "name": "广州市白云区企业服务中心", "region_code": "440111",
                                   "service_areas": ["policy", "rights", "training"]})
    publish_44("agency.upserted", {"source_version": 1, "agency_ref": "GD-ST-440111-1", "level": "station",
                                   "name": "白云湖数字科技城服务站", "region_code": "440111", "park": "白云湖数字科技城"})

    def listed(**query):
        answer = api.get("/api/v1/agencies", params={**query, "page_size": 50})
        assert answer.status_code == 200, answer.text
        return [(agency["name"], agency["level"], agency["park"], agency["service_areas"])
                for agency in answer.json()["items"] if agency["region_code"] == "440111"]

    assert wait_for(lambda: len(listed(region="440111")) == 2, timeout=15)
    assert listed(region="440111") == [
        ("广州市白云区企业服务中心", "county", None, ["policy", "rights", "training"]),
        ("白云湖数字科技城服务站", "station", "白云湖数字科技城", ["policy", "finance_talent", "training"])]
    letters = wait_for(lambda: parked.read(), timeout=15)
    assert [(letter.reason, letter.event["payload"]["agency_ref"]) for letter in letters] == [
        ("outside_province", "GD-AG-450102")]
    parked.close()
