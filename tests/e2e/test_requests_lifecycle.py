"""Requests handled directly (诉求直办), through HTTP only: escalation, handling, rating,
reopening, archive, and the assessment figures that follow from them."""
import os
from datetime import date, datetime, timedelta

import requests as http
from prometheus_client.parser import text_string_to_metric_families

from services.requests.deadlines import CHINA_TIME
from tests.stack import rate_request, take_action

# 苏州市虎丘区 and its city: used by no other test, so their figures are this test's alone.
COUNTY, CITY = "320505", "320500"


def test_overdue_county_request_escalates_to_city_and_is_handled_to_archive_with_exact_assessment(
        api, token, new_uscc, agency_skeleton, clock):
    uscc = new_uscc(COUNTY)
    me = token("enterprise", uscc)

    created = api.post("/api/v1/requests", me, json={
        "service_area": "policy", "title": "技改补贴申报咨询", "region_code": COUNTY,
        "description": "想了解今年技术改造补贴的申报条件和材料"})
    assert created.status_code == 201, created.text
    created = created.json()
    request_id, county_agency = created["id"], created["agency_id"]
    assert created["state"] == "assigned" and created["agency_level"] == "county"
    assert created["expected_answer_by"] == created["resolve_by"]
    county_staff = token("agency_staff", str(county_agency))
    period = datetime.fromisoformat(created["submitted_at"]).astimezone(CHINA_TIME).strftime("%Y-%m")

    # nobody accepts: the day after the acceptance deadline it is with the city agency
    moved = clock(date.fromisoformat(created["accept_by"]) + timedelta(days=1))
    assert moved["escalated"] >= 1
    escalated = api.get(f"/api/v1/requests/{request_id}", me)
    assert escalated.status_code == 200, escalated.text
    escalated = escalated.json()
    assert escalated["state"] == "assigned" and escalated["agency_level"] == "city"
    assert escalated["agency_name"] == "苏州市中小企业服务中心"
    assert escalated["escalation_count"] == 1
    city_staff = token("agency_staff", str(escalated["agency_id"]))
    # the county still sees what it escalated, but may no longer act on it
    assert api.get(f"/api/v1/requests/{request_id}", county_staff).status_code == 200
    refused = api.post(f"/api/v1/requests/{request_id}/transitions", county_staff, json={"action": "accept"})
    assert refused.status_code == 403

    take_action(api, city_staff, request_id, "accept")
    take_action(api, city_staff, request_id, "resolve")
    assert rate_request(api, me, request_id, 2, False, "答复没有解决问题")["state"] == "revisited"
    reopened = take_action(api, me, request_id, "reopen", reason="仍未解决")
    assert reopened["state"] == "in_progress" and reopened["reopen_count"] == 1
    take_action(api, city_staff, request_id, "resolve")
    assert rate_request(api, me, request_id, 5, True, "问题已解决")["state"] == "revisited"
    closed = take_action(api, me, request_id, "close")

    assert closed["state"] == "closed" and closed["archived"] is True
    assert [(entry["action"], entry["to_state"]) for entry in closed["history"]] == [
        ("submit", "submitted"), ("assign", "assigned"), ("escalate", "assigned"),
        ("accept", "accepted"), ("resolve", "resolved"), ("revisit", "revisited"),
        ("reopen", "in_progress"), ("resolve", "resolved"), ("revisit", "revisited"),
        ("close", "closed")]
    escalation = closed["history"][2]
    assert (escalation["actor_role"], escalation["from_agency_id"], escalation["to_agency_id"]) == (
        "system", county_agency, escalated["agency_id"])
    assert [(r["round"], r["score"], r["solved"]) for r in closed["ratings"]] == [(1, 2, False), (2, 5, True)]
    # archived: read-only, whoever asks
    again = api.post(f"/api/v1/requests/{request_id}/transitions", me, json={"action": "reopen"})
    assert again.status_code == 409 and again.json()["error"]["details"]["allowed"] == []

    expected = {"received": 1, "accepted": 1, "accepted_on_time": 0, "accepted_on_time_pct": 0.0,
                "resolved": 1, "resolved_on_time": 1, "resolved_on_time_pct": 100.0, "escalations": 1,
                "ratings": 2, "average_satisfaction": 3.5, "revisit_coverage_pct": 100.0,
                "resolved_not_solved_pct": 50.0}
    for region, admin_role, received_escalations in ((COUNTY, "county_admin", 0), (CITY, "city_admin", 1)):
        figures = api.get(f"/api/v1/assessment?region={region}&period={period}", token(admin_role, region))
        assert figures.status_code == 200, figures.text
        figures = figures.json()
        assert {key: figures[key] for key in expected} == expected, region
        assert figures["escalations_received"] == received_escalations, region


