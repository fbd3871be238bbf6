"""The agencies service alone, on the real broker and database."""
import uuid
from datetime import timedelta

import eventlet
import pytest

from chassis.errors import Conflict, NotFound, ValidationFailed
from reference.china_time import today as china_today
from services.agencies.service import AgenciesService
from tests.stack import (events_of_type, new_event, new_uscc, outbox_payloads, publish, race_in_processes, rpc,
                         sql, wait_for)

CONFIG = "services/agencies/config.yml"


@pytest.fixture
def agencies(container_for):
    container_for(AgenciesService, CONFIG)
    with rpc("agencies") as proxy:
        proxy.generate_skeleton()
        yield proxy


def county(proxy, code):
    return proxy.list_agencies({"level": "county", "region": code}, 1, 0)["items"][0]


def test_skeleton_has_one_agency_per_mainland_division_and_loads_once(agencies):
    levels = dict(sql("agencies", "SELECT level, count(*) FROM agency WHERE level <> 'station' GROUP BY level"))
    assert levels == {"national": 1, "province": 31, "city": 333, "county": 2847}  # 3,212 in docs/agencies.md
    assert sql("agencies", "SELECT count(*) FROM agency WHERE region_code LIKE '71%%' OR region_code LIKE '81%%' "
               "OR region_code LIKE '82%%'")[0][0] == 0
    again = agencies.generate_skeleton()
    assert again["created"] == 0
    assert again["total"] == sql("agencies", "SELECT count(*) FROM agency")[0][0]


def test_skeleton_counties_of_municipalities_hang_under_the_province(agencies):
    chaoyang = county(agencies, "110105")
    beijing = agencies.escalation_target(chaoyang["id"])
    assert (beijing["level"], beijing["region_code"]) == ("province", "110000")
    xuanwu = county(agencies, "320102")
    assert agencies.escalation_target(xuanwu["id"])["region_code"] == "320100"
    assert chaoyang["name"] == "北京市朝阳区中小企业服务中心"


def test_escalation_target_of_the_national_agency_is_none(agencies):
    national = agencies.list_agencies({"level": "national"}, 1, 0)["items"][0]
    assert agencies.escalation_target(national["id"]) is None
    with pytest.raises(NotFound):
        agencies.escalation_target(99_999_999)


def test_county_request_outside_county_areas_routes_to_city_with_explanation(agencies):
    decision = agencies.route("320102", "international")
    assert decision["agency"]["region_code"] == "320100"
    first, chosen = decision["explanation"]
    assert (first["level"], first["skipped"]) == ("county", True)
    assert "does not offer international" in first["reason"]
    assert (chosen["agency_id"], chosen["skipped"]) == (decision["agency"]["id"], False)


def test_park_station_answers_before_its_county_and_inactive_station_is_skipped(agencies):
    xuanwu = county(agencies, "320102")
    station = agencies.create_agency({"name": "徐庄软件园服务站", "level": "station", "region_code": "320102",
                                      "parent_id": xuanwu["id"], "park": "徐庄软件园",
                                      "service_areas": ["finance_talent"]})
    routed = agencies.route("320102", "finance_talent", park="徐庄软件园")
    assert routed["agency"]["id"] == station["id"]
    assert agencies.route("320102", "finance_talent")["agency"]["id"] == xuanwu["id"]
    agencies.update_agency(station["id"], {"active": False})
    routed = agencies.route("320102", "finance_talent", park="徐庄软件园")
    assert routed["agency"]["id"] == xuanwu["id"]
    assert routed["explanation"][0] == {"agency_id": station["id"], "name": "徐庄软件园服务站",
                                        "level": "station", "skipped": True, "reason": "inactive"}


