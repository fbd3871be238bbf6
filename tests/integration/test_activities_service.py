"""The activities service on the real broker and database: read models fed by events, planning,
registration under contention, the waitlist, and the holiday schedules operators load."""
from datetime import datetime, timedelta, timezone

import eventlet
import pytest
from nameko.containers import ServiceContainer

from chassis import config as process_config
from chassis.errors import Conflict, ValidationFailed
from services.activities.service import ActivitiesService
from tests.stack import new_event, new_uscc, outbox_payloads, publish, rpc, sql, wait_for

CHINA = timezone(timedelta(hours=8))
# Agencies announced by these tests only (ids far above the skeleton's).
CITY, STATIONS = 990100, (990101, 990102, 990103)


@pytest.fixture(scope="module")
def activities_container(prepared_stack):
    container = ServiceContainer(ActivitiesService, process_config.load("services/activities/config.yml"))
    container.start()
    announce_agency(CITY, "无锡市中小企业服务中心", "city", "320200")
    for number, station in enumerate(STATIONS, 1):
        announce_agency(station, f"无锡高新区第{number}园区服务站", "station", "320214", parent_id=CITY,
                        park=f"第{number}园区")
    wait_for(lambda: sql("activities", "SELECT count(*) FROM agency WHERE id BETWEEN 990100 AND 990103")[0][0] == 4)
    yield container
    container.stop()


@pytest.fixture
def activities(activities_container):
    with rpc("activities") as proxy:
        yield proxy


def announce_agency(agency_id, name, level, region_code, parent_id=None, park=None):
    publish(new_event("agency.created", {
        "id": agency_id, "name": name, "level": level, "region_code": region_code, "parent_id": parent_id,
        "park": park, "service_areas": ["policy"], "active": True}))


def publication(**overrides):
    starts = datetime.now(CHINA) + timedelta(days=10)
    body = {"agency_id": CITY, "kind": "training", "title": "数字化转型培训班", "venue": "无锡市民中心",
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "registration_opens_at": (starts - timedelta(days=20)).isoformat(),
            "registration_closes_at": (starts - timedelta(hours=1)).isoformat(), "capacity": 5,
            "on_rest_day": "keep"}
    body.update(overrides)
    return body


def test_monthly_rule_at_three_stations_moves_rest_days_to_the_next_working_day(activities):
    activity = activities.publish_activity(publication(
        kind="law_outreach", title="《中小企业促进法》送法进园区", starts_at="2026-01-01T09:30:00+08:00",
        ends_at="2026-01-01T11:30:00+08:00", registration_opens_at="2025-12-01T09:00:00+08:00",
        registration_closes_at="2026-01-01T09:00:00+08:00", recurrence="FREQ=MONTHLY;BYMONTHDAY=1;COUNT=12",
        stations=list(STATIONS), on_rest_day="next_working_day"), "staff-990100")
    days = sorted({o["starts_at"][:10] for o in activity["occurrences"]})
    # 2026 by the State Council's schedule: 元旦 1-1..1-3 off and Sunday 1-4 worked; 劳动节 5-1..5-5;
    # 国庆 10-1..10-7 (10-8 worked); weekends moved to the Monday.
    assert days == ["2026-01-04", "2026-02-02", "2026-03-02", "2026-04-01", "2026-05-06", "2026-06-01",
                    "2026-07-01", "2026-08-03", "2026-09-01", "2026-10-08", "2026-11-02", "2026-12-01"]
    assert len(activity["occurrences"]) == 36
    assert {o["agency_id"] for o in activity["occurrences"]} == set(STATIONS)
    first = next(o for o in activity["occurrences"] if o["agency_id"] == STATIONS[0] and o["sequence"] == 1)
    assert (first["moved_from"], first["starts_at"], first["provisional"]) == (
        "2026-01-01", "2026-01-04T09:30:00+08:00", False)
    assert first["registration_closes_at"] == "2026-01-04T09:00:00+08:00"


def test_loaded_holiday_schedule_replans_provisional_occurrences_and_guides_later_plans(activities):
    """A year the calendar library does not carry: its schedule comes from the requests service's
    holiday_schedule.loaded (here 2029, which no other test plans in); what was planned before it is
    re-planned by it."""
    body = publication(starts_at="2029-10-01T10:00:00+08:00", ends_at="2029-10-01T12:00:00+08:00",
                       registration_opens_at="2029-09-01T10:00:00+08:00",
                       registration_closes_at="2029-10-01T09:00:00+08:00", on_rest_day="next_working_day")
    before = activities.publish_activity(body, "staff-990100")["occurrences"][0]
    # Without a schedule: 国庆 1-3 October by the statutory rules, Thursday 4 October, provisional.
    assert (before["starts_at"][:10], before["provisional"]) == ("2029-10-04", True)
    publish(new_event("holiday_schedule.loaded", {
        "year": 2029, "holidays": [f"2029-10-0{day}" for day in range(1, 8)], "workdays": ["2029-10-13"],
        "source": "integration test"}))
    wait_for(lambda: sql("activities", "SELECT count(*) FROM holiday_schedule_day WHERE year = 2029")[0][0] == 8)
    after = activities.publish_activity(body, "staff-990100")["occurrences"][0]
    assert (after["starts_at"][:10], after["provisional"], after["moved_from"]) == ("2029-10-08", False, "2029-10-01")
    # ... and the occurrence planned before the schedule was there is re-planned by it, window and all
    replanned = activities.get_occurrence(before["id"])
    assert (replanned["starts_at"], replanned["registration_closes_at"], replanned["provisional"],
            replanned["moved_from"]) == ("2029-10-08T10:00:00+08:00", "2029-10-08T09:00:00+08:00", False, "2029-10-01")
    assert outbox_payloads("activities", "activity.rescheduled", before["id"]) == [{
        "occurrence_id": before["id"], "activity_id": before["activity_id"], "agency_id": CITY,
        "title": "数字化转型培训班", "planned_on": "2029-10-01", "from_day": "2029-10-04", "to_day": "2029-10-08",
        "starts_at": "2029-10-08T10:00:00+08:00", "registered": [], "waitlisted": []}]


