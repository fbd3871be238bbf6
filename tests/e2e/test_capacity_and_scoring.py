"""Agencies' capacity, staff performance and the provinces' scoring, through HTTP only.

宁夏 (64) and 青海 (63) are used by no other test. The seed, in March 2025 on the
network's clock: six requests raised in 银川市兴庆区 (640104) and handled by two
staff members of its county agency (one on time and rated 5; one accepted but
not resolved in time, escalated by the scheduler; one escalated by hand; one
rated "not solved", reopened and resolved again; one rated 1 and left unsolved;
one nobody accepted, escalated); capacity records, training, SMEs in two parks
of which one has a station, and 西夏区 (640105) with its county agency
deactivated. Later tests add an activity and two policies pushed to the SMEs.
"""
import csv
import io
import os
import time
from datetime import date, datetime, timedelta, timezone

import pytest
import requests as http
from prometheus_client.parser import text_string_to_metric_families

from services.requests.deadlines import CHINA_TIME
from tests.stack import (activity_body, known_to_activities, known_to_requests, new_uscc, rate_request, registration,
                         take_action, wait_for)

PROVINCE, CITY, COUNTY, NO_AGENCY, NO_STATION = "640000", "640100", "640104", "640105", "640106"
OTHER_PROVINCE = "630000"
YEAR = 2025
PARK_WITH_STATION, PARK_WITHOUT_STATION = "银川经济技术开发区", "银川苏银产业园"
DAY = date(2025, 3, 3)  # a Monday: acceptance due 03-05, resolution due 03-17 (policy: 2 and 10 working days)


def ok(answer, status=200):
    assert answer.status_code == status, answer.text
    return answer.json()


def agency_at(api, level, region):
    [agency] = [each for each in ok(api.get(f"/api/v1/agencies?level={level}&region={region}"))["items"]
                if each["region_code"] == region]
    return agency


def capacity(full, part, fiscal, special=0, **more):
    return {"year": YEAR, "full_time_staff": full, "part_time_staff": part,
            "funding": {"fiscal": fiscal, "special_fund": special}, "it": {"network_connected": True}, **more}


@pytest.fixture(scope="module")
def ningxia(api, token, agency_skeleton):
    """The seeded province: agencies, staff, capacity, SMEs and the request history."""
    admin = token("national_admin")
    county = agency_at(api, "county", COUNTY)
    city = agency_at(api, "city", CITY)
    seed = {"county": county, "city": city, "admin": admin,
            "province_admin": token("province_admin", PROVINCE)}
    seed["station"] = ok(api.post("/api/v1/agencies", admin, json={
        "name": "银川经开区企业服务站", "level": "station", "region_code": COUNTY, "parent_id": county["id"],
        "park": PARK_WITH_STATION, "service_areas": ["policy", "training"]}), 201)
    inactive = ok(api.patch(f"/api/v1/agencies/{agency_at(api, 'county', NO_AGENCY)['id']}", admin,
                            json={"active": False}))
    known_to_requests(seed["station"]["id"])   # the requests service routes over its copy
    known_to_requests(inactive["id"], active=False)

    # SMEs: five in 640104 (three in the park with a station), two in 640106's park without one,
    # and a large enterprise in the park with a station (a park, but no SME)
    enterprises = []
    for region, park, size in ((COUNTY, PARK_WITH_STATION, {}), (COUNTY, PARK_WITH_STATION, {}),
                               (COUNTY, PARK_WITH_STATION, {}), (COUNTY, None, {}), (COUNTY, None, {}),
                               (COUNTY, None, {}), (NO_STATION, PARK_WITHOUT_STATION, {}),
                               (NO_STATION, PARK_WITHOUT_STATION, {}),
                               (COUNTY, PARK_WITH_STATION, {"employees": 3000, "revenue": 900000})):
        uscc = new_uscc(region)
        body = registration(uscc, region_code=region, name="宁夏示例企业有限公司", **size,
                            **({"park": park} if park else {}))
        ok(api.post("/api/v1/enterprises", admin, json=body), 201)
        enterprises.append(uscc)
    seed["requesters"] = enterprises[:6]
    seed["in_no_station"] = enterprises[6:8]
    other = new_uscc("630102")
    ok(api.post("/api/v1/enterprises", admin, json=registration(other, region_code="630102")), 201)

    province_admin = seed["province_admin"]
    ok(api.put(f"/api/v1/agencies/{county['id']}/capacity", province_admin, json=capacity(
        4, 2, 80, 20, qualifications=[{"qualification": "中级经济师", "holders": 2}],
        premises={"hall_area_m2": 320, "address": "银川市兴庆区解放西街1号"},
        certifications=[{"name": "ISO 9001 质量管理体系认证", "number": "00125Q3", "issuer": "中国质量认证中心",
                         "expires_on": "2027-06-30"},
                        {"name": "服务认证（五星级）", "number": "SC-2020-7", "issuer": "方圆标志认证集团",
                         "expires_on": "2024-12-31"}],
        commitment="一次告知、限时办结", covenant="文明服务、廉洁高效")))
    ok(api.put(f"/api/v1/agencies/{agency_at(api, 'province', PROVINCE)['id']}/capacity", admin,
               json=capacity(10, 0, 300)))
    ok(api.put(f"/api/v1/agencies/{seed['station']['id']}/capacity", province_admin, json=capacity(1, 1, 10)))
    ok(api.put(f"/api/v1/agencies/{agency_at(api, 'province', OTHER_PROVINCE)['id']}/capacity", admin,
               json=capacity(1, 0, 5)))

    staff = {}
    for subject, name in (("staff-a", "王敏"), ("staff-b", "李强")):
        staff[subject] = ok(api.post(f"/api/v1/agencies/{county['id']}/staff", province_admin, json={
            "subject": subject, "name": name, "post": "服务专员", "qualifications": ["中级经济师"]}), 201)
    seed["staff"] = staff
    for subject, course, hours in (("staff-a", "惠企政策解读", 8), ("staff-b", "诉求办理规范", 4)):
        ok(api.post(f"/api/v1/staff/{staff[subject]['id']}/trainings", province_admin, json={
            "course": course, "hours": hours, "held_on": "2025-04-10", "provider": "宁夏中小企业服务中心"}), 201)

    seed["requests"] = handle_requests(api, token, seed)
    assert wait_for(lambda: ok(api.get(f"/api/v1/coverage?region={PROVINCE}&year={YEAR}", admin))["smes"] == 8,
                    timeout=15), "the SME register did not hear of the eight SMEs within 15 s"
    return seed


