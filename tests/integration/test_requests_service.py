"""The requests service on the real broker and database, with the agencies service beside it."""
import json
import os
import uuid
import time
from datetime import date, datetime, timedelta

import eventlet
import psycopg2
import pytest
from nameko.containers import ServiceContainer
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook

from chassis import config as process_config

from chassis.errors import Conflict, Forbidden, NotFound, ValidationFailed
from services.agencies.service import AgenciesService
from services.enterprises.service import EnterprisesService
from services.requests import deadlines
from services.requests.service import RequestsService
from tests.stack import (admission_known_to_requests, depth, drain, new_event, new_uscc, publish, race_in_processes,
                         wait_for)

AMQP = {"AMQP_URI": os.environ["ONENET_AMQP_URI"]}
COUNTY = "320102"  # 南京市玄武区
USCC = "91320102MA1XB0003L"


def enterprise(uscc=USCC):
    return {"role": "enterprise", "scope": uscc, "subject": f"user-of-{uscc}"}


def staff(agency_id):
    return {"role": "agency_staff", "scope": str(agency_id), "subject": f"staff-{agency_id}"}


def submission(**overrides):
    body = {"service_area": "policy", "title": "申请政策兑现", "description": "研发费用加计扣除如何申报",
            "region_code": COUNTY}
    body.update(overrides)
    return body


@pytest.fixture(scope="module")
def running(prepared_stack):
    """The agencies service (with the national skeleton), the enterprises service (an arrears
    complaint needs the complainant's size class) and the requests service, for this module."""
    containers = [
        ServiceContainer(AgenciesService, process_config.load("services/agencies/config.yml")),
        ServiceContainer(EnterprisesService, process_config.load("services/enterprises/config.yml")),
        ServiceContainer(RequestsService, {**process_config.load("services/requests/config.yml"),
                                           "CLOCK_CONTROL": "on", "ESCALATION_INTERVAL": 0}),
    ]
    for container in containers:
        container.start()
    with ServiceRpcProxy("agencies", AMQP, timeout=120) as agencies:
        skeleton = agencies.generate_skeleton()
    assert copied(lambda cur: cur.execute("SELECT count(*) >= %s FROM agency", (skeleton["total"],))
                  or cur.fetchone()[0], timeout=120), "the requests service did not copy the skeleton"
    running = {container.service_name: container for container in containers}
    yield running
    for container in running.values():
        container.stop()


@pytest.fixture
def services(running):
    yield running
    with ServiceRpcProxy("requests", AMQP) as requests_rpc:
        requests_rpc.set_clock(0)


def db():
    conn = psycopg2.connect(os.environ["ONENET_DATABASE_URL"], options="-c search_path=requests")
    conn.autocommit = True
    return conn


def copied(check, timeout=10.0):
    """Wait until ``check(cursor)`` over the requests schema is true (the copy of the agencies
    follows their events); its answer."""
    def probe():
        with db() as conn, conn.cursor() as cur:
            return check(cur)
    return wait_for(probe, timeout)


def outbox_events(request_id):
    with db() as conn, conn.cursor() as cur:
        cur.execute("SELECT event_type, envelope->'payload' FROM outbox WHERE aggregate_id = %s ORDER BY id",
                    (request_id,))
        return cur.fetchall()


def days_until(day):
    """A clock offset (seconds) that puts "now" at 10:00 China time on ``day``."""
    target = datetime(day.year, day.month, day.day, 10, tzinfo=deadlines.CHINA_TIME)
    return (target - datetime.now(deadlines.CHINA_TIME)).total_seconds()


def test_submitted_request_is_routed_to_the_county_agency_with_its_deadlines(services):
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = rpc.submit(USCC, submission(), enterprise())

    assert created["state"] == "assigned"
    assert created["agency_name"].endswith("玄武区中小企业服务中心")
    assert created["accept_by"] and created["resolve_by"] >= created["accept_by"]
    assert created["expected_answer_by"] == created["resolve_by"]
    assert [entry["action"] for entry in created["history"]] == ["submit", "assign"]
    assert "玄武区中小企业服务中心: deepest agency covering" in created["history"][1]["reason"]
    assert [event for event, _ in outbox_events(created["id"])] == ["request.submitted", "request.assigned"]