def test_agency_under_parent_outside_its_region_is_refused_and_nothing_stored(agencies):
    shanghai = county(agencies, "310101")
    before = sql("agencies", "SELECT count(*) FROM agency")[0][0]
    with pytest.raises(ValidationFailed) as caught:
        agencies.create_agency({"name": "错挂服务站", "level": "station", "region_code": "110105",
                                "parent_id": shanghai["id"], "park": "望京"})
    assert "does not cover region 110105" in caught.value.details["parent_id"][0]
    assert sql("agencies", "SELECT count(*) FROM agency")[0][0] == before


def test_moving_an_agency_under_its_own_descendant_is_a_cycle(agencies):
    nanjing = agencies.route("320100", "policy")["agency"]
    xuanwu = county(agencies, "320102")
    with pytest.raises(Conflict) as caught:
        agencies.update_agency(nanjing["id"], {"parent_id": xuanwu["id"]})
    assert "cycle" in caught.value.details["parent_id"][0]
    assert agencies.get(nanjing["id"])["parent_id"] == nanjing["parent_id"]


def test_agency_changes_are_announced(agencies):
    xuanwu = county(agencies, "320102")
    agencies.update_agency(xuanwu["id"], {"service_areas": ["policy", "rights", "training"]})
    updated = outbox_payloads("agencies", "agency.updated", xuanwu["id"])[-1]
    assert updated["service_areas"] == ["policy", "rights", "training"]
    assert updated["changed"] == ["service_areas"]
    assert outbox_payloads("agencies", "agency.created", xuanwu["id"])[0]["region_code"] == "320102"


GUIDE = {
    "items": [{"service_area": "finance_talent", "title": "融资对接", "content": "银企对接、担保推荐",
               "process": ["提交诉求", "受理", "对接金融机构", "反馈结果"], "accept_days": 2, "resolve_days": 15}],
    "supervision": {"phone": "12345"},
    "contact": {"address": "北京市东城区", "phone": "010-12345678"},
}


def test_guide_time_limits_come_from_the_published_guide(agencies):
    dongcheng = county(agencies, "110101")
    assert agencies.guide_time_limits(dongcheng["id"], "finance_talent") is None
    guide = agencies.publish_guide(dongcheng["id"], GUIDE, "agency_staff:1")
    assert guide["version"] >= 1
    assert agencies.guide_time_limits(dongcheng["id"], "finance_talent") == {"accept_days": 2, "resolve_days": 15}
    assert agencies.guide_time_limits(dongcheng["id"], "rights") is None


# A tag no enterprise carries: the policy push started by these tests reaches no one.
NO_ONE = {"tags": ["agencies-integration-no-enterprise"]}


def policy_draft(agency_id, **overrides):
    body = {"title": "关于支持专精特新中小企业高质量发展的若干措施", "issuer": "江苏省工业和信息化厅",
            "issuer_level": "province", "document_number": "苏工信中小〔2026〕1号",
            "issued_on": "2026-01-10", "region_code": "320000", "service_area": "cultivation",
            "benefits": "一次性奖励50万元", "criteria": {"tiers": ["specialized_sme"], **NO_ONE},
            "agency_id": agency_id}
    body.update(overrides)
    return body


def test_policy_lifecycle_publishes_once_and_refuses_to_republish_withdrawn(agencies):
    jiangsu = agencies.route("320000", "policy")["agency"]
    draft = agencies.create_policy(policy_draft(jiangsu["id"]))
    assert draft["state"] == "draft"
    published = agencies.publish_policy(draft["id"])
    assert published["state"] == "published"
    [event] = outbox_payloads("agencies", "policy.published", draft["id"])
    assert event["criteria"] == {"tiers": ["specialized_sme"], **NO_ONE, "region_prefixes": ["32"]}
    ids = [policy["id"] for policy in agencies.policies_for_region("320102")]
    assert draft["id"] in ids
    assert draft["id"] not in [policy["id"] for policy in agencies.policies_for_region("110105")]
    agencies.withdraw_policy(draft["id"], "被新政策替代")
    with pytest.raises(Conflict) as caught:
        agencies.publish_policy(draft["id"])
    assert "withdrawn" in caught.value.details["state"][0]
    assert len(outbox_payloads("agencies", "policy.withdrawn", draft["id"])) == 1
    assert draft["id"] not in [policy["id"] for policy in agencies.policies_for_region("320102")]