def handle_requests(api, token, seed):
    """The request history of March 2025 (see the module docstring), on the network's clock."""
    admin = token("national_admin")
    a = token("agency_staff", str(seed["county"]["id"]), subject="staff-a")
    b = token("agency_staff", str(seed["county"]["id"]), subject="staff-b")
    c = token("agency_staff", str(seed["city"]["id"]), subject="staff-c")

    def move_to(day):
        target = datetime(day.year, day.month, day.day, 10, tzinfo=CHINA_TIME)
        ok(api.put("/api/v1/clock", admin, json={
            "offset_seconds": (target - datetime.now(CHINA_TIME)).total_seconds()}))

    try:
        move_to(DAY)
        ids = {}
        for name, uscc in zip(("on_time", "late", "by_hand", "reopened", "unsatisfied", "unaccepted"),
                              seed["requesters"]):
            created = ok(api.post("/api/v1/requests", token("enterprise", uscc), json={
                "service_area": "policy", "title": "惠企政策咨询", "region_code": COUNTY,
                "description": "想了解今年的惠企政策"}), 201)
            assert created["agency_id"] == seed["county"]["id"], created
            assert (created["accept_by"], created["resolve_by"]) == ("2025-03-05", "2025-03-17"), created
            ids[name] = created["id"]
        me = {name: token("enterprise", uscc) for name, uscc in zip(ids, seed["requesters"])}

        take_action(api, a, ids["on_time"], "accept")
        take_action(api, a, ids["on_time"], "resolve")
        rate_request(api, me["on_time"], ids["on_time"], 5, True, "很满意")

        take_action(api, a, ids["late"], "accept")

        take_action(api, b, ids["by_hand"], "accept")
        take_action(api, b, ids["by_hand"], "escalate", reason="涉及市级政策，需上级统筹")
        take_action(api, c, ids["by_hand"], "accept")
        take_action(api, c, ids["by_hand"], "resolve")

        take_action(api, a, ids["reopened"], "accept")
        take_action(api, a, ids["reopened"], "resolve")
        rate_request(api, me["reopened"], ids["reopened"], 2, False, "没有解决")
        take_action(api, me["reopened"], ids["reopened"], "reopen", reason="仍未解决")
        take_action(api, a, ids["reopened"], "resolve")
        rate_request(api, me["reopened"], ids["reopened"], 4, True, "已解决")

        take_action(api, b, ids["unsatisfied"], "accept")
        take_action(api, b, ids["unsatisfied"], "resolve")
        rate_request(api, me["unsatisfied"], ids["unsatisfied"], 1, False, "答非所问")
        ok(api.post(f"/api/v1/requests/{ids['unsatisfied']}/revisits", b,
                    json={"note": "电话回访，企业仍不满意", "solved": False}), 201)

        move_to(DAY + timedelta(days=3))   # 03-06: nobody accepted "unaccepted" by 03-05
        unaccepted = ok(api.get(f"/api/v1/requests/{ids['unaccepted']}", admin))
        assert unaccepted["agency_id"] == seed["city"]["id"], unaccepted
        take_action(api, c, ids["unaccepted"], "accept")
        take_action(api, c, ids["unaccepted"], "resolve")

        move_to(DAY + timedelta(days=15))  # 03-18: "late" was not resolved by 03-17
        late = ok(api.get(f"/api/v1/requests/{ids['late']}", admin))
        assert late["agency_id"] == seed["city"]["id"], late
        take_action(api, c, ids["late"], "accept")
        take_action(api, c, ids["late"], "resolve")
    finally:
        api.put("/api/v1/clock", admin, json={"offset_seconds": 0})
    return ids