def test_overdue_request_is_escalated_once_when_sweeps_race(services):
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = rpc.submit(USCC, submission(), enterprise())
    accept_by = date.fromisoformat(created["accept_by"])
    with db() as conn, conn.cursor() as cur:   # move the clock without the sweep set_clock runs
        cur.execute("INSERT INTO clock_offset VALUES (true, %s) ON CONFLICT (singleton) DO UPDATE "
                    "SET offset_seconds = EXCLUDED.offset_seconds", (days_until(accept_by + timedelta(days=1)),))

    def sweep():
        with ServiceRpcProxy("requests", AMQP) as rpc:
            return rpc.sweep()

    escalated_before = escalation_events()
    pool = eventlet.GreenPool()
    results = list(pool.imap(lambda _: sweep(), range(4)))
    assert sum(result["escalated"] for result in results) == escalation_events() - escalated_before
    with ServiceRpcProxy("requests", AMQP) as rpc:
        after = rpc.get(created["id"])
    escalations = [entry for entry in after["history"] if entry["action"] == "escalate"]
    assert len(escalations) == 1
    assert after["state"] == "assigned" and after["agency_name"] == "南京市中小企业服务中心"
    assert escalations[0]["from_agency_id"] == created["agency_id"]
    events = [event for event, _ in outbox_events(created["id"])]
    assert events.count("request.escalated") == 1 and events.count("request.deadline_missed") == 1


def test_sweeps_racing_in_two_processes_escalate_each_overdue_request_once(services):
    """Two replicas of the requests service, each its own OS process, sweep at the same moment."""
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = [rpc.submit(USCC, submission(region_code="320105"), enterprise()) for _ in range(4)]
    last_due = max(date.fromisoformat(request["accept_by"]) for request in created)
    with db() as conn, conn.cursor() as cur:   # move the clock without the sweep set_clock runs
        cur.execute("INSERT INTO clock_offset VALUES (true, %s) ON CONFLICT (singleton) DO UPDATE "
                    "SET offset_seconds = EXCLUDED.offset_seconds", (days_until(last_due + timedelta(days=1)),))
    escalated_before = escalation_events()

    results = race_in_processes("services/requests/config.yml", "sweep",
                                ESCALATION_INTERVAL=0, CLOCK_CONTROL="on")

    assert len(results) == 2
    assert sum(result["escalated"] for result in results) == escalation_events() - escalated_before
    with ServiceRpcProxy("requests", AMQP) as rpc:
        after = [rpc.get(request["id"]) for request in created]
    for before, request in zip(created, after):
        escalations = [entry for entry in request["history"] if entry["action"] == "escalate"]
        assert [entry["from_agency_id"] for entry in escalations] == [before["agency_id"]]
        assert (request["state"], request["agency_name"]) == ("assigned", "南京市中小企业服务中心")
        events = [event for event, _ in outbox_events(request["id"])]
        assert (events.count("request.escalated"), events.count("request.deadline_missed")) == (1, 1)


def escalation_events():
    with db() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM outbox WHERE event_type = 'request.escalated'")
        return cur.fetchone()[0]


def test_illegal_transition_lists_what_is_allowed(services):
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = rpc.submit(USCC, submission(), enterprise())
        with pytest.raises(Conflict) as raised:
            rpc.transition(created["id"], {"action": "resolve"}, staff(created["agency_id"]))
        with pytest.raises(NotFound):   # another agency does not see it: as if there were none
            rpc.transition(created["id"], {"action": "accept"}, staff(created["agency_id"] + 1))
        with pytest.raises(ValidationFailed):
            rpc.transition(created["id"], {"action": "fly"}, staff(created["agency_id"]))
        unchanged = rpc.get(created["id"])
    assert raised.value.details["allowed"] == ["accept", "transfer", "return", "escalate"]
    assert unchanged["state"] == "assigned" and len(unchanged["history"]) == 2