def test_policy_scope_beyond_publisher_and_unknown_criteria_are_refused(agencies):
    xuanwu = county(agencies, "320102")
    with pytest.raises(ValidationFailed) as caught:
        agencies.create_policy(policy_draft(xuanwu["id"]))
    assert "exceeds the region" in caught.value.details["region_code"][0]
    jiangsu = agencies.route("320000", "policy")["agency"]
    with pytest.raises(ValidationFailed) as caught:
        agencies.create_policy(policy_draft(jiangsu["id"], criteria={"tiers": ["unicorn"], "mood": "good"}))
    assert set(caught.value.details) == {"criteria.tiers", "criteria.mood"}


def test_expiry_in_concurrent_replicas_expires_each_policy_once(agencies):
    national = agencies.list_agencies({"level": "national"}, 1, 0)["items"][0]
    yesterday = (china_today() - timedelta(days=1)).isoformat()
    policy = agencies.create_policy(policy_draft(national["id"], region_code="000000", issued_on="2025-01-01",
                                                 expires_on=(china_today() + timedelta(days=30)).isoformat()))
    agencies.publish_policy(policy["id"])
    sql("agencies", "UPDATE policy SET expires_on = %s WHERE id = %s", (yesterday, policy["id"]))
    pool = eventlet.GreenPool()

    def expire():
        with rpc("agencies") as proxy:
            return proxy.expire_due_policies()

    results = list(pool.imap(lambda _: expire(), range(4)))
    assert sum(results) == 1
    assert agencies.get_policy(policy["id"])["state"] == "expired"
    assert len(outbox_payloads("agencies", "policy.expired", policy["id"])) == 1


def test_policy_expiry_racing_in_two_processes_expires_each_policy_once(agencies):
    """Two replicas of the agencies service, each its own OS process, expire at the same moment."""
    national = agencies.list_agencies({"level": "national"}, 1, 0)["items"][0]
    policies = [agencies.create_policy(policy_draft(
        national["id"], region_code="000000", issued_on="2025-01-01", document_number=f"工信部企业〔2026〕{n}号",
        expires_on=(china_today() + timedelta(days=30)).isoformat())) for n in range(40, 46)]
    for policy in policies:
        agencies.publish_policy(policy["id"])
    ids = [policy["id"] for policy in policies]
    sql("agencies", "UPDATE policy SET expires_on = %s WHERE id = ANY(%s)", (china_today() - timedelta(days=1), ids))
    announced_before = events_of_type("agencies", "policy.expired")

    results = race_in_processes(CONFIG, "expire_due_policies", POLICY_EXPIRY_INTERVAL=0)

    assert len(results) == 2
    assert sum(results) == events_of_type("agencies", "policy.expired") - announced_before
    for policy_id in ids:
        assert agencies.get_policy(policy_id)["state"] == "expired"
        assert len(outbox_payloads("agencies", "policy.expired", policy_id)) == 1


def provider_profile(uscc, **overrides):
    body = {"name": "南京慧融企业服务有限公司", "uscc": uscc, "region_code": "320102",
            "established_on": "2015-06-01", "served_enterprises": 120,
            "qualifications": [{"name": "融资服务资质", "number": "Q-1", "issuer": "江苏省工信厅",
                               "valid_until": "2030-12-31"}]}
    body.update(overrides)
    return body


def publish_rating(provider_id, score, request_id=None):
    """Publish ``request.rated`` for a request (new unless ``request_id``) the provider worked on."""
    event = new_event("request.rated", {
        "request_id": request_id or str(uuid.uuid4()), "uscc": "91320102MA1XB00030", "agency_id": 1,
        "service_area": "finance_talent", "region_code": "320102", "score": score, "solved": True,
        "comment": "", "provider_id": provider_id}, source="requests")
    publish(event)
    return event