# -- must show 1: a county's staff figures equal its request history -----------------------------

# What each request contributes to each county staff member's figures for 2025.
CONTRIBUTIONS = {
    "on_time": {"staff-a": {"accepted": 1, "accepted_on_time": 1, "resolved": 1, "resolved_on_time": 1,
                            "scores": [5], "not_solved": 0, "revisited": 1}},
    "late": {"staff-a": {"accepted": 1, "accepted_on_time": 1, "escalations_caused": 1}},
    "by_hand": {"staff-b": {"accepted": 1, "accepted_on_time": 1, "escalations_caused": 1}},
    "reopened": {"staff-a": {"accepted": 1, "accepted_on_time": 1, "resolved": 2, "resolved_on_time": 2,
                             "scores": [2, 4], "not_solved": 1, "revisited": 2}},
    "unsatisfied": {"staff-b": {"accepted": 1, "accepted_on_time": 1, "resolved": 1, "resolved_on_time": 1,
                                "scores": [1], "not_solved": 1, "revisited": 1}},
    "unaccepted": {},
}
EXPECTED = {
    "staff-a": {"accepted": 3, "accepted_on_time": 3, "accepted_on_time_pct": 100.0, "resolved": 3,
                "resolved_on_time": 3, "resolved_on_time_pct": 100.0, "ratings": 3,
                "average_satisfaction": 3.67, "not_solved_pct": 33.33, "revisit_coverage_pct": 100.0,
                "escalations_caused": 1},
    "staff-b": {"accepted": 2, "accepted_on_time": 2, "accepted_on_time_pct": 100.0, "resolved": 1,
                "resolved_on_time": 1, "resolved_on_time_pct": 100.0, "ratings": 1,
                "average_satisfaction": 1.0, "not_solved_pct": 100.0, "revisit_coverage_pct": 100.0,
                "escalations_caused": 1},
}


def from_history(request, agency_id, subject):
    """One request's contribution to a staff member, read off its history as a person would."""
    history, found = request["history"], {}
    mine = [entry for entry in history if entry["actor"] == subject and entry["from_agency_id"] == agency_id]
    for action, key in (("accept", "accepted"), ("resolve", "resolved")):
        count = sum(1 for entry in mine if entry["action"] == action)
        if count:
            found[key] = found[f"{key}_on_time"] = count   # the scheduler let no deadline pass unescalated
    resolutions = [entry["at"] for entry in mine if entry["action"] == "resolve"]
    if resolutions:
        found["scores"] = [rating["score"] for rating in request["ratings"]]
        found["not_solved"] = sum(1 for rating in request["ratings"] if not rating["solved"])
        found["revisited"] = len(resolutions)
    escalations = [entry for entry in history if entry["action"] == "escalate"
                   and entry["from_agency_id"] == agency_id]
    if any(entry["actor"] == subject or (entry["actor_role"] == "system" and any(
            e["action"] == "accept" and e["actor"] == subject for e in mine)) for entry in escalations):
        found["escalations_caused"] = 1
    return found


def totals(contributions):
    keys = ("accepted", "accepted_on_time", "resolved", "resolved_on_time", "escalations_caused", "not_solved",
            "revisited")
    summed = {key: sum(each.get(key, 0) for each in contributions) for key in keys}
    summed["scores"] = [score for each in contributions for score in each.get("scores", [])]
    return summed


