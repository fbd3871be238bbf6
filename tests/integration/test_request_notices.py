"""Notices from request steps that need the agency hierarchy or time: missed deadlines go to
the parent agency, revisit reminders to the holding agency once, providers hear of evaluations."""
import json
import os
import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.notifications.service import NotificationsService
from tests.stack import drain, new_event, new_uscc, publish, rpc, sql, wait_for

CONFIG = os.path.join("services", "notifications", "config.yml")


@pytest.fixture
def notifications(container_for):
    return container_for(NotificationsService, CONFIG, DELIVERY_DISPATCH="off", REVISIT_AFTER=3600,
                         REVISIT_SWEEP_INTERVAL=0)


def agency(agency_id, parent_id, name):
    return new_event("agency.created", {"id": agency_id, "name": name, "level": "county", "region_code": "650102",
                                        "parent_id": parent_id, "park": None, "service_areas": ["policy"],
                                        "active": True})


def agency_notices(agency_id, kind):
    return sql("notifications", "SELECT body FROM notice WHERE recipient_kind = 'agency' AND recipient_id = %s "
                                "AND kind = %s", (str(agency_id), kind))


def step(action, request_id, uscc, agency_id, at):
    return new_event(f"request.{ {'resolve': 'resolved', 'revisit': 'revisited'}[action]}", {
        "request_id": request_id, "action": action, "from_state": "in_progress", "to_state": "resolved",
        "uscc": uscc, "service_area": "policy", "region_code": "650102", "agency_id": agency_id,
        "from_agency_id": agency_id, "accept_by": None, "resolve_by": None, "reason": None,
        "actor_role": "agency_staff", "at": at.isoformat()})


def test_a_missed_deadline_reaches_the_parent_agency(notifications):
    county, city = random.randrange(10 ** 8, 2 * 10 ** 8), random.randrange(2 * 10 ** 8, 3 * 10 ** 8)
    publish(agency(city, None, "乌鲁木齐市中小企业服务中心"))
    publish(agency(county, city, "天山区中小企业服务中心"))
    assert wait_for(lambda: sql("notifications", "SELECT count(*) FROM agency WHERE id IN (%s, %s)",
                                (county, city))[0][0] == 2)
    request_id, uscc = str(uuid.uuid4()), new_uscc("650102")

    publish(new_event("request.deadline_missed", {
        "request_id": request_id, "kind": "resolve", "due": "2026-03-02", "agency_id": county, "uscc": uscc,
        "service_area": "policy", "region_code": "650102", "detected_at": "2026-03-03T02:00:00+00:00"}))

    assert wait_for(lambda: agency_notices(city, "deadline_missed")) == [
        (f"天山区中小企业服务中心未在2026-03-02前办结诉求 {request_id}（企业 {uscc}）",)]
    assert agency_notices(county, "deadline_missed") == []


def test_an_agency_announced_without_a_parent_is_kept_beside_its_batch_mates(notifications):
    """The contract leaves ``parent_id`` out of a payload when it has none (a station announced
    alone): the copy keeps the agency without a parent, and the events beside it in its batch."""
    parentless, county = random.randrange(4 * 10 ** 8, 5 * 10 ** 8), random.randrange(5 * 10 ** 8, 6 * 10 ** 8)
    station = new_event("agency.created", {"id": parentless, "name": "昌吉园区服务站", "level": "station",
                                           "region_code": "652301", "park": "昌吉高新区", "active": False})
    publish(station)
    publish(agency(county, None, "昌吉市中小企业服务中心"))

    assert wait_for(lambda: sql("notifications", "SELECT id, parent_id, name FROM agency WHERE id IN (%s, %s) "
                                "ORDER BY id", (parentless, county)) == [(parentless, None, "昌吉园区服务站"),
                                                                          (county, None, "昌吉市中小企业服务中心")])
    parked = [json.loads(body)["payload"]["id"] for _, body in drain("notifications.record_agency.dead-letter")]
    assert {parentless, county}.isdisjoint(parked)


def test_a_resolved_request_not_revisited_reminds_its_agency_once(notifications):
    agency_id, uscc = random.randrange(3 * 10 ** 8, 4 * 10 ** 8), new_uscc("650102")
    waiting, revisited, recent = (str(uuid.uuid4()) for _ in range(3))
    long_ago = datetime.now(timezone.utc) - timedelta(hours=5)
    publish(step("resolve", waiting, uscc, agency_id, long_ago))
    publish(step("revisit", revisited, uscc, agency_id, long_ago + timedelta(hours=1)))  # handled before its resolution
    publish(step("resolve", revisited, uscc, agency_id, long_ago))
    publish(step("resolve", recent, uscc, agency_id, datetime.now(timezone.utc)))
    assert wait_for(lambda: sql("notifications", "SELECT count(*) FROM revisit_watch WHERE uscc = %s "
                                "AND resolved_at IS NOT NULL", (uscc,))[0][0] == 3)

    with rpc("notifications") as proxy:
        proxy.remind_revisits()
        proxy.remind_revisits()

    reminders = agency_notices(agency_id, "revisit_due")
    assert len(reminders) == 1 and waiting in reminders[0][0]


def test_a_provider_hears_of_its_evaluation(notifications):
    uscc = new_uscc("440305")
    publish(new_event("provider.evaluated", {
        "provider_id": 5, "name": "恒信咨询", "uscc": uscc, "service_area": "finance_talent", "period": "2026-Q1",
        "capability": 70, "management": 60, "service_quality": 50, "satisfaction": None, "ratings": 0,
        "score": 58.5, "threshold": 60, "below_threshold": True, "exited": False}))
    assert wait_for(lambda: sql("notifications", "SELECT kind, body FROM notice WHERE recipient_id = %s", (uscc,))) == [
        ("provider_evaluation", "恒信咨询在finance_talent领域2026-Q1评估得分58.5，低于60分的标准")]


def test_an_event_whose_payload_breaks_its_contract_is_parked_at_once(notifications):
    publish(new_event("provider.evaluated", {"provider_id": "five"}))
    parked = wait_for(lambda: drain("notifications.tell_provider.dead-letter"))
    assert parked[0][0]["x-onenet-exception"] == "PermanentFailure"
    assert "provider.evaluated payload unusable" in parked[0][0]["x-onenet-error"]