def admitted_provider(area="policy", region=COUNTY):
    """A quality service provider admitted in ``area``, registered in ``region``, once the requests
    service's copy of the admissions holds it (a step naming it is checked against that copy)."""
    with ServiceRpcProxy("agencies", AMQP) as agencies:
        provider = agencies.register_provider({
            "name": "南京玄武企业服务有限公司", "uscc": new_uscc(region), "region_code": region,
            "established_on": "2016-05-01", "served_enterprises": 40,
            "qualifications": [{"name": "代理记账许可证", "number": "DLJZ-32-001", "issuer": "南京市财政局"}]})
        agencies.apply_for_admission(provider["id"], area, "provider")
        agencies.decide_admission(provider["id"], {"service_area": area, "decision": "admit", "reason": "材料齐全"},
                                  "admin")
    admission_known_to_requests(provider["id"], area)
    return provider["id"]


def test_rating_emits_the_agreed_payload_and_history_is_append_only(services):
    provider_id = admitted_provider()
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = rpc.submit(USCC, submission(), enterprise())
        agency = staff(created["agency_id"])
        rpc.transition(created["id"], {"action": "accept", "provider_id": provider_id}, agency)
        rpc.transition(created["id"], {"action": "resolve"}, agency)
        rated = rpc.rate(created["id"], {"score": 4, "solved": True, "comment": "很好"}, enterprise())
        with pytest.raises(Conflict):
            rpc.rate(created["id"], {"score": 5, "solved": True}, enterprise())
    assert rated["state"] == "revisited"
    rated_events = [payload for event, payload in outbox_events(created["id"]) if event == "request.rated"]
    assert rated_events == [{"request_id": created["id"], "uscc": USCC, "agency_id": created["agency_id"],
                             "service_area": "policy", "region_code": COUNTY, "score": 4, "solved": True,
                             "comment": "很好", "provider_id": provider_id,
                             "origin_province": None, "origin_ref": None}]
    with db() as conn, conn.cursor() as cur, pytest.raises(psycopg2.errors.RaiseException):
        cur.execute("UPDATE request_history SET reason = 'rewritten' WHERE request_id = %s", (created["id"],))


def test_deadline_into_a_year_without_holidays_is_provisional_until_the_schedule_is_loaded(services):
    with ServiceRpcProxy("requests", AMQP) as rpc:
        rpc.set_clock(days_until(date(2026, 12, 30)))   # Wednesday; 2 working days reach 2027
        created = rpc.submit(USCC, submission(), enterprise())
        assert created["deadline_provisional"] is True
        assert created["accept_by"] == "2027-01-04"     # Thu 12-31, then 元旦 1-1 and the weekend off
        loaded = rpc.load_holiday_schedule(2027, {
            "holidays": [{"name": "元旦", "first": "2027-01-01", "last": "2027-01-03"}],
            "workdays": [], "source": "国务院办公厅通知"})
        reread = rpc.get(created["id"])
    assert loaded["recomputed"] >= 1
    assert reread["deadline_provisional"] is False
    assert reread["accept_by"] == "2027-01-04"


def test_arrears_complaint_goes_to_rights_with_its_statutory_due_date(services):
    claim = {"debtor_uscc": "11100000000013127D", "debtor_type": "government", "amount": 80000,
             "contract_date": "2026-05-01", "delivery_date": "2026-06-01"}
    uscc = new_uscc(COUNTY)
    with ServiceRpcProxy("enterprises", AMQP) as enterprises:
        # a small manufacturer with its 2025 figures: an SME on the contract date
        enterprises.register({"uscc": uscc, "name": "南京玄武示例制造有限公司", "region_code": COUNTY,
                              "industry_code": "C39", "figures_year": 2025, "employees": 40, "revenue": 1200})
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = rpc.submit(uscc, {"title": "政府采购款拖欠", "description": "交付后逾期未付款",
                                    "region_code": COUNTY, "arrears": claim}, enterprise(uscc))
        counts = rpc.counts_for_enterprise(uscc)
    assert created["service_area"] == "rights" and created["kind"] == "arrears"
    assert created["arrears"]["payment_due_date"] == "2026-07-01"
    assert created["arrears"]["payment_term_days"] == 30
    assert created["arrears"]["overdue"] is True and created["arrears"]["amount"] == "80000.00"
    assert counts["assigned"] >= 1