def test_a_countys_staff_figures_equal_its_request_history_case_by_case(api, token, ningxia):
    county = ningxia["county"]["id"]
    admin = ningxia["province_admin"]
    requests = {name: ok(api.get(f"/api/v1/requests/{request_id}", admin))
                for name, request_id in ningxia["requests"].items()}
    for name, request in requests.items():
        for subject in EXPECTED:
            assert from_history(request, county, subject) == CONTRIBUTIONS[name].get(subject, {}), (name, subject)

    figures = ok(api.get(f"/api/v1/agencies/{county}/performance?period={YEAR}", admin))
    by_subject = {item["subject"]: item for item in figures["items"]}
    assert figures["total"] == 2
    for subject, expected in EXPECTED.items():
        assert {key: by_subject[subject][key] for key in expected} == expected, subject
        summed = totals([CONTRIBUTIONS[name].get(subject, {}) for name in CONTRIBUTIONS])
        assert (by_subject[subject]["accepted"], by_subject[subject]["resolved"],
                by_subject[subject]["escalations_caused"], by_subject[subject]["ratings"]) == (
            summed["accepted"], summed["resolved"], summed["escalations_caused"], len(summed["scores"]))
        assert by_subject[subject]["average_satisfaction"] == round(sum(summed["scores"]) / len(summed["scores"]), 2)
        assert by_subject[subject]["staff"]["subject"] == subject

    # each sees their own figures, and only those
    a = token("agency_staff", str(county), subject="staff-a")
    own = ok(api.get(f"/api/v1/staff/{ningxia['staff']['staff-a']['id']}/performance?period=2025-03", a))
    assert {key: own[key] for key in EXPECTED["staff-a"]} == EXPECTED["staff-a"]
    assert ok(api.get(f"/api/v1/staff/{ningxia['staff']['staff-a']['id']}/performance?period=2025-04", a))[
        "accepted"] == 0


def test_a_staff_member_reading_a_colleagues_figures_is_refused(api, token, ningxia):
    a = token("agency_staff", str(ningxia["county"]["id"]), subject="staff-a")
    refused = api.get(f"/api/v1/staff/{ningxia['staff']['staff-b']['id']}/performance?period={YEAR}", a)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert api.get(f"/api/v1/agencies/{ningxia['county']['id']}/performance?period={YEAR}", a).status_code == 403


# -- must show 3: coverage -----------------------------------------------------------------------

def test_coverage_counts_a_county_without_agency_and_a_park_without_station(api, ningxia):
    cover = ok(api.get(f"/api/v1/coverage?region={PROVINCE}&year={YEAR}", ningxia["province_admin"]))
    assert {key: cover[key] for key in (
        "counties", "counties_with_agency", "county_coverage_pct", "counties_without_agency", "parks",
        "parks_with_station", "park_coverage_pct", "parks_without_station", "smes", "full_time_staff",
        "part_time_staff", "staff", "staff_per_1000_smes", "funding_wan_yuan", "funding_per_sme_yuan",
        "training_hours", "training_hours_per_staff")} == {
        "counties": 22, "counties_with_agency": 21, "county_coverage_pct": 95.45,
        "counties_without_agency": [NO_AGENCY], "parks": 2, "parks_with_station": 1, "park_coverage_pct": 50.0,
        "parks_without_station": [{"region_code": NO_STATION, "park": PARK_WITHOUT_STATION}], "smes": 8,
        "full_time_staff": 15, "part_time_staff": 3, "staff": 18, "staff_per_1000_smes": 2250.0,
        "funding_wan_yuan": 410.0, "funding_per_sme_yuan": 512500.0, "training_hours": 12.0,
        "training_hours_per_staff": 0.67}
    yinchuan = next(child for child in cover["children"] if child["region"] == CITY)
    assert (yinchuan["counties"], yinchuan["counties_with_agency"], yinchuan["parks"], yinchuan["smes"],
            yinchuan["staff"]) == (6, 5, 2, 8, 8)
    county = ok(api.get(f"/api/v1/coverage?region={COUNTY}&year={YEAR}", ningxia["province_admin"]))
    assert (county["counties_with_agency"], county["parks_with_station"], county["smes"], county["staff"],
            county["staff_per_1000_smes"], county["funding_per_sme_yuan"]) == (1, 1, 6, 8, 1333.33, 183333.33)


def test_capacity_record_is_versioned_and_its_commitment_shows_in_the_guide(api, token, ningxia):
    county = ningxia["county"]["id"]
    record = ok(api.get(f"/api/v1/agencies/{county}/capacity?year={YEAR}", ningxia["province_admin"]))
    assert (record["version"], record["funding"], record["funding_total"]) == (
        1, {"fiscal": 80.0, "special_fund": 20.0, "purchased_services": 0.0, "other": 0.0}, 100.0)
    assert [(each["number"], each["expired"]) for each in record["certifications"]] == [
        ("00125Q3", False), ("SC-2020-7", True)]
    ok(api.put(f"/api/v1/agencies/{county}/guide", ningxia["admin"], json={
        "items": [{"service_area": "policy", "title": "政策咨询", "content": "解读惠企政策", "process": ["受理", "答复"],
                   "accept_days": 2, "resolve_days": 10}],
        "supervision": {"phone": "0951-12345"}, "contact": {"address": "银川市兴庆区解放西街1号", "phone": "0951-1"}}))
    guide = ok(api.get(f"/api/v1/agencies/{county}/guide"))
    assert (guide["commitment"], guide["covenant"]) == ("一次告知、限时办结", "文明服务、廉洁高效")
    assert [each["name"] for each in guide["certifications"]] == ["ISO 9001 质量管理体系认证", "服务认证（五星级）"]
    staff = token("agency_staff", str(county), subject="staff-a")
    assert ok(api.get(f"/api/v1/agencies/{county}/capacity/versions?year={YEAR}", staff))["items"][0][
        "version"] == 1