def admitted_provider(agencies):
    provider = agencies.register_provider(provider_profile(new_uscc("320102")))
    agencies.apply_for_admission(provider["id"], "finance_talent", "enterprise")
    agencies.decide_admission(provider["id"], {"service_area": "finance_talent", "decision": "admit",
                                               "reason": "材料齐全"}, "province_admin:320000")
    return provider


def ratings_of(provider_id):
    return sorted(sql("agencies", "SELECT request_id::text, score FROM provider_rating WHERE provider_id = %s",
                      (provider_id,)))


def test_a_rating_redelivered_under_a_new_event_id_for_the_same_request_counts_once(container_for):
    container_for(AgenciesService, CONFIG, max_workers=1)   # one delivery at a time, in queue order
    with rpc("agencies") as agencies:
        provider = admitted_provider(agencies)
    first = publish_rating(provider["id"], 2)
    publish_rating(provider["id"], 5, request_id=first["payload"]["request_id"])   # a new event_id
    sentinel = publish_rating(provider["id"], 4)

    assert wait_for(lambda: sentinel["payload"]["request_id"] in dict(ratings_of(provider["id"])))
    assert ratings_of(provider["id"]) == sorted([(first["payload"]["request_id"], 2),
                                                 (sentinel["payload"]["request_id"], 4)])


def test_ratings_feed_satisfaction_once_and_two_bad_quarters_exit_the_provider(agencies):
    provider = admitted_provider(agencies)
    event = publish_rating(provider["id"], 1)
    publish(event)   # the same event again
    publish_rating(provider["id"], 2)
    assert wait_for(lambda: sql("agencies", "SELECT count(*) FROM provider_rating WHERE provider_id = %s",
                                (provider["id"],))[0][0] == 2)
    now = china_today()
    current = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    previous = f"{now.year - 1}-Q4" if current.endswith("Q1") else f"{now.year}-Q{int(current[-1]) - 1}"
    scores = {"service_area": "finance_talent", "capability": 50, "management": 50, "service_quality": 50}
    first = agencies.evaluate_provider(provider["id"], {**scores, "period": previous}, "evaluator")
    assert (first["satisfaction"], first["below_threshold"], first["exited"]) == (None, True, False)
    second = agencies.evaluate_provider(provider["id"], {**scores, "period": current}, "evaluator")
    assert second["ratings"] == 2 and second["satisfaction"] == 12.5
    assert second["exited"] is True
    record = agencies.get_provider(provider["id"])
    assert record["qualifications"][0]["valid_until"] == "2030-12-31"
    assert record["memberships"][0]["state"] == "exited"
    assert "two consecutive periods" in record["decisions"][-1]["reason"]
    [exited] = outbox_payloads("agencies", "provider.exited", provider["id"])
    assert exited["automatic"] is True


def test_chinese_search_finds_a_term_inside_a_longer_title(agencies):
    agencies.add_entry("faq", {"question": "申报国家级专精特新小巨人企业需要哪些条件？",
                               "answer": "需满足专业化、精细化、特色化、新颖化指标。", "service_area": "cultivation"})
    found = agencies.search("专精特新")
    assert any("专精特新小巨人" in hit["title"] for hit in found["items"])
    assert agencies.search("小巨人 条件", kind="faq")["total"] >= 1
    assert agencies.search("专精特新企业不存在的标题")["total"] == 0


def test_a_product_naming_an_unknown_provider_is_refused_naming_the_field(agencies):
    with pytest.raises(ValidationFailed) as caught:
        agencies.add_entry("product", {"title": "不存在机构的产品", "summary": "无此机构", "service_area": "training",
                                       "provider_id": 99_999_999})
    assert "provider_id" in caught.value.details
    assert agencies.list_entries("product", {"provider_id": 99_999_999}, 10, 0)["total"] == 0