def test_enterprise_cannot_raise_a_request_in_another_name(services):
    with ServiceRpcProxy("requests", AMQP) as rpc, pytest.raises(Forbidden):
        rpc.submit(USCC, submission(), enterprise("91320102MA1XB0004P"))


def move_clock_to(day):
    """Put the service's clock at 10:00 on ``day`` without the sweep that set_clock runs."""
    with db() as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO clock_offset VALUES (true, %s) ON CONFLICT (singleton) DO UPDATE "
                    "SET offset_seconds = EXCLUDED.offset_seconds", (days_until(day),))


def agency_of(level, region=None):
    with ServiceRpcProxy("agencies", AMQP) as agencies:
        return agencies.list_agencies({"level": level, **({"region": region} if region else {})}, 1, 0)["items"][0]


def test_work_queue_puts_overdue_requests_first_then_the_nearest_deadline(services):
    """鼓楼区: a county no other test raises requests in, so its queue holds these three alone."""
    with ServiceRpcProxy("requests", AMQP) as rpc:
        late = rpc.submit(USCC, submission(region_code="320106"), enterprise())
        agency = staff(late["agency_id"])
        move_clock_to(date.fromisoformat(late["accept_by"]) + timedelta(days=1))   # no sweep has run yet
        accepted = rpc.submit(USCC, submission(region_code="320106"), enterprise())   # resolve_by: 10 days
        rpc.transition(accepted["id"], {"action": "accept"}, agency)
        waiting = rpc.submit(USCC, submission(region_code="320106"), enterprise())    # accept_by: 2 days
        queue = rpc.queue(late["agency_id"], 100, 0)
        overdue = rpc.list({"role": "agency_staff", "scope": str(late["agency_id"])}, {"overdue": True}, 100, 0)

    assert [(item["id"], item["overdue"]) for item in queue["items"]] == [
        (late["id"], True), (waiting["id"], False), (accepted["id"], False)]
    assert queue["total"] == 3
    assert [item["id"] for item in overdue["items"]] == [late["id"]]


def test_a_breach_at_national_level_is_recorded_and_announced_without_escalating(services):
    national = agency_of("national")
    with ServiceRpcProxy("requests", AMQP) as rpc:
        moved = rpc.submit(USCC, submission(region_code="320113"), enterprise())   # 栖霞区
        for _ in ("to the city", "to the province", "to the national agency"):
            moved = rpc.transition(moved["id"], {"action": "escalate", "reason": "需上级统筹"},
                                   staff(moved["agency_id"]))
        assert (moved["agency_id"], moved["agency_level"]) == (national["id"], "national")
        move_clock_to(date.fromisoformat(moved["accept_by"]) + timedelta(days=1))
        rpc.sweep()
        after = rpc.get(moved["id"])

    assert (after["state"], after["agency_id"], after["escalation_count"]) == ("assigned", national["id"], 3)
    assert [entry["action"] for entry in after["history"]] == ["submit", "assign"] + ["escalate"] * 3
    missed = [payload for event, payload in outbox_events(moved["id"]) if event == "request.deadline_missed"]
    assert [(payload["kind"], payload["agency_id"], payload["due"]) for payload in missed] == [
        ("accept", national["id"], moved["accept_by"])]
    assert [event for event, _ in outbox_events(moved["id"])].count("request.escalated") == 3