def test_editing_a_closed_year_is_a_conflict_and_changes_nothing(api, token, ningxia):
    county, admin = ningxia["county"]["id"], ningxia["province_admin"]
    ok(api.put(f"/api/v1/agencies/{county}/capacity", admin, json={**capacity(3, 0, 50), "year": 2024}))
    closed = ok(api.post("/api/v1/capacity/year-closures", admin, json={"province": PROVINCE, "year": 2024}))
    assert (closed["province"], closed["year"]) == (PROVINCE, 2024)
    refused = api.put(f"/api/v1/agencies/{county}/capacity", admin, json={**capacity(9, 9, 99), "year": 2024})
    assert refused.status_code == 409 and "year" in refused.json()["error"]["details"]
    versions = ok(api.get(f"/api/v1/agencies/{county}/capacity/versions?year=2024", admin))["items"]
    assert [(each["version"], each["full_time_staff"], each["year_closed"]) for each in versions] == [(1, 3, True)]
    other = api.post("/api/v1/capacity/year-closures", token("province_admin", "630000"),
                     json={"province": PROVINCE, "year": 2024})
    assert other.status_code == 403


# -- must show 2: a provincial run, a changed weight, the old run unchanged and re-computable -----

MODEL = [{"indicator": "county_coverage", "weight": 20, "target": 100},
         {"indicator": "park_coverage", "weight": 20, "target": 100},
         {"indicator": "staff_per_1000_smes", "weight": 20, "target": 5},
         {"indicator": "accepted_on_time", "weight": 20, "target": 100},
         {"indicator": "satisfaction", "weight": 20, "target": 5}]
CHANGED = [{**each, "weight": weight} for each, weight in zip(MODEL, (10, 10, 10, 20, 50))]


def scores(run):
    return {each["region_code"]: (each["rank"], each["score"]) for each in run["results"]}


def test_a_changed_weight_makes_a_new_run_and_the_old_one_stays_and_recomputes(api, ningxia):
    admin = ningxia["province_admin"]
    first_model = ok(api.post("/api/v1/scoring/models", admin, json={
        "scope": PROVINCE, "year": YEAR, "indicators": MODEL}), 201)
    first = ok(api.post("/api/v1/scoring/runs", admin, json={"model_id": first_model["id"]}), 201)
    assert (first["model_version"], first["level"], len(first["results"])) == (first_model["version"], "county", 22)
    ranked = scores(first)
    assert ranked[COUNTY] == (20, 88.67)          # 19 counties with nothing but their agency score 100
    assert ranked[NO_STATION] == (21, 33.33)      # park 0 %, no staff for its 2 SMEs, no requests
    assert ranked[NO_AGENCY] == (22, 0.0)
    yinchuan = next(each for each in first["results"] if each["region_code"] == COUNTY)
    assert {item["indicator"]: (item["value"], item["attainment"]) for item in yinchuan["indicators"]} == {
        "county_coverage": (100.0, 100.0), "park_coverage": (100.0, 100.0), "staff_per_1000_smes": (1333.33, 100.0),
        "accepted_on_time": (83.33, 83.33), "satisfaction": (3.0, 60.0)}
    assert (yinchuan["facts"]["requests_received"], yinchuan["facts"]["smes"]) == (6, 6)

    # later facts: 金凤区 (640106) gets staff; then the province changes its weights
    no_station = agency_at(api, "county", NO_STATION)
    ok(api.put(f"/api/v1/agencies/{no_station['id']}/capacity", admin, json=capacity(2, 0, 20)))
    changed_model = ok(api.post("/api/v1/scoring/models", admin, json={
        "scope": PROVINCE, "year": YEAR, "indicators": CHANGED}), 201)
    assert changed_model["version"] == first_model["version"] + 1
    second = ok(api.post("/api/v1/scoring/runs", admin, json={"model_id": changed_model["id"]}), 201)
    assert second["id"] != first["id"] and second["model_version"] == changed_model["version"]
    assert scores(second)[COUNTY] == (20, 76.67)
    assert scores(second)[NO_STATION] == (21, 66.67)    # now with staff: 2 for its 2 SMEs

    # the first run is as it was, and computed again from its cut-off it gives the same numbers
    assert ok(api.get(f"/api/v1/scoring/runs/{first['id']}", admin)) == first
    again = ok(api.get(f"/api/v1/scoring/runs/{first['id']}/recomputation", admin))
    assert again["identical"] is True and again["differences"] == []
    assert scores(again) == scores(first)
    assert next(each for each in again["results"] if each["region_code"] == NO_STATION)["facts"]["staff"] == 0
    ningxia["runs"] = (first, second)

    listed = ok(api.get(f"/api/v1/scoring/runs?scope={PROVINCE}&year={YEAR}", admin))["items"]
    assert [each["id"] for each in listed][:2] == [second["id"], first["id"]]

    exported = api.get(f"/api/v1/scoring/runs/{second['id']}/export", admin)
    assert exported.status_code == 200 and exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    row = next(each for each in rows if each["region_code"] == COUNTY)
    assert (row["rank"], row["region_name"], row["score"], row["satisfaction_value"],
            row["satisfaction_attainment"]) == ("20", "兴庆区", "76.67", "3.0", "60.0")

    metrics = http.get(f"http://127.0.0.1:{os.environ['AGENCIES_OPS_PORT']}/metrics", timeout=10).text
    samples = {(s.name, s.labels.get("scope"), s.labels.get("region")): s.value
               for family in text_string_to_metric_families(metrics) for s in family.samples
               if s.labels.get("year") == str(YEAR)}
    assert samples[("onenet_scoring_score", PROVINCE, COUNTY)] == 76.67
    assert samples[("onenet_scoring_rank", PROVINCE, COUNTY)] == 20


