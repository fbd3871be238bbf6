"""What notices say, who hears of each request step, and when deliveries go (pure rules)."""
from datetime import datetime, time, timezone

import pytest

from services.notifications import domain

POLICY = {"policy_id": 7, "title": "江苏省中小企业研发补助办法", "document_number": "苏工信〔2026〕3号",
          "benefits": "按研发投入的10%给予补助", "expires_on": "2026-12-31",
          "criteria": {"region_prefixes": ["32"], "industry_codes": ["C"], "size_classes": ["small", "micro"],
                       "rd_ratio_min": 0.03, "registered_years_min": 2}}


def test_policy_message_names_the_policy_its_benefit_its_deadline_and_the_conditions_met():
    assert domain.policy_message(POLICY) == (
        "政策：江苏省中小企业研发补助办法（苏工信〔2026〕3号）\n"
        "惠企内容：按研发投入的10%给予补助\n"
        "有效期至：2026-12-31\n"
        "您符合的条件：注册地在江苏省；所属行业为制造业（C）；企业规模为小型或微型企业；"
        "研发费用占营业收入比例不低于3%；成立满2年")


def test_policy_without_deadline_or_criteria_says_so():
    message = domain.policy_message({**POLICY, "document_number": None, "expires_on": None, "criteria": {}})
    assert message.splitlines()[2:] == ["有效期：长期有效", "您符合的条件：面向政策适用地区的全部中小企业"]


AGENCIES = {11: {"name": "杭州市西湖区中小企业服务中心", "parent_id": 10},
            10: {"name": "杭州市中小企业服务中心", "parent_id": 1},
            1: {"name": "国家中小企业公共服务机构", "parent_id": None}}


def transition(action, agency_id=11, **extra):
    return {"request_id": "r-1", "action": action, "uscc": "91330106MA01A00017", "agency_id": agency_id,
            "from_agency_id": 11, "region_code": "330106", "reason": None, "resolve_by": "2026-03-01",
            "accept_by": "2026-02-20", **extra}


@pytest.mark.parametrize("action, agency_id, heard", [
    ("assign", 11, [("enterprise", "91330106MA01A00017", "request_update"), ("agency", "11", "request_new")]),
    ("accept", 11, [("enterprise", "91330106MA01A00017", "request_update")]),
    ("start", 11, []),
    ("resolve", 11, [("enterprise", "91330106MA01A00017", "request_update")]),
    ("transfer", 12, [("enterprise", "91330106MA01A00017", "request_update"), ("agency", "12", "request_new")]),
    ("return", 11, [("agency", "11", "request_new")]),
    ("escalate", 10, [("enterprise", "91330106MA01A00017", "request_update"),
                      ("agency", "10", "request_escalated")]),
    ("reopen", 11, [("agency", "11", "request_reopened")]),
    ("revisit", 11, []),
    ("withdraw", 11, []),
    ("close", 11, [("enterprise", "91330106MA01A00017", "request_update")]),
])
def test_each_request_step_reaches_the_parties_it_concerns(action, agency_id, heard):
    notices = domain.request_notices(transition(action, agency_id), AGENCIES)
    assert [(n["recipient_kind"], n["recipient_id"], n["kind"]) for n in notices] == heard


def test_resolution_asks_the_enterprise_to_rate_it():
    notice = domain.request_notices(transition("resolve"), AGENCIES)[0]
    assert notice["body"] == "您的诉求已由杭州市西湖区中小企业服务中心办结，请对办理结果进行评价"
    assert (notice["about_type"], notice["about_id"]) == ("request", "r-1")


def test_missed_deadline_goes_to_the_parent_agency_and_to_no_one_above_the_top():
    missed = {"request_id": "r-1", "kind": "accept", "due": "2026-02-20", "agency_id": 11,
              "uscc": "91330106MA01A00017"}
    notice = domain.deadline_missed_notice(missed, AGENCIES)
    assert (notice["recipient_kind"], notice["recipient_id"], notice["kind"]) == ("agency", "10", "deadline_missed")
    assert notice["body"] == "杭州市西湖区中小企业服务中心未在2026-02-20前受理诉求 r-1（企业 91330106MA01A00017）"
    assert domain.deadline_missed_notice({**missed, "agency_id": 1}, AGENCIES) is None


