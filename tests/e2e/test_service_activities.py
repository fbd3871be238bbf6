"""Service activities over HTTP (run late in the suite: the activities service learns the national
skeleton's 3,212 agencies from their events meanwhile): capacity under contention, a recurring rule
kept off holidays, the iCalendar feeds, check-in and ratings, and what feeds the portrait and the
assessment."""
import queue
import uuid
from datetime import datetime, timedelta, timezone

import eventlet
import icalendar
import pytest
import requests

from tests.stack import activity_body, known_to_activities, new_uscc, sql, wait_for

CHINA = timezone(timedelta(hours=8))
COUNTY = "320214"  # 无锡市新吴区


@pytest.fixture(scope="module")
def stations(api, token, agency_skeleton):
    """Three park stations under the 新吴区 county agency, known to the activities service."""
    county = api.get(f"/api/v1/agencies?level=county&region={COUNTY}").json()["items"][0]
    made = []
    for park in ("无锡高新区科技园", "无锡综合保税区", "新吴区物联网产业园"):
        created = api.post("/api/v1/agencies", token("national_admin"), json={
            "name": f"{park}服务站", "level": "station", "region_code": COUNTY, "parent_id": county["id"],
            "park": f"{park}{uuid.uuid4().hex[:6]}", "service_areas": ["policy", "training"]})
        assert created.status_code == 201, created.text
        made.append(created.json())
    for station in made + [county]:
        assert known_to_activities("agency", "id", station["id"])
    return {"county": county, "stations": made}