def test_return_goes_back_to_the_agency_it_came_from_else_to_the_parent(services):
    xuanwu, qinhuai = agency_of("county", "320102"), agency_of("county", "320104")
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = rpc.submit(USCC, submission(), enterprise())
        assert created["agency_id"] == xuanwu["id"]
        rpc.transition(created["id"], {"action": "transfer", "target_agency_id": qinhuai["id"],
                                       "reason": "属秦淮区管辖"}, staff(xuanwu["id"]))
        returned = rpc.transition(created["id"], {"action": "return", "reason": "不属本区管辖"},
                                  staff(qinhuai["id"]))
        fresh = rpc.submit(USCC, submission(), enterprise())
        to_parent = rpc.transition(fresh["id"], {"action": "return", "reason": "需市级统筹"}, staff(xuanwu["id"]))

    assert (returned["state"], returned["agency_id"]) == ("assigned", xuanwu["id"])
    assert (returned["history"][-1]["from_agency_id"], returned["history"][-1]["to_agency_id"]) == (
        qinhuai["id"], xuanwu["id"])
    assert (to_parent["agency_name"], to_parent["agency_level"]) == ("南京市中小企业服务中心", "city")


def test_request_history_refuses_update_and_delete(services):
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = rpc.submit(USCC, submission(), enterprise())
    for statement in ("UPDATE request_history SET reason = 'rewritten' WHERE request_id = %s",
                      "DELETE FROM request_history WHERE request_id = %s"):
        with db() as conn, conn.cursor() as cur, pytest.raises(psycopg2.errors.RaiseException):
            cur.execute(statement, (created["id"],))
    with ServiceRpcProxy("requests", AMQP) as rpc:
        assert [entry["action"] for entry in rpc.get(created["id"])["history"]] == ["submit", "assign"]


def test_agency_revisit_call_moves_a_resolved_request_to_revisited_and_the_enterprise_still_rates(services):
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = rpc.submit(USCC, submission(), enterprise())
        agency = staff(created["agency_id"])
        rpc.transition(created["id"], {"action": "accept"}, agency)
        with pytest.raises(Conflict):
            rpc.record_revisit(created["id"], {"note": "电话回访"}, agency)   # not resolved yet
        rpc.transition(created["id"], {"action": "resolve"}, agency)
        with pytest.raises(NotFound):   # another agency does not see it
            rpc.record_revisit(created["id"], {"note": "电话回访"}, staff(created["agency_id"] + 1))
        called = rpc.record_revisit(created["id"], {"note": "电话回访，企业表示满意", "solved": True}, agency)
        rated = rpc.rate(created["id"], {"score": 3, "solved": False}, enterprise())
        reopened = rpc.transition(created["id"], {"action": "reopen"}, enterprise())

    assert called["state"] == "revisited" and called["revisits"][0]["note"] == "电话回访，企业表示满意"
    assert [entry["action"] for entry in rated["history"]].count("revisit") == 1
    assert reopened["state"] == "in_progress"


# -- the copy of the agency hierarchy and the guides' time limits ---------------------------

def test_an_agency_created_after_start_is_known_to_requests_within_a_second(services):
    """A station added now takes the requests raised in its park at once."""
    county = agency_of("county", "320102")
    park = f"紫金山实验园{uuid.uuid4().hex[:6]}"
    began = time.monotonic()
    with ServiceRpcProxy("agencies", AMQP) as agencies:
        station = agencies.create_agency({"name": f"{park}服务站", "level": "station", "region_code": "320102",
                                          "parent_id": county["id"], "park": park, "service_areas": ["policy"]})
    known = copied(lambda cur: cur.execute("SELECT park FROM agency WHERE id = %s", (station["id"],))
                   or cur.fetchone(), timeout=5)
    elapsed = time.monotonic() - began

    assert known == (park,) and elapsed < 1.0, f"known after {elapsed:.2f} s"
    with ServiceRpcProxy("requests", AMQP) as rpc:
        created = rpc.submit(USCC, submission(park=park), enterprise())
    assert (created["agency_id"], created["agency_level"]) == (station["id"], "station")