@pytest.mark.parametrize("event_type, payload, kind, body", [
    ("provider.admitted", {"readmission": False, "reason": "资质齐全"}, "provider_decision",
     "恒信咨询已纳入finance_talent领域优质服务机构库（资质齐全）"),
    ("provider.exited", {"automatic": True, "reason": "连续两期低于60分"}, "provider_decision",
     "恒信咨询已按动态调整退出finance_talent领域优质服务机构库（连续两期低于60分）"),
    ("provider.evaluated", {"period": "2026-Q1", "score": 58.5, "threshold": 60, "below_threshold": True},
     "provider_evaluation", "恒信咨询在finance_talent领域2026-Q1评估得分58.5，低于60分的标准"),
])
def test_a_provider_hears_of_admission_evaluation_and_exit(event_type, payload, kind, body):
    notice = domain.provider_notice(event_type, {"provider_id": 5, "name": "恒信咨询", "uscc": "91440305MA5FXXXX0X",
                                                 "service_area": "finance_talent", **payload})
    assert (notice["recipient_kind"], notice["recipient_id"], notice["kind"], notice["body"]) == \
        ("enterprise", "91440305MA5FXXXX0X", kind, body)


def test_only_policies_whose_region_can_cover_the_enterprise_are_asked_about():
    policies = [{"id": 1, "criteria": {"region_prefixes": ["32"]}}, {"id": 2, "criteria": {}},
                {"id": 3, "criteria": {"region_prefixes": ["44", "3205"]}}, {"id": 4, "criteria": None}]
    assert sorted(domain.candidate_policies(policies, "320506")) == ["1", "2", "3", "4"]
    assert sorted(domain.candidate_policies(policies, "440305")) == ["2", "3", "4"]
    assert sorted(domain.candidate_policies(policies, "110105")) == ["2", "4"]


@pytest.mark.parametrize("saved, kind, channels", [
    ({}, "policy_match", ["in_app", "webhook"]),
    ({"policy_match": ["email"]}, "policy_match", ["in_app", "email"]),
    ({"policy_match": ["in_app", "webhook", "email"]}, "policy_match", ["in_app", "webhook", "email"]),
    ({"policy_match": []}, "policy_match", ["in_app"]),
    ({"policy_match": []}, "request_update", ["in_app", "webhook"]),
])
def test_in_app_is_always_on_and_unsaved_kinds_go_in_app_and_to_webhooks(saved, kind, channels):
    assert domain.channels_for(saved, kind) == channels


UTC = timezone.utc


@pytest.mark.parametrize("now, start, end, until", [
    # Shanghai is UTC+8: 15:00 UTC is 23:00 there, inside 22:00-07:00, which ends 23:00 UTC.
    (datetime(2026, 3, 1, 15, 0, tzinfo=UTC), "22:00", "07:00", datetime(2026, 3, 1, 23, 0, tzinfo=UTC)),
    (datetime(2026, 3, 1, 20, 0, tzinfo=UTC), "22:00", "07:00", datetime(2026, 3, 1, 23, 0, tzinfo=UTC)),
    (datetime(2026, 3, 1, 23, 0, tzinfo=UTC), "22:00", "07:00", None),
    (datetime(2026, 3, 1, 13, 59, tzinfo=UTC), "22:00", "07:00", None),
    (datetime(2026, 3, 1, 4, 30, tzinfo=UTC), "12:00", "13:30", datetime(2026, 3, 1, 5, 30, tzinfo=UTC)),
    (datetime(2026, 3, 1, 5, 30, tzinfo=UTC), "12:00", "13:30", None),
    (datetime(2026, 3, 1, 4, 30, tzinfo=UTC), None, None, None),
])
def test_quiet_hours_hold_a_delivery_until_they_end(now, start, end, until):
    assert domain.quiet_until(now, start and time.fromisoformat(start), end and time.fromisoformat(end),
                              "Asia/Shanghai") == until


@pytest.mark.parametrize("attempts, jitter, delay", [
    (1, 0.0, 5.0), (1, 0.5, 7.5), (2, 0.0, 10.0), (3, 0.0, 20.0), (4, 0.999, 79.96),
    (10, 0.0, 1800.0), (10, 0.5, 2700.0), (30, 0.0, 1800.0),
])
def test_retries_back_off_exponentially_with_jitter_up_to_a_cap(attempts, jitter, delay):
    assert domain.retry_delay(attempts, base=10, cap=3600, jitter=jitter) == pytest.approx(delay)