# Assessment figure -> its gauge on the requests process's /metrics (docs/requests.md).
GAUGES = {
    "received": "onenet_assessment_requests_received",
    "accepted_on_time_pct": "onenet_assessment_accepted_on_time_percent",
    "resolved_on_time_pct": "onenet_assessment_resolved_on_time_percent",
    "escalations": "onenet_assessment_escalations",
    "escalations_received": "onenet_assessment_escalations_received",
    "average_satisfaction": "onenet_assessment_satisfaction_average",
    "revisit_coverage_pct": "onenet_assessment_revisit_coverage_percent",
    "resolved_not_solved_pct": "onenet_assessment_resolved_not_solved_percent",
}


def test_assessment_gauges_on_metrics_equal_the_apis_figures(api, token, new_uscc, agency_skeleton):
    """苏州市吴中区 (320506): used by no other test. Two requests, one handled and rated 4, solved."""
    uscc = new_uscc("320506")
    me = token("enterprise", uscc)
    raised = [api.post("/api/v1/requests", me, json={
        "service_area": "training", "title": f"员工培训 {n}", "description": "数字化转型培训",
        "region_code": "320506"}).json() for n in (1, 2)]
    handled = raised[0]["id"]
    staff = token("agency_staff", str(raised[0]["agency_id"]))
    take_action(api, staff, handled, "accept")
    take_action(api, staff, handled, "resolve")
    rate_request(api, me, handled, 4, True, "满意")
    today = datetime.now(CHINA_TIME)
    admins = {"320506": token("county_admin", "320506"), "320500": token("city_admin", "320500"),
              "320000": token("province_admin", "320000")}

    text = http.get(f"http://127.0.0.1:{os.environ['REQUESTS_OPS_PORT']}/metrics", timeout=10).text
    gauges = {(s.name, s.labels["region"], s.labels["period"]): s.value
              for family in text_string_to_metric_families(text) for s in family.samples
              if s.name in GAUGES.values()}
    compared = 0
    for region, admin in admins.items():
        for period in (today.strftime("%Y-%m"), today.strftime("%Y")):
            figures = api.get(f"/api/v1/assessment?region={region}&period={period}", admin).json()
            for figure, gauge in GAUGES.items():
                assert gauges.get((gauge, region, period)) == figures[figure], (gauge, region, period)
                compared += 1
    assert compared == 48
    county_month = api.get(f"/api/v1/assessment?region=320506&period={today:%Y-%m}", admins["320506"]).json()
    assert {figure: county_month[figure] for figure in GAUGES} == {
        "received": 2, "accepted_on_time_pct": 100.0, "resolved_on_time_pct": 100.0, "escalations": 0,
        "escalations_received": 0, "average_satisfaction": 4.0, "revisit_coverage_pct": 100.0,
        "resolved_not_solved_pct": 0.0}


def test_assessment_is_only_for_the_callers_region(api, token):
    county_admin = token("county_admin", COUNTY)
    assert api.get(f"/api/v1/assessment?region={CITY}&period=2026", county_admin).status_code == 403
    bad = api.get("/api/v1/assessment?region=320505&period=2026-13", county_admin)
    assert bad.status_code == 422 and "period" in bad.json()["error"]["details"]