def guide_of(accept_days, resolve_days, area="policy"):
    return {"items": [{"service_area": area, "title": "政策咨询", "content": "惠企政策解读与申报辅导",
                       "process": ["提交诉求", "受理", "答复"], "accept_days": accept_days,
                       "resolve_days": resolve_days}],
            "supervision": {"phone": "025-12345"}, "contact": {"address": "南京市浦口区", "phone": "025-00000000"}}


def test_a_published_guide_sets_the_time_limits_of_requests_submitted_after_it(services):
    """浦口区: a county no other test raises requests in or publishes a guide for."""
    pukou = agency_of("county", "320111")
    with ServiceRpcProxy("requests", AMQP) as rpc:
        before = rpc.submit(USCC, submission(region_code="320111"), enterprise())
    for accept_days, resolve_days in ((4, 12), (5, 20)):
        with ServiceRpcProxy("agencies", AMQP) as agencies:
            version = agencies.publish_guide(pukou["id"], guide_of(accept_days, resolve_days), "staff")["version"]
        assert copied(lambda cur: cur.execute("SELECT version FROM guide_copy WHERE agency_id = %s",
                                              (pukou["id"],)) or cur.fetchone() == (version,))
        with ServiceRpcProxy("requests", AMQP) as rpc:
            after = rpc.submit(USCC, submission(region_code="320111"), enterprise())
        assert after["agency_id"] == pukou["id"]
        assert time_limits_of(after["id"]) == (accept_days, resolve_days)
    assert time_limits_of(before["id"]) == (2, 10)   # the area's default, as it was submitted


def time_limits_of(request_id):
    with db() as conn, conn.cursor() as cur:
        cur.execute("SELECT accept_days, resolve_days FROM service_request WHERE id = %s", (request_id,))
        return cur.fetchone()


def test_a_copy_started_empty_is_filled_from_the_agencies_snapshot(services):
    """An existing deployment: agencies that were there before the copy are known after one snapshot.
    Once the copy is filled, the timer that fills it has stopped: no more polling."""
    timer, = [entrypoint for entrypoint in services["requests"].entrypoints
              if entrypoint.method_name == "fill_agency_copy"]
    assert wait_for(lambda: timer.gt.dead, 10), "the snapshot timer still runs after the copy was filled"
    provider_id = admitted_provider()
    with db() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM agencies.agency")   # what the agencies service knows
        known = cur.fetchone()[0]
        cur.execute("DELETE FROM agency WHERE level = 'county' AND region_code LIKE '6501%%'")
        cur.execute("DELETE FROM provider_admission")
        cur.execute("DELETE FROM provider")
        cur.execute("DELETE FROM agency_snapshot")
    with entrypoint_hook(services["requests"], "fill_agency_copy") as fill:
        filled = fill()
    with entrypoint_hook(services["requests"], "fill_agency_copy") as fill:
        again = fill()
    with db() as conn, conn.cursor() as cur:
        # every agency of the snapshot, the deleted ones again (beside any an earlier module only
        # announced by an event of its own, which the agencies service never held)
        cur.execute("SELECT count(*) FROM agency copied WHERE EXISTS "
                    "(SELECT 1 FROM agencies.agency known WHERE known.id = copied.id)")
        assert cur.fetchone()[0] == filled == known
        cur.execute("SELECT agencies FROM agency_snapshot")
        assert cur.fetchone() == (filled,)
        cur.execute("SELECT p.region_code, a.service_area, a.admitted FROM provider p "
                    "JOIN provider_admission a ON a.provider_id = p.id WHERE p.id = %s", (provider_id,))
        assert cur.fetchall() == [(COUNTY, "policy", True)]
    assert again == filled