def test_weights_must_sum_to_100_and_indicators_come_from_the_catalogue(api, ningxia):
    admin = ningxia["province_admin"]
    before = ok(api.get(f"/api/v1/scoring/models?scope={PROVINCE}&year=2026", admin))["items"]
    short = api.post("/api/v1/scoring/models", admin, json={"scope": PROVINCE, "year": 2026, "indicators": [
        {"indicator": "county_coverage", "weight": 60, "target": 100},
        {"indicator": "satisfaction", "weight": 30, "target": 5}]})
    assert short.status_code == 422 and "sum to 90" in str(short.json()["error"]["details"]["indicators"])
    unknown = api.post("/api/v1/scoring/models", admin, json={"scope": PROVINCE, "year": 2026, "indicators": [
        {"indicator": "gdp_growth", "weight": 100, "target": 5}]})
    assert unknown.status_code == 422 and "not in the catalogue" in str(unknown.json()["error"]["details"])
    assert ok(api.get(f"/api/v1/scoring/models?scope={PROVINCE}&year=2026", admin))["items"] == before == []


# -- must show 4: the national run ranks provinces from the same facts ------------------------------

def test_the_national_run_ranks_provinces_from_the_same_facts(api, token, ningxia):
    national = token("national_admin")
    model = ok(api.post("/api/v1/scoring/models", national, json={
        "scope": "000000", "year": YEAR, "indicators": MODEL}), 201)
    assert model["level"] == "province"
    refused = api.post("/api/v1/scoring/runs", ningxia["province_admin"], json={"model_id": model["id"]})
    assert refused.status_code == 403
    run = ok(api.post("/api/v1/scoring/runs", national, json={"model_id": model["id"]}), 201)
    assert len(run["results"]) == 31
    by_region = {each["region_code"]: each for each in run["results"]}
    ningxia_result, qinghai = by_region[PROVINCE], by_region[OTHER_PROVINCE]
    assert ningxia_result["score"] == 77.76 and qinghai["score"] == 100.0
    assert qinghai["rank"] < ningxia_result["rank"]
    ordered = [each["score"] for each in run["results"] if each["score"] is not None]
    assert ordered == sorted(ordered, reverse=True)

    # the province's facts are its counties' facts (from the same records) plus its own agency's
    _, provincial = ningxia["runs"]
    counties = [each["facts"] for each in provincial["results"]]
    facts = ningxia_result["facts"]
    for key in ("counties", "counties_with_agency", "parks", "parks_with_station", "smes", "requests_received"):
        assert facts[key] == sum(each[key] or 0 for each in counties), key
    assert facts["staff"] == sum(each["staff"] for each in counties) + 10   # the province agency's own
    assert (facts["requests_accepted_on_time_pct"], facts["requests_average_satisfaction"]) == (83.33, 3.0)

    # a province admin reads the national run
    assert ok(api.get(f"/api/v1/scoring/runs/{run['id']}", ningxia["province_admin"]))["id"] == run["id"]