@pytest.mark.parametrize("age_seconds, attempts, given_up", [
    (60, 1, False), (60, 12, True), (86_399, 11, False), (86_400, 2, True)])
def test_a_delivery_is_given_up_after_bounded_attempts_or_time(age_seconds, attempts, given_up):
    created = datetime(2026, 3, 1, tzinfo=UTC)
    now = datetime.fromtimestamp(created.timestamp() + age_seconds, UTC)
    assert domain.gives_up(created, now, attempts, max_age_seconds=86_400, max_attempts=12) is given_up


# -- registrations for activities --------------------------------------------------------------

PROMOTED = {"occurrence_id": 31, "activity_id": 9, "agency_id": 990101, "uscc": "91320214MA1W9XKQ3N",
            "state": "registered", "previous_state": "waitlisted", "starts_at": "2026-05-12T09:30:00+08:00",
            "ends_at": "2026-05-12T11:30:00+08:00", "title": "数字化转型培训班", "agency_name": "无锡高新区第1园区服务站",
            "venue": "无锡市民中心", "online_url": "https://meeting.example.cn/31"}


def test_an_enterprise_moved_up_from_the_waitlist_is_told_what_when_and_where():
    notice = domain.promotion_notice(PROMOTED)
    assert (notice["recipient_kind"], notice["recipient_id"], notice["kind"], notice["title"],
            notice["about_type"], notice["about_id"]) == (
        "enterprise", "91320214MA1W9XKQ3N", "activity_update", "候补转正：数字化转型培训班", "occurrence", "31")
    assert notice["body"] == (
        "您已由候补转为正式报名，获得活动“数字化转型培训班”的一个名额。\n"
        "时间：2026-05-12（星期二） 09:30–11:30\n"
        "地点：无锡市民中心；https://meeting.example.cn/31\n"
        "承办：无锡高新区第1园区服务站\n"
        "如不能参加，请及时取消报名，名额将递补给候补企业。")


def test_a_promotion_over_midnight_without_a_venue_or_holder_says_only_what_it_knows():
    notice = domain.promotion_notice({**PROMOTED, "starts_at": "2026-05-12T00:30:00Z",
                                      "ends_at": "2026-05-13T01:00:00+08:00", "venue": None, "agency_name": None})
    assert notice["body"].splitlines()[1:] == ["时间：2026-05-12（星期二） 08:30–2026-05-13 01:00",
                                               "地点：https://meeting.example.cn/31",
                                               "如不能参加，请及时取消报名，名额将递补给候补企业。"]


RESCHEDULED = {"occurrence_id": 44, "activity_id": 9, "agency_id": 990100, "title": "数字化转型培训班",
               "planned_on": "2029-10-01", "from_day": "2029-10-04", "to_day": "2029-10-08",
               "starts_at": "2029-10-08T10:00:00+08:00", "registered": ["91320214MA1W9XKQ3N", "91320214MA1W9XKQ4L"],
               "waitlisted": ["91320214MA1W9XKQ5J"]}


def test_each_enterprise_registered_or_waiting_hears_of_a_move_from_which_day_to_which():
    moved = "活动“数字化转型培训班”按2029年节假日安排调整，由2029-10-04（星期四）改至2029-10-08（星期一）10:00举行。"
    assert [(n["recipient_id"], n["kind"], n["title"], n["body"], n["about_type"], n["about_id"])
            for n in domain.reschedule_notices(RESCHEDULED)] == [
        ("91320214MA1W9XKQ3N", "activity_update", "活动改期：数字化转型培训班", moved + "您的报名继续有效。", "occurrence", "44"),
        ("91320214MA1W9XKQ4L", "activity_update", "活动改期：数字化转型培训班", moved + "您的报名继续有效。", "occurrence", "44"),
        ("91320214MA1W9XKQ5J", "activity_update", "活动改期：数字化转型培训班",
         moved + "您仍在候补名单中，有名额时将通知您。", "occurrence", "44")]


def test_a_move_nobody_registered_for_tells_nobody():
    assert domain.reschedule_notices({**RESCHEDULED, "registered": [], "waitlisted": []}) == []