def test_a_burst_of_agency_events_is_copied_a_batch_at_a_time_each_once_and_a_broken_one_parked_alone(services):
    """A new hierarchy announces thousands of agencies at once: the copy takes them in batches, an
    event delivered twice has one effect, an agency changed twice in a burst keeps its latest
    change, and an event whose payload breaks the contract is parked without the others."""
    first_id = 90_000_000 + uuid.uuid4().int % 1_000_000 * 10
    park = f"批量园{uuid.uuid4().hex[:6]}"
    created = [new_event("agency.created", {"id": first_id + n, "name": f"{park}服务站{n}", "level": "station",
                                            "region_code": "320102", "park": f"{park}{n}", "active": False,
                                            "service_areas": ["policy"]}) for n in range(600)]
    renamed = new_event("agency.updated", {**created[0]["payload"], "name": f"{park}服务站改名", "changed": ["name"]})
    broken = new_event("agency.created", {"id": first_id + 600, "level": "station", "region_code": "320102"})
    try:
        for event in created[:300] + [created[5], broken, renamed] + created[300:]:
            publish(event)
        assert copied(lambda cur: cur.execute("SELECT count(*) FROM agency WHERE id BETWEEN %s AND %s",
                                              (first_id, first_id + 600)) or cur.fetchone() == (600,), timeout=60)
        assert wait_for(lambda: depth("requests.copy_agency.dead-letter") == 1, timeout=30)
        with db() as conn, conn.cursor() as cur:
            cur.execute("SELECT name FROM agency WHERE id = %s", (first_id,))
            assert cur.fetchone() == (f"{park}服务站改名",)
            cur.execute("SELECT count(*) FROM inbox WHERE event_id = ANY(%s::uuid[])",
                        ([event["event_id"] for event in created + [renamed, broken]],))
            assert cur.fetchone() == (601,)
        ((headers, body),) = drain("requests.copy_agency.dead-letter")
        assert json.loads(body)["event_id"] == broken["event_id"]
        assert "breaks its contract" in headers["x-onenet-error"]
    finally:
        with db() as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM agency WHERE id BETWEEN %s AND %s", (first_id, first_id + 600))


def test_requests_are_submitted_moved_on_and_swept_with_the_agencies_service_stopped(services):
    """Routing, deadlines, transfer, return, the provider an acceptance names and escalation read the
    requests service's own copy: none of them waits for the agencies service."""
    xuanwu, qinhuai = agency_of("county", "320102"), agency_of("county", "320104")
    provider_id = admitted_provider()
    services["agencies"].stop()
    try:
        with ServiceRpcProxy("requests", AMQP) as rpc:
            created = rpc.submit(USCC, submission(), enterprise())
            transferred = rpc.transition(created["id"], {"action": "transfer", "target_agency_id": qinhuai["id"],
                                                         "reason": "属秦淮区管辖"}, staff(xuanwu["id"]))
            returned = rpc.transition(created["id"], {"action": "return", "reason": "不属本区管辖"},
                                      staff(qinhuai["id"]))
            accepted = rpc.transition(created["id"], {"action": "accept", "provider_id": provider_id},
                                      staff(xuanwu["id"]))
            late = rpc.submit(USCC, submission(), enterprise())
            move_clock_to(date.fromisoformat(late["accept_by"]) + timedelta(days=1))
            swept = rpc.sweep()
            escalated = rpc.get(late["id"])
    finally:
        services["agencies"] = ServiceContainer(AgenciesService, process_config.load("services/agencies/config.yml"))
        services["agencies"].start()

    assert (created["state"], created["agency_id"]) == ("assigned", xuanwu["id"])
    assert "玄武区中小企业服务中心: deepest agency covering" in created["history"][1]["reason"]
    assert transferred["agency_id"] == qinhuai["id"] and returned["agency_id"] == xuanwu["id"]
    assert (accepted["state"], accepted["provider_id"]) == ("accepted", provider_id)
    assert swept["escalated"] >= 1
    assert (escalated["agency_name"], escalated["escalation_count"]) == ("南京市中小企业服务中心", 1)