# -- 选树优秀 -------------------------------------------------------------------------------------------

def test_nominations_from_a_run_are_reviewed_and_approved_honours_are_public(api, token, ningxia):
    _, run = ningxia["runs"]
    county = ningxia["county"]["id"]
    county_admin = token("county_admin", COUNTY)
    nominated = ok(api.post(f"/api/v1/scoring/runs/{run['id']}/nominations", county_admin, json={
        "kind": "staff", "agency_id": county, "staff_id": ningxia["staff"]["staff-a"]["id"],
        "title": "优秀服务专员", "reason": "全年受理及时、办结满意"}), 201)
    agency = ok(api.post(f"/api/v1/scoring/runs/{run['id']}/nominations", ningxia["province_admin"], json={
        "kind": "agency", "agency_id": county, "title": "优秀服务机构", "reason": "覆盖与办理俱佳"}), 201)

    outside = api.post(f"/api/v1/scoring/runs/{run['id']}/nominations", county_admin, json={
        "kind": "agency", "agency_id": agency_at(api, "county", NO_STATION)["id"], "title": "优秀服务机构",
        "reason": "越界提名"})
    assert outside.status_code == 403
    assert len(ok(api.get(f"/api/v1/scoring/runs/{run['id']}/nominations", county_admin))["items"]) == 2

    assert api.post(f"/api/v1/nominations/{nominated['id']}/review", county_admin, json={
        "decision": "approve", "reason": "同意"}).status_code == 403
    approved = ok(api.post(f"/api/v1/nominations/{nominated['id']}/review", ningxia["province_admin"], json={
        "decision": "approve", "reason": "经评审同意"}))
    assert (approved["state"], approved["staff_name"]) == ("approved", "王敏")
    rejected = ok(api.post(f"/api/v1/nominations/{agency['id']}/review", ningxia["province_admin"], json={
        "decision": "reject", "reason": "名额已满"}))
    assert rejected["state"] == "rejected"
    twice = api.post(f"/api/v1/nominations/{agency['id']}/review", ningxia["province_admin"], json={
        "decision": "approve", "reason": "改判"})
    assert twice.status_code == 409

    public = ok(api.get(f"/api/v1/agencies/{county}/honours"))["items"]
    assert [(each["title"], each["staff_name"], each["scope"], each["year"]) for each in public] == [
        ("优秀服务专员", "王敏", PROVINCE, YEAR)]
    assert [each["title"] for each in ok(api.get(f"/api/v1/agencies/{county}/guide"))["honours"]] == ["优秀服务专员"]


# -- activities held and participation (the activities service) -------------------------------------

def test_activities_held_and_their_attendance_count_in_a_run(api, token, ningxia):
    county = ningxia["county"]["id"]
    assert known_to_activities("agency", "id", county)
    starts = datetime.now(timezone.utc) + timedelta(seconds=1)
    year = starts.astimezone(CHINA_TIME).year
    published = ok(api.post("/api/v1/activities", token("agency_staff", str(county)), json=activity_body(
        county, starts, title="惠企政策宣讲会", ends_at=(starts + timedelta(seconds=1)).isoformat(),
        registration_opens_at=(starts - timedelta(hours=1)).isoformat())), 201)
    occurrence = published["occurrences"][0]["id"]
    attendee = ningxia["requesters"][0]
    ok(api.post(f"/api/v1/occurrences/{occurrence}/registration", token("enterprise", attendee)), 201)
    ok(api.post(f"/api/v1/occurrences/{occurrence}/check-ins", ningxia["admin"], json={"uscc": attendee}))
    time.sleep(max(0.0, (starts + timedelta(seconds=1) - datetime.now(timezone.utc)).total_seconds()) + 0.3)

    admin = ningxia["province_admin"]
    model = ok(api.post("/api/v1/scoring/models", admin, json={"scope": PROVINCE, "year": year, "indicators": [
        {"indicator": "activities_held", "weight": 50, "target": 2},
        {"indicator": "activity_participation", "weight": 50, "target": 50}]}), 201)
    run = ok(api.post("/api/v1/scoring/runs", admin, json={"model_id": model["id"]}), 201)
    yinchuan = next(each for each in run["results"] if each["region_code"] == COUNTY)
    assert {item["indicator"]: (item["value"], item["attainment"]) for item in yinchuan["indicators"]} == {
        "activities_held": (1, 50.0), "activity_participation": (16.67, 33.34)}
    assert (yinchuan["rank"], yinchuan["score"]) == (1, 41.67)
    assert (yinchuan["facts"]["activities_held"], yinchuan["facts"]["activity_attendances"]) == (1, 1)
    assert scores(run)[NO_STATION] == (2, 0.0)    # none held, none attended of its 2 SMEs