def test_a_rescheduled_occurrence_names_the_enterprises_registered_and_waiting_for_it(activities):
    """2030, which no other test here plans in: its provisional occurrence moves when the schedule
    comes, and the event names who holds a place and who waits, in queue order (a cancelled one not)."""
    opens = datetime.now(CHINA) - timedelta(days=30)
    occurrence = activities.publish_activity(publication(
        starts_at="2030-10-01T10:00:00+08:00", ends_at="2030-10-01T12:00:00+08:00",
        registration_opens_at=opens.isoformat(), registration_closes_at="2030-10-01T09:00:00+08:00",
        capacity=2, on_rest_day="next_working_day"), "staff-990100")["occurrences"][0]
    assert occurrence["provisional"]
    usccs = [new_uscc("320214") for _ in range(5)]
    for uscc in usccs:
        activities.register(occurrence["id"], uscc)
    activities.cancel_registration(occurrence["id"], usccs[3])
    publish(new_event("holiday_schedule.loaded", {
        "year": 2030, "holidays": [f"2030-10-0{day}" for day in range(1, 8)], "workdays": ["2030-10-12"],
        "source": "integration test"}))
    [moved] = wait_for(lambda: outbox_payloads("activities", "activity.rescheduled", occurrence["id"]))
    assert (moved["to_day"], moved["registered"], moved["waitlisted"]) == (
        "2030-10-08", usccs[:2], [usccs[2], usccs[4]])


def test_places_are_exact_when_forty_register_at_once_and_cancellations_move_the_waitlist_up(activities):
    occurrence = activities.publish_activity(publication(), "staff-990100")["occurrences"][0]
    usccs = [new_uscc("320214") for _ in range(40)]

    def register(uscc):
        with rpc("activities") as proxy:
            return proxy.register(occurrence["id"], uscc)["state"]

    pool = eventlet.GreenPool(20)
    states = list(pool.imap(register, usccs))
    assert (states.count("registered"), states.count("waitlisted")) == (5, 35)
    assert sql("activities", "SELECT registered, waitlisted FROM occurrence WHERE id = %s",
               (occurrence["id"],)) == [(5, 35)]
    first_waiting = min((r for r in usccs if states[usccs.index(r)] == "waitlisted"),
                        key=lambda u: activities.registration(occurrence["id"], u)["waitlist_position"])
    assert activities.registration(occurrence["id"], first_waiting)["waitlist_position"] == 1
    holder = usccs[states.index("registered")]
    assert activities.cancel_registration(occurrence["id"], holder)["state"] == "cancelled"
    assert activities.registration(occurrence["id"], first_waiting)["state"] == "registered"
    assert sql("activities", "SELECT registered, waitlisted FROM occurrence WHERE id = %s",
               (occurrence["id"],)) == [(5, 34)]
    # the promoted enterprise is told what, when and where without anyone looking it up
    assert outbox_payloads("activities", "activity.promoted", occurrence["id"]) == [{
        "occurrence_id": occurrence["id"], "activity_id": occurrence["activity_id"], "agency_id": CITY,
        "uscc": first_waiting, "state": "registered", "previous_state": "waitlisted",
        "starts_at": occurrence["starts_at"], "ends_at": occurrence["ends_at"], "title": "数字化转型培训班",
        "agency_name": "无锡市中小企业服务中心", "venue": "无锡市民中心", "online_url": None}]
    with pytest.raises(Conflict, match="already registered"):
        activities.register(occurrence["id"], first_waiting)


def test_registration_after_the_window_is_refused_and_nothing_is_stored(activities):
    past = datetime.now(CHINA) - timedelta(days=2)
    occurrence = activities.publish_activity(publication(
        starts_at=past.isoformat(), ends_at=(past + timedelta(hours=2)).isoformat(),
        registration_opens_at=(past - timedelta(days=5)).isoformat(),
        registration_closes_at=(past - timedelta(hours=1)).isoformat()), "staff-990100")["occurrences"][0]
    with pytest.raises(Conflict, match="registration closed"):
        activities.register(occurrence["id"], new_uscc("320214"))
    assert sql("activities", "SELECT count(*) FROM registration WHERE occurrence_id = %s",
               (occurrence["id"],)) == [(0,)]


def test_rule_with_too_many_occurrences_is_refused_and_nothing_is_stored(activities):
    count = sql("activities", "SELECT count(*) FROM activity")[0][0]
    with pytest.raises(ValidationFailed) as refused:
        activities.publish_activity(publication(recurrence="FREQ=DAILY;COUNT=500"), "staff-990100")
    assert "more than 120 occurrences" in refused.value.details["recurrence"][0]
    assert sql("activities", "SELECT count(*) FROM activity")[0][0] == count