def publish(api, token, body):
    answer = api.post("/api/v1/activities", token("agency_staff", str(body["agency_id"])), json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_two_thousand_register_at_once_for_two_hundred_places_and_ten_cancellations_move_ten_up(
        api, token, stations):
    station = stations["stations"][0]
    starts = datetime.now(CHINA) + timedelta(days=20)
    occurrence = publish(api, token, activity_body(station["id"], starts, capacity=200,
                                                   title="专精特新政策宣讲会"))["occurrences"][0]
    path = f"/api/v1/occurrences/{occurrence['id']}/registration"
    usccs = [new_uscc(COUNTY) for _ in range(2000)]
    sessions = queue.Queue()
    for _ in range(50):
        sessions.put(requests.Session())

    def register(uscc):
        """As a client does: a 503 (the gateway gave up waiting) is retried; a retry that finds the
        first attempt went through (409) reads the registration instead."""
        session = sessions.get()
        headers = {"Authorization": f"Bearer {token('enterprise', uscc)}"}
        try:
            for _ in range(10):
                answer = session.post(api.base_url + path, headers=headers, timeout=60)
                if answer.status_code == 409:
                    answer = session.get(api.base_url + path, headers=headers, timeout=60)
                if answer.status_code != 503:
                    return uscc, answer.status_code, answer.json().get("state")
                eventlet.sleep(0.5)
        finally:
            sessions.put(session)
        return uscc, 503, None

    answers = list(eventlet.GreenPool(50).imap(register, usccs))
    assert {status for _, status, _ in answers} <= {200, 201}
    states = [state for _, _, state in answers]
    assert (states.count("registered"), states.count("waitlisted")) == (200, 1800)
    seen = api.get(f"/api/v1/occurrences/{occurrence['id']}").json()
    assert (seen["registered"], seen["waitlisted"]) == (200, 1800)

    staff = token("agency_staff", str(station["id"]))
    waiting = api.get(f"/api/v1/occurrences/{occurrence['id']}/registrations?state=waitlisted&page_size=10",
                      staff).json()["items"]
    assert [entry["waitlist_position"] for entry in waiting] == list(range(1, 11))
    holders = [uscc for uscc, _, state in answers if state == "registered"][:10]
    for uscc in holders:
        cancelled = api.request("DELETE", f"/api/v1/occurrences/{occurrence['id']}/registration",
                                token("enterprise", uscc))
        assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled", cancelled.text
    for entry in waiting:
        mine = api.get(f"/api/v1/occurrences/{occurrence['id']}/registration", token("enterprise", entry["uscc"]))
        assert mine.json()["state"] == "registered" and mine.json()["promoted_at"], mine.text
    seen = api.get(f"/api/v1/occurrences/{occurrence['id']}").json()
    assert (seen["registered"], seen["waitlisted"]) == (200, 1790)
    counts = dict(sql("activities", "SELECT state, count(*) FROM registration WHERE occurrence_id = %s "
                                    "GROUP BY state", (occurrence["id"],)))
    assert counts == {"registered": 200, "waitlisted": 1790, "cancelled": 10}
    assert sql("activities", "SELECT count(DISTINCT uscc), count(*) FROM registration WHERE occurrence_id = %s",
               (occurrence["id"],)) == [(2000, 2000)]
    again = api.post(path, token("enterprise", waiting[0]["uscc"]))
    assert again.status_code == 409 and "already registered" in again.json()["error"]["message"]


def test_monthly_law_outreach_in_three_park_stations_is_dated_off_holidays_and_feeds_the_calendar(
        api, token, stations):
    """2028 is beyond the calendar library's years and no test loads its schedule: the statutory
    holidays (元旦 1-1, 劳动节 5-1/2, 国庆 10-1..3) and weekends are avoided, marked provisional."""
    county = stations["county"]
    body = activity_body(county["id"], datetime(2028, 1, 1, 9, 30, tzinfo=CHINA), kind="law_outreach",
                         title=f"《中小企业促进法》送法进园区（{uuid.uuid4().hex[:6]}）", recurrence="FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12",
                         stations=[station["id"] for station in stations["stations"]],
                         on_rest_day="next_working_day")
    activity = publish(api, token, body)
    dates = {station["id"]: [o["starts_at"] for o in activity["occurrences"] if o["agency_id"] == station["id"]]
             for station in stations["stations"]}
    expected = ["2028-01-03T09:30:00+08:00", "2028-02-01T09:30:00+08:00", "2028-03-01T09:30:00+08:00",
                "2028-04-03T09:30:00+08:00", "2028-05-03T09:30:00+08:00", "2028-06-01T09:30:00+08:00",
                "2028-07-03T09:30:00+08:00", "2028-08-01T09:30:00+08:00", "2028-09-01T09:30:00+08:00",
                "2028-10-04T09:30:00+08:00", "2028-11-01T09:30:00+08:00", "2028-12-01T09:30:00+08:00"]
    assert dates == {station["id"]: expected for station in stations["stations"]}
    moved = sorted({(o["moved_from"], o["starts_at"][:10]) for o in activity["occurrences"] if o["moved_from"]})
    assert moved == [("2028-01-01", "2028-01-03"), ("2028-04-01", "2028-04-03"), ("2028-05-01", "2028-05-03"),
                     ("2028-07-01", "2028-07-03"), ("2028-10-01", "2028-10-04")]
    assert {o["provisional"] for o in activity["occurrences"]} == {True}

    feed = api.get(f"/api/v1/agencies/{stations['stations'][1]['id']}/calendar.ics")
    assert feed.status_code == 200 and feed.headers["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    events = [event for event in calendar.walk("VEVENT") if str(event["SUMMARY"]) == body["title"]]
    assert sorted(event.decoded("DTSTART").astimezone(CHINA).isoformat() for event in events) == expected
    assert len({str(event["UID"]) for event in events}) == 12
    public = icalendar.Calendar.from_ical(api.get("/api/v1/activities/calendar.ics?region=320214").content)
    assert len([event for event in public.walk("VEVENT") if str(event["SUMMARY"]) == body["title"]]) == 36


def test_staff_check_in_the_registered_only_and_participants_rate_after_the_end(api, token, stations):
    station = stations["stations"][2]
    starts = datetime.now(CHINA) + timedelta(seconds=3)
    occurrence = publish(api, token, activity_body(
        station["id"], starts, ends_at=(starts + timedelta(seconds=2)).isoformat(),
        registration_opens_at=(starts - timedelta(hours=1)).isoformat()))["occurrences"][0]
    path = f"/api/v1/occurrences/{occurrence['id']}"
    staff = token("agency_staff", str(station["id"]))
    came, absent = new_uscc(COUNTY), new_uscc(COUNTY)
    assert api.post(f"{path}/registration", token("enterprise", came)).status_code == 201
    stranger = api.post(f"{path}/check-ins", staff, json={"uscc": absent})
    assert stranger.status_code == 409 and "not registered" in stranger.json()["error"]["message"]
    assert api.post(f"{path}/check-ins", token("agency_staff", str(stations["stations"][0]["id"])),
                    json={"uscc": came}).status_code == 403
    checked = api.post(f"{path}/check-ins", staff, json={"uscc": came})
    assert checked.status_code == 200 and checked.json()["checked_in_at"], checked.text
    early = api.post(f"{path}/rating", token("enterprise", came), json={"score": 5, "comment": "很实用"})
    assert early.status_code == 409
    rated = wait_for(lambda: (lambda answer: answer if answer.status_code == 201 else None)(
        api.post(f"{path}/rating", token("enterprise", came), json={"score": 4, "comment": "案例讲解清楚"})))
    assert rated and rated.json()["score"] == 4
    assert api.post(f"{path}/rating", token("enterprise", came), json={"score": 5}).status_code == 409
    assert api.post(f"{path}/rating", token("enterprise", absent), json={"score": 1}).status_code == 409
    assert sql("activities", "SELECT count(*) FROM rating WHERE occurrence_id = %s", (occurrence["id"],)) == [(1,)]

    admin = token("city_admin", "320200")
    period = datetime.now(CHINA).strftime("%Y-%m")
    figures = api.get(f"/api/v1/assessment?region={COUNTY}&period={period}", admin).json()["activities"]["activities"]
    mine = next(row for row in figures["by_agency"] if row["agency_id"] == station["id"])
    assert (mine["held"], mine["registered"], mine["attended"], mine["ratings"], mine["average_rating"]) == \
        (1, 1, 1, 1, 4.0)


def test_bad_activities_are_refused_with_the_reason_and_nothing_is_stored(api, token, stations):
    station = stations["stations"][0]
    staff = token("agency_staff", str(station["id"]))
    before = sql("activities", "SELECT count(*) FROM activity")[0][0]
    starts = datetime.now(CHINA) + timedelta(days=5)
    too_many = api.post("/api/v1/activities", staff, json=activity_body(station["id"], starts,
                                                                         recurrence="FREQ=DAILY;COUNT=1000"))
    assert too_many.status_code == 422
    assert "more than 120 occurrences" in too_many.json()["error"]["details"]["recurrence"][0]
    endless = api.post("/api/v1/activities", staff, json=activity_body(station["id"], starts,
                                                                        recurrence="FREQ=WEEKLY;BYDAY=TU"))
    assert endless.status_code == 422 and "COUNT or UNTIL" in endless.json()["error"]["details"]["recurrence"][0]
    elsewhere = api.post("/api/v1/activities", staff, json=activity_body(station["id"], starts,
                                                                          criteria={"region_prefixes": ["44"]}))
    assert elsewhere.status_code == 422 and "criteria.region_prefixes" in elsewhere.json()["error"]["details"]
    other_agency = api.post("/api/v1/activities", staff, json=activity_body(stations["county"]["id"], starts))
    assert other_agency.status_code == 403
    assert sql("activities", "SELECT count(*) FROM activity")[0][0] == before

    past = datetime.now(CHINA) - timedelta(days=1)
    closed = publish(api, token, activity_body(station["id"], past))["occurrences"][0]
    late = api.post(f"/api/v1/occurrences/{closed['id']}/registration", token("enterprise", new_uscc(COUNTY)))
    assert late.status_code == 409 and "registration closed" in late.json()["error"]["message"]
    assert sql("activities", "SELECT count(*) FROM registration WHERE occurrence_id = %s", (closed["id"],)) == [(0,)]


def test_invitations_reach_exactly_the_enterprises_the_activity_targets(api, token, stations):
    """The activity's criteria (a tag) narrowed to its station's county: the tagged SMEs of 新吴区
    are invited, by the policies' push; an untagged one and a tagged one of another county are not."""
    tag = f"邀请测试{uuid.uuid4().hex[:6]}"
    admin = token("province_admin", "320000")

    def registered(region, tags):
        uscc = new_uscc(region)
        created = api.post("/api/v1/enterprises", admin, json={
            "uscc": uscc, "name": f"邀请测试企业{uscc[-6:]}", "region_code": region, "industry_code": "C39",
            "employees": 30, "revenue": 800, "tags": tags})
        assert created.status_code == 201, created.text
        return uscc

    targeted = sorted(registered(COUNTY, [tag]) for _ in range(3))
    untagged, elsewhere = registered(COUNTY, []), registered("320102", [tag])
    station = stations["stations"][1]
    activity = publish(api, token, activity_body(station["id"], datetime.now(CHINA) + timedelta(days=15),
                                                 kind="chain_matchmaking", title="物联网产业链融通对接会",
                                                 criteria={"tags": [tag]}))
    assert activity["criteria"] == {"tags": [tag], "region_prefixes": [COUNTY]}

    def invited():
        rows = sql("notifications", "SELECT recipient_id FROM notice WHERE about_type = 'activity' "
                                    "AND about_id = %s ORDER BY recipient_id", (str(activity["id"]),))
        done = sql("notifications", "SELECT state FROM push WHERE about_type = 'activity' AND about_id = %s",
                   (activity["id"],))
        return [row[0] for row in rows] if done == [("done",)] else None

    assert wait_for(invited, timeout=30) == targeted
    for uscc in targeted:
        inbox = api.get("/api/v1/notifications?kind=activity_invitation", token("enterprise", uscc)).json()
        [notice] = [item for item in inbox["items"] if item["about"] == {"type": "activity", "id": str(activity["id"])}]
        assert notice["title"] == "活动邀请：物联网产业链融通对接会"
        assert "邀请您的原因" in notice["body"] and tag in notice["body"]
    for uscc in (untagged, elsewhere):
        inbox = api.get("/api/v1/notifications?kind=activity_invitation", token("enterprise", uscc)).json()
        assert inbox["items"] == []