# -- 政策直享: policies reaching the SMEs (the notifications service) ---------------------------------

def publish_policy(api, ningxia, number, region):
    """A provincial policy for the SMEs of ``region``, published: the notifications service pushes it."""
    year = datetime.now(CHINA_TIME).year
    draft = ok(api.post("/api/v1/policies", ningxia["province_admin"], json={
        "title": f"宁夏中小企业数字化转型补助（{number}）", "issuer": "宁夏回族自治区工业和信息化厅",
        "issuer_level": "province", "document_number": f"宁工信〔{year}〕{number}号",
        "issued_on": f"{year}-01-10", "expires_on": f"{year + 1}-12-31", "region_code": PROVINCE,
        "service_area": "policy", "benefits": "数字化改造投入的20%",
        "criteria": {"region_prefixes": [region], "size_classes": ["medium", "small", "micro"]},
        "agency_id": agency_at(api, "province", PROVINCE)["id"]}), 201)
    ok(api.post(f"/api/v1/policies/{draft['id']}/publish", ningxia["province_admin"]))
    return draft["id"]


def policy_notice(api, token, uscc, policy_id):
    """The enterprise's notice of the policy, once the push has written it (None until then)."""
    items = ok(api.get("/api/v1/notifications", token("enterprise", uscc), params={"kind": "policy_match"}))["items"]
    return next((each for each in items if each["about"] == {"type": "policy", "id": str(policy_id)}), None)


def told(api, token, usccs, policy_id):
    notices = {uscc: wait_for(lambda uscc=uscc: policy_notice(api, token, uscc, policy_id), timeout=20)
               for uscc in usccs}
    assert all(notices.values()), f"policy {policy_id} did not reach {notices}"
    return notices


def policy_values(run, region):
    result = next(each for each in run["results"] if each["region_code"] == region)
    return ({item["indicator"]: (item["value"], item["attainment"]) for item in result["indicators"]},
            result["score"], tuple(result["facts"][key] for key in (
                "policy_enterprises_reached", "policy_notices", "policy_notices_read")))


def test_a_runs_policy_reach_counts_the_notices_pushed_and_read_by_its_cutoff(api, token, ningxia):
    """Pushed to 兴庆区's six SMEs and one of them read before the cut-off; after it, a second read and
    a policy pushed to 金凤区's two SMEs: the run at the cut-off sees neither, a run now sees both, and
    the first run recomputed from its cut-off gives its numbers again."""
    first = told(api, token, ningxia["requesters"], publish_policy(api, ningxia, 31, COUNTY))
    reader, later_reader = ningxia["requesters"][:2]
    ok(api.post(f"/api/v1/notifications/{first[reader]['id']}/read", token("enterprise", reader)))
    time.sleep(0.05)
    cutoff = datetime.now(timezone.utc)
    time.sleep(0.05)
    ok(api.post(f"/api/v1/notifications/{first[later_reader]['id']}/read", token("enterprise", later_reader)))
    told(api, token, ningxia["in_no_station"], publish_policy(api, ningxia, 32, NO_STATION))

    admin = ningxia["province_admin"]
    model = ok(api.post("/api/v1/scoring/models", admin, json={
        "scope": PROVINCE, "year": cutoff.astimezone(CHINA_TIME).year, "indicators": [
            {"indicator": "policy_reach", "weight": 50, "target": 100},
            {"indicator": "policy_read", "weight": 50, "target": 50}]}), 201)
    then = ok(api.post("/api/v1/scoring/runs", admin, json={
        "model_id": model["id"], "facts_cutoff": cutoff.isoformat()}), 201)
    assert policy_values(then, COUNTY) == (
        {"policy_reach": (100.0, 100.0), "policy_read": (16.67, 33.34)}, 66.67, (6, 6, 1))
    assert policy_values(then, NO_STATION) == ({"policy_reach": (0.0, 0.0), "policy_read": (None, None)}, 0.0,
                                               (0, 0, 0))

    now = ok(api.post("/api/v1/scoring/runs", admin, json={"model_id": model["id"]}), 201)
    assert policy_values(now, COUNTY) == (
        {"policy_reach": (100.0, 100.0), "policy_read": (33.33, 66.66)}, 83.33, (6, 6, 2))
    assert policy_values(now, NO_STATION) == (
        {"policy_reach": (100.0, 100.0), "policy_read": (0.0, 0.0)}, 50.0, (2, 2, 0))

    again = ok(api.get(f"/api/v1/scoring/runs/{then['id']}/recomputation", admin))
    assert again["identical"] is True and again["differences"] == []
    assert policy_values(again, COUNTY) == policy_values(then, COUNTY)
